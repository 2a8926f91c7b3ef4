/*
 * aws.c - the AWS connector: IAM and STS over the query protocol (Lambda's
 * REST-JSON containment: aws_lambda.c).
 *
 * Every call is POST / with a form body, signed by libcurl's
 * CURLOPT_AWS_SIGV4 with all four scope fields.  libcurl 7.88.1 has known
 * SigV4 bugs (../shared/reference/connectors.md 1.5) that shape this file:
 * no query strings (not canonicalized), no user-set X-Amz-Date (sent
 * twice), the body only through POSTFIELDS (the only thing hashed), the key
 * id validated before it reaches Credential= (aws_config.c), and the
 * session token added as a header, which 7.88 signs.
 *
 * Actions read the key's owner and status first, act, then list the keys
 * again to verify.  NoSuchEntity on a delete means "already done".
 * CreateAccessKey is never retried blindly: after a lost answer the keys
 * are listed again and a key that appeared is reported, not duplicated.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"

#define IAM_VERSION "2010-05-08"
#define STS_VERSION "2011-06-15"
#define AWS_MAX_KEYS 16

struct aws_key {
	char id[132];
	char status[16];
};

static int
aws_open(void **cdata, char **cause)
{
	const struct conn_opts *o = conn_opening();
	struct aws_cfg *a;
	int r = aws_cfg_load(&a, cause);

	*cdata = r == CD_OK ? a : NULL;
	/* a dry run says which source would sign (never a secret) */
	if (r == CD_OK && o != NULL && o->dry_run)
		fprintf(o->dry_out ? o->dry_out : stdout, "  # aws credentials: %s\n", a->source);
	return r;
}

static void
aws_close(void **cdata)
{
	if (*cdata != NULL)
		aws_cfg_free(*cdata);
	*cdata = NULL;
}

/* Implements http_req::throttle: AWS throttles with HTTP 400 and a code. */
static int
aws_throttle(const struct http_resp *rs)
{
	struct span body = { rs->body.data, rs->body.len }, err, code;

	if (rs->status != 400)
		return 0;
	if (xml_find(body, "Error", &err) != CD_OK || xml_find(err, "Code", &code) != CD_OK)
		return 0;
	return span_eq(code, "Throttling") || span_eq(code, "ThrottlingException") ||
	       span_eq(code, "RequestLimitExceeded") || span_eq(code, "RequestThrottled") ||
	       span_eq(code, "RequestThrottledException") || span_eq(code, "TooManyRequestsException");
}

static int
form_add(struct buf *b, const char *key, const char *val)
{
	int r = b->len ? buf_addc(b, '&') : CD_OK;

	r = r ? r : url_encode(b, key, strlen(key));
	r = r ? r : buf_addc(b, '=');
	r = r ? r : url_encode(b, val, strlen(val));
	return r;
}

static void
xml_field(struct span s, const char *tag, char *out, size_t cap)
{
	struct span v;

	out[0] = '\0';
	if (xml_find(s, tag, &v) == CD_OK && xml_text(v, out, cap) != CD_OK)
		out[0] = '\0';
}

/* Implements api_style::parse: <Error><Code>/<Message> and <RequestId>. */
static void
aws_parse(struct api_out *o)
{
	struct span body = { o->rs.body.data, o->rs.body.len }, err;

	if (o->rs.request_id[0] == '\0')
		xml_field(body, "RequestId", o->rs.request_id, sizeof(o->rs.request_id));
	if (o->rs.status < 300)
		return;
	if (xml_find(body, "Error", &err) == CD_OK) {
		xml_field(err, "Code", o->code, sizeof(o->code));
		xml_field(err, "Message", o->message, sizeof(o->message));
	}
	if (o->code[0] == '\0')
		snprintf(o->code, sizeof(o->code), "HTTP%ld", o->rs.status);
}

/* Implements api_style::explain, with a hint for the errors people hit. */
static void
aws_explain(struct conn_result *res, const struct api_out *o, const char *what)
{
	if (o->rs.status == 0)
		return;
	res_detail(res, "%s: HTTP %ld %s: %s", what, o->rs.status, o->code, o->message);
	if (strcmp(o->code, "SignatureDoesNotMatch") == 0)
		res_detail(res, "the AWS secret key does not match the access key id "
				"(check AWS_SECRET_ACCESS_KEY or the profile)");
	else if (strcmp(o->code, "InvalidClientTokenId") == 0)
		res_detail(res, "the AWS access key id used to sign is not valid");
	else if (strcmp(o->code, "ExpiredToken") == 0)
		res_detail(res, "the AWS session token has expired");
}

static const struct api_style aws_style = { .parse = aws_parse, .explain = aws_explain };

/* Record an AWS failure on res.  Unlike the other providers, a call that
 * got no answer clears the status an earlier call left on res. */
