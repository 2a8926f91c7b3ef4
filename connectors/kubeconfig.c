/*
 * kubeconfig.c - read a kubeconfig (YAML, or JSON, which is YAML too) with
 * libyaml into flat "path = value" entries such as
 * "clusters[0].cluster.server".
 *
 * libyaml does the YAML: block and flow collections, every quoting style,
 * anchors, aliases and "<<" merge keys, as kubectl's own reader accepts
 * them.  The input is untrusted (a KUBECONFIG may come from anywhere), so
 * a first pass over the event stream refuses nesting deeper than
 * KV_MAX_DEPTH before any tree is built, and the walk over the tree counts
 * every node it reaches through aliases too: an alias bomb (a billion
 * laughs) or an alias cycle stops at KV_MAX_VISITS, never expands.  Keys
 * that would make a path ambiguous ('.', '[' or ']' in them) are skipped:
 * nothing cordon reads lives under such a key.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "private.h"

#define KV_MAX_DEPTH 32
#define KV_MAX_PATH 512
#define KV_MAX_VISITS 100000   /* nodes reached, aliases counted each time */
#define KV_MAX_EVENTS 1000000

struct kv_walk {
	yaml_document_t *doc;
	struct kv_doc *d;
	long visits;
	const char *why;
};

static int
kv_put(struct kv_doc *d, const char *path, const char *v, size_t n)
{
	if (d->n >= KV_MAX_ENTRIES)
		return CD_E_LIMIT;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->e = xrealloc(d->e, d->cap * sizeof(*d->e));
	}
	d->e[d->n].path = xstrdup(path);
	d->e[d->n].value = xstrndup(v, n);
	d->n++;
	return CD_OK;
}

void
kv_release(struct kv_doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->e[i].path);
		/* values include tokens and keys */
		freezero(d->e[i].value, strlen(d->e[i].value) + 1);
	}
	free(d->e);
	memset(d, 0, sizeof(*d));
}

const char *
kv_get(const struct kv_doc *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->e[i].path, path) == 0)
			return d->e[i].value;
	return NULL;
}

int
kv_find_named(const struct kv_doc *d, const char *list, const char *name)
{
	char path[KV_MAX_PATH];
	int i;

	for (i = 0; i < 1000; i++) {
		const char *v;

		snprintf(path, sizeof(path), "%s[%d].name", list, i);
		v = kv_get(d, path);
		if (v != NULL && strcmp(v, name) == 0)
			return i;
		snprintf(path, sizeof(path), "%s[%d]", list, i);
		/* stop after the last item: neither a name nor any field */
		if (v == NULL) {
			size_t k, pl = strlen(path), found = 0;

			for (k = 0; k < d->n && !found; k++)
				found = strncmp(d->e[k].path, path, pl) == 0 &&
					(d->e[k].path[pl] == '\0' || d->e[k].path[pl] == '.' ||
					 d->e[k].path[pl] == '[');
			if (!found)
				return -1;
		}
	}
	return -1;
}

static int
path_join(char *out, const char *base, const char *key, size_t keylen)
{
	size_t bl = strlen(base);

	if (bl + 1 + keylen + 1 > KV_MAX_PATH)
		return CD_E_LIMIT;
	if (bl) {
		memcpy(out, base, bl);
		out[bl++] = '.';
	}
	memcpy(out + bl, key, keylen);
	out[bl + keylen] = '\0';
	return CD_OK;
}

/* A plain null (~, null, nothing) reads as "": unset, as kubectl has it. */
static int
is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return len == 0 || (len == 1 && v[0] == '~') ||
	       (len == 4 && (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 ||
			     memcmp(v, "NULL", 4) == 0));
}

static int
is_merge_key(const yaml_node_t *k)
{
	return k != NULL && k->type == YAML_SCALAR_NODE &&
	       k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && k->data.scalar.length == 2 &&
	       memcmp(k->data.scalar.value, "<<", 2) == 0;
}

