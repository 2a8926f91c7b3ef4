/*
 * pull_s3.c - `cordon ingest s3://BUCKET/PREFIX`: CloudTrail's delivery
 * layout, AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/NAME.json.gz,
 * pulled into the store.
 *
 * Plan, then fetch.  The plan lists only what the options select: the
 * accounts and regions named (else the ones the bucket has, one level
 * listed with a delimiter), and per day of --since..--until one prefix, so
 * a day of one account is a few listings, not a walk of the bucket.  Each
 * object is an input row named s3://BUCKET/KEY whose head_sha is the
 * SHA-256 of its ETag once it is stored: a rerun fetches only objects that
 * are new or changed.  The row, the object's events and its rejects are
 * committed together, so an object is recorded only when its events are
 * in; a transfer that fails leaves it unrecorded (its events, if any were
 * committed, are found again as duplicates).
 *
 * GETs run in parallel on one curl multi handle (--jobs); each body is
 * inflated in the write callback as it arrives (no temporary file), and a
 * whole object is handed to the CloudTrail ingester on this thread while
 * the other transfers go on.  Memory is bounded by jobs x the largest
 * object (each capped at OBJ_MAX decompressed bytes).
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "private.h"
#include "../connectors/connectors.h"

#define OBJ_MAX       ((size_t)256 << 20) /* decompressed bytes of one object */
#define JOBS_MAX      64
#define ATTEMPTS      4
#define DAY_NS        (86400LL * 1000000000LL)

struct s3obj {
	char *key;
	char etag[160];
	int64_t size;
	int64_t input_id;    /* its row (created before the fetch) */
	int attempts;
	int64_t not_before;  /* a retry waits until then (ns) */
};

struct plan {
	const struct ingest_pull_opts *po;
	struct store *s;
	struct conn_aws_pull *aws;
	char *bucket;
	struct s3obj *objs;
	size_t nobjs, cap;
	int64_t bytes, unchanged, unchanged_bytes, listings;
	char **prefixes;      /* the listed day (or leaf) prefixes, for --dry-run */
	size_t nprefixes;
	int max_keys;
	int64_t day_lo, day_hi; /* days since the epoch; INT64_MIN/MAX: open */
	int dated;            /* --since/--until/--account/--region given: layout required */
};

/* ---- planning ----------------------------------------------------------- */

static int
digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

