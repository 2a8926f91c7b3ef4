/* fuzz_credmap.c - libFuzzer target for the credmap inventory parser. */
#define FUZZ_FORMAT "credmap"
#include "fuzz_inv.h"
