// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_submit_wait: SUBMIT's ABI 1.1 side through the uAPI: the status of
 * jobs that retired before the call returned, RM_NPU_SUBMIT_WAIT (submit
 * and wait in one call: jobs of any size in the caller, on a fused node
 * too, queued jobs, in-fences, a signal ending the wait, a fatal signal
 * cancelling a job in the caller), binaries built for ABI 1.0 and for a
 * later ABI on one file, and WAITs of threads sharing a file.
 * Expects job_timeout_ms=60000: long jobs are sized from a calibration.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "job_util.h"

#define STATUS_SIZE	(sizeof(struct rm_npu_submit) - RM_NPU_SUBMIT_SIZE_VER0)

static struct npu_long lj;

static int open_pe0_long(void)
{
	int fd = npu_open("npu0pe0");

	npu_long_init(fd, &lj);
	return fd;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Asserts the status fields of a job SUBMIT saw retire. */
static void assert_retired(const struct rm_npu_submit *s, int result,
			   __u32 index)
{
	if (s->retired != 1 || s->result != result ||
	    s->result_index != index || s->pad2)
		fail_msg("job %llu: retired %u result %d index %u pad2 %u, "
			 "expected retired with %d at %u",
			 (unsigned long long)s->job_id, s->retired, s->result,
			 s->result_index, s->pad2, result, index);
}

/* ... and of one still queued or running when SUBMIT returned. */
static void assert_not_retired(const struct rm_npu_submit *s)
{
	if (s->retired || s->result || s->result_index != RM_NPU_NO_INDEX ||
	    s->duration_ns)
		fail_msg("job %llu: retired %u result %d index %u duration %llu",
			 (unsigned long long)s->job_id, s->retired, s->result,
			 s->result_index, (unsigned long long)s->duration_ns);
}

/* Zeroes the long-job output, so npu_long_check() sees a fresh run. */
static void long_clear(int fd)
{
	void *o = npu_bo_map(fd, lj.handles[2], 0, GEMM_OUT_SIZE);

	memset(o, 0, GEMM_OUT_SIZE);
	munmap(o, GEMM_OUT_SIZE);
}

static void test_status(void **state)
{
	int fd = open_pe0_long();
	struct rm_npu_cmd c[4];
	struct rm_npu_submit s;
	struct rm_npu_wait w;
	__u32 h[4], idx;
	__u64 id;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		h[i] = npu_bo_create(fd, 4096, NULL);

	/* A small job on an idle PE has retired when SUBMIT returns. */
	c[0] = npu_cmd_fill(0, 0, 64, 1, 0x5a);
	npt_submit_args(&s, c, 1, h, 1, 0, 0);
	/* Output fields are written whatever they held. */
	s.retired = 7;
	s.result = 5;
	s.result_index = 9;
	s.duration_ns = 11;
	assert_rc(npt_submit(fd, &s), 0);
	assert_retired(&s, 0, RM_NPU_NO_INDEX);
	assert_int_equal(s.error_index, RM_NPU_NO_INDEX);
	assert_int_equal(s.out_fence_fd, -1);
	/* WAIT tells the same. */
	assert_rc(npt_wait(fd, s.job_id, 0, &w), 0);
	assert_int_equal(w.result, 0);
	assert_int_equal(w.error_index, RM_NPU_NO_INDEX);
	assert_int_equal(w.duration_ns, s.duration_ns);

	/* A failing job: the status says where, as WAIT does. */
	npu_cmds_failing(c);
	npt_submit_args(&s, c, 4, h, 4, 0, 0);
	assert_rc(npt_submit(fd, &s), 0);
	assert_retired(&s, -EINVAL, 2);
	assert_int_equal(s.error_index, RM_NPU_NO_INDEX);
	assert_int_equal(npu_wait_result(fd, s.job_id, &idx, NULL), -EINVAL);
	assert_int_equal(idx, 2);

	/* Behind a long job: queued, no status. */
	id = npu_long_submit(fd, &lj, 1000, NULL);
	c[0] = npu_cmd_fill(0, 0, 64, 1, 0x5a);
	npt_submit_args(&s, c, 1, h, 1, 0, 0);
	s.retired = 1;
	s.duration_ns = 1;
	assert_rc(npt_submit(fd, &s), 0);
	assert_int_equal(s.job_id, id + 1);
	assert_not_retired(&s);
	npu_wait_ok(fd, s.job_id);
	assert_false(npu_job_pending(fd, id));

	/* pad2 must be zero; nothing is queued. */
	npt_submit_args(&s, c, 1, h, 1, 0, 0);
	s.pad2 = 1;
	assert_rc(npt_submit(fd, &s), EINVAL);
	assert_int_equal(s.job_id, 0);
	assert_int_equal(npu_submit(fd, c, 1, h, 1, NULL), id + 2);
	close(fd);
}

static void test_wait_flag(void **state)
{
	int fd = open_pe0_long();
	int fd1 = npu_open("npu0pe1");
	struct npu_long lj1;
	struct rm_npu_cmd c[4], nop = npu_cmd_nop();
	struct rm_npu_submit s;
	struct rm_npu_cmd *cmds;
	__u32 n, h[4];
	__u64 id;
	int f1, i;

	(void)state;
	/* A long job, far past the inline limit, waited for in the call. */
	long_clear(fd);
	n = npu_long_cmds(&lj, 400);
	cmds = npu_long_build(n);
	npt_submit_args(&s, cmds, n, lj.handles, 3, RM_NPU_SUBMIT_WAIT, 0);
	assert_rc(npt_submit(fd, &s), 0);
	assert_retired(&s, 0, RM_NPU_NO_INDEX);
	assert_true(s.duration_ns > 0);
	npu_long_check(fd, &lj);

	/* Behind a job the PE thread runs: the call sleeps until both end. */
	id = npu_long_submit(fd, &lj, 800, NULL);
	npt_submit_args(&s, &nop, 1, NULL, 0, RM_NPU_SUBMIT_WAIT, 0);
	assert_rc(npt_submit(fd, &s), 0);
	assert_int_equal(s.job_id, id + 1);
	assert_retired(&s, 0, RM_NPU_NO_INDEX);
	assert_false(npu_job_pending(fd, id));
	npu_wait_ok(fd, id);

	/* A failing job. */
	for (i = 0; i < 4; i++)
		h[i] = npu_bo_create(fd, 4096, NULL);
	npu_cmds_failing(c);
	npt_submit_args(&s, c, 4, h, 4, RM_NPU_SUBMIT_WAIT, 0);
	assert_rc(npt_submit(fd, &s), 0);
	assert_retired(&s, -EINVAL, 2);

	/* An in-fence that signals later: the call waits for it too. */
	npu_long_init(fd1, &lj1);
	npu_long_submit(fd1, &lj1, 800, &f1);
	npt_submit_args(&s, &nop, 1, NULL, 0,
			RM_NPU_SUBMIT_IN_FENCE | RM_NPU_SUBMIT_WAIT, f1);
	assert_rc(npt_submit(fd, &s), 0);
	assert_retired(&s, 0, RM_NPU_NO_INDEX);
	assert_int_equal(npu_fence_signalled(f1, 0), 1);
	close(f1);

	/* A signal ends the wait early, not the call: the job goes on. */
	{
		struct sigaction sa = { .sa_handler = on_alarm };
		struct itimerval it = { .it_value = { 0, 100000 } };

		id = npu_long_submit(fd, &lj, 3000, NULL);
		assert_ok(sigaction(SIGALRM, &sa, NULL));
		assert_ok(setitimer(ITIMER_REAL, &it, NULL));
		npt_submit_args(&s, &nop, 1, NULL, 0, RM_NPU_SUBMIT_WAIT, 0);
		assert_rc(npt_submit(fd, &s), 0);
		sa.sa_handler = SIG_DFL;
		assert_ok(sigaction(SIGALRM, &sa, NULL));
		assert_int_equal(s.job_id, id + 1);
		assert_not_retired(&s);
		assert_true(npu_job_pending(fd, id));
		npu_wait_ok(fd, s.job_id);
		npu_wait_ok(fd, id);
	}
	free(cmds);
	close(fd1);
	close(fd);
}

/*
 * On a fused node: the caller runs the leader's half of each split
 * command, the partner PE its thread the other half; both are counted.
 */
static void test_wait_flag_fused(void **state)
{
	int fd = npu_open("npu0pe0-1");
	long long done0, done1;
	struct rm_npu_submit s;
	struct rm_npu_cmd *cmds;
	__u32 n;

	(void)state;
	npu_long_init(fd, &lj);
	long_clear(fd);
	done0 = npu_sysfs_ll("npu0pe0", "jobs_completed");
	done1 = npu_sysfs_ll("npu0pe1", "jobs_completed");
	n = npu_long_cmds(&lj, 300);
	cmds = npu_long_build(n);
	npt_submit_args(&s, cmds, n, lj.handles, 3, RM_NPU_SUBMIT_WAIT, 0);
	assert_rc(npt_submit(fd, &s), 0);
	assert_retired(&s, 0, RM_NPU_NO_INDEX);
	npu_long_check(fd, &lj);
	assert_int_equal(npu_sysfs_ll("npu0pe0", "jobs_completed"), done0 + 1);
	assert_int_equal(npu_sysfs_ll("npu0pe1", "jobs_completed"), done1 + 1);
	free(cmds);
	close(fd);
}

/*
 * A job run in the submitting thread (WAIT, idle PE) stops when that
 * thread is killed: it fails (-ECANCELED) instead of running to its end.
 */
static void test_wait_fatal_signal(void **state)
{
	long long jobs_done, jobs_failed;
	int p[2], status, fd = open_pe0_long();
	__u32 n = npu_long_cmds(&lj, 20000);
	struct rm_npu_cmd *cmds = npu_long_build(n);
	long long t0;
	pid_t pid;
	char b;

	(void)state;
	close(fd);	/* the child opens pe0 */
	jobs_done = npu_sysfs_ll("npu0pe0", "jobs_completed");
	jobs_failed = npu_sysfs_ll("npu0pe0", "jobs_failed");
	assert_ok(pipe(p));
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* Plain syscalls only: no cmocka in the child. */
		struct rm_npu_bo_create bc = { .size = GEMM_OUT_SIZE };
		struct rm_npu_cmd fills[2];
		struct rm_npu_submit s;
		__u32 h[3];
		int i, cfd = open("/dev/npu0pe0", O_RDWR | O_CLOEXEC);

		if (cfd < 0)
			_exit(1);
		for (i = 0; i < 3; i++) {
			bc.handle = 0;
			if (ioctl(cfd, RM_NPU_IOCTL_BO_CREATE, &bc))
				_exit(2);
			h[i] = bc.handle;
		}
		fills[0] = npu_cmd_fill(0, 0, GEMM_AB_SIZE, 1, 1);
		fills[1] = npu_cmd_fill(1, 0, GEMM_AB_SIZE, 1, 2);
		npt_submit_args(&s, fills, 2, h, 3, RM_NPU_SUBMIT_WAIT, 0);
		if (ioctl(cfd, RM_NPU_IOCTL_SUBMIT, &s) || !s.retired)
			_exit(3);
		npt_submit_args(&s, cmds, n, h, 3, RM_NPU_SUBMIT_WAIT, 0);
		if (write(p[1], "r", 1) != 1)
			_exit(4);
		ioctl(cfd, RM_NPU_IOCTL_SUBMIT, &s);
		_exit(5);	/* not reached unless the job ended */
	}
	close(p[1]);
	assert_int_equal(read(p[0], &b, 1), 1);
	close(p[0]);
	npu_sleep_ms(300);	/* into the job */
	t0 = npu_now_ns();
	assert_ok(kill(pid, SIGKILL));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	print_message("killed after %lld ms\n",
		      (npu_now_ns() - t0) / NS_PER_MS);
	/* The fills completed; the long job was cancelled, not finished. */
	assert_int_equal(npu_sysfs_ll("npu0pe0", "jobs_completed"),
			 jobs_done + 1);
	assert_int_equal(npu_sysfs_ll("npu0pe0", "jobs_failed"),
			 jobs_failed + 1);
	/* The PE is free again. */
	close(npu_open("npu0pe0"));
	free(cmds);
}

