/*
 * gcp_adc.c - a GCP access token from Application Default Credentials, in
 * the order the client libraries and gcloud look:
 *
 *   1. CLOUDSDK_AUTH_ACCESS_TOKEN, GOOGLE_OAUTH_ACCESS_TOKEN (a token given)
 *   2. GOOGLE_APPLICATION_CREDENTIALS: a service-account key file (a JWT
 *      signed RS256 with its private key, exchanged at its token_uri with
 *      grant_type jwt-bearer) or an authorized_user file (refresh_token grant)
 *   3. gcloud's ADC file: $CLOUDSDK_CONFIG (default ~/.config/gcloud)
 *      /application_default_credentials.json, same two types
 *   4. the metadata server (GCE, GKE): $GCE_METADATA_HOST (default
 *      metadata.google.internal), header Metadata-Flavor: Google
 *
 * Tokens obtained are cached for the run (one mutex, every worker) until a
 * minute before they expire, then fetched again.  The key file, the JWT,
 * refresh tokens and access tokens are secrets: wiped after use, shown as
 * [REDACTED] in debug output, never logged.  In a dry run nothing is
 * exchanged: the plan shows where the token would come from.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define ADC_MAX_FILE ((size_t)64 << 10)
#define ADC_SCOPE "https://www.googleapis.com/auth/cloud-platform"
#define ADC_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define ADC_SKEW_NS ((int64_t)60 * 1000000000)
#define ADC_CACHE 4

struct adc_entry {
	char key[300];       /* "file:PATH" or "metadata:HOST" */
	char *token;
	size_t len;
	int64_t expiry_ns;
};

static pthread_mutex_t adc_mu = PTHREAD_MUTEX_INITIALIZER;
static struct adc_entry adc_cache[ADC_CACHE];

void
gcp_adc_cache_clear(void)
{
	int i;

	pthread_mutex_lock(&adc_mu);
	for (i = 0; i < ADC_CACHE; i++) {
		secret_free(&adc_cache[i].token);
		memset(&adc_cache[i], 0, sizeof(adc_cache[i]));
	}
	pthread_mutex_unlock(&adc_mu);
}

/* A string field, decoded, in fresh memory; NULL when absent. */
static char *
jdup(const struct json_doc *d, const char *key, size_t *len)
{
	int i = json_get(d, 0, key);
	size_t cap, n;
	char *o;

	if (i < 0 || json_type(d, i) != JSON_STRING)
		return NULL;
	cap = json_raw(d, i).n + 1;
	o = xmalloc(cap);
	if (json_str(d, i, o, cap, &n) != CD_OK || n == 0) {
		freezero(o, cap);
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return o;
}

static int
b64url(struct buf *b, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;
	int r = CD_OK;

	for (i = 0; i + 2 < n && r == CD_OK; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		r = buf_addc(b, a[v >> 18]) || buf_addc(b, a[(v >> 12) & 63]) ||
		    buf_addc(b, a[(v >> 6) & 63]) || buf_addc(b, a[v & 63]);
	}
	if (r == CD_OK && n - i == 1)
		r = buf_addc(b, a[p[i] >> 2]) || buf_addc(b, a[(p[i] & 3) << 4]);
	else if (r == CD_OK && n - i == 2)
		r = buf_addc(b, a[p[i] >> 2]) || buf_addc(b, a[((p[i] & 3) << 4) | (p[i + 1] >> 4)]) ||
		    buf_addc(b, a[(p[i + 1] & 15) << 2]);
	return r ? CD_E_LIMIT : CD_OK;
}

/* header.claims.signature, RS256 with the PEM key; into jwt. */
static int
jwt_sign(const char *pem, size_t pemlen, const char *header, const char *claims, struct buf *jwt,
	 char **cause)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)pemlen);
	EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	int r = CD_E_PARSE;

	if (pk == NULL || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA) {
		*cause = xstrdup("its private_key is not a PEM RSA private key");
		goto out;
	}
	if (b64url(jwt, (const unsigned char *)header, strlen(header)) != CD_OK ||
	    buf_addc(jwt, '.') != CD_OK ||
	    b64url(jwt, (const unsigned char *)claims, strlen(claims)) != CD_OK) {
		*cause = xstrdup("JWT too long");
		r = CD_E_LIMIT;
		goto out;
	}
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)jwt->data, jwt->len) != 1) {
		*cause = xstrdup("signing the JWT failed (RSA key too large or unusable)");
		r = CD_E_INTERNAL;
		goto out;
	}
	if (buf_addc(jwt, '.') != CD_OK || b64url(jwt, sig, siglen) != CD_OK) {
		*cause = xstrdup("JWT too long");
		r = CD_E_LIMIT;
		goto out;
	}
	r = CD_OK;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return r;
}

