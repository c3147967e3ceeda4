// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu_ops_avx2.c - the AVX2 execution variant: GEMM and dense CONV2D on
 * VPMADDWD over int16 (A - a_zero_point) and (B - b_zero_point), both in
 * -255..255, so each pair of products fits int32 and nothing saturates
 * (VPMADDUBSW would: u8 x s8 pairs reach 65280 > 32767, so it is not
 * used). Depthwise CONV2D takes the same products two taps at a time
 * (npu_dw2_run()), POOL2D MAX on byte maxima (npu_pool_max_run()),
 * ELTWISE's binary32 modes on FMA3 where the CPU has it
 * (npu_elt_f32_run()). Other opcodes run the portable variant. Userspace
 * builds it with a target pragma, the kernel with Kbuild's flags, and runs
 * it between kernel_fpu_begin() and kernel_fpu_end().
 */
#define NPU_OPS_SIMD_UNIT
#if defined(__GNUC__) && !defined(__clang__) && !defined(__KERNEL__)
#pragma GCC target("avx2")
#endif
#include "npu_ops_impl.h"

/* sparse cannot parse the compiler's intrinsics headers: it skips this file */
#if defined(NPU_OPS_HAVE_AVX2) && !defined(__CHECKER__)

#define NPU_MM_MR	4
#define NPU_MM_KSTEP	2
#define NPU_MM_KC	2048
#define NPU_MM_ASZ	2

struct npu_mm;
struct npu_mm_epi;
static void npu_mm_pack(const struct npu_mm *mm, u32 col0, u32 w, u32 k0,
			u32 kc, u8 *dst, s32 *colsum);
static void npu_mm_kernel(const struct npu_mm *mm, u32 nr, u32 nv,
			  const u8 *const *rows, const u8 *panel, u32 kc,
			  s32 *acc, bool first);
static void npu_mm_epi_rows(const struct npu_mm *mm,
			    const struct npu_mm_epi *e, const s32 *acc,
			    const s32 *rowsum, u32 nr, u32 w, u8 *out,
			    u64 stride);

static inline void npu_mm_bytes(u8 *dst, const u8 *src, u32 n)
{
	memcpy(dst, src, n);
}

#include "npu_ops_mm.h"

_Static_assert(NPU_MM_SC_END <= NPU_OPS_SCRATCH_SIZE, "scratch size");

/*
 * Panel: [k pair][16-column group][16 columns][2 k] of s16 B - zb; 0 past
 * K and past @w. No column sums are needed (the zero points are applied).
 */
static void npu_mm_pack(const struct npu_mm *mm, u32 col0, u32 w, u32 k0,
			u32 kc, u8 *dst, s32 *colsum)
{
	u32 np = npu_mm_ksteps(kc), cols = (w + 15) & ~15u, p, j, i;
	s16 *d = (s16 *)dst;

	for (p = 0; p < np; p++)
		for (j = 0; j < cols; j++)
			for (i = 0; i < 2; i++) {
				u32 k = 2 * p + i;

				*d++ = (s16)(k < kc && j < w ?
					     npu_mm_b(mm, k0 + k, col0 + j) -
					     mm->zb : 0);
			}
	for (j = 0; j < NPU_MM_COLS; j++)
		colsum[j] = 0;
}

/* NR rows x one group of 16 columns (two vectors of 8 int32 sums). */
static __always_inline void npu_k256(const u8 *const *rows, const u8 *panel,
				     u32 np, u32 nv, u32 v, s32 *acc,
				     bool first, const u32 NR)
{
	__m256i c[NPU_MM_MR][2];
	u32 p, i;

#pragma GCC unroll 4
	for (i = 0; i < NR; i++) {
		s32 *o = acc + i * NPU_MM_COLS + 16 * v;

		c[i][0] = first ? _mm256_setzero_si256() :
			  _mm256_loadu_si256((const __m256i *)o);
		c[i][1] = first ? _mm256_setzero_si256() :
			  _mm256_loadu_si256((const __m256i *)(o + 8));
	}
	for (p = 0; p < np; p++) {
		const u8 *b = panel + ((u64)p * nv + v) * 64;
		__m256i b0 = _mm256_loadu_si256((const __m256i *)b);
		__m256i b1 = _mm256_loadu_si256((const __m256i *)(b + 32));

#pragma GCC unroll 4
		for (i = 0; i < NR; i++) {
			u32 x;
			__m256i a;

			memcpy(&x, rows[i] + 4 * (u64)p, 4);
			a = _mm256_set1_epi32((int)x);
			c[i][0] = _mm256_add_epi32(c[i][0],
						   _mm256_madd_epi16(a, b0));
			c[i][1] = _mm256_add_epi32(c[i][1],
						   _mm256_madd_epi16(a, b1));
		}
	}
#pragma GCC unroll 4
	for (i = 0; i < NR; i++) {
		s32 *o = acc + i * NPU_MM_COLS + 16 * v;

		_mm256_storeu_si256((__m256i *)o, c[i][0]);
		_mm256_storeu_si256((__m256i *)(o + 8), c[i][1]);
	}
}

