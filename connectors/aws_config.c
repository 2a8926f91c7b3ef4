/*
 * aws_config.c - the AWS connector's configuration, following the CLI/SDK
 * conventions:
 *
 *   profile      --profile NAME, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default",
 *                in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 *                AWS_CONFIG_FILE (~/.aws/config, section "profile NAME")
 *   credentials  the CLI's chain (aws_chain.c)
 *   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's region
 *   endpoints    AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL,
 *                the profile's endpoint_url; else the partition's endpoint
 *   CA bundle    AWS_CA_BUNDLE, the profile's ca_bundle
 *
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
	free(a->endpoint);
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

static void
file_load(const char *path, char **text, size_t *len)
{
	char *cause = NULL;

	*text = NULL;
	*len = 0;
	if (path == NULL || file_read(path, (size_t)1 << 20, text, len, &cause) != CD_OK)
		*text = NULL;
	free(cause);
}

void
aws_files_load(struct aws_files *f)
{
	f->credpath = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	f->confpath = aws_file("AWS_CONFIG_FILE", "config");
	file_load(f->credpath, &f->cred, &f->credlen);
	file_load(f->confpath, &f->conf, &f->conflen);
}

void
aws_files_release(struct aws_files *f)
{
	if (f->cred != NULL)
		freezero(f->cred, f->credlen + 1);
	if (f->conf != NULL)
		freezero(f->conf, f->conflen + 1);
	free(f->credpath);
	free(f->confpath);
	memset(f, 0, sizeof(*f));
}

char *
aws_section_get(const struct aws_files *f, const char *section, const char *key)
{
	char *v = NULL;

	if (f->conf != NULL && ini_get(f->conf, f->conflen, section, key, &v) == CD_OK)
		return v;
	return NULL;
}

/* A key of the profile: credentials file first (section NAME), then the
 * config file (section "profile NAME", or "default"). */
char *
aws_profile_get(const struct aws_files *f, const char *profile, const char *key, int cred_file_too)
{
	char *v = NULL, sect[300];

	if (cred_file_too && f->cred != NULL && ini_get(f->cred, f->credlen, profile, key, &v) == CD_OK)
		return v;
	if (strcmp(profile, "default") == 0 && (v = aws_section_get(f, "default", key)) != NULL)
		return v;
	snprintf(sect, sizeof(sect), "profile %s", profile);
	return aws_section_get(f, sect, key);
}

int
aws_profile_exists(const struct aws_files *f, const char *profile)
{
	char sect[300];

	snprintf(sect, sizeof(sect), "profile %s", profile);
	return (f->cred != NULL && ini_has_section(f->cred, f->credlen, profile)) ||
	       (f->conf != NULL && ini_has_section(f->conf, f->conflen, sect)) ||
	       (f->conf != NULL && strcmp(profile, "default") == 0 &&
		ini_has_section(f->conf, f->conflen, "default"));
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

int
aws_endpoint_ok(const char *u)
{
	return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://127.0.0.1", 16) == 0 ||
	       strncmp(u, "http://localhost", 16) == 0 || strncmp(u, "http://[::1]", 12) == 0;
}

/* The profile in force: --profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default". */
static const char *
profile_name(int *explicit_profile)
{
	const struct conn_opts *o = conn_opening();
	const char *p;

	*explicit_profile = o != NULL && o->aws_profile != NULL;
	if (*explicit_profile)
		return o->aws_profile;
	if ((p = env_get("AWS_PROFILE")) != NULL || (p = env_get("AWS_DEFAULT_PROFILE")) != NULL)
		return p;
	return "default";
}

static void
note_source(struct aws_cfg *a, const struct aws_creds *c)
{
	snprintf(a->source, sizeof(a->source), "%s", c->source);
}

int
aws_cfg_load(struct aws_cfg **out, char **cause)
{
	struct aws_cfg *a = xcalloc(1, sizeof(*a));
	struct aws_files files = { 0 };
	struct aws_creds creds = { 0 };
	struct aws_chain_ctx x = { 0 };
	const struct conn_opts *o = conn_opening();
	char *ep = NULL;
	const char *iam_region = "us-east-1", *profile;
	struct buf b;
	int r = CD_E_USAGE, explicit_profile;

	*out = NULL;
	profile = profile_name(&explicit_profile);
	if (!ident_ok(profile, "-_.@+", 128)) {
		*cause = xstrdup("AWS profile name is not a name");
		goto out;
	}
	aws_files_load(&files);
	if (env_get("AWS_REGION"))
		a->region = xstrdup(env_get("AWS_REGION"));
	else if (env_get("AWS_DEFAULT_REGION"))
		a->region = xstrdup(env_get("AWS_DEFAULT_REGION"));
	else
		a->region = aws_profile_get(&files, profile, "region", 0);
	if (a->region != NULL && !ident_ok(a->region, "-", 32)) {
		*cause = xstrdup("AWS region is not a region name");
		goto out;
	}
	a->ca_bundle = dup_or_null(env_get("AWS_CA_BUNDLE"));
	if (a->ca_bundle == NULL)
		a->ca_bundle = aws_profile_get(&files, profile, "ca_bundle", 0);
	if (env_get("AWS_ENDPOINT_URL"))
		ep = xstrdup(env_get("AWS_ENDPOINT_URL"));
	else
		ep = aws_profile_get(&files, profile, "endpoint_url", 0);
	a->endpoint = dup_or_null(ep);
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
	if (!aws_endpoint_ok(a->iam_url) || !aws_endpoint_ok(a->sts_url)) {
		*cause = xstrdup("AWS endpoint must be https:// (plain http only on loopback)");
		goto out;
	}
	x.files = &files;
	x.profile = profile;
	x.explicit_profile = explicit_profile;
	x.sts_url = a->sts_url;
	x.sts_scope = a->sts_scope;
	x.ca_bundle = a->ca_bundle;
	x.plan_only = o != NULL && o->dry_run;
	if (aws_chain_get(&x, &creds, cause) != CD_OK)
		goto out;
	note_source(a, &creds);
	if (creds.akid[0] != '<' && !akid_ok(creds.akid)) {
		aws_cause(cause, "%s: the access key id is not 16-128 characters of [A-Z0-9]", creds.source);
		goto out;
	}
	buf_init(&b, 4096);
	if (buf_printf(&b, "%s:%s", creds.akid, creds.secret) != CD_OK) {
		freezero(b.data, b.alloc);
		*cause = xstrdup("AWS secret too long");
		goto out;
	}
	a->userpwd = buf_take(&b);
	if (creds.token != NULL) {
		buf_init(&b, 8192);
		if (buf_printf(&b, "X-Amz-Security-Token: %s", creds.token) != CD_OK) {
			freezero(b.data, b.alloc);
			*cause = xstrdup("AWS session token too long");
			goto out;
		}
		a->token_header = buf_take(&b);
	}
	/* the configuration owns them now; wiped by aws_cfg_free */
	a->akid = creds.akid;
	a->secret = creds.secret;
	a->token = creds.token;
	creds.akid = creds.secret = creds.token = NULL;
	*out = a;
	a = NULL;
	r = CD_OK;
out:
	aws_creds_release(&creds);
	aws_files_release(&files);
	free(ep);
	if (a != NULL)
		aws_cfg_free(a);
	return r;
}
