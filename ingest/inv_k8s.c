/*
 * inv_k8s.c - `kubectl get ... -o json`: a List (or PodList, SecretList,
 * ...; kubectl's mixed List of several kinds too) or a single object, of
 * pods, service accounts, secrets, roles, cluster roles, role bindings,
 * cluster role bindings and nodes.
 *
 * Secrets: only metadata, type and the names of their keys are read; the
 * values under data/stringData are never decoded or stored.
 *
 * A kubectl List puts "kind": "List" at its end and an audit EventList has
 * "auditID" in every item: the probe tells them apart by the item kinds it
 * sees and the absence of audit fields.
 */
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "inv.h"

static const char *const kinds[] = {
	"Pod", "ServiceAccount", "Secret", "Role", "ClusterRole", "RoleBinding",
	"ClusterRoleBinding", "Node", "Certificate", NULL,
};

/* Implements inventory::probe */
static int
k8s_probe(const char *head, size_t len)
{
	char q[64];
	size_t i;

	if (!inv_head_starts(head, len, '{') || memmem(head, len, "\"auditID\"", 9) ||
	    memmem(head, len, "audit.k8s.io", 12) || memmem(head, len, "\"protoPayload\"", 14) ||
	    !memmem(head, len, "\"apiVersion\"", 12))
		return 0;
	for (i = 0; kinds[i] != NULL; i++) {
		snprintf(q, sizeof(q), "\"%s\"", kinds[i]);
		if (ingest_cloud_head_kv(head, len, "kind", q))
			return 96;
		snprintf(q, sizeof(q), "\"%sList\"", kinds[i]);
		if (ingest_cloud_head_kv(head, len, "kind", q))
			return 96;
	}
	return 0;
}

static char *
sa_key(const char *ns, const char *sa)
{
	return xstrdupf("k8s:system:serviceaccount:%s:%s", ns, sa);
}

/* The mount path of volume vol in any container of the pod, or NULL. */
static char *
mount_path(const struct json_doc *d, int spec, const char *vol)
{
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers", NULL };
	int l, k, j, n, m, mk, mj;

	for (l = 0; lists[l] != NULL; l++) {
		int cl = json_get(d, spec, lists[l]);

		n = json_count(d, cl);
		for (j = 0, k = cl + 1; j < n; j++, k = json_skip(d, k)) {
			int vm = json_get(d, k, "volumeMounts");

			m = json_count(d, vm);
			for (mj = 0, mk = vm + 1; mj < m; mj++, mk = json_skip(d, mk)) {
				char *name = inv_path(d, mk, "name");
				int same = name != NULL && strcmp(name, vol) == 0;

				free(name);
				if (same)
					return inv_path(d, mk, "mountPath");
			}
		}
	}
	return NULL;
}

static int
pod_secret(struct inv_ctx *c, const char *pod, const char *ns, const char *name, const char *detail)
{
	char *loc = xstrdupf("k8s-secret:%s/%s", ns, name);
	int rc = graph_link(c->tx, "pod", pod, "mounts", "secret", loc, 0, detail);

	free(loc);
	return rc;
}

/* Secrets from env and envFrom of every container. */
static int
pod_env(struct inv_ctx *c, const struct json_doc *d, int spec, const char *pod, const char *ns)
{
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers", NULL };
	int l, k, j, n, e, ek, ej, en, rc = CD_OK;

	for (l = 0; lists[l] != NULL; l++) {
		int cl = json_get(d, spec, lists[l]);

		n = json_count(d, cl);
		for (j = 0, k = cl + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
			e = json_get(d, k, "env");
			en = json_count(d, e);
			for (ej = 0, ek = e + 1; ej < en && rc == CD_OK; ej++, ek = json_skip(d, ek)) {
				char *sn = inv_path(d, ek, "valueFrom.secretKeyRef.name");
				char *key = inv_path(d, ek, "valueFrom.secretKeyRef.key");
				char *var = inv_path(d, ek, "name"), *det;

				if (sn != NULL) {
					det = xstrdupf("env %s (key %s)", var ? var : "?", key ? key : "?");
					rc = pod_secret(c, pod, ns, sn, det);
					free(det);
				}
				free(sn);
				free(key);
				free(var);
			}
			e = json_get(d, k, "envFrom");
			en = json_count(d, e);
			for (ej = 0, ek = e + 1; ej < en && rc == CD_OK; ej++, ek = json_skip(d, ek)) {
				char *sn = inv_path(d, ek, "secretRef.name");

				if (sn != NULL)
					rc = pod_secret(c, pod, ns, sn, "envFrom");
				free(sn);
			}
		}
	}
	return rc;
}

