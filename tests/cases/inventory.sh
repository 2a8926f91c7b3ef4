# inventory.sh - identity inventory, the graph, reach and whois over the
# fixtures in tests/inventory/ (written by this project; expected reach sets
# worked out by hand from the policies, as commented below).
. "$ROOT/tests/cases/lib.sh"
INV=$ROOT/tests/inventory
db=$TMP/inv.db

# reach KEY [OPTS]: the reached node keys, sorted, one per line
reach() { s=$1; shift; "$CORDON" --db "$db" reach --format json "$@" "$s" | jq -r '.reached[].key' | sort -u; }
reach_cond() { "$CORDON" --db "$db" reach --format json "$1" | jq -r '.reached[] | select(.conditional) | .key' | sort -u; }
want() { printf "%s\n" "$@" | sort -u; }
same() { [ "$1" = "$2" ] || { printf 'got:\n%s\nwant:\n%s\n' "$1" "$2"; die "$3"; }; }
A=arn:aws:iam::111122223333

# ---- ingest: every kind recognised by content ---------------------------------
"$CORDON" --db "$db" ingest -q --json "$INV" > "$TMP/sum.json" || die "ingest of the fixtures failed"
for f in aws-authz.json:iam-authz credmap.txt:credmap k8s-pods.json:k8s-inventory \
	k8s-rbac.json:k8s-inventory k8s-nodes.json:k8s-inventory k8s-secrets.json:k8s-inventory \
	k8s-serviceaccounts.json:k8s-inventory vault-token-web.json:vault-token web-read.hcl:vault-policy \
	gcp-keys.json:gcp-keys projects-acme-prod.json:gcp-iam-policy; do
	got=$(jq -r --arg p "$INV/${f%%:*}" '.inputs[] | select(.path == $p) | .format' "$TMP/sum.json")
	expect_eq "$got" "${f#*:}" "format of ${f%%:*}"
done

# ---- AWS ------------------------------------------------------------------------
# alice: allow sts:AssumeRole on role/deploy-*; deploy-app trusts the account root
# (so she gets it); deploy-db trusts only deploy-app's ARN (so she does not, but
# deploy-app does); deploy-db may assume deploy-app again (a cycle); group devs.
same "$(reach $A:user/alice)" "$(want aws:$A:group/devs 'aws:arn:aws:s3:::logs/*' \
	'aws:'$A':role/deploy-*' aws:$A:role/deploy-app aws:$A:role/deploy-db \
	'aws:arn:aws:s3:::app-*' 'aws:*')" "alice's reach"
# the resource pattern and the role share a key: both kinds are listed
n=$("$CORDON" --db "$db" reach --format json $A:user/alice | jq '[.reached[] | select(.key == "aws:'$A':role/deploy-db")] | length')
expect_eq "$n" 2 "deploy-db as role and as sts:AssumeRole resource"
# bob: allow sts:AssumeRole on *, explicit deny on role/admin: no direct edge to
# admin, but role/wild (trusts "*", NotAction iam:*) may assume admin (trusts
# the bare account id); cond-role's trust has a Condition: conditional.
same "$(reach $A:user/bob)" "$(want 'aws:*' aws:$A:role/deploy-app aws:$A:role/deploy-db \
	'aws:arn:aws:s3:::app-*' aws:$A:role/wild aws:$A:role/admin aws:$A:role/cond-role \
	'aws:arn:aws:secretsmanager:*:111122223333:secret:prod/*')" "bob's reach"
[ "$(sqlite3 "$db" "SELECT count(*) FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst
	WHERE s.key = 'aws:$A:user/bob' AND d.key = 'aws:$A:role/admin' AND e.type = 'can-assume'")" = 0 ] \
	|| die "an explicit deny must stop bob -> admin"
same "$(reach_cond $A:user/bob)" "$(want aws:$A:role/cond-role \
	'aws:arn:aws:secretsmanager:*:111122223333:secret:prod/*')" "bob's conditional hits"
