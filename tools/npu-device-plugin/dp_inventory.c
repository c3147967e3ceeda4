// SPDX-License-Identifier: MIT
/*
 * dp_inventory.c - which devices npu-device-plugin advertises (the NPUs cut
 * by the partitioning policy), their health, and the checks and choices
 * behind Allocate and GetPreferredAllocation. No I/O: the snapshot comes
 * from libsmi's smi_collect().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"

int dp_partition_parse(const char *s, struct dp_partition *p)
{
	unsigned long n;
	char *end;

	if (!strcmp(s, "single")) {
		p->pairs = 0;
		p->singles = true;
		return 0;
	}
	if (!strcmp(s, "pair")) {
		p->pairs = DP_PAIRS_ALL;
		p->singles = false;
		return 0;
	}
	if (strncmp(s, "pairs:", 6) || s[6] < '0' || s[6] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(s + 6, &end, 10);
	if (errno || *end || n > 64)
		return -EINVAL;
	p->pairs = (unsigned int)n;
	p->singles = true;
	return 0;
}

bool dp_partition_uses(const struct dp_partition *p, unsigned int pe_count)
{
	return pe_count == 2 ? p->pairs > 0 : p->singles;
}

static int dev_cmp(const void *a, const void *b)
{
	const struct dp_device *x = a, *y = b;

	if (x->npu != y->npu)
		return x->npu < y->npu ? -1 : 1;
	if (x->pe_first != y->pe_first)
		return x->pe_first < y->pe_first ? -1 : 1;
	if (x->pe_count != y->pe_count)
		return x->pe_count < y->pe_count ? -1 : 1;
	return 0;
}

/* The node of @d covering PEs @first..@first+@count-1, or NULL. */
static const struct smi_node *find_node(const struct smi_dev *d,
					unsigned int first, unsigned int count)
{
	size_t i;

	for (i = 0; i < d->num_nodes; i++)
		if (d->nodes[i].info.pe_first == first &&
		    d->nodes[i].info.pe_count == count)
			return &d->nodes[i];
	return NULL;
}

static void fill_device(struct dp_device *v, const struct smi_dev *d,
			const struct smi_node *n)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", n->info.name);
	snprintf(v->devnode, sizeof(v->devnode), "%s", n->info.devnode);
	snprintf(v->mgmt, sizeof(v->mgmt), "/dev/npu%u", d->info.index);
	v->npu = d->info.index;
	v->pe_first = n->info.pe_first;
	v->pe_count = n->info.pe_count;
	v->numa_node = d->info.numa_node;
	v->present = true;
	if (strcmp(d->info.fw_state, "ready"))
		snprintf(v->reason, sizeof(v->reason), "firmware %s",
			 d->info.fw_state);
	else if (!strcmp(n->info.state, "unavailable"))
		snprintf(v->reason, sizeof(v->reason), "unavailable");
	v->healthy = !v->reason[0];
}

/* The devices the policy cuts from @sys's NPUs now, sorted. */
static int current_devices(const struct dp_partition *p,
			   const struct smi_sys *sys, struct dp_device **out,
			   size_t *num)
{
	struct dp_device *devs;
	size_t i, n = 0, cap = 0;

	for (i = 0; i < sys->num_devs; i++)
		cap += sys->devs[i].info.num_pes;
	devs = calloc(cap ? cap : 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (i = 0; i < sys->num_devs; i++) {
		const struct smi_dev *d = &sys->devs[i];
		unsigned int pe, pairs_done = 0;

		for (pe = 0; pe < d->info.num_pes && n < cap;) {
			const struct smi_node *node = NULL;

			if (pairs_done < p->pairs && pe + 1 < d->info.num_pes)
				node = find_node(d, pe, 2);
			if (node) {
				fill_device(&devs[n++], d, node);
				pairs_done++;
				pe += 2;
				continue;
			}
			node = find_node(d, pe, 1);
			if (p->singles && node)
				fill_device(&devs[n++], d, node);
			pe++;
		}
	}
	qsort(devs, n, sizeof(*devs), dev_cmp);
	*out = devs;
	*num = n;
	return 0;
}

static bool same_view(const struct dp_device *a, const struct dp_device *b)
{
	return a->present == b->present && a->healthy == b->healthy &&
	       a->numa_node == b->numa_node && !strcmp(a->reason, b->reason);
}

int dp_inventory_update(struct dp_inventory *inv, const struct smi_sys *sys)
{
	struct dp_device *cur, *all;
	size_t ncur, i, j, nall = 0;
	int changed = 0, ret;

	ret = current_devices(&inv->part, sys, &cur, &ncur);
	if (ret < 0)
		return ret;
	all = calloc(inv->num + ncur + 1, sizeof(*all));
	if (!all) {
		free(cur);
		return -ENOMEM;
	}
	/* Known devices: updated if still there, else kept as gone. */
	for (i = 0; i < inv->num; i++) {
		const struct dp_device *old = &inv->devs[i];
		struct dp_device *v = &all[nall++];

		*v = *old;
		for (j = 0; j < ncur; j++)
			if (!strcmp(cur[j].id, old->id))
				break;
		if (j < ncur) {
			*v = cur[j];
			cur[j].id[0] = '\0';	/* taken */
		} else {
			v->present = false;
			v->healthy = false;
			snprintf(v->reason, sizeof(v->reason), "gone");
		}
		if (!same_view(v, old))
			changed |= 1 << v->pe_count;
	}
	for (j = 0; j < ncur; j++) {
		if (!cur[j].id[0])
			continue;
		all[nall++] = cur[j];
		changed |= 1 << cur[j].pe_count;
	}
	qsort(all, nall, sizeof(*all), dev_cmp);
	free(cur);
	free(inv->devs);
	inv->devs = all;
	inv->num = nall;
	return changed;
}

void dp_inventory_free(struct dp_inventory *inv)
{
	free(inv->devs);
	inv->devs = NULL;
	inv->num = 0;
}

const struct dp_device *dp_inventory_find(const struct dp_inventory *inv,
					  const char *id,
					  unsigned int pe_count)
{
	size_t i;

	for (i = 0; i < inv->num; i++)
		if (inv->devs[i].pe_count == pe_count &&
		    !strcmp(inv->devs[i].id, id))
			return &inv->devs[i];
	return NULL;
}

static const char *resource_of(unsigned int pe_count)
{
	return pe_count == 2 ? DP_RESOURCE_PAIR : DP_RESOURCE_PE;
}

int dp_inventory_check(const struct dp_inventory *inv, unsigned int pe_count,
		       char *const *ids, size_t n, bool healthy, char *err,
		       size_t errlen)
{
	size_t i, j;

	if (!n) {
		snprintf(err, errlen, "no device requested");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const struct dp_device *d = dp_inventory_find(inv, ids[i],
							      pe_count);

		if (!d) {
			snprintf(err, errlen, "unknown device '%.64s' for %s",
				 ids[i], resource_of(pe_count));
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(ids[j], ids[i])) {
				snprintf(err, errlen,
					 "device %s requested twice", d->id);
				return -EINVAL;
			}
		}
		if (healthy && !d->healthy) {
			snprintf(err, errlen, "device %s is unhealthy (%s)",
				 d->id, d->reason);
			return -ENODEV;
		}
	}
	return 0;
}

