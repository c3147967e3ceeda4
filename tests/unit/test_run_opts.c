// SPDX-License-Identifier: MIT
/*
 * test_run_opts.c - npurt_runner_run_opts() on the CPU device: the options
 * struct grows by size (shorter callers read as zero, a longer caller's
 * unknown tail must be zero), flags and reserved fields, inputs and
 * outputs by name (and npurt_model_{input,output}_index()), a timeout and
 * a cancellation token: runs that have not started are dropped at once,
 * a started one is waited for. A run that finds the worker idle goes on
 * the calling thread; one that does not waits for it.
 *
 * A run is held back by the executor's test hook: the item whose input
 * starts with byte ID waits while gate ID is closed. Assertions do not
 * depend on timing except the last one of test_timeout_started (see
 * there).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "exec.h"

#define ELEMS	32

/* ---- gates -------------------------------------------------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed[256];
static unsigned int entered[256];
static pthread_t ran_on[256];		/* the thread that ran item ID */
static npurt_cancel *cancel_on[256];	/* requested when item ID starts */

static void gate_hook(npurt_tensor *const *inputs, unsigned int item)
{
	const uint8_t *x = npurt_tensor_data(inputs[0]);
	uint8_t id = x[(size_t)item * ELEMS];

	pthread_mutex_lock(&gate_lock);
	entered[id]++;
	ran_on[id] = pthread_self();
	if (cancel_on[id])
		npurt_cancel_request(cancel_on[id]);
	pthread_cond_broadcast(&gate_cond);
	while (gate_closed[id])
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void gate_set(uint8_t id, bool closed)
{
	pthread_mutex_lock(&gate_lock);
	gate_closed[id] = closed;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static void wait_entered(uint8_t id)
{
	pthread_mutex_lock(&gate_lock);
	while (!entered[id])
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static unsigned int entered_count(uint8_t id)
{
	unsigned int n;

	pthread_mutex_lock(&gate_lock);
	n = entered[id];
	pthread_mutex_unlock(&gate_lock);
	return n;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- fixture: ya = copy(a), yb = copy(b) on cpu(1), one worker ------- */

struct fix {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *r;
	npurt_tensor *a, *b, *ya, *yb;
};

static struct fix fx;

static void add_copy(npurt_program_builder *b, uint32_t src, uint32_t dst)
{
	struct rm_npu_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = src;
	c.copy.dst.bo = dst;
	c.copy.dims[0] = ELEMS;
	c.copy.dims[1] = c.copy.dims[2] = c.copy.dims[3] = 1;
	c.copy.src_stride[0] = c.copy.dst_stride[0] = 1;
	c.copy.elem_size = 1;
	assert_true(npurt_program_builder_add_cmd(b, &c) >= 0);
}

static npurt_model *copy2_model(void)
{
	struct npurt_tensor_info t = { .dtype = NPURT_DTYPE_UINT8, .ndim = 2,
		.dims = { 1, ELEMS }, .layout = "NC" };
	const char *names[] = { "a", "b", "ya", "yb" };
	npurt_program_builder *b;
	npurt_program *p;
	npurt_model *m;
	int i;

	assert_int_equal(npurt_program_builder_create("copy2", &b), 0);
	for (i = 0; i < 4; i++) {
		t.name = names[i];
		assert_int_equal(i < 2 ? npurt_program_builder_add_input(b, &t) :
				 npurt_program_builder_add_output(b, &t), i);
	}
	add_copy(b, 0, 2);
	add_copy(b, 1, 3);
	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	npurt_program_builder_destroy(b);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	return m;
}

static int setup(void **state)
{
	struct npurt_runner_opts o = { .worker_num = 1 };

	(void)state;
	memset(&fx, 0, sizeof(fx));
	memset(gate_closed, 0, sizeof(gate_closed));
	memset(entered, 0, sizeof(entered));
	memset(cancel_on, 0, sizeof(cancel_on));
	npurt_exec_test_hook = gate_hook;
	if (npurt_runtime_create("cpu(1)", &fx.rt))
		return -1;
	fx.model = copy2_model();
	if (npurt_runner_create(fx.rt, fx.model, &o, &fx.r) ||
	    npurt_tensor_alloc(fx.rt, npurt_runner_input(fx.r, 0), &fx.a) ||
	    npurt_tensor_alloc(fx.rt, npurt_runner_input(fx.r, 1), &fx.b) ||
	    npurt_tensor_alloc(fx.rt, npurt_runner_output(fx.r, 0), &fx.ya) ||
	    npurt_tensor_alloc(fx.rt, npurt_runner_output(fx.r, 1), &fx.yb))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	npurt_tensor_destroy(fx.a);
	npurt_tensor_destroy(fx.b);
	npurt_tensor_destroy(fx.ya);
	npurt_tensor_destroy(fx.yb);
	npurt_runner_destroy(fx.r);
	npurt_model_destroy(fx.model);
	npurt_runtime_destroy(fx.rt);
	npurt_exec_test_hook = NULL;
	return 0;
}

static void fill(npurt_tensor *t, uint8_t first)
{
	uint8_t *x = npurt_tensor_data(t);
	unsigned int i;

	for (i = 0; i < ELEMS; i++)
		x[i] = (uint8_t)(first + i);
}

static int run(const struct npurt_run_opts *o)
{
	npurt_tensor *in[2] = { fx.a, fx.b }, *out[2] = { fx.ya, fx.yb };

	return npurt_runner_run_opts(fx.r, in, out, o);
}

/* ---- options struct ------------------------------------------------------ */

/* A caller built against a later library, with one more field. */
struct run_opts_next {
	struct npurt_run_opts v12;
	uint64_t later;
};

static void test_opts_size(void **state)
{
	struct npurt_run_opts o = { .size = sizeof(o) };
	struct run_opts_next n;

	(void)state;
	fill(fx.a, 1);
	fill(fx.b, 101);
	assert_int_equal(run(NULL), 0);
	assert_int_equal(run(&o), 0);
	assert_memory_equal(npurt_tensor_data(fx.ya), npurt_tensor_data(fx.a),
			    ELEMS);
	assert_memory_equal(npurt_tensor_data(fx.yb), npurt_tensor_data(fx.b),
			    ELEMS);
	assert_int_equal(sizeof(o), NPURT_RUN_OPTS_SIZE_1_2);
	o.size = 0;
	assert_int_equal(run(&o), -EINVAL);
	o.size = NPURT_RUN_OPTS_SIZE_1_2 - 1;
	assert_int_equal(run(&o), -EINVAL);
	assert_non_null(strstr(npurt_last_error(), "run options: size"));
	o.size = sizeof(o);
	o.flags = 1;
	assert_int_equal(run(&o), -EINVAL);
	assert_non_null(strstr(npurt_last_error(), "unknown flags 0x1"));
	o.flags = 0;
	o.reserved0 = 2;
	assert_int_equal(run(&o), -EINVAL);
	o.reserved0 = 0;
	/* Newer callers: a zero tail is fine, anything else is E2BIG. */
	memset(&n, 0, sizeof(n));
	n.v12.size = sizeof(n);
	assert_int_equal(run(&n.v12), 0);
	n.later = 1;
	assert_int_equal(run(&n.v12), -E2BIG);
	assert_non_null(strstr(npurt_last_error(), "byte 40 of 48"));
}

/* ---- by name -------------------------------------------------------------- */

static void test_names(void **state)
{
	const char *rev_in[] = { "b", "a" }, *rev_out[] = { "yb", "ya" };
	const char *dup[] = { "a", "a" }, *bad[] = { "a", "c" };
	const char *nul[] = { "a", NULL };
	struct npurt_run_opts o = { .size = sizeof(o) };
	npurt_tensor *in[2] = { fx.b, fx.a }, *out[2] = { fx.yb, fx.ya };
	npurt_tensor *pos[2] = { fx.ya, fx.yb };

	(void)state;
	assert_int_equal(npurt_model_input_index(fx.model, "a"), 0);
	assert_int_equal(npurt_model_input_index(fx.model, "b"), 1);
	assert_int_equal(npurt_model_output_index(fx.model, "yb"), 1);
	assert_int_equal(npurt_model_input_index(fx.model, "ya"), -ENOENT);
	assert_string_equal(npurt_last_error(), "model \"copy2\" has no input "
			    "named \"ya\" (inputs: \"a\", \"b\")");
	assert_int_equal(npurt_model_output_index(fx.model, "a"), -ENOENT);
	assert_int_equal(npurt_model_input_index(NULL, "a"), -EINVAL);
	assert_int_equal(npurt_model_input_index(fx.model, NULL), -EINVAL);

	fill(fx.a, 10);
	fill(fx.b, 200);
	o.input_names = rev_in;
	o.output_names = rev_out;
	assert_int_equal(npurt_runner_run_opts(fx.r, in, out, &o), 0);
	assert_memory_equal(npurt_tensor_data(fx.ya), npurt_tensor_data(fx.a),
			    ELEMS);
	assert_memory_equal(npurt_tensor_data(fx.yb), npurt_tensor_data(fx.b),
			    ELEMS);
	/* Outputs by position, inputs by name. */
	o.output_names = NULL;
	memset(npurt_tensor_data(fx.ya), 0, ELEMS);
	assert_int_equal(npurt_runner_run_opts(fx.r, in, pos, &o), 0);
	assert_memory_equal(npurt_tensor_data(fx.ya), npurt_tensor_data(fx.a),
			    ELEMS);
	o.input_names = dup;
	assert_int_equal(npurt_runner_run_opts(fx.r, in, out, &o), -EINVAL);
	assert_string_equal(npurt_last_error(), "input \"a\" named twice");
	o.input_names = bad;
	assert_int_equal(npurt_runner_run_opts(fx.r, in, out, &o), -EINVAL);
	assert_string_equal(npurt_last_error(),
			    "the model has no input named \"c\"");
	o.input_names = nul;
	assert_int_equal(npurt_runner_run_opts(fx.r, in, out, &o), -EINVAL);
	assert_string_equal(npurt_last_error(), "input name 1 is NULL");
	o.input_names = rev_in;
	assert_int_equal(npurt_runner_run_opts(fx.r, NULL, out, &o), -EINVAL);
}

/* ---- timeout and cancellation ------------------------------------------- */

struct blocker {
	pthread_t t;
	npurt_tensor *a, *b, *ya, *yb;
	int ret;
};

/* Occupies the only worker: a run whose item waits at gate 1. */
static void *blocker_main(void *arg)
{
	struct blocker *bl = arg;
	npurt_tensor *in[2] = { bl->a, bl->b }, *out[2] = { bl->ya, bl->yb };

	bl->ret = npurt_runner_run(fx.r, in, out);
	return NULL;
}

static void blocker_start(struct blocker *bl)
{
	memset(bl, 0, sizeof(*bl));
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_runner_input(fx.r, 0),
					    &bl->a), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_runner_input(fx.r, 1),
					    &bl->b), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt,
					    npurt_runner_output(fx.r, 0),
					    &bl->ya), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt,
					    npurt_runner_output(fx.r, 1),
					    &bl->yb), 0);
	fill(bl->a, 1);
	gate_set(1, true);
	assert_int_equal(pthread_create(&bl->t, NULL, blocker_main, bl), 0);
	wait_entered(1);
}

