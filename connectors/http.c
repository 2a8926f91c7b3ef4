/*
 * http.c - the one libcurl wrapper every connector goes through.
 *
 * Policy lives here so no connector can forget it: TLS verification is
 * always on (a CA bundle may be added, never switched off), every request
 * has a connect and total timeout and a User-Agent, responses are capped,
 * redirects are not followed, only http/https are spoken.  Throttling and
 * 5xx are retried with exponential backoff and full jitter, honouring
 * Retry-After and rate-limit reset headers - but only for idempotent
 * requests: a create or rotate is returned to the connector, which re-reads
 * the provider's state instead of sending it twice.  --dry-run and debug
 * output print requests with every secret header and body redacted.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "private.h"

#define HTTP_CONNECT_TIMEOUT_S 10L
#define HTTP_BACKOFF_CAP_MS 20000
#define HTTP_WAIT_CAP_MS 120000 /* a longer Retry-After ends the retries */

struct http_settings {
	long timeout_s;
	int attempts;
	int64_t backoff_ms;
};

/* Tunables (documented in README): CORDON_HTTP_TIMEOUT seconds,
 * CORDON_HTTP_ATTEMPTS, CORDON_HTTP_BACKOFF_MS (the first back-off). */
static int64_t
env_num(const char *name, int64_t dflt, int64_t lo, int64_t hi)
{
	const char *v = env_get(name);
	uint64_t n;
	struct span s;

	if (v == NULL)
		return dflt;
	s.p = v;
	s.n = strlen(v);
	if (span_to_u64(s, &n) != CD_OK || (int64_t)n < lo || (int64_t)n > hi)
		return dflt;
	return (int64_t)n;
}

static void
http_settings(struct http_settings *st)
{
	st->timeout_s = (long)env_num("CORDON_HTTP_TIMEOUT", 30, 1, 600);
	st->attempts = (int)env_num("CORDON_HTTP_ATTEMPTS", 4, 1, 10);
	st->backoff_ms = env_num("CORDON_HTTP_BACKOFF_MS", 500, 0, 60000);
}

void
http_resp_init(struct http_resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	buf_init(&rs->body, HTTP_MAX_BODY);
	rs->retry_after_ms = -1;
	rs->grpc_status = -1;
}

void
http_resp_release(struct http_resp *rs)
{
	/* bodies may hold secrets (a created key, a token): wipe them */
	if (rs->body.data != NULL)
		freezero(rs->body.data, rs->body.alloc);
	rs->body.data = NULL;
}

void
http_req_header(struct http_req *rq, const char *h, int secret)
{
	int i;

	for (i = 0; i < HTTP_MAX_HEADERS - 1; i++) {
		if (rq->headers[i] == NULL) {
			rq->headers[i] = h;
			rq->secret_header[i] = secret;
			rq->headers[i + 1] = NULL;
			return;
		}
	}
	CD_BUG_ON(1); /* more headers than any connector sends */
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_resp *rs = arg;

	if (buf_add(&rs->body, p, size * n) != CD_OK) {
		snprintf(rs->error, sizeof(rs->error), "response larger than %zu bytes", HTTP_MAX_BODY);
		return 0;
	}
	return size * n;
}

struct hdr_ctx {
	struct http_resp *rs;
	const struct http_req *rq;
	int64_t reset_epoch;
};

static int
hdr_is(const char *line, size_t n, const char *name, struct span *val)
{
	size_t k = strlen(name);

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return 0;
	val->p = line + k + 1;
	val->n = n - k - 1;
	while (val->n && (*val->p == ' ' || *val->p == '\t')) {
		val->p++;
		val->n--;
	}
	while (val->n && (val->p[val->n - 1] == '\r' || val->p[val->n - 1] == '\n' ||
			  val->p[val->n - 1] == ' '))
		val->n--;
	return 1;
}

