# An incremental sequence of correlate runs gives the same incidents as one
# run over everything: interleaved sources (CloudTrail, Falco, auditd)
# delivered in four parts with a run after each, against the same parts
# ingested in the same order and correlated once.  The incident ids, the
# whole report JSON of each, and the findings are identical; each
# incident's revision counts only the runs that changed its report.
# The last delivery brings a signal that joins the incident the earlier
# runs opened (an IMDS contact by its escaped container) and an escape of
# another container that opens a new one: the sequence updates the first
# (same id, a new revision, the new signal among its signals) and opens
# the second, each as the single run over everything has it.
. "$ROOT/tests/cases/lib.sh"
GEN="$ROOT/tests/bench/gen_mixed.sh"
run() { set +e; "$CORDON" --db "$1" correlate > /dev/null 2>&1; rc=$?; set -e; [ $rc -le 1 ] || die "correlate $1: $rc"; }
p=0
while [ $p -lt 4 ]; do
	sh "$GEN" "part$p" 15000 $((p * 15000)) $((p + 1))
	p=$((p + 1))
done
# the last delivery: one signal for the open incident, one of a new escape
cat >> part3/falco.json <<'EOF2'
{"output":"alert","priority":"Notice","rule":"Contact cloud metadata service from container","time":"2025-06-01T12:19:30Z","hostname":"node16","uuid":"f9000000000000000002","output_fields":{"container.id":"000000000011","fd.name":"10.0.1.87:51514->169.254.169.254:80","proc.exepath":"/usr/bin/curl","proc.pid":31016,"evt.type":"connect"}}
{"output":"alert","priority":"Critical","rule":"Detect release_agent File Container Escapes","time":"2025-06-01T12:19:00Z","hostname":"node99","uuid":"f9000000000000000001","output_fields":{"container.id":"0000000abcde","fd.name":"/tmp/cgrp/release_agent","proc.exepath":"/bin/sh","proc.pid":4242,"evt.type":"openat"}}
EOF2
p=0
while [ $p -lt 4 ]; do
	if [ $p = 3 ]; then # what the first three runs opened
		"$CORDON" --db inc.db incidents -o json > before.json
		[ "$(jq '.incidents | length' before.json)" -ge 1 ] || die "the first three runs opened nothing"
	fi
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
# the last run: the joining signal updated the incident it joined, the
# new escape opened one that was not there before
join=$(sqlite3 inc.db "SELECT id FROM events WHERE ref = 'f9000000000000000002'")
esc=$(sqlite3 inc.db "SELECT id FROM events WHERE ref = 'f9000000000000000001'")
[ -n "$join" ] && [ -n "$esc" ] || die "the last delivery's signals were not stored"
old=$(jq -r --argjson e "$join" '.incidents[] | select([.signals[].event_id] | index($e)) | .id' inc.json)
[ -n "$old" ] || die "the joining signal is in no incident"
jq -e --arg id "$old" '.incidents[] | select(.id == $id)' before.json > /dev/null ||
	die "the joining signal opened $old instead of joining an incident of the earlier runs"
[ "$(jq --arg id "$old" '[.incidents[] | select(.id == $id) | .signals[]] | length' inc.json)" -gt \
  "$(jq --arg id "$old" '[.incidents[] | select(.id == $id) | .signals[]] | length' before.json)" ] ||
	die "$old did not gain the signal"
[ "$(sqlite3 inc.db "SELECT revision FROM incidents WHERE id = '$old'")" -ge 2 ] || die "$old was not revised"
new=$(jq -r --argjson e "$esc" '.incidents[] | select([.signals[].event_id] | index($e)) | .id' inc.json)
[ -n "$new" ] || die "the new escape opened no incident"
[ "$new" != "$old" ] || die "the new escape joined $old"
jq -e --arg id "$new" '.incidents[] | select(.id == $id)' before.json > /dev/null &&
	die "$new was open before the last delivery"
expect_eq "$(sqlite3 inc.db "SELECT revision FROM incidents WHERE id = '$new'")" 1 "revision of the new incident"
echo "incremental = one run: $n incidents ($old updated by the last run, $new opened by it)"
