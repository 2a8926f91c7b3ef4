# revoke aws-function against tests/emu/aws.py's Lambda (REST-JSON, SigV4
# for service "lambda" recomputed by botocore): reserved concurrency 0, the
# real aws CLI reading the same setting back, undo restoring what was there
# (a count, or no reservation), already-stopped proven by the read, an
# absent function a failure, an ARN's region used for endpoint and scope,
# throttling honoured, and no secret anywhere.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
CALLER_SECRET=CallerSecretDoNotLeak0000000000000000002
cat > seed.json <<JSON
{"account":"123456789012",
 "callers":[{"id":"AKIACALLER0000000002","secret":"$CALLER_SECRET","user":"emu-admin"}],
 "functions":{"thumbnailer":{"reserved":5},"agent-tools":{},"stopped":{"reserved":0},
              "eu-fn":{"region":"eu-west-1","reserved":2}}}
JSON
emu_start aws "$TMP/emu" --seed seed.json
export AWS_ACCESS_KEY_ID=AKIACALLER0000000002 AWS_SECRET_ACCESS_KEY=$CALLER_SECRET AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=$EMU_AWS_URL AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export CORDON_HTTP_BACKOFF_MS=50
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION
DB="$TMP/l.db"
C() { "$CORDON" --db "$DB" "$@"; }
fn() { emu_ctl aws GET /state | jq -c --arg f "$1" '.functions[$f].reserved'; }

C revoke aws-function thumbnailer --dry-run > d || die "dry run: $(cat d)"
grep -q "PUT .*/2017-10-31/functions/thumbnailer/concurrency" d || die "dry run: $(cat d)"
expect_eq "$(fn thumbnailer)" 5 "dry run changed nothing"

C revoke aws-function thumbnailer --format json > o || die "stop: $(cat o)"
jq -e '.results[0].result == "done" and (.results[0].verified | test("5 -> 0"))' o > /dev/null || die "stop: $(cat o)"
expect_eq "$(fn thumbnailer)" 0 "reserved concurrency"
id=$(jq -r '.results[0].action_id' o)
# the real aws CLI sees the same state
if command -v aws > /dev/null; then
	aws --region us-east-1 --endpoint-url "$EMU_AWS_URL" lambda get-function-concurrency --function-name thumbnailer > a 2> aerr ||
		die "aws cli: $(cat aerr)"
	jq -e '.ReservedConcurrentExecutions == 0' a > /dev/null || die "aws cli sees: $(cat a)"
fi
C revoke aws-function thumbnailer > o2 || die "twice: $(cat o2)"
grep -q "^already .*reserved concurrency 0" o2 || die "twice: $(cat o2)"
C revoke undo "$id" > u || die "undo: $(cat u)"
expect_eq "$(fn thumbnailer)" 5 "undo restores 5"

# unreserved before: undo removes the reservation again
C revoke aws-function agent-tools --format json > o || die "stop unreserved: $(cat o)"
expect_eq "$(fn agent-tools)" 0 "agent-tools stopped"
C revoke undo "$(jq -r '.results[0].action_id' o)" > u || die "undo unreserved: $(cat u)"
expect_eq "$(fn agent-tools)" null "undo removes the reservation"
grep -q "none" u || die "undo text: $(cat u)"

# an ARN in another region: its region picks the scope (the emulator only
# finds eu-fn when signed for eu-west-1)
C revoke aws-function arn:aws:lambda:eu-west-1:123456789012:function:eu-fn > o || die "arn: $(cat o)"
grep -q "^done" o || die "arn: $(cat o)"
expect_eq "$(fn eu-fn)" 0 "eu-fn stopped"
emu_ctl aws GET /requests | jq -e '[.[] | select(.path | test("eu-fn")) | .region] | all(. == "eu-west-1")' > /dev/null ||
	die "eu-fn scope: $(emu_ctl aws GET /requests | jq -c '[.[] | select(.path | test("eu-fn"))]')"

# absent: a failure naming it, nothing sent but the read
emu_ctl aws DELETE /requests > /dev/null
set +e; C revoke aws-function ghost > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent function"
grep -q "function ghost not found in us-east-1 (404)" o3 || die "absent: $(cat o3)"
emu_ctl aws GET /requests | jq -e 'all(.[]; .method == "GET")' > /dev/null || die "absent sent"
set +e; C revoke aws-function 'bad name!' > o3 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || die "bad name accepted"
grep -q "is not a Lambda function name or ARN" o3 || die "bad name: $(cat o3)"

# throttled once (429 TooManyRequestsException, Retry-After): retried
emu_ctl aws POST /fault '{"match":"concurrency","method":"PUT","kind":"throttle","status":429,"code":"TooManyRequestsException","count":1,"retry_after":0}' > /dev/null
C revoke aws-function thumbnailer > o || die "throttled: $(cat o)"
grep -q "^done" o || die "throttled: $(cat o)"
expect_eq "$(fn thumbnailer)" 0 "stopped after a throttle"
emu_ctl aws GET /requests | jq -e 'any(.[]; .status == 429 and .method == "PUT")' > /dev/null || die "no throttle was answered"

C audit verify > /dev/null || die "audit verify"
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for f in o o2 o3 u d "$DB" "$DB-wal" "$TMP/emu/aws.log"; do
	[ -f "$f" ] || continue
	if grep -qaF -- "$CALLER_SECRET" "$f"; then die "secret found in $f"; fi
done
