// SPDX-License-Identifier: MIT
/*
 * A split command's runs of units (runtime/src/cpu_range.c): the chunks
 * an owner and the others claim, and under threads racing for the same
 * runs that every unit is claimed exactly once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cpu_range.h"

static void claim(struct cpu_range *r, bool own, uint32_t part,
		  uint64_t begin, uint64_t end)
{
	uint64_t b = 0, e = 0;

	assert_true(npurt_cpu_range_claim(r, own, part, &b, &e));
	assert_int_equal(b, begin);
	assert_int_equal(e, end);
}

static void test_chunks(void **state)
{
	struct cpu_range r;
	uint64_t b, e;

	(void)state;
	/* the owner: all but two parts, then the rest */
	npurt_cpu_range_set(&r, 100, 200);
	claim(&r, true, 13, 100, 174);
	claim(&r, true, 13, 174, 200);
	assert_false(npurt_cpu_range_claim(&r, true, 13, &b, &e));
	assert_false(npurt_cpu_range_claim(&r, false, 13, &b, &e));
	/* others: a part at a time from the end, the last part shorter */
	npurt_cpu_range_set(&r, 0, 30);
	claim(&r, false, 13, 17, 30);
	claim(&r, false, 13, 4, 17);
	claim(&r, false, 13, 0, 4);
	assert_false(npurt_cpu_range_claim(&r, false, 13, &b, &e));
	/* both ends of one run */
	npurt_cpu_range_set(&r, 0, 100);
	claim(&r, false, 13, 87, 100);
	claim(&r, true, 13, 0, 61);
	claim(&r, false, 13, 74, 87);
	claim(&r, true, 13, 61, 74);
	assert_false(npurt_cpu_range_claim(&r, true, 13, &b, &e));
	/* no more than two parts left: the owner takes them all */
	npurt_cpu_range_set(&r, 5, 31);
	claim(&r, true, 13, 5, 31);
	npurt_cpu_range_set(&r, 5, 33);
	claim(&r, true, 13, 5, 7);
	/* an empty run, and the widest */
	npurt_cpu_range_set(&r, 7, 7);
	assert_false(npurt_cpu_range_claim(&r, true, 1, &b, &e));
	npurt_cpu_range_set(&r, 0, UINT32_MAX);
	claim(&r, false, 0x80000000u, UINT32_MAX - 0x80000000u, UINT32_MAX);
	claim(&r, true, 0x80000000u, 0, UINT32_MAX - 0x80000000u);
}

#define THREADS		3
#define RUN		5000u
#define ROUNDS		300

struct race {
	struct cpu_range runs[THREADS];
	_Atomic unsigned char seen[THREADS * RUN];
	pthread_barrier_t start;
};

struct racer {
	struct race *race;
	unsigned int slot, round;
};

static void *racer_main(void *arg)
{
	struct racer *me = arg;
	struct race *rc = me->race;
	/* parts of 1..64 units: many claims, many collisions */
	uint32_t part = 1 + (me->round * 7 + me->slot) % 64;
	uint64_t b, e, u;
	unsigned int i;

	pthread_barrier_wait(&rc->start);
	for (i = 0; i < THREADS; i++)
		while (npurt_cpu_range_claim(&rc->runs[(me->slot + i) %
						       THREADS], !i, part,
					     &b, &e))
			for (u = b; u < e; u++)
				atomic_fetch_add(&rc->seen[u], 1);
	return NULL;
}

static void test_race(void **state)
{
	static struct race rc;
	struct racer r[THREADS];
	pthread_t t[THREADS];
	unsigned int round, i, u;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		for (u = 0; u < THREADS * RUN; u++)
			atomic_store(&rc.seen[u], 0);
		/* uneven runs: the first thread's is short */
		npurt_cpu_range_set(&rc.runs[0], 0, RUN / 10);
		for (i = 1; i < THREADS; i++)
			npurt_cpu_range_set(&rc.runs[i], i * RUN,
					    (i + 1) * RUN);
		for (u = RUN / 10; u < RUN; u++)
			atomic_store(&rc.seen[u], 1);	/* no one's */
		assert_int_equal(pthread_barrier_init(&rc.start, NULL,
						      THREADS), 0);
		for (i = 0; i < THREADS; i++) {
			r[i] = (struct racer){ &rc, i, round };
			assert_int_equal(pthread_create(&t[i], NULL,
							racer_main, &r[i]), 0);
		}
		for (i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&rc.start);
		for (u = 0; u < THREADS * RUN; u++)
			if (atomic_load(&rc.seen[u]) != 1)
				fail_msg("round %u: unit %u counted %u times",
					 round, u,
					 (unsigned int)atomic_load(&rc.seen[u]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
