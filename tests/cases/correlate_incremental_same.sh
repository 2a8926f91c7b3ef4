# An incremental sequence of correlate runs gives the same incidents as one
# run over everything: interleaved sources (CloudTrail, Falco, auditd)
# delivered in four parts with a run after each, against the same parts
# ingested in the same order and correlated once.  The incident ids, the
# whole report JSON of each, and the findings are identical; each
# incident's revision counts only the runs that changed its report.
. "$ROOT/tests/cases/lib.sh"
GEN="$ROOT/tests/bench/gen_mixed.sh"
run() { set +e; "$CORDON" --db "$1" correlate > /dev/null 2>&1; rc=$?; set -e; [ $rc -le 1 ] || die "correlate $1: $rc"; }
p=0
while [ $p -lt 4 ]; do
	sh "$GEN" "part$p" 15000 $((p * 15000)) $((p + 1))
	p=$((p + 1))
done
p=0
while [ $p -lt 4 ]; do
	for db in inc.db one.db; do
		"$CORDON" --db $db ingest -q part$p/ct.jsonl part$p/falco.json part$p/audit.log || [ $? = 1 ] || die "ingest part $p"
	done
	run inc.db
	p=$((p + 1))
done
run one.db
n=$(sqlite3 one.db 'SELECT count(*) FROM incidents')
[ "$n" -ge 1 ] || die "no incident at all"
"$CORDON" --db inc.db incidents -o json | jq -S . > inc.json
"$CORDON" --db one.db incidents -o json | jq -S . > one.json
cmp -s inc.json one.json || die "incident reports differ: $(diff inc.json one.json | head -20)"
q="SELECT group_concat(event_id || ' ' || rule || ' ' || coalesce(workload, '-') || ' ' || coalesce(cred_id, '-'), ',') FROM (SELECT * FROM findings ORDER BY event_id, rule)"
expect_eq "$(sqlite3 inc.db "$q")" "$(sqlite3 one.db "$q")" "findings"
# the one run opened each once; the sequence changed each at most once a run
expect_eq "$(sqlite3 one.db 'SELECT max(revision) FROM incidents')" 1 "revisions of the single run"
[ "$(sqlite3 inc.db 'SELECT max(revision) FROM incidents')" -le 4 ] || die "revisions: $(sqlite3 inc.db 'SELECT id, revision FROM incidents')"
echo "incremental = one run: $n incidents"