static void blocker_finish(struct blocker *bl)
{
	gate_set(1, false);
	assert_int_equal(pthread_join(bl->t, NULL), 0);
	assert_int_equal(bl->ret, 0);
	npurt_tensor_destroy(bl->a);
	npurt_tensor_destroy(bl->b);
	npurt_tensor_destroy(bl->ya);
	npurt_tensor_destroy(bl->yb);
}

/* A run still waiting for a worker fails at its deadline and never runs. */
static void test_timeout_queued(void **state)
{
	struct npurt_run_opts o = { .size = sizeof(o), .timeout_ms = 30 };
	struct blocker bl;

	(void)state;
	blocker_start(&bl);
	fill(fx.a, 2);
	assert_int_equal(run(&o), -ETIMEDOUT);
	assert_string_equal(npurt_last_error(), "run not completed within its "
			    "timeout of 30 ms");
	blocker_finish(&bl);
	/* The worker is idle again: run 2 was dropped, not left queued. */
	o.timeout_ms = 0;
	fill(fx.a, 3);
	assert_int_equal(run(&o), 0);
	assert_int_equal(entered_count(3), 1);
	assert_int_equal(entered_count(2), 0);
	/* A timeout long enough changes nothing. */
	o.timeout_ms = 60000;
	assert_int_equal(run(&o), 0);
	assert_int_equal(entered_count(3), 2);
}

