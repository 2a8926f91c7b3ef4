/*
 * inv_spire.c - a SPIRE server's registrations: `spire-server entry show
 * -output json` (spire-api-sdk ListEntriesResponse: entries[] with id,
 * spiffe_id and parent_id as {trust_domain, path}, selectors[] {type,
 * value}) and `spire-server agent list -output json` (agents[] with id,
 * attestation_type, x509svid_serial_number, x509svid_expires_at,
 * selectors, banned).
 *
 * A SPIFFE credential is named two ways: the registration entry (what
 * SPIRE deletes, the credential map's id) and the SPIFFE ID (what the
 * workload holds and presents).  An entry is issued by its parent: the
 * node agent that attests the workload and mints its SVIDs.  So:
 *   spiffe:ENTRY_ID   authenticates-as  spiffe:spiffe://TD/PATH
 *   spiffe:AGENT_ID   issues            spiffe:ENTRY_ID
 * The edge runs from the agent to the entry: whoever holds the agent
 * mints the entry's SVIDs, while holding an SVID gives nothing of the
 * agent.  The entry's attributes keep its SPIFFE ID and parent, the
 * agent's the host its attestor named ("node"), so a plan finds an
 * SVID's entries and the agent to evict.  Neither is an edge: a SPIFFE ID
 * is no alias of one entry (several agents may register it), and a host
 * an x509pop agent names is no Kubernetes node (a "node" graph node
 * would make a sandbox's host one, with a kubelet to cordon).
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

#define SPIRE_SEL_MAX 4096 /* selectors joined, bytes */

/* Implements inventory::probe (entry show) */
static int
entries_probe(const char *head, size_t len)
{
	if (inv_head_starts(head, len, '{') && memmem(head, len, "\"entries\"", 9) != NULL &&
	    memmem(head, len, "\"spiffe_id\"", 11) != NULL)
		return 96;
	return 0;
}

/* Implements inventory::probe (agent list) */
static int
agents_probe(const char *head, size_t len)
{
	if (inv_head_starts(head, len, '{') && memmem(head, len, "\"agents\"", 8) != NULL &&
	    (memmem(head, len, "\"attestation_type\"", 18) != NULL ||
	     memmem(head, len, "\"x509svid_serial_number\"", 24) != NULL))
		return 96;
	return 0;
}

/*
 * A SPIFFEID message as "spiffe://TD/PATH", or NULL with c->why set.  The
 * trust domain is lowercase letters, digits, '.', '-' and '_' (the SPIFFE
 * ID spec); the path starts with '/' when not empty and holds no
 * control byte or blank (a graph key and a connector target both).
 */
static char *
spiffe_of(struct inv_ctx *c, const struct json_doc *d, int obj, const char *what)
{
	char *td, *path, *s = NULL;
	size_t i;

	if (obj < 0 || json_type(d, obj) != JSON_OBJECT) {
		inv_fail(c, obj < 0 ? -1 : inv_off(d, obj), "%s is not a {trust_domain, path} object", what);
		return NULL;
	}
	td = inv_path(d, obj, "trust_domain");
	path = inv_path(d, obj, "path");
	if (path == NULL)
		path = xstrdup("");
	if (td == NULL || *td == '\0' || strlen(td) > 255 || strlen(path) > 2048) {
		inv_fail(c, inv_off(d, obj), "%s: trust_domain missing, empty or too long", what);
		goto out;
	}
	for (i = 0; td[i]; i++)
		if (!((td[i] >= 'a' && td[i] <= 'z') || (td[i] >= '0' && td[i] <= '9') ||
		      strchr(".-_", td[i]) != NULL)) {
			inv_fail(c, inv_off(d, obj), "%s: trust domain '%.100s' is not lowercase "
				 "letters, digits, '.', '-' and '_'", what, td);
			goto out;
		}
	if (path[0] != '\0' && path[0] != '/') {
		inv_fail(c, inv_off(d, obj), "%s: path '%.100s' does not start with '/'", what, path);
		goto out;
	}
	for (i = 0; path[i]; i++)
		if ((unsigned char)path[i] <= 0x20 || path[i] == 0x7f) {
			inv_fail(c, inv_off(d, obj), "%s: path holds a blank or control byte", what);
			goto out;
		}
	s = xstrdupf("spiffe://%s%s", td, path);
out:
	free(td);
	free(path);
	return s;
}

