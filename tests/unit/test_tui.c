/*
 * test_tui.c - unit tests for the model of tui/ (no terminal): the list
 * widget's cursor, paging and search; the keys the application shares;
 * the incidents screen read from a store (counts, what the actions table
 * says is cut off, escaping of hostile names); tree visibility.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tui/private.h"
#include "unit.h"

static void
fill(struct tui_list *l, int n)
{
	int i;

	for (i = 0; i < n; i++)
		tui_list_add(l, TA_NORMAL, 1, i, "line %d", i);
}

static void
test_tui_list_keys(void)
{
	struct tui_list l;

	tui_list_init(&l, 1);
	/* an empty list takes keys and stays at 0 */
	CHECK(tui_list_key(&l, 'j', 10) != 0);
	CHECK(l.cur == 0 && l.top == 0);
	fill(&l, 100);
	CHECK(tui_list_key(&l, TK_DOWN, 10) != 0 && l.cur == 1);
	CHECK(tui_list_key(&l, 'k', 10) != 0 && l.cur == 0);
	CHECK(tui_list_key(&l, 'k', 10) != 0 && l.cur == 0); /* no wrap above */
	CHECK(tui_list_key(&l, TK_PGDN, 10) != 0 && l.cur == 10 && l.top == 10);
	CHECK(tui_list_key(&l, TK_CTRL_D, 10) != 0 && l.cur == 15 && l.top <= 15 && l.top + 10 > 15);
	CHECK(tui_list_key(&l, TK_CTRL_U, 10) != 0 && l.cur == 10);
	CHECK(tui_list_key(&l, TK_PGUP, 10) != 0 && l.cur == 0 && l.top == 0);
	CHECK(tui_list_key(&l, 'G', 10) != 0 && l.cur == 99 && l.top == 90);
	CHECK(tui_list_key(&l, TK_PGDN, 10) != 0 && l.cur == 99 && l.top == 90);
	CHECK(tui_list_key(&l, 'g', 10) != 0 && l.cur == 0 && l.top == 0);
	CHECK(tui_list_key(&l, 'x', 10) == 0);
	/* the cursor stays visible when the pane shrinks (a resize) */
	l.cur = 50;
	tui_list_fix(&l, 10);
	CHECK(l.top <= 50 && l.top + 10 > 50);
	tui_list_fix(&l, 3);
	CHECK(l.top <= 50 && l.top + 3 > 50);
	/* the list shrinks under the cursor (a refresh) */
	tui_list_clear(&l);
	fill(&l, 5);
	tui_list_fix(&l, 10);
	CHECK(l.cur == 4 && l.top == 0);
	tui_list_release(&l);

	/* a page of text: keys move the top, the last page ends the text */
	tui_list_init(&l, 0);
	fill(&l, 30);
	CHECK(tui_list_key(&l, 'j', 10) != 0 && l.top == 1);
	CHECK(tui_list_key(&l, 'G', 10) != 0 && l.top == 20);
	CHECK(tui_list_current(&l) == NULL);
	tui_list_release(&l);
}

static void
test_tui_list_search(void)
{
	struct tui_list l;

	tui_list_init(&l, 1);
	fill(&l, 20);
	CHECK(tui_list_search(&l, "LINE 1", 1, 5) == 0 && l.cur == 1);
	CHECK(tui_list_search(&l, "line 1", 1, 5) == 0 && l.cur == 10);
	CHECK(tui_list_search(&l, "line 1", 1, 5) == 0 && l.cur == 11);
	CHECK(tui_list_search(&l, "line 1", -1, 5) == 0 && l.cur == 10);
	l.cur = 19;
	CHECK(tui_list_search(&l, "line 0", 1, 5) == 0 && l.cur == 0); /* wraps */
	CHECK(tui_list_search(&l, "nothing", 1, 5) != 0 && l.cur == 0);
	CHECK(tui_list_search(&l, "", 1, 5) != 0);
	tui_list_release(&l);
}

