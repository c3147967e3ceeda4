// SPDX-License-Identifier: MIT
/*
 * npuc-bench - npu-compile's figures, as "name value unit" lines (notes
 * start with "# "), like tests/bench/npu-bench:
 *
 *   npuc-bench [-r REPS] [-t SECONDS] MODEL.onnx
 *
 *   npuc_compile_ms        import + lowering of MODEL (median of REPS)
 *   npuc_cache_load_ms     npuc_cache_compile_file() on a warm cache (median)
 *   npuc_infer_<dev>       inferences/s of the compiled MODEL through
 *                          libnpurt on cpu, npu0pe0 and warboy(2)*1 (those
 *                          that exist; others get a "# " note)
 *
 * MODEL is a small quantized CNN (gen-models.py's qop_cnn.onnx). The cache
 * lives in a temporary NPURT_CACHE_DIR. Timings never fail: exit 1 only on
 * errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "npuc.h"
#include "npuc_cache.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int infer(const char *spec, const char *label, npurt_program *prog,
		 double secs)
{
	npurt_runtime *rt = NULL;
	npurt_model *model = NULL;
	npurt_runner *runner = NULL;
	npurt_tensor *in = NULL, *out = NULL;
	const npurt_tensor_desc *di, *dout;
	uint8_t *ib = NULL, *ob = NULL;
	size_t isz, osz, k;
	double t0, t;
	long n = 0;
	int ret;

	if (npurt_runtime_create(spec, &rt) < 0) {
		printf("# %s: not available (%s)\n", spec, npurt_last_error());
		return 0;
	}
	ret = npurt_model_from_program(prog, &model);
	if (!ret)
		ret = npurt_runner_create(rt, model, NULL, &runner);
	if (ret)
		goto out;
	di = npurt_runner_input(runner, 0);
	dout = npurt_runner_output(runner, 0);
	isz = npurt_tensor_desc_size(di);
	osz = npurt_tensor_desc_size(dout);
	ib = malloc(isz);
	ob = malloc(osz);
	if (!ib || !ob) {
		ret = -ENOMEM;
		goto out;
	}
	for (k = 0; k < isz; k++)
		ib[k] = (uint8_t)(k * 131 + 7);
	ret = npurt_tensor_wrap(di, ib, isz, &in);
	if (!ret)
		ret = npurt_tensor_wrap(dout, ob, osz, &out);
	if (!ret)
		ret = npurt_runner_run(runner, &in, &out);	/* warm-up */
	t0 = now_ms();
	t = t0;
	while (!ret && t - t0 < secs * 1e3) {
		ret = npurt_runner_run(runner, &in, &out);
		n++;
		t = now_ms();
	}
	if (!ret)
		printf("npuc_infer_%s %.1f inf/s\n", label,
		       (double)n * 1e3 / (t - t0));
out:
	if (ret)
		fprintf(stderr, "npuc-bench: %s: %s\n", spec, npurt_last_error());
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	free(ib);
	free(ob);
	npurt_runner_destroy(runner);
	npurt_model_destroy(model);
	npurt_runtime_destroy(rt);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct { const char *spec, *label; } devs[] = {
		{ "cpu", "cpu" }, { "npu0pe0", "npu0pe0" },
		{ "warboy(2)*1", "fused_pair" },
	};
	struct npuc_cache_key key = { "cpu", 0xff, "" };
	char dir[] = "/tmp/npuc-bench.XXXXXX";
	int c, i, reps = 20, fail = 0, hit;
	double secs = 1.0, *v;
	npurt_program *prog = NULL;
	uint8_t *buf;
	size_t len = 0;
	struct stat st;
	FILE *fp;

	while ((c = getopt(argc, argv, "r:t:dq")) != -1) {
		switch (c) {
		case 'r': reps = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'd': case 'q': break;	/* npu-bench's, accepted */
		default:
			fprintf(stderr, "usage: npuc-bench [-r REPS] [-t SECONDS] "
				"MODEL.onnx\n");
			return 2;
		}
	}
	if (optind != argc - 1 || reps < 1) {
		fprintf(stderr, "usage: npuc-bench [-r REPS] [-t SECONDS] "
			"MODEL.onnx\n");
		return 2;
	}
	fp = fopen(argv[optind], "rb");
	if (!fp || fstat(fileno(fp), &st) || !(buf = malloc((size_t)st.st_size)) ||
	    (len = fread(buf, 1, (size_t)st.st_size, fp)) != (size_t)st.st_size) {
		fprintf(stderr, "npuc-bench: %s: cannot read\n", argv[optind]);
		return 1;
	}
	fclose(fp);
	v = calloc((size_t)reps, sizeof(*v));
	if (!v || !mkdtemp(dir))
		return 1;
	setenv("NPURT_CACHE_DIR", dir, 1);
	printf("# npuc-bench: %s (%zu bytes), %d reps, npu-compile %s\n",
	       argv[optind], len, reps, NPUC_VERSION);

	for (i = 0; i < reps; i++) {
		struct npuc_graph *g = NULL;
		double t0 = now_ms();

		if (npuc_load_memory(buf, len, &g) ||
		    npuc_compile(g, NULL, &prog)) {
			fprintf(stderr, "npuc-bench: %s\n", npuc_last_error());
			return 1;
		}
		v[i] = now_ms() - t0;
		npuc_graph_free(g);
		if (i < reps - 1) {
			npurt_program_destroy(prog);
			prog = NULL;
		}
	}
	printf("npuc_compile_ms %.3f ms\n", median(v, reps));
	printf("# %u commands\n", npurt_program_cmd_count(prog));

	for (i = -1; i < reps; i++) {		/* i == -1: the miss */
		npurt_program *p = NULL;
		double t0 = now_ms();

		if (npuc_cache_compile_file(argv[optind], &key, &p, &hit)) {
			fprintf(stderr, "npuc-bench: %s\n", npuc_last_error());
			return 1;
		}
		if (i >= 0) {
			v[i] = now_ms() - t0;
			if (!hit)
				fprintf(stderr, "npuc-bench: warm cache missed\n");
		}
		npurt_program_destroy(p);
	}
	printf("npuc_cache_load_ms %.3f ms\n", median(v, reps));
	npuc_cache_clear();
	rmdir(dir);

	for (i = 0; i < 3; i++)
		fail |= infer(devs[i].spec, devs[i].label, prog, secs) != 0;
	npurt_program_destroy(prog);
	free(v);
	free(buf);
	return fail;
}
