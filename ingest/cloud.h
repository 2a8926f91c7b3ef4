/*
 * cloud.h - helpers the control-plane ingesters share (k8saudit, vault,
 * gcpaudit): guarded time parsing, probe scanning, URL decoding of GCP log
 * names, outcome mapping, and Kubernetes pod-spec facts for "extra".
 *
 * The pure helpers take plain strings so tests/unit/test_cloud.c can check
 * them without a store.
 */
#ifndef CORDON_INGEST_CLOUD_H
#define CORDON_INGEST_CLOUD_H

#include "private.h"

/*
 * Time of a JSON string token holding RFC 3339.  Years outside 1678..2261
 * (what int64 nanoseconds can hold) are refused before parsing.
 * @retval CD_OK      *ns set
 * @retval CD_E_PARSE absent, not a string, not a time, or out of range
 */
int ingest_cloud_time(const struct json_doc *d, int tok, int64_t *ns);

/*
 * Whether head holds "key" followed (after optional whitespace and a colon)
 * by text starting with val, e.g. ("type", "\"request\"") or ("request", "{").
 */
int ingest_cloud_head_kv(const char *head, size_t len, const char *key, const char *val);

/*
 * Decode %XX escapes of s[0..n) into out (capacity cap, always
 * NUL-terminated, truncated if short).  Malformed escapes are copied as
 * they are; '+' is not a space here.  Returns the decoded length.
 */
size_t ingest_cloud_url_decode(const char *s, size_t n, char *out, size_t cap);

/*
 * The log id of a GCP logName, URL-decoded:
 * "projects/p/logs/cloudaudit.googleapis.com%2Factivity" ->
 * "cloudaudit.googleapis.com/activity".  NULL when logname is NULL.
 */
const char *ingest_cloud_log_id(struct ev_arena *a, const char *logname);

/*
 * The audit log kind of a decoded log id: "cloudaudit.googleapis.com/activity"
 * -> "activity" (also externalaudit.googleapis.com); NULL for other logs.
 * Points into log_id.
 */
const char *ingest_cloud_audit_kind(const char *log_id);

/* HTTP status -> "success" (<400), "denied" (401, 403), "error"; NULL when absent/0. */
const char *ingest_cloud_http_outcome(int64_t code);

/* google.rpc.Code -> "success" (absent, 0), "denied" (7, 16), "error". */
const char *ingest_cloud_grpc_outcome(int64_t code);

/*
 * A Vault "error" string: *outcome gets "denied" when it mentions
 * "permission denied", else "error".  Returns the first line that says
 * something ("1 error occurred:" headers and "* " bullets skipped),
 * copied into the arena.
 */
const char *ingest_cloud_vault_error(struct ev_arena *a, const char *err, const char **outcome);

/* "system:serviceaccount:NS:SA" -> "NS" (arena copy), else NULL. */
const char *ingest_cloud_sa_namespace(struct ev_arena *a, const char *username);

/* A Kubernetes object reference parsed from a GKE resourceName. */
struct k8s_ref {
	struct span group, version, ns, resource, name, subresource;
};

/*
 * Parse "core/v1/namespaces/prod/pods/web-1/exec" (GROUP/VERSION/[namespaces/
 * NS/]RESOURCE[/NAME[/SUBRESOURCE]]).  Fields not present are empty spans
 * ("", never NULL).
 * @retval CD_OK or CD_E_PARSE (fewer than three segments)
 */
int ingest_cloud_k8s_ref(const char *resname, struct k8s_ref *r);

/*
 * "ns/resource/name" from the parts that are present, skipping empty
 * ones; NULL when all are empty.
 */
const char *ingest_cloud_k8s_object(struct ev_arena *a, struct span ns, struct span resource,
				    struct span name);

/*
 * A string or the first string of an array of strings (user.extra values
 * are arrays), copied into the arena; NULL otherwise.
 */
const char *ingest_cloud_first_str(struct ev_arena *a, const struct json_doc *d, int tok);

/*
 * The security-relevant facts of a Pod object (audit requestObject or
 * responseObject, GKE protoPayload.request) into extra: privileged
 * containers, added capabilities, hostPID/hostNetwork/hostIPC, hostPath
 * volumes, serviceAccountName, nodeName, first image, working dirs.
 * Call between ingest_extra_begin() and ingest_extra_end().
 */
void ingest_cloud_pod_spec(struct ingest_ctx *ctx, const struct json_doc *d, int pod);

/*
 * A TokenRequest (create serviceaccounts/token): what the token is bound
 * to (spec.boundObjectRef kind/name/uid of req), its audiences and the
 * expiry (status.expirationTimestamp of resp) into extra.
 */
void ingest_cloud_token_request(struct ingest_ctx *ctx, const struct json_doc *d, int req,
				int resp);

/* Set every empty string column of ev to NULL ("userAgent": "" says nothing). */
void ingest_cloud_blank_to_null(struct event *ev);

/* Whether s looks like an IPv4/IPv6 address (GCP callerIp may be "private"). */
int ingest_cloud_ip_like(const char *s);

#endif
