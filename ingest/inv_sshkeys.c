/*
 * inv_sshkeys.c - an inventory of SSH public keys: `authorized_keys` lines
 * (with options), `*.pub` files and OpenSSH certificates (`*-cert.pub`),
 * bare or as `grep -H '' FILE...` prints them ("PATH:LINE"), optionally
 * after the host they were taken from ("HOST:PATH:LINE").
 *
 * sshd names a key by the SHA-256 of its public blob ("SHA256:" and the
 * unpadded base64, as `ssh-keygen -lf` prints it), and a certificate by
 * the same hash of the key inside it (sshkey_fingerprint hashes the plain
 * key), with the certificate's key id, serial and CA after it.  The
 * inventory computes that fingerprint from the public half, so:
 *   file:HOST:/root/.ssh/id_ed25519   exposes           ssh:SHA256:...
 *       (the private key beside KEY.pub or KEY-cert.pub; HOST * when the
 *        line names none)
 *   ssh:SHA256:...                    authenticates-as  ssh:USER@HOST
 *       (a key in USER's authorized_keys on HOST)
 * and a read of the private key joins the logins sshd logs for it.  A
 * certificate's serial, key id, principals, validity and CA fingerprint go
 * in the credential's attributes.  The blob is read with a bounded cursor
 * over the SSH wire format (RFC 4251 strings; PROTOCOL.certkeys): nothing
 * in it is trusted.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inv.h"

#define SSHKEYS_LINE_MAX 65536 /* a line; the longest RSA certificate is far shorter */
#define SSHKEYS_MAX 200000     /* keys in one file */
#define CERT_SUFFIX "-cert-v01@openssh.com"

/* Key types and how many length-prefixed fields their public part has
 * (mpints and strings alike); certificates add CERT_SUFFIX. */
