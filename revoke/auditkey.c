/*
 * auditkey.c - what keeps the audit trail honest from outside the store:
 * the chain key and the witness file.
 *
 * Someone who can write the database can rewrite every row and recompute
 * plain SHA-256 hashes, and can cut rows off the end and edit meta's head
 * to match.  Two things the database does not hold stop that:
 *
 *   STORE.key      32 random bytes (hex) and the first row they key.  Rows
 *                  from that one on are HMAC-SHA256 under the key, so they
 *                  cannot be re-forged without it.  Created 0600 by the
 *                  first action (inside its write transaction, so two
 *                  processes agree on the first keyed row).
 *   STORE.witness  one line per acting run: the chain head (row id and
 *                  hash) after it.  A head the witness knows but the chain
 *                  no longer holds is a truncation.
 *
 * Both may be put elsewhere (CORDON_AUDIT_KEY, --witness), e.g. on a
 * volume the store's owner cannot rewrite.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define KEY_MAGIC "cordon-audit-key 1\n"
#define KEY_FILE_MAX 512
#define WITNESS_MAX ((size_t)64 << 20)

void
audit_side_path(const char *store, const char *suffix, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s", store, suffix);
}

void
audit_key_path(const char *store, char *out, size_t cap)
{
	const char *env = getenv("CORDON_AUDIT_KEY");

	if (env != NULL && *env)
		snprintf(out, cap, "%s", env);
	else
		audit_side_path(store, ".key", out, cap);
}

static char *
errf(const char *path, const char *what)
{
	char tmp[1200];

	snprintf(tmp, sizeof(tmp), "%s: %s: %s", path, what, strerror(errno));
	return xstrdup(tmp);
}

static int
read_small(const char *path, char *out, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n + 1 < cap && (k = read(fd, out + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	close(fd);
	out[n] = '\0';
	*len = n;
	return 0;
}

/* "cordon-audit-key 1\nfrom N\nkey HEX64\n" */
static int
key_parse(const char *text, size_t len, struct audit_key *k)
{
	const char *cur = text, *end = text + len, *eol;
	struct span hex;
	uint64_t from;
	size_t got;

	if (str_lit(&cur, end, KEY_MAGIC) || str_lit(&cur, end, "from ") ||
	    str_uint64(&cur, end, &from, INT64_MAX) || from < 1 || str_lit(&cur, end, "\nkey "))
		return CD_E_PARSE;
	eol = memchr(cur, '\n', (size_t)(end - cur));
	hex.p = cur;
	hex.n = eol ? (size_t)(eol - cur) : (size_t)(end - cur);
	if (hex.n != 64 || hex_decode(hex, (char *)k->key, sizeof(k->key), &got) != CD_OK || got != 32)
		return CD_E_PARSE;
	k->from = (int64_t)from;
	k->present = 1;
	return CD_OK;
}

int
audit_key_load(const char *path, struct audit_key *k, char **cause)
{
	char text[KEY_FILE_MAX];
	size_t len;

	memset(k, 0, sizeof(*k));
	*cause = NULL;
	if (read_small(path, text, sizeof(text), &len) != 0) {
		if (errno == ENOENT)
			return CD_OK; /* not keyed (yet) */
		*cause = errf(path, "cannot read the audit key");
		return CD_E_IO;
	}
	if (key_parse(text, len, k) != CD_OK) {
		explicit_bzero(text, sizeof(text));
		*cause = xstrdup("the audit key file is not one cordon wrote (cordon-audit-key 1)");
		return CD_E_PARSE;
	}
	explicit_bzero(text, sizeof(text));
	return CD_OK;
}

