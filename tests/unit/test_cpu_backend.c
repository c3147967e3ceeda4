// SPDX-License-Identifier: MIT
/*
 * test_cpu_backend.c - the CPU device: the example MLP (two GEMMs with
 * requantization, a LUT) on cpu(N) for several N, several workers and
 * several CPU devices gives exactly the bytes of a naive reference written
 * from the arithmetic contract, and of a single-threaded run; so do runs
 * from several threads at once sharing one device's pool.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_step_util.h"
#include "device.h"
#include "example_mlp.h"

/*
 * The first GEMM of each is split on cpu(N): by column blocks (8 rows, 130
 * columns), then by rows (96 rows, 40 columns).
 */
#define SHAPE0 { .m = 8, .k = 200, .hid = 130, .n = 70, .seed = 99 }
static const struct mlp_shape shapes[] = {
	SHAPE0,
	{ .m = 96, .k = 150, .hid = 40, .n = 20, .seed = 7 },
};
static struct mlp_shape shape = SHAPE0;	/* the other tests' */

/* round(acc * mult / 2^(31 - shift)), half up, + zp, clamped. */
static int32_t ref_requant(int64_t acc, int32_t mult, int32_t shift,
			   int32_t lo, int32_t hi)
{
	__int128 p = (__int128)acc * mult;
	__int128 d = (__int128)1 << (31 - shift);
	__int128 q = p / d, r = p % d;

	if (r < 0) {		/* floor division */
		q--;
		r += d;
	}
	if (2 * r >= d)
		q++;
	return q < lo ? lo : q > hi ? hi : (int32_t)q;
}

/* The MLP by naive loops: @y gets m * n bytes. */
static void ref_mlp(const struct mlp_shape *s, const int8_t *x, uint8_t *y)
{
	int8_t *w1 = malloc((size_t)s->k * s->hid);
	int8_t *w2 = malloc((size_t)s->hid * s->n);
	int32_t *b1 = malloc(4 * (size_t)s->hid), *b2 = malloc(4 * (size_t)s->n);
	int8_t *h = malloc((size_t)s->m * s->hid);
	uint8_t lut[256];
	uint32_t i, j, k;

	assert_true(w1 && w2 && b1 && b2 && h);
	mlp_weights(s, w1, b1, w2, b2, lut);
	for (i = 0; i < s->m; i++)
		for (j = 0; j < s->hid; j++) {
			int64_t acc = b1[j];

			for (k = 0; k < s->k; k++)
				acc += x[i * s->k + k] * w1[k * s->hid + j];
			h[i * s->hid + j] = (int8_t)ref_requant(acc, MLP_MULT,
								MLP_SHIFT1, 0,
								127);
		}
	for (i = 0; i < s->m; i++)
		for (j = 0; j < s->n; j++) {
			int64_t acc = b2[j];
			int32_t z;

			for (k = 0; k < s->hid; k++)
				acc += h[i * s->hid + k] * w2[k * s->n + j];
			z = ref_requant(acc, MLP_MULT, MLP_SHIFT2, -128, 127);
			y[i * s->n + j] = lut[z + 128];
		}
	free(w1);
	free(w2);
	free(b1);
	free(b2);
	free(h);
}

/* Run the MLP on @spec with @workers; @y gets the output. */
static void run_on(const char *spec, unsigned int workers, const int8_t *x,
		   uint8_t *y)
{
	struct npurt_runner_opts o = { .worker_num = workers };
	npurt_runtime *rt = NULL;
	npurt_program *p = NULL;
	npurt_model *m = NULL;
	npurt_runner *r = NULL;
	npurt_tensor *in = NULL, *out = NULL;
	int ret;

	assert_int_equal(mlp_build(&shape, &p), 0);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	assert_int_equal(npurt_runtime_create(spec, &rt), 0);
	assert_int_equal(npurt_runner_create(rt, m, &o, &r), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_input(r, 0),
					   (void *)x, (size_t)shape.m * shape.k,
					   &in), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r, 0), y,
					   (size_t)shape.m * shape.n, &out), 0);
	ret = npurt_runner_run(r, &in, &out);
	if (ret)
		fail_msg("%s: %d (%s)", spec, ret, npurt_last_error());
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	npurt_runner_destroy(r);
	npurt_model_destroy(m);
	npurt_runtime_destroy(rt);
}

static void check_reference(void)
{
	size_t nx = (size_t)shape.m * shape.k, ny = (size_t)shape.m * shape.n;
	int8_t *x = malloc(nx);
	uint8_t *ref = malloc(ny), *y1 = malloc(ny), *y = malloc(ny);
	static const char *const specs[] = { "cpu(2)", "cpu(3)", "cpu(4)",
		"cpu(7)", "cpu(64)", "cpu(2),cpu(3)" };
	unsigned int s, w, distinct = 0;
	size_t i;

	assert_true(x && ref && y1 && y);
	mlp_input(x, nx, 1234);
	ref_mlp(&shape, x, ref);
	/* The reference is not trivial: many distinct output values. */
	for (i = 1; i < ny; i++)
		distinct += ref[i] != ref[i - 1];
	assert_true(distinct > ny / 4);

	run_on("cpu(1)", 1, x, y1);
	assert_memory_equal(y1, ref, ny);
	for (s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		for (w = 1; w <= 3; w += 2) {
			memset(y, 0x55, ny);
			run_on(specs[s], w, x, y);
			if (memcmp(y, y1, ny))
				fail_msg("%ux%u: %s with %u worker(s) differs "
					 "from cpu(1)", shape.m, shape.hid,
					 specs[s], w);
		}
	}
	free(x);
	free(ref);
	free(y1);
	free(y);
}

static void test_reference(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		shape = shapes[i];
		check_reference();
	}
	shape = shapes[0];
}

/* Runs of one runner from several threads at once share cpu(4)'s pool. */
#define SHARE_THREADS	4
#define SHARE_RUNS	25

