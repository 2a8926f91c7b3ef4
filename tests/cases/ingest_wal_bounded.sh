# A bounded WAL with readers always present: a follower stores 300,000
# events while two readers (tests/emu/readhold.py) take turns so that one
# always holds a read transaction (a passive checkpoint can then never free
# the whole WAL: it grew to 468 MiB over 400,000 events before).  The WAL
# file stays under 256 MiB throughout, and the follow summary reports the
# largest it was (JSON wal_max_bytes, which must agree with what was seen).
. "$ROOT/tests/cases/lib.sh"
LIMIT=$((256 * 1048576))
ct_lines 10 0 > live.jsonl
"$CORDON" --db w.db ingest -q live.jsonl
"$CORDON" --db w.db ingest --follow --json live.jsonl > f.json 2> f.err &
fp=$!
/usr/bin/python3 "$ROOT/tests/emu/readhold.py" w.db stop &
rp=$!
trap 'touch stop; kill $fp 2>/dev/null || true' EXIT
max=0
sample() { s=$(stat -c %s w.db-wal 2>/dev/null || echo 0); [ "$s" -le "$max" ] || max=$s; }
start=10
while [ $start -lt 300010 ]; do
	ct_lines 30000 $start >> live.jsonl; start=$((start + 30000))
	i=0
	while [ $i -lt 600 ]; do # until the follower has it (bounded)
		sample
		[ "$(sqlite3 w.db 'SELECT count(*) FROM events' 2>/dev/null || echo 0)" -ge $start ] && break
		sleep 0.2; i=$((i + 1))
	done
done
sample
kill -TERM $fp
wait $fp || die "follower: $(cat f.err)"
touch stop; wait $rp || die "readers"
expect_eq "$(sqlite3 w.db 'SELECT count(*) FROM events')" 300010 "events stored"
[ "$max" -lt $LIMIT ] || die "the WAL reached $((max / 1048576)) MiB with readers present"
reported=$(jq -r '.wal_max_bytes // empty' f.json)
[ -n "$reported" ] || die "the follow summary names no WAL size: $(cat f.json)"
[ "$reported" -lt $LIMIT ] || die "the follower saw its WAL at $((reported / 1048576)) MiB"
[ "$reported" -gt 0 ] || die "the follower saw no WAL at all"
echo "WAL bounded: largest seen $((max / 1048576)) MiB, reported $((reported / 1048576)) MiB"
