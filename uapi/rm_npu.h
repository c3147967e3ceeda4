/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * rm_npu user ABI: ioctls of the /dev/npuX, /dev/npuXpeY and /dev/npuXpeY-Z
 * nodes, and the command stream format executed by the PE engines.
 *
 * Conventions, true of every ioctl below:
 *
 * - Every argument struct may grow at its end in later ABI minors. The
 *   ioctl number encodes the caller's struct size; the kernel accepts any
 *   size at least as large as the first published one (RM_NPU_*_SIZE_VER0
 *   of each struct), zero-fills fields a
 *   shorter (older) caller did not pass, rejects a longer (newer) caller's
 *   unknown tail with E2BIG unless it is all zero, and copies back only as
 *   many bytes as the caller passed.
 * - Every @flags field rejects unknown bits with EINVAL, and every @pad or
 *   reserved field must be zero on input (EINVAL otherwise).
 * - Handles and job ids are small integers private to one open file; they
 *   are never kernel pointers. A handle of another file is simply unknown
 *   (ENOENT).
 * - Sizes are in bytes, times in nanoseconds.
 * - User pointers travel as __u64.
 *
 * Errors common to all ioctls: ENOTTY (unknown ioctl, or one the node kind
 * does not support: the management node /dev/npuX supports GET_INFO only),
 * EINVAL (argument size below the first published size, unknown flags,
 * nonzero pad), E2BIG (nonzero bytes past the struct this kernel knows),
 * EFAULT (unreadable or unwritable argument).
 */
#ifndef _UAPI_RM_NPU_H
#define _UAPI_RM_NPU_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * ABI version: major changes break binaries (never planned), minor adds.
 * 1.1: SUBMIT's status fields and RM_NPU_SUBMIT_WAIT, SUBMIT_BATCH,
 *      rm_npu_info.max_batch_jobs.
 * 1.2: RM_NPU_WAIT_ABSOLUTE; WAIT restarts after a signal (SA_RESTART);
 *      commands may grow (SUBMIT's cmd_size).
 */
#define RM_NPU_ABI_MAJOR		1
#define RM_NPU_ABI_MINOR		2
#define RM_NPU_ABI_VERSION		((RM_NPU_ABI_MAJOR << 16) | RM_NPU_ABI_MINOR)

/* Kinds of node (struct rm_npu_info.node_type). */
#define RM_NPU_NODE_MGMT		0	/* /dev/npuX: information only */
#define RM_NPU_NODE_PE			1	/* /dev/npuXpeY: one PE */
#define RM_NPU_NODE_FUSED		2	/* /dev/npuXpeY-Z: two fused PEs */

/* Firmware states (struct rm_npu_info.fw_state and sysfs fw_state). */
#define RM_NPU_FW_READY			0	/* loaded and validated */
#define RM_NPU_FW_MISSING		1	/* request_firmware() found no image */
#define RM_NPU_FW_INVALID		2	/* image failed validation */

#define RM_NPU_ARCH_LEN			16
#define RM_NPU_VERSION_STR_LEN		16

/**
 * struct rm_npu_info - RM_NPU_IOCTL_GET_INFO: facts about a device and node
 * @flags:	in: must be 0.
 * @abi_version: out: RM_NPU_ABI_VERSION of the running module.
 * @node_type:	out: RM_NPU_NODE_* of the node the file was opened on.
 * @dev_index:	out: X in /dev/npuX.
 * @num_pes:	out: number of PEs on the device.
 * @pe_first:	out: first PE of this node (0 for the management node).
 * @pe_count:	out: PEs of this node: 1 (PE), 2 (fused), 0 (management).
 * @fw_state:	out: RM_NPU_FW_*.
 * @fw_version:	out: (major << 16) | (minor << 8) | patch; 0 unless READY.
 * @numa_node:	out: NUMA node of the device, -1 when it has none.
 * @fw_caps:	out: bit N set = command opcode N accepted (RM_NPU_CAP()),
 *		for N < RM_NPU_OP_COUNT; feature bits above them
 *		(RM_NPU_CAP_F32_RESCALE). 0 unless the firmware is READY.
 * @mem_total:	out: device memory, bytes.
 * @mem_used:	out: device memory held by buffer objects, bytes.
 * @max_bo_size: out: largest buffer object accepted, bytes.
 * @max_bos:	out: most buffer objects one file may hold.
 * @max_cmds:	out: most commands in one job.
 * @max_job_bos: out: most buffer handles one job may reference.
 * @cmd_size:	out: sizeof(struct rm_npu_cmd) this kernel expects.
 * @arch:	out: architecture name, NUL-terminated (e.g. "warboy").
 * @uuid:	out: device UUID (stable for a given device index).
 * @fw_version_str: out: firmware version string, NUL-terminated.
 * @max_batch_jobs: out (ABI 1.1): most jobs in one SUBMIT_BATCH.
 * @pad:	out: 0.
 * @max_inflight_jobs: out (ABI 1.2): most jobs one file may have queued
 *		or running (SUBMIT fails with EAGAIN past it).
 * @max_inflight_cmds: out (ABI 1.2): most commands over those jobs.
 * @max_inflight_ops: out (ABI 1.2): most operations (two per
 *		multiply-accumulate, one per element otherwise) over those
 *		jobs, a lone job excepted: the PE time a file may queue.
 */
struct rm_npu_info {
	__u32 flags;
	__u32 abi_version;
	__u32 node_type;
	__u32 dev_index;
	__u32 num_pes;
	__u32 pe_first;
	__u32 pe_count;
	__u32 fw_state;
	__u32 fw_version;
	__s32 numa_node;
	__u64 fw_caps;
	__u64 mem_total;
	__u64 mem_used;
	__u64 max_bo_size;
	__u32 max_bos;
	__u32 max_cmds;
	__u32 max_job_bos;
	__u32 cmd_size;
	__u8 arch[RM_NPU_ARCH_LEN];
	__u8 uuid[16];
	__u8 fw_version_str[RM_NPU_VERSION_STR_LEN];
	/* ABI 1.1 */
	__u32 max_batch_jobs;
	__u32 pad;
	/* ABI 1.2 */
	__u32 max_inflight_jobs;
	__u32 max_inflight_cmds;
	__u64 max_inflight_ops;
};

/* Size of struct rm_npu_info in ABI 1.0, the first published one. */
#define RM_NPU_INFO_SIZE_VER0		136

/**
 * struct rm_npu_bo_create - RM_NPU_IOCTL_BO_CREATE: allocate device memory
 * @size:	in: bytes, 1..max_bo_size; rounded up to the page size.
 * @flags:	in: must be 0.
 * @handle:	out: handle of the new buffer object (never 0).
 * @alloc_size: out: bytes charged to the device memory (page aligned).
 *
 * The buffer's contents start zeroed. Errors: EINVAL (size 0 or above
 * max_bo_size, flags), ENOMEM (device memory exhausted: mem_used +
 * alloc_size would pass mem_total, or no host memory), EMFILE (the file
 * holds max_bos buffer objects).
 */
struct rm_npu_bo_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
	__u64 alloc_size;
};

