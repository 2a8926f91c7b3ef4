/*
 * session.c - plans and runs for a front end other than the command line
 * (cordon tui): the same plan_from_incident, the same dry run and the same
 * exec_run as `cordon revoke plan|apply`, with progress handed to a
 * callback instead of printed, and a way to stop before the next phase.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

int
revoke_plan_load(struct store *s, const char *incident, struct plan **out, char **cause)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	int r;

	*out = NULL;
	plan_init(p);
	r = plan_from_incident(s, incident, p, cause);
	if (r != CD_OK) {
		plan_release(p);
		free(p);
		return r;
	}
	*out = p;
	return CD_OK;
}

int
revoke_plan_undo(const char *db_path, int64_t action_id, struct plan **out, char **cause)
{
	struct cmd_ctx cc = { 0 };
	struct plan *p = xcalloc(1, sizeof(*p));
	int64_t undo_of = 0;
	char id[32];

	*out = NULL;
	cc.db_path = db_path;
	snprintf(id, sizeof(id), "%lld", (long long)action_id);
	plan_init(p);
	/* its messages (not reversible, an intent row, ...) go to stderr */
	if (revoke_undo_plan(&cc, id, p, &undo_of) != CD_OK) {
		*cause = xstrdup("action cannot be undone (see the message)");
		plan_release(p);
		free(p);
		return CD_E_USAGE;
	}
	*out = p;
	return CD_OK;
}

void
revoke_plan_free(struct plan **p)
{
	if (p == NULL || *p == NULL)
		return;
	plan_release(*p);
	free(*p);
	*p = NULL;
}

size_t
revoke_plan_len(const struct plan *p)
{
	return p != NULL ? p->n : 0;
}

void
revoke_plan_step(const struct plan *p, size_t i, struct revoke_step_info *out)
{
	const struct plan_step *st = &p->steps[i];

	CD_BUG_ON(i >= p->n);
	out->id = st->id;
	out->provider = st->provider;
	out->action = st->action;
	out->target = st->target;
	out->note = st->note;
	out->phase = st->manual ? "manual" : phase_name(st->phase);
	out->manual = st->manual;
	out->reversible = st->act != NULL && (st->act->flags & CONN_F_REVERSIBLE);
}

/* A copy of the plan holding only the selected steps (the steps' strings
 * are borrowed: the copy is freed with free(), never plan_release). */
static struct plan_step *
selected(const struct plan *p, const unsigned char *sel, size_t *n)
{
	struct plan_step *v = xcalloc(p->n ? p->n : 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < p->n; i++)
		if (sel == NULL || sel[i])
			v[(*n)++] = p->steps[i];
	return v;
}

int
revoke_plan_preview(struct plan *p, const unsigned char *sel, struct buf *out)
{
	struct exec_opts eo;
	struct exec_item *items;
	struct plan_step *steps;
	char *text = NULL, *cause = NULL;
	size_t len = 0, n, i;
	FILE *f;
	int r;

	steps = selected(p, sel, &n);
	items = xcalloc(n ? n : 1, sizeof(*items));
	f = open_memstream(&text, &len);
	if (f == NULL) {
		free(items);
		free(steps);
		return CD_E_NOMEM;
	}
	memset(&eo, 0, sizeof(eo));
	eo.co.dry_run = 1;
	eo.co.dry_out = f;
	eo.jobs = 1; /* the requests in plan order, as apply --dry-run --jobs 1 */
	for (i = 0; i < n; i++) {
		items[i].step = &steps[i];
		conn_result_init(&items[i].res);
	}
	fprintf(f, "dry-run: the requests below would be sent; nothing is sent\n");
	r = exec_run(&eo, items, n, &cause);
	free(cause);
	for (i = 0; i < n; i++) {
		const struct plan_step *st = &steps[i];

		if (st->manual)
			fprintf(f, "manual   %s %s %s%s%s: do this by hand\n", st->provider, st->action,
				st->target, st->note ? " - " : "", st->note ? st->note : "");
		else if (items[i].res.outcome == CONN_FAILED)
			fprintf(f, "failed   %s %s %s: %s\n", st->provider, st->action, st->target,
				items[i].res.detail);
		conn_result_release(&items[i].res);
	}
	fclose(f);
	/* the connectors redact their requests; redact() is the second net */
	buf_reset(out);
	if (r == CD_OK && redact(text, out) != CD_OK)
		r = CD_E_LIMIT;
	free(text);
	free(items);
	free(steps);
	return r;
}

