# emu_selftest: every loopback emulator in tests/emu starts, listens on
# 127.0.0.1 only, answers its provider's shapes, keeps state, and its control
# plane and faults work (throttle with Retry-After, 5xx, slow, gone).  k8s
# speaks TLS that verifies with the emulator CA and is refused without it.
# The AWS part uses curl --aws-sigv4 (libcurl 7.88, as the connectors do).
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
command -v curl > /dev/null || die "curl missing (scripts/deps.sh installs it)"
E="$TMP/emu"
code() { curl -sS -o body -w '%{http_code}' "$@"; }
hdr() { curl -sS -D headers -o body -w '%{http_code}' "$@"; }

# ---- control plane (on the webhook emulator, the simplest) -----------------
printf '{"paths":["/services/T0/B0/X0"],"hmac_secret":"emu-hmac-secret-0001"}\n' > hook-seed.json
emu_start webhook "$E" --seed hook-seed.json
grep -Eq '^[0-9]+$' "$E/webhook.port" || die "port file: $(cat "$E/webhook.port")"
expect_eq "$(emu_ctl webhook GET /health | jq -r .name)" webhook "health"
if [ -r /proc/net/tcp ]; then # listening (state 0A) on 127.0.0.1 = 0100007F, never elsewhere
	PX=$(printf '%04X' "$EMU_PORT")
	grep -q " 0100007F:$PX 00000000:0000 0A " /proc/net/tcp || die "not listening on 127.0.0.1:$EMU_PORT"
	if grep " [0-9A-F]*:$PX 00000000:0000 0A " /proc/net/tcp | grep -vq " 0100007F:$PX "; then
		die "emulator listens beyond loopback"
	fi
fi
expect_eq "$(code -d '{"text":"hello"}' "$EMU_URL/services/T0/B0/X0")" 200 "webhook post"
expect_eq "$(cat body)" ok "webhook body"
expect_eq "$(code -d '{"text":"x"}' "$EMU_URL/services/other")" 404 "unknown hook"
expect_eq "$(cat body)" no_service "unknown hook body"
expect_eq "$(code -d '{"tex' "$EMU_URL/services/T0/B0/X0")" 400 "bad json"
expect_eq "$(cat body)" invalid_payload "bad json body"
expect_eq "$(code -d '{}' "$EMU_URL/services/T0/B0/X0")" 400 "no text"
BODY='{"text":"signed"}'
SIG=$(printf '%s' "1700000000.$BODY" | openssl dgst -sha256 -hmac emu-hmac-secret-0001 -r | cut -d' ' -f1)
expect_eq "$(code -H "X-Cordon-Timestamp: 1700000000" -H "X-Cordon-Signature: sha256=$SIG" -d "$BODY" \
	"$EMU_URL/services/T0/B0/X0")" 200 "signed post"
emu_ctl webhook GET /state > st.json
expect_eq "$(jq '.received | length' st.json)" 2 "received"
expect_eq "$(jq -r '.received[0].body.text' st.json)" hello "received text"
expect_eq "$(jq -r '.received[1].signature_valid' st.json)" true "signature checked"
# throttle: 429 + Retry-After, count honoured
emu_ctl webhook POST /fault '{"match":"/services/","kind":"throttle","count":2,"retry_after":7}' > /dev/null
expect_eq "$(hdr -d '{"text":"a"}' "$EMU_URL/services/T0/B0/X0")" 429 "throttle 1"
grep -qi '^retry-after: 7' headers || die "no Retry-After: $(cat headers)"
expect_eq "$(code -d '{"text":"a"}' "$EMU_URL/services/T0/B0/X0")" 429 "throttle 2"
expect_eq "$(code -d '{"text":"a"}' "$EMU_URL/services/T0/B0/X0")" 200 "after the throttle"
# 5xx, slow, wildcard and method filters, fault list and clear
emu_ctl webhook POST /fault '[{"match":"*","kind":"5xx","status":503,"method":"POST"},{"match":"*","kind":"slow","delay":1}]' > /dev/null
expect_eq "$(emu_ctl webhook GET /faults | jq length)" 2 "faults queued"
expect_eq "$(code -d '{"text":"a"}' "$EMU_URL/x")" 503 "5xx"
t=$(curl -sS -o /dev/null -w '%{time_total}' -d '{"text":"slow"}' "$EMU_URL/services/T0/B0/X0")
awk -v t="$t" 'BEGIN { exit !(t >= 1.0) }' || die "slow fault took only $t s"
expect_eq "$(emu_ctl webhook GET /faults)" "[]" "faults used up"
emu_ctl webhook POST /fault '{"kind":"throttle","count":-1}' > /dev/null
emu_ctl webhook DELETE /faults > /dev/null
expect_eq "$(code -d '{"text":"a"}' "$EMU_URL/services/T0/B0/X0")" 200 "faults cleared"
if emu_ctl webhook POST /fault '{"kind":"bogus"}' > /dev/null 2>&1; then die "bad fault accepted"; fi
# request log, then reset back to the seed
emu_ctl webhook GET /requests > log.json
jq -e 'all(.[]; has("seq") and has("method") and has("path") and has("status") and has("ts"))' log.json \
	> /dev/null || die "request log fields"
