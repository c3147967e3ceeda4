// SPDX-License-Identifier: MIT
/*
 * test_onnx_model_load - npurt_model_load("x.onnx") through the compiler
 * plugin libnpuc.so.1 (NPURT_COMPILER_PLUGIN, built by
 * tools/npu-compile/build.mk) and its cache (a private NPURT_CACHE_DIR):
 * a miss then a hit, results on the CPU backend equal to the .npuprog
 * path, the same model from memory (npurt_model_load_memory), a missing
 * plugin (-EOPNOTSUPP naming it), a broken model (the compiler's error, no
 * crash).
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "npuc.h"
#include "test_onnx_common.h"

#ifndef NPUC_PLUGIN_PATH
#error "NPUC_PLUGIN_PATH: the built libnpuc.so.1"
#endif

static char dir[64], cdir[128], model[128], prog_path[128], bad[128];
static uint8_t *model_bytes;
static size_t model_len;

static int setup(void **state)
{
	struct tmodel t;
	FILE *fp;

	(void)state;
	strcpy(dir, "/tmp/test_onnx_model_load.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cdir, sizeof(cdir), "%s/cache", dir);
	snprintf(model, sizeof(model), "%s/relu.onnx", dir);
	snprintf(prog_path, sizeof(prog_path), "%s/relu.npuprog", dir);
	snprintf(bad, sizeof(bad), "%s/bad.onnx", dir);
	setenv("NPURT_CACHE_DIR", cdir, 1);
	setenv("NPURT_COMPILER_PLUGIN", NPUC_PLUGIN_PATH, 1);
	tmodel_init(&t);
	model_bytes = tmodel_pack(&t, &model_len);
	fp = fopen(model, "wb");
	if (!model_bytes || !fp ||
	    fwrite(model_bytes, 1, model_len, fp) != model_len)
		return -1;
	fclose(fp);
	fp = fopen(bad, "wb");	/* truncated */
	if (!fp || fwrite(model_bytes, 1, model_len / 2, fp) != model_len / 2)
		return -1;
	fclose(fp);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	free(model_bytes);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void stats(unsigned int *hits, unsigned int *misses, int *entries)
{
	char path[200];
	struct dirent *de;
	FILE *fp;
	DIR *d;

	snprintf(path, sizeof(path), "%s/stats", cdir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "hits %u misses %u", hits, misses), 2);
	fclose(fp);
	*entries = 0;
	d = opendir(cdir);
	assert_non_null(d);
	while ((de = readdir(d)))
		*entries += strstr(de->d_name, ".npuprog") != NULL;
	closedir(d);
}

/* Run @m on the CPU backend of @rt with x = -4..3; y receives 8 bytes. */
static void run(npurt_runtime *rt, npurt_model *m, int8_t y[8])
{
	static const int8_t x[8] = { -4, -3, -2, -1, 0, 1, 2, 3 };
	npurt_tensor *in = NULL, *out = NULL;
	npurt_runner *r = NULL;

	assert_int_equal(npurt_runner_create(rt, m, NULL, &r), 0);
	assert_int_equal(npurt_tensor_desc_size(npurt_runner_input(r, 0)), 8);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_input(r, 0), (void *)x,
					   8, &in), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r, 0), y, 8,
					   &out), 0);
	assert_int_equal(npurt_runner_run(r, &in, &out), 0);
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	npurt_runner_destroy(r);
}

static void test_load_onnx(void **state)
{
	static const int8_t want[8] = { 0, 0, 0, 0, 0, 1, 2, 3 };
	int8_t y1[8], y2[8], y3[8];
	npurt_runtime *rt = NULL;
	npurt_model *m = NULL;
	struct npuc_graph *g = NULL;
	npurt_program *p = NULL;
	unsigned int hits, misses;
	int entries;

	(void)state;
	assert_int_equal(npurt_runtime_create("cpu(1)", &rt), 0);
	/* miss: compiled and cached */
	assert_int_equal(npurt_model_load(rt, model, &m), 0);
	/* the compiler's placement reaches the summary (format 1.2) */
	assert_non_null(strstr(npurt_model_summary(m),
			       "graph nodes: 1 on the NPU, 0 on the CPU"));
	stats(&hits, &misses, &entries);
	assert_int_equal(hits, 0);
	assert_int_equal(misses, 1);
	assert_int_equal(entries, 1);
	assert_int_equal(npurt_model_input_count(m), 1);
	run(rt, m, y1);
	assert_memory_equal(y1, want, 8);
	npurt_model_destroy(m);
	/* hit: same results */
	assert_int_equal(npurt_model_load(rt, model, &m), 0);
	stats(&hits, &misses, &entries);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 1);
	assert_int_equal(entries, 1);
	run(rt, m, y2);
	assert_memory_equal(y2, want, 8);
	npurt_model_destroy(m);
	/* the .npuprog path: compile directly, save, load, run */
	assert_int_equal(npuc_load_memory(model_bytes, model_len, &g), 0);
	assert_int_equal(npuc_compile(g, NULL, &p), 0);
	assert_int_equal(npurt_program_save(p, prog_path), 0);
	npurt_program_destroy(p);
	npuc_graph_free(g);
	assert_int_equal(npurt_model_load(rt, prog_path, &m), 0);
	run(rt, m, y3);
	assert_memory_equal(y1, y3, 8);
	npurt_model_destroy(m);
	/* no runtime: the CPU target too, so the same key (a hit) */
	assert_int_equal(npurt_model_load(NULL, model, &m), 0);
	stats(&hits, &misses, &entries);
	assert_int_equal(hits, 2);
	assert_int_equal(entries, 1);
	npurt_model_destroy(m);
	npurt_runtime_destroy(rt);
}

