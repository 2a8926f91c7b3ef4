/*
 * runbook.c - the one-liners: `cordon revoke aws-key AKIA... --disable`
 * and friends, for the keyboard and for runbook scripts.
 *
 * Each is a row of a table (name, provider, default action, flags that
 * pick another action); all share the options, the output and the exit
 * codes of apply.  Several targets may be given; independent ones run at
 * once.  Credentials to revoke (a GitHub token) are read from a file or
 * stdin, never from argv, where any local user could read them.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

struct runbook_flag {
	const char *flag;    /* "disable" (given as --disable) */
	const char *action;
};

struct runbook {
	const char *name;
	const char *provider;
	const char *action;          /* default; NULL: one of the flags is required */
	struct runbook_flag flags[4];
	const char *args;            /* usage of the positional arguments */
	const char *help;
	int secret_target;           /* the target is the secret from --file */
	const char *fields_action;   /* the action --field NAME (repeatable) chooses fields of */
};

static const struct runbook runbooks[] = {
	{ "aws-key", "aws", NULL,
	  { { "disable", "disable-key" }, { "delete", "delete-key" }, { "rotate", "rotate-key" },
	    { "info", "key-info" } },
	  "AKIA... --disable|--delete|--rotate|--info",
	  "disable (reversible), delete, or rotate an IAM access key (the new secret is\n"
	  "printed once with --show-secret, never stored); --info shows its account,\n"
	  "owner, status and last use", 0 },
	{ "aws-user-keys", "aws", "list-keys", { { NULL, NULL } }, "USER", "list a user's access keys",
	  0 },
	{ "aws-role-sessions", "aws", "revoke-role-sessions", { { NULL, NULL } }, "ROLE",
	  "deny every session of the role issued before now (AWSRevokeOlderSessions)", 0 },
	{ "aws-login-profile", "aws", "delete-login-profile", { { NULL, NULL } }, "USER",
	  "delete the user's console password (API keys are separate)", 0 },
	{ "aws-function", "aws", "stop-function", { { NULL, NULL } }, "NAME|ARN",
	  "stop a Lambda function from running: reserved concurrency 0, every\n"
	  "invocation throttled, nothing deleted (undo restores the setting read\n"
	  "before)", 0 },
	{ "aws-oidc-subject", "aws", "deny-oidc-subject", { { NULL, NULL } },
	  "ROLE:SUBJECT_PATTERN",
	  "narrow a role's trust in GitHub's OIDC provider: a Deny statement for one\n"
	  "subject pattern (repo:OWNER/REPO:*, a branch, an environment), so the\n"
	  "compromised repository's jobs can no longer assume the role; every other\n"
	  "statement is kept as it is; undo removes the statement", 0 },
	{ "vault-accessor", "vault", "revoke-accessor", { { "lookup", "lookup-accessor" } },
	  "ACCESSOR [--lookup]", "revoke a Vault token (and its children) by accessor", 0 },
	{ "vault-prefix", "vault", "revoke-prefix", { { NULL, NULL } }, "PREFIX",
	  "revoke every lease under a prefix (e.g. aws/creds/deploy)", 0 },
	{ "vault-secret", "vault", NULL,
	  { { "destroy", "destroy-secret-version" }, { "rotate", "rotate-secret" } },
	  "MOUNT/PATH[@VERSION] --destroy|--rotate [--field NAME]...",
	  "destroy a KV v2 version (default: the current one), or rotate the secret:\n"
	  "new random values for the fields that hold secrets (by name: password,\n"
	  "secret, token, key, api_key, credential...; --field NAME, repeatable, names\n"
	  "them instead), every other field kept, old version destroyed; the changed\n"
	  "fields are named, --show-secret prints their new values once", 0, "rotate-secret" },
	{ "vault-cert", "vault", "revoke-cert", { { NULL, NULL } }, "MOUNT/SERIAL",
	  "revoke a certificate a Vault PKI mount issued; the serial in decimal (as\n"
	  "sshd and Vault's cert auth log it), hex or colon-hex (as Vault prints it);\n"
	  "verified in the mount's CRL, its signature checked against the mount's CA", 0 },
	{ "k8s-isolate", "k8s", "isolate-pod", { { NULL, NULL } }, "NS/POD",
	  "deny all ingress and egress of one pod with a NetworkPolicy: the runtime\n"
	  "stops acting, its evidence stays (undo removes the policy; a hostNetwork\n"
	  "pod cannot be isolated: scale its controller or cordon the node)", 0 },
	{ "k8s-scale", "k8s", "scale-to-zero", { { NULL, NULL } }, "NS/KIND/NAME",
	  "scale a deployment, statefulset or replicaset to zero replicas\n"
	  "(undo restores the count read before)", 0 },
	{ "k8s-cert", "k8s", "reissue-cert", { { NULL, NULL } }, "NS/CERTIFICATE",
	  "re-issue a cert-manager Certificate with a new private key (as cmctl\n"
	  "renew, rotationPolicy set to Always first) and wait until cert-manager\n"
	  "has issued it; then revoke the old one at its issuer (vault-cert)", 0 },
	{ "k8s-pod", "k8s", "delete-pod", { { NULL, NULL } }, "NS/NAME",
	  "delete a pod (its bound service-account tokens die with it; isolate it\n"
	  "first to keep the evidence)", 0 },
	{ "k8s-secret", "k8s", "delete-secret", { { NULL, NULL } }, "NS/NAME", "delete a secret", 0 },
	{ "k8s-sa", "k8s", "recreate-sa", { { "token-secrets", "delete-sa-token-secrets" } },
	  "NS/NAME [--token-secrets]",
	  "recreate a service account (new UID: every token of the old one dies);\n"
	  "--token-secrets deletes only its legacy token secrets", 0 },
	{ "k8s-node", "k8s", NULL, { { "cordon", "cordon-node" }, { "uncordon", "uncordon-node" } },
	  "NAME --cordon|--uncordon", "cordon a node (no new pods; reversible)", 0 },
	{ "gcp-key", "gcp", NULL,
	  { { "disable", "disable-key" }, { "delete", "delete-key" }, { "enable", "enable-key" } },
	  "projects/P/serviceAccounts/SA/keys/KEY --disable|--delete",
	  "disable (reversible) or delete a service-account key", 0 },
	{ "github-token", "github", "revoke-token", { { NULL, NULL } }, "--file FILE",
	  "report leaked tokens to GitHub's credential revocation API (one per line;\n"
	  "- reads stdin); never pass a token on the command line", 1 },
	{ "github-deploy-key", "github", "delete-deploy-key", { { NULL, NULL } }, "OWNER/REPO/KEY_ID",
	  "delete a repository deploy key", 0 },
	{ "github-installation-token", "github", "revoke-installation-token", { { NULL, NULL } },
	  "--file FILE", "revoke a GitHub App installation token (read from FILE)", 1 },
	{ "github-workflow", "github", NULL,
	  { { "disable", "disable-workflow" }, { "enable", "enable-workflow" } },
	  "OWNER/REPO/WORKFLOW --disable|--enable",
	  "stop a GitHub Actions workflow from being triggered (history and logs\n"
	  "kept; reversible); WORKFLOW is its id or file name (deploy.yml)", 0 },
	{ "github-runner", "github", "remove-runner", { { NULL, NULL } },
	  "OWNER/REPO/RUNNER_ID|ORG/RUNNER_ID",
	  "deregister a self-hosted runner (the machine keeps its disk; no undo:\n"
	  "register it again once the host is rebuilt)", 0 },
	{ "ssh-key", "ssh", "revoke-ssh-key", { { NULL, NULL } }, "SHA256:FINGERPRINT",
	  "add a key to the OpenSSH key revocation list $CORDON_SSH_KRL (what\n"
	  "sshd_config's RevokedKeys names) by its SHA-256 fingerprint, as sshd logs\n"
	  "it; every other entry is kept; undo removes it", 0 },
	{ "ssh-cert", "ssh", "revoke-ssh-cert", { { NULL, NULL } }, "SHA256:CA_FINGERPRINT/SERIAL",
	  "add a certificate's serial to $CORDON_SSH_KRL under its CA (sshd logs\n"
	  "both: \"(serial N) CA TYPE SHA256:...\"); the CA's public key comes from the\n"
	  "KRL or $CORDON_SSH_CA_KEYS (sshd's TrustedUserCAKeys); undo removes it", 0 },
	{ "spire-entry", "spire", "delete-entry", { { NULL, NULL } }, "ENTRY_ID",
	  "delete a SPIRE registration entry: its SVIDs are no longer renewed (those\n"
	  "issued stay valid until they expire); through the server's admin socket\n"
	  "$CORDON_SPIRE_SOCKET", 0 },
	{ "spire-agent", "spire", NULL, { { "evict", "evict-agent" }, { "ban", "ban-agent" } },
	  "SPIFFE_ID --evict|--ban",
	  "evict a SPIRE node agent (it may attest again), or ban it (kept out until\n"
	  "the ban is lifted; undo lifts it)", 0 },
	{ "notify", "webhook", "notify", { { NULL, NULL } }, "TEXT",
	  "post TEXT to $CORDON_WEBHOOK_URL (Slack-compatible JSON)", 0 },
};

