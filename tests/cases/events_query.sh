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
expect_eq "$first" "2025-06-03T10:00:00.000000000Z" "oldest first"
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
# a regex that hits a PCRE2 limit on a logged value (an attacker can choose
# it) either finds the event or fails loudly, never "no match": a run of
# a's before "target" makes '(a+)+$' backtrack at the start of the value
a40=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"eventTime":"2025-06-03T11:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"%sb target/1.0","eventID":"00000000-0000-4000-8000-000000009999"}\n' "$a40" > ua.jsonl
# and a 100,001-character user agent that '(x|y)*z' matches (the JIT's
# default 32 KiB stack cannot hold it; read as "no match" before)
awk 'BEGIN { s = ""; for (i = 0; i < 50000; i++) s = s "xy"; printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/y\"},\"eventTime\":\"2025-06-03T11:01:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.10\",\"userAgent\":\"%sz\",\"eventID\":\"00000000-0000-4000-8000-000000009998\"}\n", s }' > long.jsonl
"$CORDON" --db t.db ingest -q ua.jsonl long.jsonl
expect_eq "$(count t.db 'user_agent~target')" 1 "the plain pattern finds it"
set +e
"$CORDON" --db t.db events --format ndjson 'user_agent~target|(a+)+$' > out 2> err; rc=$?
set -e
if [ $rc = 0 ]; then
	grep -q 'target/1.0' out || die "a regex limit hid the event: nothing listed, exit 0"
else
	expect_eq $rc 2 "regex limit exit"
	grep -q "user_agent~'target|(a+)+\$'" err || die "regex limit message names field and pattern: $(cat err)"
	grep -q "limit" err || die "regex limit message says what happened: $(cat err)"
	grep -q "Rewrite the pattern" err || die "regex limit message says what to do: $(cat err)"
fi
expect_eq "$(count t.db 'user_agent~(x|y)*z')" 1 "(x|y)*z over 100k characters"
expect_eq "$(count t.db 'user_agent~^(x|y)*z$' src_ip=203.0.113.10)" 1 "anchored, over 100k characters"
# an address is looked up through its own index, newest first in index order
# (the shape of the events listing's page query: no scan, no sort)
plan=$(sqlite3 t.db "EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE 1 AND e.src_ip = '203.0.113.66' AND (e.ts_ns, e.id) < (9, 9) ORDER BY e.ts_ns DESC, e.id DESC LIMIT 1000")
echo "$plan" | grep -q "INDEX events_src" || die "src_ip is not indexed: $plan"
echo "$plan" | grep -q "TEMP B-TREE" && die "src_ip listing sorts: $plan"
true
