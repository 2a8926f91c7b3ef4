/*
 * util.c - small helpers the connectors share: base64, URL encoding,
 * reading small files (credentials) without leaving copies behind, result
 * formatting, randomness.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard or URL alphabet; whitespace skipped; padding optional. */
int
b64_decode(const char *in, size_t n, char **out, size_t *outlen)
{
	char *o = xmalloc(n / 4 * 3 + 4);
	size_t i, k = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)in[i], v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64val(c)) < 0) {
			freezero(o, n / 4 * 3 + 4);
			return CD_E_PARSE;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (char)(acc >> bits & 0xff);
		}
	}
	o[k] = '\0';
	*out = o;
	*outlen = k;
	return CD_OK;
}

int
url_encode(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	int r = CD_OK;

	for (i = 0; i < n && r == CD_OK; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			r = buf_addc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			r = buf_add(b, e, 3);
		}
	}
	return r;
}

int
file_read(const char *path, size_t max, char **out, size_t *outlen, char **cause)
{
	struct buf b;
	char chunk[4096];
	int fd;
	ssize_t n;

	*out = NULL;
	fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*cause = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	buf_init(&b, max);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*cause = xstrdup(strerror(errno));
			break;
		}
		if (buf_add(&b, chunk, (size_t)n) != CD_OK) {
			*cause = xstrdup("file too large");
			n = -1;
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	if (n != 0) {
		freezero(b.data, b.alloc);
		return CD_E_IO;
	}
	*outlen = b.len;
	*out = b.data; /* b's alloc is at least len + 1; callers freezero(len + 1) */
	return CD_OK;
}

const char *
env_get(const char *name)
{
	/* what a dry run without any configuration shows in place of a
	 * provider's address or credential (see conn_open) */
	static const char *const placeholder[][2] = {
		{ "VAULT_ADDR", "https://$VAULT_ADDR" },
		{ "VAULT_TOKEN", "placeholder" },
		{ "CLOUDSDK_AUTH_ACCESS_TOKEN", "placeholder" },
		{ "CORDON_WEBHOOK_URL", "https://$CORDON_WEBHOOK_URL" },
	};
	const char *v = getenv(name);
	size_t i;

	if (v != NULL && *v)
		return v;
	if (strcmp(name, "KUBECONFIG") == 0)
		return conn_placeholder_kubeconfig();
	for (i = 0; conn_placeholders() && i < sizeof(placeholder) / sizeof(placeholder[0]); i++)
		if (strcmp(name, placeholder[i][0]) == 0)
			return placeholder[i][1];
	return NULL;
}

static void vappend(char *dst, size_t cap, const char *sep, const char *fmt, va_list ap)
	CD_PRINTF(4, 0);

static void
vappend(char *dst, size_t cap, const char *sep, const char *fmt, va_list ap)
{
	size_t len = strlen(dst);

	if (len && len + strlen(sep) < cap) {
		memcpy(dst + len, sep, strlen(sep) + 1);
		len += strlen(sep);
	}
	if (len < cap)
		vsnprintf(dst + len, cap - len, fmt, ap);
}

void
res_note_request(struct conn_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(res->request, sizeof(res->request), "; ", fmt, ap);
	va_end(ap);
}

void
res_detail(struct conn_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(res->detail, sizeof(res->detail), "; ", fmt, ap);
	va_end(ap);
}

void
res_from_resp(struct conn_result *res, const struct http_resp *rs)
{
	res->http_status = rs->status;
	if (rs->request_id[0])
		snprintf(res->request_id, sizeof(res->request_id), "%s", rs->request_id);
}

int
ident_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (extra != NULL && strchr(extra, c) != NULL)))
			return 0;
	}
	/* no path traversal through a "safe" identifier */
	return strstr(s, "..") == NULL;
}

void
rand_bytes(void *p, size_t n)
{
	unsigned char *q = p;

	while (n > 0) {
		ssize_t k = getrandom(q, n, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			cd_fatal("getrandom: %s", strerror(errno));
		}
		q += k;
		n -= (size_t)k;
	}
}

int
url_join(struct buf *b, const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (buf_add(b, base, n) != CD_OK)
		return CD_E_LIMIT;
	if (*path != '/' && buf_addc(b, '/') != CD_OK)
		return CD_E_LIMIT;
	return buf_addstr(b, path);
}

/*
 * json_path() with list indexes: a dotted path whose segments may end in
 * [N] ("errors[0]", "data.keys[1]").  The dotted runs between indexes go
 * to json_path; only the [N] steps are handled here.
 */
static int
json_walk(const struct json_doc *d, int cur, const char *path)
{
	char run[256];
	const char *p = path;

	while (cur >= 0 && *p) {
		const char *br = strchr(p, '['), *close;
		size_t n = br ? (size_t)(br - p) : strlen(p);
		struct span idx;
		uint64_t k;

		if (n >= sizeof(run))
			return -1;
		memcpy(run, p, n);
		run[n] = '\0';
		if (n > 0)
			cur = json_path(d, cur, run);
		if (br == NULL || cur < 0)
			return cur;
		close = strchr(br, ']');
		if (close == NULL)
			return -1;
		idx.p = br + 1;
		idx.n = (size_t)(close - br - 1);
		if (span_to_u64(idx, &k) != CD_OK || k > 100000)
			return -1;
		cur = json_at(d, cur, (int)k);
		p = close + 1;
		if (*p == '.')
			p++;
	}
	return cur;
}

