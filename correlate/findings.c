/*
 * findings.c - pass 1 of the correlator: every event that arrived since the
 * last run, against every rule, into the findings table.
 *
 * One sequential read of the new rows (rowid order, the cheapest scan).
 * Stateless rules produce hits at once.  Window rules (distinct/count)
 * collect small candidates that are sorted by (rule, entity, time) and
 * swept; the candidates a later window can still reach are kept in
 * window_state, so a window spanning two runs counts the same as one.  first-seen rules compare each (entity,
 * value) pair's earliest time in this run with the baselines table.
 * Findings are keyed (event, rule): rerunning adds nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"


struct hit {
	int64_t event_id;
	size_t rule;
};

/* A rule that could not be evaluated on an event (a regex hit a PCRE2 limit). */
struct rerr {
	int64_t event_id;
	char *why;
};
#define RERR_KEEP 1000 /* rows per run in rejects; all are counted */

struct cand {
	uint64_t entity;  /* hash of the entity value */
	uint64_t value;   /* hash of the counted value (distinct) */
	int64_t ts, id;
	size_t rule;
};

struct pass {
	const struct ruleset *rs;
	struct hit *hits;
	size_t nhits, caphits;
	struct cand *cands;
	size_t ncands, capcands;
	struct strmap seen;    /* "rule\0entity\0value" -> a=min ts, b=event id, c=max ts */
	struct strmap ent;     /* "field\0entity" -> a=min ts: any event, not just matches */
	struct strmap addr;    /* (address, credential) hashes -> a=min ts, b=its event, c=max ts */
	int ent_fields[8];     /* the entity fields of first-seen rules */
	size_t nent_fields;
	int64_t max_window;
	const struct known_net *net;
	int progress;          /* stderr is a terminal */
	int64_t total, shown_ns;
	struct rerr *rerrs;    /* the first RERR_KEEP */
	size_t nrerrs;
	int64_t rerr_count;
};

/*
 * The write side of a run: short transactions.  Everything is read and
 * matched first, with no lock held; then findings, window state and
 * baselines are written, each transaction ending once it has held the
 * lock for TX_BUDGET_NS; the next one is asked for in turn
 * (store_begin_wait), so a follower or a revocation already waiting gets
 * the store first.  (A fixed 120 ms pause did that before the writers
 * had a queue; it cost a run three quarters of its writing time.)
 * Findings and window rows are keyed (rerunning adds nothing); the
 * baselines come after the findings they decided and the run's mark comes
 * last, so a run cut between transactions is redone by the next one.
 */
#define TX_BUDGET_NS ((int64_t)40 * 1000000LL)
#define TX_CHECK     15 /* rows between two looks at the clock (a power of 2, less 1) */

struct wtx {
	struct store *s;
	int64_t start;
	int open;
};

/*
 * Between two transactions, with no lock held: a passive checkpoint (it
 * never blocks a writer or a reader).  The connection's automatic one
 * would run inside COMMIT, and the time the write lock is held would
 * count its copying and syncing too.
 */
static void
wtx_checkpoint(struct wtx *t)
{
	(void)sqlite3_wal_checkpoint_v2(store_db(t->s), NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static int
wtx_begin(struct wtx *t)
{
	/* checkpoints between transactions, not inside COMMIT (wtx_checkpoint) */
	sqlite3_wal_autocheckpoint(store_db(t->s), 0);
	if (t->open)
		return CD_OK;
	if (store_begin_wait(t->s, CORR_WRITE_WAIT_NS) != CD_OK)
		return CD_E_DB;
	t->open = 1;
	t->start = time_now_ns();
	return CD_OK;
}

/* Called between rows: ends the transaction once over its budget. */
static int
wtx_step(struct wtx *t)
{
	if (!t->open || time_now_ns() - t->start < TX_BUDGET_NS)
		return t->open ? CD_OK : wtx_begin(t);
	if (store_commit(t->s) != CD_OK)
		return CD_E_DB;
	t->open = 0;
	wtx_checkpoint(t);
	return wtx_begin(t);
}

static int
wtx_end(struct wtx *t, int ok)
{
	if (!t->open)
		return ok ? CD_OK : CD_E_DB;
	t->open = 0;
	if (ok && store_commit(t->s) == CD_OK) {
		wtx_checkpoint(t);
		return CD_OK;
	}
	store_rollback(t->s);
	return CD_E_DB;
}

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void
add_hit(struct pass *p, int64_t id, size_t rule)
{
	if (p->nhits == p->caphits) {
		p->caphits = p->caphits ? p->caphits * 2 : 256;
		p->hits = xrealloc(p->hits, p->caphits * sizeof(*p->hits));
	}
	p->hits[p->nhits].event_id = id;
	p->hits[p->nhits++].rule = rule;
}

static void
add_cand(struct pass *p, const struct cand *c)
{
	if (p->ncands == p->capcands) {
		p->capcands = p->capcands ? p->capcands * 2 : 1024;
		p->cands = xrealloc(p->cands, p->capcands * sizeof(*p->cands));
	}
	p->cands[p->ncands++] = *c;
}

static void
first_seen_note(struct pass *p, size_t ri, const char *entity, const char *value, int64_t ts,
		int64_t id)
{
	char key[1024];
	const char *rid = p->rs->r[ri].id;
	size_t a = strlen(rid), b = strlen(entity), c = strlen(value), n = a + 1 + b + 1 + c;
	int created;
	struct strmap_entry *e;

	/* "rule\0entity\0value", built without printf: this runs for most events */
	if (n >= sizeof(key))
		return;
	memcpy(key, rid, a);
	key[a] = '\0';
	memcpy(key + a + 1, entity, b);
	key[a + 1 + b] = '\0';
	memcpy(key + a + 2 + b, value, c);
	key[n] = '\0';
	e = strmap_get(&p->seen, key, n, &created);
	if (created || ts < e->a) {
		e->a = ts;
		e->b = id;
	}
	if (created || ts > e->c)
		e->c = ts;
}

/* An entity's history is every event it appears in, matched or not. */
static void
entity_note(struct pass *p, struct match_ev *m, int64_t ts)
{
	size_t i;
	char key[600];
	int n, created;
	struct strmap_entry *e;

	for (i = 0; i < p->nent_fields; i++) {
		const char *ent = match_field(m, p->ent_fields[i], NULL);
		const char *name = rule_field_name(p->ent_fields[i]);
		size_t a, b;

		if (ent == NULL)
			continue;
		/* a principal that is the actor itself is noted as the actor (below) */
		if (p->ent_fields[i] == (int)ev_nfields + VF_PRINCIPAL && ent == m->ev->actor)
			continue;
		/* "field\0entity", built without printf: this runs for every event */
		a = strlen(name);
		b = strlen(ent);
		if (a + 1 + b > sizeof(key))
			continue;
		memcpy(key, name, a);
		key[a] = '\0';
		memcpy(key + a + 1, ent, b);
		n = (int)(a + 1 + b);
		e = strmap_get(&p->ent, key, (size_t)n, &created);
		if (created || ts < e->a)
			e->a = ts;
	}
}

/*
 * Which credential was used from which public address, and when first:
 * kept in baselines under rule "*addr" (entity = address, value =
 * credential), so the incident builder can ask, by address, what else an
 * attacker's address used (network joins) without a scan of the events.
 * This runs for every event: the pair is keyed by its two 64-bit hashes
 * (a = first time, b = that event's id, c = last time) and its strings are
 * read back by id when the run's pairs are written.
 */
static void
addr_note(struct pass *p, struct match_ev *m, const struct event *ev, int64_t id)
{
	uint64_t key[2];
	const char *kind;
	int created;
	struct strmap_entry *e;

	if (ev->cred_id == NULL || ev->src_ip == NULL)
		return;
	kind = match_field(m, (int)ev_nfields + VF_SRC_KIND, NULL);
	if (kind == NULL || strcmp(kind, "public") != 0)
		return;
	key[0] = hash_str(ev->src_ip);
	key[1] = hash_str(ev->cred_id);
	e = strmap_get(&p->addr, (const char *)key, sizeof(key), &created);
	if (created || ev->ts_ns < e->a) {
		e->a = ev->ts_ns;
		e->b = id;
	}
	if (created || ev->ts_ns > e->c)
		e->c = ev->ts_ns;
}

/* An (address, credential) sighting ready to be folded into the baselines. */
struct arow {
	char *ip, *cred;
	int64_t first, last;
};

static void
arows_free(struct arow *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].ip);
		free(a[i].cred);
	}
	free(a);
}

