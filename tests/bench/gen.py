#!/usr/bin/env python3
"""gen.py - scaled benchmark inputs from the project's own fixtures.

  gen.py cloudtrail N OUT     N CloudTrail records in one {"Records":[...]} file
  gen.py cloudtrail-ndjson N  N records, one per line, to stdout (streams)
  gen.py auditd N OUT         an auditd log of about N records (SYSCALL,
                              EXECVE, CWD, PATH, PROCTITLE, EOE events)
  gen.py auditd-user N OUT    N user-space records, one event each (PAM
                              USER_ACCT, CRED_ACQ, USER_START, USER_END and
                              USER_LOGIN, ENRICHED): a cron/ssh-heavy host

Every record gets a fresh id (eventID / audit serial) so nothing dedups.
"""
import json, os, random, sys, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ct_templates():
    """Records shaped like today's CloudTrail (tlsDetails, eventCategory,
    resources, session context): the modern fixture and the demo incident.
    The minimal test fixtures are not representative of record size."""
    recs = []
    import gzip
    paths = [os.path.join(ROOT, "tests", "data", "cloudtrail", "modern-records.json")]
    d = os.path.join(ROOT, "examples", "incident")
    paths += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.startswith("cloudtrail")]
    for p in paths:
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt") as f:
            text = f.read()
        try:
            doc = json.loads(text)
            recs += doc["Records"] if isinstance(doc, dict) and "Records" in doc else [doc]
        except ValueError:
            for line in text.splitlines():
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    pass
    return [r for r in recs if isinstance(r, dict) and "eventTime" in r]


def ct_records(n):
    rnd = random.Random(1)
    tmpl = ct_templates()
    for i in range(n):
        r = dict(rnd.choice(tmpl))
        r["eventID"] = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        r["eventTime"] = "2025-06-%02dT%02d:%02d:%02dZ" % (1 + i // 86400 % 28, i // 3600 % 24, i // 60 % 60, i % 60)
        r["sourceIPAddress"] = "198.51.100.%d" % (i % 250)
        yield r


def cloudtrail(n, out):
    with open(out, "w") as f:
        f.write('{"Records":[')
        for i, r in enumerate(ct_records(n)):
            if i:
                f.write(",")
            f.write(json.dumps(r, separators=(",", ":")))
        f.write("]}\n")


def cloudtrail_ndjson(n):
    w = sys.stdout.write
    for r in ct_records(n):
        w(json.dumps(r, separators=(",", ":")))
        w("\n")


def auditd(n, out):
    serial = 1000
    t = 1748944800
    recs = 0
    with open(out, "w") as f:
        while recs < n:
            stamp = "%d.%03d:%d" % (t + serial // 1000, serial % 1000, serial)
            pid = 20000 + serial % 30000
            f.write('type=SYSCALL msg=audit(%s): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c8a0 a1=55d0c8b0 a2=55d0c8c0 a3=0 items=2 ppid=%d pid=%d auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="cat" exe="/usr/bin/cat" subj=system_u:system_r:container_t:s0:c12,c345 key="exec"\n' % (stamp, pid - 1, pid))
            f.write('type=EXECVE msg=audit(%s): argc=2 a0="cat" a1="/var/run/secrets/kubernetes.io/serviceaccount/token"\n' % stamp)
            f.write('type=CWD msg=audit(%s): cwd="/app"\n' % stamp)
            f.write('type=PATH msg=audit(%s): item=0 name="/usr/bin/cat" inode=1234 dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0\n' % stamp)
            f.write('type=PROCTITLE msg=audit(%s): proctitle=636174002F7661722F72756E2F736563726574732F6B756265726E657465732E696F2F736572766963656163636F756E742F746F6B656E\n' % stamp)
            f.write('type=EOE msg=audit(%s): \n' % stamp)
            recs += 6
            serial += 1


USER_TEMPLATES = [
    "type=USER_ACCT msg=audit(%s): pid=%d uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=PAM:accounting grantors=pam_permit acct=\"root\" exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron res=success'\x1dUID=\"root\" AUID=\"unset\"\n",
    "type=CRED_ACQ msg=audit(%s): pid=%d uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=PAM:setcred grantors=pam_permit,pam_cap acct=\"root\" exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron res=success'\x1dUID=\"root\" AUID=\"unset\"\n",
    "type=USER_START msg=audit(%s): pid=%d uid=0 auid=0 ses=%d subj=unconfined msg='op=PAM:session_open grantors=pam_loginuid,pam_env,pam_permit,pam_unix acct=\"root\" exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron res=success'\x1dUID=\"root\" AUID=\"root\"\n",
    "type=USER_LOGIN msg=audit(%s): pid=%d uid=0 auid=1000 ses=%d subj=unconfined msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.%d terminal=/dev/pts/0 res=success'\x1dUID=\"root\" AUID=\"alice\" ID=\"alice\"\n",
    "type=USER_END msg=audit(%s): pid=%d uid=0 auid=0 ses=%d subj=unconfined msg='op=PAM:session_close grantors=pam_loginuid,pam_env,pam_permit,pam_unix acct=\"root\" exe=\"/usr/sbin/cron\" hostname=? addr=? terminal=cron res=success'\x1dUID=\"root\" AUID=\"root\"\n",
]


def auditd_user(n, out):
    t = 1748944800
    with open(out, "w") as f:
        for i in range(n):
            serial = 1000 + i
            stamp = "%d.%03d:%d" % (t + serial // 1000, serial % 1000, serial)
            pid = 3000 + i % 9000
            k = i % 5
            if k < 2:
                f.write(USER_TEMPLATES[k] % (stamp, pid))
            elif k == 3:
                f.write(USER_TEMPLATES[k] % (stamp, pid, i % 500, i % 250))
            else:
                f.write(USER_TEMPLATES[k] % (stamp, pid, i % 500))


if __name__ == "__main__":
    kind = sys.argv[1]
    n = int(sys.argv[2])
    if kind == "cloudtrail":
        cloudtrail(n, sys.argv[3])
    elif kind == "cloudtrail-ndjson":
        cloudtrail_ndjson(n)
    elif kind == "auditd":
        auditd(n, sys.argv[3])
    elif kind == "auditd-user":
        auditd_user(n, sys.argv[3])
    else:
        sys.exit("unknown kind")
