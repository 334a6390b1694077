#!/usr/bin/env bash
# Reproduces the README's evaluation from the repository alone.
#
#   scripts/reproduce-readme.sh score [FLAG...]
#                                          the sim_score table: the predictive
#                                          stack against an independent HPA model
#                                          on the six traces (about 2 minutes on
#                                          2 cores); exits 1 when a trace falls
#                                          short of the goal, as sim_score.py does;
#                                          FLAGs are added to every simulator run
#   scripts/reproduce-readme.sh score-planner
#                                          the same judgement of the stack with
#                                          -rule planner
#   scripts/reproduce-readme.sh frontiers  the trade-off frontier charts,
#                                          docs/frontier-*.svg (-sweep per trace)
#   scripts/reproduce-readme.sh coarse [FLAG...]
#                                          the same judgement on the six traces
#                                          summed to 10-, 15-, 30- and 60-minute
#                                          steps (24 traces, about a minute); prints
#                                          every trace's line and does not fail;
#                                          FLAGs are added to every simulator run
#                                          (-forecast-horizon 15: the former
#                                          default)
#   scripts/reproduce-readme.sh probes [FLAG...]
#                                          the same judgement on ten synthetic
#                                          1-minute traces (scripts/traces/
#                                          synthetic.py: loads with and without
#                                          structure a forecast can use; about
#                                          4 minutes); prints every trace's line
#                                          and does not fail; FLAGs as for coarse
#
# The World Cup traces are built first when they are missing (see
# traces/README.md); every trace is checked against traces/SHA256SUMS.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-score}
shift || true
case "$what:$#" in score:* | score-planner:0 | frontiers:0 | coarse:* | probes:*) ;; *)
	echo "usage: $0 [score [FLAG...]|score-planner|frontiers|coarse [FLAG...]|probes [FLAG...]]" >&2
	exit 2
	;;
esac

if [ ! -f traces/worldcup98-5min.csv ] || [ ! -f traces/worldcup98-1min.csv ]; then
	python3 scripts/traces/worldcup98.py traces
fi
(cd traces && sha256sum --quiet -c SHA256SUMS)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/simulate" ./examples/simulate

# with_flags prints the path of a simulator that adds FLAGs to every run
# (sim_score.py passes none of its own).
with_flags() {
	{
		printf '#!/bin/sh\nexec "%s"' "$tmp/simulate"
		printf ' %q' "$@"
		printf ' "$@"\n'
	} >"$tmp/simulate-flags"
	chmod +x "$tmp/simulate-flags"
	echo "$tmp/simulate-flags"
}

# flagged prints the simulator to run: with FLAGs added when there are any.
flagged() {
	if [ $# -gt 0 ]; then
		with_flags "$@"
	else
		echo "$tmp/simulate"
	fi
}

# name on the charts: file
traces=(
	"nasa-jul95:traces/nasa-ksc-jul95-1min.csv"
	"nasa-aug95:traces/nasa-ksc-aug95-1min.csv"
	"worldcup98-5min:traces/worldcup98-5min.csv"
	"worldcup98-1min:traces/worldcup98-1min.csv"
	"azure2019:traces/azure-vm2019-cpu-5min.csv"
	"google2019:traces/google2019-cpu-5min.csv"
)

case "$what" in
score | score-planner)
	files=()
	for t in "${traces[@]}"; do files+=("${t#*:}"); done
	if [ "$what" = score-planner ]; then
		sim=$(with_flags -rule planner)
	else
		sim=$(flagged "$@")
	fi
	python3 scripts/sim_score.py "$sim" "${files[@]}"
	;;
frontiers)
	for t in "${traces[@]}"; do
		name=${t%%:*} file=${t#*:}
		"$tmp/simulate" -sweep -trace "$file" -ready-delay 10m -chart "docs/frontier-$name.svg"
	done
	;;
coarse)
	# sum k consecutive steps of a trace into one (the first timestamp)
	agg() {
		awk -F, -v k="$2" 'NR==1{print;next}{i=NR-2;if(i%k==0)t=$1;s+=$2;if(i%k==k-1){print t","s;s=0}}' "$1"
	}
	files=()
	for t in "${traces[@]}"; do
		name=${t%%:*} file=${t#*:}
		case "$file" in
		*-1min.csv) ks="10:10min 15:15min 30:30min 60:60min" ;;
		*) ks="2:10min 3:15min 6:30min 12:60min" ;;
		esac
		for km in $ks; do
			agg "$file" "${km%%:*}" >"$tmp/$name-${km#*:}.csv"
			files+=("$tmp/$name-${km#*:}.csv")
		done
	done
	python3 scripts/sim_score.py "$(flagged "$@")" "${files[@]}" || true
	;;
probes)
	mapfile -t files < <(python3 scripts/traces/synthetic.py "$tmp/probes")
	python3 scripts/sim_score.py "$(flagged "$@")" "${files[@]}" || true
	;;
esac
