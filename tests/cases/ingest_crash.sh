# A SIGKILL in the middle of an ingest, then a rerun: exactly the events of
# an uninterrupted run (same count, same records), none lost, none doubled.
# The kill is placed deterministically with the fault-injection hook
# (CORDON_TEST_KILL_AT: the process SIGKILLs itself at its Nth event, with
# commits every CORDON_TEST_BATCH events), so it lands mid-ingest on any
# machine; a last case kills from outside with kill -9 at a random moment.
. "$ROOT/tests/cases/lib.sh"
n=30000
ct_lines $n 0 > big.jsonl
jq -s '{Records: .}' big.jsonl > big-wrapped.json
for f in big.jsonl big-wrapped.json; do
	rm -f clean.db* crash.db*
	timeout 300 "$CORDON" --db clean.db ingest -q "$f"
	want=$(count clean.db)
	expect_eq "$want" $n "clean run of $f"
	for at in 7777 23456; do
		rm -f crash.db*
		set +e
		CORDON_TEST_BATCH=1000 CORDON_TEST_KILL_AT=$at "$CORDON" --db crash.db ingest -q "$f"
		rc=$?
		set -e
		expect_eq $rc 137 "$f: killed at event $at"
		part=$(sqlite3 crash.db 'SELECT count(*) FROM events')
		[ "$part" -gt 0 ] && [ "$part" -lt $at ] || die "$f: $part events after a kill at $at"
		echo "$f: killed at event $at with $part committed; rerunning"
		timeout 300 "$CORDON" --db crash.db ingest -q "$f"
		expect_eq "$(count crash.db)" "$want" "$f after rerun"
		sqlite3 clean.db 'SELECT ref, offset FROM events ORDER BY ref' > a
		sqlite3 crash.db 'SELECT ref, offset FROM events ORDER BY ref' > b
		cmp a b || die "$f: different records after crash and rerun"
		expect_eq "$(sqlite3 crash.db 'PRAGMA integrity_check')" ok "integrity"
	done
done
# from outside: kill -9 whenever it lands; the rerun must still be exact
rm -f crash.db*
"$CORDON" --db crash.db ingest -q big.jsonl &
pid=$!
sleep 0.3
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
timeout 300 "$CORDON" --db crash.db ingest -q big.jsonl
expect_eq "$(count crash.db)" $n "after an outside kill -9"
