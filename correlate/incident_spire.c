/*
 * incident_spire.c - the plan's SPIRE steps (issue 20): an exposed SVID's
 * registration entry deleted, and the node agent evicted where the escape
 * reached it.
 *
 * An SVID is known by its entry id (the credential map's id) or by its
 * SPIFFE ID (the map's id when only that is known): the SPIRE inventory
 * (inv_spire.c) gives each entry its SPIFFE ID and parent agent, and each
 * agent the node its attestor named.  One SPIFFE ID may have entries
 * under several agents: the entry under the agent the escape reached is
 * the one to delete, the others' workloads did nothing wrong.
 *
 * An agent mints SVIDs for every entry parented to it, to whoever its
 * workload attestor takes for the workload: root on its node (an escape)
 * or a client of its socket that passes for one.  Deleting entries does
 * not stop that; evicting the agent does (it must attest again), and the
 * eviction is containment, ordered before the revocations.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"

/* Whether PATH is a SPIRE agent's Workload API socket (the catalog's). */
static int
agent_socket(const char *path)
{
	size_t n = strlen(path);

	return strstr(path, "/spire") != NULL && n > 5 && strcmp(path + n - 5, ".sock") == 0;
}

/* The hosts the escape reached (its nodes) and those whose agent socket
 * it used, each once. */
static void
reached(const struct incident *inc, struct strv *nodes, struct strv *sockets)
{
	size_t i;

	for (i = 0; i < inc->reached_hosts.n; i++)
		strv_add_unique(nodes, inc->reached_hosts.s[i]);
	for (i = 0; i < inc->escaped_nodes.n; i++)
		strv_add_unique(nodes, inc->escaped_nodes.s[i]);
	for (i = 0; i < inc->nex; i++) {
		const char *loc = inc->ex[i].locator, *c;
		char host[300];

		if (strncmp(loc, "file:", 5) != 0 || (c = strchr(loc + 5, ':')) == NULL ||
		    !agent_socket(c + 1) || (size_t)(c - loc - 5) >= sizeof(host))
			continue;
		memcpy(host, loc + 5, (size_t)(c - loc - 5));
		host[c - loc - 5] = '\0';
		if (strcmp(host, "*") != 0)
			strv_add_unique(sockets, host);
	}
}

/* Whether a SPIFFE ID is a node agent's (SPIRE puts them under /spire/agent/). */
static int
is_agent(const char *sid)
{
	const char *p = strncmp(sid, "spiffe://", 9) == 0 ? strchr(sid + 9, '/') : NULL;

	return p != NULL && strncmp(p, "/spire/agent/", 13) == 0;
}

static int
in(const struct strv *v, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < v->n; i++)
		if (strcmp(v->s[i], s) == 0)
			return 1;
	return 0;
}

/* The node an agent (its SPIFFE ID) runs on, into out ("" when unknown). */
static void
agent_node(sqlite3 *db, const char *agent, char *out, size_t cap)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db,
			       "SELECT json_extract(attrs, '$.node') FROM graph_nodes WHERE kind = 'identity'"
			       " AND key = 'spiffe:' || ?1 AND json_valid(attrs)",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* How many entries an agent mints SVIDs for. */
static int
agent_entries(sqlite3 *db, const char *agent)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM graph_nodes a JOIN graph_edges e ON e.src = a.id"
			       " AND e.type = 'issues' WHERE a.kind = 'identity' AND a.key = 'spiffe:' || ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
evict(sqlite3 *db, struct incident *inc, const char *agent, const char *host, int socket)
{
	char why[900];
	int n = agent_entries(db, agent);

	if (socket)
		snprintf(why, sizeof(why), "contain first: the escape used the SPIRE agent's socket on "
			 "%.200s, and the agent mints SVIDs for every entry parented to it (%d in the "
			 "inventory) to whoever passes for their workloads: eviction makes it attest again "
			 "before it issues more (ban-agent keeps it out)", host, n);
	else
		snprintf(why, sizeof(why), "contain first: the escape reached %.200s, the node this "
			 "SPIRE agent runs on; root there passes for any workload, and the agent mints SVIDs "
			 "for every entry parented to it (%d in the inventory): eviction makes it attest "
			 "again before it issues more (ban-agent keeps it out)", host, n);
	add_step(inc, "spire", "evict-agent", agent, why);
}

/* Every agent the inventory puts on host. */
static void
evict_on(sqlite3 *db, struct incident *inc, const char *host, int socket)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT substr(key, 8) FROM graph_nodes WHERE kind = 'identity'"
			       " AND key LIKE 'spiffe:spiffe://%' AND json_valid(attrs)"
			       " AND json_extract(attrs, '$.node') = ?1 ORDER BY key",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		evict(db, inc, (const char *)sqlite3_column_text(st, 0), host, socket);
	sqlite3_finalize(st);
}

struct entry {
	char *id, *parent, node[300];
};

