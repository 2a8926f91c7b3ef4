/*
 * ing_gcpaudit.c - Google Cloud Logging LogEntry records, Cloud Audit Logs
 * first.
 *
 * Audit entries carry an AuditLog in protoPayload (its "@type" is not
 * always there; old BigQuery entries add a legacy serviceData).  GKE writes
 * the Kubernetes API server's audit events as AuditLog entries too
 * (serviceName "k8s.io", methodName "io.k8s.core.v1.pods.exec.create",
 * resourceName "core/v1/namespaces/NS/pods/NAME/exec", annotations copied
 * to the entry's labels).  Any other LogEntry (jsonPayload, textPayload) is
 * evidence as well and is stored with kind "log".  Accepts exports one
 * entry per line, pretty-printed entries and JSON arrays of entries.
 */
#include <string.h>

#include "cloud.h"

/* Implements ingester::probe */
static int
gcpaudit_probe(const char *head, size_t len)
{
	int pp = memmem(head, len, "\"protoPayload\"", 14) != NULL;
	int ln = memmem(head, len, "\"logName\"", 9) != NULL;
	int id = memmem(head, len, "\"insertId\"", 10) != NULL;

	if (pp && (ln || id))
		return 95;
	if (ln && id)
		return 85;
	if (pp)
		return 80;
	return 0;
}

/* GKE: Kubernetes verb and object from methodName and resourceName into extra. */
static void
gke_k8s(struct ingest_ctx *ctx, const struct json_doc *d, int pp, const char *method,
	const char *resname)
{
	struct ev_arena *a = ingest_arena(ctx);
	struct event *ev = ingest_event(ctx);
	struct k8s_ref r;
	const char *verb = method ? strrchr(method, '.') : NULL, *k8s_action = NULL;
	int labels = json_get(d, 0, "labels"), create;

	verb = verb ? verb + 1 : NULL;
	if (ingest_cloud_k8s_ref(resname, &r) == CD_OK && verb != NULL && *verb != '\0') {
		k8s_action = ev_printf(a, "%s %.*s%s%.*s", verb, (int)r.resource.n, r.resource.p,
				       r.subresource.n > 0 ? "/" : "", (int)r.subresource.n,
				       r.subresource.p);
		ingest_extra_str(ctx, "k8s_action", k8s_action);
		if (r.ns.n > 0)
			ingest_extra_str(ctx, "k8s_namespace", ev_strdup(a, r.ns.p, r.ns.n));
		if (r.name.n > 0)
			ingest_extra_str(ctx, "k8s_name", ev_strdup(a, r.name.p, r.name.n));
		create = strcmp(verb, "create") == 0;
		if (create && span_eq(r.resource, "pods") && r.subresource.n == 0)
			ingest_cloud_pod_spec(ctx, d, json_get(d, pp, "request"));
		if (create && span_eq(r.resource, "serviceaccounts") &&
		    span_eq(r.subresource, "token"))
			ingest_cloud_token_request(ctx, d, json_get(d, pp, "request"),
						   json_get(d, pp, "response"));
	}
	ev->issued_cred = ingest_cloud_first_str(
		a, d, json_get(d, labels, "authentication.kubernetes.io/issued-credential-id"));
	ingest_extra_str(ctx, "authz_decision",
			 ev_json_str(a, d, json_get(d, labels, "authorization.k8s.io/decision")));
	ingest_extra_str(ctx, "authz_reason",
			 ev_json_str(a, d, json_get(d, labels, "authorization.k8s.io/reason")));
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && memcmp(s + n - k, tail, k) == 0;
}

/*
 * A key created by CreateServiceAccountKey, in the form later calls name
 * it in authenticationInfo.serviceAccountKeyName.
 */
static const char *
key_name(struct ev_arena *a, const char *name)
{
	if (name == NULL || strncmp(name, "projects/", 9) != 0)
		return name;
	return ev_printf(a, "//iam.googleapis.com/%s", name);
}

