// SPDX-License-Identifier: MIT
/*
 * cpu_range.c - a split command's run of units claimed from both ends
 * (cpu_range.h).
 */
#include "cpu_range.h"

#define CPU_RANGE_WORD(lo, hi)	((uint64_t)(lo) | (uint64_t)(hi) << 32)

void npurt_cpu_range_set(struct cpu_range *r, uint32_t lo, uint32_t hi)
{
	atomic_store_explicit(&r->word, CPU_RANGE_WORD(lo, hi),
			      memory_order_relaxed);
}

bool npurt_cpu_range_claim(struct cpu_range *r, bool own, uint32_t part,
			   uint64_t *begin, uint64_t *end)
{
	uint64_t w = atomic_load_explicit(&r->word, memory_order_relaxed);
	uint32_t lo, hi, take;

	do {
		lo = (uint32_t)w;
		hi = (uint32_t)(w >> 32);
		if (lo >= hi)
			return false;
		take = hi - lo;
		if (!own && take > part)
			take = part;
		else if (own && take / 2 > part)
			take -= 2 * part;
	} while (!atomic_compare_exchange_weak(&r->word, &w, own ?
					       CPU_RANGE_WORD(lo + take, hi) :
					       CPU_RANGE_WORD(lo, hi - take)));
	*begin = own ? lo : hi - take;
	*end = *begin + take;
	return true;
}
