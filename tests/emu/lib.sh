# tests/emu/lib.sh - start and drive the loopback provider emulators from a
# POSIX sh test case (sourced).  See tests/emu/README.md.
#
#   emu_start NAME DIR [ARGS...]   start tests/emu/NAME.py, wait for its port
#   emu_ctl NAME METHOD PATH [JSON] call its control plane (/__emu/PATH)
#   emu_stop NAME | emu_stop_all   stop it / all of them (SIGTERM, by pid)
#
# After emu_start: EMU_PORT, EMU_URL, EMU_PID (last started) and
# EMU_<NAME>_PORT, _URL, _PID, _CA (https only), _TLS, _LOG.

EMU_DIR=${EMU_DIR:-$(cd "$(dirname "${ROOT:-.}/tests/emu/lib.sh")" && pwd)}
[ -f "$EMU_DIR/emu_common.py" ] || EMU_DIR="$ROOT/tests/emu"
EMU_PY=${EMU_PY:-/usr/bin/python3}
EMU_PIDS=${EMU_PIDS:-}
EMU_TRAPPED=${EMU_TRAPPED:-}

_emu_up() { echo "$1" | tr 'a-z-' 'A-Z_'; }
_emu_get() { eval "printf '%s' \"\${$1:-}\""; }

emu_stop_all() {
	for _p in $EMU_PIDS; do
		kill -TERM "$_p" 2>/dev/null || :
	done
	for _p in $EMU_PIDS; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 50 ]; do
			sleep 0.1; _i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null || :
	done
	EMU_PIDS=""
}

emu_stop() {
	_u=$(_emu_up "$1")
	_p=$(_emu_get "EMU_${_u}_PID")
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null || :
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	_rest=""
	for _q in $EMU_PIDS; do [ "$_q" = "$_p" ] || _rest="$_rest $_q"; done
	EMU_PIDS=$_rest
	eval "EMU_${_u}_PID="
}

_emu_exit() {
	emu_stop_all
	[ -z "${EMU_ON_EXIT:-}" ] || eval "$EMU_ON_EXIT"
}

emu_start() {
	_name=$1; _dir=$2; shift 2
	_u=$(_emu_up "$_name")
	mkdir -p "$_dir"
	_pf="$_dir/$_name.port"
	rm -f "$_pf"
	_tls=""
	case " $* " in *" --tls-dir "*) _tls=1 ;; esac
	if [ "$_name" = k8s ] && [ -z "$_tls" ]; then
		set -- --tls-dir "$_dir/$_name-tls" "$@"
		_tls=1
	fi
	_ca=""
	if [ -n "$_tls" ]; then
		case " $* " in
		*" --ca-out "*) _ca=$(echo " $* " | sed 's/.* --ca-out \([^ ]*\) .*/\1/') ;;
		*) _ca="$_dir/$_name-ca.crt"; set -- "$@" --ca-out "$_ca" ;;
		esac
	fi
	if [ -z "$EMU_TRAPPED" ]; then
		trap '_emu_exit' EXIT
		trap 'exit 143' TERM
		trap 'exit 130' INT
		EMU_TRAPPED=1
	fi
	# started from a subshell, so it is not a job of the caller's shell (a bare
	# `wait` in a case must not wait for it); it exits when this shell dies
	_pid=$("$EMU_PY" "$EMU_DIR/$_name.py" --port-file "$_pf" --watch-pid $$ "$@" \
		2> "$_dir/$_name.log" > /dev/null < /dev/null & echo $!)
	EMU_PIDS="$EMU_PIDS $_pid"
	_i=0
	while [ ! -s "$_pf" ]; do
		if ! kill -0 "$_pid" 2>/dev/null || [ $_i -ge 200 ]; then
			echo "emu_start: $_name did not start (log follows)" >&2
			sed 's/^/  /' "$_dir/$_name.log" >&2
			return 1
		fi
		sleep 0.05; _i=$((_i + 1))
	done
	_port=$(cat "$_pf")
	_scheme=http
	[ -z "$_tls" ] || _scheme=https
	EMU_PORT=$_port
	EMU_URL="$_scheme://127.0.0.1:$_port"
	EMU_PID=$_pid
	eval "EMU_${_u}_PORT=\$_port; EMU_${_u}_URL=\$EMU_URL; EMU_${_u}_PID=\$_pid"
	eval "EMU_${_u}_CA=\$_ca; EMU_${_u}_LOG=\$_dir/\$_name.log"
	if [ -n "$_tls" ]; then
		_td=$(echo " $* " | sed 's/.* --tls-dir \([^ ]*\) .*/\1/')
		eval "EMU_${_u}_TLS=\$_td"
	fi
	export EMU_PORT EMU_URL EMU_PID "EMU_${_u}_PORT" "EMU_${_u}_URL" "EMU_${_u}_PID" "EMU_${_u}_CA"
	return 0
}

emu_ctl() {
	_u=$(_emu_up "$1"); _m=$2; _path=$3
	_url=$(_emu_get "EMU_${_u}_URL")
	_ca=$(_emu_get "EMU_${_u}_CA")
	[ -n "$_url" ] || { echo "emu_ctl: $1 not started" >&2; return 2; }
	case "$_path" in /__emu/*) ;; /*) _path="/__emu$_path" ;; *) _path="/__emu/$_path" ;; esac
	if [ $# -ge 4 ]; then
		_body=$4
		set -- -sS --fail-with-body --max-time 30 -X "$_m" -H 'Content-Type: application/json' --data-binary "$_body"
	else
		set -- -sS --fail-with-body --max-time 30 -X "$_m"
	fi
	[ -z "$_ca" ] || set -- "$@" --cacert "$_ca"
	# an emulator started with --require-client-cert needs one
	_td=$(_emu_get "EMU_${_u}_TLS")
	[ -z "$_td" ] || [ ! -f "$_td/client.crt" ] || set -- "$@" --cert "$_td/client.crt" --key "$_td/client.key"
	curl "$@" "$_url$_path"
}

# emu_kubeconfig FILE TOKEN: a kubeconfig for the running k8s emulator
# (its CA, a bearer token), as a responder's would be.
emu_kubeconfig() {
	cat > "$1" <<YAML
apiVersion: v1
clusters:
- cluster:
    server: $EMU_K8S_URL
    certificate-authority: $EMU_K8S_CA
  name: emu
contexts:
- context:
    cluster: emu
    user: admin
  name: ctx
current-context: ctx
users:
- name: admin
  user:
    token: $2
YAML
}
