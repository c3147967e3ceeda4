/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Job helpers shared by the rm_npu job-path VM tests (test_jobs.c,
 * test_watchdog.c, test_kill.c, test_fuzz.c): building commands, SUBMIT
 * and WAIT wrappers, and "long" jobs sized from a measured calibration so
 * that they last seconds under TCG as well as on fast hosts.
 *
 * As in test_util.h, the npu_* helpers that fail the test must not run in a
 * forked child; the npt_* calls of tests/lib (npt_job.h: SUBMIT, WAIT,
 * SUBMIT_BATCH returning 0 or -errno) are plain syscalls and may.
 */
#ifndef RM_NPU_VM_JOB_UTIL_H
#define RM_NPU_VM_JOB_UTIL_H

#include <poll.h>
#include <sys/mount.h>
#include <time.h>
#include <linux/sync_file.h>

#include "test_util.h"
#include "npt_dev.h"
#include "npt_job.h"

/* The limits @fd's node reports (GET_INFO), or the test fails. */
static inline struct npt_limits npu_limits(int fd)
{
	struct npt_limits l;
	int ret = npt_limits_get(fd, &l);

	if (ret)
		fail_msg("GET_INFO limits: %s", strerror(-ret));
	return l;
}

/* SUBMIT as a binary built against ABI 1.0 calls it (its struct size). */
#define NPU_IOCTL_SUBMIT_VER0	_IOC(_IOC_READ | _IOC_WRITE, RM_NPU_IOCTL_BASE, \
				     _IOC_NR(RM_NPU_IOCTL_SUBMIT), \
				     RM_NPU_SUBMIT_SIZE_VER0)


#define NS_PER_MS	1000000LL
#define NS_PER_S	1000000000LL

static inline long long npu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static inline void npu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline struct rm_npu_cmd npu_cmd_nop(void)
{
	struct rm_npu_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_NOP;
	return c;
}

static inline struct rm_npu_cmd npu_cmd_fill(__u32 bo, __u64 off, __u64 count,
					     __u32 elem_size, __u32 value)
{
	struct rm_npu_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_FILL;
	c.fill.dst.bo = bo;
	c.fill.dst.offset = off;
	c.fill.count = count;
	c.fill.elem_size = elem_size;
	c.fill.value = value;
	return c;
}

/* 1-D copy of @len bytes. */
static inline struct rm_npu_cmd npu_cmd_copy(__u32 src, __u64 soff, __u32 dst,
					     __u64 doff, __u32 len)
{
	struct rm_npu_cmd c;
	int i;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = src;
	c.copy.src.offset = soff;
	c.copy.dst.bo = dst;
	c.copy.dst.offset = doff;
	for (i = 0; i < RM_NPU_COPY_DIMS; i++) {
		c.copy.dims[i] = 1;
		c.copy.src_stride[i] = len;
		c.copy.dst_stride[i] = len;
	}
	c.copy.dims[3] = len;
	c.copy.src_stride[3] = 1;
	c.copy.dst_stride[3] = 1;
	c.copy.elem_size = 1;
	return c;
}

/*
 * out (int32, m x n) = A (int8, m x k, buffer @a at 0) x B (int8, k x n,
 * buffer @b at 0); dense.
 */
static inline struct rm_npu_cmd npu_cmd_gemm32(__u32 a, __u32 b, __u32 out,
					       __u32 m, __u32 n, __u32 k)
{
	struct rm_npu_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_GEMM;
	c.gemm.a.bo = a;
	c.gemm.b.bo = b;
	c.gemm.out.bo = out;
	c.gemm.m = m;
	c.gemm.n = n;
	c.gemm.k = k;
	c.gemm.lda = k;
	c.gemm.ldb = n;
	c.gemm.ldo = n;
	c.gemm.a_dtype = RM_NPU_DT_INT8;
	c.gemm.out_dtype = RM_NPU_DT_INT32;
	return c;
}

/*
 * Submits a job or fails the test; returns its id. With @out_fd, asks for an
 * out-fence and stores its fd there.
 */
