/*
 * k8s_exec.c - kubeconfig exec credential plugins
 * (client.authentication.k8s.io/v1 and v1beta1), as kubectl runs them:
 * `aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin` and the like.
 *
 * The command runs without a shell, with its args, the kubeconfig's env
 * added to cordon's environment and KUBERNETES_EXEC_INFO describing the
 * request (never interactive: cordon runs unattended, so a plugin whose
 * interactiveMode is Always is refused, and the others get /dev/null as
 * stdin).  Its stdout is read up to KX_MAX_OUT within KX_TIMEOUT_S and
 * must be an ExecCredential of the same apiVersion carrying status.token or
 * a client certificate and key.  Its stderr is the user's to see, as with
 * kubectl.
 *
 * Credentials are cached for the run, shared by every worker thread (one
 * mutex; the plugin runs at most once at a time) and keyed by the
 * kubeconfig file, user and command line.  A cached credential whose
 * status.expirationTimestamp has passed is fetched again, so a long apply
 * keeps working; every copy is wiped when released.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

extern char **environ;

#define KX_MAX_OUT ((size_t)1 << 20)
#define KX_TIMEOUT_S 120 /* CORDON_EXEC_TIMEOUT overrides (1..600) */
#define KX_MAX_ARGS 64
#define KX_MAX_ENV 64
#define KX_CACHE 8

static pthread_mutex_t kx_mu = PTHREAD_MUTEX_INITIALIZER;

struct kx_entry {
	char key[65];
	struct k8s_cred cred;
};

static struct kx_entry kx_cache[KX_CACHE];
static int kx_n;

void
k8s_cred_release(struct k8s_cred *c)
{
	if (c->token != NULL)
		freezero(c->token, c->token_len + 1);
	if (c->cert_pem != NULL)
		freezero(c->cert_pem, c->cert_len + 1);
	if (c->key_pem != NULL)
		freezero(c->key_pem, c->key_len + 1);
	memset(c, 0, sizeof(*c));
}

static char *
memdup0(const char *p, size_t n)
{
	char *o = xmalloc(n + 1);

	memcpy(o, p, n);
	o[n] = '\0';
	return o;
}

static void
cred_copy(struct k8s_cred *dst, const struct k8s_cred *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->token != NULL)
		dst->token = memdup0(src->token, src->token_len);
	if (src->cert_pem != NULL)
		dst->cert_pem = memdup0(src->cert_pem, src->cert_len);
	if (src->key_pem != NULL)
		dst->key_pem = memdup0(src->key_pem, src->key_len);
	dst->token_len = src->token_len;
	dst->cert_len = src->cert_len;
	dst->key_len = src->key_len;
	dst->expiry_ns = src->expiry_ns;
}

void
k8s_exec_cache_clear(void)
{
	int i;

	pthread_mutex_lock(&kx_mu);
	for (i = 0; i < kx_n; i++)
		k8s_cred_release(&kx_cache[i].cred);
	kx_n = 0;
	pthread_mutex_unlock(&kx_mu);
}

void
k8s_exec_free(struct k8s_exec **xp)
{
	struct k8s_exec *x = *xp;
	int i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nargs; i++)
		free(x->argv[i]);
	for (i = 0; i < x->nenv; i++)
		/* env values may be secrets (some plugins take a key this way) */
		freezero(x->env[i], strlen(x->env[i]) + 1);
	free(x->argv);
	free(x->env);
	free(x->kcpath);
	free(x->user);
	free(x->api_version);
	free(x->install_hint);
	free(x->server);
	free(x->ca_b64);
	free(x);
	*xp = NULL;
}

/* Relative commands with a '/' are relative to the kubeconfig's directory. */
static char *
cmd_path(const char *kcpath, const char *cmd)
{
	const char *slash = strrchr(kcpath, '/');
	struct buf b;

	if (cmd[0] == '/' || strchr(cmd, '/') == NULL || slash == NULL)
		return xstrdup(cmd);
	buf_init(&b, 8192);
	if (buf_add(&b, kcpath, (size_t)(slash - kcpath + 1)) != CD_OK || buf_addstr(&b, cmd) != CD_OK) {
		buf_release(&b);
		return xstrdup(cmd);
	}
	return buf_take(&b);
}

