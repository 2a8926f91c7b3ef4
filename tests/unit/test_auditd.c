/*
 * test_auditd.c - unit tests for the auditd ingesters' helpers.
 */
#include "../../ingest/private.h"
#include "unit.h"

const struct unit_test auditd_tests[] = {
	{ NULL, NULL },
};
