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
 * The variant of the vectorized CPU steps (the per-tensor float -> 8-bit
 * QUANTIZE loop, the binary32 CONV in SGEMM order): -1 the best this CPU
 * has (the default), 0 portable, 1 AVX2 with FMA, 2 AVX-512; all give the
 * same bytes (tests force each in turn). Return: the variant now in use,
 * or -ENODEV when the CPU lacks it. Not for concurrent use with runs.
 */
int npurt_cpu_step_isa(int isa);

/* The variant in use (npurt_cpu_step_isa()): 0, 1 or 2. */
int npurt_cpu_step_isa_now(void);

/*
 * The K stride of the binary32 CONV's SGEMM order for a group's GEMM of
 * @K rows by @NP pixels: each output's K is taken in slices of it.
 */
int64_t npurt_cpu_sgemm_kstride(int64_t K, int64_t NP);

/* The binary32 CONV step in SGEMM order (p[26] = 1), cpu_sgemm.c. */
void npurt_cpu_conv_sgemm(const struct npurt_cpu_op *op,
			  uint8_t *const *bases);

/*
 * The same step in parts, for several threads at once: its work units (0
 * when only the portable variant runs here: the step is not split), and
 * units [@begin, @end) of them; every unit's outputs are whole, so any
 * split gives the same bytes. Return: 0, or -ENOMEM (nothing written).
 */
uint64_t npurt_cpu_conv_sgemm_units(const struct npurt_cpu_op *op);
int npurt_cpu_conv_sgemm_range(const struct npurt_cpu_op *op,
			       uint8_t *const *bases, uint64_t begin,
			       uint64_t end);

/*
 * Elementwise steps in parts: the elements of a step that any split of its
 * output's elements computes the same (per-tensor QUANTIZE and DEQUANTIZE,
 * the unary steps, binary ones whose inputs have the output's shape), 0
 * for the others; and elements [@begin, @end) of it.
 */
uint64_t npurt_cpu_step_elems(const struct npurt_cpu_op *op);
void npurt_cpu_step_elems_range(const struct npurt_cpu_op *op,
				uint8_t *const *bases, uint64_t begin,
				uint64_t end);

/*
 * QLINEAR_SOFTMAX's table (MLAS's): @t[(uint8_t)x] = exp((i - 255 + b) *
 * @sx) for the input byte x of index i, over rows of @len; @sgn: int8
 * input. The GPU backend passes it to its kernel, so both use one table.
 */
void npurt_cpu_qsm_table(float t[256], float sx, uint64_t len, bool sgn);

#endif /* NPURT_CPU_OPS_H */