int
k8s_exec_parse(const struct kc_set *s, struct kc_ref u, const char *user, const char *server,
	       const char *ca_b64, struct k8s_exec **out, char **cause)
{
	struct k8s_exec *x;
	const char *cmd, *v, *mode, *kp = kc_path(s, u);
	char sub[96];
	unsigned char h[32];
	struct sha256 sh;
	int i;

	*out = NULL;
	cmd = kc_field(s, u, "users", "user.exec.command");
	if (cmd == NULL || *cmd == '\0') {
		*cause = xstrdupf("kubeconfig %s: user '%s': exec has no command", kp, user);
		return CD_E_USAGE;
	}
	v = kc_field(s, u, "users", "user.exec.apiVersion");
	if (v == NULL || (strcmp(v, "client.authentication.k8s.io/v1") != 0 &&
			  strcmp(v, "client.authentication.k8s.io/v1beta1") != 0)) {
		*cause = xstrdupf("kubeconfig %s: user '%s': exec apiVersion '%s' is not "
				"client.authentication.k8s.io/v1 or v1beta1 (update the plugin's "
				"kubeconfig entry)",
				kp, user, v ? v : "");
		return CD_E_USAGE;
	}
	mode = kc_field(s, u, "users", "user.exec.interactiveMode");
	if ((mode == NULL || *mode == '\0') && strcmp(v, "client.authentication.k8s.io/v1") == 0) {
		*cause = xstrdupf("kubeconfig %s: user '%s': exec interactiveMode must be set for "
				"client.authentication.k8s.io/v1 (as kubectl requires): IfAvailable or Never",
				kp, user);
		return CD_E_USAGE;
	}
	if (mode != NULL && strcmp(mode, "Always") == 0) {
		*cause = xstrdupf("kubeconfig %s: user '%s': the exec plugin %s needs a terminal "
				"(interactiveMode: Always) and cordon runs unattended: log in first (so the "
				"plugin has a cached credential) and set interactiveMode: IfAvailable, or give "
				"cordon a token or client certificate",
				kp, user, cmd);
		return CD_E_USAGE;
	}
	if (mode != NULL && *mode && strcmp(mode, "IfAvailable") != 0 && strcmp(mode, "Never") != 0) {
		*cause = xstrdupf("kubeconfig %s: user '%s': exec interactiveMode '%s' is not Never, "
				"IfAvailable or Always",
				kp, user, mode);
		return CD_E_USAGE;
	}
	x = xcalloc(1, sizeof(*x));
	x->kcpath = xstrdup(kp);
	x->user = xstrdup(user);
	x->api_version = xstrdup(v);
	x->argv = xcalloc(KX_MAX_ARGS + 2, sizeof(char *));
	x->argv[x->nargs++] = cmd_path(kp, cmd);
	for (i = 0;; i++) {
		snprintf(sub, sizeof(sub), "user.exec.args[%d]", i);
		if ((v = kc_field(s, u, "users", sub)) == NULL)
			break;
		if (x->nargs > KX_MAX_ARGS) {
			*cause = xstrdupf("kubeconfig %s: user '%s': more than %d exec args", kp, user,
					KX_MAX_ARGS);
			k8s_exec_free(&x);
			return CD_E_LIMIT;
		}
		x->argv[x->nargs++] = xstrdup(v);
	}
	x->env = xcalloc(KX_MAX_ENV + 1, sizeof(char *));
	for (i = 0;; i++) {
		const char *name, *val;
		struct buf b;

		snprintf(sub, sizeof(sub), "user.exec.env[%d].name", i);
		name = kc_field(s, u, "users", sub);
		snprintf(sub, sizeof(sub), "user.exec.env[%d].value", i);
		val = kc_field(s, u, "users", sub);
		if (name == NULL && val == NULL)
			break;
		if (name == NULL || *name == '\0' || strchr(name, '=') != NULL || x->nenv >= KX_MAX_ENV) {
			*cause = xstrdupf("kubeconfig %s: user '%s': exec env[%d] needs a name (no '=') and "
					"a value, at most %d of them",
					kp, user, i, KX_MAX_ENV);
			k8s_exec_free(&x);
			return CD_E_USAGE;
		}
		buf_init(&b, 65536);
		if (buf_printf(&b, "%s=%s", name, val ? val : "") != CD_OK) {
			freezero(b.data, b.alloc);
			*cause = xstrdupf("kubeconfig %s: user '%s': exec env[%d] too long", kp, user, i);
			k8s_exec_free(&x);
			return CD_E_LIMIT;
		}
		x->env[x->nenv++] = buf_take(&b);
	}
	if ((v = kc_field(s, u, "users", "user.exec.installHint")) != NULL && *v)
		x->install_hint = xstrdup(v);
	v = kc_field(s, u, "users", "user.exec.provideClusterInfo");
	x->provide_cluster_info = v != NULL && strcmp(v, "true") == 0;
	x->server = xstrdup(server ? server : "");
	x->ca_b64 = xstrdup(ca_b64 ? ca_b64 : "");
	/* the cache key: which file, user and command line */
	sha256_init(&sh);
	sha256_update(&sh, x->kcpath, strlen(x->kcpath) + 1);
	sha256_update(&sh, x->user, strlen(x->user) + 1);
	for (i = 0; i < x->nargs; i++)
		sha256_update(&sh, x->argv[i], strlen(x->argv[i]) + 1);
	for (i = 0; i < x->nenv; i++)
		sha256_update(&sh, x->env[i], strlen(x->env[i]) + 1);
	sha256_update(&sh, x->server, strlen(x->server) + 1);
	sha256_final(&sh, h);
	hex_encode(h, 32, x->key);
	explicit_bzero(&sh, sizeof(sh));
	*out = x;
	return CD_OK;
}

