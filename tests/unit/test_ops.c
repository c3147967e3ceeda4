// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host tests of the command engine (kmod/ops/npu_ops.c): every opcode
 * against the naive reference loops of tests/common/npu_ref.c
 * (int64 arithmetic, no shortcuts), split invariance, concurrency,
 * validation rules, overflow attempts and fuzzing. Built with ASan and
 * UBSan; every buffer is its own exact-size heap block, so any access
 * outside a validated extent is caught.
 *
 * Every execution test runs once per execution variant this CPU has
 * (scalar, avx2, avx512: npu_cmd_exec_ctx() with a context forced to it),
 * GEMM and CONV2D sometimes with weights packed by npu_cmd_pack(), splits
 * sharing one context and tag (packed panels reused across ranges).
 * NPU_OPS_ISA=NAME runs one variant only.
 *
 * Seed: RM_NPU_TEST_SEED in the environment (default fixed), iterations
 * scaled by RM_NPU_TEST_SCALE (percent, default 100).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npu_ops.h"
#include "npu_ref.h"

#define ALL_CAPS	(((1ULL << RM_NPU_OP_COUNT) - 1) | RM_NPU_CAP_F32_RESCALE)

static unsigned int scale_pct = 100;

/* The execution variant under test (main() runs the tests once per one). */
static u32 cur_isa = NPU_ISA_SCALAR;
static u64 next_tag = 1;

/*
 * npu_cmd_exec() through a fresh context of the variant under test, with
 * weights packed ahead when @pack (and the variant packs the command).
 */
static int t_exec_ctx(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 b,
		      u64 e, struct npu_ops_ctx *ctx, bool pack)
{
	void *packed = NULL;
	u64 psz = pack ? npu_cmd_pack_size(cmd, ctx->isa) : 0;
	int ret;

	if (psz) {
		packed = aligned_alloc(64, (psz + 63) & ~63ULL);
		assert_non_null(packed);
		assert_int_equal(npu_cmd_pack(cmd, bo, ctx->isa, packed), 0);
	}
	ret = npu_cmd_exec_ctx(cmd, bo, ctx, packed, b, e);
	free(packed);
	return ret;
}

/* Scratch of the main thread; other threads bring their own. */
static void *main_scratch;

static void t_ctx_init(struct npu_ops_ctx *ctx, void *scratch)
{
	assert_int_equal(npu_ctx_init(ctx, cur_isa, scratch), 0);
	ctx->tag = __atomic_fetch_add(&next_tag, 1, __ATOMIC_RELAXED);
}

static int t_exec_on(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 b,
		     u64 e, void *scratch)
{
	struct npu_ops_ctx ctx;

	t_ctx_init(&ctx, scratch);
	return t_exec_ctx(cmd, bo, b, e, &ctx, npu_coin(50));
}

static int t_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 b, u64 e)
{
	return t_exec_on(cmd, bo, b, e, main_scratch);
}

static unsigned int iters(unsigned int n)
{
	unsigned int k = n * scale_pct / 100;

	return k ? k : 1;
}

static void w_assert_equal(const struct npu_world *got, const struct npu_world *want,
			   const struct rm_npu_cmd *cmd, const char *what)
{
	u32 i;
	u64 j;

	for (i = 0; i < want->n; i++) {
		if (!memcmp(got->buf[i], want->buf[i], want->size[i]))
			continue;
		for (j = 0; j < want->size[i]; j++)
			if (got->buf[i][j] != want->buf[i][j])
				break;
		print_error("%s: opcode %u flags %#x: bo %u byte %" PRIu64
			    " got %#x want %#x\n", what, cmd->opcode,
			    cmd->flags, i, j, got->buf[i][j],
			    want->buf[i][j]);
		fail();
	}
}

/* ------------------------------------------------------------------ */
/* Running and checking                                                */
/* ------------------------------------------------------------------ */

/* Units [0, U) cut into 2..5 ranges, run in random order. */
static void run_split(const struct rm_npu_cmd *cmd, struct npu_world *w, u64 units)
{
	u64 cut[6], t;
	unsigned int n = npu_rr(2, 5), i, j, order[5];
	struct npu_ops_ctx ctx;
	bool pack;

	cut[0] = 0;
	cut[n] = units;
	for (i = 1; i < n; i++)
		cut[i] = units ? npu_rnd() % (units + 1) : 0;
	for (i = 1; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (cut[j] < cut[i]) {
				t = cut[i];
				cut[i] = cut[j];
				cut[j] = t;
			}
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = npu_rr(0, i);
		t = order[i];
		order[i] = order[j];
		order[j] = (unsigned int)t;
	}
	/* one context and tag: later ranges may reuse packed panels */
	t_ctx_init(&ctx, main_scratch);
	pack = npu_coin(30);
	for (i = 0; i < n; i++)
		assert_int_equal(t_exec_ctx(cmd, w->buf, cut[order[i]],
					    cut[order[i] + 1], &ctx, pack), 0);
}

/*
 * Validate (must accept), execute in one pass, compare with the reference
 * over every byte of every buffer; then, with @splits, compare random
 * splits with the one-pass result.
 */
static void check_cmd(const struct rm_npu_cmd *cmd, const struct npu_world *w,
		      unsigned int splits)
{
	struct npu_world got, want;
	u64 units;
	unsigned int s;

	assert_int_equal(npu_cmd_validate(cmd, w->size, w->n, ALL_CAPS), 0);
	units = npu_cmd_units(cmd);
	npu_w_clone(&got, w);
	npu_w_clone(&want, w);
	assert_int_equal(t_exec(cmd, got.buf, 0, units), 0);
	assert_int_equal(npu_ref_exec(cmd, want.buf), 0);
	w_assert_equal(&got, &want, cmd, "one pass vs reference");
	for (s = 0; s < splits; s++) {
		struct npu_world sp;

		npu_w_clone(&sp, w);
		run_split(cmd, &sp, units);
		w_assert_equal(&sp, &got, cmd, "split vs one pass");
		npu_w_free(&sp);
	}
	npu_w_free(&got);
	npu_w_free(&want);
}


/* ------------------------------------------------------------------ */
/* Execution tests                                                     */
/* ------------------------------------------------------------------ */

static void random_op_test(u32 op, unsigned int n)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	for (i = 0; i < iters(n); i++) {
		memset(&w, 0, sizeof(w));
		npu_gen_any(&cmd, &w, op);
		check_cmd(&cmd, &w, i % 4 == 0 ? 1 : 0);
		npu_w_free(&w);
	}
}

static void test_gemm_random(void **state)
{
	(void)state;
	random_op_test(RM_NPU_OP_GEMM, 400);
}

static void test_conv_random(void **state)
{
	(void)state;
	random_op_test(RM_NPU_OP_CONV2D, 600);
}

static void test_pool_random(void **state)
{
	(void)state;
	random_op_test(RM_NPU_OP_POOL2D, 600);
}

static void test_elt_random(void **state)
{
	(void)state;
	random_op_test(RM_NPU_OP_ELTWISE, 600);
}

static void test_lut_random(void **state)
{
	(void)state;
	random_op_test(RM_NPU_OP_LUT, 200);
}

static void test_fill_random(void **state)
{
	(void)state;
	random_op_test(RM_NPU_OP_FILL, 200);
}

static void test_copy_random(void **state)
{
	(void)state;
	random_op_test(RM_NPU_OP_COPY, 600);
}

/*
 * COPY as a channel concatenation is lowered: pixels innermost (strided),
 * channels in dims[2] (dense on both sides), elements of 1, 2 or 4 bytes;
 * the engine copies such ranges by pieces (npu_copy_blocks()).
 */
static void test_copy_concat(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(100); i++) {
		struct rm_npu_cmd cmd;
		struct npu_world w;
		struct rm_npu_cmd_copy *c = &cmd.copy;
		u32 es = 1u << npu_rr(0, 2), ch = npu_rr(2, 70);
		u32 pix = npu_rr(1, 300), extra = npu_rr(0, 70);
		u32 outer = npu_rr(1, 3);

		memset(&cmd, 0, sizeof(cmd));
		memset(&w, 0, sizeof(w));
		cmd.opcode = RM_NPU_OP_COPY;
		c->elem_size = es;
		c->dims[0] = 1;
		c->dims[1] = outer;
		c->dims[2] = ch;
		c->dims[3] = pix;
		c->src_stride[2] = es;
		c->src_stride[3] = (u64)ch * es;
		c->src_stride[1] = (u64)pix * ch * es;
		c->dst_stride[2] = es;
		c->dst_stride[3] = (u64)(ch + extra) * es;
		c->dst_stride[1] = (u64)pix * (ch + extra) * es;
		npu_place(&w, &c->src, (u64)outer * pix * ch * es);
		npu_place(&w, &c->dst, (u64)outer * pix * (ch + extra) * es);
		check_cmd(&cmd, &w, 2);
		npu_w_free(&w);
	}
}

static void test_nop(void **state)
{
	struct rm_npu_cmd cmd;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	assert_int_equal(npu_cmd_validate(&cmd, NULL, 0, ALL_CAPS), 0);
	assert_int_equal(npu_cmd_units(&cmd), 0);
	assert_int_equal(npu_cmd_exec(&cmd, NULL, 0, 0), 0);
	assert_int_equal(npu_cmd_ops(&cmd), 0);
	assert_int_equal(npu_cmd_bytes(&cmd), 0);
}

/*
 * INT32 GEMMs of several whole 6-row tiles with K a multiple of 4: the
 * AVX-512 variant reads their rows in place and writes the sums, with the
 * zero-point terms and the bias, straight from its registers (signed and
 * unsigned A, any zero points, partial column blocks).
 */
static void test_gemm_int32_tiles(void **state)
{
	unsigned int n = 0, tries;

	(void)state;
	for (tries = 0; n < iters(80) && tries < 100000; tries++) {
		struct rm_npu_cmd cmd;
		struct npu_world w;

		memset(&w, 0, sizeof(w));
		npu_gen_gemm(&cmd, &w, 100, 200);
		if (cmd.gemm.out_dtype == RM_NPU_DT_INT32 &&
		    cmd.gemm.k % 4 == 0 && cmd.gemm.m >= 12) {
			check_cmd(&cmd, &w, n % 4 == 0 ? 1 : 0);
			n++;
		}
		npu_w_free(&w);
	}
	assert_true(n >= iters(80));
}

/* Small GEMMs with K = RM_NPU_MAX_GEMM_K and the largest sums. */
static void test_gemm_max_k(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(24); i++) {
		struct rm_npu_cmd_gemm *g = &cmd.gemm;

		memset(&w, 0, sizeof(w));
		npu_gen_gemm(&cmd, &w, 3, 1);
		npu_w_free(&w);
		memset(&w, 0, sizeof(w));
		g->n = i < 8 ? npu_rr(1, 3) : npu_rr(60, 70);
		g->k = RM_NPU_MAX_GEMM_K;
		g->lda = g->k;
		g->ldb = g->n;
		g->ldo = g->n;
		npu_place(&w, &g->a, (u64)(g->m - 1) * g->lda + g->k);
		npu_place(&w, &g->b, (u64)(g->k - 1) * g->ldb + g->n);
		npu_place(&w, &g->out, ((u64)(g->m - 1) * g->ldo + g->n) *
				   (g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1));
		if (cmd.flags & RM_NPU_MM_BIAS)
			npu_place(&w, &g->bias, 4 * (u64)g->n);
		if (cmd.flags & RM_NPU_MM_PER_CHANNEL)
			npu_place(&w, &g->quant, 8 * (u64)g->n);
		npu_fill_extras(&w, cmd.flags, g->n, &g->bias, &g->quant);
		if (i % 2 == 0) {
			/* |sum| = 255 * 255 * 32768: the largest possible */
			g->a_dtype = RM_NPU_DT_UINT8;
			g->a_zero_point = i % 4 ? 255 : 0;
			g->b_zero_point = 127;
			memset(npu_at(&w, &g->a), i % 4 ? 0 : 255,
			       (u64)(g->m - 1) * g->lda + g->k);
			memset(npu_at(&w, &g->b), 0x80,
			       (u64)(g->k - 1) * g->ldb + g->n);
		}
		check_cmd(&cmd, &w, 1);
		npu_w_free(&w);
	}
}

/* Fixed requant cases: rounding of ties, extreme scales. */
static void test_requant_edges(void **state)
{
	static const struct {
		s32 acc, mult, shift, zp, want;
	} cases[] = {
		{ 1, 1 << 30, 0, 0, 1 },	/* 0.5 -> 1 */
		{ -1, 1 << 30, 0, 0, 0 },	/* -0.5 -> 0 */
		{ 3, 1 << 30, 0, 0, 2 },	/* 1.5 -> 2 */
		{ -3, 1 << 30, 0, 0, -1 },	/* -1.5 -> -1 */
		{ 5, INT32_MAX, 0, 0, 5 },
		{ 100, 0, 0, 7, 7 },
		{ 1, 1, 30, 0, 1 },		/* 1 * 1 / 2 -> 1 */
		{ 1, INT32_MAX, 30, 0, 127 },	/* clamps */
		{ -1, INT32_MAX, 30, 0, -128 },
		{ INT32_MAX, INT32_MAX, -31, 0, 1 },	/* 1 - 2^-30 */
		{ INT32_MIN, INT32_MAX, -31, 0, -1 },	/* -1 + 2^-31 */
		{ 1 << 30, INT32_MAX, -31, 0, 0 },	/* 0.5 - 2^-32 */
		{ (1 << 30) + 2, INT32_MAX, -31, 0, 1 },
		{ INT32_MAX, INT32_MAX, 0, 0, 127 },
		{ INT32_MIN, INT32_MAX, 0, -128, -128 },
		{ 1000, 1 << 30, -2, -3, 122 },	/* 1000/8 = 125, -3 */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rm_npu_cmd cmd;
		struct rm_npu_cmd_gemm *g = &cmd.gemm;
		struct npu_world w;

		memset(&cmd, 0, sizeof(cmd));
		memset(&w, 0, sizeof(w));
		cmd.opcode = RM_NPU_OP_GEMM;
		cmd.flags = RM_NPU_MM_BIAS;
		g->m = g->n = g->k = g->lda = g->ldb = g->ldo = 1;
		g->a_dtype = RM_NPU_DT_INT8;
		g->out_dtype = RM_NPU_DT_INT8;
		g->rq.mult = cases[i].mult;
		g->rq.shift = cases[i].shift;
		g->rq.zero_point = cases[i].zp;
		g->rq.act_min = -128;
		g->rq.act_max = 127;
		npu_place(&w, &g->a, 1);
		npu_place(&w, &g->b, 1);
		npu_place(&w, &g->bias, 4);
		npu_place(&w, &g->out, 1);
		npu_at(&w, &g->a)[0] = 0;	/* sum 0: the bias is the sum */
		npu_st32(npu_at(&w, &g->bias), cases[i].acc);
		check_cmd(&cmd, &w, 0);
		assert_int_equal(t_exec(&cmd, w.buf, 0, 1), 0);
		assert_int_equal((s8)npu_at(&w, &g->out)[0], cases[i].want);
		npu_w_free(&w);
	}
}

