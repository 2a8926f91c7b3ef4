/*
 * ing_tracee.c - Aqua Tracee JSON events, both schemas, one per line.
 *
 * Old (trace.Event, flat): "timestamp" integer ns, processId/hostProcessId,
 * parentProcessId/hostParentProcessId, processName, hostName, containerId
 * or container{id,name,image}, podName... or kubernetes{podName,...},
 * eventName, args[{name,type,value}], returnValue, processEntityId;
 * signature findings add metadata.Properties{signatureID,Severity,...}.
 * New (v1beta1.Event): "timestamp" RFC 3339 (or ns, or {seconds,nanos}),
 * "name", workload{process{executable,host_pid,pid,real_user,thread,
 * unique_id,ancestors},container{id,name,image},k8s{pod,namespace}},
 * data[{name, value|str|int32|...}], threat{name,severity,properties}.
 * Empty strings and empty objects mean absent.  The host pid wins over the
 * namespaced one, which is kept in extra.  hostName is the process's UTS
 * name: only outside containers is it the node (host); inside one it is
 * the pod's hostname, kept in extra as uts_name.  Timestamps are stored
 * as given, however implausible.
 */
#include <string.h>

#include "ebpf.h"

#define MAX_ARGS      64   /* args/data elements looked at */
#define ARG_EXTRA_MAX 2048 /* bytes of JSON per arg value copied to extra */

/* Implements ingester::probe */
static int
tracee_probe(const char *head, size_t len)
{
	int score = 0;

	/* old schema: Azure activity logs also have eventName and processId */
	if (memmem(head, len, "\"eventName\"", 11) && memmem(head, len, "\"processId\"", 11) &&
	    memmem(head, len, "\"timestamp\"", 11))
		score = 60;
	if (score && (memmem(head, len, "\"hostProcessId\"", 15) ||
		      memmem(head, len, "\"argsNum\"", 9)))
		score = 95;
	if (score == 0 && memmem(head, len, "\"workload\"", 10) &&
	    memmem(head, len, "\"timestamp\"", 11) && memmem(head, len, "\"name\"", 6)) {
		score = 60;
		if (memmem(head, len, "\"host_pid\"", 10) || memmem(head, len, "\"hostPid\"", 9) ||
		    memmem(head, len, "\"policies\"", 10) || memmem(head, len, "\"executable\"", 12))
			score = 90;
	}
	return score;
}

/* Tokens picked out of args[] / data[] while walking them once. */
struct picked {
	int object;     /* value token of the best path-like argument */
	int object_rank;
	int addr;       /* sockaddr object of the remote end */
	int argv;       /* argv array */
	int dns;        /* DNS message object */
	int pkt_dst, pkt_dport, pkt_src, pkt_sport;
};

static const char *const object_names[] = { "pathname", "path", "filename", NULL };

static int
member2(const struct json_doc *d, int obj, const char *snake, const char *camel)
{
	int t = json_get(d, obj, snake);

	return t >= 0 ? t : json_get(d, obj, camel);
}

static int64_t
int2(const struct json_doc *d, int obj, const char *snake, const char *camel)
{
	int64_t v;

	if (ingest_ebpf_json_int(d, member2(d, obj, snake, camel), &v) != CD_OK)
		return EV_NULL;
	return v;
}

/* An entity id (a hash printed as an integer); 0 means none. */
static const char *
entity_id(struct ev_arena *a, const struct json_doc *d, int tok)
{
	const char *s;
	int64_t v;

	if (json_type(d, tok) == JSON_OBJECT)
		tok = json_get(d, tok, "value");
	s = ingest_ebpf_json_text(a, d, tok);
	if (s == NULL || (json_i64(d, tok, &v) == CD_OK && v == 0))
		return NULL;
	return s;
}

/*
 * The value of one argument: "value" (old schema, new custom marshaller),
 * else the protobuf oneof member ("str", "int32", "sockaddr", ...), with
 * array wrappers {"value":[...]} unwrapped.
 */
static int
arg_value(const struct json_doc *d, int el)
{
	int k, v = json_get(d, el, "value");

	for (k = json_first(d, el); v < 0 && k > 0; k = json_next(d, el, k))
		if (!json_key_eq(d, k, "name") && !json_key_eq(d, k, "type"))
			v = k + 1;
	if (json_type(d, v) == JSON_OBJECT && json_count(d, v) == 1 &&
	    json_type(d, json_get(d, v, "value")) == JSON_ARRAY)
		v = json_get(d, v, "value");
	return v;
}

