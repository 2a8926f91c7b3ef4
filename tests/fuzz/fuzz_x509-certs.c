/* fuzz_x509-certs.c - libFuzzer target for the x509-certs inventory (PEM certificates through libcrypto). */
#define FUZZ_FORMAT "x509-certs"
#include "fuzz_inv.h"
