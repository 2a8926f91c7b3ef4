# An action is recorded before it is taken.  While another process holds
# the store's write lock, `revoke aws-key --disable`, `revoke apply` and
# `revoke undo` send NO request to the provider and fail clearly (exit 2);
# released, the same command writes an intent row before acting and an
# outcome row after, and the chain verifies.  When the lock is taken
# between the intent and the outcome (the emulator holds the acting
# request until the holder has the lock), the action was sent and its
# intent row stays, listed as "outcome unknown" by audit list and verify.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
S=IntentCallerSecret0000000000000000000001
cat > seed.json <<JSON
{"callers":[{"id":"AKIACALLER0000000001","secret":"$S"}],
 "users":{"u":{"keys":[{"id":"AKIAINTENT0000000001","secret":"x1","status":"Active"},
                      {"id":"AKIAINTENT0000000002","secret":"x2","status":"Active"}]},
          "v":{"keys":[{"id":"AKIAINTENT0000000003","secret":"x3","status":"Active"}]}}}
JSON
emu_start aws "$TMP/emu" --seed seed.json
export AWS_ACCESS_KEY_ID=AKIACALLER0000000001 AWS_SECRET_ACCESS_KEY=$S AWS_ENDPOINT_URL=$EMU_AWS_URL
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
unset AWS_PROFILE AWS_SESSION_TOKEN
# how long an append waits for the lock (default 60 s): the holder below
# never lets go while cordon waits, so a short wait only makes this quicker
export CORDON_AUDIT_WAIT=1
DB="$TMP/i.db"
C() { "$CORDON" --db "$DB" "$@"; }
key_status() { emu_ctl aws GET /state | jq -r --arg k "$1" '[.users[].keys[] | select(.id == $k) | .status][0] // "absent"'; }
nreq() { emu_ctl aws GET /requests | jq 'length'; }
wait_file() { # wait_file PATH: until it exists (bounded)
	i=0; while [ ! -f "$1" ]; do i=$((i + 1)); [ $i -lt 1200 ] || die "$1 never appeared"; sleep 0.05; done
}
hold() { # take the store's write lock in another process
	rm -f ready release
	/usr/bin/python3 "$ROOT/tests/emu/lockhold.py" "$DB" ready release & HOLDER=$!
	wait_file ready
}
unhold() { touch release; wait $HOLDER || die "lock holder failed"; }

# the store exists: one action, unopposed (its outcome row is undone below)
C revoke aws-key AKIAINTENT0000000003 --disable --format json > first || die "first action"
first=$(jq -r '.results[0].action_id' first)

# --- held: nothing is sent -------------------------------------------------------
emu_ctl aws DELETE /requests > /dev/null
hold
set +e
C revoke aws-key AKIAINTENT0000000001 --disable > out 2> err; rc1=$?
set -e
expect_eq "$(nreq)" 0 "provider requests while the one-liner's intent could not be recorded"
set +e
printf '{"steps":[{"provider":"aws","action":"disable-key","target":"AKIAINTENT0000000001"},{"provider":"aws","action":"delete-key","target":"AKIAINTENT0000000002"}]}' > plan.json
C revoke apply plan.json --yes < /dev/null > aout 2> aerr; rc2=$?
C revoke undo "$first" > uout 2> uerr; rc3=$?
set -e
unhold
expect_eq $rc1 2 "one-liner under a held lock"
expect_eq $rc2 2 "apply under a held lock"
expect_eq $rc3 2 "undo under a held lock"
for e in err aerr uerr; do
	grep -q "cannot record the intent of the next actions in the audit trail (database is locked" $e \
		&& grep -q "they were not sent" $e || die "message ($e): $(cat $e)"
done
grep -q "not sent: the audit trail could not be written" out || die "result line: $(cat out)"
expect_eq "$(nreq)" 0 "provider requests while the intent could not be recorded"
expect_eq "$(key_status AKIAINTENT0000000001)" Active "key 1 untouched"
expect_eq "$(key_status AKIAINTENT0000000002)" Active "key 2 untouched"
expect_eq "$(key_status AKIAINTENT0000000003)" Inactive "key 3 not re-enabled"
expect_eq "$(sqlite3 "$DB" "SELECT count(*) FROM actions")" 2 "no rows for what was not done"
C audit verify > v || die "verify after refusals: $(cat v)"

