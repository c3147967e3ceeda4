// SPDX-License-Identifier: MIT
/*
 * test_runner.c - npurt_runner on CPU devices: many threads calling
 * npurt_runner_run() at once get the results of sequential runs, batches
 * equal per-item runs, device tensors work in place, the model may go
 * away before the runner, argument and option errors.
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

#include "example_mlp.h"

#define THREADS		8
#define RUNS		16

static const struct mlp_shape shape = { .m = 3, .k = 40, .hid = 70,
					.n = 20, .seed = 5 };
#define NX	(3 * 40)
#define NY	(3 * 20)

static npurt_model *mlp_model(void)
{
	npurt_program *p = NULL;
	npurt_model *m = NULL;

	assert_int_equal(mlp_build(&shape, &p), 0);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	return m;
}

static int run_once(npurt_runner *r, const int8_t *x, uint8_t *y)
{
	npurt_tensor *in = NULL, *out = NULL;
	int ret;

	ret = npurt_tensor_wrap(npurt_runner_input(r, 0), (void *)x,
				npurt_tensor_desc_size(npurt_runner_input(r, 0)),
				&in);
	if (!ret)
		ret = npurt_tensor_wrap(npurt_runner_output(r, 0), y,
					npurt_tensor_desc_size(
						npurt_runner_output(r, 0)),
					&out);
	if (!ret)
		ret = npurt_runner_run(r, &in, &out);
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	return ret;
}

static int8_t inputs[THREADS * RUNS][NX];
static uint8_t expect[THREADS * RUNS][NY];

struct worker {
	pthread_t t;
	npurt_runner *r;
	unsigned int index;
	unsigned int mismatches;
	int err;
};

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	uint8_t y[NY];
	unsigned int i;

	for (i = 0; i < RUNS; i++) {
		unsigned int k = w->index * RUNS + i;
		int ret = run_once(w->r, inputs[k], y);

		if (ret && !w->err)
			w->err = ret;
		if (!ret && memcmp(y, expect[k], NY))
			w->mismatches++;
	}
	return NULL;
}

/*
 * @threads threads calling npurt_runner_run() at once on @spec with
 * @workers workers per device: a run goes to an idle worker on the
 * caller's thread, or waits in the queue for one, and every output equals
 * the sequential run's.
 */
static void threads_on(npurt_model *m, const char *spec, unsigned int workers,
		       unsigned int threads)
{
	struct npurt_runner_opts o = { .worker_num = workers };
	struct worker w[THREADS];
	npurt_runtime *rt = NULL;
	npurt_runner *r = NULL;
	unsigned int i;

	assert_int_equal(npurt_runtime_create(spec, &rt), 0);
	assert_int_equal(npurt_runner_create(rt, m, &o, &r), 0);
	for (i = 0; i < threads; i++) {
		w[i] = (struct worker){ .r = r, .index = i };
		assert_int_equal(pthread_create(&w[i].t, NULL, thread_main,
						&w[i]), 0);
	}
	for (i = 0; i < threads; i++) {
		assert_int_equal(pthread_join(w[i].t, NULL), 0);
		assert_int_equal(w[i].err, 0);
		assert_int_equal(w[i].mismatches, 0);
	}
	npurt_runner_destroy(r);
	npurt_runtime_destroy(rt);
}

static void test_threads(void **state)
{
	npurt_runtime *rt1 = NULL;
	npurt_runner *r1 = NULL;
	npurt_model *m = mlp_model();
	unsigned int i, distinct = 0;

	(void)state;
	/* Expected: one run at a time on cpu(1). */
	assert_int_equal(npurt_runtime_create("cpu(1)", &rt1), 0);
	assert_int_equal(npurt_runner_create(rt1, m, NULL, &r1), 0);
	for (i = 0; i < THREADS * RUNS; i++) {
		mlp_input(inputs[i], NX, 100 + i);
		assert_int_equal(run_once(r1, inputs[i], expect[i]), 0);
		if (i)
			distinct += !!memcmp(expect[i], expect[i - 1], NY);
	}
	assert_true(distinct > THREADS * RUNS / 2);
	npurt_runner_destroy(r1);
	npurt_runtime_destroy(rt1);

	/* More callers than workers: most runs queue behind a busy one. */
	threads_on(m, "cpu(1)", 1, THREADS);
	threads_on(m, "cpu(2)", 2, THREADS);
	threads_on(m, "cpu(1)", 3, 2);
	/* Two CPU devices, 3 workers each. */
	threads_on(m, "cpu(2),cpu(3)", 3, THREADS);
	npurt_model_destroy(m);
}

