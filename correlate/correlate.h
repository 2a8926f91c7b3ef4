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
 *   function    a Lambda function's ARN         "arn:aws:lambda:us-east-1:1111:function:f"
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
 *   env:WORKLOAD:VAR      an environment variable of a workload (container id, ns/pod,
 *                         or a function's ARN: VAR is after the last ':')
 *   k8s-secret:NS/NAME    a Kubernetes secret (optionally /KEY)
 *   sa-token:NS/SA        the projected service-account token of pods running as NS/SA
 *   imds:NODE             the instance role credentials served by a node's metadata service
 *   kubelet-cred:NODE     the kubelet's client credentials on a node
 *   vault-token:ACCESSOR  a Vault token (agent sink or env), by accessor
 *
 * Edge types (src -> dst):
 *   runs-on           pod -> node, container -> pod, container -> node
 *   mounts            pod|container|function -> secret (hostPath, volume, env; a
 *                     function's env:ARN:AWS_ACCESS_KEY_ID exposes its sessions)
 *   runs-as           function -> identity           (its execution role)
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
 * Added by the graph (issue 3):
 *   authenticates-as  also secret -> identity        (a locator whose credential id is
 *                                                     unknown: sa-token, kubelet-cred, imds)
 *   holds             node -> secret                 (escape expansion: what root on the
 *                                                     node can read; derived)
 *   includes          resource|secret -> secret|identity|resource (a scope gives what is in
 *                                                     it: creating pods in NS gives NS's
 *                                                     secrets and service-account tokens;
 *                                                     k8s-secret:NS/NAME gives its /KEYs)
 * Identity keys also used: "k8s:group:NAME" (a Kubernetes group: member-of
 * edges from its members), "aws:service:HOST" and "aws:federated:ARN"
 * (trust-policy principals), "aws:ARN-of-instance-profile" (-> can-assume
 * its role), "vault:policy/NAME" (a Vault policy: member-of from tokens).
 * Resource keys: "aws:PATTERN" (a policy Resource, "aws:*" for everything),
 * "k8s:pods/NS" (pod creation scope; "k8s:pods/" + "*" cluster-wide),
 * "k8s:secrets/NS", "vault:PATH", "gcp:SCOPE".
 *
 * Every edge records where it came from: origin_input (the inventory file,
 * inputs.id), origin_event (the event that showed it) or derived = 1 (computed
 * from graph_rules/graph_attach by graph_derive(); recomputed from scratch
 * whenever inventory changes), and origin (text: file, policy, statement).
 * An edge with conditional = 1 holds only if conditions we do not evaluate
 * hold (IAM Condition blocks): kept and shown, never silently dropped.
 */
#ifndef CORDON_CORRELATE_H
#define CORDON_CORRELATE_H

#include "../core/core.h"

/* ---- the identity graph: reading (graph_reach.c, graph_escape.c) ------- */

/* One reached node. */
struct graph_hit {
	char *kind, *key, *provider, *label;
	int depth;        /* edges from the subject (0 = the subject itself) */
	int conditional;  /* some edge on the path is conditional */
	char **path;      /* node keys from the subject to this node (npath of them) */
	char **edges;     /* edge types along the path, npath - 1 of them */
	int npath;
	int parent;       /* index of the hit this one was reached from; -1 for the
			   * subject or when that hit was filtered out (--provider) */
};

/* Hits in breadth-first order: nearer first; unconditional paths preferred. */
struct graph_result {
	struct graph_hit *hits;
	size_t n;
};

/* Free the hits; r may be NULL; r is left empty. */
void graph_result_release(struct graph_result *r);

/*
 * Everything reachable from SUBJECT: a node key with or without its kind
 * prefix ("identity:aws:arn:..."), a credential id without provider
 * ("AKIA..."), an identity (ARN, "system:serviceaccount:ns:sa", an
 * assumed-role session ARN resolves to its role), a container id (any
 * unique prefix of at least 12 hex digits), ns/pod, or a node name.
 * max_depth <= 0 means unlimited; provider (NULL = all) keeps only hits
 * of that provider (paths may cross others).  The subject itself is hit 0.
 * Traversal follows edges forward except runs-on into a node (a pod does
 * not reach its node without an escape; reach the node itself for that).
 * @retval CD_OK          *out filled
 * @retval CD_E_NOTFOUND  no such subject (or an ambiguous prefix)
 * @retval CD_E_DB        store error
 */
int graph_reach(struct store *s, const char *subject, int max_depth, const char *provider,
		struct graph_result *out);

/*
 * Escape expansion: the secret locators (kind "secret") readable on node
 * (pod service-account tokens, secrets mounted into its pods, kubelet-cred,
 * imds, credential-map host files), and behind them the credentials and the
 * identities they authenticate as.  node is a node name (or an instance id
 * known from a node's providerID).
 */
int graph_node_exposure(struct store *s, const char *node, struct graph_result *out);

/*
 * The secret nodes that a file read on host at path hits: credential-map
 * file globs for that host or "*", kubelet pod volume paths
 * (/var/lib/kubelet/pods/UID/volumes/...), the in-pod token path
 * /var/run/secrets/kubernetes.io/serviceaccount/... (of pod_uid; without
 * pod_uid, of every pod on host), secret volume mount paths of pod_uid, and
 * kubelet credential files.  host and pod_uid may be NULL.  Each hit's path
 * is [host-or-pod, secret].
 */
int graph_secret_for_path(struct store *s, const char *host, const char *pod_uid,
			  const char *path, struct graph_result *out);

/*
 * Learn lineage from events not seen yet (a meta row remembers the last
 * event id; idempotent): CloudTrail AssumeRole*, GetSessionToken and
 * CreateAccessKey responses, EC2 role sessions named after instance ids,
 * Kubernetes TokenRequests and bound-token user.extra (pod, node), Vault
 * logins.  Then recomputes derived edges if inventory changed
 * (graph_derive).  Runs in its own transaction.
 */
int graph_learn_events(struct store *s);

/*
 * The same learning as events are stored, in the transaction that stores
 * them (an ingest's writer calls it), so the catch-up pass above has
 * nothing to read back: event for each stored event with its id, commit
 * before each COMMIT (it moves the learned mark).
 */
struct graph_learner;
struct graph_learner *graph_learner_new(struct store *s);
/* On the thread that queues events for the writer: 0 when an event repeats
 * what an earlier one of this run taught (then pass graph_learner_event
 * ev NULL: it counts the id for the mark only). */
int graph_learner_wants(struct graph_learner *g, const struct event *ev);
int graph_learner_event(struct graph_learner *g, const struct event *ev, int64_t id);
int graph_learner_commit(struct graph_learner *g);
void graph_learner_free(struct graph_learner **g);

/* Recompute every derived edge (policy, trust, RBAC, escape expansion) when
 * the facts changed since the last run, or always with force. */
int graph_derive(struct store *s, int force);

/* ---- the identity graph: writing (graph_store.c) ------------------------ */

/*
 * One inventory file's load, atomic: a SAVEPOINT inside the caller's
 * transaction.  Begin removes what an earlier load of the same input stored
 * (edges, rules, attachments; nodes stay, they are shared).  A write error
 * is sticky and makes end roll back.
 */
struct graph_tx;
int graph_tx_begin(struct store *s, int64_t input_id, const char *origin, struct graph_tx **out);
/* commit != 0: keep (and mark the graph for re-derivation); else roll back. */
int graph_tx_end(struct graph_tx **t, int commit);
/* What this load wrote so far: distinct nodes (new or updated) and new edges. */
void graph_tx_counts(const struct graph_tx *t, int64_t *nodes, int64_t *edges);
/* Upsert a node; NULL fields keep what is stored.  Returns its id, or -1. */
int64_t graph_tx_node(struct graph_tx *t, const char *kind, const char *key, const char *provider,
		      const char *label, const char *attrs);
/* An edge from this input (the first writer of a (src, dst, type) wins). */
int graph_tx_edge(struct graph_tx *t, int64_t src, int64_t dst, const char *type, int conditional,
		  const char *detail);
/* Node + edge by keys, creating nodes as needed (provider from the key
 * prefix for credential, identity and resource); no edge from a node to
 * itself (self-trust). */
int graph_link(struct graph_tx *t, const char *skind, const char *skey, const char *type,
	       const char *dkind, const char *dkey, int conditional, const char *detail);
/* "aws:arn:..." -> "aws" (the text before the first ':', "" if none), into out. */
void graph_provider_of(const char *key, char *out, size_t cap);

/* A policy statement, trust statement, RBAC rule or Vault path rule. */
struct graph_rule {
	const char *provider;   /* "aws", "k8s", "vault", "gcp" */
	const char *kind;       /* "identity", "trust", "rbac", "vault" */
	const char *owner;      /* policy ARN, "inline:ARN:NAME", "Role:NS/NAME", ... */
	const char *effect;     /* "Allow" / "Deny" */
	const char *actions;    /* newline-separated (verbs, capabilities) */
	const char *resources;  /* newline-separated */
	const char *principals; /* trust: newline-separated "AWS:ARN", "Service:x", ... */
	const char *names;      /* RBAC resourceNames, newline-separated */
	const char *cond;       /* the Condition block, JSON (kept for display) */
	int not_action, not_resource, conditional;
};
int graph_tx_rule(struct graph_tx *t, const struct graph_rule *r);
/* subject (a node key) gets owner's rules: kind "identity", "boundary",
 * "binding" (scope: the namespace of a RoleBinding, NULL cluster-wide). */
int graph_tx_attach(struct graph_tx *t, const char *provider, const char *kind,
		    const char *subject, const char *owner, const char *scope);

/* ---- the correlator (findings.c, incident*.c, rules*.c) ----------------- */

extern const struct cmd_entry cmd_correlate_entry;
extern const struct cmd_entry cmd_incidents_entry;
extern const struct cmd_entry cmd_incident_entry;
extern const struct cmd_entry cmd_rules_entry;

extern const struct cmd_entry cmd_reach_entry;
extern const struct cmd_entry cmd_whois_entry;

#endif
