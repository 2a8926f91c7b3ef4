/*
 * graph_escape.c - escape expansion: what root on a node can read.
 *
 * Derived holds edges, node -> secret, for every node:
 *   - everything mounted by a pod or container running on it (service-
 *     account tokens, secret volumes, env, image pull secrets)
 *   - kubelet-cred:NODE (-> system:node:NODE) on Kubernetes nodes
 *   - imds:NODE on cloud nodes (providerID aws:// or gce://), and
 *     imds:INSTANCE-ID when logs or the map name the instance
 *   - file:NODE:PATH and file:*:PATH of the credential map
 * and the lookups the correlator makes with them: node exposure, and the
 * secret a file read hits.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

int
graph_derive_escape(struct graph_tx *t)
{
	sqlite3 *db = store_db(t->s);
	sqlite3_stmt *st;
	char **files = NULL;
	size_t nf = 0, cap = 0, i;
	int rc = CD_OK;

	t->edge_origin = "escape expansion";
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT n.key, s.key FROM graph_edges r"
			       " JOIN graph_nodes w ON w.id = r.src AND w.kind IN ('pod', 'container')"
			       " JOIN graph_nodes n ON n.id = r.dst AND n.kind = 'node'"
			       " JOIN graph_edges m ON m.src = w.id AND m.type = 'mounts'"
			       " JOIN graph_nodes s ON s.id = m.dst AND s.kind = 'secret'"
			       " WHERE r.type = 'runs-on'",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = graph_link(t, "node", (const char *)sqlite3_column_text(st, 0), "holds", "secret",
				(const char *)sqlite3_column_text(st, 1), 0, "mounted by a workload on the node");
	sqlite3_finalize(st);

	if (rc == CD_OK && sqlite3_prepare_v2(db, "SELECT key FROM graph_nodes WHERE kind = 'secret'"
						  " AND key LIKE 'file:%'",
					      -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (nf == cap) {
				cap = cap ? cap * 2 : 16;
				files = xrealloc(files, cap * sizeof(*files));
			}
			files[nf++] = graph_col_dup(st, 0);
		}
		sqlite3_finalize(st);
	}
	if (rc == CD_OK &&
	    sqlite3_prepare_v2(db,
			       "SELECT n.key, n.label, json_extract(n.attrs, '$.instance_id'),"
			       " json_extract(n.attrs, '$.provider_id'),"
			       " EXISTS(SELECT 1 FROM graph_edges r WHERE r.dst = n.id AND r.type = 'runs-on')"
			       " FROM graph_nodes n WHERE n.kind = 'node' AND (n.attrs IS NULL OR json_valid(n.attrs))",
			       -1, &st, NULL) == SQLITE_OK) {
		while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW) {
			char *node = graph_col_dup(st, 0), *label = graph_col_dup(st, 1);
			char *iid = graph_col_dup(st, 2), *pid = graph_col_dup(st, 3);
			int k8s = (label && strcmp(label, "node") == 0) || sqlite3_column_int(st, 4);
			char *loc;

			if (k8s) {
				char *who = gjoin("k8s:system:node", ":", node);

				loc = gjoin("kubelet-cred", ":", node);
				rc = graph_link(t, "node", node, "holds", "secret", loc, 0, "kubelet credentials");
				rc = rc ? rc : graph_link(t, "secret", loc, "authenticates-as", "identity", who, 0,
							  "kubelet client certificate");
				free(loc);
				free(who);
			}
			loc = gjoin("imds", ":", node);
			if (rc == CD_OK && ((pid && (strncmp(pid, "aws://", 6) == 0 || strncmp(pid, "gce://", 6) == 0)) ||
					    graph_node_id(t, "secret", loc) > 0))
				rc = graph_link(t, "node", node, "holds", "secret", loc, 0,
						"instance metadata service: the instance role's credentials");
			free(loc);
			if (rc == CD_OK && iid != NULL && *iid) {
				loc = gjoin("imds", ":", iid);
				if (graph_node_id(t, "secret", loc) > 0)
					rc = graph_link(t, "node", node, "holds", "secret", loc, 0,
							"instance metadata service of this instance");
				free(loc);
			}
			for (i = 0; i < nf && rc == CD_OK; i++) {
				const char *h = files[i] + 5, *c = strchr(h, ':');
				size_t hn = c ? (size_t)(c - h) : 0;

				if (c != NULL && ((hn == 1 && *h == '*') || (hn == strlen(node) && memcmp(h, node, hn) == 0)))
					rc = graph_link(t, "node", node, "holds", "secret", files[i], 0,
							"host file (credential map)");
			}
			free(node);
			free(label);
			free(iid);
			free(pid);
		}
		sqlite3_finalize(st);
	}
	for (i = 0; i < nf; i++)
		free(files[i]);
	free(files);
	t->edge_origin = NULL;
	return rc;
}

/* A node by name, else by the instance id in its providerID. */
static int64_t
find_node(struct store *s, const char *node)
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT id FROM graph_nodes WHERE kind = 'node' AND (key = ?1 OR"
			       " (json_valid(attrs) AND json_extract(attrs, '$.instance_id') = ?1)) LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

int
graph_node_exposure(struct store *s, const char *node, struct graph_result *out)
{
	static const char *const types[] = { "holds", "includes", "exposes", "authenticates-as", NULL };
	struct graph_walk w = { types, 4, NULL };
	int64_t id;

	memset(out, 0, sizeof(*out));
	if ((id = find_node(s, node)) < 0)
		return CD_E_DB;
	if (id == 0)
		return CD_E_NOTFOUND;
	return graph_walk_from(s, id, &w, out);
}

/* ---- graph_secret_for_path ------------------------------------------------- */

static void
hit(struct graph_result *out, sqlite3_stmt *st, const char *from, const char *via)
{
	char *path[2], *edges[1];
	const char *key = (const char *)sqlite3_column_text(st, 0);
	size_t i;

	for (i = 0; i < out->n; i++)
		if (strcmp(out->hits[i].key, key) == 0)
			return;
	path[0] = (char *)from;
	path[1] = (char *)key;
	edges[0] = (char *)via;
	graph_result_add(out, "secret", key, (const char *)sqlite3_column_text(st, 1),
			 (const char *)sqlite3_column_text(st, 2), 1, 0, path, edges, 2);
}

/* Secrets a pod (by uid, or every pod on host) mounts whose key starts with
 * prefix and whose mount detail starts with detail (NULL: any). */
static int
pod_mounts(struct store *s, const char *host, const char *uid, const char *prefix,
	   const char *detail, const char *under, struct graph_result *out)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT sec.key, sec.provider, sec.label, p.key, m.detail FROM graph_nodes p"
			       " JOIN graph_edges m ON m.src = p.id AND m.type = 'mounts'"
			       " JOIN graph_nodes sec ON sec.id = m.dst AND sec.kind = 'secret'"
			       " WHERE p.kind = 'pod' AND substr(sec.key, 1, length(?3)) = ?3 AND"
			       " ((?2 IS NOT NULL AND json_valid(p.attrs) AND json_extract(p.attrs, '$.uid') = ?2) OR"
			       "  (?2 IS NULL AND ?1 IS NOT NULL AND EXISTS(SELECT 1 FROM graph_edges r"
			       "   JOIN graph_nodes n ON n.id = r.dst WHERE r.src = p.id AND r.type = 'runs-on'"
			       "   AND n.key = ?1)))",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, prefix, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *det = (const char *)sqlite3_column_text(st, 4);

		if (detail != NULL && (det == NULL || strncmp(det, detail, strlen(detail)) != 0))
			continue;
		if (under != NULL) {
			/* "volume NAME at /mount/path": the read is under that path */
			const char *at = det ? strstr(det, " at /") : NULL;
			size_t n;

			if (at == NULL)
				continue;
			at += 4;
			n = strlen(at);
			if (strncmp(under, at, n) != 0 || (under[n] != '/' && under[n] != '\0'))
				continue;
		}
		hit(out, st, (const char *)sqlite3_column_text(st, 3), "mounts");
	}
	sqlite3_finalize(st);
	return CD_OK;
}

