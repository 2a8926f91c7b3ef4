/*
 * routine.c - signals that are the workload's routine, judged after
 * attribution against its image's own history (never a list of names).
 *
 * A node agent or monitoring DaemonSet asks instance metadata every few
 * minutes from its first hour; tool code that left an agent's container
 * asks it once.  The same CRED-03 fires on both.  The image's destinations
 * are learned by WL-02 (first-seen dst_ip per image, in the baselines
 * table): a metadata contact by an image that contacted the same address
 * before (past the clock skew of two sources) is routine, and it neither
 * opens an incident nor takes the node's role sessions from the workload
 * whose contact was new (imds_taken_later).  Any other credential-access
 * signal an image gives at least ROUTINE_COUNT times over more than
 * ROUTINE_SPAN_NS, or half the case's history when that is shorter (a
 * monitor reading /proc/PID/environ every two hours), is routine the same
 * way; an attack's signals come in a burst.
 */
#include <string.h>

#include "incident.h"

#define ROUTINE_SKEW_NS ((int64_t)120 * 1000000000LL)
/* a signal an image gives again and again over this span is its life, not
 * an attack's burst (minutes around the escape) */
#define ROUTINE_SPAN_NS ((int64_t)6 * 3600 * 1000000000LL)
#define ROUTINE_COUNT   2

/* The address part of dst ("ip:port", "[v6]:port"). */
static void
dst_addr(const char *dst, char *out, size_t cap)
{
	const char *end;

	out[0] = '\0';
	if (dst == NULL || dst[0] == '/')
		return;
	if (dst[0] == '[') {
		end = strchr(dst, ']');
		if (end != NULL)
			snprintf(out, cap, "%.*s", (int)(end - dst - 1), dst + 1);
		return;
	}
	end = strrchr(dst, ':');
	if (end != NULL && strchr(dst, ':') == end)
		snprintf(out, cap, "%.*s", (int)(end - dst), dst);
	else
		snprintf(out, cap, "%s", dst);
}

void
history_span(sqlite3 *db, int64_t *first, int64_t *last)
{
	sqlite3_stmt *st;

	*first = *last = TIME_NONE;
	if (sqlite3_prepare_v2(db, HISTORY_SPAN_SQL, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*first = sqlite3_column_int64(st, 0);
		*last = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

int
finding_routine(sqlite3 *db, const struct rule *r, const struct finding *f, const struct workload *w)
{
	char ip[96];
	sqlite3_stmt *st;
	int routine = 0;

	if (r == NULL || r->exposes != EXPOSES_IMDS || !w->image[0])
		return 0;
	dst_addr(f->dst, ip, sizeof(ip));
	if (!ip[0])
		snprintf(ip, sizeof(ip), "169.254.169.254"); /* an alert with no dst (Falco's rule) */
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM baselines WHERE rule = 'WL-02' AND entity = ?1 AND value = ?2"
			       " AND first_ns < ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, w->image, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->ts - ROUTINE_SKEW_NS);
	routine = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return routine;
}

/* A credential-access finding's (rule, image) key, its length; -1 for the others. */
static int
routine_key(const struct inc_ctx *c, const struct finding *f, char *key, size_t cap)
{
	const struct workload *w;
	int n;

	if (f->wl < 0 || strcmp(f->cls, "credential-access") != 0)
		return -1;
	w = &c->w[f->wl].d;
	if (!w->image[0])
		return -1;
	n = snprintf(key, cap, "%s%c%s", f->rule, 0, w->image);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

void
routine_mark(struct inc_ctx *c, sqlite3 *db)
{
	struct strmap seen;
	size_t i;
	char key[600];
	int n, created;

	int64_t span = ROUTINE_SPAN_NS;

	if (c->history_first != TIME_NONE && (c->history_last - c->history_first) / 2 < span)
		span = (c->history_last - c->history_first) / 2;
	strmap_init(&seen);
	for (i = 0; i < c->nf; i++) {
		const struct finding *f = &c->f[i];
		struct strmap_entry *e;

		if ((n = routine_key(c, f, key, sizeof(key))) < 0)
			continue;
		e = strmap_get(&seen, key, (size_t)n, &created);
		if (created)
			e->a = f->ts;
		e->b = f->ts; /* findings are in time order */
		e->c++;
	}
	for (i = 0; i < c->nf; i++) {
		struct finding *f = &c->f[i];
		const struct workload *w;
		const struct strmap_entry *e;

		if ((n = routine_key(c, f, key, sizeof(key))) < 0)
			continue;
		w = &c->w[f->wl].d;
		e = strmap_find(&seen, key, (size_t)n);
		if ((e != NULL && e->c >= ROUTINE_COUNT && e->b - e->a > span) ||
		    finding_routine(db, ruleset_find(c->rs, f->rule), f, w))
			f->wl = -1;
	}
	strmap_release(&seen);
}
