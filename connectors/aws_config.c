/*
 * aws_config.c - where AWS credentials, region and endpoints come from,
 * following the CLI/SDK conventions:
 *
 *   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 *                else profile AWS_PROFILE (default "default") in
 *                AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then in
 *                AWS_CONFIG_FILE (~/.aws/config, section "profile NAME")
 *   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's region
 *   endpoints    AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL,
 *                the profile's endpoint_url; else the partition's endpoint
 *   CA bundle    AWS_CA_BUNDLE, the profile's ca_bundle
 *
 * Profiles that assume roles, run a credential_process or use SSO are
 * refused with a message: cordon signs with static or session keys only.
 * Secrets are held in memory only as long as the connector is open and
 * wiped on close.
 */
#include <stdlib.h>
#include <string.h>

#include "aws.h"

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
wipe_str(char **s)
{
	if (*s != NULL)
		freezero(*s, strlen(*s) + 1);
	*s = NULL;
}

void
aws_cfg_free(struct aws_cfg *a)
{
	wipe_str(&a->akid);
	wipe_str(&a->secret);
	wipe_str(&a->token);
	wipe_str(&a->userpwd);
	wipe_str(&a->token_header);
	free(a->region);
	free(a->iam_url);
	free(a->sts_url);
	free(a->ca_bundle);
	free(a);
}

/* ~/.aws/NAME unless the variable names another file. */
static char *
aws_file(const char *var, const char *name)
{
	const char *v = env_get(var), *home = env_get("HOME");
	struct buf b;

	if (v != NULL)
		return xstrdup(v);
	if (home == NULL)
		return NULL;
	buf_init(&b, 4096);
	if (buf_printf(&b, "%s/.aws/%s", home, name) != CD_OK) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}

struct ini_file {
	char *text;
	size_t len;
};

static void
ini_load(const char *path, struct ini_file *f)
{
	char *cause = NULL;

	f->text = NULL;
	f->len = 0;
	if (path == NULL || file_read(path, (size_t)1 << 20, &f->text, &f->len, &cause) != CD_OK)
		f->text = NULL;
	free(cause);
}

static void
ini_unload(struct ini_file *f)
{
	if (f->text != NULL)
		freezero(f->text, f->len + 1);
	f->text = NULL;
}

/* A key of the profile: credentials file first (section NAME), then the
 * config file (section "profile NAME", or "default"). */
static char *
profile_get(struct ini_file *cred, struct ini_file *conf, const char *profile, const char *key,
	    int cred_file_too)
{
	char *v = NULL, sect[300];

	if (cred_file_too && cred->text != NULL &&
	    ini_get(cred->text, cred->len, profile, key, &v) == CD_OK)
		return v;
	if (conf->text == NULL)
		return NULL;
	if (strcmp(profile, "default") == 0 && ini_get(conf->text, conf->len, "default", key, &v) == CD_OK)
		return v;
	snprintf(sect, sizeof(sect), "profile %s", profile);
	if (ini_get(conf->text, conf->len, sect, key, &v) == CD_OK)
		return v;
	return NULL;
}

