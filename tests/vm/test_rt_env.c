// SPDX-License-Identifier: MIT
/*
 * test_rt_env.c - libnpurt's environment and diagnostics on the NPU
 * (issue #4), in the VM with the default module parameters (one warboy
 * NPU, two PEs):
 *  - NPU_DEVICES is the spec of npurt_runtime_create(NULL), an explicit
 *    spec wins over it, a bad one is -EINVAL, unset means "auto";
 *  - "auto" takes the free PEs only, and falls back to the CPU when another
 *    process holds them all, saying so in one WARN log line (shown at the
 *    default level);
 *  - NPU_LOG_LEVEL (read once per process: checked in re-executed copies
 *    of this program) sets the threshold, case-insensitively, and an
 *    unknown value warns and keeps WARN;
 *  - NPU_PROFILE=path writes a Chrome trace when the runtime is destroyed:
 *    valid JSON (json-c parses it back) whose "job" events sit on the
 *    tracks named after the PEs, one per job the PEs' counters saw.
 * Objects, helper processes and redirections are released by teardown()
 * even after a failed check, so that later tests find the PEs free.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "test_util.h"
#include "example_mlp.h"
#include "npt_proc.h"

static const struct mlp_shape shape = { .m = 4, .k = 96, .hid = 80, .n = 24,
					.seed = 2024 };
#define NX	(4 * 96)
#define NY	(4 * 24)
#define TRACE	"/tmp/test_rt_env.trace.json"
#define CAPTURE	"/tmp/test_rt_env.stderr"

static struct {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_queue *q;
	npurt_tensor *in, *out;
	pid_t child;
	int child_fd;		/* closing it lets the child exit */
	struct npt_capture err;	/* stderr into CAPTURE */
} cur = { .child_fd = -1, .err.saved = -1 };

static void must(int ret, const char *what)
{
	if (ret)
		fail_msg("%s: %s (%s)", what, npurt_strerror(ret),
			 npurt_last_error());
}

static int teardown(void **state)
{
	int status;

	npt_capture_end(&cur.err, CAPTURE, NULL, 0);
	npurt_tensor_destroy(cur.in);
	npurt_tensor_destroy(cur.out);
	npurt_queue_destroy(cur.q);
	npurt_model_destroy(cur.model);
	npurt_runtime_destroy(cur.rt);
	if (cur.child_fd >= 0)
		close(cur.child_fd);
	if (cur.child > 0) {
		kill(cur.child, SIGKILL);
		waitpid(cur.child, &status, 0);
	}
	memset(&cur, 0, sizeof(cur));
	cur.child_fd = cur.err.saved = -1;
	unsetenv("NPU_DEVICES");
	unsetenv("NPU_PROFILE");
	npurt_log_set_level(NPURT_LOG_OFF);
	return npu_close_fds(state);
}

/* ---- helpers ------------------------------------------------------------ */

