// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu-bench: rm_npu micro-benchmarks, run inside the VM by `make bench`
 * (tests/bench/run-bench). Prints one figure per line, "name value unit",
 * and notes starting with "# ". Benchmarks print figures; they never judge
 * them: the exit status is 0 unless a node, an ioctl or a result check
 * (kernel and userspace GEMM outputs must be bit-identical) fails.
 *
 *   npu-bench [-d DEV] [-r REPS] [-q]
 *
 * -d DEV   device index (default 0): uses /dev/npuDEVpe0 and /dev/npuDEVpe0-1
 * -r REPS  repetitions of each measurement (default 9; medians are reported)
 * -q       quick: fewer iterations per repetition
 *
 * Figures (medians after a warm-up repetition; the variants of each group
 * run interleaved: for the latency and small-job figures in slices of
 * SLICE_CALLS calls, the median taken over every slice of REPS repetitions;
 * for GEMM one of each per round, the median over REPS rounds):
 *   getinfo_latency          GET_INFO ioctl on an open PE node, us
 *   nop_roundtrip_latency    SUBMIT(1 NOP) + WAIT on the same node, as a
 *                            binary built for ABI 1.0 does it (the 1.0
 *                            struct size, no status in SUBMIT), us
 *   nop_vs_getinfo           the ratio of the two, x
 *   nop_sync_latency         SUBMIT(1 NOP) with RM_NPU_SUBMIT_WAIT (ABI
 *                            1.1): submit and status in one call, us
 *                            (the 1.1 figures are left out, with a note,
 *                            on an ABI 1.0 driver)
 *   nop_sync_vs_getinfo      x
 *   nop_fence_latency        SUBMIT(1 NOP) with an out-fence, poll(2) the
 *                            sync_file, close it: the fence path, us
 *   nop_fence_vs_getinfo     x
 *   getinfo_rate             GET_INFO calls per second (1 / latency,
 *                            measured beside the small-job figures), /s
 *   small_job_throughput     1-command jobs (FILL 64 B) submitted back to
 *                            back, one SUBMIT each (1.0 struct), a WAIT
 *                            for the last of every BATCH_JOBS, jobs/s
 *   small_job_vs_ioctl       small_job_throughput / getinfo_rate, x
 *   small_job_batch_throughput  the same jobs through SUBMIT_BATCH,
 *                            BATCH_JOBS per call, then a WAIT, jobs/s
 *   small_job_batch_vs_ioctl x
 *   gemm512_pe               GEMM 512x512x512 int8 -> int8 (bias, requant),
 *                            one job on /dev/npuXpe0, wall SUBMIT..WAIT, GOPS
 *   gemm512_pe_device        same, from WAIT's duration_ns (PE time), GOPS
 *   gemm512_fused            same on /dev/npuXpe0-1, GOPS
 *   gemm512_fused_device     same, PE time, GOPS
 *   gemm512_user             npu_cmd_exec_ctx() of the same command in this
 *                            process, one thread, the best variant of the
 *                            op kernels (the one the PEs run, ops_isa=auto;
 *                            weights packed per run as on a PE), GOPS
 *   gemm512_user_scalar      same, the portable variant, GOPS
 *   gemm512_user_2t          the best variant over two threads, units split
 *                            in halves as the fused node splits them: how
 *                            much two CPUs of this machine can give, GOPS
 *   gemm512_fused_vs_pe, gemm512_fused_vs_pe_device, gemm512_pe_vs_user,
 *   gemm512_pe_device_vs_user, gemm512_pe_vs_user_scalar,
 *   gemm512_user_2t_vs_1t:   ratios, x
 *   conv3x3_*                the same for a CONV2D 3x3, 28x28x64 -> 64,
 *                            uint8 (bias, requant)
 * The PEs run the variant ops_isa selects (default: the best the CPU has;
 * the VM's default CPU model, max, has AVX2), the same as gemm512_user.
 * GOPS counts two operations per multiply-accumulate (npu_cmd_ops()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rm_npu.h>
#include "npu_ops.h"

/*
 * The engine in this process through a context of one variant: the best
 * one this CPU runs (what the PE engines run with ops_isa=auto), or the
 * portable one. One scratch per thread, allocated once.
 */
static __thread void *tl_scratch;

static int exec_isa(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 b,
		    u64 e, u32 isa)
{
	struct npu_ops_ctx ctx;

	if (!tl_scratch)
		tl_scratch = aligned_alloc(NPU_OPS_SCRATCH_ALIGN,
					   NPU_OPS_SCRATCH_SIZE);
	if (!tl_scratch || npu_ctx_init(&ctx, isa, tl_scratch))
		return -ENOMEM;
	ctx.tag = 1;
	return npu_cmd_exec_ctx(cmd, bo, &ctx, NULL, b, e);
}

static int exec_best(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 b,
		     u64 e)
{
	return exec_isa(cmd, bo, b, e, NPU_ISA_AUTO);
}

static int exec_scalar(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 b,
		       u64 e)
{
	return exec_isa(cmd, bo, b, e, NPU_ISA_SCALAR);
}

#define MAX_REPS		64
#define SMALL_JOBS		512
#define BATCH_JOBS		64
/* SUBMIT as a binary built against ABI 1.0 calls it. */
#define IOCTL_SUBMIT_VER0	_IOC(_IOC_READ | _IOC_WRITE, RM_NPU_IOCTL_BASE, \
				     _IOC_NR(RM_NPU_IOCTL_SUBMIT), \
				     RM_NPU_SUBMIT_SIZE_VER0)
#define GEMM_DIM		512
#define GEMM_BOS		4	/* A, B, bias, out */
#define TIMEOUT_PARAM		"/sys/module/rm_npu/parameters/job_timeout_ms"
#define BENCH_TIMEOUT_MS	600000u

static unsigned int reps = 9;
static unsigned int nop_iters = 256;	/* calls of each variant per rep */
static bool abi11;			/* the driver has ABI 1.1's calls */
static unsigned int dev_index;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "npu-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void figure(const char *name, double value, const char *unit)
{
	printf("%s %.6g %s\n", name, value, unit);
	fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* ---- nodes and buffers ---------------------------------------------- */

static int open_node(const char *suffix)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/npu%u%s", dev_index, suffix);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

static void get_info(int fd, struct rm_npu_info *info)
{
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, RM_NPU_IOCTL_GET_INFO, info))
		die("GET_INFO: %s", strerror(errno));
}

