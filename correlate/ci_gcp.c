/*
 * ci_gcp.c - a GitHub Actions job's GCP calls through workload identity
 * federation, tied to the job as its AWS sessions are (ci_job.c).
 *
 * The job's OIDC token is exchanged at sts.googleapis.com
 * (SecurityTokenService.ExchangeToken); Cloud Audit Logs name the caller
 * by its federated principal,
 *   principal://iam.googleapis.com/projects/NUM/locations/global/
 *     workloadIdentityPools/POOL/subject/SUBJECT
 * in authenticationInfo.principalSubject (the ingester keeps it as the
 * actor when there is no principalEmail).  The job then calls with that
 * token (the same principal), or impersonates a service account
 * (iamcredentials GenerateAccessToken) whose calls carry the principal in
 * serviceAccountDelegationInfo[].principalSubject (extra.delegation).
 * SUBJECT is GitHub's sub claim ("repo:O/R:environment:E", ...) with the
 * usual attribute mapping google.subject = assertion.sub; a pool mapped
 * otherwise names no repository, and no job is found.  Like CloudTrail,
 * the audit log carries no run id: the job is joined by subject, the
 * exchange's time and its address (ci_job_of_exchange).
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define WIF_PREFIX "principal://iam.googleapis.com/"
#define TOKEN_LIFE_NS ((int64_t)3600 * 1000000000LL) /* a federated token's default life */

static const char *
gh_subject(const char *principal)
{
	const char *s;

	if (principal == NULL || strncmp(principal, WIF_PREFIX, sizeof(WIF_PREFIX) - 1) != 0 ||
	    strstr(principal, "/workloadIdentityPools/") == NULL || (s = strstr(principal, "/subject/")) == NULL)
		return NULL;
	s += 9;
	return strncmp(s, "repo:", 5) == 0 ? s : NULL;
}

/* The federated principal in extra's delegation chain, if any. */
static int
delegated_principal(const char *extra, char *out, size_t cap)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	int i, n, k, p, found = 0;
	size_t len;

	json_tokens_init(&t, 256);
	if (json_parse(&d, extra, strlen(extra), &t, &why) == CD_OK && (i = json_get(&d, 0, "delegation")) >= 0 &&
	    json_type(&d, i) == JSON_ARRAY) {
		n = json_count(&d, i);
		for (k = 0; k < n && !found; k++)
			if ((p = json_get(&d, json_at(&d, i, k), "principalSubject")) >= 0 &&
			    json_str(&d, p, out, cap, &len) == CD_OK && len < cap && gh_subject(out) != NULL)
				found = 1;
	}
	json_tokens_release(&t);
	if (!found && cap > 0)
		out[0] = '\0';
	return found;
}

int
ci_wif_principal(const struct event *ev, char *out, size_t cap)
{
	if (ev->source == NULL || strcmp(ev->source, "gcpaudit") != 0)
		return 0;
	if (gh_subject(ev->actor) != NULL && strlen(ev->actor) < cap) {
		snprintf(out, cap, "%s", ev->actor);
		return 1;
	}
	/* a service account's call on behalf of the job's principal */
	return ev->extra != NULL && strstr(ev->extra, "/workloadIdentityPools/") != NULL &&
	       strstr(ev->extra, "/subject/repo:") != NULL && delegated_principal(ev->extra, out, cap);
}

