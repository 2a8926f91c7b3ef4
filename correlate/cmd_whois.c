/*
 * cmd_whois.c - `cordon whois CREDENTIAL`: whose it is, where it is stored
 * (which secrets, workloads and nodes expose it), where it came from, and
 * when and from where it was last used, from the graph and the events.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "graph.h"

static const char usage[] =
	"usage: cordon whois [options] CREDENTIAL\n"
	"\n"
	"Who a credential is and where it lives: the identity it authenticates as,\n"
	"the secrets that hold it and the workloads and nodes that expose those,\n"
	"what issued it, what a Vault login exchanged it for, and its use in the\n"
	"ingested logs (first and last use, source addresses, user agents).\n"
	"CREDENTIAL is an access key id, a Kubernetes JTI=..., a Vault accessor, a\n"
	"GCP key name, a certificate serial (decimal, colon-hex, 0x-hex or\n"
	"X509SERIAL=HEX), an SSH SHA256: fingerprint, with or without its provider\n"
	"prefix (aws:AKIA...). An identity (a GCP service account's email) shows\n"
	"the workloads running as it (runs-as: Cloud Run services, functions).\n"
	"\n"
	"options:\n"
	"  --db PATH         evidence store (default $CORDON_DB, else ./cordon.db)\n"
	"  -o, --format FMT  table (default), json or ndjson\n"
	"  --show-secrets    do not hide secret-looking values (user agents)\n"
	"  -h, --help        this help\n"
	"\n"
	"exit status: 0 reported (also when nothing is known about CREDENTIAL: ingest\n"
	"the inventory or logs that mention it); 2 usage or store error.\n";

struct out {
	enum out_format fmt;
	int show;
	struct buf j;  /* JSON being built */
	int r;         /* an append failed (output too large) */
	int nsec;      /* members in the current JSON array */
};

static const char *
clean(struct out *o, const char *s, struct buf *tmp)
{
	if (s == NULL || o->show)
		return s;
	buf_reset(tmp);
	return redact(s, tmp) == CD_OK ? tmp->data : "[REDACTED]";
}