/* A key usable in a path: a scalar without '.', '[', ']' or NUL. */
static int
key_ok(const yaml_node_t *k)
{
	size_t i;

	if (k == NULL || k->type != YAML_SCALAR_NODE)
		return 0;
	for (i = 0; i < k->data.scalar.length; i++) {
		unsigned char c = k->data.scalar.value[i];

		if (c == '.' || c == '[' || c == ']' || c == '\0')
			return 0;
	}
	return 1;
}

static int walk(struct kv_walk *w, yaml_node_t *n, const char *path, int depth);

static int
wput(struct kv_walk *w, const char *path, const char *v, size_t n)
{
	int r = kv_put(w->d, path, v, n);

	if (r == CD_E_LIMIT)
		w->why = "too many values (an alias expansion bomb?)";
	return r;
}

/* Is key k (a scalar) already a key of mapping m, before pair `upto`? */
static int
map_has_key(struct kv_walk *w, yaml_node_t *m, const yaml_node_t *k, yaml_node_pair_t *upto)
{
	yaml_node_pair_t *p;

	for (p = m->data.mapping.pairs.start; p < upto; p++) {
		yaml_node_t *o = yaml_document_get_node(w->doc, p->key);

		if (o != NULL && o->type == YAML_SCALAR_NODE &&
		    o->data.scalar.length == k->data.scalar.length &&
		    memcmp(o->data.scalar.value, k->data.scalar.value, k->data.scalar.length) == 0)
			return 1;
	}
	return 0;
}

/* The pairs of mapping m under path; with `merged` (the mapping the merge
 * key sits in), only keys that mapping does not set itself, nor the merge
 * sources before this one (items [prev, cur) of a "<<" sequence). */
static int
walk_pairs(struct kv_walk *w, yaml_node_t *m, const char *path, int depth, yaml_node_t *merged,
	   yaml_node_item_t *prev, yaml_node_item_t *cur)
{
	yaml_node_pair_t *p;
	char sub[KV_MAX_PATH];
	int r;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);

		if (k == NULL || v == NULL)
			return CD_E_PARSE;
		if (is_merge_key(k))
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			w->why = "a mapping key that is not a string";
			return CD_E_PARSE;
		}
		if (merged == NULL && map_has_key(w, m, k, p)) {
			w->why = "a mapping key given twice";
			return CD_E_PARSE;
		}
		if (merged != NULL &&
		    map_has_key(w, merged, k, merged->data.mapping.pairs.top))
			continue;
		if (merged != NULL) {
			yaml_node_item_t *q;
			int seen = 0;

			for (q = prev; q < cur && !seen; q++) {
				yaml_node_t *o = yaml_document_get_node(w->doc, *q);

				seen = o != NULL && o->type == YAML_MAPPING_NODE &&
				       map_has_key(w, o, k, o->data.mapping.pairs.top);
			}
			if (seen)
				continue;
		}
		if (!key_ok(k))
			continue;
		if (path_join(sub, path, (const char *)k->data.scalar.value, k->data.scalar.length) !=
		    CD_OK) {
			w->why = "a path too long";
			return CD_E_LIMIT;
		}
		if ((r = walk(w, v, sub, depth + 1)) != CD_OK)
			return r;
	}
	return CD_OK;
}

/* "<<: *base" or "<<: [*a, *b]": the earlier source wins a key both set. */
static int
walk_merges(struct kv_walk *w, yaml_node_t *m, const char *path, int depth)
{
	yaml_node_pair_t *p;
	int r;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		yaml_node_item_t *it;

		if (!is_merge_key(k) || v == NULL)
			continue;
		if (++w->visits > KV_MAX_VISITS) {
			w->why = "too many nodes (an alias expansion bomb?)";
			return CD_E_LIMIT;
		}
		if (v->type == YAML_MAPPING_NODE) {
			if ((r = walk_pairs(w, v, path, depth, m, NULL, NULL)) != CD_OK)
				return r;
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE) {
			w->why = "a merge key (<<) whose value is not a mapping";
			return CD_E_PARSE;
		}
		/* an earlier source wins a key a later one also sets */
		for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *s = yaml_document_get_node(w->doc, *it);

			if (s == NULL || s->type != YAML_MAPPING_NODE) {
				w->why = "a merge key (<<) whose value is not a mapping";
				return CD_E_PARSE;
			}
			if ((r = walk_pairs(w, s, path, depth, m, v->data.sequence.items.start, it)) !=
			    CD_OK)
				return r;
		}
	}
	return CD_OK;
}