expect_eq "$(jq -r '[.[] | select(.fault == "throttle")] | length' log.json)" 2 "throttles logged"
expect_eq "$(emu_ctl webhook GET "/requests?since=$(jq '.[-2].seq' log.json)" | jq length)" 1 "requests since"
emu_ctl webhook POST /reset > /dev/null
expect_eq "$(emu_ctl webhook GET /state | jq '.received | length')" 0 "reset state"
expect_eq "$(emu_ctl webhook GET /requests)" "[]" "reset log"
expect_eq "$(emu_ctl webhook GET /state | jq -r '.paths[0]')" /services/T0/B0/X0 "reset keeps the seed"
emu_stop webhook
[ ! -e "$E/webhook.port" ] || die "port file left after SIGTERM"

# ---- aws: SigV4 checked by botocore, via libcurl's signer --------------------
AK=AKIAEMUSELFTEST00001
SK=emuSelftestSecret0000000000000000000000001
cat > aws-seed.json <<EOF
{"callers": [{"id": "$AK", "secret": "$SK"}],
 "users": {"ci": {"keys": [{"id": "AKIAEMUSELFTESTCI001", "secret": "emuSelftestCiSecret000000000000000000000001"}]}},
 "sessions": [{"id": "ASIAEMUSELFTEST00001", "secret": "emuSelftestSessSecret0000000000000000000001", "token": "emuSelftestSessToken01", "role": "r"}]}
EOF
emu_start aws "$E" --seed aws-seed.json
A=$EMU_AWS_URL
iam() { code --aws-sigv4 aws:amz:us-east-1:iam -u "$AK:$SK" -d "$1&Version=2010-05-08" "$A/"; }
expect_eq "$(iam 'Action=UpdateAccessKey&UserName=ci&AccessKeyId=AKIAEMUSELFTESTCI001&Status=Inactive')" 200 "update"
grep -q '<UpdateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' body || die "shape: $(cat body)"
expect_eq "$(iam 'Action=UpdateAccessKey&UserName=ci&AccessKeyId=AKIAEMUSELFTESTCI001&Status=Inactive')" 200 "update twice"
expect_eq "$(emu_ctl aws GET /state | jq -r '.users.ci.keys[0].status')" Inactive "key state"
# no UserName: the signing key's own user, so another user's key is NoSuchEntity
expect_eq "$(iam 'Action=UpdateAccessKey&AccessKeyId=AKIAEMUSELFTESTCI001&Status=Active')" 404 "implicit user"
grep -q '<Code>NoSuchEntity</Code>' body || die "implicit user: $(cat body)"
# throttle: 400 Throttling in the ErrorResponse shape
emu_ctl aws POST /fault '{"match":"^DeleteAccessKey$","kind":"throttle"}' > /dev/null
expect_eq "$(iam 'Action=DeleteAccessKey&UserName=ci&AccessKeyId=AKIAEMUSELFTESTCI001')" 400 "throttle"
grep -q '<Code>Throttling</Code>' body && grep -q '<Message>Rate exceeded</Message>' body \
	&& grep -q '<Type>Sender</Type>' body || die "throttle body: $(cat body)"
