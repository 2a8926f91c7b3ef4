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
	"$CORDON" --db "$1" events --limit 0 --format ndjson | sed 's/,"evidence":{[^}]*}//' | sort
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
stop_listener
grep -q '^listen ' "$log.out" || die "no summary on SIGTERM: $(cat "$log.out")"

# everything the files give is there, nothing else, nothing twice
events s.db > s.events
diff ref.events s.events > /dev/null || die "received events differ from file ingest:
$(diff ref.events s.events | head -10)"

# ---- 20 senders at once, then SIGTERM while they send ----------------------
# alert I: a unique time (nanosecond I) and uuid
alert() {
	printf '{"hostname":"node-%d","output":"Notice test alert %d","priority":"Notice","rule":"Listen test","source":"syscall","time":"2025-06-03T10:00:00.%09dZ","uuid":"00000000-0000-4000-8000-%012d","output_fields":{"proc.name":"sh","container.id":"4b5e57f6eb2f"}}\n' \
		$(($1 % 20)) "$1" "$1" "$1"
}
start_listener c.db l2.log
s=1
while [ $s -le 20 ]; do
	(
		i=0
		while [ $i -lt 20 ]; do
			k=$((s * 1000 + i))
			alert $k > a.$k
			[ "$(post a.$k /)" = 200 ] && echo $k >> acked.$s
			i=$((i + 1))
		done
	) &
	s=$((s + 1))
done
wait_senders() {
	for p in $(jobs -p); do [ "$p" = "$lpid" ] || wait "$p" || true; done
}
wait_senders
expect_eq "$(cat acked.* | wc -l | tr -d ' ')" 400 "20 concurrent senders, 20 alerts each"

# senders that never stop, and SIGTERM in the middle of them
s=1
while [ $s -le 8 ]; do
	(
		i=0
		while :; do
			k=$((100000 + s * 10000 + i))
			alert $k > a.$k
			code=$(post a.$k / 2> /dev/null) || code=000
			[ "$code" = 200 ] && echo $k >> acked.$s
			[ "$code" = 200 ] || exit 0
			i=$((i + 1))
		done
	) &
	s=$((s + 1))
done
# SIGTERM once the endless senders have some alerts acknowledged
tries=0
while [ "$(cat acked.* 2> /dev/null | wc -l)" -lt 440 ] && [ $tries -lt 600 ]; do
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