static void npu_mm_kernel(const struct npu_mm *mm, u32 nr, u32 nv,
			  const u8 *const *rows, const u8 *panel, u32 kc,
			  s32 *acc, bool first)
{
	u32 np = npu_mm_ksteps(kc), v;

	(void)mm;
	for (v = 0; v < nv; v++) {
		switch (nr) {
		case 1:
			npu_k256(rows, panel, np, nv, v, acc, first, 1);
			break;
		case 2:
			npu_k256(rows, panel, np, nv, v, acc, first, 2);
			break;
		case 3:
			npu_k256(rows, panel, np, nv, v, acc, first, 3);
			break;
		default:
			npu_k256(rows, panel, np, nv, v, acc, first, 4);
			break;
		}
	}
}

/* s16 rows carry their zero point: no row sums. */
static s32 npu_mm_rowsum(const u8 *p, u32 n, bool sgn)
{
	(void)p;
	(void)n;
	(void)sgn;
	return 0;
}

/*
 * RM_NPU_MM_F32_SCALE, one row (contract 3.4): fl32(x) * s in binary32,
 * clamped to [lo - zp, hi - zp] (integers: the same as clamping after the
 * rounding), rounded to nearest even by VCVTPS2DQ, plus zp. Eight columns
 * at a time: whole groups straight from @acc where no sum plus bias can
 * leave int32 (bias_safe), packed to 8 bytes (the results lie in lo..hi,
 * so the saturating packs change nothing); the others through a buffer.
 */
static void npu_mm_epi_f32(const struct npu_mm_epi *e, const s32 *acc, u32 w,
			   u8 *out)
{
	const __m256 lo = _mm256_cvtepi32_ps(_mm256_set1_epi32(e->lo - e->zp));
	const __m256 hi = _mm256_cvtepi32_ps(_mm256_set1_epi32(e->hi - e->zp));
	const __m256i zp = _mm256_set1_epi32(e->zp);
	bool u8out = e->out_dtype == RM_NPU_DT_UINT8;
	s32 t[8];
	u32 j = 0, i, n;

	for (; e->bias_safe && j + 8 <= w; j += 8) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(acc + j));
		__m256 f, sc;
		__m128i h;

		if (e->has_bias)
			x = _mm256_add_epi32(x, _mm256_loadu_si256(
				(const __m256i *)(e->bias + j)));
		sc = e->per_channel ?
		     _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)
							    (e->fscale + j))) :
		     _mm256_castsi256_ps(_mm256_set1_epi32((int)e->fscale[0]));
		f = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(
			_mm256_cvtepi32_ps(x), sc), lo), hi);
		x = _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
		h = _mm_packs_epi32(_mm256_castsi256_si128(x),
				    _mm256_extracti128_si256(x, 1));
		h = u8out ? _mm_packus_epi16(h, h) : _mm_packs_epi16(h, h);
		_mm_storel_epi64((__m128i *)(out + j), h);
	}
	for (; j < w; j += 8) {
		__m256 f, sc;

		n = npu_min_u32(8, w - j);
		for (i = 0; i < 8; i++) {
			s64 x = i < n ? acc[j + i] : 0;

			if (e->has_bias && i < n)
				x = npu_clamp(x + e->bias[j + i], NPU_S32_MIN,
					      NPU_S32_MAX);
			t[i] = (s32)x;
		}
		sc = e->per_channel ?
		     _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)
							    (e->fscale + j))) :
		     _mm256_castsi256_ps(_mm256_set1_epi32((int)e->fscale[0]));
		f = _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)t));
		f = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(f, sc), lo), hi);
		_mm256_storeu_si256((__m256i *)t, _mm256_add_epi32(
			_mm256_cvtps_epi32(f), zp));
		for (i = 0; i < n; i++)
			out[j + i] = (u8)t[i];
	}
}

