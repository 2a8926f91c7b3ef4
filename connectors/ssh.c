/*
 * ssh.c - the SSH connector: revoke a key in the OpenSSH key revocation
 * list (KRL) that sshd's RevokedKeys reads.
 *
 * Configuration: CORDON_SSH_KRL, the KRL file (created when missing).  The
 * target is the key's SHA-256 fingerprint as sshd logs it ("Accepted
 * publickey for deploy from 10.0.0.9 port 51234 ssh2: ED25519
 * SHA256:..."), or as `ssh-keygen -lf KEY.pub` prints it: no private or
 * public key needs to be at hand.
 *
 * A certificate can be revoked by its serial too (revoke-ssh-cert
 * "SHA256:CA_FINGERPRINT/SERIAL", as sshd logs them: "... ID KEYID (serial
 * N) CA ED25519 SHA256:..."): the KRL lists serials under the CA's public
 * key, found in the KRL or in CORDON_SSH_CA_KEYS (sshd's
 * TrustedUserCAKeys file; ssh_ca.c).
 *
 * The file is changed under an exclusive lock (PATH.lock: a revoke pool runs
 * targets at once), written to a temporary file, synced and renamed over
 * the old one, so a reader (sshd, a copy job) sees the old list or the new
 * one, never half of either.  The result is verified by reading the file
 * back.  The list still has to reach every server that trusts the key: the
 * verified text says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define KRL_MAX_FILE ((size_t)64 << 20)

struct ssh_cfg {
	char *krl;
	char *ca_keys; /* CORDON_SSH_CA_KEYS, or NULL */
};

/* What one action lists or lifts: a key by fingerprint, or a certificate
 * by its CA and serial. */
struct krl_item {
	int cert;
	unsigned char fp[KRL_FP_LEN]; /* the key's, or the CA's */
	uint64_t serial;
	unsigned char *ca;            /* the CA's key blob, once found */
	size_t ca_len;
};

static int
item_has(const struct krl *k, const struct krl_item *it)
{
	return it->cert ? krl_has_serial(k, it->ca, it->ca_len, it->serial) : krl_has(k, it->fp);
}

/* 1 changed, 0 not, -1 too many. */
static int
item_change(struct krl *k, const struct krl_item *it, int add)
{
	if (it->cert)
		return add ? krl_add_serial(k, it->ca, it->ca_len, it->serial)
			   : krl_remove_serial(k, it->ca, it->ca_len, it->serial);
	return add ? krl_add(k, it->fp) : krl_remove(k, it->fp);
}

static int
ssh_open(void **cdata, char **cause)
{
	const char *p = env_get("CORDON_SSH_KRL");
	struct ssh_cfg *s;

	if (p == NULL) {
		*cause = xstrdup("CORDON_SSH_KRL is not set: set it to the key revocation list your "
				 "sshd_config's RevokedKeys names (it is created if missing)");
		return CD_E_USAGE;
	}
	s = xcalloc(1, sizeof(*s));
	s->krl = xstrdup(p);
	p = env_get("CORDON_SSH_CA_KEYS");
	s->ca_keys = p && *p ? xstrdup(p) : NULL;
	*cdata = s;
	return CD_OK;
}

static void
ssh_close(void **cdata)
{
	struct ssh_cfg *s = *cdata;

	if (s != NULL) {
		free(s->krl);
		free(s->ca_keys);
		free(s);
	}
	*cdata = NULL;
}

