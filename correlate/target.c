/*
 * target.c - the process an event acts on, and whether it lies outside the
 * actor's workload (the rules' `target outside`).
 *
 * A sandboxed build that debugs its own child is a tool at work; one that
 * attaches to a process outside its sandbox has left it (breadth.md 3.6).
 * Where the target pid comes from decides how far it can be trusted:
 * - auditd's OBJ_PID record (`opid`, kept in extra) names the target of a
 *   ptrace in the host's pid namespace: resolved as any host pid;
 * - the syscall's own argument (ptrace's a1, process_vm_readv/writev's a0)
 *   and /proc/PID/mem name a pid in the caller's pid namespace.  In a
 *   sandbox with a pid namespace of its own (bwrap --unshare-pid or
 *   --unshare-all, firejail, nsjail, runsc) the kernel lets it name its own
 *   members only, so such a target is inside: leaving the namespace first
 *   is a setns, which has a rule of its own.  Without one (bwrap sharing
 *   the host's pids, a systemd unit without PrivatePIDs=) the pid is the
 *   host's;
 * - Tetragon's kprobe arguments (__x64_sys_ptrace's request and pid) are
 *   the syscall's own: the same as auditd's a0/a1.
 */
#include <string.h>

#include "engine.h"

enum target_how { TARGET_NONE, TARGET_HOST, TARGET_LOCAL };

static int
action_is(const char *a, const char *name)
{
	size_t n = strlen(name);

	if (a == NULL)
		return 0;
	/* auditd "ptrace", Tetragon "__x64_sys_ptrace", "sys_ptrace" */
	if (strncmp(a, "__x64_sys_", 10) == 0)
		a += 10;
	else if (strncmp(a, "__arm64_sys_", 12) == 0)
		a += 12;
	else if (strncmp(a, "sys_", 4) == 0)
		a += 4;
	return strncmp(a, name, n) == 0 && a[n] == '\0';
}

/* A member of extra as text ("" when absent). */
static void
extra_text(const struct event *ev, struct json_tokens *toks, const char *key, char *out, size_t cap)
{
	struct json_doc d;
	const char *why;
	int t;

	out[0] = '\0';
	if (ev->extra == NULL || json_parse(&d, ev->extra, strlen(ev->extra), toks, &why) != CD_OK)
		return;
	if ((t = json_path(&d, 0, key)) < 0 || json_is_null(&d, t))
		return;
	if (json_type(&d, t) == JSON_STRING) {
		if (json_str(&d, t, out, cap, NULL) != CD_OK)
			out[0] = '\0';
	} else {
		struct span s = json_text(&d, t);

		if (s.n < cap) {
			memcpy(out, s.p, s.n);
			out[s.n] = '\0';
		}
	}
}

static int64_t
parse_pid(const char *s, int hex)
{
	uint64_t v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		int d = hex ? hexval((unsigned char)s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);

		if (d < 0)
			return -1;
		v = v * (hex ? 16u : 10u) + (uint64_t)d;
	}
	/* pid_max is at most 2^22 */
	return v > 0 && v <= ((uint64_t)1 << 22) ? (int64_t)v : -1;
}

/* "/proc/PID/mem" -> PID, else -1 */
static int64_t
proc_mem_pid(const char *obj)
{
	char num[24];
	const char *p, *slash;

	if (obj == NULL || strncmp(obj, "/proc/", 6) != 0)
		return -1;
	p = obj + 6;
	if ((slash = strchr(p, '/')) == NULL || strcmp(slash, "/mem") != 0 ||
	    (size_t)(slash - p) >= sizeof(num))
		return -1;
	memcpy(num, p, (size_t)(slash - p));
	num[slash - p] = '\0';
	return parse_pid(num, 0);
}

/*
 * Tetragon's kprobe arguments (extra.args, as the policy typed them:
 * int_arg, long_arg, size_arg): argument i as a number, -1 when absent.
 */
