/*
 * curl_dl.c - libcurl, loaded when a command first needs the network.
 *
 * Linked at build time, libcurl brings 27 shared libraries with it (GnuTLS,
 * Kerberos, LDAP, libssh2, nghttp2, ...), and the dynamic loader maps and
 * relocates every one of them before main() in every cordon process: 16 ms
 * of the 25 ms of CPU a process spent before main(), and 150 ms of wall time
 * at a load average of 13 (a program that does nothing, linked with
 * cordon's libraries, with and without -lcurl; docs/correlate-cost.md).
 * `whois`, `reach` and `events`, run in loops during an incident, never use
 * the network.  So cordon does not link libcurl: the few functions it calls
 * are defined here, and the first call dlopen()s the real libcurl (its
 * soname, as the dynamic loader would find it) and forwards to it.
 *
 * The executable does not export these names (no -rdynamic), so libcurl's
 * calls among its own functions still bind inside libcurl.  The variadic
 * setters forward their one argument by the type its option number says
 * (curl.h: CURLOPTTYPE_*, the option's range of 10,000), as libcurl
 * itself reads it.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "private.h"

#define CURL_SONAME "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	char *(*version)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char why[256];

/* dlsym's void * to a function pointer: POSIX guarantees the conversion */
#define SYM(field, name)                                                      \
	do {                                                                  \
		void *p_ = dlsym(h, name);                                    \
		if (p_ == NULL) {                                             \
			snprintf(why, sizeof(why), "%s: no %s", CURL_SONAME, name); \
			return;                                               \
		}                                                             \
		*(void **)(void *)&fn.field = p_;                             \
	} while (0)

static void
curl_load(void)
{
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		const char *e = dlerror();

		snprintf(why, sizeof(why), "%s", e != NULL ? e : CURL_SONAME ": cannot load");
		return;
	}
	SYM(global_init, "curl_global_init");
	SYM(global_cleanup, "curl_global_cleanup");
	SYM(version, "curl_version");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	SYM(multi_init, "curl_multi_init");
	SYM(multi_setopt, "curl_multi_setopt");
	SYM(multi_add_handle, "curl_multi_add_handle");
	SYM(multi_remove_handle, "curl_multi_remove_handle");
	SYM(multi_poll, "curl_multi_poll");
	SYM(multi_perform, "curl_multi_perform");
	SYM(multi_info_read, "curl_multi_info_read");
	SYM(multi_cleanup, "curl_multi_cleanup");
	loaded = 1; /* the handle stays open for the process's life */
}

static int
ready(void)
{
	pthread_once(&once, curl_load);
	return loaded;
}

const char *
curl_dl_error(void)
{
	return ready() ? NULL : why;
}

CURLcode
curl_global_init(long flags)
{
	return ready() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

void
curl_global_cleanup(void)
{
	if (loaded)
		fn.global_cleanup();
}

char *
curl_version(void)
{
	static char none[] = "libcurl not loaded";

	return ready() ? fn.version() : none;
}

CURL *
curl_easy_init(void)
{
	return ready() ? fn.easy_init() : NULL;
}

CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	CURLcode c = CURLE_FAILED_INIT;
	va_list ap;

	if (!ready())
		return c;
	va_start(ap, opt);
	switch ((int)opt / 10000) {
	case 0: /* CURLOPTTYPE_LONG, _VALUES */
		c = fn.easy_setopt(h, opt, va_arg(ap, long));
		break;
	case 2: /* CURLOPTTYPE_FUNCTIONPOINT */
		c = fn.easy_setopt(h, opt, va_arg(ap, void (*)(void)));
		break;
	case 3: /* CURLOPTTYPE_OFF_T */
		c = fn.easy_setopt(h, opt, va_arg(ap, curl_off_t));
		break;
	default: /* OBJECTPOINT, STRINGPOINT, SLISTPOINT, CBPOINT, BLOB */
		c = fn.easy_setopt(h, opt, va_arg(ap, void *));
		break;
	}
	va_end(ap);
	return c;
}

CURLcode
curl_easy_perform(CURL *h)
{
	return ready() ? fn.easy_perform(h) : CURLE_FAILED_INIT;
}

void
curl_easy_cleanup(CURL *h)
{
	if (loaded)
		fn.easy_cleanup(h);
}

CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	CURLcode c = CURLE_FAILED_INIT;
	va_list ap;

	if (!ready())
		return c;
	va_start(ap, info);
	c = fn.easy_getinfo(h, info, va_arg(ap, void *)); /* always a pointer */
	va_end(ap);
	return c;
}

const char *
curl_easy_strerror(CURLcode c)
{
	return ready() ? fn.easy_strerror(c) : why;
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	return ready() ? fn.slist_append(l, s) : NULL;
}

void
curl_slist_free_all(struct curl_slist *l)
{
	if (loaded)
		fn.slist_free_all(l);
}

CURLM *
curl_multi_init(void)
{
	return ready() ? fn.multi_init() : NULL;
}

CURLMcode
curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	CURLMcode c = CURLM_INTERNAL_ERROR;
	va_list ap;

	if (!ready())
		return c;
	va_start(ap, opt);
	switch ((int)opt / 10000) {
	case 0:
		c = fn.multi_setopt(m, opt, va_arg(ap, long));
		break;
	case 2:
		c = fn.multi_setopt(m, opt, va_arg(ap, void (*)(void)));
		break;
	case 3:
		c = fn.multi_setopt(m, opt, va_arg(ap, curl_off_t));
		break;
	default:
		c = fn.multi_setopt(m, opt, va_arg(ap, void *));
		break;
	}
	va_end(ap);
	return c;
}

CURLMcode
curl_multi_add_handle(CURLM *m, CURL *h)
{
	return ready() ? fn.multi_add_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curl_multi_remove_handle(CURLM *m, CURL *h)
{
	return ready() ? fn.multi_remove_handle(m, h) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curl_multi_poll(CURLM *m, struct curl_waitfd extra[], unsigned int n, int timeout_ms, int *ret)
{
	return ready() ? fn.multi_poll(m, extra, n, timeout_ms, ret) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curl_multi_perform(CURLM *m, int *running)
{
	return ready() ? fn.multi_perform(m, running) : CURLM_INTERNAL_ERROR;
}

CURLMsg *
curl_multi_info_read(CURLM *m, int *left)
{
	return ready() ? fn.multi_info_read(m, left) : NULL;
}

CURLMcode
curl_multi_cleanup(CURLM *m)
{
	return ready() ? fn.multi_cleanup(m) : CURLM_INTERNAL_ERROR;
}
