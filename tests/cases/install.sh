# make install's script into a staging DESTDIR: the binary, a man page per
# command (the same text as --help, valid for man(1)), bash and zsh
# completion that know every command; --version names the linked libraries.
. "$ROOT/tests/cases/lib.sh"
D="$TMP/stage"
PREFIX=/usr DESTDIR="$D" sh "$ROOT/scripts/install.sh" "$CORDON" > out || die "install: $(cat out)"
[ -x "$D/usr/bin/cordon" ] || die "no binary"
"$D/usr/bin/cordon" --version > v
grep -q '^cordon ' v && grep -q 'sqlite' v && grep -q 'libcurl' v || die "--version: $(cat v)"
for c in $("$CORDON" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'); do
	m="$D/usr/share/man/man1/cordon-$c.1"
	[ -f "$m" ] || die "no man page for $c"
	# the page holds the --help text: its usage line and every option
	for o in $("$CORDON" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$m" || grep -qF -- "$o" "$m" || die "$c man page lacks $o"
	done
	grep -q "^\.SH SYNOPSIS" "$m" || die "$c man page has no synopsis"
	grep -q "^[[:space:]]$c) " "$D/usr/share/bash-completion/completions/cordon" || die "bash completion lacks $c"
	grep -q "^[[:space:]]$c) " "$D/usr/share/zsh/site-functions/_cordon" || die "zsh completion lacks $c"
done
[ -f "$D/usr/share/man/man1/cordon.1" ] || die "no cordon.1"
if command -v man > /dev/null 2>&1; then
	MANWIDTH=80 man -l "$D/usr/share/man/man1/cordon-events.1" 2> manerr | grep -q "cordon events" || die "man cannot render: $(cat manerr)"
fi
bash -n "$D/usr/share/bash-completion/completions/cordon" || die "bash completion does not parse"
# the completion completes: commands, then a command's options
out=$(bash -c ". '$D/usr/share/bash-completion/completions/cordon'; COMP_WORDS=(cordon ev); COMP_CWORD=1; _cordon; echo \${COMPREPLY[*]}")
expect_eq "$out" "events" "bash completes a command"
out=$(bash -c ". '$D/usr/share/bash-completion/completions/cordon'; COMP_WORDS=(cordon events --lim); COMP_CWORD=2; _cordon; echo \${COMPREPLY[*]}")
expect_eq "$out" "--limit" "bash completes an option"
