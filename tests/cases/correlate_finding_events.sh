# The incident pass reads each finding's event columns from finding_events,
# written beside the finding, instead of one random events row per finding
# each run: every finding has its row, equal to its event's columns; a store
# migrated from schema 6 gets them for the findings it had; and a finding
# without one (written before) is read from its event, with the same reports.
. "$ROOT/tests/cases/lib.sh"
GEN="$ROOT/tests/bench/gen_mixed.sh"
run() { set +e; "$CORDON" --db "$1" correlate > "$1.out" 2>&1; rc=$?; set -e; [ $rc -le 1 ] || die "correlate $1: $(cat "$1.out")"; }
same() { # same DB LABEL: each finding's row equals its event's columns
	expect_eq "$(sqlite3 "$1" "SELECT count(*) FROM findings f JOIN finding_events c ON c.finding_id = f.id
		JOIN events e ON e.id = f.event_id WHERE c.source IS e.source AND c.host IS e.host
		AND c.object IS e.object AND c.action IS e.action AND c.dst IS e.dst")" \
		"$(sqlite3 "$1" 'SELECT count(*) FROM findings')" "$2: findings with their event's columns"
}
sh "$GEN" g 30000 0 1
"$CORDON" --db t.db ingest -q g/ct.jsonl g/falco.json g/audit.log || [ $? = 1 ] || die "ingest"
run t.db
[ "$(sqlite3 t.db 'SELECT count(*) FROM findings')" -gt 10 ] || die "too few findings"
[ "$(sqlite3 t.db 'SELECT count(*) FROM incidents')" -ge 1 ] || die "no incident"
same t.db "a new store"
digests() { sqlite3 "$1" "SELECT group_concat(id || ' ' || hex(digest), ',') FROM (SELECT * FROM incidents ORDER BY id)"; }
d=$(digests t.db)
# findings written before: their events are read, the reports are the same
sqlite3 t.db "DELETE FROM finding_events WHERE finding_id % 2 = 0"
run t.db
grep -q "0 opened, 0 changed" t.db.out || die "reports changed without the kept columns: $(head -1 t.db.out)"
expect_eq "$(digests t.db)" "$d" "reports"
# a store of schema 6 gets the rows for the findings it has
cp t.db v6.db
schema10_undo v6.db
sqlite3 v6.db "DROP TABLE finding_events; DROP INDEX events_container_pod; DROP INDEX events_host_pid_ts;
	CREATE INDEX events_host_pid ON events(host, pid) WHERE pid IS NOT NULL; PRAGMA user_version=6;"
: > empty
"$CORDON" --db v6.db ingest -q empty
same v6.db "migrated from schema 6"
run v6.db
expect_eq "$(digests v6.db)" "$d" "reports on the migrated store"
echo "finding_events ok"
