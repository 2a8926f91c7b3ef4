/*
 * engine.h - what the correlator's files share inside correlate/.
 *
 *   evrow.c      events rows <-> struct event
 *   strmap.c     a string-keyed hash map with an arena (per-run state)
 *   findings.c   pass 1: new events x rules -> findings (stateless, windows,
 *                first-seen against the baselines table)
 *   attribute.c  host events -> the workload they came from
 *   incident.c   pass 2: findings -> incidents (exposure, credentials,
 *                use after exposure, reach, plan) and their JSON report
 */
#ifndef CORDON_CORRELATE_ENGINE_H
#define CORDON_CORRELATE_ENGINE_H

#include <sqlite3.h>

#include "rules.h"

/* ---- evrow.c ---- */
/* "id, ts_ns, source, ..." in fields.def order (event columns from 1). */
int evrow_columns(struct buf *b);
void evrow_fill(sqlite3_stmt *st, int first_col, struct event *ev);
/* Whether SQL with ?1 bound to arg returns a row; on_error when it cannot run. */
int sql_exists_text(sqlite3 *db, const char *sql, const char *arg, int on_error);

/* ---- strmap.c ---- */
struct strmap_entry {
	char *key;
	size_t klen;
	uint64_t hash;
	int64_t a, b, c; /* caller's values */
};
struct strmap {
	struct strmap_entry *slot;
	size_t cap, n;
};
void strmap_init(struct strmap *m);
void strmap_release(struct strmap *m);
/* Find or insert (new entries have a = b = c = 0 and *created = 1). */
struct strmap_entry *strmap_get(struct strmap *m, const char *key, size_t klen, int *created);
struct strmap_entry *strmap_find(const struct strmap *m, const char *key, size_t klen);

/* ---- attribute.c ---- */
/*
 * Whatever ran the code: a container (and its pod), a pod seen only
 * through the API, a serverless function, a host.  Every kind has a kind
 * name, a stable id and where it ran; the kind-specific fields are empty
 * for the others.
 */
struct workload {
	char kind[16];       /* "container", "pod", "function", "sandbox", "host" */
	char id[600];        /* stable: container id, pod uid (or ns/name), function ARN, host */
	char where[256];     /* host; a function's "aws:REGION:ACCOUNT" or "gcp:LOCATION:PROJECT" */
	char container_id[72], pod_ns[256], pod_name[256], pod_uid[64], host[256], image[256];
	char name[256];      /* a function's name; a sandbox's launcher and job ("bwrap ...") */
	int64_t root_pid, root_start; /* a sandbox's launcher: host pid and exec time (ns) */
	char runtime[64];    /* a function's runtime */
	char identity[320];  /* the identity it runs as: a function's execution role */
	char how[64]; /* "container id", "pid join", "ancestry", "host", "function session",
		       * "sandbox lineage", "oidc session" */
	/* a CI job's (ci_job.c): the OIDC subject its cloud session was issued
	 * to, its repository, workflow file, run, self-hosted runner id, and
	 * its prepared_workflow_job event (0: the audit log does not have it) */
	char ci_subject[256], ci_repo[200], ci_workflow[200], ci_runner_id[32];
	int64_t ci_run, ci_job_event;
	/* jobs the exchange's address could not tell apart ("RUN/JOB" lines;
	 * empty when the join decided): then id names their run, or the
	 * subject and exchange time when they are of several runs */
	char ci_candidates[512];
	/* a job's GCP federated principal (principal://.../subject/SUB), ci_gcp.c */
	char ci_principal[400];
};
/* Attribute an event to a workload (ev fields first, then host+pid+time
 * joins against exec events of eBPF sources, following ppid). */
int attribute_event(sqlite3 *db, const struct event *ev, struct workload *w);
/* What the kubectl inventory says of a pod (graph node attrs). */
struct inv_pod {
	char key[600];   /* "ns/name" */
	char uid[64], node[256], sa[256], ip[64];
};
/* The inventory's pod named ns/name, else the one with uid; 1 when found. */
int inventory_pod(sqlite3 *db, const char *ns, const char *name, const char *uid, struct inv_pod *out);
/* The workload's key: "fn:" + a function's ARN, "sbx:HOST:PID:START" (a
 * host process sandbox's launcher), "ctr:" + 12 hex, else "pod:" + uid,
 * else "host:" + host. */