struct share_arg {
	npurt_runner *r;
	const int8_t *x;	/* SHARE_RUNS inputs */
	const uint8_t *want;	/* their cpu(1) outputs */
	int bad;		/* runs that failed or differed */
};

static void *share_thread(void *p)
{
	struct share_arg *a = p;
	size_t nx = (size_t)shape.m * shape.k, ny = (size_t)shape.m * shape.n;
	uint8_t *y = malloc(ny);
	unsigned int i;

	if (!y) {
		a->bad = SHARE_RUNS;
		return NULL;
	}
	for (i = 0; i < SHARE_RUNS; i++) {
		npurt_tensor *in = NULL, *out = NULL;

		memset(y, 0x55, ny);
		if (npurt_tensor_wrap(npurt_runner_input(a->r, 0),
				      (void *)(a->x + i * nx), nx, &in) ||
		    npurt_tensor_wrap(npurt_runner_output(a->r, 0), y, ny,
				      &out) ||
		    npurt_runner_run(a->r, &in, &out) ||
		    memcmp(y, a->want + i * ny, ny))
			a->bad++;
		npurt_tensor_destroy(in);
		npurt_tensor_destroy(out);
	}
	free(y);
	return NULL;
}

static void test_runs_share_pool(void **state)
{
	size_t nx = (size_t)shape.m * shape.k, ny = (size_t)shape.m * shape.n;
	size_t n = (size_t)SHARE_THREADS * SHARE_RUNS;
	struct npurt_runner_opts o = { .worker_num = SHARE_THREADS };
	struct share_arg arg[SHARE_THREADS];
	pthread_t th[SHARE_THREADS];
	int8_t *x = malloc(n * nx);
	uint8_t *want = malloc(n * ny);
	npurt_runtime *rt = NULL;
	npurt_program *p = NULL;
	npurt_model *m = NULL;
	npurt_runner *r = NULL;
	unsigned int i;

	(void)state;
	assert_true(x && want);
	for (i = 0; i < n; i++) {
		mlp_input(x + i * nx, nx, 500 + i);
		run_on("cpu(1)", 1, x + i * nx, want + i * ny);
	}
	assert_int_equal(mlp_build(&shape, &p), 0);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	assert_int_equal(npurt_runtime_create("cpu(4)", &rt), 0);
	assert_int_equal(npurt_runner_create(rt, m, &o, &r), 0);
	for (i = 0; i < SHARE_THREADS; i++) {
		arg[i] = (struct share_arg){
			.r = r, .x = x + (size_t)i * SHARE_RUNS * nx,
			.want = want + (size_t)i * SHARE_RUNS * ny,
		};
		assert_int_equal(pthread_create(&th[i], NULL, share_thread,
						&arg[i]), 0);
	}
	for (i = 0; i < SHARE_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (arg[i].bad)
			fail_msg("thread %u: %d of %d runs failed or differ "
				 "from cpu(1)", i, arg[i].bad, SHARE_RUNS);
	}
	npurt_runner_destroy(r);
	npurt_model_destroy(m);
	npurt_runtime_destroy(rt);
	free(x);
	free(want);
}

/*
 * $NPURT_CPU_SPIN_US: 0 (helpers always sleep) and a long poll give the
 * same bytes; anything but a number of microseconds up to 100000 is
 * refused with -EINVAL and a message naming the variable.
 */
static void test_spin_env(void **state)
{
	size_t nx = (size_t)shape.m * shape.k, ny = (size_t)shape.m * shape.n;
	static const char *const good[] = { "0", "1", "20000", "" };
	static const char *const bad[] = { "x", "-1", "100001", "1e3", "5 ",
					   "99999999999999999999999" };
	int8_t *x = malloc(nx);
	uint8_t *y1 = malloc(ny), *y = malloc(ny);
	npurt_runtime *rt;
	unsigned int i;

	(void)state;
	assert_true(x && y1 && y);
	mlp_input(x, nx, 77);
	run_on("cpu(1)", 1, x, y1);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(setenv("NPURT_CPU_SPIN_US", good[i], 1), 0);
		memset(y, 0x55, ny);
		run_on("cpu(3)", 3, x, y);
		if (memcmp(y, y1, ny))
			fail_msg("NPURT_CPU_SPIN_US=%s: differs from cpu(1)",
				 good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(setenv("NPURT_CPU_SPIN_US", bad[i], 1), 0);
		rt = NULL;
		assert_int_equal(npurt_runtime_create("cpu(2)", &rt), -EINVAL);
		assert_null(rt);
		if (!strstr(npurt_last_error(), "NPURT_CPU_SPIN_US="))
			fail_msg("'%s': message '%s'", bad[i],
				 npurt_last_error());
	}
	unsetenv("NPURT_CPU_SPIN_US");
	free(x);
	free(y1);
	free(y);
}

/*
 * One measurement of @t: an untimed split run, then 4 timed runs each
 * way, alternating, timed @alone_ns and @split_ns (plus noise that only
 * slows); returns the choice the next run gets.
 */
static unsigned int tune_measure(struct npurt_split_tune *t,
				 uint64_t alone_ns, uint64_t split_ns)
{
	unsigned int i, how;
	int way;

	assert_int_equal(npurt_split_tune_next(t, &way), 2);
	assert_int_equal(way, -1);
	for (i = 0; i < 8; i++) {
		how = npurt_split_tune_next(t, &way);
		assert_int_equal(way, (int)((i + 1) & 1));
		assert_int_equal(how, way ? 2u : 1u);
		npurt_split_tune_record(t, way, (way ? split_ns : alone_ns) +
					(i < 2 ? 5000 : 0));
	}
	how = npurt_split_tune_next(t, &way);
	assert_int_equal(way, -1);
	return how;
}

/*
 * A choice stands for 64 runs, then is measured again, and stands twice as
 * long each time up to 4096 runs: a split that lost while another process
 * held a core wins again once it is gone, and the other way round.
 */
