// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ops-bench: the command engine's kernels in this process, one figure per
 * execution variant (scalar, avx2, avx512 where the CPU has them), on the
 * host or in the VM (`make bench` runs it in the guest, `make ops-bench`
 * on the host). Prints "name value unit" lines and "# " notes; never
 * judges a timing. Exit status 1 only when variants disagree on a result.
 *
 *   ops-bench [-r REPS] [-q] [-t THREADS] [-f FILTER] [-i VARIANT] [-F]
 *
 * -r REPS     repetitions (median reported, default 5)
 * -q          quick: the small shapes only
 * -t THREADS  also run each shape split over THREADS threads (units in
 *             contiguous ranges, one context each), figure *_Nt
 * -f FILTER   only shapes whose name contains FILTER
 * -i VARIANT  only this variant (scalar, avx2, avx512)
 * -F          each shape also with the binary32 scale (RM_NPU_MM_F32_SCALE,
 *             same scale), figures *_f32: the epilogue's cost side by side
 *
 * Figures, GOPS (2 operations per multiply-accumulate, npu_cmd_ops()):
 *   SHAPE_VARIANT        one thread, weights packed in the scratch per run
 *   SHAPE_VARIANT_packed the same with npu_cmd_pack() done ahead (the CPU
 *                        backend's way: a program's weights are constant)
 *   SHAPE_VARIANT_Nt     with -t N
 * Shapes: gemm512, gemm1024 (int8 x int8 -> int8, bias, requant) and
 * mobilenet-like NHWC convolutions (conv_stem: 224x224x3 3x3/2 -> 32;
 * pw_*: 1x1 pointwise; dw_*: 3x3 depthwise; r18_*: resnet18's dense
 * convolutions, the 7x7 stem and 3x3 ones).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "npu_ops.h"

#define MAX_REPS	64
#define NBOS		4	/* A/in, B/weights, bias, out */
#define MAX_THREADS	16

static unsigned int reps = 5, nthreads;
static const char *filter;
static int only_isa = -1;
static bool with_f32;

struct shape {
	const char *name;
	bool quick;
	/* GEMM when k_h == 0 */
	u32 m, n, k;
	u32 hw, cin, cout, kk, stride, groups;
};

static const struct shape shapes[] = {
	{ "gemm512", true, 512, 512, 512, 0, 0, 0, 0, 0, 0 },
	{ "gemm1024", false, 1024, 1024, 1024, 0, 0, 0, 0, 0, 0 },
	{ "conv_stem", false, 0, 0, 0, 224, 3, 32, 3, 2, 1 },
	{ "pw_112x32x16", false, 0, 0, 0, 112, 32, 16, 1, 1, 1 },
	{ "pw_56x24x144", true, 0, 0, 0, 56, 24, 144, 1, 1, 1 },
	{ "pw_28x192x32", false, 0, 0, 0, 28, 192, 32, 1, 1, 1 },
	{ "pw_14x384x64", false, 0, 0, 0, 14, 384, 64, 1, 1, 1 },
	{ "pw_7x960x320", false, 0, 0, 0, 7, 960, 320, 1, 1, 1 },
	{ "pw_7x320x1280", true, 0, 0, 0, 7, 320, 1280, 1, 1, 1 },
	{ "dw_112x32", false, 0, 0, 0, 112, 32, 32, 3, 1, 32 },
	{ "dw_56x144s2", true, 0, 0, 0, 112, 144, 144, 3, 2, 144 },
	{ "dw_28x192", false, 0, 0, 0, 28, 192, 192, 3, 1, 192 },
	{ "dw_14x576", false, 0, 0, 0, 14, 576, 576, 3, 1, 576 },
	{ "dw_7x960", true, 0, 0, 0, 7, 960, 960, 3, 1, 960 },
	/* resnet18's: the 7x7 stem and a 3x3 convolution of each stage */
	{ "r18_stem", false, 0, 0, 0, 224, 3, 64, 7, 2, 1 },
	{ "r18_56x64", false, 0, 0, 0, 56, 64, 64, 3, 1, 1 },
	{ "r18_28x128", false, 0, 0, 0, 28, 128, 128, 3, 1, 1 },
	{ "r18_14x256", false, 0, 0, 0, 14, 256, 256, 3, 1, 1 },
	{ "r18_7x512", false, 0, 0, 0, 7, 512, 512, 3, 1, 1 },
};

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static u32 rng_state = 0x2545f491u;

static u8 rnd8(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return (u8)rng_state;
}

static void *xalloc(u64 size)
{
	void *p = aligned_alloc(64, (size + 63) & ~63ULL);

	if (!p) {
		fprintf(stderr, "ops-bench: out of memory\n");
		exit(1);
	}
	return p;
}

struct job {
	struct rm_npu_cmd cmd;
	u64 size[NBOS];
	u8 *buf[NBOS];
};

