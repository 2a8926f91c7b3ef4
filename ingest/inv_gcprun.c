/*
 * inv_gcprun.c - GCP serverless inventories: Cloud Run services and Cloud
 * Functions.
 *
 * Three shapes, each as a bare array, a list object ({"services":[...]},
 * {"functions":[...]}, a Knative {"items":[...]}) or one object:
 *   - Knative serving v1, what `gcloud run services list/describe
 *     --format=json` prints: metadata.name, metadata.namespace (the
 *     project), metadata.labels["cloud.googleapis.com/location"],
 *     spec.template.spec.serviceAccountName, containers[].env[] with a
 *     value or valueFrom.secretKeyRef{name,key};
 *   - the Cloud Run Admin v2 REST Service: name
 *     projects/P/locations/L/services/S, template.serviceAccount,
 *     template.containers[].env[] with a value or
 *     valueSource.secretKeyRef{secret,version};
 *   - Cloud Functions v2 (`gcloud functions list --format=json`): name
 *     projects/P/locations/L/functions/F, serviceConfig.serviceAccountEmail,
 *     environmentVariables, secretEnvironmentVariables[]{key,projectId,
 *     secret,version}, buildConfig.runtime (v1 functions keep these at the
 *     top level, and are read too).
 *
 * Each becomes a workload node (kind "function", provider gcp, key its
 * resource name; a v1 service is keyed by the v2 name so both shapes of one
 * service are one node) that runs-as its service account (identity
 * gcp:EMAIL, as inv_gcp.c names it), mounts env:KEY:VAR per plain variable
 * (names only: values are never stored; a value is looked at only to say
 * whether it is a written-in credential, listed in "static_secrets"), and
 * mounts gcp-secret:projects/P/secrets/S per Secret Manager secret an
 * environment variable references.  Without a service account the runtime
 * runs as the project's default compute account, whose email needs the
 * project number: no runs-as edge then ("service_account" null).
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

#define RUN_MAX_VARS       512 /* environment variables kept per service */
#define RUN_MAX_CONTAINERS 16  /* containers read per service (sidecars) */

/* Implements inventory::probe */
static int
gcprun_probe(const char *head, size_t len)
{
	if ((!inv_head_starts(head, len, '{') && !inv_head_starts(head, len, '[')) ||
	    memmem(head, len, "\"protoPayload\"", 14) != NULL)
		return 0;
	if (memmem(head, len, "serving.knative.dev/", 20) != NULL &&
	    memmem(head, len, "\"Service\"", 9) != NULL)
		return 97;
	if (memmem(head, len, "/functions/", 11) != NULL &&
	    (memmem(head, len, "\"serviceConfig\"", 15) != NULL ||
	     memmem(head, len, "\"buildConfig\"", 13) != NULL))
		return 97;
	if (memmem(head, len, "/services/", 10) != NULL && memmem(head, len, "\"template\"", 10) != NULL &&
	    memmem(head, len, "\"containers\"", 12) != NULL)
		return 97;
	return 0;
}

/* One service or function being read. */
struct svc {
	struct inv_ctx *c;
	char key[600];      /* projects/P/locations/L/services|functions/N */
	char project[200], location[64], name[200];
	const char *platform; /* "cloud-run" or "cloud-functions" */
	int nvars;
	struct buf names, statics, refs;
};

/* A cursor over "projects/P/locations/L/KIND/N": each segment non-empty,
 * nothing after N.  Returns 1 and fills s->project, location, name. */
