/*
 * kubemerge.c - which kubeconfig files count, and what they say together,
 * by kubectl's rules.
 *
 *   --kubeconfig PATH   that file alone; it must exist
 *   KUBECONFIG=a:b:c    every file of the list that exists (missing ones
 *                       are skipped, a repeated path counts once), merged
 *   otherwise           ~/.kube/config
 *
 * Merged as client-go merges them: a top-level value (current-context) is
 * taken from the first file that sets it; a named entry of clusters,
 * contexts or users from the first file that defines that name, whole (its
 * fields are never mixed with a later file's entry of the same name).  Each
 * entry remembers its file: relative paths in it are relative to that file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define KC_MAX_BYTES ((size_t)4 << 20)

void
kc_set_release(struct kc_set *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		free(s->f[i].path);
		kv_release(&s->f[i].d);
	}
	memset(s, 0, sizeof(*s));
}

int
kc_set_add_text(struct kc_set *s, const char *path, const char *text, size_t len, char **cause)
{
	const char *why = NULL;
	struct buf b;

	*cause = NULL;
	if (s->n >= KC_MAX_FILES) {
		*cause = xstrdup("too many kubeconfig files in KUBECONFIG");
		return CD_E_LIMIT;
	}
	if (kv_parse(text, len, &s->f[s->n].d, &why) != CD_OK) {
		buf_init(&b, 1024);
		if (buf_printf(&b, "kubeconfig %s: %s (fix the file, or point --kubeconfig at another)",
			       path, why ? why : "malformed") != CD_OK)
			buf_reset(&b);
		*cause = buf_take(&b);
		return CD_E_PARSE;
	}
	s->f[s->n].path = xstrdup(path);
	s->n++;
	return CD_OK;
}

static int
add_file(struct kc_set *s, const char *path, char **cause)
{
	char *text = NULL, *rcause = NULL;
	size_t len = 0;
	int r, i;
	struct buf b;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->f[i].path, path) == 0)
			return CD_OK;
	if (file_read(path, KC_MAX_BYTES, &text, &len, &rcause) != CD_OK) {
		buf_init(&b, 1024);
		if (buf_printf(&b, "cannot read kubeconfig %s: %s", path, rcause ? rcause : "?") != CD_OK)
			buf_reset(&b);
		*cause = buf_take(&b);
		free(rcause);
		return CD_E_IO;
	}
	r = kc_set_add_text(s, path, text, len, cause);
	freezero(text, len + 1);
	return r;
}

int
kc_set_load(struct kc_set *s, const char *explicit_path, char **cause)
{
	const char *v = env_get("KUBECONFIG"), *home = env_get("HOME");
	int r;

	memset(s, 0, sizeof(*s));
	*cause = NULL;
	if (explicit_path != NULL)
		return add_file(s, explicit_path, cause);
	if (v != NULL) {
		const char *p = v;

		while (*p) {
			const char *c = strchr(p, ':');
			size_t n = c ? (size_t)(c - p) : strlen(p);
			char *f = xstrndup(p, n);

			r = CD_OK;
			/* kubectl skips list entries that do not exist */
			if (n > 0 && access(f, F_OK) == 0)
				r = add_file(s, f, cause);
			free(f);
			if (r != CD_OK) {
				kc_set_release(s);
				return r;
			}
			p += n + (c != NULL);
		}
		if (s->n == 0) {
			*cause = xstrdup("no kubeconfig: none of the files in KUBECONFIG exists "
					 "(fix KUBECONFIG, or give --kubeconfig PATH)");
			return CD_E_USAGE;
		}
		return CD_OK;
	}
	if (home == NULL) {
		*cause = xstrdup("no kubeconfig: set KUBECONFIG or HOME, or give --kubeconfig PATH");
		return CD_E_USAGE;
	}
	{
		struct buf b;
		char *f;

		buf_init(&b, 4096);
		if (buf_printf(&b, "%s/.kube/config", home) != CD_OK) {
			buf_release(&b);
			*cause = xstrdup("HOME too long");
			return CD_E_USAGE;
		}
		f = buf_take(&b);
		if (access(f, F_OK) != 0) {
			free(f);
			*cause = xstrdup("no kubeconfig: ~/.kube/config does not exist (set KUBECONFIG, "
					 "or give --kubeconfig PATH)");
			return CD_E_USAGE;
		}
		r = add_file(s, f, cause);
		free(f);
		return r;
	}
}

const char *
kc_top(const struct kc_set *s, const char *key, int *file)
{
	int i;

	for (i = 0; i < s->n; i++) {
		const char *v = kv_get(&s->f[i].d, key);

		if (v != NULL && *v) {
			if (file != NULL)
				*file = i;
			return v;
		}
	}
	return NULL;
}

int
kc_named(const struct kc_set *s, const char *list, const char *name, struct kc_ref *out)
{
	int i, k;

	for (i = 0; i < s->n; i++)
		if ((k = kv_find_named(&s->f[i].d, list, name)) >= 0) {
			out->file = i;
			out->idx = k;
			return CD_OK;
		}
	out->file = out->idx = -1;
	return CD_E_NOTFOUND;
}

const char *
kc_field(const struct kc_set *s, struct kc_ref ref, const char *list, const char *sub)
{
	char key[600];
	int n;

	if (ref.file < 0 || ref.file >= s->n)
		return NULL;
	n = snprintf(key, sizeof(key), "%s[%d].%s", list, ref.idx, sub);
	if (n < 0 || n >= (int)sizeof(key))
		return NULL;
	return kv_get(&s->f[ref.file].d, key);
}

const char *
kc_path(const struct kc_set *s, struct kc_ref ref)
{
	return ref.file >= 0 && ref.file < s->n ? s->f[ref.file].path : "?";
}
