/*
 * main.c - unit test runner: every test table listed here runs in order.
 */
#include <stdio.h>

#include "unit.h"

int unit_failed_checks;
const char *unit_current;

extern const struct unit_test core_tests[];
extern const struct unit_test ingest_tests[];
extern const struct unit_test auditd_tests[];
extern const struct unit_test ebpf_tests[];
extern const struct unit_test cloud_tests[];
extern const struct unit_test revoke_tests[];
extern const struct unit_test graph_tests[];
extern const struct unit_test correlate_tests[];
extern const struct unit_test tui_tests[];
extern const struct unit_test listen_tests[];
extern const struct unit_test gcprun_tests[];
extern const struct unit_test github_tests[];

static const struct unit_test *const suites[] = {
	core_tests, ingest_tests, auditd_tests, ebpf_tests, cloud_tests, revoke_tests, graph_tests,
	correlate_tests, tui_tests, listen_tests, gcprun_tests, github_tests, NULL,
};

int
main(void)
{
	int passed = 0, failed = 0, i, j;

	for (i = 0; suites[i] != NULL; i++) {
		for (j = 0; suites[i][j].name != NULL; j++) {
			int before = unit_failed_checks;

			unit_current = suites[i][j].name;
			suites[i][j].fn();
			if (unit_failed_checks == before) {
				passed++;
				printf("ok %s\n", unit_current);
			} else {
				failed++;
				printf("not ok %s\n", unit_current);
			}
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
