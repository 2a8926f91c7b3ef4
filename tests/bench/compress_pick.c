/*
 * compress_pick.c - the measurement behind the evidence compressor: the
 * same file cut into 1 MiB segments (as core/evidence.c cuts records),
 * compressed with zlib (raw deflate, what cordon used before schema 4) and
 * with zstd (what it uses now), each at its fastest useful levels, with
 * the round trip checked.  Prints seconds, MB/s and ratio for each.
 *
 *   compress_pick FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_clock.h"
#include <zlib.h>
#include <zstd.h>

#define SEG ((size_t)1 << 20)
#define INPUT_CAP ((size_t)512 << 20)

static size_t
deflate_seg(int level, const unsigned char *in, size_t n, unsigned char *out, size_t cap,
	    unsigned char *back)
{
	z_stream z;
	size_t got;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)(size_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	got = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
	deflateEnd(&z);
	if (back != NULL && got) { /* round trip, outside the timing */
		memset(&z, 0, sizeof(z));
		inflateInit2(&z, -15);
		z.next_in = out;
		z.avail_in = (uInt)got;
		z.next_out = back;
		z.avail_out = (uInt)n;
		if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out != n || memcmp(back, in, n))
			got = 0;
		inflateEnd(&z);
	}
	return got;
}

static size_t
zstd_seg(ZSTD_CCtx *c, int level, const unsigned char *in, size_t n, unsigned char *out,
	 size_t cap, unsigned char *back)
{
	size_t got = ZSTD_compressCCtx(c, out, cap, in, n, level);

	if (ZSTD_isError(got))
		return 0;
	if (back != NULL) {
		size_t r = ZSTD_decompress(back, n, out, got);

		if (ZSTD_isError(r) || r != n || memcmp(back, in, n))
			return 0;
	}
	return got;
}

int
main(int argc, char **argv)
{
	static const struct { const char *name; int zstd, level; } codecs[] = {
		{ "zlib raw deflate, level 1", 0, 1 },
		{ "zlib raw deflate, level 6", 0, 6 },
		{ "zstd level 1 (cordon)", 1, 1 },
		{ "zstd level 3", 1, 3 },
	};
	unsigned char *in, *out, *back;
	size_t n, i, cap = ZSTD_compressBound(SEG) + compressBound(SEG);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	FILE *f;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: compress_pick FILE\n");
		return 2;
	}
	in = malloc(INPUT_CAP);
	out = malloc(cap);
	back = malloc(SEG);
	if (in == NULL || out == NULL || back == NULL || c == NULL)
		return 1;
	n = fread(in, 1, INPUT_CAP, f);
	fclose(f);
	printf("  %zu MiB in %zu segments of 1 MiB\n", n >> 20, (n + SEG - 1) / SEG);
	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		size_t off, total = 0, ok = 1;
		double t0, t;

		/* one checked pass, then the timed pass */
		for (off = 0; off < n && ok; off += SEG) {
			size_t len = n - off < SEG ? n - off : SEG;

			ok = codecs[i].zstd ? zstd_seg(c, codecs[i].level, in + off, len, out, cap, back) != 0
					    : deflate_seg(codecs[i].level, in + off, len, out, cap, back) != 0;
		}
		t0 = now();
		for (off = 0; off < n; off += SEG) {
			size_t len = n - off < SEG ? n - off : SEG;

			total += codecs[i].zstd ? zstd_seg(c, codecs[i].level, in + off, len, out, cap, NULL)
						: deflate_seg(codecs[i].level, in + off, len, out, cap, NULL);
		}
		t = now() - t0;
		printf("  %-28s %6.3fs %7.0f MB/s  ratio %5.1f%s\n", codecs[i].name, t, n / t / 1e6,
		       total ? (double)n / total : 0, ok ? "" : "  ROUND TRIP FAILED");
	}
	ZSTD_freeCCtx(c);
	free(in);
	free(out);
	free(back);
	return 0;
}
