#!/usr/bin/env python3
"""ci_cases.py - randomized CI-job cases (issue 19), the counterpart of
cases.py for GitHub Actions jobs that take cloud sessions through OIDC.
Written from ../shared/reference/breadth.md section 2 (the organisation audit
log's records, the jobs API, CloudTrail's AssumeRoleWithWebIdentity from
token.actions.githubusercontent.com), not from the correlator.

    ci_cases.py SEED OUTDIR
    ci_cases.py -n N BASESEED OUTROOT      OUTROOT/ci-000 ...

A case: a GitHub organisation with 2-5 repositories over 2 h to 5 days.
Each repository has a deploy or test job that runs every 20 min to 3 h and
takes a session of its AWS role (per repository, or shared by two) with
AssumeRoleWithWebIdentity, or (3 in 10 repositories) deploys to GCP through
workload identity federation: its token exchanged at sts.googleapis.com
(ExchangeToken by principal://.../workloadIdentityPools/POOL/subject/SUB),
an access token of the repository's service account generated
(GenerateAccessToken) and the account's calls carrying the principal in
serviceAccountDelegationInfo; the OIDC subject is the job's environment
("repo:O/R:environment:E"), its branch ("...:ref:refs/heads/main") or
"...:pull_request".  Jobs run on
  self-hosted runners  1-4 runners behind 1-2 NAT addresses (one added in
                       the middle of the history 3 cases in 10)
  GitHub-hosted        a new address of an Azure-like pool every job
A self-hosted runner runs one job at a time: a job waits (is prepared later)
until a runner is idle.  The exchange and the job's calls come from the
runner's address.  The audit log (workflow runs, prepared jobs, runner
events, secrets) is there 9 cases in 10; the jobs API (which runner ran a
job, and its steps with their times to the second: the credentials step,
named as the action's default or its README's, spans the exchange) 2 in 3;
some repositories run a matrix (two jobs of one run with the same subject).

Look-alikes, each drawn per case: a developer assumes a CI role from the
office and uses it, or impersonates a CI service account from the office; a hosted job from an address never seen; a new runner
on a new NAT; a job's session used by the job for its whole life.

Attack (4 cases in 5; seed % 5 == 0 is benign-only): a live job's session is
used from an outside address with the attacker's client, 1-6 calls, while
the job runs (a GCP job: its account's access token; truth's credential
"token:EMAIL", reachable the account).  For a self-hosted repository with two runners, 2 in 5 attacks
start two runs of the workflow at once (one OIDC subject, two runners, 4 in
5 of them behind different NATs) and either job is the victim.  Truth: the
job is the escaped workload (id "O/R/runs/RUN/JOB", or without the audit log
"SUBJECT@EXCHANGE_SECONDS"); the stolen key must be reported; the role must
be reachable.  When other jobs of the subject took their tokens at the same
time and the logs cannot tell them apart (no jobs API, or credentials steps
spanning the same second; GitHub-hosted runners, whose addresses nothing
records; runners behind one NAT, or with no earlier job alone that ties them
to theirs; a GCP call, which names no token, while several jobs' account
tokens lived), "id_alt" names what a report
may give instead: the run they share, else "SUBJECT@EXCHANGE_SECONDS"
("join_undecidable" in the variant; the scorer counts these apart).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import ATTACKER_AWS_UA, ATTACKER_NETS, REGIONS, Rnd  # noqa: E402
from fmt import case_main, Out, ct, ct_date, dumps, iso  # noqa: E402

HOUR = 3600.0
ORGS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark-ind", "wayne-ent"]
REPOS = ["deploy-infra", "web-app", "api", "billing", "data-pipeline", "mobile-backend", "terraform-live",
         "docs-site", "search", "ml-train"]
ENVS = ["production", "staging", "prod-eu", "release"]
DEVS = ["alice", "bob", "carol", "dave", "erin"]
AZURE = [4, 13, 20, 40, 52, 104, 172]
CI_UA = ["aws-sdk-nodejs/2.1112.0 linux/v20.19.0 configure-aws-credentials-for-github-actions promise",
         "aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.5 md/arch#x86_64 lang/python#3.11.9 md/installer#exe",
         "terraform-provider-aws/5.54.1 (+https://registry.terraform.io) aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22.4"]


# the step that takes the cloud session: the action's default name ("Run
# OWNER/ACTION@REF") or a name from its README or of the workflow's own
AWS_CRED_STEPS = ["Configure AWS credentials", "Configure AWS Credentials",
                  "Run aws-actions/configure-aws-credentials@v4", "Assume the deploy role (OIDC)"]
GCP_CRED_STEPS = ["Authenticate to Google Cloud", "Run google-github-actions/auth@v2",
                  "Authenticate with Workload Identity Federation"]
MAIN_STEPS = ["Deploy", "Run make test", "Run terraform apply -auto-approve", "Build and push image",
              "Run ./scripts/deploy.sh"]
GCP_AUTH_UA = "google-github-actions:auth/2.1.2"
GCP_CI_UA = "google-cloud-sdk gcloud/471.0.0 command/gcloud.run.deploy invocation-id/0f3b environment/github_actions"
GCP_DEV_UA = "google-cloud-sdk gcloud/471.0.0 command/gcloud.run.services.describe environment/None"
ATTACKER_GCP_UA = ["curl/8.5.0", "python-requests/2.31.0", "google-cloud-sdk gcloud/460.0.0 command/gcloud.storage.ls"]
GCP_CI_CALLS = [("run.googleapis.com", "google.cloud.run.v1.Services.ReplaceService",
                 "namespaces/PROJECT/services/web", "run.services.update"),
                ("storage.googleapis.com", "storage.objects.create", "projects/_/buckets/PROJECT-artifacts/objects/b.tgz",
                 "storage.objects.create"),
                ("artifactregistry.googleapis.com", "google.devtools.artifactregistry.v1.ArtifactRegistry.GetRepository",
                 "projects/PROJECT/locations/us/repositories/images", "artifactregistry.repositories.get")]
GCP_ATTACK_CALLS = [("storage.googleapis.com", "storage.buckets.list", "projects/_/buckets", "storage.buckets.list"),
                    ("secretmanager.googleapis.com",
                     "google.cloud.secretmanager.v1.SecretManagerService.ListSecrets", "projects/PROJECT",
                     "secretmanager.secrets.list"),
                    ("iam.googleapis.com", "google.iam.admin.v1.ListServiceAccounts", "projects/PROJECT",
                     "iam.serviceAccounts.list")]


class CiCase:
    def __init__(self, seed):
        self.seed = seed
        self.r = Rnd(seed)
        self.o = Out()
        self.truth = {"seed": seed, "kind": "ci-job", "benign_only": False, "family": None, "variant": {},
                      "escaped": [], "credentials": [], "credentials_may": [],
                      "reachable": [], "reachable_may": []}
        self.jobs_api = []
        self.instances = []

    def build(self):
        r = self.r
        self.acct = "%012d" % r.randint(10 ** 11, 10 ** 12 - 1)
        self.region = r.choice(REGIONS)
        self.org = r.choice(ORGS)
        self.office = "%d.%d.%d.%d" % (r.choice([81, 82, 86, 90, 145, 176, 212]), r.randint(0, 255),
                                       r.randint(0, 255), r.randint(1, 254))
        self.nats = [r.public_ip() for _ in range(r.randint(1, 2))]
        self.runners = [{"name": "%s-%02d" % (r.choice(["build", "runner", "ci"]), i + 1),
                         "id": r.randint(2, 900), "nat": r.choice(self.nats), "from": 0.0, "busy": []}
                        for i in range(r.randint(1, 4))]
        self.H = HOUR * (2 ** r.uniform(1, 6.9))  # 2 h .. 5 days
        self.END = 1735689600 + r.randint(0, 500) * 86400 + r.uniform(0, 86400)
        self.T = self.END - r.uniform(0.1, 0.4) * HOUR  # attack time
        self.S = self.T - self.H
        if r.random() < 0.3:  # a runner added in the middle, on a new NAT
            self.runners.append({"name": "build-late", "id": r.randint(901, 999), "nat": r.public_ip(),
                                 "from": self.S + r.uniform(0.3, 0.8) * self.H, "busy": []})
            self.truth["variant"].setdefault("lookalikes", []).append("new-runner-new-nat")
        self.audit = r.random() < 0.9
        self.has_jobs_api = r.random() < 0.67
        self.repos = []
        self.roles = {}
        self.gcp_project = "%s-ci" % self.org
        self.gcp_pnum = "%012d" % r.randint(10 ** 11, 10 ** 12 - 1)
        self.gcp_pool = "projects/%s/locations/global/workloadIdentityPools/%s" % (
            self.gcp_pnum, r.choice(["github", "github-actions", "gh-pool"]))
        for nm in r.sample(REPOS, r.randint(2, 5)):
            repo = "%s/%s" % (self.org, nm)
            gcp = r.random() < 0.3  # deploys to GCP through workload identity federation
            if gcp:
                role = None
            elif self.repos and self.repos[-1]["role"] and r.random() < 0.25:
                role = self.repos[-1]["role"]
            else:
                rname = "gha-%s" % nm
                role = "arn:aws:iam::%s:role/%s" % (self.acct, rname)
                self.roles[role] = {"name": rname, "id": "AROA" + r.b32(17).upper()}
            kind = r.choice(["environment", "ref", "ref", "pull_request"])
            env = r.choice(ENVS) if kind == "environment" else None
            sub = "repo:%s:%s" % (repo, {"environment": "environment:%s" % env, "ref": "ref:refs/heads/main",
                                         "pull_request": "pull_request"}[kind])
            self.repos.append({"repo": repo, "role": role, "env": env, "sub": sub, "cloud": "gcp" if gcp else "aws",
                               "sa": "gha-%s@%s.iam.gserviceaccount.com" % (nm, self.gcp_project) if gcp else None,
                               "principal": "principal://iam.googleapis.com/%s/subject/%s" % (self.gcp_pool, sub),
                               "hosted": r.random() < 0.45, "job": r.choice(["deploy", "test", "build", "plan"]),
                               "wf": r.choice(["deploy.yml", "ci.yml", "main.yml", "terraform.yml"]),
                               "wf_id": r.randint(10 ** 7, 10 ** 8), "matrix": r.random() < 0.2,
                               "cred_step": r.choice(GCP_CRED_STEPS if gcp else AWS_CRED_STEPS),
                               "main_step": r.choice(MAIN_STEPS),
                               "gap": HOUR * r.uniform(0.33, 3), "secrets": r.sample(
                                   ["DEPLOY_KEY", "SLACK_WEBHOOK", "NPM_TOKEN", "SONAR_TOKEN", "DOCKERHUB_TOKEN"],
                                   r.randint(0, 3))})

    # ---- records ------------------------------------------------------------------
    def gh(self, t, rec):
        if not self.audit:
            return
        ms = int(t * 1000)
        base = {"@timestamp": ms, "created_at": ms, "_document_id": self.r.b62(22), "org": self.org,
                "org_id": 123000000 + self.seed}
        base.update(rec)
        self.o.add("logs/github-audit.jsonl", t, dumps(base))

    def session_ident(self, role, sess, key):
        ro = self.roles[role]
        return {"type": "AssumedRole", "principalId": "%s:%s" % (ro["id"], sess),
                "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, ro["name"], sess), "accountId": self.acct,
                "accessKeyId": key,
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": ro["id"], "arn": role,
                                                     "accountId": self.acct, "userName": ro["name"]},
                                   "attributes": {"mfaAuthenticated": "false"}}}

    def exchange(self, t, rp, ip):
        r = self.r
        key = "ASIA" + r.b32(16).upper()
        ro = self.roles[rp["role"]]
        prov = "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % self.acct
        ct(self.o, t, r.uuid(), self.acct, self.region,
           {"type": "WebIdentityUser", "principalId": "%s:sts.amazonaws.com:%s" % (prov, rp["sub"]),
            "userName": rp["sub"], "identityProvider": prov},
           "sts", "AssumeRoleWithWebIdentity", ip, CI_UA[0],
           req={"roleArn": rp["role"], "roleSessionName": "GitHubActions", "durationSeconds": 3600},
           resp={"credentials": {"accessKeyId": key, "sessionToken": "IQoJ" + r.b62(40),
                                 "expiration": ct_date(t + HOUR)},
                 "subjectFromWebIdentityToken": rp["sub"],
                 "assumedRoleUser": {"assumedRoleId": "%s:GitHubActions" % ro["id"],
                                     "arn": "arn:aws:sts::%s:assumed-role/%s/GitHubActions" % (self.acct, ro["name"])},
                 "provider": prov, "audience": "sts.amazonaws.com"})
        return key

    def gcp(self, t, auth, service, method, resource, ip, ua, perm=None, request=None):
        """One Cloud Audit Logs entry (data access) with its own authenticationInfo."""
        pp = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "status": {}, "authenticationInfo": auth,
              "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": ua,
                                  "requestAttributes": {"time": iso(t, 6), "auth": {}}, "destinationAttributes": {}},
              "serviceName": service, "methodName": method, "resourceName": resource}
        if perm:
            pp["authorizationInfo"] = [{"resource": resource, "permission": perm, "granted": True}]
        if request:
            pp["request"] = request
        rec = {"insertId": self.r.b62(12).lower(),
               "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Fdata_access" % self.gcp_project,
               "protoPayload": pp, "receiveTimestamp": iso(t + 0.7, 9),
               "resource": {"type": "audited_resource", "labels": {"project_id": self.gcp_project, "service": service,
                                                                    "method": method}},
               "severity": "INFO", "timestamp": iso(t, 6)}
        self.o.add("logs/gcp-audit.jsonl", t, dumps(rec))

    def gcp_exchange(self, t, rp, ip):
        """google-github-actions/auth: the OIDC token for a federated token,
        then an access token of the repository's service account."""
        prov = self.gcp_pool + "/providers/github"
        self.gcp(t, {"principalSubject": rp["principal"]}, "sts.googleapis.com",
                 "google.identity.sts.v1.SecurityTokenService.ExchangeToken", prov, ip, GCP_AUTH_UA,
                 request={"@type": "type.googleapis.com/google.identity.sts.v1.ExchangeTokenRequest",
                          "audience": "//iam.googleapis.com/" + prov,
                          "grantType": "urn:ietf:params:oauth:grant-type:token-exchange",
                          "requestedTokenType": "urn:ietf:params:oauth:token-type:access_token",
                          "subjectTokenType": "urn:ietf:params:oauth:token-type:jwt"})
        tg = t + self.r.uniform(0.3, 2)
        self.gcp(tg, {"principalSubject": rp["principal"]}, "iamcredentials.googleapis.com",
                 "GenerateAccessToken", "projects/-/serviceAccounts/" + rp["sa"], ip, GCP_AUTH_UA,
                 perm="iam.serviceAccounts.getAccessToken")
        return tg

    def gcp_sa_call(self, t, rp, ip, ua, delegation, call=None):
        svc, method, res, perm = call or self.r.choice(GCP_CI_CALLS)
        self.gcp(t, {"principalEmail": rp["sa"], "serviceAccountDelegationInfo": [delegation]}, svc, method,
                 res.replace("PROJECT", self.gcp_project), ip, ua, perm=perm)

    def take_runner(self, pool, tp, dur):
        """A self-hosted runner free for [tp, tp + dur] (one job at a time:
        GitHub queues a job until a runner of its labels is idle): tp, runner.
        pool: the runners allowed (None: every registered one)."""
        r = self.r
        while True:  # tp passes a busy interval's end each time: it ends
            allowed = pool or [x for x in self.runners if x["from"] <= tp]
            free = [x for x in allowed if not any(s < tp + dur and tp < e for s, e in x["busy"])]
            if free:
                x = r.choice(free)
                x["busy"].append((tp, tp + dur))
                return tp, x
            # queued: prepared once the first busy runner is done
            tp = min(e for x in allowed for s, e in x["busy"] if s < tp + dur and tp < e) + r.uniform(1, 15)

    def steps(self, rp, started, tx, end):
        """The jobs API's steps (name, status, conclusion, number, started_at,
        completed_at, to the second): the credentials step spans the
        exchange at tx."""
        r = self.r
        gap = tx - started
        s1 = started + gap * r.uniform(0.2, 0.5)
        s2 = tx - r.uniform(0.2, min(2.0, gap * 0.4))
        s3 = tx + (r.uniform(2.2, 4) if rp["cloud"] == "gcp" else r.uniform(0.3, 2.5))
        s4 = max(s3 + 1, end - r.uniform(2, 8))
        s5 = max(s4 + 0.5, end - r.uniform(0.5, 1.5))
        end = max(end, s5 + 0.5)
        mid = (s4 + s5) / 2  # both actions clean up in a post step, last in first out
        spans = [("Set up job", started, s1), ("Run actions/checkout@v4", s1, s2), (rp["cred_step"], s2, s3),
                 (rp["main_step"], s3, s4), ("Post " + rp["cred_step"], s4, mid),
                 ("Post Run actions/checkout@v4", mid, s5), ("Complete job", s5, end)]
        return [{"name": nm, "status": "completed", "conclusion": "success", "number": k + 1,
                 "started_at": iso(a, 0), "completed_at": iso(b, 0)} for k, (nm, a, b) in enumerate(spans)], \
            (int(s2), int(s3))

    def run_job(self, t, rp, on=None):
        """One run of rp's workflow: its job(s), each with a session (on: the
        self-hosted runner of its first job)."""
        r = self.r
        run = r.randint(10 ** 9, 10 ** 10)
        self.gh(t, {"action": "workflows.created_workflow_run", "actor": r.choice(DEVS), "repo": rp["repo"],
                    "workflow_id": rp["wf_id"], "workflow_run_id": run, "run_number": r.randint(1, 5000),
                    "run_attempt": 1, "name": rp["wf"].split(".")[0], "event": "push", "head_branch": "main",
                    "operation_type": "create"})
        names = [rp["job"]] if not rp["matrix"] else ["%s (%d)" % (rp["job"], v) for v in (18, 20)]
        out = []
        for i, jn in enumerate(names):
            tp = t + r.uniform(2, 20) + i * r.uniform(0.5, 3)
            dur = r.uniform(300, 2400)
            if rp["hosted"]:
                runner = {"name": "GitHub Actions %d" % r.randint(1, 999), "id": r.randint(10 ** 5, 10 ** 6),
                          "ip": "%d.%d.%d.%d" % (r.choice(AZURE), r.randint(0, 255), r.randint(0, 255),
                                                 r.randint(2, 250))}
            else:
                tp, x = self.take_runner([on] if on is not None and i == 0 else None, tp, dur)
                runner = {"name": x["name"], "id": x["id"], "ip": x["nat"]}
            rec = {"action": "workflows.prepared_workflow_job", "repo": rp["repo"], "workflow_run_id": run,
                   "job_name": jn, "runner_labels": ["ubuntu-latest"] if rp["hosted"] else ["self-hosted", "linux"],
                   "is_hosted_runner": rp["hosted"], "secrets_passed": rp["secrets"],
                   "job_workflow_ref": "%s/.github/workflows/%s@refs/heads/main" % (rp["repo"], rp["wf"]),
                   "operation_type": "create"}
            if rp["env"]:
                rec["environment_name"] = rp["env"]
            self.gh(tp, rec)
            tx = tp + r.uniform(3, 60)
            steps, cred = self.steps(rp, tp + 1, tx, tp + dur)
            if self.has_jobs_api:
                self.jobs_api.append((tp, {"id": r.randint(10 ** 10, 10 ** 11), "run_id": run,
                                           "run_url": "https://api.github.com/repos/%s/actions/runs/%d" % (rp["repo"], run),
                                           "run_attempt": 1, "status": "completed", "conclusion": "success",
                                           "started_at": iso(tp + 1, 0), "completed_at": iso(tp + dur, 0), "name": jn,
                                           "labels": rec["runner_labels"], "runner_id": runner["id"],
                                           "runner_name": runner["name"], "runner_group_id": 1,
                                           "runner_group_name": "Default", "workflow_name": rp["wf"].split(".")[0],
                                           "steps": steps}))
            if rp["cloud"] == "gcp":
                key = None
                tg = self.gcp_exchange(tx, rp, runner["ip"])
                for _ in range(r.randint(1, 5)):
                    self.gcp_sa_call(r.uniform(tx + 3, tx + min(dur, 3500)), rp, runner["ip"], GCP_CI_UA,
                                     {"principalSubject": rp["principal"]})
            else:
                key, tg = self.exchange(tx, rp, runner["ip"]), tx
                ua = r.choice(CI_UA)
                for _ in range(r.randint(1, 5)):
                    src, name = r.choice([("s3", "PutObject"), ("s3", "GetObject"), ("ecs", "UpdateService"),
                                          ("ecr", "GetAuthorizationToken"), ("sts", "GetCallerIdentity"),
                                          ("cloudformation", "DescribeStacks")])
                    ct(self.o, r.uniform(tx + 1, tx + min(dur, 3500)), r.uuid(), self.acct, self.region,
                       self.session_ident(rp["role"], "GitHubActions", key), src, name, runner["ip"], ua)
            inst = {"rp": rp, "run": run, "job": jn, "tp": tp, "tx": tx, "key": key, "end": tp + dur,
                    "prep_order": len(self.instances), "runner": runner, "cred": cred, "tg": tg}
            self.instances.append(inst)
            out.append(inst)
        return out

    # ---- the case --------------------------------------------------------------------
    def benign(self):
        r = self.r
        for x in self.runners:
            t = x["from"] or self.S - r.uniform(600, 86400)
            self.gh(t, {"action": "org.self_hosted_runner_online", "actor": "%s-runner-bot" % self.org,
                        "runner_id": x["id"], "runner_name": x["name"], "operation_type": "modify"})
        for rp in self.repos:
            t = self.S + r.uniform(0, rp["gap"])
            while t < self.END - 900:
                self.run_job(t, rp)
                t += rp["gap"] * r.uniform(0.7, 1.3)
            if rp["secrets"] and r.random() < 0.3:
                self.gh(r.uniform(self.S, self.END), {"action": "repo.update_actions_secret", "actor": r.choice(DEVS),
                                                      "repo": rp["repo"], "key": rp["secrets"][0],
                                                      "operation_type": "modify"})
        lk = self.truth["variant"].setdefault("lookalikes", [])
        if any(rp["hosted"] for rp in self.repos):
            lk.append("hosted-runner-new-address-each-job")
        # a developer assumes a CI role from the office and uses it
        if r.random() < 0.6 and any(x["cloud"] == "gcp" for x in self.repos) and r.random() < 0.5:
            # a developer impersonates a CI service account from the office
            rp = r.choice([x for x in self.repos if x["cloud"] == "gcp"])
            dev = r.choice(DEVS)
            t = r.uniform(self.S + 0.2 * self.H, self.END)
            for j in range(r.randint(1, 5)):
                self.gcp_sa_call(t + 40 * j, rp, self.office, GCP_DEV_UA,
                                 {"firstPartyPrincipal": {"principalEmail": "%s@%s.example" % (dev, self.org)}})
            lk.append("developer-impersonates-ci-account")
        elif r.random() < 0.6 and any(x["cloud"] == "aws" for x in self.repos):
            rp = r.choice([x for x in self.repos if x["cloud"] == "aws"])
            dev = r.choice(DEVS)
            t = r.uniform(self.S + 0.2 * self.H, self.END)
            key = "ASIA" + r.b32(16).upper()
            ro = self.roles[rp["role"]]
            ui = {"type": "IAMUser", "principalId": "AIDA" + r.b32(16).upper(),
                  "arn": "arn:aws:iam::%s:user/%s" % (self.acct, dev), "accountId": self.acct,
                  "accessKeyId": "AKIA" + r.b32(16).upper(), "userName": dev}
            ct(self.o, t, r.uuid(), self.acct, self.region, ui, "sts", "AssumeRole", self.office,
               ATTACKER_AWS_UA[0], req={"roleArn": rp["role"], "roleSessionName": dev},
               resp={"credentials": {"accessKeyId": key, "sessionToken": "IQoJ" + r.b62(40),
                                     "expiration": ct_date(t + HOUR)},
                     "assumedRoleUser": {"assumedRoleId": "%s:%s" % (ro["id"], dev),
                                         "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (self.acct, ro["name"], dev)}})
            for j in range(r.randint(1, 5)):
                ct(self.o, t + 30 + 40 * j, r.uuid(), self.acct, self.region, self.session_ident(rp["role"], dev, key),
                   r.choice(["s3", "sts", "ecs"]), r.choice(["ListBuckets", "GetCallerIdentity", "DescribeServices"]),
                   self.office, ATTACKER_AWS_UA[0])
            lk.append("developer-assumes-ci-role")

    def attack(self):
        r = self.r
        rp = r.choice(self.repos)
        t0 = self.T - r.uniform(60, 600)
        own = [x for x in self.runners if x["from"] <= t0]
        if not rp["hosted"] and len(own) >= 2 and r.random() < 0.4:
            # two runs of the workflow at once (a second push, a re-run): one
            # subject, two self-hosted runners; either may be the victim
            a, b = r.sample(own, 2)
            apart = [y for y in own if y["nat"] != a["nat"]]
            if apart and r.random() < 0.8:  # mostly behind other NATs: the address can decide
                b = r.choice(apart)
            insts = self.run_job(t0, rp, a) + self.run_job(t0 + r.uniform(5, 40), rp, b)
            inst = r.choice(insts)
            self.truth["variant"]["shared_subject_runs"] = True
        else:
            inst = self.run_job(t0, rp)[0]
        src = r.choice(ATTACKER_NETS) + str(r.randint(2, 250))
        ua = r.choice(ATTACKER_AWS_UA)
        t = max(self.T, inst["tx"] + 60)
        first = None
        if rp["cloud"] == "gcp":
            # the account's access token the job generated, used from outside
            for j in range(r.randint(1, 6)):
                tc = t + 35 * j + r.uniform(0, 20)
                first = tc if first is None else first
                self.gcp_sa_call(tc, rp, src, r.choice(ATTACKER_GCP_UA),
                                 {"principalSubject": rp["principal"]}, r.choice(GCP_ATTACK_CALLS))
        for j in range(r.randint(1, 6) if rp["cloud"] == "aws" else 0):
            name = r.choice([("sts", "GetCallerIdentity"), ("s3", "ListBuckets"), ("secretsmanager", "ListSecrets"),
                             ("secretsmanager", "GetSecretValue"), ("iam", "ListRoles"),
                             ("ssm", "GetParametersByPath")])
            ct(self.o, t + 35 * j + r.uniform(0, 20), r.uuid(), self.acct, self.region,
               self.session_ident(rp["role"], "GitHubActions", inst["key"]), name[0], name[1], src, ua)
        if self.audit:
            wid = "%s/runs/%d/%s" % (rp["repo"], inst["run"], inst["job"])
        else:
            wid = "%s@%d" % (rp["sub"], int(inst["tx"]))
        esc = {"kind": "ci-job", "id": wid, "container_id": "", "pod": ""}
        alt = self.undecided(inst, first or t)
        if alt:
            esc["id_alt"] = alt
            self.truth["variant"]["join_undecidable"] = True
        self.truth["escaped"].append(esc)
        if rp["cloud"] == "gcp":
            self.truth["credentials"].append({"provider": "gcp", "id": "token:" + rp["sa"], "identity": rp["sa"]})
            self.truth["reachable"] = [{"provider": "gcp", "identity": rp["sa"]}]
        else:
            self.truth["credentials"].append({"provider": "aws", "id": inst["key"], "identity": rp["role"]})
            self.truth["reachable"] = [{"provider": "aws", "identity": rp["role"]}]
        self.truth["variant"].update({"victim_hosted": rp["hosted"], "victim_matrix": rp["matrix"],
                                      "victim_cloud": rp["cloud"],
                                      "victim_subject": rp["sub"].split(":", 2)[2]})

    def known_at_nat(self, job, before):
        """Whether the logs tie job's self-hosted runner to its NAT: an earlier
        job on it exchanged while no other job of its repository ran."""
        x = job["runner"]
        for i in self.instances:
            if i["tx"] >= before or i["runner"]["name"] != x["name"] or i["rp"]["hosted"]:
                continue
            if not any(j is not i and j["rp"]["repo"] == i["rp"]["repo"] and j["tp"] + 1 <= i["tx"] <= j["end"]
                       for j in self.instances):
                return True
        return False

    def undecided(self, v, t_use):
        """The id a report may give instead of v's when the evidence cannot
        tell v from the other jobs of its subject running when it took its
        token (CloudTrail has no run id; the runners' addresses are all there
        is): the run they share, or the subject and exchange time.  None when
        v had no such sibling, or the runners' known addresses decide.  A GCP
        call (t_use, the first) names no exchange at all: every job of the
        subject whose account token (1 h) was bought by then and still lived
        is as likely."""
        sub = v["rp"]["sub"]
        if v["rp"]["cloud"] == "gcp":
            sib = [j for j in self.instances if j is not v and j["rp"]["sub"] == sub and
                   t_use - 3600 <= j["tx"] and j["tg"] <= t_use]
            if not sib:
                return None
            if self.audit and all(j["run"] == v["run"] for j in sib):
                return "%s/runs/%d" % (v["rp"]["repo"], v["run"])
            return "%s@%d" % (sub, int(max(j["tx"] for j in sib + [v])))
        began = min(j["tp"] for j in self.instances if j["run"] == v["run"])
        # its subject's other jobs prepared before v's exchange that took
        # their token after v's run began (one token a job), running then
        # by the jobs API where it is there
        # (the jobs API's steps: a job whose credentials step, to the second
        # and a second either side, did not span v's exchange did not make it)
        sib = [j for j in self.instances if j is not v and j["rp"]["sub"] == sub and j["tp"] <= v["tx"] and
               j["tx"] >= began and (not self.has_jobs_api or (j["tp"] + 1 <= v["tx"] <= j["end"] and
                                                             j["cred"][0] - 1 <= v["tx"] <= j["cred"][1] + 2))]
        if not sib:
            return None
        first = min([v["tp"]] + [j["tp"] for j in sib])
        if self.audit and self.has_jobs_api:
            def known(j):
                return not j["rp"]["hosted"] and self.known_at_nat(j, first)
            if known(v) and all(j["rp"]["hosted"] or (known(j) and j["runner"]["ip"] != v["runner"]["ip"])
                                for j in sib):
                return None
            if all(known(j) and j["runner"]["ip"] != v["runner"]["ip"] for j in sib):
                return None
        if not self.audit:
            return None  # named by subject and exchange time already
        if all(j["run"] == v["run"] for j in sib):
            return "%s/runs/%d" % (v["rp"]["repo"], v["run"])
        return "%s@%d" % (sub, int(v["tx"]))

    def inventory(self, outdir):
        inv = os.path.join(outdir, "inventory")
        os.makedirs(inv, exist_ok=True)
        prov = "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % self.acct
        roles = []
        for arn, ro in self.roles.items():
            subs = sorted({rp["sub"] for rp in self.repos if rp["role"] == arn})
            trust = [{"Effect": "Allow", "Principal": {"Federated": prov}, "Action": "sts:AssumeRoleWithWebIdentity",
                      "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                    "StringLike": {"token.actions.githubusercontent.com:sub": subs}}},
                     {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % self.acct},
                      "Action": "sts:AssumeRole"}]
            roles.append({"Path": "/", "RoleName": ro["name"], "RoleId": ro["id"], "Arn": arn,
                          "CreateDate": "2024-03-01T00:00:00Z",
                          "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust},
                          "InstanceProfileList": [], "AttachedManagedPolicies": [],
                          "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": {
                              "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"],
                                                                      "Resource": "arn:aws:s3:::%s-artifacts/*" % ro["name"]}]}}]})
        if not roles:
            return  # every repository deploys to GCP: no IAM document to export
        with open(os.path.join(inv, "iam-authorization-details.json"), "w") as fh:
            json.dump({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}, fh,
                      indent=1)

    def generate(self, outdir):
        self.build()
        benign_only = self.seed % 5 == 0
        self.truth["benign_only"] = benign_only
        self.truth["family"] = None if benign_only else "CI"
        self.benign()
        if not benign_only:
            self.attack()
        self.truth["variant"].update({"repos": len(self.repos), "history_h": round(self.H / HOUR, 2),
                                      "hosted": sum(1 for rp in self.repos if rp["hosted"]),
                                      "runners": len(self.runners), "audit_log": self.audit,
                                      "jobs_api": self.has_jobs_api})
        os.makedirs(outdir, exist_ok=True)
        self.o.write(outdir)
        if self.jobs_api:
            self.jobs_api.sort(key=lambda x: x[0])
            with open(os.path.join(outdir, "logs", "github-jobs.json"), "w") as fh:
                json.dump({"total_count": len(self.jobs_api), "jobs": [j for _, j in self.jobs_api]}, fh, indent=1)
        self.inventory(outdir)
        with open(os.path.join(outdir, "truth.json"), "w") as fh:
            json.dump(self.truth, fh, indent=1, sort_keys=True)
            fh.write("\n")
        return self.truth


def main(argv):
    return case_main(CiCase, "ci", "ci_cases.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