struct canceller {
	pthread_t t;
	npurt_cancel *c;
	int ret;
};

static void *cancelled_run_main(void *arg)
{
	struct canceller *k = arg;
	struct npurt_run_opts o = { .size = sizeof(o), .cancel = k->c };

	k->ret = run(&o);
	return NULL;
}

static void test_cancel(void **state)
{
	struct npurt_run_opts o = { .size = sizeof(o) };
	struct canceller k = { .ret = 1 };
	struct blocker bl;

	(void)state;
	assert_int_equal(npurt_cancel_create(&k.c), 0);
	assert_int_equal(npurt_cancel_create(NULL), -EINVAL);
	assert_int_equal(npurt_cancel_requested(k.c), 0);
	assert_int_equal(npurt_cancel_requested(NULL), 0);

	/* Requested from another thread while the run waits for a worker. */
	blocker_start(&bl);
	fill(fx.a, 4);
	assert_int_equal(pthread_create(&k.t, NULL, cancelled_run_main, &k),
			 0);
	nap_ms(50);		/* lets a run that ignores the token return */
	assert_int_equal(__atomic_load_n(&k.ret, __ATOMIC_SEQ_CST), 1);
	npurt_cancel_request(k.c);
	assert_int_equal(pthread_join(k.t, NULL), 0);
	assert_int_equal(k.ret, -ECANCELED);
	assert_int_equal(npurt_cancel_requested(k.c), 1);
	blocker_finish(&bl);
	assert_int_equal(entered_count(4), 0);

	/* Requested before the call: fails at once, runs nothing. */
	o.cancel = k.c;
	fill(fx.a, 5);
	assert_int_equal(run(&o), -ECANCELED);
	assert_string_equal(npurt_last_error(), "run cancelled through its "
			    "npurt_cancel token");
	assert_int_equal(entered_count(5), 0);
	/* Reset: the token lets runs through again. */
	npurt_cancel_reset(k.c);
	assert_int_equal(run(&o), 0);
	assert_int_equal(entered_count(5), 1);
	npurt_cancel_destroy(k.c);
	npurt_cancel_destroy(NULL);
	npurt_cancel_request(NULL);
}

