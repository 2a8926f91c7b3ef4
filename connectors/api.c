/*
 * api.c - one call to a provider's API and what its answer means, shared
 * by every connector that checks, acts and verifies through HTTP.
 *
 * The providers differ in how a request is built (headers, signing) and in
 * where an answer keeps its error code and message (XML, JSON Status
 * objects, "errors":[...]); that much is theirs (struct api_style).  What
 * follows is the same for all of them, so it lives here once: sending and
 * recording the request on the result, telling "acted" from "already gone"
 * from "failed", and the failure text.
 */
#include <string.h>

#include "private.h"

void
api_body(struct http_req *rq, const char *ctype_header, const char *body, const char *shown)
{
	http_req_header(rq, ctype_header, 0);
	rq->body = body;
	rq->body_len = strlen(body);
	rq->body_shown = shown;
}

void
api_out_init(struct api_out *o, const struct api_style *style)
{
	http_resp_init(&o->rs);
	o->style = style;
	o->code[0] = o->message[0] = '\0';
}

int
api_send(struct conn *c, const struct http_req *rq, const char *shown,
	 const struct api_style *style, struct api_out *o, struct conn_result *res)
{
	api_out_init(o, style);
	if (http_send(c->opts, rq, &o->rs) != CD_OK) {
		res_note_request(res, "%s -> no response", shown);
		snprintf(o->message, sizeof(o->message), "%s", o->rs.error);
		return CD_E_IO;
	}
	if (o->rs.dry_run) {
		res_note_request(res, "%s (dry-run)", shown);
		return CD_OK;
	}
	style->parse(o);
	/* the first answer stands for the action until an acting call replaces it */
	if (res->http_status == 0)
		res_from_resp(res, &o->rs);
	res_note_request(res, "%s -> %ld%s%s", shown, o->rs.status, o->code[0] ? " " : "", o->code);
	return CD_OK;
}

int
api_rest(struct conn *c, const char *base, const char *path, struct http_req *rq,
	 const struct api_style *style, struct api_out *o, struct conn_result *res)
{
	struct buf url, shown;
	int r;

	buf_init(&url, 8192);
	buf_init(&shown, 8192);
	if (url_join(&url, base, path) != CD_OK ||
	    buf_printf(&shown, "%s %s", rq->method, path) != CD_OK) {
		buf_release(&url);
		buf_release(&shown);
		api_out_init(o, style);
		return CD_E_LIMIT;
	}
	rq->url = url.data;
	r = api_send(c, rq, shown.data, style, o, res);
	buf_release(&url);
	buf_release(&shown);
	return r;
}

void
api_fail(struct conn_result *res, const struct api_out *o, const char *what)
{
	res->outcome = CONN_FAILED;
	if (o->rs.status == 0)
		res_detail(res, "%s: no response: %s", what, o->message);
	else
		res_from_resp(res, &o->rs);
	o->style->explain(res, o, what);
}

static int
status_in(long status, const long *list, size_t n)
{
	size_t i;

	for (i = 0; i < n && list[i] != 0; i++)
		if (list[i] == status)
			return 1;
	return 0;
}

int
api_acted(int r, struct api_out *o, const struct api_expect *e, struct conn_result *res)
{
	int a;

	if (r == CD_OK && o->rs.dry_run) {
		res->outcome = CONN_DRYRUN;
		a = ACTED_DRYRUN;
	} else if (r == CD_OK && status_in(o->rs.status, e->ok, sizeof(e->ok) / sizeof(e->ok[0]))) {
		res_from_resp(res, &o->rs);
		a = ACTED_DONE;
	} else if (r == CD_OK &&
		   (status_in(o->rs.status, e->gone, sizeof(e->gone) / sizeof(e->gone[0])) ||
		    (e->gone_code != NULL && strcmp(o->code, e->gone_code) == 0))) {
		a = ACTED_ALREADY;
	} else {
		api_fail(res, o, e->what);
		a = ACTED_FAILED;
	}
	http_resp_release(&o->rs);
	return a;
}

int
api_present(int r, const struct api_out *o, const char *what, struct conn_result *res)
{
	if (r == CD_OK && o->rs.status == 200)
		return 1;
	if (r == CD_OK && o->rs.status == 404)
		return 0;
	if (what != NULL)
		api_fail(res, o, what);
	return -1;
}
