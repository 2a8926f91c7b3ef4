/*
 * github.c - the GitHub connector: the credential revocation API for
 * leaked tokens, deploy keys, installation tokens (workflows and
 * self-hosted runners: github_ci.c).
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

/* One call with GITHUB_TOKEN (github_ci.c); res says so when it is not set. */
int
github_call(struct conn *c, const char *method, const char *path, const char *body,
	    struct api_out *o, struct conn_result *res)
{
	struct gh_cfg *g = c->cdata;

	return gh_call(c, method, path, g->auth_header, body, NULL, o, res);
}

int
github_has_token(const struct conn *c)
{
	const struct gh_cfg *g = c->cdata;

	return g->auth_header != NULL;
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

/*
 * A token found not valid before cordon acted (s: 0 rejected, -1 no clear
 * answer).  A rejected token may be one revoked before, expired, mistyped
 * or another app's, so it is "already" only through this trail's own
 * earlier verified success of action on it (absent_by).
 */
static int
token_unproven(int s, const char *action, struct conn_result *res)
{
	res->outcome = CONN_FAILED;
	if (s < 0) {
		res_detail(res, "GET /user with the token gave no clear answer: cannot tell whether it is "
				"valid; nothing sent for it (run again)");
		return CD_OK;
	}
	res_verified(res, "token rejected by GitHub (401)");
	res_detail(res, "GitHub already rejects this token (401): revoked before, expired, or never "
			"valid (mistyped, or another app's); cordon never saw it valid, so it cannot "
			"prove the leaked credential is revoked (check the token owner's security log)");
	snprintf(res->absent_by, sizeof(res->absent_by), "%s", action);
	return CD_OK;
}

/*
 * The step's token: the input token whose label is the target (the
 * runbook makes one step per token, named by its label), or the input's
 * only token (a plan step names the credential by its inventory id).
 */
static int
step_token(struct conn *c, const char *target, struct span *tok, struct conn_result *res)
{
	struct span *toks = xcalloc(GH_MAX_TOKENS, sizeof(*toks));
	int n = conn_secret_tokens(c->opts->input_secret, c->opts->input_secret_len, toks,
				   GH_MAX_TOKENS), i, r = CD_E_USAGE;
	char label[128];

	for (i = 0; i < n && r != CD_OK; i++) {
		conn_secret_label(toks[i].p, toks[i].n, label, sizeof(label));
		if (strcmp(label, target) == 0) {
			*tok = toks[i];
			r = CD_OK;
		}
	}
	if (r != CD_OK && n == 1) {
		*tok = toks[0];
		r = CD_OK;
	}
	if (r != CD_OK)
		res_detail(res, n == 0 ? "no token in the input"
				       : "none of the input's tokens is %s (give the one token of this step)",
			   target);
	free(toks);
	return r;
}

/*
 * One run's revocation batch: every token of the input, checked before,
 * and the alive ones sent together.  Made by the first revoke-token step
 * of the run; the others read its outcome (see shared.c).
 */
struct gh_batch {
	struct span *toks;
	signed char *before;     /* per token: 1 alive, 0 rejected (401), -1 unknown */
	int n;
	int sent;                /* how many rode in the POSTs */
	int failed;              /* a POST failed: res says why */
	struct conn_result res;  /* the POSTs' status, request id and summary */
};

static void *
gh_batch_make(void *arg)
{
	struct conn *c = arg;
	struct gh_batch *b = xcalloc(1, sizeof(*b));

	b->toks = xcalloc(GH_MAX_TOKENS, sizeof(*b->toks));
	b->n = conn_secret_tokens(c->opts->input_secret, c->opts->input_secret_len, b->toks,
				  GH_MAX_TOKENS);
	b->before = xcalloc((size_t)b->n + 1, 1);
	conn_result_init(&b->res);
	b->sent = -1; /* not yet */
	return b;
}

static void
gh_batch_release(void *p)
{
	struct gh_batch *b = p;

	free(b->toks);
	free(b->before);
	conn_result_release(&b->res);
	free(b);
}

/* POST /credentials/revoke accepts a batch for later revocation: 202. */
static const struct api_expect gh_revoked = { .what = "POST /credentials/revoke", .ok = { 202 } };

/* Check every token, then send the alive ones, 1000 per call (unauthenticated). */
static void
gh_batch_send(struct conn *c, struct gh_batch *b)
{
	int i, k;

	b->sent = 0;
	for (i = 0; i < b->n; i++)
		b->before[i] = (signed char)token_alive(c, b->toks[i], &b->res);
	b->res.request[0] = '\0';
	b->res.http_status = 0;
	for (i = 0; i < b->n && !b->failed; i += GH_BATCH) {
		struct buf body;
		char shown[128];
		struct api_out o;
		int r, m = 0;

		buf_init(&body, (size_t)64 << 20);
		r = buf_addstr(&body, "{\"credentials\":[");
		for (k = i; k < b->n && k < i + GH_BATCH && r == CD_OK; k++) {
			if (b->before[k] != 1)
				continue;
			r = m ? buf_addc(&body, ',') : CD_OK;
			r = r ? r : json_put_strn(&body, b->toks[k].p, b->toks[k].n);
			m++;
		}
		r = r ? r : buf_addstr(&body, "]}");
		snprintf(shown, sizeof(shown), "{\"credentials\":[%d tokens, REDACTED]}", m);
		if (r != CD_OK || m == 0) {
			freezero(body.data, body.alloc);
			continue;
		}
		r = gh_call(c, "POST", "/credentials/revoke", NULL, body.data, shown, &o, &b->res);
		freezero(body.data, body.alloc);
		if (api_acted(r, &o, &gh_revoked, &b->res) == ACTED_FAILED)
			b->failed = 1;
		else
			b->sent += m;
	}
}

/* Read-backs after a 202: GitHub revokes asynchronously, usually at once. */
#define GH_READBACKS 4

/*
 * Implements conn_action::run for revoke-token.  Done only when the token
 * was valid before and GitHub rejects it after; a token GitHub already
 * rejects may be one revoked before, expired, mistyped or never real, so
 * it is "already" only through this trail's own earlier success on it
 * (absent_by).
 */
static int
gh_revoke_token(struct conn *c, const char *target, struct conn_result *res)
{
	struct gh_batch *b;
	struct span tok;
	int i, mine = -1, s = -1, failed = 0;

	if (step_token(c, target, &tok, res) != CD_OK)
		return CD_E_USAGE;
	if (c->opts->dry_run) {
		/* the run sends one batch of every valid token; shown per step */
		res_note_request(res, "GET /user (token checked); POST /credentials/revoke "
				      "{\"credentials\":[1 token, REDACTED]} (batched with the run's other "
				      "tokens, 1000 per call) (dry-run)");
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (c->opts->shared != NULL) {
		b = conn_shared_lock(c->opts->shared, "github-revoke", gh_batch_make, c, gh_batch_release);
	} else {
		b = gh_batch_make(c);
	}
	if (b->sent < 0)
		gh_batch_send(c, b);
	for (i = 0; i < b->n && mine < 0; i++)
		if (b->toks[i].p == tok.p)
			mine = i;
	s = mine >= 0 ? b->before[mine] : -1;
	if (b->res.request[0])
		res_note_request(res, "%s", b->res.request);
	if (s == 1 && b->failed) {
		failed = 1;
		res->outcome = CONN_FAILED;
		res_detail(res, "%s", b->res.detail);
	}
	if (s == 1) {
		res->http_status = b->res.http_status;
		memcpy(res->request_id, b->res.request_id, sizeof(res->request_id));
	}
	if (c->opts->shared != NULL)
		conn_shared_unlock(c->opts->shared);
	else
		gh_batch_release(b);
	if (s != 1)
		return token_unproven(s, "revoke-token", res);
	if (failed)
		return CD_OK;
	for (i = 0; i < GH_READBACKS; i++) {
		if (i > 0)
			http_pause(i, -1);
		if ((s = token_alive(c, tok, res)) != 1)
			break;
	}
	if (s == 0) {
		res->outcome = CONN_DONE;
		res_verified(res, "token rejected by GitHub (401) after revocation");
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "revocation accepted (202) but the token %s after %d read-backs (GitHub "
				"revokes asynchronously): run again to verify",
			   s == 1 ? "still works" : "could not be checked", i);
	}
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

	if (step_token(c, target, &tok, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		s = token_alive(c, tok, res);
		if (s != 1)
			return token_unproven(s, "revoke-installation-token", res);
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
	{ .name = "disable-workflow", .target_doc = "OWNER/REPO/WORKFLOW (id or file name)",
	  .flags = CONN_F_REVERSIBLE, .phase = PHASE_QUARANTINE, .undo = "enable-workflow",
	  .run = github_disable_workflow },
	{ .name = "enable-workflow", .target_doc = "OWNER/REPO/WORKFLOW (id or file name)",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_QUARANTINE,
	  .undo = "disable-workflow", .run = github_enable_workflow },
	{ .name = "remove-runner", .target_doc = "OWNER/REPO/RUNNER_ID or ORG/RUNNER_ID",
	  .phase = PHASE_QUARANTINE, .run = github_remove_runner },
	{ .name = NULL },
};

const struct connector conn_github = {
	.name = "github",
	.actions = gh_actions,
	.open = gh_open,
	.close = gh_close,
};
