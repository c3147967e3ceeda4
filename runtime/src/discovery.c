// SPDX-License-Identifier: MIT
/*
 * discovery.c - enumerate the "npu" class devices through libudev and read
 * their sysfs attributes (names from kmod/rm_npu_sysfs.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "discovery.h"
#include "spec.h"

/* A copy of attribute @name without trailing blanks; "" when absent. */
static void sys_attr_str(struct udev_device *dev, const char *name,
			 char *buf, size_t len)
{
	const char *v = udev_device_get_sysattr_value(dev, name);
	size_t n;

	snprintf(buf, len, "%s", v ? v : "");
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

static uint64_t sys_attr_u64(struct udev_device *dev, const char *name)
{
	char buf[64], *end;
	unsigned long long v;

	sys_attr_str(dev, name, buf, sizeof(buf));
	v = strtoull(buf, &end, 0);
	return end == buf ? 0 : (uint64_t)v;
}

static int32_t sys_attr_s32(struct udev_device *dev, const char *name)
{
	char buf[32], *end;
	long v;

	sys_attr_str(dev, name, buf, sizeof(buf));
	v = strtol(buf, &end, 10);
	return end == buf ? -1 : (int32_t)v;
}

/* "npuX", "npuXpeY" or "npuXpeY-Z": which one, strictly. */
static int sys_parse_name(const char *name, unsigned int *dev,
			  unsigned int *pe, unsigned int *count)
{
	unsigned int last;
	int n = -1;

	if (sscanf(name, "npu%u%n", dev, &n) == 1 && n > 0 && !name[n])
		return 0;
	n = -1;
	if (sscanf(name, "npu%upe%u%n", dev, pe, &n) == 2 && n > 0 && !name[n]) {
		*count = 1;
		return 1;
	}
	n = -1;
	if (sscanf(name, "npu%upe%u-%u%n", dev, pe, &last, &n) == 3 && n > 0 &&
	    !name[n] && last > *pe) {
		*count = last - *pe + 1;
		return 1;
	}
	return -1;
}

static struct npurt_sys_npu *sys_get(struct npurt_sys *sys, unsigned int index)
{
	struct npurt_sys_npu *npus;
	unsigned int i;

	for (i = 0; i < sys->num_npus; i++)
		if (sys->npus[i].info.index == index)
			return &sys->npus[i];
	npus = realloc(sys->npus, (sys->num_npus + 1) * sizeof(*npus));
	if (!npus)
		return NULL;
	sys->npus = npus;
	memset(&npus[sys->num_npus], 0, sizeof(*npus));
	npus[sys->num_npus].info.index = index;
	npus[sys->num_npus].info.numa_node = -1;
	return &npus[sys->num_npus++];
}

static void sys_read_mgmt(struct udev_device *d, struct npurt_npu_info *info)
{
	info->num_pes = (uint32_t)sys_attr_u64(d, "num_pes");
	sys_attr_str(d, "arch", info->arch, sizeof(info->arch));
	sys_attr_str(d, "fw_state", info->fw_state, sizeof(info->fw_state));
	sys_attr_str(d, "fw_version", info->fw_version,
		     sizeof(info->fw_version));
	sys_attr_str(d, "abi_version", info->abi_version,
		     sizeof(info->abi_version));
	sys_attr_str(d, "uuid", info->uuid, sizeof(info->uuid));
	info->fw_caps = sys_attr_u64(d, "fw_caps");
	info->mem_total = sys_attr_u64(d, "mem_total");
	info->mem_used = sys_attr_u64(d, "mem_used");
	info->bo_count = (uint32_t)sys_attr_u64(d, "bo_count");
	info->numa_node = sys_attr_s32(d, "numa_node");
}

static void sys_read_node(struct udev_device *d, struct npurt_node_info *n,
			  unsigned int dev, unsigned int pe, unsigned int count)
{
	const char *devnode = udev_device_get_devnode(d);
	char name[sizeof(n->name)];

	memset(n, 0, sizeof(*n));
	npurt_spec_node_name(dev, pe, count, name, sizeof(name));
	memcpy(n->name, name, sizeof(name));
	if (devnode)
		snprintf(n->devnode, sizeof(n->devnode), "%s", devnode);
	else
		snprintf(n->devnode, sizeof(n->devnode), "/dev/%.40s", name);
	n->dev_index = dev;
	n->pe_first = pe;
	n->pe_count = count;
	n->owner_pid = sys_attr_s32(d, "owner_pid");
	if (n->owner_pid < 0)
		n->owner_pid = 0;
	sys_attr_str(d, "state", n->state, sizeof(n->state));
	if (count == 1) {
		n->busy_ns = sys_attr_u64(d, "busy_ns");
		n->jobs_completed = sys_attr_u64(d, "jobs_completed");
		n->jobs_failed = sys_attr_u64(d, "jobs_failed");
		n->bytes_moved = sys_attr_u64(d, "bytes_moved");
		n->ops = sys_attr_u64(d, "ops");
	}
}

static int sys_add(struct npurt_sys *sys, struct udev_device *d)
{
	unsigned int dev = 0, pe = 0, count = 0;
	struct npurt_sys_npu *npu;
	int kind;

	kind = sys_parse_name(udev_device_get_sysname(d), &dev, &pe, &count);
	if (kind < 0)
		return 0;	/* not ours to judge: skip */
	npu = sys_get(sys, dev);
	if (!npu)
		return -ENOMEM;
	if (kind == 0) {
		sys_read_mgmt(d, &npu->info);
		return 0;
	}
	if (npu->num_nodes == NPURT_SYS_MAX_NODES)
		return 0;
	sys_read_node(d, &npu->nodes[npu->num_nodes++], dev, pe, count);
	return 0;
}

static int node_cmp(const void *a, const void *b)
{
	const struct npurt_node_info *x = a, *y = b;

	if (x->pe_count != y->pe_count)
		return x->pe_count < y->pe_count ? -1 : 1;
	return x->pe_first < y->pe_first ? -1 : x->pe_first > y->pe_first;
}

static int npu_cmp(const void *a, const void *b)
{
	const struct npurt_sys_npu *x = a, *y = b;

	return x->info.index < y->info.index ? -1 :
	       x->info.index > y->info.index;
}

static void sys_sort(struct npurt_sys *sys)
{
	unsigned int i;

	if (sys->num_npus)
		qsort(sys->npus, sys->num_npus, sizeof(*sys->npus), npu_cmp);
	for (i = 0; i < sys->num_npus; i++)
		qsort(sys->npus[i].nodes, sys->npus[i].num_nodes,
		      sizeof(sys->npus[i].nodes[0]), node_cmp);
}

static int sys_enumerate(struct udev *udev, struct npurt_sys *sys)
{
	struct udev_enumerate *e = udev_enumerate_new(udev);
	struct udev_list_entry *entry;
	int ret = 0;

	if (!e)
		return npurt_err(-EIO, "udev_enumerate_new failed");
	if (udev_enumerate_add_match_subsystem(e, "npu") < 0 ||
	    udev_enumerate_scan_devices(e) < 0) {
		udev_enumerate_unref(e);
		return npurt_err(-EIO, "udev: scanning subsystem npu failed");
	}
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d = udev_device_new_from_syspath(udev,
				udev_list_entry_get_name(entry));

		if (!d)
			continue;	/* removed while we looked */
		ret = sys_add(sys, d);
		udev_device_unref(d);
		if (ret)
			break;
	}
	udev_enumerate_unref(e);
	return ret;
}

