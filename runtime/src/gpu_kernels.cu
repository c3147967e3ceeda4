// SPDX-License-Identifier: MIT
/*
 * gpu_kernels.cu - the rm_npu command set in CUDA C, compiled at run time
 * by NVRTC (gpu_backend.c prepends gpu_params.h). Every kernel computes
 * the bytes of uapi/rm_npu_commands.md exactly: integer arithmetic in the
 * contract's widths, the binary32 modes (sections 3.4 and 6.1) through the
 * explicitly rounded intrinsics only (__int2float_rn, __fmul_rn, __fadd_rn,
 * __fmaf_rn, __float2ll_rn; NVRTC runs with --fmad=false --ftz=false, so
 * nothing is contracted and subnormal F values stay exact), so results
 * equal the CPU backend's byte for byte. Commands are validated on the host (npu_cmd_validate())
 * before any kernel sees them. blockIdx.z is the batch item: each kernel
 * first moves its operands to that item's (gpu_params.h).
 */

#define G_THREADS	256

/*
 * The tensor-core kernels' code: from sm_80 on, and on the host under
 * G_HOST_EMU (tests/unit/gpu_emu.h runs mma.sync and cp.async there).
 */
#if defined(G_HOST_EMU) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800)
#define G_TC	1
#else
#define G_TC	0
#endif

__device__ __forceinline__ g_s32 g_ld_s32(const g_u8 *p)
{
	if (!((g_u64)p % 4))
		return *(const g_s32 *)p;
	return (g_s32)((g_u32)p[0] | (g_u32)p[1] << 8 | (g_u32)p[2] << 16 |
		       (g_u32)p[3] << 24);
}

__device__ __forceinline__ void g_st_s32(g_u8 *p, g_s32 v)
{
	g_u32 u = (g_u32)v;

	p[0] = (g_u8)u;
	p[1] = (g_u8)(u >> 8);
	p[2] = (g_u8)(u >> 16);
	p[3] = (g_u8)(u >> 24);
}

__device__ __forceinline__ g_s32 g_clamp(g_s64 v, g_s32 lo, g_s32 hi)
{
	return v < lo ? lo : v > hi ? hi : (g_s32)v;
}

/* Section 2: round half up by a flooring shift, plus zero point, clamp. */
__device__ __forceinline__ g_s32 g_requant(g_s64 acc, g_s32 mult, g_s32 shift,
					   g_s32 zp, g_s32 lo, g_s32 hi)
{
	g_u32 total = (g_u32)(31 - shift);
	g_s64 r = (acc * mult + ((g_s64)1 << (total - 1))) >> total;

	return g_clamp(r + zp, lo, hi);
}

/*
 * clamp(RNE(y) + zp, lo, hi) for a binary32 y: the contract bounds |y|
 * below 2^63, so __float2ll_rn is exact RNE and the sum cannot overflow.
 */
__device__ __forceinline__ g_s32 g_rne_clamp(float y, g_s32 zp, g_s32 lo,
					     g_s32 hi)
{
	return g_clamp(__float2ll_rn(y) + zp, lo, hi);
}

/* Section 3.4: clamp(RNE(fl32(fl32(x) * s)) + zp, lo, hi). */
__device__ __forceinline__ g_s32 g_requant_f32(g_s32 x, g_s32 bits, g_s32 zp,
					       g_s32 lo, g_s32 hi)
{
	return g_rne_clamp(__fmul_rn(__int2float_rn(x), __int_as_float(bits)),
			   zp, lo, hi);
}

#define G_F32_MAGIC	0x4b400000	/* bits of 1.5 * 2^23 */

/* fl32(x) of |x| < 2^22 by the 1.5 * 2^23 bias: exact, no conversion unit */
__device__ __forceinline__ float g_i2f_small(g_s32 x)
{
	return __fsub_rn(__int_as_float(x + G_F32_MAGIC), 12582912.0f);
}

/*
 * g_rne_clamp() for an 8-bit output (zp, lo, hi within -128..255, as
 * validated) and a finite y: y is clamped to [-512, 512] first, which
 * changes no result (past either end the sum saturates at lo or hi
 * anyway), and RNE of such a y is exact by the 1.5 * 2^23 bias (adding
 * it rounds half to even).
 */
__device__ __forceinline__ g_s32 g_rne_clamp8(float y, g_s32 zp, g_s32 lo,
					      g_s32 hi)
{
	g_s32 r;

	y = fminf(fmaxf(y, -512.0f), 512.0f);
	r = __float_as_int(__fadd_rn(y, 12582912.0f)) - G_F32_MAGIC + zp;
	return r < lo ? lo : r > hi ? hi : r;
}

/*
 * g_requant_f32() for an 8-bit output (zp, lo, hi within -128..255, as
 * validated) without the conversion unit where the values allow:
 * fl32(x) of |x| < 2^22 is exact by the 1.5 * 2^23 bias, and
 * g_rne_clamp8() rounds. NaN cannot occur (finite x and s).
 */
__device__ __forceinline__ g_s32 g_requant_f32_8(g_s32 x, g_s32 bits, g_s32 zp,
						 g_s32 lo, g_s32 hi)
{
	float fx;

	if (x > -(1 << 22) && x < (1 << 22))
		fx = g_i2f_small(x);
	else
		fx = __int2float_rn(x);
	return g_rne_clamp8(__fmul_rn(fx, __int_as_float(bits)), zp, lo, hi);
}

/* A binary32 scale in [2^-100, 2^32) (bits 0x0d800000..0x4f7fffff). */
__device__ __forceinline__ bool g_f32_scale_ok(g_s32 bits)
{
	return bits >= 0x0d800000 && bits < 0x4f800000;
}

__device__ __forceinline__ g_s32 g_ld_elem(const g_u8 *p, g_u32 sgn)
{
	return sgn ? (g_s32)(signed char)*p : (g_s32)*p;
}

/* This block's batch item. */
__device__ __forceinline__ g_u64 g_item(void)
{
	return blockIdx.z;
}

/* Epilogue of one output element of channel @n of item @it from its sum. */
__device__ __forceinline__ void g_epilogue(const struct g_epi *e, g_s32 acc,
					   g_u32 n, g_u64 o, g_u64 it)
{
	g_s64 x = acc;
	g_s32 mult = e->mult, shift = e->shift;
	g_u8 *out = (g_u8 *)(e->out + it * e->out_is);

	if (e->flags & G_MM_BIAS) {
		x += g_ld_s32((const g_u8 *)(e->bias + it * e->bias_is) +
			      4 * (g_u64)n);
		x = g_clamp(x, (g_s32)0x80000000, 0x7fffffff);
	}
	if (e->out_dtype == G_DT_INT32) {
		g_st_s32(out + 4 * o, (g_s32)x);
		return;
	}
	if (e->flags & G_MM_PER_CHANNEL) {
		const g_u8 *q = (const g_u8 *)(e->quant + it * e->quant_is) +
				8 * (g_u64)n;

		mult = g_ld_s32(q);
		shift = g_ld_s32(q + 4);
		if ((e->flags & G_MM_F32_SCALE) ?
		    (!g_f32_scale_ok(mult) || shift != 0) :
		    (mult < 0 || shift < -31 || shift > 30)) {
			atomicCAS((int *)e->err, 0, (int)e->cmd1);
			return;
		}
	}
	if (e->flags & G_MM_F32_SCALE)
		out[o] = (g_u8)g_requant_f32((g_s32)x, mult, e->zp, e->lo,
					     e->hi);
	else
		out[o] = (g_u8)g_requant(x, mult, shift, e->zp, e->lo, e->hi);
}

/*
 * The epilogue split in two for kernels that compute several outputs of
 * one channel: g_col_load() reads (and checks) channel @n's bias and
 * {mult, shift} once, g_epi_byte() then requantizes each sum. The same
 * arithmetic as g_epilogue(), in which a bias of 0 changes nothing.
 */
struct g_col {
	g_s32 bias, mult, shift;
};

/* Epilogue modes: the output int32, requantized, binary32-rescaled. */
#define G_EPI_S32	0
#define G_EPI_FIX	1
#define G_EPI_F32	2

__device__ __forceinline__ int g_epi_mode(const struct g_epi *e)
{
	if (e->out_dtype == G_DT_INT32)
		return G_EPI_S32;
	return (e->flags & G_MM_F32_SCALE) ? G_EPI_F32 : G_EPI_FIX;
}

/* A 32-bit word at @p, 4-aligned when AL. */
template <bool AL>
__device__ __forceinline__ g_s32 g_ld_s32a(const g_u8 *p)
{
	return AL ? *(const g_s32 *)p : g_ld_s32(p);
}

/*
 * Channel @n's parameters for item @it; false (error raised) if invalid.
 * AL: the bias and quant vectors of the item are 4-aligned
 * (g_cols_aligned()): every load is one word, no alignment test.
 */
template <bool AL = false>
__device__ __forceinline__ bool g_col_load(const struct g_epi *e, g_u32 n,
					   g_u64 it, struct g_col *c)
{
	c->bias = 0;
	c->mult = e->mult;
	c->shift = e->shift;
	if (e->flags & G_MM_BIAS)
		c->bias = g_ld_s32a<AL>((const g_u8 *)(e->bias +
						       it * e->bias_is) +
					4 * (g_u64)n);
	if (e->out_dtype == G_DT_INT32 || !(e->flags & G_MM_PER_CHANNEL))
		return true;
	{
		const g_u8 *q = (const g_u8 *)(e->quant + it * e->quant_is) +
				8 * (g_u64)n;

		c->mult = g_ld_s32a<AL>(q);
		c->shift = g_ld_s32a<AL>(q + 4);
	}
	if ((e->flags & G_MM_F32_SCALE) ?
	    (!g_f32_scale_ok(c->mult) || c->shift != 0) :
	    (c->mult < 0 || c->shift < -31 || c->shift > 30)) {
		atomicCAS((int *)e->err, 0, (int)e->cmd1);
		return false;
	}
	return true;
}

/* Are item @it's bias and quant vectors 4-aligned (0: absent)? */
__device__ __forceinline__ bool g_cols_aligned(const struct g_epi *e, g_u64 it)
{
	return !(((e->flags & G_MM_BIAS ? e->bias + it * e->bias_is : 0) |
		  (e->flags & G_MM_PER_CHANNEL ?
		   e->quant + it * e->quant_is : 0)) % 4);
}

/* Output element @o (in elements) of @out from sum @acc, in mode M. */
template <int M>
__device__ __forceinline__ void g_epi_put(const struct g_epi *e,
					  const struct g_col &c, g_s32 acc,
					  g_u8 *out, g_u64 o)
{
	g_s32 x = g_clamp((g_s64)acc + c.bias, (g_s32)0x80000000, 0x7fffffff);

	if (M == G_EPI_S32)
		g_st_s32(out + 4 * o, x);
	else if (M == G_EPI_F32)
		out[o] = (g_u8)g_requant_f32_8(x, c.mult, e->zp, e->lo, e->hi);
	else
		out[o] = (g_u8)g_requant(x, c.mult, c.shift, e->zp, e->lo,
					 e->hi);
}

/*
 * The 8-bit epilogue with a fast path for binary32 scales (mode F32),
 * the one the compiler emits. A column is fast when the sum plus its bias
 * cannot leave int32: |sum| <= K * 255 * 255 < 2^30 for K <= 16384, and
 * |bias| < 2^30, so g_epi_put()'s clamp is a no-op. Its callers then add
 * G_F32_MAGIC to the bias once, so that one integer add gives
 * sp = sum + bias + G_F32_MAGIC: for sum + bias in [-2^22, 2^22) these
 * are the bits of the binary32 1.5 * 2^23 + sum + bias (exact), and one
 * subtraction gives fl32(sum + bias), as g_requant_f32_8() computes it.
 * The callers compute every output so and note whether each was in
 * range; if one was not, they compute all again by g_epi_byte(), which
 * is g_epi_put()'s arithmetic.
 */
#define G_K_FAST	16384u

/* May column @c of a K-deep sum take the fast path? */
__device__ __forceinline__ bool g_col_fast(const struct g_epi *e,
					   const struct g_col &c, g_u32 k)
{
	return g_epi_mode(e) == G_EPI_F32 && k <= G_K_FAST &&
	       c.bias > -(1 << 30) && c.bias < (1 << 30);
}

/*
 * The fast path's byte of @sp, which the caller knows to be in its range
 * (sum + bias in [-2^22, 2^22)).
 */
__device__ __forceinline__ g_u32 g_epi_fast_in(const struct g_epi *e,
					       const struct g_col &c, g_s32 sp)
{
	g_s32 odd = e->zp & 1;
	float y = __fmul_rn(__fsub_rn(__int_as_float(sp), 12582912.0f),
			    __int_as_float(c.mult));
	g_s32 r;

	/* rounded with the zero point's even part, as g_pw_byte() */
	r = __float_as_int(__fadd_rn(y, __fadd_rn(12582912.0f,
				     __int2float_rn(e->zp - odd))));
	r = max(min(r, G_F32_MAGIC + e->hi - odd), G_F32_MAGIC + e->lo - odd);
	return (g_u32)(r + odd) & 0xff;
}

/* The fast path's byte of @sp; @in: cleared if sp is out of its range. */
__device__ __forceinline__ g_u32 g_epi_fast(const struct g_epi *e,
					    const struct g_col &c, g_s32 sp,
					    bool &in)
{
	if ((g_u32)sp - (g_u32)(G_F32_MAGIC - (1 << 22)) >= (1u << 23))
		in = false;
	return g_epi_fast_in(e, c, sp);
}

/*
 * Output byte of a sum given as @sp = sum + c.bias + G_F32_MAGIC (mod
 * 2^32) in mode M (not G_EPI_S32), by g_epi_put()'s arithmetic.
 */
template <int M>
__device__ __forceinline__ g_u32 g_epi_byte(const struct g_epi *e,
					    const struct g_col &c, g_s32 sp)
{
	g_s32 x = g_clamp((g_s64)(g_s32)((g_u32)sp - (g_u32)c.bias -
					 (g_u32)G_F32_MAGIC) + c.bias,
			  (g_s32)0x80000000, 0x7fffffff);

	if (M == G_EPI_F32)
		return (g_u32)g_requant_f32_8(x, c.mult, e->zp, e->lo, e->hi) &
		       0xff;
	return (g_u32)g_requant(x, c.mult, c.shift, e->zp, e->lo, e->hi) &
	       0xff;
}

/* ---- GEMM and dense CONV2D: dp4a over BM x BN tiles --------------------- */

#define MM_BK	32			/* k bytes per stage: 8 words */

/* (G_HOST_EMU: compiled for the host by tests/unit/test_gpu_kernels.cc) */
__device__ __forceinline__ g_s32 g_dp4a_ss(g_u32 a, g_u32 b, g_s32 c)
{
#ifdef G_HOST_EMU
	return g_emu_dp4a(a, b, c, true);
#else
	g_s32 d;

	asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
	return d;
#endif
}

