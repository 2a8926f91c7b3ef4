# A pass of another account and region over the same hours (events that
# interleave in time with everything stored) dirties only its own runs of
# the dedup key and the identity indexes, not every leaf of the stored
# time range: the indexes lead with the event's stream (schema 10,
# core/stream.c, docs/ingest-scale.md).  dbstat shows which of the leaves
# that existed before the pass it changed.  Records read again, from any
# file, are still found as duplicates, also those stored before schema 10
# (under stream 0); `events` lists every event once, in time order, over
# several streams and pages.
. "$ROOT/tests/cases/lib.sh"
# ev_lines N START ACCOUNT REGION PARITY: N CloudTrail events of 50 users of
# ACCOUNT in REGION, spread over hours 08-11 of a day in time order; their
# keys are the even (PARITY 0) or odd numbers, so that two accounts' keys
# interleave in the credential index as real keys do
ev_lines() {
	awk -v n="$1" -v s="$2" -v acct="$3" -v region="$4" -v par="$5" 'BEGIN { for (i = 0; i < n; i++) {
		t = int(i * 14400 / n); k = s + i
		printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::%s:user/u%d\",\"accessKeyId\":\"AKIAKEY%013d\"},\"eventTime\":\"2025-06-03T%02d:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"%s\",\"sourceIPAddress\":\"203.0.113.%d\",\"userAgent\":\"aws-cli/2.15.0\",\"eventID\":\"%s-%012d\"}\n", acct, k % 50, 2 * ((k * 7919) % 50) + par, 8 + int(t / 3600), int(t / 60) % 60, t % 60, region, k % 250, acct, k } }'
}
leaves() { sqlite3 "$1" "SELECT pageno || ' ' || ncell || ' ' || unused FROM dbstat WHERE name = '$2' AND pagetype = 'leaf' ORDER BY pageno"; }
changed() { sort "$1" > b.s; sort "$2" > a.s; comm -23 b.s a.s | wc -l | tr -d ' '; }
ev_lines 24000 0 111122223333 us-east-1 0 > a.jsonl
ev_lines 1200 500000 444455556666 eu-west-1 1 > b.jsonl
CORDON_TEST_BATCH=100 "$CORDON" --db s.db ingest -q a.jsonl
expect_eq "$(sqlite3 s.db 'SELECT count(DISTINCT stream) FROM events')" 1 "one account and region: one stream"
for ix in events_dedup events_cred_use events_actor; do
	leaves s.db $ix > $ix.before
	[ "$(wc -l < $ix.before)" -ge 30 ] || die "$ix: too few leaves for the test ($(wc -l < $ix.before))"
done
# the other account's pass, committed every 100 events as a slow writer does
CORDON_TEST_BATCH=100 "$CORDON" --db s.db ingest -q b.jsonl
expect_eq "$(count s.db)" 25200 "events stored"
expect_eq "$(sqlite3 s.db 'SELECT count(DISTINCT stream) FROM events')" 2 "another account and region: its own stream"
for ix in events_dedup events_cred_use events_actor; do
	leaves s.db $ix > $ix.after
	n=$(changed $ix.before $ix.after)
	# the leaf where the new stream's run starts and the two a split
	# rebalances it with, at most; time-first,
	# nearly every leaf of the four hours; hour-first (schema 10), a leaf
	# and its neighbours in each hour
	echo "$ix: $n of $(wc -l < $ix.before) leaves changed" >&2
	[ "$n" -le 3 ] || die "$ix: the interleaved pass changed $n of the $(wc -l < $ix.before) leaves there before it"
