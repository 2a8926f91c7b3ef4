#!/usr/bin/env python3
"""mkagent_vary.py OUTDIR - an agent-runtime case that varies what
tests/gen/ag_cases.py never varies (issue 19, "generalize from the real
evidence"): the case of seed 31007 (Tetragon alone; the replica asks
instance metadata, logs in to Vault with its pod's token and enters the
host's network namespace; the node session and the Vault token are then
used from outside), rewritten so that

  - the runtime is another product: Deployment, service account, Vault
    role and image named "sbx-exec" (ghcr.io/.../sbx-exec), not
    "agent-runtime";
  - instance metadata is reached through dual-stack sockets, as
    ::ffff:169.254.169.254, by every workload of the case (a JVM's
    default);
  - the attacker's address is IPv6 (2001:db8:66::7) in CloudTrail and in
    Vault's audit log;
  - the replica's tool code also connects to [2001:db8:77::9]:443, and a
    key no inventory maps (a report job's, AKIAEXAMPLEV6EXFIL01) is first
    used from that address ten minutes later: it joins the incident by
    the address the workload connected to (added to the truth);
  - Tetragon's and the API server's records arrive newest first (an
    export read backwards, shards concatenated out of order).

The rewrite is textual over every file, truth.json included, so the
truth stays the truth.  Deterministic."""
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 31007
SUBS = [
    ("agent-runtime", "sbx-exec"),
    ('"daddr":"169.254.169.254"', '"daddr":"::ffff:169.254.169.254"'),
    ("185.220.101.35", "2001:db8:66::7"),
]


def stamp(t):
    return datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")


def exfil(out, cid, truth):
    """The replica's connection to the attacker's server, then a key first
    used from there."""
    tg = os.path.join(out, "logs", "tetragon.jsonl")
    with open(tg, encoding="utf-8") as fh:
        lines = fh.read().splitlines(True)
    first = next(ln for ln in lines if cid in ln and '"daddr":"169.254.169.254"' in ln)
    d = json.loads(first)
    t = stamp(d["time"]) + timedelta(seconds=30)
    d["time"] = t.strftime("%Y-%m-%dT%H:%M:%S.120000Z")
    sock = d["process_kprobe"]["args"][0]["sock_arg"]
    sock.update({"family": "AF_INET6", "daddr": "2001:db8:77::9", "dport": 443, "saddr": "fd00:10:2::85"})
    lines.append(json.dumps(d, separators=(",", ":")) + "\n")
    with open(tg, "w", encoding="utf-8") as fh:
        fh.write("".join(lines))
    ctp = os.path.join(out, "logs", "cloudtrail.json")
    with open(ctp, encoding="utf-8") as fh:
        ct = json.load(fh)
    acct = truth["credentials"][0]["identity"].split(":")[4]
    u = t + timedelta(minutes=10)
    for k, (svc, name) in enumerate([("sts", "GetCallerIdentity"), ("s3", "ListBuckets")]):
        ct["Records"].append({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEV6EXFIL01",
                             "arn": "arn:aws:iam::%s:user/report-sync" % acct, "accountId": acct,
                             "accessKeyId": "AKIAEXAMPLEV6EXFIL01", "userName": "report-sync"},
            "eventTime": (u + timedelta(seconds=20 * k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "%s.amazonaws.com" % svc, "eventName": name, "awsRegion": "eu-west-1",
            "sourceIPAddress": "2001:db8:77::9", "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0",
            "requestParameters": None, "responseElements": None,
            "requestID": "v6exfil-%d" % k, "eventID": "5e1f0000-0000-4000-8000-%012d" % k,
            "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True,
            "recipientAccountId": acct, "eventCategory": "Management"})
    with open(ctp, "w", encoding="utf-8") as fh:
        json.dump(ct, fh)
    truth["credentials"].append({"id": "AKIAEXAMPLEV6EXFIL01", "provider": "aws",
                                 "identity": "arn:aws:iam::%s:user/report-sync" % acct})
    truth["reachable"].append({"identity": "arn:aws:iam::%s:user/report-sync" % acct, "provider": "aws"})
    with open(os.path.join(out, "truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1, sort_keys=True)


def main(out):
    subprocess.run([sys.executable, os.path.join(HERE, "..", "gen", "ag_cases.py"), str(SEED), out],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "truth.json"), encoding="utf-8") as fh:
        truth = json.load(fh)
    cid = truth["escaped"][0]["container_id"]
    exfil(out, cid, truth)
    for root, _, files in os.walk(out):
        for f in files:
            p = os.path.join(root, f)
            with open(p, encoding="utf-8") as fh:
                s = fh.read()
            for a, b in SUBS:
                s = s.replace(a, b)
            if f == "tetragon.jsonl":  # a dual-stack socket is an AF_INET6 one
                s = "".join(ln.replace('"family":"AF_INET"', '"family":"AF_INET6"')
                            if "::ffff:169.254.169.254" in ln else ln for ln in s.splitlines(True))
            if f in ("tetragon.jsonl", "k8s-audit.jsonl"):
                s = "".join(reversed(s.splitlines(True)))
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(s)
    # what the rewrite is about must still be there (the generator may change)
    with open(os.path.join(out, "logs", "cloudtrail.json"), encoding="utf-8") as fh:
        if "2001:db8:66::7" not in fh.read():
            sys.exit("seed %d: the attacker's address is gone (generator changed)" % SEED)
    with open(os.path.join(out, "logs", "tetragon.jsonl"), encoding="utf-8") as fh:
        if "::ffff:169.254.169.254" not in fh.read():
            sys.exit("seed %d: no metadata contact (generator changed)" % SEED)


if __name__ == "__main__":
    main(sys.argv[1])
