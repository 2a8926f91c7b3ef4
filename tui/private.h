/*
 * private.h - what the files of tui/ share and nobody else needs: the
 * stored incident report as parsed JSON, and the terminal (term.c, the one
 * file that includes curses) behind a curses-free interface.
 */
#ifndef CORDON_TUI_PRIVATE_H
#define CORDON_TUI_PRIVATE_H

#include "tui.h"

/* ---- report.c: an incident's stored report (incidents.report) --------- */

struct tui_report {
	char *js;
	struct json_doc d;
	struct json_tokens t;
};

int tui_report_parse(struct tui_report *r, const char *js);
/* Load incident id's report; CD_E_NOTFOUND when there is none. */
int tui_report_load(struct tui_report *r, struct store *s, const char *id);
void tui_report_release(struct tui_report *r);
int tui_report_count(const struct tui_report *r, const char *key);
/* The decoded string at path under obj, or "-" (out holds it). */
const char *tui_report_str(const struct tui_report *r, int obj, const char *path, char *out,
			   size_t cap);
/* State of report credential el: "revoked", "revoking", "failed" from the
 * actions table (its id, its identity, the role of its session, or for a
 * bound service-account token the plan's delete-pod steps), else NULL. */
const char *tui_cred_state(struct store *s, const struct tui_report *r, int el);

/* ---- term.c: the terminal --------------------------------------------- */

/* Enter curses (alternate screen); restores the terminal on exit, on
 * SIGINT/SIGTERM (as a quit key) and on crash signals (then re-raised). */
int term_start(int color);
void term_stop(void);
/* The next key (TK_* or a byte), TK_NONE after timeout_ms; TK_RESIZE on a
 * resize (the size is then in *w, *h). */
int term_key(int timeout_ms, int *w, int *h);
void term_size(int *w, int *h);
/* Draw the whole application: views, status, message or prompt, help. */
void term_draw(const struct tui_app *a);
/* Esc typed since the last key read (other keys stay queued). */
int term_esc_pressed(void);
/* A signal asked to quit (SIGINT, SIGTERM, SIGHUP). */
int term_quit_requested(void);

#endif
