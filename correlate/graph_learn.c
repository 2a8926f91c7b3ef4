/*
 * graph_learn.c - lineage the logs reveal, as observed edges.
 *
 *   CloudTrail  the key an event was signed with -> authenticates-as -> its
 *               principal (an assumed-role session -> its role); STS
 *               AssumeRole*, GetSessionToken, GetFederationToken and
 *               iam:CreateAccessKey responses: caller key -> issued -> new
 *               key -> authenticates-as -> role or user, caller -> assumed
 *               -> role; an EC2 role session named after an instance id:
 *               imds:i-... -> exposes -> that key
 *   Kubernetes  JTI -> authenticates-as -> user; a bound token's pod ->
 *               mounts -> sa-token:NS/SA -> exposes -> JTI; pod -> runs-on
 *               -> node; TokenRequest: caller -> issued -> new JTI; EKS
 *               IAM keys -> authenticates-as -> the mapped k8s user
 *   Vault       accessor -> authenticates-as -> display name; a login's
 *               service account -> assumed -> the Vault identity; policies;
 *               a login's new accessor -> exchanged-for -> the certificate,
 *               AWS principal, Google or Kubernetes service account it
 *               was issued for (the login's auth metadata)
 *   GCP         key -> authenticates-as -> principal; a principal's
 *               successful iamcredentials call on a service account
 *               (GenerateAccessToken, GenerateIdToken, SignBlob, SignJwt:
 *               a GitHub job's federated principal, a developer's
 *               impersonation) -> assumed -> the account, so reach goes on
 *               from the principal to what the account may do
 *   sshd        key fingerprint -> authenticates-as -> USER@HOST it opened
 *   any source  pod -> runs-on -> host, container -> runs-on -> pod
 *
 * Incremental: the meta row graph_learned_event holds the last event id
 * read; events are immutable, so reading each once is enough.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

struct learn {
	struct graph_tx t;
	struct gmap seen; /* "src\x1ftype\x1fdst" links made in this run */
	struct gmap rows; /* the column tuples already learned from */
	struct buf key;
};

/* Strings joined by 0x1f, an absent one as 0x1e: a map key. */
static int
join_key(struct buf *k, const char *const *v, int n)
{
	int i, rc = CD_OK;

	for (i = 0; i < n && rc == CD_OK; i++) {
		if (i > 0)
			rc = buf_addc(k, '\x1f');
		if (rc == CD_OK)
			rc = v[i] != NULL ? buf_addstr(k, v[i]) : buf_addc(k, '\x1e');
	}
	return rc;
}

/* A link once per run (most events repeat the same facts). */
static int
learn_link(struct learn *l, const char *sk, const char *skey, const char *type, const char *dk,
     const char *dkey, const char *detail)
{
	const char *parts[] = { sk, skey, type, dk, dkey };

	if (skey == NULL || dkey == NULL || !*skey || !*dkey)
		return CD_OK;
	/* the row's key is done with by now: the buffer is reused */
	buf_reset(&l->key);
	if (join_key(&l->key, parts, 5) == CD_OK && gmap_add(&l->seen, l->key.data, 0))
		return graph_link(&l->t, sk, skey, type, dk, dkey, 0, detail);
	return CD_OK;
}

static char *
pre(const char *provider, const char *s)
{
	return s ? gjoin(provider, ":", s) : NULL;
}

/* arn:aws:sts::A:assumed-role/R/S -> the role's identity key; else the ARN's. */
static char *
aws_identity(const char *arn, const char *issuer)
{
	const char *ar;

	if (arn == NULL)
		return NULL;
	if ((ar = strstr(arn, ":assumed-role/")) != NULL && strncmp(arn, "arn:aws:sts::", 13) == 0) {
		const char *acct = arn + 13, *c = strchr(acct, ':'), *r = ar + 14, *sl = strchr(r, '/');
		char *out;
		size_t an, rn;

		if (issuer != NULL && strncmp(issuer, "arn:aws:iam::", 13) == 0)
			return gjoin("aws", ":", issuer);
		if (c == NULL)
			return NULL;
		an = (size_t)(c - acct);
		rn = sl ? (size_t)(sl - r) : strlen(r);
		out = xmalloc(an + rn + 32);
		snprintf(out, an + rn + 32, "aws:arn:aws:iam::%.*s:role/%.*s", (int)an, acct, (int)rn, r);
		return out;
	}
	return gjoin("aws", ":", arn);
}

/* The session name of an assumed-role ARN, or NULL. */
static const char *
session_of(const char *arn)
{
	const char *ar = arn ? strstr(arn, ":assumed-role/") : NULL, *sl;

	if (ar == NULL)
		return NULL;
	sl = strchr(ar + 14, '/');
	return sl ? sl + 1 : NULL;
}

