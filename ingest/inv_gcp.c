/*
 * inv_gcp.c - GCP inventory: `gcloud iam service-accounts keys list
 * --format=json` (key name -> service account) and `gcloud ... get-iam-policy
 * --format=json` (role bindings).
 *
 * An IAM policy does not say what it is the policy of; the scope is the
 * file name without extension ("projects-acme-prod.json" -> gcp:projects-acme-prod),
 * and a file named after a service account's email is that account's own
 * policy: token-creator and user roles on it become can-impersonate edges.
 * A binding with a condition gives conditional edges.
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

/* ---- keys ---------------------------------------------------------------- */

/* Implements inventory::probe */
static int
gcpkeys_probe(const char *head, size_t len)
{
	if (!inv_head_starts(head, len, '[') || memmem(head, len, "\"protoPayload\"", 14))
		return 0;
	if (memmem(head, len, "\"keyAlgorithm\"", 14) ||
	    (memmem(head, len, "\"keyType\"", 9) && memmem(head, len, "/serviceAccounts/", 17)))
		return 95;
	return 0;
}

/* "projects/p/serviceAccounts/EMAIL/keys/K" -> EMAIL */
static char *
key_owner(const char *name)
{
	const char *a = strstr(name, "/serviceAccounts/"), *b;

	if (a == NULL)
		return NULL;
	a += 17;
	b = strchr(a, '/');
	return b && b > a ? xstrndup(a, (size_t)(b - a)) : NULL;
}

/* Implements inventory::load */
static int
gcpkeys_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	int j, k, n, rc;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	if (json_type(&d, 0) != JSON_ARRAY) {
		rc = inv_fail(c, 0, "service-account keys list must be a JSON array");
		goto out;
	}
	n = json_count(&d, 0);
	for (j = 0, k = 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k)) {
		char *name = inv_path(&d, k, "name"), *owner = name ? key_owner(name) : NULL;
		char *type = inv_path(&d, k, "keyType"), *after = inv_path(&d, k, "validAfterTime");
		char *before = inv_path(&d, k, "validBeforeTime"), *dis = inv_path(&d, k, "disabled");
		const struct inv_attr kv[] = { { "type", type }, { "valid_after", after },
					       { "valid_before", before } };
		char *ckey, *ikey, *label, *attrs;

		if (owner == NULL) {
			rc = inv_fail(c, inv_off(&d, k), "key entry without a name "
					   "projects/P/serviceAccounts/EMAIL/keys/ID");
		} else {
			ckey = xstrdupf("gcp:%s", name);
			ikey = xstrdupf("gcp:%s", owner);
			label = xstrdupf("%s key%s", type ? type : "service-account",
					   dis && strcmp(dis, "true") == 0 ? " (disabled)" : "");
			attrs = inv_attrs(kv, sizeof(kv) / sizeof(kv[0]));
			if (graph_tx_node(c->tx, "credential", ckey, "gcp", label, attrs) < 0)
				rc = CD_E_DB;
			else
				rc = graph_link(c->tx, "credential", ckey, "authenticates-as", "identity", ikey,
						0, NULL);
			c->objects++;
			free(attrs);
			free(ckey);
			free(ikey);
			free(label);
		}
		free(name);
		free(owner);
		free(type);
		free(after);
		free(before);
		free(dis);
	}
out:
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_gcpkeys = {
	.name = "gcp-keys",
	.summary = "inventory: gcloud iam service-accounts keys list --format=json",
	.probe = gcpkeys_probe,
	.load = gcpkeys_load,
};

/* ---- IAM policy ------------------------------------------------------------ */

/* Implements inventory::probe */
static int
gcpiam_probe(const char *head, size_t len)
{
	if (inv_head_starts(head, len, '{') && memmem(head, len, "\"bindings\"", 10) &&
	    memmem(head, len, "\"role\"", 6) && memmem(head, len, "\"members\"", 9) &&
	    !memmem(head, len, "\"protoPayload\"", 14))
		return 95;
	return 0;
}

static int
impersonation_role(const char *role)
{
	return strcmp(role, "roles/iam.serviceAccountTokenCreator") == 0 ||
	       strcmp(role, "roles/iam.serviceAccountUser") == 0 ||
	       strcmp(role, "roles/iam.workloadIdentityUser") == 0 ||
	       strcmp(role, "roles/iam.serviceAccountKeyAdmin") == 0 || strcmp(role, "roles/owner") == 0 ||
	       strcmp(role, "roles/editor") == 0;
}

/* "serviceAccount:x@p.iam.gserviceaccount.com" -> "gcp:x@p...", "user:a@b" -> "gcp:a@b",
 * "group:g@b" -> "gcp:group:g@b", others ("domain:", "allUsers") -> "gcp:" + as is. */
static char *
member_key(const char *m)
{
	if (strncmp(m, "serviceAccount:", 15) == 0)
		return xstrdupf("gcp:%s", m + 15);
	if (strncmp(m, "user:", 5) == 0)
		return xstrdupf("gcp:%s", m + 5);
	return xstrdupf("gcp:%s", m);
}

/* Implements inventory::load */
static int
gcpiam_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	int b, j, k, n, rc, sa_scope = strchr(c->stem, '@') != NULL;
	char *scope = NULL;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	b = json_get(&d, 0, "bindings");
	if (json_type(&d, b) != JSON_ARRAY) {
		rc = inv_fail(c, 0, "IAM policy needs a \"bindings\" array");
		goto out;
	}
	scope = xstrdupf("gcp:%s", c->stem);
	if (graph_tx_node(c->tx, sa_scope ? "identity" : "resource", scope, "gcp",
			  sa_scope ? "service account" : "IAM policy scope (from the file name)", NULL) < 0) {
		rc = CD_E_DB;
		goto out;
	}
	n = json_count(&d, b);
	for (j = 0, k = b + 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k)) {
		char *role = inv_path(&d, k, "role"), *title = inv_path(&d, k, "condition.title");
		char *members = inv_strlist(&d, json_get(&d, k, "members")), *m;
		int cond = json_get(&d, k, "condition") >= 0;
		struct graph_rule r = { .provider = "gcp", .kind = "binding", .owner = scope,
					.effect = "Allow", .actions = role, .resources = scope,
					.principals = members, .conditional = cond, .cond = title };

		if (role == NULL || members == NULL) {
			rc = inv_fail(c, inv_off(&d, k), "binding %d without role or members", j);
		} else {
			rc = graph_tx_rule(c->tx, &r);
			for (m = members; rc == CD_OK && *m;) {
				size_t mn = strcspn(m, "\n");
				char *one = xstrndup(m, mn), *mk = member_key(one);
				char *det = xstrdupf("%s%s%s", role, cond ? " if " : "", cond ? (title ? title : "condition") : "");

				if (sa_scope && impersonation_role(role))
					rc = graph_link(c->tx, "identity", mk, "can-impersonate", "identity", scope,
							cond, det);
				else
					rc = graph_link(c->tx, "identity", mk, "can-access", "resource", scope, cond,
							det);
				free(one);
				free(mk);
				free(det);
				m += mn + (m[mn] == '\n');
			}
			c->objects++;
		}
		free(role);
		free(title);
		free(members);
	}
	if (rc == CD_OK && n == 0)
		c->objects = 1; /* a policy with no bindings is a valid, empty snapshot */
out:
	free(scope);
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_gcpiam = {
	.name = "gcp-iam-policy",
	.summary = "inventory: gcloud ... get-iam-policy --format=json (role bindings)",
	.probe = gcpiam_probe,
	.load = gcpiam_load,
};
