// SPDX-License-Identifier: MIT
/*
 * test_spec.c - libnpurt device specs: the grammar and every syntax error
 * with its exact position, resolution against a fake system (no hardware:
 * a made-up sysfs snapshot and a fake open(2)) for every error the spec
 * documents, and the NPU_DEVICES / auto / cpu defaults of
 * npurt_runtime_create() on this host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "device.h"
#include "spec.h"

/* ---- parsing ------------------------------------------------------------ */

static struct npurt_spec parsed;

static void parse_ok(const char *text, unsigned int items)
{
	size_t pos = 12345;
	int ret = npurt_spec_parse(text, &parsed, &pos);

	if (ret)
		fail_msg("\"%s\": %d (%s)", text, ret, npurt_last_error());
	assert_int_equal(parsed.num_items, items);
	assert_int_equal(pos, 12345);	/* untouched on success */
}

static void test_parse_items(void **state)
{
	const struct npurt_spec_item *it = parsed.items;

	(void)state;
	parse_ok("warboy", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_ARCH);
	assert_string_equal(it[0].arch, "warboy");
	assert_int_equal(it[0].fuse, 1);
	assert_int_equal(it[0].count, 1);

	parse_ok("warboy(2)*3", 1);
	assert_int_equal(it[0].fuse, 2);
	assert_int_equal(it[0].count, 3);

	parse_ok("warboy*4", 1);
	assert_int_equal(it[0].fuse, 1);
	assert_int_equal(it[0].count, 4);

	parse_ok("warboy(1)", 1);
	assert_int_equal(it[0].fuse, 1);
	assert_int_equal(it[0].count, 1);

	parse_ok("npu:0:1", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_NODE);
	assert_int_equal(it[0].dev, 0);
	assert_int_equal(it[0].pe_first, 1);
	assert_int_equal(it[0].pe_count, 1);

	parse_ok("npu:3:2-3", 1);
	assert_int_equal(it[0].dev, 3);
	assert_int_equal(it[0].pe_first, 2);
	assert_int_equal(it[0].pe_count, 2);

	parse_ok("npu12pe5", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_NODE);
	assert_int_equal(it[0].dev, 12);
	assert_int_equal(it[0].pe_first, 5);
	assert_int_equal(it[0].pe_count, 1);

	parse_ok("npu0pe0-1", 1);
	assert_int_equal(it[0].pe_first, 0);
	assert_int_equal(it[0].pe_count, 2);

	parse_ok("cpu", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_CPU);
	assert_int_equal(it[0].threads, 0);

	parse_ok("cuda", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_GPU);
	assert_int_equal(it[0].dev, 0);
	parse_ok("cuda:3", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_GPU);
	assert_int_equal(it[0].dev, 3);
	parse_ok("gpu:1", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_GPU);
	assert_int_equal(it[0].dev, 1);
	parse_ok("npu0pe0, cuda:0", 2);
	assert_int_equal(it[1].kind, NPURT_SPEC_GPU);

	parse_ok("cpu(4)", 1);
	assert_int_equal(it[0].threads, 4);

	parse_ok("cpu(1024)", 1);
	assert_int_equal(it[0].threads, 1024);

	parse_ok("auto", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_AUTO);

	/* Other architectures parse; resolution decides if they exist. */
	parse_ok("rngd_2x(2)*2", 1);
	assert_string_equal(it[0].arch, "rngd_2x");
	/* "cpux" and "autos" are architecture names, not cpu/auto. */
	parse_ok("cpux", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_ARCH);
	parse_ok("autos", 1);
	assert_int_equal(it[0].kind, NPURT_SPEC_ARCH);
}

static void test_parse_lists(void **state)
{
	const struct npurt_spec_item *it = parsed.items;
	char big[64 * 8 + 1] = "";
	int i;

	(void)state;
	parse_ok("  npu0pe0 ,\tnpu:1:0-1,cpu(2) , warboy(2)*1  ", 4);
	assert_int_equal(it[0].kind, NPURT_SPEC_NODE);
	assert_int_equal(it[0].pos, 2);
	assert_int_equal(it[1].kind, NPURT_SPEC_NODE);
	assert_int_equal(it[1].dev, 1);
	assert_int_equal(it[1].pe_count, 2);
	assert_int_equal(it[1].pos, 12);
	assert_int_equal(it[2].kind, NPURT_SPEC_CPU);
	assert_int_equal(it[2].threads, 2);
	assert_int_equal(it[3].kind, NPURT_SPEC_ARCH);
	assert_int_equal(it[3].fuse, 2);

	for (i = 0; i < 64; i++)
		strcat(big, i ? ",cpu(1)" : "cpu(1)");
	parse_ok(big, 64);
}

