#!/bin/sh
# scripts/manpages.sh BINARY DIR - write cordon.1 and cordon-COMMAND.1 into
# DIR from the text `cordon --help` and `cordon COMMAND --help` print: the
# man page says exactly what the binary says.
set -eu
BIN=${1:?usage: manpages.sh BINARY DIR}
DIR=${2:?usage: manpages.sh BINARY DIR}
mkdir -p "$DIR"
VERSION=$("$BIN" --version | head -1 | cut -d' ' -f2)
# troff: a backslash is \e; a line starting with . or ' would be a request
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
page() { # NAME SUMMARY HELP-FILE
	up=$(printf '%s' "$1" | tr 'a-z' 'A-Z')
	{
		printf '.TH %s 1 "" "cordon %s" "cordon manual"\n' "$up" "$VERSION"
		printf '.SH NAME\n%s \\- %s\n' "$1" "$(printf '%s' "$2" | esc)"
		printf '.SH SYNOPSIS\n.nf\n'
		sed -n '/^usage:/,/^$/p' "$3" | sed 's/^usage: //; s/^       //' | esc
		printf '.fi\n.SH DESCRIPTION\n.nf\n'
		sed '1,/^$/d' "$3" | esc
		printf '.fi\n'
		if [ "$1" != cordon ]; then
			printf '.SH SEE ALSO\n\\fBcordon\\fR(1)\n'
		fi
	} > "$DIR/$1.1"
}
"$BIN" --help > "$DIR/.help"
page cordon "incident response for sandbox and container escapes" "$DIR/.help"
"$BIN" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print } on && /^$/ { exit }' |
while read -r cmd summary; do
	"$BIN" "$cmd" --help > "$DIR/.help"
	page "cordon-$cmd" "$summary" "$DIR/.help"
done
rm -f "$DIR/.help"