static int
ends(const char *s, const char *t)
{
	size_t n = strlen(s), m = strlen(t);

	return n >= m && strcmp(s + n - m, t) == 0;
}

/* The catch-up pass's filter for gcp_maybe_impersonation's events. */
#define GCP_IMPERSONATION_SQL \
	"source = 'gcpaudit' AND outcome = 'success' AND instr(object, 'serviceAccounts/') > 0"

enum col {
	C_ID, C_SOURCE, C_ACTOR, C_CRED, C_ISSUED, C_ACTION, C_OBJECT, C_HOST, C_NS, C_POD, C_UID,
	C_CONTAINER, C_X_ISSUED_ID, C_X_WEB_SUB, C_X_ISSUER, C_X_BOUND_KIND, C_X_BOUND_NAME,
	C_X_SA, C_X_SANS, C_X_POLICIES, C_REGION, C_X_SESSION, C_X_EXCHANGED,
	C__N /* columns in a row */
};

/*
 * Lambda's execution environments: AssumeRole by lambda.amazonaws.com
 * names the session after the function (its roleSessionName), so the new
 * key is the one the function's environment holds (AWS_ACCESS_KEY_ID):
 * function -> mounts -> env:FUNCTION-ARN:AWS_ACCESS_KEY_ID -> exposes ->
 * the key, and the function runs as the role.  The function's ARN is
 * rebuilt from the role's partition and account, the event's region and
 * the session name; a developer assuming the same role (another caller)
 * is not the function's session.
 */
static int
learn_lambda_session(struct learn *l, const char **c, const char *ik, const char *target)
{
	const char *role = c[C_OBJECT], *sess = c[C_X_SESSION], *acct, *ae;
	char *fn, *loc;
	size_t n;
	int rc;

	if (c[C_ACTOR] == NULL || strcmp(c[C_ACTOR], "lambda.amazonaws.com") != 0 || role == NULL ||
	    c[C_REGION] == NULL || strncmp(role, "arn:", 4) != 0)
		return CD_OK;
	if (sess == NULL && c[C_X_ISSUED_ID] != NULL && (sess = strrchr(c[C_X_ISSUED_ID], '/')) != NULL)
		sess++;
	/* arn:PART:iam::ACCOUNT:role/... */
	acct = strstr(role, ":iam::");
	ae = acct ? strchr(acct + 6, ':') : NULL;
	if (sess == NULL || *sess == '\0' || ae == NULL)
		return CD_OK;
	n = strlen(role) + strlen(c[C_REGION]) + strlen(sess) + 40;
	fn = xmalloc(n);
	snprintf(fn, n, "%.*s:lambda:%s:%.*s:function:%s", (int)(acct - role), role, c[C_REGION],
		 (int)(ae - acct - 6), acct + 6, sess);
	loc = gjoin("env", ":", fn);
	{
		char *loc2 = gjoin(loc, ":", "AWS_ACCESS_KEY_ID");

		free(loc);
		loc = loc2;
	}
	rc = learn_link(l, "function", fn, "mounts", "secret", loc,
			"env AWS_ACCESS_KEY_ID (execution role session)");
	rc = rc ? rc : learn_link(l, "secret", loc, "exposes", "credential", ik,
				  "AssumeRole by lambda.amazonaws.com for the function");
	if (rc == CD_OK && target != NULL) {
		rc = learn_link(l, "secret", loc, "authenticates-as", "identity", target, NULL);
		rc = rc ? rc : learn_link(l, "function", fn, "runs-as", "identity", target,
					  "execution role (AssumeRole by lambda.amazonaws.com)");
	}
	free(fn);
	free(loc);
	return rc;
}

/*
 * GitHub Actions OIDC: AssumeRoleWithWebIdentity from
 * token.actions.githubusercontent.com with a "repo:ORG/REPO:..." subject
 * gives the job that held the token a session: oidc:github:SUBJECT ->
 * exposes -> the key.  Which job (run, runner) is a time join done when an
 * incident needs it (ci_job.c): CloudTrail carries no run id.
 */
static int
learn_ci_session(struct learn *l, const char **c, const char *ik, const char *target)
{
	const char *sub = c[C_X_WEB_SUB];
	char *loc;
	int rc;

	if (sub == NULL || strncmp(sub, "repo:", 5) != 0 || c[C_ACTOR] == NULL ||
	    strstr(c[C_ACTOR], "token.actions.githubusercontent.com") == NULL)
		return CD_OK;
	loc = gjoin("oidc:github", ":", sub);
	rc = learn_link(l, "secret", loc, "exposes", "credential", ik,
			"AssumeRoleWithWebIdentity from token.actions.githubusercontent.com");
	if (rc == CD_OK && target != NULL)
		rc = learn_link(l, "secret", loc, "authenticates-as", "identity", target, NULL);
	free(loc);
	return rc;
}

