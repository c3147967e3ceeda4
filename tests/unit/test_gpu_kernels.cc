// SPDX-License-Identifier: MIT
/*
 * test_gpu_kernels.cc - the GPU backend's kernels of runtime/src/
 * gpu_kernels.cu run on the host through gpu_emu.h (warps in lockstep,
 * mma.sync and cp.async emulated), against the naive references
 * (tests/common/npu_ref.c) byte for byte, in every epilogue mode, with
 * zero points and per-channel parameters, several blocks:
 *
 * - CONV2D: random grouped convolutions (npu_gen_conv) on k_conv, and
 *   model-like depthwise ones (npu_gen_dw) on k_dw3/k_dw5 and k_conv;
 * - GEMM (npu_gen_gemm, and few rows with a long K), pointwise
 *   (npu_gen_pw) and dense convolutions (npu_gen_conv, npu_gen_stem) on
 *   every tile width of the GEMM kernels, dp4a (k_mm...) and tensor
 *   cores (k_mm_tc...), on k_mm_sk, and on k_pw and k_pwk where the host
 *   would take them;
 *   each over two batch items (blockIdx.z), and folded into one taller
 *   GEMM (the _fold kernels) where the host may fold them;
 * - POOL2D, ELTWISE (fixed-point and binary32), LUT, FILL and COPY
 *   (npu_gen_*) on k_pool, k_elt, k_lut, k_fill and k_copy.
 *
 * This checks the kernels' arithmetic and indexing where no GPU is lent
 * (make gpu-test checks them on one, and their speed). Parameters come
 * from gpu_fill.c, as in gpu_backend.c, over host addresses; the grids
 * and the folding are gpu_launch_mm()'s.
 *
 * Seed: RM_NPU_TEST_SEED; -n N commands of each CONV2D kind and of the
 * others, N / 4 for the GEMM kernels (default 100).
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "gpu_emu.h"

extern "C" {
#include "gpu_fill.h"
#include "npu_ref.h"
}

#include "gpu_params.h"
#include "gpu_kernels.cu"

thread_local g_emu_dim3 threadIdx, blockIdx;
g_emu_dim3 blockDim, gridDim;
pthread_barrier_t g_emu_barrier;
struct g_emu_warp g_emu_warps[G_EMU_MAX_WARPS];
thread_local unsigned int g_emu_phase, g_emu_bphase;
int g_emu_band[2][1024];
bool g_emu_cp_early;
thread_local std::vector<std::vector<g_emu_cp>> g_emu_cp_groups;
thread_local std::vector<g_emu_cp> g_emu_cp_open;

/* GPU_MM_TILE, GPU_THREADS and the tile widths of gpu_backend.c */
#define MM_TILE		128
static const unsigned int mm_bn[4] = { 128, 64, 32, 16 };

/*
 * G_THREADS host threads, kept for the whole test (creating them per
 * block cost seconds under ASan): each block, the main thread publishes
 * the launch and meets them at @start, and again at @done when all
 * returned from the kernel.
 */
static struct {
	pthread_t th[G_THREADS];
	pthread_barrier_t start, done;
	void (*call)(const void *f, const void *p);
	const void *f, *p;
	g_emu_dim3 block;
	bool quit;
} pool;

template <typename P> static void call_kernel(const void *f, const void *p)
{
	((void (*)(const P))f)(*(const P *)p);
}

static void *pool_thread(void *arg)
{
	unsigned int t = (unsigned int)(uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&pool.start);
		if (pool.quit)
			return NULL;
		threadIdx = { t, 0, 0 };
		blockIdx = pool.block;
		g_emu_cp_groups.clear();
		g_emu_cp_open.clear();
		pool.call(pool.f, pool.p);
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
	for (t = 0; t < G_THREADS / 32; t++)
		if (pthread_barrier_init(&g_emu_warps[t].bar, NULL, 32))
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
	for (t = 0; t < G_THREADS / 32; t++)
		pthread_barrier_destroy(&g_emu_warps[t].bar);
}