static int
nonempty(const struct json_doc *d, int tok)
{
	enum json_type t = json_type(d, tok);

	if (t == JSON_STRING)
		return json_raw(d, tok).n > 0;
	if (t == JSON_OBJECT || t == JSON_ARRAY)
		return json_count(d, tok) > 0;
	return t == JSON_PRIMITIVE && !json_is_null(d, tok);
}

/* The slot a packet endpoint argument fills, or NULL. */
static int *
packet_slot(struct picked *pk, struct span name)
{
	if (span_eq(name, "dst"))
		return &pk->pkt_dst;
	if (span_eq(name, "dst_port"))
		return &pk->pkt_dport;
	if (span_eq(name, "src"))
		return &pk->pkt_src;
	if (span_eq(name, "src_port"))
		return &pk->pkt_sport;
	return NULL;
}

static int
remote_addr_name(struct span name, const char *action)
{
	return span_eq(name, "remote_addr") || span_eq(name, "sockaddr") ||
	       span_eq(name, "dest_addr") ||
	       (span_eq(name, "addr") && action != NULL && strcmp(action, "connect") == 0);
}

/* Remember what this argument is for; returns whether it lands in a column. */
static int
pick_arg(struct picked *pk, const struct json_doc *d, int name, int v, const char *action)
{
	struct span n = json_raw(d, name);
	int i, *slot;

	for (i = 0; object_names[i]; i++) {
		if (!span_eq(n, object_names[i]) || json_type(d, v) != JSON_STRING)
			continue;
		if (!nonempty(d, v) || (pk->object >= 0 && i >= pk->object_rank))
			return 0;
		pk->object = v;
		pk->object_rank = i;
		return 1;
	}
	if (json_type(d, v) == JSON_OBJECT && pk->addr < 0 && remote_addr_name(n, action)) {
		pk->addr = v;
		return 1;
	}
	if (span_eq(n, "argv") && json_type(d, v) == JSON_ARRAY && pk->argv < 0) {
		pk->argv = v;
		return 1;
	}
	if ((slot = packet_slot(pk, n)) != NULL && *slot < 0) {
		*slot = v;
		return 1;
	}
	if ((span_eq(n, "proto_dns") || span_eq(n, "dns")) && json_type(d, v) == JSON_OBJECT &&
	    pk->dns < 0)
		pk->dns = v; /* stays in extra too: it is the whole message */
	return 0;
}

/*
 * argv array -> "a b c".  The decoded text of the elements plus separators
 * is never longer than the array's JSON text, so that much arena is enough.
 */
static const char *
join_argv(struct ev_arena *a, const struct json_doc *d, int arr)
{
	struct span raw = json_raw(d, arr);
	char *out;
	size_t o = 0, len;
	int i, el, n = json_count(d, arr);

	if (n == 0 || (out = (char *)ev_strdup(a, raw.p, raw.n)) == NULL)
		return NULL;
	/* siblings by json_skip(): json_at() per element would be quadratic */
	for (i = 0, el = json_at(d, arr, 0); i < n && el >= 0; i++, el = json_skip(d, el)) {
		if (json_is_null(d, el) || json_type(d, el) == JSON_OBJECT ||
		    json_type(d, el) == JSON_ARRAY)
			continue;
		if (o > 0)
			out[o++] = ' ';
		if (json_type(d, el) == JSON_STRING) {
			if (json_str(d, el, out + o, raw.n + 1 - o, &len) != CD_OK)
				break;
		} else {
			len = json_raw(d, el).n;
			memcpy(out + o, json_raw(d, el).p, len);
		}
		o += len;
	}
	out[o] = '\0';
	return o ? out : NULL;
}

/* First question of a DNS message: old proto_dns{questions[{name}]}, new {questions[{query}]}. */
static const char *
dns_question(struct ev_arena *a, const struct json_doc *d, int dns)
{
	int q = json_at(d, json_get(d, dns, "questions"), 0);
	const char *s = ingest_ebpf_json_text(a, d, json_get(d, q, "name"));

	return s ? s : ingest_ebpf_json_text(a, d, json_get(d, q, "query"));
}

