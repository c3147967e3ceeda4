// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fuzz_spec: libFuzzer target for the device-spec parser of libnpurt
 * (npurt_spec_check(), npurt_spec_parse(), node names) and, for specs that
 * parse and need no more than two CPU threads, the full resolution
 * (npurt_runtime_create()), which needs no hardware: without /dev/npu*
 * NPU items fail with an error, "cpu(N)" opens the CPU backend.
 * Invariants: check and parse agree, the error position is inside the
 * text, counts are within the documented limits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "npurt.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct npurt_spec spec;
	size_t pos1 = (size_t)-1, pos2 = (size_t)-1, len;
	char *text = malloc(size + 1);
	unsigned int i, cpu_threads = 0;
	int r1, r2, resolve = 1;
	char name[64];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);

	r1 = npurt_spec_check(text, &pos1);
	r2 = npurt_spec_parse(text, &spec, &pos2);
	if ((r1 == 0) != (r2 == 0) || (r1 && r1 != -EINVAL))
		abort();
	if (r1) {
		if (pos1 != pos2 || pos1 > len)
			abort();
		free(text);
		return 0;
	}
	if (!spec.num_items || spec.num_items > NPURT_SPEC_MAX_ITEMS)
		abort();
	for (i = 0; i < spec.num_items; i++) {
		const struct npurt_spec_item *it = &spec.items[i];

		if (it->pos > len)
			abort();
		switch (it->kind) {
		case NPURT_SPEC_NODE:
			npurt_spec_node_name(it->dev, it->pe_first,
					     it->pe_count, name, sizeof(name));
			break;
		case NPURT_SPEC_ARCH:
			if (!it->count || it->count > NPURT_SPEC_MAX_COUNT ||
			    memchr(it->arch, '\0', sizeof(it->arch)) == NULL)
				abort();
			break;
		case NPURT_SPEC_CPU:
			if (!it->threads || it->threads > 2)
				resolve = 0;
			cpu_threads += it->threads;
			break;
		case NPURT_SPEC_AUTO:
			resolve = 0;	/* CPU fallback of every online CPU */
			break;
		case NPURT_SPEC_GPU:
			resolve = 0;	/* loads the CUDA driver when present */
			break;
		default:
			abort();
		}
	}
	if (resolve && cpu_threads <= 2) {
		npurt_runtime *rt = NULL;

		if (!npurt_runtime_create(text, &rt)) {
			if (!rt || !npurt_runtime_spec(rt))
				abort();
			npurt_runtime_destroy(rt);
		}
	}
	free(text);
	return 0;
}
