# revoke_aws_chain: every source of the AWS credential chain drives a real
# revocation (revoke aws-key ... --disable) through tests/emu/aws.py, whose
# botocore signer checks each signature and whose STS, SSO portal,
# container and IMDSv2 endpoints issue the temporary keys that sign it:
# static keys, --profile and AWS_PROFILE, source_profile + role_arn
# (external_id, role_session_name, duration_seconds), web identity (profile
# and environment), SSO (sso_session and legacy) from the CLI's token
# cache, credential_process, container credentials, instance metadata.
# The real AWS CLI (/usr/bin/aws) given the same files and variables
# reaches the same identity for every source: its own STS and SSO calls go
# through tests/emu/awsproxy.py (TLS for the AWS host names, piped to the
# emulator), since AWS CLI 2.9 cannot point them at loopback.  Temporary credentials are
# fetched once for parallel steps and again when near expiry; failures name
# the source and what to do; no secret anywhere.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
[ -x /usr/bin/aws ] || die "/usr/bin/aws missing (scripts/deps.sh installs awscli)"

BASE_SECRET=BaseSecretDoNotLeak00000000000000000001
WEB_TOKEN=eyJWebIdentityTokenDoNotLeak0000000000001
SSO_TOKEN=aoaSsoAccessTokenDoNotLeak000000000000001
CTR_TOKEN=ContainerAuthTokenDoNotLeak0000000000001
PROC_SECRET=ProcessSecretDoNotLeak000000000000000001
PROC_TOKEN=ProcessSessionTokenDoNotLeak00000000000001
ACCT=123456789012
cat > seed.json <<EOF
{"account":"$ACCT",
 "callers":[{"id":"AKIABASE000000000001","secret":"$BASE_SECRET","user":"responder"}],
 "users":{"ci-deployer":{"keys":[{"id":"AKIAEXPOSED000000001","secret":"x","status":"Active"}]},
          "other":{"keys":[{"id":"AKIAOTHER00000000001","secret":"x","status":"Active"}]}},
 "roles":{"ir-role":{"external_id":"ext-123"},"chain-role":{},"ci-role":{},"sso-role":{},"task-role":{},"node-role":{},
          "proc-role":{}},
 "sessions":[{"id":"ASIAPROCESS000000001","secret":"$PROC_SECRET","token":"$PROC_TOKEN","role":"proc-role","session":"proc"}],
 "web_identity_token":"$WEB_TOKEN",
 "sso":{"token":"$SSO_TOKEN","account":"$ACCT","roles":["sso-role"]},
 "container":{"token":"$CTR_TOKEN","role":"task-role"},
 "imds":{"role":"node-role"}}
EOF
emu_start aws "$TMP/emu" --seed seed.json
emu_start awsproxy "$TMP/emu" --upstream "127.0.0.1:$EMU_AWS_PORT" --ca-file "$TMP/proxy-ca.crt"

# nothing of the caller's environment; metadata services only when a case asks
for v in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
mkdir -p home/.aws/sso/cache
export HOME="$TMP/home" AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" CORDON_HTTP_BACKOFF_MS=50 AWS_DEFAULT_REGION=us-east-1
DB="$TMP/case.db"
C() { "$CORDON" --db "$DB" "$@"; }
CRED=$TMP/home/.aws/credentials
CONF=$TMP/home/.aws/config
cat > "$CRED" <<EOF
[base]
aws_access_key_id = AKIABASE000000000001
aws_secret_access_key = $BASE_SECRET
EOF
printf '%s' "$WEB_TOKEN" > web-token
printf '%s' "$CTR_TOKEN" > ctr-token
cat > proc.sh <<EOF
#!/bin/sh
# prints credentials as the AWS CLI's credential_process contract says
[ "\$1" = "--arg with space" ] || { echo "proc.sh: bad argv: \$*" >&2; exit 3; }
printf '{"Version": 1, "AccessKeyId": "ASIAPROCESS000000001", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "2099-01-01T00:00:00Z"}\n' "$PROC_SECRET" "$PROC_TOKEN"
EOF
chmod +x proc.sh
cat > "$CONF" <<EOF
[profile base]
region = us-east-1