struct bo {
	uint32_t handle;
	size_t size;
	uint8_t *map;
};

static void bo_create(int fd, struct bo *bo, size_t size)
{
	struct rm_npu_bo_create c = { .size = size };
	struct rm_npu_bo_mmap m = { 0 };
	void *p;

	if (ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c))
		die("BO_CREATE %zu: %s", size, strerror(errno));
	m.handle = c.handle;
	if (ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m))
		die("BO_MMAP: %s", strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)m.offset);
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	bo->handle = c.handle;
	bo->size = size;
	bo->map = p;
}

static void bo_destroy(int fd, struct bo *bo)
{
	struct rm_npu_bo_close c = { .handle = bo->handle };

	munmap(bo->map, bo->size);
	if (ioctl(fd, RM_NPU_IOCTL_BO_CLOSE, &c))
		die("BO_CLOSE: %s", strerror(errno));
}

static void submit_args(struct rm_npu_submit *s, const struct rm_npu_cmd *cmds,
			uint32_t ncmds, const uint32_t *handles, uint32_t nbos,
			uint32_t flags)
{
	memset(s, 0, sizeof(*s));
	s->cmds = (uintptr_t)cmds;
	s->bo_handles = (uintptr_t)handles;
	s->num_cmds = ncmds;
	s->num_bos = nbos;
	s->flags = flags;
	s->cmd_size = sizeof(struct rm_npu_cmd);
}

