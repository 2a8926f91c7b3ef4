/*
 * fuzz_kubeconfig.c - libFuzzer target for the kubeconfig reader (YAML
 * through libyaml with anchors, aliases and merge keys, or JSON): parse,
 * then look up what the Kubernetes connector looks up.  Any input must
 * parse or fail cleanly, never crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../connectors/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_doc d;
	const char *why, *ctx;
	char *copy;

	if (size > (1 << 20))
		return 0;
	/* the connector reads files: NUL-terminated copies */
	copy = xstrndup((const char *)data, size);
	if (kv_parse(copy, size, &d, &why) == CD_OK) {
		ctx = kv_get(&d, "current-context");
		if (ctx != NULL)
			(void)kv_find_named(&d, "contexts", ctx);
		(void)kv_find_named(&d, "clusters", "emu");
		(void)kv_get(&d, "users[0].user.token");
		kv_release(&d);
	} else if (why == NULL) {
		abort(); /* every failure says why */
	}
	free(copy);
	return 0;
}
