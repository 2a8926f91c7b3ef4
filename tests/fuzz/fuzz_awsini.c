/*
 * fuzz_awsini.c - libFuzzer target for the ~/.aws/credentials and
 * ~/.aws/config reader: look up every key the AWS connector asks for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../connectors/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sections[] = { "default", "profile ir", "ir" };
	static const char *const keys[] = { "aws_access_key_id", "aws_secret_access_key",
					    "aws_session_token", "region", "endpoint_url", "role_arn" };
	size_t i, j;

	if (size > (1 << 20))
		return 0;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 6; j++) {
			char *v = NULL;
			int r = ini_get((const char *)data, size, sections[i], keys[j], &v);

			if ((r == CD_OK) != (v != NULL))
				abort();
			if (v != NULL && strlen(v) > size)
				abort();
			free(v);
		}
	return 0;
}
