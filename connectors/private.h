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
	const char *reqid_headers[4];         /* response headers carrying a request id */
	http_throttle_fn throttle;            /* MAY: provider throttle signals */
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

/* Parse the YAML subset kubeconfigs use (block maps, lists, scalars) or
 * JSON into flat path=value entries.  Bounded; CD_E_PARSE on garbage. */
int kv_parse(const char *text, size_t len, struct kv_doc *d, const char **why);
const char *kv_get(const struct kv_doc *d, const char *path);
/* Index i of list `list` whose `list[i].name` equals name, or -1. */
int kv_find_named(const struct kv_doc *d, const char *list, const char *name);
void kv_release(struct kv_doc *d);

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
/* JSON field of a response body as a string; 0 when found. */
int json_body_str(const struct buf *body, const char *path, char *out, size_t cap);

#endif