/* grpc-message is percent-encoded; control bytes become '?'. */
static void
pct_decode(struct span v, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < v.n && o + 1 < cap; i++) {
		char c = v.p[i];

		if (c == '%' && i + 2 < v.n && hexval(v.p[i + 1]) >= 0 && hexval(v.p[i + 2]) >= 0) {
			c = (char)(hexval(v.p[i + 1]) << 4 | hexval(v.p[i + 2]));
			i += 2;
		}
		out[o++] = (unsigned char)c < 0x20 ? '?' : c;
	}
	out[o] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct hdr_ctx *h = arg;
	size_t len = size * n, i;
	struct span v;
	uint64_t num;

	for (i = 0; i < 4 && h->rq->reqid_headers[i] != NULL; i++) {
		if (hdr_is(p, len, h->rq->reqid_headers[i], &v) && v.n > 0 &&
		    h->rs->request_id[0] == '\0') {
			size_t k = v.n < sizeof(h->rs->request_id) - 1 ? v.n : sizeof(h->rs->request_id) - 1;

			memcpy(h->rs->request_id, v.p, k);
			h->rs->request_id[k] = '\0';
		}
	}
	/* gRPC answers in trailers, which libcurl hands over like headers */
	if (hdr_is(p, len, "grpc-status", &v) && span_to_u64(v, &num) == CD_OK && num < 100)
		h->rs->grpc_status = (int)num;
	if (hdr_is(p, len, "grpc-message", &v))
		pct_decode(v, h->rs->grpc_message, sizeof(h->rs->grpc_message));
	if (hdr_is(p, len, "retry-after", &v) && span_to_u64(v, &num) == CD_OK && num < 86400)
		h->rs->retry_after_ms = (int64_t)num * 1000;
	if ((hdr_is(p, len, "x-ratelimit-remaining", &v) || hdr_is(p, len, "ratelimit-remaining", &v)) &&
	    span_eq(v, "0"))
		h->rs->ratelimit_zero = 1;
	if ((hdr_is(p, len, "x-ratelimit-reset", &v) || hdr_is(p, len, "ratelimit-reset", &v)) &&
	    span_to_u64(v, &num) == CD_OK && num < ((uint64_t)1 << 40))
		h->reset_epoch = (int64_t)num;
	return len;
}

void
http_show(FILE *f, const char *prefix, const struct http_req *rq)
{
	int i;

	fprintf(f, "%s%s %s\n", prefix, rq->method, rq->url_shown ? rq->url_shown : rq->url);
	if (rq->sigv4 != NULL) {
		const char *colon = rq->userpwd ? strchr(rq->userpwd, ':') : NULL;
		int klen = colon ? (int)(colon - rq->userpwd) : 0;

		/* the key id is not secret; the signature is computed when sent */
		fprintf(f, "%sAuthorization: AWS4-HMAC-SHA256 Credential=%.*s/<date>/%s [signed when sent]\n",
			prefix, klen, colon ? rq->userpwd : "", rq->sigv4);
	}
	for (i = 0; i < HTTP_MAX_HEADERS && rq->headers[i] != NULL; i++) {
		const char *h = rq->headers[i], *c = strchr(h, ':');

		if (rq->secret_header[i] && c != NULL)
			fprintf(f, "%s%.*s: [REDACTED]\n", prefix, (int)(c - h), h);
		else
			fprintf(f, "%s%s\n", prefix, h);
	}
	fprintf(f, "%sUser-Agent: cordon/%s\n", prefix, CORDON_VERSION);
	if (rq->body_shown != NULL)
		fprintf(f, "%s\n%s%s\n", prefix, prefix, rq->body_shown);
	else if (rq->body != NULL && rq->body_len > 0)
		fprintf(f, "%s\n%s%.*s\n", prefix, prefix, (int)rq->body_len, rq->body);
}