struct opener {
	pthread_t t;
	uint8_t id;
	bool opened;
};

static void *opener_main(void *arg)
{
	struct opener *op = arg;

	wait_entered(op->id);
	nap_ms(1000);
	pthread_mutex_lock(&gate_lock);
	op->opened = true;
	gate_closed[op->id] = false;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

/*
 * A run whose item has started when the deadline passes: the call waits
 * for the item (it writes the caller's outputs), then fails. The worker is
 * idle, so the item runs on this thread and the call returns when the gate
 * opens; on a worker's thread, the -ETIMEDOUT would assume this thread
 * wakes within the second between the 20 ms deadline and the gate opening.
 */
static void test_timeout_started(void **state)
{
	struct npurt_run_opts o = { .size = sizeof(o), .timeout_ms = 20 };
	struct opener op = { .id = 6 };

	(void)state;
	gate_set(6, true);
	fill(fx.a, 6);
	assert_int_equal(pthread_create(&op.t, NULL, opener_main, &op), 0);
	assert_int_equal(run(&o), -ETIMEDOUT);
	pthread_mutex_lock(&gate_lock);
	assert_true(op.opened);
	pthread_mutex_unlock(&gate_lock);
	assert_int_equal(pthread_join(op.t, NULL), 0);
	assert_int_equal(entered_count(6), 1);
	assert_true(pthread_equal(ran_on[6], pthread_self()));
	assert_memory_equal(npurt_tensor_data(fx.ya), npurt_tensor_data(fx.a),
			    ELEMS);
}

struct caller {
	pthread_t t;
	uint8_t id;
	npurt_tensor *a, *b, *ya, *yb;
	int ret;
};

static void *caller_main(void *arg)
{
	struct caller *k = arg;
	npurt_tensor *in[2] = { k->a, k->b }, *out[2] = { k->ya, k->yb };

	k->ret = npurt_runner_run(fx.r, in, out);
	return NULL;
}

/*
 * With its worker idle, a run goes on the calling thread (no hand-off to
 * the worker's) and gives the same bytes; while a caller has the only
 * worker, another caller's run waits (one run at a time, as with the
 * worker's thread) and completes once it is free.
 */
static void test_caller_thread(void **state)
{
	struct caller k = { .id = 7, .ret = 1 };
	struct blocker bl;

	(void)state;
	fill(fx.a, 9);
	fill(fx.b, 77);
	assert_int_equal(run(NULL), 0);
	assert_int_equal(entered_count(9), 1);
	assert_true(pthread_equal(ran_on[9], pthread_self()));
	assert_memory_equal(npurt_tensor_data(fx.ya), npurt_tensor_data(fx.a),
			    ELEMS);
	assert_memory_equal(npurt_tensor_data(fx.yb), npurt_tensor_data(fx.b),
			    ELEMS);

	/* The blocker's run holds the worker, on the blocker's thread. */
	blocker_start(&bl);
	assert_true(pthread_equal(ran_on[1], bl.t));
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_runner_input(fx.r, 0),
					    &k.a), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_runner_input(fx.r, 1),
					    &k.b), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt,
					    npurt_runner_output(fx.r, 0),
					    &k.ya), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt,
					    npurt_runner_output(fx.r, 1),
					    &k.yb), 0);
	fill(k.a, 7);
	fill(k.b, 170);
	assert_int_equal(pthread_create(&k.t, NULL, caller_main, &k), 0);
	nap_ms(50);		/* lets a run that ignores the limit start */
	assert_int_equal(entered_count(7), 0);
	blocker_finish(&bl);
	assert_int_equal(pthread_join(k.t, NULL), 0);
	assert_int_equal(k.ret, 0);
	assert_int_equal(entered_count(7), 1);
	assert_memory_equal(npurt_tensor_data(k.ya), npurt_tensor_data(k.a),
			    ELEMS);
	assert_memory_equal(npurt_tensor_data(k.yb), npurt_tensor_data(k.b),
			    ELEMS);
	npurt_tensor_destroy(k.a);
	npurt_tensor_destroy(k.b);
	npurt_tensor_destroy(k.ya);
	npurt_tensor_destroy(k.yb);

	/* And the next run is on this thread again. */
	fill(fx.a, 10);
	assert_int_equal(run(NULL), 0);
	assert_true(pthread_equal(ran_on[10], pthread_self()));
}

/*
 * A token requested while the run goes on the calling thread: the item
 * completes (outputs written), the call fails as a waiting one would.
 */
static void test_cancel_running(void **state)
{
	struct npurt_run_opts o = { .size = sizeof(o) };

	(void)state;
	assert_int_equal(npurt_cancel_create(&o.cancel), 0);
	cancel_on[11] = o.cancel;
	fill(fx.a, 11);
	memset(npurt_tensor_data(fx.ya), 0, ELEMS);
	assert_int_equal(run(&o), -ECANCELED);
	assert_string_equal(npurt_last_error(), "run cancelled through its "
			    "npurt_cancel token");
	assert_int_equal(entered_count(11), 1);
	assert_true(pthread_equal(ran_on[11], pthread_self()));
	assert_memory_equal(npurt_tensor_data(fx.ya), npurt_tensor_data(fx.a),
			    ELEMS);
	/* Reset: the next run goes through. */
	npurt_cancel_reset(o.cancel);
	fill(fx.a, 12);
	assert_int_equal(run(&o), 0);
	assert_int_equal(entered_count(12), 1);
	npurt_cancel_destroy(o.cancel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_opts_size, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_queued, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_started, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_caller_thread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel_running, setup,
						teardown),
	};

	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
