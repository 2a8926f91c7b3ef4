/*
 * attribute_host.c - the host of a container whose sources name none.
 *
 * Tracee's v1beta1 records carry no node name, and a container started
 * through a runtime socket has no pod for the inventory to place.  Its
 * processes' host pids do name it: auditd records the same pid on its
 * host at the same moment.  Without the host the container could not be
 * joined to the workload that started it on that host (a CI job's sibling
 * container opened an incident of its own).
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
