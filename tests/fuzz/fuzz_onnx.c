// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_onnx: libFuzzer target for the ONNX importer of npu-compile
 * (npuc_load_memory(): protobuf decoding, graph checks, shapes,
 * initializers) and, for models that import, the lowering
 * (npuc_compile()) and serialization of the resulting program.
 */
#include <stdint.h>
#include <stdlib.h>

#include "npuc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct npuc_graph *g = NULL;
	npurt_program *prog = NULL;
	void *out = NULL;
	size_t out_size;

	if (npuc_load_memory(data, size, &g)) {
		if (!npuc_last_error())
			abort();
		return 0;
	}
	if (!g)
		abort();
	if (!npuc_compile(g, NULL, &prog)) {
		if (!npurt_program_serialize(prog, &out, &out_size))
			free(out);
		npurt_program_destroy(prog);
	}
	npuc_graph_free(g);
	return 0;
}
