# revoke k8s-* against tests/emu/k8s.py over TLS: the CA comes from the
# kubeconfig (as a file, and as certificate-authority-data), the bearer
# token from the kubeconfig; without the CA the connection fails cleanly.
# Each action, twice; cordon + undo; the tokens really die (TokenReview).
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
ADMIN=K8sAdminTokenDoNotLeak0000000000000001
cat > seed.json <<JSON
{"tokens":[{"token":"$ADMIN","user":"cordon-admin"},
           {"token":"NarrowTokenDoNotLeak0000000000000001","user":"prod-only","namespaces":["prod"]},
           {"token":"PodBoundTokenDoNotLeak000000000000001","id":"web-pod","sa":"prod/web","bound":{"kind":"Pod","name":"web-1"}},
           {"token":"LegacyTokenDoNotLeak0000000000000001","id":"legacy","sa":"prod/web","bound":{"kind":"Secret","name":"web-token-abc"}},
           {"token":"SaTokenDoNotLeak00000000000000000001","id":"sa-tok","sa":"prod/api"}],
 "namespaces":{"prod":{
   "pods":{"web-1":{"spec":{"serviceAccountName":"web","nodeName":"node-1"}},
           "web-2":{"spec":{"serviceAccountName":"web","nodeName":"node-1"}}},
   "secrets":{"web-token-abc":{"type":"kubernetes.io/service-account-token",
                               "metadata":{"annotations":{"kubernetes.io/service-account.name":"web"}},
                               "data":{"token":"bGVnYWN5"}},
              "aws-ci-key":{"type":"Opaque","data":{"k":"czNjcjN0"}}},
   "serviceaccounts":{"web":{},"api":{}}}},
 "nodes":{"node-1":{"spec":{"unschedulable":false}}}}
JSON
emu_start k8s "$TMP/emu" --seed seed.json
cat > kubeconfig <<YAML
apiVersion: v1
kind: Config
# written as kubectl writes it: lists at the key's indentation
clusters:
- cluster:
    certificate-authority: $EMU_K8S_CA
    server: $EMU_K8S_URL
  name: emu
contexts:
- context:
    cluster: emu
    namespace: prod
    user: responder
  name: emu-ctx
current-context: emu-ctx
users:
- name: responder
  user:
    token: "$ADMIN"
YAML
export KUBECONFIG=$PWD/kubeconfig CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/k.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl k8s GET /state; }

# kubectl reads the same kubeconfig (the emulator is faithful to it)
if command -v kubectl > /dev/null; then
	kubectl --kubeconfig kubeconfig get pods -n prod -o name > kc 2>&1 || die "kubectl: $(cat kc)"
	grep -q "pod/web-1" kc || die "kubectl get pods: $(cat kc)"
	emu_ctl k8s DELETE /requests > /dev/null
fi

C revoke k8s-pod prod/web-1 --format json > o || die "delete pod: $(cat o)"
jq -e '.results[0].result == "done" and .results[0].http_status == 200' o > /dev/null || die "pod: $(cat o)"
st | jq -e '(.namespaces.prod.pods["web-1"] == null) and (.tokens["web-pod"].alive == false)' > /dev/null || die "pod not deleted / token alive"
C revoke k8s-pod prod/web-1 > o2 || die "pod twice"
grep -q "^already .*absent; removed by action" o2 || die "pod twice: $(cat o2)"
# already done must be proven: a pod this store never deleted, absent now,
# is not "already" (mistyped, deleted by someone else, another cluster)
set +e; C revoke k8s-pod prod/web-9 > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent pod this store never deleted"
grep -q "pods prod/web-9 not found (404): .*cordon cannot prove it is revoked" o3 || die "absent pod: $(cat o3)"
# a namespace the caller may not read: a failure that says so, no DELETE sent
sed 's/token: "'"$ADMIN"'"/token: "NarrowTokenDoNotLeak0000000000000001"/' kubeconfig > kc-narrow
emu_ctl k8s DELETE /requests > /dev/null
set +e; KUBECONFIG=$PWD/kc-narrow C revoke k8s-secret kube-system/bootstrap-token-x > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "namespace the caller cannot read"
grep -q "the caller may not read secrets in namespace kube-system" o3 || die "forbidden namespace: $(cat o3)"
emu_ctl k8s GET /requests | jq -e 'length > 0 and all(.[]; .method == "GET" and .status == 403)' > /dev/null || die "requests: $(emu_ctl k8s GET /requests)"

C revoke k8s-sa prod/web --token-secrets > o || die "token secrets: $(cat o)"
grep -q "^done .*1 deleted" o || die "token secrets: $(cat o)"
st | jq -e '.namespaces.prod.secrets["web-token-abc"] == null and .tokens.legacy.alive == false' > /dev/null || die "legacy token"
C revoke k8s-sa prod/web --token-secrets > o2 || die "token secrets twice"
grep -q "^already" o2 || die "token secrets twice: $(cat o2)"

