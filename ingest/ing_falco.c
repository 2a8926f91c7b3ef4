/*
 * ing_falco.c - Falco JSON alerts (json_output: true), one per line.
 *
 * {"time","rule","priority","source","hostname","tags","output","uuid",
 *  "output_fields":{"proc.cmdline":...,"proc.aname[2]":...}}.  The keys of
 * output_fields contain dots and brackets, so they are matched whole with
 * json_get(), never as paths.  Values may be strings, numbers, arrays,
 * null or "<NA>" (Falco's "no value").  Syscall alerts describe a process
 * and its container; k8s_audit alerts describe an API request (ka.*).
 * Every output field that has no column is kept in extra under its Falco
 * name, so the ancestry (proc.pname, proc.aname[N], proc.pcmdline) is kept.
 */
#include <string.h>

#include "ebpf.h"

#define OUTPUT_MAX 4096 /* bytes of the rendered output line kept in extra */

/* Implements ingester::probe */
static int
falco_probe(const char *head, size_t len)
{
	int score = 0;

	if (memmem(head, len, "\"rule\"", 6) && memmem(head, len, "\"priority\"", 10))
		score = 50;
	if (score && memmem(head, len, "\"output\"", 8))
		score = 85;
	if (score == 85 && (memmem(head, len, "\"output_fields\"", 15) ||
			    memmem(head, len, "\"hostname\"", 10)))
		score = 95;
	return score;
}

/* output_fields members that land in a column (all others go to extra) */
static const char *const column_fields[] = {
	"container.id", "container.full_id", "container.image", "container.image.repository",
	"container.image.tag", "k8s.ns.name", "k8s.pod.name", "k8s.pod.uid", "proc.pid",
	"proc.ppid", "proc.exepath", "proc.name", "proc.cmdline", "proc.cwd", "user.uid",
	"user.loginuid", "evt.type", "fd.name", "fs.path.name", "fd.sip", "fd.sport", "fd.rip",
	"fd.rport", "evt.res", "evt.time", "evt.time.iso8601", "evt.rawtime", "ka.user.name",
	"ka.verb", "ka.target.resource", "ka.target.subresource", "ka.target.namespace",
	"ka.target.name", "ka.sourceips", "ka.useragent", "ka.response.code", "ka.auditid", NULL,
};

/* A field's value token, or -1 when absent, null or Falco's "<NA>". */
static int
field(const struct json_doc *d, int of, const char *key)
{
	int t = json_get(d, of, key);

	if (t < 0 || json_is_null(d, t))
		return -1;
	if (json_type(d, t) == JSON_STRING && span_eq(json_raw(d, t), "<NA>"))
		return -1;
	return t;
}

static const char *
field_str(struct ev_arena *a, const struct json_doc *d, int of, const char *key)
{
	return ingest_ebpf_json_text(a, d, field(d, of, key));
}

static int64_t
field_int(const struct json_doc *d, int of, const char *key)
{
	int64_t v;

	if (json_i64(d, field(d, of, key), &v) != CD_OK)
		return EV_NULL;
	return v;
}

/* The image: repository:tag when both are given, else container.image, else the repository. */
static const char *
image_of(struct ev_arena *a, const struct json_doc *d, int of)
{
	const char *repo = field_str(a, d, of, "container.image.repository");
	const char *tag = field_str(a, d, of, "container.image.tag");
	const char *img;

	if (repo != NULL && tag != NULL)
		return ev_printf(a, "%s:%s", repo, tag);
	if ((img = field_str(a, d, of, "container.image")) != NULL)
		return img;
	return repo;
}

/*
 * ka.sourceips: an array of strings, or (older Falco) one string that may
 * itself look like a list: "[203.0.113.66]" or "203.0.113.66,10.0.0.1".
 */
static const char *
first_source_ip(struct ev_arena *a, const struct json_doc *d, int of)
{
	int t = field(d, of, "ka.sourceips");
	const char *s, *p;
	size_t n;

	if (json_type(d, t) == JSON_ARRAY)
		return ingest_ebpf_json_text(a, d, json_at(d, t, 0));
	if ((s = ingest_ebpf_json_text(a, d, t)) == NULL)
		return NULL;
	while (*s == '[' || *s == '"' || *s == ' ')
		s++;
	for (p = s; *p && *p != ',' && *p != ']' && *p != '"' && *p != ' '; p++)
		;
	n = (size_t)(p - s);
	return n ? ev_strdup(a, s, n) : NULL;
}

