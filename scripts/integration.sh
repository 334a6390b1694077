#!/usr/bin/env bash
# Runs the drivers' integration tests (build tag integration). The tests
# start their own servers on free loopback ports and stop them: a real
# Prometheus fed by promtool, and moto_server for EC2 Auto Scaling. Install
# them with scripts/integration-deps.sh. With CI=true a missing server fails
# the run; otherwise those tests skip and say why.
#
# Like the drivers' unit tests, they run without the race detector: the
# drivers start no goroutine, and compiling the SDKs with -race is slow.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/integration-env.sh
echo "prometheus: ${PROMETHEUS:-missing}  promtool: ${PROMTOOL:-missing}  moto_server: ${MOTO_SERVER:-missing}"
# The driver modules that have integration tests.
mods=()
for d in $(go list -f '{{.Dir}}' -m | grep '/drivers/'); do
	if grep -rqs --include='*_test.go' '^//go:build integration' "$d"; then mods+=("$d"); fi
done
for d in "${mods[@]}"; do (cd "$d" && go vet -tags integration ./...); done
go test -count=1 -tags integration -run Integration $(for d in "${mods[@]}"; do echo "$d/..."; done)
