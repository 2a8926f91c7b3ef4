# revoke aws-oidc-subject against tests/emu/aws.py: a Deny for one GitHub
# OIDC subject pattern added to a role's trust policy, every other statement
# kept byte for byte; the real aws CLI's AssumeRoleWithWebIdentity with the
# compromised repository's token is then refused while another repository's
# still works; twice is "already"; undo removes exactly that statement; a
# role that does not trust GitHub, or does not exist, is a failure.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
CALLER_SECRET=CallerSecretDoNotLeak0000000000000000003
PROVIDER=arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com
cat > seed.json <<JSON
{"account":"123456789012",
 "callers":[{"id":"AKIACALLER0000000003","secret":"$CALLER_SECRET","user":"emu-admin"}],
 "roles":{"ci-deploy":{"trust":{"Version":"2012-10-17","Statement":[
     {"Sid":"GitHubActions","Effect":"Allow","Principal":{"Federated":"$PROVIDER"},
      "Action":"sts:AssumeRoleWithWebIdentity",
      "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
                   "StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}}]}},
          "node-role":{}}}
JSON
emu_start aws "$TMP/emu" --seed seed.json
export AWS_ACCESS_KEY_ID=AKIACALLER0000000003 AWS_SECRET_ACCESS_KEY=$CALLER_SECRET
export AWS_ENDPOINT_URL=$EMU_AWS_URL AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export CORDON_HTTP_BACKOFF_MS=50
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
DB="$TMP/o.db"
C() { "$CORDON" --db "$DB" "$@"; }
trust() { emu_ctl aws GET /state | jq -c '.roles["ci-deploy"].trust'; }
jwt() { # SUB: an (unsigned) GitHub Actions OIDC token for SUB
	h=$(printf '{"alg":"RS256","typ":"JWT"}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
	p=$(printf '{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"%s","exp":%d}' \
		"$1" $(( $(date +%s) + 600 )) | base64 -w0 | tr '+/' '-_' | tr -d '=')
	printf '%s.%s.c2ln' "$h" "$p"
}
assume() { # SUB: the real aws CLI assumes ci-deploy with SUB's token
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY aws --region us-east-1 --endpoint-url "$EMU_AWS_URL" \
		sts assume-role-with-web-identity --role-arn arn:aws:iam::123456789012:role/ci-deploy \
		--role-session-name gha --web-identity-token "$(jwt "$1")" > a 2>&1
}
command -v aws > /dev/null || die "aws CLI not installed (awscli: scripts/deps.sh)"
assume "repo:acme/web:ref:refs/heads/main" || die "before: web cannot assume: $(cat a)"
before=$(trust)

C revoke aws-oidc-subject 'ci-deploy:repo:acme/web:*' --dry-run > d || die "dry run: $(cat d)"
grep -q "UpdateAssumeRolePolicy" d || die "dry run: $(cat d)"
expect_eq "$(trust)" "$before" "dry run changed the trust policy"

C revoke aws-oidc-subject 'ci-deploy:repo:acme/web:*' --format json > o || die "deny: $(cat o)"
jq -e '.results[0].result == "done"' o > /dev/null || die "deny: $(cat o)"
id=$(jq -r '.results[0].action_id' o)
trust | jq -e --arg p "$PROVIDER" '.Statement | length == 2 and (.[0].Sid == "GitHubActions")
	and (.[1].Effect == "Deny") and (.[1].Principal.Federated == $p)
	and (.[1].Condition.StringLike["token.actions.githubusercontent.com:sub"] == "repo:acme/web:*")' > /dev/null ||
	die "trust after: $(trust)"
# the first statement is what was there
expect_eq "$(trust | jq -c '.Statement[0]')" "$(printf '%s' "$before" | jq -c '.Statement[0]')" "Allow statement kept"
if assume "repo:acme/web:ref:refs/heads/main"; then die "web still assumes the role: $(cat a)"; fi
grep -q "AccessDenied" a || die "web refused how: $(cat a)"
assume "repo:acme/api:ref:refs/heads/main" || die "api lost the role: $(cat a)"

C revoke aws-oidc-subject 'ci-deploy:repo:acme/web:*' > o2 || die "twice: $(cat o2)"
grep -q "^already .*holds CordonDenyOidc" o2 || die "twice: $(cat o2)"
C revoke undo "$id" > u || die "undo: $(cat u)"
expect_eq "$(trust | jq -c .)" "$(printf '%s' "$before" | jq -c .)" "undo restores the trust policy"
assume "repo:acme/web:ref:refs/heads/main" || die "after undo: web cannot assume: $(cat a)"

set +e; C revoke aws-oidc-subject 'node-role:repo:acme/web:*' > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "role without GitHub trust"
grep -q "does not trust GitHub's OIDC provider" o3 || die "no github trust: $(cat o3)"
set +e; C revoke aws-oidc-subject 'ghost-role:repo:acme/web:*' > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent role"
grep -q "NoSuchEntity" o3 || die "absent role: $(cat o3)"
set +e; C revoke aws-oidc-subject 'ci-deploy:acme/web' > o3 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || die "pattern without repo: accepted"
C audit verify > /dev/null || die "audit verify"
for f in o o2 o3 u d "$DB" "$TMP/emu/aws.log"; do
	[ -f "$f" ] || continue
	if grep -qaF -- "$CALLER_SECRET" "$f"; then die "secret found in $f"; fi
done
