/*
 * github_ci.c - contain a CI job that escaped: disable the workflow that
 * runs it, remove the self-hosted runner it reached.
 *
 * A workflow disabled through the API stops being triggered (push,
 * schedule, workflow_run) and keeps its history and logs; enabling it again
 * is the undo.  A runner's removal deregisters it (the machine keeps its
 * disk for the investigation; its registration cannot be brought back, so
 * there is no undo: re-register it after the host is rebuilt).  Both need
 * GITHUB_TOKEN with admin on the repository (or the organisation).
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* OWNER/REPO/LAST: the repository path and LAST. */
static int
repo_target(const char *t, char *repo, size_t rcap, char *last, size_t lcap)
{
	const char *s1 = strchr(t, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;

	if (s1 == NULL || s2 == NULL || s1 == t || s2 == s1 + 1 || s2[1] == '\0' ||
	    strchr(s2 + 1, '/') != NULL || (size_t)(s2 - t) >= rcap || strlen(s2 + 1) >= lcap ||
	    !ident_ok(t, "/._-", 300))
		return CD_E_USAGE;
	memcpy(repo, t, (size_t)(s2 - t));
	repo[s2 - t] = '\0';
	memcpy(last, s2 + 1, strlen(s2 + 1) + 1);
	return CD_OK;
}

static int
need_token(struct conn *c, struct conn_result *res)
{
	if (github_has_token(c) || c->opts->dry_run)
		return CD_OK;
	res->outcome = CONN_FAILED;
	res_detail(res, "GITHUB_TOKEN is not set (workflows and runners need a token with admin on "
			"the repository or organisation)");
	return CD_E_USAGE;
}

/* The workflow's state: 1 read (state set), 0 absent, -1 error. */
static int
workflow_state(struct conn *c, const char *path, char *state, size_t cap, struct conn_result *res)
{
	struct api_out o;
	int r;

	r = api_present(github_call(c, "GET", path, NULL, &o, res), &o, "GET workflow", res);
	if (r == 1)
		json_body_str(&o.rs.body, "state", state, cap);
	http_resp_release(&o.rs);
	return r;
}

static const struct api_expect wf_set = { .what = "PUT workflow", .ok = { 204 } };

/* Shared by disable-workflow and enable-workflow. */
static int
workflow_set(struct conn *c, const char *target, int disable, struct conn_result *res)
{
	char repo[300], wf[200], path[700], state[64] = "";
	struct api_out o;
	int r;

	if (repo_target(target, repo, sizeof(repo), wf, sizeof(wf)) != CD_OK) {
		res_detail(res, "'%s' is not OWNER/REPO/WORKFLOW (the workflow's id or file name)",
			   target);
		return CD_E_USAGE;
	}
	if (need_token(c, res) != CD_OK)
		return CD_OK;
	snprintf(path, sizeof(path), "/repos/%s/actions/workflows/%s", repo, wf);
	if (!c->opts->dry_run) {
		r = workflow_state(c, path, state, sizeof(state), res);
		if (r < 0)
			return CD_OK;
		if (r == 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "workflow %s not found (404): mistyped, deleted, or the repository is "
					"not visible to GITHUB_TOKEN",
				   target);
			return CD_OK;
		}
		if (disable ? strncmp(state, "disabled", 8) == 0 : strcmp(state, "active") == 0) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "workflow state %s", state);
			return CD_OK;
		}
	}
	snprintf(path, sizeof(path), "/repos/%s/actions/workflows/%s/%s", repo, wf,
		 disable ? "disable" : "enable");
	r = api_acted(github_call(c, "PUT", path, NULL, &o, res), &o, &wf_set, res);
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
	snprintf(path, sizeof(path), "/repos/%s/actions/workflows/%s", repo, wf);
	r = workflow_state(c, path, state, sizeof(state), res);
	if (r == 1 && (disable ? strncmp(state, "disabled", 8) == 0 : strcmp(state, "active") == 0)) {
		res->outcome = CONN_DONE;
		res_verified(res, "workflow state %s", state);
		res_undo(res, "%s %s", disable ? "enable-workflow" : "disable-workflow", target);
	} else if (r >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: workflow state is '%s'", state);
	}
	return CD_OK;
}

/* Implements conn_action::run for disable-workflow. */
int
github_disable_workflow(struct conn *c, const char *target, struct conn_result *res)
{
	return workflow_set(c, target, 1, res);
}

/* Implements conn_action::run for enable-workflow (the undo). */
int
github_enable_workflow(struct conn *c, const char *target, struct conn_result *res)
{
	return workflow_set(c, target, 0, res);
}

static const struct api_expect runner_deleted = {
	.what = "DELETE runner", .ok = { 204 }, .gone = { 404 },
};

/* Implements conn_action::run for remove-runner: OWNER/REPO/ID (a
 * repository's runner) or ORG/ID (an organisation's). */
int
github_remove_runner(struct conn *c, const char *target, struct conn_result *res)
{
	char scope[300], id[64], path[700], name[128] = "";
	const char *slash = strrchr(target, '/');
	struct api_out o;
	struct span sp;
	uint64_t v;
	int r, acted;

	if (slash == NULL || slash == target || (size_t)(slash - target) >= sizeof(scope) ||
	    strlen(slash + 1) >= sizeof(id) || !ident_ok(target, "/._-", 300))
		goto bad;
	memcpy(scope, target, (size_t)(slash - target));
	scope[slash - target] = '\0';
	snprintf(id, sizeof(id), "%s", slash + 1);
	sp.p = id;
	sp.n = strlen(id);
	if (span_to_u64(sp, &v) != CD_OK || strchr(scope, '/') != strrchr(scope, '/'))
		goto bad;
	if (need_token(c, res) != CD_OK)
		return CD_OK;
	snprintf(path, sizeof(path), "/%s/%s/actions/runners/%llu",
		 strchr(scope, '/') ? "repos" : "orgs", scope, (unsigned long long)v);
	if (!c->opts->dry_run) {
		r = api_present(github_call(c, "GET", path, NULL, &o, res), &o, "GET runner", res);
		if (r == 1)
			json_body_str(&o.rs.body, "name", name, sizeof(name));
		http_resp_release(&o.rs);
		if (r == 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "runner %s not found (404): removed before, mistyped, or not visible "
					"to GITHUB_TOKEN; cordon cannot prove it is removed",
				   target);
			snprintf(res->absent_by, sizeof(res->absent_by), "remove-runner");
		}
		if (r != 1)
			return CD_OK;
	}
	acted = api_acted(github_call(c, "DELETE", path, NULL, &o, res), &o, &runner_deleted, res);
	if (acted == ACTED_FAILED || acted == ACTED_DRYRUN)
		return CD_OK;
	r = api_present(github_call(c, "GET", path, NULL, &o, res), &o, NULL, res);
	http_resp_release(&o.rs);
	if (r == 0) {
		res->outcome = acted == ACTED_ALREADY ? CONN_ALREADY : CONN_DONE;
		res_verified(res, "runner %s%s%s deregistered (404)", name[0] ? name : "",
			     name[0] ? " " : "", target);
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: runner %s is still registered", target);
	}
	return CD_OK;
bad:
	res_detail(res, "'%s' is not OWNER/REPO/RUNNER_ID or ORG/RUNNER_ID", target);
	return CD_E_USAGE;
}
