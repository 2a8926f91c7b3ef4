# workload_sandbox_leave.sh - the other ways out of a host process sandbox
# (issue 19, breadth.md 3.6), each judged after attribution:
# - ESC-12: a job's gdb attaches (ptrace, OBJ_PID naming the worker) to a
#   process outside its bwrap sandbox, which then reads a key file: the
#   read belongs to the sandbox (host join), one incident rooted there;
# - ESC-11: a firejail job runs `firejail --join=PID` (setns into another
#   sandbox): the join is no new sandbox, so what the joined shell reads is
#   the escaped job's;
# - from Tetragon alone (--enable-process-ns): a bwrap job's nsenter starts a
#   shell whose mount namespace is the host's (ESC-11), which reads a key;
# - from Tracee alone (flat JSON): an nsjail job's nsenter --target 1 --all.
# Look-alikes in the same logs stay quiet: gdb on the job's own child, strace
# of pid 3 inside a job with its own pid namespace, an operator's
# `firejail --join` from a login shell.  Fixture: mksandbox_leave.py.
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/sandbox_leave"
"$CORDON" --db a.db ingest -q "$F/inventory" "$F/logs"
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit"
expect_eq "$(sqlite3 a.db "SELECT group_concat(root, ' ') FROM (SELECT root FROM incidents ORDER BY root)")" \
	"sbx:jobs-host-1:4320:1748941200 sbx:jobs-host-2:6320:1748944800 sbx:jobs-host-3:7190:1748944800 sbx:jobs-host-4:8170:1748944800" \
	"incident roots"
# the signals: ptrace of the worker only (not of the job's own child or pid 3)
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings WHERE rule = 'ESC-12'")" 4 "ESC-12 findings"
expect_eq "$(sqlite3 a.db "SELECT count(DISTINCT workload) FROM findings WHERE rule IN ('ESC-11', 'ESC-12')")" 4 \
	"escape findings' workloads (none for the operator's join)"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings WHERE rule = 'ESC-11' AND workload LIKE 'sbx:jobs-host-1:%'")" 0 \
	"the operator's firejail --join"
# what was read after leaving belongs to the escaped sandbox
expect_eq "$(sqlite3 a.db "SELECT workload FROM findings WHERE rule = 'CRED-04' AND summary LIKE '%hosts.yml%'")" \
	"sbx:jobs-host-2:6320:1748944800" "read under firejail --join"
id1=$(sqlite3 a.db "SELECT id FROM incidents WHERE root LIKE 'sbx:jobs-host-1:%'")
id2=$(sqlite3 a.db "SELECT id FROM incidents WHERE root LIKE 'sbx:jobs-host-2:%'")
"$CORDON" --db a.db incident "$id1" -o json > i1.json
"$CORDON" --db a.db incident "$id2" -o json > i2.json
expect_eq "$(jq -r '[.credentials[].id] | join(" ")' i1.json)" "AKIAEXAMPLECIKEY0001" "incident 1 credentials"
expect_eq "$(jq -r '[.credentials[].id] | join(" ")' i2.json)" "ghp-id-40411" "incident 2 credentials"
expect_eq "$(jq -r '.plan[0].action' i1.json)" "kill-sandbox" "contain the sandbox first"
# Tetragon's lineage: the shell in the host's mount namespace, and its read
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'ESC-11' AND e.source = 'tetragon' AND e.action = 'execve'")" 2 "host mount namespace execs"
expect_eq "$(sqlite3 a.db "SELECT workload FROM findings WHERE rule = 'CRED-04' AND summary LIKE '%security_file_permission%'")" \
	"sbx:jobs-host-3:7190:1748944800" "Tetragon read attributed to the sandbox"
expect_eq "$(sqlite3 a.db "SELECT workload FROM findings WHERE rule = 'CRED-04' AND summary LIKE '%security_file_open%'")" \
	"sbx:jobs-host-4:8170:1748944800" "Tracee read attributed to the sandbox"
# the look-alikes alone: no finding of either rule, no incident
mkdir benign
grep -v '4390\|4395\|4396\|6390\|6391\|6392' "$F/logs/auditd.log" > benign/auditd.log || true
grep -v '"pid":721[0-2]' "$F/logs/tetragon.jsonl" > benign/tetragon.jsonl || true
grep -v '"hostProcessId":819[0-2]' "$F/logs/tracee.jsonl" > benign/tracee.jsonl || true
"$CORDON" --db b.db ingest -q "$F/inventory" benign
"$CORDON" --db b.db correlate > /dev/null || die "an incident on the look-alikes"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule IN ('ESC-11', 'ESC-12')")" 0 "look-alike findings"
echo "sandbox leave ok"
