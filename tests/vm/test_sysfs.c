// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_sysfs: every attribute of /sys/class/npu/npuX, npuXpeY and
 * npuXpeY-Z has its exact expected value and agrees with GET_INFO; memory
 * accounting follows buffer objects, state and owner_pid follow opens.
 */
#include <signal.h>
#include <sys/wait.h>

#include "test_util.h"

/* NUMA node the driver gives device @dev: round-robin over online nodes. */
static int expected_numa_node(unsigned int dev)
{
	int nodes[64], count = 0;
	char buf[256], *p = buf;

	if (npu_read_file("/sys/devices/system/node/online", buf, sizeof(buf)))
		return -1;	/* kernel without NUMA */
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			fail_msg("bad node list \"%s\"", buf);
		p = end;
		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		while (a <= b && count < 64)
			nodes[count++] = (int)a++;
		if (*p == ',')
			p++;
	}
	assert_true(count > 0);
	return nodes[dev % (unsigned int)count];
}

static void format_uuid(const __u8 *u, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void test_mgmt_attrs(void **state)
{
	unsigned int devs = npu_param("num_devices");
	unsigned int pes = npu_param("num_pes");
	unsigned long long mem = (unsigned long long)npu_param("mem_mib") << 20;
	char uuids[16][40];
	unsigned int d, e;

	(void)state;
	for (d = 0; d < devs; d++) {
		struct rm_npu_info info;
		char node[16], buf[64];
		int fd;

		snprintf(node, sizeof(node), "npu%u", d);
		assert_sysfs_ll(node, "dev_index", d);
		assert_sysfs(node, "arch", "warboy");
		assert_sysfs_ll(node, "num_pes", pes);
		assert_sysfs(node, "fw_state", "ready");
		assert_sysfs(node, "fw_version", NPU_FW_VERSION);
		assert_sysfs(node, "fw_caps", "0x1ff");
		assert_sysfs_ll(node, "mem_total", mem);
		assert_sysfs_ll(node, "mem_used", 0);
		assert_sysfs_ll(node, "bo_count", 0);
		snprintf(buf, sizeof(buf), "726d5f6e-7075-8000-8000-0000%08x",
			 d);
		assert_sysfs(node, "uuid", buf);
		assert_sysfs_ll(node, "numa_node", expected_numa_node(d));
		assert_sysfs(node, "abi_version", "1.2");

		/* The same facts through GET_INFO on the management node. */
		fd = npu_open(node);
		npu_get_info(fd, &info);
		close(fd);
		assert_int_equal(info.dev_index, npu_sysfs_ll(node, "dev_index"));
		assert_int_equal(info.num_pes, npu_sysfs_ll(node, "num_pes"));
		assert_int_equal(info.fw_state, RM_NPU_FW_READY);
		assert_int_equal(info.fw_version, 0x010000);
		assert_string_equal((char *)info.fw_version_str,
				    npu_sysfs(node, "fw_version", buf, sizeof(buf)));
		snprintf(buf, sizeof(buf), "0x%llx",
			 (unsigned long long)info.fw_caps);
		assert_sysfs(node, "fw_caps", buf);
		assert_int_equal(info.mem_total, npu_sysfs_ll(node, "mem_total"));
		assert_int_equal(info.mem_used, npu_sysfs_ll(node, "mem_used"));
		assert_string_equal((char *)info.arch,
				    npu_sysfs(node, "arch", buf, sizeof(buf)));
		format_uuid(info.uuid, buf, sizeof(buf));
		assert_sysfs(node, "uuid", buf);
		assert_int_equal(info.numa_node, npu_sysfs_ll(node, "numa_node"));
		snprintf(buf, sizeof(buf), "%u.%u", info.abi_version >> 16,
			 info.abi_version & 0xffff);
		assert_sysfs(node, "abi_version", buf);

		/* UUIDs are per device. */
		npu_sysfs(node, "uuid", uuids[d], sizeof(uuids[d]));
		for (e = 0; e < d; e++)
			assert_string_not_equal(uuids[d], uuids[e]);
	}
}

static void assert_no_attr(const char *node, const char *attr)
{
	char path[128], buf[64];
	int ret;

	snprintf(path, sizeof(path), NPU_CLASS_DIR "/%s/%s", node, attr);
	ret = npu_read_file(path, buf, sizeof(buf));
	if (ret != -ENOENT)
		fail_msg("%s: expected no such attribute, got %s", path,
			 ret ? strerror(-ret) : buf);
}

static void test_pe_attrs(void **state)
{
	static const char *const counters[] = {
		"busy_ns", "jobs_completed", "jobs_failed", "bytes_moved", "ops",
	};
	unsigned int devs = npu_param("num_devices");
	unsigned int pes = npu_param("num_pes");
	unsigned int d, p, c;

	(void)state;
	for (d = 0; d < devs; d++) {
		for (p = 0; p < pes; p++) {
			char node[48], buf[48];

			snprintf(node, sizeof(node), "npu%upe%u", d, p);
			snprintf(buf, sizeof(buf), "%u", p);
			assert_sysfs(node, "pes", buf);
			assert_sysfs(node, "state", "free");
			assert_sysfs(node, "owner_pid", "0");
			for (c = 0; c < sizeof(counters) / sizeof(counters[0]); c++)
				assert_sysfs(node, counters[c], "0");
		}
		for (p = 0; p + 1 < pes; p += 2) {
			char node[48], buf[48];

			snprintf(node, sizeof(node), "npu%upe%u-%u", d, p, p + 1);
			snprintf(buf, sizeof(buf), "%u-%u", p, p + 1);
			assert_sysfs(node, "pes", buf);
			assert_sysfs(node, "state", "free");
			assert_sysfs(node, "owner_pid", "0");
			/* Telemetry lives on the PEs only. */
			for (c = 0; c < sizeof(counters) / sizeof(counters[0]); c++)
				assert_no_attr(node, counters[c]);
		}
	}
}

static void assert_mem(unsigned int dev, long long used, long long bos)
{
	assert_int_equal(npu_mem_used(dev), used);
	assert_int_equal(npu_bo_count(dev), bos);
}

static void assert_info_mem_used(int fd, long long used)
{
	struct rm_npu_info info;

	npu_get_info(fd, &info);
	assert_int_equal(info.mem_used, used);
}

/* mem_used and bo_count follow BO_CREATE, BO_CLOSE and the last close. */
static void test_mem_accounting(void **state)
{
	unsigned int devs = npu_param("num_devices");
	unsigned int pes = npu_param("num_pes");
	size_t pg = npu_page_size();
	long long used = 0, bos = 0;
	__u64 a1, a2, a3, a4 = 0;
	__u32 h1, h2, h4 = 0;
	int mgmt, pe0, pe1 = -1;

	(void)state;
	mgmt = npu_open("npu0");
	pe0 = npu_open("npu0pe0");
	assert_mem(0, 0, 0);

	h1 = npu_bo_create(pe0, 1, &a1);
	assert_int_equal(a1, pg);
	assert_mem(0, used += a1, ++bos);
	h2 = npu_bo_create(pe0, 3 * pg + 1, &a2);
	assert_int_equal(a2, 4 * pg);
	assert_mem(0, used += a2, ++bos);
	npu_bo_create(pe0, 1 << 20, &a3);
	assert_int_equal(a3, 1 << 20);
	assert_mem(0, used += a3, ++bos);
	assert_info_mem_used(mgmt, used);
	assert_info_mem_used(pe0, used);

	/* Another node of the same device adds to the same counters. */
	if (pes > 1) {
		pe1 = npu_open("npu0pe1");
		h4 = npu_bo_create(pe1, 2 * pg, &a4);
		assert_mem(0, used += a4, ++bos);
		assert_info_mem_used(pe1, used);
	}

	/* Other devices keep their own books. */
	if (devs > 1)
		assert_mem(1, 0, 0);

	npu_bo_close(pe0, h2);
	assert_mem(0, used -= a2, --bos);
	assert_info_mem_used(mgmt, used);
	npu_bo_close(pe0, h1);
	assert_mem(0, used -= a1, --bos);

	/* Closing the file frees what it still holds. */
	close(pe0);
	assert_mem(0, used -= a3, --bos);
	if (pe1 >= 0) {
		npu_bo_close(pe1, h4);
		assert_mem(0, used -= a4, --bos);
		close(pe1);
	}
	assert_mem(0, 0, 0);
	assert_info_mem_used(mgmt, 0);
	close(mgmt);
}

static void assert_owner(const char *node, const char *state, pid_t pid)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	assert_sysfs(node, "state", state);
	assert_sysfs(node, "owner_pid", buf);
}