/* @f over a gx x gy x gz grid of G_THREADS threads, a block at a time. */
template <typename P>
static void emu_launch(void (*f)(const P), const P *p, unsigned int gx,
		       unsigned int gy, unsigned int gz)
{
	unsigned int x, y, z;

	blockDim = { G_THREADS, 1, 1 };
	gridDim = { gx, gy, gz };
	pool.call = call_kernel<P>;
	pool.f = (const void *)f;
	pool.p = p;
	for (z = 0; z < gz; z++)
		for (y = 0; y < gy; y++)
			for (x = 0; x < gx; x++) {
				pool.block = { x, y, z };
				pthread_barrier_wait(&pool.start);
				pthread_barrier_wait(&pool.done);
			}
}

/*
 * A command's buffers over @items batch items: item j's copy of buffer
 * i at buf[i] + j * is[i] (is[i] = 0 for one item).
 */
struct items {
	u32 n;
	u64 is[NPU_WORLD_MAX_BOS];
};

/*
 * Where @bufs' buffers are for gpu_fill.c: @it's strides (NULL: one
 * item), the error word @err; @addr the caller's array.
 */
static struct gpu_slots slots_of(u8 *const *bufs, u32 n, uint64_t *addr,
				 const uint64_t *is, int *err)
{
	struct gpu_slots s;
	u32 i;

	for (i = 0; i < n; i++)
		addr[i] = (uintptr_t)bufs[i];
	s.addr = addr;
	s.is = is;
	s.err = (uintptr_t)err;
	return s;
}

/* gpu_fill_conv()'s parameters for CONV2D @cmd over @n buffers @bufs */
static void conv_params(const struct rm_npu_cmd *cmd, u8 *const *bufs, u32 n,
			int *err, struct g_conv *q)
{
	uint64_t addr[NPU_WORLD_MAX_BOS];
	struct gpu_slots s = slots_of(bufs, n, addr, NULL, err);

	gpu_fill_conv(q, &s, cmd, 0);
}

/*
 * The GEMM kernels' parameters for GEMM or dense CONV2D @cmd over @n
 * buffers @bufs and @it's items (gpu_fill.c); @fold: B and the
 * epilogue's vectors shared by the items (strides 0), as folding needs.
 * false: a CONV2D the GEMM kernels do not take.
 */
static bool mm_params(const struct rm_npu_cmd *cmd, u8 *const *bufs, u32 n,
		      const struct items *it, int *err, bool fold,
		      struct g_mm *p)
{
	uint64_t addr[NPU_WORLD_MAX_BOS];
	struct gpu_slots s = slots_of(bufs, n, addr,
				      it->n > 1 ? it->is : NULL, err);

	if (cmd->opcode == RM_NPU_OP_GEMM)
		gpu_fill_gemm(p, &s, cmd, 0);
	else if (!gpu_fill_conv_mm(p, &s, cmd, 0))
		return false;
	if (fold) {
		p->b_is = 0;
		p->e.bias_is = 0;
		p->e.quant_is = 0;
	}
	return true;
}

static void describe(const char *what, const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;

	if (cmd->opcode == RM_NPU_OP_GEMM) {
		fprintf(stderr,
			"  %s: m %u n %u k %u lda %u ldb %u ldo %u za %d zb %d "
			"dt %u/%u flags %#x\n", what, g->m, g->n, g->k, g->lda,
			g->ldb, g->ldo, g->a_zero_point, g->b_zero_point,
			g->a_dtype, g->out_dtype, cmd->flags);
		return;
	}
	fprintf(stderr,
		"  %s: b %u in %ux%ux%u out %ux%ux%u k %ux%u s %u,%u d %u,%u "
		"pad %u,%u groups %u zx %d zw %d dt %u/%u flags %#x\n", what,
		c->batch, c->in_h, c->in_w, c->in_c, c->out_h, c->out_w,
		c->out_c, c->k_h, c->k_w, c->stride_h, c->stride_w, c->dil_h,
		c->dil_w, c->pad_top, c->pad_left, c->groups, c->in_zero_point,
		c->w_zero_point, c->in_dtype, c->out_dtype, cmd->flags);
}