static void test_tune_remeasure(void **state)
{
	struct npurt_split_tune t;
	unsigned int keep = 64, r, i, want;
	int way;

	(void)state;
	memset(&t, 0, sizeof(t));
	for (r = 0; r < 10; r++) {
		want = r % 3 == 1 ? 2 : 1;
		assert_int_equal(tune_measure(&t, 1000, want == 1 ? 1500 : 600),
				 want);
		/* this run and keep - 1 more get the choice, untimed */
		for (i = 0; i < keep - 1; i++) {
			assert_int_equal(npurt_split_tune_next(&t, &way), want);
			assert_int_equal(way, -1);
		}
		keep = keep < 4096 ? 2 * keep : keep;
	}
	assert_int_equal(keep, 4096);
	/* split not measured (no timed run finished): split */
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 9; i++)
		npurt_split_tune_next(&t, &way);
	assert_int_equal(npurt_split_tune_next(&t, &way), 2);
}

/*
 * Split measurements (NPURT_CPU_TUNE): a runner's first runs alternate
 * split and alone, whole and per command, then keep a choice; 30 runs on
 * cpu(2) and cpu(3), with and without, all give cpu(1)'s bytes, whichever
 * way each one ran. Values other than 0 and 1 are refused.
 */
static void test_tune_env(void **state)
{
	static const char *const specs[] = { "cpu(2)", "cpu(3)" };
	static const char *const bad[] = { "2", "on", "-1", "01", " 1" };
	size_t nx = (size_t)shapes[1].m * shapes[1].k;
	size_t ny = (size_t)shapes[1].m * shapes[1].n;
	struct npurt_runner_opts o = { .worker_num = 1 };
	int8_t *x = malloc(nx);
	uint8_t *y1 = malloc(ny), *y = malloc(ny);
	npurt_tensor *in = NULL, *out = NULL;
	npurt_runtime *rt;
	npurt_program *p = NULL;
	npurt_model *m = NULL;
	npurt_runner *r = NULL;
	unsigned int s, t, i;

	(void)state;
	assert_true(x && y1 && y);
	shape = shapes[1];
	mlp_input(x, nx, 5);
	run_on("cpu(1)", 1, x, y1);
	assert_int_equal(mlp_build(&shape, &p), 0);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	for (t = 0; t < 3; t++) {
		if (t < 2)
			assert_int_equal(setenv("NPURT_CPU_TUNE", t ? "1" : "0",
						1), 0);
		else
			unsetenv("NPURT_CPU_TUNE");
		for (s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
			rt = NULL;
			assert_int_equal(npurt_runtime_create(specs[s], &rt),
					 0);
			assert_int_equal(npurt_runner_create(rt, m, &o, &r), 0);
			assert_int_equal(npurt_tensor_wrap(npurt_runner_input(r,
						0), x, nx, &in), 0);
			assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r,
						0), y, ny, &out), 0);
			for (i = 0; i < 30; i++) {
				memset(y, 0x55, ny);
				assert_int_equal(npurt_runner_run(r, &in, &out),
						 0);
				if (memcmp(y, y1, ny))
					fail_msg("%s, run %u, tune %u: differs "
						 "from cpu(1)", specs[s], i, t);
			}
			npurt_tensor_destroy(in);
			npurt_tensor_destroy(out);
			npurt_runner_destroy(r);
			npurt_runtime_destroy(rt);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(setenv("NPURT_CPU_TUNE", bad[i], 1), 0);
		rt = NULL;
		assert_int_equal(npurt_runtime_create("cpu(2)", &rt), -EINVAL);
		assert_null(rt);
		if (!strstr(npurt_last_error(), "NPURT_CPU_TUNE="))
			fail_msg("'%s': message '%s'", bad[i],
				 npurt_last_error());
	}
	unsetenv("NPURT_CPU_TUNE");
	npurt_model_destroy(m);
	shape = shapes[0];
	free(x);
	free(y1);
	free(y);
}

/* Device info of the CPU device. */
static void test_device_info(void **state)
{
	struct npurt_device_info info;
	npurt_runtime *rt = NULL;

	(void)state;
	assert_int_equal(npurt_runtime_create("cpu(3),cpu(1)", &rt), 0);
	assert_int_equal(npurt_runtime_device_count(rt), 2);
	assert_int_equal(npurt_device_get_info(npurt_runtime_device(rt, 0),
					       &info), 0);
	assert_int_equal(info.kind, NPURT_DEVICE_CPU);
	assert_string_equal(info.name, "cpu(3)");
	assert_int_equal(info.threads, 3);
	assert_int_equal(info.pe_count, 0);
	assert_int_equal(info.fw_caps, ((1ULL << RM_NPU_OP_COUNT) - 1) |
			 RM_NPU_CAP_F32_RESCALE);
	assert_string_equal(npurt_device_name(npurt_runtime_device(rt, 1)),
			    "cpu(1)");
	assert_int_equal(npurt_device_get_info(NULL, &info), -EINVAL);
	assert_int_equal(npurt_device_get_info(npurt_runtime_device(rt, 0),
					       NULL), -EINVAL);
	npurt_runtime_destroy(rt);
}

/* The model of builder @b's program (the builder destroyed). */
static npurt_model *built_model(npurt_program_builder *b)
{
	npurt_program *p;
	npurt_model *m;

	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	npurt_program_builder_destroy(b);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	return m;
}

/*
 * A program of two binary32 CONV steps in SGEMM order (a 3x3 padded one
 * through an im2col, a 1x1 one read in place), which cpu(N) splits over
 * its pool by filter blocks and pixel chunks: every N gives the bytes of
 * cpu(1), from one run and from three at once.
 */
enum { FC_C = 16, FC_H = 21, FC_W = 20, FC_OC = 40, FC_OC2 = 13 };

