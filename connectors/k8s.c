/*
 * k8s.c - the Kubernetes connector: core/v1 pods, secrets, service
 * accounts and nodes through the API server, configured from KUBECONFIG.
 *
 * Configuration as kubectl reads it (kubemerge.c): --kubeconfig, else the
 * files of KUBECONFIG merged, else ~/.kube/config; --context or the
 * current-context; that context's cluster (server, certificate-authority
 * or -data) and user (an exec credential plugin (k8s_exec.c), token,
 * tokenFile, client-certificate/-key or their -data).  Like client-go, a
 * bearer token is only ever sent over TLS; insecure-skip-tls-verify and
 * auth-provider plugins are refused with a message.
 *
 * Bound service-account tokens cannot be revoked one by one: deleting the
 * pod (or the legacy token secret, or recreating the service account with
 * a new UID) is what kills them.  DELETE of something already gone (404) is
 * "already done".
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

struct k8s_cfg {
	char *server;
	char *token_header;  /* "Authorization: Bearer ...", wiped */
	char *ca_file;
	char *ca_pem;
	size_t ca_len;
	char *cert_file, *key_file;
	char *cert_pem;
	size_t cert_len;
	char *key_pem;       /* wiped */
	size_t key_len;
	struct k8s_exec *exec; /* the user's exec plugin, or NULL */
	int64_t expiry_ns;   /* the exec credential's; 0: none */
	struct http_tls tls;
};

static void
wipe(char **p, size_t n)
{
	if (*p != NULL)
		freezero(*p, n ? n + 1 : strlen(*p) + 1);
	*p = NULL;
}

static void
k8s_close(void **cdata)
{
	struct k8s_cfg *k = *cdata;

	if (k == NULL)
		return;
	free(k->server);
	secret_free(&k->token_header);
	free(k->ca_file);
	free(k->ca_pem);
	free(k->cert_file);
	free(k->key_file);
	free(k->cert_pem);
	wipe(&k->key_pem, k->key_len);
	k8s_exec_free(&k->exec);
	free(k);
	*cdata = NULL;
}

/* A path in a kubeconfig is relative to the file's directory. */
static char *
rel_path(const char *kcpath, const char *p)
{
	const char *slash = strrchr(kcpath, '/');
	struct buf b;

	if (p[0] == '/' || slash == NULL)
		return xstrdup(p);
	buf_init(&b, 8192);
	if (buf_add(&b, kcpath, (size_t)(slash - kcpath + 1)) != CD_OK || buf_addstr(&b, p) != CD_OK) {
		buf_release(&b);
		return xstrdup(p);
	}
	return buf_take(&b);
}

static int kfail(char **cause, const char *fmt, ...) CD_PRINTF(2, 3);

static int
kfail(char **cause, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	*cause = xstrdup(tmp);
	return CD_E_USAGE;
}

/* The exec plugin's credential into k (replacing what was there). */
static int
k8s_exec_apply(struct k8s_cfg *k, char **cause)
{
	struct k8s_cred cr;
	int r;

	if ((r = k8s_exec_cred(k->exec, &cr, cause)) != CD_OK)
		return r;
	secret_free(&k->token_header);
	free(k->cert_pem);
	wipe(&k->key_pem, k->key_len);
	k->cert_pem = NULL;
	k->cert_len = k->key_len = 0;
	if (cr.token != NULL)
		k->token_header = secret_header("Authorization: Bearer ", cr.token, cr.token_len);
	if (cr.cert_pem != NULL && cr.key_pem != NULL) {
		k->cert_pem = cr.cert_pem;
		k->cert_len = cr.cert_len;
		k->key_pem = cr.key_pem;
		k->key_len = cr.key_len;
		cr.cert_pem = cr.key_pem = NULL;
	}
	k->expiry_ns = cr.expiry_ns;
	k8s_cred_release(&cr);
	k->tls.cert_pem = k->cert_pem;
	k->tls.cert_pem_len = k->cert_len;
	k->tls.key_pem = k->key_pem;
	k->tls.key_pem_len = k->key_len;
	if (k->token_header == NULL && k->cert_pem == NULL)
		return kfail(cause, "the exec plugin's token is too long");
	return CD_OK;
}

