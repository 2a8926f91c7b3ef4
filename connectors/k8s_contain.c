/*
 * k8s_contain.c - containment that keeps the evidence: isolate a pod with a
 * deny-all NetworkPolicy, scale its controller to zero.
 *
 * Deleting a pod is the only way to kill its bound service-account tokens,
 * but it destroys what a responder needs (the container's filesystem, its
 * processes, its logs).  Isolation stops an escaped runtime from talking to
 * anything while it stays there to be examined:
 *
 *   1. the pod is labelled cordon.dev/isolate=<pod uid> (a uid, so one
 *      replica is chosen, never its siblings, and a pod recreated under the
 *      same name is not);
 *   2. a NetworkPolicy cordon-isolate-<pod> selects that label with both
 *      policy types and no rules: all ingress and egress denied.
 *
 * The policy is created first: until the label lands it selects nothing, so
 * no half state isolates the wrong pods.  NetworkPolicy does not apply to a
 * hostNetwork pod (it uses the node's interfaces): isolation is refused for
 * one, naming what to do instead (scale its controller to zero, cordon the
 * node).  Enforcement is the network plugin's: the verification reads back
 * what the API server holds and says so.
 *
 * Scaling goes through the scale subresource of a Deployment, StatefulSet or
 * ReplicaSet; the count read before is kept in the undo ("restore-scale
 * NS/KIND/NAME=3"), so undo puts back exactly what was there.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define ISOLATE_LABEL "cordon.dev/isolate"
#define ISOLATE_PREFIX "cordon-isolate-"

/* A string member of an object at path (keys with dots or slashes, which
 * json_body_str's path cannot name): 0 found, -1 not. */
static int
body_member(const struct buf *body, const char *objpath, const char *key, char *out, size_t cap)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	size_t n;
	int o, v, r = -1;

	out[0] = '\0';
	if (body->len == 0)
		return -1;
	json_tokens_init(&t, 4096);
	if (json_parse(&d, body->data, body->len, &t, &why) == CD_OK &&
	    (o = json_path(&d, 0, objpath)) >= 0 && (v = json_get(&d, o, key)) >= 0 &&
	    json_str(&d, v, out, cap, &n) == CD_OK)
		r = 0;
	json_tokens_release(&t);
	return r;
}

/* The pod's uid and hostNetwork: 1 read, 0 absent (res set), -1 error. */
static int
pod_read(struct conn *c, const char *ns, const char *pod, char *uid, size_t cap, int *hostnet,
	 char *label, size_t lcap, struct conn_result *res)
{
	char path[700], hn[16];
	struct api_out o;
	int r;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, pod);
	r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, "GET pod", res);
	if (r < 0 && o.rs.status == 403)
		res_detail(res, "the caller may not read pods in namespace %s: cordon can neither act "
				"on nor verify it",
			   ns);
	if (r == 1) {
		json_body_str(&o.rs.body, "metadata.uid", uid, cap);
		*hostnet = json_body_str(&o.rs.body, "spec.hostNetwork", hn, sizeof(hn)) == 0 &&
			   strcmp(hn, "true") == 0;
		body_member(&o.rs.body, "metadata.labels", ISOLATE_LABEL, label, lcap);
	}
	http_resp_release(&o.rs);
	if (r == 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "pod %s/%s not found (404): there is nothing to isolate", ns, pod);
	}
	return r;
}

/* The policy selects exactly label=uid and denies both directions: 1 yes,
 * 0 absent, 2 present but not ours as written, -1 error. */
static int
policy_read(struct conn *c, const char *ns, const char *name, const char *uid,
	    struct conn_result *res)
{
	char path[800], sel[128], t0[16], t1[16], rules[8];
	struct api_out o;
	int r;

	snprintf(path, sizeof(path), "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies/%s", ns,
		 name);
	r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, "GET networkpolicy", res);
	if (r == 1) {
		body_member(&o.rs.body, "spec.podSelector.matchLabels", ISOLATE_LABEL, sel, sizeof(sel));
		json_body_str(&o.rs.body, "spec.policyTypes[0]", t0, sizeof(t0));
		json_body_str(&o.rs.body, "spec.policyTypes[1]", t1, sizeof(t1));
		/* any rule at all would let something through */
		if (strcmp(sel, uid) != 0 ||
		    !((strcmp(t0, "Ingress") == 0 && strcmp(t1, "Egress") == 0) ||
		      (strcmp(t0, "Egress") == 0 && strcmp(t1, "Ingress") == 0)) ||
		    json_body_str(&o.rs.body, "spec.ingress[0]", rules, sizeof(rules)) == 0 ||
		    json_body_str(&o.rs.body, "spec.egress[0]", rules, sizeof(rules)) == 0)
			r = 2;
	}
	http_resp_release(&o.rs);
	return r;
}