emu_ctl aws POST /fault '{"match":"DeleteAccessKey","kind":"5xx","status":503}' > /dev/null
expect_eq "$(iam 'Action=DeleteAccessKey&UserName=ci&AccessKeyId=AKIAEMUSELFTESTCI001')" 503 "5xx"
grep -q '<Type>Receiver</Type>' body && grep -q ServiceUnavailable body || die "5xx body: $(cat body)"
expect_eq "$(iam 'Action=DeleteAccessKey&UserName=ci&AccessKeyId=AKIAEMUSELFTESTCI001')" 200 "delete"
expect_eq "$(iam 'Action=DeleteAccessKey&UserName=ci&AccessKeyId=AKIAEMUSELFTESTCI001')" 404 "delete twice"
grep -q 'The Access Key with id AKIAEMUSELFTESTCI001 cannot be found.' body || die "404 body: $(cat body)"
# signature and scope checks
expect_eq "$(code --aws-sigv4 aws:amz:us-east-1:iam -u "$AK:${SK}x" -d 'Action=ListUsers&Version=2010-05-08' "$A/")" \
	403 "wrong secret"
grep -q '<Code>SignatureDoesNotMatch</Code>' body || die "wrong secret: $(cat body)"
expect_eq "$(code --aws-sigv4 aws:amz:us-east-1:iam -u "AKIAEMUUNKNOWN000001:$SK" -d 'Action=ListUsers&Version=2010-05-08' "$A/")" \
	403 "unknown key"
grep -q '<Code>InvalidClientTokenId</Code>' body || die "unknown key: $(cat body)"
expect_eq "$(code --aws-sigv4 aws:amz:eu-west-1:iam -u "$AK:$SK" -d 'Action=ListUsers&Version=2010-05-08' "$A/")" \
	403 "iam scoped to eu-west-1"
expect_eq "$(code --aws-sigv4 aws:amz -u "$AK:$SK" -d 'Action=ListUsers&Version=2010-05-08' "$A/")" 403 "scope 0/127"
expect_eq "$(code -d 'Action=ListUsers&Version=2010-05-08' "$A/")" 403 "unsigned"
grep -q MissingAuthenticationToken body || die "unsigned: $(cat body)"
# libcurl 7.88: an unsorted GET query fails, a sorted one passes; a user X-Amz-Date is sent twice and fails
expect_eq "$(code --aws-sigv4 aws:amz:us-east-1:iam -u "$AK:$SK" "$A/?Version=2010-05-08&Action=ListUsers")" 403 "unsorted GET"
expect_eq "$(code --aws-sigv4 aws:amz:us-east-1:iam -u "$AK:$SK" "$A/?Action=ListUsers&Version=2010-05-08")" 200 "sorted GET"
expect_eq "$(code --aws-sigv4 aws:amz:us-east-1:iam -u "$AK:$SK" -H "X-Amz-Date: $(date -u +%Y%m%dT%H%M%SZ)" \
	-d 'Action=ListUsers&Version=2010-05-08' "$A/")" 403 "user X-Amz-Date"
# temporary credentials: the token header is signed; without it the key is unknown
expect_eq "$(code --aws-sigv4 aws:amz:us-east-1:sts -u ASIAEMUSELFTEST00001:emuSelftestSessSecret0000000000000000000001 \
	-H 'X-Amz-Security-Token: emuSelftestSessToken01' -d 'Action=GetCallerIdentity&Version=2011-06-15' "$A/")" 200 "session"
grep -q 'assumed-role/r/' body || die "session arn: $(cat body)"
expect_eq "$(code --aws-sigv4 aws:amz:us-east-1:sts -u ASIAEMUSELFTEST00001:emuSelftestSessSecret0000000000000000000001 \
	-d 'Action=GetCallerIdentity&Version=2011-06-15' "$A/")" 403 "session without token"
emu_ctl aws GET /requests > log.json
jq -e '[.[] | select(.action == "GetCallerIdentity" and .status == 200)][0].signed_headers | index("x-amz-security-token")' \
	log.json > /dev/null || die "token header not logged as signed"
