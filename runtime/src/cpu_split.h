/* SPDX-License-Identifier: MIT */
/*
 * cpu_split.h - how the CPU backend shares one command among threads: an
 * estimate of the command's time, and from it the number of chunks and of
 * threads (cpu_split.c).
 */
#ifndef NPURT_CPU_SPLIT_H
#define NPURT_CPU_SPLIT_H

#include <stdint.h>

#include <rm_npu.h>

/* Chunks per thread at most (a late thread holds up a quarter share). */
#define NPURT_CPU_CHUNKS_PER_THREAD	4
/* Default least estimated time of one chunk ($NPURT_CPU_CHUNK_US). */
#define NPURT_CPU_CHUNK_NS_DEFAULT	(4u * 1000)
#define NPURT_CPU_CHUNK_NS_MAX		(100000u * 1000)

struct npurt_cpu_split {
	unsigned int threads;	/* threads that take part, the caller's too */
	uint64_t chunks;	/* chunks of @chunk units, the last shorter */
	uint64_t chunk;
};

/* The estimated time of a valid command on one thread, in nanoseconds. */
uint64_t npurt_cpu_cost_ns(const struct rm_npu_cmd *cmd);

/*
 * The split of @units work units of an estimated @cost_ns among at most
 * @threads / @callers threads (@callers: runs now using the device, each
 * sharing its threads): chunks of at least @chunk_ns each (0: as many as
 * NPURT_CPU_CHUNKS_PER_THREAD per thread), never more chunks than units.
 * One chunk on the caller alone when splitting is not worth it.
 */
void npurt_cpu_split_plan(uint64_t units, uint64_t cost_ns,
			  unsigned int threads, unsigned int callers,
			  uint64_t chunk_ns, struct npurt_cpu_split *plan);

/* Rows of a row-wise split: a multiple of the AVX-512 GEMM tile's rows. */
#define NPURT_CPU_ROW_ALIGN	6

/*
 * GEMM and CONV2D units are column-block major (unit u: column block
 * u / rows, row u % rows): the rows, to split by rows across all column
 * blocks, so that a thread reads only its rows' inputs and writes whole
 * output rows that the next command's same chunk reads from its own
 * cache; 0 for the other opcodes (their units are already row-major).
 */
uint64_t npurt_cpu_split_rows(const struct rm_npu_cmd *cmd, uint64_t units);

/*
 * Rounds @plan's chunks of rows up to multiples of @align rows where they
 * hold that many (whole tiles), with fewer chunks and threads if need be.
 */
void npurt_cpu_split_align(struct npurt_cpu_split *plan, uint64_t rows,
			   uint64_t align);

#endif /* NPURT_CPU_SPLIT_H */
