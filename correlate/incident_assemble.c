/*
 * incident_assemble.c - one root workload's story: what its signals
 * exposed, the credentials behind that, their use after exposure, the
 * identities they reach and the plan to cut them off.
 */
#include <stdlib.h>
#include <string.h>

#include "incident.h"

#define SKEW_NS        ((int64_t)120 * 1000000000LL)
#define LOOKBACK_NS    ((int64_t)30 * 86400 * 1000000000LL)
/* instance-role keys served by IMDS live at most 6 h; a copy is usable
 * that long after the contact that fetched it (with clock skew, 7 h) */
#define IMDS_LIFE_NS   ((int64_t)7 * 3600 * 1000000000LL)
/* the longest usual life of a short-lived credential (STS, bound token, Vault token) */
#define LIVE_NS        ((int64_t)12 * 3600 * 1000000000LL)
/* how soon after an unmapped key file or secret is read its key is used */
#define KEYFILE_USE_NS ((int64_t)3600 * 1000000000LL)
#define VAULT_LOGIN_NS ((int64_t)900 * 1000000000LL)  /* Vault contact -> the login it made */
/* a GitHub-hosted job runs at most 6 h: its start when the jobs API is silent */
#define CI_JOB_MAX_NS  ((int64_t)6 * 3600 * 1000000000LL)

static int
wl_root_of(const struct inc_ctx *c, int i)
{
	int guard = 0;

	while (i >= 0 && c->w[i].parent >= 0 && guard++ < 64)
		i = c->w[i].parent;
	return i;
}

static const char *
locator_kind(const char *loc)
{
	static const char *const kinds[][2] = {
		{ "file:", "file" }, { "env:", "env" }, { "imds:", "imds" },
		{ "k8s-secret:", "k8s-secret" }, { "sa-token:", "sa-token" },
		{ "vault-token:", "vault-token" }, { "kubelet-cred:", "kubelet-cred" },
		{ "gcp-secret:", "gcp-secret" },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(loc, kinds[i][0], strlen(kinds[i][0])) == 0)
			return kinds[i][1];
	return "file";
}

static void
add_exposed_node(struct incident *inc, const char *loc, const char *graph_key, int64_t ts,
		 const char *via)
{
	size_t i;
	struct exposed *e;

	if (loc == NULL || *loc == '\0')
		return;
	for (i = 0; i < inc->nex; i++)
		if (strcmp(inc->ex[i].locator, loc) == 0) {
			if (ts < inc->ex[i].ts)
				inc->ex[i].ts = ts;
			return;
		}
	inc->ex = xrealloc(inc->ex, (inc->nex + 1) * sizeof(*inc->ex));
	e = &inc->ex[inc->nex++];
	e->locator = xstrdup(loc);
	e->kind = xstrdup(locator_kind(loc));
	e->ts = ts;
	e->via = xstrdup(via);
	e->graph_key = xstrdup(graph_key ? graph_key : loc);
}

static void
add_exposed(struct incident *inc, const char *loc, int64_t ts, const char *via)
{
	add_exposed_node(inc, loc, NULL, ts, via);
}

struct cred *
add_cred(struct incident *inc, const char *provider, const char *id, const char *identity,
	 int64_t ts)
{
	size_t i;
	struct cred *cr;

	if (id == NULL || *id == '\0')
		return NULL;
	for (i = 0; i < inc->ncr; i++)
		if (strcmp(inc->cr[i].id, id) == 0) {
			if (ts < inc->cr[i].exposed_ts)
				inc->cr[i].exposed_ts = ts;
			if (inc->cr[i].identity == NULL && identity != NULL)
				inc->cr[i].identity = xstrdup(identity);
			return &inc->cr[i];
		}
	inc->cr = xrealloc(inc->cr, (inc->ncr + 1) * sizeof(*inc->cr));
	cr = &inc->cr[inc->ncr++];
	memset(cr, 0, sizeof(*cr));
	cr->provider = xstrdup(provider ? provider : "unknown");
	cr->id = xstrdup(id);
	cr->identity = identity ? xstrdup(identity) : NULL;
	cr->exposed_ts = ts;
	return cr;
}

void
add_step(struct incident *inc, const char *provider, const char *action, const char *target,
	 const char *why)
{
	size_t i;
	struct step *s;

	if (target == NULL || *target == '\0')
		return;
	for (i = 0; i < inc->nplan; i++)
		if (strcmp(inc->plan[i].action, action) == 0 &&
		    strcmp(inc->plan[i].target, target) == 0 &&
		    strcmp(inc->plan[i].provider, provider) == 0)
			return;
	inc->plan = xrealloc(inc->plan, (inc->nplan + 1) * sizeof(*inc->plan));
	s = &inc->plan[inc->nplan++];
	s->provider = xstrdup(provider);
	s->action = xstrdup(action);
	s->target = xstrdup(target);
	s->why = xstrdup(why);
}

/* "aws:AKIA..." -> provider "aws", id "AKIA..." */
static void
split_key(const char *key, char *prov, size_t pcap, const char **rest)
{
	const char *colon = strchr(key, ':');
	size_t n = colon ? (size_t)(colon - key) : 0;

	if (n >= pcap)
		n = pcap - 1;
	memcpy(prov, key, n);
	prov[n] = '\0';
	*rest = colon ? colon + 1 : key;
}

static int sessions_admit(struct store *s, const struct graph_hit *h, const char *session);

static int
path_has_edge(const struct graph_hit *h, const char *type)
{
	int i;

	for (i = 0; i + 1 < h->npath; i++)
		if (strcmp(h->edges[i], type) == 0)
			return 1;
	return 0;
}

/* Credentials and identities behind a secret locator, from the graph. */
static int
behind_secret(struct store *s, struct incident *inc, const char *loc, int64_t ts)
{
	struct graph_result r = { 0 };
	char subject[1200];
	size_t i;
	int found = 0;

	snprintf(subject, sizeof(subject), "secret:%s", loc);
	if (graph_reach(s, subject, 3, NULL, &r) != CD_OK)
		return 0;
	for (i = 0; i < r.n; i++) {
		const struct graph_hit *h = &r.hits[i];
		char prov[32];
		const char *id;

		if (strcmp(h->kind, "credential") == 0) {
			const char *ident = NULL;
			size_t k;

			/* a service account's bound tokens are its pods': chosen per pod
			 * by pod_tokens, not every token the account was ever issued */
			if (strncmp(loc, "sa-token:", 9) == 0 && strncmp(h->key, "k8s:JTI=", 8) == 0)
				continue;
			/* what a credential minted (the kubelet's tokens, sessions) was not
			 * in the secret; what the attacker minted with it is persistence */
			if (path_has_edge(h, "issued") || path_has_edge(h, "exchanged-for"))
				continue;
			/* an identity allowed to read a secret has not read it: that
			 * is reach; the reads the API logged expose (secrets_read_by) */
			if (path_has_edge(h, "can-read-secret"))
				continue;

			/* the identity it authenticates as: the next hit along a path through it */
			for (k = 0; k < r.n && ident == NULL; k++)
				if (strcmp(r.hits[k].kind, "identity") == 0 && r.hits[k].npath >= 2 &&
				    strcmp(r.hits[k].path[r.hits[k].npath - 2], h->key) == 0)
					ident = r.hits[k].key;
			split_key(h->key, prov, sizeof(prov), &id);
			found = 1;
			if (ident != NULL) {
				char p2[32];
				const char *iname;

				split_key(ident, p2, sizeof(p2), &iname);
				add_cred(inc, prov, id, iname, ts);
			} else {
				add_cred(inc, prov, id, NULL, ts);
			}
		} else if (strcmp(h->kind, "identity") == 0 && h->depth <= 2 && sessions_admit(s, h, NULL)) {
			strv_add_unique(&inc->identities, h->key);
		}
	}
	graph_result_release(&r);
	return found;
}

/* Secrets hit on host: a credential-map glob ("file:*:PATH") becomes this host's file. */
static void
secrets_from(struct incident *inc, struct graph_result *r, const char *host, int64_t ts,
	     const char *via, const char *prefix)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const char *key = r->hits[i].key;

		if (strcmp(r->hits[i].kind, "secret") != 0 ||
		    (prefix != NULL && strncmp(key, prefix, strlen(prefix)) != 0))
			continue;
		if (host != NULL && strncmp(key, "file:*:", 7) == 0 && strchr(key + 7, '*') == NULL) {
			char loc[1200];

			snprintf(loc, sizeof(loc), "file:%s:%s", host, key + 7);
			add_exposed_node(inc, loc, key, ts, via);
		} else {
			add_exposed(inc, key, ts, via);
		}
	}
}

/* What the inventory and the logs say of a pod: its service account and address. */
struct podinfo {
	char ns[256], sa[256], ip[64];
};

/*
 * The pod's service account and address: from the kubectl inventory (the
 * pod by name, else by uid), else from its own bound token's API calls
 * (the pod-uid claim).  Replicas share a service account, so what belongs
 * to one pod (its Vault login, its token) is told apart by this address.
 */
static int
pod_info(sqlite3 *db, const struct workload *w, struct podinfo *pi)
{
	sqlite3_stmt *st;
	struct inv_pod p;

	memset(pi, 0, sizeof(*pi));
	if (!w->pod_uid[0] && !w->pod_name[0])
		return 0;
	if (inventory_pod(db, w->pod_ns, w->pod_name, w->pod_uid, &p) && p.sa[0]) {
		snprintf(pi->ns, sizeof(pi->ns), "%.*s", (int)strcspn(p.key, "/"), p.key);
		snprintf(pi->sa, sizeof(pi->sa), "%s", p.sa);
		snprintf(pi->ip, sizeof(pi->ip), "%s", p.ip);
	}
	if (w->pod_uid[0] && (!pi->sa[0] || !pi->ip[0]) &&
	    sqlite3_prepare_v2(db,
			       "SELECT actor, src_ip FROM events WHERE pod_uid = ?1 AND actor LIKE"
			       " 'system:serviceaccount:%' ORDER BY src_ip IS NULL LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, w->pod_uid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *a = (const char *)sqlite3_column_text(st, 0) + 22;
			const char *colon = strchr(a, ':');
			const char *ip = (const char *)sqlite3_column_text(st, 1);

			if (!pi->sa[0] && colon != NULL) {
				snprintf(pi->ns, sizeof(pi->ns), "%.*s", (int)(colon - a), a);
				snprintf(pi->sa, sizeof(pi->sa), "%s", colon + 1);
			}
			if (!pi->ip[0] && ip != NULL)
				snprintf(pi->ip, sizeof(pi->ip), "%s", ip);
		}
		sqlite3_finalize(st);
	}
	return pi->sa[0] != '\0';
}

/*
 * A workload's Vault token: the Kubernetes-auth login of its service
 * account made from the pod's own address (the agent sidecar shares it),
 * the latest before the read.  Without a known address, the service
 * account's latest login.  One stamped up to SKEW_NS after the read counts
 * only when none came before (the sink is written after the login: a
 * renewal just after the read is not what the reader took).
 */
/* A Vault token (accessor acc, of identity who) the workload held: exposed, a credential. */
static void
add_vault_token(struct incident *inc, const char *acc, const char *who, int64_t ts, const char *via)
{
	char loc[600], ident[600];

	snprintf(loc, sizeof(loc), "vault-token:%s", acc);
	add_exposed(inc, loc, ts, via);
	add_cred(inc, "vault", acc, who, ts);
	if (who != NULL) {
		snprintf(ident, sizeof(ident), "vault:%s", who);
		strv_add_unique(&inc->identities, ident);
	}
}

/*
 * The Vault tokens a CI job took with its OIDC token: jwt logins whose
 * subject is the job's (graph_learn.c: the job's oidc:github:SUBJECT
 * secret exposes them), from the job's start (six hours before the signal
 * when the jobs API did not say) to the signal.  The job's environment
 * held them as it held the cloud session.
 */