/* The user's credentials: exec plugin, token, tokenFile, client cert. */
static int
k8s_user(struct k8s_cfg *k, const struct kc_set *s, const char *ctx, const char *user,
	 const char *ca_b64, int dry_run, char **cause)
{
	struct kc_ref u;
	const char *v, *up;
	char *rcause = NULL;

	if (kc_named(s, "users", user, &u) != CD_OK)
		return kfail(cause, "kubeconfig %s: context '%s' names user '%s', which no kubeconfig "
				    "file defines: add it, or pick another --context",
			     s->f[0].path, ctx, user);
	up = kc_path(s, u);
	if ((v = kc_field(s, u, "users", "user.auth-provider.name")) != NULL && *v)
		return kfail(cause, "kubeconfig %s: user '%s' uses the auth-provider '%s', which "
				    "kubectl no longer supports either: switch it to its exec plugin "
				    "(e.g. gke-gcloud-auth-plugin, kubelogin)",
			     up, user, v);
	if ((v = kc_field(s, u, "users", "user.exec.command")) != NULL && *v) {
		int r = k8s_exec_parse(s, u, user, k->server, ca_b64, &k->exec, cause);

		/* a dry run runs nothing: the header is shown [REDACTED] anyway */
		if (r == CD_OK && dry_run)
			k->token_header = xstrdup("Authorization: Bearer (the exec plugin's token)");
		else if (r == CD_OK)
			r = k8s_exec_apply(k, cause);
		return r;
	}
	if ((v = kc_field(s, u, "users", "user.token")) != NULL && *v) {
		k->token_header = secret_header("Authorization: Bearer ", v, strlen(v));
	} else if ((v = kc_field(s, u, "users", "user.tokenFile")) != NULL && *v) {
		char *tf = rel_path(up, v), *tok = NULL;
		size_t toklen = 0;

		if (conn_read_secret(tf, &tok, &toklen, &rcause) != CD_OK) {
			kfail(cause, "kubeconfig %s: user '%s': cannot read tokenFile %s: %s", up, user, tf,
			      rcause ? rcause : "?");
			free(rcause);
			free(tf);
			return CD_E_USAGE;
		}
		free(tf);
		k->token_header = secret_header("Authorization: Bearer ", tok, toklen);
		freezero(tok, toklen + 1);
	}
	if ((v = kc_field(s, u, "users", "user.client-certificate-data")) != NULL && *v &&
	    b64_decode(v, strlen(v), &k->cert_pem, &k->cert_len) != CD_OK)
		return kfail(cause, "kubeconfig %s: user '%s': client-certificate-data is not base64",
			     up, user);
	if ((v = kc_field(s, u, "users", "user.client-key-data")) != NULL && *v &&
	    b64_decode(v, strlen(v), &k->key_pem, &k->key_len) != CD_OK)
		return kfail(cause, "kubeconfig %s: user '%s': client-key-data is not base64", up, user);
	if (k->cert_pem == NULL && (v = kc_field(s, u, "users", "user.client-certificate")) != NULL &&
	    *v)
		k->cert_file = rel_path(up, v);
	if (k->key_pem == NULL && (v = kc_field(s, u, "users", "user.client-key")) != NULL && *v)
		k->key_file = rel_path(up, v);
	if ((k->cert_pem || k->cert_file) != (k->key_pem || k->key_file))
		return kfail(cause, "kubeconfig %s: user '%s' has a client certificate without its key "
				    "(or a key without its certificate)",
			     up, user);
	if (k->token_header == NULL && k->cert_pem == NULL && k->cert_file == NULL)
		return kfail(cause, "kubeconfig %s: user '%s' has no token, tokenFile, client "
				    "certificate or exec plugin: give one (cordon never prompts)",
			     up, user);
	return CD_OK;
}