__device__ __forceinline__ g_s32 g_dp4a_us(g_u32 a, g_u32 b, g_s32 c)
{
#ifdef G_HOST_EMU
	return g_emu_dp4a(a, b, c, false);
#else
	g_s32 d;

	asm("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
	return d;
#endif
}

/* Row @m of a GEMM's A (FOLD: items folded into rows, p->mi each). */
template <bool FOLD>
__device__ __forceinline__ const g_u8 *g_mm_row(const struct g_mm *p,
						const g_u8 *a, g_u32 m)
{
	if (FOLD)
		return a + (g_u64)(m / p->mi) * p->a_is +
		       (g_u64)(m % p->mi) * p->lda;
	return a + (g_u64)m * p->lda;
}

/*
 * @arow[i]: row mb + R * i of A plus @off, for i < W; a row past the
 * last reads the last. Folded rows step by R within their item, not
 * dividing by p->mi again (it takes at most one wrap when mi >= R).
 */
template <bool FOLD, int W, int R>
__device__ __forceinline__ void g_mm_rows(const struct g_mm &p,
					  const g_u8 *a, g_u32 mb, g_u32 off,
					  const g_u8 *(&arow)[W])
{
	g_u32 it, r;
	int i;

	if (!FOLD || p.mi < R) {
#pragma unroll
		for (i = 0; i < W; i++) {
			g_u32 m = mb + R * i;

			arow[i] = g_mm_row<FOLD>(&p, a, m < p.m ? m : p.m - 1) +
				  off;
		}
		return;
	}
	it = mb / p.mi;
	r = mb % p.mi;
#pragma unroll
	for (i = 0; i < W; i++) {
		if (mb + R * i >= p.m)
			arow[i] = g_mm_row<FOLD>(&p, a, p.m - 1) + off;
		else
			arow[i] = a + (g_u64)it * p.a_is + (g_u64)r * p.lda +
				  off;
		r += R;
		if (r >= p.mi) {
			r -= p.mi;
			it++;
		}
	}
}

/* A[m][k] as a raw byte; 0 past k (the padding adds nothing to any sum). */
template <bool CONV, bool FOLD>
__device__ __forceinline__ g_u32 g_mm_a(const struct g_mm *p, const g_u8 *a,
					g_u32 m, g_u32 k)
{
	g_u32 t, kx, ky, ci, ox, oy, nb;
	g_s32 iy, ix;

	if (m >= p->m || k >= p->k)
		return 0;
	if (!CONV)
		return g_mm_row<FOLD>(p, a, m)[k];
	ci = k % p->in_c;
	t = k / p->in_c;
	kx = t % p->k_w;
	ky = t / p->k_w;
	ox = m % p->out_w;
	t = m / p->out_w;
	oy = t % p->out_h;
	nb = t / p->out_h;
	iy = (g_s32)(oy * p->stride_h) - (g_s32)p->pad_top +
	     (g_s32)(ky * p->dil_h);
	ix = (g_s32)(ox * p->stride_w) - (g_s32)p->pad_left +
	     (g_s32)(kx * p->dil_w);
	if (iy < 0 || ix < 0 || iy >= (g_s32)p->in_h || ix >= (g_s32)p->in_w)
		return (g_u32)p->za & 0xff;	/* a tap in the padding */
	return a[(((g_u64)nb * p->in_h + iy) * p->in_w + ix) * p->in_c + ci];
}

/*
 * A[m][k..k + 3] as a word of raw bytes (g_mm_a()'s): a convolution's
 * output pixel and first tap divided out once, the next taps stepped to.
 */
template <bool CONV, bool FOLD>
__device__ __forceinline__ g_u32 g_mm_a4(const struct g_mm *p, const g_u8 *a,
					 g_u32 m, g_u32 k)
{
	g_u32 t, kx, ky, ci, ox, oy, nb, v = 0, i;
	g_s32 iy0, ix0;
	const g_u8 *img;

	if (!CONV)
		return g_mm_a<CONV, FOLD>(p, a, m, k) |
		       g_mm_a<CONV, FOLD>(p, a, m, k + 1) << 8 |
		       g_mm_a<CONV, FOLD>(p, a, m, k + 2) << 16 |
		       g_mm_a<CONV, FOLD>(p, a, m, k + 3) << 24;
	if (m >= p->m || k >= p->k)
		return 0;
	ox = m % p->out_w;
	t = m / p->out_w;
	oy = t % p->out_h;
	nb = t / p->out_h;
	iy0 = (g_s32)(oy * p->stride_h) - (g_s32)p->pad_top;
	ix0 = (g_s32)(ox * p->stride_w) - (g_s32)p->pad_left;
	img = a + (g_u64)nb * p->in_h * p->in_w * p->in_c;
	ci = k % p->in_c;
	t = k / p->in_c;
	kx = t % p->k_w;
	ky = t / p->k_w;
#pragma unroll
	for (i = 0; i < 4; i++) {
		g_s32 iy = iy0 + (g_s32)(ky * p->dil_h);
		g_s32 ix = ix0 + (g_s32)(kx * p->dil_w);
		g_u32 x;

		if (k + i >= p->k)
			break;
		if (iy < 0 || ix < 0 || iy >= (g_s32)p->in_h ||
		    ix >= (g_s32)p->in_w)
			x = (g_u32)p->za & 0xff;	/* padding */
		else
			x = img[((g_u64)iy * p->in_w + ix) * p->in_c + ci];
		v |= x << (8 * i);
		if (++ci == p->in_c) {
			ci = 0;
			if (++kx == p->k_w) {
				kx = 0;
				ky++;
			}
		}
	}
	return v;
}

__device__ __forceinline__ g_u32 g_mm_b(const struct g_mm *p, const g_u8 *b,
					g_u32 k, g_u32 n)
{
	if (n >= p->n || k >= p->k)
		return 0;
	return b[(g_u64)k * p->b_ks + (g_u64)n * p->b_ns];
}

/*
 * One stage of a BM x BN tile: A's rows m0.. and B's columns n0.. over k
 * k0..k0 + MM_BK - 1 into shared memory as 32-bit words of 4 k bytes,
 * k-word-major (as[kw][row], bs[kw][col]; AP, BP: row padding in words).
 * a_vec, b_vec: whole aligned words of A rows and of B rows can be
 * loaded as such (B's through the read-only path: no shared memory
 * store waits for them).
 */
template <bool CONV, bool FOLD, int BM, int AP>
__device__ __forceinline__ void g_mm_load_a(const struct g_mm &p,
					    const g_u8 *a,
					    g_u32 (&as)[MM_BK / 4][BM + AP],
					    g_u32 m0, g_u32 k0, bool a_vec)
{
	/* words per thread; all loaded before any is stored (no waits) */
	const int AW = BM * (MM_BK / 4) / G_THREADS;
	g_u32 v[AW], i;

	/* A: BM rows x 8 words, 8 neighbouring threads per row */
#pragma unroll
	for (i = 0; i < AW; i++) {
		g_u32 r = threadIdx.x + G_THREADS * i;
		g_u32 row = r / (MM_BK / 4), kw = r % (MM_BK / 4);
		g_u32 m = m0 + row, kk = k0 + 4 * kw;

		if (a_vec && m < p.m && kk + 3 < p.k)
			v[i] = __ldg((const unsigned int *)(g_mm_row<FOLD>(&p,
							a, m) + kk));
		else
			v[i] = g_mm_a4<CONV, FOLD>(&p, a, m, kk);
	}
#pragma unroll
	for (i = 0; i < AW; i++) {
		g_u32 r = threadIdx.x + G_THREADS * i;

		as[r % (MM_BK / 4)][r / (MM_BK / 4)] = v[i];
	}
}

/* B[k..k + 3][n] as a word of raw bytes (0 past k or n). */
__device__ __forceinline__ g_u32 g_mm_b4(const struct g_mm *p, const g_u8 *b,
					 g_u32 k, g_u32 n)
{
	return g_mm_b(p, b, k, n) | g_mm_b(p, b, k + 1, n) << 8 |
	       g_mm_b(p, b, k + 2, n) << 16 | g_mm_b(p, b, k + 3, n) << 24;
}

/*
 * bk_vec: B's k bytes are contiguous per column (b_ks == 1, as a
 * convolution's weights [n][k]) in whole aligned words: a word of bs is
 * one load, the 8 words of a column's stage read by neighbouring threads.
 */
template <int BN, int BP>
__device__ __forceinline__ void g_mm_load_b(const struct g_mm &p,
					    const g_u8 *b,
					    g_u32 (&bs)[MM_BK / 4][BN + BP],
					    g_u32 n0, g_u32 k0, bool b_vec,
					    bool bk_vec)
{
	g_u32 r, j;

	if (bk_vec) {
		for (r = threadIdx.x; r < (MM_BK / 4) * BN; r += G_THREADS) {
			g_u32 kw = r % (MM_BK / 4), c = r / (MM_BK / 4);
			g_u32 n = n0 + c, kk = k0 + 4 * kw;

			bs[kw][c] = n < p.n && kk + 3 < p.k ?
				    __ldg((const unsigned int *)(b +
					(g_u64)n * p.b_ns + kk)) :
				    g_mm_b4(&p, b, kk, n);
		}
		return;
	}
	/* B: 8 words of k x BN / 4 groups of 4 columns */
	for (r = threadIdx.x; r < (MM_BK / 4) * (BN / 4); r += G_THREADS) {
		g_u32 kw = r / (BN / 4), n = n0 + 4 * (r % (BN / 4));
		g_u32 kk = k0 + 4 * kw, c = n - n0;

		if (b_vec && kk + 3 < p.k && n + 3 < p.n) {
			const g_u8 *q = b + (g_u64)kk * p.b_ks + n;
			g_u32 r0 = __ldg((const unsigned int *)q);
			g_u32 r1 = __ldg((const unsigned int *)(q + p.b_ks));
			g_u32 r2 = __ldg((const unsigned int *)(q +
								2 * p.b_ks));
			g_u32 r3 = __ldg((const unsigned int *)(q +
								3 * p.b_ks));
			g_u32 t0 = __byte_perm(r0, r1, 0x5140);
			g_u32 t1 = __byte_perm(r2, r3, 0x5140);
			g_u32 t2 = __byte_perm(r0, r1, 0x7362);
			g_u32 t3 = __byte_perm(r2, r3, 0x7362);

			bs[kw][c] = __byte_perm(t0, t1, 0x5410);
			bs[kw][c + 1] = __byte_perm(t0, t1, 0x7632);
			bs[kw][c + 2] = __byte_perm(t2, t3, 0x5410);
			bs[kw][c + 3] = __byte_perm(t2, t3, 0x7632);
		} else {
			for (j = 0; j < 4; j++)
				bs[kw][c + j] = g_mm_b4(&p, b, kk, n + j);
		}
	}
}

template <bool CONV, bool FOLD, int BM, int BN, int AP, int BP>
__device__ __forceinline__ void g_mm_load(const struct g_mm &p,
					  const g_u8 *a, const g_u8 *b,
					  g_u32 (&as)[MM_BK / 4][BM + AP],
					  g_u32 (&bs)[MM_BK / 4][BN + BP],
					  g_u32 m0, g_u32 n0, g_u32 k0,
					  bool a_vec, bool b_vec, bool bk_vec)
{
	g_mm_load_a<CONV, FOLD, BM, AP>(p, a, as, m0, k0, a_vec);
	g_mm_load_b<BN, BP>(p, b, bs, n0, k0, b_vec, bk_vec);
}

/*
 * acc = sum a*b - zb * sum a - za * sum b + K * za * zb over raw bytes:
 * dp4a's integer sums are exact and the true value fits in int32, so the
 * combination is computed modulo 2^32.
 */
/*
 * The stores of a tile's sums in epilogue mode M: @cc, @ok: the columns'
 * parameters (FOLD: the host folds only when they are shared by items).
 */
template <int M, bool FOLD, int TM, int TN, int TX, int TY>
__device__ __forceinline__ void g_mm_store(const struct g_mm &p,
					   g_s32 (&acc)[TM][TN],
					   const g_s32 (&ra)[TM],
					   const g_s32 (&cb)[TN],
					   const struct g_col (&cc)[TN],
					   const bool (&ok)[TN], g_u32 m0,
					   g_u32 n0, g_u32 tx, g_u32 ty)
{
	g_u32 i, j;

#pragma unroll
	for (i = 0; i < TM; i++) {
		g_u32 m = m0 + ty + TY * i, ml = m;
		g_u64 it = g_item();
		g_u8 *out;

		if (m >= p.m)
			continue;
		if (FOLD) {
			it = m / p.mi;
			ml = m % p.mi;
		}
		out = (g_u8 *)(p.e.out + it * p.e.out_is);
#pragma unroll
		for (j = 0; j < TN; j++) {
			g_u32 n = n0 + tx + TX * j;
			g_u32 v;

			if (!ok[j])
				continue;
			v = (g_u32)acc[i][j] - (g_u32)p.zb * (g_u32)ra[i] -
			    (g_u32)p.za * (g_u32)cb[j] +
			    p.k * (g_u32)p.za * (g_u32)p.zb;
			g_epi_put<M>(&p.e, cc[j], (g_s32)v, out,
				     (g_u64)ml * p.ldo + n);
		}
	}
}

/*
 * One BM x BN tile, TM x TN sums per thread ((BM / TM) * (BN / TN) =
 * G_THREADS): narrow tiles for outputs of few channels, where a 128-wide
 * one would mostly compute padding.
 */
template <bool CONV, bool FOLD, int BM, int BN, int TM, int TN>
__device__ __forceinline__ void g_mm_body(const struct g_mm &p)
{
	const int TX = BN / TN, TY = BM / TM;
	/* padded: the loads' 8 threads of one row hit 8 banks */
	__shared__ g_u32 as[MM_BK / 4][BM + 4];
	__shared__ g_u32 bs[MM_BK / 4][BN];
	const g_u8 *a = (const g_u8 *)(p.a + g_item() * p.a_is);
	const g_u8 *b = (const g_u8 *)(p.b + g_item() * p.b_is);
	g_u32 tx = threadIdx.x % TX, ty = threadIdx.x / TX;
	g_u32 m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
	/* whole aligned words of A rows and of B rows can be loaded as such */
	bool a_vec = !CONV && !(p.lda % 4) && !((g_u64)a % 4) &&
		     (!FOLD || !(p.a_is % 4));
	bool b_vec = p.b_ns == 1 && !(p.b_ks % 4) && !((g_u64)b % 4);
	bool bk_vec = p.b_ks == 1 && !(p.b_ns % 4) && !((g_u64)b % 4);
	g_s32 acc[TM][TN], ra[TM], cb[TN];
	struct g_col cc[TN];
	bool ok[TN];
	g_u32 i, j, k0, w;

#pragma unroll
	for (i = 0; i < TM; i++) {
		ra[i] = 0;
#pragma unroll
		for (j = 0; j < TN; j++)
			acc[i][j] = 0;
	}
#pragma unroll
	for (j = 0; j < TN; j++)
		cb[j] = 0;
	for (k0 = 0; k0 < p.k; k0 += MM_BK) {
		g_mm_load<CONV, FOLD, BM, BN, 4, 0>(p, a, b, as, bs, m0, n0,
						    k0, a_vec, b_vec, bk_vec);
		__syncthreads();
#pragma unroll
		for (w = 0; w < MM_BK / 4; w++) {
			g_u32 av[TM], bv[TN];

#pragma unroll
			for (i = 0; i < TM; i++)
				av[i] = as[w][ty + TY * i];
#pragma unroll
			for (j = 0; j < TN; j++)
				bv[j] = bs[w][tx + TX * j];
			if (p.a_signed) {
#pragma unroll
				for (i = 0; i < TM; i++)
#pragma unroll
					for (j = 0; j < TN; j++)
						acc[i][j] = g_dp4a_ss(av[i], bv[j],
								      acc[i][j]);
				if (p.zb)
#pragma unroll
					for (i = 0; i < TM; i++)
						ra[i] = g_dp4a_ss(av[i],
								  0x01010101u,
								  ra[i]);
			} else {
#pragma unroll
				for (i = 0; i < TM; i++)
#pragma unroll
					for (j = 0; j < TN; j++)
						acc[i][j] = g_dp4a_us(av[i], bv[j],
								      acc[i][j]);
				if (p.zb)
#pragma unroll
					for (i = 0; i < TM; i++)
						ra[i] = g_dp4a_us(av[i],
								  0x01010101u,
								  ra[i]);
			}
			if (p.za)
#pragma unroll
				for (j = 0; j < TN; j++)
					cb[j] = g_dp4a_ss(0x01010101u, bv[j],
							  cb[j]);
		}
		__syncthreads();
	}
	/* unrolled: acc, ra and cb stay in registers (no dynamic index) */
#pragma unroll
	for (j = 0; j < TN; j++) {
		g_u32 n = n0 + tx + TX * j;

		ok[j] = n < p.n && g_col_load(&p.e, n, FOLD ? 0 : g_item(),
					      &cc[j]);
	}
	switch (g_epi_mode(&p.e)) {
	case G_EPI_S32:
		g_mm_store<G_EPI_S32, FOLD, TM, TN, TX, TY>(p, acc, ra, cb, cc,
							   ok, m0, n0, tx, ty);
		break;
	case G_EPI_F32:
		g_mm_store<G_EPI_F32, FOLD, TM, TN, TX, TY>(p, acc, ra, cb, cc,
							   ok, m0, n0, tx, ty);
		break;
	default:
		g_mm_store<G_EPI_FIX, FOLD, TM, TN, TX, TY>(p, acc, ra, cb, cc,
							   ok, m0, n0, tx, ty);
	}
}

/*
 * k_mm, k_mm_fold, k_mm_conv in four tile widths (gpu_backend.c picks by
 * the output channels): 128 x 128, 128 x 64, 128 x 32, 128 x 16.
 */
#define G_MM_KERNELS(name, conv, fold)					\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name(const struct g_mm p)						\
{									\
	g_mm_body<conv, fold, 128, 128, 8, 8>(p);			\
}									\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name##_n64(const struct g_mm p)						\
{									\
	g_mm_body<conv, fold, 128, 64, 8, 4>(p);			\
}									\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name##_n32(const struct g_mm p)						\
{									\
	g_mm_body<conv, fold, 128, 32, 4, 4>(p);			\
}									\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name##_n16(const struct g_mm p)						\
{									\
	g_mm_body<conv, fold, 128, 16, 4, 2>(p);			\
}

G_MM_KERNELS(k_mm, false, false)
G_MM_KERNELS(k_mm_fold, false, true)
G_MM_KERNELS(k_mm_conv, true, false)

/* ---- GEMM on the tensor cores: mma.sync m16n8k32, int8 (sm_80 on) ----- */

#if G_TC
/* d += A (16 x 32, u8 or AS: s8) * B (32 x 8, s8), exact int32 sums */
template <bool AS>
__device__ __forceinline__ void g_mma(g_s32 (&d)[4], const g_u32 (&a)[4],
				      g_u32 b0, g_u32 b1)
{
#ifdef G_HOST_EMU
	g_emu_mma(d, a, b0, b1, AS);
#else
	if (AS)
		asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
			     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
			     "{%0, %1, %2, %3};"
			     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
			     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]),
			       "r"(b0), "r"(b1));
	else
		asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 "
			     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
			     "{%0, %1, %2, %3};"
			     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
			     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]),
			       "r"(b0), "r"(b1));
#endif
}

/*
 * One k stage of a warp's MT x NT m16n8 tiles from shared memory (the
 * PTX fragment layouts: lane = 4 * g + t holds A rows g and g + 8, k
 * words t and t + 4; B column g, k words t and t + 4), with the partial
 * row sums (ZB) and column sums (ZA) of the lane's words by dp4a.
 */
template <bool AS, int BM, int BN, int MT, int NT>
__device__ __forceinline__ void
g_mma_stage(const g_u32 (&as)[MM_BK / 4][BM + 8],
	    const g_u32 (&bs)[MM_BK / 4][BN + 8],
	    g_s32 (&acc)[MT][NT][4], g_s32 (&ra)[MT][2], g_s32 (&cb)[NT],
	    g_u32 wm0, g_u32 wn0, g_u32 g, g_u32 t, bool zb, bool za)
{
	g_u32 af[MT][4], bf[NT][2];
	int i, j;

#pragma unroll
	for (i = 0; i < MT; i++) {
		g_u32 r = wm0 + 16 * i + g;

		af[i][0] = as[t][r];
		af[i][1] = as[t][r + 8];
		af[i][2] = as[t + 4][r];
		af[i][3] = as[t + 4][r + 8];
	}
#pragma unroll
	for (j = 0; j < NT; j++) {
		bf[j][0] = bs[t][wn0 + 8 * j + g];
		bf[j][1] = bs[t + 4][wn0 + 8 * j + g];
	}
#pragma unroll
	for (i = 0; i < MT; i++)
#pragma unroll
		for (j = 0; j < NT; j++)
			g_mma<AS>(acc[i][j], af[i], bf[j][0], bf[j][1]);
	if (zb)
#pragma unroll
		for (i = 0; i < MT; i++) {
			const g_u32 one = 0x01010101u;

			if (AS) {
				ra[i][0] = g_dp4a_ss(af[i][0], one,
					g_dp4a_ss(af[i][2], one, ra[i][0]));
				ra[i][1] = g_dp4a_ss(af[i][1], one,
					g_dp4a_ss(af[i][3], one, ra[i][1]));
			} else {
				ra[i][0] = g_dp4a_us(af[i][0], one,
					g_dp4a_us(af[i][2], one, ra[i][0]));
				ra[i][1] = g_dp4a_us(af[i][1], one,
					g_dp4a_us(af[i][3], one, ra[i][1]));
			}
		}
	if (za)
#pragma unroll
		for (j = 0; j < NT; j++)
			cb[j] = g_dp4a_ss(0x01010101u, bf[j][0],
				g_dp4a_ss(0x01010101u, bf[j][1], cb[j]));
}

