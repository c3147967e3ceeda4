// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu_ops_avx512.c - the AVX-512 (F, BW, VL, DQ, VNNI) execution variant:
 * GEMM and dense CONV2D on VPDPBUSD (exact: it adds four u8 x s8 products
 * to an int32 without saturation), depthwise CONV2D across channels, the
 * epilogue 16 channels at a time; other opcodes run the portable variant.
 * Userspace builds it with a target pragma, the kernel with Kbuild's flags,
 * and runs it between kernel_fpu_begin() and kernel_fpu_end().
 */
#define NPU_OPS_SIMD_UNIT
#if defined(__GNUC__) && !defined(__clang__) && !defined(__KERNEL__)
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2")
#endif
#include "npu_ops_impl.h"

/* sparse cannot parse the compiler's intrinsics headers: it skips this file */
#if defined(NPU_OPS_HAVE_AVX512) && !defined(__CHECKER__)

#define NPU_MM_MR	6
#define NPU_MM_KSTEP	4
#define NPU_MM_KC	4096
#define NPU_MM_ASZ	1

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
#define NPU_MM_KERNEL_EPI
static bool npu_mm_kernel_epi(const struct npu_mm *mm,
			      const struct npu_mm_epi *e, u32 nr, u32 nv,
			      const u8 *const *rows, const u8 *panel, u32 kc,
			      u32 nseg, u64 sstride, const s32 *rowsum, u32 w,
			      u8 *out, u64 stride);
static bool npu_mm_strip_epi(const struct npu_mm *mm,
			     const struct npu_mm_epi *e, u32 nv, const u8 *a,
			     u64 lda, u64 ntiles, const u8 *panel, u32 kc,
			     u32 w, u8 *out, u64 stride);
static bool npu_mm_epi_fused(const struct npu_mm_epi *e);

/*
 * Copies of im2col runs and A rows: 64 bytes a vector, the tail in one
 * masked load and store (no call; the runs are short).
 */
static __always_inline void npu_mm_bytes(u8 *dst, const u8 *src, u32 n)
{
	__mmask64 m;

	for (; n > 64; n -= 64, dst += 64, src += 64)
		_mm512_storeu_si512(dst, _mm512_loadu_si512(src));
	m = n >= 64 ? ~0ULL : (1ULL << n) - 1;
	_mm512_mask_storeu_epi8(dst, m, _mm512_maskz_loadu_epi8(m, src));
}

#include "npu_ops_mm.h"

_Static_assert(NPU_MM_SC_END <= NPU_OPS_SCRATCH_SIZE, "scratch size");

static inline __mmask64 npu_mask64(u32 n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

static inline __mmask16 npu_mask16(u32 n)
{
	return n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
}

/* ------------------------------------------------------------------ */
/* Panels: [k quad][16-column vector][16 columns][4 k]                 */
/* ------------------------------------------------------------------ */

/*
 * Quads [k0/4, (k0 + kc)/4) of columns [col0, col0 + w) (w <= 64): four
 * rows of B interleaved byte by byte so that each int32 lane holds four
 * consecutive k of one column; k >= K and columns >= w are 0. For signed A
 * the panel holds B + 128 (B ^ 0x80, the unsigned operand), its padding
 * still 0. @colsum gets sum_k B for each of the 64 columns.
 */
static void npu_mm_pack(const struct npu_mm *mm, u32 col0, u32 w, u32 k0,
			u32 kc, u8 *dst, s32 *colsum)
{
	const __m512i ones = _mm512_set1_epi8(1);
	const __m512i flip = _mm512_set1_epi8((char)0x80);
	u32 nq = npu_mm_ksteps(kc), nv = (w + 15) / 16, q, v, i;
	__m512i cs[4] = { _mm512_setzero_si512(), _mm512_setzero_si512(),
			  _mm512_setzero_si512(), _mm512_setzero_si512() };
	__m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11,
							  10, 9, 8, 7, 6, 5, 4,
							  3, 2, 1, 0),
					 _mm512_set1_epi32((int)mm->ldb));

	for (q = 0; q < nq; q++) {
		u32 k = k0 + 4 * q, kn = npu_min_u32(4, k0 + kc - k);
		/* bytes of each lane that hold a k < K */
		__mmask64 kmask = kn == 4 ? ~0ULL :
				  0x1111111111111111ULL * ((1u << kn) - 1);
		__m512i vec[4];

		if (mm->bt) {
			/* columns are rows of W: one u32 (4 k) per column */
			for (v = 0; v < nv; v++) {
				const s8 *base = mm->b + (u64)(col0 + 16 * v) *
						 mm->ldb + k;
				__mmask16 cm = npu_mask16(w - 16 * v);

				if (kn == 4) {
					vec[v] = _mm512_mask_i32gather_epi32(
						_mm512_setzero_si512(), cm, idx,
						base, 1);
				} else {
					u32 t[16] = { 0 };

					for (i = 0; i < 16 && 16 * v + i < w; i++)
						memcpy(&t[i], base +
						       (u64)i * mm->ldb, kn);
					vec[v] = _mm512_loadu_si512(t);
				}
			}
		} else {
			__m512i r[4], t0, t1, t2, t3, q0, q1, q2, q3, a, b;
			__mmask64 cm = npu_mask64(w);

			for (i = 0; i < 4; i++)
				r[i] = i < kn ? _mm512_maskz_loadu_epi8(cm,
					mm->b + (u64)(k + i) * mm->ldb + col0) :
					_mm512_setzero_si512();
			t0 = _mm512_unpacklo_epi8(r[0], r[1]);
			t1 = _mm512_unpackhi_epi8(r[0], r[1]);
			t2 = _mm512_unpacklo_epi8(r[2], r[3]);
			t3 = _mm512_unpackhi_epi8(r[2], r[3]);
			/* qi, lane L: columns 16 L + 4 i .. + 3 */
			q0 = _mm512_unpacklo_epi16(t0, t2);
			q1 = _mm512_unpackhi_epi16(t0, t2);
			q2 = _mm512_unpacklo_epi16(t1, t3);
			q3 = _mm512_unpackhi_epi16(t1, t3);
			/* 4x4 transpose of 128-bit lanes: vector v, columns 16 v.. */
			a = _mm512_shuffle_i32x4(q0, q1, 0x44);	/* q0L0 q0L1 q1L0 q1L1 */
			b = _mm512_shuffle_i32x4(q2, q3, 0x44);
			vec[0] = _mm512_shuffle_i32x4(a, b, 0x88);
			vec[1] = _mm512_shuffle_i32x4(a, b, 0xdd);
			a = _mm512_shuffle_i32x4(q0, q1, 0xee);
			b = _mm512_shuffle_i32x4(q2, q3, 0xee);
			vec[2] = _mm512_shuffle_i32x4(a, b, 0x88);
			vec[3] = _mm512_shuffle_i32x4(a, b, 0xdd);
		}
		for (v = 0; v < nv; v++) {
			__m512i x = vec[v];

			cs[v] = _mm512_dpbusd_epi32(cs[v], ones, x);
			if (mm->sgn)
				x = _mm512_xor_si512(x, flip);
			x = _mm512_maskz_mov_epi8(kmask, x);
			_mm512_storeu_si512(dst + ((u64)q * nv + v) * 64, x);
		}
	}
	for (v = 0; v < 4; v++)
		_mm512_storeu_si512(colsum + 16 * v, cs[v]);
}

/* ------------------------------------------------------------------ */
/* Micro-kernel: NR rows x NV vectors of 16 columns                    */
/* ------------------------------------------------------------------ */

/*
 * Vector @v of one row's exact int32 result in registers: the sums @c plus
 * the row's zero-point term @rt, the column term and the bias, if any.
 */
static __always_inline __m512i npu_mm_epi_acc(const struct npu_mm_epi *e,
					      __m512i c, __m512i rt, u32 v)
{
	__m512i ct = _mm512_loadu_si512(e->colterm + 16 * v);

	if (e->has_bias)
		ct = _mm512_add_epi32(ct, _mm512_loadu_si512(e->bias + 16 * v));
	return _mm512_add_epi32(_mm512_add_epi32(c, rt), ct);
}

static __always_inline void npu_k512(const u8 *const *rows, const u8 *panel,
				     u32 nq, u32 nseg, u64 sstride,
				     s32 *acc, bool first,
				     const u32 NR, const u32 NV, bool sgn,
				     const struct npu_mm *mm,
				     const struct npu_mm_epi *e,
				     const s32 *rowsum, u32 w, u8 *out,
				     u64 stride, const bool EPI)
{
	__m512i c[NPU_MM_MR][4];
	u32 q, i, v, sg;

#pragma GCC unroll 8
	for (i = 0; i < NR; i++)
#pragma GCC unroll 4
		for (v = 0; v < NV; v++)
			c[i][v] = first || EPI ? _mm512_setzero_si512() :
				  _mm512_loadu_si512(acc + i * NPU_MM_COLS +
						     16 * v);
	/* nseg runs of nq quads, run sg of row i at rows[i] + sg * sstride */
	for (sg = 0; sg < nseg; sg++) {
		for (q = 0; q < nq; q++) {
			const u8 *p = panel + ((u64)sg * nq + q) * NV * 64;
			__m512i b[4];

#pragma GCC unroll 4
			for (v = 0; v < NV; v++)
				b[v] = _mm512_loadu_si512(p + 64 * v);
#pragma GCC unroll 8
			for (i = 0; i < NR; i++) {
				u32 x;
				__m512i a;

				memcpy(&x, rows[i] + sg * sstride + 4 * (u64)q, 4);
				a = _mm512_set1_epi32((int)x);
#pragma GCC unroll 4
				for (v = 0; v < NV; v++)
					c[i][v] = sgn ?
						  _mm512_dpbusd_epi32(c[i][v], b[v], a) :
						  _mm512_dpbusd_epi32(c[i][v], a, b[v]);
			}
		}
	}
	if (EPI && e->out_dtype == RM_NPU_DT_INT32) {
		/*
		 * INT32 output: the sums with the zero-point terms (and a
		 * bias that cannot saturate) straight to the output rows.
		 */
#pragma GCC unroll 8
		for (i = 0; i < NR; i++) {
			__m512i rt = _mm512_set1_epi32(npu_mm_rowterm(mm,
								      rowsum[i]));
			u8 *o = out + i * stride;

#pragma GCC unroll 4
			for (v = 0; v < NV; v++) {
				__m512i x = npu_mm_epi_acc(e, c[i][v], rt, v);

				if (NV < 4 || w < 64)
					_mm512_mask_storeu_epi32(o + 64 * v,
						npu_mask16(w - 16 * v), x);
				else
					_mm512_storeu_si512(o + 64 * v, x);
			}
		}
		return;
	}
	if (EPI) {
		/*
		 * The binary32 epilogue (contract 3.4) of the sums in
		 * registers, no bias sum saturating: four full vectors go out
		 * in one store, packed (exact: clamped to the output type
		 * first) and put back in order.
		 */
		const __m512 lo = _mm512_cvtepi32_ps(_mm512_set1_epi32(e->lo -
								       e->zp));
		const __m512 hi = _mm512_cvtepi32_ps(_mm512_set1_epi32(e->hi -
								       e->zp));
		const __m512i zp = _mm512_set1_epi32(e->zp);
		const __m512i perm = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6,
						      2, 13, 9, 5, 1, 12, 8,
						      4, 0);
		bool sout = e->out_dtype == RM_NPU_DT_INT8;

#pragma GCC unroll 8
		for (i = 0; i < NR; i++) {
			__m512i rt = _mm512_set1_epi32(npu_mm_rowterm(mm,
								      rowsum[i]));
			u8 *o = out + i * stride;
			__m512i y0 = zp, y1 = zp, y2 = zp, y3 = zp, p01, p23;

#pragma GCC unroll 4
			for (v = 0; v < NV; v++) {
				__m512 sc = _mm512_castsi512_ps(
					_mm512_loadu_si512(e->fscale + 16 * v));
				__m512i x = npu_mm_epi_acc(e, c[i][v], rt, v);
				__m512 f;

				f = _mm512_mul_ps(_mm512_cvtepi32_ps(x), sc);
				f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
				x = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
				if (NV < 4 || w < 64) {
					_mm_mask_storeu_epi8(o + 16 * v,
						npu_mask16(w - 16 * v),
						_mm512_cvtepi32_epi8(x));
					continue;
				}
				if (v == 0)
					y0 = x;
				else if (v == 1)
					y1 = x;
				else if (v == 2)
					y2 = x;
				else
					y3 = x;
			}
			if (NV < 4 || w < 64)
				continue;
			p01 = _mm512_packs_epi32(y0, y1);
			p23 = _mm512_packs_epi32(y2, y3);
			/* lane L, dword j: channels 16 j + 4 L .. + 3 */
			_mm512_storeu_si512(o, _mm512_permutexvar_epi32(perm,
				sout ? _mm512_packs_epi16(p01, p23) :
				       _mm512_packus_epi16(p01, p23)));
		}
		return;
	}
#pragma GCC unroll 8
	for (i = 0; i < NR; i++)
#pragma GCC unroll 4
		for (v = 0; v < NV; v++)
			_mm512_storeu_si512(acc + i * NPU_MM_COLS + 16 * v,
					    c[i][v]);
}

#define NPU_K512_1(nr, nvv, sgn, epi)					\
	npu_k512(rows, panel, nq, nseg, sstride, acc, first, nr, nvv,	\
		 sgn, mm, e,						\
		 rowsum, w, out, stride, epi)