#define RM_NPU_BO_CREATE_SIZE_VER0	24

/**
 * struct rm_npu_bo_info - RM_NPU_IOCTL_BO_INFO: facts about a buffer object
 * @handle:	in: buffer object handle.
 * @flags:	in: must be 0.
 * @size:	out: bytes (page aligned).
 * @mmap_offset: out: offset to pass to mmap(2) on this file.
 *
 * Errors: ENOENT (no such handle in this file).
 */
struct rm_npu_bo_info {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u64 mmap_offset;
};

#define RM_NPU_BO_INFO_SIZE_VER0	24

/**
 * struct rm_npu_bo_mmap - RM_NPU_IOCTL_BO_MMAP: offset for mmap(2)
 * @handle:	in: buffer object handle.
 * @flags:	in: must be 0.
 * @offset:	out: pass to mmap(2) on this file to map the buffer. A mapping
 *		may start at @offset + k * page size and must end inside the
 *		buffer; otherwise mmap(2) fails with EINVAL. The mapping keeps
 *		the buffer alive after BO_CLOSE. MAP_SHARED only (EINVAL).
 *		Offsets are opaque, page aligned and below 2^44 (so 32-bit
 *		processes can map them); never compute one.
 *
 * Errors: ENOENT (no such handle in this file).
 */
struct rm_npu_bo_mmap {
	__u32 handle;
	__u32 flags;
	__u64 offset;
};

#define RM_NPU_BO_MMAP_SIZE_VER0	16

/**
 * struct rm_npu_bo_close - RM_NPU_IOCTL_BO_CLOSE: drop a handle
 * @handle:	in: buffer object handle.
 * @flags:	in: must be 0.
 *
 * The memory returns to the device once no mapping and no job uses the
 * buffer. Errors: ENOENT (no such handle in this file).
 */
struct rm_npu_bo_close {
	__u32 handle;
	__u32 flags;
};

#define RM_NPU_BO_CLOSE_SIZE_VER0	8

/* --- Jobs ------------------------------------------------------------- */

