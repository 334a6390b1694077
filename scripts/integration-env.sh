# Sourced: exports the paths of the servers the drivers' integration tests
# start, where they can be found, without overriding what the caller set.
# PROMETHEUS, PROMTOOL: the Prometheus server and promtool.
# MOTO_SERVER: moto_server, which pip may put outside PATH (pyenv shims,
# ~/.local/bin).
# KUBE_BIN_DIR: the directory holding etcd, kube-apiserver and
# kube-controller-manager, where scripts/kube-binaries.sh builds them.
find_bin() {
	local name=$1 dir
	if command -v "$name" >/dev/null; then command -v "$name"; return; fi
	for dir in "${PYENV_ROOT:-$HOME/.pyenv}/shims" "$HOME/.local/bin" "$(python3 -m site --user-base 2>/dev/null)/bin"; do
		if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
	done
}
: "${PROMETHEUS:=$(find_bin prometheus)}"
: "${PROMTOOL:=$(find_bin promtool)}"
: "${MOTO_SERVER:=$(find_bin moto_server)}"
if [ -z "${KUBE_BIN_DIR:-}" ]; then
	kube_dir=${XDG_CACHE_HOME:-$HOME/.cache}/shadowscale/kube-v1.37.2-etcd-v3.6.7
	if [ -x "$kube_dir/etcd" ] && [ -x "$kube_dir/kube-apiserver" ] && [ -x "$kube_dir/kube-controller-manager" ]; then
		KUBE_BIN_DIR=$kube_dir
	fi
	unset kube_dir
fi
export PROMETHEUS PROMTOOL MOTO_SERVER
[ -z "${KUBE_BIN_DIR:-}" ] || export KUBE_BIN_DIR
[ -n "$PROMETHEUS" ] || unset PROMETHEUS
[ -n "$PROMTOOL" ] || unset PROMTOOL
[ -n "$MOTO_SERVER" ] || unset MOTO_SERVER
