#!/usr/bin/env python3
"""mksandbox_unit.py OUTDIR - sandboxed systemd units as host process
sandboxes (breadth.md 3.1, 3.5, 3.6): their processes are children of pid 1,
so only the evidence that pid 1 gave them namespaces makes them sandboxes.
Deterministic; the committed files under sandbox_unit/ are its output.

  svc-host-1 (auditd)
    attack   an automation's `systemd-run -p PrivateNetwork=yes -p
             ProtectHome=yes --unit=scrape-7 python3 ...` (pid 1 starts the
             transient unit: its MainPID is a child of pid 1, SERVICE_START
             names it); a shell of the unit runs nsenter -t 1 (setns) and
             reads /root/.aws/credentials; the key is used from 203.0.113.91
    benign   backup.service (ProtectSystem=strict, PrivateTmp=yes: its
             MainPID unshares a mount namespace before its exec) restarts
             every 6 h, each run reading its own key and using it from the
             host; an administrator's one-off `systemd-run --unit=dbg-1
             gdb -p 5100` (no namespace property: the host itself) ptraces
             a host process
  svc-host-2 (Tetragon only, --enable-process-ns)
    attack   render.service (its mount namespace is not the host's) runs a
             gdb that ptraces (kprobe __x64_sys_ptrace: request, pid) the
             host's sshd; the host's /root/.config/gh/hosts.yml is read
    benign   the unit's gdb on its own child; a plain unit (every namespace
             the host's) ptracing the same sshd; `systemd-run -p
             PrivateUsers=yes` whose MainPID's mount namespace is the host's
             (the host itself: its shell's exec is no ESC-11)
  svc-host-3 (Tracee only, flat JSON, no setns events in its policy)
    attack   crawl.service (its mountNamespace inode is not the host's) runs
             a Python script that enters pid 1's namespaces itself; only its
             shell's exec shows it, in the host's mount namespace (ESC-11);
             the shell reads /root/.git-credentials
    benign   plain units (the host's mount namespace: logrotate.timer's runs,
             a monitoring agent running shells); the unit's own jobs
  svc-host-4 (auditd)
    attack   ingest.service (unshare before exec) restarts between two
             escapes of a script planted in its data directory: nsenter -t
             1 and /root/.aws/credentials read in one run (the key used
             from 203.0.113.92), nsenter again and /root/.config/gh/hosts.yml
             read by the next MainPID: one unit, one workload, one incident
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gen"))
from fmt import Out, Proc, audit, audit_service, ct, tg_exec, tg_file, tg_kprobe, tracee  # noqa: E402

H1, H2, H3 = "svc-host-1", "svc-host-2", "svc-host-3"
T0 = 1748952000.0  # 2025-06-03T12:00:00Z
ACCT = "111122223333"
SD = "/usr/lib/systemd/systemd"


def ex(o, p, ino):
    audit(o, p.start, p.node, "execve", p, "exec", paths=[(p.binary, ino, "0100755")])


def unit_start(o, host, systemd, unit, pid, t, binary, args, ns_flags=None):
    """pid 1 forks the unit's MainPID: it unshares (when sandboxed), execs."""
    pre = Proc(host, pid, SD, "", t - 0.01, parent=systemd)
    if ns_flags:
        audit(o, t - 0.01, host, "unshare", pre, "ns", args=[ns_flags, "0", "0", "0"], exe=SD)
    p = Proc(host, pid, binary, args, t, parent=systemd)
    ex(o, p, 1900)
    audit_service(o, t + 0.02, host, unit)
    return p


