// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_batch: SUBMIT_BATCH through the uAPI: jobs queued in order with
 * consecutive ids and their status, element sizes of ABI 1.0 and of later
 * ABIs, every error path (header, per job with its index, nothing queued,
 * no descriptor leaked), the in-flight caps, the copy back failing, out-
 * and in-fences, RM_NPU_SUBMIT_WAIT inside a batch (and the jobs ahead of
 * a long one retiring before it runs), and cancellation of a batch's jobs
 * when the file closes.
 * Expects job_timeout_ms=60000: long jobs are sized from a calibration.
 */
#include <pthread.h>
#include <sys/resource.h>

#include "job_util.h"


static struct npu_long lj;

static int open_pe0_long(void)
{
	int fd = npu_open("npu0pe0");

	npu_long_init(fd, &lj);
	return fd;
}

/* @n jobs of command @c over @handles (@nbos), @flags each. */
static void batch_fill(struct rm_npu_submit *jobs, __u32 n,
		       const struct rm_npu_cmd *c, const __u32 *handles,
		       __u32 nbos, __u32 flags, int in_fd)
{
	__u32 i;

	for (i = 0; i < n; i++)
		npt_submit_args(&jobs[i], c, 1, handles, nbos, flags, in_fd);
}

/* The next id the file issues (a NOP, waited for). */
static __u64 next_id(int fd)
{
	struct rm_npu_cmd nop = npu_cmd_nop();
	__u64 id = npu_submit(fd, &nop, 1, NULL, 0, NULL);

	npu_wait_ok(fd, id);
	return id;
}

static void test_batch_basic(void **state)
{
	static struct rm_npu_cmd c[64];
	int fd = open_pe0_long();
	__u32 max = npu_limits(fd).max_batch_jobs;
	struct rm_npu_submit *jobs = calloc(max + 1, sizeof(*jobs));
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct rm_npu_submit_batch b;
	__u64 first, id;
	uint32_t *p;
	__u32 h;
	int i;

	(void)state;
	assert_non_null(jobs);
	assert_true(max >= 64);
	h = npu_bo_create(fd, 4096, NULL);

	/* 64 jobs, job i writes i + 1 into word i: all ran, in order. */
	for (i = 0; i < 64; i++) {
		c[i] = npu_cmd_fill(0, 4 * (__u64)i, 1, 4, (__u32)i + 1);
		npt_submit_args(&jobs[i], &c[i], 1, &h, 1, 0, 0);
	}
	first = next_id(fd) + 1;
	npu_batch(fd, jobs, 64);
	assert_int_equal(jobs[0].job_id, first);
	/* Small jobs on an idle PE ran in the call. */
	for (i = 0; i < 64; i++) {
		assert_int_equal(jobs[i].retired, 1);
		assert_int_equal(jobs[i].result, 0);
		assert_int_equal(jobs[i].result_index, RM_NPU_NO_INDEX);
		npu_wait_ok(fd, jobs[i].job_id);
	}
	p = npu_bo_map(fd, h, 0, 4096);
	for (i = 0; i < 64; i++)
		assert_int_equal(p[i], i + 1);

	/* Behind a long job: queued, not retired; they run in order. */
	id = npu_long_submit(fd, &lj, 800, NULL);
	for (i = 0; i < 64; i++)
		c[i].fill.value = (__u32)i + 100;
	for (i = 0; i < 64; i++)
		npt_submit_args(&jobs[i], &c[i], 1, &h, 1, 0, 0);
	npu_batch(fd, jobs, 64);
	assert_int_equal(jobs[0].job_id, id + 1);
	for (i = 0; i < 64; i++) {
		assert_int_equal(jobs[i].retired, 0);
		assert_int_equal(jobs[i].result_index, RM_NPU_NO_INDEX);
	}
	npu_wait_ok(fd, jobs[63].job_id);
	assert_false(npu_job_pending(fd, id));
	for (i = 0; i < 64; i++)
		assert_int_equal(p[i], i + 100);
	munmap(p, 4096);

	/* max_batch_jobs jobs in one call; one more is refused. */
	batch_fill(jobs, max, &nop, NULL, 0, 0, 0);
	npu_batch(fd, jobs, max);
	id = jobs[max - 1].job_id;
	npu_wait_ok(fd, id);
	batch_fill(jobs, max + 1, &nop, NULL, 0, 0, 0);
	assert_rc(npt_batch(fd, jobs, max + 1, sizeof(jobs[0]), &b), EINVAL);
	assert_int_equal(b.error_job, RM_NPU_NO_INDEX);
	assert_int_equal(next_id(fd), id + 1);
	free(jobs);
	close(fd);
}

