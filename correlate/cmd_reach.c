/*
 * cmd_reach.c - `cordon reach SUBJECT`: the blast radius of an identity,
 * credential, workload or node, as a tree with the path to each reached
 * identity and resource.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static const char usage[] =
	"usage: cordon reach [options] SUBJECT\n"
	"\n"
	"Everything SUBJECT can reach in the identity graph: the credentials and\n"
	"secrets it exposes, the identities they authenticate as, the roles those\n"
	"can assume, the secrets they can read, the resources they can act on.\n"
	"SUBJECT is a credential id (AKIA..., JTI=..., a Vault accessor), an identity\n"
	"(an ARN, system:serviceaccount:NS:SA), a container id (12+ hex digits), a pod\n"
	"NS/NAME, a node name, an instance id, or any node key with its kind\n"
	"(identity:aws:arn:...). Reaching a node is an escape: everything readable on\n"
	"it. Build the graph with `cordon ingest` on inventories and logs.\n"
	"\n"
	"options:\n"
	"  --db PATH         evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  --depth N         follow at most N edges (default 0 = no limit)\n"
	"  --provider P      list only aws, k8s, vault or gcp nodes (paths may cross others)\n"
	"  -o, --format FMT  table (default, a tree), json or ndjson\n"
	"  -h, --help        this help\n"
	"\n"
	"Edges marked [conditional] hold only if IAM conditions we do not evaluate hold.\n"
	"\n"
	"exit status: 0 the subject reaches nothing (or is not in the graph: said on\n"
	"stderr); 1 it reaches identities, secrets or resources (listed); 2 usage or\n"
	"store error.\n";

static void
print_tree(const struct graph_result *r, const int *parent, int at, int indent, int color)
{
	size_t j;

	for (j = 0; j < r->n; j++) {
		const struct graph_hit *h = &r->hits[j];

		if (parent[j] != at)
			continue;
		out_printf(stdout, "%*s%s%s%s %s %s%s%s%s%s\n", indent, "",
			   color ? out_sgr_dim : "", h->edges[h->npath - 2],
			   color ? out_sgr_off : "", h->kind, h->key, h->label ? "  (" : "",
			   h->label ? h->label : "", h->label ? ")" : "",
			   h->conditional ? "  [conditional]" : "");
		print_tree(r, parent, (int)j, indent + 2, color);
	}
}

/* Hits whose path was cut by --provider: print them flat, with their path. */
static void
print_orphans(const struct graph_result *r, const int *parent)
{
	size_t j;
	int k, any = 0;

	for (j = 1; j < r->n; j++) {
		const struct graph_hit *h = &r->hits[j];

		if (parent[j] != -1)
			continue;
		if (!any++)
			out_printf(stdout, "\nreached through nodes not shown (--provider):\n");
		out_printf(stdout, "  %s %s%s\n    path: %s", h->kind, h->key,
			   h->conditional ? "  [conditional]" : "", h->path[0]);
		for (k = 1; k < h->npath; k++)
			out_printf(stdout, " -%s-> %s", h->edges[k - 1], h->path[k]);
		out_printf(stdout, "\n");
	}
}

static int
put_json(struct store *s, int64_t id, const struct graph_result *r, int depth, const char *provider)
{
	struct buf b;
	size_t j;
	int k, rc, nrun = 0;

	buf_init(&b, (size_t)1 << 30);
	rc = buf_addstr(&b, "{\"subject\":{\"kind\":");
	rc = rc ? rc : json_put_str(&b, r->hits[0].kind);
	rc = rc ? rc : buf_addstr(&b, ",\"key\":");
	rc = rc ? rc : json_put_str(&b, r->hits[0].key);
	rc = rc ? rc : buf_addstr(&b, ",\"provider\":");
	rc = rc ? rc : json_put_str(&b, r->hits[0].provider);
	rc = rc ? rc : buf_addstr(&b, ",\"label\":");
	rc = rc ? rc : json_put_str(&b, r->hits[0].label);
	rc = rc ? rc : buf_printf(&b, "},\"depth\":%d,\"provider\":", depth);
	rc = rc ? rc : json_put_str(&b, provider);
	rc = rc ? rc : buf_addstr(&b, ",\"reached\":[");
	for (j = 1; j < r->n && rc == CD_OK; j++) {
		const struct graph_hit *h = &r->hits[j];

		rc = buf_addstr(&b, j > 1 ? ",{\"kind\":" : "{\"kind\":");
		rc = rc ? rc : json_put_str(&b, h->kind);
		rc = rc ? rc : buf_addstr(&b, ",\"key\":");
		rc = rc ? rc : json_put_str(&b, h->key);
		rc = rc ? rc : buf_addstr(&b, ",\"provider\":");
		rc = rc ? rc : json_put_str(&b, h->provider);
		rc = rc ? rc : buf_addstr(&b, ",\"label\":");
		rc = rc ? rc : json_put_str(&b, h->label);
		rc = rc ? rc : buf_printf(&b, ",\"depth\":%d,\"conditional\":%s,\"parent\":%d,\"path\":[",
					  h->depth, h->conditional ? "true" : "false",
					  h->parent > 0 ? h->parent - 1 : -1);
		for (k = 0; k < h->npath && rc == CD_OK; k++)
			rc = (k ? buf_addc(&b, ',') : CD_OK) || json_put_str(&b, h->path[k]);
		rc = rc ? rc : buf_addstr(&b, "],\"edges\":[");
		for (k = 0; k + 1 < h->npath && rc == CD_OK; k++)
			rc = (k ? buf_addc(&b, ',') : CD_OK) || json_put_str(&b, h->edges[k]);
		rc = rc ? rc : buf_addstr(&b, "]}");
	}
	rc = rc ? rc : buf_printf(&b, "],\"count\":%zu", r->n - 1);
	/* an identity: the workloads running as it (only when there are some) */
	if (rc == CD_OK) {
		size_t mark = b.len;

		rc = buf_addstr(&b, ",\"run_by\":[") || graph_run_by(s, id, 1, &b, &nrun) || buf_addc(&b, ']');
		if (rc == CD_OK && nrun == 0) {
			b.len = mark;
			b.data[mark] = '\0';
		}
	}
	rc = rc ? rc : buf_addstr(&b, "}\n");
	if (rc == CD_OK)
		fputs(b.data, stdout);
	else
		out_err("result too large for JSON output; narrow it with --depth or --provider");
	buf_release(&b);
	return rc;
}

