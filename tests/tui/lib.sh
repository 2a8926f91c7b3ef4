# tests/tui/lib.sh - drive `cordon tui` for real under tmux (sourced by
# tests/cases/tui_*.sh): a private tmux server per case, keys sent with
# send-keys, the screen read with capture-pane.  The server is killed on
# exit, whatever happens.
#
#   tui_open W H CMD     start CMD in a W x H pane (LANG=C.UTF-8); after it
#                        exits the pane prints TUI-EXIT=rc and stty's echo flag
#   tui_keys KEY...      tmux send-keys
#   tui_screen [-e]      the pane's text (-e: with its escape sequences)
#   tui_wait TEXT [N]    until the screen holds TEXT (fixed string), N tries of
#                        0.1 s (default 300); fails the case with the screen
#   tui_wait_re RE [N]   the same for an extended regular expression
#   tui_wait_line N RE   until line N of the screen matches RE
#   tui_gone TEXT        the screen does not hold TEXT (now)
#   tui_alt              1 when the pane is in the alternate screen
#   tui_pid              the pid of the program in the pane
command -v tmux > /dev/null || die "tmux is not installed (scripts/deps.sh installs it)"
TUI_SOCK="cordon-test-$$"
TUI_T="tmux -L $TUI_SOCK"
tui_kill() {
	$TUI_T kill-server 2> /dev/null || :
	# the server goes away asynchronously: a new session must not meet it
	_i=0
	while $TUI_T has-session 2> /dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_SOCK"
}
trap 'tui_kill' EXIT
trap 'tui_kill; exit 143' TERM
trap 'tui_kill; exit 130' INT

tui_open() {
	_w=$1; _h=$2; shift 2
	tui_kill
	$TUI_T -f /dev/null new-session -d -x "$_w" -y "$_h" -e LANG=C.UTF-8 -e TERM=xterm-256color \
		"$*; echo TUI-EXIT=\$?; stty -a | tr ' ' '\\n' | grep -x -- '-*echo'; sleep 600"
	$TUI_T set-option -g status off > /dev/null
	$TUI_T resize-window -x "$_w" -y "$_h" 2> /dev/null || :
}
tui_keys() { $TUI_T send-keys "$@"; }
tui_screen() { $TUI_T capture-pane -p "$@"; }
tui_wait() {
	_i=0
	while ! tui_screen | grep -qF -- "$1"; do
		_i=$((_i + 1))
		if [ $_i -ge "${2:-300}" ]; then
			echo "--- screen:"; tui_screen
			die "screen never showed '$1'"
		fi
		sleep 0.1
	done
}
tui_wait_re() { # like tui_wait, an extended regular expression
	_i=0
	while ! tui_screen | grep -qE -- "$1"; do
		_i=$((_i + 1))
		if [ $_i -ge "${2:-300}" ]; then
			echo "--- screen:"; tui_screen
			die "screen never matched '$1'"
		fi
		sleep 0.1
	done
}
tui_wait_line() { # tui_wait_line N RE: line N of the screen matches RE
	_i=0
	while ! tui_screen | sed -n "$1p" | grep -qE -- "$2"; do
		_i=$((_i + 1))
		if [ $_i -ge 300 ]; then
			echo "--- screen:"; tui_screen
			die "line $1 never matched '$2'"
		fi
		sleep 0.1
	done
}
tui_gone() {
	if tui_screen | grep -qF -- "$1"; then
		echo "--- screen:"; tui_screen
		die "screen shows '$1'"
	fi
}
tui_alt() { $TUI_T display-message -p '#{alternate_on}'; }
tui_pid() {
	_pp=$($TUI_T display-message -p '#{pane_pid}')
	ps -o pid= --ppid "$_pp" | head -n 1 | tr -d ' '
}
