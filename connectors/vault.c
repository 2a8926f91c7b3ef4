/*
 * vault.c - the HashiCorp Vault connector: tokens by accessor, leases by
 * prefix, KV v2 versions (PKI certificates: vault_pki.c).
 *
 * Configuration as the vault CLI reads it: VAULT_ADDR, VAULT_TOKEN (else
 * ~/.vault-token), VAULT_CACERT (else VAULT_CAPATH: every PEM file of that
 * directory, as the CLI loads it - no c_rehash links needed),
 * VAULT_CLIENT_CERT and VAULT_CLIENT_KEY (TLS client authentication),
 * VAULT_NAMESPACE (the X-Vault-Namespace header of every request).  Plain
 * http is accepted only on loopback (a dev server); everything else must be
 * https.
 *
 * Revoking an accessor kills the token and its children; an unknown or
 * already revoked accessor answers 400, which is "already done" once a
 * lookup agrees.  Rotating a KV v2 secret writes new random values for the
 * same keys with check-and-set on the version read, then destroys the old
 * version; the write is never repeated blindly (cas makes a repeat fail
 * anyway) - the metadata is read again instead.  The old values are wiped
 * from memory; the new ones go only to the caller.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "private.h"

#define VAULT_CAPATH_FILES 256
#define VAULT_CAPATH_BYTES ((size_t)4 << 20)

struct vault_cfg {
	char *addr;
	char *token_header;  /* "X-Vault-Token: ...", wiped */
	char *ns_header;     /* "X-Vault-Namespace: ..." */
	struct http_tls tls;
	char *ca_file;
	char *ca_pem;        /* VAULT_CAPATH's certificates, concatenated */
	size_t ca_len;
	char *cert_file, *key_file;
};

static void
vault_close(void **cdata)
{
	struct vault_cfg *v = *cdata;

	if (v == NULL)
		return;
	free(v->addr);
	secret_free(&v->token_header);
	free(v->ns_header);
	free(v->ca_file);
	free(v->ca_pem);
	free(v->cert_file);
	free(v->key_file);
	free(v);
	*cdata = NULL;
}

static int
loopback_or_https(const char *u)
{
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://127.0.0.1", 16) == 0 ||
	       strncmp(u, "http://localhost", 16) == 0 || strncmp(u, "http://[::1]", 12) == 0;
}

/* Every regular file of dir holding a PEM certificate, concatenated (the
 * vault CLI's VAULT_CAPATH: a directory of PEM CA files, any names). */
static int
capath_load(const char *dir, char **pem, size_t *len, char **cause)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct buf b;
	int files = 0, certs = 0, r = CD_OK;

	*pem = NULL;
	if (d == NULL) {
		*cause = xstrdup("VAULT_CAPATH is not a readable directory");
		return CD_E_USAGE;
	}
	buf_init(&b, VAULT_CAPATH_BYTES);
	while ((e = readdir(d)) != NULL && r == CD_OK) {
		char *text = NULL, *rc = NULL;
		size_t n = 0;
		struct buf p;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (++files > VAULT_CAPATH_FILES) {
			r = CD_E_LIMIT;
			break;
		}
		buf_init(&p, 8192);
		if (buf_printf(&p, "%s/%s", dir, e->d_name) != CD_OK) {
			buf_release(&p);
			continue;
		}
		/* a subdirectory, FIFO or unreadable file is skipped, as the CLI does */
		if (stat(p.data, &st) == 0 && S_ISREG(st.st_mode) &&
		    file_read(p.data, (size_t)1 << 20, &text, &n, &rc) == CD_OK) {
			if (memmem(text, n, "-----BEGIN CERTIFICATE-----", 27) != NULL) {
				certs++;
				if (buf_add(&b, text, n) != CD_OK || buf_addc(&b, '\n') != CD_OK)
					r = CD_E_LIMIT;
			}
			free(text);
		}
		free(rc);
		buf_release(&p);
	}
	closedir(d);
	if (r != CD_OK || certs == 0) {
		buf_release(&b);
		*cause = xstrdup(r != CD_OK ? "VAULT_CAPATH holds too many or too large files"
					    : "VAULT_CAPATH holds no PEM certificate");
		return CD_E_USAGE;
	}
	*len = b.len;
	*pem = buf_take(&b);
	return CD_OK;
}

