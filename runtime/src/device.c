// SPDX-License-Identifier: MIT
/*
 * device.c - resolving a parsed device spec against the discovered NPUs:
 * explicit nodes are opened as named, ARCH(X)*Y is allocated greedily in
 * device order, "auto" takes every free PE or falls back to the CPU.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "device.h"

struct resolver {
	const char *text;
	const struct npurt_sys *sys;
	const struct npurt_open_ops *ops;
	struct npurt_claims *claims;
};

static int sys_open(void *ctx, const struct npurt_node_info *node)
{
	int fd;

	(void)ctx;
	fd = open(node->devnode, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	return errno == ENOENT || errno == ENXIO ? -ENODEV : -errno;
}

static void sys_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

const struct npurt_open_ops npurt_sys_open_ops = {
	.open = sys_open,
	.close = sys_close,
};

unsigned int npurt_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > NPURT_SPEC_MAX_COUNT ? NPURT_SPEC_MAX_COUNT :
	       (unsigned int)n;
}

static int item_fail(const struct resolver *r, const struct npurt_spec_item *it,
		     int err, const char *why)
{
	return npurt_err(err, "device spec \"%s\": item at position %zu: %s",
			 r->text, it->pos, why);
}

static struct npurt_claim *claim_new(struct resolver *r)
{
	struct npurt_claim *c;

	if (r->claims->num == NPURT_MAX_DEVICES)
		return NULL;
	c = &r->claims->items[r->claims->num];
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->numa_node = -1;
	return c;
}

static bool node_claimed(const struct resolver *r,
			 const struct npurt_node_info *node)
{
	unsigned int i;

	for (i = 0; i < r->claims->num; i++) {
		const struct npurt_claim *c = &r->claims->items[i];

		if (c->kind == NPURT_CLAIM_NPU &&
		    c->node.dev_index == node->dev_index &&
		    c->node.pe_first < node->pe_first + node->pe_count &&
		    node->pe_first < c->node.pe_first + c->node.pe_count)
			return true;
	}
	return false;
}

/* Open @node into a new claim. Return: 0 or the open error. */
static int claim_node(struct resolver *r, const struct npurt_sys_npu *npu,
		      const struct npurt_node_info *node)
{
	struct npurt_claim *c = claim_new(r);
	int fd;

	if (!c)
		return -E2BIG;
	if (node_claimed(r, node))
		return -EBUSY;
	fd = r->ops->open(r->ops->ctx, node);
	if (fd < 0)
		return fd;
	c->kind = NPURT_CLAIM_NPU;
	c->fd = fd;
	c->node = *node;
	c->numa_node = npu->info.numa_node;
	r->claims->num++;
	return 0;
}

static int resolve_cpu(struct resolver *r, const struct npurt_spec_item *it)
{
	struct npurt_claim *c = claim_new(r);

	if (!c)
		return item_fail(r, it, -E2BIG, "too many devices");
	c->kind = NPURT_CLAIM_CPU;
	c->threads = it->threads ? it->threads : npurt_online_cpus();
	r->claims->num++;
	return 0;
}

/* Opened when the device comes up (gpu_backend.c), which says why not. */
static int resolve_gpu(struct resolver *r, const struct npurt_spec_item *it)
{
	struct npurt_claim *c = claim_new(r);
	unsigned int i;

	if (!c)
		return item_fail(r, it, -E2BIG, "too many devices");
	for (i = 0; i < r->claims->num; i++)
		if (r->claims->items[i].kind == NPURT_CLAIM_GPU &&
		    r->claims->items[i].gpu == it->dev)
			return item_fail(r, it, -EBUSY, "cuda: GPU already "
					 "named by this spec");
	c->kind = NPURT_CLAIM_GPU;
	c->gpu = it->dev;
	r->claims->num++;
	return 0;
}

static int resolve_node(struct resolver *r, const struct npurt_spec_item *it)
{
	const struct npurt_sys_npu *npu = npurt_sys_find(r->sys, it->dev);
	const struct npurt_node_info *node;
	char name[32], why[160];
	int ret;

	npurt_spec_node_name(it->dev, it->pe_first, it->pe_count, name,
			     sizeof(name));
	if (!npu) {
		snprintf(why, sizeof(why), "%s: no NPU npu%u", name, it->dev);
		return item_fail(r, it, -ENODEV, why);
	}
	node = npurt_sys_find_node(npu, it->pe_first, it->pe_count);
	if (!node) {
		snprintf(why, sizeof(why), "%s: no such node (npu%u has %u "
			 "PEs; fused nodes pair PEs 2k and 2k+1)", name,
			 it->dev, npu->info.num_pes);
		return item_fail(r, it, -ENODEV, why);
	}
	ret = claim_node(r, npu, node);
	if (ret == -EBUSY && node_claimed(r, node))
		snprintf(why, sizeof(why), "%s: busy (already named by this "
			 "spec)", name);
	else if (ret == -EBUSY)
		snprintf(why, sizeof(why), "%s: busy (held by pid %d)", name,
			 node->owner_pid);
	else if (ret == -ENODEV)
		snprintf(why, sizeof(why), "%s: firmware not ready (%s)", name,
			 npu->info.fw_state);
	else if (ret)
		snprintf(why, sizeof(why), "%s: open failed: %s", name,
			 npurt_strerror(ret));
	return ret ? item_fail(r, it, ret, why) : 0;
}