/* Copies @s into @buf and fills @buf from byte @from to @len with 0xee. */
static void stage(unsigned char *buf, size_t len, const struct rm_npu_submit *s,
		  size_t from)
{
	memset(buf, 0xee, len);
	memcpy(buf, s, from);
}

static void test_mixed_binaries(void **state)
{
	int fd = npu_open("npu0pe0");
	struct rm_npu_cmd nop = npu_cmd_nop();
	unsigned char buf[256] __attribute__((aligned(8)));
	struct rm_npu_submit *sp = (struct rm_npu_submit *)buf;
	struct rm_npu_info info;
	struct rm_npu_submit s;
	__u64 id;
	size_t i;

	(void)state;
	/* A 1.0 binary: its fields written, nothing past its struct. */
	npt_submit_args(&s, &nop, 1, NULL, 0, 0, 0);
	stage(buf, sizeof(buf), &s, RM_NPU_SUBMIT_SIZE_VER0);
	assert_ok(ioctl(fd, NPU_IOCTL_SUBMIT_VER0, buf));
	assert_int_equal(sp->job_id, 1);
	assert_int_equal(sp->out_fence_fd, -1);
	assert_int_equal(sp->error_index, RM_NPU_NO_INDEX);
	for (i = RM_NPU_SUBMIT_SIZE_VER0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	npu_wait_ok(fd, 1);

	/* This build (1.1) on the same file: ids go on. */
	npt_submit_args(&s, &nop, 1, NULL, 0, 0, 0);
	assert_rc(npt_submit(fd, &s), 0);
	assert_int_equal(s.job_id, 2);
	assert_retired(&s, 0, RM_NPU_NO_INDEX);

	/* A 1.0 binary may pass WAIT: the job has retired on return. */
	npt_submit_args(&s, &nop, 1, NULL, 0, RM_NPU_SUBMIT_WAIT, 0);
	stage(buf, sizeof(buf), &s, RM_NPU_SUBMIT_SIZE_VER0);
	assert_ok(ioctl(fd, NPU_IOCTL_SUBMIT_VER0, buf));
	assert_int_equal(sp->job_id, 3);
	assert_false(npu_job_pending(fd, 3));
	for (i = RM_NPU_SUBMIT_SIZE_VER0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	/* ... but still no bad bits: pad is checked in 1.0's struct. */
	npt_submit_args(&s, &nop, 1, NULL, 0, 0, 0);
	s.pad = 1;
	memcpy(buf, &s, RM_NPU_SUBMIT_SIZE_VER0);
	assert_errno(ioctl(fd, NPU_IOCTL_SUBMIT_VER0, buf), EINVAL);
	npt_submit_args(&s, &nop, 1, NULL, 0, 1u << 3, 0);
	memcpy(buf, &s, RM_NPU_SUBMIT_SIZE_VER0);
	assert_errno(ioctl(fd, NPU_IOCTL_SUBMIT_VER0, buf), EINVAL);

	/* Below the first published size: EINVAL. */
	assert_errno(ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, RM_NPU_IOCTL_BASE,
				    _IOC_NR(RM_NPU_IOCTL_SUBMIT),
				    RM_NPU_SUBMIT_SIZE_VER0 - 8), buf), EINVAL);

	/* A later binary: a zero tail is accepted and left alone ... */
	memset(buf, 0, sizeof(buf));
	npt_submit_args(sp, &nop, 1, NULL, 0, 0, 0);
	assert_ok(ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, RM_NPU_IOCTL_BASE,
				 _IOC_NR(RM_NPU_IOCTL_SUBMIT), 128), buf));
	assert_int_equal(sp->job_id, 4);
	assert_retired(sp, 0, RM_NPU_NO_INDEX);
	for (i = sizeof(s); i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	/* ... a nonzero one is E2BIG, and nothing is queued. */
	buf[sizeof(s) + 5] = 1;
	assert_errno(ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, RM_NPU_IOCTL_BASE,
				    _IOC_NR(RM_NPU_IOCTL_SUBMIT), 128), buf),
		     E2BIG);
	id = npu_submit(fd, &nop, 1, NULL, 0, NULL);
	assert_int_equal(id, 5);
	/* WAIT serves the jobs of every size alike. */
	for (id = 1; id <= 5; id++)
		npu_wait_ok(fd, id);

	/* GET_INFO of a 1.0 binary: 136 bytes, nothing past them. */
	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, RM_NPU_INFO_SIZE_VER0);
	assert_ok(ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, RM_NPU_IOCTL_BASE,
				 _IOC_NR(RM_NPU_IOCTL_GET_INFO),
				 RM_NPU_INFO_SIZE_VER0), buf));
	memcpy(&info, buf, sizeof(info));
	assert_int_equal(info.abi_version, RM_NPU_ABI_VERSION);
	assert_int_equal(info.cmd_size, RM_NPU_CMD_SIZE);
	for (i = RM_NPU_INFO_SIZE_VER0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	/* This build's: the 1.1 fields. */
	npu_get_info(fd, &info);
	assert_int_equal(info.max_batch_jobs, 256);
	close(fd);
}