static const struct keytype {
	const char *name;
	int fields;
} keytypes[] = {
	{ "ssh-ed25519", 1 },
	{ "ssh-rsa", 2 },
	{ "ecdsa-sha2-nistp256", 2 },
	{ "ecdsa-sha2-nistp384", 2 },
	{ "ecdsa-sha2-nistp521", 2 },
	{ "sk-ssh-ed25519@openssh.com", 2 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", 3 },
	{ "ssh-dss", 4 },
	{ NULL, 0 },
};

/* The key type a word names, and whether as a certificate. */
static const struct keytype *
keytype_of(const char *w, size_t n, int *cert)
{
	size_t i, k, s = sizeof(CERT_SUFFIX) - 1;

	for (i = 0; keytypes[i].name != NULL; i++) {
		k = strlen(keytypes[i].name);
		/* sk- types carry "@openssh.com" before the suffix is added:
		 * "sk-ssh-ed25519-cert-v01@openssh.com" */
		if (n == k && memcmp(w, keytypes[i].name, n) == 0) {
			*cert = 0;
			return &keytypes[i];
		}
		if (strncmp(keytypes[i].name, "sk-", 3) == 0) {
			size_t base = k - (sizeof("@openssh.com") - 1);

			if (n == base + s && memcmp(w, keytypes[i].name, base) == 0 &&
			    memcmp(w + base, CERT_SUFFIX, s) == 0) {
				*cert = 1;
				return &keytypes[i];
			}
		} else if (n == k + s && memcmp(w, keytypes[i].name, k) == 0 &&
			   memcmp(w + k, CERT_SUFFIX, s) == 0) {
			*cert = 1;
			return &keytypes[i];
		}
	}
	return NULL;
}

/* Implements inventory::probe */
static int
sshkeys_probe(const char *head, size_t len)
{
	static const char *const marks[] = { "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp", "sk-ssh-ed25519",
					     "sk-ecdsa-sha2-nistp256", "ssh-dss", NULL };
	size_t i;

	/* a JSON log may quote a key; a key file is never JSON */
	if (inv_head_starts(head, len, '{') || inv_head_starts(head, len, '['))
		return 0;
	for (i = 0; marks[i] != NULL; i++) {
		const char *p = memmem(head, len, marks[i], strlen(marks[i]));
		const char *sp = p ? memchr(p, ' ', (size_t)(head + len - p)) : NULL;

		/* the type, then the base64 of a blob whose first string is it */
		if (sp != NULL && (size_t)(head + len - sp) > 5 && memcmp(sp, " AAAA", 5) == 0)
			return 88;
	}
	return 0;
}

/* ---- the SSH wire format ------------------------------------------------- */

struct wire {
	const unsigned char *p, *end;
};

static int
wire_u32(struct wire *w, uint32_t *v)
{
	if (w->end - w->p < 4)
		return -1;
	*v = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 | (uint32_t)w->p[2] << 8 | w->p[3];
	w->p += 4;
	return 0;
}

static int
wire_u64(struct wire *w, uint64_t *v)
{
	uint32_t hi, lo;

	if (wire_u32(w, &hi) != 0 || wire_u32(w, &lo) != 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* A length-prefixed string (or mpint): its bytes in s. */
static int
wire_string(struct wire *w, struct wire *s)
{
	uint32_t n;

	if (wire_u32(w, &n) != 0 || (uint64_t)n > (uint64_t)(w->end - w->p))
		return -1;
	s->p = w->p;
	s->end = w->p + n;
	w->p += n;
	return 0;
}

/* Whether a string holds text fit for a label: printable, no quote. */
static int
wire_text(const struct wire *s)
{
	const unsigned char *q;

	for (q = s->p; q < s->end; q++)
		if (*q < 0x20 || *q == 0x7f || *q == '"' || *q == '\\')
			return 0;
	return 1;
}

/* "SHA256:" + unpadded base64 of the SHA-256 of data, into out (>= 52). */
static int
fingerprint(const unsigned char *data, size_t n, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int mdlen = 0;
	int k;

	if (!EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -1;
	k = EVP_EncodeBlock(b64, md, 32);
	while (k > 0 && b64[k - 1] == '=')
		k--;
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, b64, (size_t)k);
	out[7 + k] = '\0';
	return 0;
}

/* What one line's key is. */
struct sshkey_info {
	char type[64];          /* the line's type word */
	char fp[64];            /* SHA256:... of the plain key */
	int cert;
	/* certificates */
	uint64_t serial, valid_after, valid_before;
	uint32_t cert_type;     /* 1 user, 2 host */
	char key_id[256];
	char principals[1024];  /* newline-separated */
	char ca[64];            /* SHA256:... of the signing CA key */
};

/* A string's text into out (cap bytes), cut; -1 when not text. */
static int
wire_copy(const struct wire *s, char *out, size_t cap)
{
	size_t n = (size_t)(s->end - s->p);

	if (!wire_text(s))
		return -1;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s->p, n);
	out[n] = '\0';
	return 0;
}

/*
 * The decoded blob of a key of type kt: its type string must be the
 * line's; a certificate is taken apart (PROTOCOL.certkeys) and the plain
 * key inside it rebuilt to be hashed.  why says what is wrong.
 */
static int
blob_parse(const unsigned char *blob, size_t n, const struct keytype *kt, int cert,
	   struct sshkey_info *k, const char **why)
{
	struct wire w = { blob, blob + n }, s, f, pr;
	const unsigned char *fields;
	unsigned char *plain;
	size_t tlen = strlen(kt->name), flen;
	int i;

	if (wire_string(&w, &s) != 0 || (size_t)(s.end - s.p) != strlen(k->type) ||
	    memcmp(s.p, k->type, strlen(k->type)) != 0) {
		*why = "the key's blob names another type than the line";
		return -1;
	}
	if (!cert) {
		for (i = 0; i < kt->fields; i++)
			if (wire_string(&w, &f) != 0) {
				*why = "the key's blob is cut short";
				return -1;
			}
		if (w.p != w.end) {
			*why = "bytes after the key in its blob";
			return -1;
		}
		if (fingerprint(blob, n, k->fp) != 0) {
			*why = "SHA-256 failed";
			return -1;
		}
		return 0;
	}
	if (wire_string(&w, &s) != 0) { /* nonce */
		*why = "the certificate is cut short before its key";
		return -1;
	}
	fields = w.p;
	for (i = 0; i < kt->fields; i++)
		if (wire_string(&w, &f) != 0) {
			*why = "the certificate's key is cut short";
			return -1;
		}
	flen = (size_t)(w.p - fields);
	plain = xmalloc(4 + tlen + flen);
	/* the plain key: its type without the suffix, then the same fields */
	plain[0] = (unsigned char)(tlen >> 24);
	plain[1] = (unsigned char)(tlen >> 16);
	plain[2] = (unsigned char)(tlen >> 8);
	plain[3] = (unsigned char)tlen;
	memcpy(plain + 4, kt->name, tlen);
	memcpy(plain + 4 + tlen, fields, flen);
	i = fingerprint(plain, 4 + tlen + flen, k->fp);
	free(plain);
	if (i != 0) {
		*why = "SHA-256 failed";
		return -1;
	}
	if (wire_u64(&w, &k->serial) != 0 || wire_u32(&w, &k->cert_type) != 0 ||
	    wire_string(&w, &s) != 0 || wire_string(&w, &pr) != 0 ||
	    wire_u64(&w, &k->valid_after) != 0 || wire_u64(&w, &k->valid_before) != 0) {
		*why = "the certificate is cut short before its validity";
		return -1;
	}
	if (wire_copy(&s, k->key_id, sizeof(k->key_id)) != 0) {
		*why = "the certificate's key id is not printable text";
		return -1;
	}
	k->principals[0] = '\0';
	while (pr.p < pr.end) {
		size_t used = strlen(k->principals);
		char one[256];

		if (wire_string(&pr, &f) != 0 || wire_copy(&f, one, sizeof(one)) != 0) {
			*why = "the certificate's principals are not a list of printable names";
			return -1;
		}
		/* past the cap the rest is dropped: principals are context */
		if (used + strlen(one) + 2 < sizeof(k->principals))
			snprintf(k->principals + used, sizeof(k->principals) - used, "%s%s",
				 used ? "\n" : "", one);
	}
	/* critical options, extensions, reserved, the CA key, the signature */
	for (i = 0; i < 3; i++)
		if (wire_string(&w, &s) != 0) {
			*why = "the certificate is cut short before its CA key";
			return -1;
		}
	if (wire_string(&w, &s) != 0 || s.end == s.p || fingerprint(s.p, (size_t)(s.end - s.p), k->ca) != 0 ||
	    wire_string(&w, &f) != 0 || w.p != w.end) {
		*why = "the certificate's CA key or signature is missing, or bytes follow it";
		return -1;
	}
	return 0;
}

/* ---- lines ------------------------------------------------------------------ */

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* authorized_keys options: up to the first blank outside double quotes. */
static const char *
skip_options(const char *p, const char *end)
{
	int q = 0;

	for (; p < end && (q || !blank(*p)); p++) {
		if (*p == '\\' && q && p + 1 < end)
			p++;
		else if (*p == '"')
			q = !q;
	}
	return q ? NULL : p;
}

/* "[HOST:]PATH:" before the key, as grep -H prints it; host and path set
 * (empty when absent), the cursor after them. */
static int
line_source(const char **cur, const char *end, char *host, size_t hcap, char *path, size_t pcap)
{
	const char *p = *cur, *h = p, *c;
	size_t n;

	host[0] = path[0] = '\0';
	while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
		p++;
	if (p > h && end - p >= 2 && p[0] == ':' && p[1] == '/') {
		n = (size_t)(p - h);
		if (n >= hcap)
			return -1;
		memcpy(host, h, n);
		host[n] = '\0';
		p++;
	} else {
		p = h;
	}
	if (p < end && *p == '/') {
		c = memchr(p, ':', (size_t)(end - p));
		if (c == NULL || (size_t)(c - p) >= pcap)
			return -1;
		for (h = p; h < c; h++)
			if ((unsigned char)*h <= 0x20 || *h == 0x7f)
				return -1;
		memcpy(path, p, (size_t)(c - p));
		path[c - p] = '\0';
		p = c + 1;
	} else if (host[0]) {
		return -1;
	}
	*cur = p;
	return 0;
}

/* Whether s ends with suffix; its length before it in *n. */
static int
ends_with(const char *s, const char *suffix, size_t *n)
{
	size_t a = strlen(s), b = strlen(suffix);

	if (a <= b || strcmp(s + a - b, suffix) != 0)
		return 0;
	*n = a - b;
	return 1;
}

/* The account an authorized_keys path opens ("" when it is none). */
static void
account_of(const char *path, char *user, size_t cap)
{
	const char *b = strrchr(path, '/'), *u = NULL;
	size_t n = 0;

	user[0] = '\0';
	if (b == NULL)
		return;
	if (strcmp(b, "/authorized_keys") == 0 || strcmp(b, "/authorized_keys2") == 0) {
		if (strncmp(path, "/root/.ssh/", 11) == 0 && path + 10 == b) {
			u = "root";
			n = 4;
		} else if (strncmp(path, "/home/", 6) == 0 && (b - path) > 11 &&
			   strncmp(b - 5, "/.ssh", 5) == 0 && memchr(path + 6, '/', (size_t)(b - 5 - path - 6)) == NULL) {
			u = path + 6;
			n = (size_t)(b - 5 - u);
		}
	} else if (strncmp(path, "/etc/ssh/authorized_keys/", 25) == 0 && path + 24 == b) {
		u = b + 1; /* AuthorizedKeysFile /etc/ssh/authorized_keys/%u */
		n = strlen(u);
	}
	if (u != NULL && n > 0 && n < cap) {
		memcpy(user, u, n);
		user[n] = '\0';
	}
}

/* One key into the graph. */
static int
key_store(struct inv_ctx *c, const struct sshkey_info *k, const char *host, const char *path,
	  const char *comment, int ca_trust)
{
	char key[80], *attrs, *label, serial[24], va[24], vb[24], user[128];
	const char *ctype = k->cert_type == 1 ? "user" : k->cert_type == 2 ? "host" : "?";
	size_t n;
	int rc = CD_OK;

	snprintf(key, sizeof(key), "ssh:%s", k->fp);
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)k->serial);
	snprintf(va, sizeof(va), "%llu", (unsigned long long)k->valid_after);
	snprintf(vb, sizeof(vb), "%llu", (unsigned long long)k->valid_before);
	{
		const struct inv_attr plain[] = { { "type", k->type }, { "comment", comment },
						  { "path", path[0] ? path : NULL },
						  { "cert_authority", ca_trust ? "true" : NULL } };
		const struct inv_attr cert[] = { { "type", k->type }, { "comment", comment },
						 { "path", path[0] ? path : NULL }, { "cert_serial", serial },
						 { "cert_key_id", k->key_id }, { "cert_principals", k->principals },
						 { "cert_type", ctype }, { "cert_ca", k->ca },
						 { "cert_valid_after", va }, { "cert_valid_before", vb } };

		attrs = k->cert ? inv_attrs(cert, sizeof(cert) / sizeof(cert[0]))
				: inv_attrs(plain, sizeof(plain) / sizeof(plain[0]));
	}
	if (k->cert)
		label = xstrdupf("SSH certificate %s (serial %s) CA %s", k->key_id, serial, k->ca);
	else
		label = xstrdupf("SSH %s key%s%s", k->type, comment ? " " : "", comment ? comment : "");
	if (graph_tx_node(c->tx, "credential", key, "ssh", label, attrs) < 0)
		rc = CD_E_DB;
	free(attrs);
	free(label);
	if (rc != CD_OK || !path[0])
		return rc;
	/* the private key beside its public half or its certificate */
	if (ends_with(path, "-cert.pub", &n) || ends_with(path, ".pub", &n)) {
		char *loc = xstrdupf("file:%s:%.*s", host[0] ? host : "*", (int)n, path);

		if (graph_tx_node(c->tx, "secret", loc, NULL, "SSH key inventory", NULL) < 0)
			rc = CD_E_DB;
		else
			rc = graph_link(c->tx, "secret", loc, "exposes", "credential", key, 0,
					"SSH key inventory: the private half beside its .pub");
		free(loc);
		return rc;
	}
	/* a key (not a CA) in an account's authorized_keys opens that account */
	account_of(path, user, sizeof(user));
	if (user[0] && host[0] && !ca_trust) {
		char *ident = xstrdupf("ssh:%s@%s", user, host);

		rc = graph_link(c->tx, "credential", key, "authenticates-as", "identity", ident, 0,
				"SSH key inventory: in the account's authorized_keys");
		free(ident);
	}
	return rc;
}

