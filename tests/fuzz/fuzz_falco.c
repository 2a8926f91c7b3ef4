/* fuzz_falco.c - libFuzzer target for the Falco ingester. */
#define FUZZ_FORMAT "falco"
#include "fuzz_common.h"
