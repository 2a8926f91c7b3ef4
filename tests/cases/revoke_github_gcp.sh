# revoke github-* (credential revocation API, deploy keys, installation
# tokens), gcp-key and notify against tests/emu/{github,gcp,webhook}.py:
# each action twice, undo of a GCP disable, the GitHub rate limit honoured,
# tokens read from a file or stdin and never printed, argv refused.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
PAT=ghp_LeakedPatDoNotLeak000000000000000001
PAT2=github_pat_LeakedFineGrainedDoNotLeak0001
INST=ghs_InstallationTokenDoNotLeak00000001
ADMIN=ghp_ResponderTokenDoNotLeak0000000000001
GTOK=ya29.GcpTokenDoNotLeak0000000001
HOOK_PATH=/services/T000/B000/HookPathDoNotLeak01
cat > gh.json <<JSON
{"tokens":[{"token":"$PAT","id":"pat-1","user":"octocat"},{"token":"$PAT2","id":"pat-2","user":"octocat"},
           {"token":"$ADMIN","id":"admin","user":"responder"}],
 "installation_tokens":[{"token":"$INST","id":"inst-1","installation":42}],
 "repos":{"acme/web":{"keys":[{"id":101,"title":"ci deploy","key":"ssh-ed25519 AAAA","read_only":true}]}}}
JSON
cat > gcp.json <<JSON
{"tokens":["$GTOK"],
 "service_accounts":[{"email":"ci@my-proj.iam.gserviceaccount.com","unique_id":"112233445566778899000",
   "keys":[{"id":"0123abcd","disabled":false,"key_type":"USER_MANAGED"},{"id":"4567ef01","disabled":false,"key_type":"USER_MANAGED"}]}]}
JSON
printf '{"paths":["%s"],"hmac_secret":"HookHmacDoNotLeak01"}\n' "$HOOK_PATH" > hook.json
emu_start github "$TMP/emu" --seed gh.json
emu_start gcp "$TMP/emu" --seed gcp.json
emu_start webhook "$TMP/emu" --seed hook.json
export GITHUB_API_URL=$EMU_GITHUB_URL GITHUB_TOKEN=$ADMIN CORDON_HTTP_BACKOFF_MS=50
export CLOUDSDK_AUTH_ACCESS_TOKEN=$GTOK CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM=$EMU_GCP_URL/
export CORDON_WEBHOOK_URL=$EMU_WEBHOOK_URL$HOOK_PATH CORDON_WEBHOOK_SECRET=HookHmacDoNotLeak01
DB="$TMP/g.db"
C() { "$CORDON" --db "$DB" "$@"; }

# --- GitHub: leaked tokens from a file, batched, unauthenticated ----------------
printf '%s\n%s\n' "$PAT" "$PAT2" > leaked.txt
C revoke github-token --file leaked.txt --format json > o || die "github-token: $(cat o)"
# a step (and an audit row) per token, one batched call for both
jq -e '(.results | length) == 2 and all(.results[]; .result == "done")' o > /dev/null || die "gh: $(cat o)"
jq -e '[.results[].target] | any(test("^ghp_\\.\\.\\. sha256:")) and any(test("^github_\\.\\.\\. sha256:"))' o > /dev/null || die "gh targets: $(cat o)"
emu_ctl github GET /state | jq -e '.tokens["pat-1"].alive == false and .tokens["pat-2"].alive == false and .tokens.admin.alive == true' > /dev/null || die "tokens alive"
emu_ctl github GET /requests | jq -e '[.[] | select(.path == "/credentials/revoke")] | length == 1 and .[0].credentials == 2' > /dev/null || die "one batch of 2"
printf '%s\n' "$PAT" | C revoke github-token --file - > o2 || die "stdin"
grep -q "^already .*removed by action" o2 || die "github-token twice: $(cat o2)"
# a token GitHub rejects that this trail never revoked (mistyped, expired,
# another host's): not "already", exit 1, and the real one is not touched
printf '%s\n' ghp_MistypedTokenDoNotLeak00000000000009 > typo.txt
set +e; C revoke github-token --file typo.txt > o2b 2>&1; rc=$?; set -e
expect_eq $rc 1 "token never seen valid"
grep -q "cannot prove the leaked credential is revoked" o2b || die "typo token: $(cat o2b)"
emu_ctl github GET /requests | jq -e '[.[] | select(.path == "/credentials/revoke")] | length == 1' > /dev/null || die "typo token was sent for revocation"
set +e; C revoke github-token "$PAT" > o3 2>&1; rc=$?; set -e
expect_eq $rc 2 "token on argv refused"
# rate limited (403 + x-ratelimit-remaining: 0 + reset): waits until reset, then succeeds
printf '%s\n' "$INST" > inst.txt
emu_ctl github POST /fault '{"match":"/user","kind":"throttle","count":1,"retry_after":2}' > /dev/null
t0=$(date +%s.%N)
C revoke github-installation-token --file inst.txt > o4 || die "installation token: $(cat o4)"
t1=$(date +%s.%N)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "github rate limit: retry-after 2s, elapsed ${el}s"
awk -v e="$el" 'BEGIN { exit !(e >= 2) }' || die "GitHub retry-after not honoured: ${el}s"
grep -q "^done" o4 || die "installation: $(cat o4)"
C revoke github-installation-token --file inst.txt > o5 || die "installation twice"
grep -q "^already .*removed by action" o5 || die "installation twice: $(cat o5)"
# an installation token of another app (GitHub rejects it; never ours): exit 1
printf '%s\n' ghs_OtherAppTokenDoNotLeak0000000000009 > other.txt
set +e; C revoke github-installation-token --file other.txt > o5b 2>&1; rc=$?; set -e
expect_eq $rc 1 "installation token never seen valid"
grep -q "cannot prove the leaked credential is revoked" o5b || die "other app token: $(cat o5b)"
C revoke github-deploy-key acme/web/101 > o6 || die "deploy key: $(cat o6)"
grep -q "^done" o6 || die "deploy key: $(cat o6)"
C revoke github-deploy-key acme/web/101 > o7 || die "deploy key twice"
grep -q "^already .*absent; removed by action" o7 || die "deploy key twice: $(cat o7)"
# a repository the token cannot see answers 404 like a deleted key: not "already"
set +e; C revoke github-deploy-key other-org/secret-repo/7 > o8 2>&1; rc=$?; set -e
expect_eq $rc 1 "deploy key in an invisible repository"
grep -q "cordon cannot prove it is revoked" o8 || die "invisible repo: $(cat o8)"

