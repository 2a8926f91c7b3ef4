/*
 * aws_chain.c - AWS credentials, resolved in the order the AWS CLI
 * (botocore's default chain) resolves them:
 *
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN (skipped when --profile names a profile);
 *   2. the profile's role_arn with source_profile or credential_source
 *      (STS AssumeRole, signed by the source's credentials);
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the
 *      profile's web_identity_token_file + role_arn
 *      (AssumeRoleWithWebIdentity);
 *   4. SSO: the profile's sso_session or sso_start_url, with the token the
 *      AWS CLI cached (aws sso login);
 *   5. static keys of the profile in the credentials file;
 *   6. the profile's credential_process;
 *   7. static keys of the profile in the config file;
 *   8. container credentials (AWS_CONTAINER_CREDENTIALS_*_URI);
 *   9. instance metadata (IMDSv2).
 *
 * A source that is configured and fails ends the search with its reason,
 * as the CLI does; only "not configured" moves on.  Credentials that are
 * fetched (every source but static keys) are kept for the run, shared by
 * the parallel steps of an apply under one lock, and fetched again five
 * minutes before they expire.  Nothing here prints a secret; every copy
 * is wiped when released.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"

#define REFRESH_MARGIN_NS (300LL * 1000000000LL) /* fetch again this long before expiry */
#define MAX_HOPS 8                               /* source_profile chain length */
#define CACHE_SLOTS 16

struct cache_slot {
	char key[300];
	struct aws_creds c;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cache_slot cache[CACHE_SLOTS];
static size_t ncache;

void
aws_cause(char **cause, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(*cause);
	*cause = xstrdup(msg);
}

void
aws_creds_release(struct aws_creds *c)
{
	secret_free(&c->akid);
	secret_free(&c->secret);
	secret_free(&c->token);
	c->expires_ns = 0;
}

void
aws_creds_set(struct aws_creds *c, char **akid, char **secret, char **token)
{
	aws_creds_release(c);
	c->akid = *akid;
	c->secret = *secret;
	c->token = *token;
	*akid = *secret = *token = NULL;
}

static void
creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	aws_creds_release(dst);
	dst->akid = xstrdup(src->akid);
	dst->secret = xstrdup(src->secret);
	dst->token = src->token != NULL ? xstrdup(src->token) : NULL;
	dst->expires_ns = src->expires_ns;
	snprintf(dst->source, sizeof(dst->source), "%s", src->source);
}

/* A string of a JSON document, decoded, on the heap (the caller wipes it). */
static char *
json_dup(const struct json_doc *d, int obj, const char *key)
{
	int i = json_get(d, obj, key);
	struct span raw;
	char *out;
	size_t n;

	if (i < 0 || json_type(d, i) != JSON_STRING)
		return NULL;
	raw = json_raw(d, i);
	out = xcalloc(1, raw.n + 1);
	if (json_str(d, i, out, raw.n + 1, &n) != CD_OK) {
		freezero(out, raw.n + 1);
		return NULL;
	}
	return out;
}

int
aws_creds_from_json(const char *text, size_t len, const char *token_key, int need_version,
		    const char *what, struct aws_creds *out, char **cause)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	char *akid = NULL, *secret = NULL, *token = NULL, *exp = NULL;
	int64_t ns = 0, ver;
	int r = CD_E_PARSE, i;

	json_tokens_init(&t, 256);
	if (json_parse(&d, text, len, &t, &why) != CD_OK || json_type(&d, 0) != JSON_OBJECT) {
		aws_cause(cause, "%s: the answer is not a JSON object", what);
		goto out;
	}
	i = json_get(&d, 0, "Version");
	if ((i >= 0 || need_version) && (i < 0 || json_i64(&d, i, &ver) != CD_OK || ver != 1)) {
		aws_cause(cause, "%s: \"Version\" must be 1", what);
		goto out;
	}
	akid = json_dup(&d, 0, "AccessKeyId");
	secret = json_dup(&d, 0, "SecretAccessKey");
	token = json_dup(&d, 0, token_key);
	exp = json_dup(&d, 0, "Expiration");
	if (akid == NULL || secret == NULL || *akid == '\0' || *secret == '\0') {
		aws_cause(cause, "%s: the answer has no AccessKeyId and SecretAccessKey", what);
		goto out;
	}
	if (exp != NULL && time_parse_rfc3339((struct span){ exp, strlen(exp) }, &ns) != CD_OK) {
		aws_cause(cause, "%s: Expiration is not an RFC 3339 time", what);
		goto out;
	}
	if (token != NULL && *token == '\0')
		secret_free(&token);
	aws_creds_set(out, &akid, &secret, &token);
	out->expires_ns = ns;
	r = CD_OK;
