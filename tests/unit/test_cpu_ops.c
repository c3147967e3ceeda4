// SPDX-License-Identifier: MIT
/*
 * test_cpu_ops.c - the float CPU steps added for transformer and CNN float
 * islands (ERF, GELU, LAYER_NORM, REDUCE, POW, RESIZE, QLINEAR_SOFTMAX),
 * run through npurt_cpu_op_check() and npurt_cpu_op_run() against
 * independent reference loops and ONNX's own node tests
 * (tests/onnx/cpu_steps/), and malformed steps refused with a message.
 *
 * Exact equality where the step's arithmetic is fixed by its definition
 * (ERF, POW, max/min reductions, nearest RESIZE, QLINEAR_SOFTMAX against
 * the three steps it fuses); elsewhere the tolerance is stated where it
 * is checked.
 */
#include <errno.h>
#include <float.h>
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
#include "tensor_pb.h"

#define ONNX_DIR	"tests/onnx/cpu_steps"

/* ---- harness: three input slots and one output slot ------------------- */

enum { SA, SB, SC, SY, NSLOTS };

struct harness {
	struct npurt_slot slots[NSLOTS];
	uint64_t sizes[NSLOTS];
	uint8_t *bases[NSLOTS];
};

static void h_init(struct harness *h, const void *a, size_t na, const void *b,
		   size_t nb, const void *c, size_t nc, void *y, size_t ny)
{
	static const char *const names[NSLOTS] = { "a", "b", "c", "y" };
	const void *ptr[NSLOTS] = { a, b, c, y };
	size_t sz[NSLOTS] = { na, nb, nc, ny };
	unsigned int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < NSLOTS; i++) {
		h->slots[i].kind = i == SY ? NPURT_SLOT_OUTPUT :
			NPURT_SLOT_INPUT;
		h->slots[i].size = sz[i];
		snprintf(h->slots[i].desc.name, sizeof(h->slots[i].desc.name),
			 "%s", names[i]);
		h->sizes[i] = sz[i];
		h->bases[i] = (uint8_t *)(uintptr_t)ptr[i];
	}
}

static int h_check(const struct harness *h, const struct npurt_cpu_op *op)
{
	return npurt_cpu_op_check(op, 0, h->slots, h->sizes, NSLOTS);
}

static void h_run(const struct harness *h, const struct npurt_cpu_op *op)
{
	int ret = h_check(h, op);

	if (ret)
		fail_msg("%s step refused: %d %s", npurt_cpu_op_name(op->opcode),
			 ret, npurt_last_error());
	npurt_cpu_op_run(op, h->bases);
}

#define F32	NPURT_DTYPE_FLOAT32

/* ---- numbers ------------------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [lo, hi). */
static float rndf(float lo, float hi)
{
	return lo + (hi - lo) * (float)((rnd() >> 40) * 0x1p-24);
}

static void fill(float *x, size_t n, float lo, float hi)
{
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = rndf(lo, hi);
}

/* Equal, NaN equal to NaN, +0 different from -0. */
static bool same(float a, float b)
{
	return (isnan(a) && isnan(b)) ||
	       (a == b && signbit(a) == signbit(b));
}

static void expect_same(const float *y, const float *want, size_t n,
			const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!same(y[i], want[i]))
			fail_msg("%s: [%zu] = %.9g, expected %.9g", what, i,
				 (double)y[i], (double)want[i]);
}

/* |y - want| <= atol + rtol |want| element-wise (NaN only for NaN). */
static void expect_close(const float *y, const float *want, size_t n,
			 double atol, double rtol, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double d = fabs((double)y[i] - (double)want[i]);

		if (isnan(want[i]) ? !isnan(y[i]) :
		    !(d <= atol + rtol * fabs((double)want[i])))
			fail_msg("%s: [%zu] = %.9g, expected %.9g (atol %g "
				 "rtol %g)", what, i, (double)y[i],
				 (double)want[i], atol, rtol);
	}
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	assert_non_null(p);
	return p;
}

/* ---- ONNX node test data ------------------------------------------------ */

/* @test's test_data_set_0/{input,output}_@k.pb. */
static void onnx_read(const char *test, const char *kind, unsigned int k,
		      struct npu_pb_tensor *t)
{
	char path[512];
	int ret;

	snprintf(path, sizeof(path), "%s/%s/test_data_set_0/%s_%u.pb",
		 ONNX_DIR, test, kind, k);
	ret = npu_pb_read(path, t);
	if (!ret)	/* some tests are in float64: the steps run float32 */
		ret = npu_pb_to_float(t);
	if (ret)
		fail_msg("%s: %s", path, strerror(-ret));
}

static uint64_t dims_prod(const struct npu_pb_tensor *t, unsigned int from,
			  unsigned int to)
{
	uint64_t n = 1;

	for (; from < to; from++)
		n *= (uint64_t)t->dims[from];
	return n;
}

/* ---- ERF and GELU ------------------------------------------------------- */

static const float specials[] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 0.5f, -0.5f,
				  3.0f, -3.0f, 9.0f, -9.0f, 40.0f, -40.0f,
				  1e20f, -1e20f, INFINITY, -INFINITY, NAN };

#define N_UN	(1000 + sizeof(specials) / sizeof(specials[0]))

static void unary_input(float *x)
{
	fill(x, 1000, -6, 6);
	memcpy(x + 1000, specials, sizeof(specials));
}

static void test_erf(void **state)
{
	float x[N_UN], y[N_UN], want[N_UN];
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_ERF);
	struct npu_pb_tensor in, out;
	struct harness h;
	float *yy;
	size_t i;

	(void)state;
	unary_input(x);
	h_init(&h, x, sizeof(x), NULL, 0, NULL, 0, y, sizeof(y));
	op.in[0] = cpu_step_ref(SA, F32, N_UN);
	op.out = cpu_step_ref(SY, F32, N_UN);
	h_run(&h, &op);
	for (i = 0; i < N_UN; i++)
		want[i] = (float)erf(x[i]);
	expect_same(y, want, N_UN, "ERF");

	/* ONNX test_erf: numpy's float32 erf; tolerance 1e-6 absolute */
	onnx_read("test_erf", "input", 0, &in);
	onnx_read("test_erf", "output", 0, &out);
	assert_int_equal(in.count, out.count);
	yy = xmalloc(in.count * 4);
	h_init(&h, in.data, in.count * 4, NULL, 0, NULL, 0, yy, in.count * 4);
	op.in[0] = cpu_step_ref(SA, F32, in.count);
	op.out = cpu_step_ref(SY, F32, in.count);
	h_run(&h, &op);
	expect_close(yy, out.data, out.count, 1e-6, 0, "test_erf");
	free(yy);
	npu_pb_free(&in);
	npu_pb_free(&out);
}

/* GELU in long double, as ONNX defines it, with 1 + erf(u) written
 * erfc(-u) and 1 + tanh(u) written 2 / (1 + exp(-2u)) so that the
 * reference itself keeps its precision in the negative tail. */
static long double gelu_ref(float x, bool tanh_approx)
{
	long double d = x, u;

	if (tanh_approx) {
		u = sqrtl(2 / 3.141592653589793238L) *
		    (d + 0.044715L * d * d * d);
		return d / (1 + expl(-2 * u));
	}
	return 0.5L * d * erfcl(-d / sqrtl(2));
}

static void test_gelu(void **state)
{
	/* test_gelu_default_1 and test_gelu_tanh_1 of ONNX (gelu.py):
	 * x = [-1, 0, 1] */
	static const float x3[3] = { -1, 0, 1 };
	static const float exact3[3] = { -0.15865526f, 0, 0.84134474f };
	static const float tanh3[3] = { -0.158808f, 0, 0.841192f };
	float x[N_UN], y[N_UN], y3[3];
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_GELU);
	struct harness h;
	unsigned int v;
	size_t i;

	(void)state;
	unary_input(x);
	for (v = 0; v < 2; v++) {
		op.p[0] = v;
		h_init(&h, x, sizeof(x), NULL, 0, NULL, 0, y, sizeof(y));
		op.in[0] = cpu_step_ref(SA, F32, N_UN);
		op.out = cpu_step_ref(SY, F32, N_UN);
		h_run(&h, &op);
		/* within 2 float ulps of the long double value (or both
		 * zero, or NaN for -inf and NaN) */
		for (i = 0; i < N_UN; i++) {
			long double r = gelu_ref(x[i], v);
			float want = (float)r;

			if (same(y[i], want))
				continue;
			if (isnan(want) || isnan(y[i])) {
				if (!(isnan(y[i]) && (isnan(x[i]) ||
						      x[i] == -INFINITY)))
					fail_msg("GELU %u (%g) = %g, expected "
						 "%Lg", v, (double)x[i],
						 (double)y[i], r);
				continue;
			}
			if (fabsl((long double)y[i] - r) >
			    2 * (long double)(nextafterf(fabsf(want), INFINITY) -
					      fabsf(want)))
				fail_msg("GELU %u (%.9g) = %.9g, expected %.12Lg",
					 v, (double)x[i], (double)y[i], r);
		}
		h_init(&h, x3, sizeof(x3), NULL, 0, NULL, 0, y3, sizeof(y3));
		op.in[0] = cpu_step_ref(SA, F32, 3);
		op.out = cpu_step_ref(SY, F32, 3);
		h_run(&h, &op);
		/* the printed values carry 8 (exact) and 6 (tanh) digits */
		expect_close(y3, v ? tanh3 : exact3, 3, v ? 1e-6 : 1e-7, 0,
			     v ? "test_gelu_tanh_1" : "test_gelu_default_1");
	}
}

/* ---- LAYER_NORM --------------------------------------------------------- */

