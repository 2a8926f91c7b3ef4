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
  - Tetragon's and the API server's records arrive newest first (an
    export read backwards, shards concatenated out of order).

The rewrite is textual over every file, truth.json included, so the
truth stays the truth.  Deterministic."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 31007
SUBS = [
    ("agent-runtime", "sbx-exec"),
    ('"daddr":"169.254.169.254"', '"daddr":"::ffff:169.254.169.254"'),
    ("185.220.101.35", "2001:db8:66::7"),
]


def main(out):
    subprocess.run([sys.executable, os.path.join(HERE, "..", "gen", "ag_cases.py"), str(SEED), out],
                   check=True, stdout=subprocess.DEVNULL)
    for root, _, files in os.walk(out):
        for f in files:
            p = os.path.join(root, f)
            with open(p, encoding="utf-8") as fh:
                s = fh.read()
            for a, b in SUBS:
                s = s.replace(a, b)
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