#define NPU_K512_NV(nr, sgn, epi)					\
	do {								\
		switch (nv) {						\
		case 1:							\
			NPU_K512_1(nr, 1, sgn, epi);			\
			break;						\
		case 2:							\
			NPU_K512_1(nr, 2, sgn, epi);			\
			break;						\
		case 3:							\
			NPU_K512_1(nr, 3, sgn, epi);			\
			break;						\
		default:						\
			NPU_K512_1(nr, 4, sgn, epi);			\
			break;						\
		}							\
	} while (0)

#define NPU_K512_NR(sgn, epi)						\
	do {								\
		switch (nr) {						\
		case 1:							\
			NPU_K512_NV(1, sgn, epi);			\
			break;						\
		case 2:							\
			NPU_K512_NV(2, sgn, epi);			\
			break;						\
		case 3:							\
			NPU_K512_NV(3, sgn, epi);			\
			break;						\
		case 4:							\
			NPU_K512_NV(4, sgn, epi);			\
			break;						\
		case 5:							\
			NPU_K512_NV(5, sgn, epi);			\
			break;						\
		default:						\
			NPU_K512_NV(6, sgn, epi);			\
			break;						\
		}							\
	} while (0)

static void npu_mm_kernel(const struct npu_mm *mm, u32 nr, u32 nv,
			  const u8 *const *rows, const u8 *panel, u32 kc,
			  s32 *acc, bool first)
{
	u32 nq = npu_mm_ksteps(kc), nseg = 1;
	const struct npu_mm_epi *e = NULL;
	u64 sstride = 0;
	const s32 *rowsum = NULL;
	u8 *out = NULL;
	u64 stride = 0;
	u32 w = 0;

	if (mm->sgn)
		NPU_K512_NR(true, false);
	else
		NPU_K512_NR(false, false);
}

/*
 * Whether the sums in registers go straight to the output: the binary32
 * epilogue to bytes, or INT32 output; never with a bias sum that could
 * saturate.
 */
static bool npu_mm_epi_fused(const struct npu_mm_epi *e)
{
	if (e->has_bias && !e->bias_safe)
		return false;
	return e->out_dtype == RM_NPU_DT_INT32 || e->f32;
}

/*
 * A tile whose sums fit one k block, straight to its output with the
 * binary32 epilogue or as INT32; false (nothing done) for the other
 * epilogues.
 */
static bool npu_mm_kernel_epi(const struct npu_mm *mm,
			      const struct npu_mm_epi *e, u32 nr, u32 nv,
			      const u8 *const *rows, const u8 *panel, u32 kc,
			      u32 nseg, u64 sstride, const s32 *rowsum, u32 w,
			      u8 *out, u64 stride)
{
	u32 nq = npu_mm_ksteps(kc) / nseg;
	s32 *acc = NULL;
	bool first = true;

	if (!npu_mm_epi_fused(e))
		return false;
	if (mm->sgn)
		NPU_K512_NR(true, true);
	else
		NPU_K512_NR(false, true);
	return true;
}

/*
 * @ntiles whole tiles of NPU_MM_MR rows @lda bytes apart from @a (rows read
 * in place), each straight to its output as npu_mm_kernel_epi(): one call
 * for a run of tiles, not a pass of the driver per tile. False (nothing
 * done) where npu_mm_kernel_epi() would refuse.
 */
static bool npu_mm_strip_epi(const struct npu_mm *mm,
			     const struct npu_mm_epi *e, u32 nv, const u8 *a,
			     u64 lda, u64 ntiles, const u8 *panel, u32 kc,
			     u32 w, u8 *out, u64 stride)
{
	s32 rowsum[NPU_MM_MR] = { 0 };
	u64 tl;

	if (!npu_mm_epi_fused(e))
		return false;
	for (tl = 0; tl < ntiles; tl++) {
		const u8 *rows[NPU_MM_MR];
		u32 i;

		for (i = 0; i < NPU_MM_MR; i++) {
			rows[i] = a + (tl * NPU_MM_MR + i) * lda;
			/* c1 = 0 (uint8 A, zb 0): no row term */
			if (mm->sgn || mm->zb)
				rowsum[i] = npu_mm_rowsum(rows[i], kc, mm->sgn);
		}
		npu_mm_kernel_epi(mm, e, NPU_MM_MR, nv, rows, panel, kc, 1, 0,
				  rowsum, w, out + tl * NPU_MM_MR * stride,
				  stride);
	}
	return true;
}

/* sum of @n bytes, signed or not: VPDPBUSD against ones, 64 at a time */
static s32 npu_mm_rowsum(const u8 *p, u32 n, bool sgn)
{
	const __m512i ones = _mm512_set1_epi8(1);
	__m512i s = _mm512_setzero_si512();
	u32 i = 0;

	if (sgn) {
		for (; i + 64 <= n; i += 64)
			s = _mm512_dpbusd_epi32(s, ones, _mm512_loadu_si512(p + i));
		if (i < n)
			s = _mm512_dpbusd_epi32(s, ones, _mm512_maskz_loadu_epi8(
				npu_mask64(n - i), p + i));
	} else {
		for (; i + 64 <= n; i += 64)
			s = _mm512_dpbusd_epi32(s, _mm512_loadu_si512(p + i), ones);
		if (i < n)
			s = _mm512_dpbusd_epi32(s, _mm512_maskz_loadu_epi8(
				npu_mask64(n - i), p + i), ones);
	}
	return _mm512_reduce_add_epi32(s);
}

/* ------------------------------------------------------------------ */
/* Epilogue, 16 channels at a time                                     */
/* ------------------------------------------------------------------ */

/* requant of 8 int64 lanes, saturated to int32 (the clamp comes after) */
static __always_inline __m256i npu_rq8(__m512i x, __m512i mult, __m512i rnd,
				       __m512i total)
{
	__m512i p = _mm512_add_epi64(_mm512_mul_epi32(x, mult), rnd);

	return _mm512_cvtsepi64_epi32(_mm512_srav_epi64(p, total));
}

/* The epilogue of 16 channels from j; per-tensor scales broadcast. */
static __always_inline void npu_epi16(const struct npu_mm_epi *e, __m512i x,
				      u32 j, u32 n, u8 *out)
{
	__mmask16 m = npu_mask16(n);
	__m512i y, m0, m1, r0, r1, t0, t1;

	if (e->has_bias && e->bias_safe) {
		x = _mm512_add_epi32(x, _mm512_loadu_si512(e->bias + j));
	} else if (e->has_bias) {
		__m512i b = _mm512_loadu_si512(e->bias + j);
		__m512i s = _mm512_add_epi32(x, b);
		__mmask16 ovf = _mm512_movepi32_mask(
			_mm512_and_si512(_mm512_xor_si512(x, s),
					 _mm512_xor_si512(b, s)));
		__m512i sat = _mm512_xor_si512(_mm512_srai_epi32(x, 31),
					       _mm512_set1_epi32(0x7fffffff));

		x = _mm512_mask_mov_epi32(s, ovf, sat);
	}
	if (e->out_dtype == RM_NPU_DT_INT32) {
		_mm512_mask_storeu_epi32(out + 4 * (u64)j, m, x);
		return;
	}
	if (e->f32) {
		/*
		 * Contract 3.4: fl32(x) * s, clamped in binary32 to the
		 * integer bounds [lo - zp, hi - zp] (the same as after the
		 * rounding), rounded to nearest even by VCVTPS2DQ.
		 */
		__m512 f = _mm512_cvtepi32_ps(x);
		__m512 sc = e->per_channel ?
			    _mm512_castsi512_ps(_mm512_loadu_si512(e->fscale + j)) :
			    _mm512_castsi512_ps(_mm512_set1_epi32((int)e->fscale[0]));

		f = _mm512_max_ps(_mm512_mul_ps(f, sc), _mm512_cvtepi32_ps(
			_mm512_set1_epi32(e->lo - e->zp)));
		f = _mm512_min_ps(f, _mm512_cvtepi32_ps(
			_mm512_set1_epi32(e->hi - e->zp)));
		y = _mm512_cvtps_epi32(f);
		goto clamp;
	}
	if (e->hi_only) {
		__m512i mv, pe, po;

		if (e->per_channel) {
			mv = _mm512_loadu_si512(e->mult32 + j);
			r0 = _mm512_loadu_si512(e->rnd32 + j);
			t0 = _mm512_loadu_si512(e->sh32 + j);
		} else {
			mv = _mm512_set1_epi32(e->mult32[0]);
			r0 = _mm512_set1_epi32(e->rnd32[0]);
			t0 = _mm512_set1_epi32(e->sh32[0]);
		}
		pe = _mm512_mul_epi32(x, mv);
		po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32),
				      _mm512_srli_epi64(mv, 32));
		y = _mm512_mask_blend_epi32(0xaaaa, _mm512_srli_epi64(pe, 32),
					    po);
		y = _mm512_srav_epi32(_mm512_add_epi32(y, r0), t0);
		goto clamp;
	}
	if (e->per_channel) {
		m0 = _mm512_loadu_si512(e->mult + j);
		m1 = _mm512_loadu_si512(e->mult + j + 8);
		r0 = _mm512_loadu_si512(e->rnd + j);
		r1 = _mm512_loadu_si512(e->rnd + j + 8);
		t0 = _mm512_loadu_si512(e->total + j);
		t1 = _mm512_loadu_si512(e->total + j + 8);
	} else {
		m0 = _mm512_set1_epi64(e->mult[0]);
		r0 = _mm512_set1_epi64(e->rnd[0]);
		t0 = _mm512_set1_epi64(e->total[0]);
		m1 = m0;
		r1 = r0;
		t1 = t0;
	}
	y = _mm512_inserti64x4(_mm512_castsi256_si512(
		npu_rq8(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(x)),
			m0, r0, t0)),
		npu_rq8(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(x, 1)),
			m1, r1, t1), 1);
clamp:
	/* clamp(r + zp, lo, hi) = clamp(r, lo - zp, hi - zp) + zp, no overflow */
	y = _mm512_max_epi32(y, _mm512_set1_epi32(e->lo - e->zp));
	y = _mm512_min_epi32(y, _mm512_set1_epi32(e->hi - e->zp));
	y = _mm512_add_epi32(y, _mm512_set1_epi32(e->zp));
	_mm_mask_storeu_epi8(out + j, m, _mm512_cvtepi32_epi8(y));
}

static void npu_mm_epi(const struct npu_mm *mm, const struct npu_mm_epi *e,
		       const s32 *acc, s32 rowsum, u32 w, u8 *out)
{
	__m512i rt = _mm512_set1_epi32(npu_mm_rowterm(mm, rowsum));
	u32 j;

	for (j = 0; j < w; j += 16) {
		__m512i x = _mm512_add_epi32(_mm512_loadu_si512(acc + j), rt);

		x = _mm512_add_epi32(x, _mm512_loadu_si512(e->colterm + j));
		npu_epi16(e, x, j, w - j, out);
	}
}

/*
 * Rows of a tile with the binary32 rescale (contract 3.4, as npu_epi16())
 * when no bias sum can saturate: every per-channel vector loaded once.
 */
static void npu_mm_epi_rows_f32(const struct npu_mm *mm,
				const struct npu_mm_epi *e, const s32 *acc,
				const s32 *rowsum, u32 nr, u32 w, u8 *out,
				u64 stride)
{
	__m512i ct[4], zp = _mm512_set1_epi32(e->zp);
	__m512 sc[4];
	__m512 lo = _mm512_cvtepi32_ps(_mm512_set1_epi32(e->lo - e->zp));
	__m512 hi = _mm512_cvtepi32_ps(_mm512_set1_epi32(e->hi - e->zp));
	u32 nv = (w + 15) / 16, i, v;

	for (v = 0; v < nv; v++) {
		/* no sum can overflow with the bias: fold it in */
		ct[v] = _mm512_loadu_si512(e->colterm + 16 * v);
		if (e->has_bias)
			ct[v] = _mm512_add_epi32(ct[v],
				_mm512_loadu_si512(e->bias + 16 * v));
		/* per tensor, every lane holds the one scale */
		sc[v] = _mm512_castsi512_ps(_mm512_loadu_si512(e->fscale +
							       16 * v));
	}
	for (i = 0; i < nr; i++) {
		__m512i rt = _mm512_set1_epi32(npu_mm_rowterm(mm, rowsum[i]));
		u8 *o = out + i * stride;

		for (v = 0; v < nv; v++) {
			__m512i x = _mm512_add_epi32(_mm512_add_epi32(
				_mm512_loadu_si512(acc + i * NPU_MM_COLS + 16 * v),
				rt), ct[v]);
			__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(x), sc[v]);

			f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
			_mm_mask_storeu_epi8(o + 16 * v, npu_mask16(w - 16 * v),
				_mm512_cvtepi32_epi8(_mm512_add_epi32(
					_mm512_cvtps_epi32(f), zp)));
		}
	}
}

/*
 * Rows of a tile: the common case (per-tensor or per-channel scales with
 * total >= 33, no bias saturation, byte output) with every per-channel
 * vector loaded once for all rows; the others row by row.
 */
