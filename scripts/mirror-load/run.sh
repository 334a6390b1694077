#!/usr/bin/env bash
# Load test: shadowscale's httptee against nginx's mirror module on
# loopback, with a healthy, a slow (2 s) and a refusing shadow.
# Needs wrk and nginx (Debian: apt-get install -y wrk nginx) and Go.
# Traffic goes only to 127.0.0.1; each wrk run is bounded by DURATION.
# Not part of CI. Usage: [ROUNDS=3] scripts/mirror-load/run.sh [DURATION] [CONNECTIONS]
# Scenarios are interleaved and repeated ROUNDS times; the summary gives
# medians, because other load on the machine moves single runs a lot.
set -euo pipefail
DURATION=${1:-5s}
CONNS=${2:-32}
ROUNDS=${ROUNDS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx/logs/nginx.pid" ] && kill "$(cat "$WORK/nginx/logs/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for t in wrk nginx go curl; do command -v $t >/dev/null || { echo "run.sh: $t not found" >&2; exit 1; }; done

(cd "$ROOT/scripts/mirror-load" && go build -o "$WORK/backend" backend.go)
(cd "$ROOT" && go build -o "$WORK/httptee" ./examples/httptee)

start() { "$@" >>"$WORK/procs.log" 2>&1 & PIDS+=($!); }
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://$1/" && return 0; sleep 0.1; done; echo "no server on $1" >&2; exit 1; }

start "$WORK/backend" -listen 127.0.0.1:9001               # primary
start "$WORK/backend" -listen 127.0.0.1:9002               # healthy shadow
start "$WORK/backend" -listen 127.0.0.1:9003 -delay 2s     # slow shadow
# 127.0.0.1:9004: nothing listens (refusing shadow)
wait_port 127.0.0.1:9001; wait_port 127.0.0.1:9002

RESULTS="$WORK/results.txt"
echo "name|rps|p99ms" >"$RESULTS.raw"
to_ms() { # wrk duration (us, ms, s, m) -> milliseconds
  awk -v d="$1" 'BEGIN { v = d + 0; if (d ~ /us$/) v /= 1000; else if (d ~ /ms$/) v = v; else if (d ~ /m$/) v *= 60000; else if (d ~ /s$/) v *= 1000; print v }'
}
bench() { # name url
  local out; out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 10s --latency "$2")
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  printf "%-34s %10s req/s  p50 %8s  p99 %8s  %s\n" "$1" "$rps" "$p50" "$p99" "${errs:-no errors}" | tee -a "$RESULTS"
  printf "%s|%s|%s\n" "$1" "$rps" "$(to_ms "$p99")" >>"$RESULTS.raw"
}

tee_run() { # name sample shadow-port
  start "$WORK/httptee" -listen 127.0.0.1:8080 -primary http://127.0.0.1:9001 \
    -shadow "http://127.0.0.1:$3" -sample "$2" -stats-interval 1h -key load-test-key-0123456789
  local pid=${PIDS[-1]}
  wait_port 127.0.0.1:8080
  bench "$1" http://127.0.0.1:8080/
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

nginx_run() { # name shadow-port mirror-location
  mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
  SHADOW_PORT=$2 MIRROR_LOCATION=$3 envsubst '${SHADOW_PORT} ${MIRROR_LOCATION}' \
    <"$HERE/nginx.conf" >"$WORK/nginx/nginx.conf"
  nginx -p "$WORK/nginx/" -c nginx.conf
  wait_port 127.0.0.1:8081
  bench "$1" http://127.0.0.1:8081/
  nginx -p "$WORK/nginx/" -c nginx.conf -s stop 2>/dev/null
  for _ in $(seq 50); do [ -f "$WORK/nginx/logs/nginx.pid" ] || break; sleep 0.1; done
}

echo "wrk -t2 -c$CONNS -d$DURATION against loopback, $ROUNDS interleaved rounds; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$RESULTS"
for round in $(seq "$ROUNDS"); do
  tee_run   "httptee sample=0 (baseline)"      0   9002
  tee_run   "httptee 10% healthy shadow"       0.1 9002
  tee_run   "httptee 10% slow shadow (2s)"     0.1 9003
  tee_run   "httptee 10% refusing shadow"      0.1 9004
  tee_run   "httptee 100% slow shadow (2s)"    1   9003
  nginx_run "nginx no mirror (baseline)"       9002 off
  nginx_run "nginx mirror healthy shadow"      9002 /mirror
  nginx_run "nginx mirror slow shadow (2s)"    9003 /mirror
done
echo
echo "median over $ROUNDS rounds (req/s, p99 in ms), ratio to the same proxy's baseline:"
awk -F'|' 'NR > 1 {
  name = $1; rps[name] = rps[name] " " $2; p99[name] = p99[name] " " $3
  if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(list,   a, k, i, j, t) {
  k = split(list, a, " ")
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
  for (i = 1; i <= n; i++) {
    name = order[i]; r = median(rps[name]); q = median(p99[name])
    if (name ~ /baseline/) base = r
    printf "%-34s %9.0f req/s  p99 %8.1f ms  x%.3f of baseline\n", name, r, q, r / base
  }
}' "$RESULTS.raw"
