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
};

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
	*cdata = s;
	return CD_OK;
}

static void
ssh_close(void **cdata)
{
	struct ssh_cfg *s = *cdata;

	if (s != NULL) {
		free(s->krl);
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

/* Shared by revoke-ssh-key (add) and unrevoke-ssh-key (remove). */
static int
ssh_krl_change(struct conn *c, const char *target, int add, struct conn_result *res)
{
	struct ssh_cfg *s = c->cdata;
	unsigned char fp[KRL_FP_LEN];
	char lockpath[4200];
	struct krl k;
	int lfd, r, listed;

	if (krl_fp_parse(target, fp) != 0) {
		res_detail(res, "'%s' is not a key's SHA-256 fingerprint (SHA256: and 43 base64 "
				"characters, as sshd logs it and `ssh-keygen -lf KEY.pub` prints it)",
			   target);
		return CD_E_USAGE;
	}
	if (c->opts->dry_run) {
		FILE *f = c->opts->dry_out ? c->opts->dry_out : stdout;

		fprintf(f, "  > %s %s %s KRL %s (its version + 1; written to a temporary file and "
			   "renamed over it)\n",
			add ? "add" : "remove", target, add ? "to" : "from", s->krl);
		res_note_request(res, "%s %s KRL %s", add ? "add to" : "remove from", target, s->krl);
		res->outcome = CONN_DRYRUN;
		return CD_OK;
	}
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
		res_detail(res, "KRL %s is signed: changing it would break the signature; add the key "
				"with ssh-keygen -k -u and sign it again",
			   s->krl);
		goto out;
	}
	if (krl_has(&k, fp) == add) {
		res->outcome = CONN_ALREADY;
		res_verified(res, "%s in KRL %s (version %llu)", add ? "listed" : "not listed", s->krl,
			     (unsigned long long)k.version);
		goto out;
	}
	if (add ? krl_add(&k, fp) < 0 : !krl_remove(&k, fp)) {
		res_detail(res, "KRL %s holds too many fingerprints", s->krl);
		goto out;
	}
	res_note_request(res, "%s %s KRL %s", add ? "add to" : "remove from", target, s->krl);
	if (krl_store(s->krl, &k, res) != CD_OK)
		goto out;
	/* verify: the file as sshd will read it */
	krl_release(&k);
	if (krl_load(s->krl, &k, res) != CD_OK)
		goto out;
	listed = krl_has(&k, fp);
	if (listed == add) {
		res->outcome = CONN_DONE;
		if (add)
			res_verified(res, "listed in KRL %s (version %llu): sshd refuses the key where "
					  "RevokedKeys names this file; copy it to every server that "
					  "trusts the key",
				     s->krl, (unsigned long long)k.version);
		else
			res_verified(res, "no longer listed in KRL %s (version %llu)", s->krl,
				     (unsigned long long)k.version);
		res_undo(res, "%s %s", add ? "unrevoke-ssh-key" : "revoke-ssh-key", target);
	} else {
		res_detail(res, "verification: the KRL read back %s the key", listed ? "still lists" : "lacks");
	}
out:
	krl_release(&k);
	close(lfd); /* releases the lock */
	return CD_OK;
}

/* Implements conn_action::run for revoke-ssh-key. */
static int
ssh_revoke_key(struct conn *c, const char *target, struct conn_result *res)
{
	return ssh_krl_change(c, target, 1, res);
}

/* Implements conn_action::run for unrevoke-ssh-key (the undo). */
static int
ssh_unrevoke_key(struct conn *c, const char *target, struct conn_result *res)
{
	return ssh_krl_change(c, target, 0, res);
}

static const struct conn_action ssh_actions[] = {
	{ .name = "revoke-ssh-key", .target_doc = "SHA256:FINGERPRINT", .flags = CONN_F_REVERSIBLE,
	  .phase = PHASE_REVOKE, .undo = "unrevoke-ssh-key", .run = ssh_revoke_key },
	{ .name = "unrevoke-ssh-key", .target_doc = "SHA256:FINGERPRINT",
	  .flags = CONN_F_REVERSIBLE | CONN_F_UNDO_ONLY, .phase = PHASE_REVOKE,
	  .undo = "revoke-ssh-key", .run = ssh_unrevoke_key },
	{ .name = NULL },
};

const struct connector conn_ssh = {
	.name = "ssh",
	.actions = ssh_actions,
	.open = ssh_open,
	.close = ssh_close,
};
