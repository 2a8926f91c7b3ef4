#!/bin/sh
# tests/bench/scale.sh - ingest as the case grows (`make bench-scale`, and
# part of `make bench`; not a test, never fails on timing).
#
# NEW (200,000) CloudTrail NDJSON events go into an empty store and into
# stores already holding 1M and 10M events of the correlate bench's case
# (tests/bench/gen_corr.sh: CloudTrail of a busy account's 2,000 identities,
# Kubernetes audit and Tetragon, 20 events a second), in two shapes:
#   later        the same account, after everything stored
#   interleaved  another account and region over the same days, so every
#                new event lands between stored ones in time
# Printed per store size and shape: cordon's time and rate, the rate's ratio
# to the same file into an empty store (target >= 0.80), peak RSS (target <
# 256 MiB), what the process wrote, and the SQLite yardstick: the sqlite3
# shell alone inserting the same rows (those cordon just stored, under a
# changed dedup key so they are new again) into the same store, in one
# transaction (target: cordon within 1.25x of it).
#
# The base stores are built once and cached under build/bench/scale, keyed
# by size and schema (the correlate bench's cached store of the same size
# and schema serves instead when there is one); each measurement runs on a
# fresh copy.  CORDON_BENCH_SCALE_SIZES (default "1000000 10000000"),
# CORDON_BENCH_SCALE_NEW (200000), CORDON_BENCH_SCALE_RUNS (1): rounds, each
# the empty store, then the large one, back to back.  This machine's speed
# drifts by up to 1.5x within minutes, so a ratio is taken within each
# round, where both runs see the same machine, and the median of the
# rounds' ratios is printed; times, bytes and CPU are the rounds' medians,
# peak RSS their maximum.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORDON=${CORDON:-$ROOT/cordon}
W=$ROOT/build/bench/scale
SIZES=${CORDON_BENCH_SCALE_SIZES:-1000000 10000000}
NEW=${CORDON_BENCH_SCALE_NEW:-200000}
RUNS=${CORDON_BENCH_SCALE_RUNS:-1}
GEN="sh $ROOT/tests/bench/gen_scale.sh"
TIME=/usr/bin/time
mkdir -p "$W"

# the schema a new store gets: a cached base of another schema is rebuilt
rm -f "$W/probe.db"* && : > "$W/empty"
"$CORDON" --db "$W/probe.db" ingest -q --input-format cloudtrail "$W/empty" > /dev/null
schema=$(sqlite3 "$W/probe.db" 'PRAGMA user_version')
rm -f "$W/probe.db"*

# warm: touch and free 1.5 GiB just before a timed run, so that every run
# starts with the same memory.  This machine is a VM whose host backs guest
# memory on first touch and takes freed pages back: a run right after the
# 5 GB copy of a base store found its page-cache and heap pages cold and
# spent 0.8-1.1 s of system time on faults, against 0.26-0.37 s after this
# step, into a 10M-event store and into an empty one alike (an empty-store
# run after the same copy: 0.38-0.84 s; docs/ingest-scale.md, "The
# bench's copy").  Every timed run gets it: cordon's and the yardstick's,
# into empty stores and large ones.
warm() { python3 -c 'b = bytearray(b"\1") * (1536 << 20)'; }

