// SPDX-License-Identifier: MIT
/*
 * test_gpu_steps.c - the GPU's float CPU steps (runtime/src/gpu_steps.cu)
 * run on the host, their CUDA C compiled as C with the intrinsics defined
 * by their IEEE operations (this file is ISO C: nothing contracted) and
 * every thread of a small grid run in turn, against the CPU steps
 * (npurt_cpu_op_run()) byte for byte: DEQUANTIZE of 8 and 32 bits, the
 * binary element-wise steps with broadcast strides, and the binary32
 * CONV in onnxruntime's SGEMM order over shapes that cross its K slices
 * (groups, padding, strides, dilation, bias or none), the unary steps of
 * exact arithmetic (RELU, ABS, NEG, SQRT, CLIP, LEAKY_RELU, HARD_SIGMOID,
 * HARD_SWISH) and those of binary64 math functions (SIGMOID, TANH, EXP,
 * ERF, GELU, POW, SOFTMAX, LOG_SOFTMAX: here glibc's functions on both
 * sides, so this checks the order of everything around them; on a GPU,
 * CUDA's: tests/gpu/run-gpu-tests), LAYER_NORM (bias or none),
 * QLINEAR_SOFTMAX (int8 and uint8 each way, rows strided,
 * outputs past the int32 range), REDUCE (every mode, len 1, rows strided,
 * rows of NaN and infinity, rows whose binary64 sums show their order;
 * on the host LOGSUM and LOGSUMEXP use glibc's log and exp, so they
 * compare exactly here too), RESIZE (nearest in each rounding mode,
 * linear, cubic with and without exclude_outside and several
 * coefficients, every coordinate transformation, up and down, from
 * scales or sizes) and per-axis QUANTIZE and DEQUANTIZE (int8, uint8,
 * int32, with and without zero points, inner lengths, scales shared or
 * per item) and QUANTIZE's p[3] form (with rounding ties), with NaN,
 * infinity, signed zero and subnormal values. Batch items (blockIdx.z)
 * at their item strides. Also POOL (1-D to 3-D, max and average counting
 * pads or not, both accumulation modes, pads, strides, dilations,
 * ceil-mode output sizes), the naive CONV (1-D to 3-D, groups, pads,
 * strides, dilations, bias or none, and sums that cancel so that their
 * order shows) and the float GEMM (A and B transposed or not, batches
 * with shared or strided matrices, C dense, broadcast or transposed or
 * none, alpha and beta, sums that cancel), with weights, bias and C per
 * item or shared. The GPU runs these sources through NVRTC; this checks
 * what they compute, not the launch.
 *
 * Seed: RM_NPU_TEST_SEED.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_ops.h"
#include "cpu_step_util.h"

/* ---- CUDA on the host ---------------------------------------------------- */

struct g_dim3 {
	unsigned int x, y, z;
};

static struct g_dim3 blockIdx, threadIdx, blockDim, gridDim;

#define G_THREADS	256
#define G_KERNEL	static void
#define G_DEV		static inline
#define G_UNROLL

#include "gpu_emu_float.h"

#include "gpu_params.h"
#include "gpu_steps.cu"

/* Every thread of @gx blocks of G_THREADS over @gz items, in turn. */
#define RUN_GRID(kernel, p, gx, gz)					\
	do {								\
		blockDim.x = G_THREADS;					\
		gridDim.x = (gx);					\
		gridDim.z = (gz);					\
		for (blockIdx.z = 0; blockIdx.z < gridDim.z;		\
		     blockIdx.z++)					\
			for (blockIdx.x = 0; blockIdx.x < gridDim.x;	\
			     blockIdx.x++)				\
				for (threadIdx.x = 0;			\
				     threadIdx.x < G_THREADS;		\
				     threadIdx.x++)			\
					kernel(p);			\
	} while (0)

/* ---- values -------------------------------------------------------------- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t rr(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* One value in edge_every (0: none) an edge of binary32. */
static unsigned int edge_every = 50;

/* Mostly ordinary floats, sometimes the edges of binary32. */
static float rnd_float(void)
{
	static const uint32_t edge[] = {
		0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
		0x00000001, 0x807fffff, 0x7f7fffff, 0x3f800000, 0xbf800001,
	};
	uint32_t u;
	float f;

	if (edge_every && rnd() % edge_every == 0) {
		u = edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
		memcpy(&f, &u, sizeof(f));
		return f;
	}
	return ((float)(int32_t)rnd() / 2147483648.0f) *
	       (float)(1 << rr(0, 8));
}

static float *rnd_floats(uint64_t n)
{
	float *v = malloc((n ? n : 1) * sizeof(float));
	uint64_t i;

	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = rnd_float();
	return v;
}

/*
 * Every float's bits equal, but a NaN's: any NaN for a NaN. Which NaN
 * operand an FMA passes on (its sign, its payload) follows the operand
 * order the compiler gave the instruction, which the CPU step's variants
 * do not fix, and a GPU returns its canonical NaN.
 */
static void check_bytes(const void *got, const void *want, size_t n,
			const char *what, unsigned int c)
{
	const uint32_t *g = got, *w = want;
	size_t i;

	for (i = 0; i < n / 4; i++) {
		float fg, fw;

		memcpy(&fg, &g[i], 4);
		memcpy(&fw, &w[i], 4);
		if (g[i] != w[i] && !(isnan(fg) && isnan(fw)))
			fail_msg("%s case %u: float %zu differs (0x%08x, "
				 "want 0x%08x)", what, c, i, g[i], w[i]);
	}
}

/*
 * The CPU step @op over @items items: its input at @x + it * @x_is, its
 * output at @want + it * @y_is, the bytes between them 0xa5 first.
 */
static void cpu_items(const struct npurt_cpu_op *op, void *x, uint64_t x_is,
		      void *want, uint64_t y_is, unsigned int items)
{
	unsigned int it;

	memset(want, 0xa5, y_is * items);
	for (it = 0; it < items; it++) {
		uint8_t *bases[2] = { (uint8_t *)x + it * x_is,
				      (uint8_t *)want + it * y_is };

		npurt_cpu_op_run(op, bases);
	}
}

/* ---- DEQUANTIZE ---------------------------------------------------------- */

