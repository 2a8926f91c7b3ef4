# cordon ingest s3://: CloudTrail's delivery layout pulled from a real
# S3-compatible server (the npm package s3rver, tests/s3) behind a SigV4
# check by botocore (tests/emu/s3proxy.py): the plan (--dry-run), per-day
# listings for chosen accounts and regions, pagination (3 keys a page),
# a not-gzip, a truncated and an empty object as rejects naming s3://bucket/key,
# reruns that fetch nothing, a changed object fetched again, an object
# whose GET keeps failing left unrecorded and fetched by the rerun, and a
# wrong secret refused before anything reaches the store.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"

if ! command -v node > /dev/null; then
	echo "skipped: node is not installed (s3rver runs on node)"
	exit 0
fi
[ -d "$ROOT/tests/s3/node_modules/s3rver" ] ||
	die "s3rver is not installed: run 'npm ci' in tests/s3 (.ci/run does)"

# s3rver's continuation tokens are DES: OpenSSL 3 needs the legacy provider
node --openssl-legacy-provider "$ROOT/tests/s3/s3rver.js" "$TMP/s3.port" "$TMP/s3data" trail $$ \
	> "$TMP/s3rver.log" 2>&1 < /dev/null &
S3RVER_PID=$!
EMU_ON_EXIT="kill $S3RVER_PID 2>/dev/null || :"
i=0
while [ ! -s "$TMP/s3.port" ]; do
	[ $i -lt 200 ] && kill -0 $S3RVER_PID 2>/dev/null || die "s3rver did not start: $(cat "$TMP/s3rver.log")"
	sleep 0.05; i=$((i + 1))
done
S3PORT=$(cat "$TMP/s3.port")
export S3PROXY_UPSTREAM=http://127.0.0.1:$S3PORT
export S3PROXY_AKID=AKIAS3PROXYTEST00001 S3PROXY_SECRET=S3SecretDoNotLeak0000000000000000000001
emu_start s3proxy "$TMP/emu"
trap '_emu_exit' EXIT

A=111122223333 B=444455556666
# 2 accounts x 2 regions x 3 days x 4 objects of 5 events, and two bad objects
printf '{"Records":[]}' > plain.json
ct_lines 3 900 | awk 'BEGIN{printf "{\"Records\":["} {printf "%s%s", (NR > 1 ? "," : ""), $0} END{print "]}"}' | gzip > whole.gz
head -c $(( $(wc -c < whole.gz) / 2 )) whole.gz > cut.gz
: > empty
D=AWSLogs/$A/CloudTrail/us-east-1/2025/06/02
out=$(/usr/bin/python3 "$ROOT/tests/s3/seed.py" "$S3PORT" trail $A,$B us-east-1,eu-west-1 \
	2025-06-01,2025-06-02,2025-06-03 4 5 "$D/${A}_CloudTrail_us-east-1_20250602T0900Z_plain.json.gz=plain.json" \
	"$D/${A}_CloudTrail_us-east-1_20250602T0901Z_cut.json.gz=cut.gz" \
	"$D/${A}_CloudTrail_us-east-1_20250602T0902Z_empty.json.gz=empty") || die "seed: $out"
expect_eq "$out" "51 240" "seeded objects and events"

export AWS_ACCESS_KEY_ID=$S3PROXY_AKID AWS_SECRET_ACCESS_KEY=$S3PROXY_SECRET
export AWS_ENDPOINT_URL=$EMU_S3PROXY_URL AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export CORDON_S3_PAGE=3 CORDON_HTTP_BACKOFF_MS=20
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
DB="$TMP/case.db"
C() { "$CORDON" --db "$DB" "$@"; }
log() { emu_ctl s3proxy GET /requests; }
gets() { log | jq '[.[] | select(.action | startswith("GET "))] | length'; }
lists() { log | jq -r '[.[] | select(.action | startswith("LIST ")) | .prefix] | unique | .[]'; }
events() { sqlite3 "$DB" 'SELECT count(*) FROM events'; }
FILTER="--account $A --region us-east-1 --since 2025-06-02T00:00:00Z --until 2025-06-02T12:00:00Z"

# --- the plan: one day of one account and region, nothing fetched ----------------
emu_ctl s3proxy DELETE /requests > /dev/null
C ingest --dry-run $FILTER s3://trail > plan.txt 2> err.txt || die "dry run: $(cat err.txt)"
grep -q "^  list  s3://trail/$D/$" plan.txt || die "plan lists the day: $(cat plan.txt)"
expect_eq "$(grep -c '^  list ' plan.txt)" 1 "prefixes listed in the plan"
expect_eq "$(grep -c '^  fetch ' plan.txt)" 7 "objects in the plan"
grep -q "^objects to fetch: 7 (" plan.txt || die "plan totals: $(cat plan.txt)"
expect_eq "$(gets)" 0 "GETs of a dry run"
expect_eq "$(lists)" "$D/" "what a dry run listed"
[ "$(log | jq '[.[] | select(.continued)] | length')" -ge 2 ] || die "7 keys at 3 a page: no continuation"
[ ! -f "$DB" ] || expect_eq "$(events)" 0 "events after a dry run"