static int
vault_open(void **cdata, char **cause)
{
	struct vault_cfg *v;
	const char *addr = env_get("VAULT_ADDR"), *tok = env_get("VAULT_TOKEN");
	char *filetok = NULL, *rc = NULL;
	size_t flen = 0;
	struct buf b;

	*cdata = NULL;
	if (addr == NULL) {
		*cause = xstrdup("VAULT_ADDR is not set");
		return CD_E_USAGE;
	}
	if (!loopback_or_https(addr)) {
		*cause = xstrdup("VAULT_ADDR must be https:// (plain http only on loopback)");
		return CD_E_USAGE;
	}
	if (tok == NULL && env_get("HOME") != NULL) {
		buf_init(&b, 4096);
		if (buf_printf(&b, "%s/.vault-token", env_get("HOME")) == CD_OK &&
		    conn_read_secret(b.data, &filetok, &flen, &rc) == CD_OK)
			tok = filetok;
		free(rc);
		buf_release(&b);
	}
	if (tok == NULL) {
		*cause = xstrdup("no Vault token: set VAULT_TOKEN (or write ~/.vault-token)");
		return CD_E_USAGE;
	}
	v = xcalloc(1, sizeof(*v));
	v->addr = xstrdup(addr);
	v->token_header = secret_header("X-Vault-Token: ", tok, strlen(tok));
	if (filetok != NULL)
		freezero(filetok, flen + 1);
	if (env_get("VAULT_NAMESPACE") != NULL) {
		buf_init(&b, 4096);
		if (buf_printf(&b, "X-Vault-Namespace: %s", env_get("VAULT_NAMESPACE")) == CD_OK)
			v->ns_header = buf_take(&b);
		else
			buf_release(&b);
	}
	/* VAULT_CACERT wins over VAULT_CAPATH, as in the CLI */
	if (env_get("VAULT_CACERT") != NULL) {
		v->ca_file = xstrdup(env_get("VAULT_CACERT"));
	} else if (env_get("VAULT_CAPATH") != NULL &&
		   capath_load(env_get("VAULT_CAPATH"), &v->ca_pem, &v->ca_len, cause) != CD_OK) {
		void *p = v;

		vault_close(&p);
		return CD_E_USAGE;
	}
	if ((env_get("VAULT_CLIENT_CERT") != NULL) != (env_get("VAULT_CLIENT_KEY") != NULL)) {
		void *p = v;

		vault_close(&p);
		*cause = xstrdup("VAULT_CLIENT_CERT and VAULT_CLIENT_KEY go together: set both (TLS "
				 "client authentication) or neither");
		return CD_E_USAGE;
	}
	if (env_get("VAULT_CLIENT_CERT") != NULL) {
		v->cert_file = xstrdup(env_get("VAULT_CLIENT_CERT"));
		v->key_file = xstrdup(env_get("VAULT_CLIENT_KEY"));
	}
	v->tls.ca_file = v->ca_file;
	v->tls.ca_pem = v->ca_pem;
	v->tls.ca_pem_len = v->ca_len;
	v->tls.cert_file = v->cert_file;
	v->tls.key_file = v->key_file;
	*cdata = v;
	return CD_OK;
}

/* Implements api_style::parse: {"errors":[...]}, and the request id in
 * the body when no header carried it. */
static void
vault_parse(struct api_out *o)
{
	if (o->rs.request_id[0] == '\0')
		json_body_str(&o->rs.body, "request_id", o->rs.request_id, sizeof(o->rs.request_id));
	if (o->rs.status >= 400)
		json_body_str(&o->rs.body, "errors[0]", o->message, sizeof(o->message));
}

/* Implements api_style::explain. */
static void
vault_explain(struct conn_result *res, const struct api_out *o, const char *what)
{
	if (o->rs.status == 0) {
		/* with TLS 1.3 a refused client certificate shows only as a
		 * broken connection ("Failed sending data to the peer") */
		if (strstr(o->message, "certificate") || strstr(o->message, "SSL") ||
		    strstr(o->message, "TLS") || strstr(o->message, "peer"))
			res_detail(res, "if TLS failed: give Vault's CA (VAULT_CACERT or VAULT_CAPATH), and "
					"VAULT_CLIENT_CERT and VAULT_CLIENT_KEY when it requires a client "
					"certificate");
		return;
	}
	res_detail(res, "%s: HTTP %ld: %s", what, o->rs.status,
		   o->message[0] ? o->message : "(no message)");
	if (o->rs.status == 503)
		res_detail(res, "Vault is sealed or unavailable");
}

