#!/usr/bin/env bash
# Runs every fuzz target of the workspace for FUZZTIME (default 10s) each,
# starting from its seed corpus (the f.Add calls and testdata/fuzz). go test
# -fuzz takes one target of one package at a time, hence the loop. A failure
# leaves the failing input under the package's testdata/fuzz to reproduce it
# with go test -run=FuzzX/NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
n=0
for file in $(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort); do
	dir=$(dirname "$file")
	for target in $(sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' "$file"); do
		echo "== $dir $target"
		(cd "$dir" && go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" .)
		n=$((n + 1))
	done
done
echo "== $n fuzz targets, $fuzztime each"
