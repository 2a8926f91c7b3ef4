/*
 * incident.c - pass 2 of the correlator: findings -> incidents.
 *
 * 1. Workloads with escape or credential-access findings; host-only
 *    findings join the workload that escaped on that host just before;
 *    workloads started by an escaped workload (a pod created with its
 *    stolen token, a sibling container started through its runtime
 *    socket) join it, so each incident has one root workload.
 * 2. What the root exposed: per signal, by its rule's `exposes` (node,
 *    file, env, imds, sa-token, vault-token, kubelet), through the graph.
 * 3. The credentials behind the exposed secrets, their use after exposure
 *    and the usage anomalies on them; the identities they reach.
 * 4. A revocation plan, in order: quarantine, cut credentials, rotate what
 *    was read, remove persistence.
 * An incident is opened for a root with an escape signal, or with a
 * credential-access signal whose credentials were then used anomalously.
 * Ids derive from the root, so they are stable across runs; a report whose
 * content changed gets a new revision.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "incident.h"

#define HOST_JOIN_NS    ((int64_t)1800 * 1000000000LL)  /* host signal -> escaped workload */
#define SIBLING_NS      ((int64_t)600 * 1000000000LL)   /* runtime socket -> new container */
#define SKEW_NS         ((int64_t)120 * 1000000000LL)   /* clocks of different sources */
#define USE_WINDOW_NS   ((int64_t)30 * 86400 * 1000000000LL) /* AKIA: no expiry; look 30 days */

/* ---- small vectors ------------------------------------------------------------ */

void
strv_add_unique(struct strv *v, const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->s[i], s) == 0)
			return;
	v->s = xrealloc(v->s, (v->n + 1) * sizeof(char *));
	v->s[v->n++] = xstrdup(s);
}

void
strv_release(struct strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->s[i]);
	free(v->s);
	memset(v, 0, sizeof(*v));
}

static char *
col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? xstrdup((const char *)t) : NULL;
}

/* ---- loading findings ---------------------------------------------------------- */

static int
load_findings(sqlite3 *db, struct inc_ctx *c)
{
	sqlite3_stmt *st;
	size_t cap = 0;

	if (sqlite3_prepare_v2(db,
			       /* the event's columns kept beside each finding (schema 7);
				* a finding without them reads its event */
			       "SELECT f.id, f.event_id, f.rule, f.class, f.severity, f.ts_ns,"
			       " f.workload, f.identity, f.cred_id, f.summary, c.source, c.host,"
			       " c.object, c.action, c.dst"
			       " FROM findings f JOIN finding_events c ON c.finding_id = f.id"
			       " UNION ALL "
			       "SELECT f.id, f.event_id, f.rule, f.class, f.severity, f.ts_ns,"
			       " f.workload, f.identity, f.cred_id, f.summary, e.source, e.host,"
			       " e.object, e.action, e.dst"
			       " FROM findings f JOIN events e ON e.id = f.event_id"
			       " WHERE NOT EXISTS(SELECT 1 FROM finding_events c WHERE c.finding_id = f.id)"
			       " ORDER BY 6, 1",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct finding *f;

		if (c->nf == cap) {
			cap = cap ? cap * 2 : 256;
			c->f = xrealloc(c->f, cap * sizeof(*c->f));
		}
		f = &c->f[c->nf++];
		memset(f, 0, sizeof(*f));
		f->event_id = sqlite3_column_int64(st, 1);
		f->rule = col_dup(st, 2);
		f->cls = col_dup(st, 3);
		f->severity = col_dup(st, 4);
		f->ts = sqlite3_column_int64(st, 5);
		f->workload = col_dup(st, 6);
		f->identity = col_dup(st, 7);
		f->cred_id = col_dup(st, 8);
		f->summary = col_dup(st, 9);
		f->source = col_dup(st, 10);
		f->host = col_dup(st, 11);
		f->object = col_dup(st, 12);
		f->action = col_dup(st, 13);
		f->dst = col_dup(st, 14);
		f->wl = -1;
	}
	sqlite3_finalize(st);
	return CD_OK;
}

static void
findings_release(struct inc_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nf; i++) {
		struct finding *f = &c->f[i];

		free(f->rule); free(f->cls); free(f->severity); free(f->workload);
		free(f->identity); free(f->cred_id); free(f->summary); free(f->source);
		free(f->host); free(f->object); free(f->action); free(f->dst);
	}
	free(c->f);
}

