# --follow: new lines are picked up, rotation (rename + new file) and
# truncation are survived, readers query while ingest writes, SIGTERM stops
# it cleanly with status 0.
. "$ROOT/tests/cases/lib.sh"
wait_count() { # wait_count DB N: poll until the store holds N events (10 s)
	i=0
	while [ $i -lt 100 ]; do
		n=$(count "$1" 2>/dev/null || echo 0)
		[ "$n" = "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	die "waited for $2 events, have $n"
}
ct_lines 10 0 > live.jsonl
"$CORDON" --db t.db ingest -q --follow live.jsonl &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT # never leave the follower behind
wait_count t.db 10
ct_lines 5 10 >> live.jsonl
wait_count t.db 15
# a half-written line is not taken until it is complete
ct_lines 1 15 | head -c 50 >> live.jsonl
sleep 1
expect_eq "$(count t.db)" 15 "partial line held back"
ct_lines 1 15 | tail -c +51 >> live.jsonl
wait_count t.db 16
# rotation: rename, then a new file at the same path
ct_lines 2 16 >> live.jsonl
mv live.jsonl live.jsonl.1
ct_lines 4 100 > live.jsonl
wait_count t.db 22
# truncation: the file is emptied and written again from the start
sleep 0.5
: > live.jsonl
ct_lines 3 200 >> live.jsonl
wait_count t.db 25
kill -TERM $pid
wait $pid; rc=$?
expect_eq $rc 0 "exit after SIGTERM"
expect_eq "$(count t.db)" 25 "final count"
