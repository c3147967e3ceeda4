// SPDX-License-Identifier: MIT
/*
 * test_queue.c - npurt_queue semantics with real threads on the CPU
 * device: submit blocks while the input queue is full, recv times out
 * with ETIMEDOUT and waits the whole timeout, completion order differs
 * from submission order, closing the submit side drains, closing the
 * receive side cancels (also blocked callers), the fd polls readable
 * exactly while recv would not block, option checks, borrowed inputs.
 *
 * Runs are held back by the executor's test hook: a run whose input
 * starts with byte ID waits until gate ID is opened. No assertion depends
 * on timing: the sleeps only give a wrongly non-blocking call the chance
 * to return.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec.h"

#define ELEMS	64

/* ---- gates -------------------------------------------------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed[256];
static unsigned int entered[256];
static npurt_tensor *ran_input[256];	/* the input tensor a run read */

static void gate_hook(npurt_tensor *const *inputs, unsigned int item)
{
	const uint8_t *x = npurt_tensor_data(inputs[0]);
	uint8_t id = x[(size_t)item * ELEMS];

	pthread_mutex_lock(&gate_lock);
	entered[id]++;
	ran_input[id] = inputs[0];
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

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- fixture: y = copy(x) on cpu(1) ----------------------------------- */

struct fix {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_queue *q;
	npurt_tensor *in, *out;
};

static struct fix fx;

static npurt_model *copy_model(void)
{
	struct npurt_tensor_info t = { .name = "x", .dtype = NPURT_DTYPE_UINT8,
		.ndim = 2, .dims = { 1, ELEMS }, .layout = "NC" };
	npurt_program_builder *b;
	npurt_program *p;
	npurt_model *m;
	struct rm_npu_cmd c;

	assert_int_equal(npurt_program_builder_create("copy", &b), 0);
	assert_int_equal(npurt_program_builder_add_input(b, &t), 0);
	t.name = "y";
	assert_int_equal(npurt_program_builder_add_output(b, &t), 1);
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = 0;
	c.copy.dst.bo = 1;
	c.copy.dims[0] = ELEMS;
	c.copy.dims[1] = c.copy.dims[2] = c.copy.dims[3] = 1;
	c.copy.src_stride[0] = c.copy.dst_stride[0] = 1;
	c.copy.elem_size = 1;
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 0);
	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	npurt_program_builder_destroy(b);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	return m;
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	memset(gate_closed, 0, sizeof(gate_closed));
	memset(entered, 0, sizeof(entered));
	memset(ran_input, 0, sizeof(ran_input));
	npurt_exec_test_hook = gate_hook;
	if (npurt_runtime_create("cpu(1)", &fx.rt))
		return -1;
	fx.model = copy_model();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	npurt_tensor_destroy(fx.in);
	npurt_tensor_destroy(fx.out);
	npurt_queue_destroy(fx.q);
	npurt_model_destroy(fx.model);
	npurt_runtime_destroy(fx.rt);
	npurt_exec_test_hook = NULL;
	return 0;
}

static void make_queue(unsigned int workers, unsigned int inq,
		       unsigned int outq)
{
	struct npurt_queue_opts o = { .worker_num = workers,
		.input_queue_size = inq, .output_queue_size = outq };

	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &fx.q), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_queue_input(fx.q, 0),
					    &fx.in), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt,
					    npurt_queue_output(fx.q, 0),
					    &fx.out), 0);
}

/* Submit run @id: input bytes id, id+1, ...; context (void *)(id + 1000). */
static int submit_id(uint8_t id)
{
	uint8_t *x = npurt_tensor_data(fx.in);
	unsigned int i;

	for (i = 0; i < ELEMS; i++)
		x[i] = (uint8_t)(id + i);
	return npurt_queue_submit(fx.q, &fx.in, (void *)(uintptr_t)(id + 1000));
}