/* Element sizes: a 1.0 caller's, a later caller's (zero tail or not). */
static void test_batch_sizes(void **state)
{
	static unsigned char buf[8 * 128] __attribute__((aligned(8)));
	int fd = npu_open("npu0pe0");
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct rm_npu_submit_batch b;
	struct rm_npu_submit s, *e;
	__u64 first;
	size_t i, k, esz;
	static const __u32 bad_sizes[] = { 0, 8, RM_NPU_SUBMIT_SIZE_VER0 - 8,
		RM_NPU_SUBMIT_SIZE_VER0 + 4, 4104, 1u << 31 };

	(void)state;
	npt_submit_args(&s, &nop, 1, NULL, 0, 0, 0);

	/* 1.0 elements, 56 bytes apart: each written back in its 56 bytes. */
	esz = RM_NPU_SUBMIT_SIZE_VER0;
	for (k = 0; k < 4; k++)
		memcpy(buf + k * esz, &s, esz);
	memset(buf + 4 * esz, 0xee, 64);
	first = next_id(fd) + 1;
	assert_rc(npt_batch(fd, buf, 4, esz, &b), 0);
	assert_int_equal(b.error_job, RM_NPU_NO_INDEX);
	for (k = 0; k < 4; k++) {
		e = (struct rm_npu_submit *)(buf + k * esz);
		assert_int_equal(e->job_id, first + k);
		assert_int_equal(e->out_fence_fd, -1);
		assert_int_equal(e->error_index, RM_NPU_NO_INDEX);
		assert_int_equal(e->num_cmds, 1);
		assert_int_equal(e->cmd_size, RM_NPU_CMD_SIZE);
	}
	for (i = 4 * esz; i < 4 * esz + 64; i++)
		assert_int_equal(buf[i], 0xee);

	/* A later caller's 128-byte elements with zero tails. */
	esz = 128;
	memset(buf, 0, sizeof(buf));
	for (k = 0; k < 4; k++)
		memcpy(buf + k * esz, &s, sizeof(s));
	assert_rc(npt_batch(fd, buf, 4, esz, &b), 0);
	for (k = 0; k < 4; k++) {
		e = (struct rm_npu_submit *)(buf + k * esz);
		assert_int_equal(e->job_id, first + 4 + k);
		assert_int_equal(e->retired, 1);
		for (i = sizeof(s); i < esz; i++)
			assert_int_equal(buf[k * esz + i], 0);
	}
	/* A nonzero tail in job 2: E2BIG there, nothing queued. */
	buf[2 * esz + sizeof(s) + 3] = 1;
	assert_rc(npt_batch(fd, buf, 4, esz, &b), E2BIG);
	assert_int_equal(b.error_job, 2);
	assert_int_equal(next_id(fd), first + 8);

	/* Element sizes out of the rules. */
	for (k = 0; k < sizeof(bad_sizes) / sizeof(bad_sizes[0]); k++) {
		assert_rc(npt_batch(fd, buf, 1, bad_sizes[k], &b),
			     EINVAL);
		assert_int_equal(b.error_job, RM_NPU_NO_INDEX);
	}
	assert_int_equal(next_id(fd), first + 9);
	close(fd);
}

