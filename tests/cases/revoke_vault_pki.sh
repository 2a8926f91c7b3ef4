# revoke vault-cert against a Vault PKI mount of tests/emu/vault.py (a real
# CA: python3-cryptography): the serial as sshd and cert auth log it
# (decimal), as openssl prints it (hex) and as Vault does (colon-hex) names
# the same certificate; the result is proven in the mount's signed CRL, read
# independently with openssl; a serial the mount never issued fails; twice
# is "already", proven.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
ROOT_TOK=hvs.RootTokenDoNotLeak000000000002
# 0x3a0f1c2d4e5f60718293a4b5c6d7e8f9 = 77173679705394492591517615268101089529
cat > seed.json <<JSON
{"tokens":[{"id":"$ROOT_TOK","accessor":"acc-root","policies":["root"]}],
 "pki":{"pki":{"certs":[{"cn":"web.prod.svc","serial":77173679705394492591517615268101089529},
                        {"cn":"batch.prod.svc","serial":4660},
                        {"cn":"old.prod.svc","serial":51966,"revoked":true}]}}}
JSON
emu_start vault "$TMP/emu" --seed seed.json
export VAULT_ADDR=$EMU_VAULT_URL VAULT_TOKEN=$ROOT_TOK CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/p.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl vault GET /state; }
crl_lists() {  # SERIAL_HEX_UPPER: the mount's CRL, read by openssl, lists it
	curl -sf "$VAULT_ADDR/v1/pki/crl" -o crl.der
	openssl crl -inform DER -in crl.der -noout -text | grep -q "Serial Number: $1"
}

C revoke vault-cert pki/77173679705394492591517615268101089529 --dry-run > d || die "dry run: $(cat d)"
grep -q '"serial_number":"3a:0f:1c:2d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9"' d || die "dry run body: $(cat d)"
st | jq -e '.pki.pki["3a:0f:1c:2d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9"].revoked == false' > /dev/null || die "dry run revoked"

# decimal, as sshd and Vault's cert auth log it
C revoke vault-cert pki/77173679705394492591517615268101089529 --format json > o || die "revoke: $(cat o)"
jq -e '.results[0].result == "done" and (.results[0].verified | test("listed in the signed CRL"))' o > /dev/null || die "revoke: $(cat o)"
st | jq -e '.pki.pki["3a:0f:1c:2d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9"].revoked == true
	and .pki.pki["12:34"].revoked == false' > /dev/null || die "state: $(st | jq -c .pki)"
crl_lists 3A0F1C2D4E5F60718293A4B5C6D7E8F9 || die "openssl does not see it in the CRL"
# the same certificate as Vault spells it: already, proven
C revoke vault-cert pki/3a:0f:1c:2d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9 > o2 || die "twice: $(cat o2)"
grep -q "^already .*listed in the signed CRL" o2 || die "twice: $(cat o2)"
# hex with 0x (openssl's serial, 0x1234): a different certificate
C revoke vault-cert pki/0x1234 > o || die "hex: $(cat o)"
grep -q "^done" o || die "hex: $(cat o)"
crl_lists 1234 || die "0x1234 not in CRL"
# revoked before by someone else, proven by its revocation time and the CRL
C revoke vault-cert pki/ca:fe > o || die "revoked before: $(cat o)"
grep -q "^already" o || die "revoked before: $(cat o)"

# a serial this mount never issued: a failure, and nothing is revoked
emu_ctl vault DELETE /requests > /dev/null
set +e; C revoke vault-cert pki/99 > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "unknown serial"
grep -q "never issued serial 63 (404)" o3 || die "unknown serial: $(cat o3)"
emu_ctl vault GET /requests | jq -e 'all(.[]; .method == "GET")' > /dev/null || die "unknown serial sent: $(emu_ctl vault GET /requests)"
# bad spellings are usage errors
for bad in pki/ pki/xyz pki/0 "pki/$(printf '9%.0s' $(seq 50))"; do
	set +e; C revoke vault-cert "$bad" > o3 2>&1; rc=$?; set -e
	[ $rc -ne 0 ] || die "accepted $bad"
	grep -q "is not MOUNT/SERIAL" o3 || die "bad $bad: $(cat o3)"
done

C audit verify > /dev/null || die "audit verify"
for f in o o2 o3 d "$DB" "$TMP/emu/vault.log"; do
	[ -f "$f" ] || continue
	if grep -qaF -- "$ROOT_TOK" "$f"; then die "token found in $f"; fi
done
