# revoke apply of a multi-phase plan while other processes contend for the
# store: a transaction holder that keeps taking and releasing the write
# lock (BEGIN IMMEDIATE, as a correlate batch or a second ingest would),
# `cordon correlate` runs, and readers in a loop.  Whatever the
# interleaving, every change the emulator saw (UpdateAccessKey,
# DeleteAccessKey, PutRolePolicy, DeleteLoginProfile answered 200) has its
# intent row, committed before the request arrived, and its outcome row;
# nothing was acted on unrecorded, no outcome is unknown, and the chain and
# its witness verify.  A second apply under a lock held throughout sends
# nothing at all.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
S=ContentionCallerSecret00000000000000001
users='' ; steps=''
for u in 1 2 3 4; do
	users="$users${users:+,}\"u$u\":{\"keys\":[{\"id\":\"AKIACONTEND0000000${u}1\",\"secret\":\"s\",\"status\":\"Active\"},{\"id\":\"AKIACONTEND0000000${u}2\",\"secret\":\"s\",\"status\":\"Active\"}],\"login_profile\":true}"
	steps="$steps${steps:+,}{\"provider\":\"aws\",\"action\":\"disable-key\",\"target\":\"AKIACONTEND0000000${u}1\"}"
	steps="$steps,{\"provider\":\"aws\",\"action\":\"delete-key\",\"target\":\"AKIACONTEND0000000${u}2\"}"
	steps="$steps,{\"provider\":\"aws\",\"action\":\"delete-login-profile\",\"target\":\"u$u\"}"
done
steps="$steps,{\"provider\":\"aws\",\"action\":\"revoke-role-sessions\",\"target\":\"node-role\"}"
printf '{"callers":[{"id":"AKIACALLER0000000001","secret":"%s"}],"users":{%s},"roles":{"node-role":{"policies":{}}}}' "$S" "$users" > seed.json
printf '{"steps":[%s]}' "$steps" > plan.json
emu_start aws "$TMP/emu" --seed seed.json
export AWS_ACCESS_KEY_ID=AKIACALLER0000000001 AWS_SECRET_ACCESS_KEY=$S AWS_ENDPOINT_URL=$EMU_AWS_URL
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
unset AWS_PROFILE AWS_SESSION_TOKEN CORDON_AUDIT_WAIT
DB="$TMP/c.db"
C() { "$CORDON" --db "$DB" "$@"; }
wait_file() {
	i=0; while [ ! -f "$1" ]; do i=$((i + 1)); [ $i -lt 1200 ] || die "$1 never appeared"; sleep 0.05; done
}
# the store exists
C revoke aws-user-keys u1 > /dev/null || die "store"
C correlate > /dev/null 2>&1 || die "correlate on an empty store"
# spread the run out so the contenders land inside it
emu_ctl aws POST /fault '{"match":"UpdateAccessKey|DeleteAccessKey|DeleteLoginProfile","kind":"slow","delay":0.15,"count":-1}' > /dev/null
emu_ctl aws DELETE /requests > /dev/null

# contenders: readers, a lock holder taking turns, correlate runs
rm -f stop
/usr/bin/python3 "$ROOT/tests/emu/lockhold.py" "$DB" r1.ready stop --reads > r1.out & R1=$!
/usr/bin/python3 "$ROOT/tests/emu/lockhold.py" "$DB" r2.ready stop --reads > r2.out & R2=$!
(
	n=0
	while [ ! -f stop ]; do
		n=$((n + 1)); rm -f "h$n.release"
		/usr/bin/python3 "$ROOT/tests/emu/lockhold.py" "$DB" "h$n.ready" "h$n.release" & h=$!
		i=0; while [ ! -f "h$n.ready" ] && [ $i -lt 1200 ]; do i=$((i + 1)); sleep 0.02; done
		sleep 0.3; touch "h$n.release"; wait $h || exit 1
		sleep 0.05
	done
	echo "$n" > holds
) & HOLDERS=$!
(
	n=0
	while [ ! -f stop ]; do
		"$CORDON" --db "$DB" correlate > /dev/null 2>&1 || { echo "correlate failed" > correlate.err; exit 1; }
		n=$((n + 1)); sleep 0.1
	done
	echo "$n" > correlates
) & CORR=$!
wait_file r1.ready; wait_file r2.ready; wait_file h1.ready

set +e
C revoke apply plan.json --yes --jobs 4 --format json < /dev/null > res.json 2> res.err; rc=$?
set -e
touch stop
wait $R1 $R2 || die "a reader failed"
wait $HOLDERS || die "the lock holder failed"
wait $CORR; [ ! -f correlate.err ] || die "a correlate run failed beside revoke"
expect_eq $rc 0 "apply under contention ($(cat res.err))"
jq -e '.summary.actions == 13 and .summary.failed == 0' res.json > /dev/null || die "results: $(cat res.json)"
[ "$(cat holds)" -ge 1 ] || die "no lock holds happened"

# every provider-side change has its intent (before the request) and outcome
emu_ctl aws GET /requests > log.json
jq -r '.[] | select(.status == 200 and (.action == "UpdateAccessKey" or .action == "DeleteAccessKey" or .action == "PutRolePolicy" or .action == "DeleteLoginProfile"))
	| [.action, (.params.AccessKeyId // .params.RoleName // .params.UserName), (.ts * 1000000 | floor)] | @tsv' log.json > changes
expect_eq "$(wc -l < changes | tr -d ' ')" 13 "provider changes"
while IFS="$(printf '\t')" read -r act target ts_us; do
	row=$(sqlite3 "$DB" "SELECT i.id, i.ts_ns / 1000, o.id, o.result FROM actions i JOIN actions o ON o.id = (SELECT min(n.id) FROM actions n WHERE n.id > i.id AND n.target = i.target AND n.action = i.action AND n.provider = i.provider)
		WHERE i.result = 'intent' AND i.target = '$target'")
	[ -n "$row" ] || die "$act $target reached the provider with no intent row"
	iid=${row%%|*}; rest=${row#*|}; its=${rest%%|*}; rest=${rest#*|}
	[ "$its" -le "$ts_us" ] || die "$act $target: intent row $iid written after the request ($its > $ts_us)"
	case $rest in *"|done") ;; *) die "$act $target: outcome $rest" ;; esac
done < changes
jq -e 'all(.results[]; .audit == "recorded")' res.json > /dev/null || die "results: $(cat res.json)"
C audit verify > v || die "verify: $(cat v)"
grep -q "intact: 26 rows" v || die "verify: $(cat v)"
if grep -q "outcome unknown" v; then die "unknown outcomes: $(cat v)"; fi

# a lock held throughout: the second plan sends nothing, says so, exits 2
emu_ctl aws DELETE /faults > /dev/null; emu_ctl aws DELETE /requests > /dev/null
rm -f hold.ready hold.release
/usr/bin/python3 "$ROOT/tests/emu/lockhold.py" "$DB" hold.ready hold.release & H=$!
wait_file hold.ready
set +e; CORDON_AUDIT_WAIT=1 C revoke apply plan.json --yes < /dev/null > r2 2> e2; rc=$?; set -e
touch hold.release; wait $H
expect_eq $rc 2 "apply under a lock held throughout"
expect_eq "$(emu_ctl aws GET /requests | jq 'length')" 0 "requests sent without an intent"
grep -q "they were not sent" e2 || die "message: $(cat e2)"
C audit verify > /dev/null || die "verify after the refused run"