#define RM_NPU_SUBMIT_IN_FENCE		(1u << 0)	/* wait on @in_fence_fd */
#define RM_NPU_SUBMIT_OUT_FENCE		(1u << 1)	/* return @out_fence_fd */
#define RM_NPU_SUBMIT_WAIT		(1u << 2)	/* ABI 1.1: return retired */
#define RM_NPU_SUBMIT_FLAGS		(RM_NPU_SUBMIT_IN_FENCE | \
					 RM_NPU_SUBMIT_OUT_FENCE | \
					 RM_NPU_SUBMIT_WAIT)

#define RM_NPU_NO_INDEX			0xffffffffu

/**
 * struct rm_npu_submit - RM_NPU_IOCTL_SUBMIT: queue one job on this node
 * @cmds:	in: user pointer to @num_cmds struct rm_npu_cmd.
 * @bo_handles:	in: user pointer to @num_bos __u32 buffer handles; commands
 *		name buffers by their index in this list.
 * @num_cmds:	in: 1..max_cmds.
 * @num_bos:	in: 0..max_job_bos.
 * @flags:	in: RM_NPU_SUBMIT_*.
 * @in_fence_fd: in: sync_file fd the job waits for, with
 *		RM_NPU_SUBMIT_IN_FENCE; must be 0 otherwise. The fence only
 *		orders: the job runs even if the fence signalled an error.
 * @out_fence_fd: out: with RM_NPU_SUBMIT_OUT_FENCE, a new sync_file fd
 *		signalled when the job retires (poll(2) it); else -1. Its
 *		fence's seqno is @job_id, on the open file's timeline (one
 *		fence context per file, named after the node: "npu0pe0").
 * @error_index: out: on EINVAL from command validation, the index of the
 *		first offending command; RM_NPU_NO_INDEX otherwise. Written
 *		back even when the ioctl fails.
 * @job_id:	out: id of the job in this file (ids count up from 1).
 * @cmd_size:	in: sizeof(struct rm_npu_cmd) the caller was built with:
 *		a multiple of 8 from RM_NPU_CMD_SIZE_VER0 (256) to
 *		RM_NPU_MAX_CMD_SIZE. Commands are @cmd_size bytes apart and
 *		read as the argument structs are: the bytes past this
 *		kernel's struct (rm_npu_info.cmd_size) must be zero (E2BIG,
 *		@error_index says which command).
 * @pad:	in: must be 0.
 * @retired:	out (ABI 1.1): 1 when the job retired before the call
 *		returned, its status in the three fields below (the same
 *		values WAIT would give); 0 while it is queued or running
 *		(the three fields are then 0: use WAIT or the out-fence).
 * @result:	out (ABI 1.1): with @retired, as rm_npu_wait.result.
 * @result_index: out (ABI 1.1): with @retired, as rm_npu_wait.error_index;
 *		else RM_NPU_NO_INDEX.
 * @pad2:	in: must be 0; out: 0.
 * @duration_ns: out (ABI 1.1): with @retired, as rm_npu_wait.duration_ns.
 *
 * Every command is validated (opcode allowed by the firmware, buffer
 * indexes, full strided extents inside their buffers, dimension limits,
 * overflow-safe) before any of the job runs. Jobs of one file complete in
 * submission order. The job holds references on its buffers until it
 * retires. Small jobs on an idle PE run in the calling thread, so they
 * have often retired when the call returns.
 *
 * RM_NPU_SUBMIT_WAIT (ABI 1.1) makes the call return only once the job
 * retired: a submit and a WAIT in one call, with the status in @retired,
 * @result, @result_index and @duration_ns. The job then runs in the calling
 * thread whenever its PE is idle, whatever its size (a fatal signal
 * cancels it there, with -ECANCELED, as closing the file would). A signal
 * ends the wait early: the call still succeeds, with @retired 0, and the
 * job goes on (follow it with WAIT). A caller built with the 1.0 struct
 * may pass the flag; it reads the status with WAIT.
 *
 * Errors: EINVAL (bad command: see @error_index; bad counts, flags,
 * @cmd_size, @pad, @pad2; a handle listed twice; @in_fence_fd not a
 * sync_file), E2BIG (nonzero bytes past a command this kernel knows),
 * ENOENT (unknown handle in @bo_handles), EAGAIN (the file would pass
 * rm_npu_info's max_inflight_jobs, _cmds or _ops: 1024 jobs, 65536
 * commands, 2^40 operations in flight), ENOMEM, EMFILE (no free
 * descriptor for the out-fence; nothing queued). EFAULT on the copy back
 * means the job may have been queued (its out-fence is then not
 * installed).
 */
struct rm_npu_submit {
	__u64 cmds;
	__u64 bo_handles;
	__u32 num_cmds;
	__u32 num_bos;
	__u32 flags;
	__s32 in_fence_fd;
	__s32 out_fence_fd;
	__u32 error_index;
	__u64 job_id;
	__u32 cmd_size;
	__u32 pad;
	/* ABI 1.1 */
	__u32 retired;
	__s32 result;
	__u32 result_index;
	__u32 pad2;
	__u64 duration_ns;
};