static void npu_mm_epi_rows(const struct npu_mm *mm,
			    const struct npu_mm_epi *e, const s32 *acc,
			    const s32 *rowsum, u32 nr, u32 w, u8 *out,
			    u64 stride)
{
	__m512i ct[4], mv[4], mo[4], rv[4], sv[4], lo, hi, zp;
	u32 nv = (w + 15) / 16, i, v;

	if (e->f32 && e->out_dtype != RM_NPU_DT_INT32 &&
	    (!e->has_bias || e->bias_safe)) {
		npu_mm_epi_rows_f32(mm, e, acc, rowsum, nr, w, out, stride);
		return;
	}
	if (!e->hi_only || e->out_dtype == RM_NPU_DT_INT32 ||
	    (e->has_bias && !e->bias_safe)) {
		for (i = 0; i < nr; i++)
			npu_mm_epi(mm, e, acc + i * NPU_MM_COLS, rowsum[i], w,
				   out + i * stride);
		return;
	}
	for (v = 0; v < nv; v++) {
		/* no sum can overflow with the bias: fold it in */
		ct[v] = _mm512_loadu_si512(e->colterm + 16 * v);
		if (e->has_bias)
			ct[v] = _mm512_add_epi32(ct[v],
				_mm512_loadu_si512(e->bias + 16 * v));
		if (e->per_channel) {
			mv[v] = _mm512_loadu_si512(e->mult32 + 16 * v);
			rv[v] = _mm512_loadu_si512(e->rnd32 + 16 * v);
			sv[v] = _mm512_loadu_si512(e->sh32 + 16 * v);
		} else {
			mv[v] = _mm512_set1_epi32(e->mult32[0]);
			rv[v] = _mm512_set1_epi32(e->rnd32[0]);
			sv[v] = _mm512_set1_epi32(e->sh32[0]);
		}
		mo[v] = _mm512_srli_epi64(mv[v], 32);
	}
	lo = _mm512_set1_epi32(e->lo - e->zp);
	hi = _mm512_set1_epi32(e->hi - e->zp);
	zp = _mm512_set1_epi32(e->zp);
	for (i = 0; i < nr; i++) {
		__m512i rt = _mm512_set1_epi32(npu_mm_rowterm(mm, rowsum[i]));
		u8 *o = out + i * stride;

		for (v = 0; v < nv; v++) {
			__m512i x = _mm512_add_epi32(_mm512_add_epi32(
				_mm512_loadu_si512(acc + i * NPU_MM_COLS + 16 * v),
				rt), ct[v]);
			__m512i pe = _mm512_mul_epi32(x, mv[v]);
			__m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32),
						      mo[v]);
			__m512i y = _mm512_mask_blend_epi32(0xaaaa,
				_mm512_srli_epi64(pe, 32), po);

			y = _mm512_srav_epi32(_mm512_add_epi32(y, rv[v]), sv[v]);
			y = _mm512_min_epi32(_mm512_max_epi32(y, lo), hi);
			_mm_mask_storeu_epi8(o + 16 * v, npu_mask16(w - 16 * v),
				_mm512_cvtepi32_epi8(_mm512_add_epi32(y, zp)));
		}
	}
}

/* ------------------------------------------------------------------ */
/* Depthwise CONV2D (one weight per input channel and tap)             */
/* ------------------------------------------------------------------ */

#define NPU_DW_MAX_TAPS	64

/*
 * Taps go four at a time through VPDPBUSD: the input bytes of four taps
 * are interleaved so that each int32 lane holds one channel's four taps
 * (unsigned: x, or x ^ 0x80 = x + 128 for INT8 input), against the packed
 * weights (signed, raw). The in-lane byte and word interleaves leave lane
 * L of vector i with channels 16 L + 4 i .. + 3; the weights are packed in
 * that order and the four sums are put back in channel order once per
 * pixel. Taps past the last group of four and taps outside the input read
 * the (shifted) input zero point, so they add 0 to
 *   sum (x - zx)(w - zw) = S - zw sum x - zx sum w + T zx zw
 * (T the padded tap count; sum w over the real taps, padding weights 0).
 */
struct npu_dw {
	u32 groups;		/* of four taps */
	s32 zx;			/* input zero point as the unsigned operand */
};

static void npu_dw_pack(const struct rm_npu_cmd_conv2d *c, const s8 *wsrc,
			u32 oc0, u32 w, const struct npu_dw *dw, u8 *dst,
			s32 *colterm)
{
	u32 taps = c->k_h * c->k_w, ch, t;
	s32 tz = npu_mul32(npu_mul32(4 * (s32)dw->groups, dw->zx),
			   c->w_zero_point);

	memset(dst, 0, (u64)dw->groups * 4 * 64);
	for (ch = 0; ch < NPU_MM_COLS; ch++) {
		/* channel ch: vector (ch / 4) % 4, lane 4 (ch / 16) + ch % 4 */
		u8 *d = dst + (((ch / 4) % 4) * 16 + 4 * (ch / 16) + ch % 4) * 4;
		const s8 *ws = wsrc + (u64)(oc0 + ch) * taps;
		s32 sw = 0;

		for (t = 0; t < taps && ch < w; t++) {
			d[(t / 4) * 4 * 64 + t % 4] = (u8)ws[t];
			sw += ws[t];
		}
		colterm[ch] = npu_add32(npu_mul32(-dw->zx, sw), tz);
	}
}

/* Four vectors in lane-permuted channel order back to channel order. */
static inline void npu_unpermute(__m512i *v)
{
	__m512i a = _mm512_shuffle_i32x4(v[0], v[1], 0x44);
	__m512i b = _mm512_shuffle_i32x4(v[2], v[3], 0x44);
	__m512i e = _mm512_shuffle_i32x4(v[0], v[1], 0xee);
	__m512i f = _mm512_shuffle_i32x4(v[2], v[3], 0xee);

	v[0] = _mm512_shuffle_i32x4(a, b, 0x88);
	v[1] = _mm512_shuffle_i32x4(a, b, 0xdd);
	v[2] = _mm512_shuffle_i32x4(e, f, 0x88);
	v[3] = _mm512_shuffle_i32x4(e, f, 0xdd);
}

/*
 * What the pixels of one 64-channel block of a depthwise CONV2D share (in
 * the scratch, after the GEMM driver's part: too large for a kernel stack).
 */
struct npu_dwb {
	u64 toff[NPU_DW_MAX_TAPS];	/* tap t of an interior pixel */
	const u8 *tp[NPU_DW_MAX_TAPS];	/* each tap's input of a pixel */
	const u8 *wpk;		/* packed weights */
	u32 groups;
	__mmask64 cm;		/* the block's channels */
	u32 w;
	const struct npu_mm_epi *e;
	bool fast;		/* the tile epilogue's case: vectors below */
	__m512i ct[4], mv[4], mo[4], rv[4], sv[4];
};

#define NPU_DW_SC_BLK	((NPU_MM_SC_END + 63) & ~(u64)63)
_Static_assert(NPU_DW_SC_BLK + sizeof(struct npu_dwb) <= NPU_OPS_SCRATCH_SIZE,
	       "depthwise scratch");

/* acc[0..3] (+)= the four-tap groups of one pixel, taps at @tp */
static __always_inline void npu_dw_taps(const struct npu_dwb *b,
					const u8 *const *tp, __m512i *acc,
					__m512i *sx, const bool SGN,
					const bool ZW)
{
	const __m512i flip = _mm512_set1_epi8((char)0x80);
	const __m512i ones = _mm512_set1_epi8(1);
	u32 g;

	for (g = 0; g < b->groups; g++) {
		const u8 *wg = b->wpk + (u64)g * 4 * 64;
		__m512i x0 = _mm512_maskz_loadu_epi8(b->cm, tp[4 * g]);
		__m512i x1 = _mm512_maskz_loadu_epi8(b->cm, tp[4 * g + 1]);
		__m512i x2 = _mm512_maskz_loadu_epi8(b->cm, tp[4 * g + 2]);
		__m512i x3 = _mm512_maskz_loadu_epi8(b->cm, tp[4 * g + 3]);
		__m512i t0, t1, t2, t3, q0, q1, q2, q3;

		if (SGN) {
			x0 = _mm512_xor_si512(x0, flip);
			x1 = _mm512_xor_si512(x1, flip);
			x2 = _mm512_xor_si512(x2, flip);
			x3 = _mm512_xor_si512(x3, flip);
		}
		t0 = _mm512_unpacklo_epi8(x0, x1);
		t1 = _mm512_unpackhi_epi8(x0, x1);
		t2 = _mm512_unpacklo_epi8(x2, x3);
		t3 = _mm512_unpackhi_epi8(x2, x3);
		q0 = _mm512_unpacklo_epi16(t0, t2);
		q1 = _mm512_unpackhi_epi16(t0, t2);
		q2 = _mm512_unpacklo_epi16(t1, t3);
		q3 = _mm512_unpackhi_epi16(t1, t3);
		acc[0] = _mm512_dpbusd_epi32(acc[0], q0, _mm512_loadu_si512(wg));
		acc[1] = _mm512_dpbusd_epi32(acc[1], q1,
					     _mm512_loadu_si512(wg + 64));
		acc[2] = _mm512_dpbusd_epi32(acc[2], q2,
					     _mm512_loadu_si512(wg + 128));
		acc[3] = _mm512_dpbusd_epi32(acc[3], q3,
					     _mm512_loadu_si512(wg + 192));
		if (!ZW)
			continue;
		sx[0] = _mm512_dpbusd_epi32(sx[0], q0, ones);
		sx[1] = _mm512_dpbusd_epi32(sx[1], q1, ones);
		sx[2] = _mm512_dpbusd_epi32(sx[2], q2, ones);
		sx[3] = _mm512_dpbusd_epi32(sx[3], q3, ones);
	}
}

/* One output pixel: sums, back in channel order, epilogue. */
static __always_inline void npu_dw_pixel(const struct npu_dwb *b,
					 const u8 *const *tp, s32 zw, u8 *o,
					 const bool SGN, const bool ZW)
{
	__m512i acc[4], sx[4];
	u32 v, nv = (b->w + 15) / 16;

	for (v = 0; v < 4; v++) {
		acc[v] = _mm512_setzero_si512();
		sx[v] = _mm512_setzero_si512();
	}
	npu_dw_taps(b, tp, acc, sx, SGN, ZW);
	npu_unpermute(acc);
	if (ZW)
		npu_unpermute(sx);
	for (v = 0; v < nv; v++) {
		__m512i y = acc[v];

		if (ZW)
			y = _mm512_sub_epi32(y, _mm512_mullo_epi32(sx[v],
					     _mm512_set1_epi32(zw)));
		if (b->fast) {
			__m512i x = _mm512_add_epi32(y, b->ct[v]);
			__m512i pe = _mm512_mul_epi32(x, b->mv[v]);
			__m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32),
						      b->mo[v]);

			y = _mm512_mask_blend_epi32(0xaaaa,
				_mm512_srli_epi64(pe, 32), po);
			y = _mm512_srav_epi32(_mm512_add_epi32(y, b->rv[v]),
					      b->sv[v]);
			y = _mm512_max_epi32(y, _mm512_set1_epi32(b->e->lo -
								  b->e->zp));
			y = _mm512_min_epi32(y, _mm512_set1_epi32(b->e->hi -
								  b->e->zp));
			y = _mm512_add_epi32(y, _mm512_set1_epi32(b->e->zp));
			_mm_mask_storeu_epi8(o + 16 * v,
					     npu_mask16(b->w - 16 * v),
					     _mm512_cvtepi32_epi8(y));
			continue;
		}
		y = _mm512_add_epi32(y, _mm512_loadu_si512(b->e->colterm +
							   16 * v));
		npu_epi16(b->e, y, 16 * v, b->w - 16 * v, o);
	}
}

static void npu_dw_block_vectors(struct npu_dwb *b)
{
	const struct npu_mm_epi *e = b->e;
	u32 v;

	b->fast = e->hi_only && e->out_dtype != RM_NPU_DT_INT32 &&
		  (!e->has_bias || e->bias_safe);
	for (v = 0; v < 4 && b->fast; v++) {
		b->ct[v] = _mm512_loadu_si512(e->colterm + 16 * v);
		if (e->has_bias)
			b->ct[v] = _mm512_add_epi32(b->ct[v],
				_mm512_loadu_si512(e->bias + 16 * v));
		if (e->per_channel) {
			b->mv[v] = _mm512_loadu_si512(e->mult32 + 16 * v);
			b->rv[v] = _mm512_loadu_si512(e->rnd32 + 16 * v);
			b->sv[v] = _mm512_loadu_si512(e->sh32 + 16 * v);
		} else {
			b->mv[v] = _mm512_set1_epi32(e->mult32[0]);
			b->rv[v] = _mm512_set1_epi32(e->rnd32[0]);
			b->sv[v] = _mm512_set1_epi32(e->sh32[0]);
		}
		b->mo[v] = _mm512_srli_epi64(b->mv[v], 32);
	}
}

/* ------------------------------------------------------------------ */
/* Depthwise CONV2D on transformed rows (dil_w 1, a lean epilogue)     */
/* ------------------------------------------------------------------ */

/*
 * Each input row is transformed once per 64-channel block into quads: at
 * position P the int32 lane of a channel holds the unsigned-operand bytes
 * of pixels P .. P + 3 (the zero point outside the input), in the
 * lane-permuted channel order of npu_dw_taps(). Output pixel ox, kernel
 * row ky and tap group g read the quad at ix0 + 4 g of row iy0 + ky dil_h:
 * one VPDPBUSD per 16 channels and 4 taps, no shuffle, against weights
 * packed in the same order (taps past k_w weigh 0, and count 0 in the
 * input sums for a weight zero point). A ring of span_h rows keeps the
 * rows that consecutive output rows share. The sums come back to channel
 * order through the packs of the epilogue (exact: the values are clamped
 * to the output type before). The zero-point algebra is npu_dw_taps()'s,
 * with T the k_h k_w real taps.
 */