static int
learn_cloudtrail(struct learn *l, const char **c)
{
	char *who = aws_identity(c[C_ACTOR], c[C_X_ISSUER]), *ck = pre("aws", c[C_CRED]);
	char *ik = pre("aws", c[C_ISSUED]), *target = NULL;
	const char *act = c[C_ACTION] ? c[C_ACTION] : "", *sess = session_of(c[C_ACTOR]);
	int rc = CD_OK;

	if (ck && who)
		rc = learn_link(l, "credential", ck, "authenticates-as", "identity", who, "seen in CloudTrail");
	if (rc == CD_OK && ck && sess && strncmp(sess, "i-", 2) == 0) {
		/* EC2 role sessions are named after the instance: its metadata service */
		char *loc = gjoin("imds", ":", sess);

		rc = learn_link(l, "secret", loc, "exposes", "credential", ck, "EC2 instance role session");
		rc = rc ? rc : learn_link(l, "secret", loc, "authenticates-as", "identity", who, "EC2 instance role");
		free(loc);
	}
	if (rc == CD_OK && ik) {
		if (strstr(act, ":AssumeRole") != NULL) {
			target = c[C_X_ISSUED_ID] ? aws_identity(c[C_X_ISSUED_ID], NULL)
						  : c[C_OBJECT] ? pre("aws", c[C_OBJECT]) : NULL;
			if (c[C_X_WEB_SUB] && strncmp(c[C_X_WEB_SUB], "system:serviceaccount:", 22) == 0) {
				char *sa = pre("k8s", c[C_X_WEB_SUB]);

				rc = learn_link(l, "identity", sa, "assumed", "identity", target, "AssumeRoleWithWebIdentity");
				free(sa);
			} else if (who && target) {
				rc = learn_link(l, "identity", who, "assumed", "identity", target, act);
			}
			if (rc == CD_OK)
				rc = learn_lambda_session(l, c, ik, target);
			if (rc == CD_OK)
				rc = learn_ci_session(l, c, ik, target);
		} else if (ends(act, ":GetSessionToken") || ends(act, ":GetFederationToken")) {
			target = who ? xstrdup(who) : NULL;
		} else if (ends(act, ":CreateAccessKey")) {
			const char *slash = c[C_ACTOR] ? strrchr(c[C_ACTOR], '/') : NULL;

			if (c[C_OBJECT] == NULL || (slash && strcmp(slash + 1, c[C_OBJECT]) == 0))
				target = who ? xstrdup(who) : NULL;
			else if (c[C_ACTOR] && strncmp(c[C_ACTOR], "arn:aws:", 8) == 0) {
				const char *a = strstr(c[C_ACTOR], "::"), *e = a ? strchr(a + 2, ':') : NULL;

				if (e != NULL) {
					size_t n = (size_t)(e - a - 2) + strlen(c[C_OBJECT]) + 40;

					target = xmalloc(n);
					snprintf(target, n, "aws:arn:aws:iam::%.*s:user/%s", (int)(e - a - 2), a + 2,
						 c[C_OBJECT]);
				}
			}
		}
		if (rc == CD_OK && ck)
			rc = learn_link(l, "credential", ck, "issued", "credential", ik, act);
		else if (rc == CD_OK && who)
			rc = learn_link(l, "identity", who, "assumed", "credential", ik, act);
		if (rc == CD_OK && target)
			rc = learn_link(l, "credential", ik, "authenticates-as", "identity", target, act);
	}
	free(who);
	free(ck);
	free(ik);
	free(target);
	return rc;
}