struct bad_spec {
	const char *text;
	size_t pos;
	const char *why;	/* part of the detail message */
};

static const struct bad_spec bad_specs[] = {
	{ "", 0, "expected a device" },
	{ "   ", 3, "expected a device" },
	{ ",cpu", 0, "expected a device" },
	{ "cpu,", 4, "expected a device" },
	{ "cpu,,cpu", 4, "expected a device" },
	{ "Warboy", 0, "expected a device" },
	{ "9", 0, "expected a device" },
	{ "warboy(3)", 7, "fused PE count must be 1 or 2" },
	{ "warboy(0)", 7, "fused PE count must be 1 or 2" },
	{ "warboy(2", 8, "expected ')'" },
	{ "warboy()", 7, "expected a number" },
	{ "warboy*", 7, "expected a number" },
	{ "warboy*0", 7, "device count must be at least 1" },
	{ "warboy*1025", 7, "number too large" },
	{ "warboy(2)*99999999999999999999", 10, "number too large" },
	{ "warboy 2", 7, "expected ',' or the end" },
	{ "warboy(2)x", 9, "expected ',' or the end" },
	{ "averyveryverylongarch", 15, "architecture name too long" },
	{ "npu", 3, "expected ':' or a device number" },
	{ "npux", 3, "expected ':' or a device number" },
	{ "npu0", 4, "expected \"pe\"" },
	{ "npu0xe1", 4, "expected \"pe\"" },
	{ "npu0pe", 6, "expected a number" },
	{ "npu0pe1-", 8, "expected a number" },
	{ "npu0pe1-1", 8, "last PE of a range must follow the first" },
	{ "npu0pe3-2", 8, "last PE of a range must follow the first" },
	{ "npu:", 4, "expected a number" },
	{ "npu:0", 5, "expected ':' before the PE number" },
	{ "npu:0:", 6, "expected a number" },
	{ "npu:0:1-", 8, "expected a number" },
	{ "npu:a:1", 4, "expected a number" },
	{ "cpu(0)", 4, "thread count must be 1..1024" },
	{ "cpu(1025)", 4, "number too large" },
	{ "cpu(", 4, "expected a number" },
	{ "gpu", 3, "expected ':' and a GPU number" },
	{ "cuda:", 5, "expected a number" },
	{ "cuda:x", 5, "expected a number" },
	{ "cpu(2", 5, "expected ')'" },
	{ "cpu(-1)", 4, "expected a number" },
	{ "cpu*2", 3, "expected ',' or the end" },
	{ "cpu npu0pe0", 4, "expected ',' or the end" },
	{ "auto,cpu", 0, "\"auto\" cannot be combined" },
	{ "cpu, auto", 5, "\"auto\" cannot be combined" },
	{ "auto(2)", 4, "expected ',' or the end" },
};

static void test_parse_errors(void **state)
{
	size_t i, pos;
	char want[64];

	(void)state;
	for (i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		const struct bad_spec *b = &bad_specs[i];
		int ret;

		pos = 9999;
		ret = npurt_spec_parse(b->text, &parsed, &pos);
		if (ret != -EINVAL || pos != b->pos)
			fail_msg("\"%s\": got %d at %zu, expected -EINVAL at "
				 "%zu (%s)", b->text, ret, pos, b->pos,
				 npurt_last_error());
		snprintf(want, sizeof(want), "position %zu: ", b->pos);
		if (!strstr(npurt_last_error(), want) ||
		    !strstr(npurt_last_error(), b->why))
			fail_msg("\"%s\": message \"%s\" lacks \"%s%s\"",
				 b->text, npurt_last_error(), want, b->why);
		/* The public checker agrees. */
		pos = 9999;
		assert_int_equal(npurt_spec_check(b->text, &pos), -EINVAL);
		assert_int_equal(pos, b->pos);
		assert_int_equal(npurt_spec_check(b->text, NULL), -EINVAL);
	}
}

