/*
 * registry.c - the static table of ingesters, in probe-tie order.
 *
 * To add a format: copy ingest/ingest-template.c to ing_NAME.c, fill in the
 * vtable, list it here, add fixtures under tests/data/NAME/.
 */
#include <string.h>

#include "private.h"

extern const struct ingester ing_auditd;
extern const struct ingester ing_falco;
extern const struct ingester ing_tetragon;
extern const struct ingester ing_tracee;
extern const struct ingester ing_cloudtrail;
extern const struct ingester ing_k8saudit;
extern const struct ingester ing_vault;
extern const struct ingester ing_gcpaudit;
extern const struct ingester ing_github;
extern const struct ingester ing_sshd;

const struct ingester *const ingesters[] = {
	&ing_auditd,
	&ing_cloudtrail,
	&ing_k8saudit,
	&ing_vault,
	&ing_gcpaudit,
	&ing_github,
	&ing_sshd,
	&ing_falco,
	&ing_tetragon,
	&ing_tracee,
	NULL,
};

const struct ingester *
ingester_find(const char *name)
{
	size_t i;

	for (i = 0; ingesters[i] != NULL; i++)
		if (strcmp(ingesters[i]->name, name) == 0)
			return ingesters[i];
	return NULL;
}

const char *
ingest_format_name(size_t i)
{
	size_t n;

	for (n = 0; ingesters[n] != NULL; n++)
		;
	return i < n ? ingesters[i]->name : NULL;
}

const char *
ingest_format_summary(size_t i)
{
	return ingest_format_name(i) ? ingesters[i]->summary : NULL;
}

const char *
ingest_probe_scored(const char *head, size_t len, int min_score)
{
	const struct ingester *best = NULL;
	int best_score = 0;
	size_t i;

	for (i = 0; ingesters[i] != NULL; i++) {
		int score = ingesters[i]->probe(head, len);

		if (score > best_score) {
			best_score = score;
			best = ingesters[i];
		}
	}
	return best && best_score >= min_score ? best->name : NULL;
}

const char *
ingest_probe(const char *head, size_t len)
{
	return ingest_probe_scored(head, len, 1);
}