# --- that day: 4 objects stored, the three bad ones rejected by name -----------------
emu_ctl s3proxy DELETE /requests > /dev/null
rc=0; C ingest --format json $FILTER s3://trail > run1.json 2> err.txt || rc=$?
expect_eq "$rc" 1 "exit status with rejects ($(cat err.txt))"
expect_eq "$(events)" 20 "events of one day of one account and region"
expect_eq "$(jq .rejects run1.json)" 3 "rejects in the summary"
expect_eq "$(gets)" 7 "objects fetched"
sqlite3 "$DB" "SELECT path || ' | ' || reason FROM rejects ORDER BY path" > rejects.txt
grep -q "^s3://trail/$D/${A}_CloudTrail_us-east-1_20250602T0900Z_plain.json.gz | not gzip" rejects.txt ||
	die "not-gzip reject: $(cat rejects.txt)"
grep -q "^s3://trail/$D/${A}_CloudTrail_us-east-1_20250602T0901Z_cut.json.gz | truncated gzip: .* at compressed byte [0-9]" rejects.txt ||
	die "truncated reject: $(cat rejects.txt)"
grep -q "^s3://trail/$D/${A}_CloudTrail_us-east-1_20250602T0902Z_empty.json.gz | empty object" rejects.txt ||
	die "empty reject: $(cat rejects.txt)"

# --- the same again: nothing fetched, nothing added ------------------------------
emu_ctl s3proxy DELETE /requests > /dev/null
C ingest --format json $FILTER s3://trail > run2.json 2> err.txt || die "rerun: $(cat err.txt)"
expect_eq "$(gets)" 0 "GETs of a rerun"
expect_eq "$(events)" 20 "events after a rerun"
expect_eq "$(sqlite3 "$DB" 'SELECT count(*) FROM rejects')" 3 "rejects after a rerun"

# --- the whole bucket: discovered accounts and regions, paginated ---------------
emu_ctl s3proxy DELETE /requests > /dev/null
rc=0; C ingest -q s3://trail 2> err.txt || rc=$?
expect_eq "$rc" 0 "whole bucket ($(cat err.txt))"
expect_eq "$(gets)" 44 "objects fetched by the whole-bucket pull (51 less the 7 of the first run)"
expect_eq "$(events)" 240 "events in the bucket"
emu_ctl s3proxy DELETE /requests > /dev/null
C ingest -q s3://trail 2> err.txt || die "whole-bucket rerun: $(cat err.txt)"
expect_eq "$(gets)" 0 "GETs of the whole-bucket rerun"

# --- a changed object (a new ETag) is fetched again, only it ------------------------
K=AWSLogs/$B/CloudTrail/eu-west-1/2025/06/03/${B}_CloudTrail_eu-west-1_20250603T0001Z_0001.json.gz
ct_lines 2 5000 | awk 'BEGIN{printf "{\"Records\":["} {printf "%s%s", (NR > 1 ? "," : ""), $0} END{print "]}"}' | gzip > new.gz
/usr/bin/python3 "$ROOT/tests/s3/seed.py" "$S3PORT" trail $B us-east-1 2025-06-01 0 0 "$K=new.gz" > /dev/null
emu_ctl s3proxy DELETE /requests > /dev/null
C ingest -q s3://trail 2> err.txt || die "changed object: $(cat err.txt)"
expect_eq "$(gets)" 1 "GETs after one object changed"
expect_eq "$(events)" 242 "events after one object changed"

# --- an object whose GET keeps failing: unrecorded, the rest stored; the rerun gets it
/usr/bin/python3 "$ROOT/tests/s3/seed.py" "$S3PORT" trail 999988887777 us-east-1 2025-06-04 3 5 > /dev/null
emu_ctl s3proxy POST /fault '{"kind":"5xx","status":503,"match":"GET .*999988887777.*T0001Z_0001","count":4}' > /dev/null
rc=0; C ingest -q s3://trail 2> err.txt || rc=$?
expect_eq "$rc" 2 "exit status with an object not fetched"
grep -q "1 of 3 objects could not be fetched (first: s3://trail/AWSLogs/999988887777/.*T0001Z_0001.json.gz: HTTP 503" err.txt ||
	die "message for the failed object: $(cat err.txt)"
grep -q "the same command again fetches the rest" err.txt || die "resumable message: $(cat err.txt)"
expect_eq "$(events)" 252 "events of the two objects fetched"
expect_eq "$(sqlite3 "$DB" "SELECT count(*) FROM inputs WHERE path LIKE 's3://trail/AWSLogs/999988887777/%' AND head_len > 0")" 2 "objects recorded"
emu_ctl s3proxy DELETE /requests > /dev/null
C ingest -q s3://trail 2> err.txt || die "rerun after a failed GET: $(cat err.txt)"
expect_eq "$(gets)" 1 "GETs of the rerun after a failed GET"
expect_eq "$(events)" 257 "events after the rerun"

# --- a wrong secret: refused by the signature check, nothing stored ------------------
rc=0; AWS_SECRET_ACCESS_KEY=WrongSecret000000000000000000000000000001 C ingest -q s3://trail 2> err.txt || rc=$?
expect_eq "$rc" 2 "exit status with a wrong secret"
grep -q "HTTP 403 SignatureDoesNotMatch" err.txt || die "wrong secret message: $(cat err.txt)"
! grep -rq "S3SecretDoNotLeak" "$DB" err.txt plan.txt "$TMP/emu" || die "the secret was written somewhere"
echo ok
