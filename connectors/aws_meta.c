/*
 * aws_meta.c - the last two sources of the chain: the container
 * credentials endpoint (ECS tasks, EKS Pod Identity) and the instance
 * metadata service (EC2, IMDSv2 only).
 *
 *   container  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against 169.254.170.2,
 *              else AWS_CONTAINER_CREDENTIALS_FULL_URI, which must be https
 *              or a loopback / ECS / EKS address (as the SDKs require, so a
 *              variable set by someone else cannot send the token away);
 *              Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
 *              else AWS_CONTAINER_AUTHORIZATION_TOKEN
 *   IMDSv2     PUT /latest/api/token, then GET the role name and its
 *              credentials with the token; AWS_EC2_METADATA_DISABLED=true
 *              skips it; AWS_EC2_METADATA_SERVICE_ENDPOINT (or the profile's
 *              ec2_metadata_service_endpoint, or the IPv6 endpoint mode)
 *              names another endpoint
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"

#define ECS_HOST "http://169.254.170.2"
#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"
#define META_TOKEN_MAX ((size_t)16 << 10)

/* The host of an http(s) URL, bracketed for IPv6. */
static int
url_host(const char *u, char *out, size_t cap)
{
	const char *h = strstr(u, "://"), *e;

	if (h == NULL)
		return -1;
	h += 3;
	if (*h == '[')
		e = strchr(h, ']') ? strchr(h, ']') + 1 : NULL;
	else
		e = h + strcspn(h, ":/?#");
	if (e == NULL || (size_t)(e - h) >= cap || e == h)
		return -1;
	memcpy(out, h, (size_t)(e - h));
	out[e - h] = '\0';
	return 0;
}

