// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_device_plugin (VM, noload): npu-device-plugin against the fake
 * kubelet (tests/k8s/fake_kubelet.c) in a temporary device-plugin folder,
 * with rm_npu loaded in several configurations: the resources and device
 * lists each partitioning policy advertises, Allocate answers (device
 * nodes, CDI names as `npu-smi cdi` writes them, NPU_DEVICES that libnpurt
 * opens) that never share a PE, preferred allocations, bad requests
 * answered with exact errors and no change, health following rmmod,
 * missing firmware and insmod, and registration again after the kubelet
 * restarts. The plugin must exit 0 on SIGTERM and remove its sockets.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>

#include <json-c/json.h>

#include <npurt.h>

#include "fake_kubelet.h"
#include "test_util.h"

#define PLUGIN		"/usr/bin/npu-device-plugin"
#define SMI		"/usr/bin/npu-smi"
#define FW		"/lib/firmware/rm_npu/warboy.bin"
#define FW_AWAY		"/lib/firmware/rm_npu/warboy.bin.away"
#define PE		"rm-npu.io/pe"
#define PAIR		"rm-npu.io/pe-pair"
#define WAIT_MS		20000

#define ALLOCATE	"/v1beta1.DevicePlugin/Allocate"
#define PREFERRED	"/v1beta1.DevicePlugin/GetPreferredAllocation"
#define PRESTART	"/v1beta1.DevicePlugin/PreStartContainer"

extern char **environ;

static struct {
	char dir[64];
	char log[96];
	pid_t pid;
	struct fk fk;
} t;

/* ---- the module ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void module_load(const char *params)
{
	const char *ko = getenv("NPU_MODULE");

	if (sh("insmod %s %s", ko ? ko : "/npu/rm_npu.ko", params))
		fail_msg("insmod rm_npu %s failed", params);
}

static void module_unload(void)
{
	int i;

	for (i = 0; i < 50 && access("/sys/module/rm_npu", F_OK) == 0; i++)
		if (sh("rmmod rm_npu 2>/dev/null"))
			usleep(100000);
	if (access("/sys/module/rm_npu", F_OK) == 0)
		fail_msg("rmmod rm_npu failed");
}

/* ---- the plugin ---- */

static void plugin_start(const char *partition, const char *cdi_spec)
{
	char *argv[12];
	posix_spawn_file_actions_t fa;
	int n = 0;

	snprintf(t.log, sizeof(t.log), "%s.log", t.dir);
	argv[n++] = PLUGIN;
	argv[n++] = "-v";
	argv[n++] = "--rescan=0";
	argv[n++] = "--partition";
	argv[n++] = (char *)partition;
	argv[n++] = "--plugin-dir";
	argv[n++] = t.dir;
	if (cdi_spec) {
		argv[n++] = "--cdi-spec";
		argv[n++] = (char *)cdi_spec;
	}
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, t.log,
					 O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&t.pid, PLUGIN, &fa, NULL, argv, environ))
		fail_msg("cannot start %s", PLUGIN);
	posix_spawn_file_actions_destroy(&fa);
}

static void show_log(void)
{
	char line[512];
	FILE *f = fopen(t.log, "r");

	if (!f)
		return;
	printf("--- %s ---\n", t.log);
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
}

/* SIGTERM: exit status 0 within 10 s, sockets removed. */
static void plugin_stop(void)
{
	char path[128];
	int st = 0, i;
	pid_t pid = t.pid;

	if (!pid)
		return;
	t.pid = 0;
	kill(pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		/* Keep our side of the sockets answering meanwhile. */
		fk_run_for(&t.fk, 100);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		show_log();
		fail_msg("the plugin did not stop within 10 s of SIGTERM");
	}
	show_log();
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("the plugin ended with status 0x%x, expected exit 0",
			 st);
	snprintf(path, sizeof(path), "%s/rm-npu-pe.sock", t.dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/rm-npu-pe-pair.sock", t.dir);
	assert_int_equal(access(path, F_OK), -1);
}

/* ---- state seen through the fake kubelet ---- */

struct want_reg {
	const char *name;
	unsigned int registrations;
	unsigned int updates;
};

static bool registered(struct fk *fk, void *arg)
{
	const struct want_reg *w = arg;
	struct fk_resource *r = fk_resource(fk, w->name);

	return r && r->registrations >= w->registrations &&
	       r->updates >= w->updates;
}

static struct fk_resource *wait_registered(const char *name,
					   unsigned int registrations,
					   unsigned int updates)
{
	struct want_reg w = { name, registrations, updates };

	if (!fk_wait(&t.fk, registered, &w, WAIT_MS)) {
		show_log();
		fail_msg("%s: no registration %u with update %u", name,
			 registrations, updates);
	}
	return fk_resource(&t.fk, name);
}

/* "id:H,id:U,..." of a resource's last device list (H healthy). */
static const char *devlist(const struct fk_resource *r)
{
	static char buf[2048];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < r->num_devices; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%c",
				      i ? "," : "", r->devices[i].id,
				      r->devices[i].healthy ? 'H' : 'U');
	return buf;
}