/*
 * The stores of a warp's tiles in epilogue mode M: lane 4 * g + t holds
 * rows g and g + 8 of each m16 tile, columns 2t and 2t + 1 of each n8
 * tile; @ra, @cb: the full row and column sums (the sums' combination as
 * in g_mm_store()).
 */
template <int M, bool FOLD, int MT, int NT>
__device__ __forceinline__ void g_mma_store(const struct g_mm &p,
					    const g_s32 (&acc)[MT][NT][4],
					    const g_s32 (&ra)[MT][2],
					    const g_s32 (&cbt)[NT][2],
					    const struct g_col (&cc)[NT][2],
					    const bool (&ok)[NT][2], g_u32 m0,
					    g_u32 n0, g_u32 g, g_u32 t)
{
	int i, h, j, c;

#pragma unroll
	for (i = 0; i < MT; i++)
#pragma unroll
		for (h = 0; h < 2; h++) {
			g_u32 m = m0 + 16 * i + g + 8 * h, ml = m;
			g_u64 it = g_item();
			g_u8 *out;

			if (m >= p.m)
				continue;
			if (FOLD) {
				it = m / p.mi;
				ml = m % p.mi;
			}
			out = (g_u8 *)(p.e.out + it * p.e.out_is);
#pragma unroll
			for (j = 0; j < NT; j++)
#pragma unroll
				for (c = 0; c < 2; c++) {
					g_u32 v;

					if (!ok[j][c])
						continue;
					v = (g_u32)acc[i][j][2 * h + c] -
					    (g_u32)p.zb * (g_u32)ra[i][h] -
					    (g_u32)p.za * (g_u32)cbt[j][c] +
					    p.k * (g_u32)p.za * (g_u32)p.zb;
					g_epi_put<M>(&p.e, cc[j][c], (g_s32)v,
						     out, (g_u64)ml * p.ldo +
						     n0 + 8 * j + 2 * t + c);
				}
		}
}

/* k stages of the narrow tiles' ring in shared memory (g_mma_pipe()) */
#define G_MMA_STAGES	4

/*
 * One 4-byte cp.async from @src to the shared word @dst: its first @n
 * bytes (0..4) copied, the rest zero-filled, nothing read past them.
 */
__device__ __forceinline__ void g_cp_async4(g_u32 *dst, const g_u8 *src,
					    g_u32 n)
{
#ifdef G_HOST_EMU
	g_emu_cp_async4(dst, src, n);
#else
	asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;"
		     :: "r"((g_u32)__cvta_generic_to_shared(dst)), "l"(src),
		        "r"(n) : "memory");
#endif
}

__device__ __forceinline__ void g_cp_async_commit(void)
{
#ifdef G_HOST_EMU
	g_emu_cp_commit();
#else
	asm volatile("cp.async.commit_group;" ::: "memory");
#endif
}

/* Wait until at most @N of this thread's groups are still in flight. */
template <int N>
__device__ __forceinline__ void g_cp_async_wait(void)
{
#ifdef G_HOST_EMU
	g_emu_cp_wait(N);
#else
	asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory");
#endif
}

/*
 * The k loop of g_mma_body() for a tile of whole A rows (@arow) and B
 * in whole words of k per column (bk_vec: a pointwise convolution's
 * weights). A k stage is a load's latency and a few mma each, so the
 * loads run G_MMA_STAGES - 1 stages ahead through cp.async into a ring
 * of stages in shared memory (a stage's slot is written again only
 * after the barrier that follows every warp's use of it). Words past K
 * (a K not a multiple of 4, or of MM_BK) and columns past N are zero
 * filled, as g_mm_a4() and g_mm_b4() read them.
 */
template <bool CONV, bool FOLD, int BM, int BN, int MT, int NT, int AW>
__device__ __forceinline__ void
g_mma_pipe(const struct g_mm &p, const g_u8 *b,
	   g_u32 (&as)[G_MMA_STAGES][MM_BK / 4][BM + 8],
	   g_u32 (&bs)[G_MMA_STAGES][MM_BK / 4][BN + 8],
	   const g_u8 *const (&arow)[AW], g_s32 (&acc)[MT][NT][4],
	   g_s32 (&ra)[MT][2], g_s32 (&cb)[NT], g_u32 n0, g_u32 wm0,
	   g_u32 wn0, g_u32 g, g_u32 t)
{
	/* B words per thread and stage (threads past BN * 8 idle) */
	const int BW = ((MM_BK / 4) * BN + G_THREADS - 1) / G_THREADS;
	const int AR = G_THREADS / (MM_BK / 4);
	const int S = G_MMA_STAGES;
	const g_u8 *brow[BW];
	g_u32 kw = threadIdx.x % (MM_BK / 4);
	g_u32 ns = (p.k + MM_BK - 1) / MM_BK, s;
	int i;

#pragma unroll
	for (i = 0; i < BW; i++) {
		g_u32 r = threadIdx.x + G_THREADS * i;
		g_u32 n = n0 + r / (MM_BK / 4);

		brow[i] = r < (MM_BK / 4) * BN && n < p.n ?
			  b + (g_u64)n * p.b_ns + 4 * kw : NULL;
	}
	for (s = 0; s < ns + S - 1; s++) {
		if (s >= S - 1) {
			/* stage s - S + 1 is in; every warp is done with s - S */
			g_cp_async_wait<S - 2>();
			__syncthreads();
		}
		if (s < ns) {
			g_u32 k0 = s * MM_BK, kk = k0 + 4 * kw, sl = s % S;
			g_u32 nb = kk >= p.k ? 0 : p.k - kk < 4 ? p.k - kk : 4;

#pragma unroll
			for (i = 0; i < AW; i++)
				g_cp_async4(&as[sl][kw][threadIdx.x /
							(MM_BK / 4) + AR * i],
					    arow[i] + k0, nb);
#pragma unroll
			for (i = 0; i < BW; i++)
				if (threadIdx.x + G_THREADS * i <
				    (MM_BK / 4) * BN)
					g_cp_async4(&bs[sl][kw][(threadIdx.x +
						G_THREADS * i) / (MM_BK / 4)],
						brow[i] ? brow[i] + k0 : b,
						brow[i] ? nb : 0);
		}
		g_cp_async_commit();	/* empty past the last: counts stay */
		if (s >= S - 1) {
			g_u32 sl = (s - S + 1) % S;

			if (p.a_signed)
				g_mma_stage<true, BM, BN, MT, NT>(as[sl],
					bs[sl], acc, ra, cb, wm0, wn0, g, t,
					p.zb, p.za);
			else
				g_mma_stage<false, BM, BN, MT, NT>(as[sl],
					bs[sl], acc, ra, cb, wm0, wn0, g, t,
					p.zb, p.za);
		}
	}
	__syncthreads();	/* the ring is free for the epilogue */
}

/*
 * Rows m0.. of a BM x BN tile of 8-bit outputs staged in @os to the
 * output, V bytes a store (the tile's columns n0..n0 + ncols - 1 of
 * each row are contiguous there; V divides every offset).
 */
template <int V, bool FOLD, int BM, int BN>
__device__ __forceinline__ void g_mma_copy_out(const struct g_mm &p,
					       const g_u8 (&os)[BM][BN + 16],
					       g_u32 m0, g_u32 n0, g_u32 ncols)
{
	const int VR = BN / V;
	g_u32 idx;

	for (idx = threadIdx.x; idx < BM * VR; idx += G_THREADS) {
		g_u32 r = idx / VR, w = idx % VR, m = m0 + r, ml = m;
		g_u64 it = g_item();
		g_u8 *dst;

		if (m >= p.m || w * V >= ncols)
			continue;
		if (FOLD) {
			it = m / p.mi;
			ml = m % p.mi;
		}
		dst = (g_u8 *)(p.e.out + it * p.e.out_is) +
		      (g_u64)ml * p.ldo + n0 + w * V;
		if (V == 16)
			*(uint4 *)dst = *(const uint4 *)&os[r][16 * w];
		else if (V == 8)
			*(uint2 *)dst = *(const uint2 *)&os[r][8 * w];
		else if (V == 4)
			*(g_u32 *)dst = *(const g_u32 *)&os[r][4 * w];
		else
			*dst = os[r][w];
	}
}

/* Are all of this lane's columns' parameters valid (@ok)? */
template <int NT>
__device__ __forceinline__ bool g_cols_ok(const struct g_mm &p,
					  const bool (&ok)[NT][2], g_u32 n0,
					  g_u32 t)
{
	bool mine = true;
	int j, c;

#pragma unroll
	for (j = 0; j < NT; j++)
#pragma unroll
		for (c = 0; c < 2; c++)
			if (n0 + 8 * j + 2 * t + c < p.n && !ok[j][c])
				mine = false;
	return mine;
}

/* g_epi_fast() (FAST) or g_epi_byte() */
template <int M, bool FAST>
__device__ __forceinline__ g_u32 g_stage_byte(const struct g_epi *e,
					      const struct g_col &c, g_s32 sp,
					      bool &good)
{
	return FAST ? g_epi_fast(e, c, sp, good) : g_epi_byte<M>(e, c, sp);
}

/*
 * A warp's bytes of g_mma_stage_write() into @os, each output from its
 * sum plus @cadd (its column's constants) plus @radd (its row's): by
 * g_epi_fast() (FAST, clearing @good for a sum out of its range) or by
 * g_epi_byte().
 */
template <int M, bool FAST, int BM, int BN, int MT, int NT>
__device__ __forceinline__ void
g_mma_stage_bytes(const struct g_mm &p, const g_s32 (&acc)[MT][NT][4],
		  const struct g_col (&cc)[NT][2], const g_u32 (&cadd)[NT][2],
		  const g_u32 (&radd)[MT][2], g_u8 (&os)[BM][BN + 16],
		  g_u32 wm0, g_u32 wn0, g_u32 g, g_u32 t, bool &good)
{
	int i, h, j;

#pragma unroll
	for (i = 0; i < MT; i++)
#pragma unroll
		for (h = 0; h < 2; h++)
#pragma unroll
			for (j = 0; j < NT; j++) {
				g_u32 b0 = g_stage_byte<M, FAST>(&p.e, cc[j][0],
					(g_s32)((g_u32)acc[i][j][2 * h] +
						cadd[j][0] + radd[i][h]),
					good);
				g_u32 b1 = g_stage_byte<M, FAST>(&p.e, cc[j][1],
					(g_s32)((g_u32)acc[i][j][2 * h + 1] +
						cadd[j][1] + radd[i][h]),
					good);

				*(unsigned short *)&os[wm0 + 16 * i + g + 8 * h]
						      [wn0 + 8 * j + 2 * t] =
					(unsigned short)(b0 | b1 << 8);
			}
}

/*
 * g_mma_stage_out() once its columns are known valid, in mode M: the
 * sums' constant terms folded per row (@ra) and per column (@cbt, the
 * bias, G_F32_MAGIC) first, so that an output costs one add before
 * g_epi_fast().
 */
template <int M, bool FOLD, int BM, int BN, int MT, int NT>
__device__ __forceinline__ void
g_mma_stage_write(const struct g_mm &p, const g_s32 (&acc)[MT][NT][4],
		  const g_s32 (&ra)[MT][2], const g_s32 (&cbt)[NT][2],
		  const struct g_col (&cc)[NT][2], g_u8 (&os)[BM][BN + 16],
		  g_u32 m0, g_u32 n0, g_u32 wm0, g_u32 wn0, g_u32 g, g_u32 t)
{
	g_u32 ncols = p.n - n0 < BN ? p.n - n0 : BN;
	g_u32 cadd[NT][2], radd[MT][2];
	bool good = M == G_EPI_F32;	/* every output on the fast path */
	g_u64 al;
	int i, h, j, c;

#pragma unroll
	for (j = 0; j < NT; j++)
#pragma unroll
		for (c = 0; c < 2; c++) {
			/* a column past N is never stored (cc: defaults) */
			good = good &&
			       (n0 + wn0 + 8 * j + 2 * t + c >= p.n ||
				g_col_fast(&p.e, cc[j][c], p.k));
			cadd[j][c] = (g_u32)cc[j][c].bias + (g_u32)G_F32_MAGIC -
				     (g_u32)p.za * (g_u32)cbt[j][c] +
				     p.k * (g_u32)p.za * (g_u32)p.zb;
		}
#pragma unroll
	for (i = 0; i < MT; i++)
#pragma unroll
		for (h = 0; h < 2; h++)
			radd[i][h] = 0u - (g_u32)p.zb * (g_u32)ra[i][h];
	if (good)
		g_mma_stage_bytes<M, true, BM, BN, MT, NT>(p, acc, cc, cadd,
							   radd, os, wm0, wn0,
							   g, t, good);
	if (!good)
		g_mma_stage_bytes<M, false, BM, BN, MT, NT>(p, acc, cc, cadd,
							    radd, os, wm0, wn0,
							    g, t, good);
	__syncthreads();
	al = p.e.out | p.ldo | n0 | ncols | (FOLD ? p.e.out_is : 0) |
	     (FOLD ? 0 : g_item() * p.e.out_is);
	if (!(al % 16))
		g_mma_copy_out<16, FOLD, BM, BN>(p, os, m0, n0, ncols);
	else if (!(al % 8))
		g_mma_copy_out<8, FOLD, BM, BN>(p, os, m0, n0, ncols);
	else if (!(al % 4))
		g_mma_copy_out<4, FOLD, BM, BN>(p, os, m0, n0, ncols);
	else
		g_mma_copy_out<1, FOLD, BM, BN>(p, os, m0, n0, ncols);
}

/*
 * The epilogue of g_mma_body() for 8-bit outputs through shared memory:
 * each warp's bytes (the arithmetic of g_epi_put()) into the block's
 * tile, then whole rows out in wide stores, not single bytes scattered
 * over rows. false (nothing written): some column's parameters are
 * invalid, the caller's path (which skips those columns) runs instead.
 */
template <bool FOLD, int BM, int BN, int MT, int NT>
__device__ __forceinline__ bool
g_mma_stage_out(const struct g_mm &p, const g_s32 (&acc)[MT][NT][4],
		const g_s32 (&ra)[MT][2], const g_s32 (&cbt)[NT][2],
		const struct g_col (&cc)[NT][2], const bool (&ok)[NT][2],
		g_u32 m0, g_u32 n0, g_u32 wm0, g_u32 wn0, g_u32 g, g_u32 t)
{
	__shared__ __align__(16) g_u8 os[BM][BN + 16];

	if (!__syncthreads_and(g_cols_ok<NT>(p, ok, n0 + wn0, t)))
		return false;
	if (g_epi_mode(&p.e) == G_EPI_F32)
		g_mma_stage_write<G_EPI_F32, FOLD, BM, BN, MT, NT>(p, acc, ra,
			cbt, cc, os, m0, n0, wm0, wn0, g, t);
	else
		g_mma_stage_write<G_EPI_FIX, FOLD, BM, BN, MT, NT>(p, acc, ra,
			cbt, cc, os, m0, n0, wm0, wn0, g, t);
	return true;
}

/*
 * A dense convolution's A tile (implicit im2col) without dividing per
 * word: g_conv_rows() finds each output pixel of the tile once per block
 * (its top-left tap's offset into the input and its position), then a
 * thread finds the taps of its word once per stage and reads them for
 * each of its rows. Rows past the last read pixel 0 of item 0: their
 * sums are never stored.
 */
struct g_conv_row {
	g_s64 off;		/* element offset of tap (0, 0), channel 0 */
	g_s32 iy, ix;		/* its position, maybe in the padding */
};

template <int BM>
__device__ __forceinline__ void g_conv_rows(const struct g_mm &p, g_u32 m0,
					    struct g_conv_row *rows)
{
	g_u32 r;

	for (r = threadIdx.x; r < BM; r += G_THREADS) {
		g_u32 m = m0 + r, ox = 0, oy = 0, nb = 0, t;
		g_s32 iy, ix;

		if (m < p.m) {
			ox = m % p.out_w;
			t = m / p.out_w;
			oy = t % p.out_h;
			nb = t / p.out_h;
		}
		iy = (g_s32)(oy * p.stride_h) - (g_s32)p.pad_top;
		ix = (g_s32)(ox * p.stride_w) - (g_s32)p.pad_left;
		rows[r].iy = iy;
		rows[r].ix = ix;
		rows[r].off = (((g_s64)nb * p.in_h + iy) * p.in_w + ix) *
			      (g_s64)p.in_c;
	}
	__syncthreads();
}

template <int BM, int AW, int AR>
__device__ __forceinline__ void
g_conv_load_a(const struct g_mm &p, const g_u8 *a,
	      g_u32 (&as)[MM_BK / 4][BM + 8],
	      const struct g_conv_row *rows, g_u32 k0)
{
	g_u32 kw = threadIdx.x % (MM_BK / 4), kk = k0 + 4 * kw;
	g_u32 ci, kx, ky, t, v[AW], za = (g_u32)p.za & 0xff, b;
	g_s32 dy[4], dx[4];
	g_s64 toff[4];
	bool in[4];
	int i;

	ci = kk % p.in_c;
	t = kk / p.in_c;
	kx = t % p.k_w;
	ky = t / p.k_w;
#pragma unroll
	for (b = 0; b < 4; b++) {
		in[b] = kk + b < p.k;
		dy[b] = (g_s32)(ky * p.dil_h);
		dx[b] = (g_s32)(kx * p.dil_w);
		toff[b] = ((g_s64)dy[b] * p.in_w + dx[b]) * (g_s64)p.in_c + ci;
		if (++ci == p.in_c) {
			ci = 0;
			if (++kx == p.k_w) {
				kx = 0;
				ky++;
			}
		}
	}
#pragma unroll
	for (i = 0; i < AW; i++) {
		const struct g_conv_row &r = rows[threadIdx.x / (MM_BK / 4) +
						  AR * i];

		v[i] = 0;
#pragma unroll
		for (b = 0; b < 4; b++) {
			g_s32 iy = r.iy + dy[b], ix = r.ix + dx[b];
			g_u32 x;

			if (!in[b])
				x = 0;
			else if ((g_u32)iy >= p.in_h || (g_u32)ix >= p.in_w)
				x = za;	/* a tap in the padding */
			else
				x = a[r.off + toff[b]];
			v[i] |= x << (8 * b);
		}
	}
#pragma unroll
	for (i = 0; i < AW; i++)
		as[kw][threadIdx.x / (MM_BK / 4) + AR * i] = v[i];
}