static void test_parse_too_many(void **state)
{
	char big[65 * 7 + 1] = "";
	size_t pos = 0;
	int i;

	(void)state;
	for (i = 0; i < 65; i++)
		strcat(big, i ? ",cpu(1)" : "cpu(1)");
	assert_int_equal(npurt_spec_parse(big, &parsed, &pos), -EINVAL);
	assert_int_equal(pos, 64 * 7);
	assert_non_null(strstr(npurt_last_error(), "too many items"));
	assert_int_equal(npurt_spec_parse(NULL, &parsed, &pos), -EINVAL);
	assert_int_equal(npurt_spec_check(NULL, NULL), -EINVAL);
	assert_int_equal(npurt_spec_check("npu0pe0-1, cpu(8)", NULL), 0);
}

static void test_node_name(void **state)
{
	char buf[32];

	(void)state;
	npurt_spec_node_name(0, 1, 1, buf, sizeof(buf));
	assert_string_equal(buf, "npu0pe1");
	npurt_spec_node_name(3, 2, 2, buf, sizeof(buf));
	assert_string_equal(buf, "npu3pe2-3");
}

/* ---- resolution on a fake system -------------------------------------- */

#define FAKE_MAX_FDS	64

struct fake {
	struct npurt_sys sys;
	struct npurt_sys_npu npus[3];
	const char *busy[8];		/* nodes whose PEs another process holds */
	const char *nofw;		/* NPU "npuX" whose firmware is not ready */
	int next_fd;
	int open_fds;			/* opened and not closed */
	char opened[FAKE_MAX_FDS][32];	/* by fd - 100 */
};

static struct fake fk;

static void fake_node(struct npurt_sys_npu *npu, unsigned int pe,
		      unsigned int count)
{
	struct npurt_node_info *n = &npu->nodes[npu->num_nodes++];

	memset(n, 0, sizeof(*n));
	npurt_spec_node_name(npu->info.index, pe, count, n->name,
			     sizeof(n->name));
	memcpy(n->devnode, "/dev/", 5);
	memcpy(n->devnode + 5, n->name, strlen(n->name) + 1);
	n->dev_index = npu->info.index;
	n->pe_first = pe;
	n->pe_count = count;
	snprintf(n->state, sizeof(n->state), "free");
}

/* @num NPUs of @arch with @pes PEs each: singles, then fused pairs. */
static void fake_init(unsigned int num, const char *arch, unsigned int pes)
{
	unsigned int i, p;

	memset(&fk, 0, sizeof(fk));
	fk.next_fd = 100;
	fk.sys.npus = fk.npus;
	fk.sys.num_npus = num;
	for (i = 0; i < num; i++) {
		struct npurt_sys_npu *npu = &fk.npus[i];

		npu->info.index = i;
		npu->info.num_pes = pes;
		npu->info.numa_node = (int32_t)i;
		snprintf(npu->info.arch, sizeof(npu->info.arch), "%s", arch);
		snprintf(npu->info.fw_state, sizeof(npu->info.fw_state),
			 "ready");
		for (p = 0; p < pes; p++)
			fake_node(npu, p, 1);
		for (p = 0; p + 1 < pes; p += 2)
			fake_node(npu, p, 2);
	}
}

static bool overlaps(const struct npurt_node_info *a, const char *busy)
{
	struct npurt_spec s;
	const struct npurt_spec_item *b = &s.items[0];

	if (npurt_spec_parse(busy, &s, NULL))
		fail_msg("bad busy node %s", busy);
	return a->dev_index == b->dev && a->pe_first < b->pe_first +
	       b->pe_count && b->pe_first < a->pe_first + a->pe_count;
}

static int fake_open(void *ctx, const struct npurt_node_info *node)
{
	char npu[16];
	unsigned int i;

	assert_ptr_equal(ctx, &fk);
	snprintf(npu, sizeof(npu), "npu%u", node->dev_index);
	if (fk.nofw && !strcmp(fk.nofw, npu))
		return -ENODEV;
	for (i = 0; i < 8 && fk.busy[i]; i++)
		if (overlaps(node, fk.busy[i]))
			return -EBUSY;
	assert_true(fk.next_fd - 100 < FAKE_MAX_FDS);
	snprintf(fk.opened[fk.next_fd - 100], 32, "%s", node->name);
	fk.open_fds++;
	return fk.next_fd++;
}

static void fake_close(void *ctx, int fd)
{
	assert_ptr_equal(ctx, &fk);
	assert_true(fd >= 100 && fd < fk.next_fd);
	assert_true(fk.opened[fd - 100][0]);
	fk.opened[fd - 100][0] = '\0';
	fk.open_fds--;
}

static const struct npurt_open_ops fake_ops = {
	.open = fake_open, .close = fake_close, .ctx = &fk,
};