static int
starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int
graph_secret_for_path(struct store *s, const char *host, const char *pod_uid, const char *path,
		      struct graph_result *out)
{
	sqlite3_stmt *st;
	int rc = CD_OK;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		return CD_E_USAGE;
	/* /var/lib/kubelet/pods/UID/volumes/kubernetes.io~TYPE/VOL/... */
	if (starts(path, "/var/lib/kubelet/pods/")) {
		const char *u = path + 22, *e = strchr(u, '/');
		char uid[128], vol[300];

		if (e != NULL && (size_t)(e - u) < sizeof(uid) && starts(e, "/volumes/kubernetes.io~")) {
			const char *ty = e + 23, *v = strchr(ty, '/'), *ve;

			memcpy(uid, u, (size_t)(e - u));
			uid[e - u] = '\0';
			ve = v ? strchr(v + 1, '/') : NULL;
			if (v != NULL && (ve ? (size_t)(ve - v - 1) : strlen(v + 1)) + 8 < sizeof(vol)) {
				snprintf(vol, sizeof(vol), "volume %.*s ",
					 (int)(ve ? (size_t)(ve - v - 1) : strlen(v + 1)), v + 1);
				if (starts(ty, "projected/") && ve != NULL && strcmp(ve + 1, "token") == 0)
					rc = pod_mounts(s, NULL, uid, "sa-token:", NULL, NULL, out);
				else
					rc = pod_mounts(s, NULL, uid, "k8s-secret:", vol, NULL, out);
			}
		}
	} else if (starts(path, "/var/run/secrets/kubernetes.io/serviceaccount/") ||
		   starts(path, "/run/secrets/kubernetes.io/serviceaccount/") ||
		   starts(path, "/var/run/secrets/eks.amazonaws.com/serviceaccount/") ||
		   starts(path, "/var/run/secrets/tokens/")) {
		rc = pod_mounts(s, host, pod_uid, "sa-token:", NULL, NULL, out);
	} else if (pod_uid != NULL) {
		rc = pod_mounts(s, NULL, pod_uid, "k8s-secret:", NULL, path, out);
	}
	if (rc == CD_OK && host != NULL &&
	    (starts(path, "/var/lib/kubelet/pki/") || strcmp(path, "/var/lib/kubelet/kubeconfig") == 0 ||
	     strcmp(path, "/etc/kubernetes/kubelet.conf") == 0 ||
	     strcmp(path, "/etc/kubernetes/bootstrap-kubelet.conf") == 0 ||
	     strcmp(path, "/etc/kubernetes/kubelet/kubeconfig") == 0)) {
		if (sqlite3_prepare_v2(store_db(s),
				       "SELECT key, provider, label FROM graph_nodes WHERE kind = 'secret'"
				       " AND key = 'kubelet-cred:' || ?",
				       -1, &st, NULL) != SQLITE_OK)
			return CD_E_DB;
		sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			hit(out, st, host, "holds");
		sqlite3_finalize(st);
	}
	/* credential-map file globs for this host or every host */
	if (rc == CD_OK &&
	    sqlite3_prepare_v2(store_db(s),
			       "SELECT key, provider, label FROM graph_nodes WHERE kind = 'secret'"
			       " AND key LIKE 'file:%'",
			       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(st, 0), *h = key + 5;
			const char *c = strchr(h, ':');
			size_t hn = c ? (size_t)(c - h) : 0;
			int host_ok = c != NULL && ((hn == 1 && *h == '*') ||
						    (host != NULL && hn == strlen(host) && memcmp(h, host, hn) == 0));

			if (host_ok && gpath_match(c + 1, path))
				hit(out, st, host ? host : "*", "holds");
		}
		sqlite3_finalize(st);
	}
	return rc;
}