#define NPU_DWQ_MAX_GX		2	/* tap groups per kernel row: k_w <= 8 */
#define NPU_DWQ_MAX_SPAN	16	/* rows of the ring */
#define NPU_DWQ_MAX_SETS	4	/* weight sets (shifted kernels) */

struct npu_dwq {
	__m512i w[NPU_DW_MAX_TAPS][4];	/* [ky * ngx + g][vector] */
	s32 wsum[64];		/* sum of each channel's weights, permuted */
	const __m512i *wp;	/* these weights, or the packed ones */
	const s32 *wsp;		/* these sums, or the packed ones */
	__m512i ct[4];		/* colterm + bias */
	__m512i m[4];		/* binary32 scale bits, or mult32 */
	__m512i mo[4];		/* mult32 of the odd lanes */
	__m512i rv[4];
	__m512i sv[4];
	/* [set][g]: 1 in the bytes of real taps */
	__m512i ones[NPU_DWQ_MAX_SETS][NPU_DWQ_MAX_GX];
	s64 tag[NPU_DWQ_MAX_SPAN];	/* the ring row's nb << 32 | iy + pad */
	u32 ngx;		/* tap groups per kernel row */
	u32 step;		/* input pixels between quad positions */
	u32 nset;		/* weight sets: outputs per position */
	u32 mshift;		/* log2(nset) */
	u32 inc;		/* positions between nset outputs */
	u32 npos;		/* quad positions per row */
	u32 span;		/* ring rows */
	bool half;		/* <= 32 channels: two pixels per vector */
	u32 hslots;		/* half: output pixels ox and ox + hslots */
};

#define NPU_DWQ_SC_RING	((sizeof(struct npu_dwq) + 63) & ~(u64)63)
_Static_assert(NPU_DWQ_SC_RING < NPU_MM_SC_EPI, "depthwise ring");

static u32 npu_gcd(u32 a, u32 b)
{
	while (b) {
		u32 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Quad positions every @step input pixels. With @nset > 1 (strides 1 and
 * 2) the nset outputs between two positions read the same quads against
 * weights shifted by their offset (set t: taps from byte t * stride on),
 * so a row is transformed at a position per nset outputs, not per output.
 */
static void npu_dwq_sets(const struct rm_npu_cmd_conv2d *c, u32 *step,
			 u32 *nset)
{
	u32 ngx = (c->k_w + 3) / 4, st = c->stride_w, p;

	for (p = 4; p >= 2; p /= 2)
		if (c->k_w <= 4 * NPU_DWQ_MAX_GX && p > st && p % st == 0 &&
		    p - st + c->k_w <= 4 * ngx &&
		    p / st * c->k_h * ngx <= NPU_DW_MAX_TAPS) {
			*step = p;
			*nset = p / st;
			return;
		}
	*step = ngx == 1 ? st : npu_gcd(st, 4);
	*nset = 1;
}

/* Whether the block with epilogue @e runs here; sets the geometry. */
static bool npu_dwq_geometry(const struct rm_npu_cmd_conv2d *c,
			     const struct npu_mm_epi *e, u32 w,
			     struct npu_dwq *q)
{
	u32 span, nout;

	if (c->dil_w != 1 || c->k_w > 4 * NPU_DWQ_MAX_GX ||
	    e->out_dtype == RM_NPU_DT_INT32 || (e->has_bias && !e->bias_safe) ||
	    !(e->f32 || e->hi_only))
		return false;
	span = (c->k_h - 1) * c->dil_h + 1;
	if (span > NPU_DWQ_MAX_SPAN)
		return false;
	q->ngx = (c->k_w + 3) / 4;
	npu_dwq_sets(c, &q->step, &q->nset);
	q->mshift = q->nset == 4 ? 2 : q->nset == 2 ? 1 : 0;
	q->inc = q->nset > 1 ? 1 : c->stride_w / q->step;
	q->half = w <= NPU_MM_COLS / 2;
	/* a multiple of nset: both halves' slots at the same weight set */
	q->hslots = ((c->out_w + 1) / 2 + q->nset - 1) / q->nset * q->nset;
	/* half: the ring's positions hold the left half's quads */
	nout = q->half ? q->hslots : c->out_w;
	q->npos = ((nout - 1) * c->stride_w + 4 * (q->ngx - 1)) / q->step + 1;
	q->span = span;
	return NPU_DWQ_SC_RING + (u64)span * q->npos * 256 <= NPU_MM_SC_EPI;
}

/* Channel of dword @d of permuted vector @i. */
static inline u32 npu_dwq_ch(u32 i, u32 d)
{
	return 16 * (d / 4) + 4 * i + d % 4;
}

/*
 * The weights of the block of channels [oc0, oc0 + w) in permuted channel
 * order, [ky * ngx + g][vector], and the sum of each channel's weights.
 */
static void npu_dwq_pack_block(const struct rm_npu_cmd_conv2d *c,
			       const s8 *wsrc, u32 oc0, u32 w, u32 ngx,
			       u32 nset, bool half, __m512i *wdst, s32 *wsum)
{
	u32 taps = c->k_h * c->k_w, ky, kx, g, i, d, b, t, pos;

	memset(wdst, 0, (u64)nset * c->k_h * ngx * 4 * 64);
	for (i = 0; i < 4; i++)
		for (d = 0; d < 16; d++) {
			u32 ch = npu_dwq_ch(i, d) % (half ? 32 : 64);
			const s8 *ws = wsrc + (u64)(oc0 + ch) * taps;
			s32 sw = 0;

			if (ch >= w) {
				wsum[16 * i + d] = 0;
				continue;
			}
			for (ky = 0; ky < c->k_h; ky++)
				for (kx = 0; kx < c->k_w; kx++) {
					s8 v = ws[ky * c->k_w + kx];

					for (t = 0; t < nset; t++) {
						pos = kx + t * c->stride_w;
						g = pos / 4;
						b = pos % 4;
						((u8 *)&wdst[((t * c->k_h + ky) *
							      ngx + g) * 4 + i])
							[4 * d + b] = (u8)v;
					}
					sw += v;
				}
			wsum[16 * i + d] = sw;
		}
}

/* The block's epilogue vectors (permuted channel order) from its sums. */
static void npu_dwq_epi(const struct rm_npu_cmd_conv2d *c, s32 zx,
			const struct npu_mm_epi *e, bool half,
			struct npu_dwq *q)
{
	s32 tz = npu_mul32(npu_mul32((s32)(c->k_h * c->k_w), zx),
			   c->w_zero_point);
	u32 i, d, g, t;

	/* written in place: no stack array (ASan's fake stacks misalign) */
	for (i = 0; i < 4; i++) {
		s32 *ct = (s32 *)&q->ct[i], *m = (s32 *)&q->m[i];
		s32 *rv = (s32 *)&q->rv[i], *sv = (s32 *)&q->sv[i];

		for (d = 0; d < 16; d++) {
			u32 ch = npu_dwq_ch(i, d) % (half ? 32 : 64);

			ct[d] = npu_add32(npu_add32(npu_mul32(-zx,
							q->wsp[16 * i + d]),
						    tz), e->bias[ch]);
			m[d] = e->f32 ? (s32)e->fscale[ch] : e->mult32[ch];
			rv[d] = e->rnd32[ch];
			sv[d] = e->sh32[ch];
		}
		q->mo[i] = _mm512_srli_epi64(q->m[i], 32);
	}
	for (t = 0; t < q->nset; t++)
		for (g = 0; g < q->ngx; g++) {
			u32 m = 0, b, o = t * c->stride_w;

			for (b = 0; b < 4; b++)
				if (4 * g + b >= o && 4 * g + b - o < c->k_w)
					m |= 1u << (8 * b);
			q->ones[t][g] = _mm512_set1_epi32((int)m);
		}
}

/* Packed depthwise weights (npu_cmd_pack()): this header, then blocks. */
struct npu_dwq_packed {
	u32 magic;
	u32 isa;
	u32 k_h;
	u32 k_w;
	u32 c;
	u32 ngx;
	u64 block_bytes;	/* weights, then the 64 sums */
	u32 nset;		/* npu_dwq_sets() */
	u8 pad[28];		/* the blocks 64-byte aligned */
};

_Static_assert(sizeof(struct npu_dwq_packed) == 64, "depthwise pack header");

#define NPU_DWQ_PACK_MAGIC	0x4b50574eu	/* "NWPK" */

static u64 npu_dwq_block_bytes(const struct rm_npu_cmd_conv2d *c)
{
	u32 step, nset;

	npu_dwq_sets(c, &step, &nset);
	return (u64)nset * c->k_h * ((c->k_w + 3) / 4) * 4 * 64 + 4 * 64;
}

/* The input of pixel @ix of @row (the zero point @zraw outside the input). */
static __always_inline __m256i npu_dwq_half_px(const struct rm_npu_cmd_conv2d *c,
					       const u8 *row, s32 ix,
					       __mmask32 cm, __m256i zraw)
{
	if (ix < 0 || ix >= (s32)c->in_w)
		return zraw;
	return _mm256_mask_loadu_epi8(zraw, cm, row + (u64)(u32)ix * c->in_c);
}

/*
 * Quads of input row @iy (the zero point outside the input) into @dst; in
 * a half block (q->half) the upper 32 bytes of each position hold the
 * pixels hslots output pixels on, for the right half of the output row.
 */
static __always_inline void npu_dwq_row_t(const struct rm_npu_cmd_conv2d *c,
					  const struct npu_dwq *q,
					  const u8 *img, s32 iy, __mmask64 cm,
					  u8 *dst, const bool SGN,
					  const bool HALF)
{
	const __m512i flip = _mm512_set1_epi8((char)0x80);
	const __m512i zraw = _mm512_set1_epi8((char)c->in_zero_point);
	const __m512i zv = SGN ? _mm512_xor_si512(flip, zraw) : zraw;
	const u8 *row = img + (u64)iy * c->in_w * c->in_c;
	s32 hoff = (s32)(q->hslots * c->stride_w);
	u32 j, b;

	if (iy < 0 || iy >= (s32)c->in_h) {
		for (j = 0; j < 4 * q->npos; j++)
			_mm512_storeu_si512(dst + 64 * (u64)j, zv);
		return;
	}
	for (j = 0; j < q->npos; j++, dst += 256) {
		s32 ix = (s32)(j * q->step) - (s32)c->pad_left;
		__m512i x[4], t0, t1, t2, t3;

		if (HALF) {
#pragma GCC unroll 4
			for (b = 0; b < 4; b++) {
				__m256i l = npu_dwq_half_px(c, row, ix + (s32)b,
					(__mmask32)cm,
					_mm512_castsi512_si256(zraw));
				__m256i h = npu_dwq_half_px(c, row,
					ix + hoff + (s32)b, (__mmask32)cm,
					_mm512_castsi512_si256(zraw));

				x[b] = _mm512_inserti64x4(
					_mm512_castsi256_si512(l), h, 1);
			}
		} else if (ix >= 0 && ix + 3 < (s32)c->in_w) {
			const u8 *s = row + (u64)(u32)ix * c->in_c;

#pragma GCC unroll 4
			for (b = 0; b < 4; b++)
				x[b] = _mm512_maskz_loadu_epi8(cm, s +
							(u64)b * c->in_c);
		} else {
#pragma GCC unroll 4
			for (b = 0; b < 4; b++) {
				s32 xb = ix + (s32)b;

				x[b] = xb < 0 || xb >= (s32)c->in_w ? zraw :
				       _mm512_maskz_loadu_epi8(cm, row +
						(u64)(u32)xb * c->in_c);
			}
		}
		if (SGN) {
#pragma GCC unroll 4
			for (b = 0; b < 4; b++)
				x[b] = _mm512_xor_si512(x[b], flip);
		}
		t0 = _mm512_unpacklo_epi8(x[0], x[1]);
		t1 = _mm512_unpackhi_epi8(x[0], x[1]);
		t2 = _mm512_unpacklo_epi8(x[2], x[3]);
		t3 = _mm512_unpackhi_epi8(x[2], x[3]);
		_mm512_storeu_si512(dst, _mm512_unpacklo_epi16(t0, t2));
		_mm512_storeu_si512(dst + 64, _mm512_unpackhi_epi16(t0, t2));
		_mm512_storeu_si512(dst + 128, _mm512_unpacklo_epi16(t1, t3));
		_mm512_storeu_si512(dst + 192, _mm512_unpackhi_epi16(t1, t3));
	}
}

static void npu_dwq_row(const struct rm_npu_cmd_conv2d *c,
			const struct npu_dwq *q, const u8 *img, s32 iy,
			__mmask64 cm, bool sgn, u8 *dst)
{
	if (q->half && sgn)
		npu_dwq_row_t(c, q, img, iy, cm, dst, true, true);
	else if (q->half)
		npu_dwq_row_t(c, q, img, iy, cm, dst, false, true);
	else if (sgn)
		npu_dwq_row_t(c, q, img, iy, cm, dst, true, false);
	else
		npu_dwq_row_t(c, q, img, iy, cm, dst, false, false);
}

/*
 * Output pixels [ox0, ox1) of one row, kernel rows at @rows, @orow the
 * row's pixel 0; KH, NGX: the kernel's rows and tap groups (constants in
 * the common cases). Slot s computes pixel s (and s + hslots in the upper
 * half of a half block). The sums start at the column term and bias (the
 * same wrapping int32 sum); the clamp to [lo, hi] is done on the bytes:
 * the saturating packs and zero-point add keep every value outside the
 * output type on its side of it (binary32: the rescaled value is clamped
 * from above first, as a conversion past int32 reads INT_MIN).
 */
static __always_inline void npu_dwq_pixels(const struct npu_dwq *q,
					   const struct npu_mm_epi *e,
					   const u8 *const *rows, u32 ox0,
					   u32 ox1, u32 goff,
					   u8 *orow, u32 ostride, __mmask64 cm,
					   s32 zw, const u32 KH, const u32 NGX,
					   const bool ZW, const bool F32,
					   const bool SOUT, const bool HALF)
{
	const __m512 hif = _mm512_set1_ps((float)(e->hi - e->zp));
	const __m512i zp = _mm512_set1_epi16((short)e->zp);
	const __m512i lo = _mm512_set1_epi8((char)e->lo);
	const __m512i hi = _mm512_set1_epi8((char)e->hi);
	const __m512i zwv = _mm512_set1_epi32(zw);
	u32 s, s0 = ox0, s1 = ox1, hs = q->hslots, ky, g, i;

	if (HALF) {
		/* the slots of pixels [ox0, ox1) on either side */
		s0 = ox0 >= hs ? ox0 - hs : ox1 > hs ? 0 : ox0;
		s1 = ox1 <= hs ? ox1 : ox0 >= hs ? ox1 - hs : hs;
	}
	for (s = s0; s < s1; s++) {
		__m512i acc[4], sx[4], y[4], p01, p23, r;
		u32 qi = (s >> q->mshift) * q->inc, set = s & (q->nset - 1);
		const __m512i *ws = q->wp + set * KH * NGX * 4;

		for (i = 0; i < 4; i++) {
			acc[i] = q->ct[i];
			sx[i] = _mm512_setzero_si512();
		}
#pragma GCC unroll 8
		for (ky = 0; ky < KH; ky++)
#pragma GCC unroll 2
			for (g = 0; g < NGX; g++) {
				const u8 *x = rows[ky] + ((u64)qi +
							  g * goff) * 256;
				const __m512i *wv = ws + (ky * NGX + g) * 4;

#pragma GCC unroll 4
				for (i = 0; i < 4; i++) {
					__m512i xv = _mm512_loadu_si512(x + 64 * i);

					acc[i] = _mm512_dpbusd_epi32(acc[i], xv,
								     wv[i]);
					if (ZW)
						sx[i] = _mm512_dpbusd_epi32(
							sx[i], xv,
							q->ones[set][g]);
				}
			}
#pragma GCC unroll 4
		for (i = 0; i < 4; i++) {
			__m512i x = acc[i];

			if (ZW)
				x = _mm512_sub_epi32(x, _mm512_mullo_epi32(sx[i],
									   zwv));
			if (F32) {
				/* contract 3.4, as npu_epi16() */
				__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(x),
					_mm512_castsi512_ps(q->m[i]));

				y[i] = _mm512_cvtps_epi32(_mm512_min_ps(f, hif));
			} else {
				__m512i pe = _mm512_mul_epi32(x, q->m[i]);
				__m512i po = _mm512_mul_epi32(
					_mm512_srli_epi64(x, 32), q->mo[i]);

				r = _mm512_mask_blend_epi32(0xaaaa,
					_mm512_srli_epi64(pe, 32), po);
				y[i] = _mm512_srav_epi32(_mm512_add_epi32(r,
								q->rv[i]),
							 q->sv[i]);
			}
		}
		/* lane L: channels 16 L + 4 i .. + 3 of y[i]: in order again */
		p01 = _mm512_adds_epi16(_mm512_packs_epi32(y[0], y[1]), zp);
		p23 = _mm512_adds_epi16(_mm512_packs_epi32(y[2], y[3]), zp);
		if (SOUT)
			r = _mm512_min_epi8(_mm512_max_epi8(
				_mm512_packs_epi16(p01, p23), lo), hi);
		else
			r = _mm512_min_epu8(_mm512_max_epu8(
				_mm512_packus_epi16(p01, p23), lo), hi);
		if (!HALF) {
			_mm512_mask_storeu_epi8(orow + (u64)s * ostride, cm, r);
			continue;
		}
		if (s >= ox0 && s < ox1)
			_mm256_mask_storeu_epi8(orow + (u64)s * ostride,
						(__mmask32)cm,
						_mm512_castsi512_si256(r));
		if (s + hs >= ox0 && s + hs < ox1)
			_mm256_mask_storeu_epi8(orow + (u64)(s + hs) * ostride,
						(__mmask32)cm,
						_mm512_extracti64x4_epi64(r, 1));
	}
}

#define NPU_DWQ_EPI_H(kh, ngx, zwf, half)				\
	do {								\
		if (e->f32 && sout)					\
			npu_dwq_pixels(q, e, rows, ox, oxe, goff, o, \
				       c->out_c, cm, zw, kh, ngx, zwf,	\
				       true, true, half);		\
		else if (e->f32)					\
			npu_dwq_pixels(q, e, rows, ox, oxe, goff, o, \
				       c->out_c, cm, zw, kh, ngx, zwf,	\
				       true, false, half);		\
		else if (sout)						\
			npu_dwq_pixels(q, e, rows, ox, oxe, goff, o, \
				       c->out_c, cm, zw, kh, ngx, zwf,	\
				       false, true, half);		\
		else							\
			npu_dwq_pixels(q, e, rows, ox, oxe, goff, o, \
				       c->out_c, cm, zw, kh, ngx, zwf,	\
				       false, false, half);		\
	} while (0)

#define NPU_DWQ_EPI(kh, ngx, zwf)					\
	do {								\
		if (q->half)						\
			NPU_DWQ_EPI_H(kh, ngx, zwf, true);		\
		else							\
			NPU_DWQ_EPI_H(kh, ngx, zwf, false);		\
	} while (0)

/*
 * Pixels [p, pend) of the block of channels [oc0, oc0 + w); @q has the
 * geometry (npu_dwq_geometry()).
 */
static void npu_dwq_block(const struct rm_npu_cmd *cmd, u8 *const *bo,
			  struct npu_ops_ctx *ctx,
			  const struct npu_dwq_packed *pk,
			  const struct npu_mm_epi *e, struct npu_dwq *q,
			  u32 cb, u32 w, u64 p, u64 pend)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	u32 oc0 = cb * NPU_MM_COLS;
	bool sgn = c->in_dtype == RM_NPU_DT_INT8;
	bool sout = c->out_dtype == RM_NPU_DT_INT8;
	s32 zx = c->in_zero_point + (sgn ? 128 : 0), zw = c->w_zero_point;
	u64 key = (u64)cb << 32 | 0xfffffffeu;
	u64 row_bytes = (u64)q->npos * 256;
	u8 *ring = ctx->scratch + NPU_DWQ_SC_RING;
	__mmask64 cm = w >= 64 ? ~0ULL : (1ULL << w) - 1;
	u32 goff = 4 / q->step;
	const u8 *in = bo[c->in.bo] + c->in.offset + oc0;
	u8 *out = bo[c->out.bo] + c->out.offset + oc0;
	const u8 *rows[NPU_DW_MAX_TAPS];
	u32 ox, oy, nb, ky;
	u64 t;

	if (pk) {
		const u8 *blk = (const u8 *)(pk + 1) +
				(u64)cb * pk->block_bytes;

		q->wp = (const __m512i *)blk;
		q->wsp = (const s32 *)(blk + pk->block_bytes - 4 * 64);
	} else {
		q->wp = q->w[0];
		q->wsp = q->wsum;
		if (!ctx->tag || ctx->cache_tag != ctx->tag ||
		    ctx->cache_key != key) {
			npu_dwq_pack_block(c, (const s8 *)(bo[c->weights.bo] +
							   c->weights.offset),
					   oc0, w, q->ngx, q->nset, q->half,
					   q->w[0],
					   q->wsum);
			ctx->cache_tag = ctx->tag;
			ctx->cache_key = key;
		}
	}
	npu_dwq_epi(c, zx, e, q->half, q);
	for (ky = 0; ky < q->span; ky++)
		q->tag[ky] = -1;
	t = npu_div_u64(p, c->out_w);
	ox = (u32)(p - t * c->out_w);
	nb = (u32)npu_div_u64(t, c->out_h);
	oy = (u32)(t - (u64)nb * c->out_h);
	while (p < pend) {
		u32 oxe = (u32)npu_min_u64(c->out_w, ox + (pend - p));
		const u8 *img = in + (u64)nb * c->in_h * c->in_w * c->in_c;
		u8 *o = out + (p - ox) * c->out_c;	/* pixel 0 */
		u32 iyp0 = oy * c->stride_h;	/* iy0 + pad_top */

		for (ky = 0; ky < c->k_h; ky++) {
			u32 iyp = iyp0 + ky * c->dil_h, slot = iyp % q->span;
			s64 rkey = (s64)nb << 32 | iyp;
			u8 *r = ring + slot * row_bytes;

			if (q->tag[slot] != rkey) {
				npu_dwq_row(c, q, img,
					    (s32)iyp - (s32)c->pad_top, cm,
					    sgn, r);
				q->tag[slot] = rkey;
			}
			rows[ky] = r;
		}
		if (c->k_h == 3 && q->ngx == 1 && !zw)
			NPU_DWQ_EPI(3, 1, false);
		else if (c->k_h == 5 && q->ngx == 2 && !zw)
			NPU_DWQ_EPI(5, 2, false);
		else if (zw)
			NPU_DWQ_EPI(c->k_h, q->ngx, true);
		else
			NPU_DWQ_EPI(c->k_h, q->ngx, false);
		p += oxe - ox;
		ox = 0;
		if (++oy == c->out_h) {
			oy = 0;
			nb++;
		}
	}
}

