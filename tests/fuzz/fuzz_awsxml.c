/*
 * fuzz_awsxml.c - libFuzzer target for the AWS query-protocol XML
 * extractor: the element lookups and the <member> iteration the AWS
 * connector performs on a response, and entity decoding of each value.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../connectors/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
field(struct span s, const char *tag)
{
	struct span v;
	char out[256];

	if (xml_find(s, tag, &v) == CD_OK) {
		if (v.p < s.p || v.p + v.n > s.p + s.n)
			abort(); /* inner span outside the input */
		(void)xml_text(v, out, sizeof(out));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span s = { (const char *)data, size }, meta, m, err;
	const char *cur;
	int n = 0;

	if (size > (1 << 20))
		return 0;
	field(s, "RequestId");
	field(s, "UserName");
	if (xml_find(s, "Error", &err) == CD_OK) {
		field(err, "Code");
		field(err, "Message");
	}
	if (xml_find(s, "AccessKeyMetadata", &meta) == CD_OK) {
		cur = meta.p;
		while (xml_next(meta, &cur, "member", &m) == CD_OK) {
			if (cur > meta.p + meta.n || ++n > (int)size + 1)
				abort(); /* the cursor must move forward and stay inside */
			field(m, "AccessKeyId");
			field(m, "Status");
		}
	}
	return 0;
}
