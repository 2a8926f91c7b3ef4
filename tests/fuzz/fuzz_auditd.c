/* fuzz_auditd.c - libFuzzer target for the auditd raw-log ingester, stored text checked. */
#define FUZZ_FORMAT "auditd"
#include "fuzz_checked.h"
