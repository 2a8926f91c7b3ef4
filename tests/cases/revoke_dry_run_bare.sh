# revoke_dry_run_bare: --dry-run needs no credentials and no configuration at
# all.  With an empty HOME and an environment holding only PATH (no AWS_*,
# KUBECONFIG, VAULT_*, GOOGLE_*, CLOUDSDK_*, GITHUB_*, CORDON_*), every
# runbook and `revoke apply --dry-run` of a plan naming every provider exit
# 0 and print the whole plan: each step, and its requests with placeholders
# where an address or credential is missing (secrets redacted); nothing is
# sent, no store is written, no placeholder file is left behind.
. "$ROOT/tests/cases/lib.sh"
mkdir -p empty tmp
printf 'ghp_LeakedTokenDoNotLeak0000000000000001\n' > tok
bare() { env -i PATH="$PATH" HOME="$TMP/empty" TMPDIR="$TMP/tmp" "$CORDON" "$@"; }

# run NAME ARGS...: a runbook dry run; exit 0 and a "dry-run" result line
run() {
	_n=$1; shift
	bare revoke "$@" --dry-run > "$_n.out" 2> "$_n.err" || die "$_n: exit $?: $(cat "$_n.out" "$_n.err")"
	grep -q "^dry-run " "$_n.out" || die "$_n: no result line: $(cat "$_n.out")"
	[ ! -s "$_n.err" ] || die "$_n: stderr: $(cat "$_n.err")"
}
run aws-key aws-key AKIAEXPOSED000000001 --disable
grep -q "# aws credentials: no credentials found" aws-key.out || die "aws source: $(cat aws-key.out)"
grep -q "Action=UpdateAccessKey&Version=2010-05-08&AccessKeyId=AKIAEXPOSED000000001&Status=Inactive" aws-key.out || die "aws request: $(cat aws-key.out)"
run aws-rotate aws-key AKIAEXPOSED000000001 --rotate
run aws-delete aws-key AKIAEXPOSED000000001 --delete --profile ir
run aws-user-keys aws-user-keys ci
run aws-role-sessions aws-role-sessions arn:aws:iam::123456789012:role/node-role
grep -q "Action=PutRolePolicy" aws-role-sessions.out || die "role sessions: $(cat aws-role-sessions.out)"
run aws-login-profile aws-login-profile ci
run vault-accessor vault-accessor acc-1
grep -q "POST https://\$VAULT_ADDR/v1/auth/token/revoke-accessor" vault-accessor.out && grep -q "X-Vault-Token: \[REDACTED\]" vault-accessor.out \
	|| die "vault: $(cat vault-accessor.out)"
run vault-prefix vault-prefix aws/creds/deploy
run vault-secret vault-secret secret/app --destroy
run k8s-pod k8s-pod prod/web-1
run k8s-secret k8s-secret prod/aws-ci-key
run k8s-sa k8s-sa prod/web
run k8s-node k8s-node node-1 --cordon
grep -q "PATCH https://\$KUBERNETES_API_SERVER/api/v1/nodes/node-1" k8s-node.out && grep -q "Authorization: \[REDACTED\]" k8s-node.out \
	|| die "k8s: $(cat k8s-node.out)"
run gcp-key gcp-key projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com/keys/0123abcd --disable
grep -q "POST https://iam.googleapis.com/v1/projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com/keys/0123abcd:disable" gcp-key.out \
	|| die "gcp: $(cat gcp-key.out)"
run github-deploy-key github-deploy-key acme/web/101
run github-token github-token --file tok
run github-inst github-installation-token --file tok
run notify notify "escape on node-1"
grep -q "POST https://\$CORDON_WEBHOOK_URL/\[REDACTED\]" notify.out || die "webhook: $(cat notify.out)"

# a whole plan, every provider, table and JSON
cat > plan.json <<'JSON'
{"version":1,"steps":[
{"provider":"k8s","action":"delete-pod","target":"prod/web-1"},
{"provider":"k8s","action":"cordon-node","target":"node-1"},
{"provider":"aws","action":"disable-key","target":"AKIAEXPOSED000000001"},
{"provider":"aws","action":"revoke-role-sessions","target":"arn:aws:iam::123456789012:role/node-role"},
{"provider":"vault","action":"revoke-accessor","target":"acc-1"},
{"provider":"gcp","action":"disable-key","target":"projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com/keys/0123abcd"},
{"provider":"github","action":"delete-deploy-key","target":"acme/web/101"},
{"provider":"webhook","action":"notify","target":"escape on node-1"},
{"provider":"k8s","action":"rotate kubelet cert","target":"node-1"}
]}
JSON
bare revoke apply plan.json --dry-run > apply.out 2> apply.err || die "apply --dry-run: exit $?: $(cat apply.out apply.err)"
expect_eq "$(grep -c '^dry-run ' apply.out)" 8 "steps in the dry run"
for p in k8s aws vault gcp github webhook; do
	grep -q "^dry-run  $p " apply.out || die "apply: no $p step: $(cat apply.out)"
done
grep -q "^manual   k8s rotate kubelet cert node-1" apply.out || die "manual step: $(cat apply.out)"
expect_eq "$(grep -c '^  > [A-Z]* http' apply.out)" 8 "one request line per step (the first request of each)"
bare revoke apply plan.json --dry-run --format json > apply.json 2> apply.jerr || die "apply --dry-run --format json: $(cat apply.jerr)"
jq -e '.summary.dry_run == 8 and .summary.failed == 0 and (.manual | length) == 1' apply.json > /dev/null || die "json: $(cat apply.json)"
grep -q "PATCH https://\$KUBERNETES_API_SERVER/api/v1/nodes/node-1" apply.jerr || die "requests on stderr with --format json: $(cat apply.jerr)"

# nothing written: no store, no placeholder kubeconfig left, no secret printed
[ ! -e cordon.db ] && [ ! -e empty/cordon.db ] || die "a dry run created a store"
[ -z "$(ls tmp)" ] || die "placeholder files left: $(ls tmp)"
if grep -qF ghp_LeakedTokenDoNotLeak0000000000000001 ./*.out ./*.err apply.json apply.jerr; then die "the token was printed"; fi
echo "revoke_dry_run_bare: ok"