int
json_body_str(const struct buf *body, const char *path, char *out, size_t cap)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	int i, r = -1;
	size_t n;

	out[0] = '\0';
	if (body->len == 0)
		return -1;
	json_tokens_init(&t, 4096);
	if (json_parse(&d, body->data, body->len, &t, &why) == CD_OK &&
	    (i = json_walk(&d, 0, path)) >= 0 && !json_is_null(&d, i)) {
		if (json_type(&d, i) == JSON_STRING)
			r = json_str(&d, i, out, cap, &n) == CD_OK ? 0 : -1;
		else {
			struct span s = json_raw(&d, i);

			if (s.n < cap) {
				memcpy(out, s.p, s.n);
				out[s.n] = '\0';
				r = 0;
			}
		}
	}
	json_tokens_release(&t);
	return r;
}

char *
buf_take(struct buf *b)
{
	char *p = buf_detach(b, NULL);

	buf_release(b);
	return p;
}

int
conn_read_secret(const char *path, char **out, size_t *len, char **cause)
{
	int r = file_read(path, 64 * 1024, out, len, cause);

	if (r != CD_OK)
		return r;
	while (*len > 0 && ((*out)[*len - 1] == '\n' || (*out)[*len - 1] == '\r' ||
			    (*out)[*len - 1] == ' ' || (*out)[*len - 1] == '\t'))
		(*out)[--*len] = '\0';
	if (*len == 0) {
		freezero(*out, 1);
		*out = NULL;
		*cause = xstrdup("the file is empty");
		return CD_E_PARSE;
	}
	return CD_OK;
}

void
res_verified(struct conn_result *res, const char *fmt, ...)
{
	va_list ap;

	res->verified[0] = '\0';
	va_start(ap, fmt);
	vappend(res->verified, sizeof(res->verified), "", fmt, ap);
	va_end(ap);
}

void
res_undo(struct conn_result *res, const char *fmt, ...)
{
	va_list ap;

	res->undo[0] = '\0';
	va_start(ap, fmt);
	vappend(res->undo, sizeof(res->undo), "", fmt, ap);
	va_end(ap);
}

char *
secret_header(const char *prefix, const char *value, size_t n)
{
	struct buf b;

	buf_init(&b, 65536);
	if (buf_addstr(&b, prefix) != CD_OK || buf_add(&b, value, n) != CD_OK) {
		freezero(b.data, b.alloc);
		return NULL;
	}
	return buf_take(&b);
}

void
secret_free(char **p)
{
	if (*p != NULL)
		freezero(*p, strlen(*p) + 1);
	*p = NULL;
}

int
conn_secret_tokens(const char *in, size_t len, struct span *out, int max)
{
	const char *p = in, *end = in + len;
	int n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *a = p;

		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		while (e > a && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > a && *a != '#') {
			out[n].p = a;
			out[n].n = (size_t)(e - a);
			n++;
		}
		p = nl ? nl + 1 : end;
	}
	return n;
}

void
conn_secret_label(const char *tok, size_t n, char *out, size_t cap)
{
	unsigned char h[32];
	char hex[65];
	size_t pre = 0;

	sha256(tok, n, h);
	hex_encode(h, 32, hex);
	/* a GitHub token's prefix names its kind (ghp_, github_pat_...) */
	while (pre < n && pre < 11 && tok[pre] != '_')
		pre++;
	if (pre < n && tok[pre] == '_' && pre < 11)
		pre++;
	else
		pre = 0;
	snprintf(out, cap, "%.*s... sha256:%.12s", (int)pre, tok, hex);
}

/*
 * Does a field of this name hold a secret?  Rotations change only those:
 * a username or host given new random bytes breaks the secret's consumer.
 * Names are matched on their words (split at '_', '-', '.', case folded):
 * a word naming a secret, or a run of words spelling one (api_key,
 * private-key), unless the last word says the field only describes one
 * (access_key_id, token_ttl, password_hint).
 */
int
secret_field_name(const char *name, size_t n)
{
	static const char *const secret_sub[] = {
		"password", "passwd", "passphrase", "secret", "token", "credential", "apikey",
		"privatekey", "accesskey", "secretkey", "signingkey", "encryptionkey", NULL,
	};
	static const char *const secret_word[] = { "key", "pwd", "pass", "pin", "pw", NULL };
	static const char *const describes[] = {
		"id", "name", "user", "username", "arn", "type", "url", "uri", "host", "email",
		"region", "ttl", "expiry", "expires", "expiration", "path", "file", "version", "hint",
		"length", "len", "created", "updated", NULL,
	};
	char flat[128], last[32];
	size_t i, nf = 0, w = 0, nl = 0;
	int secret = 0;

	if (n == 0 || n >= sizeof(flat))
		return 0;
	/* flat: the name without separators, folded; each word checked as it ends */
	for (i = 0; i <= n; i++) {
		char ch = i < n ? name[i] : '\0';

		if (ch == '_' || ch == '-' || ch == '.' || ch == '\0') {
			size_t k;

			last[nl] = '\0';
			for (k = 0; secret_word[k] != NULL && nl > 0; k++)
				if (strcmp(last, secret_word[k]) == 0)
					secret = 1;
			if (ch != '\0')
				nl = 0;
			w++;
			continue;
		}
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		flat[nf++] = ch;
		if (nl < sizeof(last) - 1)
			last[nl++] = ch;
	}
	flat[nf] = '\0';
	for (i = 0; secret_sub[i] != NULL && !secret; i++)
		if (strstr(flat, secret_sub[i]) != NULL)
			secret = 1;
	if (!secret)
		return 0;
	/* "token_ttl", "access_key_id": about a secret, not one (one word alone is the secret) */
	for (i = 0; describes[i] != NULL && w > 1; i++)
		if (strcmp(last, describes[i]) == 0)
			return 0;
	return 1;
}