static void ln_ref(const float *x, const float *scale, const float *bias,
		   uint64_t outer, uint64_t n, float eps, float *y)
{
	uint64_t o, k;

	for (o = 0; o < outer; o++) {
		long double mean = 0, var = 0;

		for (k = 0; k < n; k++)
			mean += x[o * n + k];
		mean /= n;
		for (k = 0; k < n; k++)
			var += (x[o * n + k] - mean) * (x[o * n + k] - mean);
		var /= n;
		for (k = 0; k < n; k++)
			y[o * n + k] = (float)((x[o * n + k] - mean) /
					       sqrtl(var + eps) * scale[k] +
					       (bias ? bias[k] : 0));
	}
}

static void ln_run(const float *x, const float *scale, const float *bias,
		   uint64_t outer, uint64_t n, float eps, float *y)
{
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_LAYER_NORM);
	struct harness h;

	h_init(&h, x, outer * n * 4, scale, n * 4, bias, bias ? n * 4 : 0, y,
	       outer * n * 4);
	op.in[0] = cpu_step_ref(SA, F32, outer * n);
	op.in[1] = cpu_step_ref(SB, F32, n);
	if (bias)
		op.in[2] = cpu_step_ref(SC, F32, n);
	op.out = cpu_step_ref(SY, F32, outer * n);
	op.p[0] = (int64_t)outer;
	op.p[1] = (int64_t)n;
	op.f[0] = eps;
	h_run(&h, &op);
}

static const struct {
	const char *test;
	unsigned int axis;
	float eps;
} ln_cases[] = {
	{ "test_layer_normalization_2d_axis0", 0, 1e-5f },
	{ "test_layer_normalization_2d_axis1", 1, 1e-5f },
	{ "test_layer_normalization_3d_axis1_epsilon", 1, 0.1f },
	{ "test_layer_normalization_3d_axis2_epsilon", 2, 0.1f },
	{ "test_layer_normalization_4d_axis0", 0, 1e-5f },
	{ "test_layer_normalization_4d_axis2", 2, 1e-5f },
	{ "test_layer_normalization_4d_axis_negative_1", 3, 1e-5f },
	{ "test_layer_normalization_default_axis", 3, 1e-5f },	/* -1 */
};

static void test_layer_norm(void **state)
{
	static const uint64_t shapes[][2] = { { 1, 1 }, { 3, 7 }, { 5, 768 },
					      { 2, 1000 } };
	float *x, *s, *b, *y, *want;
	unsigned int i, withb;

	(void)state;
	/* random rows with an offset (the mean matters), with and without
	 * bias: within 1e-6 (1 + |y|) of the long double reference */
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		uint64_t outer = shapes[i][0], n = shapes[i][1];

		x = xmalloc(outer * n * 4);
		y = xmalloc(outer * n * 4);
		want = xmalloc(outer * n * 4);
		s = xmalloc(n * 4);
		b = xmalloc(n * 4);
		fill(x, outer * n, 97, 103);
		fill(s, n, -2, 2);
		fill(b, n, -1, 1);
		for (withb = 0; withb < 2; withb++) {
			ln_run(x, s, withb ? b : NULL, outer, n, 1e-5f, y);
			ln_ref(x, s, withb ? b : NULL, outer, n, 1e-5f, want);
			expect_close(y, want, outer * n, 1e-6, 1e-6,
				     withb ? "LAYER_NORM with bias" :
				     "LAYER_NORM without bias");
		}
		free(x);
		free(y);
		free(want);
		free(s);
		free(b);
	}
	/* ONNX's (float32 numpy): atol 1e-5, rtol 1e-5 */
	for (i = 0; i < sizeof(ln_cases) / sizeof(ln_cases[0]); i++) {
		struct npu_pb_tensor tx, ts, tb, ty;
		uint64_t outer, n;

		onnx_read(ln_cases[i].test, "input", 0, &tx);
		onnx_read(ln_cases[i].test, "input", 1, &ts);
		onnx_read(ln_cases[i].test, "input", 2, &tb);
		onnx_read(ln_cases[i].test, "output", 0, &ty);
		outer = dims_prod(&tx, 0, ln_cases[i].axis);
		n = dims_prod(&tx, ln_cases[i].axis, tx.ndim);
		assert_int_equal(ts.count, n);
		assert_int_equal(tb.count, n);
		y = xmalloc(tx.count * 4);
		ln_run(tx.data, ts.data, tb.data, outer, n, ln_cases[i].eps, y);
		expect_close(y, ty.data, ty.count, 1e-5, 1e-5,
			     ln_cases[i].test);
		free(y);
		npu_pb_free(&tx);
		npu_pb_free(&ts);
		npu_pb_free(&tb);
		npu_pb_free(&ty);
	}
}

/* ---- REDUCE ------------------------------------------------------------- */

static float reduce_ref(const float *x, uint64_t len, uint64_t stride,
			int mode)
{
	long double acc = mode == 4 ? 1 : 0, mx = 0;
	float m = x[0];
	uint64_t k;

	for (k = 0; k < len; k++) {
		float v = x[k * stride];

		if (isnan(v) || isnan(m))
			m = NAN;
		else if (mode == 3 ? v < m : v > m)
			m = v;
	}
	if (mode == 2 || mode == 3)
		return m;
	if (mode == 9)
		mx = isfinite(m) ? m : 0;
	for (k = 0; k < len; k++) {
		long double v = x[k * stride];

		switch (mode) {
		case 4: acc *= v; break;
		case 5: case 6: acc += v * v; break;
		case 7: acc += fabsl(v); break;
		case 9: acc += expl(v - mx); break;
		default: acc += v; break;
		}
	}
	switch (mode) {
	case 0: return (float)(acc / len);
	case 6: return (float)sqrtl(acc);
	case 8: return (float)logl(acc);
	case 9: return (float)(mx + logl(acc));
	default: return (float)acc;
	}
}

static void reduce_run(const float *x, uint64_t outer, uint64_t len,
		       uint64_t inner, int mode, float *y)
{
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_REDUCE);
	struct harness h;

	h_init(&h, x, outer * len * inner * 4, NULL, 0, NULL, 0, y,
	       outer * inner * 4);
	op.in[0] = cpu_step_ref(SA, F32, outer * len * inner);
	op.out = cpu_step_ref(SY, F32, outer * inner);
	op.p[0] = (int64_t)outer;
	op.p[1] = (int64_t)len;
	op.p[2] = (int64_t)inner;
	op.p[3] = mode;
	h_run(&h, &op);
}

static const struct {
	const char *test;
	int mode;
	unsigned int first, count;	/* the reduced axes */
} reduce_cases[] = {
	{ "test_reduce_mean_keepdims_random", 0, 1, 1 },
	{ "test_reduce_mean_do_not_keepdims_random", 0, 1, 1 },
	{ "test_reduce_mean_default_axes_keepdims_random", 0, 0, 3 },
	{ "test_reduce_sum_keepdims_random", 1, 1, 1 },
	{ "test_reduce_sum_do_not_keepdims_random", 1, 1, 1 },
	{ "test_reduce_sum_default_axes_keepdims_random", 1, 0, 3 },
	{ "test_reduce_max_keepdims_random", 2, 1, 1 },
	{ "test_reduce_max_do_not_keepdims_random", 2, 1, 1 },
	{ "test_reduce_max_default_axes_keepdims_random", 2, 0, 3 },
	{ "test_reduce_min_keepdims_random", 3, 1, 1 },
	{ "test_reduce_min_default_axes_keepdims_random", 3, 0, 3 },
	{ "test_reduce_prod_keepdims_random", 4, 1, 1 },
	{ "test_reduce_prod_default_axes_keepdims_random", 4, 0, 3 },
	{ "test_reduce_sum_square_keepdims_random", 5, 1, 1 },
	{ "test_reduce_sum_square_default_axes_keepdims_random", 5, 0, 3 },
	{ "test_reduce_l2_do_not_keepdims_random", 6, 2, 1 },
	{ "test_reduce_l2_default_axes_keepdims_random", 6, 0, 3 },
	{ "test_reduce_l1_do_not_keepdims_random", 7, 2, 1 },
	{ "test_reduce_l1_default_axes_keepdims_random", 7, 0, 3 },
	{ "test_reduce_log_sum_asc_axes", 8, 0, 2 },
	{ "test_reduce_log_sum_desc_axes", 8, 1, 2 },
	{ "test_reduce_log_sum_negative_axes", 8, 1, 1 },
	{ "test_reduce_log_sum_default", 8, 0, 3 },
	{ "test_reduce_log_sum_exp_keepdims_random", 9, 1, 1 },
	{ "test_reduce_log_sum_exp_do_not_keepdims_random", 9, 1, 1 },
	{ "test_reduce_log_sum_exp_default_axes_keepdims_random", 9, 0, 3 },
};

