#!/bin/sh
# scripts/install.sh BINARY - `make install`: the binary, a man page per
# command and bash/zsh completion, all generated from the binary's own
# --help text so they cannot drift from it.
#   PREFIX (default /usr/local) and DESTDIR (staging root) as usual.
set -eu
BIN=${1:?usage: install.sh BINARY}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/cordon-install.XXXXXX")
trap 'rm -rf "$OUT"' EXIT INT TERM
sh "$ROOT/scripts/manpages.sh" "$BIN" "$OUT/man"
sh "$ROOT/scripts/completion.sh" "$BIN" bash > "$OUT/cordon.bash"
sh "$ROOT/scripts/completion.sh" "$BIN" zsh > "$OUT/_cordon"
install -d "$DESTDIR$PREFIX/bin" "$DESTDIR$PREFIX/share/man/man1" \
	"$DESTDIR$PREFIX/share/bash-completion/completions" "$DESTDIR$PREFIX/share/zsh/site-functions"
install -m 0755 "$BIN" "$DESTDIR$PREFIX/bin/cordon"
install -m 0644 "$OUT"/man/*.1 "$DESTDIR$PREFIX/share/man/man1/"
install -m 0644 "$OUT/cordon.bash" "$DESTDIR$PREFIX/share/bash-completion/completions/cordon"
install -m 0644 "$OUT/_cordon" "$DESTDIR$PREFIX/share/zsh/site-functions/_cordon"
echo "installed cordon $("$BIN" --version | head -1 | cut -d' ' -f2) under $DESTDIR$PREFIX"
