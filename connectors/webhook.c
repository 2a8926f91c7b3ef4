/*
 * webhook.c - the notification connector: a Slack-compatible incoming
 * webhook ({"text": ...}).
 *
 * CORDON_WEBHOOK_URL names it.  A Slack webhook URL is itself a secret (the
 * path is the credential), so only its scheme and host are ever shown or
 * recorded.  With CORDON_WEBHOOK_SECRET the body is signed like GitHub's
 * webhooks: X-Cordon-Timestamp and X-Cordon-Signature: sha256=HMAC(secret,
 * "TIMESTAMP.BODY").  Every notification carries an Idempotency-Key, so a
 * retry after 429/5xx cannot post twice to receivers that honour it.  The
 * text goes through the same redaction as every output: a notification
 * never carries a secret.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "private.h"

struct hook_cfg {
	char *url;     /* secret */
	char *shown;   /* scheme://host/[REDACTED] */
	char *secret;  /* HMAC key, wiped */
	char *ca_file;
	struct http_tls tls;
};

static void
hook_close(void **cdata)
{
	struct hook_cfg *h = *cdata;

	if (h == NULL)
		return;
	freezero(h->url, strlen(h->url) + 1);
	free(h->shown);
	if (h->secret != NULL)
		freezero(h->secret, strlen(h->secret) + 1);
	free(h->ca_file);
	free(h);
	*cdata = NULL;
}

static int
hook_open(void **cdata, char **cause)
{
	const char *u = env_get("CORDON_WEBHOOK_URL"), *host, *slash;
	struct hook_cfg *h;
	struct buf b;

	if (u == NULL) {
		*cause = xstrdup("CORDON_WEBHOOK_URL is not set");
		return CD_E_USAGE;
	}
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://127.0.0.1", 16) != 0 &&
	    strncmp(u, "http://localhost", 16) != 0) {
		*cause = xstrdup("CORDON_WEBHOOK_URL must be https:// (plain http only on loopback)");
		return CD_E_USAGE;
	}
	h = xcalloc(1, sizeof(*h));
	h->url = xstrdup(u);
	host = strstr(u, "://") + 3;
	slash = strchr(host, '/');
	buf_init(&b, 4096);
	if (buf_printf(&b, "%.*s/[REDACTED]", (int)(slash ? slash - u : (long)strlen(u)), u) != CD_OK)
		buf_reset(&b);
	h->shown = buf_take(&b);
	if (env_get("CORDON_WEBHOOK_SECRET") != NULL)
		h->secret = xstrdup(env_get("CORDON_WEBHOOK_SECRET"));
	if (env_get("CURL_CA_BUNDLE") != NULL)
		h->ca_file = xstrdup(env_get("CURL_CA_BUNDLE"));
	h->tls.ca_file = h->ca_file;
	*cdata = h;
	return CD_OK;
}

static pthread_mutex_t redact_mu = PTHREAD_MUTEX_INITIALIZER;

/* HMAC-SHA256 (RFC 2104) of msg, by libcrypto. */
static void
hmac_sha256(const char *key, size_t klen, const char *msg, size_t mlen, unsigned char out[32])
{
	unsigned int n = 32;

	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &n) == NULL ||
	    n != 32)
		cd_fatal("libcrypto: HMAC-SHA256 failed");
}

/* Implements conn_action::run for notify. */
static int
hook_notify(struct conn *c, const char *text, struct conn_result *res)
{
	struct hook_cfg *h = c->cdata;
	struct http_req rq = { 0 };
	struct http_resp rs;
	struct buf body, clean;
	unsigned char rnd[16], mac[32];
	char idem[64], idh[100], ts[32], tsh[64], sig[65], sigh[100];
	int r;

	buf_init(&body, 1 << 20);
	buf_init(&clean, 1 << 20);
	/* redact() keeps compiled patterns in statics: one thread at a time */
	pthread_mutex_lock(&redact_mu);
	r = redact(text, &clean);
	pthread_mutex_unlock(&redact_mu);
	if (r != CD_OK || buf_addstr(&body, "{\"text\":") != CD_OK ||
	    json_put_str(&body, clean.data) != CD_OK || buf_addc(&body, '}') != CD_OK) {
		buf_release(&body);
		buf_release(&clean);
		res_detail(res, "notification text too long");
		return CD_E_USAGE;
	}
	buf_release(&clean);
	rand_bytes(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), idem);
	snprintf(idh, sizeof(idh), "Idempotency-Key: %s", idem);
	rq.method = "POST";
	rq.url = h->url;
	rq.url_shown = h->shown;
	http_req_header(&rq, "Content-Type: application/json", 0);
	http_req_header(&rq, idh, 0);
	if (h->secret != NULL) {
		snprintf(ts, sizeof(ts), "%lld", (long long)(time_now_ns() / 1000000000LL));
		{
			/* signature over "TIMESTAMP.BODY" */
			struct buf m;

			buf_init(&m, (1 << 20) + 64);
			if (buf_printf(&m, "%s.", ts) == CD_OK && buf_add(&m, body.data, body.len) == CD_OK)
				hmac_sha256(h->secret, strlen(h->secret), m.data, m.len, mac);
			buf_release(&m);
		}
		hex_encode(mac, 32, sig);
		snprintf(tsh, sizeof(tsh), "X-Cordon-Timestamp: %s", ts);
		snprintf(sigh, sizeof(sigh), "X-Cordon-Signature: sha256=%s", sig);
		http_req_header(&rq, tsh, 0);
		http_req_header(&rq, sigh, 0);
	}
	rq.body = body.data;
	rq.body_len = body.len;
	rq.tls = &h->tls;
	rq.idempotent = 1; /* the Idempotency-Key makes a repeat harmless */
	rq.reqid_headers[0] = "x-slack-req-id";
	rq.reqid_headers[1] = "x-request-id";
	http_resp_init(&rs);
	r = http_send(c->opts, &rq, &rs);
	buf_release(&body);
	if (r == CD_OK && rs.dry_run) {
		res_note_request(res, "POST %s (dry-run)", h->shown);
		res->outcome = CONN_DRYRUN;
	} else if (r == CD_OK && rs.status >= 200 && rs.status < 300) {
		res_from_resp(res, &rs);
		res_note_request(res, "POST %s -> %ld", h->shown, rs.status);
		res->outcome = CONN_DONE;
		res_verified(res, "delivered (HTTP %ld, idempotency key %s)", rs.status, idem);
	} else {
		res_from_resp(res, &rs);
		res_note_request(res, "POST %s -> %ld", h->shown, rs.status);
		res->outcome = CONN_FAILED;
		if (rs.status)
			res_detail(res, "webhook: HTTP %ld %.100s", rs.status, rs.body.data);
		else
			res_detail(res, "webhook: no response: %s", rs.error);
	}
	http_resp_release(&rs);
	return CD_OK;
}

static const struct conn_action hook_actions[] = {
	{ .name = "notify", .target_doc = "the message text", .flags = CONN_F_TEXT,
	  .phase = PHASE_NOTIFY, .run = hook_notify },
	{ .name = NULL },
};

const struct connector conn_webhook = {
	.name = "webhook",
	.actions = hook_actions,
	.open = hook_open,
	.close = hook_close,
};