out:
	secret_free(&akid);
	secret_free(&secret);
	secret_free(&token);
	free(exp);
	json_tokens_release(&t);
	return r;
}

static int plan_creds(struct aws_creds *out, const char *akid, const char *fmt, ...) CD_PRINTF(3, 4);

/* A name for a source a dry run does not run: no secret, no colon. */
static int
plan_creds(struct aws_creds *out, const char *akid, const char *fmt, ...)
{
	va_list ap;

	aws_creds_release(out);
	out->akid = xstrdup(akid);
	out->secret = xstrdup("");
	va_start(ap, fmt);
	vsnprintf(out->source, sizeof(out->source), fmt, ap);
	va_end(ap);
	return CD_OK;
}

static int
env_creds(struct aws_creds *out)
{
	const char *k = env_get("AWS_ACCESS_KEY_ID"), *s = env_get("AWS_SECRET_ACCESS_KEY");

	if (k == NULL || s == NULL)
		return CD_E_NOTFOUND;
	aws_creds_release(out);
	out->akid = xstrdup(k);
	out->secret = xstrdup(s);
	out->token = env_get("AWS_SESSION_TOKEN") ? xstrdup(env_get("AWS_SESSION_TOKEN")) : NULL;
	snprintf(out->source, sizeof(out->source), "the environment (AWS_ACCESS_KEY_ID)");
	return CD_OK;
}

/* Static keys of a profile, in the credentials file (where = 1) or the
 * config file (where = 0). */
static int
static_creds(const struct aws_files *f, const char *profile, int where, struct aws_creds *out)
{
	char *k, *s, *t;
	char sect[300];

	snprintf(sect, sizeof(sect), strcmp(profile, "default") == 0 ? "%s" : "profile %s", profile);
	if (where) {
		k = s = t = NULL;
		if (f->cred == NULL || ini_get(f->cred, f->credlen, profile, "aws_access_key_id", &k) != CD_OK ||
		    ini_get(f->cred, f->credlen, profile, "aws_secret_access_key", &s) != CD_OK) {
			secret_free(&k);
			secret_free(&s);
			return CD_E_NOTFOUND;
		}
		if (ini_get(f->cred, f->credlen, profile, "aws_session_token", &t) != CD_OK)
			t = NULL;
	} else {
		k = aws_section_get(f, sect, "aws_access_key_id");
		s = aws_section_get(f, sect, "aws_secret_access_key");
		t = aws_section_get(f, sect, "aws_session_token");
		if (k == NULL || s == NULL) {
			secret_free(&k);
			secret_free(&s);
			secret_free(&t);
			return CD_E_NOTFOUND;
		}
	}
	aws_creds_set(out, &k, &s, &t);
	snprintf(out->source, sizeof(out->source), "profile '%s' (keys in %s)", profile,
		 where ? f->credpath : f->confpath);
	return CD_OK;
}

static int
has_static(const struct aws_files *f, const char *profile)
{
	struct aws_creds c = { 0 };
	int r = static_creds(f, profile, 1, &c) == CD_OK || static_creds(f, profile, 0, &c) == CD_OK;

	aws_creds_release(&c);
	return r;
}

static int profile_creds(const struct aws_chain_ctx *x, const char *profile, int hops, int top,
			 struct aws_creds *out, char **cause);

