/*
 * inventory.c - the static table of inventory kinds, probing against the
 * log formats, and loading one inventory file into the identity graph.
 *
 * To add a kind: write inv_NAME.c with a const struct inventory, list it
 * here, add fixtures under tests/inventory/ and a fuzz target.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inv.h"

const struct inventory *const inventories[] = {
	&inv_awsauthz,
	&inv_awskeys,
	&inv_k8s,
	&inv_vaulttoken,
	&inv_vaultpolicy,
	&inv_gcpkeys,
	&inv_gcpiam,
	&inv_lambda,
	&inv_gcprun,
	&inv_credmap,
	&inv_certs,
	&inv_spire_entries,
	&inv_spire_agents,
	&inv_sshkeys,
	NULL,
};

const struct inventory *
inventory_find(const char *name)
{
	size_t i;

	for (i = 0; inventories[i] != NULL; i++)
		if (strcmp(inventories[i]->name, name) == 0)
			return inventories[i];
	return NULL;
}

const struct inventory *
inventory_choose(const char *forced, const char *head, size_t len)
{
	const struct inventory *best = NULL;
	int best_score = 0, log_score = 0, score;
	size_t i;

	if (forced != NULL)
		return inventory_find(forced);
	for (i = 0; inventories[i] != NULL; i++) {
		score = inventories[i]->probe(head, len);
		if (score > best_score) {
			best_score = score;
			best = inventories[i];
		}
	}
	if (best == NULL)
		return NULL;
	for (i = 0; ingesters[i] != NULL; i++) {
		score = ingesters[i]->probe(head, len);
		if (score > log_score)
			log_score = score;
	}
	return best_score > log_score ? best : NULL;
}

/* The file name without directory and without a .gz and one known
 * extension: web-read.hcl -> web-read, sa@p.iam.gserviceaccount.com.json ->
 * sa@p.iam.gserviceaccount.com (names inventories do not carry). */
static void
set_stem(struct inv_ctx *c, const char *path)
{
	static const char *const exts[] = { ".gz", ".json", ".hcl", ".txt", ".policy", NULL };
	const char *base = strrchr(path, '/');
	size_t n, i, k;

	base = base ? base + 1 : path;
	n = strlen(base);
	for (k = 0; k < 2; k++)
		for (i = 0; exts[i] != NULL; i++) {
			size_t e = strlen(exts[i]);

			if (n > e && memcmp(base + n - e, exts[i], e) == 0 && (k == 0 ? i == 0 : i > 0)) {
				n -= e;
				break;
			}
		}
	if (n >= sizeof(c->stem))
		n = sizeof(c->stem) - 1;
	memcpy(c->stem, base, n);
	c->stem[n] = '\0';
}

/* Parse and write one file inside its own savepoint. */
static int
load_graph(const struct inventory *inv, struct store *s, int64_t input_id, const char *path,
	   const char *data, size_t len, struct inv_ctx *c)
{
	char origin[1200];
	int rc, erc;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->data = data;
	c->len = len;
	set_stem(c, path);
	snprintf(origin, sizeof(origin), "%s %s", inv->name, path);
	if (graph_tx_begin(s, input_id, origin, &c->tx) != CD_OK)
		return CD_E_DB;
	rc = inv->load(c);
	if (rc == CD_OK && c->objects == 0)
		rc = inv_fail(c, -1, "no %s entries in the file", inv->name);
	graph_tx_counts(c->tx, &c->nodes, &c->edges);
	erc = graph_tx_end(&c->tx, rc == CD_OK);
	if (rc == CD_OK && erc != CD_OK)
		rc = erc;
	if (rc != CD_OK && c->why[0] == '\0')
		snprintf(c->why, sizeof(c->why), "%s", cd_strerror(rc));
	return rc;
}

int
inventory_run(const struct inventory *inv, struct store *s, struct writer *w, struct source *src,
	      struct buf *win, struct store_input *in, struct ingest_input_summary *sum)
{
	struct inv_ctx c;
	unsigned char sha[32];
	size_t head_len;
	int rc;

	sum->format = inv->name;
	sum->inventory = 1;
	/* the same generation as last time, fully read: nothing to do */
	head_len = win->len < 4096 ? win->len : 4096;
	sha256(win->data, head_len, sha);
	if (in->format != NULL && strcmp(in->format, inv->name) == 0 &&
	    in->head_len == (int64_t)head_len && memcmp(in->head_sha, sha, 32) == 0 &&
	    in->size_seen >= 0 && in->size_seen == source_size(src)) {
		sum->skipped = 1;
		return CD_OK;
	}
	for (;;) {
		ssize_t n;

		if (win->len >= INV_MAX_BYTES) {
			sum->error = xstrdupf("inventory file larger than %zu MiB; split it "
						"(e.g. with jq) and ingest the parts",
						INV_MAX_BYTES >> 20);
			return CD_E_LIMIT;
		}
		if (win->alloc < win->len + (1 << 20) + 1) {
			win->data = xrealloc(win->data, win->len + (1 << 20) + 1);
			win->alloc = win->len + (1 << 20) + 1;
		}
		n = source_read(src, win->data + win->len, 1 << 20);
		if (n < 0) {
			sum->error = xstrdupf("read error: %s", strerror(errno));
			return CD_E_IO;
		}
		if (n == 0)
			break;
		win->len += (size_t)n;
		sum->bytes += n;
	}
	win->data[win->len] = '\0';
	if (source_truncated(src)) {
		sum->error = xstrdup("compressed inventory breaks off; nothing from it was stored");
		return CD_E_TRUNCATED;
	}
	/* the writer thread shares the connection: let it finish first (and
	 * open the transaction, which the driver commits with the checkpoint) */
	if (writer_begin(w) != CD_OK)
		return CD_E_DB;
	rc = load_graph(inv, s, in->id, sum->path, win->data, win->len, &c);
	if (rc == CD_E_DB)
		return rc;
	if (rc != CD_OK) {
		sum->error = xstrdup(c.why);
		return CD_E_PARSE;
	}
	sum->events = 0;
	sum->nodes = c.nodes;
	sum->edges = c.edges;
	free(in->format);
	in->format = xstrdup(inv->name);
	in->head_len = (int64_t)head_len;
	memcpy(in->head_sha, sha, 32);
	in->offset = (int64_t)win->len;
	in->line = 1;
	in->resume = 0;
	in->size_seen = source_truncated(src) ? -1 : source_size(src);
	return writer_checkpoint(w, in, 0) == CD_OK ? CD_OK : CD_E_DB;
}

int
inventory_buffer(struct store *s, const char *format, const char *data, size_t len, char *why,
		 size_t whycap)
{
	const struct inventory *inv = inventory_find(format);
	struct inv_ctx c;
	char *copy;
	int rc;

	if (why != NULL && whycap > 0)
		why[0] = '\0';
	if (inv == NULL || len > INV_MAX_BYTES)
		return CD_E_USAGE;
	/* parsers may rely on a NUL after the data, as the driver's window has */
	copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	if (store_begin(s) != CD_OK) {
		free(copy);
		return CD_E_DB;
	}
	rc = load_graph(inv, s, 0, "<buffer>", copy, len, &c);
	if (store_commit(s) != CD_OK)
		rc = CD_E_DB;
	if (why != NULL && whycap > 0)
		snprintf(why, whycap, "%s", c.why);
	free(copy);
	return rc;
}
