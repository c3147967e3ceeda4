// SPDX-License-Identifier: MIT
/*
 * test_gpu_libm: the CPU steps defined by a math function (SIGMOID, TANH,
 * EXP, ERF, GELU in both forms, POW, SOFTMAX, LOG_SOFTMAX;
 * runtime/PROGRAM_FORMAT.md) on a GPU against cpu, over millions of
 * values. Both evaluate the binary64 function and round once, but CUDA's
 * and glibc's last binary64 bits differ, so the binary32 bytes may too
 * where a value lies next to a rounding boundary: every element must be
 * within 4 units in the last place (NaN for NaN, +0 and -0 one apart),
 * and the table says how many differ at all. Inputs: the edges of binary32
 * (zeros, infinities, NaN, subnormals, the largest finite; POW: negative
 * bases with integral exponents, pow(-0, -3), pow(-1, inf), pow(NaN, 0)),
 * then values of |x| < 64. Each step is a one-step program run through
 * the public API with NPURT_GPU_STEPS=1 and NPURT_GPU_LIBM=1 (the step
 * on the GPU although its input comes from the host); the profiler's
 * trace must show it ran there.
 *
 *   test_gpu_libm [-d SPEC] [-n ELEMENTS]
 *
 * Exit status 0 within the bound, 1 not, 77 no usable GPU (skipped).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npurt.h"

#define MAX_ULPS	4

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Values over the functions' interesting ranges: |x| < 2^k, k 0..6 */
static float rnd_val(void)
{
	return (float)(int32_t)rnd() / 2147483648.0f * (float)(1 << rnd() % 7);
}

static int64_t ulp_line(float f)
{
	int32_t i;

	memcpy(&i, &f, sizeof(i));
	return i < 0 ? -(int64_t)(i & 0x7fffffff) : i;
}

/* Units apart: NaN equals NaN, +0 and -0 are 1 apart. */
static int64_t units(float a, float b)
{
	int64_t d;

	if (!memcmp(&a, &b, 4))
		return 0;
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b) ? 0 : INT32_MAX;
	d = llabs(ulp_line(a) - ulp_line(b));
	return d ? d : 1;
}

/* Pairs (x, e) from the edges of binary32; e is POW's exponent. */
static const uint32_t edges[][2] = {
	{ 0x00000000, 0x3f800000 }, { 0x80000000, 0xc0400000 },
	{ 0x7f800000, 0x3f000000 }, { 0xff800000, 0x40400000 },
	{ 0x7fc00000, 0x00000000 }, { 0x00000001, 0x3f800000 },
	{ 0x807fffff, 0x40000000 }, { 0x7f7fffff, 0x3f800000 },
	{ 0xff7fffff, 0x40000000 }, { 0x3f800000, 0x7f800000 },
	{ 0xbf800000, 0x7f800000 }, { 0xc0000000, 0x40400000 },
	{ 0xc0000000, 0xc0400000 }, { 0xc1200000, 0x41000000 },
	{ 0xbf000000, 0x3f000000 }, { 0x80000000, 0x3f000000 },
	{ 0x42b17218, 0x3f800000 }, { 0xc2ce8ed0, 0x3f800000 },
	{ 0x41100000, 0x42c80000 }, { 0x3f800001, 0x4b000000 },
};
#define N_EDGES	(sizeof(edges) / sizeof(edges[0]))

/* Whether the trace at @path shows step @name run on a GPU. */
static bool ran_on_gpu(const char *path, const char *name)
{
	char want[64], *buf;
	size_t n;
	bool ok;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	buf = malloc(1 << 20);
	n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf)
		return false;
	buf[n] = 0;
	snprintf(want, sizeof(want), "CPU step 0 %s on cuda:", name);
	ok = strstr(buf, want) != NULL;
	free(buf);
	return ok;
}

struct step_case {
	const char *name;
	uint32_t opcode;
	int64_t p0;		/* GELU: the tanh form */
	uint64_t len;		/* SOFTMAX: the row */
};