/* The address and credential of each pair's event, read before the lock. */
static int
addr_prepare(struct pass *p, sqlite3 *db, struct arow **out, size_t *nout)
{
	sqlite3_stmt *get = NULL;
	struct arow *a = xcalloc(p->addr.n ? p->addr.n : 1, sizeof(*a));
	size_t i, n = 0;

	*out = a;
	*nout = 0;
	if (sqlite3_prepare_v2(db, "SELECT src_ip, cred_id FROM events WHERE id = ?1", -1, &get, NULL) !=
	    SQLITE_OK)
		return CD_E_DB;
	for (i = 0; i < p->addr.cap && n < p->addr.n; i++) {
		struct strmap_entry *e = &p->addr.slot[i];
		const unsigned char *ip, *cred;

		if (e->key == NULL)
			continue;
		sqlite3_bind_int64(get, 1, e->b);
		if (sqlite3_step(get) == SQLITE_ROW) {
			ip = sqlite3_column_text(get, 0);
			cred = sqlite3_column_text(get, 1);
			a[n].ip = ip ? xstrdup((const char *)ip) : NULL;
			a[n].cred = cred ? xstrdup((const char *)cred) : NULL;
			a[n].first = e->a;
			a[n].last = e->c;
			n++;
		}
		sqlite3_reset(get);
	}
	sqlite3_finalize(get);
	*nout = n;
	return CD_OK;
}

static int
addr_finish(const struct arow *a, size_t n, sqlite3 *db, struct wtx *t)
{
	sqlite3_stmt *put = NULL;
	size_t i;
	int rc = CD_OK;

	if (sqlite3_prepare_v2(db,
			       "INSERT INTO baselines(rule, entity, value, first_ns, last_ns, n)"
			       " VALUES('*addr', ?1, ?2, ?3, ?4, 1) ON CONFLICT(rule, entity, value) DO UPDATE"
			       " SET first_ns = min(first_ns, excluded.first_ns),"
			       " last_ns = max(last_ns, excluded.last_ns), n = n + 1",
			       -1, &put, NULL) != SQLITE_OK)
		return CD_E_DB;
	for (i = 0; i < n && rc == CD_OK; i++) {
		if ((i & TX_CHECK) == 0 && (rc = wtx_step(t)) != CD_OK)
			break;
		sqlite3_bind_text(put, 1, a[i].ip, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 2, a[i].cred, -1, SQLITE_STATIC);
		sqlite3_bind_int64(put, 3, a[i].first);
		sqlite3_bind_int64(put, 4, a[i].last);
		if (sqlite3_step(put) != SQLITE_DONE)
			rc = CD_E_DB;
		sqlite3_reset(put);
	}
	sqlite3_finalize(put);
	return rc;
}

/* One event against every rule. */
static void
eval_event(struct pass *p, const struct known_net *net, struct json_tokens *toks,
	   const struct event *ev, int64_t id)
{
	struct match_ev m;
	size_t i;

	match_ev_init(&m, ev, toks);
	m.net = net;
	entity_note(p, &m, ev->ts_ns);
	addr_note(p, &m, ev, id);
	for (i = 0; i < p->rs->n; i++) {
		const struct rule *r = &p->rs->r[i];
		const char *ent, *val;
		struct cand c;

		int hit = rule_matches(r, &m);

		if (m.re_err) {
			/* never silently: an attacker's string must not hide its event */
			p->rerr_count++;
			if (p->nrerrs < RERR_KEEP) {
				char why[1024];

				rule_match_error(r, &m, why, sizeof(why));
				if (p->nrerrs % 64 == 0)
					p->rerrs = xrealloc(p->rerrs, (p->nrerrs + 64) * sizeof(*p->rerrs));
				p->rerrs[p->nrerrs].event_id = id;
				p->rerrs[p->nrerrs++].why = xstrdup(why);
			}
		}
		if (!hit)
			continue;
		switch (r->st.kind) {
		case STATE_NONE:
			add_hit(p, id, i);
			break;
		case STATE_FIRST_SEEN:
			ent = match_field(&m, r->st.entity_field, NULL);
			if (ent == NULL)
				break;
			{
				char ebuf[512];
				size_t en = strlen(ent);

				/* the value may reuse the entity's buffer: keep a copy */
				if (en >= sizeof(ebuf))
					en = sizeof(ebuf) - 1;
				memcpy(ebuf, ent, en);
				ebuf[en] = '\0';
				val = match_field(&m, r->st.value_field, NULL);
				/* a learn-only sighting is noted without its event:
				 * it teaches the baseline, it is never a finding */
				if (val != NULL)
					first_seen_note(p, i, ebuf, val, ev->ts_ns,
							r->nquiet && rule_learn_only(r, &m) ? -1 : id);
			}
			break;
		case STATE_DISTINCT:
		case STATE_COUNT:
			ent = match_field(&m, r->st.entity_field, NULL);
			if (ent == NULL)
				break;
			c.entity = hash_str(ent);
			c.value = 0;
			if (r->st.kind == STATE_DISTINCT) {
				val = match_field(&m, r->st.value_field, NULL);
				if (val == NULL)
					break;
				c.value = hash_str(val);
			}
			c.ts = ev->ts_ns;
			c.id = id;
			c.rule = i;
			add_cand(p, &c);
			break;
		}
	}
}