#define NRUNBOOKS (sizeof(runbooks) / sizeof(runbooks[0]))
/* GitHub's revocation API takes 1000 per call; a leak larger than this is
 * several runs */
#define RUNBOOK_MAX_TOKENS 10000

static const struct runbook *
runbook_find(const char *name)
{
	size_t i;

	for (i = 0; i < NRUNBOOKS; i++)
		if (strcmp(runbooks[i].name, name) == 0)
			return &runbooks[i];
	return NULL;
}

int
revoke_is_runbook(const char *name)
{
	return runbook_find(name) != NULL;
}

void
revoke_runbook_usage(FILE *f)
{
	size_t i;

	fprintf(f, "\nrunbook one-liners (cordon revoke NAME --help for each):\n");
	for (i = 0; i < NRUNBOOKS; i++)
		fprintf(f, "  %-26s %s\n", runbooks[i].name, runbooks[i].args);
}

static void
runbook_help(const struct runbook *rb, FILE *f)
{
	fprintf(f,
		"usage: cordon revoke %s %s [options]\n"
		"\n%s.\n"
		"\n"
		"options:\n"
		"  --db PATH      evidence store for the audit trail (default $CORDON_DB, else ./cordon.db)\n"
		"  --dry-run      print the exact requests (secrets redacted); send nothing\n"
		"  -o, --format FMT table (default), json or ndjson\n"
		"  --jobs N       with several targets, at most N at once (default 4)\n"
		"  --who NAME     who acts, for the audit trail (default $USER@host)\n"
		"  --file FILE    read the credential from FILE (- = stdin)\n"
		"  --show-secret  print a new secret once (rotations); never stored\n"
		"  --debug        print each request (redacted) to stderr as it is sent\n"
		"  --witness FILE append the audit chain's head here (default STORE.witness)\n"
		"  --profile NAME AWS profile (beats AWS_PROFILE and the AWS_* keys)\n"
		"  --kubeconfig FILE  Kubernetes: read only FILE (default: KUBECONFIG, merged)\n"
		"  --context NAME     Kubernetes: this context, not the current-context\n"
		"  -h, --help     this help\n"
		"\n"
		"exit status: 0 done or already done; 1 failed (or not proven done); 2 usage or\n"
		"configuration error, or the audit trail could not be written.\n",
		rb->name, rb->args, rb->help);
}

