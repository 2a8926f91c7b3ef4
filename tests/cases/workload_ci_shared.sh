# workload_ci_shared.sh - CI jobs that share one OIDC subject at the same time
# (issue 19): CloudTrail's exchange carries no run id, so the job is told by
# the address its runner calls from, learned from the case (build-11 and
# build-12 behind their own NATs ran a day of release jobs one at a time).
# Two runs of release.yml start 20 s apart on build-11 and build-12 and take
# their tokens in the other order: the earlier run's session used from
# outside opens an incident on run 5200's job on build-11, not on the later
# run (the latest run alone would be taken) nor by the order of the tokens.
# A matrix of GitHub-hosted jobs (fresh VMs: no address of theirs is known)
# cannot be told apart: its incident's workload is the run, with both jobs in
# ambiguous_jobs, and no runner in the plan, unless the jobs API's steps
# put one job's credentials step, and not the other's, at the exchange.  The JSON of incidents, each
# incident, whois, reach and the plans is compared with
# tests/workloads/ci/shared/expect/ (UPDATE_GOLDEN=1 rewrites them: review).
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/ci/shared"
E="$F/expect"
"$CORDON" --db b.db ingest -q "$F/logs"
expect_eq "$("$CORDON" --db b.db rejects --limit 0 --format json | jq '.rejects | length')" 0 "rejects"
rc=0; "$CORDON" --db b.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (incidents opened)"
expect_eq "$(sqlite3 b.db "SELECT group_concat(root, ' ') FROM (SELECT root FROM incidents ORDER BY root)")" \
	"ci:acme/release-tools/runs/5200/publish ci:acme/web-e2e/runs/6200" "roots"
rel=$(sqlite3 b.db "SELECT id FROM incidents WHERE root LIKE '%release-tools%'")
e2e=$(sqlite3 b.db "SELECT id FROM incidents WHERE root LIKE '%web-e2e%'")
"$CORDON" --db b.db incident "$rel" -o json > rel.json
expect_eq "$(jq -r '.workload.where + " " + .workload.runner_id' rel.json)" "build-11 11" "the runner of run 5200"
grep -q ASIAEXAMPLERELA05201 rel.json && die "the other run's session joined"
"$CORDON" --db b.db incident "$e2e" -o json > e2e.json
expect_eq "$(jq -r '.workload.ambiguous_jobs | join(",")' e2e.json)" "6200/e2e (firefox),6200/e2e (chrome)" \
	"the hosted matrix's jobs"
"$CORDON" --db b.db incidents --format json | golden incidents
"$CORDON" --db b.db incident "$rel" -o json | golden incident-shared
"$CORDON" --db b.db incident "$e2e" -o json | golden incident-ambiguous
"$CORDON" --db b.db whois ASIAEXAMPLERELA05200 --format json | golden whois-shared
"$CORDON" --db b.db whois ASIAEXAMPLEE2EA62001 --format json | golden whois-ambiguous
"$CORDON" --db b.db reach arn:aws:iam::111122223333:role/gha-release --format json | golden reach
"$CORDON" --db b.db revoke plan --incident "$rel" --format json | golden plan-shared
"$CORDON" --db b.db revoke plan --incident "$e2e" --format json | golden plan-ambiguous
"$CORDON" --db b.db revoke plan --incident "$e2e" --format json | grep -q remove-runner \
	&& die "a runner removed for jobs the join could not tell apart"

# The jobs API's steps tell the matrix apart: each job's credentials step
# ("Configure AWS credentials", "Run aws-actions/configure-aws-credentials@v4")
# spans its own exchange (firefox's 11:00:16, chrome's 11:00:25), so the
# session exchanged at 11:00:16 is firefox's.  Steps that both span the
# exchange (or name no credentials step) decide nothing: still the run.
steps() { # JOB CREDSTEP FROM TO: the jobs API with JOB's steps
	jq --arg j "$1" --arg n "$2" --arg a "$3" --arg b "$4" '.jobs |= map(if .run_id == 6200 and .name == $j then
		.steps = [{name: "Set up job", status: "completed", conclusion: "success", number: 1,
			   started_at: .started_at, completed_at: "2025-06-03T11:00:05Z"},
			  {name: $n, status: "completed", conclusion: "success", number: 2, started_at: $a, completed_at: $b},
			  {name: "Run npx playwright test", status: "completed", conclusion: "success", number: 3,
			   started_at: $b, completed_at: .completed_at}] else . end)'
}
for v in apart overlap; do
	mkdir -p "$v" && cp "$F/logs/cloudtrail.json" "$F/logs/github-audit.jsonl" "$v/"
	if [ $v = apart ]; then a=11:00:15 b=11:00:17 c=11:00:24 d=11:00:26; else a=11:00:14 b=11:00:27 c=11:00:15 d=11:00:26; fi
	steps "e2e (firefox)" "Configure AWS credentials" "2025-06-03T${a}Z" "2025-06-03T${b}Z" < "$F/logs/github-jobs.json" |
		steps "e2e (chrome)" "Run aws-actions/configure-aws-credentials@v4" "2025-06-03T${c}Z" "2025-06-03T${d}Z" \
		> "$v/github-jobs.json"
	"$CORDON" --db "$v.db" ingest -q "$v"
	"$CORDON" --db "$v.db" correlate > /dev/null 2>&1 || true
done
expect_eq "$(sqlite3 apart.db "SELECT root FROM incidents WHERE root LIKE '%web-e2e%'")" \
	"ci:acme/web-e2e/runs/6200/e2e (firefox)" "the job whose credentials step spans the exchange"
expect_eq "$(sqlite3 overlap.db "SELECT root FROM incidents WHERE root LIKE '%web-e2e%'")" \
	"ci:acme/web-e2e/runs/6200" "credentials steps both spanning the exchange: the run"
echo "workload_ci_shared: ok"