/* Walk args[] (old) or data[] (new): columns from the picked ones, the rest to extra. */
static void
args_fields(struct ingest_ctx *ctx, const struct json_doc *d, int arr)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	struct picked pk = { -1, 0, -1, -1, -1, -1, -1, -1, -1 };
	char key[96];
	int i, el, name, v, n = json_count(d, arr);
	int64_t port;

	for (i = 0, el = json_at(d, arr, 0); i < MAX_ARGS && i < n && el >= 0;
	     i++, el = json_skip(d, el)) {
		name = json_get(d, el, "name");
		if (json_type(d, name) != JSON_STRING)
			continue;
		v = arg_value(d, el);
		if (pick_arg(&pk, d, name, v, ev->action))
			continue;
		if (!nonempty(d, v) || json_text(d, v).n > ARG_EXTRA_MAX)
			continue;
		memcpy(key, "arg.", 4);
		if (json_str(d, name, key + 4, sizeof(key) - 4, NULL) != CD_OK)
			continue;
		ingest_ebpf_extra_value(ctx, key, d, v);
	}
	ev->object = ingest_ebpf_json_text(a, d, pk.object);
	if (pk.addr >= 0)
		ev->dst = ingest_ebpf_sockaddr(a, d, pk.addr);
	if (ev->dst == NULL && pk.pkt_dst >= 0) {
		if (ingest_ebpf_json_int(d, pk.pkt_dport, &port) != CD_OK)
			port = EV_NULL;
		ev->dst = ingest_ebpf_hostport(a, ingest_ebpf_json_text(a, d, pk.pkt_dst), port);
	}
	if (pk.pkt_src >= 0) {
		if (ingest_ebpf_json_int(d, pk.pkt_sport, &port) != CD_OK)
			port = EV_NULL;
		ingest_extra_str(ctx, "src", ingest_ebpf_hostport(a, ingest_ebpf_json_text(a, d, pk.pkt_src),
							      port));
	}
	if (pk.argv >= 0)
		ev->argv = join_argv(a, d, pk.argv);
	if (ev->object == NULL && pk.dns >= 0)
		ev->object = dns_question(a, d, pk.dns);
}

static void
return_value(struct event *ev, struct ev_arena *a, const struct json_doc *d, int tok)
{
	int64_t rc;

	if (json_i64(d, tok, &rc) != CD_OK)
		return;
	ev->outcome_code = ev_printf(a, "%lld", (long long)rc);
	ev->outcome = ingest_ebpf_errno_outcome(rc);
}

/* matchedPolicies / policies.matched, unless it is only [""] */
static void
extra_policies(struct ingest_ctx *ctx, const struct json_doc *d, int arr)
{
	if (nonempty(d, json_at(d, arr, 0)) || json_count(d, arr) > 1)
		ingest_ebpf_extra_value(ctx, "policies", d, arr);
}

