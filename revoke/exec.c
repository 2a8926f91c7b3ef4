/*
 * exec.c - runs plan steps: phase by phase, each phase on a bounded pool of
 * threads, results handed to the main thread.
 *
 * Phases are barriers (quarantine finishes before identities are revoked,
 * and so on), because the order is what makes a plan safe.  Inside a phase
 * independent targets run at once; two steps on the same provider target
 * run one after the other, in plan order.  A failing step is recorded and
 * the rest proceeds.  SQLite is written from the main thread only: before
 * a phase starts, the main thread commits one intent row per step (what
 * is about to be sent, as a dry run of the same step shows it); nothing is
 * handed to a worker unless that commit succeeded.  Workers push finished
 * items onto a queue and the main thread appends each outcome row and
 * reports the item as it arrives.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

enum { ST_PENDING, ST_RUNNING, ST_FINISHED };

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv_work;
	pthread_cond_t cv_done;
	struct exec_item *items;
	size_t *idx;            /* items of the current phase, in plan order */
	unsigned char *state;   /* per idx entry */
	size_t n;
	size_t *doneq;          /* finished idx entries, in completion order */
	size_t dq_head, dq_tail;
	const struct conn_opts *co;
	const struct exec_opts *o;
};

static int
same_target(const struct plan_step *a, const struct plan_step *b)
{
	return strcmp(a->provider, b->provider) == 0 && strcmp(a->target, b->target) == 0;
}

/* The first pending entry none of whose same-target predecessors is still
 * pending or running; n when none is runnable now; n + 1 when none pending. */
static size_t
pick(struct pool *p)
{
	size_t i, j, any = 0;

	for (i = 0; i < p->n; i++) {
		int blocked = 0;

		if (p->state[i] != ST_PENDING)
			continue;
		any = 1;
		for (j = 0; j < i && !blocked; j++)
			blocked = p->state[j] != ST_FINISHED &&
				  same_target(p->items[p->idx[j]].step, p->items[p->idx[i]].step);
		if (!blocked)
			return i;
	}
	return any ? p->n : p->n + 1;
}

