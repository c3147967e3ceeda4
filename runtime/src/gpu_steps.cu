// SPDX-License-Identifier: MIT
/*
 * gpu_steps.cu - the float CPU steps a quantized model runs between its
 * commands (onnxruntime's QDQ format leaves them in float), in CUDA C:
 * the QUANTIZE and DEQUANTIZE forms k_quant and k_dequant leave (per
 * axis; QUANTIZE's p[3]), the element-wise steps, the binary32 CONV in
 * onnxruntime's SGEMM order, a transformer's LAYER_NORM and
 * QLINEAR_SOFTMAX, SOFTMAX, LOG_SOFTMAX, REDUCE, RESIZE, and POOL, the
 * naive CONV and the float GEMM (binary64 sums): every step. NVRTC
 * compiles them after gpu_params.h and gpu_kernels.cu. Each output is
 * the CPU step's (cpu_ops.c, cpu_sgemm.c) bit for bit: the same
 * operations in the same order, each rounded once by an explicitly
 * rounded intrinsic; but where the step calls a binary64 math function
 * (exp, log, tanh, erf, erfc, pow), whose last bits are the math
 * library's: CUDA's rounds to other binary32 bytes than glibc's only
 * where its value lies within a unit or two of binary64 of a rounding
 * boundary (runtime/PROGRAM_FORMAT.md). Written so that a C compiler with
 * G_KERNEL, G_DEV, the intrinsics and the thread indexes defined
 * otherwise runs them too (tests/unit/test_gpu_steps.c checks them on the
 * host against the CPU steps).
 */

#ifndef G_KERNEL
#define G_KERNEL	extern "C" __global__ void __launch_bounds__(G_THREADS)
#define G_DEV		__device__ __forceinline__
#define G_UNROLL	_Pragma("unroll")
#endif

/* A grid-stride loop's first index and step. */
G_DEV g_u64 g_first(void)
{
	return (g_u64)blockIdx.x * blockDim.x + threadIdx.x;
}

G_DEV g_u64 g_step(void)
{
	return (g_u64)gridDim.x * blockDim.x;
}

/* (float)(x - zp) * s: the int64 difference rounded to binary32, times s */
G_KERNEL k_dequant(const struct g_dequant p)
{
	const g_u8 *in = (const g_u8 *)(p.in + blockIdx.z * p.in_is);
	float *out = (float *)(p.out + blockIdx.z * p.out_is);
	const float s = __int_as_float((int)p.scale);
	g_u64 i;
	g_s64 v;

	for (i = g_first(); i < p.count; i += g_step()) {
		if (p.dtype == G_DT_INT8)
			v = (signed char)in[i];
		else if (p.dtype == G_DT_UINT8)
			v = in[i];
		else
			v = ((const g_s32 *)in)[i];
		out[i] = __fmul_rn(__ll2float_rn(v - p.zp), s);
	}
}

/*
 * A math function's binary64 value rounded once, as the step's fl32_of():
 * CUDA's exp, tanh, erf, pow are within 1-2 units of binary64 of glibc's,
 * so the binary32 bytes differ only where that straddles a rounding
 * boundary.
 */
G_DEV float g_libm1(double v)
{
	return __double2float_rn(v);
}

G_DEV float g_binary_one(g_u32 op, float u, float v)
{
	switch (op) {
	case G_BIN_ADD: return __fadd_rn(u, v);
	case G_BIN_SUB: return __fsub_rn(u, v);
	case G_BIN_MUL: return __fmul_rn(u, v);
	case G_BIN_DIV: return __fdiv_rn(u, v);
	case G_BIN_MAX: return u > v ? u : v;
	case G_BIN_POW: return g_libm1(pow((double)u, (double)v));
	default: return u < v ? u : v;
	}
}

/* Output i of a broadcast binary step: its index in each input by strides */
G_KERNEL k_binary(const struct g_binary p)
{
	const float *a = (const float *)(p.a + blockIdx.z * p.a_is);
	const float *b = (const float *)(p.b + blockIdx.z * p.b_is);
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	g_u64 i, r, d, ia, ib;
	int k;

	for (i = g_first(); i < p.count; i += g_step()) {
		r = i;
		ia = 0;
		ib = 0;
		for (k = (int)p.rank - 1; k >= 0; k--) {
			d = r % p.dims[k];
			r /= p.dims[k];
			ia += d * p.sa[k];
			ib += d * p.sb[k];
		}
		y[i] = g_binary_one(p.op, a[ia], b[ib]);
	}
}

