#!/usr/bin/env python3
"""mkfunction.py OUTDIR - the hand-built serverless-function case (fixture ids
of ../shared/reference/breadth.md section 0): two Lambda functions with a day
of history, their look-alikes, and one execution-role session used from
outside.  Deterministic; the committed files under function/ are its output.

  invoice-render  VPC function, calls from its NAT 52.1.2.3 and through a VPC
                  endpoint; Lambda's own KMS calls from lambda.amazonaws.com
  thumbnailer     no VPC: calls from ever-changing AWS addresses
  look-alikes     a developer (alice) assumes invoice-render-role from the
                  office and uses it with the CLI; thumbnailer's session seen
                  from a new AWS address
  attack          invoice-render's live session ASIAEXAMPLELAMBDA001 used
                  from 203.0.113.66 with the AWS CLI, a minute after the
                  function's first call with it (a cold start); the next
                  session after it, from its NAT, is not the attacker's
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

ACCT = "111122223333"
REGION = "us-east-1"
FN = {
    "invoice-render": {"role": "arn:aws:iam::%s:role/service-role/invoice-render-role" % ACCT,
                       "role_id": "AROAEXAMPLEINVOICE012", "rt": "python3.12"},
    "thumbnailer": {"role": "arn:aws:iam::%s:role/thumbnailer-exec" % ACCT,
                    "role_id": "AROAEXAMPLETHUMB0001", "rt": "nodejs20.x"},
}
T0 = datetime(2025, 6, 2, 8, 0, 0, tzinfo=timezone.utc)
recs = []
n = [0]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def eid():
    n[0] += 1
    return "6f1c%04x-1b2c-4d3e-8f40-%012x" % (n[0], n[0])


def role_name(arn):
    return arn.rsplit("/", 1)[1]


def assume_by_lambda(t, fn, key):
    f = FN[fn]
    recs.append({"eventVersion": "1.08", "userIdentity": {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
                 "eventTime": ts(t), "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
                 "awsRegion": REGION, "sourceIPAddress": "lambda.amazonaws.com", "userAgent": "lambda.amazonaws.com",
                 "requestParameters": {"roleArn": f["role"], "roleSessionName": fn},
                 "responseElements": {"credentials": {"accessKeyId": key, "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                                                      "expiration": (t + timedelta(hours=12)).strftime("%b %-d, %Y, %-I:%M:%S %p")},
                                      "assumedRoleUser": {"assumedRoleId": "%s:%s" % (f["role_id"], fn),
                                                          "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCT, role_name(f["role"]), fn)}},
                 "eventID": eid(), "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT})


def call(t, fn, key, action, src, ua=None, endpoint=None, invoked=False, session=None, issuer=None):
    f = FN.get(fn)
    role = issuer or f["role"]
    sess = session or fn
    svc, name = action.split(":")
    ui = {"type": "AssumedRole", "principalId": "%s:%s" % ((f or {}).get("role_id", "AROAEXAMPLE"), sess),
          "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCT, role_name(role), sess), "accountId": ACCT,
          "accessKeyId": key,
          "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role, "accountId": ACCT, "userName": role_name(role)},
                             "attributes": {"creationDate": ts(t - timedelta(minutes=5)), "mfaAuthenticated": "false"}}}
    if invoked:
        ui["invokedBy"] = "lambda.amazonaws.com"
    r = {"eventVersion": "1.09", "userIdentity": ui, "eventTime": ts(t), "eventSource": svc + ".amazonaws.com",
         "eventName": name, "awsRegion": REGION, "sourceIPAddress": "lambda.amazonaws.com" if invoked else src,
         "userAgent": "lambda.amazonaws.com" if invoked else ua, "requestParameters": None, "responseElements": None,
         "eventID": eid(), "eventType": "AwsApiCall", "managementEvent": svc != "s3", "recipientAccountId": ACCT}
    if endpoint:
        r["vpcEndpointId"] = endpoint
    recs.append(r)


def lambda_ua(fn):
    rt = FN[fn]["rt"]
    if rt.startswith("python"):
        return "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.215 md/arch#x86_64 lang/python#3.12.3 exec-env/AWS_Lambda_%s cfg/retry-mode#legacy Botocore/1.34.84" % rt
    return "aws-sdk-js/3.577.0 ua/2.0 os/linux#5.10.215 lang/js md/nodejs#20.13.1 exec-env/AWS_Lambda_%s api/s3#3.577.0" % rt


def main(out):
    keys = {"invoice-render": 0, "thumbnailer": 0}
    aws_pool = ["3.80.14.%d", "54.86.201.%d", "34.229.77.%d", "18.206.5.%d", "44.202.9.%d", "3.91.120.%d"]
    t = T0
    k = 0
    # a day of history: an execution environment every 2 h per function
    while t < T0 + timedelta(hours=26):
        for fn in FN:
            keys[fn] += 1
            key = "ASIAEXAMPLE%s%04d" % ("INV" if fn == "invoice-render" else "THB", keys[fn])
            assume_by_lambda(t + timedelta(seconds=2), fn, key)
            call(t + timedelta(seconds=3), fn, key, "kms:Decrypt", None, invoked=True)
            for j in range(6):
                at = t + timedelta(minutes=5 + 17 * j)
                if fn == "invoice-render":
                    if j % 3 == 2:
                        call(at, fn, key, "secretsmanager:GetSecretValue", "10.0.7.%d" % (20 + j), lambda_ua(fn),
                             endpoint="vpce-0c1d2e3f4a5b6c7d8")
                    else:
                        call(at, fn, key, "s3:PutObject", "52.1.2.3", lambda_ua(fn))
                else:
                    call(at, fn, key, "s3:GetObject", aws_pool[(k + j) % len(aws_pool)] % (10 + (k * 7 + j) % 200),
                         lambda_ua(fn))
            k += 1
        t += timedelta(hours=2)
    # look-alike: a developer assumes the function's role from the office
    dev_t = T0 + timedelta(hours=25, minutes=10)
    recs.append({"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE0001",
                                                          "arn": "arn:aws:iam::%s:user/alice" % ACCT, "accountId": ACCT,
                                                          "accessKeyId": "AKIAEXAMPLEALICE0001", "userName": "alice"},
                 "eventTime": ts(dev_t), "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "awsRegion": REGION,
                 "sourceIPAddress": "198.51.100.20", "userAgent": "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24",
                 "requestParameters": {"roleArn": FN["invoice-render"]["role"], "roleSessionName": "alice"},
                 "responseElements": {"credentials": {"accessKeyId": "ASIAEXAMPLEALICEDEV1", "sessionToken": "IQoJEXAMPLE",
                                                      "expiration": "Jun 3, 2025, 10:10:00 AM"},
                                      "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEINVOICE012:alice",
                                                          "arn": "arn:aws:sts::%s:assumed-role/invoice-render-role/alice" % ACCT}},
                 "eventID": eid(), "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT})
    for j, act in enumerate(["sts:GetCallerIdentity", "s3:ListBuckets", "s3:GetObject"]):
        call(dev_t + timedelta(minutes=1 + j), "invoice-render", "ASIAEXAMPLEALICEDEV1", act, "198.51.100.20",
             "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24", session="alice")
    # look-alike: thumbnailer's current session from a new AWS address
    call(T0 + timedelta(hours=25, minutes=40), "thumbnailer", "ASIAEXAMPLETHB%04d" % keys["thumbnailer"],
         "s3:GetObject", "52.23.160.44", lambda_ua("thumbnailer"))
    # the attack: invoice-render's live session from outside, a minute after
    # the function's own last call with it (from its NAT)
    at = T0 + timedelta(hours=26, minutes=7)
    assume_by_lambda(at - timedelta(seconds=100), "invoice-render", "ASIAEXAMPLELAMBDA001")
    call(at - timedelta(seconds=50), "invoice-render", "ASIAEXAMPLELAMBDA001", "s3:PutObject", "52.1.2.3",
         lambda_ua("invoice-render"))
    # the function's next environment, after the attack: its own, from its NAT
    assume_by_lambda(at + timedelta(minutes=3), "invoice-render", "ASIAEXAMPLEINVNEXT01")
    for j in range(2):
        call(at + timedelta(minutes=4 + j), "invoice-render", "ASIAEXAMPLEINVNEXT01", "s3:PutObject", "52.1.2.3",
             lambda_ua("invoice-render"))
    for j, act in enumerate(["sts:GetCallerIdentity", "s3:ListBuckets", "secretsmanager:ListSecrets",
                             "secretsmanager:GetSecretValue"]):
        call(at + timedelta(seconds=40 * j), "invoice-render", "ASIAEXAMPLELAMBDA001", act, "203.0.113.66",
             "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.kali.2024 prompt/off command/%s" % act.split(":")[1])
    recs.sort(key=lambda r: r["eventTime"])
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    with open(os.path.join(out, "logs", "cloudtrail.json"), "w") as f:
        json.dump({"Records": recs}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
