/*
 * fuzz_protobuf.c - libFuzzer target for the protobuf cursor of grpc.c:
 * every length-delimited field is walked again as a nested message (as the
 * SPIRE connector reads Entry, Agent and BatchDeleteEntryResponse), to a
 * bounded depth; every sub-span must stay inside its parent.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../connectors/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(struct pb m, int depth)
{
	struct pb_field f;
	const unsigned char *start = m.p, *end = m.end;
	char text[64];
	int r;

	while ((r = pb_next(&m, &f)) == 1) {
		if (m.p < start || m.p > end)
			abort(); /* the cursor left its message */
		if (f.wire == 2) {
			if (f.sub.p < start || f.sub.end > end || f.sub.p > f.sub.end)
				abort();
			pb_copy_str(&f.sub, text, sizeof(text));
			if (depth < 8)
				walk(f.sub, depth + 1);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb m = { data, data + size };

	if (size > (1 << 20))
		return 0;
	walk(m, 0);
	return 0;
}
