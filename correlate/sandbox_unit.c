/*
 * sandbox_unit.c - a sandboxed systemd unit as a host process sandbox.
 *
 * A unit's processes are children of pid 1, not of whoever asked for the
 * unit: `systemd-run -p PrivateNetwork=yes cmd` only asks pid 1 to start a
 * transient unit, and the unit's MainPID (parent 1) is the sandbox's root
 * (breadth.md 3.1, 3.5).  Most units are the host itself (sshd, cron, a
 * worker): one is a sandbox only on evidence that pid 1 gave it namespaces
 * of its own:
 * - a systemd-run exec, shortly before the root's, for the same program,
 *   with a namespace or protection property (-p PrivateTmp=yes ...); one
 *   without any is an administrator's one-off, still the host;
 * - auditd: the root pid's unshare() with namespace flags before its exec
 *   (pid 1's forked child sets up the unit's namespaces, then execs);
 * - Tetragon (--enable-process-ns), Tracee (its mountNamespace inode
 *   against the host's, ns_host.c): the root's mount namespace is not the
 *   host's (every namespace property but PrivateUsers= and the *Path= ones
 *   implies one).
 * The unit's name comes from systemd-run's --unit, else from pid 1's
 * SERVICE_START record nearest the root's exec (auditd, msg='unit=NAME').
 */
#include <string.h>

#include "engine.h"

#define RUN_BEFORE_NS ((int64_t)30 * 1000000000LL) /* systemd-run to MainPID exec */
#define UNIT_NEAR_NS  ((int64_t)10 * 1000000000LL) /* SERVICE_START to MainPID exec */
#define ARGV_TOKENS   64

/* Properties that give a unit namespaces of its own (systemd.exec(5)). */
static const char *const ns_props[] = {
	"PrivateNetwork", "PrivateTmp", "PrivateDevices", "PrivateUsers", "PrivateMounts", "PrivateIPC",
	"PrivatePIDs", "ProtectSystem", "ProtectHome", "ProtectKernelTunables", "ProtectKernelModules",
	"ProtectKernelLogs", "ProtectControlGroups", "ProtectProc", "ProtectHostname", "ProtectClock",
	"DynamicUser", "RootDirectory", "RootImage", "ReadOnlyPaths", "InaccessiblePaths",
	"TemporaryFileSystem", "BindPaths", "BindReadOnlyPaths", "NetworkNamespacePath",
	"IPCNamespacePath", NULL,
};

/* systemd-run options that take a value as the next word. */
static const char *const valued_opts[] = {
	"-p", "--property", "-u", "--unit", "--description", "--slice", "-E", "--setenv", "--uid", "--gid",
	"--nice", "--working-directory", "-H", "--host", "-M", "--machine", "--service-type",
	"--on-active", "--on-boot", "--on-startup", "--on-unit-active", "--on-unit-inactive",
	"--on-calendar", "--on-timezone-change", "--on-clock-change", "--timer-property",
	"--path-property", "--socket-property", "--expand-environment", NULL,
};

static int
in_list(const char *const *l, const char *s, size_t n)
{
	size_t i;

	for (i = 0; l[i] != NULL; i++)
		if (strlen(l[i]) == n && strncmp(l[i], s, n) == 0)
			return 1;
	return 0;
}

/* Whether "Name=value" asks for a namespace (any value but a "no"). */
static int
ns_property(const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	size_t vn;

	if (eq == NULL || !in_list(ns_props, p, (size_t)(eq - p)))
		return 0;
	vn = n - (size_t)(eq + 1 - p);
	return !(vn == 0 || (vn == 2 && strncmp(eq + 1, "no", 2) == 0) ||
		 (vn == 5 && strncmp(eq + 1, "false", 5) == 0) || (vn == 1 && eq[1] == '0'));
}

/* Whether the comma-separated list l holds name. */
static int
csv_has(const char *l, const char *name)
{
	size_t n = strlen(name);

	for (; l != NULL && *l != '\0'; l = strchr(l, ',') ? strchr(l, ',') + 1 : NULL)
		if (strncmp(l, name, n) == 0 && (l[n] == ',' || l[n] == '\0'))
			return 1;
	return 0;
}

