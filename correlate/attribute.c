/*
 * attribute.c - which workload an event came from.
 *
 * eBPF sources tag container and pod; auditd tags nothing (auid is unset
 * for container processes), so an auditd event is joined on (host, pid,
 * time) to the latest exec seen by Tetragon, Tracee or Falco for that pid,
 * and failing that to its parent's, up the ppid chain: a process that
 * entered the host namespaces (nsenter) is still traced to the container
 * it came from.
 *
 * A CloudTrail call signed with a function's execution-role session (the
 * key Lambda's AssumeRole handed to the function, learned in the graph)
 * belongs to that function: a workload of kind "function"; so does a GCP
 * audit event made with the own token of the one Cloud Run service or
 * Cloud Function that runs as its account (attribute_gcp.c).
 */
#include <string.h>

#include "engine.h"

#define EXEC_WINDOW_NS ((int64_t)86400 * 1000000000LL) /* how old an exec may be */
#define ANCESTRY_DEPTH 8

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static void
col_copy(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	copy(dst, cap, (const char *)sqlite3_column_text(st, col));
}

/* Pod details for a container id (any source that saw both). */
static void
fill_pod(sqlite3 *db, struct workload *w)
{
	sqlite3_stmt *st;
	char hi[80];
	size_t n = strlen(w->container_id);

	if (n < 12 || w->pod_name[0])
		return;
	/* prefix range on the container index: ids are lowercase hex */
	copy(hi, sizeof(hi), w->container_id);
	hi[n - 1]++;
	if (sqlite3_prepare_v2(db,
			       "SELECT pod_ns, pod_name, pod_uid, image, container_id FROM events"
			       " WHERE container_id >= ?1 AND container_id < ?2 AND pod_name IS NOT NULL"
			       " LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, w->container_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		col_copy(w->pod_ns, sizeof(w->pod_ns), st, 0);
		col_copy(w->pod_name, sizeof(w->pod_name), st, 1);
		col_copy(w->pod_uid, sizeof(w->pod_uid), st, 2);
		if (!w->image[0])
			col_copy(w->image, sizeof(w->image), st, 3);
		/* prefer the full 64-hex id when another source has it */
		if (sqlite3_column_bytes(st, 4) > (int)n)
			col_copy(w->container_id, sizeof(w->container_id), st, 4);
	}
	sqlite3_finalize(st);
}

int
inventory_pod(sqlite3 *db, const char *ns, const char *name, const char *uid, struct inv_pod *out)
{
	sqlite3_stmt *st;
	int found = 0, pass;

	memset(out, 0, sizeof(*out));
	snprintf(out->key, sizeof(out->key), "%s/%s", ns ? ns : "", name ? name : "");
	/* by name through the (kind, key) index; by uid only when the name is unknown */
	for (pass = 0; pass < 2 && !found; pass++) {
		if (pass == 1 && (uid == NULL || *uid == '\0'))
			break;
		if (sqlite3_prepare_v2(db,
				       pass == 0
				       ? "SELECT key, json_extract(attrs, '$.uid'), json_extract(attrs, '$.node'),"
					 " json_extract(attrs, '$.sa'), json_extract(attrs, '$.pod_ip') FROM graph_nodes"
					 " WHERE kind = 'pod' AND key = ?1 AND json_valid(attrs)"
				       : "SELECT key, json_extract(attrs, '$.uid'), json_extract(attrs, '$.node'),"
					 " json_extract(attrs, '$.sa'), json_extract(attrs, '$.pod_ip') FROM graph_nodes"
					 " WHERE kind = 'pod' AND json_valid(attrs) AND json_extract(attrs, '$.uid') = ?1"
					 " LIMIT 1",
				       -1, &st, NULL) != SQLITE_OK)
			return 0;
		sqlite3_bind_text(st, 1, pass == 0 ? out->key : uid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			col_copy(out->key, sizeof(out->key), st, 0);
			col_copy(out->uid, sizeof(out->uid), st, 1);
			col_copy(out->node, sizeof(out->node), st, 2);
			col_copy(out->sa, sizeof(out->sa), st, 3);
			col_copy(out->ip, sizeof(out->ip), st, 4);
			found = 1;
		}
		sqlite3_finalize(st);
	}
	return found;
}

/* Whether the inventory places pod (uid, or ns/name) on node host (a short
 * name and its FQDN are one host). */
static int
pod_on_node(sqlite3 *db, const char *uid, const char *ns, const char *name, const char *host)
{
	struct inv_pod p;
	size_t n = strlen(host), m;

	if (!inventory_pod(db, ns, name, uid, &p) || !p.node[0])
		return 0;
	m = strlen(p.node);
	return strcmp(p.node, host) == 0 || (strncmp(p.node, host, n) == 0 && p.node[n] == '.') ||
	       (strncmp(host, p.node, m) == 0 && host[m] == '.');
}

/*
 * The latest container-tagged event of (host, pid) at or before ts.  Some
 * sources name no node (Tracee's hostName is the container's UTS name):
 * their events of that pid count when the inventory puts their pod on host.
 */
static int
join_pid(sqlite3 *db, const char *host, int64_t pid, int64_t ts, struct workload *w,
	 int64_t *ppid)
{
	sqlite3_stmt *st;
	int found = 0, pass;

	*ppid = EV_NULL;
	for (pass = 0; pass < 2 && !found; pass++) {
		if (sqlite3_prepare_v2(db,
				       pass == 0
				       ? "SELECT container_id, pod_ns, pod_name, pod_uid, image, ppid FROM events"
					 " WHERE host IS ?1 AND pid = ?2 AND ts_ns <= ?3 AND ts_ns >= ?4"
					 " ORDER BY container_id IS NULL, ts_ns DESC LIMIT 1"
				       : "SELECT container_id, pod_ns, pod_name, pod_uid, image, ppid FROM events"
					 " WHERE host IS NULL AND pid = ?2 AND ts_ns <= ?3 AND ts_ns >= ?4"
					 " AND container_id IS NOT NULL AND ?1 IS NOT NULL ORDER BY ts_ns DESC LIMIT 8",
				       -1, &st, NULL) != SQLITE_OK)
			return 0;
		sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, pid);
		sqlite3_bind_int64(st, 3, ts + 2000000000LL); /* sources disagree by a little */
		sqlite3_bind_int64(st, 4, ts - EXEC_WINDOW_NS);
		while (!found && sqlite3_step(st) == SQLITE_ROW) {
			if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
				if (pass == 1 &&
				    !pod_on_node(db, (const char *)sqlite3_column_text(st, 3),
						 (const char *)sqlite3_column_text(st, 1),
						 (const char *)sqlite3_column_text(st, 2), host))
					continue;
				col_copy(w->container_id, sizeof(w->container_id), st, 0);
				col_copy(w->pod_ns, sizeof(w->pod_ns), st, 1);
				col_copy(w->pod_name, sizeof(w->pod_name), st, 2);
				col_copy(w->pod_uid, sizeof(w->pod_uid), st, 3);
				col_copy(w->image, sizeof(w->image), st, 4);
				found = 1;
			} else if (pass == 0 && sqlite3_column_type(st, 5) != SQLITE_NULL) {
				*ppid = sqlite3_column_int64(st, 5);
			}
			if (pass == 0)
				break;
		}
		sqlite3_finalize(st);
	}
	return found;
}