static struct npurt_claims claims;

static int resolve(const char *text)
{
	struct npurt_spec s;
	int ret = npurt_spec_parse(text, &s, NULL);

	if (ret)
		fail_msg("\"%s\" does not parse: %s", text, npurt_last_error());
	ret = npurt_spec_resolve(text, &s, &fk.sys, &fake_ops, &claims);
	if (ret) {
		/* On failure nothing stays open. */
		assert_int_equal(fk.open_fds, 0);
		assert_int_equal(claims.num, 0);
	} else {
		unsigned int i, npus = 0;

		for (i = 0; i < claims.num; i++)
			npus += claims.items[i].kind == NPURT_CLAIM_NPU;
		assert_int_equal(fk.open_fds, npus);
	}
	return ret;
}

/* The claims, as "npu0pe0 npu1pe0-1 cpu(3)". */
static const char *claimed(void)
{
	static char buf[512];
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < claims.num; i++) {
		const struct npurt_claim *c = &claims.items[i];

		if (c->kind == NPURT_CLAIM_CPU)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "%scpu(%u)", i ? " " : "",
					      c->threads);
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
					      i ? " " : "", c->node.name);
	}
	return buf;
}

static void release(void)
{
	npurt_claims_release(&claims, &fake_ops);
	assert_int_equal(fk.open_fds, 0);
}

#define assert_resolves(text, expect)					\
	do {								\
		int r_ = resolve(text);					\
									\
		if (r_)							\
			fail_msg("\"%s\": %d (%s)", (text), r_,		\
				 npurt_last_error());			\
		assert_string_equal(claimed(), (expect));		\
		release();						\
	} while (0)

#define assert_resolve_fails(text, err, msg)				\
	do {								\
		int r_ = resolve(text);					\
									\
		if (r_ != (err))					\
			fail_msg("\"%s\": got %d (%s), expected %d",	\
				 (text), r_, npurt_last_error(), (err)); \
		if (!strstr(npurt_last_error(), (msg)))			\
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"",	\
				 (text), npurt_last_error(), (msg));	\
	} while (0)

static void test_resolve_nodes(void **state)
{
	char cpu[32];

	(void)state;
	fake_init(2, "warboy", 2);
	assert_resolves("npu0pe1", "npu0pe1");
	assert_resolves("npu:1:0-1", "npu1pe0-1");
	assert_resolves("npu1pe1, npu0pe0, cpu(3)", "npu1pe1 npu0pe0 cpu(3)");
	snprintf(cpu, sizeof(cpu), "cpu(%u)", npurt_online_cpus());
	assert_resolves("cpu", cpu);

	/* The NUMA node and fd of a claim come from sysfs and the open. */
	assert_int_equal(resolve("npu1pe0"), 0);
	assert_int_equal(claims.items[0].numa_node, 1);
	assert_true(claims.items[0].fd >= 100);
	release();

	assert_resolve_fails("npu2pe0", -ENODEV, "npu2pe0: no NPU npu2");
	assert_resolve_fails("npu0pe2", -ENODEV, "npu0pe2: no such node");
	assert_resolve_fails("npu0pe1-2", -ENODEV, "no such node");
	/* Failure after a successful claim closes what was opened. */
	assert_resolve_fails("npu0pe0,npu7pe0", -ENODEV, "no NPU npu7");
}

static void test_resolve_busy(void **state)
{
	(void)state;
	fake_init(2, "warboy", 2);
	fk.busy[0] = "npu0pe1";
	assert_resolves("npu0pe0", "npu0pe0");
	assert_resolve_fails("npu0pe1", -EBUSY, "npu0pe1: busy (held by pid");
	/* A fused node is busy when one of its PEs is. */
	assert_resolve_fails("npu0pe0-1", -EBUSY, "npu0pe0-1: busy");
	assert_resolve_fails("npu1pe0,npu0pe1", -EBUSY, "busy");
	/* Naming a PE twice, or a PE and its pair: busy by this spec. */
	fk.busy[0] = NULL;
	assert_resolve_fails("npu0pe0,npu0pe0", -EBUSY,
			     "npu0pe0: busy (already named by this spec)");
	assert_resolve_fails("npu0pe0-1,npu0pe1", -EBUSY,
			     "already named by this spec");
	/* Firmware not ready: the open says ENODEV. */
	fk.nofw = "npu1";
	assert_resolve_fails("npu1pe0", -ENODEV, "npu1pe0: firmware not ready");
}

