# workload_function.sh - a Lambda function is a workload (issue 19): the
# list-functions inventory is probed and loaded (env var names, never their
# values); Lambda's AssumeRole links each execution-role session to its
# function; the function's session used from outside its own history opens
# one incident whose workload is the function (FN-01), with the same keys
# as every workload kind; its look-alikes (the function's calls from AWS
# addresses, its NAT and VPC endpoint, Lambda's own calls, a developer
# assuming the function's role from the office) open nothing.  The JSON of
# incidents, incident, whois, reach and the plan is compared with
# tests/workloads/function/expect/ (UPDATE_GOLDEN=1 rewrites them: review).
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/function"
E="$F/expect"
# the inventory is probed as lambda, never rejected as an unknown format
"$CORDON" --db a.db ingest --json "$F/inventory/lambda-list-functions.json" > ing.json
grep -q '"format":"lambda"' ing.json || die "list-functions not probed as the lambda inventory: $(cat ing.json)"
"$CORDON" --db a.db ingest -q "$ROOT/tests/inventory/lambda-get-function-configuration.json"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM graph_nodes WHERE kind = 'function'")" 3 "functions"
expect_eq "$(sqlite3 a.db "SELECT json_extract(attrs, '$.role') FROM graph_nodes WHERE kind = 'function'
	AND key = 'arn:aws:lambda:us-east-1:111122223333:function:invoice-render'")" \
	"arn:aws:iam::111122223333:role/service-role/invoice-render-role" "execution role"
expect_eq "$(sqlite3 a.db "SELECT json_extract(attrs, '$.static_secrets') FROM graph_nodes
	WHERE key = 'arn:aws:lambda:us-east-1:111122223333:function:thumbnailer'")" '["UPLOAD_KEY_ID"]' "static secrets"
# env values never reach the store (names only)
sqlite3 a.db .dump > dump.sql
if grep -q 's3cr3t-example\|AKIAEXAMPLETHUMB0001\|acme-invoices\|/prod/stripe/key' dump.sql; then
	die "an environment variable's value was stored"
fi

# the case: inventory and a day of CloudTrail
"$CORDON" --db b.db ingest -q "$F/inventory" "$F/logs"
rc=0; "$CORDON" --db b.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
learned_as_caught_up b.db function
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM incidents")" 1 "incidents"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule = 'FN-01'")" 1 "FN-01 findings"
expect_eq "$(sqlite3 b.db "SELECT e.src_ip FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'FN-01'")" 203.0.113.66 "FN-01 address"
id=$(sqlite3 b.db "SELECT id FROM incidents")
"$CORDON" --db b.db incidents --format json | golden incidents
"$CORDON" --db b.db incident "$id" -o json | golden incident
"$CORDON" --db b.db whois ASIAEXAMPLELAMBDA001 --format json | golden whois
"$CORDON" --db b.db reach invoice-render --format json | golden reach
"$CORDON" --db b.db revoke plan --incident "$id" --format json | golden plan
"$CORDON" --db b.db incident "$id" | grep -q "root workload: function invoice-render in aws:us-east-1:111122223333" \
	|| die "the table does not show the function"

# the benign history alone: no incident, no FN-01
python3 - "$F/logs/cloudtrail.json" > benign.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["Records"] = [r for r in d["Records"] if r.get("sourceIPAddress") != "203.0.113.66"]
json.dump(d, sys.stdout)
PY
"$CORDON" --db c.db ingest -q "$F/inventory" benign.json
"$CORDON" --db c.db correlate > /dev/null || die "an incident on the benign history"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM findings WHERE rule = 'FN-01'")" 0 "FN-01 on benign"

# incremental: the history in one run, the rest in a second, the same incident
python3 - "$F/logs/cloudtrail.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for name, keep in (("p1.json", lambda t: t < "2025-06-03T09:00:00Z"), ("p2.json", lambda t: t >= "2025-06-03T09:00:00Z")):
    json.dump({"Records": [r for r in d["Records"] if keep(r["eventTime"])]}, open(name, "w"))
PY
"$CORDON" --db e.db ingest -q "$F/inventory" p1.json
"$CORDON" --db e.db correlate > /dev/null || die "an incident on the first half"
"$CORDON" --db e.db ingest -q p2.json
"$CORDON" --db e.db correlate > /dev/null && die "no incident on the second half"
expect_eq "$(sqlite3 e.db "SELECT id FROM incidents")" "$id" "incremental incident"
expect_eq "$(sqlite3 e.db "SELECT count(*) FROM findings WHERE rule IN ('FN-01', 'FN-02')")" 1 "incremental FN findings"

# without the inventory the session is still the function's (learned from
# Lambda's AssumeRole alone)
"$CORDON" --db d.db ingest -q "$F/logs"
"$CORDON" --db d.db correlate > /dev/null || true
expect_eq "$(sqlite3 d.db "SELECT root FROM incidents")" \
	"fn:arn:aws:lambda:us-east-1:111122223333:function:invoice-render" "root without the inventory"
echo "function workload ok"
