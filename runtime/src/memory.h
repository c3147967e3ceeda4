/* SPDX-License-Identifier: MIT */
/*
 * memory.h - the sub-allocator (first-fit over a sorted free list with
 * coalescing), pools of buffer-object chunks carved by it, and host memory
 * placed on a NUMA node.
 */
#ifndef NPURT_MEMORY_H
#define NPURT_MEMORY_H

#include <pthread.h>

#include "common.h"

#define NPURT_MEM_ALIGN		64	/* every tensor and slot */

struct npurt_extent {
	uint64_t off;
	uint64_t len;
};

/* Ranges of [0, size): the free ones, sorted, never adjacent. */
struct npurt_suballoc {
	uint64_t size;
	uint64_t used;
	size_t num_free;
	size_t cap;
	struct npurt_extent *free;
};

int npurt_suballoc_init(struct npurt_suballoc *sa, uint64_t size);
void npurt_suballoc_fini(struct npurt_suballoc *sa);
/*
 * Return: 0 with *@off the start of @size bytes aligned to @align (a power
 * of two); -EINVAL (size 0, bad align), -ENOMEM (no free range fits).
 */
int npurt_suballoc_alloc(struct npurt_suballoc *sa, uint64_t size,
			 uint64_t align, uint64_t *off);
/* Return: 0, or -EINVAL when [off, off + size) is not wholly allocated. */
int npurt_suballoc_free(struct npurt_suballoc *sa, uint64_t off,
			uint64_t size);
uint64_t npurt_suballoc_largest(const struct npurt_suballoc *sa);

/* How a region of memory was obtained. */
enum npurt_mem_kind {
	NPURT_MEM_NONE,
	NPURT_MEM_HOST,		/* aligned_alloc */
	NPURT_MEM_NUMA,		/* numa_alloc_onnode */
	NPURT_MEM_POOL,		/* a piece of a pool chunk (buffer object) */
	NPURT_MEM_GPU,		/* pinned host shadow + device memory */
	NPURT_MEM_GPU_HOST,	/* pinned host memory alone (a GPU's tensor) */
};

struct npurt_chunk;

struct npurt_mem {
	enum npurt_mem_kind kind;
	uint8_t *ptr;
	uint64_t size;
	uint32_t handle;		/* POOL: buffer object handle */
	uint64_t offset;		/* POOL: offset in the buffer object */
	uint64_t dptr;			/* GPU: device address */
	struct npurt_chunk *chunk;
};

/* Backing store of a pool: buffer objects mapped into the process. */
struct npurt_chunk_ops {
	int (*create)(void *ctx, uint64_t size, uint32_t *handle, void **map,
		      uint64_t *map_size);
	void (*destroy)(void *ctx, uint32_t handle, void *map,
			uint64_t map_size);
};

struct npurt_chunk {
	struct npurt_chunk *next;
	uint32_t handle;
	uint8_t *map;
	uint64_t size;
	unsigned int live;		/* regions handed out */
	struct npurt_suballoc sa;
};

struct npurt_pool {
	pthread_mutex_t lock;
	struct npurt_chunk *chunks;
	uint64_t chunk_size;		/* smallest chunk */
	const struct npurt_chunk_ops *ops;
	void *ctx;
};

void npurt_pool_init(struct npurt_pool *pool, uint64_t chunk_size,
		     const struct npurt_chunk_ops *ops, void *ctx);
/* Releases every chunk; regions still handed out become invalid. */
void npurt_pool_fini(struct npurt_pool *pool);
int npurt_pool_alloc(struct npurt_pool *pool, uint64_t size,
		     struct npurt_mem *mem);
void npurt_pool_free(struct npurt_pool *pool, struct npurt_mem *mem);
unsigned int npurt_pool_chunks(struct npurt_pool *pool);

/* Zeroed host memory, NPURT_MEM_ALIGN aligned, on @numa_node if >= 0. */
int npurt_host_alloc(uint64_t size, int numa_node, struct npurt_mem *mem);
void npurt_host_free(struct npurt_mem *mem);

#endif /* NPURT_MEMORY_H */