static int
learn_k8s(struct learn *l, const char **c)
{
	const char *cred = c[C_CRED], *actor = c[C_ACTOR];
	int aws = cred && (strncmp(cred, "AKIA", 4) == 0 || strncmp(cred, "ASIA", 4) == 0);
	/* a client certificate (credential-id X509SHA256=) is x509's, as the
	 * certificate inventory names it */
	const char *kp = aws ? "aws" : credid_kind(cred) != NULL ? credid_kind(cred) : "k8s";
	char *ck = cred ? gjoin(kp, ":", cred) : NULL, *who = pre("k8s", actor);
	char *ik = pre("k8s", c[C_ISSUED]);
	int rc = CD_OK;

	if (ck && who)
		rc = learn_link(l, "credential", ck, "authenticates-as", "identity", who,
			  aws ? "EKS: the IAM credential maps to this Kubernetes user" : "seen in Kubernetes audit");
	/* a bound token names its pod */
	if (rc == CD_OK && actor && strncmp(actor, "system:serviceaccount:", 22) == 0 && c[C_POD] && c[C_NS]) {
		const char *sa = actor + 22, *colon = strchr(sa, ':');
		char *pod = gjoin(c[C_NS], "/", c[C_POD]), *loc;

		if (colon != NULL) {
			loc = xmalloc(strlen(sa) + 16);
			snprintf(loc, strlen(sa) + 16, "sa-token:%.*s/%s", (int)(colon - sa), sa, colon + 1);
			rc = learn_link(l, "pod", pod, "mounts", "secret", loc, "bound token seen in audit");
			rc = rc ? rc : learn_link(l, "secret", loc, "authenticates-as", "identity", who, NULL);
			if (rc == CD_OK && ck && !aws)
				rc = learn_link(l, "secret", loc, "exposes", "credential", ck, "bound token seen in audit");
			free(loc);
		}
		free(pod);
	}
	/* TokenRequest: serviceaccounts/token create issues a JTI */
	if (rc == CD_OK && ik && c[C_OBJECT]) {
		const char *o = c[C_OBJECT], *m = strstr(o, "/serviceaccounts/");

		if (m != NULL) {
			char *ns = xstrndup(o, (size_t)(m - o)), *sa = gjoin("k8s:system:serviceaccount", ":", ns);
			char *id = gjoin(sa, ":", m + 17);

			rc = learn_link(l, "credential", ik, "authenticates-as", "identity", id, "TokenRequest");
			if (rc == CD_OK)
				rc = ck ? learn_link(l, "credential", ck, "issued", "credential", ik, "TokenRequest")
					: learn_link(l, "identity", who, "assumed", "credential", ik, "TokenRequest");
			if (rc == CD_OK && c[C_X_BOUND_KIND] && strcmp(c[C_X_BOUND_KIND], "Pod") == 0 &&
			    c[C_X_BOUND_NAME]) {
				char *pod = gjoin(ns, "/", c[C_X_BOUND_NAME]);
				char *loc = gjoin("sa-token", ":", ns), *loc2 = gjoin(loc, "/", m + 17);

				rc = learn_link(l, "pod", pod, "mounts", "secret", loc2, "TokenRequest bound to the pod");
				rc = rc ? rc : learn_link(l, "secret", loc2, "exposes", "credential", ik, "TokenRequest");
				free(pod);
				free(loc);
				free(loc2);
			}
			free(ns);
			free(sa);
			free(id);
		}
	}
	free(ck);
	free(who);
	free(ik);
	return rc;
}

static int
learn_vault(struct learn *l, const char **c)
{
	/* a cert login's credential is the certificate (X509SERIAL=), not a token */
	const char *cprov = credid_kind(c[C_CRED]);
	char *who = pre("vault", c[C_ACTOR]), *ck = pre(cprov ? cprov : "vault", c[C_CRED]);
	char *ik = pre("vault", c[C_ISSUED]);
	int rc = CD_OK;

	if (ck && who)
		rc = learn_link(l, "credential", ck, "authenticates-as", "identity", who, "seen in Vault audit");
	if (rc == CD_OK && ik && who) {
		rc = learn_link(l, "credential", ik, "authenticates-as", "identity", who, "Vault login");
		if (rc == CD_OK && c[C_X_SA] && c[C_X_SANS]) {
			char *ns = gjoin("k8s:system:serviceaccount", ":", c[C_X_SANS]), *sa = gjoin(ns, ":", c[C_X_SA]);

			rc = learn_link(l, "identity", sa, "assumed", "identity", who, "Vault kubernetes login");
			free(ns);
			free(sa);
		}
	}
	/* what the token was exchanged for: holding either is holding both (a
	 * stolen certificate logs in again; a token reaches what the login
	 * mapped it to), so the incident follows the link both ways */
	if (rc == CD_OK && ik && c[C_X_EXCHANGED] && strchr(c[C_X_EXCHANGED], ':') != NULL)
		rc = learn_link(l, "credential", ik, "exchanged-for",
				credid_kind(strchr(c[C_X_EXCHANGED], ':') + 1) ? "credential" : "identity",
				c[C_X_EXCHANGED], "Vault login");
	/* a GitHub Actions job's OIDC token (jwt login, subject "repo:..."): the
	 * job holds the Vault token as it holds an AWS session it exchanged
	 * the same token for (learn_ci_session) */
	if (rc == CD_OK && ik && c[C_X_EXCHANGED] && strncmp(c[C_X_EXCHANGED], "oidc:repo:", 10) == 0) {
		char *loc = gjoin("oidc:github", ":", c[C_X_EXCHANGED] + 5);

		rc = learn_link(l, "secret", loc, "exposes", "credential", ik, "Vault jwt login");
		free(loc);
	}
	if (rc == CD_OK && who && c[C_X_POLICIES]) {
		/* ["default","web-read"]: the quoted names */
		const char *p = c[C_X_POLICIES];

		while (rc == CD_OK && (p = strchr(p, '"')) != NULL) {
			const char *e = strchr(p + 1, '"');
			char *name, *pk;

			if (e == NULL)
				break;
			name = xstrndup(p + 1, (size_t)(e - p - 1));
			pk = gjoin("vault:policy", "/", name);
			rc = learn_link(l, "identity", who, "member-of", "identity", pk, "token policy");
			free(name);
			free(pk);
			p = e + 1;
		}
	}
	free(who);
	free(ck);
	free(ik);
	return rc;
}