static int64_t
num(const char *p, size_t n)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
day_prefix(int64_t day, char *out, size_t cap)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, cap, "%04d/%02d/%02d/", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int
in_list(const char *const *v, size_t n, const char *p, size_t len)
{
	size_t i;

	if (v == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if (strlen(v[i]) == len && memcmp(v[i], p, len) == 0)
			return 1;
	return 0;
}

/*
 * Whether a listed key is one the options select: its account, region and
 * day read from the layout.  A key outside the layout passes only when no
 * filter asks for the layout.
 */
static int
key_selected(const struct plan *pl, const char *key)
{
	const char *ct = strstr(key, "/CloudTrail/"), *acct, *reg, *date;
	size_t alen, rlen;

	if (key[0] == '\0' || key[strlen(key) - 1] == '/')
		return 0; /* a folder marker */
	if (ct == NULL)
		return !pl->dated;
	for (acct = ct; acct > key && acct[-1] != '/'; acct--)
		;
	alen = (size_t)(ct - acct);
	reg = ct + strlen("/CloudTrail/");
	date = strchr(reg, '/');
	if (date == NULL)
		return !pl->dated;
	rlen = (size_t)(date - reg);
	date++;
	if (!in_list(pl->po->accounts, pl->po->naccounts, acct, alen) ||
	    !in_list(pl->po->regions, pl->po->nregions, reg, rlen))
		return 0;
	if (pl->day_lo != INT64_MIN || pl->day_hi != INT64_MAX) {
		int64_t day;

		if (strlen(date) < 11 || !digits(date, 4) || date[4] != '/' || !digits(date + 5, 2) ||
		    date[7] != '/' || !digits(date + 8, 2) || date[10] != '/')
			return 0;
		day = days_from_civil(num(date, 4), num(date + 5, 2), num(date + 8, 2));
		if (day < pl->day_lo || day > pl->day_hi)
			return 0;
	}
	return 1;
}

static int
object_known(struct plan *pl, const char *key, const char *etag, int64_t *input_id)
{
	struct store_input in;
	char path[1400];
	unsigned char sha[32];
	int known = 0;

	*input_id = 0;
	snprintf(path, sizeof(path), "s3://%s/%s", pl->bucket, key);
	if (store_input_get(pl->s, path, &in) != CD_OK)
		return 0;
	sha256(etag, strlen(etag), sha);
	known = in.head_len == (int64_t)strlen(etag) && memcmp(in.head_sha, sha, 32) == 0;
	*input_id = in.id;
	store_input_release(&in);
	return known;
}

static int
on_object(void *arg, const struct conn_s3_item *it)
{
	struct plan *pl = arg;
	struct s3obj *o;
	int64_t id;

	if (it->is_prefix || !key_selected(pl, it->key))
		return CD_OK;
	if (object_known(pl, it->key, it->etag, &id)) {
		pl->unchanged++;
		pl->unchanged_bytes += it->size;
		return CD_OK;
	}
	if (pl->nobjs == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 256;
		pl->objs = xrealloc(pl->objs, (pl->cap) * sizeof(*pl->objs));
	}
	o = &pl->objs[pl->nobjs++];
	memset(o, 0, sizeof(*o));
	o->key = xstrdup(it->key);
	snprintf(o->etag, sizeof(o->etag), "%s", it->etag);
	o->size = it->size;
	o->input_id = id;
	pl->bytes += it->size;
	return CD_OK;
}

/* Every object under prefix, page by page. */
static int
list_leaf(struct plan *pl, const char *prefix, char **cause)
{
	struct conn_s3_list_req lq = { pl->bucket, prefix, NULL, 0, pl->max_keys };
	char *tok = NULL, *next = NULL;
	int r;

	pl->prefixes = xrealloc(pl->prefixes, (pl->nprefixes + 1) * sizeof(*pl->prefixes));
	pl->prefixes[pl->nprefixes++] = xstrdup(prefix);
	do {
		lq.token = tok;
		pl->listings++;
		r = conn_s3_list(pl->aws, &lq, on_object, pl, &next, cause);
		free(tok);
		tok = next;
	} while (r == CD_OK && tok != NULL);
	free(tok);
	return r;
}

struct children {
	char **v;
	size_t n;
};

static int
on_child(void *arg, const struct conn_s3_item *it)
{
	struct children *c = arg;

	if (!it->is_prefix)
		return CD_OK;
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	c->v[c->n++] = xstrdup(it->key);
	return CD_OK;
}

/* The prefixes one level below prefix (a delimited listing). */
static int
list_children(struct plan *pl, const char *prefix, struct children *c, char **cause)
{
	struct conn_s3_list_req lq = { pl->bucket, prefix, NULL, 1, pl->max_keys };
	char *tok = NULL, *next = NULL;
	int r;

	do {
		lq.token = tok;
		pl->listings++;
		r = conn_s3_list(pl->aws, &lq, on_child, c, &next, cause);
		free(tok);
		tok = next;
	} while (r == CD_OK && tok != NULL);
	free(tok);
	return r;
}

static void
children_free(struct children *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* The layout's levels below AWSLogs/. */
enum level { L_ACCOUNT, L_CLOUDTRAIL, L_REGION, L_DATE };

static int plan_level(struct plan *pl, const char *prefix, enum level lv, char **cause);

static int
plan_each(struct plan *pl, const char *prefix, const char *const *v, size_t n, enum level next,
	  char **cause)
{
	struct buf b;
	size_t i;
	int r = CD_OK;

	buf_init(&b, 4096);
	for (i = 0; i < n && r == CD_OK; i++) {
		buf_reset(&b);
		if (buf_printf(&b, "%s%s/", prefix, v[i]) != CD_OK) {
			r = CD_E_LIMIT;
			break;
		}
		r = plan_level(pl, b.data, next, cause);
	}
	buf_release(&b);
	return r;
}

static int
plan_level(struct plan *pl, const char *prefix, enum level lv, char **cause)
{
	struct children c = { 0 };
	struct buf b;
	size_t i, plen = strlen(prefix);
	int64_t d;
	int r = CD_OK;

	switch (lv) {
	case L_ACCOUNT:
	case L_REGION:
		if (lv == L_ACCOUNT && pl->po->accounts != NULL)
			return plan_each(pl, prefix, pl->po->accounts, pl->po->naccounts, L_CLOUDTRAIL,
					 cause);
		if (lv == L_REGION && pl->po->regions != NULL)
			return plan_each(pl, prefix, pl->po->regions, pl->po->nregions, L_DATE, cause);
		if ((r = list_children(pl, prefix, &c, cause)) != CD_OK)
			break;
		/* no level below: empty, or a store whose delimited listing
		 * misses deeper keys (s3rver 3.7 finds common prefixes only one
		 * level down): list it whole, the keys are filtered */
		if (c.n == 0)
			r = list_leaf(pl, prefix, cause);
		for (i = 0; i < c.n && r == CD_OK; i++) {
			const char *name = c.v[i] + plen;

			/* an organization trail adds a level: AWSLogs/o-ORG/ACCOUNT/ */
			if (lv == L_ACCOUNT && strncmp(name, "o-", 2) == 0)
				r = plan_level(pl, c.v[i], L_ACCOUNT, cause);
			else
				r = plan_level(pl, c.v[i], lv == L_ACCOUNT ? L_CLOUDTRAIL : L_DATE, cause);
		}
		break;
	case L_CLOUDTRAIL:
		buf_init(&b, 4096);
		r = buf_printf(&b, "%sCloudTrail/", prefix);
		r = r ? r : plan_level(pl, b.data, L_REGION, cause);
		buf_release(&b);
		break;
	case L_DATE:
		if (pl->day_lo == INT64_MIN)
			return list_leaf(pl, prefix, cause);
		buf_init(&b, 4096);
		for (d = pl->day_lo; d <= pl->day_hi && r == CD_OK; d++) {
			char day[48];

			day_prefix(d, day, sizeof(day));
			buf_reset(&b);
			r = buf_printf(&b, "%s%s", prefix, day);
			r = r ? r : list_leaf(pl, b.data, cause);
		}
		buf_release(&b);
		break;
	}
	children_free(&c);
	return r;
}

/*
 * Where planning starts: the user's prefix read against the layout.  A
 * prefix that stops at a level boundary ("", "trail/", "AWSLogs/1234/")
 * is planned from that level; one that goes past the region or ends
 * inside a name is listed as it is (the keys are still filtered).
 */
static int
plan_start(struct plan *pl, const char *prefix, char **cause)
{
	const char *aw = strstr(prefix, "AWSLogs/"), *p;
	struct buf b;
	enum level lv = L_ACCOUNT;
	int r;

	if (aw != NULL && aw != prefix && aw[-1] != '/')
		aw = NULL;
	if (aw == NULL) {
		size_t n = strlen(prefix);

		/* a trail's own key prefix (or none): AWSLogs/ follows it */
		buf_init(&b, 4096);
		r = buf_printf(&b, "%s%sAWSLogs/", prefix, n > 0 && prefix[n - 1] != '/' ? "/" : "");
		r = r ? r : plan_level(pl, b.data, L_ACCOUNT, cause);
		buf_release(&b);
		return r;
	}
	if (prefix[strlen(prefix) - 1] != '/')
		return list_leaf(pl, prefix, cause);
	for (p = aw + strlen("AWSLogs/"); *p; p = strchr(p, '/') + 1) {
		size_t n = (size_t)(strchr(p, '/') - p);

		if (lv == L_ACCOUNT && strncmp(p, "o-", 2) == 0)
			continue;
		if (lv == L_CLOUDTRAIL && (n != 10 || memcmp(p, "CloudTrail", 10) != 0))
			return list_leaf(pl, prefix, cause);
		if (lv == L_DATE)
			return list_leaf(pl, prefix, cause);
		lv++;
	}
	return plan_level(pl, prefix, lv, cause);
}

static void
plan_release(struct plan *pl)
{
	size_t i;

	for (i = 0; i < pl->nobjs; i++)
		free(pl->objs[i].key);
	free(pl->objs);
	for (i = 0; i < pl->nprefixes; i++)
		free(pl->prefixes[i]);
	free(pl->prefixes);
	free(pl->bucket);
	conn_aws_pull_close(&pl->aws);
}

/* Rows for the objects to fetch, in one transaction, before any fetch:
 * each object's events name its row.  A row without an ETag is "not yet
 * fetched". */
static int
plan_rows(struct plan *pl)
{
	struct buf path;
	size_t i;
	int rc = CD_OK;

	if (store_begin_wait(pl->s, 600LL * 1000000000LL) != CD_OK)
		return CD_E_DB;
	buf_init(&path, 4096);
	for (i = 0; i < pl->nobjs && rc == CD_OK; i++) {
		struct store_input in;

		if (pl->objs[i].input_id != 0)
			continue;
		memset(&in, 0, sizeof(in));
		buf_reset(&path);
		if (buf_printf(&path, "s3://%s/%s", pl->bucket, pl->objs[i].key) != CD_OK)
			rc = CD_E_LIMIT;
		in.path = path.data;
		in.line = 1;
		in.size_seen = pl->objs[i].size;
		rc = rc ? rc : store_input_put(pl->s, &in);
		pl->objs[i].input_id = in.id;
	}
	buf_release(&path);
	if (rc != CD_OK || store_commit(pl->s) != CD_OK) {
		store_rollback(pl->s);
		return CD_E_DB;
	}
	return CD_OK;
}

/* ---- fetching ----------------------------------------------------------- */

struct xfer {
	struct fetch *f;
	struct s3obj *obj;
	CURL *h;
	struct curl_slist *hl;
	z_stream z;
	int zinit, zend;
	struct buf out;        /* decompressed */
	struct buf err;        /* an error answer's body */
	int64_t zin;           /* compressed bytes taken */
	long status;
	char bad[256];         /* why the object is not readable (a reject), or "" */
};

struct fetch {
	struct plan *pl;
	const struct ingest_opts *o;
	struct writer *w;
	struct ingest_feed *feed;
	struct ingest_input_summary *isum;
	CURLM *m;
	size_t next;           /* objs[] not yet started */
	size_t *retry;         /* objs waiting for another attempt */
	size_t nretry;
	int running;
	int64_t done, failed, got_bytes;
	char first_fail[512];
	int64_t last_progress;
	int stop;              /* a store error: no more objects */
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	unsigned char chunk[65536];
	int zr;

	if (x->status == 0)
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status != 200) {
		if (buf_add(&x->err, p, len) != CD_OK)
			return len; /* the start is enough to say why */
		return len;
	}
	if (x->bad[0])
		return len; /* drained: the object is already judged */
	if (x->zend) {
		/* more after a whole member: another member (concatenated .gz) */
		x->zend = 0;
		inflateReset(&x->z);
	}
	if (x->zin == 0 && (len < 2 || (unsigned char)p[0] != 0x1f || (unsigned char)p[1] != 0x8b)) {
		snprintf(x->bad, sizeof(x->bad), "not gzip (CloudTrail delivers .json.gz): byte 0");
		return len;
	}
	if (!x->zinit) {
		memset(&x->z, 0, sizeof(x->z));
		if (inflateInit2(&x->z, 16 + MAX_WBITS) != Z_OK)
			return 0;
		x->zinit = 1;
	}
	x->z.next_in = (unsigned char *)p;
	x->z.avail_in = (uInt)len;
	while (x->z.avail_in > 0 && !x->bad[0]) {
		size_t before = x->z.avail_in;

		x->z.next_out = chunk;
		x->z.avail_out = sizeof(chunk);
		zr = inflate(&x->z, Z_NO_FLUSH);
		x->zin += (int64_t)(before - x->z.avail_in);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			snprintf(x->bad, sizeof(x->bad), "gzip data corrupt (%s) at compressed byte %lld",
				 x->z.msg ? x->z.msg : "inflate failed", (long long)x->zin);
			break;
		}
		if (buf_add(&x->out, chunk, sizeof(chunk) - x->z.avail_out) != CD_OK) {
			snprintf(x->bad, sizeof(x->bad), "larger than %zu bytes decompressed", OBJ_MAX);
			break;
		}
		if (zr == Z_STREAM_END) {
			/* another gzip member may follow (concatenated .gz) */
			if (x->z.avail_in == 0) {
				x->zend = 1;
				break;
			}
			inflateReset(&x->z);
		}
	}
	return len;
}