/* Edges next to the credential (or to its secrets): dir 0 out, 1 in. */
static int
neighbours(struct store *s, int64_t id, int in, const char *types, sqlite3_stmt **st)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT n.id, n.kind, n.key, n.label, e.type, e.detail, e.origin, e.conditional"
		 " FROM graph_edges e JOIN graph_nodes n ON n.id = e.%s WHERE e.%s = ?"
		 " AND e.type IN (%s) ORDER BY e.type, n.key",
		 in ? "src" : "dst", in ? "dst" : "src", types);
	if (sqlite3_prepare_v2(store_db(s), sql, -1, st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_int64(*st, 1, id);
	return CD_OK;
}

static void
json_edge(struct out *o, sqlite3_stmt *st, const char *extra_key, const char *extra)
{
	int r;

	r = buf_addstr(&o->j, o->nsec++ ? ",{\"kind\":" : "{\"kind\":");
	r = r ? r : json_put_str(&o->j, (const char *)sqlite3_column_text(st, 1));
	r = r ? r : buf_addstr(&o->j, ",\"key\":");
	r = r ? r : json_put_str(&o->j, (const char *)sqlite3_column_text(st, 2));
	r = r ? r : buf_addstr(&o->j, ",\"edge\":");
	r = r ? r : json_put_str(&o->j, (const char *)sqlite3_column_text(st, 4));
	r = r ? r : buf_addstr(&o->j, ",\"detail\":");
	r = r ? r : json_put_str(&o->j, (const char *)sqlite3_column_text(st, 5));
	r = r ? r : buf_addstr(&o->j, ",\"origin\":");
	r = r ? r : json_put_str(&o->j, (const char *)sqlite3_column_text(st, 6));
	r = r ? r : buf_printf(&o->j, ",\"conditional\":%s", sqlite3_column_int(st, 7) ? "true" : "false");
	if (extra_key != NULL) {
		r = r ? r : buf_printf(&o->j, ",\"%s\":", extra_key);
		r = r ? r : json_put_str(&o->j, extra);
	}
	r = r ? r : buf_addc(&o->j, '}');
	(void)r;
}

static void
text_edge(sqlite3_stmt *st, const char *indent, const char *via)
{
	const char *label = (const char *)sqlite3_column_text(st, 3);
	const char *detail = (const char *)sqlite3_column_text(st, 5);
	const char *origin = (const char *)sqlite3_column_text(st, 6);

	out_printf(stdout, "%s%s %s%s%s%s", indent, (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), label ? "  (" : "", label ? label : "",
		   label ? ")" : "");
	if (via != NULL)
		out_printf(stdout, "  via %s", via);
	if (detail != NULL)
		out_printf(stdout, "  [%s]", detail);
	if (origin != NULL)
		out_printf(stdout, "  from %s", origin);
	if (sqlite3_column_int(st, 7))
		out_printf(stdout, "  [conditional]");
	out_printf(stdout, "\n");
}

/* owners and what it issued (outgoing), its origin (incoming issued/assumed) */
static int
section(struct store *s, struct out *o, int64_t id, int in, const char *types, const char *title,
	const char *jkey)
{
	sqlite3_stmt *st;
	int n = 0;

	if (neighbours(s, id, in, types, &st) != CD_OK)
		return CD_E_DB;
	if (o->fmt == OUT_JSON) {
		o->r |= buf_printf(&o->j, ",\"%s\":[", jkey);
		o->nsec = 0;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (o->fmt == OUT_JSON) {
			json_edge(o, st, NULL, NULL);
		} else {
			if (n == 0)
				out_printf(stdout, "%s\n", title);
			text_edge(st, "  ", NULL);
		}
		n++;
	}
	sqlite3_finalize(st);
	if (o->fmt == OUT_JSON)
		o->r |= buf_addc(&o->j, ']');
	else if (n == 0)
		out_printf(stdout, "%s\n  (nothing known)\n", title);
	return CD_OK;
}

/* What exposes a secret: pods and containers mounting it, nodes holding it,
 * and up through a secret that includes it (k8s-secret:NS/NAME -> /KEY). */
static int
exposers(struct store *s, struct out *o, int64_t sid, int level)
{
	sqlite3_stmt *st;
	static const char pad[] = "                    ";
	int rc = CD_OK;

	if (level > 3)
		return CD_OK;
	if (neighbours(s, sid, 1, "'mounts', 'holds', 'includes'", &st) != CD_OK)
		return CD_E_DB;
	while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW) {
		char indent[64];

		snprintf(indent, sizeof(indent), "%.*sexposed by ", 6 + 2 * level, pad);
		if (o->fmt == OUT_JSON)
			json_edge(o, st, NULL, NULL);
		else
			text_edge(st, indent, (const char *)sqlite3_column_text(st, 4));
		if (strcmp((const char *)sqlite3_column_text(st, 1), "secret") == 0 ||
		    strcmp((const char *)sqlite3_column_text(st, 1), "resource") == 0)
			rc = exposers(s, o, sqlite3_column_int64(st, 0), level + 1);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The secrets holding it, and for each the workloads and nodes exposing them. */
static int
stored(struct store *s, struct out *o, int64_t id)
{
	sqlite3_stmt *st;
	int n = 0;

	if (neighbours(s, id, 1, "'exposes'", &st) != CD_OK)
		return CD_E_DB;
	if (o->fmt == OUT_JSON) {
		o->r |= buf_addstr(&o->j, ",\"stored\":[");
		o->nsec = 0;
	} else {
		out_printf(stdout, "stored in\n");
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t sid = sqlite3_column_int64(st, 0);
		int saved;

		if (o->fmt == OUT_JSON) {
			json_edge(o, st, NULL, NULL);
			/* exposed_by: inside the secret's object */
			o->j.len--;
			o->j.data[o->j.len] = '\0';
			o->r |= buf_addstr(&o->j, ",\"exposed_by\":[");
		} else {
			text_edge(st, "  ", NULL);
		}
		saved = o->nsec;
		o->nsec = 0;
		if (exposers(s, o, sid, 0) != CD_OK) {
			sqlite3_finalize(st);
			return CD_E_DB;
		}
		o->nsec = saved;
		if (o->fmt == OUT_JSON)
			o->r |= buf_addstr(&o->j, "]}");
		n++;
	}
	sqlite3_finalize(st);
	if (o->fmt == OUT_JSON)
		o->r |= buf_addc(&o->j, ']');
	else if (n == 0)
		out_printf(stdout, "  (no secret location known; add one to a credential map)\n");
	return CD_OK;
}

/* Use in the events: counts, first/last, addresses. */
/* One (address, agent, source) a credential was used from. */
struct use_group {
	char *ip, *ua, *src, *action; /* action: of its latest event */
	int64_t n, last;
};

static int
use_group_cmp(const void *x, const void *y)
{
	const struct use_group *a = x, *b = y;

	return a->last != b->last ? (a->last > b->last ? -1 : 1) : 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t != NULL ? xstrdup(t) : NULL;
}

/*
 * Every use of the credential, read once: its count, first and last time,
 * and the (address, agent, source) groups with their counts and latest
 * action.  One pass over the credential's rows (the cred_id index); the
 * query this replaces read them once per group again to find each group's
 * latest action (a second of row reads for a key used 5,000 times on a
 * 10M-event store).
 */
static int
use_groups(struct store *s, const char *id, struct use_group **out, size_t *nout, int64_t *n,
	   int64_t *first, int64_t *last)
{
	struct strmap m;
	struct use_group *g = NULL;
	size_t ng = 0, cap = 0;
	sqlite3_stmt *st;
	struct buf key;
	int rc;

	*out = NULL;
	*nout = 0;
	*n = *first = *last = 0;
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT ts_ns, src_ip, user_agent, source, action FROM events WHERE cred_id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	strmap_init(&m);
	buf_init(&key, 1 << 16);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 0);
		struct strmap_entry *e;
		int created = 0, i;

		if (*n == 0 || ts < *first)
			*first = ts;
		if (*n == 0 || ts > *last)
			*last = ts;
		(*n)++;
		/* the group key: each column with its NULL-ness, so NULL and "" differ */
		buf_reset(&key);
		for (i = 1; i <= 3; i++) {
			const char *t = (const char *)sqlite3_column_text(st, i);

			if (buf_addc(&key, t ? 'v' : 'n') != CD_OK || buf_add(&key, t ? t : "", t ? strlen(t) + 1 : 1) != CD_OK)
				break;
		}
		e = strmap_get(&m, key.data, key.len, &created);
		if (created) {
			if (ng == cap) {
				cap = cap ? cap * 2 : 16;
				g = xrealloc(g, cap * sizeof(*g));
			}
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].ip = col_dup(st, 1);
			g[ng].ua = col_dup(st, 2);
			g[ng].src = col_dup(st, 3);
			g[ng].last = INT64_MIN;
			e->a = (int64_t)ng++;
		}
		g[e->a].n++;
		if (ts > g[e->a].last) {
			g[e->a].last = ts;
			free(g[e->a].action);
			g[e->a].action = col_dup(st, 4);
		}
	}
	sqlite3_finalize(st);
	buf_release(&key);
	strmap_release(&m);
	if (ng > 1)
		qsort(g, ng, sizeof(*g), use_group_cmp);
	*out = g;
	*nout = ng;
	return rc == SQLITE_DONE ? CD_OK : CD_E_DB;
}

