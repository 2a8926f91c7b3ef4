# inventory_certmanager.sh - cert-manager Certificates in the k8s-inventory
# (`kubectl get certificates.cert-manager.io -A -o json`, from
# tests/workloads/keymat/x509/inventory): each writes the Secret its
# spec.secretName names (cert-manager:NS/NAME writes k8s-secret:NS/SECRET),
# its issuer and expiry in its attributes; another API group's Certificate
# is no object of ours; one without a secretName is rejected, named by
# file and line, storing nothing.
. "$ROOT/tests/cases/lib.sh"
CM=$ROOT/tests/workloads/keymat/x509/inventory/cert-manager.json
"$CORDON" --db c.db ingest -q --json "$CM" > sum.json || die "ingest"
expect_eq "$(jq -r '.inputs[0].format' sum.json)" k8s-inventory "format by content"
expect_eq "$(sqlite3 c.db "SELECT m.key || ' ' || s.key FROM graph_edges e JOIN graph_nodes m ON m.id = e.src
	JOIN graph_nodes s ON s.id = e.dst WHERE e.type = 'writes' AND m.kind = 'cert-manager' ORDER BY 1")" \
	"billing/billing-client k8s-secret:billing/billing-client-tls
ledger/ledger-client k8s-secret:ledger/ledger-client-tls" "Certificate -> Secret"
expect_eq "$(sqlite3 c.db "SELECT json_extract(attrs, '\$.issuer_kind') || '/' || json_extract(attrs, '\$.issuer') || ' ' ||
	json_extract(attrs, '\$.not_after') FROM graph_nodes WHERE kind = 'cert-manager' AND key = 'billing/billing-client'")" \
	"ClusterIssuer/vault-pki 2025-09-01T00:00:00Z" "issuer and expiry"
# a Certificate of another API group is skipped, not counted
jq '.items[1].apiVersion = "example.com/v1" | .items[1].metadata.name = "other"' "$CM" > other.json
"$CORDON" --db c.db ingest -q other.json || die "another group's Certificate rejected the file"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM graph_nodes WHERE kind = 'cert-manager' AND key = 'ledger/other'")" 0 \
	"another group's Certificate stored"
# no secretName: the file is rejected, nothing of it stored
jq 'del(.items[1].spec.secretName) | .items[0].metadata.name = "new-one"' "$CM" > bad.json
rc=0; "$CORDON" --db c.db ingest -q bad.json 2> err || rc=$?
expect_eq "$rc" 1 "exit status of the bad file"
"$CORDON" --db c.db rejects | grep -q "bad.json.*line [0-9]*: Certificate ledger/ledger-client without a spec.secretName" ||
	die "reject: $(cat err)"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM graph_nodes WHERE kind = 'cert-manager' AND key = 'billing/new-one'")" 0 \
	"the bad file stored its good Certificate"
echo "cert-manager inventory ok"

# ---- the plan: a Secret a Certificate writes is re-issued through it ----------
certlist() { # certlist NS NAME SECRET: a one-Certificate List
	jq -n --arg ns "$1" --arg n "$2" --arg s "$3" '{apiVersion: "v1", kind: "List", items: [{
		apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: {name: $n, namespace: $ns},
		spec: {secretName: $s, issuerRef: {name: "ca", kind: "Issuer"}}}]}'
}
steps() { # steps DB: "action target" per step
	"$CORDON" --db "$1" revoke plan --incident "$(sqlite3 "$1" "SELECT id FROM incidents ORDER BY id LIMIT 1")" \
		--format json | jq -r '.steps[] | .action + " " + .target'
}
# the sample incident's escape exposes the Secret prod/stripe-api (a pod's
# volume): with a Certificate writing it, the plan re-issues it
mkdir ex && certlist prod stripe-mtls stripe-api > ex/cert-manager.json
"$CORDON" --db ex.db ingest -q "$ROOT/examples/incident" ex || die "ingest of the sample incident"
"$CORDON" --db ex.db correlate > /dev/null || true
steps ex.db | grep -qx "reissue-cert prod/stripe-mtls" || die "no re-issue of the exposed Secret's Certificate: $(steps ex.db)"
"$CORDON" --db ex0.db ingest -q "$ROOT/examples/incident" || die "ingest of the sample incident alone"
"$CORDON" --db ex0.db correlate > /dev/null || true
steps ex0.db | grep -q "reissue-cert" && die "a re-issue without any Certificate: $(steps ex0.db)"
# k8scert: the stolen certificate read the Secret billing/billing-db, which
# a Certificate writes: re-issued through it, not rotated by hand
K=$ROOT/tests/workloads/keymat/k8scert
mkdir kc && certlist billing billing-db-cert billing-db > kc/cert-manager.json
"$CORDON" --db kc.db ingest -q "$K/inventory" kc "$K/logs" || die "ingest of k8scert"
"$CORDON" --db kc.db correlate > /dev/null || true
steps kc.db > kc-steps.txt
grep -qx "reissue-cert billing/billing-db-cert" kc-steps.txt || die "k8scert: no re-issue: $(cat kc-steps.txt)"
grep -q "rotate-secret billing/billing-db" kc-steps.txt && die "k8scert: a cert-manager Secret rotated by hand"
echo "cert-manager plans ok"
