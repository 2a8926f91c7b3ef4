/*
 * gcp.c - the GCP connector: IAM service-account keys (disable, enable,
 * delete).
 *
 * Configuration as gcloud and the client libraries read it: an OAuth2
 * access token from CLOUDSDK_AUTH_ACCESS_TOKEN or GOOGLE_OAUTH_ACCESS_TOKEN
 * (e.g. `export CLOUDSDK_AUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)`),
 * the IAM endpoint from CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM (default
 * https://iam.googleapis.com/), a CA bundle from
 * CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE.  Disabling an already disabled key is
 * not documented, so the key is read first and after; deleting a deleted
 * key answers 404 or 400 FAILED_PRECONDITION, both "already done" once a
 * read agrees.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

struct gcp_cfg {
	char *base;
	char *auth_header; /* wiped */
	char *ca_file;
	struct http_tls tls;
};

static void
gcp_close(void **cdata)
{
	struct gcp_cfg *g = *cdata;

	if (g == NULL)
		return;
	free(g->base);
	if (g->auth_header != NULL)
		freezero(g->auth_header, strlen(g->auth_header) + 1);
	free(g->ca_file);
	free(g);
	*cdata = NULL;
}

static int
gcp_open(void **cdata, char **cause)
{
	const char *tok = env_get("CLOUDSDK_AUTH_ACCESS_TOKEN"), *base;
	struct gcp_cfg *g;
	struct buf b;

	if (tok == NULL)
		tok = env_get("GOOGLE_OAUTH_ACCESS_TOKEN");
	if (tok == NULL) {
		*cause = xstrdup("no GCP access token: set CLOUDSDK_AUTH_ACCESS_TOKEN "
				 "(gcloud auth print-access-token) or GOOGLE_OAUTH_ACCESS_TOKEN");
		return CD_E_USAGE;
	}
	base = env_get("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM");
	if (base == NULL)
		base = "https://iam.googleapis.com/";
	if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://127.0.0.1", 16) != 0 &&
	    strncmp(base, "http://localhost", 16) != 0) {
		*cause = xstrdup("the IAM endpoint must be https:// (plain http only on loopback)");
		return CD_E_USAGE;
	}
	g = xcalloc(1, sizeof(*g));
	g->base = xstrdup(base);
	buf_init(&b, 65536);
	if (buf_printf(&b, "Authorization: Bearer %s", tok) == CD_OK)
		g->auth_header = buf_take(&b);
	else
		freezero(b.data, b.alloc);
	if (env_get("CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE") != NULL)
		g->ca_file = xstrdup(env_get("CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE"));
	g->tls.ca_file = g->ca_file;
	*cdata = g;
	return CD_OK;
}

struct gcp_out {
	struct http_resp rs;
	char status[64];
	char message[256];
};

static int
gcp_call(struct conn *c, const char *method, const char *name, const char *verb, const char *body,
	 struct gcp_out *o, struct conn_result *res)
{
	struct gcp_cfg *g = c->cdata;
	struct http_req rq = { 0 };
	struct buf url, path;
	int r;

	buf_init(&url, 8192);
	buf_init(&path, 4096);
	if (buf_printf(&path, "v1/%s%s", name, verb ? verb : "") != CD_OK ||
	    url_join(&url, g->base, path.data) != CD_OK) {
		buf_release(&url);
		buf_release(&path);
		return CD_E_LIMIT;
	}
	rq.method = method;
	rq.url = url.data;
	http_req_header(&rq, g->auth_header, 1);
	if (body != NULL) {
		http_req_header(&rq, "Content-Type: application/json", 0);
		rq.body = body;
		rq.body_len = strlen(body);
	}
	rq.tls = &g->tls;
	rq.idempotent = 1;
	rq.reqid_headers[0] = "x-request-id";
	rq.reqid_headers[1] = "x-goog-request-id";
	http_resp_init(&o->rs);
	o->status[0] = o->message[0] = '\0';
	r = http_send(c->opts, &rq, &o->rs);
	buf_release(&url);
	if (r != CD_OK) {
		res_note_request(res, "%s %s -> no response", method, path.data);
		snprintf(o->message, sizeof(o->message), "%s", o->rs.error);
		buf_release(&path);
		return CD_E_IO;
	}
	if (o->rs.dry_run) {
		res_note_request(res, "%s %s (dry-run)", method, path.data);
		buf_release(&path);
		return CD_OK;
	}
	if (o->rs.status >= 400) {
		json_body_str(&o->rs.body, "error.status", o->status, sizeof(o->status));
		json_body_str(&o->rs.body, "error.message", o->message, sizeof(o->message));
	}
	if (res->http_status == 0)
		res_from_resp(res, &o->rs);
	res_note_request(res, "%s %s -> %ld%s%s", method, path.data, o->rs.status,
			 o->status[0] ? " " : "", o->status);
	buf_release(&path);
	return CD_OK;
}

static void
gcp_fail(struct conn_result *res, const struct gcp_out *o, const char *what)
{
	res->outcome = CONN_FAILED;
	if (o->rs.status == 0) {
		res_detail(res, "%s: no response: %s", what, o->message);
		return;
	}
	res_from_resp(res, &o->rs);
	res_detail(res, "%s: HTTP %ld %s: %s", what, o->rs.status, o->status, o->message);
	if (o->rs.status == 401)
		res_detail(res, "the GCP access token is invalid or expired");
}

