# Sourced: exports the paths of the servers the drivers' integration tests
# start, where they can be found, without overriding what the caller set.
# PROMETHEUS, PROMTOOL: the Prometheus server and promtool.
# MOTO_SERVER: moto_server, which pip may put outside PATH (pyenv shims,
# ~/.local/bin).
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
export PROMETHEUS PROMTOOL MOTO_SERVER
[ -n "$PROMETHEUS" ] || unset PROMETHEUS
[ -n "$PROMTOOL" ] || unset PROMTOOL
[ -n "$MOTO_SERVER" ] || unset MOTO_SERVER
