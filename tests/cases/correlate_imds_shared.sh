# correlate_imds_shared.sh - the instance role is shared by every pod of a
# node.  Two hours of history (no $CORDON_EGRESS): both nodes' role sessions
# call AWS from the NAT address.  Pod A (an application that uses the SDK)
# contacts IMDS at T0-30m, pod B at T0; at T0+40s node 1's role session is
# used from an address the role never used.  USE-11 fires on that use alone
# (the role's egress is learned from its own history), the stolen session
# belongs to B's incident only, and A opens none.
. "$ROOT/tests/cases/lib.sh"
python3 - <<'PY'
import json
T0 = 1748944800
def iso(t): return "%sZ" % __import__("datetime").datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S")
acct, role = "210987654321", "eks-nodes-x"
nodes = [("ip-10-7-1-11.ec2.internal", "10.7.1.11", "i-0aaa1111bbbb2222c"),
         ("ip-10-7-2-12.ec2.internal", "10.7.2.12", "i-0ddd3333eeee4444f")]
pods = [("shop", "cart-5f6d7c8b9-aaaaa", "0a0a0a0a-1111-4222-8333-444444444444", "10.7.1.50",
         "a1" * 32, "ghcr.io/acme/cart:3.1"),
        ("shop", "search-6c7d8e9f0-bbbbb", "0b0b0b0b-1111-4222-8333-555555555555", "10.7.1.51",
         "b2" * 32, "ghcr.io/acme/search:1.0")]
items = []
for name, ip, iid in nodes:
    items.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": iid + "-uid"},
                  "spec": {"providerID": "aws:///us-east-1a/" + iid},
                  "status": {"addresses": [{"address": ip, "type": "InternalIP"}]}})
for ns, pod, uid, ip, cid, image in pods:
    items.append({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": pod, "namespace": ns, "uid": uid},
                  "spec": {"nodeName": nodes[0][0], "serviceAccountName": "default",
                           "containers": [{"name": "app", "image": image}]},
                  "status": {"podIP": ip, "hostIP": nodes[0][1],
                             "containerStatuses": [{"name": "app", "image": image,
                                                    "containerID": "containerd://" + cid}]}})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open("kubectl.json", "w"))
recs, n = [], 0
def ct(t, iid, key, ip, name, ua):
    global n
    n += 1
    recs.append({"eventVersion": "1.09", "userIdentity": {"type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLE:" + iid,
        "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, iid), "accountId": acct,
        "accessKeyId": key, "sessionContext": {"sessionIssuer": {"type": "Role",
            "arn": "arn:aws:iam::%s:role/%s" % (acct, role), "userName": role},
            "ec2RoleDelivery": "2.0"}},
        "eventTime": iso(t), "eventSource": "ec2.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": ua,
        "eventID": "00000000-0000-4000-8000-%012d" % n, "eventType": "AwsApiCall",
        "recipientAccountId": acct})
cni = "aws-sdk-go/1.55.5 (go1.22.5; linux; amd64) amazon-vpc-cni-k8s/v1.18.3"
for t in range(T0 - 7200, T0 + 600, 300):
    ct(t, nodes[0][2], "ASIAEXAMPLENODE1KEY1", "52.9.9.9", "DescribeNetworkInterfaces", cni)
    ct(t + 7, nodes[1][2], "ASIAEXAMPLENODE2KEY1", "52.9.9.9", "DescribeNetworkInterfaces", cni)
for k, name in enumerate(["GetCallerIdentity", "DescribeInstances", "ListBuckets"]):
    ct(T0 + 40 + k, nodes[0][2], "ASIAEXAMPLENODE1KEY1", "198.51.100.77", name,
       "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24")
json.dump({"Records": recs}, open("cloudtrail.json", "w"))
with open("falco.jsonl", "w") as f:
    for (ns, pod, uid, ip, cid, image), t in zip(pods, (T0 - 1800, T0)):
        f.write(json.dumps({"time": iso(t), "rule": "Contact cloud metadata service from container",
            "priority": "Notice", "source": "syscall", "hostname": nodes[0][0],
            "output": "imds", "output_fields": {"container.id": cid[:12], "k8s.ns.name": ns,
            "k8s.pod.name": pod, "container.image.repository": image.split(":")[0],
            "fd.name": "%s:51514->169.254.169.254:80" % ip, "proc.exepath": "/usr/bin/curl",
            "proc.pid": 4000 + len(pod), "evt.type": "connect"}}) + "\n")
PY
"$CORDON" --db c.db ingest -q kubectl.json cloudtrail.json falco.jsonl
set +e; "$CORDON" --db c.db correlate --format json > report.json; set -e
n11=$(sqlite3 c.db "SELECT count(*) FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'USE-11' AND e.src_ip = '198.51.100.77'")
[ "$n11" -ge 1 ] || die "USE-11 did not fire for the role session used from a new address"
expect_eq "$(sqlite3 c.db "SELECT count(*) FROM findings f JOIN events e ON e.id = f.event_id
	WHERE f.rule = 'USE-11' AND e.src_ip = '52.9.9.9'")" 0 "USE-11 on the learned egress"
owner=$(jq -r '.incidents[] | select(any(.credentials[]; .id == "ASIAEXAMPLENODE1KEY1")) | .workload.pod' report.json)
expect_eq "$owner" "shop/search-6c7d8e9f0-bbbbb" "incidents holding the stolen node-role session"
echo "shared IMDS credential ok"