void
aws_fail(struct conn_result *res, const struct api_out *o, const char *what)
{
	res_from_resp(res, &o->rs);
	api_fail(res, o, what);
}

/*
 * One IAM (sts = 0) or STS call of ACTION with a form of name/value pairs
 * (NULL name ends them; a NULL value leaves its pair out).  CD_OK when an
 * answer arrived (o->rs.status says which; o->code holds an error code),
 * CD_E_IO when none did.  The caller releases o->rs.
 */
int
aws_call(struct conn *c, int sts, int idempotent, const char *summary, struct api_out *o,
	 struct conn_result *res, const char *action, ...)
{
	struct aws_cfg *a = c->cdata;
	struct http_req rq = { 0 };
	struct http_tls tls = { 0 };
	struct buf form;
	const char *k, *v;
	va_list ap;
	int r;

	buf_init(&form, 256 * 1024);
	r = form_add(&form, "Action", action) || form_add(&form, "Version", sts ? STS_VERSION : IAM_VERSION);
	va_start(ap, action);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v != NULL && r == CD_OK)
			r = form_add(&form, k, v);
	}
	va_end(ap);
	/* every value is an identifier or a short policy checked by the caller */
	CD_BUG_ON(r != CD_OK);
	rq.method = "POST";
	rq.url = sts ? a->sts_url : a->iam_url;
	/* set by us so it is signed (both forms verify; one less difference) */
	http_req_header(&rq, "Content-Type: application/x-www-form-urlencoded; charset=utf-8", 0);
	if (a->token_header != NULL)
		http_req_header(&rq, a->token_header, 1);
	rq.body = form.data;
	rq.body_len = form.len;
	rq.sigv4 = sts ? a->sts_scope : a->iam_scope;
	rq.userpwd = a->userpwd;
	if (a->ca_bundle != NULL) {
		tls.ca_file = a->ca_bundle;
		rq.tls = &tls;
	}
	rq.idempotent = idempotent;
	rq.reqid_headers[0] = "x-amzn-RequestId";
	rq.reqid_headers[1] = "x-amz-request-id";
	rq.throttle = aws_throttle;
	r = api_send(c, &rq, summary, &aws_style, o, res);
	buf_release(&form);
	return r;
}

/*
 * The owner of a key (GetAccessKeyLastUsed).  CD_E_NOTFOUND: no such key in
 * this account, asked three times (IAM is eventually consistent, and one
 * NoSuchEntity may be transient), or AccessDenied (then *denied is 1).
 */
static int
aws_key_user(struct conn *c, const char *akid, char *user, size_t cap, int *denied,
	     struct conn_result *res)
{
	struct api_out o;
	char sum[256];
	int r, attempt;

	user[0] = '\0';
	*denied = 0;
	snprintf(sum, sizeof(sum), "iam GetAccessKeyLastUsed AccessKeyId=%s", akid);
	for (attempt = 0;; attempt++) {
		r = aws_call(c, 0, 1, sum, &o, res, "GetAccessKeyLastUsed", "AccessKeyId", akid, NULL);
		if (r == CD_OK && strcmp(o.code, "NoSuchEntity") == 0 && attempt < 2) {
			http_resp_release(&o.rs);
			http_pause(attempt, -1);
			continue;
		}
		break;
	}
	if (r == CD_OK && o.rs.status == 200) {
		struct span b = { o.rs.body.data, o.rs.body.len };

		xml_field(b, "UserName", user, cap);
		if (user[0] == '\0') {
			res_detail(res, "GetAccessKeyLastUsed answered without a UserName");
			r = CD_E_PARSE;
		}
	} else if (r == CD_OK && strcmp(o.code, "NoSuchEntity") == 0) {
		r = CD_E_NOTFOUND;
	} else if (r == CD_OK && strcmp(o.code, "AccessDenied") == 0) {
		aws_fail(res, &o, "GetAccessKeyLastUsed");
		*denied = 1;
		r = CD_E_NOTFOUND;
	} else {
		aws_fail(res, &o, "GetAccessKeyLastUsed");
		r = CD_E_IO;
	}
	http_resp_release(&o.rs);
	return r;
}

/* One STS read returning <Account> (GetCallerIdentity, GetAccessKeyInfo). */
static int
aws_sts_account(struct conn *c, const char *op, const char *akid, char *acct, size_t cap,
		struct conn_result *res)
{
	struct api_out o;
	char sum[256];
	int r;

	acct[0] = '\0';
	snprintf(sum, sizeof(sum), "sts %s%s%s", op, akid ? " AccessKeyId=" : "", akid ? akid : "");
	r = aws_call(c, 1, 1, sum, &o, res, op, "AccessKeyId", akid, NULL);
	if (r == CD_OK && o.rs.status == 200) {
		struct span b = { o.rs.body.data, o.rs.body.len };

		xml_field(b, "Account", acct, cap);
	}
	r = acct[0] ? CD_OK : CD_E_IO;
	http_resp_release(&o.rs);
	return r;
}