static int
akid_ok(const char *s)
{
	size_t n = strlen(s), i;

	/* libcurl 7.88 puts the key id into Credential= unescaped (fixed in
	 * 8.21.0): only the documented alphabet may reach it */
	if (n < 16 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int
endpoint_ok(const char *u)
{
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://127.0.0.1", 16) == 0 ||
	       strncmp(u, "http://localhost", 16) == 0 || strncmp(u, "http://[::1]", 12) == 0;
}

int
aws_cfg_load(struct aws_cfg **out, char **cause)
{
	struct aws_cfg *a = xcalloc(1, sizeof(*a));
	struct ini_file cred, conf;
	const char *profile = env_get("AWS_PROFILE");
	char *credpath = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *confpath = aws_file("AWS_CONFIG_FILE", "config");
	char *v, *ep = NULL;
	const char *iam_region = "us-east-1";
	struct buf b;
	int r = CD_E_USAGE;

	*out = NULL;
	if (profile == NULL)
		profile = env_get("AWS_DEFAULT_PROFILE");
	if (profile == NULL)
		profile = "default";
	ini_load(credpath, &cred);
	ini_load(confpath, &conf);
	if (env_get("AWS_ACCESS_KEY_ID") && env_get("AWS_SECRET_ACCESS_KEY")) {
		a->akid = xstrdup(env_get("AWS_ACCESS_KEY_ID"));
		a->secret = xstrdup(env_get("AWS_SECRET_ACCESS_KEY"));
		a->token = dup_or_null(env_get("AWS_SESSION_TOKEN"));
	} else {
		static const char *const unsupported[] = { "role_arn", "credential_process",
							   "sso_start_url", "sso_session", NULL };
		int i;

		a->akid = profile_get(&cred, &conf, profile, "aws_access_key_id", 1);
		a->secret = profile_get(&cred, &conf, profile, "aws_secret_access_key", 1);
		a->token = profile_get(&cred, &conf, profile, "aws_session_token", 1);
		if (a->akid == NULL || a->secret == NULL) {
			for (i = 0; unsupported[i] != NULL; i++) {
				v = profile_get(&cred, &conf, profile, unsupported[i], 1);
				if (v != NULL) {
					free(v);
					buf_init(&b, 512);
					if (buf_printf(&b,
						       "AWS profile '%s' uses %s; cordon signs with static or "
						       "session keys only (export them, e.g. `aws configure "
						       "export-credentials --profile %s --format env`)",
						       profile, unsupported[i], profile) != CD_OK)
						buf_reset(&b);
					*cause = buf_take(&b);
					goto out;
				}
			}
			buf_init(&b, 512);
			if (buf_printf(&b,
				       "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
				       "or a profile '%s' in %s",
				       profile, credpath ? credpath : "~/.aws/credentials") != CD_OK)
				buf_reset(&b);
			*cause = buf_take(&b);
			goto out;
		}
	}
	if (!akid_ok(a->akid)) {
		*cause = xstrdup("AWS access key id is not 16-128 characters of [A-Z0-9]");
		goto out;
	}
	if (env_get("AWS_REGION"))
		a->region = xstrdup(env_get("AWS_REGION"));
	else if (env_get("AWS_DEFAULT_REGION"))
		a->region = xstrdup(env_get("AWS_DEFAULT_REGION"));
	else
		a->region = profile_get(&cred, &conf, profile, "region", 0);
	if (a->region != NULL && !ident_ok(a->region, "-", 32)) {
		*cause = xstrdup("AWS region is not a region name");
		goto out;
	}
	a->ca_bundle = dup_or_null(env_get("AWS_CA_BUNDLE"));
	if (a->ca_bundle == NULL)
		a->ca_bundle = profile_get(&cred, &conf, profile, "ca_bundle", 0);
	if (env_get("AWS_ENDPOINT_URL"))
		ep = xstrdup(env_get("AWS_ENDPOINT_URL"));
	else
		ep = profile_get(&cred, &conf, profile, "endpoint_url", 0);
	/* the partition decides IAM's endpoint and signing region */
	if (a->region != NULL && strncmp(a->region, "cn-", 3) == 0)
		iam_region = "cn-north-1";
	else if (a->region != NULL && strncmp(a->region, "us-gov-", 7) == 0)
		iam_region = "us-gov-west-1";
	if (env_get("AWS_ENDPOINT_URL_IAM"))
		a->iam_url = xstrdup(env_get("AWS_ENDPOINT_URL_IAM"));
	else if (ep != NULL)
		a->iam_url = xstrdup(ep);
	else if (strcmp(iam_region, "cn-north-1") == 0)
		a->iam_url = xstrdup("https://iam.cn-north-1.amazonaws.com.cn");
	else if (strcmp(iam_region, "us-gov-west-1") == 0)
		a->iam_url = xstrdup("https://iam.us-gov.amazonaws.com");
	else
		a->iam_url = xstrdup("https://iam.amazonaws.com");
	snprintf(a->iam_scope, sizeof(a->iam_scope), "aws:amz:%s:iam", iam_region);
	if (env_get("AWS_ENDPOINT_URL_STS"))
		a->sts_url = xstrdup(env_get("AWS_ENDPOINT_URL_STS"));
	else if (ep != NULL)
		a->sts_url = xstrdup(ep);
	else {
		buf_init(&b, 256);
		if (a->region != NULL && buf_printf(&b, "https://sts.%s.amazonaws.com%s", a->region,
						    strncmp(a->region, "cn-", 3) == 0 ? ".cn" : "") == CD_OK)
			a->sts_url = buf_take(&b);
		else {
			buf_release(&b);
			a->sts_url = xstrdup("https://sts.amazonaws.com");
		}
	}
	snprintf(a->sts_scope, sizeof(a->sts_scope), "aws:amz:%s:sts",
		 a->region != NULL ? a->region : "us-east-1");
	if (!endpoint_ok(a->iam_url) || !endpoint_ok(a->sts_url)) {
		*cause = xstrdup("AWS endpoint must be https:// (plain http only on loopback)");
		goto out;
	}
	buf_init(&b, 4096);
	if (buf_printf(&b, "%s:%s", a->akid, a->secret) != CD_OK) {
		freezero(b.data, b.alloc);
		*cause = xstrdup("AWS secret too long");
		goto out;
	}
	a->userpwd = buf_take(&b);
	if (a->token != NULL) {
		buf_init(&b, 8192);
		if (buf_printf(&b, "X-Amz-Security-Token: %s", a->token) != CD_OK) {
			freezero(b.data, b.alloc);
			*cause = xstrdup("AWS session token too long");
			goto out;
		}
		a->token_header = buf_take(&b);
	}
	*out = a;
	a = NULL;
	r = CD_OK;
out:
	ini_unload(&cred);
	ini_unload(&conf);
	free(credpath);
	free(confpath);
	free(ep);
	if (a != NULL)
		aws_cfg_free(a);
	return r;
}