/* SUBMIT one job; returns its id. */
static uint64_t submit(int fd, const struct rm_npu_cmd *cmds, uint32_t ncmds,
		       const uint32_t *handles, uint32_t nbos)
{
	struct rm_npu_submit s;

	submit_args(&s, cmds, ncmds, handles, nbos, 0);
	if (ioctl(fd, RM_NPU_IOCTL_SUBMIT, &s))
		die("SUBMIT: %s (error_index %u)", strerror(errno),
		    s.error_index);
	return s.job_id;
}

/* SUBMIT one job as an ABI 1.0 binary; returns its id. */
static uint64_t submit_ver0(int fd, const struct rm_npu_cmd *cmds,
			    uint32_t ncmds, const uint32_t *handles,
			    uint32_t nbos)
{
	struct rm_npu_submit s;

	submit_args(&s, cmds, ncmds, handles, nbos, 0);
	if (ioctl(fd, IOCTL_SUBMIT_VER0, &s))
		die("SUBMIT (1.0): %s (error_index %u)", strerror(errno),
		    s.error_index);
	return s.job_id;
}

/* SUBMIT one job with RM_NPU_SUBMIT_WAIT; fails unless it succeeded. */
static void submit_sync(int fd, const struct rm_npu_cmd *cmds, uint32_t ncmds,
			const uint32_t *handles, uint32_t nbos)
{
	struct rm_npu_submit s;

	submit_args(&s, cmds, ncmds, handles, nbos, RM_NPU_SUBMIT_WAIT);
	if (ioctl(fd, RM_NPU_IOCTL_SUBMIT, &s))
		die("SUBMIT (WAIT): %s (error_index %u)", strerror(errno),
		    s.error_index);
	if (!s.retired || s.result)
		die("SUBMIT (WAIT): job %llu retired %u result %d",
		    (unsigned long long)s.job_id, s.retired, s.result);
}

/* SUBMIT one job with an out-fence, poll(2) the fence, close it. */
static void submit_fence(int fd, const struct rm_npu_cmd *cmds,
			 uint32_t ncmds)
{
	struct rm_npu_submit s;
	struct pollfd p = { .events = POLLIN };

	submit_args(&s, cmds, ncmds, NULL, 0, RM_NPU_SUBMIT_OUT_FENCE);
	if (ioctl(fd, RM_NPU_IOCTL_SUBMIT, &s))
		die("SUBMIT (OUT_FENCE): %s", strerror(errno));
	p.fd = s.out_fence_fd;
	if (poll(&p, 1, -1) != 1 || p.revents != POLLIN)
		die("poll of the out-fence: %s", strerror(errno));
	close(p.fd);
}

/* SUBMIT_BATCH of @n jobs described in @jobs; returns the last id. */
static uint64_t submit_batch(int fd, struct rm_npu_submit *jobs, uint32_t n)
{
	struct rm_npu_submit_batch b = {
		.jobs = (uintptr_t)jobs,
		.num_jobs = n,
		.job_size = sizeof(*jobs),
	};

	if (ioctl(fd, RM_NPU_IOCTL_SUBMIT_BATCH, &b))
		die("SUBMIT_BATCH: %s (job %u)", strerror(errno), b.error_job);
	return jobs[n - 1].job_id;
}

/* WAIT for a job to retire; returns its duration_ns. */
static uint64_t wait_job(int fd, uint64_t id)
{
	struct rm_npu_wait w = { .job_id = id, .timeout_ns = -1 };

	if (ioctl(fd, RM_NPU_IOCTL_WAIT, &w))
		die("WAIT job %" PRIu64 ": %s", id, strerror(errno));
	if (w.result)
		die("job %" PRIu64 " failed: %s (command %u)", id,
		    strerror(-w.result), w.error_index);
	return w.duration_ns;
}

/* ---- latency and small jobs ----------------------------------------- */

