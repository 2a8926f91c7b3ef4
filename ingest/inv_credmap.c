/*
 * inv_credmap.c - the credential map: what no inventory shows, written by
 * the responder (format in README "Credential map").
 *
 *   # cordon credential map
 *   LOCATION PROVIDER CREDENTIAL_ID IDENTITY      ("-" = unknown)
 *
 * LOCATION is a secret locator (correlate.h).  The map holds ids, never
 * secret values: a column that looks like a token or a secret key is
 * refused, so a pasted secret never reaches the store.
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

#define CREDMAP_MAGIC "# cordon credential map"
#define CREDMAP_LINE_MAX 4096

/* Implements inventory::probe */
static int
credmap_probe(const char *head, size_t len)
{
	size_t n = strlen(CREDMAP_MAGIC);

	if (len >= n && memcmp(head, CREDMAP_MAGIC, n) == 0 &&
	    (len == n || head[n] == '\n' || head[n] == '\r'))
		return 100;
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A 40-character base64 word: the shape of an AWS secret access key. */
static int
looks_like_aws_secret(const char *s)
{
	size_t n = strlen(s), i;

	if (n != 40)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '/' && s[i] != '+' && s[i] != '=')
			return 0;
	return 1;
}

/* "AKIA..." -> aws when the provider column is "-". */
static const char *
guess_provider(const char *id)
{
	if (credid_kind(id) != NULL && strncmp(id, "spiffe://", 9) != 0)
		return credid_kind(id);
	if (strncmp(id, "AKIA", 4) == 0 || strncmp(id, "ASIA", 4) == 0)
		return "aws";
	if (strncmp(id, "JTI=", 4) == 0)
		return "k8s";
	if (strncmp(id, "hmac-sha256:", 12) == 0)
		return "vault";
	if (strncmp(id, "projects/", 9) == 0)
		return "gcp";
	return "unknown";
}

