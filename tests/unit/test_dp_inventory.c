// SPDX-License-Identifier: MIT
/*
 * test_dp_inventory.c - npu-device-plugin's inventory on made-up snapshots
 * (no hardware): the partitioning policies and their parser, devices that
 * go away and come back and what changes are reported, firmware states,
 * the checks behind Allocate, and every rule of the preferred allocation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp.h"

/* A snapshot of @n NPUs of @pes PEs each, nodes as the driver makes them:
 * single PEs, then a fused node per aligned pair. */
static struct smi_sys *snapshot(unsigned int n, unsigned int pes,
				const char *fw_state)
{
	struct smi_sys *sys = calloc(1, sizeof(*sys));
	unsigned char i, p;	/* small: names fit their fields */

	assert_non_null(sys);
	sys->devs = calloc(n ? n : 1, sizeof(*sys->devs));
	assert_non_null(sys->devs);
	sys->num_devs = n;
	for (i = 0; i < n; i++) {
		struct smi_dev *d = &sys->devs[i];

		d->info.index = i;
		d->info.num_pes = pes;
		d->info.numa_node = i == 1 ? 1 : -1;
		snprintf(d->info.fw_state, sizeof(d->info.fw_state), "%s",
			 fw_state);
		for (p = 0; p < pes; p++) {
			struct smi_node *nd = &d->nodes[d->num_nodes++];

			snprintf(nd->info.name, sizeof(nd->info.name),
				 "npu%upe%u", i, p);
			snprintf(nd->info.devnode, sizeof(nd->info.devnode),
				 "/dev/npu%upe%u", i, p);
			nd->info.pe_first = p;
			nd->info.pe_count = 1;
			snprintf(nd->info.state, sizeof(nd->info.state), "%s",
				 strcmp(fw_state, "ready") ? "unavailable" :
				 "free");
		}
		for (p = 0; p + 1u < pes; p += 2) {
			struct smi_node *nd = &d->nodes[d->num_nodes++];

			snprintf(nd->info.name, sizeof(nd->info.name),
				 "npu%upe%u-%u", i, p, p + 1);
			snprintf(nd->info.devnode, sizeof(nd->info.devnode),
				 "/dev/npu%upe%u-%u", i, p, p + 1);
			nd->info.pe_first = p;
			nd->info.pe_count = 2;
			nd->fused = true;
			snprintf(nd->info.state, sizeof(nd->info.state), "%s",
				 strcmp(fw_state, "ready") ? "unavailable" :
				 "free");
		}
	}
	return sys;
}

static void snapshot_free(struct smi_sys *sys)
{
	free(sys->devs);
	free(sys);
}

/* "id:H" / "id:U(reason)" of the devices of @pe_count PEs. */
static const char *list(const struct dp_inventory *inv, unsigned int pe_count)
{
	static char buf[1024];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < inv->num; i++) {
		const struct dp_device *d = &inv->devs[i];

		if (d->pe_count != pe_count)
			continue;
		if (d->healthy)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "%s%s:H", n ? "," : "", d->id);
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "%s%s:U(%s)", n ? "," : "",
					      d->id, d->reason);
	}
	return buf;
}

static struct dp_inventory inventory(const char *policy)
{
	struct dp_inventory inv = { 0 };

	assert_int_equal(dp_partition_parse(policy, &inv.part), 0);
	return inv;
}

static int update(struct dp_inventory *inv, unsigned int n, unsigned int pes,
		  const char *fw)
{
	struct smi_sys *sys = snapshot(n, pes, fw);
	int ret = dp_inventory_update(inv, sys);

	snapshot_free(sys);
	return ret;
}

