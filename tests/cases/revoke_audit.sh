# cordon audit verify: the hash chain over the actions table detects an
# edited row, a deleted row (middle or end) and reordered rows, naming the
# first bad row and exiting 1; an intact chain exits 0.  The chain is keyed
# (HMAC-SHA256, key in STORE.key, 0600): rows re-forged with plain SHA-256
# by someone holding only the database fail; each run appends its head to
# STORE.witness (0600), so rows cut off the end with meta's head edited to
# match (or every row deleted) fail too.  An old store's unkeyed chain
# still verifies, and says so.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
S=AuditCallerSecret00000000000000000000001
cat > seed.json <<JSON
{"callers":[{"id":"AKIACALLER0000000001","secret":"$S"}],
 "users":{"u":{"keys":[{"id":"AKIAAUDIT00000000001","secret":"x1","status":"Active"},
                      {"id":"AKIAAUDIT00000000002","secret":"x2","status":"Active"}]}}}
JSON
emu_start aws "$TMP/emu" --seed seed.json
export AWS_ACCESS_KEY_ID=AKIACALLER0000000001 AWS_SECRET_ACCESS_KEY=$S AWS_ENDPOINT_URL=$EMU_AWS_URL
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
DB="$TMP/a.db"
C() { "$CORDON" --db "$DB" "$@"; }
C revoke aws-key AKIAAUDIT00000000001 --disable --who alice@laptop > /dev/null
C revoke aws-key AKIAAUDIT00000000002 --disable > /dev/null
C revoke aws-key AKIAAUDIT00000000001 --disable > /dev/null
C revoke aws-key AKIAAUDIT00000000002 --delete > /dev/null
C audit verify > v || die "intact chain: $(cat v)"
grep -q "intact: 8 rows, hash chain verified (keyed HMAC-SHA256)" v || die "verify: $(cat v)"
grep -q "witness $DB.witness: 4 heads, the latest row 8 is in the chain" v || die "witness: $(cat v)"
# each action is an intent row then an outcome row
C audit list --format json > l
jq -e '.actions | length == 8 and .[0].who == "alice@laptop" and .[0].result == "intent" and .[0].outcome == 2 and .[1].result == "done" and .[5].result == "already" and .[7].action == "delete-key"' l > /dev/null || die "list: $(cat l)"
jq -e '.actions[1].http_status == 200 and (.actions[1].request_id | length > 8) and (.actions[1].verified | test("Inactive")) and .actions[1].undo == "enable-key AKIAAUDIT00000000001"' l > /dev/null || die "row content: $(cat l)"
jq -e '.actions[0].http_status == null and (.actions[0].request | test("UpdateAccessKey AccessKeyId=AKIAAUDIT00000000001 Status=Inactive"))' l > /dev/null || die "intent content: $(cat l)"
# the key and the witness: outside the store, owner-only
expect_eq "$(stat -c %a "$DB.key")" 600 "key file mode"
expect_eq "$(stat -c %a "$DB.witness")" 600 "witness file mode"
expect_eq "$(wc -l < "$DB.witness" | tr -d ' ')" 4 "one witness line per run"
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null; cp "$DB" pristine.db
cp "$DB.key" pristine.db.key; cp "$DB.witness" pristine.db.witness

