# workload_ci_gcp.sh - a GitHub Actions job's GCP calls through workload
# identity federation (issue 19): its OIDC token exchanged at
# sts.googleapis.com (ExchangeToken, the federated principal
# principal://.../workloadIdentityPools/github/subject/repo:acme/infra-gcp:
# environment:production), then deployer@'s token generated
# (GenerateAccessToken) and used with the principal in
# serviceAccountDelegationInfo.  The exchanges from the runners' NATs teach
# their networks; the account's token used from outside opens one incident
# whose workload is the job (CI-01, attributed by subject, time and the
# runner's address), with the GCP steps in its plan: deny the subject at
# the pool (manual), the account's tokens (manual) and its user-managed key
# (disable-key).  Look-alikes open nothing: a day of the same job's deploys
# from its two runners, a developer impersonating the account from the
# office.  The job's principal reaches the account (GenerateAccessToken)
# and what the project's IAM policy grants it.  The JSON of incidents,
# incident, whois, reach (of the account and of the principal) and the plan
# is compared with tests/workloads/ci/gcp/expect/ (UPDATE_GOLDEN=1 rewrites
# them: review).
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/ci/gcp"
E="$F/expect"
"$CORDON" --db b.db ingest -q "$F/inventory" "$F/logs"
expect_eq "$("$CORDON" --db b.db rejects --limit 0 --format json | jq '.rejects | length')" 0 "rejects"
rc=0; "$CORDON" --db b.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
expect_eq "$(sqlite3 b.db "SELECT group_concat(e.src_ip, ' ') FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'CI-01'")" 185.220.101.90 "CI-01 address"
expect_eq "$(sqlite3 b.db "SELECT root FROM incidents")" "ci:acme/infra-gcp/runs/7200/deploy" "root"
id=$(sqlite3 b.db "SELECT id FROM incidents")
"$CORDON" --db b.db incident "$id" -o json > inc.json
expect_eq "$(jq -r '.workload.where + " " + .workload.runner_id' inc.json)" "build-21 21" "the job's runner"
expect_eq "$(jq -r '[.credentials[].id] | join(",")' inc.json)" "token:deployer@acme-ci.iam.gserviceaccount.com" \
	"the account's token"
"$CORDON" --db b.db incidents --format json | golden incidents
"$CORDON" --db b.db incident "$id" -o json | golden incident
"$CORDON" --db b.db whois deployer@acme-ci.iam.gserviceaccount.com --format json | golden whois
"$CORDON" --db b.db reach deployer@acme-ci.iam.gserviceaccount.com --format json | golden reach
"$CORDON" --db b.db revoke plan --incident "$id" --format json | golden plan
# the job's federated principal reaches the account it impersonated
# (GenerateAccessToken: an observed "assumed" edge) and through it what the
# project's IAM policy (inventory/acme-ci.json) grants the account
P=principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/subject/repo:acme/infra-gcp:environment:production
expect_eq "$("$CORDON" --db b.db reach "$P" --format json | jq -r '[.reached[] | .edges[-1] + " " + .key] | join(",")')" \
	"assumed gcp:deployer@acme-ci.iam.gserviceaccount.com,can-access gcp:acme-ci" "the principal's reach"
"$CORDON" --db b.db reach "$P" --format json | golden reach-principal
"$CORDON" --db b.db whois "$P" --format json | golden whois-principal
expect_eq "$("$CORDON" --db b.db revoke plan --incident "$id" --format json |
	jq -r '[.steps[] | .provider + " " + .action] | join(",")')" \
	"github disable-workflow,github remove-runner,gcp disable-key,gcp deny-wif-subject,gcp revoke-sa-tokens" "plan"

# the benign history alone (the outside calls removed): no incident, no CI-01
mkdir -p benign && grep -v 185.220.101.90 "$F/logs/gcp-audit.jsonl" > benign/gcp-audit.jsonl
cp "$F/logs/github-"* benign/
"$CORDON" --db c.db ingest -q "$F/inventory" benign
"$CORDON" --db c.db correlate > /dev/null || die "an incident on the benign history"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM findings WHERE rule = 'CI-01'")" 0 "CI-01 on benign"
echo "workload_ci_gcp: ok"
