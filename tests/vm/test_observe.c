// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_observe: what the driver lets tools see of a process's use of a
 * node. fdinfo: DRM usage-stats keys (drm-driver, drm-client-id: one per
 * open file, shared by dup() and fork(); drm-engine-peN: exactly the sum
 * of its jobs' durations; drm-memory-device) beside the npu-* lines.
 * Tracepoints (events/rm_npu/): a job's submit, start on each PE,
 * completion (its duration as WAIT reports it) and watchdog timeout.
 */
#include <sys/wait.h>

#include "job_util.h"

#define TRACEFS		NPU_DEBUGFS "/tracing"
#define TIMEOUT_PARAM	NPU_PARAMS_DIR "/job_timeout_ms"

static struct npu_long lj;
static char buf[1 << 18];

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static const char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return buf;
}

/* The value of "@key:\t" in /proc/self/fdinfo/@fd, or -1 when absent. */
static long long fdinfo_ll(int fd, const char *key)
{
	char path[64], pat[64];
	const char *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(pat, sizeof(pat), "\n%s:\t", key);
	p = strstr(read_file(path), pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static void assert_fdinfo_str(int fd, const char *line)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!strstr(read_file(path), line))
		fail_msg("fdinfo of %d lacks \"%s\":\n%s", fd, line, buf);
}

/* Runs a GEMM job on @fd and returns its duration. */
static __u64 run_gemm(int fd)
{
	struct rm_npu_cmd c = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM,
					     GEMM_DIM);
	__u64 dur;

	assert_int_equal(npu_wait_result(fd, npu_submit(fd, &c, 1, lj.handles,
							 3, NULL), NULL, &dur),
			 0);
	return dur;
}

static void test_fdinfo(void **state)
{
	int fd = npu_open("npu0pe0"), fd1, dupfd, st;
	long long id, sum;
	pid_t child;

	(void)state;
	assert_fdinfo_str(fd, "\ndrm-driver:\trm_npu\n");
	assert_fdinfo_str(fd, "npu-node:\tnpu0pe0\n");
	assert_int_equal(fdinfo_ll(fd, "drm-engine-pe0"), 0);
	assert_int_equal(fdinfo_ll(fd, "drm-engine-pe1"), -1);
	assert_int_equal(fdinfo_ll(fd, "drm-memory-device"), 0);
	id = fdinfo_ll(fd, "drm-client-id");
	assert_true(id > 0);

	npu_long_init(fd, &lj);		/* 2 x 16 KiB + 64 KiB of buffers */
	assert_fdinfo_str(fd, "\ndrm-memory-device:\t96 KiB\n");
	assert_int_equal(fdinfo_ll(fd, "npu-memory"), 96 * 1024);
	sum = fdinfo_ll(fd, "drm-engine-pe0");
	assert_true(sum > 0);
	sum += (long long)run_gemm(fd);
	assert_int_equal(fdinfo_ll(fd, "drm-engine-pe0"), sum);

	/* One open file, one client id, whoever holds it. */
	dupfd = dup(fd);
	assert_int_equal(fdinfo_ll(dupfd, "drm-client-id"), id);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(fdinfo_ll(fd, "drm-client-id") == id ? 0 : 1);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(dupfd);

	fd1 = npu_open("npu0pe1");
	assert_true(fdinfo_ll(fd1, "drm-client-id") > id);
	assert_fdinfo_str(fd1, "\ndrm-engine-pe1:\t0 ns\n");
	close(fd1);
	close(fd);

	/* A fused node has an engine line per PE. */
	fd = npu_open("npu0pe0-1");
	assert_fdinfo_str(fd, "\ndrm-engine-pe0:\t0 ns\ndrm-engine-pe1:\t0 ns\n");
	close(fd);
}

