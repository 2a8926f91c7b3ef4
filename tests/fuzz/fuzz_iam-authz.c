/* fuzz_iam-authz.c - libFuzzer target for the iam-authz inventory parser. */
#define FUZZ_FORMAT "iam-authz"
#include "fuzz_inv.h"
