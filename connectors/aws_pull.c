/*
 * aws_pull.c - reading logs where AWS keeps them (`cordon ingest s3://`
 * and `cwlogs://`): the AWS connector's configuration and credential chain
 * (aws_config.c, aws_chain.c: --profile, environment, SSO, process, IMDS,
 * ...), an endpoint for S3 or CloudWatch Logs, SigV4 on a caller's curl
 * handle, one ListObjectsV2 page, one CloudWatch Logs JSON call.
 *
 * The endpoint: --endpoint, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
 * AWS_ENDPOINT_URL, the profile's endpoint_url; else the region's AWS
 * endpoint.  An endpoint given is an S3-compatible store: buckets are
 * addressed by path (http://host/BUCKET/KEY), since such stores rarely
 * resolve BUCKET.host; AWS itself gets virtual-hosted names.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"

/* SHA-256 of the empty body: what a GET signs as its payload */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct conn_aws_pull {
	struct conn conn;          /* the AWS connector, open: its aws_cfg holds the keys */
	struct conn_opts copts;
	char *base;                /* endpoint, no trailing slash */
	int path_style;
	char region[40];
	char scope[80];            /* "aws:amz:REGION:SERVICE" */
	char service[16];
};

static const char *
profile_in_force(const char *explicit_profile)
{
	const char *p;

	if (explicit_profile != NULL)
		return explicit_profile;
	if ((p = env_get("AWS_PROFILE")) != NULL || (p = env_get("AWS_DEFAULT_PROFILE")) != NULL)
		return p;
	return "default";
}

static int
endpoint_allowed(const char *u)
{
	/* plain http only to this machine: credentials sign every request */
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://127.0.0.1", 16) == 0 ||
	       strncmp(u, "http://localhost", 16) == 0 || strncmp(u, "http://[::1]", 12) == 0;
}

int
conn_aws_pull_open(const struct conn_aws_pull_opts *po, struct conn_aws_pull **out, char **cause)
{
	struct conn_aws_pull *p = xcalloc(1, sizeof(*p));
	struct aws_files files = { 0 };
	const char *svc_var = strcmp(po->service, "s3") == 0 ? "AWS_ENDPOINT_URL_S3"
							     : "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS";
	struct aws_cfg *a;
	char *ep = NULL;
	const char *region;
	struct buf b;
	size_t n;

	*out = NULL;
	*cause = NULL;
	p->copts.aws_profile = po->profile;
	p->copts.dry_out = stderr;
	if (conn_open(conn_find("aws"), &p->copts, &p->conn, cause) != CD_OK) {
		free(p);
		return CD_E_USAGE;
	}
	a = p->conn.cdata;
	aws_files_load(&files);
	region = po->region;
	if (region == NULL)
		region = a->region;
	if (region == NULL)
		region = po->region_default != NULL ? po->region_default : "us-east-1";
	if (!ident_ok(region, "-", 32)) {
		aws_cause(cause, "'%s' is not an AWS region name", region);
		goto fail;
	}
	snprintf(p->region, sizeof(p->region), "%s", region);
	snprintf(p->service, sizeof(p->service), "%s", po->service);
	snprintf(p->scope, sizeof(p->scope), "aws:amz:%s:%s", p->region, po->service);
	if (po->endpoint != NULL)
		ep = xstrdup(po->endpoint);
	else if (env_get(svc_var) != NULL)
		ep = xstrdup(env_get(svc_var));
	else if (env_get("AWS_ENDPOINT_URL") != NULL)
		ep = xstrdup(env_get("AWS_ENDPOINT_URL"));
	else
		ep = aws_profile_get(&files, profile_in_force(po->profile), "endpoint_url", 0);
	if (ep != NULL) {
		if (!endpoint_allowed(ep)) {
			aws_cause(cause, "endpoint %s: must be https:// (plain http only on loopback)", ep);
			goto fail;
		}
		n = strlen(ep);
		while (n > 0 && ep[n - 1] == '/')
			ep[--n] = '\0';
		p->base = ep;
		ep = NULL;
		p->path_style = 1;
	} else {
		buf_init(&b, 256);
		if (buf_printf(&b, "https://%s.%s.amazonaws.com%s", po->service, p->region,
			       strncmp(p->region, "cn-", 3) == 0 ? ".cn" : "") != CD_OK) {
			buf_release(&b);
			aws_cause(cause, "region name too long");
			goto fail;
		}
		p->base = buf_take(&b);
	}
	aws_files_release(&files);
	*out = p;
	return CD_OK;
fail:
	free(ep);
	aws_files_release(&files);
	conn_close(&p->conn);
	free(p);
	return CD_E_USAGE;
}

