/*
 * aws_oidc.c - narrow a role's trust in GitHub's OIDC provider: deny one
 * subject pattern (a repository, a branch, an environment) the right to
 * assume the role with a web identity, leaving every other job's trust as
 * it was.
 *
 * A CI job on a compromised runner or in a compromised repository mints
 * new OIDC tokens for as long as the role trusts it; revoking its sessions
 * does not stop the next AssumeRoleWithWebIdentity.  The trust policy gets
 * one Deny statement of its own (Sid CordonDenyOidc<hash of the pattern>,
 * the provider's Principal copied from the statement that trusts it):
 *
 *   {"Sid":..,"Effect":"Deny","Principal":{"Federated":..},
 *    "Action":"sts:AssumeRoleWithWebIdentity",
 *    "Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":PATTERN}}}
 *
 * Every other statement and top-level key is written back as read (their
 * bytes, not a re-serialisation).  The undo removes exactly that statement.
 * An explicit Deny wins over any Allow in IAM's evaluation, so the pattern
 * needs no knowledge of how the Allow statements are written.
 */
#include <stdlib.h>
#include <string.h>

#include "aws.h"

#define OIDC_HOST "token.actions.githubusercontent.com"
#define TRUST_MAX 16384

/* ROLE:PATTERN (role names have no ':'; a subject pattern is made of
 * GitHub's sub claim characters and IAM's wildcards). */
static int
oidc_target(const char *t, char *role, size_t rcap, char *pat, size_t pcap, struct conn_result *res)
{
	const char *colon = strchr(t, ':');
	size_t i;

	if (colon == NULL || colon == t || (size_t)(colon - t) >= rcap || strlen(colon + 1) >= pcap ||
	    colon[1] == '\0')
		goto bad;
	memcpy(role, t, (size_t)(colon - t));
	role[colon - t] = '\0';
	if (!ident_ok(role, "+=,.@_-", 64))
		goto bad;
	snprintf(pat, pcap, "%s", colon + 1);
	for (i = 0; pat[i]; i++)
		if (!((pat[i] >= 'a' && pat[i] <= 'z') || (pat[i] >= 'A' && pat[i] <= 'Z') ||
		      (pat[i] >= '0' && pat[i] <= '9') || strchr(":/*?._-@=", pat[i]) != NULL))
			goto bad;
	if (strncmp(pat, "repo:", 5) != 0) {
		res_detail(res, "'%s': a GitHub OIDC subject starts with repo: (repo:OWNER/REPO:ref:..., "
				":environment:..., :pull_request)",
			   pat);
		return CD_E_USAGE;
	}
	return CD_OK;
bad:
	res_detail(res, "'%s' is not ROLE:SUBJECT_PATTERN (e.g. ci-deploy:repo:acme/web:*)", t);
	return CD_E_USAGE;
}

static void
oidc_sid(const char *pat, char *sid, size_t cap)
{
	unsigned char h[32];

	sha256(pat, strlen(pat), h);
	snprintf(sid, cap, "CordonDenyOidc%02x%02x%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3],
		 h[4], h[5], h[6], h[7]);
}

/* GetRole's trust policy, decoded: 1 read, 0 no such role (res set), -1 error. */
static int
trust_get(struct conn *c, const char *role, char *doc, size_t cap, struct conn_result *res)
{
	struct api_out o;
	char sum[160], *enc;
	struct span b, pd;
	int r;

	snprintf(sum, sizeof(sum), "iam GetRole RoleName=%s", role);
	r = aws_call(c, 0, 1, sum, &o, res, "GetRole", "RoleName", role, NULL);
	if (r == CD_OK && o.rs.status == 200) {
		b.p = o.rs.body.data;
		b.n = o.rs.body.len;
		enc = xmalloc(TRUST_MAX * 3);
		r = xml_find(b, "AssumeRolePolicyDocument", &pd) == CD_OK &&
				    xml_text(pd, enc, TRUST_MAX * 3) == CD_OK
			    ? 1
			    : -1;
		if (r == 1) {
			struct span es = { enc, strlen(enc) };

			aws_url_decode(es, doc, cap);
		} else {
			res->outcome = CONN_FAILED;
			res_detail(res, "GetRole: no AssumeRolePolicyDocument in the answer");
		}
		free(enc);
	} else if (r == CD_OK && strcmp(o.code, "NoSuchEntity") == 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "role %s not found (NoSuchEntity): mistyped, or another account's", role);
		r = 0;
	} else {
		aws_fail(res, &o, "GetRole");
		r = -1;
	}
	http_resp_release(&o.rs);
	return r;
}