/*
 * The SGEMM-order CONV, @toc output channels of one group by @tpx
 * consecutive output pixels per thread (pixels innermost, so a warp's
 * threads read the same weights and neighbouring inputs; @toc and @tpx
 * are constants of the kernel, at most G_SC_OC and G_SC_PX); every
 * output still its own chain: for each K slice of (c, ky, kx) fused
 * multiply-adds from zero over it in order (a padded tap multiplies 0, as
 * the CPU's im2col row holds), the slices' sums added in order, then the
 * bias. Channels past the group's last and pixels past the last compute
 * on clamped or zero operands and are not stored.
 */
G_DEV void g_sconv_run(const struct g_sconv p, const int toc, const int tpx)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	const float *wt = (const float *)p.w;
	const float *bias = (const float *)p.bias;
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	const g_s64 cg = p.c / p.groups, og = p.oc / p.groups;
	const g_s64 kk = cg * p.kh * p.kw, np = p.oh * p.ow;
	const g_s64 ocb = (og + toc - 1) / toc;
	const g_s64 pxb = (np + tpx - 1) / tpx;
	const bool direct = p.kh == 1 && p.kw == 1 && p.sh == 1 &&
			    p.sw == 1 && !p.pt && !p.pl && p.oh == p.h &&
			    p.ow == p.wd;
	g_u64 t, total = (g_u64)(p.n * p.groups * ocb * pxb);

	for (t = g_first(); t < total; t += g_step()) {
		g_s64 pix0 = (g_s64)(t % (g_u64)pxb) * tpx;
		g_s64 r = (g_s64)(t / (g_u64)pxb);
		g_s64 oc0 = r % ocb * toc, gn = r / ocb;
		g_s64 g = gn % p.groups, nb = gn / p.groups;
		const float *xg = x + (nb * p.c + g * cg) * p.h * p.wd;
		const float *wr[G_SC_OC];
		float tot[G_SC_OC][G_SC_PX], part[G_SC_OC][G_SC_PX];
		g_s64 py[G_SC_PX], px[G_SC_PX], k0, k, ci, ky, kx;
		int i, j;

		G_UNROLL for (i = 0; i < toc; i++) {
			g_s64 o = oc0 + i < og ? oc0 + i : og - 1;

			wr[i] = wt + (g * og + o) * kk;
		}
		G_UNROLL for (j = 0; j < tpx; j++) {
			py[j] = (pix0 + j) / p.ow * p.sh - p.pt;
			px[j] = (pix0 + j) % p.ow * p.sw - p.pl;
		}
		G_UNROLL for (i = 0; i < toc; i++)
			G_UNROLL for (j = 0; j < tpx; j++)
				tot[i][j] = 0.0f;
		ci = 0;
		ky = 0;
		kx = 0;
		for (k0 = 0; k0 < kk; k0 += p.kstride) {
			g_s64 k1 = k0 + p.kstride < kk ? k0 + p.kstride : kk;

			G_UNROLL for (i = 0; i < toc; i++)
				G_UNROLL for (j = 0; j < tpx; j++)
					part[i][j] = 0.0f;
			for (k = k0; k < k1; k++) {
				const float *xc = xg + ci * p.h * p.wd;
				float v[G_SC_PX], w[G_SC_OC];

				G_UNROLL for (j = 0; j < tpx; j++) {
					g_s64 iy = py[j] + ky * p.dh;
					g_s64 ix = px[j] + kx * p.dw;

					v[j] = 0.0f;
					if (pix0 + j >= np)
						continue;
					if (direct)
						v[j] = xc[pix0 + j];
					else if (iy >= 0 && iy < p.h &&
						 ix >= 0 && ix < p.wd)
						v[j] = xc[iy * p.wd + ix];
				}
				G_UNROLL for (i = 0; i < toc; i++)
					w[i] = wr[i][k];
				G_UNROLL for (i = 0; i < toc; i++)
					G_UNROLL for (j = 0; j < tpx; j++)
						part[i][j] = __fmaf_rn(w[i], v[j],
								      part[i][j]);
				if (++kx == p.kw) {
					kx = 0;
					if (++ky == p.kh) {
						ky = 0;
						ci++;
					}
				}
			}
			G_UNROLL for (i = 0; i < toc; i++)
				G_UNROLL for (j = 0; j < tpx; j++)
					tot[i][j] = k0 ? __fadd_rn(tot[i][j],
								   part[i][j]) :
							 part[i][j];
		}
		G_UNROLL for (i = 0; i < toc && oc0 + i < og; i++) {
			g_s64 oc = g * og + oc0 + i;
			float *yo = y + (nb * p.oc + oc) * np;

			G_UNROLL for (j = 0; j < tpx && pix0 + j < np; j++)
				yo[pix0 + j] = bias ? __fadd_rn(tot[i][j],
								bias[oc]) :
						      tot[i][j];
		}
	}
}

/* 8 x 4 outputs per thread, for outputs enough to fill the GPU so */
G_KERNEL k_sconv(const struct g_sconv p)
{
	g_sconv_run(p, G_SC_OC, G_SC_PX);
}