struct want_list {
	const char *name;
	const char *list;
};

static bool list_is(struct fk *fk, void *arg)
{
	const struct want_list *w = arg;
	struct fk_resource *r = fk_resource(fk, w->name);

	return r && !strcmp(devlist(r), w->list);
}

static void wait_list(const char *name, const char *list)
{
	struct want_list w = { name, list };

	if (!fk_wait(&t.fk, list_is, &w, WAIT_MS)) {
		struct fk_resource *r = fk_resource(&t.fk, name);

		show_log();
		fail_msg("%s: device list '%s', expected '%s'", name,
			 r ? devlist(r) : "(not registered)", list);
	}
}

static void start(const char *modparams, const char *partition,
		  const char *cdi_spec)
{
	module_load(modparams);
	assert_int_equal(fk_start(&t.fk, t.dir), 0);
	plugin_start(partition, cdi_spec);
}

/* ---- requests ---- */

/* Splits "a,b;c" into containers (';') of device IDs (','). */
struct containers {
	size_t n;
	char **ids[8];
	size_t nids[8];
	char buf[512];
};

static void split(struct containers *c, const char *spec)
{
	char *save, *cont, *p;

	memset(c, 0, sizeof(*c));
	snprintf(c->buf, sizeof(c->buf), "%s", spec);
	if (!spec[0])
		return;
	p = c->buf;
	for (;;) {
		char *end = strchr(p, ';');

		if (end)
			*end = '\0';
		c->ids[c->n] = calloc(16, sizeof(char *));
		for (cont = strtok_r(p, ",", &save); cont;
		     cont = strtok_r(NULL, ",", &save))
			c->ids[c->n][c->nids[c->n]++] = cont;
		c->n++;
		if (!end)
			break;
		p = end + 1;
	}
}

static void split_free(struct containers *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->ids[i]);
}

/* Allocate for containers @spec; Return: the status, *@out the answer. */
static int allocate(const char *res, const char *spec,
		    V1beta1__AllocateResponse **out, char *details)
{
	V1beta1__AllocateRequest req = V1BETA1__ALLOCATE_REQUEST__INIT;
	V1beta1__ContainerAllocateRequest cr[8], *crp[8];
	struct containers c;
	ProtobufCMessage *resp;
	size_t i;
	int st;

	split(&c, spec);
	for (i = 0; i < c.n; i++) {
		v1beta1__container_allocate_request__init(&cr[i]);
		cr[i].n_devices_ids = c.nids[i];
		cr[i].devices_ids = c.ids[i];
		crp[i] = &cr[i];
	}
	req.n_container_requests = c.n;
	req.container_requests = crp;
	st = fk_call(&t.fk, res, ALLOCATE, &req.base,
		     &v1beta1__allocate_response__descriptor, &resp, details,
		     512);
	split_free(&c);
	*out = (V1beta1__AllocateResponse *)resp;
	return st;
}

static void assert_status(int got, const char *details, int want,
			  const char *want_details)
{
	if (got != want || strcmp(details, want_details))
		fail_msg("status %d '%s', expected %d '%s'", got, details,
			 want, want_details);
}

