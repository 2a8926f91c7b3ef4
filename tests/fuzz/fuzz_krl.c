/*
 * fuzz_krl.c - libFuzzer target for the OpenSSH KRL reader and writer: a
 * list that parses is changed (a fingerprint added and removed) and written
 * again; what is written must parse again, with the same fingerprints.
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
	struct krl k, again;
	struct buf out;
	char why[200];
	size_t n;

	if (size > (1 << 20))
		return 0;
	if (krl_parse(&k, data, size, why, sizeof(why)) != CD_OK)
		return 0;
	n = k.nfp;
	if (krl_add(&k, fp) < 0)
		abort();
	buf_init(&out, (size_t)64 << 20);
	if (krl_write(&k, 1, &out) == CD_OK) {
		if (krl_parse(&again, (const unsigned char *)out.data, out.len, why, sizeof(why)) != CD_OK ||
		    !krl_has(&again, fp) || again.nfp < n || again.nfp > n + 1)
			abort(); /* what we write must read back, fingerprints intact */
		krl_remove(&again, fp);
		krl_release(&again);
	}
	buf_release(&out);
	krl_release(&k);
	return 0;
}