static int
cmd_reach(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "depth", required_argument, NULL, 'd' },
		{ "provider", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum out_format fmt = OUT_TABLE;
	struct graph_result r = { 0 };
	struct store *s = NULL;
	const char *provider = NULL;
	char *why = NULL;
	int64_t depth = 0, id;
	int c, rc, status = EXIT_ERROR;

	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "reach", "h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 'd':
			if (out_parse_count(optarg, "--depth", &depth) != CD_OK || depth > 1000) {
				out_err("--depth takes 0 (no limit) to 1000");
				return EXIT_ERROR;
			}
			break;
		case 'p': provider = optarg; break;
		case 'F':
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON), &fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (optind + 1 != cc->argc) {
		out_err("give exactly one SUBJECT (a credential id, identity, workload or node)");
		fputs(usage, stderr);
		return EXIT_ERROR;
	}
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return EXIT_ERROR;
	rc = graph_resolve(s, cc->argv[optind], &id, &why);
	if (rc == CD_OK) {
		struct graph_walk w = { NULL, (int)depth, provider };

		rc = graph_walk_from(s, id, &w, &r);
	}
	if (rc == CD_E_NOTFOUND) {
		/* nothing found is an answer (exit 0), said on stderr */
		out_warn("%s: %s", cc->argv[optind], why ? why : "not in the identity graph");
		if (fmt == OUT_JSON) {
			struct buf b;

			buf_init(&b, 8192);
			if (buf_addstr(&b, "{\"subject\":{\"key\":") == CD_OK &&
			    json_put_str(&b, cc->argv[optind]) == CD_OK &&
			    buf_addstr(&b, ",\"in_graph\":false},\"reached\":[]}\n") == CD_OK)
				fputs(b.data, stdout);
			buf_release(&b);
		} else {
			out_printf(stdout, "%s\n  not in the identity graph: reaches nothing known\n",
				   cc->argv[optind]);
		}
		status = EXIT_OK;
		goto out;
	}
	if (rc != CD_OK) {
		out_err("reach failed: %s", cd_strerror(rc));
		goto out;
	}
	if (fmt == OUT_JSON) {
		if (put_json(s, id, &r, (int)depth, provider) != CD_OK)
			goto out;
	} else {
		int *parent = xcalloc(r.n, sizeof(int));
		size_t j, ncond = 0;

		for (j = 0; j < r.n; j++) {
			parent[j] = j == 0 ? -2 : r.hits[j].parent;
			ncond += r.hits[j].conditional != 0;
		}
		out_printf(stdout, "%s %s%s%s%s\n", r.hits[0].kind, r.hits[0].key,
			   r.hits[0].label ? "  (" : "", r.hits[0].label ? r.hits[0].label : "",
			   r.hits[0].label ? ")" : "");
		print_tree(&r, parent, 0, 2, out_color_enabled(stdout));
		print_orphans(&r, parent);
		{
			struct buf rb;
			int nrun = 0;

			buf_init(&rb, 4096);
			(void)graph_run_by(s, id, 0, &rb, &nrun);
			buf_release(&rb);
		}
		out_printf(stdout, "\n%zu reached (%zu only conditionally)\n", r.n - 1, ncond);
		free(parent);
	}
	status = r.n > 1 ? EXIT_FINDINGS : EXIT_OK;
out:
	free(why);
	graph_result_release(&r);
	store_close(&s);
	return status;
}

const struct cmd_entry cmd_reach_entry = {
	.name = "reach",
	.summary = "what an identity, credential, workload or node can reach (blast radius)",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_reach,
};
