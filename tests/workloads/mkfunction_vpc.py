#!/usr/bin/env python3
"""mkfunction_vpc.py OUTDIR [benign] - a custom-runtime Lambda function in a
VPC whose stolen session is used from outside (rule FN-05), written to
OUTDIR/inventory and OUTDIR/logs.  Deterministic.

  pdf-worker   provided.al2023 in vpc-0feedface0001: no SDK mark on its
               calls; through the VPC endpoint from the first minutes, its
               NAT 52.1.2.3 first used an hour in (after the warm-up: the
               VPC's first public network is learned whenever it comes)
  mailer       python3.12 in the same VPC: marked calls from the NAT,
               after pdf-worker first used it
  thumbs       provided.al2023 outside any VPC: each session from a new
               AWS address (never judged by FN-05: Lambda's pool)
  attack       pdf-worker's live session, used only through the endpoint
               by the function (so no second network of its own for
               FN-02), used from 203.0.113.66 with the AWS CLI
With "benign" the attack is left out.
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

ACCT = "111122223333"
REGION = "us-east-1"
VPC = "vpc-0feedface0001"
VPCE = "vpce-0aa11bb22cc33dd44"
NAT = "52.1.2.3"
FN = {
    "pdf-worker": ("provided.al2023", "arn:aws:iam::%s:role/pdf-worker-exec" % ACCT, "AROAEXAMPLEPDFWORK001", VPC),
    "mailer": ("python3.12", "arn:aws:iam::%s:role/mailer-exec" % ACCT, "AROAEXAMPLEMAILER0001", VPC),
    "thumbs": ("provided.al2", "arn:aws:iam::%s:role/thumbs-exec" % ACCT, "AROAEXAMPLETHUMBS0001", None),
}
GO_UA = "aws-sdk-go-v2/1.30.2 ua/2.0 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#amd64 api/sqs#1.34.3"
PY_UA = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 " \
        "md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.84"
CLI_UA = "aws-cli/2.17.0 Python/3.11.9 Linux/6.8.0 exe/x86_64.ubuntu.24"
T0 = datetime(2025, 7, 1, 8, 0, 0, tzinfo=timezone.utc)
recs = []


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def eid():
    return "7a2c%04x-1b2c-4d3e-8f40-%012x" % (len(recs), len(recs))


def assume(t, fn, key):
    rt, role, rid, _ = FN[fn]
    recs.append({"eventVersion": "1.08", "userIdentity": {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
                 "eventTime": ts(t), "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
                 "awsRegion": REGION, "sourceIPAddress": "lambda.amazonaws.com", "userAgent": "lambda.amazonaws.com",
                 "requestParameters": {"roleArn": role, "roleSessionName": fn},
                 "responseElements": {"credentials": {"accessKeyId": key, "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                                                      "expiration": "Jul 1, 2025, 11:59:00 PM"},
                                      "assumedRoleUser": {"assumedRoleId": "%s:%s" % (rid, fn),
                                                          "arn": "arn:aws:sts::%s:assumed-role/%s/%s"
                                                          % (ACCT, role.rsplit("/", 1)[1], fn)}},
                 "eventID": eid(), "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT})


def call(t, fn, key, action, src, ua, endpoint=None):
    rt, role, rid, _ = FN[fn]
    svc, name = action.split(":")
    r = {"eventVersion": "1.09",
         "userIdentity": {"type": "AssumedRole", "principalId": "%s:%s" % (rid, fn),
                          "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCT, role.rsplit("/", 1)[1], fn),
                          "accountId": ACCT, "accessKeyId": key,
                          "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role, "accountId": ACCT,
                                                               "userName": role.rsplit("/", 1)[1]}}},
         "eventTime": ts(t), "eventSource": svc + ".amazonaws.com", "eventName": name, "awsRegion": REGION,
         "sourceIPAddress": src, "userAgent": ua, "requestParameters": None, "responseElements": None,
         "eventID": eid(), "eventType": "AwsApiCall", "managementEvent": svc != "s3", "recipientAccountId": ACCT}
    if endpoint:
        r["vpcEndpointId"] = endpoint
    recs.append(r)


def main():
    out, benign = sys.argv[1], len(sys.argv) > 2 and sys.argv[2] == "benign"
    m = lambda x: T0 + timedelta(minutes=x)  # noqa: E731
    # pdf-worker: three environments; the endpoint first, its NAT an hour in
    assume(m(0), "pdf-worker", "ASIAEXAMPLEPDFWORK01")
    call(m(2), "pdf-worker", "ASIAEXAMPLEPDFWORK01", "sqs:ReceiveMessage", "10.20.1.15", GO_UA, VPCE)
    call(m(9), "pdf-worker", "ASIAEXAMPLEPDFWORK01", "s3:GetObject", "10.20.1.15", GO_UA, VPCE)
    assume(m(55), "pdf-worker", "ASIAEXAMPLEPDFWORK02")
    call(m(58), "pdf-worker", "ASIAEXAMPLEPDFWORK02", "secretsmanager:GetSecretValue", NAT, GO_UA)
    call(m(70), "pdf-worker", "ASIAEXAMPLEPDFWORK02", "sqs:DeleteMessage", "10.20.2.31", GO_UA, VPCE)
    assume(m(130), "pdf-worker", "ASIAEXAMPLEPDFWORK03")
    call(m(131), "pdf-worker", "ASIAEXAMPLEPDFWORK03", "sqs:ReceiveMessage", "10.20.2.40", GO_UA, VPCE)
    call(m(152), "pdf-worker", "ASIAEXAMPLEPDFWORK03", "sqs:DeleteMessage", "10.20.2.40", GO_UA, VPCE)
    # mailer: marked calls from the NAT (teach the VPC's network)
    for i, start in enumerate((95, 140)):
        key = "ASIAEXAMPLEMAILER0%d" % (i + 1)
        assume(m(start), "mailer", key)
        call(m(start + 3), "mailer", key, "ses:SendEmail", NAT, PY_UA)
    # thumbs: no VPC, a new AWS address each environment
    for i, (start, addr) in enumerate(((10, "3.80.12.7"), (80, "54.210.33.9"), (160, "18.206.4.120"))):
        key = "ASIAEXAMPLETHUMBS0%d" % (i + 1)
        assume(m(start), "thumbs", key)
        call(m(start + 1), "thumbs", key, "s3:PutObject", addr, GO_UA)
    if not benign:
        for j, action in enumerate(("sts:GetCallerIdentity", "secretsmanager:ListSecrets",
                                    "secretsmanager:GetSecretValue")):
            call(m(133) + timedelta(seconds=40 * j), "pdf-worker", "ASIAEXAMPLEPDFWORK03", action,
                 "203.0.113.66", CLI_UA)
    recs.sort(key=lambda r: r["eventTime"])
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    os.makedirs(os.path.join(out, "inventory"), exist_ok=True)
    with open(os.path.join(out, "logs", "cloudtrail.json"), "w") as fh:
        json.dump({"Records": recs}, fh, indent=1)
    fns = []
    for name, (rt, role, _, vpc) in FN.items():
        c = {"FunctionName": name, "FunctionArn": "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCT, name),
             "Runtime": rt, "Role": role, "Handler": "bootstrap" if rt.startswith("provided") else "app.handler",
             "PackageType": "Zip", "Version": "$LATEST"}
        c["VpcConfig"] = {"SubnetIds": ["subnet-0aa1"], "SecurityGroupIds": ["sg-0bb2"], "VpcId": vpc} if vpc \
            else {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": ""}
        fns.append(c)
    with open(os.path.join(out, "inventory", "lambda-list-functions.json"), "w") as fh:
        json.dump({"Functions": fns}, fh, indent=1)


main()
