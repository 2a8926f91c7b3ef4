/*
 * cloud.c - helpers shared by the control-plane ingesters (k8saudit,
 * vault, gcpaudit): see cloud.h.
 *
 * Everything here reads hostile input: lists taken from a record are
 * capped, strings are bounded by the record (copies go to the per-record
 * arena), and nothing is parsed with libc number or scanf functions.
 */
#include <string.h>

#include "cloud.h"

#define POD_MAX_LIST       16  /* names/paths kept per list */
#define POD_MAX_CONTAINERS 64  /* containers looked at per group */
#define VAULT_CODE_MAX     256 /* bytes of an error line kept as outcome_code */
#define LOG_ID_MAX         1024

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
ingest_cloud_time(const struct json_doc *d, int tok, int64_t *ns)
{
	struct span s;
	unsigned y = 0;
	size_t i;

	if (json_type(d, tok) != JSON_STRING)
		return CD_E_PARSE;
	s = json_raw(d, tok);
	if (s.n < 4)
		return CD_E_PARSE;
	for (i = 0; i < 4; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return CD_E_PARSE;
		y = y * 10 + (unsigned)(s.p[i] - '0');
	}
	/* time_parse_rfc3339() multiplies seconds by 10^9 unchecked */
	if (y < 1678 || y > 2261)
		return CD_E_PARSE;
	return time_parse_rfc3339(s, ns);
}

int
ingest_cloud_head_kv(const char *head, size_t len, const char *key, const char *val)
{
	char pat[64];
	size_t kn = strlen(key), vn = strlen(val), pn;
	const char *p = head, *end = head + len, *hit;

	if (kn + 2 > sizeof(pat))
		return 0;
	pat[0] = '"';
	memcpy(pat + 1, key, kn);
	pat[kn + 1] = '"';
	pn = kn + 2;
	while (p < end && (hit = memmem(p, (size_t)(end - p), pat, pn)) != NULL) {
		const char *q = hit + pn;

		while (q < end && is_ws(*q))
			q++;
		if (q < end && *q == ':') {
			q++;
			while (q < end && is_ws(*q))
				q++;
			if ((size_t)(end - q) >= vn && memcmp(q, val, vn) == 0)
				return 1;
		}
		p = hit + 1;
	}
	return 0;
}

