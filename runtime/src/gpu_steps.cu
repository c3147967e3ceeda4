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