/* GET_INFO @n times; returns the ns it took. */
static uint64_t getinfo_ns(int fd, unsigned int n)
{
	struct rm_npu_info info;
	unsigned int i;
	uint64_t t0 = now_ns();

	for (i = 0; i < n; i++)
		get_info(fd, &info);
	return now_ns() - t0;
}

/*
 * The latency and small-job figures compare calls of a few microseconds on
 * a shared, emulated machine whose speed drifts and whose virtual CPUs the
 * host preempts now and then: the variants run interleaved in slices of
 * SLICE_CALLS calls (well under a millisecond), and each figure is the
 * median over every slice of every repetition, so a preempted slice does
 * not count and every ratio sees the same load.
 */
#define SLICE_CALLS	32
#define MAX_SLICES	(MAX_REPS * 64)

enum { L_GETINFO, L_NOP, L_SYNC, L_FENCE, L_N };

static void bench_latency(int fd)
{
	struct rm_npu_cmd nop = { .opcode = RM_NPU_OP_NOP };
	static double v[L_N][MAX_SLICES];
	unsigned int i, j, k, n = 0;
	double m[L_N];
	uint64_t t0;

	for (k = 0; k <= reps; k++) {
		for (j = 0; j < nop_iters; j += SLICE_CALLS) {
			double r[L_N];

			r[L_GETINFO] = (double)getinfo_ns(fd, SLICE_CALLS);

			t0 = now_ns();
			for (i = 0; i < SLICE_CALLS; i++)
				wait_job(fd, submit_ver0(fd, &nop, 1, NULL, 0));
			r[L_NOP] = (double)(now_ns() - t0);

			t0 = now_ns();
			for (i = 0; i < SLICE_CALLS && abi11; i++)
				submit_sync(fd, &nop, 1, NULL, 0);
			r[L_SYNC] = (double)(now_ns() - t0);

			t0 = now_ns();
			for (i = 0; i < SLICE_CALLS; i++)
				submit_fence(fd, &nop, 1);
			r[L_FENCE] = (double)(now_ns() - t0);
			/* repetition 0 is the warm-up */
			if (!k || n == MAX_SLICES)
				continue;
			for (i = 0; i < L_N; i++)
				v[i][n] = r[i] / SLICE_CALLS / 1e3;
			n++;
		}
	}
	for (i = 0; i < L_N; i++)
		m[i] = median(v[i], n);
	figure("getinfo_latency", m[L_GETINFO], "us");
	figure("nop_roundtrip_latency", m[L_NOP], "us");
	figure("nop_vs_getinfo", m[L_NOP] / m[L_GETINFO], "x");
	if (abi11) {
		figure("nop_sync_latency", m[L_SYNC], "us");
		figure("nop_sync_vs_getinfo", m[L_SYNC] / m[L_GETINFO], "x");
	}
	figure("nop_fence_latency", m[L_FENCE], "us");
	figure("nop_fence_vs_getinfo", m[L_FENCE] / m[L_GETINFO], "x");
}

enum { S_GETINFO, S_SINGLE, S_BATCH, S_N };