static int64_t
now_ns(void)
{
	return time_now_ns();
}

static void
xfer_free(struct xfer *x)
{
	if (x->h != NULL) {
		curl_multi_remove_handle(x->f->m, x->h);
		curl_easy_cleanup(x->h);
	}
	curl_slist_free_all(x->hl);
	if (x->zinit)
		inflateEnd(&x->z);
	buf_release(&x->out);
	buf_release(&x->err);
	free(x);
}

static int
start(struct fetch *f, struct s3obj *obj)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	struct buf url;
	int rc;

	x->f = f;
	x->obj = obj;
	buf_init(&x->out, OBJ_MAX);
	buf_init(&x->err, 4096);
	buf_init(&url, 8192);
	if ((x->h = curl_easy_init()) == NULL)
		cd_fatal("curl_easy_init failed");
	rc = conn_s3_url(f->pl->aws, f->pl->bucket, obj->key, &url);
	rc = rc ? rc : conn_aws_pull_easy(f->pl->aws, x->h, url.data, &x->hl);
	buf_release(&url);
	if (rc == CD_OK && (curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
			    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x) != CURLE_OK ||
			    curl_easy_setopt(x->h, CURLOPT_PRIVATE, x) != CURLE_OK ||
			    curl_multi_add_handle(f->m, x->h) != CURLM_OK))
		rc = CD_E_IO;
	if (rc != CD_OK) {
		xfer_free(x);
		return rc;
	}
	obj->attempts++;
	f->running++;
	return CD_OK;
}