static void
ci_vault_tokens(sqlite3 *db, struct incident *inc, const struct workload *w, int64_t ts,
		const char *via)
{
	sqlite3_stmt *st;
	char loc[300];
	int64_t from = ts - CI_JOB_MAX_NS;

	if (w->ci_subject[0] == '\0')
		return;
	snprintf(loc, sizeof(loc), "oidc:github:%s", w->ci_subject);
	if (w->ci_job_event != 0 &&
	    sqlite3_prepare_v2(db, "SELECT ts_ns FROM events WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, w->ci_job_event);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) <= ts)
			from = sqlite3_column_int64(st, 0) - SKEW_NS;
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT e.issued_cred, e.actor FROM graph_nodes s"
			       " JOIN graph_edges x ON x.src = s.id AND x.type = 'exposes'"
			       " JOIN graph_nodes c ON c.id = x.dst AND c.kind = 'credential' AND c.key LIKE 'vault:%'"
			       " JOIN events e ON e.issued_cred = substr(c.key, 7) AND e.source = 'vault'"
			       " WHERE s.kind = 'secret' AND s.key = ?1 AND e.ts_ns BETWEEN ?2 AND ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, loc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, ts + SKEW_NS);
	while (sqlite3_step(st) == SQLITE_ROW)
		add_vault_token(inc, (const char *)sqlite3_column_text(st, 0),
				(const char *)sqlite3_column_text(st, 1), ts, via);
	sqlite3_finalize(st);
}

static void
vault_token_of(sqlite3 *db, struct incident *inc, const struct workload *w, int64_t ts,
	       const char *via)
{
	sqlite3_stmt *st;
	struct podinfo pi;

	if (!pod_info(db, w, &pi))
		return;
	/* the login is found through the partial index of events that issued
	 * a credential (few), not through the time ("+": no index term): with
	 * no lower bound, a time range is every stream's history (schema 10) */
	if (sqlite3_prepare_v2(db,
			       "SELECT issued_cred, actor FROM events WHERE source = 'vault'"
			       " AND issued_cred IS NOT NULL AND +ts_ns <= ?1"
			       " AND json_extract(extra, '$.metadata.service_account_namespace') = ?2"
			       " AND json_extract(extra, '$.metadata.service_account_name') = ?3"
			       " AND (?4 = '' OR src_ip = ?4)"
			       " ORDER BY +ts_ns <= ?5 DESC, ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, ts + SKEW_NS);
	sqlite3_bind_text(st, 2, pi.ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, pi.sa, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pi.ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, ts);
	if (sqlite3_step(st) != SQLITE_ROW && pi.ip[0]) {
		/* the login is older than the logs: the token the pod's address used
		 * last (renewals), within a token's usual life before the read */
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(db,
				       "SELECT cred_id, actor FROM events WHERE ts_ns <= ?1 AND ts_ns >= ?2"
				       " AND source = 'vault' AND src_ip = ?3 AND cred_id IS NOT NULL"
				       " ORDER BY ts_ns DESC LIMIT 1",
				       -1, &st, NULL) != SQLITE_OK)
			return;
		sqlite3_bind_int64(st, 1, ts + SKEW_NS);
		sqlite3_bind_int64(st, 2, ts - LIVE_NS);
		sqlite3_bind_text(st, 3, pi.ip, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return;
		}
	}
	if (sqlite3_data_count(st) > 0)
		add_vault_token(inc, (const char *)sqlite3_column_text(st, 0),
				(const char *)sqlite3_column_text(st, 1), ts, via);
	sqlite3_finalize(st);
}

/*
 * A connection to Vault (not a file read): what it obtained is the login
 * made from the workload's address within minutes after it (whichever
 * account it logged in as: code that left its container may use a token
 * that is not its pod's own).
 */
static void
vault_login_after(sqlite3 *db, struct incident *inc, const struct workload *w, int64_t ts,
		  const char *via)
{
	sqlite3_stmt *st;
	struct podinfo pi;

	if (!pod_info(db, w, &pi) || !pi.ip[0])
		return;
	if (sqlite3_prepare_v2(db,
			       "SELECT issued_cred, actor FROM events WHERE ts_ns >= ?1 AND ts_ns <= ?2"
			       " AND source = 'vault' AND src_ip = ?3 AND issued_cred IS NOT NULL"
			       " ORDER BY ts_ns LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, ts - SKEW_NS);
	sqlite3_bind_int64(st, 2, ts + VAULT_LOGIN_NS);
	sqlite3_bind_text(st, 3, pi.ip, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		add_vault_token(inc, (const char *)sqlite3_column_text(st, 0),
				(const char *)sqlite3_column_text(st, 1), ts, via);
	sqlite3_finalize(st);
}

/* The Vault token of every pod on an escaped node: the agents' sinks are
 * files on the node (kubelet's pod volumes). */
static void
node_vault_tokens(sqlite3 *db, struct incident *inc, const char *host, int64_t ts, const char *via)
{
	sqlite3_stmt *st;
	size_t k;

	for (k = 0; k < inc->escaped_nodes.n; k++)
		if (strcmp(inc->escaped_nodes.s[k], host) == 0)
			return; /* done at the first escape signal on it */
	if (sqlite3_prepare_v2(db,
			       "SELECT key FROM graph_nodes WHERE kind = 'pod' AND json_valid(attrs)"
			       " AND json_extract(attrs, '$.node') = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		struct workload w;

		memset(&w, 0, sizeof(w));
		snprintf(w.pod_ns, sizeof(w.pod_ns), "%.*s", (int)strcspn(key, "/"), key);
		snprintf(w.pod_name, sizeof(w.pod_name), "%s", key + strcspn(key, "/") + (key[strcspn(key, "/")] != '\0'));
		vault_token_of(db, inc, &w, ts, via);
	}
	sqlite3_finalize(st);
}

static int
kubelet_path(const char *p)
{
	return p != NULL && (strstr(p, "/var/lib/kubelet/pki/") != NULL ||
			     strstr(p, "/etc/kubernetes/kubelet.conf") != NULL ||
			     strstr(p, "/var/lib/kubelet/kubeconfig") != NULL);
}

/*
 * Whose Vault token a file read exposes: a kubelet pod volume path names
 * the pod by uid (a host-side read of another pod's sink); otherwise the
 * reading workload's own.
 */
static const struct workload *
vault_owner(const char *path, const struct workload *w, struct workload *tmp)
{
	const char *p = strstr(path, "/var/lib/kubelet/pods/"), *end;

	if (p == NULL)
		return w;
	p += 22;
	end = strchr(p, '/');
	if (end == NULL || end - p >= (long)sizeof(tmp->pod_uid))
		return w;
	memset(tmp, 0, sizeof(*tmp));
	memcpy(tmp->pod_uid, p, (size_t)(end - p));
	return tmp;
}

/*
 * The Secrets a pod's spec puts in its environment (env[].valueFrom.
 * secretKeyRef, envFrom): an environ read hands them over whole, as the
 * inventory records them ("mounts" edges whose detail starts "env").
 */
static int
env_secrets(sqlite3 *db, struct incident *inc, const struct workload *w, int64_t ts, const char *via)
{
	sqlite3_stmt *st;
	char key[600];
	int n = 0;

	if (!w->pod_name[0])
		return 0;
	snprintf(key, sizeof(key), "%s/%s", w->pod_ns, w->pod_name);
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT d.key FROM graph_nodes p JOIN graph_edges e ON e.src = p.id"
			       " JOIN graph_nodes d ON d.id = e.dst WHERE p.kind = 'pod' AND p.key = ?1"
			       " AND e.type = 'mounts' AND d.kind = 'secret' AND e.detail LIKE 'env%'",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		add_exposed(inc, (const char *)sqlite3_column_text(st, 0), ts, via);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

/*
 * The secrets the graph holds for a path read on host (by pod uid), as
 * graph_secret_for_path; a lookup that found none is remembered for the
 * run, so a host's thousand reads of the same token path cost one lookup.
 */
static int
secret_for_path(struct inc_ctx *c, const char *host, const char *pod_uid, const char *path,
		struct graph_result *g)
{
	char key[2400];
	int n, created;

	/* a leading '-' or '+' tells an absent host or uid from an empty one */
	n = snprintf(key, sizeof(key), "%c%s%c%c%s%c%s", host ? '+' : '-', host ? host : "", 0x1f,
		     pod_uid ? '+' : '-', pod_uid ? pod_uid : "", 0x1f, path);
	if (n > 0 && (size_t)n < sizeof(key) && strmap_find(&c->no_secret, key, (size_t)n) != NULL)
		return 0;
	if (graph_secret_for_path(c->s, host, pod_uid, path, g) != CD_OK)
		return 0;
	if (g->n > 0)
		return 1;
	if (n > 0 && (size_t)n < sizeof(key))
		strmap_get(&c->no_secret, key, (size_t)n, &created);
	return 0;
}

/*
 * A search of the filesystem for key files (secret hunting: find, grep,
 * trufflehog) finds the credential files the pod's hostPath volumes bring
 * in, which the credential map names by their host path: Falco's "Find
 * AWS Credentials" says what was searched for, never what was found, and
 * a key file mounted from the host was no credential of the incident when
 * no source logged its read.
 */
static void
hunted_files(struct inc_ctx *c, sqlite3 *db, struct incident *inc, const struct workload *w,
	     const struct finding *f, const char *host)
{
	sqlite3_stmt *st;
	char pod[600];

	if (host == NULL || !w->pod_name[0])
		return;
	snprintf(pod, sizeof(pod), "%s/%s", w->pod_ns, w->pod_name);
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT substr(n.key, instr(substr(n.key, 6), ':') + 6)"
			       " FROM graph_nodes p, json_each(p.attrs, '$.host_paths') hp, graph_nodes n"
			       " WHERE p.kind = 'pod' AND p.key = ?1 AND json_valid(p.attrs) AND n.kind = 'secret'"
			       " AND (n.key >= 'file:*:' || hp.value || '/' AND n.key < 'file:*:' || hp.value || '0'"
			       " OR n.key >= 'file:' || ?2 || ':' || hp.value || '/'"
			       " AND n.key < 'file:' || ?2 || ':' || hp.value || '0')",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, pod, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct graph_result g = { 0 };

		if (secret_for_path(c, host, w->pod_uid[0] ? w->pod_uid : NULL,
				    (const char *)sqlite3_column_text(st, 0), &g))
			secrets_from(inc, &g, host, f->ts, f->rule, NULL);
		graph_result_release(&g);
	}
	sqlite3_finalize(st);
}

/*
 * A function's environment: the variables the inventory names (names only;
 * what a static credential among them holds is for the map to say) and the
 * execution-role session the signal caught in use.  The runtime's own key
 * variable is not exposed as a secret: every session the function ever had
 * sits behind it, and only the one taken matters.
 */
static void
function_env(sqlite3 *db, struct incident *inc, const struct workload *w, const struct finding *f)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT d.key FROM graph_nodes p JOIN graph_edges e ON e.src = p.id"
			       " JOIN graph_nodes d ON d.id = e.dst WHERE p.kind = 'function' AND p.key = ?1"
			       " AND e.type = 'mounts' AND d.kind = 'secret' AND e.detail LIKE 'env%'"
			       " AND d.key NOT LIKE '%:AWS_ACCESS_KEY_ID'",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			add_exposed(inc, (const char *)sqlite3_column_text(st, 0), f->ts, f->rule);
		sqlite3_finalize(st);
	}
	if (f->cred_id != NULL) {
		add_cred(inc, "aws", f->cred_id, f->identity, f->ts);
	} else if (strncmp(w->id, "projects/", 9) == 0 && w->identity[0]) {
		/* a GCP service: its account's metadata-server token, which has no id */
		char id[400];
		struct cred *cr;

		snprintf(id, sizeof(id), "token:%s", w->identity);
		/* the signal is the token's use from outside: no event names it */
		if ((cr = add_cred(inc, "gcp", id, w->identity, f->ts)) != NULL)
			cr->used_after = 1;
	}
}

/* A CI job's secrets, by name: what its runner's memory held. */
struct ci_sec {
	struct incident *inc;
	const struct workload *w;
	const struct finding *f;
};

static void
ci_secret(void *arg, const char *name)
{
	struct ci_sec *a = arg;
	char loc[600];

	/* the runner hands them to the job's steps as environment */
	snprintf(loc, sizeof(loc), "env:ci:%s:%s", a->w->ci_repo, name);
	add_exposed(a->inc, loc, a->f->ts, a->f->rule);
}

/* Whether the inventory knows host as a Kubernetes node. */
static int
known_k8s_node(sqlite3 *db, const char *host)
{
	/* a kubectl inventory's node (attributes), or one pods run on; a
	 * credential map names hosts too, Kubernetes or not */
	return sql_exists_text(db,
			       "SELECT 1 FROM graph_nodes n WHERE n.kind = 'node' AND n.key = ?1 AND"
			       " (n.attrs IS NOT NULL OR EXISTS(SELECT 1 FROM graph_edges e WHERE e.dst = n.id"
			       " AND e.type = 'runs-on'))",
			       host, 1);
}

/* One signal's exposure, by its rule's `exposes`. */
static void
expose(struct inc_ctx *c, sqlite3 *db, struct incident *inc, const struct finding *f)
{
	const struct rule *r = ruleset_find(c->rs, f->rule);
	const struct workload *w = &c->w[f->wl].d;
	struct workload owner;
	const char *host = w->host[0] ? w->host : f->host;
	struct graph_result g = { 0 };
	char loc[1200];

	if (r == NULL)
		return;
	switch (r->exposes) {
	case EXPOSES_NONE:
		break;
	case EXPOSES_NODE:
		if (host == NULL)
			break;
		if (graph_node_exposure(c->s, host, &g) == CD_OK)
			secrets_from(inc, &g, host, f->ts, f->rule, NULL);
		graph_result_release(&g);
		snprintf(loc, sizeof(loc), "imds:%s", host);
		add_exposed(inc, loc, f->ts, f->rule);
		inc->node_escape = 1;
		strv_add_unique(&inc->reached_hosts, host);
		/* a sandbox on a host the inventory does not know as a node: no
		 * kubelet to take, no node to cordon */
		if (strcmp(w->kind, "sandbox") == 0 && !known_k8s_node(db, host))
			break;
		snprintf(loc, sizeof(loc), "kubelet-cred:%s", host);
		add_exposed(inc, loc, f->ts, f->rule);
		node_vault_tokens(db, inc, host, f->ts, f->rule);
		strv_add_unique(&inc->escaped_nodes, host);
		break;
	case EXPOSES_FILE:
	case EXPOSES_SA_TOKEN:
	case EXPOSES_VAULT_TOKEN:
		if (r->exposes == EXPOSES_VAULT_TOKEN && f->object == NULL && f->dst != NULL) {
			vault_login_after(db, inc, w, f->ts, f->rule);
			break;
		}
		if (f->object != NULL &&
		    secret_for_path(c, host, w->pod_uid[0] ? w->pod_uid : NULL, f->object, &g)) {
			secrets_from(inc, &g, host, f->ts, f->rule, NULL);
			graph_result_release(&g);
			if (f->object != NULL && strstr(f->object, "vault-token") != NULL)
				vault_token_of(db, inc, vault_owner(f->object, w, &owner), f->ts, f->rule);
			break;
		}
		graph_result_release(&g);
		if (kubelet_path(f->object) && host != NULL) {
			snprintf(loc, sizeof(loc), "kubelet-cred:%s", host);
			add_exposed(inc, loc, f->ts, f->rule);
		} else if (f->object != NULL && (strstr(f->object, "vault-token") != NULL ||
						 strncmp(f->object, "/vault/secrets/", 15) == 0)) {
			vault_token_of(db, inc, vault_owner(f->object, w, &owner), f->ts, f->rule);
		} else if (r->exposes == EXPOSES_SA_TOKEN) {
			struct podinfo pi;

			if (pod_info(db, w, &pi)) {
				snprintf(loc, sizeof(loc), "sa-token:%s/%s", pi.ns, pi.sa);
				add_exposed(inc, loc, f->ts, f->rule);
			}
		} else if (f->object != NULL && host != NULL) {
			snprintf(loc, sizeof(loc), "file:%s:%s", host, f->object);
			add_exposed(inc, loc, f->ts, f->rule);
		}
		break;
	case EXPOSES_ENV: {
		char subject[600];
		size_t before = inc->nex;
		int from_spec;

		if (strcmp(w->kind, "function") == 0) {
			function_env(db, inc, w, f);
			break;
		}
		if (strcmp(w->kind, "ci-job") == 0) {
			struct ci_sec a = { inc, w, f };

			ci_job_secrets(db, w, ci_secret, &a);
			ci_vault_tokens(db, inc, w, f->ts, f->rule);
			if (f->cred_id != NULL) {
				add_cred(inc, "aws", f->cred_id, f->identity, f->ts);
			} else if (w->ci_principal[0]) {
				/* GCP federation: the account's token it generated, or the
				 * federated token itself; neither has an id in any log */
				char id[700];
				struct cred *cr;

				snprintf(id, sizeof(id), "token:%s", w->identity);
				if ((cr = add_cred(inc, "gcp", id, w->identity, f->ts)) != NULL)
					cr->used_after = 1; /* its use from outside is the signal */
			}
			break;
		}
		from_spec = env_secrets(db, inc, w, f->ts, f->rule);
		if (strcmp(f->rule, "CRED-05") == 0)
			hunted_files(c, db, inc, w, f, host);

		if (w->container_id[0])
			snprintf(subject, sizeof(subject), "%.64s", w->container_id);
		else if (w->pod_name[0])
			snprintf(subject, sizeof(subject), "%s/%s", w->pod_ns, w->pod_name);
		else
			break;
		if (graph_reach(c->s, subject, 2, NULL, &g) == CD_OK)
			secrets_from(inc, &g, host, f->ts, f->rule, "env:");
		graph_result_release(&g);
		if (inc->nex == before && !from_spec) {
			snprintf(loc, sizeof(loc), "env:%s:*",
				 w->pod_name[0] ? subject : c->w[f->wl].key + 4);
			add_exposed(inc, loc, f->ts, f->rule);
		}
		vault_token_of(db, inc, w, f->ts, f->rule);
		break;
	}
	case EXPOSES_IMDS:
		if (host != NULL) {
			snprintf(loc, sizeof(loc), "imds:%s", host);
			add_exposed(inc, loc, f->ts, f->rule);
		}
		break;
	case EXPOSES_KUBELET:
		if (host != NULL) {
			snprintf(loc, sizeof(loc), "kubelet-cred:%s", host);
			add_exposed(inc, loc, f->ts, f->rule);
		}
		break;
	}
}

/*
 * Whether another root workload contacted the same node's instance
 * metadata after this exposure and no later than a use at use_ts: the
 * instance role is shared by every pod of the node, so its anomalous use
 * belongs to the workload whose (non-allow-listed) IMDS contact came last
 * before it, not to every workload that ever contacted IMDS there.
 */
static int
imds_taken_later(const struct inc_ctx *c, const struct incident *inc, const char *node,
		 int64_t exposed_ts, int64_t use_ts)
{
	size_t k;

	for (k = 0; k < c->nf; k++) {
		const struct finding *f = &c->f[k];
		const struct rule *r;
		const char *host;

		if (f->ts <= exposed_ts || f->ts > use_ts + SKEW_NS)
			continue;
		if (f->wl < 0 || wl_root_of(c, f->wl) == inc->root)
			continue;
		r = ruleset_find(c->rs, f->rule);
		host = c->w[f->wl].d.host[0] ? c->w[f->wl].d.host : f->host;
		if (r != NULL && r->exposes == EXPOSES_IMDS && host != NULL && strcmp(host, node) == 0)
			return 1;
	}
	return 0;
}

/*
 * The last metadata contact of this incident's workloads on node: IMDS
 * hands out the session current then, so one the instance was issued
 * later (its routine renewal) was never the workload's.
 */
static int64_t
imds_last_contact(const struct inc_ctx *c, const struct incident *inc, const char *node, int64_t ts)
{
	size_t k;

	for (k = 0; k < c->nf; k++) {
		const struct finding *f = &c->f[k];
		const struct rule *r;
		const char *host;

		if (f->wl < 0 || wl_root_of(c, f->wl) != inc->root || f->ts <= ts)
			continue;
		r = ruleset_find(c->rs, f->rule);
		host = c->w[f->wl].d.host[0] ? c->w[f->wl].d.host : f->host;
		if (r != NULL && r->exposes == EXPOSES_IMDS && host != NULL && strcmp(host, node) == 0)
			ts = f->ts;
	}
	return ts;
}

/* Node-role sessions: "assumed-role/ROLE/i-..." with the node's instance id. */
static void
imds_sessions(const struct inc_ctx *c, sqlite3 *db, struct incident *inc, const struct exposed *e)
{
	sqlite3_stmt *st;
	char pattern[600];
	const char *node = strchr(e->locator, ':') + 1;
	const struct rule *via = ruleset_find(c->rs, e->via);
	/* an IMDS contact (not a whole-node escape) holds the role's keys only
	 * for their lifetime, and only until another workload's contact */
	int contact = via != NULL && via->exposes == EXPOSES_IMDS;
	char *iid = NULL;
	int nodes_known = 0;
	sqlite3_stmt *issued = NULL;
	int64_t last = e->ts;

	/* the node's instance id: the locator may name it already ("imds:i-...") */
	if (strncmp(node, "i-", 2) == 0 && strspn(node + 2, "0123456789abcdef") == strlen(node + 2))
		iid = xstrdup(node);
	if (iid == NULL &&
	    sqlite3_prepare_v2(db,
			       "SELECT json_extract(attrs, '$.instance_id'), (SELECT count(*) FROM graph_nodes"
			       " WHERE kind = 'node') FROM graph_nodes WHERE kind = 'node' AND key = ?1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
			iid = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (iid == NULL &&
	    sqlite3_prepare_v2(db, "SELECT 1 FROM graph_nodes WHERE kind = 'node' LIMIT 1", -1, &st, NULL) ==
		    SQLITE_OK) {
		nodes_known = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	/* an inventory that lists nodes but not this one's instance: another
	 * node's session is not this node's */
	if (iid == NULL && nodes_known)
		return;
	/* without the node's instance id (no kubectl inventory), any node-role
	 * style session ("/i-...") that was used anomalously after exposure;
	 * only the sessions used anomalously are the attacker's copies.
	 * Findings drive the join (CROSS JOIN keeps that order): they are few. */
	snprintf(pattern, sizeof(pattern), "%%:assumed-role/%%/%s", iid ? iid : "i-%");
	free(iid);
	if (sqlite3_prepare_v2(db,
			       "SELECT e.cred_id, e.actor, e.ts_ns FROM findings f CROSS JOIN events e"
			       " ON e.id = f.event_id WHERE f.class = 'usage-anomaly'"
			       " AND e.source = 'cloudtrail' AND e.actor LIKE ?1 AND e.cred_id IS NOT NULL"
			       " AND e.ts_ns >= ?2 AND e.ts_ns <= ?3 ORDER BY e.ts_ns",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	if (contact) {
		last = imds_last_contact(c, inc, node, e->ts);
		if (sqlite3_prepare_v2(db, "SELECT min(ts_ns) FROM events WHERE issued_cred = ?1", -1, &issued,
				       NULL) != SQLITE_OK)
			issued = NULL;
	}
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, e->ts - SKEW_NS);
	sqlite3_bind_int64(st, 3, e->ts + (contact ? IMDS_LIFE_NS : LOOKBACK_NS));
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t use_ts = sqlite3_column_int64(st, 2);

		if (contact && imds_taken_later(c, inc, node, e->ts, use_ts))
			continue;
		/* issued to the instance after the workload last asked: not its */
		if (issued != NULL) {
			int later;

			sqlite3_bind_text(issued, 1, (const char *)sqlite3_column_text(st, 0), -1, SQLITE_TRANSIENT);
			later = sqlite3_step(issued) == SQLITE_ROW && sqlite3_column_type(issued, 0) != SQLITE_NULL &&
				sqlite3_column_int64(issued, 0) > last + SKEW_NS;
			sqlite3_reset(issued);
			if (later)
				continue;
		}
		add_cred(inc, "aws", (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1), e->ts);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(issued);
}

/* Bound tokens (JTIs) of a service account or node identity used anomalously
 * after exposure; driven by the (few) usage findings. */
static void
k8s_tokens(sqlite3 *db, struct incident *inc, const char *actor, int64_t ts)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT e.cred_id, e.actor FROM findings f CROSS JOIN events e"
			       " ON e.id = f.event_id WHERE f.class = 'usage-anomaly' AND f.identity = ?1"
			       " AND e.source = 'k8saudit' AND e.cred_id IS NOT NULL AND e.ts_ns >= ?2"
			       " AND e.ts_ns <= ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts - SKEW_NS);
	sqlite3_bind_int64(st, 3, ts + LOOKBACK_NS);
	while (sqlite3_step(st) == SQLITE_ROW)
		add_cred(inc, "k8s", (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1), ts);
	sqlite3_finalize(st);
}

/*
 * The bound tokens (JTIs) of one pod that an exposure at ts gave away: the
 * one in its token file then (of the tokens the pod ever used, the newest
 * issued or first seen by then), and any token of the pod used from an
 * address other than the pod's own after it (a copy: after a host escape
 * the attacker holds the node and takes the tokens kubelet writes later).
 * The other replicas' tokens were not in this pod's file.  Without the
 * pod's address, a later use counts when a usage anomaly fired on it.
 */
static void
pod_tokens(sqlite3 *db, struct incident *inc, const char *actor, const char *uid, const char *ip,
	   const char *kubelet, const char *sa_object, int64_t ts)
{
	sqlite3_stmt *st;

	/* kubelet's TokenRequests name no pod (below RequestResponse level): when
	 * the pod is its account's only one on the node, the node's requests for
	 * the account are the pod's (kubelet, sa_object non-NULL) */
	if (sqlite3_prepare_v2(db,
			       "SELECT cred_id, actor, born FROM ("
			       " SELECT j.cred_id, j.actor, min(j.seen, coalesce((SELECT min(b.ts_ns) FROM events b"
			       "  WHERE b.issued_cred = j.cred_id), j.seen)) AS born"
			       " FROM (SELECT cred_id, actor, min(ts_ns) AS seen FROM events WHERE pod_uid = ?1"
			       "  AND actor = ?2 AND source = 'k8saudit' AND cred_id IS NOT NULL GROUP BY cred_id) j"
			       " UNION ALL SELECT issued_cred, ?2, ts_ns FROM events WHERE ?4 IS NOT NULL"
			       "  AND actor_key = ?5 AND actor = ?4 AND object = ?6 AND issued_cred IS NOT NULL"
			       "  AND action = 'create serviceaccounts/token')"
			       " WHERE born <= ?3 ORDER BY born DESC LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, ts + SKEW_NS);
		if (kubelet != NULL) {
			sqlite3_bind_text(st, 4, kubelet, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, store_text_key(kubelet));
			sqlite3_bind_text(st, 6, sa_object, -1, SQLITE_STATIC);
		}
		if (sqlite3_step(st) == SQLITE_ROW)
			add_cred(inc, "k8s", (const char *)sqlite3_column_text(st, 0),
				 (const char *)sqlite3_column_text(st, 1), ts);
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT e.cred_id, e.actor FROM events e WHERE e.pod_uid = ?1"
			       " AND e.actor = ?2 AND e.source = 'k8saudit' AND e.cred_id IS NOT NULL"
			       " AND e.ts_ns >= ?3 AND e.ts_ns <= ?4"
			       " AND (CASE WHEN ?5 = '' THEN EXISTS(SELECT 1 FROM findings f WHERE"
			       "  f.event_id = e.id AND f.class = 'usage-anomaly')"
			       "  ELSE e.src_ip IS NOT ?5 END)",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts - SKEW_NS);
	sqlite3_bind_int64(st, 4, ts + LOOKBACK_NS);
	sqlite3_bind_text(st, 5, ip ? ip : "", -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		add_cred(inc, "k8s", (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1), ts);
	sqlite3_finalize(st);
}

/* Whether the inventory has one pod of account ns/sa on node. */
static int
sole_pod_on_node(sqlite3 *db, const char *ns, const char *sa, const char *node)
{
	sqlite3_stmt *st;
	char lo[300], hi[300];
	int n = 0;

	snprintf(lo, sizeof(lo), "%s/", ns);
	snprintf(hi, sizeof(hi), "%s0", ns);
	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM graph_nodes WHERE kind = 'pod' AND key >= ?1 AND key < ?2"
			       " AND json_valid(attrs) AND json_extract(attrs, '$.sa') = ?3"
			       " AND json_extract(attrs, '$.node') = ?4",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sa, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, node, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n == 1;
}

/*
 * A service account's token exposed: the tokens of the pods whose files
 * were readable, the root pod's and those of every pod of the account on
 * an escaped node (the inventory names them).  With no inventory pod to
 * go by, the root pod's own, or the account's tokens used anomalously.
 */
/* When the node escaped (its kubelet credentials exposed), not before ts. */
static int64_t
node_exposed_at(const struct incident *inc, const char *node, int64_t ts)
{
	char loc[400];
	int64_t at = INT64_MAX;
	size_t i;

	snprintf(loc, sizeof(loc), "kubelet-cred:%s", node);
	for (i = 0; i < inc->nex; i++)
		if (strcmp(inc->ex[i].locator, loc) == 0 && inc->ex[i].ts < at)
			at = inc->ex[i].ts;
	return at != INT64_MAX && at > ts ? at : ts;
}

static void
sa_tokens(sqlite3 *db, struct incident *inc, const char *ns, const char *sa, const char *actor,
	  const struct workload *root, int64_t ts)
{
	sqlite3_stmt *st;
	char lo[300], hi[300];
	int pods = 0;

	snprintf(lo, sizeof(lo), "%s/", ns);
	snprintf(hi, sizeof(hi), "%s0", ns); /* '0' follows '/' */
	if (sqlite3_prepare_v2(db,
			       "SELECT json_extract(attrs, '$.uid'), json_extract(attrs, '$.node'),"
			       " json_extract(attrs, '$.pod_ip') FROM graph_nodes WHERE kind = 'pod'"
			       " AND key >= ?1 AND key < ?2 AND json_valid(attrs)"
			       " AND json_extract(attrs, '$.sa') = ?3",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, sa, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *uid = (const char *)sqlite3_column_text(st, 0);
			const char *node = (const char *)sqlite3_column_text(st, 1);
			char kubelet[400], object[600];
			int readable = 0;
			size_t k;

			if (uid == NULL)
				continue;
			int64_t at = ts;

			readable = strcmp(uid, root->pod_uid) == 0;
			for (k = 0; k < inc->escaped_nodes.n && !readable && node != NULL; k++)
				readable = strcmp(inc->escaped_nodes.s[k], node) == 0;
			if (!readable)
				continue;
			/* another pod's token is readable from the node once the node
			 * escaped: the one in its file then, not when the root's was read */
			if (strcmp(uid, root->pod_uid) != 0)
				at = node_exposed_at(inc, node, ts);
			snprintf(kubelet, sizeof(kubelet), "system:node:%s", node ? node : "");
			snprintf(object, sizeof(object), "%s/serviceaccounts/%s", ns, sa);
			pod_tokens(db, inc, actor, uid, (const char *)sqlite3_column_text(st, 2),
				   node != NULL && sole_pod_on_node(db, ns, sa, node) ? kubelet : NULL, object, at);
			pods++;
		}
		sqlite3_finalize(st);
	}
	if (pods > 0)
		return;
	if (root->pod_uid[0] && strcmp(ns, root->pod_ns) == 0)
		pod_tokens(db, inc, actor, root->pod_uid, NULL, NULL, NULL, ts);
	else
		k8s_tokens(db, inc, actor, ts);
}

/* Dynamic credentials that no inventory lists: sessions, bound tokens. */
static void
credentials_of_exposure(const struct inc_ctx *c, sqlite3 *db, struct incident *inc,
			const struct exposed *e, const struct workload *root)
{
	char actor[700];
	const char *rest = strchr(e->locator, ':') + 1;

	if (strcmp(e->kind, "imds") == 0) {
		imds_sessions(c, db, inc, e);
	} else if (strcmp(e->kind, "sa-token") == 0) {
		const char *slash = strchr(rest, '/');
		char ns[256];

		if (slash == NULL)
			return;
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - rest), rest);
		snprintf(actor, sizeof(actor), "system:serviceaccount:%s:%s", ns, slash + 1);
		{
			char key[760];

			snprintf(key, sizeof(key), "k8s:%s", actor);
			strv_add_unique(&inc->identities, key);
		}
		sa_tokens(db, inc, ns, slash + 1, actor, root, e->ts);
	} else if (strcmp(e->kind, "kubelet-cred") == 0) {
		char key[760];

		snprintf(actor, sizeof(actor), "system:node:%s", rest);
		snprintf(key, sizeof(key), "k8s:%s", actor);
		strv_add_unique(&inc->identities, key);
		k8s_tokens(db, inc, actor, e->ts);
	}
}

/*
 * For a credential ?1 exposed at ?2: the event came from an address
 * outside its history before ?2, when ?3 (key material: its owner uses it
 * all day from its own hosts, after the exposure as before); any event
 * when not.
 */
#define NEW_ADDR_SQL \
	" (?3 = 0 OR (src_ip IS NOT NULL AND src_ip NOT IN (SELECT h.src_ip FROM events h" \
	" WHERE h.cred_id = ?1 AND h.ts_ns < ?2 AND h.src_ip IS NOT NULL)))"

/*
 * Secrets the API handed to an exposed credential after its exposure: a
 * `get secrets` exposes that secret, a `list secrets` every secret of the
 * namespace the inventory knows.  Any credential the Kubernetes audit
 * names, not only Kubernetes' own: on EKS an IAM session authenticates
 * (user.extra.accessKeyId), so a node role's stolen session reading
 * secrets as system:node:... exposes what they hold (S9; a fresh
 * generator seed, 80808, had the node's session read the Secret holding
 * an AKIA key, and the key was not reported), and a stolen client
 * certificate's reads do too, those from its owner's own addresses not.
 */
static void
secrets_read_by(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st, *ns_st;
	size_t i, n = inc->ncr;

	if (sqlite3_prepare_v2(db,
			       "SELECT action, object, ts_ns FROM events WHERE source = 'k8saudit'"
			       " AND cred_id = ?1 AND ts_ns >= ?2 AND outcome = 'success'"
			       " AND action IN ('get secrets', 'list secrets', 'watch secrets') AND" NEW_ADDR_SQL,
			       -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db,
			       "SELECT key FROM graph_nodes WHERE kind = 'secret' AND key >= ?1"
			       " AND key < ?2 AND instr(substr(key, length(?1) + 1), '/') = 0",
			       -1, &ns_st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 1, inc->cr[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, inc->cr[i].exposed_ts - SKEW_NS);
		sqlite3_bind_int(st, 3, credid_kind(inc->cr[i].id) != NULL);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *act = (const char *)sqlite3_column_text(st, 0);
			const char *o = (const char *)sqlite3_column_text(st, 1);
			int64_t ts = sqlite3_column_int64(st, 2);
			const char *mid = o ? strstr(o, "/secrets") : NULL;
			char loc[700], hi[700];

			if (mid == NULL)
				continue;
			if (strcmp(act, "get secrets") == 0 && mid[8] == '/') {
				snprintf(loc, sizeof(loc), "k8s-secret:%.*s/%s", (int)(mid - o), o, mid + 9);
				add_exposed(inc, loc, ts, "USE-03");
				continue;
			}
			snprintf(loc, sizeof(loc), "k8s-secret:%.*s/", (int)(mid - o), o);
			snprintf(hi, sizeof(hi), "k8s-secret:%.*s0", (int)(mid - o), o);
			sqlite3_bind_text(ns_st, 1, loc, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ns_st, 2, hi, -1, SQLITE_TRANSIENT);
			while (sqlite3_step(ns_st) == SQLITE_ROW)
				add_exposed(inc, (const char *)sqlite3_column_text(ns_st, 0), ts,
					    "list secrets");
			sqlite3_reset(ns_st);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ns_st);
}

/* Use after exposure and the anomalies found on it; usage findings join the story. */
static void
usage_of(struct inc_ctx *c, sqlite3 *db, struct incident *inc)
{
	size_t i, k;
	sqlite3_stmt *used;

	/* key material (?3): its owner logs in with it all day from its own
	 * hosts, after the exposure as before, so only a use from an address
	 * outside its history before the exposure is the exposure's use */
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM events WHERE cred_id = ?1 AND ts_ns >= ?2 AND" NEW_ADDR_SQL " LIMIT 1",
			       -1, &used, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < inc->ncr; i++) {
		struct cred *cr = &inc->cr[i];
		struct strv ids = { 0 };
		size_t a;

		/* the ids other relying parties know it by (a certificate's
		 * SHA-256 in Kubernetes audit): its use under them is its use */
		strv_add_unique(&ids, cr->id);
		keymat_aliases(db, cr->id, &ids);
		cr->used_after = cr->used_after && strncmp(cr->id, "token:", 6) == 0;
		for (a = 0; a < ids.n; a++) {
			sqlite3_bind_text(used, 1, ids.s[a], -1, SQLITE_STATIC);
			sqlite3_bind_int64(used, 2, cr->exposed_ts - SKEW_NS);
			sqlite3_bind_int(used, 3, credid_kind(ids.s[a]) != NULL);
			/* a GCP service's token (no id in any event) was used by its signal */
			if (sqlite3_step(used) == SQLITE_ROW)
				cr->used_after = 1;
			sqlite3_reset(used);
		}
		for (k = 0; k < c->nf; k++) {
			const struct finding *f = &c->f[k];
			int alias = 0;

			if (strcmp(f->cls, "usage-anomaly") != 0 || f->ts < cr->exposed_ts - SKEW_NS)
				continue;
			for (a = 1; a < ids.n && f->cred_id; a++)
				alias |= strcmp(f->cred_id, ids.s[a]) == 0;
			if (!((f->cred_id && (strcmp(f->cred_id, cr->id) == 0 || alias)) ||
			      (f->identity && cr->identity && strcmp(f->identity, cr->identity) == 0 &&
			       f->cred_id == NULL)))
				continue;
			strv_add_unique(&cr->anomalies, f->rule);
			inc->anomalous_use = 1;
			{
				size_t q;
				int dup = 0;

				for (q = 0; q < inc->nsig; q++)
					if (inc->sig[q] == (int64_t)k)
						dup = 1;
				if (!dup) {
					inc->sig = xrealloc(inc->sig, (inc->nsig + 1) * sizeof(int64_t));
					inc->sig[inc->nsig++] = (int64_t)k;
				}
			}
		}
		strv_release(&ids);
	}
	sqlite3_finalize(used);
}

/*
 * Short-lived credentials learned from logs (bound tokens, STS sessions,
 * Vault tokens) matter only if they were alive at exposure: issued within
 * the longest usual lifetime before it (LIVE_NS), or seen used after it.
 * Long-lived ones (AKIA keys, service-account keys, mapped secrets) always
 * matter.
 */

/* arn:aws:sts::A:assumed-role/NAME/SESSION -> arn:aws:iam::A:role/NAME */
static void role_of_session(const char *arn, char *out, size_t cap);

/* Two credentials of one principal (a role's sessions count as the role). */
static int
same_principal(const struct cred *a, const struct cred *b)
{
	char ra[600], rb[600];

	if (a->identity == NULL || b->identity == NULL)
		return 0;
	role_of_session(a->identity, ra, sizeof(ra));
	role_of_session(b->identity, rb, sizeof(rb));
	return strcmp(ra[0] ? ra : a->identity, rb[0] ? rb : b->identity) == 0;
}

static void session_arn(sqlite3 *db, const struct cred *cr, char *out, size_t cap);

/*
 * Whether credential b, issued later, supersedes a: a kubelet's newer
 * token of one identity, or the same role session renewed (IMDS serves
 * an instance the newest of its sessions).  A session is compared by the
 * ARN CloudTrail signed it with, not by the identity the report names for
 * it: an EKS node session also maps to system:node:NAME, and compared as
 * that it was never recognised as the node role's older session.
 */
static int
supersedes(sqlite3 *db, const struct cred *a, const struct cred *b)
{
	char sa[700], sb[700];

	if (strncmp(a->id, b->id, 4) != 0)
		return 0;
	if (strncmp(a->id, "ASIA", 4) == 0) {
		session_arn(db, a, sa, sizeof(sa));
		session_arn(db, b, sb, sizeof(sb));
		if (sa[0] && sb[0])
			return strcmp(sa, sb) == 0;
	}
	return same_principal(a, b);
}

static int
short_lived(const struct cred *cr)
{
	return strncmp(cr->id, "JTI=", 4) == 0 || strncmp(cr->id, "ASIA", 4) == 0 ||
	       strcmp(cr->provider, "vault") == 0;
}

/*
 * Of the short-lived credentials never used after exposure, keep the one
 * live then: per identity, the newest issued by the exposure (IMDS serves
 * and kubelet holds the newest; an older one had been superseded), and
 * only if issued within the longest usual lifetime before it.
 */
static void
prune_stale(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	int64_t *issued;
	int *keep;
	size_t i, j, k;

	if (sqlite3_prepare_v2(db, "SELECT max(ts_ns) FROM events WHERE issued_cred = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	issued = xmalloc((inc->ncr + 1) * sizeof(*issued));
	for (i = 0; i < inc->ncr; i++) {
		issued[i] = INT64_MIN;
		if (!short_lived(&inc->cr[i]))
			continue;
		sqlite3_bind_text(st, 1, inc->cr[i].id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			issued[i] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	/* decide every keep first: the choice compares credentials with each other */
	keep = xmalloc((inc->ncr + 1) * sizeof(*keep));
	for (i = 0; i < inc->ncr; i++) {
		const struct cred *cr = &inc->cr[i];

		keep[i] = 1;
		if (!cr->used_after && short_lived(cr)) {
			keep[i] = issued[i] != INT64_MIN && issued[i] >= cr->exposed_ts - LIVE_NS;
			for (k = 0; k < inc->ncr && keep[i]; k++)
				if (k != i && issued[k] > issued[i] && issued[k] <= cr->exposed_ts + SKEW_NS &&
				    supersedes(db, cr, &inc->cr[k]))
					keep[i] = 0; /* superseded before the exposure */
		}
	}
	for (i = j = 0; i < inc->ncr; i++) {
		struct cred *cr = &inc->cr[i];

		if (keep[i]) {
			inc->cr[j++] = *cr;
		} else {
			free(cr->provider);
			free(cr->id);
			free(cr->identity);
			strv_release(&cr->anomalies);
			strv_release(&cr->evidence);
		}
	}
	free(keep);
	inc->ncr = j;
	free(issued);
}

/* ---- network joins ---------------------------------------------------------- */

/* An address of the attacker's: where it came from (for the evidence). */
struct naddr {
	char ip[64];
	int64_t ts;
	char why[400];
};

struct naddrs {
	struct naddr *a;
	size_t n;
};

static void
naddr_add(struct naddrs *v, const char *ip, int64_t ts, const char *why)
{
	size_t i;

	if (ip == NULL || *ip == '\0' || strlen(ip) >= sizeof(v->a[0].ip))
		return;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->a[i].ip, ip) == 0) {
			if (ts < v->a[i].ts) {
				v->a[i].ts = ts;
				snprintf(v->a[i].why, sizeof(v->a[i].why), "%s", why);
			}
			return;
		}
	v->a = xrealloc(v->a, (v->n + 1) * sizeof(*v->a));
	snprintf(v->a[v->n].ip, sizeof(v->a[v->n].ip), "%s", ip);
	v->a[v->n].ts = ts;
	snprintf(v->a[v->n].why, sizeof(v->a[v->n].why), "%s", why);
	v->n++;
}

/*
 * The public addresses the incident's credentials were first used from
 * after their exposure (per "*addr" baselines: an address the credential
 * had used before is its own, not the attacker's), and those its
 * workloads connected to.
 */
/*
 * Whether ip is a function workload's own: one of the incident's functions
 * called from it with one of its sessions before `before` (its NAT, its
 * environment's address).  A stolen session's first use by the function
 * itself is not the attacker's address.
 */
static int
function_own_address(sqlite3 *db, const struct incident *inc, const char *ip, int64_t before)
{
	sqlite3_stmt *st;
	size_t i;
	int own = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM graph_nodes f JOIN graph_edges m ON m.src = f.id AND m.type = 'mounts'"
			       " JOIN graph_edges x ON x.src = m.dst AND x.type = 'exposes'"
			       " JOIN graph_nodes c ON c.id = x.dst AND c.kind = 'credential'"
			       " JOIN events e ON e.cred_id = substr(c.key, 5)"
			       " WHERE f.kind = 'function' AND f.key = ?1 AND e.src_ip = ?2 AND e.ts_ns <= ?3 LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	for (i = 0; i < inc->members.n && !own; i++) {
		if (strncmp(inc->members.s[i], "fn:", 3) != 0)
			continue;
		sqlite3_bind_text(st, 1, inc->members.s[i] + 3, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, before);
		own = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return own;
}

static int
naddr_has(const struct naddrs *v, const char *ip)
{
	size_t i;

	for (i = 0; ip != NULL && i < v->n; i++)
		if (strcmp(v->a[i].ip, ip) == 0)
			return 1;
	return 0;
}

/*
 * Whether a role session's address was its role's before: a session is
 * new everywhere, so its first use from the node's NAT says nothing of
 * the attacker; only an address none of the role's sessions used before
 * the exposure does (as USE-11 judges).
 */
static int
role_used_address(sqlite3 *db, const struct cred *cr, const char *ip, int64_t before)
{
	char arn[700], pattern[720];
	const char *p, *slash;
	sqlite3_stmt *st;
	int used = 0;

	if (strncmp(cr->id, "ASIA", 4) != 0)
		return 0;
	session_arn(db, cr, arn, sizeof(arn));
	p = strstr(arn, ":assumed-role/");
	slash = p ? strchr(p + 14, '/') : NULL;
	if (slash == NULL)
		return 0;
	snprintf(pattern, sizeof(pattern), "%.*s/%%", (int)(slash - arn), arn);
	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM events WHERE src_ip = ?1 AND ts_ns < ?2 AND actor LIKE ?3"
			       " AND source = 'cloudtrail' LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_text(st, 3, pattern, -1, SQLITE_STATIC);
	used = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return used;
}

static void
attacker_addresses(sqlite3 *db, const struct incident *inc, int64_t t0, struct naddrs *out)
{
	sqlite3_stmt *uses = NULL, *conn = NULL;
	size_t i;
	char when[40], why[400];

	if (sqlite3_prepare_v2(db,
			       "SELECT b.entity, b.first_ns FROM (SELECT DISTINCT src_ip FROM events WHERE cred_id = ?1"
			       " AND ts_ns >= ?2 AND src_ip IS NOT NULL) u JOIN baselines b ON b.rule = '*addr'"
			       " AND b.entity = u.src_ip AND b.value = ?1 WHERE b.first_ns >= ?2",
			       -1, &uses, NULL) == SQLITE_OK) {
		for (i = 0; i < inc->ncr; i++) {
			sqlite3_bind_text(uses, 1, inc->cr[i].id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(uses, 2, inc->cr[i].exposed_ts - SKEW_NS);
			while (sqlite3_step(uses) == SQLITE_ROW) {
				int64_t ts = sqlite3_column_int64(uses, 1);

				if (function_own_address(db, inc, (const char *)sqlite3_column_text(uses, 0),
							 inc->cr[i].exposed_ts) ||
				    role_used_address(db, &inc->cr[i], (const char *)sqlite3_column_text(uses, 0),
						      inc->cr[i].exposed_ts) ||
				    ci_runner_address(db, &inc->members, (const char *)sqlite3_column_text(uses, 0),
						      inc->cr[i].exposed_ts))
					continue;
				time_format(ts, when, sizeof(when));
				snprintf(why, sizeof(why), "%s of this incident was first used from %s at %s",
					 inc->cr[i].id, (const char *)sqlite3_column_text(uses, 0), when);
				naddr_add(out, (const char *)sqlite3_column_text(uses, 0), ts, why);
			}
			sqlite3_reset(uses);
		}
		sqlite3_finalize(uses);
	}
	/* where the workloads connected to or sent data */
	if (sqlite3_prepare_v2(db,
			       "SELECT dst, ts_ns FROM events WHERE container_id >= ?1 AND container_id < ?2"
			       " AND dst IS NOT NULL AND ts_ns >= ?3 AND source IN ('auditd', 'falco', 'tetragon', 'tracee')",
			       -1, &conn, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < inc->members.n; i++) {
		const char *key = inc->members.s[i];
		char lo[80], hi[80], ip[64];
		size_t n;

		if (strncmp(key, "ctr:", 4) != 0)
			continue;
		snprintf(lo, sizeof(lo), "%s", key + 4);
		snprintf(hi, sizeof(hi), "%s", key + 4);
		n = strlen(hi);
		if (n == 0)
			continue;
		hi[n - 1]++;
		sqlite3_bind_text(conn, 1, lo, -1, SQLITE_STATIC);
		sqlite3_bind_text(conn, 2, hi, -1, SQLITE_STATIC);
		sqlite3_bind_int64(conn, 3, t0 - SKEW_NS);
		while (sqlite3_step(conn) == SQLITE_ROW) {
			const char *dst = (const char *)sqlite3_column_text(conn, 0);
			const char *colon = strrchr(dst, ':'), *rb = strchr(dst, ']');
			size_t len = colon != NULL && strchr(dst, ':') == colon ? (size_t)(colon - dst) : strlen(dst);

			/* "[v6]:port": the address inside the brackets, as the
			 * control plane's logs write it */
			if (dst[0] == '[' && rb != NULL) {
				dst++;
				len = (size_t)(rb - dst);
			}
			if (len == 0 || len >= sizeof(ip) || dst[0] == '/')
				continue;
			memcpy(ip, dst, len);
			ip[len] = '\0';
			time_format(sqlite3_column_int64(conn, 1), when, sizeof(when));
			snprintf(why, sizeof(why), "%s connected to %s at %s", key, ip, when);
			naddr_add(out, ip, sqlite3_column_int64(conn, 1), why);
		}
		sqlite3_reset(conn);
	}
	sqlite3_finalize(conn);
}

/* The provider and identity of a credential, from any event that used it. */
static void
cred_owner(sqlite3 *db, const char *id, char *prov, size_t pcap, char *who, size_t wcap)
{
	sqlite3_stmt *st;

	snprintf(prov, pcap, "%s", strncmp(id, "AKIA", 4) == 0 || strncmp(id, "ASIA", 4) == 0 ? "aws"
				   : strncmp(id, "JTI=", 4) == 0 ? "k8s" : "unknown");
	who[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT source, actor FROM events WHERE cred_id = ?1 AND actor IS NOT NULL LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *src = (const char *)sqlite3_column_text(st, 0);

		if (strcmp(prov, "unknown") == 0)
			snprintf(prov, pcap, "%s", strcmp(src, "cloudtrail") == 0 ? "aws"
					   : strcmp(src, "k8saudit") == 0 ? "k8s"
					   : strcmp(src, "gcpaudit") == 0 ? "gcp" : src);
		snprintf(who, wcap, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
}

/*
 * Network joins and learned secret contents: a credential first used,
 * after the incident's exposure, from an address of the attacker's (one
 * the incident's credentials were newly used from, or one its workloads
 * connected to) belongs to the incident.  Confidence is high when that was
 * the credential's first use at all (a long-lived key nobody had used in
 * the logs, typically the content of a secret returned or a file read just
 * before, which no inventory maps), medium when only the address is new.
 */
static void
network_joins(sqlite3 *db, struct incident *inc)
{
	struct naddrs addrs = { 0 };
	sqlite3_stmt *st = NULL, *first = NULL;
	int64_t t0 = INT64_MAX;
	size_t i;

	for (i = 0; i < inc->nex; i++)
		if (inc->ex[i].ts < t0)
			t0 = inc->ex[i].ts;
	if (t0 == INT64_MAX)
		return;
	attacker_addresses(db, inc, t0, &addrs);
	if (addrs.n == 0 ||
	    sqlite3_prepare_v2(db,
			       "SELECT value, first_ns FROM baselines WHERE rule = '*addr' AND entity = ?1"
			       " AND first_ns >= ?2",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT min(ts_ns) FROM events WHERE cred_id = ?1", -1, &first, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < addrs.n; i++) {
		sqlite3_bind_text(st, 1, addrs.a[i].ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, t0 - SKEW_NS);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			int64_t ts = sqlite3_column_int64(st, 1), ever = ts;
			char prov[32], who[600], when[40], line[700];
			const struct exposed *secret = NULL;
			struct cred *cr;
			size_t k;

			for (k = 0; k < inc->ncr; k++)
				if (strcmp(inc->cr[k].id, id) == 0)
					break;
			if (k < inc->ncr)
				continue; /* already the incident's */
			sqlite3_bind_text(first, 1, id, -1, SQLITE_STATIC);
			if (sqlite3_step(first) == SQLITE_ROW)
				ever = sqlite3_column_int64(first, 0);
			sqlite3_reset(first);
			/* the unmapped secret or file most recently exposed before the use */
			for (k = 0; k < inc->nex; k++) {
				const struct exposed *e = &inc->ex[k];

				if (e->ts <= ts && (strcmp(e->kind, "k8s-secret") == 0 ||
							      strcmp(e->kind, "file") == 0 || strcmp(e->kind, "env") == 0) &&
				    (secret == NULL || e->ts > secret->ts))
					secret = e;
			}
			cred_owner(db, id, prov, sizeof(prov), who, sizeof(who));
			cr = add_cred(inc, prov, id, who[0] ? who : NULL, ts);
			if (cr == NULL)
				continue;
			cr->used_after = 1;
			cr->confidence = ever >= t0 - SKEW_NS ? "high" : "medium";
			strv_add_unique(&cr->evidence, addrs.a[i].why);
			time_format(ts, when, sizeof(when));
			snprintf(line, sizeof(line), "%s%s was first used from %s at %s", id,
				 ever >= t0 - SKEW_NS ? "" : " (used before, never from there)", addrs.a[i].ip, when);
			strv_add_unique(&cr->evidence, line);
			if (secret != NULL) {
				time_format(secret->ts, when, sizeof(when));
				snprintf(line, sizeof(line), "%s was exposed at %s (%s) and may hold it", secret->locator,
					 when, secret->via);
				strv_add_unique(&cr->evidence, line);
			}
		}
		sqlite3_reset(st);
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(first);
	free(addrs.a);
}

/* Whether an exposed secret or file could hold a long-lived cloud key. */
static int
may_hold_key(const struct exposed *e)
{
	if (strcmp(e->kind, "k8s-secret") == 0 || strcmp(e->kind, "env") == 0)
		return 1;
	return strcmp(e->kind, "file") == 0 &&
	       (strstr(e->locator, "/.aws/") != NULL || strstr(e->locator, "credentials") != NULL);
}

/*
 * Whether a key learned from the logs is already said to come from the
 * exposed secret or file at locator (its evidence names it: a network
 * join's "LOCATOR was exposed at ..."), or joined to it by key_file_joins.
 */
static int
key_learned_for(const struct incident *inc, const char *locator)
{
	size_t i, k, n = strlen(locator);

	for (i = 0; i < inc->ncr; i++) {
		const struct cred *cr = &inc->cr[i];

		if (cr->confidence == NULL)
			continue;
		for (k = 0; k < cr->evidence.n; k++)
			if (strncmp(cr->evidence.s[k], locator, n) == 0 &&
			    strncmp(cr->evidence.s[k] + n, " was exposed at ", 16) == 0)
				return 1;
	}
	return 0;
}

/*
 * An unmapped secret or key file exposed, then, within the hour, a
 * long-lived key used from a network it had never used (USE-01), or
 * reading secrets fanned out across regions or many secrets (USE-05: a
 * harvested key's first use, which USE-01 cannot judge when the key has
 * no history in the case): the key is probably the content, though no
 * address ties it to the incident yet.  Confidence low: the responder
 * confirms it (`cordon whois KEY`).
 */
static int
key_file_joins(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	size_t i;
	int joined = 0;
	struct naddrs addrs = { 0 };
	int64_t t0 = INT64_MAX;

	/*
	 * Timing is the fallback for an incident that knows no address of the
	 * attacker yet.  Once it knows some (its credentials used from new
	 * networks, its workloads' connections), a key first used from a new
	 * network none of them is another party's (a job's key from a new
	 * office, in the same hour), not the content of the secret.
	 */
	for (i = 0; i < inc->nex; i++)
		if (inc->ex[i].ts < t0)
			t0 = inc->ex[i].ts;
	if (t0 != INT64_MAX)
		attacker_addresses(db, inc, t0, &addrs);

	if (sqlite3_prepare_v2(db,
			       "SELECT e.cred_id, e.actor, e.ts_ns, e.src_ip FROM findings f CROSS JOIN events e"
			       " ON e.id = f.event_id WHERE f.ts_ns >= ?1 AND f.ts_ns <= ?2"
			       " AND f.rule IN ('USE-01', 'USE-05') AND e.cred_id LIKE 'AKIA%' ORDER BY f.ts_ns",
			       -1, &st, NULL) != SQLITE_OK) {
		free(addrs.a);
		return 0;
	}
	for (i = 0; i < inc->nex; i++) {
		const struct exposed *e = &inc->ex[i];

		if (e->mapped || !may_hold_key(e) || !secret_may_hold_cloud_key(db, e->locator) ||
		    key_learned_for(inc, e->locator))
			continue;
		sqlite3_bind_int64(st, 1, e->ts - SKEW_NS);
		sqlite3_bind_int64(st, 2, e->ts + KEYFILE_USE_NS);
		/* one secret or file, one key: the first new-network use after it */
		while (!key_learned_for(inc, e->locator) && sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			char when[40], line[700];
			struct cred *cr;
			size_t k;

			for (k = 0; k < inc->ncr && strcmp(inc->cr[k].id, id) != 0; k++)
				;
			if (k < inc->ncr)
				continue;
			/* the inventory says where this key lives (a credential
			 * map's file, a secret): an unmapped file is no guess for
			 * it, and that location's own exposure is what explains
			 * its use */
			if (sql_exists_text(db,
					    "SELECT 1 FROM graph_nodes n CROSS JOIN graph_edges g ON g.dst = n.id"
					    " WHERE n.key = 'aws:' || ?1 AND g.type = 'exposes'",
					    id, 0) ||
			    /* the attacker's addresses known: a key used from elsewhere is another's */
			    (addrs.n > 0 && !naddr_has(&addrs, (const char *)sqlite3_column_text(st, 3))))
				continue;
			cr = add_cred(inc, "aws", id, (const char *)sqlite3_column_text(st, 1), e->ts);
			if (cr == NULL)
				continue;
			cr->used_after = 1;
			cr->confidence = "low";
			joined++;
			time_format(e->ts, when, sizeof(when));
			snprintf(line, sizeof(line), "%s was exposed at %s (%s) and no inventory names what it holds",
				 e->locator, when, e->via);
			strv_add_unique(&cr->evidence, line);
			time_format(sqlite3_column_int64(st, 2), when, sizeof(when));
			snprintf(line, sizeof(line), "%s was used from a network it never used (USE-01) at %s, from %s",
				 id, when, (const char *)sqlite3_column_text(st, 3));
			strv_add_unique(&cr->evidence, line);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(addrs.a);
	return joined;
}

static void
add_reach(struct incident *inc, const char *key, struct graph_hit *h)
{
	char prov[32];
	const char *name;
	struct reach *r;
	size_t i;

	split_key(key, prov, sizeof(prov), &name);
	for (i = 0; i < inc->nre; i++)
		if (strcmp(inc->re[i].identity, name) == 0 && strcmp(inc->re[i].provider, prov) == 0)
			return;
	inc->re = xrealloc(inc->re, (inc->nre + 1) * sizeof(*inc->re));
	r = &inc->re[inc->nre++];
	memset(r, 0, sizeof(*r));
	r->provider = xstrdup(prov);
	r->identity = xstrdup(name);
	if (h != NULL) {
		int p;

		for (p = 0; p < h->npath; p++)
			strv_add_unique(&r->path, h->path[p]);
		r->conditional = h->conditional;
	} else {
		strv_add_unique(&r->path, key);
	}
}

/*
 * Whether every session-restricted step on h's path (a trust naming
 * "assumed-role/ROLE/SESSION") admits the session: a role reached by
 * assuming it has sessions of any name (the attacker names them); the
 * role the exposed credential is a session of, only that session's name.
 */
static int
sessions_admit(struct store *s, const struct graph_hit *h, const char *session)
{
	sqlite3_stmt *st = NULL;
	int i, ok = 1;

	for (i = 0; i + 1 < h->npath && ok; i++) {
		const char *detail;

		if (strcmp(h->edges[i], "can-assume-as-session") != 0)
			continue;
		/* a role the attacker assumed on the way: the session name is theirs */
		if (i > 0 && (strncmp(h->edges[i - 1], "can-assume", 10) == 0 ||
			      strcmp(h->edges[i - 1], "assumed") == 0))
			continue;
		if (session == NULL)
			return 0;
		if (st == NULL &&
		    sqlite3_prepare_v2(store_db(s),
				       "SELECT e.detail FROM graph_edges e JOIN graph_nodes a ON a.id = e.src"
				       " JOIN graph_nodes b ON b.id = e.dst WHERE a.kind = 'identity' AND a.key = ?1"
				       " AND b.kind = 'identity' AND b.key = ?2 AND e.type = 'can-assume-as-session'",
				       -1, &st, NULL) != SQLITE_OK)
			return 0;
		sqlite3_bind_text(st, 1, h->path[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, h->path[i + 1], -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_ROW && (detail = (const char *)sqlite3_column_text(st, 0)) != NULL &&
		     strncmp(detail, "session ", 8) == 0 &&
		     (strcmp(detail + 8, "*") == 0 || strcmp(detail + 8, session) == 0);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return ok;
}

/* What subject reaches; session: the role session the exposed credential is
 * (the last part of an assumed-role ARN), or NULL. */
static void
reach_from(struct store *s, struct incident *inc, const char *subject, const char *session)
{
	struct graph_result g = { 0 };
	size_t i;

	if (graph_reach(s, subject, 8, NULL, &g) != CD_OK)
		return;
	for (i = 0; i < g.n; i++)
		if (strcmp(g.hits[i].kind, "identity") == 0 &&
		    strncmp(g.hits[i].key, "k8s:group:", 10) != 0 &&
		    strncmp(g.hits[i].key, "vault:policy/", 13) != 0 && sessions_admit(s, &g.hits[i], session))
			add_reach(inc, g.hits[i].key, &g.hits[i]);
	graph_result_release(&g);
}

/* The role-session ARN a credential is: its identity, or for an AWS
 * temporary key known under another name (EKS maps the node role's keys to
 * system:node:NAME), the session CloudTrail saw using it; "" when none. */
static void
session_arn(sqlite3 *db, const struct cred *cr, char *out, size_t cap)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (cr->identity != NULL && strstr(cr->identity, ":assumed-role/") != NULL) {
		snprintf(out, cap, "%s", cr->identity);
		return;
	}
	if (strncmp(cr->id, "ASIA", 4) != 0 ||
	    sqlite3_prepare_v2(db,
			       "SELECT actor FROM events WHERE cred_id = ?1 AND source = 'cloudtrail'"
			       " AND actor LIKE 'arn:%:assumed-role/%' LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, cr->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The session name of an assumed-role ARN, or NULL. */
static const char *
session_of(const char *arn)
{
	const char *p = arn ? strstr(arn, ":assumed-role/") : NULL;

	p = p ? strchr(p + 14, '/') : NULL;
	return p ? p + 1 : NULL;
}

/* arn:aws:sts::A:assumed-role/NAME/SESSION -> arn:aws:iam::A:role/NAME */
static void
role_of_session(const char *arn, char *out, size_t cap)
{
	const char *p = strstr(arn, ":assumed-role/"), *acct, *name, *slash;

	out[0] = '\0';
	if (p == NULL || strncmp(arn, "arn:aws:sts::", 13) != 0)
		return;
	acct = arn + 13;
	name = p + 14;
	slash = strchr(name, '/');
	snprintf(out, cap, "arn:aws:iam::%.*s:role/%.*s", (int)(p - acct), acct,
		 (int)(slash ? slash - name : (long)strlen(name)), name);
}

static void
plan_rotations(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	size_t i;

	/* k8s secrets handed out (200) to an exposed identity after exposure */
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT object FROM events WHERE source = 'k8saudit'"
			       " AND cred_id = ?1 AND action = 'get secrets' AND outcome = 'success'"
			       " AND object IS NOT NULL",
			       -1, &st, NULL) == SQLITE_OK) {
		for (i = 0; i < inc->ncr; i++) {
			struct strv ids = { 0 };
			size_t a;

			/* a certificate is named by its hash in Kubernetes audit */
			strv_add_unique(&ids, inc->cr[i].id);
			keymat_aliases(db, inc->cr[i].id, &ids);
			for (a = 0; a < ids.n; a++) {
				sqlite3_bind_text(st, 1, ids.s[a], -1, SQLITE_STATIC);
				while (sqlite3_step(st) == SQLITE_ROW) {
					const char *o = (const char *)sqlite3_column_text(st, 0);
					const char *mid = strstr(o, "/secrets/");
					char target[600], whole[700], cm[600];

					if (mid == NULL)
						continue;
					snprintf(target, sizeof(target), "%.*s/%s", (int)(mid - o), o, mid + 9);
					/* cert-manager's Secret: re-issued by its Certificate,
					 * since it would overwrite one rotated by hand */
					snprintf(whole, sizeof(whole), "k8s-secret:%s", target);
					if (keymat_cert_writer(db, whole, cm, sizeof(cm)))
						add_step(inc, "k8s", "reissue-cert", cm,
							 "a certificate's Secret was returned to the exposed "
							 "identity: its Certificate re-issues it with a new key "
							 "(cert-manager would overwrite a Secret rotated by hand)");
					else
						add_step(inc, "k8s", "rotate-secret", target,
							 "secret value was returned to the exposed identity");
				}
				sqlite3_reset(st);
			}
			strv_release(&ids);
		}
		sqlite3_finalize(st);
	}
	/* Vault KV reads that succeeded with an exposed token */
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT object FROM events WHERE source = 'vault'"
			       " AND cred_id = ?1 AND action = 'read' AND outcome = 'success'"
			       " AND object LIKE '%/data/%'",
			       -1, &st, NULL) == SQLITE_OK) {
		for (i = 0; i < inc->ncr; i++) {
			if (strcmp(inc->cr[i].provider, "vault") != 0)
				continue;
			sqlite3_bind_text(st, 1, inc->cr[i].id, -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW)
				add_step(inc, "vault", "rotate-secret",
					 (const char *)sqlite3_column_text(st, 0),
					 "secret was read with the exposed token");
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
}

/* Credentials an exposed credential created: persistence to remove. */
static void
plan_persistence(sqlite3 *db, struct incident *inc, int steps)
{
	sqlite3_stmt *st;
	size_t i, n = inc->ncr;

	if (sqlite3_prepare_v2(db,
			       "SELECT source, action, issued_cred FROM events WHERE cred_id = ?1"
			       " AND issued_cred IS NOT NULL AND ts_ns >= ?2 AND outcome = 'success'",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < n; i++) {
		/* a certificate's logins are its owner's too: keymat_exchanged
		 * tells the attacker's from the routine ones by address */
		if (credid_kind(inc->cr[i].id) != NULL)
			continue;
		sqlite3_bind_text(st, 1, inc->cr[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, inc->cr[i].exposed_ts - SKEW_NS);
		sqlite3_bind_int(st, 3, credid_kind(inc->cr[i].id) != NULL);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *src = (const char *)sqlite3_column_text(st, 0);
			const char *act = (const char *)sqlite3_column_text(st, 1);
			const char *issued = (const char *)sqlite3_column_text(st, 2);

			if (strcmp(src, "cloudtrail") == 0 && act && strcmp(act, "iam:CreateAccessKey") == 0) {
				if (steps)
					add_step(inc, "aws", "delete-key", issued,
						 "access key created with an exposed credential");
				else
					add_cred(inc, "aws", issued, NULL, inc->cr[i].exposed_ts);
			} else if (strcmp(src, "vault") == 0) {
				if (steps)
					add_step(inc, "vault", "revoke-accessor", issued,
						 "token created with an exposed token");
				else
					add_cred(inc, "vault", issued, inc->cr[i].identity,
						 inc->cr[i].exposed_ts);
			}
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* The pod a bound token (JTI) belongs to, from its own API calls: delete it. */
static int
delete_bound_pod(sqlite3 *db, struct incident *inc, const char *jti)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT pod_ns, pod_name FROM events WHERE cred_id = ?1"
			       " AND pod_name IS NOT NULL AND pod_ns IS NOT NULL LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, jti, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char target[600];

		snprintf(target, sizeof(target), "%s/%s", (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1));
		add_step(inc, "k8s", "delete-pod", target,
			 "its bound token was exposed and used: it dies with the pod");
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* The pod was created with hostNetwork (its create request in the
 * Kubernetes audit log says so): a NetworkPolicy cannot isolate it. */
static int
pod_host_network(sqlite3 *db, const char *ns, const char *name)
{
	char object[600];

	snprintf(object, sizeof(object), "%s/pods/%s", ns, name);
	return sql_exists_text(db,
			       "SELECT 1 FROM events WHERE action = 'create pods' AND object = ?1"
			       " AND json_extract(extra, '$.host_network') IS NOT NULL LIMIT 1",
			       object, 0);
}

/*
 * Contain a pod before anything is revoked: a live runtime would otherwise
 * fetch new credentials (a new service-account token, IMDS, a Vault login)
 * right after the old ones are cut.  Isolation (a deny-all NetworkPolicy)
 * keeps the pod and its evidence; deletion, which is what kills its bound
 * tokens, is a separate step to run once the evidence is taken.  A
 * hostNetwork pod ignores NetworkPolicy: its node is cordoned instead.
 */
static void
plan_contain_pod(sqlite3 *db, struct incident *inc, const struct workload *w, int root)
{
	char target[600];

	snprintf(target, sizeof(target), "%s/%s", w->pod_ns, w->pod_name);
	if (pod_host_network(db, w->pod_ns, w->pod_name)) {
		if (w->host[0])
			add_step(inc, "k8s", "cordon-node", w->host,
				 "contain first: the pod uses the host's network, which no NetworkPolicy "
				 "covers; no new pods on its node (scale its controller to zero with "
				 "k8s-scale when known)");
	} else {
		add_step(inc, "k8s", "isolate-pod", target,
			 root ? "contain first, before any revocation: a deny-all NetworkPolicy stops "
				"the live pod from fetching new credentials and keeps its evidence "
				"(deleting it would destroy that evidence)"
			      : "contain first: a workload started from the root one; a deny-all "
				"NetworkPolicy keeps its evidence");
	}
	add_step(inc, "k8s", "delete-pod", target,
		 "a separate step after isolation and evidence capture: the pod's bound "
		 "service-account tokens die only with it");
}

/*
 * A CI job: no new runs of its workflow (each would take a new OIDC token),
 * its self-hosted runner out of the pool (what escaped may persist there),
 * and its role's trust denying the job's subject (a token already minted
 * would otherwise still be exchanged) before the role's sessions are revoked.
 */
static void
plan_contain_ci_job(struct incident *inc, const struct workload *w)
{
	char t[600];
	const char *slash = strchr(w->ci_repo, '/'), *role = strrchr(w->identity, '/');

	if (w->ci_workflow[0]) {
		snprintf(t, sizeof(t), "%s/%s", w->ci_repo, w->ci_workflow);
		add_step(inc, "github", "disable-workflow", t,
			 "contain first: new runs of the workflow would take new OIDC tokens "
			 "(undo: enable-workflow)");
	}
	if (w->ci_runner_id[0] && slash != NULL) {
		snprintf(t, sizeof(t), "%.*s/%s", (int)(slash - w->ci_repo), w->ci_repo, w->ci_runner_id);
		add_step(inc, "github", "remove-runner", t,
			 "the job's self-hosted runner leaves the pool: what the job left on it "
			 "must not run the next job (an organisation runner; a repository's is "
			 "OWNER/REPO/ID)");
	}
	if (w->ci_subject[0] && role != NULL && strncmp(w->identity, "arn:aws:", 8) == 0) {
		snprintf(t, sizeof(t), "%s:%s", role + 1, w->ci_subject);
		add_step(inc, "aws", "deny-oidc-subject", t,
			 "the role's trust refuses the job's OIDC subject: a token already "
			 "minted cannot be exchanged again");
	}
}

static void
plan_build(struct inc_ctx *c, sqlite3 *db, struct incident *inc)
{
	const struct workload *root = &c->w[inc->root].d;
	size_t i;

	/* 1. contain the workloads and the node they escaped to, first */
	if (root->pod_name[0])
		plan_contain_pod(db, inc, root, 1);
	if (strcmp(root->kind, "sandbox") == 0 && strncmp(root->name, "unit=", 5) == 0)
		/* pid 1 would restart a killed MainPID: stop the unit itself */
		add_step(inc, "host", "kill-sandbox", root->id,
			 "contain first: stop the systemd unit (systemctl stop UNIT; its name leads the"
			 " sandbox's description), and what it started after leaving it");
	else if (strcmp(root->kind, "sandbox") == 0)
		add_step(inc, "host", "kill-sandbox", root->id,
			 "contain first: stop the sandbox's process tree (HOST:PID:START of its launcher),"
			 " and what it started after leaving it");
	if (strcmp(root->kind, "function") == 0 && strncmp(root->id, "arn:", 4) == 0)
		add_step(inc, "aws", "stop-function", root->id,
			 "contain first, before the role's sessions are revoked: reserved concurrency 0 "
			 "stops new invocations, which would take new execution-role sessions (undo "
			 "restores the setting once the role is clean)");
	if (strcmp(root->kind, "ci-job") == 0)
		plan_contain_ci_job(inc, root);
	for (i = 0; i < c->nw; i++) {
		const struct workload *m = &c->w[i].d;

		if ((int)i == inc->root || !m->pod_name[0] || wl_root_of(c, (int)i) != inc->root)
			continue;
		plan_contain_pod(db, inc, m, 0);
	}
	for (i = 0; i < inc->escaped_nodes.n; i++)
		add_step(inc, "k8s", "cordon-node", inc->escaped_nodes.s[i],
			 "quarantine: no new pods on the escaped node");
	/* 2. cut every exposed credential */
	for (i = 0; i < inc->ncr; i++) {
		const struct cred *cr = &inc->cr[i];

		if (strcmp(cr->provider, "aws") == 0) {
			if (strncmp(cr->id, "AKIA", 4) == 0) {
				add_step(inc, "aws", "disable-key", cr->id, "long-term key exposed");
			} else if (cr->identity != NULL) {
				char role[600];

				role_of_session(cr->identity, role, sizeof(role));
				add_step(inc, "aws", "revoke-role-sessions", role[0] ? role : cr->identity,
					 "temporary credentials of the role were exposed");
			}
		} else if (strcmp(cr->provider, "vault") == 0) {
			add_step(inc, "vault", "revoke-accessor", cr->id,
				 "token exposed (its child tokens and leases die too)");
		} else if (strcmp(cr->provider, "gcp") == 0 && strncmp(cr->id, "token:", 6) != 0) {
			add_step(inc, "gcp", "disable-key", cr->id, "service-account key exposed");
		} else if (strcmp(cr->provider, "github") == 0) {
			add_step(inc, "github", "revoke-token", cr->id, "token exposed");
		}
	}
	for (i = 0; i < inc->nex; i++) {
		const struct exposed *e = &inc->ex[i];
		const char *rest = strchr(e->locator, ':') + 1;

		if (strcmp(e->kind, "imds") == 0) {
			size_t k;

			/* the node role, whether or not a session was seen used */
			for (k = 0; k < inc->identities.n; k++)
				if (strstr(inc->identities.s[k], ":role/") != NULL &&
				    strncmp(inc->identities.s[k], "aws:", 4) == 0)
					add_step(inc, "aws", "revoke-role-sessions",
						 inc->identities.s[k] + 4,
						 "instance role credentials exposed through IMDS");
		} else if (strcmp(e->kind, "sa-token") == 0) {
			const char *slash = strchr(rest, '/');
			size_t k;
			char actor[600];

			snprintf(actor, sizeof(actor), "system:serviceaccount:%.*s:%s",
				 slash ? (int)(slash - rest) : 0, rest, slash ? slash + 1 : "");
			/* a used bound token dies with its pod; without a known pod, new tokens */
			for (k = 0; k < inc->ncr; k++)
				if (inc->cr[k].identity && strcmp(inc->cr[k].identity, actor) == 0 &&
				    inc->cr[k].used_after &&
				    !delete_bound_pod(db, inc, inc->cr[k].id))
					add_step(inc, "k8s", "recreate-sa", rest,
						 "its token was exposed and used: new tokens only");
		} else if (strcmp(e->kind, "kubelet-cred") == 0) {
			/* whoever holds the kubelet's credentials can act as the node */
			add_step(inc, "k8s", "cordon-node", rest,
				 "quarantine: the node's kubelet credentials were exposed");
			add_step(inc, "k8s", "rotate-kubelet-cert", rest,
				 "manual: the kubelet's client credentials were readable");
		}
	}
	plan_keymat(db, inc);
	plan_gcp_service(db, inc, root); /* contain, cut, rotate: a GCP service */
	/* 3. rotate what was read, 4. remove persistence */
	plan_rotations(db, inc);
	plan_persistence(db, inc, 1);
}

static int
sig_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void
incident_assemble(struct inc_ctx *c, sqlite3 *db, struct incident *inc)
{
	const struct workload *root = &c->w[inc->root].d;
	size_t k, i, nex0, nex1;
	char sarn[700];
	char key[800];

	inc->first = INT64_MAX;
	inc->last = INT64_MIN;
	inc->history_from = c->history_first != TIME_NONE ? c->history_first : INT64_MAX;
	for (k = 0; k < c->nf; k++) {
		const struct finding *f = &c->f[k];
		enum rule_sev sev;

		/* a workload's own baseline anomalies join its story */
		if (f->wl < 0 && f->workload != NULL && strcmp(f->cls, "usage-anomaly") == 0) {
			size_t m;

			for (m = 0; m < c->nw; m++)
				if (strcmp(c->w[m].key, f->workload) == 0 &&
				    wl_root_of(c, (int)m) == inc->root) {
					inc->sig = xrealloc(inc->sig, (inc->nsig + 1) * sizeof(int64_t));
					inc->sig[inc->nsig++] = (int64_t)k;
					break;
				}
			continue;
		}
		if (f->wl < 0 || wl_root_of(c, f->wl) != inc->root)
			continue;
		inc->sig = xrealloc(inc->sig, (inc->nsig + 1) * sizeof(int64_t));
		inc->sig[inc->nsig++] = (int64_t)k;
		strv_add_unique(&inc->members, c->w[f->wl].key);
		if (rule_sev_parse(f->severity, &sev) == CD_OK && (int)sev > inc->sev)
			inc->sev = (int)sev;
		expose(c, db, inc, f);
	}
	/* behind each exposed secret: inventory credentials, then dynamic ones */
	nex0 = inc->nex;
	for (i = 0; i < nex0; i++)
		inc->ex[i].mapped = behind_secret(c->s, inc, inc->ex[i].graph_key, inc->ex[i].ts);
	for (i = 0; i < inc->nex; i++)
		credentials_of_exposure(c, db, inc, &inc->ex[i], root);
	/* what exposed tokens then read exposes more: one more round */
	secrets_read_by(db, inc);
	for (i = nex0; i < inc->nex; i++)
		inc->ex[i].mapped = behind_secret(c->s, inc, inc->ex[i].graph_key, inc->ex[i].ts);
	plan_persistence(db, inc, 0); /* credentials the exposed ones created */
	network_joins(db, inc);
	/* a key joined by its file's read was used from the attacker's
	 * address: what else was first used from there is the incident's too
	 * (the GCP key of the ADC file read beside the AWS one) */
	if (key_file_joins(db, inc) > 0)
		network_joins(db, inc);
	/* what the joined credentials read through the API exposes too */
	nex1 = inc->nex;
	secrets_read_by(db, inc);
	for (i = nex1; i < inc->nex; i++)
		inc->ex[i].mapped = behind_secret(c->s, inc, inc->ex[i].graph_key, inc->ex[i].ts);
	plan_persistence(db, inc, 0);
	keymat_exchanged(c, inc);
	keymat_merge_aliases(db, inc);
	usage_of(c, db, inc);
	/* whose each credential is, from the graph, where the logs did not say */
	for (i = 0; i < inc->ncr; i++) {
		struct graph_result g = { 0 };
		size_t k2;

		if (inc->cr[i].identity != NULL || graph_reach(c->s, inc->cr[i].id, 1, NULL, &g) != CD_OK)
			continue;
		for (k2 = 0; k2 < g.n && inc->cr[i].identity == NULL; k2++)
			if (strcmp(g.hits[k2].kind, "identity") == 0) {
				char p2[32];
				const char *iname;

				split_key(g.hits[k2].key, p2, sizeof(p2), &iname);
				inc->cr[i].identity = xstrdup(iname);
			}
		graph_result_release(&g);
	}
	prune_stale(db, inc);
	/* reach: from each credential and each exposed identity */
	for (i = 0; i < inc->ncr; i++) {
		snprintf(key, sizeof(key), "%s", inc->cr[i].id);
		session_arn(db, &inc->cr[i], sarn, sizeof(sarn));
		reach_from(c->s, inc, key, session_of(sarn));
		if (inc->cr[i].identity != NULL) {
			char ident[800], role[600];

			role_of_session(inc->cr[i].identity, role, sizeof(role));
			snprintf(ident, sizeof(ident), "%s:%s", inc->cr[i].provider,
				 role[0] ? role : inc->cr[i].identity);
			if (keymat_identity(&inc->cr[i]))
				snprintf(ident, sizeof(ident), "%s", inc->cr[i].identity);
			strv_add_unique(&inc->identities, ident);
		}
	}
	for (i = 0; i < inc->identities.n; i++) {
		size_t before = inc->nre;

		if (inc->identities.s[i][0] == '\0')
			continue;
		reach_from(c->s, inc, inc->identities.s[i], NULL);
		if (inc->nre == before)
			add_reach(inc, inc->identities.s[i], NULL);
	}
	for (k = 0; k < inc->nsig; k++) {
		const struct finding *f = &c->f[inc->sig[k]];
		enum rule_sev sev;

		if (f->ts < inc->first)
			inc->first = f->ts;
		if (f->ts > inc->last)
			inc->last = f->ts;
		if (rule_sev_parse(f->severity, &sev) == CD_OK && (int)sev > inc->sev)
			inc->sev = (int)sev;
	}
	/* findings are loaded in time order, so index order is timeline order */
	if (inc->nsig > 1)
		qsort(inc->sig, inc->nsig, sizeof(int64_t), sig_cmp);
	/* CORR-03: an escape whose exposure was then used is critical */
	if (inc->anomalous_use && inc->node_escape)
		inc->sev = SEV_CRITICAL;
	plan_build(c, db, inc);
}

void
incident_release(struct incident *inc)
{
	size_t i;

	strv_release(&inc->members);
	strv_release(&inc->identities);
	strv_release(&inc->escaped_nodes);
	strv_release(&inc->reached_hosts);
	for (i = 0; i < inc->nex; i++) {
		free(inc->ex[i].kind);
		free(inc->ex[i].locator);
		free(inc->ex[i].via);
		free(inc->ex[i].graph_key);
	}
	free(inc->ex);
	for (i = 0; i < inc->ncr; i++) {
		free(inc->cr[i].provider);
		free(inc->cr[i].id);
		free(inc->cr[i].identity);
		strv_release(&inc->cr[i].anomalies);
		strv_release(&inc->cr[i].evidence);
	}
	free(inc->cr);
	for (i = 0; i < inc->nre; i++) {
		free(inc->re[i].provider);
		free(inc->re[i].identity);
		strv_release(&inc->re[i].path);
	}
	free(inc->re);
	for (i = 0; i < inc->nplan; i++) {
		free(inc->plan[i].provider);
		free(inc->plan[i].action);
		free(inc->plan[i].target);
		free(inc->plan[i].why);
	}
	free(inc->plan);
	free(inc->sig);
	memset(inc, 0, sizeof(*inc));
}