void
conn_aws_pull_close(struct conn_aws_pull **pp)
{
	struct conn_aws_pull *p = *pp;

	if (p == NULL)
		return;
	conn_close(&p->conn);
	free(p->base);
	free(p);
	*pp = NULL;
}

const char *
conn_aws_pull_region(const struct conn_aws_pull *p)
{
	return p->region;
}

const char *
conn_aws_pull_source(const struct conn_aws_pull *p)
{
	return ((const struct aws_cfg *)p->conn.cdata)->source;
}

/* The key as a URI path: every byte but unreserved ones and '/' escaped
 * (S3 signs the path as sent, encoded once). */
static int
key_encode(struct buf *b, const char *key)
{
	int r = CD_OK;
	const char *s;

	for (s = key; *s && r == CD_OK; s++)
		r = *s == '/' ? buf_addc(b, '/') : url_encode(b, s, 1);
	return r;
}

int
conn_s3_url(const struct conn_aws_pull *p, const char *bucket, const char *key, struct buf *out)
{
	int r;

	/* a dotted bucket name would not match the wildcard certificate of
	 * *.s3.REGION.amazonaws.com: those are addressed by path too */
	if (p->path_style || strchr(bucket, '.') != NULL)
		r = buf_printf(out, "%s/%s/", p->base, bucket);
	else if (strncmp(p->base, "https://", 8) == 0)
		r = buf_printf(out, "https://%s.%s/", bucket, p->base + 8);
	else
		r = CD_E_USAGE;
	return r != CD_OK ? r : key != NULL ? key_encode(out, key) : CD_OK;
}

int
conn_aws_pull_easy(const struct conn_aws_pull *p, void *easy, const char *url, struct curl_slist **hl)
{
	const struct aws_cfg *a = p->conn.cdata;
	CURL *h = easy;
	CURLcode c = CURLE_OK;
	struct curl_slist *n;
	char ua[64];

	snprintf(ua, sizeof(ua), "cordon/%s", CORDON_VERSION);
	/* S3 wants the payload's hash as a header; signed with the rest */
	if (strcmp(p->service, "s3") == 0) {
		if ((n = curl_slist_append(*hl, "x-amz-content-sha256: " EMPTY_SHA256)) == NULL)
			return CD_E_NOMEM;
		*hl = n;
	}
	if (a->token_header != NULL) {
		if ((n = curl_slist_append(*hl, a->token_header)) == NULL)
			return CD_E_NOMEM;
		*hl = n;
	}
#define SET(opt, val) \
	do { \
		if (c == CURLE_OK) \
			c = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_CONNECTTIMEOUT, 10L);
	/* a slow object is not an error; a stalled one is (30 s under 1 KiB/s) */
	SET(CURLOPT_LOW_SPEED_LIMIT, 1024L);
	SET(CURLOPT_LOW_SPEED_TIME, 30L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_HTTPHEADER, *hl);
	SET(CURLOPT_AWS_SIGV4, p->scope);
	SET(CURLOPT_USERPWD, a->userpwd);
	if (a->ca_bundle != NULL)
		SET(CURLOPT_CAINFO, a->ca_bundle);
#undef SET
	return c == CURLE_OK ? CD_OK : CD_E_IO;
}

/* ---- S3 ListObjectsV2 ----------------------------------------------------- */

static int
query_add(struct buf *b, const char *k, const char *v, int first)
{
	int r = buf_printf(b, "%s%s=", first ? "?" : "&", k);

	return r != CD_OK ? r : url_encode(b, v, strlen(v));
}