/* Whether line is one of list's lines. */
static int
line_in(const char *list, const char *line)
{
	size_t n = strlen(line);
	const char *p = list;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == list || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static int
is_exchange(const char *action)
{
	static const char m[] = "SecurityTokenService.ExchangeToken";
	size_t n = action ? strlen(action) : 0;

	return n >= sizeof(m) - 1 && strcmp(action + n - (sizeof(m) - 1), m) == 0;
}

/* The service account a principal's GenerateAccessToken named, after from. */
static void
impersonated(sqlite3 *db, const char *principal, int64_t from, int64_t to, char *out, size_t cap)
{
	sqlite3_stmt *st;
	const char *obj, *sa;

	if (sqlite3_prepare_v2(db,
			       "SELECT object FROM events WHERE ts_ns BETWEEN ?2 AND ?3 AND source = 'gcpaudit'"
			       " AND actor = ?1 AND action LIKE '%GenerateAccessToken' AND object LIKE '%@%'"
			       " ORDER BY ts_ns LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	/* projects/-/serviceAccounts/EMAIL */
	if (sqlite3_step(st) == SQLITE_ROW && (obj = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    (sa = strstr(obj, "serviceAccounts/")) != NULL)
		snprintf(out, cap, "%s", sa + 16);
	sqlite3_finalize(st);
}

/* Add w's job(s) ("RUN/JOB" lines, or its id without a run) to the list. */
static void
add_jobs(char *list, size_t cap, const struct workload *w)
{
	char one[400];
	const char *c = w->ci_candidates[0] ? w->ci_candidates : one;
	size_t len = strlen(list);

	if (w->ci_run > 0 && w->name[0])
		snprintf(one, sizeof(one), "%lld/%s", (long long)w->ci_run, w->name);
	else
		snprintf(one, sizeof(one), "%.*s", (int)sizeof(one) - 1, w->id);
	while (*c) {
		const char *nl = strchr(c, '\n');
		size_t n = nl ? (size_t)(nl - c) : strlen(c);
		char item[400];

		snprintf(item, sizeof(item), "%.*s", (int)n, c);
		if (!line_in(list, item) && len + n + 2 < cap) {
			len += (size_t)snprintf(list + len, cap - len, "%s%s", len ? "\n" : "", item);
		}
		c = nl ? nl + 1 : c + n;
	}
}

/*
 * The jobs whose exchange of principal came within a token's life before
 * ev (account: only those whose GenerateAccessToken of it, from the
 * exchange's address, came before ev): the first into w, each into list;
 * *run the run they share (0: several), *same whether all are w's job,
 * *latest the newest exchange.  How many.
 */
static int
exchanges_for(sqlite3 *db, const char *principal, const struct event *ev, const char *account, const char *ident,
	      struct workload *w, char *list, size_t cap, int64_t *run, int *same, int64_t *latest)
{
	sqlite3_stmt *st;
	struct workload *one;
	const char *sub = gh_subject(principal);
	int n = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT x.ts_ns, x.src_ip FROM events x WHERE x.ts_ns BETWEEN ?2 - ?3 AND ?2"
			       " AND x.source = 'gcpaudit' AND x.actor = ?1"
			       " AND x.action LIKE '%SecurityTokenService.ExchangeToken'"
			       " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM events g WHERE g.ts_ns BETWEEN x.ts_ns AND ?2"
			       "  AND g.source = 'gcpaudit' AND g.actor = ?1 AND g.src_ip IS x.src_ip"
			       "  AND g.action LIKE '%GenerateAccessToken' AND g.object LIKE '%serviceAccounts/' || ?4"
			       "  AND g.outcome = 'success'))"
			       " ORDER BY x.ts_ns DESC LIMIT 16",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	one = xcalloc(1, sizeof(*one));
	sqlite3_bind_text(st, 1, principal, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ev->ts_ns);
	sqlite3_bind_int64(st, 3, TOKEN_LIFE_NS);
	if (account != NULL)
		sqlite3_bind_text(st, 4, account, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct workload *x = n == 0 ? w : one;

		if (!ci_job_of_exchange(db, sub, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
					ident, x))
			continue;
		if (n == 0)
			*latest = sqlite3_column_int64(st, 0);
		if (n > 0 && strcmp(one->id, w->id) != 0)
			*same = 0;
		add_jobs(list, cap, x);
		if (*run == -1)
			*run = w->ci_run;
		if (x->ci_run != *run || x->ci_run <= 0)
			*run = 0;
		n++;
	}
	sqlite3_finalize(st);
	free(one);
	return n;
}

int
ci_job_of_gcp_event(sqlite3 *db, const struct event *ev, struct workload *w)
{
	char principal[600], ident[320] = "", list[512] = "";
	const char *sub, *account = NULL;
	int n = 0, same = 1, found = 0;
	int64_t run = -1, latest = 0;

	if (!ci_wif_principal(ev, principal, sizeof(principal)))
		return 0;
	sub = gh_subject(principal);
	/* what it was exchanged for: the account it impersonated, else itself */
	if (ev->actor != NULL && strchr(ev->actor, '@') != NULL && strlen(ev->actor) < sizeof(ident))
		snprintf(ident, sizeof(ident), "%s", ev->actor);
	else
		impersonated(db, principal, ev->ts_ns - TOKEN_LIFE_NS, ev->ts_ns + TOKEN_LIFE_NS, ident, sizeof(ident));
	if (!ident[0])
		snprintf(ident, sizeof(ident), "%.*s", (int)sizeof(ident) - 1, principal);
	if (is_exchange(ev->action))
		found = ci_job_of_exchange(db, sub, ev->ts_ns, ev->src_ip, ident, w);
	if (found || is_exchange(ev->action)) {
		if (found)
			snprintf(w->ci_principal, sizeof(w->ci_principal), "%.*s", (int)sizeof(w->ci_principal) - 1,
				 principal);
		return found;
	}
	/*
	 * A call with the token (or an account's token it bought): nothing in
	 * the log says which exchange's.  Every job whose exchange of the
	 * principal was at most a token's life before may have held it: one
	 * job decides, several are recorded as an undecided join.  A call as
	 * an account needs the account's token: an exchange counts only if its
	 * job bought one (GenerateAccessToken from the exchange's address)
	 * before the call; when none did (bought from another address), every
	 * exchange counts.
	 */
	if (ev->actor != NULL && strcmp(ev->actor, principal) != 0 && strchr(ev->actor, '@') != NULL)
		account = ev->actor;
	n = exchanges_for(db, principal, ev, account, ident, w, list, sizeof(list), &run, &same, &latest);
	if (n == 0 && account != NULL)
		n = exchanges_for(db, principal, ev, NULL, ident, w, list, sizeof(list), &run, &same, &latest);
	if (n == 0)
		return 0;
	if (!same || w->ci_candidates[0]) {
		/* several jobs' tokens lived then: the run if they share one */
		snprintf(w->ci_candidates, sizeof(w->ci_candidates), "%s", list);
		w->name[0] = '\0';
		w->ci_runner_id[0] = '\0';
		w->ci_run = run > 0 ? run : 0;
		if (w->ci_run > 0)
			snprintf(w->id, sizeof(w->id), "%s/runs/%lld", w->ci_repo, (long long)w->ci_run);
		else
			snprintf(w->id, sizeof(w->id), "%s@%lld", w->ci_subject, (long long)(latest / 1000000000LL));
	}
	snprintf(w->ci_principal, sizeof(w->ci_principal), "%.*s", (int)sizeof(w->ci_principal) - 1, principal);
	return 1;
}
