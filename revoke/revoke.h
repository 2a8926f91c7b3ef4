/*
 * revoke.h - the public interface of revoke/: plans, apply, verify, undo
 * and the hash-chained audit trail of every attempted action.
 *
 *   cmd_revoke.c  `cordon revoke` subcommands: plan, apply, undo, one-liners
 *   runopts.c     the options apply, undo and the one-liners share
 *   cmd_audit.c   `cordon audit verify|list`
 *   plan.c        plans: from an incident's report, to and from JSON, ordering
 *   exec.c        running steps: a bounded thread pool, results to one writer
 *   audit.c       the actions table: append (hash-chained), verify, list
 *   output.c      results as a table or JSON
 *   session.c     the same plans and executor for another front end (the TUI)
 */
#ifndef CORDON_REVOKE_H
#define CORDON_REVOKE_H

#include "../core/core.h"

extern const struct cmd_entry cmd_revoke_entry;
extern const struct cmd_entry cmd_audit_entry;

/* ---- session.c: plans and runs for another front end (cordon tui) -----
 *
 * The steps, the dry-run text and the run are exactly those of `revoke
 * plan --incident`, `revoke apply --dry-run` and `revoke apply` (exec.c:
 * intent rows before any request, outcome rows after, witness head). */

struct plan; /* opaque outside revoke/ */

struct revoke_step_info {
	int id;                        /* 1-based, plan order */
	const char *provider, *action, *target, *note;
	const char *phase;             /* "quarantine", "revoke", ... */
	int manual;                    /* done by a person: never run */
	int reversible;                /* `revoke undo` can reverse its outcome */
};

/* The incident's plan (same steps, same order as `revoke plan`). */
int revoke_plan_load(struct store *s, const char *incident, struct plan **out, char **cause);
/* The one-step plan reversing audit row action_id (same checks as `revoke undo`). */
int revoke_plan_undo(const char *db_path, int64_t action_id, struct plan **out, char **cause);
void revoke_plan_free(struct plan **p);
size_t revoke_plan_len(const struct plan *p);
void revoke_plan_step(const struct plan *p, size_t i, struct revoke_step_info *out);

/* What `revoke apply --dry-run` prints for the steps with sel[i] set
 * (sel NULL: all): every request, secrets redacted.  Sends nothing. */
int revoke_plan_preview(struct plan *p, const unsigned char *sel, struct buf *out);

/* One step's progress or outcome, as the run reports it. */
struct revoke_progress {
	size_t step;                   /* index into the plan */
	int started;                   /* 1: handed to its connector; 0: finished */
	const char *outcome;           /* "done", "already done", "failed" (finished) */
	const char *detail, *verified, *request, *undo;
	long http_status;
	int64_t action_id;             /* its outcome row */
	int not_sent;                  /* stopped before it ran (cancelled or no trail) */
};

struct revoke_run_opts {
	const char *db_path;           /* MUST: the store the trail goes to */
	const char *plan_name;         /* MUST: the audit rows' plan column */
	const char *who;               /* MAY: default $USER@host */
	const unsigned char *sel;      /* MAY: run only steps with sel[i] set */
	int jobs;                      /* MAY: default 4 */
	int64_t undo_of;               /* MAY: the row an undo plan reverses */
	/* MAY: asked before each phase; non-zero: nothing later is sent */
	int (*cancelled)(void *arg);
	/* MAY: called on the run's threads, started and finished */
	void (*on_progress)(const struct revoke_progress *pr, void *arg);
	void *arg;
};

/*
 * Run the selected automatic steps (blocking: call it off the UI thread).
 * @retval CD_OK            every selected step ran (each may have failed)
 * @retval CD_E_INTERRUPTED cancelled: later steps not sent (reported not_sent)
 * @retval other            the store or trail could not be written; *cause says
 *                          what was and was not sent
 */
int revoke_plan_run(struct plan *p, const struct revoke_run_opts *o, char **cause);

#endif