static int
plan_has_target(const struct plan *p, const char *target)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->steps[i].target, target) == 0)
			return 1;
	return 0;
}

int
cmd_revoke_runbook(struct cmd_ctx *cc, const char *name)
{
	enum { O_FLAG0 = RUN_O_NEXT, O_FIELD = O_FLAG0 + 4 };
	const struct runbook *rb = runbook_find(name);
	struct option longopts[RUN_NLONGOPTS + 6];
	struct buf fields;
	const char *action, *file = NULL;
	struct run_cfg rc;
	struct plan p;
	char *tok = NULL, label[128], pname[128];
	struct span *toks = NULL;
	size_t toklen = 0, nl = run_longopts(longopts, "file"), i;
	int c, status = EXIT_ERROR, nflags = 0;

	for (i = 0; i < 4 && rb->flags[i].flag != NULL; i++) {
		longopts[nl].name = rb->flags[i].flag;
		longopts[nl].has_arg = no_argument;
		longopts[nl].flag = NULL;
		longopts[nl].val = O_FLAG0 + (int)i;
		nl++;
	}
	if (rb->fields_action != NULL) {
		longopts[nl].name = "field";
		longopts[nl].has_arg = required_argument;
		longopts[nl].flag = NULL;
		longopts[nl].val = O_FIELD;
		nl++;
	}
	memset(&longopts[nl], 0, sizeof(longopts[nl]));
	memset(&rc, 0, sizeof(rc));
	buf_init(&fields, 4096);
	rc.jobs = 4;
	rc.config_is_usage = 1;
	action = rb->action;
	snprintf(pname, sizeof(pname), "revoke %s", rb->name);
	optind = 1;
	while ((c = cmd_getopt(cc->argc - 1, cc->argv + 1, pname, "h", longopts)) != -1) {
		switch (run_opt(cc, &rc, &file, c, optarg)) {
		case 1: continue;
		case -1: goto fail;
		}
		switch (c) {
		case 'h': runbook_help(rb, stdout); goto done;
		case O_FIELD:
			/* a field name joins the target (MOUNT/PATH#A,B): the audit
			 * row says which fields were asked for */
			if (*optarg == '\0' || strpbrk(optarg, "#,@/ \t\n") != NULL ||
			    (fields.len ? buf_addc(&fields, ',') : CD_OK) != CD_OK ||
			    buf_addstr(&fields, optarg) != CD_OK) {
				out_err("revoke %s: --field takes one field name (no '#', ',', '@', '/' or space), not '%s'",
					rb->name, optarg);
				goto fail;
			}
			break;
		default:
			if (c >= O_FLAG0 && c < O_FLAG0 + 4) {
				action = rb->flags[c - O_FLAG0].action;
				nflags++;
				break;
			}
			goto fail; /* cmd_getopt said why */
		}
	}
	if (action == NULL || nflags > 1) {
		out_err("revoke %s: choose exactly one of the actions: %s", rb->name, rb->args);
		goto fail;
	}
	if (fields.len > 0 && strcmp(action, rb->fields_action) != 0) {
		out_err("revoke %s: --field goes with the action %s only", rb->name, rb->fields_action);
		goto fail;
	}
	rc.db_path = cc->db_path;
	/* optind counts from argv + 1 */
	if (rb->secret_target ? optind != cc->argc - 1 || file == NULL : optind >= cc->argc - 1) {
		if (rb->secret_target)
			out_err("revoke %s reads the credential from --file FILE (or --file - for stdin), "
				"never from the command line",
				rb->name);
		else
			out_err("revoke %s needs %s", rb->name, rb->args);
		goto fail;
	}
	if (run_read_secret(file, &tok, &toklen) != CD_OK)
		goto fail;
	rc.secret = tok;
	rc.secret_len = toklen;
	plan_init(&p);
	p.source = xstrdup("runbook");
	if (rb->secret_target) {
		/* a step per token, named by its label: each has its own audit
		 * row, so a later run can prove it revoked that very token */
		int nt;

		toks = xcalloc(RUNBOOK_MAX_TOKENS, sizeof(*toks));
		nt = conn_secret_tokens(tok, toklen, toks, RUNBOOK_MAX_TOKENS);
		if (nt == 0) {
			out_err("revoke %s: %s holds no token", rb->name,
				strcmp(file, "-") == 0 ? "standard input" : file);
			goto out;
		}
		for (i = 0; i < (size_t)nt; i++) {
			conn_secret_label(toks[i].p, toks[i].n, label, sizeof(label));
			if (!plan_has_target(&p, label)) /* a token listed twice */
				plan_add(&p, rb->provider, action, label, NULL);
		}
	} else {
		for (i = (size_t)optind + 1; i < (size_t)cc->argc; i++) {
			struct buf t;

			buf_init(&t, 1 << 16);
			if (buf_addstr(&t, cc->argv[i]) != CD_OK ||
			    (fields.len && buf_printf(&t, "#%s", fields.data) != CD_OK)) {
				out_err("revoke %s: target too long", rb->name);
				buf_release(&t);
				goto out;
			}
			plan_add(&p, rb->provider, action, t.data, NULL);
			buf_release(&t);
		}
	}
	/* read-only and undo actions are not plan vocabulary: resolve them here */
	for (i = 0; i < p.n; i++) {
		const struct connector *cn = conn_find(rb->provider);
		const struct conn_action *a = cn ? conn_action_find(cn, action) : NULL;

		if (a == NULL) {
			out_err("revoke %s: the %s connector cannot %s", rb->name, rb->provider, action);
			goto out;
		}
		p.steps[i].manual = 0;
		p.steps[i].conn = cn;
		p.steps[i].act = a;
		p.steps[i].phase = a->phase;
	}
	plan_order(&p);
	snprintf(pname, sizeof(pname), "runbook %s", rb->name);
	rc.plan_name = pname;
	status = revoke_execute(&p, &rc);
out:
	plan_release(&p);
	free(toks);
	if (tok != NULL)
		freezero(tok, toklen + 1);
	buf_release(&fields);
	return status;
done:
	buf_release(&fields);
	return EXIT_OK;
fail:
	buf_release(&fields);
	return EXIT_ERROR;
}