static void test_batch(void **state)
{
	struct npurt_runner_opts o = { .batch_size = 4, .worker_num = 2 };
	npurt_runtime *rt = NULL;
	npurt_runner *r = NULL, *r1 = NULL;
	npurt_model *m = mlp_model();
	npurt_tensor *in = NULL, *out = NULL;
	uint8_t y[NY];
	int8_t *x;
	unsigned int i;

	(void)state;
	assert_int_equal(npurt_runtime_create("cpu(2)", &rt), 0);
	assert_int_equal(npurt_runner_create(rt, m, &o, &r), 0);
	assert_int_equal(npurt_runner_create(rt, m, NULL, &r1), 0);
	assert_int_equal(npurt_tensor_desc_dim(npurt_runner_input(r, 0), 0),
			 4 * shape.m);
	assert_int_equal(npurt_tensor_desc_size(npurt_runner_output(r, 0)),
			 4 * NY);
	/* Device tensors of the CPU device, used in place. */
	assert_int_equal(npurt_device_tensor_alloc(npurt_runtime_device(rt, 0),
						   npurt_runner_input(r, 0),
						   &in), 0);
	assert_ptr_equal(npurt_tensor_device(in), npurt_runtime_device(rt, 0));
	assert_int_equal(npurt_tensor_alloc(rt, npurt_runner_output(r, 0),
					    &out), 0);
	assert_null(npurt_tensor_device(out));
	x = npurt_tensor_data(in);
	for (i = 0; i < 4; i++)
		mlp_input(x + i * NX, NX, 7 + i);
	assert_int_equal(npurt_runner_run(r, &in, &out), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(run_once(r1, x + i * NX, y), 0);
		assert_memory_equal((uint8_t *)npurt_tensor_data(out) + i * NY,
				    y, NY);
	}
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	npurt_runner_destroy(r);
	npurt_runner_destroy(r1);
	npurt_model_destroy(m);
	npurt_runtime_destroy(rt);
}

static void test_errors(void **state)
{
	struct npurt_runner_opts o = { 0 };
	npurt_runtime *rt = NULL;
	npurt_runner *r = NULL;
	npurt_model *m = mlp_model();
	npurt_tensor *in = NULL, *out = NULL, *small = NULL;
	npurt_tensor *none[1] = { NULL };
	int8_t x[NX];
	uint8_t y[NY], y2[NY];

	(void)state;
	assert_int_equal(npurt_runtime_create("cpu(1)", &rt), 0);
	o.reserved[0] = 1;
	assert_int_equal(npurt_runner_create(rt, m, &o, &r), -EINVAL);
	o.reserved[0] = 0;
	o.worker_num = 65;
	assert_int_equal(npurt_runner_create(rt, m, &o, &r), -EINVAL);
	o.worker_num = 0;
	o.batch_size = 4097;
	assert_int_equal(npurt_runner_create(rt, m, &o, &r), -EINVAL);
	assert_int_equal(npurt_runner_create(NULL, m, NULL, &r), -EINVAL);
	assert_int_equal(npurt_runner_create(rt, NULL, NULL, &r), -EINVAL);
	assert_int_equal(npurt_runner_create(rt, m, NULL, NULL), -EINVAL);
	assert_null(r);

	assert_int_equal(npurt_runner_create(rt, m, NULL, &r), 0);
	/* The runner keeps its own reference to the model. */
	npurt_model_destroy(m);
	assert_int_equal(npurt_runner_input_count(r), 1);
	assert_int_equal(npurt_runner_output_count(r), 1);
	assert_null(npurt_runner_input(r, 1));
	assert_null(npurt_runner_output(r, 1));
	assert_int_equal(npurt_runner_input_count(NULL), 0);

	mlp_input(x, NX, 3);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_input(r, 0), x, NX,
					   &in), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r, 0), y, NY,
					   &out), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r, 0), y, NY - 1,
					   &small), -EINVAL);
	assert_null(small);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r, 0), NULL, NY,
					   &small), -EINVAL);
	assert_int_equal(npurt_tensor_wrap(NULL, y, NY, &small), -EINVAL);
	assert_int_equal(npurt_runner_run(NULL, &in, &out), -EINVAL);
	assert_int_equal(npurt_runner_run(r, NULL, &out), -EINVAL);
	assert_int_equal(npurt_runner_run(r, &in, NULL), -EINVAL);
	assert_int_equal(npurt_runner_run(r, none, &out), -EINVAL);
	assert_non_null(strstr(npurt_last_error(), "input 0 (\"x\") is NULL"));
	/* A tensor of another shape but enough bytes is accepted; a smaller
	 * one is not. */
	{
		struct npurt_tensor_info ti = { .name = "tiny", .ndim = 1,
			.dtype = NPURT_DTYPE_UINT8, .dims = { NY - 1 } };
		npurt_tensor_desc *d = NULL;

		assert_int_equal(npurt_tensor_desc_create(&ti, &d), 0);
		assert_int_equal(npurt_tensor_alloc(rt, d, &small), 0);
		npurt_tensor_desc_destroy(d);
	}
	assert_int_equal(npurt_runner_run(r, &in, &small), -EINVAL);
	assert_non_null(strstr(npurt_last_error(),
			       "output 0 (\"y\"): 59 bytes, needs 60"));
	assert_int_equal(npurt_runner_run(r, &in, &out), 0);
	memcpy(y2, y, NY);
	memset(y, 0, NY);
	assert_int_equal(npurt_runner_run(r, &in, &out), 0);
	assert_memory_equal(y, y2, NY);		/* deterministic */
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	npurt_tensor_destroy(small);
	npurt_runner_destroy(r);
	npurt_runner_destroy(NULL);
	npurt_runtime_destroy(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_errors),
	};

	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
