/*
 * github.c - the GitHub connector: the credential revocation API for
 * leaked tokens, deploy keys, installation tokens.
 *
 * Configuration: GITHUB_API_URL (default https://api.github.com; GitHub
 * Enterprise: https://HOST/api/v3) and GITHUB_TOKEN (deploy keys only).
 * POST /credentials/revoke must be unauthenticated (an authenticated call
 * is refused with 403), takes up to 1000 tokens per call and answers 202:
 * revocation is asynchronous, so it is verified by asking GitHub who the
 * token is (401 = dead).  The tokens themselves come from a file or stdin
 * (conn_opts.input_secret), never from argv, and appear only in request
 * bodies, which dry-run and debug output redact.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define GH_BATCH 1000
#define GH_MAX_TOKENS 10000

struct gh_cfg {
	char *api;
	char *auth_header;  /* "Authorization: Bearer GITHUB_TOKEN", wiped */
	char *ca_file;
	struct http_tls tls;
};

static void
gh_close(void **cdata)
{
	struct gh_cfg *g = *cdata;

	if (g == NULL)
		return;
	free(g->api);
	secret_free(&g->auth_header);
	free(g->ca_file);
	free(g);
	*cdata = NULL;
}

static int
gh_open(void **cdata, char **cause)
{
	struct gh_cfg *g;
	const char *api = env_get("GITHUB_API_URL"), *tok = env_get("GITHUB_TOKEN");

	if (api == NULL)
		api = "https://api.github.com";
	if (strncmp(api, "https://", 8) != 0 && strncmp(api, "http://127.0.0.1", 16) != 0 &&
	    strncmp(api, "http://localhost", 16) != 0) {
		*cause = xstrdup("GITHUB_API_URL must be https:// (plain http only on loopback)");
		return CD_E_USAGE;
	}
	g = xcalloc(1, sizeof(*g));
	g->api = xstrdup(api);
	if (tok != NULL)
		g->auth_header = secret_header("Authorization: Bearer ", tok, strlen(tok));
	if (env_get("CURL_CA_BUNDLE") != NULL)
		g->ca_file = xstrdup(env_get("CURL_CA_BUNDLE"));
	g->tls.ca_file = g->ca_file;
	*cdata = g;
	return CD_OK;
}

/* Implements api_style::parse: errors are {"message": ...}. */
static void
gh_parse(struct api_out *o)
{
	if (o->rs.status >= 400)
		json_body_str(&o->rs.body, "message", o->message, sizeof(o->message));
}

/* Implements api_style::explain. */
static void
gh_explain(struct conn_result *res, const struct api_out *o, const char *what)
{
	if (o->rs.status == 0)
		return;
	res_detail(res, "%s: HTTP %ld: %s", what, o->rs.status, o->message[0] ? o->message : "?");
	if (o->rs.retry_after_ms > 0)
		res_detail(res, "rate limited: GitHub asks to wait %llds",
			   (long long)(o->rs.retry_after_ms / 1000));
}

static const struct api_style gh_style = { .parse = gh_parse, .explain = gh_explain };

/* One call.  auth: a full "Authorization: ..." header (secret) or NULL. */
static int
gh_call(struct conn *c, const char *method, const char *path, const char *auth, const char *body,
	const char *body_shown, struct api_out *o, struct conn_result *res)
{
	struct gh_cfg *g = c->cdata;
	struct http_req rq = { 0 };

	rq.method = method;
	http_req_header(&rq, "Accept: application/vnd.github+json", 0);
	http_req_header(&rq, "X-GitHub-Api-Version: 2022-11-28", 0);
	if (auth != NULL)
		http_req_header(&rq, auth, 1);
	if (body != NULL)
		api_body(&rq, "Content-Type: application/json", body, body_shown);
	rq.tls = &g->tls;
	rq.idempotent = 1; /* revocations and deletes: repeating is harmless */
	rq.reqid_headers[0] = "X-GitHub-Request-Id";
	rq.reqid_headers[1] = "x-request-id";
	return api_rest(c, g->api, path, &rq, &gh_style, o, res);
}

/* The tokens of the input secret: one per line. */
static int
split_tokens(const struct conn_opts *o, struct span *out, int max)
{
	const char *p = o->input_secret, *end = p + o->input_secret_len;
	int n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *a = p;

		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		while (e > a && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > a && *a != '#') {
			out[n].p = a;
			out[n].n = (size_t)(e - a);
			n++;
		}
		p = nl ? nl + 1 : end;
	}
	return n;
}

