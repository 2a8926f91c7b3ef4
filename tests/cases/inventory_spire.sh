# inventory_spire.sh - the SPIRE inventory (issue 20): `spire-server entry
# show -output json` and `agent list -output json` from
# tests/workloads/keymat/spire/inventory (mkkeymat.py spire): each entry is
# a spiffe credential that authenticates as its SPIFFE ID and that its
# parent agent issues; the SPIFFE ID and parent stay in its attributes,
# the host an agent's attestor named in the agent's.  Bad input is
# rejected with the file and line, and stores nothing.
. "$ROOT/tests/cases/lib.sh"
INV=$ROOT/tests/workloads/keymat/spire/inventory
A3=spiffe://example.org/spire/agent/x509pop/5b1e0c9d2f4a6e8b7c3d1f0a9e8d7c6b5a4f3e2d
"$CORDON" --db s.db ingest -q --json "$INV/spire-entries.json" "$INV/spire-agents.json" > sum.json ||
	die "ingest of the SPIRE inventory"
expect_eq "$(jq -r '[.inputs[].format] | sort | join(" ")' sum.json)" "spire-agents spire-entries" "formats by content"
q() { sqlite3 s.db "$1"; }
expect_eq "$(q "SELECT d.key FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst
	WHERE s.key = 'spiffe:0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c' AND e.type = 'authenticates-as'")" \
	"spiffe:spiffe://example.org/billing" "the entry's SPIFFE ID"
expect_eq "$(q "SELECT group_concat(d.key, ' ') FROM (SELECT d.key FROM graph_edges e JOIN graph_nodes s ON s.id = e.src
	JOIN graph_nodes d ON d.id = e.dst WHERE s.key = 'spiffe:$A3' AND e.type = 'issues' ORDER BY 1) d")" \
	"spiffe:0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c spiffe:c4f1e2d3-5a6b-4c7d-9e8f-0a1b2c3d4e5f" "what agent-host-3's agent issues"
expect_eq "$(q "SELECT json_extract(attrs, '\$.spiffe_id') || ' ' || json_extract(attrs, '\$.parent_id') || ' ' ||
	json_extract(attrs, '\$.selectors') FROM graph_nodes WHERE key = 'spiffe:7d2a9c4e-1b3f-4a6d-8e0c-5f9b2d1a3c7e'")" \
	"spiffe://example.org/billing spiffe://example.org/spire/agent/k8s_psat/prod/6f0c2a1e-93b4-4d7a-8e51-2c9b0d4f7a18 k8s:ns:billing
k8s:sa:billing" "entry attributes"
expect_eq "$(q "SELECT json_extract(attrs, '\$.node') FROM graph_nodes WHERE kind = 'identity' AND key LIKE 'spiffe:%/spire/agent/%' ORDER BY key")" \
	"node-9
agent-host-3" "agents' hosts (k8s_psat agent_node_name, x509pop subject CN)"
expect_eq "$(q "SELECT json_extract(attrs, '\$.attestation_type') || ' ' || json_extract(attrs, '\$.x509svid_serial_number') || ' ' ||
	json_extract(attrs, '\$.banned') FROM graph_nodes WHERE key = 'spiffe:$A3'")" "x509pop 291480215849 false" "agent attributes"
# an agent's host is no Kubernetes node: no graph node of that name
expect_eq "$(q "SELECT count(*) FROM graph_nodes WHERE kind = 'node'")" 0 "nodes from the agent list"
# whois from the entry: its SPIFFE ID
"$CORDON" --db s.db reach spiffe:0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c | grep -q 'spiffe://example.org/billing' ||
	die "reach from the entry misses its SPIFFE ID"

# bad input: named by file and line, nothing stored, the good file kept
before=$(q "SELECT count(*) FROM graph_edges")
bad() { # bad NAME TEXT WANT
	printf '%s\n' "$2" > "$1"
	rc=0; "$CORDON" --db s.db ingest -q "$1" 2> err || rc=$?
	expect_eq "$rc" 1 "$1: exit status"
	"$CORDON" --db s.db rejects | grep -q "$1.*$3" || die "$1: reject lacks '$3': $(cat err)"
}
bad td-entries.json '{"entries":[
{"id":"e1","spiffe_id":{"trust_domain":"example.org","path":"/a"},"parent_id":{"trust_domain":"Ex ample","path":"/b"}}]}' \
	"line 2: parent_id: trust domain 'Ex ample'"
bad path-entries.json '{"entries":[{"id":"e1",
"spiffe_id":{"trust_domain":"example.org","path":"a"},"parent_id":{"trust_domain":"example.org","path":"/b"}}]}' \
	"path 'a' does not start with '/'"
bad noid-entries.json '{"entries":[{"spiffe_id":{"trust_domain":"example.org","path":"/a"}}]}' "entry without an id"
bad empty-entries.json '{"entries":[], "spiffe_id": 1}' "no entries in the file"
bad notobj-agents.json '{"agents":[{"id":"spiffe://example.org/x","attestation_type":"join_token"}]}' \
	"agent id is not a {trust_domain, path} object"
bad cut-agents.json '{"agents":[{"id":{"trust_domain":"example.org","path":"/spire/agent/x"},"attestation_type":"x' \
	"JSON cut off"
expect_eq "$(q "SELECT count(*) FROM graph_edges")" "$before" "edges after the rejected files"
echo "spire inventory ok"
