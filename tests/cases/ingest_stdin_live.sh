# A live stream piped in (`falco ... | cordon ingest -`) goes quiet between
# bursts: what came so far is committed before cordon waits for more, so
# it can be queried while the stream is still open.  Each producer holds
# its stream open on a FIFO until the test has seen the first burst.
. "$ROOT/tests/cases/lib.sh"
mkfifo go
# seen_while_open DB N WHAT: wait (30 s at most) until DB holds N events
# while the producer ($pid) is blocked, then let the producer finish
seen_while_open() {
	tries=0
	while [ "$(count "$1" 2> /dev/null)" != "$2" ]; do
		tries=$((tries + 1))
		if [ $tries -gt 300 ]; then
			echo go > go
			wait $pid || true
			die "$3 was not in the store while the stream stayed open"
		fi
		sleep 0.1
	done
	echo go > go
	wait $pid
}

{ ct_lines 5 0; read -r _ < go; ct_lines 5 100; } | "$CORDON" --db s.db ingest -q - &
pid=$!
seen_while_open s.db 5 "the first burst"
expect_eq "$(count s.db)" 10 "both bursts stored"

# an auditd record, with the format probed from that short head
printf 'type=USER_LOGIN msg=audit(1717400000.100:501): pid=10 uid=0 auid=1000 ses=3 msg='"'"'op=login acct="alice" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.9 terminal=ssh res=success'"'"'\n' > first.log
{ cat first.log; read -r _ < go; } | "$CORDON" --db a.db ingest -q - &
pid=$!
seen_while_open a.db 1 "the audit record"
expect_eq "$(count a.db)" 1 "audit record stored once"
