// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host tests of the command engine (kmod/ops/npu_ops.c): every opcode
 * against naive reference loops written from uapi/rm_npu_commands.md
 * (int64 arithmetic, no shortcuts), split invariance, concurrency,
 * validation rules, overflow attempts and fuzzing. Built with ASan and
 * UBSan; every buffer is its own exact-size heap block, so any access
 * outside a validated extent is caught.
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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npu_ops.h"

#define ALL_CAPS	((1ULL << RM_NPU_OP_COUNT) - 1)
#define MAX_BOS		8

/* ------------------------------------------------------------------ */
/* Random numbers                                                      */
/* ------------------------------------------------------------------ */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;
static unsigned int scale_pct = 100;

static u64 rnd(void)
{
	u64 x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [lo, hi]. */
static u32 rr(u32 lo, u32 hi)
{
	return lo + (u32)(rnd() % ((u64)hi - lo + 1));
}

static bool coin(unsigned int pct)
{
	return rnd() % 100 < pct;
}

static unsigned int iters(unsigned int n)
{
	unsigned int k = n * scale_pct / 100;

	return k ? k : 1;
}

static void fill_random(u8 *p, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		p[i] = (u8)rnd();
}

/* ------------------------------------------------------------------ */
/* Buffers                                                             */
/* ------------------------------------------------------------------ */

struct world {
	u32 n;
	u64 size[MAX_BOS];
	u8 *buf[MAX_BOS];
};

static u32 w_add(struct world *w, u64 size)
{
	u32 i = w->n++;

	assert_true(i < MAX_BOS);
	w->size[i] = size;
	w->buf[i] = malloc(size ? size : 1);
	assert_non_null(w->buf[i]);
	fill_random(w->buf[i], size);
	return i;
}

static void w_free(struct world *w)
{
	u32 i;

	for (i = 0; i < w->n; i++)
		free(w->buf[i]);
	w->n = 0;
}

static void w_clone(struct world *dst, const struct world *src)
{
	u32 i;

	dst->n = src->n;
	for (i = 0; i < src->n; i++) {
		dst->size[i] = src->size[i];
		dst->buf[i] = malloc(src->size[i] ? src->size[i] : 1);
		assert_non_null(dst->buf[i]);
		memcpy(dst->buf[i], src->buf[i], src->size[i]);
	}
}

static void w_assert_equal(const struct world *got, const struct world *want,
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

/*
 * Place an operand of @ext bytes in a new buffer of exactly offset + ext
 * bytes (random offset 0..40).
 */
static void place(struct world *w, struct rm_npu_ref *r, u64 ext)
{
	u64 off = coin(40) ? 0 : rr(1, 40);

	r->bo = w_add(w, off + ext);
	r->pad = 0;
	r->offset = off;
}

/* Replace buffer @bo by one of @size random bytes. */
static void resize(struct world *w, u32 bo, u64 size)
{
	free(w->buf[bo]);
	w->size[bo] = size;
	w->buf[bo] = malloc(size ? size : 1);
	assert_non_null(w->buf[bo]);
	fill_random(w->buf[bo], size);
}

static u8 *at(const struct world *w, const struct rm_npu_ref *r)
{
	return w->buf[r->bo] + r->offset;
}

static void st32(u8 *p, s32 v)
{
	u32 u = (u32)v;

	p[0] = (u8)u;
	p[1] = (u8)(u >> 8);
	p[2] = (u8)(u >> 16);
	p[3] = (u8)(u >> 24);
}

static s64 ld32(const u8 *p)
{
	return (s32)((u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
		     (u32)p[3] << 24);
}

/* ------------------------------------------------------------------ */
/* Reference semantics (uapi/rm_npu_commands.md), deliberately naive   */
/* ------------------------------------------------------------------ */

static s64 ref_ld(const u8 *p, u32 dt)
{
	return dt == RM_NPU_DT_INT8 ? (s64)(s8)*p : (s64)*p;
}

static s64 floordiv(s64 a, s64 d)
{
	s64 q = a / d;

	if (a % d && (a < 0) != (d < 0))
		q--;
	return q;
}

static s64 clamp64(s64 v, s64 lo, s64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* floor((x * m + 2^(total - 1)) / 2^total), total = 31 - shift */
static s64 ref_scale(s64 x, s64 m, s64 shift)
{
	s64 total = 31 - shift;
	s64 d = (s64)1 << total;

	return floordiv(x * m + d / 2, d);
}

static s64 ref_requant(s64 acc, s64 mult, s64 shift, s64 zp, s64 lo, s64 hi)
{
	return clamp64(ref_scale(acc, mult, shift) + zp, lo, hi);
}

static void ref_epilogue(s64 acc, u32 ch, u32 flags, u32 out_dtype,
			 const struct rm_npu_requant *rq, const u8 *bias,
			 const u8 *quant, u8 *out)
{
	s64 mult = rq->mult, shift = rq->shift;

	if (flags & RM_NPU_MM_BIAS)
		acc = clamp64(acc + ld32(bias + 4 * (u64)ch), INT32_MIN,
			      INT32_MAX);
	if (out_dtype == RM_NPU_DT_INT32) {
		st32(out, (s32)acc);
		return;
	}
	if (flags & RM_NPU_MM_PER_CHANNEL) {
		mult = ld32(quant + 8 * (u64)ch);
		shift = ld32(quant + 8 * (u64)ch + 4);
	}
	*out = (u8)ref_requant(acc, mult, shift, rq->zero_point, rq->act_min,
			       rq->act_max);
}

static void ref_gemm(const struct rm_npu_cmd *cmd, struct world *w)
{
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;
	u32 osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	u64 m, n, k;

	for (m = 0; m < g->m; m++)
		for (n = 0; n < g->n; n++) {
			s64 acc = 0;

			for (k = 0; k < g->k; k++) {
				s64 a = ref_ld(at(w, &g->a) + m * g->lda + k,
					       g->a_dtype);
				s64 b = (s8)at(w, &g->b)[k * g->ldb + n];

				acc += (a - g->a_zero_point) *
				       (b - g->b_zero_point);
			}
			assert_true(acc >= INT32_MIN && acc <= INT32_MAX);
			ref_epilogue(acc, (u32)n, cmd->flags, g->out_dtype,
				     &g->rq, at(w, &g->bias), at(w, &g->quant),
				     at(w, &g->out) + (m * g->ldo + n) * osz);
		}
}

static void ref_conv(const struct rm_npu_cmd *cmd, struct world *w)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 osz = c->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	s64 cig = c->in_c / c->groups, cpo = c->out_c / c->groups;
	s64 nb, oy, ox, oc, ky, kx, ci;

	for (nb = 0; nb < c->batch; nb++)
	for (oy = 0; oy < c->out_h; oy++)
	for (ox = 0; ox < c->out_w; ox++)
	for (oc = 0; oc < c->out_c; oc++) {
		s64 g = oc / cpo, acc = 0;

		for (ky = 0; ky < c->k_h; ky++)
		for (kx = 0; kx < c->k_w; kx++)
		for (ci = 0; ci < cig; ci++) {
			s64 iy = oy * c->stride_h - c->pad_top + ky * c->dil_h;
			s64 ix = ox * c->stride_w - c->pad_left +
				 kx * c->dil_w;
			s64 x = c->in_zero_point, wv;

			if (iy >= 0 && iy < c->in_h && ix >= 0 && ix < c->in_w)
				x = ref_ld(at(w, &c->in) +
					   ((nb * c->in_h + iy) * c->in_w +
					    ix) * c->in_c + g * cig + ci,
					   c->in_dtype);
			wv = (s8)at(w, &c->weights)[((oc * c->k_h + ky) *
						     c->k_w + kx) * cig + ci];
			acc += (x - c->in_zero_point) *
			       (wv - c->w_zero_point);
		}
		assert_true(acc >= INT32_MIN && acc <= INT32_MAX);
		ref_epilogue(acc, (u32)oc, cmd->flags, c->out_dtype, &c->rq,
			     at(w, &c->bias), at(w, &c->quant),
			     at(w, &c->out) + (((nb * c->out_h + oy) *
						c->out_w + ox) * c->out_c +
					       oc) * osz);
	}
}

static void ref_pool(const struct rm_npu_cmd *cmd, struct world *w)
{
	const struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	bool cpad = cmd->flags & RM_NPU_POOL_COUNT_PAD;
	s64 nb, oy, ox, ch, ky, kx;

	for (nb = 0; nb < p->batch; nb++)
	for (oy = 0; oy < p->out_h; oy++)
	for (ox = 0; ox < p->out_w; ox++)
	for (ch = 0; ch < p->c; ch++) {
		s64 mx = INT64_MIN, sum = 0, cnt = 0, r;

		for (ky = 0; ky < p->k_h; ky++)
		for (kx = 0; kx < p->k_w; kx++) {
			s64 iy = oy * p->stride_h - p->pad_top + ky;
			s64 ix = ox * p->stride_w - p->pad_left + kx;
			s64 x;

			if (iy < 0 || iy >= p->in_h || ix < 0 ||
			    ix >= p->in_w) {
				if (cpad)
					sum += p->zero_point;
				continue;
			}
			x = ref_ld(at(w, &p->in) +
				   ((nb * p->in_h + iy) * p->in_w + ix) * p->c +
				   ch, p->dtype);
			if (x > mx)
				mx = x;
			sum += x;
			cnt++;
		}
		assert_true(cnt > 0);
		if (p->mode == RM_NPU_POOL_MAX) {
			r = mx;
		} else {
			if (cpad)
				cnt = (s64)p->k_h * p->k_w;
			r = sum >= 0 ? (sum + cnt / 2) / cnt :
				       -((-sum + cnt / 2) / cnt);
		}
		at(w, &p->out)[((nb * p->out_h + oy) * p->out_w + ox) * p->c +
			       ch] = (u8)clamp64(r, p->act_min, p->act_max);
	}
}

static void ref_elt(const struct rm_npu_cmd *cmd, struct world *w)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	const struct rm_npu_elt_input *a = &e->a, *b = &e->b;
	u64 r, c;

	for (r = 0; r < e->rows; r++)
		for (c = 0; c < e->cols; c++) {
			s64 xa = ref_ld(at(w, &a->ref) + r * a->row_stride +
					c * a->col_stride, e->dtype) -
				 a->zero_point;
			s64 xb = ref_ld(at(w, &b->ref) + r * b->row_stride +
					c * b->col_stride, e->dtype) -
				 b->zero_point;
			s64 s;

			if (e->op == RM_NPU_ELT_MUL) {
				s = xa * xb;
			} else {
				s64 ra = ref_scale(xa * (1 << 20), a->mult,
						   a->shift);
				s64 rb = ref_scale(xb * (1 << 20), b->mult,
						   b->shift);

				s = e->op == RM_NPU_ELT_ADD ? ra + rb : ra - rb;
			}
			at(w, &e->out)[r * e->out_row_stride + c] =
				(u8)ref_requant(s, e->rq.mult, e->rq.shift,
						e->rq.zero_point,
						e->rq.act_min, e->rq.act_max);
		}
}

static void ref_lut(const struct rm_npu_cmd *cmd, struct world *w)
{
	const struct rm_npu_cmd_lut *l = &cmd->lut;
	u64 i;

	for (i = 0; i < l->count; i++) {
		s64 v = ref_ld(at(w, &l->in) + i, l->dtype);
		s64 idx = l->dtype == RM_NPU_DT_INT8 ? v + 128 : v;

		at(w, &l->out)[i] = at(w, &l->table)[idx];
	}
}

static void ref_fill(const struct rm_npu_cmd *cmd, struct world *w)
{
	const struct rm_npu_cmd_fill *f = &cmd->fill;
	u64 i, b;

	for (i = 0; i < f->count; i++)
		for (b = 0; b < f->elem_size; b++)
			at(w, &f->dst)[i * f->elem_size + b] =
				(u8)(f->value >> (8 * b));
}

static void ref_copy(const struct rm_npu_cmd *cmd, struct world *w)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;
	u64 i0, i1, i2, i3;

	for (i0 = 0; i0 < c->dims[0]; i0++)
	for (i1 = 0; i1 < c->dims[1]; i1++)
	for (i2 = 0; i2 < c->dims[2]; i2++)
	for (i3 = 0; i3 < c->dims[3]; i3++) {
		u64 so = i0 * c->src_stride[0] + i1 * c->src_stride[1] +
			 i2 * c->src_stride[2] + i3 * c->src_stride[3];
		u64 d = i0 * c->dst_stride[0] + i1 * c->dst_stride[1] +
			i2 * c->dst_stride[2] + i3 * c->dst_stride[3];

		memcpy(at(w, &c->dst) + d, at(w, &c->src) + so, c->elem_size);
	}
}

static void ref_exec(const struct rm_npu_cmd *cmd, struct world *w)
{
	switch (cmd->opcode) {
	case RM_NPU_OP_FILL:
		ref_fill(cmd, w);
		break;
	case RM_NPU_OP_COPY:
		ref_copy(cmd, w);
		break;
	case RM_NPU_OP_GEMM:
		ref_gemm(cmd, w);
		break;
	case RM_NPU_OP_CONV2D:
		ref_conv(cmd, w);
		break;
	case RM_NPU_OP_POOL2D:
		ref_pool(cmd, w);
		break;
	case RM_NPU_OP_ELTWISE:
		ref_elt(cmd, w);
		break;
	case RM_NPU_OP_LUT:
		ref_lut(cmd, w);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Running and checking                                                */
/* ------------------------------------------------------------------ */

/* Units [0, U) cut into 2..5 ranges, run in random order. */
static void run_split(const struct rm_npu_cmd *cmd, struct world *w, u64 units)
{
	u64 cut[6], t;
	unsigned int n = rr(2, 5), i, j, order[5];

	cut[0] = 0;
	cut[n] = units;
	for (i = 1; i < n; i++)
		cut[i] = units ? rnd() % (units + 1) : 0;
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
		j = rr(0, i);
		t = order[i];
		order[i] = order[j];
		order[j] = (unsigned int)t;
	}
	for (i = 0; i < n; i++)
		assert_int_equal(npu_cmd_exec(cmd, w->buf, cut[order[i]],
					      cut[order[i] + 1]), 0);
}

/*
 * Validate (must accept), execute in one pass, compare with the reference
 * over every byte of every buffer; then, with @splits, compare random
 * splits with the one-pass result.
 */
static void check_cmd(const struct rm_npu_cmd *cmd, const struct world *w,
		      unsigned int splits)
{
	struct world got, want;
	u64 units;
	unsigned int s;

	assert_int_equal(npu_cmd_validate(cmd, w->size, w->n, ALL_CAPS), 0);
	units = npu_cmd_units(cmd);
	w_clone(&got, w);
	w_clone(&want, w);
	assert_int_equal(npu_cmd_exec(cmd, got.buf, 0, units), 0);
	ref_exec(cmd, &want);
	w_assert_equal(&got, &want, cmd, "one pass vs reference");
	for (s = 0; s < splits; s++) {
		struct world sp;

		w_clone(&sp, w);
		run_split(cmd, &sp, units);
		w_assert_equal(&sp, &got, cmd, "split vs one pass");
		w_free(&sp);
	}
	w_free(&got);
	w_free(&want);
}

/* ------------------------------------------------------------------ */
/* Random valid commands                                               */
/* ------------------------------------------------------------------ */

static u32 rnd_dt(void)
{
	return coin(50) ? RM_NPU_DT_INT8 : RM_NPU_DT_UINT8;
}

static s32 dt_min(u32 dt)
{
	return dt == RM_NPU_DT_INT8 ? -128 : 0;
}

static s32 dt_max(u32 dt)
{
	return dt == RM_NPU_DT_INT8 ? 127 : 255;
}

/* Zero point of @dt, often an extreme. */
static s32 rnd_zp(u32 dt)
{
	switch (rr(0, 5)) {
	case 0:
		return dt_min(dt);
	case 1:
		return dt_max(dt);
	case 2:
		return 0;
	default:
		return (s32)rr(0, 255) + dt_min(dt);
	}
}

static s32 rnd_mult(void)
{
	switch (rr(0, 7)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return INT32_MAX;
	case 3:
		return 1 << 30;
	default:
		return (s32)rr(1u << 29, INT32_MAX);
	}
}

/* Output shift: extremes sometimes, mostly a useful range. */
static s32 rnd_shift(void)
{
	switch (rr(0, 7)) {
	case 0:
		return -31;
	case 1:
		return 30;
	case 2:
		return 0;
	default:
		return -(s32)rr(0, 20);
	}
}

static void rnd_rq(struct rm_npu_requant *rq, u32 dt, bool scale)
{
	s32 a, b;

	if (scale) {
		rq->mult = rnd_mult();
		rq->shift = rnd_shift();
	}
	rq->zero_point = rnd_zp(dt);
	if (coin(50)) {
		rq->act_min = dt_min(dt);
		rq->act_max = dt_max(dt);
		return;
	}
	a = (s32)rr(0, 255) + dt_min(dt);
	b = (s32)rr(0, 255) + dt_min(dt);
	rq->act_min = a < b ? a : b;
	rq->act_max = a < b ? b : a;
}

/* Per-channel pairs and bias values (bias often at the int32 ends). */
static void fill_extras(struct world *w, u32 flags, u32 n,
			const struct rm_npu_ref *bias,
			const struct rm_npu_ref *quant)
{
	u32 i;

	if (flags & RM_NPU_MM_BIAS)
		for (i = 0; i < n; i++) {
			s32 v = (s32)rnd();

			if (coin(10))
				v = coin(50) ? INT32_MAX : INT32_MIN;
			else if (coin(50))
				v >>= rr(8, 30);
			st32(at(w, bias) + 4 * i, v);
		}
	if (flags & RM_NPU_MM_PER_CHANNEL)
		for (i = 0; i < n; i++) {
			st32(at(w, quant) + 8 * i, rnd_mult());
			st32(at(w, quant) + 8 * i + 4, rnd_shift());
		}
}

static u32 rnd_mm_flags(u32 out_dtype)
{
	u32 f = coin(50) ? RM_NPU_MM_BIAS : 0;

	if (out_dtype != RM_NPU_DT_INT32 && coin(50))
		f |= RM_NPU_MM_PER_CHANNEL;
	return f;
}

static u32 rnd_out_dt(void)
{
	switch (rr(0, 2)) {
	case 0:
		return RM_NPU_DT_INT8;
	case 1:
		return RM_NPU_DT_UINT8;
	default:
		return RM_NPU_DT_INT32;
	}
}

/* A dimension, biased to the edges of the 64-wide blocks. */
static u32 rnd_dim(u32 max)
{
	static const u32 edge[] = { 1, 2, 15, 16, 17, 63, 64, 65, 127, 128,
				    129 };

	if (coin(30)) {
		u32 e = edge[rr(0, sizeof(edge) / sizeof(edge[0]) - 1)];

		if (e <= max)
			return e;
	}
	return rr(1, max);
}

/* Saturated/extreme data sometimes: all one value. */
static void maybe_flat(u8 *p, u64 n)
{
	static const u8 v[] = { 0x00, 0xff, 0x80, 0x7f };

	if (coin(15))
		memset(p, v[rr(0, 3)], n);
}

static void gen_gemm(struct rm_npu_cmd *cmd, struct world *w, u32 maxd,
		     u32 maxk)
{
	struct rm_npu_cmd_gemm *g = &cmd->gemm;
	u32 osz;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_GEMM;
	g->m = rnd_dim(maxd);
	g->n = rnd_dim(maxd);
	g->k = rnd_dim(maxk);
	g->lda = g->k + (coin(30) ? rr(1, 9) : 0);
	g->ldb = g->n + (coin(30) ? rr(1, 9) : 0);
	g->ldo = g->n + (coin(30) ? rr(1, 9) : 0);
	g->a_dtype = rnd_dt();
	g->out_dtype = rnd_out_dt();
	g->a_zero_point = rnd_zp(g->a_dtype);
	g->b_zero_point = rnd_zp(RM_NPU_DT_INT8);
	cmd->flags = rnd_mm_flags(g->out_dtype);
	if (g->out_dtype != RM_NPU_DT_INT32)
		rnd_rq(&g->rq, g->out_dtype,
		       !(cmd->flags & RM_NPU_MM_PER_CHANNEL));
	osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	place(w, &g->a, (u64)(g->m - 1) * g->lda + g->k);
	place(w, &g->b, (u64)(g->k - 1) * g->ldb + g->n);
	place(w, &g->out, ((u64)(g->m - 1) * g->ldo + g->n) * osz);
	if (cmd->flags & RM_NPU_MM_BIAS)
		place(w, &g->bias, 4 * (u64)g->n);
	if (cmd->flags & RM_NPU_MM_PER_CHANNEL)
		place(w, &g->quant, 8 * (u64)g->n);
	maybe_flat(at(w, &g->a), (u64)(g->m - 1) * g->lda + g->k);
	maybe_flat(at(w, &g->b), (u64)(g->k - 1) * g->ldb + g->n);
	fill_extras(w, cmd->flags, g->n, &g->bias, &g->quant);
}

static void gen_conv(struct rm_npu_cmd *cmd, struct world *w)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 kind = rr(0, 3), cig, cpo, osz;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	do {
		c->batch = rr(1, 2);
		c->in_h = rr(1, 9);
		c->in_w = rr(1, 9);
		c->k_h = coin(20) ? 1 : rr(1, 4);
		c->k_w = coin(20) ? 1 : rr(1, 4);
		c->stride_h = rr(1, 3);
		c->stride_w = rr(1, 3);
		c->dil_h = coin(70) ? 1 : rr(2, 3);
		c->dil_w = coin(70) ? 1 : rr(2, 3);
		c->pad_top = coin(40) ? 0 : rr(0, 3);
		c->pad_bottom = coin(40) ? 0 : rr(0, 3);
		c->pad_left = coin(40) ? 0 : rr(0, 3);
		c->pad_right = coin(40) ? 0 : rr(0, 3);
		c->out_h = (c->in_h + c->pad_top + c->pad_bottom +
			    c->stride_h - 1 - c->dil_h * (c->k_h - 1) - 1) /
			   c->stride_h;
		if (c->in_h + c->pad_top + c->pad_bottom <
		    c->dil_h * (c->k_h - 1) + 1)
			continue;
		if (c->in_w + c->pad_left + c->pad_right <
		    c->dil_w * (c->k_w - 1) + 1)
			continue;
		break;
	} while (1);
	c->out_h = (c->in_h + c->pad_top + c->pad_bottom -
		    c->dil_h * (c->k_h - 1) - 1) / c->stride_h + 1;
	c->out_w = (c->in_w + c->pad_left + c->pad_right -
		    c->dil_w * (c->k_w - 1) - 1) / c->stride_w + 1;
	switch (kind) {
	case 0:	/* dense, channels past the 16/64 blocks sometimes */
		c->groups = 1;
		cig = coin(30) ? rr(16, 80) : rr(1, 8);
		cpo = coin(30) ? rr(60, 70) : rr(1, 9);
		break;
	case 1:	/* depthwise */
		c->groups = rr(1, 70);
		cig = 1;
		cpo = coin(70) ? 1 : rr(2, 3);
		break;
	default: /* grouped */
		c->groups = rr(2, 5);
		cig = rr(1, 6);
		cpo = rr(1, 20);
		break;
	}
	c->in_c = c->groups * cig;
	c->out_c = c->groups * cpo;
	c->in_dtype = rnd_dt();
	c->out_dtype = rnd_out_dt();
	c->in_zero_point = rnd_zp(c->in_dtype);
	c->w_zero_point = coin(50) ? 0 : rnd_zp(RM_NPU_DT_INT8);
	cmd->flags = rnd_mm_flags(c->out_dtype);
	if (c->out_dtype != RM_NPU_DT_INT32)
		rnd_rq(&c->rq, c->out_dtype,
		       !(cmd->flags & RM_NPU_MM_PER_CHANNEL));
	osz = c->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	n = (u64)c->batch * c->in_h * c->in_w * c->in_c;
	place(w, &c->in, n);
	maybe_flat(at(w, &c->in), n);
	n = (u64)c->out_c * c->k_h * c->k_w * cig;
	place(w, &c->weights, n);
	maybe_flat(at(w, &c->weights), n);
	place(w, &c->out, (u64)c->batch * c->out_h * c->out_w * c->out_c *
		  osz);
	if (cmd->flags & RM_NPU_MM_BIAS)
		place(w, &c->bias, 4 * (u64)c->out_c);
	if (cmd->flags & RM_NPU_MM_PER_CHANNEL)
		place(w, &c->quant, 8 * (u64)c->out_c);
	fill_extras(w, cmd->flags, c->out_c, &c->bias, &c->quant);
}

static void gen_pool(struct rm_npu_cmd *cmd, struct world *w)
{
	struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_POOL2D;
	p->mode = coin(50) ? RM_NPU_POOL_MAX : RM_NPU_POOL_AVG;
	if (p->mode == RM_NPU_POOL_AVG && coin(50))
		cmd->flags = RM_NPU_POOL_COUNT_PAD;
	do {
		p->batch = rr(1, 2);
		p->in_h = rr(1, 9);
		p->in_w = rr(1, 9);
		p->k_h = rr(1, 5);
		p->k_w = rr(1, 5);
		p->stride_h = rr(1, 3);
		p->stride_w = rr(1, 3);
		p->pad_top = coin(40) ? 0 : rr(0, p->k_h - 1);
		p->pad_bottom = coin(40) ? 0 : rr(0, p->k_h - 1);
		p->pad_left = coin(40) ? 0 : rr(0, p->k_w - 1);
		p->pad_right = coin(40) ? 0 : rr(0, p->k_w - 1);
	} while (p->in_h + p->pad_top + p->pad_bottom < p->k_h ||
		 p->in_w + p->pad_left + p->pad_right < p->k_w);
	p->out_h = (p->in_h + p->pad_top + p->pad_bottom - p->k_h) /
		   p->stride_h + 1;
	p->out_w = (p->in_w + p->pad_left + p->pad_right - p->k_w) /
		   p->stride_w + 1;
	p->c = rnd_dim(140);
	p->dtype = rnd_dt();
	p->zero_point = p->mode == RM_NPU_POOL_MAX ? 0 : rnd_zp(p->dtype);
	if (coin(50)) {
		p->act_min = dt_min(p->dtype);
		p->act_max = dt_max(p->dtype);
	} else {
		p->act_min = dt_min(p->dtype) + (s32)rr(0, 100);
		p->act_max = p->act_min + (s32)rr(0, 155);
	}
	n = (u64)p->batch * p->in_h * p->in_w * p->c;
	place(w, &p->in, n);
	maybe_flat(at(w, &p->in), n);
	place(w, &p->out, (u64)p->batch * p->out_h * p->out_w * p->c);
}

static void gen_elt_input(struct rm_npu_elt_input *x, const struct rm_npu_cmd_eltwise *e)
{
	x->row_stride = coin(20) ? 0 : e->cols + (coin(30) ? rr(1, 5) : 0);
	x->col_stride = coin(15) ? 0 : coin(80) ? 1 : rr(2, 3);
	if (x->col_stride > 1)
		x->row_stride = coin(20) ? 0 : e->cols * x->col_stride;
	x->zero_point = rnd_zp(e->dtype);
	if (e->op != RM_NPU_ELT_MUL) {
		x->mult = rnd_mult();
		x->shift = coin(20) ? -31 : -(s32)rr(0, 12);
	}
}

static void gen_elt(struct rm_npu_cmd *cmd, struct world *w)
{
	struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	struct rm_npu_elt_input *xs[2] = { &e->a, &e->b };
	unsigned int i;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_ELTWISE;
	e->op = rr(0, 2);
	e->dtype = rnd_dt();
	if (coin(10)) {
		e->rows = rr(1, 2);
		e->cols = rr(4090, 8300);
	} else {
		e->rows = rr(1, 9);
		e->cols = rnd_dim(70);
	}
	e->out_row_stride = e->cols + (coin(30) ? rr(1, 5) : 0);
	e->rq.mult = rnd_mult();
	e->rq.shift = e->op == RM_NPU_ELT_MUL ? rnd_shift() :
		      coin(20) ? rnd_shift() : -(s32)rr(10, 24);
	rnd_rq(&e->rq, e->dtype, false);
	place(w, &e->out, (u64)(e->rows - 1) * e->out_row_stride + e->cols);
	for (i = 0; i < 2; i++) {
		struct rm_npu_elt_input *x = xs[i];

		gen_elt_input(x, e);
		if (coin(15)) {
			/* in place */
			x->ref = e->out;
			x->row_stride = e->out_row_stride;
			x->col_stride = 1;
			continue;
		}
		place(w, &x->ref, (u64)(e->rows - 1) * x->row_stride +
				  (u64)(e->cols - 1) * x->col_stride + 1);
	}
}

static void gen_lut(struct rm_npu_cmd *cmd, struct world *w)
{
	struct rm_npu_cmd_lut *l = &cmd->lut;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_LUT;
	l->dtype = rnd_dt();
	l->count = coin(20) ? rr(4090, 13000) : rr(1, 300);
	place(w, &l->table, 256);
	place(w, &l->out, l->count);
	if (coin(20))
		l->in = l->out;
	else
		place(w, &l->in, l->count);
}

static void gen_fill(struct rm_npu_cmd *cmd, struct world *w)
{
	struct rm_npu_cmd_fill *f = &cmd->fill;
	static const u32 es[] = { 1, 2, 4 };

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_FILL;
	f->elem_size = es[rr(0, 2)];
	f->count = coin(20) ? rr(4090, 13000) : rr(1, 300);
	f->value = (u32)rnd();
	if (f->elem_size < 4)
		f->value &= (1u << (8 * f->elem_size)) - 1;
	place(w, &f->dst, f->count * f->elem_size);
}

static void gen_copy(struct rm_npu_cmd *cmd, struct world *w)
{
	struct rm_npu_cmd_copy *c = &cmd->copy;
	u32 perm[4] = { 0, 1, 2, 3 }, i, j, t;
	u64 ext;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_COPY;
	c->elem_size = coin(10) ? 256 : coin(50) ? rr(1, 4) : rr(1, 12);
	for (i = 0; i < 4; i++)
		c->dims[i] = coin(30) ? 1 : rr(1, 5);
	if (coin(15))
		c->dims[3] = rr(250, 600);
	/* destination: a permuted dense nesting, with gaps sometimes */
	for (i = 3; i > 0; i--) {
		j = rr(0, i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	ext = c->elem_size;
	for (i = 0; i < 4; i++) {
		u32 d = perm[3 - i];

		c->dst_stride[d] = ext + (coin(20) ? rr(1, 7) : 0);
		ext = c->dst_stride[d] * c->dims[d];
	}
	/* source: anything, broadcasts included */
	for (i = 0; i < 4; i++) {
		switch (rr(0, 3)) {
		case 0:
			c->src_stride[i] = 0;
			break;
		case 1:
			c->src_stride[i] = c->dst_stride[i];
			break;
		default:
			c->src_stride[i] = rr(1, 3 * c->elem_size);
			break;
		}
	}
	ext = c->elem_size;
	for (i = 0; i < 4; i++)
		ext += (u64)(c->dims[i] - 1) * c->src_stride[i];
	place(w, &c->src, ext);
	ext = c->elem_size;
	for (i = 0; i < 4; i++)
		ext += (u64)(c->dims[i] - 1) * c->dst_stride[i];
	place(w, &c->dst, ext);
}

static void gen_any(struct rm_npu_cmd *cmd, struct world *w, u32 op)
{
	switch (op) {
	case RM_NPU_OP_FILL:
		gen_fill(cmd, w);
		break;
	case RM_NPU_OP_COPY:
		gen_copy(cmd, w);
		break;
	case RM_NPU_OP_GEMM:
		gen_gemm(cmd, w, 100, 100);
		break;
	case RM_NPU_OP_CONV2D:
		gen_conv(cmd, w);
		break;
	case RM_NPU_OP_POOL2D:
		gen_pool(cmd, w);
		break;
	case RM_NPU_OP_ELTWISE:
		gen_elt(cmd, w);
		break;
	case RM_NPU_OP_LUT:
		gen_lut(cmd, w);
		break;
	default:
		memset(cmd, 0, sizeof(*cmd));
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Execution tests                                                     */
/* ------------------------------------------------------------------ */

static void random_op_test(u32 op, unsigned int n)
{
	struct rm_npu_cmd cmd;
	struct world w;
	unsigned int i;

	for (i = 0; i < iters(n); i++) {
		memset(&w, 0, sizeof(w));
		gen_any(&cmd, &w, op);
		check_cmd(&cmd, &w, i % 4 == 0 ? 1 : 0);
		w_free(&w);
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

/* Small GEMMs with K = RM_NPU_MAX_GEMM_K and the largest sums. */
static void test_gemm_max_k(void **state)
{
	struct rm_npu_cmd cmd;
	struct world w;
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(24); i++) {
		struct rm_npu_cmd_gemm *g = &cmd.gemm;

		memset(&w, 0, sizeof(w));
		gen_gemm(&cmd, &w, 3, 1);
		w_free(&w);
		memset(&w, 0, sizeof(w));
		g->n = i < 8 ? rr(1, 3) : rr(60, 70);
		g->k = RM_NPU_MAX_GEMM_K;
		g->lda = g->k;
		g->ldb = g->n;
		g->ldo = g->n;
		place(&w, &g->a, (u64)(g->m - 1) * g->lda + g->k);
		place(&w, &g->b, (u64)(g->k - 1) * g->ldb + g->n);
		place(&w, &g->out, ((u64)(g->m - 1) * g->ldo + g->n) *
				   (g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1));
		if (cmd.flags & RM_NPU_MM_BIAS)
			place(&w, &g->bias, 4 * (u64)g->n);
		if (cmd.flags & RM_NPU_MM_PER_CHANNEL)
			place(&w, &g->quant, 8 * (u64)g->n);
		fill_extras(&w, cmd.flags, g->n, &g->bias, &g->quant);
		if (i % 2 == 0) {
			/* |sum| = 255 * 255 * 32768: the largest possible */
			g->a_dtype = RM_NPU_DT_UINT8;
			g->a_zero_point = i % 4 ? 255 : 0;
			g->b_zero_point = 127;
			memset(at(&w, &g->a), i % 4 ? 0 : 255,
			       (u64)(g->m - 1) * g->lda + g->k);
			memset(at(&w, &g->b), 0x80,
			       (u64)(g->k - 1) * g->ldb + g->n);
		}
		check_cmd(&cmd, &w, 1);
		w_free(&w);
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
		struct world w;

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
		place(&w, &g->a, 1);
		place(&w, &g->b, 1);
		place(&w, &g->bias, 4);
		place(&w, &g->out, 1);
		at(&w, &g->a)[0] = 0;	/* sum 0: the bias is the sum */
		st32(at(&w, &g->bias), cases[i].acc);
		check_cmd(&cmd, &w, 0);
		assert_int_equal(npu_cmd_exec(&cmd, w.buf, 0, 1), 0);
		assert_int_equal((s8)at(&w, &g->out)[0], cases[i].want);
		w_free(&w);
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
		struct world w;

		memset(&w, 0, sizeof(w));
		gen_elt(&cmd, &w);
		if (e->op != RM_NPU_ELT_MUL) {
			e->a.mult = coin(50) ? INT32_MAX : 1;
			e->a.shift = coin(50) ? 0 : -31;
			e->b.mult = coin(50) ? INT32_MAX : 0;
			e->b.shift = coin(50) ? 0 : -31;
		}
		e->rq.mult = coin(50) ? INT32_MAX : 1;
		e->rq.shift = coin(50) ? 30 : -31;
		check_cmd(&cmd, &w, 1);
		w_free(&w);
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

	*shift = -(s32)rr(0, 20);
	t = 31 - *shift;
	odd = 2 * rr(0, (1u << (51 - t)) > 4 ? 4 : 0) + 1;
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
		struct world w;

		memset(&w, 0, sizeof(w));
		gen_elt(&cmd, &w);
		if (e->op != RM_NPU_ELT_MUL) {
			e->a.mult = (s32)rr(1, INT32_MAX);
			e->a.shift = -(s32)rr(20, 31);
			e->b.mult = (s32)rr(1, INT32_MAX);
			e->b.shift = -(s32)rr(20, 31);
			if (i % 2)
				tie_scale(&e->a.mult, &e->a.shift);
			if (i % 4 < 2)
				tie_scale(&e->b.mult, &e->b.shift);
			e->rq.mult = 1 << 30;
			e->rq.shift = 1;
		} else {
			e->rq.mult = (s32)rr(1u << 30, INT32_MAX);
			e->rq.shift = -(s32)rr(6, 9);
		}
		e->rq.zero_point = e->dtype == RM_NPU_DT_INT8 ? 0 : 128;
		e->rq.act_min = dt_min(e->dtype);
		e->rq.act_max = dt_max(e->dtype);
		check_cmd(&cmd, &w, 0);
		w_free(&w);
	}
}

/* Conv with the largest sum length and the largest window. */
static void test_conv_max(void **state)
{
	struct rm_npu_cmd cmd;
	struct rm_npu_cmd_conv2d *c = &cmd.conv2d;
	struct world w;
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
		place(&w, &c->in, (u64)c->in_h * c->in_w * c->in_c);
		memset(at(&w, &c->in), 0, (u64)c->in_h * c->in_w * c->in_c);
		place(&w, &c->weights, (u64)c->out_c * c->k_h * c->k_w *
				       (c->in_c / c->groups));
		memset(at(&w, &c->weights), 0x80, (u64)c->out_c * c->k_h *
		       c->k_w * (c->in_c / c->groups));
		place(&w, &c->out, (u64)c->out_h * c->out_w * c->out_c * 4);
		if (cmd.flags & RM_NPU_MM_BIAS) {
			place(&w, &c->bias, 4 * (u64)c->out_c);
			fill_extras(&w, cmd.flags, c->out_c, &c->bias,
				    &c->quant);
		}
		check_cmd(&cmd, &w, 1);
		w_free(&w);
	}
}

/* Every op: random splits against one pass. */
static void test_split_invariance(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(700); i++) {
		struct rm_npu_cmd cmd;
		struct world w;

		memset(&w, 0, sizeof(w));
		gen_any(&cmd, &w, rr(1, RM_NPU_OP_COUNT - 1));
		check_cmd(&cmd, &w, 3);
		w_free(&w);
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

	a->ret = npu_cmd_exec(a->cmd, a->bo, a->b, a->e);
	return NULL;
}

/* Two threads on disjoint unit ranges, as two PEs do. */
static void test_concurrent(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(150); i++) {
		struct rm_npu_cmd cmd;
		struct world w, one, two;
		struct thr_arg ta[2];
		pthread_t th;
		u64 u, mid;

		memset(&w, 0, sizeof(w));
		gen_any(&cmd, &w, rr(1, RM_NPU_OP_COUNT - 1));
		assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n,
						  ALL_CAPS), 0);
		u = npu_cmd_units(&cmd);
		mid = u ? rnd() % (u + 1) : 0;
		w_clone(&one, &w);
		w_clone(&two, &w);
		assert_int_equal(npu_cmd_exec(&cmd, one.buf, 0, u), 0);
		ta[0] = (struct thr_arg){ &cmd, two.buf, 0, mid, -1 };
		ta[1] = (struct thr_arg){ &cmd, two.buf, mid, u, -1 };
		assert_int_equal(pthread_create(&th, NULL, thr_run, &ta[0]), 0);
		thr_run(&ta[1]);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(ta[0].ret, 0);
		assert_int_equal(ta[1].ret, 0);
		w_assert_equal(&two, &one, &cmd, "two threads vs one pass");
		w_free(&one);
		w_free(&two);
		w_free(&w);
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
			struct world w;
			u32 n, col, nch;
			u64 u, cut;
			const struct rm_npu_ref *q;
			int got;

			memset(&w, 0, sizeof(w));
			do {
				w_free(&w);
				memset(&w, 0, sizeof(w));
				gen_any(&cmd, &w, r ? RM_NPU_OP_CONV2D :
						      RM_NPU_OP_GEMM);
			} while (!(cmd.flags & RM_NPU_MM_PER_CHANNEL));
			nch = r ? cmd.conv2d.out_c : cmd.gemm.n;
			q = r ? &cmd.conv2d.quant : &cmd.gemm.quant;
			col = rr(0, nch - 1);
			st32(at(&w, q) + 8 * col, bad[i][0]);
			st32(at(&w, q) + 8 * col + 4, bad[i][1]);
			assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n,
							  ALL_CAPS), 0);
			u = npu_cmd_units(&cmd);
			assert_int_equal(npu_cmd_exec(&cmd, w.buf, 0, u),
					 -EINVAL);
			/* a split fails in the ranges holding the column */
			n = 0;
			cut = rnd() % (u + 1);
			got = npu_cmd_exec(&cmd, w.buf, 0, cut);
			n += got == -EINVAL;
			got = npu_cmd_exec(&cmd, w.buf, cut, u);
			n += got == -EINVAL;
			assert_true(n >= 1);
			w_free(&w);
		}
}

