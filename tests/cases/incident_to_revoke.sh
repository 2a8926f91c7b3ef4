# incident_to_revoke.sh - the whole pipeline on scenario S1: the logs and
# inventories are ingested, `correlate` opens the incident, `revoke plan
# --incident` takes its plan, and `revoke apply` carries it out against the
# provider emulators (Kubernetes over TLS, AWS with verified SigV4): the pod
# is gone, the node role denies older sessions, and the audit chain holds.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
S="$ROOT/tests/scenarios/S1"
SECRET=E2eCallerSecret00000000000000000000000001
TOKEN=E2eK8sAdminDoNotLeak000000001
cat > aws.json <<JSON
{"callers":[{"id":"AKIAE2ECALLER0000001","secret":"$SECRET"}],
 "roles":{"eks-node-role":{"policies":{}}}}
JSON
cat > k8s.json <<JSON
{"tokens":[{"token":"$TOKEN","user":"admin"}],
 "namespaces":{"prod":{"pods":{"web-7d9f8b6c5-x2k4q":{"spec":{"nodeName":"ip-10-0-1-23.ec2.internal"}}}}},
 "nodes":{"ip-10-0-1-23.ec2.internal":{"spec":{"unschedulable":false}}}}
JSON
emu_start aws "$TMP/emu" --seed aws.json
emu_start k8s "$TMP/emu" --seed k8s.json
emu_kubeconfig kubeconfig "$TOKEN"
export AWS_ACCESS_KEY_ID=AKIAE2ECALLER0000001 AWS_SECRET_ACCESS_KEY=$SECRET AWS_ENDPOINT_URL=$EMU_AWS_URL
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export KUBECONFIG=$PWD/kubeconfig CORDON_HTTP_BACKOFF_MS=50
unset VAULT_ADDR VAULT_TOKEN GITHUB_TOKEN CORDON_WEBHOOK_URL AWS_REGION AWS_DEFAULT_REGION

"$CORDON" --db case.db ingest -q "$S/inventory" "$S/benign" "$S/attack"
set +e; "$CORDON" --db case.db correlate --format json > inc.json; rc=$?; set -e
expect_eq $rc 1 "correlate exit status with a new incident"
id=$(jq -r '.incidents[0].id' inc.json)
"$CORDON" --db case.db revoke plan --incident "$id" --out plan.json > table || die "plan: $(cat table)"
jq -e '[.steps[] | "\(.provider) \(.action) \(.target)"] | index("k8s delete-pod prod/web-7d9f8b6c5-x2k4q") != null
	and index("aws revoke-role-sessions arn:aws:iam::111122223333:role/eks-node-role") != null' plan.json > /dev/null \
	|| die "the incident's plan did not reach revoke: $(cat table)"
jq -e '.steps[0].phase == "quarantine"' plan.json > /dev/null || die "quarantine is not first"
"$CORDON" --db case.db revoke apply plan.json --yes --format json < /dev/null > res.json \
	|| die "apply: $(cat res.json)"
emu_ctl k8s GET /state | jq -e '.namespaces.prod.pods["web-7d9f8b6c5-x2k4q"] == null' > /dev/null \
	|| die "the pod is still there"
emu_ctl aws GET /state | jq -e '.roles["eks-node-role"].policies | to_entries | any(.value
	| tostring | test("aws:TokenIssueTime"))' > /dev/null || die "no session-revocation deny on the role"
"$CORDON" --db case.db audit verify > /dev/null || die "audit chain"
# every action was recorded and verified; no credential on screen or on disk
expect_eq "$(sqlite3 case.db "SELECT count(*) FROM actions WHERE result IN ('done', 'already done')")" \
	"$(jq '.steps | map(select(.manual | not)) | length' plan.json)" "actions done"
sqlite3 case.db "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for f in inc.json table plan.json res.json case.db; do
	for s in "$SECRET" "$TOKEN"; do
		if grep -qaF -- "$s" "$f"; then die "secret found in $f"; fi
	done
done
echo "incident $id revoked end to end"