static void test_reduce(void **state)
{
	/* outer, len, inner: the output shape is the same with or without
	 * keepdims */
	static const uint64_t shapes[][3] = { { 1, 1, 1 }, { 1, 17, 1 },
					      { 4, 1, 3 }, { 3, 5, 7 },
					      { 2, 300, 1 }, { 1, 64, 9 } };
	float *x, *y, *want;
	unsigned int i, mode;
	uint64_t o, j, n;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		uint64_t outer = shapes[i][0], len = shapes[i][1];
		uint64_t inner = shapes[i][2];

		n = outer * len * inner;
		x = xmalloc(n * 4);
		y = xmalloc(outer * inner * 4);
		want = xmalloc(outer * inner * 4);
		for (mode = 0; mode <= 9; mode++) {
			/* positive for the log of a sum, near 1 for products */
			if (mode == 8)
				fill(x, n, 0.1f, 3);
			else if (mode == 4)
				fill(x, n, 0.9f, 1.1f);
			else
				fill(x, n, -3, 3);
			reduce_run(x, outer, len, inner, (int)mode, y);
			for (o = 0; o < outer; o++)
				for (j = 0; j < inner; j++)
					want[o * inner + j] = reduce_ref(
						x + o * len * inner + j, len,
						inner, (int)mode);
			if (mode == 2 || mode == 3)
				expect_same(y, want, outer * inner, "REDUCE");
			else	/* double accumulation: 2 float ulps */
				expect_close(y, want, outer * inner, 1e-6,
					     2.4e-7, "REDUCE");
		}
		free(x);
		free(y);
		free(want);
	}
	/* NaN propagates through max and min, +-inf through log-sum-exp */
	{
		float v[4] = { 1, NAN, 3, 2 }, r;

		reduce_run(v, 1, 4, 1, 2, &r);
		assert_true(isnan(r));
		reduce_run(v, 1, 4, 1, 3, &r);
		assert_true(isnan(r));
		v[1] = INFINITY;
		reduce_run(v, 1, 4, 1, 9, &r);
		assert_true(r == INFINITY);
		v[0] = v[1] = v[2] = v[3] = -INFINITY;
		reduce_run(v, 1, 4, 1, 9, &r);
		assert_true(r == -INFINITY);
	}
	/* ONNX's (float32 numpy): atol 1e-6, rtol 1e-5 */
	for (i = 0; i < sizeof(reduce_cases) / sizeof(reduce_cases[0]); i++) {
		struct npu_pb_tensor tx, ty;
		unsigned int a = reduce_cases[i].first;
		unsigned int b = a + reduce_cases[i].count;

		onnx_read(reduce_cases[i].test, "input", 0, &tx);
		onnx_read(reduce_cases[i].test, "output", 0, &ty);
		assert_true(b <= tx.ndim);
		y = xmalloc(ty.count * 4);
		reduce_run(tx.data, dims_prod(&tx, 0, a), dims_prod(&tx, a, b),
			   dims_prod(&tx, b, tx.ndim), reduce_cases[i].mode, y);
		assert_int_equal(ty.count, dims_prod(&tx, 0, a) *
				 dims_prod(&tx, b, tx.ndim));
		expect_close(y, ty.data, ty.count, 1e-6, 1e-5,
			     reduce_cases[i].test);
		free(y);
		npu_pb_free(&tx);
		npu_pb_free(&ty);
	}
}

/* ---- POW ---------------------------------------------------------------- */

/*
 * numpy broadcasting of a [ra dims] and b [rb dims]: the output dims
 * (rank r = max) in @od and the element strides of a and b per output
 * axis (0 where broadcast), the step's p[] layout.
 */
static unsigned int bcast(const int64_t *ad, unsigned int ra,
			  const int64_t *bd, unsigned int rb, int64_t *od,
			  int64_t *sa, int64_t *sb)
{
	unsigned int r = ra > rb ? ra : rb, k;
	int64_t ma = 1, mb = 1;

	for (k = r; k-- > 0;) {
		int64_t da = k + ra >= r ? ad[k + ra - r] : 1;
		int64_t db = k + rb >= r ? bd[k + rb - r] : 1;

		assert_true(da == db || da == 1 || db == 1);
		od[k] = da > db ? da : db;
		sa[k] = da == 1 ? 0 : ma;
		sb[k] = db == 1 ? 0 : mb;
		ma *= da;
		mb *= db;
	}
	return r;
}

/* The binary steps' definitions, element by element. */
static float binop_ref(uint32_t opcode, float u, float v)
{
	switch (opcode) {
	case NPURT_CPU_ADD: return u + v;
	case NPURT_CPU_SUB: return u - v;
	case NPURT_CPU_MUL: return u * v;
	case NPURT_CPU_DIV: return u / v;
	case NPURT_CPU_MAX: return u > v ? u : v;
	case NPURT_CPU_MIN: return u < v ? u : v;
	default: return (float)pow(u, v);
	}
}

/* y = a OP b broadcast; compared exactly with binop_ref() over an index
 * computed from the multi-index (not the step's odometer). */
static void binop_case(uint32_t opcode, const float *a, const int64_t *ad,
		       unsigned int ra, const float *b, const int64_t *bd,
		       unsigned int rb, const float *want, const char *what)
{
	int64_t od[NPURT_CPU_MAX_RANK], sa[NPURT_CPU_MAX_RANK];
	int64_t sb[NPURT_CPU_MAX_RANK], na = 1, nb = 1, ny = 1, i, t;
	struct npurt_cpu_op op = cpu_step_new(opcode);
	unsigned int r, k;
	struct harness h;
	float *y, *ref_y;

	r = bcast(ad, ra, bd, rb, od, sa, sb);
	for (k = 0; k < ra; k++)
		na *= ad[k];
	for (k = 0; k < rb; k++)
		nb *= bd[k];
	for (k = 0; k < r; k++)
		ny *= od[k];
	y = xmalloc((size_t)ny * 4);
	ref_y = xmalloc((size_t)ny * 4);
	h_init(&h, a, (size_t)na * 4, b, (size_t)nb * 4, NULL, 0, y,
	       (size_t)ny * 4);
	op.in[0] = cpu_step_ref(SA, F32, (uint64_t)na);
	op.in[1] = cpu_step_ref(SB, F32, (uint64_t)nb);
	op.out = cpu_step_ref(SY, F32, (uint64_t)ny);
	op.p[0] = r;
	for (k = 0; k < r; k++) {
		op.p[1 + k] = od[k];
		op.p[7 + k] = sa[k];
		op.p[13 + k] = sb[k];
	}
	h_run(&h, &op);
	for (i = 0; i < ny; i++) {
		int64_t ia = 0, ib = 0;

		for (t = i, k = r; k-- > 0; t /= od[k]) {
			ia += (t % od[k]) * sa[k];
			ib += (t % od[k]) * sb[k];
		}
		ref_y[i] = binop_ref(opcode, a[ia], b[ib]);
	}
	expect_same(y, ref_y, (size_t)ny, what);
	/* ONNX's expected values (numpy's float32 power): rtol 1e-6 */
	if (want)
		expect_close(y, want, (size_t)ny, 0, 1e-6, what);
	free(y);
	free(ref_y);
}

/*
 * ADD, SUB, MUL, DIV, MAX and MIN through every variant of their loop
 * (npurt_cpu_step_isa()): inner runs around the vector widths, each input
 * stepping by 1 or broadcast (0) along them or outer axes; NaN, infinities
 * and -0 among the values (MAX and MIN keep their definitions' operand).
 */
static void test_binary_variants(void **state)
{
	static const uint32_t ops[] = { NPURT_CPU_ADD, NPURT_CPU_SUB,
					NPURT_CPU_MUL, NPURT_CPU_DIV,
					NPURT_CPU_MAX, NPURT_CPU_MIN };
	static const int64_t lens[] = { 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100 };
	enum { N = 3 * 100 };
	float a[N], b[N];
	unsigned int v, o, l, form, checked = 0;

	(void)state;
	for (v = 0; v <= 2; v++) {
		if (npurt_cpu_step_isa((int)v) < 0)
			continue;
		for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (form = 0; form < 4; form++) {
			/* a [3, len] with b [3, len], [len], [3, 1], [1] */
			int64_t ad[2] = { 3, lens[l] }, bd[2] = { 3, lens[l] };
			unsigned int rb = 2;
			char what[64];

			if (form == 1) {
				bd[0] = lens[l];
				rb = 1;
			} else if (form == 2) {
				bd[1] = 1;
			} else if (form == 3) {
				bd[0] = 1;
				rb = 1;
			}
			fill(a, N, -4, 4);
			fill(b, N, -4, 4);
			a[1] = NAN;
			b[2] = NAN;
			a[3] = -0.0f;
			b[3] = 0.0f;
			a[4] = INFINITY;
			b[5] = -INFINITY;
			snprintf(what, sizeof(what), "variant %u op %u len %lld "
				 "form %u", v, ops[o], (long long)lens[l], form);
			binop_case(ops[o], a, ad, 2, b, bd, rb, NULL, what);
			checked++;
		}
	}
	assert_int_equal(npurt_cpu_step_isa(-1) >= 0, 1);
	assert_true(checked > 0);
}

static void test_pow(void **state)
{
	static const char *const tests[] = { "test_pow", "test_pow_bcast_array",
					     "test_pow_bcast_scalar",
					     "test_pow_example" };
	static const struct {
		unsigned int ra, rb;
		int64_t ad[4], bd[4];
	} shapes[] = {
		{ 3, 1, { 2, 3, 4 }, { 4 } },		/* row of exponents */
		{ 3, 2, { 2, 1, 4 }, { 3, 1 } },	/* both broadcast */
		{ 1, 3, { 5 }, { 2, 3, 5 } },		/* base broadcast */
		{ 4, 4, { 1, 3, 1, 2 }, { 2, 1, 4, 1 } },
		{ 2, 1, { 3, 3 }, { 1 } },		/* scalar exponent */
	};
	float a[64], b[64];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		fill(a, 64, 0, 4);
		fill(b, 64, -3, 3);
		a[0] = -2;	/* negative base: NaN for fractional b */
		a[1] = 0;
		b[0] = 0.5f;
		binop_case(NPURT_CPU_POW, a, shapes[i].ad, shapes[i].ra, b,
			   shapes[i].bd, shapes[i].rb, NULL, "POW broadcast");
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		struct npu_pb_tensor ta, tb, ty;

		onnx_read(tests[i], "input", 0, &ta);
		onnx_read(tests[i], "input", 1, &tb);
		onnx_read(tests[i], "output", 0, &ty);
		assert_int_equal(ta.data_type, NPU_PB_FLOAT);
		assert_int_equal(tb.data_type, NPU_PB_FLOAT);
		if (!tb.ndim)	/* a scalar: rank 1 of 1 element */
			tb.dims[tb.ndim++] = 1;
		binop_case(NPURT_CPU_POW, ta.data, ta.dims, ta.ndim, tb.data,
			   tb.dims, tb.ndim, ty.data, tests[i]);
		npu_pb_free(&ta);
		npu_pb_free(&tb);
		npu_pb_free(&ty);
	}
}

