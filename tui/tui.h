/*
 * tui.h - the public interface of tui/: `cordon tui`, the incident cockpit,
 * and its model (screens' state, store queries, the revoke job), which
 * never includes curses and is unit-tested without a terminal.
 *
 *   cmd_tui.c     the command: options, checks, the loop (recalc -> draw)
 *   app.c         the application: view stack, keys, status, prompt, help
 *   list.c        the one list widget: cursor, paging, search
 *   v_incidents.c the start screen: incidents with counts and cut-off creds
 *   v_incident.c  one incident: timeline + histogram, blast-radius tree, plan
 *   v_revoke.c    preview, confirm, progress, undo
 *   v_text.c      text pages: raw evidence records, help
 *   v_reach.c     the `cordon reach` tree for any subject
 *   v_events.c    every event, paged: filters, jump to a time, follow, pivot
 *   tree.c        expandable trees built from graph_reach()
 *   job.c         the revoke job: revoke_plan_run() on a thread of its own
 *   follow.c      --follow: ingest and correlate as child processes
 *   term.c        the only file with curses: terminal, keys, drawing
 *
 * The loop is htop's collect-then-draw: key handlers and store changes
 * only set TR_RECALC / TR_REDRAW; one pass rebuilds the top view's lines
 * and term.c draws them.
 */
#ifndef CORDON_TUI_H
#define CORDON_TUI_H

#include <pthread.h>

#include "../core/core.h"

extern const struct cmd_entry cmd_tui_entry;

/* ---- keys: term.c maps the terminal's keys onto these ----------------- */

enum tui_keycode {
	TK_NONE = 0,
	TK_CTRL_D = 4,
	TK_TAB = 9,
	TK_ENTER = 10,
	TK_CTRL_U = 21,
	TK_ESC = 27,
	TK_BACKSPACE = 127,
	TK_UP = 0x1000,
	TK_DOWN,
	TK_LEFT,
	TK_RIGHT,
	TK_PGUP,
	TK_PGDN,
	TK_HOME,
	TK_END,
	TK_BTAB,
	TK_RESIZE,
};

/* What a key handler asks of the loop (htop's HandlerResult). */
#define TR_HANDLED 0x1
#define TR_REDRAW  0x2
#define TR_RECALC  0x4 /* rebuild the top view's lines from the store */
#define TR_QUIT    0x8

/* ---- list.c: the one list widget -------------------------------------- */

enum tui_attr { TA_NORMAL, TA_BOLD, TA_DIM, TA_RED, TA_GREEN, TA_YELLOW, TA_CYAN, TA_HEAD };

/* One line; text is already escaped for the terminal (out_escape). */
struct tui_line {
	char *text;
	unsigned char attr;
	unsigned char mark;   /* selected (revoke steps) */
	int kind;             /* the view's own meaning */
	int64_t ref;          /* the view's own meaning (event id, node index, step) */
};

#define TUI_LIST_MAX 200000 /* lines one list holds; more are cut */

struct tui_list {
	struct tui_line *v;
	size_t n, cap;
	size_t cur, top;      /* cursor and first visible line */
	int cursor;           /* 0: a page of text (no cursor line, scrolls) */
};

void tui_list_init(struct tui_list *l, int cursor);
void tui_list_clear(struct tui_list *l);       /* drop lines, keep position */
void tui_list_release(struct tui_list *l);
/* Add a line: the format's text as written, every %s escaped (out_bprintf). */
struct tui_line *tui_list_add(struct tui_list *l, int attr, int kind, int64_t ref, const char *fmt,
			      ...) CD_PRINTF(5, 6);
/* Add a line already escaped. */
struct tui_line *tui_list_add_raw(struct tui_list *l, int attr, int kind, int64_t ref,
				  const char *text);
/* Cursor keys (arrows, j/k, g/G, PgUp/PgDn, Ctrl-d/Ctrl-u, Home/End) over a
 * pane of height lines: TR_HANDLED|TR_REDRAW when taken, 0 when not. */
int tui_list_key(struct tui_list *l, int key, int height);
/* Keep the cursor inside the list and visible in a pane of height lines. */
void tui_list_fix(struct tui_list *l, int height);
/* The next line (dir 1) or previous (-1) after the cursor whose text holds
 * pat (case-insensitive), wrapping; moves the cursor; 0 when found. */
int tui_list_search(struct tui_list *l, const char *pat, int dir, int height);
const struct tui_line *tui_list_current(const struct tui_list *l);

/* ---- tree.c: expandable trees ----------------------------------------- */

