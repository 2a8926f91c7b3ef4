/*
 * inv_vault.c - Vault inventory: `vault token lookup -format=json` (with or
 * without -accessor) and policy documents (`vault policy read NAME` HCL,
 * the JSON form {"path": {"P": {"capabilities": [...]}}}, and `vault read
 * -format=json sys/policy/NAME` whose data.rules holds the HCL).
 *
 * A token lookup of a token (not of an accessor) carries the token itself
 * in data.id: it is never read.  A policy's name is data.name when the file
 * has it, else the file name without extension (web-read.hcl -> web-read).
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

/* ---- token lookup --------------------------------------------------------- */

/* Implements inventory::probe */
static int
vaulttoken_probe(const char *head, size_t len)
{
	if (!inv_head_starts(head, len, '{') || memmem(head, len, "\"remote_address\"", 16) ||
	    memmem(head, len, "\"request\":", 10) || memmem(head, len, "\"request\" :", 11))
		return 0;
	if (memmem(head, len, "\"accessor\"", 10) && memmem(head, len, "\"display_name\"", 14) &&
	    memmem(head, len, "\"data\"", 6))
		return 95;
	return 0;
}

/* Implements inventory::load */
static int
vaulttoken_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	char *acc = NULL, *name = NULL, *path = NULL, *exp = NULL, *type = NULL, *sa = NULL, *sans = NULL;
	char *ckey = NULL, *ikey = NULL, *loc = NULL, *label = NULL, *attrs = NULL;
	int data, pol, j, k, n, rc;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	data = json_get(&d, 0, "data");
	if (json_type(&d, data) != JSON_OBJECT) {
		rc = inv_fail(c, 0, "token lookup output has no \"data\" object");
		goto out;
	}
	acc = inv_path(&d, data, "accessor");
	name = inv_path(&d, data, "display_name");
	if (acc == NULL || *acc == '\0') {
		rc = inv_fail(c, inv_off(&d, data), "token lookup output without data.accessor");
		goto out;
	}
	path = inv_path(&d, data, "path");
	exp = inv_path(&d, data, "expire_time");
	type = inv_path(&d, data, "type");
	sa = inv_path(&d, data, "meta.service_account_name");
	sans = inv_path(&d, data, "meta.service_account_namespace");
	pol = json_get(&d, data, "policies");
	{
		const struct inv_attr kv[] = { { "display_name", name }, { "path", path },
					       { "expire_time", exp }, { "type", type } };

		attrs = inv_attrs(kv, sizeof(kv) / sizeof(kv[0]));
	}
	ckey = xstrdupf("vault:%s", acc);
	ikey = xstrdupf("vault:%s", name && *name ? name : acc);
	loc = xstrdupf("vault-token:%s", acc);
	label = xstrdupf("Vault %s token", type ? type : "");
	if (graph_tx_node(c->tx, "credential", ckey, "vault", label, attrs) < 0) {
		rc = CD_E_DB;
		goto out;
	}
	rc = graph_link(c->tx, "secret", loc, "exposes", "credential", ckey, 0, NULL);
	rc = rc ? rc : graph_link(c->tx, "credential", ckey, "authenticates-as", "identity", ikey, 0, NULL);
	n = json_count(&d, pol);
	for (j = 0, k = pol + 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k)) {
		char *p = inv_str(&d, k), *pk;

		if (p == NULL)
			continue;
		pk = xstrdupf("vault:policy/%s", p);
		rc = graph_link(c->tx, "identity", ikey, "member-of", "identity", pk, 0, "token policy");
		free(pk);
		free(p);
	}
	if (rc == CD_OK && sa != NULL && sans != NULL) {
		char *sk = xstrdupf("k8s:system:serviceaccount:%s:%s", sans, sa);

		rc = graph_link(c->tx, "identity", sk, "can-assume", "identity", ikey, 0,
				"Vault kubernetes auth: logs in with its service-account token");
		free(sk);
	}
	c->objects++;
