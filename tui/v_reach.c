/*
 * v_reach.c - the `cordon reach` tree for any subject typed at the prompt
 * (credential, identity, pod ns/name, node): graph_reach() through tree.c,
 * every node expandable and collapsible, credentials with their state.
 */
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct reach {
	char *subject;
	struct tui_tree tree;
};

static void
recalc(struct tui_app *a, struct tui_view *v)
{
	struct reach *r = v->data;
	struct buf b;

	buf_init(&b, sizeof(v->title) - 1);
	if (out_bprintf(&b, "Reach: %s", r->subject) != CD_OK) {
		/* cut */
	}
	snprintf(v->title, sizeof(v->title), "%s", b.data);
	buf_release(&b);
	snprintf(v->header, sizeof(v->header), "%s", "edge kind key  [state]");
	snprintf(v->hint, sizeof(v->hint), "%s", "Enter/Space expand/collapse  R another  Esc back");
	if (r->tree.n == 0) {
		tui_tree_add(&r->tree, 0, r->subject, "");
		free(r->tree.v[0].label);
		buf_init(&b, 4096);
		if (out_bprintf(&b, "%s", r->subject) != CD_OK) {
			/* cut */
		}
		r->tree.v[0].label = buf_detach(&b, NULL);
		buf_release(&b);
		tui_tree_toggle(&r->tree, 0, a->s);
	}
	tui_tree_lines(&r->tree, a->s, &v->list);
}

static int
key(struct tui_app *a, struct tui_view *v, int k)
{
	struct reach *r = v->data;
	const struct tui_line *ln = tui_list_current(&v->list);

	if (ln != NULL && ln->kind == 1 && (k == TK_ENTER || k == ' ' || k == TK_RIGHT || k == TK_LEFT)) {
		struct tui_tree_node *n = &r->tree.v[ln->ref];

		if ((k == TK_RIGHT && n->expanded) || (k == TK_LEFT && !n->expanded))
			return TR_HANDLED;
		tui_tree_toggle(&r->tree, (size_t)ln->ref, a->s);
		return TR_RECALC | TR_REDRAW;
	}
	return 0;
}

static void
reach_free(struct tui_view *v)
{
	struct reach *r = v->data;

	tui_tree_release(&r->tree);
	free(r->subject);
	free(r);
}

static const struct tui_view_ops reach_ops = {
	.name = "reach",
	.recalc = recalc,
	.key = key,
	.free = reach_free,
};

struct tui_view *
tui_reach_view(const char *subject)
{
	struct reach *r = xcalloc(1, sizeof(*r));

	r->subject = xstrdup(subject);
	tui_tree_init(&r->tree);
	return tui_view_new(&reach_ops, r);
}
