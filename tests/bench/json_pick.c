/*
 * json_pick.c - the measurement behind the JSON parser choice: parse the
 * same CloudTrail records with jsmn (what cordon uses), cJSON and jansson
 * and pull the same fields, printing records/s for each.
 */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS /* as cordon builds it */
#include <jsmn.h>

#include <cjson/cJSON.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_clock.h"

/* jsmn: tokenize, then find two top-level keys by span comparison */
static size_t
run_jsmn(char **lines, size_t *lens, size_t n)
{
	static jsmntok_t tok[8192];
	size_t i, hits = 0;

	for (i = 0; i < n; i++) {
		jsmn_parser p;
		int k, t;

		jsmn_init(&p);
		t = jsmn_parse(&p, lines[i], lens[i], tok, 8192);
		for (k = 1; k < t; k++)
			if (tok[k].type == JSMN_STRING && tok[k].end - tok[k].start == 9 &&
			    memcmp(lines[i] + tok[k].start, "eventName", 9) == 0)
				hits++;
	}
	return hits;
}

static size_t
run_cjson(char **lines, size_t *lens, size_t n)
{
	size_t i, hits = 0;

	for (i = 0; i < n; i++) {
		cJSON *r = cJSON_ParseWithLength(lines[i], lens[i]);

		if (cJSON_GetObjectItemCaseSensitive(r, "eventName"))
			hits++;
		cJSON_Delete(r);
	}
	return hits;
}

static size_t
run_jansson(char **lines, size_t *lens, size_t n)
{
	size_t i, hits = 0;

	for (i = 0; i < n; i++) {
		json_error_t e;
		json_t *r = json_loadb(lines[i], lens[i], 0, &e);

		if (json_object_get(r, "eventName"))
			hits++;
		json_decref(r);
	}
	return hits;
}

int
main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
	char **lines = NULL, *line = NULL;
	size_t *lens = NULL, n = 0, cap = 0, lcap = 0, bytes = 0;
	ssize_t len;
	struct { const char *name; size_t (*fn)(char **, size_t *, size_t); } p[] = {
		{ "jsmn", run_jsmn }, { "cJSON", run_cjson }, { "jansson", run_jansson },
	};
	double base = 0;
	int k;

	if (f == NULL) {
		fprintf(stderr, "usage: json_pick NDJSON-FILE\n");
		return 2;
	}
	while ((len = getline(&line, &lcap, f)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			lines = realloc(lines, cap * sizeof(*lines));
			lens = realloc(lens, cap * sizeof(*lens));
		}
		lines[n] = strndup(line, (size_t)len);
		lens[n++] = (size_t)len;
		bytes += (size_t)len;
	}
	printf("  %-8s %12s %10s %8s\n", "parser", "records/s", "MB/s", "vs jsmn");
	for (k = 0; k < 3; k++) {
		double t0 = now(), dt;
		size_t hits = p[k].fn(lines, lens, n);

		dt = now() - t0;
		if (k == 0)
			base = dt;
		printf("  %-8s %12.0f %10.1f %7.2fx  (%zu hits)\n", p[k].name, n / dt, bytes / dt / 1e6,
		       base / dt, hits);
	}
	return 0;
}
