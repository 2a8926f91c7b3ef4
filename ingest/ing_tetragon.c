/*
 * ing_tetragon.c - Cilium Tetragon JSON export (export-stdout, tetra getevents -o json).
 *
 * One event per value, pretty or compact: {"<kind>":{...},"node_name","time"}
 * where kind is process_exec, process_exit, process_kprobe,
 * process_tracepoint, process_lsm, process_uprobe, process_loader or the
 * legacy process_connect.  Tetragon omits zero-valued fields (protobuf
 * JSON), so every member may be absent.  process.pid is the host pid;
 * process.exec_id and parent_exec_id identify executions across the
 * cluster; pod.container.id is "containerd://<64 hex>", process.docker a
 * 15-31 character prefix of it.
 */
#include <string.h>

#include "ebpf.h"

#define MAX_ARGS 64 /* hook arguments looked at for object and dst */

/* Implements ingester::probe */
static int
tetragon_probe(const char *head, size_t len)
{
	static const char *const kinds[] = {
		"\"process_exec\"", "\"process_exit\"", "\"process_kprobe\"",
		"\"process_tracepoint\"", "\"process_lsm\"", "\"process_uprobe\"",
		"\"process_connect\"", "\"process_loader\"", NULL,
	};
	int score = 0, i;

	for (i = 0; kinds[i] && score == 0; i++)
		if (memmem(head, len, kinds[i], strlen(kinds[i])))
			score = 50;
	if (score && memmem(head, len, "\"exec_id\"", 9))
		score = 80;
	if (score && memmem(head, len, "\"node_name\"", 11))
		score = 95;
	return score;
}

/* Top-level members that are not the event itself. */
static int
envelope_key(const struct json_doc *d, int key)
{
	return json_key_eq(d, key, "node_name") || json_key_eq(d, key, "time") ||
	       json_key_eq(d, key, "cluster_name") || json_key_eq(d, key, "node_labels") ||
	       json_key_eq(d, key, "aggregation_info");
}

static const char *
str_at(struct ev_arena *a, const struct json_doc *d, int obj, const char *path)
{
	return ingest_ebpf_json_text(a, d, json_path(d, obj, path));
}

static int64_t
int_at(const struct json_doc *d, int obj, const char *path)
{
	int64_t v;

	if (ingest_ebpf_json_int(d, json_path(d, obj, path), &v) != CD_OK)
		return EV_NULL;
	return v;
}

/* "/usr/bin/nsenter" -> "nsenter" */
static const char *
base_name(const char *path)
{
	const char *slash;

	if (path == NULL)
		return NULL;
	slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* Columns from the process and its parent. */
static void
process_fields(struct event *ev, struct ev_arena *a, const struct json_doc *d, int body)
{
	int p = json_get(d, body, "process"), pod = json_get(d, p, "pod");
	const char *args, *cid, *flags;

	ev->exec_id = str_at(a, d, p, "exec_id");
	ev->parent_exec_id = str_at(a, d, p, "parent_exec_id");
	if (ev->parent_exec_id == NULL)
		ev->parent_exec_id = str_at(a, d, body, "parent.exec_id");
	ev->pid = int_at(d, p, "pid");
	ev->ppid = int_at(d, body, "parent.pid");
	ev->uid = int_at(d, p, "uid");
	ev->auid = int_at(d, p, "auid");
	ev->exe = str_at(a, d, p, "binary");
	ev->comm = base_name(ev->exe);
	args = str_at(a, d, p, "arguments");
	ev->argv = ev->exe && args ? ev_printf(a, "%s %s", ev->exe, args) : ev->exe;
	ev->cwd = str_at(a, d, p, "cwd");
	flags = str_at(a, d, p, "flags");
	/* "rootcwd": the cwd is "/" and was left out of the event */
	if (ev->cwd == NULL && flags != NULL && strcasestr(flags, "rootcwd") != NULL)
		ev->cwd = "/";

	ev->pod_ns = str_at(a, d, pod, "namespace");
	ev->pod_name = str_at(a, d, pod, "name");
	ev->pod_uid = str_at(a, d, pod, "uid");
	ev->image = str_at(a, d, pod, "container.image.name");
	cid = str_at(a, d, pod, "container.id");
	if (cid != NULL)
		ev->container_id = ev_container_id(a, cid, strlen(cid));
	cid = str_at(a, d, p, "docker");
	if (ev->container_id == NULL && cid != NULL)
		ev->container_id = ev_container_id(a, cid, strlen(cid));
}

/*
 * process.ns (with --enable-process-ns): the namespaces in which the
 * process is the host's, as "mnt,net".  A process of a host sandbox whose
 * mount namespace is the host's has left it (breadth.md 3.3, 3.6).
 */
static void
host_namespaces(struct ingest_ctx *ctx, const struct json_doc *d, int p)
{
	static const char *const names[] = { "mnt", "pid", "net", "user", "uts", "ipc", "cgroup", "time" };
	char out[64];
	size_t i, n = 0;
	int ns = json_get(d, p, "ns");

	if (ns < 0 || json_type(d, ns) != JSON_OBJECT)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int h = json_get(d, json_get(d, ns, names[i]), "is_host");
		struct span v;

		if (h < 0)
			continue;
		v = json_raw(d, h);
		if (!span_eq(v, "true"))
			continue;
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n ? "," : "", names[i]);
	}
	ingest_extra_str(ctx, "host_ns", out);
}