static npurt_model *float_conv_model(void)
{
	static float w1[FC_OC * FC_C * 9], b1[FC_OC], w2[FC_OC2 * FC_OC];
	struct npurt_tensor_info t = mlp_tensor("x", NPURT_DTYPE_FLOAT32, 1,
						FC_C * FC_H * FC_W, NULL);
	npurt_program_builder *b = NULL;
	struct npurt_cpu_op op;
	int x, y, ws, bs, w2s, mid;
	unsigned int i;

	for (i = 0; i < FC_OC * FC_C * 9; i++)
		w1[i] = (float)((int)(i * 2654435761u % 2001) - 1000) / 3000.0f;
	for (i = 0; i < FC_OC; i++)
		b1[i] = (float)i / 7.0f - 2.0f;
	for (i = 0; i < FC_OC2 * FC_OC; i++)
		w2[i] = (float)((int)(i * 40503u % 1001) - 500) / 1700.0f;
	assert_int_equal(npurt_program_builder_create("fconv", &b), 0);
	x = npurt_program_builder_add_input(b, &t);
	t = mlp_tensor("y", NPURT_DTYPE_FLOAT32, 1, FC_OC2 * FC_H * FC_W,
		       NULL);
	y = npurt_program_builder_add_output(b, &t);
	t = mlp_tensor("w1", NPURT_DTYPE_FLOAT32, 1, FC_OC * FC_C * 9, NULL);
	ws = npurt_program_builder_add_weights(b, &t, w1, sizeof(w1));
	t = mlp_tensor("b1", NPURT_DTYPE_FLOAT32, 1, FC_OC, NULL);
	bs = npurt_program_builder_add_weights(b, &t, b1, sizeof(b1));
	t = mlp_tensor("w2", NPURT_DTYPE_FLOAT32, 1, FC_OC2 * FC_OC, NULL);
	w2s = npurt_program_builder_add_weights(b, &t, w2, sizeof(w2));
	mid = npurt_program_builder_add_scratch(b, "mid", 4 * FC_OC * FC_H *
						FC_W);
	assert_true(x >= 0 && y >= 0 && ws >= 0 && bs >= 0 && w2s >= 0 &&
		    mid >= 0);
	op = cpu_step_new(NPURT_CPU_CONV);
	op.in[0] = (struct npurt_cpu_ref){ (uint32_t)x, NPURT_DTYPE_FLOAT32, 0,
					   FC_C * FC_H * FC_W };
	op.in[1] = (struct npurt_cpu_ref){ (uint32_t)ws, NPURT_DTYPE_FLOAT32,
					   0, FC_OC * FC_C * 9 };
	op.in[2] = (struct npurt_cpu_ref){ (uint32_t)bs, NPURT_DTYPE_FLOAT32,
					   0, FC_OC };
	op.out = (struct npurt_cpu_ref){ (uint32_t)mid, NPURT_DTYPE_FLOAT32,
					 0, FC_OC * FC_H * FC_W };
	op.p[0] = 1; op.p[1] = FC_C; op.p[2] = FC_H; op.p[3] = FC_W;
	op.p[4] = FC_OC; op.p[5] = 3; op.p[6] = 3; op.p[7] = op.p[8] = 1;
	op.p[9] = op.p[10] = op.p[11] = op.p[12] = 1;
	op.p[13] = op.p[14] = op.p[15] = 1;
	op.p[16] = FC_H; op.p[17] = FC_W; op.p[26] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 0);
	/* then 1x1: mid [OC][H][W] -> y [OC2][H][W] */
	op.in[0] = op.out;
	op.in[1] = (struct npurt_cpu_ref){ (uint32_t)w2s, NPURT_DTYPE_FLOAT32,
					   0, FC_OC2 * FC_OC };
	op.in[2].count = FC_OC2;	/* the first of b1 */
	op.out = (struct npurt_cpu_ref){ (uint32_t)y, NPURT_DTYPE_FLOAT32, 0,
					 FC_OC2 * FC_H * FC_W };
	op.p[1] = FC_OC; op.p[4] = FC_OC2; op.p[5] = op.p[6] = 1;
	op.p[9] = op.p[10] = op.p[11] = op.p[12] = 0;
	if (npurt_program_builder_add_cpu_op(b, &op) != 1)
		fail_msg("%s", npurt_last_error());
	return built_model(b);
}

/* One run of a float model of one input and one output, on its runner. */
struct float_run {
	npurt_runner *r;
	const float *x;
	size_t nx, ny;		/* elements */
	float *y;
	int ret;
	pthread_t thread;
};

static void *float_run_thread(void *arg)
{
	struct float_run *f = arg;
	npurt_tensor *in = NULL, *out = NULL;

	f->ret = npurt_tensor_wrap(npurt_runner_input(f->r, 0), (void *)f->x,
				   4 * f->nx, &in);
	if (!f->ret)
		f->ret = npurt_tensor_wrap(npurt_runner_output(f->r, 0), f->y,
					   4 * f->ny, &out);
	if (!f->ret)
		f->ret = npurt_runner_run(f->r, &in, &out);
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	return NULL;
}

/*
 * @m on cpu(2), cpu(3) and cpu(7) (@workers workers) gives cpu(1)'s bytes
 * for input @x, from one run and from three at once sharing the pool.
 */
static void split_check(npurt_model *m, const float *x, size_t nx, size_t ny,
			unsigned int workers)
{
	static const char *const specs[] = { "cpu(1)", "cpu(2)", "cpu(3)",
					     "cpu(7)" };
	struct float_run want = { .x = x, .nx = nx, .ny = ny }, got[3];
	unsigned int s, k;

	want.y = calloc(ny, 4);
	assert_non_null(want.y);
	for (k = 0; k < 3; k++) {
		got[k] = want;
		got[k].y = calloc(ny, 4);
		assert_non_null(got[k].y);
	}
	for (s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		struct npurt_runner_opts o = { .worker_num = workers };
		npurt_runtime *rt = NULL;
		struct float_run *f = s ? got : &want;

		assert_int_equal(npurt_runtime_create(specs[s], &rt), 0);
		assert_int_equal(npurt_runner_create(rt, m, &o, &f->r), 0);
		/* no output left from the spec before */
		memset(f->y, 0xa5, 4 * ny);
		float_run_thread(f);
		if (f->ret)
			fail_msg("%s: %d (%s)", specs[s], f->ret,
				 npurt_last_error());
		if (s && memcmp(f->y, want.y, 4 * ny))
			fail_msg("%s: differs from cpu(1)", specs[s]);
		for (k = 0; s && k < 3; k++) {
			got[k].r = f->r;
			memset(got[k].y, 0xa5, 4 * ny);
			assert_int_equal(pthread_create(&got[k].thread, NULL,
							float_run_thread,
							&got[k]), 0);
		}
		for (k = 0; s && k < 3; k++) {
			pthread_join(got[k].thread, NULL);
			assert_int_equal(got[k].ret, 0);
			if (memcmp(got[k].y, want.y, 4 * ny))
				fail_msg("%s, 3 runs at once: differs from "
					 "cpu(1)", specs[s]);
		}
		npurt_runner_destroy(f->r);
		npurt_runtime_destroy(rt);
	}
	free(want.y);
	for (k = 0; k < 3; k++)
		free(got[k].y);
}

