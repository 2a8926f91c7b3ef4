# An ingest that waits holds no lock, and a follower waits like tail -F:
# a follower on a file that does not exist yet and an ingest of a stream
# that sends nothing are both waiting, while other writers (sqlite3 with a
# short busy timeout, a second ingest, correlate) write beside them; the
# file created later is followed, and so is one that was empty (logrotate
# just recreated it) or was already read and is unchanged.
. "$ROOT/tests/cases/lib.sh"
wait_count() { # wait_count DB N [FILTER]: poll until the store holds N events (30 s at most)
	_db=$1 _n=$2; shift 2
	i=0
	while [ $i -lt 300 ]; do
		have=$(count "$_db" "$@" 2>/dev/null || echo 0)
		[ "$have" = "$_n" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	die "waited for $_n events ($*), have $have"
}
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; exec 3>&- 2>/dev/null || true' EXIT

ct_lines 3 0 > first.jsonl
"$CORDON" --db t.db ingest -q first.jsonl
ct_lines 2 500 > old.jsonl
"$CORDON" --db t.db ingest -q old.jsonl
: > empty.jsonl

# 1: followers of a missing file, an empty one and an unchanged one
"$CORDON" --db t.db ingest --follow missing.jsonl empty.jsonl old.jsonl > follow.out 2> follow.err &
fpid=$!; pids="$pids $fpid"
# 2: a stream that sends nothing (held open on a FIFO)
mkfifo feed
"$CORDON" --db t.db ingest - < feed > stream.out 2>&1 &
spid=$!; pids="$pids $spid"
exec 3> feed
# both have started: the follower has said something about missing.jsonl
i=0
until grep -q 'missing.jsonl' follow.err; do
	i=$((i + 1)); [ $i -lt 300 ] || die "the follower never started: $(cat follow.err)"
	sleep 0.1
done
sleep 0.5

# other writers are not held up: a raw write transaction with a short
# busy timeout, a second ingest, and correlate (bounded: before, each
# waited on the lock for as long as the waiting ingests lived)
sqlite3 t.db '.timeout 5000' 'BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES ("t", "1"); COMMIT' \
	|| die "a write transaction beside waiting ingests"
ct_lines 3 10 > second.jsonl
timeout 120 "$CORDON" --db t.db ingest second.jsonl > second.out 2>&1 \
	|| die "second ingest beside waiting ingests: $(cat second.out)"
grep -q '(null)' second.out && die "a path printed as (null): $(cat second.out)"
set +e; timeout 120 "$CORDON" --db t.db correlate > corr.out 2>&1; rc=$?; set -e
[ $rc -le 1 ] || die "correlate beside waiting ingests (rc $rc): $(cat corr.out)"
expect_eq "$(count t.db)" 8 "events before the followed files get data"

# the missing file appears: the follower reads it
ct_lines 4 20 > missing.jsonl
wait_count t.db 12
# the empty file gets its first lines: its format is probed then
ct_lines 2 40 >> empty.jsonl
wait_count t.db 14
# the unchanged file grows: followed from where it was read
ct_lines 1 600 >> old.jsonl
wait_count t.db 15
# and the missing file keeps being followed
ct_lines 1 30 >> missing.jsonl
wait_count t.db 16

# the stream ends: its ingest ends cleanly
exec 3>&-
wait $spid || die "stream ingest: $(cat stream.out)"
kill -TERM $fpid
wait $fpid || die "follower exit after SIGTERM: $(cat follow.err)"
grep -q 'cloudtrail .* 5 .*missing.jsonl' follow.out || die "summary: $(cat follow.out)"
grep -q 'cloudtrail .* 2 .*empty.jsonl' follow.out || die "summary: $(cat follow.out)"
expect_eq "$(count t.db)" 16 "final count"

# a follower of a file that never appears says so in its summary, and exits 0
"$CORDON" --db t.db ingest --follow --json never.jsonl > never.json 2> never.err &
npid=$!; pids="$pids $npid"
i=0
until grep -q 'never.jsonl: does not exist yet' never.err; do
	i=$((i + 1)); [ $i -lt 300 ] || die "the follower never started: $(cat never.err)"
	sleep 0.1
done
kill -TERM $npid
wait $npid || die "follower of a missing file: $(cat never.err)"
jq -e '.inputs[0].waiting == true and .inputs[0].events == 0' never.json > /dev/null \
	|| die "never.jsonl: $(cat never.json)"
echo "waiting ingests ok"
