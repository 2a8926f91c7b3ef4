#!/usr/bin/env python3
"""mksandbox.py OUTDIR - the hand-built host-process-sandbox case (fixture ids
of ../shared/reference/breadth.md section 0: agent-host-3, 10.0.4.12, not a
Kubernetes node; a browser-automation job under bwrap, launcher pid 41207).
Deterministic; the committed files under sandbox/ are its output.

  benign   a worker starts a bwrap job now and then (chromium renders pages,
           reads its profile); a flatpak-style bwrap app; root's backup cron
           reads /etc/backup.conf
  attack   inside the 10:00 job a shell runs `nsenter -t 1 -m -u -i -n -p sh`
           (setns into the host's namespaces) and reads
           /root/.aws/credentials; the key in it (credential map) is then
           used from 203.0.113.66
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gen"))
from fmt import Out, Proc, audit, ct  # noqa: E402

HOST = "agent-host-3"
T0 = 1748944800.0  # 2025-06-03T10:00:00Z


def main(out):
    o = Out()
    systemd = Proc(HOST, 1, "/usr/lib/systemd/systemd", "--system", T0 - 86400 * 3)
    worker = Proc(HOST, 40011, "/usr/bin/python3", "/opt/agent/worker.py", T0 - 86400 * 2, uid=1001,
                  parent=systemd, auid=4294967295)
    audit(o, worker.start, HOST, "execve", worker, "exec", paths=[(worker.binary, 1311, "0100755")])
    pid = 41000
    # a job every 2 h for a day: bwrap -> chromium, reading its profile
    jobs = []
    t = T0 - 86400
    while t <= T0:
        pid += 7 if t < T0 else 0
        lp = 41207 if t == T0 else pid
        b = Proc(HOST, lp, "/usr/bin/bwrap", "--unshare-all --die-with-parent --ro-bind /usr /usr "
                 "--bind /srv/jobs/j%d /work --proc /proc --dev /dev /usr/bin/chromium --headless" % lp,
                 t, uid=1001, parent=worker)
        audit(o, t, HOST, "execve", b, "exec", paths=[(b.binary, 1402, "0100755")])
        c = Proc(HOST, lp + 3, "/usr/bin/chromium", "--headless --no-sandbox https://example.com/",
                 t + 0.2, uid=1001, parent=b, cwd="/work")
        audit(o, t + 0.2, HOST, "execve", c, "exec", paths=[(c.binary, 1500, "0100755")])
        audit(o, t + 1, HOST, "openat", c, "job_files", paths=[("/work/profile/Cookies", 7001, "0100600")])
        jobs.append((b, c))
        t += 2 * 3600
    # a flatpak-style app under bwrap, reading its own data
    fb = Proc(HOST, 39900, "/usr/bin/bwrap", "--args 41 -- /app/bin/notes", T0 - 5000, uid=1000, parent=systemd)
    audit(o, fb.start, HOST, "execve", fb, "exec", paths=[(fb.binary, 1402, "0100755")])
    fa = Proc(HOST, 39902, "/app/bin/notes", "", T0 - 4999, uid=1000, parent=fb)
    audit(o, fa.start, HOST, "execve", fa, "exec", paths=[("/app/bin/notes", 9100, "0100755")])
    # root's backup cron reads its own config
    cron = Proc(HOST, 38800, "/usr/sbin/cron", "-f", T0 - 86400 * 3, parent=systemd)
    for k in range(3):
        tt = T0 - 86400 + k * 28800
        bk = Proc(HOST, 38900 + k, "/usr/local/bin/backup", "--config /etc/backup.conf", tt, parent=cron)
        audit(o, tt, HOST, "execve", bk, "exec", paths=[(bk.binary, 3300, "0100755")])
        audit(o, tt + 1, HOST, "openat", bk, "backup", paths=[("/etc/backup.conf", 3301, "0100600")])
    # the attack, inside the 10:00 job (launcher 41207)
    b, c = jobs[-1]
    sh = Proc(HOST, 41230, "/bin/sh", "-c 'nsenter -t 1 -m -u -i -n -p sh'", T0 + 60, uid=0, parent=c, cwd="/work")
    audit(o, sh.start, HOST, "execve", sh, "exec", paths=[(sh.binary, 1201, "0100755")])
    ns = Proc(HOST, 41240, "/usr/bin/nsenter", "-t 1 -m -u -i -n -p sh", T0 + 61, uid=0, parent=sh, cwd="/work")
    audit(o, ns.start, HOST, "execve", ns, "exec", paths=[(ns.binary, 1210, "0100755")])
    for k in range(5):
        audit(o, ns.start + 0.01 * (k + 1), HOST, "setns", ns, "ns_change")
    hsh = Proc(HOST, 41241, "/bin/sh", "", T0 + 62, uid=0, parent=ns, cwd="/")
    audit(o, hsh.start, HOST, "execve", hsh, "exec", paths=[(hsh.binary, 1201, "0100755")])
    cat = Proc(HOST, 41250, "/usr/bin/cat", "/root/.aws/credentials", T0 + 70, uid=0, parent=hsh, cwd="/")
    audit(o, cat.start, HOST, "execve", cat, "exec", paths=[(cat.binary, 1220, "0100755")])
    audit(o, cat.start + 0.001, HOST, "openat", cat, "aws_creds", paths=[("/root/.aws/credentials", 8800, "0100600")])
    # the key, used by the host's own backup job before, then from outside
    ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLEBACKUP001", "arn": "arn:aws:iam::111122223333:user/host-backup",
             "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEHOSTKEY01", "userName": "host-backup"}
    for k in range(3):
        ct(o, T0 - 86400 + k * 28800 + 30, "b0c1d2e3-0000-4000-8000-%012d" % k, "111122223333", "us-east-1", ident,
           "s3", "PutObject", "10.0.4.12", "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24",
           readonly=False)
    for k, (svc, name) in enumerate([("sts", "GetCallerIdentity"), ("s3", "ListBuckets"), ("iam", "ListUsers")]):
        ct(o, T0 + 300 + 30 * k, "b0c1d2e3-1111-4000-8000-%012d" % k, "111122223333", "us-east-1", ident, svc, name,
           "203.0.113.66", "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.kali.2024")
    o.write(out)
    os.makedirs(os.path.join(out, "inventory"), exist_ok=True)
    with open(os.path.join(out, "inventory", "credentials.map"), "w") as f:
        f.write("# cordon credential map\n")
        f.write("file:agent-host-3:/root/.aws/credentials  aws  AKIAEXAMPLEHOSTKEY01  arn:aws:iam::111122223333:user/host-backup\n")


if __name__ == "__main__":
    main(sys.argv[1])
