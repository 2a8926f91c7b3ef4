/*
 * fuzz_rules.c - libFuzzer target for the rule file parser: any bytes are
 * parsed; a rule set that loads also runs its examples (the matcher, the
 * regexes, the example parser).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../correlate/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct ruleset rs;
	char *cause = NULL;
	size_t i;

	if (size > (1 << 20))
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	ruleset_init(&rs);
	if (ruleset_parse(&rs, "fuzz.rules", (const char *)data, size, &cause) == CD_OK) {
		for (i = 0; i < rs.n; i++)
			rule_run_examples(&rs.r[i], devnull);
	}
	free(cause);
	ruleset_release(&rs);
	return 0;
}