struct waiter {
	int fd;
	__u64 id;
	long long timeout_ns;
	int ret, result;
};

static void *waiter_main(void *arg)
{
	struct waiter *wt = arg;
	struct rm_npu_wait w;

	wt->ret = npt_wait(wt->fd, wt->id, wt->timeout_ns, &w);
	wt->result = w.result;
	return NULL;
}

/*
 * Threads sharing a file wait for different jobs: each returns when its
 * own job retired (wake-ups are keyed by job), a timed one times out.
 */
static void test_shared_file_waits(void **state)
{
	int fd = open_pe0_long();
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct waiter wt[4];
	pthread_t th[4];
	__u64 first, id[4];
	int i;

	(void)state;
	first = npu_long_submit(fd, &lj, 1500, NULL);
	for (i = 0; i < 4; i++)
		id[i] = npu_submit(fd, &nop, 1, NULL, 0, NULL);
	/* Latest first: an earlier job's retirement must not end its wait. */
	for (i = 0; i < 4; i++) {
		wt[i] = (struct waiter){ fd, id[3 - i], -1, 0, 1 };
		if (i == 3)
			wt[i].timeout_ns = 50 * NS_PER_MS;
		assert_int_equal(pthread_create(&th[i], NULL, waiter_main,
						&wt[i]), 0);
	}
	npu_wait_ok(fd, first);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (i == 3) {
			assert_int_equal(wt[i].ret, -ETIMEDOUT);
			continue;
		}
		assert_int_equal(wt[i].ret, 0);
		assert_int_equal(wt[i].result, 0);
	}
	for (i = 0; i < 4; i++)
		assert_false(npu_job_pending(fd, id[i]));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_status, npu_close_fds),
		cmocka_unit_test_teardown(test_wait_flag, npu_close_fds),
		cmocka_unit_test_teardown(test_wait_flag_fused, npu_close_fds),
		cmocka_unit_test_teardown(test_wait_fatal_signal, npu_close_fds),
		cmocka_unit_test_teardown(test_mixed_binaries, npu_close_fds),
		cmocka_unit_test_teardown(test_shared_file_waits,
					  npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
