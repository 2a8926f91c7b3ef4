/*
 * private.h - what the files of connectors/ share: the HTTP wrapper, the
 * bounded parsers of provider configuration and responses, and helpers.
 */
#ifndef CORDON_CONNECTORS_PRIVATE_H
#define CORDON_CONNECTORS_PRIVATE_H

#include "connectors.h"

/* ---- http.c ----------------------------------------------------------- */

#define HTTP_MAX_BODY ((size_t)4 << 20) /* a response larger than this is an error */
#define HTTP_MAX_HEADERS 16

/* TLS material: files, or PEM bytes held in memory (kubeconfig *-data). */
struct http_tls {
	const char *ca_file;
	const char *ca_pem;     /* PEM bytes; NUL-terminated */
	size_t ca_pem_len;
	const char *cert_file;
	const char *key_file;
	const char *cert_pem;
	size_t cert_pem_len;
	const char *key_pem;    /* secret */
	size_t key_pem_len;
};

/* Classify a response as worth retrying (throttle) beyond the generic rules. */
struct http_resp;
typedef int (*http_throttle_fn)(const struct http_resp *rs);

struct http_req {
	const char *method;                   /* MUST */
	const char *url;                      /* MUST */
	const char *url_shown;                /* MAY: what dry-run shows when the URL holds a secret */
	const char *headers[HTTP_MAX_HEADERS]; /* "Name: value"; NULL ends the list */
	int secret_header[HTTP_MAX_HEADERS];  /* 1: value shown as [REDACTED] */
	const char *body;                     /* MAY (POSTFIELDS: what SigV4 hashes) */
	size_t body_len;
	const char *body_shown;               /* MAY: what dry-run shows when body holds a secret */
	const char *sigv4;                    /* MAY: "aws:amz:REGION:SERVICE" */
	const char *userpwd;                  /* with sigv4: "AKID:SECRET" (secret) */
	const char *basic_user;               /* MAY: HTTP basic auth user (not secret) */
	const struct http_tls *tls;           /* MAY */
	int idempotent;                       /* 1: may be retried blindly */
	int metadata;                         /* a link-local metadata service: 1 s timeouts, one attempt */
	const char *reqid_headers[4];         /* response headers carrying a request id */
	http_throttle_fn throttle;            /* MAY: provider throttle signals */
	const char *unix_socket;              /* MAY: connect to this socket (a local admin API) */
	int h2c;                              /* HTTP/2 without TLS, prior knowledge (gRPC) */
};

struct http_resp {
	long status;              /* 0: nothing received (or dry-run) */
	struct buf body;          /* capped at HTTP_MAX_BODY */
	char request_id[128];
	char error[256];          /* transport error text */
	int64_t retry_after_ms;   /* from Retry-After / rate-limit reset; -1 none */
	int ratelimit_zero;       /* x-ratelimit-remaining: 0 */
	int attempts;
	int64_t waited_ms;        /* total back-off slept */
	int dry_run;
	int grpc_status;          /* gRPC: grpc-status (header or trailer); -1 none */
	char grpc_message[256];   /* gRPC: grpc-message, percent-decoded */
};

void http_resp_init(struct http_resp *rs);
void http_resp_release(struct http_resp *rs);
/* Append a header ("Name: value"), marking it secret or not. */
void http_req_header(struct http_req *rq, const char *h, int secret);
/*
 * Send with retries: transport errors, 429, 500/502/503/504/509 and what
 * rq->throttle says, while attempts remain and the request is idempotent;
 * honours Retry-After and rate-limit reset.  Returns CD_OK when a response
 * arrived (any status; dry-run: status 0), CD_E_IO when none did.
 */
int http_send(const struct conn_opts *o, const struct http_req *rq, struct http_resp *rs);
/* Sleep before re-reading state after a non-idempotent call failed:
 * Retry-After when given (retry_after_ms >= 0), else full-jitter backoff. */
