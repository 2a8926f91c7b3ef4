/* fuzz_gcp-keys.c - libFuzzer target for the gcp-keys inventory parser. */
#define FUZZ_FORMAT "gcp-keys"
#include "fuzz_inv.h"