static void test_resolve_arch(void **state)
{
	(void)state;
	fake_init(2, "warboy", 2);
	/* Greedy, in device order, singles only for X = 1. */
	assert_resolves("warboy", "npu0pe0");
	assert_resolves("warboy*3", "npu0pe0 npu0pe1 npu1pe0");
	assert_resolves("warboy(2)*2", "npu0pe0-1 npu1pe0-1");
	assert_resolves("warboy(2)", "npu0pe0-1");
	/* Explicit nodes first take PEs away from later items. */
	assert_resolves("npu0pe1,warboy(2)", "npu0pe1 npu1pe0-1");
	assert_resolves("npu0pe0,warboy*2", "npu0pe0 npu0pe1 npu1pe0");
	/* Busy PEs are skipped. */
	fk.busy[0] = "npu0pe0";
	assert_resolves("warboy(2)*1", "npu1pe0-1");
	assert_resolves("warboy*3", "npu0pe1 npu1pe0 npu1pe1");

	assert_resolve_fails("warboy*4", -ENOSPC,
			     "asked for 4 x warboy(1), only 3 free");
	assert_resolve_fails("warboy(2)*2", -ENOSPC,
			     "asked for 2 x warboy(2), only 1 free");
	fk.busy[1] = "npu1pe1";
	assert_resolve_fails("warboy(2)", -ENOSPC,
			     "asked for 1 x warboy(2), only 0 free");
	/* Firmware not ready counts as not free. */
	fk.busy[0] = fk.busy[1] = NULL;
	fk.nofw = "npu0";
	assert_resolves("warboy(2)", "npu1pe0-1");
	assert_resolve_fails("warboy(2)*2", -ENOSPC, "only 1 free");

	assert_resolve_fails("rngd", -EXDEV,
			     "no NPU of architecture \"rngd\" (npu0 is "
			     "\"warboy\")");
	assert_resolve_fails("rngd(2)*2", -EXDEV, "architecture");

	fake_init(0, "warboy", 0);
	assert_resolve_fails("warboy", -ENODEV, "no NPU present");
	assert_resolve_fails("npu0pe0", -ENODEV, "no NPU npu0");
}

static void test_resolve_auto(void **state)
{
	char cpu[32];

	(void)state;
	snprintf(cpu, sizeof(cpu), "cpu(%u)", npurt_online_cpus());
	fake_init(2, "warboy", 2);
	assert_resolves("auto", "npu0pe0 npu0pe1 npu1pe0 npu1pe1");
	fk.busy[0] = "npu0pe0-1";
	assert_resolves("auto", "npu1pe0 npu1pe1");
	fk.busy[1] = "npu1pe0-1";
	assert_resolves("auto", cpu);	/* nothing free: the CPU */
	fake_init(0, "warboy", 0);
	assert_resolves("auto", cpu);	/* no NPU: the CPU */
	fake_init(1, "warboy", 4);
	fk.nofw = "npu0";
	assert_resolves("auto", cpu);
}

/* ---- npurt_runtime_create() on this host ------------------------------ */

static char *saved_env;

static int env_setup(void **state)
{
	const char *v = getenv("NPU_DEVICES");

	(void)state;
	saved_env = v ? strdup(v) : NULL;
	return 0;
}

static int env_teardown(void **state)
{
	(void)state;
	if (saved_env)
		setenv("NPU_DEVICES", saved_env, 1);
	else
		unsetenv("NPU_DEVICES");
	free(saved_env);
	saved_env = NULL;
	return 0;
}

static bool host_has_npu(void)
{
	size_t n = 0;

	assert_int_equal(npurt_discover(NULL, 0, &n), 0);
	return n > 0;
}

static void expect_runtime(const char *spec, const char *devname)
{
	npurt_runtime *rt = NULL;
	struct npurt_device_info info;
	int ret = npurt_runtime_create(spec, &rt);

	if (ret)
		fail_msg("\"%s\": %d (%s)", spec ? spec : "(null)", ret,
			 npurt_last_error());
	assert_int_equal(npurt_runtime_device_count(rt), 1);
	assert_string_equal(npurt_device_name(npurt_runtime_device(rt, 0)),
			    devname);
	assert_int_equal(npurt_device_get_info(npurt_runtime_device(rt, 0),
					       &info), 0);
	assert_int_equal(info.kind, NPURT_DEVICE_CPU);
	assert_string_equal(info.arch, "cpu");
	assert_null(npurt_runtime_device(rt, 1));
	npurt_runtime_destroy(rt);
}