/* The new events (ids in (a, b]) in rowid order: the cheapest full scan. */
static int
scan(struct pass *p, sqlite3 *db, const struct known_net *net, int64_t a, int64_t b,
     int64_t *count, int64_t *min_ts, int64_t *max_ts)
{
	struct buf sql;
	sqlite3_stmt *st;
	struct event ev;
	struct json_tokens toks;
	int rc;

	buf_init(&sql, 8192);
	if (buf_addstr(&sql, "SELECT ") != CD_OK || evrow_columns(&sql) != CD_OK ||
	    buf_addstr(&sql, " FROM events WHERE id > ?1 AND id <= ?2 ORDER BY id") != CD_OK) {
		buf_release(&sql);
		return CD_E_LIMIT;
	}
	rc = sqlite3_prepare_v2(db, sql.data, -1, &st, NULL);
	buf_release(&sql);
	if (rc != SQLITE_OK)
		return CD_E_DB;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	json_tokens_init(&toks, 4096);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		evrow_fill(st, 1, &ev);
		if (ev.ts_ns == EV_NULL)
			continue;
		eval_event(p, net, &toks, &ev, id);
		(*count)++;
		/* a progress line on a terminal: a full run over millions of rows takes a while */
		if (p->progress && (*count & 0xffff) == 0) {
			int64_t now = time_now_ns();

			if (now - p->shown_ns >= 1000000000LL) {
				fprintf(stderr, "\rcorrelate: %lld of %lld new events",
					(long long)*count, (long long)p->total);
				p->shown_ns = now;
			}
		}
		if (ev.ts_ns < *min_ts)
			*min_ts = ev.ts_ns;
		if (ev.ts_ns > *max_ts)
			*max_ts = ev.ts_ns;
	}
	json_tokens_release(&toks);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CD_OK : CD_E_DB;
}

static int
cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	if (a->entity != b->entity)
		return a->entity < b->entity ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Sweep each (rule, entity) run of candidates with a time window. */
static void
sweep_windows(struct pass *p)
{
	size_t i = 0, j, k;

	if (p->ncands > 1)
		qsort(p->cands, p->ncands, sizeof(*p->cands), cand_cmp);
	while (i < p->ncands) {
		const struct rule *r = &p->rs->r[p->cands[i].rule];

		for (j = i; j < p->ncands && p->cands[j].rule == p->cands[i].rule &&
			    p->cands[j].entity == p->cands[i].entity;
		     j++)
			;
		for (k = i; k < j; k++) {
			size_t lo = k, m, distinct = 0;

			while (lo > i && p->cands[k].ts - p->cands[lo - 1].ts <= r->st.window_ns)
				lo--;
			if (r->st.kind == STATE_COUNT) {
				if ((int64_t)(k - lo + 1) >= r->st.threshold)
					add_hit(p, p->cands[k].id, p->cands[k].rule);
				continue;
			}
			/* distinct values in [lo, k]: windows are short, so quadratic is fine,
			 * but bounded: a flood stops counting once the threshold is met */
			for (m = lo; m <= k && (int64_t)distinct < r->st.threshold; m++) {
				size_t q;
				int dup = 0;

				for (q = lo; q < m; q++)
					if (p->cands[q].value == p->cands[m].value) {
						dup = 1;
						break;
					}
				distinct += !dup;
			}
			/* only the event that brings a new value raises the finding */
			if ((int64_t)distinct >= r->st.threshold) {
				int fresh = 1;

				for (m = lo; m < k; m++)
					if (p->cands[m].value == p->cands[k].value) {
						fresh = 0;
						break;
					}
				if (fresh)
					add_hit(p, p->cands[k].id, p->cands[k].rule);
			}
		}
		i = j;
	}
}

/*
 * Window rules need the candidates of earlier runs that fall inside a
 * window of this run's: they are kept in window_state (only the tail of
 * each run that a later window can reach), instead of re-reading events.
 */