/* One container's answer as text, checking what is the same for all. */
static const char *describe(const V1beta1__ContainerAllocateResponse *c)
{
	static char buf[2048];
	size_t i, n = 0;

	assert_int_equal(c->n_mounts, 0);
	assert_int_equal(c->n_envs, 1);
	assert_int_equal(c->n_annotations, 1);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "devices=");
	for (i = 0; i < c->n_devices; i++) {
		assert_string_equal(c->devices[i]->host_path,
				    c->devices[i]->container_path);
		assert_string_equal(c->devices[i]->permissions, "rw");
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "," : "", c->devices[i]->host_path);
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " cdi=");
	for (i = 0; i < c->n_cdi_devices; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "," : "", c->cdi_devices[i]->name);
	snprintf(buf + n, sizeof(buf) - n, " env=%s=%s ann=%s=%s",
		 c->envs[0]->key, c->envs[0]->value, c->annotations[0]->key,
		 c->annotations[0]->value);
	return buf;
}

/* ---- fixture ---- */

static int setup(void **state)
{
	(void)state;
	memset(&t, 0, sizeof(t));
	snprintf(t.dir, sizeof(t.dir), "/tmp/dp.XXXXXX");
	if (!mkdtemp(t.dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (t.pid) {
		kill(t.pid, SIGKILL);
		waitpid(t.pid, NULL, 0);
		show_log();
	}
	fk_destroy(&t.fk);
	if (access(FW_AWAY, F_OK) == 0)
		rename(FW_AWAY, FW);
	sh("rmmod rm_npu 2>/dev/null");
	sh("rm -rf %s %s", t.dir, t.log);
	return 0;
}

/* ---- tests ---- */

static void check_registration(const struct fk_resource *r,
			       const char *endpoint)
{
	assert_string_equal(r->version, "v1beta1");
	assert_string_equal(r->endpoint, endpoint);
	assert_true(r->opt_preferred);
	assert_false(r->opt_prestart);
	assert_int_equal(r->registrations, 1);
}

/* -1 (no topology) when the NPU has no NUMA node, else that node. */
static void check_numa(const struct fk_resource *r)
{
	size_t i;

	for (i = 0; i < r->num_devices; i++) {
		unsigned int npu = 0;
		char node[16];
		long long want;

		sscanf(r->devices[i].id, "npu%u", &npu);
		snprintf(node, sizeof(node), "npu%u", npu);
		want = npu_sysfs_ll(node, "numa_node");
		assert_int_equal(r->devices[i].numa, want < 0 ? -1 : want);
	}
}

static void test_single(void **state)
{
	struct fk_resource *r;

	(void)state;
	start("num_devices=2 num_pes=3", "single", NULL);
	r = wait_registered(PE, 1, 1);
	check_registration(r, "rm-npu-pe.sock");
	assert_string_equal(devlist(r), "npu0pe0:H,npu0pe1:H,npu0pe2:H,"
			    "npu1pe0:H,npu1pe1:H,npu1pe2:H");
	check_numa(r);
	fk_run_for(&t.fk, 300);
	assert_null(fk_resource(&t.fk, PAIR));
	assert_int_equal(t.fk.num_res, 1);
	assert_int_equal(t.fk.rejected, 0);
	plugin_stop();
}

static void test_pair(void **state)
{
	struct fk_resource *r;

	(void)state;
	start("num_devices=2 num_pes=3", "pair", NULL);
	r = wait_registered(PAIR, 1, 1);
	check_registration(r, "rm-npu-pe-pair.sock");
	/* PE 2 has no partner: not advertised under "pair". */
	assert_string_equal(devlist(r), "npu0pe0-1:H,npu1pe0-1:H");
	fk_run_for(&t.fk, 300);
	assert_null(fk_resource(&t.fk, PE));
	plugin_stop();
}

static void test_mixed(void **state)
{
	struct fk_resource *pe, *pair;

	(void)state;
	start("num_pes=8", "pairs:2", NULL);
	pair = wait_registered(PAIR, 1, 1);
	pe = wait_registered(PE, 1, 1);
	check_registration(pair, "rm-npu-pe-pair.sock");
	check_registration(pe, "rm-npu-pe.sock");
	assert_string_equal(devlist(pair), "npu0pe0-1:H,npu0pe2-3:H");
	assert_string_equal(devlist(pe), "npu0pe4:H,npu0pe5:H,npu0pe6:H,"
			    "npu0pe7:H");
	plugin_stop();
}

/* Every CDI device an answer names is in `npu-smi cdi`'s spec. */
static void check_cdi_names(struct json_object *spec,
			    const V1beta1__ContainerAllocateResponse *c)
{
	struct json_object *devs;
	size_t i, j;

	assert_true(json_object_object_get_ex(spec, "devices", &devs));
	for (i = 0; i < c->n_cdi_devices; i++) {
		const char *name = c->cdi_devices[i]->name;
		const char *eq = strchr(name, '=');
		bool found = false;

		assert_non_null(eq);
		assert_int_equal(strncmp(name, "rm-npu.io/npu=", 14), 0);
		for (j = 0; j < json_object_array_length(devs); j++) {
			struct json_object *d = json_object_array_get_idx(devs,
									 j);
			struct json_object *n;

			if (json_object_object_get_ex(d, "name", &n) &&
			    !strcmp(json_object_get_string(n), eq + 1))
				found = true;
		}
		if (!found)
			fail_msg("CDI device %s is not in npu-smi cdi's spec",
				 name);
	}
}

static char *read_all(const char *cmd_or_path, bool is_cmd)
{
	FILE *f = is_cmd ? popen(cmd_or_path, "r") : fopen(cmd_or_path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	if (is_cmd)
		assert_int_equal(pclose(f), 0);
	else
		fclose(f);
	return buf;
}

static void test_allocate(void **state)
{
	static const char *const want_pe[] = {
		"devices=/dev/npu0pe2,/dev/npu0 cdi=rm-npu.io/npu=npu0pe2 env=NPU_DEVICES=npu0pe2 ann=cdi.k8s.io/rm-npu-device-plugin_pe=rm-npu.io/npu=npu0pe2",
		"devices=/dev/npu0pe3,/dev/npu0 cdi=rm-npu.io/npu=npu0pe3 env=NPU_DEVICES=npu0pe3 ann=cdi.k8s.io/rm-npu-device-plugin_pe=rm-npu.io/npu=npu0pe3",
		"devices=/dev/npu1pe2,/dev/npu1 cdi=rm-npu.io/npu=npu1pe2 env=NPU_DEVICES=npu1pe2 ann=cdi.k8s.io/rm-npu-device-plugin_pe=rm-npu.io/npu=npu1pe2",
		"devices=/dev/npu1pe3,/dev/npu1 cdi=rm-npu.io/npu=npu1pe3 env=NPU_DEVICES=npu1pe3 ann=cdi.k8s.io/rm-npu-device-plugin_pe=rm-npu.io/npu=npu1pe3",
	};
	V1beta1__AllocateResponse *a_pair, *a_pe;
	bool pe_taken[2][4] = { { false } };
	char details[512], cdi_path[96];
	struct json_object *spec;
	char *smi_cdi, *plugin_cdi;
	const char *env;
	int fds[16], nfd = 0, i;
	npurt_runtime *rt;
	size_t c, d;

	(void)state;
	snprintf(cdi_path, sizeof(cdi_path), "%s/rm-npu.json", t.dir);
	start("num_devices=2 num_pes=4", "pairs:1", cdi_path);
	wait_list(PAIR, "npu0pe0-1:H,npu1pe0-1:H");
	wait_list(PE, "npu0pe2:H,npu0pe3:H,npu1pe2:H,npu1pe3:H");

	/* Everything, as the kubelet could hand it out at once. */
	assert_status(allocate(PAIR, "npu0pe0-1,npu1pe0-1", &a_pair, details),
		      details, GRPC_STATUS_OK, "");
	assert_int_equal(a_pair->n_container_responses, 1);
	assert_string_equal(describe(a_pair->container_responses[0]),
		"devices=/dev/npu0pe0-1,/dev/npu1pe0-1,/dev/npu0,/dev/npu1 "
		"cdi=rm-npu.io/npu=npu0pe0-1,rm-npu.io/npu=npu1pe0-1 "
		"env=NPU_DEVICES=npu0pe0-1,npu1pe0-1 "
		"ann=cdi.k8s.io/rm-npu-device-plugin_pe-pair="
		"rm-npu.io/npu=npu0pe0-1,rm-npu.io/npu=npu1pe0-1");
	assert_status(allocate(PE, "npu0pe2;npu0pe3;npu1pe2;npu1pe3", &a_pe,
			       details), details, GRPC_STATUS_OK, "");
	assert_int_equal(a_pe->n_container_responses, 4);
	for (c = 0; c < 4; c++)
		assert_string_equal(describe(a_pe->container_responses[c]),
				    want_pe[c]);

	/* No PE twice: the PEs granted are all different, cover every PE,
	 * and every node granted opens at the same time (the driver refuses
	 * a PE held through another node with EBUSY). */
	for (c = 0; c < 5; c++) {
		const V1beta1__ContainerAllocateResponse *cr = c < 4 ?
			a_pe->container_responses[c] :
			a_pair->container_responses[0];

		for (d = 0; d < cr->n_cdi_devices; d++) {
			unsigned int npu, pe, last;
			const char *id = strchr(cr->cdi_devices[d]->name, '=') + 1;
			int k = sscanf(id, "npu%upe%u-%u", &npu, &pe, &last);

			if (k == 2)
				last = pe;
			assert_true(k >= 2 && npu < 2 && last < 4);
			for (; pe <= last; pe++) {
				if (pe_taken[npu][pe])
					fail_msg("PE %u of npu%u granted twice",
						 pe, npu);
				pe_taken[npu][pe] = true;
			}
		}
		for (d = 0; d < cr->n_devices; d++) {
			const char *p = cr->devices[d]->host_path;

			if (!strstr(p, "pe"))
				continue;	/* management nodes */
			fds[nfd] = open(p, O_RDWR);
			if (fds[nfd] < 0)
				fail_msg("open %s: %s", p, strerror(errno));
			nfd++;
		}
	}
	for (i = 0; i < 8; i++)
		assert_true(pe_taken[i / 4][i % 4]);
	assert_int_equal(nfd, 6);
	while (nfd)
		close(fds[--nfd]);

	/* The CDI names are npu-smi's, and the spec the plugin keeps is
	 * the one npu-smi writes. */
	smi_cdi = read_all(SMI " cdi", true);
	plugin_cdi = read_all(cdi_path, false);
	assert_string_equal(plugin_cdi, smi_cdi);
	spec = json_tokener_parse(smi_cdi);
	assert_non_null(spec);
	check_cdi_names(spec, a_pair->container_responses[0]);
	for (c = 0; c < 4; c++)
		check_cdi_names(spec, a_pe->container_responses[c]);
	json_object_put(spec);
	free(smi_cdi);
	free(plugin_cdi);

	/* libnpurt in the container opens exactly what NPU_DEVICES says. */
	env = a_pair->container_responses[0]->envs[0]->value;
	assert_int_equal(npurt_runtime_create(env, &rt), 0);
	assert_int_equal(npurt_runtime_device_count(rt), 2);
	assert_int_equal(npu_try_open("npu0pe1"), -EBUSY);
	assert_int_equal(npu_try_open("npu1pe0"), -EBUSY);
	npurt_runtime_destroy(rt);

	v1beta1__allocate_response__free_unpacked(a_pair, NULL);
	v1beta1__allocate_response__free_unpacked(a_pe, NULL);
	plugin_stop();
}

/* GetPreferredAllocation of @size from @avail with @must: its answer. */
static const char *prefer(const char *avail, const char *must, int size,
			  int *st, char *details)
{
	V1beta1__PreferredAllocationRequest req =
		V1BETA1__PREFERRED_ALLOCATION_REQUEST__INIT;
	V1beta1__ContainerPreferredAllocationRequest cr =
		V1BETA1__CONTAINER_PREFERRED_ALLOCATION_REQUEST__INIT, *crp = &cr;
	V1beta1__PreferredAllocationResponse *resp;
	static char buf[512];
	struct containers a, m;
	ProtobufCMessage *out;
	size_t i, n = 0;

	split(&a, avail);
	split(&m, must);
	cr.n_available_deviceids = a.n ? a.nids[0] : 0;
	cr.available_deviceids = a.n ? a.ids[0] : NULL;
	cr.n_must_include_deviceids = m.n ? m.nids[0] : 0;
	cr.must_include_deviceids = m.n ? m.ids[0] : NULL;
	cr.allocation_size = size;
	req.n_container_requests = 1;
	req.container_requests = &crp;
	*st = fk_call(&t.fk, PE, PREFERRED, &req.base,
		      &v1beta1__preferred_allocation_response__descriptor,
		      &out, details, 512);
	split_free(&a);
	split_free(&m);
	buf[0] = '\0';
	if (*st)
		return buf;
	resp = (V1beta1__PreferredAllocationResponse *)out;
	assert_int_equal(resp->n_container_responses, 1);
	for (i = 0; i < resp->container_responses[0]->n_deviceids; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "," : "",
				      resp->container_responses[0]->deviceids[i]);
	v1beta1__preferred_allocation_response__free_unpacked(resp, NULL);
	return buf;
}

static void test_preferred(void **state)
{
	const char *all = "npu0pe0,npu0pe1,npu0pe2,npu0pe3,npu1pe0,npu1pe1,"
			  "npu1pe2,npu1pe3";
	char details[512];
	int st;

	(void)state;
	start("num_devices=2 num_pes=4", "single", NULL);
	wait_registered(PE, 1, 1);
	/* The must-include's NPU first, lowest PE. */
	assert_string_equal(prefer(all, "npu1pe2", 2, &st, details),
			    "npu1pe2,npu1pe0");
	assert_int_equal(st, 0);
	/* The NPU that holds the request most tightly. */
	assert_string_equal(prefer("npu0pe3,npu1pe0,npu1pe1,npu1pe2", "", 2,
				   &st, details), "npu1pe0,npu1pe1");
	assert_string_equal(prefer("npu0pe0,npu0pe1,npu0pe2,npu1pe0,npu1pe1",
				   "", 2, &st, details), "npu1pe0,npu1pe1");
	/* None holds it: the fullest first, then the next. */
	assert_string_equal(prefer("npu0pe0,npu0pe1,npu1pe0,npu1pe1", "", 3,
				   &st, details), "npu0pe0,npu0pe1,npu1pe0");
	assert_string_equal(prefer(all, "", 8, &st, details), all);
	plugin_stop();
}

static void test_bad_requests(void **state)
{
	V1beta1__AllocateResponse *a;
	V1beta1__PreStartContainerRequest ps =
		V1BETA1__PRE_START_CONTAINER_REQUEST__INIT;
	V1beta1__DevicePluginOptions wrong = V1BETA1__DEVICE_PLUGIN_OPTIONS__INIT;
	V1beta1__Empty empty = V1BETA1__EMPTY__INIT;
	struct fk_resource *pe, *pair;
	unsigned int pe_updates, pair_updates;
	char details[512], *bad_id = "npu7pe0", *good_id = "npu0pe2";
	ProtobufCMessage *out;
	int st;

	(void)state;
	start("num_pes=4", "pairs:1", NULL);
	wait_list(PAIR, "npu0pe0-1:H");
	wait_list(PE, "npu0pe2:H,npu0pe3:H");
	pe = fk_resource(&t.fk, PE);
	pair = fk_resource(&t.fk, PAIR);
	pe_updates = pe->updates;
	pair_updates = pair->updates;

	assert_status(allocate(PE, "npu9pe9", &a, details), details,
		      GRPC_STATUS_INVALID_ARGUMENT,
		      "container 0: unknown device 'npu9pe9' for rm-npu.io/pe");
	/* A PE of the fused pair is not a device of rm-npu.io/pe ... */
	assert_status(allocate(PE, "npu0pe0", &a, details), details,
		      GRPC_STATUS_INVALID_ARGUMENT,
		      "container 0: unknown device 'npu0pe0' for rm-npu.io/pe");
	/* ... nor a single PE one of rm-npu.io/pe-pair. */
	assert_status(allocate(PAIR, "npu0pe2", &a, details), details,
		      GRPC_STATUS_INVALID_ARGUMENT,
		      "container 0: unknown device 'npu0pe2' for rm-npu.io/pe-pair");
	assert_status(allocate(PE, "npu0pe2,npu0pe2", &a, details), details,
		      GRPC_STATUS_INVALID_ARGUMENT,
		      "container 0: device npu0pe2 requested twice");
	assert_status(allocate(PE, "", &a, details), details,
		      GRPC_STATUS_INVALID_ARGUMENT, "no container request");
	assert_status(allocate(PE, "npu0pe2;", &a, details), details,
		      GRPC_STATUS_INVALID_ARGUMENT,
		      "container 1: no device requested");
	/* One bad container fails the whole call. */
	assert_status(allocate(PE, "npu0pe3;npu0pe9", &a, details), details,
		      GRPC_STATUS_INVALID_ARGUMENT,
		      "container 1: unknown device 'npu0pe9' for rm-npu.io/pe");
	/* Bytes that are not an AllocateRequest. */
	wrong.pre_start_required = 1;
	st = fk_call(&t.fk, PE, ALLOCATE, &wrong.base,
		     &v1beta1__allocate_response__descriptor, &out, details,
		     sizeof(details));
	assert_status(st, details, GRPC_STATUS_INVALID_ARGUMENT,
		      "/v1beta1.DevicePlugin/Allocate: the request does not decode as v1beta1.AllocateRequest");
	st = fk_call(&t.fk, PE, "/v1beta1.DevicePlugin/Deallocate",
		     &empty.base, &v1beta1__empty__descriptor, &out, details,
		     sizeof(details));
	assert_status(st, details, GRPC_STATUS_UNIMPLEMENTED,
		      "unknown method /v1beta1.DevicePlugin/Deallocate");
	ps.n_devices_ids = 1;
	ps.devices_ids = &bad_id;
	st = fk_call(&t.fk, PE, PRESTART, &ps.base,
		     &v1beta1__pre_start_container_response__descriptor, &out,
		     details, sizeof(details));
	assert_status(st, details, GRPC_STATUS_INVALID_ARGUMENT,
		      "unknown device 'npu7pe0' for rm-npu.io/pe");
	prefer("npu0pe2,npu0pe3", "npu0pe0", 1, &st, details);
	assert_status(st, details, GRPC_STATUS_INVALID_ARGUMENT,
		      "container 0: must-include device 'npu0pe0' is not available (or twice)");
	prefer("npu0pe2,npu0pe3", "", 3, &st, details);
	assert_status(st, details, GRPC_STATUS_INVALID_ARGUMENT,
		      "container 0: cannot choose 3 of 2 devices");
	prefer("npu0pe2,npu5pe5", "", 1, &st, details);
	assert_status(st, details, GRPC_STATUS_INVALID_ARGUMENT,
		      "container 0: unknown device 'npu5pe5' for rm-npu.io/pe");

	/* No change: no update streamed, the same lists, and good requests
	 * still answered. */
	fk_run_for(&t.fk, 500);
	assert_int_equal(pe->updates, pe_updates);
	assert_int_equal(pair->updates, pair_updates);
	assert_string_equal(devlist(pe), "npu0pe2:H,npu0pe3:H");
	assert_string_equal(devlist(pair), "npu0pe0-1:H");
	ps.devices_ids = &good_id;
	st = fk_call(&t.fk, PE, PRESTART, &ps.base,
		     &v1beta1__pre_start_container_response__descriptor, &out,
		     details, sizeof(details));
	assert_status(st, details, GRPC_STATUS_OK, "");
	protobuf_c_message_free_unpacked(out, NULL);
	assert_status(allocate(PE, "npu0pe2,npu0pe3", &a, details), details,
		      GRPC_STATUS_OK, "");
	assert_string_equal(describe(a->container_responses[0]),
		"devices=/dev/npu0pe2,/dev/npu0pe3,/dev/npu0 "
		"cdi=rm-npu.io/npu=npu0pe2,rm-npu.io/npu=npu0pe3 "
		"env=NPU_DEVICES=npu0pe2,npu0pe3 "
		"ann=cdi.k8s.io/rm-npu-device-plugin_pe="
		"rm-npu.io/npu=npu0pe2,rm-npu.io/npu=npu0pe3");
	v1beta1__allocate_response__free_unpacked(a, NULL);
	plugin_stop();
}

struct want_more {
	const char *name;
	unsigned int updates;
};

static bool more_updates(struct fk *fk, void *arg)
{
	const struct want_more *w = arg;

	return fk_resource(fk, w->name)->updates >= w->updates;
}

static void test_health(void **state)
{
	V1beta1__AllocateResponse *a;
	struct want_more more = { PE, 0 };
	struct fk_resource *pe;
	char details[512];

	(void)state;
	start("num_pes=2", "single", NULL);
	wait_list(PE, "npu0pe0:H,npu0pe1:H");
	pe = fk_resource(&t.fk, PE);

	/* The driver goes away: the devices stay, unhealthy. */
	module_unload();
	wait_list(PE, "npu0pe0:U,npu0pe1:U");
	assert_status(allocate(PE, "npu0pe1", &a, details), details,
		      GRPC_STATUS_FAILED_PRECONDITION,
		      "container 0: device npu0pe1 is unhealthy (gone)");

	/* Back without its firmware: present, still unhealthy, and why. */
	assert_int_equal(rename(FW, FW_AWAY), 0);
	more.updates = pe->updates + 1;
	module_load("num_pes=2");
	if (!fk_wait(&t.fk, more_updates, &more, WAIT_MS))
		fail_msg("no update after insmod without firmware");
	fk_run_for(&t.fk, 500);		/* the events of every node */
	assert_string_equal(devlist(pe), "npu0pe0:U,npu0pe1:U");
	assert_status(allocate(PE, "npu0pe0", &a, details), details,
		      GRPC_STATUS_FAILED_PRECONDITION,
		      "container 0: device npu0pe0 is unhealthy (firmware missing)");

	/* With its firmware: healthy again and allocatable. */
	module_unload();
	assert_int_equal(rename(FW_AWAY, FW), 0);
	wait_list(PE, "npu0pe0:U,npu0pe1:U");
	module_load("num_pes=2");
	wait_list(PE, "npu0pe0:H,npu0pe1:H");
	assert_status(allocate(PE, "npu0pe0", &a, details), details,
		      GRPC_STATUS_OK, "");
	v1beta1__allocate_response__free_unpacked(a, NULL);

	/* A larger configuration: new devices join, the list grows. */
	module_unload();
	module_load("num_pes=3");
	wait_list(PE, "npu0pe0:H,npu0pe1:H,npu0pe2:H");
	plugin_stop();
}

static void test_kubelet_restart(void **state)
{
	V1beta1__AllocateResponse *a;
	struct fk_resource *pe;
	char details[512], path[128];

	(void)state;
	start("num_pes=4", "pairs:1", NULL);
	wait_list(PAIR, "npu0pe0-1:H");
	wait_list(PE, "npu0pe2:H,npu0pe3:H");

	/* The kubelet restarts: it removes every socket, makes its own
	 * anew; the plugin serves on new sockets and registers again. */
	assert_int_equal(fk_restart(&t.fk), 0);
	pe = wait_registered(PE, 2, 1);
	wait_registered(PAIR, 2, 1);
	wait_list(PAIR, "npu0pe0-1:H");
	wait_list(PE, "npu0pe2:H,npu0pe3:H");
	assert_true(pe->stream != NULL);
	snprintf(path, sizeof(path), "%s/rm-npu-pe.sock", t.dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_status(allocate(PAIR, "npu0pe0-1", &a, details), details,
		      GRPC_STATUS_OK, "");
	v1beta1__allocate_response__free_unpacked(a, NULL);

	/* Down for a while (the plugin's sockets left in place), then up. */
	fk_stop(&t.fk);
	usleep(500000);
	assert_int_equal(fk_start(&t.fk, t.dir), 0);
	wait_registered(PE, 3, 1);
	wait_registered(PAIR, 3, 1);
	assert_status(allocate(PE, "npu0pe3", &a, details), details,
		      GRPC_STATUS_OK, "");
	v1beta1__allocate_response__free_unpacked(a, NULL);
	assert_int_equal(t.fk.rejected, 0);
	plugin_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_health, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kubelet_restart, setup,
						teardown),
	};

	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* the plugin follows the kubelet's folder with inotify, which the
	 * debug tier's minimal kernel leaves out */
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 && errno == ENOSYS) {
		printf("SKIP: this kernel has no inotify (CONFIG_INOTIFY_USER)\n");
		return 77;
	}
	if (fd >= 0)
		close(fd);
	if (access("/sys/module/rm_npu", F_OK) == 0)
		module_unload();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
