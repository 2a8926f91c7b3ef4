/*
 * shared.c - state the steps of one run share.
 *
 * Steps run on a pool of threads and each opens its own connection, yet
 * some providers want one request for many targets: GitHub's credential
 * revocation API takes up to 1000 tokens per call and allows 60 calls an
 * hour, so a leak of 200 tokens must be one call, while each token keeps
 * its own plan step and audit row.  The first step that needs such a
 * batch makes it under the run's lock; the others find it made.  The run
 * (revoke/exec.c) owns the object and frees it, with every slot, at the
 * end, so nothing leaks from one run into the next in a long-lived process
 * (the TUI).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define SHARED_SLOTS 8

struct shared_slot {
	char key[32];
	void *data;
	void (*release)(void *);
};

struct conn_shared {
	pthread_mutex_t mu;
	struct shared_slot slot[SHARED_SLOTS];
	size_t n;
};

struct conn_shared *
conn_shared_new(void)
{
	struct conn_shared *sh = xcalloc(1, sizeof(*sh));

	pthread_mutex_init(&sh->mu, NULL);
	return sh;
}

void
conn_shared_free(struct conn_shared *sh)
{
	size_t i;

	if (sh == NULL)
		return;
	for (i = 0; i < sh->n; i++)
		if (sh->slot[i].release != NULL)
			sh->slot[i].release(sh->slot[i].data);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

void *
conn_shared_lock(struct conn_shared *sh, const char *key, void *(*make)(void *), void *arg,
		 void (*release)(void *))
{
	size_t i;

	pthread_mutex_lock(&sh->mu);
	for (i = 0; i < sh->n; i++)
		if (strcmp(sh->slot[i].key, key) == 0)
			return sh->slot[i].data;
	if (sh->n == SHARED_SLOTS || strlen(key) >= sizeof(sh->slot[0].key))
		cd_fatal("conn_shared: slot '%s' does not fit", key); /* a programming error */
	snprintf(sh->slot[sh->n].key, sizeof(sh->slot[0].key), "%s", key);
	sh->slot[sh->n].data = make(arg);
	sh->slot[sh->n].release = release;
	return sh->slot[sh->n++].data;
}

void
conn_shared_unlock(struct conn_shared *sh)
{
	pthread_mutex_unlock(&sh->mu);
}