# tamper WHAT ROW SQL: apply SQL to a copy of the intact trail; verify must
# report it broken at ROW
tamper() {
	cp pristine.db t.db; cp pristine.db.key t.db.key; sqlite3 t.db "$3"
	set +e
	"$CORDON" --db t.db audit verify > out 2>&1; rc=$?
	set -e
	expect_eq $rc 1 "$1: exit status"
	grep -q "BROKEN at row $2" out || die "$1: $(cat out)"
}
tamper "edited result" 2 "UPDATE actions SET result='failed' WHERE id=2"
tamper "edited who" 1 "UPDATE actions SET who='mallory' WHERE id=1"
# an edit that also recomputes nothing but swaps the hash of another row
tamper "copied hash" 2 "UPDATE actions SET hash=(SELECT hash FROM actions WHERE id=3) WHERE id=2"
tamper "deleted row" 3 "DELETE FROM actions WHERE id=2"
tamper "deleted last row" 8 "DELETE FROM actions WHERE id=8"
# reordered: ids swapped
tamper "reordered rows" 1 "UPDATE actions SET id=-1 WHERE id=1; UPDATE actions SET id=1 WHERE id=2; UPDATE actions SET id=2 WHERE id=-1"
# JSON form
cp pristine.db t.db; cp pristine.db.key t.db.key; sqlite3 t.db "DELETE FROM actions WHERE id=3"
set +e; "$CORDON" --db t.db audit verify --format json > j; rc=$?; set -e
expect_eq $rc 1 "json verify"
jq -e '.intact == false and .first_bad_row == 4' j > /dev/null || die "json: $(cat j)"
# the untouched copy still verifies
"$CORDON" --db pristine.db audit verify > /dev/null || die "pristine copy"
"$CORDON" --db pristine.db audit verify --witness pristine.db.witness > /dev/null || die "pristine copy, explicit witness"
if grep -qaF "$S" "$DB" pristine.db; then die "secret in the store"; fi

# forge DB MODE: rewrite every row's prev_hash/hash and meta's head as cordon
# would, MODE v1 (plain SHA-256: all a database holder can do) or v2:KEYFILE
cat > forge.py <<'PY'
import hashlib, hmac, sqlite3, sys
db, mode = sys.argv[1], sys.argv[2]
cols = ['id', 'ts_ns', 'who', 'plan', 'provider', 'action', 'target', 'request', 'http_status',
        'request_id', 'result', 'verified', 'undo_of', 'undo', 'detail']
key = None
if mode.startswith('v2:'):
    kv = dict(l.split(' ', 1) for l in open(mode[3:]).read().splitlines()[1:])
    key = bytes.fromhex(kv['key'])
con = sqlite3.connect(db)
prev = bytes(32)
last = 0
for r in con.execute('SELECT %s FROM actions ORDER BY id' % ', '.join(cols)).fetchall():
    canon = b''
    for name, v in zip(cols, r):
        if v is None:
            canon += name.encode() + b'=-\n'
        else:
            b = str(v).encode()
            canon += name.encode() + b'=%d:' % len(b) + b + b'\n'
    if key:
        h = hmac.new(key, b'cordon-audit-v2\n' + prev + canon, hashlib.sha256).digest()
    else:
        h = hashlib.sha256(b'cordon-audit-v1\n' + prev + canon).digest()
    con.execute('UPDATE actions SET prev_hash = ?, hash = ? WHERE id = ?', (prev if r[0] > 1 else None, h, r[0]))
    prev, last = h, r[0]
con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('audit_head', ?)", ('%d:%s' % (last, prev.hex()),))
con.commit()
PY
# broken FILE WHY: verify of t.db exited 1 and said WHY
broken() {
	set +e; "$CORDON" --db t.db audit verify "$@" > out 2>&1; rc=$?; set -e
	expect_eq $rc 1 "$WHAT: exit status"
	grep -q "$WHY" out || die "$WHAT: $(cat out)"
}
fresh() { cp pristine.db t.db; cp pristine.db.key t.db.key; cp pristine.db.witness t.db.witness; }

# --- truncation: the last run's rows cut off, meta's head edited to match ------
fresh; sqlite3 t.db "DELETE FROM actions WHERE id > 6"
sqlite3 t.db "UPDATE meta SET value = '6:' || lower(hex((SELECT hash FROM actions WHERE id = 6))) WHERE key = 'audit_head'"
WHAT="truncated, head edited" WHY="BROKEN at row 7: truncated: the witness recorded the head at row 8" broken
WHAT="truncated, explicit witness" WHY="truncated: the witness recorded the head at row 8" broken --witness pristine.db.witness
# without the witness the edit is invisible: that is what the witness is for
rm t.db.witness
"$CORDON" --db t.db audit verify > out || die "truncation without a witness: $(cat out)"
grep -q "no witness file" out || die "missing witness not said: $(cat out)"
# ... and an explicit witness that is missing is an error
set +e; "$CORDON" --db t.db audit verify --witness nowhere > out 2>&1; rc=$?; set -e
expect_eq $rc 2 "missing explicit witness"
# --- every row deleted -----------------------------------------------------------
fresh; sqlite3 t.db "DELETE FROM actions; DELETE FROM meta WHERE key = 'audit_head'"
WHAT="everything deleted" WHY="truncated: the witness recorded the head at row 8 .* but the chain ends at row 0" broken