/* Every %s of a line goes through out_escape: a name from the evidence
 * cannot move the cursor, change colours or hide text. */
static void
test_tui_list_escapes(void)
{
	struct tui_list l;

	tui_list_init(&l, 1);
	tui_list_add(&l, TA_NORMAL, 0, 0, "root %s", "ctr:\033[2J\033]0;x\007evil\r\n\xe2\x80\xaeok");
	CHECK(strchr(l.v[0].text, '\033') == NULL);
	CHECK(strchr(l.v[0].text, '\r') == NULL && strchr(l.v[0].text, '\n') == NULL);
	CHECK(strchr(l.v[0].text, '\007') == NULL);
	CHECK(strstr(l.v[0].text, "\xe2\x80\xae") == NULL); /* RLO shown as \u202e */
	CHECK(strstr(l.v[0].text, "\\x1b[2J") != NULL);
	/* UTF-8 names pass as they are */
	tui_list_add(&l, TA_NORMAL, 0, 0, "%s", "pod prod/w\xc3\xa9" "b-\xe6\x97\xa5\xe6\x9c\xac");
	CHECK_STR(l.v[1].text, "pod prod/w\xc3\xa9" "b-\xe6\x97\xa5\xe6\x9c\xac");
	tui_list_release(&l);
}

static struct store *
store_with_incident(const char *root)
{
	struct store *s = NULL;
	char *cause = NULL;
	sqlite3_stmt *st;
	static const char report[] =
		"{\"id\":\"INC-1\",\"severity\":\"critical\",\"root\":\"R\","
		"\"workload\":{\"host\":\"node-1\"},\"signals\":[{},{}],\"exposed\":[{}],"
		"\"credentials\":[{\"provider\":\"aws\",\"id\":\"AKIAONE\",\"identity\":\"arn:aws:iam::1:user/u\"},"
		"{\"provider\":\"aws\",\"id\":\"ASIATWO\",\"identity\":\"arn:aws:sts::1:assumed-role/node-role/i-1\"},"
		"{\"provider\":\"aws\",\"id\":\"AKIATHREE\",\"identity\":\"arn:aws:iam::1:user/v\"}]}";

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		return NULL;
	}
	sqlite3_prepare_v2(store_db(s),
			   "INSERT INTO incidents(id, root, severity, first_ns, last_ns, report)"
			   " VALUES ('INC-1', ?1, 'critical', 1748944820000000000, 1748944895000000000, ?2)",
			   -1, &st, NULL);
	sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, report, -1, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	return s;
}

static void
add_action(struct store *s, int id, const char *action, const char *target, const char *result,
	   int undo_of)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO actions(id, ts_ns, provider, action, target, result, undo_of, hash)"
		 " VALUES (%d, 1, 'aws', '%s', '%s', '%s', %s, x'00')",
		 id, action, target, result, undo_of ? "1" : "NULL");
	CHECK(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL) == SQLITE_OK);
}

static void
test_tui_target_state(void)
{
	struct store *s = store_with_incident("R");

	if (s == NULL) {
		CHECK(!"store");
		return;
	}
	CHECK(tui_target_state(s, "AKIAONE") == NULL);
	add_action(s, 1, "disable-key", "AKIAONE", "intent", 0);
	CHECK_STR(tui_target_state(s, "AKIAONE"), "revoking");
	add_action(s, 2, "disable-key", "AKIAONE", "done", 0);
	CHECK_STR(tui_target_state(s, "AKIAONE"), "revoked");
	add_action(s, 3, "enable-key", "AKIAONE", "done", 1); /* undone: active again */
	CHECK(tui_target_state(s, "AKIAONE") == NULL);
	add_action(s, 4, "disable-key", "AKIATHREE", "failed", 0);
	CHECK_STR(tui_target_state(s, "AKIATHREE"), "failed");
	add_action(s, 5, "disable-key", "AKIATHREE", "already done", 0);
	CHECK_STR(tui_target_state(s, "AKIATHREE"), "revoked");
	CHECK(tui_target_state(s, NULL) == NULL && tui_target_state(s, "") == NULL);
	store_close(&s);
}

