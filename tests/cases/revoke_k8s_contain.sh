# Containment that keeps the evidence, against tests/emu/k8s.py: isolate a
# pod with a deny-all NetworkPolicy (only that replica; the emulator judges
# isolation by NetworkPolicy semantics, and kubectl reads the same policy),
# undo it; refuse a hostNetwork pod; scale a deployment to zero and undo to
# the count read before; re-issue a cert-manager Certificate with a new key;
# absent targets fail; the audit trail verifies.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
ADMIN=K8sAdminTokenDoNotLeak0000000000000002
cat > seed.json <<JSON
{"tokens":[{"token":"$ADMIN","user":"cordon-admin"},
           {"token":"ReadOnlyTokenDoNotLeak000000000000001","user":"viewer","readonly":true}],
 "namespaces":{"prod":{
   "pods":{"agent-7f9c-1":{"metadata":{"labels":{"app":"agent"}},"spec":{"nodeName":"node-1"}},
           "agent-7f9c-2":{"metadata":{"labels":{"app":"agent"}},"spec":{"nodeName":"node-2"}},
           "node-exporter-x":{"metadata":{"labels":{"app":"exporter"}},"spec":{"hostNetwork":true}}},
   "deployments":{"agent":{"spec":{"replicas":3,"selector":{"matchLabels":{"app":"agent"}}}}},
   "statefulsets":{"db":{"spec":{"replicas":0}}}}}}
JSON
emu_start k8s "$TMP/emu" --seed seed.json
cat > kubeconfig <<YAML
apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority: $EMU_K8S_CA, server: "$EMU_K8S_URL"}
  name: emu
contexts:
- context: {cluster: emu, user: responder}
  name: emu
current-context: emu
users:
- name: responder
  user: {token: "$ADMIN"}
YAML
export KUBECONFIG=$PWD/kubeconfig CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/k.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl k8s GET /state; }

# the dry run shows both requests and sends nothing
C revoke k8s-isolate prod/agent-7f9c-1 --dry-run > d || die "dry run: $(cat d)"
grep -q "POST .*/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies" d || die "dry run POST: $(cat d)"
grep -q "PATCH .*/api/v1/namespaces/prod/pods/agent-7f9c-1" d || die "dry run PATCH: $(cat d)"
st | jq -e '.namespaces.prod.networkpolicies == {}' > /dev/null || die "dry run created a policy"

C revoke k8s-isolate prod/agent-7f9c-1 --format json > o || die "isolate: $(cat o)"
jq -e '.results[0].result == "done" and (.results[0].verified | test("selects only it"))' o > /dev/null || die "isolate: $(cat o)"
id=$(jq -r '.results[0].action_id' o)
st | jq -e '.namespaces.prod.pods["agent-7f9c-1"].isolated == true
	and .namespaces.prod.pods["agent-7f9c-2"].isolated == false
	and (.namespaces.prod.pods["agent-7f9c-1"].deletionTimestamp == null)' > /dev/null ||
	die "isolation state: $(st | jq -c .namespaces.prod.pods)"
if command -v kubectl > /dev/null; then
	kubectl get networkpolicy -n prod -o json > kp 2> kerr || die "kubectl: $(cat kerr)"
	jq -e '.items | length == 1 and (.[0].metadata.name == "cordon-isolate-agent-7f9c-1")
		and (.[0].spec.policyTypes | sort == ["Egress","Ingress"])' kp > /dev/null || die "kubectl sees: $(cat kp)"
fi
# twice: proven already (policy and label read back)
C revoke k8s-isolate prod/agent-7f9c-1 > o2 || die "isolate twice: $(cat o2)"
grep -q "^already .*denies all ingress and egress" o2 || die "isolate twice: $(cat o2)"
# undo removes the policy and the label
C revoke undo "$id" > u || die "undo isolate: $(cat u)"
st | jq -e '.namespaces.prod.networkpolicies == {} and .namespaces.prod.pods["agent-7f9c-1"].isolated == false
	and (.namespaces.prod.pods["agent-7f9c-1"].labels | has("cordon.dev/isolate") | not)' > /dev/null ||
	die "undo left: $(st | jq -c .namespaces.prod)"

# a policy of that name that does not deny everything is not ours: refuse
emu_ctl k8s POST /seed '{"namespaces":{"prod":{"networkpolicies":{"cordon-isolate-agent-7f9c-2":{"spec":{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{}]}}}}}}' > /dev/null
set +e; C revoke k8s-isolate prod/agent-7f9c-2 > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "foreign policy of the same name"
grep -q "does not deny all traffic of this pod" o3 || die "foreign policy: $(cat o3)"

# hostNetwork: NetworkPolicy does not apply; nothing is sent but the read
emu_ctl k8s DELETE /requests > /dev/null
set +e; C revoke k8s-isolate prod/node-exporter-x > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "hostNetwork pod"
grep -q "hostNetwork.*k8s-scale" o3 || die "hostNetwork: $(cat o3)"
emu_ctl k8s GET /requests | jq -e 'all(.[]; .method == "GET")' > /dev/null || die "hostNetwork sent: $(emu_ctl k8s GET /requests)"
# an absent pod is a failure, never "already"
set +e; C revoke k8s-isolate prod/nope > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent pod"
grep -q "not found (404)" o3 || die "absent: $(cat o3)"

