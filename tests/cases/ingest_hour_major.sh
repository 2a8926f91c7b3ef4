# A later pass of events dirties only its own hour's leaves of the identity
# indexes (credential use, actor), not the leaf at the end of every active
# identity's run in the whole store: the indexes are hour-major (schema 8,
# docs/ingest-scale.md).  dbstat shows which of the leaves that existed before
# the pass it changed.  Lookups by identity still use the indexes (skip-scan
# over the hours, the query plans say so), on a new store and on one migrated
# from schema 7, and `whois` says the same on both.
. "$ROOT/tests/cases/lib.sh"
# ev_lines N START HOUR: N CloudTrail events of 50 keys and users in HOUR of a day
ev_lines() {
	awk -v n="$1" -v s="$2" -v h="$3" 'BEGIN { for (i = s; i < s + n; i++)
		printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/u%d\",\"accessKeyId\":\"AKIAEXAMPLE%09d\"},\"eventTime\":\"2025-06-03T%02d:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.%d\",\"userAgent\":\"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12 prompt/off command/s3.ls\",\"eventID\":\"00000000-0000-4000-8000-%012d\"}\n", i % 50, i % 50, h, (i / 60) % 60, i % 60, i % 250, i }'
}
# leaves DB INDEX: each leaf page of INDEX with what it holds
leaves() { sqlite3 "$1" "SELECT pageno || ' ' || ncell || ' ' || unused FROM dbstat WHERE name = '$2' AND pagetype = 'leaf' ORDER BY pageno"; }
# changed BEFORE AFTER: leaves of BEFORE (existing before the pass) that differ in AFTER
changed() { sort "$1" > b.s; sort "$2" > a.s; comm -23 b.s a.s | wc -l | tr -d ' '; }
ev_lines 15000 0 10 > base.jsonl
ev_lines 500 100000 12 > later.jsonl
# one transaction per 100 events, as a slow writer commits
CORDON_TEST_BATCH=100 "$CORDON" --db new.db ingest -q base.jsonl
for ix in events_cred_use events_actor; do
	leaves new.db $ix > $ix.before
	[ "$(wc -l < $ix.before)" -ge 10 ] || die "$ix: too few leaves for the test ($(wc -l < $ix.before))"
done
CORDON_TEST_BATCH=100 "$CORDON" --db new.db ingest -q later.jsonl
expect_eq "$(count new.db)" 15500 "events stored"
for ix in events_cred_use events_actor; do
	leaves new.db $ix > $ix.after
	n=$(changed $ix.before $ix.after)
	# the last leaf and the two a split rebalances it with, at most; identity-first, every leaf holding an identity's last event
	[ "$n" -le 3 ] || die "$ix: the later pass changed $n of the leaves that were there before it"
done
# lookups by identity use the indexes, on a new store and on one migrated from schema 7
cred_plan() { sqlite3 "$1" "EXPLAIN QUERY PLAN SELECT ts_ns, src_ip, user_agent, source, action FROM events WHERE cred_id = 'AKIAEXAMPLE000000007'"; }
actor_plan() { sqlite3 "$1" "EXPLAIN QUERY PLAN SELECT id FROM events WHERE actor_key = 5 AND actor = 'x'"; }
check() { # check DB LABEL
	cred_plan "$1" | grep -q "COVERING INDEX events_cred_use (ANY(stream) AND ANY(<expr>) AND cred_id=?)" ||
		die "$2: the credential lookup: $(cred_plan "$1")"
	actor_plan "$1" | grep -q "INDEX events_actor (ANY(stream) AND ANY(<expr>) AND actor_key=?)" ||
		die "$2: the actor lookup: $(actor_plan "$1")"
}
check new.db "a new store"
cp new.db v7.db
schema10_undo v7.db
sqlite3 v7.db "DROP INDEX events_cred_use; DROP INDEX events_actor; DROP TABLE sqlite_stat1;
	CREATE INDEX events_cred_use ON events(cred_id, ts_ns, src_ip, source, user_agent, action) WHERE cred_id IS NOT NULL;
	CREATE INDEX events_actor ON events(actor_key) WHERE actor_key IS NOT NULL; PRAGMA user_version=7;"
: > empty
"$CORDON" --db v7.db ingest -q empty
expect_eq "$(sqlite3 v7.db 'PRAGMA user_version')" $STORE_SCHEMA "migrated schema version"
check v7.db "a store migrated from schema 7"
for k in AKIAEXAMPLE000000007 AKIAEXAMPLE000000049; do
	expect_eq "$("$CORDON" --db v7.db whois --format json $k)" "$("$CORDON" --db new.db whois --format json $k)" "whois $k"
done
expect_eq "$(count v7.db actor=arn:aws:iam::111122223333:user/u3)" 310 "events of an actor"
# `events` pages by a credential or actor in time order across hours, ties
# by id (the ORDER BY leads with the hour there, so the index gives it):
# 1,400 uses of one key and user over two hours, the later 700 at one time
ev_lines 700 300000 13 > k13.jsonl
ev_lines 700 400000 14 | sed 's/"eventTime":"[^"]*"/"eventTime":"2025-06-03T14:00:00Z"/' > k14.jsonl
sed -i 's/AKIAEXAMPLE0000000[0-9][0-9]/AKIAEXAMPLE000000099/; s/user\/u[0-9]*"/user\/u99"/' k13.jsonl k14.jsonl
"$CORDON" --db new.db ingest -q k13.jsonl k14.jsonl
for f in cred_id=AKIAEXAMPLE000000099 actor=arn:aws:iam::111122223333:user/u99; do
	w=${f%%=*}
	[ "$w" = actor ] || w=cred_id
	"$CORDON" --db new.db events --limit 0 --format ndjson "$f" | jq -r .id > got
	sqlite3 new.db "SELECT id FROM events WHERE ${f%%=*} = '${f#*=}' ORDER BY ts_ns DESC, id DESC" > want
	expect_eq "$(wc -l < got | tr -d ' ')" 1400 "events $f"
	cmp -s got want || die "events $f: not in time order, newest first"
	"$CORDON" --db new.db events --limit 0 --oldest --format ndjson "$f" | jq -r .id > got
	sqlite3 new.db "SELECT id FROM events WHERE ${f%%=*} = '${f#*=}' ORDER BY ts_ns, id" > want
	cmp -s got want || die "events --oldest $f: not in time order"
done
echo "hour-major identity indexes ok"