void http_pause(int attempt, int64_t retry_after_ms);
/* Print a request (secrets redacted) as dry-run/debug output does. */
void http_show(FILE *f, const char *prefix, const struct http_req *rq);

/* ---- api.c ------------------------------------------------------------ */

struct api_style;

/* The answer to one provider call.  The caller releases rs
 * (http_resp_release) whatever the call returned. */
struct api_out {
	struct http_resp rs;
	char code[96];            /* the provider's error code ("NoSuchEntity", "NotFound"); "" none */
	char message[256];        /* its error message, or why no answer came */
	const struct api_style *style;
};

/* What differs between providers in reading an answer. */
struct api_style {
	/* MUST: for an answer (not a dry-run), fill o->code and o->message
	 * from an error body, and o->rs.request_id when only the body has it. */
	void (*parse)(struct api_out *o);
	/* MUST: res_detail() what the provider said (o->rs.status != 0), or a
	 * hint when no answer came (status 0: "no response" is already there). */
	void (*explain)(struct conn_result *res, const struct api_out *o, const char *what);
};

/* What an acting call's answer may be.  Lists end at the first 0. */
struct api_expect {
	const char *what;         /* MUST: names the call in a failure ("DELETE deploy key") */
	long ok[3];               /* MUST: statuses meaning it acted */
	long gone[3];             /* MAY: statuses meaning nothing was there: already done */
	const char *gone_code;    /* MAY: a provider error code meaning the same */
};

enum api_acted { ACTED_FAILED = -1, ACTED_DRYRUN, ACTED_DONE, ACTED_ALREADY };

/* An empty answer the caller may fail on and release like any other: for
 * a call that could not even be built (CD_E_LIMIT). */
void api_out_init(struct api_out *o, const struct api_style *style);
/* Attach a body with its Content-Type header (added as the next header). */
void api_body(struct http_req *rq, const char *ctype_header, const char *body, const char *shown);
/*
 * Send rq and note it on res->request as "SHOWN -> STATUS[ CODE]" (or
 * "(dry-run)", "-> no response"); the first answer's status and request id
 * stand on res until an acting call replaces them.  CD_OK when an answer
 * arrived (or dry-run), CD_E_IO when none did (o->message says why).
 */
int api_send(struct conn *c, const struct http_req *rq, const char *shown,
	     const struct api_style *style, struct api_out *o, struct conn_result *res);
/* api_send to base + path (rq->url is set here), shown as "METHOD PATH". */
int api_rest(struct conn *c, const char *base, const char *path, struct http_req *rq,
	     const struct api_style *style, struct api_out *o, struct conn_result *res);
/* Record a failed call on res: outcome CONN_FAILED and why. */
void api_fail(struct conn_result *res, const struct api_out *o, const char *what);
/* Judge the answer (r, o) to an acting call by e, then release o->rs.
 * ACTED_DONE: res has its status and request id; ACTED_DRYRUN: res->outcome
 * is CONN_DRYRUN; ACTED_FAILED: res says why. */
int api_acted(int r, struct api_out *o, const struct api_expect *e, struct conn_result *res);
/* A read's answer: 1 there (200), 0 absent (404), -1 anything else (then,
 * with what, api_fail).  o->rs is not released. */
int api_present(int r, const struct api_out *o, const char *what, struct conn_result *res);

/* ---- xml.c ------------------------------------------------------------ */

/* First element <tag> (or <tag attr...>) inside s; its inner bytes. */
int xml_find(struct span s, const char *tag, struct span *inner);
/* Next element <tag> at or after *cur inside s (iterate lists of <member>). */
int xml_next(struct span s, const char **cur, const char *tag, struct span *inner);
/* Decode entities (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;) into out (cap). */
int xml_text(struct span s, char *out, size_t cap);

/* ---- ini.c ------------------------------------------------------------ */

