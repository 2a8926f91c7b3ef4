/* fuzz_cloudtrail.c - libFuzzer target for the CloudTrail ingester. */
#define FUZZ_FORMAT "cloudtrail"
#include "fuzz_common.h"
