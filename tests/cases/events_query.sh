# `cordon events`: time ranges, sources, field filters, regex, formats,
# redaction, raw evidence byte-exact.
. "$ROOT/tests/cases/lib.sh"
"$CORDON" --db t.db ingest -q "$ROOT/tests/data/cloudtrail/trail-records.json"
ct_lines 20 0 > a.jsonl
"$CORDON" --db t.db ingest -q a.jsonl
expect_eq "$(count t.db)" 23 "all"
expect_eq "$(count t.db --since 2025-06-03T10:04:00Z --until 2025-06-03T10:05:00Z)" 2 "time range"
expect_eq "$(count t.db action=sts:AssumeRole)" 1 "field equality"
expect_eq "$(count t.db 'actor~^arn:aws:iam::111122223333:user/u[0-2]$')" 9 "regex"
expect_eq "$(count t.db outcome!=success)" 1 "not equal"
expect_eq "$(count t.db issued_cred=)" 22 "absent field"
expect_eq "$(count t.db --source cloudtrail src_ip=203.0.113.66)" 3 "source + field"
"$CORDON" --db t.db events --format json | jq -e '.events | length == 23' > /dev/null || die "json"
first=$("$CORDON" --db t.db events --format ndjson --oldest --limit 1 | jq -r .time)
expect_eq "$first" "2025-06-03T10:00:00Z" "oldest first"
# raw evidence is byte-exact
"$CORDON" --db t.db events --format ndjson --raw --show-secrets action=sts:AssumeRole | jq -r .raw > raw.out
off=$("$CORDON" --db t.db events --format ndjson action=sts:AssumeRole | jq .evidence.offset)
len=$("$CORDON" --db t.db events --format ndjson action=sts:AssumeRole | jq .evidence.bytes)
tail -c +$((off + 1)) "$ROOT/tests/data/cloudtrail/trail-records.json" | head -c "$len" > raw.want
printf '\n' >> raw.want
cmp raw.out raw.want || die "raw evidence differs"
# secrets in records are hidden unless asked for
"$CORDON" --db t.db events --format ndjson --raw action=sts:AssumeRole | grep -q IQoJb3JpZ2luX2VjEXAMPLETOKEN && die "session token printed"
"$CORDON" --db t.db events --format ndjson --raw --show-secrets action=sts:AssumeRole | grep -q IQoJb3JpZ2luX2VjEXAMPLETOKEN || die "--show-secrets"
# errors that say what to do
set +e
"$CORDON" --db t.db events 'object~(' 2> err; rc=$?
expect_eq $rc 2 "bad regex exit"
grep -q "bad regular expression" err || die "bad regex message"
"$CORDON" --db t.db events nosuchfield=1 2> err; rc=$?
expect_eq $rc 2 "unknown field exit"
grep -q "cordon events --fields" err || die "unknown field hint"
"$CORDON" --db missing.db events 2> err; rc=$?
expect_eq $rc 2 "missing store exit"
grep -q "cordon ingest" err || die "missing store hint"
set -e