/* Columns from a syscall alert's process, container and fd fields. */
static void
syscall_fields(struct event *ev, struct ev_arena *a, const struct json_doc *d, int of)
{
	const char *cid, *ip, *fd, *type, *res;
	int64_t port;

	cid = field_str(a, d, of, "container.full_id");
	if (cid == NULL)
		cid = field_str(a, d, of, "container.id");
	ev->container_id = cid ? ev_container_id(a, cid, strlen(cid)) : NULL;
	ev->image = image_of(a, d, of);
	ev->pod_ns = field_str(a, d, of, "k8s.ns.name");
	ev->pod_name = field_str(a, d, of, "k8s.pod.name");
	ev->pod_uid = field_str(a, d, of, "k8s.pod.uid");
	ev->pid = field_int(d, of, "proc.pid");
	ev->ppid = field_int(d, of, "proc.ppid");
	ev->exe = field_str(a, d, of, "proc.exepath");
	if (ev->exe == NULL)
		ev->exe = field_str(a, d, of, "proc.exe");
	ev->comm = field_str(a, d, of, "proc.name");
	ev->argv = field_str(a, d, of, "proc.cmdline");
	ev->cwd = field_str(a, d, of, "proc.cwd");
	ev->uid = field_int(d, of, "user.uid");
	ev->auid = field_int(d, of, "user.loginuid");
	if (ev->auid == -1) /* Falco's "unset"; auditd and Tetragon say 4294967295 */
		ev->auid = 4294967295LL;
	ev->action = field_str(a, d, of, "evt.type");

	/* dst: the server end, else the remote end, else the tuple in fd.name */
	ip = field_str(a, d, of, "fd.sip");
	port = field_int(d, of, "fd.sport");
	if (ip == NULL) {
		ip = field_str(a, d, of, "fd.rip");
		port = field_int(d, of, "fd.rport");
	}
	ev->dst = ingest_ebpf_hostport(a, ip, port);
	fd = field_str(a, d, of, "fd.name");
	type = field_str(a, d, of, "fd.type");
	if (fd != NULL && strstr(fd, "->") != NULL) {
		if (ev->dst == NULL)
			ev->dst = ingest_ebpf_tuple_dst(a, fd);
	} else if (fd != NULL && type != NULL && strcmp(type, "unix") == 0) {
		if (ev->dst == NULL) /* a unix socket's fd.name is its path */
			ev->dst = fd;
	} else {
		ev->object = fd;
	}
	if (ev->object == NULL)
		ev->object = field_str(a, d, of, "fs.path.name");

	res = field_str(a, d, of, "evt.res");
	if (res != NULL) {
		ev->outcome_code = res;
		ev->outcome = ingest_ebpf_errname_outcome(res);
	}
}

/* Columns from a k8s_audit alert's ka.* fields. */
static void
k8s_fields(struct event *ev, struct ev_arena *a, const struct json_doc *d, int of)
{
	const char *verb, *res, *sub, *ns, *name, *code;
	int64_t status;

	ev->actor = field_str(a, d, of, "ka.user.name");
	verb = field_str(a, d, of, "ka.verb");
	res = field_str(a, d, of, "ka.target.resource");
	sub = field_str(a, d, of, "ka.target.subresource");
	/* the shapes ing_k8saudit.c gives: "verb resource/sub", "ns/resource/name" */
	if (ev->action == NULL && verb != NULL) {
		if (res != NULL && sub != NULL)
			ev->action = ev_printf(a, "%s %s/%s", verb, res, sub);
		else if (res != NULL)
			ev->action = ev_printf(a, "%s %s", verb, res);
		else
			ev->action = verb;
	}
	ns = field_str(a, d, of, "ka.target.namespace");
	name = field_str(a, d, of, "ka.target.name");
	if (ev->object == NULL && (ns != NULL || res != NULL || name != NULL))
		ev->object = ev_printf(a, "%s%s%s%s%s", ns ? ns : "", ns && (res || name) ? "/" : "",
				       res ? res : "", res && name ? "/" : "", name ? name : "");
	ev->src_ip = first_source_ip(a, d, of);
	ev->user_agent = field_str(a, d, of, "ka.useragent");
	code = field_str(a, d, of, "ka.response.code");
	if (code != NULL && ev->outcome_code == NULL) {
		ev->outcome_code = code;
		status = field_int(d, of, "ka.response.code");
		if (status >= 200 && status < 400)
			ev->outcome = "success";
		else if (status == 401 || status == 403)
			ev->outcome = "denied";
		else if (status != EV_NULL)
			ev->outcome = "error";
	}
	if (ev->ref == NULL)
		ev->ref = field_str(a, d, of, "ka.auditid");
}

