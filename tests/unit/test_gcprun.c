/*
 * test_gcprun.c - GCP serverless workloads: the Cloud Run / Cloud Functions
 * inventory (three shapes, names kept, values never, errors that say where)
 * and the attribution of a GCP audit event to the one service running as
 * its account (not when impersonated, signed with a key, or shared).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/core.h"
#include "../../correlate/engine.h"
#include "../../ingest/inv.h"
#include "unit.h"

static const char run_v1[] =
	"[{\"apiVersion\":\"serving.knative.dev/v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"api\","
	"\"namespace\":\"p1\",\"labels\":{\"cloud.googleapis.com/location\":\"us-east1\"}},\"spec\":{"
	"\"template\":{\"metadata\":{\"annotations\":{\"run.googleapis.com/secrets\":"
	"\"other:projects/42/secrets/x-key\"}},\"spec\":{\"serviceAccountName\":\"api@p1.iam.gserviceaccount.com\","
	"\"containers\":[{\"image\":\"gcr.io/p1/api:1\",\"env\":[{\"name\":\"DSN\",\"value\":"
	"\"mysql://u:hunter2-value@db/x\"},{\"name\":\"MODE\",\"value\":\"plain-mode-value\"},"
	"{\"name\":\"TOK\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"tok\",\"key\":\"latest\"}}},"
	"{\"name\":\"X\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"other\",\"key\":\"1\"}}}]}]}}}}]";
static const char run_v2[] =
	"{\"name\":\"projects/p1/locations/us-east1/services/api\",\"template\":{\"serviceAccount\":"
	"\"api@p1.iam.gserviceaccount.com\",\"containers\":[{\"image\":\"gcr.io/p1/api:1\",\"env\":["
	"{\"name\":\"TOK\",\"valueSource\":{\"secretKeyRef\":{\"secret\":\"projects/p1/secrets/tok/versions/3\","
	"\"version\":\"3\"}}}]}]}}";
static const char fns[] =
	"{\"functions\":[{\"name\":\"projects/p1/locations/us-east1/functions/f1\",\"buildConfig\":{\"runtime\":"
	"\"go122\"},\"serviceConfig\":{\"serviceAccountEmail\":\"shared@p1.iam.gserviceaccount.com\","
	"\"environmentVariables\":{\"K\":\"AKIAEXAMPLEEXAMPLE01\"},\"secretEnvironmentVariables\":[{\"key\":"
	"\"S\",\"projectId\":\"p2\",\"secret\":\"s\",\"version\":\"latest\"}]}},"
	"{\"name\":\"projects/p1/locations/us-east1/functions/f2\",\"serviceConfig\":{\"serviceAccountEmail\":"
	"\"shared@p1.iam.gserviceaccount.com\"}}]}";

static const char *
text(sqlite3 *db, const char *sql)
{
	static char out[1024];
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return "(sql error)";
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* Load text as the gcp-serverless inventory; why gets 512 bytes. */
static int
load(struct store *s, const char *js, char *why)
{
	return inventory_buffer(s, "gcp-serverless", js, strlen(js), why, 512);
}