static int npu_dw_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
		      struct npu_ops_ctx *ctx, const void *packed, u64 u,
		      u64 ue)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	const struct npu_dwq_packed *pk = packed;
	struct npu_mm_epi *e = (struct npu_mm_epi *)(ctx->scratch +
						     NPU_MM_SC_EPI);
	u8 *wpk = ctx->scratch + NPU_MM_SC_PANEL;
	u32 taps = c->k_h * c->k_w, t, ky, kx;
	u64 npix = npu_conv_pixels(c);
	const u8 *in = bo[c->in.bo] + c->in.offset;
	const s8 *wsrc = (const s8 *)(bo[c->weights.bo] + c->weights.offset);
	bool sgn = c->in_dtype == RM_NPU_DT_INT8;
	s32 zw = c->w_zero_point;
	u8 *zbuf = ctx->scratch + NPU_MM_SC_AROWS;
	struct npu_dwb *blk = (struct npu_dwb *)(ctx->scratch + NPU_DW_SC_BLK);
	struct npu_dwq *dq = (struct npu_dwq *)ctx->scratch;
	u64 *toff = blk->toff;
	const u8 **tp = blk->tp;
	s32 span_h = (s32)((c->k_h - 1) * c->dil_h);
	s32 span_w = (s32)((c->k_w - 1) * c->dil_w);
	u32 ox, oy, nb;
	u64 q;
	struct npu_dw dw;
	struct npu_mm mm;
	int ret;

	if (pk && (pk->magic != NPU_DWQ_PACK_MAGIC ||
		   pk->isa != NPU_ISA_AVX512 || pk->k_h != c->k_h ||
		   pk->k_w != c->k_w || pk->c != c->out_c ||
		   pk->block_bytes != npu_dwq_block_bytes(c)))
		pk = NULL;
	dw.groups = (taps + 3) / 4;
	dw.zx = c->in_zero_point + (sgn ? 128 : 0);
	/* 64 input zero points: what a tap outside the input reads */
	memset(zbuf, (u8)c->in_zero_point, 64);
	for (t = 0, ky = 0; ky < c->k_h; ky++)
		for (kx = 0; kx < c->k_w; kx++, t++)
			toff[t] = ((u64)ky * c->dil_h * c->in_w +
				   (u64)kx * c->dil_w) * c->in_c;
	npu_mm_from_conv(cmd, bo, &mm);
	mm.k = taps;	/* the dot-product length, for the epilogue's bounds */
	blk->wpk = wpk;
	blk->groups = dw.groups;
	blk->e = e;
	while (u < ue) {
		u64 cb = npu_div64_u64(u, npix);
		u64 p = u - cb * npix;
		u64 pend = npu_min_u64(npix, p + (ue - u));
		u32 oc0 = (u32)cb * NPU_MM_COLS;
		u32 w = npu_min_u32(NPU_MM_COLS, c->out_c - oc0);
		u64 key = cb << 32 | 0xffffffffu;

		u += pend - p;
		ret = npu_mm_epi_load(&mm, oc0, w, e);
		if (ret)
			return ret;
		if (npu_dwq_geometry(c, e, w, dq)) {
			npu_dwq_block(cmd, bo, ctx, pk, e, dq, (u32)cb, w, p,
				      pend);
			continue;
		}
		if (!ctx->tag || ctx->cache_tag != ctx->tag ||
		    ctx->cache_key != key) {
			npu_dw_pack(c, wsrc, oc0, w, &dw, wpk,
				    (s32 *)(ctx->scratch + NPU_MM_SC_COLSUM));
			ctx->cache_tag = ctx->tag;
			ctx->cache_key = key;
		}
		memcpy(e->colterm, ctx->scratch + NPU_MM_SC_COLSUM,
		       sizeof(e->colterm));
		blk->cm = w >= 64 ? ~0ULL : (1ULL << w) - 1;
		blk->w = w;
		npu_dw_block_vectors(blk);
		q = npu_div_u64(p, c->out_w);
		ox = (u32)(p - q * c->out_w);
		nb = (u32)npu_div_u64(q, c->out_h);
		oy = (u32)(q - (u64)nb * c->out_h);
		for (; p < pend; p++) {
			s32 iy0 = (s32)(oy * c->stride_h) - (s32)c->pad_top;
			s32 ix0 = (s32)(ox * c->stride_w) - (s32)c->pad_left;
			const u8 *img = in + (u64)nb * c->in_h * c->in_w *
					c->in_c + oc0;
			u8 *o = bo[c->out.bo] + c->out.offset +
				(p * c->out_c + oc0) * mm.osz;

			if (iy0 >= 0 && ix0 >= 0 && iy0 + span_h < (s32)c->in_h &&
			    ix0 + span_w < (s32)c->in_w) {
				const u8 *base = img + ((u64)iy0 * c->in_w +
							(u32)ix0) * c->in_c;

				for (t = 0; t < taps; t++)
					tp[t] = base + toff[t];
			} else {
				/* each tap's input, or the zero point outside */
				for (t = 0, ky = 0; ky < c->k_h; ky++) {
					s32 iy = iy0 + (s32)(ky * c->dil_h);

					for (kx = 0; kx < c->k_w; kx++, t++) {
						s32 ix = ix0 + (s32)(kx * c->dil_w);

						tp[t] = iy < 0 || iy >= (s32)c->in_h ||
							ix < 0 || ix >= (s32)c->in_w ?
							zbuf : img + ((u64)iy * c->in_w +
								      (u32)ix) * c->in_c;
					}
				}
			}
			for (t = taps; t < 4 * dw.groups; t++)
				tp[t] = zbuf;
			if (sgn && zw)
				npu_dw_pixel(blk, tp, zw, o, true, true);
			else if (sgn)
				npu_dw_pixel(blk, tp, zw, o, true, false);
			else if (zw)
				npu_dw_pixel(blk, tp, zw, o, false, true);
			else
				npu_dw_pixel(blk, tp, zw, o, false, false);
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
/* Depthwise CONV2D over the whole input (a global pool as a conv)      */
/* ------------------------------------------------------------------ */

/*
 * A kernel that covers the whole unpadded input gives one output pixel per
 * image: its taps go four at a time through the unpacks and VPDPBUSD of
 * npu_dw_taps(), against weights packed as for a 1 x taps kernel by
 * npu_dwq_pack_block(); the taps past the last group read the zero point
 * and count 0 in the input sums (their weights are 0 too).
 */
static bool npu_dwg_ok(const struct rm_npu_cmd_conv2d *c)
{
	u32 taps = c->k_h * c->k_w;

	return c->groups == c->in_c && c->out_c == c->in_c &&
	       taps > NPU_DW_MAX_TAPS && c->out_h == 1 && c->out_w == 1 &&
	       c->k_h == c->in_h && c->k_w == c->in_w && !c->pad_top &&
	       !c->pad_left && !c->pad_bottom && !c->pad_right &&
	       NPU_DWQ_SC_RING + (u64)(taps + 3) / 4 * 256 <= NPU_MM_SC_EPI;
}

/* The kernel as the 1 x taps one whose packing npu_dwg_run() reads. */
static void npu_dwg_flat(const struct rm_npu_cmd_conv2d *c,
			 struct rm_npu_cmd_conv2d *f)
{
	*f = *c;
	f->k_w = c->k_h * c->k_w;
	f->k_h = 1;
}

/* The byte output of one pixel's sums in permuted order (@sx: ZW only). */
static __always_inline void npu_dwq_store(const struct npu_dwq *q,
					  const struct npu_mm_epi *e,
					  const __m512i *acc,
					  const __m512i *sx, s32 zw, u8 *o,
					  __mmask64 cm)
{
	__m512i y[4], p01, p23;
	u32 i;

#pragma GCC unroll 4
	for (i = 0; i < 4; i++) {
		__m512i x = acc[i];

		if (zw)
			x = _mm512_sub_epi32(x, _mm512_mullo_epi32(sx[i],
						_mm512_set1_epi32(zw)));
		x = _mm512_add_epi32(x, q->ct[i]);
		if (e->f32) {
			__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(x),
				_mm512_castsi512_ps(q->m[i]));

			f = _mm512_max_ps(f, _mm512_cvtepi32_ps(
				_mm512_set1_epi32(e->lo - e->zp)));
			f = _mm512_min_ps(f, _mm512_cvtepi32_ps(
				_mm512_set1_epi32(e->hi - e->zp)));
			y[i] = _mm512_cvtps_epi32(f);
		} else {
			__m512i pe = _mm512_mul_epi32(x, q->m[i]);
			__m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32),
						      q->mo[i]);
			__m512i r = _mm512_mask_blend_epi32(0xaaaa,
				_mm512_srli_epi64(pe, 32), po);

			r = _mm512_srav_epi32(_mm512_add_epi32(r, q->rv[i]),
					      q->sv[i]);
			r = _mm512_max_epi32(r, _mm512_set1_epi32(e->lo - e->zp));
			y[i] = _mm512_min_epi32(r, _mm512_set1_epi32(e->hi -
								     e->zp));
		}
		y[i] = _mm512_add_epi32(y[i], _mm512_set1_epi32(e->zp));
	}
	p01 = _mm512_packs_epi32(y[0], y[1]);
	p23 = _mm512_packs_epi32(y[2], y[3]);
	_mm512_mask_storeu_epi8(o, cm, e->out_dtype == RM_NPU_DT_INT8 ?
				_mm512_packs_epi16(p01, p23) :
				_mm512_packus_epi16(p01, p23));
}

