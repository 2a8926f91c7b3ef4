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
 * whose contact was new (imds_taken_later).
 */
#include <string.h>

#include "incident.h"

#define ROUTINE_SKEW_NS ((int64_t)120 * 1000000000LL)

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
