// SPDX-License-Identifier: MIT
/*
 * model-check - compile real models and check their outputs against a
 * reference (onnxruntime's, stored in ONNX's test layout) in units of the
 * output's quantization step.
 *
 *   model-check [--device SPEC] [--sets N] [--timing] [--explain]
 *               [--outputs] MODEL_DIR...
 *
 * MODEL_DIR holds model.onnx and test_data_set_N/{input_K,output_K}.pb.
 * A float output produced by a final DequantizeLinear is compared in units
 * of that DequantizeLinear's scale (npu-compile records it in the output
 * slot): a set passes when at least 99% of the elements are equal, none
 * differs by more than 2 units and the argmax of every row agrees. Outputs
 * without a recorded scale compare as floats (rtol 1e-3, atol 1e-5).
 *
 * One line per model and set, then "N passed, N failed". --timing adds the
 * cold compile and the warm compile-cache load (a private cache directory
 * under /tmp); --explain prints the compiler's placement; --outputs a
 * line per output (with tools/models/expose.py, which makes every
 * quantized intermediate an output, it finds where a model diverges).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "npuc.h"
#include "npuc_cache.h"

#define MAX_IO		256

static bool per_output;

struct verdict {
	uint64_t n, equal, argmax_rows, argmax_ok;
	double max_units;
	bool quantized;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void compare(const npurt_tensor_desc *d, const float *exp,
		    const float *got, struct verdict *v)
{
	float scale = npurt_tensor_desc_scale(d);
	unsigned int nd = npurt_tensor_desc_ndim(d);
	uint64_t n = npurt_tensor_desc_elements(d), i, row;
	uint64_t cols = nd ? npurt_tensor_desc_dim(d, nd - 1) : 1;

	v->quantized = scale > 0;
	for (i = 0; i < n; i++) {
		double diff = fabs((double)exp[i] - (double)got[i]);
		double u = v->quantized ? diff / scale :
			   diff / (1e-5 + 1e-3 * fabs((double)exp[i]));

		if (isnan(exp[i]) != isnan(got[i]))
			u = 1e30;
		v->equal += v->quantized ? u < 0.5 : u <= 1;
		if (u > v->max_units)
			v->max_units = u;
	}
	v->n += n;
	if (!cols || n / cols * cols != n || cols < 2)
		return;
	for (row = 0; row < n / cols; row++) {
		uint64_t ae = 0, ag = 0, k;

		for (k = 1; k < cols; k++) {
			if (exp[row * cols + k] > exp[row * cols + ae])
				ae = k;
			if (got[row * cols + k] > got[row * cols + ag])
				ag = k;
		}
		v->argmax_rows++;
		/* a tie in the reference accepts either */
		v->argmax_ok += ae == ag ||
				exp[row * cols + ae] == exp[row * cols + ag];
	}
}

static bool passes(const struct verdict *v)
{
	if (!v->quantized)
		return v->equal == v->n;
	return v->equal * 100 >= v->n * 99 && v->max_units < 2.5 &&
	       v->argmax_ok == v->argmax_rows;
}

static int run_set(npurt_runner *r, const char *dir, int set,
		   struct verdict *v, char *why, size_t wl)
{
	npurt_tensor *ins[MAX_IO] = { 0 }, *outs[MAX_IO] = { 0 };
	struct npuc_tensor in[MAX_IO], exp[MAX_IO];
	unsigned int nin = npurt_runner_input_count(r);
	unsigned int nout = npurt_runner_output_count(r), i;
	void *obuf[MAX_IO] = { 0 };
	int ret = 0;

