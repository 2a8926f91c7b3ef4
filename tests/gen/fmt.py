"""fmt.py - record writers for the randomized case generator (tests/gen).

Each function appends one record, in the exact shape the real tool prints,
to an Out collector.  The shapes follow ../shared/reference/scenarios.md §1
and the real samples in ../shared/corpus; they are the same shapes that
tests/scenarios/gen.py writes, but every value comes from the caller (no
fixture constants), so each case has its own ids.
"""
import base64
import datetime
import hashlib
import json
import os


def dumps(o):
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def iso(t, frac=None):
    """RFC 3339 UTC; frac = fractional digits (None: as needed)."""
    us = int(round(t * 1e6))
    sec, ns = us // 1000000, (us % 1000000) * 1000
    base = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac is None:
        if ns == 0:
            return base + "Z"
        return base + "." + ("%09d" % ns).rstrip("0") + "Z"
    if frac == 0:
        return base + "Z"
    return base + "." + ("%09d" % ns)[:frac] + "Z"


def aws_date(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def ct_date(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%b %d, %Y, %I:%M:%S %p")


def hexs(s):
    return s.encode().hex().upper()


def h(seed, n=64):
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


class Out:
    """Records per file, written sorted by time.  auditd records carry a
    placeholder stamp; serials are given per node in time order at write."""

    def __init__(self):
        self.files = {}
        self.seq = 0

    def add(self, rel, t, text):
        self.seq += 1
        self.files.setdefault(rel, []).append((t, self.seq, text))

    def write(self, root):
        for rel, recs in self.files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            recs.sort(key=lambda r: (r[0], r[1]))
            if rel.endswith("auditd.log"):
                serial = {}
                lines = []
                for t, _, text in recs:
                    node, body = text.split("\0", 1)
                    s = serial.get(node, 1000 + int(h(node, 4), 16) % 90000) + 1
                    serial[node] = s
                    stamp = "audit(%d.%03d:%d)" % (int(t), int((t - int(t)) * 1000) % 1000, s)
                    lines.append(body.replace("@STAMP@", stamp))
                body = "".join(x + "\n" for x in lines)
            elif rel.endswith("cloudtrail.json"):
                body = '{"Records":[\n' + ",\n".join(r[2] for r in recs) + "\n]}\n"
            else:
                body = "".join(r[2] + "\n" for r in recs)
            with open(path, "w") as f:
                f.write(body)


# ---- processes ----------------------------------------------------------------
class Proc:
    """A process as Tetragon/Tracee/Falco/auditd see it.  pod: a dict
    (ns, name, uid, cid, cname, image, labels, workload, kind) or None;
    docker: a full container id when the container has no pod."""

    def __init__(self, node, pid, binary, args, start, uid=0, cwd="/", pod=None, parent=None,
                 docker=None, ns_pid=None, mcs=None, auid=4294967295):
        self.node, self.pid, self.binary, self.args = node, pid, binary, args
        self.start, self.uid, self.cwd, self.pod, self.parent = start, uid, cwd, pod, parent
        self.docker = docker
        self.ns_pid = ns_pid if ns_pid is not None else pid
        self.mcs = mcs
        self.auid = auid
        ktime = int(start * 1e9) % (10 ** 15)
        self.exec_id = base64.b64encode(("%s:%d:%d" % (node, ktime, pid)).encode()).decode()
        self.uniq = int(h("u%s%d%f" % (node, pid, start), 8), 16)

    @property
    def cid(self):
        if self.pod:
            return self.pod["cid"]
        return self.docker

    @property
    def comm(self):
        return self.binary.rsplit("/", 1)[-1][:15]

    def argv(self):
        return [self.binary.rsplit("/", 1)[-1]] + split_args(self.args)

    def subj(self):
        if self.mcs:
            return "system_u:system_r:container_t:" + self.mcs
        if self.cid:
            return "system_u:system_r:spc_t:s0"
        return "system_u:system_r:unconfined_service_t:s0"


def split_args(s):
    out, cur, q = [], "", None
    for ch in s:
        if q:
            if ch == q:
                q = None
            else:
                cur += ch
        elif ch in "'\"":
            q = ch
        elif ch == " ":
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


# ---- auditd ---------------------------------------------------------------------
SYSCALL_NR = {"execve": 59, "openat": 257, "connect": 42, "setns": 308, "unshare": 272,
              "mount": 165, "chdir": 80, "sendto": 44, "ptrace": 101,
              "process_vm_readv": 310}


def audit(o, t, node, syscall, p, key, paths=(), sockaddr=None, success=True, exitv=0, tty="(none)",
          exe=None, cwd=None, argv=None, args=None, obj=None, flags=None):
    """One auditd event.  args: the syscall's a0..a3 as hex text (else
    made up); obj: the Proc a ptrace or kill acted on (an OBJ_PID record,
    its pid in the host's namespace); flags: openat's a2 in hex ("80000"
    O_RDONLY|O_CLOEXEC, "241" a write that creates and truncates), None
    keeps the random word."""
    pre = "node=%s type=%%s msg=@STAMP@: " % node
    a = [h("%f%s%d" % (t, key, i), 4 + i) for i in range(4)]
    if syscall == "openat":
        a[0] = "ffffff9c"
        if flags is not None:
            a[2] = flags
    for i, x in enumerate(args or ()):
        a[i] = x
    ppid = p.parent.pid if p.parent else 1
    lines = [pre % "SYSCALL" + (
        "arch=c000003e syscall=%d success=%s exit=%s a0=%s a1=%s a2=%s a3=%s items=%d "
        "ppid=%d pid=%d auid=%d uid=%d gid=0 euid=%d suid=%d fsuid=%d egid=0 sgid=0 fsgid=0 "
        "tty=%s ses=%d comm=\"%s\" exe=\"%s\" subj=%s key=\"%s\"") % (
        SYSCALL_NR[syscall], "yes" if success else "no", exitv, a[0], a[1], a[2], a[3], len(paths),
        ppid, p.pid, p.auid, p.uid, p.uid, p.uid, p.uid, tty,
        p.auid if p.auid != 4294967295 else 4294967295, p.comm, exe or p.binary, p.subj(), key)]
    av = argv or p.argv()
    if syscall == "execve":
        lines.append(pre % "EXECVE" + "argc=%d " % len(av) + " ".join(
            'a%d="%s"' % (i, x) if x and " " not in x and '"' not in x and "'" not in x
            else "a%d=%s" % (i, hexs(x) if x else "00") for i, x in enumerate(av)))
    if sockaddr is not None:
        lines.append(pre % "SOCKADDR" + "saddr=" + sockaddr)
    if obj is not None:
        lines.append(pre % "OBJ_PID" + 'opid=%d oauid=%d ouid=%d oses=%d obj=unconfined ocomm="%s"' % (
            obj.pid, obj.auid, obj.uid, obj.auid if obj.auid != 4294967295 else 4294967295, obj.comm))
    lines.append(pre % "CWD" + 'cwd="%s"' % (cwd or p.cwd))
    for i, (name, inode, mode) in enumerate(paths):
        lines.append(pre % "PATH" + (
            'item=%d name="%s" inode=%d dev=103:01 mode=%s ouid=0 ogid=0 rdev=00:00 '
            'obj=system_u:object_r:unlabeled_t:s0 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 '
            'cap_fver=0 cap_frootid=0') % (i, name, inode, mode))
    lines.append(pre % "PROCTITLE" + "proctitle=" + "00".join(hexs(x) for x in av if x))
    lines.append(pre % "EOE")
    o.add("logs/auditd.log", t, node + "\0" + "\n".join(lines))


def audit_service(o, t, node, unit, start=True, res="success"):
    """pid 1's SERVICE_START / SERVICE_STOP user-space record for unit
    (systemd's own auditing: no pid of the unit's processes)."""
    o.add("logs/auditd.log", t, node + "\0" + (
        "node=%s type=%s msg=@STAMP@: pid=1 uid=0 auid=4294967295 ses=4294967295 "
        "subj=system_u:system_r:init_t:s0 msg='unit=%s comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" "
        "hostname=? addr=? terminal=? res=%s'") % (node, "SERVICE_START" if start else "SERVICE_STOP", unit, res))


def sa_inet(ip, port):
    return "0200%04X%s0000000000000000" % (port, "".join("%02X" % int(x) for x in ip.split(".")))


def sa_unix(path):
    return "0100" + hexs(path) + "00"


# ---- Tetragon ---------------------------------------------------------------------
def tg_proc(p):
    d = {"exec_id": p.exec_id, "pid": p.pid, "uid": p.uid, "cwd": p.cwd, "binary": p.binary}
    if p.args:
        d["arguments"] = p.args
    d["flags"] = "execve clone" if p.cwd != "/" else "execve rootcwd clone"
    d["start_time"] = iso(p.start)
    d["auid"] = p.auid
    if p.pod:
        pd = p.pod
        d["pod"] = {"namespace": pd["ns"], "name": pd["name"], "uid": pd["uid"],
                    "container": {"id": "containerd://" + pd["cid"], "name": pd["cname"],
                                  "image": {"id": pd["image"].split(":")[0] + "@sha256:" + h("img" + pd["image"]),
                                            "name": pd["image"]},
                                  "start_time": iso(pd["started"]), "pid": p.ns_pid},
                    "pod_labels": pd["labels"], "workload": pd["workload"], "workload_kind": pd["kind"]}
    if p.cid:
        d["docker"] = p.cid[:31]
    if p.parent is not None:
        d["parent_exec_id"] = p.parent.exec_id
    d["tid"] = p.pid
    if getattr(p, "ns", None):
        # --enable-process-ns: {"mnt": {"inum": N, "is_host": bool}, ...}
        d["ns"] = p.ns
    return d


def tg_exec(o, p):
    body = {"process": tg_proc(p)}
    if p.parent is not None:
        body["parent"] = tg_proc(p.parent)
    o.add("logs/tetragon.jsonl", p.start, dumps({"process_exec": body, "node_name": p.node, "time": iso(p.start)}))


def tg_kprobe(o, t, p, func, args, ret=0, policy="file-monitoring", extra=None):
    body = {"process": tg_proc(p)}
    if p.parent is not None:
        body["parent"] = tg_proc(p.parent)
    body.update({"function_name": func, "args": args, "return": {"int_arg": ret},
                 "action": "KPROBE_ACTION_POST", "policy_name": policy})
    if extra:
        body.update(extra)
    o.add("logs/tetragon.jsonl", t, dumps({"process_kprobe": body, "node_name": p.node, "time": iso(t)}))


def tg_file(o, t, p, path, perm=4):
    tg_kprobe(o, t, p, "security_file_permission",
              [{"file_arg": {"path": path, "permission": "-rw-------"}}, {"int_arg": perm}])


def tg_connect(o, t, p, saddr, sport, daddr, dport):
    tg_kprobe(o, t, p, "tcp_connect",
              [{"sock_arg": {"family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP",
                             "saddr": saddr, "daddr": daddr, "sport": sport, "dport": dport}}],
              policy="monitor-network")


# ---- Falco -----------------------------------------------------------------------
def falco(o, t, rule, prio, tags, p, text, fields=None, source="syscall", host=None):
    of = {}
    if p is not None:
        if p.pod:
            pd = p.pod
            repo, tag = pd["image"].rsplit(":", 1)
            of.update({"container.id": pd["cid"][:12], "container.name": pd["cname"],
                       "container.image.repository": repo, "container.image.tag": tag,
                       "k8s.ns.name": pd["ns"], "k8s.pod.name": pd["name"]})
        elif p.docker:
            of.update({"container.id": p.docker[:12], "container.name": "c_" + p.docker[:6],
                       "container.image.repository": "alpine", "container.image.tag": "latest",
                       "k8s.ns.name": None, "k8s.pod.name": None})
        else:
            of.update({"container.id": "host", "container.name": "host",
                       "k8s.ns.name": None, "k8s.pod.name": None})
        of.update({"proc.pid": p.pid, "proc.ppid": p.parent.pid if p.parent else 1,
                   "proc.name": p.comm, "proc.exepath": p.binary,
                   "proc.cmdline": " ".join([p.comm] + ([p.args] if p.args else [])),
                   "proc.pname": p.parent.comm if p.parent else "systemd",
                   "user.uid": p.uid, "user.name": "root" if p.uid == 0 else "app",
                   "user.loginuid": -1 if p.auid == 4294967295 else p.auid})
    if fields:
        of.update(fields)
    kv = " ".join("%s=%s" % (k.replace(".", "_"), v) for k, v in of.items()
                  if k != "container.image.tag" and v is not None)
    rec = {"hostname": host or (p.node if p is not None else "k8s-audit"),
           "output": "%s: %s %s (%s)" % (iso(t, 9)[11:-1], prio, text, kv),
           "priority": prio, "rule": rule, "source": source, "tags": tags, "time": iso(t, 9),
           "output_fields": of}
    o.add("logs/falco.jsonl", t, dumps(rec))


# ---- Tracee (v1beta1) -------------------------------------------------------------
def _targ(d):
    """A v1beta1 data entry -> the flat format's {name, type, value}."""
    for k, ty in (("str", "const char*"), ("int32", "int"), ("uint32", "u32"), ("uint64", "u64"),
                  ("sockaddr", "struct sockaddr*"), ("str_array", "const char**")):
        if k in d:
            v = d[k]
            if k == "str_array":
                v = v.get("value", [])
            return {"name": d["name"], "type": ty, "value": v}
    return {"name": d["name"], "type": "unknown", "value": None}


def tracee_flat(o, t, p, name, data, threat=None, syscall="", node=None):
    """Tracee's older flat JSON (the shape of the samples in shared/corpus/tracee):
    hostName is the UTS name (the pod's name in a pod, cut to 15 characters).
    p.mntns / p.pidns: a host process sandbox's namespace inodes (else the
    host's, or a container's made-up ones)."""
    pd = p.pod
    uts = node or p.node
    if pd and not pd.get("host_network"):
        uts = pd["name"]
    rec = {"timestamp": int(t * 1e9), "threadStartTime": int(p.start * 1e9), "processorId": p.pid % 8,
           "processId": p.ns_pid, "cgroupId": 1000 + p.uniq % 90000, "threadId": p.ns_pid,
           "parentProcessId": p.parent.ns_pid if p.parent else 0, "hostProcessId": p.pid, "hostThreadId": p.pid,
           "hostParentProcessId": p.parent.pid if p.parent else 0, "userId": p.uid,
           "mountNamespace": getattr(p, "mntns", None) or 4026531840 + (p.uniq % 900 if p.cid else 0),
           "pidNamespace": getattr(p, "pidns", None) or 4026531836 + (p.uniq % 900 if p.cid else 0),
           "processName": p.comm, "executable": {"path": p.binary}, "hostName": uts[:15],
           "containerId": p.cid or "", "containerImage": (pd["image"] if pd else ("alpine:latest" if p.cid else "")),
           "containerName": pd["cname"] if pd else "", "podName": pd["name"] if pd else "",
           "podNamespace": pd["ns"] if pd else "", "podUID": pd["uid"] if pd else "",
           "eventId": str(700 + o.seq % 300), "eventName": threat["name"] if threat else name,
           "matchedPolicies": ["default"], "argsNum": len(data), "returnValue": 0, "syscall": syscall,
           "stackAddresses": None, "contextFlags": {"containerStarted": bool(p.cid), "isCompat": False},
           "args": [_targ(d) for d in data]}
    if threat:
        pr = threat["properties"]
        rec["eventId"] = "6" + str(o.seq % 1000).zfill(3)
        rec["metadata"] = {"Version": "1", "Description": threat["description"], "Tags": None,
                           "Properties": {"Category": pr.get("Category", ""), "Severity": threat["severity"],
                                          "Technique": threat["mitre"]["technique"]["name"],
                                          "external_id": threat["mitre"]["technique"]["id"],
                                          "signatureID": pr["signatureID"], "signatureName": threat["name"]}}
    o.add("logs/tracee.jsonl", t, dumps(rec))


def tracee(o, t, p, name, data, threat=None, syscall="", style="v1beta1"):
    if style == "flat":
        return tracee_flat(o, t, p, name, data, threat, syscall)
    anc = []
    if p.parent is not None:
        anc = [{"unique_id": p.parent.uniq, "host_pid": p.parent.pid, "pid": p.parent.ns_pid,
                "executable": {"path": p.parent.binary}}]
    w = {"process": {"executable": {"path": p.binary}, "unique_id": p.uniq, "host_pid": p.pid,
                     "pid": p.ns_pid, "real_user": {"id": p.uid},
                     "thread": {"start_time": iso(p.start), "name": p.comm, "unique_id": p.uniq,
                                "host_tid": p.pid, "tid": p.ns_pid, "syscall": syscall},
                     "ancestors": anc}}
    if p.cid:
        c = {"id": p.cid, "started": True}
        if p.pod:
            c["name"] = p.pod["cname"]
            c["image"] = {"name": p.pod["image"]}
        else:
            c["image"] = {"name": "alpine:latest"}
        w["container"] = c
    if p.pod:
        w["k8s"] = {"pod": {"name": p.pod["name"], "uid": p.pod["uid"], "labels": p.pod["labels"]},
                    "namespace": {"name": p.pod["ns"]}}
    rec = {"timestamp": iso(t, 9), "id": 700 + o.seq % 300, "name": name, "workload": w, "data": data}
    if threat:
        rec["threat"] = threat
    o.add("logs/tracee.jsonl", t, dumps(rec))


def trc(sig, title, desc, sev, tech, tech_name, tactic):
    return {"description": desc, "mitre": {"tactic": {"name": tactic},
                                           "technique": {"id": tech, "name": tech_name}},
            "severity": sev, "name": title,
            "properties": {"signatureID": sig, "Category": tactic.lower().replace(" ", "-")}}


# ---- Kubernetes audit --------------------------------------------------------------
def k8s(o, t, audit_id, user, verb, uri, objref, src, ua, code=200, extra=None, groups=None,
        uid_=None, annotations=None, reqobj=None, reason=None, respobj=None):
    u = {"username": user}
    if uid_:
        u["uid"] = uid_
    if groups:
        u["groups"] = groups
    if extra:
        u["extra"] = extra
    ann = {"authorization.k8s.io/decision": "allow" if code not in (401, 403) else "forbid",
           "authorization.k8s.io/reason": reason or ""}
    if annotations:
        ann.update(annotations)
    rec = {"kind": "Event", "apiVersion": "audit.k8s.io/v1",
           "level": "Request" if reqobj is not None else "Metadata",
           "auditID": audit_id, "stage": "ResponseComplete", "requestURI": uri, "verb": verb, "user": u,
           "sourceIPs": [src], "userAgent": ua, "objectRef": objref,
           "responseStatus": {"metadata": {}, "code": code}}
    if code in (401, 403):
        rec["responseStatus"].update({"status": "Failure", "reason": "Forbidden", "message": "forbidden"})
    if reqobj is not None:
        rec["requestObject"] = reqobj
    if respobj is not None:
        rec["responseObject"] = respobj
    rec["requestReceivedTimestamp"] = iso(t - 0.004, 6)
    rec["stageTimestamp"] = iso(t, 6)
    rec["annotations"] = ann
    o.add("logs/k8s-audit.jsonl", t, dumps(rec))


# ---- CloudTrail --------------------------------------------------------------------
def ct(o, t, event_id, acct, region, ident, source, name, src_ip, ua, req=None, resp=None, err=None,
       vpce=None, resources=None, readonly=True):
    rec = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": iso(t, 0),
           "eventSource": source + ".amazonaws.com", "eventName": name, "awsRegion": region,
           "sourceIPAddress": src_ip, "userAgent": ua}
    if err:
        rec["errorCode"] = err
        rec["errorMessage"] = ("User: %s is not authorized to perform: %s:%s because no identity-based "
                               "policy allows the %s:%s action") % (ident.get("arn", "?"), source, name, source, name)
    rec["requestParameters"] = req
    rec["responseElements"] = resp
    rec["requestID"] = event_id[::-1]
    rec["eventID"] = event_id
    rec["readOnly"] = readonly
    if resources:
        rec["resources"] = resources
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = True
    rec["recipientAccountId"] = acct
    if vpce:
        rec["vpcEndpointId"] = vpce
    rec["eventCategory"] = "Management"
    o.add("logs/cloudtrail.json", t, dumps(rec))


# ---- Vault audit ---------------------------------------------------------------------
PERM_DENIED = "1 error occurred:\n\t* permission denied\n\n"


def vault_pair(o, t, rid, path, op, src, port, acc, ident, login=False, err=None, new_acc=None,
               mount_type="kv", data_keys=None, issue_time=None, renew=False):
    """ident: dict(display, policies, meta, entity, ttl)."""
    ctok = "hmac-sha256:" + h("ctok" + (acc or new_acc or ""))
    mp = {"kv": "secret/", "kubernetes": "auth/kubernetes/", "token": "auth/token/", "system": "sys/"}[mount_type]
    req = {"id": rid, "operation": op, "mount_point": mp, "mount_type": mount_type,
           "namespace": {"id": "root"}, "path": path, "remote_address": src, "remote_port": port}
    if login:
        auth_req = {"token_type": "default"}
        req["data"] = {"jwt": "hmac-sha256:" + h("jwt" + rid), "role": "hmac-sha256:" + h("role" + rid)}
    else:
        req["client_token"] = ctok
        req["client_token_accessor"] = acc
        auth_req = {"client_token": ctok, "accessor": acc, "display_name": ident["display"],
                    "policies": ident["policies"], "token_policies": ident["policies"],
                    "metadata": ident["meta"], "entity_id": ident["entity"], "token_type": "service",
                    "token_ttl": ident["ttl"], "token_issue_time": iso(issue_time or t, 0)}
    rq = {"time": iso(t, 9), "type": "request", "auth": auth_req, "request": req}
    if err:
        rq["error"] = err
    o.add("logs/vault-audit.log", t, dumps(rq))
    resp = {"mount_type": mount_type}
    rauth = None
    if login or new_acc:
        na = new_acc or acc
        rauth = {"client_token": "hmac-sha256:" + h("ctok" + na), "accessor": na,
                 "display_name": ident["display"], "policies": ident["policies"],
                 "token_policies": ident["policies"], "metadata": ident["meta"], "entity_id": ident["entity"],
                 "token_type": "service", "token_ttl": ident["ttl"], "token_issue_time": iso(t, 0)}
        resp["auth"] = rauth
    elif renew:
        resp["auth"] = dict(auth_req)
    if data_keys and not err:
        resp["data"] = {"data": {k: "hmac-sha256:" + h(path + k) for k in data_keys},
                        "metadata": {"version": 3}}
    entry = {"time": iso(t + 0.012, 9), "type": "response", "auth": rauth if login else auth_req,
             "request": req, "response": resp}
    if err:
        entry["error"] = err
    o.add("logs/vault-audit.log", t + 0.012, dumps(entry))


# ---- GCP audit -----------------------------------------------------------------------
def gcp(o, t, insert_id, project, method, service, resource, principal, keyname, ip, ua, code=0, perm=None):
    pp = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
          "authenticationInfo": {"principalEmail": principal, "serviceAccountKeyName": keyname,
                                 "principalSubject": "serviceAccount:" + principal},
          "authorizationInfo": [{"resource": resource, "permission": perm or "", "granted": code == 0}],
          "methodName": method,
          "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": ua,
                              "requestAttributes": {"time": iso(t, 6), "auth": {}}, "destinationAttributes": {}},
          "resourceName": resource, "serviceName": service}
    pp["status"] = {} if code == 0 else {"code": code, "message": "Permission '%s' denied" % perm}
    rec = {"insertId": insert_id,
           "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Fdata_access" % project,
           "protoPayload": pp, "receiveTimestamp": iso(t + 0.7, 9),
           "resource": {"type": "audited_resource", "labels": {"project_id": project, "service": service,
                                                                "method": method}},
           "severity": "INFO" if code == 0 else "ERROR", "timestamp": iso(t, 6)}
    o.add("logs/gcp-audit.jsonl", t, dumps(rec))


def case_main(case_cls, prefix, prog, argv):
    """The generators' command line: SEED OUTDIR, or -n N BASESEED OUTROOT
    (N cases named PREFIX-000... with consecutive seeds)."""
    import sys
    if len(argv) == 2:
        case_cls(int(argv[0])).generate(argv[1])
        return 0
    if len(argv) == 4 and argv[0] == "-n":
        n, base, root = int(argv[1]), int(argv[2]), argv[3]
        for i in range(n):
            t = case_cls(base + i).generate(os.path.join(root, "%s-%03d" % (prefix, i)))
            print("%s-%03d seed=%d %s" % (prefix, i, base + i, t["family"] or "benign"))
        return 0
    sys.stderr.write("usage: %s SEED OUTDIR | %s -n N BASESEED OUTROOT\n" % (prog, prog))
    return 2
