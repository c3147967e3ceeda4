/* SPDX-License-Identifier: MIT */
/*
 * cancel.h - cancellation tokens seen from the inside: a blocked call
 * registers a waiter that npurt_cancel_request() wakes.
 */
#ifndef NPURT_CANCEL_H
#define NPURT_CANCEL_H

#include "common.h"

struct npurt_cancel_waiter {
	struct npurt_cancel_waiter *next;
	/* Called with the token's lock held, after the request is visible
	 * (npurt_cancel_requested() is 1): wake the waiting thread. */
	void (*wake)(struct npurt_cancel_waiter *w);
};

/* Register @w until npurt_cancel_unwatch(); @cancel may be NULL. */
void npurt_cancel_watch(npurt_cancel *cancel, struct npurt_cancel_waiter *w);
void npurt_cancel_unwatch(npurt_cancel *cancel,
			  struct npurt_cancel_waiter *w);

#endif /* NPURT_CANCEL_H */
