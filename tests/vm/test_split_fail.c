// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_split_fail: on a fused pair, a command split across the two PEs
 * stops on both as soon as one half fails. A GEMM's second half (the
 * partner PE's columns) meets a per-channel {mult, shift} pair out of
 * range in its first chunk; the first half, a long run of rows, must stop
 * at its next chunk instead of running to its end: its last rows stay
 * unwritten. The job fails with EINVAL at that command. The same GEMM
 * with good pairs runs whole (on a few rows), every output exact.
 */
#include "job_util.h"

#define N		128	/* two 64-column blocks: one per PE */
#define K		2048
#define M_LONG		8192	/* rows: the first half runs for seconds */
#define M_SHORT		64
#define SENTINEL	0x5a

enum { BUF_A, BUF_B, BUF_Q, BUF_OUT, NBUF };

static struct rm_npu_cmd gemm_q(__u32 m)
{
	struct rm_npu_cmd c = npu_cmd_gemm32(BUF_A, BUF_B, BUF_OUT, m, N, K);

	c.flags = RM_NPU_MM_PER_CHANNEL;
	c.gemm.quant.bo = BUF_Q;
	c.gemm.out_dtype = RM_NPU_DT_INT8;
	c.gemm.rq.act_min = -128;
	c.gemm.rq.act_max = 127;
	return c;
}

static void test_half_fails(void **state)
{
	int fd = npu_open("npu0pe0-1");
	__u32 h[NBUF], idx;
	struct rm_npu_cmd c[3];
	__s32 *q;
	__s8 *out;
	__u64 id;
	int i;

	(void)state;
	h[BUF_A] = npu_bo_create(fd, (__u64)M_LONG * K, NULL);
	h[BUF_B] = npu_bo_create(fd, (__u64)K * N, NULL);
	h[BUF_Q] = npu_bo_create(fd, 8 * N, NULL);
	h[BUF_OUT] = npu_bo_create(fd, (__u64)M_LONG * N, NULL);
	q = npu_bo_map(fd, h[BUF_Q], 0, 8 * N);
	for (i = 0; i < N; i++) {
		q[2 * i] = 1 << 24;	/* scale 2^24 * 2^-31 = 2^-7 */
		q[2 * i + 1] = 0;
	}
	c[0] = npu_cmd_fill(BUF_A, 0, (__u64)M_LONG * K, 1, 1);
	c[1] = npu_cmd_fill(BUF_B, 0, (__u64)K * N, 1, 1);
	c[2] = npu_cmd_fill(BUF_OUT, 0, (__u64)M_LONG * N, 1, SENTINEL);
	npu_wait_ok(fd, npu_submit(fd, c, 3, h, NBUF, NULL));
	out = npu_bo_map(fd, h[BUF_OUT], 0, (size_t)M_LONG * N);

	/* Good pairs, a few rows: every output is sum(1 * 1) * 2^-7 = 16. */
	c[0] = gemm_q(M_SHORT);
	npu_wait_ok(fd, npu_submit(fd, c, 1, h, NBUF, NULL));
	for (i = 0; i < M_SHORT * N; i++)
		if (out[i] != 16)
			fail_msg("out[%d] = %d, expected 16", i, out[i]);

	/* The first column of the second half gets a shift out of range. */
	q[2 * (N / 2) + 1] = 100;
	c[0] = npu_cmd_nop();
	c[1] = gemm_q(M_LONG);
	id = npu_submit(fd, c, 2, h, NBUF, NULL);
	assert_int_equal(npu_wait_result(fd, id, &idx, NULL), -EINVAL);
	assert_int_equal(idx, 1);
	/* The first half stopped: its last row was never written. */
	for (i = 0; i < N / 2; i++)
		if (out[(size_t)(M_LONG - 1) * N + i] != SENTINEL)
			fail_msg("last row, column %d: %d: the first half ran "
				 "to its end after the second failed", i,
				 out[(size_t)(M_LONG - 1) * N + i]);

	munmap(out, (size_t)M_LONG * N);
	munmap(q, 8 * N);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_half_fails, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