	memset(in, 0, sizeof(in));
	memset(exp, 0, sizeof(exp));
	memset(v, 0, sizeof(*v));
	if (nin > MAX_IO || nout > MAX_IO) {
		snprintf(why, wl, "more than %d inputs or outputs", MAX_IO);
		return -E2BIG;
	}
	for (i = 0; !ret && i < nin; i++) {
		const npurt_tensor_desc *d = npurt_runner_input(r, i);

		ret = npuc_testdata_load(dir, set, "input", (int)i, &in[i]);
		if (!ret && npurt_tensor_desc_size(d) != in[i].nbytes)
			ret = npuc_err(-EINVAL, "input %u: %zu bytes, %llu "
				       "expected", i, in[i].nbytes,
				       (unsigned long long)
				       npurt_tensor_desc_size(d));
		if (!ret)
			ret = npurt_tensor_wrap(d, in[i].data, in[i].nbytes,
						&ins[i]);
	}
	for (i = 0; !ret && i < nout; i++) {
		const npurt_tensor_desc *d = npurt_runner_output(r, i);

		ret = npuc_testdata_load(dir, set, "output", (int)i, &exp[i]);
		if (!ret && (exp[i].elem != NPUC_FLOAT ||
			     npurt_tensor_desc_dtype(d) != NPURT_DTYPE_FLOAT32 ||
			     npurt_tensor_desc_size(d) != exp[i].nbytes))
			ret = npuc_err(-EINVAL, "output %u: not a float32 tensor "
				       "of the expected size", i);
		if (!ret && !(obuf[i] = calloc(1, exp[i].nbytes + 4)))
			ret = -ENOMEM;
		if (!ret)
			ret = npurt_tensor_wrap(d, obuf[i], exp[i].nbytes,
						&outs[i]);
	}
	if (ret)
		snprintf(why, wl, "%s", npuc_last_error()[0] ?
			 npuc_last_error() : npurt_last_error());
	if (!ret) {
		ret = npurt_runner_run(r, ins, outs);
		if (ret)
			snprintf(why, wl, "run: %s", npurt_last_error());
	}
	for (i = 0; !ret && i < nout; i++) {
		struct verdict one;

		memset(&one, 0, sizeof(one));
		compare(npurt_runner_output(r, i), exp[i].data, obuf[i], &one);
		if (per_output)
			printf("    output %-60.60s %7.2f%% equal, max %.0f\n",
			       npurt_tensor_desc_name(npurt_runner_output(r, i)),
			       one.n ? 100.0 * (double)one.equal /
			       (double)one.n : 0, one.max_units);
		compare(npurt_runner_output(r, i), exp[i].data, obuf[i], v);
	}
	for (i = 0; i < MAX_IO; i++) {
		npurt_tensor_destroy(ins[i]);
		npurt_tensor_destroy(outs[i]);
		free(obuf[i]);
		npuc_tensor_release(&in[i]);
		npuc_tensor_release(&exp[i]);
	}
	return ret;
}

/* Cold compile and warm cache load of @path in a private cache. */
static void timing(const char *path, double *cold, double *warm)
{
	char tmpl[] = "/tmp/model-check-cache.XXXXXX", *dir = mkdtemp(tmpl);
	struct npuc_cache_key key = { "cpu", 0xff, "" };
	npurt_program *p = NULL;
	int hit;
	double t;

	*cold = *warm = -1;
	if (!dir)
		return;
	setenv("NPURT_CACHE_DIR", dir, 1);
	t = now_ms();
	if (!npuc_cache_compile_file(path, &key, &p, &hit) && !hit)
		*cold = now_ms() - t;
	npurt_program_destroy(p);
	p = NULL;
	t = now_ms();
	if (!npuc_cache_compile_file(path, &key, &p, &hit) && hit)
		*warm = now_ms() - t;
	npurt_program_destroy(p);
	npuc_cache_clear();
	rmdir(dir);
	unsetenv("NPURT_CACHE_DIR");
}

