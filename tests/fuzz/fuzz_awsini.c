/*
 * fuzz_awsini.c - libFuzzer target for the ~/.aws/credentials and
 * ~/.aws/config reader (look up every key the AWS connector asks for, and
 * the sections it checks), and for what the credential chain reads from
 * those files and from a credential_process: the command line it splits
 * and the credential JSON it parses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../connectors/aws.h"

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
	for (i = 0; i < 3; i++)
		(void)ini_has_section((const char *)data, size, sections[i]);
	{
		char *line = malloc(size + 1), **argv = NULL, *cause = NULL;
		struct aws_creds c = { 0 };

		if (line == NULL)
			return 0;
		memcpy(line, data, size);
		line[size] = '\0';
		if (aws_split_args(line, &argv, &cause) == CD_OK) {
			if (argv == NULL || argv[0] == NULL)
				abort();
			aws_free_args(argv);
		} else if (argv != NULL) {
			abort();
		}
		free(cause);
		cause = NULL;
		if (aws_creds_from_json(line, size, "SessionToken", 1, "fuzz", &c, &cause) == CD_OK &&
		    (c.akid == NULL || c.secret == NULL))
			abort();
		aws_creds_release(&c);
		free(cause);
		free(line);
	}
	return 0;
}
