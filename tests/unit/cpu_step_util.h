/* SPDX-License-Identifier: MIT */
/*
 * cpu_step_util.h - building CPU steps (struct npurt_cpu_op) in the unit
 * tests: an empty step and an operand at the start of a slot.
 */
#ifndef TESTS_CPU_STEP_UTIL_H
#define TESTS_CPU_STEP_UTIL_H

#include <stdint.h>
#include <string.h>

#include <npurt.h>

/* A step of @opcode with every operand absent and every parameter 0. */
static inline struct npurt_cpu_op cpu_step_new(uint32_t opcode)
{
	struct npurt_cpu_op op;
	unsigned int i;

	memset(&op, 0, sizeof(op));
	op.opcode = opcode;
	for (i = 0; i < NPURT_CPU_MAX_IN; i++)
		op.in[i].slot = NPURT_CPU_NONE;
	op.out.slot = NPURT_CPU_NONE;
	return op;
}

/* @count elements of @dtype at the start of slot @slot. */
static inline struct npurt_cpu_ref cpu_step_ref(uint32_t slot, uint32_t dtype,
						uint64_t count)
{
	return (struct npurt_cpu_ref){ slot, dtype, 0, count };
}

#endif
