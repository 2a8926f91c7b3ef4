/* fuzz_vault-token.c - libFuzzer target for the vault-token inventory parser. */
#define FUZZ_FORMAT "vault-token"
#include "fuzz_inv.h"
