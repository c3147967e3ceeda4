/* SPDX-License-Identifier: MIT */
/*
 * spec.h - device spec parsing ("warboy(2)*1", "npu0pe0-1", "cpu(4)",
 * "cuda:0", "auto"): text to a list of items, before any device is touched.
 */
#ifndef NPURT_SPEC_H
#define NPURT_SPEC_H

#include <stddef.h>

#define NPURT_SPEC_MAX_ITEMS	64
#define NPURT_SPEC_MAX_COUNT	1024	/* Y of ARCH*Y, N of cpu(N), D, P */
#define NPURT_ARCH_LEN		16

enum npurt_spec_kind {
	NPURT_SPEC_AUTO,
	NPURT_SPEC_CPU,		/* threads (0: online CPUs) */
	NPURT_SPEC_ARCH,	/* arch, fuse, count */
	NPURT_SPEC_NODE,	/* dev, pe_first, pe_count */
	NPURT_SPEC_GPU,		/* dev: CUDA device ordinal */
};

struct npurt_spec_item {
	enum npurt_spec_kind kind;
	size_t pos;			/* offset of the item in the text */
	char arch[NPURT_ARCH_LEN];
	unsigned int fuse;
	unsigned int count;
	unsigned int threads;
	unsigned int dev;
	unsigned int pe_first;
	unsigned int pe_count;
};

struct npurt_spec {
	unsigned int num_items;
	struct npurt_spec_item items[NPURT_SPEC_MAX_ITEMS];
};

/*
 * Parse @text into @spec. Return: 0, or -EINVAL with *@err_pos (if not
 * NULL) the 0-based offset of the first offending character and the
 * detail message "device spec "...": position N: why".
 */
int npurt_spec_parse(const char *text, struct npurt_spec *spec,
		     size_t *err_pos);

/* Writes the canonical name of a node item ("npu0pe0", "npu0pe0-1"). */
void npurt_spec_node_name(unsigned int dev, unsigned int pe_first,
			  unsigned int pe_count, char *buf, size_t len);

#endif /* NPURT_SPEC_H */
