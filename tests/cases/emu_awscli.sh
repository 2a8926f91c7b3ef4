# emu_awscli: the real aws CLI (Debian awscli, its own botocore signer and
# parser) drives tests/emu/aws.py, which re-verifies every SigV4 signature with
# botocore.  Shows that the emulator's wire format and signature check are
# faithful to a real client: every call below must parse, and a wrong secret
# must be refused as SignatureDoesNotMatch.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
[ -x /usr/bin/aws ] || die "/usr/bin/aws missing (scripts/deps.sh installs awscli)"

ADMIN_ID=AKIAEMUADMIN00000001
ADMIN_SECRET=emuAdminSecret0000000000000000000000000001
CI_ID=AKIAEMUCIDEPLOY00001
CI_SECRET=emuCiDeploySecret000000000000000000000001
SESS_ID=ASIAEMUSESSION000001
SESS_SECRET=emuSessionSecret00000000000000000000000001
SESS_TOKEN=emuSessionToken0000000000000000000000000000000000001
cat > seed.json <<EOF
{"account": "111122223333",
 "callers": [{"id": "$ADMIN_ID", "secret": "$ADMIN_SECRET", "user": "emu-admin"}],
 "users": {"ci-deployer": {"keys": [{"id": "$CI_ID", "secret": "$CI_SECRET", "status": "Active",
                                     "create_date": "2025-01-02T03:04:05Z",
                                     "last_used": {"date": "2025-06-03T10:00:00Z", "service": "s3", "region": "eu-west-1"}}],
                           "login_profile": true}},
 "roles": {"node-role": {}},
 "sessions": [{"id": "$SESS_ID", "secret": "$SESS_SECRET", "token": "$SESS_TOKEN", "role": "node-role", "session": "i-0abc"}],
 "foreign_keys": {"AKIAFOREIGN000000001": "999988887777"}}
EOF
emu_start aws "$TMP/emu" --seed seed.json

unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION=us-east-1 \
	AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_CLI_AUTO_PROMPT=off \
	AWS_ACCESS_KEY_ID=$ADMIN_ID AWS_SECRET_ACCESS_KEY=$ADMIN_SECRET HOME="$TMP"
aws() { /usr/bin/aws --endpoint-url "$EMU_AWS_URL" --output json "$@"; }

# sts get-caller-identity: the signing key's user
aws sts get-caller-identity > out.json || die "get-caller-identity failed"
expect_eq "$(jq -r .Arn out.json)" "arn:aws:iam::111122223333:user/emu-admin" "caller arn"
expect_eq "$(jq -r .Account out.json)" "111122223333" "caller account"