/*
 * The parameters (@cc) of the lane's columns, 2t and 2t + 1 of each n8
 * tile from @n0 + @wn0 on; @ok: the column exists and they are valid.
 * @al: the vectors are 4-aligned (g_cols_aligned(), g_col_load<true>).
 */
template <bool FOLD, int NT>
__device__ __forceinline__ void g_mma_cols(const struct g_mm &p, g_u32 n0,
					   g_u32 wn0, g_u32 t, bool al,
					   struct g_col (&cc)[NT][2],
					   bool (&ok)[NT][2])
{
	int j, c;

	if (al)
#pragma unroll
		for (j = 0; j < NT; j++)
#pragma unroll
			for (c = 0; c < 2; c++) {
				g_u32 n = n0 + wn0 + 8 * j + 2 * t + c;

				ok[j][c] = n < p.n &&
					   g_col_load<true>(&p.e, n, FOLD ? 0 :
							    g_item(),
							    &cc[j][c]);
			}
	else
#pragma unroll
		for (j = 0; j < NT; j++)
#pragma unroll
			for (c = 0; c < 2; c++) {
				g_u32 n = n0 + wn0 + 8 * j + 2 * t + c;

				ok[j][c] = n < p.n &&
					   g_col_load(&p.e, n, FOLD ? 0 :
						      g_item(), &cc[j][c]);
			}
}

/*
 * The 128-wide tile's body (large GEMMs: 4096^3), kept apart from the
 * narrow tiles' paths below so that its code stays as measured.
 */
template <bool CONV, bool FOLD, int BM, int BN, int WM, int WN>
__device__ __forceinline__ void g_mma_body_wide(const struct g_mm &p)
{
	const int MT = BM / WM / 16, NT = BN / WN / 8;
	/* padded by 8 words: a fragment load's 32 lanes hit 32 banks */
	__shared__ g_u32 as[MM_BK / 4][BM + 8];
	__shared__ g_u32 bs[MM_BK / 4][BN + 8];
	const g_u8 *a = (const g_u8 *)(p.a + g_item() * p.a_is);
	const g_u8 *b = (const g_u8 *)(p.b + g_item() * p.b_is);
	g_u32 lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	g_u32 g = lane / 4, t = lane % 4;
	g_u32 wm0 = (warp / WN) * (BM / WM), wn0 = (warp % WN) * (BN / WN);
	g_u32 m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
	bool a_vec = !CONV && !(p.lda % 4) && !((g_u64)a % 4) &&
		     (!FOLD || !(p.a_is % 4));
	bool b_vec = p.b_ns == 1 && !(p.b_ks % 4) && !((g_u64)b % 4);
	/* A words per thread and stage, rows between a thread's words */
	const int AW = BM * (MM_BK / 4) / G_THREADS;
	const int AR = G_THREADS / (MM_BK / 4);
	const g_u8 *arow[AW];
	g_s32 acc[MT][NT][4], ra[MT][2], cb[NT], cbt[NT][2];
	struct g_col cc[NT][2];
	bool ok[NT][2];
	g_u32 k0;
	int i, j, c;

#pragma unroll
	for (i = 0; i < MT; i++) {
		ra[i][0] = ra[i][1] = 0;
#pragma unroll
		for (j = 0; j < NT; j++)
			acc[i][j][0] = acc[i][j][1] = acc[i][j][2] =
				acc[i][j][3] = 0;
	}
#pragma unroll
	for (j = 0; j < NT; j++)
		cb[j] = 0;
	/*
	 * A tile of whole rows: this thread's words (rows r0 + 32i, word kw
	 * as in g_mm_load_a()) from row addresses found once, all loads
	 * issued before the shared memory stores.
	 */
	if (a_vec && m0 + BM <= p.m) {
#pragma unroll
		for (i = 0; i < AW; i++)
			arow[i] = g_mm_row<FOLD>(&p, a, m0 + threadIdx.x /
						 (MM_BK / 4) + AR * i) +
				  4 * (threadIdx.x % (MM_BK / 4));
	} else {
		arow[0] = NULL;
	}
	for (k0 = 0; k0 < p.k; k0 += MM_BK) {
		if (arow[0]) {
			g_u32 v[AW], kk = k0 + 4 * (threadIdx.x % (MM_BK / 4));

#pragma unroll
			for (i = 0; i < AW; i++)
				v[i] = kk + 3 < p.k ?
				       __ldg((const unsigned int *)(arow[i] +
								    k0)) :
				       g_mm_a4<CONV, FOLD>(&p, a, m0 +
					threadIdx.x / (MM_BK / 4) + AR * i, kk);
			g_mm_load_b<BN, 8>(p, b, bs, n0, k0, b_vec, false);
#pragma unroll
			for (i = 0; i < AW; i++)
				as[threadIdx.x % (MM_BK / 4)]
				  [threadIdx.x / (MM_BK / 4) + AR * i] = v[i];
		} else {
			g_mm_load<CONV, FOLD, BM, BN, 8, 8>(p, a, b, as, bs,
							    m0, n0, k0, a_vec,
							    b_vec, false);
		}
		__syncthreads();
		if (p.a_signed)
			g_mma_stage<true, BM, BN, MT, NT>(as, bs, acc, ra, cb,
							  wm0, wn0, g, t,
							  p.zb, p.za);
		else
			g_mma_stage<false, BM, BN, MT, NT>(as, bs, acc, ra, cb,
							   wm0, wn0, g, t,
							   p.zb, p.za);
		__syncthreads();
	}
	/* a group's 4 lanes hold a quarter of each row's, column's words */
#pragma unroll
	for (i = 0; i < MT; i++)
#pragma unroll
		for (c = 0; c < 2; c++) {
			ra[i][c] += __shfl_xor_sync(0xffffffffu, ra[i][c], 1);
			ra[i][c] += __shfl_xor_sync(0xffffffffu, ra[i][c], 2);
		}
#pragma unroll
	for (j = 0; j < NT; j++) {
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 1);
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 2);
		/* column 2t + c is group 2t + c's */
#pragma unroll
		for (c = 0; c < 2; c++)
			cbt[j][c] = __shfl_sync(0xffffffffu, cb[j],
						4 * (2 * t + c));
	}
	g_mma_cols<FOLD, NT>(p, n0, wn0, t, false, cc, ok);
	switch (g_epi_mode(&p.e)) {
	case G_EPI_S32:
		g_mma_store<G_EPI_S32, FOLD, MT, NT>(p, acc, ra, cbt, cc, ok,
						     m0 + wm0, n0 + wn0, g, t);
		break;
	case G_EPI_F32:
		g_mma_store<G_EPI_F32, FOLD, MT, NT>(p, acc, ra, cbt, cc, ok,
						     m0 + wm0, n0 + wn0, g, t);
		break;
	default:
		g_mma_store<G_EPI_FIX, FOLD, MT, NT>(p, acc, ra, cbt, cc, ok,
						     m0 + wm0, n0 + wn0, g, t);
	}
}


/*
 * The tile of g_mm_body() on the tensor cores: the block's 8 warps as
 * WM x WN, each computing (BM / WM) x (BN / WN) outputs as m16n8k32
 * tiles. The integer sums are exact, so the bytes are the same.
 */
template <bool CONV, bool FOLD, int BM, int BN, int WM, int WN>
__device__ __forceinline__ void g_mma_body(const struct g_mm &p)
{
	const int MT = BM / WM / 16, NT = BN / WN / 8;
	/*
	 * padded by 8 words: a fragment load's 32 lanes hit 32 banks; a
	 * ring of stages for g_mma_pipe(), the first for the other paths
	 */
	__shared__ g_u32 asr[G_MMA_STAGES][MM_BK / 4][BM + 8];
	__shared__ g_u32 bsr[G_MMA_STAGES][MM_BK / 4][BN + 8];
	g_u32 (&as)[MM_BK / 4][BM + 8] = asr[0];
	g_u32 (&bs)[MM_BK / 4][BN + 8] = bsr[0];
	const g_u8 *a = (const g_u8 *)(p.a + g_item() * p.a_is);
	const g_u8 *b = (const g_u8 *)(p.b + g_item() * p.b_is);
	g_u32 lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	g_u32 g = lane / 4, t = lane % 4;
	g_u32 wm0 = (warp / WN) * (BM / WM), wn0 = (warp % WN) * (BN / WN);
	g_u32 m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
	bool a_vec = !CONV && !(p.lda % 4) && !((g_u64)a % 4) &&
		     (!FOLD || !(p.a_is % 4));
	bool b_vec = p.b_ns == 1 && !(p.b_ks % 4) && !((g_u64)b % 4);
	/* the narrow tiles' paths (the 128-wide one as it was: 4096^3) */
	bool bk_vec = BN <= 64 && p.b_ks == 1 && !(p.b_ns % 4) &&
		      !((g_u64)b % 4);
	/* A words per thread and stage, rows between a thread's words */
	const int AW = BM * (MM_BK / 4) / G_THREADS;
	const int AR = G_THREADS / (MM_BK / 4);
	const g_u8 *arow[AW];
	/* a convolution's output pixels of the tile (g_conv_rows()) */
	__shared__ struct g_conv_row rows[CONV ? BM : 1];
	g_s32 acc[MT][NT][4], ra[MT][2], cb[NT], cbt[NT][2];
	struct g_col cc[NT][2];
	bool ok[NT][2];
	g_u32 k0;
	int i, j, c;

#pragma unroll
	for (i = 0; i < MT; i++) {
		ra[i][0] = ra[i][1] = 0;
#pragma unroll
		for (j = 0; j < NT; j++)
			acc[i][j][0] = acc[i][j][1] = acc[i][j][2] =
				acc[i][j][3] = 0;
	}
#pragma unroll
	for (j = 0; j < NT; j++)
		cb[j] = 0;
	/*
	 * A tile of whole rows: this thread's words (rows r0 + 32i, word kw
	 * as in g_mm_load_a()) from row addresses found once, all loads
	 * issued before the shared memory stores. Rows past the last (of
	 * the last row tile) read the last one again: their sums are never
	 * stored, and the column sums come from B alone.
	 */
	if (a_vec) {
		g_mm_rows<FOLD, AW, AR>(p, a, m0 + threadIdx.x / (MM_BK / 4),
					4 * (threadIdx.x % (MM_BK / 4)), arow);
	} else {
		arow[0] = NULL;
	}
	if (arow[0] && bk_vec) {
		g_mma_pipe<CONV, FOLD, BM, BN, MT, NT, AW>(p, b, asr, bsr,
							    arow, acc, ra, cb,
							    n0, wm0, wn0, g,
							    t);
		k0 = p.k;	/* done */
	} else {
		k0 = 0;
	}
	for (; k0 < p.k; k0 += MM_BK) {
		if (arow[0]) {
			g_u32 v[AW], kk = k0 + 4 * (threadIdx.x % (MM_BK / 4));

#pragma unroll
			for (i = 0; i < AW; i++)
				v[i] = kk >= p.k ? 0 : kk + 3 < p.k ?
				       __ldg((const unsigned int *)(arow[i] +
								    k0)) :
				       g_mm_a4<CONV, FOLD>(&p, a, m0 +
					threadIdx.x / (MM_BK / 4) + AR * i, kk);
			g_mm_load_b<BN, 8>(p, b, bs, n0, k0, b_vec, bk_vec);
#pragma unroll
			for (i = 0; i < AW; i++)
				as[threadIdx.x % (MM_BK / 4)]
				  [threadIdx.x / (MM_BK / 4) + AR * i] = v[i];
		} else if (CONV) {
			if (k0 == 0)
				g_conv_rows<BM>(p, m0, rows);
			g_conv_load_a<BM, AW, AR>(p, a, as, rows, k0);
			g_mm_load_b<BN, 8>(p, b, bs, n0, k0, b_vec, bk_vec);
		} else {
			g_mm_load<CONV, FOLD, BM, BN, 8, 8>(p, a, b, as, bs,
							    m0, n0, k0, a_vec,
							    b_vec, bk_vec);
		}
		__syncthreads();
		if (p.a_signed)
			g_mma_stage<true, BM, BN, MT, NT>(as, bs, acc, ra, cb,
							  wm0, wn0, g, t,
							  p.zb, p.za);
		else
			g_mma_stage<false, BM, BN, MT, NT>(as, bs, acc, ra, cb,
							   wm0, wn0, g, t,
							   p.zb, p.za);
		__syncthreads();
	}
	/* a group's 4 lanes hold a quarter of each row's, column's words */
#pragma unroll
	for (i = 0; i < MT; i++)
#pragma unroll
		for (c = 0; c < 2; c++) {
			ra[i][c] += __shfl_xor_sync(0xffffffffu, ra[i][c], 1);
			ra[i][c] += __shfl_xor_sync(0xffffffffu, ra[i][c], 2);
		}
#pragma unroll
	for (j = 0; j < NT; j++) {
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 1);
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 2);
		/* column 2t + c is group 2t + c's */
#pragma unroll
		for (c = 0; c < 2; c++)
			cbt[j][c] = __shfl_sync(0xffffffffu, cb[j],
						4 * (2 * t + c));
	}
#pragma unroll
	for (j = 0; j < NT; j++)
#pragma unroll
		for (c = 0; c < 2; c++)	/* kept for columns past N */
			cc[j][c] = { 0, p.e.mult, p.e.shift };
	g_mma_cols<FOLD, NT>(p, n0, wn0, t,
			     g_cols_aligned(&p.e, FOLD ? 0 : g_item()), cc, ok);
	if (BN <= 64 && p.stage && g_epi_mode(&p.e) != G_EPI_S32 &&
	    g_mma_stage_out<FOLD, BM, BN, MT, NT>(p, acc, ra, cbt, cc, ok, m0,
						  n0, wm0, wn0, g, t))
		return;
	switch (g_epi_mode(&p.e)) {
	case G_EPI_S32:
		g_mma_store<G_EPI_S32, FOLD, MT, NT>(p, acc, ra, cbt, cc, ok,
						     m0 + wm0, n0 + wn0, g, t);
		break;
	case G_EPI_F32:
		g_mma_store<G_EPI_F32, FOLD, MT, NT>(p, acc, ra, cbt, cc, ok,
						     m0 + wm0, n0 + wn0, g, t);
		break;
	default:
		g_mma_store<G_EPI_FIX, FOLD, MT, NT>(p, acc, ra, cbt, cc, ok,
						     m0 + wm0, n0 + wn0, g, t);
	}
}
#endif

/*
 * The same kernels on the tensor cores (k_mm_tc...: gpu_backend.c uses
 * them from sm_80 on; NPURT_GPU_TC=0: the dp4a ones). Warps: 2 x 4 at
 * 128 x 128, 4 x 2 at 128 x 64 and 128 x 32, 8 x 1 at 128 x 16.
 */
#if G_TC
#define G_MMA_BODY(conv, fold, bn, wm, wn, tm, tn)			\
	if (bn == 128)							\
		g_mma_body_wide<conv, fold, 128, bn, wm, wn>(p);	\
	else								\
		g_mma_body<conv, fold, 128, bn, wm, wn>(p)
#else
#define G_MMA_BODY(conv, fold, bn, wm, wn, tm, tn)			\
	g_mm_body<conv, fold, 128, bn, tm, tn>(p)
#endif
#define G_MMA_KERNELS(name, conv, fold)					\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name(const struct g_mm p)						\
{									\
	G_MMA_BODY(conv, fold, 128, 2, 4, 8, 8);			\
}									\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name##_n64(const struct g_mm p)						\
{									\
	G_MMA_BODY(conv, fold, 64, 4, 2, 8, 4);				\
}									\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name##_n32(const struct g_mm p)						\
{									\
	G_MMA_BODY(conv, fold, 32, 4, 2, 4, 4);				\
}									\
extern "C" __global__ void __launch_bounds__(G_THREADS)		\
name##_n16(const struct g_mm p)						\
{									\
	G_MMA_BODY(conv, fold, 16, 8, 1, 4, 2);				\
}

G_MMA_KERNELS(k_mm_tc, false, false)
G_MMA_KERNELS(k_mm_tc_fold, false, true)
G_MMA_KERNELS(k_mm_tc_conv, true, false)


/* ---- GEMMs of few rows: K split over a block's warps -------------------- */

/*
 * k_mm_sk: a GEMM of few rows and a long K (a classifier: M the batch, K
 * 1280) on the tensor cores (gpu_launch_mm()). The GEMM kernels' tile
 * takes its k stages one after another, a load's latency each (40 for a
 * K of 1280, on as many blocks as N / 16); here a block computes 64 x 16
 * outputs, each of its 8 warps summing every 8th k32 step straight from
 * global memory, and the exact int32 partial sums (and the partial row
 * and column sums of the zero-point terms) are added in shared memory
 * before g_epi_put() writes each output as g_mma_store() does.
 */
#define G_SK_BM		64
#define G_SK_BN		16
#define G_SK_WARPS	(G_THREADS / 32)

#if G_TC
/* A[row][kk..kk + 3] from row pointer @r: one load where whole and aligned */
__device__ __forceinline__ g_u32 g_sk_a4(const struct g_mm &p, const g_u8 *r,
					 g_u32 kk, bool vec)
{
	g_u32 v = 0, e;

	if (vec && kk + 3 < p.k)
		return __ldg((const unsigned int *)(r + kk));
	for (e = 0; e < 4; e++)
		if (kk + e < p.k)
			v |= (g_u32)r[kk + e] << (8 * e);
	return v;
}

/* The outputs of the block's tile from the summed partials, in mode M. */
template <int M, bool FOLD>
__device__ __forceinline__ void
g_sk_store(const struct g_mm &p,
	   const g_s32 (&part)[G_SK_WARPS][G_SK_BM][G_SK_BN + 1],
	   const g_s32 (&rpart)[G_SK_WARPS][G_SK_BM],
	   const g_s32 (&cpart)[G_SK_WARPS][G_SK_BN], g_u32 m0, g_u32 n0)
{
	g_u32 idx, w;

	for (idx = threadIdx.x; idx < G_SK_BM * G_SK_BN; idx += G_THREADS) {
		g_u32 r = idx / G_SK_BN, cl = idx % G_SK_BN;
		g_u32 m = m0 + r, n = n0 + cl, ml = m, sum = 0, rs = 0, cs = 0;
		g_u64 it = g_item();
		struct g_col cc;

		if (m >= p.m || n >= p.n ||
		    !g_col_load(&p.e, n, FOLD ? 0 : g_item(), &cc))
			continue;
#pragma unroll
		for (w = 0; w < G_SK_WARPS; w++) {
			sum += (g_u32)part[w][r][cl];
			rs += (g_u32)rpart[w][r];
			cs += (g_u32)cpart[w][cl];
		}
		if (FOLD) {
			it = m / p.mi;
			ml = m % p.mi;
		}
		g_epi_put<M>(&p.e, cc, (g_s32)(sum - (g_u32)p.zb * rs -
					       (g_u32)p.za * cs +
					       p.k * (g_u32)p.za *
					       (g_u32)p.zb),
			     (g_u8 *)(p.e.out + it * p.e.out_is),
			     (g_u64)ml * p.ldo + n);
	}
}