/* 0: @got's buffers equal @ref's; else 1, the first difference told */
static int compare(const char *name, const struct rm_npu_cmd *cmd,
		   const struct npu_world *got, const struct npu_world *ref,
		   int err)
{
	int bad = 0;
	u32 i;
	u64 j;

	if (err) {
		fprintf(stderr, "FAIL %s: error word %d\n", name, err);
		bad = 1;
	}
	for (i = 0; !bad && i < got->n; i++) {
		for (j = 0; j < got->size[i] &&
			    got->buf[i][j] == ref->buf[i][j]; j++)
			;
		if (j < got->size[i]) {
			fprintf(stderr, "FAIL %s: buffer %u byte %llu of %llu: "
				"got 0x%02x, reference 0x%02x\n", name, i,
				(unsigned long long)j,
				(unsigned long long)got->size[i],
				got->buf[i][j], ref->buf[i][j]);
			bad = 1;
		}
	}
	if (bad)
		describe(name, cmd);
	return bad;
}


/*
 * @cmd's world @w over two items: every buffer twice, item 1's copy the
 * same but for its input, drawn again (B, biases and per-channel pairs
 * equal in both, as folding needs); @ref the reference run per item.
 */
static void two_items(const struct rm_npu_cmd *cmd, const struct npu_world *w,
		      struct npu_world *w2, struct npu_world *ref,
		      struct items *it)
{
	const struct rm_npu_ref *in = cmd->opcode == RM_NPU_OP_GEMM ?
				      &cmd->gemm.a : &cmd->conv2d.in;
	u64 in_size = cmd->opcode == RM_NPU_OP_GEMM ?
		      (u64)(cmd->gemm.m - 1) * cmd->gemm.lda + cmd->gemm.k :
		      (u64)cmd->conv2d.batch * cmd->conv2d.in_h *
		      cmd->conv2d.in_w * cmd->conv2d.in_c;
	u8 *bufs[NPU_WORLD_MAX_BOS];
	u32 i, j;

	memset(w2, 0, sizeof(*w2));
	it->n = 2;
	for (i = 0; i < w->n; i++) {
		npu_w_add(w2, 2 * w->size[i]);
		memcpy(w2->buf[i], w->buf[i], w->size[i]);
		memcpy(w2->buf[i] + w->size[i], w->buf[i], w->size[i]);
		it->is[i] = w->size[i];
	}
	npu_fill_random(w2->buf[in->bo] + w->size[in->bo] + in->offset,
			in_size);
	npu_w_clone(ref, w2);
	for (j = 0; j < 2; j++) {
		for (i = 0; i < w->n; i++)
			bufs[i] = ref->buf[i] + j * it->is[i];
		if (npu_ref_exec(cmd, bufs))
			abort();	/* item 0's world passed */
	}
}

struct mm_kernel {
	void (*f)(const struct g_mm);
	const char *name;
	unsigned int bn;
};