static void
use_groups_free(struct use_group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(g[i].ip);
		free(g[i].ua);
		free(g[i].src);
		free(g[i].action);
	}
	free(g);
}

static int
usage_section(struct store *s, struct out *o, const char *id)
{
	sqlite3_stmt *st;
	struct use_group *g = NULL;
	struct buf tmp;
	char t1[40], t2[40];
	int64_t n = 0, first = 0, last = 0;
	size_t ng = 0, i;
	int k = 0;

	if (use_groups(s, id, &g, &ng, &n, &first, &last) != CD_OK) {
		use_groups_free(g, ng);
		return CD_E_DB;
	}
	buf_init(&tmp, (size_t)1 << 20);
	time_format(first, t1, sizeof(t1));
	time_format(last, t2, sizeof(t2));
	if (o->fmt == OUT_JSON) {
		o->r |= buf_printf(&o->j, ",\"use\":{\"events\":%lld", (long long)n);
		if (n > 0)
			o->r |= buf_printf(&o->j, ",\"first\":\"%s\",\"last\":\"%s\"", t1, t2);
		o->r |= buf_addstr(&o->j, ",\"sources\":[");
	} else if (n == 0) {
		out_printf(stdout,
			   "use\n  not seen in the ingested logs (as the credential used)\n");
	} else {
		out_printf(stdout, "use\n  %lld events, first %s, last %s\n", (long long)n, t1, t2);
	}
	/* the 20 groups used last */
	for (i = 0; i < ng && i < 20; i++) {
		const char *ip = g[i].ip, *src = g[i].src, *act = g[i].action;
		const char *ua = clean(o, g[i].ua, &tmp);

		time_format(g[i].last, t2, sizeof(t2));
		if (o->fmt == OUT_JSON) {
			int r = buf_addstr(&o->j, k++ ? ",{\"src_ip\":" : "{\"src_ip\":");

			r = r ? r : json_put_str(&o->j, ip);
			r = r ? r : buf_addstr(&o->j, ",\"user_agent\":");
			r = r ? r : json_put_str(&o->j, ua);
			r = r ? r : buf_addstr(&o->j, ",\"source\":");
			r = r ? r : json_put_str(&o->j, src);
			r = r ? r : buf_printf(&o->j, ",\"events\":%lld,\"last\":\"%s\",\"last_action\":",
					       (long long)g[i].n, t2);
			r = r ? r : json_put_str(&o->j, act);
			r = r ? r : buf_addc(&o->j, '}');
		} else {
			out_printf(stdout, "  last %s from %s (%s, %lld events, last action %s)%s%s\n", t2,
				   ip ? ip : "-", src ? src : "-", (long long)g[i].n, act ? act : "-",
				   ua ? "  agent " : "", ua ? ua : "");
		}
	}
	use_groups_free(g, ng);
	if (o->fmt == OUT_JSON)
		o->r |= buf_addstr(&o->j, "]");
	/* where it was minted, when the logs show it */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT ts_ns, source, action, actor, src_ip FROM events WHERE issued_cred = ?"
			       " ORDER BY ts_ns LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *act = (const char *)sqlite3_column_text(st, 2);
			const char *actor = (const char *)sqlite3_column_text(st, 3);
			const char *ip = (const char *)sqlite3_column_text(st, 4);

			n++;
			time_format(sqlite3_column_int64(st, 0), t1, sizeof(t1));
			if (o->fmt == OUT_JSON) {
				(void)(buf_printf(&o->j, ",\"issued\":{\"time\":\"%s\",\"action\":", t1) ||
				       json_put_str(&o->j, act) || buf_addstr(&o->j, ",\"actor\":") ||
				       json_put_str(&o->j, actor) || buf_addstr(&o->j, ",\"src_ip\":") ||
				       json_put_str(&o->j, ip) || buf_addc(&o->j, '}'));
			} else {
				out_printf(stdout, "  issued %s by %s (%s) from %s\n", t1,
					   actor ? actor : "-", act ? act : "-", ip ? ip : "-");
			}
		}
		sqlite3_finalize(st);
	}
	if (o->fmt == OUT_JSON)
		o->r |= buf_addc(&o->j, '}');
	buf_release(&tmp);
	return n > 0 ? CD_OK : CD_E_NOTFOUND;
}