static int
load_pod(struct inv_ctx *c, const struct json_doc *d, int obj, const char *ns, const char *name)
{
	int spec = json_get(d, obj, "spec"), vols, k, j, n, rc = CD_OK, token = 0;
	char *pod = xstrdupf("%s/%s", ns, name), *node = inv_path(d, spec, "nodeName");
	char *sa = inv_path(d, spec, "serviceAccountName"), *uid = inv_path(d, obj, "metadata.uid");
	char *automount = inv_path(d, spec, "automountServiceAccountToken");
	struct buf attrs, hostpaths;

	if (sa == NULL)
		sa = inv_path(d, spec, "serviceAccount");
	if (sa == NULL)
		sa = xstrdup("default");
	buf_init(&hostpaths, 65536);
	vols = json_get(d, spec, "volumes");
	n = json_count(d, vols);
	for (j = 0, k = vols + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *vname = inv_path(d, k, "name"), *sn = inv_path(d, k, "secret.secretName");
		char *hp = inv_path(d, k, "hostPath.path"), *mp = vname ? mount_path(d, spec, vname) : NULL;
		int proj = json_path(d, k, "projected.sources"), pk, pj, pn = json_count(d, proj);

		if (sn != NULL) {
			char *det = xstrdupf("volume %s at %s", vname ? vname : "?", mp ? mp : "?");

			rc = pod_secret(c, pod, ns, sn, det);
			free(det);
		}
		for (pj = 0, pk = proj + 1; pj < pn && rc == CD_OK; pj++, pk = json_skip(d, pk)) {
			char *psn = inv_path(d, pk, "secret.name");

			if (psn != NULL) {
				char *det = xstrdupf("volume %s at %s", vname ? vname : "?", mp ? mp : "?");

				rc = pod_secret(c, pod, ns, psn, det);
				free(det);
			}
			if (json_get(d, pk, "serviceAccountToken") >= 0)
				token = 1;
			free(psn);
		}
		if (hp != NULL)
			(void)((hostpaths.len && buf_addc(&hostpaths, ',')) || json_put_str(&hostpaths, hp));
		free(vname);
		free(sn);
		free(hp);
		free(mp);
	}
	if (automount == NULL || strcmp(automount, "false") != 0)
		token = 1;
	buf_init(&attrs, 131072);
	{
		/* addresses: the correlator tells pod and node sources apart by them */
		char *pip = inv_path(d, obj, "status.podIP"), *hip = inv_path(d, obj, "status.hostIP");

		(void)(buf_addstr(&attrs, "{\"uid\":") || json_put_str(&attrs, uid) ||
		       buf_addstr(&attrs, ",\"node\":") || json_put_str(&attrs, node) ||
		       buf_addstr(&attrs, ",\"sa\":") || json_put_str(&attrs, sa) ||
		       buf_addstr(&attrs, ",\"pod_ip\":") || json_put_str(&attrs, pip) ||
		       buf_addstr(&attrs, ",\"host_ip\":") || json_put_str(&attrs, hip) ||
		       buf_printf(&attrs, ",\"host_paths\":[%s]}", hostpaths.data));
		free(pip);
		free(hip);
	}
	if (graph_tx_node(c->tx, "pod", pod, "k8s", "pod", attrs.data) < 0)
		rc = CD_E_DB;
	if (rc == CD_OK && node != NULL)
		rc = graph_link(c->tx, "pod", pod, "runs-on", "node", node, 0, NULL);
	if (rc == CD_OK && token) {
		char *loc = xstrdupf("sa-token:%s/%s", ns, sa), *id = sa_key(ns, sa);

		rc = graph_link(c->tx, "pod", pod, "mounts", "secret", loc, 0,
				"projected token at /var/run/secrets/kubernetes.io/serviceaccount");
		rc = rc ? rc : graph_link(c->tx, "secret", loc, "authenticates-as", "identity", id, 0, NULL);
		free(loc);
		free(id);
	}
	if (rc == CD_OK)
		rc = pod_env(c, d, spec, pod, ns);
	if (rc == CD_OK) {
		int ips = json_get(d, spec, "imagePullSecrets");

		n = json_count(d, ips);
		for (j = 0, k = ips + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
			char *sn = inv_path(d, k, "name");

			if (sn != NULL)
				rc = pod_secret(c, pod, ns, sn, "imagePullSecret (read by the kubelet)");
			free(sn);
		}
	}
	if (rc == CD_OK) {
		static const char *const st[] = { "status.containerStatuses", "status.initContainerStatuses",
						   "status.ephemeralContainerStatuses", NULL };
		int l;

		for (l = 0; st[l] != NULL && rc == CD_OK; l++) {
			int cs = json_path(d, obj, st[l]);

			n = json_count(d, cs);
			for (j = 0, k = cs + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
				char *cid = inv_path(d, k, "containerID");
				struct ev_arena a;
				const char *norm;

				if (cid == NULL)
					continue;
				ev_arena_init(&a, strlen(cid) + 64);
				norm = ev_container_id(&a, cid, strlen(cid));
				if (norm != NULL) {
					rc = graph_link(c->tx, "container", norm, "runs-on", "pod", pod, 0, NULL);
					if (rc == CD_OK && node != NULL)
						rc = graph_link(c->tx, "container", norm, "runs-on", "node", node, 0,
								NULL);
				}
				ev_arena_release(&a);
				free(cid);
			}
		}
	}
	buf_release(&attrs);
	buf_release(&hostpaths);
	free(pod);
	free(node);
	free(sa);
	free(uid);
	free(automount);
	return rc;
}