static int
key_name_ok(const char *n, struct conn_result *res)
{
	if (strncmp(n, "projects/", 9) != 0 || strstr(n, "/serviceAccounts/") == NULL ||
	    strstr(n, "/keys/") == NULL || !ident_ok(n, "/@._-", 512)) {
		res_detail(res, "'%s' is not projects/P/serviceAccounts/SA/keys/KEY", n);
		return CD_E_USAGE;
	}
	return CD_OK;
}

/* GET the key: 1 disabled, 0 enabled, 2 gone, -1 error. */
static int
key_state(struct conn *c, const char *name, struct conn_result *res)
{
	struct gcp_out o;
	char v[16];
	int r = gcp_call(c, "GET", name, NULL, NULL, &o, res);

	if (r == CD_OK && o.rs.status == 200)
		r = json_body_str(&o.rs.body, "disabled", v, sizeof(v)) == 0 && strcmp(v, "true") == 0;
	else if (r == CD_OK && o.rs.status == 404)
		r = 2;
	else {
		gcp_fail(res, &o, "GET key");
		r = -1;
	}
	http_resp_release(&o.rs);
	return r;
}

static int
gcp_set_disabled(struct conn *c, const char *name, int disable, struct conn_result *res)
{
	struct gcp_out o;
	int r, s;

	if (key_name_ok(name, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		s = key_state(c, name, res);
		if (s < 0)
			return CD_OK;
		if (s == 2) {
			res->outcome = disable ? CONN_ALREADY : CONN_FAILED;
			res_verified(res, "absent (deleted)");
			if (!disable)
				res_detail(res, "the key no longer exists");
			return CD_OK;
		}
		if (s == disable) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "disabled=%s", disable ? "true" : "false");
			return CD_OK;
		}
	}
	r = gcp_call(c, "POST", name, disable ? ":disable" : ":enable", "{}", &o, res);
	if (r == CD_OK && o.rs.dry_run) {
		http_resp_release(&o.rs);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (r != CD_OK || o.rs.status != 200) {
		gcp_fail(res, &o, disable ? "disable" : "enable");
		http_resp_release(&o.rs);
		return CD_OK;
	}
	res_from_resp(res, &o.rs);
	http_resp_release(&o.rs);
	s = key_state(c, name, res);
	if (s == disable) {
		res->outcome = CONN_DONE;
		res_verified(res, "disabled=%s", disable ? "true" : "false");
		res_undo(res, "%s %s", disable ? "enable-key" : "disable-key", name);
	} else if (s >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: key is %s", s == 2 ? "gone" : s ? "disabled" : "enabled");
	}
	return CD_OK;
}

/* Implements conn_action::run for disable-key. */
static int
gcp_disable_key(struct conn *c, const char *name, struct conn_result *res)
{
	return gcp_set_disabled(c, name, 1, res);
}

/* Implements conn_action::run for enable-key (the undo of disable-key). */
static int
gcp_enable_key(struct conn *c, const char *name, struct conn_result *res)
{
	return gcp_set_disabled(c, name, 0, res);
}

/* Implements conn_action::run for delete-key. */
static int
gcp_delete_key(struct conn *c, const char *name, struct conn_result *res)
{
	struct gcp_out o;
	int r, s, already = 0;

	if (key_name_ok(name, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		s = key_state(c, name, res);
		if (s < 0)
			return CD_OK;
		if (s == 2) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "absent (404)");
			return CD_OK;
		}
	}
	r = gcp_call(c, "DELETE", name, NULL, NULL, &o, res);
	if (r == CD_OK && o.rs.dry_run) {
		http_resp_release(&o.rs);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (r == CD_OK && o.rs.status == 200)
		res_from_resp(res, &o.rs);
	else if (r == CD_OK && (o.rs.status == 404 ||
				(o.rs.status == 400 && strcmp(o.status, "FAILED_PRECONDITION") == 0)))
		already = 1;
	else {
		gcp_fail(res, &o, "DELETE key");
		http_resp_release(&o.rs);
		return CD_OK;
	}
	http_resp_release(&o.rs);
	s = key_state(c, name, res);
	if (s == 2) {
		res->outcome = already ? CONN_ALREADY : CONN_DONE;
		res_verified(res, "absent (404)");
	} else if (s >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: the key still exists");
	}
	return CD_OK;
}

static const struct conn_action gcp_actions[] = {
	{ .name = "disable-key", .target_doc = "projects/P/serviceAccounts/SA/keys/KEY",
	  .flags = CONN_F_REVERSIBLE, .phase = PHASE_REVOKE, .undo = "enable-key",
	  .run = gcp_disable_key },
	{ .name = "enable-key", .target_doc = "projects/P/serviceAccounts/SA/keys/KEY",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_REVOKE, .undo = "disable-key",
	  .run = gcp_enable_key },
	{ .name = "delete-key", .target_doc = "projects/P/serviceAccounts/SA/keys/KEY",
	  .phase = PHASE_CLEANUP, .run = gcp_delete_key },
	{ .name = NULL },
};

const struct connector conn_gcp = {
	.name = "gcp",
	.actions = gcp_actions,
	.open = gcp_open,
	.close = gcp_close,
};
