# Rows go to the store many to a statement (STORE_EVENT_BATCH); a batch
# that meets records already stored, or the same record twice, must still
# store each record once, count the rest as duplicates, give every stored
# row the raw bytes of its own record, and hand the learner the right ids.
# (Which id each row of a mixed batch gets is checked exactly by the unit
# test store_batch_ids; here the whole path runs end to end.)
. "$ROOT/tests/cases/lib.sh"
ct_lines 1000 0 > a.jsonl
# b: records 500..2499 (half already stored), each of 2000..2099 twice in a
# row, and 2100 again at the end, far from its first copy
{ ct_lines 2000 500; ct_lines 100 2000; ct_lines 1 2100; } > b.jsonl
"$CORDON" --db t.db ingest -q a.jsonl
out=$("$CORDON" --db t.db ingest --json b.jsonl)
expect_eq "$(echo "$out" | jq .events)" 1500 "new records from b"
expect_eq "$(echo "$out" | jq .duplicates)" 601 "duplicates in b"
expect_eq "$(count t.db)" 2500 "total"
# every row's evidence is its own record: the raw eventID is the row's ref
"$CORDON" --db t.db events --raw --limit 0 --format ndjson |
	jq -r '[.ref, (.raw | fromjson | .eventID)] | @tsv' |
	awk -F'\t' '$1 != $2 { bad++ } END { exit bad > 0 }' || die "a row points at another record's bytes"
expect_eq "$(sqlite3 t.db 'SELECT count(DISTINCT ref) FROM events')" 2500 "one row per eventID"
# ids are dense and in input order, as one-row inserts made them
expect_eq "$(sqlite3 t.db 'SELECT max(id) - min(id) + 1 FROM events')" 2500 "dense ids"
expect_eq "$(sqlite3 t.db "SELECT count(*) FROM events e JOIN events f ON f.id = e.id + 1 WHERE f.line < e.line AND f.input_id = e.input_id")" 0 "ids follow the lines"
# lineage learned while duplicates interleave with new records equals the
# catch-up pass: each scenario's cloud records, every other one first, then all
S="$ROOT/tests/scenarios"
for sc in "$S"/S*; do
	n=$(basename "$sc")
	: > "$n.all"
	[ -f "$sc/attack/cloudtrail.json" ] && jq -c '.Records[]' "$sc/attack/cloudtrail.json" >> "$n.all"
	[ -f "$sc/attack/k8s-audit.jsonl" ] && cat "$sc/attack/k8s-audit.jsonl" >> "$n.all"
	[ -s "$n.all" ] || continue
	awk 'NR % 2' "$n.all" > "$n.half.jsonl"
	cp "$n.all" "$n.all.jsonl"
	set +e
	"$CORDON" --db "$n.db" ingest -q "$sc/inventory" "$sc/benign" "$n.half.jsonl" "$n.all.jsonl"
	set -e
	learned_as_caught_up "$n.db" "$n"
done
[ "$learned_total" -gt 20 ] || die "only $learned_total event-learned edges compared"
echo "event-learned edges compared: $learned_total"
