/*
 * ing_k8saudit.c - Kubernetes API server audit events (audit.k8s.io Event).
 *
 * Accepts the log backend's one event per line, webhook EventList batches
 * ({"kind":"EventList","items":[...]}; the splitter unwraps them) and
 * pretty-printed events; apiVersion v1 or v1beta1, or none at all.  Every
 * stage is stored (RequestReceived, ResponseStarted, ResponseComplete,
 * Panic): one request gives up to three events with the same auditID.
 *
 * The pod columns describe the caller's workload: a bound service-account
 * token carries its pod in user.extra, which is how the correlator ties an
 * API call to a container.  What was acted on goes to object.
 */
#include <string.h>

#include "cloud.h"

#define EXTRA_PREFIX "authentication.kubernetes.io/"

/* A weak claim for a bare {"kind": ...} object no other format wants. */
static int
first_key_is_kind(const char *head, size_t len)
{
	const char *p = head, *end = head + len;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p >= end || *p != '{')
		return 0;
	p++;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return (size_t)(end - p) >= 6 && memcmp(p, "\"kind\"", 6) == 0;
}

/* Implements ingester::probe */
static int
k8saudit_probe(const char *head, size_t len)
{
	int score = 0, group = memmem(head, len, "audit.k8s.io", 12) != NULL;

	if (memmem(head, len, "\"auditID\"", 9) && memmem(head, len, "\"stage\"", 7))
		score = group || ingest_cloud_head_kv(head, len, "kind", "\"Event\"") ? 95 : 80;
	else if (group && ingest_cloud_head_kv(head, len, "kind", "\"EventList\""))
		score = 90;
	/* GKE audit: Kubernetes text inside a GCP LogEntry is gcpaudit's */
	if (score && memmem(head, len, "\"protoPayload\"", 14))
		score = 30;
	if (score == 0 && first_key_is_kind(head, len))
		score = 5;
	return score;
}

/* Where the event time may be, best first. */
static const char *const time_keys[] = {
	"stageTimestamp", "requestReceivedTimestamp", "metadata.creationTimestamp", "timestamp",
	NULL,
};

static struct span
span_of(const char *s)
{
	struct span sp = { s ? s : "", s ? strlen(s) : 0 };

	return sp;
}

/* A user.extra / annotations value: a string, or the first of an array. */
static const char *
member_str(struct ev_arena *a, const struct json_doc *d, int obj, const char *key)
{
	return ingest_cloud_first_str(a, d, json_get(d, obj, key));
}

/* "get secrets", "create pods/exec"; non-resource requests: "get /healthz". */
static const char *
action_of(struct ev_arena *a, const char *verb, const char *res, const char *sub, const char *uri)
{
	const char *q;

	if (verb == NULL)
		return NULL;
	if (res != NULL && sub != NULL)
		return ev_printf(a, "%s %s/%s", verb, res, sub);
	if (res != NULL)
		return ev_printf(a, "%s %s", verb, res);
	if (uri != NULL && *uri == '/') {
		q = strchr(uri, '?');
		if (q == NULL)
			return ev_printf(a, "%s %s", verb, uri);
		return ev_printf(a, "%s %.*s", verb, (int)(q - uri), uri);
	}
	return verb;
}

