# keymat_revoke.sh - the key-material incidents of keymat_kinds (issue 20),
# planned and applied end to end against the emulators: for each kind the
# incident's plan (`revoke plan --incident`) is applied (`revoke apply
# --yes`) after a dry run that changes nothing; each provider's state shows
# the step done; `audit verify` holds after each; the SSH key's removal from
# the KRL is undone and ssh-keygen reads the list both times.
#   ssh      revoke-ssh-key into $CORDON_SSH_KRL (undo lifts it)
#   spiffe   delete-entry on the SPIRE server (tests/emu/spire.py)
#   signing  a manual rotation only: nothing to apply, the trail still holds
#   token    revoke-accessor and the KV rotation on Vault (tests/emu/vault.py)
#   x509     revoke-accessor, revoke-cert (the PKI mount's CRL lists the
#            serial), reissue-cert (cert-manager, tests/emu/k8s.py), KV
#   k8scert  its serial's revoke-cert is manual (no mount known), and the
#            Kubernetes Secret it read is rotated
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
command -v ssh-keygen > /dev/null || die "ssh-keygen not installed (openssh-client: scripts/deps.sh)"
/usr/bin/python3 -c "import grpc" 2> /dev/null || die "python3-grpcio not installed (scripts/deps.sh)"
ROOT_TOK=hvs.RootTokenDoNotLeak000000000009
ADMIN=K8sAdminTokenDoNotLeak0000000000000009
SERIAL_DEC=$(python3 -c 'print(int("3a33141fabadb0c5da55f851852b92e0718d13ff", 16))')
SOCK=$TMP/spire-api.sock
cat > vault.json <<JSON
{"tokens":[{"id":"$ROOT_TOK","accessor":"acc-root","policies":["root"]},
           {"id":"hvs.AttackerTokenDoNotLeak000000009","accessor":"acc-e64ba38a4b958c72bc0d","policies":["billing-read"]},
           {"id":"hvs.SinkTokenDoNotLeak0000000000009","accessor":"acc-835f57c5505645dd3a3b","policies":["billing-read"]}],
 "pki":{"pki":{"certs":[{"cn":"billing-client","serial":$SERIAL_DEC}]}},
 "kv":{"billing":{"versions":[{"data":{"password":"KvBillingDoNotLeak0001"}}]}}}
JSON
cat > k8s.json <<JSON
{"tokens":[{"token":"$ADMIN","user":"cordon-admin"}],
 "namespaces":{"billing":{
   "secrets":{"billing-db":{"data":{"password":"YmlsbGluZw=="}}},
   "certificates":{"billing-client":{"spec":{"secretName":"billing-client-tls","privateKey":{"rotationPolicy":"Always"}},
     "status":{"revision":1,"conditions":[{"type":"Ready","status":"True"}]}}}}}}
JSON
cat > spire.json <<JSON
{"socket":"$SOCK",
 "entries":[{"id":"0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c","spiffe_id":"spiffe://example.org/billing",
             "parent_id":"spiffe://example.org/spire/agent/x509pop/agent-host-3","selectors":["unix:uid:1001"]}],
 "agents":[{"spiffe_id":"spiffe://example.org/spire/agent/x509pop/agent-host-3"}]}