static void
obj_path(const struct fetch *f, const struct s3obj *obj, struct buf *b)
{
	buf_reset(b);
	if (buf_printf(b, "s3://%s/%s", f->pl->bucket, obj->key) != CD_OK)
		buf_reset(b);
}

/* The object's row, with its ETag: queued after its events and rejects and
 * committed with them. */
static int
record(struct fetch *f, const struct s3obj *obj, const char *path, const char *format,
       int64_t decompressed)
{
	struct store_input in;

	memset(&in, 0, sizeof(in));
	in.id = obj->input_id;
	in.path = (char *)path;
	in.format = (char *)format;
	in.head_len = (int64_t)strlen(obj->etag);
	sha256(obj->etag, strlen(obj->etag), in.head_sha);
	in.offset = decompressed;
	in.line = 1;
	in.size_seen = obj->size;
	return writer_checkpoint(f->w, &in, 1);
}

/* A whole object arrived: its events (or its reject) and its row. */
static int
store_object(struct fetch *f, struct xfer *x)
{
	struct buf path;
	const char *fmt = NULL;
	int rc = CD_OK;

	buf_init(&path, 4096);
	obj_path(f, x->obj, &path);
	if (!x->bad[0] && x->zin == 0)
		snprintf(x->bad, sizeof(x->bad), "empty object: not gzip (CloudTrail delivers .json.gz)");
	if (!x->bad[0] && !x->zend)
		snprintf(x->bad, sizeof(x->bad),
			 "truncated gzip: the stream ends early at compressed byte %lld of %lld",
			 (long long)x->zin, (long long)x->obj->size);
	if (!x->bad[0]) {
		fmt = f->o->format ? f->o->format : ingest_probe(x->out.data, x->out.len);
		if (fmt == NULL)
			snprintf(x->bad, sizeof(x->bad), "not a log of a known format");
	}
	if (x->bad[0]) {
		rc = writer_reject(f->w, f->isum, x->obj->input_id, path.data, x->zin, 0, NULL, x->bad,
				   NULL, 0);
	} else {
		ingest_feed_input(f->feed, x->obj->input_id);
		rc = ingest_feed(f->feed, fmt, path.data, f->isum, x->out.data, x->out.len);
		if (rc == CD_E_PARSE || rc == CD_E_LIMIT) /* the record's reject is queued */
			rc = CD_OK;
	}
	rc = rc ? rc : record(f, x->obj, path.data, fmt, (int64_t)x->out.len);
	buf_release(&path);
	return rc;
}

