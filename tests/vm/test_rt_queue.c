// SPDX-License-Identifier: MIT
/*
 * test_rt_queue.c - libnpurt's queue on the NPU (issue #4), in the VM with
 * the default module parameters (one warboy NPU, two PEs): RUNS runs with
 * distinct inputs, up to DEPTH in flight from one thread, on warboy(2)*1
 * (the fused pair) and on npu0pe0,npu0pe1 (spread over both PEs). Every
 * context comes back exactly once with the bytes the CPU backend gives for
 * its input; close_submit then ends the stream with -EPIPE; no device
 * memory is left behind.
 */
#include <poll.h>
#include <signal.h>

#include "test_util.h"
#include "example_mlp.h"

static const struct mlp_shape shape = { .m = 4, .k = 96, .hid = 80, .n = 24,
					.seed = 2024 };
#define NX	(4 * 96)
#define NY	(4 * 24)
#define RUNS	96
#define DEPTH	16

static int8_t inputs[RUNS][NX];
static uint8_t expect[RUNS][NY];

/* Everything a test holds; released by teardown() even after a failed
 * check, so that the next test finds the PEs free. */
static struct {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *r;
	npurt_queue *q;
	npurt_tensor *in, *out;
} cur;

static int teardown(void **state)
{
	npurt_tensor_destroy(cur.in);
	npurt_tensor_destroy(cur.out);
	npurt_queue_destroy(cur.q);
	npurt_runner_destroy(cur.r);
	npurt_model_destroy(cur.model);
	npurt_runtime_destroy(cur.rt);
	memset(&cur, 0, sizeof(cur));
	return npu_close_fds(state);
}

static void must(int ret, const char *what)
{
	if (ret)
		fail_msg("%s: %s (%s)", what, npurt_strerror(ret),
			 npurt_last_error());
}

static npurt_model *model(void)
{
	npurt_program *p = NULL;
	npurt_model *m = NULL;

	must(mlp_build(&shape, &p), "mlp_build");
	must(npurt_model_from_program(p, &m), "model");
	npurt_program_destroy(p);
	return m;
}

/* The expected outputs, from a runner on cpu(1). */
static int setup(void **state)
{
	struct npurt_runner_opts o = { .worker_num = 1 };
	npurt_tensor *in = NULL, *out = NULL;
	unsigned int i, distinct = 0;
	int ret;

	(void)state;
	npurt_log_set_level(NPURT_LOG_OFF);
	ret = npurt_runtime_create("cpu(1)", &cur.rt);
	cur.model = ret ? NULL : model();
	if (!ret)
		ret = npurt_runner_create(cur.rt, cur.model, &o, &cur.r);
	for (i = 0; i < RUNS && !ret; i++) {
		mlp_input(inputs[i], NX, 500 + i);
		ret = npurt_tensor_wrap(npurt_runner_input(cur.r, 0), inputs[i],
					NX, &in);
		if (!ret)
			ret = npurt_tensor_wrap(npurt_runner_output(cur.r, 0),
						expect[i], NY, &out);
		if (!ret)
			ret = npurt_runner_run(cur.r, &in, &out);
		npurt_tensor_destroy(in);
		npurt_tensor_destroy(out);
		in = out = NULL;
	}
	for (i = 1; i < RUNS && !ret; i++)
		distinct += memcmp(expect[i], expect[0], NY) != 0;
	teardown(state);
	/* Distinct inputs give distinct outputs: a mix-up cannot pass. */
	return ret || distinct != RUNS - 1 ? -1 : 0;
}

static void queue_on(const char *spec, unsigned int devices)
{
	struct npurt_queue_opts o = { .worker_num = 4,
				      .input_queue_size = DEPTH,
				      .output_queue_size = DEPTH };
	static uint8_t seen[RUNS];
	unsigned int submitted = 0, received = 0, i;
	uint8_t y[NY];
	void *ctx;

	memset(seen, 0, sizeof(seen));
	must(npurt_runtime_create(spec, &cur.rt), spec);
	assert_int_equal(npurt_runtime_device_count(cur.rt), devices);
	for (i = 0; i < devices; i++) {
		struct npurt_device_info info;

		must(npurt_device_get_info(npurt_runtime_device(cur.rt, i),
					   &info), "device info");
		assert_int_equal(info.kind, NPURT_DEVICE_NPU);
	}
	cur.model = model();
	must(npurt_queue_create(cur.rt, cur.model, &o, &cur.q), "queue");
	must(npurt_tensor_wrap(npurt_queue_output(cur.q, 0), y, NY, &cur.out),
	     "wrap");
	while (received < RUNS) {
		if (submitted < RUNS && submitted - received < DEPTH) {
			/* Inputs are copied by submit: a fresh wrap each time
			 * over a different buffer. */
			must(npurt_tensor_wrap(npurt_queue_input(cur.q, 0),
					       inputs[submitted], NX, &cur.in),
			     "wrap");
			must(npurt_queue_submit(cur.q, &cur.in,
						(void *)(uintptr_t)(submitted + 1)),
			     "submit");
			npurt_tensor_destroy(cur.in);
			cur.in = NULL;
			submitted++;
			continue;
		}
		ctx = NULL;
		memset(y, 0, sizeof(y));
		must(npurt_queue_recv(cur.q, &ctx, &cur.out, -1), "recv");
		i = (unsigned int)(uintptr_t)ctx;
		assert_in_range(i, 1, RUNS);
		i--;
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		if (memcmp(y, expect[i], NY))
			fail_msg("%s: run %u differs from cpu", spec, i);
		received++;
	}
	assert_int_equal(submitted, RUNS);
	for (i = 0; i < RUNS; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(npurt_queue_recv(cur.q, &ctx, &cur.out, 0), -ETIMEDOUT);
	npurt_queue_close_submit(cur.q);
	assert_int_equal(npurt_queue_recv(cur.q, &ctx, &cur.out, -1), -EPIPE);
	must(npurt_tensor_wrap(npurt_queue_input(cur.q, 0), inputs[0], NX,
			       &cur.in), "wrap");
	assert_int_equal(npurt_queue_submit(cur.q, &cur.in, NULL), -EPIPE);
	teardown(NULL);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
}

static void test_queue_fused(void **state)
{
	long long j0 = npu_sysfs_ll("npu0pe0", "jobs_completed");
	long long j1 = npu_sysfs_ll("npu0pe1", "jobs_completed");

	(void)state;
	queue_on("warboy(2)*1", 1);
	/* One fused job per run (3 commands), counted on both PEs. */
	assert_int_equal(npu_sysfs_ll("npu0pe0", "jobs_completed") - j0, RUNS);
	assert_int_equal(npu_sysfs_ll("npu0pe1", "jobs_completed") - j1, RUNS);
}

static void test_queue_two_pes(void **state)
{
	long long j0 = npu_sysfs_ll("npu0pe0", "jobs_completed");
	long long j1 = npu_sysfs_ll("npu0pe1", "jobs_completed");
	long long d0, d1;

	(void)state;
	queue_on("npu0pe0,npu0pe1", 2);
	d0 = npu_sysfs_ll("npu0pe0", "jobs_completed") - j0;
	d1 = npu_sysfs_ll("npu0pe1", "jobs_completed") - j1;
	/* One job per run (3 commands), spread over both PEs. */
	assert_int_equal(d0 + d1, RUNS);
	assert_true(d0 > 0);
	assert_true(d1 > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_queue_fused, teardown),
		cmocka_unit_test_teardown(test_queue_two_pes, teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
