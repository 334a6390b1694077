#!/usr/bin/env bash
# Runs the integration tests (build tag integration) of every module that
# has them: the drivers against a real Prometheus (fed by promtool) and
# moto_server for EC2 Auto Scaling, and the operator and the Kubernetes
# driver against a real etcd, kube-apiserver and kube-controller-manager
# (built by scripts/kube-binaries.sh). The tests start their own servers on
# free loopback ports and stop them. scripts/integration-deps.sh installs
# and builds what they need. With CI=true a missing server fails the run;
# otherwise those tests skip and say why.
#
# The drivers run without the race detector: they start no goroutine, and
# compiling the SDKs with -race is slow. The operator's tests run with it:
# the control plane harness and its fake kubelet do start goroutines.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/integration-env.sh
echo "prometheus: ${PROMETHEUS:-missing}  promtool: ${PROMTOOL:-missing}  moto_server: ${MOTO_SERVER:-missing}  kube binaries: ${KUBE_BIN_DIR:-missing}"
# The modules that have integration tests (a module's directory holds the
# modules nested in it too: their files are theirs).
all=$(go list -f '{{.Dir}}' -m)
mods=()
for d in $all; do
	files=$(grep -rls --include='*_test.go' '^//go:build integration' "$d" || true)
	for o in $all; do
		if [[ $o != "$d" && $o == "$d"/* ]]; then files=$(grep -v "^$o/" <<<"$files" || true); fi
	done
	if [ -n "$files" ]; then mods+=("$d"); fi
done
plain=() race=()
for d in "${mods[@]}"; do
	(cd "$d" && go vet -tags integration ./...)
	case $d in
	*/operator) race+=("$d/...") ;;
	*) plain+=("$d/...") ;;
	esac
done
if [ ${#plain[@]} -gt 0 ]; then go test -count=1 -tags integration -run Integration "${plain[@]}"; fi
if [ ${#race[@]} -gt 0 ]; then go test -race -count=1 -timeout 20m -tags integration -run Integration "${race[@]}"; fi
