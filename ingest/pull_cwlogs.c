/*
 * pull_cwlogs.c - `cordon ingest cwlogs://LOG_GROUP`: CloudWatch Logs
 * FilterLogEvents (JSON 1.1), for EKS audit logs and trails that deliver
 * CloudTrail to CloudWatch.
 *
 * Pages follow nextToken; a ThrottlingException is retried with back-off
 * (connectors/http.c).  Each event's message is probed like a file's head
 * (a Kubernetes audit event, a CloudTrail record, ...) and stored through
 * the same ingesters; one the probes do not know is a reject naming
 * cwlogs://GROUP/STREAM.  The group's input row (cwlogs://GROUP, with
 * "?log-stream-prefix=P" when one is given) keeps in resume the newest
 * event time (ms) of the last run that read to the end: without --since a
 * rerun starts there (events at that millisecond again, which the store
 * already has).  Each page is committed with its events; a run that stops
 * part-way keeps the previous resume, so nothing is skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "../connectors/connectors.h"

#define PAGE_LIMIT 5000   /* events asked per page (the API's cap is 10,000) */
#define MSG_MAX    ((size_t)1 << 20) /* CloudWatch Logs' own event size limit is 256 KiB */

struct cwpull {
	struct store *s;
	const struct ingest_opts *o;
	const struct ingest_pull_opts *po;
	struct conn_aws_pull *aws;
	struct writer *w;
	struct ingest_feed *feed;
	struct ingest_input_summary *isum;
	const char *group;
	struct store_input in;
	int64_t newest_ms;
	int64_t pages, nevents;
	char *msg;
};

static int
group_row(struct cwpull *c, const char *path)
{
	int rc;

	if (store_begin_wait(c->s, 600LL * 1000000000LL) != CD_OK)
		return CD_E_DB;
	rc = store_input_get(c->s, path, &c->in);
	if (rc == CD_E_NOTFOUND) {
		memset(&c->in, 0, sizeof(c->in));
		c->in.path = xstrdup(path);
		c->in.format = xstrdup("cwlogs");
		c->in.line = 1;
		c->in.size_seen = -1;
		rc = store_input_put(c->s, &c->in);
	}
	if (rc != CD_OK || store_commit(c->s) != CD_OK) {
		store_rollback(c->s);
		return CD_E_DB;
	}
	return CD_OK;
}

static int
request_body(const struct cwpull *c, int64_t start_ms, const char *token, struct buf *b)
{
	int r;

	buf_reset(b);
	r = buf_addstr(b, "{\"logGroupName\":");
	r = r ? r : json_put_str(b, c->group);
	if (start_ms >= 0)
		r = r ? r : buf_printf(b, ",\"startTime\":%lld", (long long)start_ms);
	if (c->po->until_ns != TIME_NONE)
		r = r ? r : buf_printf(b, ",\"endTime\":%lld", (long long)(c->po->until_ns / 1000000));
	if (c->po->stream_prefix != NULL) {
		r = r ? r : buf_addstr(b, ",\"logStreamNamePrefix\":");
		r = r ? r : json_put_str(b, c->po->stream_prefix);
	}
	if (token != NULL) {
		r = r ? r : buf_addstr(b, ",\"nextToken\":");
		r = r ? r : json_put_str(b, token);
	}
	r = r ? r : buf_printf(b, ",\"limit\":%d}", PAGE_LIMIT);
	return r;
}

/* One event of a page: its message through the probes and an ingester. */
static int
one_event(struct cwpull *c, const struct json_doc *d, int ev, struct buf *path)
{
	int m = json_get(d, ev, "message"), st = json_get(d, ev, "logStreamName"),
	    ts = json_get(d, ev, "timestamp");
	char stream[600] = "";
	const char *fmt;
	size_t len = 0;
	int64_t t;
	int rc;

	if (st > 0)
		json_str(d, st, stream, sizeof(stream), NULL);
	buf_reset(path);
	if (buf_printf(path, "cwlogs://%s/%s", c->group, stream) != CD_OK)
		buf_reset(path);
	if (ts > 0 && json_i64(d, ts, &t) == CD_OK && t > c->newest_ms)
		c->newest_ms = t;
	c->nevents++;
	if (m <= 0 || json_type(d, m) != JSON_STRING ||
	    json_str(d, m, c->msg, MSG_MAX, &len) != CD_OK)
		return writer_reject(c->w, c->isum, c->in.id, path->data, 0, 0, NULL,
				     "event without a readable message", NULL, 0);
	fmt = c->o->format ? c->o->format : ingest_probe(c->msg, len);
	if (fmt == NULL)
		return writer_reject(c->w, c->isum, c->in.id, path->data, 0, 0, NULL,
				     "message is not a log of a known format", c->msg, len);
	rc = ingest_feed(c->feed, fmt, path->data, c->isum, c->msg, len);
	return rc == CD_E_PARSE || rc == CD_E_LIMIT ? CD_OK : rc; /* the reject is queued */
}

