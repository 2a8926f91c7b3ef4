/*
 * aws_lambda.c - stop a serverless function from running: reserved
 * concurrency 0 (Lambda's REST-JSON API, SigV4 for service "lambda").
 *
 * A function whose code escaped, or whose execution-role credentials were
 * read, keeps being invoked by its triggers long after the keys are cut.
 * PutFunctionConcurrency with 0 makes every invocation throttle at once
 * (nothing is deleted: code, configuration and logs stay for the
 * investigation).  The setting read before is kept in the undo:
 * "restore-concurrency NAME=5" puts 5 back, "NAME=none" removes the
 * reservation (DeleteFunctionConcurrency), as it was.
 *
 * Paths carry the bare function name, never an ARN: libcurl 7.88 signs the
 * path as sent, and an encoded ARN's "%3A" would need the double encoding
 * AWS's canonical request wants.  An ARN target gives its region (which
 * endpoint and signing scope) and its name.
 */
#include <stdlib.h>
#include <string.h>

#include "aws.h"

#define LAMBDA_GET_CONC "/2019-09-30/functions/%s/concurrency"
#define LAMBDA_PUT_CONC "/2017-10-31/functions/%s/concurrency"
#define LAMBDA_NONE -1L

struct fn_target {
	char base[300];   /* the target without "=N": what undo names */
	char name[65];
	char region[33];
	long want;        /* restore: the count, or LAMBDA_NONE */
	char url[512];
	char scope[64];
};

/* Implements api_style::parse: {"Type":..,"Message":..} and the code from
 * the message's own words (Lambda puts it in x-amzn-ErrorType only). */
static void
lambda_parse(struct api_out *o)
{
	if (o->rs.status < 300)
		return;
	if (json_body_str(&o->rs.body, "Message", o->message, sizeof(o->message)) != 0)
		json_body_str(&o->rs.body, "message", o->message, sizeof(o->message));
	snprintf(o->code, sizeof(o->code), "HTTP%ld", o->rs.status);
}

static void
lambda_explain(struct conn_result *res, const struct api_out *o, const char *what)
{
	if (o->rs.status == 0)
		return;
	res_detail(res, "%s: HTTP %ld: %s", what, o->rs.status,
		   o->message[0] ? o->message : "(no message)");
	if (o->rs.status == 403)
		res_detail(res, "the caller needs lambda:GetFunctionConcurrency and "
				"lambda:PutFunctionConcurrency on the function");
}

static const struct api_style lambda_style = { .parse = lambda_parse, .explain = lambda_explain };

/* NAME, or arn:aws:lambda:REGION:ACCOUNT:function:NAME; restore targets
 * end with =N or =none. */
