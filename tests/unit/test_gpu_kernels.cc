// SPDX-License-Identifier: MIT
/*
 * test_gpu_kernels.cc - the GPU backend's CONV2D kernels (k_conv, k_dw3,
 * k_dw5 of runtime/src/gpu_kernels.cu) run on the host through
 * gpu_emu.h, against the naive references (tests/common/npu_ref.c) byte
 * for byte: random grouped convolutions (npu_gen_conv) on k_conv, and
 * model-like depthwise ones (npu_gen_dw) on k_dw3/k_dw5 and k_conv, in
 * every epilogue mode, with zero points and per-channel parameters,
 * several blocks striding over the outputs. This checks the kernels'
 * arithmetic where no GPU is lent (make gpu-test checks them on one);
 * the GEMM and pointwise kernels use warp shuffles and tensor cores and
 * are not run here. Parameters are filled as gpu_backend.c's run_conv()
 * fills them, from host addresses.
 *
 * Seed: RM_NPU_TEST_SEED; -n N commands of each kind (default 100).
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "gpu_emu.h"

extern "C" {
#include "npu_ref.h"
}

#include "gpu_params.h"
#include "gpu_kernels.cu"

thread_local g_emu_dim3 threadIdx, blockIdx;
g_emu_dim3 blockDim, gridDim;
pthread_barrier_t g_emu_barrier;

typedef void (*kernel_fn)(const struct g_conv);

/*
 * G_THREADS host threads, kept for the whole test (creating them per
 * block cost seconds under ASan): each block, the main thread publishes
 * the launch and meets them at @start, and again at @done when all
 * returned from the kernel.
 */
static struct {
	pthread_t th[G_THREADS];
	pthread_barrier_t start, done;
	kernel_fn f;
	const struct g_conv *p;
	g_emu_dim3 block;
	bool quit;
} pool;

static void *pool_thread(void *arg)
{
	unsigned int t = (unsigned int)(uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&pool.start);
		if (pool.quit)
			return NULL;
		threadIdx = { t, 0, 0 };
		blockIdx = pool.block;
		pool.f(*pool.p);
		pthread_barrier_wait(&pool.done);
	}
}

static void pool_start(void)
{
	uintptr_t t;

	if (pthread_barrier_init(&pool.start, NULL, G_THREADS + 1) ||
	    pthread_barrier_init(&pool.done, NULL, G_THREADS + 1) ||
	    pthread_barrier_init(&g_emu_barrier, NULL, G_THREADS))
		abort();
	for (t = 0; t < G_THREADS; t++)
		if (pthread_create(&pool.th[t], NULL, pool_thread, (void *)t))
			abort();
}

static void pool_stop(void)
{
	unsigned int t;

	pool.quit = true;
	pthread_barrier_wait(&pool.start);
	for (t = 0; t < G_THREADS; t++)
		pthread_join(pool.th[t], NULL);
	pthread_barrier_destroy(&pool.start);
	pthread_barrier_destroy(&pool.done);
	pthread_barrier_destroy(&g_emu_barrier);
}

/* @f over @gx blocks of G_THREADS threads, one block at a time. */
static void emu_launch(kernel_fn f, const struct g_conv *p, unsigned int gx)
{
	unsigned int b;

	blockDim = { G_THREADS, 1, 1 };
	gridDim = { gx, 1, 1 };
	pool.f = f;
	pool.p = p;
	for (b = 0; b < gx; b++) {
		pool.block = { b, 0, 0 };
		pthread_barrier_wait(&pool.start);
		pthread_barrier_wait(&pool.done);
	}
}

static g_u64 addr(u8 *const *bufs, const struct rm_npu_ref *r)
{
	return (g_u64)(uintptr_t)(bufs[r->bo] + r->offset);
}

/* run_conv()'s parameters for CONV2D @cmd over buffers @bufs */
static void conv_params(const struct rm_npu_cmd *cmd, u8 *const *bufs,
			int *err, struct g_conv *q)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	memset(q, 0, sizeof(*q));
	q->e.bias = cmd->flags & RM_NPU_MM_BIAS ? addr(bufs, &c->bias) : 0;
	q->e.quant = cmd->flags & RM_NPU_MM_PER_CHANNEL ?
		     addr(bufs, &c->quant) : 0;
	q->e.out = addr(bufs, &c->out);
	q->e.err = (g_u64)(uintptr_t)err;
	q->e.flags = cmd->flags;
	q->e.out_dtype = c->out_dtype;
	q->e.mult = c->rq.mult;
	q->e.shift = c->rq.shift;
	q->e.zp = c->rq.zero_point;
	q->e.lo = c->rq.act_min;
	q->e.hi = c->rq.act_max;
	q->e.cmd1 = 1;
	q->in = addr(bufs, &c->in);
	q->w = addr(bufs, &c->weights);
	q->total = (g_u64)c->batch * c->out_h * c->out_w * c->out_c;
	q->in_h = c->in_h;
	q->in_w = c->in_w;
	q->in_c = c->in_c;
	q->out_h = c->out_h;
	q->out_w = c->out_w;
	q->out_c = c->out_c;
	q->k_h = c->k_h;
	q->k_w = c->k_w;
	q->stride_h = c->stride_h;
	q->stride_w = c->stride_w;
	q->dil_h = c->dil_h;
	q->dil_w = c->dil_w;
	q->pad_top = c->pad_top;
	q->pad_left = c->pad_left;
	q->cig = c->in_c / c->groups;
	q->cpo = c->out_c / c->groups;
	q->in_signed = c->in_dtype == RM_NPU_DT_INT8;
	q->zx = c->in_zero_point;
	q->zw = c->w_zero_point;
}

