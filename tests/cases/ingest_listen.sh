# `cordon ingest --listen`: Falco http_output POSTs, a Kubernetes audit
# webhook EventList, a Vault socket-device stream, bad and oversized
# requests, 20 senders at once, SIGTERM while they send; every request
# answered 200 has its events in the store, none twice.  Only 127.0.0.1,
# on a port the kernel picks (the listener prints it).
. "$ROOT/tests/cases/lib.sh"
command -v curl > /dev/null || die "curl is needed"
D=$ROOT/tests/data

# start_listener DB LOG [OPTIONS...]: sets $lpid and $port
start_listener() {
	db=$1; log=$2; shift 2
	"$CORDON" --db "$db" ingest --listen 127.0.0.1:0 "$@" > "$log.out" 2> "$log" &
	lpid=$!
	tries=0
	port=""
	while [ -z "$port" ]; do
		port=$(sed -n 's/^cordon: listening on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$log")
		tries=$((tries + 1))
		[ $tries -gt 200 ] && die "listener did not start: $(cat "$log")"
		[ -n "$port" ] || sleep 0.05
	done
}
stop_listener() { # stop_listener: SIGTERM, must exit 0
	kill -TERM "$lpid"
	wait "$lpid" || die "listener exit status $? after SIGTERM: $(tail -5 "$log")"
}
post() { # post FILE PATH [CURL-ARGS...]: prints the status code
	f=$1; p=$2; shift 2
	curl -s -o /dev/null -w '%{http_code}' --data-binary @"$f" -H 'Content-Type: application/json' \
		"$@" "http://127.0.0.1:$port$p"
}
# events DB: one line per stored event, without where it came from
events() {
	"$CORDON" --db "$1" events --limit 0 --format ndjson |
		sed 's/^{"id":[0-9]*,/{/; s/,"evidence":{[^}]*}//' | sort
}

# ---- the reference: the same records read from files -----------------------
"$CORDON" --db ref.db ingest -q "$D/falco/escape-alerts.jsonl" "$D/k8saudit/eventlist.json" \
	"$D/vault/audit-per-line.log" > /dev/null || true
events ref.db > ref.events
[ "$(wc -l < ref.events)" -gt 20 ] || die "reference ingest stored too little"

# ---- Falco: one alert per POST (as http_output sends), then NDJSON ---------
start_listener s.db l1.log --listen-max-body 65536
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s\n' "$line" > alert.$n
	code=$(post alert.$n /falco)
	case $code in 200|400) ;; *) die "falco alert $n answered $code" ;; esac
	echo "$code" >> falco.codes
done < "$D/falco/escape-alerts.jsonl"
grep -q 200 falco.codes || die "no Falco alert was accepted"
# the same alerts again as one NDJSON body, chunked: all duplicates, nothing new
before=$(count s.db)
code=$(post "$D/falco/escape-alerts.jsonl" /anything -H 'Transfer-Encoding: chunked')
[ "$(count s.db)" = "$before" ] || die "resent alerts were stored twice"

# ---- the Kubernetes audit webhook: an EventList, path ignored --------------
post "$D/k8saudit/eventlist.json" /k8s-audit > k8s.code || true
# the fixture holds one event without a time: the others are stored, the answer is 400
expect_eq "$(cat k8s.code)" 400 "EventList with one bad event"

# ---- Vault's socket audit device: NDJSON over raw TCP ----------------------
python3 - "$port" "$D/vault/audit-per-line.log" << 'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data = open(sys.argv[2], "rb").read()
# in pieces that cut lines, as a socket delivers them
for i in range(0, len(data), 700):
    s.sendall(data[i:i + 700])
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
EOF

# ---- refused: oversized, malformed, not a log, keep-alive after a 400 ------
head -c 100000 /dev/zero | tr '\0' 'a' > big.body
expect_eq "$(post big.body /)" 413 "body over --listen-max-body"
printf '{"rule":"x","priority":"Notice","output":"y","time":' > bad.json
expect_eq "$(post bad.json /falco)" 400 "malformed JSON"
curl -s --data-binary @bad.json "http://127.0.0.1:$port/falco" | grep -q '"error":"' ||
	die "a 400 says why"
