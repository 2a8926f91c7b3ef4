# "Already done" must be proven.  Against tests/emu/aws.py: another
# account's key (GetAccessKeyLastUsed AccessDenied), a mistyped key id and a
# key this store never saw deleted all fail (exit 1) and say why, sending no
# UpdateAccessKey/DeleteAccessKey; an active key behind one transient
# NoSuchEntity is disabled, not reported "already absent"; a key that
# vanishes under the act is "already" only because its owner's list shows
# it gone; a key deleted by an earlier action of this store's trail is
# "already", citing that action.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
S=ProofCallerSecret00000000000000000000001
cat > seed.json <<JSON
{"account":"123456789012",
 "callers":[{"id":"AKIACALLER0000000001","secret":"$S"}],
 "users":{"u":{"keys":[{"id":"AKIAPROOF00000000001","secret":"x1","status":"Active"},
                      {"id":"AKIAPROOF00000000002","secret":"x2","status":"Active"}]},
          "w":{"keys":[{"id":"AKIAPROOF00000000003","secret":"x3","status":"Active"}]}},
 "foreign_keys":{"AKIAFOREIGN000000001":"999988887777"}}
JSON
emu_start aws "$TMP/emu" --seed seed.json
export AWS_ACCESS_KEY_ID=AKIACALLER0000000001 AWS_SECRET_ACCESS_KEY=$S AWS_ENDPOINT_URL=$EMU_AWS_URL
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent CORDON_HTTP_BACKOFF_MS=20
unset AWS_PROFILE AWS_SESSION_TOKEN
DB="$TMP/p.db"
C() { "$CORDON" --db "$DB" "$@"; }
key_status() { emu_ctl aws GET /state | jq -r --arg k "$1" '[.users[].keys[] | select(.id == $k) | .status][0] // "absent"'; }
acts() { emu_ctl aws GET /requests | jq '[.[] | select(.action == "UpdateAccessKey" or .action == "DeleteAccessKey")] | length'; }
fails() { # fails WHAT ARGS...: exit 1, never "already"
	what=$1; shift
	set +e; C revoke aws-key "$@" --format json > f.json 2> f.err; rc=$?; set -e
	expect_eq $rc 1 "$what: exit status"
	jq -e '.results[0].result == "failed"' f.json > /dev/null || die "$what: $(cat f.json)"
}

# --- another account's key -------------------------------------------------------
emu_ctl aws DELETE /requests > /dev/null
fails "foreign key, disable" AKIAFOREIGN000000001 --disable
jq -e '.results[0].error | test("belongs to AWS account 999988887777, not the caller.s \\(123456789012\\)")' f.json > /dev/null || die "foreign: $(cat f.json)"
fails "foreign key, delete" AKIAFOREIGN000000001 --delete
fails "foreign key, rotate" AKIAFOREIGN000000001 --rotate
expect_eq "$(acts)" 0 "requests acting on another account's key"
emu_ctl aws GET /requests | jq -e 'any(.[]; .action == "GetAccessKeyLastUsed" and .error == "AccessDenied")' > /dev/null || die "AccessDenied not exercised"

# --- a mistyped key id (same account prefix, no such key) ---------------------------
fails "mistyped key" AKIAPROOF00000000009 --disable
jq -e '.results[0].error | test("AKIAPROOF00000000009") and (test("cannot prove it is revoked") or test("belongs to AWS account"))' f.json > /dev/null || die "mistyped: $(cat f.json)"
fails "mistyped key, delete" AKIAPROOF00000000009 --delete
expect_eq "$(acts)" 0 "requests acting on a mistyped key"

# --- one transient NoSuchEntity, then the truth ------------------------------------------
emu_ctl aws POST /fault '{"match":"GetAccessKeyLastUsed","kind":"error","status":404,"code":"NoSuchEntity","message":"The Access Key with id AKIAPROOF00000000001 cannot be found.","count":1}' > /dev/null
C revoke aws-key AKIAPROOF00000000001 --disable --format json > t.json || die "transient: $(cat t.json)"
jq -e '.results[0].result == "done"' t.json > /dev/null || die "transient NoSuchEntity: $(cat t.json)"
expect_eq "$(key_status AKIAPROOF00000000001)" Inactive "key after a transient NoSuchEntity"

# --- vanished under the act: proven by the owner's list ---------------------------------
emu_ctl aws POST /fault '{"match":"UpdateAccessKey","kind":"gone"}' > /dev/null
C revoke aws-key AKIAPROOF00000000003 --disable --format json > g.json || die "gone: $(cat g.json)"
jq -e '.results[0].result == "already" and (.results[0].verified | test("absent from w.s keys"))' g.json > /dev/null || die "gone: $(cat g.json)"

# --- deleted by this trail: already, citing the action; another store cannot tell ----
C revoke aws-key AKIAPROOF00000000002 --delete --format json > d1.json || die "delete"
del=$(jq -r '.results[0].action_id' d1.json)
C revoke aws-key AKIAPROOF00000000002 --delete --format json > d2.json || die "delete twice: $(cat d2.json)"
jq -e --arg d "$del" '.results[0].result == "already" and (.results[0].verified | test("removed by action " + $d))' d2.json > /dev/null || die "delete twice: $(cat d2.json)"
C revoke aws-key AKIAPROOF00000000002 --disable --format json > d3.json || die "disable after delete: $(cat d3.json)"
jq -e '.results[0].result == "already"' d3.json > /dev/null || die "disable after delete: $(cat d3.json)"
set +e; "$CORDON" --db "$TMP/other.db" revoke aws-key AKIAPROOF00000000002 --delete > o.out 2>&1; rc=$?; set -e
expect_eq $rc 1 "a deletion another store cannot prove"
grep -q "cannot prove it is revoked" o.out || die "other store: $(cat o.out)"
C audit verify > /dev/null || die "verify"
