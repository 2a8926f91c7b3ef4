/*
 * credid.c - one spelling per key-material credential id.
 *
 * A certificate reaches the store from several places, each spelling its
 * serial its own way: Vault's cert auth method and sshd log it in decimal,
 * Vault PKI prints colon-separated hex, openssl plain hex.  Matching a
 * read of the key to the certificate's later use needs one id, so every
 * spelling becomes "X509SERIAL=" + lowercase hex of the serial's bytes
 * (whole bytes, leading zero bytes dropped): the form Kubernetes uses for
 * its own certificate credential ids ("X509SHA256=..."), so both kinds
 * read alike.
 */
#include <string.h>

#include "core.h"

#define SERIAL_BYTES 32 /* RFC 5280 allows 20; some CAs write a few more */

/* Big-endian bytes *= mul, += add; non-zero when it no longer fits. */
static int
muladd(unsigned char *b, size_t n, unsigned mul, unsigned add)
{
	size_t i = n;
	unsigned carry = add;

	while (i-- > 0) {
		unsigned v = (unsigned)b[i] * mul + carry;

		b[i] = (unsigned char)(v & 0xff);
		carry = v >> 8;
	}
	return carry != 0;
}

int
credid_x509_serial(const char *in, size_t n, char *out, size_t cap)
{
	static const char pfx[] = "X509SERIAL=";
	unsigned char b[SERIAL_BYTES];
	const char *p = in, *end = in + n;
	int hex = 0, digits = 0;
	size_t i, first;

	memset(b, 0, sizeof(b));
	if (n >= sizeof(pfx) - 1 && memcmp(in, pfx, sizeof(pfx) - 1) == 0) {
		p += sizeof(pfx) - 1;
		hex = 1;
	} else if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		hex = 1;
	}
	/* a letter or a separator says hex; digits alone are decimal (the logs'
	 * spelling), so an all-digit hex serial needs 0x or colons */
	for (i = 0; p + i < end; i++) {
		int c = p[i];

		if (c == ':' || c == '-' || (hexval(c) >= 10))
			hex = 1;
		else if (hexval(c) < 0)
			return CD_E_PARSE;
	}
	for (; p < end; p++) {
		if (*p == ':' || *p == '-')
			continue;
		if (muladd(b, sizeof(b), hex ? 16u : 10u, (unsigned)hexval(*p)))
			return CD_E_LIMIT;
		digits++;
	}
	if (digits == 0)
		return CD_E_PARSE;
	for (first = 0; first + 1 < sizeof(b) && b[first] == 0; first++)
		;
	if (cap < sizeof(pfx) + 2 * (sizeof(b) - first))
		return CD_E_LIMIT;
	memcpy(out, pfx, sizeof(pfx) - 1);
	hex_encode(b + first, sizeof(b) - first, out + sizeof(pfx) - 1);
	return CD_OK;
}

const char *
credid_kind(const char *id)
{
	if (id == NULL)
		return NULL;
	if (strncmp(id, "X509SERIAL=", 11) == 0 || strncmp(id, "X509SHA256=", 11) == 0)
		return "x509";
	if (strncmp(id, "SHA256:", 7) == 0)
		return "ssh";
	if (strncmp(id, "spiffe://", 9) == 0)
		return "spiffe";
	return NULL;
}