static int
load_sa(struct inv_ctx *c, const struct json_doc *d, int obj, const char *ns, const char *name)
{
	char *id = sa_key(ns, name), *role;
	int ann = json_path(d, obj, "metadata.annotations"), secs = json_get(d, obj, "secrets");
	int j, k, n = json_count(d, secs), rc = CD_OK;

	role = inv_str(d, json_get(d, ann, "eks.amazonaws.com/role-arn"));
	if (graph_tx_node(c->tx, "identity", id, "k8s", "serviceaccount", NULL) < 0)
		rc = CD_E_DB;
	if (rc == CD_OK && role != NULL) {
		char *rk = xstrdupf("aws:%s", role);

		/* an edge only when derived: the role's trust policy, if known, decides */
		rc = graph_tx_attach(c->tx, "aws", "irsa", id, rk, NULL);
		free(rk);
	}
	free(role);
	role = inv_str(d, json_get(d, ann, "iam.gke.io/gcp-service-account"));
	if (rc == CD_OK && role != NULL) {
		char *gk = xstrdupf("gcp:%s", role);

		rc = graph_link(c->tx, "identity", id, "can-assume", "identity", gk, 1,
				"GKE workload identity annotation; the IAM binding decides");
		free(gk);
	}
	for (j = 0, k = secs + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *sn = inv_path(d, k, "name"), *loc;

		if (sn == NULL)
			continue;
		loc = xstrdupf("k8s-secret:%s/%s", ns, sn);
		rc = graph_link(c->tx, "secret", loc, "authenticates-as", "identity", id, 0,
				"legacy service-account token secret");
		free(loc);
		free(sn);
	}
	free(role);
	free(id);
	return rc;
}