/* Whether an options word holds the cert-authority option. */
static int
has_cert_authority(const char *p, const char *end)
{
	const char *q = p;

	while (q < end) {
		const char *comma = memchr(q, ',', (size_t)(end - q));
		size_t n = comma ? (size_t)(comma - q) : (size_t)(end - q);

		if (n == 14 && strncasecmp(q, "cert-authority", 14) == 0)
			return 1;
		q = comma ? comma + 1 : end;
	}
	return 0;
}

static int
line_one(struct inv_ctx *c, const char *p, const char *end, int64_t off, int certs)
{
	char host[256], path[1024], comment[256];
	const char *w, *opt = NULL, *optend = NULL;
	const struct keytype *kt;
	struct sshkey_info k;
	unsigned char *blob;
	const char *why = NULL;
	size_t n;
	int dec, pad, ca_trust, rc;

	if (line_source(&p, end, host, sizeof(host), path, sizeof(path)) != 0)
		return inv_fail(c, off, "HOST:PATH: before the key is malformed (a path with a blank, "
				   "no ':' after it, or over 1023 bytes)");
	while (p < end && blank(*p))
		p++;
	if (p == end || *p == '#')
		return CD_OK;
	memset(&k, 0, sizeof(k));
	for (w = p; w < end && !blank(*w); w++)
		;
	if ((kt = keytype_of(p, (size_t)(w - p), &k.cert)) == NULL) {
		/* authorized_keys options come first */
		opt = p;
		if ((optend = skip_options(p, end)) == NULL)
			return inv_fail(c, off, "authorized_keys options with an unclosed quote");
		for (p = optend; p < end && blank(*p); p++)
			;
		for (w = p; w < end && !blank(*w); w++)
			;
		if ((kt = keytype_of(p, (size_t)(w - p), &k.cert)) == NULL)
			return inv_fail(c, off, "no SSH key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, "
					   "their -cert-v01@openssh.com, ...) where the key should start");
	}
	ca_trust = opt != NULL && has_cert_authority(opt, optend);
	n = (size_t)(w - p);
	if (n >= sizeof(k.type))
		return inv_fail(c, off, "key type too long");
	memcpy(k.type, p, n);
	k.type[n] = '\0';
	for (p = w; p < end && blank(*p); p++)
		;
	for (w = p; w < end && !blank(*w); w++)
		;
	n = (size_t)(w - p);
	if (n == 0 || n % 4 != 0)
		return inv_fail(c, off, "the key's base64 is missing or not a multiple of 4 characters");
	blob = xmalloc(n / 4 * 3 + 1);
	dec = EVP_DecodeBlock(blob, (const unsigned char *)p, (int)n);
	pad = (p[n - 1] == '=') + (n > 1 && p[n - 2] == '=');
	if (dec < 0 || dec < pad) {
		free(blob);
		return inv_fail(c, off, "the key is not base64");
	}
	rc = blob_parse(blob, (size_t)(dec - pad), kt, k.cert, &k, &why);
	free(blob);
	if (rc != 0)
		return inv_fail(c, off, "%s (%s)", why, k.type);
	/* the comment: a label only; anything unprintable drops it */
	for (p = w; p < end && blank(*p); p++)
		;
	n = (size_t)(end - p);
	while (n > 0 && (blank(p[n - 1]) || p[n - 1] == '\r'))
		n--;
	comment[0] = '\0';
	if (n > 0 && n < sizeof(comment)) {
		size_t i;

		for (i = 0; i < n && (unsigned char)p[i] >= 0x20 && p[i] != 0x7f; i++)
			;
		if (i == n) {
			memcpy(comment, p, n);
			comment[n] = '\0';
		}
	}
	if (k.cert != certs)
		return CD_OK; /* the other pass's */
	if (c->objects >= SSHKEYS_MAX)
		return inv_fail(c, off, "more than %d keys in one file", SSHKEYS_MAX);
	c->objects++;
	return key_store(c, &k, host, path, comment[0] ? comment : NULL, ca_trust);
}

