# correlate_incremental.sh - `cordon correlate` for cron: incremental,
# idempotent, exit 0 when nothing is new and 1 when an incident opened or
# changed; incident ids stable; the incremental result equals a one-shot run.
. "$ROOT/tests/cases/lib.sh"
S="$ROOT/tests/scenarios/S2"
run() { # run DB: correlate --format json > out.json, echo the exit status
	set +e; "$CORDON" --db "$1" correlate --format json > out.json; echo $?; set -e
}
summary() { # the parts of a report that must agree, order-free
	jq -S '[.incidents[] | {id, root: .workload, s: ([.signals[].rule] | unique),
		e: ([.exposed[].locator] | unique), c: ([.credentials[].id] | unique),
		r: ([.reachable[].identity] | unique), p: ([.plan[] | "\(.action) \(.target)"] | unique)}]' "$1"
}

# one shot: everything, one run
"$CORDON" --db one.db ingest -q "$S/inventory" "$S/benign" "$S/attack"
[ "$(run one.db)" = 1 ] || die "one-shot run opened nothing"
cp out.json one.json
id=$(jq -r '.incidents[0].id' one.json)

# incremental: benign history first, then the attack in two deliveries
"$CORDON" --db inc.db ingest -q "$S/inventory" "$S/benign"
[ "$(run inc.db)" = 0 ] || die "benign history alone must not open an incident"
[ "$(jq '.incidents | length' out.json)" = 0 ] || die "benign run printed incidents"
for f in "$S"/attack/*; do
	case $f in *k8s*) continue ;; esac
	"$CORDON" --db inc.db ingest -q "$f"
done
# a token read alone is a finding, not an incident (no use of it seen yet)
[ "$(run inc.db)" = 0 ] || die "a token read without anomalous use opened an incident"
[ "$(sqlite3 inc.db "SELECT count(*) FROM findings WHERE rule = 'CRED-01'")" -ge 1 ] \
	|| die "the token read left no finding"
# the API-side story arrives in two deliveries
n=$(wc -l < "$S/attack/k8s-audit.jsonl")
head -n $((n / 2)) "$S/attack/k8s-audit.jsonl" > k8s-1.jsonl
tail -n +$((n / 2 + 1)) "$S/attack/k8s-audit.jsonl" > k8s-2.jsonl
"$CORDON" --db inc.db ingest -q k8s-1.jsonl
[ "$(run inc.db)" = 1 ] || die "the token's use from outside did not open an incident"
[ "$(jq -r '.incidents[0].id' out.json)" = "$id" ] || die "incident id differs from the one-shot run"
rev1=$(sqlite3 inc.db "SELECT revision FROM incidents WHERE id = '$id'")
[ "$(run inc.db)" = 0 ] || die "a rerun with nothing new must exit 0"
[ "$(jq '.incidents | length' out.json)" = 0 ] || die "a rerun printed incidents"
n1=$(sqlite3 inc.db 'SELECT count(*) FROM findings')
[ "$(run inc.db)" = 0 ] || die "third run not idempotent"
[ "$(sqlite3 inc.db 'SELECT count(*) FROM findings')" = "$n1" ] || die "rerun added findings"
# later evidence updates the same incident
"$CORDON" --db inc.db ingest -q k8s-2.jsonl
[ "$(run inc.db)" = 1 ] || die "new evidence did not change the incident"
[ "$(jq -r '.incidents[0].id' out.json)" = "$id" ] || die "new evidence opened another incident"
rev2=$(sqlite3 inc.db "SELECT revision FROM incidents WHERE id = '$id'")
[ "$rev2" -gt "$rev1" ] || die "revision did not grow ($rev1 -> $rev2)"
"$CORDON" --db inc.db correlate --all --format json > all.json || true
summary one.json > a; summary all.json > b
diff a b || die "incremental runs disagree with the one-shot run"

# the listing, the story and errors
"$CORDON" --db inc.db incidents | grep -q "^$id " || die "incidents list lacks $id"
"$CORDON" --db inc.db incidents --format json | jq -e --arg id "$id" '.incidents[] | select(.id == $id)' >/dev/null
"$CORDON" --db inc.db incident "$id" > story.txt
for w in timeline exposed credentials "reachable identities" plan "USED AFTER EXPOSURE" sa-token:prod/web; do
	grep -q "$w" story.txt || die "story lacks '$w'"
done
ev=$(jq -r '.incidents[0].signals[0].event_id' all.json)
"$CORDON" --db inc.db events "id=$ev" --raw --format json | jq -e '.events[0].raw' >/dev/null \
	|| die "the evidence link event $ev has no raw record"
set +e; "$CORDON" --db inc.db incident INC-nosuch 2>err; rc=$?; set -e
[ $rc = 2 ] || die "unknown incident: expected exit 2 (usage: the id names nothing), got $rc"
grep -q "cordon incidents" err || die "unknown incident error does not say what to do"
# --since scopes the report
"$CORDON" --db inc.db correlate --all --since 2020-01-01T00:00:00Z --format json | jq -e '.incidents | length == 1' >/dev/null
echo "correlate incremental ok"
