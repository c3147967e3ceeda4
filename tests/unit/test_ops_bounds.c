// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The command engine (kmod/ops/) at the 2^32 boundaries of its unit
 * maths: CONV2D and POOL2D commands with batch * out_h * out_w = 2^32 and
 * more, accepted by npu_cmd_validate(), run on their first and last units
 * in every variant this CPU has. A pixel count truncated to 32 bits
 * divides by zero (SIGFPE) or lands on the wrong pixel.
 *
 * The buffers are MAP_NORESERVE mappings of up to 16 GiB: only the pages
 * the run touches are ever backed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "npu_ops.h"

#define ALL_CAPS	((1ULL << RM_NPU_OP_COUNT) - 1)
#define GIB		(1ULL << 30)

static void *scratch;

static u8 *big_map(u64 size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

/* Runs units [b, e) of @cmd on every variant this CPU has. */
static void run_all(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 b, u64 e)
{
	struct npu_ops_ctx ctx;
	u32 isa;

	for (isa = NPU_ISA_SCALAR; isa < NPU_ISA_COUNT; isa++) {
		if (!npu_isa_available(isa)) {
			if (b == 0)
				print_message("variant %s not run\n",
					      npu_isa_name(isa));
			continue;
		}
		assert_int_equal(npu_ctx_init(&ctx, isa, scratch), 0);
		ctx.tag = 0;
		assert_int_equal(npu_cmd_exec_ctx(cmd, bo, &ctx, NULL, b, e), 0);
	}
}

static s32 out_at(const u8 *out, u64 pix)
{
	s32 v;

	memcpy(&v, out + 4 * pix, 4);
	return v;
}

/*
 * A uint8 CONV2D to int32, one output channel, of @batch x @h x @w input
 * pixels and a 1 x @kw window with stride @kw: batch * h * (w / kw)
 * output pixels.
 */
static void conv_case(u32 batch, u32 h, u32 w, u32 kw)
{
	struct rm_npu_cmd cmd;
	struct rm_npu_cmd_conv2d *c = &cmd.conv2d;
	u64 in_size = (u64)batch * h * w, npix, sizes[3];
	u64 last_in;
	u8 *bo[3];
	u8 wts[RM_NPU_MAX_KERNEL];
	u32 i;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_CONV2D;
	c->batch = batch;
	c->in_h = h;
	c->in_w = w;
	c->in_c = 1;
	c->out_c = 1;
	c->groups = 1;
	c->k_h = 1;
	c->k_w = kw;
	c->stride_h = 1;
	c->stride_w = kw;
	c->dil_h = c->dil_w = 1;
	c->out_h = h;
	c->out_w = w / kw;
	c->in_dtype = RM_NPU_DT_UINT8;
	c->out_dtype = RM_NPU_DT_INT32;
	c->in.bo = 0;
	c->weights.bo = 1;
	c->out.bo = 2;
	npix = (u64)batch * c->out_h * c->out_w;

	sizes[0] = in_size;
	sizes[1] = kw;
	sizes[2] = 4 * npix;
	assert_int_equal(npu_cmd_validate(&cmd, sizes, 3, ALL_CAPS), 0);
	assert_true(npu_cmd_units(&cmd) == npix);

	bo[0] = big_map(sizes[0]);
	bo[1] = wts;
	bo[2] = big_map(sizes[2]);
	for (i = 0; i < kw; i++)
		wts[i] = (u8)(i + 2);
	/* The first pixel's window, and the last one's. */
	last_in = in_size - kw;
	for (i = 0; i < kw; i++) {
		bo[0][i] = 3;
		bo[0][last_in + i] = 7;
	}

	run_all(&cmd, bo, 0, 1);
	run_all(&cmd, bo, npix - 1, npix);
	for (i = 0; i < 2; i++) {
		s32 x = i ? 7 : 3, want = 0;
		u32 k;

		for (k = 0; k < kw; k++)
			want += x * (s32)(k + 2);
		assert_int_equal(out_at(bo[2], i ? npix - 1 : 0), want);
	}
	/* Nothing but those two pixels was written. */
	assert_int_equal(out_at(bo[2], 1), 0);
	assert_int_equal(out_at(bo[2], npix - 2), 0);
	assert_int_equal(out_at(bo[2], npix / 2), 0);

	munmap(bo[0], sizes[0]);
	munmap(bo[2], sizes[2]);
}

/* 2^32 pixels, 1x1 stride 1 (the SIMD variants run it as a GEMM). */
static void test_conv_1x1_2p32(void **state)
{
	(void)state;
	conv_case(1, RM_NPU_MAX_DIM, RM_NPU_MAX_DIM, 1);
}

/* 2^32 pixels over two images, a 1x2 window (the direct convolution). */
static void test_conv_window_2p32(void **state)
{
	(void)state;
	conv_case(2, RM_NPU_MAX_DIM, RM_NPU_MAX_DIM, 2);
}

/* 3 * 2^31 pixels: truncated to 2^31, the last unit is a wrong pixel. */
static void test_conv_over_2p32(void **state)
{
	(void)state;
	conv_case(3, RM_NPU_MAX_DIM, RM_NPU_MAX_DIM / 2, 1);
}

/* A 1x1 max pool over 2^32 pixels: the last unit lands on the last one. */
static void test_pool_2p32(void **state)
{
	struct rm_npu_cmd cmd;
	struct rm_npu_cmd_pool2d *p = &cmd.pool2d;
	u64 npix = 1ULL << 32, sizes[2] = { npix, npix };
	u8 *bo[2];

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_POOL2D;
	p->mode = RM_NPU_POOL_MAX;
	p->batch = 1;
	p->in_h = p->in_w = RM_NPU_MAX_DIM;
	p->out_h = p->out_w = RM_NPU_MAX_DIM;
	p->c = 1;
	p->k_h = p->k_w = 1;
	p->stride_h = p->stride_w = 1;
	p->dtype = RM_NPU_DT_UINT8;
	p->act_min = 0;
	p->act_max = 255;
	p->in.bo = 0;
	p->out.bo = 1;
	assert_int_equal(npu_cmd_validate(&cmd, sizes, 2, ALL_CAPS), 0);
	assert_true(npu_cmd_units(&cmd) == npix);

	bo[0] = big_map(npix);
	bo[1] = big_map(npix);
	bo[0][0] = 5;
	bo[0][npix - 1] = 9;
	run_all(&cmd, bo, 0, 1);
	run_all(&cmd, bo, npix - 1, npix);
	assert_int_equal(bo[1][0], 5);
	assert_int_equal(bo[1][npix - 1], 9);
	assert_int_equal(bo[1][npix - 2], 0);
	munmap(bo[0], npix);
	munmap(bo[1], npix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_1x1_2p32),
		cmocka_unit_test(test_conv_window_2p32),
		cmocka_unit_test(test_conv_over_2p32),
		cmocka_unit_test(test_pool_2p32),
	};
	int ret;

	scratch = aligned_alloc(NPU_OPS_SCRATCH_ALIGN, NPU_OPS_SCRATCH_SIZE);
	if (!scratch)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	free(scratch);
	return ret;
}