/* one output per thread: small CONVs (a batch of one) */
G_KERNEL k_sconv1(const struct g_sconv p)
{
	g_sconv_run(p, 1, 1);
}

/*
 * The unary steps by a math function, as unary_run() computes them; GELU
 * in binary64 in the step's order (-2 sqrt(2 / pi) and 0.5 x are exact,
 * as the host's constant folding makes them).
 */
G_DEV float g_unary_libm(g_u32 op, float v, g_u32 gelu_tanh)
{
	double d = (double)v, u;

	switch (op) {
	case G_UN_SIGMOID:
		return __fdiv_rn(1.0f, __fadd_rn(1.0f, g_libm1(exp(-d))));
	case G_UN_TANH:
		return g_libm1(tanh(d));
	case G_UN_EXP:
		return g_libm1(exp(d));
	case G_UN_ERF:
		return g_libm1(erf(d));
	default:	/* G_UN_GELU */
		if (gelu_tanh) {
			u = __dmul_rn(__dmul_rn(__dmul_rn(0.044715, d), d), d);
			u = __dmul_rn(-2 * 0.7978845608028654, __dadd_rn(d, u));
			return __double2float_rn(__ddiv_rn(d,
						 __dadd_rn(1.0, exp(u))));
		}
		return __double2float_rn(__dmul_rn(__dmul_rn(0.5, d),
				erfc(__dmul_rn(-d, 0.70710678118654752440))));
	}
}

/*
 * The unary steps, an element a thread, as unary_run() computes them
 * (comparisons first where it compares, so NaN takes the same branch; one
 * rounding an operation): exact but for those of g_unary_libm().
 */
G_KERNEL k_unary(const struct g_unary p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	const float f0 = __int_as_float((int)p.f0);
	const float f1 = __int_as_float((int)p.f1);
	g_u64 i;

	for (i = g_first(); i < p.count; i += g_step()) {
		float v = x[i], h;

		switch (p.op) {
		case G_UN_RELU:
			v = v > 0 ? v : 0.0f;
			break;
		case G_UN_ABS:
			v = fabsf(v);
			break;
		case G_UN_NEG:
			v = -v;
			break;
		case G_UN_SQRT:
			v = __fsqrt_rn(v);
			break;
		case G_UN_CLIP:
			v = v < f0 ? f0 : v;
			v = v > f1 ? f1 : v;
			break;
		case G_UN_LEAKY_RELU:
			v = v < 0 ? __fmul_rn(f0, v) : v;
			break;
		case G_UN_HARD_SIGMOID:
			v = __fadd_rn(__fmul_rn(f0, v), f1);
			v = v < 0 ? 0.0f : v > 1 ? 1.0f : v;
			break;
		case G_UN_HARD_SWISH:
			h = __fadd_rn(__fdiv_rn(v, 6.0f), 0.5f);
			v = __fmul_rn(v, h < 0 ? 0.0f : h > 1 ? 1.0f : h);
			break;
		default:
			v = g_unary_libm(p.op, v, p.gelu_tanh);
			break;
		}
		y[i] = v;
	}
}

/*
 * LAYER_NORM, a row a thread: the mean and the variance summed in
 * binary64 in the row's order, then each output as the step computes it,
 * every operation rounded once (__d*_rn; sqrt and division are correctly
 * rounded in IEEE 754, as the host's are).
 */
G_KERNEL k_lnorm(const struct g_lnorm p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	const float *scale = (const float *)p.scale;
	const float *bias = (const float *)p.bias;
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	const double n = (double)p.n;
	g_u64 o, k;

	for (o = g_first(); o < p.rows; o += g_step()) {
		const float *xr = x + o * p.n;
		float *yr = y + o * p.n;
		double mean = 0, var = 0, inv;

		for (k = 0; k < p.n; k++)
			mean = __dadd_rn(mean, (double)xr[k]);
		mean = __ddiv_rn(mean, n);
		for (k = 0; k < p.n; k++) {
			double d = __dsub_rn((double)xr[k], mean);

			var = __dadd_rn(var, __dmul_rn(d, d));
		}
		var = __ddiv_rn(var, n);
		inv = __ddiv_rn(1.0, __dsqrt_rn(__dadd_rn(var,
				(double)__int_as_float((int)p.eps))));
		for (k = 0; k < p.n; k++) {
			double v = __dmul_rn(__dmul_rn(__dsub_rn((double)xr[k],
								 mean), inv),
					     (double)scale[k]);

			/* the step adds 0 without a bias: -0 becomes +0 */
			yr[k] = __double2float_rn(__dadd_rn(v, bias ?
						  (double)bias[k] : 0.0));
		}
	}
}