expect_eq "$(jq -r '[.[] | select(.action == "ListUsers")][0].service' log.json)" iam "log service"
# the response parses with botocore's own Query parser (the IAM output shape)
iam 'Action=ListAccessKeys' > /dev/null
/usr/bin/python3 - body <<'PY' || die "botocore cannot parse the emulator's XML"
import sys, botocore.session, botocore.parsers
model = botocore.session.get_session().get_service_model('iam')
op = model.operation_model('ListAccessKeys')
body = open(sys.argv[1], 'rb').read()
r = botocore.parsers.create_parser('query').parse({'status_code': 200, 'headers': {}, 'body': body}, op.output_shape)
k = r['AccessKeyMetadata']
assert len(k) == 1 and k[0]['UserName'] == 'emu-admin' and k[0]['Status'] == 'Active', r
assert k[0]['CreateDate'].year > 2000 and r['IsTruncated'] is False, r
PY

# ---- k8s: TLS with the emulator CA, bearer tokens, Status bodies ------------
cat > k8s-seed.json <<'EOF'
{"tokens": [{"token": "emu-k8s-admin-token-0001", "user": "cordon"},
            {"token": "emu-k8s-bound-token-0001", "id": "web-pod", "sa": "prod/web", "bound": {"kind": "Pod", "name": "web-1"}},
            {"token": "emu-k8s-legacy-token-001", "id": "legacy", "sa": "prod/web", "bound": {"kind": "Secret", "name": "web-token"}}],
 "namespaces": {"prod": {"pods": {"web-1": {"spec": {"serviceAccountName": "web", "nodeName": "node-a"}}},
                         "secrets": {"web-token": {"type": "kubernetes.io/service-account-token",
                                                   "metadata": {"annotations": {"kubernetes.io/service-account.name": "web"}},
                                                   "data": {"token": "ZW11"}}},
                         "serviceaccounts": {"web": {}}}},
 "nodes": {"node-a": {}}}
EOF
emu_start k8s "$E" --seed k8s-seed.json
K=$EMU_K8S_URL
case $K in https://127.0.0.1:*) ;; *) die "k8s url $K" ;; esac
[ -s "$EMU_K8S_CA" ] || die "no CA file"
openssl x509 -in "$EMU_K8S_TLS/server.crt" -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' || die "SAN"
if curl -sS -o /dev/null "$K/version" 2> err; then die "TLS accepted without the CA"; fi
grep -qi 'certificate' err || die "refusal reason: $(cat err)"
kc() { code --cacert "$EMU_K8S_CA" -H "Authorization: Bearer emu-k8s-admin-token-0001" "$@"; }
expect_eq "$(code --cacert "$EMU_K8S_CA" "$K/api/v1/nodes/node-a")" 401 "no token"
expect_eq "$(jq -r '.kind + " " + .reason' body)" "Status Unauthorized" "401 body"
expect_eq "$(code --cacert "$EMU_K8S_CA" --cert "$EMU_K8S_TLS/client.crt" --key "$EMU_K8S_TLS/client.key" \
	"$K/api/v1/nodes/node-a")" 200 "client certificate"
expect_eq "$(code --cacert "$EMU_K8S_CA" -H "Authorization: Bearer emu-k8s-bound-token-0001" "$K/api/v1/namespaces/prod/pods/web-1")" \
	200 "bound token alive"
expect_eq "$(kc -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' -d '{"spec":{"unschedulable":true}}' \
	"$K/api/v1/nodes/node-a")" 200 "cordon"
expect_eq "$(jq -r '.kind + " " + (.spec.unschedulable|tostring)' body)" "Node true" "cordon body"
expect_eq "$(kc -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"unschedulable":null}}' \
	"$K/api/v1/nodes/node-a")" 200 "uncordon"
expect_eq "$(kc -X PATCH -H 'Content-Type: application/json' -d '{}' "$K/api/v1/nodes/node-a")" 415 "patch media type"
expect_eq "$(kc "$K/api/v1/namespaces/prod/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token")" 200 "list"
expect_eq "$(jq -r '.kind + " " + (.items | length | tostring) + " " + .items[0].metadata.annotations["kubernetes.io/service-account.name"]' body)" \
	"SecretList 1 web" "legacy token secret listed"