/* ELTWISE edge cases: extreme rescales and broadcasts of single values. */
static void test_elt_edges(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(300); i++) {
		struct rm_npu_cmd cmd;
		struct rm_npu_cmd_eltwise *e = &cmd.eltwise;
		struct npu_world w;

		memset(&w, 0, sizeof(w));
		npu_gen_elt(&cmd, &w);
		if (e->op != RM_NPU_ELT_MUL) {
			e->a.mult = npu_coin(50) ? INT32_MAX : 1;
			e->a.shift = npu_coin(50) ? 0 : -31;
			e->b.mult = npu_coin(50) ? INT32_MAX : 0;
			e->b.shift = npu_coin(50) ? 0 : -31;
		}
		e->rq.mult = npu_coin(50) ? INT32_MAX : 1;
		e->rq.shift = npu_coin(50) ? 30 : -31;
		check_cmd(&cmd, &w, 1);
		npu_w_free(&w);
	}
}

/*
 * An input rescale that lands exactly on halves: with T = 31 - shift and
 * mult = odd * 2^(T - 21), rescale((a - zp) << 20) = (a - zp) * odd / 2.
 */
static void tie_scale(s32 *mult, s32 *shift)
{
	s32 t;
	u32 odd;

	*shift = -(s32)npu_rr(0, 20);
	t = 31 - *shift;
	odd = 2 * npu_rr(0, (1u << (51 - t)) > 4 ? 4 : 0) + 1;
	*mult = (s32)(odd << (t - 21));
}

/*
 * ELTWISE with an output scale of 1 (mult 2^30, shift 1) and small input
 * scales: the result is ra +- rb + zp itself, so every rounding of the
 * input rescales shows.
 */
static void test_elt_exact(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(400); i++) {
		struct rm_npu_cmd cmd;
		struct rm_npu_cmd_eltwise *e = &cmd.eltwise;
		struct npu_world w;

		memset(&w, 0, sizeof(w));
		npu_gen_elt(&cmd, &w);
		if (e->op != RM_NPU_ELT_MUL) {
			e->a.mult = (s32)npu_rr(1, INT32_MAX);
			e->a.shift = -(s32)npu_rr(20, 31);
			e->b.mult = (s32)npu_rr(1, INT32_MAX);
			e->b.shift = -(s32)npu_rr(20, 31);
			if (i % 2)
				tie_scale(&e->a.mult, &e->a.shift);
			if (i % 4 < 2)
				tie_scale(&e->b.mult, &e->b.shift);
			e->rq.mult = 1 << 30;
			e->rq.shift = 1;
		} else {
			e->rq.mult = (s32)npu_rr(1u << 30, INT32_MAX);
			e->rq.shift = -(s32)npu_rr(6, 9);
		}
		e->rq.zero_point = e->dtype == RM_NPU_DT_INT8 ? 0 : 128;
		e->rq.act_min = npu_dt_min(e->dtype);
		e->rq.act_max = npu_dt_max(e->dtype);
		check_cmd(&cmd, &w, 0);
		npu_w_free(&w);
	}
}

/* Conv with the largest sum length and the largest window. */
static void test_conv_max(void **state)
{
	struct rm_npu_cmd cmd;
	struct rm_npu_cmd_conv2d *c = &cmd.conv2d;
	struct npu_world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(6); i++) {
		memset(&cmd, 0, sizeof(cmd));
		memset(&w, 0, sizeof(w));
		cmd.opcode = RM_NPU_OP_CONV2D;
		cmd.flags = i & 1 ? RM_NPU_MM_BIAS : 0;
		c->batch = 1;
		c->k_h = c->k_w = RM_NPU_MAX_KERNEL;
		c->in_h = c->in_w = RM_NPU_MAX_KERNEL + i;
		c->in_c = 8;
		c->groups = i < 3 ? 1 : 8;
		c->out_c = i < 3 ? 2 : 8;
		c->stride_h = c->stride_w = RM_NPU_MAX_KERNEL;
		c->dil_h = c->dil_w = 1;
		c->pad_top = c->pad_left = i;
		c->pad_bottom = c->pad_right = i ? RM_NPU_MAX_KERNEL : 0;
		c->out_h = (c->in_h + c->pad_top + c->pad_bottom -
			    c->k_h) / c->stride_h + 1;
		c->out_w = c->out_h;
		c->in_dtype = RM_NPU_DT_UINT8;
		c->out_dtype = RM_NPU_DT_INT32;
		c->in_zero_point = 255;
		c->w_zero_point = 127;
		npu_place(&w, &c->in, (u64)c->in_h * c->in_w * c->in_c);
		memset(npu_at(&w, &c->in), 0, (u64)c->in_h * c->in_w * c->in_c);
		npu_place(&w, &c->weights, (u64)c->out_c * c->k_h * c->k_w *
				       (c->in_c / c->groups));
		memset(npu_at(&w, &c->weights), 0x80, (u64)c->out_c * c->k_h *
		       c->k_w * (c->in_c / c->groups));
		npu_place(&w, &c->out, (u64)c->out_h * c->out_w * c->out_c * 4);
		if (cmd.flags & RM_NPU_MM_BIAS) {
			npu_place(&w, &c->bias, 4 * (u64)c->out_c);
			npu_fill_extras(&w, cmd.flags, c->out_c, &c->bias,
				    &c->quant);
		}
		check_cmd(&cmd, &w, 1);
		npu_w_free(&w);
	}
}

/* Every op: random splits against one pass. */
static void test_split_invariance(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(700); i++) {
		struct rm_npu_cmd cmd;
		struct npu_world w;

		memset(&w, 0, sizeof(w));
		npu_gen_any(&cmd, &w, npu_rr(1, RM_NPU_OP_COUNT - 1));
		check_cmd(&cmd, &w, 3);
		npu_w_free(&w);
	}
}

struct thr_arg {
	const struct rm_npu_cmd *cmd;
	u8 *const *bo;
	u64 b, e;
	int ret;
};

static void *thr_run(void *p)
{
	struct thr_arg *a = p;
	void *scratch = aligned_alloc(NPU_OPS_SCRATCH_ALIGN,
				      NPU_OPS_SCRATCH_SIZE);

	a->ret = scratch ? t_exec_on(a->cmd, a->bo, a->b, a->e, scratch) :
		 -ENOMEM;
	free(scratch);
	return NULL;
}

/* Two threads on disjoint unit ranges, as two PEs do. */
static void test_concurrent(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(150); i++) {
		struct rm_npu_cmd cmd;
		struct npu_world w, one, two;
		struct thr_arg ta[2];
		pthread_t th;
		u64 u, mid;

		memset(&w, 0, sizeof(w));
		npu_gen_any(&cmd, &w, npu_rr(1, RM_NPU_OP_COUNT - 1));
		assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n,
						  ALL_CAPS), 0);
		u = npu_cmd_units(&cmd);
		mid = u ? npu_rnd() % (u + 1) : 0;
		npu_w_clone(&one, &w);
		npu_w_clone(&two, &w);
		assert_int_equal(t_exec(&cmd, one.buf, 0, u), 0);
		ta[0] = (struct thr_arg){ &cmd, two.buf, 0, mid, -1 };
		ta[1] = (struct thr_arg){ &cmd, two.buf, mid, u, -1 };
		assert_int_equal(pthread_create(&th, NULL, thr_run, &ta[0]), 0);
		ta[1].ret = t_exec(&cmd, two.buf, mid, u);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(ta[0].ret, 0);
		assert_int_equal(ta[1].ret, 0);
		w_assert_equal(&two, &one, &cmd, "two threads vs one pass");
		npu_w_free(&one);
		npu_w_free(&two);
		npu_w_free(&w);
	}
}

/* Per-channel pairs are data: out-of-range ones fail at run time. */
static void test_bad_quant_runtime(void **state)
{
	static const s32 bad[][2] = {
		{ -1, 0 }, { INT32_MIN, 0 }, { 1, 31 }, { 1, -32 },
		{ 1, INT32_MAX }, { 1, INT32_MIN },
	};
	unsigned int i, r;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (r = 0; r < 2; r++) {
			struct rm_npu_cmd cmd;
			struct npu_world w;
			u32 n, col, nch;
			u64 u, cut;
			const struct rm_npu_ref *q;
			int got;

			memset(&w, 0, sizeof(w));
			do {
				npu_w_free(&w);
				memset(&w, 0, sizeof(w));
				npu_gen_any(&cmd, &w, r ? RM_NPU_OP_CONV2D :
						      RM_NPU_OP_GEMM);
			} while (!(cmd.flags & RM_NPU_MM_PER_CHANNEL));
			nch = r ? cmd.conv2d.out_c : cmd.gemm.n;
			q = r ? &cmd.conv2d.quant : &cmd.gemm.quant;
			col = npu_rr(0, nch - 1);
			npu_st32(npu_at(&w, q) + 8 * col, bad[i][0]);
			npu_st32(npu_at(&w, q) + 8 * col + 4, bad[i][1]);
			assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n,
							  ALL_CAPS), 0);
			u = npu_cmd_units(&cmd);
			assert_int_equal(t_exec(&cmd, w.buf, 0, u), -EINVAL);
			/* a split fails in the ranges holding the column */
			n = 0;
			cut = npu_rnd() % (u + 1);
			got = t_exec(&cmd, w.buf, 0, cut);
			n += got == -EINVAL;
			got = t_exec(&cmd, w.buf, cut, u);
			n += got == -EINVAL;
			assert_true(n >= 1);
			npu_w_free(&w);
		}
}

static void test_exec_range(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	u64 u;

	(void)state;
	memset(&w, 0, sizeof(w));
	npu_gen_gemm(&cmd, &w, 10, 10);
	assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n, ALL_CAPS), 0);
	u = npu_cmd_units(&cmd);
	assert_int_equal(npu_cmd_exec(&cmd, w.buf, 0, u + 1), -EINVAL);
	assert_int_equal(npu_cmd_exec(&cmd, w.buf, 2, 1), -EINVAL);
	assert_int_equal(npu_cmd_exec(&cmd, w.buf, u, u), 0);
	npu_w_free(&w);
}

/* Unit counts, operation and byte counts of fixed commands. */
static void test_counts(void **state)
{
	struct rm_npu_cmd cmd;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_GEMM;
	cmd.flags = RM_NPU_MM_BIAS;
	cmd.gemm.m = 10;
	cmd.gemm.n = 130;
	cmd.gemm.k = 7;
	cmd.gemm.out_dtype = RM_NPU_DT_INT32;
	assert_int_equal(npu_cmd_units(&cmd), 10 * 3);
	assert_int_equal(npu_cmd_ops(&cmd), 2 * 10 * 130 * 7);
	assert_int_equal(npu_cmd_bytes(&cmd),
			 10 * 7 + 7 * 130 + 4 * 130 + 10 * 130 * 4);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_FILL;
	cmd.fill.count = 4097;
	cmd.fill.elem_size = 2;
	assert_int_equal(npu_cmd_units(&cmd), 2);
	assert_int_equal(npu_cmd_ops(&cmd), 4097);
	assert_int_equal(npu_cmd_bytes(&cmd), 8194);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_COPY;
	cmd.copy.dims[0] = 2;
	cmd.copy.dims[1] = 3;
	cmd.copy.dims[2] = 1;
	cmd.copy.dims[3] = 300;
	cmd.copy.elem_size = 256;
	assert_int_equal(npu_cmd_units(&cmd), 2 * 3 * 2);
	assert_int_equal(npu_cmd_ops(&cmd), 1800);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_CONV2D;
	cmd.conv2d.batch = 2;
	cmd.conv2d.out_h = 3;
	cmd.conv2d.out_w = 5;
	cmd.conv2d.in_c = 8;
	cmd.conv2d.out_c = 65;
	cmd.conv2d.groups = 1;
	cmd.conv2d.k_h = 3;
	cmd.conv2d.k_w = 3;
	assert_int_equal(npu_cmd_units(&cmd), 2 * 3 * 5 * 2);
	assert_int_equal(npu_cmd_ops(&cmd), 2ULL * 30 * 65 * 72);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_ELTWISE;
	cmd.eltwise.rows = 3;
	cmd.eltwise.cols = 8193;
	assert_int_equal(npu_cmd_units(&cmd), 9);
}

/* ------------------------------------------------------------------ */
/* Validation rules                                                    */
/* ------------------------------------------------------------------ */

static int validate_w(const struct rm_npu_cmd *cmd, const struct npu_world *w)
{
	return npu_cmd_validate(cmd, w->size, w->n, ALL_CAPS);
}