/* A bound service-account token has no action of its own: it is cut off
 * when the plan's delete-pod step is done. */
static void
test_tui_bound_token_state(void)
{
	struct store *s = store_with_incident("R");
	struct tui_report r;
	int cred;

	if (s == NULL || tui_report_parse(&r, "{\"credentials\":[{\"provider\":\"k8s\","
					      "\"id\":\"JTI=abc\",\"identity\":\"system:serviceaccount:p:w\"}],"
					      "\"plan\":[{\"provider\":\"k8s\",\"action\":\"cordon-node\","
					      "\"target\":\"node-1\"},{\"provider\":\"k8s\","
					      "\"action\":\"delete-pod\",\"target\":\"p/w-1\"}]}") != CD_OK) {
		CHECK(!"store or report");
		store_close(&s);
		return;
	}
	cred = json_at(&r.d, json_get(&r.d, 0, "credentials"), 0);
	CHECK(tui_cred_state(s, &r, cred) == NULL);
	add_action(s, 1, "cordon-node", "node-1", "done", 0); /* not what cuts a token */
	CHECK(tui_cred_state(s, &r, cred) == NULL);
	add_action(s, 2, "delete-pod", "p/w-1", "intent", 0);
	CHECK_STR(tui_cred_state(s, &r, cred), "revoking");
	add_action(s, 3, "delete-pod", "p/w-1", "done", 0);
	CHECK_STR(tui_cred_state(s, &r, cred), "revoked");
	tui_report_release(&r);
	store_close(&s);
}

/* The incidents screen: counts from the report, cut-off credentials from
 * the actions table (a session by its role), the root escaped. */
static void
test_tui_incidents_view(void)
{
	struct store *s = store_with_incident("ctr:\033[31mred");
	struct tui_app a;

	if (s == NULL) {
		CHECK(!"store");
		return;
	}
	add_action(s, 1, "disable-key", "AKIAONE", "done", 0);
	add_action(s, 2, "revoke-role-sessions", "arn:aws:iam::1:role/node-role", "done", 0);
	add_action(s, 3, "disable-key", "AKIATHREE", "intent", 0);
	tui_app_init(&a, s, ":memory:", 1);
	a.width = 80;
	a.height = 24;
	tui_app_push(&a, tui_incidents_view());
	CHECK(a.top->list.n == 1);
	if (a.top->list.n == 1) {
		const char *t = a.top->list.v[0].text;

		/* 2 signals, 1 exposed, 3 credentials, 2 cut off */
		CHECK(strstr(t, "  2   1    3   2 ") != NULL);
		CHECK(strstr(t, "INC-1") != NULL && strstr(t, "node-1") != NULL);
		CHECK(strchr(t, '\033') == NULL && strstr(t, "\\x1b[31mred") != NULL);
		CHECK(a.top->list.v[0].attr == TA_RED);
	}
	CHECK(a.nincidents == 0 || a.nincidents == 1);
	/* keys: q at the start screen quits; ? shows help, any key closes it */
	CHECK(tui_app_key(&a, '?') & TR_REDRAW);
	CHECK(a.help == 1);
	CHECK(tui_app_key(&a, 'q') & TR_REDRAW);
	CHECK(a.help == 0 && a.quit == 0);
	/* / opens the prompt; typed bytes, backspace, Enter searches */
	tui_app_key(&a, '/');
	CHECK(a.prompting == 1);
	tui_app_key(&a, 'I');
	tui_app_key(&a, 'X');
	tui_app_key(&a, TK_BACKSPACE);
	tui_app_key(&a, 'N');
	CHECK_STR(a.prompt_buf, "IN");
	tui_app_key(&a, TK_ENTER);
	CHECK(a.prompting == 0);
	CHECK_STR(a.search, "IN");
	/* Esc at the start screen does not quit */
	tui_app_key(&a, TK_ESC);
	CHECK(a.quit == 0 && a.top != NULL);
	CHECK(tui_app_key(&a, 'q') & TR_QUIT);
	CHECK(a.quit == 1);
	tui_app_release(&a);
	store_close(&s);
}

