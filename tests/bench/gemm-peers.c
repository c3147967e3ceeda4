// SPDX-License-Identifier: MIT
/*
 * gemm-peers: int8 GEMM of libnpurt's CPU backend against oneDNN's matmul,
 * the peer of `make bench` (tests/bench/run-peers), on the host. Prints
 * one figure per line, "name value unit", and notes starting with "# ".
 *
 *   gemm-peers [-r REPS] [-t SECONDS] [-q]
 *
 * For DIM in 512 and 1024: C (int32, DIM x DIM) = A (uint8, DIM x DIM) x
 * B (int8, DIM x DIM), no zero points, both row-major:
 *   - oneDNN (Debian's libdnnl, a benchmark-only dependency): a matmul
 *     primitive u8 x s8 -> s32, B reordered once into the layout the
 *     primitive wants (as a framework does at load), OpenMP threads set to
 *     1 and to 2;
 *   - libnpurt: a one-command program (GEMM, UINT8 x INT8 -> INT32) run by
 *     npurt_runner_run() on cpu(1) and cpu(2).
 * Every variant computes C once before timing and the four results must
 * be identical (exit 1 otherwise). Each repetition runs the variants
 * interleaved, each for SECONDS / REPS (default 2 s in all, at least one
 * run); figures are medians over REPS (default 5):
 *
 *   gemmDIM_s32_onednn_1t, gemmDIM_s32_onednn_2t   GOPS
 *   gemmDIM_s32_cpu1, gemmDIM_s32_cpu2             GOPS
 *   gemmDIM_s32_cpu1_vs_onednn_1t                  cpu1 / onednn_1t, x
 *   gemmDIM_s32_cpu2_vs_onednn_2t                  x
 *
 * GOPS counts two operations per multiply-accumulate. -q: 1024 skipped.
 * Run with OMP_WAIT_POLICY=PASSIVE (run-peers does), so that oneDNN's idle
 * OpenMP threads do not spin through the libnpurt runs beside them.
 */
#include <errno.h>
#include <omp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dnnl.h>

#include <npurt.h>

#define MAX_REPS	64

static unsigned int reps = 5;
static double secs = 2.0;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "gemm-peers: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void dnnl_must(dnnl_status_t st, const char *what)
{
	if (st != dnnl_success)
		die("oneDNN: %s failed (status %d)", what, (int)st);
}

static void npurt_must(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s (%s)", what, npurt_strerror(ret),
		    npurt_last_error());
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static void figure(const char *name, double value, const char *unit)
{
	printf("%s %.6g %s\n", name, value, unit);
	fflush(stdout);
}

/* ---- one variant: a run function over its state ------------------------ */

struct variant {
	const char *name;
	void (*run)(struct variant *v);
	int threads;
	int32_t *c;			/* its result */
	/* oneDNN */
	dnnl_stream_t stream;
	dnnl_primitive_t prim;
	dnnl_exec_arg_t args[3];
	/* libnpurt */
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *runner;
	npurt_tensor *in, *out;
};

static void onednn_run(struct variant *v)
{
	omp_set_num_threads(v->threads);
	dnnl_must(dnnl_primitive_execute(v->prim, v->stream, 3, v->args),
		  "execute");
	dnnl_must(dnnl_stream_wait(v->stream), "stream wait");
}

static void npurt_run(struct variant *v)
{
	npurt_must(npurt_runner_run(v->runner, &v->in, &v->out), v->name);
}

/* ---- oneDNN --------------------------------------------------------------- */

struct onednn {
	dnnl_engine_t eng;
	dnnl_stream_t stream;
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t prim;
	dnnl_memory_t a, b, c;
};

