#!/usr/bin/env python3
"""mkkeymat.py KIND OUTDIR - hand-built cases of key material exposed by an
escape (issue 20), one per credential kind.  Deterministic; the committed
files under keymat-KIND/ are its output.

Every case: a host process sandbox on agent-host-3 (not a Kubernetes node,
as in mksandbox.py) escapes with `nsenter -t 1` at 10:01 and a host shell
then reads key material.  The benign history has the key's own service
reading it all day (nginx, spire-agent, a renewer rewriting it).

  x509     /etc/pki/tls/private/billing-client.key, a client certificate a
           Vault PKI mount issued (serial 3a:33:..), also in a cert-manager
           Secret (billing-client-tls, which the Certificate billing-client
           writes: cert-manager.json).  Vault's cert auth logged its routine logins by the
           billing service's Vault agent from 10.0.4.12 every 2 h; after the
           read it logs in from 203.0.113.66 (serial in decimal, as Vault
           logs it) and reads secret/data/billing with the token it got
  ssh      /root/.ssh/id_ed25519 (SHA256 fingerprint in the map); sshd on
           bastion-1 logged the key's routine logins from 10.0.4.17 every
           2 h (and once after the read); after the read it logs in from
           203.0.113.66 to root@bastion-1, then to deploy@db-1
  spiffe   socat to the SPIRE agent's socket (the map names its entry)
  spire    the same socket read; the map names only the SPIFFE ID, the SPIRE
           inventory (entry show, agent list) its entries and agents: the
           billing ID is registered under the agent on agent-host-3 and
           under another on node-9 (only the first is the escape's), and
           the agent on agent-host-3 also issues the ledger entry
  signing  /root/.cosign/cosign.key
  k8scert  the billing client certificate's key; a certificate inventory
           (the PEM beside the map) gives its SHA-256, CN and O; the
           Kubernetes audit logs its routine reads from 10.0.4.12 and, after
           the read, its list and get of billing's secrets from 203.0.113.66
           (user billing-client, credential-id X509SHA256=...)
  token    /home/vault/.vault-token, a token the billing service's cert
           login was issued (exchanged for the certificate; the map names
           only the certificate on the host): the token in the sink is the
           newest its certificate logged in for, and it exposes the
           certificate behind it
"""
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gen"))
from fmt import Out, Proc, audit, h, iso, k8s, sa_unix  # noqa: E402

HOST = "agent-host-3"
T0 = 1748944800.0  # 2025-06-03T10:00:00Z
SERIAL_HEX = "3a33141fabadb0c5da55f851852b92e0718d13ff"
SSH_FP = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"

KEYS = {
    "x509": "/etc/pki/tls/private/billing-client.key",
    "ssh": "/root/.ssh/id_ed25519",
    "spiffe": "/run/spire/sockets/agent.sock",
    "spire": "/run/spire/sockets/agent.sock",
    "signing": "/root/.cosign/cosign.key",
    "token": "/home/vault/.vault-token",
    "k8scert": "/etc/pki/tls/private/billing-client.key",
}
OWNER = {  # the key's own service: it reads the key all day
    "x509": "/usr/sbin/nginx",
    "ssh": "/usr/sbin/sshd",
    "spiffe": "/opt/spire/bin/spire-agent",
    "spire": "/opt/spire/bin/spire-agent",
    "signing": "/usr/local/bin/release-signer",
    "token": "/usr/bin/vault",
    "k8scert": "/usr/sbin/nginx",
}


def sshd_login(o, t, host, pid, user, src):
    """sshd's Accepted line for the case's SSH key (auth.c's format)."""
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06d+00:00" % int(round((t % 1) * 1e6))
    o.add("logs/auth.log", t, "%s %s sshd[%d]: Accepted publickey for %s from %s port %d ssh2: ED25519 %s"
          % (ts, host, pid, user, src, 40000 + pid % 20000, SSH_FP))