# carol: no policy of her own; same-account trust naming her ARN is enough
same "$(reach $A:user/carol)" "$(want aws:$A:role/direct-trust 'aws:*')" "carol's reach"
# dave: allow sts:* everywhere, but his permission boundary allows only s3:*
same "$(reach $A:user/dave)" "$(want 'aws:arn:aws:s3:::dave/*')" "dave's reach (boundary)"
# erin: "STS:assumerole" (actions are case-insensitive) with an MFA condition
same "$(reach_cond $A:user/erin)" "$(reach $A:user/erin)" "erin: everything conditional"
same "$(reach $A:user/erin)" "$(want aws:$A:role/cond-role 'aws:'$A':role/cond-role' \
	'aws:arn:aws:secretsmanager:*:111122223333:secret:prod/*')" "erin's reach"
# self-trust: no edge to itself, no loop
same "$(reach $A:role/self)" "$(want aws:$A:role/self)" "role/self"
# a Deny on s3:* covers the s3:GetObject allow on the same bucket
same "$(reach $A:role/ec2-node)" "$(want 'aws:*')" "ec2-node: deny removed the bucket"
# the service, the instance profile, IRSA via the trust's :sub condition
same "$(sqlite3 "$db" "SELECT s.key || ' ' || e.conditional FROM graph_edges e JOIN graph_nodes s ON s.id = e.src
	JOIN graph_nodes d ON d.id = e.dst WHERE d.key = 'aws:$A:role/ec2-node' AND e.type = 'can-assume' ORDER BY 1")" \
	"$(want "aws:$A:instance-profile/eks-node 0" 'aws:service:ec2.amazonaws.com 0')" "who may assume ec2-node"
same "$(reach system:serviceaccount:prod:web --provider aws)" "$(want aws:$A:role/irsa-web \
	'aws:arn:aws:dynamodb:us-east-1:111122223333:table/web')" "IRSA"
[ -z "$(reach_cond system:serviceaccount:prod:web)" ] || die "IRSA named by the trust is not conditional"
# --depth
same "$(reach $A:user/alice --depth 1)" "$(want aws:$A:group/devs 'aws:'$A':role/deploy-*' \
	aws:$A:role/deploy-app)" "--depth 1"

# ---- Kubernetes ------------------------------------------------------------------
# web-1 mounts db-creds (volume), api-key (env), regcred (pull secret), its SA token
same "$(reach prod/web-1 --depth 1)" "$(want env:prod/web-1:DB_URL k8s-secret:prod/api-key \
	k8s-secret:prod/db-creds k8s-secret:prod/regcred sa-token:prod/web)" "web-1 mounts"
# the Role limits web to resourceNames [db-creds]
same "$(sqlite3 "$db" "SELECT d.key FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst
	WHERE s.key = 'k8s:system:serviceaccount:prod:web' AND e.type = 'can-read-secret'")" "k8s-secret:prod/db-creds" "resourceNames"
# ci-bot: create pods in prod (a RoleBinding to a ClusterRole): every prod secret and SA token
same "$(reach k8s:ci-bot --depth 2 | grep -E '^(k8s-secret|sa-token|prod/)')" "$(want k8s-secret:prod/api-key \
	k8s-secret:prod/db-creds k8s-secret:prod/other k8s-secret:prod/regcred sa-token:prod/default \
	sa-token:prod/web prod/web-1)" "pod creation and exec in prod"
# agent: */token create and list secrets cluster-wide
reach k8s:system:serviceaccount:kube-system:agent --depth 1 > "$TMP/agent"
for k in k8s-secret:kube-system/agent-token k8s-secret:prod/other k8s:system:serviceaccount:prod:web 'k8s:secrets/*'; do
	grep -qxF "$k" "$TMP/agent" || die "agent should reach $k"
done
# impersonating service accounts cluster-wide
grep -qx k8s:system:serviceaccount:kube-system:agent <<EOF || die "alice@example.com impersonates agent"
$(reach alice@example.com --depth 1)
EOF
# the Node authorizer: node-a's kubelet reads only what pods on node-a use
same "$(sqlite3 "$db" "SELECT d.key FROM graph_edges e JOIN graph_nodes s ON s.id = e.src JOIN graph_nodes d ON d.id = e.dst
	WHERE s.key = 'k8s:system:node:node-a' AND e.type = 'can-read-secret' ORDER BY 1")" "$(want k8s-secret:prod/api-key \
	k8s-secret:prod/db-creds k8s-secret:prod/regcred)" "Node authorizer"
