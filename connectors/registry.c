/*
 * registry.c - the static table of connectors, and the one entry point
 * that runs an action: it opens nothing by itself, checks what every action
 * needs (a target, an input secret) and makes sure no input secret ever
 * comes back inside a result's text.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"

extern const struct connector conn_aws;
extern const struct connector conn_k8s;
extern const struct connector conn_vault;
extern const struct connector conn_github;
extern const struct connector conn_gcp;
extern const struct connector conn_webhook;
extern const struct connector conn_ssh;
extern const struct connector conn_spire;

const struct connector *const conn_table[] = {
	&conn_aws, &conn_k8s, &conn_vault, &conn_github, &conn_gcp, &conn_ssh, &conn_spire,
	&conn_webhook, NULL,
};

const char *
conn_outcome_name(enum conn_outcome o)
{
	switch (o) {
	case CONN_DONE: return "done";
	case CONN_ALREADY: return "already";
	case CONN_FAILED: return "failed";
	case CONN_DRYRUN: return "dry-run";
	}
	return "?";
}

void
conn_result_init(struct conn_result *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = CONN_FAILED;
}

void
conn_result_release(struct conn_result *r)
{
	if (r->secret != NULL)
		freezero(r->secret, r->secret_len + 1);
	r->secret = NULL;
	r->secret_len = 0;
}

const struct connector *
conn_find(const char *name)
{
	int i;

	for (i = 0; conn_table[i] != NULL; i++)
		if (strcmp(conn_table[i]->name, name) == 0)
			return conn_table[i];
	return NULL;
}

const struct conn_action *
conn_action_find(const struct connector *c, const char *name)
{
	const struct conn_action *a;

	for (a = c->actions; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static _Thread_local const struct conn_opts *tl_opening;
static _Thread_local int tl_placeholders;
static _Thread_local char tl_kubeconfig[64]; /* a placeholder kubeconfig while one exists */

const struct conn_opts *
conn_opening(void)
{
	return tl_opening;
}

int
conn_placeholders(void)
{
	return tl_placeholders;
}

const char *
conn_placeholder_kubeconfig(void)
{
	return tl_placeholders && tl_kubeconfig[0] ? tl_kubeconfig : NULL;
}

/* A kubeconfig naming no real cluster or user, for a dry run without one:
 * its placeholders are what the plan shows.  Removed after the open. */
static void
placeholder_kubeconfig(void)
{
	static const char text[] = "apiVersion: v1\n"
				   "kind: Config\n"
				   "clusters:\n"
				   "- name: placeholder\n"
				   "  cluster:\n"
				   "    server: https://$KUBERNETES_API_SERVER\n"
				   "contexts:\n"
				   "- name: placeholder\n"
				   "  context:\n"
				   "    cluster: placeholder\n"
				   "    user: placeholder\n"
				   "current-context: placeholder\n"
				   "users:\n"
				   "- name: placeholder\n"
				   "  user:\n"
				   "    token: placeholder\n";
	const char *dir = getenv("TMPDIR");
	int fd;

	tl_kubeconfig[0] = '\0';
	if (getenv("KUBECONFIG") != NULL && *getenv("KUBECONFIG"))
		return;
	snprintf(tl_kubeconfig, sizeof(tl_kubeconfig), "%s/cordon-kc.XXXXXX",
		 dir != NULL && *dir && strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(tl_kubeconfig);
	if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1)) {
		if (fd >= 0) {
			close(fd);
			unlink(tl_kubeconfig);
		}
		tl_kubeconfig[0] = '\0';
		return;
	}
	close(fd);
}

/* A connector's open: with the run's options when it takes them. */
static int
open_one(const struct connector *ops, const struct conn_opts *opts, struct conn *c, char **cause)
{
	return ops->open_opts != NULL ? ops->open_opts(opts, &c->cdata, cause)
				      : ops->open(&c->cdata, cause);
}

int
conn_open(const struct connector *ops, const struct conn_opts *opts, struct conn *c, char **cause)
{
	char *first;
	int r;

	c->ops = ops;
	c->opts = opts;
	c->cdata = NULL;
	*cause = NULL;
	tl_opening = opts;
	r = open_one(ops, opts, c, cause);
	if (r != CD_OK && opts->dry_run) {
		/* a dry run needs no credentials: show the plan with placeholders
		 * for the address and token that are not configured */
		first = *cause;
		*cause = NULL;
		tl_placeholders = 1;
		if (strcmp(ops->name, "k8s") == 0)
			placeholder_kubeconfig();
		r = open_one(ops, opts, c, cause);
		tl_placeholders = 0;
		if (tl_kubeconfig[0]) {
			unlink(tl_kubeconfig);
			tl_kubeconfig[0] = '\0';
		}
		if (r == CD_OK)
			fprintf(opts->dry_out ? opts->dry_out : stdout,
				"  # %s configuration: %s; the requests below show placeholders\n", ops->name,
				first ? first : "incomplete");
		else {
			free(*cause);
			*cause = first;
			first = NULL;
		}
		free(first);
	}
	tl_opening = NULL;
	if (r != CD_OK && *cause == NULL)
		*cause = xstrdup(cd_strerror(r));
	return r;
}

void
conn_close(struct conn *c)
{
	if (c->ops != NULL)
		c->ops->close(&c->cdata);
	c->ops = NULL;
}

static void
scrub(char *field, size_t cap, const char *secret, size_t n)
{
	char *p;

	if (n < 4)
		return;
	while ((p = memmem(field, strnlen(field, cap), secret, n)) != NULL)
		memset(p, '*', n);
}

int
conn_run(struct conn *c, const struct conn_action *a, const char *target, struct conn_result *res)
{
	const struct conn_opts *o = c->opts;
	int r;

	if (target == NULL || *target == '\0' || strlen(target) > 1024) {
		res->outcome = CONN_FAILED;
		res_detail(res, "%s %s needs a target: %s", c->ops->name, a->name, a->target_doc);
		return CD_E_USAGE;
	}
	if ((a->flags & CONN_F_NEEDS_SECRET) && (o->input_secret == NULL || o->input_secret_len == 0)) {
		res->outcome = CONN_FAILED;
		res_detail(res, "%s %s needs the credential itself (--file FILE, or - for stdin)",
			   c->ops->name, a->name);
		return CD_E_USAGE;
	}
	r = a->run(c, target, res);
	/* undo only what this run did: an "already" state was someone else's */
	if (res->outcome != CONN_DONE)
		res->undo[0] = '\0';
	if (o->input_secret != NULL) {
		scrub(res->request, sizeof(res->request), o->input_secret, o->input_secret_len);
		scrub(res->verified, sizeof(res->verified), o->input_secret, o->input_secret_len);
		scrub(res->detail, sizeof(res->detail), o->input_secret, o->input_secret_len);
		scrub(res->undo, sizeof(res->undo), o->input_secret, o->input_secret_len);
	}
	return r;
}

int
conn_global_init(void)
{
	const char *why = curl_dl_error(); /* loads libcurl (curl_dl.c) */

	if (why != NULL) {
		out_err("cannot load libcurl: %s", why);
		return CD_E_INTERNAL;
	}
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? CD_OK : CD_E_INTERNAL;
}

void
conn_global_cleanup(void)
{
	aws_chain_forget();
	k8s_exec_cache_clear();
	gcp_adc_cache_clear();
	curl_global_cleanup();
}
