/* fuzz_spire-entries.c - libFuzzer target for the spire-entries inventory (spire-server entry show -output json). */
#define FUZZ_FORMAT "spire-entries"
#include "fuzz_inv.h"