static int
url_ok(const char *u)
{
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://127.0.0.1", 16) == 0 ||
	       strncmp(u, "http://localhost", 16) == 0 || strncmp(u, "http://[::1]", 12) == 0;
}

/* POST a form to a token endpoint (or GET the metadata server); the
 * access token and its lifetime from the answer. */
static int
token_call(const struct conn_opts *o, struct http_req *rq, const char *what, char **tok,
	   size_t *toklen, int64_t *expiry_ns, char **cause)
{
	struct conn_opts so = *o;
	struct http_resp rs;
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	int r = CD_E_USAGE, i;
	int64_t secs = 3600;

	so.dry_run = 0;        /* a token is needed to print even the plan's first read */
	so.input_secret = NULL;
	http_resp_init(&rs);
	if (http_send(&so, rq, &rs) != CD_OK) {
		*cause = xstrdupf("%s: no answer from %s: %s", what, rq->url, rs.error);
		http_resp_release(&rs);
		return CD_E_USAGE;
	}
	json_tokens_init(&t, 256);
	if (json_parse(&d, rs.body.data, rs.body.len, &t, &why) != CD_OK ||
	    json_type(&d, 0) != JSON_OBJECT) {
		*cause = xstrdupf("%s: %s answered HTTP %ld without JSON", what, rq->url, rs.status);
		goto out;
	}
	if (rs.status != 200) {
		char e[64] = "", desc[200] = "";
		size_t n;

		if ((i = json_get(&d, 0, "error")) >= 0 && json_type(&d, i) == JSON_STRING)
			json_str(&d, i, e, sizeof(e), &n);
		if ((i = json_get(&d, 0, "error_description")) >= 0 && json_type(&d, i) == JSON_STRING)
			json_str(&d, i, desc, sizeof(desc), &n);
		*cause = xstrdupf("%s: %s refused the exchange: HTTP %ld %s: %s", what, rq->url, rs.status,
				 e[0] ? e : "?", desc);
		goto out;
	}
	*tok = jdup(&d, "access_token", toklen);
	if (*tok == NULL) {
		*cause = xstrdupf("%s: %s answered without an access_token", what, rq->url);
		goto out;
	}
	if ((i = json_get(&d, 0, "expires_in")) >= 0 && json_i64(&d, i, &secs) != CD_OK)
		secs = 3600;
	if (secs < 0 || secs > 86400 * 7)
		secs = 3600;
	*expiry_ns = time_now_ns() + secs * 1000000000LL;
	r = CD_OK;
out:
	json_tokens_release(&t);
	/* the body holds the token */
	freezero(rs.body.data, rs.body.alloc);
	rs.body.data = NULL;
	rs.body.alloc = rs.body.len = 0;
	http_resp_release(&rs);
	return r;
}

static void
tls_from_env(struct http_tls *tls)
{
	memset(tls, 0, sizeof(*tls));
	tls->ca_file = env_get("CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE");
}

