# stdin with -, and directories walked recursively (skipping the store itself).
. "$ROOT/tests/cases/lib.sh"
ct_lines 7 0 | "$CORDON" --db t.db ingest -q -
expect_eq "$(count t.db)" 7 "stdin"
"$CORDON" --db t.db events --format ndjson --limit 1 | jq -r .evidence.file | grep -qx "<stdin>" || die "stdin evidence"
mkdir -p d/a/b
ct_lines 3 100 > d/a/one.jsonl
ct_lines 4 200 | gzip -c > d/a/b/two.gz
cp "$ROOT/tests/data/cloudtrail/trail-records.json" d/
"$CORDON" --db d/case.db ingest -q d
expect_eq "$(count d/case.db)" 10 "directory"
out=$("$CORDON" --db d/case.db ingest --json d)
expect_eq "$(echo "$out" | jq '.inputs | length')" 3 "store files skipped"