static int
load_secret(struct inv_ctx *c, const struct json_doc *d, int obj, const char *ns, const char *name)
{
	char *loc = xstrdupf("k8s-secret:%s/%s", ns, name), *type = inv_path(d, obj, "type");
	char *label = xstrdupf("Secret %s", type ? type : "Opaque");
	int data = json_get(d, obj, "data"), k, rc = CD_OK;
	struct buf attrs;
	char *sa;

	/* the names of the keys only: the values are never read */
	buf_init(&attrs, 65536);
	(void)(buf_addstr(&attrs, "{\"type\":") || json_put_str(&attrs, type) ||
	       buf_addstr(&attrs, ",\"keys\":["));
	for (k = json_first(d, data); k > 0; k = json_next(d, data, k)) {
		struct span key = json_raw(d, k);

		(void)((attrs.data[attrs.len - 1] != '[' && buf_addc(&attrs, ',')) ||
		       buf_addc(&attrs, '"') || buf_add(&attrs, key.p, key.n) || buf_addc(&attrs, '"'));
	}
	if (buf_addstr(&attrs, "]}") != CD_OK)
		buf_reset(&attrs);
	if (graph_tx_node(c->tx, "secret", loc, "k8s", label, attrs.data) < 0)
		rc = CD_E_DB;
	sa = inv_str(d, json_get(d, json_path(d, obj, "metadata.annotations"),
				 "kubernetes.io/service-account.name"));
	if (rc == CD_OK && sa != NULL && type != NULL &&
	    strcmp(type, "kubernetes.io/service-account-token") == 0) {
		char *id = sa_key(ns, sa);

		rc = graph_link(c->tx, "secret", loc, "authenticates-as", "identity", id, 0,
				"legacy service-account token secret");
		free(id);
	}
	buf_release(&attrs);
	free(sa);
	free(loc);
	free(type);
	free(label);
	return rc;
}

static int
load_role(struct inv_ctx *c, const struct json_doc *d, int obj, const char *kind, const char *ns,
	  const char *name)
{
	char *owner = strcmp(kind, "Role") == 0 ? xstrdupf("Role:%s/%s", ns, name)
						: xstrdupf("ClusterRole:%s", name);
	int rules = json_get(d, obj, "rules"), j, k, n = json_count(d, rules), rc = CD_OK;

	for (j = 0, k = rules + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		struct graph_rule r = { .provider = "k8s", .kind = "rbac", .owner = owner,
					.effect = "Allow" };
		char *verbs = inv_strlist(d, json_get(d, k, "verbs"));
		char *groups = inv_strlist(d, json_get(d, k, "apiGroups"));
		char *res = inv_strlist(d, json_get(d, k, "resources"));
		char *names = inv_strlist(d, json_get(d, k, "resourceNames"));
		struct buf pairs;
		const char *g, *rr;

		if (verbs == NULL) {
			rc = inv_fail(c, inv_off(d, k), "rule %d of %s has no verbs", j, owner);
		} else if (res != NULL) {
			/* apiGroups x resources as "group/resource" ("core" for "") */
			buf_init(&pairs, (size_t)1 << 20);
			for (g = groups ? groups : ""; rc == CD_OK;) {
				size_t gn = strcspn(g, "\n");

				for (rr = res; *rr;) {
					size_t rn = strcspn(rr, "\n");

					(void)((pairs.len && buf_addc(&pairs, '\n')) ||
					       buf_printf(&pairs, "%.*s/%.*s", (int)(gn ? gn : 4),
							  gn ? g : "core", (int)rn, rr));
					rr += rn + (rr[rn] == '\n');
				}
				if (g[gn] == '\0')
					break;
				g += gn + 1;
			}
			r.actions = verbs;
			r.resources = pairs.data;
			r.names = names;
			rc = graph_tx_rule(c->tx, &r);
			buf_release(&pairs);
		}
		free(verbs);
		free(groups);
		free(res);
		free(names);
	}
	free(owner);
	return rc;
}

