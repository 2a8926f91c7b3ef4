# A bulk ingest's WAL starts over by itself.  With no reader in the way,
# the commit that finds the WAL past 128 MiB (or past 64 MiB with little
# of it left to copy) finishes the checkpoint thread's copy, and the next
# transaction starts the WAL over (core/checkpoint.c): 600,000 events,
# about 400 MiB of WAL frames in all, never have more than 128 MiB plus
# one group of 50,000 events' frames in the file at once (186 MiB here;
# with one transaction of 400,000 events, as the writer grouped them
# before, the file reached 251 MiB).  Nothing reads the store meanwhile:
# the file's size is watched from outside.
. "$ROOT/tests/cases/lib.sh"
LIMIT=$((224 * 1048576))
ct_lines 600000 0 > big.jsonl
"$CORDON" --db w.db ingest -q --json big.jsonl > i.json 2> i.err &
ip=$!
max=0
while kill -0 $ip 2>/dev/null; do
	s=$(stat -c %s w.db-wal 2>/dev/null || echo 0)
	[ "$s" -le "$max" ] || max=$s
	sleep 0.02
done
wait $ip || die "ingest: $(cat i.err)"
expect_eq "$(jq -r .events i.json)" 600000 "events stored"
[ "$max" -gt $((64 * 1048576)) ] || die "the WAL never passed 64 MiB ($max bytes): nothing was tested"
[ "$max" -lt $LIMIT ] || die "the WAL reached $((max / 1048576)) MiB with no reader present"
echo "WAL restarts: largest seen $((max / 1048576)) MiB"
