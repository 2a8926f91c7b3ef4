/*
 * graph_map.c - a string -> int64 hash map for node ids and dedup sets:
 * open addressing with linear probing, FNV-1a, load factor kept under 1/2.
 * Only trusted sizes grow it (one entry per node or edge written).
 */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
gmap_init(struct gmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
gmap_release(struct gmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static size_t
slot_of(const struct gmap *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void
grow(struct gmap *m)
{
	struct gmap n;
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 64;
	n.n = m->n;
	n.keys = xcalloc(n.cap, sizeof(*n.keys));
	n.vals = xcalloc(n.cap, sizeof(*n.vals));
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] != NULL) {
			size_t j = slot_of(&n, m->keys[i]);

			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
		}
	}
	free(m->keys);
	free(m->vals);
	*m = n;
}

int
gmap_get(const struct gmap *m, const char *key, int64_t *val)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	i = slot_of(m, key);
	if (m->keys[i] == NULL)
		return 0;
	if (val != NULL)
		*val = m->vals[i];
	return 1;
}

void
gmap_put(struct gmap *m, const char *key, int64_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	i = slot_of(m, key);
	if (m->keys[i] == NULL) {
		m->keys[i] = xstrdup(key);
		m->n++;
	}
	m->vals[i] = val;
}

int
gmap_add(struct gmap *m, const char *key, int64_t val)
{
	if (gmap_get(m, key, NULL))
		return 0;
	gmap_put(m, key, val);
	return 1;
}

char *
gjoin(const char *a, const char *sep, const char *b)
{
	size_t na = strlen(a), ns = strlen(sep), nb = b ? strlen(b) : 0;
	char *s = xmalloc(na + ns + nb + 1);

	memcpy(s, a, na);
	memcpy(s + na, sep, ns);
	if (nb)
		memcpy(s + na + ns, b, nb);
	s[na + ns + nb] = '\0';
	return s;
}