/* The durations of every job are exact: engine time == sum of WAITs. */
static void test_fdinfo_exact(void **state)
{
	int fd = npu_open("npu0pe0");
	struct rm_npu_cmd c[2];
	long long sum = 0;
	__u32 h[3];
	__u64 dur;
	int i;

	(void)state;
	h[0] = npu_bo_create(fd, GEMM_AB_SIZE, NULL);
	h[1] = npu_bo_create(fd, GEMM_AB_SIZE, NULL);
	h[2] = npu_bo_create(fd, GEMM_OUT_SIZE, NULL);
	c[0] = npu_cmd_fill(0, 0, GEMM_AB_SIZE, 1, 1);
	c[1] = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM, GEMM_DIM);
	for (i = 0; i < 4; i++) {
		assert_int_equal(npu_wait_result(fd, npu_submit(fd, c, 1 + i % 2,
								 h, 3, NULL),
						 NULL, &dur), 0);
		sum += (long long)dur;
	}
	assert_int_equal(fdinfo_ll(fd, "drm-engine-pe0"), sum);
	close(fd);
}

/* The trace from its first @what on, or a failure. */
static const char *trace_line(const char *trace, const char *what)
{
	const char *p = strstr(trace, what);

	if (!p)
		fail_msg("trace lacks \"%s\":\n%s", what, trace);
	return p;
}

static void test_tracepoints(void **state)
{
	int fd, ffd;
	long long client;
	__u64 dur, id;
	char want[160];
	const char *t;
	struct rm_npu_cmd c;

	(void)state;
	npu_debugfs_mount();
	write_file(TRACEFS "/trace", "");
	/*
	 * No task names recorded: turning events on and off otherwise adds
	 * and removes a probe on sched_switch, which rewrites __schedule()
	 * through int3 while the other CPU runs it; under QEMU's TCG that
	 * once left a CPU looping in the int3 handler (CI run 44).
	 */
	write_file(TRACEFS "/options/record-cmd", "0");
	write_file(TRACEFS "/events/rm_npu/enable", "1");

	fd = npu_open("npu0pe0");
	client = fdinfo_ll(fd, "drm-client-id");
	c = npu_cmd_nop();
	id = npu_submit(fd, &c, 1, NULL, 0, NULL);
	assert_int_equal(npu_wait_result(fd, id, NULL, &dur), 0);

	/* A split GEMM on the fused pair: both PEs start. */
	close(fd);
	ffd = npu_open("npu0pe0-1");
	npu_long_init(ffd, &lj);
	c = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM, GEMM_DIM);
	npu_wait_ok(ffd, npu_submit(ffd, &c, 1, lj.handles, 3, NULL));

	/* A job stopped by the watchdog. */
	write_file(TIMEOUT_PARAM, "30");
	id = npu_long_submit(ffd, &lj, 3000, NULL);
	assert_int_equal(npu_wait_result(ffd, id, NULL, NULL), -ETIMEDOUT);
	write_file(TIMEOUT_PARAM, "60000");
	write_file(TRACEFS "/events/rm_npu/enable", "0");
	write_file(TRACEFS "/options/record-cmd", "1");

	t = read_file(TRACEFS "/trace");
	snprintf(want, sizeof(want),
		 "rm_npu_job_submit: node=npu0pe0 client=%lld job=1 cmds=1 ops=0 fence=0",
		 client);
	trace_line(t, want);
	snprintf(want, sizeof(want),
		 "rm_npu_job_start: pe=npu0pe0 client=%lld job=1", client);
	trace_line(t, want);
	snprintf(want, sizeof(want),
		 "rm_npu_job_done: node=npu0pe0 client=%lld job=1 result=0 cmd=-1 duration_ns=%llu\n",
		 client, (unsigned long long)dur);
	trace_line(t, want);
	trace_line(t, "rm_npu_job_start: pe=npu0pe1 client=");
	snprintf(want, sizeof(want), "job=%llu cmd=", (unsigned long long)id);
	trace_line(trace_line(t, "rm_npu_job_timeout: node=npu0pe0-1"), want);
	trace_line(t, "timeout_ms=30\n");
	snprintf(want, sizeof(want), "job=%llu result=-110 cmd=",
		 (unsigned long long)id);
	trace_line(t, want);
	close(ffd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fdinfo, npu_close_fds),
		cmocka_unit_test_teardown(test_fdinfo_exact, npu_close_fds),
		cmocka_unit_test_teardown(test_tracepoints, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
