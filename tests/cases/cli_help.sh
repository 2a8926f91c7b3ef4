# Every command answers --help with status 0; mistakes exit 2 and say why.
. "$ROOT/tests/cases/lib.sh"
"$CORDON" --help | grep -q "commands:" || die "cordon --help"
for c in $("$CORDON" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1} /^$/ && on {on=0}'); do
	"$CORDON" "$c" --help > h || die "$c --help"
	grep -q "usage: cordon $c" h || die "$c usage line"
	grep -q "exit status" h || die "$c exit codes undocumented"
done
set +e
"$CORDON" nosuch 2> err; rc=$?
expect_eq $rc 2 "unknown command"
grep -q "cordon --help" err || die "unknown command hint"
"$CORDON" ingest --format nosuch x 2> err; rc=$?
expect_eq $rc 2 "unknown format"
"$CORDON" ingest 2> err; rc=$?
expect_eq $rc 2 "no inputs"
set -e
"$CORDON" --version | grep -q '^cordon ' || die version
