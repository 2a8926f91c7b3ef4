/*
 * ssh_ca.c - what the SSH connector needs to revoke a certificate by its
 * serial: the target ("SHA256:CA_FINGERPRINT/SERIAL", the CA as sshd logs
 * it after "CA", the serial in decimal as it logs it in "(serial N)") and
 * the CA's public key, which a KRL's certificate section holds whole while
 * sshd's log and cordon's plan name it only by its fingerprint.  The key
 * is the one a section of the KRL already has with that fingerprint, else
 * the one in CORDON_SSH_CA_KEYS (sshd's TrustedUserCAKeys file: one public
 * key a line, "TYPE BASE64 [COMMENT]").
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define CA_KEYS_MAX ((size_t)4 << 20)
#define CA_LINE_MAX 16384

int
ssh_cert_target(const char *t, unsigned char fp[KRL_FP_LEN], uint64_t *serial)
{
	char fps[64];
	const char *p, *end;

	/* the fingerprint's base64 may hold '/': it is 7 + 43 characters */
	if (strlen(t) < 52 || t[50] != '/')
		return -1;
	memcpy(fps, t, 50);
	fps[50] = '\0';
	if (krl_fp_parse(fps, fp) != 0)
		return -1;
	p = t + 51;
	end = p + strlen(p);
	if (p == end || *p == '0' || str_uint64(&p, end, serial, UINT64_MAX) != CD_OK || p != end)
		return -1;
	return 0;
}

static int
blob_is(const unsigned char *b, size_t n, const unsigned char fp[KRL_FP_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	return n > 0 && EVP_Digest(b, n, md, &mdlen, EVP_sha256(), NULL) && mdlen == KRL_FP_LEN &&
	       memcmp(md, fp, KRL_FP_LEN) == 0;
}

/* One line of a CA keys file: its key's blob into out (cap), length or -1. */
static int
line_blob(const char *p, const char *end, unsigned char *out, size_t cap)
{
	const char *w;
	int n, pad;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return -1;
	while (p < end && *p != ' ' && *p != '\t') /* the type */
		p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (w = p; w < end && *w != ' ' && *w != '\t' && *w != '\r'; w++)
		;
	if (w == p || (w - p) % 4 != 0 || (size_t)(w - p) / 4 * 3 > cap)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)p, (int)(w - p));
	pad = (w[-1] == '=') + (w - p > 1 && w[-2] == '=');
	return n < pad ? -1 : n - pad;
}

int
ssh_ca_find(const struct krl *k, const char *ca_keys, const unsigned char fp[KRL_FP_LEN],
	    unsigned char **blob, size_t *len, char **cause)
{
	char *data = NULL, *why = NULL;
	const char *p, *end;
	size_t i, n = 0;
	unsigned char *b;

	*blob = NULL;
	for (i = 0; i < k->nca; i++)
		if (blob_is(k->ca[i].key, k->ca[i].key_len, fp)) {
			*blob = xmalloc(k->ca[i].key_len);
			memcpy(*blob, k->ca[i].key, k->ca[i].key_len);
			*len = k->ca[i].key_len;
			return CD_OK;
		}
	if (ca_keys == NULL) {
		*cause = xstrdup("no section of the KRL holds that CA, and CORDON_SSH_CA_KEYS is not set "
				 "(sshd's TrustedUserCAKeys file: the CA's public key is what a KRL lists "
				 "serials under)");
		return CD_E_NOTFOUND;
	}
	if (file_read(ca_keys, CA_KEYS_MAX, &data, &n, &why) != CD_OK) {
		*cause = xstrdupf("CORDON_SSH_CA_KEYS %s: %s", ca_keys, why ? why : "unreadable");
		free(why);
		return CD_E_IO;
	}
	b = xmalloc(CA_LINE_MAX);
	for (p = data, end = data + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		int got = (size_t)(eol - p) < CA_LINE_MAX ? line_blob(p, eol, b, CA_LINE_MAX) : -1;

		if (got > 0 && blob_is(b, (size_t)got, fp)) {
			*blob = b;
			*len = (size_t)got;
			free(data);
			return CD_OK;
		}
		p = nl ? nl + 1 : end;
	}
	free(b);
	free(data);
	*cause = xstrdupf("no CA key with that fingerprint in CORDON_SSH_CA_KEYS %s, nor in the KRL",
			  ca_keys);
	return CD_E_NOTFOUND;
}