static int
load_binding(struct inv_ctx *c, const struct json_doc *d, int obj, const char *kind, const char *ns,
	     const char *name)
{
	char *rk = inv_path(d, obj, "roleRef.kind"), *rn = inv_path(d, obj, "roleRef.name"), *owner;
	int subj = json_get(d, obj, "subjects"), j, k, n = json_count(d, subj), rc = CD_OK;
	int cluster = strcmp(kind, "ClusterRoleBinding") == 0;

	if (rk == NULL || rn == NULL) {
		free(rk);
		free(rn);
		return inv_fail(c, inv_off(d, obj), "%s %s has no roleRef", kind, name);
	}
	owner = strcmp(rk, "Role") == 0 ? xstrdupf("Role:%s/%s", ns, rn) : xstrdupf("ClusterRole:%s", rn);
	for (j = 0, k = subj + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *sk = inv_path(d, k, "kind"), *sn = inv_path(d, k, "name");
		char *sns = inv_path(d, k, "namespace"), *id = NULL;

		if (sk != NULL && sn != NULL) {
			if (strcmp(sk, "ServiceAccount") == 0)
				id = sa_key(sns ? sns : ns, sn);
			else if (strcmp(sk, "Group") == 0)
				id = xstrdupf("k8s:group:%s", sn);
			else
				id = xstrdupf("k8s:%s", sn);
			if (graph_tx_node(c->tx, "identity", id, "k8s",
					  strcmp(sk, "Group") == 0 ? "group" : strcmp(sk, "User") == 0 ? "user" : "serviceaccount",
					  NULL) < 0)
				rc = CD_E_DB;
			else
				rc = graph_tx_attach(c->tx, "k8s", "binding", id, owner, cluster ? NULL : ns);
		}
		free(sk);
		free(sn);
		free(sns);
		free(id);
	}
	free(rk);
	free(rn);
	free(owner);
	return rc;
}

/* The instance id at the end of a providerID (aws:///us-east-1a/i-0abc), or NULL. */
static char *
instance_id(const char *pid)
{
	const char *slash = pid ? strrchr(pid, '/') : NULL;

	return slash != NULL && slash[1] != '\0' ? xstrdup(slash + 1) : NULL;
}

/* The InternalIP: a node identity used from anywhere else is suspect. */
static char *
internal_ip(const struct json_doc *d, int obj)
{
	int addrs = json_path(d, obj, "status.addresses"), k, a;
	char *ip = NULL;

	for (k = 0; (a = json_at(d, addrs, k)) >= 0 && ip == NULL; k++) {
		char *type = inv_path(d, a, "type");

		if (type != NULL && strcmp(type, "InternalIP") == 0)
			ip = inv_path(d, a, "address");
		free(type);
	}
	return ip;
}

static int
load_node(struct inv_ctx *c, const struct json_doc *d, int obj, const char *name)
{
	char *pid = inv_path(d, obj, "spec.providerID"), *iid = instance_id(pid);
	char *ip = internal_ip(d, obj), *id, *attrs;
	const struct inv_attr kv[] = { { "provider_id", pid }, { "instance_id", iid },
				       { "internal_ip", ip } };
	int rc = CD_OK;

	attrs = inv_attrs(kv, sizeof(kv) / sizeof(kv[0]));
	free(ip);
	if (graph_tx_node(c->tx, "node", name, NULL, "node", attrs) < 0)
		rc = CD_E_DB;
	id = xstrdupf("kubelet-cred:%s", name);
	if (rc == CD_OK) {
		char *who = xstrdupf("k8s:system:node:%s", name);

		rc = graph_link(c->tx, "secret", id, "authenticates-as", "identity", who, 0,
				"kubelet client certificate");
		free(who);
	}
	free(attrs);
	free(id);
	free(pid);
	free(iid);
	return rc;
}