/* Job @bad of @n NOP jobs set up by @spoil fails the batch with @err. */
static void batch_fails_at(int fd, __u32 n, __u32 bad, int err,
			   void (*spoil)(struct rm_npu_submit *s),
			   __u32 error_index)
{
	static struct rm_npu_submit jobs[8];
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct rm_npu_submit_batch b;
	__u64 before = next_id(fd);
	int nfds = npu_count_fds();
	__u32 i;

	batch_fill(jobs, n, &nop, NULL, 0, 0, 0);
	/* Jobs before @bad ask for out-fences: none may leak. */
	for (i = 0; i < bad; i++)
		jobs[i].flags = RM_NPU_SUBMIT_OUT_FENCE;
	for (i = 0; i < n; i++)
		jobs[i].job_id = 0xabc;	/* stays: nothing is written back */
	spoil(&jobs[bad]);
	jobs[bad].error_index = 0x1234;
	assert_rc(npt_batch(fd, jobs, n, sizeof(jobs[0]), &b), err);
	assert_int_equal(b.error_job, bad);
	assert_int_equal(jobs[bad].error_index, error_index);
	for (i = 0; i < n; i++)
		assert_int_equal(jobs[i].job_id, 0xabc);
	assert_int_equal(npu_count_fds(), nfds);
	assert_int_equal(next_id(fd), before + 1);
}

static __u32 spoil_handle;
static struct rm_npu_cmd spoil_cmds[2];

static void spoil_cmd(struct rm_npu_submit *s)
{
	spoil_cmds[0] = npu_cmd_nop();
	/* 4096 + 1 bytes into a page: out of bounds. */
	spoil_cmds[1] = npu_cmd_fill(0, 1, 4096, 1, 0);
	s->cmds = (__u64)(uintptr_t)spoil_cmds;
	s->num_cmds = 2;
	s->bo_handles = (__u64)(uintptr_t)&spoil_handle;
	s->num_bos = 1;
}

static void spoil_handle_unknown(struct rm_npu_submit *s)
{
	static __u32 h = 0xfffff;

	s->bo_handles = (__u64)(uintptr_t)&h;
	s->num_bos = 1;
}

static void spoil_handle_twice(struct rm_npu_submit *s)
{
	static __u32 h[2];

	h[0] = h[1] = spoil_handle;
	s->bo_handles = (__u64)(uintptr_t)h;
	s->num_bos = 2;
}

static void spoil_flags(struct rm_npu_submit *s)
{
	s->flags = 1u << 3;
}

static void spoil_pad(struct rm_npu_submit *s)
{
	s->pad = 1;
}

static void spoil_pad2(struct rm_npu_submit *s)
{
	s->pad2 = 1;
}

static void spoil_cmd_size(struct rm_npu_submit *s)
{
	s->cmd_size = RM_NPU_CMD_SIZE / 2;
}

static void spoil_num_cmds(struct rm_npu_submit *s)
{
	s->num_cmds = 0;
}

static void spoil_in_fence(struct rm_npu_submit *s)
{
	s->flags = RM_NPU_SUBMIT_IN_FENCE;
	s->in_fence_fd = 0;	/* stdin, not a sync_file */
}

static void spoil_in_fence_unasked(struct rm_npu_submit *s)
{
	s->in_fence_fd = 5;
}

static void spoil_cmds_ptr(struct rm_npu_submit *s)
{
	s->cmds = 8;
}

