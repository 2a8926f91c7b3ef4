/*
 * krl.c - OpenSSH key revocation lists (the `ssh-keygen -k` format,
 * OpenSSH's PROTOCOL.krl): read one, add or remove a key by its SHA-256
 * fingerprint, write it back.
 *
 *   uint64 magic "SSHKRL\n\0", uint32 format 1, uint64 krl_version,
 *   uint64 generated_date, uint64 flags, string reserved, string comment,
 *   then sections: byte type, string data.
 *
 * Section 1 (certificates: serials per CA) is krl_certs.c's.
 * Section 5 (KRL_SECTION_FINGERPRINT_SHA256) is a run of 32-byte strings,
 * each the SHA-256 of a revoked key's blob: exactly what sshd logs as
 * "SHA256:..." when a key logs in, so a key can be revoked from the log
 * line alone.  Every other section (explicit keys, SHA-1 fingerprints) is
 * kept byte for byte, in its place;
 * the fingerprints of every section 5 are merged into one, sorted.  A signed
 * KRL (section 4) is refused: changing it would break its signature.
 *
 * The reader is a bounded cursor over the file's bytes; nothing in the file
 * is trusted (lengths are checked against what is left).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define KRL_MAGIC "SSHKRL\n"           /* and a NUL: 8 bytes */
#define KRL_FORMAT 1u
#define KRL_SECTION_CERTIFICATES 1
#define KRL_SECTION_SIGNATURE 4
#define KRL_SECTION_FP_SHA256 5

int
krl_get_u32(struct krl_cur *c, uint32_t *v)
{
	if (c->end - c->p < 4)
		return -1;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return 0;
}