# --- released: intent, then outcome ------------------------------------------------
C revoke aws-key AKIAINTENT0000000001 --disable --format json > ok || die "after release: $(cat ok)"
jq -e '.results[0].result == "done" and .results[0].audit == "recorded" and .results[0].intent_id + 1 == .results[0].action_id' ok > /dev/null || die "result: $(cat ok)"
iid=$(jq -r '.results[0].intent_id' ok)
sqlite3 "$DB" "SELECT result, http_status IS NULL, request LIKE '%UpdateAccessKey AccessKeyId=AKIAINTENT0000000001 Status=Inactive%' FROM actions WHERE id = $iid" > irow
expect_eq "$(cat irow)" "intent|1|1" "intent row: no status, the planned request"
C audit list --format json > l
jq -e --argjson i "$iid" '.actions[] | select(.id == $i) | .result == "intent" and .outcome == ($i + 1)' l > /dev/null || die "list: $(cat l)"
C audit verify > v || die "verify: $(cat v)"
grep -q "intact: 4 rows" v || die "verify: $(cat v)"
if grep -q "outcome unknown" v; then die "nothing is unknown yet: $(cat v)"; fi
# undo is an action like the others: intent and outcome, both linked
C revoke undo "$first" > u || die "undo: $(cat u)"
expect_eq "$(sqlite3 "$DB" "SELECT group_concat(result || ':' || undo_of) FROM (SELECT * FROM actions ORDER BY id DESC LIMIT 2)")" "done:$first,intent:$first" "undo rows"

# --- the lock taken between intent and outcome: outcome unknown ------------------
# the emulator holds UpdateAccessKey until ./go exists
emu_ctl aws POST /fault "{\"match\":\"UpdateAccessKey\",\"kind\":\"slow\",\"delay\":0,\"hold_until\":\"$PWD/go\"}" > /dev/null
set +e
C revoke aws-key AKIAINTENT0000000002 --disable --format json > out2 2> err2 &
CPID=$!
set -e
i=0; until emu_ctl aws GET /faults | jq -e 'length == 0' > /dev/null; do
	i=$((i + 1)); [ $i -lt 1200 ] || die "UpdateAccessKey never reached the emulator"; sleep 0.05
done
# cordon has sent UpdateAccessKey, so its intent is committed
iid2=$(sqlite3 "$DB" "SELECT id FROM actions WHERE target = 'AKIAINTENT0000000002' AND result = 'intent'")
[ -n "$iid2" ] || die "no intent row before the request was sent"
hold
touch go
set +e; wait $CPID; rc=$?; set -e
unhold
expect_eq $rc 2 "outcome not recordable"
grep -q "cannot record the outcome of actions already sent (database is locked.*intent row(s) $iid2 stay \"outcome unknown\"" err2 || die "message: $(cat err2)"
jq -e '.results[0].result == "done" and .results[0].audit == "outcome unknown"' out2 > /dev/null || die "result: $(cat out2)"
expect_eq "$(key_status AKIAINTENT0000000002)" Inactive "the action was sent"
expect_eq "$(sqlite3 "$DB" "SELECT max(id) FROM actions")" "$iid2" "the intent is the last row"
C audit list > l2
grep -A3 "^$iid2 " l2 | grep -q "outcome unknown: no outcome row was written" || die "list: $(cat l2)"
C audit list --format json | jq -e --argjson i "$iid2" '.actions[] | select(.id == $i) | .outcome == "unknown"' > /dev/null || die "json list"
C audit verify > v2 || die "verify with an unknown outcome: $(cat v2)"
grep -q "outcome unknown: 1 intent(s) without an outcome row.*intent row $iid2 (aws disable-key AKIAINTENT0000000002)" v2 || die "verify: $(cat v2)"
# an intent row is not an undoable action
set +e; C revoke undo "$iid2" > /dev/null 2> ue; rc=$?; set -e
expect_eq $rc 2 "undo of an intent row"
grep -q "is the intent of" ue || die "undo intent: $(cat ue)"
# intent rows carry the requests: never the caller's secret, anywhere cordon wrote
for f in "$DB" "$DB"-wal "$DB".witness ./*; do
	[ -f "$f" ] || continue
	case "$f" in ./seed.json) continue ;; esac
	if grep -aq "$S" "$f"; then die "the caller's secret is in $f"; fi
done
echo "no secret in the store, witness or output"