static void test_dequant(void **state)
{
	static const uint32_t dts[] = { NPURT_DTYPE_INT8, NPURT_DTYPE_UINT8,
					NPURT_DTYPE_INT32 };
	static const uint32_t gdt[] = { G_DT_INT8, G_DT_UINT8, G_DT_INT32 };
	unsigned int c;

	(void)state;
	for (c = 0; c < 300; c++) {
		unsigned int d = c % 3, items = rr(1, 3);
		uint64_t n = rr(1, 3000), esz = d == 2 ? 4 : 1, i;
		uint64_t in_is = n * esz + rr(0, 3) * 4, out_is = 4 * n;
		uint8_t *x = malloc(in_is * items);
		float *want = malloc(out_is * items), *got = malloc(out_is * items);
		float s = rnd_float();
		struct npurt_cpu_op op =
			cpu_step_new(NPURT_CPU_DEQUANTIZE);
		struct g_dequant p;
		unsigned int it;

		assert_true(x && want && got);
		for (i = 0; i < in_is * items; i++)
			x[i] = (uint8_t)rnd();
		if (c % 7 == 0)
			s = 0.0038f;
		op.in[0] = cpu_step_ref(0, dts[d], n);
		op.out = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, n);
		op.f[0] = s;
		op.p[1] = d == 2 ? (int32_t)rnd() : d == 0 ? (int)rr(0, 255) - 128 :
			  (int)rr(0, 255);
		for (it = 0; it < items; it++) {
			uint8_t *bases[2] = { x + it * in_is,
					      (uint8_t *)want + it * out_is };

			npurt_cpu_op_run(&op, bases);
		}
		memset(&p, 0, sizeof(p));
		p.in = (g_u64)(uintptr_t)x;
		p.out = (g_u64)(uintptr_t)got;
		p.in_is = in_is;
		p.out_is = out_is;
		p.count = n;
		memcpy(&p.scale, &s, 4);
		p.zp = (g_s32)op.p[1];
		p.dtype = gdt[d];
		RUN_GRID(k_dequant, p, rr(1, 3), items);
		check_bytes(got, want, out_is * items, "DEQUANTIZE", c);
		free(x);
		free(want);
		free(got);
	}
}

/* ---- binary steps -------------------------------------------------------- */

static void test_binary(void **state)
{
	static const uint32_t ops[] = { NPURT_CPU_ADD, NPURT_CPU_SUB,
					NPURT_CPU_MUL, NPURT_CPU_DIV,
					NPURT_CPU_MAX, NPURT_CPU_MIN,
					NPURT_CPU_POW };
	unsigned int c;

	(void)state;
	for (c = 0; c < 420; c++) {
		unsigned int r = rr(1, G_MAX_RANK), k, o = c % 7, items = rr(1, 2);
		struct npurt_cpu_op op = cpu_step_new(ops[o]);
		uint64_t n = 1, na = 1, nb = 1, sa = 1, sb = 1;
		float *a, *b, *want, *got;
		struct g_binary p;
		unsigned int it;

		memset(&p, 0, sizeof(p));
		op.p[0] = r;
		/* innermost first: each input dense or broadcast (stride 0) */
		for (k = r; k-- > 0;) {
			uint64_t d = rr(1, r > 3 ? 4 : 12);
			bool ba = rnd() % 4 == 0, bb = rnd() % 3 == 0;

			op.p[1 + k] = (int64_t)d;
			op.p[7 + k] = ba ? 0 : (int64_t)sa;
			op.p[13 + k] = bb ? 0 : (int64_t)sb;
			sa *= ba ? 1 : d;
			sb *= bb ? 1 : d;
			n *= d;
		}
		na = sa;
		nb = sb;
		a = rnd_floats(na * items);
		b = rnd_floats(nb * items);
		/* POW: exponents mostly small, some integral */
		for (k = 0; ops[o] == NPURT_CPU_POW && k < nb * items; k++)
			if (rnd() % 4)
				b[k] = rnd() % 3 ? b[k] / 64 : (float)rr(0, 8) - 4;
		want = malloc(4 * n * items);
		got = malloc(4 * n * items);
		assert_true(want && got);
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, na);
		op.in[1] = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, nb);
		op.out = cpu_step_ref(2, NPURT_DTYPE_FLOAT32, n);
		for (it = 0; it < items; it++) {
			uint8_t *bases[3] = { (uint8_t *)(a + it * na),
					      (uint8_t *)(b + it * nb),
					      (uint8_t *)(want + it * n) };

			npurt_cpu_op_run(&op, bases);
		}
		p.a = (g_u64)(uintptr_t)a;
		p.b = (g_u64)(uintptr_t)b;
		p.y = (g_u64)(uintptr_t)got;
		p.a_is = 4 * na;
		p.b_is = 4 * nb;
		p.y_is = 4 * n;
		p.count = n;
		p.rank = r;
		p.op = o;	/* ops[] is in G_BIN_* order */
		for (k = 0; k < r; k++) {
			p.dims[k] = (g_u64)op.p[1 + k];
			p.sa[k] = (g_u64)op.p[7 + k];
			p.sb[k] = (g_u64)op.p[13 + k];
		}
		RUN_GRID(k_binary, p, rr(1, 3), items);
		check_bytes(got, want, 4 * n * items, "binary", c);
		free(a);
		free(b);
		free(want);
		free(got);
	}
}

/* ---- the SGEMM-order CONV ------------------------------------------------ */