/* The entries of one exposed SPIFFE credential (an entry id or a SPIFFE ID). */
static size_t
entries_of(sqlite3 *db, const char *id, struct entry *out, size_t cap)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int by_sid = strncmp(id, "spiffe://", 9) == 0;

	if (sqlite3_prepare_v2(db, by_sid
			       ? "SELECT substr(key, 8), json_extract(attrs, '$.parent_id') FROM graph_nodes"
				 " WHERE kind = 'credential' AND key LIKE 'spiffe:%' AND json_valid(attrs)"
				 " AND json_extract(attrs, '$.spiffe_id') = ?1 ORDER BY key"
			       : "SELECT ?1, CASE WHEN json_valid(attrs) THEN json_extract(attrs, '$.parent_id')"
				 " END FROM graph_nodes WHERE kind = 'credential' AND key = 'spiffe:' || ?1"
				 " UNION ALL SELECT ?1, NULL WHERE NOT EXISTS (SELECT 1 FROM graph_nodes"
				 " WHERE kind = 'credential' AND key = 'spiffe:' || ?1)",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (n < cap && sqlite3_step(st) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 1);

		if (e == NULL)
			continue;
		out[n].id = xstrdup(e);
		out[n].parent = p ? xstrdup(p) : NULL;
		out[n].node[0] = '\0';
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

#define SPIRE_ENTRIES_MAX 64 /* entries of one SPIFFE ID planned */

/* One exposed SPIFFE credential: its entries deleted, their agent evicted
 * where the escape reached it. */
static void
plan_svid(sqlite3 *db, struct incident *inc, const struct cred *cr, const struct strv *nodes,
	  const struct strv *sockets)
{
	struct entry e[SPIRE_ENTRIES_MAX];
	struct strv parents = { 0 };
	size_t n = entries_of(db, cr->id, e, SPIRE_ENTRIES_MAX), i, hit = 0, unplaced = 0;
	char why[1400];

	if (n == 0) {
		snprintf(why, sizeof(why), "manual: the SVID of %.300s was exposed and no SPIRE inventory "
			 "names its registration entries: `spire-server entry show -spiffeID %.300s`, then "
			 "`cordon revoke spire-entry ENTRY_ID` (or load `entry show -output json`)",
			 cr->id, cr->id);
		add_step(inc, "spire", "delete-entries-of", cr->id, why);
		return;
	}
	for (i = 0; i < n; i++) {
		if (e[i].parent != NULL)
			agent_node(db, e[i].parent, e[i].node, sizeof(e[i].node));
		hit += e[i].node[0] && (in(nodes, e[i].node) || in(sockets, e[i].node));
		unplaced += e[i].node[0] == '\0';
	}
	for (i = 0; i < n; i++) {
		int mine = e[i].node[0] && (in(nodes, e[i].node) || in(sockets, e[i].node));

		/* of several entries, the ones under the agent the escape reached;
		 * else those under agents the agent list does not place (one the
		 * list places on a host the escape never reached serves others) */
		if (hit > 0 && !mine)
			continue;
		if (hit == 0 && unplaced > 0 && e[i].node[0])
			continue;
		if (strncmp(cr->id, "spiffe://", 9) != 0)
			snprintf(why, sizeof(why), "the workload's SVID was exposed: deleting its registration "
				 "entry stops the agent from issuing it more SVIDs (the exposed one lives to its "
				 "expiry)");
		else if (hit > 0 && n > 1)
			snprintf(why, sizeof(why), "the SVID of %.300s was exposed: this is its registration "
				 "entry under the agent the escape reached (%zu of %zu entries of that SPIFFE ID; "
				 "the others' workloads are elsewhere); deleting it stops new SVIDs, the exposed "
				 "one lives to its expiry", cr->id, hit, n);
		else
			snprintf(why, sizeof(why), "the SVID of %.300s was exposed: the SPIRE inventory names "
				 "this registration entry for it; deleting it stops new SVIDs, the exposed one "
				 "lives to its expiry", cr->id);
		add_step(inc, "spire", "delete-entry", e[i].id, why);
		if (mine)
			evict(db, inc, e[i].parent, e[i].node, in(sockets, e[i].node));
		if (!mine && e[i].parent != NULL && is_agent(e[i].parent))
			strv_add_unique(&parents, e[i].parent);
	}
	/* no agent list places them (or it places the others elsewhere): the
	 * socket the escape used served the SVID, so its agent is the
	 * unplaced entries' parent when they have one */
	if (hit == 0 && sockets->n > 0 && parents.n == 1) {
		evict(db, inc, parents.s[0], sockets->s[0], 1);
	} else if (hit == 0 && sockets->n > 0 && parents.n > 1) {
		snprintf(why, sizeof(why), "manual, contain first: the escape used the SPIRE agent's socket "
			 "on %.200s, and the entries of %.300s are under %zu agents no agent list places on "
			 "a host: evict the one on %.200s (`spire-server agent list`, or load its -output json)",
			 sockets->s[0], cr->id, parents.n, sockets->s[0]);
		add_step(inc, "spire", "evict-agent-on-host", sockets->s[0], why);
	}
	strv_release(&parents);
	for (i = 0; i < n; i++) {
		free(e[i].id);
		free(e[i].parent);
	}
}

void
plan_spire(sqlite3 *db, struct incident *inc)
{
	struct strv nodes = { 0 }, sockets = { 0 };
	size_t i;

	reached(inc, &nodes, &sockets);
	for (i = 0; i < inc->ncr; i++)
		if (strcmp(inc->cr[i].provider, "spiffe") == 0)
			plan_svid(db, inc, &inc->cr[i], &nodes, &sockets);
	/* an agent on a host the escape reached, whatever SVID was seen taken */
	for (i = 0; i < sockets.n; i++)
		evict_on(db, inc, sockets.s[i], 1);
	for (i = 0; i < nodes.n; i++)
		evict_on(db, inc, nodes.s[i], 0);
	strv_release(&nodes);
	strv_release(&sockets);
}
