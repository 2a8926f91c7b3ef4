# revoke plan --incident / apply: the plan from an incident's report in the
# safe order with manual steps kept; apply refuses without --yes when stdin
# is not a terminal; --dry-run sends nothing; a failing provider leaves a
# clear per-action error while the rest of the plan proceeds; independent
# targets run concurrently (measured).
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
S=PlanCallerSecret000000000000000000000001
VT=hvs.PlanVaultRootDoNotLeak000000001
cat > aws.json <<JSON
{"callers":[{"id":"AKIACALLER0000000001","secret":"$S"}],
 "users":{"ci":{"keys":[{"id":"AKIAPLAN000000000001","secret":"a","status":"Active"}]},
          "u1":{"keys":[{"id":"AKIACONC000000000001","secret":"b","status":"Active"}]},
          "u2":{"keys":[{"id":"AKIACONC000000000002","secret":"b","status":"Active"}]},
          "u3":{"keys":[{"id":"AKIACONC000000000003","secret":"b","status":"Active"}]},
          "u4":{"keys":[{"id":"AKIACONC000000000004","secret":"b","status":"Active"}]}},
 "roles":{"node-role":{"policies":{}}}}
JSON
cat > vault.json <<JSON
{"tokens":[{"id":"$VT","accessor":"acc-root","policies":["root"]},{"id":"hvs.PlanChildDoNotLeak0000001","accessor":"acc-ci","parent":"acc-root"}]}
JSON
cat > k8s.json <<JSON
{"tokens":[{"token":"PlanK8sAdminDoNotLeak0000001","user":"admin"}],
 "namespaces":{"prod":{"pods":{"web-1":{"spec":{"nodeName":"node-1"}}}}},
 "nodes":{"node-1":{"spec":{"unschedulable":false}}}}
JSON
emu_start aws "$TMP/emu" --seed aws.json
emu_start vault "$TMP/emu" --seed vault.json
emu_start k8s "$TMP/emu" --seed k8s.json
cat > kubeconfig <<YAML
apiVersion: v1
clusters:
- cluster: {server: "$EMU_K8S_URL", certificate-authority: "$EMU_K8S_CA"}
  name: e
- cluster:
    server: $EMU_K8S_URL
    certificate-authority: $EMU_K8S_CA
  name: emu
contexts:
- context:
    cluster: emu
    user: admin
  name: ctx
current-context: ctx
users:
- name: admin
  user:
    token: PlanK8sAdminDoNotLeak0000001
YAML
export AWS_ACCESS_KEY_ID=AKIACALLER0000000001 AWS_SECRET_ACCESS_KEY=$S AWS_ENDPOINT_URL=$EMU_AWS_URL
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export VAULT_ADDR=$EMU_VAULT_URL VAULT_TOKEN=$VT KUBECONFIG=$PWD/kubeconfig CORDON_HTTP_BACKOFF_MS=50
unset CORDON_WEBHOOK_URL GITHUB_TOKEN
DB="$TMP/p.db"
C() { "$CORDON" --db "$DB" "$@"; }
: > empty.log
C ingest -q empty.log > /dev/null 2>&1 || :
sqlite3 "$DB" "INSERT INTO incidents(id, root, report) VALUES('INC-1', 'pod:prod/web-1', '$(cat <<'JSON'
{"id":"INC-1","plan":[
 {"provider":"aws","action":"disable-key","target":"AKIAPLAN000000000001","why":"read from the node role"},
 {"provider":"vault","action":"revoke-accessor","target":"acc-ci"},
 {"provider":"k8s","action":"rotate kubelet cert","target":"node-1"},
 {"provider":"aws","action":"revoke-role-sessions","target":"arn:aws:iam::123456789012:role/node-role"},
 {"provider":"k8s","action":"delete-pod","target":"prod/web-1"},
 {"provider":"k8s","action":"cordon-node","target":"node-1"},
 {"provider":"aws","action":"disable-key","target":"AKIAPLAN000000000001"}]}
JSON
)')"
C revoke plan --incident INC-1 --out plan.json > table || die "plan: $(cat table)"
cat table
jq -e '.incident == "INC-1" and (.steps | length == 6)' plan.json > /dev/null || die "plan json: $(cat plan.json)"
jq -e '[.steps[] | .phase] == ["quarantine","quarantine","revoke","revoke","revoke","cleanup"]' plan.json > /dev/null || die "order: $(jq -c '[.steps[]|.phase]' plan.json)"
jq -e '.steps[0].action == "delete-pod" and .steps[1].action == "cordon-node" and .steps[1].reversible == true and .steps[1].undo == "uncordon-node"' plan.json > /dev/null || die "quarantine first"
jq -e '.steps[5].manual == true and .steps[5].action == "rotate kubelet cert" and .steps[2].note == "read from the node role"' plan.json > /dev/null || die "manual step kept"
grep -q "manual .*rotate kubelet cert" table || die "table manual"
C revoke plan --incident INC-1 --format json | jq -e '.steps | length == 6' > /dev/null || die "plan --format json"
set +e; C revoke plan --incident NOPE > /dev/null 2>&1; rc=$?; set -e
expect_eq $rc 2 "unknown incident"

# not a terminal, no --yes: refused, nothing sent
set +e; C revoke apply plan.json < /dev/null > r 2>&1; rc=$?; set -e
expect_eq $rc 2 "apply without --yes"
grep -q "refusing to act without --yes" r || die "refusal: $(cat r)"
# on a terminal it asks; "n" does nothing
if command -v script > /dev/null; then
	# the answer, then stdin held open until the reply is out (at most 10 s):
	# at stdin's EOF script may close the terminal before it has copied
	# the child's prompt (seen once under load: only the plan's first line)
	{
		printf 'n\n'
		i=0
		while [ $i -lt 100 ] && ! grep -q "nothing done" tty 2> /dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
	} | script -qec "$CORDON --db $DB revoke apply plan.json" /dev/null > tty 2>&1 || :
	grep -q "apply 5 actions now? \[y/N\] nothing done" tty || die "terminal prompt: $(cat tty)"