static int
retryable_status(const struct http_req *rq, const struct http_resp *rs)
{
	long s = rs->status;

	if (s == 429 || s == 500 || s == 502 || s == 503 || s == 504 || s == 509)
		return 1;
	/* gRPC UNAVAILABLE and RESOURCE_EXHAUSTED: the server asks to come back */
	if (rs->grpc_status == 14 || rs->grpc_status == 8)
		return 1;
	/* GitHub's primary and secondary limits answer 403 with these headers;
	 * a plain 403 is a permission error and is not retried */
	if (s == 403 && (rs->ratelimit_zero || rs->retry_after_ms >= 0))
		return 1;
	return rq->throttle != NULL && rq->throttle(rs);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)]. */
static int64_t
backoff_ms(const struct http_settings *st, int attempt)
{
	int64_t ceil = st->backoff_ms;
	uint32_t r;
	int i;

	for (i = 0; i < attempt && ceil < HTTP_BACKOFF_CAP_MS; i++)
		ceil *= 2;
	if (ceil > HTTP_BACKOFF_CAP_MS)
		ceil = HTTP_BACKOFF_CAP_MS;
	if (ceil <= 0)
		return 0;
	rand_bytes(&r, sizeof(r));
	return (int64_t)(r % (uint32_t)(ceil + 1));
}

static CURLcode
http_setup(CURL *h, const struct http_settings *st, const struct http_req *rq,
	   struct http_resp *rs, struct hdr_ctx *hc, struct curl_slist **hl)
{
	struct curl_blob blob;
	CURLcode c = CURLE_OK;
	char ua[64];
	int i;

