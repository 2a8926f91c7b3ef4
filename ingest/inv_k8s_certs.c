/*
 * inv_k8s_certs.c - cert-manager Certificate objects in the Kubernetes
 * inventory (`kubectl get certificates.cert-manager.io -A -o json`).
 *
 * cert-manager writes each Certificate's key and certificate into the
 * Secret its spec.secretName names, and re-issues it (a new private key
 * under rotationPolicy Always) when asked: the Certificate, not the
 * Secret, is what a re-issue takes, and the two are often named apart
 * (web-cert writes web-tls).  So:
 *   cert-manager:NS/NAME  writes  secret k8s-secret:NS/SECRET
 * with the issuer, names and expiry in the Certificate node's attributes.
 * The edge runs from the Certificate to the Secret: holding the Secret
 * gives nothing of the Certificate object.
 */
#include <stdlib.h>
#include <string.h>

#include "inv.h"

int
inv_k8s_certificate(struct inv_ctx *c, const struct json_doc *d, int obj, const char *ns,
		    const char *name, int *loaded)
{
	char *api = inv_path(d, obj, "apiVersion"), *secret = inv_path(d, obj, "spec.secretName");
	char *issuer = inv_path(d, obj, "spec.issuerRef.name"), *ikind = inv_path(d, obj, "spec.issuerRef.kind");
	char *cn = inv_path(d, obj, "spec.commonName"), *after = inv_path(d, obj, "status.notAfter");
	char *rev = inv_path(d, obj, "status.revision");
	char *dns = inv_strlist(d, json_path(d, obj, "spec.dnsNames"));
	char *key = NULL, *loc = NULL, *label = NULL, *attrs = NULL;
	int rc = CD_OK;

	*loaded = 0;
	/* another API group's Certificate is no cert-manager object */
	if (api == NULL || strncmp(api, "cert-manager.io/", 16) != 0)
		goto out;
	if (secret == NULL || *secret == '\0' || strchr(secret, '/') != NULL) {
		rc = inv_fail(c, inv_off(d, obj), "Certificate %s/%s without a spec.secretName (or with a '/' in it)",
			      ns, name);
		goto out;
	}
	{
		const struct inv_attr kv[] = {
			{ "secret_name", secret }, { "issuer", issuer }, { "issuer_kind", ikind },
			{ "common_name", cn }, { "dns_names", dns }, { "not_after", after }, { "revision", rev },
		};

		attrs = inv_attrs(kv, sizeof(kv) / sizeof(kv[0]));
	}
	key = xstrdupf("%s/%s", ns, name);
	loc = xstrdupf("k8s-secret:%s/%s", ns, secret);
	label = xstrdupf("cert-manager Certificate (issuer %s/%s)", ikind ? ikind : "Issuer",
			 issuer ? issuer : "?");
	if (graph_tx_node(c->tx, "cert-manager", key, "k8s", label, attrs) < 0 ||
	    graph_tx_node(c->tx, "secret", loc, "k8s", NULL, NULL) < 0)
		rc = CD_E_DB;
	else
		rc = graph_link(c->tx, "cert-manager", key, "writes", "secret", loc, 0,
				"cert-manager: spec.secretName");
	*loaded = rc == CD_OK;
out:
	free(api);
	free(secret);
	free(issuer);
	free(ikind);
	free(cn);
	free(after);
	free(rev);
	free(dns);
	free(key);
	free(loc);
	free(label);
	free(attrs);
	return rc;
}