static int
walk(struct kv_walk *w, yaml_node_t *n, const char *path, int depth)
{
	char sub[KV_MAX_PATH];
	yaml_node_item_t *it;
	int r, i, m;

	if (++w->visits > KV_MAX_VISITS) {
		w->why = "too many nodes (an alias expansion bomb?)";
		return CD_E_LIMIT;
	}
	if (depth > KV_MAX_DEPTH) {
		/* only reachable through aliases: the first pass bounds the text */
		w->why = "nesting too deep (an alias cycle?)";
		return CD_E_LIMIT;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (is_null(n))
			return wput(w, path, "", 0);
		if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL) {
			w->why = "a NUL byte in a value";
			return CD_E_PARSE;
		}
		return wput(w, path, (const char *)n->data.scalar.value, n->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		if (n->data.sequence.items.start == n->data.sequence.items.top)
			return wput(w, path, "", 0);
		i = 0;
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
			yaml_node_t *c = yaml_document_get_node(w->doc, *it);

			m = snprintf(sub, sizeof(sub), "%s[%d]", path, i);
			if (m < 0 || m >= (int)sizeof(sub)) {
				w->why = "a path too long";
				return CD_E_LIMIT;
			}
			if (c == NULL)
				return CD_E_PARSE;
			if ((r = walk(w, c, sub, depth + 1)) != CD_OK)
				return r;
		}
		return CD_OK;
	case YAML_MAPPING_NODE:
		if (n->data.mapping.pairs.start == n->data.mapping.pairs.top)
			return wput(w, path, "", 0);
		if ((r = walk_pairs(w, n, path, depth, NULL, NULL, NULL)) != CD_OK)
			return r;
		return walk_merges(w, n, path, depth);
	default:
		w->why = "an empty node";
		return CD_E_PARSE;
	}
}

/* First pass: the event stream of the first document, refusing deep
 * nesting before libyaml's loader builds a node per level. */
