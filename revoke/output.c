/*
 * output.c - results of revoke actions for people (one line each, as they
 * finish) and for scripts (one JSON document at the end).
 *
 * A rotated key's new secret is the one secret that may be printed, once,
 * and only when the user asked (--show-secret); it is never part of an
 * audit row.  Everything else printed here comes from result text fields,
 * which connectors keep free of secrets.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

void
result_out_init(struct result_out *ro, enum out_format fmt, int show_secret)
{
	memset(ro, 0, sizeof(*ro));
	ro->fmt = fmt;
	ro->show_secret = show_secret;
	buf_init(&ro->json, (size_t)64 << 20);
	buf_init(&ro->manual, (size_t)16 << 20);
}

void
result_out_release(struct result_out *ro)
{
	/* may have held a shown secret */
	freezero(ro->json.data, ro->json.alloc);
	ro->json.data = NULL;
	buf_release(&ro->manual);
}

void
result_out_manual(struct result_out *ro, const struct plan_step *st)
{
	int e = buf_printf(&ro->manual, "%s{\"step\":%d,\"provider\":", ro->manual.len ? "," : "",
			   st->id);

	e = e ? e : json_put_str(&ro->manual, st->provider);
	e = e ? e : buf_addstr(&ro->manual, ",\"action\":");
	e = e ? e : json_put_str(&ro->manual, st->action);
	e = e ? e : buf_addstr(&ro->manual, ",\"target\":");
	e = e ? e : json_put_str(&ro->manual, st->target);
	e = e ? e : buf_addstr(&ro->manual, ",\"note\":");
	e = e ? e : json_put_str(&ro->manual, st->note);
	e = e ? e : buf_addc(&ro->manual, '}');
	if (e != CD_OK)
		out_warn("manual step %d too large for the JSON output", st->id);
}

static int
json_item(struct buf *b, const struct exec_item *it, int show_secret)
{
	const struct conn_result *r = &it->res;
	const struct plan_step *st = it->step;
	int e = buf_printf(b, "%s{\"action_id\":", b->len ? "," : "");

	e = e ? e : (it->action_id ? buf_printf(b, "%lld", (long long)it->action_id)
				    : buf_addstr(b, "null"));
	e = e ? e : buf_addstr(b, ",\"intent_id\":");
	e = e ? e : (it->intent_id ? buf_printf(b, "%lld", (long long)it->intent_id)
				    : buf_addstr(b, "null"));
	e = e ? e : buf_addstr(b, ",\"audit\":");
	e = e ? e : json_put_str(b, it->not_sent		? "not sent"
				    : it->outcome_unrecorded	? "outcome unknown"
				    : it->intent_id		? "recorded"
								: NULL);
	e = e ? e : buf_printf(b, ",\"step\":%d,\"provider\":", st->id);
	e = e ? e : json_put_str(b, st->provider);
	e = e ? e : buf_addstr(b, ",\"action\":");
	e = e ? e : json_put_str(b, st->action);
	e = e ? e : buf_addstr(b, ",\"target\":");
	e = e ? e : json_put_str(b, st->target);
	e = e ? e : buf_addstr(b, ",\"result\":");
	e = e ? e : json_put_str(b, conn_outcome_name(r->outcome));
	e = e ? e : buf_addstr(b, ",\"http_status\":");
	e = e ? e : (r->http_status ? buf_printf(b, "%ld", r->http_status) : buf_addstr(b, "null"));
	e = e ? e : buf_addstr(b, ",\"request_id\":");
	e = e ? e : json_put_str(b, r->request_id[0] ? r->request_id : NULL);
	e = e ? e : buf_addstr(b, ",\"verified\":");
	e = e ? e : json_put_str(b, r->verified[0] ? r->verified : NULL);
	e = e ? e : buf_addstr(b, ",\"undo\":");
	e = e ? e : json_put_str(b, r->undo[0] ? r->undo : NULL);
	e = e ? e : buf_addstr(b, ",\"request\":");
	e = e ? e : json_put_str(b, r->request[0] ? r->request : NULL);
	e = e ? e : buf_addstr(b, ",\"error\":");
	e = e ? e : json_put_str(b, r->outcome == CONN_FAILED && r->detail[0] ? r->detail : NULL);
	e = e ? e : buf_addstr(b, ",\"detail\":");
	e = e ? e : json_put_str(b, r->detail[0] ? r->detail : NULL);
	e = e ? e : buf_printf(b, ",\"elapsed_ms\":%lld", (long long)it->elapsed_ms);
	if (r->new_id[0]) {
		e = e ? e : buf_addstr(b, ",\"new_key_id\":");
		e = e ? e : json_put_str(b, r->new_id);
	}
	if (show_secret && r->secret != NULL) {
		e = e ? e : buf_addstr(b, ",\"new_secret\":");
		e = e ? e : json_put_strn(b, r->secret, r->secret_len);
	}
	return e ? e : buf_addc(b, '}');
}

