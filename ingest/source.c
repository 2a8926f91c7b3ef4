/*
 * source.c - a byte source over a file, stdin, or a gzip or zstd stream.
 *
 * Compression is recognised by magic bytes, not the file name (rotated
 * logs and collected evidence keep odd names).  Concatenated gzip members
 * and zstd frames are read as one stream, as zcat and zstdcat do; a stream
 * that breaks off, or turns corrupt, yields everything before the break
 * and is flagged truncated.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "private.h"

#define ZIN_SIZE (256 * 1024)
/*
 * A zstd frame names the window its decoder must hold.  2^27 (128 MiB) is
 * what `zstd --long` and `--ultra -22` write and libzstd's own default
 * limit; a frame that asks for more is refused as corrupt rather than
 * allowed to take memory the input chose.
 */
#define ZSTD_WINDOW_LOG_MAX 27
#define MAGIC_BYTES 4

enum codec { CODEC_PLAIN, CODEC_GZIP, CODEC_ZSTD };

struct source {
	char *path;     /* NULL for stdin */
	int fd;
	dev_t dev;
	ino_t ino;
	int64_t size;
	enum codec codec;
	int truncated;
	int zdone;      /* the last member or frame ended cleanly */
	const char *why; /* the decoder's word for a corrupt stream (reading stops), or NULL */
	z_stream z;
	ZSTD_DStream *zs;
	unsigned char *zin;
	size_t zin_at, zin_len; /* zstd: unread input in zin */
	int64_t zpos;   /* compressed bytes consumed */
	/* bytes read ahead while sniffing the magic */
	unsigned char peek[MAGIC_BYTES];
	size_t npeek;
};

static enum codec
codec_of(const unsigned char *b, size_t n)
{
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return CODEC_GZIP;
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return CODEC_ZSTD;
	return CODEC_PLAIN;
}

static int
source_sniff(struct source *src)
{
	ssize_t n;

	src->npeek = 0;
	while (src->npeek < MAGIC_BYTES) {
		n = read(src->fd, src->peek + src->npeek, MAGIC_BYTES - src->npeek);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return CD_E_IO;
		if (n == 0)
			break;
		src->npeek += (size_t)n;
	}
	src->codec = codec_of(src->peek, src->npeek);
	if (src->codec == CODEC_PLAIN)
		return CD_OK;
	src->zin = xmalloc(ZIN_SIZE);
	memcpy(src->zin, src->peek, src->npeek);
	if (src->codec == CODEC_GZIP) {
		memset(&src->z, 0, sizeof(src->z));
		if (inflateInit2(&src->z, 15 + 32) != Z_OK)
			return CD_E_NOMEM;
		src->z.next_in = src->zin;
		src->z.avail_in = (uInt)src->npeek;
	} else {
		if ((src->zs = ZSTD_createDStream()) == NULL ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(src->zs, ZSTD_d_windowLogMax,
							ZSTD_WINDOW_LOG_MAX)))
			return CD_E_NOMEM;
		src->zin_at = 0;
		src->zin_len = src->npeek;
		src->zdone = 1; /* nothing begun: an empty stream is a clean one */
	}
	src->npeek = 0;
	return CD_OK;
}

static int
source_stat(struct source *src)
{
	struct stat st;

	if (fstat(src->fd, &st) != 0)
		return CD_E_IO;
	src->dev = st.st_dev;
	src->ino = st.st_ino;
	src->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
	return CD_OK;
}

int
source_open(const char *path, struct source **out, char **cause)
{
	struct source *src = xcalloc(1, sizeof(*src));
	int r;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		src->fd = dup(STDIN_FILENO);
	} else {
		src->path = xstrdup(path);
		src->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (src->fd < 0) {
		*cause = xstrdup(strerror(errno));
		source_close(&src);
		return CD_E_IO;
	}
	if ((r = source_stat(src)) != CD_OK || (r = source_sniff(src)) != CD_OK) {
		*cause = xstrdup(strerror(errno));
		source_close(&src);
		return r;
	}
	*out = src;
	return CD_OK;
}