/* Size of struct rm_npu_submit in ABI 1.0, the first published one. */
#define RM_NPU_SUBMIT_SIZE_VER0		56

#define RM_NPU_BATCH_FLAGS		0

/**
 * struct rm_npu_submit_batch - RM_NPU_IOCTL_SUBMIT_BATCH (ABI 1.1): queue
 *		several jobs on this node in one call
 * @jobs:	in: user pointer to @num_jobs struct rm_npu_submit, @job_size
 *		bytes apart; each is read and written back as one SUBMIT
 *		argument of @job_size bytes would be (same fields, same size
 *		rules: a tail past the kernel's struct must be zero, E2BIG).
 * @num_jobs:	in: 1..rm_npu_info.max_batch_jobs.
 * @job_size:	in: sizeof(struct rm_npu_submit) the caller was built with:
 *		a multiple of 8 from RM_NPU_SUBMIT_SIZE_VER0 to 4096.
 * @flags:	in: must be 0 (RM_NPU_BATCH_FLAGS).
 * @error_job:	out: on failure, the index in @jobs of the job that failed
 *		the call (unreadable, E2BIG tail, or refused as SUBMIT
 *		would refuse it); RM_NPU_NO_INDEX when no single job did
 *		(bad header, EAGAIN). Written back even when the ioctl
 *		fails.
 *
 * All or nothing: every job is copied, looked up and validated, and every
 * out-fence descriptor reserved, before any is queued; on an error nothing
 * is queued and only @error_job and, for a job refused as SUBMIT would
 * refuse it, that job's @error_index (its command at fault, else
 * RM_NPU_NO_INDEX) are written back. On success the jobs are queued in array order (consecutive
 * ids, completing in that order) and every job's out fields are written
 * back, as SUBMIT writes them: @job_id, @out_fence_fd, @error_index
 * (RM_NPU_NO_INDEX), and with a 1.1 @job_size the status of the jobs that
 * retired before the call returned. A job with RM_NPU_SUBMIT_WAIT makes
 * the call wait for it, and so for every job before it.
 *
 * Errors: as SUBMIT, per job (@error_job says which), and EINVAL (@flags,
 * @num_jobs, @job_size), E2BIG (a job's tail, @error_job), EAGAIN (the
 * whole batch does not fit the in-flight caps: nothing queued; retry after
 * jobs retire), EFAULT (a job unreadable, @error_job; or a job's copy back
 * failed: every job is queued and only the out-fences of the jobs written
 * back whole are installed).
 */
struct rm_npu_submit_batch {
	__u64 jobs;
	__u32 num_jobs;
	__u32 job_size;
	__u32 flags;
	__u32 error_job;
};

#define RM_NPU_SUBMIT_BATCH_SIZE_VER0	24

/* @timeout_ns is a CLOCK_MONOTONIC time, not a duration (ABI 1.2). */
#define RM_NPU_WAIT_ABSOLUTE		(1u << 0)
#define RM_NPU_WAIT_FLAGS		RM_NPU_WAIT_ABSOLUTE

/**
 * struct rm_npu_wait - RM_NPU_IOCTL_WAIT: wait for a job and read its status
 * @job_id:	in: id returned by SUBMIT on this file.
 * @timeout_ns:	in: relative timeout; 0 polls; negative waits forever.
 *		With RM_NPU_WAIT_ABSOLUTE, the CLOCK_MONOTONIC time
 *		(clock_gettime(2)) to wait until; a time already past polls.
 *		out: after EINTR, a relative timeout is the time that was
 *		left (so a retry waits only the rest); else unchanged.
 * @flags:	in: RM_NPU_WAIT_*.
 * @result:	out: 0 when the job succeeded, else its negative errno:
 *		-ETIMEDOUT (ran past job_timeout_ms: cancelled, PE reset),
 *		-EINVAL (a command met invalid data while running, e.g. a
 *		per-channel requantization pair out of range), -ECANCELED
 *		(cancelled because its file was closed: seen as the
 *		out-fence's error). An in-fence that signals with an error
 *		does not cancel the job: it runs once the fence signals.
 * @error_index: out: the failing (or timed-out) command's index, or
 *		RM_NPU_NO_INDEX.
 * @pad:	in: must be 0; out: 0.
 * @duration_ns: out: time the job spent executing on its PE(s).
 *
 * Returns 0 once the job retired (its status is in @result), ETIMEDOUT if
 * it did not retire in time (jiffy resolution, never early), ENOENT for an
 * id this file never issued, ENODATA for a job older than the file's last
 * 1024 jobs (status is kept for those only: use fences to follow more).
 * A signal interrupts the wait: the call restarts by itself when the
 * handler has SA_RESTART (ABI 1.2: the time already waited counts), else
 * fails with EINTR. The struct is written back even when the call fails.
 */
