#!/usr/bin/env python3
"""km_cases.py - randomized key-material and exchanged-token cases (issue
20), the counterpart of sb_cases.py: host process sandboxes on plain hosts
whose escape reaches certificates, SSH keys and Vault tokens.  Written from
../shared/reference/breadth.md (evidence per key-material kind) and the
record shapes of fmt.py.

    km_cases.py SEED OUTDIR
    km_cases.py -n N BASESEED OUTROOT      OUTROOT/km-000 ...

A case: 1-2 hosts, each running sandboxed jobs (bwrap) every 15 min to 3 h
over 2 h to 3 days, and holding key material named in a credential map:
a client certificate and key a Vault PKI mount issued (the map writes the
serial as MOUNT/colon-hex, or plain decimal), an SSH private key (its
SHA256 fingerprint), and the sink file of a Vault agent that logs in with
that certificate (Vault's cert auth: the serial in decimal) every 30 min to
2 h from the host's address and reads its secrets with the token.

Look-alikes, drawn per case: the service that owns the certificate reads
its key all day (nginx, envoy, a Java client); sshd and ssh read the host's
keys; a renewer rewrites the certificate and key (its own binary, or a
cron script copying them with cp into place); the Vault agent's routine
logins and reads, from the host's address, before and after the escape;
the SSH key's routine sshd logins from the host to a deploy target (sshd's
auth.log with RFC 3339 stamps, or journalctl -o json; tag sshd or
sshd-session); an administrator's own key logging in from the office;
the certificate's Kubernetes user (a PEM inventory gives its serial,
SHA-256, CN and O; the audit names it X509SHA256=) reading its secrets
from the host, sometimes renewed part-way (a new serial from the same
host).  In x509 cases the stolen certificate also reads Kubernetes
secrets from outside 7 in 10 times (where its user exists).

SPIFFE: each host runs a SPIRE agent (x509pop naming the host, or a
join token naming none) whose Workload API socket serves the host
service's SVID; spiffe-helper writes it to /run/spiffe/ (a look-alike: the
helper writing its own files) and the service reads its SVID through the
socket (a look-alike: its own binary).  A SPIRE inventory (entry show,
agent list) gives the entries and agents; half the time the same SPIFFE
ID is registered under an agent elsewhere too.  The map names the SVID by
its SPIFFE ID only.  SSH certificates: 2 in 5 hosts' SSH keys (every host
in an sshcert case) are real Ed25519 keys with a user certificate from the
case's CA; the map does not name them, an ssh-keys inventory (grep -H of
the .pub and -cert.pub, a target's cert-authority line) does, and sshd
logs their logins as "ED25519-CERT SHA256:... ID ... (serial N) CA ...".

Attack (4 cases in 5; seed % 5 == 0 is benign-only), one kind per case:
  x509   a shell escaped with nsenter reads the key; the certificate then
         logs in to Vault from outside and the token it got reads secrets
         (truth: the certificate and the attacker's token)
  ssh    the SSH private key is read (truth: its fingerprint); 2 in 3
         cases sshd then logs its login from outside, to one or both of
         the hosts the key opens
  token  the Vault agent's sink file is read; its token is used from
         outside (truth: the token and the certificate it was exchanged
         for: holding the token is acting as the certificate's login)
  spiffe the SVID's key (spiffe-helper's svid_key.pem) is read, or the
         agent's socket is used with socat (truth: the SPIFFE ID; the plan
         deletes its entry under the host's agent, not another agent's,
         and evicts the host's agent when the agent list places it there
         or the socket was used)
  sshcert as ssh, for a key whose certificate only the inventory names
         (truth: its fingerprint; the plan revokes it, and the
         certificate's serial under its CA)
truth["plan"] lists steps the plan must hold, truth["plan_not"] steps it
must not (score.py counts them).
"""
import base64
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import ATTACKER_NETS, Rnd  # noqa: E402
from fmt import case_main, Out, Proc, audit, h, iso, k8s, sa_unix  # noqa: E402

HOUR = 3600.0
KINDS = ["x509", "ssh", "token", "spiffe", "sshcert"]
SOCK = "/run/spire/sockets/agent.sock"
SVID_KEY = "/run/spiffe/svid_key.pem"


def ssh_str(b):
    return struct.pack(">I", len(b)) + b


def ssh_fp(blob):
    """sshd's and ssh-keygen -l's fingerprint of a plain key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def ed25519(seed_int):
    """(private key, plain public blob) of a deterministic Ed25519 key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    k = Ed25519PrivateKey.from_private_bytes(seed_int.to_bytes(32, "big"))
    pk = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return k, ssh_str(b"ssh-ed25519") + ssh_str(pk)