template <bool FOLD>
__device__ __forceinline__ void g_sk_body(const struct g_mm &p)
{
	__shared__ g_s32 part[G_SK_WARPS][G_SK_BM][G_SK_BN + 1];
	__shared__ g_s32 rpart[G_SK_WARPS][G_SK_BM];
	__shared__ g_s32 cpart[G_SK_WARPS][G_SK_BN];
	const g_u8 *a = (const g_u8 *)(p.a + g_item() * p.a_is);
	const g_u8 *b = (const g_u8 *)(p.b + g_item() * p.b_is);
	g_u32 lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	g_u32 g = lane / 4, t = lane % 4;
	g_u32 m0 = blockIdx.y * G_SK_BM, n0 = blockIdx.x * G_SK_BN;
	g_u32 steps = (p.k + 31) / 32, s, i, j, h, c;
	bool vec = !(p.lda % 4) && !((g_u64)a % 4) &&
		   (!FOLD || !(p.a_is % 4));
	const g_u8 *arow[4][2];
	g_s32 acc[4][2][4], ra[4][2], cb[2];

#pragma unroll
	for (i = 0; i < 4; i++)
#pragma unroll
		for (h = 0; h < 2; h++) {
			/* a row past the last reads the last: never stored */
			arow[i][h] = g_mm_row<FOLD>(&p, a,
				min(m0 + 16 * i + g + 8 * h, p.m - 1));
			ra[i][h] = 0;
#pragma unroll
			for (j = 0; j < 2; j++)
				acc[i][j][2 * h] = acc[i][j][2 * h + 1] = 0;
		}
	cb[0] = cb[1] = 0;
	for (s = warp; s < steps; s += G_SK_WARPS) {
		g_u32 af[4][4], bf[2][2], q;

		/* a0/a1: rows g, g + 8 at word t; a2/a3: at word t + 4 */
#pragma unroll
		for (i = 0; i < 4; i++)
#pragma unroll
			for (q = 0; q < 2; q++)
#pragma unroll
				for (h = 0; h < 2; h++)
					af[i][2 * q + h] = g_sk_a4(p,
						arow[i][h],
						32 * s + 16 * q + 4 * t, vec);
#pragma unroll
		for (j = 0; j < 2; j++)
#pragma unroll
			for (q = 0; q < 2; q++)
				bf[j][q] = g_mm_b4(&p, b, 32 * s + 16 * q + 4 * t,
						   n0 + 8 * j + g);
#pragma unroll
		for (i = 0; i < 4; i++)
#pragma unroll
			for (j = 0; j < 2; j++) {
				if (p.a_signed)
					g_mma<true>(acc[i][j], af[i], bf[j][0],
						    bf[j][1]);
				else
					g_mma<false>(acc[i][j], af[i],
						     bf[j][0], bf[j][1]);
			}
		if (p.zb)
#pragma unroll
			for (i = 0; i < 4; i++)
#pragma unroll
				for (h = 0; h < 2; h++)
					ra[i][h] = p.a_signed ?
						g_dp4a_ss(af[i][h], 0x01010101u,
							  g_dp4a_ss(af[i][2 + h],
								    0x01010101u,
								    ra[i][h])) :
						g_dp4a_us(af[i][h], 0x01010101u,
							  g_dp4a_us(af[i][2 + h],
								    0x01010101u,
								    ra[i][h]));
		if (p.za)
#pragma unroll
			for (j = 0; j < 2; j++)
				cb[j] = g_dp4a_ss(0x01010101u, bf[j][0],
						  g_dp4a_ss(0x01010101u,
							    bf[j][1], cb[j]));
	}
	/* a group's 4 lanes hold a quarter of each row's, column's words */
#pragma unroll
	for (i = 0; i < 4; i++)
#pragma unroll
		for (h = 0; h < 2; h++) {
			ra[i][h] += __shfl_xor_sync(0xffffffffu, ra[i][h], 1);
			ra[i][h] += __shfl_xor_sync(0xffffffffu, ra[i][h], 2);
#pragma unroll
			for (j = 0; j < 2; j++)
#pragma unroll
				for (c = 0; c < 2; c++)
					part[warp][16 * i + g + 8 * h]
					    [8 * j + 2 * t + c] =
						acc[i][j][2 * h + c];
			if (!t)
				rpart[warp][16 * i + g + 8 * h] = ra[i][h];
		}
#pragma unroll
	for (j = 0; j < 2; j++) {
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 1);
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 2);
		if (!t)
			cpart[warp][8 * j + g] = cb[j];	/* column 8j + g's */
	}
	__syncthreads();
	switch (g_epi_mode(&p.e)) {
	case G_EPI_S32:
		g_sk_store<G_EPI_S32, FOLD>(p, part, rpart, cpart, m0, n0);
		break;
	case G_EPI_F32:
		g_sk_store<G_EPI_F32, FOLD>(p, part, rpart, cpart, m0, n0);
		break;
	default:
		g_sk_store<G_EPI_FIX, FOLD>(p, part, rpart, cpart, m0, n0);
	}
}
#endif

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_mm_sk(const struct g_mm p)
{
#if G_TC
	g_sk_body<false>(p);
#endif	/* never launched before sm_80 (gpu_launch_mm()) */
}

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_mm_sk_fold(const struct g_mm p)
{
#if G_TC
	g_sk_body<true>(p);
#endif
}
/* ---- pointwise GEMMs of small K on the tensor cores --------------------- */

/*
 * k_pw: a GEMM of K <= 32 in whole words with B in words of k per column
 * (a pointwise convolution's weights), 8-bit outputs in the binary32
 * mode (gpu_pw_ok()). Each warp keeps its 32 columns' B fragments and
 * epilogue constants in registers and walks m16 row tiles, A fragments
 * straight from global memory (the next tile's loads issued before this
 * one's epilogue), outputs staged per warp for 16-byte rows. The body
 * takes KS k32 steps, but only KS = 1 is built: at K = 64 and 96 on
 * mobilenet_v2 (H200) it was no faster than the GEMM kernels, each warp's
 * set-up (B, the columns' parameters) serving too few tiles.
 * The expansions of mobilenet-like models are such GEMMs: a few words of
 * k per row, many outputs per input byte, so the per-output epilogue is
 * nearly the whole cost, and it is cut to the bone:
 *
 * - no range test (g_epi_fast() has one): the host bounds |sum| <=
 *   K * max|a - za| * max|b - zb| and passes p.blim with |sum + bias| <
 *   2^22 for every |bias| <= blim; a warp with a column past that (or
 *   invalid) takes g_epi_put() for every output instead;
 * - no clamp to +-512 before rounding: fl32 addition is monotonic, so a y
 *   beyond it still rounds past [lo, hi] (|hi - zp|, |lo - zp| <= 383) and
 *   the clamp on the integer bits gives the same byte;
 * - the zero point's even part rides in the rounding bias: rounding
 *   y + 1.5 * 2^23 + 2k to an integer (ties to even) is rounding y and
 *   adding 2k, exactly; an odd zero point adds its last 1 after the clamp.
 */
#define G_PW_NT		4		/* n8 tiles a warp: 32 columns */
#define G_PW_ROW	48		/* staged row bytes: no bank conflicts */

/*
 * A block's 32 columns (k_pw, k_pwk): their weights' sums (k_pwk) and
 * their parameters, read (and checked) once a block, not once a lane
 * (ncu: the lanes' reads and checks were 7 instructions an output of
 * k_pw at 112 x 112, its warps having few tiles each)
 */
struct g_pw_cols {
	g_s32 csum[8 * G_PW_NT], bias[8 * G_PW_NT], mult[8 * G_PW_NT];
	bool fast[8 * G_PW_NT];
};

#if G_TC
/* The A fragment words of rows at @p0, @p1 (plus 4t; kv: word in K) */
template <int KS>
__device__ __forceinline__ void g_pw_load(const g_u8 *p0, const g_u8 *p1,
					  const bool (&kv)[KS][2],
					  g_u32 (&a)[KS][4])
{
	int s;

#pragma unroll
	for (s = 0; s < KS; s++) {
		a[s][0] = kv[s][0] ? __ldg((const unsigned int *)(p0 + 32 * s)) :
				     0;
		a[s][1] = kv[s][0] ? __ldg((const unsigned int *)(p1 + 32 * s)) :
				     0;
		a[s][2] = kv[s][1] ? __ldg((const unsigned int *)(p0 + 32 * s +
								  16)) : 0;
		a[s][3] = kv[s][1] ? __ldg((const unsigned int *)(p1 + 32 * s +
								  16)) : 0;
	}
}

/*
 * The output byte (low 8 bits) of @s = sum + bias + G_F32_MAGIC: y =
 * fl32(sum + bias) * mult rounded by @rb (1.5 * 2^23 plus the zero
 * point's even part), clamped on the bits to @lo2..@hi2 (lo, hi less the
 * odd part, plus G_F32_MAGIC), plus the odd part.
 */
__device__ __forceinline__ g_u32 g_pw_byte(g_s32 s, float mult, float rb,
					   g_s32 lo2, g_s32 hi2, g_s32 odd)
{
	float y = __fmul_rn(__fsub_rn(__int_as_float(s), 12582912.0f), mult);
	g_s32 r = max(min(__float_as_int(__fadd_rn(y, rb)), hi2), lo2);

	return (g_u32)(r + odd);
}

/*
 * A warp's m16 x 32 tile of k_pw or k_pwk (rows m0.. of @rows at @out,
 * columns n0..) where their fast epilogue may not run: g_mma_store()'s
 * arithmetic, output by output, the columns' parameters read (and
 * checked) again; @cadd holds each column's bias and G_F32_MAGIC, which
 * are taken out again.
 */
__device__ __forceinline__ void g_pw_slow(const struct g_mm &p,
					  const g_s32 (&acc)[G_PW_NT][4],
					  const g_u32 (&cadd)[G_PW_NT][2],
					  const g_u32 (&radd)[2], g_u8 *out,
					  g_u32 n0, g_u32 m0, g_u32 rows,
					  g_u32 g, g_u32 t)
{
	int j, c, h;

#pragma unroll
	for (j = 0; j < G_PW_NT; j++)
#pragma unroll
		for (c = 0; c < 2; c++) {
			g_u32 n = n0 + 8 * j + 2 * t + c;
			struct g_col cc = { 0, p.e.mult, p.e.shift };

			if (n >= p.n || !g_col_load(&p.e, n, g_item(), &cc))
				continue;
#pragma unroll
			for (h = 0; h < 2; h++) {
				g_u32 m = m0 + g + 8 * h;
				g_u32 v = (g_u32)acc[j][2 * h + c] + cadd[j][c] -
					  (g_u32)cc.bias - (g_u32)G_F32_MAGIC +
					  radd[h];

				if (m < rows)
					g_epi_put<G_EPI_F32>(&p.e, cc, (g_s32)v,
							     out,
							     (g_u64)m * p.ldo +
							     n);
			}
		}
}

/*
 * The block's columns' parameters into @cs (k_pw, k_pwk), @fast: the
 * column may take the fast epilogue, |bias| <= @blim (k_pw) or
 * g_col_fast() (k_pwk, @blim < 0)
 */
__device__ __forceinline__ void g_pw_cols(const struct g_mm &p, g_u32 n0,
					  g_s32 blim, struct g_pw_cols &cs)
{
	if (threadIdx.x < 8 * G_PW_NT) {
		g_u32 n = n0 + threadIdx.x;
		struct g_col cc = { 0, p.e.mult, p.e.shift };
		bool ok = n < p.n &&
			  (g_cols_aligned(&p.e, g_item()) ?
			   g_col_load<true>(&p.e, n, g_item(), &cc) :
			   g_col_load(&p.e, n, g_item(), &cc));

		cs.bias[threadIdx.x] = cc.bias;
		cs.mult[threadIdx.x] = cc.mult;
		cs.fast[threadIdx.x] = n >= p.n ||
			(ok && (blim >= 0 ? cc.bias >= -blim && cc.bias <= blim :
				g_col_fast(&p.e, cc, p.k)));
	}
}

/*
 * The rows g and g + 8 of row tile @tile (of @tpi an item: items folded,
 * p.mi rows each) at byte @off, the last row for those past it.
 */
__device__ __forceinline__ void g_pw_rows(const struct g_mm &p, const g_u8 *a,
					  g_u32 tile, g_u32 tpi, g_u32 g,
					  g_u32 off, const g_u8 *&r0,
					  const g_u8 *&r1)
{
	g_u32 r = tile % tpi * 16 + g;

	a += (g_u64)(tile / tpi) * p.a_is + off;
	r0 = a + (g_u64)min(r, p.mi - 1) * p.lda;
	r1 = a + (g_u64)min(r + 8, p.mi - 1) * p.lda;
}

template <int KS>
__device__ __forceinline__ void g_pw_body(const struct g_mm &p,
					  g_u8 (*st)[G_PW_ROW],
					  struct g_pw_cols &cs)
{
	const g_u8 *a = (const g_u8 *)(p.a + g_item() * p.a_is);
	const g_u8 *b = (const g_u8 *)(p.b + g_item() * p.b_is);
	g_u8 *out = (g_u8 *)(p.e.out + g_item() * p.e.out_is);
	g_u32 lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	g_u32 g = lane / 4, t = lane % 4, n0 = blockIdx.y * 8 * G_PW_NT;
	/* row tiles of an item, and of all (p.m / p.mi items folded) */
	g_u32 tpi = (p.mi + 15) / 16, tiles = tpi * (p.m / p.mi);
	g_u32 step = gridDim.x * (G_THREADS / 32);
	g_u32 tile = blockIdx.x * (G_THREADS / 32) + warp, j, c, h;
	const g_u8 *r0, *r1;
	/* n8 tiles inside N (a multiple of 16: the last strip may be half) */
	g_u32 nt = p.n - n0 >= 8 * G_PW_NT ? G_PW_NT : (p.n - n0) / 8;
	/* the lane's part of the stores: row lane / 2, bytes 16 * (lane % 2) */
	bool sv = n0 + 16 * (lane % 2) < p.n;
	bool v16 = !((g_u64)out % 16) && !(p.e.out_is % 16) && !(p.ldo % 16);
	const g_u8 *src = &st[lane / 2][16 * (lane % 2)];
	g_u32 bf[KS][G_PW_NT][2], a0[KS][4], a1[KS][4], cadd[G_PW_NT][2];
	g_s32 cb[G_PW_NT], lo2, hi2;
	float mult[G_PW_NT][2], rb;
	bool kv[KS][2], fast = true, as = p.a_signed;
	g_s32 odd = p.e.zp & 1;
	int s;

	g_pw_cols(p, n0, p.blim, cs);
	__syncthreads();
	if (tile >= tiles)
		return;
#pragma unroll
	for (s = 0; s < KS; s++) {
		kv[s][0] = 32 * s + 4 * t < p.k;
		kv[s][1] = 32 * s + 16 + 4 * t < p.k;
	}
	/* B: column n0 + 8j + g, words 8s + t and 8s + t + 4 */
#pragma unroll
	for (j = 0; j < G_PW_NT; j++) {
		g_u32 n = n0 + 8 * j + g;
		const g_u8 *bc = b + (g_u64)(n < p.n ? n : 0) * p.b_ns + 4 * t;

		cb[j] = 0;
#pragma unroll
		for (s = 0; s < KS; s++) {
			bf[s][j][0] = n < p.n && kv[s][0] ?
				__ldg((const unsigned int *)(bc + 32 * s)) : 0;
			bf[s][j][1] = n < p.n && kv[s][1] ?
				__ldg((const unsigned int *)(bc + 32 * s +
							     16)) : 0;
			cb[j] = g_dp4a_ss(0x01010101u, bf[s][j][0],
					  g_dp4a_ss(0x01010101u, bf[s][j][1],
						    cb[j]));
		}
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 1);
		cb[j] += __shfl_xor_sync(0xffffffffu, cb[j], 2);
	}
	/* the lane's columns n0 + 8j + 2t + c: parameters and constants */
#pragma unroll
	for (j = 0; j < G_PW_NT; j++)
