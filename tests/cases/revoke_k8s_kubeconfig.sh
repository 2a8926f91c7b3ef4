# revoke k8s-node --cordon against tests/emu/k8s.py with the kubeconfigs
# responders really have, and the real kubectl reaching the same emulator
# with each: an exec credential plugin (a script printing an ExecCredential,
# as `aws eks get-token` does), a KUBECONFIG of two files merged by kubectl's
# rules, a flow-style kubeconfig with an anchor, an alias and a merge key;
# --kubeconfig and --context; a plugin's expired credential is fetched
# again, a valid one is reused; interactiveMode Always and a missing plugin
# are refused with what to do.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
ADMIN=K8sAdminTokenDoNotLeak0000000000000001
EXEC=ExecPluginTokenDoNotLeak00000000000001
cat > seed.json <<JSON
{"tokens":[{"token":"$ADMIN","user":"cordon-admin"},{"token":"$EXEC","user":"eks-admin"}],
 "nodes":{"node-1":{"spec":{}},"node-2":{"spec":{}},"node-3":{"spec":{}}}}
JSON
emu_start k8s "$TMP/emu" --seed seed.json
export CORDON_HTTP_BACKOFF_MS=50
DB="$TMP/k.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl k8s GET /state; }
unsched() { st | jq -r --arg n "$1" '.nodes[$n].unschedulable'; }
kc_get() { # kubectl with KUBECONFIG as set: the node's name, or the error
	kubectl get node "$1" -o jsonpath='{.metadata.name}' > kc.out 2>&1 || die "kubectl ($2): $(cat kc.out)"
	expect_eq "$(cat kc.out)" "$1" "kubectl get node ($2)"
}

# ---- an exec credential plugin ---------------------------------------------
mkdir -p bin
cat > bin/fake-eks <<'SH'
#!/bin/sh
# prints an ExecCredential, as `aws eks get-token --cluster-name NAME` does
echo "$*" >> "$RUNS"
case "${MODE:-}" in
# the first run's token is one the cluster does not know (rotated, revoked)
stale) if [ -f "${RUNS%/*}/stale" ]; then rm -f "${RUNS%/*}/stale"; FAKE_TOKEN=StaleTokenUnknownToTheCluster00001; fi ;;
flood) head -c 2000000 /dev/zero | tr '\0' x; exit 0 ;;
hang) exec sleep 30 ;;
esac
[ "$1 $2 $3 $4" = "eks get-token --cluster-name emu" ] || { echo "fake-eks: bad args: $*" >&2; exit 5; }
case "$KUBERNETES_EXEC_INFO" in
*'"interactive":false'*) ;;
*) echo "fake-eks: KUBERNETES_EXEC_INFO missing: $KUBERNETES_EXEC_INFO" >&2; exit 3 ;;
esac
[ -t 0 ] && { echo "fake-eks: stdin is a terminal" >&2; exit 4; }
printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},'
printf '"status":{"expirationTimestamp":"%s","token":"%s"}}\n' "$EXPIRES" "$FAKE_TOKEN"
SH
chmod +x bin/fake-eks
exec_kc() { # exec_kc FILE EXPIRES [INTERACTIVE_MODE] [COMMAND] [MODE]
	cat > "$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: $EMU_K8S_CA
    server: $EMU_K8S_URL
  name: arn:aws:eks:eu-west-1:111122223333:cluster/emu
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:111122223333:cluster/emu
    user: arn:aws:eks:eu-west-1:111122223333:cluster/emu
  name: eks
- context: {cluster: nowhere, user: nobody}
  name: broken
current-context: broken
users:
- name: arn:aws:eks:eu-west-1:111122223333:cluster/emu
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - eks
      - get-token
      - --cluster-name
      - emu
      command: ${4:-./bin/fake-eks}
      env:
      - name: FAKE_TOKEN
        value: $EXEC
      - name: EXPIRES
        value: "$2"
      - name: RUNS
        value: $PWD/runs
      - name: MODE
        value: "${5:-}"
      interactiveMode: ${3:-IfAvailable}
      installHint: Install the AWS CLI (apt-get install awscli) and run aws configure.
      provideClusterInfo: false
YAML
}
exec_kc kc-exec 2099-01-01T00:00:00Z
# --kubeconfig wins over KUBECONFIG; --context over current-context (broken)
export KUBECONFIG=/nonexistent
C revoke k8s-node node-1 node-2 --cordon --kubeconfig kc-exec --context eks > o || die "exec plugin: $(cat o)"
expect_eq "$(grep -c '^done' o)" 2 "exec plugin: two nodes cordoned"
expect_eq "$(unsched node-1) $(unsched node-2)" "true true" "exec plugin: nodes"
# one run for both targets: the credential is cached for the run
expect_eq "$(wc -l < runs | tr -d ' ')" 1 "plugin runs with a valid credential"
# expired: fetched again for each request after the first (GET, PATCH, GET)
exec_kc kc-expired 2000-01-01T00:00:00Z
rm -f runs
C revoke k8s-node node-1 --uncordon --kubeconfig kc-expired --context eks > o || die "expired: $(cat o)"
grep -q "^done" o || die "expired: $(cat o)"
[ "$(wc -l < runs)" -ge 3 ] || die "an expired credential was reused ($(wc -l < runs) plugin runs)"
# a dry run runs no plugin: the plan shows the request, its token redacted
rm -f runs
C revoke k8s-node node-3 --cordon --kubeconfig kc-exec --context eks --dry-run > o || die "dry run: $(cat o)"
grep -q "PATCH .*/api/v1/nodes/node-3" o && grep -q "Authorization: \[REDACTED\]" o || die "dry run: $(cat o)"
[ ! -f runs ] || die "a dry run ran the exec plugin"
# kubectl runs the same plugin from the same file and reaches the same node
KUBECONFIG=$PWD/kc-exec kubectl config use-context eks > /dev/null
KUBECONFIG=$PWD/kc-exec kc_get node-1 "exec plugin"
# without --context the current-context (now eks) is used
KUBECONFIG=$PWD/kc-exec C revoke k8s-node node-1 --cordon > o || die "exec via KUBECONFIG: $(cat o)"
expect_eq "$(unsched node-1)" true "exec plugin via KUBECONFIG"

