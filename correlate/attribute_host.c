/*
 * attribute_host.c - the host of a container whose sources name none.
 *
 * Tracee's v1beta1 records carry no node name, and a container started
 * through a runtime socket has no pod for the inventory to place.  Its
 * processes' host pids do name it: auditd records the same pid on its
 * host at the same moment.  Without the host the container could not be
 * joined to the workload that started it on that host (a CI job's sibling
 * container opened an incident of its own).
 *
 * Tracee's flat records name a host process's host by its UTS name, which
 * the kernel hands eBPF in a 16-byte buffer: "ip-10-14-13-60.ec2.internal"
 * arrives as "ip-10-14-13-60.".  Left so, the escaped process's host reads
 * by Tracee were a host of their own, not joined by pid to the container
 * they came from, and opened a second incident.
 */
#include <string.h>

#include "engine.h"

#define PID_JOIN_NS ((int64_t)5 * 1000000000LL) /* clocks of two sources on one host */
#define PID_TRIES   8                           /* of the container's processes */

void
host_of_container(sqlite3 *db, struct workload *w)
{
	sqlite3_stmt *procs = NULL, *host = NULL;
	char found[256] = "";
	int tries = 0, conflict = 0;

	if (w->host[0] || !w->container_id[0])
		return;
	if (sqlite3_prepare_v2(db,
			       "SELECT pid, ts_ns FROM events WHERE container_id = ?1 AND pid IS NOT NULL"
			       " AND pid > 2 ORDER BY ts_ns LIMIT ?2",
			       -1, &procs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT DISTINCT host FROM events WHERE ts_ns BETWEEN ?2 AND ?3 AND pid = ?1"
			       " AND host IS NOT NULL AND container_id IS NULL LIMIT 2",
			       -1, &host, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(procs, 1, w->container_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(procs, 2, PID_TRIES);
	while (!conflict && sqlite3_step(procs) == SQLITE_ROW && tries++ < PID_TRIES) {
		int64_t ts = sqlite3_column_int64(procs, 1);

		sqlite3_bind_int64(host, 1, sqlite3_column_int64(procs, 0));
		sqlite3_bind_int64(host, 2, ts - PID_JOIN_NS);
		sqlite3_bind_int64(host, 3, ts + PID_JOIN_NS);
		while (sqlite3_step(host) == SQLITE_ROW) {
			const char *h = (const char *)sqlite3_column_text(host, 0);

			/* one pid on two hosts at once: not enough to place it */
			if (found[0] && strcmp(found, h) != 0)
				conflict = 1;
			else
				snprintf(found, sizeof(found), "%s", h);
		}
		sqlite3_reset(host);
	}
	if (!conflict && found[0])
		snprintf(w->host, sizeof(w->host), "%s", found);
out:
	sqlite3_finalize(procs);
	sqlite3_finalize(host);
}

#define UTS_CUT 15 /* the UTS name's characters a 16-byte buffer keeps */

/* The least host name above after in the (host, pid) index, or "". */
static void
host_after(sqlite3_stmt *st, const char *after, char *out, size_t cap)
{
	out[0] = '\0';
	sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
}

int
host_full_name(sqlite3 *db, const char *host, char *out, size_t cap)
{
	sqlite3_stmt *st;
	char first[256], second[256];

	if (host == NULL || strlen(host) != UTS_CUT)
		return 0;
	/* two index seeks, never a scan: the hosts just above the cut name */
	if (sqlite3_prepare_v2(db,
			       "SELECT host FROM events WHERE host > ?1 AND pid IS NOT NULL"
			       " ORDER BY host LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	host_after(st, host, first, sizeof(first));
	if (strncmp(first, host, UTS_CUT) != 0) {
		sqlite3_finalize(st);
		return 0;
	}
	host_after(st, first, second, sizeof(second));
	sqlite3_finalize(st);
	/* two hosts under one cut name: not enough to say which */
	if (strncmp(second, host, UTS_CUT) == 0 || strlen(first) >= cap)
		return 0;
	snprintf(out, cap, "%s", first);
	return 1;
}