static void test_float_conv_split(void **state)
{
	static float x[FC_C * FC_H * FC_W];
	npurt_model *m = float_conv_model();
	unsigned int i;

	(void)state;
	for (i = 0; i < FC_C * FC_H * FC_W; i++)
		x[i] = (float)((int)(i * 2246822519u % 4001) - 2000) / 999.0f;
	split_check(m, x, FC_C * FC_H * FC_W, FC_OC2 * FC_H * FC_W, 4);
	npurt_model_destroy(m);
}

/*
 * Elementwise CPU steps, which cpu(N) splits by ranges of elements:
 * QUANTIZE, DEQUANTIZE, a same-shape ADD, HARD_SWISH, then a MUL by the
 * input read transposed (equal counts, other strides: never split). Every
 * N gives the bytes of cpu(1), from one thread and from three at once.
 */
enum { EW_R = 300, EW_C = 501, EW_N = EW_R * EW_C };

static struct npurt_cpu_op ew_op(uint32_t opcode, int in0, uint32_t dt0,
				 int in1, int out, uint32_t dto)
{
	struct npurt_cpu_op op = cpu_step_new(opcode);

	op.in[0] = (struct npurt_cpu_ref){ (uint32_t)in0, dt0, 0, EW_N };
	if (in1 >= 0)
		op.in[1] = (struct npurt_cpu_ref){ (uint32_t)in1,
						   NPURT_DTYPE_FLOAT32, 0,
						   EW_N };
	op.out = (struct npurt_cpu_ref){ (uint32_t)out, dto, 0, EW_N };
	return op;
}

static npurt_model *eltwise_model(void)
{
	struct npurt_tensor_info t = mlp_tensor("x", NPURT_DTYPE_FLOAT32, 1,
						EW_N, NULL);
	npurt_program_builder *b = NULL;
	struct npurt_cpu_op op;
	int x, y, q, d, e;

	assert_int_equal(npurt_program_builder_create("eltwise", &b), 0);
	x = npurt_program_builder_add_input(b, &t);
	t = mlp_tensor("y", NPURT_DTYPE_FLOAT32, 1, EW_N, NULL);
	y = npurt_program_builder_add_output(b, &t);
	q = npurt_program_builder_add_scratch(b, "q", EW_N);
	d = npurt_program_builder_add_scratch(b, "d", 4 * EW_N);
	e = npurt_program_builder_add_scratch(b, "e", 4 * EW_N);
	assert_true(x >= 0 && y >= 0 && q >= 0 && d >= 0 && e >= 0);
	op = ew_op(NPURT_CPU_QUANTIZE, x, NPURT_DTYPE_FLOAT32, -1, q,
		   NPURT_DTYPE_INT8);
	op.f[0] = 0.02f;
	op.p[1] = 3;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 0);
	op = ew_op(NPURT_CPU_DEQUANTIZE, q, NPURT_DTYPE_INT8, -1, d,
		   NPURT_DTYPE_FLOAT32);
	op.f[0] = 0.02f;
	op.p[1] = 3;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 1);
	op = ew_op(NPURT_CPU_ADD, d, NPURT_DTYPE_FLOAT32, x, e,
		   NPURT_DTYPE_FLOAT32);
	op.p[0] = 2; op.p[1] = EW_R; op.p[2] = EW_C;
	op.p[7] = op.p[13] = EW_C; op.p[8] = op.p[14] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 2);
	op = ew_op(NPURT_CPU_HARD_SWISH, e, NPURT_DTYPE_FLOAT32, -1, d,
		   NPURT_DTYPE_FLOAT32);
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 3);
	/* y[i][j] = d[i][j] * x[j][i] of x seen as [EW_C][EW_R] */
	op = ew_op(NPURT_CPU_MUL, d, NPURT_DTYPE_FLOAT32, x, y,
		   NPURT_DTYPE_FLOAT32);
	op.p[0] = 2; op.p[1] = EW_R; op.p[2] = EW_C;
	op.p[7] = EW_C; op.p[8] = 1;
	op.p[13] = 1; op.p[14] = EW_R;
	if (npurt_program_builder_add_cpu_op(b, &op) != 4)
		fail_msg("%s", npurt_last_error());
	return built_model(b);
}

static void test_eltwise_step_split(void **state)
{
	static float x[EW_N];
	npurt_model *m = eltwise_model();
	unsigned int i;

	(void)state;
	for (i = 0; i < EW_N; i++)
		x[i] = (float)((int)(i * 2246822519u % 8001) - 4000) / 997.0f;
	x[7] = -0.0f;
	x[EW_N - 1] = 1e30f;
	split_check(m, x, EW_N, EW_N, 3);
	npurt_model_destroy(m);
}

/* A LUT of @count int8 values of slot @in through table @table into @out. */
static void lut_cmd(struct rm_npu_cmd *c, uint32_t in, uint32_t table,
		    uint32_t out, uint64_t count)
{
	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_LUT;
	c->lut.in.bo = in;
	c->lut.table.bo = table;
	c->lut.out.bo = out;
	c->lut.count = count;
	c->lut.dtype = RM_NPU_DT_INT8;
}