/* sshd: the key (or certificate's key) opened this account on this host,
 * so reach goes on from an exposed key to every account it logged in to */
static int
learn_sshd(struct learn *l, const char **c)
{
	char *ck, *who;
	int rc;

	if (credid_kind(c[C_CRED]) == NULL || strcmp(credid_kind(c[C_CRED]), "ssh") != 0 || !c[C_ACTOR])
		return CD_OK;
	ck = pre("ssh", c[C_CRED]);
	who = pre("ssh", c[C_ACTOR]);
	rc = learn_link(l, "credential", ck, "authenticates-as", "identity", who, "sshd login");
	free(ck);
	free(who);
	return rc;
}

/*
 * The service account (its e-mail) an iamcredentials call acted as:
 * methodName GenerateAccessToken, GenerateIdToken, SignBlob or SignJwt
 * (bare, or with its gRPC service's prefix), resourceName
 * "projects/-/serviceAccounts/EMAIL".  NULL for anything else.
 */
static const char *
gcp_impersonated(const char *action, const char *object)
{
	static const char *const methods[] = { "GenerateAccessToken", "GenerateIdToken", "SignBlob", "SignJwt",
					       NULL };
	const char *m, *sa;
	size_t i;

	if (action == NULL || object == NULL || (sa = strstr(object, "serviceAccounts/")) == NULL)
		return NULL;
	m = strrchr(action, '.');
	m = m ? m + 1 : action;
	sa += 16;
	if (strchr(sa, '@') == NULL || strchr(sa, '/') != NULL)
		return NULL;
	for (i = 0; methods[i] != NULL; i++)
		if (strcmp(m, methods[i]) == 0)
			return sa;
	return NULL;
}

static int
learn_one(struct learn *l, const char **c)
{
	const char *src = c[C_SOURCE] ? c[C_SOURCE] : "";
	int rc = CD_OK;

	if (strcmp(src, "cloudtrail") == 0)
		rc = learn_cloudtrail(l, c);
	else if (strcmp(src, "k8saudit") == 0)
		rc = learn_k8s(l, c);
	else if (strcmp(src, "vault") == 0)
		rc = learn_vault(l, c);
	else if (strcmp(src, "sshd") == 0)
		rc = learn_sshd(l, c);
	else if (strcmp(src, "gcpaudit") == 0 && c[C_ACTOR]) {
		const char *k = c[C_CRED], *sa = gcp_impersonated(c[C_ACTION], c[C_OBJECT]);
		char *ck, *who = pre("gcp", c[C_ACTOR]);

		if (k != NULL) {
			if (strncmp(k, "//iam.googleapis.com/", 21) == 0)
				k += 21;
			ck = pre("gcp", k);
			rc = learn_link(l, "credential", ck, "authenticates-as", "identity", who, "seen in GCP audit");
			free(ck);
		}
		if (rc == CD_OK && sa != NULL && strcmp(sa, c[C_ACTOR]) != 0) {
			char *sk = pre("gcp", sa);

			rc = learn_link(l, "identity", who, "assumed", "identity", sk, c[C_ACTION]);
			free(sk);
		}
		free(who);
	} else if (strcmp(src, "github") == 0 && c[C_HOST]) {
		/* a self-hosted runner (a runner event, a job the jobs API places
		 * there): its host's events may be a job's (ci_job.c asks) */
		const char *parts[] = { "ci-runner", c[C_HOST] };

		buf_reset(&l->key);
		if (join_key(&l->key, parts, 2) == CD_OK && gmap_add(&l->seen, l->key.data, 0) &&
		    graph_tx_node(&l->t, "ci-runner", c[C_HOST], "github", NULL, NULL) < 0)
			rc = l->t.err != CD_OK ? l->t.err : CD_E_DB;
	}
	if (rc == CD_OK && c[C_NS] && c[C_POD] && (c[C_HOST] || c[C_CONTAINER]) &&
	    strcmp(src, "k8saudit") != 0 && strcmp(src, "gcpaudit") != 0) {
		char *pod = gjoin(c[C_NS], "/", c[C_POD]);

		if (c[C_HOST])
			rc = learn_link(l, "pod", pod, "runs-on", "node", c[C_HOST], "seen in host events");
		if (rc == CD_OK && c[C_CONTAINER])
			rc = learn_link(l, "container", c[C_CONTAINER], "runs-on", "pod", pod, "seen in host events");
		free(pod);
	} else if (rc == CD_OK && strcmp(src, "k8saudit") == 0 && c[C_NS] && c[C_POD] && c[C_HOST]) {
		char *pod = gjoin(c[C_NS], "/", c[C_POD]);

		/* bound-token user.extra: the caller's pod and node */
		rc = learn_link(l, "pod", pod, "runs-on", "node", c[C_HOST], "bound token user.extra");
		free(pod);
	}
	return rc;
}