#define MM_SET(k) {							\
	{ k, #k, 128 }, { k##_n64, #k "_n64", 64 },			\
	{ k##_n32, #k "_n32", 32 }, { k##_n16, #k "_n16", 16 } }

static const struct mm_kernel mm_plain[2][4] = { MM_SET(k_mm),
						 MM_SET(k_mm_tc) };
static const struct mm_kernel mm_fold[2][4] = { MM_SET(k_mm_fold),
						MM_SET(k_mm_tc_fold) };
static const struct mm_kernel mm_conv[2][4] = { MM_SET(k_mm_conv),
						MM_SET(k_mm_tc_conv) };

/*
 * GEMM kernel @k (@fold: folded rows) over @items of @cmd's world @w2
 * against @ref: 0 equal, 1 not.
 */
static int check_mm(const struct mm_kernel *k, bool fold,
		    const struct rm_npu_cmd *cmd, const struct npu_world *w2,
		    const struct npu_world *ref, const struct items *it)
{
	struct npu_world got = {};
	struct g_mm p;
	u32 items = it->n;
	int err = 0, bad;

	npu_w_clone(&got, w2);
	mm_params(cmd, got.buf, got.n, it, &err, fold, &p);
	p.stage = npu_coin(50);
	if (fold) {
		p.mi = p.m;
		p.m *= items;
		items = 1;
	}
	g_emu_cp_early = npu_coin(50);
	emu_launch(k->f, &p, (p.m + MM_TILE - 1) / MM_TILE,
		   (p.n + k->bn - 1) / k->bn, items);
	bad = compare(k->name, cmd, &got, ref, err);
	npu_w_free(&got);
	return bad;
}

/*
 * k_mm_sk / k_pw / k_pwk (@f, grid gx x gy) the same way; k_pwk @fold:
 * its items as one taller GEMM where gpu_pw_fold() allows
 */
static int check_mm_other(void (*f)(const struct g_mm), const char *name,
			  bool fold, const struct rm_npu_cmd *cmd,
			  const struct npu_world *w2,
			  const struct npu_world *ref, const struct items *it)
{
	struct npu_world got = {};
	struct g_mm p;
	u32 items = it->n;
	unsigned int gx, gy;
	int err = 0, bad;

	npu_w_clone(&got, w2);
	mm_params(cmd, got.buf, got.n, it, &err, fold, &p);
	if (fold && f != k_pwk && f != k_pw) {
		p.mi = p.m;
		p.m *= items;
		items = 1;
	}
	if (f == k_pw || f == k_pwk) {
		bool fits = f == k_pw ? gpu_pw_fits(&p) : gpu_pwk_fits(&p);

		if (!fits || (fold ? !gpu_pw_fold(&p, items) :
			      gpu_pw_fold(&p, 1))) {
			npu_w_free(&got);
			return -1;
		}
		if (fold)
			items = 1;
		gx = npu_rr(1, 3);
		gy = (p.n + 31) / 32;
	} else {
		gx = (p.n + G_SK_BN - 1) / G_SK_BN;
		gy = (p.m + G_SK_BM - 1) / G_SK_BM;
	}
	emu_launch(f, &p, gx, gy, items);
	bad = compare(name, cmd, &got, ref, err);
	npu_w_free(&got);
	return bad;
}

/* k_pwk on @cmd over @it's items, alone and folded where it may be */
static unsigned int check_pwk(const struct rm_npu_cmd *cmd,
			      const struct npu_world *w2,
			      const struct npu_world *ref,
			      const struct items *it, unsigned int *runs)
{
	unsigned int fails = 0, i;
	int r;

	for (i = 0; i < 2; i++) {
		r = check_mm_other(k_pwk, i ? "k_pwk folded" : "k_pwk", i, cmd,
				   w2, ref, it);
		if (r >= 0) {
			fails += r;
			++*runs;
		}
	}
	return fails;
}

/*
 * The GEMM kernels that may run @cmd (GEMM or CONV2D, world @w): a tile
 * width drawn for dp4a and for the tensor cores, over two items and
 * folded; k_mm_sk or k_mm_sk_fold on GEMMs and pointwise ones, k_pw where
 * gpu_pw_fits() allows. Adds the kernel runs to @runs; returns the failures.
 */
static unsigned int check_gemms(const struct rm_npu_cmd *cmd,
				const struct npu_world *w, unsigned int *runs)
{
	struct npu_world w2, ref;
	struct items it = {};
	struct g_mm p;
	unsigned int fails = 0, tc, i;
	int err = 0, r;
	bool plain, fold;

	if (!mm_params(cmd, w->buf, w->n, &it, &err, false, &p))
		return 0;
	plain = !p.conv;
	two_items(cmd, w, &w2, &ref, &it);
	for (tc = 0; tc < 2; tc++) {
		i = npu_rr(0, 3);
		fails += check_mm(plain ? &mm_plain[tc][i] : &mm_conv[tc][i],
				  false, cmd, &w2, &ref, &it);
		++*runs;
		if (!plain)
			continue;
		i = npu_rr(0, 3);
		fails += check_mm(&mm_fold[tc][i], true, cmd, &w2, &ref, &it);
		++*runs;
	}
	if (plain) {
		fold = npu_coin(50);
		fails += check_mm_other(fold ? k_mm_sk_fold : k_mm_sk,
					fold ? "k_mm_sk_fold" : "k_mm_sk", fold,
					cmd, &w2, &ref, &it);
		++*runs;
		fold = npu_coin(50);
		r = check_mm_other(k_pw, fold ? "k_pw folded" : "k_pw", fold,
				   cmd, &w2, &ref, &it);
		if (r >= 0) {
			fails += r;
			++*runs;
		}
		fails += check_pwk(cmd, &w2, &ref, &it, runs);
	}
	npu_w_free(&w2);
	npu_w_free(&ref);
	return fails;
}

/* Model-like pointwise convolutions of larger K on k_pwk alone. */
static unsigned int check_pwks(unsigned int n, unsigned int *runs)
{
	unsigned int fails = 0, i;

	for (i = 0; i < n && fails < 3; i++) {
		struct npu_world w = {}, one = {}, w2, ref;
		struct rm_npu_cmd cmd;
		struct items it = {};

		npu_gen_pw(&cmd, &w, NPU_PW_WIDE);
		npu_w_clone(&one, &w);
		if (!npu_ref_exec(&cmd, one.buf)) {
			two_items(&cmd, &w, &w2, &ref, &it);
			fails += check_pwk(&cmd, &w2, &ref, &it, runs);
			npu_w_free(&w2);
			npu_w_free(&ref);
		}
		npu_w_free(&w);
		npu_w_free(&one);
	}
	return fails;
}

/*
 * A GEMM, pointwise or dense convolution command for check_gemms(), of
 * at most MM_ROWS x MM_COLS outputs (a block of 256 host threads costs
 * milliseconds: warps meet at a barrier for every mma and shuffle).
 */
#define MM_ROWS		640
#define MM_COLS		100

static void gen_mm(struct rm_npu_cmd *cmd, struct npu_world *w, u32 it)
{
	struct items one = {};
	struct g_mm p;
	int err;

	for (;;) {
		switch (it % 7) {
		case 0:
			npu_gen_gemm(cmd, w, 200, 300);
			break;
		case 1:		/* few rows, a long K: k_mm_sk's kind */
			npu_gen_gemm_mnk(cmd, w, npu_rr(1, 80), npu_rr(1, 70),
					 npu_rr(100, 700));
			break;
		case 2:
			npu_gen_pw(cmd, w, NPU_PW_ANY);
			break;
		case 3:
			npu_gen_pw(cmd, w, NPU_PW_SMALL);
			break;
		case 6:
			npu_gen_pw(cmd, w, NPU_PW_WIDE);
			break;
		case 4:
			npu_gen_stem(cmd, w);
			break;
		default:
			npu_gen_conv(cmd, w);
		}
		if (!mm_params(cmd, w->buf, w->n, &one, &err, false, &p) ||
		    (p.m <= MM_ROWS && p.n <= MM_COLS))
			return;
		npu_w_free(w);
		memset(w, 0, sizeof(*w));
	}
}

/*
 * Kernel @f on @cmd with parameters from @fill (one item, @gx blocks
 * striding over the outputs) over a copy of world @w against the
 * reference's results @ref: 0 equal, 1 not.
 */
template <typename P>
static int check_k(void (*f)(const P),
		   void (*fill)(P *, const struct gpu_slots *,
				const struct rm_npu_cmd *),
		   const char *name, const struct rm_npu_cmd *cmd,
		   const struct npu_world *w, const struct npu_world *ref,
		   unsigned int gx)
{
	struct npu_world got = {};
	uint64_t addr[NPU_WORLD_MAX_BOS];
	struct gpu_slots s;
	int err = 0, bad;
	P p;

	npu_w_clone(&got, w);
	s = slots_of(got.buf, got.n, addr, NULL, &err);
	fill(&p, &s, cmd);
	emu_launch(f, &p, gx, 1, 1);
	bad = compare(name, cmd, &got, ref, err);
	npu_w_free(&got);
	return bad;
}

/* gpu_fill_conv() in check_k()'s form (the job's first command) */
static void fill_conv(struct g_conv *q, const struct gpu_slots *s,
		      const struct rm_npu_cmd *cmd)
{
	gpu_fill_conv(q, s, cmd, 0);
}

/* A POOL2D, ELTWISE (both rescale modes), LUT, FILL or COPY command. */
static void gen_other(struct rm_npu_cmd *cmd, struct npu_world *w, u32 it)
{
	switch (it % 6) {
	case 0:
		npu_gen_pool(cmd, w);
		break;
	case 1:
		npu_gen_elt(cmd, w);
		break;
	case 2:
		npu_gen_elt_f32(cmd, w);
		break;
	case 3:
		npu_gen_lut(cmd, w);
		break;
	case 4:
		npu_gen_fill(cmd, w);
		break;
	default:
		npu_gen_copy(cmd, w);
	}
}

/* @cmd (gen_other()) on its kernel */
static int check_other(const struct rm_npu_cmd *cmd, const struct npu_world *w,
		       const struct npu_world *ref)
{
	unsigned int gx = npu_rr(1, 3);

	switch (cmd->opcode) {
	case RM_NPU_OP_POOL2D:
		return check_k(k_pool, gpu_fill_pool, "k_pool", cmd, w, ref,
			       gx);
	case RM_NPU_OP_ELTWISE:
		return check_k(k_elt, gpu_fill_elt, "k_elt", cmd, w, ref, gx);
	case RM_NPU_OP_LUT:
		return check_k(k_lut, gpu_fill_lut, "k_lut", cmd, w, ref, gx);
	case RM_NPU_OP_FILL:
		return check_k(k_fill, gpu_fill_fill, "k_fill", cmd, w, ref,
			       gx);
	default:
		return check_k(k_copy, gpu_fill_copy, "k_copy", cmd, w, ref,
			       gx);
	}
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
		fails += check_k(k_conv, fill_conv, "k_conv", &cmd, &w, &ref,
				 2);
		runs++;
		conv_params(&cmd, w.buf, w.n, &err, &q);
		/*
		 * one block now and then: fewer threads than channel words,
		 * each thread taking several
		 */
		if (dw && gpu_dw_fits(&cmd.conv2d, &q)) {
			fails += check_k(cmd.conv2d.k_h == 3 ? k_dw3 : k_dw5,
					 fill_conv, cmd.conv2d.k_h == 3 ?
					 "k_dw3" : "k_dw5", &cmd, &w, &ref,
					 it % 3 ? 3 : 1);
			runs++;
		}
		npu_w_free(&w);
		npu_w_free(&ref);
	}
	for (it = 0; it < (n + 3) / 4 && fails < 3; it++) {
		struct npu_world w = {}, ref = {};
		struct rm_npu_cmd cmd;

		gen_mm(&cmd, &w, it);
		npu_w_clone(&ref, &w);
		if (!npu_ref_exec(&cmd, ref.buf))
			fails += check_gemms(&cmd, &w, &runs);
		npu_w_free(&w);
		npu_w_free(&ref);
	}
	fails += check_pwks((n + 3) / 4, &runs);
	for (it = 0; it < n && fails < 3; it++) {
		struct npu_world w = {}, ref = {};
		struct rm_npu_cmd cmd;

		gen_other(&cmd, &w, it);
		npu_w_clone(&ref, &w);
		if (!npu_ref_exec(&cmd, ref.buf)) {
			fails += check_other(&cmd, &w, &ref);
			runs++;
		}
		npu_w_free(&w);
		npu_w_free(&ref);
	}
	pool_stop();
	printf("test_gpu_kernels: %u kernel runs, %u failed\n", runs, fails);
	return fails ? 1 : 0;
}
