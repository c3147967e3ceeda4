// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_exclusive: a PE node has one open file at a time (EBUSY for the
 * next, in the same or another process), a fused node excludes its member
 * PEs and the other way round, and the management node never excludes.
 */
#include <sys/wait.h>

#include "test_util.h"

#define MGMT_OPENS	32

static void test_same_process(void **state)
{
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	assert_open_errno("npu0pe0", EBUSY);
	assert_open_errno("npu0pe0", EBUSY);	/* a failed open claims nothing */
	close(fd);
	fd = npu_open("npu0pe0");
	close(fd);
}

/*
 * A dup()ed or inherited descriptor is the same open file: it keeps the PE
 * claimed until its last copy is closed.
 */
static void test_dup_keeps_claim(void **state)
{
	int fd, fd2;

	(void)state;
	fd = npu_open("npu0pe0");
	fd2 = dup(fd);
	assert_true(fd2 >= 0);
	close(fd);
	assert_open_errno("npu0pe0", EBUSY);
	assert_sysfs("npu0pe0", "state", "open");
	close(fd2);
	assert_sysfs("npu0pe0", "state", "free");
	close(npu_open("npu0pe0"));
}

/*
 * Child: opens @node (exit 2 on failure), says so on @wfd and holds it until
 * @rfd reads EOF.
 */
static void __attribute__((noreturn)) child_hold(const char *node, int rfd,
						 int wfd)
{
	char path[64], c = 'x';

	snprintf(path, sizeof(path), "/dev/%s", node);
	if (open(path, O_RDWR) < 0)
		_exit(2);
	if (write(wfd, &c, 1) != 1)
		_exit(3);
	(void)read(rfd, &c, 1);
	_exit(0);
}

struct holder {
	pid_t pid;
	int release_fd;	/* close to let the child exit */
};

static struct holder hold_in_child(const char *node)
{
	int to_child[2], to_parent[2], status;
	struct holder h;
	char c;

