# Ingesting the same file twice adds nothing; a copy elsewhere adds nothing;
# a pretty-printed copy of the same records adds nothing.
. "$ROOT/tests/cases/lib.sh"
ct_lines 50 0 > a.jsonl
"$CORDON" --db t.db ingest -q a.jsonl || die "first ingest"
expect_eq "$(count t.db)" 50 "first ingest"
out=$("$CORDON" --db t.db ingest --json a.jsonl) || die "second ingest"
expect_eq "$(echo "$out" | jq .events)" 0 "second ingest events"
expect_eq "$(echo "$out" | jq '.inputs[0].skipped')" true "second ingest skipped"
cp a.jsonl b.jsonl
out=$("$CORDON" --db t.db ingest --json b.jsonl) || die "copy ingest"
expect_eq "$(echo "$out" | jq .events)" 0 "copy: new events"
expect_eq "$(echo "$out" | jq .duplicates)" 50 "copy: duplicates"
jq -s '{Records: .}' a.jsonl > pretty.json
out=$("$CORDON" --db t.db ingest --json pretty.json) || die "pretty ingest"
expect_eq "$(echo "$out" | jq .events)" 0 "pretty copy: new events"
expect_eq "$(echo "$out" | jq .duplicates)" 50 "pretty copy: duplicates"
expect_eq "$(count t.db)" 50 "total"