static int
pull(struct cwpull *c, char **cause)
{
	struct buf body, resp, path;
	struct json_tokens tok;
	char *token = NULL;
	int64_t start_ms = -1;
	int rc = CD_OK;

	if (c->po->since_ns != TIME_NONE)
		start_ms = c->po->since_ns / 1000000;
	else if (c->in.resume > 0)
		start_ms = c->in.resume;
	buf_init(&body, 64 * 1024);
	buf_init(&resp, (size_t)8 << 20);
	buf_init(&path, 4096);
	json_tokens_init(&tok, JSON_MAX_TOKENS);
	do {
		struct json_doc d;
		const char *why = NULL;
		long status = 0;
		int evs, i, n, nt;

		if (request_body(c, start_ms, token, &body) != CD_OK) {
			*cause = xstrdup("the request is too large");
			rc = CD_E_LIMIT;
			break;
		}
		if ((rc = conn_logs_call(c->aws, "FilterLogEvents", body.data, &resp, &status, cause)) !=
		    CD_OK)
			break;
		c->pages++;
		if (json_parse(&d, resp.data, resp.len, &tok, &why) != CD_OK ||
		    json_type(&d, 0) != JSON_OBJECT) {
			*cause = xstrdup("FilterLogEvents: the answer is not a JSON object");
			rc = CD_E_PARSE;
			break;
		}
		evs = json_get(&d, 0, "events");
		n = evs > 0 && json_type(&d, evs) == JSON_ARRAY ? json_count(&d, evs) : 0;
		for (i = 0; i < n && rc == CD_OK; i++)
			rc = one_event(c, &d, json_at(&d, evs, i), &path);
		free(token);
		token = NULL;
		nt = json_get(&d, 0, "nextToken");
		if (nt > 0 && json_type(&d, nt) == JSON_STRING) {
			struct span sp = json_raw(&d, nt);

			token = xmalloc(sp.n + 1);
			if (json_str(&d, nt, token, sp.n + 1, NULL) != CD_OK || token[0] == '\0') {
				free(token);
				token = NULL;
			}
		}
		/* the page's events, committed; the resume point is unchanged */
		if (rc == CD_OK)
			rc = writer_checkpoint(c->w, &c->in, 1);
		if (c->o->progress)
			fprintf(stderr, "\r  cwlogs: %lld pages, %lld events", (long long)c->pages,
				(long long)c->nevents);
		if (ingest_interrupted())
			rc = CD_E_INTERRUPTED;
	} while (rc == CD_OK && token != NULL);
	if (c->o->progress)
		fprintf(stderr, "\n");
	if (rc == CD_OK && c->newest_ms > c->in.resume) {
		/* read to the end: the next run starts at the newest event */
		c->in.resume = c->newest_ms;
		rc = writer_checkpoint(c->w, &c->in, 1);
	}
	free(token);
	json_tokens_release(&tok);
	buf_release(&body);
	buf_release(&resp);
	buf_release(&path);
	return rc;
}

int
ingest_pull_cwlogs(struct store *s, const struct ingest_opts *o, const struct ingest_pull_opts *po,
		   struct ingest_summary *sum)
{
	struct conn_aws_pull_opts ao = { .profile = po->profile, .endpoint = po->endpoint,
					 .service = "logs" };
	struct cwpull c = { 0 };
	struct buf rowpath;
	char *cause = NULL;
	int64_t t0 = time_now_ns();
	int rc;

	memset(sum, 0, sizeof(*sum));
	sum->wal_max = -1;
	sum->inputs = c.isum = xcalloc(1, sizeof(*c.isum));
	sum->ninputs = 1;
	c.isum->path = xstrdup(po->url);
	c.isum->format = "cwlogs";
	c.s = s;
	c.o = o;
	c.po = po;
	c.group = po->url + strlen("cwlogs://");
	if (c.group[0] == '\0' || strlen(c.group) > 512) {
		out_err("%s: give a log group name, cwlogs://LOG_GROUP (1-512 characters)", po->url);
		return CD_E_USAGE;
	}
	if (po->nregions > 1 || po->accounts != NULL || po->dry_run) {
		out_err("cwlogs:// takes one --region (the group's) and no --account or --dry-run");
		return CD_E_USAGE;
	}
	ao.region = po->nregions == 1 ? po->regions[0] : NULL;
	if (conn_aws_pull_open(&ao, &c.aws, &cause) != CD_OK) {
		out_err("%s: %s", po->url, cause);
		free(cause);
		return CD_E_USAGE;
	}
	buf_init(&rowpath, 4096);
	if (buf_addstr(&rowpath, po->url) != CD_OK ||
	    (po->stream_prefix != NULL &&
	     buf_printf(&rowpath, "?log-stream-prefix=%s", po->stream_prefix) != CD_OK))
		rc = CD_E_LIMIT;
	else
		rc = group_row(&c, rowpath.data);
	buf_release(&rowpath);
	if (rc == CD_OK) {
		ingest_catch_signals();
		c.msg = xmalloc(MSG_MAX);
		writer_new(s, 1, o->observer, &c.w);
		c.feed = ingest_feed_new(s, c.w, o, c.in.id, MSG_MAX);
		rc = pull(&c, &cause);
		if (writer_commit_queued(c.w) != CD_OK || writer_sync(c.w) != CD_OK)
			rc = CD_E_DB;
		ingest_feed_free(&c.feed);
		writer_free(&c.w);
		free(c.msg);
		if (rc != CD_OK && rc != CD_E_INTERRUPTED && rc != CD_E_DB)
			out_err("%s: %s; the pages read are stored, and the same command again"
				" continues", po->url, cause ? cause : cd_strerror(rc));
		if (rc != CD_OK && rc != CD_E_INTERRUPTED && rc != CD_E_DB)
			rc = CD_E_IO;
	}
	if (!o->quiet && rc == CD_OK)
		fprintf(stderr, "%s: %lld events in %lld pages\n", po->url, (long long)c.nevents,
			(long long)c.pages);
	free(cause);
	store_input_release(&c.in);
	conn_aws_pull_close(&c.aws);
	sum->events = c.isum->events;
	sum->duplicates = c.isum->duplicates;
	sum->rejects = c.isum->rejects;
	sum->bytes = c.isum->bytes;
	sum->seconds = (double)(time_now_ns() - t0) / 1e9;
	return rc;
}
