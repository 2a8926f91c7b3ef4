/*
 * incident_report.c - an incident as JSON (the contract scripts depend on)
 * and its row in the incidents table: stable id from the root workload,
 * a new revision only when the content changed.
 */
#include <string.h>

#include "incident.h"

static int
put_time(struct buf *b, int64_t ns)
{
	char t[48];

	if (ns == INT64_MAX || ns == INT64_MIN || ns == EV_NULL)
		return buf_addstr(b, "null");
	time_format(ns, t, sizeof(t));
	return json_put_str(b, t);
}

static int
put_kv(struct buf *b, const char *k, const char *v, int first)
{
	int rc = buf_addstr(b, first ? "\"" : ",\"");

	rc |= buf_addstr(b, k);
	rc |= buf_addstr(b, "\":");
	rc |= json_put_str(b, v && *v ? v : NULL);
	return rc;
}

/*
 * "ambiguous_jobs": the jobs ("RUN/JOB") a CI session's address could not
 * tell apart, one a line in c; [] when the join decided.
 */
static int
put_candidates(struct buf *b, const char *c)
{
	const char *nl;
	int rc = buf_addstr(b, ",\"ambiguous_jobs\":["), first = 1;

	while (*c) {
		nl = strchr(c, '\n');
		if (!first)
			rc |= buf_addc(b, ',');
		rc |= json_put_strn(b, c, nl ? (size_t)(nl - c) : strlen(c));
		first = 0;
		c = nl ? nl + 1 : c + strlen(c);
	}
	return rc | buf_addc(b, ']');
}

static int
put_strv(struct buf *b, const struct strv *v)
{
	size_t i;
	int rc = buf_addc(b, '[');

	for (i = 0; i < v->n; i++) {
		if (i)
			rc |= buf_addc(b, ',');
		rc |= json_put_str(b, v->s[i]);
	}
	return rc | buf_addc(b, ']');
}

/*
 * What every kind of workload says the same way: kind, id, where it ran
 * and the identities attached to it; then the kind's own keys.
 */
static int
put_workload_kind(const struct inc_ctx *c, struct buf *b, const struct workload *w)
{
	struct inv_pod p;
	char sa[600] = "";
	int rc = CD_OK;

	rc |= put_kv(b, "kind", w->kind, 0);
	rc |= put_kv(b, "id", w->id, 0);
	rc |= put_kv(b, "where", w->where[0] ? w->where : w->host, 0);
	rc |= buf_addstr(b, ",\"identities\":[");
	if (w->identity[0]) {
		rc |= json_put_str(b, w->identity);
		/* a CI job is also the OIDC subject its tokens carry */
		if (strcmp(w->kind, "ci-job") == 0 && w->ci_subject[0]) {
			rc |= buf_addc(b, ',');
			rc |= json_put_str(b, w->ci_subject);
		}
	} else if (w->pod_name[0] &&
		   inventory_pod(store_db(c->s), w->pod_ns, w->pod_name, w->pod_uid, &p) && p.sa[0]) {
		snprintf(sa, sizeof(sa), "system:serviceaccount:%s:%s", w->pod_ns, p.sa);
		rc |= json_put_str(b, sa);
	}
	rc |= buf_addc(b, ']');
	if (strcmp(w->kind, "sandbox") == 0) {
		char t[48];

		time_format(w->root_start, t, sizeof(t));
		rc |= put_kv(b, "sandbox", w->name, 0);
		rc |= buf_printf(b, ",\"root_pid\":%lld", (long long)w->root_pid);
		rc |= put_kv(b, "root_start", t, 0);
	}
	if (strcmp(w->kind, "function") == 0 && strncmp(w->id, "projects/", 9) == 0) {
		/* a GCP Cloud Run service or Cloud Function */
		rc |= put_kv(b, "function", w->name, 0);
		rc |= put_kv(b, "resource", w->id, 0);
		rc |= put_kv(b, "runtime", w->runtime, 0);
		rc |= put_kv(b, "service_account", w->identity, 0);
	} else if (strcmp(w->kind, "function") == 0) {
		rc |= put_kv(b, "function", w->name, 0);
		rc |= put_kv(b, "function_arn", w->id, 0);
		rc |= put_kv(b, "runtime", w->runtime, 0);
		rc |= put_kv(b, "execution_role", w->identity, 0);
	}
	if (strcmp(w->kind, "ci-job") == 0) {
		rc |= put_kv(b, "repository", w->ci_repo, 0);
		if (w->ci_run > 0)
			rc |= buf_printf(b, ",\"run_id\":%lld", (long long)w->ci_run);
		rc |= put_kv(b, "job", w->name, 0);
		rc |= put_kv(b, "workflow", w->ci_workflow, 0);
		rc |= put_kv(b, "runner_id", w->ci_runner_id, 0);
		rc |= put_kv(b, "oidc_subject", w->ci_subject, 0);
		rc |= put_kv(b, "role", w->identity, 0);
		rc |= put_candidates(b, w->ci_candidates);
	}
	return rc;
}