def user_cert(key_blob, ca_key, ca_blob, serial, key_id, principals, va, vb, nonce):
    """An OpenSSH user certificate (PROTOCOL.certkeys) signed by ca_key."""
    pk = key_blob[4 + 11 + 4:]
    body = (ssh_str(b"ssh-ed25519-cert-v01@openssh.com") + ssh_str(nonce) + ssh_str(pk) +
            struct.pack(">QI", serial, 1) + ssh_str(key_id.encode()) +
            ssh_str(b"".join(ssh_str(p.encode()) for p in principals)) + struct.pack(">QQ", va, vb) +
            ssh_str(b"") + ssh_str(ssh_str(b"permit-pty") + ssh_str(b"")) + ssh_str(b"") + ssh_str(ca_blob))
    return body + ssh_str(ssh_str(b"ssh-ed25519") + ssh_str(ca_key.sign(body)))


class KmCase:
    def __init__(self, seed):
        self.seed = seed
        self.r = Rnd(seed)
        self.o = Out()
        self.truth = {"seed": seed, "kind": "keymat", "benign_only": False, "family": None, "variant": {},
                      "escaped": [], "credentials": [], "credentials_may": [],
                      "reachable": [], "reachable_may": []}
        self.inode = 5000
        self.rid = 0

    def ino(self):
        self.inode += self.r.randint(1, 40)
        return self.inode

    def pid(self, hst):
        hst["pid"] += self.r.randint(1, 60)
        return hst["pid"]

    def acc(self):
        return self.r.b62(24)

    # ---- Vault audit entries (cert auth) ------------------------------------
    def vault_login(self, t, src, hst, acc):
        self.rid += 1
        rid = self.r.uuid()
        req = {"id": rid, "operation": "update", "mount_point": "auth/cert/", "mount_type": "cert",
               "namespace": {"id": "root"}, "path": "auth/cert/login", "remote_address": src,
               "remote_port": self.r.randint(30000, 60000)}
        self.o.add("logs/vault-audit.log", t, json.dumps({"time": iso(t, 9), "type": "request",
                                                          "auth": {"token_type": "default"}, "request": req}))
        auth = {"client_token": "hmac-sha256:" + h("ctok" + acc), "accessor": acc,
                "display_name": "cert-" + hst["svc"], "policies": ["default", hst["svc"] + "-read"],
                "token_policies": ["default", hst["svc"] + "-read"],
                "metadata": {"authority_key_id": hst["aki"], "cert_name": hst["svc"],
                             "common_name": hst["svc"] + ".svc", "serial_number": str(hst["serial"]),
                             "subject_key_id": hst["ski"]},
                "entity_id": hst["entity"], "token_type": "service", "token_ttl": 7200,
                "token_issue_time": iso(t, 0)}
        self.o.add("logs/vault-audit.log", t + 0.011, json.dumps({
            "time": iso(t + 0.011, 9), "type": "response", "auth": auth, "request": req,
            "response": {"mount_type": "cert", "auth": auth}}))

    def vault_read(self, t, src, hst, acc):
        rid = self.r.uuid()
        path = "secret/data/%s/%s" % (hst["svc"], self.r.choice(["db", "api", "smtp"]))
        req = {"id": rid, "operation": "read", "mount_point": "secret/", "mount_type": "kv",
               "namespace": {"id": "root"}, "path": path, "remote_address": src,
               "remote_port": self.r.randint(30000, 60000), "client_token": "hmac-sha256:" + h("ctok" + acc),
               "client_token_accessor": acc}
        auth = {"client_token": req["client_token"], "accessor": acc, "display_name": "cert-" + hst["svc"],
                "policies": ["default", hst["svc"] + "-read"], "token_policies": ["default", hst["svc"] + "-read"],
                "metadata": {"cert_name": hst["svc"], "common_name": hst["svc"] + ".svc"},
                "entity_id": hst["entity"], "token_type": "service", "token_ttl": 7200}
        for k, typ in enumerate(("request", "response")):
            e = {"time": iso(t + 0.009 * k, 9), "type": typ, "auth": auth, "request": req}
            if typ == "response":
                e["response"] = {"mount_type": "kv", "data": {"data": {"value": "hmac-sha256:" + h(path + rid)}}}
            self.o.add("logs/vault-audit.log", t + 0.009 * k, json.dumps(e))

    # ---- Kubernetes: the certificate's user ---------------------------------------
    def cert_pem(self, hst, serial, days_off):
        """A real certificate (libcrypto parses it) with the case's serial:
        CN the Kubernetes user, O its groups; returns (PEM, SHA-256 hex)."""
        import datetime
        import hashlib
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        key = ec.derive_private_key(self.r.getrandbits(128) | 1, ec.SECP256R1())
        subj = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, hst["svc"] + "-team"),
                          x509.NameAttribute(NameOID.COMMON_NAME, hst["svc"] + "-client")])
        start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=days_off)
        cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
                .serial_number(serial).not_valid_before(start)
                .not_valid_after(start + datetime.timedelta(days=3650)).sign(key, hashes.SHA256()))
        der = cert.public_bytes(serialization.Encoding.DER)
        return cert.public_bytes(serialization.Encoding.PEM).decode(), hashlib.sha256(der).hexdigest()

    def k8s_read(self, t, hst, src, sha, verb="get"):
        """A read by the certificate's user, as the API server audits it."""
        ns = hst["svc"]
        name = "%s-%s" % (hst["svc"], self.r.choice(["db", "api"]))
        obj = {"resource": "secrets" if verb != "get-cm" else "configmaps", "namespace": ns, "apiVersion": "v1"}
        uri = "/api/v1/namespaces/%s/%s" % (ns, obj["resource"])
        if verb in ("get", "get-cm"):
            obj["name"] = name
            uri += "/" + name
        self.rid += 1
        k8s(self.o, t, self.r.uuid(), hst["svc"] + "-client", "get" if verb == "get-cm" else verb, uri, obj, src,
            "%s/1.%d (linux/amd64)" % (hst["svc"], self.r.randint(0, 9)),
            extra={"authentication.kubernetes.io/credential-id": ["X509SHA256=" + sha]},
            groups=[hst["svc"] + "-team", "system:authenticated"])

    # ---- sshd (auth.log on the host the key opens, or its journal) ----------------
    def sshd_login(self, t, target, user, src, fp, ktype, cert=None):
        """sshd's Accepted line (auth.c's format) on target's log, in the
        host's log carrier (rsyslog's RFC 3339 file or journalctl -o json)."""
        pid = self.r.randint(2000, 60000)
        msg = "Accepted publickey for %s from %s port %d ssh2: %s %s" % (
            user, src, self.r.randint(30000, 65000), ktype, fp)
        if cert is not None:  # auth.c format_method_key for a certificate
            msg = "Accepted publickey for %s from %s port %d ssh2: ED25519-CERT %s ID %s (serial %d) CA ED25519 %s" % (
                user, src, self.r.randint(30000, 65000), fp, cert["cert_id"], cert["cert_serial"], self.ca_fp)
        tag = target.get("sshd_tag", "sshd")
        if target["journal"]:
            self.o.add("logs/%s-journal.json" % target["name"], t, json.dumps(separators=(",", ":"), obj={
                "__REALTIME_TIMESTAMP": str(int(t * 1e6)), "_HOSTNAME": target["name"],
                "SYSLOG_IDENTIFIER": tag, "_PID": str(pid), "_COMM": tag, "PRIORITY": "6",
                "MESSAGE": msg}))
        else:
            ts = iso(t, 6).replace("Z", "+00:00")
            self.o.add("logs/%s-auth.log" % target["name"], t, "%s %s %s[%d]: %s" % (ts, target["name"], tag, pid, msg))
            if self.r.random() < 0.5:
                self.o.add("logs/%s-auth.log" % target["name"], t + 0.01, "%s %s %s[%d]: pam_unix(sshd:session): "
                           "session opened for user %s(uid=1000) by (uid=0)" % (ts, target["name"], tag, pid, user))

    # ---- the world ---------------------------------------------------------------
    def build(self):
        r = self.r
        self.H = HOUR * (2 ** r.uniform(1, 6.2))
        self.END = 1735689600 + r.randint(0, 500) * 86400 + r.uniform(0, 86400)
        self.T = self.END - r.uniform(0.1, 0.5) * HOUR
        self.S = self.T - self.H
        self.hosts = []
        for i in range(r.randint(1, 2)):
            name = "%s-%d" % (r.choice(["agent-host", "browser-box", "runner", "edge"]), r.randint(1, 40) + 40 * i)
            svc = r.choice(["billing", "ledger", "orders", "reports", "search"])
            nb = 8 * r.choice([16, 19, 20])
            # a positive DER INTEGER of at most 20 octets (RFC 5280): top bit clear
            serial = (r.getrandbits(nb) | 1) & ((1 << (nb - 1)) - 1)
            self.hosts.append({
                "name": name, "ip": "10.%d.%d.%d" % (r.randint(0, 250), r.randint(0, 250), r.randint(2, 250)),
                "svc": svc, "serial": serial, "aki": r.hexs(8), "ski": r.hexs(8), "entity": r.uuid(),
                "key": r.choice(["/etc/pki/tls/private/%s-client.key", "/etc/ssl/private/%s.key",
                                 "/etc/%s/tls/tls.key", "/opt/%s/certs/client-key.pem"]) % svc,
                "ssh": r.choice(["/root/.ssh/id_ed25519", "/root/.ssh/id_rsa", "/home/deploy/.ssh/id_ecdsa"]),
                "fp": "SHA256:" + r.b62(43),
                "sink": r.choice(["/home/vault/.vault-token", "/run/vault/.vault-token", "/etc/vault-agent/.vault-token"]),
                "owner": r.choice(["/usr/sbin/nginx", "/usr/local/bin/envoy", "/usr/lib/jvm/java-17/bin/java"]),
                "gap": HOUR * r.uniform(0.25, 3), "login_gap": HOUR * r.uniform(0.5, 2),
                "pid": r.randint(3000, 30000), "jobs": [], "tokens": [],
                "ktype": r.choice(["ED25519", "RSA", "ECDSA"])})
        # SPIRE: one trust domain, an agent per host, the host service's
        # entry under it (and, half the time, the same SPIFFE ID under an
        # agent elsewhere), another workload's entry beside it
        self.td = r.choice(["example.org", "prod.acme.internal", "spiffe.corp.example"])
        self.remote = []
        for hst in self.hosts:
            att = "x509pop" if r.random() < 0.7 else "join_token"
            hst["agent"] = "spiffe://%s/spire/agent/%s/%s" % (self.td, att, r.hexs(40) if att == "x509pop" else r.uuid())
            hst["attestor"] = att
            hst["sid"] = "spiffe://%s/svc/%s" % (self.td, hst["svc"])
            hst["entry"] = r.uuid()
            hst["entries"] = [(hst["entry"], hst["sid"], hst["agent"], [("unix", "uid:%d" % r.randint(1001, 1100))]),
                              (r.uuid(), "spiffe://%s/svc/%s-batch" % (self.td, hst["svc"]), hst["agent"],
                               [("unix", "uid:%d" % r.randint(1101, 1200))])]
            if r.random() < 0.5:
                node = "node-%d" % r.randint(1, 30)
                agent = "spiffe://%s/spire/agent/k8s_psat/prod/%s" % (self.td, r.uuid())
                self.remote.append({"agent": agent, "node": node})
                hst["entries"].append((r.uuid(), hst["sid"], agent, [("k8s", "ns:" + hst["svc"])]))
            hst["sock_gap"] = HOUR * r.uniform(0.5, 2)
        # SSH certificates: real keys, the case's CA
        self.ca_key, self.ca_blob = ed25519(r.getrandbits(255) | 1)
        self.ca_fp = ssh_fp(self.ca_blob)
        for hst in self.hosts:
            hst["cert"] = self.kind == "sshcert" or r.random() < 0.4
            if not hst["cert"]:
                continue
            _, blob = ed25519(r.getrandbits(255) | 1)
            hst["ssh"] = r.choice(["/root/.ssh/id_ed25519", "/home/deploy/.ssh/id_ed25519"])
            hst["ktype"] = "ED25519"
            hst["fp"] = ssh_fp(blob)
            hst["cert_serial"] = r.randint(1, 2 ** 63)
            hst["cert_id"] = "%s-deploy@ci-%d" % (hst["name"], r.randint(1, 999))
            cert = user_cert(blob, self.ca_key, self.ca_blob, hst["cert_serial"], hst["cert_id"],
                             ["deploy", "root"], 0, 2 ** 64 - 1, r.getrandbits(256).to_bytes(32, "big"))
            hst["pub_line"] = "ssh-ed25519 %s deploy@%s" % (base64.b64encode(blob).decode(), hst["name"])
            hst["cert_line"] = "ssh-ed25519-cert-v01@openssh.com %s deploy@%s" % (
                base64.b64encode(cert).decode(), hst["name"])
        # the hosts the SSH keys open (sshd's logs are theirs)
        self.targets = [{"name": r.choice(["bastion-1", "jump-2", "db-%d" % r.randint(1, 9)]),
                         "journal": r.random() < 0.4,
                         "sshd_tag": r.choice(["sshd", "sshd", "sshd-session"])}]
        if r.random() < 0.5:
            self.targets.append({"name": "build-%d" % r.randint(10, 99), "journal": r.random() < 0.4,
                                 "sshd_tag": "sshd"})

    def spire_inventory(self, inv):
        """entry show and agent list, -output json (protojson field names)."""
        def sid(s):
            td, path = s[len("spiffe://"):].split("/", 1)
            return {"trust_domain": td, "path": "/" + path}
        entries = [{"id": e[0], "spiffe_id": sid(e[1]), "parent_id": sid(e[2]),
                    "selectors": [{"type": t, "value": v} for t, v in e[3]], "x509_svid_ttl": 3600,
                    "federates_with": [], "hint": "", "admin": False, "downstream": False, "expires_at": "0",
                    "dns_names": [], "revision_number": "0", "store_svid": False, "jwt_svid_ttl": 300}
                   for x in self.hosts for e in x["entries"]]
        agents = [{"id": sid(x["agent"]), "attestation_type": x["attestor"],
                   "x509svid_serial_number": str(self.r.getrandbits(64)), "x509svid_expires_at": str(int(self.END) + 86400),
                   "selectors": [{"type": "x509pop", "value": "subject:cn:" + x["name"]}] if x["attestor"] == "x509pop" else [],
                   "banned": False, "can_reattest": x["attestor"] == "x509pop"} for x in self.hosts]
        agents += [{"id": sid(x["agent"]), "attestation_type": "k8s_psat", "x509svid_serial_number": str(self.r.getrandbits(64)),
                    "x509svid_expires_at": str(int(self.END) + 86400),
                    "selectors": [{"type": "k8s_psat", "value": "agent_node_name:" + x["node"]}],
                    "banned": False, "can_reattest": True} for x in self.remote]
        for name, key, doc in (("spire-entries.json", "entries", entries), ("spire-agents.json", "agents", agents)):
            with open(os.path.join(inv, name), "w") as f:
                json.dump({key: doc, "next_page_token": ""}, f, indent=1)
                f.write("\n")

    def map_serial(self, hst):
        hx = "%x" % hst["serial"]
        if len(hx) % 2:
            hx = "0" + hx
        if self.r.random() < 0.6:
            return "pki/" + ":".join(hx[i:i + 2] for i in range(0, len(hx), 2))
        return str(hst["serial"])

    def serial_id(self, hst):
        hx = "%x" % hst["serial"]
        return "X509SERIAL=" + ("0" + hx if len(hx) % 2 else hx)

    def benign(self):
        r = self.r
        lk = self.truth["variant"].setdefault("lookalikes", [])
        for hst in self.hosts:
            n = hst["name"]
            systemd = Proc(n, 1, "/usr/lib/systemd/systemd", "--system", self.S - 86400)
            worker = Proc(n, self.pid(hst), "/usr/bin/python3", "/opt/agent/worker.py", self.S - 3600, uid=1001,
                          parent=systemd)
            audit(self.o, worker.start, n, "execve", worker, "exec", paths=[(worker.binary, self.ino(), "0100755")])
            t = self.S + r.uniform(0, hst["gap"])
            while t < self.END:
                jd = "/srv/jobs/%s" % r.hexs(8)
                prog = r.choice(["/usr/bin/chromium --headless --no-sandbox https://example.com/",
                                 "/usr/bin/python3 /work/tool.py", "/bin/sh /work/run.sh"])
                lp = self.pid(hst)
                b = Proc(n, lp, "/usr/bin/bwrap", "--unshare-all --die-with-parent --ro-bind /usr /usr --bind %s "
                         "/work --proc /proc --dev /dev --chdir /work %s" % (jd, prog), t, uid=1001, parent=worker)
                audit(self.o, t, n, "execve", b, "exec", paths=[(b.binary, self.ino(), "0100755")])
                pbin, pargs = prog.split(" ", 1)
                c = Proc(n, self.pid(hst), pbin, pargs, t + 0.3, uid=1001, parent=b, cwd="/work")
                audit(self.o, t + 0.3, n, "execve", c, "exec", paths=[(pbin, self.ino(), "0100755")])
                audit(self.o, t + 1, n, "openat", c, "job_files",
                      paths=[("/work/%s" % r.choice(["profile/Cookies", "input.json", "cache/index"]), self.ino(), "0100600")])
                hst["jobs"].append((b, c))
                t += hst["gap"] * r.uniform(0.6, 1.4)
            # the certificate's own service reads its key now and then
            svc = Proc(n, self.pid(hst), hst["owner"], "", self.S - 3000, parent=systemd)
            audit(self.o, svc.start, n, "execve", svc, "exec", paths=[(svc.binary, self.ino(), "0100755")])
            t = self.S + r.uniform(0, HOUR)
            while t < self.END:
                audit(self.o, t, n, "openat", svc, "keys", paths=[(hst["key"], self.ino(), "0100600")])
                t += r.uniform(1, 6) * HOUR
            lk.append("service-reads-own-key")
            # sshd reads the host keys; a user's ssh reads its own key
            if r.random() < 0.5:
                sshd = Proc(n, self.pid(hst), "/usr/sbin/sshd", "-D", self.S - 2000, parent=systemd)
                audit(self.o, sshd.start, n, "execve", sshd, "exec", paths=[(sshd.binary, self.ino(), "0100755")])
                audit(self.o, sshd.start + 0.1, n, "openat", sshd, "keys",
                      paths=[("/etc/ssh/ssh_host_ed25519_key", self.ino(), "0100600")])
                ssh = Proc(n, self.pid(hst), "/usr/bin/ssh", "deploy@bastion-1", self.S + r.uniform(0, self.H),
                           uid=0, parent=systemd)
                audit(self.o, ssh.start, n, "execve", ssh, "exec", paths=[(ssh.binary, self.ino(), "0100755")])
                audit(self.o, ssh.start + 0.1, n, "openat", ssh, "keys", paths=[(hst["ssh"], self.ino(), "0100600")])
                lk.append("sshd-and-ssh-read-own-keys")
            # a renewer rewrites the certificate and key
            if r.random() < 0.6:
                tt = self.S + r.uniform(0, self.H)
                if r.random() < 0.5:
                    ren = Proc(n, self.pid(hst), "/usr/local/bin/cert-renewer", "--out " + hst["key"], tt, parent=systemd)
                    audit(self.o, tt, n, "execve", ren, "exec", paths=[(ren.binary, self.ino(), "0100755")])
                    audit(self.o, tt + 0.5, n, "openat", ren, "keys", paths=[(hst["key"] + ".new", self.ino(), "0100600")])
                    lk.append("renewer-binary")
                else:
                    cron = Proc(n, self.pid(hst), "/usr/sbin/cron", "-f", self.S - 3600, parent=systemd)
                    sh = Proc(n, self.pid(hst), "/bin/sh", "/etc/cron.daily/renew-certs", tt, parent=cron)
                    audit(self.o, tt, n, "execve", sh, "exec", paths=[(sh.binary, self.ino(), "0100755")])
                    cp = Proc(n, self.pid(hst), "/usr/bin/cp", "/var/lib/renew/new.key " + hst["key"], tt + 1, parent=sh)
                    audit(self.o, tt + 1, n, "execve", cp, "exec", paths=[(cp.binary, self.ino(), "0100755")])
                    audit(self.o, tt + 1.01, n, "openat", cp, "keys", paths=[(hst["key"], self.ino(), "0100600")],
                          flags="241")
                    lk.append("renewer-cron-cp")
            # SPIRE: the agent serves its socket; the service reads its SVID
            # through it (its own binary), spiffe-helper writes the files
            agent = Proc(n, self.pid(hst), "/opt/spire/bin/spire-agent", "run -config /etc/spire/agent.conf",
                         self.S - 2500, parent=systemd)
            audit(self.o, agent.start, n, "execve", agent, "exec", paths=[(agent.binary, self.ino(), "0100755")])
            helper = Proc(n, self.pid(hst), "/usr/local/bin/spiffe-helper", "-config /etc/spiffe-helper.conf",
                          self.S - 2400, parent=systemd)
            audit(self.o, helper.start, n, "execve", helper, "exec", paths=[(helper.binary, self.ino(), "0100755")])
            t = self.S + r.uniform(0, hst["sock_gap"])
            while t < self.END:
                audit(self.o, t, n, "connect", svc, "spire", paths=[(SOCK, 2201, "0140777")], sockaddr=sa_unix(SOCK))
                audit(self.o, t + 0.5, n, "connect", helper, "spire", paths=[(SOCK, 2201, "0140777")],
                      sockaddr=sa_unix(SOCK))
                for f in ("/run/spiffe/svid.pem", SVID_KEY, "/run/spiffe/svid_bundle.pem"):
                    audit(self.o, t + 0.6, n, "openat", helper, "spiffe", paths=[(f, self.ino(), "0100600")], flags="241")
                t += hst["sock_gap"] * r.uniform(0.8, 1.2)
            lk.append("workload-reads-own-svid-via-socket")
            lk.append("spiffe-helper-writes-svid")
            # the Vault agent's routine cert logins and reads, from the host
            t = self.S + r.uniform(0, hst["login_gap"])
            while t < self.END:
                acc = self.acc()
                self.vault_login(t, hst["ip"], hst, acc)
                hst["tokens"].append((t, acc))
                k = t + r.uniform(5, 60)
                while k < min(t + hst["login_gap"], self.END):
                    self.vault_read(k, hst["ip"], hst, acc)
                    k += r.uniform(0.2, 1) * HOUR
                t += hst["login_gap"] * r.uniform(0.8, 1.2)
            lk.append("vault-agent-routine-logins")
            # the certificate's Kubernetes user (2 in 3 cases): its service's
            # routine reads from the host, before and after; a renewer's
            # new certificate (another serial, in the inventory too) takes
            # over from the host part-way
            if r.random() < 0.67:
                hst["pem"], hst["sha"] = self.cert_pem(hst, hst["serial"], r.randint(0, 300))
                hst["pems"] = [hst["pem"]]
                renew = self.S + r.uniform(0.3, 0.9) * self.H if r.random() < 0.4 else None
                if renew:
                    pem2, sha2 = self.cert_pem(hst, r.getrandbits(8 * 16) | 1, 400)
                    hst["pems"].append(pem2)
                    lk.append("k8s-cert-renewed")
                t = self.S - r.uniform(0, HOUR)
                gap = HOUR * r.uniform(0.3, 1.5)
                while t < self.END:
                    self.k8s_read(t, hst, hst["ip"], sha2 if renew and t > renew else hst["sha"],
                                  r.choice(["get", "get-cm", "list"]))
                    t += gap * r.uniform(0.7, 1.3)
                lk.append("k8s-cert-user-routine")
            # the host's SSH key logs in routinely to the first target (a
            # deploy job), from the host's own address, before and after
            if r.random() < 0.7:
                tg = self.targets[0]
                t = self.S - r.uniform(0, HOUR) if r.random() < 0.8 else self.S + r.uniform(0, self.H / 2)
                gap = HOUR * r.uniform(0.3, 2)
                while t < self.END:
                    self.sshd_login(t, tg, "deploy", hst["ip"], hst["fp"], hst["ktype"],
                                    hst if hst["cert"] else None)
                    t += gap * r.uniform(0.7, 1.3)
                lk.append("ssh-key-routine-logins")
        # an administrator's own key from the office's public address: new
        # networks for a key nobody exposed
        if r.random() < 0.5:
            fp = "SHA256:" + r.b62(43)
            office = r.choice(["198.51.100.", "192.0.2."]) + str(r.randint(2, 250))
            for k in range(r.randint(1, 3)):
                self.sshd_login(self.S + r.uniform(0, self.H + 0.3 * HOUR), r.choice(self.targets), "admin",
                                office, fp, "ED25519")
            lk.append("admin-key-from-office")

    def attack(self):
        r = self.r
        cands = [x for x in self.hosts if any(b.start < self.T - 60 for b, _ in x["jobs"])
                 and any(t < self.T - 120 for t, _ in x["tokens"])]
        if not cands:
            return False
        hst = r.choice(cands)
        n = hst["name"]
        kind = self.kind
        b, c = [(b, c) for b, c in hst["jobs"] if b.start < self.T - 60][-1]
        t = max(self.T, c.start + 30)
        sh = Proc(n, self.pid(hst), "/bin/sh", "-c 'id'", t, uid=1001, parent=c, cwd="/work")
        audit(self.o, t, n, "execve", sh, "exec", paths=[(sh.binary, self.ino(), "0100755")])
        ns = Proc(n, self.pid(hst), "/usr/bin/nsenter", r.choice(["-t 1 -m -u -i -n -p", "--target 1 --all"]) + " /bin/sh",
                  t + 1, uid=0, parent=sh, cwd="/work")
        audit(self.o, ns.start, n, "execve", ns, "exec", paths=[(ns.binary, self.ino(), "0100755")])
        audit(self.o, ns.start + 0.01, n, "setns", ns, "ns_change")
        hsh = Proc(n, self.pid(hst), "/bin/sh", "", t + 1.2, uid=0, parent=ns, cwd="/")
        audit(self.o, hsh.start, n, "execve", hsh, "exec", paths=[(hsh.binary, self.ino(), "0100755")])
        path = {"x509": hst["key"], "ssh": hst["ssh"], "token": hst["sink"], "sshcert": hst["ssh"],
                "spiffe": r.choice([SVID_KEY, SOCK])}[kind]
        tt = t + r.uniform(5, 60)
        tool = r.choice(["/usr/bin/cat", "/usr/bin/base64", "/usr/bin/cp", "/usr/bin/tar"])
        p = Proc(n, self.pid(hst), tool, path, tt, uid=0, parent=hsh, cwd="/")
        if path == SOCK:
            tool = "/usr/bin/socat"
            p = Proc(n, self.pid(hst), tool, "- UNIX-CONNECT:" + SOCK, tt, uid=0, parent=hsh, cwd="/")
            audit(self.o, tt, n, "execve", p, "exec", paths=[(tool, self.ino(), "0100755")])
            audit(self.o, tt + 0.001, n, "connect", p, "spire", paths=[(SOCK, 2201, "0140777")], sockaddr=sa_unix(SOCK))
        else:
            audit(self.o, tt, n, "execve", p, "exec", paths=[(tool, self.ino(), "0100755")])
            audit(self.o, tt + 0.001, n, "openat", p, "keys", paths=[(path, self.ino(), "0100600")],
                  flags="80000")
        src = r.choice(ATTACKER_NETS) + str(r.randint(2, 250))
        cert = {"provider": "x509", "id": self.serial_id(hst), "identity": "k8s:" + hst["svc"] + "-client"}
        must, may, opened = [], [], []
        if kind == "x509":
            acc = self.acc()
            lt = tt + r.uniform(60, 900)
            self.vault_login(lt, src, hst, acc)
            for k in range(r.randint(1, 3)):
                self.vault_read(lt + 5 + 20 * k, src, hst, acc)
            must = [cert, {"provider": "vault", "id": acc, "identity": "cert-" + hst["svc"]}]
            # and, where the API server trusts it, against Kubernetes
            if hst.get("sha") and r.random() < 0.7:
                kt = tt + r.uniform(60, 900)
                self.k8s_read(kt, hst, src, hst["sha"], "list")
                self.k8s_read(kt + r.uniform(2, 30), hst, src, hst["sha"], "get")
                self.truth["variant"]["k8s_cert_use"] = True
        elif kind == "spiffe":
            must = [{"provider": "spiffe", "id": hst["sid"], "identity": "spiffe:" + hst["sid"]}]
            plan = [{"provider": "spire", "action": "delete-entry", "target": hst["entry"]}]
            # the agent is evicted when the agent list places it on the
            # escaped host, or when its socket was used
            if hst["attestor"] == "x509pop" or path == SOCK:
                plan.append({"provider": "spire", "action": "evict-agent", "target": hst["agent"]})
            self.truth["plan"] = plan
            self.truth["plan_not"] = [{"provider": "spire", "action": "delete-entry", "target": e[0]}
                                      for e in hst["entries"] if e[2] != hst["agent"]] + [
                {"provider": "spire", "action": "evict-agent", "target": x["agent"]} for x in self.remote]
            self.truth["variant"]["spiffe_path"] = path
            self.truth["variant"]["attestor"] = hst["attestor"]
        elif kind in ("ssh", "sshcert"):
            must = [{"provider": "ssh", "id": hst["fp"], "identity": "ssh:deploy@bastion-1"}]
            self.truth["plan"] = [{"provider": "ssh", "action": "revoke-ssh-key", "target": hst["fp"]}]
            if hst["cert"]:  # and the certificate's serial under its CA
                self.truth["plan"].append({"provider": "ssh", "action": "revoke-ssh-cert",
                                           "target": "%s/%d" % (self.ca_fp, hst["cert_serial"])})
            # the stolen key logs in from outside, and sometimes on to
            # another host it opens (2 in 3 cases: the log is not always kept)
            if r.random() < 0.67:
                lt = tt + r.uniform(60, 900)
                for tg in self.targets[:r.randint(1, len(self.targets))]:
                    user = r.choice(["deploy", "root"])
                    self.sshd_login(lt, tg, user, src, hst["fp"], hst["ktype"], hst if hst["cert"] else None)
                    # what the key opened is reached (the graph learns it from sshd)
                    opened.append({"provider": "ssh", "identity": "%s@%s" % (user, tg["name"])})
                    lt += r.uniform(30, 600)
                self.truth["variant"]["ssh_login"] = True
        else:
            live = [a for t0, a in hst["tokens"] if t0 <= tt][-1]
            for k in range(r.randint(1, 3)):
                self.vault_read(tt + r.uniform(60, 600) + 20 * k, src, hst, live)
            must = [{"provider": "vault", "id": live, "identity": "cert-" + hst["svc"]}, cert]
        self.truth["escaped"].append({"kind": "sandbox", "id": "%s:%d:%d" % (n, b.pid, int(b.start)),
                                      "container_id": "", "pod": ""})
        self.truth["credentials"] = must
        # the whole host was exposed: its other key material may be reported
        others = [cert, {"provider": "ssh", "id": hst["fp"], "identity": "ssh:deploy@bastion-1"},
                  {"provider": "spiffe", "id": hst["sid"], "identity": "spiffe:" + hst["sid"]}]
        self.truth["credentials_may"] = [x for x in others if x["id"] not in {m["id"] for m in must}] + may
        ident = {"x509": ("vault", "cert-" + hst["svc"]), "token": ("vault", "cert-" + hst["svc"]),
                 "ssh": ("ssh", "deploy@bastion-1"), "spiffe": ("spiffe", hst["sid"])}.get(kind)
        if hst["cert"] and kind in ("ssh", "sshcert"):
            ident = None
        # a certificate's key is in no map: what it opens is what sshd saw
        self.truth["reachable"] = ([{"provider": ident[0], "identity": ident[1]}] if ident else []) + opened
        self.truth["reachable_may"] = [{"provider": "k8s", "identity": hst["svc"] + "-client"},
                                       {"provider": "vault", "identity": "cert-" + hst["svc"]},
                                       {"provider": "ssh", "identity": "deploy@bastion-1"},
                                       {"provider": "spiffe", "identity": hst["sid"]}] + [
            # the host's key opens its deploy targets (its routine sshd logins)
            {"provider": "ssh", "identity": "deploy@" + tg["name"]} for tg in self.targets]
        self.truth["variant"].update({"kind": kind, "tool": tool})
        return kind

    def generate(self, outdir):
        # every kind in turn over the attack seeds (seed % 5 == 0 is benign)
        self.kind = KINDS[(self.seed // 5 * 4 + self.seed % 5 - 1) % len(KINDS)]
        self.build()
        benign_only = self.seed % 5 == 0
        self.benign()
        kind = None
        if not benign_only:
            kind = self.attack()
            benign_only = not kind
        self.truth["benign_only"] = benign_only
        self.truth["family"] = None if benign_only else "KM-" + kind
        self.truth["variant"].update({"hosts": len(self.hosts), "history_h": round(self.H / HOUR, 2)})
        os.makedirs(outdir, exist_ok=True)
        self.o.write(outdir)
        inv = os.path.join(outdir, "inventory")
        os.makedirs(inv, exist_ok=True)
        pems = [p for x in self.hosts for p in x.get("pems", [])]
        if pems:
            with open(os.path.join(inv, "certs.pem"), "w") as f:
                f.write("".join(pems))
        with open(os.path.join(inv, "credentials.map"), "w") as f:
            f.write("# cordon credential map\n")
            for x in self.hosts:
                f.write("file:%s:%s  x509  %s  k8s:%s-client\n" % (x["name"], x["key"], self.map_serial(x), x["svc"]))
                # a certificate's key: only the ssh-keys inventory names it
                if not x["cert"]:
                    f.write("file:%s:%s  ssh  %s  ssh:deploy@bastion-1\n" % (x["name"], x["ssh"], x["fp"]))
                # the SVID by its SPIFFE ID: the helper's key file and the socket
                for loc in (SVID_KEY, SOCK):
                    f.write("file:%s:%s  spiffe  %s  -\n" % (x["name"], loc, x["sid"]))
        self.spire_inventory(inv)
        certs = [x for x in self.hosts if x["cert"]]
        if certs:
            with open(os.path.join(inv, "ssh-keys.txt"), "w") as f:
                for x in certs:
                    f.write("%s:%s.pub:%s\n" % (x["name"], x["ssh"], x["pub_line"]))
                    f.write("%s:%s-cert.pub:%s\n" % (x["name"], x["ssh"], x["cert_line"]))
                # a deploy target trusts the CA for deploy
                f.write("%s:/etc/ssh/authorized_keys/deploy:cert-authority,principals=\"deploy\" ssh-ed25519 %s ca\n"
                        % (self.targets[0]["name"], base64.b64encode(self.ca_blob).decode()))
        with open(os.path.join(outdir, "truth.json"), "w") as f:
            json.dump(self.truth, f, indent=1, sort_keys=True)
            f.write("\n")
        return self.truth


def main(argv):
    return case_main(KmCase, "km", "km_cases.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