static void onednn_init(struct onednn *o, int64_t dim, uint8_t *a,
			int8_t *b, int32_t *c)
{
	dnnl_dims_t dims = { dim, dim };
	dnnl_memory_desc_t a_md, b_md, b_any, c_md;
	const dnnl_memory_desc_t *w_md;
	dnnl_primitive_desc_t rpd;
	dnnl_primitive_t reorder;
	dnnl_memory_t b_user;
	dnnl_matmul_desc_t mm;
	dnnl_exec_arg_t rargs[2];

	dnnl_must(dnnl_engine_create(&o->eng, dnnl_cpu, 0), "engine");
	dnnl_must(dnnl_stream_create(&o->stream, o->eng,
				     dnnl_stream_default_flags), "stream");
	dnnl_must(dnnl_memory_desc_init_by_tag(&a_md, 2, dims, dnnl_u8,
					       dnnl_ab), "A desc");
	dnnl_must(dnnl_memory_desc_init_by_tag(&b_md, 2, dims, dnnl_s8,
					       dnnl_ab), "B desc");
	dnnl_must(dnnl_memory_desc_init_by_tag(&b_any, 2, dims, dnnl_s8,
					       dnnl_format_tag_any), "B any");
	dnnl_must(dnnl_memory_desc_init_by_tag(&c_md, 2, dims, dnnl_s32,
					       dnnl_ab), "C desc");
	dnnl_must(dnnl_matmul_desc_init(&mm, &a_md, &b_any, NULL, &c_md),
		  "matmul desc");
	dnnl_must(dnnl_primitive_desc_create(&o->pd, &mm, NULL, o->eng, NULL),
		  "matmul primitive desc");
	dnnl_must(dnnl_primitive_create(&o->prim, o->pd), "matmul");
	w_md = dnnl_primitive_desc_query_md(o->pd, dnnl_query_weights_md, 0);

	dnnl_must(dnnl_memory_create(&o->a, &a_md, o->eng, a), "A");
	dnnl_must(dnnl_memory_create(&o->c, &c_md, o->eng, c), "C");
	dnnl_must(dnnl_memory_create(&b_user, &b_md, o->eng, b), "B");
	dnnl_must(dnnl_memory_create(&o->b, w_md, o->eng,
				     DNNL_MEMORY_ALLOCATE), "B packed");
	/* The weights into the primitive's layout, once. */
	dnnl_must(dnnl_reorder_primitive_desc_create(&rpd, &b_md, o->eng,
						     w_md, o->eng, NULL),
		  "reorder desc");
	dnnl_must(dnnl_primitive_create(&reorder, rpd), "reorder");
	rargs[0] = (dnnl_exec_arg_t){ DNNL_ARG_FROM, b_user };
	rargs[1] = (dnnl_exec_arg_t){ DNNL_ARG_TO, o->b };
	dnnl_must(dnnl_primitive_execute(reorder, o->stream, 2, rargs),
		  "reorder");
	dnnl_must(dnnl_stream_wait(o->stream), "reorder wait");
	dnnl_primitive_destroy(reorder);
	dnnl_primitive_desc_destroy(rpd);
	dnnl_memory_destroy(b_user);
}

static void onednn_fini(struct onednn *o)
{
	dnnl_memory_destroy(o->a);
	dnnl_memory_destroy(o->b);
	dnnl_memory_destroy(o->c);
	dnnl_primitive_destroy(o->prim);
	dnnl_primitive_desc_destroy(o->pd);
	dnnl_stream_destroy(o->stream);
	dnnl_engine_destroy(o->eng);
}

static void onednn_variant(struct variant *v, struct onednn *o, int threads,
			   int32_t *c, const char *name)
{
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->run = onednn_run;
	v->threads = threads;
	v->c = c;
	v->stream = o->stream;
	v->prim = o->prim;
	v->args[0] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, o->a };
	v->args[1] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, o->b };
	v->args[2] = (dnnl_exec_arg_t){ DNNL_ARG_DST, o->c };
}

/* ---- libnpurt ------------------------------------------------------------- */