/* May k_dw3/k_dw5 run @c (gpu_backend.c's gpu_dw_ok())? */
static bool dw_ok(const struct rm_npu_cmd_conv2d *c, const struct g_conv *q)
{
	return c->groups == c->in_c && c->out_c == c->in_c && !(c->in_c % 4) &&
	       c->k_h == c->k_w && (c->k_h == 3 || c->k_h == 5) &&
	       !(q->in % 4) &&
	       (uint64_t)c->in_c * c->k_h * ((c->k_w + 3) / 4) <= G_DW_WORDS;
}

static void describe(const char *what, const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	fprintf(stderr,
		"  %s: b %u in %ux%ux%u out %ux%ux%u k %ux%u s %u,%u d %u,%u "
		"pad %u,%u groups %u zx %d zw %d dt %u/%u flags %#x\n", what,
		c->batch, c->in_h, c->in_w, c->in_c, c->out_h, c->out_w,
		c->out_c, c->k_h, c->k_w, c->stride_h, c->stride_w, c->dil_h,
		c->dil_w, c->pad_top, c->pad_left, c->groups, c->in_zero_point,
		c->w_zero_point, c->in_dtype, c->out_dtype, cmd->flags);
}

/*
 * Kernel @f on @cmd over a copy of world @w against the reference's
 * results @ref (@want: its return): 0 equal, 1 not.
 */
static int check(kernel_fn f, const char *name, const struct rm_npu_cmd *cmd,
		 const struct npu_world *w, const struct npu_world *ref,
		 unsigned int gx)
{
	struct npu_world got = {};
	struct g_conv q;
	int err = 0, bad = 0;
	u32 i;
	u64 j;

	npu_w_clone(&got, w);
	conv_params(cmd, got.buf, &err, &q);
	emu_launch(f, &q, gx);
	if (err) {
		fprintf(stderr, "FAIL %s: error word %d\n", name, err);
		bad = 1;
	}
	for (i = 0; !bad && i < got.n; i++) {
		for (j = 0; j < got.size[i] && got.buf[i][j] == ref->buf[i][j];
		     j++)
			;
		if (j < got.size[i]) {
			fprintf(stderr, "FAIL %s: buffer %u byte %llu of %llu: "
				"got 0x%02x, reference 0x%02x\n", name, i,
				(unsigned long long)j,
				(unsigned long long)got.size[i], got.buf[i][j],
				ref->buf[i][j]);
			bad = 1;
		}
	}
	if (bad)
		describe(name, cmd);
	npu_w_free(&got);
	return bad;
}

int main(int argc, char **argv)
{
	unsigned int n = 100, it, runs = 0, fails = 0;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			return 2;
		n = (unsigned int)strtoul(optarg, NULL, 0);
	}
	npu_seed_env("test_gpu_kernels", 0x9e3779b97f4a7c15ULL);
	pool_start();
	for (it = 0; it < 2 * n && fails < 3; it++) {
		struct npu_world w = {}, ref = {};
		struct rm_npu_cmd cmd;
		struct g_conv q;
		bool dw = it % 2;
		int err = 0;

		if (dw)
			npu_gen_dw(&cmd, &w);
		else
			npu_gen_conv(&cmd, &w);
		npu_w_clone(&ref, &w);
		if (npu_ref_exec(&cmd, ref.buf)) {
			/* refused (the shared validator): no kernel runs it */
			npu_w_free(&w);
			npu_w_free(&ref);
			continue;
		}
		fails += check(k_conv, "k_conv", &cmd, &w, &ref, 2);
		runs++;
		conv_params(&cmd, w.buf, &err, &q);
		if (dw && dw_ok(&cmd.conv2d, &q)) {
			fails += check(cmd.conv2d.k_h == 3 ? k_dw3 : k_dw5,
				       cmd.conv2d.k_h == 3 ? "k_dw3" : "k_dw5",
				       &cmd, &w, &ref, 3);
			runs++;
		}
		npu_w_free(&w);
		npu_w_free(&ref);
	}
	pool_stop();
	printf("test_gpu_kernels: %u kernel runs, %u failed\n", runs, fails);
	return fails ? 1 : 0;
}
