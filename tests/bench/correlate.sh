#!/bin/sh
# tests/bench/correlate.sh - the correlator on a large store (part of
# `make bench`; not a test, never fails on timing).
#
# A store of N events (default 10,000,000): CloudTrail traffic of 2,000
# identities from their usual addresses, Kubernetes audit traffic of 500
# service accounts, Tetragon execs of 1,000 containers, and a few escapes
# (IMDS credential theft replayed from outside).  Prints: one SQLite scan
# of the events table (the anchor), the full correlation (time, peak RSS,
# ratio to the scan), then an incremental run over 100,000 new events
# (target < 2 s).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench/corr
N=${CORDON_BENCH_CORR_EVENTS:-10000000}
mkdir -p "$W"
TIME=/usr/bin/time

gen() { # gen COUNT FIRST_ID SEED: NDJSON lines, a mix of three sources
	sh "$ROOT/tests/bench/gen_corr.sh" "$@"
}

echo "== correlate: a store of $N events"
# the cached store is reused only when made for this N by this schema
rm -f "$W/probe.db"* && : > "$W/empty" && "$CORDON" --db "$W/probe.db" ingest -q "$W/empty" || true
want="$N schema $(sqlite3 "$W/probe.db" 'PRAGMA user_version')"
rm -f "$W/probe.db"*
if [ ! -f "$W/store.pristine.db" ] || [ "$(cat "$W/n" 2>/dev/null)" != "$want" ]; then
	rm -f "$W"/store.db*
	gen "$N" 0 1 > "$W/base.jsonl"
	# one source per file so probing picks the right ingester
	grep '^{"eventVersion"' "$W/base.jsonl" > "$W/base-ct.jsonl"
	grep '^{"kind":"Event"' "$W/base.jsonl" > "$W/base-k8s.jsonl"
	grep '^{"process_exec"' "$W/base.jsonl" > "$W/base-tg.jsonl"
	grep '^{"output"' "$W/base.jsonl" > "$W/base-falco.jsonl"
	rm "$W/base.jsonl"
	$TIME -f '%e %M' -o "$W/t" "$CORDON" --db "$W/store.db" ingest --quiet \
		"$W/base-ct.jsonl" "$W/base-k8s.jsonl" "$W/base-tg.jsonl" "$W/base-falco.jsonl" >/dev/null || true
	read -r secs kib < "$W/t"
	printf "  ingest       %s s, %s events/s, peak RSS %s MiB\n" "$secs" \
		"$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" "$((kib / 1024))"
	echo "$want" > "$W/n"
	cp "$W/store.db" "$W/store.pristine.db"
else
	cp "$W/store.pristine.db" "$W/store.db"
	rm -f "$W/store.db-wal" "$W/store.db-shm"
fi
ev=$(sqlite3 "$W/store.db" 'SELECT count(*) FROM events')
$TIME -f '%e' -o "$W/t" sqlite3 "$W/store.db" \
	"SELECT count(*), sum(length(actor)), sum(length(action)), sum(length(src_ip)) FROM events" >/dev/null
scan=$(cat "$W/t")
printf "  events       %s\n" "$ev"
printf "  anchor       one SQLite scan of the events table: %s s\n" "$scan"
$TIME -f '%e %M' -o "$W/t" "$CORDON" --db "$W/store.db" correlate --format text > "$W/out" || true
read -r full rss <<EOF2
$(tail -n 1 "$W/t")
EOF2
printf "  full run     %s s, peak RSS %s MiB (%s x one scan)\n" "$full" "$((rss / 1024))" \
	"$(awk -v a="$full" -v b="$scan" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