/* GET /user with the token: 1 alive, 0 dead (401), -1 unknown. */
static int
token_alive(struct conn *c, struct span tok, struct conn_result *res)
{
	char *auth = secret_header("Authorization: Bearer ", tok.p, tok.n);
	struct api_out o;
	int r;

	if (auth == NULL)
		return -1;
	r = gh_call(c, "GET", "/user", auth, NULL, NULL, &o, res);
	secret_free(&auth);
	if (r != CD_OK)
		r = -1;
	else if (o.rs.status == 401)
		r = 0;
	else if (o.rs.status == 200 || o.rs.status == 403)
		r = 1; /* 403: an installation token, alive but not a user */
	else
		r = -1;
	http_resp_release(&o.rs);
	return r;
}

/* POST /credentials/revoke accepts a batch for later revocation: 202. */
static const struct api_expect gh_revoked = { .what = "POST /credentials/revoke", .ok = { 202 } };

/* Implements conn_action::run for revoke-token: every token of the input
 * (one per line), in batches of 1000, unauthenticated. */
static int
gh_revoke_token(struct conn *c, const char *target, struct conn_result *res)
{
	struct span *toks = xcalloc(GH_MAX_TOKENS, sizeof(*toks));
	int n = split_tokens(c->opts, toks, GH_MAX_TOKENS), i, alive = 0, dead = 0, unknown = 0;
	int *state = xcalloc((size_t)(n ? n : 1), sizeof(int));

	(void)target;
	if (n == 0) {
		res_detail(res, "no token in the input");
		free(toks);
		free(state);
		return CD_E_USAGE;
	}
	if (!c->opts->dry_run) {
		for (i = 0; i < n; i++) {
			state[i] = token_alive(c, toks[i], res);
			alive += state[i] == 1;
		}
		if (alive == 0) {
			for (i = 0; i < n; i++)
				unknown += state[i] < 0;
			res->outcome = unknown ? CONN_FAILED : CONN_ALREADY;
			if (unknown)
				res_detail(res, "%d tokens could not be checked", unknown);
			else
				res_verified(res, "%d token%s already rejected by GitHub (401)", n, n > 1 ? "s" : "");
			goto out;
		}
	}
	for (i = 0; i < n; i += GH_BATCH) {
		struct buf body;
		char shown[128];
		struct api_out o;
		int k, r = CD_OK, m = 0;

		buf_init(&body, (size_t)64 << 20);
		r = buf_addstr(&body, "{\"credentials\":[");
		for (k = i; k < n && k < i + GH_BATCH && r == CD_OK; k++) {
			if (!c->opts->dry_run && state[k] == 0)
				continue;
			r = m ? buf_addc(&body, ',') : CD_OK;
			r = r ? r : json_put_strn(&body, toks[k].p, toks[k].n);
			m++;
		}
		r = r ? r : buf_addstr(&body, "]}");
		snprintf(shown, sizeof(shown), "{\"credentials\":[%d tokens, REDACTED]}", m);
		if (r != CD_OK || m == 0) {
			freezero(body.data, body.alloc);
			continue;
		}
		r = gh_call(c, "POST", "/credentials/revoke", NULL, body.data, shown, &o, res);
		freezero(body.data, body.alloc);
		if (api_acted(r, &o, &gh_revoked, res) == ACTED_FAILED)
			goto out;
	}
	if (c->opts->dry_run) {
		res->outcome = CONN_DRYRUN;
		goto out;
	}
	alive = 0;
	for (i = 0; i < n; i++) {
		int s = token_alive(c, toks[i], res);

		alive += s == 1;
		dead += s == 0;
	}
	res->outcome = CONN_DONE;
	if (alive)
		res_verified(res, "revocation accepted (202) for %d tokens; %d still valid at read-back "
				  "(GitHub revokes asynchronously: check again)",
			     n, alive);
	else
		res_verified(res, "%d token%s rejected by GitHub (401)", dead, dead > 1 ? "s" : "");
out:
	free(toks);
	free(state);
	return CD_OK;
}

static const struct api_expect gh_key_deleted = {
	.what = "DELETE deploy key", .ok = { 204 }, .gone = { 404 },
};