/* ---- RESIZE ------------------------------------------------------------- */

struct rs {
	int mode, coord, nearest, exclude;
	float a;		/* cubic coefficient */
};

/*
 * One output coordinate along one axis, the way ONNX's reference
 * (onnx/reference/ops/op_resize.py) writes it: x_ori, a ratio in (0, 1]
 * (1 at integers), the coefficients of the mode, the n indexes nearest to
 * x_ori (ties to the smaller), edge clamping, exclude_outside.
 */
static int rs_ref_taps(const struct rs *m, int64_t in, double scale,
		       int64_t o, int64_t *idx, double *w)
{
	double len = scale * (double)in, x = (double)o, xo, ratio, sum;
	int64_t cand[8], fl;
	int n, i, j;

	switch (m->coord) {
	case 0: xo = (x + 0.5) / scale - 0.5; break;
	case 1: xo = x / scale; break;
	case 2: xo = len == 1 ? 0 : x * (double)(in - 1) / (len - 1); break;
	case 3: xo = len == 1 ? -0.5 : (x + 0.5) / scale - 0.5; break;
	default: xo = (x + 0.5) / scale; break;
	}
	fl = (int64_t)floor(xo);
	ratio = xo == (double)fl ? 1 : xo - (double)fl;
	if (m->mode == 0) {
		bool second;

		n = 2;
		switch (m->nearest) {
		case 0: second = ratio > 0.5; break;
		case 1: second = ratio >= 0.5; break;
		case 2: second = false; break;
		default: second = true; break;
		}
		if (ratio == 1)
			second = true;
		w[0] = !second;
		w[1] = second;
	} else if (m->mode == 1) {
		n = 2;
		w[0] = 1 - ratio;
		w[1] = ratio;
	} else {
		double A = m->a, r = ratio;

		n = 4;
		w[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
		w[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
		w[2] = ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1;
		w[3] = ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) *
		       ((1 - r) + 1) - 4 * A;
	}
	/* the n candidates nearest to xo, ties to the smaller index */
	for (i = 0; i < 8; i++)
		cand[i] = fl - 3 + i;
	for (i = 1; i < 8; i++)
		for (j = i; j > 0; j--) {
			double d0 = fabs(xo - (double)cand[j - 1]);
			double d1 = fabs(xo - (double)cand[j]);

			if (d1 < d0 || (d1 == d0 && cand[j] < cand[j - 1])) {
				int64_t t = cand[j];

				cand[j] = cand[j - 1];
				cand[j - 1] = t;
			}
		}
	for (i = 1; i < n; i++)		/* ascending */
		for (j = i; j > 0 && cand[j] < cand[j - 1]; j--) {
			int64_t t = cand[j];

			cand[j] = cand[j - 1];
			cand[j - 1] = t;
		}
	if (m->exclude) {
		for (sum = 0, i = 0; i < n; i++) {
			if (cand[i] < 0 || cand[i] >= in)
				w[i] = 0;
			sum += w[i];
		}
		for (i = 0; i < n; i++)
			w[i] /= sum ? sum : 1;
	}
	for (i = 0; i < n; i++)
		idx[i] = cand[i] < 0 ? 0 : cand[i] >= in ? in - 1 : cand[i];
	return n;
}

/* X [nc][H][W] -> Y [nc][OH][OW]: along H, then along W. */
static void rs_ref(const struct rs *m, const float *x, int64_t nc, int64_t H,
		   int64_t W, int64_t OH, int64_t OW, double sh, double sw,
		   float *y)
{
	int64_t c, oy, ox, iy[4], ix[4];
	double wy[4], wx[4];
	int ny, nx, i, j;

	for (c = 0; c < nc; c++)
		for (oy = 0; oy < OH; oy++) {
			ny = rs_ref_taps(m, H, sh, oy, iy, wy);
			for (ox = 0; ox < OW; ox++) {
				double acc = 0;

				nx = rs_ref_taps(m, W, sw, ox, ix, wx);
				for (j = 0; j < nx; j++) {
					double col = 0;

					for (i = 0; i < ny; i++)
						col += wy[i] * x[(c * H + iy[i]) *
								 W + ix[j]];
					acc += wx[j] * col;
				}
				y[(c * OH + oy) * OW + ox] = (float)acc;
			}
		}
}

static void rs_run(const struct rs *m, const float *x, int64_t N, int64_t C,
		   int64_t H, int64_t W, int64_t OH, int64_t OW, float fh,
		   float fw, float *y)
{
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_RESIZE);
	struct harness h;

	h_init(&h, x, (size_t)(N * C * H * W) * 4, NULL, 0, NULL, 0, y,
	       (size_t)(N * C * OH * OW) * 4);
	op.in[0] = cpu_step_ref(SA, F32, (uint64_t)(N * C * H * W));
	op.out = cpu_step_ref(SY, F32, (uint64_t)(N * C * OH * OW));
	op.p[0] = N; op.p[1] = C; op.p[2] = H; op.p[3] = W;
	op.p[4] = OH; op.p[5] = OW;
	op.p[6] = m->mode; op.p[7] = m->coord; op.p[8] = m->nearest;
	op.p[9] = m->exclude;
	op.f[0] = fh;
	op.f[1] = fw;
	op.f[2] = m->a;
	h_run(&h, &op);
}

static const struct {
	const char *test;
	struct rs m;
} rs_cases[] = {
	{ "test_resize_downsample_scales_cubic", { 2, 0, 0, 0, -0.75f } },
	{ "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside",
	  { 2, 0, 0, 1, -0.5f } },
	{ "test_resize_downsample_scales_cubic_align_corners",
	  { 2, 2, 0, 0, -0.75f } },
	{ "test_resize_downsample_scales_linear", { 1, 0, 0, 0, 0 } },
	{ "test_resize_downsample_scales_linear_align_corners",
	  { 1, 2, 0, 0, 0 } },
	{ "test_resize_downsample_scales_nearest", { 0, 0, 0, 0, 0 } },
	{ "test_resize_downsample_sizes_cubic", { 2, 0, 0, 0, -0.75f } },
	{ "test_resize_downsample_sizes_linear_pytorch_half_pixel",
	  { 1, 3, 0, 0, 0 } },
	{ "test_resize_downsample_sizes_nearest", { 0, 0, 0, 0, 0 } },
	{ "test_resize_upsample_scales_cubic", { 2, 0, 0, 0, -0.75f } },
	{ "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside",
	  { 2, 0, 0, 1, -0.5f } },
	{ "test_resize_upsample_scales_cubic_align_corners",
	  { 2, 2, 0, 0, -0.75f } },
	{ "test_resize_upsample_scales_cubic_asymmetric",
	  { 2, 1, 0, 0, -0.75f } },
	{ "test_resize_upsample_scales_linear", { 1, 0, 0, 0, 0 } },
	{ "test_resize_upsample_scales_linear_align_corners",
	  { 1, 2, 0, 0, 0 } },
	{ "test_resize_upsample_scales_nearest", { 0, 0, 0, 0, 0 } },
	{ "test_resize_upsample_sizes_cubic", { 2, 0, 0, 0, -0.75f } },
	{ "test_resize_upsample_sizes_nearest", { 0, 0, 0, 0, 0 } },
	{ "test_resize_upsample_sizes_nearest_ceil_half_pixel",
	  { 0, 0, 3, 0, 0 } },
	{ "test_resize_upsample_sizes_nearest_floor_align_corners",
	  { 0, 2, 2, 0, 0 } },
	{ "test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric",
	  { 0, 1, 1, 0, 0 } },
};

static void test_resize_onnx(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(rs_cases) / sizeof(rs_cases[0]); i++) {
		const struct rs *m = &rs_cases[i].m;
		struct npu_pb_tensor tx, ts, ty;
		float fh = 0, fw = 0, *y;

		onnx_read(rs_cases[i].test, "input", 0, &tx);
		onnx_read(rs_cases[i].test, "input", 1, &ts);
		onnx_read(rs_cases[i].test, "output", 0, &ty);
		assert_int_equal(tx.ndim, 4);
		assert_int_equal(ty.ndim, 4);
		assert_int_equal(ts.count, 4);
		if (ts.data_type == NPU_PB_FLOAT) {	/* scales */
			fh = ((float *)ts.data)[2];
			fw = ((float *)ts.data)[3];
		} else {				/* sizes */
			assert_int_equal(ts.data_type, NPU_PB_INT64);
		}
		y = xmalloc(ty.count * 4);
		rs_run(m, tx.data, tx.dims[0], tx.dims[1], tx.dims[2],
		       tx.dims[3], ty.dims[2], ty.dims[3], fh, fw, y);
		/* nearest exactly; ONNX computes linear and cubic in double
		 * too, in another order: 1e-5 */
		if (m->mode == 0)
			expect_same(y, ty.data, ty.count, rs_cases[i].test);
		else
			expect_close(y, ty.data, ty.count, 1e-5, 1e-5,
				     rs_cases[i].test);
		free(y);
		npu_pb_free(&tx);
		npu_pb_free(&ts);
		npu_pb_free(&ty);
	}
}

/* Every mode x coordinate transformation (x nearest rounding, x
 * exclude_outside for cubic), up and down, from scales and from sizes,
 * against the reference written as ONNX's. */