[profile ir]
role_arn = arn:aws:iam::$ACCT:role/ir-role
source_profile = base
external_id = ext-123
role_session_name = ir-session
duration_seconds = 1800

[profile chained]
role_arn = arn:aws:iam::$ACCT:role/chain-role
source_profile = ir
role_session_name = chained

[profile wrong-ext]
role_arn = arn:aws:iam::$ACCT:role/ir-role
source_profile = base
external_id = not-it

[profile mfa]
role_arn = arn:aws:iam::$ACCT:role/ir-role
source_profile = base
mfa_serial = arn:aws:iam::$ACCT:mfa/responder

[profile web]
role_arn = arn:aws:iam::$ACCT:role/ci-role
web_identity_token_file = $TMP/web-token
role_session_name = ci-run

[profile sso]
sso_session = corp
sso_account_id = $ACCT
sso_role_name = sso-role

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile sso-legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = $ACCT
sso_role_name = sso-role

[profile sso-wrong-role]
sso_session = corp
sso_account_id = $ACCT
sso_role_name = not-mine

[profile proc]
credential_process = $TMP/proc.sh "--arg with space"

[profile proc-bad]
credential_process = $TMP/proc.sh wrong
EOF
export AWS_ENDPOINT_URL=$EMU_AWS_URL AWS_ENDPOINT_URL_SSO=$EMU_AWS_URL

reactivate() {
	emu_ctl aws POST /seed '{"users":{"ci-deployer":{"keys":[{"id":"AKIAEXPOSED000000001","secret":"x","status":"Active"}]}}}' > /dev/null
	emu_ctl aws DELETE /requests > /dev/null
}
key_status() { emu_ctl aws GET /state | jq -r '[.users[].keys[] | select(.id == "AKIAEXPOSED000000001") | .status][0]'; }
# revoke NAME [ARGS...]: disable the exposed key; the signer of the act is printed
revoke() {
	_n=$1; shift
	reactivate
	C revoke aws-key AKIAEXPOSED000000001 --disable --format json "$@" > "$_n.out" 2> "$_n.err" \
		|| die "$_n: revoke failed: $(cat "$_n.out" "$_n.err")"
	jq -e '.results[0].result == "done"' "$_n.out" > /dev/null || die "$_n: $(cat "$_n.out")"
	expect_eq "$(key_status)" Inactive "$_n: key status"
	emu_ctl aws GET /requests > "$_n.log"
	jq -e 'all(.[]; .status < 400)' "$_n.log" > /dev/null || die "$_n: a request was refused: $(jq -c '[.[] | select(.status >= 400)]' "$_n.log")"
	jq -r '[.[] | select(.action == "UpdateAccessKey")][0].access_key' "$_n.log"
}
# the ARN the emulator gives the key that signed
arn_of() {
	emu_ctl aws GET /state > st.json
	if jq -e --arg k "$1" '.issued[] | select(.id == $k)' st.json > /dev/null; then
		jq -r --arg k "$1" --arg a "$ACCT" '.issued[] | select(.id == $k) | "arn:aws:sts::\($a):assumed-role/\(.role)/\(.session)"' st.json
	elif [ "$1" = ASIAPROCESS000000001 ]; then
		echo "arn:aws:sts::$ACCT:assumed-role/proc-role/proc"
	else
		jq -r --arg k "$1" '.users | to_entries[] | select(any(.value.keys[]; .id == $k)) | .value.arn' st.json
	fi
}
via_of() { emu_ctl aws GET /state | jq -r --arg k "$1" '.issued[] | select(.id == $k) | .via'; }
# the CLI, with the same files, asked who it is (its own credential calls
# through the proxy; the question itself straight to the emulator)
cli_arn() {
	HTTPS_PROXY=$EMU_AWSPROXY_URL NO_PROXY=127.0.0.1 AWS_CA_BUNDLE=$TMP/proxy-ca.crt \
		/usr/bin/aws --endpoint-url "$EMU_AWS_URL" --output json sts get-caller-identity "$@" | jq -r .Arn
}