struct tui_tree_node {
	char *label;          /* escaped */
	char *subject;        /* reach subject loaded on expand (NULL: none) */
	char *status_target;  /* credential/identity id whose actions give a state */
	int depth;
	int expanded;
	int loaded;
	unsigned flags;       /* TN_ */
};
#define TN_CRED 0x1 /* a credential: its state is shown */
#define TN_USED 0x2 /* the report saw it used after exposure */
#define TN_MANUAL 0x4 /* only a person can cut it off (a manual plan step) */

struct tui_tree {
	struct tui_tree_node *v;
	size_t n, cap;
};

void tui_tree_init(struct tui_tree *t);
void tui_tree_release(struct tui_tree *t);
/* Append a node at the end (a top-level or a child when built in order). */
struct tui_tree_node *tui_tree_add(struct tui_tree *t, int depth, const char *subject,
				   const char *label);
/* Toggle node i; on first expand of a node with a subject, insert its
 * graph_reach() tree under it (a message node when not in the graph). */
int tui_tree_toggle(struct tui_tree *t, size_t i, struct store *s);
/* Insert the reach tree of subject under node at (depth + 1 ...). */
int tui_tree_load(struct tui_tree *t, size_t at, struct store *s, const char *subject);
/* Visible nodes (all ancestors expanded) into l: kind 1, ref = node index,
 * each credential with its state: revoking/revoked/failed from the actions
 * table, else manual, used after exposure, or active. */
void tui_tree_lines(const struct tui_tree *t, struct store *s, struct tui_list *l);

/* A credential's or identity's state from the actions table (latest row on
 * that target): "revoking" (an intent without outcome yet), "revoked",
 * "failed", else NULL (nothing done: the caller says active/manual). */
const char *tui_target_state(struct store *s, const char *target);

/* ---- job.c: the revoke job queue ------------------------------------- */

enum tui_step_state {
	TS_IDLE,       /* not part of this run */
	TS_QUEUED,     /* selected, not handed to its connector yet */
	TS_RUNNING,    /* handed to its connector */
	TS_DONE,
	TS_ALREADY,
	TS_FAILED,
	TS_NOT_SENT,   /* cancelled (or no trail): never sent */
};
const char *tui_step_state_name(enum tui_step_state s);

struct plan;

struct tui_job_step {
	enum tui_step_state state;
	char detail[512];      /* escaped: what the provider said, what was read back */
	int64_t action_id;
	long http_status;
	int reversible;        /* an undo exists for its outcome */
};

struct tui_job {
	pthread_mutex_t mu;
	pthread_t th;
	int started, finished, cancel;
	struct plan *plan;     /* owned */
	size_t n;
	unsigned char *sel;
	struct tui_job_step *steps;
	int64_t undo_of;
	char db_path[4096];
	char plan_name[512];
	char result[1024];     /* when finished: the run's summary or error */
	unsigned gen;          /* bumped on every change (the UI redraws) */
};

/* Take the plan; sel[i] selects step i (copied).  Does not start. */
struct tui_job *tui_job_new(struct plan *p, const unsigned char *sel, const char *db_path,
			    const char *plan_name, int64_t undo_of);
int tui_job_start(struct tui_job *j);
/* Esc: no phase starts after this; steps already recorded finish. */
void tui_job_cancel(struct tui_job *j);
/* A copy of the state under the lock (steps must hold j->n). */
void tui_job_snapshot(struct tui_job *j, struct tui_job_step *steps, int *finished,
		      char *result, size_t cap, unsigned *gen);
/* Waits for the thread; NULL-tolerant. */
void tui_job_free(struct tui_job **j);

/* ---- app.c: the application ------------------------------------------- */

struct tui_app;
struct tui_view;

struct tui_view_ops {
	const char *name;
	/* MUST: rebuild v->list (and aux) from the store */
	void (*recalc)(struct tui_app *a, struct tui_view *v);
	/* MAY: a key the list did not take; returns TR_ bits */
	int (*key)(struct tui_app *a, struct tui_view *v, int key);
	/* MAY: periodic work (a running job); returns TR_ bits */
	int (*tick)(struct tui_app *a, struct tui_view *v);
	/* MAY: free v->data */
	void (*free)(struct tui_view *v);
};

#define TUI_MAX_TABS 4

struct tui_view {
	const struct tui_view_ops *ops;
	char title[512];         /* escaped */
	char header[512];        /* column names over the list (escaped) */
	char hint[256];          /* the keys that matter here */
	const char *tabs[TUI_MAX_TABS];
	int ntabs, tab;
	struct tui_list aux;     /* lines over the list (the histogram): no cursor */
	struct tui_list list;
	struct tui_list keys;    /* not drawn: line i's unescaped key (an id), if any */
	void *data;
	struct tui_view *prev;
};

