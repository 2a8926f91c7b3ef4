/*
 * aws_sts.c - temporary credentials from STS for the credential chain:
 * AssumeRole, signed with the source profile's credentials, and
 * AssumeRoleWithWebIdentity, unsigned (the token file is the proof).
 *
 * These requests and their answers hold secrets (the web identity token,
 * the new session's secret), so they are sent with options of their own:
 * never shown by --debug, answer wiped when read.
 */
#include <stdlib.h>
#include <string.h>

#include "aws.h"

#define STS_VERSION "2011-06-15"
#define TOKEN_FILE_MAX ((size_t)64 << 10)

static int
form_add(struct buf *b, const char *key, const char *val)
{
	int r = b->len ? buf_addc(b, '&') : CD_OK;

	r = r ? r : url_encode(b, key, strlen(key));
	r = r ? r : buf_addc(b, '=');
	r = r ? r : url_encode(b, val, strlen(val));
	return r;
}

/* An element's text into a new string (wiped by the caller), or NULL. */
static char *
xml_dup(struct span s, const char *tag)
{
	struct span v;
	char *out;

	if (xml_find(s, tag, &v) != CD_OK)
		return NULL;
	out = xcalloc(1, v.n + 1);
	if (xml_text(v, out, v.n + 1) != CD_OK) {
		freezero(out, v.n + 1);
		return NULL;
	}
	return out;
}

/* <Credentials> of an STS answer into out. */
static int
sts_creds(const struct buf *body, struct aws_creds *out, char **cause)
{
	struct span b = { body->data, body->len }, cr;
	char *akid = NULL, *secret = NULL, *token = NULL, *exp = NULL;
	int64_t ns = 0;
	int r = CD_E_PARSE;

	if (xml_find(b, "Credentials", &cr) != CD_OK) {
		aws_cause(cause, "the answer has no <Credentials>");
		return r;
	}
	akid = xml_dup(cr, "AccessKeyId");
	secret = xml_dup(cr, "SecretAccessKey");
	token = xml_dup(cr, "SessionToken");
	exp = xml_dup(cr, "Expiration");
	if (akid == NULL || secret == NULL || token == NULL || exp == NULL ||
	    time_parse_rfc3339((struct span){ exp, strlen(exp) }, &ns) != CD_OK) {
		aws_cause(cause, "the answer's <Credentials> are incomplete");
		goto out;
	}
	aws_creds_set(out, &akid, &secret, &token);
	out->expires_ns = ns;
	r = CD_OK;
out:
	secret_free(&akid);
	secret_free(&secret);
	secret_free(&token);
	free(exp);
	return r;
}

/* Send the form to STS (signed by src unless NULL); the answer's
 * credentials into out. */
static int
sts_send(const struct aws_chain_ctx *x, const struct aws_creds *src, const struct buf *form,
	 struct aws_creds *out, char **cause)
{
	struct conn_opts o = { 0 };
	struct http_req rq = { 0 };
	struct http_tls tls = { 0 };
	struct http_resp rs;
	char *userpwd = NULL, *tokhdr = NULL;
	struct buf b;
	int r = CD_E_IO;

	rq.method = "POST";
	rq.url = x->sts_url;
	http_req_header(&rq, "Content-Type: application/x-www-form-urlencoded; charset=utf-8", 0);
	if (src != NULL) {
		buf_init(&b, 8192);
		if (buf_printf(&b, "%s:%s", src->akid, src->secret) != CD_OK) {
			freezero(b.data, b.alloc);
			aws_cause(cause, "the source secret is too long");
			return CD_E_LIMIT;
		}
		userpwd = buf_take(&b);
		rq.sigv4 = x->sts_scope;
		rq.userpwd = userpwd;
		if (src->token != NULL) {
			tokhdr = secret_header("X-Amz-Security-Token: ", src->token, strlen(src->token));
			if (tokhdr == NULL) {
				secret_free(&userpwd);
				aws_cause(cause, "the source session token is too long");
				return CD_E_LIMIT;
			}
			http_req_header(&rq, tokhdr, 1);
		}
	}
	rq.body = form->data;
	rq.body_len = form->len;
	rq.body_shown = "[REDACTED]";
	rq.idempotent = 1;
	rq.reqid_headers[0] = "x-amzn-RequestId";
	if (x->ca_bundle != NULL) {
		tls.ca_file = x->ca_bundle;
		rq.tls = &tls;
	}
	http_resp_init(&rs);
	if (http_send(&o, &rq, &rs) != CD_OK) {
		aws_cause(cause, "no answer from %s: %s (check the network, the region, or "
				 "AWS_ENDPOINT_URL_STS)",
			  x->sts_url, rs.error);
	} else if (rs.status != 200) {
		struct span body = { rs.body.data, rs.body.len }, err, v;
		char code[96] = "", msg[256] = "";

		if (xml_find(body, "Error", &err) == CD_OK) {
			if (xml_find(err, "Code", &v) != CD_OK || xml_text(v, code, sizeof(code)) != CD_OK)
				code[0] = '\0';
			if (xml_find(err, "Message", &v) != CD_OK || xml_text(v, msg, sizeof(msg)) != CD_OK)
				msg[0] = '\0';
		}
		aws_cause(cause, "%s answered HTTP %ld %s: %s%s", x->sts_url, rs.status, code, msg,
			  strcmp(code, "AccessDenied") == 0
				  ? " (check the role's trust policy, external_id, and the source's "
				    "sts:AssumeRole permission)"
			  : strcmp(code, "InvalidClientTokenId") == 0
				  ? " (the source's access key id is not valid: deleted or inactive?)"
			  : strcmp(code, "SignatureDoesNotMatch") == 0
				  ? " (the source's secret key does not match its access key id)"
			  : strcmp(code, "ExpiredToken") == 0 ? " (the source's session has expired: renew it)"
			  : strcmp(code, "InvalidIdentityToken") == 0 || strcmp(code, "ExpiredTokenException") == 0
				  ? " (the web identity token is not accepted: is it current, and does the role "
				    "trust its issuer?)"
				  : "");
	} else {
		r = sts_creds(&rs.body, out, cause);
	}
	http_resp_release(&rs);
	secret_free(&userpwd);
	secret_free(&tokhdr);
	return r;
}