/* Implements connector::open_opts: kubectl's kubeconfig, merged. */
static int
k8s_open(const struct conn_opts *o, void **cdata, char **cause)
{
	struct k8s_cfg *k = xcalloc(1, sizeof(*k));
	struct kc_set s;
	struct kc_ref cx, cl;
	const char *ctx, *cluster, *user, *v, *cp, *ca_b64 = NULL;
	int r;

	*cdata = NULL;
	if ((r = kc_set_load(&s, o->kubeconfig, cause)) != CD_OK) {
		free(k);
		return r == CD_E_IO || r == CD_E_PARSE ? CD_E_USAGE : r;
	}
	r = CD_E_USAGE;
	ctx = o->kube_context ? o->kube_context : kc_top(&s, "current-context", NULL);
	if (ctx == NULL) {
		kfail(cause, "kubeconfig %s%s sets no current-context: give --context NAME, or run "
			     "kubectl config use-context NAME",
		      s.f[0].path, s.n > 1 ? " (and the rest of KUBECONFIG)" : "");
		goto out;
	}
	if (kc_named(&s, "contexts", ctx, &cx) != CD_OK) {
		kfail(cause, "kubeconfig %s%s has no context '%s' (kubectl config get-contexts lists "
			     "them): give --context NAME",
		      s.f[0].path, s.n > 1 ? " (and the rest of KUBECONFIG)" : "", ctx);
		goto out;
	}
	cp = kc_path(&s, cx);
	cluster = kc_field(&s, cx, "contexts", "context.cluster");
	user = kc_field(&s, cx, "contexts", "context.user");
	if (cluster == NULL || *cluster == '\0' || kc_named(&s, "clusters", cluster, &cl) != CD_OK) {
		kfail(cause, "kubeconfig %s: context '%s' names cluster '%s', which no kubeconfig file "
			     "defines: add it, or pick another --context",
		      cp, ctx, cluster ? cluster : "");
		goto out;
	}
	cp = kc_path(&s, cl);
	if ((v = kc_field(&s, cl, "clusters", "cluster.server")) == NULL || strncmp(v, "https://", 8) != 0) {
		kfail(cause, "kubeconfig %s: cluster '%s' needs an https:// server (tokens are only "
			     "sent over TLS)",
		      cp, cluster);
		goto out;
	}
	k->server = xstrdup(v);
	if ((v = kc_field(&s, cl, "clusters", "cluster.insecure-skip-tls-verify")) != NULL &&
	    strcmp(v, "true") == 0) {
		kfail(cause, "kubeconfig %s: cluster '%s' sets insecure-skip-tls-verify; cordon always "
			     "verifies TLS (give certificate-authority instead)",
		      cp, cluster);
		goto out;
	}
	if ((v = kc_field(&s, cl, "clusters", "cluster.certificate-authority-data")) != NULL && *v) {
		ca_b64 = v;
		if (b64_decode(v, strlen(v), &k->ca_pem, &k->ca_len) != CD_OK) {
			kfail(cause, "kubeconfig %s: certificate-authority-data of cluster '%s' is not "
				     "base64",
			      cp, cluster);
			goto out;
		}
	} else if ((v = kc_field(&s, cl, "clusters", "cluster.certificate-authority")) != NULL && *v) {
		k->ca_file = rel_path(cp, v);
	}
	if (user == NULL || *user == '\0') {
		kfail(cause, "kubeconfig %s: context '%s' names no user: cordon needs credentials "
			     "(a token, client certificate or exec plugin)",
		      kc_path(&s, cx), ctx);
		goto out;
	}
	if ((r = k8s_user(k, &s, ctx, user, ca_b64, o->dry_run, cause)) != CD_OK)
		goto out;
	k->tls.ca_file = k->ca_file;
	k->tls.ca_pem = k->ca_pem;
	k->tls.ca_pem_len = k->ca_len;
	k->tls.cert_file = k->cert_file;
	k->tls.key_file = k->key_file;
	k->tls.cert_pem = k->cert_pem;
	k->tls.cert_pem_len = k->cert_len;
	k->tls.key_pem = k->key_pem;
	k->tls.key_pem_len = k->key_len;
	*cdata = k;
	k = NULL;
	r = CD_OK;
out:
	kc_set_release(&s);
	if (k != NULL) {
		void *p = k;

		k8s_close(&p);
	}
	return r;
}

