#!/usr/bin/env bash
# Installs what the integration tests start: Prometheus and promtool
# (Debian package prometheus), moto_server (Python package moto[server]),
# and etcd, kube-apiserver and kube-controller-manager (built from the Go
# module proxy by scripts/kube-binaries.sh into a cache directory).
# Idempotent: installs and builds only what is missing. Needs root for
# apt-get.
# The tests start the servers themselves; the systemd service the Debian
# package ships is neither needed nor started.
set -euo pipefail

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	echo "installing the Debian package prometheus"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends prometheus; then
		apt-get update
		apt-get install -y --no-install-recommends prometheus
	fi
fi
prometheus --version 2>&1 | head -1

# shellcheck source=scripts/integration-env.sh
. "$(dirname "$0")/integration-env.sh"
if [ -z "${MOTO_SERVER:-}" ]; then
	echo "installing moto[server] 5.2.1"
	python3 -m pip install --quiet 'moto[server]==5.2.1' || {
		echo "moto_server is not installed and pip could not install moto[server]==5.2.1;"
		echo "install it from a reachable index or wheel, or set MOTO_SERVER to its path"
		exit 1
	}
	. "$(dirname "$0")/integration-env.sh"
fi
echo "moto_server: $MOTO_SERVER"

bash "$(dirname "$0")/kube-binaries.sh"
