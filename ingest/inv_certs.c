/*
 * inv_certs.c - a certificate inventory: PEM certificates (a bundle of
 * "-----BEGIN CERTIFICATE-----" blocks, as `kubectl get secret -o
 * jsonpath='{.data.tls\.crt}' | base64 -d` or a CA's issued/ directory
 * gives them), parsed with libcrypto.
 *
 * Each relying party names one certificate its own way: the credential
 * map and Vault by serial, the Kubernetes API server by the SHA-256 of
 * the DER certificate (user.extra credential-id "X509SHA256=<hex>"), and
 * its user by the subject: CN is the user name, each O a group.  The
 * inventory ties them together:
 *   x509:X509SERIAL=HEX  same-as         x509:X509SHA256=HEX
 *   x509:X509SERIAL=HEX  authenticates-as k8s:CN   member-of k8s:group:O
 * so an exposed certificate's use in Kubernetes audit is its use, and its
 * reach goes through RBAC from its user and its groups.  Private keys in
 * the same file are skipped unread.
 */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "inv.h"

#define CERT_BEGIN "-----BEGIN CERTIFICATE-----"
#define CERTS_MAX 100000 /* certificates in one file */

/* Implements inventory::probe */
static int
certs_probe(const char *head, size_t len)
{
	/* a PEM bundle holds nothing any log format would */
	if (memmem(head, len, CERT_BEGIN, sizeof(CERT_BEGIN) - 1) != NULL)
		return 90;
	return 0;
}

/* The n-th entry of nid in the subject as a new UTF-8 string, or NULL. */
static char *
name_entry(X509_NAME *nm, int nid, int *last)
{
	X509_NAME_ENTRY *e;
	unsigned char *u = NULL;
	char *s;
	int i = X509_NAME_get_index_by_NID(nm, nid, *last), n;

	if (i < 0)
		return NULL;
	*last = i;
	e = X509_NAME_get_entry(nm, i);
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
	if (n < 0)
		return NULL;
	s = xstrndup((const char *)u, (size_t)n);
	OPENSSL_free(u);
	/* a name with a NUL or a control byte is no Kubernetes user */
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			free(s);
			return NULL;
		}
	return s;
}

/* One certificate into the graph. */
static int
cert_one(struct inv_ctx *c, X509 *x, int64_t off)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], id[CREDID_MAX], *skey = NULL, *hkey = NULL, *cn = NULL;
	char *ukey = NULL, *attrs = NULL, *label = NULL;
	BIGNUM *bn = NULL;
	char *bnhex = NULL;
	X509_NAME *subj = X509_get_subject_name(x);
	int derlen, last = -1, rc = CD_E_PARSE;

	derlen = i2d_X509(x, &der);
	if (derlen <= 0 || !EVP_Digest(der, (size_t)derlen, md, &mdlen, EVP_sha256(), NULL)) {
		rc = inv_fail(c, off, "certificate could not be encoded for its SHA-256");
		goto out;
	}
	hex_encode(md, mdlen, hex);
	bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
	bnhex = bn ? BN_bn2hex(bn) : NULL;
	{
		/* BN_bn2hex's "1234" would read as decimal: say it is hex */
		char tmp[CREDID_MAX + 4];

		if (bnhex == NULL || bnhex[0] == '-' || strlen(bnhex) + 3 > sizeof(tmp) ||
		    (snprintf(tmp, sizeof(tmp), "0x%s", bnhex),
		     credid_x509_serial(tmp, strlen(tmp), id, sizeof(id)) != CD_OK)) {
			rc = inv_fail(c, off, "certificate serial is negative or longer than 32 bytes");
			goto out;
		}
	}
	skey = xstrdupf("x509:%s", id);
	hkey = xstrdupf("x509:X509SHA256=%s", hex);
	cn = name_entry(subj, NID_commonName, &last);
	label = cn ? xstrdupf("certificate CN=%s", cn) : xstrdup("certificate");
	attrs = xstrdupf("{\"sha256\":\"%s\"}", hex);
	rc = CD_OK;
	if (graph_tx_node(c->tx, "credential", skey, "x509", label, attrs) < 0 ||
	    graph_tx_node(c->tx, "credential", hkey, "x509", label, NULL) < 0) {
		rc = CD_E_DB;
		goto out;
	}
	/* Kubernetes names the certificate by its hash: the same credential */
	rc = graph_link(c->tx, "credential", skey, "same-as", "credential", hkey, 0,
			"certificate inventory: SHA-256 of the DER certificate");
	if (rc == CD_OK && cn != NULL && *cn) {
		char *grp;
		int glast = -1;

		ukey = xstrdupf("k8s:%s", cn);
		rc = graph_link(c->tx, "credential", skey, "authenticates-as", "identity", ukey, 0,
				"certificate subject CN (a Kubernetes client-certificate user)");
		while (rc == CD_OK && (grp = name_entry(subj, NID_organizationName, &glast)) != NULL) {
			char *gkey = xstrdupf("k8s:group:%s", grp);

			if (*grp)
				rc = graph_link(c->tx, "identity", ukey, "member-of", "identity", gkey, 0,
						"certificate subject O (a Kubernetes group)");
			free(gkey);
			free(grp);
		}
	}
	c->objects++;
out:
	OPENSSL_free(der);
	OPENSSL_free(bnhex);
	BN_free(bn);
	free(skey);
	free(hkey);
	free(cn);
	free(ukey);
	free(attrs);
	free(label);
	return rc;
}

/* Implements inventory::load */
static int
certs_load(struct inv_ctx *c)
{
	const char *p = c->data, *end = c->data + c->len;
	int rc = CD_OK;

	while (rc == CD_OK && p < end) {
		const char *b = memmem(p, (size_t)(end - p), CERT_BEGIN, sizeof(CERT_BEGIN) - 1);
		int64_t off;
		BIO *bio;
		X509 *x;

		if (b == NULL)
			break;
		off = (int64_t)(b - c->data);
		if (c->objects >= CERTS_MAX)
			return inv_fail(c, off, "more than %d certificates in one file", CERTS_MAX);
		bio = BIO_new_mem_buf(b, (int)((size_t)(end - b) > (size_t)1 << 30 ? (size_t)1 << 30 : (size_t)(end - b)));
		if (bio == NULL)
			return CD_E_NOMEM;
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		ERR_clear_error(); /* the reason is ours to give, once */
		if (x == NULL)
			return inv_fail(c, off, "PEM certificate block that libcrypto cannot parse");
		rc = cert_one(c, x, off);
		X509_free(x);
		p = b + sizeof(CERT_BEGIN) - 1;
	}
	if (rc == CD_OK && c->objects == 0)
		return inv_fail(c, -1, "no PEM certificate in the file");
	return rc;
}

const struct inventory inv_certs = {
	.name = "x509-certs",
	.summary = "inventory: PEM certificates (serial, SHA-256 of the DER, subject CN and O as a Kubernetes user and groups)",
	.probe = certs_probe,
	.load = certs_load,
};
