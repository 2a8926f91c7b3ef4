/*
 * connectors.h - the public interface of connectors/: one const vtable per
 * provider (AWS, Kubernetes, Vault, GitHub, GCP, webhook), all HTTP through
 * one libcurl wrapper.
 *
 *   registry.c   the static table of connectors; lookup by name
 *   http.c       the one libcurl wrapper: TLS, timeouts, retries, dry-run
 *   api.c        one provider call: send, record, judge the answer
 *   xml.c        bounded cursor extractor for AWS query-protocol XML
 *   ini.c        ~/.aws/credentials and ~/.aws/config (INI subset)
 *   kubeconfig.c a kubeconfig file (YAML through libyaml, or JSON) as flat paths
 *   kubemerge.c  which kubeconfig files kubectl reads, merged by its rules
 *   k8s_exec.c   kubeconfig exec credential plugins, cached for the run
 *   gcp_adc.c    GCP Application Default Credentials (key files, metadata)
 *   util.c       base64, URL encoding, secrets read from files, headers
 *   shared.c     state the steps of one run share (a batch of tokens)
 *   aws*.c k8s.c vault.c github.c gcp.c webhook.c   the providers
 *                (k8s_contain.c: isolation and scaling; k8s_certs.c: cert-manager;
 *                vault_pki.c: certificates; aws_lambda.c: functions; github_ci.c:
 *                workflows and runners; ssh.c and krl.c: OpenSSH KRLs;
 *                spire.c over grpc.c: SPIRE entries and agents)
 *                (aws_chain.c and its sources: the AWS CLI's credential chain)
 *
 * Every action checks the current state, acts, then reads the state back.
 * "Already in the target state" is success (CONN_ALREADY) only when it is
 * proven: the target is the caller's (its owner or namespace could be read)
 * and a read-back shows it absent or inactive.  A target the caller cannot
 * see (another account's key, a mistyped id, a forbidden namespace) is a
 * failure that says why, never "already".  Actions are
 * thread-safe: each call opens its own configuration and curl handle, so a
 * revoke pool may run independent targets at once.  What they share is
 * locked: temporary AWS credentials (aws_chain.c's cache, so parallel steps
 * assume a role once) and a run's batches (conn_shared: GitHub revokes the
 * run's tokens in one call).  No secret (provider
 * credentials, a token being revoked, a new key's secret) is ever copied
 * into a conn_result text field; the one exception is conn_result.secret,
 * which carries a freshly rotated secret to the caller only.
 */
#ifndef CORDON_CONNECTORS_H
#define CORDON_CONNECTORS_H

#include "../core/core.h"

enum conn_outcome {
	CONN_DONE = 0,   /* acted and verified */
	CONN_ALREADY,    /* already in the target state: nothing to do (success) */
	CONN_FAILED,     /* failed; detail says why */
	CONN_DRYRUN,     /* --dry-run: requests printed, nothing sent */
};

const char *conn_outcome_name(enum conn_outcome o);

/* What one action did.  Text fields never hold secrets. */
struct conn_result {
	enum conn_outcome outcome;
	long http_status;        /* status of the acting request (0: none sent) */
	char request_id[128];    /* the provider's request id for it */
	char request[1024];      /* summary of the requests sent, in order */
	char verified[256];      /* the state read back afterwards */
	char undo[256];          /* "ACTION TARGET" on the same provider that reverses this */
	char detail[1024];       /* why it failed; notes */
	char new_id[160];        /* rotations: the new credential's id (not secret) */
	char *secret;            /* rotations: the new secret, for the caller only; freezero */
	size_t secret_len;
	/* The target was not found and nothing the provider said proves it was
	 * ever the caller's (outcome CONN_FAILED).  When set, the action (same
	 * provider) whose verified success would prove it gone: the caller may
	 * turn the failure into CONN_ALREADY if its own audit trail holds such
	 * a success on this target. */
	char absent_by[64];
};

void conn_result_init(struct conn_result *r);
/* Wipes and frees the secret. */
void conn_result_release(struct conn_result *r);

/* State the steps of one run share (conn_opts.shared): made by the run,
 * freed by it after the last step. */
struct conn_shared;
struct conn_shared *conn_shared_new(void);
void conn_shared_free(struct conn_shared *sh);

/* Options that apply to every request of a run. */
struct conn_opts {
	int dry_run;           /* print requests (secrets redacted); send nothing */
	FILE *dry_out;         /* where dry-run and debug output goes */
	int debug;             /* also print each request as it is sent (redacted) */
	/* An input secret an action needs (the GitHub token to revoke), read
	 * from a file or stdin by the caller; wiped by the caller. */
	const char *input_secret;
	size_t input_secret_len;
	const char *aws_profile;   /* --profile NAME: beats the environment's keys */
	/* The run's shared state; NULL: every step stands alone. */
	struct conn_shared *shared;
	/* Kubernetes: --kubeconfig (that file only) and --context; NULL: as
	 * kubectl defaults (KUBECONFIG merged, its current-context). */
	const char *kubeconfig;
	const char *kube_context;
};

/* The tokens of an input secret: one per line, blank lines and "#"
 * comments skipped; at most max.  Returns how many. */
int conn_secret_tokens(const char *in, size_t len, struct span *out, int max);
/* The audit target naming a secret without holding it: its kind (a GitHub
 * token's prefix, "ghp_") and a SHA-256 prefix, "ghp_... sha256:0123abcd4567". */
void conn_secret_label(const char *tok, size_t n, char *out, size_t cap);

