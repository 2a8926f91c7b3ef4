/*
 * buf.c - the one growable buffer, always with a size cap.
 *
 * Every buffer fed by untrusted data is created with the largest size it
 * may legitimately reach; passing it is an error for the caller to report.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

void
buf_init(struct buf *b, size_t max)
{
	b->alloc = 64;
	b->data = xmalloc(b->alloc);
	b->data[0] = '\0';
	b->len = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t need)
{
	size_t want;

	if (need > b->max)
		return CD_E_LIMIT;
	if (need + 1 <= b->alloc)
		return CD_OK;
	want = b->alloc;
	while (want < need + 1)
		want = want < SIZE_MAX / 2 ? want * 2 : need + 1;
	if (want > b->max + 1)
		want = b->max + 1;
	b->data = xrealloc(b->data, want);
	b->alloc = want;
	return CD_OK;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	int r;

	if (n > b->max - b->len)
		return CD_E_LIMIT;
	if ((r = buf_grow(b, b->len + n)) != CD_OK)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CD_OK;
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CD_E_INTERNAL;
	if ((size_t)n > b->max - b->len)
		return CD_E_LIMIT;
	if ((r = buf_grow(b, b->len + (size_t)n)) != CD_OK)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return CD_OK;
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->data;

	if (len != NULL)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}

void
buf_consume(struct buf *b, size_t n)
{
	CD_BUG_ON(n > b->len);
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}
