// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_program: libFuzzer target for the .npuprog loader of libnpurt
 * (npurt_program_load_memory()). Each input is loaded as is, then again
 * with file_size and the CRC-32 fixed up, so that mutations get past the
 * checksum into the section, string, tensor and command checks. A program
 * that loads is serialized and the result must load again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "npurt.h"
#include "program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load(const void *p, size_t n)
{
	npurt_program *prog = NULL, *again = NULL;
	void *out = NULL;
	size_t out_size = 0;

	if (npurt_program_load_memory(p, n, &prog))
		return;
	if (!prog)
		abort();
	if (!npurt_program_serialize(prog, &out, &out_size)) {
		if (npurt_program_load_memory(out, out_size, &again))
			abort();
		npurt_program_destroy(again);
		free(out);
	}
	npurt_program_destroy(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct npuprog_header h;
	uint8_t *copy;
	uLong crc;

	load(data, size);
	if (size < sizeof(h))
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memcpy(&h, copy, sizeof(h));
	h.file_size = size;
	h.checksum = 0;
	memcpy(copy, &h, sizeof(h));
	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, copy, (uInt)size);
	h.checksum = (uint32_t)crc;
	memcpy(copy, &h, sizeof(h));
	load(copy, size);
	free(copy);
	return 0;
}
