/* fuzz_tetragon.c - libFuzzer target for the Tetragon ingester. */
#define FUZZ_FORMAT "tetragon"
#include "fuzz_common.h"
