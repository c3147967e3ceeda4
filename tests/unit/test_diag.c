// SPDX-License-Identifier: MIT
/*
 * test_diag.c - libnpurt's diagnostics on the host (issue #4 item 10):
 *  - NPU_LOG_LEVEL, read once per process, so each value is checked in a
 *    re-executed copy of this program that logs one INFO line (creating a
 *    runtime) and one WARN line (a trace that cannot be written);
 *  - npurt_log_set_level() / npurt_log_get_level();
 *  - npurt_version_full() on a cpu runtime: exact text, snprintf-style
 *    length and truncation, -EINVAL;
 *  - the profiler on cpu: start/stop errors, and the Chrome trace of runs
 *    on cpu(2), from npurt_profiler_start() and from NPU_PROFILE: valid
 *    JSON (json-c parses it back) with one run event per run and the CPU
 *    work of each command, and no copy (host tensors are used in place).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "example_mlp.h"
#include "npt_proc.h"

static const struct mlp_shape shape = { .m = 4, .k = 96, .hid = 80, .n = 24,
					.seed = 2024 };
#define NX	(4 * 96)
#define NY	(4 * 24)
#define RUNS	5

static char tmpdir[64];
static char path_err[96], path_out[96], path_trace[96];

static void must(int ret, const char *what)
{
	if (ret)
		fail_msg("%s: %s (%s)", what, npurt_strerror(ret),
			 npurt_last_error());
}

/* ---- NPU_LOG_LEVEL ------------------------------------------------------ */

#define INFO_LINE	"npurt: INFO: runtime \"cpu(1)\": cpu(1)\n"
#define WARN_LINE	"npurt: WARN: profiler: "

/* Child: its starting level on stdout; one INFO and one WARN message. */
static int child_log(void)
{
	npurt_runtime *rt = NULL;

	printf("%d\n", (int)npurt_log_get_level());
	fflush(stdout);
	if (npurt_runtime_create("cpu(1)", &rt))
		return 1;
	if (npurt_profiler_start(rt, "/nonexistent-npurt-dir/trace.json"))
		return 2;
	npurt_runtime_destroy(rt);	/* the write fails: WARN */
	return 0;
}

/* The child with NPU_LOG_LEVEL=@value (NULL: unset): its level, its stderr. */
static int run_child(const char *value, char *err, size_t len)
{
	char out[64], set[96];
	const char *env[3] = { "NPU_LOG_LEVEL", "NPU_PROFILE", NULL };

	if (value) {
		snprintf(set, sizeof(set), "NPU_LOG_LEVEL=%s", value);
		env[0] = set;
	}
	assert_int_equal(npt_run_self("test_diag", "--child-log", env,
				      path_out, path_err), 0);
	assert_true(npt_slurp(path_err, err, len) >= 0);
	assert_true(npt_slurp(path_out, out, sizeof(out)) > 0);
	assert_true(out[0] >= '0' && out[0] <= '9');
	return atoi(out);
}

static void test_log_level_env(void **state)
{
	static const struct {
		const char *value;
		int level;
		bool info, warn;
	} cases[] = {
		{ NULL, NPURT_LOG_WARN, false, true },
		{ "", NPURT_LOG_WARN, false, true },
		{ "WARN", NPURT_LOG_WARN, false, true },
		{ "warn", NPURT_LOG_WARN, false, true },
		{ "INFO", NPURT_LOG_INFO, true, true },
		{ "Info", NPURT_LOG_INFO, true, true },
		{ "ERROR", NPURT_LOG_ERROR, false, false },
		{ "error", NPURT_LOG_ERROR, false, false },
		{ "OFF", NPURT_LOG_OFF, false, false },
		{ "off", NPURT_LOG_OFF, false, false },
	};
	char err[2048];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v = cases[i].value ? cases[i].value : "(unset)";
		int level = run_child(cases[i].value, err, sizeof(err));

		if (level != cases[i].level)
			fail_msg("NPU_LOG_LEVEL=%s: level %d, expected %d", v,
				 level, cases[i].level);
		if (!!strstr(err, INFO_LINE) != cases[i].info ||
		    !!strstr(err, WARN_LINE) != cases[i].warn)
			fail_msg("NPU_LOG_LEVEL=%s: stderr \"%s\"", v, err);
		/* Nothing else: INFO and WARN lines only. */
		if (!cases[i].info && !cases[i].warn && err[0])
			fail_msg("NPU_LOG_LEVEL=%s: stderr \"%s\"", v, err);
	}
	/* Unknown: one warning naming the value, and WARN stays. */
	assert_int_equal(run_child("DEBUG", err, sizeof(err)), NPURT_LOG_WARN);
	assert_true(!strncmp(err, "npurt: WARN: NPU_LOG_LEVEL=DEBUG unknown "
			     "(INFO, WARN, ERROR, OFF); using WARN\n",
			     strlen("npurt: WARN: NPU_LOG_LEVEL=DEBUG unknown "
				    "(INFO, WARN, ERROR, OFF); using WARN\n")));
	assert_null(strstr(err, INFO_LINE));
	assert_non_null(strstr(err, WARN_LINE));
	assert_int_equal(run_child("INFO2", err, sizeof(err)), NPURT_LOG_WARN);
	assert_non_null(strstr(err, "NPU_LOG_LEVEL=INFO2 unknown"));
}

