/*
 * ing_vault.c - HashiCorp Vault (and OpenBao) audit device entries.
 *
 * The file and socket devices write one JSON object per request and one
 * per response (type "request"/"response", "kmip-*" for KMIP), usually one
 * per line; copies made by hand are often pretty-printed, which the
 * splitter handles.  Secret-bearing values are HMAC'd ("hmac-sha256:...")
 * and kept as they are: the correlator compares them with other HMACs of
 * the same device.  Values masked by whoever shared the log ("****") are
 * not ids and are never used as one.
 */
#include <string.h>

#include "cloud.h"

/* Implements ingester::probe */
static int
vault_probe(const char *head, size_t len)
{
	int type = ingest_cloud_head_kv(head, len, "type", "\"request\"") ||
		   ingest_cloud_head_kv(head, len, "type", "\"response\"") ||
		   ingest_cloud_head_kv(head, len, "type", "\"kmip-");
	int req = ingest_cloud_head_kv(head, len, "request", "{");

	if (type && req)
		return 90;
	/* a long first entry can push "type" (sorted last) past the head */
	if (req && memmem(head, len, "\"remote_address\"", 16) && memmem(head, len, "\"auth\"", 6))
		return 60;
	return 0;
}

static const char *
plausible(const char *s)
{
	return ingest_plausible_id(s) ? s : NULL;
}

/* auth's member key, else response.auth's (a login's request has no token yet) */
static int
either(const struct json_doc *d, int auth, int rauth, const char *key)
{
	int t = json_get(d, auth, key);

	return t >= 0 && !json_is_null(d, t) ? t : json_get(d, rauth, key);
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && memcmp(s + n - k, tail, k) == 0;
}

#define JWT_MOUNT_MAX 128

/*
 * A jwt or oidc login's subject.  Vault logs neither the JWT nor its
 * issuer, but names the new token "MOUNT-ALIAS": the mount's path with
 * dashes for slashes, then the alias, which is the role's user_claim
 * (`sub` by default: "repo:ORG/REPO:ref:refs/heads/main" for a GitHub
 * Actions job).  "oidc:SUBJECT", or NULL when the name is not that shape.
 */
static const char *
jwt_subject(struct ev_arena *a, const char *path, const char *display)
{
	char mount[JWT_MOUNT_MAX];
	const char *m, *end;
	size_t n, i;

	if (path == NULL || display == NULL || strncmp(path, "auth/", 5) != 0)
		return NULL;
	m = path + 5;
	if ((end = strstr(m, "/login")) == NULL && (end = strstr(m, "/oidc/callback")) == NULL)
		return NULL;
	n = (size_t)(end - m);
	if (n == 0 || n >= sizeof(mount))
		return NULL;
	for (i = 0; i < n; i++)
		mount[i] = m[i] == '/' ? '-' : m[i];
	if (strncmp(display, mount, n) != 0 || display[n] != '-' || display[n + 1] == '\0')
		return NULL;
	return ev_printf(a, "oidc:%s", display + n + 1);
}

/*
 * What a login was exchanged for, from its auth metadata: the certificate
 * (cert auth logs its serial in decimal: the one id of credid.c), the AWS
 * principal (aws), the Google service account (gcp), the Kubernetes
 * service account (kubernetes), a JWT's subject (jwt, oidc: from the
 * token's name, see jwt_subject).  A provider-prefixed graph key; NULL
 * when the login names none.
 */
static const char *
exchanged_for(struct ev_arena *a, const struct json_doc *d, int meta, const char **serial_id,
	      const char *mount_type, const char *path, const char *display)
{
	const char *v, *ns;
	char id[CREDID_MAX];

	*serial_id = NULL;
	if ((v = ev_json_path(a, d, meta, "serial_number")) != NULL) {
		if (credid_x509_serial(v, strlen(v), id, sizeof(id)) != CD_OK)
			return NULL;
		*serial_id = ev_strdup(a, id, strlen(id));
		return *serial_id ? ev_printf(a, "x509:%s", id) : NULL;
	}
	/* the role, not the session: what the graph knows and AWS keys resolve to */
	if ((v = ev_json_path(a, d, meta, "canonical_arn")) != NULL ||
	    (v = ev_json_path(a, d, meta, "client_arn")) != NULL)
		return ev_printf(a, "aws:%s", v);
	if ((v = ev_json_path(a, d, meta, "service_account_email")) != NULL)
		return ev_printf(a, "gcp:serviceAccount:%s", v);
	if ((v = ev_json_path(a, d, meta, "service_account_name")) != NULL &&
	    (ns = ev_json_path(a, d, meta, "service_account_namespace")) != NULL)
		return ev_printf(a, "k8s:system:serviceaccount:%s:%s", ns, v);
	if (mount_type != NULL && (strcmp(mount_type, "jwt") == 0 || strcmp(mount_type, "oidc") == 0))
		return jwt_subject(a, path, display);
	return NULL;
}