static void
test_gcprun_inventory(void)
{
	struct store *s = NULL;
	char *cause = NULL, why[512];
	sqlite3 *db;

	CHECK(inventory_choose(NULL, run_v1, sizeof(run_v1) - 1) == inventory_find("gcp-serverless"));
	CHECK(inventory_choose(NULL, run_v2, sizeof(run_v2) - 1) == inventory_find("gcp-serverless"));
	CHECK(inventory_choose(NULL, fns, sizeof(fns) - 1) == inventory_find("gcp-serverless"));
	/* an audit entry about a service is a log, not an inventory */
	{
		static const char audit[] = "{\"protoPayload\":{\"resourceName\":\"projects/p/locations/l/services/s\","
					    "\"request\":{\"template\":{\"containers\":[]}}},\"logName\":\"x\"}";

		CHECK(inventory_choose(NULL, audit, sizeof(audit) - 1) == NULL);
	}
	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	db = store_db(s);
	CHECK(inventory_buffer(s, "gcp-serverless", run_v1, sizeof(run_v1) - 1, why, sizeof(why)) == CD_OK);
	CHECK(strcmp(text(db, "SELECT key FROM graph_nodes WHERE kind = 'function'"),
		     "projects/p1/locations/us-east1/services/api") == 0);
	CHECK(strcmp(text(db, "SELECT json_extract(attrs, '$.env_names') FROM graph_nodes WHERE kind = 'function'"),
		     "[\"DSN\",\"MODE\",\"TOK\",\"X\"]") == 0);
	CHECK(strcmp(text(db, "SELECT json_extract(attrs, '$.static_secrets') FROM graph_nodes WHERE kind = 'function'"),
		     "[\"DSN\"]") == 0);
	/* a short name is the service's project's; an alias is the annotation's secret */
	CHECK(strcmp(text(db, "SELECT json_extract(attrs, '$.secret_refs') FROM graph_nodes WHERE kind = 'function'"),
		     "[\"projects/p1/secrets/tok\",\"projects/42/secrets/x-key\"]") == 0);
	CHECK(strcmp(text(db, "SELECT d.key FROM graph_edges e JOIN graph_nodes d ON d.id = e.dst"
			      " WHERE e.type = 'runs-as'"), "gcp:api@p1.iam.gserviceaccount.com") == 0);
	/* the v2 shape of the same service is the same node */
	CHECK(inventory_buffer(s, "gcp-serverless", run_v2, sizeof(run_v2) - 1, why, sizeof(why)) == CD_OK);
	CHECK(strcmp(text(db, "SELECT count(*) FROM graph_nodes WHERE kind = 'function'"), "1") == 0);
	CHECK(strcmp(text(db, "SELECT count(*) FROM graph_nodes WHERE key = 'gcp-secret:projects/p1/secrets/tok'"),
		     "1") == 0);
	CHECK(inventory_buffer(s, "gcp-serverless", fns, sizeof(fns) - 1, why, sizeof(why)) == CD_OK);
	CHECK(strcmp(text(db, "SELECT json_extract(attrs, '$.secret_refs') FROM graph_nodes"
			      " WHERE key = 'projects/p1/locations/us-east1/functions/f1'"),
		     "[\"projects/p2/secrets/s\"]") == 0);
	CHECK(strcmp(text(db, "SELECT json_extract(attrs, '$.runtime') FROM graph_nodes"
			      " WHERE key = 'projects/p1/locations/us-east1/functions/f1'"), "go122") == 0);
	/* values never stored, anywhere */
	CHECK(strcmp(text(db, "SELECT count(*) FROM graph_nodes WHERE instr(coalesce(attrs, '') || key ||"
			      " coalesce(label, ''), 'hunter2') + instr(coalesce(attrs, '') || key, 'plain-mode-value')"
			      " + instr(coalesce(attrs, '') || key, 'AKIAEXAMPLE') > 0"), "0") == 0);
	/* bad input: refused, saying where and why */
	CHECK(load(s, "{\"name\":\"projects/p/services/x\",\"template\":{}}", why) == CD_E_PARSE);
	CHECK(strstr(why, "projects/P/locations/L/services/S") != NULL);
	CHECK(load(s, "[{\"name\":\"x\"}]", why) == CD_E_PARSE);
	CHECK(strstr(why, "neither") != NULL);
	CHECK(load(s, "[{\"name\":\"projects/p/locations/l/services/x/y\"}]", why) == CD_E_PARSE);
	CHECK(strstr(why, "line 1") != NULL && strstr(why, "projects/P/locations/L/services/S") != NULL);
	CHECK(load(s, "{\"services\":{}}", why) == CD_E_PARSE);
	CHECK(load(s, "{\"name\":\"projects/p/locations/l/services/x\",\"template\":{\"containers\":"
		   "[{\"env\":{}}]}}", why) == CD_E_PARSE);
	CHECK(strstr(why, "env must be an array") != NULL);
	CHECK(load(s, "[{\"metadata\":{\"name\":\"a\",\"namespace\":\"p\"},\"spec\":{}}]", why) == CD_E_PARSE);
	CHECK(strstr(why, "cloud.googleapis.com/location") != NULL);
	store_close(&s);
}

static int
attributed(sqlite3 *db, const char *actor, const char *cred, const char *extra, struct workload *w)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.source = "gcpaudit";
	ev.actor = actor;
	ev.cred_id = cred;
	ev.extra = extra;
	return gcp_service_of_event(db, &ev, w);
}

static void
test_gcprun_attribution(void)
{
	struct store *s = NULL;
	char *cause = NULL, why[512];
	struct workload w;
	sqlite3 *db;

	if (store_open(":memory:", 0, &s, &cause) != CD_OK) {
		free(cause);
		CHECK(0);
		return;
	}
	db = store_db(s);
	CHECK(inventory_buffer(s, "gcp-serverless", run_v2, sizeof(run_v2) - 1, why, sizeof(why)) == CD_OK);
	CHECK(inventory_buffer(s, "gcp-serverless", fns, sizeof(fns) - 1, why, sizeof(why)) == CD_OK);
	/* the account's own token: the service */
	CHECK(attributed(db, "api@p1.iam.gserviceaccount.com", NULL, "{\"service\":\"storage.googleapis.com\"}", &w));
	CHECK(strcmp(w.kind, "function") == 0);
	CHECK(strcmp(w.id, "projects/p1/locations/us-east1/services/api") == 0);
	CHECK(strcmp(w.where, "gcp:us-east1:p1") == 0);
	CHECK(strcmp(w.name, "api") == 0);
	CHECK(strcmp(w.identity, "api@p1.iam.gserviceaccount.com") == 0);
	/* impersonated (a developer's gcloud): another credential */
	CHECK(!attributed(db, "api@p1.iam.gserviceaccount.com", NULL,
			  "{\"delegation\":[{\"firstPartyPrincipal\":{\"principalEmail\":\"dev@acme.example\"}}]}", &w));
	/* an empty chain is no delegation */
	CHECK(attributed(db, "api@p1.iam.gserviceaccount.com", NULL, "{\"delegation\":[]}", &w));
	/* a user-managed key */
	CHECK(!attributed(db, "api@p1.iam.gserviceaccount.com",
			  "//iam.googleapis.com/projects/p1/serviceAccounts/api@p1.iam.gserviceaccount.com/keys/k1",
			  NULL, &w));
	/* an account two functions share names neither */
	CHECK(!attributed(db, "shared@p1.iam.gserviceaccount.com", NULL, NULL, &w));
	/* an account no service runs as */
	CHECK(!attributed(db, "ci@p1.iam.gserviceaccount.com", NULL, NULL, &w));
	store_close(&s);
}