/* Old schema: trace.Event. */
static void
old_schema(struct ingest_ctx *ctx, const struct json_doc *d)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int c = json_get(d, 0, "container"), k = json_get(d, 0, "kubernetes"), props;
	const char *cid;
	int64_t nspid, nsppid;

	ev->comm = ingest_ebpf_json_text(a, d, json_get(d, 0, "processName"));
	nspid = int2(d, 0, "processId", "processId");
	nsppid = int2(d, 0, "parentProcessId", "parentProcessId");
	ev->pid = int2(d, 0, "hostProcessId", "hostProcessId");
	if (ev->pid == EV_NULL)
		ev->pid = nspid;
	ev->ppid = int2(d, 0, "hostParentProcessId", "hostParentProcessId");
	if (ev->ppid == EV_NULL)
		ev->ppid = nsppid;
	ev->uid = int2(d, 0, "userId", "userId");
	ev->exe = ingest_ebpf_json_text(a, d, json_path(d, 0, "executable.path"));
	ev->action = ingest_ebpf_json_text(a, d, json_get(d, 0, "eventName"));
	ev->exec_id = entity_id(a, d, json_get(d, 0, "processEntityId"));
	ev->parent_exec_id = entity_id(a, d, json_get(d, 0, "parentEntityId"));

	cid = ingest_ebpf_json_text(a, d, json_get(d, 0, "containerId"));
	if (cid == NULL)
		cid = ingest_ebpf_json_text(a, d, json_get(d, c, "id"));
	if (cid != NULL)
		ev->container_id = ev_container_id(a, cid, strlen(cid));
	ev->image = ingest_ebpf_json_text(a, d, json_get(d, 0, "containerImage"));
	if (ev->image == NULL)
		ev->image = ingest_ebpf_json_text(a, d, json_get(d, c, "image"));
	if (ev->image == NULL)
		ev->image = ingest_ebpf_json_text(a, d, json_path(d, c, "image.name"));
	ev->pod_name = ingest_ebpf_json_text(a, d, json_get(d, 0, "podName"));
	if (ev->pod_name == NULL)
		ev->pod_name = ingest_ebpf_json_text(a, d, json_get(d, k, "podName"));
	ev->pod_ns = ingest_ebpf_json_text(a, d, json_get(d, 0, "podNamespace"));
	if (ev->pod_ns == NULL)
		ev->pod_ns = ingest_ebpf_json_text(a, d, json_get(d, k, "podNamespace"));
	ev->pod_uid = ingest_ebpf_json_text(a, d, json_get(d, 0, "podUID"));
	if (ev->pod_uid == NULL)
		ev->pod_uid = ingest_ebpf_json_text(a, d, json_get(d, k, "podUID"));

	/* hostName is the UTS name: the node for host processes, the pod's inside a container */
	if (ev->container_id == NULL)
		ev->host = ingest_ebpf_json_text(a, d, json_get(d, 0, "hostName"));
	else
		ingest_ebpf_extra_value(ctx, "uts_name", d, json_get(d, 0, "hostName"));
	props = json_path(d, 0, "metadata.Properties");
	ev->rule = ingest_ebpf_json_text(a, d, json_get(d, props, "signatureID"));
	if (ev->rule == NULL)
		ev->rule = ingest_ebpf_json_text(a, d, json_get(d, props, "signatureName"));
	ev->priority = ingest_ebpf_json_text(a, d, json_get(d, props, "Severity"));
	ev->kind = ev->rule ? "signature" : "event";
	/* a finding's returnValue is its trigger's, not an outcome of the finding */
	if (ev->rule == NULL)
		return_value(ev, a, d, json_get(d, 0, "returnValue"));
	else
		ingest_ebpf_extra_value(ctx, "return_value", d, json_get(d, 0, "returnValue"));

	if (nspid != EV_NULL && nspid != ev->pid)
		ingest_extra_int(ctx, "ns_pid", nspid);
	if (nsppid != EV_NULL && nsppid != ev->ppid)
		ingest_extra_int(ctx, "ns_ppid", nsppid);
	ingest_ebpf_extra_value(ctx, "tid", d, json_get(d, 0, "hostThreadId"));
	ingest_ebpf_extra_value(ctx, "thread_start_time", d, json_get(d, 0, "threadStartTime"));
	ingest_ebpf_extra_value(ctx, "syscall", d, json_get(d, 0, "syscall"));
	ingest_ebpf_extra_value(ctx, "event_id", d, json_get(d, 0, "eventId"));
	ingest_ebpf_extra_value(ctx, "cgroup_id", d, json_get(d, 0, "cgroupId"));
	ingest_ebpf_extra_value(ctx, "mount_ns", d, json_get(d, 0, "mountNamespace"));
	ingest_ebpf_extra_value(ctx, "pid_ns", d, json_get(d, 0, "pidNamespace"));
	ingest_ebpf_extra_value(ctx, "container_name", d, json_get(d, 0, "containerName"));
	ingest_ebpf_extra_value(ctx, "container_name", d, json_get(d, c, "name"));
	ingest_ebpf_extra_value(ctx, "thread_entity_id", d, json_get(d, 0, "threadEntityId"));
	extra_policies(ctx, d, json_get(d, 0, "matchedPolicies"));
	ingest_ebpf_extra_value(ctx, "signature_name", d, json_get(d, props, "signatureName"));
	ingest_ebpf_extra_value(ctx, "category", d, json_get(d, props, "Category"));
	ingest_ebpf_extra_value(ctx, "technique", d, json_get(d, props, "Technique"));
	ingest_ebpf_extra_value(ctx, "mitre", d, json_get(d, props, "external_id"));
	args_fields(ctx, d, json_get(d, 0, "args"));
}