/* The poll sees a commit of another connection (PRAGMA data_version), and
 * not its own reads. */
static void
test_tui_poll(void)
{
	char path[] = "/tmp/cordon-unit-tui-XXXXXX";
	char db[64], *cause = NULL;
	struct store *w = NULL, *r = NULL;
	struct tui_app a;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
	snprintf(db, sizeof(db), "%s.db", path);
	CHECK(store_open(db, 0, &w, &cause) == CD_OK);
	CHECK(store_open(db, 1, &r, &cause) == CD_OK);
	if (w != NULL && r != NULL) {
		tui_app_init(&a, r, db, 1);
		CHECK(tui_app_poll(&a) != 0); /* the first look */
		CHECK(tui_app_poll(&a) == 0);
		CHECK(tui_app_poll(&a) == 0);
		CHECK(sqlite3_exec(store_db(w), "INSERT INTO meta(key, value) VALUES ('x', '1')", NULL,
				   NULL, NULL) == SQLITE_OK);
		CHECK(tui_app_poll(&a) & TR_RECALC);
		CHECK(a.last_change_ns != 0);
		CHECK(tui_app_poll(&a) == 0);
		tui_app_release(&a);
	}
	free(cause);
	store_close(&r);
	store_close(&w);
	unlink(db);
	{
		char side[80];

		snprintf(side, sizeof(side), "%s-wal", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-writers", db);
		unlink(side);
	}
}

static void
test_tui_tree_lines(void)
{
	struct tui_tree t;
	struct tui_list l;
	struct store *s = store_with_incident("R");
	struct tui_tree_node *n;

	tui_tree_init(&t);
	tui_list_init(&l, 1);
	tui_tree_add(&t, 0, NULL, "top");
	n = tui_tree_add(&t, 1, NULL, "cred");
	n->status_target = xstrdup("AKIAONE");
	n->flags = TN_CRED | TN_USED;
	tui_tree_add(&t, 2, NULL, "identity");
	tui_tree_add(&t, 0, NULL, "second");
	t.v[0].expanded = 1;
	t.v[1].expanded = 0;
	tui_tree_lines(&t, s, &l);
	CHECK(l.n == 3); /* identity is under the collapsed credential */
	if (l.n == 3) {
		CHECK_STR(l.v[0].text, "- top");
		CHECK_STR(l.v[1].text, "  + [active, used after exposure] cred");
		CHECK_STR(l.v[2].text, "  second");
	}
	tui_list_clear(&l);
	add_action(s, 1, "disable-key", "AKIAONE", "done", 0);
	t.v[1].expanded = 1;
	tui_tree_lines(&t, s, &l);
	CHECK(l.n == 4);
	if (l.n == 4) {
		CHECK_STR(l.v[1].text, "  - [revoked] cred");
		CHECK_STR(l.v[2].text, "      identity");
	}
	tui_list_release(&l);
	tui_tree_release(&t);
	store_close(&s);
}

const struct unit_test tui_tests[] = {
	{ "tui_list_keys", test_tui_list_keys },
	{ "tui_list_search", test_tui_list_search },
	{ "tui_list_escapes", test_tui_list_escapes },
	{ "tui_target_state", test_tui_target_state },
	{ "tui_bound_token_state", test_tui_bound_token_state },
	{ "tui_incidents_view", test_tui_incidents_view },
	{ "tui_poll", test_tui_poll },
	{ "tui_tree_lines", test_tui_tree_lines },
	{ NULL, NULL },
};
