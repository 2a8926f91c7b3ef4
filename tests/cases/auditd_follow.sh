# --follow on an audit log: an event without EOE or PROCTITLE (it would
# otherwise wait for the reorder window) is stored once the log goes quiet.
. "$ROOT/tests/cases/lib.sh"
printf 'type=SYSCALL msg=audit(1748944800.001:10): arch=c000003e syscall=90 success=yes exit=0 a0=1 a1=1ed a2=0 a3=0 items=1 ppid=1 pid=7 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm="chmod" exe="/usr/bin/chmod" key="perm"\n' > audit.log
"$CORDON" --db t.db ingest -q --follow audit.log &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT # never leave the follower behind
i=0
while [ $i -lt 50 ] && [ "$(count t.db 2>/dev/null || echo 0)" != 1 ]; do sleep 0.2; i=$((i + 1)); done
expect_eq "$(count t.db)" 1 "lone SYSCALL stored while following"
printf 'type=PATH msg=audit(1748944801.002:11): item=0 name="/etc/shadow" inode=5 nametype=NORMAL\ntype=SYSCALL msg=audit(1748944801.002:11): arch=c000003e syscall=257 success=yes exit=3 a0=1 a1=2 a2=0 a3=0 items=1 ppid=1 pid=8 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm="cat" exe="/usr/bin/cat" key="read"\n' >> audit.log
i=0
while [ $i -lt 50 ] && [ "$(count t.db 2>/dev/null || echo 0)" != 2 ]; do sleep 0.2; i=$((i + 1)); done
expect_eq "$(count t.db)" 2 "second event"
expect_eq "$(count t.db object=/etc/shadow)" 1 "records joined"
kill -TERM $pid
wait $pid