/* Receive one run; check its output matches its context. Return: id. */
static int recv_id(int timeout_ms)
{
	const uint8_t *y = npurt_tensor_data(fx.out);
	void *ctx = NULL;
	unsigned int i, id;
	int ret = npurt_queue_recv(fx.q, &ctx, &fx.out, timeout_ms);

	if (ret)
		return ret;
	id = (unsigned int)((uintptr_t)ctx - 1000);
	assert_true(id < 256);
	for (i = 0; i < ELEMS; i++)
		assert_int_equal(y[i], (uint8_t)(id + i));
	return (int)id;
}

struct bg {
	pthread_t t;
	uint8_t id;
	int timeout;
	int ret;
	atomic_bool done;
};

static void *bg_submit(void *arg)
{
	struct bg *b = arg;
	npurt_tensor *in;
	uint8_t *x;

	/* Its own input tensor: the main thread keeps using fx.in. */
	assert_int_equal(npurt_tensor_alloc(NULL, npurt_queue_input(fx.q, 0),
					    &in), 0);
	x = npurt_tensor_data(in);
	memset(x, 0, ELEMS);
	for (unsigned int i = 0; i < ELEMS; i++)
		x[i] = (uint8_t)(b->id + i);
	b->ret = npurt_queue_submit(fx.q, &in, (void *)(uintptr_t)(b->id +
								   1000));
	npurt_tensor_destroy(in);
	atomic_store(&b->done, true);
	return NULL;
}

static void *bg_recv(void *arg)
{
	struct bg *b = arg;
	npurt_tensor *out;
	void *ctx;

	assert_int_equal(npurt_tensor_alloc(NULL, npurt_queue_output(fx.q, 0),
					    &out), 0);
	b->ret = npurt_queue_recv(fx.q, &ctx, &out, b->timeout);
	npurt_tensor_destroy(out);
	atomic_store(&b->done, true);
	return NULL;
}

static void *bg_open_later(void *arg)
{
	struct bg *b = arg;

	wait_entered(b->id);
	nap_ms(200);
	gate_set(b->id, false);
	return NULL;
}

/* ---- tests -------------------------------------------------------------- */

static void test_submit_blocks_when_full(void **state)
{
	struct bg b = { .id = 4 };

	(void)state;
	make_queue(1, 2, 8);
	gate_set(1, true);
	assert_int_equal(submit_id(1), 0);
	wait_entered(1);		/* the only worker holds run 1 */
	assert_int_equal(submit_id(2), 0);
	assert_int_equal(submit_id(3), 0);	/* input queue full: 2 */
	assert_int_equal(pthread_create(&b.t, NULL, bg_submit, &b), 0);
	nap_ms(200);
	assert_false(atomic_load(&b.done));	/* blocked */
	gate_set(1, false);		/* run 1 ends, run 2 starts: room */
	assert_int_equal(pthread_join(b.t, NULL), 0);
	assert_int_equal(b.ret, 0);
	/* One worker: completion in submission order here. */
	assert_int_equal(recv_id(-1), 1);
	assert_int_equal(recv_id(-1), 2);
	assert_int_equal(recv_id(-1), 3);
	assert_int_equal(recv_id(-1), 4);
	assert_int_equal(recv_id(0), -ETIMEDOUT);
}

static void test_recv_timeout(void **state)
{
	struct bg b = { .id = 5 };

	(void)state;
	make_queue(1, 0, 0);
	assert_int_equal(recv_id(0), -ETIMEDOUT);
	assert_non_null(strstr(npurt_last_error(), "no result"));
	assert_int_equal(recv_id(50), -ETIMEDOUT);
	/* A result that comes during the timeout is received. */
	gate_set(5, true);
	assert_int_equal(submit_id(5), 0);
	assert_int_equal(pthread_create(&b.t, NULL, bg_open_later, &b), 0);
	assert_int_equal(recv_id(60000), 5);
	assert_int_equal(pthread_join(b.t, NULL), 0);
}