/*
 * A program of commands with CPU steps among them, as a QDQ model's:
 * QUANTIZE (split), a LUT of one row and its DEQUANTIZE (alone), a GEMM,
 * DEQUANTIZE, an ADD of that row to every row, QUANTIZE, a LUT and a
 * DEQUANTIZE of its uint8 output (all split). On cpu(N) it runs
 * as one gang, steps and commands alike (cpu_run_program()), or job by
 * job with $NPURT_CPU_GANG=0: every N gives the bytes of cpu(1), from
 * one run and from three at once.
 */
enum { MX_M = 256, MX_K = 150, MX_N = 72 };

static npurt_model *mixed_model(void)
{
	static int8_t w[MX_K * MX_N];
	static uint8_t lut[256];
	struct npurt_tensor_info t = mlp_tensor("x", NPURT_DTYPE_FLOAT32, MX_M,
						MX_K, NULL);
	npurt_program_builder *b = NULL;
	struct npurt_cpu_op op;
	struct rm_npu_cmd c;
	int x, y, ws, tab, q, h, d, e, q2, z, s8, sf;
	unsigned int i;

	for (i = 0; i < MX_K * MX_N; i++)
		w[i] = (int8_t)((int)(i * 2654435761u % 31) - 15);
	for (i = 0; i < 256; i++)
		lut[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(npurt_program_builder_create("mixed", &b), 0);
	x = npurt_program_builder_add_input(b, &t);
	t = mlp_tensor("y", NPURT_DTYPE_FLOAT32, MX_M, MX_N, NULL);
	y = npurt_program_builder_add_output(b, &t);
	t = mlp_tensor("w", NPURT_DTYPE_INT8, MX_K, MX_N, NULL);
	ws = npurt_program_builder_add_weights(b, &t, w, sizeof(w));
	t = mlp_tensor("lut", NPURT_DTYPE_UINT8, 1, 256, NULL);
	tab = npurt_program_builder_add_weights(b, &t, lut, sizeof(lut));
	q = npurt_program_builder_add_scratch(b, "q", MX_M * MX_K);
	h = npurt_program_builder_add_scratch(b, "h", MX_M * MX_N);
	d = npurt_program_builder_add_scratch(b, "d", 4 * MX_M * MX_N);
	e = npurt_program_builder_add_scratch(b, "e", 4 * MX_M * MX_N);
	q2 = npurt_program_builder_add_scratch(b, "q2", MX_M * MX_N);
	z = npurt_program_builder_add_scratch(b, "z", MX_M * MX_N);
	s8 = npurt_program_builder_add_scratch(b, "s8", MX_N);
	sf = npurt_program_builder_add_scratch(b, "sf", 4 * MX_N);
	assert_true(x >= 0 && y >= 0 && ws >= 0 && tab >= 0 && q >= 0 &&
		    h >= 0 && d >= 0 && e >= 0 && q2 >= 0 && z >= 0 &&
		    s8 >= 0 && sf >= 0);
	op = ew_op(NPURT_CPU_QUANTIZE, x, NPURT_DTYPE_FLOAT32, -1, q,
		   NPURT_DTYPE_INT8);
	op.in[0].count = op.out.count = MX_M * MX_K;
	op.f[0] = 0.02f;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 0);
	/* one row through the table, dequantized: alone */
	lut_cmd(&c, (uint32_t)q, (uint32_t)tab, (uint32_t)s8, MX_N);
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 0);
	op = ew_op(NPURT_CPU_DEQUANTIZE, s8, NPURT_DTYPE_UINT8, -1, sf,
		   NPURT_DTYPE_FLOAT32);
	op.in[0].count = op.out.count = MX_N;
	op.f[0] = 0.5f;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 1);
	mlp_gemm(&c, (uint32_t)q, (uint32_t)ws, 0, (uint32_t)h, MX_M, MX_K,
		 MX_N, MLP_SHIFT1, -128);
	c.flags = 0;
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 1);
	op = ew_op(NPURT_CPU_DEQUANTIZE, h, NPURT_DTYPE_INT8, -1, d,
		   NPURT_DTYPE_FLOAT32);
	op.in[0].count = op.out.count = MX_M * MX_N;
	op.f[0] = 0.125f;
	op.p[1] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 2);
	/* e[i][j] = d[i][j] + sf[j] */
	op = ew_op(NPURT_CPU_ADD, d, NPURT_DTYPE_FLOAT32, sf, e,
		   NPURT_DTYPE_FLOAT32);
	op.in[0].count = op.out.count = MX_M * MX_N;
	op.in[1].count = MX_N;
	op.p[0] = 2;
	op.p[1] = MX_M;
	op.p[2] = MX_N;
	op.p[7] = MX_N;
	op.p[8] = op.p[14] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 3);
	op = ew_op(NPURT_CPU_QUANTIZE, e, NPURT_DTYPE_FLOAT32, -1, q2,
		   NPURT_DTYPE_INT8);
	op.in[0].count = op.out.count = MX_M * MX_N;
	op.f[0] = 0.25f;
	op.p[1] = -3;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 4);
	lut_cmd(&c, (uint32_t)q2, (uint32_t)tab, (uint32_t)z, MX_M * MX_N);
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 2);
	op = ew_op(NPURT_CPU_DEQUANTIZE, z, NPURT_DTYPE_UINT8, -1, y,
		   NPURT_DTYPE_FLOAT32);
	op.in[0].count = op.out.count = MX_M * MX_N;
	op.f[0] = 0.5f;
	op.p[1] = 128;
	if (npurt_program_builder_add_cpu_op(b, &op) != 5)
		fail_msg("%s", npurt_last_error());
	return built_model(b);
}

