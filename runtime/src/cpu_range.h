/* SPDX-License-Identifier: MIT */
/*
 * cpu_range.h - a pool thread's own run of a split command's units
 * (cpu_range.c), claimed from both ends: its owner takes chunks from the
 * front, a thread that has finished its own run takes a part at a time
 * from the back. One compare-and-swap on one word per claim, so a unit is
 * claimed once whoever races for it.
 */
#ifndef NPURT_CPU_RANGE_H
#define NPURT_CPU_RANGE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Units [lo, hi) not yet claimed, as lo | hi << 32. */
struct cpu_range {
	alignas(64) _Atomic uint64_t word;
};

/* Sets @r to units [@lo, @hi), @lo <= @hi, before any claim on it. */
void npurt_cpu_range_set(struct cpu_range *r, uint32_t lo, uint32_t hi);

/*
 * Claims a chunk [@begin, @end) of @r, @part > 0 units a part: its owner
 * (@own) all but the last two parts from the front, or what is left
 * when no more than two parts are; another thread a part from the back.
 * False when nothing is left.
 */
bool npurt_cpu_range_claim(struct cpu_range *r, bool own, uint32_t part,
			   uint64_t *begin, uint64_t *end);

#endif
