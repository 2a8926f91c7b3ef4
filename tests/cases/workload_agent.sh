# workload_agent.sh - an agent runtime's tool code reaching what its image
# never reached (issue 19: agent runtimes and network reach), on the
# generated case of seed 707022 (tests/gen/ag_cases.py; the generator is
# deterministic, so the case is made here instead of committed): the
# replica's shell asks instance metadata, logs in to Vault on 8200 with the
# pod's token, then enters the host's network namespace (nsenter -t 1 -n);
# the node's role session and the Vault token are used from outside.
# One incident, rooted at the replica, holding both; NET-03 (Vault first
# reached by the image) exposes the login made from the pod's address.
# Look-alikes judged against their own history open nothing: the
# monitoring DaemonSet outside kube-system that scrapes every kubelet, asks
# metadata and reads /proc/PID/environ, and the node Vault agent that
# connects to Vault and logs in from its node.  A benign-only seed of the
# same generator (707025) opens no incident.  The JSON of incidents,
# incident, whois, reach and the plan is compared with
# tests/workloads/agent/expect/ (UPDATE_GOLDEN=1 rewrites them: review).
. "$ROOT/tests/cases/lib.sh"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
E="$ROOT/tests/workloads/agent/expect"
golden() { # golden NAME: stdin normalized, compared with $E/NAME.json
	sed "s|$PWD/||g" | python3 -m json.tool --sort-keys > "$1.out"
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then mkdir -p "$E"; cp "$1.out" "$E/$1.json"; return 0; fi
	diff -u "$E/$1.json" "$1.out" || die "$1: differs from $E/$1.json"
}
python3 "$ROOT/tests/gen/ag_cases.py" 707022 ag > /dev/null || die "generator failed"
"$CORDON" --db a.db ingest -q ag/inventory ag/logs
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM incidents")" 1 "incidents"
id=$(sqlite3 a.db "SELECT id FROM incidents")
cid=$(jq -r '.escaped[0].container_id' ag/truth.json | cut -c1-12)
"$CORDON" --db a.db incident "$id" -o json > inc.json
expect_eq "$(jq -r .root inc.json)" "ctr:$cid" "root: the replica"
node_key=$(jq -r '.credentials[] | select(.id | startswith("ASIA")) | .id' ag/truth.json)
vault_acc=$(jq -r '.credentials[] | select(.provider == "vault") | .id' ag/truth.json)
for c in $node_key $vault_acc; do
	expect_eq "$(jq --arg c "$c" '[.credentials[] | select(.id == $c)] | length' inc.json)" 1 "credential $c"
done
expect_eq "$(jq '[.signals[] | select(.rule == "NET-03")] | length > 0' inc.json)" true "NET-03 in the story"
expect_eq "$(jq -r --arg a "$vault_acc" '.exposed[] | select(.locator == "vault-token:" + $a) | .via' inc.json)" \
	NET-03 "the Vault login exposed by the contact"
# the look-alikes' network reach is their history: no NET finding for them
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule IN ('NET-01', 'NET-03') AND (e.image LIKE '%node-monitor%' OR e.image LIKE '%vault-node-agent%')")" \
	0 "NET findings of the monitor or the node Vault agent"
"$CORDON" --db a.db incidents --format json | golden incidents
golden incident < inc.json
"$CORDON" --db a.db whois "$node_key" --format json | golden whois
"$CORDON" --db a.db reach "$(jq -r '.escaped[0].pod' ag/truth.json)" --format json | golden reach
"$CORDON" --db a.db revoke plan --incident "$id" --format json | golden plan

python3 "$ROOT/tests/gen/ag_cases.py" 707025 bg > /dev/null || die "generator failed"
expect_eq "$(jq -r .benign_only bg/truth.json)" true "seed 707025 is benign-only"
"$CORDON" --db b.db ingest -q bg/inventory bg/logs
rc=0; "$CORDON" --db b.db correlate > /dev/null || rc=$?
expect_eq "$rc" 0 "benign-only: correlate exit"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM incidents")" 0 "benign-only: incidents"
echo "agent workload ok"