/* the table index of the 8-bit element at @r + @k (@sgn: int8) */
G_DEV g_u32 g_qsm_idx(g_u32 sgn, const g_u8 *r, g_u64 k, g_s32 adj)
{
	return (g_u8)((sgn ? (g_s32)(signed char)r[k] : (g_s32)r[k]) + adj);
}

/*
 * QLINEAR_SOFTMAX, a row a thread, in the step's order: the maximum, the
 * table entries summed in binary32 over 8 lanes of blocks of 16, then
 * the rest in order, then the lanes; each output RNE(e * fl32(1 / sum) *
 * ys + zy) saturated, where a value past the int32 range (or NaN) gives
 * INT32_MIN as the host's conversion does.
 */
G_KERNEL k_qsm(const struct g_qsm p)
{
	const g_u8 *x = (const g_u8 *)(p.x + blockIdx.z * p.x_is);
	g_u8 *y = (g_u8 *)(p.y + blockIdx.z * p.y_is);
	const float ys = __int_as_float((int)p.ys);
	const float yzp = __int_as_float((int)p.yzp);
	g_u64 row, k, tail = p.len - p.len % 16;

	for (row = g_first(); row < p.outer * p.inner; row += g_step()) {
		g_u64 base = row / p.inner * p.len * p.inner + row % p.inner;
		const g_u8 *r = x + base;
		float lane[8] = { 0, 0, 0, 0, 0, 0, 0, 0 }, total = 0, scale;
		g_s32 mx = p.sgn ? (g_s32)(signed char)r[0] : (g_s32)r[0];
		g_s32 adj;
		int j;

		for (k = 1; k < p.len; k++) {
			g_s32 v = p.sgn ? (g_s32)(signed char)r[k * p.inner] :
					  (g_s32)r[k * p.inner];

			mx = v > mx ? v : mx;
		}
		adj = (p.sgn ? 127 : 255) - mx;
		for (k = 0; k < tail; k += 16) {
			G_UNROLL for (j = 0; j < 8; j++)
				lane[j] = __fadd_rn(lane[j],
					p.t[g_qsm_idx(p.sgn, r,
						      (k + j) * p.inner,
						      adj)]);
			G_UNROLL for (j = 0; j < 8; j++)
				lane[j] = __fadd_rn(lane[j],
					p.t[g_qsm_idx(p.sgn, r,
						      (k + 8 + j) * p.inner,
						      adj)]);
		}
		for (k = tail; k < p.len; k++)
			total = __fadd_rn(total, p.t[g_qsm_idx(p.sgn, r,
							       k * p.inner,
							       adj)]);
		G_UNROLL for (j = 0; j < 8; j++)
			total = __fadd_rn(total, lane[j]);
		scale = __fmul_rn(__fdiv_rn(1.0f, total), ys);
		for (k = 0; k < p.len; k++) {
			float v = __fadd_rn(__fmul_rn(p.t[g_qsm_idx(p.sgn, r,
							k * p.inner, adj)],
						      scale), yzp);
			g_s32 q = fabsf(v) < 2147483648.0f ?
				  (g_s32)__float2ll_rn(v) : (g_s32)0x80000000;

			if (p.out_sgn)
				q = q < -128 ? -128 : q > 127 ? 127 : q;
			else
				q = q < 0 ? 0 : q > 255 ? 255 : q;
			y[base + k * p.inner] = (g_u8)q;
		}
	}
}

/*
 * SOFTMAX and LOG_SOFTMAX, a row a thread, in the step's order: the
 * maximum in binary32, the binary64 sum of exp(x - max), then each
 * output (exp() and log() CUDA's: see g_libm1()).
 */
G_KERNEL k_softmax(const struct g_softmax p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	g_u64 row, k;

	for (row = g_first(); row < p.outer * p.inner; row += g_step()) {
		g_u64 base = row / p.inner * p.len * p.inner + row % p.inner;
		const float *xs = x + base;
		float *ys = y + base;
		float mx = xs[0];
		double sum = 0, ls;

		for (k = 1; k < p.len; k++)
			mx = xs[k * p.inner] > mx ? xs[k * p.inner] : mx;
		for (k = 0; k < p.len; k++)
			sum = __dadd_rn(sum, exp(__dsub_rn(
					(double)xs[k * p.inner], (double)mx)));
		ls = p.log ? log(sum) : 0.0;
		for (k = 0; k < p.len; k++) {
			double d = __dsub_rn((double)xs[k * p.inner],
					     (double)mx);

			ys[k * p.inner] = __double2float_rn(p.log ?
				__dsub_rn(d, ls) : __ddiv_rn(exp(d), sum));
		}
	}
}

/* NaN, and not finite, by comparisons (no libm classification needed) */
G_DEV bool g_isnan(double v)
{
	return v != v;
}