typedef void (*tui_prompt_fn)(struct tui_app *a, struct tui_view *v, const char *text);

struct tui_app {
	struct store *s;          /* read-only connection: the screens' queries */
	const char *db_path;
	int readonly;             /* --read-only: no revoke, no follow */
	struct tui_view *top;
	int width, height;
	int utf8;                 /* the locale's charset is UTF-8 */
	int help;                 /* the help overlay is shown */
	int help_top;             /* its first line (j/k scroll it on a small terminal) */
	char msg[512];            /* one-line message (escaped) */
	int msg_err;
	/* the prompt line: / search, confirmation, jump, subject */
	int prompting;
	char prompt_label[128];
	char prompt_buf[512];
	size_t prompt_len;
	tui_prompt_fn prompt_done;
	char search[256];
	/* the store seen by PRAGMA data_version */
	int64_t data_version;
	int64_t last_change_ns;   /* when another process last wrote */
	int64_t nevents, nincidents;
	const char *follow_state; /* --follow: what the children are doing */
	/* Another connection of this process opened and closed the store (a
	 * revoke run, an undo): reopen ours before the next query.  The store's
	 * trust checks open() and close() the file, and a close drops every
	 * POSIX lock this process holds on it, ours included, after which our
	 * connection can go on reading a stale snapshot. */
	int reopen;
	/* MAY (term.c's, set by cmd_tui.c): during a long query, draw what is
	 * there so far, and whether Esc was pressed (the query then stops) */
	void (*draw)(const struct tui_app *a);
	int (*esc_pressed)(void);
	int interrupted;
	int quit;
};

/* Run a query's steps with Esc able to stop it: between begin and end,
 * SQLite asks esc_pressed() now and then and a pressed Esc interrupts the
 * statement (SQLITE_INTERRUPT).  end returns 1 when it was interrupted. */
void tui_app_query_begin(struct tui_app *a);
int tui_app_query_end(struct tui_app *a);

/* Height of the list pane of the top view (screen minus chrome). */
int tui_app_list_height(const struct tui_app *a);
void tui_app_init(struct tui_app *a, struct store *s, const char *db_path, int readonly);
void tui_app_release(struct tui_app *a);
void tui_app_push(struct tui_app *a, struct tui_view *v);
/* Pop the top view (the last one is never popped: q quits there). */
void tui_app_pop(struct tui_app *a);
struct tui_view *tui_view_new(const struct tui_view_ops *ops, void *data);
/* One key: the prompt, the help overlay, the list, the view, global keys. */
int tui_app_key(struct tui_app *a, int key);
/* Has another process written the store since the last look?  Cheap:
 * PRAGMA data_version.  TR_RECALC when it has. */
int tui_app_poll(struct tui_app *a);
/* Recalc the top view and the status counts. */
void tui_app_recalc(struct tui_app *a);
void tui_app_message(struct tui_app *a, int err, const char *fmt, ...) CD_PRINTF(3, 4);
void tui_app_prompt(struct tui_app *a, const char *label, tui_prompt_fn done);
/* The status line text (escaped). */
void tui_app_status(const struct tui_app *a, char *out, size_t cap);
/* The help overlay: every key, one per line (NULL-terminated). */
extern const char *const tui_help_lines[];

/* ---- the views -------------------------------------------------------- */

struct tui_view *tui_incidents_view(void);
struct tui_view *tui_incident_view(const char *id);
/* A page of text: the raw record of event id. */
struct tui_view *tui_record_view(int64_t event_id);
struct tui_view *tui_text_view(const char *title, const char *text);
struct tui_view *tui_reach_view(const char *subject);
/* Every event, a page at a time, under filter (the `cordon events`
 * language; NULL: none). */
struct tui_view *tui_events_view(const char *filter);
/* Revoke: the preview of steps sel of plan (taken), then confirm, progress. */
struct tui_view *tui_revoke_view(struct plan *p, const unsigned char *sel, const char *incident,
				 int64_t undo_of, struct store *s);

/* ---- follow.c: --follow ---------------------------------------------- */

struct tui_follow;
/* Start `cordon ingest --follow PATHS` and, every period_s, `cordon
 * correlate` (never two correlates at once), children of self_exe. */
int tui_follow_start(const char *self_exe, const char *db_path, char **paths, int npaths,
		     int period_s, struct tui_follow **out);
/* Reap and restart correlate when due; returns a state for the status line. */
const char *tui_follow_tick(struct tui_follow *f);
void tui_follow_stop(struct tui_follow **f);

#endif
