# tui_revoke.sh - revoke the sample incident's plan from `cordon tui`
# against the loopback emulators (AWS throttling once with Retry-After,
# Vault failing every request), through the path of `revoke apply`: the
# preview shows the dry-run requests, a wrong confirmation sends nothing,
# the typed incident id runs it; the screen shows each result, the
# providers' state changed, the actions table holds an intent and an
# outcome for every attempt, `cordon audit verify` passes, no secret is on
# any screen.  Then a reversible action (cordon-node) is undone from the
# plan.  --read-only refuses to revoke and leaves the store's bytes as
# they were.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
. "$ROOT/tests/tui/lib.sh"
EMU_ON_EXIT=tui_kill
SECRET=TuiCallerSecret000000000000000000000001
TOKEN=TuiK8sAdminDoNotLeak000000001
VTOKEN=hvs.TuiVaultRootDoNotLeak0001
KEYSECRET=TuiLeakedKeySecret00000000000000000001
cat > aws.json <<JSON
{"account":"111122223333",
 "callers":[{"id":"AKIATUICALLER0000001","secret":"$SECRET"}],
 "users":{"ci-deployer":{"keys":[{"id":"AKIAIOSFODNN7EXAMPLE","secret":"$KEYSECRET","status":"Active"},
                                 {"id":"AKIAEXAMPLEPERSIST01","secret":"$KEYSECRET","status":"Active"}]}},
 "roles":{"eks-node-role":{"policies":{}}}}
JSON
cat > k8s.json <<JSON
{"tokens":[{"token":"$TOKEN","user":"admin"}],
 "namespaces":{"prod":{"pods":{"web-7d9f8b6c5-x2k4q":{"spec":{"nodeName":"ip-10-0-1-23.ec2.internal"}}}}},
 "nodes":{"ip-10-0-1-23.ec2.internal":{"spec":{"unschedulable":false}}}}
JSON
cat > vault.json <<JSON
{"tokens":[{"id":"$VTOKEN","accessor":"acc-root","policies":["root"]}]}
JSON
emu_start aws "$TMP/emu" --seed aws.json
emu_start k8s "$TMP/emu" --seed k8s.json
emu_start vault "$TMP/emu" --seed vault.json
emu_kubeconfig kubeconfig "$TOKEN"
# AWS throttles the first key update (Retry-After); Vault fails everything
emu_ctl aws POST /fault '{"match":"UpdateAccessKey","kind":"throttle","count":1,"retry_after":1}' > /dev/null
emu_ctl vault POST /fault '{"match":".*","kind":"5xx","status":503,"count":-1}' > /dev/null

"$CORDON" --db s.db ingest -q "$ROOT/examples/incident"
"$CORDON" --db s.db correlate > /dev/null || :
id=$("$CORDON" --db s.db incidents --format json | jq -r '.incidents[0].id')
ENV="AWS_ACCESS_KEY_ID=AKIATUICALLER0000001 AWS_SECRET_ACCESS_KEY=$SECRET AWS_ENDPOINT_URL=$EMU_AWS_URL"
ENV="$ENV AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent KUBECONFIG=$PWD/kubeconfig"
ENV="$ENV VAULT_ADDR=$EMU_VAULT_URL VAULT_TOKEN=$VTOKEN CORDON_HTTP_BACKOFF_MS=50"
ENV="$ENV CORDON_AUDIT_WAIT=5"
screens=""
snap() { tui_screen > "screen-$1.txt"; screens="$screens screen-$1.txt"; }

# --read-only first: refused, and the store's bytes do not change
sqlite3 s.db "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
before=$(cat s.db s.db-wal 2>/dev/null | sha256sum)
tui_open 80 24 "env $ENV $CORDON --db s.db tui --read-only"
tui_wait "$id"
tui_wait "READ-ONLY"
tui_keys Enter Tab Tab
tui_wait "[Plan]"
tui_wait "read-only: revoke disabled"
tui_keys a r
tui_wait "revocation is disabled"
snap readonly
tui_keys q q
tui_wait "TUI-EXIT=0"
[ "$(cat s.db s.db-wal 2>/dev/null | sha256sum)" = "$before" ] || die "--read-only changed the store"
expect_eq "$(sqlite3 s.db 'SELECT count(*) FROM actions')" 0 "actions after --read-only"

