# correlate never holds the write lock long: on a store of interleaved
# sources (CloudTrail, Falco, auditd), a full run and an incremental run
# of 60,000 new events each write in transactions the store itself timed
# under 250 ms (correlate.longest_write_us in meta, also in the summary):
# events are read and matched with no lock held.  And one run at a time:
# a run that finds another correlate holding the store says so and exits 3
# without waiting.
. "$ROOT/tests/cases/lib.sh"
GEN="$ROOT/tests/bench/gen_mixed.sh"
longest() { sqlite3 "$1" "SELECT value FROM meta WHERE key = 'correlate.longest_write_us'"; }
# the bound is the 250 ms; under the sanitizers (make check: code 2-3x
# slower, not what is shipped) three times that
BOUND=250000
[ "${SANITIZED:-0}" = 1 ] && BOUND=750000

sh "$GEN" base 200000 0 1
"$CORDON" --db t.db ingest -q base/ct.jsonl base/falco.json base/audit.log || [ $? = 1 ] || die "ingest"
set +e; "$CORDON" --db t.db correlate > c1.out 2>&1; rc=$?; set -e
[ $rc -le 1 ] || die "correlate (rc $rc): $(cat c1.out)"
grep -q "^200000 new events" c1.out || die "first run: $(head -1 c1.out)"
grep -q "longest write [0-9]* ms" c1.out || die "no longest write in the summary: $(head -1 c1.out)"
l1=$(longest t.db)
[ -n "$l1" ] || die "the store kept no longest write"
[ "$l1" -lt $BOUND ] || die "full run: a write transaction held the lock ${l1} us (the store's timing)"

sh "$GEN" new 60000 200000 2
"$CORDON" --db t.db ingest -q new/ct.jsonl new/falco.json new/audit.log || [ $? = 1 ] || die "ingest new"
set +e; "$CORDON" --db t.db correlate > c2.out 2>&1; rc=$?; set -e
[ $rc -le 1 ] || die "correlate (rc $rc): $(cat c2.out)"
grep -q "^60000 new events" c2.out || die "second run: $(head -1 c2.out)"
l2=$(longest t.db)
[ "$l2" -lt $BOUND ] || die "incremental run: a write transaction held the lock ${l2} us (the store's timing)"
# the run's result is that of one run over everything
"$CORDON" --db one.db ingest -q base/ct.jsonl base/falco.json base/audit.log new/ct.jsonl new/falco.json new/audit.log || [ $? = 1 ] || die "ingest one"
set +e; "$CORDON" --db one.db correlate > /dev/null 2>&1; set -e
expect_eq "$(sqlite3 t.db 'SELECT count(*) FROM findings')" "$(sqlite3 one.db 'SELECT count(*) FROM findings')" "findings, two runs against one"
expect_eq "$(sqlite3 t.db 'SELECT group_concat(id) FROM (SELECT id FROM incidents ORDER BY id)')" \
	"$(sqlite3 one.db 'SELECT group_concat(id) FROM (SELECT id FROM incidents ORDER BY id)')" "incidents, two runs against one"

# one correlate at a time: another holds the store (its flock), this one says
# so and exits 0 at once, having done nothing (the running one covers the events)
# (flock -o: the lock is held by flock itself, until its command ends)
rm -f release
flock -o t.db sh -c 'i=0; while [ ! -f release ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done' &
holder=$!
trap 'touch release' EXIT
i=0; while flock -n t.db true; do i=$((i + 1)); [ $i -lt 300 ] || die "lock holder"; sleep 0.1; done
set +e; timeout 30 "$CORDON" --db t.db correlate > c3.out 2>&1; rc=$?; set -e
expect_eq $rc 0 "correlate while another holds the store"
grep -q "another \`cordon correlate\` is running on this store" c3.out || die "message: $(cat c3.out)"
grep -q "new findings" c3.out && die "a run beside another did something: $(cat c3.out)"
touch release; wait $holder || die "lock holder"
set +e; "$CORDON" --db t.db correlate > c4.out 2>&1; rc=$?; set -e
expect_eq $rc 0 "correlate once the other is gone (nothing new)"
echo "correlate short writes ok"