/* role_arn with source_profile or credential_source: AssumeRole. */
static int
assume_role(const struct aws_chain_ctx *x, const char *profile, const char *role_arn, int hops,
	    struct aws_creds *out, char **cause)
{
	const struct aws_files *f = x->files;
	char *src = aws_profile_get(f, profile, "source_profile", 0);
	char *csrc = aws_profile_get(f, profile, "credential_source", 0);
	char *mfa = aws_profile_get(f, profile, "mfa_serial", 0);
	char *sess = aws_profile_get(f, profile, "role_session_name", 0);
	char *ext = aws_profile_get(f, profile, "external_id", 0);
	char *dur = aws_profile_get(f, profile, "duration_seconds", 0);
	struct aws_creds base = { 0 };
	struct aws_role role = { role_arn, sess, ext, dur };
	int r = CD_E_USAGE;

	if (mfa != NULL) {
		aws_cause(cause,
			  "profile '%s' assumes %s with mfa_serial, which needs a code typed in; cordon runs "
			  "without prompting: export the session first (aws sts assume-role ... "
			  "--serial-number ... --token-code ..., or aws configure export-credentials --profile "
			  "%s --format env)",
			  profile, role_arn, profile);
		goto out;
	}
	if (src != NULL && csrc != NULL) {
		aws_cause(cause, "profile '%s' sets both source_profile and credential_source; keep one",
			  profile);
		goto out;
	}
	if (hops >= MAX_HOPS) {
		aws_cause(cause, "profile '%s': source_profile chain longer than %d (a loop?)", profile,
			  MAX_HOPS);
		goto out;
	}
	if (src != NULL) {
		if (!aws_profile_exists(f, src)) {
			aws_cause(cause, "profile '%s': source_profile '%s' is in neither %s nor %s", profile,
				  src, f->credpath ? f->credpath : "~/.aws/credentials",
				  f->confpath ? f->confpath : "~/.aws/config");
			goto out;
		}
		/* a profile naming itself uses its own keys, as the CLI does */
		if (strcmp(src, profile) == 0 || has_static(f, src))
			r = static_creds(f, src, 1, &base) == CD_OK ? CD_OK : static_creds(f, src, 0, &base);
		else
			r = profile_creds(x, src, hops + 1, 0, &base, cause);
		if (r == CD_E_NOTFOUND)
			aws_cause(cause, "profile '%s': source_profile '%s' has no credentials (keys, role_arn, "
					 "credential_process or sso)",
				  profile, src);
	} else if (strcasecmp(csrc, "Environment") == 0) {
		r = env_creds(&base);
		if (r != CD_OK)
			aws_cause(cause, "profile '%s': credential_source Environment, but AWS_ACCESS_KEY_ID "
					 "and AWS_SECRET_ACCESS_KEY are not set",
				  profile);
	} else if (strcasecmp(csrc, "EcsContainer") == 0) {
		r = x->plan_only ? plan_creds(&base, "<container>", "container credentials")
				 : aws_container_creds(&base, cause);
		if (r == CD_E_NOTFOUND)
			aws_cause(cause, "profile '%s': credential_source EcsContainer, but no "
					 "AWS_CONTAINER_CREDENTIALS_*_URI is set",
				  profile);
	} else if (strcasecmp(csrc, "Ec2InstanceMetadata") == 0) {
		r = x->plan_only ? plan_creds(&base, "<instance-metadata>", "instance metadata")
				 : aws_imds_creds(f, profile, &base, cause);
	} else {
		aws_cause(cause, "profile '%s': credential_source '%s' is none of Environment, "
				 "EcsContainer, Ec2InstanceMetadata",
			  profile, csrc);
	}
	if (r != CD_OK) {
		if (r == CD_E_NOTFOUND)
			r = CD_E_USAGE;
		goto out;
	}
	if (x->plan_only) {
		r = plan_creds(out, "<assume-role>", "profile '%s' (AssumeRole %s with %s)", profile,
			       role_arn, base.source);
		goto out;
	}
	r = aws_assume_role(x, &base, &role, out, cause);
	if (r != CD_OK) {
		char *why = *cause;

		*cause = NULL;
		aws_cause(cause, "profile '%s': AssumeRole %s with %s: %s", profile, role_arn, base.source,
			  why ? why : "failed");
		free(why);
	}
out:
	aws_creds_release(&base);
	free(src);
	free(csrc);
	free(mfa);
	free(sess);
	free(ext);
	free(dur);
	return r;
}