tui_open 100 30 "env $ENV $CORDON --db s.db tui"
tui_wait "$id"
tui_keys Enter Tab Tab
tui_wait "[Plan]"
tui_keys a
tui_wait "[x]  1  pending"
tui_keys r
tui_wait "preview (nothing is sent yet)"
tui_wait "dry-run: the requests below would be sent; nothing is sent"
tui_wait "DELETE"
snap preview
# a wrong confirmation sends nothing
tui_keys y
tui_wait "type $id to run"
tui_keys INC-wrong Enter
tui_wait "nothing was sent"
expect_eq "$(sqlite3 s.db 'SELECT count(*) FROM actions')" 0 "actions after a wrong confirmation"
tui_keys y
tui_wait "type $id to run"
tui_keys "$id" Enter
tui_wait "finished:" 600
snap progress
tui_screen | grep -q "finished: 7 done, 2 failed" || die "no summary: $(tui_screen)"
for want in "done     k8s   isolate-pod" "done     k8s   delete-pod" "done     k8s   cordon-node" "done     aws   disable-key" \
	"done     aws   revoke-role-sessions" "failed   vault revoke-accessor"; do
	tui_screen | grep -qF "$want" || die "screen lacks '$want': $(tui_screen)"
done
tui_screen | grep -q "verified: " || die "no read-back verification shown: $(tui_screen)"
# the providers' state changed
emu_ctl k8s GET /state | jq -e '.namespaces.prod.pods["web-7d9f8b6c5-x2k4q"] == null' > /dev/null \
	|| die "the pod is still there"
emu_ctl k8s GET /state | jq -e '.nodes["ip-10-0-1-23.ec2.internal"].unschedulable == true' > /dev/null \
	|| die "the node is not cordoned"
emu_ctl aws GET /state | jq -e '[.users["ci-deployer"].keys[] | select(.id == "AKIAIOSFODNN7EXAMPLE")][0].status == "Inactive"' \
	> /dev/null || die "the key is still active: $(emu_ctl aws GET /state)"
emu_ctl aws GET /requests | jq -e 'any(.[]; .fault == "throttle")' > /dev/null || die "AWS never throttled"
# the actions table: every attempt has its intent and its outcome, the chain holds
nauto=$("$CORDON" --db s.db revoke plan --incident "$id" --format json | jq '[.steps[] | select(.manual | not)] | length')
expect_eq "$(sqlite3 s.db "SELECT count(*) FROM actions WHERE result = 'intent'")" "$nauto" "intent rows"
expect_eq "$(sqlite3 s.db "SELECT count(*) FROM actions WHERE result != 'intent'")" "$nauto" "outcome rows"
expect_eq "$(sqlite3 s.db "SELECT count(*) FROM actions WHERE provider = 'vault' AND result = 'failed'")" 2 "vault failures"
expect_eq "$(sqlite3 s.db "SELECT count(DISTINCT plan) FROM actions")" 1 "plan names"
sqlite3 s.db "SELECT plan FROM actions LIMIT 1" | grep -q "tui incident $id" || die "plan column"
"$CORDON" --db s.db audit verify > verify.txt || die "audit verify: $(cat verify.txt)"

