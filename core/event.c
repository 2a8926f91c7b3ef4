/*
 * event.c - the normalized event, its field table and per-record arena.
 *
 * Ingesters fill a struct event with strings copied into a fixed-size
 * arena that is reset for every record: no allocation per record, and a
 * hostile record can use at most the arena's capacity.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

const struct ev_field ev_fields[] = {
#define EV_STR(n, d) { #n, EV_T_STR, offsetof(struct event, n), d },
#define EV_INT(n, d) { #n, EV_T_INT, offsetof(struct event, n), d },
#include "fields.def"
#undef EV_STR
#undef EV_INT
};
const size_t ev_nfields = sizeof(ev_fields) / sizeof(ev_fields[0]);
_Static_assert(sizeof(ev_fields) / sizeof(ev_fields[0]) == EV_NFIELDS, "ev_fields[] and EV_NFIELDS list the same fields");

const struct ev_field *
ev_field_find(const char *name)
{
	size_t i;

	for (i = 0; i < ev_nfields; i++)
		if (strcmp(ev_fields[i].name, name) == 0)
			return &ev_fields[i];
	return NULL;
}

void
ev_arena_init(struct ev_arena *a, size_t cap)
{
	a->mem = xmalloc(cap);
	a->cap = cap;
	a->used = 0;
}

void
ev_arena_release(struct ev_arena *a)
{
	free(a->mem);
	a->mem = NULL;
	a->cap = a->used = 0;
}

void
ev_reset(struct event *ev, struct ev_arena *a)
{
	memset(ev, 0, sizeof(*ev));
#define EV_STR(n, d)
#define EV_INT(n, d) ev->n = EV_NULL;
#include "fields.def"
#undef EV_STR
#undef EV_INT
	a->used = 0;
}

int
ev_arena_full(const struct ev_arena *a)
{
	return a->used > a->cap;
}

const char *
ev_strdup(struct ev_arena *a, const char *p, size_t n)
{
	char *s;

	if (a->used > a->cap || n + 1 > a->cap - a->used) {
		a->used = a->cap + 1; /* remember the overflow */
		return NULL;
	}
	s = a->mem + a->used;
	memcpy(s, p, n);
	s[n] = '\0';
	a->used += n + 1;
	return s;
}

const char *
ev_printf(struct ev_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	if (a->used >= a->cap)
		return NULL;
	s = a->mem + a->used;
	va_start(ap, fmt);
	n = vsnprintf(s, a->cap - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 > a->cap - a->used) {
		a->used = a->cap + 1;
		return NULL;
	}
	a->used += (size_t)n + 1;
	return s;
}

const char *
ev_json_str(struct ev_arena *a, const struct json_doc *d, int i)
{
	enum json_type t = json_type(d, i);
	struct span s;
	size_t len;
	char *out;

	if (t == JSON_NONE || json_is_null(d, i))
		return NULL;
	s = json_raw(d, i);
	if (t != JSON_STRING)
		return ev_strdup(a, s.p, s.n);
	/* decoded text is never longer than the escaped text */
	if (a->used > a->cap || s.n + 1 > a->cap - a->used) {
		a->used = a->cap + 1;
		return NULL;
	}
	out = a->mem + a->used;
	if (json_str(d, i, out, s.n + 1, &len) != CD_OK)
		return NULL;
	a->used += len + 1;
	return out;
}

const char *
ev_json_path(struct ev_arena *a, const struct json_doc *d, int obj, const char *path)
{
	return ev_json_str(a, d, json_path(d, obj, path));
}

int64_t
ev_json_int(const struct json_doc *d, int obj, const char *path)
{
	int64_t v;

	if (json_i64(d, json_path(d, obj, path), &v) != CD_OK)
		return EV_NULL;
	return v;
}

static int
all_hex(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hexval((unsigned char)p[i]) < 0)
			return 0;
	return n > 0;
}

static const char *const cid_prefixes[] = {
	"containerd://", "docker://", "cri-o://", "crio://", "cri-containerd-", "crio-",
	"docker-", "libpod-", "containerd-", NULL,
};

/* Strip runtime wrappers; returns the remaining span. */
static struct span
cid_strip(const char *s, size_t n)
{
	struct span sp = { s, n };
	int i;

	for (i = 0; cid_prefixes[i]; i++) {
		size_t k = strlen(cid_prefixes[i]);

		if (sp.n >= k && strncasecmp(sp.p, cid_prefixes[i], k) == 0) {
			sp.p += k;
			sp.n -= k;
			break;
		}
	}
	if (sp.n >= 6 && memcmp(sp.p + sp.n - 6, ".scope", 6) == 0)
		sp.n -= 6;
	return sp;
}

const char *
ev_container_id(struct ev_arena *a, const char *s, size_t n)
{
	struct span sp;
	char tmp[128];
	size_t i;

	if (s == NULL)
		return NULL;
	sp = cid_strip(s, n);
	if (sp.n < 12 || sp.n > 64 || !all_hex(sp.p, sp.n))
		return NULL;
	for (i = 0; i < sp.n; i++)
		tmp[i] = (char)(sp.p[i] >= 'A' && sp.p[i] <= 'F' ? sp.p[i] + 32 : sp.p[i]);
	return ev_strdup(a, tmp, sp.n);
}

/* "pod3f1c2a9e_8b7d_..." or "kubepods-besteffort-pod<uid>.slice" -> uid */
static const char *
pod_uid_from_segment(struct ev_arena *a, const char *seg, size_t n)
{
	const char *p = NULL;
	size_t i;
	char uid[37];

	for (i = 0; i + 3 + 36 <= n; i++) {
		if (memcmp(seg + i, "pod", 3) == 0 && (i == 0 || seg[i - 1] == '-')) {
			p = seg + i + 3;
			break;
		}
	}
	if (p == NULL)
		return NULL;
	for (i = 0; i < 36; i++) {
		char c = p[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-' && c != '_')
				return NULL;
			c = '-';
		} else if (hexval((unsigned char)c) < 0) {
			return NULL;
		}
		uid[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
	}
	return ev_strdup(a, uid, 36);
}

void
ev_from_cgroup(struct event *ev, struct ev_arena *a, const char *path, size_t n)
{
	const char *p = path, *end = path + n;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);
		struct span sp;

		if (len > 0) {
			if (ev->pod_uid == NULL)
				ev->pod_uid = pod_uid_from_segment(a, p, len);
			sp = cid_strip(p, len);
			if (ev->container_id == NULL && sp.n == 64 && all_hex(sp.p, sp.n))
				ev->container_id = ev_container_id(a, sp.p, sp.n);
		}
		p += len + 1;
	}
}
