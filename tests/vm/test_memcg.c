// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_memcg: buffer objects are charged to the creator's memory cgroup.
 * In a cgroup v2 group with memory.max = 48 MiB, a 16 MiB buffer raises
 * memory.current by at least 16 MiB and a 64 MiB one fails with ENOMEM
 * (device memory stays unused); the charge goes when the buffer does.
 * Skips where the kernel has no memory controller.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "test_util.h"
#include "npt_proc.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG		CG_ROOT "/npu-memcg-test"
#define MIB		(1024LL * 1024)

static long long read_ll(const char *path)
{
	char buf[64];

	if (npu_read_file(path, buf, sizeof(buf)) < 0)
		fail_msg("read %s: %s", path, strerror(errno));
	return atoll(buf);
}

/* Moves this process into @dir's cgroup.procs. */
static void join(const char *dir)
{
	char path[128], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (npt_write_str(path, pid))
		fail_msg("join %s: %s", dir, strerror(errno));
}

static void test_bo_charged(void **state)
{
	struct rm_npu_bo_create bc;
	long long before;
	__u32 h;
	int fd;

	(void)state;
	if (mkdir(CG, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", CG, strerror(errno));
	assert_ok(npt_write_str(CG "/memory.max", "50331648"));
	join(CG);

	fd = npu_open("npu0pe0");
	before = read_ll(CG "/memory.current");
	h = npu_bo_create(fd, 16 * MIB, NULL);
	if (read_ll(CG "/memory.current") < before + 16 * MIB)
		fail_msg("memory.current %lld after a 16 MiB buffer (was %lld)",
			 read_ll(CG "/memory.current"), before);

	memset(&bc, 0, sizeof(bc));
	bc.size = 64 * MIB;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &bc), ENOMEM);
	assert_int_equal(npu_mem_used(0), 16 * MIB);

	npu_bo_close(fd, h);
	close(fd);
	if (read_ll(CG "/memory.current") >= before + 16 * MIB)
		fail_msg("memory.current %lld: the charge stayed (was %lld)",
			 read_ll(CG "/memory.current"), before);
	join(CG_ROOT);
	assert_ok(rmdir(CG));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bo_charged, npu_close_fds),
	};

	/* cgroup v2 with the memory controller, or skip (77). */
	if (access(CG_ROOT "/cgroup.controllers", R_OK) &&
	    ((mkdir(CG_ROOT, 0755) && errno != EEXIST) ||
	     mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))) {
		printf("test_memcg: skipped: no cgroup v2\n");
		return 77;
	}
	if (npt_write_str(CG_ROOT "/cgroup.subtree_control", "+memory")) {
		printf("test_memcg: skipped: no memory controller\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