static const struct api_style vault_style = { .parse = vault_parse, .explain = vault_explain };

/* One call; CD_OK when an answer arrived.  The caller releases o->rs. */
int
vault_call(struct conn *c, const char *method, const char *path, const char *body,
	   const char *body_shown, int idempotent, struct api_out *o, struct conn_result *res)
{
	struct vault_cfg *v = c->cdata;
	struct http_req rq = { 0 };

	rq.method = method;
	http_req_header(&rq, v->token_header, 1);
	if (v->ns_header != NULL)
		http_req_header(&rq, v->ns_header, 0);
	/* the CLI's marker header; Vault rejects browsers without it */
	http_req_header(&rq, "X-Vault-Request: true", 0);
	if (body != NULL)
		api_body(&rq, "Content-Type: application/json", body, body_shown);
	rq.tls = &v->tls;
	rq.idempotent = idempotent;
	rq.reqid_headers[0] = "X-Request-Id";
	return api_rest(c, v->addr, path, &rq, &vault_style, o, res);
}

static int
accessor_ok(const char *a, struct conn_result *res)
{
	if (!ident_ok(a, "._-", 128)) {
		res_detail(res, "'%s' is not a Vault token accessor", a);
		return CD_E_USAGE;
	}
	return CD_OK;
}

/* lookup-accessor: 1 alive, 0 gone, -1 error (res set). */
static int
accessor_alive(struct conn *c, const char *acc, struct conn_result *res, char *info, size_t cap)
{
	char body[300], dn[128] = "", ttl[32] = "", pol[128] = "";
	struct api_out o;
	int r;

	snprintf(body, sizeof(body), "{\"accessor\":\"%s\"}", acc);
	r = vault_call(c, "POST", "/v1/auth/token/lookup-accessor", body, NULL, 1, &o, res);
	if (r == CD_OK && o.rs.status == 200) {
		json_body_str(&o.rs.body, "data.display_name", dn, sizeof(dn));
		json_body_str(&o.rs.body, "data.ttl", ttl, sizeof(ttl));
		json_body_str(&o.rs.body, "data.policies[0]", pol, sizeof(pol));
		if (info != NULL)
			snprintf(info, cap, "alive: display name %s, policy %s..., ttl %ss", dn[0] ? dn : "?",
				 pol[0] ? pol : "?", ttl[0] ? ttl : "?");
		r = 1;
	} else if (r == CD_OK && (o.rs.status == 400 || o.rs.status == 404)) {
		r = 0; /* "invalid accessor" / "token not found" */
	} else {
		api_fail(res, &o, "lookup-accessor");
		r = -1;
	}
	http_resp_release(&o.rs);
	return r;
}

/* 400: the accessor is unknown - raced, gone in between. */
static const struct api_expect vault_accessor_revoked = {
	.what = "revoke-accessor", .ok = { 204, 200 }, .gone = { 400 },
};

/* Implements conn_action::run for revoke-accessor. */
static int
vault_revoke_accessor(struct conn *c, const char *acc, struct conn_result *res)
{
	char body[300];
	struct api_out o;
	int r, acted;

	if (accessor_ok(acc, res) != CD_OK)
		return CD_E_USAGE;
	if (!c->opts->dry_run) {
		r = accessor_alive(c, acc, res, NULL, 0);
		if (r < 0)
			return CD_OK;
		if (r == 0) {
			/* unknown before we acted: nothing shows it was ever this Vault's */
			res->outcome = CONN_FAILED;
			res_verified(res, "accessor unknown to Vault");
			res_detail(res, "accessor %s is unknown to this Vault (invalid accessor): revoked or "
					"expired before, mistyped, or another Vault's; cordon cannot prove it is "
					"revoked",
				   acc);
			snprintf(res->absent_by, sizeof(res->absent_by), "revoke-accessor");
			return CD_OK;
		}
	}
	snprintf(body, sizeof(body), "{\"accessor\":\"%s\"}", acc);
	r = vault_call(c, "POST", "/v1/auth/token/revoke-accessor", body, NULL, 1, &o, res);
	acted = api_acted(r, &o, &vault_accessor_revoked, res);
	if (acted == ACTED_FAILED || acted == ACTED_DRYRUN)
		return CD_OK;
	r = accessor_alive(c, acc, res, NULL, 0);
	if (r == 0) {
		res->outcome = acted == ACTED_ALREADY ? CONN_ALREADY : CONN_DONE;
		res_verified(res, "lookup-accessor: token gone (children revoked with it)");
	} else if (r > 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: the accessor still resolves to a live token");
	}
	return CD_OK;
}