def host1(o):
    systemd = Proc(H1, 1, SD, "--system", T0 - 86400 * 3)
    sshd = Proc(H1, 700, "/usr/sbin/sshd", "-D", T0 - 86400 * 3, parent=systemd)
    worker = Proc(H1, 5100, "/usr/bin/python3", "/opt/agent/worker.py", T0 - 86400 * 2, uid=1001, parent=systemd)
    ex(o, worker, 1311)
    # backup.service: a sandboxed unit restarting every 6 h, reading its own key
    ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEBACKUP001", "arn": "arn:aws:iam::%s:user/svc-backup" % ACCT,
             "accountId": ACCT, "accessKeyId": "AKIAEXAMPLEBACKUP001", "userName": "svc-backup"}
    for k in range(8):
        t = T0 - 86400 * 2 + k * 21600
        b = unit_start(o, H1, systemd, "backup", 5200 + 10 * k, t, "/usr/bin/restic", "backup /var/lib/app",
                       ns_flags="20000")
        audit(o, t + 1, H1, "openat", b, "aws_creds", paths=[("/var/lib/backup/.aws/credentials", 8700, "0100600")])
        ct(o, t + 5, "b0c1d2e3-0000-4000-8000-%012d" % k, ACCT, "us-east-1", ident, "s3", "PutObject", "10.0.7.5",
           "restic/0.16.4", readonly=False)
        audit_service(o, t + 600, H1, "backup", start=False)
    # an administrator's one-off, no namespace property: the host itself
    bash = Proc(H1, 5000, "/bin/bash", "", T0 - 7200, uid=0, parent=sshd, auid=1000)
    ex(o, bash, 1200)
    run = Proc(H1, 5010, "/usr/bin/systemd-run", "--unit=dbg-1 /usr/bin/gdb -p 5100 -batch -ex bt", T0 - 7100,
               uid=0, parent=bash, auid=1000)
    ex(o, run, 1800)
    gdb = unit_start(o, H1, systemd, "dbg-1", 5011, T0 - 7099.8, "/usr/bin/gdb", "-p 5100 -batch -ex bt")
    audit(o, gdb.start + 0.1, H1, "ptrace", gdb, "ptrace", args=["10", "13ec", "0", "0"], obj=worker)
    # the attack: a transient unit with namespace properties
    cron = Proc(H1, 600, "/usr/sbin/cron", "-f", T0 - 86400 * 3, parent=systemd)
    sh0 = Proc(H1, 5990, "/bin/sh", "-c /opt/scrape/launch.sh", T0 - 601, parent=cron)
    ex(o, sh0, 1201)
    run = Proc(H1, 5995, "/usr/bin/systemd-run", "-p PrivateNetwork=yes -p ProtectHome=yes --unit=scrape-7 "
               "/usr/bin/python3 /opt/scrape/run.py", T0 - 600, parent=sh0)
    ex(o, run, 1800)
    job = unit_start(o, H1, systemd, "scrape-7", 6000, T0 - 599.8, "/usr/bin/python3", "/opt/scrape/run.py")
    sh = Proc(H1, 6002, "/bin/sh", "-c 'id; uname -a'", T0 + 30, parent=job)
    ex(o, sh, 1201)
    nse = Proc(H1, 6003, "/usr/bin/nsenter", "-t 1 -m -u -i -n -p /bin/sh", T0 + 31, parent=sh)
    ex(o, nse, 1700)
    for k in range(2):
        audit(o, nse.start + 0.01 * (k + 1), H1, "setns", nse, "ns_change", args=["3", "0", "0", "0"])
    hsh = Proc(H1, 6004, "/bin/sh", "", T0 + 31.2, parent=nse)
    ex(o, hsh, 1201)
    cat = Proc(H1, 6005, "/usr/bin/cat", "/root/.aws/credentials", T0 + 40, parent=hsh)
    ex(o, cat, 1220)
    audit(o, cat.start + 0.001, H1, "openat", cat, "aws_creds", paths=[("/root/.aws/credentials", 8800, "0100600")])
    ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEHOSTSYNC1", "arn": "arn:aws:iam::%s:user/host-sync" % ACCT,
             "accountId": ACCT, "accessKeyId": "AKIAEXAMPLEHOSTKEY02", "userName": "host-sync"}
    for k in range(3):
        ct(o, T0 - 86400 + k * 28800 + 30, "c0c1d2e3-2222-4000-8000-%012d" % k, ACCT, "us-east-1", ident,
           "s3", "PutObject", "10.0.7.5", "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24",
           readonly=False)
    for k, (svc, name) in enumerate([("sts", "GetCallerIdentity"), ("iam", "ListUsers")]):
        ct(o, T0 + 400 + 30 * k, "c0c1d2e3-3333-4000-8000-%012d" % k, ACCT, "us-east-1", ident, svc, name,
           "203.0.113.91", "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.kali.2024")


