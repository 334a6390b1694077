#!/usr/bin/env bash
# Regenerates the deepcopy code and the CRD into a scratch directory and
# fails, naming the file, when either differs from the committed one.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go tool controller-gen object paths=./api/... output:object:dir="$tmp"
go tool controller-gen crd paths=./api/... output:crd:artifacts:config="$tmp"
status=0
for pair in "api/v1alpha1/zz_generated.deepcopy.go $tmp/zz_generated.deepcopy.go" \
	"config/crd/shadowscale.io_predictivescalers.yaml $tmp/shadowscale.io_predictivescalers.yaml"; do
	set -- $pair
	if ! diff -u "$1" "$2"; then
		echo "operator: $1 is not current: run make -C operator generate" >&2
		status=1
	fi
done
exit $status