static int
loopback_v4(const char *h)
{
	size_t i;

	if (strncmp(h, "127.", 4) != 0)
		return 0;
	for (i = 4; h[i]; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
			return 0;
	return 1;
}

/* The SDKs' rule for a full URI: https anywhere; http only to loopback
 * or the ECS and EKS Pod Identity agents. */
static int
full_uri_ok(const char *u)
{
	char h[256];

	if (strncmp(u, "https://", 8) == 0)
		return 1;
	if (strncmp(u, "http://", 7) != 0 || url_host(u, h, sizeof(h)) != 0)
		return 0;
	return loopback_v4(h) || strcmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 ||
	       strcmp(h, "169.254.170.2") == 0 || strcmp(h, "169.254.170.23") == 0 ||
	       strcasecmp(h, "[fd00:ec2::23]") == 0;
}

/* The authorization token (wiped by the caller): NULL when none is set. */
static int
container_token(char **tok, char **cause)
{
	const char *file = env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	char *why = NULL;
	size_t n = 0;

	*tok = NULL;
	if (file != NULL) {
		if (conn_read_secret(file, tok, &n, &why) != CD_OK) {
			aws_cause(cause, "container credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
					 "%s (%s)",
				  file, why ? why : "unreadable");
			free(why);
			return CD_E_USAGE;
		}
	} else if (env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN") != NULL) {
		*tok = xstrdup(env_get("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
	}
	if (*tok != NULL && strpbrk(*tok, "\r\n") != NULL) {
		secret_free(tok);
		aws_cause(cause, "container credentials: the authorization token holds a line break");
		return CD_E_USAGE;
	}
	return CD_OK;
}

int
aws_container_creds(struct aws_creds *out, char **cause)
{
	const char *rel = env_get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct conn_opts o = { 0 };
	struct http_req rq = { 0 };
	struct http_resp rs;
	char *tok = NULL, *hdr = NULL;
	struct buf url;
	int r;

	if (rel == NULL && full == NULL)
		return CD_E_NOTFOUND;
	buf_init(&url, 8192);
	if (rel != NULL ? rel[0] != '/' || buf_printf(&url, "%s%s", ECS_HOST, rel) != CD_OK
			: !full_uri_ok(full) || buf_addstr(&url, full) != CD_OK) {
		aws_cause(cause,
			  "container credentials: %s is not allowed (a relative URI starts with /; a full "
			  "URI is https, or http to loopback, 169.254.170.2, 169.254.170.23 or "
			  "[fd00:ec2::23])",
			  rel != NULL ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
		buf_release(&url);
		return CD_E_USAGE;
	}
	if ((r = container_token(&tok, cause)) != CD_OK) {
		buf_release(&url);
		return r;
	}
	http_resp_init(&rs);
	rq.method = "GET";
	rq.url = url.data;
	if (tok != NULL) {
		hdr = secret_header("Authorization: ", tok, strlen(tok));
		if (hdr != NULL)
			http_req_header(&rq, hdr, 1);
	}
	rq.idempotent = 1;
	r = CD_E_IO;
	if (http_send(&o, &rq, &rs) != CD_OK)
		aws_cause(cause, "container credentials (%s): no answer: %s; is this running in the task or "
				 "pod the variables came from?",
			  url.data, rs.error);
	else if (rs.status != 200)
		aws_cause(cause, "container credentials (%s): HTTP %ld%s", url.data, rs.status,
			  rs.status == 401 || rs.status == 403
				  ? ": the authorization token was refused (check "
				    "AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])"
				  : "");
	else if ((r = aws_creds_from_json(rs.body.data, rs.body.len, "Token", 0, "container credentials", out,
					  cause)) == CD_OK)
		snprintf(out->source, sizeof(out->source), "container credentials (%s)", url.data);
	http_resp_release(&rs);
	buf_release(&url);
	secret_free(&tok);
	secret_free(&hdr);
	return r;
}

/* One IMDS call: CD_OK with an answer (any status), CD_E_IO without. */
static int
imds_call(const char *method, const char *base, const char *path, const char *hdr, int secret,
	  struct http_resp *rs)
{
	struct conn_opts o = { 0 };
	struct http_req rq = { 0 };
	struct buf url;
	int r;

	buf_init(&url, 8192);
	if (url_join(&url, base, path) != CD_OK) {
		buf_release(&url);
		return CD_E_LIMIT;
	}
	rq.method = method;
	rq.url = url.data;
	http_req_header(&rq, hdr, secret);
	rq.metadata = 1;
	rq.idempotent = 1;
	http_resp_release(rs);
	http_resp_init(rs);
	r = http_send(&o, &rq, rs);
	buf_release(&url);
	return r;
}

int
aws_imds_creds(const struct aws_files *f, const char *profile, struct aws_creds *out, char **cause)
{
	const char *dis = env_get("AWS_EC2_METADATA_DISABLED");
	char *ep = NULL, *mode = NULL, *tok = NULL, *hdr = NULL, role[160], path[256];
	struct http_resp rs;
	size_t n;
	int r = CD_E_NOTFOUND;

	if (dis != NULL && strcasecmp(dis, "true") == 0) {
		aws_cause(cause, "disabled by AWS_EC2_METADATA_DISABLED");
		return CD_E_NOTFOUND;
	}
	if (env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT") != NULL)
		ep = xstrdup(env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT"));
	else
		ep = aws_profile_get(f, profile, "ec2_metadata_service_endpoint", 0);
	if (ep == NULL) {
		if (env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") != NULL)
			mode = xstrdup(env_get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"));
		else
			mode = aws_profile_get(f, profile, "ec2_metadata_service_endpoint_mode", 0);
		ep = xstrdup(mode != NULL && strcasecmp(mode, "IPv6") == 0 ? IMDS_V6 : IMDS_V4);
	}
	http_resp_init(&rs);
	if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0) {
		aws_cause(cause, "instance metadata: endpoint %s is not an http(s) URL", ep);
		r = CD_E_USAGE;
		goto out;
	}
	if (imds_call("PUT", ep, "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600", 0,
		      &rs) != CD_OK) {
		aws_cause(cause, "%s: no answer (not on EC2, or the hop limit of IMDSv2 is 1 inside a "
				 "container)",
			  ep);
		goto out;
	}
	if (rs.status != 200 || rs.body.len == 0 || rs.body.len > META_TOKEN_MAX) {
		aws_cause(cause, "%s: no IMDSv2 token (PUT /latest/api/token: HTTP %ld)", ep, rs.status);
		goto out;
	}
	tok = xstrdup(rs.body.data);
	if (strpbrk(tok, "\r\n") != NULL) {
		aws_cause(cause, "%s: the IMDSv2 token holds a line break", ep);
		r = CD_E_IO;
		goto out;
	}
	hdr = secret_header("X-aws-ec2-metadata-token: ", tok, strlen(tok));
	if (hdr == NULL || imds_call("GET", ep, "/latest/meta-data/iam/security-credentials/", hdr, 1,
				     &rs) != CD_OK) {
		aws_cause(cause, "%s: no answer to the role name", ep);
		goto out;
	}
	if (rs.status == 404) {
		aws_cause(cause, "%s: this instance has no IAM role (instance profile)", ep);
		goto out;
	}
	n = strcspn(rs.body.data, "\r\n");
	if (rs.status != 200 || n == 0 || n >= sizeof(role)) {
		aws_cause(cause, "%s: the role name could not be read (HTTP %ld)", ep, rs.status);
		r = CD_E_IO;
		goto out;
	}
	memcpy(role, rs.body.data, n);
	role[n] = '\0';
	if (!ident_ok(role, "+=,.@_-", 128)) {
		aws_cause(cause, "%s: the role name is not an IAM name", ep);
		r = CD_E_IO;
		goto out;
	}
	snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%s", role);
	r = CD_E_IO;
	if (imds_call("GET", ep, path, hdr, 1, &rs) != CD_OK || rs.status != 200) {
		aws_cause(cause, "instance metadata %s: no credentials for role %s (HTTP %ld)", ep, role,
			  rs.status);
		goto out;
	}
	if ((r = aws_creds_from_json(rs.body.data, rs.body.len, "Token", 0, "instance metadata", out,
				     cause)) == CD_OK)
		snprintf(out->source, sizeof(out->source), "instance metadata (%s, role %s)", ep, role);
out:
	http_resp_release(&rs);
	secret_free(&tok);
	secret_free(&hdr);
	free(ep);
	free(mode);
	return r;
}