static void test_partition_parse(void **state)
{
	static const char *const bad[] = {
		"", "singles", "pairs", "pairs:", "pairs:x", "pairs:-1",
		"pairs:1x", "pairs:65", "pair ", "PAIR",
	};
	struct dp_partition p;
	size_t i;

	(void)state;
	assert_int_equal(dp_partition_parse("single", &p), 0);
	assert_int_equal(p.pairs, 0);
	assert_true(p.singles);
	assert_true(dp_partition_uses(&p, 1));
	assert_false(dp_partition_uses(&p, 2));
	assert_int_equal(dp_partition_parse("pair", &p), 0);
	assert_int_equal(p.pairs, DP_PAIRS_ALL);
	assert_false(p.singles);
	assert_false(dp_partition_uses(&p, 1));
	assert_true(dp_partition_uses(&p, 2));
	assert_int_equal(dp_partition_parse("pairs:3", &p), 0);
	assert_int_equal(p.pairs, 3);
	assert_true(p.singles);
	assert_true(dp_partition_uses(&p, 1));
	assert_true(dp_partition_uses(&p, 2));
	assert_int_equal(dp_partition_parse("pairs:0", &p), 0);
	assert_false(dp_partition_uses(&p, 2));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dp_partition_parse(bad[i], &p) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

static void test_policies(void **state)
{
	struct dp_inventory inv;

	(void)state;
	inv = inventory("single");
	assert_int_equal(update(&inv, 2, 3, "ready"), 1 << 1);
	assert_string_equal(list(&inv, 1), "npu0pe0:H,npu0pe1:H,npu0pe2:H,"
			    "npu1pe0:H,npu1pe1:H,npu1pe2:H");
	assert_string_equal(list(&inv, 2), "");
	assert_int_equal(inv.devs[3].numa_node, 1);
	assert_string_equal(inv.devs[3].mgmt, "/dev/npu1");
	assert_string_equal(inv.devs[3].devnode, "/dev/npu1pe0");
	dp_inventory_free(&inv);

	inv = inventory("pair");
	assert_int_equal(update(&inv, 2, 3, "ready"), 1 << 2);
	assert_string_equal(list(&inv, 2), "npu0pe0-1:H,npu1pe0-1:H");
	assert_string_equal(list(&inv, 1), "");	/* PE 2: no partner */
	dp_inventory_free(&inv);

	inv = inventory("pairs:1");
	assert_int_equal(update(&inv, 1, 8, "ready"), (1 << 1) | (1 << 2));
	assert_string_equal(list(&inv, 2), "npu0pe0-1:H");
	assert_string_equal(list(&inv, 1), "npu0pe2:H,npu0pe3:H,npu0pe4:H,"
			    "npu0pe5:H,npu0pe6:H,npu0pe7:H");
	dp_inventory_free(&inv);

	/* More pairs asked than there are: every pair, no single left. */
	inv = inventory("pairs:9");
	update(&inv, 1, 4, "ready");
	assert_string_equal(list(&inv, 2), "npu0pe0-1:H,npu0pe2-3:H");
	assert_string_equal(list(&inv, 1), "");
	dp_inventory_free(&inv);

	/* One PE: nothing to fuse. */
	inv = inventory("pairs:1");
	update(&inv, 1, 1, "ready");
	assert_string_equal(list(&inv, 2), "");
	assert_string_equal(list(&inv, 1), "npu0pe0:H");
	dp_inventory_free(&inv);
}

static void test_changes(void **state)
{
	struct dp_inventory inv = inventory("pairs:1");

	(void)state;
	assert_int_equal(update(&inv, 1, 4, "ready"), 6);
	/* The same again: nothing to tell. */
	assert_int_equal(update(&inv, 1, 4, "ready"), 0);
	/* Gone: kept, unhealthy. */
	assert_int_equal(update(&inv, 0, 0, "ready"), 6);
	assert_string_equal(list(&inv, 2), "npu0pe0-1:U(gone)");
	assert_string_equal(list(&inv, 1), "npu0pe2:U(gone),npu0pe3:U(gone)");
	assert_int_equal(update(&inv, 0, 0, "ready"), 0);
	/* Back without firmware: present, unhealthy for that reason. */
	assert_int_equal(update(&inv, 1, 4, "missing"), 6);
	assert_string_equal(list(&inv, 2), "npu0pe0-1:U(firmware missing)");
	assert_int_equal(update(&inv, 1, 4, "invalid"), 6);
	assert_string_equal(list(&inv, 1), "npu0pe2:U(firmware invalid),"
			    "npu0pe3:U(firmware invalid)");
	/* Healthy again, then a second NPU joins. */
	assert_int_equal(update(&inv, 1, 4, "ready"), 6);
	assert_int_equal(update(&inv, 2, 4, "ready"), 6);
	assert_string_equal(list(&inv, 2), "npu0pe0-1:H,npu1pe0-1:H");
	/* Fewer PEs: what is gone stays, unhealthy; order by NPU and PE. */
	assert_int_equal(update(&inv, 2, 3, "ready"), 1 << 1);
	assert_string_equal(list(&inv, 1), "npu0pe2:H,npu0pe3:U(gone),"
			    "npu1pe2:H,npu1pe3:U(gone)");
	dp_inventory_free(&inv);
}

static void test_check(void **state)
{
	char *ok[] = { "npu0pe2", "npu0pe3" }, *dup[] = { "npu0pe2", "npu0pe2" };
	char *unknown[] = { "npu0pe2", "npu0pe0" }, *pair[] = { "npu0pe0-1" };
	struct dp_inventory inv = inventory("pairs:1");
	char err[256];

	(void)state;
	update(&inv, 1, 4, "ready");
	assert_int_equal(dp_inventory_check(&inv, 1, ok, 2, true, err,
					    sizeof(err)), 0);
	assert_int_equal(dp_inventory_check(&inv, 2, pair, 1, true, err,
					    sizeof(err)), 0);
	assert_int_equal(dp_inventory_check(&inv, 1, ok, 0, true, err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, "no device requested");
	assert_int_equal(dp_inventory_check(&inv, 1, dup, 2, true, err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, "device npu0pe2 requested twice");
	assert_int_equal(dp_inventory_check(&inv, 1, unknown, 2, true, err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown device 'npu0pe0' for rm-npu.io/pe");
	assert_int_equal(dp_inventory_check(&inv, 1, pair, 1, true, err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "unknown device 'npu0pe0-1' for rm-npu.io/pe");
	update(&inv, 1, 4, "missing");
	assert_int_equal(dp_inventory_check(&inv, 1, ok, 2, true, err,
					    sizeof(err)), -ENODEV);
	assert_string_equal(err, "device npu0pe2 is unhealthy (firmware missing)");
	/* Without the health requirement (PreStartContainer) it passes. */
	assert_int_equal(dp_inventory_check(&inv, 1, ok, 2, false, err,
					    sizeof(err)), 0);
	dp_inventory_free(&inv);
}

/* The preferred answer for "a,b,c" available, "x" must, @size. */
static const char *prefer(struct dp_inventory *inv, const char *avail,
			  const char *must, size_t size, int *ret)
{
	static char buf[512], abuf[512], mbuf[512];
	char *a[32], *m[32], *save;
	const char *out[32];
	size_t na = 0, nm = 0, i, n = 0;
	char *tok, err[256];

	snprintf(abuf, sizeof(abuf), "%s", avail);
	snprintf(mbuf, sizeof(mbuf), "%s", must);
	for (tok = strtok_r(abuf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		a[na++] = tok;
	for (tok = strtok_r(mbuf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		m[nm++] = tok;
	*ret = dp_inventory_prefer(inv, 1, a, na, m, nm, size, out, err,
				   sizeof(err));
	if (*ret < 0) {
		snprintf(buf, sizeof(buf), "%s", err);
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < size; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "," : "", out[i]);
	return buf;
}

static void test_prefer(void **state)
{
	struct dp_inventory inv = inventory("single");
	int ret;

	(void)state;
	update(&inv, 3, 4, "ready");
	/* Must-includes first, then their NPUs. */
	assert_string_equal(prefer(&inv, "npu0pe0,npu0pe1,npu1pe0,npu1pe3",
				   "npu1pe3", 2, &ret), "npu1pe3,npu1pe0");
	assert_string_equal(prefer(&inv, "npu0pe0,npu2pe1,npu1pe0,npu2pe3",
				   "npu2pe3,npu0pe0", 3, &ret),
			    "npu2pe3,npu0pe0,npu2pe1");
	/* Tightest fit: npu1 (2 free) over npu2 (3 free) for 2. */
	assert_string_equal(prefer(&inv, "npu2pe0,npu2pe1,npu2pe2,npu1pe1,"
				   "npu1pe2,npu0pe3", "", 2, &ret),
			    "npu1pe1,npu1pe2");
	/* Ties: the lowest NPU. */
	assert_string_equal(prefer(&inv, "npu2pe0,npu2pe1,npu1pe1,npu1pe2",
				   "", 2, &ret), "npu1pe1,npu1pe2");
	/* No NPU fits: the fullest, then the tightest for the rest. */
	assert_string_equal(prefer(&inv, "npu0pe0,npu1pe0,npu1pe1,npu1pe2,"
				   "npu2pe0,npu2pe1", "", 4, &ret),
			    "npu1pe0,npu1pe1,npu1pe2,npu0pe0");
	assert_int_equal(ret, 0);
	/* Errors. */
	prefer(&inv, "npu0pe0", "", 2, &ret);
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(prefer(&inv, "npu0pe0,npu0pe1", "", 0, &ret),
			    "cannot choose 0 of 2 devices including 0");
	assert_string_equal(prefer(&inv, "npu0pe0,npu0pe1", "npu0pe0,npu0pe1",
				   1, &ret),
			    "cannot choose 1 of 2 devices including 2");
	assert_string_equal(prefer(&inv, "npu0pe0,npu9pe1", "", 1, &ret),
			    "unknown device 'npu9pe1' for rm-npu.io/pe");
	assert_string_equal(prefer(&inv, "npu0pe0,npu0pe1", "npu0pe2", 1,
				   &ret),
			    "must-include device 'npu0pe2' is not available (or twice)");
	assert_string_equal(prefer(&inv, "npu0pe0,npu0pe1,npu0pe2",
				   "npu0pe1,npu0pe1", 2, &ret),
			    "must-include device 'npu0pe1' is not available (or twice)");
	update(&inv, 0, 0, "ready");
	assert_string_equal(prefer(&inv, "npu0pe0,npu0pe1", "", 1, &ret),
			    "device npu0pe0 is unhealthy (gone)");
	assert_int_equal(ret, -EINVAL);
	dp_inventory_free(&inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partition_parse),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_prefer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