def ns(host_mnt, host_net=True):
    return {"mnt": {"inum": 4026531841 if host_mnt else 4026532941, "is_host": host_mnt},
            "net": {"inum": 4026531840 if host_net else 4026532945, "is_host": host_net},
            "pid": {"inum": 4026531836, "is_host": True}, "user": {"inum": 4026531837, "is_host": True}}


def host2(o):
    systemd = Proc(H2, 1, SD, "--system", T0 - 86400 * 3)
    systemd.ns = ns(True)
    sshd = Proc(H2, 7300, "/usr/sbin/sshd", "-D", T0 - 86400, parent=systemd)
    sshd.ns = ns(True)
    tg_exec(o, sshd)
    # a plain unit: every namespace the host's
    agent = Proc(H2, 7400, "/usr/bin/perf-agent", "--attach-all", T0 - 3600, parent=systemd)
    agent.ns = ns(True)
    tg_exec(o, agent)
    tg_kprobe(o, T0 - 3500, agent, "__x64_sys_ptrace", [{"long_arg": 16}, {"int_arg": 7300}], policy="ptrace")
    # a transient unit asked only for PrivateUsers= (no mount namespace: the
    # host's, as Tetragon shows): its shells in the host's mount namespace
    # are no sign of leaving
    sr = Proc(H2, 7500, "/usr/bin/systemd-run", "-p PrivateUsers=yes --unit=probe-1 /usr/bin/python3 /opt/probe.py",
              T0 - 1800, parent=sshd)
    sr.ns = ns(True)
    tg_exec(o, sr)
    pr = Proc(H2, 7501, "/usr/bin/python3", "/opt/probe.py", T0 - 1799.8, parent=systemd)
    pr.ns = ns(True)
    tg_exec(o, pr)
    psh = Proc(H2, 7502, "/bin/sh", "-c uptime", T0 - 1790, parent=pr)
    psh.ns = ns(True)
    tg_exec(o, psh)
    # render.service: PrivateTmp=yes, ProtectSystem=full (a mount namespace of its own)
    unit = Proc(H2, 7000, "/usr/bin/node", "/opt/render/server.js", T0 - 43200, parent=systemd)
    unit.ns = ns(False)
    tg_exec(o, unit)
    kid = Proc(H2, 7010, "/usr/bin/node", "/opt/render/worker.js", T0 - 43000, parent=unit)
    kid.ns = ns(False)
    tg_exec(o, kid)
    dbg = Proc(H2, 7011, "/usr/bin/gdb", "-p 7010 -batch -ex bt", T0 - 42000, parent=unit)
    dbg.ns = ns(False)
    tg_exec(o, dbg)
    tg_kprobe(o, T0 - 41999, dbg, "__x64_sys_ptrace", [{"long_arg": 16}, {"int_arg": 7010}], policy="ptrace")
    # the attack: a member attaches to the host's sshd
    sh = Proc(H2, 7020, "/bin/sh", "-c /tmp/.x", T0 + 100, parent=unit)
    sh.ns = ns(False)
    tg_exec(o, sh)
    gdb = Proc(H2, 7021, "/usr/bin/gdb", "-p 7300 -batch -ex 'call (int)system(\"sh /tmp/.s\")'", T0 + 101,
               parent=sh)
    gdb.ns = ns(False)
    tg_exec(o, gdb)
    for k, req in enumerate([16, 12, 5, 17]):
        tg_kprobe(o, T0 + 101.1 + 0.01 * k, gdb, "__x64_sys_ptrace", [{"long_arg": req}, {"int_arg": 7300}],
                  policy="ptrace")
    hsh = Proc(H2, 7022, "/bin/sh", "/tmp/.s", T0 + 102, parent=sshd)
    hsh.ns = ns(True)
    tg_exec(o, hsh)
    cat = Proc(H2, 7023, "/usr/bin/cat", "/root/.config/gh/hosts.yml", T0 + 105, parent=hsh)
    cat.ns = ns(True)
    tg_exec(o, cat)
    tg_file(o, T0 + 105.01, cat, "/root/.config/gh/hosts.yml")


