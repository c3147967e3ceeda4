// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_watchdog: a job running past job_timeout_ms (set at load, then
 * rewritten at runtime) fails with -ETIMEDOUT at the command it reached,
 * the kernel log says so, the PE is reset and works afterwards, and jobs
 * queued behind the late one run normally. Expects job_timeout_ms=300.
 */
#include <sys/klog.h>

#include "job_util.h"

#define LOAD_TIMEOUT_MS	300
/* test_wait_not_timed's jobs ahead of the fence: twice the limit */
#define WAIT_JOBS	20
#define PARAM_PATH	NPU_PARAMS_DIR "/job_timeout_ms"
#define ENGINES		"/sys/kernel/debug/rm_npu/npu0/engines"

static struct npu_long lj;

/* Asserts the kernel log has @line. */
static void assert_klog_has(const char *line)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		fail_msg("klogctl: %s", strerror(errno));
	buf[n] = '\0';
	if (!strstr(buf, line))
		fail_msg("kernel log lacks \"%s\"", line);
}

static void set_timeout(const char *val, int err)
{
	int fd = open(PARAM_PATH, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	errno = 0;
	n = write(fd, val, strlen(val));
	if (err) {
		if (n != -1 || errno != err)
			fail_msg("writing \"%s\": %zd %s, expected %s", val, n,
				 strerror(errno), strerror(err));
	} else if (n != (ssize_t)strlen(val)) {
		fail_msg("writing \"%s\": %s", val, strerror(errno));
	}
	close(fd);
}

/* Checks a late job's status and its log line; returns its error index. */
static __u32 assert_late(int fd, __u64 id, __u32 ncmds, unsigned int ms,
			 const char *pe)
{
	char line[160];
	__u64 dur;
	__u32 idx;

	assert_int_equal(npu_wait_result(fd, id, &idx, &dur), -ETIMEDOUT);
	if (idx >= ncmds)
		fail_msg("late job: error_index %u of %u commands", idx, ncmds);
	if (dur < (__u64)ms * NS_PER_MS)
		fail_msg("late job cancelled after %llu ns < %u ms",
			 (unsigned long long)dur, ms);
	snprintf(line, sizeof(line),
		 "%s: job %llu exceeded %u ms at command %u; cancelled, PE reset",
		 pe, (unsigned long long)id, ms, idx);
	assert_klog_has(line);
	return idx;
}

/* A fresh result: the output is zeroed first, then one GEMM. */
static void assert_pe_works(int fd)
{
	struct rm_npu_cmd c[2];
	__u64 id;

	c[0] = npu_cmd_fill(2, 0, GEMM_DIM * GEMM_DIM, 4, 0);
	c[1] = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM, GEMM_DIM);
	id = npu_submit(fd, c, 2, lj.handles, 3, NULL);
	npu_wait_ok(fd, id);
	npu_long_check(fd, &lj);
}

static void assert_resets(unsigned int pe, int resets)
{
	char buf[2048], want[96];

	snprintf(want, sizeof(want), "pe%u: busy=0 running_job=0 queued=0 partner_work=0 resets=%d",
		 pe, resets);
	if (!npu_file_poll(ENGINES, want, buf, sizeof(buf)))
		fail_msg("engines lacks \"%s\":\n%s", want, buf);
}

static void test_load_param(void **state)
{
	int fd = npu_open("npu0pe0");
	long long failed0 = npu_sysfs_ll("npu0pe0", "jobs_failed");
	long long done0 = npu_sysfs_ll("npu0pe0", "jobs_completed");
	struct rm_npu_cmd c[1];
	long long ops0;
	__u32 n, h[1], idx;
	__u64 late, behind, after;
	uint32_t *p;
	int i;

	(void)state;
	assert_int_equal(npu_param("job_timeout_ms"), LOAD_TIMEOUT_MS);
	npu_long_init(fd, &lj);
	print_message("one %dx%dx%d GEMM: %llu ns\n", GEMM_DIM, GEMM_DIM,
		      GEMM_DIM, (unsigned long long)lj.cmd_ns);
	if (lj.cmd_ns * 4 > LOAD_TIMEOUT_MS * NS_PER_MS)
		fail_msg("GEMM too slow for a %d ms watchdog", LOAD_TIMEOUT_MS);
	h[0] = npu_bo_create(fd, 4096, NULL);

	/* A late job, a short one queued behind it, a long one after. */
	n = npu_long_cmds(&lj, 20 * LOAD_TIMEOUT_MS);
	ops0 = npu_sysfs_ll("npu0pe0", "ops");
	late = npu_long_submit(fd, &lj, 20 * LOAD_TIMEOUT_MS, NULL);
	c[0] = npu_cmd_fill(0, 0, 1024, 4, 0x01020304);
	behind = npu_submit(fd, c, 1, h, 1, NULL);
	assert_true(npu_job_pending(fd, behind));
	idx = assert_late(fd, late, n, LOAD_TIMEOUT_MS, "npu0pe0");
	npu_wait_ok(fd, behind);
	/* The commands before the late one count, then the fill's 1024. */
	assert_int_equal(npu_sysfs_ll("npu0pe0", "ops") - ops0,
			 (long long)idx * 2 * GEMM_DIM * GEMM_DIM * GEMM_DIM +
			 1024);
	p = npu_bo_map(fd, h[0], 0, 4096);
	for (i = 0; i < 1024; i++)
		assert_int_equal(p[i], 0x01020304);
	munmap(p, 4096);

	/* The PE works afterwards; a job under the limit completes. */
	assert_pe_works(fd);
	after = npu_long_submit(fd, &lj, LOAD_TIMEOUT_MS / 10, NULL);
	npu_wait_ok(fd, after);
	assert_resets(0, 1);
	assert_resets(1, 0);
	/* Setup 4, behind, assert_pe_works, after: 7 completed. */
	assert_int_equal(npu_sysfs_ll("npu0pe0", "jobs_failed"), failed0 + 1);
	assert_int_equal(npu_sysfs_ll("npu0pe0", "jobs_completed"), done0 + 7);
	close(fd);
}

