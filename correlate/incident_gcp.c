/*
 * incident_gcp.c - the plan of an incident whose workload is a GCP Cloud
 * Run service or Cloud Function whose service-account token left it.
 *
 * The token came from the metadata server: Google offers no call that
 * revokes one access token of a service account, so cutting it is manual
 * (disable the account, which stops the service too, or remove its roles
 * and wait out the token's lifetime).  The account's user-managed keys are
 * separate credentials of the same account: disable-key (reversible)
 * through the GCP connector.  The Secret Manager secrets the service's
 * environment references were readable by the runtime: rotate them
 * (manual: a new version, then disable the old ones).
 */
#include <string.h>

#include "incident.h"

/* The user-managed keys of account email (gcp-keys inventory, or keys
 * the logs saw it create), as the connector names them. */
static void
account_keys(sqlite3 *db, struct incident *inc, const char *email, const char *why)
{
	sqlite3_stmt *st;
	char ikey[400];

	snprintf(ikey, sizeof(ikey), "gcp:%s", email);
	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT substr(c.key, 5) FROM graph_nodes i JOIN graph_edges e"
			       " ON e.dst = i.id AND e.type = 'authenticates-as' JOIN graph_nodes c ON c.id = e.src"
			       " AND c.kind = 'credential' WHERE i.kind = 'identity' AND i.key = ?1"
			       " AND c.key LIKE 'gcp:projects/%/serviceAccounts/%/keys/%' ORDER BY 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, ikey, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		add_step(inc, "gcp", "disable-key", (const char *)sqlite3_column_text(st, 0), why);
	sqlite3_finalize(st);
}

/*
 * A CI job's GCP federation: the pool refuses the job's subject (the
 * provider's attribute condition, or the principal's
 * roles/iam.workloadIdentityUser binding on the account: manual, no
 * connector), then the accounts it impersonated, whose access tokens no
 * call revokes one by one, and their user-managed keys.
 */
static void
plan_gcp_ci(sqlite3 *db, struct incident *inc, const struct workload *root)
{
	const char *sub = strstr(root->ci_principal, "/subject/");
	char t[700];
	size_t i;

	if (sub == NULL)
		return;
	/* principal://iam.googleapis.com/POOL/subject/SUB -> POOL:SUB */
	snprintf(t, sizeof(t), "%.*s:%s", (int)(sub - root->ci_principal - 31), root->ci_principal + 31,
		 sub + 9);
	add_step(inc, "gcp", "deny-wif-subject", t,
		 "manual, contain first: tighten the pool provider's attribute condition (or remove the "
		 "principal's roles/iam.workloadIdentityUser binding) so the job's subject is refused; a "
		 "federated token already issued lives until it expires (1 h by default); no connector yet");
	for (i = 0; i < inc->ncr; i++) {
		const char *email;

		if (strcmp(inc->cr[i].provider, "gcp") != 0 || strncmp(inc->cr[i].id, "token:", 6) != 0 ||
		    strchr(inc->cr[i].id, '@') == NULL || strncmp(inc->cr[i].id + 6, "principal", 9) == 0)
			continue;
		email = inc->cr[i].id + 6;
		add_step(inc, "gcp", "revoke-sa-tokens", email,
			 "manual: the job impersonated the account and its access tokens left the runner; "
			 "none can be revoked one by one: disable the account (gcloud iam service-accounts "
			 "disable) or remove its roles until the tokens expire (1 h by default)");
		account_keys(db, inc, email,
			     "a user-managed key of the account the job impersonated: another way in as "
			     "the same account (reversible: enable-key)");
	}
}

void
plan_gcp_service(sqlite3 *db, struct incident *inc, const struct workload *root)
{
	size_t i;

	if (strcmp(root->kind, "ci-job") == 0) {
		plan_gcp_ci(db, inc, root);
		return;
	}

	if (strcmp(root->kind, "function") == 0 && strncmp(root->id, "projects/", 9) == 0)
		add_step(inc, "gcp", "stop-service", root->id,
			 "manual, contain first: no new instances taking the account's tokens (Cloud Run: "
			 "ingress internal or the traffic to no revision; a function: delete or redeploy it "
			 "with another account); no connector yet");
	for (i = 0; i < inc->ncr; i++) {
		const char *email;

		if (strcmp(inc->cr[i].provider, "gcp") != 0 || strncmp(inc->cr[i].id, "token:", 6) != 0)
			continue;
		email = inc->cr[i].id + 6;
		add_step(inc, "gcp", "revoke-sa-tokens", email,
			 "manual: the metadata server's access tokens of the account cannot be revoked one "
			 "by one; disable the account (gcloud iam service-accounts disable, stops the "
			 "service too) or remove its roles until the tokens expire (1 h by default)");
		account_keys(db, inc, email,
			     "a user-managed key of the service's account, whose token left the service: "
			     "another way in as the same account (reversible: enable-key)");
	}
	for (i = 0; i < inc->nex; i++)
		if (strcmp(inc->ex[i].kind, "gcp-secret") == 0)
			add_step(inc, "gcp", "rotate-secret", inc->ex[i].locator + 11,
				 "manual: the service's environment held this Secret Manager secret; add a "
				 "new version, then disable the old ones");
}
