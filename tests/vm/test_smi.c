// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu-smi in the VM: every field it prints agrees with sysfs, the JSON
 * parses and carries the documented keys, `ps` shows this process holding
 * a PE with its exact device memory, the CDI spec names every node, and the
 * documented exit codes. The module is loaded with the list's parameters.
 */
#include <dirent.h>
#include <stdbool.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "test_util.h"

#define SMI "/usr/bin/npu-smi"

/* Runs @cmd through sh; returns its exit status, output in *@out. */
static int run_cmd(const char *cmd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	FILE *p;
	int status;

	assert_non_null(buf);
	p = popen(cmd, "r");
	assert_non_null(p);
	for (;;) {
		size_t n;

		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	status = pclose(p);
	assert_true(WIFEXITED(status));
	*out = buf;
	return WEXITSTATUS(status);
}

static struct json_object *run_json(const char *cmd)
{
	struct json_object *o;
	char *out;

	assert_int_equal(run_cmd(cmd, &out), 0);
	o = json_tokener_parse(out);
	if (!o)
		fail_msg("%s: output is not JSON:\n%s", cmd, out);
	free(out);
	return o;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("JSON key '%s' missing in %s", key,
			 json_object_to_json_string(o));
	return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	return json_object_get_string(jget(o, key));
}

static long long jll(struct json_object *o, const char *key)
{
	return (long long)json_object_get_int64(jget(o, key));
}

/* The PE and fused node names of NPU @dev, from sysfs, sorted. */
static int sysfs_nodes(unsigned int dev, char names[][32], int max)
{
	char prefix[32];
	struct dirent *e;
	DIR *d = opendir(NPU_CLASS_DIR);
	int n = 0;

	assert_non_null(d);
	snprintf(prefix, sizeof(prefix), "npu%upe", dev);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		assert_true(n < max);
		assert_true(strlen(e->d_name) < 32);
		memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);
	}
	closedir(d);
	return n;
}

static void check_node(struct json_object *jn)
{
	const char *name = jstr(jn, "name");
	char path[64];
	bool fused = json_object_get_boolean(jget(jn, "fused"));

	assert_string_equal(jstr(jn, "state"), npu_sysfs(name, "state", path,
							  sizeof(path)));
	assert_int_equal(jll(jn, "owner_pid"), npu_sysfs_ll(name, "owner_pid"));
	snprintf(path, sizeof(path), "/dev/%s", name);
	assert_string_equal(jstr(jn, "devnode"), path);
	assert_int_equal(fused, strchr(name, '-') != NULL);
	if (fused)
		return;
	/* Idle PEs: the counters cannot move between the two reads. */
	assert_int_equal(jll(jn, "jobs_completed"),
			 npu_sysfs_ll(name, "jobs_completed"));
	assert_int_equal(jll(jn, "jobs_failed"),
			 npu_sysfs_ll(name, "jobs_failed"));
	assert_int_equal(jll(jn, "busy_ns"), npu_sysfs_ll(name, "busy_ns"));
	assert_int_equal(jll(jn, "bytes_moved"),
			 npu_sysfs_ll(name, "bytes_moved"));
	assert_int_equal(jll(jn, "ops"), npu_sysfs_ll(name, "ops"));
}

static void check_dev(struct json_object *jd)
{
	char name[16], buf[128], nodes[64][32];
	struct json_object *jnodes = jget(jd, "nodes");
	struct json_object *mem = jget(jd, "memory");
	int i, n;

	snprintf(name, sizeof(name), "npu%lld", jll(jd, "index"));
	assert_string_equal(jstr(jd, "name"), name);
	assert_string_equal(jstr(jd, "arch"), npu_sysfs(name, "arch", buf,
							 sizeof(buf)));
	assert_int_equal(jll(jd, "num_pes"), npu_sysfs_ll(name, "num_pes"));
	assert_string_equal(jstr(jd, "fw_state"),
			    npu_sysfs(name, "fw_state", buf, sizeof(buf)));
	assert_string_equal(jstr(jd, "fw_version"),
			    npu_sysfs(name, "fw_version", buf, sizeof(buf)));
	assert_int_equal(strtoull(jstr(jd, "fw_caps"), NULL, 0),
			 strtoull(npu_sysfs(name, "fw_caps", buf, sizeof(buf)),
				  NULL, 0));
	assert_string_equal(jstr(jd, "abi_version"),
			    npu_sysfs(name, "abi_version", buf, sizeof(buf)));
	assert_string_equal(jstr(jd, "uuid"), npu_sysfs(name, "uuid", buf,
							 sizeof(buf)));
	assert_int_equal(jll(jd, "numa_node"), npu_sysfs_ll(name, "numa_node"));
	assert_int_equal(jll(mem, "total"), npu_sysfs_ll(name, "mem_total"));
	assert_int_equal(jll(mem, "used"), npu_sysfs_ll(name, "mem_used"));
	assert_int_equal(jll(mem, "buffers"), npu_sysfs_ll(name, "bo_count"));
	assert_string_equal(jstr(jget(jd, "bus"), "type"), "platform");
	assert_true(json_object_get_boolean(jget(jget(jd, "bus"), "virtual")));
	assert_non_null(jget(jd, "utilization"));

	n = sysfs_nodes((unsigned int)jll(jd, "index"), nodes, 64);
	assert_int_equal((int)json_object_array_length(jnodes), n);
	for (i = 0; i < n; i++)
		check_node(json_object_array_get_idx(jnodes, i));
}

