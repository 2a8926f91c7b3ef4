/*
 * aws_sso.c - IAM Identity Center (SSO) profiles, without a browser: the
 * token `aws sso login` left in ~/.aws/sso/cache is exchanged at the SSO
 * portal for the profile's role credentials (GetRoleCredentials).
 *
 * The cache file is named by the SHA-1 of the sso_session name (profiles
 * with sso_session) or of the start URL (legacy profiles with
 * sso_start_url).  A missing or expired token is the user's to renew:
 * cordon says to run `aws sso login --profile NAME`.  The portal's
 * endpoint is https://portal.sso.REGION.amazonaws.com, or
 * AWS_ENDPOINT_URL_SSO.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"

#define SSO_CACHE_MAX ((size_t)64 << 10)

/* ~/.aws/sso/cache/SHA1(key).json */
static char *
cache_path(const char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	struct buf b;

	if (env_get("HOME") == NULL || EVP_Digest(key, strlen(key), md, &n, EVP_sha1(), NULL) != 1)
		return NULL;
	hex_encode(md, n, hex);
	buf_init(&b, 4096);
	if (buf_printf(&b, "%s/.aws/sso/cache/%s.json", env_get("HOME"), hex) != CD_OK) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* The cached access token (wiped by the caller), unexpired. */
static int
cached_token(const char *path, const char *profile, char **tok, char **cause)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	char *text = NULL, *rc = NULL, exp[64];
	struct span raw;
	size_t len = 0, n;
	int64_t ns;
	int i, r = CD_E_USAGE;

	*tok = NULL;
	if (file_read(path, SSO_CACHE_MAX, &text, &len, &rc) != CD_OK) {
		free(rc);
		aws_cause(cause, "profile '%s' uses SSO and there is no cached SSO token (%s): run `aws sso "
				 "login --profile %s`",
			  profile, path, profile);
		return r;
	}
	json_tokens_init(&t, 256);
	if (json_parse(&d, text, len, &t, &why) != CD_OK || json_type(&d, 0) != JSON_OBJECT ||
	    (i = json_get(&d, 0, "accessToken")) < 0 || json_type(&d, i) != JSON_STRING) {
		aws_cause(cause, "profile '%s': the SSO cache %s holds no accessToken: run `aws sso login "
				 "--profile %s`",
			  profile, path, profile);
		goto out;
	}
	raw = json_raw(&d, i);
	*tok = xcalloc(1, raw.n + 1);
	if (json_str(&d, i, *tok, raw.n + 1, &n) != CD_OK) {
		aws_cause(cause, "profile '%s': the SSO cache %s is damaged", profile, path);
		goto out;
	}
	/* the CLI writes "...Z"; its first versions wrote "...UTC" */
	if ((i = json_get(&d, 0, "expiresAt")) < 0 || json_str(&d, i, exp, sizeof(exp), &n) != CD_OK) {
		aws_cause(cause, "profile '%s': the SSO cache %s has no expiresAt", profile, path);
		goto out;
	}
	if (n > 3 && strcmp(exp + n - 3, "UTC") == 0)
		snprintf(exp + n - 3, sizeof(exp) - n + 3, "Z");
	if (time_parse_rfc3339((struct span){ exp, strlen(exp) }, &ns) != CD_OK) {
		aws_cause(cause, "profile '%s': the SSO cache's expiresAt '%s' is no time", profile, exp);
		goto out;
	}
	if (ns <= time_now_ns()) {
		aws_cause(cause, "profile '%s': the SSO token expired at %s: run `aws sso login --profile "
				 "%s`",
			  profile, exp, profile);
		goto out;
	}
	r = CD_OK;
out:
	if (r != CD_OK)
		secret_free(tok);
	json_tokens_release(&t);
	freezero(text, len + 1);
	return r;
}

/* {"roleCredentials":{"accessKeyId","secretAccessKey","sessionToken","expiration": ms}} */
static int
role_creds(const struct buf *body, struct aws_creds *out, char **cause)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	static const char *const keys[] = { "accessKeyId", "secretAccessKey", "sessionToken" };
	char *v[3] = { NULL, NULL, NULL };
	int64_t ms = 0;
	int i, rc, k, r = CD_E_PARSE;

	json_tokens_init(&t, 256);
	if (json_parse(&d, body->data, body->len, &t, &why) != CD_OK ||
	    (rc = json_get(&d, 0, "roleCredentials")) < 0 || json_type(&d, rc) != JSON_OBJECT)
		goto out;
	for (k = 0; k < 3; k++) {
		struct span raw;
		size_t n;

		if ((i = json_get(&d, rc, keys[k])) < 0 || json_type(&d, i) != JSON_STRING)
			goto out;
		raw = json_raw(&d, i);
		v[k] = xcalloc(1, raw.n + 1);
		if (json_str(&d, i, v[k], raw.n + 1, &n) != CD_OK)
			goto out;
	}
	if ((i = json_get(&d, rc, "expiration")) < 0 || json_i64(&d, i, &ms) != CD_OK)
		goto out;
	aws_creds_set(out, &v[0], &v[1], &v[2]);
	out->expires_ns = ms * 1000000LL;
	r = CD_OK;
