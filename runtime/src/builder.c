// SPDX-License-Identifier: MIT
/*
 * builder.c - npurt_program_builder: programs made from C (tests,
 * examples, the compiler). Output goes through the same writer and the
 * same validating loader as files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_ops.h"
#include "program.h"

struct npurt_program_builder {
	char name[NPURT_NAME_MAX];
	unsigned int num_slots;
	unsigned int cap_slots;
	struct npurt_slot *slots;	/* WEIGHTS data: owned copies */
	uint64_t *sizes;
	unsigned int num_cmds;
	unsigned int cap_cmds;
	struct rm_npu_cmd *cmds;
	unsigned int num_cpuops;
	unsigned int cap_cpuops;
	struct npuprog_cpuop *cpuops;
	uint32_t placement[2];
};

NPURT_API int npurt_program_builder_create(const char *name,
					   npurt_program_builder **out)
{
	struct npurt_tensor_desc probe;
	struct npurt_tensor_info info = { .name = name, .ndim = 1,
		.dims = { 1 }, .dtype = NPURT_DTYPE_UINT8 };
	npurt_program_builder *b;

	if (!out)
		return npurt_err(-EINVAL, "npurt_program_builder_create: out "
				 "is NULL");
	*out = NULL;
	if (npurt_desc_init(&probe, &info))	/* same rules as tensor names */
		return npurt_err(-EINVAL, "program name missing, too long or "
				 "not printable");
	b = calloc(1, sizeof(*b));
	if (!b)
		return npurt_err(-ENOMEM, "out of memory");
	snprintf(b->name, sizeof(b->name), "%s", name);
	*out = b;
	return 0;
}

NPURT_API void npurt_program_builder_destroy(npurt_program_builder *b)
{
	unsigned int i;

	if (!b)
		return;
	for (i = 0; i < b->num_slots; i++)
		free((void *)b->slots[i].data);
	free(b->slots);
	free(b->sizes);
	free(b->cmds);
	free(b->cpuops);
	free(b);
}

static int builder_grow_slots(npurt_program_builder *b)
{
	unsigned int cap = b->cap_slots ? 2 * b->cap_slots : 8;
	struct npurt_slot *slots;
	uint64_t *sizes;

	if (b->num_slots < b->cap_slots)
		return 0;
	if (b->num_slots >= NPUPROG_MAX_SLOTS)
		return npurt_err(-E2BIG, "program: more than %d slots",
				 NPUPROG_MAX_SLOTS);
	slots = realloc(b->slots, cap * sizeof(*slots));
	if (slots)
		b->slots = slots;
	sizes = realloc(b->sizes, cap * sizeof(*sizes));
	if (sizes)
		b->sizes = sizes;
	if (!slots || !sizes)
		return npurt_err(-ENOMEM, "out of memory");
	b->cap_slots = cap;
	return 0;
}

static int builder_add(npurt_program_builder *b, enum npurt_slot_kind kind,
		       const struct npurt_tensor_info *info, const void *data,
		       size_t size)
{
	struct npurt_slot s = { .kind = kind };
	unsigned int i;
	int ret;

	if (!b)
		return npurt_err(-EINVAL, "program builder is NULL");
	ret = npurt_desc_init(&s.desc, info);
	if (ret)
		return ret;
	for (i = 0; i < b->num_slots; i++)
		if (!strcmp(b->slots[i].desc.name, s.desc.name))
			return npurt_err(-EINVAL, "program: a slot named \"%s\" "
					 "exists", s.desc.name);
	s.size = s.desc.size;
	if (kind == NPURT_SLOT_WEIGHTS) {
		if (!data || size != s.size)
			return npurt_err(-EINVAL, "weights \"%s\": %zu bytes "
					 "given, the tensor has %llu",
					 s.desc.name, data ? size : 0,
					 (unsigned long long)s.size);
		s.data = malloc(size);
		if (!s.data)
			return npurt_err(-ENOMEM, "out of memory");
		memcpy((void *)s.data, data, size);
	}
	ret = builder_grow_slots(b);
	if (ret) {
		free((void *)s.data);
		return ret;
	}
	b->sizes[b->num_slots] = s.size;
	b->slots[b->num_slots] = s;
	return (int)b->num_slots++;
}

NPURT_API int npurt_program_builder_add_input(npurt_program_builder *b,
					      const struct npurt_tensor_info *t)
{
	return builder_add(b, NPURT_SLOT_INPUT, t, NULL, 0);
}