static void test_log_set_level(void **state)
{
	enum npurt_log_level old = npurt_log_get_level();

	(void)state;
	assert_int_equal(npurt_log_set_level(NPURT_LOG_ERROR), 0);
	assert_int_equal(npurt_log_get_level(), NPURT_LOG_ERROR);
	assert_int_equal(npurt_log_set_level((enum npurt_log_level)4), -EINVAL);
	assert_int_equal(npurt_log_set_level((enum npurt_log_level)-1),
			 -EINVAL);
	assert_int_equal(npurt_log_get_level(), NPURT_LOG_ERROR);
	assert_int_equal(npurt_log_set_level(NPURT_LOG_INFO), 0);
	assert_int_equal(npurt_log_get_level(), NPURT_LOG_INFO);
	assert_int_equal(npurt_log_set_level(old), 0);
}

/* ---- npurt_version_full -------------------------------------------------- */

static void test_version_full_cpu(void **state)
{
	npurt_runtime *rt = NULL;
	char expect[128], buf[128], small[12];
	int len;

	(void)state;
	len = snprintf(expect, sizeof(expect), "libnpurt %d.%d.%d (uapi %d.%d); "
		       "no NPU in the runtime", NPURT_VERSION_MAJOR,
		       NPURT_VERSION_MINOR, NPURT_VERSION_PATCH,
		       RM_NPU_ABI_MAJOR, RM_NPU_ABI_MINOR);
	assert_string_equal(npurt_version_string(), "1.4.0");
	assert_int_equal(npurt_version(), NPURT_VERSION_CODE);
	must(npurt_runtime_create("cpu(2)", &rt), "cpu(2)");
	assert_int_equal(npurt_version_full(rt, buf, sizeof(buf)), len);
	assert_string_equal(buf, expect);
	/* snprintf-style: the full length, the text truncated. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(npurt_version_full(rt, small, sizeof(small)), len);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, expect, sizeof(small) - 1);
	assert_int_equal(npurt_version_full(rt, NULL, 0), len);
	assert_int_equal(npurt_version_full(rt, small, 1), len);
	assert_string_equal(small, "");
	assert_int_equal(npurt_version_full(rt, NULL, 8), -EINVAL);
	npurt_runtime_destroy(rt);
	/* Without a runtime: the first NPU of sysfs, if any. */
	len = npurt_version_full(NULL, buf, sizeof(buf));
	assert_int_equal(len, (int)strlen(buf));
	assert_true(!strncmp(buf, expect, strlen("libnpurt 1.4.0 (uapi 1.0); ")));
}

/* ---- profiler on cpu ------------------------------------------------------ */

struct mlp_rt {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *r;
};

static void mlp_open(struct mlp_rt *m, const char *spec)
{
	struct npurt_runner_opts o = { .worker_num = 1 };
	npurt_program *p = NULL;

	must(npurt_runtime_create(spec, &m->rt), spec);
	must(mlp_build(&shape, &p), "mlp_build");
	must(npurt_model_from_program(p, &m->model), "model");
	npurt_program_destroy(p);
	must(npurt_runner_create(m->rt, m->model, &o, &m->r), "runner");
}

static void mlp_runs(struct mlp_rt *m, unsigned int runs)
{
	npurt_tensor *in = NULL, *out = NULL;
	int8_t x[NX];
	uint8_t y[NY];
	unsigned int i;

	mlp_input(x, NX, 11);
	must(npurt_tensor_wrap(npurt_runner_input(m->r, 0), x, NX, &in), "wrap");
	must(npurt_tensor_wrap(npurt_runner_output(m->r, 0), y, NY, &out),
	     "wrap");
	for (i = 0; i < runs; i++)
		must(npurt_runner_run(m->r, &in, &out), "run");
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
}

static void mlp_close(struct mlp_rt *m)
{
	npurt_runner_destroy(m->r);
	npurt_model_destroy(m->model);
	npurt_runtime_destroy(m->rt);
}

static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		fail_msg("no %s (%s) in %s", key, json_type_to_name(type),
			 json_object_to_json_string(o));
	return v;
}

static double number(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) ||
	      json_object_is_type(v, json_type_double)))
		fail_msg("no numeric %s in %s", key,
			 json_object_to_json_string(o));
	return json_object_get_double(v);
}

