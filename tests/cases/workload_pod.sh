# workload_pod.sh - the pod, the first workload kind, under the same JSON
# contract as the others (issue 19): scenario S2 (a pod's service-account
# token and a mounted AWS key used from outside) opens one incident whose
# workload is the pod's container (kind "container", id the container id,
# where the node, its pod and service account), and
# the JSON of incidents, incident, whois, reach and the plan is compared
# with tests/workloads/pod/expect/ (UPDATE_GOLDEN=1 rewrites them: review).
. "$ROOT/tests/cases/lib.sh"
S="$ROOT/tests/scenarios/S2"
E="$ROOT/tests/workloads/pod/expect"
SA=system:serviceaccount:prod:web
"$CORDON" --db a.db ingest -q "$S/inventory" "$S/benign" "$S/attack"
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM incidents")" 1 "incidents"
id=$(sqlite3 a.db "SELECT id FROM incidents")
"$CORDON" --db a.db incidents --format json > incidents.json
python3 - incidents.json <<'PY' || die "the pod workload lacks a key of the contract"
import json, sys
w = json.load(open(sys.argv[1]))["incidents"][0]["workload"]
assert w["kind"] == "container" and w["pod"] == "prod/web-7d9f8b6c5-x2k4q", w
assert w["id"] == w["container_id"] and len(w["id"]) == 64, w
assert w["where"] and isinstance(w["identities"], list) and w["identities"], w
PY
golden incidents < incidents.json
"$CORDON" --db a.db incident "$id" -o json | golden incident
"$CORDON" --db a.db whois "$SA" --format json | golden whois
"$CORDON" --db a.db reach "$SA" --format json | golden reach
"$CORDON" --db a.db revoke plan --incident "$id" --format json | golden plan
echo "pod workload ok"
