/*
 * ns_host.c - Tracee's namespace inodes: which mount namespace is the
 * host's, and whether a sandbox member's exec ran in it (the rules'
 * `namespace host`).
 *
 * Tracee's flat events carry the process's mountNamespace and
 * pidNamespace inodes but, unlike Tetragon's is_host, not whether they are
 * the host's.  The host's pid namespace has a fixed inode (the kernel's
 * PROC_PID_INIT_INO); its mount namespace has none, so it is learned from
 * processes that run in it by construction, in this order: pid 1's own
 * events; the execs of sandbox launchers and systemd-run (they start from
 * the host, before any namespace is made); else the mount namespace that
 * most children of pid 1 share around that time (breadth.md 3.5, 3.6).
 */
#include <string.h>

#include "engine.h"

#define NS_NEAR_NS ((int64_t)6 * 3600 * 1000000000LL)
#define PID_NS_INIT "4026531836" /* PROC_PID_INIT_INO */

static int
first_text(sqlite3 *db, const char *sql, const char *host, int64_t ts, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts - NS_NEAR_NS);
	sqlite3_bind_int64(st, 3, ts + NS_NEAR_NS);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * The mount namespace of the most children of pid 1 (units, daemons): the
 * host's is every plain unit's, while a sandboxed unit has one of its own
 * for its MainPID alone (a restart makes another).  A tie is no answer.
 */
static int
shared_by_units(sqlite3 *db, const char *host, int64_t ts, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int64_t n[2] = { 0, 0 };
	int i = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT json_extract(extra, '$.mount_ns') m, count(DISTINCT pid) FROM events"
			       " WHERE ts_ns >= ?2 AND ts_ns <= ?3 AND host = ?1 AND source = 'tracee' AND ppid = 1"
			       " AND container_id IS NULL AND json_valid(extra)"
			       " AND json_extract(extra, '$.pid_ns') = " PID_NS_INIT " AND m IS NOT NULL"
			       " GROUP BY m ORDER BY 2 DESC LIMIT 2",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts - NS_NEAR_NS);
	sqlite3_bind_int64(st, 3, ts + NS_NEAR_NS);
	for (i = 0; i < 2 && sqlite3_step(st) == SQLITE_ROW; i++) {
		if (i == 0)
			snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		n[i] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (i == 0 || n[0] == n[1]) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}

/*
 * Answers by (store, its data_version, host, hour): a correlation pass asks
 * for every exec of the host's processes, and each answer scans 12 hours.
 */
#define NS_CACHE 32
#define NS_BUCKET_NS ((int64_t)3600 * 1000000000LL)
static struct {
	const sqlite3 *db;
	int64_t version, bucket;
	char host[128], mnt[32];
	int found;
} ns_cache[NS_CACHE];
static unsigned ns_next;

static int64_t
data_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v + sqlite3_total_changes(db);
}

static int host_mount_ns_uncached(sqlite3 *db, const char *host, int64_t ts, char *out, size_t cap);

int
host_mount_ns(sqlite3 *db, const char *host, int64_t ts, char *out, size_t cap)
{
	int64_t version, bucket;
	unsigned i;
	int found;

	out[0] = '\0';
	if (host == NULL || strlen(host) >= sizeof(ns_cache[0].host))
		return host != NULL && host_mount_ns_uncached(db, host, ts, out, cap);
	version = data_version(db);
	bucket = ts / NS_BUCKET_NS;
	for (i = 0; i < NS_CACHE; i++)
		if (ns_cache[i].db == db && ns_cache[i].version == version && ns_cache[i].bucket == bucket &&
		    strcmp(ns_cache[i].host, host) == 0) {
			snprintf(out, cap, "%s", ns_cache[i].mnt);
			return ns_cache[i].found;
		}
	/* the hour's middle: one answer for the whole bucket */
	found = host_mount_ns_uncached(db, host, bucket * NS_BUCKET_NS + NS_BUCKET_NS / 2, out, cap);
	i = ns_next++ % NS_CACHE;
	ns_cache[i].db = db;
	ns_cache[i].version = version;
	ns_cache[i].bucket = bucket;
	snprintf(ns_cache[i].host, sizeof(ns_cache[i].host), "%s", host);
	snprintf(ns_cache[i].mnt, sizeof(ns_cache[i].mnt), "%s", found ? out : "");
	ns_cache[i].found = found;
	return found;
}