fi
# --dry-run: every request printed, secrets redacted, nothing sent
C revoke apply plan.json --dry-run < /dev/null > dry || die "dry-run: $(cat dry)"
grep -q "X-Vault-Token: \[REDACTED\]" dry && grep -q "Authorization: \[REDACTED\]" dry && grep -q "Action=UpdateAccessKey" dry || die "dry-run output: $(cat dry)"
C revoke apply plan.json --dry-run --format json < /dev/null > dry.json 2> dry.err || die "dry-run json"
jq -e '.summary.dry_run == 5 and (.manual | length == 1)' dry.json > /dev/null || die "dry-run json: $(cat dry.json)"
grep -q "X-Vault-Token: \[REDACTED\]" dry.err || die "dry-run requests on stderr with --format json"
for e in aws vault k8s; do
	expect_eq "$(emu_ctl $e GET /requests | jq length)" 0 "$e requests in dry-run"
done
expect_eq "$(sqlite3 "$DB" 'SELECT count(*) FROM actions')" 0 "audit rows after dry-run"

# apply with Vault failing: a clear error for that step, the rest proceeds
emu_ctl vault POST /fault '{"match":".","kind":"5xx","status":500,"count":-1}' > /dev/null
set +e; C revoke apply plan.json --yes --format json < /dev/null > res; rc=$?; set -e
expect_eq $rc 1 "apply with a failing provider"
jq -e '[.results[] | select(.result == "failed")] | length == 1 and .[0].provider == "vault" and (.[0].error | test("HTTP 500"))' res > /dev/null || die "per-action error: $(cat res)"
jq -e '.summary.done == 4 and .summary.failed == 1' res > /dev/null || die "the rest proceeds: $(cat res)"
emu_ctl aws GET /state | jq -e '.users.ci.keys[0].status == "Inactive"' > /dev/null || die "aws step not done"
emu_ctl k8s GET /state | jq -e '.nodes["node-1"].unschedulable == true and (.namespaces.prod.pods["web-1"] == null)' > /dev/null || die "k8s steps not done"
# the rows follow the plan's phases: quarantine first
sqlite3 "$DB" "SELECT action FROM actions ORDER BY id LIMIT 2" | sort | tr '\n' ' ' | grep -q "cordon-node delete-pod" || die "quarantine rows first"
emu_ctl vault DELETE /faults > /dev/null
# apply again: already done, except Vault (now up) and the role deny (re-stamped to now)
C revoke apply plan.json --yes < /dev/null > again || die "apply again: $(cat again)"
grep -q "5 actions: 2 done, 3 already done, 0 failed" again || die "second apply: $(cat again)"
grep -q "^manual .*rotate kubelet cert" again || die "manual reminder"
C audit verify > /dev/null || die "audit"

# concurrency: four independent keys, each UpdateAccessKey answered after 1s
emu_ctl aws POST /fault '{"match":"UpdateAccessKey","kind":"slow","delay":1,"count":4}' > /dev/null
t0=$(date +%s.%N)
C revoke aws-key AKIACONC000000000001 AKIACONC000000000002 AKIACONC000000000003 AKIACONC000000000004 --disable --jobs 4 > conc || die "concurrent: $(cat conc)"
t1=$(date +%s.%N)
par=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
grep -q "4 actions: 4 done" conc || die "conc: $(cat conc)"
for k in 1 2 3 4; do C revoke undo "$(sqlite3 "$DB" "SELECT id FROM actions WHERE target='AKIACONC00000000000$k' ORDER BY id DESC LIMIT 1")" > /dev/null; done
emu_ctl aws POST /fault '{"match":"UpdateAccessKey","kind":"slow","delay":1,"count":4}' > /dev/null
t0=$(date +%s.%N)
C revoke aws-key AKIACONC000000000001 AKIACONC000000000002 AKIACONC000000000003 AKIACONC000000000004 --disable --jobs 1 > conc1 || die "serial"
t1=$(date +%s.%N)
ser=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "concurrency: 4 targets with a 1s provider delay each: --jobs 4 ${par}s, --jobs 1 ${ser}s"
awk -v p="$par" -v s="$ser" 'BEGIN { exit !(p < 2.5 && s >= 4) }' || die "not concurrent: $par vs $ser"
C audit verify > /dev/null || die "audit after concurrent writes"
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$S" "$VT" PlanChildDoNotLeak PlanK8sAdminDoNotLeak; do
	for f in table r dry dry.json dry.err res again conc conc1 "$DB" "$DB-wal"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret $s found in $f"; fi
	done
done
# a step that needs the leaked token itself: refused up front without --token-file
printf '{"steps":[{"provider":"aws","action":"disable-key","target":"AKIAPLAN000000000001"},{"provider":"github","action":"revoke-token","target":"ghp_... sha256:0123"}]}' > gh-plan.json
n0=$(sqlite3 "$DB" 'SELECT count(*) FROM actions')
set +e; C revoke apply gh-plan.json --yes < /dev/null > ghr 2>&1; rc=$?; set -e
expect_eq $rc 2 "revoke-token without --token-file"
grep -q "needs the leaked credential itself: pass --token-file" ghr || die "token-file message: $(cat ghr)"
expect_eq "$(sqlite3 "$DB" 'SELECT count(*) FROM actions')" "$n0" "nothing done without the token"