static int
prescan(const char *text, size_t len, const char **why)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, r = CD_OK;
	long events = 0;

	if (!yaml_parser_initialize(&p))
		return CD_E_NOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_type_t t;

		if (!yaml_parser_parse(&p, &ev)) {
			*why = p.problem ? p.problem : "not YAML";
			r = CD_E_PARSE;
			break;
		}
		t = ev.type;
		yaml_event_delete(&ev);
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > KV_MAX_DEPTH) {
				*why = "nesting too deep";
				r = CD_E_LIMIT;
				break;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		if (++events > KV_MAX_EVENTS) {
			*why = "too many YAML events";
			r = CD_E_LIMIT;
			break;
		}
		if (t == YAML_DOCUMENT_END_EVENT || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return r;
}

/* JSON with what YAML does not allow (tabs for indentation): the same
 * flat paths from jsmn tokens. */
static int
kv_json_walk(const struct json_doc *jd, int i, const char *path, struct kv_doc *d, int depth)
{
	char sub[KV_MAX_PATH];
	int k, n, r;

	if (depth > KV_MAX_DEPTH)
		return CD_E_LIMIT;
	switch (json_type(jd, i)) {
	case JSON_OBJECT:
		if (json_count(jd, i) == 0)
			return kv_put(d, path, "", 0);
		for (k = json_first(jd, i); k > 0; k = json_next(jd, i, k)) {
			struct span key = json_raw(jd, k);

			if (memchr(key.p, '.', key.n) || memchr(key.p, '[', key.n) ||
			    memchr(key.p, ']', key.n) || memchr(key.p, '\\', key.n))
				continue;
			if (path_join(sub, path, key.p, key.n) != CD_OK)
				return CD_E_LIMIT;
			if ((r = kv_json_walk(jd, k + 1, sub, d, depth + 1)) != CD_OK)
				return r;
		}
		return CD_OK;
	case JSON_ARRAY:
		n = json_count(jd, i);
		if (n == 0)
			return kv_put(d, path, "", 0);
		for (k = 0; k < n; k++) {
			int m = snprintf(sub, sizeof(sub), "%s[%d]", path, k);

			if (m < 0 || m >= (int)sizeof(sub))
				return CD_E_LIMIT;
			if ((r = kv_json_walk(jd, json_at(jd, i, k), sub, d, depth + 1)) != CD_OK)
				return r;
		}
		return CD_OK;
	case JSON_STRING: {
		/* decoding never lengthens a string */
		size_t cap = json_raw(jd, i).n + 1, vn;
		char *v = xmalloc(cap);

		r = json_str(jd, i, v, cap, &vn);
		if (r == CD_OK)
			r = memchr(v, '\0', vn) ? CD_E_PARSE : kv_put(d, path, v, vn);
		freezero(v, cap);
		return r;
	}
	case JSON_PRIMITIVE: {
		struct span s = json_raw(jd, i);

		if (span_eq(s, "null"))
			return kv_put(d, path, "", 0);
		return kv_put(d, path, s.p, s.n);
	}
	default:
		return CD_E_PARSE;
	}
}

static int
kv_parse_json(const char *text, size_t len, struct kv_doc *d, const char **why)
{
	struct json_tokens t;
	struct json_doc jd;
	int r;

	json_tokens_init(&t, 65536);
	r = json_parse(&jd, text, len, &t, why);
	if (r == CD_OK && json_type(&jd, 0) != JSON_OBJECT)
		r = CD_E_PARSE;
	if (r == CD_OK)
		r = kv_json_walk(&jd, 0, "", d, 0);
	json_tokens_release(&t);
	return r;
}

int
kv_parse(const char *text, size_t len, struct kv_doc *d, const char **why)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	struct kv_walk w;
	const char *p0 = text;
	int r;

	memset(d, 0, sizeof(*d));
	*why = NULL;
	while (p0 < text + len && (*p0 == ' ' || *p0 == '\n' || *p0 == '\r' || *p0 == '\t'))
		p0++;
	if (memchr(text, '\0', len) != NULL) {
		*why = "a NUL byte in the file";
		return CD_E_PARSE;
	}
	if ((r = prescan(text, len, why)) != CD_OK) {
		/* JSON that YAML refuses (tabs) is still JSON */
		if (r == CD_E_PARSE && p0 < text + len && *p0 == '{') {
			const char *jwhy = NULL;

			if (kv_parse_json(text, len, d, &jwhy) == CD_OK) {
				*why = NULL;
				return CD_OK;
			}
			kv_release(d);
		}
		return r;
	}
	if (!yaml_parser_initialize(&p))
		return CD_E_NOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		*why = p.problem ? p.problem : "not YAML";
		yaml_parser_delete(&p);
		return CD_E_PARSE;
	}
	memset(&w, 0, sizeof(w));
	w.doc = &doc;
	w.d = d;
	root = yaml_document_get_root_node(&doc);
	r = CD_OK;
	if (root != NULL && root->type == YAML_MAPPING_NODE) {
		r = walk(&w, root, "", 0);
		/* an empty mapping at the top is an empty kubeconfig, not a value */
		if (r == CD_OK && d->n == 1 && d->e[0].path[0] == '\0') {
			kv_release(d);
		}
	} else if (root != NULL && !(root->type == YAML_SCALAR_NODE && is_null(root))) {
		w.why = "the top level is not a mapping";
		r = CD_E_PARSE;
	}
	/* scalars (tokens, keys) were copied out: wipe libyaml's copies */
	{
		yaml_node_t *n;

		for (n = doc.nodes.start; n < doc.nodes.top; n++)
			if (n->type == YAML_SCALAR_NODE && n->data.scalar.value != NULL)
				explicit_bzero(n->data.scalar.value, n->data.scalar.length);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (r != CD_OK) {
		*why = w.why ? w.why : r == CD_E_LIMIT ? "too large" : "malformed kubeconfig";
		kv_release(d);
	}
	return r;
}