# a token the cluster refuses (401): the plugin runs again, once, as kubectl does
exec_kc kc-stale 2099-01-01T00:00:00Z IfAvailable ./bin/fake-eks stale
: > stale; rm -f runs
C revoke k8s-node node-2 --uncordon --kubeconfig kc-stale --context eks > o || die "401, plugin again: $(cat o)"
expect_eq "$(wc -l < runs | tr -d ' ')" 2 "plugin runs after a 401"
emu_ctl k8s GET /requests | jq -e '[.[] | select(.status == 401)] | length == 1' > /dev/null || die "401s: $(emu_ctl k8s GET /requests)"
expect_eq "$(unsched node-2)" false "node-2 uncordoned after the 401"
# a plugin that floods stdout, one that never answers: stopped, said so
exec_kc kc-flood 2099-01-01T00:00:00Z IfAvailable ./bin/fake-eks flood
set +e; C revoke k8s-node node-3 --cordon --kubeconfig kc-flood --context eks > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "flooding plugin"
grep -q "wrote more than 1048576 bytes" o || die "flood: $(cat o)"
exec_kc kc-hang 2099-01-01T00:00:00Z IfAvailable ./bin/fake-eks hang
set +e; CORDON_EXEC_TIMEOUT=1 C revoke k8s-node node-3 --cordon --kubeconfig kc-hang --context eks > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "hanging plugin"
grep -q "gave no answer in 1 s" o || die "hang: $(cat o)"

# interactiveMode Always: refused (cordon never prompts), nothing sent
exec_kc kc-always 2099-01-01T00:00:00Z Always
set +e; C revoke k8s-node node-3 --cordon --kubeconfig kc-always --context eks > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "interactiveMode Always"
grep -q "kc-always: user 'arn:aws:eks:.*interactiveMode: Always" o || die "Always: $(cat o)"
# a plugin that is not installed: the kubeconfig's installHint
exec_kc kc-missing 2099-01-01T00:00:00Z IfAvailable no-such-eks-plugin
set +e; C revoke k8s-node node-3 --cordon --kubeconfig kc-missing --context eks > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "missing plugin"
grep -q "exec plugin 'no-such-eks-plugin' not found.*Install the AWS CLI" o || die "installHint: $(cat o)"
# a plugin that fails: its status, the file and user named
sed 's/- eks$/- nope/' kc-exec > kc-fails
set +e; C revoke k8s-node node-3 --cordon --kubeconfig kc-fails > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "failing plugin"
grep -q "kc-fails: user 'arn:aws:eks.*exec plugin './bin/fake-eks' failed (exit status 5" o || die "failing plugin: $(cat o)"
expect_eq "$(unsched node-3)" false "node-3 untouched by the refused runs"

