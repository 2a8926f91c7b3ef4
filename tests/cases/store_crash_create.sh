# A store killed while it was being created or migrated (before it switches
# to WAL, a hot rollback journal is left beside it): the next command rolls
# it back and goes on, instead of failing with "attempt to write a readonly
# database" (its read-only probe cannot roll a journal back).  A foreign
# database with a hot journal is still refused, and left as it was.
. "$ROOT/tests/cases/lib.sh"
ct_lines 500 0 > a.jsonl
"$CORDON" --db ref.db ingest -q a.jsonl
steps=$(sqlite3 ref.db 'PRAGMA user_version')
[ "$steps" -ge 1 ] || die "no schema version"
n=1
while [ $n -le "$steps" ]; do
	rm -f t.db*
	set +e; CORDON_TEST_KILL_IN_MIGRATION=$n "$CORDON" --db t.db ingest -q a.jsonl 2> /dev/null; rc=$?; set -e
	expect_eq $rc 137 "killed inside migration $n"
	[ -f t.db-journal ] || die "migration $n: no journal left (the kill missed the transaction)"
	"$CORDON" --db t.db ingest -q a.jsonl || die "rerun after a kill inside migration $n"
	expect_eq "$(count t.db)" 500 "events after a kill inside migration $n"
	expect_eq "$(sqlite3 t.db 'PRAGMA user_version')" "$steps" "schema after migration $n"
	n=$((n + 1))
done
# a cordon store left by a crash inside a rollback-mode commit (its pages
# written, the journal still hot): the read-only probe cannot roll it back,
# so the probe reads cordon's application_id from the journal's page 1
cp ref.db hot.db
sqlite3 hot.db 'PRAGMA journal_mode=DELETE' > /dev/null
python3 - <<'PY' || true
import os, sqlite3
db = sqlite3.connect("hot.db", isolation_level=None)
db.execute("PRAGMA cache_size=2")
db.execute("BEGIN")
for i in range(3000):
    db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", ("crash-%d" % i, "y" * 400))
os._exit(9)  # killed mid-transaction: pages spilled to the file, journal hot
PY
[ -f hot.db-journal ] || die "the fixture left no journal"
"$CORDON" --db hot.db ingest -q a.jsonl 2> err || die "a store with a hot journal: $(cat err)"
expect_eq "$(sqlite3 hot.db "SELECT count(*) FROM meta WHERE key LIKE 'crash-%'")" 0 "the crashed transaction rolled back"
expect_eq "$(count hot.db)" 500 "events of the store with a hot journal"
# a foreign database with a hot journal: refused, untouched
python3 - <<'PY' || true
import os, sqlite3
db = sqlite3.connect("foreign.db", isolation_level=None)
db.execute("PRAGMA journal_mode=DELETE")
db.execute("CREATE TABLE notes(x)")
db.execute("INSERT INTO notes VALUES ('keep me')")
db.execute("BEGIN")
db.execute("UPDATE notes SET x = 'half written'")
db.execute("PRAGMA cache_spill=1")
for i in range(2000):
    db.execute("INSERT INTO notes VALUES (?)", ("x" * 500,))
os._exit(9)  # a crash: the journal stays hot
PY
[ -f foreign.db-journal ] || die "the fixture left no journal"
before=$(cat foreign.db foreign.db-journal | sha256sum)
set +e; "$CORDON" --db foreign.db ingest -q a.jsonl 2> err; rc=$?; set -e
expect_eq $rc 2 "foreign store with a hot journal"
grep -q "not a cordon store" err || die "foreign hot journal: $(cat err)"
expect_eq "$(cat foreign.db foreign.db-journal | sha256sum)" "$before" "foreign files untouched"
