#!/usr/bin/env python3
"""ag_cases.py - randomized agent-runtime cases (issue 19: agent runtimes and
network reach), the counterpart of cases.py for AI agent runtimes on
Kubernetes.  Written from ../shared/reference/breadth.md and scenarios.md
and the record shapes of fmt.py, not from the correlator.

    ag_cases.py SEED OUTDIR
    ag_cases.py -n N BASESEED OUTROOT      OUTROOT/ag-000 ...

A case is cases.py's cluster (nodes, Deployments with replicas, DaemonSets,
IAM, Vault agents, CI image builds over the node's docker.sock, 2 h to
14 d of history) plus:

- an agent runtime Deployment (`agents/agent-runtime`, 2-3 replicas, a
  Vault agent in 6 cases of 10) whose replicas call a model API over 443;
- look-alikes, every case: a monitoring DaemonSet outside kube-system
  (`observability/node-monitor`, hostNetwork) that scrapes every node's
  kubelet on 10250, asks instance metadata and reads `/proc/PID/environ`
  from its first minutes; a node Vault agent DaemonSet (`vault/vault-node-agent`,
  hostNetwork) that connects to Vault on 8200 and logs in daily from its
  node's address.

Attack (4 cases in 5; seed % 25 < 5 is benign-only, as in cases.py): tool code in one
replica (a shell from the runtime, the model's tool call) reaches what it
never reached: instance metadata (always; v1 or v2), the node's kubelet on
10250 (6 in 10, sometimes another node's too), Vault on 8200 where it logs
in with the pod's token from the pod's address (when the Deployment has a
Vault role, 7 in 10); in 1 case of 2 it then leaves its container into the
host's network namespace (`nsenter -t 1 -n`).  The node's role session is
used from outside (the attacker's address or, 1 in 3, one the pod
connected to), and the Vault token it obtained too.

Truth: the replica is the escaped workload; the node session current at the
metadata fetch and the Vault accessor it obtained must be reported; after
`nsenter` the host's credentials follow cases.py's escape_node (node role
and kubelet identity required in reach, the pods' tokens and the Vault
accessors of the node 'may', the host files must when the map names them).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import Case, HOUR, PERM_DENIED  # noqa: E402
from fmt import case_main, Proc  # noqa: E402

MODEL_NETS = ["160.79.104.", "34.149.66.", "104.18.32."]


class AgCase(Case):
    # every attack family of this kind is the agent one (benign-only: seed % 5 == 0)
    FAMILIES = ["AG"] * 10

    def __init__(self, seed):
        Case.__init__(self, seed)
        self.truth["kind"] = "agent"

    def generate(self, outdir):
        # cases.py picks benign-only from seed % 25 < 5 (1 in 5) and the family
        return Case.generate(self, outdir)

    def build_workloads(self):
        Case.build_workloads(self)
        r = self.r
        org = r.choice(["acme", "initech", "hooli", "globex"])
        self.vault_ip = "10.%d.%d.%d" % (r.randint(100, 250), r.randint(0, 250), r.randint(2, 250))
        self.model_ip = r.public_ip([r.choice(MODEL_NETS)])
        # the agent runtime Deployment
        ver = "%d.%d.%d" % (r.randint(0, 2), r.randint(0, 20), r.randint(0, 9))
        d = {"ns": "agents", "name": "agent-runtime", "sa": "agent-runtime",
             "image": "ghcr.io/%s/agent-runtime:%s" % (org, ver), "rs": r.k8s(10),
             "replicas": r.randint(2, 3), "pods": [], "secrets": [], "env_secrets": [], "envfrom": [],
             "vault": None, "ua": "agent-runtime/%s (linux/amd64) kubernetes/client-go" % ver}
        self.sas[("agents", "agent-runtime")] = {"uid": r.uuid()}
        if r.random() < 0.6:
            d["vault"] = {"role": "agent-runtime", "policies": ["default", "agent-runtime-read"],
                          "kv": "secret/data/agents/agent-runtime"}
        self.deps.append(d)
        for i in range(d["replicas"]):
            node = r.choice(self.nodes)
            started = self.S - r.uniform(HOUR, 5 * 24 * HOUR) if r.random() < 0.8 \
                else r.uniform(self.S, self.T0 - 40 * 60)
            p = self.new_pod(node, "agents", "agent-runtime-%s-%s" % (d["rs"], r.k8s(5)), d["sa"], d["image"],
                             "runtime", {"app": "agent-runtime", "pod-template-hash": d["rs"]}, "agent-runtime",
                             "Deployment", started, "/usr/local/bin/python3",
                             "-m agent.server --tools /opt/tools --port 8080", ua=d["ua"])
            p["dep"] = d
            p["agent"] = True
            if d["vault"]:
                self.give_vault(p, d["vault"], started)
            d["pods"].append(p)
        # look-alike DaemonSets outside kube-system, on every node
        self.sas[("observability", "node-monitor")] = {"uid": r.uuid()}
        self.sas[("vault", "vault-node-agent")] = {"uid": r.uuid()}
        mon_img = "ghcr.io/%s/node-monitor:v%d.%d" % (org, r.randint(1, 3), r.randint(0, 12))
        va_img = "ghcr.io/%s/vault-node-agent:%d.%d" % (org, r.randint(1, 2), r.randint(0, 9))
        hm, hv = r.k8s(10), r.k8s(10)
        for n in self.nodes:
            started = n["created"] + r.uniform(20, 200)
            m = self.new_pod(n, "observability", "node-monitor-%s" % r.k8s(5), "node-monitor", mon_img, "monitor",
                             {"app": "node-monitor", "controller-revision-hash": hm}, "node-monitor", "DaemonSet",
                             started, "/usr/bin/node-monitor", "--scrape-kubelets --cloud-metadata",
                             host_network=True)
            m["lookalike"] = "monitor"
            v = self.new_pod(n, "vault", "vault-node-agent-%s" % r.k8s(5), "vault-node-agent", va_img, "agent",
                             {"app": "vault-node-agent", "controller-revision-hash": hv}, "vault-node-agent",
                             "DaemonSet", started + r.uniform(1, 30), "/bin/vault",
                             "agent -config=/etc/vault/agent.hcl", host_network=True)
            v["lookalike"] = "vault-agent"
            self.give_vault(v, {"role": "node-agent", "policies": ["default", "node-agent"],
                                "kv": "secret/data/nodes/agent"}, v["started"])

    def give_vault(self, p, v, started):
        """Vault logins at start, then every ~24 h (token max TTL)."""
        r = self.r
        p["vault"] = v
        node = p["node"]
        p["va_cid"] = r.hexs(64)
        p["va"] = Proc(node["name"], self.pid(node["name"]), "/bin/vault",
                       "agent -config=/vault/configs/config.hcl", started + 0.2,
                       pod=dict(p, cid=p["va_cid"], cname="vault-agent", image="hashicorp/vault:1.16.2"),
                       ns_pid=1, mcs=p["mcs"])
        t = started + r.uniform(2, 6)
        while t < self.END:
            p["vlogins"].append((t, r.b62(24)))
            t += r.uniform(22 * HOUR, 24 * HOUR)

    def benign(self):
        Case.benign(self)
        r = self.r
        for p in self.pods:
            if p.get("agent"):
                # the runtime calls its model API
                for t in self.series(max(self.S, p["started"] + 5), self.END, 30 * 60, sparse=4):
                    self.connect(p["app"], t, p["ip"], self.model_ip, 443)
            elif p.get("lookalike") == "monitor":
                n = p["node"]
                for t in self.series(max(self.S, p["started"] + 5), self.END, 20 * 60, sparse=3):
                    for i, m in enumerate(self.nodes):
                        self.connect(p["app"], t + i * 0.2, n["ip"], m["ip"], 10250)
                    self.connect(p["app"], t + 2, n["ip"], "169.254.169.254", 80, falco_imds=True)
                for t in self.series(max(self.S, p["started"] + 5), self.END, 2 * HOUR, sparse=2):
                    self.file_read(p["app"], t, "/host/proc/%d/environ" % self.pid(n["name"]),
                                   real_path="/proc/%d/environ" % r.randint(300, 30000))
            elif p.get("lookalike") == "vault-agent":
                for t in self.series(max(self.S, p["started"] + 5), self.END, 40 * 60, sparse=3):
                    self.connect(p["app"], t, p["ip"], self.vault_ip, 8200)

    # ---- the attack ---------------------------------------------------------------
    def fam_ag(self):
        r = self.r
        self.need("tetragon", "tracee")
        cands = [p for p in self.pods if p.get("agent") and p["started"] < self.T0 - 60]
        p = r.choice(cands)
        n = p["node"]
        self.root(p)
        t = self.T0
        sh = self.shell_rce(p["app"], t, "-c 'python3 /tmp/tool_%s.py'" % r.hexs(6))
        # instance metadata: the node's role session
        self.imds_fetch(sh, t + r.uniform(0.5, 3), p["ip"])
        steps = ["imds"]
        tk = t + r.uniform(8, 40)
        if r.random() < 0.6:
            targets = [n] + ([r.choice([m for m in self.nodes if m is not n])]
                             if len(self.nodes) > 1 and r.random() < 0.4 else [])
            for i, m in enumerate(targets):
                c = self.run(sh, "/usr/bin/curl", "-sk https://%s:10250/pods" % m["ip"], tk + i * 2)
                self.connect(c, c.start, p["ip"], m["ip"], 10250)
            steps.append("kubelet")
        src = self.attacker_src(sh, t + r.uniform(45, 90))
        if p["vault"] and r.random() < 0.7:
            tv = t + r.uniform(100, 200)
            c = self.run(sh, "/usr/bin/curl",
                         "-s -X POST http://%s:8200/v1/auth/kubernetes/login -d @/tmp/login.json" % self.vault_ip, tv)
            self.connect(c, c.start, p["ip"], self.vault_ip, 8200)
            acc = r.b62(24)
            self.vault(p, tv + 0.3, "auth/kubernetes/login", "update", p["ip"], None, login=True, new_acc=acc,
                       mount_type="kubernetes")
            tu = tv + r.uniform(120, 900)
            self.vault(p, tu, "auth/token/lookup-self", "read", src, acc, mount_type="token")
            self.vault(p, tu + 4, "sys/mounts", "read", src, acc, mount_type="system", err=PERM_DENIED)
            self.vault(p, tu + 9, p["vault"]["kv"] + "/config", "read", src, acc, data_keys=["password"])
            self.vault_cred(p, acc, True)
            steps.append("vault")
        if r.random() < 0.5:
            te = t + r.uniform(220, 300)
            self.run(sh, "/usr/bin/nsenter", "-t 1 -n -- ip addr", te)
            self.escape_node(n, te, p)
            steps.append("hostnet")
        # the node's role session used from outside
        self.node_cred(n, t)
        tu = t + r.uniform(300, 900)
        self.aws_recon(tu, self.node_ident(n, t), src, self.att_ua)
        self.variant["agent_steps"] = steps


def main(argv):
    return case_main(AgCase, "ag", "ag_cases.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