static int
is_column_field(const struct json_doc *d, int key)
{
	int i;

	for (i = 0; column_fields[i]; i++)
		if (json_key_eq(d, key, column_fields[i]))
			return 1;
	return 0;
}

/* Every output field without a column, under its Falco name. */
static void
extra_fields(struct ingest_ctx *ctx, const struct json_doc *d, int of, const struct event *ev)
{
	char key[128];
	int k;

	for (k = json_first(d, of); k > 0; k = json_next(d, of, k)) {
		if (is_column_field(d, k))
			continue;
		if (json_str(d, k, key, sizeof(key), NULL) != CD_OK || key[0] == '\0')
			continue;
		if (json_type(d, k + 1) == JSON_STRING && span_eq(json_raw(d, k + 1), "<NA>"))
			continue;
		ingest_ebpf_extra_value(ctx, key, d, k + 1);
	}
	/* a connection tuple or socket path is not an object, but keep it */
	if (ev->object == NULL)
		ingest_ebpf_extra_value(ctx, "fd.name", d, field(d, of, "fd.name"));
}

/* The rendered output line, cut at OUTPUT_MAX bytes on a character boundary. */
static void
extra_output(struct ingest_ctx *ctx, const struct json_doc *d)
{
	struct ev_arena *a = ingest_arena(ctx);
	const char *out = ingest_ebpf_json_text(a, d, json_get(d, 0, "output"));
	size_t n, cut;

	if (out == NULL)
		return;
	n = strlen(out);
	cut = ingest_ebpf_utf8_cut(out, n, OUTPUT_MAX);
	if (cut < n) {
		ingest_extra_str(ctx, "output", ev_strdup(a, out, cut));
		ingest_extra_int(ctx, "output_truncated_from", (int64_t)n);
	} else {
		ingest_extra_str(ctx, "output", out);
	}
}

/* Implements ingester::json_record */
static int
falco_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int t, of;

	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "Falco alert is not a JSON object");
		return CD_E_PARSE;
	}
	of = json_get(d, 0, "output_fields");
	if (json_type(d, of) != JSON_OBJECT)
		of = -1;
	/* "time" is RFC 3339; old alerts also carry evt.time.iso8601 as integer ns */
	t = json_get(d, 0, "time");
	if (t < 0 || ingest_ebpf_json_time(d, t, &ev->ts_ns) != CD_OK) {
		t = field(d, of, "evt.time.iso8601");
		if (t < 0)
			t = field(d, of, "evt.time");
		if (t < 0 || ingest_ebpf_json_time(d, t, &ev->ts_ns) != CD_OK) {
			ingest_set_why(ctx, "Falco alert without a valid time");
			return CD_E_PARSE;
		}
	}
	ev->kind = ingest_ebpf_json_text(a, d, json_get(d, 0, "source"));
	ev->host = ingest_ebpf_json_text(a, d, json_get(d, 0, "hostname"));
	ev->rule = ingest_ebpf_json_text(a, d, json_get(d, 0, "rule"));
	ev->priority = ingest_ebpf_json_text(a, d, json_get(d, 0, "priority"));
	ev->ref = ingest_ebpf_json_text(a, d, json_get(d, 0, "uuid"));
	if (ingest_plausible_id(ev->ref))
		ev->dedup = ev->ref;
	if (of >= 0) {
		syscall_fields(ev, a, d, of);
		k8s_fields(ev, a, d, of);
	}

	ingest_extra_begin(ctx);
	ingest_ebpf_extra_value(ctx, "tags", d, json_get(d, 0, "tags"));
	if (of >= 0)
		extra_fields(ctx, d, of, ev);
	extra_output(ctx, d);
	ingest_extra_end(ctx);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

const struct ingester ing_falco = {
	.name = "falco",
	.summary = "Falco JSON alerts (json_output), syscall and k8s_audit sources",
	.flags = ING_JSON | ING_HOST,
	.probe = falco_probe,
	.json_record = falco_record,
};