/* A JSON value's raw text, strings with their quotes back. */
static int
put_raw(struct buf *b, const struct json_doc *d, int i)
{
	struct span s = json_raw(d, i);
	int q = json_type(d, i) == JSON_STRING;

	return (q && buf_addc(b, '"')) || buf_add(b, s.p, s.n) || (q && buf_addc(b, '"'));
}

/*
 * The trust policy doc without the statement sid (*had: it was there), and
 * with stmt appended when stmt is not NULL; *principal gets the Principal of
 * the first statement trusting GitHub's provider.  CD_OK, or CD_E_PARSE.
 */
static int
trust_edit(const char *doc, const char *sid, const char *stmt, struct buf *out, int *had,
	   struct buf *principal)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	int k, st, n, i, el, sd, r = CD_E_PARSE, first = 1, wrote_stmt = 0;

	*had = 0;
	json_tokens_init(&t, 8192);
	if (json_parse(&d, doc, strlen(doc), &t, &why) != CD_OK || json_type(&d, 0) != JSON_OBJECT)
		goto out;
	if (buf_addc(out, '{') != CD_OK)
		goto out;
	for (k = json_first(&d, 0); k >= 0; k = json_next(&d, 0, k)) {
		if (!first && buf_addc(out, ',') != CD_OK)
			goto out;
		first = 0;
		if (put_raw(out, &d, k) || buf_addc(out, ':'))
			goto out;
		if (!json_key_eq(&d, k, "Statement")) {
			if (put_raw(out, &d, k + 1))
				goto out;
			continue;
		}
		st = k + 1;
		n = json_type(&d, st) == JSON_ARRAY ? json_count(&d, st) : 1;
		if (buf_addc(out, '[') != CD_OK)
			goto out;
		for (i = 0; i < n; i++) {
			el = json_type(&d, st) == JSON_ARRAY ? json_at(&d, st, i) : st;
			sd = json_get(&d, el, "Sid");
			if (sd >= 0 && span_eq(json_raw(&d, sd), sid)) {
				*had = 1;
				continue;
			}
			if (principal->len == 0) {
				int pr = json_get(&d, el, "Principal"), ef = json_get(&d, el, "Effect");
				struct span ps = pr >= 0 ? json_raw(&d, pr) : (struct span){ "", 0 };

				if (pr >= 0 && ef >= 0 && span_eq(json_raw(&d, ef), "Allow") &&
				    memmem(ps.p, ps.n, "oidc-provider/" OIDC_HOST, strlen("oidc-provider/" OIDC_HOST)) != NULL &&
				    put_raw(principal, &d, pr) != CD_OK)
					goto out;
			}
			if ((wrote_stmt && buf_addc(out, ',')) || put_raw(out, &d, el))
				goto out;
			wrote_stmt = 1;
		}
		if (stmt != NULL && principal->len > 0 &&
		    ((wrote_stmt && buf_addc(out, ',')) || buf_addstr(out, stmt)))
			goto out;
		if (buf_addc(out, ']') != CD_OK)
			goto out;
	}
	if (buf_addc(out, '}') == CD_OK)
		r = CD_OK;
out:
	json_tokens_release(&t);
	return r;
}

static const struct api_expect trust_updated = { .what = "UpdateAssumeRolePolicy", .ok = { 200 } };