/* ---- the learner: one per ingest (in its writer) or catch-up pass ------ */

struct graph_learner {
	struct learn l;
	struct store *s;
	int open;               /* l.t prepared */
	struct ev_arena arena;  /* the extra fields of one event */
	struct json_tokens tok;
	int64_t first, last;    /* event ids stored in the open transaction */
	int64_t added;          /* l.t.added at the last commit */
	/* graph_learner_wants(), on the parsing thread: its own map and key */
	struct gmap pre;
	struct buf pre_key;
};

struct graph_learner *
graph_learner_new(struct store *s)
{
	struct graph_learner *g = xcalloc(1, sizeof(*g));

	g->s = s;
	gmap_init(&g->l.seen);
	gmap_init(&g->l.rows);
	gmap_init(&g->pre);
	buf_init(&g->l.key, (size_t)1 << 20);
	buf_init(&g->pre_key, (size_t)1 << 20);
	ev_arena_init(&g->arena, (size_t)1 << 20);
	json_tokens_init(&g->tok, 4096);
	return g;
}

void
graph_learner_free(struct graph_learner **gp)
{
	struct graph_learner *g = *gp;

	if (g == NULL)
		return;
	if (g->open)
		graph_tx_close(&g->l.t);
	gmap_release(&g->l.seen);
	gmap_release(&g->l.rows);
	gmap_release(&g->pre);
	buf_release(&g->pre_key);
	buf_release(&g->l.key);
	ev_arena_release(&g->arena);
	json_tokens_release(&g->tok);
	free(g);
	*gp = NULL;
}

/* Learn from one row of columns (C_ID unused): a tuple seen before teaches
 * nothing new, since learning is a function of these columns. */
static int
learner_row(struct graph_learner *g, const char **c, int64_t id)
{
	struct learn *l = &g->l;
	int rc;

	buf_reset(&l->key);
	if (join_key(&l->key, c + 1, C__N - 1) != CD_OK || !gmap_add(&l->rows, l->key.data, 0))
		return CD_OK;
	if (!g->open) {
		if (graph_tx_open(g->s, &l->t) != CD_OK)
			return CD_E_DB;
		l->t.origin = xstrdup("event");
		g->open = 1;
	}
	l->t.event_id = id;
	rc = learn_one(l, c);
	return rc != CD_OK ? rc : l->t.err;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s ? s : NULL;
}

/* Whether a stored GCP event may be an impersonation (gcp_impersonated
 * decides): the catch-up SELECT's filter is the same. */
static int
gcp_maybe_impersonation(const struct event *ev)
{
	return ev->source != NULL && strcmp(ev->source, "gcpaudit") == 0 && ev->outcome != NULL &&
	       strcmp(ev->outcome, "success") == 0 && ev->object != NULL && strstr(ev->object, "serviceAccounts/");
}

/*
 * The columns learning reads before any extra field, from an event as
 * stored (as the catch-up pass's SELECT reads them from the table); 0 when
 * they hold nothing to learn from.
 */
static int
learn_columns(const struct event *ev, const char **c)
{
	c[C_SOURCE] = nonempty(ev->source);
	c[C_ACTOR] = nonempty(ev->actor);
	c[C_CRED] = nonempty(ev->cred_id);
	c[C_ISSUED] = nonempty(ev->issued_cred);
	c[C_HOST] = nonempty(ev->host);
	c[C_NS] = nonempty(ev->pod_ns);
	c[C_POD] = nonempty(ev->pod_name);
	c[C_UID] = nonempty(ev->pod_uid);
	c[C_CONTAINER] = nonempty(ev->container_id);
	if (gcp_maybe_impersonation(ev) && gcp_impersonated(ev->action, ev->object) != NULL) {
		c[C_ACTION] = nonempty(ev->action);
		c[C_OBJECT] = nonempty(ev->object);
	}
	return c[C_CRED] || c[C_ISSUED] || (c[C_POD] && (c[C_HOST] || c[C_CONTAINER])) ||
	       (c[C_HOST] && c[C_SOURCE] && strcmp(c[C_SOURCE], "github") == 0) || c[C_OBJECT];
}