static void test_sconv(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 120; c++) {
		struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_CONV);
		int64_t *q = op.p, g = rr(1, 3), cg, og, kk, np;
		uint64_t nx, nw, ny;
		float *x, *w, *bias, *want, *got;
		bool has_bias = rnd() % 4 != 0;
		unsigned int it, items = rr(1, 2);
		struct g_sconv p;

		/* long chains of edges end as NaN or infinity: most cases
		 * without, so that the sums' order shows in their bits */
		edge_every = c % 3 == 0 ? 50 : 0;
		q[0] = rr(1, 2);
		cg = c % 5 == 0 ? rr(30, 70) : rr(1, 12);
		og = c % 4 == 1 ? rr(7, 20) : rr(1, 6);
		q[15] = g;
		q[1] = g * cg;
		q[4] = g * og;
		q[5] = rr(1, 3);
		q[6] = rr(1, 3);
		q[7] = rr(1, 2);
		q[8] = rr(1, 2);
		q[13] = rnd() % 4 ? 1 : 2;
		q[14] = rnd() % 4 ? 1 : 2;
		q[9] = rr(0, 1);
		q[10] = rr(0, 1);
		q[11] = rr(0, 1);
		q[12] = rr(0, 1);
		if (c % 7 == 0) {	/* k_sconv's direct pointwise path */
			q[5] = q[6] = q[7] = q[8] = 1;
			q[9] = q[10] = q[11] = q[12] = 0;
		}
		do {
			q[2] = rr(1, c % 3 ? 9 : 24);
			q[3] = rr(1, c % 3 ? 9 : 24);
		} while (q[2] + q[9] + q[11] < q[13] * (q[5] - 1) + 1 ||
			 q[3] + q[10] + q[12] < q[14] * (q[6] - 1) + 1);
		q[16] = (q[2] + q[9] + q[11] - q[13] * (q[5] - 1) - 1) / q[7] + 1;
		q[17] = (q[3] + q[10] + q[12] - q[14] * (q[6] - 1) - 1) / q[8] + 1;
		q[26] = 1;
		kk = cg * q[5] * q[6];
		np = q[16] * q[17];
		nx = (uint64_t)(q[0] * q[1] * q[2] * q[3]);
		nw = (uint64_t)(q[4] * kk);
		ny = (uint64_t)(q[0] * q[4] * np);
		x = rnd_floats(nx * items);
		w = rnd_floats(nw);
		bias = rnd_floats((uint64_t)q[4]);
		want = malloc(4 * ny * items);
		got = malloc(4 * ny * items);
		assert_true(want && got);
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, nx);
		op.in[1] = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, nw);
		if (has_bias)
			op.in[2] = cpu_step_ref(2, NPURT_DTYPE_FLOAT32,
						(uint64_t)q[4]);
		op.out = cpu_step_ref(3, NPURT_DTYPE_FLOAT32, ny);
		for (it = 0; it < items; it++) {
			uint8_t *bases[4] = { (uint8_t *)(x + it * nx),
					      (uint8_t *)w, (uint8_t *)bias,
					      (uint8_t *)(want + it * ny) };

			npurt_cpu_op_run(&op, bases);
		}
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.w = (g_u64)(uintptr_t)w;
		p.bias = has_bias ? (g_u64)(uintptr_t)bias : 0;
		p.y = (g_u64)(uintptr_t)got;
		p.n = q[0]; p.c = q[1]; p.h = q[2]; p.wd = q[3]; p.oc = q[4];
		p.kh = q[5]; p.kw = q[6]; p.sh = q[7]; p.sw = q[8];
		p.pt = q[9]; p.pl = q[10]; p.dh = q[13]; p.dw = q[14];
		p.groups = q[15]; p.oh = q[16]; p.ow = q[17];
		p.kstride = npurt_cpu_sgemm_kstride(kk, np);
		p.x_is = 4 * nx;
		p.y_is = 4 * ny;
		memset(got, 0xa5, 4 * ny * items);
		RUN_GRID(k_sconv, p, rr(1, 3), items);
		check_bytes(got, want, 4 * ny * items, "CONV", c);
		memset(got, 0xa5, 4 * ny * items);
		RUN_GRID(k_sconv1, p, rr(1, 3), items);
		check_bytes(got, want, 4 * ny * items,
			    "CONV, one output a thread", c);
		free(x);
		free(w);
		free(bias);
		free(want);
		free(got);
	}
	edge_every = 50;
}

/* ---- the exact unary steps ----------------------------------------------- */

static void test_unary(void **state)
{
	static const uint32_t ops[] = {
		NPURT_CPU_RELU, NPURT_CPU_ABS, NPURT_CPU_NEG, NPURT_CPU_SQRT,
		NPURT_CPU_CLIP, NPURT_CPU_LEAKY_RELU, NPURT_CPU_HARD_SIGMOID,
		NPURT_CPU_HARD_SWISH, NPURT_CPU_SIGMOID, NPURT_CPU_TANH,
		NPURT_CPU_EXP, NPURT_CPU_ERF, NPURT_CPU_GELU,
	};
	const unsigned int nops = sizeof(ops) / sizeof(ops[0]);
	unsigned int c;

	(void)state;
	for (c = 0; c < 20 * nops; c++) {
		uint32_t opc = ops[c % nops];
		struct npurt_cpu_op op = cpu_step_new(opc);
		uint64_t n = rr(1, 2000), is = 4 * n + 4 * rr(0, 3);
		unsigned int items = rr(1, 3);
		float *x = rnd_floats(is / 4 * items);
		float *want = malloc(is * items), *got = malloc(is * items);
		struct g_unary p;

		assert_true(want && got);
		op.f[0] = rnd_float();
		op.f[1] = rnd_float();
		if (opc == NPURT_CPU_CLIP && op.f[0] > op.f[1]) {
			float t = op.f[0];

			op.f[0] = op.f[1];
			op.f[1] = t;
		}
		if (opc == NPURT_CPU_HARD_SIGMOID && c % 3) {
			op.f[0] = 0.2f;		/* ONNX's defaults */
			op.f[1] = 0.5f;
		}
		if (opc == NPURT_CPU_GELU) {
			op.f[0] = op.f[1] = 0;
			op.p[0] = c / nops % 2;	/* exact or tanh */
		} else if (opc >= NPURT_CPU_SIGMOID && opc <= NPURT_CPU_ERF) {
			op.f[0] = op.f[1] = 0;
		}
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, n);
		op.out = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, n);
		cpu_items(&op, x, is, want, is, items);
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = is;
		p.y_is = is;
		p.count = n;
		p.op = opc;
		p.gelu_tanh = op.p[0] != 0;
		memcpy(&p.f0, &op.f[0], 4);
		memcpy(&p.f1, &op.f[1], 4);
		memset(got, 0xa5, is * items);
		RUN_GRID(k_unary, p, rr(1, 3), items);
		check_bytes(got, want, is * items, npurt_cpu_op_name(p.op), c);
		free(x);
		free(want);
		free(got);
	}
}

/* ---- LAYER_NORM -------------------------------------------------------- */

static void test_lnorm(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 200; c++) {
		struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_LAYER_NORM);
		uint64_t rows = rr(1, 40), n = rr(1, c % 5 ? 200 : 1000);
		uint64_t nx = rows * n, x_is = 4 * nx + 4 * rr(0, 3);
		unsigned int it, items = rr(1, 3);
		bool has_bias = rnd() % 4 != 0;
		float *x, *scale, *bias, *want, *got;
		struct g_lnorm p;

		/* edges in a few rows only: a NaN or infinity fills its row */
		edge_every = c % 4 == 0 ? 300 : 0;
		x = rnd_floats(x_is / 4 * items);
		scale = rnd_floats(n);
		bias = rnd_floats(n);
		want = malloc(x_is * items);
		got = malloc(x_is * items);
		assert_true(want && got);
		op.p[0] = (int64_t)rows;
		op.p[1] = (int64_t)n;
		op.f[0] = c % 3 ? 1e-5f : 1e-12f;
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, nx);
		op.in[1] = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, n);
		if (has_bias)
			op.in[2] = cpu_step_ref(2, NPURT_DTYPE_FLOAT32, n);
		op.out = cpu_step_ref(3, NPURT_DTYPE_FLOAT32, nx);
		memset(want, 0xa5, x_is * items);
		for (it = 0; it < items; it++) {
			uint8_t *bases[4] = { (uint8_t *)x + it * x_is,
					      (uint8_t *)scale,
					      (uint8_t *)bias,
					      (uint8_t *)want + it * x_is };

			npurt_cpu_op_run(&op, bases);
		}
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.scale = (g_u64)(uintptr_t)scale;
		p.bias = has_bias ? (g_u64)(uintptr_t)bias : 0;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = x_is;
		p.y_is = x_is;
		p.rows = rows;
		p.n = n;
		memcpy(&p.eps, &op.f[0], 4);
		memset(got, 0xa5, x_is * items);
		RUN_GRID(k_lnorm, p, rr(1, 2), items);
		check_bytes(got, want, x_is * items, "LAYER_NORM", c);
		free(x);
		free(scale);
		free(bias);
		free(want);
		free(got);
	}
	edge_every = 50;
}