/* Value of key in [section] of an INI text; *out gets a copy (free it). */
int ini_get(const char *text, size_t len, const char *section, const char *key, char **out);
/* 1 when the text has a [section] header. */
int ini_has_section(const char *text, size_t len, const char *section);

/* ---- kubeconfig.c ----------------------------------------------------- */

struct kv_entry {
	char *path;    /* "clusters[0].cluster.server" */
	char *value;
};

struct kv_doc {
	struct kv_entry *e;
	size_t n, cap;
};

#define KV_MAX_ENTRIES 4096

/* Parse a kubeconfig (YAML through libyaml, or JSON) into flat path=value
 * entries; nulls and empty collections read "".  Bounded (depth, nodes
 * reached through aliases, entries); CD_E_PARSE or CD_E_LIMIT with *why. */
int kv_parse(const char *text, size_t len, struct kv_doc *d, const char **why);
const char *kv_get(const struct kv_doc *d, const char *path);
/* Index i of list `list` whose `list[i].name` equals name, or -1. */
int kv_find_named(const struct kv_doc *d, const char *list, const char *name);
void kv_release(struct kv_doc *d);

/* ---- registry.c ------------------------------------------------------- */

/* The options of the conn_open running on this thread (NULL outside one):
 * what a connector's open may consult (--dry-run, --profile). */
const struct conn_opts *conn_opening(void);
/* 1 while a dry run opens a connector a second time because its
 * configuration is missing: env_get() then answers placeholders for a
 * provider's address and token, which a dry run shows and never sends. */
int conn_placeholders(void);
/* The placeholder kubeconfig's path then (NULL: none, KUBECONFIG is set). */
const char *conn_placeholder_kubeconfig(void);
/* ---- kubemerge.c: the kubeconfig files kubectl would read, merged ----- */

#define KC_MAX_FILES 16

struct kc_file {
	char *path;
	struct kv_doc d;
};

struct kc_set {
	struct kc_file f[KC_MAX_FILES];
	int n;
};

/* An entry of a named list (clusters, contexts, users): in which file, at
 * which index.  -1: none. */
struct kc_ref {
	int file, idx;
};

/* The files kubectl reads: explicit_path (--kubeconfig) alone, else each
 * existing file of $KUBECONFIG, else ~/.kube/config.  *cause names the
 * file and what to do. */
int kc_set_load(struct kc_set *s, const char *explicit_path, char **cause);
/* Add one file's text (tests; kc_set_load). */
int kc_set_add_text(struct kc_set *s, const char *path, const char *text, size_t len, char **cause);
void kc_set_release(struct kc_set *s);
/* A top-level value from the first file that sets it (non-empty). */
const char *kc_top(const struct kc_set *s, const char *key, int *file);
/* The first file's entry named name in list; CD_E_NOTFOUND. */
int kc_named(const struct kc_set *s, const char *list, const char *name, struct kc_ref *out);
/* "LIST[idx].SUB" of the entry's own file. */
const char *kc_field(const struct kc_set *s, struct kc_ref ref, const char *list, const char *sub);
/* The file an entry came from. */
const char *kc_path(const struct kc_set *s, struct kc_ref ref);

/* ---- k8s_exec.c: exec credential plugins ----------------------------- */

struct k8s_exec {
	char *kcpath, *user;       /* for messages */
	char *api_version;         /* client.authentication.k8s.io/v1 or v1beta1 */
	char **argv;               /* command (resolved) and args; NULL-ended */
	int nargs;
	char **env;                /* "NAME=value" added to the environment */
	int nenv;
	char *install_hint;
	int provide_cluster_info;
	char *server, *ca_b64;     /* the cluster, for KUBERNETES_EXEC_INFO */
	char key[65];              /* the cache key */
};

/* A credential a plugin gave; every field secret but expiry_ns. */
struct k8s_cred {
	char *token;
	size_t token_len;
	char *cert_pem, *key_pem;
	size_t cert_len, key_len;
	int64_t expiry_ns;         /* 0: does not expire */
};