/* Another process holding @spec until release(). */
static void hold(const char *spec)
{
	int up[2], down[2];
	char b = 0;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	cur.child = fork();
	assert_true(cur.child >= 0);
	if (cur.child == 0) {
		npurt_runtime *rt = NULL;

		close(up[0]);
		close(down[1]);	/* else the read below never sees EOF */
		b = npurt_runtime_create(spec, &rt) ? 'E' : 'K';
		if (write(up[1], &b, 1) != 1)
			_exit(3);
		if (read(down[0], &b, 1) < 0)
			_exit(4);
		npurt_runtime_destroy(rt);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	cur.child_fd = down[1];
	assert_int_equal(read(up[0], &b, 1), 1);
	close(up[0]);
	if (b != 'K')
		fail_msg("helper could not hold %s", spec);
}

static void release(void)
{
	int status;

	close(cur.child_fd);
	cur.child_fd = -1;
	assert_int_equal(waitpid(cur.child, &status, 0), cur.child);
	cur.child = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* stderr into CAPTURE until capture_end(). */
static void capture_begin(void)
{
	assert_int_equal(npt_capture_begin(&cur.err, CAPTURE), 0);
}

static void capture_end(char *buf, size_t len)
{
	assert_int_equal(npt_capture_end(&cur.err, CAPTURE, buf, len), 0);
}

static const char *dev_name(unsigned int i)
{
	return npurt_device_name(npurt_runtime_device(cur.rt, i));
}

static void create(const char *spec)
{
	must(npurt_runtime_create(spec, &cur.rt), spec ? spec : "(NULL)");
}

static void destroy(void)
{
	npurt_runtime_destroy(cur.rt);
	cur.rt = NULL;
}

/* ---- NPU_DEVICES ----------------------------------------------------- */

static void test_npu_devices(void **state)
{
	char pid[24];

	(void)state;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(setenv("NPU_DEVICES", "npu0pe1", 1), 0);
	create(NULL);
	assert_string_equal(npurt_runtime_spec(cur.rt), "npu0pe1");
	assert_int_equal(npurt_runtime_device_count(cur.rt), 1);
	assert_string_equal(dev_name(0), "npu0pe1");
	assert_sysfs("npu0pe1", "owner_pid", pid);
	assert_sysfs("npu0pe0", "state", "free");
	destroy();
	assert_sysfs("npu0pe1", "state", "free");

	/* An explicit spec wins over the variable. */
	create("npu0pe0");
	assert_int_equal(npurt_runtime_device_count(cur.rt), 1);
	assert_string_equal(dev_name(0), "npu0pe0");
	assert_sysfs("npu0pe1", "state", "free");
	destroy();

	assert_int_equal(setenv("NPU_DEVICES", "warboy(2)", 1), 0);
	create(NULL);
	assert_int_equal(npurt_runtime_device_count(cur.rt), 1);
	assert_string_equal(dev_name(0), "npu0pe0-1");
	assert_sysfs("npu0pe0-1", "owner_pid", pid);
	destroy();

	assert_int_equal(setenv("NPU_DEVICES", " npu0pe0 , cpu(2) ", 1), 0);
	create(NULL);
	assert_int_equal(npurt_runtime_device_count(cur.rt), 2);
	assert_string_equal(dev_name(0), "npu0pe0");
	assert_string_equal(dev_name(1), "cpu(2)");
	destroy();

	assert_int_equal(setenv("NPU_DEVICES", "npu0pe", 1), 0);
	assert_int_equal(npurt_runtime_create(NULL, &cur.rt), -EINVAL);
	assert_null(cur.rt);
	assert_int_equal(setenv("NPU_DEVICES", "npu5pe0", 1), 0);
	assert_int_equal(npurt_runtime_create(NULL, &cur.rt), -ENODEV);

	/* Unset (or empty): "auto", every free PE. */
	assert_int_equal(setenv("NPU_DEVICES", "", 1), 0);
	create(NULL);
	assert_string_equal(npurt_runtime_spec(cur.rt), "auto");
	destroy();
	assert_int_equal(unsetenv("NPU_DEVICES"), 0);
	create(NULL);
	assert_string_equal(npurt_runtime_spec(cur.rt), "auto");
	assert_int_equal(npurt_runtime_device_count(cur.rt), 2);
	assert_string_equal(dev_name(0), "npu0pe0");
	assert_string_equal(dev_name(1), "npu0pe1");
	destroy();
}

/* ---- auto ---------------------------------------------------------------- */

static void auto_logged(const char *expect_log, unsigned int count)
{
	char log[1024];

	npurt_log_set_level(NPURT_LOG_INFO);
	capture_begin();
	create("auto");
	capture_end(log, sizeof(log));
	npurt_log_set_level(NPURT_LOG_OFF);
	assert_int_equal(npurt_runtime_device_count(cur.rt), count);
	if (!strstr(log, expect_log))
		fail_msg("log \"%s\" lacks \"%s\"", log, expect_log);
}

static void test_auto(void **state)
{
	struct npurt_device_info info;
	char log[1024];

	(void)state;
	auto_logged("npurt: INFO: auto: using 2 free NPU PE(s)\n", 2);
	assert_string_equal(dev_name(0), "npu0pe0");
	assert_string_equal(dev_name(1), "npu0pe1");
	destroy();

	hold("npu0pe0");
	auto_logged("npurt: INFO: auto: using 1 free NPU PE(s)\n", 1);
	assert_string_equal(dev_name(0), "npu0pe1");
	destroy();
	release();

	hold("npu0pe1,npu0pe0");
	auto_logged("npurt: WARN: auto: no free NPU PE (every PE of 1 NPU(s) "
		    "is held by another process or unusable), running on the "
		    "CPU (cpu(", 1);
	must(npurt_device_get_info(npurt_runtime_device(cur.rt, 0), &info),
	     "info");
	assert_int_equal(info.kind, NPURT_DEVICE_CPU);
	assert_string_equal(info.arch, "cpu");
	destroy();
	/* The fallback is WARN: shown at the default level, alone. */
	npurt_log_set_level(NPURT_LOG_WARN);
	capture_begin();
	create("auto");
	capture_end(log, sizeof(log));
	if (!strstr(log, "npurt: WARN: auto: no free NPU PE") ||
	    strchr(log, '\n') != log + strlen(log) - 1)
		fail_msg("log at WARN: \"%s\"", log);
	destroy();
	npurt_log_set_level(NPURT_LOG_ERROR);
	capture_begin();
	create("auto");
	capture_end(log, sizeof(log));
	assert_string_equal(log, "");
	destroy();
	/* An explicit NPU spec does not fall back. */
	assert_int_equal(npurt_runtime_create("warboy", &cur.rt), -ENOSPC);
	release();
}

/* ---- NPU_LOG_LEVEL (in re-executed children) -------------------------- */

/* The child: print the level it starts with, then create a runtime (one
 * INFO line). */
static int child_log(void)
{
	npurt_runtime *rt = NULL;
	int ret;

	printf("%d\n", (int)npurt_log_get_level());
	fflush(stdout);
	ret = npurt_runtime_create("npu0pe0", &rt);
	npurt_runtime_destroy(rt);
	return ret ? 1 : 0;
}

/* Run the child with NPU_LOG_LEVEL=@value (NULL: unset); its stdout (the
 * level) and stderr. */
static int run_child(const char *value, char *err, size_t len)
{
	char out[64], set[96];
	const char *env[2] = { "NPU_LOG_LEVEL", NULL };

	if (value) {
		snprintf(set, sizeof(set), "NPU_LOG_LEVEL=%s", value);
		env[0] = set;
	}
	assert_int_equal(npt_run_self("test_rt_env", "--child-log", env,
				      CAPTURE ".out", CAPTURE), 0);
	assert_true(npt_slurp(CAPTURE, err, len) >= 0);
	assert_true(npt_slurp(CAPTURE ".out", out, sizeof(out)) > 0);
	return atoi(out);
}

static void test_log_level(void **state)
{
	static const struct {
		const char *value;
		int level;
	} quiet[] = {
		{ NULL, NPURT_LOG_WARN }, { "", NPURT_LOG_WARN },
		{ "WARN", NPURT_LOG_WARN }, { "warn", NPURT_LOG_WARN },
		{ "ERROR", NPURT_LOG_ERROR }, { "Error", NPURT_LOG_ERROR },
		{ "OFF", NPURT_LOG_OFF }, { "off", NPURT_LOG_OFF },
	};
	char err[1024];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		assert_int_equal(run_child(quiet[i].value, err, sizeof(err)),
				 quiet[i].level);
		assert_string_equal(err, "");
	}
	assert_int_equal(run_child("INFO", err, sizeof(err)), NPURT_LOG_INFO);
	assert_non_null(strstr(err, "npurt: INFO: runtime \"npu0pe0\": "
			       "npu0pe0\n"));
	assert_int_equal(run_child("info", err, sizeof(err)), NPURT_LOG_INFO);
	assert_non_null(strstr(err, "npurt: INFO: "));
	assert_int_equal(run_child("verbose", err, sizeof(err)),
			 NPURT_LOG_WARN);
	assert_string_equal(err, "npurt: WARN: NPU_LOG_LEVEL=verbose unknown "
			    "(INFO, WARN, ERROR, OFF); using WARN\n");
}

/* ---- NPU_PROFILE ------------------------------------------------------ */

#define PROF_RUNS	24

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		fail_msg("trace event without %s of type %s: %s", key,
			 json_type_to_name(type),
			 json_object_to_json_string(o));
	return v;
}