/* ---- QLINEAR_SOFTMAX --------------------------------------------------- */

static void test_qsm(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 300; c++) {
		struct npurt_cpu_op op =
			cpu_step_new(NPURT_CPU_QLINEAR_SOFTMAX);
		uint64_t outer = rr(1, 6), len = rr(1, c % 3 ? 40 : 300);
		uint64_t inner = rr(1, c % 2 ? 1 : 4), n = outer * len * inner;
		uint64_t is = n + rr(0, 5), i;
		unsigned int items = rr(1, 3);
		bool sgn = rnd() % 2, osgn = rnd() % 2;
		uint8_t *x = malloc(is * items), *want = malloc(is * items);
		uint8_t *got = malloc(is * items);
		float ys, yzp;
		struct g_qsm p;

		assert_true(x && want && got);
		for (i = 0; i < is * items; i++)
			x[i] = (uint8_t)(c % 5 == 0 ? rr(0, 3) : rnd());
		op.p[0] = (int64_t)outer;
		op.p[1] = (int64_t)len;
		op.p[2] = (int64_t)inner;
		op.p[3] = sgn ? (int)rr(0, 255) - 128 : (int)rr(0, 255);
		op.p[4] = osgn ? (int)rr(0, 255) - 128 : (int)rr(0, 255);
		op.f[0] = c % 4 ? 0.05f + (float)rr(0, 1000) / 4000.0f :
			  (float)rr(1, 1000) / 1e6f;
		/* now and then an output scale so small that values pass
		 * the int32 range (the host's conversion's edge) */
		op.f[1] = c % 9 == 0 ? 1e-12f : 1.0f / (float)rr(200, 256);
		op.in[0] = cpu_step_ref(0, sgn ? NPURT_DTYPE_INT8 :
					NPURT_DTYPE_UINT8, n);
		op.out = cpu_step_ref(1, osgn ? NPURT_DTYPE_INT8 :
				      NPURT_DTYPE_UINT8, n);
		cpu_items(&op, x, is, want, is, items);
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = is;
		p.y_is = is;
		p.outer = outer;
		p.len = len;
		p.inner = inner;
		p.sgn = sgn;
		p.out_sgn = osgn;
		ys = floorf(1.0f / op.f[1]);
		yzp = (float)op.p[4];
		memcpy(&p.ys, &ys, 4);
		memcpy(&p.yzp, &yzp, 4);
		npurt_cpu_qsm_table(p.t, op.f[0], len, sgn);
		memset(got, 0xa5, is * items);
		RUN_GRID(k_qsm, p, rr(1, 2), items);
		for (i = 0; i < is * items; i++)
			if (got[i] != want[i])
				fail_msg("QLINEAR_SOFTMAX case %u: byte %llu "
					 "is 0x%02x, want 0x%02x", c,
					 (unsigned long long)i, got[i],
					 want[i]);
		free(x);
		free(want);
		free(got);
	}
}

/* ---- REDUCE ------------------------------------------------------------ */

static void test_reduce(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 600; c++) {
		struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_REDUCE);
		uint64_t outer = rr(1, 5), inner = rr(1, c % 2 ? 1 : 5);
		uint64_t len = c % 11 == 0 ? 1 : rr(1, c % 3 ? 40 : 400);
		uint64_t n = outer * len * inner, x_is = 4 * n + 4 * rr(0, 3);
		uint64_t ny = outer * inner, y_is = 4 * ny + 4 * rr(0, 2), i;
		unsigned int items = rr(1, 3), mode = c % 10;
		float *x, *want, *got;
		struct g_reduce p;

		/* NaN and infinity in some rows (every mode in turn); most
		 * cases without, and in some +-2^60 here and there, where
		 * binary64 loses the small values that the order puts next
		 * to them: then the order shows in binary32 */
		edge_every = c / 10 % 3 == 0 ? 30 : 0;
		x = rnd_floats(x_is / 4 * items);
		for (i = 0; c / 10 % 3 == 1 && i < x_is / 4 * items; i++)
			if (rnd() % 8 == 0)
				x[i] = rnd() % 2 ? 0x1p60f : -0x1p60f;
		want = malloc(y_is * items);
		got = malloc(y_is * items);
		assert_true(want && got);
		op.p[0] = (int64_t)outer;
		op.p[1] = (int64_t)len;
		op.p[2] = (int64_t)inner;
		op.p[3] = mode;
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, n);
		op.out = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, ny);
		cpu_items(&op, x, x_is, want, y_is, items);
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = x_is;
		p.y_is = y_is;
		p.outer = outer;
		p.len = len;
		p.inner = inner;
		p.mode = mode;
		memset(got, 0xa5, y_is * items);
		RUN_GRID(k_reduce, p, rr(1, 2), items);
		check_bytes(got, want, y_is * items, "REDUCE", c);
		free(x);
		free(want);
		free(got);
	}
	edge_every = 50;
}

/* ---- RESIZE ------------------------------------------------------------ */

/* An output length of @in and the scale f giving it (0: from sizes). */
static int64_t rs_len(int64_t in, float *f)
{
	int64_t out;

	if (rnd() % 2) {
		*f = 0;
		return rr(1, (uint32_t)(3 * in));
	}
	do {	/* ONNX's floor(scale x in), at least 1 */
		*f = rnd() % 2 ? (float)rr(1, 32) / 8.0f :
		     (float)rr(1, 40) / (float)rr(3, 17);
		out = (int64_t)floor((double)*f * (double)in);
	} while (out < 1);
	return out;
}

