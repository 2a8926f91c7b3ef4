/* fuzz_lambda.c - libFuzzer target for the lambda inventory parser. */
#define FUZZ_FORMAT "lambda"
#include "fuzz_inv.h"