static const char *
base_of(const char *s, size_t *n)
{
	const char *b = s + *n;

	while (b > s && b[-1] != '/')
		b--;
	*n -= (size_t)(b - s);
	return b;
}

/*
 * A systemd-run command line: whether it starts `exe` (its command's base
 * name is exe's), whether it asks for namespaces, and its --unit name.
 */
static int
parse_run(const char *argv, const char *exe, int *sandboxed, char *unit, size_t ucap)
{
	const char *tok[ARGV_TOKENS], *p = argv, *eb;
	size_t len[ARGV_TOKENS], nt = 0, i, en;

	*sandboxed = 0;
	unit[0] = '\0';
	while (*p != '\0' && nt < ARGV_TOKENS) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		tok[nt] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		len[nt] = (size_t)(p - tok[nt]);
		nt++;
	}
	for (i = 1; i < nt; i++) {
		const char *t = tok[i], *eq;
		size_t n = len[i];

		if (t[0] != '-') {
			size_t bn = n;
			const char *b = base_of(t, &bn);

			en = strlen(exe);
			eb = base_of(exe, &en);
			return bn == en && strncmp(b, eb, bn) == 0;
		}
		if (n == 2 && t[1] == '-')
			continue; /* "--": the command follows */
		eq = t[1] == '-' ? memchr(t, '=', n) : NULL;
		if (eq != NULL) { /* --property=X, --unit=X */
			size_t on = (size_t)(eq - t), vn = n - on - 1;

			if (on == 10 && strncmp(t, "--property", 10) == 0 && ns_property(eq + 1, vn))
				*sandboxed = 1;
			if (on == 6 && strncmp(t, "--unit", 6) == 0)
				snprintf(unit, ucap, "%.*s", (int)vn, eq + 1);
			continue;
		}
		if (n > 2 && t[1] == 'p' && ns_property(t + 2, n - 2)) { /* -pX=Y */
			*sandboxed = 1;
			continue;
		}
		if (!in_list(valued_opts, t, n) || i + 1 >= nt)
			continue;
		if ((t[1] == 'p' || strncmp(t, "--property", n) == 0) && ns_property(tok[i + 1], len[i + 1]))
			*sandboxed = 1;
		if ((t[1] == 'u' && n == 2) || (n == 6 && strncmp(t, "--unit", 6) == 0))
			snprintf(unit, ucap, "%.*s", (int)len[i + 1], tok[i + 1]);
		i++;
	}
	return 0;
}

/* The systemd-run exec that started (host, exe) at start, if any. */
static int
run_of(sqlite3 *db, const char *host, const char *exe, int64_t start, int *sandboxed, char *unit,
       size_t ucap, char *argv, size_t acap)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT argv FROM events WHERE ts_ns >= ?2 AND ts_ns <= ?3 AND host = ?1"
			       " AND argv IS NOT NULL AND (exe = 'systemd-run' OR exe LIKE '%/systemd-run')"
			       " ORDER BY ts_ns DESC LIMIT 16",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, start - RUN_BEFORE_NS);
	sqlite3_bind_int64(st, 3, start + 1000000000LL);
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);

		if (a != NULL && parse_run(a, exe, sandboxed, unit, ucap)) {
			snprintf(argv, acap, "%s", a);
			found = 1;
		}
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * Namespace evidence of the root's own: auditd unshare() before its exec,
 * or Tetragon's process.ns with a mount namespace not the host's: 1.
 * -1 when Tetragon or Tracee shows the root in the host's mount namespace: whatever
 * else pid 1 gave it, its members' host mount namespace would be no sign
 * of leaving (ESC-11 reads it so), so such a unit stays the host.
 */
