# A listing reads in pages, each its own short read transaction, and writes
# a page only after its transaction is over: `cordon events` piped into a
# reader that stops reading (a pager left open) holds no snapshot, so a
# checkpoint can still copy the whole WAL back and truncate it (before, the
# stalled listing pinned the WAL: the TRUNCATE checkpoint was busy).
. "$ROOT/tests/cases/lib.sh"
ct_lines 6000 0 > a.jsonl
"$CORDON" --db t.db ingest -q a.jsonl
rm -f go
# the listing's reader never reads: the pipe fills and the listing blocks
( "$CORDON" --db t.db events --limit 0 --format ndjson; echo "rc $?" > listing.rc ) | \
	sh -c 'i=0; while [ ! -f go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; cat > /dev/null' &
lp=$!
trap 'touch go' EXIT
sleep 2
[ ! -f listing.rc ] || die "the listing ended before its reader read: $(cat listing.rc)"
# more frames in the WAL while the listing is stalled
ct_lines 500 10000 > b.jsonl
"$CORDON" --db t.db ingest -q b.jsonl
r=$(sqlite3 t.db 'PRAGMA wal_checkpoint(TRUNCATE)')
expect_eq "${r%%|*}" 0 "TRUNCATE checkpoint busy while a listing waits on its reader ($r)"
expect_eq "$(stat -c %s t.db-wal)" 0 "WAL size after the checkpoint"
touch go
wait $lp
expect_eq "$(cat listing.rc)" "rc 0" "the listing's exit"
echo "short reads ok"