static void test_resize_modes(void **state)
{
	static const struct {
		int64_t H, W, OH, OW;
		float fh, fw;	/* 0: from the sizes */
	} geo[] = {
		{ 4, 5, 8, 10, 2, 2 },
		{ 4, 5, 7, 3, 0, 0 },
		{ 5, 4, 3, 1, 0.6f, 0.3f },
		{ 3, 3, 9, 4, 3, 1.5f },
		{ 1, 6, 1, 6, 1, 1 },
		{ 6, 2, 1, 7, 0, 0 },
		{ 5, 5, 4, 6, 0.8f, 1.2f },
	};
	float x[2 * 3 * 6 * 6], *y, *want;
	struct rs m;
	unsigned int g;

	(void)state;
	fill(x, sizeof(x) / sizeof(x[0]), -4, 4);
	for (g = 0; g < sizeof(geo) / sizeof(geo[0]); g++) {
		int64_t H = geo[g].H, W = geo[g].W, OH = geo[g].OH;
		int64_t OW = geo[g].OW;
		double sh = geo[g].fh ? geo[g].fh : (double)OH / (double)H;
		double sw = geo[g].fw ? geo[g].fw : (double)OW / (double)W;

		y = xmalloc((size_t)(6 * OH * OW) * 4);
		want = xmalloc((size_t)(6 * OH * OW) * 4);
		for (m.mode = 0; m.mode < 3; m.mode++)
		for (m.coord = 0; m.coord < 5; m.coord++)
		for (m.nearest = 0; m.nearest < (m.mode ? 1 : 4); m.nearest++)
		for (m.exclude = 0; m.exclude < (m.mode == 2 ? 2 : 1);
		     m.exclude++) {
			char what[96];

			m.a = m.mode == 2 ? (m.exclude ? -0.5f : -0.75f) : 0;
			snprintf(what, sizeof(what), "RESIZE %ldx%ld->%ldx%ld "
				 "mode %d coord %d nearest %d exclude %d",
				 (long)H, (long)W, (long)OH, (long)OW, m.mode,
				 m.coord, m.nearest, m.exclude);
			rs_run(&m, x, 2, 3, H, W, OH, OW, geo[g].fh, geo[g].fw,
			       y);
			rs_ref(&m, x, 6, H, W, OH, OW, sh, sw, want);
			if (m.mode == 0)
				expect_same(y, want, (size_t)(6 * OH * OW),
					    what);
			else	/* same sums, maybe other rounding: 1e-6 */
				expect_close(y, want, (size_t)(6 * OH * OW),
					     1e-6, 1e-6, what);
		}
		free(y);
		free(want);
	}
}

/* Small cases by hand, for what ONNX's tests do not cover. */
static void test_resize_by_hand(void **state)
{
	static const float x[4] = { 1, 2, 3, 4 };	/* [1][1][2][2] */
	/* tf_half_pixel_for_nearest, x2: x_ori = (x + 0.5) / 2 = 0.25,
	 * 0.75, 1.25, 1.75 -> 0, 1, 1, 2 (clamped to 1) */
	static const float tf_half[16] = { 1, 2, 2, 2, 3, 4, 4, 4,
					   3, 4, 4, 4, 3, 4, 4, 4 };
	/* linear asymmetric x2: x_ori = 0, 0.5, 1, 1.5 */
	static const float lin_asym[16] = { 1, 1.5f, 2, 2, 2, 2.5f, 3, 3,
					    3, 3.5f, 4, 4, 3, 3.5f, 4, 4 };
	/* nearest floor, asymmetric, 2 -> 3 from sizes: x_ori = 0, 2/3,
	 * 4/3 -> 0, 0, 1 */
	static const float floor_asym[9] = { 1, 1, 2, 1, 1, 2, 3, 3, 4 };
	float y[16];
	struct rs m = { 0, 4, 0, 0, 0 };

	(void)state;
	rs_run(&m, x, 1, 1, 2, 2, 4, 4, 2, 2, y);
	expect_same(y, tf_half, 16, "nearest tf_half_pixel_for_nearest");
	m = (struct rs){ 1, 1, 0, 0, 0 };
	rs_run(&m, x, 1, 1, 2, 2, 4, 4, 2, 2, y);
	expect_same(y, lin_asym, 16, "linear asymmetric");
	m = (struct rs){ 0, 1, 2, 0, 0 };
	rs_run(&m, x, 1, 1, 2, 2, 3, 3, 0, 0, y);
	expect_same(y, floor_asym, 9, "nearest floor asymmetric");
}

/* ---- QLINEAR_SOFTMAX ---------------------------------------------------- */

static void qsm_case(uint32_t dx, uint32_t dy, float sx, int32_t zx,
		     float sy, int32_t zy, uint64_t outer, uint64_t len,
		     uint64_t inner)
{
	uint64_t n = outer * len * inner, o, i, k;
	uint8_t *x = xmalloc(n), *y = xmalloc(n), *y3 = xmalloc(n);
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_QLINEAR_SOFTMAX);
	int32_t lo = dy == NPURT_DTYPE_INT8 ? -128 : 0, hi = lo + 255;
	struct harness h;

	for (i = 0; i < n; i++)
		x[i] = (uint8_t)rnd();
	h_init(&h, x, n, NULL, 0, NULL, 0, y, n);
	op.in[0] = cpu_step_ref(SA, dx, n);
	op.out = cpu_step_ref(SY, dy, n);
	op.p[0] = (int64_t)outer;
	op.p[1] = (int64_t)len;
	op.p[2] = (int64_t)inner;
	op.p[3] = zx;
	op.p[4] = zy;
	op.f[0] = sx;
	op.f[1] = sy;
	h_run(&h, &op);

	/* the documented algorithm (PROGRAM_FORMAT.md), written plainly */
	{
		double bsh = log((double)(FLT_MAX / (float)len));
		float tab[256], ys = floorf(1.0f / sy);
		int j;

		bsh = (bsh - 5 > 0 ? bsh - 5 : 0) / (double)sx;
		for (j = 0; j < 256; j++)	/* T[i] by the value's offset */
			tab[j] = (float)exp(((double)j - 255 + bsh) * sx);
		for (o = 0; o < outer; o++)
			for (i = 0; i < inner; i++) {
				int32_t xv[512], m = -1000;
				float lanes[8] = { 0 }, sum = 0, sc;

				assert_true(len <= 512);
				for (k = 0; k < len; k++) {
					uint64_t e = (o * len + k) * inner + i;

					xv[k] = dx == NPURT_DTYPE_INT8 ?
						(int8_t)x[e] : x[e];
					m = xv[k] > m ? xv[k] : m;
				}
				for (k = 0; k + 16 <= len; k += 16)
					for (j = 0; j < 16; j++)
						lanes[j % 8] +=
							tab[xv[k + j] - m + 255];
				for (; k < len; k++)
					sum += tab[xv[k] - m + 255];
				for (j = 0; j < 8; j++)
					sum += lanes[j];
				sc = (1.0f / sum) * ys;
				for (k = 0; k < len; k++) {
					uint64_t e = (o * len + k) * inner + i;
					float v = tab[xv[k] - m + 255] * sc;
					int32_t want = (int32_t)nearbyintf(v + (float)zy);

					want = want < lo ? lo : want > hi ? hi : want;
					y3[e] = (uint8_t)want;
				}
			}
		assert_memory_equal(y, y3, n);
	}

	/* and within one unit of a long double softmax */
	for (o = 0; o < outer; o++)
		for (i = 0; i < inner; i++) {
			long double sum = 0, v[512];

			assert_true(len <= 512);
			for (k = 0; k < len; k++) {
				uint64_t e = (o * len + k) * inner + i;
				int32_t q = dx == NPURT_DTYPE_INT8 ?
					(int8_t)x[e] : x[e];

				v[k] = (long double)(q - zx) * sx;
			}
			for (k = 0; k < len; k++)
				sum += expl(v[k]);
			for (k = 0; k < len; k++) {
				uint64_t e = (o * len + k) * inner + i;
				long double r = nearbyintl(expl(v[k]) / sum /
							   sy) + zy;
				int32_t q = dy == NPURT_DTYPE_INT8 ?
					(int8_t)y[e] : y[e];

				r = r < lo ? lo : r > hi ? hi : r;
				if (fabsl(r - q) > 1)
					fail_msg("QLINEAR_SOFTMAX [%llu] = %d, "
						 "expected %Lg",
						 (unsigned long long)e, q, r);
			}
		}
	free(x);
	free(y);
	free(y3);
}

static void test_qlinear_softmax(void **state)
{
	const uint32_t I8 = NPURT_DTYPE_INT8, U8 = NPURT_DTYPE_UINT8;

	(void)state;
	/* com.microsoft QLinearSoftmax's usual output: 1/256, zp 0 / -128 */
	qsm_case(I8, U8, 0.1f, 3, 1.0f / 256, 0, 4, 10, 1);
	qsm_case(U8, I8, 0.05f, 128, 1.0f / 256, -128, 2, 7, 3);
	qsm_case(I8, I8, 0.3f, -128, 1.0f / 255, -128, 1, 128, 1);
	qsm_case(U8, U8, 0.02f, 255, 0.004f, 0, 3, 1, 5);	/* len 1 */
	qsm_case(U8, U8, 1e-3f, 0, 0.5f, 10, 2, 300, 2);	/* coarse out */
}

/* ---- CONV in binary32, SGEMM order (p[26] = 1) --------------------------- */