static void test_out_of_order(void **state)
{
	(void)state;
	make_queue(2, 0, 0);
	gate_set(1, true);
	assert_int_equal(submit_id(1), 0);
	wait_entered(1);
	assert_int_equal(submit_id(2), 0);
	assert_int_equal(recv_id(-1), 2);	/* 2 overtakes 1 */
	assert_int_equal(recv_id(0), -ETIMEDOUT);
	gate_set(1, false);
	assert_int_equal(recv_id(-1), 1);
}

static void test_close_submit_drains(void **state)
{
	bool seen[10] = { false };
	int i, id;

	(void)state;
	make_queue(2, 4, 2);
	gate_set(0, true);
	for (i = 0; i < 6; i++)
		assert_int_equal(submit_id((uint8_t)i), 0);
	npurt_queue_close_submit(fx.q);
	assert_int_equal(submit_id(7), -EPIPE);
	gate_set(0, false);
	for (i = 0; i < 6; i++) {
		id = recv_id(-1);
		assert_true(id >= 0 && id < 6);
		assert_false(seen[id]);
		seen[id] = true;
	}
	assert_int_equal(recv_id(-1), -EPIPE);	/* end of stream */
	assert_int_equal(recv_id(0), -EPIPE);
	npurt_queue_close_submit(fx.q);		/* idempotent */
}

static void test_close_recv_cancels(void **state)
{
	struct bg sub = { .id = 9 }, rcv = { .timeout = -1 };

	(void)state;
	make_queue(1, 2, 0);
	gate_set(1, true);
	assert_int_equal(submit_id(1), 0);
	wait_entered(1);
	assert_int_equal(submit_id(2), 0);
	assert_int_equal(submit_id(3), 0);
	/* A blocked submitter and a blocked receiver. */
	assert_int_equal(pthread_create(&sub.t, NULL, bg_submit, &sub), 0);
	assert_int_equal(pthread_create(&rcv.t, NULL, bg_recv, &rcv), 0);
	nap_ms(200);
	assert_false(atomic_load(&sub.done));
	assert_false(atomic_load(&rcv.done));
	npurt_queue_close_recv(fx.q);
	assert_int_equal(pthread_join(sub.t, NULL), 0);
	assert_int_equal(pthread_join(rcv.t, NULL), 0);
	assert_int_equal(sub.ret, -ECANCELED);
	assert_int_equal(rcv.ret, -ECANCELED);
	assert_int_equal(submit_id(4), -ECANCELED);
	assert_int_equal(recv_id(0), -ECANCELED);
	/* The waiting runs were dropped: they never reach the device. */
	gate_set(1, false);
	npurt_queue_destroy(fx.q);
	fx.q = NULL;
	assert_int_equal(entered[1], 1);
	assert_int_equal(entered[2], 0);
	assert_int_equal(entered[3], 0);
}

static int fd_ready(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	assert_true(n >= 0);
	return n ? p.revents : 0;
}

static void test_poll_fd(void **state)
{
	int fd;

	(void)state;
	make_queue(1, 0, 0);
	fd = npurt_queue_fd(fx.q);
	assert_true(fd >= 0);
	assert_int_equal(npurt_queue_fd(NULL), -EINVAL);
	assert_int_equal(fd_ready(fd, 0), 0);
	gate_set(1, true);
	assert_int_equal(submit_id(1), 0);
	wait_entered(1);
	assert_int_equal(fd_ready(fd, 0), 0);	/* running, nothing done */
	gate_set(1, false);
	assert_int_equal(fd_ready(fd, 60000), POLLIN);
	assert_int_equal(fd_ready(fd, 0), POLLIN);	/* level, not edge */
	assert_int_equal(recv_id(0), 1);
	assert_int_equal(fd_ready(fd, 0), 0);
	assert_int_equal(submit_id(2), 0);
	assert_int_equal(submit_id(3), 0);
	assert_int_equal(fd_ready(fd, 60000), POLLIN);
	assert_int_equal(recv_id(0), 2);
	assert_int_equal(fd_ready(fd, 60000), POLLIN);	/* 3 still there */
	assert_int_equal(recv_id(0), 3);
	assert_int_equal(fd_ready(fd, 0), 0);
	/* End of stream is readable too: recv returns -EPIPE at once. */
	npurt_queue_close_submit(fx.q);
	assert_int_equal(fd_ready(fd, 0), POLLIN);
	assert_int_equal(recv_id(0), -EPIPE);
}