static void test_batch_errors(void **state)
{
	static struct rm_npu_submit jobs[4];
	int fd = npu_open("npu0pe0");
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct rm_npu_submit_batch b;
	__u64 before;
	size_t pg;
	void *ro;

	(void)state;
	spoil_handle = npu_bo_create(fd, 4096, NULL);

	/* The header. */
	before = next_id(fd);
	batch_fill(jobs, 4, &nop, NULL, 0, 0, 0);
	memset(&b, 0, sizeof(b));
	b.jobs = (__u64)(uintptr_t)jobs;
	b.num_jobs = 4;
	b.job_size = sizeof(jobs[0]);
	b.flags = 1;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_SUBMIT_BATCH, &b), EINVAL);
	assert_int_equal(b.error_job, RM_NPU_NO_INDEX);
	assert_rc(npt_batch(fd, jobs, 0, sizeof(jobs[0]), &b), EINVAL);
	assert_rc(npt_batch(fd, NULL, 4, sizeof(jobs[0]), &b), EFAULT);
	assert_int_equal(b.error_job, 0);
	pg = npu_page_size();
	ro = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	assert_ok(mprotect((char *)ro + pg, pg, PROT_NONE));
	assert_rc(npt_batch(fd, (char *)ro + pg, 4, sizeof(jobs[0]),
				   &b), EFAULT);
	assert_int_equal(b.error_job, 0);
	/* This build's elements, the third one unreadable. */
	memcpy((char *)ro + pg - 2 * sizeof(jobs[0]), jobs, 2 * sizeof(jobs[0]));
	assert_rc(npt_batch(fd, (char *)ro + pg - 2 * sizeof(jobs[0]),
				   3, sizeof(jobs[0]), &b), EFAULT);
	assert_int_equal(b.error_job, 2);
	/* 1.0-sized elements, read one by one: the second one faults. */
	memcpy((char *)ro + pg - RM_NPU_SUBMIT_SIZE_VER0, jobs,
	       RM_NPU_SUBMIT_SIZE_VER0);
	assert_rc(npt_batch(fd, (char *)ro + pg - RM_NPU_SUBMIT_SIZE_VER0,
				   2, RM_NPU_SUBMIT_SIZE_VER0, &b), EFAULT);
	assert_int_equal(b.error_job, 1);
	munmap(ro, 2 * pg);
	assert_int_equal(next_id(fd), before + 1);
	/* The management node has no SUBMIT_BATCH. */
	{
		int mfd = npu_open("npu0");

		assert_rc(npt_batch(mfd, jobs, 1, sizeof(jobs[0]), &b),
			     ENOTTY);
		close(mfd);
	}

	/* Per job: the call fails at that job, with its index. */
	batch_fails_at(fd, 4, 3, EINVAL, spoil_cmd, 1);
	batch_fails_at(fd, 4, 0, EINVAL, spoil_cmd, 1);
	batch_fails_at(fd, 4, 2, ENOENT, spoil_handle_unknown, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 4, 1, EINVAL, spoil_handle_twice, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 4, 3, EINVAL, spoil_flags, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 2, 1, EINVAL, spoil_pad, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 2, 1, EINVAL, spoil_pad2, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 2, 1, EINVAL, spoil_cmd_size, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 2, 1, EINVAL, spoil_num_cmds, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 3, 2, EINVAL, spoil_in_fence, RM_NPU_NO_INDEX);
	batch_fails_at(fd, 3, 2, EINVAL, spoil_in_fence_unasked,
		       RM_NPU_NO_INDEX);
	batch_fails_at(fd, 3, 1, EFAULT, spoil_cmds_ptr, RM_NPU_NO_INDEX);
	close(fd);
}