/* ---- workloads ------------------------------------------------------------------- */

static int
wl_find(struct inc_ctx *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nw; i++)
		if (strcmp(c->w[i].key, key) == 0)
			return (int)i;
	return -1;
}

static int
wl_add(struct inc_ctx *c, sqlite3 *db, const struct finding *f)
{
	struct wl *w;
	int i = wl_find(c, f->workload);
	sqlite3_stmt *st;

	if (i >= 0)
		return i;
	c->w = xrealloc(c->w, (c->nw + 1) * sizeof(*c->w));
	w = &c->w[c->nw];
	memset(w, 0, sizeof(*w));
	w->key = xstrdup(f->workload);
	w->parent = -1;
	w->first = w->last = f->ts;
	/* details from the finding's event, completed by attribution */
	{
		struct buf sql;
		struct event ev;

		buf_init(&sql, 8192);
		if (buf_addstr(&sql, "SELECT ") == CD_OK && evrow_columns(&sql) == CD_OK &&
		    buf_addstr(&sql, " FROM events WHERE id = ?1") == CD_OK &&
		    sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, f->event_id);
			if (sqlite3_step(st) == SQLITE_ROW) {
				evrow_fill(st, 1, &ev);
				attribute_event(db, &ev, &w->d);
			}
			sqlite3_finalize(st);
		}
		buf_release(&sql);
	}
	if (!w->d.host[0] && f->host)
		snprintf(w->d.host, sizeof(w->d.host), "%s", f->host);
	return (int)c->nw++;
}

/* One host under two names: sources disagree on "ip-10-0-1-23" and
 * "ip-10-0-1-23.ec2.internal" (a short name and its FQDN are the same). */
static int
same_host(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na == 0 || nb == 0)
		return 0;
	if (na == nb)
		return strcmp(a, b) == 0;
	if (na > nb)
		return strncmp(a, b, nb) == 0 && a[nb] == '.';
	return strncmp(a, b, na) == 0 && b[na] == '.';
}

static int
wl_root(const struct inc_ctx *c, int i)
{
	int guard = 0;

	while (c->w[i].parent >= 0 && guard++ < 64)
		i = c->w[i].parent;
	return i;
}

static int
is_escape(const struct finding *f)
{
	return strcmp(f->cls, "escape") == 0;
}