static void test_many_in_flight(void **state)
{
	unsigned int got = 0, i;
	bool seen[200] = { false };
	int id;

	(void)state;
	make_queue(4, 3, 3);
	/* More runs than the queues hold: submit and receive interleaved. */
	for (i = 0; i < 200; i++) {
		assert_int_equal(submit_id((uint8_t)i), 0);
		while ((id = recv_id(0)) >= 0) {
			assert_false(seen[id]);
			seen[id] = true;
			got++;
		}
		assert_int_equal(id, -ETIMEDOUT);
		/* Never more in flight than the queues and workers hold. */
		assert_true(i + 1 - got <= 3 + 3 + 4);
	}
	npurt_queue_close_submit(fx.q);
	while ((id = recv_id(-1)) >= 0) {
		assert_false(seen[id]);
		seen[id] = true;
		got++;
	}
	assert_int_equal(id, -EPIPE);
	assert_int_equal(got, 200);
}

static void test_options_and_args(void **state)
{
	struct npurt_queue_opts o = { 0 };
	npurt_queue *q = NULL;
	npurt_tensor *small = NULL;
	const npurt_tensor_desc *d;
	void *ctx;

	(void)state;
	o.reserved[2] = 1;
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &q), -EINVAL);
	o.reserved[2] = 0;
	o.input_queue_size = 65537;
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &q), -EINVAL);
	o.input_queue_size = 0;
	o.worker_num = 65;
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &q), -EINVAL);
	o.worker_num = 0;
	assert_int_equal(npurt_queue_create(NULL, fx.model, &o, &q), -EINVAL);
	assert_int_equal(npurt_queue_create(fx.rt, NULL, &o, &q), -EINVAL);
	assert_null(q);
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, NULL, NULL),
			 -EINVAL);

	/* Batch 3: the outermost dimension triples. */
	o.batch_size = 3;
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &fx.q), 0);
	assert_int_equal(npurt_queue_input_count(fx.q), 1);
	assert_int_equal(npurt_queue_output_count(fx.q), 1);
	d = npurt_queue_input(fx.q, 0);
	assert_int_equal(npurt_tensor_desc_dim(d, 0), 3);
	assert_int_equal(npurt_tensor_desc_dim(d, 1), ELEMS);
	assert_int_equal(npurt_tensor_desc_size(d), 3 * ELEMS);
	assert_null(npurt_queue_input(fx.q, 1));
	assert_null(npurt_queue_output(fx.q, 1));

	assert_int_equal(npurt_queue_submit(fx.q, NULL, NULL), -EINVAL);
	assert_int_equal(npurt_queue_submit(NULL, NULL, NULL), -EINVAL);
	/* An input tensor of the unbatched size is too small. */
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_model_input(fx.model,
								     0),
					    &small), 0);
	assert_int_equal(npurt_queue_submit(fx.q, &small, NULL), -EINVAL);
	assert_non_null(strstr(npurt_last_error(), "needs 192"));
	assert_int_equal(npurt_queue_recv(fx.q, NULL, &small, 0), -EINVAL);
	assert_int_equal(npurt_queue_recv(fx.q, &ctx, &small, 0), -EINVAL);
	npurt_tensor_destroy(small);
	npurt_queue_close_recv(NULL);
	npurt_queue_close_submit(NULL);
	npurt_queue_destroy(NULL);
}