static void test_resize(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 900; c++) {
		struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_RESIZE);
		int64_t *q = op.p;
		unsigned int items = rr(1, 3), mode = c % 3;
		uint64_t nx, ny, x_is, y_is, i;
		float *x, *want, *got;
		struct g_resize p;

		edge_every = c % 5 == 0 ? 40 : 0;
		q[0] = rr(1, 2);
		q[1] = rr(1, 3);
		q[2] = rr(1, c % 4 ? 9 : 20);
		q[3] = rr(1, c % 4 ? 9 : 20);
		q[4] = rs_len(q[2], &op.f[0]);
		q[5] = rs_len(q[3], &op.f[1]);
		q[6] = mode;
		q[7] = c / 3 % 5;
		q[8] = mode == 0 ? rr(0, 3) : 0;
		q[9] = mode == 2 ? rr(0, 1) : 0;
		/* ONNX's -0.75, PyTorch's -0.5, or any other */
		op.f[2] = mode != 2 ? 0.0f : c % 4 == 1 ? -0.75f :
			  c % 4 == 2 ? -0.5f : -(float)rr(1, 1000) / 999.0f;
		nx = (uint64_t)(q[0] * q[1] * q[2] * q[3]);
		ny = (uint64_t)(q[0] * q[1] * q[4] * q[5]);
		x_is = 4 * nx + 4 * rr(0, 3);
		y_is = 4 * ny + 4 * rr(0, 3);
		x = rnd_floats(x_is / 4 * items);
		/* in some, +-2^60 here and there: sums that cancel show
		 * the weights' last bits */
		for (i = 0; c % 4 == 3 && i < x_is / 4 * items; i++)
			if (rnd() % 3 == 0)
				x[i] = rnd() % 2 ? 0x1p60f : -0x1p60f;
		want = malloc(y_is * items);
		got = malloc(y_is * items);
		assert_true(want && got);
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, nx);
		op.out = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, ny);
		cpu_items(&op, x, x_is, want, y_is, items);
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = x_is;
		p.y_is = y_is;
		p.nc = q[0] * q[1];
		p.h = q[2];
		p.w = q[3];
		p.oh = q[4];
		p.ow = q[5];
		p.mode = mode;
		p.coord = (g_u32)q[7];
		p.nearest = (g_u32)q[8];
		p.exclude = (g_u32)q[9];
		memcpy(&p.fh, &op.f[0], 4);
		memcpy(&p.fw, &op.f[1], 4);
		memcpy(&p.cubic, &op.f[2], 4);
		memset(got, 0xa5, y_is * items);
		RUN_GRID(k_resize, p, rr(1, 3), items);
		check_bytes(got, want, y_is * items, "RESIZE", c);
		free(x);
		free(want);
		free(got);
	}
	edge_every = 50;
}

/* ---- per-axis QUANTIZE and DEQUANTIZE, QUANTIZE's p[3] form ------------ */

/* A zero point of @dt (NPURT_DTYPE_*). */
static int32_t rnd_zp(uint32_t dt)
{
	return dt == NPURT_DTYPE_INT8 ? (int32_t)rr(0, 255) - 128 :
	       dt == NPURT_DTYPE_UINT8 ? (int32_t)rr(0, 255) :
	       (int32_t)rnd();
}

static void test_qstep(void **state)
{
	static const uint32_t q8[] = { NPURT_DTYPE_INT8, NPURT_DTYPE_UINT8 };
	unsigned int c;

	(void)state;
	for (c = 0; c < 600; c++) {
		unsigned int form = c % 4, it, items = rr(1, 3);
		bool quant = form != 1 && form != 2, zf = form == 3;
		uint32_t qdt = form == 2 ? NPURT_DTYPE_INT32 : q8[c / 4 % 2];
		uint32_t gdt = qdt == NPURT_DTYPE_INT8 ? G_DT_INT8 :
			       qdt == NPURT_DTYPE_UINT8 ? G_DT_UINT8 :
			       G_DT_INT32;
		struct npurt_cpu_op op = cpu_step_new(quant ?
						      NPURT_CPU_QUANTIZE :
						      NPURT_CPU_DEQUANTIZE);
		uint64_t ch = rr(1, 8), inner = c % 3 ? rr(1, 5) : 0;
		uint64_t n = rr(1, 30) * ch * (inner ? inner : 1), i;
		uint64_t qsz = qdt == NPURT_DTYPE_INT32 ? 4 : 1;
		uint64_t isz = quant ? 4 : qsz, osz = quant ? qsz : 4;
		uint64_t in_is = (n * isz + 3) / 4 * 4 + 4 * rr(0, 2);
		uint64_t out_is = (n * osz + 3) / 4 * 4 + 4 * rr(0, 2);
		uint64_t s_is = rnd() % 2 ? 4 * ch : 0;	/* 0: shared */
		uint64_t z_is = rnd() % 2 ? 4 * ch : 0;
		bool has_zp = !zf && rnd() % 3 != 0;
		uint8_t *x = malloc(in_is * items);
		uint8_t *want = malloc(out_is * items);
		uint8_t *got = malloc(out_is * items);
		uint8_t *zps = malloc(4 * ch * items);
		float *scales = rnd_floats(ch * items);
		struct g_qstep p;

		assert_true(x && want && got && zps);
		if (quant) {
			float *xf = rnd_floats(in_is / 4 * items);

			memcpy(x, xf, in_is * items);
			free(xf);
		} else {
			for (i = 0; i < in_is * items; i++)
				x[i] = (uint8_t)rnd();
		}
		/* ordinary scales in most cases; any float in some */
		for (i = 0; i < ch * items; i++)
			if (c % 5 || zf)
				scales[i] = c % 7 == 0 ? 0.0038f :
					    (float)rr(1, 4000) / 1e4f;
		for (i = 0; i < ch * items; i++) {
			int32_t z = rnd_zp(qdt);

			if (qsz == 4)
				memcpy(zps + 4 * i, &z, 4);
			else
				zps[i] = (uint8_t)z;
		}
		if (zf && c % 8 == 7) {
			/* halves and quarters of a scale of 2^-k: ties
			 * that show where the zero point is added */
			scales[0] = ldexpf(1.0f, -(int)rr(0, 4));
			for (i = 0; i < in_is / 4 * items; i++) {
				float v = (float)((int)rr(0, 400) - 200) +
					  (rnd() % 2 ? 0.5f : 0.25f);

				v *= scales[0];
				memcpy(x + 4 * i, &v, 4);
			}
		}
		if (zf) {
			op.f[0] = scales[0];
			op.p[1] = rnd_zp(qdt);
			op.p[3] = 1;
		} else {
			op.p[0] = (int64_t)ch;
			op.p[2] = (int64_t)inner;
			op.in[1] = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, ch);
			if (has_zp)
				op.in[2] = cpu_step_ref(2, qdt, ch);
		}
		op.in[0] = cpu_step_ref(0, quant ? NPURT_DTYPE_FLOAT32 : qdt, n);
		op.out = cpu_step_ref(3, quant ? qdt : NPURT_DTYPE_FLOAT32, n);
		memset(want, 0xa5, out_is * items);
		for (it = 0; it < items; it++) {
			uint8_t *bases[4] = { x + it * in_is,
					      (uint8_t *)scales + it * s_is,
					      zps + it * z_is,
					      want + it * out_is };

			npurt_cpu_op_run(&op, bases);
		}
		memset(&p, 0, sizeof(p));
		p.in = (g_u64)(uintptr_t)x;
		p.out = (g_u64)(uintptr_t)got;
		p.in_is = in_is;
		p.out_is = out_is;
		p.count = n;
		p.dtype = gdt;
		if (zf) {
			p.form = G_QS_QUANT_ZF;
			memcpy(&p.scale, &op.f[0], 4);
			p.zp = (g_s32)op.p[1];
		} else {
			p.form = quant ? G_QS_QUANT : G_QS_DEQUANT;
			p.scales = (g_u64)(uintptr_t)scales;
			p.scales_is = s_is;
			p.zps = has_zp ? (g_u64)(uintptr_t)zps : 0;
			p.zps_is = has_zp ? z_is : 0;
			p.channels = ch;
			p.inner = inner ? inner : 1;
		}
		memset(got, 0xa5, out_is * items);
		RUN_GRID(k_qstep, p, rr(1, 2), items);
		if (!quant) {
			check_bytes(got, want, out_is * items, "DEQUANTIZE "
				    "per axis", c);
		} else {
			for (i = 0; i < out_is * items; i++)
				if (got[i] != want[i])
					fail_msg("QUANTIZE %s case %u: byte "
						 "%llu is 0x%02x, want 0x%02x",
						 zf ? "p[3]" : "per axis", c,
						 (unsigned long long)i, got[i],
						 want[i]);
		}
		free(x);
		free(want);
		free(got);
		free(zps);
		free(scales);
	}
}