/* A deterministic valid command of @op, operands in exact-size buffers. */
static void base_cmd(struct rm_npu_cmd *cmd, struct npu_world *w, u32 op)
{
	memset(cmd, 0, sizeof(*cmd));
	memset(w, 0, sizeof(*w));
	cmd->opcode = op;
	switch (op) {
	case RM_NPU_OP_FILL:
		cmd->fill.count = 100;
		cmd->fill.elem_size = 2;
		cmd->fill.value = 0xffff;
		npu_place(w, &cmd->fill.dst, 200);
		break;
	case RM_NPU_OP_COPY:
		cmd->copy.dims[0] = 2;
		cmd->copy.dims[1] = 3;
		cmd->copy.dims[2] = 1;
		cmd->copy.dims[3] = 5;
		cmd->copy.elem_size = 4;
		cmd->copy.src_stride[0] = 60;
		cmd->copy.src_stride[1] = 20;
		cmd->copy.src_stride[3] = 4;
		cmd->copy.dst_stride[0] = 60;
		cmd->copy.dst_stride[1] = 20;
		cmd->copy.dst_stride[3] = 4;
		npu_place(w, &cmd->copy.src, 120);
		npu_place(w, &cmd->copy.dst, 120);
		break;
	case RM_NPU_OP_GEMM: {
		struct rm_npu_cmd_gemm *g = &cmd->gemm;

		cmd->flags = RM_NPU_MM_BIAS | RM_NPU_MM_PER_CHANNEL;
		g->m = 5;
		g->n = 7;
		g->k = 9;
		g->lda = 10;
		g->ldb = 8;
		g->ldo = 7;
		g->a_dtype = RM_NPU_DT_UINT8;
		g->out_dtype = RM_NPU_DT_INT8;
		g->a_zero_point = 128;
		g->b_zero_point = -3;
		g->rq.zero_point = 1;
		g->rq.act_min = -100;
		g->rq.act_max = 100;
		npu_place(w, &g->a, 4 * 10 + 9);
		npu_place(w, &g->b, 8 * 8 + 7);
		npu_place(w, &g->bias, 28);
		npu_place(w, &g->quant, 56);
		npu_place(w, &g->out, 35);
		npu_fill_extras(w, cmd->flags, 7, &g->bias, &g->quant);
		break;
	}
	case RM_NPU_OP_CONV2D: {
		struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

		cmd->flags = RM_NPU_MM_BIAS;
		c->batch = 2;
		c->in_h = 6;
		c->in_w = 5;
		c->in_c = 4;
		c->out_c = 6;
		c->groups = 2;
		c->k_h = 3;
		c->k_w = 2;
		c->stride_h = 2;
		c->stride_w = 1;
		c->dil_h = 1;
		c->dil_w = 2;
		c->pad_top = 1;
		c->pad_bottom = 2;
		c->pad_left = 0;
		c->pad_right = 1;
		/* (6 + 3 - 3) / 2 + 1 = 4, (5 + 1 - 3) / 1 + 1 = 4 */
		c->out_h = 4;
		c->out_w = 4;
		c->in_dtype = RM_NPU_DT_INT8;
		c->out_dtype = RM_NPU_DT_UINT8;
		c->in_zero_point = -5;
		c->w_zero_point = 2;
		c->rq.mult = 1 << 30;
		c->rq.shift = -8;
		c->rq.zero_point = 128;
		c->rq.act_min = 0;
		c->rq.act_max = 255;
		npu_place(w, &c->in, 2 * 6 * 5 * 4);
		npu_place(w, &c->weights, 6 * 3 * 2 * 2);
		npu_place(w, &c->bias, 24);
		npu_place(w, &c->out, 2 * 4 * 4 * 6);
		break;
	}
	case RM_NPU_OP_POOL2D: {
		struct rm_npu_cmd_pool2d *p = &cmd->pool2d;

		cmd->flags = RM_NPU_POOL_COUNT_PAD;
		p->mode = RM_NPU_POOL_AVG;
		p->batch = 1;
		p->in_h = 7;
		p->in_w = 6;
		p->c = 3;
		p->k_h = 3;
		p->k_w = 2;
		p->stride_h = 2;
		p->stride_w = 2;
		p->pad_top = 1;
		p->pad_bottom = 2;
		p->pad_left = 1;
		p->pad_right = 0;
		/* (7 + 3 - 3) / 2 + 1 = 4, (6 + 1 - 2) / 2 + 1 = 3 */
		p->out_h = 4;
		p->out_w = 3;
		p->dtype = RM_NPU_DT_INT8;
		p->zero_point = -1;
		p->act_min = -128;
		p->act_max = 127;
		npu_place(w, &p->in, 7 * 6 * 3);
		npu_place(w, &p->out, 4 * 3 * 3);
		break;
	}
	case RM_NPU_OP_ELTWISE: {
		struct rm_npu_cmd_eltwise *e = &cmd->eltwise;

		e->op = RM_NPU_ELT_ADD;
		e->dtype = RM_NPU_DT_UINT8;
		e->rows = 3;
		e->cols = 10;
		e->out_row_stride = 12;
		e->a.row_stride = 10;
		e->a.col_stride = 1;
		e->a.zero_point = 128;
		e->a.mult = 1 << 30;
		e->a.shift = -1;
		e->b.row_stride = 0;
		e->b.col_stride = 1;
		e->b.mult = 1 << 29;
		e->b.shift = 0;
		e->rq.mult = 1 << 30;
		e->rq.shift = -19;
		e->rq.zero_point = 3;
		e->rq.act_min = 0;
		e->rq.act_max = 255;
		npu_place(w, &e->a.ref, 30);
		npu_place(w, &e->b.ref, 10);
		npu_place(w, &e->out, 2 * 12 + 10);
		break;
	}
	case RM_NPU_OP_LUT:
		cmd->lut.count = 77;
		cmd->lut.dtype = RM_NPU_DT_INT8;
		npu_place(w, &cmd->lut.in, 77);
		npu_place(w, &cmd->lut.table, 256);
		npu_place(w, &cmd->lut.out, 77);
		break;
	default:
		break;
	}
	assert_int_equal(validate_w(cmd, w), 0);
}

/*
 * Each rejection case: a statement that breaks the base command of its
 * opcode, run against a fresh copy. REJECT first declares every buffer
 * 2^40 bytes long, so that only the rule under test can refuse the
 * command; REJECT_EXT keeps the exact sizes (extent rules).
 */
#define REJECT_SIZED(op, big, stmt)					\
	do {								\
		struct rm_npu_cmd cmd_, *c = &cmd_;			\
		struct npu_world w_, *w = &w_;				\
		u64 saved_[NPU_WORLD_MAX_BOS];					\
		u32 i_;							\
									\
		base_cmd(c, w, (op));					\
		memcpy(saved_, w->size, sizeof(saved_));		\
		for (i_ = 0; (big) && i_ < w->n; i_++)			\
			w->size[i_] = 1ULL << 40;			\
		stmt;							\
		if (validate_w(c, w) != -EINVAL) {			\
			print_error("accepted: %s (line %d)\n", #stmt,	\
				    __LINE__);				\
			fail();						\
		}							\
		memcpy(w->size, saved_, sizeof(saved_));		\
		npu_w_free(&w_);						\
	} while (0)

/* Accepted by validation (buffers 2^40 bytes; not executed). */
#define VALID(op, stmt)							\
	do {								\
		struct rm_npu_cmd cmd_, *c = &cmd_;			\
		struct npu_world w_, *w = &w_;				\
		u64 saved_[NPU_WORLD_MAX_BOS];					\
		u32 i_;							\
									\
		base_cmd(c, w, (op));					\
		memcpy(saved_, w->size, sizeof(saved_));		\
		for (i_ = 0; i_ < w->n; i_++)				\
			w->size[i_] = 1ULL << 40;			\
		stmt;							\
		if (validate_w(c, w) != 0) {				\
			print_error("rejected: %s (line %d)\n", #stmt,	\
				    __LINE__);				\
			fail();						\
		}							\
		memcpy(w->size, saved_, sizeof(saved_));		\
		npu_w_free(&w_);						\
	} while (0)

#define REJECT(op, stmt)	REJECT_SIZED(op, true, stmt)
#define REJECT_EXT(op, stmt)	REJECT_SIZED(op, false, stmt)

#define ACCEPT(op, stmt)						\
	do {								\
		struct rm_npu_cmd cmd_, *c = &cmd_;			\
		struct npu_world w_, *w = &w_;				\
									\
		base_cmd(c, w, (op));					\
		(void)w;						\
		stmt;							\
		if (validate_w(c, w) != 0) {				\
			print_error("rejected: %s (line %d)\n", #stmt,	\
				    __LINE__);				\
			fail();						\
		}							\
		check_cmd(c, w, 1);					\
		npu_w_free(&w_);						\
	} while (0)

static void test_validate_common(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	u32 op;

	(void)state;
	for (op = 0; op < RM_NPU_OP_COUNT; op++) {
		base_cmd(&cmd, &w, op);
		check_cmd(&cmd, &w, 1);
		/* capability bit */
		assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n,
						  ALL_CAPS & ~RM_NPU_CAP(op)),
				 -EINVAL);
		assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n,
						  RM_NPU_CAP(op)), 0);
		/* unknown flag bits */
		cmd.flags |= 1u << 31;
		assert_int_equal(validate_w(&cmd, &w), -EINVAL);
		cmd.flags &= ~(1u << 31);
		cmd.flags |= 1u << 5;
		assert_int_equal(validate_w(&cmd, &w), -EINVAL);
		cmd.flags &= ~(1u << 5);
		/* the last byte of the union */
		cmd.raw[sizeof(cmd.raw) - 1] = 1;
		assert_int_equal(validate_w(&cmd, &w), -EINVAL);
		cmd.raw[sizeof(cmd.raw) - 1] = 0;
		/* no buffers */
		if (op != RM_NPU_OP_NOP)
			assert_int_equal(npu_cmd_validate(&cmd, w.size, 0,
							  ALL_CAPS), -EINVAL);
		npu_w_free(&w);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_COUNT;
	assert_int_equal(npu_cmd_validate(&cmd, NULL, 0, ~0ULL), -EINVAL);
	cmd.opcode = 0xffffffffu;
	assert_int_equal(npu_cmd_validate(&cmd, NULL, 0, ~0ULL), -EINVAL);
	cmd.opcode = RM_NPU_OP_NOP;
	cmd.raw[0] = 1;
	assert_int_equal(npu_cmd_validate(&cmd, NULL, 0, ~0ULL), -EINVAL);
	cmd.raw[0] = 0;
	cmd.flags = 1;
	assert_int_equal(npu_cmd_validate(&cmd, NULL, 0, ~0ULL), -EINVAL);
}

/* Union bytes past each op's struct: every one must be zero. */
static void test_validate_tail(void **state)
{
	static const size_t used[RM_NPU_OP_COUNT] = {
		0, sizeof(struct rm_npu_cmd_fill),
		sizeof(struct rm_npu_cmd_copy), sizeof(struct rm_npu_cmd_gemm),
		sizeof(struct rm_npu_cmd_conv2d),
		sizeof(struct rm_npu_cmd_pool2d),
		sizeof(struct rm_npu_cmd_eltwise),
		sizeof(struct rm_npu_cmd_lut),
	};
	struct rm_npu_cmd cmd;
	struct npu_world w;
	size_t i;
	u32 op;

	(void)state;
	for (op = 0; op < RM_NPU_OP_COUNT; op++) {
		base_cmd(&cmd, &w, op);
		for (i = used[op]; i < sizeof(cmd.raw); i++) {
			cmd.raw[i] = 0x40;
			assert_int_equal(validate_w(&cmd, &w), -EINVAL);
			cmd.raw[i] = 0;
		}
		assert_int_equal(validate_w(&cmd, &w), 0);
		npu_w_free(&w);
	}
}

/* Extents: exact fit accepted, one byte short refused, for every ref. */
static void test_validate_extents(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	u32 op, i;

	(void)state;
	for (op = 1; op < RM_NPU_OP_COUNT; op++) {
		base_cmd(&cmd, &w, op);
		for (i = 0; i < w.n; i++) {
			w.size[i]--;
			assert_int_equal(validate_w(&cmd, &w), -EINVAL);
			w.size[i]++;
		}
		npu_w_free(&w);
	}
}

static void test_validate_refs(void **state)
{
	(void)state;
	/* bo index past the list, pad nonzero, offset past the end */
	REJECT(RM_NPU_OP_FILL, c->fill.dst.bo = w->n);
	REJECT(RM_NPU_OP_FILL, c->fill.dst.pad = 1);
	REJECT_EXT(RM_NPU_OP_FILL, c->fill.dst.offset += 1);
	REJECT(RM_NPU_OP_COPY, c->copy.src.bo = 99);
	REJECT(RM_NPU_OP_COPY, c->copy.dst.pad = 1);
	REJECT(RM_NPU_OP_GEMM, c->gemm.a.bo = w->n);
	REJECT(RM_NPU_OP_GEMM, c->gemm.b.pad = 2);
	REJECT(RM_NPU_OP_GEMM, c->gemm.bias.bo = w->n);
	REJECT(RM_NPU_OP_GEMM, c->gemm.quant.pad = 1);
	REJECT_EXT(RM_NPU_OP_GEMM, c->gemm.out.offset += 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.in.bo = w->n);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.weights.pad = 1);
	REJECT_EXT(RM_NPU_OP_CONV2D, c->conv2d.bias.offset += 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out.bo = w->n);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.in.pad = 1);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.out.bo = w->n);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.ref.bo = w->n);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.b.ref.pad = 1);
	REJECT_EXT(RM_NPU_OP_ELTWISE, c->eltwise.out.offset += 1);
	REJECT(RM_NPU_OP_LUT, c->lut.in.bo = w->n);
	REJECT_EXT(RM_NPU_OP_LUT, c->lut.table.offset += 1);
	REJECT(RM_NPU_OP_LUT, c->lut.out.pad = 1);

	/* unused operands must be all-zero refs */
	REJECT(RM_NPU_OP_GEMM, c->flags &= ~RM_NPU_MM_BIAS);
	REJECT(RM_NPU_OP_GEMM, c->flags &= ~RM_NPU_MM_PER_CHANNEL;
	       c->gemm.rq.mult = 1);
	ACCEPT(RM_NPU_OP_GEMM, c->flags &= ~RM_NPU_MM_BIAS;
	       memset(&c->gemm.bias, 0, sizeof(c->gemm.bias)));
	ACCEPT(RM_NPU_OP_GEMM, c->flags &= ~RM_NPU_MM_PER_CHANNEL;
	       memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	       c->gemm.rq.mult = 1 << 30);
	REJECT(RM_NPU_OP_GEMM, c->flags &= ~RM_NPU_MM_BIAS;
	       memset(&c->gemm.bias, 0, sizeof(c->gemm.bias));
	       c->gemm.bias.pad = 1);
	REJECT(RM_NPU_OP_GEMM, c->flags &= ~RM_NPU_MM_BIAS;
	       memset(&c->gemm.bias, 0, sizeof(c->gemm.bias));
	       c->gemm.bias.offset = 4);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.quant.bo = 1);
	REJECT(RM_NPU_OP_CONV2D, c->flags &= ~RM_NPU_MM_BIAS);
}

