/*
 * sha256.c - SHA-256 through libcrypto (already linked by libcurl), which
 * uses the CPU's SHA extensions where present: 4-6x the portable C this
 * file used to hold, on the 1 KB records ingest hashes for dedup keys.
 *
 * Used for record dedup keys (a crafted log line must not be able to
 * collide with, and so suppress, another record), file fingerprints and
 * incident ids.  The digest's one fetch is shared by every thread.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "core.h"

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
md(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	if (sha256_md == NULL)
		cd_fatal("libcrypto has no SHA-256");
	return sha256_md;
}

void
sha256_init(struct sha256 *c)
{
	if ((c->ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(c->ctx, md(), NULL) != 1)
		cd_fatal("libcrypto: cannot start a SHA-256");
}

void
sha256_update(struct sha256 *c, const void *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(c->ctx, p, n) != 1)
		cd_fatal("libcrypto: SHA-256 update failed");
}

void
sha256_final(struct sha256 *c, unsigned char out[32])
{
	unsigned int n = 32;

	if (EVP_DigestFinal_ex(c->ctx, out, &n) != 1 || n != 32)
		cd_fatal("libcrypto: SHA-256 final failed");
	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
}

void
sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;

	if (EVP_Digest(p, n, out, &len, md(), NULL) != 1 || len != 32)
		cd_fatal("libcrypto: SHA-256 failed");
}