/* ---- SOFTMAX, LOG_SOFTMAX ------------------------------------------------ */

static void test_softmax(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 200; c++) {
		uint32_t opc = c % 2 ? NPURT_CPU_LOG_SOFTMAX : NPURT_CPU_SOFTMAX;
		struct npurt_cpu_op op = cpu_step_new(opc);
		uint64_t outer = rr(1, 6), len = rr(1, c % 5 ? 40 : 1100);
		uint64_t inner = rr(1, c % 3 ? 1 : 7), n = outer * len * inner;
		uint64_t is = 4 * n + 4 * rr(0, 3);
		unsigned int items = rr(1, 3);
		float *x, *want, *got;
		struct g_softmax p;

		/* edges in a few rows only: a NaN or infinity fills its row */
		edge_every = c % 4 == 0 ? 300 : 0;
		x = rnd_floats(is / 4 * items);
		want = malloc(is * items);
		got = malloc(is * items);
		assert_true(want && got);
		op.p[0] = (int64_t)outer;
		op.p[1] = (int64_t)len;
		op.p[2] = (int64_t)inner;
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, n);
		op.out = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, n);
		cpu_items(&op, x, is, want, is, items);
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = is;
		p.y_is = is;
		p.outer = outer;
		p.len = len;
		p.inner = inner;
		p.log = opc == NPURT_CPU_LOG_SOFTMAX;
		memset(got, 0xa5, is * items);
		RUN_GRID(k_softmax, p, rr(1, 2), items);
		check_bytes(got, want, is * items, npurt_cpu_op_name(opc), c);
		free(x);
		free(want);
		free(got);
	}
	edge_every = 50;
}

/* ---- POOL, the naive CONV: geometry ------------------------------------ */

/*
 * A random window along one axis: input @n, kernel @k, stride @s, pads
 * @pa, @pb, dilation @d, output @o (floor mode, or one more in ceil mode
 * where the last window still starts inside the input or its leading
 * pad, as pool_ck() allows; @ceil 0 for CONV).
 */
static void rnd_axis(bool ceil, int64_t *n, int64_t *k, int64_t *s,
		     int64_t *pa, int64_t *pb, int64_t *d, int64_t *o)
{
	int64_t span;

	*k = rr(1, 4);
	*s = rr(1, 3);
	*d = rnd() % 4 ? 1 : 2;
	*pa = rnd() % 2 ? 0 : rr(0, 2);
	*pb = rnd() % 2 ? 0 : rr(0, 2);
	do
		*n = rr(1, 12);
	while (*n + *pa + *pb < *d * (*k - 1) + 1);
	span = *n + *pa + *pb - *d * (*k - 1) - 1;
	*o = span / *s + 1;
	if (ceil && rnd() % 2 && *o * *s < *n + *pa)
		++*o;
}

/* A 1-D axis: one element, a kernel of one, nothing else. */
static void one_axis(int64_t *n, int64_t *k, int64_t *s, int64_t *pa,
		     int64_t *pb, int64_t *d, int64_t *o)
{
	*n = *k = *s = *d = *o = 1;
	*pa = *pb = 0;
}

/*
 * Step @q's geometry, @dims (1 to 3) axes: H and W (p[2..17]), and D
 * (p[19..25]) for 3 axes; a 1-D step has H = 1.
 */
static void rnd_geometry(int64_t *q, unsigned int dims, bool ceil)
{
	if (dims == 1)
		one_axis(&q[2], &q[5], &q[7], &q[9], &q[11], &q[13], &q[16]);
	else
		rnd_axis(ceil, &q[2], &q[5], &q[7], &q[9], &q[11], &q[13],
			 &q[16]);
	rnd_axis(ceil, &q[3], &q[6], &q[8], &q[10], &q[12], &q[14], &q[17]);
	if (dims == 3)
		rnd_axis(ceil, &q[19], &q[20], &q[21], &q[22], &q[23], &q[24],
			 &q[25]);
}

/* The depth of step @q as geo_of() in cpu_ops.c (2-D: 1). */
static void depth_of(const int64_t *q, int64_t *g)
{
	int64_t two_d[7] = { 1, 1, 1, 0, 0, 1, 1 };
	unsigned int i;

	for (i = 0; i < 7; i++)
		g[i] = q[19] ? q[19 + i] : two_d[i];
}

/* The kernels' window of step parameters @q with depth @g (depth_of()) */
static struct g_win win_of(const int64_t *q, const int64_t *g)
{
	struct g_win w;

	w.d = g[0]; w.h = q[2]; w.w = q[3];
	w.od = g[6]; w.oh = q[16]; w.ow = q[17];
	w.kd = g[1]; w.kh = q[5]; w.kw = q[6];
	w.sd = g[2]; w.sh = q[7]; w.sw = q[8];
	w.dd = g[5]; w.dh = q[13]; w.dw = q[14];
	w.pf = g[3]; w.pt = q[9]; w.pl = q[10];
	w.pk = g[4]; w.pb = q[11]; w.pr = q[12];
	return w;
}