/* A service-account key file: sign a JWT, exchange it. */
static int
sa_exchange(const struct conn_opts *o, const char *path, const struct json_doc *d, char **tok,
	    size_t *toklen, int64_t *exp, char **cause)
{
	char *email = jdup(d, "client_email", NULL), *kid = jdup(d, "private_key_id", NULL);
	char *uri = jdup(d, "token_uri", NULL), *pem = NULL, *why = NULL;
	size_t pemlen = 0;
	struct buf hdr, cl, jwt, body;
	struct http_req rq = { 0 };
	struct http_tls tls;
	int64_t now = time_now_ns() / 1000000000LL;
	int r = CD_E_USAGE;

	buf_init(&hdr, 4096);
	buf_init(&cl, 8192);
	buf_init(&jwt, 16384);
	buf_init(&body, 32768);
	pem = jdup(d, "private_key", &pemlen);
	if (email == NULL || pem == NULL) {
		*cause = xstrdupf("service-account key file %s has no client_email or private_key: "
				 "download the key again (gcloud iam service-accounts keys create)",
				 path);
		goto out;
	}
	if (uri == NULL)
		uri = xstrdup(ADC_DEFAULT_TOKEN_URI);
	if (!url_ok(uri)) {
		*cause = xstrdupf("service-account key file %s: token_uri must be https://", path);
		goto out;
	}
	if (buf_addstr(&hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\"") != CD_OK ||
	    (kid != NULL && (buf_addstr(&hdr, ",\"kid\":") != CD_OK || json_put_str(&hdr, kid) != CD_OK)) ||
	    buf_addc(&hdr, '}') != CD_OK || buf_addstr(&cl, "{\"iss\":") != CD_OK ||
	    json_put_str(&cl, email) != CD_OK ||
	    buf_printf(&cl, ",\"scope\":\"%s\",\"aud\":", ADC_SCOPE) != CD_OK ||
	    json_put_str(&cl, uri) != CD_OK ||
	    buf_printf(&cl, ",\"iat\":%lld,\"exp\":%lld}", (long long)now, (long long)now + 3600) !=
		    CD_OK) {
		*cause = xstrdupf("service-account key file %s: fields too long", path);
		goto out;
	}
	if (jwt_sign(pem, pemlen, hdr.data, cl.data, &jwt, &why) != CD_OK) {
		*cause = xstrdupf("service-account key file %s: %s", path, why ? why : "cannot sign");
		free(why);
		goto out;
	}
	if (buf_addstr(&body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
			      "&assertion=") != CD_OK ||
	    buf_add(&body, jwt.data, jwt.len) != CD_OK) {
		*cause = xstrdupf("service-account key file %s: JWT too long", path);
		goto out;
	}
	tls_from_env(&tls);
	rq.method = "POST";
	rq.url = uri;
	api_body(&rq, "Content-Type: application/x-www-form-urlencoded", body.data,
		 "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=[REDACTED]");
	rq.tls = &tls;
	rq.idempotent = 1;
	{
		char what[600];

		snprintf(what, sizeof(what), "service-account key file %s (%s)", path, email);
		r = token_call(o, &rq, what, tok, toklen, exp, cause);
	}
out:
	free(email);
	free(kid);
	free(uri);
	if (pem != NULL)
		freezero(pem, pemlen + 1);
	freezero(jwt.data, jwt.alloc);
	freezero(body.data, body.alloc);
	buf_release(&hdr);
	buf_release(&cl);
	return r;
}

/* An authorized_user file (gcloud auth application-default login). */
static int
user_refresh(const struct conn_opts *o, const char *path, const struct json_doc *d, char **tok,
	     size_t *toklen, int64_t *exp, char **cause)
{
	size_t cl = 0, sl = 0, rl = 0;
	char *cid = jdup(d, "client_id", &cl), *sec = jdup(d, "client_secret", &sl);
	char *rt = jdup(d, "refresh_token", &rl), *uri = jdup(d, "token_uri", NULL);
	struct http_req rq = { 0 };
	struct http_tls tls;
	struct buf body;
	int r = CD_E_USAGE;

	buf_init(&body, 16384);
	if (cid == NULL || sec == NULL || rt == NULL) {
		*cause = xstrdupf("authorized_user file %s lacks client_id, client_secret or "
				 "refresh_token: run gcloud auth application-default login again",
				 path);
		goto out;
	}
	if (uri == NULL)
		uri = xstrdup(ADC_DEFAULT_TOKEN_URI);
	if (!url_ok(uri)) {
		*cause = xstrdupf("authorized_user file %s: token_uri must be https://", path);
		goto out;
	}
	if (buf_addstr(&body, "grant_type=refresh_token&client_id=") != CD_OK ||
	    url_encode(&body, cid, cl) != CD_OK || buf_addstr(&body, "&client_secret=") != CD_OK ||
	    url_encode(&body, sec, sl) != CD_OK || buf_addstr(&body, "&refresh_token=") != CD_OK ||
	    url_encode(&body, rt, rl) != CD_OK) {
		*cause = xstrdupf("authorized_user file %s: fields too long", path);
		goto out;
	}
	tls_from_env(&tls);
	rq.method = "POST";
	rq.url = uri;
	api_body(&rq, "Content-Type: application/x-www-form-urlencoded", body.data,
		 "grant_type=refresh_token&client_id=[REDACTED]&client_secret=[REDACTED]"
		 "&refresh_token=[REDACTED]");
	rq.tls = &tls;
	rq.idempotent = 1;
	{
		char what[600];

		snprintf(what, sizeof(what), "authorized_user file %s", path);
		r = token_call(o, &rq, what, tok, toklen, exp, cause);
		if (r != CD_OK && *cause != NULL && strstr(*cause, "invalid_grant") != NULL) {
			char *c2 = xstrdupf("%s (run gcloud auth application-default login again)", *cause);

			free(*cause);
			*cause = c2;
		}
	}
out:
	if (cid != NULL)
		freezero(cid, cl + 1);
	if (sec != NULL)
		freezero(sec, sl + 1);
	if (rt != NULL)
		freezero(rt, rl + 1);
	free(uri);
	freezero(body.data, body.alloc);
	return r;
}