static int npu_dwg_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
		       struct npu_ops_ctx *ctx, const void *packed, u64 u,
		       u64 ue)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	const struct npu_dwq_packed *pk = packed;
	struct npu_mm_epi *e = (struct npu_mm_epi *)(ctx->scratch +
						     NPU_MM_SC_EPI);
	struct npu_dwq *q = (struct npu_dwq *)ctx->scratch;
	__m512i *wloc = (__m512i *)(ctx->scratch + NPU_DWQ_SC_RING);
	u32 taps = c->k_h * c->k_w, groups = (taps + 3) / 4, full = taps / 4;
	u64 npix = c->batch;
	bool sgn = c->in_dtype == RM_NPU_DT_INT8;
	s32 zx = c->in_zero_point + (sgn ? 128 : 0), zw = c->w_zero_point;
	const __m512i flip = _mm512_set1_epi8(sgn ? (char)0x80 : 0);
	const __m512i zv = _mm512_xor_si512(flip,
		_mm512_set1_epi8((char)c->in_zero_point));
	const __m512i ones = _mm512_set1_epi8(1);
	const __m512i tail1 = _mm512_set1_epi32((int)(0x01010101u >>
						      (8 * (4 * groups - taps))));
	struct rm_npu_cmd_conv2d flat;
	struct npu_mm mm;
	int ret;

	npu_dwg_flat(c, &flat);
	if (pk && (pk->magic != NPU_DWQ_PACK_MAGIC ||
		   pk->isa != NPU_ISA_AVX512 || pk->k_h != 1 ||
		   pk->k_w != taps || pk->c != c->out_c ||
		   pk->block_bytes != npu_dwq_block_bytes(&flat)))
		pk = NULL;
	npu_mm_from_conv(cmd, bo, &mm);
	mm.k = taps;
	while (u < ue) {
		u64 cb = npu_div_u64(u, npix);
		u64 p = u - cb * npix;
		u64 pend = npu_min_u64(npix, p + (ue - u));
		u32 oc0 = (u32)cb * NPU_MM_COLS;
		u32 w = npu_min_u32(NPU_MM_COLS, c->out_c - oc0);
		__mmask64 cm = w >= 64 ? ~0ULL : (1ULL << w) - 1;
		u64 key = cb << 32 | 0xfffffffdu;

		ret = npu_mm_epi_load(&mm, oc0, w, e);
		if (ret)
			return ret;
		if (e->out_dtype == RM_NPU_DT_INT32 ||
		    (e->has_bias && !e->bias_safe) || !(e->f32 || e->hi_only)) {
			ret = npu_scalar_exec(cmd, bo, u, u + (pend - p));
			if (ret)
				return ret;
			u += pend - p;
			continue;
		}
		u += pend - p;
		q->ngx = 1;
		q->nset = 1;
		if (pk) {
			const u8 *blk = (const u8 *)(pk + 1) +
					cb * pk->block_bytes;

			q->wp = (const __m512i *)blk;
			q->wsp = (const s32 *)(blk + pk->block_bytes - 4 * 64);
		} else {
			q->wp = wloc;
			q->wsp = q->wsum;
			if (!ctx->tag || ctx->cache_tag != ctx->tag ||
			    ctx->cache_key != key) {
				npu_dwq_pack_block(&flat, (const s8 *)
						   (bo[c->weights.bo] +
						    c->weights.offset),
						   oc0, w, groups, 1, false, wloc,
						   q->wsum);
				ctx->cache_tag = ctx->tag;
				ctx->cache_key = key;
			}
		}
		npu_dwq_epi(&flat, zx, e, false, q);
		for (; p < pend; p++) {
			const u8 *img = bo[c->in.bo] + c->in.offset + oc0 +
					p * taps * c->in_c;
			__m512i acc[4], sx[4], x[4], t0, t1, t2, t3, qv[4];
			u32 g, i, b;

#pragma GCC unroll 4
			for (i = 0; i < 4; i++) {
				acc[i] = _mm512_setzero_si512();
				sx[i] = _mm512_setzero_si512();
			}
			for (g = 0; g < groups; g++) {
				const __m512i *wg = q->wp + 4 * g;
				const u8 *s = img + (u64)4 * g * c->in_c;

#pragma GCC unroll 4
				for (b = 0; b < 4; b++)
					x[b] = g < full || 4 * g + b < taps ?
					       _mm512_xor_si512(flip,
						_mm512_maskz_loadu_epi8(cm, s +
							(u64)b * c->in_c)) : zv;
				t0 = _mm512_unpacklo_epi8(x[0], x[1]);
				t1 = _mm512_unpackhi_epi8(x[0], x[1]);
				t2 = _mm512_unpacklo_epi8(x[2], x[3]);
				t3 = _mm512_unpackhi_epi8(x[2], x[3]);
				qv[0] = _mm512_unpacklo_epi16(t0, t2);
				qv[1] = _mm512_unpackhi_epi16(t0, t2);
				qv[2] = _mm512_unpacklo_epi16(t1, t3);
				qv[3] = _mm512_unpackhi_epi16(t1, t3);
#pragma GCC unroll 4
				for (i = 0; i < 4; i++) {
					acc[i] = _mm512_dpbusd_epi32(acc[i],
						qv[i], _mm512_loadu_si512(wg + i));
					if (zw)
						sx[i] = _mm512_dpbusd_epi32(sx[i],
							qv[i], g < full ? ones : tail1);
				}
			}
			npu_dwq_store(q, e, acc, sx, zw,
				      bo[c->out.bo] + c->out.offset +
				      p * c->out_c + oc0, cm);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* POOL2D, 64 channels at a time                                       */
/* ------------------------------------------------------------------ */

/*
 * floor(n / d) for 16 lanes, 0 <= n < 256 d, 2 <= d <= 4096: n * m >> 32
 * with m = floor(2^32 / d) + 1 is exact while n d < 2^32 (the error of m,
 * at most d / 2^32 per unit of n, stays under 1 / d).
 */
static inline __m512i npu_divu16(__m512i n, u32 m)
{
	__m512i mv = _mm512_set1_epi32((int)m);
	__m512i ev = _mm512_srli_epi64(_mm512_mul_epu32(n, mv), 32);
	__m512i od = _mm512_mul_epu32(_mm512_srli_epi64(n, 32), mv);

	return _mm512_mask_blend_epi32(0xaaaa, ev, od);
}

static inline void npu_pool_step(const struct rm_npu_cmd_pool2d *p, u32 nblk,
				 u64 *pix, u32 *cb, u32 *nb, u32 *oy, u32 *ox)
{
	if (++*cb < nblk)
		return;
	*cb = 0;
	++*pix;
	if (++*ox < p->out_w)
		return;
	*ox = 0;
	if (++*oy < p->out_h)
		return;
	*oy = 0;
	++*nb;
}

static int npu_pool_run(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			u64 ue)
{
	const struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	const u8 *in = bo[p->in.bo] + p->in.offset;
	u8 *out = bo[p->out.bo] + p->out.offset;
	u32 nblk = (u32)npu_ceil_div(p->c, NPU_OPS_POOL_BLOCK);
	bool sgn = p->dtype == RM_NPU_DT_INT8;
	bool avg = p->mode == RM_NPU_POOL_AVG;
	bool cpad = cmd->flags & RM_NPU_POOL_COUNT_PAD;
	const __m512i flip = _mm512_set1_epi8(sgn ? (char)0x80 : 0);
	u64 pix = npu_div_u64(u, nblk), t = npu_div_u64(pix, p->out_w);
	u32 cb = (u32)(u - pix * nblk), ox = (u32)(pix - t * p->out_w);
	u32 nb = (u32)npu_div_u64(t, p->out_h);
	u32 oy = (u32)(t - (u64)nb * p->out_h);

	/* unit u: channel block cb of pixel (nb, oy, ox), stepped, no division */
	for (; u < ue; u++, npu_pool_step(p, nblk, &pix, &cb, &nb, &oy, &ox)) {
		s32 iy0 = (s32)(oy * p->stride_h) - (s32)p->pad_top;
		s32 ix0 = (s32)(ox * p->stride_w) - (s32)p->pad_left;
		u32 c0 = cb * NPU_OPS_POOL_BLOCK;
		u32 w = npu_min_u32(NPU_OPS_POOL_BLOCK, p->c - c0);
		__mmask64 cm = w >= 64 ? ~0ULL : (1ULL << w) - 1;
		u32 ky0 = iy0 < 0 ? (u32)-iy0 : 0, kx0 = ix0 < 0 ? (u32)-ix0 : 0;
		u32 ky1 = npu_min_u32(p->k_h, (u32)((s32)p->in_h - iy0));
		u32 kx1 = npu_min_u32(p->k_w, (u32)((s32)p->in_w - ix0));
		const u8 *img = in + (u64)nb * p->in_h * p->in_w * p->c + c0;
		u8 *o = out + pix * p->c + c0;
		__m512i mx = _mm512_setzero_si512(), sum[4], q;
		u32 ky, kx, cnt, i;

		for (i = 0; i < 4; i++)
			sum[i] = _mm512_setzero_si512();
		/* the biased bytes (x ^ 0x80 for INT8) order as unsigned */
		for (ky = ky0; ky < ky1; ky++)
			for (kx = kx0; kx < kx1; kx++) {
				const u8 *x = img + ((u64)(iy0 + (s32)ky) *
						     p->in_w + (u32)(ix0 + (s32)kx)) *
					      p->c;
				__m512i v = _mm512_xor_si512(flip,
					_mm512_maskz_loadu_epi8(cm, x));

				if (!avg) {
					mx = _mm512_max_epu8(mx, v);
					continue;
				}
				sum[0] = _mm512_add_epi32(sum[0],
					_mm512_cvtepu8_epi32(
					_mm512_castsi512_si128(v)));
				sum[1] = _mm512_add_epi32(sum[1],
					_mm512_cvtepu8_epi32(
					_mm512_extracti32x4_epi32(v, 1)));
				sum[2] = _mm512_add_epi32(sum[2],
					_mm512_cvtepu8_epi32(
					_mm512_extracti32x4_epi32(v, 2)));
				sum[3] = _mm512_add_epi32(sum[3],
					_mm512_cvtepu8_epi32(
					_mm512_extracti32x4_epi32(v, 3)));
			}
		if (!avg) {
			__m512i lo = _mm512_set1_epi8((char)(p->act_min ^
							     (sgn ? 0x80 : 0)));
			__m512i hi = _mm512_set1_epi8((char)(p->act_max ^
							     (sgn ? 0x80 : 0)));

			mx = _mm512_min_epu8(_mm512_max_epu8(mx, lo), hi);
			_mm512_mask_storeu_epi8(o, cm, _mm512_xor_si512(mx, flip));
			continue;
		}
		cnt = (ky1 - ky0) * (kx1 - kx0);
		for (i = 0; i < 4; i++) {
			__m512i sv = sum[i];
			__mmask16 neg;
			u32 d = cnt;

			/* back to the signed values: 128 per element */
			if (sgn)
				sv = _mm512_sub_epi32(sv, _mm512_set1_epi32(128 * (s32)cnt));
			if (cpad) {
				sv = _mm512_add_epi32(sv, _mm512_set1_epi32(
					(s32)(p->k_h * p->k_w - cnt) * p->zero_point));
				d = p->k_h * p->k_w;
			}
			neg = _mm512_cmplt_epi32_mask(sv, _mm512_setzero_si512());
			sv = _mm512_add_epi32(_mm512_abs_epi32(sv),
					      _mm512_set1_epi32((s32)(d / 2)));
			q = d == 1 ? sv : npu_divu16(sv, (u32)(0x100000000ULL / d) + 1);
			q = _mm512_mask_sub_epi32(q, neg, _mm512_setzero_si512(), q);
			q = _mm512_max_epi32(q, _mm512_set1_epi32(p->act_min));
			q = _mm512_min_epi32(q, _mm512_set1_epi32(p->act_max));
			if (16 * i < w)
				_mm_mask_storeu_epi8(o + 16 * i,
						     npu_mask16(w - 16 * i),
						     _mm512_cvtepi32_epi8(q));
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* ELTWISE, 16 elements at a time                                      */
/* ------------------------------------------------------------------ */

/*
 * clamp((x * m + 2^(t - 1)) >> t, lo, hi) for 16 int32 lanes, t in 1..62,
 * exact in int64 (even and odd lanes apart).
 */
static inline __m512i npu_scale16(__m512i x, s32 m, u32 t, s32 lo, s32 hi)
{
	__m512i mv = _mm512_set1_epi32(m);
	__m512i r = _mm512_set1_epi64((s64)1 << (t - 1));
	__m512i lv = _mm512_set1_epi64(lo), hv = _mm512_set1_epi64(hi);
	__m128i c = _mm_cvtsi32_si128((int)t);
	__m512i ev = _mm512_sra_epi64(_mm512_add_epi64(
		_mm512_mul_epi32(x, mv), r), c);
	__m512i od = _mm512_sra_epi64(_mm512_add_epi64(
		_mm512_mul_epi32(_mm512_srli_epi64(x, 32), mv), r), c);

	ev = _mm512_min_epi64(_mm512_max_epi64(ev, lv), hv);
	od = _mm512_min_epi64(_mm512_max_epi64(od, lv), hv);
	/* in int32 range now: keep the low halves */
	return _mm512_mask_blend_epi32(0xaaaa, ev, _mm512_slli_epi64(od, 32));
}

static inline __m512i npu_elt_ld(const u8 *p, u32 cs, __mmask16 m, bool sgn,
				 s32 zp)
{
	__m512i v;

	if (cs)
		v = sgn ? _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p)) :
			  _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, p));
	else
		v = _mm512_set1_epi32(sgn ? (s32)(s8)*p : (s32)*p);
	return _mm512_sub_epi32(v, _mm512_set1_epi32(zp));
}

static inline __m512 npu_ps_bits(s32 bits)
{
	return _mm512_castsi512_ps(_mm512_set1_epi32(bits));
}

static inline __m512 npu_ps_int(s32 v)
{
	return _mm512_cvtepi32_ps(_mm512_set1_epi32(v));
}

/*
 * RM_NPU_ELT_F32 (contract 6.1), inputs with column stride 1 or 0. The
 * products and sums use the explicit-rounding forms (round to nearest
 * even), which the compiler never fuses into other operations.
 */
#define NPU_RNE	(_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

static void npu_elt_f32_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
			    u64 u, u64 ue)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	const struct rm_npu_elt_input *ia = &e->a, *ib = &e->b;
	const struct rm_npu_requant *rq = &e->rq;
	u32 nblk = (u32)npu_ceil_div(e->cols, NPU_OPS_ELT_BLOCK);
	bool sgn = e->dtype == RM_NPU_DT_INT8, mul = e->op == RM_NPU_ELT_MUL;
	const __m512 sa = npu_ps_bits(ia->mult), sb = npu_ps_bits(ib->mult);
	const __m512 f = npu_ps_bits(rq->mult), zpf = npu_ps_int(rq->zero_point);
	/* MUL: clamp(RNE(y), lo, hi); ADD: clamp(RNE(y) + zp, lo, hi) */
	s32 off = mul ? 0 : rq->zero_point;
	const __m512 lo = npu_ps_int(rq->act_min - off);
	const __m512 hi = npu_ps_int(rq->act_max - off);
	const __m512i offv = _mm512_set1_epi32(off);

	for (; u < ue; u++) {
		u64 r = npu_div_u64(u, nblk);
		u32 c0 = (u32)(u - r * nblk) * NPU_OPS_ELT_BLOCK;
		u32 c1 = npu_min_u32(e->cols, c0 + NPU_OPS_ELT_BLOCK), c;
		const u8 *pa = bo[ia->ref.bo] + ia->ref.offset + r * ia->row_stride;
		const u8 *pb = bo[ib->ref.bo] + ib->ref.offset + r * ib->row_stride;
		u8 *po = bo[e->out.bo] + e->out.offset + r * e->out_row_stride;

		for (c = c0; c < c1; c += 16) {
			__mmask16 m = npu_mask16(c1 - c);
			__m512i xa = npu_elt_ld(pa + (u64)c * ia->col_stride,
						ia->col_stride, m, sgn,
						mul ? ia->zero_point : 0);
			__m512i xb = npu_elt_ld(pb + (u64)c * ib->col_stride,
						ib->col_stride, m, sgn,
						mul ? ib->zero_point : 0);
			__m512 fa = _mm512_cvtepi32_ps(xa);
			__m512 fb = _mm512_cvtepi32_ps(xb);
			__m512 y;

			if (mul) {
				/* |v| <= 65025: fl32(v) is exact */
				y = _mm512_mul_round_ps(_mm512_cvtepi32_ps(
					_mm512_mullo_epi32(xa, xb)), f, NPU_RNE);
				y = _mm512_add_round_ps(y, zpf, NPU_RNE);
			} else if (cmd->flags & RM_NPU_ELT_F32_SCALAR_B) {
				y = _mm512_add_round_ps(f, _mm512_mul_round_ps(
					fb, sb, NPU_RNE), NPU_RNE);
				y = _mm512_fmadd_round_ps(fa, sa, y, NPU_RNE);
			} else if (cmd->flags & RM_NPU_ELT_F32_SCALAR_A) {
				y = _mm512_add_round_ps(f, _mm512_mul_round_ps(
					fa, sa, NPU_RNE), NPU_RNE);
				y = _mm512_fmadd_round_ps(fb, sb, y, NPU_RNE);
			} else {
				y = _mm512_fmadd_round_ps(fa, sa,
					_mm512_fmadd_round_ps(fb, sb, f, NPU_RNE),
					NPU_RNE);
			}
			y = _mm512_min_ps(_mm512_max_ps(y, lo), hi);
			_mm_mask_storeu_epi8(po + c, m, _mm512_cvtepi32_epi8(
				_mm512_add_epi32(_mm512_cvtps_epi32(y), offv)));
		}
	}
}