static void test_validate_gemm(void **state)
{
	(void)state;
	REJECT(RM_NPU_OP_GEMM, c->gemm.m = 0);
	REJECT(RM_NPU_OP_GEMM, c->gemm.n = 0);
	REJECT(RM_NPU_OP_GEMM, c->gemm.k = 0);
	REJECT(RM_NPU_OP_GEMM, c->gemm.m = RM_NPU_MAX_DIM + 1);
	REJECT(RM_NPU_OP_GEMM, c->gemm.n = RM_NPU_MAX_DIM + 1);
	REJECT(RM_NPU_OP_GEMM, c->gemm.k = RM_NPU_MAX_GEMM_K + 1;
	       c->gemm.lda = c->gemm.k);
	REJECT(RM_NPU_OP_GEMM, c->gemm.lda = c->gemm.k - 1);
	REJECT(RM_NPU_OP_GEMM, c->gemm.ldb = c->gemm.n - 1);
	REJECT(RM_NPU_OP_GEMM, c->gemm.ldo = c->gemm.n - 1);
	REJECT(RM_NPU_OP_GEMM, c->gemm.a_dtype = RM_NPU_DT_INT32);
	REJECT(RM_NPU_OP_GEMM, c->gemm.a_dtype = 0);
	REJECT(RM_NPU_OP_GEMM, c->gemm.out_dtype = 4);
	REJECT(RM_NPU_OP_GEMM, c->gemm.a_zero_point = 256);
	REJECT(RM_NPU_OP_GEMM, c->gemm.a_zero_point = -1);
	REJECT(RM_NPU_OP_GEMM, c->gemm.a_dtype = RM_NPU_DT_INT8);
	ACCEPT(RM_NPU_OP_GEMM, c->gemm.a_dtype = RM_NPU_DT_INT8;
	       c->gemm.a_zero_point = -128);
	REJECT(RM_NPU_OP_GEMM, c->gemm.b_zero_point = 128);
	REJECT(RM_NPU_OP_GEMM, c->gemm.b_zero_point = -129);
	REJECT(RM_NPU_OP_GEMM, c->gemm.pad = 1);
	/* requant fields */
	REJECT(RM_NPU_OP_GEMM, c->gemm.rq.zero_point = 128);
	REJECT(RM_NPU_OP_GEMM, c->gemm.rq.act_min = -129);
	REJECT(RM_NPU_OP_GEMM, c->gemm.rq.act_max = 128);
	REJECT(RM_NPU_OP_GEMM, c->gemm.rq.act_min = 101);
	ACCEPT(RM_NPU_OP_GEMM, c->gemm.rq.act_min = 100);
	REJECT(RM_NPU_OP_GEMM, c->gemm.out_dtype = RM_NPU_DT_UINT8);
	ACCEPT(RM_NPU_OP_GEMM, c->gemm.out_dtype = RM_NPU_DT_UINT8;
	       c->gemm.rq.act_min = 0; c->gemm.rq.act_max = 255);
	/* per-tensor scale */
	REJECT(RM_NPU_OP_GEMM, c->flags = RM_NPU_MM_BIAS;
	       memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	       c->gemm.rq.mult = -1);
	REJECT(RM_NPU_OP_GEMM, c->flags = RM_NPU_MM_BIAS;
	       memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	       c->gemm.rq.shift = 31);
	REJECT(RM_NPU_OP_GEMM, c->flags = RM_NPU_MM_BIAS;
	       memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	       c->gemm.rq.shift = -32);
	ACCEPT(RM_NPU_OP_GEMM, c->flags = RM_NPU_MM_BIAS;
	       memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	       c->gemm.rq.shift = -31; c->gemm.rq.mult = INT32_MAX);
	ACCEPT(RM_NPU_OP_GEMM, c->flags = RM_NPU_MM_BIAS;
	       memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	       c->gemm.rq.shift = 30; c->gemm.rq.mult = 0);
	/* per-channel: rq.mult and rq.shift must stay 0 */
	REJECT(RM_NPU_OP_GEMM, c->gemm.rq.mult = 5);
	REJECT(RM_NPU_OP_GEMM, c->gemm.rq.shift = -1);
	/* INT32 output: no requant, no per-channel */
	REJECT(RM_NPU_OP_GEMM, c->gemm.out_dtype = RM_NPU_DT_INT32;
	       w->size[c->gemm.out.bo] = c->gemm.out.offset + 4 * 35);
	REJECT(RM_NPU_OP_GEMM, c->flags = RM_NPU_MM_BIAS;
	       memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	       c->gemm.out_dtype = RM_NPU_DT_INT32;
	       w->size[c->gemm.out.bo] = c->gemm.out.offset + 4 * 35);
	{
		struct rm_npu_cmd cmd_, *c = &cmd_;
		struct npu_world w_, *w = &w_;

		base_cmd(c, w, RM_NPU_OP_GEMM);
		c->flags = RM_NPU_MM_BIAS;
		memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
		memset(&c->gemm.rq, 0, sizeof(c->gemm.rq));
		c->gemm.out_dtype = RM_NPU_DT_INT32;
		free(w->buf[c->gemm.out.bo]);
		w->size[c->gemm.out.bo] = c->gemm.out.offset + 4 * 35;
		w->buf[c->gemm.out.bo] = calloc(1, w->size[c->gemm.out.bo]);
		check_cmd(c, w, 1);
		w->size[c->gemm.out.bo]--;
		assert_int_equal(validate_w(c, w), -EINVAL);
		w->size[c->gemm.out.bo]++;
		c->gemm.rq.act_max = 1;
		assert_int_equal(validate_w(c, w), -EINVAL);
		c->gemm.rq.act_max = 0;
		c->gemm.rq.zero_point = 1;
		assert_int_equal(validate_w(c, w), -EINVAL);
		npu_w_free(w);
	}
	/* output overlapping an input */
	REJECT(RM_NPU_OP_GEMM, c->gemm.out = c->gemm.a);
	REJECT(RM_NPU_OP_GEMM, c->gemm.b.bo = c->gemm.out.bo;
	       c->gemm.b.offset = c->gemm.out.offset;
	       w->size[c->gemm.out.bo] = 1000);
	REJECT(RM_NPU_OP_GEMM, c->gemm.bias.bo = c->gemm.out.bo;
	       c->gemm.bias.offset = c->gemm.out.offset + 34;
	       w->size[c->gemm.out.bo] = 1000);
	ACCEPT(RM_NPU_OP_GEMM, c->gemm.bias.bo = c->gemm.out.bo;
	       c->gemm.bias.offset = c->gemm.out.offset + 35;
	       npu_resize(w, c->gemm.out.bo, c->gemm.out.offset + 35 + 28));
	REJECT(RM_NPU_OP_GEMM, c->gemm.quant.bo = c->gemm.out.bo;
	       c->gemm.quant.offset = 0;
	       w->size[c->gemm.out.bo] = 1000);
	/* one shared byte at either end is an overlap; adjacency is not */
	REJECT(RM_NPU_OP_GEMM, c->gemm.out.offset = 100;
	       c->gemm.quant.bo = c->gemm.out.bo; c->gemm.quant.offset = 45);
	VALID(RM_NPU_OP_GEMM, c->gemm.out.offset = 100;
	      c->gemm.quant.bo = c->gemm.out.bo; c->gemm.quant.offset = 44);
	REJECT(RM_NPU_OP_GEMM, c->gemm.out.offset = 100;
	       c->gemm.quant.bo = c->gemm.out.bo;
	       c->gemm.quant.offset = 134);
	VALID(RM_NPU_OP_GEMM, c->gemm.out.offset = 100;
	      c->gemm.quant.bo = c->gemm.out.bo; c->gemm.quant.offset = 135);
	VALID(RM_NPU_OP_GEMM, c->gemm.out.offset = 100;
	      c->gemm.quant.offset = 100);
	/* inputs may overlap each other */
	ACCEPT(RM_NPU_OP_GEMM, c->gemm.b = c->gemm.a; c->gemm.ldb = 10;
	       npu_resize(w, c->gemm.a.bo, c->gemm.a.offset + 87));
}

static void test_validate_conv(void **state)
{
	(void)state;
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.batch = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.in_c = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out_c = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.batch = RM_NPU_MAX_DIM + 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.groups = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.groups = 3);	/* 4 % 3 */
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.groups = 4);	/* 6 % 4 */
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.k_h = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.k_w = RM_NPU_MAX_KERNEL + 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.stride_h = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.stride_w = RM_NPU_MAX_KERNEL + 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.dil_h = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.dil_w = RM_NPU_MAX_KERNEL + 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.pad_top = RM_NPU_MAX_KERNEL + 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.pad_right = 0xffffffffu);
	/* geometry */
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out_h = 3);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out_h = 5);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out_w = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out_w = 5);
	/* window larger than the padded input: no output */
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.dil_h = 5; c->conv2d.out_h = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.dil_h = 5; c->conv2d.out_h = 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.in_dtype = RM_NPU_DT_INT32);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.in_zero_point = 128);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.w_zero_point = -129);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out_dtype = 0);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.rq.zero_point = -1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.rq.act_max = 256);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.rq.mult = -5);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.rq.shift = 31);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.pad = 1);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.out = c->conv2d.in);
	REJECT(RM_NPU_OP_CONV2D, c->conv2d.weights = c->conv2d.out);
	ACCEPT(RM_NPU_OP_CONV2D, c->conv2d.groups = 1;
	       npu_resize(w, c->conv2d.weights.bo,
		      c->conv2d.weights.offset + 6 * 3 * 2 * 4));
	REJECT_EXT(RM_NPU_OP_CONV2D, c->conv2d.groups = 1);
	ACCEPT(RM_NPU_OP_CONV2D, c->conv2d.pad_top = RM_NPU_MAX_KERNEL;
	       c->conv2d.out_h = 35;
	       npu_resize(w, c->conv2d.out.bo,
		      c->conv2d.out.offset + 2 * 35 * 4 * 6));
}

/* Conv sum length at the limit is accepted, one more refused. */
static void test_validate_conv_k(void **state)
{
	struct rm_npu_cmd cmd;
	struct rm_npu_cmd_conv2d *c = &cmd.conv2d;
	u64 sizes[4] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL };

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_CONV2D;
	c->in.bo = 0;
	c->weights.bo = 1;
	c->out.bo = 2;
	c->batch = 1;
	c->in_h = c->in_w = 64;
	c->k_h = c->k_w = 64;
	c->in_c = 8;
	c->out_c = 1;
	c->groups = 1;
	c->stride_h = c->stride_w = c->dil_h = c->dil_w = 1;
	c->out_h = c->out_w = 1;
	c->in_dtype = RM_NPU_DT_INT8;
	c->out_dtype = RM_NPU_DT_INT32;
	assert_int_equal(npu_cmd_validate(&cmd, sizes, 3, ALL_CAPS), 0);
	c->in_c = 9;
	assert_int_equal(npu_cmd_validate(&cmd, sizes, 3, ALL_CAPS), -EINVAL);
	c->in_c = 18;
	c->groups = 2;
	c->out_c = 2;
	assert_int_equal(npu_cmd_validate(&cmd, sizes, 3, ALL_CAPS), -EINVAL);
	c->in_c = 16;
	assert_int_equal(npu_cmd_validate(&cmd, sizes, 3, ALL_CAPS), 0);
}

static void test_validate_pool(void **state)
{
	(void)state;
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.mode = 2);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.mode = RM_NPU_POOL_MAX);
	ACCEPT(RM_NPU_OP_POOL2D, c->pool2d.mode = RM_NPU_POOL_MAX;
	       c->flags = 0; c->pool2d.zero_point = 0);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.mode = RM_NPU_POOL_MAX;
	       c->flags = 0);	/* zero point must be 0 for MAX */
	ACCEPT(RM_NPU_OP_POOL2D, c->flags = 0);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.batch = 0);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.c = 0);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.c = RM_NPU_MAX_DIM + 1);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.k_h = 0);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.k_w = RM_NPU_MAX_KERNEL + 1);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.stride_h = 0);
	/* pads must be below the window size */
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.pad_top = 3; c->pool2d.out_h = 5);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.pad_bottom = 3;
	       c->pool2d.out_h = 4);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.pad_left = 2; c->pool2d.out_w = 4);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.pad_right = 2;
	       c->pool2d.out_w = 4);
	ACCEPT(RM_NPU_OP_POOL2D, c->pool2d.pad_right = 1;
	       c->pool2d.out_w = 4;
	       npu_resize(w, c->pool2d.out.bo, c->pool2d.out.offset + 4 * 4 * 3));
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.out_h = 3);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.out_w = 4);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.dtype = RM_NPU_DT_INT32);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.zero_point = 128);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.act_min = 5; c->pool2d.act_max = 4);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.act_min = -129);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.dtype = RM_NPU_DT_UINT8);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.pad = 1);
	REJECT(RM_NPU_OP_POOL2D, c->pool2d.out = c->pool2d.in);
}

