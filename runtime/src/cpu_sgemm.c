// SPDX-License-Identifier: MIT
/*
 * cpu_sgemm.c - the binary32 CONV step in onnxruntime's SGEMM order (CONV
 * with p[26] = 1), the float Conv that onnxruntime runs between int8
 * DequantizeLinear and QuantizeLinear nodes it does not fuse (see
 * tools/npu-compile/qdq.c, ort_float_group()): a portable variant, and
 * AVX2 and AVX-512 ones that run every output's chain of fused
 * multiply-adds in the same order, vector lanes being output pixels, so
 * all three give the same bits (npurt_cpu_step_isa() picks one).
 *
 * Per group, K = C/group * KH * KW in (c, ky, kx) order taken in slices of
 * a K stride (128, halved while it is at least twice K when N = OH * OW >=
 * K, else doubled while the N stride, 128, halves above 16 and stays at
 * least twice N); within a slice one fused multiply-add chain from zero,
 * slices added in order; then the bias.
 */
#include <errno.h>
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_ops.h"

static void *at(uint8_t *const *bases, const struct npurt_cpu_ref *r)
{
	return r->slot == NPURT_CPU_NONE ? NULL : bases[r->slot] + r->offset;
}

int64_t npurt_cpu_sgemm_kstride(int64_t K, int64_t NP)
{
	int64_t strn = 128, strk = 128;

	if (NP >= K) {
		while (strk / 2 >= K) {
			strn *= 2;
			strk /= 2;
		}
	} else {
		while (strn > 16 && strn / 2 >= NP) {
			strk *= 2;
			strn /= 2;
		}
	}
	return strk;
}

/* ---- portable ------------------------------------------------------------ */

#define SGEMM_CHUNK	256	/* output pixels per pass */

#define SGEMM_TILE	32	/* pixels per register tile */

/*
 * One K slice for up to four filters and SGEMM_TILE pixels: a[f][j] =
 * fma(w[f][k], col[k][j], a[f][j]) for k in [k0, k1), in k order (each
 * output's chain is the contract's; the tile only keeps sums in
 * registers). The vectorized variants below are the fast ones; this is
 * the reference they equal, and the fallback without memory for them.
 */
static void sgemm_tile(const float *const w[4], const float *col, int64_t k0,
		       int64_t k1, float out[4][SGEMM_TILE])
{
	float a0[SGEMM_TILE] = { 0 }, a1[SGEMM_TILE] = { 0 };
	float a2[SGEMM_TILE] = { 0 }, a3[SGEMM_TILE] = { 0 };
	int64_t k;
	int j;

	for (k = k0; k < k1; k++) {
		const float *c = col + k * SGEMM_CHUNK;
		float w0 = w[0][k], w1 = w[1][k];
		float w2 = w[2][k], w3 = w[3][k];

		for (j = 0; j < SGEMM_TILE; j++) {
			a0[j] = fmaf(w0, c[j], a0[j]);
			a1[j] = fmaf(w1, c[j], a1[j]);
			a2[j] = fmaf(w2, c[j], a2[j]);
			a3[j] = fmaf(w3, c[j], a3[j]);
		}
	}
	memcpy(out[0], a0, sizeof(a0));
	memcpy(out[1], a1, sizeof(a1));
	memcpy(out[2], a2, sizeof(a2));
	memcpy(out[3], a3, sizeof(a3));
}

