#!/bin/sh
# tests/bench/listen.sh - `make bench`: `cordon ingest --listen` throughput
# under a loopback load generator (tests/bench/listen.py: keep-alive
# connections, each waiting for its answer before the next POST, which is
# what an acknowledged sender does), beside file ingest of the same records.
# Figures only; nothing is asserted.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench
N=${CORDON_BENCH_LISTEN:-40000}
mkdir -p "$W"
python3 "$ROOT/tests/bench/listen.py" gen "$N" "$W/alerts.jsonl"

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%8.0f events/s", (s > 0 ? n / s : 0) }'; }

echo
echo "== live receiving: $N Falco alerts over loopback HTTP (cordon ingest --listen)"
echo "   beside file ingest of the same records; every 200 means committed"
rm -f "$W/listen-file.db"*
t0=$(date +%s.%N)
"$CORDON" --db "$W/listen-file.db" ingest -q "$W/alerts.jsonl" > /dev/null
t1=$(date +%s.%N)
s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
printf "  %-38s %7.2fs %s\n" "file ingest (one NDJSON file)" "$s" "$(rate "$N" "$s")"

# run CONNS BATCH LABEL
run() {
	rm -f "$W/listen.db"*
	: > "$W/listen.err"
	"$CORDON" --db "$W/listen.db" ingest -q --listen 127.0.0.1:0 > /dev/null 2> "$W/listen.err" &
	pid=$!
	port=""
	tries=0
	while [ -z "$port" ] && [ $tries -lt 200 ]; do
		port=$(sed -n 's/^cordon: listening on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$W/listen.err")
		[ -n "$port" ] || sleep 0.05
		tries=$((tries + 1))
	done
	set -- $(python3 "$ROOT/tests/bench/listen.py" send "$port" "$W/alerts.jsonl" "$1" "$2") "$3"
	kill -TERM $pid
	wait $pid || true
	stored=$("$CORDON" --db "$W/listen.db" events --limit 0 --format ndjson | wc -l)
	printf "  %-38s %7.2fs %s  (%s requests, %s acknowledged, %s stored)\n" "$4" "$1" \
		"$(rate "$3" "$1")" "$2" "$3" "$stored"
}
run 1 1 "listen: 1 sender, 1 alert per POST"
run 8 1 "listen: 8 senders, 1 alert per POST"
run 8 100 "listen: 8 senders, 100 alerts per POST"
rm -f "$W/listen.db"* "$W/listen-file.db"*
