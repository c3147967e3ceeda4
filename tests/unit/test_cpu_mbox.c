// SPDX-License-Identifier: MIT
/*
 * The pool threads' mailboxes (runtime/src/cpu_mbox.c): the state each
 * call leaves, and under threads that every offered task is either run
 * once or taken back, never both or neither, and that no wake-up is lost
 * (a lost one hangs the round; SIGALRM then fails the test).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpu_mbox.h"

#define HELPERS		3
#define ROUNDS		20000

struct task {
	_Atomic unsigned int runs;
	_Atomic unsigned int *left;	/* tasks of the round not yet done */
};

struct helper {
	struct cpu_mbox mbox;
	uint64_t spin_ns;
	unsigned int taken;
};

static void test_states(void **state)
{
	struct cpu_mbox m;
	struct task a = { 0 }, b = { 0 };

	(void)state;
	npurt_cpu_mbox_init(&m);
	assert_true(npurt_cpu_mbox_offer(&m, &a));
	/* one task at a time */
	assert_false(npurt_cpu_mbox_offer(&m, &b));
	assert_false(npurt_cpu_mbox_retract(&m, &b));
	assert_true(npurt_cpu_mbox_retract(&m, &a));
	assert_false(npurt_cpu_mbox_retract(&m, &a));
	assert_int_equal(atomic_load(&m.word), CPU_MBOX_IDLE);

	/* taken: the caller can neither take it back nor offer more */
	assert_true(npurt_cpu_mbox_offer(&m, &b));
	assert_ptr_equal(npurt_cpu_mbox_take(&m, 0), &b);
	assert_int_equal(atomic_load(&m.word), CPU_MBOX_TAKEN);
	assert_false(npurt_cpu_mbox_retract(&m, &b));
	assert_false(npurt_cpu_mbox_offer(&m, &a));
	npurt_cpu_mbox_done(&m);
	assert_int_equal(atomic_load(&m.word), CPU_MBOX_IDLE);

	/* stopped: nothing offered, take says so, and done keeps it */
	npurt_cpu_mbox_stop(&m);
	assert_false(npurt_cpu_mbox_offer(&m, &a));
	assert_null(npurt_cpu_mbox_take(&m, 0));
	npurt_cpu_mbox_done(&m);
	assert_int_equal(atomic_load(&m.word), CPU_MBOX_STOP);
	npurt_cpu_mbox_destroy(&m);
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	struct task *t;

	while ((t = npurt_cpu_mbox_take(&h->mbox, h->spin_ns))) {
		atomic_fetch_add(&t->runs, 1);
		h->taken++;
		npurt_cpu_mbox_done(&h->mbox);
		/* after done, as the pool's threads leave a batch */
		atomic_fetch_sub(t->left, 1);
	}
	return NULL;
}

static bool round_done(void *arg)
{
	return !atomic_load((_Atomic unsigned int *)arg);
}

/*
 * @spin_ns 0: every helper sleeps whenever its mailbox is empty, so each
 * round wakes it; 20 us: it mostly polls. The caller waits a varying
 * while before taking its offers back, so some are taken, some not.
 */
static void stress(uint64_t spin_ns)
{
	static struct helper h[HELPERS];
	pthread_t th[HELPERS];
	struct task t[HELPERS];
	unsigned int r, i, taken = 0, back = 0, sum = 0;
	_Atomic unsigned int left;

	for (i = 0; i < HELPERS; i++) {
		npurt_cpu_mbox_init(&h[i].mbox);
		h[i].spin_ns = spin_ns;
		h[i].taken = 0;
		assert_int_equal(pthread_create(&th[i], NULL, helper_main,
						&h[i]), 0);
	}
	alarm(120);
	for (r = 0; r < ROUNDS; r++) {
		atomic_store(&left, HELPERS);
		for (i = 0; i < HELPERS; i++) {
			atomic_init(&t[i].runs, 0);
			t[i].left = &left;
			assert_true(npurt_cpu_mbox_offer(&h[i].mbox, &t[i]));
		}
		for (volatile unsigned int d = 0; d < (r * 7919u) % 2000; d++)
			;
		for (i = 0; i < HELPERS; i++)
			if (npurt_cpu_mbox_retract(&h[i].mbox, &t[i])) {
				atomic_fetch_sub(&left, 1);
				back++;
				assert_int_equal(atomic_load(&t[i].runs), 0);
			}
		while (!npurt_cpu_spin(1000000, round_done, &left))
			;
		for (i = 0; i < HELPERS; i++)
			taken += atomic_load(&t[i].runs);
	}
	alarm(0);
	for (i = 0; i < HELPERS; i++)
		npurt_cpu_mbox_stop(&h[i].mbox);
	for (i = 0; i < HELPERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		sum += h[i].taken;
		npurt_cpu_mbox_destroy(&h[i].mbox);
	}
	assert_int_equal(taken + back, ROUNDS * HELPERS);
	assert_int_equal(sum, taken);
	print_message("spin %llu ns: %u run by helpers, %u taken back\n",
		      (unsigned long long)spin_ns, taken, back);
}

static void test_stress_sleeping(void **state)
{
	(void)state;
	stress(0);
}

static void test_stress_polling(void **state)
{
	(void)state;
	stress(20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_stress_sleeping),
		cmocka_unit_test(test_stress_polling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
