/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npu_ops.h - the rm_npu command engine: validation and bit-exact execution
 * of struct rm_npu_cmd, shared by rm_npu.ko (PE engines) and userspace (the
 * libnpurt CPU backend). The arithmetic is specified in
 * uapi/rm_npu_commands.md.
 *
 * Use:
 *  1. Copy the command out of the caller's reach; never run a command from
 *     memory userspace can still change.
 *  2. npu_cmd_validate() it against the sizes of the job's buffers.
 *  3. npu_cmd_units() gives its number of work units U. Any partition of
 *     [0, U) into ranges, run by npu_cmd_exec() in any order or
 *     concurrently on several threads, writes the same bytes as one call
 *     over [0, U): units write disjoint output bytes and read no output.
 *     Every unit costs at most about 4M multiply-accumulates or bytes, so
 *     a caller may check for cancellation between ranges.
 *
 * Buffer contents are never trusted: they may change at any time (they are
 * mapped into userspace). Only the command decides which bytes are read
 * and written, and execution stays inside the validated extents whatever
 * the data are.
 */
#ifndef _NPU_OPS_H
#define _NPU_OPS_H

#include "npu_ops_shim.h"
#include <rm_npu.h>

/* Work unit geometry (also documented in uapi/rm_npu_commands.md). */
#define NPU_OPS_MM_BLOCK	64	/* GEMM/CONV2D output columns per unit */
#define NPU_OPS_POOL_BLOCK	64	/* POOL2D channels per unit */
#define NPU_OPS_ELT_BLOCK	4096	/* ELTWISE columns per unit */
#define NPU_OPS_STREAM_BLOCK	4096	/* FILL/LUT elements per unit */
#define NPU_OPS_COPY_BYTES	65536	/* COPY bytes per unit, at most */

/**
 * npu_cmd_validate() - check a command against its job's buffers
 * @cmd:	the command, in memory the submitter can no longer change.
 * @bo_sizes:	size in bytes of each buffer of the job.
 * @num_bos:	number of entries of @bo_sizes.
 * @caps:	opcodes allowed (RM_NPU_CAP() bits of the firmware).
 *
 * Return: 0 when @cmd may be executed, -EINVAL otherwise.
 */
int npu_cmd_validate(const struct rm_npu_cmd *cmd, const u64 *bo_sizes,
		     u32 num_bos, u64 caps);

/**
 * npu_cmd_units() - number of independent work units of a valid command
 * @cmd:	a command npu_cmd_validate() accepted.
 *
 * Return: the unit count (0 for NOP).
 */
u64 npu_cmd_units(const struct rm_npu_cmd *cmd);

/**
 * npu_cmd_split_ok() - whether a valid command's units split well across CPUs
 * @cmd:	a command npu_cmd_validate() accepted.
 *
 * Any partition of the units gives the same bytes; this says whether
 * disjoint unit ranges also write disjoint memory but for the cache lines
 * at their edges. A COPY that transposes (its units follow the source, the
 * destination's order differs) writes every cache line of its destination
 * from every range: run on two CPUs at once, those lines bounce between
 * them and the copy takes several times longer than on one.
 *
 * Return: false for such a COPY, true otherwise.
 */
bool npu_cmd_split_ok(const struct rm_npu_cmd *cmd);

/**
 * npu_cmd_exec() - run units [@unit_begin, @unit_end) of a valid command
 * @cmd:	a command npu_cmd_validate() accepted, unchanged since.
 * @bo_base:	base address of each buffer of the job, in the order of the
 *		sizes given to npu_cmd_validate().
 * @unit_begin:	first unit to run.
 * @unit_end:	one past the last unit to run, at most npu_cmd_units().
 *
 * Runs the portable variant (NPU_ISA_SCALAR) and needs no scratch; see
 * npu_cmd_exec_ctx() for the fast ones.
 *
 * Return: 0, or -EINVAL when a per-channel {mult, shift} pair read from a
 * buffer is out of range (the run stops there; the output of the command
 * is then unspecified) or when the unit range is out of bounds.
 */
int npu_cmd_exec(const struct rm_npu_cmd *cmd, u8 *const *bo_base,
		 u64 unit_begin, u64 unit_end);

/*
 * Execution variants. npu_cmd_exec() runs the portable one; a context
 * (npu_ctx_init()) runs the one it names, chosen at run time from the CPU's
 * features (NPU_ISA_AUTO) or forced. Every variant writes the same bytes.
 */
enum npu_isa {
	NPU_ISA_AUTO = 0,	/* the best one this CPU runs */
	NPU_ISA_SCALAR,		/* portable C */
	NPU_ISA_AVX2,		/* x86-64 AVX2 */
	NPU_ISA_AVX512,		/* x86-64 AVX-512 F, BW, VL, DQ and VNNI */
	NPU_ISA_COUNT,
};

/* Scratch memory a context needs, and its alignment. */
#define NPU_OPS_SCRATCH_SIZE	(512u * 1024)
#define NPU_OPS_SCRATCH_ALIGN	64

