// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu_ref.c - naive reference semantics of the rm_npu command set and the
 * random command generators, shared by the host tests (tests/unit/test_ops)
 * and the VM tests (tests/vm/test_cmds). See npu_ref.h.
 *
 * The references are deliberately naive: int64 arithmetic over the plain
 * index formulas, no blocking, no shortcuts, and no code shared with
 * kmod/ops/npu_ops.c (only its integer type names). The binary32 modes
 * use C float (ISO C: no contraction) and fmaf(), rounded to an integer in
 * double by nearbyint() (ties to even in the default rounding mode): the
 * FPU is the oracle of the engine's integer emulation.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npu_ref.h"

/* ------------------------------------------------------------------ */
/* Random numbers and buffers                                          */
/* ------------------------------------------------------------------ */

u64 npu_rng_state = 0x9e3779b97f4a7c15ULL;

u64 npu_rnd(void)
{
	u64 x = npu_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	npu_rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [lo, hi]. */
u32 npu_rr(u32 lo, u32 hi)
{
	return lo + (u32)(npu_rnd() % ((u64)hi - lo + 1));
}

bool npu_coin(unsigned int pct)
{
	return npu_rnd() % 100 < pct;
}

void npu_seed_env(const char *test, u64 def)
{
	const char *s = getenv("RM_NPU_TEST_SEED");

	npu_rng_state = def;
	if (s && *s)
		npu_rng_state = strtoull(s, NULL, 0);
	npu_rng_state |= 1;
	printf("%s: seed %#" PRIx64 " (override with RM_NPU_TEST_SEED)\n",
	       test, npu_rng_state);
	fflush(stdout);
}

void npu_fill_random(u8 *p, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		p[i] = (u8)npu_rnd();
}

u32 npu_w_add(struct npu_world *w, u64 size)
{
	u32 i = w->n++;

	if (i >= NPU_WORLD_MAX_BOS)
		abort();
	w->size[i] = size;
	w->buf[i] = malloc(size ? size : 1);
	if (!w->buf[i])
		abort();
	npu_fill_random(w->buf[i], size);
	return i;
}

void npu_w_free(struct npu_world *w)
{
	u32 i;

	for (i = 0; i < w->n; i++)
		free(w->buf[i]);
	w->n = 0;
}

void npu_w_pad(struct npu_world *w, u64 page)
{
	u32 i;

	for (i = 0; i < w->n; i++) {
		u64 sz = (w->size[i] + page - 1) / page * page;
		u8 *p;

		if (!sz)
			sz = page;
		if (sz == w->size[i])
			continue;
		p = realloc(w->buf[i], sz);
		if (!p)
			abort();
		npu_fill_random(p + w->size[i], sz - w->size[i]);
		w->buf[i] = p;
		w->size[i] = sz;
	}
}

void npu_w_clone(struct npu_world *dst, const struct npu_world *src)
{
	u32 i;

	dst->n = src->n;
	for (i = 0; i < src->n; i++) {
		dst->size[i] = src->size[i];
		dst->buf[i] = malloc(src->size[i] ? src->size[i] : 1);
		if (!dst->buf[i])
		abort();
		memcpy(dst->buf[i], src->buf[i], src->size[i]);
	}
}

/*
 * Place an operand of @ext bytes in a new buffer of exactly offset + ext
 * bytes (random offset 0..40).
 */
void npu_place(struct npu_world *w, struct rm_npu_ref *r, u64 ext)
{
	u64 off = npu_coin(40) ? 0 : npu_rr(1, 40);

	r->bo = npu_w_add(w, off + ext);
	r->pad = 0;
	r->offset = off;
}

/* Replace buffer @bo by one of @size random bytes. */
void npu_resize(struct npu_world *w, u32 bo, u64 size)
{
	free(w->buf[bo]);
	w->size[bo] = size;
	w->buf[bo] = malloc(size ? size : 1);
	if (!w->buf[bo])
		abort();
	npu_fill_random(w->buf[bo], size);
}

u8 *npu_at(const struct npu_world *w, const struct rm_npu_ref *r)
{
	return w->buf[r->bo] + r->offset;
}

void npu_st32(u8 *p, s32 v)
{
	u32 u = (u32)v;

	p[0] = (u8)u;
	p[1] = (u8)(u >> 8);
	p[2] = (u8)(u >> 16);
	p[3] = (u8)(u >> 24);
}

s64 npu_ld32(const u8 *p)
{
	return (s32)((u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
		     (u32)p[3] << 24);
}

/* ------------------------------------------------------------------ */
/* Reference semantics, deliberately naive                             */
/* ------------------------------------------------------------------ */

static u8 *ref_at(u8 *const *bufs, const struct rm_npu_ref *r)
{
	return bufs[r->bo] + r->offset;
}

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

static float ref_f32(s64 bits)
{
	u32 b = (u32)bits;
	float f;

	memcpy(&f, &b, 4);
	return f;
}

/* binary32 scale bits: positive normal in [2^-100, 2^32) */
static bool ref_f32_scale_ok(s64 bits)
{
	float f = ref_f32(bits);

	return bits >= 0 && bits <= INT32_MAX && isnormal(f) &&
	       f >= 0x1p-100f && f < 0x1p32f;
}

/* RNE in double (exact for any float), then the clamp. */
static s64 ref_rne_clamp(float y, s64 zp, s64 lo, s64 hi)
{
	double r = nearbyint((double)y);

	if (r < -1e9)
		r = -1e9;
	if (r > 1e9)
		r = 1e9;
	return clamp64((s64)r + zp, lo, hi);
}

static int ref_epilogue(s64 acc, u32 ch, u32 flags, u32 out_dtype,
			 const struct rm_npu_requant *rq, const u8 *bias,
			 const u8 *quant, u8 *out)
{
	s64 mult = rq->mult, shift = rq->shift;

	if (flags & RM_NPU_MM_BIAS)
		acc = clamp64(acc + npu_ld32(bias + 4 * (u64)ch), INT32_MIN,
			      INT32_MAX);
	if (out_dtype == RM_NPU_DT_INT32) {
		npu_st32(out, (s32)acc);
		return 0;
	}
	if (flags & RM_NPU_MM_PER_CHANNEL) {
		mult = npu_ld32(quant + 8 * (u64)ch);
		shift = npu_ld32(quant + 8 * (u64)ch + 4);
		if (flags & RM_NPU_MM_F32_SCALE ?
		    !ref_f32_scale_ok(mult) || shift :
		    mult < 0 || shift < -31 || shift > 30)
			return -EINVAL;
	}
	if (flags & RM_NPU_MM_F32_SCALE) {
		*out = (u8)ref_rne_clamp((float)acc * ref_f32(mult),
					 rq->zero_point, rq->act_min,
					 rq->act_max);
		return 0;
	}
	*out = (u8)ref_requant(acc, mult, shift, rq->zero_point, rq->act_min,
			       rq->act_max);
	return 0;
}

static int ref_gemm(const struct rm_npu_cmd *cmd, u8 *const *bufs)
{
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;
	u32 osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	u64 m, n, k;

	for (m = 0; m < g->m; m++)
		for (n = 0; n < g->n; n++) {
			s64 acc = 0;

			for (k = 0; k < g->k; k++) {
				s64 a = ref_ld(ref_at(bufs, &g->a) + m * g->lda + k,
					       g->a_dtype);
				s64 b = (s8)ref_at(bufs, &g->b)[k * g->ldb + n];

				acc += (a - g->a_zero_point) *
				       (b - g->b_zero_point);
			}
			if (acc < INT32_MIN || acc > INT32_MAX)
				return -ERANGE;
			if (ref_epilogue(acc, (u32)n, cmd->flags, g->out_dtype,
				     &g->rq, ref_at(bufs, &g->bias), ref_at(bufs, &g->quant),
				     ref_at(bufs, &g->out) + (m * g->ldo + n) * osz))
				return -EINVAL;
		}
	return 0;
}

static int ref_conv(const struct rm_npu_cmd *cmd, u8 *const *bufs)
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
				x = ref_ld(ref_at(bufs, &c->in) +
					   ((nb * c->in_h + iy) * c->in_w +
					    ix) * c->in_c + g * cig + ci,
					   c->in_dtype);
			wv = (s8)ref_at(bufs, &c->weights)[((oc * c->k_h + ky) *
						     c->k_w + kx) * cig + ci];
			acc += (x - c->in_zero_point) *
			       (wv - c->w_zero_point);
		}
		if (acc < INT32_MIN || acc > INT32_MAX)
			return -ERANGE;
		if (ref_epilogue(acc, (u32)oc, cmd->flags, c->out_dtype, &c->rq,
			     ref_at(bufs, &c->bias), ref_at(bufs, &c->quant),
			     ref_at(bufs, &c->out) + (((nb * c->out_h + oy) *
						c->out_w + ox) * c->out_c +
					       oc) * osz))
			return -EINVAL;
	}
	return 0;
}