/* The pods the isolation label selects in ns: exactly the one of uid?
 * 1 yes, 0 no (*n how many), -1 error. */
static int
selected_exactly(struct conn *c, const char *ns, const char *uid, int *n, struct conn_result *res)
{
	char path[800], got[128];
	struct api_out o;
	int r = -1;

	*n = 0;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=" ISOLATE_LABEL "%%3D%s",
		 ns, uid);
	if (k8s_call(c, "GET", path, NULL, NULL, 1, &o, res) == CD_OK && o.rs.status == 200) {
		got[0] = '\0';
		if (json_body_str(&o.rs.body, "items[0].metadata.uid", got, sizeof(got)) == 0)
			*n = 1;
		if (json_body_str(&o.rs.body, "items[1].metadata.uid", path, sizeof(path)) == 0)
			*n = 2;
		r = *n == 1 && strcmp(got, uid) == 0;
	} else {
		api_fail(res, &o, "list pods by the isolation label");
	}
	http_resp_release(&o.rs);
	return r;
}

/* NS/POD split, and the policy's name. */
static int
isolate_target(const char *target, char *ns, char *pod, size_t cap, char *policy, size_t pcap,
	       struct conn_result *res)
{
	if (k8s_ns_name(target, ns, pod, cap, res) != CD_OK)
		return CD_E_USAGE;
	if (strlen(ISOLATE_PREFIX) + strlen(pod) > 253) {
		res_detail(res, "pod name '%s' is too long to name its isolation policy", pod);
		return CD_E_USAGE;
	}
	snprintf(policy, pcap, ISOLATE_PREFIX "%s", pod);
	return CD_OK;
}

static const struct api_expect np_created = {
	.what = "create networkpolicy", .ok = { 201, 200 }, .gone = { 409 },
};
static const struct api_expect pod_labelled = { .what = "PATCH pod", .ok = { 200 } };

/* Implements conn_action::run for isolate-pod. */
int
k8s_isolate_pod(struct conn *c, const char *target, struct conn_result *res)
{
	char ns[256], pod[256], policy[300], uid[128] = "", label[128] = "", path[800];
	char body[2048];
	struct api_out o;
	int hostnet = 0, r, had = 0;

	if (isolate_target(target, ns, pod, sizeof(ns), policy, sizeof(policy), res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		if (pod_read(c, ns, pod, uid, sizeof(uid), &hostnet, label, sizeof(label), res) != 1)
			return CD_OK;
		if (hostnet) {
			res->outcome = CONN_FAILED;
			res_detail(res, "pod %s uses the host's network (hostNetwork): a NetworkPolicy does not "
					"apply to it. Scale its controller to zero (cordon revoke k8s-scale "
					"NS/KIND/NAME) or cordon and drain node it runs on",
				   target);
			return CD_OK;
		}
		had = policy_read(c, ns, policy, uid, res);
		if (had < 0)
			return CD_OK;
		if (had == 2) {
			res->outcome = CONN_FAILED;
			res_detail(res, "networkpolicy %s/%s exists but does not deny all traffic of this pod "
					"(uid %s): someone else's, or an older pod's; delete it and run again",
				   ns, policy, uid);
			return CD_OK;
		}
		if (had == 1 && strcmp(label, uid) == 0) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "networkpolicy %s/%s denies all ingress and egress of pod uid %s",
				     ns, policy, uid);
			res_undo(res, "unisolate-pod %s", target);
			return CD_OK;
		}
	} else {
		snprintf(uid, sizeof(uid), "(the pod's uid)");
	}
	/* 1. the policy, selecting nothing until the label lands */
	snprintf(path, sizeof(path), "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies", ns);
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
		 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
		 "\"labels\":{\"app.kubernetes.io/managed-by\":\"cordon\"},"
		 "\"annotations\":{\"cordon.dev/pod\":\"%s\"}},"
		 "\"spec\":{\"podSelector\":{\"matchLabels\":{\"" ISOLATE_LABEL "\":\"%s\"}},"
		 "\"policyTypes\":[\"Ingress\",\"Egress\"]}}",
		 policy, ns, pod, uid);
	r = api_acted(k8s_call(c, "POST", path, body, NULL, 0, &o, res), &o, &np_created, res);
	if (r == ACTED_FAILED)
		return CD_OK;
	/* 2. the label that makes it select this pod */
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, pod);
	snprintf(body, sizeof(body), "{\"metadata\":{\"labels\":{\"" ISOLATE_LABEL "\":\"%s\"}}}", uid);
	r = api_acted(k8s_call(c, "PATCH", path, body, "application/merge-patch+json", 1, &o, res),
		      &o, &pod_labelled, res);
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
	/* verify: both read back */
	label[0] = '\0';
	if (pod_read(c, ns, pod, uid, sizeof(uid), &hostnet, label, sizeof(label), res) != 1)
		return CD_OK;
	r = policy_read(c, ns, policy, uid, res);
	if (r == 1 && strcmp(label, uid) == 0 &&
	    (r = selected_exactly(c, ns, uid, &had, res)) == 1) {
		res->outcome = CONN_DONE;
		res_verified(res, "networkpolicy %s/%s denies all ingress and egress of pod uid %s, and "
				  "selects only it (enforced by the cluster's network plugin)",
			     ns, policy, uid);
		res_undo(res, "unisolate-pod %s", target);
	} else if (r == 0 && had != 1) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: the isolation label selects %d pods, not just uid %s", had,
			   uid);
	} else if (r >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: policy %s, pod label '%s' (want uid %s)",
			   r == 1 ? "in place" : "missing or altered", label, uid);
	}
	return CD_OK;
}