/* A program of one command: c = a (UINT8) x b (INT8 weights), INT32. */
static npurt_model *npurt_gemm_model(uint32_t dim, const int8_t *b)
{
	struct npurt_tensor_info t = { .ndim = 2, .dims = { dim, dim },
				       .scale = 1.0f };
	npurt_program_builder *pb;
	npurt_program *prog;
	npurt_model *m;
	struct rm_npu_cmd cmd;
	int sa, sb, sc;

	npurt_must(npurt_program_builder_create("gemm", &pb), "builder");
	t.name = "a";
	t.dtype = NPURT_DTYPE_UINT8;
	sa = npurt_program_builder_add_input(pb, &t);
	t.name = "b";
	t.dtype = NPURT_DTYPE_INT8;
	sb = npurt_program_builder_add_weights(pb, &t, b, (size_t)dim * dim);
	t.name = "c";
	t.dtype = NPURT_DTYPE_INT32;
	sc = npurt_program_builder_add_output(pb, &t);
	npurt_must(sa < 0 ? sa : sb < 0 ? sb : sc, "slots");
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_GEMM;
	cmd.gemm.a.bo = (uint32_t)sa;
	cmd.gemm.b.bo = (uint32_t)sb;
	cmd.gemm.out.bo = (uint32_t)sc;
	cmd.gemm.m = cmd.gemm.n = cmd.gemm.k = dim;
	cmd.gemm.lda = cmd.gemm.ldb = cmd.gemm.ldo = dim;
	cmd.gemm.a_dtype = RM_NPU_DT_UINT8;
	cmd.gemm.out_dtype = RM_NPU_DT_INT32;
	npurt_must(npurt_program_builder_add_cmd(pb, &cmd), "GEMM");
	npurt_must(npurt_program_builder_finish(pb, &prog), "finish");
	npurt_program_builder_destroy(pb);
	npurt_must(npurt_model_from_program(prog, &m), "model");
	npurt_program_destroy(prog);
	return m;
}

static void npurt_variant(struct variant *v, npurt_model *m, int threads,
			  uint8_t *a, size_t a_size, int32_t *c, size_t c_size,
			  const char *name)
{
	struct npurt_runner_opts o = { .worker_num = 1 };
	char spec[16];

	memset(v, 0, sizeof(*v));
	v->name = name;
	v->run = npurt_run;
	v->threads = threads;
	v->c = c;
	snprintf(spec, sizeof(spec), "cpu(%d)", threads);
	npurt_must(npurt_runtime_create(spec, &v->rt), spec);
	npurt_must(npurt_runner_create(v->rt, m, &o, &v->runner), spec);
	npurt_must(npurt_tensor_wrap(npurt_runner_input(v->runner, 0), a,
				     a_size, &v->in), "wrap a");
	npurt_must(npurt_tensor_wrap(npurt_runner_output(v->runner, 0), c,
				     c_size, &v->out), "wrap c");
}

static void npurt_variant_fini(struct variant *v)
{
	npurt_tensor_destroy(v->in);
	npurt_tensor_destroy(v->out);
	npurt_runner_destroy(v->runner);
	npurt_runtime_destroy(v->rt);
}

/* ---- the comparison ------------------------------------------------------- */

enum { V_ONEDNN1, V_CPU1, V_ONEDNN2, V_CPU2, V_N };

/* Runs @v for about @s seconds (at least once); returns GOPS. */
static double timed(struct variant *v, double ops, double s)
{
	double t0 = now_s(), t;
	unsigned int n = 0;

	do {
		v->run(v);
		n++;
		t = now_s() - t0;
	} while (t < s);
	return ops * n / t / 1e9;
}