/* Inputs with column stride 1 or 0 (broadcast); false for the others. */
static bool npu_elt_run(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			u64 ue)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	const struct rm_npu_elt_input *ia = &e->a, *ib = &e->b;
	const struct rm_npu_requant *rq = &e->rq;
	u32 nblk = (u32)npu_ceil_div(e->cols, NPU_OPS_ELT_BLOCK);
	bool sgn = e->dtype == RM_NPU_DT_INT8;
	s32 lo = rq->act_min - rq->zero_point, hi = rq->act_max - rq->zero_point;

	if (ia->col_stride > 1 || ib->col_stride > 1)
		return false;
	if (cmd->flags & RM_NPU_ELT_F32) {
		npu_elt_f32_run(cmd, bo, u, ue);
		return true;
	}
	for (; u < ue; u++) {
		u64 r = npu_div_u64(u, nblk);
		u32 c0 = (u32)(u - r * nblk) * NPU_OPS_ELT_BLOCK;
		u32 c1 = npu_min_u32(e->cols, c0 + NPU_OPS_ELT_BLOCK), c;
		const u8 *pa = bo[ia->ref.bo] + ia->ref.offset + r * ia->row_stride;
		const u8 *pb = bo[ib->ref.bo] + ib->ref.offset + r * ib->row_stride;
		u8 *po = bo[e->out.bo] + e->out.offset + r * e->out_row_stride;

		for (c = c0; c < c1; c += 16) {
			__mmask16 m = npu_mask16(c1 - c);
			__m512i xa = npu_elt_ld(pa + (u64)c * ia->col_stride,
						ia->col_stride, m, sgn,
						ia->zero_point);
			__m512i xb = npu_elt_ld(pb + (u64)c * ib->col_stride,
						ib->col_stride, m, sgn,
						ib->zero_point);
			__m512i v;

			if (e->op == RM_NPU_ELT_MUL) {
				v = _mm512_mullo_epi32(xa, xb);
			} else {
				/* |result| <= 255 * 2^20: the clamp is a no-op */
				xa = npu_scale16(_mm512_slli_epi32(xa, 20),
						 ia->mult, (u32)(31 - ia->shift),
						 -(1 << 29), 1 << 29);
				xb = npu_scale16(_mm512_slli_epi32(xb, 20),
						 ib->mult, (u32)(31 - ib->shift),
						 -(1 << 29), 1 << 29);
				v = e->op == RM_NPU_ELT_ADD ?
				    _mm512_add_epi32(xa, xb) :
				    _mm512_sub_epi32(xa, xb);
			}
			v = npu_scale16(v, rq->mult, (u32)(31 - rq->shift), lo,
					hi);
			v = _mm512_add_epi32(v, _mm512_set1_epi32(rq->zero_point));
			_mm_mask_storeu_epi8(po + c, m, _mm512_cvtepi32_epi8(v));
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* LUT: 256-byte table lookups, 64 at a time (AVX-512 VBMI)            */
/* ------------------------------------------------------------------ */

/* VBMI for this function only: the rest must run on CPUs without it */
__attribute__((target("avx512vbmi")))
static void npu_lut_run(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
			u64 ue)
{
	const struct rm_npu_cmd_lut *l = &cmd->lut;
	const u8 *in = bo[l->in.bo] + l->in.offset;
	const u8 *tab = bo[l->table.bo] + l->table.offset;
	u8 *out = bo[l->out.bo] + l->out.offset;
	u64 i = u * NPU_OPS_STREAM_BLOCK;
	u64 end = npu_min_u64(l->count, npu_sat_mul(ue, NPU_OPS_STREAM_BLOCK));
	const __m512i flip = _mm512_set1_epi8(l->dtype == RM_NPU_DT_INT8 ?
					      (char)0x80 : 0);
	/* the table loaded once: the lookups read these copies */
	__m512i t0 = _mm512_loadu_si512(tab), t1 = _mm512_loadu_si512(tab + 64);
	__m512i t2 = _mm512_loadu_si512(tab + 128);
	__m512i t3 = _mm512_loadu_si512(tab + 192);

	for (; i < end; i += 64) {
		__mmask64 m = npu_mask64((u32)npu_min_u64(64, end - i));
		__m512i x = _mm512_xor_si512(flip, _mm512_maskz_loadu_epi8(m, in + i));
		__m512i lo = _mm512_permutex2var_epi8(t0, x, t1);
		__m512i hi = _mm512_permutex2var_epi8(t2, x, t3);

		_mm512_mask_storeu_epi8(out + i, m, _mm512_mask_blend_epi8(
			_mm512_movepi8_mask(x), lo, hi));
	}
}

/* ------------------------------------------------------------------ */
/* COPY: byte transposes, 16 x 16 tiles                                */
/* ------------------------------------------------------------------ */

/*
 * 16 rows of 16 bytes @ss apart to 16 rows @ds apart, transposed: four
 * rounds of the perfect shuffle (row 2i, 2i + 1 from rows i, i + 8).
 */
static __always_inline void npu_t16(const u8 *s, u64 ss, u8 *d, u64 ds)
{
	__m128i r[16], t[16];
	u32 k, round;

#pragma GCC unroll 16
	for (k = 0; k < 16; k++)
		r[k] = _mm_loadu_si128((const __m128i *)(s + k * ss));
#pragma GCC unroll 4
	for (round = 0; round < 4; round++) {
#pragma GCC unroll 8
		for (k = 0; k < 8; k++) {
			t[2 * k] = _mm_unpacklo_epi8(r[k], r[k + 8]);
			t[2 * k + 1] = _mm_unpackhi_epi8(r[k], r[k + 8]);
		}
#pragma GCC unroll 16
		for (k = 0; k < 16; k++)
			r[k] = t[k];
	}
#pragma GCC unroll 16
	for (k = 0; k < 16; k++)
		_mm_storeu_si128((__m128i *)(d + k * ds), r[k]);
}

/*
 * dst[i * dsi + e * dse] = src[i * ssi + e * sse] for i < ni, e < ne, with
 * sse = 1 and dsi = 1 (a transpose): whole tiles, the edges byte by byte.
 */
static void npu_transpose(const u8 *src, u64 ssi, u8 *dst, u64 dse, u32 ni,
			  u32 ne)
{
	u32 i, e, i1 = ni & ~15u, e1 = ne & ~15u, a, b;

	for (i = 0; i < i1; i += 16)
		for (e = 0; e < e1; e += 16)
			npu_t16(src + i * ssi + e, ssi, dst + e * dse + i, dse);
	for (a = 0; a < ni; a++)
		for (b = a < i1 ? e1 : 0; b < ne; b++)
			dst[a + b * dse] = src[a * ssi + b];
}

/* Byte COPY units that transpose two dimensions; false for the others. */
static bool npu_copy_t_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
			   u64 u, u64 ue)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;
	const u8 *src = bo[c->src.bo] + c->src.offset;
	u8 *dst = bo[c->dst.bo] + c->dst.offset;
	u64 ss2 = c->src_stride[2], ss3 = c->src_stride[3];
	u64 ds2 = c->dst_stride[2], ds3 = c->dst_stride[3];
	u32 n = c->dims[3];

	/* one unit per i2 (the whole of dims[3]), 16 x 16 tiles worth it */
	if (c->elem_size != 1 || n > npu_copy_chunk(c) || n < 16 ||
	    c->dims[2] < 16 || !((ss3 == 1 && ds2 == 1) ||
				 (ss2 == 1 && ds3 == 1)))
		return false;
	while (u < ue) {
		u64 t = npu_div_u64(u, c->dims[2]);
		u32 i2 = (u32)(u - t * c->dims[2]);
		u32 i0 = (u32)npu_div_u64(t, c->dims[1]);
		u32 i1 = (u32)(t - (u64)i0 * c->dims[1]);
		u32 m = (u32)npu_min_u64(c->dims[2] - i2, ue - u);
		const u8 *s = src + i0 * c->src_stride[0] +
			      i1 * c->src_stride[1];
		u8 *d = dst + i0 * c->dst_stride[0] + i1 * c->dst_stride[1];

		if (ss3 == 1 && ds2 == 1)	/* rows of src are i2 */
			npu_transpose(s + i2 * ss2, ss2, d + i2, ds3, m, n);
		else				/* rows of src are e */
			npu_transpose(s + i2, ss3, d + i2 * ds2, ds2, n, m);
		u += m;
	}
	return true;
}

