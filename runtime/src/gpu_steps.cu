// SPDX-License-Identifier: MIT
/*
 * gpu_steps.cu - the float CPU steps a quantized model runs between its
 * commands (onnxruntime's QDQ format leaves them in float), in CUDA C:
 * DEQUANTIZE, the binary element-wise steps and the binary32 CONV in
 * onnxruntime's SGEMM order. NVRTC compiles them after gpu_params.h and
 * gpu_kernels.cu. Each output is the CPU step's (cpu_ops.c, cpu_sgemm.c)
 * bit for bit: the same operations in the same order, each rounded once
 * by an explicitly rounded intrinsic. Written so that a C compiler with
 * G_KERNEL, G_DEV, the intrinsics and the thread indexes defined
 * otherwise runs them too (tests/unit/test_gpu_steps.c checks them on the
 * host against the CPU steps).
 */

#ifndef G_KERNEL
#define G_KERNEL	extern "C" __global__ void __launch_bounds__(G_THREADS)
#define G_DEV		__device__ __forceinline__
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

G_DEV float g_binary_one(g_u32 op, float u, float v)
{
	switch (op) {
	case G_BIN_ADD: return __fadd_rn(u, v);
	case G_BIN_SUB: return __fsub_rn(u, v);
	case G_BIN_MUL: return __fmul_rn(u, v);
	case G_BIN_DIV: return __fdiv_rn(u, v);
	case G_BIN_MAX: return u > v ? u : v;
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
 * One output of the SGEMM-order CONV per thread, pixels innermost: for
 * each K slice of (c, ky, kx) a chain of fused multiply-adds from zero
 * over it (a padded tap multiplies 0, as the CPU's im2col row holds), the
 * slices' sums added in order, then the bias.
 */
G_KERNEL k_sconv(const struct g_sconv p)
{
	const float *x = (const float *)(p.x + blockIdx.z * p.x_is);
	const float *wt = (const float *)p.w;
	const float *bias = (const float *)p.bias;
	float *y = (float *)(p.y + blockIdx.z * p.y_is);
	g_s64 cg = p.c / p.groups, og = p.oc / p.groups, taps = p.kh * p.kw;
	g_s64 kk = cg * taps, np = p.oh * p.ow;
	g_u64 i, total = (g_u64)(p.n * p.oc * np);

	for (i = g_first(); i < total; i += g_step()) {
		g_s64 pix = (g_s64)(i % (g_u64)np), t = (g_s64)(i / (g_u64)np);
		g_s64 oc = t % p.oc, nb = t / p.oc, g = oc / og;
		g_s64 py = pix / p.ow * p.sh - p.pt, px = pix % p.ow * p.sw - p.pl;
		const float *w = wt + oc * kk;
		const float *xg = x + (nb * p.c + g * cg) * p.h * p.wd;
		float tot = 0.0f, part;
		g_s64 k0, k, ci, r, iy, ix;

		for (k0 = 0; k0 < kk; k0 += p.kstride) {
			g_s64 k1 = k0 + p.kstride < kk ? k0 + p.kstride : kk;

			part = 0.0f;
			ci = k0 / taps;
			r = k0 % taps;
			for (k = k0; k < k1; k++) {
				float v = 0.0f;

				iy = py + r / p.kw * p.dh;
				ix = px + r % p.kw * p.dw;
				if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.wd)
					v = xg[(ci * p.h + iy) * p.wd + ix];
				part = __fmaf_rn(w[k], v, part);
				if (++r == taps) {
					r = 0;
					ci++;
				}
			}
			tot = k0 ? __fadd_rn(tot, part) : part;
		}
		y[(nb * p.oc + oc) * np + pix] = bias ? __fadd_rn(tot, bias[oc]) :
							tot;
	}
}