static int
host_mount_ns_uncached(sqlite3 *db, const char *host, int64_t ts, char *out, size_t cap)
{
	out[0] = '\0';
	if (first_text(db,
		       "SELECT json_extract(extra, '$.mount_ns') FROM events WHERE host = ?1 AND pid = 1"
		       " AND source = 'tracee' AND ts_ns >= ?2 - 86400000000000 AND ts_ns <= ?3"
		       " AND json_valid(extra) AND json_extract(extra, '$.mount_ns') IS NOT NULL LIMIT 1",
		       host, ts, out, cap))
		return 1;
	if (first_text(db,
		       "SELECT json_extract(extra, '$.mount_ns') FROM events WHERE ts_ns >= ?2 AND ts_ns <= ?3"
		       " AND host = ?1 AND source = 'tracee' AND action IN ('sched_process_exec', 'execve')"
		       " AND (exe LIKE '%/bwrap' OR exe LIKE '%/firejail' OR exe LIKE '%/nsjail'"
		       "  OR exe LIKE '%/runsc' OR exe LIKE '%/systemd-run')"
		       " AND json_valid(extra) AND json_extract(extra, '$.mount_ns') IS NOT NULL"
		       " ORDER BY abs(ts_ns - (?2 + ?3) / 2) LIMIT 1",
		       host, ts, out, cap))
		return 1;
	return shared_by_units(db, host, ts, out, cap);
}

/* extra.KEY of the event as text ("" when absent). */
static void
extra_of(const struct event *ev, struct json_tokens *toks, const char *key, char *out, size_t cap)
{
	struct json_doc d;
	const char *why;
	struct span s;
	int t;

	out[0] = '\0';
	if (ev->extra == NULL || json_parse(&d, ev->extra, strlen(ev->extra), toks, &why) != CD_OK ||
	    (t = json_get(&d, 0, key)) < 0 || json_is_null(&d, t))
		return;
	s = json_text(&d, t);
	if (s.n < cap) {
		memcpy(out, s.p, s.n);
		out[s.n] = '\0';
	}
}

int
ns_host_entered(sqlite3 *db, const struct event *ev, struct json_tokens *toks)
{
	char mnt[32], host[32];
	sqlite3_stmt *st;
	int entered = 0;

	if (ev->source == NULL || strcmp(ev->source, "tracee") != 0 || ev->action == NULL ||
	    (strcmp(ev->action, "sched_process_exec") != 0 && strcmp(ev->action, "execve") != 0))
		return 1;
	extra_of(ev, toks, "mount_ns", mnt, sizeof(mnt));
	if (!mnt[0])
		return 1;
	if (!host_mount_ns(db, ev->host, ev->ts_ns, host, sizeof(host)) || strcmp(mnt, host) != 0)
		return 0;
	/* the process's own or its parent's record before it, elsewhere */
	if (ev->pid == EV_NULL ||
	    sqlite3_prepare_v2(db,
			       "SELECT json_extract(extra, '$.mount_ns') FROM events WHERE host = ?1"
			       " AND pid IN (?2, ?3) AND ts_ns < ?4 AND ts_ns >= ?4 - 86400000000000"
			       " AND source = 'tracee' AND json_valid(extra) ORDER BY ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, ev->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ev->pid);
	sqlite3_bind_int64(st, 3, ev->ppid != EV_NULL ? ev->ppid : ev->pid);
	sqlite3_bind_int64(st, 4, ev->ts_ns);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		entered = strcmp((const char *)sqlite3_column_text(st, 0), host) != 0;
	sqlite3_finalize(st);
	return entered;
}

int
ns_host_exec(sqlite3 *db, const struct event *ev, const struct workload *w, struct json_tokens *toks)
{
	char mnt[32], host[32];

	if (ev->source == NULL || strcmp(ev->source, "tracee") != 0 || ev->action == NULL ||
	    (strcmp(ev->action, "sched_process_exec") != 0 && strcmp(ev->action, "execve") != 0))
		return 1; /* not this evidence: the rule's conditions decided */
	extra_of(ev, toks, "mount_ns", mnt, sizeof(mnt));
	if (!mnt[0])
		return 1;
	/* every launcher (but nsjail told not to), and every unit taken for a
	 * sandbox, has a mount namespace of its own: a member in the host's
	 * has left it */
	return strcmp(w->kind, "sandbox") == 0 && strstr(w->name, "--disable_clone_newns") == NULL &&
	       host_mount_ns(db, ev->host, ev->ts_ns, host, sizeof(host)) &&
	       strcmp(mnt, host) == 0;
}