/* web identity: the environment's variables first, then the profile's. */
static int
web_identity(const struct aws_chain_ctx *x, const char *profile, int top, struct aws_creds *out,
	     char **cause)
{
	const struct aws_files *f = x->files;
	char *file = NULL, *arn = NULL, *sess = NULL;
	struct aws_role role = { 0 };
	int r = CD_E_NOTFOUND;

	if (top && env_get("AWS_WEB_IDENTITY_TOKEN_FILE") != NULL)
		file = xstrdup(env_get("AWS_WEB_IDENTITY_TOKEN_FILE"));
	else
		file = aws_profile_get(f, profile, "web_identity_token_file", 0);
	if (top && env_get("AWS_ROLE_ARN") != NULL)
		arn = xstrdup(env_get("AWS_ROLE_ARN"));
	else
		arn = aws_profile_get(f, profile, "role_arn", 0);
	if (top && env_get("AWS_ROLE_SESSION_NAME") != NULL)
		sess = xstrdup(env_get("AWS_ROLE_SESSION_NAME"));
	else
		sess = aws_profile_get(f, profile, "role_session_name", 0);
	if (file == NULL)
		goto out;
	if (arn == NULL) {
		aws_cause(cause, "web identity token file %s is set but no role: set AWS_ROLE_ARN or the "
				 "profile's role_arn",
			  file);
		r = CD_E_USAGE;
		goto out;
	}
	role.role_arn = arn;
	role.session_name = sess;
	if (x->plan_only)
		r = plan_creds(out, "<web-identity>", "web identity (AssumeRoleWithWebIdentity %s, token %s)",
			       arn, file);
	else
		r = aws_assume_web_identity(x, file, &role, out, cause);
out:
	free(file);
	free(arn);
	free(sess);
	return r;
}

/*
 * What profile PROFILE itself says (sources 2-7 above): CD_E_NOTFOUND when
 * it configures no credentials at all.  top: the profile in force (the
 * web identity variables of the environment apply to it only).
 */
static int
profile_creds(const struct aws_chain_ctx *x, const char *profile, int hops, int top,
	      struct aws_creds *out, char **cause)
{
	const struct aws_files *f = x->files;
	char *arn = aws_profile_get(f, profile, "role_arn", 0), *v = NULL, *src = NULL, *wif = NULL;
	int r;

	if (arn != NULL) {
		if ((src = aws_profile_get(f, profile, "source_profile", 0)) == NULL)
			src = aws_profile_get(f, profile, "credential_source", 0);
		wif = aws_profile_get(f, profile, "web_identity_token_file", 0);
		if (src != NULL) {
			r = assume_role(x, profile, arn, hops, out, cause);
			goto out;
		}
		if (wif == NULL && !(top && env_get("AWS_WEB_IDENTITY_TOKEN_FILE") != NULL)) {
			aws_cause(cause, "profile '%s' has role_arn but no source_profile, credential_source "
					 "or web_identity_token_file to assume it with",
				  profile);
			r = CD_E_USAGE;
			goto out;
		}
	}
	if ((r = web_identity(x, profile, top, out, cause)) != CD_E_NOTFOUND)
		goto out;
	if ((v = aws_profile_get(f, profile, "sso_session", 0)) != NULL ||
	    (v = aws_profile_get(f, profile, "sso_start_url", 0)) != NULL) {
		r = x->plan_only ? plan_creds(out, "<sso>", "profile '%s' (SSO, cached token)", profile)
				 : aws_sso_creds(x, profile, out, cause);
		goto out;
	}
	if ((r = static_creds(f, profile, 1, out)) != CD_E_NOTFOUND)
		goto out;
	if ((v = aws_profile_get(f, profile, "credential_process", 0)) != NULL) {
		r = x->plan_only ? plan_creds(out, "<credential_process>", "profile '%s' (credential_process)",
					      profile)
				 : aws_cred_process(v, profile, out, cause);
		goto out;
	}
	r = static_creds(f, profile, 0, out);
out:
	free(arn);
	free(v);
	free(src);
	free(wif);
	return r;
}

