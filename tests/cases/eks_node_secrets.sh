# On EKS an IAM session is a Kubernetes identity too: the audit names its
# key (user.extra.accessKeyId).  Scenario S1's node-role session, stolen
# through IMDS (no kubelet file read: on EKS the kubelet authenticates with
# that role), is also used against the Kubernetes API: as
# system:node:... it reads the Secret prod/aws-ci-key, which the
# credential map says holds an AKIA key.  That Secret is exposed and its
# key joins the incident beside the session, as a Kubernetes credential's
# secret reads would (correlate/incident_assemble.c, secrets_read_by); a
# generated case (seed 80808) lost the key this way.  The read line is
# scenario S9's node read of prod/db-credentials (the same node, session
# and attacker's address, at T0 + 2 min), renamed.
. "$ROOT/tests/cases/lib.sh"
S="$ROOT/tests/scenarios/S1"
mkdir -p attack
cp "$S"/attack/* attack/
grep '"name":"db-credentials"' "$ROOT/tests/scenarios/S9/attack/k8s-audit.jsonl" | head -n 1 |
	sed 's/db-credentials/aws-ci-key/g' > attack/k8s-audit.jsonl
expect_eq "$(jq -r '[.user.extra.accessKeyId[0], .objectRef.name, .responseStatus.code] | join(" ")' attack/k8s-audit.jsonl)" \
	"ASIAQ7NODE040EXAMPLE aws-ci-key 200" "the node's read"
"$CORDON" --db s.db ingest -q "$S/inventory" "$S/benign" attack || die "ingest"
expect_eq "$("$CORDON" --db s.db rejects --limit 0 --format json | jq '.rejects | length')" 0 "rejects"
rc=0; "$CORDON" --db s.db correlate --format json > r.json || rc=$?
expect_eq "$rc" 1 "correlate exit"
expect_eq "$(jq -r '[.incidents[].credentials[].id] | sort | join(" ")' r.json)" \
	"AKIAIOSFODNN7EXAMPLE ASIAQ7NODE040EXAMPLE" "credentials"
expect_eq "$(jq -r '[.incidents[].exposed[].locator | select(. == "k8s-secret:prod/aws-ci-key")] | length' r.json)" \
	1 "the Secret read is exposed"
echo "eks node secrets ok"