/* Implements conn_action::run for delete-deploy-key (OWNER/REPO/ID). */
static int
gh_delete_deploy_key(struct conn *c, const char *target, struct conn_result *res)
{
	struct gh_cfg *g = c->cdata;
	const char *s1 = strchr(target, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	char path[700];
	struct api_out o;
	struct span id;
	uint64_t v;
	int r, acted;

	if (s2 == NULL || !ident_ok(target, "/._-", 300)) {
		res_detail(res, "'%s' is not OWNER/REPO/KEY_ID", target);
		return CD_E_USAGE;
	}
	id.p = s2 + 1;
	id.n = strlen(s2 + 1);
	if (span_to_u64(id, &v) != CD_OK) {
		res_detail(res, "'%s': the key id must be a number", target);
		return CD_E_USAGE;
	}
	if (g->auth_header == NULL && !c->opts->dry_run) {
		res->outcome = CONN_FAILED;
		res_detail(res, "GITHUB_TOKEN is not set (deploy keys need a token with admin on the repo)");
		return CD_OK;
	}
	snprintf(path, sizeof(path), "/repos/%.*s/keys/%llu", (int)(s2 - target), target,
		 (unsigned long long)v);
	if (!c->opts->dry_run) {
		/* check */
		r = api_present(gh_call(c, "GET", path, g->auth_header, NULL, NULL, &o, res), &o,
				"GET deploy key", res);
		http_resp_release(&o.rs);
		if (r == 0) {
			/* GitHub answers 404 for a repository the token cannot see, too */
			res->outcome = CONN_FAILED;
			res_verified(res, "deploy key absent (404)");
			res_detail(res, "deploy key not found (404): deleted before, mistyped, or the "
					"repository is not visible to GITHUB_TOKEN (GitHub answers 404 for "
					"both); cordon cannot prove it is revoked");
			snprintf(res->absent_by, sizeof(res->absent_by), "delete-deploy-key");
		}
		if (r != 1)
			return CD_OK;
	}
	/* act */
	acted = api_acted(gh_call(c, "DELETE", path, g->auth_header, NULL, NULL, &o, res), &o,
			  &gh_key_deleted, res);
	if (acted == ACTED_FAILED || acted == ACTED_DRYRUN)
		return CD_OK;
	/* verify */
	r = api_present(gh_call(c, "GET", path, g->auth_header, NULL, NULL, &o, res), &o, NULL, res);
	if (r == 0) {
		res->outcome = acted == ACTED_ALREADY ? CONN_ALREADY : CONN_DONE;
		res_verified(res, "deploy key absent (404)");
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: deploy key still readable (HTTP %ld)", o.rs.status);
	}
	http_resp_release(&o.rs);
	return CD_OK;
}

static const struct api_expect gh_installation_revoked = {
	.what = "DELETE /installation/token", .ok = { 204, 401 },
};

/* Implements conn_action::run for revoke-installation-token (the token
 * from the input secret: DELETE /installation/token authenticated by it). */
static int
gh_revoke_installation_token(struct conn *c, const char *target, struct conn_result *res)
{
	struct span tok;
	struct api_out o;
	char *auth;
	int r, s;

	(void)target;
	if (split_tokens(c->opts, &tok, 1) != 1) {
		res_detail(res, "no token in the input");
		return CD_E_USAGE;
	}
	if (!c->opts->dry_run) {
		s = token_alive(c, tok, res);
		if (s == 0) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "token already rejected by GitHub (401)");
			return CD_OK;
		}
	}
	auth = secret_header("Authorization: Bearer ", tok.p, tok.n);
	if (auth == NULL)
		return CD_E_LIMIT;
	r = gh_call(c, "DELETE", "/installation/token", auth, NULL, NULL, &o, res);
	secret_free(&auth);
	/* 401: the token died on the way; verified below like any other */
	r = api_acted(r, &o, &gh_installation_revoked, res);
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
	s = token_alive(c, tok, res);
	if (s == 0) {
		res->outcome = CONN_DONE;
		res_verified(res, "token rejected by GitHub (401)");
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: the installation token still works");
	}
	return CD_OK;
}

static const struct conn_action gh_actions[] = {
	{ .name = "revoke-token", .target_doc = "the leaked token (read from --file)",
	  .flags = CONN_F_NEEDS_SECRET, .phase = PHASE_REVOKE, .run = gh_revoke_token },
	{ .name = "revoke-installation-token", .target_doc = "the installation token (from --file)",
	  .flags = CONN_F_NEEDS_SECRET, .phase = PHASE_REVOKE, .run = gh_revoke_installation_token },
	{ .name = "delete-deploy-key", .target_doc = "OWNER/REPO/KEY_ID", .phase = PHASE_CLEANUP,
	  .run = gh_delete_deploy_key },
	{ .name = NULL },
};

const struct connector conn_github = {
	.name = "github",
	.actions = gh_actions,
	.open = gh_open,
	.close = gh_close,
};
