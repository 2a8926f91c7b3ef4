# `whois KEY` reads every use of a key from one covering index (cred_id
# with the time, address, source, agent and action), never a row per use:
# the query plan says so on a new store and on one migrated from schema 4;
# and what it reports (count, first and last time, the groups used last
# with their counts and latest action) equals what SQL over the rows says.
. "$ROOT/tests/cases/lib.sh"
plan() { sqlite3 "$1" "EXPLAIN QUERY PLAN SELECT ts_ns, src_ip, user_agent, source, action FROM events WHERE cred_id = 'AKIAEXAMPLE000000003'"; }
ct_lines 700 0 > a.jsonl
# the same key from a second address, later, with another action
ct_lines 700 0 | sed 's/"sourceIPAddress":"203\.0\.113\.[0-9]*"/"sourceIPAddress":"198.51.100.9"/; s/ListBuckets/GetObject/; s/"eventID":"00000000-0000-4000-8000-/"eventID":"10000000-0000-4000-8000-/; s/"eventTime":"2025-06-03T10:/"eventTime":"2025-06-03T11:/' > b.jsonl
"$CORDON" --db t.db ingest -q a.jsonl b.jsonl
plan t.db | grep -q "COVERING INDEX events_cred_use" || die "whois query plan on a new store: $(plan t.db)"
# a store of schema 4 (the index on cred_id alone) is migrated by a writer
cp t.db v4.db
schema10_undo v4.db
sqlite3 v4.db "DROP INDEX events_cred_use; CREATE INDEX events_cred ON events(cred_id) WHERE cred_id IS NOT NULL; PRAGMA user_version=4;"
: > empty
"$CORDON" --db v4.db ingest -q empty
expect_eq "$(sqlite3 v4.db 'PRAGMA user_version')" $STORE_SCHEMA "migrated schema version"
plan v4.db | grep -q "COVERING INDEX events_cred_use" || die "whois query plan after the migration: $(plan v4.db)"
expect_eq "$(sqlite3 v4.db "SELECT count(*) FROM sqlite_master WHERE name = 'events_cred'")" 0 "events_cred gone"
# the report equals SQL over the rows
K=AKIAEXAMPLE000000003
"$CORDON" --db v4.db whois --format json $K > w.json
expect_eq "$(jq .use.events w.json)" "$(sqlite3 t.db "SELECT count(*) FROM events WHERE cred_id = '$K'")" "use count"
expect_eq "$(jq -r '.use.sources | length' w.json)" "$(sqlite3 t.db "SELECT count(*) FROM (SELECT 1 FROM events WHERE cred_id = '$K' GROUP BY src_ip, user_agent, source)")" "groups"
expect_eq "$(jq -r '.use.sources[0].src_ip + " " + .use.sources[0].last_action + " " + (.use.sources[0].events | tostring)' w.json)" \
	"$(sqlite3 t.db "SELECT src_ip || ' ' || action || ' ' || (SELECT count(*) FROM events x WHERE x.cred_id = '$K' AND x.src_ip = e.src_ip) FROM events e WHERE cred_id = '$K' ORDER BY ts_ns DESC LIMIT 1")" "the group used last"
expect_eq "$(jq -r .use.first w.json)" "$(sqlite3 t.db "SELECT strftime('%Y-%m-%dT%H:%M:%S', min(ts_ns) / 1000000000, 'unixepoch') || printf('.%09dZ', min(ts_ns) % 1000000000) FROM events WHERE cred_id = '$K'")" "first use"
echo "whois covering ok"
