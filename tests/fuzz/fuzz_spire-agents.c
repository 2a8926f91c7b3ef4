/* fuzz_spire-agents.c - libFuzzer target for the spire-agents inventory (spire-server agent list -output json). */
#define FUZZ_FORMAT "spire-agents"
#include "fuzz_inv.h"