/* state and owner_pid follow open and close of PE and fused nodes. */
static void test_owner_tracking(void **state)
{
	unsigned int pes = npu_param("num_pes");
	pid_t me = getpid();
	int fd, mgmt;

	(void)state;
	if (pes < 2)
		skip();

	/* The management node claims nothing. */
	mgmt = npu_open("npu0");
	assert_owner("npu0pe0", "free", 0);
	assert_owner("npu0pe0-1", "free", 0);

	fd = npu_open("npu0pe0");
	assert_owner("npu0pe0", "open", me);
	assert_owner("npu0pe1", "free", 0);
	assert_owner("npu0pe0-1", "open", me);	/* a member is held */
	close(fd);
	assert_owner("npu0pe0", "free", 0);
	assert_owner("npu0pe0-1", "free", 0);

	fd = npu_open("npu0pe1");
	assert_owner("npu0pe0", "free", 0);
	assert_owner("npu0pe1", "open", me);
	assert_owner("npu0pe0-1", "open", me);
	close(fd);

	fd = npu_open("npu0pe0-1");
	assert_owner("npu0pe0-1", "open", me);
	assert_owner("npu0pe0", "open", me);
	assert_owner("npu0pe1", "open", me);
	if (pes > 2)
		assert_owner("npu0pe2", "free", 0);
	close(fd);
	assert_owner("npu0pe0-1", "free", 0);
	assert_owner("npu0pe0", "free", 0);
	assert_owner("npu0pe1", "free", 0);
	close(mgmt);
}