static void bench_small_jobs(int fd)
{
	struct rm_npu_cmd fill = { .opcode = RM_NPU_OP_FILL };
	static struct rm_npu_submit jobs[BATCH_JOBS];
	static double v[S_N][MAX_SLICES];
	unsigned int i, j, k, n = 0;
	uint64_t t0, last = 0;
	double m[S_N];
	struct bo buf;

	bo_create(fd, &buf, 4096);
	fill.fill.count = 64;
	fill.fill.elem_size = 1;
	fill.fill.value = 0x5a;

	for (k = 0; k <= reps; k++) {
		for (j = 0; j < SMALL_JOBS; j += BATCH_JOBS) {
			double r[S_N];

			r[S_GETINFO] = (double)getinfo_ns(fd, BATCH_JOBS);

			t0 = now_ns();
			for (i = 0; i < BATCH_JOBS; i++)
				last = submit_ver0(fd, &fill, 1, &buf.handle, 1);
			wait_job(fd, last);
			r[S_SINGLE] = (double)(now_ns() - t0);

			t0 = now_ns();
			for (i = 0; i < BATCH_JOBS && abi11; i++)
				submit_args(&jobs[i], &fill, 1, &buf.handle, 1,
					    0);
			if (abi11)
				wait_job(fd, submit_batch(fd, jobs, BATCH_JOBS));
			r[S_BATCH] = (double)(now_ns() - t0);
			/* repetition 0 is the warm-up */
			if (!k || n == MAX_SLICES)
				continue;
			for (i = 0; i < S_N; i++)
				v[i][n] = BATCH_JOBS * 1e9 / r[i];
			n++;
		}
	}
	if (buf.map[0] != 0x5a || buf.map[63] != 0x5a || buf.map[64])
		die("FILL jobs wrote the wrong bytes");
	bo_destroy(fd, &buf);
	for (i = 0; i < S_N; i++)
		m[i] = median(v[i], n);
	figure("getinfo_rate", m[S_GETINFO], "/s");
	figure("small_job_throughput", m[S_SINGLE], "jobs/s");
	figure("small_job_vs_ioctl", m[S_SINGLE] / m[S_GETINFO], "x");
	if (abi11) {
		figure("small_job_batch_throughput", m[S_BATCH], "jobs/s");
		figure("small_job_batch_vs_ioctl", m[S_BATCH] / m[S_GETINFO],
		       "x");
	}
}

/* ---- GEMM ----------------------------------------------------------- */

struct gemm {
	struct rm_npu_cmd cmd;
	uint64_t ops;
	size_t sizes[GEMM_BOS];
	uint8_t *host[GEMM_BOS];	/* A, B, bias, reference output */
};

static void gemm_init(struct gemm *g)
{
	struct rm_npu_cmd_gemm *c = &g->cmd.gemm;
	const size_t n = GEMM_DIM;
	unsigned int i;
	size_t j;

	memset(&g->cmd, 0, sizeof(g->cmd));
	g->cmd.opcode = RM_NPU_OP_GEMM;
	g->cmd.flags = RM_NPU_MM_BIAS;
	c->a.bo = 0;
	c->b.bo = 1;
	c->bias.bo = 2;
	c->out.bo = 3;
	c->m = c->n = c->k = GEMM_DIM;
	c->lda = c->ldb = c->ldo = GEMM_DIM;
	c->a_dtype = RM_NPU_DT_INT8;
	c->out_dtype = RM_NPU_DT_INT8;
	c->a_zero_point = 3;
	c->b_zero_point = 0;
	c->rq.mult = 1518500250;	/* ~0.7071 * 2^31 */
	c->rq.shift = -9;
	c->rq.zero_point = -2;
	c->rq.act_min = -128;
	c->rq.act_max = 127;

	g->sizes[0] = n * n;
	g->sizes[1] = n * n;
	g->sizes[2] = n * 4;
	g->sizes[3] = n * n;
	for (i = 0; i < GEMM_BOS; i++) {
		g->host[i] = aligned_alloc(64, g->sizes[i]);
		if (!g->host[i])
			die("out of memory");
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < g->sizes[i]; j++)
			g->host[i][j] = (uint8_t)rng();
	for (j = 0; j < n; j++) {
		int32_t b = (int32_t)(rng() % 20001) - 10000;

		memcpy(g->host[2] + 4 * j, &b, 4);
	}
	memset(g->host[3], 0, g->sizes[3]);
	g->ops = npu_cmd_ops(&g->cmd);
}

/*
 * CONV2D 3x3, stride 1, pad 1, 28x28x64 -> 28x28x64 NHWC, uint8 -> uint8
 * (bias, requant): 57.8 M operations, a dense ResNet/MobileNet-size layer.
 */