# --- static keys: the environment; --profile beats them, AWS_PROFILE does not ----------
k=$(AWS_ACCESS_KEY_ID=AKIABASE000000000001 AWS_SECRET_ACCESS_KEY=$BASE_SECRET revoke env)
expect_eq "$k" AKIABASE000000000001 "environment keys sign"
k=$(AWS_PROFILE=base revoke profile-env)
expect_eq "$k" AKIABASE000000000001 "AWS_PROFILE=base"
expect_eq "$(AWS_PROFILE=base cli_arn)" "$(arn_of "$k")" "CLI and cordon: profile base"
set +e
AWS_ACCESS_KEY_ID=AKIANOPE000000000001 AWS_SECRET_ACCESS_KEY=nope AWS_PROFILE=base \
	C revoke aws-key AKIAEXPOSED000000001 --info > envwins 2>&1; rc=$?
set -e
expect_eq $rc 1 "AWS_PROFILE does not beat the environment's keys (as in the CLI)"
k=$(AWS_ACCESS_KEY_ID=AKIANOPE000000000001 AWS_SECRET_ACCESS_KEY=nope revoke profile-flag --profile base)
expect_eq "$k" AKIABASE000000000001 "--profile beats the environment's keys"

# --- source_profile + role_arn: AssumeRole signed by the source ------------------------
k=$(revoke assume --profile ir)
expect_eq "$(via_of "$k")" assume-role "assume: signed by an AssumeRole session"
jq -e '[.[] | select(.action == "AssumeRole")] | length == 1 and .[0].access_key == "AKIABASE000000000001"
	and .[0].params.ExternalId == "ext-123" and .[0].params.RoleSessionName == "ir-session"
	and .[0].params.DurationSeconds == "1800"' assume.log > /dev/null || die "AssumeRole request: $(jq -c '.[0]' assume.log)"
expect_eq "$(arn_of "$k")" "arn:aws:sts::$ACCT:assumed-role/ir-role/ir-session" "assume: identity"
grep -q "ir-session" assume.err && die "the source is not printed outside dry runs" || :
# role chaining: source_profile naming a profile that itself assumes a role
k=$(revoke chained --profile chained)
expect_eq "$(arn_of "$k")" "arn:aws:sts::$ACCT:assumed-role/chain-role/chained" "chained: identity"
expect_eq "$(jq '[.[] | select(.action == "AssumeRole")] | length' chained.log)" 2 "chained: two AssumeRole calls"
emu_ctl aws DELETE /requests > /dev/null
expect_eq "$(cli_arn --profile ir)" "arn:aws:sts::$ACCT:assumed-role/ir-role/ir-session" "CLI and cordon: assumed role"
emu_ctl aws GET /requests | jq -e '[.[] | select(.action == "AssumeRole")][0] | .access_key == "AKIABASE000000000001"
	and .params.ExternalId == "ext-123" and .params.DurationSeconds == "1800"' > /dev/null \
	|| die "the CLI's AssumeRole: $(emu_ctl aws GET /requests)"
expect_eq "$(cli_arn --profile chained)" "arn:aws:sts::$ACCT:assumed-role/chain-role/chained" "CLI and cordon: chained roles"
# a wrong external id: AccessDenied, named with the profile and the role
set +e
C revoke aws-key AKIAEXPOSED000000001 --disable --profile wrong-ext > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "wrong external id"
grep -q "profile 'wrong-ext': AssumeRole arn:aws:iam::$ACCT:role/ir-role .*AccessDenied.*trust policy" bad || die "wrong external id: $(cat bad)"
# mfa_serial: refused before anything is sent
emu_ctl aws DELETE /requests > /dev/null
set +e
C revoke aws-key AKIAEXPOSED000000001 --disable --profile mfa > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "mfa_serial"
grep -q "profile 'mfa' assumes .* with mfa_serial.*without prompting" bad || die "mfa: $(cat bad)"
expect_eq "$(emu_ctl aws GET /requests | jq length)" 0 "mfa: nothing sent"

