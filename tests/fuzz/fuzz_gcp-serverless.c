/* fuzz_gcp-serverless.c - libFuzzer target for the Cloud Run / Cloud Functions inventory parser. */
#define FUZZ_FORMAT "gcp-serverless"
#include "fuzz_inv.h"