struct rm_npu_wait {
	__u64 job_id;
	__s64 timeout_ns;
	__u32 flags;
	__s32 result;
	__u32 error_index;
	__u32 pad;
	__u64 duration_ns;
};

#define RM_NPU_WAIT_SIZE_VER0		40

/* --- Command stream -------------------------------------------------- */

/*
 * Opcodes. The loaded firmware's capability bits (rm_npu_info.fw_caps) say
 * which a device accepts: RM_NPU_CAP(op). The exact arithmetic of each
 * command is specified in uapi/rm_npu_commands.md; that text is the
 * contract shared by the PE engines, the CPU backend and the compiler.
 */
#define RM_NPU_OP_NOP			0
#define RM_NPU_OP_FILL			1
#define RM_NPU_OP_COPY			2
#define RM_NPU_OP_GEMM			3
#define RM_NPU_OP_CONV2D		4
#define RM_NPU_OP_POOL2D		5
#define RM_NPU_OP_ELTWISE		6
#define RM_NPU_OP_LUT			7
#define RM_NPU_OP_COUNT			8

#define RM_NPU_CAP(op)			(1ULL << (op))
/*
 * Feature bits of the capability word, above the opcode bits.
 * RM_NPU_CAP_F32_RESCALE: the binary32 rescale modes (RM_NPU_MM_F32_SCALE,
 * RM_NPU_ELT_F32*); commands using them are refused (EINVAL) without it.
 */
#define RM_NPU_CAP_F32_RESCALE		(1ULL << 8)
#define RM_NPU_CMDSET_VERSION		1

/* Element types. */
#define RM_NPU_DT_INT8			1
#define RM_NPU_DT_UINT8			2
#define RM_NPU_DT_INT32			3

/* Limits, checked by validation (EINVAL). */
#define RM_NPU_MAX_DIM			65536	/* any single dimension */
#define RM_NPU_MAX_GEMM_K		32768	/* keeps sums inside int32 */
#define RM_NPU_MAX_KERNEL		64	/* conv/pool window side */
#define RM_NPU_COPY_DIMS		4

/**
 * struct rm_npu_ref - where an operand lives
 * @bo:		index into the job's buffer handle list.
 * @pad:	must be 0.
 * @offset:	byte offset of the operand's first element in the buffer.
 */
struct rm_npu_ref {
	__u32 bo;
	__u32 pad;
	__u64 offset;
};

/**
 * struct rm_npu_requant - int32 accumulator to int8/uint8 output
 * @mult:	Q31 multiplier, 0..2^31-1 (0 maps every value to
 *		@zero_point before the clamp).
 * @shift:	-31..30; scale = @mult * 2^(@shift - 31).
 * @zero_point: output zero point, inside the output type's range.
 * @act_min:	lower clamp (output domain), inside the output type's range.
 * @act_max:	upper clamp, @act_min..type max.
 */
struct rm_npu_requant {
	__s32 mult;
	__s32 shift;
	__s32 zero_point;
	__s32 act_min;
	__s32 act_max;
};

#define RM_NPU_FILL_FLAGS		0

/**
 * struct rm_npu_cmd_fill - set @count elements of @elem_size bytes to @value
 * @dst:	destination.
 * @count:	elements.
 * @elem_size:	1, 2 or 4; the low @elem_size bytes of @value, little endian.
 * @value:	fill value; bits above the low @elem_size bytes must be 0.
 */
struct rm_npu_cmd_fill {
	struct rm_npu_ref dst;
	__u64 count;
	__u32 elem_size;
	__u32 value;
};

/**
 * struct rm_npu_cmd_copy - strided copy of up to four dimensions
 * @src:	source.
 * @dst:	destination; a copy whose source and destination extents
 *		overlap in one buffer is rejected.
 * @dims:	elements per dimension, outermost first; unused dims are 1.
 * @src_stride:	bytes between consecutive indexes of each dimension.
 * @dst_stride:	same for the destination.
 * @elem_size:	bytes per element, 1..256.
 * @pad:	must be 0.
 */
struct rm_npu_cmd_copy {
	struct rm_npu_ref src;
	struct rm_npu_ref dst;
	__u32 dims[RM_NPU_COPY_DIMS];
	__u64 src_stride[RM_NPU_COPY_DIMS];
	__u64 dst_stride[RM_NPU_COPY_DIMS];
	__u32 elem_size;
	__u32 pad;
};