static void job_init(struct job *j, const struct shape *s, bool f32)
{
	struct rm_npu_cmd *cmd = &j->cmd;
	struct rm_npu_requant *rq;
	unsigned int i;
	u64 t;

	memset(j, 0, sizeof(*j));
	if (!s->kk) {
		struct rm_npu_cmd_gemm *g = &cmd->gemm;

		cmd->opcode = RM_NPU_OP_GEMM;
		g->a.bo = 0;
		g->b.bo = 1;
		g->bias.bo = 2;
		g->out.bo = 3;
		g->m = s->m;
		g->n = s->n;
		g->k = s->k;
		g->lda = s->k;
		g->ldb = g->ldo = s->n;
		g->a_dtype = RM_NPU_DT_INT8;
		g->out_dtype = RM_NPU_DT_INT8;
		g->a_zero_point = 3;
		rq = &g->rq;
		j->size[0] = (u64)s->m * s->k;
		j->size[1] = (u64)s->k * s->n;
		j->size[2] = 4ULL * s->n;
		j->size[3] = (u64)s->m * s->n;
	} else {
		struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
		u32 pad = s->kk / 2;

		cmd->opcode = RM_NPU_OP_CONV2D;
		c->weights.bo = 1;
		c->bias.bo = 2;
		c->out.bo = 3;
		c->batch = 1;
		c->in_h = c->in_w = s->hw;
		c->in_c = s->cin;
		c->out_c = s->cout;
		c->k_h = c->k_w = s->kk;
		c->stride_h = c->stride_w = s->stride;
		c->dil_h = c->dil_w = 1;
		c->pad_top = c->pad_left = c->pad_bottom = c->pad_right = pad;
		c->out_h = c->out_w = (s->hw + 2 * pad - s->kk) / s->stride + 1;
		c->groups = s->groups;
		c->in_dtype = RM_NPU_DT_UINT8;
		c->out_dtype = RM_NPU_DT_UINT8;
		c->in_zero_point = 5;
		rq = &c->rq;
		j->size[0] = (u64)s->hw * s->hw * s->cin;
		j->size[1] = (u64)s->cout * s->kk * s->kk * (s->cin / s->groups);
		j->size[2] = 4ULL * s->cout;
		j->size[3] = (u64)c->out_h * c->out_w * s->cout;
	}
	cmd->flags = RM_NPU_MM_BIAS;
	rq->mult = 1518500250;
	rq->shift = -9;
	if (f32) {
		/* the same scale, 1518500250 * 2^-40, as binary32 */
		cmd->flags |= RM_NPU_MM_F32_SCALE;
		rq->mult = 0x3ab504f3;
		rq->shift = 0;
	}
	rq->zero_point = cmd->opcode == RM_NPU_OP_GEMM ? -2 : 7;
	rq->act_min = cmd->opcode == RM_NPU_OP_GEMM ? -128 : 0;
	rq->act_max = cmd->opcode == RM_NPU_OP_GEMM ? 127 : 255;
	for (i = 0; i < NBOS; i++) {
		j->buf[i] = xalloc(j->size[i]);
		for (t = 0; t < j->size[i]; t++)
			j->buf[i][t] = i == 2 ? (t % 4 == 3 ? 0 : rnd8()) :
				       rnd8();
	}
	if (npu_cmd_validate(cmd, j->size, NBOS, ~0ULL)) {
		fprintf(stderr, "ops-bench: %s: command refused\n", s->name);
		exit(1);
	}
}

struct range {
	const struct job *j;
	u8 *const *bo;
	struct npu_ops_ctx ctx;
	const void *packed;
	u64 b, e;
	int ret;
};

static void *range_run(void *arg)
{
	struct range *r = arg;

	r->ret = npu_cmd_exec_ctx(&r->j->cmd, r->bo, &r->ctx, r->packed,
				  r->b, r->e);
	return NULL;
}

/*
 * Worker threads made once (creating a thread per run costs up to a
 * millisecond on some virtual machines): each run is two barriers.
 */
static struct range ranges[MAX_THREADS];
static pthread_barrier_t run_start, run_end;
static bool workers_stop;

static void *worker(void *arg)
{
	struct range *r = arg;

	for (;;) {
		pthread_barrier_wait(&run_start);
		if (workers_stop)
			return NULL;
		range_run(r);
		pthread_barrier_wait(&run_end);
	}
}

/* One timed run over @n threads (1 or nthreads); seconds, < 0 on failure. */
static double run_once(const struct job *j, u8 *const *bo, u32 isa,
		       const void *packed, unsigned int n, void **scratch)
{
	u64 units = npu_cmd_units(&j->cmd), t0, b = 0;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		struct range *r = &ranges[i];
		u64 len = units / n + (i < units % n);

		r->j = j;
		r->bo = bo;
		r->packed = packed;
		r->b = b;
		r->e = b + len;
		b += len;
		if (npu_ctx_init(&r->ctx, isa, scratch[i]))
			return -1;
		r->ctx.tag = 1;
	}
	t0 = now_ns();
	if (n > 1)
		pthread_barrier_wait(&run_start);
	range_run(&ranges[0]);
	if (n > 1)
		pthread_barrier_wait(&run_end);
	t0 = now_ns() - t0;
	for (i = 0; i < n; i++)
		ret |= ranges[i].ret;
	return ret ? -1 : (double)t0 / 1e9;
}