/* Implements ingester::json_record */
static int
k8saudit_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int user, ux, ann, obj, reqo, respo, i;
	const char *verb, *res, *sub, *name, *uri, *uid;
	int64_t code;

	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "Kubernetes audit event is not a JSON object");
		return CD_E_PARSE;
	}
	for (i = 0; time_keys[i] != NULL; i++)
		if (ingest_cloud_time(d, json_path(d, 0, time_keys[i]), &ev->ts_ns) == CD_OK)
			break;
	if (time_keys[i] == NULL) {
		ingest_set_why(ctx, "Kubernetes audit event without a valid stageTimestamp, "
				    "requestReceivedTimestamp or timestamp");
		return CD_E_PARSE;
	}
	ev->kind = ev_json_path(a, d, 0, "stage");
	ev->ref = ev_json_path(a, d, 0, "auditID");
	if (ingest_plausible_id(ev->ref))
		ev->dedup = ev_printf(a, "%s/%s", ev->ref, ev->kind ? ev->kind : "");

	user = json_get(d, 0, "user");
	ux = json_get(d, user, "extra");
	ev->actor = ev_json_path(a, d, user, "username");
	ev->pod_name = member_str(a, d, ux, EXTRA_PREFIX "pod-name");
	ev->pod_uid = member_str(a, d, ux, EXTRA_PREFIX "pod-uid");
	ev->host = member_str(a, d, ux, EXTRA_PREFIX "node-name");
	ev->cred_id = member_str(a, d, ux, EXTRA_PREFIX "credential-id");
	if (ev->cred_id == NULL) /* EKS: the IAM key the caller signed with */
		ev->cred_id = member_str(a, d, ux, "accessKeyId");
	if (ev->pod_name != NULL)
		ev->pod_ns = ingest_cloud_sa_namespace(a, ev->actor);

	ann = json_get(d, 0, "annotations");
	ev->issued_cred = member_str(a, d, ann, EXTRA_PREFIX "issued-credential-id");

	obj = json_get(d, 0, "objectRef");
	reqo = json_get(d, 0, "requestObject");
	respo = json_get(d, 0, "responseObject");
	verb = ev_json_path(a, d, 0, "verb");
	res = ev_json_path(a, d, obj, "resource");
	sub = ev_json_path(a, d, obj, "subresource");
	name = ev_json_path(a, d, obj, "name");
	uid = ev_json_path(a, d, obj, "uid");
	uri = ev_json_path(a, d, 0, "requestURI");
	if (verb != NULL && strcmp(verb, "create") == 0 && sub == NULL) {
		/* generateName: the name the server chose is in the response */
		if (name == NULL)
			name = ev_json_path(a, d, respo, "metadata.name");
		if (uid == NULL)
			uid = ev_json_path(a, d, respo, "metadata.uid");
	}
	ev->action = action_of(a, verb, res, sub, uri);
	ev->object = ingest_cloud_k8s_object(a, span_of(ev_json_path(a, d, obj, "namespace")),
					     span_of(res), span_of(name));
	ev->src_ip = ev_json_str(a, d, json_at(d, json_get(d, 0, "sourceIPs"), 0));
	ev->user_agent = ev_json_path(a, d, 0, "userAgent");
	code = ev_json_int(d, 0, "responseStatus.code");
	ev->outcome = ingest_cloud_http_outcome(code);
	if (code != EV_NULL)
		ev->outcome_code = ev_printf(a, "%lld", (long long)code);

	ingest_extra_begin(ctx);
	ingest_extra_str(ctx, "level", ev_json_path(a, d, 0, "level"));
	ingest_extra_str(ctx, "request_uri", uri);
	ingest_extra_json(ctx, "source_ips", d, json_get(d, 0, "sourceIPs"));
	ingest_extra_str(ctx, "user_uid", ev_json_path(a, d, user, "uid"));
	ingest_extra_json(ctx, "groups", d, json_get(d, user, "groups"));
	ingest_extra_str(ctx, "node_uid", member_str(a, d, ux, EXTRA_PREFIX "node-uid"));
	ingest_extra_str(ctx, "aws_arn", member_str(a, d, ux, "arn"));
	ingest_extra_str(ctx, "aws_session_name", member_str(a, d, ux, "sessionName"));
	ingest_extra_str(ctx, "aws_principal_id", member_str(a, d, ux, "principalId"));
	ingest_extra_str(ctx, "impersonated_user",
			 ev_json_path(a, d, 0, "impersonatedUser.username"));
	ingest_extra_str(ctx, "api_group", ev_json_path(a, d, obj, "apiGroup"));
	ingest_extra_str(ctx, "object_uid", uid);
	ingest_extra_str(ctx, "authz_decision",
			 ev_json_str(a, d, json_get(d, ann, "authorization.k8s.io/decision")));
	ingest_extra_str(ctx, "authz_reason",
			 ev_json_str(a, d, json_get(d, ann, "authorization.k8s.io/reason")));
	ingest_extra_str(ctx, "status_reason", ev_json_path(a, d, 0, "responseStatus.reason"));
	ingest_extra_str(ctx, "status_message", ev_json_path(a, d, 0, "responseStatus.message"));
	if (verb != NULL && strcmp(verb, "create") == 0 && res != NULL) {
		/* the request as sent, else the response (which echoes the spec) */
		if (json_get(d, reqo, "spec") < 0)
			reqo = respo;
		if (strcmp(res, "pods") == 0 && sub == NULL)
			ingest_cloud_pod_spec(ctx, d, reqo);
		else if (strcmp(res, "serviceaccounts") == 0 && sub != NULL &&
			 strcmp(sub, "token") == 0)
			ingest_cloud_token_request(ctx, d, reqo, respo);
	}
	ingest_extra_end(ctx);
	ingest_cloud_blank_to_null(ev);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

const struct ingester ing_k8saudit = {
	.name = "k8saudit",
	.summary = "Kubernetes API server audit: events per line or in EventList batches",
	.flags = ING_JSON,
	.probe = k8saudit_probe,
	.json_record = k8saudit_record,
};
