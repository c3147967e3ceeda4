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

/*
 * The variant of the per-tensor float -> int8/uint8 QUANTIZE loop: -1 the
 * best this CPU has (the default), 0 portable, 1 AVX2, 2 AVX-512; all give
 * the same bytes (tests force each in turn). Return: the variant now in
 * use, or -ENODEV when the CPU lacks it. Not for concurrent use with runs.
 */
int npurt_cpu_quant_isa(int isa);

#endif /* NPURT_CPU_OPS_H */
