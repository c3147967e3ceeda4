// SPDX-License-Identifier: MIT
/*
 * memory.c - sub-allocation of buffer objects so that small tensors do not
 * cost an ioctl each, and host memory on the device's NUMA node.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>

#include "memory.h"

/* ---- sub-allocator ---------------------------------------------------- */

int npurt_suballoc_init(struct npurt_suballoc *sa, uint64_t size)
{
	memset(sa, 0, sizeof(*sa));
	if (!size)
		return -EINVAL;
	sa->free = malloc(4 * sizeof(*sa->free));
	if (!sa->free)
		return -ENOMEM;
	sa->cap = 4;
	sa->size = size;
	sa->free[0] = (struct npurt_extent){ .off = 0, .len = size };
	sa->num_free = 1;
	return 0;
}

void npurt_suballoc_fini(struct npurt_suballoc *sa)
{
	free(sa->free);
	memset(sa, 0, sizeof(*sa));
}

/* Room for one more extent, so that later steps cannot fail. */
static int sa_reserve(struct npurt_suballoc *sa)
{
	struct npurt_extent *e;

	if (sa->num_free < sa->cap)
		return 0;
	e = realloc(sa->free, 2 * sa->cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	sa->free = e;
	sa->cap *= 2;
	return 0;
}

static void sa_insert(struct npurt_suballoc *sa, size_t i,
		      struct npurt_extent e)
{
	memmove(&sa->free[i + 1], &sa->free[i],
		(sa->num_free - i) * sizeof(e));
	sa->free[i] = e;
	sa->num_free++;
}

static void sa_remove(struct npurt_suballoc *sa, size_t i)
{
	memmove(&sa->free[i], &sa->free[i + 1],
		(sa->num_free - i - 1) * sizeof(sa->free[0]));
	sa->num_free--;
}

/* Take [start, start + size) out of free extent @i. */
static void sa_carve(struct npurt_suballoc *sa, size_t i, uint64_t start,
		     uint64_t size)
{
	struct npurt_extent *e = &sa->free[i];
	uint64_t front = start - e->off;
	uint64_t back = e->len - front - size;

	if (!front && !back) {
		sa_remove(sa, i);
	} else if (!front) {
		e->off += size;
		e->len -= size;
	} else if (!back) {
		e->len = front;
	} else {
		e->len = front;
		sa_insert(sa, i + 1, (struct npurt_extent){
			.off = start + size, .len = back });
	}
	sa->used += size;
}

int npurt_suballoc_alloc(struct npurt_suballoc *sa, uint64_t size,
			 uint64_t align, uint64_t *off)
{
	size_t i;

	if (!size || !align || (align & (align - 1)))
		return -EINVAL;
	if (sa_reserve(sa))
		return -ENOMEM;
	for (i = 0; i < sa->num_free; i++) {
		const struct npurt_extent *e = &sa->free[i];
		uint64_t start, need;

		if (!npurt_add_ok(e->off, align - 1, &start))
			continue;
		start &= ~(align - 1);
		if (!npurt_add_ok(start - e->off, size, &need) || need > e->len)
			continue;
		sa_carve(sa, i, start, size);
		*off = start;
		return 0;
	}
	return -ENOMEM;
}

/* Index of the first free extent starting after @off. */
static size_t sa_find(const struct npurt_suballoc *sa, uint64_t off)
{
	size_t lo = 0, hi = sa->num_free;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sa->free[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int npurt_suballoc_free(struct npurt_suballoc *sa, uint64_t off,
			uint64_t size)
{
	uint64_t end;
	size_t i;
	bool merge_prev, merge_next;

	if (!size || !npurt_add_ok(off, size, &end) || end > sa->size)
		return -EINVAL;
	i = sa_find(sa, off);
	if (i > 0 && sa->free[i - 1].off + sa->free[i - 1].len > off)
		return -EINVAL;		/* overlaps a free range: double free */
	if (i < sa->num_free && end > sa->free[i].off)
		return -EINVAL;
	merge_prev = i > 0 && sa->free[i - 1].off + sa->free[i - 1].len == off;
	merge_next = i < sa->num_free && sa->free[i].off == end;
	if (!merge_prev && !merge_next && sa_reserve(sa))
		return -ENOMEM;
	sa->used -= size;
	if (merge_prev && merge_next) {
		sa->free[i - 1].len += size + sa->free[i].len;
		sa_remove(sa, i);
	} else if (merge_prev) {
		sa->free[i - 1].len += size;
	} else if (merge_next) {
		sa->free[i].off = off;
		sa->free[i].len += size;
	} else {
		sa_insert(sa, i, (struct npurt_extent){ .off = off, .len = size });
	}
	return 0;
}

uint64_t npurt_suballoc_largest(const struct npurt_suballoc *sa)
{
	uint64_t best = 0;
	size_t i;

	for (i = 0; i < sa->num_free; i++)
		if (sa->free[i].len > best)
			best = sa->free[i].len;
	return best;
}

/* ---- pools of buffer-object chunks ------------------------------------ */

void npurt_pool_init(struct npurt_pool *pool, uint64_t chunk_size,
		     const struct npurt_chunk_ops *ops, void *ctx)
{
	memset(pool, 0, sizeof(*pool));
	pthread_mutex_init(&pool->lock, NULL);
	pool->chunk_size = chunk_size;
	pool->ops = ops;
	pool->ctx = ctx;
}

static void pool_chunk_destroy(struct npurt_pool *pool, struct npurt_chunk *c)
{
	pool->ops->destroy(pool->ctx, c->handle, c->map, c->size);
	npurt_suballoc_fini(&c->sa);
	free(c);
}

void npurt_pool_fini(struct npurt_pool *pool)
{
	struct npurt_chunk *c = pool->chunks, *next;

	for (; c; c = next) {
		next = c->next;
		pool_chunk_destroy(pool, c);
	}
	pool->chunks = NULL;
	pthread_mutex_destroy(&pool->lock);
}

static int pool_chunk_new(struct npurt_pool *pool, uint64_t size,
			  struct npurt_chunk **out)
{
	struct npurt_chunk *c = calloc(1, sizeof(*c));
	void *map;
	int ret;

	if (!c)
		return -ENOMEM;
	ret = pool->ops->create(pool->ctx, size, &c->handle, &map, &c->size);
	if (ret) {
		free(c);
		return ret;
	}
	c->map = map;
	ret = npurt_suballoc_init(&c->sa, c->size);
	if (ret) {
		pool->ops->destroy(pool->ctx, c->handle, map, c->size);
		free(c);
		return ret;
	}
	c->next = pool->chunks;
	pool->chunks = c;
	*out = c;
	return 0;
}

static void pool_fill(struct npurt_mem *mem, struct npurt_chunk *c,
		      uint64_t off, uint64_t size)
{
	mem->kind = NPURT_MEM_POOL;
	mem->ptr = c->map + off;
	mem->size = size;
	mem->handle = c->handle;
	mem->offset = off;
	mem->chunk = c;
	c->live++;
	memset(mem->ptr, 0, size);	/* recycled ranges start zeroed too */
}

int npurt_pool_alloc(struct npurt_pool *pool, uint64_t size,
		     struct npurt_mem *mem)
{
	struct npurt_chunk *c;
	uint64_t off, want;
	int ret = -ENOMEM;

	if (!size || size > NPURT_MAX_TENSOR_BYTES)
		return -EINVAL;
	size = npurt_align_up(size, NPURT_MEM_ALIGN);
	pthread_mutex_lock(&pool->lock);
	for (c = pool->chunks; c; c = c->next) {
		ret = npurt_suballoc_alloc(&c->sa, size, NPURT_MEM_ALIGN, &off);
		if (!ret)
			break;
	}
	if (!c) {
		want = size > pool->chunk_size ? size : pool->chunk_size;
		ret = pool_chunk_new(pool, want, &c);
		if (!ret)
			ret = npurt_suballoc_alloc(&c->sa, size, NPURT_MEM_ALIGN,
						   &off);
	}
	if (!ret)
		pool_fill(mem, c, off, size);
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

static void pool_unlink(struct npurt_pool *pool, struct npurt_chunk *c)
{
	struct npurt_chunk **pp;

	for (pp = &pool->chunks; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

void npurt_pool_free(struct npurt_pool *pool, struct npurt_mem *mem)
{
	struct npurt_chunk *c = mem->chunk;

	if (mem->kind != NPURT_MEM_POOL || !c)
		return;
	pthread_mutex_lock(&pool->lock);
	if (!npurt_suballoc_free(&c->sa, mem->offset, mem->size) &&
	    !--c->live) {
		/* Give an empty chunk back unless it is the only one. */
		if (pool->chunks != c || c->next) {
			pool_unlink(pool, c);
			pool_chunk_destroy(pool, c);
		}
	}
	pthread_mutex_unlock(&pool->lock);
	memset(mem, 0, sizeof(*mem));
}

unsigned int npurt_pool_chunks(struct npurt_pool *pool)
{
	struct npurt_chunk *c;
	unsigned int n = 0;

	pthread_mutex_lock(&pool->lock);
	for (c = pool->chunks; c; c = c->next)
		n++;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

/* ---- host memory -------------------------------------------------------- */

static pthread_once_t npurt_numa_once = PTHREAD_ONCE_INIT;
static bool npurt_numa_ok;

static void npurt_numa_init(void)
{
	npurt_numa_ok = numa_available() >= 0;
}

int npurt_host_alloc(uint64_t size, int numa_node, struct npurt_mem *mem)
{
	uint64_t rounded;

	memset(mem, 0, sizeof(*mem));
	if (!size || size > NPURT_MAX_TENSOR_BYTES)
		return -EINVAL;
	rounded = npurt_align_up(size, NPURT_MEM_ALIGN);
	pthread_once(&npurt_numa_once, npurt_numa_init);
	if (numa_node >= 0 && npurt_numa_ok && numa_node <= numa_max_node()) {
		/* Page-granular mmap: already zeroed and aligned. */
		mem->ptr = numa_alloc_onnode(rounded, numa_node);
		mem->kind = NPURT_MEM_NUMA;
	} else {
		mem->ptr = aligned_alloc(NPURT_MEM_ALIGN, rounded);
		if (mem->ptr)
			memset(mem->ptr, 0, rounded);
		mem->kind = NPURT_MEM_HOST;
	}
	if (!mem->ptr) {
		mem->kind = NPURT_MEM_NONE;
		return -ENOMEM;
	}
	mem->size = rounded;
	return 0;
}

void npurt_host_free(struct npurt_mem *mem)
{
	if (mem->kind == NPURT_MEM_NUMA)
		numa_free(mem->ptr, mem->size);
	else if (mem->kind == NPURT_MEM_HOST)
		free(mem->ptr);
	memset(mem, 0, sizeof(*mem));
}
