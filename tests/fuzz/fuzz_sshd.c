/* fuzz_sshd.c - libFuzzer target for the sshd ingester (syslog lines, journald JSON), stored text checked. */
#define FUZZ_FORMAT "sshd"
#include "fuzz_checked.h"
