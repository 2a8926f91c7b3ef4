# The store is created 0600 whatever the umask, in WAL mode, schema versioned.
. "$ROOT/tests/cases/lib.sh"
ct_lines 3 0 > a.jsonl
(umask 000; "$CORDON" --db t.db ingest -q a.jsonl)
expect_eq "$(stat -c %a t.db)" 600 "store mode"
for f in t.db-wal t.db-shm; do [ ! -e "$f" ] || expect_eq "$(stat -c %a $f)" 600 "$f mode"; done
expect_eq "$(sqlite3 t.db 'PRAGMA journal_mode')" wal "journal mode"
expect_eq "$(sqlite3 t.db 'PRAGMA user_version')" $STORE_SCHEMA "schema version"
# a version-1 store (before the graph, findings, incidents and actions) is
# migrated forward in place and keeps its events
# (schema 10's stream column and indexes undone first: tests/cases/lib.sh)
cp t.db t9.db
schema10_undo t9.db
cp t9.db v1.db
drops=$(sqlite3 v1.db "SELECT 'DROP TABLE ' || name || ';' FROM sqlite_master WHERE type = 'table'
	AND name NOT IN ('meta', 'inputs', 'events', 'evidence_segments', 'rejects')")
# ... and the indexes migration 2 put on version-1 tables
sqlite3 v1.db "$drops DROP INDEX IF EXISTS events_created_pods; PRAGMA user_version=1;"
before=$(sqlite3 v1.db 'SELECT count(*) FROM events')
ct_lines 2 100 > b.jsonl
"$CORDON" --db v1.db ingest -q b.jsonl
expect_eq "$(sqlite3 v1.db 'PRAGMA user_version')" $STORE_SCHEMA "migrated schema version"
expect_eq "$(sqlite3 v1.db 'SELECT count(*) FROM events')" $((before + 2)) "events kept across the migration"
sqlite3 v1.db 'SELECT count(*) FROM incidents' > /dev/null || die "migration 2 tables missing"
# a version-2 store (dedup unique alone, an events_ts index) is rebuilt by
# migration 3: rows keep their ids, a record already stored still dedups
cp t9.db v2.db
sqlite3 v2.db "$(sqlite3 t9.db "SELECT sql FROM sqlite_master WHERE name = 'events'" |
	sed 's/CREATE TABLE "\{0,1\}events"\{0,1\}/CREATE TABLE events_v2/; s/dedup BLOB NOT NULL/dedup BLOB NOT NULL UNIQUE/');
	INSERT INTO events_v2 SELECT * FROM events; DROP TABLE events;
	ALTER TABLE events_v2 RENAME TO events; CREATE INDEX events_ts ON events(ts_ns);
	PRAGMA user_version=2;"
ids=$(sqlite3 v2.db 'SELECT group_concat(id) FROM events')
cp a.jsonl a-copy.jsonl # another path: read again, so only the dedup key can hold it
"$CORDON" --db v2.db ingest -q a-copy.jsonl
expect_eq "$(sqlite3 v2.db 'PRAGMA user_version')" $STORE_SCHEMA "version 2 migrated"
expect_eq "$(sqlite3 v2.db 'SELECT group_concat(id) FROM events')" "$ids" "ids kept, nothing added twice"
expect_eq "$(sqlite3 v2.db "SELECT count(*) FROM sqlite_master WHERE name = 'events_ts'")" 0 "events_ts gone"
expect_eq "$(sqlite3 v2.db "SELECT count(*) FROM sqlite_master WHERE name = 'events_dedup'")" 1 "events_dedup made"
"$CORDON" --db v2.db ingest -q b.jsonl
expect_eq "$(sqlite3 v2.db 'SELECT count(*) FROM events')" $(($(echo "$ids" | tr ',' '\n' | wc -l) + 2)) "new events after the migration"
# a reader never migrates: it says what to do
sqlite3 v1.db 'PRAGMA user_version' > /dev/null
# $CORDON_DB, then ./cordon.db
CORDON_DB=env.db "$CORDON" ingest -q a.jsonl
[ -f env.db ] || die "CORDON_DB not honoured"
"$CORDON" ingest -q a.jsonl
[ -f cordon.db ] || die "default ./cordon.db not used"
# a store from a newer cordon is refused with a clear message
sqlite3 t.db 'PRAGMA user_version=99'
if "$CORDON" --db t.db ingest -q a.jsonl 2> err; then die "newer store accepted"; fi
grep -q "newer cordon" err || die "no clear message: $(cat err)"
