#!/usr/bin/env python3
"""sb_cases.py - randomized host-process-sandbox cases (issue 19), the
counterpart of cases.py for bwrap/firejail/nsjail jobs on hosts that are not
Kubernetes nodes.  Written from ../shared/reference/breadth.md section 3 and
the auditd record shapes of fmt.py, not from the correlator.

    sb_cases.py SEED OUTDIR
    sb_cases.py -n N BASESEED OUTROOT      OUTROOT/sb-000 ...

A case: 1-3 hosts (agent runners, browser-automation boxes), each with a
worker that starts sandboxed jobs (bwrap, firejail or nsjail, with each
tool's own argument style) every 15 min to 3 h over 2 h to 3 days; jobs run
a browser, a Python tool or a shell and read files inside their sandbox.
Hosts hold credential files (/root/.aws/credentials, /root/.docker/config.json,
/root/.config/gh/hosts.yml ...) named in a credential map; a host's own
backup job uses its AWS key from the host's address.

Look-alikes, each drawn per case: a flatpak-style bwrap app; a job reading
a file named like a credential inside its own bind mount (not the host's);
root's backup running `aws s3 sync` (reads the key through the CLI).

Look-alikes added for the other ways out: a job debugging its own child
(gdb or strace, ptrace with an OBJ_PID naming the member); an operator
joining a job's sandbox from a login shell (firejail --join, nsenter -t).

Systemd units (breadth.md 3.1, 3.5): a host may run its jobs as sandboxed
units instead, seen by auditd or by Tetragon alone (--enable-process-ns):
transient ones (`systemd-run -p PrivateNetwork=yes --unit=job-X CMD`, each
option style; pid 1 starts the MainPID, auditd's SERVICE_START names the
unit) or one service (PrivateTmp=, ProtectSystem=: its MainPID unshares a
mount namespace before its exec, or Tetragon shows it outside the host's)
restarting every few hours, its jobs its children.  Their look-alikes: an
administrator's one-off `systemd-run gdb -p PID` without namespace
properties; a sandboxed unit reading its own key (used from the host); a
plain unit's `nsenter -t PID -n` into a job; a unit's gdb on its own child.
A unit's escape is nsenter -t 1 (setns) or gdb attaching to the worker
(ptrace; units share the host's pids), then the host's files; half of the
service's escapes recur after a restart (a script planted in its data
directory runs from the next MainPID and leaves again).  A unit the logs
name (auditd's SERVICE_START, systemd-run --unit/-u) is one workload across
its restarts, "HOST:unit=NAME"; a unit nothing names, each of its runs,
"HOST:PID:START".

Attack (4 cases in 5; seed % 5 == 0 is benign-only): a process inside one
job leaves it, one of: nsenter into PID 1's namespaces (`-t 1`, `--target
1`, `-t1`; auditd records the execve and its setns calls); on a bwrap host
sharing the host's pids, gdb attaching to the worker that launched the job
(ptrace, OBJ_PID) and making it run a shell; on a firejail host,
`firejail --join=PID` into another job's sandbox.  Then it reads 1-3 of
the host's credential files; an AWS key among them is used from outside.
Truth: the sandbox (host, launcher pid, launcher start) is the escaped
workload; the keys of the files read must be reported, the host's other
mapped keys may be (the whole host was exposed); the users must be reachable.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import ATTACKER_AWS_UA, ATTACKER_NETS, Rnd  # noqa: E402
from fmt import case_main, Out, Proc, audit, audit_service, ct, tg_exec, tg_file, tg_kprobe, tracee  # noqa: E402

HOUR = 3600.0
CRED_FILES = [("/root/.aws/credentials", "aws"), ("/root/.docker/config.json", "github"),
              ("/root/.config/gh/hosts.yml", "github"), ("/root/.git-credentials", "github"),
              ("/home/ci/.aws/credentials", "aws")]


class SbCase:
    def __init__(self, seed):
        self.seed = seed
        self.r = Rnd(seed)
        self.o = Out()
        self.truth = {"seed": seed, "kind": "sandbox", "benign_only": False, "family": None, "variant": {},
                      "escaped": [], "credentials": [], "credentials_may": [],
                      "reachable": [], "reachable_may": []}
        self.inode = 5000

    def ino(self):
        self.inode += self.r.randint(1, 40)
        return self.inode

    def launcher(self, h, job_dir, prog):
        r = self.r
        tool = h["tool"]
        if tool == "bwrap" and not h["pidns"]:
            # an agent sandbox sharing the host's pids (no --unshare-pid)
            return "/usr/bin/bwrap", "--ro-bind / / --dev /dev --tmpfs /tmp --unshare-net --unshare-ipc " \
                "--die-with-parent --bind %s /work --chdir /work %s" % (job_dir, prog)
        if tool == "bwrap":
            return "/usr/bin/bwrap", "--unshare-all --die-with-parent --ro-bind /usr /usr --bind %s /work " \
                "--proc /proc --dev /dev --chdir /work %s" % (job_dir, prog)
        if tool == "firejail":
            return "/usr/bin/firejail", "--quiet --private=%s --net=none %s" % (job_dir, prog) \
                if r.random() < 0.5 else "--quiet --private=%s %s" % (job_dir, prog)
        return "/usr/bin/nsjail", "-Mo --chroot / --bindmount %s:/work --cwd /work -- %s" % (job_dir, prog)

    def build(self):
        r = self.r
        self.acct = "%012d" % r.randint(10 ** 11, 10 ** 12 - 1)
        self.H = HOUR * (2 ** r.uniform(1, 6.2))
        self.END = 1735689600 + r.randint(0, 500) * 86400 + r.uniform(0, 86400)
        self.T = self.END - r.uniform(0.05, 0.5) * HOUR
        self.S = self.T - self.H
        self.hosts = []
        for i in range(r.randint(1, 3)):
            name = "%s-%d" % (r.choice(["agent-host", "browser-box", "runner", "scrape"]), r.randint(1, 40))
            if any(h["name"] == name for h in self.hosts):
                continue
            ip = "10.%d.%d.%d" % (r.randint(0, 250), r.randint(0, 250), r.randint(2, 250))
            files = r.sample(CRED_FILES, r.randint(1, 3))
            if not any(p == "aws" for _, p in files):
                files.append(("/root/.aws/credentials", "aws"))
            creds = []
            for path, prov in files:
                if prov == "aws":
                    user = "%s-%s" % (r.choice(["backup", "uploader", "deploy", "ci"]), name)
                    creds.append((path, "aws", "AKIA" + r.b32(16).upper(),
                                  "arn:aws:iam::%s:user/%s" % (self.acct, user)))
                else:
                    creds.append((path, "github", "ghp-id-%d" % r.randint(10000, 99999), "acme-bot-%d" % r.randint(1, 9)))
            self.hosts.append({"name": name, "ip": ip, "creds": creds, "jobs": [],
                               "tool": r.choice(["bwrap", "bwrap", "firejail", "nsjail", "unit-run", "unit-svc"]),
                               "gap": HOUR * r.uniform(0.25, 3), "pid": r.randint(3000, 30000)})
            hh = self.hosts[-1]
            hh["pidns"] = hh["tool"] != "bwrap" or r.random() < 0.5
            if hh["tool"].startswith("unit"):
                hh["pidns"] = False  # units share the host's pids (no PrivatePIDs=)
            hh["src"] = r.choice(["auditd", "tetragon", "tracee"]) if hh["tool"].startswith("unit") else "auditd"

    def pid(self, h):
        h["pid"] += self.r.randint(1, 60)
        return h["pid"]

    # ---- one process's records in the host's source (auditd or Tetragon) ----
    def ns_of(self, host_mnt, host_net=True):
        return {"mnt": {"inum": 4026531841 if host_mnt else 4026532000 + self.r.randint(100, 900),
                        "is_host": host_mnt},
                "net": {"inum": 4026531840 if host_net else 4026533000 + self.r.randint(100, 900),
                        "is_host": host_net},
                "pid": {"inum": 4026531836, "is_host": True}, "user": {"inum": 4026531837, "is_host": True}}

    def proc(self, h, binary, args, t, parent, host_mnt=True, host_net=True, **kw):
        p = Proc(h["name"], self.pid(h), binary, args, t, parent=parent, **kw)
        p.ns = self.ns_of(host_mnt, host_net)
        return p

    def tr_ns(self, p):
        ns = getattr(p, "ns", None) or self.ns_of(True)
        p.mntns, p.pidns = ns["mnt"]["inum"], ns["pid"]["inum"]

    def ex(self, h, p):
        if h["src"] == "tetragon":
            tg_exec(self.o, p)
        elif h["src"] == "tracee":
            self.tr_ns(p)
            tracee(self.o, p.start + 0.0003, p, "sched_process_exec",
                   [{"name": "cmdpath", "str": p.binary}, {"name": "pathname", "str": p.binary},
                    {"name": "argv", "str_array": {"value": p.argv()}}], syscall="execve", style="flat")
        else:
            audit(self.o, p.start, h["name"], "execve", p, "exec", paths=[(p.binary, self.ino(), "0100755")])

    def op(self, h, t, p, path, key="file"):
        if h["src"] == "tetragon":
            tg_file(self.o, t, p, path)
        elif h["src"] == "tracee":
            self.tr_ns(p)
            tracee(self.o, t, p, "security_file_open", [{"name": "pathname", "str": path},
                                                         {"name": "flags", "int32": 32768},
                                                         {"name": "syscall_pathname", "str": path}],
                   syscall="openat", style="flat")
        else:
            audit(self.o, t, h["name"], "openat", p, key, paths=[(path, self.ino(), "0100600")])

    def sns(self, h, t, p, nstype="0"):
        if h["src"] == "tracee":
            if h["tr_setns"]:  # a policy selecting setns (else only the execs show it)
                self.tr_ns(p)
                tracee(self.o, t, p, "setns", [{"name": "fd", "int32": 3 + self.r.randint(0, 4)},
                                               {"name": "nstype", "int32": int(nstype, 16)}],
                       syscall="setns", style="flat")
            return
        if h["src"] == "tetragon":
            tg_kprobe(self.o, t, p, "__x64_sys_setns", [{"int_arg": 3 + self.r.randint(0, 4)},
                                                         {"int_arg": int(nstype, 16)}], policy="ns-changes")
        else:
            audit(self.o, t, h["name"], "setns", p, "ns_change", args=[str(3 + self.r.randint(0, 4)), nstype, "0", "0"])

    def ptr(self, h, t, p, req, target):
        if h["src"] == "tracee":
            self.tr_ns(p)
            tracee(self.o, t, p, "ptrace", [{"name": "request", "int32": int(req, 16)},
                                            {"name": "pid", "int32": target.pid}], syscall="ptrace", style="flat")
            return
        if h["src"] == "tetragon":
            tg_kprobe(self.o, t, p, "__x64_sys_ptrace", [{"long_arg": int(req, 16)}, {"int_arg": target.pid}],
                      policy="ptrace")
        else:
            audit(self.o, t, h["name"], "ptrace", p, "ptrace", args=[req, "%x" % target.pid, "0", "0"], obj=target)

    def unit_root(self, h, unit, binary, args, t, host_mnt, host_net, unshare):
        """pid 1 forks the MainPID, which (sandboxed) unshares, then execs."""
        p = self.proc(h, binary, args, t, h["systemd"], host_mnt, host_net)
        if h["src"] == "auditd":
            if unshare:
                pre = Proc(h["name"], p.pid, "/usr/lib/systemd/systemd", "", t - 0.005, parent=h["systemd"])
                audit(self.o, t - 0.005, h["name"], "unshare", pre, "ns", args=[unshare, "0", "0", "0"])
            audit_service(self.o, t + 0.02, h["name"], unit)
        self.ex(h, p)
        p.unit = unit
        return p

    def run_props(self):
        r = self.r
        props = r.sample(["PrivateNetwork=yes", "PrivateTmp=yes", "ProtectSystem=strict", "ProtectHome=yes",
                          "DynamicUser=yes", "PrivateDevices=yes", "ProtectHome=read-only"],
                         r.randint(1, 3))
        style = r.choice(["-p %s", "--property=%s", "--property %s", "-p%s"])
        return props, " ".join(style % x for x in props)

    def unit_jobs(self, h):
        """Jobs as sandboxed units: transient (systemd-run) or one restarting service."""
        r = self.r
        t = self.S + r.uniform(0, h["gap"])
        svc = None
        n = 0
        while t < self.END:
            jd = "/srv/jobs/%s" % r.hexs(8)
            prog = r.choice(["/usr/bin/python3 %s/tool.py" % jd, "/usr/bin/node %s/run.js" % jd,
                             "/usr/bin/chromium --headless --no-sandbox https://example.com/"])
            pbin, pargs = prog.split(" ", 1)
            if h["tool"] == "unit-run":
                props, opts = self.run_props()
                unit = "job-%s" % r.hexs(6) if r.random() < 0.7 else None
                extra = r.choice(["", "--collect ", "--wait -q ", "--uid=1001 "])
                args = "%s%s%s %s" % (extra, opts, " --unit=%s" % unit if unit and r.random() < 0.5
                                      else (" -u %s" % unit if unit else ""), prog)
                sr = self.proc(h, "/usr/bin/systemd-run", args, t, h["worker"], uid=1001)
                self.ex(h, sr)
                n += 1
                private_mnt = True  # each of these implies a mount namespace (PrivateNetwork= PrivateMounts=)
                b = self.unit_root(h, unit or "run-u%d" % (100 + n), pbin, pargs, t + r.uniform(0.05, 0.6),
                                   not private_mnt, "PrivateNetwork=yes" not in props,
                                   "%x" % ((0x20000 if private_mnt else 0) |
                                           (0x40000000 if "PrivateNetwork=yes" in props else 0))
                                   if r.random() < 0.5 else None)
                b.named_by_run = unit is not None  # --unit=NAME or -u NAME on systemd-run's command line
            else:
                if svc is None or r.random() < 0.5:
                    # (re)start of the service: a new MainPID, the same unit
                    if svc is not None and h["src"] == "auditd":
                        audit_service(self.o, t - 1, h["name"], h["unit"], start=False)
                    svc = self.unit_root(h, h["unit"], "/usr/bin/python3", "/opt/%s/main.py" % h["unit"], t,
                                         False, True, "20000")
                    h.setdefault("mains", []).append(svc)
                b = svc
            c = self.proc(h, pbin if h["tool"] == "unit-svc" else "/bin/sh",
                          pargs if h["tool"] == "unit-svc" else "-c %s/step.sh" % jd, t + 1, b,
                          b.ns["mnt"]["is_host"], b.ns["net"]["is_host"], cwd=jd)
            c.ns = b.ns
            self.ex(h, c)
            self.op(h, t + 2, c, "%s/%s" % (jd, r.choice(["input.json", "cache/index", "profile/Cookies"])),
                    "job_files")
            h["jobs"].append((b, c))
            t += h["gap"] * r.uniform(0.6, 1.4)

    def unit_lookalikes(self, h, lk):
        r = self.r
        if r.random() < 0.5:
            # an administrator's one-off without namespace properties: the host
            sshd = self.proc(h, "/usr/sbin/sshd", "-D", self.S - 86400, h["systemd"])
            bash = self.proc(h, "/bin/bash", "", self.S + r.uniform(0, self.H), sshd, auid=1000)
            self.ex(h, bash)
            unit = "adhoc-%d" % r.randint(1, 99)
            tool = r.choice(["/usr/bin/gdb -p %d -batch -ex bt", "/usr/bin/strace -f -p %d"]) % h["worker"].pid
            sr = self.proc(h, "/usr/bin/systemd-run", r.choice(["--unit=%s " % unit, "", "--wait "]) + tool,
                           bash.start + 5, bash, auid=1000)
            self.ex(h, sr)
            tb, targs = tool.split(" ", 1)
            g = self.unit_root(h, unit, tb, targs, sr.start + 0.2, True, True, None)
            self.ptr(h, g.start + 0.1, g, r.choice(["10", "4206"]), h["worker"])
            lk.append("admin-systemd-run-oneoff")
        if r.random() < 0.5:
            # a sandboxed unit reading its own key, used from the host
            name = r.choice(["metrics-push", "log-ship", "snapshot"])
            path = "/var/lib/%s/.aws/credentials" % name
            ident = "arn:aws:iam::%s:user/%s-%s" % (self.acct, name, h["name"])
            key = "AKIA" + r.b32(16).upper()
            h["own_keys"].append((path, "aws", key, ident))
            ui = {"type": "IAMUser", "principalId": "AIDA" + r.b32(16).upper(), "arn": ident,
                  "accountId": self.acct, "accessKeyId": key, "userName": ident.rsplit("/", 1)[1]}
            t = self.S + r.uniform(0, 0.2 * self.H)
            while t < self.END:
                u = self.unit_root(h, name, "/usr/bin/%s" % name, "--once", t, False, True, "20000")
                self.op(h, t + 0.5, u, path, "aws_creds")
                ct(self.o, t + 2, r.uuid(), self.acct, "us-east-1", ui, "s3", "PutObject", h["ip"],
                   "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5", readonly=False)
                t += r.uniform(1, 4) * HOUR
            lk.append("unit-reads-own-key")
        if h["jobs"] and r.random() < 0.4:
            # a plain unit (every namespace the host's) entering a job's network namespace
            b, c = r.choice(h["jobs"])
            mon = self.proc(h, "/usr/bin/netmon", "--interval 60", self.S - 3600, h["systemd"])
            self.ex(h, mon)
            ne = self.proc(h, "/usr/bin/nsenter", "-t %d -n ss -tn" % c.pid, c.start + 20, mon)
            self.ex(h, ne)
            self.sns(h, ne.start + 0.01, ne, "40000000")
            lk.append("plain-unit-nsenter-job")
        if h["jobs"] and r.random() < 0.4:
            b, c = r.choice(h["jobs"])
            kid = self.proc(h, "/usr/bin/python3", "/srv/test_worker.py", c.start + 3, c, c.ns["mnt"]["is_host"])
            kid.ns = c.ns
            self.ex(h, kid)
            dbg = self.proc(h, "/usr/bin/gdb", "-p %d -batch -ex bt" % kid.pid, c.start + 4, c)
            dbg.ns = c.ns
            self.ex(h, dbg)
            self.ptr(h, dbg.start + 0.1, dbg, "10", kid)
            lk.append("unit-debugs-own-child")

    def host_key_use(self, h):
        """The host's own key use (backup) from the host's address."""
        r = self.r
        for path, prov, key, ident in h["creds"]:
            if prov != "aws":
                continue
            uname = ident.rsplit("/", 1)[1]
            ui = {"type": "IAMUser", "principalId": "AIDA" + r.b32(16).upper(), "arn": ident,
                  "accountId": self.acct, "accessKeyId": key, "userName": uname}
            tt = self.S + r.uniform(0, 0.3 * self.H)
            while tt < self.END:
                ct(self.o, tt, r.uuid(), self.acct, "us-east-1", ui, "s3", "PutObject", h["ip"],
                   "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24 command/s3.sync", readonly=False)
                tt += r.uniform(2, 8) * HOUR

    def benign(self):
        r = self.r
        lk = self.truth["variant"].setdefault("lookalikes", [])
        for h in self.hosts:
            systemd = Proc(h["name"], 1, "/usr/lib/systemd/systemd", "--system", self.S - 86400)
            worker = Proc(h["name"], self.pid(h), "/usr/bin/python3", "/opt/agent/worker.py", self.S - 3600,
                          uid=1001, parent=systemd)
            systemd.ns = worker.ns = self.ns_of(True)
            h["worker"], h["systemd"], h["own_keys"] = worker, systemd, []
            if h["tool"].startswith("unit"):
                h["unit"] = r.choice(["crawler", "render", "sandbox-runner", "scraper"])
                h["tr_setns"] = r.random() < 0.5
                self.ex(h, worker)
                if h["src"] == "tracee":
                    # the host's own plain units (timers), in its mount namespace
                    t = self.S - 3600
                    while t < self.END:
                        self.ex(h, self.proc(h, r.choice(["/usr/sbin/logrotate", "/usr/bin/updatedb",
                                                          "/usr/lib/apt/apt.systemd.daily"]), "", t, systemd))
                        t += r.uniform(0.2, 1) * HOUR
                self.unit_jobs(h)
                self.unit_lookalikes(h, lk)
                self.host_key_use(h)
                continue
            audit(self.o, worker.start, h["name"], "execve", worker, "exec", paths=[(worker.binary, self.ino(), "0100755")])
            t = self.S + r.uniform(0, h["gap"])
            while t < self.END:
                jd = "/srv/jobs/%s" % r.hexs(8)
                prog = r.choice(["/usr/bin/chromium --headless --no-sandbox https://example.com/",
                                 "/usr/bin/python3 /work/tool.py", "/bin/sh /work/run.sh"])
                exe, args = self.launcher(h, jd, prog)
                lp = self.pid(h)
                b = Proc(h["name"], lp, exe, args, t, uid=1001, parent=worker)
                audit(self.o, t, h["name"], "execve", b, "exec", paths=[(exe, self.ino(), "0100755")])
                pbin, pargs = prog.split(" ", 1)
                c = Proc(h["name"], self.pid(h), pbin, pargs, t + 0.3, uid=1001, parent=b, cwd="/work")
                audit(self.o, t + 0.3, h["name"], "execve", c, "exec", paths=[(pbin, self.ino(), "0100755")])
                audit(self.o, t + 1, h["name"], "openat", c, "job_files",
                      paths=[("/work/%s" % r.choice(["profile/Cookies", "input.json", "cache/index"]), self.ino(), "0100600")])
                h["jobs"].append((b, c))
                t += h["gap"] * r.uniform(0.6, 1.4)
            self.host_key_use(h)
            # look-alikes
            if r.random() < 0.4:
                fb = Proc(h["name"], self.pid(h), "/usr/bin/bwrap", "--args 41 -- /app/bin/notes",
                          self.S + r.uniform(0, self.H), uid=1000, parent=systemd)
                audit(self.o, fb.start, h["name"], "execve", fb, "exec", paths=[(fb.binary, self.ino(), "0100755")])
                fa = Proc(h["name"], self.pid(h), "/app/bin/notes", "", fb.start + 0.2, uid=1000, parent=fb)
                audit(self.o, fa.start, h["name"], "execve", fa, "exec", paths=[("/app/bin/notes", self.ino(), "0100755")])
                lk.append("flatpak-app")
            if h["jobs"] and r.random() < 0.4:
                b, c = r.choice(h["jobs"])
                audit(self.o, c.start + 2, h["name"], "openat", c, "job_files",
                      paths=[("/work/fixtures/.aws/credentials", self.ino(), "0100600")])
                lk.append("job-reads-own-credentials-named-file")
            if h["jobs"] and r.random() < 0.4:
                # a job debugging its own child: ptrace of a member
                b, c = r.choice(h["jobs"])
                kid = Proc(h["name"], self.pid(h), "/usr/bin/python3", "/work/test_worker.py", c.start + 3,
                           uid=1001, parent=c, cwd="/work")
                audit(self.o, kid.start, h["name"], "execve", kid, "exec", paths=[(kid.binary, self.ino(), "0100755")])
                dbg = Proc(h["name"], self.pid(h), r.choice(["/usr/bin/gdb", "/usr/bin/strace"]),
                           "-p %d" % kid.pid, c.start + 4, uid=1001, parent=c, cwd="/work")
                audit(self.o, dbg.start, h["name"], "execve", dbg, "exec", paths=[(dbg.binary, self.ino(), "0100755")])
                audit(self.o, dbg.start + 0.1, h["name"], "ptrace", dbg, "ptrace",
                      args=[r.choice(["10", "4206"]), "%x" % (kid.pid if not h["pidns"] else r.randint(2, 9)), "0", "0"],
                      obj=kid)
                lk.append("job-debugs-own-child")
            if h["jobs"] and r.random() < 0.3:
                # an operator joins a job's sandbox from a login shell
                b, c = r.choice(h["jobs"])
                sshd = Proc(h["name"], self.pid(h), "/usr/sbin/sshd", "-D", self.S - 86400, parent=systemd)
                bash = Proc(h["name"], self.pid(h), "/bin/bash", "", c.start + 60, uid=0, parent=sshd, auid=1000)
                audit(self.o, bash.start, h["name"], "execve", bash, "exec", paths=[(bash.binary, self.ino(), "0100755")])
                jb = "/usr/bin/firejail" if h["tool"] == "firejail" else "/usr/bin/nsenter"
                ja = "--join=%d bash" % b.pid if h["tool"] == "firejail" else "-t %d -m -p bash" % c.pid
                jp = Proc(h["name"], self.pid(h), jb, ja, c.start + 61, uid=0, parent=bash, auid=1000)
                audit(self.o, jp.start, h["name"], "execve", jp, "exec", paths=[(jb, self.ino(), "0100755")])
                for k in range(2):
                    audit(self.o, jp.start + 0.01 * (k + 1), h["name"], "setns", jp, "ns_change")
                lk.append("operator-joins-sandbox")
            if r.random() < 0.5:
                aws_path = [p for p, prov, _, _ in h["creds"] if prov == "aws"][0]
                cron = Proc(h["name"], self.pid(h), "/usr/sbin/cron", "-f", self.S - 3600, parent=systemd)
                tt = self.S + r.uniform(0, self.H)
                py = Proc(h["name"], self.pid(h), "/usr/bin/python3", "/usr/bin/aws s3 sync /var/backup s3://acme-backup",
                          tt, parent=cron)
                audit(self.o, tt, h["name"], "execve", py, "exec", paths=[(py.binary, self.ino(), "0100755")])
                audit(self.o, tt + 0.5, h["name"], "openat", py, "aws_creds", paths=[(aws_path, self.ino(), "0100600")])
                lk.append("backup-cli-reads-key")

    def attack_ns(self, p):
        """Tetragon's namespaces of an attack process: its job's until it
        entered the host's (nsenter's children, the ptraced worker's)."""
        par = p.parent
        if p.binary == "/bin/sh" and par is not None and (par.binary.endswith("nsenter") or par is
                                                          getattr(self, "_worker", None)):
            return self.ns_of(True)
        return getattr(par, "ns", None) or self.ns_of(True)

    def sandbox_id(self, h, b):
        """The escaped workload's id: a systemd unit the logs name (auditd's
        SERVICE_START, systemd-run's --unit/-u) is one workload across its
        restarts, HOST:unit=NAME; other sandboxes, and a unit nothing
        names (Tetragon or Tracee alone, no --unit), are their root run,
        HOST:PID:START."""
        name = getattr(b, "unit", None)
        if name and (h["src"] == "auditd" or getattr(b, "named_by_run", False)):
            return "%s:unit=%s" % (h["name"], name)
        return "%s:%d:%d" % (h["name"], b.pid, int(b.start))

    def after_restart(self, h, t):
        """The service restarts (a deploy, a crash: a new MainPID, the same
        unit) and the attacker's script, planted in its data directory, runs
        again and leaves again (nsenter -t 1), reading host files: the same
        unit's escape, a second root run where the logs do not name it."""
        r = self.r
        if h["src"] == "auditd":
            audit_service(self.o, t - 1, h["name"], h["unit"], start=False)
        svc = self.unit_root(h, h["unit"], "/usr/bin/python3", "/opt/%s/main.py" % h["unit"], t, False, True,
                             "20000")
        sid = self.sandbox_id(h, svc)
        if sid not in [e["id"] for e in self.truth["escaped"]]:
            self.truth["escaped"].append({"kind": "sandbox", "id": sid, "container_id": "", "pod": ""})
        sh = Proc(h["name"], self.pid(h), "/bin/sh", "-c /var/lib/%s/.cache/.x" % h["unit"], t + r.uniform(30, 300),
                  uid=0, parent=svc, cwd="/")
        sh.ns = svc.ns
        self.ex(h, sh)
        ns = Proc(h["name"], self.pid(h), "/usr/bin/nsenter", "-t 1 -m -u -i -n -p /bin/sh", sh.start + 1, uid=0,
                  parent=sh, cwd="/")
        ns.ns = svc.ns
        self.ex(h, ns)
        for k in range(r.randint(1, 3)):
            self.sns(h, ns.start + 0.01 * (k + 1), ns)
        hsh = Proc(h["name"], self.pid(h), "/bin/sh", "", ns.start + 0.2, uid=0, parent=ns, cwd="/")
        hsh.ns = self.ns_of(True)
        self.ex(h, hsh)
        read = r.sample(h["creds"], r.randint(1, len(h["creds"])))
        tt = hsh.start + r.uniform(5, 60)
        for path, prov, key, ident in read:
            p = Proc(h["name"], self.pid(h), "/usr/bin/cat", path, tt, uid=0, parent=hsh, cwd="/")
            p.ns = self.ns_of(True)
            self.ex(h, p)
            self.op(h, tt + 0.001, p, path, "creds")
            tt += r.uniform(1, 20)
        self.truth["variant"]["restarted_between_escapes"] = True
        return read

    def attack(self):
        r = self.r
        cands = [h for h in self.hosts if any(b.start < self.T - 60 for b, _ in h["jobs"])]
        if not cands:
            return False
        h = r.choice(cands)
        self._worker = h["worker"]
        b, c = [(b, c) for b, c in h["jobs"] if b.start < self.T - 60][-1]
        t = max(self.T, c.start + 30)
        sh = Proc(h["name"], self.pid(h), "/bin/sh", "-c 'id; uname -a'", t, uid=1001, parent=c, cwd="/work")
        sh.ns = self.attack_ns(sh)
        self.ex(h, sh)
        ways = ["nsenter"] + (["ptrace"] if h["tool"] in ("bwrap", "unit-run", "unit-svc") and not h["pidns"]
                              and h["src"] != "tracee" else []) + \
            (["firejail-join"] if h["tool"] == "firejail" else [])
        way = r.choice(ways)
        if way == "ptrace":
            # attach to the worker that launched the job (outside it), make it run a shell
            w = h["worker"]
            dbg = Proc(h["name"], self.pid(h), "/usr/bin/gdb", "-p %d -batch -ex 'call (int)system(\"sh /tmp/.s\")'"
                       % w.pid, t + 1, uid=1001, parent=sh, cwd="/work")
            dbg.ns = self.attack_ns(dbg)
            self.ex(h, dbg)
            for k, req in enumerate(r.choice([["10", "5", "5", "11"], ["4206", "4", "11"]])):
                self.ptr(h, dbg.start + 0.1 + 0.01 * k, dbg, req, w)
            hsh = Proc(h["name"], self.pid(h), "/bin/sh", "/tmp/.s", t + 1.5, uid=0, parent=w, cwd="/")
            hsh.ns = self.attack_ns(hsh)
            target = "gdb -p %d" % w.pid
        elif way == "firejail-join":
            others = [ob for ob, _ in h["jobs"] if ob is not b]
            jpid = (r.choice(others) if others else b).pid
            ns = Proc(h["name"], self.pid(h), "/usr/bin/firejail", "--join=%d /bin/sh" % jpid, t + 1, uid=1001,
                      parent=sh, cwd="/work")
            ns.ns = self.attack_ns(ns)
            self.ex(h, ns)
            for k in range(r.randint(1, 5)):
                self.sns(h, ns.start + 0.01 * (k + 1), ns)
            hsh = Proc(h["name"], self.pid(h), "/bin/sh", "", t + 1.2, uid=0, parent=ns, cwd="/")
            hsh.ns = self.attack_ns(hsh)
            target = "firejail --join=%d" % jpid
        else:
            target = r.choice(["-t 1 -m -u -i -n -p", "--target 1 --mount --uts --ipc --net --pid", "-t1 -a"])
            ns = Proc(h["name"], self.pid(h), "/usr/bin/nsenter", target + " /bin/sh", t + 1, uid=0, parent=sh,
                      cwd="/work")
            ns.ns = self.attack_ns(ns)
            self.ex(h, ns)
            for k in range(r.randint(1, 5)):
                self.sns(h, ns.start + 0.01 * (k + 1), ns)
            hsh = Proc(h["name"], self.pid(h), "/bin/sh", "", t + 1.2, uid=0, parent=ns, cwd="/")
            hsh.ns = self.attack_ns(hsh)
        self.ex(h, hsh)
        read = r.sample(h["creds"], r.randint(1, len(h["creds"])))
        if not any(p == "aws" for _, p, _, _ in read):
            read.append([x for x in h["creds"] if x[1] == "aws"][0])
        tt = t + r.uniform(5, 60)
        for path, prov, key, ident in read:
            tool = r.choice(["/usr/bin/cat", "/usr/bin/base64", "/usr/bin/cp"])
            p = Proc(h["name"], self.pid(h), tool, path + (" /tmp/.x" if tool.endswith("cp") else ""), tt, uid=0,
                     parent=hsh, cwd="/")
            p.ns = self.attack_ns(p)
            self.ex(h, p)
            self.op(h, tt + 0.001, p, path, "creds")
            tt += r.uniform(1, 20)
        src = r.choice(ATTACKER_NETS) + str(r.randint(2, 250))
        ua = r.choice(ATTACKER_AWS_UA)
        for path, prov, key, ident in read:
            if prov != "aws":
                continue
            uname = ident.rsplit("/", 1)[1]
            ui = {"type": "IAMUser", "principalId": "AIDA" + r.b32(16).upper(), "arn": ident,
                  "accountId": self.acct, "accessKeyId": key, "userName": uname}
            for k in range(r.randint(1, 4)):
                name = r.choice([("sts", "GetCallerIdentity"), ("s3", "ListBuckets"), ("iam", "ListUsers"),
                                 ("secretsmanager", "ListSecrets")])
                ct(self.o, tt + 60 + 30 * k, r.uuid(), self.acct, "us-east-1", ui, name[0], name[1], src, ua)
        self.truth["escaped"].append({"kind": "sandbox", "id": self.sandbox_id(h, b), "container_id": "", "pod": ""})
        if h["tool"] == "unit-svc" and r.random() < 0.5:
            read += self.after_restart(h, tt + r.uniform(120, 900))
        must = {(prov, key, ident) for _, prov, key, ident in read}
        for path, prov, key, ident in h["creds"] + h["own_keys"]:
            e = {"provider": prov, "id": key, "identity": ident}
            (self.truth["credentials"] if (prov, key, ident) in must else self.truth["credentials_may"]).append(e)
        reach = sorted({ident for _, prov, _, ident in read if prov == "aws"})
        self.truth["reachable"] = [{"provider": "aws", "identity": x} for x in reach]
        self.truth["reachable_may"] = [{"provider": prov, "identity": ident}
                                       for _, prov, _, ident in h["creds"] + h["own_keys"] if ident not in reach]
        self.truth["variant"].update({"tool": h["tool"], "src": h["src"], "way": way, "leave": target})
        return True

    def generate(self, outdir):
        self.build()
        benign_only = self.seed % 5 == 0
        self.benign()
        if not benign_only and not self.attack():
            benign_only = True
        self.truth["benign_only"] = benign_only
        self.truth["family"] = None if benign_only else "SBX"
        self.truth["variant"].update({"hosts": len(self.hosts), "history_h": round(self.H / HOUR, 2)})
        os.makedirs(outdir, exist_ok=True)
        self.o.write(outdir)
        inv = os.path.join(outdir, "inventory")
        os.makedirs(inv, exist_ok=True)
        with open(os.path.join(inv, "credentials.map"), "w") as f:
            f.write("# cordon credential map\n")
            for h in self.hosts:
                for path, prov, key, ident in h["creds"] + h["own_keys"]:
                    f.write("file:%s:%s  %s  %s  %s\n" % (h["name"], path, prov, key, ident))
        with open(os.path.join(outdir, "truth.json"), "w") as f:
            json.dump(self.truth, f, indent=1, sort_keys=True)
            f.write("\n")
        return self.truth


def main(argv):
    return case_main(SbCase, "sb", "sb_cases.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