static void sgemm_conv_portable(const struct npurt_cpu_op *op,
				uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]), *wt = at(bases, &op->in[1]);
	const float *bias = at(bases, &op->in[2]);
	float *y = at(bases, &op->out);
	const int64_t *p = op->p;
	int64_t N = p[0], C = p[1], H = p[2], W = p[3], OC = p[4], KH = p[5];
	int64_t KW = p[6], sh = p[7], sw = p[8], pt = p[9], pl = p[10];
	int64_t dh = p[13], dw = p[14], G = p[15], OH = p[16], OW = p[17];
	int64_t cg = C / G, og = OC / G, K = cg * KH * KW, NP = OH * OW;
	int64_t strk = npurt_cpu_sgemm_kstride(K, NP), nb, g, oc, p0, k0, k, j;
	float *col = malloc((size_t)(K ? K : 1) * SGEMM_CHUNK * sizeof(float));
	int64_t py[SGEMM_CHUNK], px[SGEMM_CHUNK];

	for (nb = 0; nb < N; nb++)
	for (g = 0; g < G; g++)
	for (p0 = 0; p0 < NP; p0 += SGEMM_CHUNK) {
		int64_t n = NP - p0 < SGEMM_CHUNK ? NP - p0 : SGEMM_CHUNK;
		float one_col[SGEMM_CHUNK];

		for (j = 0; j < n; j++) {
			py[j] = (p0 + j) / OW * sh - pt;
			px[j] = (p0 + j) % OW * sw - pl;
		}
		/* the im2col rows of this chunk, zero where padded and past
		 * the last pixel (without memory for them: one row at a
		 * time, below) */
		for (k = 0; col && k < K; k++) {
			int64_t ci = k / (KH * KW), r = k % (KH * KW);
			int64_t dy = (r / KW) * dh, dx = (r % KW) * dw;
			const float *xc = x + (nb * C + g * cg + ci) * H * W;
			float *cr = col + k * SGEMM_CHUNK;

			for (j = 0; j < n; j++) {
				int64_t iy = py[j] + dy, ix = px[j] + dx;

				cr[j] = iy >= 0 && iy < H && ix >= 0 && ix < W ?
					xc[iy * W + ix] : 0.0f;
			}
			for (; j < SGEMM_CHUNK; j++)
				cr[j] = 0.0f;
		}
		for (oc = g * og; oc < (g + 1) * og; oc += 4) {
			const float *w[4];
			float tot[4][SGEMM_CHUNK], part[4][SGEMM_TILE];
			int64_t nf = (g + 1) * og - oc < 4 ? (g + 1) * og - oc : 4;
			int64_t f, j0;

			for (f = 0; f < 4; f++)	/* a short group repeats */
				w[f] = wt + (oc + (f < nf ? f : 0)) * K;
			for (k0 = 0; k0 < K; k0 += strk) {
				int64_t k1 = k0 + strk < K ? k0 + strk : K;

				for (j0 = 0; j0 < SGEMM_CHUNK; j0 += SGEMM_TILE) {
					if (col) {
						sgemm_tile(w, col + j0, k0, k1, part);
					} else {
						int t;

						memset(part, 0, sizeof(part));
						for (k = k0; k < k1; k++) {
							int64_t ci = k / (KH * KW);
							int64_t r = k % (KH * KW);
							const float *xc = x +
								(nb * C + g * cg + ci) *
								H * W;

							for (t = 0; t < SGEMM_TILE; t++) {
								int64_t jj = j0 + t;
								int64_t iy = jj < n ? py[jj] + (r / KW) * dh : -1;
								int64_t ix = jj < n ? px[jj] + (r % KW) * dw : -1;

								one_col[t] = iy >= 0 && iy < H &&
									ix >= 0 && ix < W ?
									xc[iy * W + ix] : 0.0f;
							}
							for (f = 0; f < 4; f++)
								for (t = 0; t < SGEMM_TILE; t++)
									part[f][t] = fmaf(w[f][k], one_col[t], part[f][t]);
						}
					}
					for (f = 0; f < 4; f++)
						for (j = 0; j < SGEMM_TILE; j++)
							tot[f][j0 + j] = k0 ?
								tot[f][j0 + j] + part[f][j] :
								part[f][j];
				}
			}
			for (f = 0; f < nf; f++)
				for (j = 0; j < n; j++)
					y[(nb * OC + oc + f) * NP + p0 + j] =
						bias ? tot[f][j] + bias[oc + f] :
						tot[f][j];
		}
	}
	free(col);
}


/* ---- AVX2 and AVX-512 ---------------------------------------------------- */

/*
 * One K slice [k0, k1) of up to 8 filters (@nf; rows @w, K floats each)
 * over @n pixels whose K rows lie @ldc floats apart at @col: with @first,
 * the sums are stored at @y (filter rows @ldy floats apart), else added
 * to what @y holds; with @last, the filters' @bias (when there is one) is
 * added after that. Lanes are pixels; each lane's chain is the portable
 * variant's, fused multiply-adds from zero in k order.
 */