static void
process_extra(struct ingest_ctx *ctx, const struct json_doc *d, int body)
{
	struct ev_arena *a = ingest_arena(ctx);
	int p = json_get(d, body, "process"), pod = json_get(d, p, "pod");

	ingest_extra_str(ctx, "start_time", str_at(a, d, p, "start_time"));
	ingest_extra_str(ctx, "flags", str_at(a, d, p, "flags"));
	ingest_extra_int(ctx, "tid", int_at(d, p, "tid"));
	ingest_ebpf_extra_value(ctx, "in_init_tree", d, json_get(d, p, "in_init_tree"));
	ingest_extra_str(ctx, "user", str_at(a, d, p, "user.name"));
	ingest_extra_str(ctx, "docker", str_at(a, d, p, "docker"));
	ingest_extra_str(ctx, "container_name", str_at(a, d, pod, "container.name"));
	ingest_extra_int(ctx, "container_pid", int_at(d, pod, "container.pid"));
	ingest_ebpf_extra_value(ctx, "maybe_exec_probe", d,
			   json_path(d, pod, "container.maybe_exec_probe"));
	ingest_extra_str(ctx, "workload", str_at(a, d, pod, "workload"));
	ingest_extra_str(ctx, "workload_kind", str_at(a, d, pod, "workload_kind"));
	ingest_ebpf_extra_value(ctx, "pod_labels", d, json_get(d, pod, "pod_labels"));
	ingest_extra_str(ctx, "parent_binary", str_at(a, d, body, "parent.binary"));
	ingest_extra_str(ctx, "parent_arguments", str_at(a, d, body, "parent.arguments"));
	ingest_extra_str(ctx, "parent_start_time", str_at(a, d, body, "parent.start_time"));
	host_namespaces(ctx, d, p);
}

/*
 * kprobe/tracepoint/lsm/uprobe arguments: the first file, path or binprm
 * argument is the object; the first socket argument gives dst (its saddr
 * is the local end, kept in extra).
 */
static void
args_fields(struct ingest_ctx *ctx, const struct json_doc *d, int args)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	static const char *const path_args[] = { "file_arg", "path_arg", "linux_binprm_arg", NULL };
	int i, j, arg, t, n = json_count(d, args);

	/* siblings by json_skip(): json_at() per element would be quadratic */
	for (i = 0, arg = json_at(d, args, 0); i < n && i < MAX_ARGS && arg >= 0;
	     i++, arg = json_skip(d, arg)) {
		for (j = 0; path_args[j] && ev->object == NULL; j++)
			if ((t = json_get(d, arg, path_args[j])) >= 0)
				ev->object = str_at(a, d, t, "path");
		if (ev->dst != NULL)
			continue;
		t = json_get(d, arg, "sock_arg");
		if (t < 0)
			t = json_get(d, arg, "skb_arg");
		if (t >= 0) {
			ev->dst = ingest_ebpf_hostport(a, str_at(a, d, t, "daddr"), int_at(d, t, "dport"));
			ingest_extra_str(ctx, "saddr", ingest_ebpf_hostport(a, str_at(a, d, t, "saddr"),
								       int_at(d, t, "sport")));
			ingest_extra_str(ctx, "family", str_at(a, d, t, "family"));
			ingest_extra_str(ctx, "protocol", str_at(a, d, t, "protocol"));
		} else if ((t = json_get(d, arg, "sockaddr_arg")) >= 0) {
			ev->dst = ingest_ebpf_hostport(a, str_at(a, d, t, "addr"), int_at(d, t, "port"));
		}
	}
}

/* Enforcement actions: the operation did not happen as asked. */
static int
enforced(const char *action)
{
	return action != NULL &&
	       (strcmp(action, "KPROBE_ACTION_SIGKILL") == 0 ||
		strcmp(action, "KPROBE_ACTION_OVERRIDE") == 0 ||
		strcmp(action, "KPROBE_ACTION_NOTIFYENFORCER") == 0);
}

