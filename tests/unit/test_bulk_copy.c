// SPDX-License-Identifier: MIT
/*
 * npurt_bulk_copy() (runtime/src/bulk_copy.c): the pieces the threads copy
 * cover the range exactly, at every size around the thresholds and the
 * page-aligned cuts, and nothing past either end is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bulk_copy.h"
#include "device.h"

#define MIB	(1u << 20)
#define GUARD	64

static void test_threads(void **state)
{
	unsigned int cpus = npurt_online_cpus();
	unsigned int want16 = cpus < 4 ? cpus : 4;

	(void)state;
	assert_int_equal(npurt_bulk_copy_threads(0), 1);
	assert_int_equal(npurt_bulk_copy_threads(8 * MIB - 1), 1);
	assert_int_equal(npurt_bulk_copy_threads(8 * MIB), cpus < 2 ? cpus : 2);
	assert_int_equal(npurt_bulk_copy_threads(16 * MIB), want16);
	assert_int_equal(npurt_bulk_copy_threads(1ull << 40),
			 cpus < 8 ? cpus : 8);
}

static void test_copy(void **state)
{
	static const size_t sizes[] = {
		0, 1, 4095, 4 * MIB, 8 * MIB - 1, 8 * MIB, 8 * MIB + 1,
		8 * MIB + 4097, 12 * MIB + 3, 38535168, 64 * MIB + 4095,
	};
	size_t i, j, max = 64 * MIB + 4095 + 2 * GUARD;
	unsigned char *src = malloc(max), *dst = malloc(max);

	(void)state;
	assert_non_null(src);
	assert_non_null(dst);
	for (j = 0; j < max; j++)
		src[j] = (unsigned char)(j * 2654435761u >> 13);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		memset(dst, 0xa5, n + 2 * GUARD);
		/* odd offsets: pieces cut at page multiples of the size */
		npurt_bulk_copy(dst + GUARD, src + 3, n);
		for (j = 0; j < GUARD; j++)
			if (dst[j] != 0xa5 || dst[GUARD + n + j] != 0xa5)
				fail_msg("size %zu: guard byte %zu written", n,
					 j);
		if (memcmp(dst + GUARD, src + 3, n))
			fail_msg("size %zu: copy differs", n);
	}
	free(src);
	free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