/* Implements conn_action::run for lookup-accessor (read-only). */
static int
vault_lookup_accessor(struct conn *c, const char *acc, struct conn_result *res)
{
	char info[256];
	int r;

	if (accessor_ok(acc, res) != CD_OK)
		return CD_E_USAGE;
	r = accessor_alive(c, acc, res, info, sizeof(info));
	if (c->opts->dry_run) {
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (r < 0)
		return CD_OK;
	res->outcome = CONN_DONE;
	res_verified(res, "%s", r ? info : "not found (revoked or expired)");
	return CD_OK;
}

/* LIST sys/leases/lookup/PREFIX: number of live entries, -1 on error. */
static int
leases_under(struct conn *c, const char *prefix, struct conn_result *res)
{
	char path[700], k[8];
	struct api_out o;
	int n;

	snprintf(path, sizeof(path), "/v1/sys/leases/lookup/%s?list=true", prefix);
	n = api_present(vault_call(c, "GET", path, NULL, NULL, 1, &o, res), &o, "list leases", res);
	if (n == 1 && json_body_str(&o.rs.body, "data.keys[0]", k, sizeof(k)) != 0)
		n = 0;
	http_resp_release(&o.rs);
	return n;
}

static const struct api_expect vault_prefix_revoked = {
	.what = "revoke-prefix", .ok = { 204, 200 },
};

/* Implements conn_action::run for revoke-prefix. */
static int
vault_revoke_prefix(struct conn *c, const char *prefix, struct conn_result *res)
{
	char path[700];
	struct api_out o;
	int r;

	if (!ident_ok(prefix, "/._-", 512) || prefix[0] == '/') {
		res_detail(res, "'%s' is not a lease prefix (e.g. aws/creds/deploy)", prefix);
		return CD_E_USAGE;
	}
	if (!c->opts->dry_run) {
		r = leases_under(c, prefix, res);
		if (r < 0)
			return CD_OK;
		if (r == 0) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "no live leases under %s", prefix);
			return CD_OK;
		}
	}
	snprintf(path, sizeof(path), "/v1/sys/leases/revoke-prefix/%s", prefix);
	r = vault_call(c, "POST", path, "{}", NULL, 1, &o, res);
	r = api_acted(r, &o, &vault_prefix_revoked, res);
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
	r = leases_under(c, prefix, res);
	if (r == 0) {
		res->outcome = CONN_DONE;
		res_verified(res, "no live leases under %s", prefix);
	} else if (r > 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: leases remain under %s", prefix);
	}
	return CD_OK;
}

/* "MOUNT/PATH[@VERSION]" into mount, path, version (0 = current). */
static int
kv_target(const char *t, char *mount, char *path, size_t cap, uint64_t *ver, struct conn_result *res)
{
	const char *slash = strchr(t, '/'), *at = strrchr(t, '@');
	size_t plen;

	*ver = 0;
	if (slash == NULL || slash == t || (size_t)(slash - t) >= cap)
		goto bad;
	memcpy(mount, t, (size_t)(slash - t));
	mount[slash - t] = '\0';
	plen = at && at > slash ? (size_t)(at - slash - 1) : strlen(slash + 1);
	if (plen == 0 || plen >= cap)
		goto bad;
	memcpy(path, slash + 1, plen);
	path[plen] = '\0';
	/* "secret/data/app" names the same secret as "secret/app" */
	if (strncmp(path, "data/", 5) == 0)
		memmove(path, path + 5, strlen(path + 5) + 1);
	if (at && at > slash) {
		struct span v = { at + 1, strlen(at + 1) };

		if (span_to_u64(v, ver) != CD_OK || *ver == 0)
			goto bad;
	}
	if (!ident_ok(mount, "._-", 128) || !ident_ok(path, "/._-", 512))
		goto bad;
	return CD_OK;
bad:
	res_detail(res, "'%s' is not MOUNT/PATH[@VERSION] of a KV v2 secret", t);
	return CD_E_USAGE;
}

