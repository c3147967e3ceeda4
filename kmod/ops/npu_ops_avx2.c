// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu_ops_avx2.c - the AVX2 execution variant: GEMM and dense CONV2D on
 * VPMADDWD over int16 (A - a_zero_point) and (B - b_zero_point), both in
 * -255..255, so each pair of products fits int32 and nothing saturates
 * (VPMADDUBSW would: u8 x s8 pairs reach 65280 > 32767, so it is not
 * used). Other opcodes run the portable variant. Userspace builds it with a
 * target pragma, the kernel with Kbuild's flags, and runs it between
 * kernel_fpu_begin() and kernel_fpu_end().
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
 * at a time through a buffer (the last group partly filled).
 */
static void npu_mm_epi_f32(const struct npu_mm_epi *e, const s32 *acc, u32 w,
			   u8 *out)
{
	const __m256 lo = _mm256_cvtepi32_ps(_mm256_set1_epi32(e->lo - e->zp));
	const __m256 hi = _mm256_cvtepi32_ps(_mm256_set1_epi32(e->hi - e->zp));
	const __m256i zp = _mm256_set1_epi32(e->zp);
	s32 t[8];
	u32 j, i, n;

	for (j = 0; j < w; j += 8) {
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