/*
 * A key whose owner cannot be read (NoSuchEntity after retries, or
 * AccessDenied): never "already done".  Say whose it is: another
 * account's (GetAccessKeyInfo against GetCallerIdentity), or not found in
 * ours (deleted, mistyped, never existed) - which only the caller's own
 * trail can turn into "already" (absent_by).
 */
static void
aws_key_unseen(struct conn *c, const char *akid, int denied, struct conn_result *res)
{
	char mine[32], theirs[32];

	res->outcome = CONN_FAILED;
	if (aws_sts_account(c, "GetCallerIdentity", NULL, mine, sizeof(mine), res) == CD_OK &&
	    aws_sts_account(c, "GetAccessKeyInfo", akid, theirs, sizeof(theirs), res) == CD_OK &&
	    strcmp(mine, theirs) != 0) {
		res_detail(res, "access key %s belongs to AWS account %s, not the caller's (%s): cordon "
				"can neither revoke nor verify it; ask that account's owner (or AWS) to act",
			   akid, theirs, mine);
		return;
	}
	if (denied) {
		res_detail(res, "cannot read the owner of %s: the caller may not call "
				"iam:GetAccessKeyLastUsed, so nothing proves the key is revoked",
			   akid);
		return;
	}
	res_verified(res, "not found in account %s", mine[0] ? mine : "?");
	res_detail(res, "access key %s is not in this account's IAM (NoSuchEntity, asked 3 times): "
			"deleted, mistyped, or never existed; cordon cannot prove it is revoked",
		   akid);
	snprintf(res->absent_by, sizeof(res->absent_by), "delete-key");
}

/* A user's keys (ListAccessKeys, every page). */
static int
aws_key_list(struct conn *c, const char *user, struct aws_key *keys, int *nkeys,
	     struct conn_result *res)
{
	char marker[512] = "";
	int page, r = CD_OK;

	*nkeys = 0;
	for (page = 0; page < 20; page++) {
		struct api_out o;
		char sum[256], trunc[8];
		struct span b, meta, m;
		const char *cur;

		snprintf(sum, sizeof(sum), "iam ListAccessKeys UserName=%s", user);
		r = aws_call(c, 0, 1, sum, &o, res, "ListAccessKeys", "UserName", user, "Marker",
			     marker[0] ? marker : NULL, NULL);
		if (r != CD_OK || o.rs.status != 200) {
			aws_fail(res, &o, "ListAccessKeys");
			http_resp_release(&o.rs);
			return CD_E_IO;
		}
		b.p = o.rs.body.data;
		b.n = o.rs.body.len;
		if (xml_find(b, "AccessKeyMetadata", &meta) == CD_OK) {
			cur = meta.p;
			while (*nkeys < AWS_MAX_KEYS && xml_next(meta, &cur, "member", &m) == CD_OK) {
				xml_field(m, "AccessKeyId", keys[*nkeys].id, sizeof(keys[*nkeys].id));
				xml_field(m, "Status", keys[*nkeys].status, sizeof(keys[*nkeys].status));
				if (keys[*nkeys].id[0])
					(*nkeys)++;
			}
		}
		xml_field(b, "IsTruncated", trunc, sizeof(trunc));
		xml_field(b, "Marker", marker, sizeof(marker));
		http_resp_release(&o.rs);
		if (strcmp(trunc, "true") != 0 || marker[0] == '\0')
			return CD_OK;
	}
	return CD_OK;
}

static const struct aws_key *
key_find(const struct aws_key *keys, int n, const char *id)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].id, id) == 0)
			return &keys[i];
	return NULL;
}

static int
akid_target(const char *t, struct conn_result *res)
{
	size_t n = strlen(t), i;

	if (n < 16 || n > 128) {
		res_detail(res, "'%s' is not an access key id (AKIA..., 16-128 characters)", t);
		return CD_E_USAGE;
	}
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9'))) {
			res_detail(res, "'%s' is not an access key id", t);
			return CD_E_USAGE;
		}
	return CD_OK;
}

/*
 * UpdateAccessKey (status given) or DeleteAccessKey (status NULL) on one
 * key of user (NULL: the caller's own).  NoSuchEntity -> CD_E_NOTFOUND,
 * with its answer recorded on res like a success's.
 */
static int
aws_key_op(struct conn *c, const char *op, const char *akid, const char *status, const char *user,
	   struct conn_result *res)
{
	const struct api_expect e = { .what = op, .ok = { 200 }, .gone_code = "NoSuchEntity" };
	struct api_out o;
	char sum[320];
	int r;