/* Check the trace of @runs MLP runs on a cpu device. */
static void check_cpu_trace(const char *path, unsigned int runs)
{
	unsigned int n_run = 0, n_copy = 0, n_gemm = 0, n_lut = 0, n_cpu = 0;
	bool process_named = false;
	json_object *root, *events;
	size_t i, n;

	root = json_object_from_file(path);
	if (!root)
		fail_msg("%s: not valid JSON: %s", path,
			 json_util_get_last_err());
	events = member(root, "traceEvents", json_type_array);
	n = json_object_array_length(events);
	for (i = 0; i < n; i++) {
		json_object *ev = json_object_array_get_idx(events, i);
		const char *ph = json_object_get_string(
			member(ev, "ph", json_type_string));
		const char *name = json_object_get_string(
			member(ev, "name", json_type_string));
		const char *cat;

		assert_int_equal((long long)number(ev, "pid"), getpid());
		number(ev, "tid");
		if (!strcmp(ph, "M")) {
			if (!strcmp(name, "process_name"))
				process_named = !strcmp(json_object_get_string(
					member(member(ev, "args",
						      json_type_object),
					       "name", json_type_string)),
					"libnpurt");
			continue;
		}
		assert_string_equal(ph, "X");
		assert_true(number(ev, "ts") >= 0);
		assert_true(number(ev, "dur") >= 0);
		cat = json_object_get_string(member(ev, "cat",
						    json_type_string));
		if (!strcmp(cat, "run")) {
			n_run++;
			assert_non_null(strstr(name, " on cpu(2)"));
		} else if (!strcmp(cat, "copy")) {
			n_copy++;
		} else if (!strcmp(cat, "cpu")) {
			n_cpu++;
			n_gemm += !strncmp(name, "cmd 0 GEMM", 10) ||
				  !strncmp(name, "cmd 1 GEMM", 10);
			n_lut += !strncmp(name, "cmd 2 LUT", 9);
		} else {
			fail_msg("unexpected event category %s (%s)", cat, name);
		}
	}
	json_object_put(root);
	assert_true(process_named);
	assert_int_equal(n_run, runs);
	/* The CPU reads and writes host tensors in place: no copy. */
	assert_int_equal(n_copy, 0);
	/* Each command runs as one or more unit ranges. */
	assert_true(n_gemm >= 2 * runs);
	assert_true(n_lut >= runs);
	assert_int_equal(n_cpu, n_gemm + n_lut);
}

static void test_profiler_api_cpu(void **state)
{
	struct mlp_rt m;

	(void)state;
	unlink(path_trace);
	mlp_open(&m, "cpu(2)");
	assert_int_equal(npurt_profiler_stop(m.rt), -EINVAL);
	assert_int_equal(npurt_profiler_start(m.rt, NULL), -EINVAL);
	assert_int_equal(npurt_profiler_start(m.rt, ""), -EINVAL);
	assert_int_equal(npurt_profiler_start(NULL, path_trace), -EINVAL);
	mlp_runs(&m, 2);	/* not recorded */
	assert_int_equal(npurt_profiler_start(m.rt, path_trace), 0);
	assert_int_equal(npurt_profiler_start(m.rt, path_trace), -EALREADY);
	mlp_runs(&m, RUNS);
	assert_int_equal(access(path_trace, F_OK), -1);
	assert_int_equal(npurt_profiler_stop(m.rt), 0);
	assert_int_equal(npurt_profiler_stop(m.rt), -EINVAL);
	mlp_runs(&m, 2);	/* not recorded */
	check_cpu_trace(path_trace, RUNS);
	/* Again, into a place that cannot be written. */
	assert_int_equal(npurt_profiler_start(m.rt, "/nonexistent-npurt/t.json"),
			 0);
	mlp_runs(&m, 1);
	assert_true(npurt_profiler_stop(m.rt) < 0);
	mlp_close(&m);
	unlink(path_trace);
}

static void test_profiler_env_cpu(void **state)
{
	struct mlp_rt m;

	(void)state;
	unlink(path_trace);
	assert_int_equal(setenv("NPU_PROFILE", path_trace, 1), 0);
	mlp_open(&m, "cpu(2)");
	assert_int_equal(unsetenv("NPU_PROFILE"), 0);
	assert_int_equal(npurt_profiler_start(m.rt, path_trace), -EALREADY);
	mlp_runs(&m, RUNS);
	mlp_close(&m);		/* written now */
	check_cpu_trace(path_trace, RUNS);
	unlink(path_trace);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_diag.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path_err, sizeof(path_err), "%s/stderr", tmpdir);
	snprintf(path_out, sizeof(path_out), "%s/stdout", tmpdir);
	snprintf(path_trace, sizeof(path_trace), "%s/trace.json", tmpdir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(path_err);
	unlink(path_out);
	unlink(path_trace);
	rmdir(tmpdir);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_level_env),
		cmocka_unit_test(test_log_set_level),
		cmocka_unit_test(test_version_full_cpu),
		cmocka_unit_test(test_profiler_api_cpu),
		cmocka_unit_test(test_profiler_env_cpu),
	};

	if (argc == 2 && !strcmp(argv[1], "--child-log"))
		return child_log();
	unsetenv("NPU_PROFILE");
	unsetenv("NPU_DEVICES");
	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