expect_eq "$(kc -X DELETE -H 'Content-Type: application/json' -d '{"propagationPolicy":"Background"}' \
	"$K/api/v1/namespaces/prod/secrets/web-token")" 200 "delete secret"
expect_eq "$(jq -r '.kind + " " + .status + " " + .details.kind' body)" "Status Success secrets" "delete secret body"
expect_eq "$(kc -X DELETE "$K/api/v1/namespaces/prod/secrets/web-token")" 404 "delete secret twice"
expect_eq "$(jq -c . body)" \
	'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"web-token\" not found","reason":"NotFound","details":{"name":"web-token","kind":"secrets"},"code":404}' \
	"NotFound Status"
emu_ctl k8s POST /fault '{"match":"/pods/web-1$","kind":"throttle","method":"DELETE"}' > /dev/null
expect_eq "$(hdr --cacert "$EMU_K8S_CA" -H "Authorization: Bearer emu-k8s-admin-token-0001" -X DELETE \
	"$K/api/v1/namespaces/prod/pods/web-1?gracePeriodSeconds=0")" 429 "k8s throttle"
grep -qi '^retry-after: 1' headers || die "k8s Retry-After"
expect_eq "$(jq -r '.reason + " " + (.details.retryAfterSeconds|tostring)' body)" "TooManyRequests 1" "429 body"
expect_eq "$(kc -X DELETE "$K/api/v1/namespaces/prod/pods/web-1?gracePeriodSeconds=0")" 200 "delete pod"
expect_eq "$(jq -r '.kind' body)" Pod "delete pod returns the Pod"
jq -e '.metadata.deletionTimestamp' body > /dev/null || die "no deletionTimestamp"
expect_eq "$(code --cacert "$EMU_K8S_CA" -H "Authorization: Bearer emu-k8s-bound-token-0001" "$K/api/v1/nodes")" \
	401 "bound token dies with its pod"
expect_eq "$(kc -X DELETE "$K/api/v1/namespaces/prod/serviceaccounts/web")" 200 "delete sa"
expect_eq "$(jq -r .kind body)" ServiceAccount "delete sa returns it"
OLD_UID=$(jq -r .metadata.uid body)
expect_eq "$(kc -X POST -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"web"}}' \
	"$K/api/v1/namespaces/prod/serviceaccounts")" 201 "recreate sa"
[ "$(jq -r .metadata.uid body)" != "$OLD_UID" ] || die "recreated SA kept its uid"
expect_eq "$(kc -X POST -H 'Content-Type: application/json' -d '{"metadata":{"name":"web"}}' \
	"$K/api/v1/namespaces/prod/serviceaccounts")" 409 "sa exists"
expect_eq "$(jq -r .reason body)" AlreadyExists "409 reason"
emu_ctl k8s POST /fault '{"match":"nodes/node-a","kind":"gone"}' > /dev/null
expect_eq "$(kc "$K/api/v1/nodes/node-a")" 404 "gone node"
emu_ctl k8s GET /state > st.json
expect_eq "$(jq -c '[.tokens["web-pod"].alive, .tokens.legacy.alive, (.nodes | length)]' st.json)" '[false,false,0]' "k8s state"

# ---- vault: token families, leases, KV v2 -----------------------------------
cat > vault-seed.json <<'EOF'
{"tokens": [{"id": "hvs.emuRootToken0001", "accessor": "acc-root", "policies": ["root"]},
            {"id": "hvs.emuCiToken00001", "accessor": "acc-ci", "parent": "acc-root", "policies": ["ci"]},
            {"id": "hvs.emuChildToken01", "accessor": "acc-child", "parent": "acc-ci"}],
 "leases": [{"id": "aws/creds/deploy/l1", "token": "acc-ci"}, "aws/creds/deploy/l2", "db/creds/ro/l3"],
 "kv": {"app/db": {"versions": [{"data": {"password": "emu-kv-secret-v1"}}]}}}
