/*
 * inv.h - inventory files (IAM, Kubernetes, Vault, GCP, the credential map)
 * inside ingest/: what the driver calls and what the inv_*.c parsers share.
 *
 * An inventory is not a stream of events but a snapshot: it is probed by
 * content like a log format, read whole (at most INV_MAX_BYTES), parsed,
 * and written into the identity graph (correlate.h graph_tx_*) in one
 * SAVEPOINT, so a bad file stores nothing and takes nothing away.
 *
 *   inventory.c        the static table, probing, the load, fuzz entry
 *   inv_util.c         whole-document JSON, strings, errors, names
 *   inv_awsauthz.c     aws iam get-account-authorization-details
 *   inv_awskeys.c      aws iam list-access-keys
 *   inv_k8s.c          kubectl get ... -o json (Lists and single objects)
 *   inv_k8s_certs.c    cert-manager Certificates in them: Certificate -> Secret
 *   inv_vault.c        vault token lookup -format=json; Vault policies
 *   inv_gcp.c          gcloud service-account keys; get-iam-policy
 *   inv_lambda.c       aws lambda list-functions / get-function-configuration
 *   inv_gcprun.c       Cloud Run services, Cloud Functions (gcloud, REST v2)
 *   inv_credmap.c      the hand-written credential map
 *   inv_certs.c        PEM certificates: serial, SHA-256, subject as k8s user
 *   inv_spire.c        SPIRE entries (entry id <-> SPIFFE ID, parent) and agents
 *   inv_sshkeys.c      SSH public keys and certificates: SHA256 fingerprints
 */
#ifndef CORDON_INGEST_INV_H
#define CORDON_INGEST_INV_H

#include "private.h"
#include "../correlate/correlate.h"

#define INV_MAX_BYTES ((size_t)256 << 20) /* one inventory file, decompressed */

/* One inventory file being loaded. */
struct inv_ctx {
	struct graph_tx *tx;
	const char *path;    /* as reported */
	char stem[256];      /* file name without directory and extension */
	const char *data;    /* the whole file */
	size_t len;
	char why[512];       /* why the file was rejected */
	int64_t objects;     /* entries loaded (a file with none is rejected) */
	int64_t nodes, edges; /* what the load wrote into the graph (for the summary) */
};

struct inventory {
	/** MUST: format name (--format, `cordon ingest --help`, inputs.format) */
	const char *name;
	/** MUST: one line for --help */
	const char *summary;
	/**
	 * MUST: how sure this is its kind, from the first bytes.
	 * @retval 0..100  0 = not mine; beats a log format only when higher
	 */
	int (*probe)(const char *head, size_t len);
	/**
	 * MUST: parse data[0..len) and write it through c->tx.
	 * @retval CD_OK       everything written
	 * @retval CD_E_PARSE  bad input: c->why says where and why (inv_fail)
	 * @retval CD_E_DB     store error
	 */
	int (*load)(struct inv_ctx *c);
};

extern const struct inventory *const inventories[];
const struct inventory *inventory_find(const char *name);
/* forced: the --format name or NULL; else the best probe if it beats every
 * log format's. */
const struct inventory *inventory_choose(const char *forced, const char *head, size_t len);

/*
 * Load one input (the driver's run_open hands over its source, the head
 * already read into win, and the input row).  Unchanged since the last run:
 * sum->skipped.  On bad input: sum->error set, CD_E_PARSE (the driver
 * records the reject).
 */
int inventory_run(const struct inventory *inv, struct store *s, struct writer *w,
		  struct source *src, struct buf *win, struct store_input *in,
		  struct ingest_input_summary *sum);

/* Fuzzing and unit tests: load a buffer as format into s (own transaction). */
int inventory_buffer(struct store *s, const char *format, const char *data, size_t len,
		     char *why, size_t whycap);

/* ---- inv_util.c ---------------------------------------------------------- */

/* Record why the file is bad, with the line of byte offset off (-1: none). */
int inv_fail(struct inv_ctx *c, int64_t off, const char *fmt, ...) CD_PRINTF(3, 4);

/* The whole file as one JSON value, tokens allocated to fit (counted first). */
int inv_json(struct inv_ctx *c, struct json_doc *d, struct json_tokens *t);
/* Byte offset of token i, for errors. */
int64_t inv_off(const struct json_doc *d, int i);
/* A decoded string token (or a primitive's text) as a new string; NULL when
 * absent, null or not a scalar. */
char *inv_str(const struct json_doc *d, int i);
/* The value at a dotted path, decoded (inv_str of json_path). */
char *inv_path(const struct json_doc *d, int obj, const char *path);
/* A string or array of strings as one newline-separated string (NULL if neither). */
char *inv_strlist(const struct json_doc *d, int i);
/* Whitespace-free JSON text of token i (bounded), or NULL. */
char *inv_compact(const struct json_doc *d, int i);
/* Whether head's first non-blank byte is c. */
int inv_head_starts(const char *head, size_t len, char c);
/* One member of a node's attrs object; val NULL is JSON null. */
struct inv_attr {
	const char *key;
	const char *val;
};
/* {"key":"val",...} as a new string; "" when it passes 64 KiB (a cut
 * object would be invalid JSON). */
char *inv_attrs(const struct inv_attr *a, size_t n);
/* Whether an environment value is shaped like a written-in credential (an
 * AWS key id, a GitHub or Slack token, a PEM key, a URL with a password). */
int inv_secret_shaped(const char *v);
/* inv_k8s_certs.c: one cert-manager Certificate (*loaded: 1 when it was
 * one; another API group's Certificate is skipped). */
int inv_k8s_certificate(struct inv_ctx *c, const struct json_doc *d, int obj, const char *ns,
			const char *name, int *loaded);
/* The buffer's bytes as a string; the buffer is released. */
char *inv_take(struct buf *b);

extern const struct inventory inv_awsauthz;
extern const struct inventory inv_awskeys;
extern const struct inventory inv_k8s;
extern const struct inventory inv_vaulttoken;
extern const struct inventory inv_vaultpolicy;
extern const struct inventory inv_gcpkeys;
extern const struct inventory inv_gcpiam;
extern const struct inventory inv_credmap;
extern const struct inventory inv_lambda;
extern const struct inventory inv_gcprun;
extern const struct inventory inv_certs;
extern const struct inventory inv_spire_entries;
extern const struct inventory inv_spire_agents;
extern const struct inventory inv_sshkeys;

#endif
