/* fuzz_tracee.c - libFuzzer target for the Tracee ingester. */
#define FUZZ_FORMAT "tracee"
#include "fuzz_common.h"
