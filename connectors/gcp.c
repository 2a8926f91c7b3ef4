/*
 * gcp.c - the GCP connector: IAM service-account keys (disable, enable,
 * delete).
 *
 * Configuration as gcloud and the client libraries read it: an OAuth2
 * access token from Application Default Credentials (gcp_adc.c: a token in
 * CLOUDSDK_AUTH_ACCESS_TOKEN or GOOGLE_OAUTH_ACCESS_TOKEN, a key file in
 * GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, the metadata server),
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
	secret_free(&g->auth_header);
	free(g->ca_file);
	free(g);
	*cdata = NULL;
}

/* Implements connector::open_opts. */
static int
gcp_open(const struct conn_opts *o, void **cdata, char **cause)
{
	const char *base;
	char *tok = NULL, *source = NULL;
	size_t toklen = 0;
	struct gcp_cfg *g;
	int r;

	*cdata = NULL;
	base = env_get("CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM");
	if (base == NULL)
		base = "https://iam.googleapis.com/";
	if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://127.0.0.1", 16) != 0 &&
	    strncmp(base, "http://localhost", 16) != 0) {
		*cause = xstrdup("the IAM endpoint must be https:// (plain http only on loopback)");
		return CD_E_USAGE;
	}
	if ((r = gcp_adc_token(o, &tok, &toklen, &source, cause)) != CD_OK) {
		free(source);
		return r;
	}
	free(source);
	g = xcalloc(1, sizeof(*g));
	g->base = xstrdup(base);
	g->auth_header = secret_header("Authorization: Bearer ", tok, toklen);
	freezero(tok, toklen + 1);
	if (env_get("CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE") != NULL)
		g->ca_file = xstrdup(env_get("CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE"));
	g->tls.ca_file = g->ca_file;
	*cdata = g;
	return CD_OK;
}

/* Implements api_style::parse: {"error":{"status":..., "message":...}}. */
static void
gcp_parse(struct api_out *o)
{
	if (o->rs.status >= 400) {
		json_body_str(&o->rs.body, "error.status", o->code, sizeof(o->code));
		json_body_str(&o->rs.body, "error.message", o->message, sizeof(o->message));
	}
}

/* Implements api_style::explain. */
static void
gcp_explain(struct conn_result *res, const struct api_out *o, const char *what)
{
	if (o->rs.status == 0)
		return;
	res_detail(res, "%s: HTTP %ld %s: %s", what, o->rs.status, o->code, o->message);
	if (o->rs.status == 401)
		res_detail(res, "the GCP access token is invalid or expired");
}

static const struct api_style gcp_style = { .parse = gcp_parse, .explain = gcp_explain };

/* METHOD v1/NAME[VERB] on the IAM API. */
static int
gcp_call(struct conn *c, const char *method, const char *name, const char *verb, const char *body,
	 struct api_out *o, struct conn_result *res)
{
	struct gcp_cfg *g = c->cdata;
	struct http_req rq = { 0 };
	struct buf path;
	int r;

	rq.method = method;
	http_req_header(&rq, g->auth_header, 1);
	if (body != NULL)
		api_body(&rq, "Content-Type: application/json", body, NULL);
	rq.tls = &g->tls;
	rq.idempotent = 1;
	rq.reqid_headers[0] = "x-request-id";
	rq.reqid_headers[1] = "x-goog-request-id";
	buf_init(&path, 4096);
	if (buf_printf(&path, "v1/%s%s", name, verb ? verb : "") == CD_OK) {
		r = api_rest(c, g->base, path.data, &rq, &gcp_style, o, res);
	} else {
		api_out_init(o, &gcp_style);
		r = CD_E_LIMIT;
	}
	buf_release(&path);
	return r;
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
	struct api_out o;
	char v[16];
	int r = api_present(gcp_call(c, "GET", name, NULL, NULL, &o, res), &o, "GET key", res);

	if (r == 1)
		r = json_body_str(&o.rs.body, "disabled", v, sizeof(v)) == 0 && strcmp(v, "true") == 0;
	else if (r == 0)
		r = 2;
	http_resp_release(&o.rs);
	return r;
}

static const struct api_expect gcp_disabled = { .what = "disable", .ok = { 200 } };
static const struct api_expect gcp_enabled = { .what = "enable", .ok = { 200 } };

/* Shared by disable-key and enable-key: check, act, verify. */
static int
gcp_set_disabled(struct conn *c, const char *name, int disable, struct conn_result *res)
{
	struct api_out o;
	int r, s;

	if (key_name_ok(name, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		s = key_state(c, name, res);
		if (s < 0)
			return CD_OK;
		if (s == 2) {
			/* absent before we acted: nothing shows it was ever the caller's */
			res->outcome = CONN_FAILED;
			res_verified(res, "absent (404)");
			if (!disable) {
				res_detail(res, "the key no longer exists");
				return CD_OK;
			}
			res_detail(res, "key not found (404): deleted before, mistyped, or not visible to "
					"the caller; cordon cannot prove it is revoked");
			snprintf(res->absent_by, sizeof(res->absent_by), "delete-key");
			return CD_OK;
		}
		if (s == disable) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "disabled=%s", disable ? "true" : "false");
			return CD_OK;
		}
	}
	r = gcp_call(c, "POST", name, disable ? ":disable" : ":enable", "{}", &o, res);
	r = api_acted(r, &o, disable ? &gcp_disabled : &gcp_enabled, res);
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
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

/* A deleted key answers 404, or 400 FAILED_PRECONDITION (the only status
 * Google maps that code to). */
static const struct api_expect gcp_deleted = {
	.what = "DELETE key", .ok = { 200 }, .gone = { 404 }, .gone_code = "FAILED_PRECONDITION",
};

/* Implements conn_action::run for delete-key. */
static int
gcp_delete_key(struct conn *c, const char *name, struct conn_result *res)
{
	struct api_out o;
	int s, acted;

	if (key_name_ok(name, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		s = key_state(c, name, res);
		if (s < 0)
			return CD_OK;
		if (s == 2) {
			res->outcome = CONN_FAILED;
			res_verified(res, "absent (404)");
			res_detail(res, "key not found (404): deleted before, mistyped, or not visible to "
					"the caller; cordon cannot prove it is revoked");
			snprintf(res->absent_by, sizeof(res->absent_by), "delete-key");
			return CD_OK;
		}
	}
	acted = api_acted(gcp_call(c, "DELETE", name, NULL, NULL, &o, res), &o, &gcp_deleted, res);
	if (acted == ACTED_FAILED || acted == ACTED_DRYRUN)
		return CD_OK;
	s = key_state(c, name, res);
	if (s == 2) {
		res->outcome = acted == ACTED_ALREADY ? CONN_ALREADY : CONN_DONE;
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
	.open_opts = gcp_open,
	.close = gcp_close,
};