static int ref_pool(const struct rm_npu_cmd *cmd, u8 *const *bufs)
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
			x = ref_ld(ref_at(bufs, &p->in) +
				   ((nb * p->in_h + iy) * p->in_w + ix) * p->c +
				   ch, p->dtype);
			if (x > mx)
				mx = x;
			sum += x;
			cnt++;
		}
		if (cnt <= 0)
			return -EINVAL;
		if (p->mode == RM_NPU_POOL_MAX) {
			r = mx;
		} else {
			if (cpad)
				cnt = (s64)p->k_h * p->k_w;
			r = sum >= 0 ? (sum + cnt / 2) / cnt :
				       -((-sum + cnt / 2) / cnt);
		}
		ref_at(bufs, &p->out)[((nb * p->out_h + oy) * p->out_w + ox) * p->c +
			       ch] = (u8)clamp64(r, p->act_min, p->act_max);
	}
	return 0;
}

/* One element of ELTWISE with RM_NPU_ELT_F32, from the input values. */
static s64 ref_elt_f32(u32 flags, const struct rm_npu_cmd_eltwise *e, s64 a,
		       s64 b)
{
	const struct rm_npu_requant *rq = &e->rq;
	float sa = ref_f32(e->a.mult), sb = ref_f32(e->b.mult);
	float f = ref_f32(rq->mult), y, t;

	if (e->op == RM_NPU_ELT_MUL) {
		y = (float)((a - e->a.zero_point) * (b - e->b.zero_point)) * f;
		y = y + (float)rq->zero_point;
		return ref_rne_clamp(y, 0, rq->act_min, rq->act_max);
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
	return ref_rne_clamp(y, rq->zero_point, rq->act_min, rq->act_max);
}

static int ref_elt(const struct rm_npu_cmd *cmd, u8 *const *bufs)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	const struct rm_npu_elt_input *a = &e->a, *b = &e->b;
	u64 r, c;

	for (r = 0; r < e->rows; r++)
		for (c = 0; c < e->cols; c++) {
			s64 xa = ref_ld(ref_at(bufs, &a->ref) + r * a->row_stride +
					c * a->col_stride, e->dtype) -
				 a->zero_point;
			s64 xb = ref_ld(ref_at(bufs, &b->ref) + r * b->row_stride +
					c * b->col_stride, e->dtype) -
				 b->zero_point;
			s64 s;

			if (cmd->flags & RM_NPU_ELT_F32) {
				ref_at(bufs, &e->out)[r * e->out_row_stride + c] =
					(u8)ref_elt_f32(cmd->flags, e, xa + a->zero_point,
							xb + b->zero_point);
				continue;
			}
			if (e->op == RM_NPU_ELT_MUL) {
				s = xa * xb;
			} else {
				s64 ra = ref_scale(xa * (1 << 20), a->mult,
						   a->shift);
				s64 rb = ref_scale(xb * (1 << 20), b->mult,
						   b->shift);

				s = e->op == RM_NPU_ELT_ADD ? ra + rb : ra - rb;
			}
			ref_at(bufs, &e->out)[r * e->out_row_stride + c] =
				(u8)ref_requant(s, e->rq.mult, e->rq.shift,
						e->rq.zero_point,
						e->rq.act_min, e->rq.act_max);
		}
	return 0;
}