struct sgemm_pass {
	const float *w[8];
	const float *col;
	const float *bias;
	float *y;
	int64_t ldc, ldy, k0, k1, n;
	int nf;
	bool first, last;
};

#define SGEMM_AVX512_FILTERS	8	/* x 32 pixels: 16 of 32 registers */
#define SGEMM_AVX2_FILTERS	4	/* x 16 pixels: 8 of 16 registers */

__attribute__((target("avx512f")))
static void sgemm_pass_avx512(const struct sgemm_pass *s)
{
	int64_t j0, k;
	int f;

	for (j0 = 0; j0 < s->n; j0 += 32) {
		int64_t left = s->n - j0;
		__mmask16 m0 = left >= 16 ? 0xffff :
			       (__mmask16)((1u << left) - 1);
		__mmask16 m1 = left >= 32 ? 0xffff : left <= 16 ? 0 :
			       (__mmask16)((1u << (left - 16)) - 1);
		const float *c = s->col + j0 + s->k0 * s->ldc;
		__m512 a[8][2];

#pragma GCC unroll 8
		for (f = 0; f < 8; f++)
			a[f][0] = a[f][1] = _mm512_setzero_ps();
		for (k = s->k0; k < s->k1; k++, c += s->ldc) {
			__m512 b0 = _mm512_maskz_loadu_ps(m0, c);
			__m512 b1 = _mm512_maskz_loadu_ps(m1, c + 16);

#pragma GCC unroll 8
			for (f = 0; f < 8; f++) {
				__m512 wv = _mm512_set1_ps(s->w[f][k]);

				a[f][0] = _mm512_fmadd_ps(wv, b0, a[f][0]);
				a[f][1] = _mm512_fmadd_ps(wv, b1, a[f][1]);
			}
		}
		/* unrolled, so that a[][] stays in registers */
#pragma GCC unroll 8
		for (f = 0; f < 8; f++) {
			float *y = s->y + f * s->ldy + j0;

			if (f >= s->nf)
				break;
			if (!s->first) {
				a[f][0] = _mm512_add_ps(
					_mm512_maskz_loadu_ps(m0, y), a[f][0]);
				a[f][1] = _mm512_add_ps(
					_mm512_maskz_loadu_ps(m1, y + 16),
					a[f][1]);
			}
			if (s->last && s->bias) {
				__m512 bv = _mm512_set1_ps(s->bias[f]);

				a[f][0] = _mm512_add_ps(a[f][0], bv);
				a[f][1] = _mm512_add_ps(a[f][1], bv);
			}
			_mm512_mask_storeu_ps(y, m0, a[f][0]);
			_mm512_mask_storeu_ps(y + 16, m1, a[f][1]);
		}
	}
}

/* Lanes [0, @left) of a maskload/maskstore mask of 8 floats. */
__attribute__((target("avx2")))
static __m256i sgemm_mask_avx2(int64_t left)
{
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);

	return _mm256_cmpgt_epi32(_mm256_set1_epi32(
		(int)(left < 0 ? 0 : left > 8 ? 8 : left)), lane);
}

__attribute__((target("avx2,fma")))
static void sgemm_pass_avx2(const struct sgemm_pass *s)
{
	int64_t j0, k;
	int f;

	for (j0 = 0; j0 < s->n; j0 += 16) {
		__m256i m0 = sgemm_mask_avx2(s->n - j0);
		__m256i m1 = sgemm_mask_avx2(s->n - j0 - 8);
		const float *c = s->col + j0 + s->k0 * s->ldc;
		__m256 a[4][2];

#pragma GCC unroll 4
		for (f = 0; f < 4; f++)
			a[f][0] = a[f][1] = _mm256_setzero_ps();
		for (k = s->k0; k < s->k1; k++, c += s->ldc) {
			__m256 b0 = _mm256_maskload_ps(c, m0);
			__m256 b1 = _mm256_maskload_ps(c + 8, m1);

#pragma GCC unroll 4
			for (f = 0; f < 4; f++) {
				__m256 wv = _mm256_set1_ps(s->w[f][k]);

				a[f][0] = _mm256_fmadd_ps(wv, b0, a[f][0]);
				a[f][1] = _mm256_fmadd_ps(wv, b1, a[f][1]);
			}
		}
#pragma GCC unroll 4
		for (f = 0; f < 4; f++) {
			float *y = s->y + f * s->ldy + j0;

			if (f >= s->nf)
				break;
			if (!s->first) {
				a[f][0] = _mm256_add_ps(
					_mm256_maskload_ps(y, m0), a[f][0]);
				a[f][1] = _mm256_add_ps(
					_mm256_maskload_ps(y + 8, m1), a[f][1]);
			}
			if (s->last && s->bias) {
				__m256 bv = _mm256_set1_ps(s->bias[f]);

				a[f][0] = _mm256_add_ps(a[f][0], bv);
				a[f][1] = _mm256_add_ps(a[f][1], bv);
			}
			_mm256_maskstore_ps(y, m0, a[f][0]);
			_mm256_maskstore_ps(y + 8, m1, a[f][1]);
		}
	}
}