# ingest DB FILE: "seconds peak_rss_kib written_kib cpu_seconds" of one
# cordon ingest (written and CPU drift less than wall time on a shared machine)
ingest() {
	warm
	$TIME -f '%e %M %O %U %S' -o "$W/t" "$CORDON" --db "$1" ingest -q --input-format cloudtrail \
		"$2" > /dev/null
	awk '{ printf "%s %s %.0f %.2f", $1, $2, $3 / 2, $4 + $5 }' "$W/t"
}
# yard DB SRC FIRST: seconds for sqlite3 alone to insert SRC's events with
# id > FIRST into DB (the same table and indexes), the dedup key's first
# byte changed so that they are new rows; one transaction, the INSERT and
# its COMMIT timed (not the checkpoint after, which cordon overlaps).
yard() {
	cols=$(sqlite3 "$2" "SELECT group_concat(CASE name WHEN 'dedup'
		THEN 'x''ee'' || substr(dedup, 2)' ELSE '\"' || name || '\"' END, ', ')
		FROM pragma_table_info('events') WHERE name <> 'id'")
	printf '%s\n' "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;" \
		"ATTACH '$2' AS src;" "BEGIN;" ".timer on" \
		"INSERT INTO main.events SELECT NULL, $cols FROM src.events WHERE id > $3;" \
		"COMMIT;" ".timer off" "PRAGMA main.wal_checkpoint(TRUNCATE);" > "$W/yard.sql"
	warm
	sqlite3 "$1" < "$W/yard.sql" | awk '/^Run Time/ { s += $4 } END { printf "%.2f", s }'
}
rate() { awk -v s="$1" -v n="$NEW" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
# median: of the numbers on stdin, one a line
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# col FILE N: column N of each round; ratios FILE1 N1 FILE2 N2: per round,
# FILE1's column N1 over FILE2's column N2 (the rounds line up by line)
col() { awk -v c="$2" '{ print $c }' "$1"; }
ratios() {
	paste -d ' ' "$1" "$3" | awk -v a="$2" -v b="$(($4 + 5))" '{ print ($b > 0 ? $a / $b : 0) }'
}
med() { "$@" | median; }
peak() { col "$1" 2 | sort -n | tail -n 1; }

echo "== ingest at scale: $NEW new CloudTrail NDJSON events into stores of 0 and $SIZES events"
echo "   (later: the stored account, after everything stored; interleaved: another account"
echo "   and region over the same days; yardstick: sqlite3 alone inserting the same rows into"
echo "   the same store in one transaction; targets: ratio to empty >= 0.80, RSS < 256 MiB,"
echo "   cordon <= 1.25x the yardstick)"
printf "  %-8s %-12s %8s %9s %7s %9s %9s %6s | %9s %8s\n" store new cordon events/s "/empty" "peak RSS" \
	written CPU yardstick "/yard"
for n in $SIZES; do
	span=$((n / 20))
	base=$W/base-$n.db
	if [ "$(cat "$ROOT/build/bench/corr/n" 2>/dev/null)" = "$n schema $schema" ] &&
		[ -f "$ROOT/build/bench/corr/store.pristine.db" ]; then
		base=$ROOT/build/bench/corr/store.pristine.db
	elif [ ! -f "$base" ] || [ "$(cat "$W/base-$n.key" 2>/dev/null)" != "$n schema $schema" ]; then
		rm -f "$base"* "$W/base-$n.key"
		t0=$(date +%s)
		sh "$ROOT/tests/bench/gen_corr.sh" "$n" 0 1 > "$W/base.jsonl"
		# one source per file so probing picks the right ingester
		for s in eventVersion kind process_exec output; do
			grep "^{\"$s\"" "$W/base.jsonl" > "$W/base-$s.jsonl" || :
		done
		rm "$W/base.jsonl"
		"$CORDON" --db "$base" ingest -q "$W"/base-*.jsonl > /dev/null
		rm -f "$W"/base-*.jsonl
		sqlite3 "$base" 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
		echo "$n schema $schema" > "$W/base-$n.key"
		printf "  (built the %s-event store in %s s)\n" "$n" "$(($(date +%s) - t0))"
	fi
	for mode in later interleaved; do
		in=$W/$mode-$n.jsonl
		[ -f "$in" ] || $GEN "$mode" "$NEW" "$n" "$span" 2 > "$in"
		: > "$W/e" && : > "$W/b"
		r=0
		while [ "$r" -lt "$RUNS" ]; do
			# empty store, then the large one, then the yardstick in each
			rm -f "$W/e.db"* "$W/y.db"*
			set -- $(ingest "$W/e.db" "$in")
			"$CORDON" --db "$W/y.db" ingest -q --input-format cloudtrail "$W/empty" > /dev/null
			echo "$1 $2 $3 $4 $(yard "$W/y.db" "$W/e.db" 0)" >> "$W/e"
			rm -f "$W/w.db"*
			cp "$base" "$W/w.db"
			# the copy's dirty pages to disk first: else the first fsync of
			# the timed run (cordon's checkpoint) writes the whole copy
			sync
			first=$(sqlite3 "$W/w.db" 'SELECT max(id) FROM events')
			set -- $(ingest "$W/w.db" "$in")
			echo "$1 $2 $3 $4 $(yard "$W/w.db" "$W/w.db" "$first")" >> "$W/b"
			r=$((r + 1))
		done
		rm -f "$W/e.db"* "$W/y.db"* "$W/w.db"*
		# e and b: "seconds rss_kib written_kib cpu yardstick" a round
		printf "  %-8s %-12s %7.2fs %9s %7s %6s MiB %5s MiB %5.1fs | %8.2fs %7.2fx\n" empty "$mode" \
			"$(med col "$W/e" 1)" "$(rate "$(med col "$W/e" 1)")" "1.00" "$(($(peak "$W/e") / 1024))" \
			"$(($(med col "$W/e" 3 | cut -d. -f1) / 1024))" "$(med col "$W/e" 4)" \
			"$(med col "$W/e" 5)" "$(med ratios "$W/e" 1 "$W/e" 5)"
		printf "  %-8s %-12s %7.2fs %9s %7.2f %6s MiB %5s MiB %5.1fs | %8.2fs %7.2fx\n" "$n" "$mode" \
			"$(med col "$W/b" 1)" "$(rate "$(med col "$W/b" 1)")" "$(med ratios "$W/e" 1 "$W/b" 1)" \
			"$(($(peak "$W/b") / 1024))" "$(($(med col "$W/b" 3 | cut -d. -f1) / 1024))" \
			"$(med col "$W/b" 4)" "$(med col "$W/b" 5)" "$(med ratios "$W/b" 1 "$W/b" 5)"
	done
done