/* Shared by deny-oidc-subject (add) and allow-oidc-subject (remove). */
static int
oidc_change(struct conn *c, const char *target, int deny, struct conn_result *res)
{
	char role[80], pat[300], sid[40], sum[400];
	char *doc = xmalloc(TRUST_MAX), *after = xmalloc(TRUST_MAX);
	struct buf out, principal, stmt;
	struct api_out o;
	int r, had = 0;

	buf_init(&out, TRUST_MAX);
	buf_init(&principal, 4096);
	buf_init(&stmt, 8192);
	if (oidc_target(target, role, sizeof(role), pat, sizeof(pat), res) != CD_OK) {
		r = CD_E_USAGE;
		goto done;
	}
	r = CD_OK;
	oidc_sid(pat, sid, sizeof(sid));
	if (c->opts->dry_run) {
		snprintf(doc, TRUST_MAX,
			 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
			 "{\"Federated\":\"arn:aws:iam::ACCOUNT:oidc-provider/" OIDC_HOST "\"},"
			 "\"Action\":\"sts:AssumeRoleWithWebIdentity\"}]}");
	} else if (trust_get(c, role, doc, TRUST_MAX, res) != 1) {
		goto done;
	}
	/* the statement, with the provider's Principal as the role writes it */
	if (trust_edit(doc, sid, NULL, &out, &had, &principal) != CD_OK) {
		res->outcome = CONN_FAILED;
		res_detail(res, "role %s: its trust policy is not JSON cordon can edit", role);
		goto done;
	}
	if (deny && principal.len == 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "role %s does not trust GitHub's OIDC provider (%s): nothing to narrow", role,
			   OIDC_HOST);
		goto done;
	}
	if (had == deny && !c->opts->dry_run) {
		res->outcome = CONN_ALREADY;
		res_verified(res, "role %s trust policy %s %s (%s)", role, deny ? "holds" : "lacks", sid,
			     pat);
		goto done;
	}
	if (deny) {
		buf_reset(&out);
		if (buf_printf(&stmt,
			       "{\"Sid\":\"%s\",\"Effect\":\"Deny\",\"Principal\":%s,\"Action\":"
			       "\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringLike\":{\"" OIDC_HOST
			       ":sub\":\"%s\"}}}",
			       sid, principal.data, pat) != CD_OK ||
		    trust_edit(doc, sid, stmt.data, &out, &had, &principal) != CD_OK) {
			res->outcome = CONN_FAILED;
			res_detail(res, "role %s: the narrowed trust policy would be too large", role);
			goto done;
		}
	}
	snprintf(sum, sizeof(sum), "iam UpdateAssumeRolePolicy RoleName=%s %s Sid %s (%s:sub %s)", role,
		 deny ? "adding Deny" : "removing", sid, OIDC_HOST, pat);
	r = aws_call(c, 0, 1, sum, &o, res, "UpdateAssumeRolePolicy", "RoleName", role,
		     "PolicyDocument", out.data, NULL);
	if (r != CD_OK)
		res_from_resp(res, &o.rs);
	r = api_acted(r, &o, &trust_updated, res);
	if (r == ACTED_FAILED && strcmp(o.code, "LimitExceeded") == 0)
		res_detail(res, "the trust policy would pass IAM's size quota: remove a statement first");
	if (r == ACTED_FAILED || r == ACTED_DRYRUN) {
		r = CD_OK;
		goto done;
	}
	r = CD_OK;
	/* verify: the policy as IAM now holds it */
	if (trust_get(c, role, after, TRUST_MAX, res) != 1)
		goto done;
	buf_reset(&out);
	buf_reset(&principal);
	if (trust_edit(after, sid, NULL, &out, &had, &principal) == CD_OK && had == deny) {
		res->outcome = CONN_DONE;
		if (deny)
			res_verified(res, "role %s: Deny %s for %s:sub %s in the trust policy", role, sid,
				     OIDC_HOST, pat);
		else
			res_verified(res, "role %s: %s removed from the trust policy", role, sid);
		res_undo(res, "%s %s", deny ? "allow-oidc-subject" : "deny-oidc-subject", target);
	} else {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: the trust policy %s %s", had ? "still holds" : "lacks", sid);
	}
done:
	buf_release(&out);
	buf_release(&principal);
	buf_release(&stmt);
	free(doc);
	free(after);
	return r;
}

/* Implements conn_action::run for deny-oidc-subject. */
int
aws_deny_oidc_subject(struct conn *c, const char *target, struct conn_result *res)
{
	return oidc_change(c, target, 1, res);
}

/* Implements conn_action::run for allow-oidc-subject (the undo). */
int
aws_allow_oidc_subject(struct conn *c, const char *target, struct conn_result *res)
{
	return oidc_change(c, target, 0, res);
}
