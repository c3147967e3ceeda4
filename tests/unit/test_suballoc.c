// SPDX-License-Identifier: MIT
/*
 * test_suballoc.c - libnpurt's sub-allocator (first fit over a sorted free
 * list with coalescing) against a byte-map model, and the pools of
 * buffer-object chunks it carves, over a fake chunk backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memory.h"

/* Free extents sorted, inside the range, never adjacent; sums add up. */
static void check_invariants(const struct npurt_suballoc *sa)
{
	uint64_t free_total = 0;
	size_t i;

	for (i = 0; i < sa->num_free; i++) {
		const struct npurt_extent *e = &sa->free[i];

		assert_true(e->len > 0);
		assert_true(e->off + e->len <= sa->size);
		if (i)
			assert_true(sa->free[i - 1].off + sa->free[i - 1].len <
				    e->off);
		free_total += e->len;
	}
	assert_int_equal(free_total + sa->used, sa->size);
}

static void test_init(void **state)
{
	struct npurt_suballoc sa;

	(void)state;
	assert_int_equal(npurt_suballoc_init(&sa, 0), -EINVAL);
	assert_int_equal(npurt_suballoc_init(&sa, 1000), 0);
	assert_int_equal(sa.num_free, 1);
	assert_int_equal(sa.used, 0);
	assert_int_equal(npurt_suballoc_largest(&sa), 1000);
	npurt_suballoc_fini(&sa);
}

