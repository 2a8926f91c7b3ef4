# workload_agent_vary.sh - the agent-runtime case varied where the
# generator never varies (tests/workloads/mkagent_vary.py): another
# runtime's names and image, instance metadata reached through dual-stack
# sockets (::ffff:169.254.169.254), the attacker on IPv6 (and a key first
# used from the IPv6 server the replica connected to), Tetragon's and
# the API server's records newest first.  The rewrite keeps the truth, so
# the report must hold it exactly: one incident rooted at the replica,
# every credential the truth requires and none it does not allow, the
# metadata contact seen as CRED-03 (a v4-mapped address is its IPv4
# destination) and routine for the monitor whose history has it.  The
# incident's JSON is compared with tests/workloads/agent_vary/expect/
# (UPDATE_GOLDEN=1 rewrites it: review).
. "$ROOT/tests/cases/lib.sh"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
E="$ROOT/tests/workloads/agent_vary/expect"
python3 "$ROOT/tests/workloads/mkagent_vary.py" av || die "case failed"
"$CORDON" --db a.db ingest -q av/inventory av/logs
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit (an incident opened)"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM incidents")" 1 "incidents"
id=$(sqlite3 a.db "SELECT id FROM incidents")
"$CORDON" --db a.db incident "$id" -o json > inc.json
cid=$(jq -r '.escaped[0].container_id' av/truth.json | cut -c1-12)
expect_eq "$(jq -r .root inc.json)" "ctr:$cid" "root: the replica"
expect_eq "$(jq -r .workload.image inc.json | sed 's|.*/||; s|:.*||')" sbx-exec "the image of another name"
for c in $(jq -r '.credentials[].id' av/truth.json); do
	expect_eq "$(jq --arg c "$c" '[.credentials[] | select(.id == $c)] | length' inc.json)" 1 "credential $c"
done
extra=$(jq -r '.credentials[].id' inc.json | while read -r c; do
	jq -e --arg c "$c" '[.credentials[], .credentials_may[] | select(.id == $c)] | length > 0' av/truth.json \
		> /dev/null || echo "$c"; done)
expect_eq "$extra" "" "credentials the truth does not allow"
expect_eq "$(jq '[.signals[] | select(.rule == "CRED-03")] | length > 0' inc.json)" true \
	"CRED-03 on ::ffff:169.254.169.254"
expect_eq "$(jq -r '[.exposed[] | select(.kind == "imds") | .via] | index("CRED-03") != null' inc.json)" true \
	"the metadata contact exposes the node's role"
expect_eq "$(jq -r '[.credentials[] | select(.id | startswith("ASIA")) | .used_after_exposure] | all' inc.json)" \
	true "the node session used from the IPv6 address"
expect_eq "$(jq -r '.credentials[] | select(.id == "AKIAEXAMPLEV6EXFIL01") | .learned.confidence' inc.json)" high \
	"the key first used from [2001:db8:77::9], where the replica connected"
sed "s|$PWD/||g" inc.json | python3 -m json.tool --sort-keys > incident.out
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then mkdir -p "$E"; cp incident.out "$E/incident.json"; else
	diff -u "$E/incident.json" incident.out || die "incident: differs from $E/incident.json"
fi
echo "agent vary ok"