int npurt_sys_scan(struct npurt_sys *sys)
{
	struct udev *udev;
	int ret;

	memset(sys, 0, sizeof(*sys));
	udev = udev_new();
	if (!udev)
		return npurt_err(-EIO, "udev_new failed");
	ret = sys_enumerate(udev, sys);
	udev_unref(udev);
	if (ret) {
		npurt_sys_free(sys);
		return ret == -ENOMEM ? npurt_err(ret, "discovery: out of "
						  "memory") : ret;
	}
	sys_sort(sys);
	return 0;
}

void npurt_sys_free(struct npurt_sys *sys)
{
	free(sys->npus);
	sys->npus = NULL;
	sys->num_npus = 0;
}

const struct npurt_sys_npu *npurt_sys_find(const struct npurt_sys *sys,
					   unsigned int index)
{
	unsigned int i;

	for (i = 0; i < sys->num_npus; i++)
		if (sys->npus[i].info.index == index)
			return &sys->npus[i];
	return NULL;
}

const struct npurt_node_info *
npurt_sys_find_node(const struct npurt_sys_npu *npu, unsigned int pe_first,
		    unsigned int pe_count)
{
	unsigned int i;

	for (i = 0; i < npu->num_nodes; i++)
		if (npu->nodes[i].pe_first == pe_first &&
		    npu->nodes[i].pe_count == pe_count)
			return &npu->nodes[i];
	return NULL;
}

NPURT_API int npurt_discover(struct npurt_npu_info *devs, size_t max,
			     size_t *count)
{
	struct npurt_sys sys;
	unsigned int i;
	int ret;

	if (!count || (max && !devs))
		return npurt_err(-EINVAL, "npurt_discover: bad arguments");
	ret = npurt_sys_scan(&sys);
	if (ret)
		return ret;
	for (i = 0; i < sys.num_npus && i < max; i++)
		devs[i] = sys.npus[i].info;
	*count = sys.num_npus;
	npurt_sys_free(&sys);
	return 0;
}

NPURT_API int npurt_discover_nodes(unsigned int dev_index,
				   struct npurt_node_info *nodes, size_t max,
				   size_t *count)
{
	const struct npurt_sys_npu *npu;
	struct npurt_sys sys;
	unsigned int i;
	int ret;

	if (!count || (max && !nodes))
		return npurt_err(-EINVAL, "npurt_discover_nodes: bad arguments");
	ret = npurt_sys_scan(&sys);
	if (ret)
		return ret;
	npu = npurt_sys_find(&sys, dev_index);
	if (!npu) {
		npurt_sys_free(&sys);
		return npurt_err(-ENODEV, "no NPU npu%u", dev_index);
	}
	for (i = 0; i < npu->num_nodes && i < max; i++)
		nodes[i] = npu->nodes[i];
	*count = npu->num_nodes;
	npurt_sys_free(&sys);
	return 0;
}
