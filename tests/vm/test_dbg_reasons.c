// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_dbg_reasons: every refused request says why through dynamic debug,
 * one category per area ("IOCTL:", "BO:", "SUBMIT:", "WAIT:", "OPEN:").
 * Enabling one category prints its reasons (the field and the value at
 * fault) and no other's; disabled, nothing is printed.
 */
#include <sys/klog.h>

#include "job_util.h"

#define DDEBUG	NPU_DEBUGFS "/dynamic_debug/control"

static char klog[1 << 20];
static int pid;

static void ddebug(const char *cmd)
{
	int fd = open(DDEBUG, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", DDEBUG, strerror(errno));
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		fail_msg("%s: '%s': %s", DDEBUG, cmd, strerror(errno));
	close(fd);
}

static void klog_clear(void)
{
	assert_ok(klogctl(5 /* SYSLOG_ACTION_CLEAR */, NULL, 0));
}

static const char *klog_read(void)
{
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, klog, sizeof(klog) - 1);

	if (n < 0)
		fail_msg("klogctl: %s", strerror(errno));
	klog[n] = '\0';
	return klog;
}

/* Asserts the kernel log has "NODE: CAT: pid PID: @what". */
static void assert_reason(const char *node, const char *cat, const char *what)
{
	char line[256];

	snprintf(line, sizeof(line), "%s: %s: pid %d: %s", node, cat, pid,
		 what);
	if (!strstr(klog_read(), line))
		fail_msg("kernel log lacks \"%s\":\n%s", line, klog);
}

static void assert_no_reason(const char *cat)
{
	char tag[32];

	snprintf(tag, sizeof(tag), ": %s: pid ", cat);
	if (strstr(klog_read(), tag))
		fail_msg("kernel log has a %s line:\n%s", cat, klog);
}

static void bad_submits(int fd, __u32 h)
{
	struct rm_npu_cmd c[2];
	struct rm_npu_submit s;
	__u32 bad = 999;

	c[0] = npu_cmd_nop();
	c[1] = npu_cmd_fill(0, 4096, 1, 1, 0);	/* one byte past the end */
	npt_submit_args(&s, c, 0, NULL, 0, 0, 0);
	assert_rc(npt_submit(fd, &s), EINVAL);
	npt_submit_args(&s, c, 1, NULL, 0, 0, 0);
	s.cmd_size = 260;
	assert_rc(npt_submit(fd, &s), EINVAL);
	npt_submit_args(&s, c, 1, &bad, 1, 0, 0);
	assert_rc(npt_submit(fd, &s), ENOENT);
	npt_submit_args(&s, c, 2, &h, 1, 0, 0);
	assert_rc(npt_submit(fd, &s), EINVAL);
	assert_int_equal(s.error_index, 1);
}

static void test_reasons(void **state)
{
	int fd = npu_open("npu0pe0");
	struct rm_npu_bo_create bc;
	struct rm_npu_wait w;
	__u32 h;

	(void)state;
	npu_debugfs_mount();
	pid = getpid();
	h = npu_bo_create(fd, 4096, NULL);

	/* Disabled: refusals print nothing. */
	ddebug("module rm_npu -p");
	klog_clear();
	bad_submits(fd, h);
	assert_no_reason("SUBMIT");

	/* SUBMIT only. */
	ddebug("module rm_npu format \"SUBMIT:\" +p");
	klog_clear();
	bad_submits(fd, h);
	memset(&bc, 0, sizeof(bc));
	bc.size = 4096;
	bc.flags = 4;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &bc), EINVAL);
	assert_reason("npu0pe0", "SUBMIT", "num_cmds 0 not in 1..4096");
	assert_reason("npu0pe0", "SUBMIT",
		      "cmd_size 260 not a multiple of 8 in 256..1024");
	assert_reason("npu0pe0", "SUBMIT", "bo_handles[0] = 999 unknown");
	assert_reason("npu0pe0", "SUBMIT",
		      "cmds[1]: opcode 1 flags 0x0 invalid (1 buffers)");
	assert_no_reason("BO");

	/* Then BO and WAIT as well. */
	ddebug("module rm_npu format \"BO:\" +p");
	ddebug("module rm_npu format \"WAIT:\" +p");
	klog_clear();
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &bc), EINVAL);
	assert_reason("npu0pe0", "BO", "BO_CREATE: flags 0x4 unknown");
	bc.flags = 0;
	bc.size = 1ULL << 40;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &bc), EINVAL);
	assert_reason("npu0pe0", "BO", "BO_CREATE: size 1099511627776 not in");
	assert_rc(npt_wait(fd, 77, 0, &w), ENOENT);
	assert_reason("npu0pe0", "WAIT", "job_id 77 not issued (last 0)");

	ddebug("module rm_npu -p");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reasons, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