/* protoPayload: an AuditLog (or something shaped like one). */
static void
audit_entry(struct ingest_ctx *ctx, const struct json_doc *d, int pp)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int ai = json_get(d, pp, "authenticationInfo"), rm = json_get(d, pp, "requestMetadata");
	const char *ip, *service, *subject, *type;
	int64_t code;

	ev->action = ev_json_path(a, d, pp, "methodName");
	ev->object = ev_json_path(a, d, pp, "resourceName");
	service = ev_json_path(a, d, pp, "serviceName");
	ev->actor = ev_json_path(a, d, ai, "principalEmail");
	subject = ev_json_path(a, d, ai, "principalSubject");
	if (ev->actor == NULL || *ev->actor == '\0') {
		ev->actor = subject;
		subject = NULL;
	}
	ev->cred_id = ev_json_path(a, d, ai, "serviceAccountKeyName");
	if (ev->action != NULL && ends_with(ev->action, ".CreateServiceAccountKey"))
		ev->issued_cred = key_name(a, ev_json_path(a, d, pp, "response.name"));
	ip = ev_json_path(a, d, rm, "callerIp");
	if (ingest_cloud_ip_like(ip))
		ev->src_ip = ip;
	ev->user_agent = ev_json_path(a, d, rm, "callerSuppliedUserAgent");
	code = ev_json_int(d, pp, "status.code");
	ev->outcome = ingest_cloud_grpc_outcome(code);
	if (code != EV_NULL && code != 0)
		ev->outcome_code = ev_printf(a, "%lld", (long long)code);
	if (ev->region == NULL)
		ev->region = ev_json_str(
			a, d, json_at(d, json_path(d, pp, "resourceLocation.currentLocations"), 0));

	ingest_extra_str(ctx, "service", service);
	ingest_extra_str(ctx, "status_message", ev_json_path(a, d, pp, "status.message"));
	ingest_extra_str(ctx, "principal_subject", subject);
	ingest_extra_json(ctx, "delegation", d,
				json_get(d, ai, "serviceAccountDelegationInfo"));
	ingest_extra_str(ctx, "caller_ip", ev->src_ip == NULL ? ip : NULL);
	ingest_extra_str(ctx, "caller_network", ev_json_path(a, d, rm, "callerNetwork"));
	ingest_extra_str(ctx, "permission",
			 ev_json_path(a, d, json_at(d, json_get(d, pp, "authorizationInfo"), 0),
				      "permission"));
	type = ev_json_path(a, d, pp, "@type");
	if (type != NULL && strcmp(type, "type.googleapis.com/google.cloud.audit.AuditLog") != 0)
		ingest_extra_str(ctx, "payload_type", type);
	ingest_extra_str(ctx, "service_data_type", ev_json_path(a, d, pp, "serviceData.@type"));
	if (service != NULL && strcmp(service, "k8s.io") == 0)
		gke_k8s(ctx, d, pp, ev->action, ev->object);
}

/* Any other LogEntry: jsonPayload, textPayload, httpRequest. */
static void
log_entry(struct ingest_ctx *ctx, const struct json_doc *d, const char *log_id)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int jp = json_get(d, 0, "jsonPayload"), hr = json_get(d, 0, "httpRequest"), io;
	const char *msg, *kind;
	int64_t code;

	msg = ev_json_path(a, d, jp, "message");
	if (msg == NULL)
		msg = ev_json_path(a, d, 0, "textPayload");
	/* a Kubernetes Event (GKE "events" log) */
	kind = ev_json_path(a, d, jp, "kind");
	io = json_get(d, jp, "involvedObject");
	if (kind != NULL && strcmp(kind, "Event") == 0 && json_type(d, io) == JSON_OBJECT) {
		const char *ns = ev_json_path(a, d, io, "namespace");
		const char *okind = ev_json_path(a, d, io, "kind");
		const char *name = ev_json_path(a, d, io, "name");
		struct span sns = { ns ? ns : "", ns ? strlen(ns) : 0 };
		struct span skind = { okind ? okind : "", okind ? strlen(okind) : 0 };
		struct span sname = { name ? name : "", name ? strlen(name) : 0 };

		ev->action = ev_json_path(a, d, jp, "reason");
		ev->object = ingest_cloud_k8s_object(a, sns, skind, sname);
		if (ev->host == NULL)
			ev->host = ev_json_path(a, d, jp, "source.host");
	}
	if (ev->host == NULL) /* GKE container logs: the node's VM */
		ev->host = ev_json_str(a, d, json_get(d, json_get(d, 0, "labels"),
						      "compute.googleapis.com/resource_name"));
	if (json_type(d, hr) == JSON_OBJECT) {
		if (ev->action == NULL)
			ev->action = ev_json_path(a, d, hr, "requestMethod");
		if (ev->object == NULL)
			ev->object = ev_json_path(a, d, hr, "requestUrl");
		ev->src_ip = ev_json_path(a, d, hr, "remoteIp");
		ev->user_agent = ev_json_path(a, d, hr, "userAgent");
		code = ev_json_int(d, hr, "status");
		ev->outcome = ingest_cloud_http_outcome(code);
		if (code != EV_NULL)
			ev->outcome_code = ev_printf(a, "%lld", (long long)code);
	}
	ingest_extra_str(ctx, "log_id", log_id);
	ingest_extra_str(ctx, "message", msg);
}

