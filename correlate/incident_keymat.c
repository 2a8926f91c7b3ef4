/*
 * incident_keymat.c - key material and exchanged tokens in an incident
 * (issue 20).
 *
 * A Vault login through the cert, aws, gcp or kubernetes method trades one
 * credential for another, and the graph keeps the trade (graph_learn.c:
 * new accessor -> exchanged-for -> certificate or identity).  Whoever holds
 * the certificate logs in again, and whoever holds the token acts as what
 * the login mapped it to, so an exposed one brings the other into the
 * incident: tokens minted from an exposed certificate after the exposure
 * from outside its address history, the certificate behind an exposed
 * token.  An identity a login presented (an AWS role, a service account)
 * stays a graph link for whois and reach: holding the token is not holding
 * that identity's credential.
 *
 * The plan cuts each kind with the action that exists for it: a Vault PKI
 * certificate by serial (the credential map names its mount), a
 * cert-manager certificate re-issued with a new key (its Secret is where
 * the map puts it), an SSH key into the CA's revocation list, a SPIFFE
 * registration entry deleted and its agent evicted (incident_spire.c); a
 * signing key has no API here and is a
 * manual rotation.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"

#define KEYMAT_SKEW_NS ((int64_t)120 * 1000000000LL) /* clocks of different sources */
#define KEYMAT_LIVE_NS ((int64_t)12 * 3600 * 1000000000LL) /* a token's usual longest life */

/* "x509:X509SERIAL=..." -> provider and id (NULL id when no colon). */
static const char *
key_split(const char *key, char *prov, size_t cap)
{
	const char *c = strchr(key, ':');
	size_t n = c ? (size_t)(c - key) : 0;

	if (c == NULL || n >= cap)
		return NULL;
	memcpy(prov, key, n);
	prov[n] = '\0';
	return c + 1;
}

static int
keymat_provider(const char *p)
{
	return strcmp(p, "x509") == 0 || strcmp(p, "ssh") == 0 || strcmp(p, "spiffe") == 0 ||
	       strcmp(p, "signing") == 0;
}

int
keymat_identity(const struct cred *cr)
{
	return keymat_provider(cr->provider) && cr->identity != NULL && strchr(cr->identity, ':') != NULL;
}

void
keymat_aliases(sqlite3 *db, const char *id, struct strv *ids)
{
	sqlite3_stmt *st;
	const char *kind = credid_kind(id);

	if (kind == NULL || strcmp(kind, "x509") != 0 ||
	    sqlite3_prepare_v2(db,
			       "SELECT d.key FROM graph_nodes s JOIN graph_edges e ON e.src = s.id"
			       " AND e.type = 'same-as' JOIN graph_nodes d ON d.id = e.dst"
			       " WHERE s.kind = 'credential' AND s.key = 'x509:' || ?1"
			       " UNION SELECT s.key FROM graph_nodes d JOIN graph_edges e ON e.dst = d.id"
			       " AND e.type = 'same-as' JOIN graph_nodes s ON s.id = e.src"
			       " WHERE d.kind = 'credential' AND d.key = 'x509:' || ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		if (k != NULL && strncmp(k, "x509:", 5) == 0)
			strv_add_unique(ids, k + 5);
	}
	sqlite3_finalize(st);
}

void
keymat_merge_aliases(sqlite3 *db, struct incident *inc)
{
	size_t i, j, a;

	for (i = 0; i < inc->ncr; i++) {
		struct strv ids = { 0 };

		if (strncmp(inc->cr[i].id, "X509SERIAL=", 11) != 0)
			continue;
		keymat_aliases(db, inc->cr[i].id, &ids);
		for (j = 0; j < inc->ncr; j++) {
			struct cred *o = &inc->cr[j];
			int same = 0;

			for (a = 0; a < ids.n && j != i; a++)
				same |= strcmp(o->id, ids.s[a]) == 0;
			if (!same)
				continue;
			/* one certificate, one credential: under its serial (what
			 * revoke-cert takes), exposed when either was */
			if (o->exposed_ts < inc->cr[i].exposed_ts)
				inc->cr[i].exposed_ts = o->exposed_ts;
			for (a = 0; a < o->evidence.n; a++)
				strv_add_unique(&inc->cr[i].evidence, o->evidence.s[a]);
			if (inc->cr[i].confidence == NULL || o->confidence == NULL)
				inc->cr[i].confidence = NULL; /* stated beats learned */
			free(o->provider);
			free(o->id);
			free(o->identity);
			strv_release(&o->anomalies);
			strv_release(&o->evidence);
			memmove(o, o + 1, (inc->ncr - j - 1) * sizeof(*o));
			inc->ncr--;
			if (j < i)
				i--;
			j--;
		}
		strv_release(&ids);
	}
}

/* A token's identity as its login named it (the display name). */
static void
own_identity(sqlite3 *db, const char *tkey, struct cred *cr)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT i.key FROM graph_nodes c JOIN graph_edges e ON e.src = c.id"
			       " AND e.type = 'authenticates-as' JOIN graph_nodes i ON i.id = e.dst"
			       " AND i.kind = 'identity' WHERE c.kind = 'credential' AND c.key = ?1"
			       " ORDER BY e.id LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, tkey, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		const char *k = (const char *)sqlite3_column_text(st, 0), *c = strchr(k, ':');

		free(cr->identity);
		cr->identity = xstrdup(c ? c + 1 : k);
	}
	sqlite3_finalize(st);
}