static void expect_runtime_fails(const char *spec, int err, const char *msg)
{
	npurt_runtime *rt = (npurt_runtime *)1;
	int ret = npurt_runtime_create(spec, &rt);

	if (ret != err)
		fail_msg("\"%s\": got %d (%s), expected %d",
			 spec ? spec : "(null)", ret, npurt_last_error(), err);
	assert_null(rt);
	if (!strstr(npurt_last_error(), msg))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"",
			 spec ? spec : "(null)", npurt_last_error(), msg);
}

static void test_runtime_specs(void **state)
{
	npurt_runtime *rt = NULL;
	char cpu[32];

	(void)state;
	if (host_has_npu())
		skip();
	snprintf(cpu, sizeof(cpu), "cpu(%u)", npurt_online_cpus());
	expect_runtime("cpu(3)", "cpu(3)");
	expect_runtime("cpu", cpu);
	expect_runtime("auto", cpu);
	assert_int_equal(npurt_runtime_create("cpu(2)", &rt), 0);
	assert_string_equal(npurt_runtime_spec(rt), "cpu(2)");
	npurt_runtime_destroy(rt);

	expect_runtime_fails("cpu(", -EINVAL, "position 4");
	expect_runtime_fails("warboy(2)*1", -ENODEV, "no NPU present");
	expect_runtime_fails("npu0pe0", -ENODEV, "no NPU npu0");
	expect_runtime_fails("cpu,npu0pe0", -ENODEV, "no NPU npu0");
	expect_runtime_fails("cuda:0,gpu:0", -EBUSY, "already named");
	{
		size_t gpus = 99;

		/* Without a GPU (CI), a cuda spec says why it cannot run. */
		assert_int_equal(npurt_gpu_list(NULL, 0, &gpus), 0);
		if (!gpus) {
			expect_runtime_fails("cuda:0", -ENODEV, "cuda");
			expect_runtime_fails("cpu,gpu:0", -ENODEV, "cuda");
		} else {
			expect_runtime_fails("cuda:999", -ENODEV,
					     "no such GPU");
		}
		assert_int_equal(npurt_gpu_list(NULL, 1, &gpus), -EINVAL);
	}
	assert_int_equal(npurt_runtime_create("cpu", NULL), -EINVAL);
	npurt_runtime_destroy(NULL);
}

static void test_runtime_env(void **state)
{
	char cpu[32];

	(void)state;
	if (host_has_npu())
		skip();
	snprintf(cpu, sizeof(cpu), "cpu(%u)", npurt_online_cpus());
	setenv("NPU_DEVICES", "cpu(5)", 1);
	expect_runtime(NULL, "cpu(5)");
	/* An explicit spec wins over the environment. */
	expect_runtime("cpu(2)", "cpu(2)");
	setenv("NPU_DEVICES", "cpu(0)", 1);
	expect_runtime_fails(NULL, -EINVAL, "position 4");
	setenv("NPU_DEVICES", "warboy", 1);
	expect_runtime_fails(NULL, -ENODEV, "no NPU present");
	/* Unset or empty: auto, which is the CPU here. */
	setenv("NPU_DEVICES", "", 1);
	expect_runtime(NULL, cpu);
	unsetenv("NPU_DEVICES");
	expect_runtime(NULL, cpu);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(npurt_strerror(0), "Success");
	assert_string_equal(npurt_strerror(-EBUSY), "Device busy");
	assert_string_equal(npurt_strerror(EBUSY), "Device busy");
	assert_string_equal(npurt_strerror(-EXDEV),
			    "Device architecture mismatch");
	assert_string_equal(npurt_strerror(-ENOSPC),
			    "Fewer free devices than asked");
	assert_string_equal(npurt_strerror(-EBADMSG), "Malformed program");
	assert_string_equal(npurt_strerror(-ENOENT),
			    "No such file or directory");
	assert_string_equal(npurt_strerror(-100000), "Unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_items),
		cmocka_unit_test(test_parse_lists),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_too_many),
		cmocka_unit_test(test_node_name),
		cmocka_unit_test(test_resolve_nodes),
		cmocka_unit_test(test_resolve_busy),
		cmocka_unit_test(test_resolve_arch),
		cmocka_unit_test(test_resolve_auto),
		cmocka_unit_test_setup_teardown(test_runtime_specs, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_runtime_env, env_setup,
						env_teardown),
		cmocka_unit_test(test_strerror),
	};

	npurt_log_set_level(NPURT_LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