/* GEMM and CONV2D flags. */
#define RM_NPU_MM_BIAS			(1u << 0)	/* add int32 @bias[n] */
#define RM_NPU_MM_PER_CHANNEL		(1u << 1)	/* @quant: n x {mult, shift} */
/*
 * RM_NPU_MM_F32_SCALE: the scale is a binary32 s (its bit pattern in
 * @rq.mult, or in each per-channel pair's mult; the shifts must be 0):
 * q = clamp(RNE(fl32(fl32(x) * s)) + zero_point, act_min, act_max), s
 * positive and normal, 2^-100 <= s < 2^32 (rm_npu_commands.md 3.4).
 * Needs RM_NPU_CAP_F32_RESCALE; refused with INT32 output.
 */
#define RM_NPU_MM_F32_SCALE		(1u << 2)
#define RM_NPU_MM_FLAGS			(RM_NPU_MM_BIAS | RM_NPU_MM_PER_CHANNEL | \
					 RM_NPU_MM_F32_SCALE)

/**
 * struct rm_npu_cmd_gemm - out[m][n] = epilogue(sum_k A[m][k] * B[k][n])
 * @a:		A, @m x @k, row-major, @a_dtype (INT8 or UINT8).
 * @b:		B, @k x @n, row-major, INT8.
 * @bias:	int32[@n], with RM_NPU_MM_BIAS.
 * @quant:	with RM_NPU_MM_PER_CHANNEL: @n pairs of __s32 {mult, shift}
 *		replacing @rq.mult and @rq.shift per output column.
 * @out:	@m x @n, row-major, @out_dtype (INT8, UINT8 or INT32 raw).
 * @m, @n, @k:	dimensions, 1..RM_NPU_MAX_DIM (@k..RM_NPU_MAX_GEMM_K).
 * @lda, @ldb, @ldo: row strides in elements (>= @k, @n, @n).
 * @a_dtype, @out_dtype: RM_NPU_DT_*.
 * @a_zero_point: zero point of A, inside its type's range.
 * @b_zero_point: zero point of B, -128..127.
 * @rq:		requantization (ignored for INT32 output but must be 0;
 *		RM_NPU_MM_PER_CHANNEL is refused with INT32 output).
 */
struct rm_npu_cmd_gemm {
	struct rm_npu_ref a;
	struct rm_npu_ref b;
	struct rm_npu_ref bias;
	struct rm_npu_ref quant;
	struct rm_npu_ref out;
	__u32 m;
	__u32 n;
	__u32 k;
	__u32 lda;
	__u32 ldb;
	__u32 ldo;
	__u32 a_dtype;
	__u32 out_dtype;
	__s32 a_zero_point;
	__s32 b_zero_point;
	struct rm_npu_requant rq;
	__u32 pad;
};

/**
 * struct rm_npu_cmd_conv2d - NHWC convolution with the GEMM epilogue
 * @in:		[@batch][@in_h][@in_w][@in_c], dense, @in_dtype.
 * @weights:	[@out_c][@k_h][@k_w][@in_c / @groups], dense, INT8.
 * @bias:	int32[@out_c], with RM_NPU_MM_BIAS.
 * @quant:	per-channel {mult, shift} pairs, with RM_NPU_MM_PER_CHANNEL.
 * @out:	[@batch][@out_h][@out_w][@out_c], dense, @out_dtype.
 * @batch, @in_h, @in_w, @in_c, @out_h, @out_w, @out_c: dimensions; @out_h
 *		and @out_w must equal the values the geometry implies.
 * @k_h, @k_w:	kernel size, 1..RM_NPU_MAX_KERNEL.
 * @stride_h, @stride_w: 1..RM_NPU_MAX_KERNEL.
 * @dil_h, @dil_w: dilation, 1..RM_NPU_MAX_KERNEL.
 * @pad_top, @pad_left, @pad_bottom, @pad_right: implicit padding with the
 *		input zero point, 0..RM_NPU_MAX_KERNEL.
 * @groups:	divides @in_c and @out_c (@groups == @in_c: depthwise);
 *		@k_h * @k_w * @in_c / @groups <= RM_NPU_MAX_GEMM_K.
 * @in_dtype, @out_dtype, @in_zero_point, @w_zero_point, @rq: as GEMM.
 */
struct rm_npu_cmd_conv2d {
	struct rm_npu_ref in;
	struct rm_npu_ref weights;
	struct rm_npu_ref bias;
	struct rm_npu_ref quant;
	struct rm_npu_ref out;
	__u32 batch;
	__u32 in_h;
	__u32 in_w;
	__u32 in_c;
	__u32 out_h;
	__u32 out_w;
	__u32 out_c;
	__u32 k_h;
	__u32 k_w;
	__u32 stride_h;
	__u32 stride_w;
	__u32 dil_h;
	__u32 dil_w;
	__u32 pad_top;
	__u32 pad_left;
	__u32 pad_bottom;
	__u32 pad_right;
	__u32 groups;
	__u32 in_dtype;
	__u32 out_dtype;
	__s32 in_zero_point;
	__s32 w_zero_point;
	struct rm_npu_requant rq;
	__u32 pad;
};

