/*
 * correlate.h - the public interface of correlate/: the identity graph
 * (who a credential is and what it reaches) and the correlator (escape
 * signals -> exposed secrets -> their anomalous use -> incidents).
 *
 * The graph lives in the evidence store (tables graph_nodes, graph_edges,
 * store migration 2).  Its vocabulary is fixed here because the inventory
 * ingesters, `cordon reach`, the correlator and the revocation planner all
 * speak it.
 *
 * Node kinds and their keys:
 *   node        k8s node / host name            "ip-10-0-1-23.ec2.internal"
 *   pod         namespace/name                  "prod/web-7d9f8b6c5-x2k4q"
 *   container   lowercase hex container id      "4b5e57f6eb2f..."
 *   secret      a place a credential lives (locator, see below)
 *   credential  PROVIDER:ID                     "aws:AKIAIOSFODNN7EXAMPLE",
 *               "k8s:JTI=0b7e...", "vault:hmac-sha256:9c1d...",
 *               "gcp:projects/p/serviceAccounts/e/keys/k"
 *   identity    PROVIDER:NAME                   "aws:arn:aws:iam::111122223333:role/x",
 *               "k8s:system:serviceaccount:prod:web", "vault:kubernetes-prod-web",
 *               "gcp:sa@p.iam.gserviceaccount.com"
 *   resource    PROVIDER:NAME                   "aws:arn:aws:s3:::bucket/...",
 *               "k8s:secrets/prod/aws-ci-key", "vault:secret/data/prod/web/..."
 *
 * Secret locators (also the "locator" of an incident's exposed[] entries
 * and the LOCATION column of the credential map):
 *   file:HOST:PATH        a file on a host (HOST "*" = every host; PATH may be a glob)
 *   env:WORKLOAD:VAR      an environment variable of a workload (container id or ns/pod)
 *   k8s-secret:NS/NAME    a Kubernetes secret (optionally /KEY)
 *   sa-token:NS/SA        the projected service-account token of pods running as NS/SA
 *   imds:NODE             the instance role credentials served by a node's metadata service
 *   kubelet-cred:NODE     the kubelet's client credentials on a node
 *   vault-token:ACCESSOR  a Vault token (agent sink or env), by accessor
 *
 * Edge types (src -> dst):
 *   runs-on           pod -> node, container -> pod, container -> node
 *   mounts            pod|container -> secret        (hostPath, volume, env)
 *   exposes           secret -> credential
 *   authenticates-as  credential -> identity
 *   member-of         identity -> identity           (IAM user -> group)
 *   can-assume        identity -> identity           (policy + trust evaluation)
 *   assumed           identity|credential -> credential|identity (observed in logs)
 *   issued            credential -> credential       (lineage: STS, TokenRequest, Vault login)
 *   can-read-secret   identity -> secret             (k8s RBAC get/list/watch secrets)
 *   can-create-pod    identity -> node|resource      (and so everything a pod can mount)
 *   can-exec          identity -> pod|resource
 *   can-impersonate   identity -> identity
 *   can-create-token  identity -> identity
 *   can-access        identity -> resource           (detail: the allowed actions)
 * An edge with conditional = 1 holds only if conditions we do not evaluate
 * hold (IAM Condition blocks): kept and shown, never silently dropped.
 */
#ifndef CORDON_CORRELATE_H
#define CORDON_CORRELATE_H

#include "../core/core.h"

#endif
