// SPDX-License-Identifier: MIT
/*
 * test_rt_mixed.c - programs that mix NPU commands and CPU steps
 * (npu-compile's CPU fallback, issue #6 item 3) on real NPU PEs, in the VM
 * with the default module parameters (one warboy NPU, two PEs).
 *
 * The models are gen-models.py's, staged with their precompiled programs
 * into /tests/vm/mixed/ by tools/npu-compile/build.mk:
 *  - float_cnn: f32 -> CPU QUANTIZE -> NPU CONV2D -> CPU DEQUANTIZE ->
 *    CPU SOFTMAX -> f32;
 *  - mixed_mlp: f32 -> CPU QUANTIZE -> NPU GEMM -> CPU DEQUANTIZE, SIGMOID,
 *    QUANTIZE -> NPU GEMM -> CPU DEQUANTIZE -> f32 (CPU steps between two
 *    NPU commands).
 * Each is loaded both as .onnx (npurt_model_load through the compiler
 * plugin libnpuc.so.1, with a private NPURT_CACHE_DIR) and as .npuprog,
 * run on cpu, npu0pe0 and warboy(2)*1 with several deterministic inputs:
 *  - every device and both forms give the bytes of the CPU backend;
 *  - the PEs' jobs_completed grew by at least one job per NPU segment and
 *    run (the NPU parts ran on the device, not on a CPU fallback);
 *  - device memory and buffer objects return to 0 after destroy.
 * Skips (77) when the models were not staged (compiler not built).
 */
#include <dirent.h>
#include <math.h>

#include "test_util.h"
#include <npurt.h>

#define MIXED_DIR	"/tests/vm/mixed"
#define RUNS		5
#define MAX_BYTES	4096

static const char *const models[] = { "float_cnn", "mixed_mlp" };
static const char *const forms[] = { "onnx", "npuprog" };
static const char *const specs[] = { "cpu", "npu0pe0", "warboy(2)*1" };
#define NMODELS	(sizeof(models) / sizeof(models[0]))
#define NFORMS	(sizeof(forms) / sizeof(forms[0]))
#define NSPECS	(sizeof(specs) / sizeof(specs[0]))

static char cache_dir[64];
static const char *dir = MIXED_DIR;

/* What a test holds; released by teardown() whatever happened. */
static struct {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *r;
	npurt_tensor *in, *out;
} cur;

static void cur_release(void)
{
	npurt_tensor_destroy(cur.in);
	npurt_tensor_destroy(cur.out);
	npurt_runner_destroy(cur.r);
	npurt_model_destroy(cur.model);
	npurt_runtime_destroy(cur.rt);
	memset(&cur, 0, sizeof(cur));
}

static int teardown(void **state)
{
	cur_release();
	return npu_close_fds(state);
}

static void must(int ret, const char *what, const char *spec)
{
	if (ret < 0)
		fail_msg("%s on %s: %s (%s)", what, spec, npurt_strerror(ret),
			 npurt_last_error());
}

/* Deterministic inputs: floats uniform in [-3.5, 3.5), per model and run. */
static void make_input(float *x, size_t n, unsigned int seed)
{
	uint32_t s = 0x9e3779b9u ^ (seed * 2654435761u);
	size_t i;

	for (i = 0; i < n; i++) {
		s = s * 1664525u + 1013904223u;
		x[i] = (float)((s >> 8) & 0xffff) / 65536.0f * 7.0f - 3.5f;
	}
}

/* NPU segments of a program: runs of commands between CPU steps. */
static unsigned int npu_segments(const npurt_program *p)
{
	unsigned int cmds = npurt_program_cmd_count(p);
	unsigned int i, n = 0, last = 0, after;

	for (i = 0; i < npurt_program_cpu_op_count(p); i++) {
		assert_non_null(npurt_program_cpu_op(p, i, &after));
		if (after > last)
			n++;
		last = after;
	}
	return n + (cmds > last);
}

static long long jobs_sum(void)
{
	return npu_sysfs_ll("npu0pe0", "jobs_completed") +
	       npu_sysfs_ll("npu0pe1", "jobs_completed");
}

/*
 * Runs @model.@form on @spec RUNS times into @y (RUNS * MAX_BYTES), and
 * checks the program's shape and the PEs' job counters. Returns the output
 * size.
 */
