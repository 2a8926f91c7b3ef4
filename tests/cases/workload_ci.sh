# workload_ci.sh - a CI job is a workload (issue 19): the GitHub audit log
# and jobs API are probed and read; AssumeRoleWithWebIdentity from
# token.actions.githubusercontent.com links each session to the job that
# took it (subject, time; the runner from the jobs API); the job's session
# used from a network outside the runners' history opens one incident whose
# workload is the job (CI-01), with the same keys as every workload kind and
# a plan of the github and aws CI steps; its look-alikes (a day of jobs on a
# self-hosted runner and on hosted runners, each hosted job from a new
# address; a developer assuming the role from the office) open nothing.
# The JSON of incidents, incident, whois, reach and the plan is compared
# with tests/workloads/ci/expect/ (UPDATE_GOLDEN=1 rewrites them: review).
# A step reading the self-hosted runner's own credentials (CI-02) belongs to
# the job the runner was running, and joins the same incident.
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/ci"
E="$F/expect"
"$CORDON" --db b.db ingest --json "$F/logs" > ing.json
expect_eq "$(grep -o '"format":"github"' ing.json | wc -l | tr -d ' ')" 2 "audit log and jobs API probed as github"
rc=0; "$CORDON" --db b.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
learned_as_caught_up b.db ci
expect_eq "$(sqlite3 b.db "SELECT group_concat(key, ' ') FROM graph_nodes WHERE kind = 'ci-runner' AND key LIKE 'build-%'")" \
	"build-07 build-08" "self-hosted runners"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM incidents")" 1 "incidents"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule = 'CI-01'")" 1 "CI-01 findings"
expect_eq "$(sqlite3 b.db "SELECT e.src_ip FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'CI-01'")" 203.0.113.66 "CI-01 address"
# the runner's credentials read by a step of the attacked job (CI-02) join
# its incident (the jobs API says what build-07 was running); the runner's
# own reads of them at each job's start are not signals
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule = 'CI-02'")" 1 "CI-02 findings"
id=$(sqlite3 b.db "SELECT id FROM incidents")
"$CORDON" --db b.db incident "$id" -o json | grep -q '"rule":"CI-02"' || die "CI-02 is not in the job's incident"
expect_eq "$(sqlite3 b.db "SELECT root FROM incidents")" "ci:acme/deploy-infra/runs/9876543210/deploy" "root"
# another job on the same runner (its NAT) while the attacked one runs: the
# runner's address is not the attacker's, that job's session is not joined
"$CORDON" --db b.db incident "$id" -o json > inc.json
grep -q ASIAEXAMPLEGHAAPI002 inc.json && die "the runner's NAT was taken for the attacker's address"
"$CORDON" --db b.db incidents --format json | golden incidents
"$CORDON" --db b.db incident "$id" -o json | golden incident
"$CORDON" --db b.db whois ASIAEXAMPLEGHAJOB001 --format json | golden whois
"$CORDON" --db b.db reach arn:aws:iam::111122223333:role/gha-deploy --format json | golden reach
"$CORDON" --db b.db revoke plan --incident "$id" --format json | golden plan
"$CORDON" --db b.db incident "$id" | grep -q "root workload: ci-job acme/deploy-infra/runs/9876543210/deploy on build-07" \
	|| die "the table does not show the job and its runner"

# the benign history alone (the attacker's calls removed): no incident, no CI-01
python3 - "$F/logs/cloudtrail.json" > benign.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["Records"] = [r for r in d["Records"] if r.get("sourceIPAddress") != "203.0.113.66"]
json.dump(d, sys.stdout)
PY
mkdir -p benign && cp benign.json benign/cloudtrail.json && cp "$F/logs/github-"* benign/
"$CORDON" --db c.db ingest -q benign
"$CORDON" --db c.db correlate > /dev/null || die "an incident on the benign history"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM findings WHERE rule = 'CI-01'")" 0 "CI-01 on benign"

# incremental: the history in one run, the rest in a second, the same incident
python3 - "$F/logs/cloudtrail.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for name, keep in (("p1.json", lambda t: t < "2025-06-03T09:00:00Z"), ("p2.json", lambda t: t >= "2025-06-03T09:00:00Z")):
    json.dump({"Records": [r for r in d["Records"] if keep(r["eventTime"])]}, open(name, "w"))
PY
"$CORDON" --db e.db ingest -q "$F/logs/github-audit.jsonl" "$F/logs/github-jobs.json" p1.json
"$CORDON" --db e.db correlate > /dev/null || die "an incident on the first half"
"$CORDON" --db e.db ingest -q p2.json
"$CORDON" --db e.db correlate > /dev/null && die "no incident on the second half"
expect_eq "$(sqlite3 e.db "SELECT id FROM incidents")" "$id" "incremental incident"

# without the GitHub logs the session is still a CI job's: named by its
# OIDC subject and exchange time, where = the exchange's address
"$CORDON" --db d.db ingest -q "$F/logs/cloudtrail.json"
"$CORDON" --db d.db correlate > /dev/null || true
expect_eq "$(sqlite3 d.db "SELECT root FROM incidents")" \
	"ci:repo:acme/deploy-infra:environment:production@1748944214" "root without the audit log"
echo "ci workload ok"