EOF
emu_start vault "$E" --seed vault-seed.json
V=$EMU_VAULT_URL
vt() { code -H "X-Vault-Token: hvs.emuRootToken0001" "$@"; }
expect_eq "$(code -H 'X-Vault-Token: nope' "$V/v1/auth/token/lookup-self")" 403 "bad vault token"
expect_eq "$(jq -c . body)" '{"errors":["permission denied"]}' "403 body"
expect_eq "$(vt -X POST -d '{"accessor":"acc-ci"}' "$V/v1/auth/token/lookup-accessor")" 200 "lookup-accessor"
expect_eq "$(jq -r '.data.id + "|" + .data.accessor' body)" "|acc-ci" "lookup hides the id"
emu_ctl vault POST /fault '{"match":"revoke-accessor","kind":"throttle","retry_after":2}' > /dev/null
expect_eq "$(hdr -H "X-Vault-Token: hvs.emuRootToken0001" -X POST -d '{"accessor":"acc-ci"}' "$V/v1/auth/token/revoke-accessor")" \
	429 "vault throttle"
grep -qi '^retry-after: 2' headers || die "vault Retry-After"
expect_eq "$(vt -X POST -d '{"accessor":"acc-ci"}' "$V/v1/auth/token/revoke-accessor")" 204 "revoke-accessor"
expect_eq "$(vt -X POST -d '{"accessor":"acc-ci"}' "$V/v1/auth/token/revoke-accessor")" 400 "revoke twice"
expect_eq "$(jq -c . body)" '{"errors":["invalid accessor"]}' "400 body"
expect_eq "$(code -H 'X-Vault-Token: hvs.emuChildToken01' "$V/v1/auth/token/lookup-self")" 403 "child died"
expect_eq "$(vt -X POST "$V/v1/sys/leases/revoke-prefix/aws/creds/deploy")" 204 "revoke-prefix"
expect_eq "$(vt -X POST -d '{"data":{"password":"emu-kv-secret-v2"},"options":{"cas":1}}' "$V/v1/secret/data/app/db")" 200 "kv write"
expect_eq "$(jq .data.version body)" 2 "kv version"
expect_eq "$(vt -X POST -d '{"versions":[1]}' "$V/v1/secret/destroy/app/db")" 204 "kv destroy"
expect_eq "$(vt -X POST -d '{"versions":[1]}' "$V/v1/secret/destroy/app/db")" 204 "kv destroy twice"
expect_eq "$(vt "$V/v1/secret/data/app/db?version=1")" 404 "destroyed version"
expect_eq "$(vt "$V/v1/secret/data/nope")" 404 "missing kv"
expect_eq "$(jq -c . body)" '{"errors":[]}' "404 body"
emu_ctl vault GET /state > st.json
expect_eq "$(jq -c '[.tokens["acc-ci"].alive, .tokens["acc-child"].alive, .tokens["acc-root"].alive, .leases["aws/creds/deploy/l2"].alive, .leases["db/creds/ro/l3"].alive, .kv["app/db"].versions["1"].destroyed]' st.json)" \
	'[false,false,true,false,true,true]' "vault state"

# ---- github: credential revocation, deploy keys, installation token ---------
cat > gh-seed.json <<'EOF'
{"tokens": [{"token": "ghp_emuLeakedToken000000000000000000001", "id": "leaked"},
            {"token": "ghp_emuAdminToken0000000000000000000001", "id": "admin"}],
 "installation_tokens": [{"token": "ghs_emuInstallToken00000000000000000001", "id": "inst"}],
 "repos": {"acme/web": {"keys": [{"id": 101, "title": "ci"}]}}}
EOF
emu_start github "$E" --seed gh-seed.json
H=$EMU_GITHUB_URL
gh() { code -A cordon-selftest "$@"; }
expect_eq "$(gh -X POST -d '{"credentials":["ghp_emuLeakedToken000000000000000000001"]}' "$H/credentials/revoke")" 202 "revoke"
expect_eq "$(gh -H 'Authorization: Bearer ghp_emuAdminToken0000000000000000000001' -X POST \
	-d '{"credentials":["x"]}' "$H/credentials/revoke")" 403 "authenticated revoke refused"