/* A batch of 3 runs each item once; the results come back together. */
static void test_batch(void **state)
{
	struct npurt_queue_opts o = { .batch_size = 3, .worker_num = 2 };
	uint8_t *x, *y;
	void *ctx = NULL;
	unsigned int i;

	(void)state;
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &fx.q), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_queue_input(fx.q, 0),
					    &fx.in), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt,
					    npurt_queue_output(fx.q, 0),
					    &fx.out), 0);
	x = npurt_tensor_data(fx.in);
	y = npurt_tensor_data(fx.out);
	for (i = 0; i < 3 * ELEMS; i++)
		x[i] = (uint8_t)(i * 7 + 1);
	x[0] = 20;
	x[ELEMS] = 21;
	x[2 * ELEMS] = 22;
	assert_int_equal(npurt_queue_submit(fx.q, &fx.in, (void *)42), 0);
	assert_int_equal(npurt_queue_recv(fx.q, &ctx, &fx.out, -1), 0);
	assert_ptr_equal(ctx, (void *)42);
	assert_memory_equal(x, y, 3 * ELEMS);
	assert_int_equal(entered[20], 1);
	assert_int_equal(entered[21], 1);
	assert_int_equal(entered[22], 1);
}

/*
 * NPURT_QUEUE_BORROW_INPUTS: runs read the caller's tensor itself (a
 * copying queue hands them its own), one tensor feeds several runs in
 * flight, results as with copies; unknown flags are refused.
 */
static void test_borrow_inputs(void **state)
{
	struct npurt_queue_opts o = { .worker_num = 2,
		.flags = NPURT_QUEUE_BORROW_INPUTS };
	npurt_tensor *in2;
	unsigned int i;
	int id;

	(void)state;
	o.flags = 2;
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &fx.q),
			 -EINVAL);
	assert_string_equal(npurt_last_error(),
			    "queue options: unknown flags 0x2");
	assert_null(fx.q);

	/* copying: the run reads the queue's tensor */
	make_queue(1, 0, 0);
	assert_int_equal(submit_id(1), 0);
	assert_int_equal(recv_id(-1), 1);
	assert_non_null(ran_input[1]);
	assert_ptr_not_equal(ran_input[1], fx.in);
	npurt_queue_destroy(fx.q);

	o.flags = NPURT_QUEUE_BORROW_INPUTS;
	assert_int_equal(npurt_queue_create(fx.rt, fx.model, &o, &fx.q), 0);
	assert_int_equal(npurt_tensor_alloc(fx.rt, npurt_queue_input(fx.q, 0),
					    &in2), 0);
	/* two runs in flight on two tensors, held in the workers */
	gate_set(2, true);
	gate_set(3, true);
	assert_int_equal(submit_id(2), 0);
	for (i = 0; i < ELEMS; i++)
		((uint8_t *)npurt_tensor_data(in2))[i] = (uint8_t)(3 + i);
	assert_int_equal(npurt_queue_submit(fx.q, &in2, (void *)1003), 0);
	wait_entered(2);
	wait_entered(3);
	assert_ptr_equal(ran_input[2], fx.in);
	assert_ptr_equal(ran_input[3], in2);
	gate_set(3, false);
	assert_int_equal(recv_id(-1), 3);
	gate_set(2, false);
	assert_int_equal(recv_id(-1), 2);

	/* one tensor feeding several runs at once */
	for (i = 0; i < 6; i++)
		assert_int_equal(npurt_queue_submit(fx.q, &fx.in,
						    (void *)(uintptr_t)1002),
				 0);
	for (i = 0; i < 6; i++) {
		id = recv_id(-1);
		assert_int_equal(id, 2);
	}
	npurt_tensor_destroy(in2);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_submit_blocks_when_full),
		T(test_recv_timeout),
		T(test_out_of_order),
		T(test_close_submit_drains),
		T(test_close_recv_cancels),
		T(test_poll_fd),
		T(test_many_in_flight),
		T(test_options_and_args),
		T(test_batch),
		T(test_borrow_inputs),
	};

	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
