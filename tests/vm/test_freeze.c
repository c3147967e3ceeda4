// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_freeze: suspend and hibernation freeze the PE engines. With
 * /sys/power/pm_test at "freezer", writing "freeze" to /sys/power/state
 * freezes every freezable task for pm_test_delay seconds and thaws them.
 * A long job on a plain PE and one split across the fused pair must make
 * (next to) no progress meanwhile, as the PE's ops counter shows, then
 * finish with exact results and no watchdog timeout (time frozen is not
 * the job's). Skips when the kernel has no pm_test or no s2idle.
 */
#include <stdbool.h>

#include "job_util.h"
#include "npt_proc.h"

#define PM_TEST		"/sys/power/pm_test"
#define PM_STATE	"/sys/power/state"
#define PM_DELAY	"/sys/module/suspend/parameters/pm_test_delay"
/* Long enough that the moments before and after it weigh little. */
#define FROZEN_S	4

static struct npu_long lj;

static long long pe_ops(const char *pe)
{
	return npu_sysfs_ll(pe, "ops");
}

/*
 * A long job on @node; the ops its PE @pe did in 1 s of running, then in
 * the freeze (which takes FROZEN_S at least): the second must be far below.
 */
static void freeze_during_job(const char *node, const char *pe)
{
	long long o0, o1, o2, t0, t1, t2, rate_run, rate_frozen;
	int fd = npu_open(node);
	__u64 id;

	npu_long_init(fd, &lj);
	id = npu_long_submit(fd, &lj, 4000 + 1000 * FROZEN_S, NULL);
	o0 = pe_ops(pe);
	t0 = npu_now_ns();
	npu_sleep_ms(1000);
	o1 = pe_ops(pe);
	t1 = npu_now_ns();
	assert_ok(npt_write_str(PM_STATE, "freeze"));
	o2 = pe_ops(pe);
	t2 = npu_now_ns();
	/*
	 * pm_test's delay is an mdelay() of FROZEN_S s, timed by the TSC
	 * rate the guest calibrated at boot: under TCG on a loaded host it
	 * can run 10x short (309 ms seen). What the rates below need is a
	 * freeze spanning many of the job's commands (each a few ms), far
	 * longer than the moments around it.
	 */
	if (t2 - t1 < 200 * NS_PER_MS)
		fail_msg("%s: the freeze lasted %lld ms", node,
			 (t2 - t1) / NS_PER_MS);
	/* ops per second, running and across the freeze */
	rate_run = (o1 - o0) * NS_PER_S / (t1 - t0);
	rate_frozen = (o2 - o1) * NS_PER_S / (t2 - t1);
	print_message("%s: %lld ops/s running, %lld ops/s across the freeze "
		      "(%lld ms)\n", node, rate_run, rate_frozen,
		      (t2 - t1) / NS_PER_MS);
	assert_true(rate_run > 0);
	if (rate_frozen * 2 > rate_run)
		fail_msg("%s: the PE ran on while frozen (%lld vs %lld ops/s "
			 "over %lld ms)", node, rate_frozen, rate_run,
			 (t2 - t1) / NS_PER_MS);
	assert_int_equal(npu_wait_result(fd, id, NULL, NULL), 0);
	npu_long_check(fd, &lj);
	close(fd);
}

/* pm_test and s2idle ("freeze" in /sys/power/state) are there. */
static bool can_freeze(void)
{
	char buf[256];

	return npu_read_file(PM_TEST, buf, sizeof(buf)) >= 0 &&
	       npu_read_file(PM_STATE, buf, sizeof(buf)) >= 0 &&
	       strstr(buf, "freeze");
}

static void test_freeze(void **state)
{
	char delay[16];

	(void)state;
	snprintf(delay, sizeof(delay), "%d", FROZEN_S);
	assert_ok(npt_write_str(PM_DELAY, delay));
	assert_ok(npt_write_str(PM_TEST, "freezer"));
	freeze_during_job("npu0pe0", "npu0pe0");
	/* Split commands: the leader waits for a frozen partner. */
	freeze_during_job("npu0pe0-1", "npu0pe1");
	assert_ok(npt_write_str(PM_TEST, "none"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_freeze, npu_close_fds),
	};

	if (!can_freeze()) {
		printf("test_freeze: skipped: no %s or no s2idle in %s\n",
		       PM_TEST, PM_STATE);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
