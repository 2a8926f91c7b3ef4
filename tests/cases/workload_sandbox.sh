# workload_sandbox.sh - a host process sandbox is a workload (issue 19): on a
# host that is not a Kubernetes node, a process tree under bwrap is one
# workload (host, launcher pid and start); a descendant that enters the
# host's namespaces (nsenter -t 1, setns) is an escape of that sandbox and
# what it reads afterwards (/root/.aws/credentials, a key the credential map
# names) is exposure attributed to it: one incident, root sbx:HOST:PID:START.
# The benign history (jobs under bwrap reading their own files, a
# flatpak-style app, root's cron) opens nothing.  Golden JSON in
# tests/workloads/sandbox/expect/ (UPDATE_GOLDEN=1 rewrites: review).
. "$ROOT/tests/cases/lib.sh"
F="$ROOT/tests/workloads/sandbox"
E="$F/expect"
"$CORDON" --db a.db ingest -q "$F/inventory" "$F/logs"
rc=0; "$CORDON" --db a.db correlate > /dev/null || rc=$?
expect_eq "$rc" 1 "correlate exit"
expect_eq "$(sqlite3 a.db "SELECT count(*) FROM incidents")" 1 "incidents"
expect_eq "$(sqlite3 a.db "SELECT root FROM incidents")" "sbx:agent-host-3:41207:1748944800" "root"
# the read after the escape belongs to the sandbox, through nsenter's lineage
expect_eq "$(sqlite3 a.db "SELECT workload FROM findings WHERE rule = 'CRED-04'")" \
	"sbx:agent-host-3:41207:1748944800" "read attributed to the sandbox"
id=$(sqlite3 a.db "SELECT id FROM incidents")
"$CORDON" --db a.db incidents --format json | golden incidents
"$CORDON" --db a.db incident "$id" -o json | golden incident
"$CORDON" --db a.db whois AKIAEXAMPLEHOSTKEY01 --format json | golden whois
"$CORDON" --db a.db reach AKIAEXAMPLEHOSTKEY01 --format json | golden reach
"$CORDON" --db a.db revoke plan --incident "$id" --format json | golden plan
"$CORDON" --db a.db incident "$id" | grep -q "root workload: sandbox agent-host-3:41207:1748944800 on agent-host-3" \
	|| die "the table does not show the sandbox"
# a host the inventory does not know as a node: no kubelet, no node to cordon
"$CORDON" --db a.db incident "$id" -o json | grep -q 'kubelet-cred\|cordon-node' && die "kubelet or cordon on a plain host"
# the benign history alone
grep -v 'nsenter\|41230\|41241\|41250' "$F/logs/auditd.log" > benign.log || true
"$CORDON" --db b.db ingest -q "$F/inventory" benign.log
"$CORDON" --db b.db correlate > /dev/null || die "an incident on the benign history"
echo "sandbox workload ok"
