# lib.sh - helpers for behaviour cases (sourced; not a case itself).
# Each case runs in its own empty directory ($TMP) with $CORDON and $ROOT set.
set -eu
die() { echo "FAIL: $*" >&2; exit 1; }
count() { # count DB [FILTER...]: number of events
	db=$1; shift
	"$CORDON" --db "$db" events --limit 0 --format ndjson "$@" | wc -l | tr -d ' '
}
expect_eq() { [ "$1" = "$2" ] || die "$3: expected $2, got $1"; }
# the schema version (PRAGMA user_version) a new or migrated store has
STORE_SCHEMA=11
# golden NAME: stdin (JSON) with this tree's path cut and its keys sorted,
# compared with $E/NAME.json ($E: the case's expect directory);
# UPDATE_GOLDEN=1 rewrites it instead: review every change by hand
golden() {
	sed "s|$ROOT/||g" | python3 -m json.tool --sort-keys > "$1.out"
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then mkdir -p "$E"; cp "$1.out" "$E/$1.json"; return 0; fi
	diff -u "$E/$1.json" "$1.out" || die "$1: differs from $E/$1.json"
}
# ct_lines N START: N CloudTrail events, one per line, eventIDs START..START+N-1
ct_lines() {
	awk -v n="$1" -v s="$2" 'BEGIN { for (i = s; i < s + n; i++)
		printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/u%d\",\"accessKeyId\":\"AKIAEXAMPLE%09d\"},\"eventTime\":\"2025-06-03T10:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.%d\",\"eventID\":\"00000000-0000-4000-8000-%012d\"}\n", i % 7, i, (i / 60) % 60, i % 60, i % 250, i }'
}
# learned_as_caught_up DB NAME: the lineage the ingest writer learned as it
# stored events (its mark at the last event) equals what `cordon correlate`
# relearns after those edges and the mark are wiped; adds the number of
# edges compared to $learned_total
learned_total=0
learned_as_caught_up() {
	expect_eq "$(sqlite3 "$1" "SELECT value FROM meta WHERE key = 'graph_learned_event'")" \
		"$(sqlite3 "$1" 'SELECT max(id) FROM events')" "$2: learned mark after ingest"
	_edges() {
		sqlite3 "$1" "SELECT s.kind || ':' || s.key, e.type, d.kind || ':' || d.key, e.origin_event
			FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst
			WHERE e.origin = 'event' ORDER BY 1, 2, 3"
	}
	_edges "$1" > "$2.ingest"
	sqlite3 "$1" "DELETE FROM graph_edges WHERE origin = 'event';
		UPDATE meta SET value = 0 WHERE key = 'graph_learned_event'"
	"$CORDON" --db "$1" correlate > /dev/null 2>&1 || true
	_edges "$1" > "$2.catchup"
	diff "$2.ingest" "$2.catchup" > /dev/null || die "$2: learned at ingest differs from the catch-up pass:
$(diff "$2.ingest" "$2.catchup" | head -20)"
	learned_total=$((learned_total + $(wc -l < "$2.ingest")))
}
# schema10_undo DB: take a store made by this cordon back to schema 9's
# events indexes (schema 11 reorders two of them; undone here as well) (no stream column, the dedup key (ts_ns, dedup)), so that a
# test can fake an older store and see it migrated; its rows become the
# stream-0 rows of a store stored before schema 10.
schema10_undo() {
	sqlite3 "$1" "DROP INDEX events_dedup; DROP INDEX events_cred_use; DROP INDEX events_actor;
		ALTER TABLE events DROP COLUMN stream;
		DELETE FROM meta WHERE key IN ('stream0_first_ns', 'stream0_last_ns');
		CREATE UNIQUE INDEX events_dedup ON events(ts_ns, dedup);
		CREATE INDEX events_cred_use ON events(ts_ns / 3600000000000, cred_id, ts_ns, src_ip, source,
			user_agent, action) WHERE cred_id IS NOT NULL;
		CREATE INDEX events_actor ON events(ts_ns / 3600000000000, actor_key) WHERE actor_key IS NOT NULL;
		PRAGMA user_version=9;"
}
