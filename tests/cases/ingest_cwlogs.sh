# cordon ingest cwlogs://: CloudWatch Logs FilterLogEvents against the
# loopback emulator (tests/emu/cwlogs.py: the JSON 1.1 protocol, SigV4
# recomputed by botocore): EKS audit events and CloudTrail records told
# apart by the content probes, nextToken pagination (4 events a page), a
# ThrottlingException retried, --log-stream-prefix, --since/--until as
# startTime/endTime, a rerun that starts at the newest event stored, a
# message no probe knows as a reject, a missing group and a wrong secret.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"

export CWLOGS_AKID=AKIACWLOGSTEST000001 CWLOGS_SECRET=CwSecretDoNotLeak0000000000000000000001
export CWLOGS_REGION=eu-west-1 CWLOGS_PAGE=4
ct_lines 5 100 > ct.jsonl
# the EKS group: 14 audit lines in the api server's stream (times 10:00:00..10:00:13),
# and 2 plain-text authenticator lines; a CloudTrail group: 5 records
python3 - "$ROOT" > seed.json <<'PY'
import json, sys
root = sys.argv[1]
base = 1748944800000  # 2025-06-03T10:00:00Z
eks = []
for i, line in enumerate(open(root + '/tests/data/k8saudit/events-per-line.jsonl')):
    eks.append({'stream': 'kube-apiserver-audit-0a1b', 'timestamp': base + i * 1000, 'message': line.rstrip('\n')})
eks.append({'stream': 'authenticator-9f8e', 'timestamp': base + 500, 'message': 'time="2025-06-03T10:00:00Z" level=info msg="access granted"'})
eks.append({'stream': 'authenticator-9f8e', 'timestamp': base + 1500, 'message': 'time="2025-06-03T10:00:01Z" level=info msg="access granted"'})
ct = [{'stream': '111122223333_CloudTrail_us-east-1', 'timestamp': base + i * 1000, 'message': line.rstrip('\n')}
      for i, line in enumerate(open('ct.jsonl'))]
print(json.dumps({'groups': {'/aws/eks/prod/cluster': eks, 'ct-trail': ct}}))
PY
emu_start cwlogs "$TMP/emu" --seed seed.json

export AWS_ACCESS_KEY_ID=$CWLOGS_AKID AWS_SECRET_ACCESS_KEY=$CWLOGS_SECRET
export AWS_ENDPOINT_URL=$EMU_CWLOGS_URL AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export CORDON_HTTP_BACKOFF_MS=20
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION
DB="$TMP/case.db"
C() { "$CORDON" --db "$DB" "$@"; }
log() { emu_ctl cwlogs GET /requests; }
events() { sqlite3 "$DB" "SELECT count(*) FROM events WHERE source = '$1'"; }

# the same records as files, for the expected counts
"$CORDON" --db ref.db ingest -q "$ROOT/tests/data/k8saudit/events-per-line.jsonl" \
	ct.jsonl > /dev/null 2>&1 || :
K8S=$(sqlite3 ref.db "SELECT count(*) FROM events WHERE source = 'k8saudit'")
CT=$(sqlite3 ref.db "SELECT count(*) FROM events WHERE source = 'cloudtrail'")
K8SREJ=$(sqlite3 ref.db "SELECT count(*) FROM rejects WHERE format = 'k8saudit'")
[ "$K8S" -gt 5 ] && [ "$CT" = 5 ] || die "reference counts: $K8S $CT"