static const struct api_expect np_deleted = {
	.what = "DELETE networkpolicy", .ok = { 200, 202 }, .gone = { 404 },
};
static const struct api_expect pod_unlabelled = {
	.what = "PATCH pod", .ok = { 200 }, .gone = { 404 },
};

/* Implements conn_action::run for unisolate-pod (the undo of isolate-pod):
 * the policy goes, then the label (the pod may be gone by now: deleted
 * after isolation, which is the plan's order). */
int
k8s_unisolate_pod(struct conn *c, const char *target, struct conn_result *res)
{
	char ns[256], pod[256], policy[300], path[800];
	struct api_out o;
	int r, acted;

	if (isolate_target(target, ns, pod, sizeof(ns), policy, sizeof(policy), res) != CD_OK)
		return CD_E_USAGE;
	snprintf(path, sizeof(path), "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies/%s", ns,
		 policy);
	acted = api_acted(k8s_call(c, "DELETE", path, "{\"propagationPolicy\":\"Background\"}", NULL, 1,
				   &o, res),
			  &o, &np_deleted, res);
	if (acted == ACTED_FAILED)
		return CD_OK;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, pod);
	r = api_acted(k8s_call(c, "PATCH", path, "{\"metadata\":{\"labels\":{\"" ISOLATE_LABEL "\":null}}}",
			       "application/merge-patch+json", 1, &o, res),
		      &o, &pod_unlabelled, res);
	if (r == ACTED_FAILED || acted == ACTED_DRYRUN)
		return CD_OK;
	snprintf(path, sizeof(path), "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies/%s", ns,
		 policy);
	r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, "GET networkpolicy", res);
	http_resp_release(&o.rs);
	if (r == 0) {
		res->outcome = acted == ACTED_ALREADY ? CONN_ALREADY : CONN_DONE;
		res_verified(res, "networkpolicy %s/%s absent: the pod's traffic is no longer denied", ns,
			     policy);
		res_undo(res, "isolate-pod %s", target);
	} else if (r == 1) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: networkpolicy %s/%s still exists", ns, policy);
	}
	return CD_OK;
}

/* ---- scale ------------------------------------------------------------- */