	assert_ok(pipe(to_child));
	assert_ok(pipe(to_parent));
	h.pid = fork();
	assert_true(h.pid >= 0);
	if (h.pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		child_hold(node, to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);
	if (read(to_parent[0], &c, 1) != 1) {
		waitpid(h.pid, &status, 0);
		fail_msg("child could not open %s (status 0x%x)", node, status);
	}
	close(to_parent[0]);
	h.release_fd = to_child[1];
	return h;
}

static void release_child(struct holder *h)
{
	int status;

	close(h->release_fd);
	assert_int_equal(waitpid(h->pid, &status, 0), h->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_other_process(void **state)
{
	unsigned int pes = npu_param("num_pes");
	struct holder h;
	int fd;

	(void)state;
	h = hold_in_child("npu0pe0");
	assert_open_errno("npu0pe0", EBUSY);
	if (pes > 1) {
		assert_open_errno("npu0pe0-1", EBUSY);
		fd = npu_open("npu0pe1");	/* the other PE is free */
		close(fd);
	}
	release_child(&h);
	/* The child's exit released the PE. */
	fd = npu_open("npu0pe0");

	/* And the other way round: the parent holds, a child gets EBUSY. */
	{
		int status;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			int f = open("/dev/npu0pe0", O_RDWR);

			_exit(f < 0 && errno == EBUSY ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	close(fd);
}

static void test_fused_excludes_members(void **state)
{
	unsigned int pes = npu_param("num_pes");
	int fd;

	(void)state;
	if (pes < 2)
		skip();
	fd = npu_open("npu0pe0-1");
	assert_open_errno("npu0pe0", EBUSY);
	assert_open_errno("npu0pe1", EBUSY);
	assert_open_errno("npu0pe0-1", EBUSY);
	if (pes >= 4) {
		int fd2 = npu_open("npu0pe2-3");	/* a disjoint pair */

		close(fd2);
	}
	close(fd);
	close(npu_open("npu0pe0"));
	close(npu_open("npu0pe1"));
}

static void test_member_excludes_fused(void **state)
{
	unsigned int pes = npu_param("num_pes");
	int fd, fd2;

	(void)state;
	if (pes < 2)
		skip();
	/* Either member alone blocks the pair; the pair's claim is all or none. */
	fd = npu_open("npu0pe1");
	assert_open_errno("npu0pe0-1", EBUSY);
	fd2 = npu_open("npu0pe0");	/* the failed fused open took nothing */
	assert_open_errno("npu0pe0-1", EBUSY);
	close(fd);
	assert_open_errno("npu0pe0-1", EBUSY);
	close(fd2);
	fd = npu_open("npu0pe0-1");
	close(fd);
}

/* Across processes too: a child holding pe1 blocks the parent's pair. */
static void test_fused_other_process(void **state)
{
	struct holder h;

	(void)state;
	if (npu_param("num_pes") < 2)
		skip();
	h = hold_in_child("npu0pe1");
	assert_open_errno("npu0pe0-1", EBUSY);
	close(npu_open("npu0pe0"));
	release_child(&h);

	h = hold_in_child("npu0pe0-1");
	assert_open_errno("npu0pe0", EBUSY);
	assert_open_errno("npu0pe1", EBUSY);
	release_child(&h);
	close(npu_open("npu0pe0-1"));
}

/* The management node opens any number of times, beside PE owners. */
static void test_mgmt_shared(void **state)
{
	unsigned int pes = npu_param("num_pes");
	int mgmt[MGMT_OPENS], pe[2];
	unsigned int i;
	struct holder h;

	(void)state;
	pe[0] = npu_open("npu0pe0");
	pe[1] = pes > 1 ? npu_open("npu0pe1") : -1;
	for (i = 0; i < MGMT_OPENS; i++)
		mgmt[i] = npu_open("npu0");
	/* A child opens it too, while the parent holds everything. */
	h = hold_in_child("npu0");
	release_child(&h);
	for (i = 0; i < MGMT_OPENS; i++) {
		struct rm_npu_info info;

		npu_get_info(mgmt[i], &info);
		assert_int_equal(info.node_type, RM_NPU_NODE_MGMT);
	}
	close(pe[0]);
	if (pe[1] >= 0)
		close(pe[1]);
	for (i = 0; i < MGMT_OPENS; i++)
		close(mgmt[i]);
}

/* After everything is closed, every node of every device opens again. */
static void test_all_reopen(void **state)
{
	unsigned int devs = npu_param("num_devices");
	unsigned int pes = npu_param("num_pes");
	int fds[1 + 8];
	unsigned int d, p, n;
	char node[48];

	(void)state;
	for (d = 0; d < devs; d++) {
		/* Every PE at once, beside the management node... */
		n = 0;
		snprintf(node, sizeof(node), "npu%u", d);
		fds[n++] = npu_open(node);
		for (p = 0; p < pes; p++) {
			snprintf(node, sizeof(node), "npu%upe%u", d, p);
			fds[n++] = npu_open(node);
		}
		while (n)
			close(fds[--n]);
		/* ...then every pair at once. */
		for (p = 0; p + 1 < pes; p += 2) {
			snprintf(node, sizeof(node), "npu%upe%u-%u", d, p, p + 1);
			fds[n++] = npu_open(node);
		}
		while (n)
			close(fds[--n]);
		for (p = 0; p < pes; p++) {
			snprintf(node, sizeof(node), "npu%upe%u", d, p);
			assert_sysfs(node, "state", "free");
			assert_sysfs(node, "owner_pid", "0");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_same_process, npu_close_fds),
		cmocka_unit_test_teardown(test_dup_keeps_claim, npu_close_fds),
		cmocka_unit_test_teardown(test_other_process, npu_close_fds),
		cmocka_unit_test_teardown(test_fused_excludes_members,
					  npu_close_fds),
		cmocka_unit_test_teardown(test_member_excludes_fused,
					  npu_close_fds),
		cmocka_unit_test_teardown(test_fused_other_process,
					  npu_close_fds),
		cmocka_unit_test_teardown(test_mgmt_shared, npu_close_fds),
		cmocka_unit_test_teardown(test_all_reopen, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