/* Whether [a, a + an) and [b, b + bn) share a float. */
static bool sgemm_overlap(const float *a, int64_t an, const float *b,
			  int64_t bn)
{
	return (uintptr_t)a < (uintptr_t)(b + bn) &&
	       (uintptr_t)b < (uintptr_t)(a + an);
}

/*
 * Row @k of the im2col of output pixels [@p0, @p0 + @n) at @cr: the input
 * value each pixel's tap k reads (channel k / (KH * KW) of the group at
 * @xg), 0 where it falls in the padding; an output row's pixels at a time,
 * a stride-1 row's inside run copied whole.
 */
static void sgemm_im2col_row(float *cr, const float *xg, const int64_t *p,
			     int64_t k, int64_t p0, int64_t n)
{
	int64_t H = p[2], W = p[3], KH = p[5], KW = p[6], sh = p[7], sw = p[8];
	int64_t OW = p[17], r = k % (KH * KW);
	int64_t dy = (r / KW) * p[13] - p[9], dx = (r % KW) * p[14] - p[10];
	int64_t oy = p0 / OW, ox = p0 % OW, j = 0, t;
	const float *xc = xg + k / (KH * KW) * H * W;

	while (j < n) {
		int64_t run = OW - ox < n - j ? OW - ox : n - j;
		int64_t iy = oy * sh + dy;
		float *o = cr + j;

		if (iy < 0 || iy >= H) {
			memset(o, 0, (size_t)run * sizeof(float));
		} else if (sw == 1) {
			/* ix = ox + t + dx inside [0, W) for t in [lo, hi) */
			int64_t lo = -dx - ox, hi = W - dx - ox;

			lo = lo < 0 ? 0 : lo > run ? run : lo;
			hi = hi < lo ? lo : hi > run ? run : hi;
			memset(o, 0, (size_t)lo * sizeof(float));
			memcpy(o + lo, xc + iy * W + ox + lo + dx,
			       (size_t)(hi - lo) * sizeof(float));
			memset(o + hi, 0, (size_t)(run - hi) * sizeof(float));
		} else {
			for (t = 0; t < run; t++) {
				int64_t ix = (ox + t) * sw + dx;

				o[t] = ix >= 0 && ix < W ? xc[iy * W + ix] :
				       0.0f;
			}
		}
		j += run;
		ox = 0;
		oy++;
	}
}

/* Filters per register tile of the vectorized variant @isa. */
static int64_t sgemm_filters(int isa)
{
	return isa == 2 ? SGEMM_AVX512_FILTERS : SGEMM_AVX2_FILTERS;
}

uint64_t npurt_cpu_conv_sgemm_units(const struct npurt_cpu_op *op)
{
	const int64_t *p = op->p;
	int isa = npurt_cpu_step_isa_now();
	int64_t og = p[4] / p[15], NP = p[16] * p[17], fb;

	if (!isa)
		return 0;
	fb = sgemm_filters(isa);
	return (uint64_t)p[0] * (uint64_t)p[15] *
	       (uint64_t)((NP + SGEMM_CHUNK - 1) / SGEMM_CHUNK) *
	       (uint64_t)((og + fb - 1) / fb);
}