static inline __u64 npu_submit(int fd, const struct rm_npu_cmd *cmds,
			       __u32 ncmds, const __u32 *handles, __u32 nbos,
			       int *out_fd)
{
	struct rm_npu_submit s;

	int ret;

	npt_submit_args(&s, cmds, ncmds, handles, nbos,
			out_fd ? RM_NPU_SUBMIT_OUT_FENCE : 0, 0);
	ret = npt_submit(fd, &s);
	if (ret)
		fail_msg("SUBMIT of %u cmds: %s (error_index %u)", ncmds,
			 strerror(-ret), s.error_index);
	if (!s.job_id)
		fail_msg("SUBMIT returned job id 0");
	if (s.error_index != RM_NPU_NO_INDEX)
		fail_msg("SUBMIT succeeded with error_index %u", s.error_index);
	if (out_fd) {
		if (s.out_fence_fd < 0)
			fail_msg("SUBMIT with OUT_FENCE returned fd %d",
				 s.out_fence_fd);
		*out_fd = s.out_fence_fd;
	} else if (s.out_fence_fd != -1) {
		fail_msg("SUBMIT without OUT_FENCE returned fd %d",
			 s.out_fence_fd);
	}
	return s.job_id;
}

/* SUBMIT_BATCH of @n jobs or fails the test; checks the out fields. */
static inline void npu_batch(int fd, struct rm_npu_submit *jobs, __u32 n)
{
	struct rm_npu_submit_batch b;
	int ret = npt_batch(fd, jobs, n, sizeof(*jobs), &b);
	__u32 i;

	if (ret)
		fail_msg("SUBMIT_BATCH of %u jobs: %s (job %u, error_index %u)",
			 n, strerror(-ret), b.error_job,
			 b.error_job < n ? jobs[b.error_job].error_index : 0);
	if (b.error_job != RM_NPU_NO_INDEX)
		fail_msg("SUBMIT_BATCH succeeded with error_job %u", b.error_job);
	for (i = 0; i < n; i++) {
		if (!jobs[i].job_id || (i && jobs[i].job_id != jobs[i - 1].job_id + 1))
			fail_msg("SUBMIT_BATCH job %u: id %llu after %llu", i,
				 (unsigned long long)jobs[i].job_id,
				 (unsigned long long)(i ? jobs[i - 1].job_id : 0));
		if (jobs[i].error_index != RM_NPU_NO_INDEX || jobs[i].pad2)
			fail_msg("SUBMIT_BATCH job %u: error_index %u pad2 %u",
				 i, jobs[i].error_index, jobs[i].pad2);
		if (!(jobs[i].flags & RM_NPU_SUBMIT_OUT_FENCE) &&
		    jobs[i].out_fence_fd != -1)
			fail_msg("SUBMIT_BATCH job %u: fd %d without OUT_FENCE",
				 i, jobs[i].out_fence_fd);
	}
}

/*
 * A job of four commands whose third (a GEMM with per-channel pairs of
 * multiplier -1) passes validation and fails when it runs: -EINVAL at
 * index 2. Needs four 4096-byte buffers; the fourth is written by the
 * last command only.
 */
static inline void npu_cmds_failing(struct rm_npu_cmd c[4])
{
	c[0] = npu_cmd_fill(0, 0, 128, 1, 1);
	c[1] = npu_cmd_fill(1, 0, 16, 4, 0xffffffff);	/* mult -1 */
	memset(&c[2], 0, sizeof(c[2]));
	c[2].opcode = RM_NPU_OP_GEMM;
	c[2].flags = RM_NPU_MM_PER_CHANNEL;
	c[2].gemm.a.bo = 0;
	c[2].gemm.b.bo = 0;
	c[2].gemm.b.offset = 64;
	c[2].gemm.quant.bo = 1;
	c[2].gemm.out.bo = 2;
	c[2].gemm.m = 8;
	c[2].gemm.n = 8;
	c[2].gemm.k = 8;
	c[2].gemm.lda = 8;
	c[2].gemm.ldb = 8;
	c[2].gemm.ldo = 8;
	c[2].gemm.a_dtype = RM_NPU_DT_INT8;
	c[2].gemm.out_dtype = RM_NPU_DT_INT8;
	c[2].gemm.rq.act_min = -128;
	c[2].gemm.rq.act_max = 127;
	c[3] = npu_cmd_fill(3, 0, 16, 1, 7);
}