#pragma unroll
		for (c = 0; c < 2; c++) {
			g_u32 col = 8 * j + 2 * t + c;
			g_s32 sum = __shfl_sync(0xffffffffu, cb[j],
						4 * (2 * t + c));

			fast = fast && cs.fast[col];
			mult[j][c] = __int_as_float(cs.mult[col]);
			/* the sums' constant terms (g_mma_stage_write()) */
			cadd[j][c] = (g_u32)cs.bias[col] + (g_u32)G_F32_MAGIC -
				     (g_u32)p.za * (g_u32)sum +
				     p.k * (g_u32)p.za * (g_u32)p.zb;
		}
	fast = __all_sync(0xffffffffu, fast);
	rb = __fadd_rn(12582912.0f, __int2float_rn(p.e.zp - odd));
	lo2 = G_F32_MAGIC + p.e.lo - odd;
	hi2 = G_F32_MAGIC + p.e.hi - odd;
	g_pw_rows(p, a, tile, tpi, g, 4 * t, r0, r1);
	g_pw_load<KS>(r0, r1, kv, a0);
	for (; tile < tiles; tile += step) {
		g_s32 acc[G_PW_NT][4], ra[2] = { 0, 0 };
		g_u32 radd[2] = { 0, 0 }, next = tile + step;
		/* the tile's item and first row in it */
		g_u32 m0 = tile % tpi * 16;
		g_u8 *o = out + (g_u64)(tile / tpi) * p.e.out_is;

#pragma unroll
		for (j = 0; j < G_PW_NT; j++)
			acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0;
		/* columns past N have zero B: their sums are never stored */
#pragma unroll
		for (s = 0; s < KS; s++)
#pragma unroll
			for (j = 0; j < G_PW_NT; j++)
				if (as)
					g_mma<true>(acc[j], a0[s], bf[s][j][0],
						    bf[s][j][1]);
				else
					g_mma<false>(acc[j], a0[s],
						     bf[s][j][0], bf[s][j][1]);
		if (p.zb) {
			/* the rows' sums of a (the lane's words, the group's) */
#pragma unroll
			for (s = 0; s < KS; s++)
#pragma unroll
				for (h = 0; h < 2; h++)
					ra[h] = as ?
						g_dp4a_ss(a0[s][h], 0x01010101u,
							  g_dp4a_ss(a0[s][2 + h],
								    0x01010101u,
								    ra[h])) :
						g_dp4a_us(a0[s][h], 0x01010101u,
							  g_dp4a_us(a0[s][2 + h],
								    0x01010101u,
								    ra[h]));
#pragma unroll
			for (h = 0; h < 2; h++) {
				ra[h] += __shfl_xor_sync(0xffffffffu, ra[h], 1);
				ra[h] += __shfl_xor_sync(0xffffffffu, ra[h], 2);
				radd[h] = 0u - (g_u32)p.zb * (g_u32)ra[h];
			}
		}
		if (next < tiles) {
			g_pw_rows(p, a, next, tpi, g, 4 * t, r0, r1);
			g_pw_load<KS>(r0, r1, kv, a1);
		}
		if (fast) {
#pragma unroll
			for (j = 0; j < G_PW_NT; j++) {
				if (j >= nt)
					break;
#pragma unroll
				for (h = 0; h < 2; h++) {
					g_u32 b0 = g_pw_byte((g_s32)(
						(g_u32)acc[j][2 * h] +
						cadd[j][0] + radd[h]),
						mult[j][0], rb, lo2, hi2, odd);
					g_u32 b1 = g_pw_byte((g_s32)(
						(g_u32)acc[j][2 * h + 1] +
						cadd[j][1] + radd[h]),
						mult[j][1], rb, lo2, hi2, odd);

					*(unsigned short *)&st[g + 8 * h]
							      [8 * j + 2 * t] =
						(unsigned short)__byte_perm(b0,
							b1, 0x0040);
				}
			}
			__syncwarp();
			if (m0 + lane / 2 < p.mi && sv) {
				g_u8 *dst = o + (g_u64)(m0 + lane / 2) *
					    p.ldo + n0 + 16 * (lane % 2);
				uint4 v = *(const uint4 *)src;

				if (v16) {
					*(uint4 *)dst = v;
				} else {
					((g_u32 *)dst)[0] = v.x;
					((g_u32 *)dst)[1] = v.y;
					((g_u32 *)dst)[2] = v.z;
					((g_u32 *)dst)[3] = v.w;
				}
			}
			__syncwarp();
		} else {
			g_pw_slow(p, acc, cadd, radd, o, n0, m0, p.mi, g, t);
		}
#pragma unroll
		for (s = 0; s < KS; s++)
#pragma unroll
			for (j = 0; j < 4; j++)
				a0[s][j] = a1[s][j];
	}
}

#endif

/*
 * 3 blocks a multiprocessor (80 registers): measured faster than 2 (more
 * warps to hide the loads) at no spills
 */
extern "C" __global__ void __launch_bounds__(G_THREADS, 3)
k_pw(const struct g_mm p)
{
#if G_TC
	__shared__ __align__(16) g_u8 stage[G_THREADS / 32][16][G_PW_ROW];
	__shared__ struct g_pw_cols cols;

	g_pw_body<1>(p, stage[threadIdx.x / 32], cols);
#endif	/* never launched before sm_80 (gpu_pw_ok()) */
}

/* ---- pointwise GEMMs of larger K on the tensor cores -------------------- */

/*
 * k_pwk: a GEMM of 32 < K <= G_PK_KMAX, K in 16-byte pieces, B in whole
 * rows of k per column (a pointwise convolution's weights), 8-bit outputs
 * in the binary32 mode (gpu_pwk_fits()): the projections of mobilenet-
 * like models, and their expansions past K = 32. ncu put the GEMM
 * kernels at ~1,080 instructions a warp per 128 x 32 tile of such a layer
 * (K 96), 12 of them mma: index arithmetic and per-element tests written
 * for every GEMM and convolution. Here a block holds its 32 columns'
 * weights in shared memory and each warp walks m16 row tiles with no
 * per-element work but the epilogue:
 *
 * - A straight from global memory in 16-byte loads: lane 4g + t reads
 *   bytes 16t..16t + 15 of a 64-byte k chunk of rows g and g + 8, and
 *   feeds words 0, 1 to one m16n8k32 as its k words t, t + 4 and words 2,
 *   3 to a second. That is a permutation of the chunk's k, and lane t's
 *   B words come from the same bytes of the column (one 16-byte shared
 *   load for both), so every product is the one of the plain order and
 *   the exact int32 sums are the same. A piece past K reads as zero.
 * - The epilogue of k_pw (g_pw_byte()), with g_epi_fast()'s range test:
 *   a tile with a sum out of it (or a warp with a column whose parameters
 *   are invalid or not fast) takes g_epi_put() for each output instead.
 * - The bytes staged per warp, stored in 16 or 8-byte pieces of a row.
 */
#define G_PK_NB		32		/* columns a block */
/* a column's bytes in shared memory: a multiple of 128, plus 64 */
#define G_PK_STRIDE	(G_PK_KMAX + 64)

#if G_TC
/* bytes 64c + 16t.. of the rows at @r0, @r1 (zero past @k) */
__device__ __forceinline__ void g_pk_load(const g_u8 *r0, const g_u8 *r1,
					  g_u32 c, g_u32 t, g_u32 k,
					  uint4 &x0, uint4 &x1)
{
	const uint4 z = { 0, 0, 0, 0 };
	bool in = 64 * c + 16 * t < k;

	x0 = in ? __ldg((const uint4 *)(r0 + 64 * c)) : z;
	x1 = in ? __ldg((const uint4 *)(r1 + 64 * c)) : z;
}

/* One 64-byte k chunk of the warp's m16 x 32 tile (n8 tiles below @nt) */
template <bool AS>
__device__ __forceinline__ void g_pk_chunk(g_s32 (&acc)[4][4],
					   const uint4 &x0, const uint4 &x1,
					   const g_u8 *bq, g_u32 stride,
					   g_u32 nt)
{
	const g_u32 a0[4] = { x0.x, x1.x, x0.y, x1.y };
	const g_u32 a1[4] = { x0.z, x1.z, x0.w, x1.w };
	int j;

#pragma unroll
	for (j = 0; j < 4; j++) {
		uint4 bv;

		if ((g_u32)j >= nt)
			break;
		bv = *(const uint4 *)(bq + 8 * j * stride);
		g_mma<AS>(acc[j], a0, bv.x, bv.y);
		g_mma<AS>(acc[j], a1, bv.z, bv.w);
	}
}

/* (x, y, z) = (y, z, x) */
__device__ __forceinline__ void g_pk_rot(uint4 &x, uint4 &y, uint4 &z)
{
	uint4 v = x;

	x = y;
	y = z;
	z = v;
}

/* the sum of a row's bytes in @x (signed or not) plus @s */
__device__ __forceinline__ g_s32 g_pk_rsum(const uint4 &x, bool as, g_s32 s)
{
	const g_u32 one = 0x01010101u;

	if (as)
		return g_dp4a_ss(x.x, one, g_dp4a_ss(x.y, one,
			g_dp4a_ss(x.z, one, g_dp4a_ss(x.w, one, s))));
	return g_dp4a_us(x.x, one, g_dp4a_us(x.y, one,
		g_dp4a_us(x.z, one, g_dp4a_us(x.w, one, s))));
}

__device__ __forceinline__ void g_pk_body(const struct g_mm &p, g_u8 *bsm,
					  struct g_pw_cols &cs,
					  g_u8 (*st)[G_PW_ROW])
{
	const g_u8 *a = (const g_u8 *)(p.a + g_item() * p.a_is);
	const g_u8 *b = (const g_u8 *)(p.b + g_item() * p.b_is);
	g_u8 *out = (g_u8 *)(p.e.out + g_item() * p.e.out_is);
	g_u32 lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	g_u32 g = lane / 4, t = lane % 4, n0 = blockIdx.y * G_PK_NB;
	g_u32 ncols = p.n - n0 < G_PK_NB ? p.n - n0 : G_PK_NB;
	g_u32 nt = ncols / 8, nch = (p.k + 63) / 64, pieces = 4 * nch;
	g_u32 stride = (p.k + 127) / 128 * 128 + 64;
	/* row tiles of an item, and of all (p.m / p.mi items folded) */
	g_u32 tpi = (p.mi + 15) / 16, tiles = tpi * (p.m / p.mi);
	g_u32 step = gridDim.x * (G_THREADS / 32);
	g_u32 tile = blockIdx.x * (G_THREADS / 32) + warp, idx, j, c, h;
	/* the lane's stores: row lane / 2, bytes 16 * (lane % 2).. */
	g_u32 sb = 16 * (lane % 2);
	bool v16 = !((p.e.out + g_item() * p.e.out_is) % 16) &&
		   !(p.e.out_is % 16) && !(p.ldo % 16) && sb + 16 <= ncols;
	g_u32 cadd[G_PW_NT][2];
	float mult[G_PW_NT][2], rb;
	g_s32 lo2, hi2, odd = p.e.zp & 1;
	bool fast = true, as = p.a_signed;
	const g_u8 *bq = bsm + g * stride + 16 * t, *l0, *l1;
	/* A chunks: this one (x), the next two in flight (y, z) */
	uint4 x0, x1, y0, y1, z0, z1;
	g_u32 lt, lc;

	/* the block's columns, zero past N and K */
	for (idx = threadIdx.x; idx < G_PK_NB * pieces; idx += G_THREADS) {
		g_u32 col = idx / pieces, pc = idx % pieces;
		uint4 v = { 0, 0, 0, 0 };

		if (col < ncols && 16 * pc < p.k)
			v = __ldg((const uint4 *)(b + (g_u64)(n0 + col) *
						  p.b_ns + 16 * pc));
		*(uint4 *)(bsm + col * stride + 16 * pc) = v;
	}
	__syncthreads();
	/* their sums (the za term): 8 lanes a column */
	{
		g_u32 col = threadIdx.x / 8, w;
		g_s32 s = 0;

		for (w = threadIdx.x % 8; w < 16 * nch; w += 8)
			s = g_dp4a_ss(0x01010101u,
				      *(const g_u32 *)(bsm + col * stride +
						       4 * w), s);
		s += __shfl_xor_sync(0xffffffffu, s, 1);
		s += __shfl_xor_sync(0xffffffffu, s, 2);
		s += __shfl_xor_sync(0xffffffffu, s, 4);
		if (threadIdx.x % 8 == 0)
			cs.csum[col] = s;
	}
	g_pw_cols(p, n0, -1, cs);
	__syncthreads();
	if (tile >= tiles)
		return;
	/*
	 * The load cursor (tile lt, chunk lc, rows l0, l1) runs two chunks
	 * ahead of the sums, over the warp's tiles in turn.
	 */
	lt = tile;
	lc = 0;
	g_pw_rows(p, a, lt, tpi, g, 16 * t, l0, l1);
	g_pk_load(l0, l1, lc, t, p.k, x0, x1);
	for (j = 0; j < 2; j++) {
		if (++lc == nch) {
			lc = 0;
			lt += step;
			g_pw_rows(p, a, lt < tiles ? lt : tile, tpi, g, 16 * t,
				  l0, l1);
		}
		if (j)
			g_pk_load(l0, l1, lc, t, lt < tiles ? p.k : 0, z0, z1);
		else
			g_pk_load(l0, l1, lc, t, lt < tiles ? p.k : 0, y0, y1);
	}
	/* the lane's columns n0 + 8j + 2t + c: parameters and constants */
#pragma unroll
	for (j = 0; j < 4; j++)
#pragma unroll
		for (c = 0; c < 2; c++) {
			g_u32 col = 8 * j + 2 * t + c;

			fast = fast && cs.fast[col];
			mult[j][c] = __int_as_float(cs.mult[col]);
			cadd[j][c] = (g_u32)cs.bias[col] + (g_u32)G_F32_MAGIC -
				     (g_u32)p.za * (g_u32)cs.csum[col] +
				     p.k * (g_u32)p.za * (g_u32)p.zb;
		}
	fast = __all_sync(0xffffffffu, fast);
	rb = __fadd_rn(12582912.0f, __int2float_rn(p.e.zp - odd));
	lo2 = G_F32_MAGIC + p.e.lo - odd;
	hi2 = G_F32_MAGIC + p.e.hi - odd;
	for (; tile < tiles; tile += step) {
		/* the tile's item and first row in it */
		g_u32 m0 = tile % tpi * 16;
		g_u8 *o = out + (g_u64)(tile / tpi) * p.e.out_is;
		g_s32 acc[G_PW_NT][4], ra[2] = { 0, 0 };
		g_u32 radd[2] = { 0, 0 };
		bool in = true;

#pragma unroll
		for (j = 0; j < 4; j++)
			acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0;
		for (c = 0; c < nch; c++) {
			if (as)
				g_pk_chunk<true>(acc, x0, x1, bq + 64 * c,
						 stride, nt);
			else
				g_pk_chunk<false>(acc, x0, x1, bq + 64 * c,
						  stride, nt);
			if (p.zb) {
				ra[0] = g_pk_rsum(x0, as, ra[0]);
				ra[1] = g_pk_rsum(x1, as, ra[1]);
			}
			/* x done: the chunk three on takes its place */
			if (++lc == nch) {
				lc = 0;
				lt += step;
				if (lt < tiles)
					g_pw_rows(p, a, lt, tpi, g, 16 * t,
						  l0, l1);
			}
			g_pk_load(l0, l1, lc, t, lt < tiles ? p.k : 0, x0, x1);
			g_pk_rot(x0, y0, z0);
			g_pk_rot(x1, y1, z1);
		}
		if (p.zb)
#pragma unroll
			for (h = 0; h < 2; h++) {
				ra[h] += __shfl_xor_sync(0xffffffffu, ra[h], 1);
				ra[h] += __shfl_xor_sync(0xffffffffu, ra[h], 2);
				radd[h] = 0u - (g_u32)p.zb * (g_u32)ra[h];
			}
		if (fast) {
#pragma unroll
			for (j = 0; j < 4; j++) {
				if (j >= nt)
					break;
#pragma unroll
				for (h = 0; h < 2; h++) {
					g_s32 s0 = (g_s32)((g_u32)acc[j][2 * h] +
							   cadd[j][0] + radd[h]);
					g_s32 s1 = (g_s32)((g_u32)acc[j][2 * h +
									 1] +
							   cadd[j][1] + radd[h]);
					g_u32 b0 = g_pw_byte(s0, mult[j][0], rb,
							     lo2, hi2, odd);
					g_u32 b1 = g_pw_byte(s1, mult[j][1], rb,
							     lo2, hi2, odd);

					in = in && (g_u32)s0 - (g_u32)(G_F32_MAGIC -
						(1 << 22)) < (1u << 23) &&
					     (g_u32)s1 - (g_u32)(G_F32_MAGIC -
						(1 << 22)) < (1u << 23);
					*(unsigned short *)&st[g + 8 * h]
							      [8 * j + 2 * t] =
						(unsigned short)__byte_perm(b0,
							b1, 0x0040);
				}
			}
			in = __all_sync(0xffffffffu, in);
		}
		if (fast && in) {
			g_u32 m = m0 + lane / 2;

			__syncwarp();
			if (m < p.mi && sb < ncols) {
				g_u8 *dst = o + (g_u64)m * p.ldo + n0 + sb;
				uint4 v = *(const uint4 *)&st[lane / 2][sb];

				if (v16) {
					*(uint4 *)dst = v;
				} else {
					const uint2 lo = { v.x, v.y };
					const uint2 hi = { v.z, v.w };

					*(uint2 *)dst = lo;
					if (sb + 8 < ncols)
						*(uint2 *)(dst + 8) = hi;
				}
			}
			__syncwarp();
			continue;
		}
		g_pw_slow(p, acc, cadd, radd, o, n0, m0, p.mi, g, t);
	}
}
#endif

/* 3 blocks a multiprocessor, as k_pw */
extern "C" __global__ void __launch_bounds__(G_THREADS, 3)
k_pwk(const struct g_mm p)
{
#if G_TC
	__shared__ __align__(16) g_u8 bsm[G_PK_NB * G_PK_STRIDE];
	__shared__ struct g_pw_cols cols;
	__shared__ __align__(16) g_u8 stage[G_THREADS / 32][16][G_PW_ROW];

	g_pk_body(p, bsm, cols, stage[threadIdx.x / 32]);
#endif	/* never launched before sm_80 (gpu_pwk_ok()) */
}

/* ---- grouped and depthwise CONV2D -------------------------------------- */

/*
 * Can a grid-stride loop over @total elements count in 32 bits (without
 * wrapping past the end)? Its index arithmetic is then several times
 * cheaper than in 64 bits.
 */
__device__ __forceinline__ bool g_idx32(g_u64 total)
{
	return total + (g_u64)gridDim.x * blockDim.x <= 0xffffffffULL;
}

