/*
 * strmap.c - a string-keyed open-addressing hash map.  The correlator
 * keeps per-run state (first-seen pairs, entity first times) in these;
 * keys are copied, values are three integers the caller interprets.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static uint64_t
fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

void
strmap_init(struct strmap *m)
{
	m->cap = 1024;
	m->n = 0;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
}

void
strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slot[i].key);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static struct strmap_entry *
probe_h(struct strmap_entry *slot, size_t cap, const char *key, size_t klen, uint64_t h)
{
	size_t i = (size_t)(h ^ (h >> 29)) & (cap - 1);

	/* the stored hash rejects almost every other key without a memcmp */
	while (slot[i].key != NULL &&
	       !(slot[i].hash == h && slot[i].klen == klen && memcmp(slot[i].key, key, klen) == 0))
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static struct strmap_entry *
probe(struct strmap_entry *slot, size_t cap, const char *key, size_t klen)
{
	return probe_h(slot, cap, key, klen, fnv1a(key, klen));
}

static void
grow(struct strmap *m)
{
	struct strmap_entry *old = m->slot;
	size_t oldcap = m->cap, i;

	m->cap *= 2;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*probe_h(m->slot, m->cap, old[i].key, old[i].klen, old[i].hash) = old[i];
	free(old);
}

struct strmap_entry *
strmap_get(struct strmap *m, const char *key, size_t klen, int *created)
{
	struct strmap_entry *e;

	uint64_t h = fnv1a(key, klen);

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	e = probe_h(m->slot, m->cap, key, klen, h);
	*created = e->key == NULL;
	if (*created) {
		e->hash = h;
		e->key = xmalloc(klen + 1);
		memcpy(e->key, key, klen);
		e->key[klen] = '\0';
		e->klen = klen;
		e->a = e->b = e->c = 0;
		m->n++;
	}
	return e;
}

struct strmap_entry *
strmap_find(const struct strmap *m, const char *key, size_t klen)
{
	struct strmap_entry *e = probe(m->slot, m->cap, key, klen);

	return e->key != NULL ? e : NULL;
}