/* Whether credential id was used from ip before ts (its history). */
static int
seen_before(sqlite3 *db, const char *id, const char *ip, int64_t ts)
{
	sqlite3_stmt *st;
	int r = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM events WHERE cred_id = ?1 AND src_ip = ?2 AND ts_ns < ?3 LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts - KEYMAT_SKEW_NS);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

/*
 * One credential's trades: add the other side.  A token
 * issued for an exposed certificate counts only when its login
 * came after the exposure: the holder of the stolen one minted it, while
 * the owner's routine logins before (a Vault agent's, every hour) hold
 * tokens the escape never saw.
 */
static void
trades_of(sqlite3 *db, sqlite3_stmt *st, struct incident *inc, const char *key, int64_t ts)
{
	sqlite3_bind_text(st, 1, "credential", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *okind = (const char *)sqlite3_column_text(st, 0);
		const char *okey = (const char *)sqlite3_column_text(st, 1);
		int out = sqlite3_column_int(st, 2);
		int64_t login = sqlite3_column_type(st, 3) == SQLITE_NULL ? INT64_MIN
									 : sqlite3_column_int64(st, 3);
		const char *id;
		char prov[32], line[1400];
		struct cred *cr;
		size_t before = inc->ncr;

		if (okind == NULL || okey == NULL)
			continue;
		/* an identity a login presented (an AWS role, a service account) is
		 * no credential the token's holder has: the graph keeps the link
		 * for whois and reach, the incident does not widen by it */
		if (strcmp(okind, "credential") != 0)
			continue;
		if (!out && login < ts - KEYMAT_SKEW_NS)
			continue;
		/* a login from an address the credential logged in from before its
		 * exposure is its owner's routine (the same Vault agent, after the
		 * escape as before): only one from outside that history joins */
		if (!out && sqlite3_column_type(st, 4) != SQLITE_NULL &&
		    seen_before(db, strchr(key, ':') + 1, (const char *)sqlite3_column_text(st, 4), ts))
			continue;
		if ((id = key_split(okey, prov, sizeof(prov))) == NULL)
			continue;
		cr = add_cred(inc, prov, id, NULL, out ? ts : login);
		if (cr == NULL)
			continue;
		/* a token minted by a login is its login's identity, not the
		 * identity of what it was exchanged for (another pass may have
		 * added it as the certificate's child with the certificate's) */
		if (!out && strcmp(prov, "vault") == 0)
			own_identity(db, okey, cr);
		/* evidence for what this pass brought in, and the login behind a
		 * token another pass found (by its address, say); a stated (mapped)
		 * credential keeps its word */
		if (inc->ncr == before && (out || (cr->confidence == NULL && cr->evidence.n > 0)))
			continue;
		/* a token's certificate was not read: what is sure is that its
		 * holder could act as it, not that the key left */
		cr->confidence = out ? "medium" : "high";
		snprintf(line, sizeof(line), out ? "the exposed Vault token %s was issued for %s at its login"
						 : "Vault token %s was issued for the exposed %s at a login",
			 out ? strchr(key, ':') + 1 : id, out ? id : key);
		strv_add_unique(&cr->evidence, line);
	}
	sqlite3_reset(st);
}

/* The identity the map or the logs say key material authenticates as, whole. */
static void
relying_identity(struct store *s, struct cred *cr)
{
	sqlite3_stmt *st;
	char key[1200];

	snprintf(key, sizeof(key), "%s:%s", cr->provider, cr->id);
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT i.key FROM graph_nodes c JOIN graph_edges e ON e.src = c.id"
			       " AND e.type = 'authenticates-as' JOIN graph_nodes i ON i.id = e.dst"
			       " AND i.kind = 'identity' WHERE c.kind = 'credential' AND c.key = ?1"
			       " ORDER BY e.origin_input IS NULL, e.id LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		free(cr->identity);
		cr->identity = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
}