/* The epilogue of section 3.3 of the contract, one row. */
static void npu_mm_epi(const struct npu_mm *mm, const struct npu_mm_epi *e,
		       const s32 *acc, s32 rowsum, u32 w, u8 *out)
{
	u32 j;

	(void)mm;
	(void)rowsum;
	if (e->f32) {
		npu_mm_epi_f32(e, acc, w, out);
		return;
	}
	for (j = 0; j < w; j++) {
		s64 x = acc[j];

		if (e->has_bias)
			x = npu_clamp(x + e->bias[j], NPU_S32_MIN, NPU_S32_MAX);
		if (e->out_dtype == RM_NPU_DT_INT32) {
			npu_st_s32(out + 4 * (u64)j, (s32)x);
			continue;
		}
		x = (x * e->mult[j] + e->rnd[j]) >> e->total[j];
		out[j] = (u8)npu_clamp(x + e->zp, e->lo, e->hi);
	}
}

static void npu_mm_epi_rows(const struct npu_mm *mm,
			    const struct npu_mm_epi *e, const s32 *acc,
			    const s32 *rowsum, u32 nr, u32 w, u8 *out,
			    u64 stride)
{
	u32 i;

	for (i = 0; i < nr; i++)
		npu_mm_epi(mm, e, acc + i * NPU_MM_COLS, rowsum[i], w,
			   out + i * stride);
}

/* ------------------------------------------------------------------ */
/* Depthwise CONV2D                                                    */
/* ------------------------------------------------------------------ */

/*
 * Depthwise CONV2D (groups == in_c == out_c) over the portable variant's
 * units (64-channel block major, then output pixels): 16 channels a
 * vector, two taps at a time by VPMADDWD over int16 (x - zx) and
 * (w - zw), as the GEMM above. A tap in the padding reads a vector of zx
 * (it adds 0), so every pixel takes the same tap pairs, whose weights the
 * block first lays out in the scratch in the order VPUNPCK{L,H}WD gives
 * the inputs. Channels past a block's last whole 16 are summed one by
 * one; the epilogue is the GEMM's (npu_mm_epi()). At most NPU_DW2_TAPS
 * taps (their pointers are on the stack), else the portable code.
 */
#define NPU_DW2_TAPS	64

struct npu_dw2 {
	const u8 *in;
	const s8 *w;
	u32 taps;
	u32 pairs;		/* (taps + 1) / 2 */
	s32 zx;
	s32 zw;
};

/* Bytes of a block's laid-out weights: pairs x 4 vectors x 2 x 16 s16. */
static inline u64 npu_dw2_wbytes(u32 pairs)
{
	return (u64)pairs * (NPU_OPS_MM_BLOCK / 16) * 64;
}

/*
 * (w - zw) of the @nv whole vectors of block @oc0: for tap pair p and
 * vector v, the 16 s16 that meet VPUNPCKLWD's output, then VPUNPCKHWD's:
 * word i of lane L (i / 8) holds channel 8 L + 4 h + (i % 8) / 2 (h: 0
 * low, 1 high), tap 2 p + i % 2; 0 past the last tap.
 */
static void npu_dw2_pack(const struct npu_dw2 *d, u32 oc0, u32 nv, s16 *dst)
{
	u32 p, v, h, i;

	for (p = 0; p < d->pairs; p++)
		for (v = 0; v < nv; v++)
			for (h = 0; h < 2; h++)
				for (i = 0; i < 16; i++) {
					u32 ch = oc0 + 16 * v + 8 * (i / 8) +
						 4 * h + (i % 8) / 2;
					u32 t = 2 * p + i % 2;

					*dst++ = t < d->taps ?
						 (s16)(d->w[(u64)ch * d->taps +
							    t] - d->zw) : 0;
				}
}

/*
 * Sums of one pixel: @tp[t] the input of tap t at the block's first
 * channel (or zx bytes), 2 * pairs of them; @w channels, @wp the laid-out
 * weights of its nv = w / 16 whole vectors.
 */
