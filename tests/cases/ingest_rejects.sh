# Bad records are rejected with file and place; their neighbours are stored;
# the exit status says something was rejected.
. "$ROOT/tests/cases/lib.sh"
ct_lines 2 0 > r.jsonl
echo '{"eventTime": "2025-06-03T10:00:00Z", "eventSource": broken' >> r.jsonl
echo 'plain text line' >> r.jsonl
ct_lines 2 2 >> r.jsonl
set +e
"$CORDON" --db t.db ingest -q r.jsonl; rc=$?
set -e
expect_eq $rc 1 "exit status with rejects"
expect_eq "$(count t.db)" 4 "stored neighbours"
"$CORDON" --db t.db rejects --format ndjson > rj
expect_eq "$(wc -l < rj | tr -d ' ')" 2 "reject rows"
expect_eq "$(jq -r .line rj | tr '\n' ' ')" "3 4 " "reject lines"
jq -r .file rj | grep -q "r.jsonl$" || die "reject file"
"$CORDON" --db t.db rejects | grep -q "r.jsonl:3 (byte" || die "reject table"
# an oversized record is rejected without storing its bytes; neighbours stay
ct_lines 1 10 > big.jsonl
awk 'BEGIN { printf "{\"eventTime\":\"2025-06-03T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"X\",\"awsRegion\":\"x\",\"pad\":\""; for (i = 0; i < 300000; i++) printf "A"; print "\"}" }' >> big.jsonl
ct_lines 1 11 >> big.jsonl
set +e
"$CORDON" --db t.db ingest -q --max-record 65536 big.jsonl; rc=$?
set -e
expect_eq $rc 1 "oversize exit"
expect_eq "$(count t.db)" 6 "oversize neighbours"
"$CORDON" --db t.db rejects | grep -q "exceeds the size limit" || die "oversize reason"
# a file in no known format
echo "hello world" > unknown.txt
set +e
"$CORDON" --db t.db ingest -q unknown.txt; rc=$?
set -e
expect_eq $rc 1 "unknown format exit"
"$CORDON" --db t.db rejects | grep -q "format not recognised" || die "unknown format reason"