/* The documented order (PROGRAM_FORMAT.md), from an explicit im2col. */
static void conv_sgemm_ref(const float *x, const float *w, const float *b,
			   float *y, const int64_t *p)
{
	int64_t C = p[1], H = p[2], W = p[3], OC = p[4], KH = p[5], KW = p[6];
	int64_t G = p[15], OH = p[16], OW = p[17], cg = C / G, og = OC / G;
	int64_t K = cg * KH * KW, NP = OH * OW, sk = 128, sn = 128;
	int64_t oc, px, k, k0;

	if (NP >= K) {
		while (sk / 2 >= K) { sn *= 2; sk /= 2; }
	} else {
		while (sn > 16 && sn / 2 >= NP) { sk *= 2; sn /= 2; }
	}
	for (oc = 0; oc < OC; oc++)
		for (px = 0; px < NP; px++) {
			float tot = 0;

			for (k0 = 0; k0 < K; k0 += sk) {
				float acc = 0;

				for (k = k0; k < K && k < k0 + sk; k++) {
					int64_t ci = (oc / og) * cg + k / (KH * KW);
					int64_t ky = k % (KH * KW) / KW, kx = k % KW;
					int64_t iy = px / OW * p[7] - p[9] + ky * p[13];
					int64_t ix = px % OW * p[8] - p[10] + kx * p[14];
					float v = iy >= 0 && iy < H && ix >= 0 && ix < W ?
						  x[(ci * H + iy) * W + ix] : 0;

					acc = fmaf(w[oc * K + k], v, acc);
				}
				tot = k0 ? tot + acc : acc;
			}
			y[oc * NP + px] = b ? tot + b[oc] : tot;
		}
}

static void conv_sgemm_case(int64_t C, int64_t H, int64_t W, int64_t OC,
			    int64_t KH, int64_t KW, int64_t st, int64_t pad,
			    int64_t G, bool bias)
{
	int64_t OH = (H + 2 * pad - KH) / st + 1, OW = (W + 2 * pad - KW) / st + 1;
	uint64_t nx = (uint64_t)(C * H * W), nw = (uint64_t)(OC * C / G * KH * KW);
	uint64_t ny = (uint64_t)(OC * OH * OW), i;
	float *x = xmalloc(nx * 4), *w = xmalloc(nw * 4), *b = xmalloc(OC * 4);
	float *y = xmalloc(ny * 4), *want = xmalloc(ny * 4), *dbl = xmalloc(ny * 4);
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_CONV);
	struct harness h;

	fill(x, nx, -1, 1);
	fill(w, nw, -0.5f, 0.5f);
	fill(b, (size_t)OC, -1, 1);
	op.in[0] = cpu_step_ref(SA, F32, nx);
	op.in[1] = cpu_step_ref(SB, F32, nw);
	if (bias)
		op.in[2] = cpu_step_ref(SC, F32, (uint64_t)OC);
	op.out = cpu_step_ref(SY, F32, ny);
	op.p[0] = 1; op.p[1] = C; op.p[2] = H; op.p[3] = W; op.p[4] = OC;
	op.p[5] = KH; op.p[6] = KW; op.p[7] = op.p[8] = st;
	op.p[9] = op.p[10] = op.p[11] = op.p[12] = pad;
	op.p[13] = op.p[14] = 1; op.p[15] = G; op.p[16] = OH; op.p[17] = OW;
	op.p[26] = 1;
	h_init(&h, x, nx * 4, w, nw * 4, b, (size_t)OC * 4, y, ny * 4);
	h_run(&h, &op);
	conv_sgemm_ref(x, w, bias ? b : NULL, want, op.p);
	assert_memory_equal(y, want, ny * 4);
	/* and close to the double-accumulating step */
	op.p[26] = 0;
	h_init(&h, x, nx * 4, w, nw * 4, b, (size_t)OC * 4, dbl, ny * 4);
	h_run(&h, &op);
	for (i = 0; i < ny; i++)
		if (fabsf(y[i] - dbl[i]) > 1e-4f * (1 + fabsf(dbl[i])))
			fail_msg("CONV binary32 [%llu] = %g, double %g",
				 (unsigned long long)i, y[i], dbl[i]);
	free(x); free(w); free(b); free(y); free(want); free(dbl);
}

/*
 * Every variant (npurt_cpu_step_isa()): the vectorized ones run 8 or 4
 * filters by 32 or 16 pixels, so filter counts and pixel counts around
 * those (tails), and 1x1 convolutions read in place, with several K
 * slices.
 */
static void test_conv_sgemm(void **state)
{
	unsigned int v, n = 0;

	(void)state;
	for (v = 0; v <= 2; v++) {
		if (npurt_cpu_step_isa((int)v) < 0)
			continue;
		n++;
		conv_sgemm_case(3, 9, 9, 4, 3, 3, 1, 1, 1, true);	/* K 27 */
		conv_sgemm_case(32, 6, 6, 5, 3, 3, 1, 1, 1, true);	/* K 288 > N 36 */
		conv_sgemm_case(20, 20, 20, 3, 3, 3, 2, 0, 1, false);	/* K 180, N 81 */
		conv_sgemm_case(150, 17, 17, 4, 1, 1, 1, 0, 1, true);	/* 1x1, N 289 >= K 150 */
		conv_sgemm_case(8, 7, 5, 8, 3, 2, 1, 1, 2, true);	/* groups */
		conv_sgemm_case(64, 30, 30, 2, 3, 3, 1, 1, 1, true);	/* N 900 >= K 576 */
		conv_sgemm_case(160, 7, 7, 13, 1, 1, 1, 0, 1, true);	/* 1x1, N 49 < K */
		conv_sgemm_case(300, 20, 20, 9, 1, 1, 1, 0, 1, false);	/* 1x1, 3 K slices */
		conv_sgemm_case(24, 16, 17, 17, 1, 1, 1, 0, 1, true);	/* N 272: chunk tail */
		conv_sgemm_case(16, 1, 1, 20, 1, 1, 1, 0, 1, true);	/* one pixel */
		conv_sgemm_case(12, 8, 8, 16, 1, 1, 2, 0, 1, true);	/* 1x1 stride 2 */
		conv_sgemm_case(6, 5, 5, 10, 1, 1, 1, 1, 2, true);	/* 1x1 padded, groups */
		conv_sgemm_case(4, 33, 9, 7, 3, 3, 1, 1, 1, true);	/* N 297 */
	}
	assert_int_equal(npurt_cpu_step_isa(-1) >= 0, 1);
	assert_true(n > 0);
}

/* ---- malformed steps ---------------------------------------------------- */

struct bad {
	const char *what;
	uint32_t opcode;
	void (*fn)(struct npurt_cpu_op *op);
	const char *msg;
};

/* The valid steps the mutations start from, over one 4096-byte buffer per
 * slot: X [2][3][4][4] where a shape is needed. */
static struct npurt_cpu_op valid_op(uint32_t opcode)
{
	struct npurt_cpu_op op = cpu_step_new(opcode);

	op.in[0] = cpu_step_ref(SA, F32, 96);
	op.out = cpu_step_ref(SY, F32, 96);
	switch (opcode) {
	case NPURT_CPU_GELU:
		op.p[0] = 1;
		break;
	case NPURT_CPU_LAYER_NORM:
		op.in[1] = cpu_step_ref(SB, F32, 16);
		op.in[2] = cpu_step_ref(SC, F32, 16);
		op.p[0] = 6;
		op.p[1] = 16;
		op.f[0] = 1e-5f;
		break;
	case NPURT_CPU_REDUCE:
		op.out.count = 24;
		op.p[0] = 6; op.p[1] = 4; op.p[2] = 4; op.p[3] = 6;
		break;
	case NPURT_CPU_POW:	/* [6][16] ^ [16] */
		op.in[1] = cpu_step_ref(SB, F32, 16);
		op.p[0] = 2; op.p[1] = 6; op.p[2] = 16;
		op.p[7] = 16; op.p[8] = 1;
		op.p[13] = 0; op.p[14] = 1;
		break;
	case NPURT_CPU_RESIZE:	/* cubic 4x4 -> 8x8 */
		op.out.count = 384;
		op.p[0] = 2; op.p[1] = 3; op.p[2] = 4; op.p[3] = 4;
		op.p[4] = 8; op.p[5] = 8; op.p[6] = 2; op.p[9] = 1;
		op.f[0] = 2; op.f[1] = 2; op.f[2] = -0.75f;
		break;
	case NPURT_CPU_QLINEAR_SOFTMAX:
		op.in[0] = cpu_step_ref(SA, NPURT_DTYPE_INT8, 96);
		op.out = cpu_step_ref(SY, NPURT_DTYPE_UINT8, 96);
		op.p[0] = 6; op.p[1] = 16; op.p[2] = 1;
		op.p[3] = -5; op.p[4] = 0;
		op.f[0] = 0.1f; op.f[1] = 1.0f / 256;
		break;
	default:
		break;
	}
	return op;
}