static const struct step_case cases[] = {
	{ "SIGMOID", NPURT_CPU_SIGMOID, 0, 0 },
	{ "TANH", NPURT_CPU_TANH, 0, 0 },
	{ "EXP", NPURT_CPU_EXP, 0, 0 },
	{ "ERF", NPURT_CPU_ERF, 0, 0 },
	{ "GELU", NPURT_CPU_GELU, 0, 0 },
	{ "GELU tanh", NPURT_CPU_GELU, 1, 0 },
	{ "POW", NPURT_CPU_POW, 0, 0 },
	{ "SOFTMAX", NPURT_CPU_SOFTMAX, 0, 1000 },
	{ "LOG_SOFTMAX", NPURT_CPU_LOG_SOFTMAX, 0, 1000 },
};

static struct npurt_tensor_info tensor(const char *name, uint64_t n)
{
	struct npurt_tensor_info t;

	memset(&t, 0, sizeof(t));
	t.name = name;
	t.dtype = NPURT_DTYPE_FLOAT32;
	t.ndim = 1;
	t.dims[0] = n;
	return t;
}

/* A program of the one step of @c over @n elements. */
static int build(const struct step_case *c, uint64_t n, npurt_model **m)
{
	struct npurt_tensor_info t = tensor("x", n);
	npurt_program_builder *b = NULL;
	npurt_program *prog = NULL;
	struct npurt_cpu_op op;
	int x, x2 = -1, y, ret;

	ret = npurt_program_builder_create("libm", &b);
	if (ret)
		return ret;
	x = npurt_program_builder_add_input(b, &t);
	if (c->opcode == NPURT_CPU_POW) {
		t = tensor("e", n);
		x2 = npurt_program_builder_add_input(b, &t);
	}
	t = tensor("y", n);
	y = npurt_program_builder_add_output(b, &t);
	memset(&op, 0, sizeof(op));
	op.opcode = c->opcode;
	op.in[0] = (struct npurt_cpu_ref){ (uint32_t)x, NPURT_DTYPE_FLOAT32, 0,
					   n };
	op.in[1].slot = op.in[2].slot = NPURT_CPU_NONE;
	op.out = (struct npurt_cpu_ref){ (uint32_t)y, NPURT_DTYPE_FLOAT32, 0,
					 n };
	if (c->opcode == NPURT_CPU_POW) {
		op.in[1] = (struct npurt_cpu_ref){ (uint32_t)x2,
						   NPURT_DTYPE_FLOAT32, 0, n };
		op.p[0] = 1;		/* rank 1, both dense */
		op.p[1] = (int64_t)n;
		op.p[7] = op.p[13] = 1;
	} else if (c->len) {
		op.p[0] = (int64_t)(n / c->len);
		op.p[1] = (int64_t)c->len;
		op.p[2] = 1;
	} else {
		op.p[0] = c->p0;
	}
	ret = npurt_program_builder_add_cpu_op(b, &op);
	if (ret >= 0)
		ret = npurt_program_builder_finish(b, &prog);
	npurt_program_builder_destroy(b);
	if (!ret)
		ret = npurt_model_from_program(prog, m);
	npurt_program_destroy(prog);
	return ret;
}

/* Runs @m on @rt: inputs @x (and @e), output @y. */
static int run(npurt_runtime *rt, npurt_model *m, float *x, float *e,
	       float *y, uint64_t n)
{
	npurt_tensor *ins[2] = { NULL, NULL }, *outs[1] = { NULL };
	npurt_runner *r = NULL;
	int ret;

	ret = npurt_runner_create(rt, m, NULL, &r);
	if (!ret)
		ret = npurt_tensor_wrap(npurt_runner_input(r, 0), x, 4 * n,
					&ins[0]);
	if (!ret && e)
		ret = npurt_tensor_wrap(npurt_runner_input(r, 1), e, 4 * n,
					&ins[1]);
	if (!ret)
		ret = npurt_tensor_wrap(npurt_runner_output(r, 0), y, 4 * n,
					&outs[0]);
	if (!ret)
		ret = npurt_runner_run(r, ins, outs);
	npurt_tensor_destroy(ins[0]);
	npurt_tensor_destroy(ins[1]);
	npurt_tensor_destroy(outs[0]);
	npurt_runner_destroy(r);
	return ret;
}