void
result_out_item(struct result_out *ro, struct exec_item *it)
{
	const struct conn_result *r = &it->res;
	const struct plan_step *st = it->step;
	int color = ro->fmt == OUT_TABLE && out_color_enabled(stdout);

	ro->n++;
	switch (r->outcome) {
	case CONN_DONE: ro->done++; break;
	case CONN_ALREADY: ro->already++; break;
	case CONN_FAILED: ro->failed++; break;
	case CONN_DRYRUN: ro->dryrun++; break;
	}
	if (ro->fmt == OUT_JSON) {
		if (json_item(&ro->json, it, ro->show_secret) != CD_OK)
			out_warn("result of step %d too large for the JSON output", st->id);
		return;
	}
	if (r->outcome == CONN_DRYRUN) {
		out_printf(stdout, "dry-run  %s %s %s: nothing sent\n", st->provider, st->action,
			   st->target);
		return;
	}
	out_printf(stdout, "%s%-7s%s  %s %s %s",
		   color ? (r->outcome == CONN_FAILED ? out_sgr_red : out_sgr_green) : "",
		   r->outcome == CONN_FAILED ? "FAILED" : conn_outcome_name(r->outcome),
		   color ? out_sgr_off : "", st->provider, st->action, st->target);
	if (r->verified[0])
		out_printf(stdout, ": %s", r->verified);
	out_printf(stdout, "\n");
	if (it->action_id || r->http_status || r->request_id[0]) {
		out_printf(stdout, "         ");
		if (it->action_id)
			out_printf(stdout, "action %lld", (long long)it->action_id);
		if (r->http_status)
			out_printf(stdout, "%sHTTP %ld", it->action_id ? ", " : "", r->http_status);
		if (r->request_id[0])
			out_printf(stdout, ", request id %s", r->request_id);
		if (r->undo[0] && it->action_id && r->outcome != CONN_FAILED)
			out_printf(stdout, "; undo: cordon revoke undo %lld",
				   (long long)it->action_id);
		out_printf(stdout, "\n");
	}
	if (r->detail[0])
		out_printf(stdout, "         %s%s\n", r->outcome == CONN_FAILED ? "error: " : "",
			   r->detail);
	if (r->new_id[0] && r->secret != NULL) {
		if (ro->show_secret)
			printf("         new key %s, secret (shown once, not stored anywhere): %.*s\n",
			       r->new_id, (int)r->secret_len, r->secret);
		else
			printf("         new key %s; its secret was not shown and is now discarded "
			       "(--show-secret prints it once)\n",
			       r->new_id);
	}
	fflush(stdout);
}

void
result_out_finish(struct result_out *ro, int64_t elapsed_ms)
{
	if (ro->fmt == OUT_JSON) {
		printf("{\"results\":[%s],\"manual\":[%s],\"summary\":{\"actions\":%zu,\"done\":%zu,"
		       "\"already\":%zu,\"failed\":%zu,\"dry_run\":%zu,\"elapsed_ms\":%lld}}\n",
		       ro->json.data, ro->manual.data, ro->n, ro->done, ro->already, ro->failed,
		       ro->dryrun, (long long)elapsed_ms);
		return;
	}
	if (ro->n > 1 || ro->failed)
		printf("%zu actions: %zu done, %zu already done, %zu failed%s (%.1fs)\n", ro->n, ro->done,
		       ro->already, ro->failed, ro->dryrun ? ", dry-run" : "", (double)elapsed_ms / 1000.0);
}
