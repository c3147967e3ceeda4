// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu_ops_scalar.c - the portable execution variant of the command engine:
 * every opcode in plain C. The kernel builds it with scalar loops
 * (NPU_OPS_SCALAR); userspace builds loops the compiler vectorizes, cloned
 * for x86-64-v3. The SIMD variants fall back to it for the shapes they do
 * not specialize.
 */
#include "npu_ops_impl.h"

/* ------------------------------------------------------------------ */
/* Execution: GEMM and CONV2D epilogue                                 */
/* ------------------------------------------------------------------ */

struct npu_epi {
	const u8 *bias;		/* int32 per output channel, or NULL */
	const u8 *quant;	/* {mult, shift} per output channel, or NULL */
	u32 out_dtype;
	bool f32;		/* RM_NPU_MM_F32_SCALE: mult is binary32 bits */
	s32 mult;
	s32 shift;
	s32 zp;
	s32 lo;
	s32 hi;
};

static void npu_epi_init(struct npu_epi *e, u8 *const *bo, u32 flags,
			 u32 out_dtype, const struct rm_npu_requant *rq,
			 const struct rm_npu_ref *bias,
			 const struct rm_npu_ref *quant)
{
	e->bias = flags & RM_NPU_MM_BIAS ? bo[bias->bo] + bias->offset : NULL;
	e->quant = flags & RM_NPU_MM_PER_CHANNEL ?
		   bo[quant->bo] + quant->offset : NULL;
	e->out_dtype = out_dtype;
	e->f32 = flags & RM_NPU_MM_F32_SCALE;
	e->mult = rq->mult;
	e->shift = rq->shift;
	e->zp = rq->zero_point;
	e->lo = rq->act_min;
	e->hi = rq->act_max;
}

/*
 * Finish output channels [@ch, @ch + @w) of one output row or pixel from
 * their int32 sums @acc, into @out (the row's element @ch).
 */