static __always_inline void npu_dw2_pixel(const struct npu_dw2 *d,
					  const s16 *wp, const u8 *const *tp,
					  u32 oc0, u32 w, s32 *acc, bool sgn)
{
	const __m256i zx = _mm256_set1_epi16((short)d->zx);
	u32 nv = w / 16, v, p, j, t;

	for (v = 0; v < nv; v++) {
		__m256i lo = _mm256_setzero_si256(), hi = lo;

		for (p = 0; p < d->pairs; p++) {
			const __m256i *wv = (const __m256i *)
					    (wp + ((u64)p * nv + v) * 32);
			__m128i xa = _mm_loadu_si128((const __m128i *)
						     (tp[2 * p] + 16 * v));
			__m128i xb = _mm_loadu_si128((const __m128i *)
						     (tp[2 * p + 1] + 16 * v));
			__m256i a = sgn ? _mm256_cvtepi8_epi16(xa) :
					  _mm256_cvtepu8_epi16(xa);
			__m256i b = sgn ? _mm256_cvtepi8_epi16(xb) :
					  _mm256_cvtepu8_epi16(xb);

			a = _mm256_sub_epi16(a, zx);
			b = _mm256_sub_epi16(b, zx);
			lo = _mm256_add_epi32(lo, _mm256_madd_epi16(
				_mm256_unpacklo_epi16(a, b),
				_mm256_loadu_si256(wv)));
			hi = _mm256_add_epi32(hi, _mm256_madd_epi16(
				_mm256_unpackhi_epi16(a, b),
				_mm256_loadu_si256(wv + 1)));
		}
		_mm256_storeu_si256((__m256i *)(acc + 16 * v),
				    _mm256_permute2x128_si256(lo, hi, 0x20));
		_mm256_storeu_si256((__m256i *)(acc + 16 * v + 8),
				    _mm256_permute2x128_si256(lo, hi, 0x31));
	}
	for (j = 16 * nv; j < w; j++) {
		u32 s = 0;
		s32 wz;

		for (t = 0; t < d->taps; t++) {
			s32 x = sgn ? (s32)(s8)tp[t][j] : (s32)tp[t][j];

			wz = d->w[(u64)(oc0 + j) * d->taps + t] - d->zw;
			s += (u32)((x - d->zx) * wz);
		}
		acc[j] = (s32)s;
	}
}

static void npu_dw2_pixel_dispatch(const struct npu_dw2 *d, const s16 *wp,
				   const u8 *const *tp, u32 oc0, u32 w,
				   s32 *acc, bool sgn)
{
	if (sgn)
		npu_dw2_pixel(d, wp, tp, oc0, w, acc, true);
	else
		npu_dw2_pixel(d, wp, tp, oc0, w, acc, false);
}

/* Can npu_dw2_run() take @cmd? */
static bool npu_dw2_ok(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 taps = c->k_h * c->k_w;

	return cmd->opcode == RM_NPU_OP_CONV2D && c->groups == c->in_c &&
	       c->out_c == c->in_c && c->groups > 1 && taps <= NPU_DW2_TAPS &&
	       npu_dw2_wbytes((taps + 1) / 2) <= NPU_MM_SC_EPI;
}

