#!/usr/bin/env python3
"""gcpfn_cases.py - randomized GCP serverless cases (issue 19): Cloud Run
services and Cloud Functions, the counterpart of fn_cases.py.  Written from
../shared/reference/breadth.md section 1.6 and Google's API reference for
the inventory shapes (Knative v1 as gcloud prints it, Cloud Run Admin v2,
Cloud Functions v2), not from the correlator.

    gcpfn_cases.py SEED OUTDIR
    gcpfn_cases.py -n N BASESEED OUTROOT      OUTROOT/gfn-000 ...

A case: one project with 2-6 services over 2 h to 5 days of Cloud Audit
Logs.  Each service is a Cloud Run service (listed by `gcloud run services
list` in the Knative v1 shape, or by the v2 REST API) or a Cloud Function
(v2, `gcloud functions list`), runs as its own service account or shares
one with the previous service, holds plain environment variables (some
credential-shaped) and Secret Manager references.  Its calls (its
account's metadata-server token: principalEmail only) come every 5 min to
2 h from 1-3 Google /24s of its own, with a client library's user agent
[verify: the addresses Cloud Audit Logs show for serverless egress].

Look-alikes, each drawn per case: a developer impersonates a service's
account from the office (serviceAccountDelegationInfo), CI signs with a
user-managed key of a service's account from its runner, an account two
services share is used from a new network, a service calls from a new
host of one of its own /24s.

Attack (4 cases in 5; seed % 5 == 0 is benign-only): the token of a service
with an account of its own is used from an outside address with curl, a
script or gcloud (1 attack in 8: a Google client library, as the service's
own code), 1-5 calls.  Truth: the service is the escaped workload; its
account's token ("token:EMAIL") must be reported; the account (and an
account it may impersonate) must be reachable.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import ATTACKER_NETS, Rnd  # noqa: E402
from fmt import case_main, Out, iso  # noqa: E402

HOUR = 3600.0
LOCATIONS = ["us-central1", "us-east1", "europe-west1", "europe-west4", "asia-northeast1"]
NAMES = ["invoice-api", "thumbnailer", "report-gen", "webhook-relay", "image-resize", "order-sync", "email-digest",
         "pdf-merge", "audit-shipper", "price-feed", "geo-lookup", "token-refresher"]
RUNTIMES = ["python312", "python311", "nodejs20", "go122", "java21"]
# /16s inside Google's published ranges (goog.json): first octet, second octet range
# (34.192/10 is Amazon's, 35.199.192/18 nobody's: both left out)
GOOGLE_16S = [("34", 64, 191), ("35", 184, 198), ("35", 200, 247), ("104", 196, 199), ("130", 211, 211),
              ("142", 250, 251)]
DEVS = ["alice", "bob", "carol", "dave", "erin"]
CALLS = [("storage.googleapis.com", "storage.objects.get", "storage.objects.get"),
         ("storage.googleapis.com", "storage.objects.create", "storage.objects.create"),
         ("pubsub.googleapis.com", "google.pubsub.v1.Publisher.Publish", "pubsub.topics.publish"),
         ("secretmanager.googleapis.com", "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
          "secretmanager.versions.access"),
         ("datastore.googleapis.com", "google.datastore.v1.Datastore.Lookup", "datastore.entities.get")]
ATTACK_UA = ["curl/8.5.0", "python-requests/2.31.0", "Go-http-client/1.1",
             "google-cloud-sdk gcloud/475.0.0 command/gcloud.storage.ls"]


def lib_ua(r):
    return r.choice(["gcloud-python/3.4.0 gl-python/3.12.3 grpc/1.64.1 gax/2.19.0 gccl/2.16.0",
                     "gl-node/20.13.1 gccl/7.11.0 gax/4.3.2",
                     "gcloud-golang/0.113.0 gl-go/1.22.4 gax/2.12.4 grpc/1.64.0",
                     "gcloud-java/2.40.0 gl-java/21 gax/2.48.0"])


class GcpFnCase:
    def __init__(self, seed):
        self.seed = seed
        self.r = Rnd(seed)
        self.o = Out()
        self.n = 0
        # kind groups the figures (GEN_KIND=all); the escaped workload's kind is "function"
        self.truth = {"seed": seed, "kind": "gcpfunction", "benign_only": False, "family": None, "variant": {},
                      "escaped": [], "credentials": [], "credentials_may": [], "reachable": [], "reachable_may": []}

    def build(self):
        r = self.r
        self.project = "acme-%s" % r.hexs(6)
        self.location = r.choice(LOCATIONS)
        self.office = "%d.%d.%d.%d" % (r.choice([81, 82, 86, 90, 145, 176, 212]), r.randint(0, 255),
                                       r.randint(0, 255), r.randint(1, 254))
        self.ci = r.public_ip()
        self.H = HOUR * (2 ** r.uniform(1, 6.9))
        self.END = 1735689600 + r.randint(0, 500) * 86400 + r.uniform(0, 86400)
        self.T = self.END - r.uniform(0.05, 0.4) * HOUR
        self.S = self.T - self.H
        self.svcs = []
        self.accounts = {}
        for nm in r.sample(NAMES, r.randint(2, 6)):
            name = nm if r.random() < 0.6 else "%s-%s" % (nm, r.choice(["prod", "v2", "eu", "live"]))
            platform = r.choice(["run-v1", "run-v1", "run-v2", "function"])
            kind = "functions" if platform == "function" else "services"
            if self.svcs and r.random() < 0.25:
                sa = self.svcs[-1]["sa"]
            else:
                sa = "%s@%s.iam.gserviceaccount.com" % (name[:24].rstrip("-"), self.project)
                self.accounts[sa] = {"keys": []}
            nets = []
            for _ in range(r.randint(1, 3)):
                first, lo, hi = r.choice(GOOGLE_16S)
                nets.append("%s.%d.%d." % (first, r.randint(lo, hi), r.randint(0, 255)))
            env = {k: r.choice(["acme-%s" % r.hexs(6), "info", "true", "https://api.example.net"])
                   for k in r.sample(["BUCKET", "TOPIC", "STAGE", "LOG_LEVEL", "FEATURE_X", "UPSTREAM"], r.randint(0, 3))}
            if r.random() < 0.3:
                env["DB_URL"] = "postgres://app:%s@10.%d.0.5/app" % (r.b62(12), r.randint(0, 200))
            secrets = r.sample(["stripe-key", "signing-key", "db-password", "api-token", "webhook-secret"],
                               r.randint(0, 2))
            self.svcs.append({"name": name, "platform": platform, "sa": sa, "nets": nets, "env": env,
                              "secrets": secrets, "runtime": r.choice(RUNTIMES),
                              "key": "projects/%s/locations/%s/%s/%s" % (self.project, self.location, kind, name),
                              "gap": HOUR * 2 ** r.uniform(-3.5, 1)})
        # an account may impersonate another one
        self.impersonates = None
        if r.random() < 0.3:
            self.impersonates = "deployer@%s.iam.gserviceaccount.com" % self.project

    def audit(self, t, email, call, ip, ua, key=None, delegate=None, resource=None):
        self.n += 1
        service, method, perm = call
        ai = {"principalEmail": email}
        if key:
            ai["serviceAccountKeyName"] = key
        if delegate:
            ai["serviceAccountDelegationInfo"] = [{"firstPartyPrincipal": {"principalEmail": delegate}}]
        res = resource or "projects/_/buckets/%s-data/objects/o-%d" % (self.project, self.n)
        pp = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "authenticationInfo": ai,
              "authorizationInfo": [{"resource": res, "permission": perm, "granted": True}],
              "methodName": method, "serviceName": service, "resourceName": res,
              "requestMetadata": {"callerIp": ip, "callerSuppliedUserAgent": ua,
                                  "requestAttributes": {"time": iso(t, 6), "auth": {}}, "destinationAttributes": {}},
              "status": {}}
        rec = {"insertId": "%s%06d" % (self.r.hexs(6), self.n),
               "logName": "projects/%s/logs/cloudaudit.googleapis.com%%2Fdata_access" % self.project,
               "protoPayload": pp, "receiveTimestamp": iso(t + 0.7, 9),
               "resource": {"type": "audited_resource", "labels": {"project_id": self.project, "service": service,
                                                                    "method": method}},
               "severity": "INFO", "timestamp": iso(t, 6)}
        self.o.add("logs/gcp-audit.jsonl", t, json.dumps(rec, separators=(",", ":")))

    def own_call(self, t, s, host=None):
        r = self.r
        ip = r.choice(s["nets"]) + str(host if host is not None else r.randint(2, 30))
        self.audit(t, s["sa"], r.choice(CALLS), ip, s["ua"])

    def benign(self):
        r = self.r
        for s in self.svcs:
            s["ua"] = lib_ua(r)
            t = self.S + r.uniform(0, s["gap"])
            while t < self.END:
                self.own_call(t, s)
                t += s["gap"] * r.uniform(0.5, 1.5)
        lk = self.truth["variant"].setdefault("lookalikes", [])
        if r.random() < 0.6:  # a developer impersonates a service's account from the office
            s = r.choice(self.svcs)
            t = r.uniform(self.S + 0.2 * self.H, self.END)
            dev = "%s@acme.example" % r.choice(DEVS)
            for j in range(r.randint(1, 4)):
                self.audit(t + 40 * j, s["sa"], r.choice(CALLS), self.office,
                           "google-cloud-sdk gcloud/480.0.0 command/gcloud.storage.ls", delegate=dev)
            lk.append("developer-impersonates")
        if r.random() < 0.5:  # CI signs with a user-managed key of a service's account
            s = r.choice(self.svcs)
            key = "projects/%s/serviceAccounts/%s/keys/%s" % (self.project, s["sa"], r.hexs(40))
            self.accounts[s["sa"]]["keys"].append(key)
            t = self.S + r.uniform(0, HOUR)
            while t < self.END:
                self.audit(t, s["sa"], CALLS[1], self.ci, "google-cloud-sdk gcloud/480.0.0 command/gcloud.storage.cp",
                           key="//iam.googleapis.com/" + key)
                t += r.uniform(1, 6) * HOUR
            lk.append("ci-key")
        shared = [s for s in self.svcs if sum(1 for x in self.svcs if x["sa"] == s["sa"]) > 1]
        if shared and r.random() < 0.7:  # a shared account from a new network
            s = r.choice(shared)
            self.audit(r.uniform(self.S + 0.5 * self.H, self.END), s["sa"], r.choice(CALLS), r.public_ip(), s["ua"])
            lk.append("shared-account-new-network")
        if r.random() < 0.5:  # a service from a new host of its own network
            s = r.choice(self.svcs)
            self.own_call(r.uniform(self.S + 0.5 * self.H, self.END), s, host=r.randint(200, 250))
            lk.append("new-host-own-network")

    def pick_victim(self):
        """Before the history is written, so that the look-alikes of a
        shared account are drawn among accounts that stay shared."""
        r = self.r
        own = [s for s in self.svcs if sum(1 for x in self.svcs if x["sa"] == s["sa"]) == 1]
        s = r.choice(own or self.svcs)
        if not own:  # every account shared: give the victim its own
            s["sa"] = "%s-own@%s.iam.gserviceaccount.com" % (s["name"][:20].rstrip("-"), self.project)
            self.accounts[s["sa"]] = {"keys": []}
        self.victim = s

    def attack(self):
        r = self.r
        s = self.victim
        src = r.choice(ATTACKER_NETS) + str(r.randint(2, 250))
        ua = r.choice(ATTACK_UA)
        if r.random() < 0.125:  # the attacker's script uses a Google client library too
            ua = lib_ua(r)
            self.truth["variant"]["attacker_client_library"] = True
        for j in range(r.randint(1, 5)):
            self.audit(self.T + 30 * j + r.uniform(0, 20), s["sa"], r.choice(CALLS), src, ua)
        self.truth["escaped"].append({"kind": "function", "id": s["key"], "container_id": "", "pod": ""})
        self.truth["credentials"].append({"provider": "gcp", "id": "token:" + s["sa"], "identity": s["sa"]})
        self.truth["reachable"] = [{"provider": "gcp", "identity": s["sa"]}]
        if self.impersonates:
            self.impersonator = s["sa"]
            self.truth["reachable"].append({"provider": "gcp", "identity": self.impersonates})
        self.truth["variant"].update({"victim_platform": s["platform"]})

    def inventory(self, outdir):
        r = self.r
        inv = os.path.join(outdir, "inventory")
        os.makedirs(inv, exist_ok=True)
        v1, v2, fns = [], [], []
        for s in self.svcs:
            if s["platform"] == "function":
                sc = {"serviceAccountEmail": s["sa"], "environmentVariables": s["env"],
                      "service": "projects/%s/locations/%s/services/%s" % (self.project, self.location, s["name"])}
                if s["secrets"]:
                    sc["secretEnvironmentVariables"] = [{"key": x.upper().replace("-", "_"), "projectId": self.project,
                                                         "secret": x, "version": "latest"} for x in s["secrets"]]
                fns.append({"name": s["key"], "environment": "GEN_2", "state": "ACTIVE",
                            "buildConfig": {"runtime": s["runtime"], "entryPoint": "main"}, "serviceConfig": sc})
                continue
            image = "%s-docker.pkg.dev/%s/app/%s:%d.%d" % (self.location.split("-")[0], self.project, s["name"],
                                                           r.randint(1, 9), r.randint(0, 20))
            if s["platform"] == "run-v1":
                env = [{"name": k, "value": v} for k, v in s["env"].items()]
                env += [{"name": x.upper().replace("-", "_"), "valueFrom": {"secretKeyRef": {"name": x, "key": "latest"}}}
                        for x in s["secrets"]]
                v1.append({"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                           "metadata": {"name": s["name"], "namespace": self.project,
                                        "labels": {"cloud.googleapis.com/location": self.location}},
                           "spec": {"template": {"spec": {"serviceAccountName": s["sa"],
                                                          "containers": [{"image": image, "env": env}]}}}})
            else:
                env = [{"name": k, "value": v} for k, v in s["env"].items()]
                env += [{"name": x.upper().replace("-", "_"),
                         "valueSource": {"secretKeyRef": {"secret": "projects/%s/secrets/%s" % (self.project, x),
                                                          "version": "latest"}}} for x in s["secrets"]]
                v2.append({"name": s["key"], "template": {"serviceAccount": s["sa"],
                                                          "containers": [{"image": image, "env": env}]}})
        files = [("gcloud-run-services-list.json", v1), ("run-v2-services.json", {"services": v2}),
                 ("gcloud-functions-list.json", fns)]
        keys = [{"name": k, "keyAlgorithm": "KEY_ALG_RSA_2048", "keyType": "USER_MANAGED",
                 "validAfterTime": "2025-01-10T09:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z"}
                for a in self.accounts.values() for k in a["keys"]]
        if keys:
            files.append(("gcloud-iam-service-accounts-keys-list.json", keys))
        files.append(("projects-%s.json" % self.project,
                      {"bindings": [{"role": "roles/storage.objectAdmin",
                                     "members": sorted("serviceAccount:" + a for a in self.accounts)}],
                       "etag": "BwY=", "version": 1}))
        if self.impersonates and getattr(self, "impersonator", None):
            files.append(("%s.json" % self.impersonates,
                          {"bindings": [{"role": "roles/iam.serviceAccountTokenCreator",
                                         "members": ["serviceAccount:" + self.impersonator]}],
                           "etag": "BwY=", "version": 1}))
        for name, doc in files:
            if doc in ([], {"services": []}):
                continue
            with open(os.path.join(inv, name), "w") as fh:
                json.dump(doc, fh, indent=1)
                fh.write("\n")

    def generate(self, outdir):
        self.build()
        benign_only = self.seed % 5 == 0
        self.truth["benign_only"] = benign_only
        self.truth["family"] = None if benign_only else "GFN"
        if not benign_only:
            self.pick_victim()
        self.benign()
        if not benign_only:
            self.attack()
        self.truth["variant"].update({"services": len(self.svcs), "history_h": round(self.H / HOUR, 2),
                                      "shared_accounts": len(self.svcs) - len({s["sa"] for s in self.svcs})})
        os.makedirs(outdir, exist_ok=True)
        self.o.write(outdir)
        self.inventory(outdir)
        with open(os.path.join(outdir, "truth.json"), "w") as fh:
            json.dump(self.truth, fh, indent=1, sort_keys=True)
            fh.write("\n")
        return self.truth


def main(argv):
    return case_main(GcpFnCase, "gfn", "gcpfn_cases.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