static int
parse_resname(struct svc *s, const char *rn, const char *kind)
{
	const char *p = rn, *seg[3];
	size_t n[3];
	const char *const lit[3] = { "projects/", "locations/", kind };
	int i;

	for (i = 0; i < 3; i++) {
		size_t k = strlen(lit[i]);

		if (strncmp(p, lit[i], k) != 0)
			return 0;
		p += k;
		if (i == 2 && *p++ != '/')
			return 0;
		seg[i] = p;
		n[i] = strcspn(p, "/");
		if (n[i] == 0 || n[i] >= sizeof(s->project))
			return 0;
		p += n[i];
		if (i < 2 && *p++ != '/')
			return 0;
	}
	if (*p != '\0' || n[1] >= sizeof(s->location))
		return 0;
	snprintf(s->project, sizeof(s->project), "%.*s", (int)n[0], seg[0]);
	snprintf(s->location, sizeof(s->location), "%.*s", (int)n[1], seg[1]);
	snprintf(s->name, sizeof(s->name), "%.*s", (int)n[2], seg[2]);
	snprintf(s->key, sizeof(s->key), "%s", rn);
	return 1;
}

/* Append one JSON string to a list being built ("[" already in it). */
static int
list_add(struct buf *b, const char *s)
{
	return (b->len > 1 ? buf_addc(b, ',') : CD_OK) || json_put_str(b, s);
}

/* A plain variable: its name, a mounts edge, and whether its value is a
 * written-in credential.  The value is wiped by the caller. */
static int
plain_var(struct svc *s, const char *var, const char *val)
{
	char *loc, *det;
	int rc;

	if (var == NULL || *var == '\0' || s->nvars >= RUN_MAX_VARS)
		return CD_OK;
	s->nvars++;
	rc = list_add(&s->names, var);
	if (rc == CD_OK && inv_secret_shaped(val))
		rc = list_add(&s->statics, var);
	if (rc != CD_OK)
		return rc;
	loc = xstrdupf("env:%s:%s", s->key, var);
	det = xstrdupf("env %s", var);
	rc = graph_link(s->c->tx, "function", s->key, "mounts", "secret", loc, 0, det);
	free(loc);
	free(det);
	return rc;
}

/* A variable that holds a Secret Manager secret: the secret as
 * projects/P/secrets/S (a short name is in proj), any /versions/ tail cut. */
static int
secret_var(struct svc *s, const char *var, const char *proj, const char *secret, const char *version)
{
	char sec[600], *loc, *det;
	const char *cut;
	int rc;

	if (var == NULL || *var == '\0' || secret == NULL || *secret == '\0' || s->nvars >= RUN_MAX_VARS)
		return CD_OK;
	if (strncmp(secret, "projects/", 9) == 0) {
		cut = strstr(secret, "/versions/");
		snprintf(sec, sizeof(sec), "%.*s", cut ? (int)(cut - secret) : (int)strlen(secret), secret);
	} else {
		snprintf(sec, sizeof(sec), "projects/%s/secrets/%s", proj && *proj ? proj : s->project, secret);
	}
	s->nvars++;
	rc = list_add(&s->names, var);
	rc = rc || list_add(&s->refs, sec);
	if (rc != CD_OK)
		return rc;
	loc = xstrdupf("gcp-secret:%s", sec);
	det = xstrdupf("env %s (Secret Manager, version %s)", var, version && *version ? version : "latest");
	rc = graph_link(s->c->tx, "function", s->key, "mounts", "secret", loc, 0, det);
	free(loc);
	free(det);
	return rc;
}

/*
 * Cloud Run v1 names a secret of another project by an alias declared in
 * the revision's annotation run.googleapis.com/secrets
 * ("alias:projects/N/secrets/S,alias2:..."): the alias's secret, or NULL.
 */
