/*
 * vault_pki.c - revoke a certificate a Vault PKI mount issued, by serial,
 * and prove it: the mount's CRL, signed by the mount's CA, lists it.
 *
 * A serial reaches a responder in several spellings: sshd and Vault's cert
 * auth method log it in decimal, Vault PKI prints colon-separated hex,
 * openssl prints plain hex.  All of them are normalised to the one Vault
 * uses ("3a:0f:..", lowercase, whole bytes) before anything is sent, and
 * compared as integers against the CRL.
 *
 * "Already revoked" is proven the same way as everywhere else: the mount
 * must know the serial (GET cert/SERIAL), its revocation_time must be set
 * and the signed CRL must list it.  A serial the mount never issued is a
 * failure, never "already".  Revocation in a PKI cannot be taken back, so
 * there is no undo.
 */
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define SERIAL_MAX_BYTES 20 /* RFC 5280 4.1.2.2 */

/* MOUNT/SERIAL into the mount and the serial as a BIGNUM. */
static int
pki_target(const char *target, char *mount, size_t cap, BIGNUM **serial,
	   struct conn_result *res)
{
	const char *slash = strrchr(target, '/'), *s;
	char digits[128];
	size_t i, n = 0;
	int hex = 0, colon = 0;

	*serial = NULL;
	if (slash == NULL || slash == target || (size_t)(slash - target) >= cap)
		goto bad;
	memcpy(mount, target, (size_t)(slash - target));
	mount[slash - target] = '\0';
	if (!ident_ok(mount, "-_/.", 128))
		goto bad;
	s = slash + 1;
	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0) {
		hex = 1;
		s += 2;
	}
	for (i = 0; s[i] != '\0'; i++) {
		char ch = s[i];

		if (ch == ':' || ch == '-') {
			colon = hex = 1;
			continue;
		}
		if ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))
			hex = 1;
		else if (ch < '0' || ch > '9')
			goto bad;
		if (n + 1 >= sizeof(digits))
			goto bad;
		digits[n++] = ch;
	}
	digits[n] = '\0';
	(void)colon;
	/* only digits, no 0x, no separators: decimal, as sshd and cert auth log it */
	if (n == 0 || (hex ? BN_hex2bn(serial, digits) : BN_dec2bn(serial, digits)) != (int)n ||
	    BN_num_bytes(*serial) > SERIAL_MAX_BYTES || BN_is_zero(*serial))
		goto bad;
	return CD_OK;
bad:
	BN_free(*serial);
	*serial = NULL;
	res_detail(res, "'%s' is not MOUNT/SERIAL (the serial in decimal, hex, or colon-separated "
			"hex, at most 20 bytes)",
		   target);
	return CD_E_USAGE;
}

/* The serial as Vault spells it: "3a:0f:..". */
static void
pki_serial_str(const BIGNUM *serial, char *out, size_t cap)
{
	unsigned char b[SERIAL_MAX_BYTES];
	int n = BN_bn2bin(serial, b), i;
	size_t o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%02x", i ? ":" : "", b[i]);
}

/* GET MOUNT/cert/SERIAL: 1 known (*revoked set), 0 unknown, -1 error. */
static int
pki_cert(struct conn *c, const char *mount, const char *ser, int *revoked, char *when,
	 size_t cap, struct conn_result *res)
{
	char path[400], rt[32];
	struct api_out o;
	int r;

	snprintf(path, sizeof(path), "/v1/%s/cert/%s", mount, ser);
	r = vault_call(c, "GET", path, NULL, NULL, 1, &o, res);
	r = api_present(r, &o, "GET cert", res);
	*revoked = 0;
	if (r == 1) {
		if (json_body_str(&o.rs.body, "data.revocation_time", rt, sizeof(rt)) == 0 &&
		    strcmp(rt, "0") != 0 && rt[0] != '\0')
			*revoked = 1;
		json_body_str(&o.rs.body, "data.revocation_time_rfc3339", when, cap);
	}
	http_resp_release(&o.rs);
	return r;
}

/* The mount's CA and CRL, the CRL's signature checked: 1 listed, 0 not
 * listed, -1 the CRL could not be read or verified (res says why). */
