/* fuzz_k8saudit.c - libFuzzer target for the Kubernetes audit ingester. */
#define FUZZ_FORMAT "k8saudit"
#include "fuzz_common.h"
