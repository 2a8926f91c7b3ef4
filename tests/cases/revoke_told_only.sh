# Connectors act only on what they are told, against tests/emu:
# - `revoke k8s-sa NS/NAME` on a service account that does not exist fails
#   saying so (exit 1) and creates nothing;
# - `revoke notify TEXT` redacts a secret in TEXT before it is printed or
#   stored as the action's target;
# - `revoke vault-secret --rotate` changes only the fields that hold secrets
#   (a catalog of names, or --field NAME), names the fields it changed and
#   never their values; a named field the secret lacks is a failure;
# - a webhook that does not answer in time reads "no response: Timeout...".
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
export CORDON_HTTP_BACKOFF_MS=50

# --- k8s: a service account that does not exist is not created ---------------------
ADMIN=K8sAdminTokenDoNotLeak0000000000000001
cat > k8s.json <<JSON
{"tokens":[{"token":"$ADMIN","user":"cordon-admin"}],
 "namespaces":{"prod":{"pods":{},"secrets":{},"serviceaccounts":{"web":{}}}}}
JSON
emu_start k8s "$TMP/emu" --seed k8s.json
cat > kubeconfig <<YAML
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: $EMU_K8S_CA
    server: $EMU_K8S_URL
  name: emu
contexts:
- context:
    cluster: emu
    user: responder
  name: emu-ctx
current-context: emu-ctx
users:
- name: responder
  user:
    token: "$ADMIN"
YAML
export KUBECONFIG=$PWD/kubeconfig
DB="$TMP/t.db"
C() { "$CORDON" --db "$DB" "$@"; }
emu_ctl k8s DELETE /requests > /dev/null
set +e; C revoke k8s-sa prod/ghost > k1 2>&1; rc=$?; set -e
expect_eq $rc 1 "recreate-sa of an absent service account"
grep -q "serviceaccount prod/ghost does not exist" k1 || die "absent sa: $(cat k1)"
emu_ctl k8s GET /state | jq -e '.namespaces.prod.serviceaccounts.ghost == null' > /dev/null \
	|| die "the absent service account was created: $(emu_ctl k8s GET /state | jq -c .namespaces.prod.serviceaccounts)"
emu_ctl k8s GET /requests | jq -e 'all(.[]; .method == "GET")' > /dev/null \
	|| die "requests beyond a read: $(emu_ctl k8s GET /requests | jq -c '[.[] | .method + " " + .path]')"
# the existing one is still recreated
C revoke k8s-sa prod/web > k2 || die "recreate-sa: $(cat k2)"
grep -q "^done" k2 || die "recreate-sa: $(cat k2)"

# --- notify: the text is redacted before it is printed or stored ---------------------
HOOK_PATH=/services/T000/B000/HookPathDoNotLeak01
printf '{"paths":["%s"]}\n' "$HOOK_PATH" > hook.json
emu_start webhook "$TMP/emu" --seed hook.json
export CORDON_WEBHOOK_URL=$EMU_WEBHOOK_URL$HOOK_PATH
TOK=ghp_NotifyTokenDoNotLeak0123456789abcdefXY
C revoke notify "contained; token=$TOK" > n1 2>&1 || die "notify: $(cat n1)"
C revoke notify "dry; token=$TOK" --dry-run > n2 2>&1 || die "notify dry-run: $(cat n2)"
C revoke notify "json; token=$TOK" --format json > n3 2>&1 || die "notify json: $(cat n3)"
grep -q "REDACTED" n1 || die "notify output: $(cat n1)"
# the webhook answers nothing in time: a clean message
emu_ctl webhook POST /fault '{"kind":"slow","delay":4,"count":-1}' > /dev/null
set +e; CORDON_HTTP_TIMEOUT=1 CORDON_HTTP_ATTEMPTS=1 C revoke notify "slow" > n4 2>&1; rc=$?; set -e
emu_ctl webhook DELETE /faults > /dev/null
expect_eq $rc 1 "notify with no answer in time"
grep -q "no response: Timeout was reached" n4 || die "timeout message: $(cat n4)"
grep -q "no response: 0" n4 && die "timeout message carries a status 0: $(cat n4)"