int
incident_json(const struct inc_ctx *c, const struct incident *inc, const char *id, struct buf *b)
{
	const struct wl *root = &c->w[inc->root];
	char pod[600] = "";
	size_t i;
	int rc = CD_OK;

	if (root->d.pod_name[0])
		snprintf(pod, sizeof(pod), "%s/%s", root->d.pod_ns, root->d.pod_name);
	rc |= buf_addc(b, '{');
	rc |= put_kv(b, "id", id, 1);
	rc |= put_kv(b, "severity", rule_sev_name((enum rule_sev)inc->sev), 0);
	rc |= buf_addstr(b, ",\"first_seen\":");
	rc |= put_time(b, inc->first);
	rc |= buf_addstr(b, ",\"last_seen\":");
	rc |= put_time(b, inc->last);
	/* how much history the baselines (first-seen, new network) had */
	if (inc->history_from != INT64_MAX && inc->first != INT64_MAX && inc->first >= inc->history_from)
		rc |= buf_printf(b, ",\"history_s\":%lld",
				 (long long)((inc->first - inc->history_from) / 1000000000LL));
	rc |= buf_addstr(b, ",\"root\":");
	rc |= json_put_str(b, root->key);
	rc |= buf_addstr(b, ",\"workload\":{");
	rc |= put_kv(b, "host", root->d.host, 1);
	rc |= put_kv(b, "container_id", root->d.container_id, 0);
	rc |= put_kv(b, "pod", pod, 0);
	rc |= put_kv(b, "pod_uid", root->d.pod_uid, 0);
	rc |= put_kv(b, "image", root->d.image, 0);
	rc |= put_kv(b, "attributed_by", root->d.how, 0);
	rc |= put_workload_kind(c, b, &root->d);
	rc |= buf_addstr(b, "},\"workloads\":[");
	for (i = 0; i < c->nw; i++) {
		int j = (int)i, guard = 0;

		while (c->w[j].parent >= 0 && guard++ < 64)
			j = c->w[j].parent;
		if (j != inc->root || (int)i == inc->root)
			continue;
		rc |= buf_addstr(b, b->data[b->len - 1] == '[' ? "{" : ",{");
		rc |= put_kv(b, "key", c->w[i].key, 1);
		rc |= put_kv(b, "host", c->w[i].d.host, 0);
		rc |= put_kv(b, "container_id", c->w[i].d.container_id, 0);
		rc |= put_kv(b, "why", c->w[i].why, 0);
		rc |= put_kv(b, "kind", c->w[i].d.kind, 0);
		rc |= put_kv(b, "id", c->w[i].d.id, 0);
		rc |= buf_addc(b, '}');
	}
	rc |= buf_addstr(b, "],\"signals\":[");
	for (i = 0; i < inc->nsig; i++) {
		const struct finding *f = &c->f[inc->sig[i]];
		const struct rule *r = ruleset_find(c->rs, f->rule);

		rc |= buf_addstr(b, i ? ",{" : "{");
		rc |= put_kv(b, "rule", f->rule, 1);
		rc |= put_kv(b, "title", r ? r->title : NULL, 0);
		rc |= put_kv(b, "class", f->cls, 0);
		rc |= put_kv(b, "severity", f->severity, 0);
		rc |= buf_addstr(b, ",\"ts\":");
		rc |= put_time(b, f->ts);
		rc |= put_kv(b, "source", f->source, 0);
		rc |= buf_printf(b, ",\"event_id\":%lld", (long long)f->event_id);
		rc |= put_kv(b, "workload", f->workload, 0);
		rc |= put_kv(b, "summary", f->summary, 0);
		rc |= buf_addc(b, '}');
	}
	rc |= buf_addstr(b, "],\"exposed\":[");
	for (i = 0; i < inc->nex; i++) {
		rc |= buf_addstr(b, i ? ",{" : "{");
		rc |= put_kv(b, "kind", inc->ex[i].kind, 1);
		rc |= put_kv(b, "locator", inc->ex[i].locator, 0);
		rc |= buf_addstr(b, ",\"ts\":");
		rc |= put_time(b, inc->ex[i].ts);
		rc |= put_kv(b, "via", inc->ex[i].via, 0);
		rc |= buf_addc(b, '}');
	}
	rc |= buf_addstr(b, "],\"credentials\":[");
	for (i = 0; i < inc->ncr; i++) {
		rc |= buf_addstr(b, i ? ",{" : "{");
		rc |= put_kv(b, "provider", inc->cr[i].provider, 1);
		rc |= put_kv(b, "id", inc->cr[i].id, 0);
		rc |= put_kv(b, "identity", inc->cr[i].identity, 0);
		rc |= buf_printf(b, ",\"used_after_exposure\":%s,\"anomalies\":",
				 inc->cr[i].used_after ? "true" : "false");
		rc |= put_strv(b, &inc->cr[i].anomalies);
		if (inc->cr[i].confidence != NULL) {
			rc |= buf_printf(b, ",\"learned\":{\"confidence\":\"%s\",\"evidence\":",
					 inc->cr[i].confidence);
			rc |= put_strv(b, &inc->cr[i].evidence);
			rc |= buf_addc(b, '}');
		}
		rc |= buf_addc(b, '}');
	}
	rc |= buf_addstr(b, "],\"reachable\":[");
	for (i = 0; i < inc->nre; i++) {
		rc |= buf_addstr(b, i ? ",{" : "{");
		rc |= put_kv(b, "provider", inc->re[i].provider, 1);
		rc |= put_kv(b, "identity", inc->re[i].identity, 0);
		rc |= buf_addstr(b, ",\"path\":");
		rc |= put_strv(b, &inc->re[i].path);
		rc |= buf_printf(b, ",\"conditional\":%s}", inc->re[i].conditional ? "true" : "false");
	}
	rc |= buf_addstr(b, "],\"plan\":[");
	for (i = 0; i < inc->nplan; i++) {
		rc |= buf_addstr(b, i ? ",{" : "{");
		rc |= put_kv(b, "provider", inc->plan[i].provider, 1);
		rc |= put_kv(b, "action", inc->plan[i].action, 0);
		rc |= put_kv(b, "target", inc->plan[i].target, 0);
		rc |= put_kv(b, "why", inc->plan[i].why, 0);
		rc |= buf_addc(b, '}');
	}
	rc |= buf_addstr(b, "]}");
	return rc ? CD_E_LIMIT : CD_OK;
}