static void conv_init(struct gemm *g)
{
	struct rm_npu_cmd_conv2d *c = &g->cmd.conv2d;
	unsigned int i;
	size_t j;

	memset(&g->cmd, 0, sizeof(g->cmd));
	g->cmd.opcode = RM_NPU_OP_CONV2D;
	g->cmd.flags = RM_NPU_MM_BIAS;
	c->in.bo = 0;
	c->weights.bo = 1;
	c->bias.bo = 2;
	c->out.bo = 3;
	c->batch = 1;
	c->in_h = c->in_w = c->out_h = c->out_w = 28;
	c->in_c = c->out_c = 64;
	c->k_h = c->k_w = 3;
	c->stride_h = c->stride_w = c->dil_h = c->dil_w = 1;
	c->pad_top = c->pad_left = c->pad_bottom = c->pad_right = 1;
	c->groups = 1;
	c->in_dtype = c->out_dtype = RM_NPU_DT_UINT8;
	c->in_zero_point = 7;
	c->rq.mult = 1518500250;
	c->rq.shift = -10;
	c->rq.zero_point = 3;
	c->rq.act_min = 0;
	c->rq.act_max = 255;

	g->sizes[0] = 28 * 28 * 64;
	g->sizes[1] = 64 * 3 * 3 * 64;
	g->sizes[2] = 64 * 4;
	g->sizes[3] = 28 * 28 * 64;
	for (i = 0; i < GEMM_BOS; i++) {
		g->host[i] = aligned_alloc(64, g->sizes[i]);
		if (!g->host[i])
			die("out of memory");
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < g->sizes[i]; j++)
			g->host[i][j] = (uint8_t)rng();
	for (j = 0; j < 64; j++) {
		int32_t b = (int32_t)(rng() % 20001) - 10000;

		memcpy(g->host[2] + 4 * j, &b, 4);
	}
	memset(g->host[3], 0, g->sizes[3]);
	g->ops = npu_cmd_ops(&g->cmd);
}

typedef int (*exec_fn)(const struct rm_npu_cmd *, u8 *const *, u64, u64);
typedef int (*validate_fn)(const struct rm_npu_cmd *, const u64 *, u32, u64);
typedef u64 (*units_fn)(const struct rm_npu_cmd *);

struct half {
	const struct rm_npu_cmd *cmd;
	u8 *const *base;
	exec_fn exec;
	u64 begin, end;
	int ret;
};

static void *half_run(void *arg)
{
	struct half *h = arg;

	h->ret = h->exec(h->cmd, h->base, h->begin, h->end);
	return NULL;
}

/* Units [0, U/2) here and [U/2, U) on a second thread, as a fused node. */
static int exec_2t(const struct rm_npu_cmd *cmd, u8 *const *base, u64 units,
		   exec_fn exec)
{
	struct half h = { cmd, base, exec, units / 2, units, 0 };
	pthread_t t;
	int ret;

	if (pthread_create(&t, NULL, half_run, &h))
		die("pthread_create failed");
	ret = exec(cmd, base, 0, units / 2);
	pthread_join(t, NULL);
	return ret ? ret : h.ret;
}

/* One timed run of the command in this process; returns GOPS. */
static double gemm_user_once(struct gemm *g, validate_fn validate,
			     units_fn units, exec_fn exec, uint8_t *out,
			     bool two)
{
	u64 sizes[GEMM_BOS];
	u8 *base[GEMM_BOS];
	unsigned int i;
	uint64_t t0;
	int ret;

	for (i = 0; i < GEMM_BOS; i++) {
		sizes[i] = g->sizes[i];
		base[i] = g->host[i];
	}
	base[3] = out;
	if (validate(&g->cmd, sizes, GEMM_BOS, ~0ULL))
		die("userspace validation refused the GEMM");
	memset(out, 0, g->sizes[3]);
	t0 = now_ns();
	ret = two ? exec_2t(&g->cmd, base, units(&g->cmd), exec) :
		    exec(&g->cmd, base, 0, units(&g->cmd));
	if (ret)
		die("userspace npu_cmd_exec failed");
	return (double)g->ops / (double)(now_ns() - t0);
}

