/*
 * krl_certs.c - certificate serials in an OpenSSH KRL (PROTOCOL.krl,
 * section 1, KRL_SECTION_CERTIFICATES):
 *
 *   string ca_key (the CA's public key blob; empty: any CA)
 *   string reserved
 *   then subsections: byte type, string data
 *     0x20 serial list   uint64 serial...
 *     0x21 serial range  uint64 low, uint64 high
 *     0x22 bitmap        uint64 offset, string bits
 *     0x23 key ids       string id...
 *
 * As with the fingerprints (krl.c), the serial lists of every section of
 * one CA are merged into one, sorted, written in that CA's first section;
 * every other subsection (ranges, bitmaps, key ids) is kept byte for byte
 * in its place.  A serial revoked only by a range or bitmap is not seen
 * as listed: adding it lists it too, which changes nothing sshd decides.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define KRL_SECTION_CERTIFICATES 1
#define KRL_SUB_SERIAL_LIST 0x20

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The index of the CA with this key, or -1. */
static long
ca_find(const struct krl *k, const unsigned char *ca, size_t n)
{
	size_t i;

	for (i = 0; i < k->nca; i++)
		if (k->ca[i].key_len == n && (n == 0 || memcmp(k->ca[i].key, ca, n) == 0))
			return (long)i;
	return -1;
}

static struct krl_ca *
ca_get(struct krl *k, const unsigned char *ca, size_t n)
{
	long i = ca_find(k, ca, n);
	struct krl_ca *c;

	if (i >= 0)
		return &k->ca[i];
	k->ca = xrealloc(k->ca, (k->nca + 1) * sizeof(*k->ca));
	c = &k->ca[k->nca++];
	memset(c, 0, sizeof(*c));
	c->key = xmalloc(n ? n : 1);
	memcpy(c->key, ca, n);
	c->key_len = n;
	return c;
}

static int
serial_push(struct krl *k, struct krl_ca *c, uint64_t v)
{
	if (k->nserials >= KRL_MAX_SERIALS)
		return -1;
	if (c->nserial == c->capserial) {
		c->capserial = c->capserial ? c->capserial * 2 : 16;
		c->serial = xrealloc(c->serial, c->capserial * sizeof(*c->serial));
	}
	c->serial[c->nserial++] = v;
	k->nserials++;
	return 0;
}

static void
serial_sort_unique(struct krl *k, struct krl_ca *c)
{
	size_t i, o = 0;

	if (c->nserial == 0)
		return;
	qsort(c->serial, c->nserial, sizeof(*c->serial), u64_cmp);
	for (i = 1; i < c->nserial; i++)
		if (c->serial[i] != c->serial[o])
			c->serial[++o] = c->serial[i];
	k->nserials -= c->nserial - (o + 1);
	c->nserial = o + 1;
}

int
krl_certs_parse(struct krl *k, struct krl_cur *body, size_t at, char *why, size_t cap)
{
	struct krl_cur ca, reserved, sub;
	struct krl_ca *c;

	if (krl_get_string(body, &ca) != 0 || krl_get_string(body, &reserved) != 0) {
		snprintf(why, cap, "KRL certificate section at byte %zu is truncated", at);
		return CD_E_PARSE;
	}
	c = ca_get(k, ca.p, (size_t)(ca.end - ca.p));
	while (body->p < body->end) {
		unsigned char type = *body->p++;
		uint64_t v;

		if (krl_get_string(body, &sub) != 0) {
			snprintf(why, cap, "KRL certificate section at byte %zu: a subsection is truncated", at);
			return CD_E_PARSE;
		}
		if (type != KRL_SUB_SERIAL_LIST)
			continue;
		if ((sub.end - sub.p) % 8 != 0) {
			snprintf(why, cap, "KRL certificate section at byte %zu: a serial list is not a "
					   "whole number of 64-bit serials", at);
			return CD_E_PARSE;
		}
		while (krl_get_u64(&sub, &v) == 0)
			if (serial_push(k, c, v) != 0) {
				snprintf(why, cap, "KRL holds more than %d certificate serials", KRL_MAX_SERIALS);
				return CD_E_LIMIT;
			}
	}
	serial_sort_unique(k, c);
	return CD_OK;
}

/* The serial list subsection of CA i (nothing when it has none). */
static int
serial_list(const struct krl_ca *c, struct buf *out)
{
	struct buf s;
	size_t i;
	int r = CD_OK;

	if (c->nserial == 0)
		return CD_OK;
	buf_init(&s, (size_t)KRL_MAX_SERIALS * 8 + 16);
	for (i = 0; i < c->nserial && r == CD_OK; i++)
		r = krl_put_u64(&s, c->serial[i]);
	if (r == CD_OK)
		r = buf_addc(out, KRL_SUB_SERIAL_LIST) || krl_put_string(out, s.data, s.len);
	buf_release(&s);
	return r ? CD_E_LIMIT : CD_OK;
}