G_DEV bool g_isfinite(double v)
{
	return fabs(v) <= 1.7976931348623157e308;
}

/*
 * REDUCE, an output a thread, as reduce_one(): MAX, MIN and LOGSUMEXP's
 * maximum by the step's comparisons (a NaN wins and ends the scan; a
 * maximum of +-inf or NaN shifts nothing), then the row accumulated in
 * binary64 in order, each operation rounded once. MEAN, SUM, MAX, MIN,
 * PROD, SUMSQ, L2 (sqrt correctly rounded), L1 are the CPU's bit for bit;
 * LOGSUM and LOGSUMEXP call CUDA's binary64 log and exp (within 1 ulp of
 * binary64, where glibc's are within 1 ulp too), so they equal the CPU's
 * once rounded to binary32 but for a rare tie: within the step's
 * tolerance (rtol 1e-3, atol 1e-7), not bit for bit.
 */
G_KERNEL k_reduce(const struct g_reduce p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	g_u64 o, k;

	for (o = g_first(); o < p.outer * p.inner; o += g_step()) {
		const float *r = x + o / p.inner * p.len * p.inner +
				 o % p.inner;
		double acc = p.mode == G_RED_PROD ? 1.0 : 0.0, mx = r[0], v;

		if (p.mode == G_RED_MAX || p.mode == G_RED_MIN ||
		    p.mode == G_RED_LOGSUMEXP) {
			for (k = 1; k < p.len && !g_isnan(mx); k++) {
				v = r[k * p.inner];
				if (g_isnan(v) || (p.mode == G_RED_MIN ?
						   v < mx : v > mx))
					mx = v;
			}
			if (p.mode != G_RED_LOGSUMEXP) {
				y[o] = __double2float_rn(mx);
				continue;
			}
			if (!g_isfinite(mx))	/* +-inf or NaN: no shift */
				mx = 0;
		}
		for (k = 0; k < p.len; k++) {
			v = r[k * p.inner];
			switch (p.mode) {
			case G_RED_PROD:
				acc = __dmul_rn(acc, v);
				break;
			case G_RED_SUMSQ: case G_RED_L2:
				acc = __dadd_rn(acc, __dmul_rn(v, v));
				break;
			case G_RED_L1:
				acc = __dadd_rn(acc, fabs(v));
				break;
			case G_RED_LOGSUMEXP:
				acc = __dadd_rn(acc, exp(__dsub_rn(v, mx)));
				break;
			default:
				acc = __dadd_rn(acc, v);
				break;
			}
		}
		switch (p.mode) {
		case G_RED_MEAN:
			acc = __ddiv_rn(acc, __ull2double_rn(p.len));
			break;
		case G_RED_L2:
			acc = __dsqrt_rn(acc);
			break;
		case G_RED_LOGSUM:
			acc = log(acc);
			break;
		case G_RED_LOGSUMEXP:
			acc = __dadd_rn(mx, log(acc));
			break;
		default:
			break;
		}
		y[o] = __double2float_rn(acc);
	}
}

/* One axis of RESIZE as resize_axis(): its input length, scale, length */
struct g_rs_axis {
	g_s64 in;
	double scale, len;
};

G_DEV struct g_rs_axis g_rs_axis_of(g_s64 in, g_s64 out, g_u32 fbits)
{
	const float f = __int_as_float((int)fbits);
	struct g_rs_axis a;

	/* lengths below 2^53: their conversions are exact */
	a.in = in;
	a.scale = f > 0 ? (double)f : __ddiv_rn((double)out, (double)in);
	a.len = __dmul_rn(a.scale, (double)in);
	return a;
}

/* ((A * s - 5 * A) * s + 8 * A) * s - 4 * A, an outer cubic weight */
G_DEV double g_cubic_outer(double A, double s)
{
	double v = __dsub_rn(__dmul_rn(A, s), __dmul_rn(5.0, A));

	v = __dadd_rn(__dmul_rn(v, s), __dmul_rn(8.0, A));
	return __dsub_rn(__dmul_rn(v, s), __dmul_rn(4.0, A));
}

/* ((A + 2) * r - (A + 3)) * r * r + 1, an inner cubic weight */
G_DEV double g_cubic_inner(double A, double r)
{
	double v = __dsub_rn(__dmul_rn(__dadd_rn(A, 2.0), r),
			     __dadd_rn(A, 3.0));

	return __dadd_rn(__dmul_rn(__dmul_rn(v, r), r), 1.0);
}

/*
 * resize_taps(): output index @o's source coordinate by the coordinate
 * transformation, then its taps (indexes clamped into [0, in)) and their
 * weights, every binary64 operation in the CPU's order; floor, fmin and
 * fmax are exact. Returns the number of taps.
 */