static int ref_lut(const struct rm_npu_cmd *cmd, u8 *const *bufs)
{
	const struct rm_npu_cmd_lut *l = &cmd->lut;
	u64 i;

	for (i = 0; i < l->count; i++) {
		s64 v = ref_ld(ref_at(bufs, &l->in) + i, l->dtype);
		s64 idx = l->dtype == RM_NPU_DT_INT8 ? v + 128 : v;

		ref_at(bufs, &l->out)[i] = ref_at(bufs, &l->table)[idx];
	}
	return 0;
}

static int ref_fill(const struct rm_npu_cmd *cmd, u8 *const *bufs)
{
	const struct rm_npu_cmd_fill *f = &cmd->fill;
	u64 i, b;

	for (i = 0; i < f->count; i++)
		for (b = 0; b < f->elem_size; b++)
			ref_at(bufs, &f->dst)[i * f->elem_size + b] =
				(u8)(f->value >> (8 * b));
	return 0;
}

static int ref_copy(const struct rm_npu_cmd *cmd, u8 *const *bufs)
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

		memmove(ref_at(bufs, &c->dst) + d, ref_at(bufs, &c->src) + so,
			c->elem_size);
	}
	return 0;
}

int npu_ref_exec(const struct rm_npu_cmd *cmd, u8 *const *bufs)
{
	switch (cmd->opcode) {
	case RM_NPU_OP_NOP:
		return 0;
	case RM_NPU_OP_FILL:
		return ref_fill(cmd, bufs);
	case RM_NPU_OP_COPY:
		return ref_copy(cmd, bufs);
	case RM_NPU_OP_GEMM:
		return ref_gemm(cmd, bufs);
	case RM_NPU_OP_CONV2D:
		return ref_conv(cmd, bufs);
	case RM_NPU_OP_POOL2D:
		return ref_pool(cmd, bufs);
	case RM_NPU_OP_ELTWISE:
		return ref_elt(cmd, bufs);
	case RM_NPU_OP_LUT:
		return ref_lut(cmd, bufs);
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------ */
/* Random valid commands                                               */
/* ------------------------------------------------------------------ */

u32 npu_rnd_dt(void)
{
	return npu_coin(50) ? RM_NPU_DT_INT8 : RM_NPU_DT_UINT8;
}

s32 npu_dt_min(u32 dt)
{
	return dt == RM_NPU_DT_INT8 ? -128 : 0;
}

s32 npu_dt_max(u32 dt)
{
	return dt == RM_NPU_DT_INT8 ? 127 : 255;
}

/* Zero point of @dt, often an extreme. */
s32 npu_rnd_zp(u32 dt)
{
	switch (npu_rr(0, 5)) {
	case 0:
		return npu_dt_min(dt);
	case 1:
		return npu_dt_max(dt);
	case 2:
		return 0;
	default:
		return (s32)npu_rr(0, 255) + npu_dt_min(dt);
	}
}

s32 npu_rnd_mult(void)
{
	switch (npu_rr(0, 7)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return INT32_MAX;
	case 3:
		return 1 << 30;
	default:
		return (s32)npu_rr(1u << 29, INT32_MAX);
	}
}

/* Output shift: extremes sometimes, mostly a useful range. */
s32 npu_rnd_shift(void)
{
	switch (npu_rr(0, 7)) {
	case 0:
		return -31;
	case 1:
		return 30;
	case 2:
		return 0;
	default:
		return -(s32)npu_rr(0, 20);
	}
}

void npu_rnd_rq(struct rm_npu_requant *rq, u32 dt, bool scale)
{
	s32 a, b;

	if (scale) {
		rq->mult = npu_rnd_mult();
		rq->shift = npu_rnd_shift();
	}
	rq->zero_point = npu_rnd_zp(dt);
	if (npu_coin(50)) {
		rq->act_min = npu_dt_min(dt);
		rq->act_max = npu_dt_max(dt);
		return;
	}
	a = (s32)npu_rr(0, 255) + npu_dt_min(dt);
	b = (s32)npu_rr(0, 255) + npu_dt_min(dt);
	rq->act_min = a < b ? a : b;
	rq->act_max = a < b ? b : a;
}

/* Per-channel pairs and bias values (bias often at the int32 ends). */
void npu_fill_extras(struct npu_world *w, u32 flags, u32 n,
			const struct rm_npu_ref *bias,
			const struct rm_npu_ref *quant)
{
	u32 i;

	if (flags & RM_NPU_MM_BIAS)
		for (i = 0; i < n; i++) {
			s32 v = (s32)npu_rnd();

			if (npu_coin(10))
				v = npu_coin(50) ? INT32_MAX : INT32_MIN;
			else if (npu_coin(50))
				v >>= npu_rr(8, 30);
			npu_st32(npu_at(w, bias) + 4 * i, v);
		}
	if (flags & RM_NPU_MM_PER_CHANNEL)
		for (i = 0; i < n; i++) {
			npu_st32(npu_at(w, quant) + 8 * i, npu_rnd_mult());
			npu_st32(npu_at(w, quant) + 8 * i + 4, npu_rnd_shift());
		}
}

u32 npu_rnd_mm_flags(u32 out_dtype)
{
	u32 f = npu_coin(50) ? RM_NPU_MM_BIAS : 0;

	if (out_dtype != RM_NPU_DT_INT32 && npu_coin(50))
		f |= RM_NPU_MM_PER_CHANNEL;
	return f;
}

u32 npu_rnd_out_dt(void)
{
	switch (npu_rr(0, 2)) {
	case 0:
		return RM_NPU_DT_INT8;
	case 1:
		return RM_NPU_DT_UINT8;
	default:
		return RM_NPU_DT_INT32;
	}
}

/* A dimension, biased to the edges of the 64-wide blocks. */
u32 npu_rnd_dim(u32 max)
{
	static const u32 edge[] = { 1, 2, 15, 16, 17, 63, 64, 65, 127, 128,
				    129 };

	if (npu_coin(30)) {
		u32 e = edge[npu_rr(0, sizeof(edge) / sizeof(edge[0]) - 1)];

		if (e <= max)
			return e;
	}
	return npu_rr(1, max);
}

/* Saturated/extreme data sometimes: all one value. */
void npu_maybe_flat(u8 *p, u64 n)
{
	static const u8 v[] = { 0x00, 0xff, 0x80, 0x7f };

	if (npu_coin(15))
		memset(p, v[npu_rr(0, 3)], n);
}

void npu_gen_gemm(struct rm_npu_cmd *cmd, struct npu_world *w, u32 maxd,
		     u32 maxk)
{
	u32 m = npu_rnd_dim(maxd), n = npu_rnd_dim(maxd);

	npu_gen_gemm_mnk(cmd, w, m, n, npu_rnd_dim(maxk));
}

/* The input grown until the window fits once (an output row and column). */
static void conv_fit_dims(struct rm_npu_cmd_conv2d *c)
{
	while (c->in_h + c->pad_top + c->pad_bottom <
	       c->dil_h * (c->k_h - 1) + 1)
		c->in_h++;
	while (c->in_w + c->pad_left + c->pad_right <
	       c->dil_w * (c->k_w - 1) + 1)
		c->in_w++;
	npu_conv_out_dims(c);
}

/*
 * CONV2D @cmd's output type (@out_dtype), zero points (the weights' 0 in
 * @zw0_pct % of them), flags and requantization, random (its input type
 * set first, so that every generator draws them in one order): the
 * output element's size.
 */
u32 npu_gen_conv_quant(struct rm_npu_cmd *cmd, u32 out_dtype, u32 zw0_pct)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	c->out_dtype = out_dtype;
	c->in_zero_point = npu_rnd_zp(c->in_dtype);
	c->w_zero_point = npu_coin(zw0_pct) ? 0 : npu_rnd_zp(RM_NPU_DT_INT8);
	cmd->flags = npu_rnd_mm_flags(c->out_dtype);
	if (c->out_dtype != RM_NPU_DT_INT32)
		npu_rnd_rq(&c->rq, c->out_dtype,
			   !(cmd->flags & RM_NPU_MM_PER_CHANNEL));
	return c->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
}

/* CONV2D @cmd's bias and per-channel vectors as its flags ask, filled. */
void npu_gen_conv_extras(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	if (cmd->flags & RM_NPU_MM_BIAS)
		npu_place(w, &c->bias, 4 * (u64)c->out_c);
	if (cmd->flags & RM_NPU_MM_PER_CHANNEL)
		npu_place(w, &c->quant, 8 * (u64)c->out_c);
	npu_fill_extras(w, cmd->flags, c->out_c, &c->bias, &c->quant);
}

/*
 * A depthwise 3x3 or 5x5 CONV2D of model-like size (channels a multiple of
 * 4, the input 4-byte aligned in its buffer: what the GPU's k_dw3/k_dw5
 * take), half of them in a binary32 mode.
 */
void npu_gen_dw(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 k = npu_coin(70) ? 3 : 5, osz;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	c->batch = npu_rr(1, 2);
	/* now and then larger images: many pixel groups a row */
	c->in_h = npu_coin(90) ? npu_rr(1, 30) : npu_rr(31, 80);
	c->in_w = npu_coin(90) ? npu_rr(1, 30) : npu_rr(31, 80);
	c->k_h = c->k_w = k;
	c->stride_h = c->stride_w = npu_rr(1, 2);
	c->dil_h = c->dil_w = npu_coin(80) ? 1 : 2;
	c->pad_top = c->pad_left = npu_coin(80) ? k / 2 : npu_rr(0, k - 1);
	c->pad_bottom = c->pad_right = npu_coin(80) ? k / 2 :
				       npu_rr(0, k - 1);
	conv_fit_dims(c);
	/* now and then past k_dw3/k_dw5's weight words (the generic kernel) */
	c->groups = c->in_c = c->out_c = 4 * (npu_coin(90) ? npu_rr(1, 40) :
						    npu_rr(41, 600));
	c->in_dtype = npu_rnd_dt();
	osz = npu_gen_conv_quant(cmd, npu_rnd_out_dt(), 50);
	n = (u64)c->batch * c->in_h * c->in_w * c->in_c;
	c->in.bo = npu_w_add(w, 4 * npu_rr(0, 3) + n);	/* aligned */
	c->in.offset = w->size[c->in.bo] - n;
	npu_place(w, &c->weights, (u64)c->out_c * k * k);
	npu_place(w, &c->out, (u64)c->batch * c->out_h * c->out_w * c->out_c *
		  osz);
	npu_gen_conv_extras(cmd, w);
	if (c->out_dtype != RM_NPU_DT_INT32 && npu_coin(50))
		npu_to_f32_mm(cmd, w);
}

static const s32 npu_f32_bad_pairs[][2] = {
	{ 0, 0 }, { (s32)0xbf800000, 0 }, { 0x3f800000, 1 },
	{ 0x3f800000, -1 }, { 0x7f800000, 0 }, { 0x7fc00000, 0 },
	{ 0x0d7fffff, 0 }, { 0x4f800000, 0 }, { 1, 0 },
};

void npu_f32_bad_pair(u8 *pair)
{
	u32 b = npu_rr(0, sizeof(npu_f32_bad_pairs) /
			  sizeof(npu_f32_bad_pairs[0]) - 1);

	npu_st32(pair, npu_f32_bad_pairs[b][0]);
	npu_st32(pair + 4, npu_f32_bad_pairs[b][1]);
}

/*
 * A pointwise (1x1) CONV2D of model-like size: rows in many whole tiles
 * (the GPU's pipelined tensor-core loop), input and weights 4-byte
 * aligned, channels mostly in fours (whole words) and now and then not,
 * half of them in a binary32 mode.
 */
void npu_gen_pw(struct rm_npu_cmd *cmd, struct npu_world *w, int kind)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	bool small = kind == NPU_PW_SMALL, wide = kind == NPU_PW_WIDE;
	u32 osz, dt, i, al = wide ? 16 : 4;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	c->batch = npu_rr(1, 2);
	c->out_h = c->in_h = npu_rr(4, 40);
	c->out_w = c->in_w = npu_rr(4, 40);
	c->k_h = c->k_w = 1;
	c->stride_h = c->stride_w = 1;
	c->dil_h = c->dil_w = 1;
	c->groups = 1;
	c->in_c = npu_coin(85) ? 4 * npu_rr(1, 80) : npu_rr(1, 40);
	c->out_c = npu_coin(50) ? 8 * npu_rr(1, 40) : npu_rr(1, 100);
	if (small) {
		c->in_c = npu_coin(90) ? 4 * npu_rr(1, 8) : npu_rr(1, 40);
		c->out_c = npu_coin(90) ? 16 * npu_rr(1, 12) : npu_rr(1, 100);
	}
	if (wide) {
		/* a few pixels where K is large: the emulation's time */
		c->in_c = npu_coin(85) ? 16 * npu_rr(3, 20) :
			  16 * npu_rr(21, 64);
		c->out_c = npu_coin(90) ? 8 * npu_rr(1, 12) : npu_rr(1, 100);
		c->out_h = c->in_h = npu_rr(1, c->in_c > 320 ? 6 : 16);
		c->out_w = c->in_w = npu_rr(1, 16);
	}
	c->in_dtype = npu_rnd_dt();
	do {
		dt = npu_rnd_out_dt();
	} while ((small || wide) && dt == RM_NPU_DT_INT32 && npu_coin(90));
	osz = npu_gen_conv_quant(cmd, dt, 50);
	n = (u64)c->batch * c->in_h * c->in_w * c->in_c;
	c->in.bo = npu_w_add(w, al * (wide && npu_coin(50) ? 0 :
				      npu_rr(0, 3)) + n);	/* aligned */
	c->in.offset = w->size[c->in.bo] - n;
	n = (u64)c->out_c * c->in_c;
	c->weights.bo = npu_w_add(w, al * npu_rr(0, 3) + n);
	c->weights.offset = w->size[c->weights.bo] - n;
	n = (u64)c->batch * c->out_h * c->out_w * c->out_c * osz;
	if (wide) {
		c->out.bo = npu_w_add(w, 8 * (npu_coin(50) ? 0 :
					      npu_rr(1, 3)) + n);
		c->out.offset = w->size[c->out.bo] - n;
	} else {
		npu_place(w, &c->out, n);
	}
	npu_gen_conv_extras(cmd, w);
	if (c->out_dtype != RM_NPU_DT_INT32 &&
	    npu_coin(small || wide ? 90 : 50))
		npu_to_f32_mm(cmd, w);
	if (!small && !wide)
		return;
	/* mostly biases that keep the fast paths, now and then a bad pair */
	if ((cmd->flags & RM_NPU_MM_BIAS) && npu_coin(70))
		for (i = 0; i < c->out_c; i++)
			npu_st32(npu_at(w, &c->bias) + 4 * i,
				 (s32)npu_rnd() >> npu_rr(11, 31));
	/*
	 * biases at the fast path's edge, some sums past it and some not,
	 * with a scale of 2^-16 that maps them inside the output's range
	 */
	if (wide && (cmd->flags & RM_NPU_MM_BIAS) &&
	    (cmd->flags & RM_NPU_MM_F32_SCALE) && npu_coin(40)) {
		for (i = 0; i < c->out_c; i++) {
			npu_st32(npu_at(w, &c->bias) + 4 * i,
				 (npu_coin(50) ? 1 : -1) *
				 ((1 << 22) - (s32)npu_rr(0, 1 << 17)));
			if (cmd->flags & RM_NPU_MM_PER_CHANNEL)
				npu_st32(npu_at(w, &c->quant) + 8 * i,
					 0x37800000);
		}
		if (!(cmd->flags & RM_NPU_MM_PER_CHANNEL))
			c->rq.mult = 0x37800000;
	}
	if ((cmd->flags & RM_NPU_MM_PER_CHANNEL) &&
	    (cmd->flags & RM_NPU_MM_F32_SCALE) && npu_coin(10)) {
		i = npu_rr(0, c->out_c - 1);
		npu_f32_bad_pair(npu_at(w, &c->quant) + 8 * i);
	}
}