static int npu_dw2_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
		       struct npu_ops_ctx *ctx, u64 u, u64 ue)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	struct npu_mm_epi *e = (struct npu_mm_epi *)(ctx->scratch +
						     NPU_MM_SC_EPI);
	s16 *wp = (s16 *)ctx->scratch;
	u64 npix = npu_conv_pixels(c);
	bool sgn = c->in_dtype == RM_NPU_DT_INT8;
	const u8 *tp[NPU_DW2_TAPS + 1];
	s32 acc[NPU_OPS_MM_BLOCK];
	u8 zxb[NPU_OPS_MM_BLOCK];
	struct npu_dw2 d;
	struct npu_mm mm;
	int ret;

	npu_mm_from_conv(cmd, bo, &mm);
	mm.k = c->k_h * c->k_w;
	d.in = bo[c->in.bo] + c->in.offset;
	d.w = (const s8 *)(bo[c->weights.bo] + c->weights.offset);
	d.taps = mm.k;
	d.pairs = (d.taps + 1) / 2;
	d.zx = c->in_zero_point;
	d.zw = c->w_zero_point;
	memset(zxb, (u8)d.zx, sizeof(zxb));
	tp[d.taps] = zxb;	/* the odd tap's partner */
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

		ret = npu_mm_epi_load(&mm, oc0, w, e);
		if (ret)
			return ret;
		npu_dw2_pack(&d, oc0, w / 16, wp);
		u += pend - p;
		for (; p < pend; p++) {
			s32 iy0 = (s32)(oy * c->stride_h) - (s32)c->pad_top;
			s32 ix0 = (s32)(ox * c->stride_w) - (s32)c->pad_left;
			u32 ky, kx, n = 0;

			for (ky = 0; ky < c->k_h; ky++) {
				s32 iy = iy0 + (s32)(ky * c->dil_h);

				for (kx = 0; kx < c->k_w; kx++, n++) {
					s32 ix = ix0 + (s32)(kx * c->dil_w);

					tp[n] = iy < 0 || iy >= (s32)c->in_h ||
						ix < 0 || ix >= (s32)c->in_w ?
						zxb : d.in + (((u64)nb *
						c->in_h + (u32)iy) * c->in_w +
						(u32)ix) * c->in_c + oc0;
				}
			}
			npu_dw2_pixel_dispatch(&d, wp, tp, oc0, w, acc, sgn);
			npu_mm_epi(&mm, e, acc, 0, w, mm.out + (p * c->out_c +
							       oc0) * mm.osz);
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
/* POOL2D MAX                                                          */
/* ------------------------------------------------------------------ */

/*
 * POOL2D MAX over the portable variant's units (output pixel, then
 * 64-channel block): the window's largest byte, 32 channels a vector
 * (VPMAXUB or VPMAXSB by the type), clamped to act_min..act_max
 * (validation keeps the padding below the kernel: every window has a
 * tap); channels past a block's last whole 32 one by one.
 */
static void npu_pool_max_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
			     u64 u, u64 ue)
{
	const struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	const u8 *in = bo[p->in.bo] + p->in.offset;
	u8 *out = bo[p->out.bo] + p->out.offset;
	u32 nblk = (u32)npu_ceil_div(p->c, NPU_OPS_POOL_BLOCK);
	bool sgn = p->dtype == RM_NPU_DT_INT8;
	const __m256i lo = _mm256_set1_epi8((char)p->act_min);
	const __m256i hi = _mm256_set1_epi8((char)p->act_max);

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
		u32 ky_lo, ky_hi, kx_lo, kx_hi, ky, kx, j, v;
		u8 *o = out + pix * p->c + c0;

		npu_taps(iy0, 1, p->k_h, p->in_h, &ky_lo, &ky_hi);
		npu_taps(ix0, 1, p->k_w, p->in_w, &kx_lo, &kx_hi);
		for (v = 0; v + 32 <= w; v += 32) {
			/* the smallest byte of the type: any tap is larger */
			__m256i m = _mm256_set1_epi8(sgn ? (char)0x80 : 0);

			for (ky = ky_lo; ky < ky_hi; ky++) {
				u32 iy = (u32)(iy0 + (s32)ky);

				for (kx = kx_lo; kx < kx_hi; kx++) {
					u32 ix = (u32)(ix0 + (s32)kx);
					__m256i x = _mm256_loadu_si256(
						(const __m256i *)(in +
						(((u64)nb * p->in_h + iy) *
						 p->in_w + ix) * p->c + c0 +
						v));

					m = sgn ? _mm256_max_epi8(m, x) :
						  _mm256_max_epu8(m, x);
				}
			}
			m = sgn ? _mm256_min_epi8(_mm256_max_epi8(m, lo), hi) :
				  _mm256_min_epu8(_mm256_max_epu8(m, lo), hi);
			_mm256_storeu_si256((__m256i *)(o + v), m);
		}
		for (j = v; j < w; j++) {
			s32 a = -256;

			for (ky = ky_lo; ky < ky_hi; ky++)
				for (kx = kx_lo; kx < kx_hi; kx++) {
					const u8 *x = in + (((u64)nb * p->in_h +
						(u32)(iy0 + (s32)ky)) * p->in_w +
						(u32)(ix0 + (s32)kx)) * p->c +
						c0 + j;
					s32 b = sgn ? (s32)(s8)*x : (s32)*x;

					a = b > a ? b : a;
				}
			o[j] = (u8)npu_clamp(a, p->act_min, p->act_max);
		}
	}
}

