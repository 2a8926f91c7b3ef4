/*
 * test_ebpf.c - unit tests for the ebpf ingesters' helpers.
 */
#include "../../ingest/private.h"
#include "unit.h"

const struct unit_test ebpf_tests[] = {
	{ NULL, NULL },
};
