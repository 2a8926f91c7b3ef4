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

# A second run (7201, build-22) exchanges its token at 10:04:58, before the
# outside call at 10:05:00, but buys the account's token (GenerateAccessToken)
# only at 10:05:10: a call as the account could not have used its token, so
# the call is still run 7200's job's (without that rule: an undecided join
# of the two runs).  The later outside call is left out (by 10:05:40 both
# jobs held a token: undecided, rightly).
mkdir -p second
sed -n '/"wif000030"/p' "$F/logs/gcp-audit.jsonl" > second/out.jsonl
grep -v '"wif00003[01]"' "$F/logs/gcp-audit.jsonl" > second/gcp-audit.jsonl
sed -n '/"wif000026"/p' "$F/logs/gcp-audit.jsonl" | sed 's/wif000026/wif000126/; s/198\.51\.100\.21/198.51.100.22/;
	s/10:00:20/10:04:58/g' >> second/gcp-audit.jsonl
sed -n '/"wif000027"/p' "$F/logs/gcp-audit.jsonl" | sed 's/wif000027/wif000127/; s/198\.51\.100\.21/198.51.100.22/;
	s/10:00:21/10:05:10/g; s/10:00:22/10:05:11/g' >> second/gcp-audit.jsonl
cat second/out.jsonl >> second/gcp-audit.jsonl && rm second/out.jsonl
cp "$F/logs/github-audit.jsonl" second/
grep '"workflow_run_id": 7200' "$F/logs/github-audit.jsonl" | sed 's/7200/7201/; s/gh-gcp-001\([56]\)/gh-gcp-011\1/;
	s/1748944795000/1748945075000/g; s/1748944800000/1748945080000/g' >> second/github-audit.jsonl
jq '.jobs += [.jobs[] | select(.run_id == 7200) | .id = 27200000007 | .run_id = 7201 |
	.run_url = "https://api.github.com/repos/acme/infra-gcp/actions/runs/7201" | .started_at = "2025-06-03T10:04:41Z" |
	.completed_at = "2025-06-03T10:19:00Z" | .runner_id = 22 | .runner_name = "build-22"]' "$F/logs/github-jobs.json" \
	> second/github-jobs.json
"$CORDON" --db s.db ingest -q "$F/inventory" second
expect_eq "$("$CORDON" --db s.db rejects --limit 0 --format json | jq '.rejects | length')" 0 "second: rejects"
"$CORDON" --db s.db correlate > /dev/null 2>&1 || true
expect_eq "$(sqlite3 s.db "SELECT group_concat(root, ' ') FROM incidents")" "ci:acme/infra-gcp/runs/7200/deploy" \
	"an exchange whose account token came after the call is not the call's"

# the benign history alone (the outside calls removed): no incident, no CI-01
mkdir -p benign && grep -v 185.220.101.90 "$F/logs/gcp-audit.jsonl" > benign/gcp-audit.jsonl
cp "$F/logs/github-"* benign/
"$CORDON" --db c.db ingest -q "$F/inventory" benign
"$CORDON" --db c.db correlate > /dev/null || die "an incident on the benign history"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM findings WHERE rule = 'CI-01'")" 0 "CI-01 on benign"
echo "workload_ci_gcp: ok"