/* The exec entry of user u; refuses interactiveMode Always. */
int k8s_exec_parse(const struct kc_set *s, struct kc_ref u, const char *user, const char *server,
		   const char *ca_b64, struct k8s_exec **out, char **cause);
void k8s_exec_free(struct k8s_exec **x);
/* A credential for x: the run's cached one unless expired, else the
 * plugin's fresh one.  Thread-safe.  Release out with k8s_cred_release. */
int k8s_exec_cred(const struct k8s_exec *x, struct k8s_cred *out, char **cause);
int k8s_cred_expired(const struct k8s_cred *c);
/* The server refused x's credential (401): the next k8s_exec_cred runs
 * the plugin again. */
void k8s_exec_invalidate(const struct k8s_exec *x);
void k8s_cred_release(struct k8s_cred *c);
/* Wipe the run's cached credentials (conn_global_cleanup). */
void k8s_exec_cache_clear(void);

/* ---- k8s.c and k8s_contain.c ------------------------------------------ */

/* One API call; CD_OK when an answer arrived.  The caller releases o->rs. */
int k8s_call(struct conn *c, const char *method, const char *path, const char *body,
	     const char *ctype, int idempotent, struct api_out *o, struct conn_result *res);
/* "NAMESPACE/NAME" into its parts (each under cap), validated. */
int k8s_ns_name(const char *t, char *ns, char *name, size_t cap, struct conn_result *res);
int k8s_isolate_pod(struct conn *c, const char *target, struct conn_result *res);
int k8s_unisolate_pod(struct conn *c, const char *target, struct conn_result *res);
int k8s_scale_to_zero(struct conn *c, const char *target, struct conn_result *res);
int k8s_restore_scale(struct conn *c, const char *target, struct conn_result *res);
/* k8s_certs.c */
int k8s_reissue_cert(struct conn *c, const char *target, struct conn_result *res);

/* ---- vault.c and vault_pki.c ------------------------------------------ */

/* One call; CD_OK when an answer arrived.  The caller releases o->rs. */
int vault_call(struct conn *c, const char *method, const char *path, const char *body,
	       const char *body_shown, int idempotent, struct api_out *o, struct conn_result *res);
int vault_revoke_cert(struct conn *c, const char *target, struct conn_result *res);

/* ---- github.c and github_ci.c ----------------------------------------- */

/* One call authenticated with GITHUB_TOKEN.  The caller releases o->rs. */
int github_call(struct conn *c, const char *method, const char *path, const char *body,
		struct api_out *o, struct conn_result *res);
int github_has_token(const struct conn *c);
int github_disable_workflow(struct conn *c, const char *target, struct conn_result *res);
int github_enable_workflow(struct conn *c, const char *target, struct conn_result *res);
int github_remove_runner(struct conn *c, const char *target, struct conn_result *res);

/* ---- grpc.c: unary gRPC calls and protobuf ----------------------------- */

struct pb {
	const unsigned char *p, *end;
};

struct pb_field {
	unsigned field, wire;
	uint64_t v;       /* wire type 0 */
	struct pb sub;    /* wire type 2: the bytes (a string or a message) */
};

int pb_varint(struct buf *b, uint64_t v);
int pb_bytes(struct buf *b, unsigned field, const void *p, size_t n);
int pb_str(struct buf *b, unsigned field, const char *s);
/* The next field of c: 1, 0 at the end, -1 malformed. */
int pb_next(struct pb *c, struct pb_field *f);
/* A string field's bytes as text (control bytes as '?'), truncated to cap. */
void pb_copy_str(const struct pb *s, char *out, size_t cap);
const char *grpc_code_name(int code);
/* One unary call of METHOD ("pkg.Service/Method") over a Unix socket:
 * CD_OK when an answer came; o->rs.grpc_status is its status (0: reply
 * holds the message, inside o->rs.body: release o->rs after reading it). */