static char *
secret_alias(const char *ann, const char *alias)
{
	const char *p = ann;
	size_t an = strlen(alias);

	while (p != NULL && *p) {
		size_t n = strcspn(p, ",");

		if (n > an + 1 && strncmp(p, alias, an) == 0 && p[an] == ':')
			return xstrndup(p + an + 1, n - an - 1);
		p += n;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* containers[].env[] of a Cloud Run service, both API versions. */
static int
run_env(struct svc *s, const struct json_doc *d, int containers, const char *aliases)
{
	int n, j, k, rc = CD_OK;

	if (containers < 0)
		return CD_OK;
	if (json_type(d, containers) != JSON_ARRAY)
		return inv_fail(s->c, inv_off(d, containers), "service %s: containers must be an array", s->name);
	n = json_count(d, containers);
	for (j = 0, k = containers + 1; j < n && j < RUN_MAX_CONTAINERS && rc == CD_OK; j++, k = json_skip(d, k)) {
		int env = json_get(d, k, "env"), m, i, e;

		if (env < 0)
			continue;
		if (json_type(d, env) != JSON_ARRAY)
			return inv_fail(s->c, inv_off(d, env), "service %s: env must be an array", s->name);
		m = json_count(d, env);
		for (i = 0, e = env + 1; i < m && rc == CD_OK; i++, e = json_skip(d, e)) {
			char *var = inv_path(d, e, "name"), *val = inv_path(d, e, "value");
			int v1 = json_path(d, e, "valueFrom.secretKeyRef");
			int v2 = json_path(d, e, "valueSource.secretKeyRef");

			if (v2 >= 0) {
				char *sec = inv_path(d, v2, "secret"), *ver = inv_path(d, v2, "version");

				rc = secret_var(s, var, NULL, sec, ver);
				free(sec);
				free(ver);
			} else if (v1 >= 0) {
				char *sec = inv_path(d, v1, "name"), *ver = inv_path(d, v1, "key");
				char *real = sec && aliases ? secret_alias(aliases, sec) : NULL;

				rc = secret_var(s, var, NULL, real ? real : sec, ver);
				free(sec);
				free(ver);
				free(real);
			} else {
				rc = plain_var(s, var, val);
			}
			if (val != NULL)
				explicit_bzero(val, strlen(val));
			free(var);
			free(val);
		}
	}
	return rc;
}

/* Functions: environmentVariables {NAME: value}, secretEnvironmentVariables[]. */
static int
function_env(struct svc *s, const struct json_doc *d, int vars, int secrets)
{
	int k, j, n, rc = CD_OK;

	if (vars >= 0 && json_type(d, vars) != JSON_OBJECT)
		return inv_fail(s->c, inv_off(d, vars), "function %s: environmentVariables must be an object",
				s->name);
	if (vars >= 0)
		for (k = json_first(d, vars); k > 0 && rc == CD_OK; k = json_next(d, vars, k)) {
			char *var = inv_str(d, k), *val = inv_str(d, k + 1);

			rc = plain_var(s, var, val);
			if (val != NULL)
				explicit_bzero(val, strlen(val));
			free(var);
			free(val);
		}
	if (secrets < 0 || rc != CD_OK)
		return rc;
	if (json_type(d, secrets) != JSON_ARRAY)
		return inv_fail(s->c, inv_off(d, secrets),
				"function %s: secretEnvironmentVariables must be an array", s->name);
	n = json_count(d, secrets);
	for (j = 0, k = secrets + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *var = inv_path(d, k, "key"), *proj = inv_path(d, k, "projectId");
		char *sec = inv_path(d, k, "secret"), *ver = inv_path(d, k, "version");

		rc = secret_var(s, var, proj, sec, ver);
		free(var);
		free(proj);
		free(sec);
		free(ver);
	}
	return rc;
}

/* The node and its runs-as edge, once the environment is read. */
static int
put_node(struct svc *s, const char *sa, const char *runtime, const char *image)
{
	struct buf attrs;
	char *label, *ikey;
	int rc;

	buf_init(&attrs, 262144);
	rc = buf_addc(&s->names, ']') || buf_addc(&s->statics, ']') || buf_addc(&s->refs, ']');
	rc = rc || buf_addstr(&attrs, "{\"name\":") || json_put_str(&attrs, s->name) ||
	     buf_addstr(&attrs, ",\"platform\":") || json_put_str(&attrs, s->platform) ||
	     buf_addstr(&attrs, ",\"project\":") || json_put_str(&attrs, s->project) ||
	     buf_addstr(&attrs, ",\"location\":") || json_put_str(&attrs, s->location) ||
	     buf_addstr(&attrs, ",\"runtime\":") || json_put_str(&attrs, runtime) ||
	     buf_addstr(&attrs, ",\"image\":") || json_put_str(&attrs, image) ||
	     buf_addstr(&attrs, ",\"service_account\":") || json_put_str(&attrs, sa && *sa ? sa : NULL) ||
	     buf_addstr(&attrs, ",\"env_names\":") || buf_addstr(&attrs, s->names.data) ||
	     buf_addstr(&attrs, ",\"static_secrets\":") || buf_addstr(&attrs, s->statics.data) ||
	     buf_addstr(&attrs, ",\"secret_refs\":") || buf_addstr(&attrs, s->refs.data) || buf_addc(&attrs, '}');
	if (rc != CD_OK) {
		buf_release(&attrs);
		return inv_fail(s->c, -1, "%s: attributes too large", s->key);
	}
	label = xstrdupf("%s %s (%s)", strcmp(s->platform, "cloud-run") == 0 ? "Cloud Run service" : "Cloud Function",
			 s->name, runtime ? runtime : image ? image : "runtime unknown");
	rc = graph_tx_node(s->c->tx, "function", s->key, "gcp", label, attrs.data) < 0 ? CD_E_DB : CD_OK;
	if (rc == CD_OK && sa != NULL && *sa) {
		ikey = xstrdupf("gcp:%s", sa);
		rc = graph_link(s->c->tx, "function", s->key, "runs-as", "identity", ikey, 0,
				"service account (its tokens come from the metadata server)");
		free(ikey);
	}
	free(label);
	buf_release(&attrs);
	return rc;
}

/* Knative serving v1: metadata + spec. */
static int
load_run_v1(struct svc *s, const struct json_doc *d, int obj)
{
	int meta = json_get(d, obj, "metadata"), tspec = json_path(d, obj, "spec.template.spec"), rc;
	char *name = inv_path(d, meta, "name"), *ns = inv_path(d, meta, "namespace");
	char *loc = inv_str(d, json_get(d, json_get(d, meta, "labels"), "cloud.googleapis.com/location"));
	char *sa = inv_path(d, tspec, "serviceAccountName"), *image = NULL, *rn = NULL;
	char *aliases = inv_str(d, json_get(d, json_path(d, obj, "spec.template.metadata.annotations"),
					     "run.googleapis.com/secrets"));

	s->platform = "cloud-run";
	if (name == NULL || ns == NULL || loc == NULL) {
		rc = inv_fail(s->c, inv_off(d, obj), "Knative service without metadata.name, metadata.namespace "
				  "or the cloud.googleapis.com/location label");
		goto out;
	}
	rn = xstrdupf("projects/%s/locations/%s/services/%s", ns, loc, name);
	if (!parse_resname(s, rn, "services")) {
		rc = inv_fail(s->c, inv_off(d, meta), "service %.200s: name, namespace or location not a "
				  "resource name segment", name);
		goto out;
	}
	image = inv_path(d, json_at(d, json_get(d, tspec, "containers"), 0), "image");
	rc = run_env(s, d, json_get(d, tspec, "containers"), aliases);
	rc = rc ? rc : put_node(s, sa, NULL, image);
out:
	free(name);
	free(ns);
	free(loc);
	free(sa);
	free(image);
	free(rn);
	free(aliases);
	return rc;
}

/* Cloud Run Admin v2 Service. */
static int
load_run_v2(struct svc *s, const struct json_doc *d, int obj, const char *rn)
{
	int tmpl = json_get(d, obj, "template"), rc;
	char *sa = inv_path(d, tmpl, "serviceAccount");
	char *image = inv_path(d, json_at(d, json_get(d, tmpl, "containers"), 0), "image");

	s->platform = "cloud-run";
	if (!parse_resname(s, rn, "services")) {
		rc = inv_fail(s->c, inv_off(d, obj), "service name is not projects/P/locations/L/services/S");
		goto out;
	}
	rc = run_env(s, d, json_get(d, tmpl, "containers"), NULL);
	rc = rc ? rc : put_node(s, sa, NULL, image);
out:
	free(sa);
	free(image);
	return rc;
}

/* Cloud Functions v2 (serviceConfig) or v1 (the same fields at the top). */
static int
load_function(struct svc *s, const struct json_doc *d, int obj, const char *rn)
{
	int sc = json_get(d, obj, "serviceConfig"), at = sc >= 0 ? sc : obj, rc;
	char *sa = inv_path(d, at, "serviceAccountEmail");
	char *runtime = inv_path(d, obj, "buildConfig.runtime");

	s->platform = "cloud-functions";
	if (runtime == NULL)
		runtime = inv_path(d, obj, "runtime");
	if (!parse_resname(s, rn, "functions")) {
		rc = inv_fail(s->c, inv_off(d, obj), "function name is not projects/P/locations/L/functions/F");
		goto out;
	}
	rc = function_env(s, d, json_get(d, at, "environmentVariables"),
			  json_get(d, at, "secretEnvironmentVariables"));
	rc = rc ? rc : put_node(s, sa, runtime, NULL);
out:
	free(sa);
	free(runtime);
	return rc;
}

/* One entry of any of the three shapes. */
static int
load_one(struct inv_ctx *c, const struct json_doc *d, int obj)
{
	struct svc s;
	char *rn = NULL;
	int rc;

	if (json_type(d, obj) != JSON_OBJECT)
		return inv_fail(c, inv_off(d, obj), "a service or function must be a JSON object");
	memset(&s, 0, sizeof(s));
	s.c = c;
	buf_init(&s.names, 131072);
	buf_init(&s.statics, 65536);
	buf_init(&s.refs, 131072);
	rc = buf_addc(&s.names, '[') || buf_addc(&s.statics, '[') || buf_addc(&s.refs, '[');
	if (rc != CD_OK)
		goto out;
	if (json_get(d, obj, "metadata") >= 0 && json_get(d, obj, "spec") >= 0) {
		rc = load_run_v1(&s, d, obj);
	} else if ((rn = inv_path(d, obj, "name")) != NULL && strstr(rn, "/functions/") != NULL) {
		rc = load_function(&s, d, obj, rn);
	} else if (rn != NULL && strstr(rn, "/services/") != NULL) {
		rc = load_run_v2(&s, d, obj, rn);
	} else {
		rc = inv_fail(c, inv_off(d, obj), "neither a Cloud Run service (metadata and spec, or name "
				  "projects/P/locations/L/services/S) nor a Cloud Function "
				  "(name projects/P/locations/L/functions/F)");
	}
	if (rc == CD_OK)
		c->objects++;
out:
	free(rn);
	buf_release(&s.names);
	buf_release(&s.statics);
	buf_release(&s.refs);
	return rc;
}

/* Implements inventory::load */
static int
gcprun_load(struct inv_ctx *c)
{
	static const char *const lists[] = { "services", "functions", "items", NULL };
	struct json_doc d;
	struct json_tokens t;
	int list = -1, n, j, k, rc, i;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	if (json_type(&d, 0) == JSON_ARRAY) {
		list = 0;
	} else if (json_type(&d, 0) == JSON_OBJECT) {
		for (i = 0; lists[i] != NULL && list < 0; i++)
			if ((list = json_get(&d, 0, lists[i])) >= 0 && json_type(&d, list) != JSON_ARRAY) {
				rc = inv_fail(c, inv_off(&d, list), "%s must be an array", lists[i]);
				goto out;
			}
	} else {
		rc = inv_fail(c, 0, "a Cloud Run or Cloud Functions inventory is a JSON array or object");
		goto out;
	}
	if (list < 0) {
		rc = load_one(c, &d, 0);
		goto out;
	}
	n = json_count(&d, list);
	for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k))
		rc = load_one(c, &d, k);
	if (rc == CD_OK && n == 0)
		c->objects = 1; /* nothing deployed is a valid, empty snapshot */
out:
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_gcprun = {
	.name = "gcp-serverless",
	.summary = "inventory: gcloud run services list / functions list --format=json, Cloud Run v2 "
		   "(service -> service account, env names, Secret Manager references)",
	.probe = gcprun_probe,
	.load = gcprun_load,
};