G_DEV int g_rs_taps(const struct g_resize *p, const struct g_rs_axis *a,
		    g_s64 o, g_s64 *idx, double *w)
{
	const double x = (double)o;	/* o < 2^31: exact */
	double xo, fl, r, sum;
	g_s64 i0;
	int n, k;

	switch (p->coord) {
	case 1:
		xo = __ddiv_rn(x, a->scale);
		break;
	case 2:
		xo = a->len == 1 ? 0.0 :
		     __ddiv_rn(__dmul_rn(x, (double)(a->in - 1)),
			       __dsub_rn(a->len, 1.0));
		break;
	case 3:
		xo = a->len == 1 ? -0.5 :
		     __dsub_rn(__ddiv_rn(__dadd_rn(x, 0.5), a->scale), 0.5);
		break;
	case 4:
		xo = __ddiv_rn(__dadd_rn(x, 0.5), a->scale);
		break;
	default:
		xo = __dsub_rn(__ddiv_rn(__dadd_rn(x, 0.5), a->scale), 0.5);
		break;
	}
	xo = fmax(-8.0, fmin(xo, __dadd_rn((double)a->in, 8.0)));
	fl = floor(xo);
	r = __dsub_rn(xo, fl);
	i0 = (g_s64)fl;
	if (p->mode == 0) {
		if (r != 0 && (p->nearest == 3 ||
			       (p->nearest == 0 && r > 0.5) ||
			       (p->nearest == 1 && r >= 0.5)))
			i0++;
		idx[0] = i0;
		w[0] = 1;
		n = 1;
	} else if (p->mode == 1) {
		idx[0] = i0;
		idx[1] = i0 + 1;
		w[0] = __dsub_rn(1.0, r);
		w[1] = r;
		n = 2;
	} else {
		const double A = (double)__int_as_float((int)p->cubic);

		for (k = 0; k < 4; k++)
			idx[k] = i0 - 1 + k;
		w[0] = g_cubic_outer(A, __dadd_rn(r, 1.0));
		w[1] = g_cubic_inner(A, r);
		w[2] = g_cubic_inner(A, __dsub_rn(1.0, r));
		w[3] = g_cubic_outer(A, __dsub_rn(2.0, r));
		n = 4;
		if (p->exclude) {
			for (sum = 0, k = 0; k < 4; k++) {
				if (idx[k] < 0 || idx[k] >= a->in)
					w[k] = 0;
				sum = __dadd_rn(sum, w[k]);
			}
			for (k = 0; k < 4; k++)	/* (NaN divides as the CPU) */
				w[k] = __ddiv_rn(w[k], sum != 0 ? sum : 1.0);
		}
	}
	for (k = 0; k < n; k++)
		idx[k] = idx[k] < 0 ? 0 : idx[k] >= a->in ? a->in - 1 : idx[k];
	return n;
}

/*
 * RESIZE, an output a thread computing its own taps along H and W: the
 * nearest tap's value, or the taps summed in binary64 along H for each
 * tap along W, then along W, as resize_run() (ONNX's reference) does;
 * the CPU's bit for bit in every mode.
 */
G_KERNEL k_resize(const struct g_resize p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	const struct g_rs_axis ah = g_rs_axis_of(p.h, p.oh, p.fh);
	const struct g_rs_axis aw = g_rs_axis_of(p.w, p.ow, p.fw);
	const g_u64 total = (g_u64)(p.nc * p.oh * p.ow);
	g_u64 t;

	for (t = g_first(); t < total; t += g_step()) {
		g_s64 ox = (g_s64)(t % (g_u64)p.ow);
		g_s64 oy = (g_s64)(t / (g_u64)p.ow % (g_u64)p.oh);
		g_s64 c = (g_s64)(t / (g_u64)p.ow / (g_u64)p.oh);
		const float *xc = x + c * p.h * p.w;
		g_s64 iy[4], ix[4];
		double wy[4], wx[4], acc = 0;
		int ny, nx, i, j;

		ny = g_rs_taps(&p, &ah, oy, iy, wy);
		nx = g_rs_taps(&p, &aw, ox, ix, wx);
		if (p.mode == 0) {
			y[t] = xc[iy[0] * p.w + ix[0]];
			continue;
		}
		for (j = 0; j < nx; j++) {
			double col = 0;

			for (i = 0; i < ny; i++)
				col = __dadd_rn(col, __dmul_rn(wy[i],
					(double)xc[iy[i] * p.w + ix[j]]));
			acc = __dadd_rn(acc, __dmul_rn(wx[j], col));
		}
		y[t] = __double2float_rn(acc);
	}
}

/* the @dt (G_DT_*) element @i of @v */
G_DEV g_s32 g_qload(const g_u8 *v, g_u32 dt, g_u64 i)
{
	if (dt == G_DT_INT8)
		return (signed char)v[i];
	if (dt == G_DT_UINT8)
		return v[i];
	return ((const g_s32 *)v)[i];
}