static void
run_item(const struct conn_opts *co, struct exec_item *it)
{
	struct conn c;
	char *cause = NULL;
	int64_t t0 = time_now_ns();
	int r;

	if (conn_open(it->step->conn, co, &c, &cause) != CD_OK && co->dry_run) {
		/* a dry run needs no credentials: the step is in the plan all the
		 * same, with what keeps its requests from being shown */
		it->res.outcome = CONN_DRYRUN;
		fprintf(co->dry_out ? co->dry_out : stdout,
			"  # %s %s %s: requests not shown: %s configuration: %s\n", it->step->provider,
			it->step->action, it->step->target, it->step->provider, cause ? cause : "unreadable");
		snprintf(it->res.request, sizeof(it->res.request), "%s %s (dry-run; no %s configuration)",
			 it->step->action, it->step->target, it->step->provider);
		free(cause);
	} else if (cause != NULL) {
		it->res.outcome = CONN_FAILED;
		it->config_error = 1;
		snprintf(it->res.detail, sizeof(it->res.detail), "%s configuration: %s", it->step->provider,
			 cause ? cause : "unreadable");
		free(cause);
	} else {
		r = conn_run(&c, it->step->act, it->step->target, &it->res);
		if (r == CD_E_USAGE) {
			it->usage_error = 1;
			it->res.outcome = CONN_FAILED;
		}
		conn_close(&c);
	}
	it->elapsed_ms = (time_now_ns() - t0) / 1000000;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t i = pick(p);

		if (i == p->n + 1)
			break;
		if (i == p->n) {
			pthread_cond_wait(&p->cv_work, &p->mu);
			continue;
		}
		p->state[i] = ST_RUNNING;
		pthread_mutex_unlock(&p->mu);
		if (p->o->on_start != NULL)
			p->o->on_start(&p->items[p->idx[i]], p->o->arg);
		run_item(p->co, &p->items[p->idx[i]]);
		pthread_mutex_lock(&p->mu);
		p->state[i] = ST_FINISHED;
		p->doneq[p->dq_tail++] = i;
		pthread_cond_signal(&p->cv_done);
		pthread_cond_broadcast(&p->cv_work);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int
audited(const struct exec_opts *o, const struct exec_item *it)
{
	return o->store != NULL && !(it->step->act->flags & CONN_F_READONLY);
}

/* Main thread: what a step is about to send, from a dry run of it (no
 * request leaves; nothing secret is in the summary). */
static void
planned_request(const struct exec_opts *o, const struct exec_item *it, FILE *sink, char *out,
		size_t cap)
{
	static const char tag[] = " (dry-run)";
	struct conn_opts co = o->co;
	struct conn_result res;
	struct conn c;
	char *cause = NULL, *p;

	out[0] = '\0';
	co.dry_run = 1;
	co.debug = 0;
	co.dry_out = sink;
	conn_result_init(&res);
	if (sink != NULL && conn_open(it->step->conn, &co, &c, &cause) == CD_OK) {
		conn_run(&c, it->step->act, it->step->target, &res);
		conn_close(&c);
		snprintf(out, cap, "%s", res.request);
		while ((p = strstr(out, tag)) != NULL)
			memmove(p, p + sizeof(tag) - 1, strlen(p + sizeof(tag) - 1) + 1);
	}
	free(cause);
	conn_result_release(&res);
}

/* Main thread: one transaction with the intent row of every audited item
 * of a phase.  On failure nothing of the phase may run. */
static int
record_intents(const struct exec_opts *o, struct exec_item *items, const size_t *idx, size_t n,
	       char **cause)
{
	struct audit_row *rows = xcalloc(n, sizeof(*rows));
	size_t *which = xcalloc(n, sizeof(*which)), i, k = 0;
	char (*req)[1024] = xcalloc(n, sizeof(*req));
	FILE *sink = fopen("/dev/null", "w");
	int64_t now = time_now_ns();
	int r;

	for (i = 0; i < n; i++) {
		struct exec_item *it = &items[idx[i]];
		struct audit_row *row = &rows[k];

		if (!audited(o, it))
			continue;
		planned_request(o, it, sink, req[k], sizeof(req[k]));
		row->ts_ns = now;
		row->who = o->who;
		row->plan = o->plan_name;
		row->provider = it->step->provider;
		row->action = it->step->action;
		row->target = it->step->target;
		row->request = req[k][0] ? req[k] : NULL;
		row->http_status = EV_NULL;
		row->result = AUDIT_INTENT;
		row->undo_of = it->undo_of ? it->undo_of : EV_NULL;
		which[k++] = idx[i];
	}
	if (sink != NULL)
		fclose(sink);
	r = audit_append_rows(o->store, rows, k, cause);
	for (i = 0; i < k && r == CD_OK; i++)
		items[which[i]].intent_id = rows[i].id;
	free(rows);
	free(which);
	free(req);
	return r;
}

/*
 * Main thread: a target the provider no longer shows, which the connector
 * cannot prove was ever the caller's (res.absent_by), is "already" done
 * only if this trail holds our own verified success of the removing
 * action on it: that success read it back as ours and gone.
 */
static void
prove_absent(const struct exec_opts *o, struct exec_item *it)
{
	struct conn_result *r = &it->res;
	sqlite3_stmt *st = NULL;

	if (o->store == NULL || r->outcome != CONN_FAILED || r->absent_by[0] == '\0')
		return;
	if (sqlite3_prepare_v2(store_db(o->store),
			       "SELECT id, verified FROM actions WHERE provider = ? AND action = ? AND"
			       " target = ? AND result = 'done' ORDER BY id DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, it->step->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->absent_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->step->target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 1);

		r->outcome = CONN_ALREADY;
		snprintf(r->verified, sizeof(r->verified), "absent; removed by action %lld (%s)",
			 (long long)sqlite3_column_int64(st, 0), v ? v : "verified then");
		r->detail[0] = '\0';
	}
	sqlite3_finalize(st);
}

/* Main thread: the outcome row of one finished item. */
static int
record(const struct exec_opts *o, struct exec_item *it, char **cause)
{
	struct audit_row row;
	const struct plan_step *st = it->step;

	if (!audited(o, it) || it->res.outcome == CONN_DRYRUN)
		return CD_OK;
	memset(&row, 0, sizeof(row));
	row.ts_ns = time_now_ns();
	row.who = o->who;
	row.plan = o->plan_name;
	row.provider = st->provider;
	row.action = st->action;
	row.target = st->target;
	row.request = it->res.request[0] ? it->res.request : NULL;
	row.http_status = it->res.http_status ? it->res.http_status : EV_NULL;
	row.request_id = it->res.request_id[0] ? it->res.request_id : NULL;
	row.result = conn_outcome_name(it->res.outcome);
	row.verified = it->res.verified[0] ? it->res.verified : NULL;
	row.undo_of = it->undo_of ? it->undo_of : EV_NULL;
	row.undo = it->res.undo[0] ? it->res.undo : NULL;
	row.detail = it->res.detail[0] ? it->res.detail : NULL;
	if (audit_append(o->store, &row, cause) != CD_OK)
		return CD_E_DB;
	it->action_id = row.id;
	return CD_OK;
}

static int
run_phase(const struct exec_opts *o, struct exec_item *items, size_t *idx, size_t n, char **cause)
{
	struct pool p;
	pthread_t *th;
	size_t k, nth = (size_t)(o->jobs > 0 ? o->jobs : 1), got = 0;
	char *why = NULL;
	int r = CD_OK;

	if (nth > n)
		nth = n;
	if (o->store != NULL && record_intents(o, items, idx, n, &why) != CD_OK) {
		*cause = xstrdup(why ? why : "?");
		free(why);
		return CD_E_INTERRUPTED; /* nothing of this phase was sent */
	}
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv_work, NULL);
	pthread_cond_init(&p.cv_done, NULL);
	p.items = items;
	p.idx = idx;
	p.n = n;
	p.state = xcalloc(n, 1);
	p.doneq = xcalloc(n, sizeof(size_t));
	p.co = &o->co;
	p.o = o;
	th = xcalloc(nth, sizeof(*th));
	for (k = 0; k < nth; k++)
		if (pthread_create(&th[k], NULL, worker, &p) != 0)
			cd_fatal("cannot start a worker thread");
	while (got < n) {
		struct exec_item *it;

		pthread_mutex_lock(&p.mu);
		while (p.dq_head == p.dq_tail)
			pthread_cond_wait(&p.cv_done, &p.mu);
		it = &items[idx[p.doneq[p.dq_head++]]];
		pthread_mutex_unlock(&p.mu);
		got++;
		it->ran = 1;
		prove_absent(o, it);
		/* after one failed outcome write the store is not writable now:
		 * the rest stay intents without outcome, reported all the same */
		if (r == CD_OK && record(o, it, &why) != CD_OK) {
			r = CD_E_DB; /* keep draining: workers are mid-flight */
			*cause = why;
			why = NULL;
		}
		if (audited(o, it) && it->action_id == 0 && it->res.outcome != CONN_DRYRUN) {
			it->outcome_unrecorded = 1;
			it->action_id = it->intent_id;
		}
		if (o->on_result != NULL)
			o->on_result(it, o->arg);
	}
	for (k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	free(th);
	free(p.state);
	free(p.doneq);
	pthread_cond_destroy(&p.cv_work);
	pthread_cond_destroy(&p.cv_done);
	pthread_mutex_destroy(&p.mu);
	return r;
}

int
exec_run(const struct exec_opts *o, struct exec_item *items, size_t n, char **cause)
{
	size_t *idx = xcalloc(n ? n : 1, sizeof(size_t)), i, k;
	struct buf b;
	char *why = NULL;
	int ph, r = CD_OK, cancelled = 0;

	*cause = NULL;
	for (ph = PHASE_QUARANTINE; ph <= PHASE_NOTIFY && r == CD_OK; ph++) {
		for (i = 0, k = 0; i < n; i++)
			if ((int)items[i].step->phase == ph && !items[i].step->manual)
				idx[k++] = i;
		if (k > 0 && o->cancelled != NULL && o->cancelled(o->arg)) {
			cancelled = 1; /* before this phase's intents: nothing of it recorded */
			r = CD_E_INTERRUPTED;
		} else if (k > 0) {
			r = run_phase(o, items, idx, k, &why);
		}
	}
	free(idx);
	if (r == CD_OK)
		return CD_OK;
	/* what was and was not sent, in so many words */
	buf_init(&b, 64 * 1024);
	if (cancelled) {
		if (buf_addstr(&b, "cancelled: the later steps were not sent") != CD_OK) {
			/* capped */
		}
	} else if (r == CD_E_INTERRUPTED) {
		if (buf_printf(&b, "cannot record the intent of the next actions in the audit trail (%s): "
				   "they were not sent",
			       why) != CD_OK) {
			/* capped: the start says enough */
		}
	} else {
		size_t m = 0;

		if (buf_printf(&b, "cannot record the outcome of actions already sent (%s): intent row(s)",
			       why) != CD_OK) {
			/* capped */
		}
		for (i = 0; i < n; i++)
			if (items[i].outcome_unrecorded && buf_printf(&b, "%s %lld", m++ ? "," : "",
								      (long long)items[i].intent_id) != CD_OK)
				break;
		if (buf_addstr(&b, " stay \"outcome unknown\" in `cordon audit list`; check the "
				   "provider") != CD_OK) {
			/* capped */
		}
	}
	for (i = 0, k = 0; i < n; i++)
		k += !items[i].step->manual && !items[i].ran;
	if (k > 0 && r != CD_E_INTERRUPTED &&
	    buf_printf(&b, "; %zu later step(s) were not sent", k) != CD_OK) {
		/* capped */
	}
	free(why);
	*cause = buf_detach(&b, NULL);
	buf_release(&b);
	/* the steps never handed to a connector: say so, like any result */
	for (i = 0; i < n; i++) {
		struct exec_item *it = &items[i];

		if (it->step->manual || it->ran)
			continue;
		it->not_sent = 1;
		it->res.outcome = CONN_FAILED;
		snprintf(it->res.detail, sizeof(it->res.detail), "%s",
			 cancelled ? "not sent: cancelled"
				   : "not sent: the audit trail could not be written");
		if (o->on_result != NULL)
			o->on_result(it, o->arg);
	}
	return cancelled ? CD_E_INTERRUPTED : CD_E_DB;
}