out:
	free(attrs);
	json_tokens_release(&t);
	free(acc);
	free(name);
	free(path);
	free(exp);
	free(type);
	free(sa);
	free(sans);
	free(ckey);
	free(ikey);
	free(loc);
	free(label);
	return rc;
}

const struct inventory inv_vaulttoken = {
	.name = "vault-token",
	.summary = "inventory: vault token lookup -format=json (accessor -> identity, policies)",
	.probe = vaulttoken_probe,
	.load = vaulttoken_load,
};

/* ---- policies ------------------------------------------------------------- */

/* HCL whose first statement (after blank lines and # or // comments) is
 * `path "..." {`: a README or notes that mention policies are not one. */
static int
hcl_starts_with_path(const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p < end && (*p == '#' || (*p == '/' && p + 1 < end && p[1] == '/'))) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			p = nl ? nl + 1 : end;
			continue;
		}
		break;
	}
	if ((size_t)(end - p) < 5 || memcmp(p, "path", 4) != 0)
		return 0;
	p += 4;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p++ != '"')
		return 0;
	while (p < end && *p != '"' && *p != '\n')
		p++;
	if (p >= end || *p++ != '"')
		return 0;
	/* then the block: path "P" { */
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p < end && *p == '{';
}

/* Implements inventory::probe */
static int
vaultpolicy_probe(const char *head, size_t len)
{
	if (!memmem(head, len, "capabilities", 12))
		return 0;
	if (inv_head_starts(head, len, '{'))
		return memmem(head, len, "\"path\"", 6) || memmem(head, len, "\"rules\"", 7) ||
				       memmem(head, len, "\"policy\"", 8)
			       ? 90
			       : 0;
	return hcl_starts_with_path(head, len) ? 90 : 0;
}

/* One path rule: policy identity -> can-access -> vault:PATH. */
static int
put_path(struct inv_ctx *c, const char *policy, const char *path, const char *caps)
{
	char *pk = xstrdupf("vault:policy/%s", policy), *rk = xstrdupf("vault:%s", path);
	struct graph_rule r = { .provider = "vault", .kind = "vault", .owner = pk, .effect = "Allow",
				.actions = caps, .resources = path };
	char *det = xstrdup(caps), *p;
	int rc;

	for (p = det; *p; p++)
		if (*p == '\n')
			*p = ',';
	if (strstr(caps, "deny") != NULL)
		r.effect = "Deny";
	rc = graph_tx_rule(c->tx, &r);
	if (rc == CD_OK && strcmp(r.effect, "Allow") == 0 && *caps)
		rc = graph_link(c->tx, "identity", pk, "can-access", "resource", rk, 0, det);
	c->objects++;
	free(det);
	free(pk);
	free(rk);
	return rc;
}

/* HCL, the subset Vault policies use: path "P" { capabilities = [..] ... }. */
struct hcl {
	struct inv_ctx *c;
	const char *p, *end, *base;
};

static void
hcl_ws(struct hcl *h)
{
	while (h->p < h->end) {
		if (*h->p == ' ' || *h->p == '\t' || *h->p == '\r' || *h->p == '\n' || *h->p == ',') {
			h->p++;
		} else if (*h->p == '#' || (*h->p == '/' && h->p + 1 < h->end && h->p[1] == '/')) {
			while (h->p < h->end && *h->p != '\n')
				h->p++;
		} else if (*h->p == '/' && h->p + 1 < h->end && h->p[1] == '*') {
			const char *e = memmem(h->p + 2, (size_t)(h->end - h->p - 2), "*/", 2);

			h->p = e ? e + 2 : h->end;
		} else {
			break;
		}
	}
}

/* Skip blanks, then take c if it comes next: 1 when taken. */
static int
hcl_eat(struct hcl *h, char c)
{
	hcl_ws(h);
	if (h->p < h->end && *h->p == c) {
		h->p++;
		return 1;
	}
	return 0;
}

