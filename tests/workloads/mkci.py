#!/usr/bin/env python3
"""mkci.py OUTDIR - the hand-built CI-job case (fixture ids of
../shared/reference/breadth.md section 0): GitHub Actions jobs that take AWS
role sessions through OIDC, a day of history, their look-alikes, and one
job's session used from outside.  Deterministic; the committed files under
ci/ are its output.

  deploy     acme/deploy-infra, job "deploy" in environment production on the
             self-hosted runner build-07 (egress NAT 52.1.2.3), role gha-deploy
  web ci     acme/web-app, job "test" on GitHub-hosted runners (a new Azure
             address every job, the exchange and the calls from it), role
             gha-web-ci, subject repo:acme/web-app:ref:refs/heads/main
  api        acme/api, job "publish" on build-08 behind the same NAT (role
             gha-api), once a day, and once while the attacked job runs: the
             runners' NAT is not the attacker's, that session is not the
             incident's
  auditd     build-07's audit log: Runner.Listener reads the runner's
             .credentials at each job's start (its own); during the attacked
             job a step's python3 reads .credentials_rsaparams (CI-02)
  look-alikes  a developer (alice) assumes gha-deploy from the office and uses
             it with the CLI; a hosted job from an address never seen before
  attack     run 9876543210's session ASIAEXAMPLEGHAJOB001 used from the runner,
             then, a minute later, from 203.0.113.66 with the AWS CLI while the
             job still runs
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

ACCT = "111122223333"
REGION = "us-east-1"
ORG = "acme"
T0 = datetime(2025, 6, 2, 8, 0, 0, tzinfo=timezone.utc)
PROVIDER = "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % ACCT
ROLES = {"gha-deploy": "AROAEXAMPLEGHADEPLOY1", "gha-web-ci": "AROAEXAMPLEGHAWEBCI01",
         "gha-api": "AROAEXAMPLEGHAAPI0001"}
recs, audit, jobs, auditd = [], [], [], []
n = [0]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(t):
    return int(t.timestamp() * 1000)


def eid():
    n[0] += 1
    return "7a2c%04x-1b2c-4d3e-8f40-%012x" % (n[0], n[0])


def doc():
    n[0] += 1
    return "gh-%016x" % n[0]


def web_identity(t, role, sub, key, ip):
    recs.append({"eventVersion": "1.08",
                 "userIdentity": {"type": "WebIdentityUser",
                                  "principalId": "%s:sts.amazonaws.com:%s" % (PROVIDER, sub),
                                  "userName": sub, "identityProvider": PROVIDER},
                 "eventTime": ts(t), "eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithWebIdentity",
                 "awsRegion": REGION, "sourceIPAddress": ip,
                 "userAgent": "aws-sdk-nodejs/2.1112.0 linux/v20.19.0 configure-aws-credentials-for-github-actions promise",
                 "requestParameters": {"roleArn": "arn:aws:iam::%s:role/%s" % (ACCT, role),
                                       "roleSessionName": "GitHubActions", "durationSeconds": 3600},
                 "responseElements": {"credentials": {"accessKeyId": key, "sessionToken": "",
                                                      "expiration": (t + timedelta(hours=1)).strftime("%b %-d, %Y, %-I:%M:%S %p")},
                                      "subjectFromWebIdentityToken": sub,
                                      "assumedRoleUser": {"assumedRoleId": "%s:GitHubActions" % ROLES[role],
                                                          "arn": "arn:aws:sts::%s:assumed-role/%s/GitHubActions" % (ACCT, role)},
                                      "provider": PROVIDER, "audience": "sts.amazonaws.com"},
                 "additionalEventData": {"identityProviderConnectionVerificationMethod": "IAMTrustStore"},
                 "eventID": eid(), "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True,
                 "recipientAccountId": ACCT})


def call(t, role, sess, key, ip, src, name, ua, params=None):
    recs.append({"eventVersion": "1.08",
                 "userIdentity": {"type": "AssumedRole", "principalId": "%s:%s" % (ROLES[role], sess),
                                  "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCT, role, sess),
                                  "accountId": ACCT, "accessKeyId": key,
                                  "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": ROLES[role],
                                                                       "arn": "arn:aws:iam::%s:role/%s" % (ACCT, role),
                                                                       "accountId": ACCT, "userName": role},
                                                     "attributes": {"creationDate": ts(t), "mfaAuthenticated": "false"}}},
                 "eventTime": ts(t), "eventSource": src + ".amazonaws.com", "eventName": name, "awsRegion": REGION,
                 "sourceIPAddress": ip, "userAgent": ua, "requestParameters": params or {},
                 "responseElements": None, "eventID": eid(), "readOnly": True, "eventType": "AwsApiCall",
                 "managementEvent": True, "recipientAccountId": ACCT})


def job(t, repo, run, wf_id, wf_file, name, env, labels, hosted, runner, runner_id, secrets):
    base = {"org": ORG, "org_id": 123123995, "repo": repo, "operation_type": "create"}
    audit.append(dict(base, **{"@timestamp": ms(t), "created_at": ms(t), "_document_id": doc(),
                               "action": "workflows.created_workflow_run", "actor": "dev-ana",
                               "workflow_id": wf_id, "workflow_run_id": run, "run_number": run % 1000,
                               "run_attempt": 1, "name": wf_file.split(".")[0], "event": "push",
                               "head_branch": "main"}))
    t2 = t + timedelta(seconds=10)
    j = {"@timestamp": ms(t2), "created_at": ms(t2), "_document_id": doc(), "action": "workflows.prepared_workflow_job",
         "workflow_run_id": run, "job_name": name, "runner_labels": labels, "is_hosted_runner": hosted,
         "secrets_passed": secrets, "job_workflow_ref": "%s/.github/workflows/%s@refs/heads/main" % (repo, wf_file)}
    if env:
        j["environment_name"] = env
    audit.append(dict(base, **j))
    jobs.append({"id": 27000000000 + run % 1000000, "run_id": run,
                 "run_url": "https://api.github.com/repos/%s/actions/runs/%d" % (repo, run), "run_attempt": 1,
                 "head_branch": "main", "status": "completed", "conclusion": "success",
                 "started_at": ts(t2 + timedelta(seconds=2)), "completed_at": ts(t2 + timedelta(minutes=14)),
                 "name": name, "labels": labels, "runner_id": runner_id, "runner_name": runner,
                 "runner_group_id": 1, "runner_group_name": "Default", "workflow_name": wf_file.split(".")[0]})
    return t2


CLI = "aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.5 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe"
ACTION_UA = "aws-sdk-nodejs/2.1112.0 linux/v20.19.0 configure-aws-credentials-for-github-actions promise"
NAT = "52.1.2.3"


def deploy(t, run, key, attack=False):
    sub = "repo:acme/deploy-infra:environment:production"
    t2 = job(t, "acme/deploy-infra", run, 71234567, "deploy.yml", "deploy", "production",
             ["self-hosted", "linux", "prod"], False, "build-07", 42, ["DEPLOY_KEY", "SLACK_WEBHOOK"])
    tx = t2 + timedelta(seconds=4)
    audit_open(t2 + timedelta(seconds=1), 2201, 1, "Runner.Listener", RUNNER_DIR + "/bin/Runner.Listener",
               RUNNER_DIR + "/.credentials")
    web_identity(tx, "gha-deploy", sub, key, NAT)
    call(tx + timedelta(seconds=3), "gha-deploy", "GitHubActions", key, NAT, "sts", "GetCallerIdentity", CLI)
    call(tx + timedelta(seconds=40), "gha-deploy", "GitHubActions", key, NAT, "ecs", "UpdateService", CLI,
         {"cluster": "prod", "service": "api"})
    call(tx + timedelta(seconds=90), "gha-deploy", "GitHubActions", key, NAT, "s3", "PutObject", CLI,
         {"bucketName": "acme-deploy-artifacts", "key": "api/%d.tgz" % run})
    if attack:
        audit_open(tx + timedelta(seconds=6), 31337, 31300, "python3", "/usr/bin/python3",
                   RUNNER_DIR + "/.credentials_rsaparams")
        for i, (src, name, p) in enumerate((("sts", "GetCallerIdentity", {}),
                                            ("secretsmanager", "GetSecretValue", {"secretId": "prod/db"}),
                                            ("iam", "ListRoles", {}))):
            call(tx + timedelta(minutes=1, seconds=10 * i), "gha-deploy", "GitHubActions", key, "203.0.113.66",
                 src, name, CLI, p)


def web_ci(t, run, key, ip):
    sub = "repo:acme/web-app:ref:refs/heads/main"
    t2 = job(t, "acme/web-app", run, 71299999, "ci.yml", "test", None, ["ubuntu-latest"], True,
             "GitHub Actions %d" % (run % 100), 90000 + run % 100, ["NPM_TOKEN"])
    tx = t2 + timedelta(seconds=30)
    web_identity(tx, "gha-web-ci", sub, key, ip)
    call(tx + timedelta(seconds=5), "gha-web-ci", "GitHubActions", key, ip, "s3", "GetObject", ACTION_UA,
         {"bucketName": "acme-test-fixtures", "key": "fixtures.tgz"})
    call(tx + timedelta(seconds=60), "gha-web-ci", "GitHubActions", key, ip, "ecr", "GetAuthorizationToken", ACTION_UA)


def audit_open(t, pid, ppid, comm, exe, path, uid=1001):
    """One openat of path on build-07, as auditd writes it (SYSCALL..EOE)."""
    n[0] += 1
    stamp = "audit(%d.000:%d)" % (int(t.timestamp()), 70000 + n[0])
    title = exe.encode().hex().upper()
    auditd.append((t, [
        "node=build-07 type=SYSCALL msg=%s: arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd1000 "
        "a2=0 a3=0 items=1 ppid=%d pid=%d auid=4294967295 uid=%d gid=%d euid=%d suid=%d fsuid=%d egid=%d sgid=%d "
        "fsgid=%d tty=(none) ses=4294967295 comm=\"%s\" exe=\"%s\" key=\"runner\""
        % (stamp, ppid, pid, uid, uid, uid, uid, uid, uid, uid, uid, comm, exe),
        "node=build-07 type=CWD msg=%s: cwd=\"/home/runner/actions-runner/_work\"" % stamp,
        "node=build-07 type=PATH msg=%s: item=0 name=\"%s\" inode=%d dev=103:01 mode=0100600 ouid=%d ogid=%d "
        "rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"
        % (stamp, path, 5000 + n[0] % 97, uid, uid),
        "node=build-07 type=PROCTITLE msg=%s: proctitle=%s" % (stamp, title),
        "node=build-07 type=EOE msg=%s: " % stamp]))


RUNNER_DIR = "/home/runner/actions-runner"


def api(t, run, key):
    sub = "repo:acme/api:ref:refs/heads/main"
    t2 = job(t, "acme/api", run, 71255555, "publish.yml", "publish", None, ["self-hosted", "linux"], False,
             "build-08", 43, [])
    tx = t2 + timedelta(seconds=5)
    web_identity(tx, "gha-api", sub, key, NAT)
    call(tx + timedelta(minutes=4), "gha-api", "GitHubActions", key, NAT, "s3", "PutObject", CLI,
         {"bucketName": "acme-api-releases", "key": "api-%d.tgz" % run})


def main(out):
    audit.append({"@timestamp": ms(T0 - timedelta(days=3)), "created_at": ms(T0 - timedelta(days=3)),
                  "_document_id": doc(), "action": "org.register_self_hosted_runner", "actor": "ops-bo", "org": ORG,
                  "org_id": 123123995, "runner_name": "build-07", "operation_type": "create"})
    audit.append({"@timestamp": ms(T0), "created_at": ms(T0), "_document_id": doc(),
                  "action": "org.self_hosted_runner_online", "actor": "acme-runner-bot", "org": ORG,
                  "org_id": 123123995, "runner_id": 42, "runner_name": "build-07", "operation_type": "modify"})
    # a day of deploys (every 3 h) and web CI on hosted runners (every 2 h,
    # each from a new Azure address)
    k = 0
    for h in range(0, 24, 3):
        k += 1
        deploy(T0 + timedelta(hours=h, minutes=5), 9876543100 + k, "ASIAEXAMPLEGHADEP%03d" % k)
    for h in range(0, 25, 2):
        k += 1
        web_ci(T0 + timedelta(hours=h, minutes=20), 9876544100 + k, "ASIAEXAMPLEGHAWEB%03d" % k,
               "20.%d.%d.%d" % (40 + h, 10 + h * 3, 7 + h))
    # look-alike: alice assumes the deploy role from the office and uses it
    ta = T0 + timedelta(hours=20)
    recs.append({"eventVersion": "1.08",
                 "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE0001",
                                  "arn": "arn:aws:iam::%s:user/alice" % ACCT, "accountId": ACCT,
                                  "accessKeyId": "AKIAEXAMPLEALICE0001", "userName": "alice"},
                 "eventTime": ts(ta), "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
                 "awsRegion": REGION, "sourceIPAddress": "198.51.100.23", "userAgent": CLI,
                 "requestParameters": {"roleArn": "arn:aws:iam::%s:role/gha-deploy" % ACCT, "roleSessionName": "alice"},
                 "responseElements": {"credentials": {"accessKeyId": "ASIAEXAMPLEALICE0001", "sessionToken": "",
                                                      "expiration": "Jun 2, 2025, 5:00:00 PM"},
                                      "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEGHADEPLOY1:alice",
                                                          "arn": "arn:aws:sts::%s:assumed-role/gha-deploy/alice" % ACCT}},
                 "eventID": eid(), "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT})
    call(ta + timedelta(minutes=1), "gha-deploy", "alice", "ASIAEXAMPLEALICE0001", "198.51.100.23", "ecs",
         "DescribeServices", CLI, {"cluster": "prod"})
    api(T0 + timedelta(hours=10, minutes=40), 9876545001, "ASIAEXAMPLEGHAAPI001")
    # the attack: the next day's deploy, run 9876543210
    deploy(datetime(2025, 6, 3, 9, 50, 0, tzinfo=timezone.utc), 9876543210, "ASIAEXAMPLEGHAJOB001", attack=True)
    # the api job on the same runner while it runs
    api(datetime(2025, 6, 3, 9, 50, 30, tzinfo=timezone.utc), 9876545002, "ASIAEXAMPLEGHAAPI002")
    # look-alike: a hosted job after it, from an address never seen before
    k += 1
    web_ci(datetime(2025, 6, 3, 10, 20, 0, tzinfo=timezone.utc), 9876544999, "ASIAEXAMPLEGHAWEB%03d" % k,
           "40.112.9.14")
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    recs.sort(key=lambda r: r["eventTime"])
    with open(os.path.join(out, "logs", "cloudtrail.json"), "w") as f:
        json.dump({"Records": recs}, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "logs", "github-audit.jsonl"), "w") as f:
        for a in sorted(audit, key=lambda a: a["created_at"]):
            f.write(json.dumps(a) + "\n")
    with open(os.path.join(out, "logs", "auditd-build-07.log"), "w") as f:
        for _, lines in sorted(auditd, key=lambda x: x[0]):
            f.write("".join(x + "\n" for x in lines))
    with open(os.path.join(out, "logs", "github-jobs.json"), "w") as f:
        json.dump({"total_count": len(jobs), "jobs": jobs}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