static int
load_object(struct inv_ctx *c, const struct json_doc *d, int obj, const char *kind)
{
	char *ns = inv_path(d, obj, "metadata.namespace"), *name = inv_path(d, obj, "metadata.name");
	int rc = CD_OK, cluster = strcmp(kind, "Node") == 0 || strcmp(kind, "ClusterRole") == 0 ||
				  strcmp(kind, "ClusterRoleBinding") == 0;

	if (name == NULL) {
		rc = inv_fail(c, inv_off(d, obj), "%s without metadata.name", kind);
	} else if (!cluster && ns == NULL) {
		rc = inv_fail(c, inv_off(d, obj), "%s %s without metadata.namespace", kind, name);
	} else if (strcmp(kind, "Pod") == 0) {
		rc = load_pod(c, d, obj, ns, name);
	} else if (strcmp(kind, "ServiceAccount") == 0) {
		rc = load_sa(c, d, obj, ns, name);
	} else if (strcmp(kind, "Secret") == 0) {
		rc = load_secret(c, d, obj, ns, name);
	} else if (strcmp(kind, "Role") == 0 || strcmp(kind, "ClusterRole") == 0) {
		rc = load_role(c, d, obj, kind, ns, name);
	} else if (strcmp(kind, "RoleBinding") == 0 || strcmp(kind, "ClusterRoleBinding") == 0) {
		rc = load_binding(c, d, obj, kind, ns, name);
	} else if (strcmp(kind, "Node") == 0) {
		rc = load_node(c, d, obj, name);
	} else if (strcmp(kind, "Certificate") == 0) {
		int loaded;

		rc = inv_k8s_certificate(c, d, obj, ns, name, &loaded);
		if (rc == CD_OK && !loaded)
			goto out; /* not cert-manager's: not an object of ours */
	}
	if (rc == CD_OK)
		c->objects++;
out:
	free(ns);
	free(name);
	return rc;
}

static int
known_kind(const char *k)
{
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], k) == 0)
			return 1;
	return 0;
}

/* Implements inventory::load */
static int
k8s_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	char *kind = NULL, *ikind_default = NULL;
	int items, j, k, n, rc;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	kind = inv_path(&d, 0, "kind");
	if (json_type(&d, 0) != JSON_OBJECT || kind == NULL) {
		rc = inv_fail(c, 0, "a kubectl -o json object or List with a \"kind\" is expected");
		goto out;
	}
	items = json_get(&d, 0, "items");
	if (items < 0) {
		if (!known_kind(kind))
			rc = inv_fail(c, 0, "kind %s is not an inventory kind (pods, serviceaccounts, "
					   "secrets, roles, clusterroles, rolebindings, clusterrolebindings, nodes, "
					   "cert-manager certificates)",
				      kind);
		else
			rc = load_object(c, &d, 0, kind);
		goto out;
	}
	if (json_type(&d, items) != JSON_ARRAY) {
		rc = inv_fail(c, inv_off(&d, items), "\"items\" must be an array");
		goto out;
	}
	/* a typed list (PodList from the API) may leave kind out of its items */
	if (strlen(kind) > 4 && strcmp(kind + strlen(kind) - 4, "List") == 0)
		ikind_default = xstrndup(kind, strlen(kind) - 4);
	n = json_count(&d, items);
	for (j = 0, k = items + 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k)) {
		char *ik = inv_path(&d, k, "kind");
		const char *use = ik ? ik : ikind_default;

		if (json_type(&d, k) != JSON_OBJECT)
			rc = inv_fail(c, inv_off(&d, k), "item %d is not an object", j);
		else if (use != NULL && known_kind(use))
			rc = load_object(c, &d, k, use);
		free(ik);
	}
	if (rc == CD_OK && n > 0 && c->objects == 0)
		rc = inv_fail(c, 0, "no pods, serviceaccounts, secrets, roles, bindings, nodes or "
				   "cert-manager certificates in the List");
	else if (rc == CD_OK && n == 0)
		c->objects = 1; /* an empty List is a valid snapshot: nothing of that kind */
out:
	free(kind);
	free(ikind_default);
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_k8s = {
	.name = "k8s-inventory",
	.summary = "inventory: kubectl get pods,serviceaccounts,secrets,roles,...,nodes,certificates.cert-manager.io -o json",
	.probe = k8s_probe,
	.load = k8s_load,
};