/* Google's ranges: prefix edges in both families, the built-in table, and a
 * replacement file (goog.json, plain CIDRs) with errors that name the line. */
static void
test_google_ranges(void)
{
	struct net_range r[2], *g = NULL;
	size_t ng = 0;
	char *cause = NULL, path[] = "/tmp/cordon-unit-ranges.XXXXXX";
	FILE *f;
	int fd;

	CHECK(net_range_parse("34.128.0.0/10", 13, &r[0]) == 0);
	CHECK(net_range_parse("2600:1900::/28", 14, &r[1]) == 0);
	CHECK(net_ranges_has(r, 2, "34.128.0.1"));
	CHECK(net_ranges_has(r, 2, "34.191.255.255"));
	CHECK(!net_ranges_has(r, 2, "34.192.0.0")); /* Amazon's */
	CHECK(!net_ranges_has(r, 2, "34.127.255.255"));
	CHECK(net_ranges_has(r, 2, "2600:190f:ffff::1"));
	CHECK(!net_ranges_has(r, 2, "2600:1910::1"));
	CHECK(net_ranges_has(r, 2, "::ffff:34.128.0.1")); /* the same address */
	CHECK(!net_ranges_has(r, 2, "not-an-ip"));
	CHECK(!net_ranges_has(r, 2, NULL));
	CHECK(net_range_parse("34.128.0.0/33", 13, &r[0]) != 0);
	CHECK(net_range_parse("34.128.0.0", 10, &r[0]) != 0);
	CHECK(net_range_parse("34.128.0.0/", 11, &r[0]) != 0);
	CHECK(net_range_parse("2600::/129", 10, &r[0]) != 0);
	CHECK(net_range_parse("34.128.0.0/10x", 14, &r[0]) != 0);

	unsetenv("CORDON_GOOGLE_RANGES");
	CHECK(google_ranges_load(&g, &ng, &cause) == CD_OK);
	CHECK(ng > 100);
	CHECK(net_ranges_has(g, ng, "35.192.1.2"));
	CHECK(net_ranges_has(g, ng, "2600:1900:4000::5"));
	CHECK(!net_ranges_has(g, ng, "185.220.101.7"));
	CHECK(!net_ranges_has(g, ng, "52.94.1.1"));
	free(g);

	fd = mkstemp(path);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("{\"syncToken\": \"1\", \"prefixes\": [\n {\"ipv4Prefix\": \"198.51.100.0/24\"},\n"
	      " {\"ipv6Prefix\": \"2001:db8::/32\"}]}\n", f);
	fclose(f);
	setenv("CORDON_GOOGLE_RANGES", path, 1);
	CHECK(google_ranges_load(&g, &ng, &cause) == CD_OK);
	CHECK(ng == 2);
	CHECK(net_ranges_has(g, ng, "198.51.100.9"));
	CHECK(!net_ranges_has(g, ng, "35.192.1.2")); /* the file replaces the table */
	free(g);

	f = fopen(path, "w");
	fputs("# egress\n198.51.100.0/24\n\n203.0.113.0/2x\n", f);
	fclose(f);
	CHECK(google_ranges_load(&g, &ng, &cause) == CD_E_PARSE);
	CHECK(g == NULL && ng == 0);
	CHECK(cause != NULL && strstr(cause, ":4: not an address range") != NULL);
	free(cause);
	cause = NULL;

	f = fopen(path, "w");
	fputs("{\"prefixes\": [{\"ipv4Prefix\": 42}]}", f);
	fclose(f);
	CHECK(google_ranges_load(&g, &ng, &cause) == CD_E_PARSE);
	CHECK(cause != NULL && strstr(cause, path) != NULL);
	free(cause);
	cause = NULL;

	unlink(path);
	CHECK(google_ranges_load(&g, &ng, &cause) == CD_E_IO);
	CHECK(cause != NULL && strstr(cause, "unset it") != NULL);
	free(cause);
	unsetenv("CORDON_GOOGLE_RANGES");
}

const struct unit_test gcprun_tests[] = {
	{ "google_ranges", test_google_ranges },
	{ "gcprun_inventory", test_gcprun_inventory },
	{ "gcprun_attribution", test_gcprun_attribution },
	{ NULL, NULL },
};