def vault_login(o, t, rid, src, acc, serial_dec, display="cert-billing"):
    """A cert auth login: the request has no token yet; the response's auth
    is the new token and its metadata names the certificate."""
    req = {"id": rid, "operation": "update", "mount_point": "auth/cert/", "mount_type": "cert",
           "namespace": {"id": "root"}, "path": "auth/cert/login", "remote_address": src,
           "remote_port": 40000 + int(t) % 20000}
    o.add("logs/vault-audit.log", t, json.dumps({"time": iso(t, 9), "type": "request",
                                                 "auth": {"token_type": "default"}, "request": req}))
    auth = {"client_token": "hmac-sha256:" + h("ctok" + acc), "accessor": acc, "display_name": display,
            "policies": ["default", "billing-read"], "token_policies": ["default", "billing-read"],
            "metadata": {"authority_key_id": "7f:01", "cert_name": "billing", "common_name": "billing.svc",
                         "serial_number": serial_dec, "subject_key_id": "9c:02"},
            "entity_id": "e-" + h("billing", 8), "token_type": "service", "token_ttl": 7200,
            "token_issue_time": iso(t, 0)}
    o.add("logs/vault-audit.log", t + 0.012, json.dumps({
        "time": iso(t + 0.012, 9), "type": "response", "auth": auth, "request": req,
        "response": {"mount_type": "cert", "auth": auth}}))


def vault_read(o, t, rid, src, acc, path, display="cert-billing"):
    req = {"id": rid, "operation": "read", "mount_point": "secret/", "mount_type": "kv",
           "namespace": {"id": "root"}, "path": path, "remote_address": src, "remote_port": 41000,
           "client_token": "hmac-sha256:" + h("ctok" + acc), "client_token_accessor": acc}
    auth = {"client_token": req["client_token"], "accessor": acc, "display_name": display,
            "policies": ["default", "billing-read"], "token_policies": ["default", "billing-read"],
            "metadata": {"cert_name": "billing", "common_name": "billing.svc"}, "entity_id": "e-" + h("billing", 8),
            "token_type": "service", "token_ttl": 7200}
    for k, typ in enumerate(("request", "response")):
        e = {"time": iso(t + 0.01 * k, 9), "type": typ, "auth": auth, "request": req}
        if typ == "response":
            e["response"] = {"mount_type": "kv", "data": {"data": {"db_password": "hmac-sha256:" + h(path)}}}
        o.add("logs/vault-audit.log", t + 0.01 * k, json.dumps(e))


AGENT3 = "/spire/agent/x509pop/5b1e0c9d2f4a6e8b7c3d1f0a9e8d7c6b5a4f3e2d"
AGENT9 = "/spire/agent/k8s_psat/prod/6f0c2a1e-93b4-4d7a-8e51-2c9b0d4f7a18"