struct run_ctx {
	const struct revoke_run_opts *o;
	const struct plan *p;
	const struct plan_step *base;  /* the selected copy */
	const size_t *index;           /* copy index -> plan index */
};

static void
report(struct run_ctx *rc, struct exec_item *it, int started)
{
	struct revoke_progress pr;

	if (rc->o->on_progress == NULL)
		return;
	memset(&pr, 0, sizeof(pr));
	pr.step = rc->index[it->step - rc->base];
	pr.started = started;
	if (!started) {
		pr.outcome = conn_outcome_name(it->res.outcome);
		pr.detail = it->res.detail;
		pr.verified = it->res.verified;
		pr.request = it->res.request;
		pr.undo = it->res.undo;
		pr.http_status = it->res.http_status;
		pr.action_id = it->action_id;
		pr.not_sent = it->not_sent;
	}
	rc->o->on_progress(&pr, rc->o->arg);
}

static void
on_start(struct exec_item *it, void *arg)
{
	report(arg, it, 1);
}

static void
on_result(struct exec_item *it, void *arg)
{
	report(arg, it, 0);
}

static int
is_cancelled(void *arg)
{
	struct run_ctx *rc = arg;

	return rc->o->cancelled != NULL && rc->o->cancelled(rc->o->arg);
}

int
revoke_plan_run(struct plan *p, const struct revoke_run_opts *o, char **cause)
{
	struct exec_opts eo;
	struct exec_item *items;
	struct plan_step *steps;
	struct store *s = NULL;
	struct run_ctx rc;
	size_t *index, n, i, k;
	char who[512], *msg = NULL;
	int r;

	*cause = NULL;
	steps = selected(p, o->sel, &n);
	index = xcalloc(n ? n : 1, sizeof(*index));
	for (i = 0, k = 0; i < p->n; i++)
		if (o->sel == NULL || o->sel[i])
			index[k++] = i;
	items = xcalloc(n ? n : 1, sizeof(*items));
	if ((r = store_open(o->db_path, 0, &s, cause)) != CD_OK)
		goto out;
	memset(&eo, 0, sizeof(eo));
	audit_who(o->who, who, sizeof(who));
	eo.who = who;
	eo.plan_name = o->plan_name;
	eo.jobs = o->jobs > 0 ? o->jobs : 4;
	eo.store = s;
	rc.o = o;
	rc.p = p;
	rc.base = steps;
	rc.index = index;
	eo.on_result = on_result;
	eo.on_start = on_start;
	eo.cancelled = is_cancelled;
	eo.arg = &rc;
	for (i = 0; i < n; i++) {
		items[i].step = &steps[i];
		conn_result_init(&items[i].res);
		items[i].undo_of = o->undo_of;
	}
	if (conn_global_init() != CD_OK) {
		*cause = xstrdup("cannot initialise libcurl");
		r = CD_E_INTERNAL;
		goto out;
	}
	r = exec_run(&eo, items, n, cause);
	conn_global_cleanup();
	for (i = 0; i < n; i++)
		if (items[i].intent_id != 0) {
			revoke_witness_head(s, NULL, &msg); /* this run wrote rows */
			free(msg);
			break;
		}
	for (i = 0; i < n; i++)
		conn_result_release(&items[i].res);
out:
	store_close(&s);
	free(items);
	free(index);
	free(steps);
	return r;
}