int grpc_unary(struct conn *c, const char *socket, const char *method, const struct buf *msg,
	       const char *shown, int idempotent, struct api_out *o, struct pb *reply,
	       struct conn_result *res);

/* ---- krl.c: OpenSSH key revocation lists ------------------------------ */

#define KRL_FP_LEN 32
#define KRL_MAX_FP 1000000
#define KRL_MAX_SERIALS 1000000 /* certificate serials over all CAs */

/* The certificate serials a KRL revokes for one CA (its serial lists). */
struct krl_ca {
	unsigned char *key;        /* the CA's public key blob; empty: any CA */
	size_t key_len;
	uint64_t *serial;          /* sorted, unique */
	size_t nserial, capserial;
};

struct krl {
	unsigned char *raw;        /* the file as read (NULL: a new list) */
	size_t raw_len, header_len;
	uint64_t version;
	unsigned char (*fp)[KRL_FP_LEN]; /* SHA-256 fingerprints, sorted, unique */
	size_t nfp, capfp;
	size_t first_fp_at;
	int signed_krl;            /* has a signature section */
	struct krl_ca *ca;         /* krl_certs.c */
	size_t nca, nserials;
};

/* The wire format's cursor (bounded: lengths checked against what is left). */
struct krl_cur {
	const unsigned char *p, *end;
};
int krl_get_u32(struct krl_cur *c, uint32_t *v);
int krl_get_u64(struct krl_cur *c, uint64_t *v);
int krl_get_string(struct krl_cur *c, struct krl_cur *s);
int krl_put_u32(struct buf *b, uint32_t v);
int krl_put_u64(struct buf *b, uint64_t v);
int krl_put_string(struct buf *b, const void *p, size_t n);

void krl_init(struct krl *k);
void krl_release(struct krl *k);
/* Parse a whole KRL; why gets what is wrong (with the byte offset). */
int krl_parse(struct krl *k, const unsigned char *data, size_t len, char *why, size_t cap);
int krl_has(const struct krl *k, const unsigned char fp[KRL_FP_LEN]);
/* 1 added / removed, 0 already so, -1 too many. */
int krl_add(struct krl *k, const unsigned char fp[KRL_FP_LEN]);
int krl_remove(struct krl *k, const unsigned char fp[KRL_FP_LEN]);
/* The list as a file: every other section kept in place, the next version. */
int krl_write(const struct krl *k, uint64_t now, struct buf *out);
/* "SHA256:<43 base64>" (as sshd logs it) into 32 bytes: 0, or -1. */
int krl_fp_parse(const char *s, unsigned char fp[KRL_FP_LEN]);

/* ---- krl_certs.c: certificate serials in a KRL ----------------------- */

/* One certificates section (its body) into k->ca; CD_E_PARSE with why. */
int krl_certs_parse(struct krl *k, struct krl_cur *body, size_t at, char *why, size_t cap);
/* A certificates section as it is to be written: its CA's merged serial
 * list in the first section of that CA, every other subsection as read;
 * placed[i] marks CA i written. */
int krl_certs_section(const struct krl *k, struct krl_cur body, unsigned char *placed, struct buf *out);
/* Sections for the CAs no section of the file held. */
int krl_certs_rest(const struct krl *k, const unsigned char *placed, struct buf *out);
void krl_certs_release(struct krl *k);
int krl_has_serial(const struct krl *k, const unsigned char *ca, size_t ca_len, uint64_t serial);
/* 1 added / removed, 0 already so, -1 too many (or serial 0, which no
 * certificate has and OpenSSH refuses in a list). */
int krl_add_serial(struct krl *k, const unsigned char *ca, size_t ca_len, uint64_t serial);
int krl_remove_serial(struct krl *k, const unsigned char *ca, size_t ca_len, uint64_t serial);