/* ---- POOL -------------------------------------------------------------- */

static void test_fpool(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 400; c++) {
		struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_POOL);
		int64_t *q = op.p, g[7];	/* D, KD, sd, pf, pk, dd, OD */
		unsigned int items = rr(1, 3), dims = c % 5 == 0 ? 1 :
							   c % 3 == 0 ? 3 : 2;
		uint64_t nx, ny, x_is, y_is;
		float *x, *want, *got;
		struct g_fpool p;

		q[0] = rr(1, 2);
		q[1] = rr(1, 4);
		rnd_geometry(q, dims, true);
		q[18] = rr(0, 2);
		q[26] = rnd() % 2;
		depth_of(q, g);
		/*
		 * max: every edge; sums: edges in few cases (a NaN or an
		 * infinity fills its windows)
		 */
		edge_every = !q[18] ? 8 : c % 4 == 0 ? 60 : 0;
		nx = (uint64_t)(q[0] * q[1] * g[0] * q[2] * q[3]);
		ny = (uint64_t)(q[0] * q[1] * g[6] * q[16] * q[17]);
		x_is = 4 * nx + 4 * rr(0, 3);
		y_is = 4 * ny + 4 * rr(0, 3);
		x = rnd_floats(x_is / 4 * items);
		want = malloc(y_is * items);
		got = malloc(y_is * items);
		assert_true(want && got);
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, nx);
		op.out = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, ny);
		cpu_items(&op, x, x_is, want, y_is, items);
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = x_is;
		p.y_is = y_is;
		p.nc = q[0] * q[1];
		p.win = win_of(q, g);
		p.avg = q[18] != 0;
		p.count_in = q[18] == 1;
		p.f32 = q[26] != 0;
		memset(got, 0xa5, y_is * items);
		RUN_GRID(k_fpool, p, rr(1, 3), items);
		check_bytes(got, want, y_is * items, "POOL", c);
		free(x);
		free(want);
		free(got);
	}
	edge_every = 50;
}

/* ---- the naive CONV ---------------------------------------------------- */

/*
 * Makes the naive CONV's sums cancel: half the inputs +-2^50, the weights
 * +-1 or +-2, so that a sum's large terms often cancel to 0 and leave
 * what of the small ones its roundings kept, which the order of its
 * additions decides.
 */
static void conv_cancel(float *x, uint64_t nx, float *w, uint64_t nw)
{
	uint64_t i;

	for (i = 0; i < nx; i++)
		if (rnd() % 2)
			x[i] = rnd() % 2 ? ldexpf(1, 50) : -ldexpf(1, 50);
	for (i = 0; i < nw; i++)
		w[i] = (float)((rnd() % 2 ? 1 : -1) * (int)rr(1, 2));
}

static void test_fconv(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 300; c++) {
		struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_CONV);
		int64_t *q = op.p, g[7], grp = rr(1, 3), cg, og;
		unsigned int it, items = rr(1, 3), dims = c % 5 == 0 ? 1 :
							   c % 3 == 0 ? 3 : 2;
		bool has_bias = rnd() % 4 != 0;
		uint64_t nx, nw, ny, x_is, w_is, b_is, y_is;
		float *x, *w, *bias, *want, *got;
		struct g_fconv p;

		edge_every = c % 3 == 0 ? 50 : 0;
		cg = c % 7 == 0 ? rr(8, 24) : rr(1, 4);
		og = rr(1, 4);
		q[0] = rr(1, 2);
		q[15] = grp;
		q[1] = grp * cg;
		q[4] = grp * og;
		rnd_geometry(q, dims, false);
		depth_of(q, g);
		nx = (uint64_t)(q[0] * q[1] * g[0] * q[2] * q[3]);
		nw = (uint64_t)(q[4] * cg * g[1] * q[5] * q[6]);
		ny = (uint64_t)(q[0] * q[4] * g[6] * q[16] * q[17]);
		/* weights and bias shared or per item */
		x_is = 4 * nx + 4 * rr(0, 3);
		w_is = rnd() % 2 ? 0 : 4 * nw + 4 * rr(0, 3);
		b_is = rnd() % 2 ? 0 : 4 * (uint64_t)q[4] + 4 * rr(0, 3);
		y_is = 4 * ny + 4 * rr(0, 3);
		x = rnd_floats(x_is / 4 * items);
		w = rnd_floats(w_is ? w_is / 4 * items : nw);
		bias = rnd_floats(b_is ? b_is / 4 * items : (uint64_t)q[4]);
		if (c % 4 == 2)
			conv_cancel(x, x_is / 4 * items, w,
				    w_is ? w_is / 4 * items : nw);
		want = malloc(y_is * items);
		got = malloc(y_is * items);
		assert_true(want && got);
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, nx);
		op.in[1] = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, nw);
		if (has_bias)
			op.in[2] = cpu_step_ref(2, NPURT_DTYPE_FLOAT32,
						(uint64_t)q[4]);
		op.out = cpu_step_ref(3, NPURT_DTYPE_FLOAT32, ny);
		memset(want, 0xa5, y_is * items);
		for (it = 0; it < items; it++) {
			uint8_t *bases[4] = { (uint8_t *)x + it * x_is,
					      (uint8_t *)w + it * w_is,
					      (uint8_t *)bias + it * b_is,
					      (uint8_t *)want + it * y_is };

			npurt_cpu_op_run(&op, bases);
		}
		memset(&p, 0, sizeof(p));
		p.x = (g_u64)(uintptr_t)x;
		p.w = (g_u64)(uintptr_t)w;
		p.bias = has_bias ? (g_u64)(uintptr_t)bias : 0;
		p.y = (g_u64)(uintptr_t)got;
		p.x_is = x_is;
		p.w_is = w_is;
		p.bias_is = b_is;
		p.y_is = y_is;
		p.n = q[0]; p.c = q[1]; p.oc = q[4]; p.groups = q[15];
		p.win = win_of(q, g);
		memset(got, 0xa5, y_is * items);
		RUN_GRID(k_fconv, p, rr(1, 3), items);
		check_bytes(got, want, y_is * items, "naive CONV", c);
		free(x);
		free(w);
		free(bias);
		free(want);
		free(got);
	}
	edge_every = 50;
}

/* ---- the float GEMM ---------------------------------------------------- */

/*
 * Makes the sums of GEMM @q cancel: for k >= h = K / 2, A[m][k] =
 * -A[m][k - h] and B[k][n] = B[k - h][n], A's values scaled by up to 2^60
 * (where @scale: once for a shared A), so that each binary64 sum is what
 * its rounding errors leave, which the order of its additions decides
 * (their bits show in binary32).
 */