/* A credentials file of either type. */
static int
from_file(const struct conn_opts *o, const char *path, char **tok, size_t *toklen, int64_t *exp,
	  char **cause)
{
	char *text = NULL, *rc = NULL, ty[64] = "";
	size_t len = 0, n;
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	int r = CD_E_USAGE, i;

	if (file_read(path, ADC_MAX_FILE, &text, &len, &rc) != CD_OK) {
		*cause = xstrdupf("cannot read GCP credentials file %s: %s", path, rc ? rc : "?");
		free(rc);
		return CD_E_USAGE;
	}
	json_tokens_init(&t, 512);
	if (json_parse(&d, text, len, &t, &why) != CD_OK || json_type(&d, 0) != JSON_OBJECT ||
	    (i = json_get(&d, 0, "type")) < 0 || json_str(&d, i, ty, sizeof(ty), &n) != CD_OK) {
		*cause = xstrdupf("GCP credentials file %s is not a credentials JSON with a \"type\"", path);
	} else if (strcmp(ty, "service_account") == 0) {
		r = sa_exchange(o, path, &d, tok, toklen, exp, cause);
	} else if (strcmp(ty, "authorized_user") == 0) {
		r = user_refresh(o, path, &d, tok, toklen, exp, cause);
	} else {
		*cause = xstrdupf("GCP credentials file %s is of type '%s', which cordon does not read: "
				 "give a service_account key or authorized_user file, or set "
				 "CLOUDSDK_AUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)",
				 path, ty);
	}
	json_tokens_release(&t);
	freezero(text, len + 1);
	return r;
}

static int
from_metadata(const struct conn_opts *o, const char *host, char **tok, size_t *toklen,
	      int64_t *exp, char **cause)
{
	struct http_req rq = { 0 };
	struct buf url;
	int r;

	buf_init(&url, 1024);
	if (buf_printf(&url, "http://%s/computeMetadata/v1/instance/service-accounts/default/token",
		       host) != CD_OK) {
		buf_release(&url);
		*cause = xstrdup("GCE_METADATA_HOST too long");
		return CD_E_USAGE;
	}
	rq.method = "GET";
	rq.url = url.data;
	http_req_header(&rq, "Metadata-Flavor: Google", 0);
	rq.idempotent = 0; /* off GCE nothing answers: one try */
	r = token_call(o, &rq, "the GCE metadata server", tok, toklen, exp, cause);
	buf_release(&url);
	return r;
}

/* Cached token for key, if still good for a minute; else fetch with fn. */
static int
cached(const char *key, char **tok, size_t *len, int *hit)
{
	int i;

	*hit = 0;
	for (i = 0; i < ADC_CACHE; i++)
		if (adc_cache[i].token != NULL && strcmp(adc_cache[i].key, key) == 0 &&
		    time_now_ns() + ADC_SKEW_NS < adc_cache[i].expiry_ns) {
			*tok = xstrndup(adc_cache[i].token, adc_cache[i].len);
			*len = adc_cache[i].len;
			*hit = 1;
			return CD_OK;
		}
	return CD_E_NOTFOUND;
}

