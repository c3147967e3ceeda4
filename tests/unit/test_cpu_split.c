// SPDX-License-Identifier: MIT
/*
 * test_cpu_split.c - how the CPU backend splits a command
 * (runtime/src/cpu_split.c): the estimate of its time per opcode, and the
 * chunks and threads it gets: none for short commands, at most 4 per
 * thread for long ones, never more than the units, the threads shared
 * among the runs using the device, and chunks that cover the units exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_split.h"

/* @p splits @units into chunks of p->chunk, only the last one shorter. */
static void assert_covers(const struct npurt_cpu_split *p, uint64_t units)
{
	assert_true(p->threads >= 1);
	if (!units) {
		assert_int_equal(p->chunks, 0);
		return;
	}
	assert_true(p->chunks >= 1 && p->chunk >= 1);
	assert_true(p->threads <= p->chunks);
	assert_true(p->chunk * (p->chunks - 1) < units);
	assert_true(units - p->chunk * (p->chunks - 1) <= p->chunk);
}

static void plan(uint64_t units, uint64_t cost_ns, unsigned int threads,
		 unsigned int callers, uint64_t chunk_ns,
		 unsigned int want_threads, uint64_t want_chunks,
		 uint64_t want_chunk)
{
	struct npurt_cpu_split p;

	memset(&p, 0xa5, sizeof(p));
	npurt_cpu_split_plan(units, cost_ns, threads, callers, chunk_ns, &p);
	assert_covers(&p, units);
	if (p.threads != want_threads || p.chunks != want_chunks ||
	    p.chunk != want_chunk)
		fail_msg("units %llu cost %llu ns, %u threads, %u callers, "
			 "chunks of %llu ns: %u threads, %llu chunks of %llu; "
			 "want %u, %llu of %llu", (unsigned long long)units,
			 (unsigned long long)cost_ns, threads, callers,
			 (unsigned long long)chunk_ns, p.threads,
			 (unsigned long long)p.chunks,
			 (unsigned long long)p.chunk, want_threads,
			 (unsigned long long)want_chunks,
			 (unsigned long long)want_chunk);
}

static void test_plan(void **state)
{
	(void)state;
	/* shorter than two chunks: the caller alone */
	plan(1000, 7999, 16, 1, 4000, 1, 1, 1000);
	/* two chunks' worth: two threads */
	plan(1000, 8000, 16, 1, 4000, 2, 2, 500);
	/* long: 4 chunks per thread at most */
	plan(1000, 1000000, 2, 1, 4000, 2, 8, 125);
	plan(1000, 1000000, 16, 1, 4000, 16, 63, 16);
	/* in between: one chunk per 4 µs, a thread each */
	plan(1200, 20000, 16, 1, 4000, 5, 5, 240);
	/* units < threads: a unit per chunk, a thread per unit */
	plan(3, 1000000, 16, 1, 4000, 3, 3, 1);
	plan(1, 1000000, 16, 1, 4000, 1, 1, 1);
	plan(0, 1000000, 16, 1, 4000, 1, 0, 0);
	/* cpu(1) never splits */
	plan(1000, 1000000, 1, 1, 4000, 1, 1, 1000);
	/* chunk_ns 0: as many chunks as threads allow, however short */
	plan(1000, 0, 4, 1, 0, 4, 16, 63);
	plan(5, 0, 4, 1, 0, 4, 5, 1);
	/* other runs using the device share its threads */
	plan(1000, 1000000, 16, 2, 4000, 8, 32, 32);
	plan(1000, 1000000, 16, 5, 4000, 3, 12, 84);
	plan(1000, 1000000, 16, 9, 4000, 1, 1, 1000);
	plan(1000, 1000000, 2, 2, 4000, 1, 1, 1000);
	plan(1000, 1000000, 2, 4, 0, 1, 1, 1000);
	/* no caller counted (not in a run): as one */
	plan(1000, 1000000, 2, 0, 4000, 2, 8, 125);
	/* the largest sizes do not overflow */
	plan(UINT64_MAX, UINT64_MAX, 4, 1, 1, 4, 16,
	     UINT64_MAX / 16 + 1);
}

/*
 * Estimates by opcode: the element-wise command of 16K elements that a
 * fixed split into 4N chunks slowed 4.5 times stays whole; those of
 * mobilenet_v3_small's 200704 elements are worth 8 chunks on 2 threads.
 */