static void bench_dim(uint32_t dim)
{
	static const char *const names[V_N] = { "onednn_1t", "cpu1",
						"onednn_2t", "cpu2" };
	size_t nn = (size_t)dim * dim;
	uint8_t *a = aligned_alloc(64, nn);
	int8_t *b = aligned_alloc(64, nn);
	int32_t *c[V_N];
	static double g[V_N][MAX_REPS];
	double ops = 2.0 * dim * dim * dim, m[V_N];
	struct variant v[V_N];
	struct onednn o;
	npurt_model *model;
	char name[64];
	unsigned int i, k;
	uint32_t x = 0x2545f491u;

	if (!a || !b)
		die("out of memory");
	for (i = 0; i < V_N; i++) {
		c[i] = aligned_alloc(64, nn * 4);
		if (!c[i])
			die("out of memory");
		memset(c[i], 0, nn * 4);
	}
	for (i = 0; i < nn; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		a[i] = (uint8_t)x;
		b[i] = (int8_t)(x >> 8);
	}

	onednn_init(&o, dim, a, b, c[V_ONEDNN1]);
	model = npurt_gemm_model(dim, b);
	onednn_variant(&v[V_ONEDNN1], &o, 1, c[V_ONEDNN1], names[V_ONEDNN1]);
	onednn_variant(&v[V_ONEDNN2], &o, 2, c[V_ONEDNN1], names[V_ONEDNN2]);
	npurt_variant(&v[V_CPU1], model, 1, a, nn, c[V_CPU1], nn * 4,
		      names[V_CPU1]);
	npurt_variant(&v[V_CPU2], model, 2, a, nn, c[V_CPU2], nn * 4,
		      names[V_CPU2]);

	/* One run each: the results must agree to the bit. */
	for (i = 0; i < V_N; i++)
		v[i].run(&v[i]);
	if (memcmp(c[V_ONEDNN1], c[V_CPU1], nn * 4) ||
	    memcmp(c[V_ONEDNN1], c[V_CPU2], nn * 4))
		die("GEMM %u: libnpurt's and oneDNN's results differ", dim);

	for (k = 0; k < reps; k++)
		for (i = 0; i < V_N; i++)
			g[i][k] = timed(&v[i], ops, secs / reps / V_N);
	for (i = 0; i < V_N; i++) {
		m[i] = median(g[i], reps);
		snprintf(name, sizeof(name), "gemm%u_s32_%s", dim, names[i]);
		figure(name, m[i], "GOPS");
	}
	snprintf(name, sizeof(name), "gemm%u_s32_cpu1_vs_onednn_1t", dim);
	figure(name, m[V_CPU1] / m[V_ONEDNN1], "x");
	snprintf(name, sizeof(name), "gemm%u_s32_cpu2_vs_onednn_2t", dim);
	figure(name, m[V_CPU2] / m[V_ONEDNN2], "x");

	npurt_variant_fini(&v[V_CPU1]);
	npurt_variant_fini(&v[V_CPU2]);
	npurt_model_destroy(model);
	onednn_fini(&o);
	for (i = 0; i < V_N; i++)
		free(c[i]);
	free(a);
	free(b);
}

int main(int argc, char **argv)
{
	const dnnl_version_t *dv = dnnl_version();
	const char *wait = getenv("OMP_WAIT_POLICY");
	int opt, quick = 0;

	while ((opt = getopt(argc, argv, "r:t:q")) != -1) {
		switch (opt) {
		case 'r':
			reps = (unsigned int)strtoul(optarg, NULL, 10);
			if (reps < 1 || reps > MAX_REPS)
				die("-r: 1..%d", MAX_REPS);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			if (!(secs > 0))
				die("-t: seconds > 0");
			break;
		case 'q':
			quick = 1;
			break;
		default:
			fprintf(stderr, "usage: gemm-peers [-r REPS] [-t SECONDS] [-q]\n");
			return 2;
		}
	}
	printf("# gemm-peers: libnpurt %s cpu(1), cpu(2) vs oneDNN %d.%d.%d (%s, OMP_WAIT_POLICY=%s); u8 x s8 -> s32; %u reps, medians\n",
	       npurt_version_string(), dv->major, dv->minor, dv->patch,
	       dv->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "threads",
	       wait ? wait : "default", reps);
	bench_dim(512);
	if (!quick)
		bench_dim(1024);
	return 0;
}
