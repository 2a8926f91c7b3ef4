/*
 * test_cloud.c - unit tests for the cloud ingesters' helpers.
 */
#include "../../ingest/private.h"
#include "unit.h"

const struct unit_test cloud_tests[] = {
	{ NULL, NULL },
};
