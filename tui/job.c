/*
 * job.c - the revoke job: the selected steps of a plan run by
 * revoke_plan_run() (revoke/exec.c, the path of `cordon revoke apply`) on a
 * thread of its own, so the screen keeps drawing and taking keys while
 * providers answer slowly or throttle.  Progress lands here under a mutex;
 * the UI copies it out (tui_job_snapshot) and redraws when gen moves.
 */
#include <stdlib.h>
#include <string.h>

#include "../revoke/revoke.h"
#include "tui.h"

const char *
tui_step_state_name(enum tui_step_state s)
{
	switch (s) {
	case TS_IDLE: return "-";
	case TS_QUEUED: return "queued";
	case TS_RUNNING: return "running";
	case TS_DONE: return "done";
	case TS_ALREADY: return "already";
	case TS_FAILED: return "failed";
	case TS_NOT_SENT: return "not sent";
	}
	return "?";
}

struct tui_job *
tui_job_new(struct plan *p, const unsigned char *sel, const char *db_path, const char *plan_name,
	    int64_t undo_of)
{
	struct tui_job *j = xcalloc(1, sizeof(*j));
	struct revoke_step_info si;
	size_t i;

	pthread_mutex_init(&j->mu, NULL);
	j->plan = p;
	j->n = revoke_plan_len(p);
	j->sel = xcalloc(j->n + 1, 1);
	j->steps = xcalloc(j->n + 1, sizeof(*j->steps));
	for (i = 0; i < j->n; i++) {
		revoke_plan_step(p, i, &si);
		j->sel[i] = (sel == NULL || sel[i]) && !si.manual;
		j->steps[i].state = j->sel[i] ? TS_QUEUED : TS_IDLE;
	}
	j->undo_of = undo_of;
	snprintf(j->db_path, sizeof(j->db_path), "%s", db_path);
	snprintf(j->plan_name, sizeof(j->plan_name), "%s", plan_name);
	return j;
}

static int
cancelled(void *arg)
{
	struct tui_job *j = arg;
	int c;

	pthread_mutex_lock(&j->mu);
	c = j->cancel;
	pthread_mutex_unlock(&j->mu);
	return c;
}

static void
on_progress(const struct revoke_progress *pr, void *arg)
{
	struct tui_job *j = arg;
	struct tui_job_step *s;
	struct buf b;

	if (pr->step >= j->n)
		return;
	buf_init(&b, sizeof(s->detail) - 1);
	if (!pr->started &&
	    out_bprintf(&b, "%s%s%s%s%s", pr->verified && *pr->verified ? "verified: " : "",
			pr->verified ? pr->verified : "",
			pr->verified && *pr->verified && pr->detail && *pr->detail ? "; " : "",
			pr->detail ? pr->detail : "",
			pr->action_id ? "" : "") != CD_OK) {
		/* cut at the line */
	}
	pthread_mutex_lock(&j->mu);
	s = &j->steps[pr->step];
	if (pr->started) {
		s->state = TS_RUNNING;
	} else {
		if (pr->not_sent)
			s->state = TS_NOT_SENT;
		else if (strcmp(pr->outcome, "done") == 0)
			s->state = TS_DONE;
		else if (strcmp(pr->outcome, "already done") == 0)
			s->state = TS_ALREADY;
		else
			s->state = TS_FAILED;
		snprintf(s->detail, sizeof(s->detail), "%s", b.data);
		s->action_id = pr->action_id;
		s->http_status = pr->http_status;
		s->reversible = pr->undo != NULL && *pr->undo != '\0';
	}
	j->gen++;
	pthread_mutex_unlock(&j->mu);
	buf_release(&b);
}

static void *
run(void *arg)
{
	struct tui_job *j = arg;
	struct revoke_run_opts o;
	char *cause = NULL;
	size_t i, done = 0, failed = 0, notsent = 0;
	int r;

	memset(&o, 0, sizeof(o));
	o.db_path = j->db_path;
	o.plan_name = j->plan_name;
	o.sel = j->sel;
	o.undo_of = j->undo_of;
	o.cancelled = cancelled;
	o.on_progress = on_progress;
	o.arg = j;
	r = revoke_plan_run(j->plan, &o, &cause);
	pthread_mutex_lock(&j->mu);
	for (i = 0; i < j->n; i++) {
		done += j->steps[i].state == TS_DONE || j->steps[i].state == TS_ALREADY;
		failed += j->steps[i].state == TS_FAILED;
		notsent += j->steps[i].state == TS_NOT_SENT;
	}
	if (r == CD_OK)
		snprintf(j->result, sizeof(j->result),
			 "finished: %zu done, %zu failed (every attempt is in the audit trail: cordon audit list)",
			 done, failed);
	else
		snprintf(j->result, sizeof(j->result), "stopped: %zu done, %zu failed, %zu not sent: %s",
			 done, failed, notsent, cause ? cause : cd_strerror(r));
	j->finished = 1;
	j->gen++;
	pthread_mutex_unlock(&j->mu);
	free(cause);
	return NULL;
}

int
tui_job_start(struct tui_job *j)
{
	if (pthread_create(&j->th, NULL, run, j) != 0)
		return CD_E_INTERNAL;
	j->started = 1;
	return CD_OK;
}

void
tui_job_cancel(struct tui_job *j)
{
	pthread_mutex_lock(&j->mu);
	j->cancel = 1;
	j->gen++;
	pthread_mutex_unlock(&j->mu);
}

void
tui_job_snapshot(struct tui_job *j, struct tui_job_step *steps, int *finished, char *result,
		 size_t cap, unsigned *gen)
{
	pthread_mutex_lock(&j->mu);
	memcpy(steps, j->steps, j->n * sizeof(*steps));
	*finished = j->finished;
	snprintf(result, cap, "%s", j->result);
	*gen = j->gen;
	pthread_mutex_unlock(&j->mu);
}

void
tui_job_free(struct tui_job **jp)
{
	struct tui_job *j = *jp;

	if (j == NULL)
		return;
	if (j->started)
		pthread_join(j->th, NULL);
	pthread_mutex_destroy(&j->mu);
	revoke_plan_free(&j->plan);
	free(j->sel);
	free(j->steps);
	free(j);
	*jp = NULL;
}