/* Child: opens @node, reports on @wfd, waits for the parent to close @rfd. */
static void __attribute__((noreturn)) child_hold(const char *node, int rfd,
						 int wfd)
{
	char path[64], c = 'x';
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", node);
	fd = open(path, O_RDWR);
	if (fd < 0)
		_exit(2);
	if (write(wfd, &c, 1) != 1)
		_exit(3);
	(void)read(rfd, &c, 1);	/* EOF: the parent is done */
	_exit(0);
}

/* owner_pid names the process that opened the node, not the reader. */
static void check_owner_child(const char *node, const char *const *members)
{
	int to_child[2], to_parent[2], status;
	unsigned int i;
	pid_t pid;
	char c;

	assert_ok(pipe(to_child));
	assert_ok(pipe(to_parent));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		child_hold(node, to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);
	if (read(to_parent[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		fail_msg("child could not open %s (status 0x%x)", node, status);
	}
	assert_owner(node, "open", pid);
	for (i = 0; members[i]; i++)
		assert_owner(members[i], "open", pid);
	close(to_child[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(to_parent[0]);
	assert_owner(node, "free", 0);
	for (i = 0; members[i]; i++)
		assert_owner(members[i], "free", 0);
}

static void test_owner_other_process(void **state)
{
	static const char *const pe_members[] = { "npu0pe0-1", NULL };
	static const char *const fused_members[] = {
		"npu0pe0", "npu0pe1", NULL,
	};

	(void)state;
	if (npu_param("num_pes") < 2)
		skip();
	check_owner_child("npu0pe1", pe_members);
	check_owner_child("npu0pe0-1", fused_members);
}

/* mem_total is mem_mib MiB; with mem_mib=64, 67108864 bytes. */
static void test_mem_total(void **state)
{
	unsigned int mib = npu_param("mem_mib");

	(void)state;
	assert_sysfs_ll("npu0", "mem_total", (long long)mib << 20);
	if (mib == 64)
		assert_sysfs("npu0", "mem_total", "67108864");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mgmt_attrs),
		cmocka_unit_test(test_pe_attrs),
		cmocka_unit_test_teardown(test_mem_accounting, npu_close_fds),
		cmocka_unit_test_teardown(test_owner_tracking, npu_close_fds),
		cmocka_unit_test_teardown(test_owner_other_process,
					  npu_close_fds),
		cmocka_unit_test(test_mem_total),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