# --- GCP: disable, twice, undo, delete, twice ------------------------------------------
K=projects/my-proj/serviceAccounts/ci@my-proj.iam.gserviceaccount.com/keys/0123abcd
C revoke gcp-key "$K" --disable --format json > g1 || die "gcp disable: $(cat g1)"
jq -e '.results[0].result == "done"' g1 > /dev/null || die "gcp: $(cat g1)"
emu_ctl gcp GET /state | jq -e '.service_accounts["ci@my-proj.iam.gserviceaccount.com"].keys["0123abcd"].disabled == true' > /dev/null || die "key enabled"
C revoke gcp-key "$K" --disable > g2 || die "gcp disable twice"
grep -q "^already" g2 || die "gcp twice: $(cat g2)"
C revoke undo "$(jq -r '.results[0].action_id' g1)" > g3 || die "gcp undo: $(cat g3)"
emu_ctl gcp GET /state | jq -e '.service_accounts["ci@my-proj.iam.gserviceaccount.com"].keys["0123abcd"].disabled == false' > /dev/null || die "undo"
C revoke gcp-key "$K" --delete > g4 || die "gcp delete: $(cat g4)"
grep -q "^done" g4 || die "gcp delete: $(cat g4)"
C revoke gcp-key "$K" --delete > g5 || die "gcp delete twice"
grep -q "^already .*absent; removed by action" g5 || die "gcp delete twice: $(cat g5)"
# a key id this store never deleted, absent now (mistyped): not "already"
set +e; C revoke gcp-key "${K%/*}/0000000000000000000000000000000000000000" --disable > g7 2>&1; rc=$?; set -e
expect_eq $rc 1 "absent gcp key"
grep -q "key not found (404).*cordon cannot prove it is revoked" g7 || die "absent gcp key: $(cat g7)"
set +e; CLOUDSDK_AUTH_ACCESS_TOKEN=ya29.wrong C revoke gcp-key "$K" --disable > g6 2>&1; rc=$?; set -e
expect_eq $rc 1 "bad GCP token"
grep -q "HTTP 401" g6 || die "bad token: $(cat g6)"

# --- webhook: signed, idempotency key, text redacted, URL path never shown ------------------
C revoke notify "cordon: incident INC-1 contained; token=ghp_abcdefghijklmnopqrstuvwxyz0123456789" > n || die "notify: $(cat n)"
grep -q "^done" n || die "notify: $(cat n)"
emu_ctl webhook GET /state > ws
jq -e '.received | length == 1 and .[0].signature_valid == true and (.[0].body.text | test("REDACTED")) and (.[0].body.text | test("ghp_abc") | not)' ws > /dev/null || die "webhook state: $(cat ws)"
C revoke notify hello --dry-run > nd || die "notify dry-run"
grep -q "\[REDACTED\]" nd || die "dry-run URL: $(cat nd)"

C audit verify > /dev/null || die audit
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
for s in "$PAT" "$PAT2" "$INST" "$ADMIN" "$GTOK" HookPathDoNotLeak01 HookHmacDoNotLeak01; do
	for f in o o2 o2b o3 o4 o5 o5b o6 o7 g1 g2 g3 g4 g5 g6 n nd "$DB" "$DB-wal" "$TMP/emu/github.log" "$TMP/emu/gcp.log"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret $s found in $f"; fi
	done
done