static int
cmd_whois(struct cmd_ctx *cc)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'F' },
		{ "show-secrets", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct out o = { .fmt = OUT_TABLE };
	struct store *s = NULL;
	sqlite3_stmt *st;
	char *why = NULL, *key = NULL, *label = NULL;
	const char *arg, *bare;
	int64_t id = 0;
	int c, rc, known = 0, ident = 0, status = EXIT_ERROR;

	optind = 1;
	while ((c = cmd_getopt(cc->argc, cc->argv, "whois", "h", longopts)) != -1) {
		switch (c) {
		case 'D': cc->db_path = optarg; break;
		case 'F':
			if (out_format_arg(optarg, OUT_F(OUT_TABLE) | OUT_F(OUT_JSON), &o.fmt) != CD_OK)
				return EXIT_ERROR;
			break;
		case 'X': o.show = 1; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: return EXIT_ERROR; /* cmd_getopt said why */
		}
	}
	if (optind + 1 != cc->argc) {
		out_err("give exactly one CREDENTIAL (an access key id, JTI=..., Vault accessor, ...)");
		fputs(usage, stderr);
		return EXIT_ERROR;
	}
	arg = cc->argv[optind];
	if (cmd_open_store(cc, 1, &s) != CD_OK)
		return EXIT_ERROR;
	buf_init(&o.j, (size_t)64 << 20);
	rc = graph_resolve(s, arg, &id, &why);
	if (rc == CD_E_DB)
		goto out;
	if (rc == CD_OK && sqlite3_prepare_v2(store_db(s), "SELECT kind, key, label FROM graph_nodes WHERE id = ?",
					      -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "credential") == 0) {
			key = graph_col_dup(st, 1);
			label = graph_col_dup(st, 2);
			known = 1;
		} else if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
			   strcmp((const char *)sqlite3_column_text(st, 0), "identity") == 0) {
			/* an account: the workloads whose credentials these are */
			key = graph_col_dup(st, 1);
			label = graph_col_dup(st, 2);
			ident = 1;
		}
		sqlite3_finalize(st);
	}
	/* the id as the logs hold it: without the provider prefix */
	bare = (known || ident) && strchr(key, ':') ? strchr(key, ':') + 1 : arg;
	if (o.fmt == OUT_JSON) {
		(void)(buf_addstr(&o.j, "{\"credential\":") || json_put_str(&o.j, known || ident ? key : arg) ||
		       buf_addstr(&o.j, ",\"label\":") || json_put_str(&o.j, label) ||
		       buf_printf(&o.j, ",\"in_graph\":%s", known || ident ? "true" : "false"));
	} else {
		out_printf(stdout, "%s %s%s%s%s\n", ident ? "identity" : "credential", known || ident ? key : arg,
			   label ? "  (" : "",
			   label ? label : "", label ? ")" : "");
	}
	if (ident) {
		struct buf rb;
		int nrun = 0;

		buf_init(&rb, (size_t)16 << 20);
		if (o.fmt != OUT_JSON)
			out_printf(stdout, "  identity (not a credential)\n");
		if (graph_run_by(s, id, o.fmt == OUT_JSON, &rb, &nrun) != CD_OK) {
			buf_release(&rb);
			goto out;
		}
		if (o.fmt == OUT_JSON)
			o.r |= buf_addstr(&o.j, ",\"kind\":\"identity\",\"run_by\":[") ||
			       buf_addstr(&o.j, rb.data) || buf_addc(&o.j, ']');
		buf_release(&rb);
	}
	if (known) {
		if (section(s, &o, id, 0, "'authenticates-as'", "owner", "owners") != CD_OK ||
		    stored(s, &o, id) != CD_OK ||
		    section(s, &o, id, 1, "'issued', 'assumed'", "issued by", "issued_by") != CD_OK ||
		    section(s, &o, id, 0, "'issued'", "issued", "issued") != CD_OK ||
		    /* a Vault login's trade: the token <-> what its login presented */
		    section(s, &o, id, 0, "'exchanged-for'", "exchanged for", "exchanged_for") != CD_OK ||
		    section(s, &o, id, 1, "'exchanged-for'", "exchanged into", "exchanged_into"))
			goto out;
	} else if (!ident && o.fmt != OUT_JSON) {
		out_printf(stdout, "  not in the identity graph (%s)\n", why ? why : "unknown");
	}
	/* an account is used through its credentials (tokens with no id in
	 * the logs, keys): their use is theirs, not said here */
	rc = ident ? CD_OK : usage_section(s, &o, bare);
	if (!known && !ident && rc == CD_E_NOTFOUND)
		/* nothing found is an answer (exit 0), said on stderr */
		out_warn("%s: nothing known: not in any inventory and not seen in the logs; ingest them "
			 "with `cordon ingest`", arg);
	if (o.fmt == OUT_JSON) {
		o.r |= buf_addstr(&o.j, "}\n");
		fputs(o.j.data, stdout);
	}
	status = EXIT_OK;
out:
	free(why);
	free(key);
	free(label);
	buf_release(&o.j);
	store_close(&s);
	redact_release();
	return status;
}

const struct cmd_entry cmd_whois_entry = {
	.name = "whois",
	.summary = "whose a credential is, where it is stored, when and where it was used",
	.usage = usage,
	.flags = CMD_NEEDS_DB,
	.exec = cmd_whois,
};
