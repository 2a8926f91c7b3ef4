/*
 * exec.c - runs plan steps: phase by phase, each phase on a bounded pool of
 * threads, results handed to the main thread.
 *
 * Phases are barriers (quarantine finishes before identities are revoked,
 * and so on), because the order is what makes a plan safe.  Inside a phase
 * independent targets run at once; two steps on the same provider target
 * run one after the other, in plan order.  A failing step is recorded and
 * the rest proceeds.  SQLite is written from the main thread only: workers
 * push finished items onto a queue and the main thread appends the audit
 * row and reports each one as it arrives.
 */
#include <pthread.h>
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

	if (conn_open(it->step->conn, co, &c, &cause) != CD_OK) {
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

/* Main thread: the audit row for one finished item. */
static int
record(const struct exec_opts *o, struct exec_item *it, char **cause)
{
	struct audit_row row;
	const struct plan_step *st = it->step;

	if (o->store == NULL || it->res.outcome == CONN_DRYRUN || (st->act->flags & CONN_F_READONLY))
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
	int r = CD_OK;

	if (nth > n)
		nth = n;
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
		if (r == CD_OK && record(o, it, cause) != CD_OK)
			r = CD_E_DB; /* keep draining: workers are mid-flight */
		if (r == CD_OK && o->on_result != NULL)
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
	int ph, r = CD_OK;

	*cause = NULL;
	for (ph = PHASE_QUARANTINE; ph <= PHASE_NOTIFY && r == CD_OK; ph++) {
		for (i = 0, k = 0; i < n; i++)
			if ((int)items[i].step->phase == ph && !items[i].step->manual)
				idx[k++] = i;
		if (k > 0)
			r = run_phase(o, items, idx, k, cause);
	}
	free(idx);
	return r;
}