#define RM_NPU_POOL_MAX			0
#define RM_NPU_POOL_AVG			1
#define RM_NPU_POOL_COUNT_PAD		(1u << 0)	/* avg divides by k_h*k_w */
#define RM_NPU_POOL_FLAGS		RM_NPU_POOL_COUNT_PAD

/**
 * struct rm_npu_cmd_pool2d - NHWC max or average pooling, same type in/out
 * @in:		[@batch][@in_h][@in_w][@c], dense, @dtype (INT8 or UINT8).
 * @out:	[@batch][@out_h][@out_w][@c], dense, @dtype.
 * @mode:	RM_NPU_POOL_MAX or RM_NPU_POOL_AVG.
 * @batch, @in_h, @in_w, @c, @out_h, @out_w, @k_h, @k_w, @stride_h,
 * @stride_w, @pad_top, @pad_left, @pad_bottom, @pad_right: as CONV2D,
 *		but each padding must be smaller than the window side on its
 *		axis (so every window covers at least one real element).
 * @dtype:	RM_NPU_DT_INT8 or RM_NPU_DT_UINT8.
 * @zero_point: value padded positions take when RM_NPU_POOL_COUNT_PAD
 *		averages them in; inside the type's range; 0 for MAX.
 * @act_min, @act_max: output clamp inside the type's range.
 * @pad:	must be 0.
 */
struct rm_npu_cmd_pool2d {
	struct rm_npu_ref in;
	struct rm_npu_ref out;
	__u32 mode;
	__u32 batch;
	__u32 in_h;
	__u32 in_w;
	__u32 c;
	__u32 out_h;
	__u32 out_w;
	__u32 k_h;
	__u32 k_w;
	__u32 stride_h;
	__u32 stride_w;
	__u32 pad_top;
	__u32 pad_left;
	__u32 pad_bottom;
	__u32 pad_right;
	__u32 dtype;
	__s32 zero_point;
	__s32 act_min;
	__s32 act_max;
	__u32 pad;
};

#define RM_NPU_ELT_ADD			0
#define RM_NPU_ELT_SUB			1
#define RM_NPU_ELT_MUL			2

/*
 * ELTWISE flags (rm_npu_commands.md 6.1), all needing
 * RM_NPU_CAP_F32_RESCALE:
 * RM_NPU_ELT_F32: binary32 arithmetic as onnxruntime's QLinearAdd and
 *	QLinearMul (ADD and MUL only). ADD: @a.mult, @b.mult and @rq.mult
 *	hold the bits of Sa, Sb and F; y = fma32(a, Sa, fma32(b, Sb, F)).
 *	MUL: @rq.mult holds the bits of S; y = fl32(fl32(fl32(v) * S) +
 *	@rq.zero_point), v = (a - za)(b - zb).
 * RM_NPU_ELT_F32_SCALAR_A, RM_NPU_ELT_F32_SCALAR_B: with RM_NPU_ELT_F32
 *	and ADD, one of them at most: the other input's product is rounded
 *	before F is added (onnxruntime's scalar-operand kernel):
 *	SCALAR_B: y = fma32(a, Sa, fl32(F + fl32(b * Sb))).
 */
#define RM_NPU_ELT_F32			(1u << 0)
#define RM_NPU_ELT_F32_SCALAR_A		(1u << 1)
#define RM_NPU_ELT_F32_SCALAR_B		(1u << 2)
#define RM_NPU_ELT_FLAGS		(RM_NPU_ELT_F32 | RM_NPU_ELT_F32_SCALAR_A | \
					 RM_NPU_ELT_F32_SCALAR_B)

/**
 * struct rm_npu_elt_input - one ELTWISE input
 * @ref:	first element.
 * @row_stride: elements between rows (0 broadcasts one row to all).
 * @col_stride: elements between columns (0 broadcasts one column).
 * @zero_point: inside the input type's range; 0 for ADD with
 *		RM_NPU_ELT_F32 (F holds the zero points).
 * @mult, @shift: input rescale for ADD/SUB (see rm_npu_commands.md),
 *		@mult 0..2^31-1, @shift -31..0; both must be 0 for MUL.
 *		ADD with RM_NPU_ELT_F32: @mult is the bits of the binary32
 *		scale (positive normal, 2^-100..2^32), @shift 0.
 * @pad:	must be 0.
 */
struct rm_npu_elt_input {
	struct rm_npu_ref ref;
	__u32 row_stride;
	__u32 col_stride;
	__s32 zero_point;
	__s32 mult;
	__s32 shift;
	__u32 pad;
};