sed 's/^/               /' "$W/out" | head -3
gen 100000 "$N" 2 > "$W/new.jsonl"
grep '^{"eventVersion"' "$W/new.jsonl" > "$W/new-ct.jsonl"
grep '^{"kind":"Event"' "$W/new.jsonl" > "$W/new-k8s.jsonl"
grep '^{"process_exec"' "$W/new.jsonl" > "$W/new-tg.jsonl"
grep '^{"output"' "$W/new.jsonl" > "$W/new-falco.jsonl"
$TIME -f '%e' -o "$W/t" "$CORDON" --db "$W/store.db" ingest --quiet "$W"/new-*.jsonl >/dev/null || true
printf "  ingest       100,000 new events into the full store: %s s\n" "$(tail -n 1 "$W/t")"
$TIME -f '%e' -o "$W/t" "$CORDON" --db "$W/store.db" correlate --format text > "$W/out" || true
printf "  incremental  100,000 new events: %s s (target < 2 s)\n" "$(tail -n 1 "$W/t")"
sed 's/^/               /' "$W/out" | head -3

# ---- interleaved sources: CloudTrail, Falco, auditd (tests/bench/gen_mixed.sh) ----
# The same 60,000 new events on a store of 100,000 and on one of N: a run's
# cost should follow the new events, not the store (target: within 1.5x);
# each run's longest write transaction is the store's own timing.
NM=${CORDON_BENCH_MIXED_EVENTS:-$N}
GEN="$ROOT/tests/bench/gen_mixed.sh"
echo "== correlate: interleaved sources (CloudTrail, Falco, auditd), $NM events"
wantm="$NM mixed schema $(sqlite3 "$W/store.db" 'PRAGMA user_version')"
if [ ! -f "$W/mixed.pristine.db" ] || [ "$(cat "$W/nm" 2>/dev/null)" != "$wantm" ]; then
	rm -f "$W"/mixed.db* "$W/mixed.pristine.db"
	sh "$GEN" "$W/mixed-base" "$NM" 0 1
	"$CORDON" --db "$W/mixed.db" ingest --quiet "$W/mixed-base/ct.jsonl" "$W/mixed-base/falco.json" \
		"$W/mixed-base/audit.log" >/dev/null || true
	rm -rf "$W/mixed-base"
	cp "$W/mixed.db" "$W/mixed.pristine.db"
	echo "$wantm" > "$W/nm"
else
	cp "$W/mixed.pristine.db" "$W/mixed.db"
	rm -f "$W/mixed.db-wal" "$W/mixed.db-shm"
fi
mixed_run() { # mixed_run DB LABEL: one correlate run, its time and longest write
	$TIME -f '%e %U %S %M' -o "$W/t" "$CORDON" --db "$1" correlate --format text > "$W/out" || true
	# time(1) puts "Command exited with non-zero status 1" first when
	# correlate found incidents (exit 1): the figures are the last line
	read -r secs usr sys kib <<EOF2
$(tail -n 1 "$W/t")
EOF2
	# CPU time beside wall time: on a shared machine wall time is mostly the others'
	printf "  %-44s %s s (%s s CPU), peak RSS %s MiB, longest write %s ms\n" "$2" "$secs" \
		"$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$((kib / 1024))" \
		"$(sqlite3 "$1" "SELECT value / 1000 FROM meta WHERE key = 'correlate.longest_write_us'")"
}
mixed_add() { # mixed_add DB COUNT FIRST SEED
	rm -rf "$W/mixed-new"
	sh "$GEN" "$W/mixed-new" "$2" "$3" "$4"
	"$CORDON" --db "$1" ingest --quiet "$W/mixed-new/ct.jsonl" "$W/mixed-new/falco.json" \
		"$W/mixed-new/audit.log" >/dev/null || true
}
mixed_run "$W/mixed.db" "full run, $NM events"
mixed_add "$W/mixed.db" 100000 "$NM" 2
mixed_run "$W/mixed.db" "incremental: 100,000 new events"
mixed_add "$W/mixed.db" 60000 $((NM + 100000)) 3
mixed_run "$W/mixed.db" "incremental: 60,000 new on the large store"
rm -f "$W"/small.db*
mixed_add "$W/small.db" 100000 0 1
"$CORDON" --db "$W/small.db" correlate > /dev/null 2>&1 || true
mixed_add "$W/small.db" 60000 100000 3
mixed_run "$W/small.db" "incremental: 60,000 new on a 100,000 store"
rm -rf "$W/mixed-new" "$W"/small.db*