/* Phases of a plan, in the order they run. */
enum conn_phase {
	PHASE_QUARANTINE = 1, /* stop the compromised workload */
	PHASE_REVOKE,         /* disable/revoke per identity */
	PHASE_ROTATE,         /* rotations */
	PHASE_CLEANUP,        /* persistence cleanup */
	PHASE_NOTIFY,         /* tell people */
};

#define CONN_F_REVERSIBLE   0x01 /* undo is possible (undo names the action) */
#define CONN_F_NONIDEMPOTENT 0x02 /* never retried blindly: state is re-read */
#define CONN_F_NEEDS_SECRET 0x04 /* needs conn_opts.input_secret */
#define CONN_F_UNDO_ONLY    0x08 /* only reached through `revoke undo` */
#define CONN_F_READONLY     0x10 /* reads only: not a plan step, not audited */
#define CONN_F_TEXT         0x20 /* the target is free text: redacted before it is shown or stored */

struct conn;

/* One thing a provider can do to a target. */
struct conn_action {
	const char *name;          /* MUST: plan vocabulary ("disable-key") */
	const char *target_doc;    /* MUST: what the target is, for --help and errors */
	unsigned flags;            /* MAY: CONN_F_* */
	enum conn_phase phase;     /* MUST: where it goes in a plan */
	const char *undo;          /* MAY: the action (same provider) that reverses it */
	/* MUST: check, act, verify.  Fills res; returns CD_OK unless the
	 * failure is a usage error (bad target): CD_E_USAGE. */
	int (*run)(struct conn *c, const char *target, struct conn_result *res);
};

/* One provider. */
struct connector {
	const char *name;                  /* MUST: "aws" */
	const struct conn_action *actions; /* MUST: ends with a zeroed entry */
	/* MUST: read configuration from the environment and files into
	 * *cdata; *cause gets a message naming the missing setting. */
	int (*open)(void **cdata, char **cause);
	/* MAY: as open, with the run's options (a provider whose
	 * configuration a command-line option chooses); used instead of open. */
	int (*open_opts)(const struct conn_opts *o, void **cdata, char **cause);
	/* MUST: wipe and free what open made. */
	void (*close)(void **cdata);
};

/* An open provider: the vtable, its configuration, the run's options. */
struct conn {
	const struct connector *ops;
	void *cdata;
	const struct conn_opts *opts;
};

/* All connectors, ending with NULL. */
extern const struct connector *const conn_table[];
const struct connector *conn_find(const char *name);
const struct conn_action *conn_action_find(const struct connector *c, const char *name);
/* Open a provider's configuration; CD_OK or an error with *cause set. */
int conn_open(const struct connector *ops, const struct conn_opts *opts, struct conn *c,
	      char **cause);
void conn_close(struct conn *c);
/* Run one action: validates, runs, never returns with a secret in a text field. */
int conn_run(struct conn *c, const struct conn_action *a, const char *target,
	     struct conn_result *res);

/* Read a credential from a file ("-": stdin), trailing whitespace removed;
 * the caller wipes it with freezero(out, len + 1). */
int conn_read_secret(const char *path, char **out, size_t *len, char **cause);

/* Global libcurl setup: call once from the main thread before any worker. */
int conn_global_init(void);
void conn_global_cleanup(void);

/*
 * Pulling logs from AWS (aws_pull.c; `cordon ingest s3://` and
 * `cwlogs://`): the AWS connector's credential chain and configuration,
 * an endpoint for the service (S3 or CloudWatch Logs), SigV4 signing.
 */
struct conn_aws_pull;
struct curl_slist;
struct conn_aws_pull_opts {
	const char *profile;   /* --profile, or NULL */
	const char *region;    /* signing region; NULL: AWS_REGION, the profile's, then: */
	const char *region_default; /* NULL: us-east-1 */
	const char *endpoint;  /* --endpoint, or NULL (then AWS_ENDPOINT_URL_*, the profile's) */
	const char *service;   /* "s3" or "logs" */
};
int conn_aws_pull_open(const struct conn_aws_pull_opts *po, struct conn_aws_pull **out,
		       char **cause);
void conn_aws_pull_close(struct conn_aws_pull **p);
const char *conn_aws_pull_region(const struct conn_aws_pull *p);
/* Where the credentials came from (never a secret). */
const char *conn_aws_pull_source(const struct conn_aws_pull *p);
/* A GET of url on a curl easy handle, signed (headers appended to *hl,
 * which the caller frees after the transfer). */
int conn_aws_pull_easy(const struct conn_aws_pull *p, void *easy, const char *url,
		       struct curl_slist **hl);
/* The URL of an object (key NULL: of the bucket, ending in '/'). */
int conn_s3_url(const struct conn_aws_pull *p, const char *bucket, const char *key, struct buf *out);

struct conn_s3_list_req {
	const char *bucket;
	const char *prefix;
	const char *token;     /* continuation token, or NULL for the first page */
	int delimiter;         /* 1: group by '/' (the next level's prefixes) */
	int max_keys;          /* 0: 1000 */
};
struct conn_s3_item {
	const char *key;       /* the key, or with is_prefix a common prefix */
	const char *etag;
	int64_t size;
	int is_prefix;
};
/* One ListObjectsV2 page: each item to each(); *next is the continuation
 * token (free it) or NULL on the last page.  CD_E_NOTFOUND: no bucket. */
int conn_s3_list(const struct conn_aws_pull *p, const struct conn_s3_list_req *lq,
		 int (*each)(void *arg, const struct conn_s3_item *it), void *arg, char **next,
		 char **cause);
/* One CloudWatch Logs call (X-Amz-Target Logs_20140328.OP), JSON body in,
 * the answer's body in out; throttling is retried with back-off. */
int conn_logs_call(const struct conn_aws_pull *p, const char *op, const char *body,
		   struct buf *out, long *status, char **cause);

#endif
