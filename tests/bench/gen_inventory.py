#!/usr/bin/env python3
"""gen_inventory.py ROLES STATEMENTS OUT - a get-account-authorization-details
file for `make bench`: ROLES roles in 50 teams and about STATEMENTS policy
statements in all (inline, managed and trust).  A tenth of the roles may
assume their team's roles (trust: the account root), some trust a service,
every role has one explicit Deny, and user bench-user may assume team 0's
roles: reach from it crosses a few hundred roles and their resources."""
import json, random, sys

roles, stmts, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
random.seed(7)
acct = "111122223333"
per = max(2, stmts // roles - 1)  # statements per role besides its trust
actions = ["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "sqs:SendMessage", "kms:Decrypt",
           "secretsmanager:GetSecretValue", "ec2:Describe*", "logs:PutLogEvents", "lambda:InvokeFunction"]

def doc(st):
    return {"Version": "2012-10-17", "Statement": st}

role_list = []
for i in range(roles):
    team = i % 50
    name = "team-%d-role-%d" % (team, i)
    st = []
    if i % 10 == 0:
        st.append({"Effect": "Allow", "Action": "sts:AssumeRole",
                   "Resource": "arn:aws:iam::%s:role/team-%d-*" % (acct, team)})
    st.append({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
    while len(st) < per:
        a = random.sample(actions, 2)
        st.append({"Effect": "Allow", "Action": a,
                   "Resource": ["arn:aws:s3:::bucket-%d-%d/*" % (team, random.randrange(400)),
                                "arn:aws:dynamodb:us-east-1:%s:table/t-%d" % (acct, random.randrange(2000))]})
    trust = ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % acct}, "Action": "sts:AssumeRole"}
             if i % 3 else {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role_list.append({"Path": "/", "RoleName": name, "RoleId": "AROA%012d" % i,
                      "Arn": "arn:aws:iam::%s:role/%s" % (acct, name), "CreateDate": "2024-01-02T03:04:05Z",
                      "AssumeRolePolicyDocument": doc([trust]), "InstanceProfileList": [],
                      "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(st)}],
                      "AttachedManagedPolicies": [{"PolicyName": "shared-%d" % team,
                                                   "PolicyArn": "arn:aws:iam::%s:policy/shared-%d" % (acct, team)}],
                      "RoleLastUsed": {}})
policies = [{"PolicyName": "shared-%d" % t, "PolicyId": "ANPA%d" % t, "Arn": "arn:aws:iam::%s:policy/shared-%d" % (acct, t),
             "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": roles // 50, "IsAttachable": True,
             "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(
                 [{"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}])}]}
            for t in range(50)]
users = [{"Path": "/", "UserName": "bench-user", "UserId": "AIDABENCH", "Arn": "arn:aws:iam::%s:user/bench-user" % acct,
          "CreateDate": "2024-01-02 03:04:05+00:00", "GroupList": [], "AttachedManagedPolicies": [],
          "UserPolicyList": [{"PolicyName": "assume-team-0", "PolicyDocument": doc(
              [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::%s:role/team-0-*" % acct}])}]}]
with open(out, "w") as f:
    json.dump({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": role_list, "Policies": policies}, f)