/* Index in @ids of the string equal to @id, or -1. */
static long index_of(char *const *ids, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return (long)i;
	return -1;
}

int dp_inventory_prefer(const struct dp_inventory *inv, unsigned int pe_count,
			char *const *avail, size_t n_avail, char *const *must,
			size_t n_must, size_t size, const char **out,
			char *err, size_t errlen)
{
	const struct dp_device **cand;
	bool *taken, *npu_used;
	unsigned int max_npu = 0;
	size_t i, chosen = 0;
	int ret;

	if (size == 0 || n_must > size || size > n_avail) {
		snprintf(err, errlen,
			 "cannot choose %zu of %zu devices including %zu",
			 size, n_avail, n_must);
		return -EINVAL;
	}
	ret = dp_inventory_check(inv, pe_count, avail, n_avail, true, err,
				 errlen);
	if (ret < 0)
		return -EINVAL;
	for (i = 0; i < n_must; i++) {
		if (index_of(avail, n_avail, must[i]) < 0 ||
		    index_of(must, i, must[i]) >= 0) {
			snprintf(err, errlen,
				 "must-include device '%.64s' is not available (or twice)",
				 must[i]);
			return -EINVAL;
		}
	}
	cand = calloc(n_avail, sizeof(*cand));
	taken = calloc(n_avail, sizeof(*taken));
	for (i = 0; cand && i < n_avail; i++) {
		cand[i] = dp_inventory_find(inv, avail[i], pe_count);
		if (cand[i]->npu > max_npu)
			max_npu = cand[i]->npu;
	}
	npu_used = calloc(max_npu + 1, sizeof(*npu_used));
	if (!cand || !taken || !npu_used) {
		free(cand);
		free(taken);
		free(npu_used);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n_must; i++) {
		long k = index_of(avail, n_avail, must[i]);

		taken[k] = true;
		npu_used[cand[k]->npu] = true;
		out[chosen++] = avail[k];
	}
	while (chosen < size) {
		size_t need = size - chosen, best = n_avail, k;

		/* 1. Stay on an NPU already in use. */
		for (k = 0; k < n_avail; k++)
			if (!taken[k] && npu_used[cand[k]->npu] &&
			    (best == n_avail || dev_cmp(cand[k], cand[best]) < 0))
				best = k;
		/* 2. The NPU that fits the rest most tightly, else the one
		 * with the most free devices; the lowest index on ties. */
		if (best == n_avail) {
			size_t fit_cnt = 0, big_cnt = 0;
			long fit = -1, big = -1;
			unsigned int npu;

			for (npu = 0; npu <= max_npu; npu++) {
				size_t cnt = 0;

				for (k = 0; k < n_avail; k++)
					cnt += !taken[k] && cand[k]->npu == npu;
				if (cnt >= need && (fit < 0 || cnt < fit_cnt)) {
					fit = npu;
					fit_cnt = cnt;
				}
				if (cnt > big_cnt) {
					big = npu;
					big_cnt = cnt;
				}
			}
			npu = (unsigned int)(fit >= 0 ? fit : big);
			for (k = 0; k < n_avail; k++)
				if (!taken[k] && cand[k]->npu == npu &&
				    (best == n_avail ||
				     dev_cmp(cand[k], cand[best]) < 0))
					best = k;
		}
		taken[best] = true;
		npu_used[cand[best]->npu] = true;
		out[chosen++] = avail[best];
	}
	free(cand);
	free(taken);
	free(npu_used);
	return 0;
}