static double number(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) ||
	      json_object_is_type(v, json_type_int)))
		fail_msg("trace event without numeric %s: %s", key,
			 json_object_to_json_string(o));
	return json_object_get_double(v);
}

static void queue_runs(void)
{
	struct npurt_queue_opts o = { .worker_num = 4, .input_queue_size = 8,
				      .output_queue_size = 8 };
	npurt_program *p = NULL;
	int8_t x[NX];
	uint8_t y[NY];
	unsigned int sub = 0, rec = 0;
	void *ctx;

	mlp_input(x, NX, 3);
	must(mlp_build(&shape, &p), "mlp_build");
	must(npurt_model_from_program(p, &cur.model), "model");
	npurt_program_destroy(p);
	must(npurt_queue_create(cur.rt, cur.model, &o, &cur.q), "queue");
	must(npurt_tensor_wrap(npurt_queue_input(cur.q, 0), x, NX, &cur.in),
	     "wrap");
	must(npurt_tensor_wrap(npurt_queue_output(cur.q, 0), y, NY, &cur.out),
	     "wrap");
	while (rec < PROF_RUNS) {
		if (sub < PROF_RUNS && sub - rec < 8) {
			must(npurt_queue_submit(cur.q, &cur.in, NULL), "submit");
			sub++;
		} else {
			must(npurt_queue_recv(cur.q, &ctx, &cur.out, -1), "recv");
			rec++;
		}
	}
	npurt_queue_destroy(cur.q);
	cur.q = NULL;
}