/* Implements ingester::json_record */
static int
vault_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int t, auth, req, resp, rauth, meta;
	const char *acc, *cta, *racc, *err, *path, *ns, *renewed = NULL;

	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "Vault audit entry is not a JSON object");
		return CD_E_PARSE;
	}
	t = json_get(d, 0, "time");
	if (ingest_cloud_time(d, t, &ev->ts_ns) != CD_OK) {
		ingest_set_why(ctx, "Vault audit entry without a valid time");
		return CD_E_PARSE;
	}
	auth = json_get(d, 0, "auth");
	req = json_get(d, 0, "request");
	resp = json_get(d, 0, "response");
	rauth = json_get(d, resp, "auth");
	ev->kind = ev_json_path(a, d, 0, "type");
	ev->ref = ev_json_path(a, d, req, "id");
	if (ingest_plausible_id(ev->ref))
		ev->dedup = ev_printf(a, "%s|%s|%s", ev->kind ? ev->kind : "", ev->ref,
				      ev_json_str(a, d, t));

	/* a login's response names the new token's owner only in response.auth */
	ev->actor = ev_json_path(a, d, auth, "display_name");
	if (ev->actor == NULL)
		ev->actor = ev_json_path(a, d, rauth, "display_name");
	ev->action = ev_json_path(a, d, req, "operation");
	ev->object = path = ev_json_path(a, d, req, "path");
	ev->src_ip = ev_json_path(a, d, req, "remote_address");
	ev->user_agent = ingest_cloud_first_str(a, d, json_path(d, req, "headers.user-agent"));

	/*
	 * response.auth is a token: a new one after a login or token create
	 * (a login's top-level auth is that new token too, not the caller's),
	 * the caller's own after renew-self, someone else's after renew.
	 */
	acc = plausible(ev_json_path(a, d, auth, "accessor"));
	cta = plausible(ev_json_path(a, d, req, "client_token_accessor"));
	racc = plausible(ev_json_path(a, d, rauth, "accessor"));
	ev->cred_id = acc ? acc : cta;
	if (racc != NULL && path != NULL && ends_with(path, "/renew-self")) {
		if (ev->cred_id == NULL)
			ev->cred_id = racc;
	} else if (racc != NULL && path != NULL && strstr(path, "/renew") != NULL) {
		renewed = racc;
	} else if (racc != NULL) {
		ev->issued_cred = racc;
		if (acc != NULL && strcmp(acc, racc) == 0)
			acc = NULL;
		if (cta != NULL && strcmp(cta, racc) == 0)
			cta = NULL;
		ev->cred_id = acc ? acc : cta;
	}

	err = ev_json_path(a, d, 0, "error");
	if (err != NULL && *err != '\0')
		ev->outcome_code = ingest_cloud_vault_error(a, err, &ev->outcome);
	else
		ev->outcome = "success";

	ingest_extra_begin(ctx);
	t = either(d, auth, rauth, "entity_id");
	ingest_extra_str(ctx, "entity_id", ev_json_str(a, d, t));
	ingest_extra_json(ctx, "policies", d, either(d, auth, rauth, "policies"));
	t = either(d, auth, rauth, "token_type");
	ingest_extra_str(ctx, "token_type", ev_json_str(a, d, t));
	ingest_extra_json(ctx, "token_ttl", d, either(d, auth, rauth, "token_ttl"));
	meta = json_get(d, auth, "metadata");
	if (json_type(d, meta) != JSON_OBJECT || json_count(d, meta) == 0)
		meta = json_get(d, rauth, "metadata");
	if (json_type(d, meta) == JSON_OBJECT) {
		ingest_extra_json(ctx, "metadata", d, meta);
		/* a login's (auth/METHOD/login, OIDC's callback), not a child
		 * token's: token/create carries its caller's metadata */
		if (ev->issued_cred != NULL && path != NULL && strncmp(path, "auth/", 5) == 0 &&
		    (ends_with(path, "/login") || ends_with(path, "/callback") ||
		     strstr(path, "/login/") != NULL)) {
			const char *serial_id;

			ingest_extra_str(ctx, "exchanged",
					 exchanged_for(a, d, meta, &serial_id,
						       ev_json_path(a, d, req, "mount_type"), path, ev->actor));
			/* a cert login authenticates with the certificate: its id is the
			 * credential the login used, as an access key is a call's */
			if (serial_id != NULL && ev->cred_id == NULL)
				ev->cred_id = serial_id;
		}
	}
	ingest_extra_json(ctx, "remote_port", d, json_get(d, req, "remote_port"));
	ingest_extra_str(ctx, "mount_type", ev_json_path(a, d, req, "mount_type"));
	ingest_extra_str(ctx, "mount_point", ev_json_path(a, d, req, "mount_point"));
	ns = ev_json_path(a, d, req, "namespace.path");
	if (ns == NULL || *ns == '\0')
		ns = ev_json_path(a, d, req, "namespace.id");
	ingest_extra_str(ctx, "namespace", ns);
	ingest_extra_str(ctx, "renewed_accessor", renewed);
	ingest_extra_str(ctx, "lease_id", ev_json_path(a, d, resp, "secret.lease_id"));
	if (err != NULL && ev->outcome_code != NULL && strcmp(err, ev->outcome_code) != 0)
		ingest_extra_str(ctx, "error", err);
	ingest_extra_end(ctx);
	ingest_cloud_blank_to_null(ev);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

const struct ingester ing_vault = {
	.name = "vault",
	.summary = "HashiCorp Vault audit device: request/response entries, one per line or pretty",
	.flags = ING_JSON,
	.probe = vault_probe,
	.json_record = vault_record,
};