/* process_kprobe, process_tracepoint, process_lsm, process_uprobe */
static void
hook_fields(struct ingest_ctx *ctx, const struct json_doc *d, int body)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	const char *subsys, *event, *action;
	int ret = json_get(d, body, "return"), t;
	int64_t rc;

	ev->action = str_at(a, d, body, "function_name");
	subsys = str_at(a, d, body, "subsys");
	event = str_at(a, d, body, "event");
	if (ev->action == NULL && subsys != NULL && event != NULL)
		ev->action = ev_printf(a, "%s/%s", subsys, event);
	if (ev->action == NULL)
		ev->action = str_at(a, d, body, "symbol"); /* uprobe */
	ev->rule = str_at(a, d, body, "policy_name");
	args_fields(ctx, d, json_get(d, body, "args"));
	if (ev->object == NULL)
		ev->object = str_at(a, d, body, "path"); /* uprobe, loader */
	action = str_at(a, d, body, "action");
	for (t = json_first(d, ret); t > 0; t = json_next(d, ret, t)) {
		if ((json_key_eq(d, t, "int_arg") || json_key_eq(d, t, "long_arg")) &&
		    json_i64(d, t + 1, &rc) == CD_OK) {
			ev->outcome_code = ev_printf(a, "%lld", (long long)rc);
			ev->outcome = ingest_ebpf_errno_outcome(rc);
		}
	}
	if (enforced(action))
		ev->outcome = "denied";
	ingest_extra_str(ctx, "policy_action", action);
	ingest_extra_str(ctx, "return_action", str_at(a, d, body, "return_action"));
	ingest_extra_str(ctx, "message", str_at(a, d, body, "message"));
	ingest_ebpf_extra_value(ctx, "tags", d, json_get(d, body, "tags"));
	ingest_ebpf_extra_value(ctx, "args", d, json_get(d, body, "args"));
	ingest_ebpf_extra_value(ctx, "return", d, ret);
	ingest_extra_str(ctx, "ima_hash", str_at(a, d, body, "ima_hash"));
}

/*
 * The event time: the envelope's "time", else the event's own (process_exit
 * has one); an exec with neither happened when its process started.
 */
static int
event_time(struct ingest_ctx *ctx, const struct json_doc *d, int body, const char *kind)
{
	struct event *ev = ingest_event(ctx);

	if (ingest_ebpf_json_time(d, json_get(d, 0, "time"), &ev->ts_ns) == CD_OK)
		return CD_OK;
	if (ingest_ebpf_json_time(d, json_get(d, body, "time"), &ev->ts_ns) == CD_OK)
		return CD_OK;
	if (strcmp(kind, "process_exec") == 0 &&
	    ingest_ebpf_json_time(d, json_path(d, body, "process.start_time"), &ev->ts_ns) == CD_OK) {
		ingest_extra_str(ctx, "time_from", "process.start_time");
		return CD_OK;
	}
	ingest_set_why(ctx, "Tetragon event without a valid time");
	return CD_E_PARSE;
}

/* Implements ingester::json_record */
static int
tetragon_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	const char *kind, *sig;
	int k, body = -1;
	int64_t v;

	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "Tetragon event is not a JSON object");
		return CD_E_PARSE;
	}
	for (k = json_first(d, 0); k > 0 && body < 0; k = json_next(d, 0, k))
		if (!envelope_key(d, k) && json_type(d, k + 1) == JSON_OBJECT)
			body = k + 1;
	if (body < 0) {
		ingest_set_why(ctx, "Tetragon event without an event object (process_exec, ...)");
		return CD_E_PARSE;
	}
	if ((kind = ev_json_str(a, d, body - 1)) == NULL)
		return CD_E_LIMIT;
	ev->kind = *kind ? kind : NULL;
	ingest_extra_begin(ctx);
	if (event_time(ctx, d, body, kind) != CD_OK)
		return CD_E_PARSE;
	ev->host = str_at(a, d, 0, "node_name");
	process_fields(ev, a, d, body);
	process_extra(ctx, d, body);

	if (strcmp(kind, "process_exec") == 0) {
		ev->action = "execve";
	} else if (strcmp(kind, "process_exit") == 0) {
		ev->action = "exit";
		sig = str_at(a, d, body, "signal");
		ingest_extra_str(ctx, "signal", sig);
		/* protobuf JSON leaves out a zero status; a signalled exit has none */
		v = int_at(d, body, "status");
		ingest_extra_int(ctx, "status", v == EV_NULL && sig == NULL ? 0 : v);
	} else if (strcmp(kind, "process_connect") == 0) {
		ev->action = "connect";
		ev->dst = ingest_ebpf_hostport(a, str_at(a, d, body, "destination_ip"),
					  int_at(d, body, "destination_port"));
		ingest_extra_str(ctx, "saddr", ingest_ebpf_hostport(a, str_at(a, d, body, "source_ip"),
							       int_at(d, body, "source_port")));
		ingest_extra_str(ctx, "protocol", str_at(a, d, body, "protocol"));
	} else if (strcmp(kind, "process_loader") == 0) {
		ev->action = "load";
		ev->object = str_at(a, d, body, "path");
	} else {
		hook_fields(ctx, d, body);
	}
	/* one exec and one exit per execution: a sound natural key */
	if (ev->exec_id != NULL &&
	    (strcmp(kind, "process_exec") == 0 || strcmp(kind, "process_exit") == 0))
		ev->dedup = ev_printf(a, "%s/%s/%lld", kind, ev->exec_id, (long long)ev->ts_ns);
	ingest_extra_end(ctx);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

const struct ingester ing_tetragon = {
	.name = "tetragon",
	.summary = "Cilium Tetragon JSON export: process_exec/exit/kprobe/tracepoint/lsm/uprobe",
	.flags = ING_JSON | ING_HOST,
	.probe = tetragon_probe,
	.json_record = tetragon_record,
};