static int
s3_error(const struct http_resp *rs, const char *what, char **cause)
{
	struct span body = { rs->body.data, rs->body.len }, code, msg;
	char c[96] = "", m[256] = "";

	if (rs->status == 0) {
		aws_cause(cause, "%s: %s", what, rs->error[0] ? rs->error : "no answer");
		return CD_E_IO;
	}
	if (xml_find(body, "Code", &code) == CD_OK)
		xml_text(code, c, sizeof(c));
	if (xml_find(body, "Message", &msg) == CD_OK)
		xml_text(msg, m, sizeof(m));
	aws_cause(cause, "%s: HTTP %ld %s%s%s", what, rs->status, c, m[0] ? ": " : "", m);
	return rs->status == 404 ? CD_E_NOTFOUND : CD_E_IO;
}

int
conn_s3_list(const struct conn_aws_pull *p, const struct conn_s3_list_req *lq,
	     int (*each)(void *arg, const struct conn_s3_item *it), void *arg, char **next,
	     char **cause)
{
	const struct aws_cfg *a = p->conn.cdata;
	struct http_req rq = { 0 };
	struct http_resp rs;
	struct http_tls tls = { 0 };
	struct span body, inner, cur_s;
	struct buf url;
	const char *cur;
	char mk[24];
	int r;

	*next = NULL;
	buf_init(&url, 8192);
	snprintf(mk, sizeof(mk), "%d", lq->max_keys > 0 ? lq->max_keys : 1000);
	/* parameters in sorted order: the canonical query SigV4 signs */
	r = conn_s3_url(p, lq->bucket, NULL, &url);
	if (lq->token != NULL)
		r = r ? r : query_add(&url, "continuation-token", lq->token, 1);
	if (lq->delimiter)
		r = r ? r : query_add(&url, "delimiter", "/", lq->token == NULL);
	r = r ? r : query_add(&url, "list-type", "2", lq->token == NULL && !lq->delimiter);
	r = r ? r : query_add(&url, "max-keys", mk, 0);
	r = r ? r : query_add(&url, "prefix", lq->prefix, 0);
	if (r != CD_OK) {
		buf_release(&url);
		aws_cause(cause, "s3://%s/%s: the listing's URL is too long", lq->bucket, lq->prefix);
		return CD_E_USAGE;
	}
	rq.method = "GET";
	rq.url = url.data;
	http_req_header(&rq, "x-amz-content-sha256: " EMPTY_SHA256, 0);
	if (a->token_header != NULL)
		http_req_header(&rq, a->token_header, 1);
	rq.sigv4 = p->scope;
	rq.userpwd = a->userpwd;
	if (a->ca_bundle != NULL) {
		tls.ca_file = a->ca_bundle;
		rq.tls = &tls;
	}
	rq.idempotent = 1;
	rq.reqid_headers[0] = "x-amz-request-id";
	http_resp_init(&rs);
	r = http_send(&p->copts, &rq, &rs);
	buf_release(&url);
	if (r != CD_OK || rs.status != 200) {
		char what[600];

		snprintf(what, sizeof(what), "listing s3://%s/%s", lq->bucket, lq->prefix);
		r = s3_error(&rs, what, cause);
		http_resp_release(&rs);
		return r;
	}
	body.p = rs.body.data;
	body.n = rs.body.len;
	for (cur = body.p; r == CD_OK && xml_next(body, &cur, "Contents", &inner) == CD_OK;) {
		struct conn_s3_item it = { 0 };
		char key[1100], etag[160], size[32];
		struct span f;
		uint64_t sz = 0;

		key[0] = etag[0] = size[0] = '\0';
		if (xml_find(inner, "Key", &f) == CD_OK)
			xml_text(f, key, sizeof(key));
		if (xml_find(inner, "ETag", &f) == CD_OK)
			xml_text(f, etag, sizeof(etag));
		if (xml_find(inner, "Size", &f) == CD_OK && xml_text(f, size, sizeof(size)) == CD_OK)
			span_to_u64((struct span){ size, strlen(size) }, &sz);
		if (key[0] == '\0')
			continue;
		it.key = key;
		it.etag = etag;
		it.size = (int64_t)sz;
		r = each(arg, &it);
	}
	for (cur = body.p; r == CD_OK && xml_next(body, &cur, "CommonPrefixes", &inner) == CD_OK;) {
		struct conn_s3_item it = { 0 };
		char pfx[1100] = "";
		struct span f;

		if (xml_find(inner, "Prefix", &f) != CD_OK || xml_text(f, pfx, sizeof(pfx)) != CD_OK)
			continue;
		it.key = pfx;
		it.is_prefix = 1;
		r = each(arg, &it);
	}
	if (r == CD_OK && xml_find(body, "IsTruncated", &cur_s) == CD_OK && span_eq(cur_s, "true") &&
	    xml_find(body, "NextContinuationToken", &inner) == CD_OK) {
		char tok[2048];

		if (xml_text(inner, tok, sizeof(tok)) == CD_OK && tok[0])
			*next = xstrdup(tok);
	}
	http_resp_release(&rs);
	return r;
}