# ---- KUBECONFIG of two files, merged as kubectl merges -----------------------
# a.yaml sets current-context and user "r" (the good token); b/b.yaml sets
# another current-context, user "r" again (a bad token: the first file wins
# the whole entry), the context and the cluster, whose CA path is relative
# to b/ (b's own directory).  A missing file in the list is skipped.
mkdir -p b
cp "$EMU_K8S_CA" b/ca.crt
cat > a.yaml <<YAML
apiVersion: v1
kind: Config
current-context: merged
users:
- name: r
  user:
    token: $ADMIN
YAML
cat > b/b.yaml <<YAML
apiVersion: v1
kind: Config
current-context: other
clusters:
- name: emu
  cluster:
    server: $EMU_K8S_URL
    certificate-authority: ca.crt
contexts:
- name: merged
  context:
    cluster: emu
    user: r
- name: other
  context:
    cluster: nowhere
    user: r
users:
- name: r
  user:
    token: WrongTokenFromTheSecondFile000000001
    client-certificate: missing.crt
YAML
export KUBECONFIG="$PWD/a.yaml:/nonexistent/kc:$PWD/b/b.yaml"
C revoke k8s-node node-2 --cordon > o || die "merged KUBECONFIG: $(cat o)"
grep -q "^done" o || die "merged: $(cat o)"
expect_eq "$(unsched node-2)" true "merged KUBECONFIG"
kc_get node-2 "merged KUBECONFIG"
# reversed, b's current-context (a broken one) wins: the error names it
KUBECONFIG="$PWD/b/b.yaml:$PWD/a.yaml"
set +e; C revoke k8s-node node-2 --cordon > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "merged, reversed"
grep -q "context 'other' names cluster 'nowhere'" o || die "reversed merge: $(cat o)"
unset KUBECONFIG

# ---- flow style, an anchor, an alias and a merge key --------------------------
# the context's cluster is "emu-copy": the anchored base (a wrong server,
# the CA) merged under the right server; kubectl reads it the same way
cat > kc-flow <<YAML
{apiVersion: v1, kind: Config, current-context: flow,
 clusters: [
  {name: base, cluster: &base {server: "https://127.0.0.1:1", certificate-authority: '$EMU_K8S_CA'}},
  {name: emu-copy, cluster: {<<: *base, server: "$EMU_K8S_URL"}}],
 contexts: [{name: flow, context: {cluster: emu-copy, user: "r"}}],
 users: [{name: r, user: {token: '$ADMIN'}}]}
YAML
KUBECONFIG=$PWD/kc-flow C revoke k8s-node node-3 --cordon > o || die "flow-style kubeconfig: $(cat o)"
grep -q "^done" o || die "flow: $(cat o)"
expect_eq "$(unsched node-3)" true "flow-style kubeconfig"
KUBECONFIG=$PWD/kc-flow kc_get node-3 "flow-style"
# the same document in JSON (indented with tabs, which YAML refuses)
printf '{\n\t"apiVersion": "v1",\n\t"current-context": "j",\n\t"clusters": [{"name": "e", "cluster": {"server": "%s", "certificate-authority": "%s"}}],\n\t"contexts": [{"name": "j", "context": {"cluster": "e", "user": "r"}}],\n\t"users": [{"name": "r", "user": {"token": "%s"}}]\n}\n' \
	"$EMU_K8S_URL" "$EMU_K8S_CA" "$ADMIN" > kc.json
KUBECONFIG=$PWD/kc.json C revoke k8s-node node-3 --uncordon > o || die "JSON kubeconfig: $(cat o)"
KUBECONFIG=$PWD/kc.json kc_get node-3 "JSON"

# an alias bomb: refused quickly with a reason, not expanded
{
	echo 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'
	for i in b c d e f g h i j; do
		p=$(printf '%s' "abcdefghij" | sed "s/$i.*//" | tail -c 1)
		echo "$i: &$i [*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p]"
	done
	echo "current-context: *j"
} > kc-bomb
set +e; KUBECONFIG=$PWD/kc-bomb C revoke k8s-node node-3 --cordon > o 2>&1; rc=$?; set -e
expect_eq $rc 2 "alias bomb"
grep -q "kc-bomb: too many .*alias expansion bomb" o || die "alias bomb: $(cat o)"

C audit verify > /dev/null || die "audit"
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$ADMIN" "$EXEC"; do
	for f in o kc.out "$DB" "$DB-wal" "$TMP/emu/k8s.log"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret found in $f"; fi
	done
done