static void test_mixed_program(void **state)
{
	static float x[MX_M * MX_K];
	static const char *const gang[] = { "1", "0" };
	npurt_model *m = mixed_model();
	unsigned int i, g;

	(void)state;
	for (i = 0; i < MX_M * MX_K; i++)
		x[i] = (float)((int)(i * 2246822519u % 6001) - 3000) / 997.0f;
	for (g = 0; g < 2; g++) {
		assert_int_equal(setenv("NPURT_CPU_GANG", gang[g], 1), 0);
		split_check(m, x, MX_M * MX_K, MX_M * MX_N, 3);
	}
	unsetenv("NPURT_CPU_GANG");
	npurt_model_destroy(m);
}

/*
 * Two COPY commands that transpose, which cpu(N) splits by the dimension
 * outermost in the destination, each range a COPY of its own: an NCHW ->
 * NHWC copy (split by pixels, the source's innermost dimension), then
 * [H][W][C] -> [W][H][C] (split by W, a middle one). Every N gives the
 * bytes of cpu(1).
 */
enum { TC_C = 3, TC_H = 150, TC_W = 152, TC_N = TC_C * TC_H * TC_W };

static npurt_model *transpose_copy_model(void)
{
	struct npurt_tensor_info t = mlp_tensor("x", NPURT_DTYPE_UINT8, 1,
						TC_N, NULL);
	npurt_program_builder *b = NULL;
	struct rm_npu_cmd c;
	int x, y, mid;

	assert_int_equal(npurt_program_builder_create("tcopy", &b), 0);
	x = npurt_program_builder_add_input(b, &t);
	t = mlp_tensor("y", NPURT_DTYPE_UINT8, 1, TC_N, NULL);
	y = npurt_program_builder_add_output(b, &t);
	mid = npurt_program_builder_add_scratch(b, "mid", TC_N);
	assert_true(x >= 0 && y >= 0 && mid >= 0);
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = (uint32_t)x;
	c.copy.dst.bo = (uint32_t)mid;
	c.copy.elem_size = 1;
	c.copy.dims[0] = c.copy.dims[1] = 1;
	c.copy.dims[2] = TC_C;
	c.copy.dims[3] = TC_H * TC_W;
	c.copy.src_stride[2] = TC_H * TC_W;
	c.copy.src_stride[3] = 1;
	c.copy.dst_stride[2] = 1;
	c.copy.dst_stride[3] = TC_C;
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 0);
	c.copy.src.bo = (uint32_t)mid;
	c.copy.dst.bo = (uint32_t)y;
	c.copy.dims[1] = TC_H;
	c.copy.dims[2] = TC_W;
	c.copy.dims[3] = TC_C;
	c.copy.src_stride[1] = TC_W * TC_C;
	c.copy.src_stride[2] = TC_C;
	c.copy.src_stride[3] = 1;
	c.copy.dst_stride[1] = TC_C;
	c.copy.dst_stride[2] = TC_H * TC_C;
	c.copy.dst_stride[3] = 1;
	if (npurt_program_builder_add_cmd(b, &c) != 1)
		fail_msg("%s", npurt_last_error());
	return built_model(b);
}

static void test_transpose_copy_split(void **state)
{
	static float x[TC_N / 4];
	uint8_t *xb = (uint8_t *)x;
	npurt_model *m = transpose_copy_model();
	unsigned int i;

	(void)state;
	for (i = 0; i < TC_N; i++)
		xb[i] = (uint8_t)(i * 2654435761u >> 13);
	/* split_check() moves floats: the same bytes, 4 at a time */
	split_check(m, x, TC_N / 4, TC_N / 4, 3);
	npurt_model_destroy(m);
}

/*
 * A job straight on the CPU device: split commands (large GEMMs and
 * tables) between ones that run alone (a small table, a GEMM of a row),
 * and one that splits only in a gang (a GEMM between 32K and 256K
 * operations). cpu(N), in a gang or command by command
 * ($NPURT_CPU_GANG; unset, cpu(6) goes command by command), helpers
 * polling or asleep, writes every buffer as
 * cpu(1) does; a command
 * invalid for the bound buffers stops the job there with -EINVAL and a
 * message naming it, after the commands before it ran and before any
 * after it.
 */
enum { GJ_M = 512, GJ_K = 256, GJ_N2 = 64, GJ_N3 = 128, GJ_SMALL = 8000 };
enum { GJ_A, GJ_W1, GJ_H1, GJ_TAB, GJ_L, GJ_H2, GJ_W2, GJ_T, GJ_W3, GJ_T2,
       GJ_O, GJ_BUFS };

static const uint64_t gj_size[GJ_BUFS] = {
	[GJ_A] = GJ_M * GJ_K, [GJ_W1] = GJ_K * GJ_K, [GJ_H1] = GJ_M * GJ_K,
	[GJ_TAB] = 256, [GJ_L] = GJ_SMALL, [GJ_H2] = GJ_M * GJ_K,
	[GJ_W2] = GJ_K * GJ_N2, [GJ_T] = 2 * GJ_N2, [GJ_W3] = GJ_K * GJ_N3,
	[GJ_T2] = 16, [GJ_O] = GJ_M * GJ_N3,
};

static void gj_gemm(struct rm_npu_cmd *c, uint32_t a, uint32_t w,
		    uint32_t out, uint32_t m, uint32_t n)
{
	mlp_gemm(c, a, w, 0, out, m, GJ_K, n, MLP_SHIFT1, -128);
	c->flags = 0;
}

/* The job's commands; @bad: command 4 names a buffer past the bound ones */
static void gj_cmds(struct rm_npu_cmd *c, bool bad)
{
	gj_gemm(&c[0], GJ_A, GJ_W1, GJ_H1, GJ_M, GJ_K);	/* split */
	lut_cmd(&c[1], GJ_H1, GJ_TAB, GJ_L, GJ_SMALL);		/* alone */
	lut_cmd(&c[2], GJ_H1, GJ_TAB, GJ_H2, GJ_M * GJ_K);	/* split */
	gj_gemm(&c[3], GJ_H2, GJ_W2, GJ_T, 2, GJ_N2);	/* gang only */
	gj_gemm(&c[4], GJ_H2, GJ_W3, GJ_T2, 1, 16);	/* alone */
	c[4].gemm.ldb = GJ_N3;
	if (bad)
		c[4].gemm.out.bo = GJ_BUFS;
	gj_gemm(&c[5], GJ_H2, GJ_W3, GJ_O, GJ_M, GJ_N3);	/* split */
}