/* Greedy: the first node of @pe_count PEs, in device order, that opens. */
static int claim_first_free(struct resolver *r, const char *arch,
			    unsigned int pe_count)
{
	unsigned int i, j;

	for (i = 0; i < r->sys->num_npus; i++) {
		const struct npurt_sys_npu *npu = &r->sys->npus[i];

		if (arch && strcmp(npu->info.arch, arch))
			continue;
		for (j = 0; j < npu->num_nodes; j++) {
			int ret;

			if (npu->nodes[j].pe_count != pe_count)
				continue;
			ret = claim_node(r, npu, &npu->nodes[j]);
			if (ret != -EBUSY && ret != -ENODEV)
				return ret;
		}
	}
	return -ENOSPC;
}

static bool sys_has_arch(const struct npurt_sys *sys, const char *arch)
{
	unsigned int i;

	for (i = 0; i < sys->num_npus; i++)
		if (!strcmp(sys->npus[i].info.arch, arch))
			return true;
	return false;
}

static int resolve_arch(struct resolver *r, const struct npurt_spec_item *it)
{
	char why[160];
	unsigned int got;
	int ret = 0;

	if (!r->sys->num_npus)
		return item_fail(r, it, -ENODEV, "no NPU present");
	if (!sys_has_arch(r->sys, it->arch)) {
		snprintf(why, sizeof(why), "no NPU of architecture \"%s\" "
			 "(npu%u is \"%s\")", it->arch,
			 r->sys->npus[0].info.index, r->sys->npus[0].info.arch);
		return item_fail(r, it, -EXDEV, why);
	}
	for (got = 0; got < it->count; got++) {
		ret = claim_first_free(r, it->arch, it->fuse);
		if (ret)
			break;
	}
	if (ret == -ENOSPC) {
		snprintf(why, sizeof(why), "asked for %u x %s(%u), only %u "
			 "free", it->count, it->arch, it->fuse, got);
		return item_fail(r, it, -ENOSPC, why);
	}
	if (ret)
		return item_fail(r, it, ret, "open failed");
	return 0;
}

static int resolve_auto(struct resolver *r, const struct npurt_spec_item *it)
{
	unsigned int before = r->claims->num;
	int ret;

	do {
		ret = claim_first_free(r, NULL, 1);
	} while (!ret);
	if (ret != -ENOSPC)
		return item_fail(r, it, ret, "open failed");
	if (r->claims->num > before) {
		npurt_info("auto: using %u free NPU PE(s)",
			   r->claims->num - before);
		return 0;
	}
	ret = resolve_cpu(r, it);
	if (ret)
		return ret;
	/* Loud: the caller asked for an NPU if there is one. */
	if (!r->sys->num_npus)
		npurt_warn("auto: no NPU present, running on the CPU (cpu(%u))",
			   r->claims->items[r->claims->num - 1].threads);
	else
		npurt_warn("auto: no free NPU PE (every PE of %u NPU(s) is held "
			   "by another process or unusable), running on the "
			   "CPU (cpu(%u))", r->sys->num_npus,
			   r->claims->items[r->claims->num - 1].threads);
	return 0;
}

void npurt_claims_release(struct npurt_claims *claims,
			  const struct npurt_open_ops *ops)
{
	unsigned int i;

	for (i = 0; i < claims->num; i++)
		if (claims->items[i].fd >= 0)
			ops->close(ops->ctx, claims->items[i].fd);
	claims->num = 0;
}

int npurt_spec_resolve(const char *text, const struct npurt_spec *spec,
		       const struct npurt_sys *sys,
		       const struct npurt_open_ops *ops,
		       struct npurt_claims *claims)
{
	struct resolver r = { text, sys, ops, claims };
	unsigned int i;
	int ret = 0;

	claims->num = 0;
	for (i = 0; i < spec->num_items && !ret; i++) {
		const struct npurt_spec_item *it = &spec->items[i];

		switch (it->kind) {
		case NPURT_SPEC_AUTO:
			ret = resolve_auto(&r, it);
			break;
		case NPURT_SPEC_CPU:
			ret = resolve_cpu(&r, it);
			break;
		case NPURT_SPEC_ARCH:
			ret = resolve_arch(&r, it);
			break;
		case NPURT_SPEC_NODE:
			ret = resolve_node(&r, it);
			break;
		case NPURT_SPEC_GPU:
			ret = resolve_gpu(&r, it);
			break;
		}
	}
	if (ret)
		npurt_claims_release(claims, ops);
	return ret;
}
