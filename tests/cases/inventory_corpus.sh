# inventory_corpus.sh - conformance of the IAM inventory over the real
# get-account-authorization-details files in ../shared/corpus/iam-authz/
# (cloudsplaining fixtures, boto3 date format).  Skipped when the corpus is
# absent.  Every expected figure is computed here by jq from the file itself,
# independently of cordon: principals, statements, group memberships, the
# roles trusting ec2.amazonaws.com, and the privesc-AssumeRole chain.
. "$ROOT/tests/cases/lib.sh"
corpus=$ROOT/../shared/corpus/iam-authz
if [ ! -d "$corpus" ]; then
	echo "skipped: $corpus not present"
	exit 0
fi
n=0
for f in "$corpus"/*.json; do
	db=$TMP/c$n.db; n=$((n + 1))
	"$CORDON" --db "$db" ingest -q --json "$f" > "$db.json" || die "$f: ingest failed"
	expect_eq "$(jq -r '.inputs[0].format' "$db.json")" iam-authz "$f: format"
	for kind in user:UserDetailList group:GroupDetailList role:RoleDetailList; do
		want=$(jq ".${kind#*:} | length" "$f")
		got=$(sqlite3 "$db" "SELECT count(*) FROM graph_nodes WHERE kind = 'identity' AND label = '${kind%%:*}'")
		expect_eq "$got" "$want" "$(basename "$f"): ${kind%%:*}s"
	done
	# statements: inline, trust, and the default version of each managed policy
	want=$(jq '[.UserDetailList[].UserPolicyList[]?.PolicyDocument.Statement,
		.GroupDetailList[].GroupPolicyList[]?.PolicyDocument.Statement,
		.RoleDetailList[].RolePolicyList[]?.PolicyDocument.Statement,
		.RoleDetailList[].AssumeRolePolicyDocument.Statement,
		(.Policies[] | .PolicyVersionList[] | select(.IsDefaultVersion) | .Document.Statement)]
		| map(if type == "array" then length else 1 end) | add' "$f")
	expect_eq "$(sqlite3 "$db" "SELECT count(*) FROM graph_rules WHERE provider = 'aws'")" "$want" "$(basename "$f"): statements"
	want=$(jq '[.UserDetailList[].GroupList | length] | add' "$f")
	expect_eq "$(sqlite3 "$db" "SELECT count(*) FROM graph_edges WHERE type = 'member-of'")" "$want" "$(basename "$f"): memberships"
	want=$(jq '[.RoleDetailList[] | select([.AssumeRolePolicyDocument.Statement[] | .Principal.Service? // empty
		| if type == "array" then .[] else . end] | index("ec2.amazonaws.com"))] | length' "$f")
	got=0
	if [ "$want" != 0 ]; then
		got=$("$CORDON" --db "$db" reach --depth 1 --format json aws:service:ec2.amazonaws.com |
			jq '[.reached[] | select(.kind == "identity")] | length')
	fi
	expect_eq "$got" "$want" "$(basename "$f"): roles EC2 may assume"
done

# The privesc-AssumeRole chain of cloudsplaining-example.json: each role's
# trust names the previous role's ARN (same account), so starting-role
# reaches intermediate-role and, through it, ending-role.
f=$corpus/cloudsplaining-example.json
A=arn:aws:iam::200611803367:role
expect_eq "$(jq -r --arg r "$A/privesc-AssumeRole-intermediate-role" '.RoleDetailList[] | select(.Arn == $r)
	| .AssumeRolePolicyDocument.Statement[0].Principal.AWS' "$f")" "$A/privesc-AssumeRole-starting-role" "the trust, by jq"
db=$TMP/chain.db
"$CORDON" --db "$db" ingest -q "$f"
"$CORDON" --db "$db" reach --format json $A/privesc-AssumeRole-starting-role > "$TMP/chain.json" || true
for r in intermediate ending; do
	jq -e --arg k "aws:$A/privesc-AssumeRole-$r-role" '[.reached[] | select(.key == $k and .kind == "identity")] | length == 1' \
		"$TMP/chain.json" > /dev/null || die "starting-role should reach $r-role"
done
expect_eq "$(jq -r --arg k "aws:$A/privesc-AssumeRole-ending-role" '.reached[] | select(.key == $k and .kind == "identity") | .edges | join(",")' "$TMP/chain.json")" \
	"can-assume,can-assume" "the chain's path"
echo "inventory corpus: ok"
