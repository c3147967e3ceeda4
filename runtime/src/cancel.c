// SPDX-License-Identifier: MIT
/*
 * cancel.c - cancellation tokens (npurt_cancel): a flag that runs given the
 * token check, and the list of blocked calls a request wakes at once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "cancel.h"

struct npurt_cancel {
	pthread_mutex_t lock;
	atomic_int requested;
	struct npurt_cancel_waiter *waiters;
};

NPURT_API int npurt_cancel_create(npurt_cancel **out)
{
	npurt_cancel *c;

	if (!out)
		return npurt_err(-EINVAL, "npurt_cancel_create: out is NULL");
	c = calloc(1, sizeof(*c));
	if (!c) {
		*out = NULL;
		return npurt_err(-ENOMEM, "out of memory");
	}
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->requested, 0);
	*out = c;
	return 0;
}

NPURT_API void npurt_cancel_request(npurt_cancel *cancel)
{
	struct npurt_cancel_waiter *w;

	if (!cancel)
		return;
	pthread_mutex_lock(&cancel->lock);
	atomic_store(&cancel->requested, 1);
	for (w = cancel->waiters; w; w = w->next)
		w->wake(w);
	pthread_mutex_unlock(&cancel->lock);
}

NPURT_API int npurt_cancel_requested(const npurt_cancel *cancel)
{
	return cancel ? atomic_load(&cancel->requested) : 0;
}

NPURT_API void npurt_cancel_reset(npurt_cancel *cancel)
{
	if (cancel)
		atomic_store(&cancel->requested, 0);
}

NPURT_API void npurt_cancel_destroy(npurt_cancel *cancel)
{
	if (!cancel)
		return;
	pthread_mutex_destroy(&cancel->lock);
	free(cancel);
}

void npurt_cancel_watch(npurt_cancel *cancel, struct npurt_cancel_waiter *w)
{
	if (!cancel)
		return;
	pthread_mutex_lock(&cancel->lock);
	w->next = cancel->waiters;
	cancel->waiters = w;
	pthread_mutex_unlock(&cancel->lock);
}

void npurt_cancel_unwatch(npurt_cancel *cancel, struct npurt_cancel_waiter *w)
{
	struct npurt_cancel_waiter **p;

	if (!cancel)
		return;
	pthread_mutex_lock(&cancel->lock);
	for (p = &cancel->waiters; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&cancel->lock);
}