static void b_erf_dtype(struct npurt_cpu_op *o) { o->in[0].dtype = NPURT_DTYPE_INT8; }
static void b_erf_count(struct npurt_cpu_op *o) { o->out.count = 95; }
static void b_erf_p(struct npurt_cpu_op *o) { o->p[0] = 1; }
static void b_erf_f(struct npurt_cpu_op *o) { o->f[3] = 1; }
static void b_erf_in1(struct npurt_cpu_op *o)
{
	o->in[1] = cpu_step_ref(SB, F32, 1);
}
static void b_gelu_variant(struct npurt_cpu_op *o) { o->p[0] = 2; }
static void b_gelu_neg(struct npurt_cpu_op *o) { o->p[0] = -1; }
static void b_ln_eps0(struct npurt_cpu_op *o) { o->f[0] = 0; }
static void b_ln_eps_nan(struct npurt_cpu_op *o) { o->f[0] = NAN; }
static void b_ln_eps_neg(struct npurt_cpu_op *o) { o->f[0] = -1e-5f; }
static void b_ln_scale(struct npurt_cpu_op *o) { o->in[1].count = 15; }
static void b_ln_noscale(struct npurt_cpu_op *o) { o->in[1] = (struct npurt_cpu_ref){ NPURT_CPU_NONE, 0, 0, 0 }; }
static void b_ln_bias(struct npurt_cpu_op *o) { o->in[2].count = 17; }
static void b_ln_bias_dtype(struct npurt_cpu_op *o) { o->in[2].dtype = NPURT_DTYPE_INT32; }
static void b_ln_n(struct npurt_cpu_op *o) { o->p[1] = 0; }
static void b_ln_huge(struct npurt_cpu_op *o) { o->p[0] = 1LL << 31; o->p[1] = 1LL << 31; }
static void b_ln_p2(struct npurt_cpu_op *o) { o->p[2] = 1; }
static void b_ln_write_in(struct npurt_cpu_op *o) { o->out.slot = SA; }
static void b_red_mode(struct npurt_cpu_op *o) { o->p[3] = 10; }
static void b_red_mode_neg(struct npurt_cpu_op *o) { o->p[3] = -1; }
static void b_red_len0(struct npurt_cpu_op *o) { o->p[1] = 0; }
static void b_red_out(struct npurt_cpu_op *o) { o->out.count = 96; }
static void b_red_in(struct npurt_cpu_op *o) { o->in[0].count = 95; }
static void b_red_big(struct npurt_cpu_op *o) { o->p[2] = (1LL << 31) + 1; }
static void b_red_past(struct npurt_cpu_op *o) { o->in[0].offset = 4096 - 4 * 95; }
static void b_pow_rank(struct npurt_cpu_op *o) { o->p[0] = 0; }
static void b_pow_stride(struct npurt_cpu_op *o) { o->p[14] = 2; }
static void b_pow_past_rank(struct npurt_cpu_op *o) { o->p[3] = 1; }
static void b_pow_in2(struct npurt_cpu_op *o)
{
	o->in[2] = cpu_step_ref(SC, F32, 1);
}
static void b_rs_mode(struct npurt_cpu_op *o) { o->p[6] = 3; }
static void b_rs_coord(struct npurt_cpu_op *o) { o->p[7] = 5; }
static void b_rs_nearest(struct npurt_cpu_op *o) { o->p[8] = 1; }
static void b_rs_nearest_range(struct npurt_cpu_op *o) { o->p[6] = 0; o->p[8] = 4; o->p[9] = 0; o->f[2] = 0; }
static void b_rs_exclude(struct npurt_cpu_op *o) { o->p[6] = 1; o->f[2] = 0; }
static void b_rs_a(struct npurt_cpu_op *o) { o->f[2] = INFINITY; }
static void b_rs_a_linear(struct npurt_cpu_op *o) { o->p[6] = 1; o->p[9] = 0; }
static void b_rs_scale(struct npurt_cpu_op *o) { o->f[0] = 3; }
static void b_rs_scale_neg(struct npurt_cpu_op *o) { o->f[1] = -2; }
static void b_rs_scale_nan(struct npurt_cpu_op *o) { o->f[1] = NAN; }
static void b_rs_oh(struct npurt_cpu_op *o) { o->p[4] = 0; }
static void b_rs_count(struct npurt_cpu_op *o) { o->out.count = 383; }
static void b_rs_huge(struct npurt_cpu_op *o) { o->p[4] = 1LL << 31; o->p[5] = 1LL << 31; o->f[0] = 0; o->f[1] = 0; }
static void b_rs_p10(struct npurt_cpu_op *o) { o->p[10] = 1; }
static void b_rs_f3(struct npurt_cpu_op *o) { o->f[3] = -0.0f; }
static void b_qs_dtype(struct npurt_cpu_op *o) { o->in[0].dtype = F32; }
static void b_qs_out_dtype(struct npurt_cpu_op *o) { o->out.dtype = NPURT_DTYPE_INT32; }
static void b_qs_zx(struct npurt_cpu_op *o) { o->p[3] = 128; }
static void b_qs_zy(struct npurt_cpu_op *o) { o->p[4] = -1; }
static void b_qs_zy_huge(struct npurt_cpu_op *o) { o->p[4] = 1LL << 40; }
static void b_qs_sx(struct npurt_cpu_op *o) { o->f[0] = 0; }
static void b_qs_sy(struct npurt_cpu_op *o) { o->f[1] = INFINITY; }
static void b_qs_len(struct npurt_cpu_op *o) { o->p[1] = 15; }
static void b_qs_f2(struct npurt_cpu_op *o) { o->f[2] = 1; }

static const struct bad bad_steps[] = {
	{ "ERF dtype", NPURT_CPU_ERF, b_erf_dtype, "in[0]: dtype INT8 not allowed" },
	{ "ERF count", NPURT_CPU_ERF, b_erf_count, "out: 95 elements, 96 expected" },
	{ "ERF p[0]", NPURT_CPU_ERF, b_erf_p, "unused parameter p[0]" },
	{ "ERF f[3]", NPURT_CPU_ERF, b_erf_f, "unused constant f[3]" },
	{ "ERF in[1]", NPURT_CPU_ERF, b_erf_in1, "unused operands must be absent" },
	{ "GELU variant 2", NPURT_CPU_GELU, b_gelu_variant, "variant p[0] = 2" },
	{ "GELU variant -1", NPURT_CPU_GELU, b_gelu_neg, "variant p[0] = -1" },
	{ "LAYER_NORM epsilon 0", NPURT_CPU_LAYER_NORM, b_ln_eps0, "epsilon f[0] = 0" },
	{ "LAYER_NORM epsilon NaN", NPURT_CPU_LAYER_NORM, b_ln_eps_nan, "epsilon f[0] = nan" },
	{ "LAYER_NORM epsilon < 0", NPURT_CPU_LAYER_NORM, b_ln_eps_neg, "not finite and positive" },
	{ "LAYER_NORM scale count", NPURT_CPU_LAYER_NORM, b_ln_scale, "in[1] (scale): 15 elements, 16 expected" },
	{ "LAYER_NORM no scale", NPURT_CPU_LAYER_NORM, b_ln_noscale, "in[1] (scale) missing" },
	{ "LAYER_NORM bias count", NPURT_CPU_LAYER_NORM, b_ln_bias, "in[2] (bias): 17 elements" },
	{ "LAYER_NORM bias dtype", NPURT_CPU_LAYER_NORM, b_ln_bias_dtype, "dtype INT32 not allowed" },
	{ "LAYER_NORM n 0", NPURT_CPU_LAYER_NORM, b_ln_n, "p[1] = 0 out of range" },
	{ "LAYER_NORM huge", NPURT_CPU_LAYER_NORM, b_ln_huge, "shape too large" },
	{ "LAYER_NORM p[2]", NPURT_CPU_LAYER_NORM, b_ln_p2, "unused parameter p[2]" },
	{ "LAYER_NORM writes an input", NPURT_CPU_LAYER_NORM, b_ln_write_in, "writes slot 0 \"a\"" },
	{ "REDUCE mode 10", NPURT_CPU_REDUCE, b_red_mode, "mode p[3] = 10 not in 0..9" },
	{ "REDUCE mode -1", NPURT_CPU_REDUCE, b_red_mode_neg, "mode p[3] = -1" },
	{ "REDUCE len 0", NPURT_CPU_REDUCE, b_red_len0, "p[1] = 0 out of range" },
	{ "REDUCE out count", NPURT_CPU_REDUCE, b_red_out, "out: 96 elements, 24 expected" },
	{ "REDUCE in count", NPURT_CPU_REDUCE, b_red_in, "in[0]: 95 elements, 96 expected" },
	{ "REDUCE inner > 2^31", NPURT_CPU_REDUCE, b_red_big, "p[2] = 2147483649 out of range" },
	{ "REDUCE past the slot", NPURT_CPU_REDUCE, b_red_past, "outside slot 0" },
	{ "POW rank 0", NPURT_CPU_POW, b_pow_rank, "rank 0 not in 1..6" },
	{ "POW stride past b", NPURT_CPU_POW, b_pow_stride, "in[1]: 16 elements, at least 31" },
	{ "POW dim past the rank", NPURT_CPU_POW, b_pow_past_rank, "axis 2, past the rank 2" },
	{ "POW in[2]", NPURT_CPU_POW, b_pow_in2, "in[2] must be absent" },
	{ "RESIZE mode 3", NPURT_CPU_RESIZE, b_rs_mode, "mode p[6] = 3 not in 0..2" },
	{ "RESIZE coordinate mode 5", NPURT_CPU_RESIZE, b_rs_coord, "coordinate transformation p[7] = 5" },
	{ "RESIZE nearest mode of cubic", NPURT_CPU_RESIZE, b_rs_nearest, "nearest mode p[8] = 1" },
	{ "RESIZE nearest mode 4", NPURT_CPU_RESIZE, b_rs_nearest_range, "nearest mode p[8] = 4" },
	{ "RESIZE exclude_outside of linear", NPURT_CPU_RESIZE, b_rs_exclude, "exclude_outside p[9] = 1" },
	{ "RESIZE cubic coefficient inf", NPURT_CPU_RESIZE, b_rs_a, "cubic coefficient f[2] = inf" },
	{ "RESIZE cubic coefficient of linear", NPURT_CPU_RESIZE, b_rs_a_linear, "cubic coefficient f[2] = -0.75" },
	{ "RESIZE scale not the sizes'", NPURT_CPU_RESIZE, b_rs_scale, "scale f[0] = 3 does not resize 4 to 8" },
	{ "RESIZE scale < 0", NPURT_CPU_RESIZE, b_rs_scale_neg, "scale f[1] = -2" },
	{ "RESIZE scale NaN", NPURT_CPU_RESIZE, b_rs_scale_nan, "scale f[1] = nan" },
	{ "RESIZE OH 0", NPURT_CPU_RESIZE, b_rs_oh, "p[4] = 0 out of range" },
	{ "RESIZE out count", NPURT_CPU_RESIZE, b_rs_count, "out: 383 elements, 384 expected" },
	{ "RESIZE huge output", NPURT_CPU_RESIZE, b_rs_huge, "shape too large" },
	{ "RESIZE p[10]", NPURT_CPU_RESIZE, b_rs_p10, "unused parameter p[10]" },
	{ "RESIZE f[3] -0", NPURT_CPU_RESIZE, b_rs_f3, "unused constant f[3]" },
	{ "QLINEAR_SOFTMAX float in", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_dtype, "in[0]: dtype FLOAT32 not allowed" },
	{ "QLINEAR_SOFTMAX int32 out", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_out_dtype, "out: dtype INT32 not allowed" },
	{ "QLINEAR_SOFTMAX zx 128", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_zx, "input zero point 128 out of range -128..127" },
	{ "QLINEAR_SOFTMAX zy -1", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_zy, "output zero point -1 out of range 0..255" },
	{ "QLINEAR_SOFTMAX zy 2^40", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_zy_huge, "output zero point 1099511627776" },
	{ "QLINEAR_SOFTMAX input scale 0", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_sx, "scale f[0] = 0 not finite" },
	{ "QLINEAR_SOFTMAX output scale inf", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_sy, "scale f[1] = inf not finite" },
	{ "QLINEAR_SOFTMAX len", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_len, "in[0]: 96 elements, 90 expected" },
	{ "QLINEAR_SOFTMAX f[2]", NPURT_CPU_QLINEAR_SOFTMAX, b_qs_f2, "unused constant f[2]" },
};