/* KUBERNETES_EXEC_INFO, as kubectl sets it. */
static int
exec_info(const struct k8s_exec *x, struct buf *b)
{
	int r = buf_addstr(b, "KUBERNETES_EXEC_INFO={\"kind\":\"ExecCredential\",\"apiVersion\":");

	r = r ? r : json_put_str(b, x->api_version);
	r = r ? r : buf_addstr(b, ",\"spec\":{");
	if (x->provide_cluster_info) {
		r = r ? r : buf_addstr(b, "\"cluster\":{\"server\":");
		r = r ? r : json_put_str(b, x->server);
		if (x->ca_b64[0]) {
			r = r ? r : buf_addstr(b, ",\"certificate-authority-data\":");
			r = r ? r : json_put_str(b, x->ca_b64);
		}
		r = r ? r : buf_addstr(b, "},");
	}
	r = r ? r : buf_addstr(b, "\"interactive\":false}}");
	return r;
}

/* environ, minus the names the kubeconfig sets, plus them and the info. */
static char **
child_env(const struct k8s_exec *x, char *info)
{
	size_t n = 0, i, o = 0;
	char **envp;
	int k;

	while (environ[n] != NULL)
		n++;
	envp = xcalloc(n + (size_t)x->nenv + 2, sizeof(char *));
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		int drop = nl == strlen("KUBERNETES_EXEC_INFO") &&
			   memcmp(environ[i], "KUBERNETES_EXEC_INFO", nl) == 0;

		for (k = 0; k < x->nenv && !drop; k++)
			drop = strncmp(x->env[k], environ[i], nl) == 0 && x->env[k][nl] == '=';
		if (!drop)
			envp[o++] = environ[i];
	}
	for (k = 0; k < x->nenv; k++)
		envp[o++] = x->env[k];
	envp[o++] = info;
	envp[o] = NULL;
	return envp;
}

