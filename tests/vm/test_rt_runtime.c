// SPDX-License-Identifier: MIT
/*
 * test_rt_runtime.c - libnpurt on the NPU (issue #4), in the VM with the
 * default module parameters (one warboy NPU, two PEs):
 *  - the example MLP on cpu, npu0pe0 and warboy(2)*1 (the fused pair)
 *    gives identical bytes;
 *  - a runner shared by 6 threads over npu0pe0,npu0pe1 gives, run by
 *    run, the bytes of the CPU;
 *  - a second process asking for a held PE gets -EBUSY, and the
 *    greedy spec ENOSPC;
 *  - a process killed with SIGKILL in the middle of runs leaves no device
 *    memory and no buffer objects behind.
 * Every test keeps its runtime objects, helper process and pipes in
 * `cur`; the teardown releases them, so that a failed check (cmocka jumps
 * out of the test) does not leave PEs held for the next test (EBUSY):
 * closing the fds is not enough, the buffer objects' mappings keep the
 * PE files open.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "test_util.h"
#include "example_mlp.h"

static const struct mlp_shape shape = { .m = 4, .k = 96, .hid = 80, .n = 24,
					.seed = 2024 };
#define NX	(4 * 96)
#define NY	(4 * 24)

struct ctx {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *r;
};

static int ctx_open(struct ctx *c, const char *spec, unsigned int workers)
{
	struct npurt_runner_opts o = { .worker_num = workers };
	npurt_program *p = NULL;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = npurt_runtime_create(spec, &c->rt);
	if (!ret)
		ret = mlp_build(&shape, &p);
	if (!ret)
		ret = npurt_model_from_program(p, &c->model);
	npurt_program_destroy(p);
	if (!ret)
		ret = npurt_runner_create(c->rt, c->model, &o, &c->r);
	return ret;
}

static void ctx_close(struct ctx *c)
{
	npurt_runner_destroy(c->r);
	npurt_model_destroy(c->model);
	npurt_runtime_destroy(c->rt);
	memset(c, 0, sizeof(*c));
}

/* What a test holds; released by teardown() whatever happened. */
static struct {
	struct ctx c;
	npurt_runtime *rt;
	pid_t child;
	int fds[4];
} cur = { .fds = { -1, -1, -1, -1 } };

static int teardown(void **state)
{
	unsigned int i;
	int status;

	ctx_close(&cur.c);
	npurt_runtime_destroy(cur.rt);
	cur.rt = NULL;
	for (i = 0; i < 4; i++) {
		if (cur.fds[i] >= 0)
			close(cur.fds[i]);
		cur.fds[i] = -1;
	}
	if (cur.child > 0) {	/* a helper left by a failed check */
		kill(cur.child, SIGKILL);
		waitpid(cur.child, &status, 0);
		cur.child = 0;
	}
	return npu_close_fds(state);
}

static int run_once(npurt_runner *r, const int8_t *x, uint8_t *y)
{
	npurt_tensor *in = NULL, *out = NULL;
	int ret;

	ret = npurt_tensor_wrap(npurt_runner_input(r, 0), (void *)x, NX, &in);
	if (!ret)
		ret = npurt_tensor_wrap(npurt_runner_output(r, 0), y, NY, &out);
	if (!ret)
		ret = npurt_runner_run(r, &in, &out);
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	return ret;
}

static void must(int ret, const char *what)
{
	if (ret)
		fail_msg("%s: %s (%s)", what, npurt_strerror(ret),
			 npurt_last_error());
}

static void run_on(const char *spec, const int8_t *x, uint8_t *y)
{
	must(ctx_open(&cur.c, spec, 1), spec);
	must(run_once(cur.c.r, x, y), spec);
	ctx_close(&cur.c);
}

static void test_cpu_equals_npu(void **state)
{
	static const char *const specs[] = { "npu0pe0", "warboy(2)*1",
		"npu0pe1", "warboy*2" };
	int8_t x[NX];
	uint8_t cpu[NY], npu[NY];
	unsigned int i, distinct = 0;

	(void)state;
	mlp_input(x, NX, 77);
	run_on("cpu", x, cpu);
	for (i = 1; i < NY; i++)
		distinct += cpu[i] != cpu[i - 1];
	assert_true(distinct > NY / 4);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		memset(npu, 0, sizeof(npu));
		run_on(specs[i], x, npu);
		if (memcmp(cpu, npu, NY))
			fail_msg("%s differs from cpu", specs[i]);
	}
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
}

#define THREADS	6
#define RUNS	10

static int8_t inputs[THREADS * RUNS][NX];
static uint8_t expect[THREADS * RUNS][NY];

struct worker {
	pthread_t t;
	npurt_runner *r;
	unsigned int index, bad;
	int err;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t y[NY];
	unsigned int i;

