# revoke vault-* against tests/emu/vault.py: revoke by accessor (children
# die), lease prefix, KV v2 destroy and rotate; each twice; no token or
# secret value anywhere.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
ROOT_TOK=hvs.RootTokenDoNotLeak000000000001
cat > seed.json <<JSON
{"tokens":[{"id":"$ROOT_TOK","accessor":"acc-root","policies":["root"]},
           {"id":"hvs.ChildTokenDoNotLeak00000000001","accessor":"acc-ci","parent":"acc-root","display_name":"token-ci","policies":["ci"],"ttl":3600},
           {"id":"hvs.GrandTokenDoNotLeak00000000001","accessor":"acc-ci-2","parent":"acc-ci"}],
 "leases":[{"id":"aws/creds/deploy/abc123","token":"acc-root","ttl":3600},
           {"id":"aws/creds/deploy/def456","token":"acc-root","ttl":3600}],
 "kv":{"app/db":{"versions":[{"data":{"password":"KvOldPasswordDoNotLeak1"}},{"data":{"password":"KvOldPasswordDoNotLeak2","user":"app"}}]}}}
JSON
emu_start vault "$TMP/emu" --seed seed.json
export VAULT_ADDR=$EMU_VAULT_URL VAULT_TOKEN=$ROOT_TOK CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/v.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl vault GET /state; }

C revoke vault-accessor acc-ci --lookup > o || die "lookup"
grep -q "alive: display name token-ci" o || die "lookup: $(cat o)"
C revoke vault-accessor acc-ci --format json > o || die "revoke accessor: $(cat o)"
jq -e '.results[0].result == "done"' o > /dev/null || die "accessor: $(cat o)"
st | jq -e '.tokens["acc-ci"].alive == false and .tokens["acc-ci-2"].alive == false and .tokens["acc-root"].alive == true' > /dev/null || die "children alive"
C revoke vault-accessor acc-ci > o2 || die "accessor twice"
grep -q "^already .*absent; removed by action" o2 || die "accessor twice: $(cat o2)"
# an accessor this store never revoked and Vault does not know (mistyped,
# another Vault's, gone before): not "already", and nothing is revoked
set +e; C revoke vault-accessor acc-typo > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "unknown accessor"
grep -q "accessor acc-typo is unknown to this Vault .*cordon cannot prove it is revoked" o3 || die "unknown accessor: $(cat o3)"

C revoke vault-prefix aws/creds/deploy > o || die "prefix: $(cat o)"
grep -q "^done .*no live leases" o || die "prefix: $(cat o)"
st | jq -e '[.leases[] | select(.alive)] | length == 0' > /dev/null || die "leases alive"
C revoke vault-prefix aws/creds/deploy > o2 || die "prefix twice"
grep -q "^already" o2 || die "prefix twice: $(cat o2)"

C revoke vault-secret secret/app/db@1 --destroy > o || die "destroy v1: $(cat o)"
st | jq -e '.kv["app/db"].versions["1"].destroyed == true and .kv["app/db"].versions["2"].destroyed == false' > /dev/null || die "v1 not destroyed"
C revoke vault-secret secret/app/db@1 --destroy > o2 || die "destroy twice"
grep -q "^already" o2 || die "destroy twice: $(cat o2)"

C revoke vault-secret secret/app/db --rotate --format json > rot || die "rotate: $(cat rot)"
jq -e '.results[0].result == "done" and (.results[0] | has("new_secret") | not)' rot > /dev/null || die "rotate: $(cat rot)"
st | jq -e '.kv["app/db"].current_version == 3 and .kv["app/db"].versions["2"].destroyed == true' > /dev/null || die "rotation state"
C revoke vault-secret secret/app/db --rotate --show-secret --format json > rot2 || die "rotate 2"
# only the secret field is new ("user" holds no secret: kept, and not printed as new)
jq -e '(.results[0].new_secret | fromjson | has("password") and (has("user") | not)) and (.results[0].verified | test("changed password; kept user"))' rot2 > /dev/null || die "new values: $(cat rot2)"

# a sealed Vault: a clear per-action error
emu_ctl vault POST /fault '{"match":"lookup-accessor","kind":"5xx","status":503,"count":-1}' > /dev/null
set +e; C revoke vault-accessor acc-root > s 2>&1; rc=$?; set -e
emu_ctl vault DELETE /faults > /dev/null
expect_eq $rc 1 "sealed vault"
grep -q "Vault is sealed" s || die "sealed: $(cat s)"

C audit verify > /dev/null || die audit
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$ROOT_TOK" ChildTokenDoNotLeak GrandTokenDoNotLeak KvOldPasswordDoNotLeak; do
	for f in o o2 rot rot2 s "$DB" "$DB-wal" "$TMP/emu/vault.log"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret $s found in $f"; fi
	done
done