/* ONNX bytes in memory: the same cache entry as the file, the same
 * results; .npuprog bytes still load as programs. */
static void test_load_memory(void **state)
{
	static const int8_t want[8] = { 0, 0, 0, 0, 0, 1, 2, 3 };
	unsigned int hits0, misses0, hits, misses;
	npurt_runtime *rt = NULL;
	npurt_model *m = NULL;
	npurt_program *p = NULL;
	void *prog = NULL;
	size_t prog_len = 0;
	int8_t y[8];
	int entries;

	(void)state;
	assert_int_equal(npurt_runtime_create("cpu(1)", &rt), 0);
	stats(&hits0, &misses0, &entries);
	assert_int_equal(npurt_model_load_memory(rt, model_bytes, model_len,
						 &m), 0);
	stats(&hits, &misses, &entries);
	assert_int_equal(hits, hits0 + 1);	/* test_load_onnx cached it */
	assert_int_equal(misses, misses0);
	assert_int_equal(entries, 1);
	run(rt, m, y);
	assert_memory_equal(y, want, 8);
	assert_int_equal(npurt_model_input_index(m, "x"), 0);
	npurt_model_destroy(m);
	/* the compiled program's bytes */
	assert_int_equal(npurt_program_load(prog_path, &p), 0);
	assert_int_equal(npurt_program_serialize(p, &prog, &prog_len), 0);
	npurt_program_destroy(p);
	assert_int_equal(npurt_model_load_memory(rt, prog, prog_len, &m), 0);
	run(rt, m, y);
	assert_memory_equal(y, want, 8);
	npurt_model_destroy(m);
	free(prog);
	/* truncated ONNX: the compiler's error, no crash */
	m = (npurt_model *)1;
	assert_true(npurt_model_load_memory(rt, model_bytes, model_len / 2,
					    &m) < 0);
	assert_null(m);
	assert_true(strlen(npurt_last_error()) > 0);
	assert_int_equal(npurt_model_load_memory(rt, NULL, 4, &m), -EINVAL);
	npurt_runtime_destroy(rt);
}

static void test_missing_plugin(void **state)
{
	npurt_model *m = (npurt_model *)1;

	(void)state;
	setenv("NPURT_COMPILER_PLUGIN", "/nonexistent/libnpuc.so.1", 1);
	assert_int_equal(npurt_model_load(NULL, model, &m), -EOPNOTSUPP);
	assert_null(m);
	assert_non_null(strstr(npurt_last_error(), "libnpuc.so.1"));
	assert_non_null(strstr(npurt_last_error(), "not installed"));
	/* something that is not the plugin */
	setenv("NPURT_COMPILER_PLUGIN", "libc.so.6", 1);
	assert_int_equal(npurt_model_load(NULL, model, &m), -EOPNOTSUPP);
	assert_non_null(strstr(npurt_last_error(), "not an ABI"));
	setenv("NPURT_COMPILER_PLUGIN", NPUC_PLUGIN_PATH, 1);
}

static void test_bad_model(void **state)
{
	npurt_model *m = NULL;
	int ret;

	(void)state;
	ret = npurt_model_load(NULL, bad, &m);
	assert_true(ret < 0);
	assert_int_not_equal(ret, -EOPNOTSUPP);
	assert_null(m);
	assert_true(strlen(npurt_last_error()) > 0);
	ret = npurt_model_load(NULL, "/nonexistent/x.onnx", &m);
	assert_int_equal(ret, -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_onnx),
		cmocka_unit_test(test_load_memory),
		cmocka_unit_test(test_missing_plugin),
		cmocka_unit_test(test_bad_model),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