static void
session_name(const struct aws_role *role, char *out, size_t cap)
{
	if (role->session_name != NULL)
		snprintf(out, cap, "%s", role->session_name);
	else
		snprintf(out, cap, "cordon-%lld", (long long)(time_now_ns() / 1000000000LL));
}

/* The form fields every assume call shares. */
static int
role_form(struct buf *form, const char *action, const struct aws_role *role, char **cause)
{
	char sess[128];

	session_name(role, sess, sizeof(sess));
	if (!ident_ok(sess, "=,.@-_", 64)) {
		aws_cause(cause, "role_session_name '%s' is not 2-64 characters of [A-Za-z0-9=,.@_-]", sess);
		return CD_E_USAGE;
	}
	if (role->duration != NULL) {
		uint64_t d;

		if (span_to_u64((struct span){ role->duration, strlen(role->duration) }, &d) != CD_OK ||
		    d < 900 || d > 43200) {
			aws_cause(cause, "duration_seconds '%s' is not 900 to 43200", role->duration);
			return CD_E_USAGE;
		}
	}
	if (form_add(form, "Action", action) || form_add(form, "Version", STS_VERSION) ||
	    form_add(form, "RoleArn", role->role_arn) || form_add(form, "RoleSessionName", sess) ||
	    (role->duration && form_add(form, "DurationSeconds", role->duration)) ||
	    (role->external_id && form_add(form, "ExternalId", role->external_id))) {
		aws_cause(cause, "the role's settings are too long");
		return CD_E_LIMIT;
	}
	return CD_OK;
}

int
aws_assume_role(const struct aws_chain_ctx *x, const struct aws_creds *src,
		const struct aws_role *role, struct aws_creds *out, char **cause)
{
	struct buf form;
	int r;

	buf_init(&form, 16384);
	r = role_form(&form, "AssumeRole", role, cause);
	if (r == CD_OK)
		r = sts_send(x, src, &form, out, cause);
	if (r == CD_OK)
		snprintf(out->source, sizeof(out->source), "role %s (AssumeRole)", role->role_arn);
	buf_release(&form);
	return r;
}

int
aws_assume_web_identity(const struct aws_chain_ctx *x, const char *token_file,
			const struct aws_role *role, struct aws_creds *out, char **cause)
{
	struct buf form;
	char *tok = NULL, *why = NULL;
	size_t n = 0;
	int r;

	if (file_read(token_file, TOKEN_FILE_MAX, &tok, &n, &why) != CD_OK) {
		aws_cause(cause, "web identity: cannot read the token file %s (%s); check "
				 "AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file",
			  token_file, why ? why : "unreadable");
		free(why);
		return CD_E_USAGE;
	}
	while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
		tok[--n] = '\0';
	buf_init(&form, TOKEN_FILE_MAX + 16384);
	r = role_form(&form, "AssumeRoleWithWebIdentity", role, cause);
	if (r == CD_OK && form_add(&form, "WebIdentityToken", tok) != CD_OK) {
		aws_cause(cause, "web identity: the token is too long");
		r = CD_E_LIMIT;
	}
	if (r == CD_OK && (r = sts_send(x, NULL, &form, out, cause)) != CD_OK) {
		why = *cause;
		*cause = NULL;
		aws_cause(cause, "web identity (AssumeRoleWithWebIdentity %s, token %s): %s", role->role_arn,
			  token_file, why ? why : "failed");
		free(why);
	}
	if (r == CD_OK)
		snprintf(out->source, sizeof(out->source), "role %s (web identity, token %s)",
			 role->role_arn, token_file);
	freezero(form.data, form.alloc);
	form.data = NULL;
	freezero(tok, n + 1);
	return r;
}
