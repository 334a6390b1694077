#!/usr/bin/env bash
# Runs every fuzz target of the workspace for FUZZTIME (default 10000x: ten
# thousand inputs; a duration such as 1m also works) each,
# starting from its seed corpus (the f.Add calls and testdata/fuzz). go test
# -fuzz takes one target of one package at a time, hence the loop. A failure
# leaves the failing input under the package's testdata/fuzz to reproduce it
# with go test -run=FuzzX/NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
# A count rather than a duration by default: when a duration runs out while
# a worker is inside an input, go test reports "context deadline exceeded"
# and fails although no input failed.
fuzztime=${FUZZTIME:-10000x}
n=0
for file in $(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort); do
	dir=$(dirname "$file")
	for target in $(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' "$file"); do
		echo "== $dir $target"
		# Minimizing each new input at most 10 runs: an unbounded
		# minimization of a slow target (FuzzFit fits seven models per
		# input) can outlast the fuzz time and end the run with "context
		# deadline exceeded".
		(cd "$dir" && go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=10x .)
		n=$((n + 1))
	done
done
echo "== $n fuzz targets, $fuzztime each"