static int
hcl_fail(struct hcl *h, const char *what)
{
	return inv_fail(h->c, h->base ? h->p - h->base : -1, "Vault policy: %s", what);
}

/* A quoted string (escapes kept simple: \" and \\). */
static int
hcl_string(struct hcl *h, struct buf *out)
{
	buf_reset(out);
	if (h->p >= h->end || *h->p != '"')
		return hcl_fail(h, "expected a quoted string");
	h->p++;
	while (h->p < h->end && *h->p != '"') {
		if (*h->p == '\\' && h->p + 1 < h->end)
			h->p++;
		if (*h->p == '\n' || buf_addc(out, *h->p) != CD_OK)
			return hcl_fail(h, "string not closed on its line");
		h->p++;
	}
	if (h->p >= h->end)
		return hcl_fail(h, "string not closed");
	h->p++;
	return CD_OK;
}

static int
hcl_ident(struct hcl *h, struct buf *out)
{
	buf_reset(out);
	while (h->p < h->end && ((*h->p >= 'a' && *h->p <= 'z') || (*h->p >= 'A' && *h->p <= 'Z') ||
				 (*h->p >= '0' && *h->p <= '9') || *h->p == '_' || *h->p == '-'))
		if (buf_addc(out, *h->p++) != CD_OK)
			return hcl_fail(h, "name too long");
	return out->len ? CD_OK : hcl_fail(h, "expected a name");
}

/* Skip any value: string, number, list or block (depth-bounded). */
static int
hcl_skip_value(struct hcl *h, int depth)
{
	struct buf tmp;
	int rc = CD_OK;

	if (depth > 32)
		return hcl_fail(h, "nested too deeply");
	hcl_ws(h);
	if (h->p >= h->end)
		return hcl_fail(h, "value missing at end of file");
	if (*h->p == '"') {
		buf_init(&tmp, 65536);
		rc = hcl_string(h, &tmp);
		buf_release(&tmp);
		return rc;
	}
	if (*h->p == '[' || *h->p == '{') {
		char close = *h->p == '[' ? ']' : '}';

		h->p++;
		for (;;) {
			hcl_ws(h);
			if (h->p >= h->end)
				return hcl_fail(h, "list or block not closed");
			if (*h->p == close) {
				h->p++;
				return CD_OK;
			}
			if (*h->p == '=' || *h->p == ':' || *h->p == ',') {
				h->p++;
				continue;
			}
			if (close == '}' && *h->p != '"' && *h->p != '[' && *h->p != '{') {
				buf_init(&tmp, 4096);
				rc = hcl_ident(h, &tmp);
				buf_release(&tmp);
				if (rc != CD_OK)
					return rc;
				continue;
			}
			if ((rc = hcl_skip_value(h, depth + 1)) != CD_OK)
				return rc;
		}
	}
	{
		const char *start = h->p;

		while (h->p < h->end && *h->p != '\n' && *h->p != ',' && *h->p != '}' &&
		       *h->p != ']')
			h->p++;
		/* a value must consume something, or a caller's loop never ends */
		if (h->p == start)
			return hcl_fail(h, "unexpected character where a value belongs");
	}
	return CD_OK;
}

/* The list after capabilities = [ : its strings, newline-separated, into caps. */
static int
hcl_caps(struct hcl *h, struct buf *caps, struct buf *s)
{
	int rc;

	while (!hcl_eat(h, ']')) {
		if ((rc = hcl_string(h, s)) != CD_OK)
			return rc;
		if ((caps->len && buf_addc(caps, '\n') != CD_OK) || buf_addstr(caps, s->data) != CD_OK)
			return hcl_fail(h, "too many capabilities");
	}
	return CD_OK;
}

/* The block of one path rule: { capabilities = [...] ... }; the other
 * attributes are skipped. */
