#!/usr/bin/env python3
"""mkgcpfunction.py OUTDIR - the hand-built GCP serverless case: a Cloud Run
service and a Cloud Function with a day of Cloud Audit Logs, their
look-alikes, and the service's account token used from outside.
Deterministic; the committed files under gcpfunction/ are its output.

  invoice-api   Cloud Run (Knative v1 listing), runs as invoice-api@; reads
                its bucket and its Secret Manager secret from Google's
                addresses 35.187.(10|11).x
  thumbnailer   Cloud Function v2, runs as thumbs@, from 107.178.230.x
  cron-a/b      two services sharing batch@: its calls name no service
  look-alikes   alice impersonates invoice-api@ from the office (gcloud,
                serviceAccountDelegationInfo); CI signs with a user-managed
                key of invoice-api@ from its runner; batch@ from a new
                network (shared: no service to blame); invoice-api's own
                client library from a Google network new to it
  attack        invoice-api@'s token (no key, no delegation) used from
                203.0.113.66 with curl: lists the bucket, reads the secret
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

P = "acme-prod"
LOC = "us-central1"
SA = {"invoice-api": "invoice-api@%s.iam.gserviceaccount.com" % P,
      "thumbnailer": "thumbs@%s.iam.gserviceaccount.com" % P,
      "batch": "batch@%s.iam.gserviceaccount.com" % P}
CI_KEY = "//iam.googleapis.com/projects/%s/serviceAccounts/%s/keys/4c1f0e9d8b7a65432100fedcba987654" % (P, SA["invoice-api"])
T0 = datetime(2025, 6, 2, 8, 0, 0, tzinfo=timezone.utc)
PY_UA = "gcloud-python/3.4.0 gl-python/3.12.3 grpc/1.64.1 gax/2.19.0 gccl/2.16.0"
recs = []
n = [0]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry(t, email, method, service, resource, ip, ua, key=None, delegate=None, log="data_access",
          perm=None, status=None):
    n[0] += 1
    ai = {"principalEmail": email}
    if key:
        ai["serviceAccountKeyName"] = key
    if delegate:
        ai["serviceAccountDelegationInfo"] = [{"firstPartyPrincipal": {"principalEmail": delegate}}]
    pp = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "authenticationInfo": ai,
          "authorizationInfo": [{"resource": resource, "permission": perm or "storage.objects.get", "granted": True}],
          "methodName": method, "serviceName": service, "resourceName": resource,
          "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": ua,
                              "requestAttributes": {"time": ts(t), "auth": {}}, "destinationAttributes": {}},
          "status": status or {}}
    recs.append({"insertId": "gcpfn%06d" % n[0], "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2F%s" % (P, log),
                 "protoPayload": pp, "receiveTimestamp": ts(t + timedelta(seconds=1)),
                 "resource": {"type": "gcs_bucket" if service.startswith("storage") else "audited_resource",
                              "labels": {"project_id": P, "location": LOC}},
                 "severity": "INFO", "timestamp": ts(t)})


def gcs(t, email, obj, ip, ua, **kw):
    entry(t, email, "storage.objects.get", "storage.googleapis.com",
          "projects/_/buckets/acme-invoices/objects/%s" % obj, ip, ua, **kw)


def secret(t, email, name, ip, ua, **kw):
    entry(t, email, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
          "secretmanager.googleapis.com", "projects/123456789012/secrets/%s/versions/latest" % name, ip, ua,
          perm="secretmanager.versions.access", **kw)


def inventory(out):
    d = os.path.join(out, "inventory")
    os.makedirs(d, exist_ok=True)

    def knative(name, sa, env, image):
        spec = {"containers": [{"image": image, "env": env}]}
        if sa:
            spec["serviceAccountName"] = sa
        return {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                "metadata": {"name": name, "namespace": P, "labels": {"cloud.googleapis.com/location": LOC}},
                "spec": {"template": {"spec": spec}}}

    run = [knative("invoice-api", SA["invoice-api"],
                   [{"name": "BUCKET", "value": "acme-invoices"},
                    {"name": "DB_URL", "value": "postgres://api:s3cr3t-example@10.0.0.5/app"},
                    {"name": "STRIPE_KEY", "valueFrom": {"secretKeyRef": {"name": "stripe-key", "key": "latest"}}}],
                   "us-docker.pkg.dev/acme-prod/app/invoice-api:2.3.1"),
           knative("cron-a", SA["batch"], [{"name": "MODE", "value": "nightly"}], "gcr.io/acme-prod/cron:4"),
           knative("cron-b", SA["batch"], [{"name": "MODE", "value": "hourly"}], "gcr.io/acme-prod/cron:4")]
    fns = [{"name": "projects/%s/locations/%s/functions/thumbnailer" % (P, LOC), "environment": "GEN_2",
            "buildConfig": {"runtime": "python312", "entryPoint": "handle"},
            "serviceConfig": {"serviceAccountEmail": SA["thumbnailer"],
                              "environmentVariables": {"LOG_LEVEL": "info"},
                              "secretEnvironmentVariables": [{"key": "SIGNING_KEY", "projectId": P,
                                                              "secret": "signing-key", "version": "3"}]}}]
    keys = [{"name": "projects/%s/serviceAccounts/%s/keys/4c1f0e9d8b7a65432100fedcba987654" % (P, SA["invoice-api"]),
             "keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED", "keyType": "USER_MANAGED",
             "validAfterTime": "2025-01-10T09:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z"}]
    policy = {"bindings": [{"role": "roles/storage.objectViewer", "members": ["serviceAccount:" + SA["invoice-api"]]},
                           {"role": "roles/secretmanager.secretAccessor",
                            "members": ["serviceAccount:" + SA["invoice-api"], "serviceAccount:" + SA["thumbnailer"]]}],
              "etag": "BwYexample=", "version": 1}
    sapolicy = {"bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:alice@acme.example"]}],
                "etag": "BwYexample2=", "version": 1}
    for name, doc in (("run-services.json", run), ("functions.json", fns), ("sa-keys.json", keys),
                      ("projects-acme-prod.json", policy), (SA["invoice-api"] + ".json", sapolicy)):
        with open(os.path.join(d, name), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


def main(out):
    inventory(out)
    t = T0
    k = 0
    # a day of history: each service's own calls every 20-30 minutes
    while t < T0 + timedelta(hours=26):
        gcs(t, SA["invoice-api"], "inv-%04d.pdf" % k, "35.187.%d.%d" % (10 + k % 2, 20 + k % 9), PY_UA)
        if k % 6 == 0:
            secret(t + timedelta(seconds=5), SA["invoice-api"], "stripe-key", "35.187.10.%d" % (30 + k % 5), PY_UA)
        if k % 3 == 0:
            gcs(t + timedelta(minutes=7), SA["thumbnailer"], "thumb-%04d.png" % k, "107.178.230.%d" % (40 + k % 7), PY_UA)
            gcs(t + timedelta(minutes=9), SA["batch"], "batch-%04d.csv" % k, "35.199.0.%d" % (5 + k % 4), PY_UA)
        if k % 4 == 0:  # CI signs with invoice-api@'s user-managed key from its runner
            gcs(t + timedelta(minutes=11), SA["invoice-api"], "ci-check.txt", "192.0.2.10",
                "google-cloud-sdk gcloud/480.0.0 command/gcloud.storage.cat", key=CI_KEY)
        k += 1
        t += timedelta(minutes=20)
    # look-alike: alice impersonates invoice-api@ from the office
    dev = T0 + timedelta(hours=25, minutes=10)
    for j in range(3):
        gcs(dev + timedelta(minutes=j), SA["invoice-api"], "debug-%d.pdf" % j, "198.51.100.7",
            "google-cloud-sdk gcloud/480.0.0 command/gcloud.storage.cp", delegate="alice@acme.example")
    # look-alike: invoice-api's own calls from a Google network new to it
    gcs(T0 + timedelta(hours=25, minutes=20), SA["invoice-api"], "inv-7777.pdf", "35.190.5.14", PY_UA)
    # look-alike: the shared batch@ account from a new network names no service
    gcs(T0 + timedelta(hours=25, minutes=30), SA["batch"], "batch-x.csv", "198.51.100.99", PY_UA)
    # the attack: invoice-api@'s own token from outside
    at = T0 + timedelta(hours=26, minutes=7)
    curl = "curl/8.5.0"
    entry(at, SA["invoice-api"], "storage.objects.list", "storage.googleapis.com", "projects/_/buckets/acme-invoices",
          "203.0.113.66", curl, perm="storage.objects.list")
    gcs(at + timedelta(seconds=30), SA["invoice-api"], "inv-0001.pdf", "203.0.113.66", curl)
    secret(at + timedelta(seconds=60), SA["invoice-api"], "stripe-key", "203.0.113.66", curl)
    # the service's own next call: from its own network
    gcs(at + timedelta(minutes=3), SA["invoice-api"], "inv-9999.pdf", "35.187.10.21", PY_UA)
    recs.sort(key=lambda r: r["timestamp"])
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    with open(os.path.join(out, "logs", "gcp-audit.jsonl"), "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
