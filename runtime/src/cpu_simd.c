// SPDX-License-Identifier: MIT
/*
 * cpu_simd.c - vectorized loops of the CPU steps (cpu_simd.h), and the
 * choice among them (npurt_cpu_step_isa()).
 */
#include <errno.h>
#include <immintrin.h>

#include "cpu_ops.h"
#include "cpu_simd.h"

/*
 * cpu_ops.c quant_tensor()'s arithmetic 16 (AVX-512) or 8 (AVX2) floats at a time,
 * the same IEEE operations in the same order: the division, then MAX and
 * MIN, which return their second operand when the first is NaN or the
 * comparison fails (t > tlo ? t : tlo, t < thi ? t : thi), the 1.5 * 2^23
 * rounding, a truncating conversion of what is now an integer in
 * [lo - zp, hi - zp]. Both return how many leading elements they did.
 */
__attribute__((target("avx512f,avx512bw")))
uint64_t npurt_simd_quant_avx512(const float *x, uint8_t *y, uint64_t n,
				 float s, int32_t zp, float tlo, float thi)
{
	const __m512 vs = _mm512_set1_ps(s), vlo = _mm512_set1_ps(tlo);
	const __m512 vhi = _mm512_set1_ps(thi);
	const __m512 magic = _mm512_set1_ps(12582912.0f);
	const __m512i vzp = _mm512_set1_epi32(zp);
	uint64_t i;

	for (i = 0; i < n; i += 16) {
		__mmask16 m = n - i >= 16 ? 0xffff :
			      (__mmask16)((1u << (n - i)) - 1);
		__m512 t = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), vs);

		t = _mm512_min_ps(_mm512_max_ps(t, vlo), vhi);
		t = _mm512_sub_ps(_mm512_add_ps(t, magic), magic);
		_mm512_mask_cvtepi32_storeu_epi8(y + i, m, _mm512_add_epi32(
			_mm512_cvttps_epi32(t), vzp));
	}
	return n;
}

__attribute__((target("avx2")))
uint64_t npurt_simd_quant_avx2(const float *x, uint8_t *y, uint64_t n,
			       float s, int32_t zp, float tlo, float thi,
			       bool sgn)
{
	const __m256 vs = _mm256_set1_ps(s), vlo = _mm256_set1_ps(tlo);
	const __m256 vhi = _mm256_set1_ps(thi);
	const __m256 magic = _mm256_set1_ps(12582912.0f);
	const __m256i vzp = _mm256_set1_epi32(zp);
	uint64_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		__m256 t = _mm256_div_ps(_mm256_loadu_ps(x + i), vs);
		__m256i q;
		__m128i w;

		t = _mm256_min_ps(_mm256_max_ps(t, vlo), vhi);
		t = _mm256_sub_ps(_mm256_add_ps(t, magic), magic);
		q = _mm256_add_epi32(_mm256_cvttps_epi32(t), vzp);
		/* in [lo, hi]: the saturating packs change nothing */
		w = _mm_packs_epi32(_mm256_castsi256_si128(q),
				    _mm256_extracti128_si256(q, 1));
		w = sgn ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
		_mm_storel_epi64((__m128i *)(y + i), w);
	}
	return i;
}

/* The best variant of the vectorized CPU steps this CPU runs: 2, 1 or 0. */
static int step_isa_best(void)
{
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		return 2;
	return __builtin_cpu_supports("avx2") &&
	       __builtin_cpu_supports("fma") ? 1 : 0;
}

/* Set by tests only (npurt_cpu_step_isa()); -1: the best. */
static int step_isa = -1;

int npurt_cpu_step_isa(int isa)
{
	if (isa < -1 || isa > 2 || isa > step_isa_best())
		return -ENODEV;
	step_isa = isa;
	return isa < 0 ? step_isa_best() : isa;
}

int npurt_cpu_step_isa_now(void)
{
	return step_isa < 0 ? step_isa_best() : step_isa;
}

/* ---- DEQUANTIZE --------------------------------------------------------- */