HOST_MNT, HOST_PID = 4026531840, 4026531836


def tr_exec(o, p, mnt):
    p.mntns, p.pidns = mnt, HOST_PID
    tracee(o, p.start + 0.0003, p, "sched_process_exec",
           [{"name": "cmdpath", "str": p.binary}, {"name": "pathname", "str": p.binary},
            {"name": "argv", "str_array": {"value": p.argv()}}], syscall="execve", style="flat")


def tr_open(o, t, p, path):
    tracee(o, t, p, "security_file_open", [{"name": "pathname", "str": path}, {"name": "flags", "int32": 32768},
                                           {"name": "syscall_pathname", "str": path}], syscall="openat",
           style="flat")


def host3(o):
    systemd = Proc(H3, 1, SD, "--system", T0 - 86400 * 3)
    # the host's own processes: a plain unit and timer-started plain units
    # (children of pid 1, as a sandboxed unit's MainPID), in its mount namespace
    mon = Proc(H3, 9400, "/usr/bin/python3", "/opt/mon/agent.py", T0 - 30000, parent=systemd)
    tr_exec(o, mon, HOST_MNT)
    for k in range(10):
        t = T0 - 28000 + k * 2700
        sh = Proc(H3, 9500 + 3 * k, "/bin/sh", "-c /opt/mon/check.sh", t, parent=mon)
        tr_exec(o, sh, HOST_MNT)
        j = Proc(H3, 9501 + 3 * k, "/usr/sbin/logrotate", "/etc/logrotate.conf", t + 3600, parent=systemd)
        tr_exec(o, j, HOST_MNT)
    # crawl.service: PrivateTmp=yes, ProtectSystem=strict (a mount namespace of its own)
    unit = Proc(H3, 9000, "/usr/bin/python3", "/opt/crawl/main.py", T0 - 20000, parent=systemd)
    tr_exec(o, unit, 4026532500)
    for k in range(3):
        w = Proc(H3, 9010 + k, "/usr/bin/chromium", "--headless https://example.com/", T0 - 19000 + k * 3000,
                 parent=unit)
        tr_exec(o, w, 4026532500)
        tr_open(o, w.start + 1, w, "/tmp/profile/Cookies")
    # the attack: a script enters pid 1's namespaces (no setns event), its shell reads a key
    py = Proc(H3, 9100, "/usr/bin/python3", "/tmp/.x.py", T0 + 500, parent=unit)
    tr_exec(o, py, 4026532500)
    sh = Proc(H3, 9101, "/bin/sh", "", T0 + 501, parent=py)
    tr_exec(o, sh, HOST_MNT)
    cat = Proc(H3, 9102, "/usr/bin/cat", "/root/.git-credentials", T0 + 505, parent=sh)
    tr_exec(o, cat, HOST_MNT)
    tr_open(o, T0 + 505.01, cat, "/root/.git-credentials")


H4 = "svc-host-4"