void
source_close(struct source **sp)
{
	struct source *src = *sp;

	if (src == NULL)
		return;
	if (src->codec == CODEC_GZIP)
		inflateEnd(&src->z);
	ZSTD_freeDStream(src->zs);
	if (src->fd >= 0)
		close(src->fd);
	free(src->zin);
	free(src->path);
	free(src);
	*sp = NULL;
}

static ssize_t
read_raw(struct source *src, void *buf, size_t cap)
{
	ssize_t n;

	if (src->npeek) {
		size_t k = src->npeek < cap ? src->npeek : cap;

		memcpy(buf, src->peek, k);
		memmove(src->peek, src->peek + k, src->npeek - k);
		src->npeek -= k;
		return (ssize_t)k;
	}
	do
		n = read(src->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * More compressed bytes into zin: how many, 0 at the end of the file (the
 * stream is truncated unless it ended cleanly between members or frames),
 * -1 on a read error.
 */
static ssize_t
refill(struct source *src)
{
	ssize_t n = read_raw(src, src->zin, ZIN_SIZE);

	if (n == 0 && !src->zdone)
		src->truncated = 1;
	return n;
}

static ssize_t
read_gz(struct source *src, char *buf, size_t cap)
{
	for (;;) {
		int zr;

		if (src->why != NULL)
			return 0;
		if (src->z.avail_in == 0) {
			ssize_t n = refill(src);

			if (n <= 0)
				return n;
			src->z.next_in = src->zin;
			src->z.avail_in = (uInt)n;
		}
		if (src->zdone) {
			/* another member follows (or trailing junk) */
			if (inflateReset(&src->z) != Z_OK)
				return -1;
			src->zdone = 0;
		}
		src->z.next_out = (unsigned char *)buf;
		src->z.avail_out = (uInt)cap;
		{
			uInt before = src->z.avail_in;

			zr = inflate(&src->z, Z_NO_FLUSH);
			src->zpos += before - src->z.avail_in;
		}
		if (zr == Z_STREAM_END) {
			src->zdone = 1;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			/* corrupt data: keep what came before, flag it */
			src->truncated = 1;
			src->why = src->z.msg != NULL ? src->z.msg : "corrupt gzip data";
		}
		if (cap - src->z.avail_out > 0)
			return (ssize_t)(cap - src->z.avail_out);
		if (src->why != NULL)
			return 0;
	}
}

static ssize_t
read_zstd(struct source *src, char *buf, size_t cap)
{
	for (;;) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out = { buf, cap, 0 };
		size_t zr;

		if (src->why != NULL)
			return 0;
		if (src->zin_at == src->zin_len) {
			ssize_t n = refill(src);

			if (n <= 0)
				return n;
			src->zin_at = 0;
			src->zin_len = (size_t)n;
		}
		in.src = src->zin;
		in.size = src->zin_len;
		in.pos = src->zin_at;
		zr = ZSTD_decompressStream(src->zs, &out, &in);
		src->zpos += (int64_t)(in.pos - src->zin_at);
		src->zin_at = in.pos;
		if (ZSTD_isError(zr)) {
			/* corrupt data (or a window over the limit): keep what came before */
			src->truncated = 1;
			src->why = ZSTD_getErrorCode(zr) == ZSTD_error_frameParameter_windowTooLarge
					   ? "the frame needs a window over 128 MiB; decompress it first with"
					     " `zstd -d --long=31`"
					   : ZSTD_getErrorName(zr); /* static strings */
		} else {
			/* 0: a frame just ended; the next byte may begin another */
			src->zdone = zr == 0;
		}
		if (out.pos > 0)
			return (ssize_t)out.pos;
		if (src->why != NULL)
			return 0;
	}
}

ssize_t
source_read(struct source *src, char *buf, size_t cap)
{
	switch (src->codec) {
	case CODEC_GZIP: return read_gz(src, buf, cap);
	case CODEC_ZSTD: return read_zstd(src, buf, cap);
	default: return read_raw(src, buf, cap);
	}
}

int
source_is_compressed(const struct source *src)
{
	return src->codec != CODEC_PLAIN;
}

/*
 * Would the next read return without waiting, within timeout_ms?  Always
 * for a regular file; for a pipe, socket or terminal when bytes (or the
 * end) arrive in time, or the decoder still holds input.  A live stream
 * piped in goes quiet between bursts, and the driver commits before it
 * waits, so what came so far is in the store for whoever is reading it.
 */
int
source_wait(const struct source *src, int timeout_ms)
{
	struct pollfd pfd;
	int n;

	if (src->npeek > 0 || (src->codec == CODEC_GZIP && src->z.avail_in > 0) ||
	    (src->codec == CODEC_ZSTD && src->zin_at < src->zin_len))
		return 1;
	if (src->size >= 0) /* a regular file */
		return 1;
	pfd.fd = src->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = poll(&pfd, 1, timeout_ms);
	return n != 0; /* a signal or an error, too: the read, or the driver, will see it */
}

int
source_truncated(const struct source *src)
{
	return src->truncated;
}

const char *
source_error(const struct source *src)
{
	return src->why;
}

int64_t
source_size(const struct source *src)
{
	return src->size;
}

int64_t
source_compressed_pos(const struct source *src)
{
	return src->zpos;
}

int
source_fd(const struct source *src)
{
	return src->fd;
}

int
source_skip(struct source *src, int64_t n)
{
	char tmp[65536];

	if (src->codec == CODEC_PLAIN && src->path != NULL && n >= (int64_t)src->npeek) {
		/* plain file: seek past the sniffed bytes and the rest */
		if (lseek(src->fd, (off_t)n, SEEK_SET) == (off_t)n) {
			src->npeek = 0;
			return CD_OK;
		}
	}
	while (n > 0) {
		ssize_t k = source_read(src, tmp, n < (int64_t)sizeof(tmp) ? (size_t)n : sizeof(tmp));

		if (k <= 0)
			return CD_E_IO;
		n -= k;
	}
	return CD_OK;
}

/*
 * --follow: what changed on disk since we read consumed bytes of this file.
 * Another file at the path is a rotation.  This file smaller than what we
 * read, or no longer starting with the bytes we fingerprinted, was emptied
 * and written again (truncate, copytruncate): a refill with more bytes than
 * were read before is no smaller than our offset, so size alone misses it.
 * The fingerprint grows with what was read, up to head_max bytes; the
 * bytes compared and the bytes hashed for the longer fingerprint come from
 * one read, so a refill between the two cannot be taken for ours.
 */
enum source_change
source_check(struct source *src, int64_t consumed, int64_t *head_len, unsigned char head_sha[32],
	     size_t head_max)
{
	unsigned char buf[8192], got_sha[32];
	struct stat st, fst;
	size_t want, got = 0;

	if (src->path == NULL || src->codec != CODEC_PLAIN)
		return SRC_SAME;
	if (stat(src->path, &st) == 0 && (st.st_ino != src->ino || st.st_dev != src->dev))
		return SRC_ROTATED;
	if (fstat(src->fd, &fst) != 0 || !S_ISREG(fst.st_mode))
		return SRC_SAME;
	if (fst.st_size < consumed)
		return SRC_TRUNCATED;
	want = consumed < (int64_t)head_max ? (size_t)consumed : head_max;
	if (want > sizeof(buf))
		want = sizeof(buf);
	while (got < want) {
		ssize_t n = pread(src->fd, buf + got, want - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (*head_len > 0) {
		if ((int64_t)got < *head_len)
			return SRC_TRUNCATED;
		sha256(buf, (size_t)*head_len, got_sha);
		if (memcmp(got_sha, head_sha, 32) != 0)
			return SRC_TRUNCATED;
	}
	if ((int64_t)got > *head_len) {
		*head_len = (int64_t)got;
		sha256(buf, got, head_sha);
	}
	return SRC_SAME;
}

int
source_reopen(struct source *src, char **cause)
{
	int fd = open(src->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		*cause = xstrdup(strerror(errno));
		return CD_E_IO;
	}
	close(src->fd);
	src->fd = fd;
	src->npeek = 0;
	return source_stat(src);
}

int
source_rewind(struct source *src)
{
	src->npeek = 0;
	if (lseek(src->fd, 0, SEEK_SET) != 0)
		return CD_E_IO;
	return source_stat(src);
}