/*
 * A dense CONV2D of 3 input channels (a model's RGB stem, which the GPU
 * runs as an implicit GEMM gathering 3 * k_w-byte rows): kernels 1..9 a
 * side, strides, dilation, padding, output channels often in sixteens,
 * the input at any byte offset of its buffer and ending where the buffer
 * does, half of them in a binary32 mode.
 */
void npu_gen_stem(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 osz;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	c->batch = npu_rr(1, 2);
	c->in_h = npu_coin(80) ? npu_rr(1, 24) : npu_rr(25, 60);
	c->in_w = npu_coin(80) ? npu_rr(1, 24) : npu_rr(25, 60);
	c->k_h = npu_coin(50) ? 3 : npu_rr(1, 9);
	c->k_w = npu_coin(50) ? c->k_h : npu_rr(1, 9);
	c->stride_h = npu_rr(1, 4);
	c->stride_w = npu_coin(60) ? c->stride_h : npu_rr(1, 4);
	c->dil_h = npu_coin(80) ? 1 : 2;
	c->dil_w = npu_coin(90) ? 1 : 2;
	c->pad_top = npu_rr(0, c->k_h - 1);
	c->pad_bottom = npu_rr(0, c->k_h - 1);
	c->pad_left = npu_rr(0, c->k_w - 1);
	c->pad_right = npu_rr(0, c->k_w - 1);
	conv_fit_dims(c);
	c->groups = 1;
	c->in_c = 3;
	c->out_c = npu_coin(60) ? 16 * npu_rr(1, 4) : npu_rr(1, 70);
	c->in_dtype = npu_rnd_dt();
	osz = npu_gen_conv_quant(cmd, npu_rnd_out_dt(), 50);
	n = (u64)c->batch * c->in_h * c->in_w * 3;
	c->in.bo = npu_w_add(w, npu_rr(0, 9) + n);
	c->in.offset = w->size[c->in.bo] - n;
	npu_place(w, &c->weights, (u64)c->out_c * c->k_h * c->k_w * 3);
	npu_place(w, &c->out, (u64)c->batch * c->out_h * c->out_w * c->out_c *
		  osz);
	npu_gen_conv_extras(cmd, w);
	if (c->out_dtype != RM_NPU_DT_INT32 && npu_coin(50))
		npu_to_f32_mm(cmd, w);
}