/* New schema: v1beta1.Event. */
static void
new_schema(struct ingest_ctx *ctx, const struct json_doc *d)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int w = json_get(d, 0, "workload"), p = json_get(d, w, "process");
	int c = json_get(d, w, "container"), k = json_get(d, w, "k8s");
	int th = json_get(d, p, "thread"), anc = json_at(d, json_get(d, p, "ancestors"), 0);
	int threat = json_get(d, 0, "threat"), props = json_get(d, threat, "properties");
	const char *cid;
	int64_t nspid;

	ev->action = ingest_ebpf_json_text(a, d, json_get(d, 0, "name"));
	ev->exe = ingest_ebpf_json_text(a, d, json_path(d, p, "executable.path"));
	nspid = int2(d, p, "pid", "pid");
	ev->pid = int2(d, p, "host_pid", "hostPid");
	if (ev->pid == EV_NULL)
		ev->pid = nspid;
	ev->uid = int2(d, member2(d, p, "real_user", "realUser"), "id", "id");
	ev->comm = ingest_ebpf_json_text(a, d, json_get(d, th, "name"));
	ev->exec_id = entity_id(a, d, member2(d, p, "unique_id", "uniqueId"));
	ev->ppid = int2(d, anc, "host_pid", "hostPid");
	if (ev->ppid == EV_NULL)
		ev->ppid = int2(d, anc, "pid", "pid");
	ev->parent_exec_id = entity_id(a, d, member2(d, anc, "unique_id", "uniqueId"));

	cid = ingest_ebpf_json_text(a, d, json_get(d, c, "id"));
	if (cid != NULL)
		ev->container_id = ev_container_id(a, cid, strlen(cid));
	ev->image = ingest_ebpf_json_text(a, d, json_path(d, c, "image.name"));
	if (ev->image == NULL)
		ev->image = ingest_ebpf_json_text(a, d, json_get(d, c, "image"));
	ev->pod_name = ingest_ebpf_json_text(a, d, json_path(d, k, "pod.name"));
	ev->pod_uid = ingest_ebpf_json_text(a, d, json_path(d, k, "pod.uid"));
	ev->pod_ns = ingest_ebpf_json_text(a, d, json_path(d, k, "namespace.name"));

	ev->rule = ingest_ebpf_json_text(a, d, json_get(d, props, "signatureID"));
	if (ev->rule == NULL)
		ev->rule = ingest_ebpf_json_text(a, d, json_get(d, threat, "name"));
	ev->priority = ingest_ebpf_json_text(a, d, json_get(d, threat, "severity"));
	ev->kind = ev->rule ? "signature" : "event";

	if (nspid != EV_NULL && nspid != ev->pid)
		ingest_extra_int(ctx, "ns_pid", nspid);
	ingest_ebpf_extra_value(ctx, "tid", d, member2(d, th, "host_tid", "hostTid"));
	ingest_ebpf_extra_value(ctx, "thread_start_time", d, member2(d, th, "start_time", "startTime"));
	ingest_ebpf_extra_value(ctx, "syscall", d, json_get(d, th, "syscall"));
	ingest_ebpf_extra_value(ctx, "event_id", d, json_get(d, 0, "id"));
	ingest_ebpf_extra_value(ctx, "container_name", d, json_get(d, c, "name"));
	ingest_ebpf_extra_value(ctx, "parent_exe", d, json_path(d, anc, "executable.path"));
	extra_policies(ctx, d, json_path(d, 0, "policies.matched"));
	ingest_ebpf_extra_value(ctx, "signature_name", d, json_get(d, threat, "name"));
	ingest_ebpf_extra_value(ctx, "mitre", d, json_path(d, threat, "mitre.technique.id"));
	ingest_ebpf_extra_value(ctx, "tactic", d, json_path(d, threat, "mitre.tactic.name"));
	ingest_ebpf_extra_value(ctx, "detected_from", d, json_path(d, 0, "detected_from.name"));
	args_fields(ctx, d, json_get(d, 0, "data"));
}

/* Implements ingester::json_record */
static int
tracee_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	int t;

	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "Tracee event is not a JSON object");
		return CD_E_PARSE;
	}
	t = json_get(d, 0, "timestamp");
	if (t < 0 || ingest_ebpf_json_time(d, t, &ev->ts_ns) != CD_OK) {
		ingest_set_why(ctx, "Tracee event without a valid timestamp");
		return CD_E_PARSE;
	}
	ingest_extra_begin(ctx);
	if (json_get(d, 0, "eventName") < 0 && (json_get(d, 0, "workload") >= 0 ||
						 json_get(d, 0, "name") >= 0))
		new_schema(ctx, d);
	else
		old_schema(ctx, d);
	ingest_extra_end(ctx);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

const struct ingester ing_tracee = {
	.name = "tracee",
	.summary = "Aqua Tracee JSON events and signature findings (old flat and v1beta1 schemas)",
	.flags = ING_JSON | ING_HOST,
	.probe = tracee_probe,
	.json_record = tracee_record,
};