static int
hcl_path_block(struct hcl *h, struct buf *word, struct buf *caps, struct buf *s)
{
	int rc;

	if (!hcl_eat(h, '{'))
		return hcl_fail(h, "expected { after the path");
	buf_reset(caps);
	while (!hcl_eat(h, '}')) {
		if ((rc = hcl_ident(h, word)) != CD_OK)
			return rc;
		(void)hcl_eat(h, '=');
		if (strcmp(word->data, "capabilities") == 0 && hcl_eat(h, '['))
			rc = hcl_caps(h, caps, s);
		else
			rc = hcl_skip_value(h, 0);
		if (rc != CD_OK)
			return rc;
	}
	return CD_OK;
}

static int
hcl_policy(struct inv_ctx *c, const char *policy, const char *text, size_t len, int64_t base_off)
{
	struct hcl h = { c, text, text + len, base_off >= 0 ? text - base_off : NULL };
	struct buf word, path, caps, s;
	int rc = CD_OK, paths = 0;

	buf_init(&word, 4096);
	buf_init(&path, 65536);
	buf_init(&caps, 65536);
	buf_init(&s, 65536);
	for (;;) {
		hcl_ws(&h);
		if (h.p >= h.end)
			break;
		if ((rc = hcl_ident(&h, &word)) != CD_OK)
			break;
		hcl_ws(&h);
		if (strcmp(word.data, "path") != 0) {
			/* a top-level attribute or block we do not use */
			(void)hcl_eat(&h, '=');
			if ((rc = hcl_skip_value(&h, 0)) != CD_OK)
				break;
			continue;
		}
		if ((rc = hcl_string(&h, &path)) != CD_OK ||
		    (rc = hcl_path_block(&h, &word, &caps, &s)) != CD_OK)
			break;
		if ((rc = put_path(c, policy, path.data, caps.data)) != CD_OK)
			break;
		paths++;
	}
	if (rc == CD_OK && paths == 0)
		rc = inv_fail(c, base_off, "Vault policy %s has no path blocks", policy);
	buf_release(&word);
	buf_release(&path);
	buf_release(&caps);
	buf_release(&s);
	return rc;
}

/* {"path": {"P": {"capabilities": [...]}}} */
static int
json_policy(struct inv_ctx *c, const char *policy, const struct json_doc *d, int paths)
{
	int k, rc = CD_OK, any = 0;

	for (k = json_first(d, paths); k > 0 && rc == CD_OK; k = json_next(d, paths, k)) {
		char *path = inv_str(d, k), *caps = inv_strlist(d, json_get(d, k + 1, "capabilities"));

		if (path != NULL)
			rc = put_path(c, policy, path, caps ? caps : "");
		any = 1;
		free(path);
		free(caps);
	}
	if (rc == CD_OK && !any)
		rc = inv_fail(c, inv_off(d, paths), "Vault policy %s has no paths", policy);
	return rc;
}

/* Implements inventory::load */
static int
vaultpolicy_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	char *name = NULL, *rules = NULL;
	int rc, paths;

	if (!inv_head_starts(c->data, c->len, '{'))
		return hcl_policy(c, c->stem, c->data, c->len, 0);
	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	paths = json_get(&d, 0, "path");
	if (json_type(&d, paths) == JSON_OBJECT) {
		rc = json_policy(c, c->stem, &d, paths);
		goto out;
	}
	name = inv_path(&d, 0, "data.name");
	rules = inv_path(&d, 0, "data.rules");
	if (rules == NULL)
		rules = inv_path(&d, 0, "data.policy");
	if (rules == NULL) {
		rc = inv_fail(c, 0, "Vault policy JSON needs \"path\" or data.rules");
		goto out;
	}
	rc = hcl_policy(c, name ? name : c->stem, rules, strlen(rules), -1);
out:
	free(name);
	free(rules);
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_vaultpolicy = {
	.name = "vault-policy",
	.summary = "inventory: Vault policy documents (HCL or JSON path capabilities)",
	.probe = vaultpolicy_probe,
	.load = vaultpolicy_load,
};