/* Open descriptors of this process. */
static inline int npu_count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, F_OK))
			n++;
	}
	return n;
}

/* Status of a sync_file: 1 signalled, 0 active, < 0 its error. */
static inline int npu_fence_status(int fence_fd)
{
	struct sync_file_info info;

	memset(&info, 0, sizeof(info));
	assert_ok(ioctl(fence_fd, SYNC_IOC_FILE_INFO, &info));
	assert_int_equal(info.num_fences, 1);
	return info.status;
}

/* Waits (forever) for job @id; returns its result, error index in *@idx. */
static inline int npu_wait_result(int fd, __u64 id, __u32 *idx,
				  __u64 *duration_ns)
{
	struct rm_npu_wait w;
	int ret = npt_wait(fd, id, -1, &w);

	if (ret)
		fail_msg("WAIT job %llu: %s", (unsigned long long)id,
			 strerror(-ret));
	if (w.pad)
		fail_msg("WAIT returned pad %u", w.pad);
	if (idx)
		*idx = w.error_index;
	if (duration_ns)
		*duration_ns = w.duration_ns;
	return w.result;
}

/* Waits for job @id and asserts it succeeded. */
static inline void npu_wait_ok(int fd, __u64 id)
{
	__u32 idx;
	int r = npu_wait_result(fd, id, &idx, NULL);

	if (r || idx != RM_NPU_NO_INDEX)
		fail_msg("job %llu: result %d (%s), error_index %u",
			 (unsigned long long)id, r, strerror(-r), idx);
}

/* True while job @id has not retired (WAIT with timeout 0). */
static inline int npu_job_pending(int fd, __u64 id)
{
	struct rm_npu_wait w;
	int ret = npt_wait(fd, id, 0, &w);

	if (!ret)
		return 0;
	if (ret != -ETIMEDOUT)
		fail_msg("WAIT(0) job %llu: %s", (unsigned long long)id,
			 strerror(-ret));
	return 1;
}

/* poll(2) of a sync_file: 1 readable (signalled), 0 not yet. */
static inline int npu_fence_signalled(int fence_fd, int timeout_ms)
{
	struct pollfd p = { .fd = fence_fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);

	if (r < 0)
		fail_msg("poll fence %d: %s", fence_fd, strerror(errno));
	if (r && p.revents != POLLIN)
		fail_msg("poll fence %d: revents %#x", fence_fd, p.revents);
	return r;
}

#define NPU_DEBUGFS	"/sys/kernel/debug"

/* Mounts debugfs unless it is (tools/npu-vm mounts it); fails the test. */
static inline void npu_debugfs_mount(void)
{
	if (!access(NPU_DEBUGFS "/rm_npu", F_OK))
		return;
	if (mount("debugfs", NPU_DEBUGFS, "debugfs", 0, NULL) &&
	    errno != EBUSY)
		fail_msg("mount debugfs: %s", strerror(errno));
	if (access(NPU_DEBUGFS "/rm_npu", F_OK))
		fail_msg(NPU_DEBUGFS "/rm_npu: %s", strerror(errno));
}

/*
 * Polls text file @path (up to 10 s) until it contains @want; returns 1
 * then, else 0 with the last contents in @buf. For state that settles a
 * moment after WAIT returns (an engine drops "busy" after the fence).
 */
static inline int npu_file_poll(const char *path, const char *want,
				char *buf, size_t len)
{
	int i, ret;

	if (!strncmp(path, NPU_DEBUGFS "/", sizeof(NPU_DEBUGFS)))
		npu_debugfs_mount();
	for (i = 0; i < 2000; i++) {
		ret = npu_read_file(path, buf, len);
		if (ret)
			fail_msg("read %s: %s", path, strerror(-ret));
		if (strstr(buf, want))
			return 1;
		npu_sleep_ms(5);
	}
	return 0;
}