static void test_exec_range(void **state)
{
	struct rm_npu_cmd cmd;
	struct world w;
	u64 u;

	(void)state;
	memset(&w, 0, sizeof(w));
	gen_gemm(&cmd, &w, 10, 10);
	assert_int_equal(npu_cmd_validate(&cmd, w.size, w.n, ALL_CAPS), 0);
	u = npu_cmd_units(&cmd);
	assert_int_equal(npu_cmd_exec(&cmd, w.buf, 0, u + 1), -EINVAL);
	assert_int_equal(npu_cmd_exec(&cmd, w.buf, 2, 1), -EINVAL);
	assert_int_equal(npu_cmd_exec(&cmd, w.buf, u, u), 0);
	w_free(&w);
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

static int validate_w(const struct rm_npu_cmd *cmd, const struct world *w)
{
	return npu_cmd_validate(cmd, w->size, w->n, ALL_CAPS);
}

/* A deterministic valid command of @op, operands in exact-size buffers. */
static void base_cmd(struct rm_npu_cmd *cmd, struct world *w, u32 op)
{
	memset(cmd, 0, sizeof(*cmd));
	memset(w, 0, sizeof(*w));
	cmd->opcode = op;
	switch (op) {
	case RM_NPU_OP_FILL:
		cmd->fill.count = 100;
		cmd->fill.elem_size = 2;
		cmd->fill.value = 0xffff;
		place(w, &cmd->fill.dst, 200);
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
		place(w, &cmd->copy.src, 120);
		place(w, &cmd->copy.dst, 120);
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
		place(w, &g->a, 4 * 10 + 9);
		place(w, &g->b, 8 * 8 + 7);
		place(w, &g->bias, 28);
		place(w, &g->quant, 56);
		place(w, &g->out, 35);
		fill_extras(w, cmd->flags, 7, &g->bias, &g->quant);
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
		place(w, &c->in, 2 * 6 * 5 * 4);
		place(w, &c->weights, 6 * 3 * 2 * 2);
		place(w, &c->bias, 24);
		place(w, &c->out, 2 * 4 * 4 * 6);
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
		place(w, &p->in, 7 * 6 * 3);
		place(w, &p->out, 4 * 3 * 3);
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
		place(w, &e->a.ref, 30);
		place(w, &e->b.ref, 10);
		place(w, &e->out, 2 * 12 + 10);
		break;
	}
	case RM_NPU_OP_LUT:
		cmd->lut.count = 77;
		cmd->lut.dtype = RM_NPU_DT_INT8;
		place(w, &cmd->lut.in, 77);
		place(w, &cmd->lut.table, 256);
		place(w, &cmd->lut.out, 77);
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
		struct world w_, *w = &w_;				\
		u64 saved_[MAX_BOS];					\
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
		w_free(&w_);						\
	} while (0)

/* Accepted by validation (buffers 2^40 bytes; not executed). */
#define VALID(op, stmt)							\
	do {								\
		struct rm_npu_cmd cmd_, *c = &cmd_;			\
		struct world w_, *w = &w_;				\
		u64 saved_[MAX_BOS];					\
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
		w_free(&w_);						\
	} while (0)

#define REJECT(op, stmt)	REJECT_SIZED(op, true, stmt)
#define REJECT_EXT(op, stmt)	REJECT_SIZED(op, false, stmt)

#define ACCEPT(op, stmt)						\
	do {								\
		struct rm_npu_cmd cmd_, *c = &cmd_;			\
		struct world w_, *w = &w_;				\
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
		w_free(&w_);						\
	} while (0)

static void test_validate_common(void **state)
{
	struct rm_npu_cmd cmd;
	struct world w;
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
		w_free(&w);
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
	struct world w;
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
		w_free(&w);
	}
}

