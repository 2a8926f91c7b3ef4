/* fuzz_auditd.c - libFuzzer target for the auditd raw-log ingester. */
#define FUZZ_FORMAT "auditd"
#include "fuzz_common.h"
