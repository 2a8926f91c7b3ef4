/*
 * fuzz_krl.c - libFuzzer target for the OpenSSH KRL reader and writer: a
 * list that parses is changed (a fingerprint added and removed, a
 * certificate serial added under a CA) and written again; what is written
 * must parse again, with the same fingerprints and serials.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../connectors/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char fp[KRL_FP_LEN] = { 0x5a, 0x01, 0x02 };
	static const unsigned char ca[] = "\0\0\0\x0bssh-ed25519\0\0\0\x01x";
	struct krl k, again;
	struct buf out;
	char why[200];
	size_t n, ns;
	int added;

	if (size > (1 << 20))
		return 0;
	if (krl_parse(&k, data, size, why, sizeof(why)) != CD_OK)
		return 0;
	n = k.nfp;
	if (krl_add(&k, fp) < 0)
		abort();
	added = krl_add_serial(&k, ca, sizeof(ca) - 1, 77);
	ns = k.nserials;
	buf_init(&out, (size_t)64 << 20);
	if (krl_write(&k, 1, &out) == CD_OK) {
		if (krl_parse(&again, (const unsigned char *)out.data, out.len, why, sizeof(why)) != CD_OK ||
		    !krl_has(&again, fp) || again.nfp < n || again.nfp > n + 1 ||
		    (added >= 0 && !krl_has_serial(&again, ca, sizeof(ca) - 1, 77)) || again.nserials != ns)
			abort(); /* what we write must read back, fingerprints and serials intact */
		krl_remove(&again, fp);
		krl_release(&again);
	}
	buf_release(&out);
	krl_release(&k);
	return 0;
}