/* Whether the columns before the extras decide what an event teaches: all
 * but a credential's issue and Vault's (their extras differ per event). */
static int
decided_by_columns(const char *const *c)
{
	return c[C_ISSUED] == NULL && !(c[C_SOURCE] != NULL && strcmp(c[C_SOURCE], "vault") == 0);
}

/*
 * On the parsing thread, before the event is queued for the writer: 0 when
 * it repeats the facts of an earlier event of this run, so the writer's
 * thread (the pipeline's slowest) only counts it for the mark.  The same
 * test graph_learner_event() makes, with a map of its own (the writer's
 * is the writer's thread's).  A repeat of an event that turned out to be
 * stored already teaches nothing either: learning is a function of these
 * columns, and a stored event was learned from when it was stored (or is,
 * by the catch-up pass).
 */
int
graph_learner_wants(struct graph_learner *g, const struct event *ev)
{
	const char *c[C__N] = { NULL };

	if (!learn_columns(ev, c))
		return 0;
	if (!decided_by_columns(c))
		return 1;
	buf_reset(&g->pre_key);
	return join_key(&g->pre_key, c + 1, C_CONTAINER) != CD_OK || gmap_add(&g->pre, g->pre_key.data, 0);
}

/* Learn from one stored event; ev NULL: one graph_learner_wants() passed
 * over, counted for the mark only. */
int
graph_learner_event(struct graph_learner *g, const struct event *ev, int64_t id)
{
	const char *c[C__N] = { NULL };
	int issued, vault, assumed, i;

	/* every stored event counts for the mark, learned from or not */
	if (g->first == 0)
		g->first = id;
	g->last = id;
	if (ev == NULL || !learn_columns(ev, c))
		return CD_OK;
	issued = c[C_ISSUED] != NULL;
	vault = c[C_SOURCE] != NULL && strcmp(c[C_SOURCE], "vault") == 0;
	assumed = c[C_ACTOR] != NULL && strstr(c[C_ACTOR], ":assumed-role/") != NULL;
	if (issued) {
		c[C_ACTION] = nonempty(ev->action);
		c[C_OBJECT] = nonempty(ev->object);
	} else if (decided_by_columns(c)) {
		/*
		 * Here the only extra field read is an assumed-role session's
		 * issuer, and one session ARN always has the same issuer: the
		 * columns before the extras decide, and a repeat (the same key
		 * calling again) is dropped before its extra is parsed.
		 */
		buf_reset(&g->l.key);
		if (join_key(&g->l.key, c + 1, C_CONTAINER) != CD_OK ||
		    !gmap_add(&g->l.rows, g->l.key.data, 0))
			return CD_OK;
	}
	g->arena.used = 0;
	if (ev->extra != NULL && (issued || vault || assumed)) {
		struct json_doc d;
		const char *why;

		if (json_parse(&d, ev->extra, strlen(ev->extra), &g->tok, &why) == CD_OK) {
			if (issued) {
				c[C_X_ISSUED_ID] = ev_json_path(&g->arena, &d, 0, "issued_identity");
				c[C_X_WEB_SUB] = ev_json_path(&g->arena, &d, 0, "web_identity_subject");
				c[C_X_BOUND_KIND] = ev_json_path(&g->arena, &d, 0, "bound_kind");
				c[C_X_BOUND_NAME] = ev_json_path(&g->arena, &d, 0, "bound_name");
				c[C_X_SA] = ev_json_path(&g->arena, &d, 0, "metadata.service_account_name");
				c[C_X_SANS] = ev_json_path(&g->arena, &d, 0, "metadata.service_account_namespace");
				c[C_X_SESSION] = ev_json_path(&g->arena, &d, 0, "session_name");
			}
			if (assumed)
				c[C_X_ISSUER] = ev_json_path(&g->arena, &d, 0, "session_issuer");
			if (vault)
				c[C_X_POLICIES] = ev_json_path(&g->arena, &d, 0, "policies");
			if (vault && issued)
				c[C_X_EXCHANGED] = ev_json_path(&g->arena, &d, 0, "exchanged");
		}
	}
	if (issued)
		c[C_REGION] = nonempty(ev->region);
	for (i = C_X_ISSUED_ID; i < C__N; i++)
		c[i] = nonempty(c[i]);
	return learner_row(g, c, id);
}

