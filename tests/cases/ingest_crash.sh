# kill -9 in the middle of an ingest, then a rerun: exactly the events of an
# uninterrupted run (same count, same records), none lost, none doubled.
. "$ROOT/tests/cases/lib.sh"
ct_lines 80000 0 > big.jsonl
jq -s '{Records: .}' big.jsonl > big-wrapped.json
for f in big.jsonl big-wrapped.json; do
	rm -f clean.db* crash.db*
	timeout 300 "$CORDON" --db clean.db ingest -q "$f"
	want=$(count clean.db)
	expect_eq "$want" 80000 "clean run of $f"
	# kill at growing delays until the kill lands mid-ingest
	landed=0
	for delay in 0.2 0.4 0.7 1 1.5 2.5 4; do
		rm -f crash.db*
		"$CORDON" --db crash.db ingest -q "$f" &
		pid=$!
		sleep $delay
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		part=$(sqlite3 crash.db 'SELECT count(*) FROM events' 2>/dev/null || echo 0)
		if [ "$part" -gt 0 ] && [ "$part" -lt "$want" ]; then landed=1; break; fi
	done
	[ $landed = 1 ] || die "$f: could not kill mid-ingest (last count $part)"
	echo "$f: killed with $part of $want stored; rerunning"
	timeout 300 "$CORDON" --db crash.db ingest -q "$f"
	expect_eq "$(count crash.db)" "$want" "$f after rerun"
	sqlite3 clean.db 'SELECT ref FROM events ORDER BY ref' > a
	sqlite3 crash.db 'SELECT ref FROM events ORDER BY ref' > b
	cmp a b || die "$f: different records after crash and rerun"
	expect_eq "$(sqlite3 crash.db 'PRAGMA integrity_check')" ok "integrity"
done