static int check_model(npurt_runtime *rt, const char *spec, const char *dir,
		       int max_sets, bool do_timing, bool explain, int *pass,
		       int *fail)
{
	char path[4200], why[600] = "", name[256];
	size_t len = strlen(dir);
	const char *base;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(name, sizeof(name), "%.*s", (int)len, dir);
	base = strrchr(name, '/');
	if (base)
		memmove(name, base + 1, strlen(base));
	struct npuc_opts opts = { 0 };
	struct npuc_graph *g = NULL;
	npurt_program *prog = NULL;
	npurt_model *model = NULL;
	npurt_runner *r = NULL;
	struct npuc_stats st;
	double t0 = now_ms(), ms;
	int set, ret;

	snprintf(path, sizeof(path), "%s/model.onnx", dir);
	opts.explain = explain ? stdout : NULL;
	ret = npuc_load_file(path, &g);
	if (!ret)
		ret = npuc_compile_stats(g, &opts, &prog, &st);
	ms = now_ms() - t0;
	if (ret) {
		printf("%-28s %-12s FAIL   not compiled: %s\n", name, spec,
		       npuc_last_error());
		npuc_graph_free(g);
		(*fail)++;
		return ret;
	}
	printf("%-28s %-12s        compiled in %.0f ms: %d nodes, %d on the "
	       "NPU, %d on the CPU; %d commands, %d CPU steps; weights %llu "
	       "bytes, peak scratch %llu bytes (%llu without reuse)\n", name,
	       spec, ms, st.nodes, st.npu_nodes, st.cpu_nodes, st.cmds,
	       st.cpu_steps, (unsigned long long)st.weight_bytes,
	       (unsigned long long)st.scratch_bytes,
	       (unsigned long long)st.scratch_naive);
	npuc_graph_free(g);
	if (do_timing) {
		double cold, warm;

		timing(path, &cold, &warm);
		printf("%-28s %-12s        cold compile %.1f ms, warm cache "
		       "load %.2f ms (warm/cold %.3f)\n", name, spec, cold,
		       warm, cold > 0 ? warm / cold : 0);
	}
	ret = npurt_model_from_program(prog, &model);
	if (!ret)
		ret = npurt_runner_create(rt, model, NULL, &r);
	if (ret) {
		printf("%-28s %-12s FAIL   runtime: %s\n", name, spec,
		       npurt_last_error());
		(*fail)++;
		goto out;
	}
	for (set = 0; max_sets <= 0 || set < max_sets; set++) {
		struct verdict v;
		char sdir[4300];

		snprintf(sdir, sizeof(sdir), "%s/test_data_set_%d", dir, set);
		if (access(sdir, F_OK))
			break;
		t0 = now_ms();
		ret = run_set(r, dir, set, &v, why, sizeof(why));
		ms = now_ms() - t0;
		if (ret) {
			printf("%-28s %-12s FAIL   set %d: %s\n", name, spec, set,
			       why);
			(*fail)++;
			continue;
		}
		printf("%-28s %-12s %-6s set %d: %.2f%% equal, max %.0f %s, "
		       "argmax %llu/%llu rows (%.1f ms)\n", name, spec,
		       passes(&v) ? "pass" : "FAIL", set,
		       v.n ? 100.0 * (double)v.equal / (double)v.n : 0,
		       v.max_units, v.quantized ? "units" : "tolerances",
		       (unsigned long long)v.argmax_ok,
		       (unsigned long long)v.argmax_rows, ms);
		if (passes(&v))
			(*pass)++;
		else
			(*fail)++;
	}
	if (!set) {
		printf("%-28s %-12s FAIL   no test data\n", name, spec);
		(*fail)++;
	}
out:
	npurt_runner_destroy(r);
	npurt_model_destroy(model);
	npurt_program_destroy(prog);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "sets", required_argument, NULL, 's' },
		{ "timing", no_argument, NULL, 't' },
		{ "explain", no_argument, NULL, 'e' },
		{ "outputs", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = "cpu";
	bool do_timing = false, explain = false;
	int c, i, pass = 0, fail = 0, max_sets = 0;
	npurt_runtime *rt = NULL;

	while ((c = getopt_long(argc, argv, "d:s:teo", lo, NULL)) != -1) {
		switch (c) {
		case 'd': spec = optarg; break;
		case 's': max_sets = atoi(optarg); break;
		case 't': do_timing = true; break;
		case 'e': explain = true; break;
		case 'o': per_output = true; break;
		default:
			fprintf(stderr, "usage: model-check [--device SPEC] "
				"[--sets N] [--timing] [--explain] "
				"MODEL_DIR...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "model-check: no MODEL_DIR\n");
		return 2;
	}
	if (npurt_runtime_create(spec, &rt) < 0) {
		fprintf(stderr, "model-check: device \"%s\": %s\n", spec,
			npurt_last_error());
		return 1;
	}
	for (i = optind; i < argc; i++)
		check_model(rt, spec, argv[i], max_sets, do_timing, explain,
			    &pass, &fail);
	npurt_runtime_destroy(rt);
	printf("models on %s: %d passed, %d failed\n", spec, pass, fail);
	return fail ? 1 : 0;
}