/*
 * Before the COMMIT of the transaction the events were stored in: the
 * learned mark moves to the last one when nothing before them is
 * unlearned (events stored by an older cordon, say), so the catch-up
 * pass never reads them again; the graph is marked for derivation when
 * links were added.
 */
int
graph_learner_commit(struct graph_learner *g)
{
	int64_t mark = 0;
	int rc = CD_OK;

	if (g->open && g->l.t.added > g->added) {
		rc = store_meta_set_int(g->s, GRAPH_META_DIRTY, 1);
		g->added = g->l.t.added;
	}
	if (rc == CD_OK && g->last > 0) {
		store_meta_get_int(g->s, GRAPH_META_LEARNED, &mark);
		if (mark >= g->first - 1 && g->last > mark)
			rc = store_meta_set_int(g->s, GRAPH_META_LEARNED, g->last);
	}
	g->first = g->last = 0;
	return rc;
}

/*
 * The catch-up pass: events an ingest did not learn from as it stored
 * them (a store written by an older cordon, an interrupted run), read
 * back from the store with the same columns.
 */
int
graph_learn_events(struct store *s)
{
	struct graph_learner *g;
	sqlite3_stmt *st = NULL;
	int64_t last = 0, max = 0;
	int rc = CD_OK;

	/* absent: last stays 0, every event is new */
	store_meta_get_int(s, GRAPH_META_LEARNED, &last);
	if (sqlite3_prepare_v2(store_db(s), "SELECT max(id) FROM events", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		max = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (max <= last)
		return graph_derive(s, 0);
	if (graph_exec(s, "BEGIN IMMEDIATE") != CD_OK)
		return CD_E_DB;
	g = graph_learner_new(s);
	if (sqlite3_prepare_v2(store_db(s),
			       /* action and object matter only to issuing events; NULL
				* elsewhere, so repeated calls by one key are one tuple */
			       "SELECT id, source, actor, cred_id, issued_cred,"
			       " CASE WHEN issued_cred IS NOT NULL OR (" GCP_IMPERSONATION_SQL ") THEN action END,"
			       " CASE WHEN issued_cred IS NOT NULL OR (" GCP_IMPERSONATION_SQL ") THEN object END, host, pod_ns,"
			       " pod_name, pod_uid, container_id,"
			       /* extra is parsed only for the rows whose learning reads it:
				* issuing events, assumed-role sessions, Vault */
			       " CASE WHEN issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.issued_identity') END,"
			       " CASE WHEN issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.web_identity_subject') END,"
			       " CASE WHEN instr(actor, ':assumed-role/') > 0 AND json_valid(extra) THEN json_extract(extra, '$.session_issuer') END,"
			       " CASE WHEN issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.bound_kind') END,"
			       " CASE WHEN issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.bound_name') END,"
			       " CASE WHEN issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.metadata.service_account_name') END,"
			       " CASE WHEN issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.metadata.service_account_namespace') END,"
			       " CASE WHEN source = 'vault' AND json_valid(extra) THEN json_extract(extra, '$.policies') END,"
			       " CASE WHEN issued_cred IS NOT NULL THEN region END,"
			       " CASE WHEN issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.session_name') END,"
			       " CASE WHEN source = 'vault' AND issued_cred IS NOT NULL AND json_valid(extra) THEN json_extract(extra, '$.exchanged') END"
			       " FROM events WHERE id > ? AND id <= ? AND (cred_id IS NOT NULL OR issued_cred IS NOT NULL"
			       " OR (pod_name IS NOT NULL AND (host IS NOT NULL OR container_id IS NOT NULL))"
			       " OR (source = 'github' AND host IS NOT NULL) OR (" GCP_IMPERSONATION_SQL "))"
			       " ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		rc = CD_E_DB;
	if (rc == CD_OK) {
		sqlite3_bind_int64(st, 1, last);
		sqlite3_bind_int64(st, 2, max);
	}
	while (rc == CD_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *c[C__N];
		int i;

		for (i = 0; i < C__N; i++)
			c[i] = nonempty((const char *)sqlite3_column_text(st, i));
		rc = learner_row(g, c, sqlite3_column_int64(st, C_ID));
	}
	sqlite3_finalize(st);
	if (rc == CD_OK)
		rc = store_meta_set_int(s, GRAPH_META_LEARNED, max);
	if (rc == CD_OK && g->open && g->l.t.added > 0)
		rc = store_meta_set_int(s, GRAPH_META_DIRTY, 1);
	graph_learner_free(&g);
	if (rc == CD_OK && graph_exec(s, "COMMIT") == CD_OK)
		return graph_derive(s, 0);
	graph_exec(s, "ROLLBACK");
	return rc != CD_OK ? rc : CD_E_DB;
}