	snprintf(sum, sizeof(sum), "iam %s AccessKeyId=%s%s%s UserName=%s", op, akid,
		 status ? " Status=" : "", status ? status : "", user ? user : "(caller)");
	r = aws_call(c, 0, 1, sum, &o, res, op, "AccessKeyId", akid, "Status", status, "UserName", user,
		     NULL);
	if (!o.rs.dry_run)
		res_from_resp(res, &o.rs); /* whatever the answer, or none (see aws_fail) */
	r = api_acted(r, &o, &e, res);
	return r == ACTED_FAILED ? CD_E_IO : r == ACTED_ALREADY ? CD_E_NOTFOUND : CD_OK;
}

static int
aws_set_status(struct conn *c, const char *akid, const char *user, const char *status,
	       struct conn_result *res)
{
	return aws_key_op(c, "UpdateAccessKey", akid, status, user, res);
}

static int
aws_delete_one(struct conn *c, const char *akid, const char *user, struct conn_result *res)
{
	return aws_key_op(c, "DeleteAccessKey", akid, NULL, user, res);
}

/* Shared by disable-key and enable-key. */
static int
aws_key_status_action(struct conn *c, const char *akid, const char *want, struct conn_result *res)
{
	struct aws_key keys[AWS_MAX_KEYS];
	const struct aws_key *k;
	char user[256];
	int n, r, denied;

	if (akid_target(akid, res) != CD_OK)
		return CD_E_USAGE;
	if (c->opts->dry_run) {
		snprintf(user, sizeof(user), "<owner of %s, looked up when run>", akid);
		aws_set_status(c, akid, user, want, res);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	/* check: whose key it is, then its state in the owner's list */
	r = aws_key_user(c, akid, user, sizeof(user), &denied, res);
	if (r == CD_E_NOTFOUND) {
		aws_key_unseen(c, akid, denied, res);
		if (strcmp(want, "Inactive") != 0)
			res->absent_by[0] = '\0'; /* a deleted key cannot be enabled */
		return CD_OK;
	}
	if (r != CD_OK || aws_key_list(c, user, keys, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	k = key_find(keys, n, akid);
	if (k != NULL && strcmp(k->status, want) == 0) {
		res->outcome = CONN_ALREADY;
		res_verified(res, "%s (user %s)", k->status, user);
		goto undo;
	}
	/* act */
	r = aws_set_status(c, akid, user, want, res);
	if (r == CD_E_NOTFOUND && strcmp(want, "Inactive") == 0) {
		/* gone under us: "already" only if the owner's list agrees */
		if (aws_key_list(c, user, keys, &n, res) == CD_OK && key_find(keys, n, akid) == NULL) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "absent from %s's keys (deleted)", user);
		} else {
			res->outcome = CONN_FAILED;
			res_detail(res, "UpdateAccessKey said NoSuchEntity but %s's keys could not be "
					"read back to confirm it",
				   user);
		}
		return CD_OK;
	}
	if (r != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	/* verify */
	if (aws_key_list(c, user, keys, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		res_detail(res, "acted, but could not read the key back");
		return CD_OK;
	}
	k = key_find(keys, n, akid);
	if (k == NULL || strcmp(k->status, want) != 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: key %s is %s, not %s", akid, k ? k->status : "absent", want);
		return CD_OK;
	}
	res->outcome = CONN_DONE;
	res_verified(res, "%s (user %s)", k->status, user);
undo:
	res_undo(res, "%s %s",
		 strcmp(want, "Inactive") == 0 ? "enable-key" : "disable-key", akid);
	return CD_OK;
}

/* Implements conn_action::run for disable-key. */
static int
aws_disable_key(struct conn *c, const char *akid, struct conn_result *res)
{
	return aws_key_status_action(c, akid, "Inactive", res);
}

/* Implements conn_action::run for enable-key (the undo of disable-key). */
static int
aws_enable_key(struct conn *c, const char *akid, struct conn_result *res)
{
	return aws_key_status_action(c, akid, "Active", res);
}

/* Implements conn_action::run for delete-key. */
static int
aws_delete_key(struct conn *c, const char *akid, struct conn_result *res)
{
	struct aws_key keys[AWS_MAX_KEYS];
	char user[256];
	int n, r, denied;

	if (akid_target(akid, res) != CD_OK)
		return CD_E_USAGE;
	if (c->opts->dry_run) {
		snprintf(user, sizeof(user), "<owner of %s, looked up when run>", akid);
		aws_delete_one(c, akid, user, res);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	r = aws_key_user(c, akid, user, sizeof(user), &denied, res);
	if (r == CD_E_NOTFOUND) {
		aws_key_unseen(c, akid, denied, res);
		return CD_OK;
	}
	if (r != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	r = aws_delete_one(c, akid, user, res);
	if (r != CD_OK && r != CD_E_NOTFOUND) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	if (aws_key_list(c, user, keys, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		res_detail(res, "acted, but could not read the keys back");
		return CD_OK;
	}
	if (key_find(keys, n, akid) != NULL) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: key %s is still listed for %s", akid, user);
		return CD_OK;
	}
	res->outcome = r == CD_E_NOTFOUND ? CONN_ALREADY : CONN_DONE;
	res_verified(res, "absent from %s's keys", user);
	return CD_OK;
}

/* CreateAccessKey: the secret goes to res->secret only.  Never retried
 * blindly: after a lost or throttled answer the keys are listed again. */
static int
aws_create_key(struct conn *c, const char *user, const struct aws_key *before, int nbefore,
	       struct conn_result *res)
{
	int attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		struct api_out o;
		char sum[320];
		struct aws_key now[AWS_MAX_KEYS];
		int r, n, i;

		snprintf(sum, sizeof(sum), "iam CreateAccessKey UserName=%s", user);
		r = aws_call(c, 0, 0, sum, &o, res, "CreateAccessKey", "UserName", user, NULL);
		if (r == CD_OK && o.rs.dry_run) {
			http_resp_release(&o.rs);
			return CD_OK;
		}
		if (r == CD_OK && o.rs.status == 200) {
			struct span b = { o.rs.body.data, o.rs.body.len }, ak, sv;
			char secret[256];

			res_from_resp(res, &o.rs);
			if (xml_find(b, "AccessKey", &ak) == CD_OK &&
			    xml_find(ak, "SecretAccessKey", &sv) == CD_OK &&
			    xml_text(sv, secret, sizeof(secret)) == CD_OK) {
				xml_field(ak, "AccessKeyId", res->new_id, sizeof(res->new_id));
				res->secret_len = strlen(secret);
				res->secret = xstrndup(secret, res->secret_len);
			}
			explicit_bzero(secret, sizeof(secret));
			http_resp_release(&o.rs);
			if (res->secret == NULL || res->new_id[0] == '\0') {
				res_detail(res, "CreateAccessKey answered without a key");
				return CD_E_PARSE;
			}
			return CD_OK;
		}
		if (r == CD_OK && strcmp(o.code, "LimitExceeded") == 0) {
			aws_fail(res, &o, "CreateAccessKey (quota: two keys per user; not retried)");
			http_resp_release(&o.rs);
			return CD_E_LIMIT;
		}
		if (r == CD_OK && o.rs.status != 429 && o.rs.status < 500 && !aws_throttle(&o.rs)) {
			aws_fail(res, &o, "CreateAccessKey");
			http_resp_release(&o.rs);
			return CD_E_IO;
		}
		/* lost or throttled: did a key appear anyway? */
		http_pause(attempt, o.rs.retry_after_ms);
		http_resp_release(&o.rs);
		if (aws_key_list(c, user, now, &n, res) != CD_OK)
			return CD_E_IO;
		for (i = 0; i < n; i++) {
			if (key_find(before, nbefore, now[i].id) == NULL) {
				res_detail(res,
					   "CreateAccessKey's answer was lost but key %s was created; its "
					   "secret cannot be recovered: delete it with `cordon revoke aws-key "
					   "%s --delete`",
					   now[i].id, now[i].id);
				return CD_E_IO;
			}
		}
		res_detail(res, "CreateAccessKey attempt %d failed (%s); no key was created; trying again",
			   attempt + 1, r == CD_OK ? o.code : "no response");
	}
	return CD_E_IO;
}

/* Implements conn_action::run for rotate-key: create a new key (its secret
 * only to the caller), then disable the old one, then verify both. */
static int
aws_rotate_key(struct conn *c, const char *akid, struct conn_result *res)
{
	struct aws_key keys[AWS_MAX_KEYS];
	const struct aws_key *k, *nk, *ok;
	char user[256];
	int n, i, r, denied;

	if (akid_target(akid, res) != CD_OK)
		return CD_E_USAGE;
	if (c->opts->dry_run) {
		snprintf(user, sizeof(user), "<owner of %s, looked up when run>", akid);
		aws_create_key(c, user, NULL, 0, res);
		aws_set_status(c, akid, user, "Inactive", res);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	r = aws_key_user(c, akid, user, sizeof(user), &denied, res);
	if (r == CD_E_NOTFOUND) {
		aws_key_unseen(c, akid, denied, res);
		return CD_OK;
	}
	if (r != CD_OK || aws_key_list(c, user, keys, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	k = key_find(keys, n, akid);
	if (k == NULL || strcmp(k->status, "Active") != 0) {
		/* rotated (or disabled) before: a second run must not mint more keys */
		res->outcome = CONN_ALREADY;
		res_verified(res, "%s: already %s, not rotated again", akid,
			 k ? k->status : "absent");
		return CD_OK;
	}
	if (n >= 2) {
		for (i = 0; i < n; i++) {
			if (strcmp(keys[i].id, akid) == 0)
				continue;
			if (strcmp(keys[i].status, "Active") == 0) {
				res->outcome = CONN_FAILED;
				res_detail(res,
					   "%s already has two active keys (%s and %s): disable or delete one "
					   "first",
					   user, akid, keys[i].id);
				return CD_OK;
			}
			/* the quota is two keys: make room by deleting the inactive one */
			if (aws_delete_one(c, keys[i].id, user, res) == CD_E_IO) {
				res->outcome = CONN_FAILED;
				return CD_OK;
			}
			res_detail(res, "deleted inactive key %s to make room", keys[i].id);
		}
		if (aws_key_list(c, user, keys, &n, res) != CD_OK) {
			res->outcome = CONN_FAILED;
			return CD_OK;
		}
	}
	if (aws_create_key(c, user, keys, n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	if (aws_set_status(c, akid, user, "Inactive", res) != CD_OK) {
		res->outcome = CONN_FAILED;
		res_detail(res, "new key %s created, but the old key is still active", res->new_id);
		return CD_OK;
	}
	if (aws_key_list(c, user, keys, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	nk = key_find(keys, n, res->new_id);
	ok = key_find(keys, n, akid);
	if (nk == NULL || strcmp(nk->status, "Active") != 0 || (ok && strcmp(ok->status, "Inactive"))) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: new key %s is %s, old key %s", res->new_id,
			   nk ? nk->status : "absent", ok ? ok->status : "absent");
		return CD_OK;
	}
	res->outcome = CONN_DONE;
	res_verified(res, "new key %s Active; %s Inactive (user %s)",
		 res->new_id, akid, user);
	return CD_OK;
}

/* Role name from an ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME) or a name. */
int
aws_role_name(const char *t, char *out, size_t cap)
{
	const char *n = t;

	if (strncmp(t, "arn:", 4) == 0) {
		const char *slash = strrchr(t, '/');

		if (strstr(t, ":role/") == NULL || slash == NULL)
			return CD_E_USAGE;
		n = slash + 1;
	}
	if (!ident_ok(n, "+=,.@_-", 64) || strlen(n) >= cap)
		return CD_E_USAGE;
	memcpy(out, n, strlen(n) + 1);
	return CD_OK;
}

void
aws_url_decode(struct span s, char *out, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < s.n && k + 1 < cap; i++) {
		if (s.p[i] == '%' && i + 2 < s.n && hexval((unsigned char)s.p[i + 1]) >= 0 &&
		    hexval((unsigned char)s.p[i + 2]) >= 0) {
			out[k++] = (char)(hexval((unsigned char)s.p[i + 1]) << 4 |
					  hexval((unsigned char)s.p[i + 2]));
			i += 2;
		} else {
			out[k++] = s.p[i] == '+' ? ' ' : s.p[i];
		}
	}
	out[k] = '\0';
}

static const struct api_expect aws_policy_put = { .what = "PutRolePolicy", .ok = { 200 } };

/* Implements conn_action::run for revoke-role-sessions: the console's
 * "Revoke active sessions" (AWSRevokeOlderSessions, aws:TokenIssueTime). */
static int
aws_revoke_role_sessions(struct conn *c, const char *target, struct conn_result *res)
{
	char role[80], now[40], doc[512], sum[256], got[2048];
	struct api_out o;
	int r;

	if (aws_role_name(target, role, sizeof(role)) != CD_OK) {
		res_detail(res, "'%s' is not a role name or role ARN", target);
		return CD_E_USAGE;
	}
	time_format_sec(time_now_ns(), now, sizeof(now));
	snprintf(doc, sizeof(doc),
		 "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\","
		 "\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"%s\"}}}}",
		 now);
	snprintf(sum, sizeof(sum), "iam PutRolePolicy RoleName=%s PolicyName=AWSRevokeOlderSessions "
				   "aws:TokenIssueTime<%s",
		 role, now);
	r = aws_call(c, 0, 1, sum, &o, res, "PutRolePolicy", "RoleName", role, "PolicyName",
		     "AWSRevokeOlderSessions", "PolicyDocument", doc, NULL);
	if (r != CD_OK)
		res_from_resp(res, &o.rs); /* see aws_fail */
	r = api_acted(r, &o, &aws_policy_put, res);
	if (r == ACTED_FAILED && strcmp(o.code, "UnmodifiableEntity") == 0)
		res_detail(res, "service-linked roles cannot take the deny policy");
	if (r != ACTED_DONE)
		return CD_OK;
	/* verify: the policy reads back with our cut-off time */
	snprintf(sum, sizeof(sum), "iam GetRolePolicy RoleName=%s PolicyName=AWSRevokeOlderSessions",
		 role);
	r = aws_call(c, 0, 1, sum, &o, res, "GetRolePolicy", "RoleName", role, "PolicyName",
		     "AWSRevokeOlderSessions", NULL);
	if (r == CD_OK && o.rs.status == 200) {
		struct span b = { o.rs.body.data, o.rs.body.len }, pd;
		char enc[2048];

		got[0] = '\0';
		if (xml_find(b, "PolicyDocument", &pd) == CD_OK && xml_text(pd, enc, sizeof(enc)) == CD_OK) {
			struct span es = { enc, strlen(enc) };

			aws_url_decode(es, got, sizeof(got));
		}
		if (strstr(got, now) != NULL && strstr(got, "aws:TokenIssueTime") != NULL) {
			res->outcome = CONN_DONE;
			snprintf(res->verified, sizeof(res->verified),
				 "AWSRevokeOlderSessions denies sessions issued before %s", now);
		} else {
			res->outcome = CONN_FAILED;
			res_detail(res, "verification: AWSRevokeOlderSessions does not hold %s", now);
		}
	} else {
		aws_fail(res, &o, "GetRolePolicy (verification)");
	}
	http_resp_release(&o.rs);
	return CD_OK;
}

/* GetLoginProfile: 200 present, CD_E_NOTFOUND absent. */
static int
aws_login_profile(struct conn *c, const char *user, const char *op, struct conn_result *res,
		  struct api_out *o)
{
	char sum[256];
	int r;

	snprintf(sum, sizeof(sum), "iam %s UserName=%s", op, user);
	r = aws_call(c, 0, 1, sum, o, res, op, "UserName", user, NULL);
	if (r != CD_OK)
		return CD_E_IO;
	if (o->rs.dry_run || o->rs.status == 200)
		return CD_OK;
	if (strcmp(o->code, "NoSuchEntity") == 0)
		return CD_E_NOTFOUND;
	return CD_E_IO;
}

/* Implements conn_action::run for delete-login-profile (console password;
 * API keys are unaffected - the plan disables those separately). */
static int
aws_delete_login_profile(struct conn *c, const char *user, struct conn_result *res)
{
	struct api_out o;
	int r;

	if (!ident_ok(user, "+=,.@_-", 64)) {
		res_detail(res, "'%s' is not an IAM user name", user);
		return CD_E_USAGE;
	}
	if (!c->opts->dry_run) {
		r = aws_login_profile(c, user, "GetLoginProfile", res, &o);
		if (r == CD_E_NOTFOUND) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "no login profile");
		} else if (r != CD_OK) {
			aws_fail(res, &o, "GetLoginProfile");
		}
		http_resp_release(&o.rs);
		if (r != CD_OK)
			return CD_OK;
	}
	r = aws_login_profile(c, user, "DeleteLoginProfile", res, &o);
	if (r == CD_OK && o.rs.dry_run) {
		http_resp_release(&o.rs);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (r == CD_OK || r == CD_E_NOTFOUND)
		res_from_resp(res, &o.rs);
	else
		aws_fail(res, &o, "DeleteLoginProfile");
	http_resp_release(&o.rs);
	if (r != CD_OK && r != CD_E_NOTFOUND)
		return CD_OK;
	r = aws_login_profile(c, user, "GetLoginProfile", res, &o);
	if (r == CD_E_NOTFOUND) {
		res->outcome = CONN_DONE;
		res_verified(res, "no login profile");
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: %s still has a login profile", user);
	}
	http_resp_release(&o.rs);
	return CD_OK;
}

/* Implements conn_action::run for key-info (read-only): account, owner,
 * status and last use of a key. */
static int
aws_key_info(struct conn *c, const char *akid, struct conn_result *res)
{
	struct aws_key keys[AWS_MAX_KEYS];
	const struct aws_key *k;
	char user[256], account[32] = "?", last[64] = "", svc[64] = "";
	struct api_out o;
	char sum[256];
	int r, n = 0, denied;

	if (akid_target(akid, res) != CD_OK)
		return CD_E_USAGE;
	snprintf(sum, sizeof(sum), "sts GetAccessKeyInfo AccessKeyId=%s", akid);
	r = aws_call(c, 1, 1, sum, &o, res, "GetAccessKeyInfo", "AccessKeyId", akid, NULL);
	if (r == CD_OK && o.rs.dry_run) {
		http_resp_release(&o.rs);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	if (r == CD_OK && o.rs.status == 200) {
		struct span b = { o.rs.body.data, o.rs.body.len };

		xml_field(b, "Account", account, sizeof(account));
		res_from_resp(res, &o.rs);
	} else {
		aws_fail(res, &o, "GetAccessKeyInfo");
		http_resp_release(&o.rs);
		return CD_OK;
	}
	http_resp_release(&o.rs);
	r = aws_key_user(c, akid, user, sizeof(user), &denied, res);
	if (r == CD_E_NOTFOUND) {
		res->outcome = CONN_DONE;
		snprintf(res->verified, sizeof(res->verified),
			 "account %s; not in this account's IAM users (deleted or foreign)", account);
		return CD_OK;
	}
	if (r != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	/* last use: GetAccessKeyLastUsed again, for its date and service */
	snprintf(sum, sizeof(sum), "iam GetAccessKeyLastUsed AccessKeyId=%s", akid);
	if (aws_call(c, 0, 1, sum, &o, res, "GetAccessKeyLastUsed", "AccessKeyId", akid, NULL) == CD_OK &&
	    o.rs.status == 200) {
		struct span b = { o.rs.body.data, o.rs.body.len };

		xml_field(b, "LastUsedDate", last, sizeof(last));
		xml_field(b, "ServiceName", svc, sizeof(svc));
	}
	http_resp_release(&o.rs);
	if (aws_key_list(c, user, keys, &n, res) != CD_OK) {
		res->outcome = CONN_FAILED;
		return CD_OK;
	}
	k = key_find(keys, n, akid);
	res->outcome = CONN_DONE;
	res_verified(res, "account %s; user %s; %s; last used %s%s%s%s",
		 account, user, k ? k->status : "not listed", last[0] ? last : "never",
		 svc[0] ? " (" : "", svc, svc[0] ? ")" : "");
	return CD_OK;
}

/* Implements conn_action::run for list-keys (read-only). */
static int
aws_list_keys(struct conn *c, const char *user, struct conn_result *res)
{
	struct aws_key keys[AWS_MAX_KEYS];
	int n, i;
	size_t len = 0;

	if (!ident_ok(user, "+=,.@_-", 64)) {
		res_detail(res, "'%s' is not an IAM user name", user);
		return CD_E_USAGE;
	}
	if (aws_key_list(c, user, keys, &n, res) != CD_OK) {
		res->outcome = c->opts->dry_run ? CONN_DRYRUN : CONN_FAILED;
		return CD_OK;
	}
	res->outcome = c->opts->dry_run ? CONN_DRYRUN : CONN_DONE;
	res->verified[0] = '\0';
	for (i = 0; i < n && len < sizeof(res->verified); i++)
		len += (size_t)snprintf(res->verified + len, sizeof(res->verified) - len, "%s%s %s",
					i ? ", " : "", keys[i].id, keys[i].status);
	if (n == 0)
		res_verified(res, "no access keys");
	return CD_OK;
}

static const struct conn_action aws_actions[] = {
	{ .name = "disable-key", .target_doc = "access key id (AKIA...)", .flags = CONN_F_REVERSIBLE,
	  .phase = PHASE_REVOKE, .undo = "enable-key", .run = aws_disable_key },
	{ .name = "enable-key", .target_doc = "access key id (AKIA...)",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_REVOKE, .undo = "disable-key",
	  .run = aws_enable_key },
	{ .name = "delete-key", .target_doc = "access key id (AKIA...)", .phase = PHASE_CLEANUP,
	  .run = aws_delete_key },
	{ .name = "rotate-key", .target_doc = "access key id (AKIA...)",
	  .flags = CONN_F_NONIDEMPOTENT, .phase = PHASE_ROTATE, .run = aws_rotate_key },
	{ .name = "revoke-role-sessions", .target_doc = "role name or role ARN",
	  .phase = PHASE_REVOKE, .run = aws_revoke_role_sessions },
	{ .name = "delete-login-profile", .target_doc = "IAM user name", .phase = PHASE_REVOKE,
	  .run = aws_delete_login_profile },
	{ .name = "stop-function", .target_doc = "Lambda function name or ARN",
	  .flags = CONN_F_REVERSIBLE, .phase = PHASE_QUARANTINE, .undo = "restore-concurrency",
	  .run = aws_stop_function },
	{ .name = "restore-concurrency", .target_doc = "Lambda function name or ARN, =N or =none",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_QUARANTINE,
	  .undo = "stop-function", .run = aws_restore_concurrency },
	{ .name = "deny-oidc-subject", .target_doc = "ROLE:SUBJECT_PATTERN (GitHub OIDC sub)",
	  .flags = CONN_F_REVERSIBLE, .phase = PHASE_QUARANTINE, .undo = "allow-oidc-subject",
	  .run = aws_deny_oidc_subject },
	{ .name = "allow-oidc-subject", .target_doc = "ROLE:SUBJECT_PATTERN (GitHub OIDC sub)",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_QUARANTINE,
	  .undo = "deny-oidc-subject", .run = aws_allow_oidc_subject },
	{ .name = "key-info", .target_doc = "access key id (AKIA...)", .flags = CONN_F_READONLY,
	  .phase = PHASE_REVOKE, .run = aws_key_info },
	{ .name = "list-keys", .target_doc = "IAM user name", .flags = CONN_F_READONLY,
	  .phase = PHASE_REVOKE, .run = aws_list_keys },
	{ .name = NULL },
};

const struct connector conn_aws = {
	.name = "aws",
	.actions = aws_actions,
	.open = aws_open,
	.close = aws_close,
};