/**
 * struct npu_ops_ctx - per-thread execution state
 * @isa:	the variant it runs (never NPU_ISA_AUTO once initialized).
 * @scratch:	NPU_OPS_SCRATCH_SIZE bytes, NPU_OPS_SCRATCH_ALIGN aligned,
 *		owned by one thread at a time.
 * @tag:	set by the caller before running units of a command: a value
 *		that no other command execution run on this context had (a
 *		counter), or 0. With the same non-zero tag, ranges of one
 *		command reuse weights packed by earlier ranges on this
 *		context; 0 never reuses anything.
 * @cache_tag, @cache_key: private, the packed weights held in @scratch.
 */
struct npu_ops_ctx {
	u32 isa;
	u8 *scratch;
	u64 tag;
	u64 cache_tag;
	u64 cache_key;
};

/* Whether @isa is built in and this CPU (and OS) runs it. */
bool npu_isa_available(u32 isa);
/* The best available variant. */
u32 npu_isa_best(void);
/* "auto", "scalar", "avx2", "avx512"; NULL for an unknown value. */
const char *npu_isa_name(u32 isa);
/* The variant named @name (as npu_isa_name()), or -EINVAL. */
int npu_isa_from_name(const char *name);

/**
 * npu_ctx_init() - prepare a context to run variant @isa
 * @ctx:	the context.
 * @isa:	an enum npu_isa value; NPU_ISA_AUTO picks npu_isa_best().
 * @scratch:	NPU_OPS_SCRATCH_SIZE bytes aligned to NPU_OPS_SCRATCH_ALIGN.
 *
 * Return: 0, -EINVAL for a bad @isa or @scratch, -EOPNOTSUPP when @isa is
 * not available here.
 */
int npu_ctx_init(struct npu_ops_ctx *ctx, u32 isa, void *scratch);

/**
 * npu_cmd_exec_ctx() - npu_cmd_exec() with a context and packed weights
 * @cmd:	a command npu_cmd_validate() accepted, unchanged since.
 * @bo_base:	base address of each buffer of the job.
 * @ctx:	an initialized context, used by this thread only.
 * @packed:	npu_cmd_pack() of @cmd for @ctx->isa, made from the weight
 *		bytes this execution must use, or NULL (then weights are
 *		packed into the scratch as needed).
 * @unit_begin, @unit_end: as npu_cmd_exec().
 *
 * In the kernel the SIMD variants run inside kernel_fpu_begin() and
 * kernel_fpu_end(), one section per call: keep calls short (the engine's
 * chunks) and never call it where sleeping is not allowed to end.
 *
 * Return: as npu_cmd_exec().
 */
int npu_cmd_exec_ctx(const struct rm_npu_cmd *cmd, u8 *const *bo_base,
		     struct npu_ops_ctx *ctx, const void *packed,
		     u64 unit_begin, u64 unit_end);

/**
 * npu_cmd_pack_size() - size of the packed weights of a command
 * @cmd:	a valid command.
 * @isa:	the variant that will run it (not NPU_ISA_AUTO).
 *
 * Return: bytes npu_cmd_pack() writes, 0 when @isa does not use packed
 * weights for @cmd.
 */
u64 npu_cmd_pack_size(const struct rm_npu_cmd *cmd, u32 isa);

/**
 * npu_cmd_pack() - weights of a command in the layout @isa's kernels read
 * @cmd:	a command validated against @bo_base's buffers.
 * @bo_base:	the job's buffers.
 * @isa:	as npu_cmd_pack_size().
 * @dst:	npu_cmd_pack_size() bytes, 64-byte aligned.
 *
 * For weights that do not change between runs (a program's constants):
 * pack once, pass @dst to every npu_cmd_exec_ctx() of the command.
 *
 * Return: 0, or -EINVAL when @isa has no packed form of @cmd.
 */
int npu_cmd_pack(const struct rm_npu_cmd *cmd, u8 *const *bo_base, u32 isa,
		 void *dst);

/**
 * npu_cmd_ops() - arithmetic operations of a valid command, for telemetry
 * @cmd:	a command npu_cmd_validate() accepted.
 *
 * Two per multiply-accumulate (GEMM, CONV2D), one per window element
 * (POOL2D), one per element (ELTWISE, LUT, COPY, FILL); saturates at
 * U64_MAX.
 *
 * Return: the operation count.
 */
u64 npu_cmd_ops(const struct rm_npu_cmd *cmd);

/**
 * npu_cmd_bytes() - bytes a valid command reads and writes, for telemetry
 * @cmd:	a command npu_cmd_validate() accepted.
 *
 * Each operand element counted once (broadcasts at their full logical
 * size); saturates at U64_MAX.
 *
 * Return: the byte count.
 */
u64 npu_cmd_bytes(const struct rm_npu_cmd *cmd);

#endif /* _NPU_OPS_H */