/* ------------------------------------------------------------------ */
/* ELTWISE in the binary32 modes                                       */
/* ------------------------------------------------------------------ */

/* (x - zp) of 8 elements at @p, @cs apart (1, or 0: one broadcast) */
static __always_inline __m256i npu_elt8(const u8 *p, u32 cs, bool sgn,
					s32 zp)
{
	__m256i v;

	if (cs)
		v = sgn ? _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)) :
			  _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
	else
		v = _mm256_set1_epi32(sgn ? (s32)(s8)*p : (s32)*p);
	return _mm256_sub_epi32(v, _mm256_set1_epi32(zp));
}

/* @v as an opaque value: a product the compiler must not fuse into a sum */
static __always_inline __m256 npu_ps_keep(__m256 v)
{
	__asm__("" : "+x"(v));
	return v;
}

/*
 * RM_NPU_ELT_F32 (contract 6.1) over inputs of column stride 1 or 0, 8
 * elements at a time: the AVX-512 variant's arithmetic, the fused
 * multiply-adds by FMA3 (this function only: the CPU is checked first),
 * products and sums rounded as the contract rounds them, to nearest even
 * under the MXCSR that userspace keeps and kernel_fpu_begin() sets. A
 * row's last elements go through a buffer (no load past the row).
 */
__attribute__((target("avx2,fma")))
static void npu_elt_f32_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
			    u64 u, u64 ue)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	const struct rm_npu_elt_input *ia = &e->a, *ib = &e->b;
	const struct rm_npu_requant *rq = &e->rq;
	u32 nblk = (u32)npu_ceil_div(e->cols, NPU_OPS_ELT_BLOCK);
	bool sgn = e->dtype == RM_NPU_DT_INT8, mul = e->op == RM_NPU_ELT_MUL;
	const __m256 sa = _mm256_castsi256_ps(_mm256_set1_epi32(ia->mult));
	const __m256 sb = _mm256_castsi256_ps(_mm256_set1_epi32(ib->mult));
	const __m256 f = _mm256_castsi256_ps(_mm256_set1_epi32(rq->mult));
	const __m256 zpf = _mm256_cvtepi32_ps(_mm256_set1_epi32(rq->zero_point));
	/* MUL: clamp(RNE(y), lo, hi); ADD: clamp(RNE(y) + zp, lo, hi) */
	s32 off = mul ? 0 : rq->zero_point;
	const __m256 lo = _mm256_cvtepi32_ps(_mm256_set1_epi32(rq->act_min -
							       off));
	const __m256 hi = _mm256_cvtepi32_ps(_mm256_set1_epi32(rq->act_max -
							       off));
	const __m256i offv = _mm256_set1_epi32(off);
	s32 za = mul ? ia->zero_point : 0, zb = mul ? ib->zero_point : 0;

	for (; u < ue; u++) {
		u64 r = npu_div_u64(u, nblk);
		u32 c0 = (u32)(u - r * nblk) * NPU_OPS_ELT_BLOCK;
		u32 c1 = npu_min_u32(e->cols, c0 + NPU_OPS_ELT_BLOCK), c;
		const u8 *pa = bo[ia->ref.bo] + ia->ref.offset + r * ia->row_stride;
		const u8 *pb = bo[ib->ref.bo] + ib->ref.offset + r * ib->row_stride;
		u8 *po = bo[e->out.bo] + e->out.offset + r * e->out_row_stride;

		for (c = c0; c < c1; c += 8) {
			u32 n = npu_min_u32(8, c1 - c);
			const u8 *qa = pa + (u64)c * ia->col_stride;
			const u8 *qb = pb + (u64)c * ib->col_stride;
			u8 ta[8], tb[8], to[8];
			__m256i xa, xb, q;
			__m256 fa, fb, y;
			__m128i h;

			if (n < 8) {
				memcpy(ta, qa, ia->col_stride ? n : 1);
				memcpy(tb, qb, ib->col_stride ? n : 1);
				qa = ta;
				qb = tb;
			}
			xa = npu_elt8(qa, ia->col_stride, sgn, za);
			xb = npu_elt8(qb, ib->col_stride, sgn, zb);
			fa = _mm256_cvtepi32_ps(xa);
			fb = _mm256_cvtepi32_ps(xb);
			if (mul) {
				/* |v| <= 65025: fl32(v) is exact */
				y = npu_ps_keep(_mm256_mul_ps(_mm256_cvtepi32_ps(
					_mm256_mullo_epi32(xa, xb)), f));
				y = _mm256_add_ps(y, zpf);
			} else if (cmd->flags & RM_NPU_ELT_F32_SCALAR_B) {
				y = _mm256_add_ps(f, npu_ps_keep(
					_mm256_mul_ps(fb, sb)));
				y = _mm256_fmadd_ps(fa, sa, y);
			} else if (cmd->flags & RM_NPU_ELT_F32_SCALAR_A) {
				y = _mm256_add_ps(f, npu_ps_keep(
					_mm256_mul_ps(fa, sa)));
				y = _mm256_fmadd_ps(fb, sb, y);
			} else {
				y = _mm256_fmadd_ps(fa, sa,
						    _mm256_fmadd_ps(fb, sb, f));
			}
			y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);
			q = _mm256_add_epi32(_mm256_cvtps_epi32(y), offv);
			h = _mm_packs_epi32(_mm256_castsi256_si128(q),
					    _mm256_extracti128_si256(q, 1));
			h = sgn ? _mm_packs_epi16(h, h) : _mm_packus_epi16(h, h);
			if (n == 8) {
				_mm_storel_epi64((__m128i *)(po + c), h);
			} else {
				_mm_storel_epi64((__m128i *)to, h);
				memcpy(po + c, to, n);
			}
		}
	}
}

