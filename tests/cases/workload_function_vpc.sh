# workload_function_vpc.sh - a custom-runtime Lambda function in a VPC
# (rule FN-05; fixture tests/workloads/mkfunction_vpc.py): its calls carry
# no SDK mark, so FN-01 cannot judge them, and its live session was used by
# the function only through the VPC endpoint, so FN-02 has no second
# network of its own.  What gives the stolen session away is the VPC: its
# functions reach AWS only through its NAT and endpoints.  The VPC's NAT,
# first used an hour in (after the warm-up), is learned, not judged
# (after-first); a function outside any VPC calling from a new AWS address
# each environment is never judged by it.
. "$ROOT/tests/cases/lib.sh"
python3 "$ROOT/tests/workloads/mkfunction_vpc.py" case
python3 "$ROOT/tests/workloads/mkfunction_vpc.py" quiet benign

"$CORDON" --db a.db ingest -q case/inventory case/logs
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
expect_eq "$(sqlite3 a.db "SELECT root FROM incidents")" \
	"fn:arn:aws:lambda:us-east-1:111122223333:function:pdf-worker" "the incident's workload"
expect_eq "$(sqlite3 a.db "SELECT group_concat(e.src_ip || ' ' || f.cred_id) FROM findings f
	JOIN events e ON e.id = f.event_id WHERE f.rule = 'FN-05'")" \
	"203.0.113.66 ASIAEXAMPLEPDFWORK03" "FN-05: the outside address, once"
"$CORDON" --db a.db incident "$(sqlite3 a.db "SELECT id FROM incidents")" --format json > inc.json
grep -q '"ASIAEXAMPLEPDFWORK03"' inc.json || die "the stolen session is not among the incident's credentials"

# the history alone: the NAT's late first use and thumbs' new AWS
# addresses open nothing
"$CORDON" --db b.db ingest -q quiet/inventory quiet/logs
"$CORDON" --db b.db correlate > /dev/null || die "an incident on the benign history"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule = 'FN-05'")" 0 "FN-05 on the benign history"

# incremental: split before the NAT's first use (learned in the second
# run, with the attack) and after it (learned in the first): the same
python3 - case/logs/cloudtrail.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for cut in ("08:30", "09:40"):
    t = "2025-07-01T%s:00Z" % cut
    for name, keep in (("p1", lambda x: x < t), ("p2", lambda x: x >= t)):
        json.dump({"Records": [r for r in d["Records"] if keep(r["eventTime"])]},
                  open("%s-%s.json" % (name, cut.replace(":", "")), "w"))
PY
for cut in 0830 0940; do
	"$CORDON" --db "c$cut.db" ingest -q case/inventory "p1-$cut.json"
	"$CORDON" --db "c$cut.db" correlate > /dev/null || die "an incident before the attack (cut $cut)"
	"$CORDON" --db "c$cut.db" ingest -q "p2-$cut.json"
	"$CORDON" --db "c$cut.db" correlate > /dev/null && die "no incident after the attack (cut $cut)"
	expect_eq "$(sqlite3 "c$cut.db" "SELECT group_concat(f.cred_id) FROM findings f WHERE f.rule = 'FN-05'")" \
		ASIAEXAMPLEPDFWORK03 "FN-05 in two runs (cut $cut)"
done
echo "vpc function workload ok"