int main(int argc, char **argv)
{
	const char *spec = "cuda:0";
	uint64_t n = 1u << 22, i;
	npurt_runtime *cpu = NULL, *gpu = NULL;
	char trace[] = "/tmp/test_gpu_libm.XXXXXX";
	float *x, *e, *yc, *yg;
	unsigned int k;
	int c, ret, fd, bad = 0;

	while ((c = getopt(argc, argv, "d:n:")) != -1) {
		switch (c) {
		case 'd': spec = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: test_gpu_libm [-d SPEC] "
				"[-n ELEMENTS]\n");
			return 2;
		}
	}
	n = n / 1000 * 1000;
	if (!n)
		n = 1000;
	setenv("NPURT_GPU_STEPS", "1", 1);
	setenv("NPURT_GPU_LIBM", "1", 1);
	ret = npurt_runtime_create(spec, &gpu);
	if (ret) {
		printf("test_gpu_libm: %s: %s: skipped\n", spec,
		       npurt_last_error());
		return ret == -ENODEV ? 77 : 1;
	}
	if (npurt_runtime_create("cpu", &cpu)) {
		fprintf(stderr, "test_gpu_libm: cpu: %s\n", npurt_last_error());
		npurt_runtime_destroy(gpu);
		return 1;
	}
	x = malloc(4 * n);
	e = malloc(4 * n);
	yc = malloc(4 * n);
	yg = malloc(4 * n);
	fd = mkstemp(trace);
	if (!x || !e || !yc || !yg || fd < 0) {
		fprintf(stderr, "test_gpu_libm: out of memory or no temp file\n");
		bad = 1;
		goto out;
	}
	close(fd);
	printf("%-12s %10s %10s %6s\n", "step", "elements", "differ",
	       "units");
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct step_case *sc = &cases[k];
		bool pw = sc->opcode == NPURT_CPU_POW;
		uint64_t diff = 0;
		int64_t most = 0, d;
		npurt_model *m = NULL;

		for (i = 0; i < n; i++) {
			x[i] = rnd_val();
			/* POW: exponents within +-8; negative bases with
			 * integral ones */
			e[i] = rnd_val() / 8;
			if (pw && x[i] < 0)
				e[i] = nearbyintf(e[i]);
		}
		/* the edges in the first row, as (x, e) pairs */
		for (i = 0; i < N_EDGES && i < n; i++) {
			memcpy(&x[i], &edges[i][0], 4);
			memcpy(&e[i], &edges[i][1], 4);
		}
		ret = build(sc, n, &m);
		if (!ret)
			ret = run(cpu, m, x, pw ? e : NULL, yc, n);
		if (!ret)
			ret = npurt_profiler_start(gpu, trace);
		if (!ret) {
			ret = run(gpu, m, x, pw ? e : NULL, yg, n);
			if (npurt_profiler_stop(gpu) && !ret)
				ret = -EIO;
		}
		npurt_model_destroy(m);
		if (ret) {
			printf("%-12s FAIL: %s: %s\n", sc->name,
			       npurt_strerror(ret), npurt_last_error());
			bad = 1;
			continue;
		}
		if (!ran_on_gpu(trace, npurt_cpu_op_name(sc->opcode))) {
			printf("%-12s FAIL: the step did not run on %s\n",
			       sc->name, spec);
			bad = 1;
			continue;
		}
		for (i = 0; i < n; i++) {
			d = units(yc[i], yg[i]);
			most = d > most ? d : most;
			diff += d != 0;
		}
		printf("%-12s %10llu %10llu %6lld%s\n", sc->name,
		       (unsigned long long)n, (unsigned long long)diff,
		       (long long)most, most > MAX_ULPS ? "  FAIL" : "");
		bad |= most > MAX_ULPS;
	}
out:
	if (fd >= 0)
		unlink(trace);
	free(x);
	free(e);
	free(yc);
	free(yg);
	npurt_runtime_destroy(cpu);
	npurt_runtime_destroy(gpu);
	printf("test_gpu_libm: %s\n", bad ? "FAILED" : "all within 4 units");
	return bad;
}