/* Does npu_elt_f32_run() take @cmd (the CPU having FMA3)? */
static bool npu_elt_f32_ok(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;

	return cmd->opcode == RM_NPU_OP_ELTWISE &&
	       (cmd->flags & RM_NPU_ELT_F32) && e->a.col_stride <= 1 &&
	       e->b.col_stride <= 1 && npu_cpu_fma();
}

static int npu_avx2_exec(const struct rm_npu_cmd *cmd, u8 *const *bo,
			 struct npu_ops_ctx *ctx, const void *packed, u64 u,
			 u64 ue)
{
	struct npu_mm mm;

	if (cmd->opcode == RM_NPU_OP_GEMM) {
		npu_mm_from_gemm(cmd, bo, &mm);
		return npu_mm_run(&mm, ctx, packed, NPU_ISA_AVX2, u, ue);
	}
	if (cmd->opcode == RM_NPU_OP_CONV2D && npu_mm_from_conv(cmd, bo, &mm))
		return npu_mm_run(&mm, ctx, packed, NPU_ISA_AVX2, u, ue);
	if (npu_dw2_ok(cmd))
		return npu_dw2_run(cmd, bo, ctx, u, ue);
	if (cmd->opcode == RM_NPU_OP_POOL2D &&
	    cmd->pool2d.mode == RM_NPU_POOL_MAX) {
		npu_pool_max_run(cmd, bo, u, ue);
		return 0;
	}
	if (npu_elt_f32_ok(cmd)) {
		npu_elt_f32_run(cmd, bo, u, ue);
		return 0;
	}
	return npu_scalar_exec(cmd, bo, u, ue);
}

static u64 npu_avx2_pack_size(const struct rm_npu_cmd *cmd)
{
	struct npu_mm mm;

	return npu_mm_for_pack(cmd, NULL, &mm) ? npu_mm_pack_bytes(&mm) : 0;
}

static void npu_avx2_pack(const struct rm_npu_cmd *cmd, u8 *const *bo,
			  void *dst)
{
	struct npu_mm mm;

	if (npu_mm_for_pack(cmd, bo, &mm))
		npu_mm_pack_all(&mm, NPU_ISA_AVX2, dst);
}

const struct npu_isa_ops npu_isa_avx2 = {
	.name = "avx2",
	.simd = true,
	.exec = npu_avx2_exec,
	.pack_size = npu_avx2_pack_size,
	.pack = npu_avx2_pack,
};

#endif /* NPU_OPS_HAVE_AVX2 && !__CHECKER__ */
