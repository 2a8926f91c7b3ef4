/*
 * main.c - the cordon binary: global options and the command table.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <curl/curl.h>
#include <locale.h>
#include <openssl/crypto.h>
#include <pcre2.h>
#include <sqlite3.h>
#include <zlib.h>
#include <zstd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"
#include "../ingest/ingest.h"
#include "../correlate/correlate.h"
#include "../revoke/revoke.h"
#include "../tui/tui.h"

extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_rejects_entry;

static const struct cmd_entry *const commands[] = {
	&cmd_ingest_entry,
	&cmd_events_entry,
	&cmd_rejects_entry,
	&cmd_correlate_entry,
	&cmd_incidents_entry,
	&cmd_incident_entry,
	&cmd_rules_entry,
	&cmd_reach_entry,
	&cmd_whois_entry,
	&cmd_revoke_entry,
	&cmd_audit_entry,
	&cmd_tui_entry,
	NULL,
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: cordon [--db PATH] COMMAND [ARGS]\n"
		"\n"
		"Incident response for sandbox and container escapes: ingest host, eBPF\n"
		"and cloud logs and identity inventories into one evidence store per case,\n"
		"correlate escapes to the credentials they exposed and the identities those\n"
		"reach, and revoke them through the providers' APIs.\n"
		"\n"
		"commands:\n");
	for (i = 0; commands[i] != NULL; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f,
		"\n"
		"global options:\n"
		"  --db PATH    evidence store (default $CORDON_DB, else ./cordon.db)\n"
		"  --version    print the version\n"
		"  -h, --help   this help; `cordon COMMAND --help` for a command\n"
		"\n"
		"exit status: 0 success; 1 done with findings (rejected records, a new\n"
		"incident, a failed action, ...);\n"
		"2 usage, configuration or store error.\n");
}

/* The version, and the libraries this binary runs with (a bug report
 * needs both: SQLite and libcurl differ from one distribution to another). */
static void
print_version(void)
{
	char pcre[64] = "?";

	(void)pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	printf("cordon %s\n", CORDON_VERSION);
	printf("  sqlite %s, pcre2 %s, zlib %s, zstd %s\n", sqlite3_libversion(), pcre,
	       zlibVersion(), ZSTD_versionString());
	printf("  %s\n", curl_version());
	printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	const char *name;
	int i = 1, k;

	setlocale(LC_CTYPE, "");
	/* no global malloc statistics: they cost a mutex per allocation */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	umask(077); /* evidence and anything next to it stays private */
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			ctx.db_path = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			ctx.db_path = argv[i] + 5;
			i++;
		} else if (strcmp(argv[i], "--version") == 0) {
			print_version();
			return EXIT_OK;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else {
			out_err("unknown option '%s'", argv[i]);
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_ERROR;
	}
	name = argv[i];
	if (strcmp(name, "help") == 0) {
		if (i + 1 < argc) {
			for (k = 0; commands[k] != NULL; k++)
				if (strcmp(commands[k]->name, argv[i + 1]) == 0) {
					char *v[] = { argv[i + 1], "--help", NULL };

					ctx.argc = 2;
					ctx.argv = v;
					return commands[k]->exec(&ctx);
				}
		}
		usage(stdout);
		return EXIT_OK;
	}
	for (k = 0; commands[k] != NULL; k++) {
		if (strcmp(commands[k]->name, name) == 0) {
			ctx.argc = argc - i;
			ctx.argv = argv + i;
			return commands[k]->exec(&ctx);
		}
	}
	out_err("unknown command '%s'; `cordon --help` lists the commands", name);
	return EXIT_ERROR;
}
