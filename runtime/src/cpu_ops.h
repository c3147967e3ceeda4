/* SPDX-License-Identifier: MIT */
/*
 * cpu_ops.h - CPU steps of a program (npurt.h: struct npurt_cpu_op): the
 * validator the loader and the builder share, and the host implementation
 * every device runs them with.
 */
#ifndef NPURT_CPU_OPS_H
#define NPURT_CPU_OPS_H

#include "program.h"

/*
 * Validate step @index against @slots (@sizes: their sizes). Return: 0 or
 * -EINVAL with the detail message.
 */
int npurt_cpu_op_check(const struct npurt_cpu_op *op, unsigned int index,
		       const struct npurt_slot *slots, const uint64_t *sizes,
		       unsigned int num_slots);

/* Run a validated step over the slot base addresses @bases. */
void npurt_cpu_op_run(const struct npurt_cpu_op *op, uint8_t *const *bases);

#endif /* NPURT_CPU_OPS_H */