/* ---- ssh_ca.c: a certificate's revocation target and its CA's key ------ */

/* "SHA256:CAFP/SERIAL" (decimal, not 0): 0, or -1. */
int ssh_cert_target(const char *t, unsigned char fp[KRL_FP_LEN], uint64_t *serial);
/* The public key blob of the CA with that fingerprint: a KRL section's,
 * else the CA keys file's (NULL: not configured); the caller frees. */
int ssh_ca_find(const struct krl *k, const char *ca_keys, const unsigned char fp[KRL_FP_LEN],
		unsigned char **blob, size_t *len, char **cause);

/* ---- gcp_adc.c: Application Default Credentials ---------------------- */

/* An access token by ADC's order (environment token, credentials file,
 * gcloud's ADC file, metadata server), cached for the run; *source says
 * which (no secret).  Dry run: a placeholder, nothing exchanged.  Wipe
 * *tok with freezero(tok, len + 1). */
int gcp_adc_token(const struct conn_opts *o, char **tok, size_t *len, char **source, char **cause);
void gcp_adc_cache_clear(void);

/* ---- util.c ----------------------------------------------------------- */

/* The buffer's bytes as a string the caller frees; the buffer is released. */
char *buf_take(struct buf *b);

int b64_decode(const char *in, size_t n, char **out, size_t *outlen);
/* RFC 3986 unreserved kept; everything else %XX (form bodies, paths). */
int url_encode(struct buf *b, const char *s, size_t n) CD_WUR;
/* Read a whole small file (secrets, config) into memory: max bytes. */
int file_read(const char *path, size_t max, char **out, size_t *outlen, char **cause);
/* getenv that treats "" as unset. */
const char *env_get(const char *name);
/* res->request gets "; "-separated summaries; bounded, never fails. */
void res_note_request(struct conn_result *res, const char *fmt, ...) CD_PRINTF(2, 3);
void res_detail(struct conn_result *res, const char *fmt, ...) CD_PRINTF(2, 3);
/* Set (not append) the verified / undo text; truncates silently. */
void res_verified(struct conn_result *res, const char *fmt, ...) CD_PRINTF(2, 3);
void res_undo(struct conn_result *res, const char *fmt, ...) CD_PRINTF(2, 3);
/* Copy a response's status and request id into res. */
void res_from_resp(struct conn_result *res, const struct http_resp *rs);
/* Safe for a URL path segment / identifier: [A-Za-z0-9._@:-] etc. */
int ident_ok(const char *s, const char *extra, size_t max);
/* Does a KV field of this name hold a secret (password, api_key, token...)? */
int secret_field_name(const char *name, size_t n);
/* Fill random bytes (getrandom). */
void rand_bytes(void *p, size_t n);
/* Join a base URL and a path without a doubled slash. */
int url_join(struct buf *b, const char *base, const char *path) CD_WUR;
/* PREFIX then n bytes of a credential ("Authorization: Bearer " TOKEN): a
 * header that holds a secret; NULL when too long.  Free with secret_free. */
char *secret_header(const char *prefix, const char *value, size_t n);
/* Wipe and free a NUL-terminated secret; *p becomes NULL.  NULL is fine. */
void secret_free(char **p);

/* ---- shared.c --------------------------------------------------------- */

/* Lock the run's shared state and return slot key's data, made by
 * make(arg) on first use and freed by release at the end of the run.
 * Call conn_shared_unlock when done with it. */
void *conn_shared_lock(struct conn_shared *sh, const char *key, void *(*make)(void *), void *arg,
		       void (*release)(void *));
void conn_shared_unlock(struct conn_shared *sh);
/* JSON field of a response body as a string; 0 when found. */
int json_body_str(const struct buf *body, const char *path, char *out, size_t cap);

/* curl_dl.c: why libcurl could not be loaded, or NULL once it is */
const char *curl_dl_error(void);

#endif