int
krl_get_u64(struct krl_cur *c, uint64_t *v)
{
	uint32_t hi, lo;

	if (krl_get_u32(c, &hi) != 0 || krl_get_u32(c, &lo) != 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
krl_get_string(struct krl_cur *c, struct krl_cur *s)
{
	uint32_t n;

	if (krl_get_u32(c, &n) != 0 || (size_t)(c->end - c->p) < n)
		return -1;
	s->p = c->p;
	s->end = c->p + n;
	c->p += n;
	return 0;
}

int
krl_put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	return buf_add(b, (const char *)x, 4);
}

int
krl_put_u64(struct buf *b, uint64_t v)
{
	return krl_put_u32(b, (uint32_t)(v >> 32)) || krl_put_u32(b, (uint32_t)v);
}

int
krl_put_string(struct buf *b, const void *p, size_t n)
{
	return n > UINT32_MAX || krl_put_u32(b, (uint32_t)n) || buf_add(b, p, n);
}

void
krl_init(struct krl *k)
{
	memset(k, 0, sizeof(*k));
}

void
krl_release(struct krl *k)
{
	free(k->fp);
	free(k->raw);
	krl_certs_release(k);
	krl_init(k);
}

static int
fp_cmp(const void *a, const void *b)
{
	return memcmp(a, b, KRL_FP_LEN);
}

int
krl_has(const struct krl *k, const unsigned char fp[KRL_FP_LEN])
{
	return k->nfp > 0 && bsearch(fp, k->fp, k->nfp, KRL_FP_LEN, fp_cmp) != NULL;
}

static void
fp_sort_unique(struct krl *k)
{
	size_t i, o = 0;

	if (k->nfp == 0)
		return;
	qsort(k->fp, k->nfp, KRL_FP_LEN, fp_cmp);
	for (i = 1; i < k->nfp; i++)
		if (memcmp(k->fp[i], k->fp[o], KRL_FP_LEN) != 0)
			memcpy(k->fp[++o], k->fp[i], KRL_FP_LEN);
	k->nfp = o + 1;
}

int
krl_parse(struct krl *k, const unsigned char *data, size_t len, char *why, size_t cap)
{
	struct krl_cur c = { data, data + len }, s, str;
	uint32_t fmt;
	uint64_t ver, date, flags;
	size_t at;

	krl_init(k);
	if (len < 8 || memcmp(data, KRL_MAGIC, 8) != 0) {
		snprintf(why, cap, "not an OpenSSH KRL (no SSHKRL magic)");
		return CD_E_PARSE;
	}
	c.p += 8;
	if (krl_get_u32(&c, &fmt) != 0 || fmt != KRL_FORMAT || krl_get_u64(&c, &ver) != 0 ||
	    krl_get_u64(&c, &date) != 0 || krl_get_u64(&c, &flags) != 0 || krl_get_string(&c, &s) != 0 ||
	    krl_get_string(&c, &s) != 0) {
		snprintf(why, cap, "KRL header is truncated or of an unknown format version");
		return CD_E_PARSE;
	}
	k->version = ver;
	k->header_len = (size_t)(c.p - data);
	k->raw = xmalloc(len ? len : 1);
	memcpy(k->raw, data, len);
	k->raw_len = len;
	while (c.p < c.end) {
		unsigned char type = *c.p++;

		at = (size_t)(c.p - 1 - data);
		if (krl_get_string(&c, &s) != 0) {
			snprintf(why, cap, "KRL section at byte %zu is truncated", at);
			krl_release(k);
			return CD_E_PARSE;
		}
		if (type == KRL_SECTION_SIGNATURE) {
			k->signed_krl = 1;
			continue;
		}
		if (type == KRL_SECTION_CERTIFICATES) {
			int r = krl_certs_parse(k, &s, at, why, cap);

			if (r != CD_OK) {
				krl_release(k);
				return r;
			}
			continue;
		}
		if (type != KRL_SECTION_FP_SHA256)
			continue;
		if (k->first_fp_at == 0)
			k->first_fp_at = at;
		while (s.p < s.end) {
			if (krl_get_string(&s, &str) != 0 || str.end - str.p != KRL_FP_LEN) {
				snprintf(why, cap, "KRL SHA-256 section at byte %zu holds a hash that is not "
						   "32 bytes",
					 at);
				krl_release(k);
				return CD_E_PARSE;
			}
			if (k->nfp == k->capfp) {
				k->capfp = k->capfp ? k->capfp * 2 : 16;
				if (k->capfp > KRL_MAX_FP) {
					snprintf(why, cap, "KRL holds more than %d SHA-256 fingerprints",
						 KRL_MAX_FP);
					krl_release(k);
					return CD_E_LIMIT;
				}
				k->fp = xrealloc(k->fp, k->capfp * KRL_FP_LEN);
			}
			memcpy(k->fp[k->nfp++], str.p, KRL_FP_LEN);
		}
	}
	fp_sort_unique(k);
	return CD_OK;
}

int
krl_add(struct krl *k, const unsigned char fp[KRL_FP_LEN])
{
	if (krl_has(k, fp))
		return 0;
	if (k->nfp == k->capfp) {
		k->capfp = k->capfp ? k->capfp * 2 : 16;
		if (k->capfp > KRL_MAX_FP)
			return -1;
		k->fp = xrealloc(k->fp, k->capfp * KRL_FP_LEN);
	}
	memcpy(k->fp[k->nfp++], fp, KRL_FP_LEN);
	fp_sort_unique(k);
	return 1;
}

int
krl_remove(struct krl *k, const unsigned char fp[KRL_FP_LEN])
{
	unsigned char(*hit)[KRL_FP_LEN];

	if (k->nfp == 0 ||
	    (hit = bsearch(fp, k->fp, k->nfp, KRL_FP_LEN, fp_cmp)) == NULL)
		return 0;
	memmove(hit, hit + 1, (size_t)(k->fp + k->nfp - (hit + 1)) * KRL_FP_LEN);
	k->nfp--;
	return 1;
}

/* The fingerprint section, built from k->fp. */
static int
fp_section(const struct krl *k, struct buf *b)
{
	struct buf s;
	size_t i;
	int r = CD_OK;

	if (k->nfp == 0)
		return CD_OK;
	buf_init(&s, (size_t)KRL_MAX_FP * (KRL_FP_LEN + 4) + 64);
	for (i = 0; i < k->nfp && r == CD_OK; i++)
		r = krl_put_string(&s, k->fp[i], KRL_FP_LEN);
	if (r == CD_OK)
		r = buf_addc(b, KRL_SECTION_FP_SHA256) || krl_put_string(b, s.data, s.len);
	buf_release(&s);
	return r ? CD_E_LIMIT : CD_OK;
}

int
krl_write(const struct krl *k, uint64_t now, struct buf *out)
{
	struct krl_cur c;
	unsigned char *placed;
	int r, placed_fp = 0;

	if (k->raw == NULL) {
		/* a new list: cordon's comment, no flags */
		static const char comment[] = "cordon: keys revoked during incident response";

		r = buf_add(out, KRL_MAGIC "", 8) || krl_put_u32(out, KRL_FORMAT) || krl_put_u64(out, 1) ||
		    krl_put_u64(out, now) || krl_put_u64(out, 0) || krl_put_string(out, "", 0) ||
		    krl_put_string(out, comment, sizeof(comment) - 1);
		return r || krl_certs_rest(k, NULL, out) || fp_section(k, out) ? CD_E_LIMIT : CD_OK;
	}
	placed = xcalloc(k->nca ? k->nca : 1, 1);
	/* the header as it was, with the next version and today's date */
	c.p = k->raw + 8 + 4 + 8 + 8;
	c.end = k->raw + k->header_len;
	r = buf_add(out, (const char *)k->raw, 12) || krl_put_u64(out, k->version + 1) ||
	    krl_put_u64(out, now) || buf_add(out, (const char *)c.p, (size_t)(c.end - c.p));
	c.p = k->raw + k->header_len;
	c.end = k->raw + k->raw_len;
	while (r == CD_OK && c.p < c.end) {
		const unsigned char *start = c.p;
		unsigned char type = *c.p++;
		struct krl_cur s;

		if (krl_get_string(&c, &s) != 0) {
			free(placed);
			return CD_E_PARSE; /* krl_parse saw it whole */
		}
		if (type == KRL_SECTION_CERTIFICATES) {
			r = krl_certs_section(k, s, placed, out);
			continue;
		}
		if (type == KRL_SECTION_FP_SHA256) {
			if (!placed_fp)
				r = fp_section(k, out);
			placed_fp = 1;
			continue;
		}
		r = buf_add(out, (const char *)start, (size_t)(c.p - start));
	}
	/* new CAs' serials before a new fingerprint section: sections may
	 * come in any order, but a reader meets certificates first as
	 * ssh-keygen writes them */
	if (r == CD_OK)
		r = krl_certs_rest(k, placed, out);
	if (r == CD_OK && !placed_fp)
		r = fp_section(k, out);
	free(placed);
	return r ? CD_E_LIMIT : CD_OK;
}

int
krl_fp_parse(const char *s, unsigned char fp[KRL_FP_LEN])
{
	char padded[48];
	unsigned char out[36];
	size_t n;
	int got;

	if (strncmp(s, "SHA256:", 7) != 0)
		return -1;
	s += 7;
	n = strlen(s);
	/* 32 bytes are 43 base64 characters without padding, as OpenSSH prints */
	if (n != 43 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != n)
		return -1;
	memcpy(padded, s, n);
	padded[n] = '=';
	padded[n + 1] = '\0';
	got = EVP_DecodeBlock(out, (const unsigned char *)padded, (int)n + 1);
	if (got != 33)
		return -1;
	memcpy(fp, out, KRL_FP_LEN);
	return 0;
}
