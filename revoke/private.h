/*
 * private.h - what the files of revoke/ share: plans, the executor and the
 * audit trail.
 */
#ifndef CORDON_REVOKE_PRIVATE_H
#define CORDON_REVOKE_PRIVATE_H

#include <getopt.h>

#include "revoke.h"
#include "../connectors/connectors.h"

/* ---- plan.c ----------------------------------------------------------- */

struct plan_step {
	int id;                          /* 1-based position in the plan */
	char *provider, *action, *target;
	char *note;                      /* why, from the incident; or what to do by hand */
	enum conn_phase phase;
	int manual;                      /* no automatic action exists: done by a person */
	const struct connector *conn;    /* NULL for manual steps */
	const struct conn_action *act;
};

struct plan {
	char *incident;                  /* incident id, when made from one */
	char *source;                    /* for the audit rows: "incident X", a file, "runbook" */
	struct plan_step *steps;
	size_t n, cap;
};

#define PLAN_MAX_STEPS 10000

void plan_init(struct plan *p);
void plan_release(struct plan *p);
/* Add a step; unknown providers/actions become manual steps.  Duplicates
 * (same provider, action, target) are dropped. */
void plan_add(struct plan *p, const char *provider, const char *action, const char *target,
	      const char *note);
/* Stable sort into the safe order (phases), then renumber. */
void plan_order(struct plan *p);
int plan_from_incident(struct store *s, const char *id, struct plan *p, char **cause);
int plan_from_json(const char *text, size_t len, struct plan *p, char **cause);
int plan_to_json(const struct plan *p, struct buf *b);
void plan_print_table(const struct plan *p, FILE *f);
const char *phase_name(enum conn_phase ph);

/* ---- audit.c ---------------------------------------------------------- */

struct audit_row {
	int64_t id;                   /* set by audit_append */
	int64_t ts_ns;
	const char *who, *plan, *provider, *action, *target, *request;
	int64_t http_status;          /* EV_NULL when nothing was sent */
	const char *request_id, *result, *verified;
	int64_t undo_of;              /* EV_NULL unless this row undoes another */
	const char *undo, *detail;
};

/* Append one row to the chain (its own transaction). */
int audit_append(struct store *s, struct audit_row *row, char **cause);
/* Walk the chain; returns CD_OK when intact.  Otherwise *bad_id is the first
 * bad row (0: the chain head) and *why says what is wrong. */
int audit_verify(struct store *s, int64_t *rows, int64_t *bad_id, char **why);
/* "$USER@host" unless given. */
void audit_who(const char *given, char *out, size_t cap);

/* ---- exec.c ----------------------------------------------------------- */

struct exec_item {
	struct plan_step *step;
	struct conn_result res;
	int64_t action_id;        /* the audit row written for it (0: none) */
	int64_t elapsed_ms;
	int config_error;         /* the provider's configuration could not be read */
	int usage_error;          /* the target was unusable */
	int64_t undo_of;          /* for undo rows */
};

struct exec_opts {
	struct conn_opts co;
	int jobs;                 /* worker threads (>= 1) */
	struct store *store;      /* audit rows go here; NULL for dry-run */
	const char *who;
	const char *plan_name;
	/* Called on the main thread as each item completes (after its row). */
	void (*on_result)(struct exec_item *it, void *arg);
	void *arg;
};

/* Run the items phase by phase; within a phase up to jobs at once, steps
 * on the same provider target one after another.  Returns CD_OK, or an
 * error when an audit row could not be written (the run stops). */
int exec_run(const struct exec_opts *o, struct exec_item *items, size_t n, char **cause);

/* ---- output.c --------------------------------------------------------- */

struct result_out {
	enum out_format fmt;
	int show_secret;          /* print a rotated key's new secret once */
	struct buf json;          /* results collected for --format json */
	struct buf manual;        /* manual steps, for --format json */
	size_t n, failed, done, already, dryrun;
};

void result_out_init(struct result_out *ro, enum out_format fmt, int show_secret);
void result_out_item(struct result_out *ro, struct exec_item *it);
/* A manual step, listed in the JSON document ("manual":[...]). */
void result_out_manual(struct result_out *ro, const struct plan_step *st);
/* Print the JSON document (if json) and the summary line. */
void result_out_finish(struct result_out *ro, int64_t elapsed_ms);
void result_out_release(struct result_out *ro);

/* ---- cmd_revoke.c: shared by plan/apply/undo and the one-liners ------- */

struct run_cfg {
	const char *db_path;
	enum out_format fmt;
	int dry_run;
	int jobs;
	int show_secret;
	int debug;
	const char *who;          /* --who, else $USER@host */
	const char *plan_name;    /* the audit rows' plan column */
	const char *secret;       /* input secret (GitHub token), wiped by the owner */
	size_t secret_len;
	int64_t undo_of;
	int config_is_usage;      /* one-liners: a configuration error exits 2 */
};

/* ---- runopts.c: the options apply, undo and the one-liners share ------ */

/* getopt_long values of the shared options; a command's own start at RUN_O_NEXT. */
enum { RUN_O_DB = 256, RUN_O_FORMAT, RUN_O_JOBS, RUN_O_WHO, RUN_O_SECRET, RUN_O_SHOW, RUN_O_DEBUG,
       RUN_O_DRY, RUN_O_NEXT };
#define RUN_NLONGOPTS 9 /* entries run_longopts writes */

/* Write the shared long options (and --help as 'h') into lo; the option
 * naming the file a secret is read from is --SECRET_FLAG.  Returns how
 * many were written (RUN_NLONGOPTS). */
size_t run_longopts(struct option *lo, const char *secret_flag);
/* Apply one getopt_long result c: 1 taken, 0 not a shared option, -1 a bad
 * value (message printed: exit 2). */
int run_opt(struct cmd_ctx *cc, struct run_cfg *rc, const char **secret_file, int c, const char *arg);
/* --format: table or json only (message printed on error). */
int run_parse_format(const char *arg, enum out_format *f);
/* Read the secret named by --token-file/--file, if any (message printed). */
int run_read_secret(const char *path, char **tok, size_t *len);

/* Run a plan's automatic steps, print results; returns the exit status. */
int revoke_execute(struct plan *p, const struct run_cfg *rc);
/* undo.c: the one-step plan that reverses audit row ID. */
int revoke_undo_plan(struct cmd_ctx *cc, const char *id, struct plan *p, int64_t *undo_of);
int cmd_revoke_runbook(struct cmd_ctx *cc, const char *name);
int revoke_is_runbook(const char *name);
void revoke_runbook_usage(FILE *f);

#endif