# escape expansion of node-a
same "$("$CORDON" --db "$db" reach --format json node-a | jq -r '.reached[] | select(.depth == 1) | .key' | sort)" \
	"$(want env:prod/web-1:DB_URL 'file:*:/root/.aws/credentials' imds:node-a k8s-secret:prod/api-key \
	k8s-secret:prod/db-creds k8s-secret:prod/regcred kubelet-cred:node-a sa-token:prod/web)" "node-a exposure"
# the instance id from providerID resolves to the node; the map's host glob is on node-b only
"$CORDON" --db "$db" reach i-0bbb3333cccc4444d --depth 1 --format json | jq -r '.reached[].key' | grep -qx 'file:node-b:/etc/ci/\*.token' \
	|| die "node-b by instance id, with its host file"
# a container id prefix (12+ hex) resolves to its container
expect_eq "$("$CORDON" --db "$db" reach --format json 4b5e57f6eb2f42b9 | jq -r .subject.kind)" container "container prefix"

# ---- Vault and GCP -------------------------------------------------------------------
same "$(reach 8609694a-cdbc-db9b-d345-e782dbb562ed --provider vault)" "$(want vault:kubernetes-prod-web \
	vault:policy/default vault:policy/web-read vault:database/creds/web 'vault:secret/data/prod/web/*')" "Vault token"
same "$(reach gcp:ops@example.com)" "$(want gcp:projects-acme-prod gcp:ci@acme-prod.iam.gserviceaccount.com)" "GCP bindings"
same "$(reach_cond gcp:contractor@example.com)" "gcp:projects-acme-prod" "GCP condition"

# ---- secret values never stored -----------------------------------------------------
for v in SUPERSECRET U1VQRVJTRUNSRVRW NEVERstored not-a-secret; do
	if cat "$db"* | grep -qa "$v"; then die "a secret value ($v) reached the store"; fi
done

# ---- whois -------------------------------------------------------------------------
"$CORDON" --db "$db" whois --format json AKIAIOSFODNN7EXAMPLE > "$TMP/w.json" || die "whois exit"
expect_eq "$(jq -r '.owners[0].key' "$TMP/w.json")" "aws:$A:user/alice" "whois owner"
expect_eq "$(jq -r '.stored[0].key' "$TMP/w.json")" 'file:*:/root/.aws/credentials' "whois stored"
expect_eq "$(jq -r '[.stored[0].exposed_by[].key] | sort | join(" ")' "$TMP/w.json")" "node-a node-b" "whois exposed by"
# nothing known is an answer (exit 0): JSON says so, stderr says what to do
"$CORDON" --db "$db" whois -o json AKIANOTHINGKNOWN0000 2> "$TMP/wu.err" | jq -e '.in_graph == false and .use.events == 0' > /dev/null || die "whois of an unknown id"
grep -q "nothing known" "$TMP/wu.err" || die "whois of an unknown id: no hint"