# --- one AssumeRole for parallel steps; again when the session nears expiry ---------------
emu_ctl aws POST /seed '{"users":{"other":{"keys":[{"id":"AKIAOTHER00000000001","secret":"x","status":"Active"}]}}}' > /dev/null
reactivate
C revoke aws-key AKIAEXPOSED000000001 AKIAOTHER00000000001 --disable --jobs 2 --profile ir > par 2>&1 || die "parallel: $(cat par)"
expect_eq "$(emu_ctl aws GET /requests | jq '[.[] | select(.action == "AssumeRole")] | length')" 1 "one AssumeRole for two parallel steps"
emu_ctl aws POST /seed '{"session_ttl": 120, "users":{"other":{"keys":[{"id":"AKIAOTHER00000000001","secret":"x","status":"Active"}]}}}' > /dev/null
reactivate
C revoke aws-key AKIAEXPOSED000000001 AKIAOTHER00000000001 --disable --jobs 1 --profile ir > par2 2>&1 || die "refresh: $(cat par2)"
expect_eq "$(emu_ctl aws GET /requests | jq '[.[] | select(.action == "AssumeRole")] | length')" 2 \
	"credentials expiring within 5 minutes are fetched again for the next step"
emu_ctl aws POST /seed '{"session_ttl": null}' > /dev/null

# --- web identity: the profile's token file, then the environment's variables -------------
k=$(revoke web --profile web)
expect_eq "$(via_of "$k")" web-identity "web: signed by a web identity session"
expect_eq "$(arn_of "$k")" "arn:aws:sts::$ACCT:assumed-role/ci-role/ci-run" "web: identity"
jq -e '[.[] | select(.action == "AssumeRoleWithWebIdentity")][0] | .access_key == null and .params.WebIdentityToken == "(redacted)"' web.log > /dev/null \
	|| die "web identity request: $(jq -c '.[0]' web.log)"
k=$(AWS_WEB_IDENTITY_TOKEN_FILE=$TMP/web-token AWS_ROLE_ARN=arn:aws:iam::$ACCT:role/ci-role AWS_ROLE_SESSION_NAME=irsa revoke web-env)
expect_eq "$(arn_of "$k")" "arn:aws:sts::$ACCT:assumed-role/ci-role/irsa" "web (environment): identity"
expect_eq "$(cli_arn --profile web)" "arn:aws:sts::$ACCT:assumed-role/ci-role/ci-run" "CLI and cordon: web identity (profile)"
expect_eq "$(AWS_WEB_IDENTITY_TOKEN_FILE=$TMP/web-token AWS_ROLE_ARN=arn:aws:iam::$ACCT:role/ci-role AWS_ROLE_SESSION_NAME=irsa cli_arn)" \
	"arn:aws:sts::$ACCT:assumed-role/ci-role/irsa" "CLI and cordon: web identity (environment)"
printf 'not-the-token\n' > wrong-token
set +e
AWS_WEB_IDENTITY_TOKEN_FILE=$TMP/wrong-token AWS_ROLE_ARN=arn:aws:iam::$ACCT:role/ci-role \
	C revoke aws-key AKIAEXPOSED000000001 --disable > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "wrong web identity token"
grep -q "web identity (AssumeRoleWithWebIdentity .*InvalidIdentityToken" bad || die "web: $(cat bad)"

# --- SSO: no cached token, then the CLI's cache (sso_session and legacy) -------------------
set +e
C revoke aws-key AKIAEXPOSED000000001 --disable --profile sso > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "sso without a cached token"
grep -q "run \`aws sso login --profile sso\`" bad || die "sso message: $(cat bad)"
sha1() { printf '%s' "$1" | openssl sha1 -r | cut -d' ' -f1; }
future=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
past=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
printf '{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"%s","expiresAt":"%s"}\n' \
	"$SSO_TOKEN" "$past" > "home/.aws/sso/cache/$(sha1 corp).json"
