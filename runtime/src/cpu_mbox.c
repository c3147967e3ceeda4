// SPDX-License-Identifier: MIT
/*
 * cpu_mbox.c - a pool thread's mailbox (cpu_mbox.h): one task at a time
 * offered by a caller, taken by the thread or taken back by the caller,
 * each with one compare-and-swap on the mailbox's word.
 */
#include <sched.h>

#include "common.h"
#include "cpu_mbox.h"

/* Polls with a pause between clock reads; past the first, yield the CPU. */
#define CPU_SPIN_CHECK		64
#define CPU_SPIN_PAUSE_NS	(2u * 1000)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

bool npurt_cpu_spin(uint64_t ns, bool (*ready)(void *), void *arg)
{
	uint64_t t0, now;
	unsigned int i;

	if (!ns)
		return ready(arg);
	t0 = npurt_now_ns();
	for (;;) {
		for (i = 0; i < CPU_SPIN_CHECK; i++) {
			if (ready(arg))
				return true;
			cpu_relax();
		}
		now = npurt_now_ns();
		if (now - t0 >= ns)
			return ready(arg);
		if (now - t0 >= CPU_SPIN_PAUSE_NS)
			sched_yield();
	}
}

void npurt_cpu_mbox_init(struct cpu_mbox *m)
{
	atomic_init(&m->word, CPU_MBOX_IDLE);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
}

void npurt_cpu_mbox_destroy(struct cpu_mbox *m)
{
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
}

bool npurt_cpu_mbox_offer(struct cpu_mbox *m, void *task)
{
	uintptr_t w = atomic_load_explicit(&m->word, memory_order_relaxed);

	do {
		if (w != CPU_MBOX_IDLE && w != CPU_MBOX_SLEEP)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&m->word, &w,
							(uintptr_t)task,
							memory_order_release,
							memory_order_relaxed));
	/*
	 * It marked itself asleep holding the lock and waits with it: once
	 * we hold it, the thread is in pthread_cond_wait() or past its check.
	 */
	if (w == CPU_MBOX_SLEEP) {
		pthread_mutex_lock(&m->lock);
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->lock);
	}
	return true;
}

bool npurt_cpu_mbox_retract(struct cpu_mbox *m, void *task)
{
	uintptr_t w = (uintptr_t)task;

	return atomic_compare_exchange_strong_explicit(&m->word, &w,
						       CPU_MBOX_IDLE,
						       memory_order_acq_rel,
						       memory_order_relaxed);
}

void npurt_cpu_mbox_stop(struct cpu_mbox *m)
{
	atomic_store_explicit(&m->word, CPU_MBOX_STOP, memory_order_release);
	pthread_mutex_lock(&m->lock);
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

static bool cpu_mbox_full(void *arg)
{
	struct cpu_mbox *m = arg;

	return atomic_load_explicit(&m->word, memory_order_relaxed) !=
	       CPU_MBOX_IDLE;
}

void *npurt_cpu_mbox_take(struct cpu_mbox *m, uint64_t spin_ns)
{
	uintptr_t w;

	for (;;) {
		npurt_cpu_spin(spin_ns, cpu_mbox_full, m);
		w = atomic_load_explicit(&m->word, memory_order_acquire);
		if (w == CPU_MBOX_STOP)
			return NULL;
		if (w > CPU_MBOX_STOP) {
			if (atomic_compare_exchange_strong_explicit(
				    &m->word, &w, CPU_MBOX_TAKEN,
				    memory_order_acquire, memory_order_relaxed))
				return (void *)w;
			continue;	/* taken back: poll again */
		}
		/* empty: sleep until a caller offers or stops */
		pthread_mutex_lock(&m->lock);
		w = CPU_MBOX_IDLE;
		if (atomic_compare_exchange_strong(&m->word, &w,
						   CPU_MBOX_SLEEP))
			w = CPU_MBOX_SLEEP;
		while (w == CPU_MBOX_SLEEP) {
			pthread_cond_wait(&m->wake, &m->lock);
			w = atomic_load(&m->word);
		}
		pthread_mutex_unlock(&m->lock);
		/* woken, perhaps for a task already taken back: an
		 * inference is under way, so poll before sleeping again */
	}
}

void npurt_cpu_mbox_done(struct cpu_mbox *m)
{
	uintptr_t w = CPU_MBOX_TAKEN;

	/* fails only when stopped meanwhile, which stays */
	atomic_compare_exchange_strong_explicit(&m->word, &w, CPU_MBOX_IDLE,
						memory_order_release,
						memory_order_relaxed);
}
