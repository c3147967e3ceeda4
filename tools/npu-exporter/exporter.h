/* SPDX-License-Identifier: MIT */
/*
 * exporter.h - npu-exporter: the metrics of the rm_npu NPUs in Prometheus'
 * text exposition format (exporter_metrics.c), served over HTTP by
 * npu-exporter.c. Manual: tools/npu-exporter/npu-exporter.1.
 */
#ifndef NPU_EXPORTER_H
#define NPU_EXPORTER_H

#include <stdbool.h>
#include <stdio.h>

#include "smi.h"

/* What one scrape found. */
struct npx_scrape {
	bool driver_loaded;
	const struct smi_sys *sys;	/* NPUs (none without the driver) */
	const struct smi_proc *procs;	/* open NPU nodes by process */
	size_t num_procs;
	double duration_s;		/* collection time, sampling included */
};

/*
 * Writes every metric of @s to @out: # HELP and # TYPE, then its samples.
 * Return: 0 or -EIO.
 */
int npx_metrics_write(FILE *out, const struct npx_scrape *s);

#endif /* NPU_EXPORTER_H */
