#!/bin/sh
# tests/bench/run.sh - `make bench`: cordon's ingest throughput next to
# anchors measured in the same run on the same files.  Not a test: it
# prints ratios and the targets, and never fails on timing.
#
#   JSON parser choice   jsmn vs cJSON vs jansson on the same records
#   CloudTrail           200,000 records: cordon ingest vs jq extracting the
#                        main fields (target: cordon >= 5x jq)
#   auditd               1,000,000 records: cordon ingest vs ausearch --raw
#                        scanning the same log (target: cordon <= ausearch)
#   streaming            a ~2 GB NDJSON input: peak RSS (target < 256 MiB)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench
mkdir -p "$W"
sh "$ROOT/scripts/deps.sh" bench
GEN="python3 $ROOT/tests/bench/gen.py"
TIME=/usr/bin/time

secs() { # secs CMD...: wall seconds of CMD (stdout discarded)
	$TIME -f %e -o "$W/t" "$@" > /dev/null
	cat "$W/t"
}
rss() { # rss CMD...: "seconds maxrss_kib"
	$TIME -f '%e %M' -o "$W/t" "$@" > /dev/null
	cat "$W/t"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

echo "== JSON parser choice (50,000 CloudTrail records, parse + find eventName)"
[ -f "$W/ct50k.jsonl" ] || $GEN cloudtrail-ndjson 50000 > "$W/ct50k.jsonl"
cc -O2 -o "$W/json_pick" "$ROOT/tests/bench/json_pick.c" -lcjson -ljansson
"$W/json_pick" "$W/ct50k.jsonl"

echo
echo "== CloudTrail: 200,000 records in one {\"Records\":[...]} file"
[ -f "$W/ct200k.json" ] || $GEN cloudtrail 200000 "$W/ct200k.json"
size=$(stat -c %s "$W/ct200k.json")
t_jq=$(secs jq -c '.Records[] | [.eventTime, .eventSource, .eventName, .awsRegion, .sourceIPAddress, .userAgent, .userIdentity.arn, .userIdentity.accessKeyId, .errorCode, .eventID]' "$W/ct200k.json")
rm -f "$W/ct.db"*
set -- $(rss "$CORDON" --db "$W/ct.db" ingest -q "$W/ct200k.json")
t_c=$1; rss_c=$2
n=$(sqlite3 "$W/ct.db" 'SELECT count(*) FROM events')
printf "  input        %s MiB, %s records stored, %s bytes per record\n" "$(mib $size)" "$n" "$((size / 200000))"
printf "  jq           %6.2fs  %8s records/s\n" "$t_jq" "$(rate 200000 $t_jq)"
printf "  cordon       %6.2fs  %8s records/s  (into the indexed store; peak RSS %s MiB)\n" \
	"$t_c" "$(rate 200000 $t_c)" "$(awk -v k=$rss_c 'BEGIN{printf "%.0f", k/1024}')"
printf "  ratio        cordon is %sx jq's throughput (target >= 5x)\n" "$(ratio $t_jq $t_c)"

echo
echo "== auditd: 1,000,000 records"
[ -f "$W/audit1m.log" ] || $GEN auditd 1000000 "$W/audit1m.log"
size=$(stat -c %s "$W/audit1m.log")
t_au=$(secs ausearch --raw -if "$W/audit1m.log")
rm -f "$W/au.db"*
set -- $(rss "$CORDON" --db "$W/au.db" ingest -q "$W/audit1m.log")
t_c=$1; rss_c=$2
n=$(sqlite3 "$W/au.db" 'SELECT count(*) FROM events')
printf "  input        %s MiB, %s events stored\n" "$(mib $size)" "$n"
printf "  ausearch     %6.2fs  (--raw scan)\n" "$t_au"
printf "  cordon       %6.2fs  (parse, join, store; peak RSS %s MiB)\n" "$t_c" \
	"$(awk -v k=$rss_c 'BEGIN{printf "%.0f", k/1024}')"
printf "  ratio        cordon takes %sx ausearch's time (target <= 1.00)\n" "$(ratio $t_c $t_au)"

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
