# workload_sandbox_unit.sh - a sandboxed systemd unit is a host process
# sandbox (issue 19, breadth.md 3.1, 3.5): its MainPID is a child of pid 1,
# and it is a sandbox only on evidence that pid 1 gave it namespaces:
# - auditd: `systemd-run -p PrivateNetwork=yes ... --unit=scrape-7 CMD`
#   starts the unit (root: the MainPID, named by --unit); a member's nsenter
#   -t 1 (ESC-11) and its read of /root/.aws/credentials are the unit's;
# - Tetragon alone: render.service, whose mount namespace is not the host's,
#   ptraces the host's sshd (__x64_sys_ptrace's pid argument: ESC-12);
# - Tracee alone (no setns events): crawl.service's mountNamespace inode is
#   not the host's; a member's shell runs in the host's (ESC-11, `namespace
#   host`) and reads /root/.git-credentials.
# - auditd: ingest.service restarts between two escapes (nsenter -t 1, a
#   host file read, in each run): a named unit is one workload across its
#   restarts (HOST:unit=NAME), one incident holding both files' credentials.
# Look-alikes stay quiet: backup.service (unshare before exec: a sandbox)
# restarting and reading its own key (one workload over its 8 runs); an administrator's `systemd-run gdb
# -p` without namespace properties (the host itself); the unit's gdb on its
# own child; a plain unit ptracing sshd; a plain unit's shells in the host's
# mount namespace (Tracee).  Golden JSON in
# tests/workloads/sandbox_unit/expect/ (UPDATE_GOLDEN=1 rewrites: review).
# Fixture: mksandbox_unit.py.
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/sandbox_unit"
E="$F/expect"
"$CORDON" --db a.db ingest -q "$F/inventory" "$F/logs"
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit"
expect_eq "$(sqlite3 a.db "SELECT group_concat(root, ' ') FROM (SELECT root FROM incidents ORDER BY root)")" \
	"sbx:svc-host-1:unit=scrape-7 sbx:svc-host-2:7000:1748908800 sbx:svc-host-3:9000:1748932000 sbx:svc-host-4:unit=ingest" \
	"incident roots (units named by systemd-run --unit or SERVICE_START: HOST:unit=NAME)"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings WHERE rule = 'ESC-11' AND workload LIKE 'sbx:svc-host-1:%'")" 2 \
	"ESC-11: the unit's setns"
expect_eq "$(sqlite3 a.db "SELECT group_concat(e.pid, ' ') FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'ESC-11' AND e.source = 'tracee'")" "9101" "ESC-11: the Tracee exec that entered the host's mount namespace"
expect_eq "$(sqlite3 a.db "SELECT workload FROM findings WHERE rule = 'CRED-04' AND summary LIKE '%git-credentials%'")" \
	"sbx:svc-host-3:9000:1748932000" "Tracee read attributed to the unit"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings WHERE rule = 'ESC-12'")" 4 \
	"ESC-12: the unit's ptrace of sshd only (not of its own child, not the plain unit's, not the one-off's)"
expect_eq "$(sqlite3 a.db "SELECT workload FROM findings WHERE rule = 'CRED-04' AND summary LIKE '%/root/.aws/%'
	AND workload LIKE '%svc-host-1%'")" "sbx:svc-host-1:unit=scrape-7" "read after nsenter attributed to the unit"
# a restarted unit: both runs' escapes and reads are the one unit's, one incident
expect_eq "$(sqlite3 a.db "SELECT group_concat(DISTINCT workload) FROM findings WHERE workload LIKE '%svc-host-4%'")" \
	"sbx:svc-host-4:unit=ingest" "ingest.service's two runs: one workload"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings WHERE rule = 'ESC-11' AND workload LIKE 'sbx:svc-host-4:%'")" 4 \
	"ESC-11: the setns of both runs"
i4=$(sqlite3 a.db "SELECT id FROM incidents WHERE root LIKE 'sbx:svc-host-4:%'")
"$CORDON" --db a.db incident "$i4" -o json > i4.json
expect_eq "$(jq -r '[.credentials[].id] | join(" ")' i4.json)" "AKIAEXAMPLEHOST4K001 ghp-id-48001" \
	"the restarted unit's incident: the first run's key and the second run's token"
expect_eq "$(jq -r '.workload.root_pid' i4.json)" 8000 "its root: the run the first signal came from"
# a unit Tetragon shows in the host's mount namespace is the host (its shell is no ESC-11)
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM findings WHERE workload LIKE 'sbx:svc-host-2:750%'")" 0 \
	"PrivateUsers= unit in the host's mount namespace"
# the backup unit's runs are sandboxes (unshare before exec), one workload, quiet
expect_eq "$(sqlite3 a.db "SELECT group_concat(DISTINCT workload) FROM findings WHERE summary LIKE '%restic%'")" \
	"sbx:svc-host-1:unit=backup" "backup.service's 8 runs: one sandboxed unit"
id=$(sqlite3 a.db "SELECT id FROM incidents WHERE root LIKE 'sbx:svc-host-1:%'")
"$CORDON" --db a.db incident "$id" -o json > i1.json
expect_eq "$(jq -r '[.credentials[].id] | join(" ")' i1.json)" "AKIAEXAMPLEHOSTKEY02 AKIAEXAMPLEBACKUP001" \
	"incident 1 credentials (the host was reached: its other key too)"
expect_eq "$(jq -r '.workload.sandbox' i1.json | cut -d' ' -f1)" "unit=scrape-7" "the unit's name"
"$CORDON" --db a.db incidents --format json | golden incidents
"$CORDON" --db a.db incident "$id" -o json | golden incident
"$CORDON" --db a.db whois AKIAEXAMPLEHOSTKEY02 --format json | golden whois
"$CORDON" --db a.db reach AKIAEXAMPLEHOSTKEY02 --format json | golden reach
"$CORDON" --db a.db revoke plan --incident "$id" --format json | golden plan
# the look-alikes alone: no escape finding, no incident
mkdir benign
grep -v 'pid=600[2-5]\|scrape\|203.0.113.91\|pid=8[01]0[2-5]' "$F/logs/auditd.log" > benign/auditd.log || true
grep -v '"pid":702[0-3]' "$F/logs/tetragon.jsonl" > benign/tetragon.jsonl || true
grep -v '"hostProcessId":910[0-2]' "$F/logs/tracee.jsonl" > benign/tracee.jsonl || true
"$CORDON" --db b.db ingest -q "$F/inventory" benign
"$CORDON" --db b.db correlate > /dev/null || die "an incident on the look-alikes"
expect_eq "$(sqlite3 b.db "SELECT count(*) FROM findings WHERE rule LIKE 'ESC-%'")" 0 "look-alike escape findings"
echo "sandbox unit ok"