size_t
ingest_cloud_url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (cap == 0)
		return 0;
	while (i < n && o + 1 < cap) {
		int hi = -1, lo = -1;

		if (s[i] == '%' && i + 2 < n) {
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0 && (hi | lo) != 0) { /* %00 stays as it is */
			out[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	return o;
}

const char *
ingest_cloud_log_id(struct ev_arena *a, const char *logname)
{
	const char *p, *id;
	char tmp[LOG_ID_MAX];
	size_t n;

	if (logname == NULL)
		return NULL;
	p = strstr(logname, "/logs/");
	id = p ? p + 6 : logname;
	n = strlen(id);
	if (n >= sizeof(tmp)) /* longer than GCP allows: keep it undecoded */
		return ev_strdup(a, id, n);
	n = ingest_cloud_url_decode(id, n, tmp, sizeof(tmp));
	return ev_strdup(a, tmp, n);
}

const char *
ingest_cloud_audit_kind(const char *log_id)
{
	static const char mark[] = "audit.googleapis.com/";
	const char *p;

	if (log_id == NULL || (p = strstr(log_id, mark)) == NULL)
		return NULL;
	p += sizeof(mark) - 1;
	return *p ? p : NULL;
}

const char *
ingest_cloud_http_outcome(int64_t code)
{
	if (code == EV_NULL || code <= 0)
		return NULL;
	if (code == 401 || code == 403)
		return "denied";
	return code < 400 ? "success" : "error";
}

const char *
ingest_cloud_grpc_outcome(int64_t code)
{
	if (code == EV_NULL || code == 0)
		return "success";
	if (code == 7 || code == 16) /* PERMISSION_DENIED, UNAUTHENTICATED */
		return "denied";
	return "error";
}

/* "1 error occurred:" / "2 errors occurred:" (hashicorp/go-multierror) */
static int
is_error_header(const char *p, size_t n)
{
	static const char tail[] = "occurred:";
	size_t k = sizeof(tail) - 1;

	return n > k && p[0] >= '0' && p[0] <= '9' && memcmp(p + n - k, tail, k) == 0;
}

const char *
ingest_cloud_vault_error(struct ev_arena *a, const char *err, const char **outcome)
{
	const char *p = err, *first = NULL;
	size_t first_n = 0;

	*outcome = NULL;
	if (err == NULL)
		return NULL;
	*outcome = strstr(err, "permission denied") ? "denied" : "error";
	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *s = p, *e = eol ? eol : p + strlen(p);

		while (s < e && (is_ws(*s) || *s == '*'))
			s++;
		while (e > s && is_ws(e[-1]))
			e--;
		if (e > s) {
			if (first == NULL) {
				first = s;
				first_n = (size_t)(e - s);
			}
			if (!is_error_header(s, (size_t)(e - s))) {
				first = s;
				first_n = (size_t)(e - s);
				break;
			}
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	if (first == NULL)
		return NULL;
	return ev_strdup(a, first, first_n < VAULT_CODE_MAX ? first_n : VAULT_CODE_MAX);
}

const char *
ingest_cloud_sa_namespace(struct ev_arena *a, const char *username)
{
	static const char pre[] = "system:serviceaccount:";
	const char *ns, *colon;

	if (username == NULL || strncmp(username, pre, sizeof(pre) - 1) != 0)
		return NULL;
	ns = username + sizeof(pre) - 1;
	colon = strchr(ns, ':');
	if (colon == NULL || colon == ns || colon[1] == '\0')
		return NULL;
	return ev_strdup(a, ns, (size_t)(colon - ns));
}

int
ingest_cloud_k8s_ref(const char *resname, struct k8s_ref *r)
{
	struct span seg[8];
	size_t nseg = 0, i = 0;
	const char *p = resname;

	seg[0].p = "";
	seg[0].n = 0;
	r->group = r->version = r->ns = r->resource = r->name = r->subresource = seg[0];
	if (resname == NULL)
		return CD_E_PARSE;
	while (nseg < sizeof(seg) / sizeof(seg[0])) {
		const char *slash = strchr(p, '/');

		seg[nseg].p = p;
		seg[nseg].n = slash ? (size_t)(slash - p) : strlen(p);
		nseg++;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (nseg < 3 || seg[0].n == 0 || seg[1].n == 0)
		return CD_E_PARSE;
	r->group = seg[0];
	r->version = seg[1];
	i = 2;
	if (nseg - i >= 3 && span_eq(seg[i], "namespaces")) {
		r->ns = seg[i + 1];
		i += 2;
	}
	r->resource = seg[i];
	if (i + 1 < nseg)
		r->name = seg[i + 1];
	if (i + 2 < nseg)
		r->subresource = seg[i + 2];
	return r->resource.n ? CD_OK : CD_E_PARSE;
}

const char *
ingest_cloud_k8s_object(struct ev_arena *a, struct span ns, struct span resource,
			struct span name)
{
	struct span part[3];
	const char *out = NULL;
	int i;

	part[0] = ns;
	part[1] = resource;
	part[2] = name;
	for (i = 0; i < 3; i++) {
		if (part[i].n == 0 || part[i].n > 4096)
			continue;
		if (out == NULL)
			out = ev_strdup(a, part[i].p, part[i].n);
		else
			out = ev_printf(a, "%s/%.*s", out, (int)part[i].n, part[i].p);
		if (out == NULL)
			return NULL;
	}
	return out;
}

const char *
ingest_cloud_first_str(struct ev_arena *a, const struct json_doc *d, int tok)
{
	const char *s;

	if (json_type(d, tok) == JSON_ARRAY)
		tok = json_at(d, tok, 0);
	if (json_type(d, tok) != JSON_STRING)
		return NULL;
	s = ev_json_str(a, d, tok);
	return s && *s ? s : NULL;
}

/* ---- pod spec facts ------------------------------------------------- */

/* Next element of array arr after prev (-1: the first), or -1. */
static int
elem_next(const struct json_doc *d, int arr, int prev)
{
	int j;

	if (json_type(d, arr) != JSON_ARRAY)
		return -1;
	j = prev < 0 ? arr + 1 : json_skip(d, prev);
	if (j <= arr || j >= d->ntok || d->tok[j].start >= d->tok[arr].end)
		return -1;
	return j;
}

static int
json_true(const struct json_doc *d, int tok)
{
	return json_type(d, tok) == JSON_PRIMITIVE && span_eq(json_raw(d, tok), "true");
}

/* Append s to a capped list unless it is already there. */
static void
list_add(const char **list, size_t *n, const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0' || *n >= POD_MAX_LIST)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return;
	list[(*n)++] = s;
}

void
ingest_cloud_pod_spec(struct ingest_ctx *ctx, const struct json_doc *d, int pod)
{
	static const char *const groups[] = { "containers", "initContainers",
					      "ephemeralContainers", NULL };
	struct ev_arena *a = ingest_arena(ctx);
	const char *priv[POD_MAX_LIST], *caps[POD_MAX_LIST], *paths[POD_MAX_LIST];
	const char *dirs[POD_MAX_LIST], *image = NULL, *name;
	size_t npriv = 0, ncaps = 0, npaths = 0, ndirs = 0;
	int spec = json_get(d, pod, "spec"), g, i, c, k, t;

	if (json_type(d, spec) != JSON_OBJECT)
		return;
	for (g = 0; groups[g] != NULL; g++) {
		int arr = json_get(d, spec, groups[g]);

		for (i = 0, c = elem_next(d, arr, -1); c >= 0 && i < POD_MAX_CONTAINERS;
		     i++, c = elem_next(d, arr, c)) {
			if (json_type(d, c) != JSON_OBJECT)
				continue;
			if (g == 0 && i == 0)
				image = ev_json_path(a, d, c, "image");
			if (json_true(d, json_path(d, c, "securityContext.privileged"))) {
				name = ev_json_path(a, d, c, "name");
				list_add(priv, &npriv, name ? name : "?");
			}
			t = json_path(d, c, "securityContext.capabilities.add");
			for (k = elem_next(d, t, -1); k >= 0; k = elem_next(d, t, k))
				if (json_type(d, k) == JSON_STRING)
					list_add(caps, &ncaps, ev_json_str(a, d, k));
			t = json_get(d, c, "workingDir");
			if (json_type(d, t) == JSON_STRING)
				list_add(dirs, &ndirs, ev_json_str(a, d, t));
		}
	}
	t = json_get(d, spec, "volumes");
	for (i = 0, c = elem_next(d, t, -1); c >= 0 && i < POD_MAX_CONTAINERS;
	     i++, c = elem_next(d, t, c)) {
		k = json_path(d, c, "hostPath.path");
		if (json_type(d, k) == JSON_STRING)
			list_add(paths, &npaths, ev_json_str(a, d, k));
	}
	ingest_extra_strv(ctx, "privileged", priv, npriv);
	if (json_true(d, (t = json_get(d, spec, "hostPID"))))
		ingest_extra_json(ctx, "host_pid", d, t);
	if (json_true(d, (t = json_get(d, spec, "hostNetwork"))))
		ingest_extra_json(ctx, "host_network", d, t);
	if (json_true(d, (t = json_get(d, spec, "hostIPC"))))
		ingest_extra_json(ctx, "host_ipc", d, t);
	ingest_extra_strv(ctx, "host_paths", paths, npaths);
	ingest_extra_strv(ctx, "cap_add", caps, ncaps);
	ingest_extra_strv(ctx, "working_dirs", dirs, ndirs);
	name = ev_json_path(a, d, spec, "serviceAccountName");
	if (name == NULL)
		name = ev_json_path(a, d, spec, "serviceAccount");
	ingest_extra_str(ctx, "service_account", name);
	ingest_extra_str(ctx, "node_name", ev_json_path(a, d, spec, "nodeName"));
	ingest_extra_str(ctx, "image", image);
}

void
ingest_cloud_token_request(struct ingest_ctx *ctx, const struct json_doc *d, int req, int resp)
{
	struct ev_arena *a = ingest_arena(ctx);
	int spec = json_get(d, req, "spec");

	ingest_extra_str(ctx, "bound_kind", ev_json_path(a, d, spec, "boundObjectRef.kind"));
	ingest_extra_str(ctx, "bound_name", ev_json_path(a, d, spec, "boundObjectRef.name"));
	ingest_extra_str(ctx, "bound_uid", ev_json_path(a, d, spec, "boundObjectRef.uid"));
	ingest_extra_json(ctx, "audiences", d, json_get(d, spec, "audiences"));
	ingest_extra_str(ctx, "token_expiry",
			 ev_json_path(a, d, resp, "status.expirationTimestamp"));
}

int
ingest_cloud_ip_like(const char *s)
{
	size_t i, n;
	int sep = 0;

	if (s == NULL || (n = strlen(s)) < 2 || n > 45)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' || s[i] == ':')
			sep = 1;
		else if (hexval((unsigned char)s[i]) < 0)
			return 0;
	}
	return sep;
}

void
ingest_cloud_blank_to_null(struct event *ev)
{
	size_t i;

	for (i = 0; i < ev_nfields; i++) {
		const char **f;

		if (ev_fields[i].type != EV_T_STR)
			continue;
		f = (const char **)(void *)((char *)ev + ev_fields[i].offset);
		if (*f != NULL && **f == '\0')
			*f = NULL;
	}
}