/* Implements api_style::parse: errors are Status objects (reason, message). */
static void
k8s_parse(struct api_out *o)
{
	if (o->rs.status >= 300) {
		json_body_str(&o->rs.body, "reason", o->code, sizeof(o->code));
		json_body_str(&o->rs.body, "message", o->message, sizeof(o->message));
	}
}

/* Implements api_style::explain. */
static void
k8s_explain(struct conn_result *res, const struct api_out *o, const char *what)
{
	if (o->rs.status == 0) {
		if (strstr(o->message, "certificate") || strstr(o->message, "SSL"))
			res_detail(res, "TLS verification failed: give the cluster's CA as "
					"certificate-authority(-data) in the kubeconfig");
		return;
	}
	res_detail(res, "%s: HTTP %ld %s: %s", what, o->rs.status, o->code[0] ? o->code : "?",
		   o->message);
}

static const struct api_style k8s_style = { .parse = k8s_parse, .explain = k8s_explain };

/* One API call; CD_OK when an answer arrived.  The caller releases o->rs. */
int
k8s_call(struct conn *c, const char *method, const char *path, const char *body,
	 const char *ctype, int idempotent, struct api_out *o, struct conn_result *res)
{
	struct k8s_cfg *k = c->cdata;
	struct http_req rq;
	char cth[128];
	int r, attempt;

	/* a long apply outlives a plugin's credential: fetch a fresh one */
	if (k->exec != NULL && k->expiry_ns != 0 && time_now_ns() >= k->expiry_ns &&
	    !c->opts->dry_run) {
		char *cause = NULL;

		if (k8s_exec_apply(k, &cause) != CD_OK) {
			api_out_init(o, &k8s_style);
			snprintf(o->message, sizeof(o->message), "%s", cause ? cause : "exec plugin failed");
			free(cause);
			res_detail(res, "%s", o->message);
			return CD_E_IO;
		}
	}
	for (attempt = 0;; attempt++) {
		char *cause = NULL;

		memset(&rq, 0, sizeof(rq));
		rq.method = method;
		http_req_header(&rq, "Accept: application/json", 0);
		if (body != NULL) {
			snprintf(cth, sizeof(cth), "Content-Type: %s", ctype ? ctype : "application/json");
			api_body(&rq, cth, body, NULL);
		}
		if (k->token_header != NULL)
			http_req_header(&rq, k->token_header, 1);
		rq.tls = &k->tls;
		rq.idempotent = idempotent;
		rq.reqid_headers[0] = "Audit-Id";
		rq.reqid_headers[1] = "X-Request-Id";
		r = api_rest(c, k->server, path, &rq, &k8s_style, o, res);
		/* as client-go: a 401 to an exec plugin's credential (revoked,
		 * rotated, expired early) runs the plugin again, once; nothing
		 * was done with the refused request, so even a create may repeat */
		if (r != CD_OK || o->rs.status != 401 || k->exec == NULL || attempt > 0 ||
		    c->opts->dry_run)
			return r;
		k8s_exec_invalidate(k->exec);
		if (k8s_exec_apply(k, &cause) != CD_OK) {
			res_detail(res, "%s", cause ? cause : "exec plugin failed");
			free(cause);
			return r;
		}
		http_resp_release(&o->rs);
	}
}

/* "ns/name" with DNS-1123-ish parts. */
int
k8s_ns_name(const char *t, char *ns, char *name, size_t cap, struct conn_result *res)
{
	const char *slash = strchr(t, '/');

	if (slash == NULL || slash == t || (size_t)(slash - t) >= cap || strlen(slash + 1) >= cap) {
		res_detail(res, "'%s' is not NAMESPACE/NAME", t);
		return CD_E_USAGE;
	}
	memcpy(ns, t, (size_t)(slash - t));
	ns[slash - t] = '\0';
	memcpy(name, slash + 1, strlen(slash + 1) + 1);
	if (!ident_ok(ns, "-.", 63) || !ident_ok(name, "-.", 253)) {
		res_detail(res, "'%s' is not NAMESPACE/NAME (letters, digits, '-' and '.')", t);
		return CD_E_USAGE;
	}
	return CD_OK;
}