/*
 * Long jobs: GEMM_DIM^3 int8 GEMMs into int32, repeated. The buffers: A and
 * B filled with small values by FILL, the output int32.
 */
#define GEMM_DIM	128
#define GEMM_AB_SIZE	(GEMM_DIM * GEMM_DIM)
#define GEMM_OUT_SIZE	(GEMM_DIM * GEMM_DIM * 4)

struct npu_long {
	__u32 handles[3];	/* A, B, out */
	__u64 cmd_ns;		/* measured duration of one GEMM */
	__u32 max_cmds;		/* GET_INFO max_cmds */
};

/*
 * Creates the long-job buffers on @fd (A = 1, B = 2, so out = 2 * DIM) and
 * measures one GEMM command.
 */
static inline void npu_long_init(int fd, struct npu_long *l)
{
	struct rm_npu_cmd c[3];
	__u64 id, dur;
	int i;

	l->max_cmds = npu_limits(fd).max_cmds;
	l->handles[0] = npu_bo_create(fd, GEMM_AB_SIZE, NULL);
	l->handles[1] = npu_bo_create(fd, GEMM_AB_SIZE, NULL);
	l->handles[2] = npu_bo_create(fd, GEMM_OUT_SIZE, NULL);
	c[0] = npu_cmd_fill(0, 0, GEMM_AB_SIZE, 1, 1);
	c[1] = npu_cmd_fill(1, 0, GEMM_AB_SIZE, 1, 2);
	id = npu_submit(fd, c, 2, l->handles, 3, NULL);
	npu_wait_ok(fd, id);
	/* Best of three: a slow first run must not oversize the jobs. */
	l->cmd_ns = ~0ULL;
	for (i = 0; i < 3; i++) {
		c[0] = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM, GEMM_DIM);
		id = npu_submit(fd, c, 1, l->handles, 3, NULL);
		assert_int_equal(npu_wait_result(fd, id, NULL, &dur), 0);
		if (dur && dur < l->cmd_ns)
			l->cmd_ns = dur;
	}
	if (l->cmd_ns == ~0ULL || !l->cmd_ns)
		fail_msg("calibration GEMM reported no duration");
}

/* Commands for a job of about @ms milliseconds (at least 1, at most max). */
static inline __u32 npu_long_cmds(const struct npu_long *l, long long ms)
{
	long long n = ms * NS_PER_MS / (long long)l->cmd_ns + 1;

	return n > l->max_cmds ? l->max_cmds : (__u32)n;
}

/* Builds (calloc) a job of @n GEMMs over the long-job buffers. */
static inline struct rm_npu_cmd *npu_long_build(__u32 n)
{
	struct rm_npu_cmd *c = calloc(n, sizeof(*c));
	__u32 i;

	if (!c)
		fail_msg("calloc %u cmds", n);
	for (i = 0; i < n; i++)
		c[i] = npu_cmd_gemm32(0, 1, 2, GEMM_DIM, GEMM_DIM, GEMM_DIM);
	return c;
}

/* Submits a job of about @ms ms; returns its id, out-fence in *@out_fd. */
static inline __u64 npu_long_submit(int fd, const struct npu_long *l,
				    long long ms, int *out_fd)
{
	__u32 n = npu_long_cmds(l, ms);
	struct rm_npu_cmd *c = npu_long_build(n);
	__u64 id = npu_submit(fd, c, n, l->handles, 3, out_fd);

	free(c);
	return id;
}

/* Asserts the long-job output holds 2 * GEMM_DIM everywhere. */
static inline void npu_long_check(int fd, const struct npu_long *l)
{
	int32_t *o = npu_bo_map(fd, l->handles[2], 0, GEMM_OUT_SIZE);
	int i;

	for (i = 0; i < GEMM_DIM * GEMM_DIM; i++)
		if (o[i] != 2 * GEMM_DIM)
			fail_msg("gemm out[%d] = %d, expected %d", i, o[i],
				 2 * GEMM_DIM);
	munmap(o, GEMM_OUT_SIZE);
}

#endif /* RM_NPU_VM_JOB_UTIL_H */
