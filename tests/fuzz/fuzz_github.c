/* fuzz_github.c - libFuzzer target for the GitHub audit-log and jobs-API ingester. */
#define FUZZ_FORMAT "github"
#include "fuzz_common.h"
