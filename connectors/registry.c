/*
 * registry.c - the static table of connectors, and the one entry point
 * that runs an action: it opens nothing by itself, checks what every action
 * needs (a target, an input secret) and makes sure no input secret ever
 * comes back inside a result's text.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

extern const struct connector conn_aws;
extern const struct connector conn_k8s;
extern const struct connector conn_vault;
extern const struct connector conn_github;
extern const struct connector conn_gcp;
extern const struct connector conn_webhook;

const struct connector *const conn_table[] = {
	&conn_aws, &conn_k8s, &conn_vault, &conn_github, &conn_gcp, &conn_webhook, NULL,
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

int
conn_open(const struct connector *ops, const struct conn_opts *opts, struct conn *c, char **cause)
{
	int r;

	c->ops = ops;
	c->opts = opts;
	c->cdata = NULL;
	*cause = NULL;
	r = ops->open_opts != NULL ? ops->open_opts(opts, &c->cdata, cause) : ops->open(&c->cdata, cause);
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
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? CD_OK : CD_E_INTERNAL;
}

void
conn_global_cleanup(void)
{
	k8s_exec_cache_clear();
	gcp_adc_cache_clear();
	curl_global_cleanup();
}