static void
remember(const char *key, const char *tok, size_t len, int64_t exp)
{
	int i, slot = 0;

	for (i = 0; i < ADC_CACHE; i++)
		if (adc_cache[i].token == NULL || strcmp(adc_cache[i].key, key) == 0) {
			slot = i;
			break;
		}
	secret_free(&adc_cache[slot].token);
	snprintf(adc_cache[slot].key, sizeof(adc_cache[slot].key), "%s", key);
	adc_cache[slot].token = xstrndup(tok, len);
	adc_cache[slot].len = len;
	adc_cache[slot].expiry_ns = exp;
}

int
gcp_adc_token(const struct conn_opts *o, char **tok, size_t *len, char **source, char **cause)
{
	const char *v, *cfg = env_get("CLOUDSDK_CONFIG"), *home = env_get("HOME");
	char key[300], *path = NULL;
	int kind, hit, r;
	int64_t exp = 0;
	struct buf b;

	*tok = NULL;
	*source = NULL;
	*cause = NULL;
	if ((v = env_get("CLOUDSDK_AUTH_ACCESS_TOKEN")) != NULL ||
	    (v = env_get("GOOGLE_OAUTH_ACCESS_TOKEN")) != NULL) {
		*tok = xstrdup(v);
		*len = strlen(v);
		*source = xstrdup("an access token from the environment");
		return CD_OK;
	}
	/* which source: 1 a file, 2 the metadata server */
	if ((v = env_get("GOOGLE_APPLICATION_CREDENTIALS")) != NULL) {
		if (access(v, R_OK) != 0) {
			*cause = xstrdupf("GOOGLE_APPLICATION_CREDENTIALS names %s, which cannot be read: "
					 "fix the path (a service-account key or authorized_user JSON)",
					 v);
			return CD_E_USAGE;
		}
		path = xstrdup(v);
	} else {
		buf_init(&b, 4096);
		if (cfg != NULL)
			r = buf_printf(&b, "%s/application_default_credentials.json", cfg);
		else if (home != NULL)
			r = buf_printf(&b, "%s/.config/gcloud/application_default_credentials.json", home);
		else
			r = CD_E_NOTFOUND;
		if (r == CD_OK && access(b.data, R_OK) == 0)
			path = buf_take(&b);
		else
			buf_release(&b);
	}
	kind = path != NULL ? 1 : 2;
	v = env_get("GCE_METADATA_HOST");
	if (v == NULL)
		v = "metadata.google.internal";
	snprintf(key, sizeof(key), "%s:%s", kind == 1 ? "file" : "metadata", kind == 1 ? path : v);
	*source = kind == 1 ? xstrdupf("credentials file %s", path)
			    : xstrdupf("the GCE metadata server (%s)", v);
	if (o->dry_run) {
		/* nothing is exchanged: the header shows [REDACTED] anyway */
		*tok = xstrdup("dry-run-placeholder");
		*len = strlen(*tok);
		free(path);
		return CD_OK;
	}
	pthread_mutex_lock(&adc_mu);
	if (cached(key, tok, len, &hit) == CD_OK) {
		pthread_mutex_unlock(&adc_mu);
		free(path);
		return CD_OK;
	}
	if (kind == 1)
		r = from_file(o, path, tok, len, &exp, cause);
	else
		r = from_metadata(o, v, tok, len, &exp, cause);
	if (r == CD_OK)
		remember(key, *tok, *len, exp);
	pthread_mutex_unlock(&adc_mu);
	if (r != CD_OK && kind == 2) {
		char *c2 = xstrdupf("no GCP credentials: CLOUDSDK_AUTH_ACCESS_TOKEN, "
				   "GOOGLE_APPLICATION_CREDENTIALS and gcloud's "
				   "application_default_credentials.json are not set or absent, and %s "
				   "(set one, e.g. gcloud auth application-default login)",
				   *cause ? *cause : "the metadata server did not answer");

		free(*cause);
		*cause = c2;
	}
	free(path);
	return r;
}
