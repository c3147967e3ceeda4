// SPDX-License-Identifier: MIT
/*
 * test_onnx_cache - the compile cache (tools/npu-compile/cache.c) in a
 * private NPURT_CACHE_DIR: miss then hit with the same program bytes, keys
 * that change with arch, firmware caps, options and model bytes, a corrupt
 * entry dropped and rebuilt, four processes compiling one model at once
 * (one entry, no temporary files), stats and clear.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "npuc.h"
#include "npuc_cache.h"
#include "test_onnx_common.h"

static char dir[64], cdir[128], model[128];
static const struct npuc_cache_key key = { "cpu", 0xff, "" };

static int count_files(const char *suffix_or_infix)
{
	DIR *d = opendir(cdir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, suffix_or_infix))
			n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	struct tmodel t;
	size_t len;
	uint8_t *buf;
	FILE *fp;

	(void)state;
	strcpy(dir, "/tmp/test_onnx_cache.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cdir, sizeof(cdir), "%s/cache", dir);
	snprintf(model, sizeof(model), "%s/relu.onnx", dir);
	setenv("NPURT_CACHE_DIR", cdir, 1);
	tmodel_init(&t);
	buf = tmodel_pack(&t, &len);
	fp = fopen(model, "wb");
	if (!buf || !fp || fwrite(buf, 1, len, fp) != len)
		return -1;
	fclose(fp);
	free(buf);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void compile(int want_hit, void **data, size_t *size)
{
	npurt_program *prog = NULL;
	int hit = -1;

	assert_int_equal(npuc_cache_compile_file(model, &key, &prog, &hit), 0);
	assert_int_equal(hit, want_hit);
	assert_non_null(prog);
	assert_int_equal(npurt_program_serialize(prog, data, size), 0);
	npurt_program_destroy(prog);
}

static void test_miss_hit(void **state)
{
	struct npuc_cache_stats st;
	void *a, *b;
	size_t la, lb;

	(void)state;
	assert_int_equal(npuc_cache_clear(), 0);
	compile(0, &a, &la);
	compile(1, &b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	assert_int_equal(count_files(".npuprog"), 1);
	assert_int_equal(npuc_cache_stats(&st), 0);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 1);
	assert_true(st.bytes > 0);
}

static void test_keys(void **state)
{
	static const uint8_t m1[] = "model bytes", m2[] = "model bytez";
	struct npuc_cache_key k = key;
	char h0[65], h1[65];

	(void)state;
	assert_int_equal(npuc_cache_key(m1, sizeof(m1), &k, h0), 0);
	assert_int_equal(strlen(h0), 64);
	assert_int_equal(npuc_cache_key(m1, sizeof(m1), &k, h1), 0);
	assert_string_equal(h0, h1);
	assert_int_equal(npuc_cache_key(m2, sizeof(m2), &k, h1), 0);
	assert_string_not_equal(h0, h1);
	k.arch = "warboy";
	assert_int_equal(npuc_cache_key(m1, sizeof(m1), &k, h1), 0);
	assert_string_not_equal(h0, h1);
	k = key;
	k.fw_caps = 0x7f;
	assert_int_equal(npuc_cache_key(m1, sizeof(m1), &k, h1), 0);
	assert_string_not_equal(h0, h1);
	k = key;
	k.options = "-O0";
	assert_int_equal(npuc_cache_key(m1, sizeof(m1), &k, h1), 0);
	assert_string_not_equal(h0, h1);
}

static void test_corrupt(void **state)
{
	DIR *d;
	struct dirent *de;
	char path[600];
	void *a, *b;
	size_t la, lb;
	int fd;

	(void)state;
	assert_int_equal(npuc_cache_clear(), 0);
	compile(0, &a, &la);
	d = opendir(cdir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".npuprog"))
			snprintf(path, sizeof(path), "%s/%s", cdir, de->d_name);
	closedir(d);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff\xff\xff\xff", 4, 100), 4);
	close(fd);
	compile(0, &b, &lb);		/* dropped and rebuilt */
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(b);
	compile(1, &b, &lb);		/* the rebuilt entry hits */
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	/* truncated to nothing */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	compile(0, &a, &la);
	free(a);
}

static void test_concurrent(void **state)
{
	pid_t pid[4];
	int go[2], i, status;
	char c;

	(void)state;
	assert_int_equal(npuc_cache_clear(), 0);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (!pid[i]) {
			npurt_program *prog = NULL;
			int hit, ret;

			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			ret = npuc_cache_compile_file(model, &key, &prog, &hit);
			npurt_program_destroy(prog);
			_exit(ret ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]);			/* all children start at once */
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(count_files(".npuprog"), 1);
	assert_int_equal(count_files(".tmp."), 0);
	{
		void *a;
		size_t la;

		compile(1, &a, &la);
		free(a);
	}
	assert_int_equal(npuc_cache_clear(), 0);
	assert_int_equal(count_files(".npuprog"), 0);
}

static void test_bad_model(void **state)
{
	npurt_program *prog = NULL;
	char bad[160];
	int hit = -1;
	FILE *fp;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/bad.onnx", dir);
	fp = fopen(bad, "wb");
	assert_non_null(fp);
	fputs("not a model", fp);
	fclose(fp);
	assert_true(npuc_cache_compile_file(bad, &key, &prog, &hit) < 0);
	assert_null(prog);
	assert_int_equal(hit, 0);
	assert_true(npuc_cache_compile_file("/nonexistent.onnx", &key, &prog,
					    &hit) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_miss_hit),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_bad_model),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