static int
timeout_s(void)
{
	const char *v = env_get("CORDON_EXEC_TIMEOUT");
	uint64_t n;

	if (v != NULL && span_to_u64((struct span){ v, strlen(v) }, &n) == CD_OK && n >= 1 && n <= 600)
		return (int)n;
	return KX_TIMEOUT_S;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the plugin; its stdout in *out (the caller wipes it). */
static int
run_plugin(const struct k8s_exec *x, struct buf *out, char **cause)
{
	posix_spawn_file_actions_t fa;
	int fds[2], rc, status = 0, r = CD_E_IO, done = 0, over = 0, limit_s = timeout_s();
	int64_t deadline = mono_ms() + (int64_t)limit_s * 1000;
	char **envp, chunk[4096];
	struct buf info;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		*cause = xstrdupf("exec plugin: pipe: %s", strerror(errno));
		return CD_E_IO;
	}
	buf_init(&info, 1 << 20);
	if (exec_info(x, &info) != CD_OK) {
		buf_release(&info);
		close(fds[0]);
		close(fds[1]);
		*cause = xstrdupf("exec plugin: cluster info too large");
		return CD_E_LIMIT;
	}
	envp = child_env(x, info.data);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	rc = posix_spawnp(&pid, x->argv[0], &fa, NULL, x->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	buf_release(&info);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		if (rc == ENOENT)
			*cause = xstrdupf("kubeconfig %s: user '%s': exec plugin '%s' not found (not in "
					"PATH): %s",
					x->kcpath, x->user, x->argv[0],
					x->install_hint ? x->install_hint
							: "install it, or give cordon a token or client "
							  "certificate");
		else
			*cause = xstrdupf("kubeconfig %s: user '%s': cannot run exec plugin '%s': %s",
					x->kcpath, x->user, x->argv[0], strerror(rc));
		return CD_E_USAGE;
	}
	while (!done) {
		struct pollfd pf = { .fd = fds[0], .events = POLLIN };
		int64_t left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0)
			break;
		rc = poll(&pf, 1, (int)(left > 1000 ? 1000 : left));
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			done = 1;
			break;
		}
		if (buf_add(out, chunk, (size_t)n) != CD_OK) {
			over = 1;
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fds[0]);
	/* reap it: it closed stdout, so it is ending; past the deadline (or
	 * after too much output) it is killed */
	if (!done)
		kill(pid, SIGKILL);
	for (;;) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			status = -1;
			break;
		}
		if (w == 0 && mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			done = 0;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (over)
		*cause = xstrdupf("kubeconfig %s: user '%s': exec plugin '%s' wrote more than %zu bytes: "
				"not an ExecCredential",
				x->kcpath, x->user, x->argv[0], KX_MAX_OUT);
	else if (!done)
		*cause = xstrdupf("kubeconfig %s: user '%s': exec plugin '%s' gave no answer in %d s: "
				"run it by hand to see what it waits for",
				x->kcpath, x->user, x->argv[0], limit_s);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		*cause = xstrdupf("kubeconfig %s: user '%s': exec plugin '%s' failed (%s %d; its own "
				"messages are above): run it by hand, or log in again with its tool",
				x->kcpath, x->user, x->argv[0],
				WIFEXITED(status) ? "exit status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status)
						  : WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	else
		r = CD_OK;
	return r;
}

/* A string field of the credential, decoded, in fresh memory. */
static int
cred_str(const struct json_doc *d, const char *path, char **out, size_t *len)
{
	int i = json_path(d, 0, path);
	size_t cap;

	*out = NULL;
	*len = 0;
	if (i < 0 || json_type(d, i) != JSON_STRING)
		return CD_E_NOTFOUND;
	cap = json_raw(d, i).n + 1;
	*out = xmalloc(cap);
	if (json_str(d, i, *out, cap, len) != CD_OK) {
		freezero(*out, cap);
		*out = NULL;
		return CD_E_PARSE;
	}
	return CD_OK;
}

static int
parse_cred(const struct k8s_exec *x, const struct buf *o, struct k8s_cred *c, char **cause)
{
	struct json_tokens t;
	struct json_doc d;
	const char *why;
	char tmp[128];
	int i, r = CD_E_PARSE;

	memset(c, 0, sizeof(*c));
	json_tokens_init(&t, 4096);
	if (json_parse(&d, o->data, o->len, &t, &why) != CD_OK || json_type(&d, 0) != JSON_OBJECT) {
		*cause = xstrdupf("kubeconfig %s: user '%s': exec plugin '%s' did not print an "
				"ExecCredential (JSON) on stdout",
				x->kcpath, x->user, x->argv[0]);
		goto out;
	}
	i = json_get(&d, 0, "kind");
	if (i < 0 || !span_eq(json_raw(&d, i), "ExecCredential")) {
		*cause = xstrdupf("kubeconfig %s: user '%s': exec plugin '%s' printed JSON that is not "
				"an ExecCredential",
				x->kcpath, x->user, x->argv[0]);
		goto out;
	}
	i = json_get(&d, 0, "apiVersion");
	if (i < 0 || !span_eq(json_raw(&d, i), x->api_version)) {
		*cause = xstrdupf("kubeconfig %s: user '%s': exec plugin '%s' answered another "
				"apiVersion than %s (the kubeconfig's exec.apiVersion must match the plugin)",
				x->kcpath, x->user, x->argv[0], x->api_version);
		goto out;
	}
	if (cred_str(&d, "status.token", &c->token, &c->token_len) == CD_OK && c->token_len == 0) {
		freezero(c->token, 1);
		c->token = NULL;
	}
	cred_str(&d, "status.clientCertificateData", &c->cert_pem, &c->cert_len);
	cred_str(&d, "status.clientKeyData", &c->key_pem, &c->key_len);
	if (c->token == NULL && (c->cert_pem == NULL || c->key_pem == NULL)) {
		*cause = xstrdupf("kubeconfig %s: user '%s': the ExecCredential of '%s' has neither "
				"status.token nor status.clientCertificateData and clientKeyData",
				x->kcpath, x->user, x->argv[0]);
		goto out;
	}
	i = json_path(&d, 0, "status.expirationTimestamp");
	if (i >= 0 && json_type(&d, i) == JSON_STRING) {
		size_t n;

		if (json_str(&d, i, tmp, sizeof(tmp), &n) != CD_OK ||
		    time_parse_rfc3339((struct span){ tmp, n }, &c->expiry_ns) != CD_OK) {
			*cause = xstrdupf("kubeconfig %s: user '%s': the ExecCredential of '%s' has an "
					"expirationTimestamp that is not RFC 3339",
					x->kcpath, x->user, x->argv[0]);
			goto out;
		}
		/* 0 means "never expires" here */
		if (c->expiry_ns == 0)
			c->expiry_ns = 1;
	}
	r = CD_OK;
out:
	json_tokens_release(&t);
	if (r != CD_OK)
		k8s_cred_release(c);
	return r;
}

void
k8s_exec_invalidate(const struct k8s_exec *x)
{
	int i;

	pthread_mutex_lock(&kx_mu);
	for (i = 0; i < kx_n; i++)
		if (strcmp(kx_cache[i].key, x->key) == 0)
			/* expired: the next k8s_exec_cred runs the plugin */
			kx_cache[i].cred.expiry_ns = 1;
	pthread_mutex_unlock(&kx_mu);
}

int
k8s_cred_expired(const struct k8s_cred *c)
{
	return c->expiry_ns != 0 && time_now_ns() >= c->expiry_ns;
}

int
k8s_exec_cred(const struct k8s_exec *x, struct k8s_cred *out, char **cause)
{
	struct k8s_cred fresh;
	struct buf o;
	int i, r;

	memset(out, 0, sizeof(*out));
	*cause = NULL;
	pthread_mutex_lock(&kx_mu);
	for (i = 0; i < kx_n; i++)
		if (strcmp(kx_cache[i].key, x->key) == 0)
			break;
	if (i < kx_n && !k8s_cred_expired(&kx_cache[i].cred)) {
		cred_copy(out, &kx_cache[i].cred);
		pthread_mutex_unlock(&kx_mu);
		return CD_OK;
	}
	buf_init(&o, KX_MAX_OUT);
	r = run_plugin(x, &o, cause);
	if (r == CD_OK)
		r = parse_cred(x, &o, &fresh, cause);
	freezero(o.data, o.alloc);
	if (r == CD_OK) {
		if (i == kx_n && kx_n < KX_CACHE)
			kx_n++;
		if (i == KX_CACHE)
			i = 0; /* full: the first entry makes room */
		k8s_cred_release(&kx_cache[i].cred);
		memcpy(kx_cache[i].key, x->key, sizeof(kx_cache[i].key));
		kx_cache[i].cred = fresh;
		cred_copy(out, &fresh);
	}
	pthread_mutex_unlock(&kx_mu);
	return r;
}