# scale to zero, undo restores 3
C revoke k8s-scale prod/deployment/agent --format json > o || die "scale: $(cat o)"
jq -e '.results[0].result == "done"' o > /dev/null || die "scale: $(cat o)"
jq -e '.results[0].verified | test("replicas 3 -> 0")' o > /dev/null || die "scale verified: $(cat o)"
st | jq -e '.namespaces.prod.deployments.agent.replicas == 0' > /dev/null || die "not scaled"
id=$(jq -r '.results[0].action_id' o)
C revoke undo "$id" > u || die "undo scale: $(cat u)"
st | jq -e '.namespaces.prod.deployments.agent.replicas == 3' > /dev/null || die "undo scale: $(st | jq -c .namespaces.prod.deployments)"
# already at zero: proven by the read
C revoke k8s-scale prod/sts/db > o2 || die "sts at zero: $(cat o2)"
grep -q "^already .*replicas=0" o2 || die "sts: $(cat o2)"
set +e; C revoke k8s-scale prod/deployment/ghost > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent deployment"
grep -q "not found (404)" o3 || die "absent deployment: $(cat o3)"
set +e; C revoke k8s-scale prod/daemonset/x > o3 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || die "daemonset accepted"
grep -q "KIND: deployment, statefulset or replicaset" o3 || die "bad kind: $(cat o3)"

# a read-only caller: the API's 403 is the failure, said plainly
sed "s/$ADMIN/ReadOnlyTokenDoNotLeak000000000000001/" kubeconfig > kc-ro
set +e; KUBECONFIG=$PWD/kc-ro C revoke k8s-scale prod/deployment/agent > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "read-only caller"
grep -q "403" o3 || die "read-only: $(cat o3)"
st | jq -e '.namespaces.prod.deployments.agent.replicas == 3' > /dev/null || die "read-only scaled"

C audit verify > /dev/null || die "audit verify"
sqlite3 "$DB" "SELECT count(*) FROM actions WHERE action IN ('isolate-pod','unisolate-pod','scale-to-zero','restore-scale')" > n
[ "$(cat n)" -ge 6 ] || die "audit rows: $(cat n)"
for f in o o2 o3 u d "$DB" "$TMP/emu/k8s.log"; do
	[ -f "$f" ] || continue
	if grep -qaF -- "$ADMIN" "$f"; then die "secret found in $f"; fi
done

# cert-manager: re-issue with a new private key (rotationPolicy Never is set
# to Always first, or the new certificate would certify the stolen key);
# done only when cert-manager says so; a stuck controller is a failure
emu_ctl k8s POST /seed '{"namespaces":{"prod":{"certificates":{
  "web-tls":{"spec":{"secretName":"web-tls","privateKey":{"rotationPolicy":"Never"}},
             "status":{"revision":3,"conditions":[{"type":"Ready","status":"True"},{"type":"Issuing","status":"False","reason":"Done"},{"type":"Custom","status":"True","reason":"KeepMe"}]}},
  "stuck-tls":{"_stuck":true,"spec":{"privateKey":{"rotationPolicy":"Always"}}}}}}}' > /dev/null
C revoke k8s-cert prod/web-tls --dry-run > d || die "cert dry run: $(cat d)"
grep -q 'rotationPolicy":"Always' d || die "cert dry run: $(cat d)"
st | jq -e '.namespaces.prod.certificates["web-tls"].revision == 3' > /dev/null || die "dry run issued"
C revoke k8s-cert prod/web-tls --format json > o || die "reissue: $(cat o)"
jq -e '.results[0].result == "done" and (.results[0].verified | test("revision 4 \\(was 3\\) with a new private key"))' o > /dev/null || die "reissue: $(cat o)"
st | jq -e '.namespaces.prod.certificates["web-tls"] | .revision == 4 and .key == 2 and .rotationPolicy == "Always" and .issuing == false' > /dev/null ||
	die "reissue state: $(st | jq -c '.namespaces.prod.certificates')"
# the other conditions were sent back as read
emu_ctl k8s GET /requests | jq -e '[.[] | select(.method == "PATCH" and (.path | endswith("/status")))] | length == 1' > /dev/null || die "status PATCH count"
kubectl get certificates.cert-manager.io -n prod web-tls -o json > kc 2> kerr || die "kubectl cert: $(cat kerr)"
jq -e '[.status.conditions[] | select(.type == "Custom" and .reason == "KeepMe")] | length == 1' kc > /dev/null || die "conditions lost: $(cat kc)"
set +e; C revoke k8s-cert prod/stuck-tls > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "cert-manager never issues"
grep -q "has not issued yet" o3 || die "stuck: $(cat o3)"
set +e; C revoke k8s-cert prod/nope-tls > o3 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent certificate"
grep -q "not found (404)" o3 || die "absent cert: $(cat o3)"
C audit verify > /dev/null || die "audit verify after certs"
