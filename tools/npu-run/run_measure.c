// SPDX-License-Identifier: MIT
/*
 * run_measure.c - npu-run's figures: latency percentiles, and each
 * device's utilization over the measured runs from the driver's per-PE
 * busy_ns and jobs_completed counters (NPU devices) or this process's CPU
 * time (the CPU device).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "run.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v. */
static double pct(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1e6;
}

void run_latency_stats(uint64_t *ns, size_t n, struct run_latency *out)
{
	double sum = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	qsort(ns, n, sizeof(*ns), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)ns[i];
	out->mean_ms = sum / (double)n / 1e6;
	out->p50_ms = pct(ns, n, 50);
	out->p90_ms = pct(ns, n, 90);
	out->p99_ms = pct(ns, n, 99);
	out->min_ms = (double)ns[0] / 1e6;
	out->max_ms = (double)ns[n - 1] / 1e6;
}

int run_dev_sample(const npurt_device *dev, struct run_dev_sample *s)
{
	struct npurt_node_info nodes[32];
	struct npurt_device_info info;
	struct rusage ru;
	size_t count, i;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = npurt_device_get_info(dev, &info);
	if (ret)
		return run_err(ret, "%s", npurt_last_error());
	if (info.kind != NPURT_DEVICE_NPU) {
		if (getrusage(RUSAGE_SELF, &ru))
			return run_err(-errno, "getrusage failed");
		s->cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)
			     ru.ru_stime.tv_sec) * 1000000000ull +
			    ((uint64_t)ru.ru_utime.tv_usec +
			     (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
		return 0;
	}
	/*
	 * Fused nodes have no counters: busy time is the sum over the
	 * single-PE nodes; a fused job counts once on each PE, so jobs are
	 * the first PE's.
	 */
	ret = npurt_discover_nodes(info.dev_index, nodes, 32, &count);
	if (ret)
		return run_err(ret, "npu%u: %s", info.dev_index,
			       npurt_last_error());
	for (i = 0; i < count && i < 32; i++) {
		if (nodes[i].pe_count != 1 ||
		    nodes[i].pe_first < info.pe_first ||
		    nodes[i].pe_first >= info.pe_first + info.pe_count)
			continue;
		s->busy_ns += nodes[i].busy_ns;
		if (nodes[i].pe_first == info.pe_first)
			s->jobs = nodes[i].jobs_completed;
	}
	return 0;
}

double run_dev_utilization(const npurt_device *dev,
			   const struct run_dev_sample *a,
			   const struct run_dev_sample *b, uint64_t wall_ns)
{
	struct npurt_device_info info;
	double cap;

	if (npurt_device_get_info(dev, &info) || !wall_ns)
		return 0;
	if (info.kind == NPURT_DEVICE_NPU) {
		cap = (double)wall_ns * (info.pe_count ? info.pe_count : 1);
		return b->busy_ns > a->busy_ns ?
		       (double)(b->busy_ns - a->busy_ns) / cap : 0;
	}
	cap = (double)wall_ns * (info.threads ? info.threads : 1);
	return b->cpu_ns > a->cpu_ns ? (double)(b->cpu_ns - a->cpu_ns) / cap :
	       0;
}