/*
 * Per-tensor QUANTIZE, every variant of its loop (npurt_cpu_step_isa())
 * against quant_one()'s definition: nearbyintf(v / s) + zp, saturated,
 * NaN to the low end. Lengths around the vector widths (tails), values at
 * the rounding halves, the clamp edges, infinities, NaN, -0 and denormals.
 */
static uint8_t quant_ref(float v, float s, int32_t zp, bool sgn)
{
	double t = (double)nearbyintf(v / s) + zp;
	int32_t lo = sgn ? -128 : 0, hi = sgn ? 127 : 255;

	return (uint8_t)(!(t >= lo) ? lo : t > hi ? hi : (int32_t)t);
}

static void test_quantize_variants(void **state)
{
	static const float scales[] = { 0.5f, 0.0186584f, 1.0f / 3, 7.25f };
	static const int32_t zps[] = { 0, 3, 127, -128, 255, -7 };
	enum { N = 1000 };
	float x[N];
	uint8_t y[N + 1], want[N];
	unsigned int v, si, zi, sg, i, len, checked = 0;

	(void)state;
	for (v = 0; v <= 2; v++) {
		if (npurt_cpu_step_isa((int)v) < 0) {
			print_message("QUANTIZE variant %u: not on this CPU\n",
				      v);
			continue;
		}
		for (si = 0; si < 4; si++)
		for (zi = 0; zi < 6; zi++)
		for (sg = 0; sg < 2; sg++) {
			float s = scales[si];
			int32_t zp = zps[zi];

			if ((sg && (zp < -128 || zp > 127)) ||
			    (!sg && (zp < 0 || zp > 255)))
				continue;
			for (i = 0; i < N; i++) {
				/* halves: k + 0.5 units, and random values */
				x[i] = i % 3 ? rndf(-300, 300) * s :
				       ((float)((int)(rnd() % 601) - 300) +
					0.5f) * s;
			}
			x[1] = NAN;
			x[2] = INFINITY;
			x[3] = -INFINITY;
			x[4] = -0.0f;
			x[5] = 1e-40f;
			x[6] = -1e-40f;
			x[7] = FLT_MAX;
			x[8] = (float)(127 - zp) * s;
			x[9] = (float)(-128 - zp) * s;
			x[10] = (float)(255 - zp + 0.5) * s;
			for (len = 0; len <= N; len = len < 70 ? len + 1 :
							  len * 2 + 1) {
				struct npurt_cpu_op op =
					cpu_step_new(NPURT_CPU_QUANTIZE);
				struct harness h;

				if (len > N)
					len = N;
				h_init(&h, x, len * 4, NULL, 0, NULL, 0, y,
				       len);
				op.in[0] = cpu_step_ref(SA, F32, len);
				op.out = cpu_step_ref(SY, sg ? NPURT_DTYPE_INT8 :
						      NPURT_DTYPE_UINT8, len);
				op.f[0] = s;
				op.p[1] = zp;
				for (i = 0; i < len; i++)
					want[i] = quant_ref(x[i], s, zp, sg);
				memset(y, 0xa5, sizeof(y));
				if (len)
					h_run(&h, &op);
				for (i = 0; i < len; i++)
					if (y[i] != want[i])
						fail_msg("variant %u s %g zp %d "
							 "%s len %u: x[%u] = "
							 "%a gives %u, want %u",
							 v, (double)s, zp,
							 sg ? "int8" : "uint8",
							 len, i, (double)x[i],
							 y[i], want[i]);
				/* nothing past the end */
				assert_int_equal(y[len], 0xa5);
				checked += len;
				if (len == N)
					break;
			}
		}
	}
	assert_int_equal(npurt_cpu_step_isa(-1) >= 0, 1);
	assert_int_equal(npurt_cpu_step_isa(3), -ENODEV);
	assert_true(checked > 0);
}

/*
 * Per-tensor DEQUANTIZE of int8 and uint8, every variant of its loop,
 * against (float)(x - zp) * s; lengths around the vector widths.
 */
static void test_dequantize_variants(void **state)
{
	static const float scales[] = { 0.5f, 0.0186584f, 1.0f / 3 };
	static const int32_t zps[] = { 0, 3, -128, 127, 255 };
	enum { N = 300 };
	uint8_t x[N];
	float y[N + 1], want;
	unsigned int v, si, zi, sg, i, len, checked = 0;

	(void)state;
	for (i = 0; i < N; i++)
		x[i] = (uint8_t)(i * 37 + 11);
	for (v = 0; v <= 2; v++) {
		if (npurt_cpu_step_isa((int)v) < 0)
			continue;
		for (si = 0; si < 3; si++)
		for (zi = 0; zi < 5; zi++)
		for (sg = 0; sg < 2; sg++)
		for (len = 1; len <= N; len = len < 40 ? len + 1 : len * 3) {
			struct npurt_cpu_op op =
				cpu_step_new(NPURT_CPU_DEQUANTIZE);
			int32_t zp = zps[zi];
			struct harness h;

			if ((sg && (zp < -128 || zp > 127)) ||
			    (!sg && (zp < 0 || zp > 255)))
				continue;
			h_init(&h, x, len, NULL, 0, NULL, 0, y, len * 4);
			op.in[0] = cpu_step_ref(SA, sg ? NPURT_DTYPE_INT8 :
						NPURT_DTYPE_UINT8, len);
			op.out = cpu_step_ref(SY, F32, len);
			op.f[0] = scales[si];
			op.p[1] = zp;
			y[len] = 42.0f;
			h_run(&h, &op);
			for (i = 0; i < len; i++) {
				int32_t q = sg ? (int8_t)x[i] : x[i];

				want = (float)(q - zp) * scales[si];
				if (!same(y[i], want))
					fail_msg("variant %u len %u: [%u] = %g, "
						 "want %g", v, len, i,
						 (double)y[i], (double)want);
			}
			assert_true(y[len] == 42.0f);	/* nothing past */
			checked++;
		}
	}
	assert_int_equal(npurt_cpu_step_isa(-1) >= 0, 1);
	assert_true(checked > 0);
}

static void test_malformed(void **state)
{
	static uint8_t a[4096], b[4096], c[4096], y[4096];
	struct npurt_cpu_op op;
	struct harness h;
	char want[160];
	unsigned int i;
	uint32_t oc;
	int ret;

	(void)state;
	h_init(&h, a, sizeof(a), b, sizeof(b), c, sizeof(c), y, sizeof(y));
	for (oc = NPURT_CPU_ERF; oc < NPURT_CPU_OP_COUNT; oc++) {
		op = valid_op(oc);
		if ((ret = h_check(&h, &op)))
			fail_msg("valid %s refused: %s", npurt_cpu_op_name(oc),
				 npurt_last_error());
		npurt_cpu_op_run(&op, h.bases);
	}
	for (i = 0; i < sizeof(bad_steps) / sizeof(bad_steps[0]); i++) {
		const struct bad *t = &bad_steps[i];

		op = valid_op(t->opcode);
		t->fn(&op);
		ret = h_check(&h, &op);
		if (ret != -EINVAL)
			fail_msg("%s: got %d, expected -EINVAL", t->what, ret);
		snprintf(want, sizeof(want), "CPU step 0 (%s): ",
			 npurt_cpu_op_name(t->opcode));
		if (strncmp(npurt_last_error(), want, strlen(want)) ||
		    !strstr(npurt_last_error(), t->msg))
			fail_msg("%s: message \"%s\" lacks \"%s%s\"", t->what,
				 npurt_last_error(), want, t->msg);
	}
	assert_string_equal(npurt_cpu_op_name(NPURT_CPU_QLINEAR_SOFTMAX),
			    "QLINEAR_SOFTMAX");
	assert_string_equal(npurt_cpu_op_name(NPURT_CPU_OP_COUNT), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erf),
		cmocka_unit_test(test_gelu),
		cmocka_unit_test(test_layer_norm),
		cmocka_unit_test(test_reduce),
		cmocka_unit_test(test_pow),
		cmocka_unit_test(test_binary_variants),
		cmocka_unit_test(test_dequantize_variants),
		cmocka_unit_test(test_resize_onnx),
		cmocka_unit_test(test_resize_modes),
		cmocka_unit_test(test_resize_by_hand),
		cmocka_unit_test(test_qlinear_softmax),
		cmocka_unit_test(test_conv_sgemm),
		cmocka_unit_test(test_quantize_variants),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