/* Metadata: current version, and whether version ver is destroyed. */
static int
kv_meta(struct conn *c, const char *mount, const char *path, uint64_t ver, uint64_t *current,
	int *destroyed, struct conn_result *res)
{
	char p[800], key[64], v[32];
	struct api_out o;
	int r;

	snprintf(p, sizeof(p), "/v1/%s/metadata/%s", mount, path);
	r = vault_call(c, "GET", p, NULL, NULL, 1, &o, res);
	if (r != CD_OK || o.rs.status != 200) {
		api_fail(res, &o, o.rs.status == 404 ? "no such secret" : "read metadata");
		http_resp_release(&o.rs);
		return CD_E_IO;
	}
	*current = 0;
	if (json_body_str(&o.rs.body, "data.current_version", v, sizeof(v)) == 0) {
		struct span s = { v, strlen(v) };

		if (span_to_u64(s, current) != CD_OK)
			*current = 0;
	}
	*destroyed = 0;
	snprintf(key, sizeof(key), "data.versions.%llu.destroyed",
		 (unsigned long long)(ver ? ver : *current));
	if (json_body_str(&o.rs.body, key, v, sizeof(v)) == 0)
		*destroyed = strcmp(v, "true") == 0;
	else
		*destroyed = -1; /* no such version */
	http_resp_release(&o.rs);
	return CD_OK;
}

static const struct api_expect vault_destroyed = { .what = "destroy", .ok = { 204, 200 } };

/* Destroy version ver of a KV v2 secret (dry-run: show it). */
static int
kv_destroy(struct conn *c, const char *mount, const char *path, uint64_t ver,
	   struct conn_result *res)
{
	char p[800], body[64];
	struct api_out o;
	int r;

	snprintf(p, sizeof(p), "/v1/%s/destroy/%s", mount, path);
	snprintf(body, sizeof(body), "{\"versions\":[%llu]}", (unsigned long long)ver);
	r = vault_call(c, "POST", p, body, NULL, 1, &o, res);
	return api_acted(r, &o, &vault_destroyed, res) == ACTED_FAILED ? CD_E_IO : CD_OK;
}

/* Implements conn_action::run for destroy-secret-version. */
static int
vault_destroy_version(struct conn *c, const char *target, struct conn_result *res)
{
	char mount[160], path[600];
	uint64_t ver, cur;
	int destroyed;

	if (kv_target(target, mount, path, sizeof(path), &ver, res) != CD_OK)
		return CD_E_USAGE;
	if (c->opts->dry_run) {
		kv_destroy(c, mount, path, ver ? ver : 1, res);
		if (!ver)
			res_detail(res, "version: the current one, read when run");
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (kv_meta(c, mount, path, ver, &cur, &destroyed, res) != CD_OK)
		return CD_OK;
	if (ver == 0)
		ver = cur;
	if (destroyed == 1) {
		res->outcome = CONN_ALREADY;
		res_verified(res, "version %llu destroyed", (unsigned long long)ver);
		return CD_OK;
	}
	if (destroyed < 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "%s has no version %llu", target, (unsigned long long)ver);
		return CD_OK;
	}
	if (kv_destroy(c, mount, path, ver, res) != CD_OK)
		return CD_OK;
	if (kv_meta(c, mount, path, ver, &cur, &destroyed, res) != CD_OK)
		return CD_OK;
	if (destroyed == 1) {
		res->outcome = CONN_DONE;
		res_verified(res, "version %llu destroyed", (unsigned long long)ver);
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: version %llu is not destroyed", (unsigned long long)ver);
	}
	return CD_OK;
}

/* Is field (raw name) one of the comma-separated names in list? */
static int
field_listed(const char *list, struct span name)
{
	const char *p = list;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == name.n && memcmp(p, name.p, n) == 0)
			return 1;
		p += n + (e != NULL);
	}
	return 0;
}

/*
 * {"options":{"cas":N},"data":{...}} from the data read: the fields that
 * hold secrets (named in fields, comma-separated; or, with fields NULL,
 * secret by name) get new random values, every other field keeps its
 * value.  The new values (a JSON object) go to *newdata, the changed
 * field names to *changed and the kept ones to *kept.  CD_E_NOTFOUND: no
 * field to change (*changed empty), or a named field missing (*changed
 * names it).
 */