# ---- idempotent, and bad input loses nothing --------------------------------------------
before=$(sqlite3 "$db" "SELECT count(*) FROM graph_edges")
"$CORDON" --db "$db" ingest -q "$INV" || die "re-ingest"
expect_eq "$(sqlite3 "$db" "SELECT count(*) FROM graph_edges")" "$before" "re-ingest changes nothing"
mkdir -p "$TMP/bad"
cp "$INV/credmap.txt" "$TMP/bad/map.txt"
"$CORDON" --db "$db" ingest -q "$TMP/bad/map.txt" || die "ingest copy of the map"
before=$(sqlite3 "$db" "SELECT count(*) FROM graph_edges")
printf '# cordon credential map\n\nfile:*:/x aws AKIAX\n' > "$TMP/bad/map.txt"
rc=0; "$CORDON" --db "$db" ingest "$TMP/bad/map.txt" 2> "$TMP/err" > /dev/null || rc=$?
expect_eq "$rc" 1 "bad map exit status"
grep -q 'map.txt: line 3: 3 columns' "$TMP/err" || { cat "$TMP/err"; die "reason names file and line"; }
expect_eq "$(sqlite3 "$db" "SELECT count(*) FROM graph_edges")" "$before" "a bad file removes nothing"
"$CORDON" --db "$db" rejects --format ndjson | grep -q '3 columns' || die "the reject is listed"
printf '# cordon credential map\nfile:*:/x aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY -\n' > "$TMP/bad/secret.txt"
"$CORDON" --db "$db" ingest "$TMP/bad/secret.txt" 2> "$TMP/err" > /dev/null && die "a secret in the map must be refused"
grep -q 'looks like a secret' "$TMP/err" || die "secret refusal reason"
cat "$db"* | grep -qa wJalrXUtnFEMI && die "the refused secret reached the store"
head -c 3000 "$INV/aws-authz.json" > "$TMP/bad/cut.json"
"$CORDON" --db "$db" ingest "$TMP/bad/cut.json" 2> "$TMP/err" > /dev/null && die "a cut JSON inventory must be refused"
grep -Eq 'cut.json: line [0-9]+: (truncated JSON|JSON cut off)' "$TMP/err" || { cat "$TMP/err"; die "cut JSON reason"; }
jq '.RoleDetailList[0].AssumeRolePolicyDocument.Statement[0].Effect = "Maybe"' "$INV/aws-authz.json" > "$TMP/bad/effect.json"
"$CORDON" --db "$db" ingest "$TMP/bad/effect.json" 2> "$TMP/err" > /dev/null && die "a bad Effect must be refused"
grep -q 'Effect must be Allow or Deny' "$TMP/err" || die "Effect reason"

# ---- probing: a kubectl List is not an audit EventList, and vice versa -----------------
printf '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list","user":{"username":"x"},"stageTimestamp":"2025-06-03T10:00:00Z","requestReceivedTimestamp":"2025-06-03T10:00:00Z"}]}\n' > "$TMP/evlist.json"
"$CORDON" --db "$TMP/p.db" ingest -q --json "$TMP/evlist.json" | jq -e '.inputs[0].format == "k8saudit"' > /dev/null || die "EventList probed as k8saudit"
"$CORDON" --db "$TMP/p.db" ingest -q --json "$INV/k8s-pods.json" | jq -e '.inputs[0].format == "k8s-inventory"' > /dev/null || die "List probed as inventory"

# ---- both date formats of get-account-authorization-details -------------------------------
sed 's/"2024-01-02T03:04:05Z"/"2024-01-02 03:04:05+00:00"/g' "$INV/aws-authz.json" > "$TMP/boto.json"
"$CORDON" --db "$TMP/d.db" ingest -q "$TMP/boto.json" || die "boto3 dates"
expect_eq "$(sqlite3 "$TMP/d.db" "SELECT json_extract(attrs, '$.created') FROM graph_nodes WHERE key = 'aws:$A:user/alice'")" \
	"2024-01-02T03:04:05.000000000Z" "created date normalised"
expect_eq "$("$CORDON" --db "$TMP/d.db" reach --format json $A:user/alice | jq .count)" 9 "same reach with boto3 dates"

# ---- lineage from the sample incident's logs ------------------------------------------------
"$CORDON" --db "$TMP/l.db" ingest -q "$ROOT/examples/incident" || die "incident ingest"
same "$(reach2() { "$CORDON" --db "$TMP/l.db" reach --format json "$1" | jq -r '.reached[].key' | sort -u; }; reach2 AKIAIOSFODNN7EXAMPLE)" \
	"$(want aws:$A:user/ci-deployer aws:$A:role/deploy-admin aws:AKIAEXAMPLEPERSIST01 aws:ASIAEXAMPLEDEPLOY001)" "CloudTrail lineage"
"$CORDON" --db "$TMP/l.db" whois --format json ASIAEXAMPLENODEKEY01 > "$TMP/w.json"
expect_eq "$(jq -r '.owners[0].key' "$TMP/w.json")" "aws:$A:role/eks-node-role" "instance role session owner"
expect_eq "$(jq -r '.stored[0].key' "$TMP/w.json")" "imds:i-0a1b2c3d4e5f67890" "instance role session origin"
expect_eq "$(jq -r '.use.sources[0].src_ip' "$TMP/w.json")" "203.0.113.66" "last used from"
expect_eq "$(jq -r '.use.events' "$TMP/w.json")" 3 "uses"
"$CORDON" --db "$TMP/l.db" reach --format json ip-10-0-1-23.ec2.internal | jq -r '.reached[].key' > "$TMP/n"
for k in sa-token:prod/web k8s:JTI=7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f vault:kubernetes-prod-web; do
	grep -qxF "$k" "$TMP/n" || die "node exposure from the logs: $k"