static size_t run_model(const char *model, const char *form, const char *spec,
			uint8_t *y)
{
	char path[256];
	float x[MAX_BYTES / sizeof(float)];
	const npurt_program *p;
	size_t nin, nout;
	unsigned int i, segs, steps;
	long long jobs0, jobs;
	int npu = strcmp(spec, "cpu") != 0;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, model, form);
	jobs0 = jobs_sum();
	must(npurt_runtime_create(spec, &cur.rt), "runtime_create", spec);
	must(npurt_model_load(cur.rt, path, &cur.model), path, spec);
	p = npurt_model_program(cur.model);
	assert_non_null(p);
	/* A mixed program: CPU steps and NPU commands. */
	segs = npu_segments(p);
	steps = npurt_program_cpu_op_count(p);
	if (steps < 2 || segs < 1)
		fail_msg("%s: %u CPU steps, %u NPU segments: not mixed", path,
			 steps, segs);
	must(npurt_runner_create(cur.rt, cur.model, NULL, &cur.r),
	     "runner_create", spec);
	assert_int_equal(npurt_runner_input_count(cur.r), 1);
	assert_int_equal(npurt_runner_output_count(cur.r), 1);
	assert_int_equal(npurt_tensor_desc_dtype(npurt_runner_input(cur.r, 0)),
			 NPURT_DTYPE_FLOAT32);
	nin = npurt_tensor_desc_size(npurt_runner_input(cur.r, 0));
	nout = npurt_tensor_desc_size(npurt_runner_output(cur.r, 0));
	assert_true(nin > 0 && nin <= MAX_BYTES);
	assert_true(nout > 0 && nout <= MAX_BYTES);

	must(npurt_tensor_wrap(npurt_runner_input(cur.r, 0), x, nin, &cur.in),
	     "wrap input", spec);
	for (i = 0; i < RUNS; i++) {
		uint8_t *yi = y + (size_t)i * MAX_BYTES;

		must(npurt_tensor_wrap(npurt_runner_output(cur.r, 0), yi,
				       nout, &cur.out), "wrap output", spec);
		make_input(x, nin / sizeof(float),
			   i * 131 + (unsigned int)strlen(model));
		memset(yi, 0xa5, nout);
		must(npurt_runner_run(cur.r, &cur.in, &cur.out), path, spec);
		npurt_tensor_destroy(cur.out);
		cur.out = NULL;
	}
	cur_release();

	jobs = jobs_sum() - jobs0;
	if (npu && jobs < (long long)RUNS * segs)
		fail_msg("%s on %s: %lld jobs completed, expected >= %u "
			 "(%u runs x %u NPU segments)", path, spec, jobs,
			 RUNS * segs, RUNS, segs);
	if (!npu && jobs)
		fail_msg("%s on cpu: %lld NPU jobs", path, jobs);
	print_message("%s on %s: %u CPU steps, %u NPU segments, %lld jobs\n",
		      path, spec, steps, segs, jobs);
	/* Everything the runner and the runtime held is released. */
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
	return nout;
}

/* The CPU's outputs are sane: finite, not all equal, distinct per run. */
static void check_sane(const char *model, const uint8_t *y, size_t nout)
{
	size_t i, n = nout / sizeof(float), distinct = 0;
	unsigned int r;
	float v, prev = 0;

	for (r = 0; r < RUNS; r++) {
		for (i = 0; i < n; i++) {
			memcpy(&v, y + (size_t)r * MAX_BYTES + i * sizeof(v),
			       sizeof(v));
			if (!isfinite(v))
				fail_msg("%s run %u: output %zu not finite",
					 model, r, i);
			distinct += i && v != prev;
			prev = v;
		}
		if (r && !memcmp(y, y + (size_t)r * MAX_BYTES, nout))
			fail_msg("%s: run %u gives the output of run 0",
				 model, r);
	}
	if (distinct < RUNS * n / 4)
		fail_msg("%s: only %zu distinct neighbours", model, distinct);
}

static uint8_t out[NFORMS][NSPECS][RUNS * MAX_BYTES];

static void test_model(const char *model)
{
	unsigned int f, s, r;
	size_t nout = 0, n;

	for (f = 0; f < NFORMS; f++)
		for (s = 0; s < NSPECS; s++) {
			n = run_model(model, forms[f], specs[s], out[f][s]);
			if (nout && n != nout)
				fail_msg("%s.%s on %s: output size %zu != %zu",
					 model, forms[f], specs[s], n, nout);
			nout = n;
		}
	check_sane(model, out[0][0], nout);
	for (f = 0; f < NFORMS; f++)
		for (s = 0; s < NSPECS; s++)
			for (r = 0; r < RUNS; r++) {
				size_t o = (size_t)r * MAX_BYTES;

				if (memcmp(out[0][0] + o, out[f][s] + o, nout))
					fail_msg("%s.%s on %s, run %u: output "
						 "differs from %s.onnx on cpu",
						 model, forms[f], specs[s], r,
						 model);
			}
	print_message("%s: cpu == npu0pe0 == warboy(2)*1, onnx == npuprog, "
		      "%u runs, %zu bytes each\n", model, RUNS, nout);
}

static void test_float_cnn(void **state)
{
	(void)state;
	test_model("float_cnn");
}

static void test_mixed_mlp(void **state)
{
	(void)state;
	test_model("mixed_mlp");
}

/* The .onnx loads went through the private compile cache. */
static void test_cache_used(void **state)
{
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	(void)state;
	d = opendir(cache_dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".npuprog") != NULL;
	closedir(d);
	/* per model: the cpu target and the warboy target */
	if (n < NMODELS)
		fail_msg("%s: %u cached programs, expected >= %zu", cache_dir,
			 n, NMODELS);
}

static void rm_cache(void)
{
	struct dirent *e;
	char path[512];
	DIR *d = opendir(cache_dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(cache_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_float_cnn, teardown),
		cmocka_unit_test_teardown(test_mixed_mlp, teardown),
		cmocka_unit_test_teardown(test_cache_used, teardown),
	};
	char path[256];
	unsigned int i;
	int ret;

	if (getenv("NPU_TESTS_DIR")) {
		static char d[200];

		snprintf(d, sizeof(d), "%s/mixed", getenv("NPU_TESTS_DIR"));
		dir = d;
	}
	for (i = 0; i < NMODELS; i++) {
		snprintf(path, sizeof(path), "%s/%s.onnx", dir, models[i]);
		if (access(path, R_OK)) {
			printf("%s missing: compiler not built\n", path);
			return 77;
		}
	}
	snprintf(cache_dir, sizeof(cache_dir), "/tmp/npurt-cache-XXXXXX");
	if (!mkdtemp(cache_dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("NPURT_CACHE_DIR", cache_dir, 1);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rm_cache();
	return ret;
}