/*
 * The watchdog times execution: a short job that first waits longer than
 * job_timeout_ms for an in-fence (jobs on another PE) still completes.
 */
static void test_wait_not_timed(void **state)
{
	int fd0 = npu_open("npu0pe0"), fd1 = npu_open("npu0pe1");
	struct rm_npu_cmd c = npu_cmd_fill(0, 0, 16, 1, 5);
	struct rm_npu_submit s;
	__u64 ids[WAIT_JOBS], dur, waited = 0;
	int fence = -1, i;
	__u32 h;

	(void)state;
	assert_int_equal(npu_param("job_timeout_ms"), LOAD_TIMEOUT_MS);
	npu_long_init(fd0, &lj);
	h = npu_bo_create(fd1, 4096, NULL);
	/*
	 * Jobs of a tenth of the limit each, the last with a fence: short,
	 * so that none of them passes the limit itself when the host slows
	 * the guest down after the calibration (a third did, under load).
	 */
	for (i = 0; i < WAIT_JOBS; i++)
		ids[i] = npu_long_submit(fd0, &lj, LOAD_TIMEOUT_MS / 10,
					 i == WAIT_JOBS - 1 ? &fence : NULL);
	npt_submit_args(&s, &c, 1, &h, 1, RM_NPU_SUBMIT_IN_FENCE, fence);
	assert_rc(npt_submit(fd1, &s), 0);
	npu_wait_ok(fd1, s.job_id);
	for (i = 0; i < WAIT_JOBS; i++) {
		assert_int_equal(npu_wait_result(fd0, ids[i], NULL, &dur), 0);
		waited += dur;
	}
	/* The premise: the fill waited past the limit. */
	if (waited <= LOAD_TIMEOUT_MS * NS_PER_MS)
		fail_msg("the jobs ahead ran only %llu ns",
			 (unsigned long long)waited);
	close(fence);
	close(fd0);
	close(fd1);
}

static void test_runtime_param(void **state)
{
	int fd = npu_open("npu0pe1");
	__u64 id;
	__u32 n;

	(void)state;
	npu_long_init(fd, &lj);
	set_timeout("0", EINVAL);
	set_timeout("600001", EINVAL);
	set_timeout("abc", EINVAL);
	assert_int_equal(npu_param("job_timeout_ms"), LOAD_TIMEOUT_MS);

	/* Raised: a job longer than the load-time limit completes. */
	set_timeout("60000", 0);
	assert_int_equal(npu_param("job_timeout_ms"), 60000);
	id = npu_long_submit(fd, &lj, 3 * LOAD_TIMEOUT_MS, NULL);
	npu_wait_ok(fd, id);
	npu_long_check(fd, &lj);

	/* Lowered: the next job is held to the new limit. */
	set_timeout("100", 0);
	n = npu_long_cmds(&lj, 3000);
	id = npu_long_submit(fd, &lj, 3000, NULL);
	assert_late(fd, id, n, 100, "npu0pe1");
	assert_pe_works(fd);
	assert_resets(1, 1);
	close(fd);

	/* A fused pair: both PEs stop and both count a reset. */
	fd = npu_open("npu0pe0-1");
	npu_long_init(fd, &lj);
	n = npu_long_cmds(&lj, 3000);
	id = npu_long_submit(fd, &lj, 3000, NULL);
	assert_late(fd, id, n, 100, "npu0pe0");
	assert_pe_works(fd);
	assert_resets(0, 2);
	assert_resets(1, 2);
	set_timeout("300", 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_load_param, npu_close_fds),
		cmocka_unit_test_teardown(test_wait_not_timed, npu_close_fds),
		cmocka_unit_test_teardown(test_runtime_param, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