NPURT_API int npurt_program_builder_add_output(npurt_program_builder *b,
					       const struct npurt_tensor_info *t)
{
	return builder_add(b, NPURT_SLOT_OUTPUT, t, NULL, 0);
}

NPURT_API int npurt_program_builder_add_weights(npurt_program_builder *b,
						const struct npurt_tensor_info *t,
						const void *data, size_t size)
{
	return builder_add(b, NPURT_SLOT_WEIGHTS, t, data, size);
}

NPURT_API int npurt_program_builder_add_scratch(npurt_program_builder *b,
						const char *name,
						uint64_t size)
{
	struct npurt_tensor_info info = { .name = name,
		.dtype = NPURT_DTYPE_UINT8, .ndim = 1, .dims = { size } };

	return builder_add(b, NPURT_SLOT_SCRATCH, &info, NULL, 0);
}

NPURT_API int npurt_program_builder_add_cmd(npurt_program_builder *b,
					    const struct rm_npu_cmd *cmd)
{
	struct rm_npu_cmd *cmds;
	unsigned int cap;

	if (!b || !cmd)
		return npurt_err(-EINVAL, "npurt_program_builder_add_cmd: NULL "
				 "argument");
	if (b->num_cmds >= NPUPROG_MAX_CMDS)
		return npurt_err(-E2BIG, "program: more than %u commands",
				 NPUPROG_MAX_CMDS);
	if (npurt_cmd_check(cmd, b->num_cmds, b->slots, b->sizes, b->num_slots))
		return -EINVAL;
	if (b->num_cmds == b->cap_cmds) {
		cap = b->cap_cmds ? 2 * b->cap_cmds : 16;
		cmds = realloc(b->cmds, cap * sizeof(*cmds));
		if (!cmds)
			return npurt_err(-ENOMEM, "out of memory");
		b->cmds = cmds;
		b->cap_cmds = cap;
	}
	b->cmds[b->num_cmds] = *cmd;
	return (int)b->num_cmds++;
}

NPURT_API int npurt_program_builder_add_cpu_op(npurt_program_builder *b,
					       const struct npurt_cpu_op *op)
{
	struct npuprog_cpuop *v;
	unsigned int cap;

	if (!b || !op)
		return npurt_err(-EINVAL, "npurt_program_builder_add_cpu_op: "
				 "NULL argument");
	if (b->num_cpuops >= NPUPROG_MAX_CPUOPS)
		return npurt_err(-E2BIG, "program: more than %u CPU steps",
				 NPUPROG_MAX_CPUOPS);
	if (npurt_cpu_op_check(op, b->num_cpuops, b->slots, b->sizes,
			       b->num_slots))
		return -EINVAL;
	if (b->num_cpuops == b->cap_cpuops) {
		cap = b->cap_cpuops ? 2 * b->cap_cpuops : 8;
		v = realloc(b->cpuops, cap * sizeof(*v));
		if (!v)
			return npurt_err(-ENOMEM, "out of memory");
		b->cpuops = v;
		b->cap_cpuops = cap;
	}
	memset(&b->cpuops[b->num_cpuops], 0, sizeof(*v));
	b->cpuops[b->num_cpuops].after_cmd = b->num_cmds;
	b->cpuops[b->num_cpuops].op = *op;
	return (int)b->num_cpuops++;
}

NPURT_API int npurt_program_builder_set_placement(npurt_program_builder *b,
						  unsigned int npu_nodes,
						  unsigned int cpu_nodes)
{
	if (!b)
		return npurt_err(-EINVAL, "npurt_program_builder_set_placement: "
				 "NULL builder");
	b->placement[0] = npu_nodes;
	b->placement[1] = cpu_nodes;
	return 0;
}

NPURT_API int npurt_program_builder_finish(npurt_program_builder *b,
					   npurt_program **out)
{
	size_t size;
	void *data;
	int ret;

	if (!b || !out)
		return npurt_err(-EINVAL, "npurt_program_builder_finish: NULL "
				 "argument");
	*out = NULL;
	if (!b->num_cmds && !b->num_cpuops)
		return npurt_err(-EINVAL, "program \"%s\": no command and no "
				 "CPU step", b->name);
	ret = npurt_prog_write(b->name, b->slots, b->num_slots, b->cmds,
			       b->num_cmds, b->cpuops, b->num_cpuops,
			       b->placement, &data, &size);
	if (ret)
		return ret;
	ret = npurt_program_load_memory(data, size, out);
	free(data);
	return ret;
}
