/*
 * inv_lambda.c - AWS Lambda function inventories: the output of
 * `aws lambda list-functions` ({"Functions":[...]}), of
 * `get-function-configuration` (one bare configuration) and of
 * `get-function` ({"Configuration":{...}}).
 *
 * Each function becomes a workload node (kind "function", key its ARN)
 * with its name, region, account, runtime, execution role, VPC, layers
 * and the NAMES of its environment variables.  Values are never stored:
 * they come back in clear from the API and may be secrets.  A value is
 * only looked at to say whether it is shaped like a static credential
 * (an AWS key id, a GitHub token, a URL with a password), and then the
 * variable's name is listed in "static_secrets".
 *
 * Edges: function -> runs-as -> the execution role; function -> mounts
 * -> env:ARN:VAR for each variable (detail "env VAR"); and the runtime's
 * own session keys, env:ARN:AWS_ACCESS_KEY_ID, which authenticate as the
 * role (the sessions themselves are learned from CloudTrail's AssumeRole
 * by lambda.amazonaws.com, correlate/graph_learn.c).
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

#define LAMBDA_MAX_VARS 512 /* environment variables kept per function */

/* Implements inventory::probe */
static int
lambda_probe(const char *head, size_t len)
{
	if (!inv_head_starts(head, len, '{') || memmem(head, len, "\"FunctionArn\"", 13) == NULL)
		return 0;
	if (memmem(head, len, "\"Functions\"", 11) != NULL ||
	    memmem(head, len, "\"FunctionName\"", 14) != NULL)
		return 97;
	return 0;
}

/* arn:PART:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] -> region, account. */
static int
arn_parts(const char *arn, char *region, size_t rcap, char *acct, size_t acap)
{
	const char *p = arn, *f[5];
	int i;

	region[0] = acct[0] = '\0';
	for (i = 0; i < 5; i++) {
		p = strchr(p, ':');
		if (p == NULL)
			return 0;
		f[i] = ++p;
	}
	/* f[0] partition, f[1] service, f[2] region, f[3] account, f[4] resource */
	if (strncmp(arn, "arn:", 4) != 0 || strncmp(f[1], "lambda:", 7) != 0 ||
	    strncmp(f[4], "function:", 9) != 0)
		return 0;
	snprintf(region, rcap, "%.*s", (int)(f[3] - f[2] - 1), f[2]);
	snprintf(acct, acap, "%.*s", (int)(f[4] - f[3] - 1), f[3]);
	return region[0] != '\0' && acct[0] != '\0';
}

/* A JSON array of the strings at path[*].member (member NULL: the strings themselves). */
static int
put_list(struct buf *b, const struct json_doc *d, int obj, const char *path, const char *member)
{
	int arr = json_path(d, obj, path), n, j, k, rc = buf_addc(b, '['), first = 1;

	n = json_type(d, arr) == JSON_ARRAY ? json_count(d, arr) : 0;
	for (j = 0, k = arr + 1; j < n && rc == CD_OK; j++, k = json_skip(d, k)) {
		char *s = member ? inv_path(d, k, member) : inv_str(d, k);

		if (s != NULL && *s) {
			rc = (first ? CD_OK : buf_addc(b, ',')) || json_put_str(b, s);
			first = 0;
		}
		free(s);
	}
	return rc || buf_addc(b, ']');
}

