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
 * npu_cmd_exec() - run units [@unit_begin, @unit_end) of a valid command
 * @cmd:	a command npu_cmd_validate() accepted, unchanged since.
 * @bo_base:	base address of each buffer of the job, in the order of the
 *		sizes given to npu_cmd_validate().
 * @unit_begin:	first unit to run.
 * @unit_end:	one past the last unit to run, at most npu_cmd_units().
 *
 * Return: 0, or -EINVAL when a per-channel {mult, shift} pair read from a
 * buffer is out of range (the run stops there; the output of the command
 * is then unspecified) or when the unit range is out of bounds.
 */
int npu_cmd_exec(const struct rm_npu_cmd *cmd, u8 *const *bo_base,
		 u64 unit_begin, u64 unit_end);

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
