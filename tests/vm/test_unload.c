// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_unload (noload): rm_npu unloads the moment its last user lets go.
 * Each round loads the module, runs a job long enough for the PE thread
 * with an out-fence whose sync_file is closed at once, closes the PE and
 * retries rmmod (O_NONBLOCK) until it succeeds: the job's fence, dropped
 * by the PE thread, is the last module reference, and rmmod may then stop
 * the engine while the thread is still freeing the PE. The run-tests
 * harness fails the test on the WARNING the engine used to print there.
 */
#include <sys/syscall.h>

#include "job_util.h"

#define ROUNDS		40

static const char *module_path(void)
{
	const char *m = getenv("NPU_MODULE");

	return m && *m ? m : "/npu/rm_npu.ko";
}

static void load(void)
{
	int fd = open(module_path(), O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	if (syscall(SYS_finit_module, fd, "", 0))
		fail_msg("finit_module(%s): %s", module_path(),
			 strerror(errno));
	close(fd);
}

/* rmmod, retried while the module is in use; returns the attempts. */
static long unload(void)
{
	long tries = 0;

	for (;;) {
		tries++;
		if (!syscall(SYS_delete_module, "rm_npu", O_NONBLOCK))
			return tries;
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			fail_msg("delete_module: %s", strerror(errno));
		if (tries > 10000000)
			fail_msg("rm_npu still in use after %ld rmmod calls",
				 tries);
	}
}

static void test_unload_after_last_fence(void **state)
{
	long busy = 0;
	int r;

	(void)state;
	for (r = 0; r < ROUNDS; r++) {
		struct rm_npu_cmd c[2];
		struct npu_long l;
		int fd, out_fd;
		long tries;

		load();
		fd = npu_open("npu0pe0");
		npu_long_init(fd, &l);
		c[0] = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM, GEMM_DIM);
		c[1] = c[0];
		npu_submit(fd, c, r % 2 + 1, l.handles, 3, &out_fd);
		close(out_fd);
		/* Cancels the job (or waits for it) and returns at its retire. */
		close(fd);
		tries = unload();
		busy += tries > 1;
	}
	print_message("%d rounds, %ld had rmmod refused at first\n", ROUNDS,
		      busy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unload_after_last_fence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