static void test_alloc_basic(void **state)
{
	struct npurt_suballoc sa;
	uint64_t a, b, c, d;

	(void)state;
	assert_int_equal(npurt_suballoc_init(&sa, 1024), 0);
	assert_int_equal(npurt_suballoc_alloc(&sa, 0, 64, &a), -EINVAL);
	assert_int_equal(npurt_suballoc_alloc(&sa, 8, 0, &a), -EINVAL);
	assert_int_equal(npurt_suballoc_alloc(&sa, 8, 48, &a), -EINVAL);

	assert_int_equal(npurt_suballoc_alloc(&sa, 100, 64, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(npurt_suballoc_alloc(&sa, 10, 64, &b), 0);
	assert_int_equal(b, 128);		/* aligned past 100 */
	assert_int_equal(npurt_suballoc_alloc(&sa, 1, 1, &c), 0);
	assert_int_equal(c, 100);		/* first fit: the gap */
	assert_int_equal(sa.used, 111);
	check_invariants(&sa);
	/* 1024 - 138 = 886 left at 138; aligned to 256 it starts at 256. */
	assert_int_equal(npurt_suballoc_alloc(&sa, 768, 256, &d), 0);
	assert_int_equal(d, 256);
	assert_int_equal(npurt_suballoc_alloc(&sa, 769, 1, &d), -ENOMEM);
	assert_int_equal(npurt_suballoc_alloc(&sa, 118, 1, &d), 0);
	assert_int_equal(d, 138);		/* exact fit of [138, 256) */
	assert_int_equal(sa.used, 111 + 768 + 118);
	check_invariants(&sa);
	assert_int_equal(npurt_suballoc_alloc(&sa, UINT64_MAX, 1, &d),
			 -ENOMEM);
	assert_int_equal(npurt_suballoc_alloc(&sa, 1, 1ULL << 63, &d),
			 -ENOMEM);
	npurt_suballoc_fini(&sa);
}

static void test_free_coalesce(void **state)
{
	struct npurt_suballoc sa;
	uint64_t off[8];
	int i;

	(void)state;
	assert_int_equal(npurt_suballoc_init(&sa, 8 * 64), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(npurt_suballoc_alloc(&sa, 64, 64, &off[i]), 0);
		assert_int_equal(off[i], 64 * i);
	}
	assert_int_equal(sa.num_free, 0);
	assert_int_equal(npurt_suballoc_largest(&sa), 0);
	/* Isolated frees, then the ones between them merge everything. */
	assert_int_equal(npurt_suballoc_free(&sa, off[1], 64), 0);
	assert_int_equal(npurt_suballoc_free(&sa, off[3], 64), 0);
	assert_int_equal(npurt_suballoc_free(&sa, off[5], 64), 0);
	assert_int_equal(sa.num_free, 3);
	check_invariants(&sa);
	assert_int_equal(npurt_suballoc_free(&sa, off[2], 64), 0);	/* both */
	assert_int_equal(sa.num_free, 2);
	assert_int_equal(npurt_suballoc_largest(&sa), 192);
	assert_int_equal(npurt_suballoc_free(&sa, off[0], 64), 0);	/* next */
	assert_int_equal(npurt_suballoc_free(&sa, off[6], 64), 0);	/* prev */
	assert_int_equal(sa.num_free, 2);
	assert_int_equal(npurt_suballoc_free(&sa, off[4], 64), 0);
	assert_int_equal(npurt_suballoc_free(&sa, off[7], 64), 0);
	assert_int_equal(sa.num_free, 1);
	assert_int_equal(sa.used, 0);
	assert_int_equal(npurt_suballoc_largest(&sa), 512);
	check_invariants(&sa);
	npurt_suballoc_fini(&sa);
}

static void test_free_errors(void **state)
{
	struct npurt_suballoc sa;
	uint64_t a, b;

	(void)state;
	assert_int_equal(npurt_suballoc_init(&sa, 1024), 0);
	assert_int_equal(npurt_suballoc_alloc(&sa, 256, 64, &a), 0);
	assert_int_equal(npurt_suballoc_alloc(&sa, 256, 64, &b), 0);
	assert_int_equal(npurt_suballoc_free(&sa, a, 0), -EINVAL);
	assert_int_equal(npurt_suballoc_free(&sa, 1000, 100), -EINVAL);
	assert_int_equal(npurt_suballoc_free(&sa, UINT64_MAX - 1, 4), -EINVAL);
	/* Reaching into the free tail. */
	assert_int_equal(npurt_suballoc_free(&sa, b, 300), -EINVAL);
	assert_int_equal(npurt_suballoc_free(&sa, 600, 10), -EINVAL);
	assert_int_equal(npurt_suballoc_free(&sa, a, 256), 0);
	/* Double free, and ranges overlapping a free one. */
	assert_int_equal(npurt_suballoc_free(&sa, a, 256), -EINVAL);
	assert_int_equal(npurt_suballoc_free(&sa, a + 64, 64), -EINVAL);
	assert_int_equal(npurt_suballoc_free(&sa, 200, 100), -EINVAL);
	assert_int_equal(sa.used, 256);
	check_invariants(&sa);
	assert_int_equal(npurt_suballoc_free(&sa, b, 256), 0);
	assert_int_equal(sa.used, 0);
	assert_int_equal(sa.num_free, 1);
	npurt_suballoc_fini(&sa);
}

/* Random allocs and frees against a byte map: never overlapping, never
 * out of range, aligned, and everything coalesces back at the end. */
static void test_random_model(void **state)
{
	enum { SIZE = 1 << 16, MAXA = 512 };
	static uint8_t owner[SIZE];
	struct { uint64_t off, len; } live[MAXA];
	struct npurt_suballoc sa;
	unsigned int n = 0, step, seed = 12345, fails = 0;

	(void)state;
	memset(owner, 0, sizeof(owner));
	assert_int_equal(npurt_suballoc_init(&sa, SIZE), 0);
	for (step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		if (n < MAXA && (n == 0 || (seed >> 16) % 3)) {
			uint64_t len = 1 + (seed >> 8) % 700, off;
			uint64_t align = 1ULL << ((seed >> 4) % 8);
			int ret = npurt_suballoc_alloc(&sa, len, align, &off);
			uint64_t i;

			if (ret) {
				assert_int_equal(ret, -ENOMEM);
				fails++;
				continue;
			}
			assert_int_equal(off % align, 0);
			assert_true(off + len <= SIZE);
			for (i = off; i < off + len; i++) {
				assert_int_equal(owner[i], 0);
				owner[i] = 1;
			}
			live[n].off = off;
			live[n++].len = len;
		} else {
			unsigned int k = (seed >> 8) % n;

			assert_int_equal(npurt_suballoc_free(&sa, live[k].off,
							     live[k].len), 0);
			memset(owner + live[k].off, 0, live[k].len);
			live[k] = live[--n];
		}
		if (step % 256 == 0)
			check_invariants(&sa);
	}
	assert_true(fails > 0);		/* the space did fill up at times */
	while (n) {
		n--;
		assert_int_equal(npurt_suballoc_free(&sa, live[n].off,
						     live[n].len), 0);
	}
	assert_int_equal(sa.used, 0);
	assert_int_equal(sa.num_free, 1);
	assert_int_equal(npurt_suballoc_largest(&sa), SIZE);
	npurt_suballoc_fini(&sa);
}

/* ---- pools over a fake chunk backend ---------------------------------- */

struct fake_chunks {
	int created, destroyed, fail_next;
	uint32_t next_handle;
	uint64_t last_size;
};

static int fake_create(void *ctx, uint64_t size, uint32_t *handle,
		       void **map, uint64_t *map_size)
{
	struct fake_chunks *f = ctx;
	uint64_t rounded = (size + 4095) & ~4095ULL;

	if (f->fail_next) {
		f->fail_next = 0;
		return -ENOSPC;
	}
	*map = aligned_alloc(4096, rounded);
	if (!*map)
		return -ENOMEM;
	memset(*map, 0xa5, rounded);	/* garbage: the pool must zero */
	*handle = ++f->next_handle;
	*map_size = rounded;
	f->last_size = size;
	f->created++;
	return 0;
}

static void fake_destroy(void *ctx, uint32_t handle, void *map,
			 uint64_t map_size)
{
	struct fake_chunks *f = ctx;

	(void)handle;
	(void)map_size;
	free(map);
	f->destroyed++;
}

static const struct npurt_chunk_ops fake_chunk_ops = {
	.create = fake_create, .destroy = fake_destroy,
};

static bool all_bytes(const uint8_t *p, uint8_t v, size_t n)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

static void test_pool(void **state)
{
	struct fake_chunks f = { 0 };
	struct npurt_pool pool;
	struct npurt_mem m[70], big;
	unsigned int i;

	(void)state;
	npurt_pool_init(&pool, 4096, &fake_chunk_ops, &f);
	assert_int_equal(npurt_pool_alloc(&pool, 0, &m[0]), -EINVAL);
	assert_int_equal(npurt_pool_alloc(&pool, (1ULL << 48) + 1, &m[0]),
			 -EINVAL);
	assert_int_equal(f.created, 0);

	/* 64 small tensors share one 4 KiB chunk, 64-byte aligned. */
	for (i = 0; i < 64; i++) {
		assert_int_equal(npurt_pool_alloc(&pool, 1 + i % 64, &m[i]), 0);
		assert_int_equal(m[i].kind, NPURT_MEM_POOL);
		assert_int_equal(m[i].size, 64);
		assert_int_equal(m[i].offset % NPURT_MEM_ALIGN, 0);
		assert_int_equal(m[i].handle, 1);
		assert_ptr_equal(m[i].ptr, m[i].chunk->map + m[i].offset);
		assert_true(all_bytes(m[i].ptr, 0, 64));
		memset(m[i].ptr, 0x5a, 64);
	}
	assert_int_equal(f.created, 1);
	assert_int_equal(npurt_pool_chunks(&pool), 1);
	/* The 65th needs a second chunk. */
	assert_int_equal(npurt_pool_alloc(&pool, 64, &m[64]), 0);
	assert_int_equal(m[64].handle, 2);
	assert_int_equal(npurt_pool_chunks(&pool), 2);
	/* A recycled range starts zeroed again. */
	npurt_pool_free(&pool, &m[10]);
	assert_int_equal(m[10].kind, NPURT_MEM_NONE);
	assert_int_equal(npurt_pool_alloc(&pool, 64, &m[10]), 0);
	assert_true(all_bytes(m[10].ptr, 0, 64));

	/* Larger than a chunk: a chunk of its own size. */
	assert_int_equal(npurt_pool_alloc(&pool, 10000, &big), 0);
	assert_int_equal(f.last_size, 10048);	/* rounded to 64 */
	assert_int_equal(big.offset, 0);
	assert_int_equal(npurt_pool_chunks(&pool), 3);
	npurt_pool_free(&pool, &big);		/* empty: given back */
	assert_int_equal(npurt_pool_chunks(&pool), 2);
	assert_int_equal(f.destroyed, 1);

	/* Backend failure is reported, nothing leaks. */
	f.fail_next = 1;
	assert_int_equal(npurt_pool_alloc(&pool, 8192, &big), -ENOSPC);
	assert_int_equal(npurt_pool_chunks(&pool), 2);

	for (i = 0; i < 65; i++)
		npurt_pool_free(&pool, &m[i]);
	/* The last empty chunk stays for the next allocation. */
	assert_int_equal(npurt_pool_chunks(&pool), 1);
	assert_int_equal(f.destroyed, 2);
	/* Freeing a non-pool region is a no-op. */
	memset(&big, 0, sizeof(big));
	npurt_pool_free(&pool, &big);
	npurt_pool_fini(&pool);
	assert_int_equal(f.destroyed, f.created);
}

static void test_host_alloc(void **state)
{
	struct npurt_mem m;

	(void)state;
	assert_int_equal(npurt_host_alloc(0, -1, &m), -EINVAL);
	assert_int_equal(m.kind, NPURT_MEM_NONE);
	assert_int_equal(npurt_host_alloc((1ULL << 48) + 1, -1, &m), -EINVAL);
	assert_int_equal(npurt_host_alloc(100, -1, &m), 0);
	assert_int_equal(m.kind, NPURT_MEM_HOST);
	assert_int_equal(m.size, 128);
	assert_int_equal((uintptr_t)m.ptr % NPURT_MEM_ALIGN, 0);
	assert_true(all_bytes(m.ptr, 0, 128));
	npurt_host_free(&m);
	assert_int_equal(m.kind, NPURT_MEM_NONE);
	/* Node 0 exists everywhere; with libnuma it is page-mapped memory. */
	assert_int_equal(npurt_host_alloc(5000, 0, &m), 0);
	assert_true(m.kind == NPURT_MEM_NUMA || m.kind == NPURT_MEM_HOST);
	assert_true(all_bytes(m.ptr, 0, 5000));
	npurt_host_free(&m);
	/* A node that does not exist falls back to plain memory. */
	assert_int_equal(npurt_host_alloc(64, 4000, &m), 0);
	assert_int_equal(m.kind, NPURT_MEM_HOST);
	npurt_host_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_alloc_basic),
		cmocka_unit_test(test_free_coalesce),
		cmocka_unit_test(test_free_errors),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_host_alloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