out:
	if (r != CD_OK)
		aws_cause(cause, "the SSO portal's answer has no complete roleCredentials");
	for (k = 0; k < 3; k++)
		secret_free(&v[k]);
	json_tokens_release(&t);
	return r;
}

int
aws_sso_creds(const struct aws_chain_ctx *x, const char *profile, struct aws_creds *out,
	      char **cause)
{
	const struct aws_files *f = x->files;
	char *sess = aws_profile_get(f, profile, "sso_session", 0), *start = NULL, *region = NULL;
	char *acct = aws_profile_get(f, profile, "sso_account_id", 0);
	char *role = aws_profile_get(f, profile, "sso_role_name", 0);
	char *path = NULL, *tok = NULL, *hdr = NULL, sect[300];
	struct conn_opts o = { 0 };
	struct http_req rq = { 0 };
	struct http_resp rs;
	struct buf url;
	int r = CD_E_USAGE;

	http_resp_init(&rs);
	buf_init(&url, 8192);
	if (sess != NULL) {
		snprintf(sect, sizeof(sect), "sso-session %s", sess);
		start = aws_section_get(f, sect, "sso_start_url");
		region = aws_section_get(f, sect, "sso_region");
		if (start == NULL || region == NULL) {
			aws_cause(cause, "profile '%s': [sso-session %s] needs sso_start_url and sso_region "
					 "(aws configure sso-session)",
				  profile, sess);
			goto out;
		}
	} else {
		start = aws_profile_get(f, profile, "sso_start_url", 0);
		region = aws_profile_get(f, profile, "sso_region", 0);
		if (region == NULL) {
			aws_cause(cause, "profile '%s': sso_start_url needs sso_region", profile);
			goto out;
		}
	}
	if (acct == NULL || role == NULL || !ident_ok(acct, "", 12) || !ident_ok(role, "+=,.@_-", 128) ||
	    !ident_ok(region, "-", 32)) {
		aws_cause(cause, "profile '%s': SSO needs sso_account_id (12 digits), sso_role_name and "
				 "sso_region (aws configure sso --profile %s)",
			  profile, profile);
		goto out;
	}
	path = cache_path(sess != NULL ? sess : start);
	if (path == NULL) {
		aws_cause(cause, "profile '%s' uses SSO, and without HOME there is no SSO cache", profile);
		goto out;
	}
	if ((r = cached_token(path, profile, &tok, cause)) != CD_OK)
		goto out;
	r = CD_E_LIMIT;
	if ((env_get("AWS_ENDPOINT_URL_SSO") != NULL
		     ? buf_addstr(&url, env_get("AWS_ENDPOINT_URL_SSO"))
		     : buf_printf(&url, "https://portal.sso.%s.amazonaws.com", region)) != CD_OK) {
		aws_cause(cause, "AWS_ENDPOINT_URL_SSO is too long");
		goto out;
	}
	if (url.len > 0 && url.data[url.len - 1] == '/')
		url.data[--url.len] = '\0';
	if (buf_printf(&url, "/federation/credentials?account_id=%s&role_name=%s", acct, role) != CD_OK ||
	    (hdr = secret_header("x-amz-sso_bearer_token: ", tok, strlen(tok))) == NULL) {
		aws_cause(cause, "profile '%s': the SSO settings are too long", profile);
		goto out;
	}
	if (strncmp(url.data, "https://", 8) != 0 && strncmp(url.data, "http://127.0.0.1", 16) != 0 &&
	    strncmp(url.data, "http://localhost", 16) != 0) {
		aws_cause(cause, "AWS_ENDPOINT_URL_SSO must be https:// (plain http only on loopback)");
		r = CD_E_USAGE;
		goto out;
	}
	rq.method = "GET";
	rq.url = url.data;
	http_req_header(&rq, hdr, 1);
	rq.idempotent = 1;
	r = CD_E_IO;
	if (http_send(&o, &rq, &rs) != CD_OK) {
		aws_cause(cause, "profile '%s': no answer from the SSO portal %s: %s", profile, url.data,
			  rs.error);
	} else if (rs.status == 401) {
		aws_cause(cause, "profile '%s': the SSO portal refused the cached token (HTTP 401): run `aws "
				 "sso login --profile %s`",
			  profile, profile);
		r = CD_E_USAGE;
	} else if (rs.status == 403) {
		aws_cause(cause, "profile '%s': the SSO portal denies role %s in account %s (HTTP 403): check "
				 "sso_account_id and sso_role_name (aws sso list-account-roles)",
			  profile, role, acct);
		r = CD_E_USAGE;
	} else if (rs.status != 200) {
		aws_cause(cause, "profile '%s': the SSO portal answered HTTP %ld to GetRoleCredentials "
				 "for %s in %s",
			  profile, rs.status, role, acct);
	} else if ((r = role_creds(&rs.body, out, cause)) == CD_OK) {
		snprintf(out->source, sizeof(out->source), "profile '%s' (SSO role %s in %s)", profile, role,
			 acct);
	}
out:
	http_resp_release(&rs);
	buf_release(&url);
	secret_free(&tok);
	secret_free(&hdr);
	free(sess);
	free(start);
	free(region);
	free(acct);
	free(role);
	free(path);
	return r;
}