/**
 * struct rm_npu_cmd_eltwise - out = clamp(requant(a OP b)) over a 2-D grid
 * @a, @b:	inputs, @dtype.
 * @out:	@rows x @cols, row stride @out_row_stride elements, @dtype.
 * @op:		RM_NPU_ELT_*.
 * @dtype:	RM_NPU_DT_INT8 or RM_NPU_DT_UINT8 (inputs and output).
 * @rows, @cols: grid, 1..RM_NPU_MAX_DIM each.
 * @out_row_stride: >= @cols.
 * @rq:		output requantization and clamp. With RM_NPU_ELT_F32:
 *		@rq.mult is the bits of F (ADD; finite, |F| <= 2^24,
 *		either sign) or of S (MUL; positive normal, 2^-100..2^32),
 *		@rq.shift 0.
 */
struct rm_npu_cmd_eltwise {
	struct rm_npu_elt_input a;
	struct rm_npu_elt_input b;
	struct rm_npu_ref out;
	__u32 op;
	__u32 dtype;
	__u32 rows;
	__u32 cols;
	__u32 out_row_stride;
	__u32 pad;
	struct rm_npu_requant rq;
	__u32 pad2;
};

/**
 * struct rm_npu_cmd_lut - out[i] = table[index(in[i])]
 * @in:		@count elements of @dtype.
 * @table:	256 bytes; entry j is the output byte for index j.
 * @out:	@count bytes.
 * @count:	elements.
 * @dtype:	RM_NPU_DT_UINT8 (index = value) or RM_NPU_DT_INT8 (index =
 *		value + 128).
 * @pad:	must be 0.
 */
struct rm_npu_cmd_lut {
	struct rm_npu_ref in;
	struct rm_npu_ref table;
	struct rm_npu_ref out;
	__u64 count;
	__u32 dtype;
	__u32 pad;
};

#define RM_NPU_CMD_SIZE			256
/* Size of struct rm_npu_cmd in ABI 1.0; commands may grow up to the max. */
#define RM_NPU_CMD_SIZE_VER0		256
#define RM_NPU_MAX_CMD_SIZE		1024

/**
 * struct rm_npu_cmd - one command of a job's stream (RM_NPU_CMD_SIZE bytes)
 * @opcode:	RM_NPU_OP_*.
 * @flags:	per-opcode flags (RM_NPU_MM_*, RM_NPU_POOL_*, RM_NPU_ELT_*);
 *		0 elsewhere.
 * @fill, @copy, @gemm, @conv2d, @pool2d, @eltwise, @lut: parameters; the
 *		bytes past the opcode's struct must be zero. NOP takes none.
 */
struct rm_npu_cmd {
	__u32 opcode;
	__u32 flags;
	union {
		struct rm_npu_cmd_fill fill;
		struct rm_npu_cmd_copy copy;
		struct rm_npu_cmd_gemm gemm;
		struct rm_npu_cmd_conv2d conv2d;
		struct rm_npu_cmd_pool2d pool2d;
		struct rm_npu_cmd_eltwise eltwise;
		struct rm_npu_cmd_lut lut;
		__u8 raw[RM_NPU_CMD_SIZE - 8];
	};
};

/* --- ioctl numbers --------------------------------------------------- */

#define RM_NPU_IOCTL_BASE		0xB8

#define RM_NPU_IOCTL_GET_INFO	_IOWR(RM_NPU_IOCTL_BASE, 0x00, struct rm_npu_info)
#define RM_NPU_IOCTL_BO_CREATE	_IOWR(RM_NPU_IOCTL_BASE, 0x01, struct rm_npu_bo_create)
#define RM_NPU_IOCTL_BO_INFO	_IOWR(RM_NPU_IOCTL_BASE, 0x02, struct rm_npu_bo_info)
#define RM_NPU_IOCTL_BO_MMAP	_IOWR(RM_NPU_IOCTL_BASE, 0x03, struct rm_npu_bo_mmap)
#define RM_NPU_IOCTL_BO_CLOSE	_IOW(RM_NPU_IOCTL_BASE, 0x04, struct rm_npu_bo_close)
#define RM_NPU_IOCTL_SUBMIT	_IOWR(RM_NPU_IOCTL_BASE, 0x05, struct rm_npu_submit)
#define RM_NPU_IOCTL_WAIT	_IOWR(RM_NPU_IOCTL_BASE, 0x06, struct rm_npu_wait)
#define RM_NPU_IOCTL_SUBMIT_BATCH _IOWR(RM_NPU_IOCTL_BASE, 0x07, struct rm_npu_submit_batch)

#endif /* _UAPI_RM_NPU_H */