/* No descriptor left for job 2's out-fence: EMFILE there, none leaked. */
static void test_batch_emfile(void **state)
{
	static struct rm_npu_submit jobs[3];
	int fd = npu_open("npu0pe0");
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct rm_npu_submit_batch b;
	struct rlimit old, lim;
	int fds[64], n = 0, nfds, i;
	__u64 before;

	(void)state;
	before = next_id(fd);
	batch_fill(jobs, 3, &nop, NULL, 0, RM_NPU_SUBMIT_OUT_FENCE, 0);
	assert_ok(getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = 48;
	assert_ok(setrlimit(RLIMIT_NOFILE, &lim));
	while (n < 64 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	assert_int_equal(errno, EMFILE);
	/* Room for two out-fences. */
	close(fds[--n]);
	close(fds[--n]);
	nfds = npu_count_fds();
	assert_rc(npt_batch(fd, jobs, 3, sizeof(jobs[0]), &b), EMFILE);
	assert_int_equal(b.error_job, 2);
	assert_int_equal(npu_count_fds(), nfds);
	/* Two fit. */
	npu_batch(fd, jobs, 2);
	assert_int_equal(jobs[0].job_id, before + 1);
	close(jobs[0].out_fence_fd);
	close(jobs[1].out_fence_fd);
	for (i = 0; i < n; i++)
		close(fds[i]);
	assert_ok(setrlimit(RLIMIT_NOFILE, &old));
	assert_int_equal(next_id(fd), before + 3);
	close(fd);
}

/*
 * The in-flight caps hold for a batch as a whole: jobs wait on an
 * in-fence of pe1's long job; a batch past max_inflight_jobs is refused
 * entire (EAGAIN, no job at fault), one that fits goes in.
 */
static void test_batch_eagain(void **state)
{
	int fd = npu_open("npu0pe0");
	int fd1 = npu_open("npu0pe1");
	struct npt_limits lim = npu_limits(fd);
	__u32 max = lim.max_batch_jobs, left = lim.max_inflight_jobs, n;
	struct rm_npu_submit *jobs = calloc(max, sizeof(*jobs));
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct rm_npu_submit_batch b;
	__u64 first = 0, last = 0;
	int f1;

	(void)state;
	assert_non_null(jobs);
	assert_true(max >= 4 && left > max);
	npu_long_init(fd1, &lj);
	npu_long_submit(fd1, &lj, 3000, &f1);
	/* Whole batches while more than one is left (1024, 256: 768). */
	while (left > max) {
		batch_fill(jobs, max, &nop, NULL, 0, RM_NPU_SUBMIT_IN_FENCE,
			   f1);
		npu_batch(fd, jobs, max);
		if (!first)
			first = jobs[0].job_id;
		assert_int_equal(jobs[0].retired, 0);
		last = jobs[max - 1].job_id;
		left -= max;
	}
	/* Half of what is left goes in; then one more than the rest does not. */
	n = left / 2;
	if (n) {
		batch_fill(jobs, n, &nop, NULL, 0, RM_NPU_SUBMIT_IN_FENCE, f1);
		npu_batch(fd, jobs, n);
		last = jobs[n - 1].job_id;
		left -= n;
	}
	batch_fill(jobs, left + 1, &nop, NULL, 0, RM_NPU_SUBMIT_IN_FENCE, f1);
	assert_rc(npt_batch(fd, jobs, left + 1, sizeof(jobs[0]), &b), EAGAIN);
	assert_int_equal(b.error_job, RM_NPU_NO_INDEX);
	assert_int_equal(jobs[0].job_id, 0);
	npu_batch(fd, jobs, left);
	assert_int_equal(jobs[0].job_id, last + 1);
	last = jobs[left - 1].job_id;
	assert_int_equal(last - first + 1, lim.max_inflight_jobs);
	assert_rc(npt_batch(fd, jobs, 1, sizeof(jobs[0]), &b), EAGAIN);
	assert_true(npu_job_pending(fd, first));
	npu_wait_ok(fd, last);
	assert_int_equal(npu_fence_signalled(f1, 0), 1);
	assert_int_equal(next_id(fd), last + 1);
	close(f1);
	close(fd1);
	free(jobs);
	close(fd);
}

/*
 * The job array readable but not writable: the jobs are queued, the copy
 * back fails (EFAULT), no out-fence descriptor is installed.
 */
static void test_batch_efault_writeback(void **state)
{
	int fd = npu_open("npu0pe0");
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct rm_npu_submit_batch b;
	struct rm_npu_submit *jobs;
	size_t pg = npu_page_size();
	__u64 before;
	int nfds, i;

	(void)state;
	jobs = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(jobs != MAP_FAILED);
	batch_fill(jobs, 4, &nop, NULL, 0, RM_NPU_SUBMIT_OUT_FENCE, 0);
	assert_ok(mprotect(jobs, pg, PROT_READ));
	before = next_id(fd);
	nfds = npu_count_fds();
	assert_rc(npt_batch(fd, jobs, 4, sizeof(jobs[0]), &b), EFAULT);
	assert_int_equal(npu_count_fds(), nfds);
	/* Queued all the same: ids before + 1 .. before + 4. */
	for (i = 1; i <= 4; i++)
		npu_wait_ok(fd, before + i);
	assert_int_equal(next_id(fd), before + 5);
	munmap(jobs, pg);
	close(fd);
}

static void test_batch_fences(void **state)
{
	static struct rm_npu_submit jobs[8];
	int fd = open_pe0_long();
	int fd1 = npu_open("npu0pe1");
	struct rm_npu_cmd nop = npu_cmd_nop();
	struct npu_long lj1;
	int f1, i, j, done, rounds = 0;
	__u64 id;

	(void)state;
	/* Out-fences behind a long job: signalled in order, each once. */
	id = npu_long_submit(fd, &lj, 800, NULL);
	batch_fill(jobs, 8, &nop, NULL, 0, RM_NPU_SUBMIT_OUT_FENCE, 0);
	npu_batch(fd, jobs, 8);
	for (i = 0; i < 8; i++) {
		assert_true(jobs[i].out_fence_fd > 2);
		assert_int_equal(fcntl(jobs[i].out_fence_fd, F_GETFD),
				 FD_CLOEXEC);
		for (j = 0; j < i; j++)
			assert_true(jobs[i].out_fence_fd !=
				    jobs[j].out_fence_fd);
		assert_int_equal(jobs[i].retired, 0);
	}
	do {
		int seen[8];

		for (i = 7; i >= 0; i--)
			seen[i] = npu_fence_signalled(jobs[i].out_fence_fd, 0);
		for (i = 1; i < 8; i++)
			if (seen[i] && !seen[i - 1])
				fail_msg("job %d signalled before job %d",
					 i, i - 1);
		done = seen[7];
		if (!done)
			npu_sleep_ms(5);
	} while (!done && ++rounds < 20000);
	assert_true(done);
	assert_false(npu_job_pending(fd, id));
	for (i = 0; i < 8; i++) {
		assert_int_equal(npu_fence_status(jobs[i].out_fence_fd), 1);
		close(jobs[i].out_fence_fd);
	}

	/* An in-fence on the first job holds the ones behind it too. */
	npu_long_init(fd1, &lj1);
	npu_long_submit(fd1, &lj1, 800, &f1);
	batch_fill(jobs, 4, &nop, NULL, 0, 0, 0);
	jobs[0].flags = RM_NPU_SUBMIT_IN_FENCE;
	jobs[0].in_fence_fd = f1;
	npu_batch(fd, jobs, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(jobs[i].retired, 0);
	npu_wait_ok(fd, jobs[3].job_id);
	assert_int_equal(npu_fence_signalled(f1, 0), 1);
	close(f1);
	close(fd1);
	close(fd);
}

/* RM_NPU_SUBMIT_WAIT inside a batch: the call waits up to that job. */
static void test_batch_wait_flag(void **state)
{
	static struct rm_npu_submit jobs[3];
	int fd = open_pe0_long();
	struct rm_npu_cmd nop = npu_cmd_nop(), *cmds;
	__u32 n = npu_long_cmds(&lj, 500);

	(void)state;
	cmds = npu_long_build(n);
	/* [long, NOP with WAIT]: both retired when the call returns. */
	npt_submit_args(&jobs[0], cmds, n, lj.handles, 3, 0, 0);
	npt_submit_args(&jobs[1], &nop, 1, NULL, 0, RM_NPU_SUBMIT_WAIT, 0);
	npu_batch(fd, jobs, 2);
	assert_int_equal(jobs[0].retired, 1);
	assert_int_equal(jobs[1].retired, 1);
	assert_int_equal(jobs[0].result, 0);
	assert_true(jobs[0].duration_ns > 0);
	npu_long_check(fd, &lj);

	/* [NOP with WAIT, long, NOP]: the long job goes on past the call. */
	npt_submit_args(&jobs[0], &nop, 1, NULL, 0, RM_NPU_SUBMIT_WAIT, 0);
	npt_submit_args(&jobs[1], cmds, n, lj.handles, 3, 0, 0);
	npt_submit_args(&jobs[2], &nop, 1, NULL, 0, 0, 0);
	npu_batch(fd, jobs, 3);
	assert_int_equal(jobs[0].retired, 1);
	assert_int_equal(jobs[1].retired, 0);
	assert_int_equal(jobs[2].retired, 0);
	npu_wait_ok(fd, jobs[2].job_id);
	npu_wait_ok(fd, jobs[1].job_id);
	free(cmds);
	close(fd);
}

struct early_waiter {
	int fd;
	__u64 id;
	int ret;
	char engines[4096];	/* the engines file when the WAIT returned */
};

/*
 * WAITs for job ->id (retrying while it is not issued yet), then reads
 * what the engines run. Plain calls: no cmocka in a thread.
 */
static void *early_waiter_main(void *arg)
{
	struct early_waiter *e = arg;
	struct rm_npu_wait w;

	while ((e->ret = npt_wait(e->fd, e->id, -1, &w)) == -ENOENT)
		npu_sleep_ms(1);
	npu_read_file(NPU_DEBUGFS "/rm_npu/npu0/engines", e->engines,
		      sizeof(e->engines));
	return NULL;
}

/*
 * A small job ahead of a long one in a batch that waits for the long one
 * (both run by the caller): the small one retires before the long one
 * runs, not after it: another thread's WAIT for it returns while the
 * engine still runs the long job.
 */
static void test_batch_completion_order(void **state)
{
	static struct early_waiter e;
	static struct rm_npu_submit jobs[2];
	int fd = open_pe0_long();
	struct rm_npu_cmd nop = npu_cmd_nop(), *cmds;
	__u32 n = npu_long_cmds(&lj, 2000);
	char want[64];
	pthread_t t;

	(void)state;
	npu_debugfs_mount();
	cmds = npu_long_build(n);
	e.fd = fd;
	e.id = next_id(fd) + 1;
	npt_submit_args(&jobs[0], &nop, 1, NULL, 0, 0, 0);
	npt_submit_args(&jobs[1], cmds, n, lj.handles, 3, RM_NPU_SUBMIT_WAIT,
			0);
	assert_int_equal(pthread_create(&t, NULL, early_waiter_main, &e), 0);
	npu_batch(fd, jobs, 2);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(jobs[0].job_id, e.id);
	assert_int_equal(e.ret, 0);
	snprintf(want, sizeof(want), "pe0: busy=1 running_job=%llu ",
		 (unsigned long long)e.id + 1);
	if (!strstr(e.engines, want))
		fail_msg("job %llu retired, engines:\n%s\nwithout \"%s\"",
			 (unsigned long long)e.id, e.engines, want);
	assert_int_equal(jobs[1].retired, 1);
	npu_long_check(fd, &lj);
	free(cmds);
	close(fd);
}

/* Closing the file cancels a batch's waiting jobs: fences say ECANCELED. */
static void test_batch_cancel_on_close(void **state)
{
	static struct rm_npu_submit jobs[8];
	int fd = npu_open("npu0pe0");
	int fd1 = npu_open("npu0pe1");
	struct rm_npu_cmd nop = npu_cmd_nop();
	long long t0;
	int f1, i;

	(void)state;
	npu_long_init(fd1, &lj);
	npu_long_submit(fd1, &lj, 10000, &f1);
	batch_fill(jobs, 8, &nop, NULL, 0,
		   RM_NPU_SUBMIT_IN_FENCE | RM_NPU_SUBMIT_OUT_FENCE, f1);
	npu_batch(fd, jobs, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(npu_fence_signalled(jobs[i].out_fence_fd, 0),
				 0);
	t0 = npu_now_ns();
	close(fd);
	/* close() returned with every job retired: it did not wait for f1. */
	assert_int_equal(npu_fence_signalled(f1, 0), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(npu_fence_signalled(jobs[i].out_fence_fd, 0),
				 1);
		assert_int_equal(npu_fence_status(jobs[i].out_fence_fd),
				 -ECANCELED);
		close(jobs[i].out_fence_fd);
	}
	print_message("close took %lld ms\n", (npu_now_ns() - t0) / NS_PER_MS);
	close(f1);
	close(fd1);	/* cancels the long job */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_batch_basic, npu_close_fds),
		cmocka_unit_test_teardown(test_batch_sizes, npu_close_fds),
		cmocka_unit_test_teardown(test_batch_errors, npu_close_fds),
		cmocka_unit_test_teardown(test_batch_emfile, npu_close_fds),
		cmocka_unit_test_teardown(test_batch_eagain, npu_close_fds),
		cmocka_unit_test_teardown(test_batch_efault_writeback,
					  npu_close_fds),
		cmocka_unit_test_teardown(test_batch_fences, npu_close_fds),
		cmocka_unit_test_teardown(test_batch_wait_flag, npu_close_fds),
		cmocka_unit_test_teardown(test_batch_completion_order,
					  npu_close_fds),
		cmocka_unit_test_teardown(test_batch_cancel_on_close,
					  npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
