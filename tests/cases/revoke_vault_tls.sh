# revoke vault-accessor against tests/emu/vault.py over TLS with a client
# certificate required, a namespaced token: VAULT_NAMESPACE sends
# X-Vault-Namespace on every request, VAULT_CLIENT_CERT / VAULT_CLIENT_KEY
# authenticate the client, VAULT_CAPATH (a directory of PEM files, any
# names) or VAULT_CACERT give the CA.  Without each, a clear failure.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
NS_TOK=hvs.NamespacedTokenDoNotLeak00000001
cat > seed.json <<JSON
{"tokens":[{"id":"$NS_TOK","accessor":"acc-admin","policies":["root"],"namespace":"team-a/"},
           {"id":"hvs.CiTokenDoNotLeak000000000000001","accessor":"acc-ci","parent":"acc-admin","namespace":"team-a"},
           {"id":"hvs.CiTokenDoNotLeak000000000000002","accessor":"acc-ci-2","parent":"acc-admin","namespace":"team-a"}]}
JSON
emu_start vault "$TMP/emu" --seed seed.json --tls-dir "$TMP/emu/tls" --require-client-cert
TLS=$TMP/emu/tls
export VAULT_ADDR=$EMU_VAULT_URL VAULT_TOKEN=$NS_TOK CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/v.db"
C() { "$CORDON" --db "$DB" "$@"; }
alive() { emu_ctl vault GET /state | jq -r --arg a "$1" '.tokens[$a].alive'; }
mkdir capath
cp "$EMU_VAULT_CA" capath/any-name.pem
echo "not a certificate" > capath/README

# everything given: done; every request carried the namespace and the cert
export VAULT_CAPATH=$PWD/capath VAULT_NAMESPACE=team-a VAULT_CLIENT_CERT=$TLS/client.crt VAULT_CLIENT_KEY=$TLS/client.key
emu_ctl vault DELETE /requests > /dev/null
C revoke vault-accessor acc-ci > o 2>&1 || die "namespace + client cert + capath: $(cat o)"
grep -q "^done" o || die "done: $(cat o)"
expect_eq "$(alive acc-ci)" false "acc-ci revoked"
emu_ctl vault GET /requests > reqs
jq -e 'length >= 2 and all(.[]; .namespace == "team-a" and .status != 403)' reqs > /dev/null || die "requests: $(cat reqs)"

# no namespace: the token is unknown in the root namespace (403), nothing revoked
unset VAULT_NAMESPACE
set +e; C revoke vault-accessor acc-ci-2 > o 2>&1; rc=$?; set -e
expect_eq $rc 1 "no VAULT_NAMESPACE"
grep -q "permission denied" o || die "no namespace: $(cat o)"
expect_eq "$(alive acc-ci-2)" true "acc-ci-2 without the namespace"
export VAULT_NAMESPACE=team-a

# no client certificate: the handshake fails, and the message says what to set
unset VAULT_CLIENT_CERT VAULT_CLIENT_KEY
set +e; C revoke vault-accessor acc-ci-2 > o 2>&1; rc=$?; set -e
expect_eq $rc 1 "no client certificate"
grep -q "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY when it requires a client certificate" o || die "no client cert: $(cat o)"
# half of the pair: a configuration error naming both
set +e; VAULT_CLIENT_CERT=$TLS/client.crt C revoke vault-accessor acc-ci-2 > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "client cert without key"
grep -q "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY go together" o || die "half pair: $(cat o)"
export VAULT_CLIENT_CERT=$TLS/client.crt VAULT_CLIENT_KEY=$TLS/client.key

# no CA at all: TLS verification fails with the hint
unset VAULT_CAPATH
set +e; C revoke vault-accessor acc-ci-2 > o 2>&1; rc=$?; set -e
expect_eq $rc 1 "no CA"
grep -q "VAULT_CACERT or VAULT_CAPATH" o || die "no CA: $(cat o)"
# a CA path without certificates: a configuration error
mkdir empty
set +e; VAULT_CAPATH=$PWD/empty C revoke vault-accessor acc-ci-2 > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "empty VAULT_CAPATH"
grep -q "VAULT_CAPATH holds no PEM certificate" o || die "empty capath: $(cat o)"
# VAULT_CACERT works as well
VAULT_CACERT=$EMU_VAULT_CA C revoke vault-accessor acc-ci-2 > o 2>&1 || die "cacert: $(cat o)"
expect_eq "$(alive acc-ci-2)" false "acc-ci-2 revoked"

sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$NS_TOK" CiTokenDoNotLeak; do
	for f in o reqs "$DB" "$DB-wal" "$TMP/emu/vault.log"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret found in $f"; fi
	done
done
