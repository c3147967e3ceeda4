// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_kill: jobs of a process that dies (SIGKILL mid-run) or closes its
 * node with jobs queued are cancelled, their fences signal with an error,
 * device memory, buffer count and the PE come back, and the PE runs jobs
 * again; processes on different PEs run jobs concurrently with exact
 * results. Expects num_pes=4 job_timeout_ms=60000.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "job_util.h"

#define ENGINES		"/sys/kernel/debug/rm_npu/npu0/engines"
#define KILL_JOBS	16

static struct npu_long lj;

/* Waits up to 10 s for device memory and buffer count to reach 0. */
static void assert_mem_drains(void)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (!npu_mem_used(0) && !npu_bo_count(0))
			return;
		npu_sleep_ms(5);
	}
	fail_msg("mem_used %lld bo_count %lld 10 s after the end",
		 npu_mem_used(0), npu_bo_count(0));
}

/* --- Children: plain syscalls only ----------------------------------- */

static int child_submit(int fd, const struct rm_npu_cmd *c, __u32 n,
			const __u32 *h, __u32 nbos, __u32 flags, int in_fd,
			struct rm_npu_submit *s)
{
	npt_submit_args(s, c, n, h, nbos, flags, in_fd);
	return npt_submit(fd, s);
}

/*
 * Creates the long-job buffers (A = @a, B = 2) and submits @njobs jobs of
 * @ncmds GEMMs; returns 0 or a line number. The last job's out-fence fd
 * goes to *@fence.
 */
static int child_long_jobs(int fd, __u32 *h, int a, __u32 ncmds, int njobs,
			   int *fence, __u64 *last)
{
	struct rm_npu_cmd *c = calloc(ncmds + 2, sizeof(*c));
	struct rm_npu_submit s;
	struct rm_npu_wait w;
	__u32 i;
	int j;

	if (!c)
		return __LINE__;
	for (i = 0; i < 3; i++) {
		struct rm_npu_bo_create cr = { .size = i < 2 ? GEMM_AB_SIZE :
						       GEMM_OUT_SIZE };

		if (ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &cr))
			return __LINE__;
		h[i] = cr.handle;
	}
	c[0] = npu_cmd_fill(0, 0, GEMM_AB_SIZE, 1, (__u32)a);
	c[1] = npu_cmd_fill(1, 0, GEMM_AB_SIZE, 1, 2);
	if (child_submit(fd, c, 2, h, 3, 0, 0, &s) ||
	    npt_wait(fd, s.job_id, -1, &w) || w.result)
		return __LINE__;
	for (i = 0; i < ncmds; i++)
		c[i] = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM, GEMM_DIM);
	for (j = 0; j < njobs; j++) {
		if (child_submit(fd, c, ncmds, h, 3,
				 j == njobs - 1 ? RM_NPU_SUBMIT_OUT_FENCE : 0,
				 0, &s))
			return __LINE__;
	}
	*fence = s.out_fence_fd;
	*last = s.job_id;
	free(c);
	return 0;
}

static int send_fd(int sock, int fd, int status)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &status, sizeof(status) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, 0) == sizeof(status) ? 0 : -1;
}