/* One function configuration object. */
static int
load_function(struct inv_ctx *c, const struct json_doc *d, int obj)
{
	char *name = inv_path(d, obj, "FunctionName"), *arn = inv_path(d, obj, "FunctionArn");
	char *role = inv_path(d, obj, "Role"), *runtime = inv_path(d, obj, "Runtime");
	char *vpc = inv_path(d, obj, "VpcConfig.VpcId"), *pkg = inv_path(d, obj, "PackageType");
	char *modified = inv_path(d, obj, "LastModified");
	char region[64], acct[64], *label = NULL, *rolekey = NULL;
	int vars = json_path(d, obj, "Environment.Variables"), k, nvars = 0, rc = CD_OK;
	struct buf attrs, names, secrets;

	buf_init(&attrs, 262144);
	buf_init(&names, 131072);
	buf_init(&secrets, 65536);
	if (name == NULL || arn == NULL) {
		rc = inv_fail(c, inv_off(d, obj), "function without FunctionName or FunctionArn");
		goto out;
	}
	if (!arn_parts(arn, region, sizeof(region), acct, sizeof(acct))) {
		rc = inv_fail(c, inv_off(d, obj), "FunctionArn is not a Lambda function ARN");
		goto out;
	}
	/* names only; a value is read to tell a written-in credential, never kept */
	rc = buf_addc(&names, '[') || buf_addc(&secrets, '[');
	if (json_type(d, vars) == JSON_OBJECT)
		for (k = json_first(d, vars); k > 0 && rc == CD_OK && nvars < LAMBDA_MAX_VARS;
		     k = json_next(d, vars, k), nvars++) {
			char *var = inv_str(d, k), *val = inv_str(d, k + 1);

			if (var != NULL && *var) {
				rc = (nvars ? buf_addc(&names, ',') : CD_OK) || json_put_str(&names, var);
				if (rc == CD_OK && inv_secret_shaped(val))
					rc = (secrets.len > 1 ? buf_addc(&secrets, ',') : CD_OK) ||
					     json_put_str(&secrets, var);
				if (rc == CD_OK) {
					char *loc = xstrdupf("env:%s:%s", arn, var), *det = xstrdupf("env %s", var);

					rc = graph_link(c->tx, "function", arn, "mounts", "secret", loc, 0, det);
					free(loc);
					free(det);
				}
			}
			if (val != NULL)
				explicit_bzero(val, strlen(val));
			free(var);
			free(val);
		}
	if (rc == CD_E_DB)
		goto out;
	rc = rc || buf_addc(&names, ']') || buf_addc(&secrets, ']');
	rc = rc || buf_addstr(&attrs, "{\"name\":") || json_put_str(&attrs, name) ||
	     buf_addstr(&attrs, ",\"region\":") || json_put_str(&attrs, region) ||
	     buf_addstr(&attrs, ",\"account\":") || json_put_str(&attrs, acct) ||
	     buf_addstr(&attrs, ",\"runtime\":") || json_put_str(&attrs, runtime ? runtime : pkg) ||
	     buf_addstr(&attrs, ",\"role\":") || json_put_str(&attrs, role) ||
	     buf_addstr(&attrs, ",\"vpc\":") || json_put_str(&attrs, vpc && *vpc ? vpc : NULL) ||
	     buf_addstr(&attrs, ",\"subnets\":") ||
	     put_list(&attrs, d, obj, "VpcConfig.SubnetIds", NULL) ||
	     buf_addstr(&attrs, ",\"layers\":") || put_list(&attrs, d, obj, "Layers", "Arn") ||
	     buf_addstr(&attrs, ",\"env_names\":") || buf_addstr(&attrs, names.data) ||
	     buf_addstr(&attrs, ",\"static_secrets\":") || buf_addstr(&attrs, secrets.data) ||
	     buf_addstr(&attrs, ",\"last_modified\":") || json_put_str(&attrs, modified) ||
	     buf_addc(&attrs, '}');
	if (rc != CD_OK) {
		rc = inv_fail(c, inv_off(d, obj), "function %s: attributes too large", name);
		goto out;
	}
	label = xstrdupf("function %s (%s)", name, runtime ? runtime : pkg ? pkg : "runtime unknown");
	if (graph_tx_node(c->tx, "function", arn, "aws", label, attrs.data) < 0) {
		rc = CD_E_DB;
		goto out;
	}
	if (role != NULL && strncmp(role, "arn:", 4) == 0) {
		char *loc = xstrdupf("env:%s:AWS_ACCESS_KEY_ID", arn);

		rolekey = xstrdupf("aws:%s", role);
		rc = graph_link(c->tx, "function", arn, "runs-as", "identity", rolekey, 0,
				"execution role");
		rc = rc ? rc : graph_link(c->tx, "function", arn, "mounts", "secret", loc, 0,
					  "env AWS_ACCESS_KEY_ID (execution role session)");
		rc = rc ? rc : graph_link(c->tx, "secret", loc, "authenticates-as", "identity", rolekey, 0,
					  "the runtime's execution role session");
		free(loc);
	}
	c->objects++;
out:
	buf_release(&attrs);
	buf_release(&names);
	buf_release(&secrets);
	free(name);
	free(arn);
	free(role);
	free(runtime);
	free(vpc);
	free(pkg);
	free(modified);
	free(label);
	free(rolekey);
	return rc;
}

/* Implements inventory::load */
static int
lambda_load(struct inv_ctx *c)
{
	struct json_doc d;
	struct json_tokens t;
	int list, n, j, k, rc;

	if ((rc = inv_json(c, &d, &t)) != CD_OK)
		goto out;
	if (json_type(&d, 0) != JSON_OBJECT) {
		rc = inv_fail(c, 0, "a Lambda inventory is a JSON object");
		goto out;
	}
	list = json_get(&d, 0, "Functions");
	if (list >= 0) {
		if (json_type(&d, list) != JSON_ARRAY) {
			rc = inv_fail(c, inv_off(&d, list), "Functions must be an array");
			goto out;
		}
		n = json_count(&d, list);
		for (j = 0, k = list + 1; j < n && rc == CD_OK; j++, k = json_skip(&d, k))
			rc = load_function(c, &d, k);
	} else if ((k = json_get(&d, 0, "Configuration")) >= 0 && json_type(&d, k) == JSON_OBJECT) {
		rc = load_function(c, &d, k); /* get-function */
	} else {
		rc = load_function(c, &d, 0); /* get-function-configuration */
	}
out:
	json_tokens_release(&t);
	return rc;
}

const struct inventory inv_lambda = {
	.name = "lambda",
	.summary = "inventory: aws lambda list-functions / get-function-configuration "
		   "(function -> execution role, env names, VPC, layers)",
	.probe = lambda_probe,
	.load = lambda_load,
};