/*
 * The QUANTIZE and DEQUANTIZE forms of g_qstep, an element a thread, as
 * quant_run(): per axis, quant_one()'s RNE(fl32(v / s)) + zp in binary64
 * saturated (NaN to the low end), or (float)(x - zp) * s with the int64
 * difference rounded once; the p[3] form RNE(fl32(fl32(v / s) + zp))
 * saturated. rintf rounds half to even, as nearbyintf() in the default
 * mode. The CPU's bit for bit.
 */
G_KERNEL k_qstep(const struct g_qstep p)
{
	const g_u8 *in = (const g_u8 *)(p.in + blockIdx.z * p.in_is);
	g_u8 *out = (g_u8 *)(p.out + blockIdx.z * p.out_is);
	const float *scales = (const float *)(p.scales +
					      blockIdx.z * p.scales_is);
	const g_u8 *zps = p.zps ? (const g_u8 *)(p.zps +
						 blockIdx.z * p.zps_is) : 0;
	const g_s32 lo = p.dtype == G_DT_INT8 ? -128 : 0;
	const g_s32 hi = p.dtype == G_DT_INT8 ? 127 : 255;
	g_u64 i, ch;

	for (i = g_first(); i < p.count; i += g_step()) {
		float s = __int_as_float((int)p.scale), v;
		g_s32 zp = p.zp, q;
		double t;

		if (p.form == G_QS_QUANT_ZF) {
			v = rintf(__fadd_rn(__fdiv_rn(((const float *)in)[i],
						      s), (float)zp));
			q = !(v >= (float)lo) ? lo : v > (float)hi ? hi :
			    (g_s32)v;
			out[i] = (g_u8)q;
			continue;
		}
		ch = i / p.inner % p.channels;
		s = scales[ch];
		zp = zps ? g_qload(zps, p.dtype, ch) : 0;
		if (p.form == G_QS_DEQUANT) {
			((float *)out)[i] = __fmul_rn(__ll2float_rn(
				(g_s64)g_qload(in, p.dtype, i) - zp), s);
			continue;
		}
		t = __dadd_rn((double)rintf(__fdiv_rn(((const float *)in)[i],
						      s)), (double)zp);
		q = !(t >= lo) ? lo : t > hi ? hi : (g_s32)t;
		out[i] = (g_u8)q;
	}
}

/*
 * POOL, an output a thread, the window in pool_run()'s order: the taps
 * inside the padded input counted, those inside the input taken; the
 * maximum from -infinity by v > mx (a NaN never taken, +0 not over -0),
 * or the sum in binary64 divided in binary64 and rounded once, or (@f32)
 * the sum in binary32 divided once in binary32.
 */
G_KERNEL k_fpool(const struct g_fpool p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	const struct g_win wn = p.win;
	g_u64 o, total = (g_u64)(p.nc * wn.od * wn.oh * wn.ow);

	for (o = g_first(); o < total; o += g_step()) {
		g_s64 ox = (g_s64)(o % (g_u64)wn.ow);
		g_s64 r = (g_s64)(o / (g_u64)wn.ow), oy = r % wn.oh;
		g_s64 oz = r / wn.oh % wn.od, c = r / wn.oh / wn.od;
		const float *xc = x + c * wn.d * wn.h * wn.w;
		double acc = 0;
		float mx = -__int_as_float(0x7f800000);	/* -inf */
		float facc = 0;
		g_s64 in = 0, padded = 0, div, kz, ky, kx;

		for (kz = 0; kz < wn.kd; kz++) {
			g_s64 iz = oz * wn.sd - wn.pf + kz * wn.dd;

			for (ky = 0; ky < wn.kh; ky++) {
				g_s64 iy = oy * wn.sh - wn.pt + ky * wn.dh;

				for (kx = 0; kx < wn.kw; kx++) {
					g_s64 ix = ox * wn.sw - wn.pl +
						   kx * wn.dw;
					float v;

					if (iz >= -wn.pf && iz < wn.d + wn.pk &&
					    iy >= -wn.pt && iy < wn.h + wn.pb &&
					    ix >= -wn.pl && ix < wn.w + wn.pr)
						padded++;
					if (iz < 0 || iz >= wn.d || iy < 0 ||
					    iy >= wn.h || ix < 0 || ix >= wn.w)
						continue;
					v = xc[(iz * wn.h + iy) * wn.w + ix];
					if (!p.avg)
						mx = v > mx ? v : mx;
					else if (p.f32)
						facc = __fadd_rn(facc, v);
					else
						acc = __dadd_rn(acc, (double)v);
					in++;
				}
			}
		}
		div = p.count_in ? in : padded;
		div = div ? div : 1;
		y[o] = !p.avg ? mx : p.f32 ?
		       __fdiv_rn(facc, __ll2float_rn(div)) :
		       __double2float_rn(__ddiv_rn(acc, (double)div));
	}
}