/*
 * One timed job of the command on node @suffix (opened, given its buffers
 * and closed around it, untimed). Sets *@dev_gops (from the PE time) and
 * checks the output against @expect. Returns wall GOPS.
 */
static double gemm_node_once(struct gemm *g, const char *suffix,
			     const uint8_t *expect, double *dev_gops)
{
	uint32_t handles[GEMM_BOS];
	struct bo bos[GEMM_BOS];
	uint64_t t0, d;
	double wall;
	unsigned int i;
	int fd = open_node(suffix);

	for (i = 0; i < GEMM_BOS; i++) {
		bo_create(fd, &bos[i], g->sizes[i]);
		memcpy(bos[i].map, g->host[i], g->sizes[i]);
		handles[i] = bos[i].handle;
	}
	t0 = now_ns();
	d = wait_job(fd, submit(fd, &g->cmd, 1, handles, GEMM_BOS));
	wall = (double)g->ops / (double)(now_ns() - t0);
	*dev_gops = (double)g->ops / (double)d;
	if (memcmp(bos[3].map, expect, g->sizes[3]))
		die("GEMM on /dev/npu%u%s differs from userspace", dev_index,
		    suffix);
	for (i = 0; i < GEMM_BOS; i++)
		bo_destroy(fd, &bos[i]);
	close(fd);
	return wall;
}

enum { V_PE, V_PE_DEV, V_FUSED, V_FUSED_DEV, V_USER, V_SCALAR, V_2T, V_N };

/*
 * Every variant once per round, rounds interleaved so that drift of the
 * (emulated, shared) machine hits all of them alike; round 0 warms up.
 */
static void bench_mm(const char *name, void (*init)(struct gemm *g))
{
	static double v[V_N][MAX_REPS];
	static const char *const suffix[V_N] = {
		"pe", "pe_device", "fused", "fused_device", "user",
		"user_scalar", "user_2t",
	};
	char fig[64];
	double m[V_N];
	struct gemm g;
	uint8_t *ref, *tmp;
	unsigned int k, i;

	init(&g);
	ref = g.host[3];
	tmp = aligned_alloc(64, g.sizes[3]);
	if (!tmp)
		die("out of memory");
	/* The reference output: the userspace build, one thread. */
	gemm_user_once(&g, npu_cmd_validate, npu_cmd_units, exec_best, ref,
		       false);

	for (k = 0; k <= reps; k++) {
		double r[V_N];

		r[V_PE] = gemm_node_once(&g, "pe0", ref, &r[V_PE_DEV]);
		r[V_FUSED] = gemm_node_once(&g, "pe0-1", ref, &r[V_FUSED_DEV]);
		r[V_USER] = gemm_user_once(&g, npu_cmd_validate, npu_cmd_units,
					   exec_best, tmp, false);
		if (memcmp(tmp, ref, g.sizes[3]))
			die("userspace GEMM runs disagree");
		r[V_SCALAR] = gemm_user_once(&g, npu_cmd_validate,
					     npu_cmd_units, exec_scalar, tmp,
					     false);
		if (memcmp(tmp, ref, g.sizes[3]))
			die("the scalar and SIMD variants disagree");
		r[V_2T] = gemm_user_once(&g, npu_cmd_validate, npu_cmd_units,
					 exec_best, tmp, true);
		if (memcmp(tmp, ref, g.sizes[3]))
			die("the two-thread userspace GEMM differs");
		if (!k)
			continue;
		for (i = 0; i < V_N; i++)
			v[i][k - 1] = r[i];
	}
	for (i = 0; i < V_N; i++)
		m[i] = median(v[i], reps);

	for (i = 0; i < V_N; i++) {
		snprintf(fig, sizeof(fig), "%s_%s", name, suffix[i]);
		figure(fig, m[i], "GOPS");
	}
	snprintf(fig, sizeof(fig), "%s_fused_vs_pe", name);
	figure(fig, m[V_FUSED] / m[V_PE], "x");
	snprintf(fig, sizeof(fig), "%s_fused_vs_pe_device", name);
	figure(fig, m[V_FUSED_DEV] / m[V_PE_DEV], "x");
	snprintf(fig, sizeof(fig), "%s_pe_vs_user", name);
	figure(fig, m[V_PE] / m[V_USER], "x");
	snprintf(fig, sizeof(fig), "%s_pe_device_vs_user", name);
	figure(fig, m[V_PE_DEV] / m[V_USER], "x");
	snprintf(fig, sizeof(fig), "%s_pe_vs_user_scalar", name);
	figure(fig, m[V_PE] / m[V_SCALAR], "x");
	snprintf(fig, sizeof(fig), "%s_user_2t_vs_1t", name);
	figure(fig, m[V_2T] / m[V_USER], "x");

	free(tmp);
	for (i = 0; i < GEMM_BOS; i++)
		free(g.host[i]);
}