/* Integers of 8 bits minus zp convert to float exactly; one rounding: *s. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static uint64_t dequant_avx512(const void *x, float *y, uint64_t n, float s,
			       int32_t zp, bool sgn)
{
	const __m512 vs = _mm512_set1_ps(s);
	const __m512i vzp = _mm512_set1_epi32(zp);
	const uint8_t *b = x;
	uint64_t i;

	for (i = 0; i < n; i += 16) {
		__mmask16 m = n - i >= 16 ? 0xffff :
			      (__mmask16)((1u << (n - i)) - 1);
		__m128i q = _mm_maskz_loadu_epi8(m, b + i);
		__m512i v = sgn ? _mm512_cvtepi8_epi32(q) :
				  _mm512_cvtepu8_epi32(q);

		_mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(
			_mm512_cvtepi32_ps(_mm512_sub_epi32(v, vzp)), vs));
	}
	return n;
}

__attribute__((target("avx2")))
static uint64_t dequant_avx2(const void *x, float *y, uint64_t n, float s,
			     int32_t zp, bool sgn)
{
	const __m256 vs = _mm256_set1_ps(s);
	const __m256i vzp = _mm256_set1_epi32(zp);
	const uint8_t *b = x;
	uint64_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		__m128i q = _mm_loadl_epi64((const __m128i *)(b + i));
		__m256i v = sgn ? _mm256_cvtepi8_epi32(q) :
				  _mm256_cvtepu8_epi32(q);

		_mm256_storeu_ps(y + i, _mm256_mul_ps(
			_mm256_cvtepi32_ps(_mm256_sub_epi32(v, vzp)), vs));
	}
	return i;
}

uint64_t npurt_simd_dequant(int isa, const void *x, float *y, uint64_t n,
			    float s, int32_t zp, uint32_t dt)
{
	bool sgn = dt == NPURT_DTYPE_INT8;

	if (dt != NPURT_DTYPE_INT8 && dt != NPURT_DTYPE_UINT8)
		return 0;
	if (isa == 2)
		return dequant_avx512(x, y, n, s, zp, sgn);
	return isa == 1 ? dequant_avx2(x, y, n, s, zp, sgn) : 0;
}

/* ---- binary element-wise ------------------------------------------------ */

/*
 * MAX and MIN are the x86 instructions' own definitions (first > second ?
 * first : second, and <), which are the portable loop's.
 */
#define BINARY_LOOP(W, PS, LOAD, STORE, MASKDECL)			\
	do {								\
		for (i = 0; i < n; i += W) {				\
			MASKDECL;					\
			PS u = sa ? LOAD(a + i) : va;			\
			PS v = sb ? LOAD(b + i) : vb;			\
			PS w;						\
									\
			switch (opcode) {				\
			case NPURT_CPU_ADD: w = OP_ADD(u, v); break;	\
			case NPURT_CPU_SUB: w = OP_SUB(u, v); break;	\
			case NPURT_CPU_MUL: w = OP_MUL(u, v); break;	\
			case NPURT_CPU_DIV: w = OP_DIV(u, v); break;	\
			case NPURT_CPU_MAX: w = OP_MAX(u, v); break;	\
			default: w = OP_MIN(u, v); break;		\
			}						\
			STORE(y + i, w);				\
		}							\
	} while (0)

__attribute__((target("avx512f")))
static uint64_t binary_avx512(uint32_t opcode, const float *a,
			      unsigned int sa, const float *b, unsigned int sb,
			      float *y, uint64_t n)
{
	const __m512 va = _mm512_set1_ps(*a), vb = _mm512_set1_ps(*b);
	uint64_t i;

#define OP_ADD _mm512_add_ps
#define OP_SUB _mm512_sub_ps
#define OP_MUL _mm512_mul_ps
#define OP_DIV _mm512_div_ps
#define OP_MAX _mm512_max_ps
#define OP_MIN _mm512_min_ps
#define LOAD512(p) _mm512_maskz_loadu_ps(m, p)
#define STORE512(p, v) _mm512_mask_storeu_ps(p, m, v)
	BINARY_LOOP(16, __m512, LOAD512, STORE512,
		    __mmask16 m = n - i >= 16 ? 0xffff :
				  (__mmask16)((1u << (n - i)) - 1));
#undef OP_ADD
#undef OP_SUB
#undef OP_MUL
#undef OP_DIV
#undef OP_MAX
#undef OP_MIN
	return n;
}

__attribute__((target("avx2")))
static uint64_t binary_avx2(uint32_t opcode, const float *a, unsigned int sa,
			    const float *b, unsigned int sb, float *y,
			    uint64_t n)
{
	const __m256 va = _mm256_set1_ps(*a), vb = _mm256_set1_ps(*b);
	uint64_t i;

#define OP_ADD _mm256_add_ps
#define OP_SUB _mm256_sub_ps
#define OP_MUL _mm256_mul_ps
#define OP_DIV _mm256_div_ps
#define OP_MAX _mm256_max_ps
#define OP_MIN _mm256_min_ps
	n -= n % 8;
	BINARY_LOOP(8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, (void)0);
#undef OP_ADD
#undef OP_SUB
#undef OP_MUL
#undef OP_DIV
#undef OP_MAX
#undef OP_MIN
	return n;
}

uint64_t npurt_simd_binary(int isa, uint32_t opcode, const float *a,
			   unsigned int sa, const float *b, unsigned int sb,
			   float *y, uint64_t n)
{
	switch (opcode) {
	case NPURT_CPU_ADD: case NPURT_CPU_SUB: case NPURT_CPU_MUL:
	case NPURT_CPU_DIV: case NPURT_CPU_MAX: case NPURT_CPU_MIN:
		break;
	default:
		return 0;
	}
	if (!n || sa > 1 || sb > 1)
		return 0;
	if (isa == 2)
		return binary_avx512(opcode, a, sa, b, sb, y, n);
	return isa == 1 ? binary_avx2(opcode, a, sa, b, sb, y, n) : 0;
}