static int
kv_new_values(const struct buf *read, uint64_t cas, const char *fields, struct buf *body,
	      struct buf *newdata, struct buf *changed, struct buf *kept)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why, *p;
	int data, k, r = CD_E_PARSE, first = 1;

	json_tokens_init(&t, 65536);
	if (json_parse(&d, read->data, read->len, &t, &why) != CD_OK ||
	    (data = json_path(&d, 0, "data.data")) < 0 || json_type(&d, data) != JSON_OBJECT)
		goto out;
	/* every field named must be there: a typo changes nothing */
	for (p = fields; p != NULL && *p; ) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int found = 0;

		for (k = json_first(&d, data); k > 0 && !found; k = json_next(&d, data, k))
			found = json_raw(&d, k).n == n && memcmp(json_raw(&d, k).p, p, n) == 0;
		if (!found) {
			buf_reset(changed);
			r = buf_add(changed, p, n) == CD_OK ? CD_E_NOTFOUND : CD_E_NOMEM;
			goto out;
		}
		p += n + (e != NULL);
	}
	r = buf_printf(body, "{\"options\":{\"cas\":%llu},\"data\":{", (unsigned long long)cas);
	r = r ? r : buf_addc(newdata, '{');
	for (k = json_first(&d, data); k > 0 && r == CD_OK; k = json_next(&d, data, k)) {
		struct span name = json_raw(&d, k);
		int secret = fields ? field_listed(fields, name) : secret_field_name(name.p, name.n);
		unsigned char rnd[24];
		char hex[49];

		r = first ? CD_OK : buf_addc(body, ',');
		r = r ? r : buf_add(body, json_text(&d, k).p, json_text(&d, k).n);
		r = r ? r : buf_addc(body, ':');
		first = 0;
		if (!secret) {
			r = r ? r : buf_add(body, json_text(&d, k + 1).p, json_text(&d, k + 1).n);
			r = r ? r : (kept->len ? buf_addstr(kept, ", ") : CD_OK);
			r = r ? r : buf_add(kept, name.p, name.n);
			continue;
		}
		rand_bytes(rnd, sizeof(rnd));
		hex_encode(rnd, sizeof(rnd), hex);
		explicit_bzero(rnd, sizeof(rnd));
		r = r ? r : buf_printf(body, "\"%s\"", hex);
		r = r ? r : (newdata->len > 1 ? buf_addc(newdata, ',') : CD_OK);
		r = r ? r : buf_add(newdata, json_text(&d, k).p, json_text(&d, k).n);
		r = r ? r : buf_printf(newdata, ":\"%s\"", hex);
		r = r ? r : (changed->len ? buf_addstr(changed, ", ") : CD_OK);
		r = r ? r : buf_add(changed, name.p, name.n);
		explicit_bzero(hex, sizeof(hex));
	}
	r = r ? r : buf_addc(newdata, '}');
	r = r ? r : buf_addstr(body, "}}");
	if (r == CD_OK && changed->len == 0)
		r = CD_E_NOTFOUND;
out:
	json_tokens_release(&t);
	return r;
}