old=$(st | jq -r '.namespaces.prod.serviceaccounts.api.uid')
C revoke k8s-sa prod/api > o || die "recreate sa: $(cat o)"
new=$(st | jq -r '.namespaces.prod.serviceaccounts.api.uid')
[ "$old" != "$new" ] && [ "$new" != null ] || die "uid unchanged: $old $new"
st | jq -e '.tokens["sa-tok"].alive == false' > /dev/null || die "sa token alive"
grep -q "^done .*tokens of the old account are dead" o || die "recreate: $(cat o)"

C revoke k8s-secret prod/aws-ci-key > o || die "delete secret"
grep -q "^done" o || die "secret: $(cat o)"
C revoke k8s-secret prod/aws-ci-key > o2 || die "delete secret twice"
grep -q "^already" o2 || die "secret twice: $(cat o2)"

C revoke k8s-node node-1 --cordon --format json > o || die "cordon: $(cat o)"
st | jq -e '.nodes["node-1"].unschedulable == true' > /dev/null || die "node not cordoned"
id=$(jq -r '.results[0].action_id' o)
C revoke k8s-node node-1 --cordon > o2 || die "cordon twice"
grep -q "^already" o2 || die "cordon twice: $(cat o2)"
C revoke undo "$id" > u || die "uncordon: $(cat u)"
st | jq -e '.nodes["node-1"].unschedulable == false' > /dev/null || die "node not uncordoned"
emu_ctl k8s GET /requests | jq -e '[.[] | select(.method == "PATCH")] | length == 2' > /dev/null || die "PATCH count"

# certificate-authority-data instead of a file; a client certificate instead of a token
ca64=$(base64 -w0 < "$EMU_K8S_CA")
crt64=$(base64 -w0 < "$EMU_K8S_TLS/client.crt"); key64=$(base64 -w0 < "$EMU_K8S_TLS/client.key")
cat > kc-data <<YAML
apiVersion: v1
clusters:
- name: emu
  cluster:
    server: "$EMU_K8S_URL"
    certificate-authority-data: $ca64
contexts:
- name: c
  context: {cluster: emu, user: cert}
- context:
    cluster: emu
    user: cert
  name: c2
current-context: c2
users:
- name: cert
  user:
    client-certificate-data: $crt64
    client-key-data: $key64
YAML
KUBECONFIG=$PWD/kc-data C revoke k8s-pod prod/web-2 > o || die "ca-data + client cert: $(cat o)"
grep -q "^done" o || die "ca-data: $(cat o)"

# a kubeconfig written by kubectl itself (embedded CA, token)
if command -v kubectl > /dev/null; then
	K=$PWD/kc-kubectl
	kubectl config --kubeconfig="$K" set-cluster emu --server="$EMU_K8S_URL" --certificate-authority="$EMU_K8S_CA" --embed-certs=true > /dev/null
	kubectl config --kubeconfig="$K" set-credentials r --token="$ADMIN" > /dev/null
	kubectl config --kubeconfig="$K" set-context c --cluster=emu --user=r > /dev/null
	kubectl config --kubeconfig="$K" use-context c > /dev/null
	KUBECONFIG="/nonexistent:$K" C revoke k8s-node node-1 --cordon > o || die "kubectl-written kubeconfig: $(cat o)"
	grep -q "^done" o || die "kubectl kubeconfig: $(cat o)"
	KUBECONFIG=$K C revoke k8s-node node-1 --uncordon > /dev/null || die "uncordon"
fi

# no CA: TLS verification fails, cleanly, with a hint
sed '/certificate-authority/d' kubeconfig > kc-noca
set +e
KUBECONFIG=$PWD/kc-noca C revoke k8s-node node-1 --cordon > o 2>&1; rc=$?
set -e
expect_eq $rc 1 "no CA"
grep -q "certificate-authority" o || die "no-CA message: $(cat o)"
# insecure-skip-tls-verify is refused, not honoured
sed 's/^    server:/    insecure-skip-tls-verify: true\n    server:/' kc-noca > kc-insecure
set +e
KUBECONFIG=$PWD/kc-insecure C revoke k8s-node node-1 --cordon > o 2>&1; rc=$?
set -e
expect_eq $rc 2 "insecure-skip-tls-verify"
grep -q "always verifies TLS" o || die "insecure message: $(cat o)"

C audit verify > /dev/null || die "audit"
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$ADMIN" NarrowTokenDoNotLeak0000000000000001 PodBoundTokenDoNotLeak LegacyTokenDoNotLeak SaTokenDoNotLeak "$key64"; do
	for f in o o2 u "$DB" "$DB-wal" "$TMP/emu/k8s.log"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret found in $f"; fi
	done
done
