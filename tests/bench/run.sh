#!/bin/sh
# tests/bench/run.sh - `make bench`: cordon's ingest throughput next to
# anchors measured in the same run on the same files.  Not a test: it
# prints ratios and the targets, and never fails on timing.
#
#   JSON parser choice   jsmn vs cJSON vs jansson on the same records
#   evidence compressor  zlib vs zstd on the same records in 1 MiB segments
#   CloudTrail           200,000 records in three shapes (one Records file,
#                        200 delivered-size files, NDJSON): cordon ingest vs
#                        jq extracting the main fields (target: cordon >= 5x jq)
#   auditd               1,000,000 records, syscall-heavy and user-space mixes:
#                        cordon ingest vs ausearch --raw scanning the same log
#                        (target: cordon <= ausearch)
#   streaming            a ~2 GB NDJSON input: peak RSS (target < 256 MiB)
#   live receiving       cordon ingest --listen under a loopback load generator
#                        (tests/bench/listen.sh), beside file ingest of the same records
#   SQLite yardstick     after CloudTrail and each auditd mix: the sqlite3
#                        shell alone copying the rows cordon stored
#   ingest at scale      200,000 CloudTrail NDJSON events into stores of 1M and
#                        10M events, later than and interleaved with them, vs
#                        an empty store and the SQLite yardstick
#                        (tests/bench/scale.sh, alone: make bench-scale)
#   tui                  keystroke to finished redraw through a pty on the
#                        correlate bench's store (tests/bench/tui_keys.py)
#   live-incident soak   followers, correlate, queries and revoke/undo on one
#                        store for 4 minutes (tests/bench/soak.sh; alone:
#                        `make bench-soak`)
#
# CloudTrail and auditd: the anchor and cordon alternate CORDON_BENCH_RUNS (3)
# times; printed are the fastest of each and the median ratio of adjacent
# pairs (this machine's speed drifts by up to half within minutes).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench
mkdir -p "$W"
sh "$ROOT/scripts/deps.sh" bench
GEN="python3 $ROOT/tests/bench/gen.py"
TIME=/usr/bin/time