static int npu_epi_run(const struct npu_epi *e, const s32 *acc, u32 ch,
		       u32 w, u8 *out)
{
	s32 mult = e->mult, shift = e->shift;
	u32 j;

	for (j = 0; j < w; j++) {
		s64 x = acc[j];

		if (e->bias) {
			x += npu_ld_s32(e->bias + 4 * ((u64)ch + j));
			x = npu_clamp(x, NPU_S32_MIN, NPU_S32_MAX);
		}
		if (e->out_dtype == RM_NPU_DT_INT32) {
			npu_st_s32(out + 4 * (u64)j, (s32)x);
			continue;
		}
		if (e->quant) {
			const u8 *q = e->quant + 8 * ((u64)ch + j);

			mult = npu_ld_s32_once(q);
			shift = npu_ld_s32_once(q + 4);
			if (e->f32 ? !npu_f32_pair_ok(mult, shift) :
				     !npu_scale_ok(mult, shift))
				return -EINVAL;
		}
		if (e->f32)
			out[j] = (u8)npu_f32_requant((s32)x, (u32)mult, e->zp,
						     e->lo, e->hi);
		else
			out[j] = (u8)npu_requant(x, mult, shift, e->zp, e->lo,
						 e->hi);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Execution: GEMM                                                     */
/* ------------------------------------------------------------------ */

/* A[k] - za, in -255..255 */
static __always_inline s32 npu_a_minus(const u8 *a, bool sgn, s32 za)
{
	return (sgn ? (s32)(s8)*a : (s32)*a) - za;
}

/*
 * A GEMM tile is up to NPU_MM_ROWS rows of A against NPU_MM_COLS columns
 * of B; its int32 sums take 512 bytes of stack.
 */
#ifdef NPU_OPS_SCALAR
#define NPU_MM_ROWS	4
#else
#define NPU_MM_ROWS	2
#endif
#define NPU_MM_COLS	(128 / NPU_MM_ROWS)

#ifdef NPU_OPS_SCALAR

/*
 * Scalar build (the kernel: no SIMD registers). Two int32 sums share one
 * int64 register: sum_k x_k * (b1_k * 2^32 + b0_k) = S1 * 2^32 + S0, an
 * exact identity as no step overflows (|x| <= 255, |b| <= 128, k <=
 * 32768: every partial sum stays below 2^62), and S0, S1 come back out
 * because |S0| < 2^31. One 64-bit multiply does two multiply-accumulates.
 */
#define NPU_2POW32	4294967296LL

static inline s64 npu_pack(s8 lo, s8 hi)
{
	return (s64)hi * NPU_2POW32 + lo;
}

static inline s64 npu_pair(const s8 *b)
{
	return npu_pack(b[0], b[1]);
}

static inline void npu_unpair(s64 p, s32 *lo, s32 *hi)
{
	s32 l = (s32)(u32)p;

	*lo = l;
	*hi = (s32)((p - l) >> 32);
}

/*
 * @nr rows @a[] of A against columns [0, @w) of B (@b points at the
 * tile's first column): acc[r][j] = sum_k (A_r[k] - za) * B[k][j].
 * Four columns (two pairs) at a time, in registers.
 */
static __always_inline void npu_mm_tile(s32 acc[][NPU_MM_COLS],
					const u8 *const *a, const u32 nr,
					bool sgn, s32 za, const s8 *b, u32 ldb,
					u32 k, u32 w)
{
	u32 kk, j, r;

	for (j = 0; j + 4 <= w; j += 4) {
		s64 p[NPU_MM_ROWS][2] = { { 0 } };

		for (kk = 0; kk < k; kk++) {
			const s8 *bk = b + (u64)kk * ldb + j;
			s64 b01 = npu_pair(bk), b23 = npu_pair(bk + 2);

			for (r = 0; r < nr; r++) {
				s64 x = npu_a_minus(a[r] + kk, sgn, za);

				p[r][0] += x * b01;
				p[r][1] += x * b23;
			}
		}
		for (r = 0; r < nr; r++) {
			npu_unpair(p[r][0], &acc[r][j], &acc[r][j + 1]);
			npu_unpair(p[r][1], &acc[r][j + 2], &acc[r][j + 3]);
		}
	}
	for (; j < w; j++) {
		s32 t[NPU_MM_ROWS] = { 0 };

		for (kk = 0; kk < k; kk++) {
			s32 bv = b[(u64)kk * ldb + j];

			for (r = 0; r < nr; r++)
				t[r] += npu_a_minus(a[r] + kk, sgn, za) * bv;
		}
		for (r = 0; r < nr; r++)
			acc[r][j] = t[r];
	}
}

static void npu_mm_tile_dispatch(s32 acc[][NPU_MM_COLS], const u8 *const *a,
				 u32 nr, bool sgn, s32 za, const s8 *b,
				 u32 ldb, u32 k, u32 w)
{
	if (nr == 1) {
		if (sgn)
			npu_mm_tile(acc, a, 1, true, za, b, ldb, k, w);
		else
			npu_mm_tile(acc, a, 1, false, za, b, ldb, k, w);
	} else if (nr == 2) {
		if (sgn)
			npu_mm_tile(acc, a, 2, true, za, b, ldb, k, w);
		else
			npu_mm_tile(acc, a, 2, false, za, b, ldb, k, w);
	} else {
		/* three rows run as four, the last one twice; a[] has @nr */
		const u8 *a4[NPU_MM_ROWS] = { a[0], a[1], a[2],
					      nr == 4 ? a[3] : a[2] };

		if (sgn)
			npu_mm_tile(acc, a4, 4, true, za, b, ldb, k, w);
		else
			npu_mm_tile(acc, a4, 4, false, za, b, ldb, k, w);
	}
}

#else /* !NPU_OPS_SCALAR */

/*
 * @nr (1 or 2) rows @a[] of A against columns [0, @w) of B (@b points at
 * the tile's first column): acc[r][j] = sum_k (A_r[k] - za) * B[k][j].
 * (A - za) is in -255..255 and B in -128..127, so each product fits in
 * int16 (|p| <= 32640), which lets the compiler use 16-bit vector
 * multiplies; a fixed @w of 64 lets it vectorize with no scalar tail.
 */
static __always_inline void npu_mm_tile2(s32 (*restrict acc)[NPU_MM_COLS],
					 const u8 *a0, const u8 *a1, bool sgn,
					 s32 za, const s8 *b, u32 ldb, u32 k,
					 u32 w)
{
	u32 kk, j;

	for (j = 0; j < w; j++) {
		acc[0][j] = 0;
		acc[1][j] = 0;
	}
	for (kk = 0; kk < k; kk++) {
		const s8 *bk = b + (u64)kk * ldb;
		s16 x0 = (s16)npu_a_minus(a0 + kk, sgn, za);
		s16 x1 = (s16)npu_a_minus(a1 + kk, sgn, za);

		for (j = 0; j < w; j++) {
			s16 bv = bk[j];

			acc[0][j] += (s16)(x0 * bv);
			acc[1][j] += (s16)(x1 * bv);
		}
	}
}

static __always_inline void npu_mm_tile_dispatch(s32 acc[][NPU_MM_COLS],
						 const u8 *const *a, u32 nr,
						 bool sgn, s32 za,
						 const s8 *b, u32 ldb, u32 k,
						 u32 w)
{
	/* one row runs as two, the same twice */
	const u8 *a1 = nr > 1 ? a[1] : a[0];

	if (w == NPU_MM_COLS) {
		if (sgn)
			npu_mm_tile2(acc, a[0], a1, true, za, b, ldb, k,
				     NPU_MM_COLS);
		else
			npu_mm_tile2(acc, a[0], a1, false, za, b, ldb, k,
				     NPU_MM_COLS);
	} else {
		if (sgn)
			npu_mm_tile2(acc, a[0], a1, true, za, b, ldb, k, w);
		else
			npu_mm_tile2(acc, a[0], a1, false, za, b, ldb, k, w);
	}
}

#endif /* NPU_OPS_SCALAR */

/*
 * GEMM unit u: column block cb = u / m (columns [64 cb, 64 cb + 64) & n),
 * row u % m. A range of units is a run of rows of one block, then of the
 * next; rows are done NPU_MM_ROWS at a time, sharing the loads of B.
 *
 * With a' = A - a_zero_point: sum_k a'(B - b_zero_point) = sum_k a' B -
 * b_zero_point * sum_k a'; both terms and the result fit in int32.
 */
npu_simd_clones
static int npu_gemm_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			 u64 ue)
{
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;
	const u8 *a = bo[g->a.bo] + g->a.offset;
	const s8 *b = (const s8 *)(bo[g->b.bo] + g->b.offset);
	u8 *out = bo[g->out.bo] + g->out.offset;
	u32 osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	bool sgn = g->a_dtype == RM_NPU_DT_INT8;
	s32 acc[NPU_MM_ROWS][NPU_MM_COLS];
	struct npu_epi epi;

	npu_epi_init(&epi, bo, cmd->flags, g->out_dtype, &g->rq, &g->bias,
		     &g->quant);
	while (u < ue) {
		u64 cb = npu_div_u64(u, g->m);
		u32 r = (u32)(u - cb * g->m);
		u32 rend = (u32)npu_min_u64(g->m, r + (ue - u));
		u32 col = (u32)cb * NPU_OPS_MM_BLOCK;
		u32 w = npu_min_u32(NPU_OPS_MM_BLOCK, g->n - col);

		u += rend - r;
		for (; r < rend; r += NPU_MM_ROWS) {
			u32 nr = npu_min_u32(NPU_MM_ROWS, rend - r);
			const u8 *rows[NPU_MM_ROWS];
			s32 corr[NPU_MM_ROWS];
			u32 i, j, c0, kk;

			for (i = 0; i < nr; i++) {
				rows[i] = a + (u64)(r + i) * g->lda;
				corr[i] = 0;
				for (kk = 0; kk < g->k && g->b_zero_point; kk++)
					corr[i] += npu_a_minus(rows[i] + kk,
							       sgn,
							       g->a_zero_point);
				corr[i] *= g->b_zero_point;
			}
			for (c0 = 0; c0 < w; c0 += NPU_MM_COLS) {
				u32 cw = npu_min_u32(NPU_MM_COLS, w - c0);

				npu_mm_tile_dispatch(acc, rows, nr, sgn,
						     g->a_zero_point,
						     b + col + c0, g->ldb, g->k,
						     cw);
				for (i = 0; i < nr; i++) {
					u64 o = (u64)(r + i) * g->ldo + col + c0;
					int ret;

					for (j = 0; j < cw; j++)
						acc[i][j] -= corr[i];
					ret = npu_epi_run(&epi, acc[i], col + c0,
							  cw, out + o * osz);
					if (ret)
						return ret;
				}
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Execution: CONV2D                                                   */
/* ------------------------------------------------------------------ */

/* (x - zx) as int16: -255..255 */
static __always_inline s16 npu_xz(const u8 *x, s32 zx, bool sgn)
{
	return (s16)((sgn ? (s32)(s8)*x : (s32)*x) - zx);
}

/*
 * Dot products of one input run with the weights of one (npu_dot) or four
 * (npu_dot4, rows @ws apart) output channels:
 *   s[t] += sum_i (x[i] - zx) * w[t * ws + i].
 * Each product fits in int16, every sum in int32 (len <= 32768).
 */
#ifdef NPU_OPS_SCALAR

static __always_inline void npu_dot(const u8 *x, const s8 *w, u32 len,
				    s32 zx, bool sgn, s32 *s)
{
	s32 t = 0;
	u32 i;

	for (i = 0; i < len; i++)
		t += npu_a_minus(x + i, sgn, zx) * w[i];
	*s += t;
}

/* Two channels per 64-bit sum, as npu_mm_tile(). */
static __always_inline void npu_dot4(const u8 *x, const s8 *w, u64 ws,
				     u32 len, s32 zx, bool sgn, s32 *s)
{
	const s8 *w1 = w + ws, *w2 = w1 + ws, *w3 = w2 + ws;
	s64 p0 = 0, p1 = 0;
	s32 lo, hi;
	u32 i;

	for (i = 0; i < len; i++) {
		s64 xv = npu_a_minus(x + i, sgn, zx);

		p0 += xv * npu_pack(w[i], w1[i]);
		p1 += xv * npu_pack(w2[i], w3[i]);
	}
	npu_unpair(p0, &lo, &hi);
	s[0] += lo;
	s[1] += hi;
	npu_unpair(p1, &lo, &hi);
	s[2] += lo;
	s[3] += hi;
}

#else /* !NPU_OPS_SCALAR */

/* Fixed-length inner loops vectorize with no scalar epilogue. */
static __always_inline void npu_dot(const u8 *x, const s8 *w, u32 len,
				    s32 zx, bool sgn, s32 *s)
{
	s32 acc = 0, p;
	u32 t;

	for (; len >= 64; len -= 64, x += 64, w += 64) {
		for (p = 0, t = 0; t < 64; t++)
			p += npu_xz(x + t, zx, sgn) * (s16)w[t];
		acc += p;
	}
	for (; len >= 16; len -= 16, x += 16, w += 16) {
		for (p = 0, t = 0; t < 16; t++)
			p += npu_xz(x + t, zx, sgn) * (s16)w[t];
		acc += p;
	}
	for (t = 0; t < len; t++)
		acc += npu_xz(x + t, zx, sgn) * (s16)w[t];
	*s += acc;
}

static __always_inline void npu_dot4(const u8 *x, const s8 *w, u64 ws,
				     u32 len, s32 zx, bool sgn, s32 *s)
{
	const s8 *w1 = w + ws, *w2 = w1 + ws, *w3 = w2 + ws;
	s32 p0, p1, p2, p3;
	u32 i = 0, t;

	for (; i + 64 <= len; i += 64) {
		p0 = 0;
		p1 = 0;
		p2 = 0;
		p3 = 0;
		for (t = i; t < i + 64; t++) {
			s16 xv = npu_xz(x + t, zx, sgn);

			p0 += xv * (s16)w[t];
			p1 += xv * (s16)w1[t];
			p2 += xv * (s16)w2[t];
			p3 += xv * (s16)w3[t];
		}
		s[0] += p0;
		s[1] += p1;
		s[2] += p2;
		s[3] += p3;
	}
	for (; i + 16 <= len; i += 16) {
		p0 = 0;
		p1 = 0;
		p2 = 0;
		p3 = 0;
		for (t = i; t < i + 16; t++) {
			s16 xv = npu_xz(x + t, zx, sgn);

			p0 += xv * (s16)w[t];
			p1 += xv * (s16)w1[t];
			p2 += xv * (s16)w2[t];
			p3 += xv * (s16)w3[t];
		}
		s[0] += p0;
		s[1] += p1;
		s[2] += p2;
		s[3] += p3;
	}
	for (; i < len; i++) {
		s16 xv = npu_xz(x + i, zx, sgn);

		s[0] += xv * (s16)w[i];
		s[1] += xv * (s16)w1[i];
		s[2] += xv * (s16)w2[i];
		s[3] += xv * (s16)w3[i];
	}
}

#endif /* NPU_OPS_SCALAR */

/* Dot products of @n (1 or 4) channels: the one or the other. */
static __always_inline void npu_dot_n(const u8 *x, const s8 *w, u64 ws,
				      u32 len, s32 zx, bool sgn, u32 n,
				      s32 *s)
{
	if (n == 4)
		npu_dot4(x, w, ws, len, zx, sgn, s);
	else
		npu_dot(x, w, len, zx, sgn, s);
}

/* sum_i (x[i] - zx) */
static s32 npu_sum_minus(const u8 *x, u32 len, s32 zx, bool sgn)
{
	s32 s = 0;
	u32 i;

	for (i = 0; i < len; i++)
		s += (sgn ? (s32)(s8)x[i] : (s32)x[i]) - zx;
	return s;
}

struct npu_conv {
	const struct rm_npu_cmd_conv2d *c;
	const u8 *in;
	const s8 *w;
	u32 cig;	/* input channels per group */
	u32 cpo;	/* output channels per group */
	u32 kwl;	/* weights per kernel row: k_w * cig */
	u32 ksz;	/* weights per output channel: k_h * kwl */
	bool sgn;
};

/*
 * Sums for output channels [oc0, oc0 + w) of output pixel (nb, oy, ox):
 *   acc[o] = sum over in-range taps and group channels of
 *            (x - in_zp) * (w - w_zp)
 * (out-of-range taps read the input zero point: they add 0).
 */
static __always_inline void npu_conv_pixel(const struct npu_conv *cv, u32 nb,
					   u32 oy, u32 ox, u32 oc0, u32 w,
					   s32 *acc, bool sgn)
{
	const struct rm_npu_cmd_conv2d *c = cv->c;
	s32 iy0 = (s32)(oy * c->stride_h) - (s32)c->pad_top;
	s32 ix0 = (s32)(ox * c->stride_w) - (s32)c->pad_left;
	s32 zx = c->in_zero_point, zw = c->w_zero_point;
	const u8 *img = cv->in + (u64)nb * c->in_h * c->in_w * c->in_c;
	u32 ky_lo, ky_hi, kx_lo, kx_hi, ky, kx, o, g, gi, n, last_g = ~0u;
	bool merge = c->groups == 1 && c->dil_w == 1;
	s32 xsum = 0;

	npu_taps(iy0, c->dil_h, c->k_h, c->in_h, &ky_lo, &ky_hi);
	npu_taps(ix0, c->dil_w, c->k_w, c->in_w, &kx_lo, &kx_hi);

	if (cv->cig == 1 && cv->cpo == 1) {
		/* Depthwise, multiplier 1: channels side by side. */
		for (o = 0; o < w; o++)
			acc[o] = 0;
		for (ky = ky_lo; ky < ky_hi; ky++) {
			u32 iy = (u32)(iy0 + (s32)(ky * c->dil_h));

			for (kx = kx_lo; kx < kx_hi; kx++) {
				u32 ix = (u32)(ix0 + (s32)(kx * c->dil_w));
				const u8 *x = img + ((u64)iy * c->in_w + ix) *
						    c->in_c + oc0;
				const s8 *wt = cv->w + (u64)oc0 * cv->ksz +
					       ky * c->k_w + kx;

				for (o = 0; o < w; o++) {
					s32 xv = sgn ? (s32)(s8)x[o] :
							   (s32)x[o];

					acc[o] += (xv - zx) *
						  (wt[(u64)o * cv->ksz] - zw);
				}
			}
		}
		return;
	}

	g = oc0 / cv->cpo;
	gi = oc0 - g * cv->cpo;
	for (o = 0; o < w; o += n) {
		const s8 *wp = cv->w + (u64)(oc0 + o) * cv->ksz;
		const u8 *xg = img + (u64)g * cv->cig;
		s32 s[4] = { 0, 0, 0, 0 };
		u32 t;

		/* four channels of one group share the input loads */
		n = o + 4 <= w && gi + 4 <= cv->cpo ? 4 : 1;
		for (ky = ky_lo; ky < ky_hi; ky++) {
			u32 iy = (u32)(iy0 + (s32)(ky * c->dil_h));
			const u8 *xr = xg + (u64)iy * c->in_w * c->in_c;
			const s8 *wr = wp + ky * cv->kwl;

			if (merge) {
				/* groups == 1, dil_w == 1: one run per row. */
				u32 ix = (u32)(ix0 + (s32)kx_lo);

				if (kx_hi > kx_lo)
					npu_dot_n(xr + (u64)ix * c->in_c,
						  wr + kx_lo * cv->cig, cv->ksz,
						  (kx_hi - kx_lo) * cv->cig,
						  zx, sgn, n, s);
				continue;
			}
			for (kx = kx_lo; kx < kx_hi; kx++) {
				u32 ix = (u32)(ix0 + (s32)(kx * c->dil_w));

				npu_dot_n(xr + (u64)ix * c->in_c,
					  wr + kx * cv->cig, cv->ksz, cv->cig,
					  zx, sgn, n, s);
			}
		}
		if (zw && g != last_g) {
			xsum = 0;
			for (ky = ky_lo; ky < ky_hi; ky++) {
				u32 iy = (u32)(iy0 + (s32)(ky * c->dil_h));

				for (kx = kx_lo; kx < kx_hi; kx++) {
					u32 ix = (u32)(ix0 +
						       (s32)(kx * c->dil_w));

					xsum += npu_sum_minus(xg +
						((u64)iy * c->in_w + ix) *
						c->in_c, cv->cig, zx, sgn);
				}
			}
			last_g = g;
		}
		for (t = 0; t < n; t++)
			acc[o + t] = s[t] - zw * xsum;
		gi += n;
		if (gi == cv->cpo) {
			gi = 0;
			g++;
		}
	}
}

npu_simd_clones
static void npu_conv_pixel_dispatch(const struct npu_conv *cv, u32 nb,
				    u32 oy, u32 ox, u32 oc0, u32 w, s32 *acc)
{
	if (cv->sgn)
		npu_conv_pixel(cv, nb, oy, ox, oc0, w, acc, true);
	else
		npu_conv_pixel(cv, nb, oy, ox, oc0, w, acc, false);
}

/*
 * CONV2D unit u: output channel block cb = u / P (channels [64 cb, 64 cb +
 * 64) & out_c), output pixel u % P, P = batch * out_h * out_w, pixels in
 * NHW order.
 */
static int npu_conv_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			 u64 ue)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u8 *out = bo[c->out.bo] + c->out.offset;
	u32 osz = c->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
	u64 npix = npu_conv_pixels(c);
	s32 acc[NPU_OPS_MM_BLOCK];
	struct npu_conv cv;
	struct npu_epi epi;
	int ret;

	cv.c = c;
	cv.in = bo[c->in.bo] + c->in.offset;
	cv.w = (const s8 *)(bo[c->weights.bo] + c->weights.offset);
	cv.cig = c->in_c / c->groups;
	cv.cpo = c->out_c / c->groups;
	cv.kwl = c->k_w * cv.cig;
	cv.ksz = c->k_h * cv.kwl;
	cv.sgn = c->in_dtype == RM_NPU_DT_INT8;
	npu_epi_init(&epi, bo, cmd->flags, c->out_dtype, &c->rq, &c->bias,
		     &c->quant);

	while (u < ue) {
		u64 cb = npu_div64_u64(u, npix);
		u64 p = u - cb * npix;
		u64 pend = npu_min_u64(npix, p + (ue - u));
		u64 t = npu_div_u64(p, c->out_w);
		u32 ox = (u32)(p - t * c->out_w);
		u32 nb = (u32)npu_div_u64(t, c->out_h);
		u32 oy = (u32)(t - (u64)nb * c->out_h);
		u32 oc0 = (u32)cb * NPU_OPS_MM_BLOCK;
		u32 w = npu_min_u32(NPU_OPS_MM_BLOCK, c->out_c - oc0);

		u += pend - p;
		for (; p < pend; p++) {
			npu_conv_pixel_dispatch(&cv, nb, oy, ox, oc0, w, acc);
			ret = npu_epi_run(&epi, acc, oc0, w,
					  out + (p * c->out_c + oc0) * osz);
			if (ret)
				return ret;
			if (++ox == c->out_w) {
				ox = 0;
				if (++oy == c->out_h) {
					oy = 0;
					nb++;
				}
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Execution: POOL2D                                                   */
/* ------------------------------------------------------------------ */

/*
 * POOL2D unit u: output pixel u / C (NHW order), channel block u % C
 * (channels [64 cb, 64 cb + 64) & c), C = ceil(c / 64).
 */
static int npu_pool_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			 u64 ue)
{
	const struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	const u8 *in = bo[p->in.bo] + p->in.offset;
	u8 *out = bo[p->out.bo] + p->out.offset;
	u32 nblk = (u32)npu_ceil_div(p->c, NPU_OPS_POOL_BLOCK);
	bool sgn = p->dtype == RM_NPU_DT_INT8;
	bool avg = p->mode == RM_NPU_POOL_AVG;
	bool cpad = cmd->flags & RM_NPU_POOL_COUNT_PAD;
	s32 acc[NPU_OPS_POOL_BLOCK];

	for (; u < ue; u++) {
		u64 pix = npu_div_u64(u, nblk);
		u32 cb = (u32)(u - pix * nblk);
		u64 t = npu_div_u64(pix, p->out_w);
		u32 ox = (u32)(pix - t * p->out_w);
		u32 nb = (u32)npu_div_u64(t, p->out_h);
		u32 oy = (u32)(t - (u64)nb * p->out_h);
		s32 iy0 = (s32)(oy * p->stride_h) - (s32)p->pad_top;
		s32 ix0 = (s32)(ox * p->stride_w) - (s32)p->pad_left;
		u32 c0 = cb * NPU_OPS_POOL_BLOCK;
		u32 w = npu_min_u32(NPU_OPS_POOL_BLOCK, p->c - c0);
		u32 ky_lo, ky_hi, kx_lo, kx_hi, ky, kx, j, cnt;
		u8 *o = out + pix * p->c + c0;

		npu_taps(iy0, 1, p->k_h, p->in_h, &ky_lo, &ky_hi);
		npu_taps(ix0, 1, p->k_w, p->in_w, &kx_lo, &kx_hi);
		for (j = 0; j < w; j++)
			acc[j] = avg ? 0 : -256;
		for (ky = ky_lo; ky < ky_hi; ky++) {
			u32 iy = (u32)(iy0 + (s32)ky);

			for (kx = kx_lo; kx < kx_hi; kx++) {
				u32 ix = (u32)(ix0 + (s32)kx);
				const u8 *x = in + (((u64)nb * p->in_h + iy) *
						    p->in_w + ix) * p->c + c0;

				for (j = 0; j < w; j++) {
					s32 v = sgn ? (s32)(s8)x[j] :
						      (s32)x[j];

					if (avg)
						acc[j] += v;
					else if (v > acc[j])
						acc[j] = v;
				}
			}
		}
		if (!avg) {
			for (j = 0; j < w; j++)
				o[j] = (u8)npu_clamp(acc[j], p->act_min,
						     p->act_max);
			continue;
		}
		cnt = (ky_hi - ky_lo) * (kx_hi - kx_lo);
		if (cpad) {
			s32 padv = (s32)(p->k_h * p->k_w - cnt) * p->zero_point;

			for (j = 0; j < w; j++)
				acc[j] += padv;
			cnt = p->k_h * p->k_w;
		}
		for (j = 0; j < w; j++) {
			s32 s = acc[j], q;

			if (s >= 0)
				q = (s32)(((u32)s + cnt / 2) / cnt);
			else
				q = -(s32)(((u32)-s + cnt / 2) / cnt);
			o[j] = (u8)npu_clamp(q, p->act_min, p->act_max);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Execution: ELTWISE                                                  */
/* ------------------------------------------------------------------ */

/* rescale(x, m, s) = (x * m + 2^(30 - s)) >> (31 - s), s in -31..0 */
static inline s64 npu_rescale(s32 x, s32 m, s32 s)
{
	return ((s64)x * m + ((s64)1 << (30 - s))) >> (31 - s);
}

static inline s32 npu_ld_elem(const u8 *p, bool sgn)
{
	return sgn ? (s32)(s8)*p : (s32)*p;
}

/* ELTWISE with RM_NPU_ELT_F32 (binary32 emulated in integers). */
static int npu_elt_f32_exec(const struct rm_npu_cmd *cmd, u8 *const *bo,
			    u64 u, u64 ue)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	const struct rm_npu_elt_input *ia = &e->a, *ib = &e->b;
	const u8 *a = bo[ia->ref.bo] + ia->ref.offset;
	const u8 *b = bo[ib->ref.bo] + ib->ref.offset;
	u8 *out = bo[e->out.bo] + e->out.offset;
	u32 nblk = (u32)npu_ceil_div(e->cols, NPU_OPS_ELT_BLOCK);
	bool sgn = e->dtype == RM_NPU_DT_INT8;
	struct npu_f32_elt k;

	npu_f32_elt_init(&k, cmd->flags, e);
	for (; u < ue; u++) {
		u64 r = npu_div_u64(u, nblk);
		u32 c0 = (u32)(u - r * nblk) * NPU_OPS_ELT_BLOCK;
		u32 c1 = npu_min_u32(e->cols, c0 + NPU_OPS_ELT_BLOCK), c;
		const u8 *pa = a + r * ia->row_stride;
		const u8 *pb = b + r * ib->row_stride;
		u8 *po = out + r * e->out_row_stride;

		for (c = c0; c < c1; c++)
			po[c] = (u8)npu_f32_elt(&k,
				npu_ld_elem(pa + (u64)c * ia->col_stride, sgn),
				npu_ld_elem(pb + (u64)c * ib->col_stride, sgn),
				ia->zero_point, ib->zero_point,
				e->rq.zero_point, e->rq.act_min,
				e->rq.act_max);
	}
	return 0;
}

/*
 * ELTWISE unit u: row u / C, columns [4096 cb, 4096 cb + 4096) & cols with
 * cb = u % C, C = ceil(cols / 4096).
 */
static int npu_elt_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			u64 ue)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	const struct rm_npu_elt_input *ia = &e->a, *ib = &e->b;
	const u8 *a = bo[ia->ref.bo] + ia->ref.offset;
	const u8 *b = bo[ib->ref.bo] + ib->ref.offset;
	u8 *out = bo[e->out.bo] + e->out.offset;
	u32 nblk = (u32)npu_ceil_div(e->cols, NPU_OPS_ELT_BLOCK);
	bool sgn = e->dtype == RM_NPU_DT_INT8;
	const struct rm_npu_requant *rq = &e->rq;

	if (cmd->flags & RM_NPU_ELT_F32)
		return npu_elt_f32_exec(cmd, bo, u, ue);
	for (; u < ue; u++) {
		u64 r = npu_div_u64(u, nblk);
		u32 c0 = (u32)(u - r * nblk) * NPU_OPS_ELT_BLOCK;
		u32 c1 = npu_min_u32(e->cols, c0 + NPU_OPS_ELT_BLOCK), c;
		const u8 *pa = a + r * ia->row_stride;
		const u8 *pb = b + r * ib->row_stride;
		u8 *po = out + r * e->out_row_stride;

		for (c = c0; c < c1; c++) {
			s32 xa = npu_ld_elem(pa + (u64)c * ia->col_stride, sgn) -
				 ia->zero_point;
			s32 xb = npu_ld_elem(pb + (u64)c * ib->col_stride, sgn) -
				 ib->zero_point;
			s64 v;

			if (e->op == RM_NPU_ELT_MUL) {
				v = xa * xb;
			} else {
				s64 ra = npu_rescale(xa * (1 << 20), ia->mult,
						     ia->shift);
				s64 rb = npu_rescale(xb * (1 << 20), ib->mult,
						     ib->shift);

				v = e->op == RM_NPU_ELT_ADD ? ra + rb : ra - rb;
			}
			po[c] = (u8)npu_requant(v, rq->mult, rq->shift,
						rq->zero_point, rq->act_min,
						rq->act_max);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Execution: FILL, LUT, COPY                                          */
/* ------------------------------------------------------------------ */

/* FILL unit u: elements [4096 u, 4096 u + 4096) & count. */
static int npu_fill_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			 u64 ue)
{
	const struct rm_npu_cmd_fill *f = &cmd->fill;
	u64 i = u * NPU_OPS_STREAM_BLOCK;
	u64 end = npu_min_u64(f->count,
			      npu_sat_mul(ue, NPU_OPS_STREAM_BLOCK));
	u32 es = f->elem_size;
	u8 *d = bo[f->dst.bo] + f->dst.offset + i * es;
	u8 v[4];

	if (i >= end)
		return 0;
	v[0] = (u8)f->value;
	v[1] = (u8)(f->value >> 8);
	v[2] = (u8)(f->value >> 16);
	v[3] = (u8)(f->value >> 24);
	if (es == 1) {
		memset(d, v[0], end - i);
		return 0;
	}
	for (; i < end; i++, d += es) {
		d[0] = v[0];
		d[1] = v[1];
		if (es == 4) {
			d[2] = v[2];
			d[3] = v[3];
		}
	}
	return 0;
}

/* LUT unit u: elements [4096 u, 4096 u + 4096) & count. */
static int npu_lut_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			u64 ue)
{
	const struct rm_npu_cmd_lut *l = &cmd->lut;
	const u8 *in = bo[l->in.bo] + l->in.offset;
	const u8 *tab = bo[l->table.bo] + l->table.offset;
	u8 *out = bo[l->out.bo] + l->out.offset;
	u64 i = u * NPU_OPS_STREAM_BLOCK;
	u64 end = npu_min_u64(l->count,
			      npu_sat_mul(ue, NPU_OPS_STREAM_BLOCK));
	u8 flip = l->dtype == RM_NPU_DT_INT8 ? 0x80 : 0;

	for (; i < end; i++)
		out[i] = tab[(u8)(in[i] ^ flip)];
	return 0;
}

/*
 * COPY unit u: one run of up to 65536 / elem_size elements of the
 * innermost dimension; units in order (i0, i1, i2, run).
 */
/*
 * COPY whose innermost dimension is strided but whose dims[2] is dense on
 * both sides (a concatenation along channels lowered with the pixels
 * innermost): a unit is one i2 (one run), so a range of units is a block
 * of consecutive i2 of one (i0, i1); each of its dims[3] elements is then
 * one contiguous piece. Same bytes, copied by pieces instead of bytes.
 */
static void npu_copy_blocks(const struct rm_npu_cmd_copy *c, const u8 *src,
			    u8 *dst, u64 u, u64 ue)
{
	u32 es = c->elem_size, e;

	while (u < ue) {
		u64 t = npu_div_u64(u, c->dims[2]);
		u32 i2 = (u32)(u - t * c->dims[2]);
		u32 i0 = (u32)npu_div_u64(t, c->dims[1]);
		u32 i1 = (u32)(t - (u64)i0 * c->dims[1]);
		u32 n = (u32)npu_min_u64(c->dims[2] - i2, ue - u);
		const u8 *s = src + i0 * c->src_stride[0] +
			      i1 * c->src_stride[1] + (u64)i2 * es;
		u8 *d = dst + i0 * c->dst_stride[0] + i1 * c->dst_stride[1] +
			(u64)i2 * es;

		for (e = 0; e < c->dims[3]; e++)
			memcpy(d + e * c->dst_stride[3], s + e * c->src_stride[3],
			       (size_t)n * es);
		u += n;
	}
}

static int npu_copy_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			 u64 ue)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;
	const u8 *src = bo[c->src.bo] + c->src.offset;
	u8 *dst = bo[c->dst.bo] + c->dst.offset;
	u32 es = c->elem_size, chunk = npu_copy_chunk(c);
	u32 nrun = (u32)npu_ceil_div(c->dims[3], chunk);
	u64 t = npu_div_u64(u, nrun);
	u32 run = (u32)(u - t * nrun);
	u64 t2 = npu_div_u64(t, c->dims[2]);
	u32 i2 = (u32)(t - t2 * c->dims[2]);
	u32 i0 = (u32)npu_div_u64(t2, c->dims[1]);
	u32 i1 = (u32)(t2 - (u64)i0 * c->dims[1]);
	u64 ss = c->src_stride[3], ds = c->dst_stride[3];

	if (nrun == 1 && c->dims[2] > 1 && c->src_stride[2] == es &&
	    c->dst_stride[2] == es && (ss != es || ds != es)) {
		npu_copy_blocks(c, src, dst, u, ue);
		return 0;
	}
	for (; u < ue; u++) {
		u32 e0 = run * chunk;
		u32 n = npu_min_u32(c->dims[3] - e0, chunk), e;
		const u8 *s = src + i0 * c->src_stride[0] +
			      i1 * c->src_stride[1] + i2 * c->src_stride[2] +
			      e0 * ss;
		u8 *d = dst + i0 * c->dst_stride[0] + i1 * c->dst_stride[1] +
			i2 * c->dst_stride[2] + e0 * ds;

		if (ss == es && ds == es) {
			memcpy(d, s, (size_t)n * es);
		} else if (es == 1) {
			for (e = 0; e < n; e++)
				d[e * ds] = s[e * ss];
		} else if (es == 2) {
			for (e = 0; e < n; e++)
				memcpy(d + e * ds, s + e * ss, 2);
		} else if (es == 4) {
			for (e = 0; e < n; e++)
				memcpy(d + e * ds, s + e * ss, 4);
		} else {
			for (e = 0; e < n; e++)
				memcpy(d + e * ds, s + e * ss, es);
		}
		if (++run < nrun)
			continue;
		run = 0;
		if (++i2 < c->dims[2])
			continue;
		i2 = 0;
		if (++i1 < c->dims[1])
			continue;
		i1 = 0;
		i0++;
	}
	return 0;
}

int npu_scalar_exec(const struct rm_npu_cmd *cmd, u8 *const *bo_base,
		    u64 unit_begin, u64 unit_end)
{
	switch (cmd->opcode) {
	case RM_NPU_OP_FILL:
		return npu_fill_exec(cmd, bo_base, unit_begin, unit_end);
	case RM_NPU_OP_COPY:
		return npu_copy_exec(cmd, bo_base, unit_begin, unit_end);
	case RM_NPU_OP_GEMM:
		return npu_gemm_exec(cmd, bo_base, unit_begin, unit_end);
	case RM_NPU_OP_CONV2D:
		return npu_conv_exec(cmd, bo_base, unit_begin, unit_end);
	case RM_NPU_OP_POOL2D:
		return npu_pool_exec(cmd, bo_base, unit_begin, unit_end);
	case RM_NPU_OP_ELTWISE:
		return npu_elt_exec(cmd, bo_base, unit_begin, unit_end);
	case RM_NPU_OP_LUT:
		return npu_lut_exec(cmd, bo_base, unit_begin, unit_end);
	default:
		return 0;
	}
}

static int npu_scalar_exec_ctx(const struct rm_npu_cmd *cmd, u8 *const *bo,
			       struct npu_ops_ctx *ctx, const void *packed,
			       u64 u, u64 ue)
{
	(void)ctx;
	(void)packed;
	return npu_scalar_exec(cmd, bo, u, ue);
}

const struct npu_isa_ops npu_isa_scalar = {
	.name = "scalar",
	.exec = npu_scalar_exec_ctx,
};
