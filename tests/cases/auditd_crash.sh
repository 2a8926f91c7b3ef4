# auditd: kill -9 in the middle of an ingest, then a rerun, stores exactly
# the events of an uninterrupted run, field for field (no partial event wins
# over its whole), although events interleave, some end with EOE, some only
# with PROCTITLE and some with neither.  The same log under a second name
# adds nothing (dedup by node + stamp).
. "$ROOT/tests/cases/lib.sh"
# au_events N: 4*N kernel events in interleaved pairs, plus user records
au_events() {
	awk -v n="$1" 'BEGIN {
	t = 1748944800
	for (i = 0; i < n; i++) {
		a = 2 * i + 1000; b = a + 1; s = t + int(i / 100)
		A = sprintf("msg=audit(%d.%03d:%d):", s, i % 1000, a)
		B = sprintf("msg=audit(%d.%03d:%d):", s, i % 1000, b)
		printf "type=SYSCALL %s arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=1 pid=%d auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"exec\"\n", A, a
		printf "node=n%d type=SYSCALL %s arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=2 a2=0 a3=0 items=1 ppid=1 pid=%d auid=1000 uid=1000 gid=0 euid=1000 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"read\"\n", i % 3, B, b
		printf "type=EXECVE %s argc=2 a0=\"cat\" a1=\"/etc/file%d\"\n", A, i
		printf "node=n%d type=PATH %s item=0 name=\"/etc/shadow%d\" inode=5 nametype=NORMAL\n", i % 3, B, i
		printf "type=CWD %s cwd=\"/root\"\n", A
		printf "type=PATH %s item=0 name=\"/usr/bin/cat\" inode=6 nametype=NORMAL\n", A
		printf "type=PATH %s item=1 name=\"/lib64/ld.so\" inode=7 nametype=NORMAL\n", A
		printf "node=n%d type=PROCTITLE %s proctitle=636174002F6574632F736861646F77\n", i % 3, B
		printf "type=PROCTITLE %s proctitle=636174002F6574632F66696C65\n", A
		if (i % 2 == 0)
			printf "type=EOE %s \n", A
		if (i % 10 == 0)
			printf "type=USER_LOGIN msg=audit(%d.%03d:%d): pid=1 uid=0 auid=1000 ses=4 msg=%cop=login acct=\"u%d\" addr=192.0.2.%d res=success%c\n", s, i % 1000, 900000000 + i, 39, i, i % 250, 39
		if (i % 50 == 0) {
			# no PROCTITLE, no EOE: ends by the reorder window (or at the end of input)
			C = sprintf("msg=audit(%d.%03d:%d):", s, i % 1000, 800000000 + i)
			printf "type=SYSCALL %s arch=c000003e syscall=90 success=yes exit=0 a0=1 a1=1ed a2=0 a3=0 items=1 ppid=1 pid=7 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm=\"chmod\" exe=\"/usr/bin/chmod\" key=\"perm\"\n", C
			printf "type=PATH %s item=0 name=\"/tmp/f%d\" inode=8 nametype=NORMAL\n", C, i
		}
	}
	}'
}
n=40000
[ "${SANITIZED:-}" = 1 ] && n=10000 # ASan is slow; a kill still lands mid-run
au_events $n > audit.log
rm -f clean.db* crash.db*
"$CORDON" --db clean.db ingest -q audit.log
want=$(count clean.db)
expect_eq "$want" $((2 * n + n / 10 + n / 50)) "clean run"
expect_eq "$(sqlite3 clean.db 'SELECT count(*) FROM rejects')" 0 "clean run rejects"
# the kill lands mid-ingest by construction (CORDON_TEST_KILL_AT: SIGKILL at
# the Nth event, commits every CORDON_TEST_BATCH events), on any machine
for at in $((want / 3)) $((want * 4 / 5)); do
	rm -f crash.db*
	set +e
	CORDON_TEST_BATCH=500 CORDON_TEST_KILL_AT=$at "$CORDON" --db crash.db ingest -q audit.log
	rc=$?
	set -e
	expect_eq $rc 137 "killed at event $at"
	part=$(sqlite3 crash.db 'SELECT count(*) FROM events')
	[ "$part" -gt 0 ] && [ "$part" -lt "$at" ] || die "$part events after a kill at $at"
	echo "killed at event $at with $part of $want committed; rerunning"
	"$CORDON" --db crash.db ingest -q audit.log
	expect_eq "$(count crash.db)" "$want" "after rerun"
done
q='SELECT host, ref, kind, action, argv, object, outcome, extra FROM events ORDER BY host, ref'
sqlite3 clean.db "$q" > a
sqlite3 crash.db "$q" > b
cmp a b || die "different events after crash and rerun"
expect_eq "$(sqlite3 crash.db 'PRAGMA integrity_check')" ok "integrity"
# the same records under another name: all duplicates
cp audit.log audit-copy.log
"$CORDON" --db clean.db ingest -q audit-copy.log
expect_eq "$(count clean.db)" "$want" "second copy adds nothing"
