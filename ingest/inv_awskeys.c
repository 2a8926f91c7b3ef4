/*
 * inv_awskeys.c - `aws iam list-access-keys` output: which user owns an
 * access key id, its status and creation date.  The output names the user
 * but not its ARN, so the owner is stored as an attachment ("key-owner")
 * and resolved to the user's ARN when the graph is derived (a user known
 * from get-account-authorization-details), else to "aws:user/NAME".
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

/* Implements inventory::probe */
static int
awskeys_probe(const char *head, size_t len)
{
	if (inv_head_starts(head, len, '{') && memmem(head, len, "\"AccessKeyMetadata\"", 19))
		return 97;
	return 0;
}

/* Implements inventory::load */
static int
awskeys_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	int list, n, j, k, rc;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	list = json_get(&d, 0, "AccessKeyMetadata");
	if (json_type(&d, list) != JSON_ARRAY) {
		rc = inv_fail(c, 0, "AccessKeyMetadata must be an array");
		goto out;
	}
	n = json_count(&d, list);
	for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k)) {
		char *user = inv_path(&d, k, "UserName"), *id = inv_path(&d, k, "AccessKeyId");
		char *status = inv_path(&d, k, "Status"), *created = inv_path(&d, k, "CreateDate");
		const struct inv_attr kv[] = { { "user", user }, { "status", status }, { "created", created } };
		char *key, *label, *attrs;

		if (id == NULL || user == NULL) {
			rc = inv_fail(c, inv_off(&d, k), "access key entry without AccessKeyId or UserName");
		} else {
			key = xstrdupf("aws:%s", id);
			label = xstrdupf("access key of %s (%s)", user, status ? status : "status unknown");
			attrs = inv_attrs(kv, sizeof(kv) / sizeof(kv[0]));
			if (graph_tx_node(c->tx, "credential", key, "aws", label, attrs) < 0)
				rc = CD_E_DB;
			else
				rc = graph_tx_attach(c->tx, "aws", "key-owner", key, user, NULL);
			c->objects++;
			free(attrs);
			free(key);
			free(label);
		}
		free(user);
		free(id);
		free(status);
		free(created);
	}
out:
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_awskeys = {
	.name = "iam-keys",
	.summary = "inventory: aws iam list-access-keys (key id -> user, status)",
	.probe = awskeys_probe,
	.load = awskeys_load,
};