/* NS/KIND/NAME[=N] with KIND a scalable controller; its scale path. */
static int
scale_target(const char *target, int want_count, char *path, size_t cap, char *base,
	     size_t bcap, long *count, struct conn_result *res)
{
	static const struct {
		const char *kind, *plural;
	} kinds[] = {
		{ "deployment", "deployments" },   { "deploy", "deployments" },
		{ "statefulset", "statefulsets" }, { "sts", "statefulsets" },
		{ "replicaset", "replicasets" },   { "rs", "replicasets" },
	};
	char ns[256], kind[64], name[256];
	const char *s1 = strchr(target, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	const char *eq = s2 ? strchr(s2 + 1, '=') : NULL, *plural = NULL;
	size_t i, nl;

	if (s1 == NULL || s2 == NULL || s1 == target || s2 == s1 + 1 ||
	    (size_t)(s1 - target) >= sizeof(ns) || (size_t)(s2 - s1 - 1) >= sizeof(kind))
		goto bad;
	memcpy(ns, target, (size_t)(s1 - target));
	ns[s1 - target] = '\0';
	memcpy(kind, s1 + 1, (size_t)(s2 - s1 - 1));
	kind[s2 - s1 - 1] = '\0';
	nl = eq ? (size_t)(eq - s2 - 1) : strlen(s2 + 1);
	if (nl == 0 || nl >= sizeof(name) || (eq != NULL) != want_count)
		goto bad;
	memcpy(name, s2 + 1, nl);
	name[nl] = '\0';
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			plural = kinds[i].plural;
	if (plural == NULL || !ident_ok(ns, "-.", 63) || !ident_ok(name, "-.", 253))
		goto bad;
	if (eq != NULL) {
		const char *p = eq + 1, *end = p + strlen(p);
		uint64_t v;

		if (p == end || str_uint64(&p, end, &v, 1000000) != CD_OK || p != end)
			goto bad;
		*count = (long)v;
	}
	snprintf(base, bcap, "%s/%s/%s", ns, kind, name);
	snprintf(path, cap, "/apis/apps/v1/namespaces/%s/%s/%s/scale", ns, plural, name);
	return CD_OK;
bad:
	res_detail(res, "'%s' is not NAMESPACE/KIND/NAME%s (KIND: deployment, statefulset or "
			"replicaset)",
		   target, want_count ? "=REPLICAS" : "");
	return CD_E_USAGE;
}

/* spec.replicas from the scale subresource: 1 read, 0 absent, -1 error. */
static int
scale_read(struct conn *c, const char *path, long *replicas, struct conn_result *res)
{
	char v[32];
	struct api_out o;
	int r;

	r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, "GET scale", res);
	*replicas = -1;
	if (r == 1 && json_body_str(&o.rs.body, "spec.replicas", v, sizeof(v)) == 0) {
		const char *p = v, *end = v + strlen(v);
		uint64_t n;

		if (p != end && str_uint64(&p, end, &n, 1000000) == CD_OK && p == end)
			*replicas = (long)n;
	} else if (r == 1) {
		*replicas = 0; /* spec.replicas omitted: zero */
	}
	http_resp_release(&o.rs);
	return r;
}

static const struct api_expect scaled = { .what = "PATCH scale", .ok = { 200 } };

/* Shared by scale-to-zero and restore-scale. */
static int
k8s_scale(struct conn *c, const char *target, int restore, struct conn_result *res)
{
	char path[800], base[600], body[128];
	long want = 0, before = -1, after = -1;
	struct api_out o;
	int r;

	if (scale_target(target, restore, path, sizeof(path), base, sizeof(base), &want, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		r = scale_read(c, path, &before, res);
		if (r < 0)
			return CD_OK;
		if (r == 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "%s not found (404): nothing to scale (mistyped, or deleted)", base);
			return CD_OK;
		}
		if (before == want) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "%s: spec.replicas=%ld", base, before);
			return CD_OK;
		}
	}
	snprintf(body, sizeof(body), "{\"spec\":{\"replicas\":%ld}}", want);
	r = api_acted(k8s_call(c, "PATCH", path, body, "application/merge-patch+json", 1, &o, res), &o,
		      &scaled, res);
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
	r = scale_read(c, path, &after, res);
	if (r == 1 && after == want) {
		res->outcome = CONN_DONE;
		res_verified(res, "%s: spec.replicas %ld -> %ld", base, before, after);
		if (restore)
			res_undo(res, "scale-to-zero %s", base);
		else
			res_undo(res, "restore-scale %s=%ld", base, before);
	} else if (r >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: %s spec.replicas is %ld, not %ld", base, after, want);
	}
	return CD_OK;
}

/* Implements conn_action::run for scale-to-zero. */
int
k8s_scale_to_zero(struct conn *c, const char *target, struct conn_result *res)
{
	return k8s_scale(c, target, 0, res);
}

/* Implements conn_action::run for restore-scale (the undo of scale-to-zero). */
int
k8s_restore_scale(struct conn *c, const char *target, struct conn_result *res)
{
	return k8s_scale(c, target, 1, res);
}