/* Returns the status the child sent; the fd (or -1) in *@fd. */
static int recv_fd(int sock, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int status = -1;
	struct iovec iov = { &status, sizeof(status) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	*fd = -1;
	if (recvmsg(sock, &msg, 0) != sizeof(status))
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return status;
}

/*
 * Child of test_sigkill: long jobs on pe0, and on pe1 a job waiting for
 * pe0's last job through an in-fence; sends pe0's last out-fence, then
 * sleeps until killed.
 */
static void __attribute__((noreturn)) kill_child(int sock, __u32 ncmds)
{
	int fd0, fd1, fence = -1, status;
	struct rm_npu_cmd c = npu_cmd_fill(0, 0, 1024, 4, 9);
	struct rm_npu_submit s;
	struct rm_npu_bo_create cr = { .size = 4096 };
	__u32 h[3];
	__u64 last;

	fd0 = open("/dev/npu0pe0", O_RDWR);
	fd1 = open("/dev/npu0pe1", O_RDWR);
	if (fd0 < 0 || fd1 < 0) {
		status = __LINE__;
		goto out;
	}
	status = child_long_jobs(fd0, h, 1, ncmds, KILL_JOBS, &fence, &last);
	if (status)
		goto out;
	if (ioctl(fd1, RM_NPU_IOCTL_BO_CREATE, &cr) ||
	    child_submit(fd1, &c, 1, &cr.handle, 1, RM_NPU_SUBMIT_IN_FENCE,
			 fence, &s))
		status = __LINE__;
out:
	send_fd(sock, fence, status);
	for (;;)
		pause();
}

static void test_sigkill(void **state)
{
	int sv[2], fence, status, fd, i;
	long long done0 = npu_sysfs_ll("npu0pe0", "jobs_completed");
	long long failed0 = npu_sysfs_ll("npu0pe0", "jobs_failed");
	long long done1 = npu_sysfs_ll("npu0pe1", "jobs_completed");
	long long failed1 = npu_sysfs_ll("npu0pe1", "jobs_failed");
	char buf[2048];
	__u32 ncmds;
	pid_t pid;

	(void)state;
	fd = npu_open("npu0pe0");
	npu_long_init(fd, &lj);
	close(fd);
	done0 += 4;
	ncmds = npu_long_cmds(&lj, 1000);

	assert_ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		kill_child(sv[1], ncmds);
	}
	close(sv[1]);
	status = recv_fd(sv[0], &fence);
	if (status) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("child failed at test_kill.c:%d", status);
	}
	assert_true(fence >= 0);
	/* Mid-run: pe0 busy, 16 s of work queued, pe1 held by the in-fence. */
	if (!npu_file_poll(ENGINES, "pe0: busy=1", buf, sizeof(buf)))
		fail_msg("pe0 never got busy:\n%s", buf);
	assert_int_equal(npu_fence_signalled(fence, 0), 0);
	assert_true(npu_mem_used(0) > 0);
	assert_open_errno("npu0pe0", EBUSY);
	assert_open_errno("npu0pe1", EBUSY);

	assert_ok(kill(pid, SIGKILL));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_mem_drains();
	/* The fence outlived its file and signalled the cancellation. */
	assert_int_equal(npu_fence_signalled(fence, 10000), 1);
	assert_int_equal(npu_fence_status(fence), -ECANCELED);
	close(fence);
	close(sv[0]);

	/* Every job retired: 1 fill + 16 long jobs on pe0, one on pe1. */
	for (i = 0; i < 2000; i++) {
		if (npu_sysfs_ll("npu0pe0", "jobs_completed") - done0 +
		    npu_sysfs_ll("npu0pe0", "jobs_failed") - failed0 ==
		    KILL_JOBS + 1)
			break;
		npu_sleep_ms(5);
	}
	assert_int_equal(npu_sysfs_ll("npu0pe0", "jobs_completed") - done0 +
			 npu_sysfs_ll("npu0pe0", "jobs_failed") - failed0,
			 KILL_JOBS + 1);
	assert_true(npu_sysfs_ll("npu0pe0", "jobs_failed") - failed0 >= 1);
	assert_int_equal(npu_sysfs_ll("npu0pe1", "jobs_completed") - done1 +
			 npu_sysfs_ll("npu0pe1", "jobs_failed") - failed1, 1);
	assert_sysfs("npu0pe0", "state", "free");
	assert_sysfs("npu0pe0", "owner_pid", "0");

	/* Both PEs open and work again. */
	for (i = 0; i < 2; i++) {
		fd = npu_open(i ? "npu0pe1" : "npu0pe0");
		npu_long_init(fd, &lj);
		npu_wait_ok(fd, npu_long_submit(fd, &lj, 50, NULL));
		npu_long_check(fd, &lj);
		close(fd);
	}
	assert_mem_drains();
}

/* close() with jobs queued cancels them and returns with memory back. */
static void test_close_queued(void **state)
{
	int fd, fd1, fences[8], fb, i;
	struct rm_npu_cmd c = npu_cmd_fill(0, 0, 16, 1, 1);
	struct rm_npu_submit s;
	__u64 a;
	__u32 h;

	(void)state;
	fd = npu_open("npu0pe0");
	npu_long_init(fd, &lj);
	for (i = 0; i < 8; i++)
		npu_long_submit(fd, &lj, 1000, &fences[i]);
	assert_int_equal(npu_fence_signalled(fences[7], 0), 0);
	assert_ok(close(fd));
	/* Everything retired and given back by the time close() returned. */
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(npu_fence_signalled(fences[i], 0), 1);
		close(fences[i]);
	}
	assert_sysfs("npu0pe0", "state", "free");

	/* A job waiting on another file's fence is cancelled at close. */
	fd = npu_open("npu0pe0");
	npu_long_init(fd, &lj);
	fd1 = npu_open("npu0pe1");
	h = npu_bo_create(fd1, 4096, NULL);
	a = npu_long_submit(fd, &lj, 3000, &fences[0]);
	npt_submit_args(&s, &c, 1, &h, 1,
			RM_NPU_SUBMIT_IN_FENCE | RM_NPU_SUBMIT_OUT_FENCE,
			fences[0]);
	assert_rc(npt_submit(fd1, &s), 0);
	fb = s.out_fence_fd;
	assert_ok(close(fd1));
	/* close() did not wait for pe0's job. */
	assert_true(npu_job_pending(fd, a));
	assert_int_equal(npu_fence_signalled(fb, 0), 1);
	assert_int_equal(npu_fence_status(fb), -ECANCELED);
	close(fb);
	npu_wait_ok(fd, a);
	npu_long_check(fd, &lj);
	close(fences[0]);
	close(fd);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
}

