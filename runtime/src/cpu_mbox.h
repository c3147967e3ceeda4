/* SPDX-License-Identifier: MIT */
/*
 * cpu_mbox.h - hand-off of one task at a time from a caller to one pool
 * thread (cpu_mbox.c), and the polling both sides do before they sleep.
 *
 * A mailbox belongs to one pool thread. A caller offers a task with one
 * compare-and-swap; the thread takes it with another, or the caller takes
 * it back with one if the thread has not (it did the work itself). So a
 * hand-off touches one cache line that only these two share, and no lock,
 * while the thread polls; a thread that has polled long enough sleeps on
 * its own condition variable, and a caller that offers to a sleeping
 * thread wakes it (never lost: the thread marks itself asleep under the
 * lock it waits with, and the caller signals under it).
 */
#ifndef NPURT_CPU_MBOX_H
#define NPURT_CPU_MBOX_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The states of cpu_mbox.word other than an offered task's address. */
#define CPU_MBOX_IDLE	0u	/* empty, the thread polls it */
#define CPU_MBOX_SLEEP	1u	/* empty, the thread sleeps (or is about to) */
#define CPU_MBOX_TAKEN	2u	/* the thread runs the task it took */
#define CPU_MBOX_STOP	3u	/* the thread is to exit */

struct cpu_mbox {
	alignas(64) _Atomic uintptr_t word;	/* a state, or the task */
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

void npurt_cpu_mbox_init(struct cpu_mbox *m);
void npurt_cpu_mbox_destroy(struct cpu_mbox *m);

/*
 * Caller side. Offers @task (non-NULL, aligned to 4 at least): true when
 * the mailbox was empty and now holds it, waking the thread if it sleeps;
 * false when the thread is busy or stopping (run without it).
 */
bool npurt_cpu_mbox_offer(struct cpu_mbox *m, void *task);
/* Takes @task back: true when the thread had not taken it. */
bool npurt_cpu_mbox_retract(struct cpu_mbox *m, void *task);
/* Tells the thread to exit once it is done with what it holds. */
void npurt_cpu_mbox_stop(struct cpu_mbox *m);

/*
 * Thread side. The next task offered, or NULL when stopped. @spin_ns: how
 * long to poll before sleeping (0: sleep at once when empty).
 */
void *npurt_cpu_mbox_take(struct cpu_mbox *m, uint64_t spin_ns);
/* The task taken is done: the mailbox is empty again. */
void npurt_cpu_mbox_done(struct cpu_mbox *m);

/*
 * Polls until @ready(@arg) or @ns have passed, pausing between checks,
 * then yielding the CPU to any other runnable thread; returns @ready's
 * last answer. @ns 0: one check.
 */
bool npurt_cpu_spin(uint64_t ns, bool (*ready)(void *), void *arg);

#endif