done
# read again from other files: all duplicates, nothing new
cp a.jsonl a2.jsonl && cp b.jsonl b2.jsonl
"$CORDON" --db s.db ingest --format json a2.jsonl b2.jsonl > again.json
expect_eq "$(jq '[.inputs[].events] | add' again.json)" 0 "new events on a second reading"
expect_eq "$(jq '[.inputs[].duplicates] | add' again.json)" 25200 "duplicates on a second reading"
# `events` over two streams: every event once, in (time, id) order, across pages
"$CORDON" --db s.db events --limit 0 --format ndjson | jq -r '.id' > listed.new
sqlite3 s.db 'SELECT id FROM events ORDER BY ts_ns DESC, id DESC' > want.new
cmp -s listed.new want.new || die "events, newest first: not every event once in (time, id) order"
"$CORDON" --db s.db events --oldest --limit 0 --format ndjson | jq -r '.id' > listed.old
sqlite3 s.db 'SELECT id FROM events ORDER BY ts_ns, id' > want.old
cmp -s listed.old want.old || die "events --oldest: not every event once in (time, id) order"
"$CORDON" --db s.db events --limit 0 --format ndjson --since 2025-06-03T09:30:00Z --until 2025-06-03T10:00:00Z \
	source=cloudtrail | jq -r '.id' > listed.win
sqlite3 s.db "SELECT id FROM events WHERE ts_ns BETWEEN 1748943000000000000 AND 1748944800000000000 ORDER BY ts_ns DESC, id DESC" > want.win
cmp -s listed.win want.win || die "events --since --until: not the window's events in order"
[ "$(wc -l < want.win)" -gt 1000 ] || die "the window holds too few events for two pages"
"$CORDON" --db s.db events --limit 7 --format json | jq -r '.events[].id' > listed.7
head -n 7 want.new > want.7
cmp -s listed.7 want.7 || die "events --limit 7: not the newest seven"
# a store from before schema 10: its rows become stream 0 and are still
# found when read again, while new records of the same hours go in
cp s.db old.db
schema10_undo old.db
: > empty
"$CORDON" --db old.db ingest -q empty
expect_eq "$(sqlite3 old.db 'PRAGMA user_version')" $STORE_SCHEMA "migrated schema version"
expect_eq "$(sqlite3 old.db 'SELECT count(*) FROM events WHERE stream = 0')" 25200 "old rows under stream 0"
ev_lines 600 900000 444455556666 eu-west-1 1 > c.jsonl
cp a.jsonl a3.jsonl
"$CORDON" --db old.db ingest --format json a3.jsonl c.jsonl > mig.json
expect_eq "$(jq -r '.inputs[] | "\(.events) \(.duplicates)"' mig.json | tr '\n' ' ')" "0 24000 600 0 " \
	"old records found again, new ones stored"
expect_eq "$(count old.db)" 25800 "events after the migration"
"$CORDON" --db old.db events --limit 0 --format ndjson | jq -r '.id' > listed.mig
sqlite3 old.db 'SELECT id FROM events ORDER BY ts_ns DESC, id DESC' > want.mig
cmp -s listed.mig want.mig || die "events on the migrated store: not every event once in order"
# an uneven store: a few events six days after the rest, and a few more of
# another region two days before them; pages cross the empty days
ev_lines 30 700000 999900001111 ap-south-1 0 | sed 's/2025-06-03T/2025-06-09T/' > late.jsonl
ev_lines 40 800000 999900001111 sa-east-1 1 | sed 's/2025-06-03T/2025-06-07T/' > mid.jsonl
"$CORDON" --db s.db ingest -q late.jsonl mid.jsonl
"$CORDON" --db s.db events --limit 0 --format ndjson | jq -r '.id' > listed.gap
sqlite3 s.db 'SELECT id FROM events ORDER BY ts_ns DESC, id DESC' > want.gap
cmp -s listed.gap want.gap || die "events across empty days: not every event once in order"
"$CORDON" --db s.db events --limit 100 --format ndjson region=us-east-1 | jq -r '.id' > listed.reg
sqlite3 s.db "SELECT id FROM events WHERE region = 'us-east-1' ORDER BY ts_ns DESC, id DESC LIMIT 100" > want.reg
cmp -s listed.reg want.reg || die "events region=: not the newest hundred of the region behind the empty days"
"$CORDON" --db s.db events --oldest --limit 0 --format ndjson region=sa-east-1 | jq -r '.id' > listed.sa
sqlite3 s.db "SELECT id FROM events WHERE region = 'sa-east-1' ORDER BY ts_ns, id" > want.sa
cmp -s listed.sa want.sa || die "events --oldest region=: not the region's events in order"
echo "streams ok"
