/*
 * tree.c - expandable trees: an incident's exposure -> credential ->
 * identity -> assumable identities -> resources, and `cordon reach` for any
 * subject.  Children come from graph_reach() (the engine `cordon reach`
 * uses), loaded when a node is first expanded; credentials carry their
 * state from the actions table.
 */
#include <stdlib.h>
#include <string.h>

#include "../correlate/correlate.h"
#include "tui.h"

void
tui_tree_init(struct tui_tree *t)
{
	memset(t, 0, sizeof(*t));
}

static void
node_release(struct tui_tree_node *n)
{
	free(n->label);
	free(n->subject);
	free(n->status_target);
}

void
tui_tree_release(struct tui_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		node_release(&t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static struct tui_tree_node *
insert_at(struct tui_tree *t, size_t pos)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	memmove(&t->v[pos + 1], &t->v[pos], (t->n - pos) * sizeof(*t->v));
	t->n++;
	memset(&t->v[pos], 0, sizeof(t->v[pos]));
	return &t->v[pos];
}

struct tui_tree_node *
tui_tree_add(struct tui_tree *t, int depth, const char *subject, const char *label)
{
	struct tui_tree_node *n = insert_at(t, t->n);

	n->depth = depth;
	n->subject = subject ? xstrdup(subject) : NULL;
	n->label = xstrdup(label);
	return n;
}

/* The key without its provider ("aws:AKIA..." -> "AKIA..."): how the
 * actions table names a target. */
static const char *
bare_key(const char *key)
{
	const char *c = strchr(key, ':');

	return c ? c + 1 : key;
}

struct walk {
	struct tui_tree *t;
	const struct graph_result *r;
	size_t pos;
	int base;
};

static void
walk(struct walk *w, int at, int depth)
{
	size_t j;

	for (j = 0; j < w->r->n; j++) {
		const struct graph_hit *h = &w->r->hits[j];
		struct tui_tree_node *n;
		struct buf b;

		if (h->parent != at || (int)j == at)
			continue;
		buf_init(&b, 4096);
		if (out_bprintf(&b, "%s %s %s%s%s%s%s", h->npath >= 2 ? h->edges[h->npath - 2] : "",
				h->kind, h->key, h->label ? "  (" : "", h->label ? h->label : "",
				h->label ? ")" : "", h->conditional ? "  [conditional]" : "") != CD_OK) {
			/* cut: a screen line shows less */
		}
		n = insert_at(w->t, w->pos++);
		n->depth = w->base + depth;
		n->label = buf_detach(&b, NULL);
		buf_release(&b);
		n->loaded = 1;
		n->expanded = 1;
		if (strcmp(h->kind, "credential") == 0 || strcmp(h->kind, "identity") == 0) {
			n->status_target = xstrdup(bare_key(h->key));
			n->flags |= strcmp(h->kind, "credential") == 0 ? TN_CRED : 0;
		}
		walk(w, (int)j, depth + 1);
	}
}

int
tui_tree_load(struct tui_tree *t, size_t at, struct store *s, const char *subject)
{
	struct graph_result r = { 0 };
	struct walk w;
	int rc;

	rc = graph_reach(s, subject, 0, NULL, &r);
	t->v[at].loaded = 1;
	if (rc != CD_OK) {
		struct tui_tree_node *n = insert_at(t, at + 1);
		struct buf b;

		buf_init(&b, 4096);
		if (out_bprintf(&b, "%s", rc == CD_E_NOTFOUND ? "(not in the identity graph)"
							    : "(the identity graph could not be read)") !=
		    CD_OK) {
			/* fixed text */
		}
		n->label = buf_detach(&b, NULL);
		buf_release(&b);
		n->depth = t->v[at].depth + 1;
		n->loaded = 1;
		return rc;
	}
	w.t = t;
	w.r = &r;
	w.pos = at + 1;
	w.base = t->v[at].depth + 1;
	walk(&w, 0, 0);
	graph_result_release(&r);
	return CD_OK;
}

int
tui_tree_toggle(struct tui_tree *t, size_t i, struct store *s)
{
	if (i >= t->n)
		return CD_E_NOTFOUND;
	if (!t->v[i].loaded && t->v[i].subject != NULL) {
		char *subject = xstrdup(t->v[i].subject);

		tui_tree_load(t, i, s, subject);
		free(subject);
		t->v[i].expanded = 1;
		return CD_OK;
	}
	t->v[i].expanded = !t->v[i].expanded;
	return CD_OK;
}

static const char *
node_state(const struct tui_tree_node *n, struct store *s)
{
	const char *st = tui_target_state(s, n->status_target);

	if (st != NULL)
		return st;
	if (!(n->flags & TN_CRED))
		return NULL;
	if (n->flags & TN_MANUAL)
		return "manual";
	return n->flags & TN_USED ? "active, used after exposure" : "active";
}

void
tui_tree_lines(const struct tui_tree *t, struct store *s, struct tui_list *l)
{
	size_t i;
	int hide = -1; /* nodes deeper than this are under a collapsed one */

	for (i = 0; i < t->n; i++) {
		const struct tui_tree_node *n = &t->v[i];
		int kids = (i + 1 < t->n && t->v[i + 1].depth > n->depth) ||
			   (!n->loaded && n->subject != NULL);
		const char *st;
		struct buf b;
		int attr = TA_NORMAL;

		if (hide >= 0 && n->depth > hide)
			continue;
		hide = -1;
		if (kids && !n->expanded)
			hide = n->depth;
		st = node_state(n, s);
		if (st != NULL && (strcmp(st, "revoked") == 0))
			attr = TA_GREEN;
		else if (st != NULL && (strcmp(st, "failed") == 0 || strncmp(st, "active", 6) == 0))
			attr = TA_RED;
		else if (st != NULL)
			attr = TA_YELLOW;
		else if (n->depth == 0)
			attr = TA_BOLD;
		buf_init(&b, 8192);
		/* the label is escaped already: only the frame is added here */
		/* the state first: it must show at 80 columns, long keys may not */
		if (buf_printf(&b, "%*s%s %s%s%s%s", n->depth * 2, "",
			       kids ? (n->expanded ? "-" : "+") : " ", st ? "[" : "", st ? st : "",
			       st ? "] " : "", n->label) != CD_OK) {
			/* cut */
		}
		tui_list_add_raw(l, attr, 1, (int64_t)i, b.data);
		buf_release(&b);
	}
}