/* One output element per thread and loop step; I: the index type. */
template <typename I>
__device__ __forceinline__ void g_conv_body(const struct g_conv &p,
					    const g_u8 *in,
					    const signed char *wt)
{
	I idx;

	for (idx = (I)blockIdx.x * blockDim.x + threadIdx.x; idx < (I)p.total;
	     idx += (I)gridDim.x * blockDim.x) {
		g_u32 oc = (g_u32)(idx % p.out_c);
		I pix = idx / p.out_c;
		g_u32 ox = (g_u32)(pix % p.out_w);
		I t = pix / p.out_w;
		g_u32 oy = (g_u32)(t % p.out_h);
		g_u32 nb = (g_u32)(t / p.out_h);
		g_u32 g = oc / p.cpo, ky, kx, ci;
		g_s32 iy0 = (g_s32)(oy * p.stride_h) - (g_s32)p.pad_top;
		g_s32 ix0 = (g_s32)(ox * p.stride_w) - (g_s32)p.pad_left;
		const signed char *w = wt + (g_u64)oc * p.k_h * p.k_w * p.cig;
		g_s32 acc = 0;

		for (ky = 0; ky < p.k_h; ky++) {
			g_s32 iy = iy0 + (g_s32)(ky * p.dil_h);

			if (iy < 0 || iy >= (g_s32)p.in_h)
				continue;
			for (kx = 0; kx < p.k_w; kx++) {
				g_s32 ix = ix0 + (g_s32)(kx * p.dil_w);
				const g_u8 *x;
				const signed char *wk;

				if (ix < 0 || ix >= (g_s32)p.in_w)
					continue;
				x = in + (((g_u64)nb * p.in_h + iy) * p.in_w +
					  ix) * p.in_c + (g_u64)g * p.cig;
				wk = w + ((g_u64)ky * p.k_w + kx) * p.cig;
				for (ci = 0; ci < p.cig; ci++)
					acc += (g_ld_elem(x + ci, p.in_signed) -
						p.zx) * (wk[ci] - p.zw);
			}
		}
		g_epilogue(&p.e, acc, oc, (g_u64)idx, g_item());
	}
}

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_conv(const struct g_conv p)
{
	const g_u8 *in = (const g_u8 *)(p.in + g_item() * p.in_is);
	const signed char *wt = (const signed char *)(p.w + g_item() * p.w_is);

	if (g_idx32(p.total))
		g_conv_body<g_u32>(p, in, wt);
	else
		g_conv_body<g_u64>(p, in, wt);
}

/*
 * Depthwise CONV2D (groups = in_c = out_c, a multiple of 4), KH x KW
 * taps: a thread computes 4 neighbouring channels (one aligned 32-bit
 * load per input column) at PX neighbouring output columns, so the
 * channels' epilogue parameters are read once for PX * 4 outputs. Per
 * kernel row the input words of 4 channels are transposed (__byte_perm)
 * to words of 4 taps of one channel, multiplied by dp4a with the
 * weights', which the block first copies to shared memory as such: word
 * (ky * KWW + g) * C + c holds taps 4g..4g+3 of row ky of channel c (0
 * past KW), so a thread reads its 4 channels in one 16-byte load. A tap
 * in the padding reads zx (adds nothing), a row wholly in it is skipped,
 * and per row the raw sums are combined as
 *   sum (x - zx)(w - zw) = sum xw - zw sum x - zx sum w + KW zx zw
 * modulo 2^32 (exact: the true value fits in int32). The host checks
 * that every offset fits 32 bits and the weights G_DW_WORDS.
 */
#define G_DW_WORDS	8192

/* Input word of column @ix of row @r: 4 channels, or zx in the padding. */
__device__ __forceinline__ g_u32 g_dw_ld(const struct g_conv &p,
					 const g_u8 *r, g_s32 ix, g_u32 zx4)
{
	if (ix < 0 || ix >= (g_s32)p.in_w)
		return zx4;
	return *(const g_u32 *)(r + (g_u32)ix * p.in_c);
}

/* x0..x3 (4 channels each) to c[j] = byte j of x0, x1, x2, x3. */
__device__ __forceinline__ void g_tr4(g_u32 x0, g_u32 x1, g_u32 x2, g_u32 x3,
				      g_u32 (&c)[4])
{
	g_u32 t0 = __byte_perm(x0, x1, 0x5140);
	g_u32 t1 = __byte_perm(x2, x3, 0x5140);
	g_u32 t2 = __byte_perm(x0, x1, 0x7362);
	g_u32 t3 = __byte_perm(x2, x3, 0x7362);

	c[0] = __byte_perm(t0, t1, 0x5410);
	c[1] = __byte_perm(t0, t1, 0x7632);
	c[2] = __byte_perm(t2, t3, 0x5410);
	c[3] = __byte_perm(t2, t3, 0x7632);
}

/* c + the dot product of x's 4 bytes (signed: XS) and w's (signed) */
template <bool XS>
__device__ __forceinline__ g_s32 g_dw_dot(g_u32 x, g_u32 w, g_s32 c)
{
	return XS ? g_dp4a_ss(x, w, c) : g_dp4a_us(x, w, c);
}

/*
 * The terms of channels c0..c0 + 3 other than the sums of x w and of x
 * (zw's): cadd[j] = bias + G_F32_MAGIC - zx * sumw[j] + taps * zx * zw
 * (mod 2^32), where @sumw holds the sums of the weights on the rows not
 * in the padding and @taps those rows times KW; and whether every sum of
 * these channels may take the binary32 fast path. No range test per
 * output: |sum xw| <= taps * 255 * 128 and |zw sum x| <= taps * 255 * |zw|,
 * so a channel whose other terms are within the rest of 2^22 has every
 * sum + bias in the fast path's range.
 */
__device__ __forceinline__ bool g_dw_cadd(const struct g_conv &p,
					  const struct g_col (&cc)[4],
					  const g_s32 (&sumw)[4], g_u32 taps,
					  g_u32 (&cadd)[4])
{
	bool fast = true;
	g_s32 lim = (1 << 22) - 1 -
		    (g_s32)(taps * 255u * (128u + (g_u32)abs(p.zw)));
	int j;

#pragma unroll
	for (j = 0; j < 4; j++) {
		g_s32 d;

		fast = fast && g_col_fast(&p.e, cc[j], taps);
		cadd[j] = (g_u32)cc[j].bias + (g_u32)G_F32_MAGIC -
			  (g_u32)p.zx * (g_u32)sumw[j] +
			  taps * (g_u32)p.zx * (g_u32)p.zw;
		/* exact: |bias| < 2^30 */
		d = (g_s32)(cadd[j] - (g_u32)G_F32_MAGIC);
		fast = fast && d <= lim && d >= -lim;
	}
	return fast;
}

/*
 * The outputs of g_dw_body(): @PX pixels (@npx of them in the image) from
 * output pixel @pix0 on, channels c0..c0 + 3, sum + bias + G_F32_MAGIC =
 * acc + cadd - zw * sx; 8-bit ones with each pixel's 4 bytes in one store
 * where @out4 and all 4 channels are valid.
 */
template <int M, int PX, bool ZW>
__device__ __forceinline__ void
g_dw_put(const struct g_conv &p, const g_s32 (&acc)[PX][4],
	 const g_s32 (&sx)[PX][4], const g_u32 (&cadd)[4], bool fast,
	 const struct g_col (&cc)[4], const bool (&ok)[4], bool out4,
	 g_u8 *out, g_u32 pix0, g_u32 c0, g_u32 npx)
{
	bool all = out4 && ok[0] && ok[1] && ok[2] && ok[3];
	g_u32 px, j;

#pragma unroll
	for (px = 0; px < PX; px++) {
		g_u8 *o = out + ((pix0 + px) * p.out_c + c0);
		g_u32 sp[4], w = 0;

		if (px >= npx)
			break;
#pragma unroll
		for (j = 0; j < 4; j++) {
			sp[j] = (g_u32)acc[px][j] + cadd[j];
			if (ZW)
				sp[j] -= (g_u32)p.zw * (g_u32)sx[px][j];
		}
		if (M == G_EPI_S32) {
#pragma unroll
			for (j = 0; j < 4; j++)
				if (ok[j])
					g_epi_put<M>(&p.e, cc[j],
						(g_s32)(sp[j] -
							(g_u32)cc[j].bias -
							(g_u32)G_F32_MAGIC),
						out, (pix0 + px) * p.out_c +
						c0 + j);
			continue;
		}
		if (fast)
#pragma unroll
			for (j = 0; j < 4; j++)
				w |= g_epi_fast_in(&p.e, cc[j], (g_s32)sp[j]) <<
				     (8 * j);
		else
#pragma unroll
			for (j = 0; j < 4; j++)
				w |= g_epi_byte<M>(&p.e, cc[j], (g_s32)sp[j]) <<
				     (8 * j);
		if (all) {
			*(g_u32 *)o = w;
			continue;
		}
#pragma unroll
		for (j = 0; j < 4; j++)
			if (ok[j])
				o[j] = (g_u8)(w >> (8 * j));
	}
}

/* Channels c0..c0 + 3's epilogue parameters (@ok: in range). */
__device__ __forceinline__ void g_dw_cols(const struct g_conv &p, bool colal,
					  g_u32 c0, struct g_col (&cc)[4],
					  bool (&ok)[4])
{
	int j;

	if (colal)
#pragma unroll
		for (j = 0; j < 4; j++)
			ok[j] = g_col_load<true>(&p.e, c0 + j, g_item(),
						 &cc[j]);
	else
#pragma unroll
		for (j = 0; j < 4; j++)
			ok[j] = g_col_load(&p.e, c0 + j, g_item(), &cc[j]);
}

/*
 * g_dw_put() in mode G_EPI_F32 where every sum takes the fast path: of
 * @cc only the scales are read.
 */
template <int PX, bool ZW>
__device__ __forceinline__ void
g_dw_put_fast(const struct g_conv &p, const g_s32 (&acc)[PX][4],
	      const g_s32 (&sx)[PX][4], const g_u32 (&cadd)[4],
	      const struct g_col (&cc)[4], const bool (&ok)[4], bool out4,
	      g_u8 *out, g_u32 pix0, g_u32 c0, g_u32 npx)
{
	bool all = out4 && ok[0] && ok[1] && ok[2] && ok[3];
	g_u32 px, j;

#pragma unroll
	for (px = 0; px < PX; px++) {
		g_u8 *o = out + ((pix0 + px) * p.out_c + c0);
		g_u32 w = 0;

		if (px >= npx)
			break;
#pragma unroll
		for (j = 0; j < 4; j++) {
			g_u32 sp = (g_u32)acc[px][j] + cadd[j];

			if (ZW)
				sp -= (g_u32)p.zw * (g_u32)sx[px][j];
			w |= g_epi_fast_in(&p.e, cc[j], (g_s32)sp) << (8 * j);
		}
		if (all) {
			*(g_u32 *)o = w;
			continue;
		}
#pragma unroll
		for (j = 0; j < 4; j++)
			if (ok[j])
				o[j] = (g_u8)(w >> (8 * j));
	}
}

/* Channels c0..c0 + 3's sums of the weights of kernel row @ky (@sw). */
template <int KH, int KW>
__device__ __forceinline__ void g_dw_wsum(const g_u32 *sw, g_u32 C,
					  g_u32 c0, g_u32 ky,
					  g_s32 (&sumw)[4])
{
	const int KWW = (KW + 3) / 4;
	int wi, j;

#pragma unroll
	for (wi = 0; wi < KWW; wi++) {
		uint4 w4 = *(const uint4 *)(sw + (ky * KWW + wi) * C + c0);
		g_u32 wv[4] = { w4.x, w4.y, w4.z, w4.w };

#pragma unroll
		for (j = 0; j < 4; j++)
			sumw[j] = g_dp4a_ss(0x01010101u, wv[j], sumw[j]);
	}
}

/*
 * The threads of a launch as cl channel lanes (of 4 channels: consecutive
 * threads read consecutive words) times pl pixel lanes: a thread keeps its
 * channels over the pixel groups it takes, so their epilogue parameters
 * and weight sums are read once, and it steps through the pixel groups by
 * additions (no division a group).
 */
template <int M, int KH, int KW, int PX, bool XS, bool S1, bool ZW>
__device__ __forceinline__ void g_dw_body(const struct g_conv &p, g_u32 *sw)
{
	const int KWW = (KW + 3) / 4;	/* tap words per kernel row */
	const g_u8 *in = (const g_u8 *)(p.in + g_item() * p.in_is);
	const signed char *wt = (const signed char *)(p.w + g_item() * p.w_is);
	g_u8 *out = (g_u8 *)(p.e.out + g_item() * p.e.out_is);
	/* a pixel's 4 channels in one store (C is a multiple of 4) */
	bool out4 = !((g_u64)out % 4);
	bool colal = g_cols_aligned(&p.e, g_item());
	g_u32 C = p.out_c, c4n = C / 4, xg = (p.out_w + PX - 1) / PX;
	g_u32 nbat = (g_u32)(p.total / ((g_u64)p.out_c * p.out_w * p.out_h));
	g_u32 nthr = gridDim.x * blockDim.x;
	g_u32 gid = blockIdx.x * blockDim.x + threadIdx.x;
	g_u32 cl = min(nthr, c4n), pl = cl ? nthr / cl : 0;
	g_u32 zx4 = ((g_u32)p.zx & 0xff) * 0x01010101u;
	const g_u32 one = 0x01010101u;
	g_u32 idx, j, px, ky, kx, wi, q;
	g_u32 dx, doy, dnb, x00, oy00, nb00;

	/*
	 * A thread a channel: its KH * KW loads are independent, so they are
	 * in flight together (a word at a time, each with its division and
	 * up to 3 loads in turn, made mobilenet_v2's depthwise layers 5%
	 * slower)
	 */
	for (idx = threadIdx.x; idx < C; idx += blockDim.x) {
		const signed char *wc = wt + idx * (KH * KW);
		g_u32 t[KH * KW];

#pragma unroll
		for (j = 0; j < KH * KW; j++)
			t[j] = (g_u8)wc[j];
#pragma unroll
		for (ky = 0; ky < KH; ky++)
#pragma unroll
			for (wi = 0; wi < KWW; wi++) {
				g_u32 v = 0;

#pragma unroll
				for (kx = 4 * wi; kx < 4 * wi + 4; kx++)
					if (kx < KW)
						v |= t[ky * KW + kx] <<
						     (8 * (kx - 4 * wi));
				sw[(ky * KWW + wi) * C + idx] = v;
			}
	}
	__syncthreads();
	if (!c4n || gid >= cl * pl)
		return;
	/* the step of pl pixel groups and this thread's first group */
	dx = pl % xg;
	doy = pl / xg % p.out_h;
	dnb = pl / xg / p.out_h;
	idx = gid / cl;
	x00 = idx % xg;
	oy00 = idx / xg % p.out_h;
	nb00 = idx / xg / p.out_h;
	for (q = gid % cl; q < c4n; q += cl) {
		g_u32 c0 = 4 * q, xi = x00, oy = oy00, nb = nb00;
		g_u32 cfull[4];
		struct g_col cf[4];
		g_s32 sumw[4] = { 0, 0, 0, 0 };
		bool ok[4], ffull;

		/*
		 * kept: what the fast path of a group with every kernel row
		 * in the image needs; the rest is read again (registers)
		 */
		g_dw_cols(p, colal, c0, cf, ok);
#pragma unroll
		for (ky = 0; ky < KH; ky++)
			g_dw_wsum<KH, KW>(sw, C, c0, ky, sumw);
		ffull = g_dw_cadd(p, cf, sumw, KH * KW, cfull);
		for (; nb < nbat;) {
			g_u32 ox0 = PX * xi, row = nb * p.out_h + oy;
			g_s32 iy0 = (g_s32)(oy * p.stride_h) -
				    (g_s32)p.pad_top;
			g_s32 ix0 = (g_s32)(ox0 * p.stride_w) -
				    (g_s32)p.pad_left;
			g_s32 acc[PX][4], sx[PX][4];
			g_u32 nrow = 0;
			/* the whole window in the image: loads without tests */
			bool inner = ix0 >= 0 &&
				     ix0 + (g_s32)((PX - 1) * p.stride_w +
						   (KW - 1) * p.dil_w) <
				     (g_s32)p.in_w;

#pragma unroll
			for (j = 0; j < 4; j++)
#pragma unroll
				for (px = 0; px < PX; px++)
					acc[px][j] = sx[px][j] = 0;
#pragma unroll
			for (ky = 0; ky < KH; ky++) {
				g_s32 iy = iy0 + (g_s32)(ky * p.dil_h);
				g_u32 xv[PX][KWW * 4];
				const g_u8 *r;

				if (iy < 0 || iy >= (g_s32)p.in_h)
					continue;
				nrow++;
				r = in + ((nb * p.in_h + (g_u32)iy) * p.in_w) *
					 p.in_c + c0;
				if (S1) {
					g_u32 win[PX + KW - 1];

					if (inner) {
						const g_u8 *s = r + (g_u32)ix0 *
								p.in_c;

#pragma unroll
						for (kx = 0; kx < PX + KW - 1;
						     kx++)
							win[kx] = __ldg((const
								unsigned int *)
								(s + kx *
								 p.in_c));
					} else {
#pragma unroll
						for (kx = 0; kx < PX + KW - 1;
						     kx++)
							win[kx] = g_dw_ld(p, r,
								ix0 +
								(g_s32)kx,
								zx4);
					}
#pragma unroll
					for (px = 0; px < PX; px++)
#pragma unroll
						for (kx = 0; kx < KWW * 4; kx++)
							xv[px][kx] = kx < KW ?
								win[px + kx] :
								0;
				} else if (inner) {
					const g_u8 *s = r + (g_u32)ix0 * p.in_c;

#pragma unroll
					for (px = 0; px < PX; px++)
#pragma unroll
						for (kx = 0; kx < KWW * 4; kx++)
							xv[px][kx] = kx < KW ?
								__ldg((const
								unsigned int *)
								(s + (px *
								p.stride_w +
								kx * p.dil_w) *
								p.in_c)) : 0;
				} else {
#pragma unroll
					for (px = 0; px < PX; px++)
#pragma unroll
						for (kx = 0; kx < KWW * 4; kx++)
							xv[px][kx] = kx < KW ?
								g_dw_ld(p, r,
								ix0 + (g_s32)(
								px *
								p.stride_w +
								kx * p.dil_w),
								zx4) : 0;
				}
#pragma unroll
				for (wi = 0; wi < KWW; wi++) {
					uint4 w4 = *(const uint4 *)(sw +
						(ky * KWW + wi) * C + c0);
					g_u32 wv[4] = { w4.x, w4.y, w4.z,
							w4.w };

#pragma unroll
					for (px = 0; px < PX; px++) {
						g_u32 xc[4];

						g_tr4(xv[px][4 * wi],
						      xv[px][4 * wi + 1],
						      xv[px][4 * wi + 2],
						      xv[px][4 * wi + 3], xc);
#pragma unroll
						for (j = 0; j < 4; j++)
							acc[px][j] =
								g_dw_dot<XS>(
								xc[j], wv[j],
								acc[px][j]);
						if (ZW)
#pragma unroll
							for (j = 0; j < 4; j++)
								sx[px][j] =
								g_dw_dot<XS>(
								xc[j], one,
								sx[px][j]);
					}
				}
			}
			if (nrow == KH && ffull) {
				g_dw_put_fast<PX, ZW>(p, acc, sx, cfull, cf, ok,
						      out4, out,
						      row * p.out_w + ox0, c0,
						      p.out_w - ox0);
			} else {
				/* rows in the padding, or another mode */
				g_s32 sw2[4] = { 0, 0, 0, 0 };
				struct g_col cc[4];
				g_u32 cadd[4];
				bool fast;

				g_dw_cols(p, colal, c0, cc, ok);
				for (ky = 0; ky < KH; ky++) {
					g_s32 iy = iy0 +
						   (g_s32)(ky * p.dil_h);

					if (iy >= 0 && iy < (g_s32)p.in_h)
						g_dw_wsum<KH, KW>(sw, C, c0, ky,
								  sw2);
				}
				fast = g_dw_cadd(p, cc, sw2, nrow * KW, cadd);
				g_dw_put<M, PX, ZW>(p, acc, sx, cadd, fast, cc,
						    ok, out4, out,
						    row * p.out_w + ox0, c0,
						    p.out_w - ox0);
			}
			/* the next group: pl on */
			xi += dx;
			if (xi >= xg) {
				xi -= xg;
				oy++;
			}
			oy += doy;
			if (oy >= p.out_h) {
				oy -= p.out_h;
				nb++;
			}
			nb += dnb;
		}
	}
}