static void test_validate_elt(void **state)
{
	(void)state;
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.op = 3);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.dtype = RM_NPU_DT_INT32);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.rows = 0);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.cols = 0);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.cols = RM_NPU_MAX_DIM + 1;
	       c->eltwise.out_row_stride = RM_NPU_MAX_DIM + 1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.out_row_stride = 9);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.pad = 1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.pad2 = 1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.pad = 1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.zero_point = 256);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.b.zero_point = -1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.mult = -1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.shift = 1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.b.shift = -32);
	ACCEPT(RM_NPU_OP_ELTWISE, c->eltwise.b.shift = -31;
	       c->eltwise.b.mult = INT32_MAX);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.op = RM_NPU_ELT_MUL);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.op = RM_NPU_ELT_MUL;
	       c->eltwise.a.mult = 0; c->eltwise.a.shift = 0;
	       c->eltwise.b.mult = 0; c->eltwise.b.shift = -1);
	ACCEPT(RM_NPU_OP_ELTWISE, c->eltwise.op = RM_NPU_ELT_MUL;
	       c->eltwise.a.mult = 0; c->eltwise.a.shift = 0;
	       c->eltwise.b.mult = 0; c->eltwise.b.shift = 0);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.rq.mult = -1);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.rq.shift = 31);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.rq.act_min = 200;
	       c->eltwise.rq.act_max = 100);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.rq.zero_point = 256);
	/* input extents with strides */
	REJECT_EXT(RM_NPU_OP_ELTWISE, c->eltwise.a.row_stride = 11);
	REJECT_EXT(RM_NPU_OP_ELTWISE, c->eltwise.a.col_stride = 2);
	ACCEPT(RM_NPU_OP_ELTWISE, c->eltwise.a.row_stride = 0;
	       c->eltwise.a.col_stride = 0);
	/* in place: only with the output's exact layout */
	ACCEPT(RM_NPU_OP_ELTWISE, c->eltwise.a.ref = c->eltwise.out;
	       c->eltwise.a.row_stride = 12);
	ACCEPT(RM_NPU_OP_ELTWISE, c->eltwise.a.ref = c->eltwise.out;
	       c->eltwise.a.row_stride = 12; c->eltwise.b = c->eltwise.a);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.ref = c->eltwise.out;
	       c->eltwise.a.row_stride = 11);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.ref = c->eltwise.out;
	       c->eltwise.a.row_stride = 12; c->eltwise.a.col_stride = 0);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.b.ref = c->eltwise.out);
	REJECT(RM_NPU_OP_ELTWISE, c->eltwise.a.ref = c->eltwise.out;
	       c->eltwise.a.ref.offset += 1; c->eltwise.a.row_stride = 12;
	       w->size[c->eltwise.out.bo] += 1);
}

/* ------------------------------------------------------------------ */
/* Binary32 rescale modes                                              */
/* ------------------------------------------------------------------ */

static void test_f32_mm_random(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 0; i < iters(400); i++) {
		npu_gen_mm_f32(&cmd, &w, i % 2 ? RM_NPU_OP_CONV2D :
						 RM_NPU_OP_GEMM);
		check_cmd(&cmd, &w, i % 4 == 0 ? 1 : 0);
	}
	npu_w_free(&w);
}

/* Depthwise (the AVX-512 kernel's case) and 1x1 convolutions. */
static void test_f32_conv_shapes(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i, found = 0;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 0; found < iters(120) && i < 100000; i++) {
		const struct rm_npu_cmd_conv2d *c = &cmd.conv2d;

		npu_gen_mm_f32(&cmd, &w, RM_NPU_OP_CONV2D);
		if (!(c->groups == c->in_c && c->out_c == c->in_c) &&
		    !(c->k_h == 1 && c->k_w == 1 && c->groups == 1))
			continue;
		found++;
		check_cmd(&cmd, &w, found % 4 == 0 ? 1 : 0);
	}
	assert_int_equal(found, iters(120));
	npu_w_free(&w);
}

/*
 * The rest of a convolution of known geometry and channels: types (8-bit
 * output @int8_pct % of the time), zero points, flags and requantization,
 * its buffers placed and filled, a binary32 epilogue @f32_pct % of the
 * 8-bit ones.
 */
static void npu_conv_rest(struct rm_npu_cmd *cmd, struct npu_world *w,
			  unsigned int int8_pct, unsigned int f32_pct)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 osz;
	u64 n;

	c->in_dtype = npu_rnd_dt();
	osz = npu_gen_conv_quant(cmd, npu_coin(int8_pct) ?
				 (npu_coin(50) ? RM_NPU_DT_INT8 :
				  RM_NPU_DT_UINT8) : RM_NPU_DT_INT32, 70);
	n = (u64)c->batch * c->in_h * c->in_w * c->in_c;
	npu_place(w, &c->in, n);
	npu_maybe_flat(npu_at(w, &c->in), n);
	n = (u64)c->out_c * c->k_h * c->k_w * (c->in_c / c->groups);
	npu_place(w, &c->weights, n);
	npu_maybe_flat(npu_at(w, &c->weights), n);
	npu_place(w, &c->out, (u64)c->batch * c->out_h * c->out_w * c->out_c *
		  osz);
	npu_gen_conv_extras(cmd, w);
	if (c->out_dtype != RM_NPU_DT_INT32 && npu_coin(f32_pct))
		npu_to_f32_mm(cmd, w);
}

/*
 * Depthwise convolutions of model sizes (the AVX-512 transformed-row
 * kernel): kernels up to 7 x 7 or the whole input (a global pool), rows up
 * to 60 pixels, channels past the 64-channel blocks, both epilogues,
 * weight zero points sometimes.
 */
static void gen_dw_large(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	do {
		c->batch = npu_rr(1, 2);
		c->in_h = npu_rr(1, 24);
		c->in_w = npu_rr(1, 60);
		c->k_h = npu_rr(1, 7);
		c->k_w = npu_rr(1, 7);
		c->stride_h = npu_rr(1, 3);
		c->stride_w = npu_rr(1, 3);
		c->dil_h = npu_coin(80) ? 1 : 2;
		c->dil_w = npu_coin(90) ? 1 : 2;
		c->pad_top = npu_rr(0, 3);
		c->pad_bottom = npu_rr(0, 3);
		c->pad_left = npu_rr(0, 3);
		c->pad_right = npu_rr(0, 3);
	} while (c->in_h + c->pad_top + c->pad_bottom <
		 c->dil_h * (c->k_h - 1) + 1 ||
		 c->in_w + c->pad_left + c->pad_right <
		 c->dil_w * (c->k_w - 1) + 1);
	if (npu_coin(35)) {
		/* a global pool as a convolution: the kernel is the input */
		c->in_h = npu_rr(5, 12);
		c->in_w = npu_rr(7, 14);
		c->k_h = c->in_h;
		c->k_w = c->in_w;
		c->dil_h = c->dil_w = 1;
		c->pad_top = c->pad_bottom = c->pad_left = c->pad_right = 0;
	}
	npu_conv_out_dims(c);
	c->groups = npu_coin(50) ? npu_rr(1, 200) : 16 * npu_rr(1, 12);
	c->in_c = c->groups;
	c->out_c = c->groups;
	npu_conv_rest(cmd, w, 90, 60);
}

static void test_dw_large(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(150); i++) {
		memset(&w, 0, sizeof(w));
		gen_dw_large(&cmd, &w);
		check_cmd(&cmd, &w, i % 3 == 0 ? 1 : 0);
		npu_w_free(&w);
	}
}

/*
 * Dense convolutions whose kernel rows (k_w * in_c bytes) are not whole
 * k steps of 4: a stem's 3 input channels. The AVX-512 variant reads such
 * runs in place up to 3 bytes past their end, against zero weights; the
 * input ends at its buffer's end, so a window on its last row and column
 * would read past it (ASan): those must take the copying path. Both
 * fused epilogues (binary32 and INT32 output), every zero-point case,
 * padding or none, outputs past a 64-channel block.
 */
static void gen_conv_runs(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	do {
		c->batch = npu_rr(1, 2);
		c->in_h = npu_rr(1, 20);
		c->in_w = npu_rr(1, 40);
		c->in_c = npu_rr(1, 7);
		c->k_h = npu_rr(1, 7);
		c->k_w = npu_rr(1, 7);
		c->stride_h = npu_rr(1, 3);
		c->stride_w = npu_rr(1, 3);
		c->dil_h = npu_coin(80) ? 1 : 2;
		c->dil_w = npu_coin(90) ? 1 : 2;
		c->pad_top = npu_coin(50) ? 0 : npu_rr(0, 3);
		c->pad_bottom = npu_coin(50) ? 0 : npu_rr(0, 3);
		c->pad_left = npu_coin(50) ? 0 : npu_rr(0, 3);
		c->pad_right = npu_coin(50) ? 0 : npu_rr(0, 3);
	} while ((c->k_w * c->in_c) % 4 == 0 ||
		 c->in_h + c->pad_top + c->pad_bottom <
		 c->dil_h * (c->k_h - 1) + 1 ||
		 c->in_w + c->pad_left + c->pad_right <
		 c->dil_w * (c->k_w - 1) + 1);
	npu_conv_out_dims(c);
	c->groups = 1;
	c->out_c = npu_coin(50) ? npu_rr(1, 80) : 16 * npu_rr(1, 5);
	npu_conv_rest(cmd, w, 85, 80);
}

static void test_conv_runs(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(300); i++) {
		memset(&w, 0, sizeof(w));
		gen_conv_runs(&cmd, &w);
		check_cmd(&cmd, &w, i % 3 == 0 ? 1 : 0);
		npu_w_free(&w);
	}
}

/*
 * Depthwise convolutions as the models have them (3 x 3 and 5 x 5, stride
 * 1 and 2, padding on each side alone and on all) at channel counts below,
 * at and past the 32- and 64-channel blocks (the AVX-512 kernel computes
 * two pixels per vector at 32 channels or fewer), rows of odd and even
 * widths, every zero-point case, both epilogues and output types.
 */
static void gen_dw_model(struct rm_npu_cmd *cmd, struct npu_world *w, u32 ch,
			 u32 k, u32 stride, u32 pads, u32 in_w, u32 zcase)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 p = k / 2;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	c->batch = 1 + (zcase & 1);
	c->in_h = 2 * k - 1 + (pads & 3);
	c->in_w = in_w;
	c->k_h = c->k_w = k;
	c->stride_h = c->stride_w = stride;
	c->dil_h = c->dil_w = 1;
	/* pads: bit 0 top, 1 bottom, 2 left, 3 right */
	c->pad_top = pads & 1 ? p : 0;
	c->pad_bottom = pads & 2 ? p : 0;
	c->pad_left = pads & 4 ? p : 0;
	c->pad_right = pads & 8 ? p : 0;
	c->out_h = (c->in_h + c->pad_top + c->pad_bottom - k) / stride + 1;
	c->out_w = (c->in_w + c->pad_left + c->pad_right - k) / stride + 1;
	c->groups = c->in_c = c->out_c = ch;
	c->in_dtype = zcase & 2 ? RM_NPU_DT_INT8 : RM_NPU_DT_UINT8;
	c->out_dtype = zcase & 4 ? RM_NPU_DT_INT8 : RM_NPU_DT_UINT8;
	/* zcase 8: no input zero point; 16: a weight zero point */
	c->in_zero_point = zcase & 8 ? 0 : npu_rnd_zp(c->in_dtype);
	c->w_zero_point = zcase & 16 ? npu_rnd_zp(RM_NPU_DT_INT8) : 0;
	cmd->flags = npu_rnd_mm_flags(c->out_dtype);
	npu_rnd_rq(&c->rq, c->out_dtype, !(cmd->flags & RM_NPU_MM_PER_CHANNEL));
	n = (u64)c->batch * c->in_h * c->in_w * c->in_c;
	npu_place(w, &c->in, n);
	n = (u64)c->out_c * k * k;
	npu_place(w, &c->weights, n);
	npu_place(w, &c->out, (u64)c->batch * c->out_h * c->out_w * c->out_c);
	if (cmd->flags & RM_NPU_MM_BIAS)
		npu_place(w, &c->bias, 4 * (u64)c->out_c);
	if (cmd->flags & RM_NPU_MM_PER_CHANNEL)
		npu_place(w, &c->quant, 8 * (u64)c->out_c);
	npu_fill_extras(w, cmd->flags, c->out_c, &c->bias, &c->quant);
	if (zcase & 32)
		npu_to_f32_mm(cmd, w);
}

static void test_dw_model(void **state)
{
	static const u32 chs[] = { 8, 16, 24, 31, 32, 33, 40, 64, 72, 96, 144 };
	static const u32 pads[] = { 0, 1, 2, 4, 8, 15 };
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < 4 * 11 * 6; i++) {
		u32 k = i & 1 ? 5 : 3, stride = i & 2 ? 2 : 1;
		u32 ch = chs[(i / 4) % 11], pad = pads[(i / 44) % 6];
		u32 in_w = k + 2 + (i * 7) % 13;

		memset(&w, 0, sizeof(w));
		gen_dw_model(&cmd, &w, ch, k, stride, pad, in_w,
			     (u32)(i * 37) % 64);
		check_cmd(&cmd, &w, i % 2);
		npu_w_free(&w);
	}
}

/*
 * Byte COPYs that transpose dims[2] and dims[3] either way (the layout
 * changes of real models; the AVX-512 variant tiles them 16 x 16), with
 * extents on both sides of the tile size.
 */
static void test_copy_transpose(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(120); i++) {
		struct rm_npu_cmd_copy *c = &cmd.copy;
		u32 d2 = npu_rr(1, 70), d3 = npu_rr(1, 70);
		u64 plane = (u64)d2 * d3;

		memset(&cmd, 0, sizeof(cmd));
		memset(&w, 0, sizeof(w));
		cmd.opcode = RM_NPU_OP_COPY;
		c->dims[0] = npu_rr(1, 2);
		c->dims[1] = npu_rr(1, 2);
		c->dims[2] = d2;
		c->dims[3] = d3;
		c->elem_size = 1;
		c->src_stride[1] = c->dst_stride[1] = plane;
		c->src_stride[0] = c->dst_stride[0] = plane * c->dims[1];
		if (npu_coin(50)) {
			c->src_stride[2] = d3;
			c->src_stride[3] = 1;
			c->dst_stride[2] = 1;
			c->dst_stride[3] = d2;
		} else {
			c->src_stride[2] = 1;
			c->src_stride[3] = d2;
			c->dst_stride[2] = d3;
			c->dst_stride[3] = 1;
		}
		npu_place(&w, &c->src, plane * c->dims[0] * c->dims[1]);
		npu_place(&w, &c->dst, plane * c->dims[0] * c->dims[1]);
		check_cmd(&cmd, &w, i % 2);
		npu_w_free(&w);
	}
}

/* A COPY of dims @d with byte strides @ss, @ds: may it split? */
static bool copy_split_ok(const u32 *d, const u64 *ss, const u64 *ds,
			  u32 esz)
{
	struct rm_npu_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_COPY;
	memcpy(cmd.copy.dims, d, sizeof(cmd.copy.dims));
	memcpy(cmd.copy.src_stride, ss, sizeof(cmd.copy.src_stride));
	memcpy(cmd.copy.dst_stride, ds, sizeof(cmd.copy.dst_stride));
	cmd.copy.elem_size = esz;
	return npu_cmd_split_ok(&cmd);
}

/*
 * npu_cmd_split_ok(): a COPY splits when its units (source order) write
 * the destination in order; transposes do not, whichever side is strided.
 */