static void test_cost(void **state)
{
	struct rm_npu_cmd c;
	struct npurt_cpu_split p;
	uint64_t small, large, dw;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_ELTWISE;
	c.eltwise.rows = 4;
	c.eltwise.cols = 4096;
	small = npurt_cpu_cost_ns(&c);
	npurt_cpu_split_plan(4, small, 16, 1, NPURT_CPU_CHUNK_NS_DEFAULT, &p);
	assert_int_equal(p.threads, 1);
	c.eltwise.rows = 1024;
	c.eltwise.cols = 196;
	large = npurt_cpu_cost_ns(&c);
	npurt_cpu_split_plan(1024, large, 2, 1, NPURT_CPU_CHUNK_NS_DEFAULT,
			     &p);
	assert_int_equal(p.threads, 2);
	assert_int_equal(p.chunks, 8);

	/* a depthwise convolution costs more per operation than a dense one */
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_CONV2D;
	c.conv2d.batch = 1;
	c.conv2d.in_h = c.conv2d.in_w = 28;
	c.conv2d.out_h = c.conv2d.out_w = 28;
	c.conv2d.in_c = c.conv2d.out_c = 64;
	c.conv2d.k_h = c.conv2d.k_w = 3;
	c.conv2d.stride_h = c.conv2d.stride_w = 1;
	c.conv2d.dil_h = c.conv2d.dil_w = 1;
	c.conv2d.groups = 1;
	large = npurt_cpu_cost_ns(&c);
	c.conv2d.groups = 64;
	dw = npurt_cpu_cost_ns(&c);
	assert_true(dw * 64 > large * 4);
	assert_true(dw < large);

	/* NOP and unknown opcodes: nothing to share */
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_NOP;
	assert_int_equal(npurt_cpu_cost_ns(&c), 0);
	c.opcode = RM_NPU_OP_COUNT;
	assert_int_equal(npurt_cpu_cost_ns(&c), 0);
}

/*
 * GEMM and CONV2D split by rows (their units are column-block major);
 * chunks of rows rounded up to whole tiles.
 */
static void test_rows(void **state)
{
	struct rm_npu_cmd c;
	struct npurt_cpu_split p;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_GEMM;
	c.gemm.m = 49;
	c.gemm.n = 960;
	c.gemm.k = 160;
	assert_int_equal(npurt_cpu_split_rows(&c, 49 * 15), 49);
	/* units not rows * blocks: not split by rows */
	assert_int_equal(npurt_cpu_split_rows(&c, 49 * 15 + 1), 0);
	c.gemm.n = 1;
	assert_int_equal(npurt_cpu_split_rows(&c, 49), 49);
	c.gemm.m = 0;
	assert_int_equal(npurt_cpu_split_rows(&c, 0), 0);

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_CONV2D;
	c.conv2d.batch = 2;
	c.conv2d.out_h = 7;
	c.conv2d.out_w = 5;
	c.conv2d.out_c = 65;
	assert_int_equal(npurt_cpu_split_rows(&c, 70 * 2), 70);
	c.opcode = RM_NPU_OP_POOL2D;
	assert_int_equal(npurt_cpu_split_rows(&c, 70), 0);
	c.opcode = RM_NPU_OP_ELTWISE;
	assert_int_equal(npurt_cpu_split_rows(&c, 70), 0);

	/* 49 rows in 8 chunks of 7: 5 chunks of 12, the last of 1 */
	npurt_cpu_split_plan(49, 1000000, 2, 1, 4000, &p);
	assert_int_equal(p.chunk, 7);
	npurt_cpu_split_align(&p, 49, 6);
	assert_int_equal(p.chunk, 12);
	assert_int_equal(p.chunks, 5);
	assert_int_equal(p.threads, 2);
	assert_covers(&p, 49);
	/* already whole tiles, or shorter than one: unchanged */
	npurt_cpu_split_plan(48, 1000000, 2, 1, 4000, &p);
	npurt_cpu_split_align(&p, 48, 6);
	assert_int_equal(p.chunk, 6);
	assert_int_equal(p.chunks, 8);
	npurt_cpu_split_plan(20, 1000000, 2, 1, 4000, &p);
	npurt_cpu_split_align(&p, 20, 6);
	assert_int_equal(p.chunk, 3);
	assert_int_equal(p.chunks, 7);
	/* fewer chunks after rounding up: fewer threads */
	npurt_cpu_split_plan(70, 20000, 16, 1, 4000, &p);
	assert_int_equal(p.chunk, 14);
	assert_int_equal(p.threads, 5);
	npurt_cpu_split_align(&p, 70, 6);
	assert_int_equal(p.chunk, 18);
	assert_int_equal(p.chunks, 4);
	assert_int_equal(p.threads, 4);
	assert_covers(&p, 70);
	/* one chunk: unchanged */
	npurt_cpu_split_plan(100, 10, 16, 1, 4000, &p);
	npurt_cpu_split_align(&p, 100, 6);
	assert_int_equal(p.chunk, 100);
	assert_int_equal(p.chunks, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
