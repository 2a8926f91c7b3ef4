/* fuzz_vault-policy.c - libFuzzer target for the vault-policy inventory parser. */
#define FUZZ_FORMAT "vault-policy"
#include "fuzz_inv.h"