/* The pod uid whose bound token created pod ns/name (a pod made with a stolen token). */
static char *
creator_pod_uid(sqlite3 *db, const char *ns, const char *name)
{
	sqlite3_stmt *st;
	char obj[600], *uid = NULL;

	snprintf(obj, sizeof(obj), "%s/pods/%s", ns, name);
	if (sqlite3_prepare_v2(db,
			       "SELECT c.pod_uid FROM events k JOIN events c ON c.cred_id = k.cred_id"
			       " WHERE k.action = 'create pods' AND k.object = ?1 AND k.source = 'k8saudit'"
			       " AND k.cred_id IS NOT NULL AND c.pod_uid IS NOT NULL LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		uid = col_dup(st, 0);
	sqlite3_finalize(st);
	return uid;
}

/* Whether an event's process ran in SELinux's container domain (auditd subj). */
static int
in_container_domain(sqlite3 *db, int64_t event_id)
{
	sqlite3_stmt *st;
	int yes = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM events WHERE id = ?1 AND source = 'auditd' AND json_valid(extra)"
			       " AND instr(json_extract(extra, '$.subj'), ':container_t:') > 0",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, event_id);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

/* Whether the inventory says pod ns/name mounts a container runtime's socket. */
static int
mounts_runtime_socket(sqlite3 *db, const struct workload *w)
{
	char key[600];

	snprintf(key, sizeof(key), "%s/%s", w->pod_ns, w->pod_name);
	return sql_exists_text(db,
			       "SELECT 1 FROM graph_nodes WHERE kind = 'pod' AND key = ?1 AND json_valid(attrs)"
			       " AND EXISTS(SELECT 1 FROM json_each(attrs, '$.host_paths') WHERE value GLOB '*.sock'"
			       " OR value GLOB '*/run/containerd*' OR value GLOB '*/run/crio*')",
			       key, 0);
}

/* The first finding at or after ts (findings are loaded in time order). */
static size_t
finding_at_or_after(const struct inc_ctx *c, int64_t ts)
{
	size_t lo = 0, hi = c->nf;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->f[mid].ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * A container with no pod and no host (its only source names no node: Tracee
 * v1beta1 without auditd) cannot be matched by host.  When exactly one
 * workload used a runtime socket (ESC-07) in the minute before it started,
 * that workload started it; with two or more it stays on its own.
 */
static void
link_hostless_sibling(struct inc_ctx *c, int i)
{
	struct wl *b = &c->w[i];
	int cand = -1;
	size_t k;

	for (k = 0; k < c->nf; k++) {
		const struct finding *f = &c->f[k];

		if (strcmp(f->rule, "ESC-07") != 0 || f->wl < 0 || f->wl == i ||
		    b->first < f->ts || b->first - f->ts > SIBLING_NS || wl_root(c, f->wl) == i)
			continue;
		if (cand >= 0 && wl_root(c, cand) != wl_root(c, f->wl))
			return; /* ambiguous */
		cand = f->wl;
	}
	if (cand >= 0) {
		b->parent = cand;
		snprintf(b->why, sizeof(b->why), "started through %s's runtime socket (no host named)",
			 c->w[cand].key);
	}
}

static void
link_workloads(struct inc_ctx *c, sqlite3 *db)
{
	size_t i, j, k;

	/* a pod created with a token whose bound pod is another workload */
	for (i = 0; i < c->nw; i++) {
		struct wl *b = &c->w[i];
		char *uid;

		if (!b->d.pod_name[0])
			continue;
		uid = creator_pod_uid(db, b->d.pod_ns, b->d.pod_name);
		if (uid != NULL) {
			for (j = 0; j < c->nw; j++)
				if (j != i && strcmp(c->w[j].d.pod_uid, uid) == 0 &&
				    wl_root(c, (int)j) != (int)i) {
					b->parent = (int)j;
					snprintf(b->why, sizeof(b->why), "pod created with %s's token",
						 c->w[j].key);
					break;
				}
			free(uid);
		}
	}
	/* a container without a pod started right after a runtime-socket signal */
	for (i = 0; i < c->nw; i++) {
		struct wl *b = &c->w[i];

		if (b->parent >= 0 || !b->d.container_id[0] || b->d.pod_name[0])
			continue;
		if (!b->d.host[0]) {
			link_hostless_sibling(c, (int)i);
			continue;
		}
		for (k = 0; k < c->nf; k++) {
			const struct finding *f = &c->f[k];

			if (strcmp(f->rule, "ESC-07") != 0 || f->wl < 0 || f->wl == (int)i ||
			    f->host == NULL || !same_host(f->host, b->d.host))
				continue;
			if (b->first >= f->ts && b->first - f->ts <= SIBLING_NS &&
			    wl_root(c, f->wl) != (int)i) {
				b->parent = f->wl;
				snprintf(b->why, sizeof(b->why), "started through %s's runtime socket",
					 c->w[f->wl].key);
				break;
			}
		}
	}
	/*
	 * Still no parent, and no socket event in the logs (Falco's default
	 * rules do not see the connect): a pod on the same node that mounts
	 * the runtime socket (inventory hostPath) and has signals of its own
	 * is the one that can have started it; the most recent such before
	 * the container appeared.
	 */
	for (i = 0; i < c->nw; i++) {
		struct wl *b = &c->w[i];
		int best = -1;

		if (b->parent >= 0 || !b->d.container_id[0] || b->d.pod_name[0] || !b->d.host[0])
			continue;
		for (j = 0; j < c->nw; j++) {
			const struct wl *a = &c->w[j];

			if (j == i || !a->d.pod_name[0] || !same_host(a->d.host, b->d.host) ||
			    a->first > b->first + SKEW_NS || wl_root(c, (int)j) == (int)i ||
			    !mounts_runtime_socket(db, &a->d))
				continue;
			if (best < 0 || a->first > c->w[best].first)
				best = (int)j;
		}
		if (best >= 0) {
			b->parent = best;
			snprintf(b->why, sizeof(b->why), "started while %.200s mounts the runtime socket"
				 " (no socket event in the logs)", c->w[best].key);
		}
	}
	/* the same pod seen without a container id (API events) joins its container */
	for (i = 0; i < c->nw; i++) {
		struct wl *b = &c->w[i];

		if (b->parent >= 0 || b->d.container_id[0] || !b->d.pod_name[0])
			continue;
		for (j = 0; j < c->nw; j++)
			if (j != i && c->w[j].d.container_id[0] &&
			    strcmp(c->w[j].d.pod_name, b->d.pod_name) == 0 &&
			    strcmp(c->w[j].d.pod_ns, b->d.pod_ns) == 0 && wl_root(c, (int)j) != (int)i) {
				b->parent = (int)j;
				snprintf(b->why, sizeof(b->why), "the same pod as %s", c->w[j].key);
				break;
			}
	}
	/*
	 * Host-only signals, one at a time: a signal of the host itself is the
	 * doing of the workload that escaped on that host just before it (up
	 * to HOST_JOIN_NS), not of whoever escaped there first: the host's
	 * own earlier life (a cron reading a credential file) stays the host's.
	 */
	for (k = 0; k < c->nf; k++) {
		struct finding *f = &c->f[k];
		int best = -1, confined;
		int64_t best_ts = 0;
		size_t q;

		if (f->wl < 0 || strncmp(c->w[f->wl].key, "host:", 5) != 0)
			continue;
		/* a process the pid join could not place but SELinux labels a
		 * container's (container_t): the container with signals on that
		 * host just before, escaped or not */
		confined = -1; /* asked only when a non-escape signal could join */
		/* findings are in time order: only those within the join's
		 * window can qualify, so start at its first (this pass was
		 * quadratic in the findings, which grow with the store) */
		for (q = finding_at_or_after(c, f->ts - HOST_JOIN_NS);
		     q < c->nf && c->f[q].ts <= f->ts + SKEW_NS; q++) {
			const struct finding *g = &c->f[q];

			if (g->wl < 0 || strncmp(c->w[g->wl].key, "host:", 5) == 0 ||
			    !same_host(c->w[g->wl].d.host, c->w[f->wl].d.host))
				continue;
			if (!is_escape(g)) {
				if (strcmp(g->cls, "usage-anomaly") == 0)
					continue;
				if (confined < 0)
					confined = in_container_domain(db, f->event_id);
				if (!confined)
					continue;
			}
			if (g->ts <= f->ts + SKEW_NS && f->ts - g->ts <= HOST_JOIN_NS &&
			    (best < 0 || g->ts > best_ts)) {
				best = g->wl;
				best_ts = g->ts;
			}
		}
		if (best >= 0)
			f->wl = best;
	}
}

/* ---- per-root assembly ------------------------------------------------------------ */

/*
 * Whether the incident's anomalous use stands on its own.  A key joined
 * only by its timing (low confidence: an unmapped key file read, then a
 * long-lived key used from a new network within the hour) that an escaped
 * workload's incident holds too is explained better there: the escaped
 * code reached it.  Such a join opens no incident of its own for a root
 * without an escape (escaped roots are assembled first, their keys in
 * `held`).
 */
static int
use_stands(const struct strmap *held, const struct incident *inc)
{
	size_t i;

	for (i = 0; i < inc->ncr; i++) {
		const struct cred *cr = &inc->cr[i];

		if (cr->anomalies.n == 0)
			continue;
		if (cr->confidence == NULL || strcmp(cr->confidence, "low") != 0 ||
		    strmap_find(held, cr->id, strlen(cr->id)) == NULL)
			return 1;
	}
	return 0;
}

int
incidents_build(struct store *s, const struct ruleset *rs, int64_t since_ns,
		struct incident_change *ch, char **cause)
{
	sqlite3 *db = store_db(s);
	struct inc_ctx c;
	size_t i;
	int rc = CD_OK, usage = 0;
	unsigned char *roots;
	struct strmap held; /* the escaped roots' credential ids */
	int pass;
	enum { ROOT_ESCAPE = 1, ROOT_CRED = 2 };

	memset(&c, 0, sizeof(c));
	c.rs = rs;
	c.s = s;
	strmap_init(&c.no_secret);
	history_span(db, &c.history_first, &c.history_last);
	if (load_findings(db, &c) != CD_OK) {
		*cause = xstrdup(sqlite3_errmsg(db));
		strmap_release(&c.no_secret);
		return CD_E_DB;
	}
	for (i = 0; i < c.nf; i++) {
		struct finding *f = &c.f[i];

		if (f->workload == NULL || strcmp(f->cls, "usage-anomaly") == 0)
			continue;
		f->wl = wl_add(&c, db, f);
		if (f->ts < c.w[f->wl].first)
			c.w[f->wl].first = f->ts;
		if (f->ts > c.w[f->wl].last)
			c.w[f->wl].last = f->ts;
	}
	routine_mark(&c, db);
	link_workloads(&c, db);
	/* per root, in one pass: a high escape signal, a credential signal */
	roots = xcalloc(c.nw ? c.nw : 1, sizeof(*roots));
	for (i = 0; i < c.nf; i++) {
		enum rule_sev sev = SEV_MEDIUM;
		int r;

		if (strcmp(c.f[i].cls, "usage-anomaly") == 0)
			usage = 1;
		if (c.f[i].wl < 0)
			continue;
		r = wl_root(&c, c.f[i].wl);
		/* a risky pod created (medium) joins an incident but opens none */
		if (is_escape(&c.f[i]) && rule_sev_parse(c.f[i].severity, &sev) == CD_OK &&
		    sev >= SEV_HIGH)
			roots[r] |= ROOT_ESCAPE;
		if (!is_escape(&c.f[i]))
			roots[r] |= ROOT_CRED;
	}
	/* escaped roots first: the keys they hold decide use_stands for the others */
	strmap_init(&held);
	for (pass = 0; pass < 2; pass++)
	for (i = 0; i < c.nw && rc == CD_OK; i++) {
		struct incident inc;
		int escape = (roots[i] & ROOT_ESCAPE) != 0, cred = (roots[i] & ROOT_CRED) != 0;

		if (c.w[i].parent >= 0 || escape != (pass == 0))
			continue;
		memset(&inc, 0, sizeof(inc));
		inc.root = (int)i;
		if (strcmp(c.w[i].key, "host:unknown") == 0)
			continue; /* nothing to attribute it to: the signals stay findings */
		if (since_ns != TIME_NONE && c.w[i].last < since_ns)
			continue;
		/*
		 * Without a high escape only anomalous use of its credentials
		 * opens an incident, and that is a usage-anomaly finding: with
		 * none in the store there is nothing to assemble (host roots with
		 * a token read each were assembled, every run, to be dropped).
		 */
		if (!escape && !(cred && usage))
			continue;
		incident_assemble(&c, db, &inc);
		if (escape) {
			size_t k;
			int created;

			for (k = 0; k < inc.ncr; k++)
				strmap_get(&held, inc.cr[k].id, strlen(inc.cr[k].id), &created);
		}
		if (escape || (cred && inc.anomalous_use && use_stands(&held, &inc)))
			rc = incident_store(&c, db, &inc, ch);
		incident_release(&inc);
	}
	strmap_release(&held);
	free(roots);
	if (rc != CD_OK && *cause == NULL)
		*cause = xstrdup(sqlite3_errmsg(db));
	for (i = 0; i < c.nw; i++)
		free(c.w[i].key);
	free(c.w);
	findings_release(&c);
	strmap_release(&c.no_secret);
	return rc;
}
