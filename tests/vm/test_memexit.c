// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_memexit: a process that dies holding a PE, buffer objects and
 * mappings of them (normal exit, or SIGKILL) gives everything back: device
 * memory, the BO count and the PE, without touching other processes' BOs.
 */
#include <signal.h>
#include <sys/wait.h>

#include "test_util.h"

#define CHILD_BOS	6

enum child_end {
	END_EXIT,	/* exit(0) when the parent says so */
	END_KILL,	/* sleep until SIGKILL */
};

struct child_plan {
	const char *node;
	enum child_end end;
	int close_fd;	/* close the node after mapping: mappings hold all */
};

/*
 * The child of the running test, until reaped. A failed assertion in the
 * parent (under fault injection a sysfs read or an open can fail with
 * ENOMEM) leaves the test early: the teardown must then kill and reap it,
 * or an END_KILL child pauses forever holding its PE and buffers, and every
 * later open of the node gets EBUSY.
 */
static pid_t child_pid;

static int reap_child(void **state)
{
	if (child_pid > 0) {
		kill(child_pid, SIGKILL);
		while (waitpid(child_pid, NULL, 0) < 0 && errno == EINTR)
			;
		child_pid = 0;
	}
	return npu_close_fds(state);
}

/* What the child holds, as it reports it to the parent. */
struct child_report {
	int ok;
	long long mem;
	long long bos;
};

/*
 * Child: opens the node, creates CHILD_BOS buffers of mixed sizes, maps and
 * dirties every other one, reports, then ends without any cleanup. Plain
 * syscalls only: no cmocka in a child.
 */
static void __attribute__((noreturn)) child_run(const struct child_plan *plan,
						int rfd, int wfd)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct child_report rep = { 0 };
	char path[64], c;
	int fd, i;

	snprintf(path, sizeof(path), "/dev/%s", plan->node);
	fd = open(path, O_RDWR);
	if (fd < 0)
		goto report;
	for (i = 0; i < CHILD_BOS; i++) {
		struct rm_npu_bo_create cr = { .size = (i + 1) * pg * 3 - 5 };
		struct rm_npu_bo_mmap m = { 0 };
		unsigned char *p;

		if (ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &cr))
			goto report;
		rep.mem += (long long)cr.alloc_size;
		rep.bos++;
		if (i % 2)
			continue;
		m.handle = cr.handle;
		if (ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m))
			goto report;
		p = mmap(NULL, cr.alloc_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, (off_t)m.offset);
		if (p == MAP_FAILED)
			goto report;
		memset(p, 0xab, cr.alloc_size);
	}
	if (plan->close_fd)
		close(fd);
	rep.ok = 1;
report:
	if (write(wfd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(3);
	if (plan->end == END_KILL) {
		for (;;)
			pause();
	}
	(void)read(rfd, &c, 1);	/* EOF: the parent has looked */
	_exit(0);
}

static void assert_mem(long long used, long long bos)
{
	assert_int_equal(npu_mem_used(0), used);
	assert_int_equal(npu_bo_count(0), bos);
}

/* Checks that every PE of @node is free again and that it opens. */
static void assert_node_free(const char *node)
{
	unsigned int p, first, last;

	if (sscanf(node, "npu0pe%u-%u", &first, &last) != 2) {
		assert_int_equal(sscanf(node, "npu0pe%u", &first), 1);
		last = first;
	}
	for (p = first; p <= last; p++) {
		char pe[32];

		snprintf(pe, sizeof(pe), "npu0pe%u", p);
		assert_sysfs(pe, "state", "free");
		assert_sysfs(pe, "owner_pid", "0");
	}
	close(npu_open(node));
}

static void run_plan(const struct child_plan *plan)
{
	int to_child[2], to_parent[2], status;
	struct child_report rep;
	long long base_mem = npu_mem_used(0), base_bos = npu_bo_count(0);
	char pid_str[16];
	pid_t pid;

	assert_ok(pipe(to_child));
	assert_ok(pipe(to_parent));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		child_run(plan, to_child[0], to_parent[1]);
	}
	child_pid = pid;
	close(to_child[0]);
	close(to_parent[1]);
	if (read(to_parent[0], &rep, sizeof(rep)) != sizeof(rep) || !rep.ok) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		child_pid = 0;
		fail_msg("child could not set up its buffers on %s", plan->node);
	}
	close(to_parent[0]);

	/* While it lives, its buffers count and it owns the node. */
	assert_mem(base_mem + rep.mem, base_bos + rep.bos);
	snprintf(pid_str, sizeof(pid_str), "%d", (int)pid);
	assert_sysfs(plan->node, "owner_pid", pid_str);
	assert_open_errno(plan->node, EBUSY);

	if (plan->end == END_KILL)
		assert_ok(kill(pid, SIGKILL));
	close(to_child[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	child_pid = 0;
	if (plan->end == END_KILL) {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	/* Once it has been reaped, everything it held is back. */
	assert_mem(base_mem, base_bos);
	assert_node_free(plan->node);
}

static void test_exit(void **state)
{
	const struct child_plan plan = { "npu0pe0", END_EXIT, 0 };

	(void)state;
	run_plan(&plan);
	assert_mem(0, 0);
}

static void test_sigkill(void **state)
{
	const struct child_plan plan = { "npu0pe0", END_KILL, 0 };

	(void)state;
	run_plan(&plan);
	assert_mem(0, 0);
}

/* The node's fd is closed: only the mappings hold the buffers and the PE. */
static void test_sigkill_only_mappings(void **state)
{
	const struct child_plan plan = { "npu0pe0", END_KILL, 1 };

	(void)state;
	run_plan(&plan);
	assert_mem(0, 0);
}

static void test_exit_only_mappings(void **state)
{
	const struct child_plan plan = { "npu0pe0", END_EXIT, 1 };

	(void)state;
	run_plan(&plan);
	assert_mem(0, 0);
}

static void test_sigkill_fused(void **state)
{
	const struct child_plan plan = { "npu0pe0-1", END_KILL, 0 };

	(void)state;
	if (npu_param("num_pes") < 2)
		skip();
	run_plan(&plan);
	assert_mem(0, 0);
}

/* Another process's buffers survive the death, contents included. */
static void test_others_untouched(void **state)
{
	const struct child_plan plans[] = {
		{ "npu0pe0", END_KILL, 0 },
		{ "npu0pe0", END_EXIT, 1 },
	};
	size_t len = 8 * npu_page_size(), i;
	unsigned char *p;
	unsigned int k;
	__u64 alloc;
	__u32 h;
	int fd;

	(void)state;
	if (npu_param("num_pes") < 2)
		skip();
	fd = npu_open("npu0pe1");
	h = npu_bo_create(fd, len, &alloc);
	p = npu_bo_map(fd, h, 0, len);
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 31);
	for (k = 0; k < sizeof(plans) / sizeof(plans[0]); k++) {
		run_plan(&plans[k]);
		assert_mem((long long)alloc, 1);
	}
	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(i * 31))
			fail_msg("byte %zu changed", i);
	assert_sysfs("npu0pe1", "state", "open");
	assert_ok(munmap(p, len));
	close(fd);
	assert_mem(0, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, reap_child)
	const struct CMUnitTest tests[] = {
		T(test_exit),
		T(test_sigkill),
		T(test_sigkill_only_mappings),
		T(test_exit_only_mappings),
		T(test_sigkill_fused),
		T(test_others_untouched),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