JSON
emu_start vault "$TMP/emu" --seed vault.json
emu_start k8s "$TMP/emu" --seed k8s.json
emu_start spire "$TMP/emu" --seed spire.json
i=0; while [ ! -S "$SOCK" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || die "the SPIRE gRPC socket did not appear"
emu_kubeconfig kubeconfig "$ADMIN"
export VAULT_ADDR=$EMU_VAULT_URL VAULT_TOKEN=$ROOT_TOK KUBECONFIG=$PWD/kubeconfig
export CORDON_SPIRE_SOCKET=$SOCK CORDON_SSH_KRL=$PWD/revoked.krl CORDON_HTTP_BACKOFF_MS=50
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY GITHUB_TOKEN CORDON_WEBHOOK_URL
vst() { emu_ctl vault GET /state; }
kst() { emu_ctl k8s GET /state; }

apply_kind() { # apply_kind KIND: ingest, correlate, plan, dry run, apply, audit verify
	k=$1; F="$ROOT/tests/workloads/keymat/$k"
	"$CORDON" --db $k.db ingest -q "$F/inventory" "$F/logs" || die "$k: ingest"
	"$CORDON" --db $k.db correlate > /dev/null || :
	id=$(sqlite3 $k.db "SELECT id FROM incidents")
	[ -n "$id" ] || die "$k: no incident"
	"$CORDON" --db $k.db revoke plan --incident "$id" --out $k-plan.json > $k-plan.txt || die "$k: plan: $(cat $k-plan.txt)"
	before_v=$(vst | jq -S -c .); before_k=$(kst | jq -S -c .)
	"$CORDON" --db $k.db revoke apply $k-plan.json --dry-run > $k-dry.txt 2>&1 || die "$k: dry run: $(cat $k-dry.txt)"
	[ "$(vst | jq -S -c .)" = "$before_v" ] || die "$k: the dry run changed Vault"
	[ "$(kst | jq -S -c .)" = "$before_k" ] || die "$k: the dry run changed Kubernetes"
	[ -f revoked.krl ] && [ $k = ssh ] && die "$k: the dry run wrote the KRL"
	"$CORDON" --db $k.db revoke apply $k-plan.json --yes --format json < /dev/null > $k-res.json ||
		die "$k: apply: $(cat $k-res.json)"
	"$CORDON" --db $k.db audit verify > $k-audit.txt || die "$k: audit verify: $(cat $k-audit.txt)"
	# every automatic step done and verified; manual ones told, not done
	expect_eq "$(sqlite3 $k.db "SELECT count(*) FROM actions WHERE result IN ('done', 'already done') AND undo_of IS NULL")" \
		"$(jq '.steps | map(select(.manual | not)) | length' $k-plan.json)" "$k: actions done"
}

apply_kind ssh
FP=SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s
# ssh-keygen -Q -l prints the hash in hex
FPHEX=$(python3 -c 'import base64, sys; print(base64.b64decode(sys.argv[1][7:] + "=").hex())' "$FP")
ssh-keygen -Q -l -f revoked.krl > krl.txt 2>&1 || die "ssh-keygen cannot read the KRL: $(cat krl.txt)"
grep -q "hash: SHA256:$FPHEX" krl.txt || die "ssh: the KRL does not list the key: $(cat krl.txt)"
aid=$(jq -r '.results[] | select(.action == "revoke-ssh-key") | .action_id' ssh-res.json)
"$CORDON" --db ssh.db revoke undo "$aid" > undo.txt || die "ssh: undo: $(cat undo.txt)"
ssh-keygen -Q -l -f revoked.krl > krl2.txt 2>&1 || die "ssh-keygen cannot read the KRL after undo"
grep -q "hash: SHA256:$FPHEX" krl2.txt && die "ssh: undo left the key in the KRL"
"$CORDON" --db ssh.db audit verify > /dev/null || die "ssh: audit verify after undo"

apply_kind spiffe
emu_ctl spire GET /state | jq -e '.entries | has("0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c") | not' > /dev/null ||
	die "spiffe: the entry is still registered"

apply_kind signing
jq -e '[.steps[] | select(.action == "rotate-signing-key")][0].manual' signing-plan.json > /dev/null ||
	die "signing: the rotation is not a manual step"

apply_kind token
vst | jq -e '.tokens | map(select(.accessor == "acc-835f57c5505645dd3a3b")) | length == 0' > /dev/null ||
	die "token: the sink's token is alive: $(vst | jq -c '.tokens')"

apply_kind x509
vst | jq -e '.tokens | map(select(.accessor == "acc-e64ba38a4b958c72bc0d")) | length == 0' > /dev/null ||
	die "x509: the attacker's token is alive"
vst | jq -e '.pki.pki["3a:33:14:1f:ab:ad:b0:c5:da:55:f8:51:85:2b:92:e0:71:8d:13:ff"].revoked == true' > /dev/null ||
	die "x509: the certificate is not revoked: $(vst | jq -c '.pki')"
curl -sf --cacert "${EMU_VAULT_CA:-/dev/null}" "$VAULT_ADDR/v1/pki/crl" -o crl.der 2> /dev/null ||
	curl -sf "$VAULT_ADDR/v1/pki/crl" -o crl.der || die "x509: no CRL"
openssl crl -inform DER -in crl.der -noout -text | grep -qi "Serial Number: 3A33141FABADB0C5DA55F851852B92E0718D13FF" ||
	die "x509: the CRL does not list the serial"
kst | jq -e '.namespaces.billing.certificates["billing-client"].revision == 2' > /dev/null ||
	die "x509: the certificate was not re-issued: $(kst | jq -c '.namespaces.billing.certificates')"

apply_kind k8scert
jq -e '[.steps[] | select(.action == "revoke-cert")][0].manual' k8scert-plan.json > /dev/null ||
	die "k8scert: revoke-cert without a known mount is not manual"
jq -e '[.steps[] | "\(.provider) \(.action) \(.target)"] | index("k8s rotate-secret billing/billing-db") != null' \
	k8scert-plan.json > /dev/null || die "k8scert: no rotation of the Secret it read"

# no credential on screen or on disk
for f in *-plan.json *-res.json *.txt *.db; do
	for s in "$ROOT_TOK" "$ADMIN" hvs.AttackerTokenDoNotLeak000000009 hvs.SinkTokenDoNotLeak0000000000009 KvBillingDoNotLeak0001; do
		if grep -qaF -- "$s" "$f"; then die "secret found in $f"; fi
	done
done
echo "key material plans applied end to end"