static int
root_in_own_ns(sqlite3 *db, const char *host, int64_t pid, int64_t start)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT source, json_extract(extra, '$.a0'), json_extract(extra, '$.host_ns'),"
			       " json_extract(extra, '$.mount_ns')"
			       " FROM events WHERE host = ?1 AND pid = ?2 AND ts_ns >= ?3 AND ts_ns <= ?4"
			       " AND ((action = 'unshare' AND coalesce(outcome, '') NOT IN ('denied', 'error'))"
			       " OR source IN ('tetragon', 'tracee')) AND json_valid(extra) LIMIT 16",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pid);
	sqlite3_bind_int64(st, 3, start - UNIT_NEAR_NS);
	sqlite3_bind_int64(st, 4, start + UNIT_NEAR_NS);
	while (found <= 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *src = (const char *)sqlite3_column_text(st, 0);
		const char *a0 = (const char *)sqlite3_column_text(st, 1);
		const char *hns = (const char *)sqlite3_column_text(st, 2);
		uint64_t v = 0;
		size_t n = 0;
		int d;

		if (src != NULL && strcmp(src, "tracee") == 0) {
			const char *m = (const char *)sqlite3_column_text(st, 3);
			char hm[32];

			if (m == NULL || !host_mount_ns(db, host, start, hm, sizeof(hm)))
				continue;
			if (strcmp(m, hm) == 0) {
				found = -1;
				break;
			}
			found = 1;
			continue;
		}
		if (src != NULL && strcmp(src, "tetragon") == 0) {
			/* process.ns present ("" when nothing is the host's) */
			if (hns != NULL && csv_has(hns, "mnt")) {
				found = -1;
				break;
			}
			found = hns != NULL;
			continue;
		}
		for (; a0 != NULL && a0[n] != '\0' && n < 16 && (d = hexval((unsigned char)a0[n])) >= 0; n++)
			v = v << 4 | (uint64_t)d;
		/* CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
		if (found == 0)
			found = a0 != NULL && n > 0 && a0[n] == '\0' && (v & 0x7e020000u) != 0;
	}
	sqlite3_finalize(st);
	return found;
}

/* The unit pid 1 reported started nearest `start` (auditd SERVICE_START). */
static void
unit_started(sqlite3 *db, const char *host, int64_t start, char *unit, size_t cap)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT object FROM events WHERE ts_ns >= ?2 AND ts_ns <= ?3 AND host = ?1"
			       " AND action = 'SERVICE_START' AND pid = 1 AND object IS NOT NULL"
			       " AND coalesce(outcome, '') <> 'failed' ORDER BY abs(ts_ns - ?4) LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, start - UNIT_NEAR_NS);
	sqlite3_bind_int64(st, 3, start + UNIT_NEAR_NS);
	sqlite3_bind_int64(st, 4, start);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(unit, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

int
sandbox_unit(sqlite3 *db, const char *host, int64_t pid, const char *exe, const char *argv,
	     int64_t start, struct workload *w)
{
	char unit[128], run[256];
	int sandboxed = 0;

	if (host == NULL || exe == NULL || pid <= 2)
		return 0;
	unit[0] = run[0] = '\0';
	if (!run_of(db, host, exe, start, &sandboxed, unit, sizeof(unit), run, sizeof(run)))
		sandboxed = 0;
	switch (root_in_own_ns(db, host, pid, start)) {
	case -1:
		return 0; /* Tetragon: its mount namespace is the host's */
	case 0:
		if (!sandboxed)
			return 0;
		break;
	default:
		break;
	}
	if (!unit[0])
		unit_started(db, host, start, unit, sizeof(unit));
	memset(w, 0, sizeof(*w));
	snprintf(w->kind, sizeof(w->kind), "sandbox");
	snprintf(w->host, sizeof(w->host), "%s", host);
	/* "unit=NAME" first (target.c reads the kind of sandbox from it) */
	snprintf(w->name, sizeof(w->name), "unit=%.80s %.160s", unit[0] ? unit : "?",
		 run[0] ? run : argv ? argv : exe);
	w->root_pid = pid;
	w->root_start = start;
	snprintf(w->how, sizeof(w->how), "systemd unit");
	return 1;
}
