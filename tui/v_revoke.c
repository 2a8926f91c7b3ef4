/*
 * v_revoke.c - revoke from the incident: the exact requests of the
 * selected steps (revoke_plan_preview: what `revoke apply --dry-run`
 * prints, secrets redacted), a confirmation that takes the incident id
 * typed in full, then each step's progress and read-back verification
 * live while the job runs off the UI thread.  Esc cancels what has not
 * started; nothing is half-recorded (exec.c writes intent rows per phase).
 */
#include <stdlib.h>
#include <string.h>

#include "../revoke/revoke.h"
#include "tui.h"

enum { RV_PREVIEW, RV_RUNNING, RV_FINISHED };

struct revoke {
	int stage;
	struct plan *plan;        /* until the job takes it */
	unsigned char *sel;
	size_t n;
	char incident[128];
	char incident_esc[512];   /* for the screen */
	char confirm_word[128];   /* what must be typed */
	int64_t undo_of;
	struct buf preview;
	int preview_ok;
	struct tui_job *job;
	struct tui_job_step *snap;
	char result[1024];
	unsigned gen;
	int cancel_asked;
};

static void
progress_lines(struct tui_view *v, struct revoke *rv, struct tui_job *j)
{
	struct revoke_step_info si;
	size_t i;

	snprintf(v->header, sizeof(v->header), " #  %-8s %-5s %-20s %s", "STATE", "PROV", "ACTION",
		 "TARGET / RESULT");
	for (i = 0; i < j->n; i++) {
		struct tui_job_step *s = &rv->snap[i];
		int attr;

		if (s->state == TS_IDLE)
			continue;
		revoke_plan_step(j->plan, i, &si);
		attr = s->state == TS_DONE || s->state == TS_ALREADY ? TA_GREEN
		       : s->state == TS_FAILED || s->state == TS_NOT_SENT ? TA_RED
		       : s->state == TS_RUNNING ? TA_YELLOW
						 : TA_NORMAL;
		tui_list_add(&v->list, attr, 1, (int64_t)i, "%2d  %-8s %-5s %-20s %s", si.id,
			     tui_step_state_name(s->state), si.provider, si.action, si.target);
		if (s->detail[0] != '\0' || s->http_status != 0) {
			char extra[96];

			snprintf(extra, sizeof(extra), "action %lld, HTTP %ld: ", (long long)s->action_id,
				 s->http_status);
			/* detail was escaped when it arrived */
			{
				struct buf b;

				buf_init(&b, 2048);
				if (buf_printf(&b, "      %s%s", extra, s->detail) != CD_OK) {
					/* cut */
				}
				tui_list_add_raw(&v->list, TA_DIM, 2, (int64_t)i, b.data);
				buf_release(&b);
			}
		}
	}
	if (rv->result[0] != '\0') {
		tui_list_add_raw(&v->list, 0, 0, 0, "");
		tui_list_add(&v->list, TA_BOLD, 0, 0, "%s", rv->result);
	}
}

static void
recalc(struct tui_app *a, struct tui_view *v)
{
	struct revoke *rv = v->data;
	const char *p, *nl;

	if (rv->stage == RV_PREVIEW) {
		snprintf(v->title, sizeof(v->title), "%s %.200s: preview (nothing is sent yet)",
			 rv->undo_of ? "Undo of action" : "Revoke",
			 rv->undo_of ? rv->confirm_word : rv->incident_esc);
		snprintf(v->hint, sizeof(v->hint), "%s", "y confirm and run  Esc back (nothing sent)");
		v->header[0] = '\0';
		if (!rv->preview_ok) {
			tui_list_add(&v->list, TA_RED, 0, 0, "%s", "the requests could not be prepared");
			return;
		}
		for (p = rv->preview.data; *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p) - 1;
			tui_list_add(&v->list, TA_NORMAL, 0, 0, "%.*s", (int)(nl - p + (*nl != '\n')), p);
			if (nl[1] == '\0')
				break;
		}
		return;
	}
	snprintf(v->title, sizeof(v->title), "%s %.200s: %s", rv->undo_of ? "Undo of action" : "Revoke",
		 rv->undo_of ? rv->confirm_word : rv->incident_esc,
		 rv->stage == RV_RUNNING ? (rv->cancel_asked ? "cancelling (steps already recorded finish)"
							       : "running")
					 : "finished");
	snprintf(v->hint, sizeof(v->hint), "%s",
		 rv->stage == RV_RUNNING ? "Esc cancel the steps not started" : "Esc/q back");
	progress_lines(v, rv, rv->job);
	(void)a;
}