/* Extents: exact fit accepted, one byte short refused, for every ref. */
static void test_validate_extents(void **state)
{
	struct rm_npu_cmd cmd;
	struct world w;
	u32 op, i;

	(void)state;
	for (op = 1; op < RM_NPU_OP_COUNT; op++) {
		base_cmd(&cmd, &w, op);
		for (i = 0; i < w.n; i++) {
			w.size[i]--;
			assert_int_equal(validate_w(&cmd, &w), -EINVAL);
			w.size[i]++;
		}
		w_free(&w);
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
		struct world w_, *w = &w_;

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
		w_free(w);
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
	       resize(w, c->gemm.out.bo, c->gemm.out.offset + 35 + 28));
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
	       resize(w, c->gemm.a.bo, c->gemm.a.offset + 87));
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
	       resize(w, c->conv2d.weights.bo,
		      c->conv2d.weights.offset + 6 * 3 * 2 * 4));
	REJECT_EXT(RM_NPU_OP_CONV2D, c->conv2d.groups = 1);
	ACCEPT(RM_NPU_OP_CONV2D, c->conv2d.pad_top = RM_NPU_MAX_KERNEL;
	       c->conv2d.out_h = 35;
	       resize(w, c->conv2d.out.bo,
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
	       resize(w, c->pool2d.out.bo, c->pool2d.out.offset + 4 * 4 * 3));
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
	       resize(w, c->lut.in.bo, c->lut.in.offset + 256));
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
	       resize(w, c->copy.src.bo, c->copy.src.offset + 240));
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

	if (coin(30))
		return rnd() % 32;
	return v[rnd() % (sizeof(v) / sizeof(v[0]))];
}