/* Implements inventory::load */
static int
sshkeys_load(struct inv_ctx *c)
{
	const char *p, *end = c->data + c->len;
	int rc = CD_OK, certs;

	/*
	 * Plain keys first, certificates after: a certificate and its key's
	 * .pub are one credential (one fingerprint), and the certificate's
	 * attributes (serial, key id, CA) are the ones to keep.
	 */
	for (certs = 0; certs < 2 && rc == CD_OK; certs++)
		for (p = c->data; rc == CD_OK && p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;

			if ((size_t)(eol - p) > SSHKEYS_LINE_MAX)
				return inv_fail(c, p - c->data, "line longer than %d bytes", SSHKEYS_LINE_MAX);
			if (memchr(p, '\0', (size_t)(eol - p)) != NULL)
				return inv_fail(c, p - c->data, "NUL byte in the line");
			rc = line_one(c, p, eol > p && eol[-1] == '\r' ? eol - 1 : eol, p - c->data, certs);
			p = nl ? nl + 1 : end;
		}
	if (rc == CD_OK && c->objects == 0)
		return inv_fail(c, -1, "no SSH public key in the file");
	return rc;
}

const struct inventory inv_sshkeys = {
	.name = "ssh-keys",
	.summary = "inventory: SSH public keys (authorized_keys, *.pub, *-cert.pub; grep -H's PATH: prefix): "
		   "SHA256 fingerprints, certificate serial, key id and CA",
	.probe = sshkeys_probe,
	.load = sshkeys_load,
};