/* Runs the job on cpu(@threads): 0 or its error; @buf its buffers. */
static int gj_run(unsigned int threads, bool bad, uint8_t **buf)
{
	struct rm_npu_cmd cmds[6];
	struct npurt_job job;
	npurt_device dev;
	uint32_t st = 77, i;
	uint64_t j;
	int ret;

	for (i = 0; i < GJ_BUFS; i++) {
		buf[i] = malloc(gj_size[i]);
		assert_non_null(buf[i]);
		for (j = 0; j < gj_size[i]; j++)	/* weights -16..15 */
			buf[i][j] = (uint8_t)(i == GJ_W1 || i == GJ_W2 ||
					      i == GJ_W3 ?
					      (int)(mlp_rand(&st) % 32) - 16 :
					      (int)mlp_rand(&st));
	}
	gj_cmds(cmds, bad);
	memset(&job, 0, sizeof(job));
	job.cmds = cmds;
	job.num_cmds = 6;
	job.num_bufs = GJ_BUFS;
	job.bases = buf;
	job.sizes = gj_size;
	job.items = 1;
	memset(&dev, 0, sizeof(dev));
	assert_int_equal(npurt_cpu_device_init(&dev, threads, -1), 0);
	ret = dev.ops->run(&dev, &job);
	dev.ops->close(&dev);
	return ret;
}

static void gj_free(uint8_t **buf)
{
	unsigned int i;

	for (i = 0; i < GJ_BUFS; i++)
		free(buf[i]);
}

static void test_gang_job(void **state)
{
	/* spin 0: helpers asleep when offered, often taken back; gang
	 * unset: a gang up to 4 threads, one hand-off per command on 6 */
	static const char *const gang[] = { "1", "1", "0", "" };
	static const char *const spin[] = { "", "0", "", "" };
	uint8_t *want[GJ_BUFS], *got[GJ_BUFS], *fresh[GJ_BUFS];
	unsigned int g, n, i, r;
	char msg[64];

	(void)state;
	assert_int_equal(gj_run(1, false, want), 0);
	/* not trivial: the last GEMM's output has many distinct values */
	for (i = 1, r = 0; i < gj_size[GJ_O]; i++)
		r += want[GJ_O][i] != want[GJ_O][i - 1];
	assert_true(r > gj_size[GJ_O] / 2);
	for (g = 0; g < 4; g++) {
		assert_int_equal(setenv("NPURT_CPU_GANG", gang[g], 1), 0);
		assert_int_equal(setenv("NPURT_CPU_SPIN_US", spin[g], 1), 0);
		for (n = 2; n <= 6; n += n == 4 ? 2 : 1)
			for (r = 0; r < 3; r++) {
				assert_int_equal(gj_run(n, false, got), 0);
				for (i = 0; i < GJ_BUFS; i++)
					if (memcmp(got[i], want[i],
						   gj_size[i]))
						fail_msg("NPURT_CPU_GANG=%s "
							 "SPIN_US=%s cpu(%u): "
							 "buffer %u differs "
							 "from cpu(1)",
							 gang[g], spin[g], n,
							 i);
				gj_free(got);
			}
		for (n = 1; n <= 4; n++) {
			assert_int_equal(gj_run(n, true, got), -EINVAL);
			snprintf(msg, sizeof(msg), "cpu(%u): command 4 invalid "
				 "for the bound buffers", n);
			if (strcmp(npurt_last_error(), msg))
				fail_msg("NPURT_CPU_GANG=%s cpu(%u): \"%s\"",
					 gang[g], n, npurt_last_error());
			/* commands 0-3 ran, 5 did not */
			(void)gj_run(1, true, fresh);
			assert_memory_equal(got[GJ_T], want[GJ_T],
					    gj_size[GJ_T]);
			assert_memory_equal(got[GJ_H2], want[GJ_H2],
					    gj_size[GJ_H2]);
			assert_memory_equal(got[GJ_L], want[GJ_L],
					    gj_size[GJ_L]);
			assert_memory_equal(got[GJ_O], fresh[GJ_O],
					    gj_size[GJ_O]);
			assert_memory_not_equal(got[GJ_O], want[GJ_O],
						gj_size[GJ_O]);
			gj_free(got);
			gj_free(fresh);
		}
	}
	unsetenv("NPURT_CPU_GANG");
	unsetenv("NPURT_CPU_SPIN_US");
	gj_free(want);
}

/* $NPURT_CPU_GANG takes 0 or 1 only, refused with -EINVAL otherwise. */
static void test_gang_env(void **state)
{
	static const char *const bad[] = { "2", "yes", "-1", "01 " };
	npurt_device dev;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(setenv("NPURT_CPU_GANG", bad[i], 1), 0);
		memset(&dev, 0, sizeof(dev));
		assert_int_equal(npurt_cpu_device_init(&dev, 2, -1), -EINVAL);
		if (!strstr(npurt_last_error(), "NPURT_CPU_GANG="))
			fail_msg("%s: \"%s\"", bad[i], npurt_last_error());
	}
	unsetenv("NPURT_CPU_GANG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_device_info),
		cmocka_unit_test(test_spin_env),
		cmocka_unit_test(test_tune_env),
		cmocka_unit_test(test_tune_remeasure),
		cmocka_unit_test(test_runs_share_pool),
		cmocka_unit_test(test_float_conv_split),
		cmocka_unit_test(test_transpose_copy_split),
		cmocka_unit_test(test_eltwise_step_split),
		cmocka_unit_test(test_gang_job),
		cmocka_unit_test(test_mixed_program),
		cmocka_unit_test(test_gang_env),
	};

	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