static void test_profile(void **state)
{
	long long d0 = npu_sysfs_ll("npu0pe0", "jobs_completed");
	long long d1 = npu_sysfs_ll("npu0pe1", "jobs_completed");
	long long tid0 = -1, tid1 = -1, jobs0 = 0, jobs1 = 0, submits = 0;
	json_object *root, *events, *ev;
	const char *ph, *name;
	size_t i, n;

	(void)state;
	unlink(TRACE);
	assert_int_equal(setenv("NPU_PROFILE", TRACE, 1), 0);
	create("npu0pe0,npu0pe1");
	assert_int_equal(unsetenv("NPU_PROFILE"), 0);
	/* The variable started it: starting again is -EALREADY. */
	assert_int_equal(npurt_profiler_start(cur.rt, "/tmp/other.json"),
			 -EALREADY);
	queue_runs();
	assert_int_equal(access(TRACE, F_OK), -1);	/* written at destroy */
	npurt_tensor_destroy(cur.in);
	npurt_tensor_destroy(cur.out);
	cur.in = cur.out = NULL;
	destroy();
	d0 = npu_sysfs_ll("npu0pe0", "jobs_completed") - d0;
	d1 = npu_sysfs_ll("npu0pe1", "jobs_completed") - d1;
	assert_int_equal(d0 + d1, PROF_RUNS);

	root = json_object_from_file(TRACE);
	if (!root)
		fail_msg("%s is not valid JSON: %s", TRACE,
			 json_util_get_last_err());
	events = get(root, "traceEvents", json_type_array);
	n = json_object_array_length(events);
	/* Track names first ("M" events): the PEs' tracks. */
	for (i = 0; i < n; i++) {
		ev = json_object_array_get_idx(events, i);
		ph = json_object_get_string(get(ev, "ph", json_type_string));
		if (strcmp(ph, "M") || strcmp(json_object_get_string(
				get(ev, "name", json_type_string)),
					      "thread_name"))
			continue;
		name = json_object_get_string(get(get(ev, "args",
			json_type_object), "name", json_type_string));
		if (!strcmp(name, "npu0pe0"))
			tid0 = (long long)number(ev, "tid");
		else if (!strcmp(name, "npu0pe1"))
			tid1 = (long long)number(ev, "tid");
	}
	assert_true(tid0 >= 0 && tid1 >= 0 && tid0 != tid1);
	for (i = 0; i < n; i++) {
		const char *cat;
		long long tid;

		ev = json_object_array_get_idx(events, i);
		ph = json_object_get_string(get(ev, "ph", json_type_string));
		if (strcmp(ph, "X"))
			continue;
		assert_int_equal((long long)number(ev, "pid"), getpid());
		assert_true(number(ev, "ts") >= 0);
		assert_true(number(ev, "dur") >= 0);
		cat = json_object_get_string(get(ev, "cat", json_type_string));
		name = json_object_get_string(get(ev, "name", json_type_string));
		tid = (long long)number(ev, "tid");
		if (!strcmp(cat, "submit"))
			submits++;
		if (strcmp(cat, "job"))
			continue;
		if (tid == tid0 && strstr(name, " on npu0pe0"))
			jobs0++;
		else if (tid == tid1 && strstr(name, " on npu0pe1"))
			jobs1++;
		else
			fail_msg("job event %s on track %lld", name, tid);
	}
	json_object_put(root);
	/* One job event per job the PEs counted, on its PE's track. */
	assert_int_equal(jobs0, d0);
	assert_int_equal(jobs1, d1);
	assert_int_equal(submits, PROF_RUNS);
	unlink(TRACE);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_npu_devices, teardown),
		cmocka_unit_test_teardown(test_auto, teardown),
		cmocka_unit_test_teardown(test_log_level, teardown),
		cmocka_unit_test_teardown(test_profile, teardown),
	};

	if (argc == 2 && !strcmp(argv[1], "--child-log"))
		return child_log();
	unsetenv("NPU_DEVICES");
	unsetenv("NPU_PROFILE");
	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