/* Every source in order, the environment's keys excepted. */
static int
resolve(const struct aws_chain_ctx *x, struct aws_creds *out, char **cause)
{
	const struct aws_files *f = x->files;
	char *why = NULL;
	int r;

	if ((x->explicit_profile || env_get("AWS_PROFILE") != NULL || env_get("AWS_DEFAULT_PROFILE")) &&
	    !aws_profile_exists(f, x->profile)) {
		aws_cause(cause,
			  "AWS profile '%s' is in neither %s nor %s (create it with `aws configure "
			  "--profile %s`, or check --profile / AWS_PROFILE)",
			  x->profile, f->credpath ? f->credpath : "~/.aws/credentials",
			  f->confpath ? f->confpath : "~/.aws/config", x->profile);
		return CD_E_USAGE;
	}
	r = profile_creds(x, x->profile, 0, 1, out, cause);
	if (r != CD_E_NOTFOUND)
		return r;
	if (x->plan_only) {
		if (env_get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != NULL ||
		    env_get("AWS_CONTAINER_CREDENTIALS_FULL_URI") != NULL)
			return plan_creds(out, "<container>", "container credentials");
		return plan_creds(out, "<instance-metadata>",
				  "no credentials found; at run time: instance metadata, if any");
	}
	r = aws_container_creds(out, cause);
	if (r != CD_E_NOTFOUND)
		return r;
	r = aws_imds_creds(f, x->profile, out, &why);
	if (r != CD_E_NOTFOUND) {
		free(*cause);
		*cause = why;
		return r;
	}
	aws_cause(cause,
		  "no AWS credentials: tried the environment (AWS_ACCESS_KEY_ID and "
		  "AWS_SECRET_ACCESS_KEY%s), profile '%s' in %s and %s (no keys, role_arn, "
		  "web_identity_token_file, sso or credential_process), container credentials "
		  "(AWS_CONTAINER_CREDENTIALS_*_URI unset) and instance metadata (%s); export keys, pass "
		  "--profile NAME, or run `aws configure`",
		  x->explicit_profile ? ": skipped for --profile" : " unset", x->profile,
		  f->credpath ? f->credpath : "~/.aws/credentials (no HOME)",
		  f->confpath ? f->confpath : "~/.aws/config", why ? why : "no answer");
	free(why);
	return CD_E_USAGE;
}

static struct cache_slot *
cache_find(const char *key)
{
	size_t i;

	for (i = 0; i < ncache; i++)
		if (strcmp(cache[i].key, key) == 0)
			return &cache[i];
	return NULL;
}

int
aws_chain_get(const struct aws_chain_ctx *x, struct aws_creds *out, char **cause)
{
	struct cache_slot *s;
	char key[300];
	int64_t now;
	int r;

	*cause = NULL;
	aws_creds_release(out);
	if (!x->explicit_profile && env_creds(out) == CD_OK)
		return CD_OK;
	if (x->plan_only)
		return resolve(x, out, cause);
	/* one resolution at a time: parallel steps wait for the first one's
	 * answer instead of each assuming the role */
	snprintf(key, sizeof(key), "%s", x->profile);
	pthread_mutex_lock(&cache_mu);
	now = time_now_ns();
	s = cache_find(key);
	if (s != NULL && (s->c.expires_ns == 0 || now + REFRESH_MARGIN_NS < s->c.expires_ns)) {
		creds_copy(out, &s->c);
		pthread_mutex_unlock(&cache_mu);
		return CD_OK;
	}
	r = resolve(x, out, cause);
	/* static keys are read again each time; what was fetched is kept */
	if (r == CD_OK && strstr(out->source, "(keys in ") == NULL) {
		if (s == NULL && ncache < CACHE_SLOTS) {
			s = &cache[ncache++];
			snprintf(s->key, sizeof(s->key), "%s", key);
		}
		if (s != NULL)
			creds_copy(&s->c, out);
	}
	pthread_mutex_unlock(&cache_mu);
	return r;
}

void
aws_chain_forget(void)
{
	size_t i;

	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < ncache; i++)
		aws_creds_release(&cache[i].c);
	ncache = 0;
	pthread_mutex_unlock(&cache_mu);
}
