/* fuzz_ssh-keys.c - libFuzzer target for the ssh-keys inventory (authorized_keys, *.pub, OpenSSH certificates: the SSH wire format cursor). */
#define FUZZ_FORMAT "ssh-keys"
#include "fuzz_inv.h"