# a trail cut short is not buried under new rows: the next action refuses
# (nothing sent), since its intent cannot join the chain honestly
emu_ctl aws DELETE /requests > /dev/null
set +e; "$CORDON" --db t.db revoke aws-key AKIAAUDIT00000000001 --disable > out 2>&1; rc=$?; set -e
expect_eq $rc 2 "acting on a truncated trail"
grep -q "the witness t.db.witness recorded the trail's head at row 8, but the trail has 0 rows" out || die "truncated trail: $(cat out)"
expect_eq "$(emu_ctl aws GET /requests | jq 'length')" 0 "requests on a truncated trail"

# --- re-forged with plain SHA-256 (no key) -------------------------------------------
fresh; sqlite3 t.db "UPDATE actions SET result = 'failed', verified = NULL WHERE id = 2"
/usr/bin/python3 forge.py t.db v1
WHAT="re-forged without the key" WHY="BROKEN at row 1: row 1 was modified or re-forged: its content does not match its keyed hash" broken
# the same forge WITH the key passes the chain (so it is the key that stopped
# it above); only the witness still sees the rewritten row
fresh; sqlite3 t.db "UPDATE actions SET result = 'failed', verified = NULL WHERE id = 2"
/usr/bin/python3 forge.py t.db v2:t.db.key
WHAT="keyed forge, witness" WHY="BROKEN at row 2: rewritten: the witness recorded row 2" broken
rm t.db.witness
"$CORDON" --db t.db audit verify > out || die "keyed forge (control): $(cat out)"

# --- an older cordon's store: unkeyed chain, no key file, still verifiable -----------
# (and a key made for a longer trail than the store now holds: refused too)
fresh; rm t.db.witness; /usr/bin/python3 forge.py t.db v1
printf 'cordon-audit-key 1\nfrom 12\nkey %s\n' "$(sed -n 's/^key //p' pristine.db.key)" > t.db.key
set +e; "$CORDON" --db t.db revoke aws-key AKIAAUDIT00000000001 --disable > out 2>&1; rc=$?; set -e
expect_eq $rc 2 "acting with a key made for a longer trail"
grep -q "the audit key t.db.key was made when the trail had 11 rows, but it has 8" out || die "key ahead: $(cat out)"
fresh; rm t.db.key t.db.witness; /usr/bin/python3 forge.py t.db v1
"$CORDON" --db t.db audit verify > out || die "old unkeyed store: $(cat out)"
grep -q "intact: 8 rows, hash chain verified (unkeyed SHA-256 (no key file))" out || die "old store: $(cat out)"
# the next action keys the rows from then on
"$CORDON" --db t.db revoke aws-key AKIAAUDIT00000000001 --disable > /dev/null 2>&1 || die "action on an old store"
expect_eq "$(sed -n 's/^from //p' t.db.key)" 9 "first keyed row"
"$CORDON" --db t.db audit verify > out || die "mixed store: $(cat out)"
grep -q "intact: 10 rows, hash chain verified (keyed HMAC-SHA256 from row 9; rows before it unkeyed SHA-256 (older cordon))" out || die "mixed: $(cat out)"
# an unkeyed row forged after the key's first row fails
sqlite3 t.db "UPDATE actions SET who = 'mallory' WHERE id = 10"; /usr/bin/python3 forge.py t.db v1
WHAT="downgrade to unkeyed" WHY="BROKEN at row 9: row 9 was modified or re-forged" broken
if grep -qaF "$(sed -n 's/^key //p' pristine.db.key)" pristine.db pristine.db.witness; then die "the key is in the store"; fi