/*
 * Execute an accepted command on its exact-size buffers (ASan checks the
 * accesses), in one pass and split, and check it against the reference
 * when it is cheap enough.
 */
static void fuzz_run(const struct rm_npu_cmd *cmd, const struct world *w)
{
	struct world a;
	u64 units = npu_cmd_units(cmd);
	int ret;

	w_clone(&a, w);
	ret = npu_cmd_exec(cmd, a.buf, 0, units);
	w_free(&a);
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
	switch (rr(0, 19)) {
	case 0: case 1: case 2: case 3: case 4:
		return 0;
	case 5: case 6: case 7: case 8: case 9: case 10: case 11: case 12:
		return rr(1, 4);
	case 13: case 14:
		return rr(1, 300);
	case 15: case 16: case 17:
		return (u32)interesting();
	default:
		return (u32)rnd();
	}
}

/* Commands of random bytes and of random interesting fields. */
static void test_fuzz_random(void **state)
{
	unsigned int i, ok = 0, j;

	(void)state;
	for (i = 0; i < iters(100000); i++) {
		struct rm_npu_cmd cmd;
		struct world w;
		u32 nb = rr(0, 4);

		memset(&w, 0, sizeof(w));
		for (j = 0; j < nb; j++)
			w_add(&w, coin(10) ? 0 : rr(1, 4096));
		if (i % 2) {
			fill_random((u8 *)&cmd, sizeof(cmd));
			cmd.opcode = (u32)rr(0, RM_NPU_OP_COUNT);
			if (coin(80))
				cmd.flags &= 3;
		} else {
			memset(&cmd, 0, sizeof(cmd));
			cmd.opcode = (u32)rr(0, RM_NPU_OP_COUNT);
			cmd.flags = coin(60) ? 0 : coin(80) ? rr(1, 3) :
				    (u32)interesting();
			for (j = 0; j < sizeof(cmd.raw) / 4; j++) {
				u32 v = fuzz_field();

				memcpy(cmd.raw + 4 * j, &v, 4);
			}
			/* usually nothing past the opcode's struct */
			if (coin(90) && cmd.opcode < RM_NPU_OP_COUNT) {
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
		w_free(&w);
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
		struct world w;
		unsigned int nm = rr(1, 3);

		memset(&w, 0, sizeof(w));
		gen_any(&cmd, &w, rr(1, RM_NPU_OP_COUNT - 1));
		for (j = 0; j < nm; j++) {
			u32 pos = rr(0, sizeof(cmd.raw) / 4 - 1);
			u32 v;

			switch (rr(0, 4)) {
			case 0:
				cmd.raw[rr(0, sizeof(cmd.raw) - 1)] ^=
					(u8)(1u << rr(0, 7));
				break;
			case 1:
				v = (u32)interesting();
				memcpy(cmd.raw + 4 * pos, &v, 4);
				break;
			case 2:
				memcpy(&v, cmd.raw + 4 * pos, 4);
				v += coin(50) ? 1 : -1;
				memcpy(cmd.raw + 4 * pos, &v, 4);
				break;
			case 3:
				cmd.flags ^= 1u << rr(0, 3);
				break;
			default:
				v = w.n ? rr(0, w.n - 1) : 0;
				if (w.n && w.size[v])
					w.size[v] -= 1;
				break;
			}
		}
		if (npu_cmd_validate(&cmd, w.size, w.n, ALL_CAPS) == 0) {
			ok++;
			fuzz_run(&cmd, &w);
		}
		w_free(&w);
	}
	print_message("fuzz: %u of %u mutated commands accepted\n", ok,
		      iters(20000));
}

int main(void)
{
	const char *s = getenv("RM_NPU_TEST_SEED");
	const char *sc = getenv("RM_NPU_TEST_SCALE");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nop),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_requant_edges),
		cmocka_unit_test(test_gemm_random),
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
		cmocka_unit_test(test_split_invariance),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_bad_quant_runtime),
		cmocka_unit_test(test_exec_range),
		cmocka_unit_test(test_validate_common),
		cmocka_unit_test(test_validate_tail),
		cmocka_unit_test(test_validate_extents),
		cmocka_unit_test(test_validate_refs),
		cmocka_unit_test(test_validate_gemm),
		cmocka_unit_test(test_validate_conv),
		cmocka_unit_test(test_validate_conv_k),
		cmocka_unit_test(test_validate_pool),
		cmocka_unit_test(test_validate_elt),
		cmocka_unit_test(test_validate_lut),
		cmocka_unit_test(test_validate_fill),
		cmocka_unit_test(test_validate_copy),
		cmocka_unit_test(test_validate_overflow),
		cmocka_unit_test(test_fuzz_random),
		cmocka_unit_test(test_fuzz_mutate),
	};

	if (s && *s)
		rng_state = strtoull(s, NULL, 0) | 1;
	if (sc && *sc)
		scale_pct = (unsigned int)strtoul(sc, NULL, 0);
	print_message("test_ops: seed %#" PRIx64 " scale %u%%\n", rng_state,
		      scale_pct);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