/*
 * Byte COPY units whose runs are read densely and written @ds bytes apart
 * (2 <= ds <= 4: a planar image interleaved into pixels of ds channels,
 * the NCHW to NHWC input of a model; npu_copy_spread_ok()). Per 64 bytes
 * read, output vector k takes byte j from element (64 k + j) / ds where
 * (64 k + j) % ds == 0 (VPERMB), the other bytes untouched (masked store).
 */
static bool npu_copy_spread_ok(const struct rm_npu_cmd_copy *c)
{
	return c->elem_size == 1 && c->src_stride[3] == 1 &&
	       c->dst_stride[3] >= 2 && c->dst_stride[3] <= 4;
}

/* VBMI for this function only, called where the CPU has it */
__attribute__((target("avx512vbmi")))
static void npu_copy_spread_run(const struct rm_npu_cmd *cmd, u8 *const *bo,
				u64 u, u64 ue)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;
	const u8 *src = bo[c->src.bo] + c->src.offset;
	u8 *dst = bo[c->dst.bo] + c->dst.offset;
	u32 ds = (u32)c->dst_stride[3], chunk = npu_copy_chunk(c);
	u32 nrun = (u32)npu_ceil_div(c->dims[3], chunk), k, j;
	__m512i idx[4];
	__mmask64 msk[4];

	for (k = 0; k < ds; k++) {
		u8 ix[64];

		msk[k] = 0;
		for (j = 0; j < 64; j++) {
			ix[j] = (u8)npu_min_u32((64 * k + j) / ds, 63);
			if ((64 * k + j) % ds == 0)
				msk[k] |= 1ULL << j;
		}
		idx[k] = _mm512_loadu_si512(ix);
	}
	for (; u < ue; u++) {
		u64 t = npu_div_u64(u, nrun);
		u32 run = (u32)(u - t * nrun);
		u64 t2 = npu_div_u64(t, c->dims[2]);
		u32 i2 = (u32)(t - t2 * c->dims[2]);
		u32 i0 = (u32)npu_div_u64(t2, c->dims[1]);
		u32 i1 = (u32)(t2 - (u64)i0 * c->dims[1]);
		u32 e0 = run * chunk, n = npu_min_u32(c->dims[3] - e0, chunk);
		const u8 *s = src + i0 * c->src_stride[0] +
			      i1 * c->src_stride[1] + i2 * c->src_stride[2] +
			      e0;
		u8 *d = dst + i0 * c->dst_stride[0] + i1 * c->dst_stride[1] +
			i2 * c->dst_stride[2] + (u64)e0 * ds;
		u32 e;

		for (e = 0; e + 64 <= n; e += 64) {
			__m512i v = _mm512_loadu_si512(s + e);

			for (k = 0; k < ds; k++)
				_mm512_mask_storeu_epi8(d + (u64)e * ds + 64 * k,
					msk[k], _mm512_permutexvar_epi8(idx[k],
									v));
		}
		for (; e < n; e++)
			d[(u64)e * ds] = s[e];
	}
}

/* ------------------------------------------------------------------ */
/* The variant                                                         */
/* ------------------------------------------------------------------ */

static bool npu_is_dw(const struct rm_npu_cmd_conv2d *c)
{
	return c->groups == c->in_c && c->out_c == c->in_c &&
	       c->k_h * c->k_w <= NPU_DW_MAX_TAPS;
}

static int npu_avx512_exec(const struct rm_npu_cmd *cmd, u8 *const *bo,
			   struct npu_ops_ctx *ctx, const void *packed, u64 u,
			   u64 ue)
{
	struct npu_mm mm;

	switch (cmd->opcode) {
	case RM_NPU_OP_GEMM:
		npu_mm_from_gemm(cmd, bo, &mm);
		return npu_mm_run(&mm, ctx, packed, NPU_ISA_AVX512, u, ue);
	case RM_NPU_OP_CONV2D:
		if (npu_mm_from_conv(cmd, bo, &mm))
			return npu_mm_run(&mm, ctx, packed, NPU_ISA_AVX512, u,
					  ue);
		if (npu_is_dw(&cmd->conv2d))
			return npu_dw_run(cmd, bo, ctx, packed, u, ue);
		if (npu_dwg_ok(&cmd->conv2d))
			return npu_dwg_run(cmd, bo, ctx, packed, u, ue);
		break;
	case RM_NPU_OP_POOL2D:
		return npu_pool_run(cmd, bo, u, ue);
	case RM_NPU_OP_ELTWISE:
		if (npu_elt_run(cmd, bo, u, ue))
			return 0;
		break;
	case RM_NPU_OP_COPY:
		if (npu_copy_t_run(cmd, bo, u, ue))
			return 0;
		if (npu_copy_spread_ok(&cmd->copy) && npu_cpu_avx512_vbmi()) {
			npu_copy_spread_run(cmd, bo, u, ue);
			return 0;
		}
		break;
	case RM_NPU_OP_LUT:
		if (!npu_cpu_avx512_vbmi())
			break;
		npu_lut_run(cmd, bo, u, ue);
		return 0;
	default:
		break;
	}
	return npu_scalar_exec(cmd, bo, u, ue);
}

/* Depthwise commands whose weights the transformed-row kernel can use. */
static bool npu_dwq_packs(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	return cmd->opcode == RM_NPU_OP_CONV2D && c->groups != 1 &&
	       ((npu_is_dw(c) && c->dil_w == 1 &&
		 c->k_w <= 4 * NPU_DWQ_MAX_GX) || npu_dwg_ok(c));
}

static u64 npu_avx512_pack_size(const struct rm_npu_cmd *cmd)
{
	struct npu_mm mm;

	if (npu_dwq_packs(cmd)) {
		struct rm_npu_cmd_conv2d flat;

		if (npu_dwg_ok(&cmd->conv2d))
			npu_dwg_flat(&cmd->conv2d, &flat);
		else
			flat = cmd->conv2d;
		return sizeof(struct npu_dwq_packed) +
		       npu_dwq_block_bytes(&flat) *
		       npu_ceil_div(flat.out_c, NPU_MM_COLS);
	}
	return npu_mm_for_pack(cmd, NULL, &mm) ? npu_mm_pack_bytes(&mm) : 0;
}

static void npu_avx512_pack(const struct rm_npu_cmd *cmd, u8 *const *bo,
			  void *dst)
{
	struct rm_npu_cmd_conv2d flat;
	const struct rm_npu_cmd_conv2d *c = &flat;
	struct npu_mm mm;

	if (npu_dwg_ok(&cmd->conv2d))
		npu_dwg_flat(&cmd->conv2d, &flat);
	else
		flat = cmd->conv2d;
	if (npu_dwq_packs(cmd)) {
		struct npu_dwq_packed *pk = dst;
		const s8 *wsrc = (const s8 *)(bo[c->weights.bo] +
					      c->weights.offset);
		u32 cb, step, nblk = (u32)npu_ceil_div(c->out_c, NPU_MM_COLS);

		pk->magic = NPU_DWQ_PACK_MAGIC;
		pk->isa = NPU_ISA_AVX512;
		pk->k_h = c->k_h;
		pk->k_w = c->k_w;
		pk->c = c->out_c;
		pk->ngx = (c->k_w + 3) / 4;
		pk->block_bytes = npu_dwq_block_bytes(c);
		npu_dwq_sets(c, &step, &pk->nset);
		for (cb = 0; cb < nblk; cb++) {
			u8 *blk = (u8 *)(pk + 1) + (u64)cb * pk->block_bytes;

			u32 w = npu_min_u32(NPU_MM_COLS,
					    c->out_c - cb * NPU_MM_COLS);

			/* half: as npu_dwq_geometry() decides at run time */
			npu_dwq_pack_block(c, wsrc, cb * NPU_MM_COLS, w,
					   pk->ngx, pk->nset,
					   !npu_dwg_ok(&cmd->conv2d) &&
					   w <= NPU_MM_COLS / 2,
					   (__m512i *)blk,
					   (s32 *)(blk + pk->block_bytes - 4 * 64));
		}
		return;
	}
	if (npu_mm_for_pack(cmd, bo, &mm))
		npu_mm_pack_all(&mm, NPU_ISA_AVX512, dst);
}

const struct npu_isa_ops npu_isa_avx512 = {
	.name = "avx512",
	.simd = true,
	.exec = npu_avx512_exec,
	.pack_size = npu_avx512_pack_size,
	.pack = npu_avx512_pack,
};

#endif /* NPU_OPS_HAVE_AVX512 && !__CHECKER__ */