int
audit_key_ensure(const char *path, int64_t next_id, struct audit_key *k, char **cause)
{
	unsigned char raw[32];
	char hex[65], text[KEY_FILE_MAX];
	size_t off = 0;
	int fd, n, r;

	if ((r = audit_key_load(path, k, cause)) != CD_OK || k->present)
		return r;
	for (off = 0; off < sizeof(raw);) {
		ssize_t g = getrandom(raw + off, sizeof(raw) - off, 0);

		if (g < 0 && errno == EINTR)
			continue;
		if (g <= 0) {
			*cause = errf(path, "getrandom");
			return CD_E_IO;
		}
		off += (size_t)g;
	}
	hex_encode(raw, sizeof(raw), hex);
	n = snprintf(text, sizeof(text), KEY_MAGIC "from %lld\nkey %s\n", (long long)next_id, hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* another process made it first: use theirs */
		explicit_bzero(raw, sizeof(raw));
		explicit_bzero(hex, sizeof(hex));
		explicit_bzero(text, sizeof(text));
		r = audit_key_load(path, k, cause);
		if (r == CD_OK && !k->present) {
			*cause = xstrdup("the audit key file vanished while being read");
			r = CD_E_IO;
		}
		return r;
	}
	if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		*cause = errf(path, "cannot create the audit key");
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		r = CD_E_IO;
	} else if (close(fd) != 0) {
		*cause = errf(path, "cannot create the audit key");
		unlink(path);
		r = CD_E_IO;
	} else {
		memcpy(k->key, raw, sizeof(raw));
		k->from = next_id;
		k->present = 1;
		r = CD_OK;
	}
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(text, sizeof(text));
	return r;
}

void
audit_key_release(struct audit_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

int
audit_witness_append(const char *path, int64_t id, const unsigned char hash[32], char **cause)
{
	char hex[65], line[160], ts[40];
	int fd, n;

	*cause = NULL;
	hex_encode(hash, 32, hex);
	time_format_sec(time_now_ns(), ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%lld %s %s\n", (long long)id, hex, ts);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		*cause = errf(path, "cannot append to the witness file");
		if (fd >= 0)
			close(fd);
		return CD_E_IO;
	}
	if (close(fd) != 0) {
		*cause = errf(path, "cannot append to the witness file");
		return CD_E_IO;
	}
	return CD_OK;
}

int
audit_witness_load(const char *path, struct audit_witness *w, char **cause)
{
	struct stat sb;
	char *text = NULL;
	const char *cur, *end;
	size_t len = 0;
	int fd;
	ssize_t k;

	memset(w, 0, sizeof(*w));
	*cause = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return CD_E_NOTFOUND;
		*cause = errf(path, "cannot read the witness file");
		return CD_E_IO;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size < 0 || (size_t)sb.st_size > WITNESS_MAX) {
		close(fd);
		*cause = xstrdup("the witness file is unreadable or larger than 64 MiB");
		return CD_E_LIMIT;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size && (k = read(fd, text + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)k;
	close(fd);
	cur = text;
	end = text + len;
	while (cur < end) {
		const char *eol = memchr(cur, '\n', (size_t)(end - cur));
		const char *le = eol ? eol : end;
		uint64_t id;
		struct span hex;
		size_t got;

		if (le > cur) {
			if (str_uint64(&cur, le, &id, INT64_MAX) || id < 1 || str_char(&cur, le, ' ') ||
			    le - cur < 64) {
				free(text);
				free(w->e);
				memset(w, 0, sizeof(*w));
				*cause = xstrdup("the witness file has a line that is not \"ROW HASH ...\"");
				return CD_E_PARSE;
			}
			hex.p = cur;
			hex.n = 64;
			if (w->n == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 64;
				w->e = xrealloc(w->e, w->cap * sizeof(*w->e));
			}
			if (hex_decode(hex, (char *)w->e[w->n].hash, 32, &got) != CD_OK || got != 32) {
				free(text);
				free(w->e);
				memset(w, 0, sizeof(*w));
				*cause = xstrdup("the witness file has a hash that is not 64 hex digits");
				return CD_E_PARSE;
			}
			w->e[w->n++].id = (int64_t)id;
		}
		cur = eol ? eol + 1 : end;
	}
	free(text);
	return CD_OK;
}

void
audit_witness_release(struct audit_witness *w)
{
	free(w->e);
	memset(w, 0, sizeof(*w));
}