/* A random GEMM of @m x @n x @k (strides, types, epilogue random). */
void npu_gen_gemm_mnk(struct rm_npu_cmd *cmd, struct npu_world *w, u32 m,
		      u32 n, u32 k)
{
	struct rm_npu_cmd_gemm *g = &cmd->gemm;
	u32 osz;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_GEMM;
	g->m = m;
	g->n = n;
	g->k = k;
	g->lda = g->k + (npu_coin(30) ? npu_rr(1, 9) : 0);
	g->ldb = g->n + (npu_coin(30) ? npu_rr(1, 9) : 0);
	g->ldo = g->n + (npu_coin(30) ? npu_rr(1, 9) : 0);
	g->a_dtype = npu_rnd_dt();
	g->out_dtype = npu_rnd_out_dt();
	g->a_zero_point = npu_rnd_zp(g->a_dtype);
	g->b_zero_point = npu_rnd_zp(RM_NPU_DT_INT8);
	cmd->flags = npu_rnd_mm_flags(g->out_dtype);
	if (g->out_dtype != RM_NPU_DT_INT32)
		npu_rnd_rq(&g->rq, g->out_dtype,
		       !(cmd->flags & RM_NPU_MM_PER_CHANNEL));
	osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	npu_place(w, &g->a, (u64)(g->m - 1) * g->lda + g->k);
	npu_place(w, &g->b, (u64)(g->k - 1) * g->ldb + g->n);
	npu_place(w, &g->out, ((u64)(g->m - 1) * g->ldo + g->n) * osz);
	if (cmd->flags & RM_NPU_MM_BIAS)
		npu_place(w, &g->bias, 4 * (u64)g->n);
	if (cmd->flags & RM_NPU_MM_PER_CHANNEL)
		npu_place(w, &g->quant, 8 * (u64)g->n);
	npu_maybe_flat(npu_at(w, &g->a), (u64)(g->m - 1) * g->lda + g->k);
	npu_maybe_flat(npu_at(w, &g->b), (u64)(g->k - 1) * g->ldb + g->n);
	npu_fill_extras(w, cmd->flags, g->n, &g->bias, &g->quant);
}