template <int KH, int KW, int PX, bool XS, bool S1, bool ZW>
__device__ __forceinline__ void g_dw_zw(const struct g_conv &p, g_u32 *sw)
{
	switch (g_epi_mode(&p.e)) {
	case G_EPI_S32:
		g_dw_body<G_EPI_S32, KH, KW, PX, XS, S1, ZW>(p, sw);
		break;
	case G_EPI_F32:
		g_dw_body<G_EPI_F32, KH, KW, PX, XS, S1, ZW>(p, sw);
		break;
	default:
		g_dw_body<G_EPI_FIX, KH, KW, PX, XS, S1, ZW>(p, sw);
	}
}

/* with zw != 0 half the columns a thread (the sums of x take registers) */
template <int KH, int KW, int PX, bool XS, bool S1>
__device__ __forceinline__ void g_dw_mode(const struct g_conv &p, g_u32 *sw)
{
	if (p.zw)
		g_dw_zw<KH, KW, (PX + 1) / 2, XS, S1, true>(p, sw);
	else
		g_dw_zw<KH, KW, PX, XS, S1, false>(p, sw);
}

template <int KH, int KW, int PX>
__device__ __forceinline__ void g_dw(const struct g_conv &p)
{
	/* one array for every variant */
	__shared__ __align__(16) g_u32 sw[G_DW_WORDS];
	bool s1 = p.stride_w == 1 && p.dil_w == 1;

	if (p.in_signed) {
		if (s1)
			g_dw_mode<KH, KW, PX, true, true>(p, sw);
		else
			g_dw_mode<KH, KW, PX, true, false>(p, sw);
	} else {
		if (s1)
			g_dw_mode<KH, KW, PX, false, true>(p, sw);
		else
			g_dw_mode<KH, KW, PX, false, false>(p, sw);
	}
}

/*
 * 4 blocks a multiprocessor (64 registers): latency hidden better; the
 * spills this costs are cheaper than a fourth of the threads (measured)
 */
extern "C" __global__ void __launch_bounds__(G_THREADS, 4)
k_dw3(const struct g_conv p)
{
	g_dw<3, 3, 4>(p);
}

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_dw5(const struct g_conv p)
{
	g_dw<5, 5, 2>(p);
}

/* ---- POOL2D ------------------------------------------------------------- */

template <typename I>
__device__ __forceinline__ void g_pool_body(const struct g_pool &p,
					    const g_u8 *in, g_u8 *out)
{
	I idx;

	for (idx = (I)blockIdx.x * blockDim.x + threadIdx.x; idx < (I)p.total;
	     idx += (I)gridDim.x * blockDim.x) {
		g_u32 c = (g_u32)(idx % p.c);
		I pix = idx / p.c;
		g_u32 ox = (g_u32)(pix % p.out_w);
		I t = pix / p.out_w;
		g_u32 oy = (g_u32)(t % p.out_h);
		g_u32 nb = (g_u32)(t / p.out_h);
		g_s32 iy0 = (g_s32)(oy * p.stride_h) - (g_s32)p.pad_top;
		g_s32 ix0 = (g_s32)(ox * p.stride_w) - (g_s32)p.pad_left;
		g_s32 acc = p.avg ? 0 : -256, q;
		g_u32 ky, kx, cnt = 0;

		for (ky = 0; ky < p.k_h; ky++) {
			g_s32 iy = iy0 + (g_s32)ky;

			if (iy < 0 || iy >= (g_s32)p.in_h)
				continue;
			for (kx = 0; kx < p.k_w; kx++) {
				g_s32 ix = ix0 + (g_s32)kx, v;

				if (ix < 0 || ix >= (g_s32)p.in_w)
					continue;
				v = g_ld_elem(in + (((g_u64)nb * p.in_h + iy) *
						    p.in_w + ix) * p.c + c,
					      p.in_signed);
				cnt++;
				if (p.avg)
					acc += v;
				else if (v > acc)
					acc = v;
			}
		}
		if (!p.avg) {
			out[idx] = (g_u8)g_clamp(acc, p.lo, p.hi);
			continue;
		}
		if (p.count_pad) {
			acc += (g_s32)(p.k_h * p.k_w - cnt) * p.zp;
			cnt = p.k_h * p.k_w;
		}
		/* half away from zero */
		if (acc >= 0)
			q = (g_s32)(((g_u32)acc + cnt / 2) / cnt);
		else
			q = -(g_s32)(((g_u32)-acc + cnt / 2) / cnt);
		out[idx] = (g_u8)g_clamp(q, p.lo, p.hi);
	}
}

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_pool(const struct g_pool p)
{
	const g_u8 *in = (const g_u8 *)(p.in + g_item() * p.in_is);
	g_u8 *out = (g_u8 *)(p.out + g_item() * p.out_is);

	if (g_idx32(p.total))
		g_pool_body<g_u32>(p, in, out);
	else
		g_pool_body<g_u64>(p, in, out);
}

/* ---- ELTWISE ------------------------------------------------------------ */

__device__ __forceinline__ g_s64 g_rescale(g_s32 x, g_s32 m, g_s32 s)
{
	return ((g_s64)x * m + ((g_s64)1 << (30 - s))) >> (31 - s);
}

/*
 * Section 6.1, one element from the input values @a, @b as loaded. ADD:
 * a.mult, b.mult, rq.mult are the bits of Sa, Sb, F (zero points 0);
 * MUL: rq.mult is S, the inputs' zero points subtracted exactly. Every
 * int-to-float conversion is of a value below 2^22 (8-bit inputs:
 * g_i2f_small()), the result rounded by g_rne_clamp8().
 */
__device__ __forceinline__ g_s32 g_elt_f32_8(const struct g_elt &p, g_s32 a,
					     g_s32 b)
{
	float sa = __int_as_float(p.a.mult), sb = __int_as_float(p.b.mult);
	float f = __int_as_float(p.mult), y;

	if (p.op == 2) {
		y = __fmul_rn(g_i2f_small((a - p.a.zp) * (b - p.b.zp)), f);
		y = __fadd_rn(y, g_i2f_small(p.zp));
		return g_rne_clamp8(y, 0, p.lo, p.hi);
	}
	if (p.flags & G_ELT_F32_SCALAR_B)
		y = __fmaf_rn(g_i2f_small(a), sa,
			      __fadd_rn(f, __fmul_rn(g_i2f_small(b), sb)));
	else if (p.flags & G_ELT_F32_SCALAR_A)
		y = __fmaf_rn(g_i2f_small(b), sb,
			      __fadd_rn(f, __fmul_rn(g_i2f_small(a), sa)));
	else
		y = __fmaf_rn(g_i2f_small(a), sa,
			      __fmaf_rn(g_i2f_small(b), sb, f));
	return g_rne_clamp8(y, p.zp, p.lo, p.hi);
}

/* Byte @j of word @w as an element (signed: @sgn). */
__device__ __forceinline__ g_s32 g_byte(g_u32 w, g_u32 j, g_u32 sgn)
{
	return sgn ? (g_s32)(signed char)(w >> (8 * j)) :
		     (g_s32)((w >> (8 * j)) & 0xff);
}

/*
 * The binary32 ELTWISE over whole words: rows of a multiple of 4
 * contiguous elements, every row 4-aligned in a, b and out; a thread
 * reads a word of each input and writes a word of 4 outputs.
 */
template <typename I>
__device__ __forceinline__ void g_elt_body4(const struct g_elt &p,
					    const g_u8 *a, const g_u8 *b,
					    g_u8 *out)
{
	g_u32 cw = p.cols / 4;
	I total = (I)p.rows * cw, idx;

	for (idx = (I)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
	     idx += (I)gridDim.x * blockDim.x) {
		g_u64 r = idx / cw, c = 4 * (g_u64)(idx % cw);
		g_u32 wa = *(const g_u32 *)(a + r * p.a.row_stride + c);
		g_u32 wb = *(const g_u32 *)(b + r * p.b.row_stride + c);
		g_u32 w = 0, j;

#pragma unroll
		for (j = 0; j < 4; j++)
			w |= ((g_u32)g_elt_f32_8(p, g_byte(wa, j, p.in_signed),
						 g_byte(wb, j, p.in_signed)) &
			      0xff) << (8 * j);
		*(g_u32 *)(out + r * p.out_row_stride + c) = w;
	}
}

template <typename I>
__device__ __forceinline__ void g_elt_body(const struct g_elt &p,
					   const g_u8 *a, const g_u8 *b,
					   g_u8 *out)
{
	I total = (I)p.rows * p.cols, idx;

	if ((p.flags & G_ELT_F32) && p.a.col_stride == 1 &&
	    p.b.col_stride == 1 && !(p.cols % 4) &&
	    !(((g_u64)a | (g_u64)b | (g_u64)out | p.a.row_stride |
	       p.b.row_stride | p.out_row_stride) % 4)) {
		g_elt_body4<I>(p, a, b, out);
		return;
	}
	for (idx = (I)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
	     idx += (I)gridDim.x * blockDim.x) {
		g_u64 r = idx / p.cols, c = idx % p.cols;
		g_s32 va = g_ld_elem(a + r * p.a.row_stride + c * p.a.col_stride,
				     p.in_signed);
		g_s32 vb = g_ld_elem(b + r * p.b.row_stride + c * p.b.col_stride,
				     p.in_signed);
		g_s32 xa = va - p.a.zp, xb = vb - p.b.zp;
		g_s64 v;

		if (p.flags & G_ELT_F32) {
			out[r * p.out_row_stride + c] =
				(g_u8)g_elt_f32_8(p, va, vb);
			continue;
		}
		if (p.op == 2) {
			v = xa * xb;
		} else {
			g_s64 ra = g_rescale(xa * (1 << 20), p.a.mult, p.a.shift);
			g_s64 rb = g_rescale(xb * (1 << 20), p.b.mult, p.b.shift);

			v = p.op == 0 ? ra + rb : ra - rb;
		}
		out[r * p.out_row_stride + c] =
			(g_u8)g_requant(v, p.mult, p.shift, p.zp, p.lo, p.hi);
	}
}

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_elt(const struct g_elt p)
{
	const g_u8 *a = (const g_u8 *)(p.a.p + g_item() * p.a.p_is);
	const g_u8 *b = (const g_u8 *)(p.b.p + g_item() * p.b.p_is);
	g_u8 *out = (g_u8 *)(p.out + g_item() * p.out_is);

	if (g_idx32((g_u64)p.rows * p.cols))
		g_elt_body<g_u32>(p, a, b, out);
	else
		g_elt_body<g_u64>(p, a, b, out);
}

/* ---- LUT, FILL, COPY ------------------------------------------------------ */

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_lut(const struct g_lut p)
{
	__shared__ g_u8 tab[256];
	const g_u8 *in = (const g_u8 *)(p.in + g_item() * p.in_is);
	g_u8 *out = (g_u8 *)(p.out + g_item() * p.out_is);
	g_u64 idx;

	tab[threadIdx.x] = ((const g_u8 *)(p.table + g_item() *
					   p.table_is))[threadIdx.x];
	__syncthreads();
	for (idx = (g_u64)blockIdx.x * blockDim.x + threadIdx.x; idx < p.count;
	     idx += (g_u64)gridDim.x * blockDim.x)
		out[idx] = tab[(g_u8)(in[idx] ^ p.flip)];
}

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_fill(const struct g_fill p)
{
	g_u8 *d = (g_u8 *)(p.dst + g_item() * p.dst_is);
	g_u64 idx;
	g_u32 j;

	for (idx = (g_u64)blockIdx.x * blockDim.x + threadIdx.x; idx < p.count;
	     idx += (g_u64)gridDim.x * blockDim.x)
		for (j = 0; j < p.elem_size; j++)
			d[idx * p.elem_size + j] = (g_u8)(p.value >> (8 * j));
}

/* Element @e's (in dims order) indices @i and byte offsets @so, @dof. */
template <typename I>
__device__ __forceinline__ void g_copy_at(const struct g_copy &p, I e,
					  g_u32 (&i)[4], g_u64 &so, g_u64 &dof)
{
	int d;

	so = dof = 0;
	for (d = 3; d >= 0; d--) {
		i[d] = (g_u32)(e % (I)p.dims[d]);
		e /= (I)p.dims[d];
		so += (g_u64)i[d] * p.src_stride[d];
		dof += (g_u64)i[d] * p.dst_stride[d];
	}
}

/*
 * I: the index type (32 bits where the element count allows: cheaper).
 * A thread copies G_COPY_RUN consecutive elements (in dims order) per
 * loop step: their offsets found by division for the first only, then
 * stepped as an odometer.
 */
template <typename I>
__device__ __forceinline__ void g_copy_body(const struct g_copy &p,
					    const g_u8 *src, g_u8 *dst)
{
	I base;

	for (base = ((I)blockIdx.x * blockDim.x + threadIdx.x) * G_COPY_RUN;
	     base < (I)p.total;
	     base += (I)gridDim.x * blockDim.x * G_COPY_RUN) {
		g_u64 so, dof;
		g_u32 i[4], e, j;
		int d;

		g_copy_at<I>(p, base, i, so, dof);
		for (e = 0; e < G_COPY_RUN && base + e < (I)p.total; e++) {
			if (p.elem_size == 1)
				dst[dof] = src[so];
			else
				for (j = 0; j < p.elem_size; j++)
					dst[dof + j] = src[so + j];
			/* the next element: carry through the dims */
			for (d = 3; d >= 0; d--) {
				so += p.src_stride[d];
				dof += p.dst_stride[d];
				if (++i[d] < p.dims[d])
					break;
				so -= (g_u64)p.dims[d] * p.src_stride[d];
				dof -= (g_u64)p.dims[d] * p.dst_stride[d];
				i[d] = 0;
			}
		}
	}
}

/*
 * g_copy_body() for bytes whose destination is dense in dims order
 * (p.dense8): element e is destination byte e, so a thread gathers its
 * G_COPY_RUN source bytes by the odometer and stores them as one word
 * (a warp's stores then cover whole lines, not a byte every few).
 */
template <typename I>
__device__ __forceinline__ void g_copy_dense8(const struct g_copy &p,
					      const g_u8 *src, g_u8 *dst)
{
	I base;

	for (base = ((I)blockIdx.x * blockDim.x + threadIdx.x) * G_COPY_RUN;
	     base < (I)p.total;
	     base += (I)gridDim.x * blockDim.x * G_COPY_RUN) {
		g_u64 so, dof, v = 0;
		g_u32 i[4], e;
		int d;

		g_copy_at<I>(p, base, i, so, dof);	/* dof is base here */
#pragma unroll
		for (e = 0; e < G_COPY_RUN; e++) {
			if (base + e < (I)p.total)
				v |= (g_u64)src[so] << (8 * e);
			for (d = 3; d >= 0; d--) {
				so += p.src_stride[d];
				if (++i[d] < p.dims[d])
					break;
				so -= (g_u64)p.dims[d] * p.src_stride[d];
				i[d] = 0;
			}
		}
		if (base + G_COPY_RUN <= (I)p.total)
			*(g_u64 *)(dst + base) = v;
		else
			for (e = 0; base + e < (I)p.total; e++)
				dst[base + e] = (g_u8)(v >> (8 * e));
	}
}

extern "C" __global__ void __launch_bounds__(G_THREADS)
k_copy(const struct g_copy p)
{
	const g_u8 *src = (const g_u8 *)(p.src + g_item() * p.src_is);
	g_u8 *dst = (g_u8 *)(p.dst + g_item() * p.dst_is);
	/* the loop's index passes the end by up to G_COPY_RUN strides */
	bool i32 = g_idx32(p.total + (g_u64)gridDim.x * blockDim.x *
			   (G_COPY_RUN - 1));

	if (p.dense8) {
		if (i32)
			g_copy_dense8<g_u32>(p, src, dst);
		else
			g_copy_dense8<g_u64>(p, src, dst);
	} else {
		if (i32)
			g_copy_body<g_u32>(p, src, dst);
		else
			g_copy_body<g_u64>(p, src, dst);
	}
}

/*
 * The QUANTIZE CPU step with one scale, as cpu_ops.c's quant_tensor():
 * v / s rounded (IEEE division), clamped to [lo - zp, hi - zp] (NaN to
 * the low end: the comparison is false), rounded half to even by the
 * 1.5 * 2^23 bias, plus zp: the same bytes.
 */
extern "C" __global__ void __launch_bounds__(G_THREADS)
k_quant(const struct g_quant p)
{
	const float *in = (const float *)(p.in + g_item() * p.in_is);
	g_u8 *out = (g_u8 *)(p.out + g_item() * p.out_is);
	const float magic = 12582912.0f, s = __int_as_float(p.scale);
	float tlo = (float)(p.lo - p.zp), thi = (float)(p.hi - p.zp);
	g_u64 idx;

	for (idx = (g_u64)blockIdx.x * blockDim.x + threadIdx.x; idx < p.count;
	     idx += (g_u64)gridDim.x * blockDim.x) {
		float t = __fdiv_rn(in[idx], s);

		t = t > tlo ? t : tlo;
		t = t < thi ? t : thi;
		out[idx] = (g_u8)((g_s32)__fsub_rn(__fadd_rn(t, magic), magic) +
				  p.zp);
	}
}