/* A DELETE is accepted (200), queued (202), or finds nothing (404). */
static const struct api_expect k8s_deleted = {
	.what = "DELETE", .ok = { 200, 202 }, .gone = { 404 },
};

/* Delete one namespaced object and read it back (404, or terminating). */
static int
k8s_delete_obj(struct conn *c, const char *target, const char *kind, struct conn_result *res)
{
	char ns[256], name[256], path[700], dts[64];
	struct api_out o;
	const char *body = strcmp(kind, "pods") == 0
				   ? "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
				     "\"gracePeriodSeconds\":0,\"propagationPolicy\":\"Background\"}"
				   : "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
				     "\"propagationPolicy\":\"Background\"}";
	int r, acted;

	if (k8s_ns_name(target, ns, name, sizeof(ns), res) != CD_OK)
		return CD_E_USAGE;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/%s/%s", ns, kind, name);
	if (!c->opts->dry_run) {
		/* check */
		r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, "GET", res);
		if (r < 0 && o.rs.status == 403)
			res_detail(res, "the caller may not read %s in namespace %s: cordon can neither act "
					"on nor verify it",
				   kind, ns);
		http_resp_release(&o.rs);
		if (r == 0) {
			/* absent before we acted: nothing shows it was ever there */
			res->outcome = CONN_FAILED;
			res_verified(res, "absent (404)");
			res_detail(res, "%s %s not found (404): deleted by someone else, mistyped, or never in "
					"this cluster; cordon cannot prove it is revoked",
				   kind, target);
			snprintf(res->absent_by, sizeof(res->absent_by), "%s",
				 strcmp(kind, "pods") == 0 ? "delete-pod" : "delete-secret");
		}
		if (r != 1)
			return CD_OK;
	}
	/* act */
	acted = api_acted(k8s_call(c, "DELETE", path, body, NULL, 1, &o, res), &o, &k8s_deleted, res);
	if (acted == ACTED_FAILED || acted == ACTED_DRYRUN)
		return CD_OK;
	/* verify: gone, or going */
	r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, NULL, res);
	if (r == 0) {
		res->outcome = acted == ACTED_ALREADY ? CONN_ALREADY : CONN_DONE;
		res_verified(res, "absent (404)");
	} else if (r == 1 &&
		   json_body_str(&o.rs.body, "metadata.deletionTimestamp", dts, sizeof(dts)) == 0) {
		res->outcome = CONN_DONE;
		res_verified(res, "terminating since %s", dts);
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: %s/%s still exists (HTTP %ld)", kind, target, o.rs.status);
	}
	http_resp_release(&o.rs);
	return CD_OK;
}

/* Implements conn_action::run for delete-pod. */
static int
k8s_delete_pod(struct conn *c, const char *target, struct conn_result *res)
{
	return k8s_delete_obj(c, target, "pods", res);
}

/* Implements conn_action::run for delete-secret. */
static int
k8s_delete_secret(struct conn *c, const char *target, struct conn_result *res)
{
	return k8s_delete_obj(c, target, "secrets", res);
}

/* Names of the legacy token secrets of ns/sa (from a secret list). */
static int
sa_token_secrets(struct conn *c, const char *ns, const char *sa, char names[][254], int max,
		 int *n, struct conn_result *res)
{
	struct json_tokens t;
	struct json_doc d;
	struct api_out o;
	char path[400];
	const char *why;
	int r, items, k, cnt;

	*n = 0;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", ns);
	r = k8s_call(c, "GET", path, NULL, NULL, 1, &o, res);
	if (r != CD_OK || o.rs.status != 200) {
		api_fail(res, &o, "list secrets");
		http_resp_release(&o.rs);
		return CD_E_IO;
	}
	json_tokens_init(&t, JSON_MAX_TOKENS);
	if (json_parse(&d, o.rs.body.data, o.rs.body.len, &t, &why) == CD_OK &&
	    (items = json_get(&d, 0, "items")) >= 0 && json_type(&d, items) == JSON_ARRAY) {
		cnt = json_count(&d, items);
		for (k = 0; k < cnt && *n < max; k++) {
			int it = json_at(&d, items, k), ty = json_get(&d, it, "type");
			int an = json_path(&d, it, "metadata.annotations");
			int nm = json_path(&d, it, "metadata.name");
			int sn = an >= 0 ? json_get(&d, an, "kubernetes.io/service-account.name") : -1;
			size_t len;

			if (ty < 0 || !span_eq(json_raw(&d, ty), "kubernetes.io/service-account-token") ||
			    sn < 0 || !span_eq(json_raw(&d, sn), sa) || nm < 0)
				continue;
			if (json_str(&d, nm, names[*n], 254, &len) == CD_OK)
				(*n)++;
		}
	}
	json_tokens_release(&t);
	http_resp_release(&o.rs);
	return CD_OK;
}

