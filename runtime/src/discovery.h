/* SPDX-License-Identifier: MIT */
/*
 * discovery.h - a snapshot of the NPUs and their nodes, as the class
 * devices of subsystem "npu" describe them (libudev + sysfs attributes).
 */
#ifndef NPURT_DISCOVERY_H
#define NPURT_DISCOVERY_H

#include "common.h"

#define NPURT_SYS_MAX_NODES	24	/* 8 PEs + 4 fused pairs, with room */

struct npurt_sys_npu {
	struct npurt_npu_info info;
	unsigned int num_nodes;		/* singles by PE, then fused pairs */
	struct npurt_node_info nodes[NPURT_SYS_MAX_NODES];
};

struct npurt_sys {
	unsigned int num_npus;		/* sorted by index */
	struct npurt_sys_npu *npus;
};

/* Scan the system. Return: 0 (maybe no NPU), -EIO, -ENOMEM. */
int npurt_sys_scan(struct npurt_sys *sys);
void npurt_sys_free(struct npurt_sys *sys);
const struct npurt_sys_npu *npurt_sys_find(const struct npurt_sys *sys,
					   unsigned int index);
const struct npurt_node_info *
npurt_sys_find_node(const struct npurt_sys_npu *npu, unsigned int pe_first,
		    unsigned int pe_count);

#endif /* NPURT_DISCOVERY_H */
