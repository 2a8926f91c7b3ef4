# A reader (whois, reach, events) of a live store (a -wal beside it: a
# follower or another command has it open) opens it once through SQLite:
# the connection that probed the store before anything is read goes on as
# the reader's own.  Opening it twice read the schema and the WAL index
# again, a third of a `whois` (17 ms of CPU against 23), and under a
# live incident's load a query's wall time is mostly its CPU time.  What
# the reader prints is the same as from a store at rest (opened by the
# probe's immutable look, then by SQLite).
. "$ROOT/tests/cases/lib.sh"
if ! command -v strace >/dev/null 2>&1; then
	echo "skipped: strace is not installed (the test counts the store's opens)"
	exit 0
fi
GEN="$ROOT/tests/bench/gen_mixed.sh"
K=AKIAMIXED00000000011
sh "$GEN" g 3000 0 1
"$CORDON" --db live.db ingest -q g/ct.jsonl g/falco.json g/audit.log || [ $? = 1 ] || die "ingest"
rm -f live.db-wal live.db-shm
"$CORDON" --db live.db whois --format json $K > rest.json
# the SQLite opens of the store file itself (the header checks before
# them open it O_NONBLOCK)
# (LeakSanitizer cannot run under ptrace: a sanitized build skips it here)
opens() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -e trace=openat -o st.txt "$CORDON" --db live.db "$@" > out.txt || true
	grep 'live\.db"' st.txt | grep -vc O_NONBLOCK; }
[ -f live.db-wal ] || sqlite3 live.db 'SELECT 1' > /dev/null
[ -f live.db-wal ] || die "the store has no -wal: not the live case"
expect_eq "$(opens whois --format json $K)" 1 "whois: opens of the store"
cmp -s out.txt rest.json || die "whois on the live store differs: $(diff rest.json out.txt | head -5)"
expect_eq "$(opens events cred_id=$K --limit 5)" 1 "events: opens of the store"
expect_eq "$(opens reach $K)" 1 "reach: opens of the store"
# a store at rest is still probed immutable first: nothing of it changes
# when it is not cordon's
printf 'SQLite format 3\000' > foreign.db; head -c 4000 /dev/zero >> foreign.db
set +e; "$CORDON" --db foreign.db whois $K 2> err.txt; rc=$?; set -e
[ $rc = 2 ] || die "a foreign file: exit $rc"
[ ! -e foreign.db-wal ] && [ ! -e foreign.db-shm ] || die "a refused file got a companion"
echo "reader opens once ok"