expect_eq "$(gh -H 'Authorization: Bearer ghp_emuLeakedToken000000000000000000001' "$H/user")" 401 "revoked token"
expect_eq "$(jq -r .message body)" "Bad credentials" "401 body"
expect_eq "$(code -A '' -H 'Authorization: Bearer ghp_emuAdminToken0000000000000000000001' "$H/user")" 403 "no User-Agent"
emu_ctl github POST /fault '{"match":"/keys/","kind":"throttle","status":429,"retry_after":3,"reset_in":5}' > /dev/null
expect_eq "$(hdr -A t -H 'Authorization: Bearer ghp_emuAdminToken0000000000000000000001' -X DELETE "$H/repos/acme/web/keys/101")" \
	429 "github throttle"
grep -qi '^retry-after: 3' headers && grep -qi '^x-ratelimit-remaining: 0' headers && grep -qi '^x-ratelimit-reset: [0-9]' headers \
	|| die "github rate-limit headers: $(cat headers)"
expect_eq "$(gh -H 'Authorization: Bearer ghp_emuAdminToken0000000000000000000001' -X DELETE "$H/repos/acme/web/keys/101")" 204 "deploy key"
expect_eq "$(gh -H 'Authorization: Bearer ghp_emuAdminToken0000000000000000000001' -X DELETE "$H/repos/acme/web/keys/101")" 404 "deploy key twice"
expect_eq "$(jq -r '.message + " " + .status' body)" "Not Found 404" "404 body"
expect_eq "$(gh -H 'Authorization: token ghs_emuInstallToken00000000000000000001' -X DELETE "$H/installation/token")" 204 "installation token"
expect_eq "$(gh -H 'Authorization: token ghs_emuInstallToken00000000000000000001' -X DELETE "$H/installation/token")" 401 "installation token twice"

# ---- gcp: service-account keys ----------------------------------------------
cat > gcp-seed.json <<'EOF'
{"tokens": ["ya29.emu-gcp-token-0001"],
 "service_accounts": [{"email": "ci@emu-proj.iam.gserviceaccount.com", "keys": [{"id": "k0000000000000000000000000000000000000001"}]}]}
EOF
emu_start gcp "$E" --seed gcp-seed.json
KEY="$EMU_GCP_URL/v1/projects/-/serviceAccounts/ci@emu-proj.iam.gserviceaccount.com/keys/k0000000000000000000000000000000000000001"
gc() { code -H 'Authorization: Bearer ya29.emu-gcp-token-0001' "$@"; }
expect_eq "$(code "$KEY")" 401 "gcp no token"
expect_eq "$(jq -r '.error.status' body)" UNAUTHENTICATED "401 body"
emu_ctl gcp POST /fault '{"match":":disable$","kind":"throttle"}' > /dev/null
expect_eq "$(gc -X POST -d '{}' "$KEY:disable")" 429 "gcp throttle"
expect_eq "$(jq -c '.error | [.code, .status]' body)" '[429,"RESOURCE_EXHAUSTED"]' "429 body"
expect_eq "$(gc -X POST -d '{}' "$KEY:disable")" 200 "disable"
expect_eq "$(gc "$KEY")" 200 "get key"
expect_eq "$(jq .disabled body)" true "key disabled"
expect_eq "$(gc -X DELETE "$KEY")" 200 "delete key"
expect_eq "$(gc "$KEY")" 404 "deleted key"
expect_eq "$(jq -r .error.status body)" NOT_FOUND "404 body"

# ---- no secret in any emulator log, request log or state --------------------
for n in aws k8s vault github gcp; do
	emu_ctl $n GET /requests > "req-$n.json"
	emu_ctl $n GET /state > "state-$n.json"
done
for s in "$SK" emuSelftestCiSecret000000000000000000000001 emuSelftestSessSecret0000000000000000000001 \
	emuSelftestSessToken01 emu-k8s-admin-token-0001 emu-k8s-bound-token-0001 hvs.emuRootToken0001 \
	hvs.emuCiToken00001 emu-kv-secret-v1 emu-kv-secret-v2 ghp_emuLeakedToken000000000000000000001 \
	ghs_emuInstallToken00000000000000000001 ya29.emu-gcp-token-0001; do
	if grep -lF "$s" "$E"/*.log req-*.json state-*.json; then die "a secret leaked into emulator output"; fi
done
echo "emu_selftest: ok"