static int
valid_provider(const char *p)
{
	size_t i;

	if (!*p || strlen(p) > 24)
		return 0;
	for (i = 0; p[i]; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return 0;
	return 1;
}

/* Check a locator's shape; returns NULL when fine, else why not. */
static const char *
check_locator(const char *loc)
{
	const char *rest, *c;

	if (strncmp(loc, "file:", 5) == 0) {
		rest = loc + 5;
		c = strchr(rest, ':');
		if (c == NULL || c == rest)
			return "file: needs HOST:PATH (HOST may be *)";
		if (c[1] != '/')
			return "file: PATH must be absolute (start with /)";
		return NULL;
	}
	if (strncmp(loc, "env:", 4) == 0) {
		rest = loc + 4;
		c = strrchr(rest, ':');
		if (c == NULL || c == rest || c[1] == '\0')
			return "env: needs WORKLOAD:VAR (WORKLOAD a container id or ns/pod)";
		return NULL;
	}
	if (strncmp(loc, "k8s-secret:", 11) == 0 || strncmp(loc, "sa-token:", 9) == 0) {
		rest = strchr(loc, ':') + 1;
		c = strchr(rest, '/');
		if (c == NULL || c == rest || c[1] == '\0' || c[1] == '/')
			return "needs NS/NAME";
		if (strncmp(loc, "sa-token:", 9) == 0 && strchr(c + 1, '/') != NULL)
			return "sa-token: takes NS/SA only";
		return NULL;
	}
	if (strncmp(loc, "imds:", 5) == 0 || strncmp(loc, "kubelet-cred:", 13) == 0 ||
	    strncmp(loc, "vault-token:", 12) == 0) {
		rest = strchr(loc, ':') + 1;
		return *rest ? NULL : "needs a node name (or accessor) after the colon";
	}
	return "unknown location kind; use file:, env:, k8s-secret:, sa-token:, imds:, "
	       "kubelet-cred: or vault-token:";
}

/* Key material: certificates, SSH keys, SPIFFE SVIDs, signing keys. */
static int
keymat_provider(const char *p)
{
	return strcmp(p, "x509") == 0 || strcmp(p, "ssh") == 0 || strcmp(p, "spiffe") == 0 ||
	       strcmp(p, "signing") == 0;
}

/* An identity column as a node key: "PROVIDER:NAME" unless it already is
 * one.  Key material authenticates to a relying party, so its identity may
 * name that party's own ("k8s:USER" through RBAC, "vault:NAME" a cert role). */
static char *
identity_key(const char *provider, const char *ident)
{
	char pfx[32];

	/* a SPIFFE ID's scheme is no provider prefix: spiffe:spiffe://TD/PATH */
	if (strncmp(ident, "spiffe://", 9) == 0)
		return xstrdupf("spiffe:%s", ident);
	graph_provider_of(ident, pfx, sizeof(pfx));
	if (pfx[0] && strcmp(pfx, provider) == 0)
		return xstrdup(ident);
	if (keymat_provider(provider) &&
	    (strcmp(pfx, "k8s") == 0 || strcmp(pfx, "vault") == 0 || strcmp(pfx, "aws") == 0 ||
	     strcmp(pfx, "gcp") == 0 || strcmp(pfx, "spiffe") == 0))
		return xstrdup(ident);
	return xstrdupf("%s:%s", provider, ident);
}

/*
 * A certificate's id column: [MOUNT/]SERIAL, the serial in any spelling
 * (credid.c) and, when a Vault PKI mount issued it, the mount (what
 * revoke-cert takes).  The credential is "x509:X509SERIAL=HEX"; the mount
 * goes in its attributes.
 */
static int
credmap_cert(struct inv_ctx *c, int64_t off, const char *cred, char **ckey)
{
	const char *slash = strrchr(cred, '/');
	const char *serial = slash ? slash + 1 : cred;
	char id[CREDID_MAX];
	char *attrs = NULL;

	*ckey = NULL;
	if (credid_x509_serial(serial, strlen(serial), id, sizeof(id)) != CD_OK)
		return inv_fail(c, off, "certificate serial '%s': want decimal, colon-hex, 0x-hex "
				   "or X509SERIAL=HEX, optionally after a Vault PKI mount (pki/SERIAL)", serial);
	*ckey = xstrdupf("x509:%s", id);
	if (slash != NULL) {
		size_t i, n = (size_t)(slash - cred);

		/* a mount path: the characters Vault allows, nothing to escape */
		for (i = 0; i < n; i++)
			if (!((cred[i] >= 'a' && cred[i] <= 'z') || (cred[i] >= 'A' && cred[i] <= 'Z') ||
			      (cred[i] >= '0' && cred[i] <= '9') || strchr("-_/.", cred[i]) != NULL))
				break;
		if (n == 0 || n > 128 || i < n)
			return inv_fail(c, off, "Vault PKI mount '%.*s': letters, digits and - _ / . only",
					(int)(n > 128 ? 128 : n), cred);
		attrs = xstrdupf("{\"pki_mount\":\"%.*s\"}", (int)n, cred);
	}
	if (graph_tx_node(c->tx, "credential", *ckey, "x509", NULL, attrs) < 0) {
		free(attrs);
		return CD_E_DB;
	}
	free(attrs);
	return CD_OK;
}

static int
credmap_entry(struct inv_ctx *c, int64_t off, char **col)
{
	const char *loc = col[0], *prov = col[1], *cred = col[2], *ident = col[3], *why;
	struct graph_tx *t = c->tx;
	char *ckey = NULL, *ikey = NULL, *sep;
	int rc = CD_OK;

	if ((why = check_locator(loc)) != NULL)
		return inv_fail(c, off, "location '%s': %s", loc, why);
	if (strcmp(prov, "-") != 0 && !valid_provider(prov))
		return inv_fail(c, off, "provider '%s': use a lowercase name (aws, k8s, vault, gcp, "
				   "github) or -", prov);
	if (strcmp(cred, "-") != 0 && (redact_has_secret(cred) || looks_like_aws_secret(cred)))
		return inv_fail(c, off, "the credential column looks like a secret value; write its id "
				   "(access key id, accessor, JTI, key name), never the secret");
	if (strcmp(prov, "-") == 0)
		prov = strcmp(cred, "-") != 0 ? guess_provider(cred) : "unknown";
	if (graph_tx_node(t, "secret", loc, NULL, "credential map", NULL) < 0)
		return CD_E_DB;
	if (strcmp(cred, "-") != 0 && strcmp(prov, "x509") == 0) {
		if ((rc = credmap_cert(c, off, cred, &ckey)) != CD_OK)
			return rc;
		rc = graph_link(t, "secret", loc, "exposes", "credential", ckey, 0, NULL);
	} else if (strcmp(cred, "-") != 0) {
		ckey = xstrdupf("%s:%s", prov, cred);
		rc = graph_link(t, "secret", loc, "exposes", "credential", ckey, 0, NULL);
	}
	/* an SVID named by its SPIFFE ID is that identity's (its entries come
	 * from a SPIRE inventory) */
	if (strcmp(ident, "-") == 0 && strcmp(prov, "spiffe") == 0 && strncmp(cred, "spiffe://", 9) == 0)
		ident = cred;
	if (strcmp(ident, "-") != 0) {
		ikey = identity_key(prov, ident);
		rc = rc ? rc
			: ckey ? graph_link(t, "credential", ckey, "authenticates-as", "identity", ikey, 0, NULL)
			       : graph_link(t, "secret", loc, "authenticates-as", "identity", ikey, 0, NULL);
	}
	/* what the location itself says */
	if (rc == CD_OK && strncmp(loc, "file:", 5) == 0) {
		char host[1024];
		const char *h = loc + 5;
		size_t n = (size_t)(strchr(h, ':') - h);

		if (n < sizeof(host) && !(n == 1 && h[0] == '*')) {
			memcpy(host, h, n);
			host[n] = '\0';
			if (graph_tx_node(t, "node", host, NULL, NULL, NULL) < 0)
				rc = CD_E_DB;
		}
	} else if (rc == CD_OK && strncmp(loc, "env:", 4) == 0) {
		char *w = xstrdup(loc + 4), *var = strrchr(w, ':'), *detail;

		*var++ = '\0';
		detail = xstrdupf("env %s", var);
		rc = graph_link(t, strchr(w, '/') ? "pod" : "container", w, "mounts", "secret", loc, 0,
				detail);
		free(detail);
		free(w);
	} else if (rc == CD_OK && strncmp(loc, "k8s-secret:", 11) == 0 &&
		   (sep = strchr(strchr(loc + 11, '/') + 1, '/')) != NULL) {
		char *whole = xstrndup(loc, (size_t)(sep - loc));

		rc = graph_link(t, "secret", whole, "includes", "secret", loc, 0, NULL);
		free(whole);
	} else if (rc == CD_OK && strncmp(loc, "sa-token:", 9) == 0 && ikey == NULL) {
		char *ns = xstrdup(loc + 9), *sa = strchr(ns, '/');

		*sa++ = '\0';
		ikey = xstrdupf("k8s:system:serviceaccount:%s:%s", ns, sa);
		rc = graph_link(t, "secret", loc, "authenticates-as", "identity", ikey, 0, NULL);
		free(ns);
	} else if (rc == CD_OK && (strncmp(loc, "kubelet-cred:", 13) == 0 ||
				   (strncmp(loc, "imds:", 5) == 0 && strncmp(loc + 5, "i-", 2) != 0))) {
		if (graph_tx_node(t, "node", strchr(loc, ':') + 1, NULL, NULL, NULL) < 0)
			rc = CD_E_DB;
	}
	c->objects++;
	free(ckey);
	free(ikey);
	return rc;
}

/* Implements inventory::load */
static int
credmap_load(struct inv_ctx *c)
{
	const char *p = c->data, *end = c->data + c->len;
	int rc = CD_OK, first = 1;

	while (p < end && rc == CD_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q;
		const char *eol = nl ? nl : end;
		int64_t off = p - c->data;
		char line[CREDMAP_LINE_MAX], *col[5], *w;
		size_t n = (size_t)(eol - p);
		int ncol = 0;

		if (first) {
			first = 0;
			p = nl ? nl + 1 : end;
			continue; /* the magic line, checked by the probe */
		}
		if (n >= sizeof(line))
			return inv_fail(c, off, "line longer than %d bytes", CREDMAP_LINE_MAX - 1);
		if (memchr(p, '\0', n) != NULL)
			return inv_fail(c, off, "NUL byte in the line");
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		for (q = line; is_blank(*q); q++)
			;
		if (*q == '#' || *q == '\0')
			continue;
		/* split on blanks: at most 4 columns */
		w = line;
		while (*w) {
			while (is_blank(*w))
				*w++ = '\0';
			if (*w == '\0' || *w == '#')
				break;
			if (ncol == 4)
				return inv_fail(c, off, "more than 4 columns (LOCATION PROVIDER "
						   "CREDENTIAL_ID IDENTITY; a trailing comment starts with #)");
			col[ncol++] = w;
			while (*w && !is_blank(*w))
				w++;
		}
		*w = '\0';
		if (ncol != 4)
			return inv_fail(c, off, "%d column%s; want LOCATION PROVIDER CREDENTIAL_ID IDENTITY "
					   "(- for unknown)", ncol, ncol == 1 ? "" : "s");
		rc = credmap_entry(c, off, col);
	}
	return rc;
}

const struct inventory inv_credmap = {
	.name = "credmap",
	.summary = "inventory: the credential map (\"# cordon credential map\", see README)",
	.probe = credmap_probe,
	.load = credmap_load,
};