set +e
C revoke aws-key AKIAEXPOSED000000001 --disable --profile sso > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "expired sso token"
grep -q "the SSO token expired at $past: run \`aws sso login --profile sso\`" bad || die "expired: $(cat bad)"
printf '{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"%s","expiresAt":"%s"}\n' \
	"$SSO_TOKEN" "$future" > "home/.aws/sso/cache/$(sha1 corp).json"
k=$(revoke sso --profile sso)
expect_eq "$(via_of "$k")" sso "sso: signed by portal credentials"
jq -e '[.[] | select(.path == "/federation/credentials")][0].params == {"account_id":"'"$ACCT"'","role_name":"sso-role"}' sso.log > /dev/null \
	|| die "GetRoleCredentials: $(jq -c '.[0]' sso.log)"
printf '{"startUrl":"https://legacy.awsapps.com/start","region":"us-east-1","accessToken":"%s","expiresAt":"%s"}\n' \
	"$SSO_TOKEN" "$future" > "home/.aws/sso/cache/$(sha1 https://legacy.awsapps.com/start).json"
k=$(revoke sso-legacy --profile sso-legacy)
expect_eq "$(via_of "$k")" sso "sso (legacy sso_start_url)"
# a role the SSO user may not use; a token the portal does not know
set +e
C revoke aws-key AKIAEXPOSED000000001 --disable --profile sso-wrong-role > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "sso: a role not granted"
grep -q "profile 'sso-wrong-role': the SSO portal denies role not-mine in account $ACCT (HTTP 403): check sso_account_id" bad || die "sso 403: $(cat bad)"
printf '{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"stale","expiresAt":"%s"}\n' \
	"$future" > "home/.aws/sso/cache/$(sha1 corp).json"
set +e
C revoke aws-key AKIAEXPOSED000000001 --disable --profile sso > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "sso: a token the portal refuses"
grep -q "profile 'sso': the SSO portal refused the cached token (HTTP 401): run \`aws sso login --profile sso\`" bad || die "sso 401: $(cat bad)"
printf '{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"%s","expiresAt":"%s"}\n' \
	"$SSO_TOKEN" "$future" > "home/.aws/sso/cache/$(sha1 corp).json"
# the CLI reads the same token cache (the file names are its own) and reaches the same role
expect_eq "$(cli_arn --profile sso)" "$(arn_of "$k")" "CLI and cordon: sso (sso_session)"
expect_eq "$(cli_arn --profile sso-legacy)" "$(arn_of "$k")" "CLI and cordon: sso (legacy)"

# --- credential_process: run without a shell, JSON Version 1 ------------------------------
k=$(revoke proc --profile proc)
expect_eq "$k" ASIAPROCESS000000001 "credential_process keys sign"
expect_eq "$(AWS_PROFILE=proc cli_arn)" "$(arn_of "$k")" "CLI and cordon: credential_process"
set +e
C revoke aws-key AKIAEXPOSED000000001 --disable --profile proc-bad > bad 2>&1; rc=$?
set -e
expect_eq $rc 2 "failing credential_process"
grep -q "profile 'proc-bad': credential_process: $TMP/proc.sh failed (exit status 3" bad || die "process: $(cat bad)"
grep -q "proc.sh: bad argv: wrong" bad || die "the process's own message: $(cat bad)"

# --- container credentials: full URI on loopback, token from a file or the variable -------
export AWS_CONTAINER_CREDENTIALS_FULL_URI=$EMU_AWS_URL/container/creds
k=$(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/ctr-token revoke container)
expect_eq "$(via_of "$k")" container "container: signed by task credentials"
expect_eq "$(AWS_CONTAINER_AUTHORIZATION_TOKEN=$CTR_TOKEN cli_arn)" "arn:aws:sts::$ACCT:assumed-role/task-role/ecs-task" \
	"CLI and cordon: container"