# back on the plan: states from the actions table, credentials cut off
tui_keys Escape
tui_wait "[Plan]"
tui_wait "done     quarantine k8s   cordon-node"
tui_wait "failed   revoke     vault revoke-accessor"
snap plan
tui_keys BTab
tui_wait "[revoked] credential aws:AKIAIOSFODNN7EXAMPLE"
tui_wait "[failed] credential vault:"
snap tree
# undo the reversible cordon-node (step 3, after the pod's isolation and deletion)
tui_keys Tab
tui_wait "[Plan]"
tui_keys g j j u
tui_wait "Undo of action"
tui_wait "{\"spec\":{\"unschedulable\":null}}"
tui_keys y
undo_id=$(sqlite3 s.db "SELECT id FROM actions WHERE action = 'cordon-node' AND result = 'done'")
tui_wait "type $undo_id to run"
tui_keys "$undo_id" Enter
tui_wait "finished:" 600
snap undo
emu_ctl k8s GET /state | jq -e '.nodes["ip-10-0-1-23.ec2.internal"].unschedulable == false' > /dev/null \
	|| die "the node is still cordoned after undo"
expect_eq "$(sqlite3 s.db "SELECT count(*) FROM actions WHERE undo_of = $undo_id AND result = 'done'")" 1 "undo row"
"$CORDON" --db s.db audit verify > verify.txt || die "audit verify after undo: $(cat verify.txt)"
# the incidents screen counts what is cut off
tui_keys Escape Escape
tui_wait "Enter open"
# four credentials cut off: two keys, the node-role session by its role, and
# the pod's bound token with its deleted pod (the undo does not make any of
# them active: it was the node's cordon)
tui_screen | grep "$id" | grep -Eq ' 6 +6 +5 +4 ' || die "cut-off count: $(tui_screen)"
snap incidents
tui_keys q
tui_wait "TUI-EXIT=0"
# no secret on any screen, nor in the store
sqlite3 s.db "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
for f in $screens s.db; do
	for sec in "$SECRET" "$TOKEN" "$VTOKEN" "$KEYSECRET"; do
		if grep -qaF -- "$sec" "$f"; then die "secret found in $f"; fi
	done
done

# Esc during a run cancels what has not started: the quarantine phase is
# slow (its intent rows are written, it runs to its outcomes), no later
# phase is recorded or sent, and the chain holds
emu_ctl k8s POST /reset > /dev/null
emu_ctl aws POST /reset > /dev/null
emu_ctl k8s POST /fault '{"match":".*","kind":"slow","delay":3,"count":2}' > /dev/null
"$CORDON" --db c.db ingest -q "$ROOT/examples/incident"
"$CORDON" --db c.db correlate > /dev/null || :
tui_open 100 30 "env $ENV $CORDON --db c.db tui"
tui_wait "$id"
tui_keys Enter Tab Tab
tui_wait "[Plan]"
tui_keys a r
tui_wait "preview (nothing is sent yet)"
tui_keys y
tui_wait "type $id to run"
tui_keys "$id" Enter
# Esc once the quarantine phase is under way: a step of it is running (the
# title says "running" as soon as the job starts, before any step does)
tui_wait "running  k8s"
tui_keys Escape
tui_wait "cancelling"
tui_wait "stopped:" 600
snap cancel
tui_screen | grep -q "not sent  *aws   disable-key" || die "later steps not marked not sent: $(tui_screen)"
tui_screen | grep -q "done     k8s   delete-pod" || die "the started phase did not finish: $(tui_screen)"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM actions WHERE provider != 'k8s'")" 0 "rows of cancelled phases"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM actions WHERE result = 'intent'")" 3 "quarantine intents"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM actions WHERE result = 'done'")" 3 "quarantine outcomes"
emu_ctl aws GET /state | jq -e '[.users["ci-deployer"].keys[] | select(.status != "Active")] | length == 0' \
	> /dev/null || die "a cancelled AWS step was sent"
"$CORDON" --db c.db audit verify > verify.txt || die "audit verify after cancel: $(cat verify.txt)"
tui_keys Escape Escape q
tui_wait "TUI-EXIT=0"
for sec in "$SECRET" "$TOKEN" "$VTOKEN" "$KEYSECRET"; do
	if grep -qaF -- "$sec" screen-cancel.txt; then die "secret found in screen-cancel.txt"; fi
done
cat screen-progress.txt
echo "tui revoked incident $id: ok"