static void test_split_ok(void **state)
{
	const u32 nchw[4] = { 1, 1, 144, 3136 }, d6[4] = { 1, 1, 6, 50000 };
	const u32 d3[4] = { 2, 1, 4, 10 };
	struct rm_npu_cmd gemm;

	(void)state;
	/* NCHW -> NHWC: channel-major units scatter over every pixel */
	assert_false(copy_split_ok(nchw, (u64[]){ 0, 0, 3136, 1 },
				   (u64[]){ 0, 0, 1, 144 }, 1));
	/* NHWC -> NCHW: the destination is written plane by plane */
	assert_true(copy_split_ok(nchw, (u64[]){ 0, 0, 1, 144 },
				  (u64[]){ 0, 0, 3136, 1 }, 1));
	/* a concatenation's rows, and unit dims of any stride */
	assert_true(copy_split_ok(d6, (u64[]){ 7, 9, 50000, 1 },
				  (u64[]){ 5, 0, 50001, 1 }, 1));
	/* 2-byte elements 4 bytes apart: rows must span 40 bytes */
	assert_true(copy_split_ok(d3, (u64[]){ 80, 20, 20, 2 },
				  (u64[]){ 160, 40, 40, 4 }, 2));
	assert_false(copy_split_ok(d3, (u64[]){ 80, 20, 20, 2 },
				   (u64[]){ 160, 40, 39, 4 }, 2));
	assert_false(copy_split_ok(d3, (u64[]){ 80, 20, 20, 2 },
				   (u64[]){ 100, 40, 40, 4 }, 2));
	/* elements overlapping their neighbours' bytes */
	assert_false(copy_split_ok(d3, (u64[]){ 80, 20, 20, 2 },
				   (u64[]){ 80, 20, 20, 1 }, 2));
	memset(&gemm, 0, sizeof(gemm));
	gemm.opcode = RM_NPU_OP_GEMM;
	assert_true(npu_cmd_split_ok(&gemm));
}

/*
 * Planes interleaved into pixels of 1-5 channels (a model's NCHW input
 * made NHWC): runs read densely, written 2-4 bytes apart take the AVX-512
 * spread path; lengths around 64-byte blocks, up to the largest dimension.
 */
static void test_copy_spread(void **state)
{
	static const u32 lens[] = { 1, 63, 64, 65, 200, 50176, 65536 };
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(40); i++) {
		struct rm_npu_cmd_copy *c = &cmd.copy;
		u32 d2 = npu_rr(1, 5), d3 = i < 14 ? lens[i % 7] :
					     npu_rr(1, 3000);
		u64 plane = (u64)d2 * d3;

		memset(&cmd, 0, sizeof(cmd));
		memset(&w, 0, sizeof(w));
		cmd.opcode = RM_NPU_OP_COPY;
		c->dims[0] = npu_rr(1, 2);
		c->dims[1] = npu_rr(1, 2);
		c->dims[2] = d2;
		c->dims[3] = d3;
		c->elem_size = 1;
		c->src_stride[1] = c->dst_stride[1] = plane;
		c->src_stride[0] = c->dst_stride[0] = plane * c->dims[1];
		c->src_stride[2] = d3;
		c->src_stride[3] = 1;
		c->dst_stride[2] = 1;
		c->dst_stride[3] = d2;
		npu_place(&w, &c->src, plane * c->dims[0] * c->dims[1]);
		npu_place(&w, &c->dst, plane * c->dims[0] * c->dims[1]);
		check_cmd(&cmd, &w, 1);
		npu_w_free(&w);
	}
}

static void test_f32_elt_random(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	unsigned int i;

	(void)state;
	memset(&w, 0, sizeof(w));
	for (i = 0; i < iters(600); i++) {
		npu_gen_elt_f32(&cmd, &w);
		check_cmd(&cmd, &w, i % 4 == 0 ? 1 : 0);
	}
	npu_w_free(&w);
}

static float f32_of(s32 bits)
{
	float f;

	memcpy(&f, &bits, 4);
	return f;
}

/*
 * The element formula with the roundings of the other kind (fused where
 * the mode rounds twice, twice where it fuses): what a variant that let
 * the compiler contract, or split, an operation would compute.
 */
static long wrong_elt(u32 flags, const struct rm_npu_cmd_eltwise *e, s32 a,
		      s32 b)
{
	float sa = f32_of(e->a.mult), sb = f32_of(e->b.mult);
	float f = f32_of(e->rq.mult), y;

	if (e->op == RM_NPU_ELT_MUL)
		return lrintf(fmaf((float)((a - e->a.zero_point) *
					   (b - e->b.zero_point)), f,
				   (float)e->rq.zero_point));
	if (flags & RM_NPU_ELT_F32_SCALAR_B)
		y = fmaf((float)a, sa, fmaf((float)b, sb, f));
	else if (flags & RM_NPU_ELT_F32_SCALAR_A)
		y = fmaf((float)b, sb, fmaf((float)a, sa, f));
	else
		y = (float)a * sa + ((float)b * sb + f);
	return lrintf(y);
}

static long right_elt(u32 flags, const struct rm_npu_cmd_eltwise *e, s32 a,
		      s32 b)
{
	float sa = f32_of(e->a.mult), sb = f32_of(e->b.mult);
	float f = f32_of(e->rq.mult), y, t;

	if (e->op == RM_NPU_ELT_MUL) {
		y = (float)((a - e->a.zero_point) * (b - e->b.zero_point)) * f;
		return lrintf(y + (float)e->rq.zero_point);
	}
	if (flags & RM_NPU_ELT_F32_SCALAR_B) {
		t = (float)b * sb;
		y = fmaf((float)a, sa, f + t);
	} else if (flags & RM_NPU_ELT_F32_SCALAR_A) {
		t = (float)a * sa;
		y = fmaf((float)b, sb, f + t);
	} else {
		y = fmaf((float)a, sa, fmaf((float)b, sb, f));
	}
	return lrintf(y);
}

/* As the output clamps (the zero point of ADD is 0 here). */
static long clamp_l(long v, const struct rm_npu_cmd_eltwise *e)
{
	return v < e->rq.act_min ? e->rq.act_min :
	       v > e->rq.act_max ? e->rq.act_max : v;
}

/*
 * Every pair of input values (256 x 256, broadcast strides) with scales
 * and F drawn until some output tells the mode's roundings from the other
 * kind's (near ties): then every variant must give the reference's bytes.
 */
static void test_f32_elt_rounding(void **state)
{
	static const u32 modes[] = {
		RM_NPU_ELT_F32, RM_NPU_ELT_F32 | RM_NPU_ELT_F32_SCALAR_A,
		RM_NPU_ELT_F32 | RM_NPU_ELT_F32_SCALAR_B, RM_NPU_ELT_F32,
	};
	unsigned int m, tries;

	(void)state;
	for (m = 0; m < 4; m++) {
		struct rm_npu_cmd cmd;
		struct rm_npu_cmd_eltwise *e = &cmd.eltwise;
		struct npu_world w;
		u8 *pa, *pb;
		u32 i, diff = 0;
		s32 x, y, lo;

		memset(&w, 0, sizeof(w));
		/*
		 * about one draw in 50 to 150 tells the two apart: 200 tries
		 * were too few for some seeds (RM_NPU_TEST_SEED=2)
		 */
		for (tries = 0; !diff && tries < 2000; tries++) {
			npu_w_free(&w);
			memset(&w, 0, sizeof(w));
			memset(&cmd, 0, sizeof(cmd));
			cmd.opcode = RM_NPU_OP_ELTWISE;
			cmd.flags = modes[m];
			e->op = m == 3 ? RM_NPU_ELT_MUL : RM_NPU_ELT_ADD;
			e->dtype = npu_rnd_dt();
			lo = npu_dt_min(e->dtype);
			e->rows = 256;
			e->cols = 256;
			e->out_row_stride = 256;
			e->a.col_stride = 1;	/* a: the column's value */
			e->b.row_stride = 1;	/* b: the row's value */
			e->rq.act_min = lo;
			e->rq.act_max = npu_dt_max(e->dtype);
			if (m == 3) {
				e->a.zero_point = npu_rnd_zp(e->dtype);
				e->b.zero_point = npu_rnd_zp(e->dtype);
				e->rq.zero_point = npu_rnd_zp(e->dtype);
				/* 2^-9 .. 2^-7: products of about a byte */
				e->rq.mult = (s32)(npu_rr(118, 119) << 23 |
						   (npu_rnd() & 0x7fffff));
			} else {
				e->a.mult = (s32)(npu_rr(121, 126) << 23 |
						  (npu_rnd() & 0x7fffff));
				e->b.mult = (s32)(npu_rr(121, 126) << 23 |
						  (npu_rnd() & 0x7fffff));
				e->rq.mult = npu_rnd_f32_fix();
				if (fabsf(f32_of(e->rq.mult)) > 300.0f)
					e->rq.mult = 0x3f000000;
			}
			npu_place(&w, &e->a.ref, 256);
			npu_place(&w, &e->b.ref, 256);
			npu_place(&w, &e->out, 256 * 256);
			pa = npu_at(&w, &e->a.ref);
			pb = npu_at(&w, &e->b.ref);
			for (i = 0; i < 256; i++) {
				pa[i] = (u8)(lo + (s32)i);
				pb[i] = (u8)(lo + (s32)i);
			}
			for (x = lo; x < lo + 256; x++)
				for (y = lo; y < lo + 256; y++)
					diff += clamp_l(right_elt(cmd.flags, e, x, y),
							e) !=
						clamp_l(wrong_elt(cmd.flags, e, x, y),
							e);
		}
		assert_true(diff > 0);
		check_cmd(&cmd, &w, 1);
		npu_w_free(&w);
	}
}

/* Per-channel binary32 scales are data: bad ones fail at run time. */
static void test_f32_bad_quant_runtime(void **state)
{
	static const s32 bad[][2] = {
		{ 0, 0 }, { (s32)0xbf800000, 0 }, { 0x3f800000, 1 },
		{ 0x3f800000, -1 }, { 0x7f800000, 0 }, { 0x7fc00000, 0 },
		{ 0x0d7fffff, 0 }, { 0x4f800000, 0 }, { 1, 0 },
	};
	unsigned int i, r;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (r = 0; r < 2; r++) {
			struct rm_npu_cmd cmd;
			struct npu_world w;
			const struct rm_npu_ref *q;
			u32 nch, col;

			memset(&w, 0, sizeof(w));
			do {
				npu_gen_mm_f32(&cmd, &w, r ? RM_NPU_OP_CONV2D :
							     RM_NPU_OP_GEMM);
			} while (!(cmd.flags & RM_NPU_MM_PER_CHANNEL));
			nch = r ? cmd.conv2d.out_c : cmd.gemm.n;
			q = r ? &cmd.conv2d.quant : &cmd.gemm.quant;
			col = npu_rr(0, nch - 1);
			npu_st32(npu_at(&w, q) + 8 * col, bad[i][0]);
			npu_st32(npu_at(&w, q) + 8 * col + 4, bad[i][1]);
			assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n,
							  ALL_CAPS), 0);
			assert_int_equal(t_exec(&cmd, w.buf, 0,
						npu_cmd_units(&cmd)), -EINVAL);
			npu_w_free(&w);
		}
}

/* The base commands in a binary32 mode (per-tensor for GEMM/CONV2D). */
static void f32_mm(struct rm_npu_cmd *c)
{
	struct rm_npu_requant *rq = c->opcode == RM_NPU_OP_GEMM ?
				    &c->gemm.rq : &c->conv2d.rq;

	if (c->opcode == RM_NPU_OP_GEMM)
		memset(&c->gemm.quant, 0, sizeof(c->gemm.quant));
	c->flags = RM_NPU_MM_BIAS | RM_NPU_MM_F32_SCALE;
	rq->mult = 0x3a800000;	/* 2^-10 */
	rq->shift = 0;
}

static void f32_add(struct rm_npu_cmd *c, u32 flags)
{
	struct rm_npu_cmd_eltwise *e = &c->eltwise;

	c->flags = RM_NPU_ELT_F32 | flags;
	e->a.zero_point = 0;
	e->a.mult = 0x3f000000;		/* 0.5 */
	e->a.shift = 0;
	e->b.mult = 0x3f400000;		/* 0.75 */
	e->b.shift = 0;
	e->rq.mult = (s32)0xc2fe0000;	/* -127 */
	e->rq.shift = 0;
}

static void f32_mul(struct rm_npu_cmd *c)
{
	struct rm_npu_cmd_eltwise *e = &c->eltwise;

	c->flags = RM_NPU_ELT_F32;
	e->op = RM_NPU_ELT_MUL;
	e->a.mult = 0;
	e->a.shift = 0;
	e->b.mult = 0;
	e->b.shift = 0;
	e->rq.mult = 0x3b800000;	/* 2^-8 */
	e->rq.shift = 0;
}