void npu_conv_out_dims(struct rm_npu_cmd_conv2d *c)
{
	c->out_h = (c->in_h + c->pad_top + c->pad_bottom -
		    c->dil_h * (c->k_h - 1) - 1) / c->stride_h + 1;
	c->out_w = (c->in_w + c->pad_left + c->pad_right -
		    c->dil_w * (c->k_w - 1) - 1) / c->stride_w + 1;
}

void npu_gen_conv(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 kind = npu_rr(0, 3), cig, cpo, osz;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_CONV2D;
	do {
		c->batch = npu_rr(1, 2);
		c->in_h = npu_rr(1, 9);
		c->in_w = npu_rr(1, 9);
		c->k_h = npu_coin(20) ? 1 : npu_rr(1, 4);
		c->k_w = npu_coin(20) ? 1 : npu_rr(1, 4);
		c->stride_h = npu_rr(1, 3);
		c->stride_w = npu_rr(1, 3);
		c->dil_h = npu_coin(70) ? 1 : npu_rr(2, 3);
		c->dil_w = npu_coin(70) ? 1 : npu_rr(2, 3);
		c->pad_top = npu_coin(40) ? 0 : npu_rr(0, 3);
		c->pad_bottom = npu_coin(40) ? 0 : npu_rr(0, 3);
		c->pad_left = npu_coin(40) ? 0 : npu_rr(0, 3);
		c->pad_right = npu_coin(40) ? 0 : npu_rr(0, 3);
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
	npu_conv_out_dims(c);
	switch (kind) {
	case 0:	/* dense, channels past the 16/64 blocks sometimes */
		c->groups = 1;
		cig = npu_coin(30) ? npu_rr(16, 80) : npu_rr(1, 8);
		cpo = npu_coin(30) ? npu_rr(60, 70) : npu_rr(1, 9);
		break;
	case 1:	/* depthwise */
		c->groups = npu_rr(1, 70);
		cig = 1;
		cpo = npu_coin(70) ? 1 : npu_rr(2, 3);
		break;
	default: /* grouped */
		c->groups = npu_rr(2, 5);
		cig = npu_rr(1, 6);
		cpo = npu_rr(1, 20);
		break;
	}
	c->in_c = c->groups * cig;
	c->out_c = c->groups * cpo;
	c->in_dtype = npu_rnd_dt();
	osz = npu_gen_conv_quant(cmd, npu_rnd_out_dt(), 50);
	n = (u64)c->batch * c->in_h * c->in_w * c->in_c;
	npu_place(w, &c->in, n);
	npu_maybe_flat(npu_at(w, &c->in), n);
	n = (u64)c->out_c * c->k_h * c->k_w * cig;
	npu_place(w, &c->weights, n);
	npu_maybe_flat(npu_at(w, &c->weights), n);
	npu_place(w, &c->out, (u64)c->batch * c->out_h * c->out_w * c->out_c *
		  osz);
	npu_gen_conv_extras(cmd, w);
}

void npu_gen_pool(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	u64 n;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_POOL2D;
	p->mode = npu_coin(50) ? RM_NPU_POOL_MAX : RM_NPU_POOL_AVG;
	if (p->mode == RM_NPU_POOL_AVG && npu_coin(50))
		cmd->flags = RM_NPU_POOL_COUNT_PAD;
	do {
		p->batch = npu_rr(1, 2);
		p->in_h = npu_rr(1, 9);
		p->in_w = npu_rr(1, 9);
		p->k_h = npu_rr(1, 5);
		p->k_w = npu_rr(1, 5);
		p->stride_h = npu_rr(1, 3);
		p->stride_w = npu_rr(1, 3);
		p->pad_top = npu_coin(40) ? 0 : npu_rr(0, p->k_h - 1);
		p->pad_bottom = npu_coin(40) ? 0 : npu_rr(0, p->k_h - 1);
		p->pad_left = npu_coin(40) ? 0 : npu_rr(0, p->k_w - 1);
		p->pad_right = npu_coin(40) ? 0 : npu_rr(0, p->k_w - 1);
	} while (p->in_h + p->pad_top + p->pad_bottom < p->k_h ||
		 p->in_w + p->pad_left + p->pad_right < p->k_w);
	p->out_h = (p->in_h + p->pad_top + p->pad_bottom - p->k_h) /
		   p->stride_h + 1;
	p->out_w = (p->in_w + p->pad_left + p->pad_right - p->k_w) /
		   p->stride_w + 1;
	p->c = npu_rnd_dim(140);
	p->dtype = npu_rnd_dt();
	p->zero_point = p->mode == RM_NPU_POOL_MAX ? 0 : npu_rnd_zp(p->dtype);
	if (npu_coin(50)) {
		p->act_min = npu_dt_min(p->dtype);
		p->act_max = npu_dt_max(p->dtype);
	} else {
		p->act_min = npu_dt_min(p->dtype) + (s32)npu_rr(0, 100);
		p->act_max = p->act_min + (s32)npu_rr(0, 155);
	}
	n = (u64)p->batch * p->in_h * p->in_w * p->c;
	npu_place(w, &p->in, n);
	npu_maybe_flat(npu_at(w, &p->in), n);
	npu_place(w, &p->out, (u64)p->batch * p->out_h * p->out_w * p->c);
}

static void npu_gen_elt_input(struct rm_npu_elt_input *x,
			      const struct rm_npu_cmd_eltwise *e)
{
	x->row_stride = npu_coin(20) ? 0 : e->cols + (npu_coin(30) ? npu_rr(1, 5) : 0);
	x->col_stride = npu_coin(15) ? 0 : npu_coin(80) ? 1 : npu_rr(2, 3);
	if (x->col_stride > 1)
		x->row_stride = npu_coin(20) ? 0 : e->cols * x->col_stride;
	x->zero_point = npu_rnd_zp(e->dtype);
	if (e->op != RM_NPU_ELT_MUL) {
		x->mult = npu_rnd_mult();
		x->shift = npu_coin(20) ? -31 : -(s32)npu_rr(0, 12);
	}
}

void npu_gen_elt(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	struct rm_npu_elt_input *xs[2] = { &e->a, &e->b };
	unsigned int i;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_ELTWISE;
	e->op = npu_rr(0, 2);
	e->dtype = npu_rnd_dt();
	if (npu_coin(10)) {
		e->rows = npu_rr(1, 2);
		e->cols = npu_rr(4090, 8300);
	} else {
		e->rows = npu_rr(1, 9);
		e->cols = npu_rnd_dim(70);
	}
	e->out_row_stride = e->cols + (npu_coin(30) ? npu_rr(1, 5) : 0);
	e->rq.mult = npu_rnd_mult();
	e->rq.shift = e->op == RM_NPU_ELT_MUL ? npu_rnd_shift() :
		      npu_coin(20) ? npu_rnd_shift() : -(s32)npu_rr(10, 24);
	npu_rnd_rq(&e->rq, e->dtype, false);
	npu_place(w, &e->out, (u64)(e->rows - 1) * e->out_row_stride + e->cols);
	for (i = 0; i < 2; i++) {
		struct rm_npu_elt_input *x = xs[i];

		npu_gen_elt_input(x, e);
		if (npu_coin(15)) {
			/* in place */
			x->ref = e->out;
			x->row_stride = e->out_row_stride;
			x->col_stride = 1;
			continue;
		}
		npu_place(w, &x->ref, (u64)(e->rows - 1) * x->row_stride +
				  (u64)(e->cols - 1) * x->col_stride + 1);
	}
}

void npu_gen_lut(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_lut *l = &cmd->lut;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_LUT;
	l->dtype = npu_rnd_dt();
	l->count = npu_coin(20) ? npu_rr(4090, 13000) : npu_rr(1, 300);
	npu_place(w, &l->table, 256);
	npu_place(w, &l->out, l->count);
	if (npu_coin(20))
		l->in = l->out;
	else
		npu_place(w, &l->in, l->count);
}

void npu_gen_fill(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_fill *f = &cmd->fill;
	static const u32 es[] = { 1, 2, 4 };

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_FILL;
	f->elem_size = es[npu_rr(0, 2)];
	f->count = npu_coin(20) ? npu_rr(4090, 13000) : npu_rr(1, 300);
	f->value = (u32)npu_rnd();
	if (f->elem_size < 4)
		f->value &= (1u << (8 * f->elem_size)) - 1;
	npu_place(w, &f->dst, f->count * f->elem_size);
}

void npu_gen_copy(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_copy *c = &cmd->copy;
	u32 perm[4] = { 0, 1, 2, 3 }, i, j, t;
	u64 ext;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_COPY;
	c->elem_size = npu_coin(10) ? 256 : npu_coin(50) ? npu_rr(1, 4) : npu_rr(1, 12);
	for (i = 0; i < 4; i++)
		c->dims[i] = npu_coin(30) ? 1 : npu_rr(1, 5);
	if (npu_coin(15))
		c->dims[3] = npu_rr(250, 600);
	/* destination: a permuted dense nesting, with gaps sometimes */
	for (i = 3; i > 0; i--) {
		j = npu_rr(0, i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	ext = c->elem_size;
	for (i = 0; i < 4; i++) {
		u32 d = perm[3 - i];

		c->dst_stride[d] = ext + (npu_coin(20) ? npu_rr(1, 7) : 0);
		ext = c->dst_stride[d] * c->dims[d];
	}
	/* source: anything, broadcasts included */
	for (i = 0; i < 4; i++) {
		switch (npu_rr(0, 3)) {
		case 0:
			c->src_stride[i] = 0;
			break;
		case 1:
			c->src_stride[i] = c->dst_stride[i];
			break;
		default:
			c->src_stride[i] = npu_rr(1, 3 * c->elem_size);
			break;
		}
	}
	ext = c->elem_size;
	for (i = 0; i < 4; i++)
		ext += (u64)(c->dims[i] - 1) * c->src_stride[i];
	npu_place(w, &c->src, ext);
	ext = c->elem_size;
	for (i = 0; i < 4; i++)
		ext += (u64)(c->dims[i] - 1) * c->dst_stride[i];
	npu_place(w, &c->dst, ext);
}

void npu_gen_any(struct rm_npu_cmd *cmd, struct npu_world *w, u32 op)
{
	switch (op) {
	case RM_NPU_OP_FILL:
		npu_gen_fill(cmd, w);
		break;
	case RM_NPU_OP_COPY:
		npu_gen_copy(cmd, w);
		break;
	case RM_NPU_OP_GEMM:
		npu_gen_gemm(cmd, w, 100, 100);
		break;
	case RM_NPU_OP_CONV2D:
		npu_gen_conv(cmd, w);
		break;
	case RM_NPU_OP_POOL2D:
		npu_gen_pool(cmd, w);
		break;
	case RM_NPU_OP_ELTWISE:
		npu_gen_elt(cmd, w);
		break;
	case RM_NPU_OP_LUT:
		npu_gen_lut(cmd, w);
		break;
	default:
		memset(cmd, 0, sizeof(*cmd));
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Binary32 rescale modes                                              */
/* ------------------------------------------------------------------ */

static s32 ref_bits(float f)
{
	s32 b;

	memcpy(&b, &f, 4);
	return b;
}

s32 npu_rnd_f32_scale(void)
{
	switch (npu_rr(0, 9)) {
	case 0:
		return ref_bits(0x1p-100f);
	case 1:
		return ref_bits(0x1p32f) - 1;
	case 2:
		/* a power of two: exact products, ties */
		return (s32)(npu_rr(27, 158) << 23);
	case 3:
		return (s32)(npu_rr(27, 158) << 23 | (npu_rnd() & 0x7fffff));
	default:
		/* the useful range: int32 sums down to bytes */
		return (s32)(npu_rr(100, 128) << 23 | (npu_rnd() & 0x7fffff));
	}
}

s32 npu_rnd_f32_fix(void)
{
	u32 s = npu_coin(50) ? 0x80000000u : 0;

	switch (npu_rr(0, 7)) {
	case 0:
		return (s32)s;
	case 1:
		return (s32)(s | ref_bits(0x1p24f));
	case 2:
		/* an integer and a half */
		return ref_bits((float)npu_rr(0, 400) - 200.5f);
	default:
		return (s32)(s | npu_rr(100, 136) << 23 |
			     (npu_rnd() & 0x7fffff));
	}
}

void npu_to_f32_mm(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	bool conv = cmd->opcode == RM_NPU_OP_CONV2D;
	struct rm_npu_requant *rq = conv ? &cmd->conv2d.rq : &cmd->gemm.rq;
	const struct rm_npu_ref *q = conv ? &cmd->conv2d.quant :
					    &cmd->gemm.quant;
	u32 n = conv ? cmd->conv2d.out_c : cmd->gemm.n, i;

	cmd->flags |= RM_NPU_MM_F32_SCALE;
	if (cmd->flags & RM_NPU_MM_PER_CHANNEL) {
		for (i = 0; i < n; i++) {
			npu_st32(npu_at(w, q) + 8 * i, npu_rnd_f32_scale());
			npu_st32(npu_at(w, q) + 8 * i + 4, 0);
		}
		return;
	}
	rq->mult = npu_rnd_f32_scale();
	rq->shift = 0;
}

void npu_gen_mm_f32(struct rm_npu_cmd *cmd, struct npu_world *w, u32 op)
{
	do {
		npu_w_free(w);
		memset(w, 0, sizeof(*w));
		if (op == RM_NPU_OP_GEMM)
			npu_gen_gemm(cmd, w, 100, 100);
		else
			npu_gen_conv(cmd, w);
	} while ((op == RM_NPU_OP_GEMM ? cmd->gemm.out_dtype :
		  cmd->conv2d.out_dtype) == RM_NPU_DT_INT32);
	npu_to_f32_mm(cmd, w);
}

void npu_gen_elt_f32(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_eltwise *e = &cmd->eltwise;

	do {
		npu_w_free(w);
		memset(w, 0, sizeof(*w));
		npu_gen_elt(cmd, w);
	} while (e->op == RM_NPU_ELT_SUB);
	cmd->flags = RM_NPU_ELT_F32;
	e->rq.shift = 0;
	e->a.shift = 0;
	e->b.shift = 0;
	if (e->op == RM_NPU_ELT_MUL) {
		e->rq.mult = npu_rnd_f32_scale();
		return;
	}
	switch (npu_rr(0, 2)) {
	case 1:
		cmd->flags |= RM_NPU_ELT_F32_SCALAR_A;
		break;
	case 2:
		cmd->flags |= RM_NPU_ELT_F32_SCALAR_B;
		break;
	default:
		break;
	}
	e->a.zero_point = 0;
	e->b.zero_point = 0;
	e->a.mult = npu_rnd_f32_scale();
	e->b.mult = npu_rnd_f32_scale();
	e->rq.mult = npu_rnd_f32_fix();
}