static int
fn_target(struct conn *c, const char *t, int restore, struct fn_target *f, struct conn_result *res)
{
	const struct aws_cfg *a = c->cdata;
	const char *name = t, *eq = strrchr(t, '='), *region = a->region, *ep;
	char arnregion[33] = "";
	size_t nl;

	memset(f, 0, sizeof(*f));
	if (strncmp(t, "arn:", 4) == 0) {
		/* arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME */
		const char *p = t;
		int colons = 0;
		const char *rs = NULL, *re = NULL;

		for (; *p && colons < 6; p++) {
			if (*p != ':')
				continue;
			colons++;
			if (colons == 3)
				rs = p + 1;
			else if (colons == 4)
				re = p;
		}
		if (colons != 6 || rs == NULL || re == NULL || (size_t)(re - rs) >= sizeof(arnregion) ||
		    strstr(t, ":lambda:") == NULL || strstr(t, ":function:") == NULL)
			goto bad;
		memcpy(arnregion, rs, (size_t)(re - rs));
		arnregion[re - rs] = '\0';
		region = arnregion;
		name = p;
	}
	nl = eq != NULL && eq > name ? (size_t)(eq - name) : strlen(name);
	if ((eq != NULL) != restore || nl == 0 || nl >= sizeof(f->name))
		goto bad;
	memcpy(f->name, name, nl);
	f->name[nl] = '\0';
	snprintf(f->base, sizeof(f->base), "%.*s", (int)(name + nl - t), t);
	if (!ident_ok(f->name, "-_", 64))
		goto bad;
	if (restore) {
		const char *v = eq + 1, *end = v + strlen(v);
		uint64_t n;

		if (strcmp(v, "none") == 0)
			f->want = LAMBDA_NONE;
		else if (v != end && str_uint64(&v, end, &n, 100000) == CD_OK && v == end)
			f->want = (long)n;
		else
			goto bad;
	}
	if (region == NULL || !ident_ok(region, "-", 32)) {
		res_detail(res, "no AWS region for function %s: set AWS_REGION (or the profile's "
				"region), or give the function's ARN",
			   f->name);
		return CD_E_USAGE;
	}
	snprintf(f->region, sizeof(f->region), "%s", region);
	if ((ep = env_get("AWS_ENDPOINT_URL_LAMBDA")) != NULL || (ep = a->endpoint) != NULL)
		snprintf(f->url, sizeof(f->url), "%s", ep);
	else
		snprintf(f->url, sizeof(f->url), "https://lambda.%s.amazonaws.com%s", region,
			 strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	if (!aws_endpoint_ok(f->url)) {
		res_detail(res, "AWS endpoint must be https:// (plain http only on loopback)");
		return CD_E_USAGE;
	}
	snprintf(f->scope, sizeof(f->scope), "aws:amz:%s:lambda", region);
	return CD_OK;
bad:
	res_detail(res, "'%s' is not a Lambda function name or ARN%s", t,
		   restore ? " followed by =N or =none" : "");
	return CD_E_USAGE;
}

/* One signed call; CD_OK when an answer arrived.  The caller releases o->rs. */
static int
lambda_call(struct conn *c, const struct fn_target *f, const char *method, const char *path,
	    const char *body, struct api_out *o, struct conn_result *res)
{
	struct aws_cfg *a = c->cdata;
	struct http_req rq = { 0 };
	struct http_tls tls = { 0 };

	rq.method = method;
	if (body != NULL) {
		http_req_header(&rq, "Content-Type: application/json", 0);
		rq.body = body;
		rq.body_len = strlen(body);
	}
	if (a->token_header != NULL)
		http_req_header(&rq, a->token_header, 1);
	rq.sigv4 = f->scope;
	rq.userpwd = a->userpwd;
	if (a->ca_bundle != NULL) {
		tls.ca_file = a->ca_bundle;
		rq.tls = &tls;
	}
	rq.idempotent = 1; /* a PUT or DELETE of a setting: repeating is harmless */
	rq.reqid_headers[0] = "x-amzn-RequestId";
	return api_rest(c, f->url, path, &rq, &lambda_style, o, res);
}

/* The reserved concurrency: 1 read (*n: count or LAMBDA_NONE), 0 no such
 * function, -1 error (res set). */
static int
conc_read(struct conn *c, const struct fn_target *f, long *n, struct conn_result *res)
{
	char path[200], v[32];
	struct api_out o;
	int r;

	snprintf(path, sizeof(path), LAMBDA_GET_CONC, f->name);
	r = api_present(lambda_call(c, f, "GET", path, NULL, &o, res), &o,
			"GetFunctionConcurrency", res);
	*n = LAMBDA_NONE;
	if (r == 1 && json_body_str(&o.rs.body, "ReservedConcurrentExecutions", v, sizeof(v)) == 0) {
		const char *p = v, *end = v + strlen(v);
		uint64_t u;

		if (p != end && str_uint64(&p, end, &u, 100000) == CD_OK && p == end)
			*n = (long)u;
	}
	http_resp_release(&o.rs);
	return r;
}

static void
conc_str(long n, char *out, size_t cap)
{
	if (n == LAMBDA_NONE)
		snprintf(out, cap, "none");
	else
		snprintf(out, cap, "%ld", n);
}

static const struct api_expect conc_put = { .what = "PutFunctionConcurrency", .ok = { 200 } };
static const struct api_expect conc_del = {
	.what = "DeleteFunctionConcurrency", .ok = { 204, 200 },
};

/* Shared by stop-function and restore-concurrency. */
static int
lambda_set(struct conn *c, const char *target, int restore, struct conn_result *res)
{
	struct fn_target f;
	char path[200], body[96], was[16], now[16], want[16];
	struct api_out o;
	long before = LAMBDA_NONE, after;
	int r;

	if (fn_target(c, target, restore, &f, res) != CD_OK)
		return CD_E_USAGE;
	if (!restore)
		f.want = 0;
	conc_str(f.want, want, sizeof(want));
	if (!c->opts->dry_run) {
		r = conc_read(c, &f, &before, res);
		if (r < 0)
			return CD_OK;
		if (r == 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "function %s not found in %s (404): mistyped, deleted, or another "
					"account's or region's",
				   f.name, f.region);
			return CD_OK;
		}
		conc_str(before, was, sizeof(was));
		if (before == f.want) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "function %s: reserved concurrency %s", f.name, was);
			return CD_OK;
		}
	} else {
		snprintf(was, sizeof(was), "?");
	}
	snprintf(path, sizeof(path), LAMBDA_PUT_CONC, f.name);
	if (f.want == LAMBDA_NONE) {
		r = api_acted(lambda_call(c, &f, "DELETE", path, NULL, &o, res), &o, &conc_del, res);
	} else {
		snprintf(body, sizeof(body), "{\"ReservedConcurrentExecutions\":%ld}", f.want);
		r = api_acted(lambda_call(c, &f, "PUT", path, body, &o, res), &o, &conc_put, res);
	}
	if (r == ACTED_FAILED || r == ACTED_DRYRUN)
		return CD_OK;
	r = conc_read(c, &f, &after, res);
	conc_str(after, now, sizeof(now));
	if (r == 1 && after == f.want) {
		res->outcome = CONN_DONE;
		res_verified(res, "function %s: reserved concurrency %s -> %s%s", f.name, was, now,
			     f.want == 0 ? " (every invocation throttled)" : "");
		if (restore)
			res_undo(res, "stop-function %s", f.base);
		else
			res_undo(res, "restore-concurrency %s=%s", f.base, was);
	} else if (r >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: function %s reserved concurrency is %s, not %s", f.name,
			   now, want);
	}
	return CD_OK;
}

/* Implements conn_action::run for stop-function. */
int
aws_stop_function(struct conn *c, const char *target, struct conn_result *res)
{
	return lambda_set(c, target, 0, res);
}

/* Implements conn_action::run for restore-concurrency (undo of stop-function). */
int
aws_restore_concurrency(struct conn *c, const char *target, struct conn_result *res)
{
	return lambda_set(c, target, 1, res);
}