static void test_validate_f32(void **state)
{
	static const u32 ops[] = { RM_NPU_OP_GEMM, RM_NPU_OP_CONV2D };
	struct rm_npu_cmd fc;
	struct npu_world fw;
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		u32 op = ops[i];
		struct rm_npu_requant *rq;

#define MM_RQ	(c->opcode == RM_NPU_OP_GEMM ? &c->gemm.rq : &c->conv2d.rq)
		ACCEPT(op, f32_mm(c));
		/* the scale: positive, normal, 2^-100 <= s < 2^32 */
		ACCEPT(op, f32_mm(c); MM_RQ->mult = 0x0d800000);
		ACCEPT(op, f32_mm(c); MM_RQ->mult = 0x4f7fffff);
		REJECT(op, f32_mm(c); MM_RQ->mult = 0x0d7fffff);
		REJECT(op, f32_mm(c); MM_RQ->mult = 0x4f800000);
		REJECT(op, f32_mm(c); MM_RQ->mult = 0);
		REJECT(op, f32_mm(c); MM_RQ->mult = 1);
		REJECT(op, f32_mm(c); MM_RQ->mult = (s32)0xba800000);
		REJECT(op, f32_mm(c); MM_RQ->mult = (s32)0x80000000);
		REJECT(op, f32_mm(c); MM_RQ->mult = 0x7f800000);
		REJECT(op, f32_mm(c); MM_RQ->mult = 0x7fc00000);
		/* the shift must be 0 */
		REJECT(op, f32_mm(c); MM_RQ->shift = 1);
		REJECT(op, f32_mm(c); MM_RQ->shift = -1);
		/* per channel: rq's mult and shift 0 as without the flag */
		REJECT(op, f32_mm(c); c->flags |= RM_NPU_MM_PER_CHANNEL);
		/* INT32 output: refused */
		REJECT(op, f32_mm(c); MM_RQ->mult = 0; MM_RQ->zero_point = 0;
		       MM_RQ->act_min = 0; MM_RQ->act_max = 0;
		       if (c->opcode == RM_NPU_OP_GEMM)
				c->gemm.out_dtype = RM_NPU_DT_INT32;
		       else
				c->conv2d.out_dtype = RM_NPU_DT_INT32);
#undef MM_RQ
		/* the capability */
		base_cmd(&fc, &fw, op);
		f32_mm(&fc);
		rq = op == RM_NPU_OP_GEMM ? &fc.gemm.rq : &fc.conv2d.rq;
		assert_int_equal(rq->shift, 0);
		assert_int_equal(npu_cmd_validate(&fc, fw.size, fw.n,
				 ALL_CAPS & ~RM_NPU_CAP_F32_RESCALE), -EINVAL);
		assert_int_equal(npu_cmd_validate(&fc, fw.size, fw.n,
				 RM_NPU_CAP(op) | RM_NPU_CAP_F32_RESCALE), 0);
		npu_w_free(&fw);
	}
	/* per-channel GEMM: the pairs are checked when run */
	ACCEPT(RM_NPU_OP_GEMM, c->flags |= RM_NPU_MM_F32_SCALE;
	       for (i = 0; i < 7; i++) {
			npu_st32(npu_at(w, &c->gemm.quant) + 8 * i,
				 0x3a000000 + (s32)i * 0x123457);
			npu_st32(npu_at(w, &c->gemm.quant) + 8 * i + 4, 0);
	       });

	/* ELTWISE ADD */
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, 0));
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, RM_NPU_ELT_F32_SCALAR_A));
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, RM_NPU_ELT_F32_SCALAR_B));
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->eltwise.rq.mult = 0x4b800000);	/* F = 2^24 */
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->eltwise.rq.mult = (s32)0xcb800000);
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->eltwise.rq.mult = (s32)0x80000000);	/* -0 */
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.rq.mult = 0);
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.rq.mult = 3);
	ACCEPT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.a.mult = 0x0d800000;
	       c->eltwise.b.mult = 0x4f7fffff);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.rq.mult = 0x4b800001);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->eltwise.rq.mult = (s32)0xcb800001);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.rq.mult = 0x7f800000);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.rq.mult = 0x7fc00000);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.a.mult = 0x0d7fffff);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.b.mult = 0x4f800000);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.a.mult = 0);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->eltwise.b.mult = (s32)0xbf000000);
	/* must-be-zero fields */
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.a.zero_point = 1);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.b.zero_point = 1);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.a.shift = -1);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.b.shift = -1);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.rq.shift = 1);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0); c->eltwise.rq.shift = -1);
	/* flag combinations */
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, RM_NPU_ELT_F32_SCALAR_A |
					  RM_NPU_ELT_F32_SCALAR_B));
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->flags = RM_NPU_ELT_F32_SCALAR_A);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->flags = RM_NPU_ELT_F32_SCALAR_B);
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 1u << 3));
	REJECT(RM_NPU_OP_ELTWISE, f32_add(c, 0);
	       c->eltwise.op = RM_NPU_ELT_SUB);
	/* ELTWISE MUL */
	ACCEPT(RM_NPU_OP_ELTWISE, f32_mul(c));
	ACCEPT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.rq.mult = 0x0d800000);
	ACCEPT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.rq.mult = 0x4f7fffff);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.rq.mult = 0x0d7fffff);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.rq.mult = 0x4f800000);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.rq.mult = 0);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c);
	       c->eltwise.rq.mult = (s32)0xbb800000);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.rq.shift = 1);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.a.mult = 1);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c); c->eltwise.b.shift = -1);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c);
	       c->flags |= RM_NPU_ELT_F32_SCALAR_A);
	REJECT(RM_NPU_OP_ELTWISE, f32_mul(c);
	       c->flags |= RM_NPU_ELT_F32_SCALAR_B);
	/* the capability */
	base_cmd(&fc, &fw, RM_NPU_OP_ELTWISE);
	f32_add(&fc, RM_NPU_ELT_F32_SCALAR_B);
	assert_int_equal(npu_cmd_validate(&fc, fw.size, fw.n,
			 ALL_CAPS & ~RM_NPU_CAP_F32_RESCALE), -EINVAL);
	assert_int_equal(npu_cmd_validate(&fc, fw.size, fw.n,
			 RM_NPU_CAP(RM_NPU_OP_ELTWISE) |
			 RM_NPU_CAP_F32_RESCALE), 0);
	npu_w_free(&fw);
}

/*
 * Fixed values with known answers, worked by hand: ties at .5 to even,
 * products past the clamp, F of both signs.
 */
static void test_f32_known(void **state)
{
	struct rm_npu_cmd cmd;
	struct npu_world w;
	struct rm_npu_cmd_eltwise *e = &cmd.eltwise;
	static const s8 a[5] = { 1, 3, 5, -3, 127 };
	static const s8 b[5] = { 0, 0, 100, 0, 127 };
	/* ADD, Sa 0.5, Sb 1: a/2 + b + F, F = 0, -0.5, +0.5 */
	static const s32 fs[3] = { 0, (s32)0xbf000000, 0x3f000000 };
	static const s8 want[3][5] = {
		{ 0, 2, 102, -2, 127 },		/* ties to even */
		{ 0, 1, 102, -2, 127 },
		{ 1, 2, 103, -1, 127 },		/* 190.5 clamped */
	};
	u8 *o;
	unsigned int i, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		memset(&cmd, 0, sizeof(cmd));
		memset(&w, 0, sizeof(w));
		cmd.opcode = RM_NPU_OP_ELTWISE;
		cmd.flags = RM_NPU_ELT_F32;
		e->op = RM_NPU_ELT_ADD;
		e->dtype = RM_NPU_DT_INT8;
		e->rows = 1;
		e->cols = 5;
		e->out_row_stride = 5;
		e->a.col_stride = 1;
		e->b.col_stride = 1;
		e->a.mult = 0x3f000000;
		e->b.mult = 0x3f800000;
		e->rq.mult = fs[k];
		e->rq.act_min = -128;
		e->rq.act_max = 127;
		npu_place(&w, &e->a.ref, 5);
		npu_place(&w, &e->b.ref, 5);
		npu_place(&w, &e->out, 5);
		memcpy(npu_at(&w, &e->a.ref), a, 5);
		memcpy(npu_at(&w, &e->b.ref), b, 5);
		check_cmd(&cmd, &w, 0);
		assert_int_equal(t_exec(&cmd, w.buf, 0, npu_cmd_units(&cmd)), 0);
		o = npu_at(&w, &e->out);
		for (i = 0; i < 5; i++)
			assert_int_equal((s8)o[i], want[k][i]);
		npu_w_free(&w);
	}
}

static void test_validate_lut(void **state)
{
	(void)state;
	REJECT(RM_NPU_OP_LUT, c->lut.dtype = RM_NPU_DT_INT32);
	REJECT(RM_NPU_OP_LUT, c->lut.dtype = 0);
	REJECT(RM_NPU_OP_LUT, c->lut.count = 0);
	REJECT_EXT(RM_NPU_OP_LUT, c->lut.count = 78);
	REJECT(RM_NPU_OP_LUT, c->lut.pad = 1);
	REJECT_EXT(RM_NPU_OP_LUT, w->size[c->lut.table.bo] -= 1);
	ACCEPT(RM_NPU_OP_LUT, c->lut.in = c->lut.out);
	REJECT(RM_NPU_OP_LUT, c->lut.in = c->lut.out; c->lut.in.offset += 1;
	       w->size[c->lut.out.bo] += 1);
	REJECT(RM_NPU_OP_LUT, c->lut.table = c->lut.out);
	REJECT_EXT(RM_NPU_OP_LUT, c->lut.table = c->lut.in);	/* 77 < 256 */
	ACCEPT(RM_NPU_OP_LUT, c->lut.table = c->lut.in;
	       npu_resize(w, c->lut.in.bo, c->lut.in.offset + 256));
}

static void test_validate_fill(void **state)
{
	(void)state;
	REJECT(RM_NPU_OP_FILL, c->fill.elem_size = 0);
	REJECT(RM_NPU_OP_FILL, c->fill.elem_size = 3);
	REJECT(RM_NPU_OP_FILL, c->fill.elem_size = 8);
	REJECT(RM_NPU_OP_FILL, c->fill.value = 0x10000);
	REJECT(RM_NPU_OP_FILL, c->fill.elem_size = 1);	/* 0xffff > 0xff */
	ACCEPT(RM_NPU_OP_FILL, c->fill.elem_size = 1; c->fill.value = 0xff);
	ACCEPT(RM_NPU_OP_FILL, c->fill.elem_size = 4; c->fill.count = 50;
	       c->fill.value = 0xdeadbeef);
	REJECT(RM_NPU_OP_FILL, c->fill.count = 0);
	REJECT_EXT(RM_NPU_OP_FILL, c->fill.count = 101);
}

static void test_validate_copy(void **state)
{
	(void)state;
	REJECT(RM_NPU_OP_COPY, c->copy.elem_size = 0);
	REJECT(RM_NPU_OP_COPY, c->copy.elem_size = 257);
	REJECT(RM_NPU_OP_COPY, c->copy.pad = 1);
	REJECT(RM_NPU_OP_COPY, c->copy.dims[2] = 0);
	REJECT(RM_NPU_OP_COPY, c->copy.dims[0] = RM_NPU_MAX_DIM + 1);
	REJECT_EXT(RM_NPU_OP_COPY, c->copy.dims[3] = 6);
	REJECT_EXT(RM_NPU_OP_COPY, c->copy.src_stride[0] = 61);
	/* unused dims: any stride */
	ACCEPT(RM_NPU_OP_COPY, c->copy.src_stride[2] = ~0ULL;
	       c->copy.dst_stride[2] = ~0ULL);
	/* same buffer: extents must not overlap */
	REJECT(RM_NPU_OP_COPY, c->copy.dst = c->copy.src);
	REJECT(RM_NPU_OP_COPY, c->copy.dst.bo = c->copy.src.bo;
	       c->copy.dst.offset = 1000; c->copy.src.offset = 881);
	VALID(RM_NPU_OP_COPY, c->copy.dst.bo = c->copy.src.bo;
	      c->copy.dst.offset = 1000; c->copy.src.offset = 880);
	REJECT(RM_NPU_OP_COPY, c->copy.dst.bo = c->copy.src.bo;
	       c->copy.dst.offset = 1000; c->copy.src.offset = 1119);
	VALID(RM_NPU_OP_COPY, c->copy.dst.bo = c->copy.src.bo;
	      c->copy.dst.offset = 1000; c->copy.src.offset = 1120);
	REJECT(RM_NPU_OP_COPY, c->copy.dst.bo = c->copy.src.bo;
	       c->copy.dst.offset = c->copy.src.offset + 119;
	       w->size[c->copy.src.bo] += 200);
	ACCEPT(RM_NPU_OP_COPY, c->copy.dst.bo = c->copy.src.bo;
	       c->copy.dst.offset = c->copy.src.offset + 120;
	       npu_resize(w, c->copy.src.bo, c->copy.src.offset + 240));
	/* destination elements must be distinct */
	REJECT(RM_NPU_OP_COPY, c->copy.dst_stride[3] = 0);
	REJECT(RM_NPU_OP_COPY, c->copy.dst_stride[3] = 3);
	REJECT(RM_NPU_OP_COPY, c->copy.dst_stride[1] = 16);
	REJECT(RM_NPU_OP_COPY, c->copy.dst_stride[0] = 20);
	ACCEPT(RM_NPU_OP_COPY, c->copy.src_stride[3] = 0;
	       c->copy.src_stride[0] = 0);
	/* transposed destination */
	ACCEPT(RM_NPU_OP_COPY, c->copy.dst_stride[3] = 24;
	       c->copy.dst_stride[1] = 4; c->copy.dst_stride[0] = 12);
}

