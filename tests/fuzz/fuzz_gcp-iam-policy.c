/* fuzz_gcp-iam-policy.c - libFuzzer target for the gcp-iam-policy inventory parser. */
#define FUZZ_FORMAT "gcp-iam-policy"
#include "fuzz_inv.h"