/* Closing a fused node stops a command split across both PEs. */
static void test_close_fused(void **state)
{
	char buf[2048];
	int fd, fence;

	(void)state;
	fd = npu_open("npu0pe0-1");
	npu_long_init(fd, &lj);
	npu_long_submit(fd, &lj, 5000, &fence);
	npu_long_submit(fd, &lj, 5000, NULL);
	/* Both halves at work. */
	if (!npu_file_poll(ENGINES, "pe1: busy=0 running_job=0 queued=0 partner_work=1",
			   buf, sizeof(buf)))
		fail_msg("pe1 never got partner work:\n%s", buf);
	assert_ok(close(fd));
	assert_int_equal(npu_fence_signalled(fence, 0), 1);
	assert_int_equal(npu_fence_status(fence), -ECANCELED);
	close(fence);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
	if (!npu_file_poll(ENGINES, "pe0: busy=0 running_job=0 queued=0 partner_work=0 resets=0\npe1: busy=0 running_job=0 queued=0 partner_work=0 resets=0",
			   buf, sizeof(buf)))
		fail_msg("engines not idle:\n%s", buf);
	fd = npu_open("npu0pe1");
	npu_long_init(fd, &lj);
	npu_long_check(fd, &lj);
	close(fd);
}

#define CONC_CHILDREN	4

/* Child of test_concurrent: jobs on pe@i with A = i + 1; exit 0 if right. */
static void __attribute__((noreturn)) conc_child(int i, __u32 ncmds)
{
	char path[32];
	int fd, fence, j, k;
	__u32 h[3];
	__u64 last;
	struct rm_npu_wait w;
	struct rm_npu_bo_mmap m = { 0 };
	int32_t *o;

	snprintf(path, sizeof(path), "/dev/npu0pe%d", i);
	fd = open(path, O_RDWR);
	if (fd < 0)
		_exit(100);
	for (j = 0; j < 3; j++) {
		int r = child_long_jobs(fd, h, i + 1, ncmds, 1, &fence, &last);

		if (r)
			_exit(r % 100 + 1);
		if (npt_wait(fd, last, -1, &w) || w.result)
			_exit(101);
		m.handle = h[2];
		if (ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m))
			_exit(102);
		o = mmap(NULL, GEMM_OUT_SIZE, PROT_READ, MAP_SHARED, fd,
			 (off_t)m.offset);
		if (o == MAP_FAILED)
			_exit(103);
		for (k = 0; k < GEMM_DIM * GEMM_DIM; k++)
			if (o[k] != 2 * GEMM_DIM * (i + 1))
				_exit(104);
		munmap(o, GEMM_OUT_SIZE);
		close(fence);
		for (k = 0; k < 3; k++) {
			struct rm_npu_bo_close cl = { .handle = h[k] };

			if (ioctl(fd, RM_NPU_IOCTL_BO_CLOSE, &cl))
				_exit(105);
		}
	}
	_exit(0);
}

static void test_concurrent(void **state)
{
	long long done[CONC_CHILDREN];
	pid_t pids[CONC_CHILDREN];
	char pe[16];
	__u32 ncmds;
	int i, fd, status;

	(void)state;
	assert_int_equal(npu_param("num_pes"), CONC_CHILDREN);
	fd = npu_open("npu0pe0");
	npu_long_init(fd, &lj);
	close(fd);
	ncmds = npu_long_cmds(&lj, 300);
	for (i = 0; i < CONC_CHILDREN; i++) {
		snprintf(pe, sizeof(pe), "npu0pe%d", i);
		done[i] = npu_sysfs_ll(pe, "jobs_completed");
	}
	for (i = 0; i < CONC_CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (!pids[i])
			conc_child(i, ncmds);
	}
	for (i = 0; i < CONC_CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg("child on pe%d: status %#x", i, status);
	}
	for (i = 0; i < CONC_CHILDREN; i++) {
		snprintf(pe, sizeof(pe), "npu0pe%d", i);
		/* Per round: the fill job and the long job. */
		assert_int_equal(npu_sysfs_ll(pe, "jobs_completed") - done[i],
				 6);
		assert_sysfs(pe, "state", "free");
	}
	assert_mem_drains();
}

/*
 * An out-fence outlives its file and pins the module (its ops live there):
 * rmmod is refused until the fence fd is closed. Unloads the module: last.
 */
static void test_fence_pins_module(void **state)
{
	struct rm_npu_cmd c = npu_cmd_nop();
	int fd, fence;

	(void)state;
	fd = npu_open("npu0pe0");
	npu_submit(fd, &c, 1, NULL, 0, &fence);
	close(fd);
	assert_int_equal(npu_fence_signalled(fence, 10000), 1);
	assert_errno(syscall(SYS_delete_module, "rm_npu", O_NONBLOCK),
		     EWOULDBLOCK);
	assert_int_equal(npu_fence_status(fence), 1);
	close(fence);
	assert_ok(syscall(SYS_delete_module, "rm_npu", O_NONBLOCK));
	assert_int_equal(access(NPU_PARAMS_DIR, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sigkill, npu_close_fds),
		cmocka_unit_test_teardown(test_close_queued, npu_close_fds),
		cmocka_unit_test_teardown(test_close_fused, npu_close_fds),
		cmocka_unit_test_teardown(test_concurrent, npu_close_fds),
		/* Last: it unloads rm_npu. */
		cmocka_unit_test_teardown(test_fence_pins_module,
					  npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