/* ---- CloudWatch Logs (JSON 1.1) ------------------------------------------- */

static int
logs_throttle(const struct http_resp *rs)
{
	if (rs->status != 400 || rs->body.data == NULL)
		return 0;
	return memmem(rs->body.data, rs->body.len, "ThrottlingException", 19) != NULL;
}

int
conn_logs_call(const struct conn_aws_pull *p, const char *op, const char *body, struct buf *out,
	       long *status, char **cause)
{
	const struct aws_cfg *a = p->conn.cdata;
	struct http_req rq = { 0 };
	struct http_resp rs;
	struct http_tls tls = { 0 };
	char target[96], url[1100];
	int r;

	snprintf(target, sizeof(target), "X-Amz-Target: Logs_20140328.%s", op);
	snprintf(url, sizeof(url), "%s/", p->base);
	rq.method = "POST";
	rq.url = url;
	http_req_header(&rq, "Content-Type: application/x-amz-json-1.1", 0);
	http_req_header(&rq, target, 0);
	if (a->token_header != NULL)
		http_req_header(&rq, a->token_header, 1);
	rq.body = body;
	rq.body_len = strlen(body);
	rq.sigv4 = p->scope;
	rq.userpwd = a->userpwd;
	if (a->ca_bundle != NULL) {
		tls.ca_file = a->ca_bundle;
		rq.tls = &tls;
	}
	rq.idempotent = 1; /* a read */
	rq.reqid_headers[0] = "x-amzn-RequestId";
	rq.throttle = logs_throttle;
	http_resp_init(&rs);
	r = http_send(&p->copts, &rq, &rs);
	*status = rs.status;
	if (r != CD_OK || rs.status == 0) {
		aws_cause(cause, "CloudWatch Logs %s: %s", op, rs.error[0] ? rs.error : "no answer");
		http_resp_release(&rs);
		return CD_E_IO;
	}
	buf_reset(out);
	if (buf_add(out, rs.body.data, rs.body.len) != CD_OK) {
		http_resp_release(&rs);
		aws_cause(cause, "CloudWatch Logs %s: answer too large", op);
		return CD_E_LIMIT;
	}
	if (rs.status != 200) {
		char code[128] = "", msg[256] = "";

		json_body_str(&rs.body, "__type", code, sizeof(code));
		json_body_str(&rs.body, "message", msg, sizeof(msg));
		if (msg[0] == '\0')
			json_body_str(&rs.body, "Message", msg, sizeof(msg));
		aws_cause(cause, "CloudWatch Logs %s: HTTP %ld %s%s%s%s", op, rs.status, code,
			  msg[0] ? ": " : "", msg,
			  rs.attempts > 1 ? " (after retries)" : "");
		http_resp_release(&rs);
		return rs.status == 400 && strstr(code, "ResourceNotFound") ? CD_E_NOTFOUND : CD_E_IO;
	}
	http_resp_release(&rs);
	return CD_OK;
}
