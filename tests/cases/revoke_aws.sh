# revoke aws-key / role sessions / login profile against tests/emu/aws.py
# (SigV4 recomputed by botocore): each action and its read-back, twice
# (idempotent), undo, rotation with the secret shown only on request, a
# session token signed, a profile from ~/.aws files, a wrong secret
# surfaced as SignatureDoesNotMatch, throttling honoured, dry-run silent,
# and no secret anywhere (stdout, stderr, the store and its WAL, emu logs).
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"

CALLER_SECRET=CallerSecretDoNotLeak0000000000000000001
EXPOSED_SECRET=ExposedSecretDoNotLeak000000000000000001
OTHER_SECRET=OtherSecretDoNotLeak00000000000000000001
SESSION_SECRET=SessionSecretDoNotLeak000000000000000001
SESSION_TOKEN=SessionTokenDoNotLeakFwoGZXIvYXdzEJr0000000000000001
cat > seed.json <<EOF
{"account":"123456789012",
 "callers":[{"id":"AKIACALLER0000000001","secret":"$CALLER_SECRET","user":"emu-admin"}],
 "users":{"ci-deployer":{"keys":[{"id":"AKIAEXPOSED000000001","secret":"$EXPOSED_SECRET","status":"Active"}],"login_profile":true},
          "two-keys":{"keys":[{"id":"AKIATWOKEYS000000001","secret":"$OTHER_SECRET","status":"Active"},
                              {"id":"AKIATWOKEYS000000002","secret":"$OTHER_SECRET","status":"Active"}]}},
 "roles":{"node-role":{"policies":{}},"eks-node":{"policies":{}}},
 "sessions":[{"id":"ASIASESSION000000001","secret":"$SESSION_SECRET","token":"$SESSION_TOKEN","role":"node-role","session":"i-0abc"}]}
EOF
emu_start aws "$TMP/emu" --seed seed.json
export AWS_ACCESS_KEY_ID=AKIACALLER0000000001 AWS_SECRET_ACCESS_KEY=$CALLER_SECRET
export AWS_ENDPOINT_URL=$EMU_AWS_URL AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export CORDON_HTTP_BACKOFF_MS=50
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
DB="$TMP/case.db"
C() { "$CORDON" --db "$DB" "$@"; }
state() { emu_ctl aws GET /state; }
key_status() { state | jq -r --arg k "$1" '[.users[].keys[] | select(.id == $k) | .status][0] // "absent"'; }

# --- disable, twice, undo --------------------------------------------------
C revoke aws-key AKIAEXPOSED000000001 --disable --format json > out 2> err || die "disable"
jq -e '.results[0].result == "done" and .results[0].http_status == 200 and (.results[0].request_id | length > 8)' out > /dev/null || die "disable result: $(cat out)"
expect_eq "$(key_status AKIAEXPOSED000000001)" Inactive "key status after disable"
id=$(jq -r '.results[0].action_id' out)
C revoke aws-key AKIAEXPOSED000000001 --disable --format json > out2 || die "disable twice"
jq -e '.results[0].result == "already"' out2 > /dev/null || die "second disable: $(cat out2)"
C revoke undo "$id" > out3 || die "undo"
grep -q "^done .*enable-key AKIAEXPOSED000000001: Active" out3 || die "undo output: $(cat out3)"
expect_eq "$(key_status AKIAEXPOSED000000001)" Active "key status after undo"
sqlite3 "$DB" "SELECT undo_of FROM actions ORDER BY id DESC LIMIT 1" | grep -qx "$id" || die "undo row not linked"

# --- every request was SigV4-checked by botocore and accepted ------------------
emu_ctl aws GET /requests > log.json
jq -e 'all(.[]; .status < 400 and .ua == "cordon/0.1.0" and .method == "POST")' log.json > /dev/null \
	|| die "some request rejected: $(jq -c '[.[] | select(.status >= 400)]' log.json)"
jq -e 'all(.[]; (.signed_headers | index("host")) and (.signed_headers | index("x-amz-date")) and .region == "us-east-1")' log.json > /dev/null \
	|| die "signed headers / scope"

