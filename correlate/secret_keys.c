/*
 * secret_keys.c - whether a Kubernetes Secret can hold a cloud access key,
 * from the key names the inventory lists (never values).
 *
 * A key learned from timing alone (an unmapped Secret returned, then a
 * long-lived key used from a new network) is a guess; a Secret whose keys
 * are "username" and "password", a PEM or a DSN cannot be where the key
 * came from, and guessing it anyway put unrelated keys (a report job's,
 * used from a new address in the same hour) into incidents.
 */
#include <ctype.h>
#include <string.h>

#include "engine.h"

/* A key name a cloud key or a credentials file is stored under. */
static int
keyish(const char *name)
{
	static const char *const marks[] = { "aws", "access", "credential", "key_id", "keyid",
					     "secret_key", "secretkey", "config", "ini", NULL };
	char low[256];
	size_t i, n = strlen(name);

	if (n >= sizeof(low))
		return 1; /* unusual: do not rule it out */
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	for (i = 0; marks[i] != NULL; i++)
		if (strstr(low, marks[i]) != NULL)
			return 1;
	return 0;
}

int
secret_may_hold_cloud_key(sqlite3 *db, const char *locator)
{
	sqlite3_stmt *st;
	int listed = 0, may = 0;

	if (strncmp(locator, "k8s-secret:", 11) != 0)
		return 1;
	if (sqlite3_prepare_v2(db,
			       "SELECT j.value FROM graph_nodes n, json_each(n.attrs, '$.keys') j"
			       " WHERE n.kind = 'secret' AND n.key = ?1 AND json_valid(n.attrs)",
			       -1, &st, NULL) != SQLITE_OK)
		return 1;
	sqlite3_bind_text(st, 1, locator, -1, SQLITE_STATIC);
	while (!may && sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		listed = 1;
		may = k == NULL || keyish(k);
	}
	sqlite3_finalize(st);
	/* no inventory of its keys: it may hold anything */
	return !listed || may;
}