/*
 * A Vault agent's sink file read on a host that no pod owns: the token in
 * it is the newest one a certificate mapped on that host was exchanged for
 * before the read (the agent logs in with the host's certificate; its
 * address is in no inventory, so the login cannot be found by address).
 * A login stamped up to KEYMAT_SKEW_NS after the read counts only when
 * none came before: the agent writes the file after its login, so a later
 * one was in the file only if the two clocks disagree, and a routine
 * renewal seconds after the read is not what the reader took (a generated
 * case, seed 14142, had the renewal 37 s after the read and the older
 * token used from outside two minutes later).
 */
static void
sink_tokens(const struct inc_ctx *c, sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	size_t i;

	if (sqlite3_prepare_v2(db,
			       "SELECT t.key FROM graph_nodes f"
			       " JOIN graph_edges x ON x.src = f.id AND x.type = 'exposes'"
			       " JOIN graph_nodes k ON k.id = x.dst AND k.kind = 'credential' AND k.key LIKE 'x509:%'"
			       " JOIN graph_edges e ON e.dst = k.id AND e.type = 'exchanged-for'"
			       " JOIN graph_nodes t ON t.id = e.src AND t.kind = 'credential'"
			       " JOIN events ev ON ev.id = e.origin_event"
			       " WHERE f.kind = 'secret' AND (substr(f.key, 1, length(?1)) = ?1 OR f.key LIKE 'file:*:%')"
			       " AND ev.ts_ns <= ?2 + ?4 AND ev.ts_ns >= ?2 - ?3"
			       /* the newest at or before the read; one within the skew after
				* it only when none was before (see the comment above) */
			       " ORDER BY ev.ts_ns <= ?2 DESC, ev.ts_ns DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < inc->nsig; i++) {
		const struct finding *f = &c->f[inc->sig[i]];
		const char *host = f->wl >= 0 && c->w[f->wl].d.host[0] ? c->w[f->wl].d.host : f->host;
		char pfx[600], prov[32], line[900];
		const char *id, *tkey;
		struct cred *cr;
		size_t before = inc->ncr;

		if (f->object == NULL || host == NULL || strcmp(f->cls, "credential-access") != 0 ||
		    strstr(f->object, "/.vault-token") == NULL ||
		    (f->wl >= 0 && c->w[f->wl].d.pod_name[0])) /* a pod's: vault_token_of's */
			continue;
		snprintf(pfx, sizeof(pfx), "file:%s:", host);
		sqlite3_bind_text(st, 1, pfx, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, f->ts);
		sqlite3_bind_int64(st, 3, KEYMAT_LIVE_NS);
		sqlite3_bind_int64(st, 4, KEYMAT_SKEW_NS);
		if (sqlite3_step(st) == SQLITE_ROW && (tkey = (const char *)sqlite3_column_text(st, 0)) != NULL &&
		    (id = key_split(tkey, prov, sizeof(prov))) != NULL && strcmp(prov, "vault") == 0 &&
		    (cr = add_cred(inc, prov, id, NULL, f->ts)) != NULL && inc->ncr > before) {
			cr->confidence = "medium";
			snprintf(line, sizeof(line), "%.300s was read on %.200s; the newest Vault token a "
				 "certificate on that host logged in for before the read is %s", f->object, host, id);
			strv_add_unique(&cr->evidence, line);
			own_identity(db, tkey, cr);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

void
keymat_exchanged(const struct inc_ctx *c, struct incident *inc)
{
	struct store *s = c->s;
	sqlite3_stmt *st;
	size_t i;
	char key[1200];

	sink_tokens(c, store_db(s), inc);
	/* column 3: 1 when the row is what the given node was exchanged for */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT o.kind, o.key, e.src = a.id,"
			       " (SELECT ts_ns FROM events WHERE id = e.origin_event),"
			       " (SELECT src_ip FROM events WHERE id = e.origin_event) FROM graph_nodes a"
			       " JOIN graph_edges e ON (e.src = a.id OR e.dst = a.id) AND e.type = 'exchanged-for'"
			       " JOIN graph_nodes o ON o.id = CASE WHEN e.src = a.id THEN e.dst ELSE e.src END"
			       " WHERE a.kind = ?1 AND a.key = ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	/* inc->cr grows while this runs: index, never a pointer kept across */
	for (i = 0; i < inc->ncr && i < 4096; i++) {
		int64_t ts = inc->cr[i].exposed_ts;

		/* key material authenticates as a relying party's identity: keep
		 * its whole key ("k8s:USER"), so reach starts from that party */
		if (keymat_provider(inc->cr[i].provider))
			relying_identity(s, &inc->cr[i]);

		snprintf(key, sizeof(key), "%s:%s", inc->cr[i].provider, inc->cr[i].id);
		trades_of(store_db(s), st, inc, key, ts);
	}
	sqlite3_finalize(st);
}

/* "X509SERIAL=3a0f" -> "3a:0f" (the spelling Vault PKI prints and takes). */
static void
colon_hex(const char *hex, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; hex[i] != '\0' && hex[i + 1] != '\0' && o + 4 < cap; i += 2) {
		if (o > 0)
			out[o++] = ':';
		out[o++] = hex[i];
		out[o++] = hex[i + 1];
	}
	out[o] = '\0';
}

/* The Vault PKI mount the map names for a certificate, into out; 1 if any. */
static int
pki_mount(sqlite3 *db, const char *ckey, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT json_extract(attrs, '$.pki_mount') FROM graph_nodes WHERE kind = 'credential'"
			       " AND key = ?1 AND json_valid(attrs)",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, ckey, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * The Kubernetes Secrets (NS/NAME) that hold a certificate, by the map:
 * cert-manager re-issues each with a new private key.  The re-issue takes
 * the Certificate that writes the Secret (the inventory's cert-manager
 * objects), else one taken to be named as its Secret.  It comes before the
 * Vault PKI revoke: the service gets its new key and certificate first,
 * so revoking the old serial cuts the stolen copy and not the service.
 */
int
keymat_cert_writer(sqlite3 *db, const char *secret, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT m.key FROM graph_nodes s JOIN graph_edges w ON w.dst = s.id AND w.type = 'writes'"
			       " JOIN graph_nodes m ON m.id = w.src AND m.kind = 'cert-manager'"
			       " WHERE s.kind = 'secret' AND s.key = ?1 ORDER BY m.key LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, secret, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

static void
cert_secrets(sqlite3 *db, struct incident *inc, const char *ckey, int then_revoked)
{
	static const char before[] = "; before the Vault PKI revoke, so the service has its new "
				     "certificate when the old serial is cut";
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT DISTINCT s.key FROM graph_nodes c JOIN graph_edges e ON e.dst = c.id"
			       " AND e.type = 'exposes' JOIN graph_nodes s ON s.id = e.src AND s.kind = 'secret'"
			       " WHERE c.kind = 'credential' AND c.key = ?1 AND s.key LIKE 'k8s-secret:%/%'",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, ckey, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *loc = (const char *)sqlite3_column_text(st, 0) + 11;
		const char *slash = strchr(loc, '/'), *key2 = slash ? strchr(slash + 1, '/') : NULL;
		char whole[700], target[600], why[900];
		int n;

		if (slash == NULL)
			continue;
		/* k8s-secret:NS/NAME[/KEY]: the Secret is NS/NAME */
		n = key2 ? (int)(key2 - loc) : (int)strlen(loc);
		snprintf(whole, sizeof(whole), "k8s-secret:%.*s", n, loc);
		if (keymat_cert_writer(db, whole, target, sizeof(target)))
			snprintf(why, sizeof(why), "the certificate's private key was exposed: cert-manager "
				 "re-issues it with a new private key (Certificate %s writes the Secret %.*s)%s",
				 target, n, loc, then_revoked ? before : "");
		else {
			snprintf(target, sizeof(target), "%.*s", n, loc);
			snprintf(why, sizeof(why), "the certificate's private key was exposed: cert-manager "
				 "re-issues it with a new private key (the Certificate is taken to be named as its "
				 "Secret: no inventory names it)%s", then_revoked ? before : "");
		}
		add_step(inc, "k8s", "reissue-cert", target, why);
	}
	sqlite3_finalize(st);
}

/*
 * An SSH key's steps.  The key's fingerprint goes into the revocation
 * list; when the key inventory knows a certificate of it, its serial goes
 * in under its CA too.  sshd checks a certificate's key against the list
 * (OpenSSH krl.c, the key's SHA-256 as for a plain key), so the first
 * refuses the certificate already: the second is what a CA's own
 * revocation records, and outlives a list rebuilt from serials alone.
 */
static void
plan_ssh(sqlite3 *db, struct incident *inc, const char *ckey, const char *fp)
{
	sqlite3_stmt *st;
	char why[900], target[120];

	snprintf(why, sizeof(why), "the SSH private key was exposed: the CA's key revocation list refuses it "
		 "everywhere sshd trusts that list");
	if (sqlite3_prepare_v2(db,
			       "SELECT json_extract(attrs, '$.cert_key_id'), json_extract(attrs, '$.cert_serial'),"
			       " json_extract(attrs, '$.cert_ca') FROM graph_nodes WHERE kind = 'credential'"
			       " AND key = ?1 AND json_valid(attrs) AND json_extract(attrs, '$.cert_serial') IS NOT NULL",
			       -1, &st, NULL) != SQLITE_OK) {
		add_step(inc, "ssh", "revoke-ssh-key", fp, why);
		return;
	}
	sqlite3_bind_text(st, 1, ckey, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1) != NULL &&
	    sqlite3_column_text(st, 2) != NULL) {
		const char *kid = sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "?";
		const char *serial = (const char *)sqlite3_column_text(st, 1);
		const char *ca = (const char *)sqlite3_column_text(st, 2);

		snprintf(why, sizeof(why), "the SSH private key of certificate \"%.200s\" (serial %.24s, CA "
			 "%.60s) was exposed: the key revocation list refuses the key and every certificate "
			 "of it (sshd checks a certificate's key against the list) everywhere sshd trusts "
			 "that list", kid, serial, ca);
		add_step(inc, "ssh", "revoke-ssh-key", fp, why);
		snprintf(target, sizeof(target), "%.60s/%.24s", ca, serial);
		snprintf(why, sizeof(why), "the certificate \"%.200s\" goes into the list by its serial under "
			 "its CA as well: what the CA's own revocation records (the key's entry above "
			 "already refuses it)", kid);
		add_step(inc, "ssh", "revoke-ssh-cert", target, why);
	} else {
		add_step(inc, "ssh", "revoke-ssh-key", fp, why);
	}
	sqlite3_finalize(st);
}

void
plan_keymat(sqlite3 *db, struct incident *inc)
{
	size_t i;

	/* a Secret cert-manager writes, exposed whole (a pod's volume, say):
	 * it holds a certificate's private key, and rotating it by hand is
	 * undone by cert-manager, so its Certificate re-issues it (before any
	 * PKI revoke below) */
	for (i = 0; i < inc->nex; i++) {
		const char *loc = inc->ex[i].locator, *slash, *key2;
		char whole[700], cm[600], why[900];
		int n;

		if (strncmp(loc, "k8s-secret:", 11) != 0 || (slash = strchr(loc + 11, '/')) == NULL)
			continue;
		key2 = strchr(slash + 1, '/');
		n = key2 ? (int)(key2 - loc) : (int)strlen(loc);
		snprintf(whole, sizeof(whole), "%.*s", n, loc);
		if (!keymat_cert_writer(db, whole, cm, sizeof(cm)))
			continue;
		snprintf(why, sizeof(why), "the Secret %.300s holds a certificate's private key and was "
			 "exposed: its Certificate %.300s re-issues it with a new key (cert-manager would "
			 "overwrite a Secret rotated by hand)", whole + 11, cm);
		add_step(inc, "k8s", "reissue-cert", cm, why);
	}

	for (i = 0; i < inc->ncr; i++) {
		const struct cred *cr = &inc->cr[i];
		char ckey[1200], mount[200], target[400], hex[100];
		size_t before = inc->nplan;

		snprintf(ckey, sizeof(ckey), "%s:%s", cr->provider, cr->id);
		if (strcmp(cr->provider, "x509") == 0 && strncmp(cr->id, "X509SERIAL=", 11) == 0) {
			int pki = pki_mount(db, ckey, mount, sizeof(mount));

			cert_secrets(db, inc, ckey, pki);
			if (pki) {
				colon_hex(cr->id + 11, hex, sizeof(hex));
				snprintf(target, sizeof(target), "%s/%s", mount, hex);
				add_step(inc, "vault", "revoke-cert", target,
					 "the certificate's private key was exposed: its Vault PKI mount revokes "
					 "it by serial and its CRL then lists it");
			}
			if (inc->nplan == before)
				add_step(inc, "x509", "revoke-cert", cr->id,
					 "manual: the certificate's private key was exposed; no inventory names "
					 "its issuer (map it as MOUNT/SERIAL for Vault PKI, or its k8s-secret)");
		} else if (strcmp(cr->provider, "ssh") == 0 && strncmp(cr->id, "SHA256:", 7) == 0) {
			plan_ssh(db, inc, ckey, cr->id);
		} else if (strcmp(cr->provider, "signing") == 0) {
			add_step(inc, "signing", "rotate-signing-key", cr->id,
				 "manual: a signing key was exposed; rotate it and distrust what it signed "
				 "after the exposure");
		}
	}
	plan_spire(db, inc); /* SVIDs and the agents that mint them */
}