static int64_t
kprobe_arg(const struct event *ev, struct json_tokens *toks, int i)
{
	static const char *const kinds[] = { "int_arg", "long_arg", "size_arg", NULL };
	struct json_doc d;
	const char *why;
	int64_t v;
	int arr, a, k;

	if (ev->extra == NULL || json_parse(&d, ev->extra, strlen(ev->extra), toks, &why) != CD_OK ||
	    (arr = json_get(&d, 0, "args")) < 0 || json_type(&d, arr) != JSON_ARRAY ||
	    (a = json_at(&d, arr, i)) < 0)
		return -1;
	for (k = 0; kinds[k] != NULL; k++)
		if (json_i64(&d, json_get(&d, a, kinds[k]), &v) == CD_OK)
			return v;
	return -1;
}

static enum target_how
event_target(const struct event *ev, struct json_tokens *toks, int64_t *pid)
{
	char v[32];

	*pid = -1;
	if (action_is(ev->action, "ptrace")) {
		extra_text(ev, toks, "opid", v, sizeof(v));
		if ((*pid = parse_pid(v, 0)) > 0)
			return TARGET_HOST;
		extra_text(ev, toks, "a1", v, sizeof(v));
		if ((*pid = parse_pid(v, 1)) > 0)
			return TARGET_LOCAL;
		/* Tetragon's __x64_sys_ptrace(request, pid): PTRACE_TRACEME (0)
		 * names no target; the pid is in the caller's namespace */
		if (kprobe_arg(ev, toks, 0) > 0 && (*pid = kprobe_arg(ev, toks, 1)) > 0 &&
		    *pid <= ((int64_t)1 << 22))
			return TARGET_LOCAL;
		return TARGET_NONE;
	}
	if (action_is(ev->action, "process_vm_readv") || action_is(ev->action, "process_vm_writev")) {
		extra_text(ev, toks, "a0", v, sizeof(v));
		if ((*pid = parse_pid(v, 1)) > 0)
			return TARGET_LOCAL;
		*pid = kprobe_arg(ev, toks, 0); /* Tetragon: (pid, ...) */
		return *pid > 0 && *pid <= ((int64_t)1 << 22) ? TARGET_LOCAL : TARGET_NONE;
	}
	if ((*pid = proc_mem_pid(ev->object)) > 0)
		return TARGET_LOCAL;
	return TARGET_NONE;
}

/* Whether the sandbox launched as `argv` has a pid namespace of its own. */
static int
sandbox_pidns(const char *argv)
{
	const char *sp = strchr(argv, ' '), *base;
	size_t n = sp ? (size_t)(sp - argv) : strlen(argv);

	for (base = argv + n; base > argv && base[-1] != '/'; base--)
		;
	n -= (size_t)(base - argv);
	if (n == 5 && strncmp(base, "bwrap", 5) == 0)
		return strstr(argv, " --unshare-pid") != NULL || strstr(argv, " --unshare-all") != NULL;
	if (strncmp(argv, "unit=", 5) == 0) /* a systemd unit: the host's pids unless asked */
		return strstr(argv, "PrivatePIDs=yes") != NULL || strstr(argv, "PrivatePIDs=true") != NULL;
	if (n == 6 && strncmp(base, "nsjail", 6) == 0)
		return strstr(argv, "--disable_clone_newpid") == NULL;
	return 1; /* firejail, runsc: always */
}

int
target_outside(sqlite3 *db, const struct event *ev, const struct workload *w,
	       struct json_tokens *toks)
{
	struct event t;
	struct ev_arena none;
	struct workload tw;
	char a[700], b[700];
	int64_t pid;
	enum target_how how = event_target(ev, toks, &pid);

	if (how == TARGET_NONE || ev->host == NULL)
		return 0;
	/* a pid in the caller's own namespace: the host's for a host process
	 * or a sandbox sharing it, else one of its own members */
	if (how == TARGET_LOCAL && strcmp(w->kind, "host") != 0 &&
	    (strcmp(w->kind, "sandbox") != 0 || sandbox_pidns(w->name)))
		return 0;
	if (pid <= 2)
		return 1; /* the host's init or kthreadd */
	memset(&none, 0, sizeof(none));
	ev_reset(&t, &none);
	t.host = ev->host;
	t.pid = pid;
	t.ts_ns = ev->ts_ns;
	attribute_event(db, &t, &tw);
	workload_key(w, a, sizeof(a));
	workload_key(&tw, b, sizeof(b));
	return strcmp(a, b) != 0;
}