# create-access-key: a third key hits the quota of two
aws iam create-access-key --user-name ci-deployer > new.json || die "create-access-key failed"
NEW_ID=$(jq -r .AccessKey.AccessKeyId new.json)
NEW_SECRET=$(jq -r .AccessKey.SecretAccessKey new.json)
expect_eq "$(jq -r .AccessKey.Status new.json)" Active "new key status"
expect_eq "$(jq -r .AccessKey.UserName new.json)" ci-deployer "new key user"
echo "$NEW_ID" | grep -Eq '^AKIA[A-Z0-9]{16}$' || die "new key id $NEW_ID"
[ ${#NEW_SECRET} -ge 40 ] || die "new secret too short"
if aws iam create-access-key --user-name ci-deployer > /dev/null 2> err; then die "third key created"; fi
grep -q 'LimitExceeded.*AccessKeysPerUser: 2' err || die "quota error: $(cat err)"

# sts get-access-key-info decodes the new key's account; foreign_keys override
aws sts get-access-key-info --access-key-id "$NEW_ID" > out.json || die "get-access-key-info failed"
expect_eq "$(jq -r .Account out.json)" 111122223333 "account of the new key"
aws sts get-access-key-info --access-key-id AKIAFOREIGN000000001 > out.json
expect_eq "$(jq -r .Account out.json)" 999988887777 "account of a foreign key"

# the new key signs a request of its own (emulator-issued secrets work with botocore)
AWS_ACCESS_KEY_ID=$NEW_ID AWS_SECRET_ACCESS_KEY=$NEW_SECRET aws sts get-caller-identity > out.json \
	|| die "new key cannot sign"
expect_eq "$(jq -r .Arn out.json)" "arn:aws:iam::111122223333:user/ci-deployer" "new key arn"

# update-access-key Inactive, with a throttle first: the CLI retries, the second attempt lands
emu_ctl aws POST /fault '{"match":"UpdateAccessKey","kind":"throttle","count":1}' > /dev/null
aws iam update-access-key --user-name ci-deployer --access-key-id "$CI_ID" --status Inactive \
	|| die "update-access-key failed"
aws iam list-access-keys --user-name ci-deployer > out.json || die "list-access-keys failed"
expect_eq "$(jq -r --arg k "$CI_ID" '.AccessKeyMetadata[] | select(.AccessKeyId == $k) | .Status' out.json)" \
	Inactive "old key status"
expect_eq "$(jq '.AccessKeyMetadata | length' out.json)" 2 "keys listed"
emu_ctl aws GET /requests > log.json
expect_eq "$(jq '[.[] | select(.action == "UpdateAccessKey")] | length' log.json)" 2 "UpdateAccessKey attempts"
expect_eq "$(jq -r '[.[] | select(.action == "UpdateAccessKey")][0].error' log.json)" Throttling "first attempt"

# an Inactive key can no longer sign
if AWS_ACCESS_KEY_ID=$CI_ID AWS_SECRET_ACCESS_KEY=$CI_SECRET aws sts get-caller-identity > /dev/null 2> err; then
	die "inactive key still signs"
fi
grep -q InvalidClientTokenId err || die "inactive key: $(cat err)"

# get-access-key-last-used: the seeded use, and the new key's use just now (by sts)
aws iam get-access-key-last-used --access-key-id "$CI_ID" > out.json || die "get-access-key-last-used failed"
expect_eq "$(jq -r .UserName out.json)" ci-deployer "last-used user"
expect_eq "$(jq -r .AccessKeyLastUsed.ServiceName out.json)" s3 "last-used service"
expect_eq "$(jq -r .AccessKeyLastUsed.Region out.json)" eu-west-1 "last-used region"
emu_ctl aws GET /state > state.json
expect_eq "$(jq -r --arg k "$NEW_ID" '.users["ci-deployer"].keys[] | select(.id == $k) | .last_used.service' state.json)" \
	sts "new key last used by"

# delete-access-key, then again: NoSuchEntity (exit 254)
aws iam delete-access-key --user-name ci-deployer --access-key-id "$CI_ID" || die "delete-access-key failed"
set +e
aws iam delete-access-key --user-name ci-deployer --access-key-id "$CI_ID" 2> err; rc=$?
set -e
expect_eq "$rc" 254 "second delete exit"
grep -q "NoSuchEntity.*The Access Key with id $CI_ID cannot be found" err || die "second delete: $(cat err)"

# put-role-policy AWSRevokeOlderSessions, read back (IAM returns it URL-encoded, the CLI decodes it)
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
DOC="{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$NOW\"}}}}"
aws iam put-role-policy --role-name node-role --policy-name AWSRevokeOlderSessions --policy-document "$DOC" \
	|| die "put-role-policy failed"
aws iam get-role-policy --role-name node-role --policy-name AWSRevokeOlderSessions > out.json
expect_eq "$(jq -r '.PolicyDocument.Statement.Condition.DateLessThan["aws:TokenIssueTime"]' out.json)" "$NOW" \
	"policy read back"
emu_ctl aws GET /state > state.json
expect_eq "$(jq -r '.roles["node-role"].policies.AWSRevokeOlderSessions.Statement.Effect' state.json)" Deny "state policy"

# delete-login-profile; "gone" fault makes the target vanish first
aws iam delete-login-profile --user-name ci-deployer || die "delete-login-profile failed"
emu_ctl aws POST /fault '{"match":"DeleteAccessKey","kind":"gone"}' > /dev/null
if aws iam delete-access-key --user-name ci-deployer --access-key-id "$NEW_ID" 2> err; then die "gone fault ignored"; fi
grep -q NoSuchEntity err || die "gone: $(cat err)"
emu_ctl aws GET /state > state.json
expect_eq "$(jq '.users["ci-deployer"].keys | length' state.json)" 0 "keys left"
expect_eq "$(jq '.users["ci-deployer"].login_profile' state.json)" null "login profile"

# temporary credentials: the session token header is required and signed
AWS_ACCESS_KEY_ID=$SESS_ID AWS_SECRET_ACCESS_KEY=$SESS_SECRET AWS_SESSION_TOKEN=$SESS_TOKEN \
	aws sts get-caller-identity > out.json || die "session credentials refused"
expect_eq "$(jq -r .Arn out.json)" "arn:aws:sts::111122223333:assumed-role/node-role/i-0abc" "session arn"
emu_ctl aws GET /requests > log.json
jq -e '.[-1].signed_headers | index("x-amz-security-token")' log.json > /dev/null || die "token header not signed"

# a wrong secret: SignatureDoesNotMatch, exit 254
set +e
AWS_SECRET_ACCESS_KEY=${ADMIN_SECRET}x aws iam list-access-keys --user-name ci-deployer > /dev/null 2> err; rc=$?
set -e
case $rc in 254|255) ;; *) die "wrong secret: exit $rc" ;; esac
grep -q "SignatureDoesNotMatch" err || die "wrong secret: $(cat err)"
grep -q "The request signature we calculated does not match the signature you provided" err \
	|| die "wrong secret message: $(cat err)"

# no secret in the emulator's log, request log or state
emu_ctl aws GET /requests > log.json
emu_ctl aws GET /state > state.json
for s in "$ADMIN_SECRET" "$CI_SECRET" "$NEW_SECRET" "$SESS_SECRET" "$SESS_TOKEN"; do
	if grep -qF "$s" "$EMU_AWS_LOG" log.json state.json; then die "a secret leaked into the emulator output"; fi
done
echo "emu_awscli: ok"