/* ---- main ------------------------------------------------------------ */

/* A 512^3 GEMM on one emulated PE may pass the default 5 s watchdog. */
static unsigned long raise_timeout(void)
{
	unsigned long old = 0;
	FILE *f = fopen(TIMEOUT_PARAM, "r+");

	if (!f)
		return 0;
	if (fscanf(f, "%lu", &old) != 1 || old >= BENCH_TIMEOUT_MS) {
		fclose(f);
		return 0;
	}
	rewind(f);
	fprintf(f, "%u\n", BENCH_TIMEOUT_MS);
	if (fclose(f))
		return 0;
	return old;
}

static void restore_timeout(unsigned long old)
{
	FILE *f;

	if (!old)
		return;
	f = fopen(TIMEOUT_PARAM, "w");
	if (f) {
		fprintf(f, "%lu\n", old);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	struct rm_npu_info info;
	unsigned long old_timeout;
	int opt, fd;

	while ((opt = getopt(argc, argv, "d:r:q")) != -1) {
		switch (opt) {
		case 'd':
			dev_index = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			reps = (unsigned int)strtoul(optarg, NULL, 10);
			if (reps < 1 || reps > MAX_REPS)
				die("-r: 1..%d", MAX_REPS);
			break;
		case 'q':
			nop_iters = 64;
			break;
		default:
			fprintf(stderr, "usage: npu-bench [-d DEV] [-r REPS] [-q]\n");
			return 2;
		}
	}

	fd = open_node("pe0");
	get_info(fd, &info);
	if (info.fw_state != RM_NPU_FW_READY)
		die("firmware not ready");
	if (info.num_pes < 2)
		die("needs num_pes >= 2 (fused node npu%upe0-1)", dev_index);
	if (!(info.fw_caps & RM_NPU_CAP(RM_NPU_OP_GEMM)) ||
	    !(info.fw_caps & RM_NPU_CAP(RM_NPU_OP_FILL)))
		die("firmware lacks GEMM or FILL");
	abi11 = (info.abi_version & 0xffff) >= 1 &&
		info.max_batch_jobs >= BATCH_JOBS;
	if (!abi11)
		printf("# driver ABI %u.%u: no RM_NPU_SUBMIT_WAIT or SUBMIT_BATCH figures\n",
		       info.abi_version >> 16, info.abi_version & 0xffff);
	printf("# npu%u: arch %s, %u PEs, firmware %s, ABI %u.%u; %u reps, medians\n",
	       dev_index, (const char *)info.arch, info.num_pes,
	       (const char *)info.fw_version_str, info.abi_version >> 16,
	       info.abi_version & 0xffff, reps);
	printf("# latency: %u calls of each variant per rep; small jobs: %d per rep, SUBMIT_BATCH of %d jobs per call\n",
	       nop_iters, SMALL_JOBS, BATCH_JOBS);
	old_timeout = raise_timeout();

	bench_latency(fd);
	bench_small_jobs(fd);
	close(fd);
	bench_mm("gemm512", gemm_init);
	bench_mm("conv3x3", conv_init);

	restore_timeout(old_timeout);
	return 0;
}