def spire_inventory(inv):
    """`spire-server entry show -output json` and `agent list -output json`
    as protojson prints them (proto field names, int64 as strings)."""
    def sid(path):
        return {"trust_domain": "example.org", "path": path}

    def entry(eid, path, parent, sels):
        return {"id": eid, "spiffe_id": sid(path), "parent_id": sid(parent),
                "selectors": [{"type": t, "value": v} for t, v in sels], "x509_svid_ttl": 3600,
                "federates_with": [], "hint": "", "admin": False, "created_at": "1748000000",
                "downstream": False, "expires_at": "0", "dns_names": [], "revision_number": "0",
                "store_svid": False, "jwt_svid_ttl": 300}
    entries = {"entries": [
        entry("0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c", "/billing", AGENT3, [("unix", "uid:1002")]),
        entry("7d2a9c4e-1b3f-4a6d-8e0c-5f9b2d1a3c7e", "/billing", AGENT9,
              [("k8s", "ns:billing"), ("k8s", "sa:billing")]),
        entry("c4f1e2d3-5a6b-4c7d-9e8f-0a1b2c3d4e5f", "/ledger", AGENT3, [("unix", "uid:1003")]),
    ], "next_page_token": ""}
    agents = {"agents": [
        {"id": sid(AGENT3), "attestation_type": "x509pop", "x509svid_serial_number": "291480215849",
         "x509svid_expires_at": "1749000000",
         "selectors": [{"type": "x509pop", "value": "subject:cn:agent-host-3"}],
         "banned": False, "can_reattest": True},
        {"id": sid(AGENT9), "attestation_type": "k8s_psat", "x509svid_serial_number": "88120417",
         "x509svid_expires_at": "1749000000",
         "selectors": [{"type": "k8s_psat", "value": "cluster:prod"},
                       {"type": "k8s_psat", "value": "agent_node_name:node-9"}],
         "banned": False, "can_reattest": True}], "next_page_token": ""}
    for name, doc in (("spire-entries.json", entries), ("spire-agents.json", agents)):
        with open(os.path.join(inv, name), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def main(kind, out):
    o = Out()
    systemd = Proc(HOST, 1, "/usr/lib/systemd/systemd", "--system", T0 - 86400 * 3)
    worker = Proc(HOST, 40011, "/usr/bin/python3", "/opt/agent/worker.py", T0 - 86400 * 2, uid=1001,
                  parent=systemd)
    audit(o, worker.start, HOST, "execve", worker, "exec", paths=[(worker.binary, 1311, "0100755")])
    key = KEYS[kind]
    # the key's own service reads it every 2 hours for a day (a look-alike)
    svc = Proc(HOST, 30100, OWNER[kind], "", T0 - 86400 * 2, parent=systemd)
    audit(o, svc.start, HOST, "execve", svc, "exec", paths=[(svc.binary, 2100, "0100755")])
    for k in range(12):
        t = T0 - 86400 + k * 7200
        if kind in ("spiffe", "spire"):
            audit(o, t + 5, HOST, "connect", svc, "spire", paths=[(key, 2201, "0140777")],
                  sockaddr=sa_unix(key))
        else:
            audit(o, t + 5, HOST, "openat", svc, "keys", paths=[(key, 2201, "0100600")], flags="80000")
    # a renewer rewrites the certificate and key (written, then renamed over)
    if kind == "x509":
        ren = Proc(HOST, 30500, "/usr/local/bin/cert-renewer", "--out /etc/pki/tls/private", T0 - 43200,
                   parent=systemd)
        audit(o, ren.start, HOST, "execve", ren, "exec", paths=[(ren.binary, 2300, "0100755")])
        audit(o, ren.start + 1, HOST, "openat", ren, "keys", paths=[(key + ".tmp", 2301, "0100600")], flags="241")
    # the sandbox job and its escape
    b = Proc(HOST, 41207, "/usr/bin/bwrap", "--unshare-all --die-with-parent --ro-bind /usr /usr "
             "--bind /srv/jobs/j41207 /work --proc /proc --dev /dev /usr/bin/chromium --headless",
             T0, uid=1001, parent=worker)
    audit(o, T0, HOST, "execve", b, "exec", paths=[(b.binary, 1402, "0100755")])
    c = Proc(HOST, 41210, "/usr/bin/chromium", "--headless --no-sandbox https://example.com/",
             T0 + 0.2, uid=1001, parent=b, cwd="/work")
    audit(o, T0 + 0.2, HOST, "execve", c, "exec", paths=[(c.binary, 1500, "0100755")])
    sh = Proc(HOST, 41230, "/bin/sh", "-c 'nsenter -t 1 -m -u -i -n -p sh'", T0 + 60, uid=0, parent=c, cwd="/work")
    audit(o, sh.start, HOST, "execve", sh, "exec", paths=[(sh.binary, 1201, "0100755")])
    ns = Proc(HOST, 41240, "/usr/bin/nsenter", "-t 1 -m -u -i -n -p sh", T0 + 61, uid=0, parent=sh, cwd="/work")
    audit(o, ns.start, HOST, "execve", ns, "exec", paths=[(ns.binary, 1210, "0100755")])
    audit(o, ns.start + 0.01, HOST, "setns", ns, "ns_change")
    hsh = Proc(HOST, 41241, "/bin/sh", "", T0 + 62, uid=0, parent=ns, cwd="/")
    audit(o, hsh.start, HOST, "execve", hsh, "exec", paths=[(hsh.binary, 1201, "0100755")])
    if kind in ("spiffe", "spire"):
        r = Proc(HOST, 41250, "/usr/bin/socat", "- UNIX-CONNECT:" + key, T0 + 70, uid=0, parent=hsh, cwd="/")
        audit(o, r.start, HOST, "execve", r, "exec", paths=[(r.binary, 1230, "0100755")])
        audit(o, r.start + 0.001, HOST, "connect", r, "spire", paths=[(key, 2201, "0140777")],
              sockaddr=sa_unix(key))
    else:
        r = Proc(HOST, 41250, "/usr/bin/cat", key, T0 + 70, uid=0, parent=hsh, cwd="/")
        audit(o, r.start, HOST, "execve", r, "exec", paths=[(r.binary, 1220, "0100755")])
        audit(o, r.start + 0.001, HOST, "openat", r, "keys", paths=[(key, 2201, "0100600")], flags="80000")
    serial_dec = str(int(SERIAL_HEX, 16))
    if kind in ("x509", "token"):
        # the billing service's Vault agent: a cert login every 2 h, then a read
        for k in range(12):
            t = T0 - 86400 + k * 7200 + 60
            acc = "acc-" + h("routine%d" % k, 20)
            vault_login(o, t, "r-login-%02d" % k, "10.0.4.12", acc, serial_dec)
            vault_read(o, t + 2, "r-read-%02d" % k, "10.0.4.12", acc, "secret/data/billing")
    if kind == "x509":
        # the agent's routine login after the escape, from home: not the attacker's
        acc = "acc-" + h("routine-after", 20)
        vault_login(o, T0 + 1800, "r-login-after", "10.0.4.12", acc, serial_dec)
        vault_read(o, T0 + 1802, "r-read-after", "10.0.4.12", acc, "secret/data/billing")
        # the stolen certificate logs in from outside, and its token reads
        acc = "acc-" + h("attacker", 20)
        vault_login(o, T0 + 400, "r-login-evil", "203.0.113.66", acc, serial_dec)
        vault_read(o, T0 + 410, "r-read-evil", "203.0.113.66", acc, "secret/data/billing")
    if kind == "token":
        # the token on disk is the last routine login's; it is used from outside
        acc = "acc-" + h("routine11", 20)
        vault_read(o, T0 + 400, "r-read-evil", "203.0.113.66", acc, "secret/data/billing")
    if kind == "ssh":
        # sshd on the hosts the key opens (auth.log, RFC 3339): the owner's
        # routine logins from agent-host-3 every 2 h, and one after the read;
        # the stolen key from 203.0.113.66, to root on bastion-1 and then on
        # to deploy on db-1 (an account the key had never opened)
        for k in range(12):
            sshd_login(o, T0 - 86400 + k * 7200 + 120, "bastion-1", 5000 + k, "root", "10.0.4.17")
        sshd_login(o, T0 + 1500, "bastion-1", 5100, "root", "10.0.4.17")
        sshd_login(o, T0 + 300, "bastion-1", 5200, "root", "203.0.113.66")
        sshd_login(o, T0 + 420, "db-1", 7300, "deploy", "203.0.113.66")
    if kind == "k8scert":
        # the API server names the client certificate by the SHA-256 of its
        # DER (user.extra credential-id), its user by CN and groups by O
        der = subprocess.run(["openssl", "x509", "-in", os.path.join(out, "inventory", "billing-client.crt"),
                              "-outform", "DER"], check=True, capture_output=True).stdout
        user = {"user": "billing-client", "groups": ["billing-team", "billing-readers", "system:authenticated"],
                "extra": {"authentication.kubernetes.io/credential-id":
                          ["X509SHA256=" + hashlib.sha256(der).hexdigest()]}}
        obj = {"resource": "secrets", "namespace": "billing", "name": "billing-db", "apiVersion": "v1"}

        def get(t, n, src, verb="get", o2=obj, uri="/api/v1/namespaces/billing/secrets/billing-db"):
            k8s(o, t, "aud-%s-%03d" % (src.replace(".", ""), n), user["user"], verb, uri, o2, src,
                "billing/1.4 (linux/amd64)", extra=user["extra"], groups=user["groups"])
        # the billing service's routine reads, from its host, before and after
        for k in range(12):
            get(T0 - 86400 + k * 7200 + 90, k, "10.0.4.12")
        get(T0 + 1800, 99, "10.0.4.12")
        # the stolen certificate from outside: lists, then reads
        get(T0 + 300, 1, "203.0.113.66", "list", {"resource": "secrets", "namespace": "billing", "apiVersion": "v1"},
            "/api/v1/namespaces/billing/secrets")
        get(T0 + 305, 2, "203.0.113.66")
    o.write(out)
    os.makedirs(os.path.join(out, "inventory"), exist_ok=True)
    rows = {
        "x509": ["file:agent-host-3:%s  x509  pki/%s  k8s:billing-client" % (
                     key, ":".join(SERIAL_HEX[i:i + 2] for i in range(0, len(SERIAL_HEX), 2))),
                 "k8s-secret:billing/billing-client-tls  x509  %s  k8s:billing-client" % serial_dec],
        "ssh": ["file:agent-host-3:%s  ssh  %s  ssh:root@bastion-1" % (key, SSH_FP)],
        "spiffe": ["file:*:%s  spiffe  0b3e7c1a-8f2d-4c9e-9a51-5d6e7f8a9b0c  spiffe://example.org/billing" % key],
        "spire": ["file:*:%s  spiffe  spiffe://example.org/billing  -" % key],
        "signing": ["file:agent-host-3:%s  signing  cosign:release-2025  signing:release" % key],
        # the sink's token is in no map (it changes every login): the
        # certificate the host's agent logs in with is
        # the map names the serial; the certificate inventory (the .crt
        # beside it) names the hash, the user and the groups
        "k8scert": ["file:agent-host-3:%s  x509  %s  -" % (key, serial_dec)],
        "token": ["file:agent-host-3:/etc/pki/tls/private/billing-client.key  x509  %s  k8s:billing-client"
                  % serial_dec],
    }[kind]
    if kind == "k8scert":
        rbac = {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": {"name": "billing-secrets", "namespace": "billing"},
             "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "billing-readers", "namespace": "billing"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "billing-secrets"},
             "subjects": [{"kind": "Group", "name": "billing-readers", "apiGroup": "rbac.authorization.k8s.io"}]}]}
        with open(os.path.join(out, "inventory", "k8s-rbac.json"), "w") as f:
            json.dump(rbac, f, indent=1)
            f.write("\n")
    if kind == "spire":
        spire_inventory(os.path.join(out, "inventory"))
    if kind == "x509":
        # kubectl get certificates.cert-manager.io -A -o json: the Certificate
        # that writes the client's Secret is named apart from it
        def cm(name, ns, secret, cn):
            return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                    "metadata": {"name": name, "namespace": ns, "uid": h(name, 8)},
                    "spec": {"secretName": secret, "commonName": cn, "dnsNames": [cn + ".svc"],
                             "issuerRef": {"name": "vault-pki", "kind": "ClusterIssuer", "group": "cert-manager.io"},
                             "privateKey": {"rotationPolicy": "Always"}},
                    "status": {"notAfter": "2025-09-01T00:00:00Z", "revision": 1,
                               "conditions": [{"type": "Ready", "status": "True"}]}}
        with open(os.path.join(out, "inventory", "cert-manager.json"), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
                       "items": [cm("billing-client", "billing", "billing-client-tls", "billing-client"),
                                 cm("ledger-client", "ledger", "ledger-client-tls", "ledger-client")]}, f, indent=1)
            f.write("\n")
    with open(os.path.join(out, "inventory", "credentials.map"), "w") as f:
        f.write("# cordon credential map\n")
        for row in rows:
            f.write(row + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
