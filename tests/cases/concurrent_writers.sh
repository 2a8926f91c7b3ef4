# concurrent_writers.sh - an `ingest --follow` running for the whole
# incident does not lock the store: between its batches another ingest and
# `cordon correlate` (from cron) write beside it, and the follower goes on
# picking up new lines afterwards.
. "$ROOT/tests/cases/lib.sh"
S="$ROOT/tests/scenarios/S2"
wait_count() { # wait_count DB N: poll until the store holds at least N events (10 s)
	i=0
	while [ $i -lt 100 ]; do
		n=$(count "$1" 2>/dev/null || echo 0)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	die "waited for $2 events, have $n"
}
ct_lines 10 0 > live.jsonl
"$CORDON" --db t.db ingest -q --follow live.jsonl &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_count t.db 10
# another writer while the follower runs: a whole scenario, then correlate
"$CORDON" --db t.db ingest -q "$S/inventory" "$S/benign" "$S/attack" || die "second ingest beside a follower"
set +e; "$CORDON" --db t.db correlate --format json > inc.json; rc=$?; set -e
expect_eq $rc 1 "correlate beside a follower (an incident opens)"
jq -e '.incidents | length == 1' inc.json > /dev/null || die "no incident: $(cat inc.json)"
# the follower still works afterwards, and correlate sees its events
before=$(count t.db)
ct_lines 5 10 >> live.jsonl
wait_count t.db $((before + 5))
set +e; "$CORDON" --db t.db correlate > out; rc=$?; set -e
expect_eq $rc 0 "a later correlate with only benign news"
grep -q "^5 new events" out || die "correlate did not see the follower's events: $(cat out)"
kill -TERM $pid
wait $pid; rc=$?
expect_eq $rc 0 "follower exit after SIGTERM"
echo "concurrent writers ok"
