#!/usr/bin/env python3
"""fn_cases.py - randomized serverless-function cases (issue 19), the
counterpart of cases.py for Lambda functions.  Written from
../shared/reference/breadth.md section 1 (record shapes of `aws lambda
list-functions`, CloudTrail's AssumeRole by lambda.amazonaws.com and the
function's own calls), not from the correlator.

    fn_cases.py SEED OUTDIR
    fn_cases.py -n N BASESEED OUTROOT      OUTROOT/fn-000 ...

A case: an AWS account with 2-6 functions in one region over 2 h to 5 days
of CloudTrail.  Each function gets a new execution environment every
20 min to 3 h (AssumeRole by lambda.amazonaws.com, the session named after
the function; a new ASIA key each time) and makes calls with it:
  VPC functions   from their NAT address, or through a VPC endpoint
                  (a private address and vpcEndpointId)
  other functions from an address of an AWS pool drawn per case (/24s of
                  AWS-like prefixes), one per execution environment [verify]
Managed runtimes sign with an SDK that appends exec-env/AWS_Lambda_RUNTIME
to the user agent; custom runtimes (provided.al2023) do not.  Lambda itself
calls KMS with the role from lambda.amazonaws.com.  Roles are per function
or shared by two functions (the session name tells them apart); paths are
"/" or "/service-role/"; some roles may assume another role.

Look-alikes, each drawn per case: a developer assumes a function's role
from the office (session named after the developer, or after the function),
a CI user updates a function's code, a function's session is seen from a
new AWS address (managed runtime), Lambda's own calls.

Attack (4 cases in 5; seed % 5 == 0 is benign-only): one function's live
session is used from an outside address (a VPS, Tor exit, another cloud)
with the attacker's client, 1-6 calls.  Truth: the function is the escaped
workload; the stolen key must be reported, the function's other sessions
alive then may be; the role (and what it may assume) must be reachable.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import ATTACKER_AWS_UA, ATTACKER_NETS, REGIONS, Rnd  # noqa: E402
from fmt import case_main, Out, ct, ct_date  # noqa: E402

HOUR = 3600.0
MANAGED = ["python3.12", "python3.11", "nodejs20.x", "nodejs18.x", "java21", "ruby3.3", "dotnet8"]
CUSTOM = ["provided.al2023", "provided.al2"]
NAMES = ["invoice-render", "thumbnailer", "report-export", "webhook-relay", "image-resize", "order-sync",
         "email-digest", "pdf-merge", "audit-shipper", "price-feed", "geo-lookup", "token-refresher"]
DEVS = ["alice", "bob", "carol", "dave", "erin"]
AWS_FIRST = [3, 18, 34, 35, 44, 52, 54]


def sdk_ua(r, runtime):
    if runtime.startswith("python"):
        v = "1.34.%d" % r.randint(10, 140)
        return ("Boto3/%s md/Botocore#%s ua/2.0 os/linux#5.10.%d md/arch#x86_64 lang/python#%s.%d "
                "exec-env/AWS_Lambda_%s cfg/retry-mode#legacy Botocore/%s" %
                (v, v, r.randint(200, 230), runtime[6:], r.randint(1, 9), runtime, v))
    if runtime.startswith("nodejs"):
        return ("aws-sdk-js/3.%d.0 ua/2.0 os/linux#5.10.%d lang/js md/nodejs#%s.%d.0 exec-env/AWS_Lambda_%s "
                "api/s3#3.%d.0" % (r.randint(400, 600), r.randint(200, 230), runtime[6:8], r.randint(1, 12),
                                    runtime, r.randint(400, 600)))
    if runtime.startswith("java"):
        return ("aws-sdk-java/2.25.%d Linux/5.10.%d OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 "
                "vendor/Amazon.com_Inc. exec-env/AWS_Lambda_%s io/sync http/Apache cfg/retry-mode/legacy" %
                (r.randint(1, 60), r.randint(200, 230), runtime))
    if runtime.startswith("ruby"):
        return "aws-sdk-ruby3/3.19%d.0 ua/2.0 api/s3#1.1%d.0 os/linux md/x86_64 lang/ruby#3.3.1 exec-env/AWS_Lambda_%s" % (
            r.randint(0, 9), r.randint(0, 9), runtime)
    if runtime.startswith("dotnet"):
        return "aws-sdk-dotnet-coreclr/3.7.%d ua/2.0 OS/Linux_5.10 lang/.NET_Core#8.0.4 exec-env/AWS_Lambda_%s" % (
            r.randint(300, 400), runtime)
    # custom runtime: AWS_EXECUTION_ENV is not set, the SDK appends nothing
    return "aws-sdk-go-v2/1.30.%d ua/2.0 os/linux lang/go#1.22.%d md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.%d" % (
        r.randint(0, 5), r.randint(0, 8), r.randint(0, 9))


class FnCase:
    def __init__(self, seed):
        self.seed = seed
        self.r = Rnd(seed)
        self.o = Out()
        self.n = 0
        self.truth = {"seed": seed, "kind": "function", "benign_only": False, "family": None, "variant": {},
                      "escaped": [], "credentials": [], "credentials_may": [],
                      "reachable": [], "reachable_may": []}

    def eid(self):
        self.n += 1
        return self.r.uuid()

    def build(self):
        r = self.r
        self.acct = "%012d" % r.randint(10 ** 11, 10 ** 12 - 1)
        self.region = r.choice(REGIONS)
        self.nat = r.public_ip()
        self.vpce = "vpce-0%s" % r.hexs(16)
        self.vpc_cidr = "10.%d." % r.randint(0, 250)
        self.office = "%d.%d.%d.%d" % (r.choice([81, 82, 86, 90, 145, 176, 212]), r.randint(0, 255),
                                       r.randint(0, 255), r.randint(1, 254))
        self.ci = r.public_ip()
        # the AWS pool non-VPC functions call from
        self.pool = ["%d.%d.%d." % (r.choice(AWS_FIRST), r.randint(0, 255), r.randint(0, 255))
                     for _ in range(r.randint(8, 40))]
        self.H = HOUR * (2 ** r.uniform(1, 6.9))  # 2 h .. 5 days
        self.END = 1735689600 + r.randint(0, 500) * 86400 + r.uniform(0, 86400)
        self.T = self.END - r.uniform(0.05, 0.4) * HOUR  # attack time
        self.S = self.T - self.H
        names = r.sample(NAMES, r.randint(2, 6))
        self.fns = []
        self.roles = {}
        for i, nm in enumerate(names):
            name = nm if r.random() < 0.6 else "%s-%s" % (nm, r.choice(["prod", "v2", "eu", "live"]))
            runtime = r.choice(CUSTOM) if r.random() < 0.25 else r.choice(MANAGED)
            if self.fns and r.random() < 0.25:
                role = self.fns[-1]["role"]  # shared with the previous function
            else:
                path = r.choice(["/", "/service-role/"])
                rname = "%s-%s" % (name, r.choice(["role", "exec", "lambda-role"]))
                role = "arn:aws:iam::%s:role%s%s" % (self.acct, path, rname)
                self.roles[role] = {"name": rname, "path": path, "id": "AROA" + r.b32(17).upper(),
                                    "assume": None}
            f = {"name": name, "arn": "arn:aws:lambda:%s:%s:function:%s" % (self.region, self.acct, name),
                 "runtime": runtime, "role": role, "vpc": r.random() < 0.5,
                 "gap": HOUR * r.uniform(0.33, 3), "calls": r.randint(1, 6),
                 "env": r.sample(["BUCKET", "TABLE", "QUEUE_URL", "DB_URL", "API_KEY_SSM", "STAGE", "LOG_LEVEL",
                                  "SECRET_ARN"], r.randint(0, 4)),
                 "sessions": []}
            self.fns.append(f)
        # some roles may assume an archive role
        roles = list(self.roles)
        if r.random() < 0.4:
            tgt = "arn:aws:iam::%s:role/%s" % (self.acct, r.choice(["data-archive", "cross-audit", "kms-ops"]))
            self.roles[tgt] = {"name": tgt.rsplit("/", 1)[1], "path": "/", "id": "AROA" + r.b32(17).upper(),
                               "assume": None, "target_only": True}
            self.roles[r.choice(roles)]["assume"] = tgt

    # ---- records ---------------------------------------------------------------
    def role_name(self, arn):
        return arn.rsplit("/", 1)[1]

    def session_ident(self, role, sess, key, invoked=False):
        ro = self.roles[role]
        ui = {"type": "AssumedRole", "principalId": "%s:%s" % (ro["id"], sess),
              "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, ro["name"], sess), "accountId": self.acct,
              "accessKeyId": key,
              "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": ro["id"], "arn": role,
                                                   "accountId": self.acct, "userName": ro["name"]},
                                 "attributes": {"mfaAuthenticated": "false"}}}
        if invoked:
            ui["invokedBy"] = "lambda.amazonaws.com"
        return ui

    def new_key(self):
        return "ASIA" + self.r.b32(16).upper()

    def lambda_assume(self, t, f):
        key = self.new_key()
        ro = self.roles[f["role"]]
        resp = {"credentials": {"accessKeyId": key, "sessionToken": "IQoJb3JpZ2luX2Vj" + self.r.b62(40),
                                "expiration": ct_date(t + 12 * HOUR)},
                "assumedRoleUser": {"assumedRoleId": "%s:%s" % (ro["id"], f["name"]),
                                    "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, ro["name"], f["name"])}}
        if self.r.random() < 0.15:
            del resp["assumedRoleUser"]  # some records lack it
        ct(self.o, t, self.eid(), self.acct, self.region, {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
           "sts", "AssumeRole", "lambda.amazonaws.com", "lambda.amazonaws.com",
           req={"roleArn": f["role"], "roleSessionName": f["name"], "durationSeconds": 43200}, resp=resp)
        f["sessions"].append((t, key))
        # a non-VPC environment calls from one AWS address for its life [verify]
        f["env_addr"] = self.r.choice(self.pool) + str(self.r.randint(2, 250))
        return key

    def fn_call(self, t, f, key, src=None, ua=None):
        r = self.r
        action = r.choice([("s3", "GetObject", False), ("s3", "PutObject", False), ("dynamodb", "GetItem", False),
                           ("sqs", "SendMessage", False), ("secretsmanager", "GetSecretValue", True),
                           ("ssm", "GetParameter", True), ("kms", "Decrypt", True)])
        vpce = None
        if src is None:
            if f["vpc"]:
                if r.random() < 0.3:
                    src, vpce = self.vpc_cidr + "%d.%d" % (r.randint(0, 3), r.randint(4, 250)), self.vpce
                else:
                    src = self.nat
            else:
                src = f["env_addr"]
        ct(self.o, t, self.eid(), self.acct, self.region, self.session_ident(f["role"], f["name"], key),
           action[0], action[1], src, ua or sdk_ua(r, f["runtime"]), vpce=vpce)

    # ---- the case ------------------------------------------------------------------
    def benign(self):
        r = self.r
        for f in self.fns:
            t = self.S + r.uniform(0, f["gap"])
            while t < self.END:
                key = self.lambda_assume(t, f)
                if r.random() < 0.5:
                    ct(self.o, t + 1, self.eid(), self.acct, self.region,
                       self.session_ident(f["role"], f["name"], key, invoked=True), "kms", "Decrypt",
                       "lambda.amazonaws.com", "lambda.amazonaws.com")
                nxt = t + f["gap"] * r.uniform(0.7, 1.3)
                for _ in range(f["calls"]):
                    ct_t = r.uniform(t + 2, min(nxt, self.END))
                    self.fn_call(ct_t, f, key)
                t = nxt
        lk = self.truth["variant"].setdefault("lookalikes", [])
        # a developer assumes a function's role from the office
        if r.random() < 0.6:
            f = r.choice(self.fns)
            dev = r.choice(DEVS)
            sess = f["name"] if r.random() < 0.3 else dev
            t = r.uniform(self.S + 0.2 * self.H, self.END)
            key = self.new_key()
            ui = {"type": "IAMUser", "principalId": "AIDA" + r.b32(16).upper(),
                  "arn": "arn:aws:iam::%s:user/%s" % (self.acct, dev), "accountId": self.acct,
                  "accessKeyId": "AKIA" + r.b32(16).upper(), "userName": dev}
            ro = self.roles[f["role"]]
            ct(self.o, t, self.eid(), self.acct, self.region, ui, "sts", "AssumeRole", self.office,
               ATTACKER_AWS_UA[0], req={"roleArn": f["role"], "roleSessionName": sess},
               resp={"credentials": {"accessKeyId": key, "sessionToken": "IQoJ" + r.b62(40),
                                     "expiration": ct_date(t + HOUR)},
                     "assumedRoleUser": {"assumedRoleId": "%s:%s" % (ro["id"], sess),
                                         "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, ro["name"], sess)}})
            for j in range(r.randint(1, 5)):
                ct(self.o, t + 30 + 40 * j, self.eid(), self.acct, self.region,
                   self.session_ident(f["role"], sess, key), r.choice(["s3", "sts", "logs"]),
                   r.choice(["ListBuckets", "GetCallerIdentity", "FilterLogEvents"]), self.office,
                   ATTACKER_AWS_UA[0])
            lk.append("developer-assumes-role" + ("-same-session-name" if sess == f["name"] else ""))
        # CI deploys new code
        if r.random() < 0.5:
            f = r.choice(self.fns)
            ui = {"type": "IAMUser", "principalId": "AIDA" + r.b32(16).upper(),
                  "arn": "arn:aws:iam::%s:user/ci-deployer" % self.acct, "accountId": self.acct,
                  "accessKeyId": "AKIA" + r.b32(16).upper(), "userName": "ci-deployer"}
            ct(self.o, r.uniform(self.S, self.END), self.eid(), self.acct, self.region, ui, "lambda",
               "UpdateFunctionCode20150331v2", self.ci, "aws-cli/2.17.0 Python/3.11.9 Linux/6.5.0 exe/x86_64.ubuntu.22",
               req={"functionName": f["name"]}, readonly=False)
            lk.append("ci-deploy")
        # a managed-runtime function's session from a brand-new AWS address
        managed = [f for f in self.fns if not f["runtime"].startswith("provided") and f["sessions"]]
        if managed and r.random() < 0.6:
            f = r.choice(managed)
            t, key = f["sessions"][-1]
            if t + 5 < self.END:
                newnet = "%d.%d.%d.%d" % (r.choice(AWS_FIRST), r.randint(0, 255), r.randint(0, 255), r.randint(2, 250))
                self.fn_call(r.uniform(t + 5, self.END), f, key, src=newnet)
                lk.append("new-aws-address")

    def attack(self):
        r = self.r
        f = r.choice(self.fns)
        live = [(t, k) for (t, k) in f["sessions"] if t <= self.T - 60]
        if not live:
            key = self.lambda_assume(self.T - r.uniform(120, 1800), f)
            live = [(f["sessions"][-1][0], key)]
        ts, key = live[-1]
        src = r.choice(ATTACKER_NETS) + str(r.randint(2, 250))
        ua = r.choice(ATTACKER_AWS_UA)
        t = max(self.T, ts + 60)
        for j in range(r.randint(1, 6)):
            name = r.choice([("sts", "GetCallerIdentity"), ("s3", "ListBuckets"), ("secretsmanager", "ListSecrets"),
                             ("secretsmanager", "GetSecretValue"), ("iam", "ListAttachedRolePolicies"),
                             ("ssm", "GetParametersByPath")])
            ct(self.o, t + 35 * j + r.uniform(0, 20), self.eid(), self.acct, self.region,
               self.session_ident(f["role"], f["name"], key), name[0], name[1], src, ua)
        self.truth["escaped"].append({"kind": "function", "id": f["arn"], "container_id": "", "pod": ""})
        self.truth["credentials"].append({"provider": "aws", "id": key, "identity": f["role"]})
        for (t2, k2) in f["sessions"]:
            if k2 != key and t2 <= t and t2 > t - 12 * HOUR:
                self.truth["credentials_may"].append({"provider": "aws", "id": k2, "identity": f["role"]})
        must, may = set(), set()
        role = f["role"]
        must.add(role)
        may.add("arn:aws:iam::%s:role/%s" % (self.acct, self.roles[role]["name"]))  # the session's pathless form
        tgt = self.roles[role]["assume"]
        if tgt:
            must.add(tgt)
        self.truth["reachable"] = [{"provider": "aws", "identity": x} for x in sorted(must)]
        self.truth["reachable_may"] = [{"provider": "aws", "identity": x} for x in sorted(may - must)]
        self.truth["variant"].update({"victim_runtime": f["runtime"], "victim_vpc": f["vpc"],
                                      "attacker_calls": "see logs"})

    def inventory(self, outdir):
        r = self.r
        inv = os.path.join(outdir, "inventory")
        os.makedirs(inv, exist_ok=True)
        funcs = []
        for f in self.fns:
            env = {k: r.choice(["acme-%s" % r.hexs(6), "/prod/%s" % r.hexs(4), "info"]) for k in f["env"]}
            c = {"FunctionName": f["name"], "FunctionArn": f["arn"], "Runtime": f["runtime"], "Role": f["role"],
                 "Handler": "bootstrap" if f["runtime"].startswith("provided") else "app.handler",
                 "CodeSize": r.randint(1000, 50000000), "Timeout": r.choice([3, 10, 30, 900]),
                 "MemorySize": r.choice([128, 256, 512, 1024]), "LastModified": "2025-05-28T14:02:11.512+0000",
                 "Version": "$LATEST", "PackageType": "Zip", "Architectures": [r.choice(["x86_64", "arm64"])]}
            if env:
                c["Environment"] = {"Variables": env}
            if f["vpc"]:
                c["VpcConfig"] = {"SubnetIds": ["subnet-0%s" % r.hexs(16)], "SecurityGroupIds": ["sg-0%s" % r.hexs(16)],
                                  "VpcId": "vpc-0%s" % r.hexs(16)}
            elif r.random() < 0.5:
                c["VpcConfig"] = {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": ""}
            funcs.append(c)
        with open(os.path.join(inv, "lambda-list-functions.json"), "w") as fh:
            json.dump({"Functions": funcs}, fh, indent=4)
        roles = []
        for arn, ro in self.roles.items():
            trust = [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
            if ro.get("target_only"):
                src = [a for a, x in self.roles.items() if x["assume"] == arn]
                trust = [{"Effect": "Allow", "Principal": {"AWS": src}, "Action": "sts:AssumeRole"}]
            stmts = [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                      "Resource": "arn:aws:s3:::acme-%s/*" % ro["name"]}]
            if ro["assume"]:
                stmts.append({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ro["assume"]})
            roles.append({"Path": ro["path"], "RoleName": ro["name"], "RoleId": ro["id"], "Arn": arn,
                          "CreateDate": "2024-03-01T00:00:00Z",
                          "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust},
                          "InstanceProfileList": [], "AttachedManagedPolicies": [],
                          "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17",
                                                                                         "Statement": stmts}}]})
        with open(os.path.join(inv, "iam-authorization-details.json"), "w") as fh:
            json.dump({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}, fh,
                      indent=1)

    def generate(self, outdir):
        self.build()
        benign_only = self.seed % 5 == 0
        self.truth["benign_only"] = benign_only
        self.truth["family"] = None if benign_only else "FN"
        self.benign()
        if not benign_only:
            self.attack()
        self.truth["variant"].update({"functions": len(self.fns), "history_h": round(self.H / HOUR, 2),
                                      "custom_runtimes": sum(1 for f in self.fns if f["runtime"].startswith("provided")),
                                      "vpc": sum(1 for f in self.fns if f["vpc"])})
        os.makedirs(outdir, exist_ok=True)
        self.o.write(outdir)
        self.inventory(outdir)
        with open(os.path.join(outdir, "truth.json"), "w") as fh:
            json.dump(self.truth, fh, indent=1, sort_keys=True)
            fh.write("\n")
        return self.truth


def main(argv):
    return case_main(FnCase, "fn", "fn_cases.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