/* selectors[] as "type:value" lines (bounded), or NULL when there are none. */
static char *
selectors_of(const struct json_doc *d, int obj)
{
	int arr = json_get(d, obj, "selectors"), n, j, k;
	struct buf b;

	if (arr < 0 || json_type(d, arr) != JSON_ARRAY || (n = json_count(d, arr)) == 0)
		return NULL;
	buf_init(&b, SPIRE_SEL_MAX);
	for (j = 0, k = arr + 1; j < n; j++, k = json_skip(d, k)) {
		char *t = json_type(d, k) == JSON_OBJECT ? inv_path(d, k, "type") : NULL;
		char *v = json_type(d, k) == JSON_OBJECT ? inv_path(d, k, "value") : NULL;

		/* past the cap the rest is dropped: selectors are context, not keys */
		if (t != NULL && v != NULL &&
		    buf_printf(&b, "%s%s:%s", b.len ? "\n" : "", t, v) != CD_OK)
			j = n;
		free(t);
		free(v);
	}
	return inv_take(&b);
}

/*
 * The host an agent runs on, from the selectors its node attestor gave
 * it: k8s_psat's agent_node_name, x509pop's and sshpop's subject CN or
 * principal.  NULL when none names one (aws_iid's instance ids are
 * resolved elsewhere: imds:i-...).
 */