/* Implements conn_action::run for rotate-secret. */
static int
vault_rotate_secret(struct conn *c, const char *target, struct conn_result *res)
{
	char mount[160], path[600], p[800], v[32], secret[800];
	const char *hash = strchr(target, '#'), *fields = hash ? hash + 1 : NULL;
	struct buf body, newdata, changed, kept;
	struct api_out o;
	uint64_t ver, cur = 0, after = 0;
	int r, destroyed;

	/* MOUNT/PATH#FIELD,...: --field named the fields to change */
	snprintf(secret, sizeof(secret), "%.*s", hash ? (int)(hash - target) : (int)strlen(target),
		 target);
	if ((fields != NULL && *fields == '\0') || kv_target(secret, mount, path, sizeof(path), &ver, res) != CD_OK)
		return CD_E_USAGE;
	snprintf(p, sizeof(p), "/v1/%s/data/%s", mount, path);
	if (c->opts->dry_run) {
		r = vault_call(c, "POST", p, "{}",
			       "{\"options\":{\"cas\":<version read when run>},\"data\":{<the same "
			       "fields; those holding secrets with new random values>}}",
			       0, &o, res);
		http_resp_release(&o.rs);
		kv_destroy(c, mount, path, 1, res);
		res_detail(res, "the destroyed version is the one read when run");
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	r = vault_call(c, "GET", p, NULL, NULL, 1, &o, res);
	if (r != CD_OK || o.rs.status != 200) {
		api_fail(res, &o, "read secret");
		http_resp_release(&o.rs);
		return CD_OK;
	}
	if (json_body_str(&o.rs.body, "data.metadata.version", v, sizeof(v)) == 0) {
		struct span s = { v, strlen(v) };

		if (span_to_u64(s, &cur) != CD_OK)
			cur = 0;
	}
	buf_init(&body, 1 << 20);
	buf_init(&newdata, 1 << 20);
	buf_init(&changed, 1 << 16);
	buf_init(&kept, 1 << 16);
	r = cur ? kv_new_values(&o.rs.body, cur, fields, &body, &newdata, &changed, &kept)
		: CD_E_PARSE;
	http_resp_release(&o.rs); /* the old values: wiped here */
	if (r == CD_E_NOTFOUND && changed.len > 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "%s has no field %s: nothing changed", secret, changed.data);
		goto out;
	}
	if (r == CD_E_NOTFOUND) {
		res->outcome = CONN_FAILED;
		res_detail(res, "no field of %s is a secret by name (%s): nothing changed; name the "
			   "fields to rotate with --field NAME", secret, kept.data);
		goto out;
	}
	if (r != CD_OK) {
		res->outcome = CONN_FAILED;
		res_detail(res, "%s: not a readable KV v2 secret with data", secret);
		goto out;
	}
	r = vault_call(c, "POST", p, body.data, "{\"options\":{\"cas\":N},\"data\":{[REDACTED]}}", 0, &o,
		       res);
	if (r == CD_OK && o.rs.status == 200)
		res_from_resp(res, &o.rs);
	http_resp_release(&o.rs);
	/* whatever the answer: did a version cur + 1 appear? (cas: only ours can) */
	if (kv_meta(c, mount, path, 0, &after, &destroyed, res) != CD_OK)
		goto out;
	if (after != cur + 1) {
		res->outcome = CONN_FAILED;
		res_detail(res, "the new version was not written (current version %llu)",
			   (unsigned long long)after);
		goto out;
	}
	res->secret_len = newdata.len;
	res->secret = xstrndup(newdata.data, newdata.len);
	snprintf(res->new_id, sizeof(res->new_id), "%.120s version %llu", secret,
		 (unsigned long long)after);
	if (kv_destroy(c, mount, path, cur, res) != CD_OK)
		goto out;
	if (kv_meta(c, mount, path, cur, &after, &destroyed, res) != CD_OK)
		goto out;
	if (destroyed == 1) {
		res->outcome = CONN_DONE;
		res_verified(res, "version %llu written: changed %s%s%s; version %llu destroyed",
			     (unsigned long long)cur + 1, changed.data, kept.len ? "; kept " : "",
			     kept.data, (unsigned long long)cur);
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: old version %llu is not destroyed", (unsigned long long)cur);
	}
out:
	freezero(body.data, body.alloc);
	freezero(newdata.data, newdata.alloc);
	buf_release(&changed);
	buf_release(&kept);
	return CD_OK;
}

static const struct conn_action vault_actions[] = {
	{ .name = "revoke-accessor", .target_doc = "token accessor", .phase = PHASE_REVOKE,
	  .run = vault_revoke_accessor },
	{ .name = "revoke-prefix", .target_doc = "lease prefix (aws/creds/ROLE)", .phase = PHASE_REVOKE,
	  .run = vault_revoke_prefix },
	{ .name = "rotate-secret", .target_doc = "KV v2 MOUNT/PATH", .flags = CONN_F_NONIDEMPOTENT,
	  .phase = PHASE_ROTATE, .run = vault_rotate_secret },
	{ .name = "destroy-secret-version", .target_doc = "KV v2 MOUNT/PATH[@VERSION]",
	  .phase = PHASE_CLEANUP, .run = vault_destroy_version },
	{ .name = "revoke-cert", .target_doc = "PKI MOUNT/SERIAL (decimal, hex or colon-hex)",
	  .phase = PHASE_REVOKE, .run = vault_revoke_cert },
	{ .name = "lookup-accessor", .target_doc = "token accessor", .flags = CONN_F_READONLY,
	  .phase = PHASE_REVOKE, .run = vault_lookup_accessor },
	{ .name = NULL },
};

const struct connector conn_vault = {
	.name = "vault",
	.actions = vault_actions,
	.open = vault_open,
	.close = vault_close,
};
