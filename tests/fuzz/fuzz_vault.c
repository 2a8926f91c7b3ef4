/* fuzz_vault.c - libFuzzer target for the Vault audit ingester. */
#define FUZZ_FORMAT "vault"
#include "fuzz_common.h"
