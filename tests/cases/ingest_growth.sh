# A file that grew: only the new part is read and stored.
. "$ROOT/tests/cases/lib.sh"
ct_lines 100 0 > g.jsonl
"$CORDON" --db t.db ingest -q g.jsonl
size1=$(wc -c < g.jsonl)
ct_lines 30 100 >> g.jsonl
out=$("$CORDON" --db t.db ingest --json g.jsonl)
expect_eq "$(echo "$out" | jq .events)" 30 "new events"
expect_eq "$(echo "$out" | jq .duplicates)" 0 "re-read records"
size2=$(wc -c < g.jsonl)
expect_eq "$(echo "$out" | jq .bytes)" $((size2 - size1)) "bytes read"
expect_eq "$(count t.db)" 130 "total"
# replaced by different content (same path): read from the start
ct_lines 10 500 > g.jsonl
out=$("$CORDON" --db t.db ingest --json g.jsonl)
expect_eq "$(echo "$out" | jq .events)" 10 "replaced file"
