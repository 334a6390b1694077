#!/usr/bin/env bash
# CPU cost of mirroring: httptee at 10% against a plain
# httputil.ReverseProxy (plainproxy.go, same transport and server settings),
# both in front of the same loopback primary, the tee copying to a healthy
# loopback shadow. wrk drives one proxy at a time, alternating in ROUNDS
# rounds; for each run the proxy process's CPU time (utime + stime from
# /proc/PID/stat) is divided by the requests wrk completed. The summary is
# the median over rounds of the per-round ratio tee/plain.
# With RATE set, the load comes from rate.go at that many requests per
# second instead of wrk at saturation: both proxies then serve the same
# offered load, so scheduling and batching effects of different
# throughputs do not enter the ratio.
# With BASE_TEE set to another httptee binary (an older build), that
# binary at the same -sample replaces the plain proxy as the baseline, to
# compare two builds of the tee; SAMPLE=1 then shows the cost of a copy
# ten times larger than at 10%.
# Needs wrk (Debian: apt-get install -y wrk) and Go. Loopback only.
# Usage: [ROUNDS=7] [SAMPLE=0.1] [RATE=2000] [BASE_TEE=path] scripts/mirror-load/cpu.sh [DURATION] [CONNECTIONS]
set -euo pipefail
DURATION=${1:-5s}
CONNS=${2:-16}
ROUNDS=${ROUNDS:-7}
SAMPLE=${SAMPLE:-0.1}
RATE=${RATE:-}
BASE_TEE=${BASE_TEE:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for t in wrk go curl; do command -v $t >/dev/null || { echo "cpu.sh: $t not found" >&2; exit 1; }; done

(cd "$HERE" && go build -o "$WORK/backend" backend.go && go build -o "$WORK/plainproxy" plainproxy.go && go build -o "$WORK/rate" rate.go)
(cd "$ROOT" && go build -o "$WORK/httptee" ./examples/httptee)

start() { "$@" >>"$WORK/procs.log" 2>&1 & PIDS+=($!); }
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://$1/" && return 0; sleep 0.1; done; echo "no server on $1" >&2; exit 1; }

start "$WORK/backend" -listen 127.0.0.1:19001 # primary
start "$WORK/backend" -listen 127.0.0.1:19002 # healthy shadow
wait_port 127.0.0.1:19001; wait_port 127.0.0.1:19002
start "$WORK/httptee" -listen 127.0.0.1:18080 -primary http://127.0.0.1:19001 \
  -shadow http://127.0.0.1:19002 -sample "$SAMPLE" -stats-interval 1h -key cpu-load-test-key-0123456789
TEE_PID=${PIDS[-1]}
if [ -n "$BASE_TEE" ]; then
  start "$BASE_TEE" -listen 127.0.0.1:18081 -primary http://127.0.0.1:19001 \
    -shadow http://127.0.0.1:19002 -sample "$SAMPLE" -stats-interval 1h -key cpu-load-test-key-0123456789
  BASE_NAME="base tee"
else
  start "$WORK/plainproxy" -listen 127.0.0.1:18081 -primary http://127.0.0.1:19001
  BASE_NAME="plain ReverseProxy"
fi
PLAIN_PID=${PIDS[-1]}
wait_port 127.0.0.1:18080; wait_port 127.0.0.1:18081

TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime
run() { # pid url -> "requests ticks"
  local before after out reqs
  before=$(cpu_ticks "$1")
  if [ -n "$RATE" ]; then
    out=$("$WORK/rate" -url "$2" -rate "$RATE" -duration "$DURATION" -conns "$CONNS")
    reqs=$(awk '{ print $1 }' <<<"$out")
    if ! grep -q ' 0 errors' <<<"$out"; then echo "cpu.sh: errors in run against $2: $out" >&2; exit 1; fi
  else
    out=$(wrk -t1 -c"$CONNS" -d"$DURATION" "$2")
    reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "cpu.sh: errors in wrk run against $2:" >&2; echo "$out" >&2; exit 1; fi
  fi
  after=$(cpu_ticks "$1")
  echo "$reqs $((after - before))"
}
us_per_req() { awk -v r="$1" -v t="$2" -v k="$TCK" 'BEGIN { printf "%.2f", t / k * 1e6 / r }'; }

# Warm up both (connections, page cache, CPU frequency).
run "$TEE_PID" http://127.0.0.1:18080/ >/dev/null
run "$PLAIN_PID" http://127.0.0.1:18081/ >/dev/null

if [ -n "$RATE" ]; then LOAD="rate.go -rate $RATE -conns $CONNS -duration $DURATION"; else LOAD="wrk -t1 -c$CONNS -d$DURATION"; fi
echo "$LOAD, httptee -sample $SAMPLE vs $BASE_NAME, $ROUNDS rounds; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
RATIOS=()
for round in $(seq "$ROUNDS"); do
  # Alternate which proxy goes first, so that drifts in machine load hit both alike.
  if ((round % 2)); then
    read -r rt ct < <(run "$TEE_PID" http://127.0.0.1:18080/)
    read -r rp cp < <(run "$PLAIN_PID" http://127.0.0.1:18081/)
  else
    read -r rp cp < <(run "$PLAIN_PID" http://127.0.0.1:18081/)
    read -r rt ct < <(run "$TEE_PID" http://127.0.0.1:18080/)
  fi
  ut=$(us_per_req "$rt" "$ct"); up=$(us_per_req "$rp" "$cp")
  ratio=$(awk -v a="$ut" -v b="$up" 'BEGIN { printf "%.3f", a / b }')
  RATIOS+=("$ratio")
  printf "round %d: tee %s us/req (%s req), base %s us/req (%s req), ratio %s\n" "$round" "$ut" "$rt" "$up" "$rp" "$ratio"
done
printf "%s\n" "${RATIOS[@]}" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "median CPU per request, tee/base: %.3f (min %.3f, max %.3f)\n", m, a[1], a[NR] }'
# The tee prints its shadow stats on shutdown: proof that copies were sent.
kill -TERM "$TEE_PID"; wait "$TEE_PID" 2>/dev/null || true
grep '^stats ' "$WORK/procs.log" | tail -1
