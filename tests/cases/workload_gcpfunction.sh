# workload_gcpfunction.sh - a Cloud Run service or Cloud Function is a
# workload (issue 19): the gcp-serverless inventory (Knative v1 listing,
# functions list) is probed and loaded, names only; a GCP audit call made
# with the own token of the one service running as its account belongs to
# that service; the token used from a network the service's own calls never
# used opens one incident whose workload is the service (FN-03), and its
# plan stops the service, cuts the account's tokens and keys and rotates
# the Secret Manager secrets its environment holds.  Look-alikes open
# nothing: the services' own calls, a developer impersonating the account
# from the office, CI signing with the account's user-managed key, an
# account two services share used from a new network.  The JSON of
# incidents, incident, whois, reach and the plan is compared with
# tests/workloads/gcpfunction/expect/ (UPDATE_GOLDEN=1 rewrites them: review).
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/gcpfunction"
E="$F/expect"
SA=invoice-api@acme-prod.iam.gserviceaccount.com
SVC=projects/acme-prod/locations/us-central1/services/invoice-api

# the inventories are probed as gcp-serverless, never rejected
for f in run-services.json functions.json; do
	"$CORDON" --db a.db ingest --json "$F/inventory/$f" > ing.json
	grep -q '"format":"gcp-serverless"' ing.json || die "$f not probed as gcp-serverless: $(cat ing.json)"
done
"$CORDON" --db a.db ingest -q "$ROOT/tests/inventory/gcp-run-v2-service.json"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM graph_nodes WHERE kind = 'function' AND provider = 'gcp'")" 5 "services"
expect_eq "$(sqlite3 a.db "SELECT json_extract(attrs, '$.static_secrets') FROM graph_nodes WHERE key = '$SVC'")" \
	'["DB_URL"]' "static secrets"
sqlite3 a.db .dump > dump.sql
if grep -q 's3cr3t-example\|acme-invoices\|nightly\|ghp_EXAMPLE' dump.sql; then
	die "an environment variable's value was stored"
fi

# the case: inventories and a day of Cloud Audit Logs
"$CORDON" --db b.db ingest -q "$F/inventory" "$F/logs"
rc=0; "$CORDON" --db b.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM incidents")" 1 "incidents"
expect_eq "$(sqlite3 b.db "SELECT root FROM incidents")" "fn:$SVC" "root"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule = 'FN-03'")" 1 "FN-03 findings"
expect_eq "$(sqlite3 b.db "SELECT e.src_ip FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'FN-03'")" 203.0.113.66 "FN-03 address"
id=$(sqlite3 b.db "SELECT id FROM incidents")
"$CORDON" --db b.db incidents --format json | golden incidents
"$CORDON" --db b.db incident "$id" -o json | golden incident
"$CORDON" --db b.db whois "$SA" --format json | golden whois
"$CORDON" --db b.db reach "$SA" --format json | golden reach
"$CORDON" --db b.db revoke plan --incident "$id" --format json | golden plan
"$CORDON" --db b.db incident "$id" | grep -q "root workload: function invoice-api in gcp:us-central1:acme-prod" \
	|| die "the table does not show the service"
"$CORDON" --db b.db whois "$SA" | grep -q "function $SVC" || die "whois does not show the service"
"$CORDON" --db b.db reach batch@acme-prod.iam.gserviceaccount.com | grep -q "services/cron-b" \
	|| die "reach does not show the services sharing an account"

# the benign history alone: no incident, no FN-03
grep -v '"203.0.113.66"' "$F/logs/gcp-audit.jsonl" > benign.jsonl
"$CORDON" --db c.db ingest -q "$F/inventory" benign.jsonl
"$CORDON" --db c.db correlate > /dev/null || die "an incident on the benign history"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM findings WHERE rule = 'FN-03'")" 0 "FN-03 on benign"

# impersonation and the user-managed key from the attacker's address: other
# credentials, not the service's token
sed -e 's/"198.51.100.7"/"203.0.113.77"/' -e 's/"192.0.2.10"/"203.0.113.78"/' benign.jsonl > other.jsonl
"$CORDON" --db d.db ingest -q "$F/inventory" other.jsonl
"$CORDON" --db d.db correlate > /dev/null || die "an incident on impersonation or a key"
expect_eq "$(sqlite3 d.db "SELECT count(*) FROM findings WHERE rule = 'FN-03'")" 0 "FN-03 on other credentials"

# incremental: the history in one run, the rest in a second, the same incident
awk -F'"timestamp": "' '{ split($2, t, "\""); if (t[1] < "2025-06-03T09:00") print > "p1.jsonl"; else print > "p2.jsonl" }' \
	"$F/logs/gcp-audit.jsonl"