void workload_key(const struct workload *w, char *out, size_t cap);
/* Fill kind, id and where from the kind-specific fields (attribution does;
 * call it after setting them by hand). */
void workload_settle(struct workload *w);
/* The function whose execution-role session the AWS key cred_id is (learned
 * from AssumeRole by lambda.amazonaws.com); 1 when found, w filled. */
int function_of_session(sqlite3 *db, const char *cred_id, struct workload *w);
/* attribute_gcp.c: the Cloud Run service or Cloud Function a GCP audit
 * event's service-account token belongs to (the only one running as the
 * account; not impersonated, no user-managed key); 1 when found, w filled
 * (kind "function", id its resource name, where "gcp:LOCATION:PROJECT"). */
int gcp_service_of_event(sqlite3 *db, const struct event *ev, struct workload *w);

/* ---- sandbox_unit.c ---- */
/* Whether the process (host, pid) a child of pid 1 exec'd as exe/argv at
 * start is a sandboxed systemd unit's MainPID (systemd-run with namespace
 * properties, or namespaces of its own); 1 when so, w filled (kind
 * "sandbox", name "unit=NAME ..."). */
int sandbox_unit(sqlite3 *db, const char *host, int64_t pid, const char *exe, const char *argv,
		 int64_t start, struct workload *w);

/* ---- ns_host.c ---- */
/* The host's mount namespace inode near ts, from Tracee (pid 1's, a
 * launcher's, else the one most children of pid 1 share); 1 when known. */
int host_mount_ns(sqlite3 *db, const char *host, int64_t ts, char *out, size_t cap);
/* The rules' `namespace host`, before attribution (cheap): 0 when ev is a
 * Tracee exec carrying a mount namespace that is not the host's, or that
 * is and so was the process's or its parent's record before it (no
 * namespace was entered); else 1. */
int ns_host_entered(sqlite3 *db, const struct event *ev, struct json_tokens *toks);
/* The rules' `namespace host`: 0 when ev is a Tracee exec carrying a
 * mount namespace that is not the host's, or w is no sandbox; else 1. */
int ns_host_exec(sqlite3 *db, const struct event *ev, const struct workload *w, struct json_tokens *toks);

/* ---- target.c ---- */
/* Whether the process the event acts on (a ptrace's, process_vm_readv's,
 * /proc/PID/mem's) lies outside workload w, the event's own; 0 when the
 * event names no target or names it only within w's pid namespace. */
int target_outside(sqlite3 *db, const struct event *ev, const struct workload *w,
		   struct json_tokens *toks);

/* ---- ci_job.c ---- */
/* SQL: an event that exchanged a GitHub job's OIDC token (AWS
 * AssumeRoleWithWebIdentity, GCP STS ExchangeToken), and its subject. */
#define CI_EXCHANGE_SQL \
	"(action = 'sts:AssumeRoleWithWebIdentity' OR source = 'gcpaudit'" \
	" AND action LIKE '%SecurityTokenService.ExchangeToken')"
#define CI_EXCHANGE_SUBJECT_SQL \
	"(CASE WHEN source = 'gcpaudit' THEN substr(actor, instr(actor, '/subject/') + 9)" \
	" WHEN json_valid(extra) THEN json_extract(extra, '$.web_identity_subject') END)"

/* The AWS keys issued to GitHub Actions jobs through OIDC (learned from
 * AssumeRoleWithWebIdentity from token.actions.githubusercontent.com),
 * sorted, into *set. */
int ci_sessions_load(sqlite3 *db, char ***set, size_t *n);
/* The CI job whose OIDC session the AWS key cred_id is; 1 when found, w
 * filled (kind "ci-job"). */
int ci_job_of_session(sqlite3 *db, const char *cred_id, struct workload *w);
/* The CI job that exchanged OIDC subject sub ("repo:O/R:...") at ts from
 * addr (identity: what it was exchanged for); 1 when sub is a job's. */
int ci_job_of_exchange(sqlite3 *db, const char *sub, int64_t ts, const char *addr, const char *identity,
		       struct workload *w);
