/*
 * ing_cloudtrail.c - AWS CloudTrail records.
 *
 * Accepts trail files as delivered to S3 ({"Records":[...]}, gzip or not,
 * pretty or compact; the splitter unwraps them) and single events one per
 * line (CloudTrail Lake, EventBridge exports).
 */
#include <string.h>

#include "private.h"

/* Implements ingester::probe */
static int
cloudtrail_probe(const char *head, size_t len)
{
	int score = 0;

	if (memmem(head, len, "\"eventSource\"", 13) && memmem(head, len, "\"eventName\"", 11))
		score = 60;
	if (score && memmem(head, len, "\"awsRegion\"", 11))
		score = 85;
	if (score && memmem(head, len, "\"Records\"", 9))
		score = 95;
	return score;
}

/* "sts.amazonaws.com" -> "sts" */
static const char *
service_prefix(struct ev_arena *a, const char *src)
{
	const char *dot;

	if (src == NULL)
		return NULL;
	dot = strchr(src, '.');
	return dot ? ev_strdup(a, src, (size_t)(dot - src)) : src;
}

/* requestParameters members naming what the call acted on, most specific first */
static const char *const object_keys[] = {
	"roleArn", "secretId", "name", "policyArn", "userName", "roleName", "bucketName",
	"key", "functionName", "keyId", "instanceProfileName", "groupName", "accessKeyId",
	"instanceId", "resourceArn", "repositoryName", "clusterName", "parameterName", NULL,
};

static const char *
object_of(struct ev_arena *a, const struct json_doc *d, int root)
{
	int rp = json_get(d, root, "requestParameters"), i, t;

	if (json_type(d, rp) == JSON_OBJECT) {
		for (i = 0; object_keys[i]; i++) {
			t = json_get(d, rp, object_keys[i]);
			if (json_type(d, t) == JSON_STRING)
				return ev_json_str(a, d, t);
		}
		t = json_path(d, rp, "instancesSet.items");
		if ((t = json_at(d, t, 0)) >= 0 && (t = json_get(d, t, "instanceId")) >= 0)
			return ev_json_str(a, d, t);
	}
	t = json_at(d, json_get(d, root, "resources"), 0);
	if (t >= 0)
		return ev_json_path(a, d, t, "ARN");
	return NULL;
}

static int
is_denied(const char *code)
{
	return strstr(code, "AccessDenied") || strstr(code, "Unauthorized") ||
	       strstr(code, "Forbidden") || strstr(code, "NotAuthorized") ||
	       strcmp(code, "InvalidClientTokenId") == 0 || strcmp(code, "ExpiredToken") == 0 ||
	       strcmp(code, "SignatureDoesNotMatch") == 0;
}

/* Implements ingester::json_record */
static int
cloudtrail_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int ui, t;
	const char *code, *src;

	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "CloudTrail record is not a JSON object");
		return CD_E_PARSE;
	}
	t = json_get(d, 0, "eventTime");
	if (t < 0 || time_parse_rfc3339(json_raw(d, t), &ev->ts_ns) != CD_OK) {
		ingest_set_why(ctx, "CloudTrail record without a valid eventTime");
		return CD_E_PARSE;
	}
	src = ev_json_path(a, d, 0, "eventSource");
	ev->kind = ev_json_path(a, d, 0, "eventType");
	ev->action = ev_json_path(a, d, 0, "eventName");
	if (ev->action != NULL && src != NULL)
		ev->action = ev_printf(a, "%s:%s", service_prefix(a, src), ev->action);
	ui = json_get(d, 0, "userIdentity");
	ev->actor = ev_json_path(a, d, ui, "arn");
	if (ev->actor == NULL)
		ev->actor = ev_json_path(a, d, ui, "principalId");
	if (ev->actor == NULL)
		ev->actor = ev_json_path(a, d, ui, "invokedBy");
	ev->cred_id = ev_json_path(a, d, ui, "accessKeyId");
	if (ev->cred_id != NULL && *ev->cred_id == '\0')
		ev->cred_id = NULL;
	ev->issued_cred = ev_json_path(a, d, 0, "responseElements.credentials.accessKeyId");
	if (ev->issued_cred == NULL)
		ev->issued_cred = ev_json_path(a, d, 0, "responseElements.accessKey.accessKeyId");
	ev->object = object_of(a, d, 0);
	ev->src_ip = ev_json_path(a, d, 0, "sourceIPAddress");
	if (ev->src_ip == NULL) /* forwarders (Datadog) move it */
		ev->src_ip = ev_json_path(a, d, 0, "network.client.ip");
	ev->user_agent = ev_json_path(a, d, 0, "userAgent");
	if (ev->user_agent == NULL)
		ev->user_agent = ev_json_path(a, d, 0, "http.useragent");
	ev->region = ev_json_path(a, d, 0, "awsRegion");
	code = ev_json_path(a, d, 0, "errorCode");
	if (code != NULL) {
		ev->outcome = is_denied(code) ? "denied" : "error";
		ev->outcome_code = code;
	} else if (span_eq(json_raw(d, json_path(d, 0, "responseElements.ConsoleLogin")), "Failure")) {
		/* failed console sign-ins carry no errorCode */
		ev->outcome = "denied";
		ev->outcome_code = "ConsoleLoginFailure";
	} else {
		ev->outcome = "success";
	}
	ev->ref = ev_json_path(a, d, 0, "eventID");
	if (ingest_plausible_id(ev->ref))
		ev->dedup = ev->ref;

	ingest_extra_begin(ctx);
	ingest_extra_str(ctx, "account", ev_json_path(a, d, 0, "recipientAccountId"));
	ingest_extra_str(ctx, "identity_type", ev_json_path(a, d, ui, "type"));
	ingest_extra_str(ctx, "session_issuer",
			 ev_json_path(a, d, ui, "sessionContext.sessionIssuer.arn"));
	ingest_extra_str(ctx, "session_created",
			 ev_json_path(a, d, ui, "sessionContext.attributes.creationDate"));
	ingest_extra_str(ctx, "mfa", ev_json_path(a, d, ui, "sessionContext.attributes.mfaAuthenticated"));
	ingest_extra_str(ctx, "ec2_role_delivery",
			 ev_json_path(a, d, ui, "sessionContext.ec2RoleDelivery"));
	ingest_extra_str(ctx, "web_identity_provider",
			 ev_json_path(a, d, ui, "sessionContext.webIdFederationData.federatedProvider"));
	ingest_extra_str(ctx, "error_message", ev_json_path(a, d, 0, "errorMessage"));
	ingest_extra_str(ctx, "mfa_used", ev_json_path(a, d, 0, "additionalEventData.MFAUsed"));
	ingest_extra_str(ctx, "vpc_endpoint", ev_json_path(a, d, 0, "vpcEndpointId"));
	ingest_extra_str(ctx, "session_name",
			 ev_json_path(a, d, 0, "requestParameters.roleSessionName"));
	ingest_extra_str(ctx, "issued_identity",
			 ev_json_path(a, d, 0, "responseElements.assumedRoleUser.arn"));
	ingest_extra_str(ctx, "web_identity_subject",
			 ev_json_path(a, d, 0, "responseElements.subjectFromWebIdentityToken"));
	ingest_extra_end(ctx);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

const struct ingester ing_cloudtrail = {
	.name = "cloudtrail",
	.summary = "AWS CloudTrail: {\"Records\":[...]} files (gzip or not) and one event per line",
	.flags = ING_JSON,
	.probe = cloudtrail_probe,
	.json_record = cloudtrail_record,
};
