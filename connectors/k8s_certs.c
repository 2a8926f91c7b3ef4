/*
 * k8s_certs.c - re-issue a cert-manager Certificate with a new private key,
 * as `cmctl renew` does, and wait for cert-manager to finish.
 *
 * A workload certificate whose key was read is not fixed by a new
 * certificate alone: with spec.privateKey.rotationPolicy Never (the default
 * before cert-manager 1.18) the new certificate reuses the stolen key.  So
 * the policy is set to Always first, then the Issuing condition is added on
 * the status subresource (a merge patch replaces the whole conditions list:
 * the others are sent back as read, with the resourceVersion read, so a
 * concurrent controller write makes ours fail instead of erasing its
 * conditions).  Done is cert-manager's own answer: status.revision grew and
 * Ready is True.  cert-manager never revokes the old certificate: revoke it
 * at the issuer (vault-cert) once the new one is in place.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define CM_PATH "/apis/cert-manager.io/v1/namespaces/%s/certificates/%s"
#define CM_WAIT_TRIES 8

struct cm_state {
	int64_t revision;
	char policy[32];
	char rv[64];
	int issuing, ready;
	struct buf others; /* the conditions other than Issuing, as JSON elements */
};

/* Read the Certificate: 1, 0 absent (res set), -1 error (res set). */
static int
cm_read(struct conn *c, const char *ns, const char *name, struct cm_state *st,
	struct conn_result *res)
{
	struct json_tokens t;
	struct json_doc d;
	struct api_out o;
	char path[700];
	const char *why;
	int r, conds, i, n;

	buf_release(&st->others);
	buf_init(&st->others, 64 * 1024);
	st->revision = 0;
	st->policy[0] = st->rv[0] = '\0';
	st->issuing = st->ready = 0;
	snprintf(path, sizeof(path), CM_PATH, ns, name);
	r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, "GET certificate", res);
	if (r == 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "certificate %s/%s not found (404): mistyped, or not a cert-manager "
				"Certificate (cert-manager.io/v1)",
			   ns, name);
	}
	if (r != 1) {
		http_resp_release(&o.rs);
		return r;
	}
	json_tokens_init(&t, 8192);
	if (json_parse(&d, o.rs.body.data, o.rs.body.len, &t, &why) == CD_OK) {
		int v;
		size_t len;

		if ((v = json_path(&d, 0, "status.revision")) >= 0)
			json_i64(&d, v, &st->revision);
		if ((v = json_path(&d, 0, "spec.privateKey.rotationPolicy")) >= 0)
			json_str(&d, v, st->policy, sizeof(st->policy), &len);
		if ((v = json_path(&d, 0, "metadata.resourceVersion")) >= 0)
			json_str(&d, v, st->rv, sizeof(st->rv), &len);
		conds = json_path(&d, 0, "status.conditions");
		n = conds >= 0 && json_type(&d, conds) == JSON_ARRAY ? json_count(&d, conds) : 0;
		for (i = 0; i < n; i++) {
			int el = json_at(&d, conds, i), ty = json_get(&d, el, "type"),
			    s = json_get(&d, el, "status");
			int is_true = s >= 0 && span_eq(json_raw(&d, s), "True");
			struct span raw = json_raw(&d, el);

			if (ty >= 0 && span_eq(json_raw(&d, ty), "Issuing")) {
				st->issuing = is_true;
				continue;
			}
			if (ty >= 0 && span_eq(json_raw(&d, ty), "Ready"))
				st->ready = is_true;
			if ((st->others.len && buf_addc(&st->others, ',') != CD_OK) ||
			    buf_add(&st->others, raw.p, raw.n) != CD_OK)
				r = -1;
		}
	} else {
		r = -1;
	}
	json_tokens_release(&t);
	http_resp_release(&o.rs);
	if (r < 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "certificate %s/%s: the answer is not a Certificate cordon can read", ns,
			   name);
	}
	return r;
}

static const struct api_expect cm_patched = { .what = "PATCH certificate", .ok = { 200 } };

/* Implements conn_action::run for reissue-cert. */
int
k8s_reissue_cert(struct conn *c, const char *target, struct conn_result *res)
{
	char ns[256], name[256], path[800], now[40];
	struct cm_state st;
	struct buf body;
	struct api_out o;
	int64_t before;
	int r, tries, rc = CD_OK;

	if (k8s_ns_name(target, ns, name, sizeof(ns), res) != CD_OK)
		return CD_E_USAGE;
	memset(&st, 0, sizeof(st));
	buf_init(&st.others, 64 * 1024);
	buf_init(&body, 128 * 1024);
	snprintf(path, sizeof(path), CM_PATH, ns, name);
	if (!c->opts->dry_run && cm_read(c, ns, name, &st, res) != 1)
		goto out;
	before = st.revision;
	/* 1. a new private key, or the new certificate certifies the stolen one */
	if (c->opts->dry_run || strcmp(st.policy, "Always") != 0) {
		r = api_acted(k8s_call(c, "PATCH", path,
				       "{\"spec\":{\"privateKey\":{\"rotationPolicy\":\"Always\"}}}",
				       "application/merge-patch+json", 1, &o, res),
			      &o, &cm_patched, res);
		if (r == ACTED_FAILED)
			goto out;
		if (!c->opts->dry_run && cm_read(c, ns, name, &st, res) != 1)
			goto out;
	}
	/* 2. the Issuing condition, unless cert-manager is issuing already */
	if (!st.issuing) {
		time_format_sec(time_now_ns(), now, sizeof(now));
		if (buf_printf(&body,
			       "{\"metadata\":{\"resourceVersion\":\"%s\"},\"status\":{\"conditions\":[%s%s"
			       "{\"type\":\"Issuing\",\"status\":\"True\",\"reason\":\"ManuallyTriggered\","
			       "\"message\":\"Certificate re-issuance manually triggered (cordon)\","
			       "\"lastTransitionTime\":\"%s\"}]}}",
			       c->opts->dry_run ? "(as read)" : st.rv, st.others.data ? st.others.data : "",
			       st.others.len ? "," : "", now) != CD_OK) {
			res_detail(res, "certificate %s has too many conditions", target);
			goto out;
		}
		snprintf(path, sizeof(path), CM_PATH "/status", ns, name);
		r = api_acted(k8s_call(c, "PATCH", path, body.data, "application/merge-patch+json", 0, &o,
				       res),
			      &o, &cm_patched, res);
		if (r == ACTED_FAILED || r == ACTED_DRYRUN)
			goto out;
	}
	/* 3. wait for cert-manager: a new revision, Ready */
	for (tries = 0; tries < CM_WAIT_TRIES; tries++) {
		if (cm_read(c, ns, name, &st, res) != 1)
			goto out;
		if (st.revision > before && st.ready && !st.issuing)
			break;
		http_pause(tries, -1);
	}
	if (st.revision > before && st.ready && !st.issuing) {
		res->outcome = CONN_DONE;
		res_verified(res, "cert-manager issued revision %lld (was %lld) with a new private key "
				  "(rotationPolicy Always); Ready. Revoke the old certificate at its issuer",
			     (long long)st.revision, (long long)before);
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "re-issuance triggered, but cert-manager has not issued yet (revision %lld, "
				"%s): see kubectl describe certificate -n %s %s",
			   (long long)st.revision, st.issuing ? "still issuing" : "not Ready", ns, name);
	}
out:
	buf_release(&st.others);
	buf_release(&body);
	return rc;
}