/* acc + x * w in binary64: the product exact, the sum rounded once */
G_DEV double g_dmadd(double acc, float x, float w)
{
	return __dadd_rn(acc, __dmul_rn((double)x, (double)w));
}

/*
 * The naive CONV, an output a thread, in conv_run()'s order: from the
 * bias (or +0), each tap inside the input (ci, kz, ky, kx) added in
 * binary64 (its product exact there), rounded once to binary32.
 */
G_KERNEL k_fconv(const struct g_fconv p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	const float *wt = (const float *)(p.w + blockIdx.z * p.w_is);
	const float *bias = p.bias ? (const float *)(p.bias +
						     blockIdx.z * p.bias_is) :
			    (const float *)0;
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	const struct g_win wn = p.win;
	const g_s64 cg = p.c / p.groups, og = p.oc / p.groups;
	const g_s64 np = wn.od * wn.oh * wn.ow;
	g_u64 o, total = (g_u64)(p.n * p.oc * np);

	for (o = g_first(); o < total; o += g_step()) {
		g_s64 ox = (g_s64)(o % (g_u64)wn.ow);
		g_s64 r = (g_s64)(o / (g_u64)wn.ow), oy = r % wn.oh;
		g_s64 oz = r / wn.oh % wn.od, nco = r / wn.oh / wn.od;
		g_s64 oc = nco % p.oc, nb = nco / p.oc, g = oc / og;
		const float *xg = x + (nb * p.c + g * cg) * wn.d * wn.h * wn.w;
		const float *wo = wt + oc * cg * wn.kd * wn.kh * wn.kw;
		const g_s64 iy0 = oy * wn.sh - wn.pt, ix0 = ox * wn.sw - wn.pl;
		double acc = bias ? (double)bias[oc] : 0.0;
		g_s64 cz, ky, kx;

		/* ci and kz as one index: (ci, kz) in order */
		for (cz = 0; cz < cg * wn.kd; cz++) {
			g_s64 iz = oz * wn.sd - wn.pf + cz % wn.kd * wn.dd;
			const float *xz, *wz;

			if (iz < 0 || iz >= wn.d)
				continue;
			xz = xg + (cz / wn.kd * wn.d + iz) * wn.h * wn.w;
			wz = wo + cz * wn.kh * wn.kw;
			for (ky = 0; ky < wn.kh; ky++) {
				g_s64 iy = iy0 + ky * wn.dh;
				const float *xr, *wr;

				if (iy < 0 || iy >= wn.h)
					continue;
				xr = xz + iy * wn.w;
				wr = wz + ky * wn.kw;
				for (kx = 0; kx < wn.kw; kx++) {
					g_s64 ix = ix0 + kx * wn.dw;

					if (ix < 0 || ix >= wn.w)
						continue;
					acc = g_dmadd(acc, xr[ix], wr[kx]);
				}
			}
		}
		y[o] = __double2float_rn(acc);
	}
}

/*
 * The GEMM step, an output a thread, in gemm_run()'s order: the products
 * (exact in binary64) summed in k order from +0, times alpha, plus beta
 * times C, each rounded once in binary64, then rounded to binary32.
 */
G_KERNEL k_fgemm(const struct g_fgemm p)
{
	const float *a0 = (const float *)(p.a + blockIdx.z * p.a_is);
	const float *b0 = (const float *)(p.b + blockIdx.z * p.b_is);
	const float *cc = p.c ? (const float *)(p.c + blockIdx.z * p.c_is) :
			  (const float *)0;
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	const double alpha = (double)__int_as_float((int)p.alpha);
	const double beta = (double)__int_as_float((int)p.beta);
	const g_u64 am = p.ta ? 1 : p.k, ak = p.ta ? p.m : 1;
	const g_u64 bk = p.tb ? 1 : p.n, bn = p.tb ? p.k : 1;
	g_u64 o, total = p.batch * p.m * p.n;

	for (o = g_first(); o < total; o += g_step()) {
		g_u64 n = o % p.n, m = o / p.n % p.m, bt = o / p.n / p.m, k;
		const float *a = a0 + bt * p.sa + m * am;
		const float *b = b0 + bt * p.sb + n * bn;
		double acc = 0;

		for (k = 0; k < p.k; k++)
			acc = g_dmadd(acc, a[k * ak], b[k * bk]);
		acc = __dmul_rn(acc, alpha);
		if (cc)
			acc = __dadd_rn(acc, __dmul_rn(beta,
						       (double)cc[m * p.cm +
								  n * p.cn]));
		y[o] = __double2float_rn(acc);
	}
}