# --- the EKS group, the api server's streams only, throttled once ------------------
emu_ctl cwlogs POST /fault '{"kind":"throttle","match":"FilterLogEvents","count":1}' > /dev/null
rc=0; C ingest -q --region eu-west-1 --log-stream-prefix kube-apiserver-audit cwlogs:///aws/eks/prod/cluster 2> err.txt || rc=$?
[ $rc -le 1 ] || die "eks pull: $(cat err.txt)"
expect_eq "$(events k8saudit)" "$K8S" "audit events pulled"
expect_eq "$(sqlite3 "$DB" 'SELECT count(*) FROM rejects')" "$K8SREJ" "audit lines rejected, as from a file"
log > req.json
expect_eq "$(jq '[.[] | select(.fault == "throttle" and .status == 400)] | length' req.json)" 1 "throttled requests"
expect_eq "$(jq '[.[] | select(.status == 200)] | length' req.json)" 4 "pages of 4 for 14 events"
expect_eq "$(jq '[.[] | select(.status == 200 and .token)] | length' req.json)" 3 "pages asked with a nextToken"
expect_eq "$(jq -r '[.[] | select(.status == 200) | .prefix] | unique | .[]' req.json)" kube-apiserver-audit "stream prefix sent"
expect_eq "$(jq -r '[.[] | select(.status == 200) | .access_key] | unique | .[]' req.json)" "$CWLOGS_AKID" "signed with the key"

# --- a rerun starts at the newest event stored: nothing new ------------------------
emu_ctl cwlogs DELETE /requests > /dev/null
rc=0; C ingest -q --region eu-west-1 --log-stream-prefix kube-apiserver-audit cwlogs:///aws/eks/prod/cluster 2> err.txt || rc=$?
[ $rc -le 1 ] || die "eks rerun: $(cat err.txt)"
expect_eq "$(log | jq '[.[] | .start] | unique | .[0]')" 1748944813000 "rerun's startTime: the newest event"
expect_eq "$(events k8saudit)" "$K8S" "audit events after the rerun"

# --- the whole group: the authenticator's text lines are rejects by stream -----------
rc=0; C ingest -q --region eu-west-1 cwlogs:///aws/eks/prod/cluster 2> err.txt || rc=$?
expect_eq "$rc" 1 "exit status with rejects ($(cat err.txt))"
expect_eq "$(sqlite3 "$DB" "SELECT count(*) FROM rejects WHERE path = 'cwlogs:///aws/eks/prod/cluster/authenticator-9f8e' AND reason LIKE '%not a log of a known format%'")" 2 "rejects naming the stream"

# --- CloudTrail delivered to CloudWatch, inside --since/--until --------------------------
emu_ctl cwlogs DELETE /requests > /dev/null
C ingest -q --region eu-west-1 --since 2025-06-03T10:00:00Z --until 2025-06-03T10:00:02Z cwlogs://ct-trail 2> err.txt ||
	die "ct pull: $(cat err.txt)"
expect_eq "$(log | jq -c '[.[] | [.start, .end]] | unique')" '[[1748944800000,1748944802000]]' "startTime and endTime"
expect_eq "$(events cloudtrail)" 3 "CloudTrail records inside the window"
C ingest -q --region eu-west-1 cwlogs://ct-trail 2> err.txt || die "ct pull, all: $(cat err.txt)"
expect_eq "$(events cloudtrail)" "$CT" "CloudTrail records of the group"

# --- a missing group, a wrong secret: exit 2 with the service's word --------------------
rc=0; C ingest -q --region eu-west-1 cwlogs://no-such-group 2> err.txt || rc=$?
expect_eq "$rc" 2 "exit status for a missing group"
grep -q "ResourceNotFoundException" err.txt || die "missing group message: $(cat err.txt)"
rc=0; AWS_SECRET_ACCESS_KEY=WrongSecret000000000000000000000000000001 C ingest -q --region eu-west-1 cwlogs://ct-trail 2> err.txt || rc=$?
expect_eq "$rc" 2 "exit status with a wrong secret"
grep -q "InvalidSignatureException" err.txt || die "wrong secret message: $(cat err.txt)"
rc=0; C ingest -q --region us-east-1 cwlogs://ct-trail 2> err.txt || rc=$?
expect_eq "$rc" 2 "exit status when signed for another region"
! grep -rq "CwSecretDoNotLeak" "$DB" err.txt "$TMP/emu" || die "the secret was written somewhere"
echo ok