/* Implements ingester::json_record */
static int
gcpaudit_record(struct ingest_ctx *ctx, const struct json_doc *d, const struct ingest_record *rec)
{
	struct event *ev = ingest_event(ctx);
	struct ev_arena *a = ingest_arena(ctx);
	int pp, res, labels;
	const char *logname, *log_id, *rtype;

	if (json_type(d, 0) != JSON_OBJECT) {
		ingest_set_why(ctx, "GCP LogEntry is not a JSON object");
		return CD_E_PARSE;
	}
	if (ingest_cloud_time(d, json_get(d, 0, "timestamp"), &ev->ts_ns) != CD_OK &&
	    ingest_cloud_time(d, json_get(d, 0, "receiveTimestamp"), &ev->ts_ns) != CD_OK) {
		ingest_set_why(ctx, "GCP LogEntry without a valid timestamp or receiveTimestamp");
		return CD_E_PARSE;
	}
	pp = json_get(d, 0, "protoPayload");
	if (json_type(d, pp) != JSON_OBJECT)
		pp = -1;
	logname = ev_json_path(a, d, 0, "logName");
	log_id = ingest_cloud_log_id(a, logname);
	ev->ref = ev_json_path(a, d, 0, "insertId");
	if (ingest_plausible_id(ev->ref))
		ev->dedup = ev_printf(a, "%s|%s", logname ? logname : "", ev->ref);
	ev->kind = ingest_cloud_audit_kind(log_id);
	if (ev->kind == NULL)
		ev->kind = pp >= 0 && (json_get(d, pp, "methodName") >= 0 ||
				       json_get(d, pp, "serviceName") >= 0) ? "audit" : "log";
	ev->priority = ev_json_path(a, d, 0, "severity");

	res = json_get(d, 0, "resource");
	labels = json_get(d, res, "labels");
	rtype = ev_json_path(a, d, res, "type");
	ev->region = ev_json_path(a, d, labels, "location");
	if (ev->region == NULL)
		ev->region = ev_json_path(a, d, labels, "zone");
	if (ev->region == NULL)
		ev->region = ev_json_path(a, d, labels, "region");
	/* the workload a log line came from (k8s_container, k8s_pod, k8s_node) */
	ev->pod_name = ev_json_path(a, d, labels, "pod_name");
	if (ev->pod_name != NULL)
		ev->pod_ns = ev_json_path(a, d, labels, "namespace_name");
	ev->host = ev_json_path(a, d, labels, "node_name");

	ingest_extra_begin(ctx);
	if (pp >= 0 && strcmp(ev->kind, "log") != 0)
		audit_entry(ctx, d, pp);
	else
		log_entry(ctx, d, log_id);
	ingest_extra_str(ctx, "resource_type", rtype);
	ingest_extra_str(ctx, "project", ev_json_path(a, d, labels, "project_id"));
	ingest_extra_str(ctx, "cluster", ev_json_path(a, d, labels, "cluster_name"));
	ingest_extra_str(ctx, "container_name", ev_json_path(a, d, labels, "container_name"));
	ingest_extra_str(ctx, "operation", ev_json_path(a, d, 0, "operation.id"));
	ingest_extra_end(ctx);
	ingest_cloud_blank_to_null(ev);
	return ingest_emit(ctx, rec->p, rec->n, rec->offset, rec->line);
}

const struct ingester ing_gcpaudit = {
	.name = "gcpaudit",
	.summary = "GCP Cloud Logging: Cloud Audit Logs (GKE k8s audit too) and other entries",
	.flags = ING_JSON,
	.probe = gcpaudit_probe,
	.json_record = gcpaudit_record,
};
