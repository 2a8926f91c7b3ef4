/*
 * aws.h - what the AWS files of connectors/ share: the loaded
 * configuration (aws_config.c), the profile files, and the credential
 * chain (aws_chain.c) with its sources (aws_process.c, aws_sts.c,
 * aws_sso.c, aws_meta.c).
 */
#ifndef CORDON_CONNECTORS_AWS_H
#define CORDON_CONNECTORS_AWS_H

#include "private.h"

struct aws_cfg {
	char *akid;
	char *secret;        /* wiped on free */
	char *token;         /* session token, wiped on free */
	char *userpwd;       /* "AKID:SECRET" for CURLOPT_USERPWD, wiped */
	char *token_header;  /* "X-Amz-Security-Token: ...", wiped */
	char *region;
	char *iam_url;
	char *sts_url;
	char *ca_bundle;
	/* AWS_ENDPOINT_URL or the profile's endpoint_url (NULL: none): the
	 * base of the services without a URL of their own here (Lambda) */
	char *endpoint;
	char iam_scope[64];  /* "aws:amz:us-east-1:iam": all four fields, always */
	char sts_scope[64];
	char source[256];    /* where the credentials came from (no secret) */
};

int aws_cfg_load(struct aws_cfg **out, char **cause);
/*
 * aws.c: one IAM (sts = 0) or STS call of ACTION with a form of name/value
 * pairs (NULL name ends them; a NULL value leaves its pair out).  CD_OK when
 * an answer arrived; the caller releases o->rs.
 */
int aws_call(struct conn *c, int sts, int idempotent, const char *summary, struct api_out *o,
	     struct conn_result *res, const char *action, ...);
/* Record an AWS failure on res (clears a stale status when no answer came). */
void aws_fail(struct conn_result *res, const struct api_out *o, const char *what);
/* Role name from a role ARN or a name. */
int aws_role_name(const char *t, char *out, size_t cap);
/* Percent-decode (and '+' as space) into out. */
void aws_url_decode(struct span s, char *out, size_t cap);

/* aws_oidc.c: conn_action::run of deny-oidc-subject and its undo. */
int aws_deny_oidc_subject(struct conn *c, const char *target, struct conn_result *res);
int aws_allow_oidc_subject(struct conn *c, const char *target, struct conn_result *res);

/* aws_lambda.c: conn_action::run of stop-function and restore-concurrency. */
int aws_stop_function(struct conn *c, const char *target, struct conn_result *res);
int aws_restore_concurrency(struct conn *c, const char *target, struct conn_result *res);
/* https://, or plain http on loopback only. */
int aws_endpoint_ok(const char *u);
void aws_cfg_free(struct aws_cfg *a);

/* ---- the shared files: ~/.aws/credentials and ~/.aws/config ------------ */

struct aws_files {
	char *credpath, *confpath;   /* NULL: no HOME and no variable */
	char *cred, *conf;           /* their text (NULL: absent); wiped on release */
	size_t credlen, conflen;
};

void aws_files_load(struct aws_files *f);
void aws_files_release(struct aws_files *f);
/* A key of profile NAME: the credentials file (section NAME) when
 * cred_file_too, then the config file ("profile NAME", or "default"). */
char *aws_profile_get(const struct aws_files *f, const char *profile, const char *key,
		      int cred_file_too);
/* A key of any config-file section ("sso-session NAME"). */
char *aws_section_get(const struct aws_files *f, const char *section, const char *key);
/* The profile is named in either file. */
int aws_profile_exists(const struct aws_files *f, const char *profile);

/* ---- credentials -------------------------------------------------------- */

struct aws_creds {
	char *akid;
	char *secret;        /* wiped on release */
	char *token;         /* NULL: long-term keys; wiped on release */
	int64_t expires_ns;  /* 0: never (long-term keys, or no Expiration given) */
	char source[256];    /* what gave them, for messages: never a secret */
};

void aws_creds_release(struct aws_creds *c);
/* Take ownership of three strings (the caller's copies become NULL). */
void aws_creds_set(struct aws_creds *c, char **akid, char **secret, char **token);

/* What a source needs to reach STS and the files. */
struct aws_chain_ctx {
	const struct aws_files *files;
	const char *profile;         /* the profile in force */
	int explicit_profile;        /* --profile: the environment's keys are skipped */
	const char *sts_url;
	const char *sts_scope;       /* "aws:amz:REGION:sts" */
	const char *ca_bundle;
	int plan_only;               /* --dry-run: nothing is run or sent */
};

/*
 * The credentials of ctx->profile, resolved the way the AWS CLI does
 * (environment, assume role, web identity, SSO, the credentials file,
 * credential_process, the config file, container, instance metadata).
 * Temporary credentials are kept for the run and handed out again until
 * five minutes before they expire.  Thread-safe.  *cause names the source
 * tried and what to do.  plan_only: sources that would run a process or
 * send a request are only named (akid "<...>", no secret).
 */
int aws_chain_get(const struct aws_chain_ctx *x, struct aws_creds *out, char **cause);
/* Forget every cached credential (wiped). */
void aws_chain_forget(void);

/* aws_process.c: credential_process COMMAND, run without a shell. */
int aws_cred_process(const char *cmdline, const char *profile, struct aws_creds *out, char **cause);
/* Split a credential_process line as a POSIX shell would quote it. */
int aws_split_args(const char *line, char ***argv, char **cause);
void aws_free_args(char **argv);

/* aws_sts.c: AssumeRole signed by src; AssumeRoleWithWebIdentity unsigned. */
struct aws_role {
	const char *role_arn;
	const char *session_name;    /* NULL: cordon-TIME */
	const char *external_id;     /* MAY */
	const char *duration;        /* MAY: seconds */
};
int aws_assume_role(const struct aws_chain_ctx *x, const struct aws_creds *src,
		    const struct aws_role *role, struct aws_creds *out, char **cause);
int aws_assume_web_identity(const struct aws_chain_ctx *x, const char *token_file,
			    const struct aws_role *role, struct aws_creds *out, char **cause);

/* aws_sso.c: the AWS CLI's cached SSO token, then GetRoleCredentials. */
int aws_sso_creds(const struct aws_chain_ctx *x, const char *profile, struct aws_creds *out,
		  char **cause);

/* aws_meta.c: container credentials and instance metadata (IMDSv2).
 * aws_container_creds: CD_E_NOTFOUND when no container variable is set;
 * aws_imds_creds: CD_E_NOTFOUND when disabled or nothing answers. */
int aws_container_creds(struct aws_creds *out, char **cause);
int aws_imds_creds(const struct aws_files *f, const char *profile, struct aws_creds *out,
		   char **cause);

/* A credential JSON document ({"AccessKeyId","SecretAccessKey","Token" or
 * "SessionToken","Expiration"}) into out; need_version: "Version": 1 is
 * required (credential_process); what names it in messages. */
int aws_creds_from_json(const char *text, size_t len, const char *token_key, int need_version,
			const char *what, struct aws_creds *out, char **cause);
/* *cause = printf(fmt, ...). */
void aws_cause(char **cause, const char *fmt, ...) CD_PRINTF(2, 3);

#endif
