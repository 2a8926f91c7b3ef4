/* fuzz_iam-keys.c - libFuzzer target for the iam-keys inventory parser. */
#define FUZZ_FORMAT "iam-keys"
#include "fuzz_inv.h"
