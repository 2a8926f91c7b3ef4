# cordon audit verify: the hash chain over the actions table detects an
# edited row, a deleted row (middle or end) and reordered rows, naming the
# first bad row and exiting 1; an intact chain exits 0.
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
grep -q "intact: 4 rows" v || die "verify: $(cat v)"
C audit list --format json > l
jq -e '.actions | length == 4 and .[0].who == "alice@laptop" and .[0].result == "done" and .[2].result == "already" and .[3].action == "delete-key"' l > /dev/null || die "list: $(cat l)"
jq -e '.actions[0].http_status == 200 and (.actions[0].request_id | length > 8) and (.actions[0].verified | test("Inactive")) and .actions[0].undo == "enable-key AKIAAUDIT00000000001"' l > /dev/null || die "row content: $(cat l)"
cp "$DB" pristine.db; sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null; cp "$DB" pristine.db

# tamper WHAT ROW SQL: apply SQL to a copy of the intact trail; verify must
# report it broken at ROW
tamper() {
	cp pristine.db t.db; sqlite3 t.db "$3"
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
tamper "deleted last row" 4 "DELETE FROM actions WHERE id=4"
# reordered: ids swapped
tamper "reordered rows" 1 "UPDATE actions SET id=-1 WHERE id=1; UPDATE actions SET id=1 WHERE id=2; UPDATE actions SET id=2 WHERE id=-1"
# JSON form
cp pristine.db t.db; sqlite3 t.db "DELETE FROM actions WHERE id=3"
set +e; "$CORDON" --db t.db audit verify --format json > j; rc=$?; set -e
expect_eq $rc 1 "json verify"
jq -e '.intact == false and .first_bad_row == 4' j > /dev/null || die "json: $(cat j)"
# the untouched copy still verifies
"$CORDON" --db pristine.db audit verify > /dev/null || die "pristine copy"
if grep -qaF "$S" "$DB" pristine.db; then die "secret in the store"; fi