done

# ---- whois: each use row shows its own group's last action ----------------------------------
S4=$ROOT/tests/scenarios/S4
"$CORDON" --db "$TMP/s4.db" ingest -q "$S4/inventory" "$S4/benign" "$S4/attack" || die "S4 ingest"
"$CORDON" --db "$TMP/s4.db" whois AKIAIOSFODNN7EXAMPLE > "$TMP/w.txt" || die "whois S4"
grep -q 'last action iam:ListUsers)  agent .*command/iam\.list-users$' "$TMP/w.txt" ||
	{ cat "$TMP/w.txt"; die "whois: a use row shows its own last action"; }
expect_eq "$(grep -c 'last action iam:CreateAccessKey' "$TMP/w.txt")" 1 "whois: the last event's action on its row only"
"$CORDON" --db "$TMP/s4.db" whois --format json AKIAIOSFODNN7EXAMPLE > "$TMP/w.json" || die "whois S4 json"
expect_eq "$(jq -r '[.use.sources[] | select(.user_agent | endswith("command/secretsmanager.list-secrets")) | .last_action] | join(" ")' "$TMP/w.json")" \
	secretsmanager:ListSecrets "whois json: a source's own last action"

# ---- the ingest summary: an inventory shows what it stored, the columns line up ----------------
"$CORDON" --db "$TMP/t.db" ingest "$INV/projects-acme-prod.json" "$INV/k8s-pods.json" \
	"$ROOT/examples/incident/falco.json" > "$TMP/table" || die "summary ingest"
# the last character of every row's EVENTS cell sits under the header's (gcp-iam-policy fits)
w=$(head -1 "$TMP/table" | awk '{ print index($0, "EVENTS") + 5 }')
awk -v w="$w" 'substr($0, w, 1) == " " || substr($0, w + 1, 1) != " " { print; bad = 1 } END { exit bad }' \
	"$TMP/table" || die "summary columns out of line"
grep -Eq '^gcp-iam-policy +- +- +0 +[0-9]+  .*/projects-acme-prod\.json \(graph: [1-9][0-9]* nodes, [1-9][0-9]* edges\)$' \
	"$TMP/table" || { cat "$TMP/table"; die "summary row of an inventory"; }
grep -Eq '^falco +3 +0 +0 ' "$TMP/table" || die "summary row of a log"
"$CORDON" --db "$TMP/t2.db" ingest -q --json "$INV/k8s-pods.json" "$ROOT/examples/incident/falco.json" > "$TMP/sum2.json"
jq -e '(.inputs[0] | .nodes > 0 and .edges > 0 and .events == 0) and (.inputs[1] | has("nodes") | not)' \
	"$TMP/sum2.json" > /dev/null || { cat "$TMP/sum2.json"; die "summary JSON nodes and edges"; }

# ---- usage errors -------------------------------------------------------------------------
# nothing found is an answer: exit 0, said on stderr, and an empty reach in JSON
rc=0; "$CORDON" --db "$db" reach nosuchthing 2> "$TMP/err" || rc=$?; expect_eq $rc 0 "unknown subject"
grep -q 'not in the identity graph' "$TMP/err" || die "unknown subject message"
"$CORDON" --db "$db" reach -o json nosuchthing 2> /dev/null | jq -e '.subject.in_graph == false and .reached == []' > /dev/null || die "unknown subject json"
rc=0; "$CORDON" --db "$db" whois AKIANOSUCHKEY0000000 > "$TMP/wn" 2> "$TMP/err" || rc=$?; expect_eq $rc 0 "unknown credential"
grep -q 'nothing known' "$TMP/err" || die "unknown credential message"
rc=0; "$CORDON" --db "$db" reach --depth x a 2> /dev/null || rc=$?; expect_eq $rc 2 "bad --depth"
"$CORDON" reach --help | grep -q 'exit status' || die "reach --help"
"$CORDON" whois --help | grep -q 'exit status' || die "whois --help"
echo "inventory: ok"