expect_eq "$(arn_of "$k")" "arn:aws:sts::$ACCT:assumed-role/task-role/ecs-task" "container: identity"
set +e
AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong C revoke aws-key AKIAEXPOSED000000001 --disable > bad 2>&1; rc=$?
AWS_CONTAINER_CREDENTIALS_FULL_URI=http://203.0.113.9/creds C revoke aws-key AKIAEXPOSED000000001 --disable > bad2 2>&1; rc2=$?
set -e
expect_eq "$rc.$rc2" 2.2 "container failures"
grep -q "container credentials ($EMU_AWS_URL/container/creds): HTTP 401: the authorization token was refused" bad || die "container: $(cat bad)"
grep -q "AWS_CONTAINER_CREDENTIALS_FULL_URI is not allowed" bad2 || die "container uri: $(cat bad2)"
unset AWS_CONTAINER_CREDENTIALS_FULL_URI

# --- instance metadata, IMDSv2 ------------------------------------------------------------
unset AWS_EC2_METADATA_DISABLED
export AWS_EC2_METADATA_SERVICE_ENDPOINT=$EMU_AWS_URL/  # botocore appends the path without a slash
k=$(revoke imds)
expect_eq "$(via_of "$k")" imds "imds: signed by instance role credentials"
jq -e '[.[] | select(.path | startswith("/latest/"))] | length == 3 and .[0].method == "PUT" and all(.[]; .status == 200)' imds.log > /dev/null \
	|| die "IMDSv2 requests: $(jq -c '[.[] | select(.path | startswith("/latest/"))]' imds.log)"
expect_eq "$(cli_arn)" "arn:aws:sts::$ACCT:assumed-role/node-role/i-0emu0000000000001" "CLI and cordon: imds"
expect_eq "$(arn_of "$k")" "arn:aws:sts::$ACCT:assumed-role/node-role/i-0emu0000000000001" "imds: identity"
# a GET without the session token is refused by the emulator (IMDSv2 only)
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$EMU_AWS_URL/latest/meta-data/iam/security-credentials/")" 401 "IMDSv1 refused"
unset AWS_EC2_METADATA_SERVICE_ENDPOINT
export AWS_EC2_METADATA_DISABLED=true

# --- nothing anywhere: one message naming every source tried --------------------------------
set +e
HOME=$TMP/empty C revoke aws-key AKIAEXPOSED000000001 --disable > bad 2>&1; rc=$?
AWS_PROFILE=nosuch C revoke aws-key AKIAEXPOSED000000001 --disable > bad2 2>&1; rc2=$?
set -e
expect_eq "$rc.$rc2" 2.2 "no credentials"
grep -q "no AWS credentials: tried the environment .*profile 'default' .*container credentials .*instance metadata (disabled by AWS_EC2_METADATA_DISABLED).*--profile NAME" bad \
	|| die "nothing found: $(cat bad)"
grep -q "AWS profile 'nosuch' is in neither" bad2 || die "profile not found: $(cat bad2)"

# the CLI's own STS and SSO calls went to the AWS host names, through the proxy
for h in sts.us-east-1.amazonaws.com portal.sso.us-east-1.amazonaws.com; do
	grep -q "CONNECT $h:443" "$TMP/emu/awsproxy.log" || die "no CLI call to $h: $(cat "$TMP/emu/awsproxy.log")"
done

# --- no secret anywhere --------------------------------------------------------------------
emu_ctl aws GET /requests > all.log
for s in "$BASE_SECRET" "$WEB_TOKEN" "$SSO_TOKEN" "$CTR_TOKEN" "$PROC_SECRET" "$PROC_TOKEN"; do
	for f in *.out *.err bad bad2 par par2 envwins all.log "$DB" "$DB-wal" "$TMP/emu/aws.log"; do
		[ -f "$f" ] || continue
		if grep -qF "$s" "$f"; then die "a secret leaked into $f"; fi
	done
done
echo "revoke_aws_chain: ok"