"$CORDON" --db e.db ingest -q "$F/inventory" p1.jsonl
"$CORDON" --db e.db correlate > /dev/null || die "an incident on the first half"
"$CORDON" --db e.db ingest -q p2.jsonl
"$CORDON" --db e.db correlate > /dev/null && die "no incident on the second half"
expect_eq "$(sqlite3 e.db "SELECT id FROM incidents")" "$id" "incremental incident"
expect_eq "$(sqlite3 e.db "SELECT count(*) FROM findings WHERE rule = 'FN-03'")" 1 "incremental FN-03 findings"
# the attacker's script uses a Google client library too: its user agent is
# the service's own, but the address is outside Google's ranges (FN-04)
PY_UA="gcloud-python/3.4.0 gl-python/3.12.3 grpc/1.64.1 gax/2.19.0 gccl/2.16.0"
sed "s|\"curl/8.5.0\"|\"$PY_UA\"|" "$F/logs/gcp-audit.jsonl" > lib.jsonl
grep -q '"203.0.113.66".*gccl' lib.jsonl || die "lib.jsonl: the attack's user agent was not replaced"
"$CORDON" --db f.db ingest -q "$F/inventory" lib.jsonl
rc=0; "$CORDON" --db f.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (client library from outside Google)"
expect_eq "$(sqlite3 f.db "SELECT root FROM incidents")" "fn:$SVC" "root (client library)"
expect_eq "$(sqlite3 f.db "SELECT e.src_ip FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'FN-04'")" 203.0.113.66 "FN-04 address (client library)"
expect_eq "$(sqlite3 f.db "SELECT count(*) FROM findings WHERE rule = 'FN-03'")" 0 "FN-03 (client library)"
# a service whose own calls left through a public network outside Google
# early on (a proxy of its own) is not judged by FN-04: the same attack
# then opens nothing (FN-03 never judges library calls)
head -n 1 lib.jsonl | sed 's/"35.187.10.20"/"192.0.2.200"/; s/"gcpfn000001"/"gcpfx000001"/' > proxy.jsonl
grep -q '"192.0.2.200"' proxy.jsonl || die "proxy.jsonl: the address was not replaced"
cat lib.jsonl >> proxy.jsonl
"$CORDON" --db p.db ingest -q "$F/inventory" proxy.jsonl
"$CORDON" --db p.db correlate > /dev/null || die "FN-04 judged a service whose calls leave outside Google"
# another service (thumbnailer) whose own calls keep coming from a public
# network outside Google's ranges says the ranges do not describe this
# case's egress: FN-04 judges nothing, and the same attack opens nothing
sed 's/"107\.178\.230\./"192.0.2./' lib.jsonl > calib.jsonl
grep -q '"192.0.2.4[0-9]"' calib.jsonl || die "calib.jsonl: thumbnailer's addresses were not replaced"
"$CORDON" --db q.db ingest -q "$F/inventory" calib.jsonl
"$CORDON" --db q.db correlate > /dev/null || die "FN-04 judged a case whose services call from outside Google"

# the service's own library from networks new to it that are Google's (IPv6
# too) or private (a VPC connector) stays quiet; with a range file that
# leaves out 35.190.0.0/16 ($CORDON_GOOGLE_RANGES replaces the table) the
# call from 35.190.5.14 is from outside Google and opens the incident
grep '/inv-7777.pdf"' benign.jsonl > own.jsonl
sed 's/"35.190.5.14"/"2600:1900:4001::7"/; s/gcpfn000167/gcpfn900001/' own.jsonl >> benign.jsonl
sed 's/"35.190.5.14"/"10.8.0.9"/; s/gcpfn000167/gcpfn900002/' own.jsonl >> benign.jsonl
"$CORDON" --db g.db ingest -q "$F/inventory" benign.jsonl
"$CORDON" --db g.db correlate > /dev/null || die "an incident on the service's own new Google and private networks"
printf '# Google, less 35.190.0.0/16\n35.184.0.0/14\n35.188.0.0/15\n35.191.0.0/16\n35.192.0.0/14\n' > ranges.txt
printf '107.178.192.0/18\n2600:1900::/28\n' >> ranges.txt
"$CORDON" --db h.db ingest -q "$F/inventory" benign.jsonl
rc=0; CORDON_GOOGLE_RANGES=ranges.txt "$CORDON" --db h.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (a range file without 35.190.0.0/16)"
expect_eq "$(sqlite3 h.db "SELECT e.src_ip FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'FN-04'")" 35.190.5.14 "FN-04 address (range file)"
printf '35.190.0.0/16x\n' > bad.txt
rc=0; CORDON_GOOGLE_RANGES=bad.txt "$CORDON" --db h.db correlate > /dev/null 2> bad.err || rc=$?
expect_eq "$rc" 2 "correlate exit (a bad range file)"
grep -q 'bad.txt:1: not an address range' bad.err || die "the error does not name the file and line: $(cat bad.err)"
echo "gcp serverless workload ok"
