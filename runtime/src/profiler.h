/* SPDX-License-Identifier: MIT */
/*
 * profiler.h - spans recorded while a trace is on (NPU_PROFILE=path or
 * npurt_profiler_start()), written as Chrome trace JSON for Perfetto.
 */
#ifndef NPURT_PROFILER_H
#define NPURT_PROFILER_H

#include "device.h"

#define NPURT_PROF_THREAD	0	/* track of the calling thread */
#define NPURT_PROF_DEV_BASE	1000000	/* tracks of devices */

int npurt_prof_init(npurt_runtime *rt);
void npurt_prof_fini(npurt_runtime *rt);
bool npurt_prof_active(const npurt_runtime *rt);
/* Record [@start_ns, @end_ns) on @track, named by the format. */
void npurt_prof_span(npurt_runtime *rt, const char *cat, uint64_t track,
		     uint64_t start_ns, uint64_t end_ns, const char *fmt, ...)
	NPURT_PRINTF(6, 7);
void npurt_prof_name_track(npurt_runtime *rt, uint64_t track,
			   const char *name);
/* Name the calling thread's track. */
void npurt_prof_name_thread(npurt_runtime *rt, const char *name);

static inline uint64_t npurt_prof_dev_track(const npurt_device *dev)
{
	return NPURT_PROF_DEV_BASE + dev->index;
}

#endif /* NPURT_PROFILER_H */
