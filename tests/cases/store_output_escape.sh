# store_output_escape.sh - what a log holds cannot drive the responder's
# terminal: names auditd hex-encodes (any byte) and raw control bytes in a
# rejected record are shown escaped in tables, the rejects snippet and error
# messages, and JSON output stays valid JSON and valid UTF-8.
. "$ROOT/tests/cases/lib.sh"
# clean FILE WHAT: FILE is valid UTF-8 with no control character but newline,
# no DEL, no C1 control and no bidi override or line separator
clean() {
	python3 - "$1" "$2" <<'PY' || die "$2: terminal controls in the output: $(od -c "$1" | head -20)"
import sys
data = open(sys.argv[1], 'rb').read()
try:
    text = data.decode('utf-8')
except UnicodeDecodeError as e:
    sys.exit('%s: invalid UTF-8: %s' % (sys.argv[2], e))
bad = [c for c in text if (ord(c) < 0x20 and c != '\n') or 0x7f <= ord(c) < 0xa0
       or c in '\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069']
sys.exit('%s: %r' % (sys.argv[2], bad[:5]) if bad else 0)
PY
}
# json_ok FILE: one JSON document, strictly UTF-8 (python's stdin would
# otherwise let invalid bytes through as surrogates)
json_ok() {
	python3 -c 'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1"
}
# a file name with ESC[2J (clear screen), BEL, DEL, a C1 CSI, bytes of no
# UTF-8 character (FF, an overlong C0 AF, a lone continuation) and a
# right-to-left override; the process name too
name=$(printf '/tmp/\033[2JA\007\177\302\23331m\377\300\257\200\342\200\256gpj.exe' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
comm=$(printf 'x\033]0;pwned\007' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
cat > evil.log <<LOG
node=n1 type=SYSCALL msg=audit(1748946000.100:7): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=0 a3=0 items=1 ppid=1 pid=4242 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm=$comm exe="/bin/cat" key="evil"
node=n1 type=PATH msg=audit(1748946000.100:7): item=0 name=$name inode=1 dev=00:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL
node=n1 type=EOE msg=audit(1748946000.100:7):
LOG
"$CORDON" --db t.db ingest -q evil.log
expect_eq "$(count t.db)" 1 "events stored"
# the table: escaped, and the escape is visible
"$CORDON" --db t.db events > table.out
clean table.out "events table"
# (the long name is shortened in the middle: its start and file name stay)
grep -qF '/tmp/\x1b[2JA\x07' table.out && grep -qF 'gpj.exe evil' table.out ||
	die "events table does not show the name escaped: $(cat table.out)"
# every field, wide
"$CORDON" --db t.db events --format json > ev.json
json_ok ev.json || die "events --format json is not JSON: $(cat ev.json)"
clean ev.json "events json"
python3 - ev.json <<'PY' || die "JSON does not carry the name: $(cat ev.json)"
import json, sys
ev = json.load(open(sys.argv[1]))['events'][0]
want = '/tmp/\x1b[2JA\x07\x7f\x9b31m\ufffd\ufffd\ufffd\ufffd\u202egpj.exe'
vals = [v for v in ev.values() if isinstance(v, str)]
assert want in vals, (want, vals)
PY
"$CORDON" --db t.db events --format ndjson > ev.ndjson
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines()]' ev.ndjson || die "ndjson not JSON"
"$CORDON" --db t.db events --raw --format json > raw.json
json_ok raw.json || die "events --raw --format json is not JSON"
# JSON records with raw bytes of no UTF-8 character in their strings: the
# fields and the raw record come out as valid JSON, the bytes as U+FFFD
printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u\033[2J\377"},"eventTime":"2025-06-03T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"List\377Buckets\300\257","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","eventID":"00000000-0000-4000-8000-000000000999"}\n' > ct.jsonl
"$CORDON" --db ct.db ingest -q ct.jsonl
"$CORDON" --db ct.db events --format json > ct.json
json_ok ct.json || die "events --format json with invalid UTF-8 is not JSON: $(od -c ct.json | head)"
clean ct.json "cloudtrail events json"
"$CORDON" --db ct.db events --raw --format ndjson > ct.ndjson
json_ok ct.ndjson || die "events --raw with invalid UTF-8 is not JSON"
python3 - ct.json <<'PY' || die "fields not carried with U+FFFD: $(cat ct.json)"
import json, sys
ev = json.load(open(sys.argv[1], encoding='utf-8'))['events'][0]
assert ev['action'] == 's3:List\ufffdBuckets\ufffd\ufffd', ev['action']
assert ev['actor'].endswith('/u\x1b[2J\ufffd'), ev['actor']
PY
"$CORDON" --db ct.db events > ct.table
clean ct.table "cloudtrail events table"
# a rejected record with raw control bytes and invalid UTF-8: the snippet
printf '{"eventVersion":"1.08","eventTime":"\033[2J\033[8m\377hidden\n' > evil.jsonl
set +e; "$CORDON" --db t.db ingest -q --input-format cloudtrail evil.jsonl 2> ingest.err; set -e
clean ingest.err "ingest messages"
"$CORDON" --db t.db rejects --snippet > rejects.out
clean rejects.out "rejects --snippet"
grep -qF '\x1b[2J\x1b[8m\xffhidden' rejects.out || die "snippet not shown escaped: $(cat rejects.out)"
"$CORDON" --db t.db rejects --snippet --format json > rejects.json
json_ok rejects.json || die "rejects json"
# error messages that quote input
set +e
"$CORDON" --db t.db events --format "$(printf '\033[2Jx')" 2> err1
"$CORDON" --db t.db events "$(printf 'nosuch\033[8m=1')" 2> err2
"$CORDON" --db "$(printf 'no\033]0;t\007.db')" events 2> err3
"$CORDON" --db t.db ingest "$(printf 'missing\033]0;t\007.log')" > ingest.out 2> err4
set -e
clean ingest.out "ingest summary table"
for e in err1 err2 err3 err4; do
	[ -s $e ] || die "$e: no message"
	clean $e "error message $e"
done
grep -qF '\x1b[2Jx' err1 || die "the quoted input is not shown escaped: $(cat err1)"
# an incident whose names carry escapes (a program path in the attack's
# tetragon log, a secret location in the credential map): the incidents
# table, the incident report, reach, whois and the revoke plan
cp -r "$ROOT/tests/scenarios/S2" S
sed -i 's|"/usr/bin/cat"|"/usr/bin/c\\u001b[2J\\u001b]0;x\\u0007\\u009b\\u202eat"|g' S/attack/tetragon.jsonl
grep -q 'u001b' S/attack/tetragon.jsonl || die "scenario not altered"
printf 'file:*:/root/.aws/cred\033[8mhidden aws AKIAIOSFODNN7EXAMPLE arn:aws:iam::111122223333:user/ci-deployer\n' >> S/inventory/credentials.map
"$CORDON" --db s.db ingest -q S/inventory S/benign S/attack
set +e; "$CORDON" --db s.db correlate > /dev/null; set -e
"$CORDON" --db s.db incidents > incidents.out
clean incidents.out "incidents table"
"$CORDON" --db s.db incidents --format json > incidents.json
json_ok incidents.json || die "incidents json"
id=$(jq -r '.incidents[0].id' incidents.json)
"$CORDON" --db s.db incident "$id" > incident.out
clean incident.out "incident report"
grep -qF '/usr/bin/c\x1b[2J\x1b]0;x\x07\u009b\u202eat' incident.out ||
	die "incident report does not show the program escaped: $(cat incident.out)"
"$CORDON" --db s.db whois AKIAIOSFODNN7EXAMPLE > whois.out
clean whois.out "whois"
grep -qF '/root/.aws/cred\x1b[8mhidden' whois.out || die "whois: location not shown escaped: $(cat whois.out)"
set +e
"$CORDON" --db s.db reach "$(printf 'file:*:/root/.aws/cred\033[8mhidden')" > reach.out
"$CORDON" --db s.db revoke plan --incident "$id" > plan.out
set -e
clean reach.out "reach"
grep -qF 'cred\x1b[8mhidden' reach.out || die "reach: subject not shown escaped: $(cat reach.out)"
clean plan.out "revoke plan"
echo "output escape ok"
