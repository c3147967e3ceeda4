/* SPDX-License-Identifier: MIT */
/*
 * program.h - the .npuprog file layout (runtime/PROGRAM_FORMAT.md is its
 * manual) and the in-memory program: slots, commands over slots, weights.
 */
#ifndef NPURT_PROGRAM_H
#define NPURT_PROGRAM_H

#include <stdatomic.h>

#include <rm_npu.h>

#include "common.h"

#define NPUPROG_MAGIC		"NPUPROG"	/* 8 bytes with the NUL */
#define NPUPROG_MAJOR		1
#define NPUPROG_MINOR		2	/* 1: CPU steps; 2: placement counts */
#define NPUPROG_HEADER_SIZE	128
#define NPUPROG_SLOT_SIZE	128
#define NPUPROG_WEIGHT_ALIGN	64
#define NPUPROG_SECTION_ALIGN	8

/* Library limits (-EFBIG above them). */
#define NPUPROG_MAX_SLOTS	4096
#define NPUPROG_MAX_CMDS	(1u << 20)
#define NPUPROG_MAX_CPUOPS	(1u << 20)
#define NPUPROG_CPUOP_SIZE	384
#define NPUPROG_MAX_STRINGS	(16u << 20)
#define NPUPROG_MAX_FILE	(1ULL << 36)

/* All integers little endian. */
struct npuprog_header {
	uint8_t magic[8];
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t header_size;
	uint64_t file_size;
	uint32_t checksum;		/* CRC-32 of the file, this field 0 */
	uint32_t flags;
	uint32_t cmdset_version;
	uint32_t cmd_size;
	uint32_t num_slots;
	uint32_t num_cmds;
	uint32_t name_off;		/* in the string table */
	uint32_t name_len;
	uint64_t slots_off;
	uint64_t cmds_off;
	uint64_t strings_off;
	uint64_t strings_size;
	uint64_t weights_off;
	uint64_t weights_size;
	/* 1.1; zero (reserved) in 1.0 files */
	uint64_t cpuops_off;
	uint32_t num_cpuops;
	uint32_t cpuop_size;		/* NPUPROG_CPUOP_SIZE, 0 without steps */
	/* 1.2; zero (reserved) before: the compiler's placement, for the
	 * summary (graph nodes run by NPU commands and by CPU steps) */
	uint32_t npu_nodes;
	uint32_t cpu_nodes;
};

/* A CPU step in the file: it runs after the first @after_cmd commands. */
struct npuprog_cpuop {
	uint32_t after_cmd;
	uint32_t reserved;
	struct npurt_cpu_op op;
};

struct npuprog_slot {
	uint32_t kind;			/* enum npurt_slot_kind */
	uint32_t dtype;			/* enum npurt_dtype */
	uint64_t size;
	uint64_t data_off;		/* WEIGHTS: in the weights section */
	uint32_t name_off;
	uint32_t name_len;
	uint32_t layout_off;
	uint32_t layout_len;		/* 0: no layout */
	uint32_t ndim;
	int32_t zero_point;
	uint32_t scale_bits;		/* IEEE 754 binary32 */
	uint32_t flags;
	uint64_t dims[NPURT_MAX_DIMS];
	uint64_t reserved;
};

_Static_assert(sizeof(struct npuprog_header) == NPUPROG_HEADER_SIZE,
	       "npuprog header layout");
_Static_assert(sizeof(struct npuprog_slot) == NPUPROG_SLOT_SIZE,
	       "npuprog slot layout");
_Static_assert(sizeof(struct npuprog_cpuop) == NPUPROG_CPUOP_SIZE,
	       "npuprog CPU step layout");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the .npuprog reader assumes a little-endian host");

struct npurt_slot {
	enum npurt_slot_kind kind;
	uint64_t size;
	struct npurt_tensor_desc desc;
	const uint8_t *data;		/* WEIGHTS: @size bytes */
	uint64_t data_off;		/* WEIGHTS: offset in the weights */
};

struct npurt_program {
	atomic_uint refs;
	char name[NPURT_NAME_MAX];
	unsigned int num_slots;
	struct npurt_slot *slots;
	unsigned int num_cmds;
	struct rm_npu_cmd *cmds;
	unsigned int num_cpuops;
	struct npuprog_cpuop *cpuops;	/* after_cmd non-decreasing */
	uint8_t *weights;		/* NPUPROG_WEIGHT_ALIGN aligned */
	uint64_t weights_size;
	unsigned int num_inputs;
	unsigned int num_outputs;
	unsigned int *inputs;		/* slot of input i */
	unsigned int *outputs;		/* slot of output i */
	uint32_t placement[2];		/* graph nodes on the NPU, the CPU */
};

/* Serialize a program given as parts. Return: 0 or -EINVAL/-ENOMEM. */
int npurt_prog_write(const char *name, const struct npurt_slot *slots,
		     unsigned int num_slots, const struct rm_npu_cmd *cmds,
		     unsigned int num_cmds, const struct npuprog_cpuop *cpuops,
		     unsigned int num_cpuops, const uint32_t placement[2],
		     void **data, size_t *size);

/*
 * The operands of @cmd that name buffers: pointers into @cmd in @refs
 * (at most 5), whether each is written in @writes. Return: the count.
 */
unsigned int npurt_cmd_refs(struct rm_npu_cmd *cmd, struct rm_npu_ref **refs,
			    bool *writes);

/*
 * Validate @cmd (index @index, for messages) against @slots (@sizes: their
 * sizes): the shared validator over the slot sizes, and writes only into
 * OUTPUT/SCRATCH slots. Return: 0 or -EINVAL with the detail message.
 */
int npurt_cmd_check(const struct rm_npu_cmd *cmd, unsigned int index,
		    const struct npurt_slot *slots, const uint64_t *sizes,
		    unsigned int num_slots);
const char *npurt_op_name(uint32_t opcode);

npurt_program *npurt_program_get(npurt_program *prog);
void npurt_program_put(npurt_program *prog);

#endif /* NPURT_PROGRAM_H */