static int
window_load(struct pass *p, sqlite3 *db, int64_t min_ts, int64_t max_ts, int64_t *n)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = CD_OK;

	if (sqlite3_prepare_v2(db,
			       "SELECT event_id, entity, value, ts_ns FROM window_state WHERE rule = ?1"
			       " AND ts_ns >= ?2 AND ts_ns <= ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	for (i = 0; i < p->rs->n && rc == CD_OK; i++) {
		const struct rule *r = &p->rs->r[i];

		if (r->st.kind != STATE_DISTINCT && r->st.kind != STATE_COUNT)
			continue;
		sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, min_ts - r->st.window_ns);
		sqlite3_bind_int64(st, 3, max_ts + r->st.window_ns);
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct cand c;

			/* saved by earlier runs: their events are all older than this run's */
			c.id = sqlite3_column_int64(st, 0);
			c.entity = (uint64_t)sqlite3_column_int64(st, 1);
			c.value = (uint64_t)sqlite3_column_int64(st, 2);
			c.ts = sqlite3_column_int64(st, 3);
			c.rule = i;
			add_cand(p, &c);
			(*n)++;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* How far back of a run's newest event its candidates stay: two windows, at
 * least an hour (CloudTrail delivers 5-15 minutes late; files come unordered). */
static int64_t
window_keep(const struct rule *r)
{
	int64_t keep = 2 * r->st.window_ns;

	return keep < (int64_t)3600 * 1000000000LL ? (int64_t)3600 * 1000000000LL : keep;
}

static int
window_save(struct pass *p, sqlite3 *db, const struct cand *cands, size_t fresh, int64_t max_ts,
	    struct wtx *t)
{
	sqlite3_stmt *ins = NULL, *del = NULL;
	size_t i;
	int rc = CD_E_DB;

	if (sqlite3_prepare_v2(db,
			       "INSERT OR IGNORE INTO window_state(rule, event_id, entity, value, ts_ns)"
			       " VALUES(?1, ?2, ?3, ?4, ?5)",
			       -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM window_state WHERE rule = ?1 AND ts_ns < ?2", -1,
			       &del, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < fresh; i++) {
		const struct cand *c = &cands[i];
		const struct rule *r = &p->rs->r[c->rule];

		if ((i & TX_CHECK) == 0 && wtx_step(t) != CD_OK)
			goto out;
		/* kept for events arriving up to one window late (delivery lag, files
		 * ingested out of order): beyond that no later window reaches it */
		if (c->ts < max_ts - window_keep(r))
			continue;
		sqlite3_bind_text(ins, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, c->id);
		sqlite3_bind_int64(ins, 3, (int64_t)c->entity);
		sqlite3_bind_int64(ins, 4, (int64_t)c->value);
		sqlite3_bind_int64(ins, 5, c->ts);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ins);
	}
	for (i = 0; i < p->rs->n; i++) {
		const struct rule *r = &p->rs->r[i];

		if (r->st.kind != STATE_DISTINCT && r->st.kind != STATE_COUNT)
			continue;
		sqlite3_bind_text(del, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(del, 2, max_ts - 2 * window_keep(r));
		if (sqlite3_step(del) != SQLITE_DONE)
			goto out;
		sqlite3_reset(del);
	}
	rc = CD_OK;
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	return rc;
}

/*
 * after-first rules: the earliest first sighting of any value of each
 * (rule, entity) in this run, keyed "RULE\0ENTITY", so a value can be
 * told from the entity's first one.
 */
static void
first_values_note(struct pass *p, struct strmap *firsts)
{
	size_t i;

	for (i = 0; i < p->seen.cap; i++) {
		const struct strmap_entry *e = &p->seen.slot[i];
		const struct rule *r;
		struct strmap_entry *f;
		size_t n;
		int created;

		if (e->key == NULL || (r = ruleset_find(p->rs, e->key)) == NULL || !r->st.after_first)
			continue;
		n = strlen(e->key) + 1;
		n += strlen(e->key + n);
		f = strmap_get(firsts, e->key, n, &created);
		if (created || e->a < f->a)
			f->a = e->a;
	}
}

/* Did the entity of an after-first rule have a value before TS (stored or this run)? */
static int
had_value_before(sqlite3_stmt *min, const struct strmap *firsts, const char *rid, const char *ent,
		 int64_t ts)
{
	char key[1024];
	int n = snprintf(key, sizeof(key), "%s%c%s", rid, 0, ent), before = 0;
	const struct strmap_entry *f;

	if (n > 0 && (size_t)n < sizeof(key) && (f = strmap_find(firsts, key, (size_t)n)) != NULL &&
	    f->a < ts)
		return 1;
	sqlite3_bind_text(min, 1, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(min, 2, ent, -1, SQLITE_STATIC);
	if (sqlite3_step(min) == SQLITE_ROW && sqlite3_column_type(min, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(min, 0) < ts)
		before = 1;
	sqlite3_reset(min);
	return before;
}

/* Compare this run's first sightings with the stored baselines (reads only). */
static int
first_seen_judge(struct pass *p, sqlite3 *db, int64_t learn_override)
{
	sqlite3_stmt *get = NULL, *min = NULL;
	struct strmap firsts;
	size_t i;
	int rc = CD_E_DB;

	strmap_init(&firsts);
	if (sqlite3_prepare_v2(db, "SELECT first_ns, last_ns FROM baselines"
				   " WHERE rule = ?1 AND entity = ?2 AND value = ?3",
			       -1, &get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT min(first_ns) FROM baselines WHERE rule = ?1 AND entity = ?2",
			       -1, &min, NULL) != SQLITE_OK)
		goto out;
	first_values_note(p, &firsts);
	/* entities first: their earliest time decides whether a value can be "new" */
	for (i = 0; i < p->ent.cap; i++) {
		struct strmap_entry *e = &p->ent.slot[i];
		const char *rid, *ent;
		char star[80];

		if (e->key == NULL)
			continue;
		rid = e->key; /* the field name: entity rows live under rule "*FIELD" */
		ent = rid + strlen(rid) + 1;
		snprintf(star, sizeof(star), "*%s", rid);
		sqlite3_bind_text(get, 1, star, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(get, 2, ent, -1, SQLITE_STATIC);
		sqlite3_bind_text(get, 3, "", -1, SQLITE_STATIC);
		if (sqlite3_step(get) == SQLITE_ROW && sqlite3_column_int64(get, 0) < e->a)
			e->b = sqlite3_column_int64(get, 0); /* stored first time */
		else
			e->b = e->a;
		sqlite3_reset(get);
	}
	for (i = 0; i < p->seen.cap; i++) {
		struct strmap_entry *e = &p->seen.slot[i];
		const char *rid, *ent, *val;
		const struct rule *r;
		struct strmap_entry *en;
		char ekey[1024];
		int n, known = 0;
		int64_t learn, stored_first = 0, stored_last = 0;

		if (e->key == NULL)
			continue;
		rid = e->key;
		ent = rid + strlen(rid) + 1;
		val = ent + strlen(ent) + 1;
		r = ruleset_find(p->rs, rid);
		if (r == NULL)
			continue;
		learn = learn_override > 0 ? learn_override : r->st.window_ns;
		sqlite3_bind_text(get, 1, rid, -1, SQLITE_STATIC);
		sqlite3_bind_text(get, 2, ent, -1, SQLITE_STATIC);
		sqlite3_bind_text(get, 3, val, -1, SQLITE_STATIC);
		if (sqlite3_step(get) == SQLITE_ROW) {
			known = 1;
			stored_first = sqlite3_column_int64(get, 0);
			stored_last = sqlite3_column_int64(get, 1);
		}
		sqlite3_reset(get);
		n = snprintf(ekey, sizeof(ekey), "%s%c%s", rule_field_name(r->st.entity_field), 0,
			     ent);
		en = strmap_find(&p->ent, ekey, (size_t)n);
		if (en == NULL && r->st.entity_field == (int)ev_nfields + VF_PRINCIPAL) {
			/* not a session: the principal is the actor, noted under that name */
			n = snprintf(ekey, sizeof(ekey), "actor%c%s", 0, ent);
			en = strmap_find(&p->ent, ekey, (size_t)n);
		}
		/*
		 * New: never seen before this run's first sighting within the
		 * learning window, and the entity has a past to compare with.
		 */
		if ((!known || stored_first > e->a ||
		     (stored_last < e->a - learn && stored_first < e->a)) &&
		    en != NULL && en->b <= e->a - r->st.warmup_ns && e->b >= 0 &&
		    (!r->st.after_first || had_value_before(min, &firsts, rid, ent, e->a)))
			add_hit(p, e->b, (size_t)(r - p->rs->r));
	}
	rc = CD_OK;
out:
	sqlite3_finalize(get);
	sqlite3_finalize(min);
	strmap_release(&firsts);
	return rc;
}

/* The baselines: this run's sightings folded in (after the findings they decided). */
static int
first_seen_write(struct pass *p, sqlite3 *db, struct wtx *t)
{
	sqlite3_stmt *put = NULL;
	size_t i, n = 0;
	int rc = CD_E_DB;

	if (sqlite3_prepare_v2(db,
			       "INSERT INTO baselines(rule, entity, value, first_ns, last_ns, n)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT(rule, entity, value) DO UPDATE"
			       " SET first_ns = min(first_ns, excluded.first_ns),"
			       " last_ns = max(last_ns, excluded.last_ns), n = n + 1",
			       -1, &put, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < p->seen.cap; i++) {
		struct strmap_entry *e = &p->seen.slot[i];
		const char *rid, *ent, *val;

		if (e->key == NULL)
			continue;
		if ((n++ & TX_CHECK) == 0 && wtx_step(t) != CD_OK)
			goto out;
		rid = e->key;
		ent = rid + strlen(rid) + 1;
		val = ent + strlen(ent) + 1;
		if (ruleset_find(p->rs, rid) == NULL)
			continue;
		sqlite3_bind_text(put, 1, rid, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 2, ent, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 3, val, -1, SQLITE_STATIC);
		sqlite3_bind_int64(put, 4, e->a);
		sqlite3_bind_int64(put, 5, e->c);
		if (sqlite3_step(put) != SQLITE_DONE)
			goto out;
		sqlite3_reset(put);
	}
	for (i = 0; i < p->ent.cap; i++) {
		struct strmap_entry *e = &p->ent.slot[i];
		const char *rid;
		char star[80];

		if (e->key == NULL)
			continue;
		if ((n++ & TX_CHECK) == 0 && wtx_step(t) != CD_OK)
			goto out;
		rid = e->key;
		snprintf(star, sizeof(star), "*%s", rid);
		sqlite3_bind_text(put, 1, star, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(put, 2, rid + strlen(rid) + 1, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 3, "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(put, 4, e->a);
		sqlite3_bind_int64(put, 5, e->a);
		if (sqlite3_step(put) != SQLITE_DONE)
			goto out;
		sqlite3_reset(put);
	}
	rc = CD_OK;
out:
	sqlite3_finalize(put);
	return rc;
}

/* A one-line account of what happened, for lists and timelines. */
static void
summarize(const struct event *ev, struct buf *b)
{
	int rc = CD_OK;

	if (ev->exe)
		rc |= buf_printf(b, "%s", ev->exe);
	else if (ev->actor)
		rc |= buf_printf(b, "%s", ev->actor);
	if (ev->action)
		rc |= buf_printf(b, "%s%s", b->len ? " " : "", ev->action);
	if (ev->object)
		rc |= buf_printf(b, " %s", ev->object);
	if (ev->dst)
		rc |= buf_printf(b, " -> %s", ev->dst);
	if (ev->src_ip && !ev->exe)
		rc |= buf_printf(b, " from %s", ev->src_ip);
	if (ev->outcome && strcmp(ev->outcome, "success") != 0)
		rc |= buf_printf(b, " (%s)", ev->outcome);
	if (ev->rule)
		rc |= buf_printf(b, " [%s]", ev->rule);
	(void)rc; /* a summary cut at the buffer's bound is still a summary */
}

/*
 * An event that carried no workload of its own (auditd) was matched as a
 * host event.  Once a join names its workload, the rule's allow-lists are
 * applied again with that workload's namespace, pod and image: a node
 * agent's IMDS call that only auditd saw is still the agent's.
 */
static int
allowed_after_join(const struct pass *p, const struct rule *r, const struct event *ev,
		   const struct workload *w, struct json_tokens *toks)
{
	struct event joined = *ev;
	struct match_ev m;

	if (r->nunless == 0 || ev->container_id != NULL || ev->pod_uid != NULL || !w->container_id[0])
		return 0;
	joined.container_id = w->container_id;
	joined.pod_ns = w->pod_ns[0] ? w->pod_ns : NULL;
	joined.pod_name = w->pod_name[0] ? w->pod_name : NULL;
	joined.pod_uid = w->pod_uid[0] ? w->pod_uid : NULL;
	joined.image = w->image[0] ? w->image : NULL;
	match_ev_init(&m, &joined, toks);
	m.net = p->net;
	return rule_excluded(r, &m);
}

/* A finding ready to be written: everything read before the lock is taken. */
struct frow {
	int64_t event_id, ts;
	size_t rule;
	char *wkey, *actor, *cred, *summary;
	/* the event's columns the incident pass reads (finding_events) */
	char *source, *host, *object, *action, *dst;
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
frows_free(struct frow *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].wkey);
		free(f[i].actor);
		free(f[i].cred);
		free(f[i].summary);
		free(f[i].source);
		free(f[i].host);
		free(f[i].object);
		free(f[i].action);
		free(f[i].dst);
	}
	free(f);
}

/*
 * Each hit: its event read back, attributed to a workload (several lookups
 * into a store that may be large and cold: over a second under I/O load on
 * 10M events), checked against the allow list, summarized.  Reads only:
 * done before the write lock is taken.
 */
static int
materialize_prepare(struct pass *p, sqlite3 *db, struct frow **out, size_t *nout)
{
	sqlite3_stmt *get = NULL;
	struct frow *f = NULL;
	struct buf sql, sum;
	struct json_tokens toks;
	size_t i, n = 0;
	int rc = CD_E_DB;

	buf_init(&sql, 8192);
	buf_init(&sum, 400);
	json_tokens_init(&toks, 4096);
	f = xcalloc(p->nhits ? p->nhits : 1, sizeof(*f));
	if (buf_addstr(&sql, "SELECT ") != CD_OK || evrow_columns(&sql) != CD_OK ||
	    buf_addstr(&sql, " FROM events WHERE id = ?1") != CD_OK)
		goto out;
	if (sqlite3_prepare_v2(db, sql.data, -1, &get, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < p->nhits; i++) {
		const struct rule *r = &p->rs->r[p->hits[i].rule];
		struct event ev;
		struct workload w;
		char wkey[300];

		sqlite3_bind_int64(get, 1, p->hits[i].event_id);
		if (sqlite3_step(get) != SQLITE_ROW) {
			sqlite3_reset(get);
			continue;
		}
		evrow_fill(get, 1, &ev);
		wkey[0] = '\0';
		if (r->ns_host && !ns_host_entered(db, &ev, &toks)) {
			sqlite3_reset(get);
			continue;
		}
		if (r->cls != CLASS_USAGE || r->within || ev.container_id || ev.pid != EV_NULL) {
			attribute_event(db, &ev, &w);
			if (allowed_after_join(p, r, &ev, &w, &toks) || !rule_admits_kind(r, w.kind) ||
			    (r->target_outside && !target_outside(db, &ev, &w, &toks)) ||
			    (r->ns_host && !ns_host_exec(db, &ev, &w, &toks))) {
				sqlite3_reset(get);
				continue;
			}
			workload_key(&w, wkey, sizeof(wkey));
		}
		buf_reset(&sum);
		summarize(&ev, &sum);
		f[n].event_id = p->hits[i].event_id;
		f[n].rule = p->hits[i].rule;
		f[n].ts = ev.ts_ns;
		f[n].wkey = wkey[0] ? xstrdup(wkey) : NULL;
		f[n].actor = ev.actor ? xstrdup(ev.actor) : NULL;
		f[n].cred = ev.cred_id ? xstrdup(ev.cred_id) : NULL;
		f[n].summary = xstrdup(sum.data);
		f[n].source = dup_or_null(ev.source);
		f[n].host = dup_or_null(ev.host);
		f[n].object = dup_or_null(ev.object);
		f[n].action = dup_or_null(ev.action);
		f[n].dst = dup_or_null(ev.dst);
		n++;
		sqlite3_reset(get);
	}
	rc = CD_OK;
out:
	sqlite3_finalize(get);
	buf_release(&sql);
	buf_release(&sum);
	json_tokens_release(&toks);
	*out = f;
	*nout = n;
	return rc;
}

/* Store the prepared findings (keyed by event and rule: again, they add nothing). */
static int
materialize(struct pass *p, sqlite3 *db, const struct frow *f, size_t n, int64_t *stored,
	    struct wtx *t)
{
	sqlite3_stmt *ins = NULL, *ctx = NULL;
	size_t i;
	int rc = CD_E_DB;

	if (sqlite3_prepare_v2(db,
			       "INSERT OR IGNORE INTO findings(event_id, rule, class, severity, ts_ns,"
			       " workload, identity, cred_id, summary) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
			       -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT OR IGNORE INTO finding_events(finding_id, source, host, object, action,"
			       " dst) VALUES(?1,?2,?3,?4,?5,?6)",
			       -1, &ctx, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < n; i++) {
		const struct rule *r = &p->rs->r[f[i].rule];

		if ((i & TX_CHECK) == 0 && wtx_step(t) != CD_OK)
			goto out;
		sqlite3_bind_int64(ins, 1, f[i].event_id);
		sqlite3_bind_text(ins, 2, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, rule_class_name(r->cls), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, rule_sev_name(r->sev), -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 5, f[i].ts);
		sqlite3_bind_text(ins, 6, f[i].wkey, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 7, f[i].actor, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 8, f[i].cred, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 9, f[i].summary, -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ins);
		if (sqlite3_changes(db) == 0)
			continue; /* written by an earlier run, with its event's columns */
		(*stored)++;
		sqlite3_bind_int64(ctx, 1, sqlite3_last_insert_rowid(db));
		sqlite3_bind_text(ctx, 2, f[i].source, -1, SQLITE_STATIC);
		sqlite3_bind_text(ctx, 3, f[i].host, -1, SQLITE_STATIC);
		sqlite3_bind_text(ctx, 4, f[i].object, -1, SQLITE_STATIC);
		sqlite3_bind_text(ctx, 5, f[i].action, -1, SQLITE_STATIC);
		sqlite3_bind_text(ctx, 6, f[i].dst, -1, SQLITE_STATIC);
		if (sqlite3_step(ctx) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ctx);
	}
	rc = CD_OK;
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(ctx);
	return rc;
}

/* Each rule evaluation that failed, as a reject row at its event's record. */
static int
rerrs_store(struct pass *p, struct store *s)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = CD_OK;

	if (p->nrerrs == 0)
		return CD_OK;
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT e.input_id, i.path, e.offset, e.line FROM events e"
			       " LEFT JOIN inputs i ON i.id = e.input_id WHERE e.id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	for (i = 0; i < p->nrerrs && rc == CD_OK; i++) {
		char why[1200];

		snprintf(why, sizeof(why), "event %lld: %s", (long long)p->rerrs[i].event_id,
			 p->rerrs[i].why);
		if (i < 10)
			out_warn("%s", why);
		else if (i == 10)
			out_warn("more rules could not be evaluated; `cordon rejects` lists them");
		sqlite3_bind_int64(st, 1, p->rerrs[i].event_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = store_reject_add(s, sqlite3_column_int64(st, 0),
					      (const char *)sqlite3_column_text(st, 1),
					      sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
					      "correlate", why, NULL, 0);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

int
findings_run(struct store *s, const struct ruleset *rs, const struct known_net *net,
	     const struct corr_opts *o, struct corr_stats *stats, char **cause)
{
	sqlite3 *db = store_db(s);
	struct pass p;
	int64_t last, maxid = 0, min_ts = INT64_MAX, max_ts = INT64_MIN, reread = 0;
	sqlite3_stmt *st;
	struct cand *saved = NULL;
	struct frow *frows = NULL;
	struct arow *arows = NULL;
	struct wtx t = { s, 0, 0 };
	size_t i, nsaved = 0, nfrows = 0, narows = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	p.rs = rs;
	p.net = net;
	strmap_init(&p.seen);
	strmap_init(&p.ent);
	strmap_init(&p.addr);
	for (i = 0; i < rs->n; i++) {
		size_t k;

		if (rs->r[i].st.kind != STATE_FIRST_SEEN)
			continue;
		for (k = 0; k < p.nent_fields; k++)
			if (p.ent_fields[k] == rs->r[i].st.entity_field)
				break;
		if (k == p.nent_fields && k < sizeof(p.ent_fields) / sizeof(p.ent_fields[0]))
			p.ent_fields[p.nent_fields++] = rs->r[i].st.entity_field;
	}
	/* a principal that is not a session is noted as its actor (entity_note) */
	for (i = 0; i < p.nent_fields; i++)
		if (p.ent_fields[i] == (int)ev_nfields + VF_PRINCIPAL) {
			int actor = rule_field_index("actor");
			size_t k;

			for (k = 0; k < p.nent_fields && p.ent_fields[k] != actor; k++)
				;
			if (k == p.nent_fields && k < sizeof(p.ent_fields) / sizeof(p.ent_fields[0]))
				p.ent_fields[p.nent_fields++] = actor;
			break;
		}
	for (i = 0; i < rs->n; i++)
		if ((rs->r[i].st.kind == STATE_DISTINCT || rs->r[i].st.kind == STATE_COUNT) &&
		    rs->r[i].st.window_ns > p.max_window)
			p.max_window = rs->r[i].st.window_ns;
	last = 0;
	rc = store_meta_get_int(s, "correlate.last_event_id", &last) == CD_E_DB ? CD_E_DB : CD_OK;
	if (sqlite3_prepare_v2(db, "SELECT max(id) FROM events", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			maxid = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (rc == CD_OK && maxid > last) {
		size_t fresh;

		p.progress = o->progress;
		p.total = maxid - last;
		rc = scan(&p, db, net, last, maxid, &stats->events, &min_ts, &max_ts);
		if (p.progress && p.shown_ns != 0)
			fputs("\r\033[K", stderr);
		/* windows reaching back into (or forward over) what earlier runs saw */
		fresh = p.ncands;
		if (rc == CD_OK && p.max_window > 0 && min_ts <= max_ts)
			rc = window_load(&p, db, min_ts, max_ts, &reread);
		/* the new candidates, kept for window_state before the sweep sorts them */
		if (rc == CD_OK && fresh > 0) {
			saved = xcalloc(fresh, sizeof(*saved));
			memcpy(saved, p.cands, fresh * sizeof(*saved));
			nsaved = fresh;
		}
	}
	stats->candidates = (int64_t)p.ncands;
	if (rc == CD_OK) {
		sweep_windows(&p);
		rc = first_seen_judge(&p, db, o->learn_ns);
	}
	/* everything above read with no lock held; now the writes, in short
	 * transactions: findings and window rows, baselines, the mark last */
	if (rc == CD_OK)
		rc = materialize_prepare(&p, db, &frows, &nfrows);
	if (rc == CD_OK)
		rc = addr_prepare(&p, db, &arows, &narows);
	if (rc == CD_OK)
		rc = wtx_begin(&t);
	if (rc == CD_OK)
		rc = materialize(&p, db, frows, nfrows, &stats->findings, &t);
	if (rc == CD_OK && maxid > last)
		rc = window_save(&p, db, saved, nsaved, max_ts, &t);
	if (rc == CD_OK)
		rc = addr_finish(arows, narows, db, &t);
	if (rc == CD_OK)
		rc = first_seen_write(&p, db, &t);
	if (rc == CD_OK)
		rc = rerrs_store(&p, s);
	stats->rule_errors = p.rerr_count;
	if (rc == CD_OK && maxid > last)
		rc = store_meta_set_int(s, "correlate.last_event_id", maxid);
	if (rc != CD_OK)
		*cause = xstrdup(sqlite3_errmsg(db));
	if (wtx_end(&t, rc == CD_OK) != CD_OK && rc == CD_OK) {
		*cause = xstrdup(sqlite3_errmsg(db));
		rc = CD_E_DB;
	}
	free(saved);
	frows_free(frows, nfrows);
	arows_free(arows, narows);

	for (i = 0; i < p.nrerrs; i++)
		free(p.rerrs[i].why);
	free(p.rerrs);
	free(p.hits);
	free(p.cands);
	strmap_release(&p.seen);
	strmap_release(&p.ent);
	strmap_release(&p.addr);
	return rc;
}

/* ---- what the inventory knows about addresses -------------------------------- */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
set_add(char ***v, size_t *n, const char *s)
{
	if (s == NULL || *s == '\0')
		return;
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
}

/*
 * Node names and addresses and pod addresses from the graph's node
 * attributes (kubectl inventories).  Attribute names follow what the
 * inventory loader stores; unknown shapes are simply not used.
 */
/*
 * $CORDON_EGRESS: the cluster's own egress (NAT) addresses, so a node-role
 * session from any other public address is "outside" without a baseline.
 * "52.1.2.3, 198.51.100.0/24" -> "52.1.2.3", "198.51.100." (exact IPs
 * keep no trailing dot, so 52.1.2.3 does not match 52.1.2.30 by prefix).
 */
static void
egress_load(struct known_net *net)
{
	const char *env = getenv("CORDON_EGRESS"), *p;

	if (env == NULL)
		return;
	for (p = env; *p;) {
		const char *start, *end, *slash;
		char item[64];
		size_t n;
		int octets, dots = 0;

		while (*p == ' ' || *p == ',')
			p++;
		start = p;
		while (*p && *p != ',' && *p != ' ')
			p++;
		end = p;
		n = (size_t)(end - start);
		if (n == 0 || n >= sizeof(item))
			continue;
		memcpy(item, start, n);
		item[n] = '\0';
		slash = strchr(item, '/');
		if (slash != NULL) {
			/* keep the first prefix/8 octets and their dots */
			octets = strcmp(slash, "/8") == 0 ? 1 : strcmp(slash, "/16") == 0 ? 2
				: strcmp(slash, "/24") == 0 ? 3 : strcmp(slash, "/32") == 0 ? 4 : 0;
			if (octets == 0)
				continue; /* other prefix lengths: not supported, ignored */
			if (octets == 4) {
				item[slash - item] = '\0';
			} else {
				size_t k;

				for (k = 0; item[k] && dots < octets; k++)
					if (item[k] == '.')
						dots++;
				item[k] = '\0';
			}
		} else {
			/* an exact address: match it whole (a trailing space ends it) */
			set_add(&net->egress, &net->negress, item);
			continue;
		}
		set_add(&net->egress, &net->negress, item);
	}
}

int
known_net_load(sqlite3 *db, struct known_net *net, char **cause)
{
	sqlite3_stmt *st;

	memset(net, 0, sizeof(*net));
	if (sqlite3_prepare_v2(db,
			       "SELECT kind, key, json_extract(attrs, '$.internal_ip'),"
			       " json_extract(attrs, '$.ip'), json_extract(attrs, '$.pod_ip'),"
			       " json_extract(attrs, '$.host_ip'), json_extract(attrs, '$.uid'),"
			       " json_extract(attrs, '$.sa')"
			       " FROM graph_nodes WHERE kind IN ('node', 'pod') AND json_valid(attrs)",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);

		if (strcmp(kind, "node") == 0) {
			set_add(&net->nodes, &net->nnodes, (const char *)sqlite3_column_text(st, 1));
			set_add(&net->node_ips, &net->nnode_ips,
				(const char *)sqlite3_column_text(st, 2));
			set_add(&net->node_ips, &net->nnode_ips,
				(const char *)sqlite3_column_text(st, 3));
		} else {
			const char *key = (const char *)sqlite3_column_text(st, 1);
			const char *ip = (const char *)sqlite3_column_text(st, 4);
			const char *uid = (const char *)sqlite3_column_text(st, 6);
			const char *sa = (const char *)sqlite3_column_text(st, 7);
			char own[700];

			if (ip != NULL && uid != NULL) {
				snprintf(own, sizeof(own), "%s %s", uid, ip);
				set_add(&net->own, &net->nown, own);
			}
			if (ip != NULL && sa != NULL && strchr(key, '/') != NULL) {
				snprintf(own, sizeof(own), "system:serviceaccount:%.*s:%s %s",
					 (int)strcspn(key, "/"), key, sa, ip);
				set_add(&net->own, &net->nown, own);
			}
			set_add(&net->pod_ips, &net->npod_ips,
				(const char *)sqlite3_column_text(st, 4));
			set_add(&net->pod_ips, &net->npod_ips,
				(const char *)sqlite3_column_text(st, 3));
			/* a pod's hostIP is its node's address */
			set_add(&net->node_ips, &net->nnode_ips,
				(const char *)sqlite3_column_text(st, 5));
		}
	}
	sqlite3_finalize(st);
	/* functions' execution-role sessions: key -> exposed by env:FN:... mounted by a function */
	if (sqlite3_prepare_v2(db,
			       /* a managed runtime's SDK marks its calls (exec-env/AWS_Lambda_):
				* known from the inventory's runtime, or seen on one of the
				* function's sessions' calls; custom runtimes and images
				* make no such promise */
			       "WITH s(fid, attrs, cred) AS (SELECT f.id, f.attrs, substr(c.key, 5) FROM graph_nodes f"
			       " JOIN graph_edges m ON m.src = f.id AND m.type = 'mounts'"
			       " JOIN graph_edges x ON x.src = m.dst AND x.type = 'exposes'"
			       " JOIN graph_nodes c ON c.id = x.dst AND c.kind = 'credential'"
			       " WHERE f.kind = 'function' AND c.key LIKE 'aws:%'),"
			       " marked(fid) AS (SELECT DISTINCT s.fid FROM s WHERE (json_valid(s.attrs)"
			       " AND json_extract(s.attrs, '$.runtime') IS NOT NULL"
			       " AND json_extract(s.attrs, '$.runtime') NOT LIKE 'provided%'"
			       " AND json_extract(s.attrs, '$.runtime') != 'Image')"
			       " OR EXISTS(SELECT 1 FROM events e WHERE e.cred_id = s.cred"
			       " AND instr(e.user_agent, 'exec-env/AWS_Lambda_') > 0))"
			       " SELECT DISTINCT s.cred, s.fid IN (SELECT fid FROM marked),"
			       " CASE WHEN json_valid(s.attrs) THEN json_extract(s.attrs, '$.vpc') END FROM s",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cred = (const char *)sqlite3_column_text(st, 0);
		const char *vpc = (const char *)sqlite3_column_text(st, 2);

		if (sqlite3_column_int(st, 1))
			set_add(&net->fn_sessions, &net->nfn_sessions, cred);
		else
			set_add(&net->fn_custom, &net->nfn_custom, cred);
		if (cred != NULL && vpc != NULL && *vpc != '\0' && strchr(cred, ' ') == NULL) {
			char *pair = xstrdupf("%s %s", cred, vpc);

			set_add(&net->fn_vpc, &net->nfn_vpc, pair);
			free(pair);
		}
	}
	sqlite3_finalize(st);
	/* GCP accounts of exactly one serverless service (attribute_gcp.c) */
	if (sqlite3_prepare_v2(db,
			       "SELECT substr(i.key, 5) FROM graph_nodes i JOIN graph_edges e ON e.dst = i.id"
			       " AND e.type = 'runs-as' JOIN graph_nodes f ON f.id = e.src AND f.kind = 'function'"
			       " AND f.provider = 'gcp' WHERE i.kind = 'identity' AND i.key LIKE 'gcp:%'"
			       " GROUP BY i.id HAVING count(DISTINCT f.id) = 1",
			       -1, &st, NULL) != SQLITE_OK)
		return CD_E_DB;
	while (sqlite3_step(st) == SQLITE_ROW)
		set_add(&net->gcp_fn_accounts, &net->ngcp_fn_accounts, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (net->ngcp_fn_accounts > 1)
		qsort(net->gcp_fn_accounts, net->ngcp_fn_accounts, sizeof(char *), str_cmp);
	if (net->nfn_sessions > 1)
		qsort(net->fn_sessions, net->nfn_sessions, sizeof(char *), str_cmp);
	if (net->nfn_custom > 1)
		qsort(net->fn_custom, net->nfn_custom, sizeof(char *), str_cmp);
	if (net->nfn_vpc > 1)
		qsort(net->fn_vpc, net->nfn_vpc, sizeof(char *), str_cmp);
	if (ci_sessions_load(db, &net->ci_sessions, &net->nci_sessions) != CD_OK)
		return CD_E_DB;
	egress_load(net);
	if (google_ranges_load(&net->google, &net->ngoogle, cause) != CD_OK)
		return CD_E_USAGE;
	if (google_ranges_check(db, net) != CD_OK)
		return CD_E_DB;
	/* qsort must not see a NULL array, even an empty one */
	if (net->nnodes > 1)
		qsort(net->nodes, net->nnodes, sizeof(char *), str_cmp);
	if (net->nnode_ips > 1)
		qsort(net->node_ips, net->nnode_ips, sizeof(char *), str_cmp);
	if (net->npod_ips > 1)
		qsort(net->pod_ips, net->npod_ips, sizeof(char *), str_cmp);
	if (net->nown > 1)
		qsort(net->own, net->nown, sizeof(char *), str_cmp);
	return CD_OK;
}

void
known_net_release(struct known_net *net)
{
	size_t i;

	for (i = 0; i < net->nnodes; i++)
		free(net->nodes[i]);
	for (i = 0; i < net->nnode_ips; i++)
		free(net->node_ips[i]);
	for (i = 0; i < net->npod_ips; i++)
		free(net->pod_ips[i]);
	for (i = 0; i < net->negress; i++)
		free(net->egress[i]);
	for (i = 0; i < net->nown; i++)
		free(net->own[i]);
	for (i = 0; i < net->nfn_sessions; i++)
		free(net->fn_sessions[i]);
	free(net->fn_sessions);
	for (i = 0; i < net->nfn_custom; i++)
		free(net->fn_custom[i]);
	free(net->fn_custom);
	for (i = 0; i < net->nfn_vpc; i++)
		free(net->fn_vpc[i]);
	free(net->fn_vpc);
	for (i = 0; i < net->ngcp_fn_accounts; i++)
		free(net->gcp_fn_accounts[i]);
	free(net->gcp_fn_accounts);
	for (i = 0; i < net->nci_sessions; i++)
		free(net->ci_sessions[i]);
	free(net->ci_sessions);
	free(net->own);
	free(net->nodes);
	free(net->node_ips);
	free(net->pod_ips);
	free(net->egress);
	free(net->google);
	for (i = 0; i < net->ngoogle_outside; i++)
		free(net->google_outside[i]);
	free(net->google_outside);
	memset(net, 0, sizeof(*net));
}