# --- vault: rotation changes only the secret fields ------------------------------------
ROOT_TOK=hvs.RootTokenDoNotLeak000000000001
cat > vault.json <<JSON
{"tokens":[{"id":"$ROOT_TOK","accessor":"acc-root","policies":["root"]}],
 "kv":{"app/db":{"versions":[{"data":{"username":"app","host":"db.internal","port":"5432","password":"KvOldPasswordDoNotLeak1","api_key":"KvOldApiKeyDoNotLeak1"}}]},
       "app/cfg":{"versions":[{"data":{"region":"eu-west-1","owner":"team-a","mode":"blue"}}]}}}
JSON
emu_start vault "$TMP/emu" --seed vault.json
export VAULT_ADDR=$EMU_VAULT_URL VAULT_TOKEN=$ROOT_TOK
vdata() { # the current data of secret/PATH, read as any client would
	curl -sf -H "X-Vault-Token: $ROOT_TOK" "$VAULT_ADDR/v1/secret/data/$1" | jq -c .data.data
}
C revoke vault-secret secret/app/db --rotate --format json > r1 || die "rotate: $(cat r1)"
vdata app/db > d1
jq -e '.username == "app" and .host == "db.internal" and .port == "5432"' d1 > /dev/null \
	|| die "rotation changed fields that hold no secret: $(jq -c 'del(.password, .api_key)' d1)"
jq -e '.password != "KvOldPasswordDoNotLeak1" and .api_key != "KvOldApiKeyDoNotLeak1"' d1 > /dev/null \
	|| die "rotation left a secret field"
jq -e '.results[0].result == "done"' r1 > /dev/null || die "rotate: $(cat r1)"
grep -q "changed password, api_key; kept username, host, port" r1 || die "rotation names no changed fields: $(cat r1)"
# --field chooses: only that one changes
before=$(vdata app/db)
C revoke vault-secret secret/app/db --rotate --field api_key > r2 || die "rotate --field: $(cat r2)"
vdata app/db > d2
expect_eq "$(jq -r .password d2)" "$(echo "$before" | jq -r .password)" "--field api_key kept password"
[ "$(jq -r .api_key d2)" != "$(echo "$before" | jq -r .api_key)" ] || die "--field api_key did not change it"
grep -q "changed api_key; kept" r2 || die "rotate --field: $(cat r2)"
# a field the secret does not have, and a secret with no secret field: failures that say so
set +e; C revoke vault-secret secret/app/db --rotate --field nosuch > r3 2>&1; rc=$?; set -e
expect_eq $rc 1 "--field naming no field"
grep -q "has no field nosuch" r3 || die "--field nosuch: $(cat r3)"
set +e; C revoke vault-secret secret/app/cfg --rotate > r4 2>&1; rc=$?; set -e
expect_eq $rc 1 "a secret with no secret-looking field"
grep -q "no field of secret/app/cfg is a secret by name" r4 || die "no secret fields: $(cat r4)"
expect_eq "$(vdata app/cfg)" '{"region":"eu-west-1","owner":"team-a","mode":"blue"}' "app/cfg untouched"

# no secret anywhere: outputs, the store and its WAL
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$TOK" "$ADMIN" "$ROOT_TOK" KvOldPasswordDoNotLeak1 KvOldApiKeyDoNotLeak1 HookPathDoNotLeak01; do
	for f in k1 k2 n1 n2 n3 n4 r1 r2 r3 r4 "$DB" "$DB-wal"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret $s found in $f"; fi
	done
done
sqlite3 "$DB" "SELECT target FROM actions" | grep -qF "token=[REDACTED]" || die "the stored target: $(sqlite3 "$DB" 'SELECT target FROM actions')"
C audit verify > /dev/null || die "audit verify"
echo "told only ok"