sqlite3 s.db "SELECT path FROM rejects" | grep -q "peer 127\.0\.0\.1:[0-9]* request 1 POST /falco" ||
	die "the reject row names the peer and the request: $(sqlite3 s.db 'SELECT path FROM rejects')"
# two requests on one connection (keep-alive)
conns=$(curl -s -o /dev/null -w '%{num_connects}\n' --data-binary @alert.2 "http://127.0.0.1:$port/a" \
	--next -s -o /dev/null -w '%{num_connects}\n' --data-binary @alert.3 "http://127.0.0.1:$port/b" |
	awk '{ s += $1 } END { print s }')
expect_eq "$conns" 1 "connections for two keep-alive requests"
# SIGTERM with a request half received: it is finished, stored and answered
mid='{"hostname":"mid","output":"Notice mid","priority":"Notice","rule":"Listen test","source":"syscall","time":"2025-06-03T11:00:00Z","uuid":"mid-request-1"}'
python3 - "$port" "$lpid" "$mid" > mid.answer << 'PY'
import os, signal, socket, sys, time
port, pid, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode() + b"\n"
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /falco HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:20])
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
s.sendall(body[20:])
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
wait "$lpid" || die "listener exit status $? after SIGTERM: $(tail -5 "$log")"
expect_eq "$(cat mid.answer)" "HTTP/1.1 200 OK" "request in hand at SIGTERM"
grep -q '^listen ' "$log.out" || die "no summary on SIGTERM: $(cat "$log.out")"
expect_eq "$("$CORDON" --db s.db events --limit 0 --format ndjson | grep -c '"ref":"mid-request-1"')" 1 \
	"the request finished after SIGTERM is stored"

# everything the files give is there, nothing else, nothing twice
events s.db | grep -v '"ref":"mid-request-1"' > s.events
diff ref.events s.events > /dev/null || die "received events differ from file ingest:
$(diff ref.events s.events | head -10)"

# ---- 20 senders at once, then SIGTERM while they send ----------------------
# alert I: a unique time (nanosecond I) and uuid
alert() {
	printf '{"hostname":"node-%d","output":"Notice test alert %d","priority":"Notice","rule":"Listen test","source":"syscall","time":"2025-06-03T10:00:00.%09dZ","uuid":"00000000-0000-4000-8000-%012d","output_fields":{"proc.name":"sh","container.id":"4b5e57f6eb2f"}}\n' \
		$(($1 % 20)) "$1" "$1" "$1"
}
# send FIRST N: alerts FIRST.. in one curl on one keep-alive connection;
# prints "ALERT CODE" per request (000 once the connection is gone)
send() {
	args=""
	k=$1
	while [ $k -lt $(($1 + $2)) ]; do
		alert $k > a.$k
		args="$args --next -s -o /dev/null -w %{stderr}$k:%{http_code}\n --data-binary @a.$k http://127.0.0.1:$port/"
		k=$((k + 1))
	done
	# shellcheck disable=SC2086
	curl $args 2>&1 > /dev/null | tr ':' ' ' || true
}
wait_senders() {
	for sp in $senders; do wait "$sp" || true; done
	senders=""
}
start_listener c.db l2.log
senders=""
s=1
while [ $s -le 20 ]; do
	send $((s * 1000)) 20 > codes.$s &
	senders="$senders $!"
	s=$((s + 1))
done
wait_senders
cat codes.* | awk '$2 == 200 { print $1 }' > acked.1
expect_eq "$(wc -l < acked.1 | tr -d ' ')" 400 "20 concurrent senders, 20 alerts each"

# senders that never stop, and SIGTERM in the middle of them
s=1
while [ $s -le 8 ]; do
	(
		b=0
		while :; do
			send $((100000 + s * 10000 + b * 10)) 10 > more.$s.$b
			awk '$2 == 200 { print $1 }' more.$s.$b >> acked.$((s + 1))
			[ "$(awk '$2 != 200' more.$s.$b)" = "" ] || exit 0
			b=$((b + 1))
		done
	) &
	senders="$senders $!"
	s=$((s + 1))