def host4(o):
    """ingest.service (PrivateTmp=, ProtectSystem=: it unshares a mount
    namespace before its exec) restarts; a script planted in its data
    directory leaves it in one run and again in the next: one unit, one
    workload, one incident."""
    systemd = Proc(H4, 1, SD, "--system", T0 - 86400 * 3)
    ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEHOST4SYNC", "arn": "arn:aws:iam::%s:user/host4-sync" % ACCT,
             "accountId": ACCT, "accessKeyId": "AKIAEXAMPLEHOST4K001", "userName": "host4-sync"}
    for k in range(3):  # the host key's routine use from the host
        ct(o, T0 - 86400 + k * 28800 + 40, "c4c1d2e3-4444-4000-8000-%012d" % k, ACCT, "us-east-1", ident,
           "s3", "PutObject", "10.0.7.9", "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24",
           readonly=False)

    def leave(run, base, t, path, ino):
        sh = Proc(H4, base + 2, "/bin/sh", "-c /var/lib/ingest/.cache/x.sh", t, parent=run)
        ex(o, sh, 1201)
        nse = Proc(H4, base + 3, "/usr/bin/nsenter", "-t 1 -m -u -i -n -p /bin/sh", t + 1, parent=sh)
        ex(o, nse, 1700)
        for k in range(2):
            audit(o, nse.start + 0.01 * (k + 1), H4, "setns", nse, "ns_change", args=["3", "0", "0", "0"])
        hsh = Proc(H4, base + 4, "/bin/sh", "", t + 1.2, parent=nse)
        ex(o, hsh, 1201)
        cat = Proc(H4, base + 5, "/usr/bin/cat", path, t + 10, parent=hsh)
        ex(o, cat, 1220)
        audit(o, cat.start + 0.001, H4, "openat", cat, "creds", paths=[(path, ino, "0100600")])

    run1 = unit_start(o, H4, systemd, "ingest", 8000, T0 - 7200, "/usr/bin/python3", "/opt/ingest/main.py",
                      ns_flags="20000")
    leave(run1, 8000, T0 + 200, "/root/.aws/credentials", 8810)
    for k, (svc, name) in enumerate([("sts", "GetCallerIdentity"), ("s3", "ListBuckets")]):
        ct(o, T0 + 500 + 30 * k, "c4c1d2e3-5555-4000-8000-%012d" % k, ACCT, "us-east-1", ident, svc, name,
           "203.0.113.92", "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.kali.2024")
    # restarted (a deploy, a crash): a new MainPID of the same unit
    audit_service(o, T0 + 900, H4, "ingest", start=False)
    run2 = unit_start(o, H4, systemd, "ingest", 8100, T0 + 905, "/usr/bin/python3", "/opt/ingest/main.py",
                      ns_flags="20000")
    leave(run2, 8100, T0 + 1000, "/root/.config/gh/hosts.yml", 8811)


def main(out):
    o = Out()
    host1(o)
    host2(o)
    host3(o)
    host4(o)
    o.write(out)
    os.makedirs(os.path.join(out, "inventory"), exist_ok=True)
    with open(os.path.join(out, "inventory", "credentials.map"), "w") as f:
        f.write("# cordon credential map\n")
        f.write("file:%s:/root/.aws/credentials  aws  AKIAEXAMPLEHOSTKEY02  arn:aws:iam::%s:user/host-sync\n"
                % (H1, ACCT))
        f.write("file:%s:/var/lib/backup/.aws/credentials  aws  AKIAEXAMPLEBACKUP001  "
                "arn:aws:iam::%s:user/svc-backup\n" % (H1, ACCT))
        f.write("file:%s:/root/.config/gh/hosts.yml  github  ghp-id-40533  acme-render-bot\n" % H2)
        f.write("file:%s:/root/.git-credentials  github  ghp-id-40871  acme-crawl-bot\n" % H3)
        f.write("file:%s:/root/.aws/credentials  aws  AKIAEXAMPLEHOST4K001  arn:aws:iam::%s:user/host4-sync\n"
                % (H4, ACCT))
        f.write("file:%s:/root/.config/gh/hosts.yml  github  ghp-id-48001  acme-ingest-bot\n" % H4)


if __name__ == "__main__":
    main(sys.argv[1])