/* Each token secret found is deleted; one gone meanwhile counts as deleted
 * by someone else (its 404 is the answer recorded). */
static const struct api_expect k8s_token_secret_deleted = {
	.what = "DELETE token secret", .ok = { 200, 202, 404 },
};

/* Implements conn_action::run for delete-sa-token-secrets. */
static int
k8s_delete_sa_token_secrets(struct conn *c, const char *target, struct conn_result *res)
{
	char ns[256], sa[256], names[32][254], path[700];
	int n, i, r, deleted = 0;

	if (k8s_ns_name(target, ns, sa, sizeof(ns), res) != CD_OK)
		return CD_E_USAGE;
	if (c->opts->dry_run) {
		struct api_out o;

		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/<each token secret of %s>", ns,
			 sa);
		k8s_call(c, "DELETE", path, "{\"propagationPolicy\":\"Background\"}", NULL, 1, &o, res);
		http_resp_release(&o.rs);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (sa_token_secrets(c, ns, sa, names, 32, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	for (i = 0; i < n; i++) {
		struct api_out o;

		snprintf(path, sizeof(path), "/api/v1/namespaces/%.63s/secrets/%.253s", ns, names[i]);
		r = k8s_call(c, "DELETE", path, "{\"propagationPolicy\":\"Background\"}", NULL, 1, &o,
			     res);
		if (api_acted(r, &o, &k8s_token_secret_deleted, res) == ACTED_FAILED)
			return CD_OK;
		deleted += o.rs.status != 404;
	}
	if (sa_token_secrets(c, ns, sa, names, 32, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	if (n > 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: %d token secrets of %s remain", n, target);
		return CD_OK;
	}
	res->outcome = deleted ? CONN_DONE : CONN_ALREADY;
	res_verified(res, "no legacy token secrets for %s (%d deleted)", target, deleted);
	return CD_OK;
}

/* The old account is deleted, or was never there (its 404 is recorded). */
static const struct api_expect k8s_sa_deleted = {
	.what = "DELETE serviceaccount", .ok = { 200, 404 },
};

/* Implements conn_action::run for recreate-sa: delete, create anew (new
 * UID: every token of the old one dies), verify the UID changed. */
static int
k8s_recreate_sa(struct conn *c, const char *target, struct conn_result *res)
{
	char ns[256], sa[256], path[700], olduid[128] = "", newuid[128] = "", body[1200];
	struct api_out o;
	int r, attempt;

	if (k8s_ns_name(target, ns, sa, sizeof(ns), res) != CD_OK)
		return CD_E_USAGE;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts/%s", ns, sa);
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"%s\","
		 "\"namespace\":\"%s\",\"annotations\":{\"cordon.dev/recreated\":\"true\"}}}",
		 sa, ns);
	if (!c->opts->dry_run) {
		r = api_present(k8s_call(c, "GET", path, NULL, NULL, 1, &o, res), &o,
				"GET serviceaccount", res);
		if (r == 1)
			json_body_str(&o.rs.body, "metadata.uid", olduid, sizeof(olduid));
		http_resp_release(&o.rs);
		if (r < 0)
			return CD_OK;
		if (r == 0) {
			/* recreating what is not there would create it: not what was asked */
			res->outcome = CONN_FAILED;
			res_detail(res, "serviceaccount %s/%s does not exist: nothing to recreate", ns, sa);
			return CD_OK;
		}
	}
	if (olduid[0] || c->opts->dry_run) {
		r = k8s_call(c, "DELETE", path, "{\"propagationPolicy\":\"Background\"}", NULL, 1, &o, res);
		if (api_acted(r, &o, &k8s_sa_deleted, res) == ACTED_FAILED)
			return CD_OK;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts", ns);
	for (attempt = 0; attempt < 4; attempt++) {
		/* a create is not retried blindly: on a lost answer, read first */
		r = k8s_call(c, "POST", path, body, NULL, 0, &o, res);
		if (r == CD_OK && o.rs.dry_run) {
			http_resp_release(&o.rs);
			res->outcome = CONN_DRYRUN;
			return CD_OK;
		}
		if (r == CD_OK && (o.rs.status == 201 || o.rs.status == 200)) {
			json_body_str(&o.rs.body, "metadata.uid", newuid, sizeof(newuid));
			res_from_resp(res, &o.rs);
			http_resp_release(&o.rs);
			break;
		}
		if (r == CD_OK && o.rs.status != 409 && o.rs.status != 429 && o.rs.status < 500) {
			api_fail(res, &o, "create serviceaccount");
			http_resp_release(&o.rs);
			return CD_OK;
		}
		http_pause(attempt, o.rs.retry_after_ms);
		http_resp_release(&o.rs);
		/* 409 (old one still terminating), 429, 5xx or no answer: what is there now? */
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts/%s", ns, sa);
		r = k8s_call(c, "GET", path, NULL, NULL, 1, &o, res);
		if (r == CD_OK && o.rs.status == 200 &&
		    json_body_str(&o.rs.body, "metadata.uid", newuid, sizeof(newuid)) == 0 &&
		    strcmp(newuid, olduid) != 0) {
			http_resp_release(&o.rs);
			break;
		}
		newuid[0] = '\0';
		http_resp_release(&o.rs);
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts", ns);
	}
	if (newuid[0] == '\0') {
		res->outcome = CONN_FAILED;
		res_detail(res, "the service account was deleted but could not be created again");
		return CD_OK;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts/%s", ns, sa);
	r = k8s_call(c, "GET", path, NULL, NULL, 1, &o, res);
	{
		char uid[128] = "";

		if (r == CD_OK && o.rs.status == 200)
			json_body_str(&o.rs.body, "metadata.uid", uid, sizeof(uid));
		if (uid[0] && strcmp(uid, olduid) != 0) {
			res->outcome = CONN_DONE;
			res_verified(res, "uid %s -> %s: tokens of the old account are dead",
				     olduid[0] ? olduid : "(none)", uid);
		} else {
			res->outcome = CONN_FAILED;
			res_detail(res, "verification: service account uid is '%s'", uid);
		}
	}
	http_resp_release(&o.rs);
	return CD_OK;
}

static const struct api_expect k8s_node_patched = { .what = "PATCH node", .ok = { 200 } };

/* Shared by cordon-node and uncordon-node. */
static int
k8s_node_sched(struct conn *c, const char *node, int unsched, struct conn_result *res)
{
	char path[400], v[16];
	struct api_out o;
	int r;

	if (!ident_ok(node, "-.", 253)) {
		res_detail(res, "'%s' is not a node name", node);
		return CD_E_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/nodes/%s", node);
	if (!c->opts->dry_run) {
		r = k8s_call(c, "GET", path, NULL, NULL, 1, &o, res);
		if (api_present(r, &o, NULL, res) != 1) {
			api_fail(res, &o, "GET node");
			http_resp_release(&o.rs);
			return CD_OK;
		}
		if (json_body_str(&o.rs.body, "spec.unschedulable", v, sizeof(v)) != 0)
			v[0] = '\0';
		http_resp_release(&o.rs);
		if ((strcmp(v, "true") == 0) == unsched) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "spec.unschedulable=%s", unsched ? "true" : "false");
			return CD_OK;
		}
	}
	r = k8s_call(c, "PATCH", path,
		     unsched ? "{\"spec\":{\"unschedulable\":true}}" : "{\"spec\":{\"unschedulable\":null}}",
		     "application/strategic-merge-patch+json", 1, &o, res);
	r = api_acted(r, &o, &k8s_node_patched, res);
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
	r = k8s_call(c, "GET", path, NULL, NULL, 1, &o, res);
	if (r == CD_OK && o.rs.status == 200 &&
	    json_body_str(&o.rs.body, "spec.unschedulable", v, sizeof(v)) != 0)
		v[0] = '\0';
	if (r == CD_OK && o.rs.status == 200 && (strcmp(v, "true") == 0) == unsched) {
		res->outcome = CONN_DONE;
		res_verified(res, "spec.unschedulable=%s", unsched ? "true" : "false");
		res_undo(res, "%s %s", unsched ? "uncordon-node" : "cordon-node", node);
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: node %s unschedulable is '%s'", node, v);
	}
	http_resp_release(&o.rs);
	return CD_OK;
}

/* Implements conn_action::run for cordon-node. */
static int
k8s_cordon_node(struct conn *c, const char *node, struct conn_result *res)
{
	return k8s_node_sched(c, node, 1, res);
}

/* Implements conn_action::run for uncordon-node (the undo of cordon-node). */
static int
k8s_uncordon_node(struct conn *c, const char *node, struct conn_result *res)
{
	return k8s_node_sched(c, node, 0, res);
}

static const struct conn_action k8s_actions[] = {
	{ .name = "isolate-pod", .target_doc = "NAMESPACE/POD", .flags = CONN_F_REVERSIBLE,
	  .phase = PHASE_QUARANTINE, .undo = "unisolate-pod", .run = k8s_isolate_pod },
	{ .name = "unisolate-pod", .target_doc = "NAMESPACE/POD",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_QUARANTINE,
	  .undo = "isolate-pod", .run = k8s_unisolate_pod },
	{ .name = "scale-to-zero", .target_doc = "NAMESPACE/KIND/NAME (deployment, statefulset, replicaset)",
	  .flags = CONN_F_REVERSIBLE, .phase = PHASE_QUARANTINE, .undo = "restore-scale",
	  .run = k8s_scale_to_zero },
	{ .name = "restore-scale", .target_doc = "NAMESPACE/KIND/NAME=REPLICAS",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_QUARANTINE,
	  .undo = "scale-to-zero", .run = k8s_restore_scale },
	{ .name = "delete-pod", .target_doc = "NAMESPACE/POD", .phase = PHASE_QUARANTINE,
	  .run = k8s_delete_pod },
	/* the revoke phase, before a Vault PKI revoke of the old serial: the
	 * service has its new certificate when the old one is cut */
	{ .name = "reissue-cert", .target_doc = "NAMESPACE/CERTIFICATE (cert-manager)",
	  .phase = PHASE_REVOKE, .run = k8s_reissue_cert },
	{ .name = "cordon-node", .target_doc = "NODE", .flags = CONN_F_REVERSIBLE,
	  .phase = PHASE_QUARANTINE, .undo = "uncordon-node", .run = k8s_cordon_node },
	{ .name = "uncordon-node", .target_doc = "NODE", .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY,
	  .phase = PHASE_QUARANTINE, .undo = "cordon-node", .run = k8s_uncordon_node },
	{ .name = "delete-sa-token-secrets", .target_doc = "NAMESPACE/SERVICEACCOUNT",
	  .phase = PHASE_REVOKE, .run = k8s_delete_sa_token_secrets },
	{ .name = "recreate-sa", .target_doc = "NAMESPACE/SERVICEACCOUNT",
	  .flags = CONN_F_NONIDEMPOTENT, .phase = PHASE_ROTATE, .run = k8s_recreate_sa },
	{ .name = "delete-secret", .target_doc = "NAMESPACE/SECRET", .phase = PHASE_CLEANUP,
	  .run = k8s_delete_secret },
	{ .name = NULL },
};

const struct connector conn_k8s = {
	.name = "k8s",
	.actions = k8s_actions,
	.open_opts = k8s_open,
	.close = k8s_close,
};
