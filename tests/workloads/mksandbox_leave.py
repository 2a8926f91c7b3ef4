#!/usr/bin/env python3
"""mksandbox_leave.py OUTDIR - two more ways out of a host process sandbox
(breadth.md 3.6), with the look-alikes of each.  Deterministic; the
committed files under sandbox_leave/ are its output.

  jobs-host-1 (bwrap jobs sharing the host's pids: `--unshare-net` only)
    attack   a job's gdb attaches to the worker that launched it (ptrace
             with an OBJ_PID record naming the worker, outside the
             sandbox); the worker then runs a shell that reads
             /home/ci/.aws/credentials; the key is used from 203.0.113.77
    benign   a job's gdb on its own child (OBJ_PID names a member); a job
             in a pid namespace (--unshare-all) strace-ing pid 3, its own;
             an operator's `firejail --join` from a login shell
  jobs-host-2 (firejail jobs)
    attack   a job runs `firejail --join=6300 /bin/sh` (setns into
             another sandbox) and reads /root/.config/gh/hosts.yml there
  jobs-host-3 (Tetragon only, --enable-process-ns: no auditd)
    attack   a bwrap job's nsenter (setns kprobe) starts a shell whose mount
             namespace is the host's; it reads /root/.aws/credentials
    benign   jobs reading their own files; a job using the host's network
             by design (bwrap --share-net: net is the host's, mnt is not)
  jobs-host-4 (Tracee only, its flat JSON: the only shape naming the host)
    attack   an nsjail job's shell runs `nsenter --target 1 --all` (setns
             events) and reads /root/.git-credentials
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gen"))
from fmt import Out, Proc, audit, ct, tg_exec, tg_file, tg_kprobe, tracee  # noqa: E402

H1, H2, H3, H4 = "jobs-host-1", "jobs-host-2", "jobs-host-3", "jobs-host-4"
T0 = 1748948400.0  # 2025-06-03T11:00:00Z
ACCT = "111122223333"


def host_base(o, host, worker_pid):
    systemd = Proc(host, 1, "/usr/lib/systemd/systemd", "--system", T0 - 86400 * 3)
    worker = Proc(host, worker_pid, "/usr/bin/python3", "/opt/agent/worker.py", T0 - 86400 * 2, uid=1001,
                  parent=systemd)
    audit(o, worker.start, host, "execve", worker, "exec", paths=[(worker.binary, 1311, "0100755")])
    return systemd, worker


def job(o, host, worker, pid, t, launcher, args, prog, pargs):
    b = Proc(host, pid, launcher, args + " " + prog + " " + pargs, t, uid=1001, parent=worker)
    audit(o, t, host, "execve", b, "exec", paths=[(launcher, 1402, "0100755")])
    c = Proc(host, pid + 2, prog, pargs, t + 0.2, uid=1001, parent=b, cwd="/work")
    audit(o, t + 0.2, host, "execve", c, "exec", paths=[(prog, 1500, "0100755")])
    audit(o, t + 1, host, "openat", c, "job_files", paths=[("/work/input.json", 7001, "0100600")])
    return b, c


def host1(o):
    systemd, worker = host_base(o, H1, 4000)
    bw = "/usr/bin/bwrap"
    shared = "--ro-bind / / --dev /dev --tmpfs /tmp --unshare-net --die-with-parent --chdir /work"
    jobs = [job(o, H1, worker, 4100 + 20 * k, T0 - 86400 + k * 7200, bw, shared, "/usr/bin/python3", "/work/tool.py")
            for k in range(12)]
    # benign: a job debugging its own child
    b, c = jobs[3]
    kid = Proc(H1, c.pid + 5, "/usr/bin/python3", "/work/test_worker.py", c.start + 5, uid=1001, parent=c, cwd="/work")
    audit(o, kid.start, H1, "execve", kid, "exec", paths=[(kid.binary, 1500, "0100755")])
    gdb = Proc(H1, c.pid + 6, "/usr/bin/gdb", "-p %d -batch -ex bt" % kid.pid, c.start + 6, uid=1001, parent=c,
               cwd="/work")
    audit(o, gdb.start, H1, "execve", gdb, "exec", paths=[(gdb.binary, 1600, "0100755")])
    audit(o, gdb.start + 0.1, H1, "ptrace", gdb, "ptrace", args=["10", "%x" % kid.pid, "0", "0"], obj=kid)
    # benign: a job in a pid namespace tracing its own pid 3
    pj = Proc(H1, 4700, bw, "--unshare-all --die-with-parent --bind /srv/jobs/p /work /usr/bin/sh /work/run.sh",
              T0 - 3000, uid=1001, parent=worker)
    audit(o, pj.start, H1, "execve", pj, "exec", paths=[(bw, 1402, "0100755")])
    ps = Proc(H1, 4702, "/usr/bin/sh", "/work/run.sh", T0 - 2999, uid=1001, parent=pj, cwd="/work")
    audit(o, ps.start, H1, "execve", ps, "exec", paths=[(ps.binary, 1201, "0100755")])
    st = Proc(H1, 4705, "/usr/bin/strace", "-f -p 3", T0 - 2990, uid=1001, parent=ps, cwd="/work")
    audit(o, st.start, H1, "execve", st, "exec", paths=[(st.binary, 1601, "0100755")])
    audit(o, st.start + 0.1, H1, "ptrace", st, "ptrace", args=["4206", "3", "0", "0"])
    # benign: an operator joins a firejail sandbox from a login shell
    sshd = Proc(H1, 900, "/usr/sbin/sshd", "-D", T0 - 86400 * 3, parent=systemd)
    bash = Proc(H1, 5000, "/bin/bash", "", T0 - 1800, uid=0, parent=sshd, auid=1000)
    audit(o, bash.start, H1, "execve", bash, "exec", paths=[(bash.binary, 1200, "0100755")])
    fj = Proc(H1, 5001, "/usr/bin/firejail", "--join=4700 bash", T0 - 1790, uid=0, parent=bash, auid=1000)
    audit(o, fj.start, H1, "execve", fj, "exec", paths=[(fj.binary, 1700, "0100755")])
    for k in range(3):
        audit(o, fj.start + 0.01 * (k + 1), H1, "setns", fj, "ns_change", args=["3", "0", "0", "0"])
    # the attack: the 11:00 job's gdb attaches to the worker, outside its sandbox
    b, c = jobs[-1]
    gdb = Proc(H1, 4390, "/usr/bin/gdb", "-p 4000 -batch -ex 'call (int)system(\"sh /tmp/.s\")'", T0 + 60,
               uid=1001, parent=c, cwd="/work")
    audit(o, gdb.start, H1, "execve", gdb, "exec", paths=[(gdb.binary, 1600, "0100755")])
    for k, req in enumerate(["10", "5", "5", "11"]):
        audit(o, gdb.start + 0.1 + 0.01 * k, H1, "ptrace", gdb, "ptrace", args=[req, "fa0", "0", "0"], obj=worker)
    sh = Proc(H1, 4395, "/bin/sh", "/tmp/.s", T0 + 61, uid=1001, parent=worker, cwd="/")
    audit(o, sh.start, H1, "execve", sh, "exec", paths=[(sh.binary, 1201, "0100755")])
    cat = Proc(H1, 4396, "/usr/bin/cat", "/home/ci/.aws/credentials", T0 + 62, uid=1001, parent=sh, cwd="/")
    audit(o, cat.start, H1, "execve", cat, "exec", paths=[(cat.binary, 1220, "0100755")])
    audit(o, cat.start + 0.001, H1, "openat", cat, "aws_creds", paths=[("/home/ci/.aws/credentials", 8800, "0100600")])
    ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLECIUPLOAD1", "arn": "arn:aws:iam::%s:user/ci-uploader" % ACCT,
             "accountId": ACCT, "accessKeyId": "AKIAEXAMPLECIKEY0001", "userName": "ci-uploader"}
    for k in range(3):
        ct(o, T0 - 86400 + k * 28800 + 30, "c0c1d2e3-0000-4000-8000-%012d" % k, ACCT, "us-east-1", ident,
           "s3", "PutObject", "10.0.5.21", "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24",
           readonly=False)
    for k, (svc, name) in enumerate([("sts", "GetCallerIdentity"), ("s3", "ListBuckets")]):
        ct(o, T0 + 400 + 30 * k, "c0c1d2e3-1111-4000-8000-%012d" % k, ACCT, "us-east-1", ident, svc, name,
           "203.0.113.77", "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.kali.2024")


def host2(o):
    systemd, worker = host_base(o, H2, 6000)
    fj = "/usr/bin/firejail"
    jobs = [job(o, H2, worker, 6100 + 20 * k, T0 - 43200 + k * 3600, fj, "--quiet --private=/srv/jobs/j%d" % k,
                "/bin/sh", "/work/run.sh") for k in range(12)]
    b, c = jobs[-1]
    join = Proc(H2, 6390, fj, "--join=6300 /bin/sh", T0 + 120, uid=1001, parent=c, cwd="/work")
    audit(o, join.start, H2, "execve", join, "exec", paths=[(fj, 1700, "0100755")])
    for k in range(4):
        audit(o, join.start + 0.01 * (k + 1), H2, "setns", join, "ns_change", args=["4", "0", "0", "0"])
    sh = Proc(H2, 6391, "/bin/sh", "", T0 + 121, uid=1001, parent=join, cwd="/")
    audit(o, sh.start, H2, "execve", sh, "exec", paths=[(sh.binary, 1201, "0100755")])
    cat = Proc(H2, 6392, "/usr/bin/cat", "/root/.config/gh/hosts.yml", T0 + 125, uid=1001, parent=sh, cwd="/")
    audit(o, cat.start, H2, "execve", cat, "exec", paths=[(cat.binary, 1220, "0100755")])
    audit(o, cat.start + 0.001, H2, "openat", cat, "gh", paths=[("/root/.config/gh/hosts.yml", 8900, "0100600")])


def ns(host_mnt, host_net):
    return {"mnt": {"inum": 4026531841 if host_mnt else 4026532841, "is_host": host_mnt},
            "net": {"inum": 4026531840 if host_net else 4026532845, "is_host": host_net},
            "pid": {"inum": 4026532843}, "user": {"inum": 4026532840}}


def host3(o):
    systemd = Proc(H3, 1, "/usr/lib/systemd/systemd", "--system", T0 - 86400 * 3)
    systemd.ns = ns(True, True)
    worker = Proc(H3, 7000, "/usr/bin/node", "/opt/agent/worker.js", T0 - 86400, uid=1001, parent=systemd)
    worker.ns = ns(True, True)
    tg_exec(o, worker)
    jobs = []
    for k in range(10):
        t = T0 - 36000 + k * 3600
        b = Proc(H3, 7100 + 10 * k, "/usr/bin/bwrap", "--unshare-all --share-net --die-with-parent --ro-bind /usr /usr "
                 "--bind /srv/jobs/t%d /work -- node run.js" % k, t, uid=1001, parent=worker)
        b.ns = ns(True, True)
        tg_exec(o, b)
        c = Proc(H3, 7100 + 10 * k + 2, "/usr/bin/node", "run.js", t + 0.3, uid=1001, parent=b, cwd="/work")
        c.ns = ns(False, True)
        tg_exec(o, c)
        tg_file(o, t + 1, c, "/work/package.json")
        jobs.append((b, c))
    b, c = jobs[-1]
    nse = Proc(H3, 7210, "/usr/bin/nsenter", "-t 1 -m -u -i -n -p /bin/sh", T0 + 200, uid=0, parent=c, cwd="/work")
    nse.ns = ns(False, True)
    tg_exec(o, nse)
    tg_kprobe(o, T0 + 200.01, nse, "__x64_sys_setns", [{"int_arg": 5}, {"int_arg": 131072}], policy="ns-changes")
    sh = Proc(H3, 7211, "/bin/sh", "", T0 + 200.1, uid=0, parent=nse, cwd="/")
    sh.ns = ns(True, True)
    tg_exec(o, sh)
    cat = Proc(H3, 7212, "/usr/bin/cat", "/root/.aws/credentials", T0 + 205, uid=0, parent=sh, cwd="/")
    cat.ns = ns(True, True)
    tg_exec(o, cat)
    tg_file(o, T0 + 205.01, cat, "/root/.aws/credentials")


def tr_exec(o, p):
    tracee(o, p.start + 0.0003, p, "sched_process_exec",
           [{"name": "cmdpath", "str": p.binary}, {"name": "pathname", "str": p.binary},
            {"name": "argv", "str_array": {"value": p.argv()}}], syscall="execve", style="flat")


def tr_open(o, t, p, path):
    tracee(o, t, p, "security_file_open", [{"name": "pathname", "str": path}, {"name": "flags", "int32": 32768},
                                           {"name": "syscall_pathname", "str": path}], syscall="openat",
           style="flat")


def host4(o):
    systemd = Proc(H4, 1, "/usr/lib/systemd/systemd", "--system", T0 - 86400 * 3)
    worker = Proc(H4, 8000, "/usr/bin/python3", "/opt/runner/worker.py", T0 - 86400, uid=1001, parent=systemd)
    tr_exec(o, worker)
    jobs = []
    for k in range(8):
        t = T0 - 28800 + k * 3600
        b = Proc(H4, 8100 + 10 * k, "/usr/bin/nsjail", "-Mo --chroot / --bindmount /srv/jobs/n%d:/work --cwd /work "
                 "-- /bin/sh /work/run.sh" % k, t, uid=1001, parent=worker)
        tr_exec(o, b)
        c = Proc(H4, b.pid + 2, "/bin/sh", "/work/run.sh", t + 0.2, uid=1001, parent=b, cwd="/work", ns_pid=1)
        c.mntns, c.pidns = 4026532300 + k, 4026532400 + k  # nsjail's own namespaces
        tr_exec(o, c)
        tr_open(o, t + 1, c, "/work/run.sh")
        jobs.append((b, c))
    b, c = jobs[-1]
    nse = Proc(H4, 8190, "/usr/bin/nsenter", "--target 1 --all /bin/sh", T0 + 300, uid=0, parent=c, cwd="/work",
               ns_pid=7)
    nse.mntns, nse.pidns = c.mntns, c.pidns
    tr_exec(o, nse)
    for k in range(3):
        tracee(o, T0 + 300.01 + 0.001 * k, nse, "setns", [{"name": "fd", "int32": 3 + k},
                                                           {"name": "nstype", "int32": 0}], syscall="setns",
               style="flat")
    sh = Proc(H4, 8191, "/bin/sh", "", T0 + 300.1, uid=0, parent=nse, cwd="/")
    tr_exec(o, sh)
    cat = Proc(H4, 8192, "/usr/bin/cat", "/root/.git-credentials", T0 + 303, uid=0, parent=sh, cwd="/")
    tr_exec(o, cat)
    tr_open(o, T0 + 303.01, cat, "/root/.git-credentials")


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
        f.write("file:%s:/home/ci/.aws/credentials  aws  AKIAEXAMPLECIKEY0001  arn:aws:iam::%s:user/ci-uploader\n"
                % (H1, ACCT))
        f.write("file:%s:/root/.config/gh/hosts.yml  github  ghp-id-40411  acme-ci-bot\n" % H2)
        f.write("file:%s:/root/.aws/credentials  aws  AKIAEXAMPLEAGENTKEY1  arn:aws:iam::%s:user/agent-runner\n"
                % (H3, ACCT))
        f.write("file:%s:/root/.git-credentials  github  ghp-id-40977  acme-release-bot\n" % H4)


if __name__ == "__main__":
    main(sys.argv[1])
