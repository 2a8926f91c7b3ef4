# A regex rule that hits a PCRE2 limit on a logged value is never read as
# "no match": an attacker who controls a logged string (a user agent) must
# not hide from every regex rule.  The correlator counts each rule it could
# not evaluate, records it in the rejects (rule, event, field, pattern),
# exits 1, and keeps a finding whose exception could not be evaluated;
# `rules test` fails an example that hits a limit.
. "$ROOT/tests/cases/lib.sh"
a40=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"eventTime":"2025-06-03T11:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"%sb target/1.0","eventID":"00000000-0000-4000-8000-000000009999"}\n' "$a40" > ua.jsonl
ct_lines 3 0 >> ua.jsonl
mkdir rules
cat > rules/re.rules <<'R'
rule TEST-RE1
  title the user agent names the target
  severity low
  class usage-anomaly
  exposes none
  when
    source = cloudtrail
    user_agent ~ target|(a+)+$

rule TEST-RE2
  title an S3 read, unless the agent is a known one
  severity low
  class usage-anomaly
  exposes none
  when
    action = s3:GetObject
  unless
    user_agent ~ ^(a+)+$
R
"$CORDON" --db t.db ingest -q ua.jsonl
set +e; "$CORDON" --db t.db correlate --rules rules > out 2> err; rc=$?; set -e
expect_eq $rc 1 "correlate exit with unevaluated rules"
re1=$(sqlite3 t.db "SELECT count(*) FROM findings WHERE rule = 'TEST-RE1'")
if [ "$re1" = 0 ]; then
	# no finding: then it must be said, in the summary and the rejects
	grep -q '^2 rule evaluations failed' out || die "summary: $(cat out)"
	"$CORDON" --db t.db rejects --format ndjson > rej
	grep 'TEST-RE1' rej | grep 'user_agent ~' | grep -q 'event 1:' || die "rejects: $(cat rej)"
	grep 'TEST-RE1' rej | grep -q 'no finding was made' || die "rejects: $(cat rej)"
	grep -q 'rule TEST-RE1' err || die "warning: $(cat err)"
fi
# the exception could not be evaluated: the finding stays, and is reported
expect_eq "$(sqlite3 t.db "SELECT count(*) FROM findings WHERE rule = 'TEST-RE2'")" 1 "finding kept"
"$CORDON" --db t.db rejects --format ndjson | grep 'TEST-RE2' | grep -q 'finding was kept' \
	|| die "unless-block error not recorded"
# a later run has nothing new to evaluate: nothing counted twice
set +e; "$CORDON" --db t.db correlate --rules rules > out2; rc=$?; set -e
expect_eq $rc 0 "second correlate"
grep -q 'rule evaluations failed' out2 && die "counted again: $(cat out2)"
# an example that hits the limit fails `rules test` and says why
cat > ex.rules <<R
rule TEST-RE3
  title t
  when
    user_agent ~ target|(a+)+\$
  example match user_agent=${a40}b-target
R
set +e; "$CORDON" rules test ex.rules > ex.out 2>&1; rc=$?; set -e
expect_eq $rc 1 "rules test exit"
grep -q 'ex.rules:5: rule TEST-RE3: user_agent ~' ex.out || die "rules test: $(cat ex.out)"
echo "regex limits in rules ok"