static int
pki_crl_lists(struct conn *c, const char *mount, const BIGNUM *serial, struct conn_result *res)
{
	char path[400];
	struct api_out o;
	X509_CRL *crl = NULL;
	X509 *ca = NULL;
	EVP_PKEY *key = NULL;
	ASN1_INTEGER *ai = NULL;
	X509_REVOKED *rv = NULL;
	BIO *bio;
	const unsigned char *p;
	int r = -1;

	snprintf(path, sizeof(path), "/v1/%s/ca/pem", mount);
	if (vault_call(c, "GET", path, NULL, NULL, 1, &o, res) != CD_OK || o.rs.status != 200) {
		api_fail(res, &o, "GET ca/pem");
		http_resp_release(&o.rs);
		return -1;
	}
	if ((bio = BIO_new_mem_buf(o.rs.body.data, (int)o.rs.body.len)) != NULL) {
		ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	http_resp_release(&o.rs);
	if (ca == NULL || (key = X509_get_pubkey(ca)) == NULL) {
		res_detail(res, "verification: %s/ca/pem is not a PEM certificate", mount);
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/%s/crl", mount);
	if (vault_call(c, "GET", path, NULL, NULL, 1, &o, res) != CD_OK || o.rs.status != 200) {
		api_fail(res, &o, "GET crl");
		http_resp_release(&o.rs);
		goto out;
	}
	p = (const unsigned char *)o.rs.body.data;
	crl = d2i_X509_CRL(NULL, &p, (long)o.rs.body.len);
	http_resp_release(&o.rs);
	if (crl == NULL) {
		res_detail(res, "verification: %s/crl is not a DER CRL", mount);
		goto out;
	}
	if (X509_CRL_verify(crl, key) != 1 ||
	    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)) != 0) {
		res_detail(res, "verification: %s/crl is not signed by the mount's CA", mount);
		goto out;
	}
	if ((ai = BN_to_ASN1_INTEGER(serial, NULL)) == NULL)
		goto out;
	r = X509_CRL_get0_by_serial(crl, &rv, ai) == 1;
out:
	ASN1_INTEGER_free(ai);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(ca);
	return r;
}

/* 400: "certificate with serial .. not found" after our read saw it: raced. */
static const struct api_expect pki_revoked = {
	.what = "revoke", .ok = { 200, 204 },
};

/* Implements conn_action::run for revoke-cert. */
int
vault_revoke_cert(struct conn *c, const char *target, struct conn_result *res)
{
	char mount[160], ser[80], body[200], path[300], when[64] = "";
	BIGNUM *serial = NULL;
	struct api_out o;
	int r, revoked = 0, acted;

	if (pki_target(target, mount, sizeof(mount), &serial, res) != CD_OK)
		return CD_E_USAGE;
	pki_serial_str(serial, ser, sizeof(ser));
	if (!c->opts->dry_run) {
		r = pki_cert(c, mount, ser, &revoked, when, sizeof(when), res);
		if (r < 0)
			goto out;
		if (r == 0) {
			res->outcome = CONN_FAILED;
			res_detail(res, "mount %s never issued serial %s (404): another CA's certificate, "
					"a mistyped serial, or a tidied-up expired one; nothing to revoke here",
				   mount, ser);
			goto out;
		}
		if (revoked && pki_crl_lists(c, mount, serial, res) == 1) {
			res->outcome = CONN_ALREADY;
			res_verified(res, "serial %s revoked at %s, listed in the signed CRL of %s", ser,
				     when[0] ? when : "?", mount);
			goto out;
		}
	}
	snprintf(path, sizeof(path), "/v1/%s/revoke", mount);
	snprintf(body, sizeof(body), "{\"serial_number\":\"%s\"}", ser);
	acted = api_acted(vault_call(c, "POST", path, body, NULL, 1, &o, res), &o, &pki_revoked, res);
	if (acted == ACTED_FAILED || acted == ACTED_DRYRUN)
		goto out;
	r = pki_cert(c, mount, ser, &revoked, when, sizeof(when), res);
	if (r == 1 && revoked && (r = pki_crl_lists(c, mount, serial, res)) == 1) {
		res->outcome = CONN_DONE;
		res_verified(res, "serial %s revoked at %s, listed in the signed CRL of %s", ser,
			     when[0] ? when : "?", mount);
	} else if (r >= 0) {
		res->outcome = CONN_FAILED;
		res_detail(res, "verification: serial %s is %s", ser,
			   revoked ? "revoked but not in the mount's CRL yet" : "not revoked");
	} else {
		res->outcome = CONN_FAILED;
	}
out:
	BN_free(serial);
	return CD_OK;
}