/* The list view in JSON, while this process holds npu0pe0. */
static void test_json_matches_sysfs(void **state)
{
	struct json_object *o, *devs, *d0;
	int fd = npu_open("npu0pe0");
	unsigned int i;

	(void)state;
	o = run_json(SMI " --json");
	assert_string_equal(jstr(o, "runtime_version"), "1.4.0");
	assert_true(json_object_get_double(jget(o, "utilization_interval_s")) > 0);
	devs = jget(o, "devices");
	assert_int_equal(json_object_array_length(devs),
			 npu_param("num_devices"));
	for (i = 0; i < json_object_array_length(devs); i++)
		check_dev(json_object_array_get_idx(devs, i));
	d0 = json_object_array_get_idx(devs, 0);
	assert_int_equal(jll(d0, "pes_open"), 1);
	assert_int_equal(jll(json_object_array_get_idx(jget(d0, "nodes"), 0),
			     "owner_pid"), getpid());
	json_object_put(o);
	close(fd);
}

/* The node named @name in the first device of `npu-smi --json`. */
static struct json_object *json_node(struct json_object *o, const char *name)
{
	struct json_object *nodes;
	size_t i;

	nodes = jget(json_object_array_get_idx(jget(o, "devices"), 0),
		     "nodes");
	for (i = 0; i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);

		if (!strcmp(jstr(n, "name"), name))
			return n;
	}
	fail_msg("npu-smi --json has no node %s", name);
	return NULL;
}

/*
 * Holders, not the opener: after fork the child keeps the descriptor and
 * the opener closes its own; sysfs owner_pid still names the opener, the
 * table, --json's holder_pid and ps name the child, with the open file's
 * fdinfo drm-client-id.
 */
static void test_holders(void **state)
{
	struct json_object *o, *n, *arr;
	int fd, p[2], st;
	char c, *out, want[64];
	pid_t child;
	size_t i;
	bool seen = false;

	(void)state;
	fd = npu_open("npu0pe0");
	assert_ok(pipe(p));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(p[1]);
		/* Holds fd until the parent closes its end of the pipe. */
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
	}
	close(p[0]);
	close(fd);

	o = run_json(SMI " --json");
	n = json_node(o, "npu0pe0");
	assert_int_equal(jll(n, "owner_pid"), getpid());
	assert_int_equal(jll(n, "holder_pid"), child);
	assert_int_equal(jll(n, "holders"), 1);
	n = json_node(o, "npu0pe0-1");
	assert_null(jget(n, "holder_pid"));
	json_object_put(o);

	assert_int_equal(run_cmd(SMI, &out), 0);
	snprintf(want, sizeof(want), "%d (test_smi)", (int)child);
	if (!strstr(out, want))
		fail_msg("the table does not name the holder \"%s\":\n%s",
			 want, out);
	free(out);

	arr = run_json(SMI " ps --json");
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		if (jll(e, "pid") != child)
			continue;
		assert_string_equal(jstr(e, "node"), "npu0pe0");
		assert_true(jll(e, "client_id") > 0);
		seen = true;
	}
	assert_true(seen);
	json_object_put(arr);

	close(p[1]);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* `info -d N`: every "  key value" line of the device equals sysfs. */
static void test_info_text(void **state)
{
	static const char *const keys[] = {
		"arch", "num_pes", "fw_state", "fw_version", "abi_version",
		"uuid", "numa_node", "mem_total", "mem_used", "bo_count",
	};
	unsigned int dev = npu_param("num_devices") - 1;
	char cmd[64], name[16], buf[128], *out, *line;
	unsigned int found = 0, k;

	(void)state;
	snprintf(cmd, sizeof(cmd), SMI " info -d %u", dev);
	snprintf(name, sizeof(name), "npu%u", dev);
	assert_int_equal(run_cmd(cmd, &out), 0);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char key[32], val[96];

		if (sscanf(line, "  %31s %95s", key, val) != 2 ||
		    line[2] == ' ')
			continue;	/* node lines are indented further */
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strcmp(key, keys[k]))
				continue;
			assert_string_equal(val, npu_sysfs(name, key, buf,
							   sizeof(buf)));
			found++;
		}
	}
	assert_int_equal(found, sizeof(keys) / sizeof(keys[0]));
	free(out);
}

