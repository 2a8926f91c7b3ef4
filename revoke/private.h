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

/* An intent's outcome row: the next row of the same who, plan, provider,
 * action and target after row A (SQL, A is the alias of the intent). */
#define AUDIT_NEXT(a)                                                                          \
	"(SELECT min(n.id) FROM actions n WHERE n.id > " a ".id AND n.who IS " a ".who AND"     \
	" n.plan IS " a ".plan AND n.provider = " a ".provider AND n.action = " a ".action AND" \
	" n.target = " a ".target)"
#define AUDIT_INTENT "intent" /* the result column of an intent row */

/* How long an append waits for another writer: $CORDON_AUDIT_WAIT seconds,
 * default 60. */
int64_t audit_wait_ns(void);
/* Append rows to the chain in one transaction (all or none); ids are set.
 * Creates the chain key on first use. */
int audit_append_rows(struct store *s, struct audit_row *rows, size_t n, char **cause);
int audit_append(struct store *s, struct audit_row *row, char **cause);
/* The last row's id and hash; CD_E_NOTFOUND when the trail is empty. */
int audit_head(struct store *s, int64_t *id, unsigned char hash[32]);

struct audit_check {
	const char *witness;      /* in: witness file to check against (NULL: none) */
	int witness_required;     /* in: a missing witness file is an error */
	int64_t rows;             /* rows verified */
	int64_t bad_id;           /* first bad row (0: the head) when broken */
	int64_t keyed_from;       /* first HMAC-keyed row; 0: no key file */
	int witness_missing;      /* the (default) witness file does not exist */
	int64_t nwitness;         /* heads the witness recorded */
	int64_t witness_id;       /* the latest of them */
	int64_t nunknown;         /* intents without an outcome row */
	struct buf unknown;       /* which (the first 50) */
	char *why;                /* what is broken, or the error */
};

/* Walk the chain; CD_OK when intact (ck says how much and what is
 * unknown), CD_E_PARSE when broken (ck->bad_id, ck->why), other errors
 * with ck->why.  Release ck after. */
int audit_verify(struct store *s, struct audit_check *ck);
void audit_check_release(struct audit_check *ck);

/* ---- auditkey.c: the key and the witness, outside the store ----------- */

struct audit_key {
	int present;
	int64_t from;             /* the first row keyed */
	unsigned char key[32];    /* secret */
};

struct audit_witness_entry {
	int64_t id;
	unsigned char hash[32];
};

struct audit_witness {
	struct audit_witness_entry *e;
	size_t n, cap;
};

/* STORE + suffix. */
void audit_side_path(const char *store, const char *suffix, char *out, size_t cap);
/* $CORDON_AUDIT_KEY, else STORE.key. */
void audit_key_path(const char *store, char *out, size_t cap);
/* Read the key: CD_OK with k->present 0 when there is none. */
int audit_key_load(const char *path, struct audit_key *k, char **cause);
/* Read it, or create it (0600) keying rows from next_id on. */
int audit_key_ensure(const char *path, int64_t next_id, struct audit_key *k, char **cause);
void audit_key_release(struct audit_key *k);
/* Append "ID HASH TIME" (file created 0600). */
int audit_witness_append(const char *path, int64_t id, const unsigned char hash[32], char **cause);
/* CD_E_NOTFOUND when the file does not exist. */
int audit_witness_load(const char *path, struct audit_witness *w, char **cause);
void audit_witness_release(struct audit_witness *w);

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
	int64_t intent_id;        /* its intent row, committed before anything was sent (0: none) */
	int ran;                  /* handed to a connector */
	int not_sent;             /* stopped before it ran: the trail could not be written */
	int outcome_unrecorded;   /* ran, but its outcome row could not be written */
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
	/* MAY: called on a worker thread as an item is handed to its connector. */
	void (*on_start)(struct exec_item *it, void *arg);
	/* MAY: asked before each phase's intent rows; non-zero stops the run
	 * there (what was recorded runs to its outcome; nothing later is sent). */
	int (*cancelled)(void *arg);
};

/* Run the items phase by phase; within a phase up to jobs at once, steps
 * on the same provider target one after another.  Each phase's intent rows
 * are committed before any of its steps is handed to a connector; a step
 * whose intent cannot be recorded is not run.  Returns CD_OK, or CD_E_DB
 * when a row could not be written: the run stops, *cause says what was and
 * was not sent, and every item is still reported through on_result. */
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
	const char *witness;      /* --witness FILE; default STORE.witness */
	const char *aws_profile;  /* --profile NAME */
	const char *kubeconfig;   /* --kubeconfig FILE (only that file) */
	const char *kube_context; /* --context NAME */
};

/* ---- runopts.c: the options apply, undo and the one-liners share ------ */

/* getopt_long values of the shared options; a command's own start at RUN_O_NEXT. */
enum { RUN_O_DB = 256, RUN_O_FORMAT, RUN_O_JOBS, RUN_O_WHO, RUN_O_SECRET, RUN_O_SHOW, RUN_O_DEBUG,
       RUN_O_DRY, RUN_O_WITNESS, RUN_O_PROFILE, RUN_O_KUBECONFIG, RUN_O_CONTEXT, RUN_O_NEXT };
#define RUN_NLONGOPTS 13 /* entries run_longopts writes */

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

/* After a run that wrote rows: append the chain head to the witness file
 * (default STORE.witness); *msg (may be NULL) gets what was done. */
void revoke_witness_head(struct store *s, const char *witness, char **msg);
/* Run a plan's automatic steps, print results; returns the exit status. */
int revoke_execute(struct plan *p, const struct run_cfg *rc);
/* undo.c: the one-step plan that reverses audit row ID. */
int revoke_undo_plan(struct cmd_ctx *cc, const char *id, struct plan *p, int64_t *undo_of);
int cmd_revoke_runbook(struct cmd_ctx *cc, const char *name);
int revoke_is_runbook(const char *name);
void revoke_runbook_usage(FILE *f);

#endif