static void gemm_cancel(const int64_t *q, float *a, float *b, bool scale)
{
	uint64_t M = (uint64_t)q[0], N = (uint64_t)q[1], K = (uint64_t)q[2];
	uint64_t h = K / 2, bt, m, n, k, i, j;

	for (bt = 0; bt < (uint64_t)q[5]; bt++) {
		float *ab = a + bt * (uint64_t)q[6];
		float *bb = b + bt * (uint64_t)q[7];

		for (m = 0; m < M; m++)
			for (k = 0; k < h; k++) {
				i = q[3] ? k * M + m : m * K + k;
				j = q[3] ? (k + h) * M + m : m * K + k + h;
				if (scale && (!bt || q[6]))
					ab[i] = ldexpf(ab[i], (int)rr(0, 60));
				ab[j] = -ab[i];
			}
		for (n = 0; n < N; n++)
			for (k = 0; k < h; k++) {
				i = q[4] ? n * K + k : k * N + n;
				j = q[4] ? n * K + k + h : (k + h) * N + n;
				bb[j] = bb[i];
			}
	}
}

static void test_fgemm(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 300; c++) {
		struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_GEMM);
		int64_t *q = op.p;
		uint64_t M = rr(1, 24), N = rr(1, 24), K, bt, na, nb, nc, ny;
		uint64_t a_is, b_is, c_is, y_is;
		unsigned int it, items = rr(1, 3), cm = c % 6;
		float *a, *b, *cc, *want, *got;
		struct g_fgemm p;

		edge_every = c % 3 == 0 && c % 5 != 3 ? 50 : 0;
		K = c % 5 == 0 ? rr(100, 400) : rr(1, 30);
		bt = rr(1, 3);
		q[0] = (int64_t)M;
		q[1] = (int64_t)N;
		q[2] = (int64_t)K;
		q[3] = rnd() % 2;
		q[4] = rnd() % 2;
		q[5] = (int64_t)bt;
		/* batch strides: shared (0), dense, or apart */
		q[6] = rnd() % 3 == 0 ? 0 : (int64_t)(M * K + rr(0, 2));
		q[7] = rnd() % 3 == 0 ? 0 : (int64_t)(K * N + rr(0, 2));
		na = (bt - 1) * (uint64_t)q[6] + M * K;
		nb = (bt - 1) * (uint64_t)q[7] + K * N;
		/*
		 * C's strides (m, n): dense, a row for all, a value a row,
		 * a scalar, C^T; 5: no C
		 */
		if (cm < 5) {
			q[8] = cm == 0 ? (int64_t)N : cm == 2 || cm == 4;
			q[9] = cm == 4 ? (int64_t)M : cm < 2;
		}
		nc = (M - 1) * (uint64_t)q[8] + (N - 1) * (uint64_t)q[9] + 1;
		ny = bt * M * N;
		op.f[0] = c % 4 == 0 ? 1.0f : rnd_float();
		op.f[1] = c % 4 == 1 ? 1.0f : c % 4 == 2 ? 0.0f : rnd_float();
		a_is = rnd() % 4 == 0 ? 0 : 4 * na + 4 * rr(0, 3);
		b_is = rnd() % 4 == 0 ? 0 : 4 * nb + 4 * rr(0, 3);
		c_is = rnd() % 2 ? 0 : 4 * nc + 4 * rr(0, 3);
		y_is = 4 * ny + 4 * rr(0, 3);
		a = rnd_floats(a_is ? a_is / 4 * items : na);
		b = rnd_floats(b_is ? b_is / 4 * items : nb);
		/* sums that cancel, from wide values */
		if (c % 5 == 3)
			for (it = 0; it < items; it++)
				gemm_cancel(q, (float *)((uint8_t *)a +
							 it * a_is),
					    (float *)((uint8_t *)b + it * b_is),
					    !it || a_is);
		cc = rnd_floats(c_is ? c_is / 4 * items : nc);
		want = malloc(y_is * items);
		got = malloc(y_is * items);
		assert_true(want && got);
		op.in[0] = cpu_step_ref(0, NPURT_DTYPE_FLOAT32, na);
		op.in[1] = cpu_step_ref(1, NPURT_DTYPE_FLOAT32, nb);
		if (cm < 5)
			op.in[2] = cpu_step_ref(2, NPURT_DTYPE_FLOAT32, nc);
		op.out = cpu_step_ref(3, NPURT_DTYPE_FLOAT32, ny);
		memset(want, 0xa5, y_is * items);
		for (it = 0; it < items; it++) {
			uint8_t *bases[4] = { (uint8_t *)a + it * a_is,
					      (uint8_t *)b + it * b_is,
					      (uint8_t *)cc + it * c_is,
					      (uint8_t *)want + it * y_is };

			npurt_cpu_op_run(&op, bases);
		}
		memset(&p, 0, sizeof(p));
		p.a = (g_u64)(uintptr_t)a;
		p.b = (g_u64)(uintptr_t)b;
		p.c = cm < 5 ? (g_u64)(uintptr_t)cc : 0;
		p.y = (g_u64)(uintptr_t)got;
		p.a_is = a_is;
		p.b_is = b_is;
		p.c_is = c_is;
		p.y_is = y_is;
		p.m = M;
		p.n = N;
		p.k = K;
		p.batch = bt;
		p.sa = (g_u64)q[6];
		p.sb = (g_u64)q[7];
		p.cm = (g_u64)q[8];
		p.cn = (g_u64)q[9];
		p.ta = (g_u32)q[3];
		p.tb = (g_u32)q[4];
		memcpy(&p.alpha, &op.f[0], 4);
		memcpy(&p.beta, &op.f[1], 4);
		memset(got, 0xa5, y_is * items);
		RUN_GRID(k_fgemm, p, rr(1, 3), items);
		check_bytes(got, want, y_is * items, "GEMM", c);
		free(a);
		free(b);
		free(cc);
		free(want);
		free(got);
	}
	edge_every = 50;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dequant),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_sconv),
		cmocka_unit_test(test_unary),
		cmocka_unit_test(test_lnorm),
		cmocka_unit_test(test_qsm),
		cmocka_unit_test(test_softmax),
		cmocka_unit_test(test_reduce),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_qstep),
		cmocka_unit_test(test_fpool),
		cmocka_unit_test(test_fconv),
		cmocka_unit_test(test_fgemm),
	};
	const char *seed = getenv("RM_NPU_TEST_SEED");

	if (seed && *seed)
		rng = strtoull(seed, NULL, 0) | 1;
	printf("seed 0x%llx\n", (unsigned long long)rng);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