static void figure(const char *shape, const char *isa, const char *suffix,
		   double v)
{
	printf("%s_%s%s %.4g GOPS\n", shape, isa, suffix, v);
	fflush(stdout);
}

static int bench_shape(const struct shape *s, void **scratch, bool f32)
{
	u8 *ref = NULL, *out;
	u8 *bo[NBOS];
	struct job j;
	u32 isa;
	u64 ops;
	int bad = 0;

	job_init(&j, s, f32);
	ops = npu_cmd_ops(&j.cmd);
	out = xalloc(j.size[3]);
	memcpy(bo, j.buf, sizeof(bo));
	bo[3] = out;
	for (isa = NPU_ISA_SCALAR; isa < NPU_ISA_COUNT; isa++) {
		u64 psz = npu_cmd_pack_size(&j.cmd, isa);
		void *packed = psz ? xalloc(psz) : NULL;
		unsigned int mode, k;

		if (!npu_isa_available(isa) ||
		    (only_isa >= 0 && isa != (u32)only_isa))
			continue;
		if (packed)
			npu_cmd_pack(&j.cmd, bo, isa, packed);
		for (mode = 0; mode < 3; mode++) {
			const void *pk = mode == 1 ? packed : NULL;
			unsigned int n = mode == 2 ? nthreads : 1;
			double t[MAX_REPS];
			char sfx[24];

			if ((mode == 1 && !packed) || (mode == 2 && n < 2))
				continue;
			for (k = 0; k <= reps; k++) {
				memset(out, 0, j.size[3]);
				t[k] = run_once(&j, bo, isa, mode == 2 ? packed : pk,
						n, scratch);
				if (t[k] < 0) {
					fprintf(stderr, "ops-bench: %s: run failed\n",
						s->name);
					return 1;
				}
				if (!ref) {
					ref = xalloc(j.size[3]);
					memcpy(ref, out, j.size[3]);
				} else if (memcmp(ref, out, j.size[3])) {
					fprintf(stderr, "ops-bench: %s: %s differs "
						"from scalar\n", s->name,
						npu_isa_name(isa));
					bad = 1;
				}
			}
			/* repetition 0 warms up */
			qsort(t + 1, reps, sizeof(t[0]), cmp_double);
			if (mode == 2)
				snprintf(sfx, sizeof(sfx), "_%ut%s", n,
					 f32 ? "_f32" : "");
			else
				snprintf(sfx, sizeof(sfx), "%s%s",
					 mode == 1 ? "_packed" : "",
					 f32 ? "_f32" : "");
			figure(s->name, npu_isa_name(isa), sfx,
			       (double)ops / t[1 + reps / 2] / 1e9);
		}
		free(packed);
	}
	free(ref);
	free(out);
	for (isa = 0; isa < NBOS; isa++)
		free(j.buf[isa]);
	return bad;
}

int main(int argc, char **argv)
{
	void *scratch[MAX_THREADS];
	pthread_t workers[MAX_THREADS];
	bool quick = false;
	unsigned int i;
	int opt, bad = 0;

	while ((opt = getopt(argc, argv, "r:qt:f:i:F")) != -1) {
		switch (opt) {
		case 'r':
			reps = (unsigned int)strtoul(optarg, NULL, 10);
			if (reps < 1 || reps >= MAX_REPS)
				reps = 5;
			break;
		case 'q':
			quick = true;
			break;
		case 't':
			nthreads = (unsigned int)strtoul(optarg, NULL, 10);
			if (nthreads > MAX_THREADS)
				nthreads = MAX_THREADS;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'i':
			only_isa = npu_isa_from_name(optarg);
			break;
		case 'F':
			with_f32 = true;
			break;
		default:
			fprintf(stderr, "usage: ops-bench [-r REPS] [-q] "
				"[-t THREADS] [-f FILTER] [-i VARIANT] [-F]\n");
			return 2;
		}
	}
	for (i = 0; i < MAX_THREADS; i++)
		scratch[i] = xalloc(NPU_OPS_SCRATCH_SIZE);
	if (nthreads > 1) {
		pthread_barrier_init(&run_start, NULL, nthreads);
		pthread_barrier_init(&run_end, NULL, nthreads);
		for (i = 1; i < nthreads; i++)
			if (pthread_create(&workers[i], NULL, worker,
					   &ranges[i])) {
				fprintf(stderr, "ops-bench: no threads\n");
				return 1;
			}
	}
	printf("# ops-bench: best variant %s, %u reps, medians\n",
	       npu_isa_name(npu_isa_best()), reps);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		if ((quick && !shapes[i].quick) ||
		    (filter && !strstr(shapes[i].name, filter)))
			continue;
		bad |= bench_shape(&shapes[i], scratch, false);
		if (with_f32)
			bad |= bench_shape(&shapes[i], scratch, true);
	}
	if (nthreads > 1) {
		workers_stop = true;
		pthread_barrier_wait(&run_start);
		for (i = 1; i < nthreads; i++)
			pthread_join(workers[i], NULL);
	}
	for (i = 0; i < MAX_THREADS; i++)
		free(scratch[i]);
	return bad;
}