static void
confirmed(struct tui_app *a, struct tui_view *v, const char *text)
{
	struct revoke *rv = v->data;
	char name[512];

	if (strcmp(text, rv->confirm_word) != 0) {
		tui_app_message(a, 1, "'%s' is not '%s': nothing was sent", text, rv->confirm_word);
		return;
	}
	if (rv->undo_of)
		snprintf(name, sizeof(name), "tui undo of action %lld", (long long)rv->undo_of);
	else
		snprintf(name, sizeof(name), "tui incident %s", rv->incident);
	rv->job = tui_job_new(rv->plan, rv->sel, a->db_path, name, rv->undo_of);
	rv->plan = NULL;
	rv->snap = xcalloc(rv->job->n + 1, sizeof(*rv->snap));
	if (tui_job_start(rv->job) != CD_OK) {
		tui_app_message(a, 1, "%s", "cannot start the revoke thread: nothing was sent");
		return;
	}
	rv->stage = RV_RUNNING;
	v->list.cursor = 1;
	v->list.cur = v->list.top = 0;
	tui_app_message(a, 0, "%s", "running: Esc cancels the steps not started");
	tui_app_recalc(a);
}

static int
tick(struct tui_app *a, struct tui_view *v)
{
	struct revoke *rv = v->data;
	int finished = 0;
	unsigned gen;

	if (rv->job == NULL || rv->stage != RV_RUNNING)
		return 0;
	tui_job_snapshot(rv->job, rv->snap, &finished, rv->result, sizeof(rv->result), &gen);
	if (gen == rv->gen)
		return 0;
	rv->gen = gen;
	if (finished) {
		rv->stage = RV_FINISHED;
		a->reopen = 1;
		tui_app_message(a, 0, "%s", rv->result);
	}
	return TR_RECALC | TR_REDRAW;
}

static int
key(struct tui_app *a, struct tui_view *v, int k)
{
	struct revoke *rv = v->data;
	char label[256];

	if (rv->stage == RV_PREVIEW && (k == 'y' || k == TK_ENTER)) {
		if (!rv->preview_ok)
			return TR_HANDLED;
		struct buf b;

		/* the id comes from the store: escaped like any text from it */
		buf_init(&b, sizeof(label) - 1);
		if (out_bprintf(&b, "type %s to run these requests (Esc: nothing is sent): ",
				rv->confirm_word) != CD_OK) {
			/* cut */
		}
		snprintf(label, sizeof(label), "%s", b.data);
		buf_release(&b);
		tui_app_prompt(a, label, confirmed);
		return TR_REDRAW;
	}
	if (rv->stage == RV_RUNNING && (k == TK_ESC || k == 'q')) {
		tui_job_cancel(rv->job);
		rv->cancel_asked = 1;
		tui_app_message(a, 0, "%s",
				"cancelling: steps already recorded finish; nothing later is sent");
		return TR_RECALC | TR_REDRAW;
	}
	return 0;
}

static void
revoke_free(struct tui_view *v)
{
	struct revoke *rv = v->data;

	if (rv->job != NULL)
		tui_job_cancel(rv->job);
	tui_job_free(&rv->job);
	revoke_plan_free(&rv->plan);
	buf_release(&rv->preview);
	free(rv->sel);
	free(rv->snap);
	free(rv);
}

static const struct tui_view_ops revoke_ops = {
	.name = "revoke",
	.recalc = recalc,
	.key = key,
	.tick = tick,
	.free = revoke_free,
};

struct tui_view *
tui_revoke_view(struct plan *p, const unsigned char *sel, const char *incident, int64_t undo_of,
		struct store *s)
{
	struct revoke *rv = xcalloc(1, sizeof(*rv));
	struct tui_view *v;
	size_t i;

	(void)s;
	rv->plan = p;
	rv->n = revoke_plan_len(p);
	rv->sel = xcalloc(rv->n + 1, 1);
	for (i = 0; i < rv->n; i++)
		rv->sel[i] = sel == NULL || sel[i];
	snprintf(rv->incident, sizeof(rv->incident), "%s", incident ? incident : "");
	{
		struct buf b;

		buf_init(&b, sizeof(rv->incident_esc) - 1);
		if (out_bprintf(&b, "%s", rv->incident) != CD_OK) {
			/* cut */
		}
		snprintf(rv->incident_esc, sizeof(rv->incident_esc), "%s", b.data);
		buf_release(&b);
	}
	rv->undo_of = undo_of;
	if (undo_of)
		snprintf(rv->confirm_word, sizeof(rv->confirm_word), "%lld", (long long)undo_of);
	else
		snprintf(rv->confirm_word, sizeof(rv->confirm_word), "%s", rv->incident);
	buf_init(&rv->preview, (size_t)16 << 20);
	rv->preview_ok = revoke_plan_preview(p, rv->sel, &rv->preview) == CD_OK;
	v = tui_view_new(&revoke_ops, rv);
	v->list.cursor = 0;
	return v;
}
