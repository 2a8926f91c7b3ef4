/*
 * fuzz_source.c - libFuzzer target for the byte source under every ingest:
 * magic-byte sniffing and the gzip and zstd stream readers (members and
 * frames one after another, cut or corrupt streams), over a file holding
 * the input.  Checks what the driver relies on: a plain input reads back
 * byte for byte; a decoder's complaint always marks the stream truncated;
 * reading ends.  Output past 16 MiB is not read (a 64 KiB zstd input can
 * expand to gigabytes of legitimate zeros, which only costs time).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../ingest/private.h"

#define OUT_CAP ((size_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536];
	struct source *src = NULL;
	char path[64], *cause = NULL;
	size_t total = 0;
	int fd;

	if (size > (1 << 20) || (fd = memfd_create("fuzz_source", 0)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (source_open(path, &src, &cause) != CD_OK) {
		free(cause);
		close(fd);
		return 0;
	}
	for (;;) {
		/* vary the read size with the input, as the driver's window varies */
		size_t want = 1 + (size ? data[total % size] : 0) * 256u;
		ssize_t n = source_read(src, buf, want);

		if (n < 0)
			abort(); /* a file in memory never fails to read */
		if (n == 0)
			break;
		if ((size_t)n > want)
			abort();
		if (!source_is_compressed(src) &&
		    (total + (size_t)n > size || memcmp(buf, data + total, (size_t)n) != 0))
			abort(); /* a plain input is its own bytes */
		total += (size_t)n;
		if (total > OUT_CAP)
			break;
	}
	if (!source_is_compressed(src) && total != size)
		abort();
	if (source_error(src) != NULL && !source_truncated(src))
		abort();
	source_close(&src);
	close(fd);
	return 0;
}
