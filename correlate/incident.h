/*
 * incident.h - the incident builder's shared state (incident*.c only).
 */
#ifndef CORDON_CORRELATE_INCIDENT_H
#define CORDON_CORRELATE_INCIDENT_H

#include "engine.h"

struct strv {
	char **s;
	size_t n;
};
void strv_add_unique(struct strv *v, const char *s);
void strv_release(struct strv *v);

struct finding {
	int64_t event_id, ts;
	char *rule, *cls, *severity, *workload, *identity, *cred_id, *summary;
	char *source, *host, *object, *action, *dst;
	int wl; /* index into workloads, -1 for usage findings */
};

struct wl {
	char *key;
	struct workload d;
	int parent;        /* -1: a root */
	char why[300];     /* why it belongs to its parent */
	int64_t first, last;
};

struct inc_ctx {
	const struct ruleset *rs;
	struct store *s;
	struct finding *f;
	size_t nf;
	struct wl *w;
	size_t nw;
	/* (host, pod uid, path) the graph holds no secret for: asked once a
	 * run, not once per signal (nothing writes the graph meanwhile) */
	struct strmap no_secret;
	/* the store's first and last event (history_span), TIME_NONE when empty */
	int64_t history_first, history_last;
};

struct exposed {
	char *kind, *locator;
	char *graph_key;  /* the secret node behind it ("file:*:..." for a map glob) */
	int64_t ts;
	char *via; /* the rule that exposed it */
	int mapped; /* an inventory or the map names a credential behind it */
};

struct cred {
	char *provider, *id, *identity;
	int64_t exposed_ts;
	int used_after;
	struct strv anomalies;
	/* learned from the logs (no inventory states it): how sure, and the
	 * chain of evidence, one step per item */
	const char *confidence; /* "high", "medium"; NULL when stated */
	struct strv evidence;
};

struct reach {
	char *provider, *identity;
	struct strv path;
	int conditional;
};

struct step {
	char *provider, *action, *target, *why;
};

struct incident {
	int root;
	struct strv members;           /* workload keys in the tree */
	int64_t first, last;
	int sev;                       /* enum rule_sev */
	int anomalous_use;             /* a credential was used with anomalies after exposure */
	struct exposed *ex;  size_t nex;
	struct cred *cr;     size_t ncr;
	struct reach *re;    size_t nre;
	struct step *plan;   size_t nplan;
	struct strv identities;        /* exposed identities (graph keys) */
	int64_t *sig;        size_t nsig; /* finding indexes in ctx */
	int node_escape;               /* a signal exposed a whole node */
	int64_t history_from;          /* the store's first event: baselines had from
					* then to the first signal to learn from */
	struct strv escaped_nodes;
	/* hosts an escape signal reached (a node's or a sandbox's host, known
	 * to an inventory or not): a SPIRE agent there is the attacker's */
	struct strv reached_hosts;
};

/* Add (or merge into) the incident's credential id / its plan's step. */
struct cred *add_cred(struct incident *inc, const char *provider, const char *id,
		      const char *identity, int64_t ts);
void add_step(struct incident *inc, const char *provider, const char *action, const char *target,
	      const char *why);

/* incident_keymat.c: a Vault token and what it was exchanged for expose
 * each other; the steps that cut certificates, SSH, SPIFFE and signing keys. */
void keymat_exchanged(const struct inc_ctx *c, struct incident *inc);
void plan_keymat(sqlite3 *db, struct incident *inc);
/* incident_spire.c: an exposed SVID's entries deleted, the SPIRE agent on a
 * host the escape reached (or whose socket it used) evicted. */
void plan_spire(sqlite3 *db, struct incident *inc);
/* Whether cr is key material whose identity is a relying party's whole
 * graph key ("k8s:USER", "vault:NAME"), not a name of cr's provider. */
int keymat_identity(const struct cred *cr);
/* The other ids of key material id (a certificate inventory's same-as:
 * the SHA-256 Kubernetes audit names a certificate by), added to ids. */
void keymat_aliases(sqlite3 *db, const char *id, struct strv *ids);
/* A certificate in the incident under its serial and its SHA-256 (a
 * network join finds the latter in Kubernetes audit): one credential. */
void keymat_merge_aliases(sqlite3 *db, struct incident *inc);
/* The cert-manager Certificate (NS/NAME) that writes a Secret
 * ("k8s-secret:NS/NAME"), into out: 1 if the inventory has one. */
int keymat_cert_writer(sqlite3 *db, const char *secret, char *out, size_t cap);

void incident_assemble(struct inc_ctx *c, sqlite3 *db, struct incident *inc);
/* One plan entry (duplicates dropped; an empty target adds nothing). */
void add_step(struct incident *inc, const char *provider, const char *action, const char *target,
	      const char *why);
/* incident_gcp.c: contain a GCP serverless root, cut its account's
 * tokens and keys, rotate the Secret Manager secrets it exposed. */
void plan_gcp_service(sqlite3 *db, struct incident *inc, const struct workload *root);
int incident_store(struct inc_ctx *c, sqlite3 *db, const struct incident *inc,
		   struct incident_change *ch);
void incident_release(struct incident *inc);
/* The JSON of one incident (the contract in README.md). */
int incident_json(const struct inc_ctx *c, const struct incident *inc, const char *id,
		  struct buf *b);

/* routine.c: whether a finding is its workload's routine (its image did
 * the same before, as the baselines learned): such a finding joins nothing */
int finding_routine(sqlite3 *db, const struct rule *r, const struct finding *f, const struct workload *w);
/* Detach (wl = -1) every finding that is its workload's routine. */
void routine_mark(struct inc_ctx *c, sqlite3 *db);

#endif