/* Arithmetic overflow in extents must be caught, not wrapped. */
static void test_validate_overflow(void **state)
{
	u64 big[4] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL };
	struct rm_npu_cmd cmd;

	(void)state;
	REJECT(RM_NPU_OP_FILL, c->fill.dst.offset = ~0ULL - 10);
	REJECT(RM_NPU_OP_FILL, c->fill.dst.offset = ~0ULL);
	REJECT(RM_NPU_OP_GEMM, c->gemm.a.offset = ~0ULL - 48);
	REJECT(RM_NPU_OP_LUT, c->lut.count = ~0ULL);
	REJECT(RM_NPU_OP_LUT, c->lut.out.offset = ~0ULL - 76);

	/* with buffers of 2^64 - 1 bytes only overflow checks remain */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_FILL;
	cmd.fill.elem_size = 4;
	cmd.fill.count = 1ULL << 62;
	assert_int_equal(npu_cmd_validate(&cmd, big, 1, ALL_CAPS), -EINVAL);
	cmd.fill.count = (1ULL << 62) - 1;
	assert_int_equal(npu_cmd_validate(&cmd, big, 1, ALL_CAPS), 0);
	cmd.fill.dst.offset = 4;
	assert_int_equal(npu_cmd_validate(&cmd, big, 1, ALL_CAPS), -EINVAL);

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_COPY;
	cmd.copy.dst.bo = 1;
	cmd.copy.elem_size = 1;
	cmd.copy.dims[0] = 3;
	cmd.copy.dims[1] = cmd.copy.dims[2] = cmd.copy.dims[3] = 1;
	cmd.copy.src_stride[0] = 1ULL << 63;
	cmd.copy.dst_stride[0] = 1;
	assert_int_equal(npu_cmd_validate(&cmd, big, 2, ALL_CAPS), -EINVAL);
	cmd.copy.dims[0] = 2;
	assert_int_equal(npu_cmd_validate(&cmd, big, 2, ALL_CAPS), 0);
	cmd.copy.src.offset = 1ULL << 63;
	assert_int_equal(npu_cmd_validate(&cmd, big, 2, ALL_CAPS), -EINVAL);
	cmd.copy.src.offset = 0;
	/* sum of dimension extents wrapping: 1 + 2^63 + s */
	cmd.copy.dims[1] = 2;
	cmd.copy.dst_stride[0] = 2;
	cmd.copy.dst_stride[1] = 1;
	cmd.copy.src_stride[1] = (1ULL << 63) - 2;
	assert_int_equal(npu_cmd_validate(&cmd, big, 2, ALL_CAPS), 0);
	cmd.copy.src_stride[1] = (1ULL << 63) - 1;
	assert_int_equal(npu_cmd_validate(&cmd, big, 2, ALL_CAPS), -EINVAL);
	/* element count 2^64: refused whatever the strides */
	cmd.copy.dims[0] = cmd.copy.dims[1] = RM_NPU_MAX_DIM;
	cmd.copy.dims[2] = cmd.copy.dims[3] = RM_NPU_MAX_DIM;
	cmd.copy.src_stride[0] = cmd.copy.src_stride[1] = 0;
	cmd.copy.src_stride[2] = cmd.copy.src_stride[3] = 0;
	cmd.copy.dst_stride[3] = 1;
	cmd.copy.dst_stride[2] = 1ULL << 16;
	cmd.copy.dst_stride[1] = 1ULL << 32;
	cmd.copy.dst_stride[0] = 1ULL << 48;
	assert_int_equal(npu_cmd_validate(&cmd, big, 2, ALL_CAPS), -EINVAL);

	/* conv: the input size 2^64 overflows (depthwise, K = 1) */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_CONV2D;
	cmd.conv2d.weights.bo = 1;
	cmd.conv2d.out.bo = 2;
	cmd.conv2d.batch = cmd.conv2d.in_h = RM_NPU_MAX_DIM;
	cmd.conv2d.in_w = cmd.conv2d.in_c = RM_NPU_MAX_DIM;
	cmd.conv2d.out_c = RM_NPU_MAX_DIM;
	cmd.conv2d.groups = RM_NPU_MAX_DIM;
	cmd.conv2d.k_h = cmd.conv2d.k_w = 1;
	cmd.conv2d.stride_h = cmd.conv2d.stride_w = 1;
	cmd.conv2d.dil_h = cmd.conv2d.dil_w = 1;
	cmd.conv2d.out_h = cmd.conv2d.out_w = RM_NPU_MAX_DIM;
	cmd.conv2d.in_dtype = RM_NPU_DT_INT8;
	cmd.conv2d.out_dtype = RM_NPU_DT_INT32;
	assert_int_equal(npu_cmd_validate(&cmd, big, 3, ALL_CAPS), -EINVAL);
	cmd.conv2d.batch = 1;
	/* out: 2^16 * 2^16 * 2^16 * 4 bytes fits, and is accepted */
	assert_int_equal(npu_cmd_validate(&cmd, big, 3, ALL_CAPS), 0);
	assert_int_equal(npu_cmd_units(&cmd), 1ULL << 42);
	assert_true(npu_cmd_ops(&cmd) == 2ULL << 48);
	cmd.conv2d.batch = RM_NPU_MAX_DIM;
	assert_int_equal(npu_cmd_validate(&cmd, big, 3, ALL_CAPS), -EINVAL);

	/* eltwise: the largest strides stay inside u64 and are accepted */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_ELTWISE;
	cmd.eltwise.b.ref.bo = 1;
	cmd.eltwise.out.bo = 2;
	cmd.eltwise.dtype = RM_NPU_DT_INT8;
	cmd.eltwise.rows = cmd.eltwise.cols = RM_NPU_MAX_DIM;
	cmd.eltwise.out_row_stride = 0xffffffffu;
	cmd.eltwise.a.row_stride = cmd.eltwise.a.col_stride = 0xffffffffu;
	cmd.eltwise.rq.act_min = -128;
	cmd.eltwise.rq.act_max = 127;
	assert_int_equal(npu_cmd_validate(&cmd, big, 3, ALL_CAPS), 0);
	big[0] = (u64)0xffffffffu * 2 * (RM_NPU_MAX_DIM - 1);
	assert_int_equal(npu_cmd_validate(&cmd, big, 3, ALL_CAPS), -EINVAL);
	big[0]++;
	assert_int_equal(npu_cmd_validate(&cmd, big, 3, ALL_CAPS), 0);
}

/* ------------------------------------------------------------------ */
/* Fuzzing                                                             */
/* ------------------------------------------------------------------ */

static u64 interesting(void)
{
	static const u64 v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 65, 127, 128, 255, 256,
		4095, 4096, 32767, 32768, 65535, 65536, 65537,
		0x7fffffffULL, 0x80000000ULL, 0xffffffffULL,
		0xffffffff80000000ULL, 0xfffffffffffffff0ULL, ~0ULL,
		1ULL << 32, 1ULL << 63,
	};

	if (npu_coin(30))
		return npu_rnd() % 32;
	return v[npu_rnd() % (sizeof(v) / sizeof(v[0]))];
}

/*
 * Execute an accepted command on its exact-size buffers (ASan checks the
 * accesses), in one pass and split, and check it against the reference
 * when it is cheap enough.
 */
static void fuzz_run(const struct rm_npu_cmd *cmd, const struct npu_world *w)
{
	struct npu_world a;
	u64 units = npu_cmd_units(cmd);
	int ret;

	npu_w_clone(&a, w);
	ret = t_exec(cmd, a.buf, 0, units);
	npu_w_free(&a);
	if (ret) {
		/* only per-channel pairs read from a buffer can fail */
		assert_int_equal(ret, -EINVAL);
		assert_true(cmd->flags & RM_NPU_MM_PER_CHANNEL);
		assert_true(cmd->opcode == RM_NPU_OP_GEMM ||
			    cmd->opcode == RM_NPU_OP_CONV2D);
		return;
	}
	if (npu_cmd_ops(cmd) < 2000000)
		check_cmd(cmd, w, 1);
}

/* A random 4-byte field value, mostly small. */
static u32 fuzz_field(void)
{
	switch (npu_rr(0, 19)) {
	case 0: case 1: case 2: case 3: case 4:
		return 0;
	case 5: case 6: case 7: case 8: case 9: case 10: case 11: case 12:
		return npu_rr(1, 4);
	case 13: case 14:
		return npu_rr(1, 300);
	case 15: case 16: case 17:
		return (u32)interesting();
	default:
		return (u32)npu_rnd();
	}
}

/* Commands of random bytes and of random interesting fields. */
static void test_fuzz_random(void **state)
{
	unsigned int i, ok = 0, j;

	(void)state;
	for (i = 0; i < iters(100000); i++) {
		struct rm_npu_cmd cmd;
		struct npu_world w;
		u32 nb = npu_rr(0, 4);

		memset(&w, 0, sizeof(w));
		for (j = 0; j < nb; j++)
			npu_w_add(&w, npu_coin(10) ? 0 : npu_rr(1, 4096));
		if (i % 2) {
			npu_fill_random((u8 *)&cmd, sizeof(cmd));
			cmd.opcode = (u32)npu_rr(0, RM_NPU_OP_COUNT);
			if (npu_coin(80))
				cmd.flags &= 3;
		} else {
			memset(&cmd, 0, sizeof(cmd));
			cmd.opcode = (u32)npu_rr(0, RM_NPU_OP_COUNT);
			cmd.flags = npu_coin(60) ? 0 : npu_coin(80) ? npu_rr(1, 3) :
				    (u32)interesting();
			for (j = 0; j < sizeof(cmd.raw) / 4; j++) {
				u32 v = fuzz_field();

				memcpy(cmd.raw + 4 * j, &v, 4);
			}
			/* usually nothing past the opcode's struct */
			if (npu_coin(90) && cmd.opcode < RM_NPU_OP_COUNT) {
				static const size_t used[] = {
					0, sizeof(struct rm_npu_cmd_fill),
					sizeof(struct rm_npu_cmd_copy),
					sizeof(struct rm_npu_cmd_gemm),
					sizeof(struct rm_npu_cmd_conv2d),
					sizeof(struct rm_npu_cmd_pool2d),
					sizeof(struct rm_npu_cmd_eltwise),
					sizeof(struct rm_npu_cmd_lut),
				};

				memset(cmd.raw + used[cmd.opcode], 0,
				       sizeof(cmd.raw) - used[cmd.opcode]);
			}
		}
		if (npu_cmd_validate(&cmd, w.size, w.n, ALL_CAPS) == 0) {
			ok++;
			fuzz_run(&cmd, &w);
		}
		npu_w_free(&w);
	}
	print_message("fuzz: %u of %u random commands accepted\n", ok,
		      iters(100000));
}

/* Valid commands with 1..3 random mutations. */
static void test_fuzz_mutate(void **state)
{
	unsigned int i, ok = 0, j;

	(void)state;
	for (i = 0; i < iters(20000); i++) {
		struct rm_npu_cmd cmd;
		struct npu_world w;
		unsigned int nm = npu_rr(1, 3);

		memset(&w, 0, sizeof(w));
		npu_gen_any(&cmd, &w, npu_rr(1, RM_NPU_OP_COUNT - 1));
		for (j = 0; j < nm; j++) {
			u32 pos = npu_rr(0, sizeof(cmd.raw) / 4 - 1);
			u32 v;

			switch (npu_rr(0, 4)) {
			case 0:
				cmd.raw[npu_rr(0, sizeof(cmd.raw) - 1)] ^=
					(u8)(1u << npu_rr(0, 7));
				break;
			case 1:
				v = (u32)interesting();
				memcpy(cmd.raw + 4 * pos, &v, 4);
				break;
			case 2:
				memcpy(&v, cmd.raw + 4 * pos, 4);
				v += npu_coin(50) ? 1 : -1;
				memcpy(cmd.raw + 4 * pos, &v, 4);
				break;
			case 3:
				cmd.flags ^= 1u << npu_rr(0, 3);
				break;
			default:
				v = w.n ? npu_rr(0, w.n - 1) : 0;
				if (w.n && w.size[v])
					w.size[v] -= 1;
				break;
			}
		}
		if (npu_cmd_validate(&cmd, w.size, w.n, ALL_CAPS) == 0) {
			ok++;
			fuzz_run(&cmd, &w);
		}
		npu_w_free(&w);
	}
	print_message("fuzz: %u of %u mutated commands accepted\n", ok,
		      iters(20000));
}

int main(void)
{
	const char *s = getenv("RM_NPU_TEST_SEED");
	const char *sc = getenv("RM_NPU_TEST_SCALE");
	const char *only = getenv("NPU_OPS_ISA");
	u64 seed;
	u32 isa;
	int ret = 0, want = -1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nop),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_requant_edges),
		cmocka_unit_test(test_gemm_random),
		cmocka_unit_test(test_gemm_int32_tiles),
		cmocka_unit_test(test_gemm_max_k),
		cmocka_unit_test(test_conv_random),
		cmocka_unit_test(test_conv_max),
		cmocka_unit_test(test_pool_random),
		cmocka_unit_test(test_elt_random),
		cmocka_unit_test(test_elt_edges),
		cmocka_unit_test(test_elt_exact),
		cmocka_unit_test(test_lut_random),
		cmocka_unit_test(test_fill_random),
		cmocka_unit_test(test_copy_random),
		cmocka_unit_test(test_copy_concat),
		cmocka_unit_test(test_split_invariance),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_bad_quant_runtime),
		cmocka_unit_test(test_exec_range),
		cmocka_unit_test(test_f32_mm_random),
		cmocka_unit_test(test_f32_conv_shapes),
		cmocka_unit_test(test_f32_elt_random),
		cmocka_unit_test(test_f32_bad_quant_runtime),
		cmocka_unit_test(test_f32_known),
		cmocka_unit_test(test_f32_elt_rounding),
		cmocka_unit_test(test_validate_common),
		cmocka_unit_test(test_validate_tail),
		cmocka_unit_test(test_validate_extents),
		cmocka_unit_test(test_validate_refs),
		cmocka_unit_test(test_validate_gemm),
		cmocka_unit_test(test_validate_conv),
		cmocka_unit_test(test_validate_conv_k),
		cmocka_unit_test(test_validate_pool),
		cmocka_unit_test(test_validate_elt),
		cmocka_unit_test(test_validate_f32),
		cmocka_unit_test(test_validate_lut),
		cmocka_unit_test(test_validate_fill),
		cmocka_unit_test(test_validate_copy),
		cmocka_unit_test(test_validate_overflow),
		cmocka_unit_test(test_fuzz_random),
		cmocka_unit_test(test_fuzz_mutate),
		/* last: the random stream of the tests above stays the same */
		cmocka_unit_test(test_dw_large),
		cmocka_unit_test(test_conv_runs),
		cmocka_unit_test(test_copy_transpose),
		cmocka_unit_test(test_split_ok),
		cmocka_unit_test(test_copy_spread),
		cmocka_unit_test(test_dw_model),
	};

	if (s && *s)
		npu_rng_state = strtoull(s, NULL, 0) | 1;
	if (sc && *sc)
		scale_pct = (unsigned int)strtoul(sc, NULL, 0);
	if (only && *only) {
		want = npu_isa_from_name(only);
		if (want <= NPU_ISA_AUTO || !npu_isa_available((u32)want)) {
			print_error("NPU_OPS_ISA=%s: not a variant this CPU "
				    "runs\n", only);
			return 1;
		}
	}
	seed = npu_rng_state;
	main_scratch = aligned_alloc(NPU_OPS_SCRATCH_ALIGN, NPU_OPS_SCRATCH_SIZE);
	if (!main_scratch)
		return 1;
	for (isa = NPU_ISA_SCALAR; isa < NPU_ISA_COUNT; isa++) {
		if (!npu_isa_available(isa) || (want >= 0 && isa != (u32)want)) {
			print_message("test_ops: variant %s not run\n",
				      npu_isa_name(isa));
			continue;
		}
		cur_isa = isa;
		npu_rng_state = seed;
		print_message("test_ops: variant %s, seed %#" PRIx64
			      " scale %u%%\n", npu_isa_name(isa), seed,
			      scale_pct);
		ret |= _cmocka_run_group_tests(npu_isa_name(isa), tests,
					       sizeof(tests) / sizeof(tests[0]),
					       NULL, NULL);
	}
	free(main_scratch);
	return ret;
}
