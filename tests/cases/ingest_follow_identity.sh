# --follow knows a file by its identity, not only its size: a truncation
# refilled with more bytes than were read before (within one poll) is read
# from byte 0 (the old offset would lose events and record a false reject);
# copytruncate and rename rotation are followed; SIGTERM with half a record
# in hand stores every whole record, rejects nothing, exits 0, and a rerun
# reads the rest of that record whole.
. "$ROOT/tests/cases/lib.sh"
# falco_lines N START: N Falco alerts, one per line, distinct uuids
falco_lines() {
	awk -v n="$1" -v s="$2" 'BEGIN { for (i = s; i < s + n; i++)
		printf "{\"hostname\":\"node-%d\",\"output\":\"Notice shell in container (container_id=4b5e57f6eb2f)\",\"priority\":\"Notice\",\"rule\":\"Run shell untrusted\",\"source\":\"syscall\",\"time\":\"2025-06-03T10:%02d:%02d.000000000Z\",\"uuid\":\"6e0c5a52-1f4b-4a51-9d3c-%012d\",\"output_fields\":{\"container.id\":\"4b5e57f6eb2f\",\"proc.name\":\"sh\",\"proc.pid\":%d}}\n", i % 3, (i / 60) % 60, i % 60, i, 1000 + i }'
}
wait_count() { # wait_count DB N: poll until the store holds N events (30 s)
	i=0
	while [ $i -lt 300 ]; do
		n=$(count "$1" 2>/dev/null || echo 0)
		[ "$n" = "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	die "waited for $2 events, have $n; rejects: $(sqlite3 "$1" 'SELECT count(*), group_concat(reason) FROM rejects')"
}
rejects() { sqlite3 "$1" 'SELECT count(*) FROM rejects'; }
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true' EXIT

# 1: truncate and refill with more bytes than were read, in one write
falco_lines 10 0 > falco.json
"$CORDON" --db a.db ingest -q --follow falco.json &
pid=$!
wait_count a.db 10
falco_lines 30 100 > refill.tmp
# one syscall: the file is emptied and 30 lines written before any poll sees it empty
python3 -c 'import os,sys; d=open("refill.tmp","rb").read(); fd=os.open("falco.json", os.O_WRONLY|os.O_TRUNC); os.write(fd, d); os.close(fd)'
wait_count a.db 40
sleep 0.6
expect_eq "$(count a.db)" 40 "truncate and refill: every event"
expect_eq "$(rejects a.db)" 0 "truncate and refill: no false reject"

# 2: copytruncate: copied aside, emptied in place, the writer goes on
#    (more than was read before, before the next poll)
falco_lines 5 40 >> falco.json
wait_count a.db 45
cp falco.json falco.json.1
python3 -c 'import os; fd=os.open("falco.json", os.O_WRONLY|os.O_TRUNC); os.close(fd)'
falco_lines 50 200 >> falco.json
wait_count a.db 95
expect_eq "$(rejects a.db)" 0 "copytruncate: no reject"

# 3: rename rotation: the rest of the old file, then the new one
falco_lines 3 300 >> falco.json
mv falco.json falco.json.2
falco_lines 4 400 > falco.json
wait_count a.db 102
expect_eq "$(rejects a.db)" 0 "rename: no reject"

# 4: SIGTERM with half a record in hand
falco_lines 1 500 | head -c 60 >> falco.json
sleep 0.8
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e; pid=""
expect_eq $rc 0 "exit status after SIGTERM (nothing rejected)"
expect_eq "$(count a.db)" 102 "whole records stored at SIGTERM"
expect_eq "$(rejects a.db)" 0 "half a record at SIGTERM is no reject"
falco_lines 1 500 | tail -c +61 >> falco.json
"$CORDON" --db a.db ingest -q falco.json || die "rerun after SIGTERM"
expect_eq "$(count a.db)" 103 "the record cut by SIGTERM, read whole by the rerun"
expect_eq "$(rejects a.db)" 0 "rerun: no reject"
echo "follow by identity ok"