rss() { # rss CMD...: "seconds maxrss_kib" of one run (stdout discarded)
	$TIME -f '%e %M' -o "$W/t" "$@" > /dev/null
	cat "$W/t"
}
# This machine's speed drifts by up to half within minutes, so the anchor
# and cordon run alternately RUNS times (CORDON_BENCH_RUNS, default 3): the
# ratio of each adjacent pair compares like with like, and their median is
# the figure to read; the fastest run of each is printed beside it.
RUNS=${CORDON_BENCH_RUNS:-3}
# pairs STORE INPUT...: alternate `anchor` (a shell function the caller
# defines) with cordon ingesting INPUT into a fresh STORE; prints
# "fastest_anchor_s fastest_cordon_s cordon_maxrss_kib median_pair_ratio"
pairs() {
	store=$1; shift
	: > "$W/pairs"
	r=0
	while [ $r -lt "$RUNS" ]; do
		t0=$(date +%s.%N)
		anchor > /dev/null
		t1=$(date +%s.%N)
		a=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		rm -f "$store"*
		$TIME -f '%e %M' -o "$W/t" "$CORDON" --db "$store" ingest -q "$@" > /dev/null
		read -r c m < "$W/t"
		echo "$a $c $m $(ratio "$a" "$c")" >> "$W/pairs"
		r=$((r + 1))
	done
	printf '%s %s %s\n' "$(sort -n -k1,1 "$W/pairs" | head -n 1 | cut -d' ' -f1)" \
		"$(sort -n -k2,2 "$W/pairs" | head -n 1 | cut -d' ' -f2,3)" \
		"$(sort -n -k4,4 "$W/pairs" | sed -n "$(((RUNS + 1) / 2))p" | cut -d' ' -f4)"
}
# floor STORE: SQLite doing the row work of an ingest by itself, with no
# parsing, no evidence and no cordon code: the sqlite3 shell copies the
# rows cordon stored in STORE, row by row (INSERT ... SELECT with a WHERE,
# which keeps SQLite from copying whole pages; one transaction), into an
# empty store that cordon created: the same schema, indexes and page size.
# Timed are the INSERT and its COMMIT; not the WAL checkpoint after, which
# cordon runs on a thread of its own.  Reading the source rows is in the
# figure, so it is a yardstick, not a strict bound.  Prints "full_s
# minimal_s read_s": the second copies into the least table that still has
# a row per event (id, time, dedup key, evidence pointer; no index at all);
# the third is reading every column of the rows alone, part of both.
floor() {
	src=$1 f=$W/floor.db
	rm -f "$f"*
	: > "$W/empty.jsonl"
	"$CORDON" --db "$f" ingest -q --input-format cloudtrail "$W/empty.jsonl" > /dev/null
	full=$(floor_time "$f" "$src" "INSERT INTO main.events SELECT * FROM src.events WHERE id > 0;")
	rm -f "$f"*
	sqlite3 "$f" "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;
		CREATE TABLE events(id INTEGER PRIMARY KEY, ts_ns INTEGER, dedup BLOB,
			seg_id INTEGER, seg_off INTEGER);" > /dev/null
	min=$(floor_time "$f" "$src" "INSERT INTO main.events SELECT id, ts_ns, dedup, seg_id,
		seg_off FROM src.events WHERE id > 0;")
	# reading every column of every row, as the copies do, timed alone
	cols=$(sqlite3 "$src" "SELECT group_concat('max(\"' || name || '\")', ',')
		FROM pragma_table_info('events')")
	read=$(printf '%s\n' ".timer on" "SELECT $cols FROM events WHERE id > 0;" |
		sqlite3 "$src" | awk '/^Run Time/ { s += $4 } END { printf "%.2f", s }')
	echo "$full $min $read"
	rm -f "$f"*
}
# floor_time DB SRC INSERT: seconds of the INSERT and its COMMIT
floor_time() {
	printf '%s\n' "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;" \
		"ATTACH '$2' AS src;" "BEGIN;" ".timer on" "$(echo "$3" | tr '\n\t' '  ')" \
		"COMMIT;" ".timer off" "PRAGMA main.wal_checkpoint(TRUNCATE);" |
		sqlite3 "$1" | awk '/^Run Time/ { s += $4 } END { printf "%.2f", s }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

echo "== JSON parser choice (50,000 CloudTrail records, parse + find eventName)"
[ -f "$W/ct50k.jsonl" ] || $GEN cloudtrail-ndjson 50000 > "$W/ct50k.jsonl"
cc -O2 -o "$W/json_pick" "$ROOT/tests/bench/json_pick.c" -lcjson -ljansson
"$W/json_pick" "$W/ct50k.jsonl"

echo
echo "== evidence compressor choice (the CloudTrail records below, in 1 MiB segments)"
echo "   (generated records repeat more than real logs: on ../shared/corpus zstd 1"
echo "   compressed 11.6x at 3.5x zlib 1's speed; see README \"Evidence compression\")"
cc -O2 -o "$W/compress_pick" "$ROOT/tests/bench/compress_pick.c" -lz -lzstd
[ -f "$W/ct200k.json" ] || $GEN cloudtrail 200000 "$W/ct200k.json"
"$W/compress_pick" "$W/ct200k.json"

echo
echo "== CloudTrail: 200,000 records, the same records in three shapes"
echo "   (jq and cordon alternate $RUNS times: the fastest of each, and the median"
echo "   ratio of adjacent pairs, which is the figure to read on a drifting machine)"
echo "   (one {\"Records\":[...]} file; 200 files of 1,000 as CloudTrail delivers"
echo "   them to S3; one event per line), each into a fresh indexed store"
[ -f "$W/ct200k.json" ] || $GEN cloudtrail 200000 "$W/ct200k.json"
if [ ! -d "$W/ct200k-files" ]; then
	mkdir -p "$W/ct200k-files"
	jq -c '.Records[]' "$W/ct200k.json" > "$W/ct200k.jsonl"
	split -l 1000 -d -a 3 "$W/ct200k.jsonl" "$W/ct200k-files/part"
	for f in "$W"/ct200k-files/part*; do
		jq -s -c '{Records: .}' "$f" > "$f.json" && rm "$f"
	done
fi
size=$(stat -c %s "$W/ct200k.json")
printf "  input        %s MiB, %s bytes per record\n" "$(mib $size)" "$((size / 200000))"
JQF='[.eventTime, .eventSource, .eventName, .awsRegion, .sourceIPAddress, .userAgent, .userIdentity.arn, .userIdentity.accessKeyId, .errorCode, .eventID]'
for shape in one-file delivered-files ndjson; do
	case $shape in
	one-file) in="$W/ct200k.json"; anchor() { jq -c ".Records[] | $JQF" "$in"; } ;;
	delivered-files) in="$W/ct200k-files"; anchor() { jq -c ".Records[] | $JQF" "$W"/ct200k-files/*.json; } ;;
	ndjson) in="$W/ct200k.jsonl"; anchor() { jq -c "$JQF" "$in"; } ;;
	esac
	set -- $(pairs "$W/ct.db" "$in")
	t_jq=$1; t_c=$2; rss_c=$3; r_med=$4
	n=$(sqlite3 "$W/ct.db" 'SELECT count(*) FROM events')
	printf "  %-15s jq %6.2fs | cordon %6.2fs, %7s records/s, %s stored, RSS %s MiB | cordon = %sx jq, pairs' median %sx (target >= 5x)\n" \
		"$shape" "$t_jq" "$t_c" "$(rate 200000 $t_c)" "$n" \
		"$(awk -v k=$rss_c 'BEGIN{printf "%.0f", k/1024}')" "$(ratio $t_jq $t_c)" "$r_med"
done
set -- $(floor "$W/ct.db")
printf "  SQLite alone   sqlite3 copies the same 200,000 rows in %.2fs into the indexed store\n" "$1"
printf "                 (reading them is %.2fs of it; jq's time / 5 on NDJSON is %.2fs), %.2fs\n" \
	"$3" "$(awk -v a="$t_jq" 'BEGIN { printf "%.2f", a / 5 }')" "$2"
printf "                 into a table of time, key and evidence pointer only (cordon = %sx the copy)\n" \
	"$(ratio $t_c $1)"

echo
echo "== auditd: 1,000,000 records, in two mixes"
echo "   (syscall-heavy: exec events of SYSCALL, EXECVE, CWD, PATH, PROCTITLE and EOE,"
echo "   six records to an event; user-space: PAM and login records, one record to an"
echo "   event, so six times the events and store rows for the same record count)"
[ -f "$W/audit1m.log" ] || $GEN auditd 1000000 "$W/audit1m.log"
[ -f "$W/audit1m-user.log" ] || $GEN auditd-user 1000000 "$W/audit1m-user.log"
for mix in syscall-heavy user-space; do
	case $mix in
	syscall-heavy) in="$W/audit1m.log" ;;
	user-space) in="$W/audit1m-user.log" ;;
	esac
	anchor() { ausearch --raw -if "$in"; }
	set -- $(pairs "$W/au.db" "$in")
	t_au=$1; t_c=$2; rss_c=$3; r_med=$4
	n=$(sqlite3 "$W/au.db" 'SELECT count(*) FROM events')
	printf "  %-14s %s MiB: ausearch %6.2fs | cordon %6.2fs, %s events stored, RSS %s MiB | cordon takes %sx ausearch's time, pairs' median %sx (target <= 1.00)\n" \
		"$mix" "$(mib $(stat -c %s "$in"))" "$t_au" "$t_c" "$n" \
		"$(awk -v k=$rss_c 'BEGIN{printf "%.0f", k/1024}')" "$(ratio $t_c $t_au)" \
		"$(awk -v r="$r_med" 'BEGIN { printf "%.2f", (r > 0 ? 1 / r : 0) }')"
	set -- $(floor "$W/au.db")
	printf "  %-14s SQLite alone: sqlite3 copies these rows in %.2fs into the indexed store\n" "" "$1"
	printf "  %-14s (reading them is %.2fs of it), %.2fs into a table of time, key and evidence\n" \
		"" "$3" "$2"
	printf "  %-14s pointer only (ausearch %.2fs; cordon = %sx the copy)\n" "" "$t_au" "$(ratio $t_c $1)"
done

echo
echo "== streaming: peak RSS on a ~2 GB NDJSON input"
if [ ! -f "$W/ct2g.jsonl" ]; then
	$GEN cloudtrail-ndjson 1700000 > "$W/ct2g.jsonl"
fi
size=$(stat -c %s "$W/ct2g.jsonl")
rm -f "$W/big.db"*
set -- $(rss "$CORDON" --db "$W/big.db" ingest -q "$W/ct2g.jsonl")
printf "  input        %s MiB\n" "$(mib $size)"
printf "  cordon       %6.2fs, peak RSS %s MiB (target < 256 MiB)\n" "$1" \
	"$(awk -v k=$2 'BEGIN{printf "%.0f", k/1024}')"
rm -f "$W/big.db"*
sh "$ROOT/tests/bench/correlate.sh"
echo
sh "$ROOT/tests/bench/scale.sh"
echo "== cordon tui: keystroke to finished redraw through a pty, 80x24, on the store above"
python3 "$ROOT/tests/bench/tui_keys.py" "$CORDON" "$W/corr/store.db" "${CORDON_BENCH_TUI_KEYS:-30}" \
	|| echo "  (tui bench failed)"
sh "$ROOT/tests/bench/inventory.sh"
sh "$ROOT/tests/bench/listen.sh"

echo
echo "== correlation on generated cases (tests/gen: ${CORDON_GEN_CASES:-50} randomized cases of each"
echo "   workload kind (${CORDON_GEN_KIND:-all}) from seed ${CORDON_GEN_SEED:-1000}, about 1 in 5 benign-only;"
echo "   figures per kind at the end, never asserted)"
GEN_KIND=${CORDON_GEN_KIND:-all} sh "$ROOT/tests/gen/run.sh" "${CORDON_GEN_CASES:-50}" "${CORDON_GEN_SEED:-1000}" |
	sed -n '/^cases:/,$p' | sed 's/^/  /'
sh "$ROOT/tests/bench/soak.sh"