# --- rotate: the new secret only to the caller, only when asked ---------------
C revoke aws-key AKIAEXPOSED000000001 --rotate --format json > rot || die "rotate"
jq -e '.results[0].result == "done" and (.results[0].new_key_id | startswith("AKIA")) and (.results[0] | has("new_secret") | not)' rot > /dev/null || die "rotate: $(cat rot)"
expect_eq "$(key_status AKIAEXPOSED000000001)" Inactive "old key after rotate"
new=$(jq -r '.results[0].new_key_id' rot)
expect_eq "$(key_status "$new")" Active "new key after rotate"
C revoke aws-key AKIAEXPOSED000000001 --rotate > rot2 || die "rotate twice"
grep -q "^already" rot2 || die "second rotate must not mint another key: $(cat rot2)"
# two active keys: refuse, clearly
set +e
C revoke aws-key AKIATWOKEYS000000001 --rotate > rot3 2>&1; rc=$?
set -e
expect_eq $rc 1 "rotate with two active keys"
grep -q "two active keys" rot3 || die "two-keys message: $(cat rot3)"
# --show-secret prints it once; it is in no row
C revoke aws-key AKIATWOKEYS000000002 --disable > /dev/null
C revoke aws-key AKIATWOKEYS000000001 --rotate --show-secret > rot4 || die "rotate --show-secret"
grep -q "secret (shown once" rot4 || die "secret not shown: $(cat rot4)"
shown=$(sed -n 's/.*not stored anywhere): //p' rot4)
[ ${#shown} -ge 20 ] || die "shown secret too short"

# --- role sessions, login profile ---------------------------------------------
C revoke aws-role-sessions arn:aws:iam::123456789012:role/node-role > rs || die "role sessions"
grep -q "^done .*AWSRevokeOlderSessions denies sessions issued before" rs || die "rs: $(cat rs)"
state | jq -e '.roles["node-role"].policies.AWSRevokeOlderSessions.Statement.Condition.DateLessThan["aws:TokenIssueTime"]' > /dev/null || die "deny policy absent"
C revoke aws-login-profile ci-deployer > lp || die "login profile"
grep -q "^done" lp || die "lp: $(cat lp)"
C revoke aws-login-profile ci-deployer > lp2 || die "login profile twice"
grep -q "^already" lp2 || die "lp2: $(cat lp2)"

# --- delete, twice ----------------------------------------------------------------
C revoke aws-key "$new" --delete > del || die "delete"
grep -q "^done" del || die "del: $(cat del)"
C revoke aws-key "$new" --delete > del2 || die "delete twice"
grep -q "^already" del2 || die "del2: $(cat del2)"

# --- session credentials: X-Amz-Security-Token sent and signed ----------------------
emu_ctl aws DELETE /requests > /dev/null
AWS_ACCESS_KEY_ID=ASIASESSION000000001 AWS_SECRET_ACCESS_KEY=$SESSION_SECRET AWS_SESSION_TOKEN=$SESSION_TOKEN \
	C revoke aws-key AKIAEXPOSED000000001 --info --debug > info 2> info.err || die "session creds: $(cat info info.err)"
grep -q "X-Amz-Security-Token: \[REDACTED\]" info.err || die "debug output: $(cat info.err)"
grep -q "account 123456789012; user ci-deployer" info || die "info: $(cat info)"
emu_ctl aws GET /requests | jq -e 'length > 0 and all(.[]; .token == true and (.signed_headers | index("x-amz-security-token")) and .status == 200)' > /dev/null \
	|| die "session token not signed: $(emu_ctl aws GET /requests)"

# --- a profile from AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE -------------------
printf '[default]\naws_access_key_id = AKIANOPE000000000001\naws_secret_access_key = nope\n\n[ir]\n# responder\naws_access_key_id = AKIACALLER0000000001\naws_secret_access_key = %s\n' "$CALLER_SECRET" > creds
printf '[profile ir]\nregion = eu-west-1\n' > config
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_PROFILE=ir AWS_SHARED_CREDENTIALS_FILE=$PWD/creds AWS_CONFIG_FILE=$PWD/config \
	C revoke aws-user-keys ci-deployer > uk || die "profile: $(cat uk)"
grep -q "AKIAEXPOSED000000001 Inactive" uk || die "user keys: $(cat uk)"
printf '[profile sso]\nsso_session = corp\n' > config2
set +e
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_PROFILE=sso AWS_CONFIG_FILE=$PWD/config2 \
	C revoke aws-key AKIAEXPOSED000000001 --disable > /dev/null 2> sso; rc=$?
set -e
expect_eq $rc 2 "an incomplete SSO profile is a configuration error"
grep -q "profile 'sso': \[sso-session corp\] needs sso_start_url and sso_region" sso || die "sso message: $(cat sso)"

# --- a wrong secret: SignatureDoesNotMatch, clearly ------------------------------
set +e
AWS_SECRET_ACCESS_KEY=WrongSecret000000000000000000000000000001 C revoke aws-key AKIAEXPOSED000000001 --disable > bad 2>&1; rc=$?
set -e
expect_eq $rc 1 "wrong secret"
grep -q "SignatureDoesNotMatch" bad && grep -q "secret key does not match" bad || die "wrong secret message: $(cat bad)"

# --- throttling then success: Retry-After honoured ------------------------------
emu_ctl aws POST /fault '{"match":"UpdateAccessKey","kind":"throttle","count":1,"retry_after":2}' > /dev/null
t0=$(date +%s.%N)
C revoke undo "$id" > thr || die "throttled undo: $(cat thr)"
t1=$(date +%s.%N)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "throttle: Retry-After 2s, elapsed ${el}s"
awk -v e="$el" 'BEGIN { exit !(e >= 2) }' || die "Retry-After not honoured: ${el}s"
emu_ctl aws GET /requests | jq -e '[.[] | select(.action == "UpdateAccessKey")] | .[-2].fault == "throttle" and .[-1].status == 200' > /dev/null || die "throttle then success"
# 5xx twice, then success (plain backoff)
emu_ctl aws POST /fault '{"match":"UpdateAccessKey","kind":"5xx","status":503,"count":2}' > /dev/null
C revoke aws-key AKIAEXPOSED000000001 --disable > f5 || die "5xx then success: $(cat f5)"
grep -q "^done" f5 || die "f5: $(cat f5)"
# throttled forever: a clear failure, not a hang
emu_ctl aws POST /fault '{"match":"GetAccessKeyLastUsed","kind":"throttle","count":-1}' > /dev/null
set +e
C revoke aws-key AKIAEXPOSED000000001 --delete > tf 2>&1; rc=$?
set -e
emu_ctl aws DELETE /faults > /dev/null
expect_eq $rc 1 "throttled forever"
grep -q "Throttling" tf || die "throttle message: $(cat tf)"

# --- dry-run sends nothing -------------------------------------------------------------
emu_ctl aws DELETE /requests > /dev/null
C revoke aws-key AKIAEXPOSED000000001 --delete --dry-run > dry || die "dry-run"
grep -q "Action=DeleteAccessKey" dry || die "dry-run shows the request: $(cat dry)"
expect_eq "$(emu_ctl aws GET /requests | jq length)" 0 "requests sent in dry-run"

# --- the audit chain holds; no secret anywhere ------------------------------------------
C audit verify > v || die "audit verify: $(cat v)"
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$CALLER_SECRET" "$EXPOSED_SECRET" "$OTHER_SECRET" "$SESSION_SECRET" "$SESSION_TOKEN" "$shown"; do
	for f in out out2 out3 rot rot2 rot3 rs lp lp2 del del2 info info.err uk sso bad thr f5 tf dry err "$DB" "$DB-wal" "$TMP/emu/aws.log"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret ${s%${s#????????}}... found in $f"; fi
	done
done
# the new secret was printed once, to rot4 only
grep -c -F -- "$shown" rot4 | grep -qx 1 || die "new secret printed more than once"