	snprintf(ua, sizeof(ua), "cordon/%s", CORDON_VERSION);
	for (i = 0; i < HTTP_MAX_HEADERS && rq->headers[i] != NULL; i++) {
		struct curl_slist *n = curl_slist_append(*hl, rq->headers[i]);

		if (n == NULL)
			return CURLE_OUT_OF_MEMORY;
		*hl = n;
	}
#define SET(opt, val) \
	do { \
		if (c == CURLE_OK) \
			c = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, ua);
	/* a metadata service answers at once when there is one */
	SET(CURLOPT_CONNECTTIMEOUT, rq->metadata ? 2L : HTTP_CONNECT_TIMEOUT_S);
	SET(CURLOPT_TIMEOUT, rq->metadata ? 2L : st->timeout_s);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, rs);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, hc);
	SET(CURLOPT_HTTPHEADER, *hl);
	if (rq->unix_socket != NULL)
		SET(CURLOPT_UNIX_SOCKET_PATH, rq->unix_socket);
	if (rq->h2c)
		SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	if (strcmp(rq->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		/* POSTFIELDS even when empty: it is the only body libcurl 7.88's
		 * SigV4 hashes (a read callback signs the empty string) */
		SET(CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
		SET(CURLOPT_POSTFIELDS, rq->body != NULL ? rq->body : "");
		if (strcmp(rq->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, rq->method);
	}
	if (rq->sigv4 != NULL) {
		SET(CURLOPT_AWS_SIGV4, rq->sigv4);
		SET(CURLOPT_USERPWD, rq->userpwd);
	}
	if (rq->tls != NULL) {
		if (rq->tls->ca_file != NULL)
			SET(CURLOPT_CAINFO, rq->tls->ca_file);
		if (rq->tls->ca_pem != NULL) {
			blob.data = (void *)(uintptr_t)rq->tls->ca_pem;
			blob.len = rq->tls->ca_pem_len;
			blob.flags = CURL_BLOB_COPY;
			SET(CURLOPT_CAINFO_BLOB, &blob);
		}
		if (rq->tls->cert_file != NULL)
			SET(CURLOPT_SSLCERT, rq->tls->cert_file);
		if (rq->tls->key_file != NULL)
			SET(CURLOPT_SSLKEY, rq->tls->key_file);
		if (rq->tls->cert_pem != NULL) {
			blob.data = (void *)(uintptr_t)rq->tls->cert_pem;
			blob.len = rq->tls->cert_pem_len;
			blob.flags = CURL_BLOB_COPY;
			SET(CURLOPT_SSLCERT_BLOB, &blob);
			SET(CURLOPT_SSLCERTTYPE, "PEM");
		}
		if (rq->tls->key_pem != NULL) {
			blob.data = (void *)(uintptr_t)rq->tls->key_pem;
			blob.len = rq->tls->key_pem_len;
			blob.flags = CURL_BLOB_COPY;
			SET(CURLOPT_SSLKEY_BLOB, &blob);
			SET(CURLOPT_SSLKEYTYPE, "PEM");
		}
	}
#undef SET
	return c;
}

static int
transport_retry_safe(CURLcode c)
{
	/* nothing reached the server: safe to resend even a create */
	return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
	       c == CURLE_COULDNT_RESOLVE_PROXY;
}

int
http_send(const struct conn_opts *o, const struct http_req *rq, struct http_resp *rs)
{
	struct http_settings st;
	int attempt;

	http_settings(&st);
	if (rq->metadata)
		st.attempts = 1;
	if (o->dry_run) {
		http_show(o->dry_out ? o->dry_out : stdout, "  > ", rq);
		rs->dry_run = 1;
		return CD_OK;
	}
	if (o->debug)
		http_show(o->dry_out ? o->dry_out : stderr, "  debug> ", rq);
	for (attempt = 0; attempt < st.attempts; attempt++) {
		struct curl_slist *hl = NULL;
		struct hdr_ctx hc = { rs, rq, 0 };
		CURL *h = curl_easy_init();
		CURLcode c;
		int64_t wait;
		int last = attempt + 1 >= st.attempts;

		if (h == NULL)
			cd_fatal("curl_easy_init failed");
		buf_reset(&rs->body);
		rs->status = 0;
		rs->error[0] = '\0';
		rs->request_id[0] = '\0';
		rs->retry_after_ms = -1;
		rs->ratelimit_zero = 0;
		rs->grpc_status = -1;
		rs->grpc_message[0] = '\0';
		rs->attempts = attempt + 1;
		c = http_setup(h, &st, rq, rs, &hc, &hl);
		if (c == CURLE_OK)
			c = curl_easy_perform(h);
		if (c == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
		else if (rs->error[0] == '\0')
			snprintf(rs->error, sizeof(rs->error), "%s", curl_easy_strerror(c));
		curl_slist_free_all(hl);
		curl_easy_cleanup(h);
		if (o->debug)
			fprintf(o->dry_out ? o->dry_out : stderr, "  debug< %ld %s (attempt %d)\n",
				rs->status, rs->request_id, attempt + 1);
		if (rs->ratelimit_zero && hc.reset_epoch > 0 && rs->retry_after_ms < 0) {
			int64_t now = time_now_ns() / 1000000000LL;

			rs->retry_after_ms = hc.reset_epoch > 1000000000LL
						     ? (hc.reset_epoch - now + 1) * 1000
						     : hc.reset_epoch * 1000;
			if (rs->retry_after_ms < 0)
				rs->retry_after_ms = 0;
		}
		if (c != CURLE_OK) {
			if (c == CURLE_WRITE_ERROR || last || !(rq->idempotent || transport_retry_safe(c)))
				return CD_E_IO;
		} else if (last || !rq->idempotent || !retryable_status(rq, rs)) {
			return CD_OK;
		}
		wait = rs->retry_after_ms >= 0 ? rs->retry_after_ms : backoff_ms(&st, attempt);
		if (wait > HTTP_WAIT_CAP_MS)
			return c == CURLE_OK ? CD_OK : CD_E_IO; /* the caller reports the wait asked */
		sleep_ms(wait);
		rs->waited_ms += wait;
	}
	return CD_OK;
}

void
http_pause(int attempt, int64_t retry_after_ms)
{
	struct http_settings st;

	http_settings(&st);
	if (retry_after_ms > HTTP_WAIT_CAP_MS)
		retry_after_ms = HTTP_WAIT_CAP_MS;
	sleep_ms(retry_after_ms >= 0 ? retry_after_ms : backoff_ms(&st, attempt));
}
