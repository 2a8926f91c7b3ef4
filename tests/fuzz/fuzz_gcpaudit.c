/* fuzz_gcpaudit.c - libFuzzer target for the GCP Cloud Logging ingester. */
#define FUZZ_FORMAT "gcpaudit"
#include "fuzz_common.h"