done
# SIGTERM once the endless senders have some alerts acknowledged
tries=0
while [ "$(cat acked.* 2> /dev/null | wc -l)" -lt 480 ] && [ $tries -lt 600 ]; do
	sleep 0.05
	tries=$((tries + 1))
done
stop_listener
wait_senders
acked=$(cat acked.* | sort -n | uniq | wc -l | tr -d ' ')
[ "$acked" -gt 400 ] || die "no alert was acknowledged while the senders ran"

# every acknowledged alert is stored exactly once
"$CORDON" --db c.db events --limit 0 --format ndjson |
	sed -n 's/.*"time":"2025-06-03T10:00:00\.\([0-9]*\)Z".*/\1/p' | sed 's/^0*//' | sort -n > stored
[ -z "$(uniq -d stored)" ] || die "alerts stored twice: $(uniq -d stored | head -3)"
cat acked.* | sort -n | uniq > acked
missing=$(comm -23 acked stored | wc -l | tr -d ' ')
expect_eq "$missing" 0 "acknowledged alerts missing from the store"

# ---- kill -9 in the middle of a transaction: what was answered 200 is there --
# (the process kills itself when the writer has stored its 25th event, before
# that event's COMMIT; one alert per request, one request at a time)
CORDON_TEST_KILL_AT=25 start_listener k.db l4.log
send 200000 40 > kill.codes
wait "$lpid" 2> /dev/null || true
awk '$2 == 200 { print $1 - 200000 }' kill.codes | sort -n > kill.acked
expect_eq "$(wc -l < kill.acked | tr -d ' ')" 24 "requests acknowledged before the kill"
"$CORDON" --db k.db events --limit 0 --format ndjson |
	sed -n 's/.*"time":"2025-06-03T10:00:00\.\([0-9]*\)Z".*/\1/p' | sed 's/^0*//' |
	awk '{ print $1 - 200000 }' | sort -n > kill.stored
expect_eq "$(comm -23 kill.acked kill.stored | wc -l | tr -d ' ')" 0 "acknowledged alerts lost by kill -9"

# ---- a stream line longer than --listen-max-body is still a record ---------
# (a body limit is for HTTP requests; a stream's lines are bounded by --max-record)
python3 - "$D/vault/audit-per-line.log" > long.line << 'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).readline())
rec["request"]["pad"] = "x" * (3 << 20)
print(json.dumps(rec))
PY
start_listener v.db l5.log --listen-max-body 1024
python3 - "$port" long.line << 'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
PY
stop_listener
expect_eq "$(count v.db)" 1 "a 3 MiB stream line"

# ---- more connections than --listen-max-conns: 503, and the rest still served
start_listener m.db l6.log --listen-max-conns 2
mkfifo held
python3 - "$port" held << 'PY' &
import socket, sys
# two connections that say nothing hold both places (accepted in the order made)
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "w") as f:
    f.write("held\n")
with open(sys.argv[2]) as f:
    f.read()
a.close()
b.close()
PY
holder=$!
read -r _ < held
expect_eq "$(post alert.2 /)" 503 "a third connection"
echo go > held
wait $holder
tries=0
until [ "$(post alert.2 /)" = 200 ]; do
	tries=$((tries + 1))
	[ $tries -lt 100 ] || die "no place freed after the two connections closed"
	sleep 0.1
done
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" 405 "GET"
stop_listener

# ---- a bearer token; and no non-loopback bind without one -----------------
printf 's3cr3t-listen-token\n' > token
start_listener t.db l3.log --listen-token token
expect_eq "$(post alert.2 /)" 401 "no token"
expect_eq "$(post alert.2 / -H 'Authorization: Bearer wrong')" 401 "wrong token"
expect_eq "$(post alert.2 / -H 'Authorization: Bearer s3cr3t-listen-token')" 200 "right token"
stop_listener
if grep -q s3cr3t l3.log l3.log.out; then die "the token was printed"; fi

rc=0
"$CORDON" --db n.db ingest --listen 0.0.0.0:0 > n.out 2> n.err || rc=$?
expect_eq "$rc" 2 "non-loopback bind without a token"
grep -q 'listen-token' n.err || die "refusal says what to do: $(cat n.err)"
grep -q 'listening on' n.err && die "it listened anyway"
echo ok