static int
retryable(CURLcode c, long status)
{
	if (c != CURLE_OK)
		return c != CURLE_WRITE_ERROR;
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static void
failed(struct fetch *f, struct xfer *x, CURLcode c)
{
	struct buf path;

	f->failed++;
	if (f->first_fail[0])
		return;
	buf_init(&path, 4096);
	obj_path(f, x->obj, &path);
	if (c != CURLE_OK)
		snprintf(f->first_fail, sizeof(f->first_fail), "%s: %s", path.data, curl_easy_strerror(c));
	else
		snprintf(f->first_fail, sizeof(f->first_fail), "%s: HTTP %ld%s%.*s", path.data,
			 x->status, x->err.len ? ": " : "", (int)(x->err.len < 200 ? x->err.len : 200),
			 x->err.data);
	buf_release(&path);
}

static void
done(struct fetch *f, CURLMsg *msg)
{
	struct xfer *x = NULL;
	CURLcode c = msg->data.result;

	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	f->running--;
	if (c == CURLE_OK && x->status == 200) {
		f->got_bytes += x->zin;
		if (!f->stop && store_object(f, x) != CD_OK)
			f->stop = 1;
		f->done++;
	} else if (retryable(c, x->status) && x->obj->attempts < ATTEMPTS) {
		/* back off 250 ms, 500 ms, 1 s before the next attempt */
		x->obj->not_before = now_ns() + (250LL << (x->obj->attempts - 1)) * 1000000LL;
		f->retry = xrealloc(f->retry, (f->nretry + 1) * sizeof(*f->retry));
		f->retry[f->nretry++] = (size_t)(x->obj - f->pl->objs);
	} else {
		failed(f, x, c);
	}
	xfer_free(x);
}

static void
progress(struct fetch *f, int last)
{
	int64_t t = now_ns();

	if (!f->o->progress || (!last && t - f->last_progress < 250000000LL))
		return;
	f->last_progress = t;
	fprintf(stderr, "\r  s3: %lld/%zu objects, %.1f MiB, %lld events%s",
		(long long)(f->done + f->failed), f->pl->nobjs, (double)f->got_bytes / 1048576.0,
		(long long)__atomic_load_n(&f->isum->events, __ATOMIC_RELAXED), last ? "\n" : "");
}

/* Start what may start: retries whose wait is over first, then new objects. */
static int
fill(struct fetch *f, int jobs)
{
	int64_t t = now_ns();
	size_t i = 0;

	while (f->running < jobs && i < f->nretry) {
		struct s3obj *obj = &f->pl->objs[f->retry[i]];

		if (obj->not_before > t) {
			i++;
			continue;
		}
		f->retry[i] = f->retry[--f->nretry];
		if (start(f, obj) != CD_OK)
			return CD_E_IO;
	}
	while (!f->stop && f->running < jobs && f->next < f->pl->nobjs)
		if (start(f, &f->pl->objs[f->next++]) != CD_OK)
			return CD_E_IO;
	return CD_OK;
}

static int
fetch_all(struct plan *pl, const struct ingest_opts *o, struct ingest_input_summary *isum,
	  struct store *s)
{
	struct fetch f = { 0 };
	int jobs = pl->po->jobs > 0 ? pl->po->jobs : 4;
	int rc = CD_OK, still;

	f.pl = pl;
	f.o = o;
	f.isum = isum;
	writer_new(s, 1, o->observer, &f.w);
	f.feed = ingest_feed_new(s, f.w, o, 0, OBJ_MAX);
	if ((f.m = curl_multi_init()) == NULL)
		cd_fatal("curl_multi_init failed");
	curl_multi_setopt(f.m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)jobs);
	while (rc == CD_OK) {
		CURLMsg *msg;
		int left;

		if ((rc = fill(&f, jobs)) != CD_OK)
			break;
		if (f.running == 0 && (f.stop || f.next >= pl->nobjs) && f.nretry == 0)
			break;
		if (curl_multi_perform(f.m, &still) != CURLM_OK) {
			rc = CD_E_IO;
			break;
		}
		while ((msg = curl_multi_info_read(f.m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				done(&f, msg);
		progress(&f, 0);
		if (f.running > 0)
			curl_multi_poll(f.m, NULL, 0, 100, NULL);
		else if (f.nretry > 0)
			usleep(20000); /* only retries left, waiting for their time */
		if (ingest_interrupted())
			f.stop = 1;
	}
	progress(&f, 1);
	if (writer_commit_queued(f.w) != CD_OK || writer_sync(f.w) != CD_OK)
		rc = CD_E_DB;
	if (rc == CD_OK && f.stop && !ingest_interrupted())
		rc = CD_E_DB;
	if (rc == CD_OK && f.stop)
		rc = CD_E_INTERRUPTED;
	if (f.failed > 0) {
		out_err("s3://%s: %lld of %zu objects could not be fetched (first: %s); what was fetched"
			" is stored, and the same command again fetches the rest",
			pl->bucket, (long long)f.failed, pl->nobjs, f.first_fail);
		if (rc == CD_OK)
			rc = CD_E_IO;
	}
	if (!o->quiet)
		fprintf(stderr, "s3://%s: %lld objects fetched (%.1f MiB), %lld unchanged since the last"
			" run, %lld failed\n", pl->bucket, (long long)f.done,
			(double)f.got_bytes / 1048576.0, (long long)pl->unchanged, (long long)f.failed);
	curl_multi_cleanup(f.m);
	ingest_feed_free(&f.feed);
	writer_free(&f.w);
	free(f.retry);
	return rc;
}

static void
print_plan(const struct plan *pl)
{
	size_t i;

	printf("plan for s3://%s (%lld listings):\n", pl->bucket, (long long)pl->listings);
	for (i = 0; i < pl->nprefixes; i++) {
		out_printf(stdout, "  list  s3://%s/%s", pl->bucket, pl->prefixes[i]);
		printf("\n");
	}
	for (i = 0; i < pl->nobjs; i++) {
		out_printf(stdout, "  fetch s3://%s/%s  %lld bytes", pl->bucket, pl->objs[i].key,
			   (long long)pl->objs[i].size);
		printf("\n");
	}
	printf("objects to fetch: %zu (%lld bytes); unchanged since the last run: %lld (%lld bytes)\n",
	       pl->nobjs, (long long)pl->bytes, (long long)pl->unchanged,
	       (long long)pl->unchanged_bytes);
}

/* S3's bucket names: 3-63 of [a-z0-9.-] (older ones may have '_' and capitals) */
static int
bucket_ok(const char *b)
{
	size_t n = strlen(b), i;

	if (n < 3 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') ||
		      (b[i] >= '0' && b[i] <= '9') || b[i] == '.' || b[i] == '-' || b[i] == '_'))
			return 0;
	return 1;
}

/* CORDON_S3_PAGE: keys per listing page (tests use a small one). */
static int
page_size(void)
{
	const char *v = getenv("CORDON_S3_PAGE");
	uint64_t n;

	if (v == NULL || span_to_u64((struct span){ v, strlen(v) }, &n) != CD_OK || n < 1 || n > 1000)
		return 1000;
	return (int)n;
}

int
ingest_pull_s3(struct store *s, const struct ingest_opts *o, const struct ingest_pull_opts *po,
	       struct ingest_summary *sum)
{
	struct conn_aws_pull_opts ao = { .profile = po->profile, .endpoint = po->endpoint, .service = "s3" };
	struct plan pl = { 0 };
	struct ingest_input_summary *isum;
	const char *rest = po->url + strlen("s3://"), *slash = strchr(rest, '/');
	char *cause = NULL;
	int64_t t0 = now_ns();
	int rc;

	memset(sum, 0, sizeof(*sum));
	sum->wal_max = -1;
	sum->inputs = isum = xcalloc(1, sizeof(*isum));
	sum->ninputs = 1;
	isum->path = xstrdup(po->url);
	isum->format = "cloudtrail";
	pl.po = po;
	pl.s = s;
	ingest_catch_signals();
	pl.max_keys = page_size();
	pl.bucket = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	if (pl.bucket[0] == '\0' || !bucket_ok(pl.bucket)) {
		out_err("%s: not a bucket name (s3://BUCKET/PREFIX)", po->url);
		plan_release(&pl);
		return CD_E_USAGE;
	}
	pl.day_lo = po->since_ns != TIME_NONE ? po->since_ns / DAY_NS : INT64_MIN;
	/* CloudTrail delivers within about 15 minutes: an event near midnight
	 * is in the next day's folder */
	pl.day_hi = po->until_ns != TIME_NONE ? (po->until_ns + 3600LL * 1000000000LL) / DAY_NS
					      : INT64_MAX;
	if (pl.day_lo != INT64_MIN && pl.day_hi == INT64_MAX)
		pl.day_hi = (now_ns() + 3600LL * 1000000000LL) / DAY_NS;
	if (pl.day_lo == INT64_MIN && pl.day_hi != INT64_MAX) {
		out_err("--until needs --since for s3:// (the days between are what is listed)");
		plan_release(&pl);
		return CD_E_USAGE;
	}
	if (pl.day_lo != INT64_MIN && pl.day_hi - pl.day_lo > 3660) {
		out_err("--since..--until spans more than ten years of days to list; narrow it");
		plan_release(&pl);
		return CD_E_USAGE;
	}
	pl.dated = pl.day_lo != INT64_MIN || po->accounts != NULL || po->regions != NULL;
	/* the bucket's region signs: the environment's or profile's, else a
	 * single --region (the trail's region is usually the bucket's) */
	ao.region_default = po->nregions == 1 ? po->regions[0] : NULL;
	if (conn_aws_pull_open(&ao, &pl.aws, &cause) != CD_OK) {
		out_err("%s: %s", po->url, cause);
		free(cause);
		plan_release(&pl);
		return CD_E_USAGE;
	}
	rc = plan_start(&pl, slash ? slash + 1 : "", &cause);
	if (rc != CD_OK) {
		out_err("%s", cause ? cause : cd_strerror(rc));
		free(cause);
		plan_release(&pl);
		return rc == CD_E_NOTFOUND ? CD_E_USAGE : CD_E_IO;
	}
	if (po->dry_run) {
		print_plan(&pl);
		isum->skipped = 1;
	} else if ((rc = plan_rows(&pl)) == CD_OK) {
		rc = fetch_all(&pl, o, isum, s);
	}
	sum->events = isum->events;
	sum->duplicates = isum->duplicates;
	sum->rejects = isum->rejects;
	sum->bytes = isum->bytes;
	sum->seconds = (double)(now_ns() - t0) / 1e9;
	plan_release(&pl);
	return rc;
}