/* A section's body into out as section 1, unless it is empty. */
static int
put_section(struct buf *sec, size_t head, struct buf *out)
{
	if (sec->len == head)
		return CD_OK; /* no subsection left: no section */
	return buf_addc(out, KRL_SECTION_CERTIFICATES) || krl_put_string(out, sec->data, sec->len)
		       ? CD_E_LIMIT : CD_OK;
}

int
krl_certs_section(const struct krl *k, struct krl_cur body, unsigned char *placed, struct buf *out)
{
	struct krl_cur ca, reserved, sub;
	struct buf sec;
	size_t head;
	long i;
	int r;

	if (krl_get_string(&body, &ca) != 0 || krl_get_string(&body, &reserved) != 0 ||
	    (i = ca_find(k, ca.p, (size_t)(ca.end - ca.p))) < 0)
		return CD_E_PARSE; /* krl_parse saw it whole */
	buf_init(&sec, (size_t)KRL_MAX_SERIALS * 8 + ((size_t)64 << 20));
	r = krl_put_string(&sec, ca.p, (size_t)(ca.end - ca.p)) ||
	    krl_put_string(&sec, reserved.p, (size_t)(reserved.end - reserved.p));
	head = sec.len;
	while (r == CD_OK && body.p < body.end) {
		unsigned char type = *body.p++;

		if (krl_get_string(&body, &sub) != 0) {
			r = CD_E_PARSE;
			break;
		}
		if (type == KRL_SUB_SERIAL_LIST) {
			if (!placed[i])
				r = serial_list(&k->ca[i], &sec);
			placed[i] = 1;
			continue;
		}
		r = buf_addc(&sec, (char)type) || krl_put_string(&sec, sub.p, (size_t)(sub.end - sub.p));
	}
	if (r == CD_OK && !placed[i]) {
		r = serial_list(&k->ca[i], &sec);
		placed[i] = 1;
	}
	if (r == CD_OK)
		r = put_section(&sec, head, out);
	buf_release(&sec);
	return r ? CD_E_LIMIT : CD_OK;
}

int
krl_certs_rest(const struct krl *k, const unsigned char *placed, struct buf *out)
{
	size_t i;
	int r = CD_OK;

	for (i = 0; i < k->nca && r == CD_OK; i++) {
		struct buf sec;
		size_t head;

		if ((placed != NULL && placed[i]) || k->ca[i].nserial == 0)
			continue;
		buf_init(&sec, (size_t)KRL_MAX_SERIALS * 8 + 4096);
		r = krl_put_string(&sec, k->ca[i].key, k->ca[i].key_len) || krl_put_string(&sec, "", 0);
		head = sec.len;
		r = r ? r : serial_list(&k->ca[i], &sec);
		r = r ? r : put_section(&sec, head, out);
		buf_release(&sec);
	}
	return r ? CD_E_LIMIT : CD_OK;
}

void
krl_certs_release(struct krl *k)
{
	size_t i;

	for (i = 0; i < k->nca; i++) {
		free(k->ca[i].key);
		free(k->ca[i].serial);
	}
	free(k->ca);
	k->ca = NULL;
	k->nca = k->nserials = 0;
}

int
krl_has_serial(const struct krl *k, const unsigned char *ca, size_t ca_len, uint64_t serial)
{
	long i = ca_find(k, ca, ca_len);

	return i >= 0 && k->ca[i].nserial > 0 &&
	       bsearch(&serial, k->ca[i].serial, k->ca[i].nserial, sizeof(uint64_t), u64_cmp) != NULL;
}

int
krl_add_serial(struct krl *k, const unsigned char *ca, size_t ca_len, uint64_t serial)
{
	struct krl_ca *c;

	if (serial == 0)
		return -1;
	if (krl_has_serial(k, ca, ca_len, serial))
		return 0;
	c = ca_get(k, ca, ca_len);
	if (serial_push(k, c, serial) != 0)
		return -1;
	serial_sort_unique(k, c);
	return 1;
}

int
krl_remove_serial(struct krl *k, const unsigned char *ca, size_t ca_len, uint64_t serial)
{
	long i = ca_find(k, ca, ca_len);
	struct krl_ca *c;
	uint64_t *hit;

	if (i < 0)
		return 0;
	c = &k->ca[i];
	if (c->nserial == 0 ||
	    (hit = bsearch(&serial, c->serial, c->nserial, sizeof(uint64_t), u64_cmp)) == NULL)
		return 0;
	memmove(hit, hit + 1, (size_t)(c->serial + c->nserial - (hit + 1)) * sizeof(uint64_t));
	c->nserial--;
	k->nserials--;
	return 1;
}