/* A container of the pod with this uid (any source that saw both). */
static void
fill_container(sqlite3 *db, struct workload *w)
{
	sqlite3_stmt *st;

	if (!w->pod_uid[0] || w->container_id[0])
		return;
	if (sqlite3_prepare_v2(db,
			       "SELECT container_id, image, host FROM events WHERE pod_uid = ?1"
			       " AND container_id IS NOT NULL ORDER BY length(container_id) DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, w->pod_uid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		col_copy(w->container_id, sizeof(w->container_id), st, 0);
		if (!w->image[0])
			col_copy(w->image, sizeof(w->image), st, 1);
		if (!w->host[0])
			col_copy(w->host, sizeof(w->host), st, 2);
	}
	sqlite3_finalize(st);
}

static void fill_host(sqlite3 *db, struct workload *w);

/*
 * A pod-creating API call is about the pod it creates, not about the pod
 * whose token made the call: the created pod's uid is in the response
 * (extra.object_uid), its name in object "NS/pods/NAME".
 */
static int
created_pod(sqlite3 *db, const struct event *ev, struct workload *w)
{
	const char *mid;
	char buf[64];

	if (ev->source == NULL || strcmp(ev->source, "k8saudit") != 0 || ev->action == NULL ||
	    strcmp(ev->action, "create pods") != 0 || ev->object == NULL ||
	    (mid = strstr(ev->object, "/pods/")) == NULL)
		return 0;
	snprintf(w->pod_ns, sizeof(w->pod_ns), "%.*s", (int)(mid - ev->object), ev->object);
	copy(w->pod_name, sizeof(w->pod_name), mid + 6);
	if (ev->extra != NULL) {
		struct json_tokens t;
		struct json_doc d;
		const char *why;

		json_tokens_init(&t, 1024);
		if (json_parse(&d, ev->extra, strlen(ev->extra), &t, &why) == CD_OK &&
		    json_str(&d, json_get(&d, 0, "object_uid"), buf, sizeof(buf), NULL) == CD_OK)
			copy(w->pod_uid, sizeof(w->pod_uid), buf);
		json_tokens_release(&t);
	}
	fill_container(db, w);
	fill_host(db, w);
	copy(w->how, sizeof(w->how), "created pod");
	return 1;
}

/* The node of a pod from the inventory, for sources that name no node. */
static void
fill_host(sqlite3 *db, struct workload *w)
{
	struct inv_pod p;

	if (w->host[0] || (!w->pod_uid[0] && !w->pod_name[0]))
		return;
	if (inventory_pod(db, w->pod_ns, w->pod_name, w->pod_uid, &p))
		copy(w->host, sizeof(w->host), p.node);
}

int
function_of_session(sqlite3 *db, const char *cred_id, struct workload *w)
{
	sqlite3_stmt *st;
	char key[128];
	int found = 0;

	if (cred_id == NULL || strncmp(cred_id, "ASIA", 4) != 0 || strlen(cred_id) > 100)
		return 0;
	snprintf(key, sizeof(key), "aws:%s", cred_id);
	if (sqlite3_prepare_v2(db,
			       "SELECT f.key, CASE WHEN json_valid(f.attrs) THEN json_extract(f.attrs, '$.runtime') END,"
			       " (SELECT r.key FROM graph_edges re JOIN graph_nodes r ON r.id = re.dst"
			       "  WHERE re.src = f.id AND re.type = 'runs-as' ORDER BY length(r.key) DESC LIMIT 1)"
			       " FROM graph_nodes c JOIN graph_edges x ON x.dst = c.id AND x.type = 'exposes'"
			       " JOIN graph_nodes s ON s.id = x.src AND s.kind = 'secret'"
			       " JOIN graph_edges m ON m.dst = s.id AND m.type = 'mounts'"
			       " JOIN graph_nodes f ON f.id = m.src AND f.kind = 'function'"
			       " WHERE c.kind = 'credential' AND c.key = ?1 LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *arn = (const char *)sqlite3_column_text(st, 0);
		const char *r = (const char *)sqlite3_column_text(st, 2);
		const char *slash = arn ? strstr(arn, ":function:") : NULL;

		memset(w, 0, sizeof(*w));
		copy(w->kind, sizeof(w->kind), "function");
		copy(w->id, sizeof(w->id), arn);
		copy(w->name, sizeof(w->name), slash ? slash + 10 : arn);
		col_copy(w->runtime, sizeof(w->runtime), st, 1);
		copy(w->identity, sizeof(w->identity), r && strncmp(r, "aws:", 4) == 0 ? r + 4 : r);
		copy(w->how, sizeof(w->how), "function session");
		found = 1;
	}
	sqlite3_finalize(st);
	if (found)
		workload_settle(w);
	return found;
}

void
workload_settle(struct workload *w)
{
	if (strcmp(w->kind, "ci-job") == 0)
		return; /* ci_job.c set id and where */
	if (strcmp(w->kind, "sandbox") == 0) {
		size_t un = strncmp(w->name, "unit=", 5) == 0 ? strcspn(w->name + 5, " ") : 0;

		/*
		 * A named systemd unit is one workload across its restarts
		 * (pid 1 starts a new MainPID, the unit stays): HOST:unit=NAME.
		 * Other sandboxes, and a unit the logs do not name, are their
		 * root process: HOST:PID:START.
		 */
		if (un > 0 && !(un == 1 && w->name[5] == '?'))
			snprintf(w->id, sizeof(w->id), "%s:unit=%.*s", w->host, (int)un, w->name + 5);
		else
			snprintf(w->id, sizeof(w->id), "%s:%lld:%lld", w->host, (long long)w->root_pid,
				 (long long)(w->root_start / 1000000000LL));
		copy(w->where, sizeof(w->where), w->host);
		return;
	}
	if (strcmp(w->kind, "function") == 0) {
		/* arn:PART:lambda:REGION:ACCOUNT:function:NAME */
		const char *p = w->id, *f[5];
		int i;

		for (i = 0; i < 5 && p != NULL; i++)
			if ((p = strchr(p, ':')) != NULL)
				f[i] = ++p;
		if (p != NULL && i == 5)
			snprintf(w->where, sizeof(w->where), "aws:%.*s:%.*s", (int)(f[3] - f[2] - 1), f[2],
				 (int)(f[4] - f[3] - 1), f[3]);
		return;
	}
	if (w->container_id[0]) {
		copy(w->kind, sizeof(w->kind), "container");
		copy(w->id, sizeof(w->id), w->container_id);
	} else if (w->pod_uid[0] || w->pod_name[0]) {
		copy(w->kind, sizeof(w->kind), "pod");
		if (w->pod_uid[0])
			copy(w->id, sizeof(w->id), w->pod_uid);
		else
			snprintf(w->id, sizeof(w->id), "%s/%s", w->pod_ns, w->pod_name);
	} else {
		copy(w->kind, sizeof(w->kind), "host");
		copy(w->id, sizeof(w->id), w->host);
	}
	copy(w->where, sizeof(w->where), w->host);
}

static int
attribute_event_kind(sqlite3 *db, const struct event *ev, struct workload *w);

/* Host process sandboxes: a process tree under one of these is a workload. */
static const char *const sandbox_launchers[] = { "bwrap", "firejail", "nsjail", "runsc", NULL };

/*
 * `firejail --join=X` (and --join-network=, --join-filesystem=) enters a
 * sandbox that exists already: it starts none, and what runs under it
 * stays whoever's started it (a responder's shell, or a process leaving its
 * own sandbox for another, which ESC-11 reports).
 */
static int
is_launcher(const char *exe, const char *argv)
{
	const char *base = exe ? strrchr(exe, '/') : NULL;
	size_t i;

	base = base ? base + 1 : exe;
	for (i = 0; base != NULL && sandbox_launchers[i] != NULL; i++)
		if (strcmp(base, sandbox_launchers[i]) == 0)
			return argv == NULL || strstr(argv, " --join") == NULL;
	return 0;
}

/*
 * Outside any container: the nearest ancestor (host pid lineage from the
 * exec records of auditd, Tetragon or Tracee) that is a sandbox launcher
 * makes the process part of that sandbox, whatever it did since (entered
 * the host's namespaces with nsenter included: its parents stay).  The
 * sandbox's id is its launcher's (host, pid, exec time).
 */
static int
sandbox_of(sqlite3 *db, const struct event *ev, struct workload *w)
{
	sqlite3_stmt *st, *start;
	int64_t pid = ev->pid, ts = ev->ts_ns;
	int depth, found = 0;

	if (ev->host == NULL || pid == EV_NULL || pid <= 2)
		return 0;
	/* the launcher's own records are not inside the sandbox it starts
	 * (the walk below takes launchers from the parents up), but a
	 * launcher started inside another sandbox is that one's */
	if (sqlite3_prepare_v2(db,
			       "SELECT exe, ppid, argv FROM events WHERE host = ?1 AND pid = ?2 AND ts_ns <= ?3"
			       " AND ts_ns >= ?4 AND exe IS NOT NULL ORDER BY ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT min(ts_ns) FROM events WHERE host = ?1 AND pid = ?2 AND ts_ns <= ?3"
			       " AND ts_ns >= ?4 AND exe = ?5",
			       -1, &start, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	for (depth = 0; depth < ANCESTRY_DEPTH && pid > 2 && !found; depth++) {
		const char *exe;
		int64_t next = EV_NULL;

		sqlite3_bind_text(st, 1, ev->host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, pid);
		sqlite3_bind_int64(st, 3, ts + 2000000000LL);
		sqlite3_bind_int64(st, 4, ev->ts_ns - EXEC_WINDOW_NS);
		if (sqlite3_step(st) != SQLITE_ROW) {
			/* no record of this pid: its parent from the event itself */
			sqlite3_reset(st);
			if (depth == 0 && ev->ppid != EV_NULL) {
				pid = ev->ppid;
				continue;
			}
			break;
		}
		exe = (const char *)sqlite3_column_text(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			next = sqlite3_column_int64(st, 1);
		if (depth > 0 && is_launcher(exe, (const char *)sqlite3_column_text(st, 2))) {
			const char *argv = (const char *)sqlite3_column_text(st, 2);

			memset(w, 0, sizeof(*w));
			copy(w->kind, sizeof(w->kind), "sandbox");
			copy(w->host, sizeof(w->host), ev->host);
			snprintf(w->name, sizeof(w->name), "%.255s", argv ? argv : exe);
			w->root_pid = pid;
			w->root_start = ts;
			sqlite3_bind_text(start, 1, ev->host, -1, SQLITE_STATIC);
			sqlite3_bind_int64(start, 2, pid);
			sqlite3_bind_int64(start, 3, ts + 2000000000LL);
			sqlite3_bind_int64(start, 4, ev->ts_ns - EXEC_WINDOW_NS);
			sqlite3_bind_text(start, 5, exe, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(start) == SQLITE_ROW && sqlite3_column_type(start, 0) != SQLITE_NULL)
				w->root_start = sqlite3_column_int64(start, 0);
			sqlite3_reset(start);
			copy(w->how, sizeof(w->how), "sandbox lineage");
			found = 1;
		}
		if (next == EV_NULL && depth == 0 && ev->ppid != EV_NULL)
			next = ev->ppid;
		if (!found && next == 1 && exe != NULL) {
			/* a child of pid 1: a unit's MainPID, its own records inside */
			char e[256], a[256];
			int64_t t0 = ts;

			snprintf(e, sizeof(e), "%s", exe);
			snprintf(a, sizeof(a), "%s", sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
			sqlite3_bind_text(start, 1, ev->host, -1, SQLITE_STATIC);
			sqlite3_bind_int64(start, 2, pid);
			sqlite3_bind_int64(start, 3, ts + 2000000000LL);
			sqlite3_bind_int64(start, 4, ev->ts_ns - EXEC_WINDOW_NS);
			sqlite3_bind_text(start, 5, e, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(start) == SQLITE_ROW && sqlite3_column_type(start, 0) != SQLITE_NULL)
				t0 = sqlite3_column_int64(start, 0);
			sqlite3_reset(start);
			found = sandbox_unit(db, ev->host, pid, e, a[0] ? a : NULL, t0, w);
		}
		sqlite3_reset(st);
		pid = next;
		if (pid == EV_NULL)
			break;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(start);
	return found;
}

int
attribute_event(sqlite3 *db, const struct event *ev, struct workload *w)
{
	struct event full = *ev;
	char name[256];
	int r;

	/* a host name Tracee cut to 15 characters: the host the others name */
	if (host_full_name(db, ev->host, name, sizeof(name)))
		full.host = name;
	r = attribute_event_kind(db, &full, w);

	workload_settle(w);
	return r;
}

static int
attribute_event_kind(sqlite3 *db, const struct event *ev, struct workload *w)
{
	int64_t pid, ppid;
	int depth;

	memset(w, 0, sizeof(*w));
	if (created_pod(db, ev, w))
		return 1;
	if (ev->source != NULL && strcmp(ev->source, "cloudtrail") == 0 &&
	    (function_of_session(db, ev->cred_id, w) || ci_job_of_session(db, ev->cred_id, w)))
		return 1;
	/* a GitHub job's federated identity (or an account it impersonated) */
	if (ci_job_of_gcp_event(db, ev, w))
		return 1;
	if (gcp_service_of_event(db, ev, w))
		return 1;
	copy(w->host, sizeof(w->host), ev->host);
	copy(w->container_id, sizeof(w->container_id), ev->container_id);
	copy(w->pod_ns, sizeof(w->pod_ns), ev->pod_ns);
	copy(w->pod_name, sizeof(w->pod_name), ev->pod_name);
	copy(w->pod_uid, sizeof(w->pod_uid), ev->pod_uid);
	copy(w->image, sizeof(w->image), ev->image);
	if (w->container_id[0]) {
		copy(w->how, sizeof(w->how), "container id");
		fill_pod(db, w);
		fill_host(db, w);
		host_of_container(db, w);
		return 1;
	}
	if (w->pod_uid[0] || w->pod_name[0]) {
		copy(w->how, sizeof(w->how), "pod");
		fill_container(db, w);
		fill_host(db, w);
		return 1;
	}
	pid = ev->pid;
	ppid = ev->ppid;
	for (depth = 0; pid != EV_NULL && pid > 2 && depth < ANCESTRY_DEPTH; depth++) {
		int64_t next = EV_NULL;

		if (join_pid(db, ev->host, pid, ev->ts_ns, w, &next)) {
			copy(w->how, sizeof(w->how), depth == 0 ? "pid join" : "ancestry");
			fill_pod(db, w);
			return 1;
		}
		pid = depth == 0 && ppid != EV_NULL ? ppid : next;
	}
	if (sandbox_of(db, ev, w))
		return 1;
	/* a self-hosted runner's host while it runs a job: the job's doing */
	if (ev->host != NULL && ci_job_on_runner(db, ev->host, ev->ts_ns, w))
		return 1;
	copy(w->how, sizeof(w->how), "host");
	return 0;
}

void
workload_key(const struct workload *w, char *out, size_t cap)
{
	if (strcmp(w->kind, "function") == 0)
		snprintf(out, cap, "fn:%s", w->id);
	else if (strcmp(w->kind, "sandbox") == 0)
		snprintf(out, cap, "sbx:%s", w->id);
	else if (strcmp(w->kind, "ci-job") == 0)
		snprintf(out, cap, "ci:%s", w->id);
	else if (w->container_id[0])
		snprintf(out, cap, "ctr:%.12s", w->container_id);
	else if (w->pod_uid[0])
		snprintf(out, cap, "pod:%s", w->pod_uid);
	else if (w->pod_name[0])
		snprintf(out, cap, "pod:%s/%s", w->pod_ns, w->pod_name);
	else if (w->host[0])
		snprintf(out, cap, "host:%s", w->host);
	else
		snprintf(out, cap, "host:unknown");
}
