# store_trust.sh - a file already at the --db path is not trusted blindly:
# it must be a regular file (not a symlink) owned by us that nobody else can
# write, and a cordon store by its application_id; a refused file is left
# byte for byte as it was, and truncated or foreign files are named as such.
. "$ROOT/tests/cases/lib.sh"
ct_lines 3 0 > a.jsonl
refused() { # refused FILE PATTERN CMD...: CMD fails, says PATTERN, FILE unchanged
	f=$1; pat=$2; shift 2
	before=$(ls -la --time-style=+ "$f" | awk '{print $1, $5}'; sha256sum < "$f")
	set +e; "$@" > out 2> err; rc=$?; set -e
	[ $rc = 2 ] || die "$f accepted by '$*' (rc $rc): $(cat err)"
	grep -q -- "$pat" err || die "$f: no clear message ($pat): $(cat err)"
	after=$(ls -la --time-style=+ "$f" | awk '{print $1, $5}'; sha256sum < "$f")
	expect_eq "$after" "$before" "$f changed although refused"
	for x in "$f-wal" "$f-shm" "$f-journal"; do [ ! -e "$x" ] || die "$x left behind"; done
}
# a new store is cordon's by its application_id ("CORD")
"$CORDON" --db t.db ingest -q a.jsonl
expect_eq "$(sqlite3 t.db 'PRAGMA application_id')" 1129271876 "application_id"
# group/world-writable: refused with what to do, for writers and readers
cp t.db open.db; chmod 666 open.db
refused open.db "chmod 600 open.db" "$CORDON" --db open.db ingest -q a.jsonl
refused open.db "chmod 600 open.db" "$CORDON" --db open.db events
chmod 620 open.db
refused open.db "writable by group" "$CORDON" --db open.db correlate
chmod 600 open.db
"$CORDON" --db open.db events > /dev/null || die "a 0600 copy refused"
# another user's store
cp t.db theirs.db; chown 65534 theirs.db
refused theirs.db "belongs to uid 65534" "$CORDON" --db theirs.db events
refused theirs.db "belongs to uid 65534" "$CORDON" --db theirs.db ingest -q a.jsonl
# a symlink, to an empty file or to a real store, is not followed
: > empty; ln -s empty link.db
refused link.db "is a symlink" "$CORDON" --db link.db ingest -q a.jsonl
[ ! -s empty ] || die "the symlink's target was written"
ln -s t.db link2.db
refused link2.db "is a symlink" "$CORDON" --db link2.db events
# a foreign SQLite database, with user_version 0 or not, and another app's id
sqlite3 foreign.db 'CREATE TABLE notes(x); INSERT INTO notes VALUES(1);'
refused foreign.db "not a cordon store: foreign.db (application_id 0x00000000" \
	"$CORDON" --db foreign.db ingest -q a.jsonl
refused foreign.db "not a cordon store" "$CORDON" --db foreign.db events
expect_eq "$(sqlite3 foreign.db 'PRAGMA journal_mode')" delete "foreign file switched to WAL"
sqlite3 other.db 'PRAGMA application_id=42; PRAGMA user_version=4; CREATE TABLE meta(key, value);'
refused other.db "application_id 0x0000002a" "$CORDON" --db other.db correlate
# a foreign WAL database is left in WAL without a trace of cordon
sqlite3 walf.db 'PRAGMA journal_mode=WAL; CREATE TABLE t(x);' > /dev/null
refused walf.db "not a cordon store" "$CORDON" --db walf.db ingest -q a.jsonl
# not SQLite at all
echo "just some text, not a database at all, and long enough to be a header....................................." > text.db
refused text.db "not a cordon store: text.db (not an SQLite database)" "$CORDON" --db text.db ingest -q a.jsonl
# truncated stores: damaged, not "needs a migration" or "newer cordon"
sqlite3 t.db 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
size=$(stat -c %s t.db)
for cut in 50 4096 $((size / 2)); do
	head -c $cut t.db > cut$cut.db; chmod 600 cut$cut.db
	refused cut$cut.db "store cut$cut.db is damaged or truncated" "$CORDON" --db cut$cut.db events
	refused cut$cut.db "store cut$cut.db is damaged or truncated" "$CORDON" --db cut$cut.db ingest -q a.jsonl
done
: > zero.db; chmod 600 zero.db
refused zero.db "zero.db is empty" "$CORDON" --db zero.db events
# ... while an empty file of ours that a writer is given becomes a store
"$CORDON" --db zero.db ingest -q a.jsonl || die "empty 0600 file not made a store"
# a cordon store from before application_id is recognised by its tables,
# read as it is, and gets the id on its next write
cp t.db legacy.db; sqlite3 legacy.db 'PRAGMA application_id=0'
"$CORDON" --db legacy.db events > /dev/null || die "legacy store refused by a reader"
expect_eq "$(sqlite3 legacy.db 'PRAGMA application_id')" 0 "a reader wrote the id"
"$CORDON" --db legacy.db ingest -q a.jsonl || die "legacy store refused by a writer"
expect_eq "$(sqlite3 legacy.db 'PRAGMA application_id')" 1129271876 "legacy store given its id"
# new stores stay 0600 whatever the umask
(umask 000; "$CORDON" --db new.db ingest -q a.jsonl)
expect_eq "$(stat -c %a new.db)" 600 "new store mode"
echo "store trust ok"