/* The KRL at path into k (empty when the file does not exist). */
static int
krl_load(const char *path, struct krl *k, struct conn_result *res)
{
	char *data = NULL, *cause = NULL, why[200];
	size_t len = 0;
	int r;

	krl_init(k);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return CD_OK;
	if (file_read(path, KRL_MAX_FILE, &data, &len, &cause) != CD_OK) {
		res_detail(res, "cannot read KRL %s: %s", path, cause ? cause : "?");
		free(cause);
		return CD_E_IO;
	}
	r = krl_parse(k, (const unsigned char *)data, len, why, sizeof(why));
	free(data);
	if (r != CD_OK)
		res_detail(res, "KRL %s: %s; cordon changes nothing in a list it cannot read whole",
			   path, why);
	return r;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write k over path: temporary file, fsync, rename, fsync of the directory. */
static int
krl_store(const char *path, const struct krl *k, struct conn_result *res)
{
	char tmp[4200], dir[4096];
	struct buf b;
	struct stat st;
	const char *slash = strrchr(path, '/');
	int fd, dfd, r;
	mode_t mode = 0644; /* a KRL holds no secret: sshd and copy jobs read it */

	if (strlen(path) + 16 > sizeof(tmp)) {
		res_detail(res, "KRL path too long");
		return CD_E_LIMIT;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	buf_init(&b, KRL_MAX_FILE);
	if (krl_write(k, (uint64_t)(time_now_ns() / 1000000000), &b) != CD_OK) {
		buf_release(&b);
		res_detail(res, "KRL %s: the new list would be too large", path);
		return CD_E_LIMIT;
	}
	snprintf(tmp, sizeof(tmp), "%s.cordon.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		res_detail(res, "cannot write next to KRL %s: %s", path, strerror(errno));
		buf_release(&b);
		return CD_E_IO;
	}
	r = write_all(fd, b.data, b.len) == 0 && fchmod(fd, mode) == 0 && fsync(fd) == 0 ? CD_OK : CD_E_IO;
	if (r != CD_OK)
		res_detail(res, "writing KRL %s: %s", tmp, strerror(errno));
	close(fd);
	buf_release(&b);
	if (r == CD_OK && rename(tmp, path) != 0) {
		res_detail(res, "replacing KRL %s: %s", path, strerror(errno));
		r = CD_E_IO;
	}
	if (r != CD_OK) {
		unlink(tmp);
		return r;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return CD_OK;
}

/* Shared by revoke-ssh-key / revoke-ssh-cert (add) and their undos (remove). */
static int
ssh_krl_change(struct conn *c, const char *target, int add, int cert, struct conn_result *res)
{
	struct ssh_cfg *s = c->cdata;
	struct krl_item it = { .cert = cert };
	const char *what = cert ? "certificate" : "key";
	char lockpath[4200], *cause = NULL;
	struct krl k;
	int lfd, r, listed;

	if (cert ? ssh_cert_target(target, it.fp, &it.serial) != 0 : krl_fp_parse(target, it.fp) != 0) {
		if (cert)
			res_detail(res, "'%s' is not SHA256:CA_FINGERPRINT/SERIAL (the CA's fingerprint and "
					"the certificate's decimal serial, as sshd logs them)", target);
		else
			res_detail(res, "'%s' is not a key's SHA-256 fingerprint (SHA256: and 43 base64 "
					"characters, as sshd logs it and `ssh-keygen -lf KEY.pub` prints it)",
				   target);
		return CD_E_USAGE;
	}
	if (c->opts->dry_run) {
		FILE *f = c->opts->dry_out ? c->opts->dry_out : stdout;

		fprintf(f, "  > %s %s%s %s KRL %s (its version + 1; written to a temporary file and "
			   "renamed over it)\n",
			add ? "add" : "remove", cert ? "the serial of certificate " : "", target,
			add ? "to" : "from", s->krl);
		res_note_request(res, "%s %s KRL %s", add ? "add to" : "remove from", target, s->krl);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
	krl_init(&k);
	snprintf(lockpath, sizeof(lockpath), "%s.lock", s->krl);
	if ((lfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 || flock(lfd, LOCK_EX) != 0) {
		res_detail(res, "cannot lock %s: %s", lockpath, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return CD_OK;
	}
	r = krl_load(s->krl, &k, res);
	if (r != CD_OK)
		goto out;
	if (k.signed_krl) {
		res_detail(res, "KRL %s is signed: changing it would break the signature; add the %s "
				"with ssh-keygen -k -u and sign it again",
			   s->krl, what);
		goto out;
	}
	if (cert && ssh_ca_find(&k, s->ca_keys, it.fp, &it.ca, &it.ca_len, &cause) != CD_OK) {
		res_detail(res, "certificate %s: %s", target, cause);
		goto out;
	}
	if (item_has(&k, &it) == add) {
		res->outcome = CONN_ALREADY;
		res_verified(res, "%s in KRL %s (version %llu)", add ? "listed" : "not listed", s->krl,
			     (unsigned long long)k.version);
		goto out;
	}
	if (item_change(&k, &it, add) < 0) {
		res_detail(res, "KRL %s holds too many %s", s->krl, cert ? "serials" : "fingerprints");
		goto out;
	}
	res_note_request(res, "%s %s KRL %s", add ? "add to" : "remove from", target, s->krl);
	if (krl_store(s->krl, &k, res) != CD_OK)
		goto out;
	/* verify: the file as sshd will read it */
	krl_release(&k);
	if (krl_load(s->krl, &k, res) != CD_OK)
		goto out;
	listed = item_has(&k, &it);
	if (listed == add) {
		res->outcome = CONN_DONE;
		if (add)
			res_verified(res, "listed in KRL %s (version %llu): sshd refuses the %s where "
					  "RevokedKeys names this file; copy it to every server that "
					  "trusts the %s",
				     s->krl, (unsigned long long)k.version, what, cert ? "CA" : "key");
		else
			res_verified(res, "no longer listed in KRL %s (version %llu)", s->krl,
				     (unsigned long long)k.version);
		res_undo(res, "%s%s %s", add ? "unrevoke-ssh-" : "revoke-ssh-", cert ? "cert" : "key", target);
	} else {
		res_detail(res, "verification: the KRL read back %s the %s", listed ? "still lists" : "lacks",
			   what);
	}
out:
	free(cause);
	free(it.ca);
	krl_release(&k);
	close(lfd); /* releases the lock */
	return CD_OK;
}

/* Implements conn_action::run for revoke-ssh-key. */
static int
ssh_revoke_key(struct conn *c, const char *target, struct conn_result *res)
{
	return ssh_krl_change(c, target, 1, 0, res);
}

/* Implements conn_action::run for unrevoke-ssh-key (the undo). */
static int
ssh_unrevoke_key(struct conn *c, const char *target, struct conn_result *res)
{
	return ssh_krl_change(c, target, 0, 0, res);
}

/* Implements conn_action::run for revoke-ssh-cert. */
static int
ssh_revoke_cert(struct conn *c, const char *target, struct conn_result *res)
{
	return ssh_krl_change(c, target, 1, 1, res);
}

/* Implements conn_action::run for unrevoke-ssh-cert (the undo). */
static int
ssh_unrevoke_cert(struct conn *c, const char *target, struct conn_result *res)
{
	return ssh_krl_change(c, target, 0, 1, res);
}

static const struct conn_action ssh_actions[] = {
	{ .name = "revoke-ssh-key", .target_doc = "SHA256:FINGERPRINT", .flags = CONN_F_REVERSIBLE,
	  .phase = PHASE_REVOKE, .undo = "unrevoke-ssh-key", .run = ssh_revoke_key },
	{ .name = "unrevoke-ssh-key", .target_doc = "SHA256:FINGERPRINT",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_REVOKE,
	  .undo = "revoke-ssh-key", .run = ssh_unrevoke_key },
	{ .name = "revoke-ssh-cert", .target_doc = "SHA256:CA_FINGERPRINT/SERIAL", .flags = CONN_F_REVERSIBLE,
	  .phase = PHASE_REVOKE, .undo = "unrevoke-ssh-cert", .run = ssh_revoke_cert },
	{ .name = "unrevoke-ssh-cert", .target_doc = "SHA256:CA_FINGERPRINT/SERIAL",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_REVOKE,
	  .undo = "revoke-ssh-cert", .run = ssh_unrevoke_cert },
	{ .name = NULL },
};

const struct connector conn_ssh = {
	.name = "ssh",
	.actions = ssh_actions,
	.open = ssh_open,
	.close = ssh_close,
};