/* ci_gcp.c: the CI job of a GCP event of a job's federated identity
 * (ci_wif_principal), by its ExchangeToken's subject, time and address;
 * 1 when found, w filled (kind "ci-job"). */
int ci_job_of_gcp_event(sqlite3 *db, const struct event *ev, struct workload *w);
/* Whether ip is a CI runner's, for an incident with a CI job among members:
 * a GitHub OIDC token was exchanged from it at or before `before` (runners
 * are shared: another job's session there is not the attacker's). */
struct strv;
int ci_runner_address(sqlite3 *db, const struct strv *members, const char *ip, int64_t before);
/* The job the jobs API says was running on self-hosted runner host at ts;
 * 1 when found, w filled (kind "ci-job"). */
int ci_job_on_runner(sqlite3 *db, const char *host, int64_t ts, struct workload *w);
/* ci_runner_addr.c: whether self-hosted runner `runner` calls from ip,
 * learned from events before `before` (its audit-log events' actor_ip, or
 * an earlier exchange from ip while it ran the repository's only live job). */
int ci_runner_at(sqlite3 *db, const char *runner, const char *ip, int64_t before);
/* Each secret name the job was passed (names only), to fn. */
void ci_job_secrets(sqlite3 *db, const struct workload *w, void (*fn)(void *arg, const char *name),
		    void *arg);

/* ---- attribute_host.c ---- */
/* A container with no host from its sources: the host where its processes'
 * host pids were seen at the same time (auditd); left empty when unsure. */
void host_of_container(sqlite3 *db, struct workload *w);
/* The full name of a host a source cut to its first 15 characters
 * (Tracee's hostName is the 16-byte UTS name): the one longer host the
 * other sources name with that prefix; 0 (out untouched) otherwise. */
int host_full_name(sqlite3 *db, const char *host, char *out, size_t cap);

/* ---- secret_keys.c ---- */
/* 0 when the inventory lists a Secret's key names (locator "k8s-secret:NS/N")
 * and none could hold a cloud key or credentials file; else 1. */
int secret_may_hold_cloud_key(sqlite3 *db, const char *locator);

/* ---- findings.c ---- */
struct corr_opts {
	const char *rules_dir;
	int64_t learn_ns;     /* 0: the rule's own (default 14 days) */
	int progress;
};
struct corr_stats {
	int64_t events, findings, candidates;
	int64_t rule_errors;  /* rule evaluations a regex limit left unanswered (see rejects) */
	double seconds_rules, seconds_incidents;
};
/* How long a correlate run waits for another writer's transaction (a
 * follower's batch, a revocation's audit row: each short) before it gives up. */
#define CORR_WRITE_WAIT_NS ((int64_t)120 * 1000000000LL)
/* Match the new events: read and matched with no lock held, then what it
 * found written in one short write transaction of its own. */
int findings_run(struct store *s, const struct ruleset *rs, const struct known_net *net,
		 const struct corr_opts *o, struct corr_stats *stats, char **cause);
int known_net_load(sqlite3 *db, struct known_net *net, char **cause);
void known_net_release(struct known_net *net);

/* ---- cmd_incidents.c ---- */
/* Incidents updated since `since` (INT64_MIN: all): a table or the reports. */
int incidents_list(struct store *s, enum out_format fmt, int64_t since);

/* ---- incident.c ---- */
struct incident_change { int64_t opened, changed, unchanged; };
/* Assembled with no lock held; each incident opened or changed is written
 * in a write transaction of its own. */
int incidents_build(struct store *s, const struct ruleset *rs, int64_t since_ns,
		    struct incident_change *ch, char **cause);
/* The first and last event time of the store (TIME_NONE for both when it
 * holds none), asked once a run: a few lookups per stream at the ends of
 * the dedup index's runs; min() and max() over the table read every row
 * instead (0.36 s on 1.4M events, 1.4 s on 10M, every run).  The unit
 * tests check this statement's plan. */
#define HISTORY_SPAN_SQL STORE_TIME_BOUNDS_SQL
void history_span(sqlite3 *db, int64_t *first, int64_t *last);

#endif