/*
 * Units [@begin, @end) of the vectorized variant: a unit is one register
 * tile's filters of a group over one chunk of pixels, numbered by (item,
 * group, chunk, filter block), so that a range shares its chunks' im2col.
 * A 1x1 convolution of stride 1 without padding reads its input in place
 * (its K rows are the input channels), others im2col the chunk first.
 */
int npurt_cpu_conv_sgemm_range(const struct npurt_cpu_op *op,
			       uint8_t *const *bases, uint64_t begin,
			       uint64_t end)
{
	const float *x = at(bases, &op->in[0]), *wt = at(bases, &op->in[1]);
	const float *bias = at(bases, &op->in[2]);
	float *y = at(bases, &op->out);
	const int64_t *p = op->p;
	int isa = npurt_cpu_step_isa_now();
	int64_t N = p[0], C = p[1], H = p[2], W = p[3], OC = p[4], KH = p[5];
	int64_t KW = p[6], sh = p[7], sw = p[8], pt = p[9], pl = p[10];
	int64_t G = p[15], OH = p[16], OW = p[17];
	int64_t cg = C / G, og = OC / G, K = cg * KH * KW, NP = OH * OW;
	int64_t strk = npurt_cpu_sgemm_kstride(K, NP), fb = sgemm_filters(isa), k;
	int64_t nob = (og + fb - 1) / fb, nch = (NP + SGEMM_CHUNK - 1) /
						SGEMM_CHUNK;
	bool direct = KH == 1 && KW == 1 && sh == 1 && sw == 1 && !pt &&
		      !pl && OH == H && OW == W &&
		      !sgemm_overlap(x, N * C * H * W, y, N * OC * NP);
	uint64_t u, prev = UINT64_MAX;
	struct sgemm_pass s = { .ldy = NP };
	float *col = NULL;
	int f;

	if (!isa)
		return -EINVAL;
	if (!direct) {
		col = malloc((size_t)K * SGEMM_CHUNK * sizeof(float));
		if (!col)
			return -ENOMEM;
	}
	for (u = begin; u < end; u++) {
		uint64_t chunk = u / (uint64_t)nob;	/* (item, group, chunk) */
		int64_t ob = (int64_t)(u % (uint64_t)nob);
		int64_t p0 = (int64_t)(chunk % (uint64_t)nch) * SGEMM_CHUNK;
		int64_t g = (int64_t)(chunk / (uint64_t)nch % (uint64_t)G);
		int64_t nb = (int64_t)(chunk / (uint64_t)nch / (uint64_t)G);
		int64_t oc = g * og + ob * fb;
		const float *xg = x + (nb * C + g * cg) * H * W;

		s.n = NP - p0 < SGEMM_CHUNK ? NP - p0 : SGEMM_CHUNK;
		if (direct) {
			s.col = xg + p0;
			s.ldc = NP;
		} else if (chunk != prev) {
			for (k = 0; k < K; k++)
				sgemm_im2col_row(col + k * SGEMM_CHUNK, xg, p, k,
						 p0, s.n);
			s.col = col;
			s.ldc = SGEMM_CHUNK;
		}
		prev = chunk;
		s.nf = (int)((g + 1) * og - oc < fb ? (g + 1) * og - oc : fb);
		for (f = 0; f < fb; f++)	/* a short block repeats */
			s.w[f] = wt + (oc + (f < s.nf ? f : 0)) * K;
		s.y = y + (nb * OC + oc) * NP + p0;
		s.bias = bias ? bias + oc : NULL;
		for (s.k0 = 0; s.k0 < K; s.k0 += strk) {
			s.k1 = s.k0 + strk < K ? s.k0 + strk : K;
			s.first = !s.k0;
			s.last = s.k1 == K;
			if (isa == 2)
				sgemm_pass_avx512(&s);
			else
				sgemm_pass_avx2(&s);
		}
	}
	free(col);
	return 0;
}

void npurt_cpu_conv_sgemm(const struct npurt_cpu_op *op,
			  uint8_t *const *bases)
{
	uint64_t units = npurt_cpu_conv_sgemm_units(op);

	if (!units || npurt_cpu_conv_sgemm_range(op, bases, 0, units))
		sgemm_conv_portable(op, bases);
}