int
incident_store(struct inc_ctx *c, sqlite3 *db, const struct incident *inc,
	       struct incident_change *ch)
{
	unsigned char h[32], digest[32];
	char id[80], hex[65];
	struct buf b;
	sqlite3_stmt *st;
	int rc = CD_E_DB, exists = 0, same = 0;
	int64_t now = time_now_ns();

	sha256(c->w[inc->root].key, strlen(c->w[inc->root].key), h);
	hex_encode(h, 5, hex);
	snprintf(id, sizeof(id), "INC-%s", hex);
	buf_init(&b, (size_t)64 << 20);
	if (incident_json(c, inc, id, &b) != CD_OK) {
		buf_release(&b);
		return CD_E_LIMIT;
	}
	sha256(b.data, b.len, digest);
	if (sqlite3_prepare_v2(db, "SELECT digest FROM incidents WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		exists = 1;
		same = sqlite3_column_bytes(st, 0) == 32 &&
		       memcmp(sqlite3_column_blob(st, 0), digest, 32) == 0;
	}
	sqlite3_finalize(st);
	if (same) {
		ch->unchanged++;
		rc = CD_OK;
		goto out;
	}
	/* assembled without a lock: the lock is taken for this row only */
	if (store_begin_wait(c->s, CORR_WRITE_WAIT_NS) != CD_OK)
		goto out;
	if (sqlite3_prepare_v2(db,
			       exists
			       ? "UPDATE incidents SET severity=?2, first_ns=?3, last_ns=?4, updated_ns=?5,"
				 " revision=revision+1, digest=?6, report=?7 WHERE id=?1"
			       : "INSERT INTO incidents(id, root, severity, first_ns, last_ns, opened_ns,"
				 " updated_ns, digest, report) VALUES(?1, ?8, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
			       -1, &st, NULL) != SQLITE_OK) {
		store_rollback(c->s);
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rule_sev_name((enum rule_sev)inc->sev), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, inc->first);
	sqlite3_bind_int64(st, 4, inc->last);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_blob(st, 6, digest, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, b.data, (int)b.len, SQLITE_STATIC);
	if (!exists)
		sqlite3_bind_text(st, 8, c->w[inc->root].key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE && store_commit(c->s) == CD_OK) {
		rc = CD_OK;
		if (exists)
			ch->changed++;
		else
			ch->opened++;
	}
	sqlite3_finalize(st);
	if (rc != CD_OK)
		store_rollback(c->s);
out:
	buf_release(&b);
	return rc;
}