	for (i = 0; i < RUNS; i++) {
		unsigned int k = w->index * RUNS + i;
		int ret = run_once(w->r, inputs[k], y);

		if (ret && !w->err)
			w->err = ret;
		w->bad += !ret && memcmp(y, expect[k], NY);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct worker w[THREADS];
	unsigned int i, started;
	long long jobs0, jobs1;

	(void)state;
	must(ctx_open(&cur.c, "cpu(1)", 1), "cpu(1)");
	for (i = 0; i < THREADS * RUNS; i++) {
		mlp_input(inputs[i], NX, 1000 + i);
		must(run_once(cur.c.r, inputs[i], expect[i]), "cpu run");
	}
	ctx_close(&cur.c);

	jobs0 = npu_sysfs_ll("npu0pe0", "jobs_completed");
	jobs1 = npu_sysfs_ll("npu0pe1", "jobs_completed");
	must(ctx_open(&cur.c, "npu0pe0,npu0pe1", 2), "npu0pe0,npu0pe1");
	/* Join every started thread before any check can leave the test:
	 * the teardown destroys the runner they use. */
	for (started = 0; started < THREADS; started++) {
		w[started] = (struct worker){ .r = cur.c.r, .index = started };
		if (pthread_create(&w[started].t, NULL, worker_main,
				   &w[started]))
			break;
	}
	for (i = 0; i < started; i++)
		pthread_join(w[i].t, NULL);
	assert_int_equal(started, THREADS);
	for (i = 0; i < THREADS; i++) {
		if (w[i].err)
			fail_msg("thread %u: %s", i, npurt_strerror(w[i].err));
		assert_int_equal(w[i].bad, 0);
	}
	ctx_close(&cur.c);
	/* Both PEs did work: the runner spreads over the spec. */
	assert_true(npu_sysfs_ll("npu0pe0", "jobs_completed") > jobs0);
	assert_true(npu_sysfs_ll("npu0pe1", "jobs_completed") > jobs1);
	assert_int_equal(npu_mem_used(0), 0);
}

/* Child: hold @spec until the parent closes the pipe; report on @up. */
static pid_t hold(const char *spec, int up[2], int down[2])
{
	pid_t pid;

	if (pipe(up) || pipe(down))
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		npurt_runtime *rt = NULL;
		char b = npurt_runtime_create(spec, &rt) ? 'E' : 'K';

		close(up[0]);
		close(down[1]);
		if (write(up[1], &b, 1) != 1)
			_exit(3);
		if (read(down[0], &b, 1) < 0)
			_exit(4);
		npurt_runtime_destroy(rt);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	cur.child = pid;
	cur.fds[0] = up[0];
	cur.fds[1] = down[1];
	return pid;
}

static void test_busy_between_processes(void **state)
{
	npurt_runtime **rtp = &cur.rt;
	int up[2], down[2], status;
	pid_t pid;
	char b = 0;

	(void)state;
	pid = hold("npu0pe0", up, down);
	assert_int_equal(read(up[0], &b, 1), 1);
	assert_int_equal(b, 'K');
	assert_int_equal(npurt_runtime_create("npu0pe0", rtp), -EBUSY);
	assert_null(*rtp);
	assert_non_null(strstr(npurt_last_error(), "npu0pe0: busy (held by "
			       "pid"));
	assert_int_equal(npurt_runtime_create("npu0pe0-1", rtp), -EBUSY);
	assert_int_equal(npurt_runtime_create("warboy(2)", rtp), -ENOSPC);
	assert_int_equal(npurt_runtime_create("warboy*2", rtp), -ENOSPC);
	assert_int_equal(npurt_runtime_create("rngd", rtp), -EXDEV);
	assert_int_equal(npurt_runtime_create("npu3pe0", rtp), -ENODEV);
	/* The greedy spec takes what is free. */
	assert_int_equal(npurt_runtime_create("warboy", rtp), 0);
	assert_string_equal(npurt_device_name(npurt_runtime_device(*rtp, 0)),
			    "npu0pe1");
	npurt_runtime_destroy(*rtp);
	*rtp = NULL;
	close(down[1]);
	close(up[0]);
	cur.fds[0] = cur.fds[1] = -1;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	cur.child = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Released with the process: free again. */
	assert_int_equal(npurt_runtime_create("npu0pe0-1", rtp), 0);
	npurt_runtime_destroy(*rtp);
	*rtp = NULL;
}

static void test_killed_mid_run(void **state)
{
	int up[2], status, i;
	pid_t pid;
	char b = 0;

	(void)state;
	assert_int_equal(pipe(up), 0);
	cur.fds[0] = up[0];
	cur.fds[1] = up[1];
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ctx c;
		int8_t x[NX];
		uint8_t y[NY];

		close(up[0]);
		if (ctx_open(&c, "warboy(2)*1", 2))
			_exit(3);
		mlp_input(x, NX, 5);
		if (run_once(c.r, x, y))
			_exit(4);
		if (write(up[1], "K", 1) != 1)
			_exit(5);
		for (;;)		/* until killed */
			run_once(c.r, x, y);
	}
	cur.child = pid;
	close(up[1]);
	cur.fds[1] = -1;
	assert_int_equal(read(up[0], &b, 1), 1);
	assert_int_equal(b, 'K');
	assert_true(npu_mem_used(0) > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	cur.child = 0;
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(up[0]);
	cur.fds[0] = -1;
	/* A job may still retire after the exit: allow it a few seconds. */
	for (i = 0; i < 100 && npu_mem_used(0); i++)
		usleep(50000);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
	assert_sysfs("npu0pe0", "state", "free");
	assert_sysfs("npu0pe1", "state", "free");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cpu_equals_npu, teardown),
		cmocka_unit_test_teardown(test_threads, teardown),
		cmocka_unit_test_teardown(test_busy_between_processes,
					  teardown),
		cmocka_unit_test_teardown(test_killed_mid_run, teardown),
	};

	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
