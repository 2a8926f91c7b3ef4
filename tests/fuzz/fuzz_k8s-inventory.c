/* fuzz_k8s-inventory.c - libFuzzer target for the k8s-inventory inventory parser. */
#define FUZZ_FORMAT "k8s-inventory"
#include "fuzz_inv.h"