static void test_query_csv(void **state)
{
	char *out, expect[512], buf[4][96];
	unsigned int n = npu_param("num_devices"), i;
	size_t off;

	(void)state;
	assert_int_equal(run_cmd(SMI " -q index,arch,num_pes,mem_total,uuid,fw_state", &out), 0);
	off = (size_t)snprintf(expect, sizeof(expect),
			       "index,arch,num_pes,mem_total,uuid,fw_state\n");
	for (i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "npu%u", i);
		off += (size_t)snprintf(expect + off, sizeof(expect) - off,
			"%u,%s,%s,%s,%s,%s\n", i,
			npu_sysfs(name, "arch", buf[0], sizeof(buf[0])),
			npu_sysfs(name, "num_pes", buf[1], sizeof(buf[1])),
			npu_sysfs(name, "mem_total", buf[2], sizeof(buf[2])),
			npu_sysfs(name, "uuid", buf[3], sizeof(buf[3])),
			"ready");
	}
	assert_string_equal(out, expect);
	free(out);

	assert_int_equal(run_cmd(SMI " -q index --format csv,noheader -l 0.1 -c 3 -i 0", &out), 0);
	/* Three refreshes, separated by blank lines. */
	assert_int_equal(strncmp(out, "0\n", 2), 0);
	assert_non_null(strstr(out, "\n\n0\n"));
	free(out);
}

/* ps: this process, its PE node and exactly the memory it holds. */
static void test_ps(void **state)
{
	int fd = npu_open("npu0pe1");
	int mgmt = npu_open("npu0");
	__u64 alloc = 0;
	struct json_object *arr;
	bool seen_pe = false, seen_mgmt = false;
	unsigned int i;

	(void)state;
	npu_bo_create(fd, 3 * npu_page_size(), &alloc);
	npu_bo_create(fd, 1, NULL);
	arr = run_json(SMI " ps --json");
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);

		if (jll(p, "pid") != getpid())
			continue;
		assert_string_equal(jstr(p, "command"), "test_smi");
		if (!strcmp(jstr(p, "node"), "npu0pe1")) {
			assert_int_equal(jll(p, "memory_bytes"),
					 alloc + npu_page_size());
			assert_int_equal(jll(p, "buffers"), 2);
			seen_pe = true;
		} else if (!strcmp(jstr(p, "node"), "npu0")) {
			assert_int_equal(jll(p, "memory_bytes"), 0);
			seen_mgmt = true;
		}
	}
	assert_true(seen_pe);
	assert_true(seen_mgmt);
	json_object_put(arr);
	close(fd);
	close(mgmt);
}

static void test_cdi(void **state)
{
	struct json_object *spec, *devs;
	unsigned int ndev = npu_param("num_devices"), d, i;
	int seen = 0, expect = 0;

	(void)state;
	spec = run_json(SMI " cdi");
	assert_string_equal(jstr(spec, "cdiVersion"), "0.6.0");
	assert_string_equal(jstr(spec, "kind"), "rm-npu.io/npu");
	devs = jget(spec, "devices");
	for (d = 0; d < ndev; d++) {
		char nodes[64][32];
		int n = sysfs_nodes(d, nodes, 64), k;

		expect += n + 1;	/* + the whole NPU */
		for (k = 0; k < n; k++) {
			for (i = 0; i < json_object_array_length(devs); i++) {
				struct json_object *cd =
					json_object_array_get_idx(devs, i);
				struct json_object *dn;
				char path[48];

				if (strcmp(jstr(cd, "name"), nodes[k]))
					continue;
				dn = jget(jget(cd, "containerEdits"),
					  "deviceNodes");
				snprintf(path, sizeof(path), "/dev/%.31s",
					 nodes[k]);
				assert_string_equal(jstr(json_object_array_get_idx(dn, 0),
							 "path"), path);
				assert_string_equal(jstr(json_object_array_get_idx(dn, 0),
							 "type"), "c");
				seen++;
			}
		}
	}
	assert_int_equal(seen, expect - (int)ndev);
	/* + "all" */
	assert_int_equal((int)json_object_array_length(devs), expect + 1);
	json_object_put(spec);
}

static void test_exit_codes(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run_cmd(SMI " --bogus 2>&1", &out), 2);
	free(out);
	assert_int_equal(run_cmd(SMI " -q nope 2>&1", &out), 2);
	assert_non_null(strstr(out, "unknown query field 'nope'"));
	free(out);
	assert_int_equal(run_cmd(SMI " info -d 99 2>&1", &out), 4);
	assert_string_equal(out, "npu-smi: no NPU 99 (see npu-smi)\n");
	free(out);
	assert_int_equal(run_cmd(SMI " -d 99 2>&1", &out), 4);
	free(out);
	assert_int_equal(run_cmd(SMI " cdi -o /nonexistent/dir/x.json 2>&1",
				 &out), 1);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_matches_sysfs),
		cmocka_unit_test(test_info_text),
		cmocka_unit_test(test_query_csv),
		cmocka_unit_test(test_ps),
		cmocka_unit_test(test_holders),
		cmocka_unit_test(test_cdi),
		cmocka_unit_test(test_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