static char *
agent_node(const char *sel)
{
	static const char *const pfx[] = { "k8s_psat:agent_node_name:", "x509pop:subject:cn:",
					   "sshpop:principal:", NULL };
	const char *p = sel;
	size_t i;

	while (p != NULL && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		for (i = 0; pfx[i] != NULL; i++) {
			size_t k = strlen(pfx[i]);

			if (n > k && n - k < 256 && strncmp(p, pfx[i], k) == 0)
				return xstrndup(p + k, n - k);
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* An entry id: SPIRE's are UUIDs; anything printable without blanks. */
static int
entry_id_ok(const char *id)
{
	size_t i;

	if (*id == '\0' || strlen(id) > 128)
		return 0;
	for (i = 0; id[i]; i++)
		if ((unsigned char)id[i] <= 0x20 || id[i] == 0x7f || id[i] == '/')
			return 0;
	return 1;
}

static int
entry_one(struct inv_ctx *c, const struct json_doc *d, int e)
{
	char *id = NULL, *sid = NULL, *pid = NULL, *sel = NULL, *ekey = NULL, *skey = NULL;
	char *pkey = NULL, *label = NULL, *attrs = NULL;
	int rc = CD_E_PARSE;

	if (json_type(d, e) != JSON_OBJECT)
		return inv_fail(c, inv_off(d, e), "an entry is not an object");
	id = inv_path(d, e, "id");
	if (id == NULL || !entry_id_ok(id)) {
		rc = inv_fail(c, inv_off(d, e), "entry without an id (or with blanks, '/' or over 128 bytes)");
		goto out;
	}
	if ((sid = spiffe_of(c, d, json_get(d, e, "spiffe_id"), "spiffe_id")) == NULL ||
	    (pid = spiffe_of(c, d, json_get(d, e, "parent_id"), "parent_id")) == NULL)
		goto out;
	sel = selectors_of(d, e);
	{
		const struct inv_attr kv[] = { { "spiffe_id", sid }, { "parent_id", pid }, { "selectors", sel } };

		attrs = inv_attrs(kv, sizeof(kv) / sizeof(kv[0]));
	}
	ekey = xstrdupf("spiffe:%s", id);
	skey = xstrdupf("spiffe:%s", sid);
	pkey = xstrdupf("spiffe:%s", pid);
	label = xstrdupf("SPIRE entry for %s", sid);
	rc = CD_OK;
	if (graph_tx_node(c->tx, "credential", ekey, "spiffe", label, attrs) < 0) {
		rc = CD_E_DB;
		goto out;
	}
	rc = graph_link(c->tx, "credential", ekey, "authenticates-as", "identity", skey, 0,
			"SPIRE registration entry");
	rc = rc ? rc : graph_link(c->tx, "identity", pkey, "issues", "credential", ekey, 0,
				  "SPIRE: the parent (a node agent) mints this entry's SVIDs");
	c->objects++;
out:
	free(id);
	free(sid);
	free(pid);
	free(sel);
	free(ekey);
	free(skey);
	free(pkey);
	free(label);
	free(attrs);
	return rc;
}

static int
agent_one(struct inv_ctx *c, const struct json_doc *d, int a)
{
	char *aid = NULL, *sel = NULL, *node = NULL, *att = NULL, *serial = NULL, *exp = NULL;
	char *banned = NULL, *akey = NULL, *label = NULL, *attrs = NULL;
	int rc = CD_E_PARSE;

	if (json_type(d, a) != JSON_OBJECT)
		return inv_fail(c, inv_off(d, a), "an agent is not an object");
	if ((aid = spiffe_of(c, d, json_get(d, a, "id"), "agent id")) == NULL)
		goto out;
	sel = selectors_of(d, a);
	node = agent_node(sel);
	att = inv_path(d, a, "attestation_type");
	serial = inv_path(d, a, "x509svid_serial_number");
	exp = inv_path(d, a, "x509svid_expires_at");
	banned = inv_path(d, a, "banned");
	{
		const struct inv_attr kv[] = {
			{ "attestation_type", att }, { "x509svid_serial_number", serial },
			{ "x509svid_expires_at", exp }, { "banned", banned }, { "node", node },
			{ "selectors", sel },
		};

		attrs = inv_attrs(kv, sizeof(kv) / sizeof(kv[0]));
	}
	akey = xstrdupf("spiffe:%s", aid);
	label = xstrdupf("SPIRE agent (%s%s)", att ? att : "attestation unknown",
			 banned && strcmp(banned, "true") == 0 ? ", banned" : "");
	rc = CD_OK;
	if (graph_tx_node(c->tx, "identity", akey, "spiffe", label, attrs) < 0)
		rc = CD_E_DB;
	c->objects++;
out:
	free(aid);
	free(sel);
	free(node);
	free(att);
	free(serial);
	free(exp);
	free(banned);
	free(akey);
	free(label);
	free(attrs);
	return rc;
}

/* The array member of the top object, each element through one(). */
static int
spire_load(struct inv_ctx *c, const char *member,
	   int (*one)(struct inv_ctx *, const struct json_doc *, int))
{
	struct json_doc d;
	struct json_tokens t;
	int list, n, j, k, rc;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	list = json_type(&d, 0) == JSON_OBJECT ? json_get(&d, 0, member) : -1;
	if (list < 0 || json_type(&d, list) != JSON_ARRAY) {
		rc = inv_fail(c, 0, "\"%s\" must be an array in the top object", member);
		goto out;
	}
	n = json_count(&d, list);
	for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k))
		rc = one(c, &d, k);
	/* an empty list is a server with nothing registered: say so, store nothing */
	if (rc == CD_OK && c->objects == 0)
		rc = inv_fail(c, -1, "no %s in the file", member);
out:
	json_tokens_release(&t);
	return rc;
}

/* Implements inventory::load */
static int
entries_load(struct inv_ctx *c)
{
	return spire_load(c, "entries", entry_one);
}

/* Implements inventory::load */
static int
agents_load(struct inv_ctx *c)
{
	return spire_load(c, "agents", agent_one);
}

const struct inventory inv_spire_entries = {
	.name = "spire-entries",
	.summary = "inventory: spire-server entry show -output json (entry id <-> SPIFFE ID, parent agent)",
	.probe = entries_probe,
	.load = entries_load,
};

const struct inventory inv_spire_agents = {
	.name = "spire-agents",
	.summary = "inventory: spire-server agent list -output json (agent SPIFFE ID, attestation, node)",
	.probe = agents_probe,
	.load = agents_load,
};
