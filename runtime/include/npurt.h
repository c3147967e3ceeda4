/* SPDX-License-Identifier: MIT */
/*
 * npurt.h - libnpurt, the userspace runtime of the rm_npu NPU stack.
 *
 * One program runs on whatever NPU processing elements (PEs) a device spec
 * names, or on the CPU, with bit-identical results. Objects:
 *
 *   npurt_runtime   the devices a spec selected ("warboy(2)*1", "cpu(4)")
 *   npurt_device    one execution device: an NPU PE, a fused PE pair, or
 *                   the CPU with N threads
 *   npurt_program   a compiled program (.npuprog): tensors, weights,
 *                   logical buffer slots, a command stream over the slots
 *   npurt_model     a program seen through its input/output tensors
 *   npurt_tensor_desc  name, dtype, shape, layout, quantization of a tensor
 *   npurt_tensor    memory holding one tensor (host, device, or wrapped)
 *   npurt_runner    synchronous inference, thread-safe, spread over devices
 *   npurt_queue     asynchronous inference: submit / recv with contexts
 *   npurt_cancel    a token that cancels the runs it is given to
 *
 * Conventions:
 * - Functions returning int return 0 (or a non-negative count) on success
 *   and a negative errno value on failure: `if (ret < 0)` is the only check.
 *   npurt_strerror(ret) names the error; npurt_last_error() gives the detail
 *   message of the latest failure on the calling thread.
 * - Handles are opaque. Every *_destroy() accepts NULL.
 * - Option structs have reserved fields that must be zero (-EINVAL), so
 *   they can grow without breaking binaries.
 * - Errors listed for a function are the ones it produces itself; -ENOMEM
 *   is possible wherever memory is allocated and is not listed.
 *
 * Environment: NPU_DEVICES (default device spec), NPU_LOG_LEVEL (INFO,
 * WARN, ERROR, OFF; default WARN), NPU_PROFILE (path of a Chrome trace
 * written when the runtime is destroyed).
 */
#ifndef NPURT_H
#define NPURT_H

#include <stddef.h>
#include <stdint.h>

/* The kernel ABI: command structs (struct rm_npu_cmd) for the builder. */
#include "rm_npu.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NPURT_BUILD) && defined(__GNUC__)
#define NPURT_API __attribute__((visibility("default")))
#else
#define NPURT_API
#endif

#define NPURT_VERSION_MAJOR	1
#define NPURT_VERSION_MINOR	4
#define NPURT_VERSION_PATCH	0
#define NPURT_VERSION_CODE \
	((NPURT_VERSION_MAJOR << 16) | (NPURT_VERSION_MINOR << 8) | \
	 NPURT_VERSION_PATCH)

#define NPURT_MAX_DIMS		8	/* tensor rank limit */
#define NPURT_NAME_MAX		128	/* tensor/program names, with the NUL */

typedef struct npurt_runtime npurt_runtime;
typedef struct npurt_device npurt_device;
typedef struct npurt_tensor_desc npurt_tensor_desc;
typedef struct npurt_tensor npurt_tensor;
typedef struct npurt_program npurt_program;
typedef struct npurt_program_builder npurt_program_builder;
typedef struct npurt_model npurt_model;
typedef struct npurt_runner npurt_runner;
typedef struct npurt_queue npurt_queue;
typedef struct npurt_cancel npurt_cancel;

/* ====================================================================== */
/* Errors, version, logging                                               */
/* ====================================================================== */

/*
 * Error codes with a library-specific meaning (npurt_strerror() says so):
 *   -EINVAL    bad argument; device spec syntax error (position in the
 *              detail message and from npurt_spec_check())
 *   -ENODEV    no such device / node / architecture present at all
 *   -EBUSY     a node the spec names is held by another process
 *   -EXDEV     architecture mismatch: NPUs exist, none of the asked arch
 *   -ENOSPC    fewer free devices than the spec asks for
 *   -EBADMSG   malformed program file
 *   -EOPNOTSUPP a device's firmware lacks an opcode the program uses
 *   -EPIPE     queue: submit side closed / end of stream
 *   -ECANCELED queue: receive side closed; a run cancelled (npurt_cancel)
 *   -ETIMEDOUT queue: nothing to receive in time; a run past its timeout
 */

/**
 * npurt_strerror() - describe an error code
 * @err: a negative (or positive) errno value returned by this library.
 *
 * Return: a static string; never NULL.
 */
NPURT_API const char *npurt_strerror(int err);

/**
 * npurt_last_error() - detail message of the latest failure on this thread
 *
 * Every failing call stores a sentence naming what failed and why (file
 * names, positions, device names). Successful calls leave it unchanged.
 *
 * Return: a thread-local string ("" if nothing failed yet), valid until the
 * next failing call on the same thread.
 */
NPURT_API const char *npurt_last_error(void);

/** npurt_version() - NPURT_VERSION_CODE of the library actually loaded. */
NPURT_API unsigned int npurt_version(void);

/** npurt_version_string() - "MAJOR.MINOR.PATCH" of the loaded library. */
NPURT_API const char *npurt_version_string(void);

/**
 * npurt_version_full() - runtime, driver ABI and firmware versions
 * @rt:  a runtime whose NPU devices are described, or NULL for the first
 *       NPU found in sysfs (if any).
 * @buf: destination, NUL-terminated (truncated to @len).
 * @len: size of @buf.
 *
 * Example: "libnpurt 1.4.0 (uapi 1.0); npu0: driver abi 1.0, firmware
 * 1.0.0 (warboy)" or "libnpurt 1.4.0 (uapi 1.0); no NPU".
 *
 * Return: the length of the full string (as snprintf), or -EINVAL.
 */
NPURT_API int npurt_version_full(const npurt_runtime *rt, char *buf,
				 size_t len);

enum npurt_log_level {
	NPURT_LOG_INFO = 0,
	NPURT_LOG_WARN = 1,
	NPURT_LOG_ERROR = 2,
	NPURT_LOG_OFF = 3,
};

/**
 * npurt_log_set_level() - messages below @level are not printed (stderr)
 *
 * Overrides NPU_LOG_LEVEL. Return: 0, or -EINVAL for an unknown level.
 */
NPURT_API int npurt_log_set_level(enum npurt_log_level level);

/** npurt_log_get_level() - the current threshold. */
NPURT_API enum npurt_log_level npurt_log_get_level(void);

/* ====================================================================== */
/* Device specs and discovery                                             */
/* ====================================================================== */

/*
 * Device spec grammar (blanks allowed around list items):
 *
 *   spec  := "auto" | item ("," item)*
 *   item  := ARCH ["(" X ")"] ["*" Y]   Y devices of X fused PEs (X 1|2,
 *                                        default 1; Y >= 1, default 1),
 *                                        allocated greedily in device order
 *          | "npu:" D ":" P ["-" Q]     PE P (or fused P-Q) of NPU D
 *          | "npu" D "pe" P ["-" Q]     the same, as the node name
 *          | "cpu" ["(" N ")"]          the CPU with N threads (default:
 *                                        online CPUs), 1 <= N <= 1024
 *   ARCH  := [a-z][a-z0-9_]*  ("warboy")
 *
 * "auto" takes every free NPU PE (as single PEs) and falls back to the CPU
 * when there is none, saying so at WARN (the default level): no NPU
 * present, or every PE held by other processes (since 1.2; INFO before).
 */

/**
 * npurt_spec_check() - check the syntax of a device spec, open nothing
 * @spec:    the spec.
 * @err_pos: if not NULL, receives the 0-based position of the first error.
 *
 * Return: 0, or -EINVAL (syntax error; position also in the detail
 * message).
 */
NPURT_API int npurt_spec_check(const char *spec, size_t *err_pos);

/* One NPU as sysfs describes it (/sys/class/npu/npuX). */
struct npurt_npu_info {
	uint32_t index;			/* X of npuX */
	uint32_t num_pes;
	char arch[16];
	char fw_state[16];		/* "ready", "missing", "invalid" */
	char fw_version[16];		/* "none" unless ready */
	char abi_version[16];		/* driver ABI "MAJOR.MINOR" */
	char uuid[40];
	uint64_t fw_caps;
	uint64_t mem_total;		/* bytes */
	uint64_t mem_used;		/* bytes */
	uint32_t bo_count;
	int32_t numa_node;		/* -1: none */
	uint32_t reserved[8];
};

/* One PE node or fused node (/sys/class/npu/npuXpeY[-Z]). */
struct npurt_node_info {
	char name[32];			/* "npu0pe0", "npu0pe0-1" */
	char devnode[48];		/* "/dev/npu0pe0" */
	uint32_t dev_index;
	uint32_t pe_first;
	uint32_t pe_count;		/* 1 or 2 */
	int32_t owner_pid;		/* 0: not open */
	char state[16];			/* "free", "open", "unavailable" */
	/* Telemetry of single-PE nodes (0 for fused nodes). */
	uint64_t busy_ns;
	uint64_t jobs_completed;
	uint64_t jobs_failed;
	uint64_t bytes_moved;
	uint64_t ops;
	uint32_t reserved[8];
};

/**
 * npurt_discover() - list the NPUs present (through libudev and sysfs)
 * @devs:  array of @max entries filled in index order (may be NULL if
 *         @max is 0).
 * @max:   capacity of @devs.
 * @count: receives the number of NPUs present (may exceed @max).
 *
 * Return: 0 (no NPU is not an error: *@count is 0), -EINVAL, -EIO (udev).
 */
NPURT_API int npurt_discover(struct npurt_npu_info *devs, size_t max,
			     size_t *count);

/**
 * npurt_discover_nodes() - list the PE and fused nodes of NPU @dev_index
 *
 * Nodes are ordered single PEs first (by PE), then fused pairs.
 * Return: 0, -EINVAL, -ENODEV (no such NPU), -EIO.
 */
NPURT_API int npurt_discover_nodes(unsigned int dev_index,
				   struct npurt_node_info *nodes, size_t max,
				   size_t *count);

/* ====================================================================== */
/* Runtime and devices                                                    */
/* ====================================================================== */

/**
 * npurt_runtime_create() - open the devices a spec names
 * @spec: device spec; NULL means $NPU_DEVICES, or "auto" when unset.
 * @out:  receives the runtime.
 *
 * PE nodes are opened exclusively and stay held until
 * npurt_runtime_destroy(). Starts the profiler when NPU_PROFILE is set.
 *
 * Return: 0; -EINVAL (syntax error), -ENODEV (no such device, or firmware
 * not ready), -EBUSY (a named node is held), -EXDEV (arch mismatch),
 * -ENOSPC (fewer free devices than asked), -EPROTO (driver ABI major or
 * command size differs from this library's).
 */
NPURT_API int npurt_runtime_create(const char *spec, npurt_runtime **out);

/** npurt_runtime_destroy() - close the devices; tensors, runners and
 * queues of the runtime must already be destroyed. */
NPURT_API void npurt_runtime_destroy(npurt_runtime *rt);

/** npurt_runtime_spec() - the spec the runtime was created from. */
NPURT_API const char *npurt_runtime_spec(const npurt_runtime *rt);

/** npurt_runtime_device_count() - devices selected by the spec. */
NPURT_API unsigned int npurt_runtime_device_count(const npurt_runtime *rt);

/** npurt_runtime_device() - device @index, or NULL when out of range. */
NPURT_API npurt_device *npurt_runtime_device(const npurt_runtime *rt,
					     unsigned int index);

enum npurt_device_kind {
	NPURT_DEVICE_NPU = 1,
	NPURT_DEVICE_CPU = 2,
	NPURT_DEVICE_GPU = 3,		/* since 1.3: "cuda:N" */
};

struct npurt_device_info {
	uint32_t kind;			/* enum npurt_device_kind */
	char name[32];			/* "npu0pe0-1", "cpu(4)" */
	char arch[16];			/* "warboy", "cpu" */
	uint32_t dev_index;		/* NPU: X of npuX; CPU: 0 */
	uint32_t pe_first;		/* NPU only */
	uint32_t pe_count;		/* NPU: 1 or 2; CPU: 0 */
	uint32_t threads;		/* CPU: worker threads; NPU: 0 */
	int32_t numa_node;		/* -1 when unknown */
	uint32_t abi_version;		/* NPU: RM_NPU_ABI_VERSION of driver */
	uint32_t fw_version;		/* NPU: (maj << 16)|(min << 8)|patch */
	char fw_version_str[16];
	uint64_t fw_caps;		/* RM_NPU_CAP bits (CPU: all) */
	uint64_t mem_total;		/* NPU: bytes of device memory */
	uint32_t reserved[8];
};

/** npurt_device_get_info() - facts about a device. Return: 0, -EINVAL. */
NPURT_API int npurt_device_get_info(const npurt_device *dev,
				    struct npurt_device_info *info);

/** npurt_device_name() - "npu0pe0", "npu0pe0-1", "cpu(4)", "cuda:0". */
NPURT_API const char *npurt_device_name(const npurt_device *dev);

/* A CUDA GPU as the driver reports it (since 1.3). */
struct npurt_gpu_info {
	uint32_t index;			/* N of "cuda:N" */
	char name[96];			/* "NVIDIA H200" */
	uint64_t mem_total;		/* bytes of device memory */
	uint32_t cc_major;		/* compute capability */
	uint32_t cc_minor;
	uint32_t multiprocessors;
	uint32_t driver_version;	/* CUDA driver API version (13000) */
	uint32_t reserved[8];
};

/**
 * npurt_gpu_list() - the CUDA GPUs "cuda:N" can name (since 1.3)
 * @gpus:  receives up to @max entries (may be NULL when @max is 0).
 * @count: receives the number of GPUs present (may exceed @max).
 *
 * The driver (libcuda.so.1) is loaded at run time; without it, or
 * without a GPU, *@count is 0 and npurt_last_error() says why.
 *
 * Return: 0, -EINVAL.
 */
NPURT_API int npurt_gpu_list(struct npurt_gpu_info *gpus, size_t max,
			     size_t *count);

/* ====================================================================== */
/* Data types and tensor descriptions                                     */
/* ====================================================================== */

enum npurt_dtype {
	NPURT_DTYPE_FLOAT16 = 1,
	NPURT_DTYPE_FLOAT32 = 2,
	NPURT_DTYPE_BFLOAT16 = 3,
	NPURT_DTYPE_INT8 = 4,
	NPURT_DTYPE_INT16 = 5,
	NPURT_DTYPE_INT32 = 6,
	NPURT_DTYPE_INT64 = 7,
	NPURT_DTYPE_UINT8 = 8,
};

/** npurt_dtype_name() - "INT8", ...; "UNKNOWN" for an invalid value. */
NPURT_API const char *npurt_dtype_name(enum npurt_dtype dtype);

/** npurt_dtype_size() - bytes per element; 0 for an invalid value. */
NPURT_API size_t npurt_dtype_size(enum npurt_dtype dtype);

/*
 * What a tensor is, as given to npurt_tensor_desc_create() and to the
 * program builder. Tensors are dense and row-major: the last dimension is
 * contiguous.
 * @name:   NUL-terminated, 1..NPURT_NAME_MAX-1 bytes.
 * @dims:   @ndim dimensions (1..NPURT_MAX_DIMS), each >= 1, outermost
 *          first; size in bytes at most 2^48.
 * @layout: one upper-case letter per axis ("NCHW", "NHWC", "NC"), or NULL /
 *          "" when unknown. N, C, H, W, D, T, L name batch, channel, height,
 *          width, depth, time, length; other letters name themselves.
 * @scale, @zero_point: affine quantization (real = scale * (q - zp));
 *          scale 0 means not quantized.
 */
struct npurt_tensor_info {
	const char *name;
	uint32_t dtype;			/* enum npurt_dtype */
	uint32_t ndim;
	uint64_t dims[NPURT_MAX_DIMS];
	const char *layout;
	float scale;
	int32_t zero_point;
	uint32_t reserved[4];
};

/**
 * npurt_tensor_desc_create() - a standalone tensor description
 *
 * Return: 0, -EINVAL (bad name, dtype, rank, dims, size, layout length
 * not @ndim, reserved fields not zero).
 */
NPURT_API int npurt_tensor_desc_create(const struct npurt_tensor_info *info,
				       npurt_tensor_desc **out);

/** npurt_tensor_desc_destroy() - only for descs from _create(). */
NPURT_API void npurt_tensor_desc_destroy(npurt_tensor_desc *desc);

NPURT_API const char *npurt_tensor_desc_name(const npurt_tensor_desc *d);
NPURT_API enum npurt_dtype npurt_tensor_desc_dtype(const npurt_tensor_desc *d);
NPURT_API unsigned int npurt_tensor_desc_ndim(const npurt_tensor_desc *d);
/** npurt_tensor_desc_dim() - dimension @axis, 0 when out of range. */
NPURT_API uint64_t npurt_tensor_desc_dim(const npurt_tensor_desc *d,
					 unsigned int axis);
/** npurt_tensor_desc_shape() - the @ndim dimensions. */
NPURT_API const uint64_t *npurt_tensor_desc_shape(const npurt_tensor_desc *d);
/** npurt_tensor_desc_strides() - per-axis strides in items (elements). */
NPURT_API const uint64_t *
npurt_tensor_desc_strides(const npurt_tensor_desc *d);
/** npurt_tensor_desc_size() - bytes. */
NPURT_API uint64_t npurt_tensor_desc_size(const npurt_tensor_desc *d);
/** npurt_tensor_desc_elements() - element count. */
NPURT_API uint64_t npurt_tensor_desc_elements(const npurt_tensor_desc *d);
/** npurt_tensor_desc_layout() - "NCHW", or "" when unknown. */
NPURT_API const char *npurt_tensor_desc_layout(const npurt_tensor_desc *d);
/**
 * npurt_tensor_desc_axis_name() - "batch", "channel", "height", "width",
 * ... from the layout letter, "dim<i>" without a layout; NULL out of range.
 */
NPURT_API const char *npurt_tensor_desc_axis_name(const npurt_tensor_desc *d,
						  unsigned int axis);
NPURT_API float npurt_tensor_desc_scale(const npurt_tensor_desc *d);
NPURT_API int32_t npurt_tensor_desc_zero_point(const npurt_tensor_desc *d);

/* ====================================================================== */
/* Tensors                                                                */
/* ====================================================================== */

/**
 * npurt_tensor_alloc() - host memory for a tensor, zeroed
 * @rt:   the memory is placed on the NUMA node of the runtime's first
 *        device (libnuma), when known; may be NULL.
 * @desc: the tensor; copied.
 *
 * Return: 0, -EINVAL.
 */
NPURT_API int npurt_tensor_alloc(npurt_runtime *rt,
				 const npurt_tensor_desc *desc,
				 npurt_tensor **out);

/**
 * npurt_device_tensor_alloc() - a tensor in a device's memory, zeroed
 *
 * On an NPU the tensor lives in a buffer object mapped into the process
 * (sub-allocated: small tensors share one buffer object), and runs on that
 * device read and write it in place, without copies. On the CPU device it
 * is host memory on the device's NUMA node. On a GPU it is page-locked
 * host memory: runs copy it to and from their own device buffers by DMA,
 * and an input's QUANTIZE step runs on the GPU (no device memory is held
 * for the tensor). Must be destroyed before the runtime.
 *
 * Return: 0, -EINVAL, -ENOMEM (device memory exhausted).
 */
NPURT_API int npurt_device_tensor_alloc(npurt_device *dev,
					const npurt_tensor_desc *desc,
					npurt_tensor **out);

/**
 * npurt_tensor_wrap() - describe caller-owned memory as a tensor
 * @data: at least npurt_tensor_desc_size(@desc) bytes, owned by the
 *        caller, alive until the tensor is destroyed.
 * @size: bytes at @data.
 *
 * Return: 0, -EINVAL (NULL data or @size too small).
 */
NPURT_API int npurt_tensor_wrap(const npurt_tensor_desc *desc, void *data,
				size_t size, npurt_tensor **out);

NPURT_API void npurt_tensor_destroy(npurt_tensor *t);
NPURT_API void *npurt_tensor_data(const npurt_tensor *t);
NPURT_API size_t npurt_tensor_size(const npurt_tensor *t);
NPURT_API const npurt_tensor_desc *npurt_tensor_get_desc(const npurt_tensor *t);
/** npurt_tensor_device() - the device holding the tensor, NULL for host. */
NPURT_API npurt_device *npurt_tensor_device(const npurt_tensor *t);

/* ====================================================================== */
/* Programs (.npuprog) and the program builder                            */
/* ====================================================================== */

/*
 * A program's logical buffers. Commands name a slot in rm_npu_ref.bo and a
 * byte offset inside it; the runtime binds slots to memory for each run.
 * Commands may write OUTPUT and SCRATCH slots only.
 */
enum npurt_slot_kind {
	NPURT_SLOT_INPUT = 1,		/* a model input, one per tensor */
	NPURT_SLOT_OUTPUT = 2,		/* a model output */
	NPURT_SLOT_WEIGHTS = 3,		/* constant data stored in the file */
	NPURT_SLOT_SCRATCH = 4,		/* per-run intermediate memory */
};

struct npurt_slot_info {
	uint32_t kind;			/* enum npurt_slot_kind */
	uint32_t reserved0;
	uint64_t size;			/* bytes */
	const npurt_tensor_desc *desc;	/* valid while the program lives */
	uint32_t reserved[4];
};

/**
 * npurt_program_load() - read and validate a .npuprog file
 *
 * Everything is checked (runtime/PROGRAM_FORMAT.md): header, checksum,
 * section bounds, counts, strings, tensor shapes, and every command with
 * the shared command validator against the slot sizes. A bad file is an
 * error, never a crash.
 *
 * Return: 0; -EBADMSG (malformed, with the reason in the detail message),
 * -EPROTONOSUPPORT (a format major version this library does not know),
 * -EFBIG (above the library's size limits), -errno from open/read.
 */
NPURT_API int npurt_program_load(const char *path, npurt_program **out);

/** npurt_program_load_memory() - as npurt_program_load(), from memory;
 * the data is copied. */
NPURT_API int npurt_program_load_memory(const void *data, size_t size,
					npurt_program **out);

/**
 * npurt_program_serialize() - the program in .npuprog form
 * @data: receives a malloc()ed buffer; release it with free().
 *
 * Return: 0, -EINVAL.
 */
NPURT_API int npurt_program_serialize(const npurt_program *prog,
				      void **data, size_t *size);

/** npurt_program_save() - write the program to @path (replaced
 * atomically). Return: 0, -EINVAL, -errno of the file operations. */
NPURT_API int npurt_program_save(const npurt_program *prog,
				 const char *path);

NPURT_API void npurt_program_destroy(npurt_program *prog);
NPURT_API const char *npurt_program_name(const npurt_program *prog);
NPURT_API unsigned int npurt_program_slot_count(const npurt_program *prog);
NPURT_API unsigned int npurt_program_cmd_count(const npurt_program *prog);
/** npurt_program_slot() - slot @index. Return: 0, -EINVAL. */
NPURT_API int npurt_program_slot(const npurt_program *prog,
				 unsigned int index,
				 struct npurt_slot_info *info);
/** npurt_program_cmd() - command @index (over slots), NULL out of range. */
NPURT_API const struct rm_npu_cmd *
npurt_program_cmd(const npurt_program *prog, unsigned int index);

/**
 * npurt_program_builder_create() - start building a program named @name
 *
 * Slots are numbered in the order they are added, from 0; commands refer
 * to them by that number. Return: 0, -EINVAL (bad name).
 */
NPURT_API int npurt_program_builder_create(const char *name,
					   npurt_program_builder **out);
NPURT_API void npurt_program_builder_destroy(npurt_program_builder *b);

/**
 * npurt_program_builder_add_input() - add an input slot for a tensor
 * npurt_program_builder_add_output() - add an output slot
 *
 * Return: the slot index (>= 0), or -EINVAL (bad tensor info, duplicate
 * name), -E2BIG (too many slots).
 */
NPURT_API int npurt_program_builder_add_input(npurt_program_builder *b,
					      const struct npurt_tensor_info *t);
NPURT_API int npurt_program_builder_add_output(npurt_program_builder *b,
					       const struct npurt_tensor_info *t);

/**
 * npurt_program_builder_add_weights() - add a constant slot
 * @t:    its tensor (@size must equal the tensor's size).
 * @data: @size bytes, copied.
 *
 * Return: the slot index, or -EINVAL, -E2BIG.
 */
NPURT_API int npurt_program_builder_add_weights(npurt_program_builder *b,
						const struct npurt_tensor_info *t,
						const void *data, size_t size);

/**
 * npurt_program_builder_add_scratch() - add @size bytes of per-run memory
 *
 * Return: the slot index, or -EINVAL (bad name, size 0 or above 2^48),
 * -E2BIG.
 */
NPURT_API int npurt_program_builder_add_scratch(npurt_program_builder *b,
						const char *name,
						uint64_t size);

/**
 * npurt_program_builder_add_cmd() - append a command over the slots
 *
 * The command is validated now (npu_cmd_validate() against the slot
 * sizes, writes only into OUTPUT or SCRATCH slots).
 *
 * Return: the command index, or -EINVAL (invalid command: detail message),
 * -E2BIG (too many commands).
 */
NPURT_API int npurt_program_builder_add_cmd(npurt_program_builder *b,
					    const struct rm_npu_cmd *cmd);

/*
 * CPU steps (program format 1.1): operations the NPU cannot run, executed
 * by the host between NPU command runs. A program is an ordered sequence:
 * a CPU step added after N commands runs once those N commands are done and
 * before the next; consecutive commands go to an NPU as one job. The CPU
 * backend runs commands and steps alike. Operands are (slot, byte offset,
 * element count, dtype) like command references; steps may write only
 * OUTPUT and SCRATCH slots. Shapes are in @p (int64), constants in @f:
 *
 * QUANTIZE    in[0] FLOAT32 -> out INT8/UINT8 (same count):
 *             y = saturate(round_half_even(x / scale) + zp). Per tensor:
 *             p[0] = 0, f[0] = scale (finite, > 0), p[1] = zp. Per axis:
 *             p[0] = channels C, p[2] = inner I (count = outer x C x I),
 *             in[1] FLOAT32 scales [C], in[2] zero points [C] (out dtype).
 *             Per tensor with p[3] = 1: saturate(round_half_even(
 *             fl32(x / scale) + zp)), the zero point added in binary32
 *             before rounding (onnxruntime's QLinear pools).
 * DEQUANTIZE  in[0] INT8/UINT8/INT32 -> out FLOAT32: (x - zp) * scale,
 *             parameters as QUANTIZE.
 * RELU, SIGMOID, TANH, EXP, ABS, NEG, SQRT   FLOAT32 -> FLOAT32, same count;
 *             SIGMOID 1 / (1 + e), e = exp(-x) in binary64 rounded to
 *             binary32 (TANH, EXP: tanh, exp so), the rest in binary32.
 * CLIP        FLOAT32 -> FLOAT32: min(max(x, f[0]), f[1]).
 * LEAKY_RELU  FLOAT32 -> FLOAT32: x < 0 ? f[0] * x : x.
 * ADD, SUB, MUL, DIV, MAX, MIN   FLOAT32 (in[0], in[1]) -> FLOAT32 with
 *             broadcasting: p[0] = rank R (1..6), p[1..R] the output dims,
 *             p[7..7+R) the element strides of in[0] per output axis,
 *             p[13..13+R) those of in[1] (0 on broadcast axes).
 * SOFTMAX, LOG_SOFTMAX   FLOAT32 -> FLOAT32 along one axis: p[0] = outer,
 *             p[1] = axis length, p[2] = inner.
 * GEMM        FLOAT32: for b < p[5] (batch, >= 1):
 *             Y_b[M][N] = f[0] * A_b' B_b' + f[1] * C, M = p[0], N = p[1],
 *             K = p[2], A' = A^T when p[3], B' = B^T when p[4], batch
 *             strides (elements) p[6] of A, p[7] of B (0: shared), C
 *             (in[2], optional) indexed C[m * p[8] + n * p[9]].
 * CONV        FLOAT32 NCHW 2-D: p[0..3] = N, C, H, W; p[4] = OC;
 *             p[5], p[6] = KH, KW; p[7], p[8] = strides; p[9..12] = pads
 *             top, left, bottom, right; p[13], p[14] = dilations;
 *             p[15] = group; p[16], p[17] = OH, OW. in[1] weights
 *             [OC][C/group][KH][KW], in[2] (optional) bias [OC].
 *             3-D: p[19] = D (0 for 2-D), p[20] = KD, p[21] = stride,
 *             p[22], p[23] = front and back pads, p[24] = dilation,
 *             p[25] = OD; tensors [N][C][D][H][W] (weights [..][KD][KH][KW]).
 *             p[26] = 0 accumulates in double; 1 (2-D only) in binary32
 *             in onnxruntime's SGEMM order (runtime/PROGRAM_FORMAT.md).
 * HARD_SIGMOID FLOAT32 -> FLOAT32: max(0, min(1, f[0] * x + f[1])).
 * HARD_SWISH  FLOAT32 -> FLOAT32: x * max(0, min(1, x / 6 + 1 / 2)).
 * POOL        FLOAT32 NCHW 2-D or 3-D pooling, parameters as CONV without OC,
 *             group and weights (p[4] = p[15] = 0); p[18] = 0 max,
 *             1 average over the taps inside the input, 2 average over
 *             the taps inside the padded input; p[16], p[17] = OH, OW
 *             (floor or ceil mode: the last window starts inside the
 *             input or its leading pad). p[26] = 1: averages sum in
 *             binary32 in window order and divide once in binary32.
 * ERF         FLOAT32 -> FLOAT32, same count: erf(x) in binary64, rounded.
 * GELU        FLOAT32 -> FLOAT32, same count, in double: p[0] = 0 exact,
 *             0.5 x (1 + erf(x / sqrt 2)) (as 0.5 x erfc(-x / sqrt 2));
 *             p[0] = 1 the tanh approximation, 0.5 x (1 + tanh(u)), u =
 *             sqrt(2 / pi) (x + 0.044715 x^3) (as x / (1 + exp(-2u))).
 * LAYER_NORM  FLOAT32 in[0] X [p[0] = outer][p[1] = n] -> out, same shape:
 *             (x - mean) / sqrt(var + f[0]) * scale + bias per row, mean and
 *             population variance in double; in[1] scale [n], in[2] bias
 *             [n] (optional); f[0] = epsilon (finite, > 0).
 * REDUCE      FLOAT32 [p[0] = outer][p[1] = len][p[2] = inner] -> out
 *             [outer][inner], in double; p[3] = 0 mean, 1 sum, 2 max, 3 min
 *             (both propagate NaN), 4 product, 5 sum of squares, 6 L2 norm,
 *             7 L1 norm, 8 log of the sum, 9 log of the sum of exp.
 * POW         FLOAT32 pow(in[0], in[1]) in binary64, rounded, broadcasting
 *             as ADD (same p[]).
 * RESIZE      FLOAT32 NCHW over H and W, as ONNX Resize (opset 11+) and
 *             Upsample: p[0..3] = N, C, H, W; p[4], p[5] = OH, OW;
 *             p[6] mode: 0 nearest, 1 linear, 2 cubic; p[7] coordinate
 *             transformation: 0 half_pixel, 1 asymmetric, 2 align_corners,
 *             3 pytorch_half_pixel, 4 tf_half_pixel_for_nearest; p[8]
 *             nearest rounding (nearest only, else 0): 0 round_prefer_floor,
 *             1 round_prefer_ceil, 2 floor, 3 ceil; p[9] exclude_outside
 *             (cubic only, else 0); f[0], f[1] the H and W scales as the
 *             model's scales input gives them, or 0 when it gives sizes
 *             (the scale is then OH / H, OW / W in double); f[2] =
 *             cubic_coeff_a (cubic only, else 0). PROGRAM_FORMAT.md has the
 *             coordinate arithmetic.
 * QLINEAR_SOFTMAX  INT8/UINT8 [p[0] = outer][p[1] = len][p[2] = inner] ->
 *             INT8/UINT8 along the len axis (f[0] = input scale, p[3] =
 *             input zero point, f[1] = output scale, p[4] = output zero
 *             point), computed as onnxruntime's QLinearSoftmax (an exp
 *             table, float sums, the output scale as floor(1 / f[1])):
 *             runtime/PROGRAM_FORMAT.md; in and out dtypes may differ.
 *
 * An absent operand has slot NPURT_CPU_NONE. @flags and unused fields are
 * zero (checked for the opcodes from ERF on: every p[] and f[] past those
 * an opcode uses).
 */
enum npurt_cpu_opcode {
	NPURT_CPU_QUANTIZE = 1,
	NPURT_CPU_DEQUANTIZE = 2,
	NPURT_CPU_RELU = 3,
	NPURT_CPU_SIGMOID = 4,
	NPURT_CPU_TANH = 5,
	NPURT_CPU_EXP = 6,
	NPURT_CPU_ABS = 7,
	NPURT_CPU_NEG = 8,
	NPURT_CPU_SQRT = 9,
	NPURT_CPU_CLIP = 10,
	NPURT_CPU_LEAKY_RELU = 11,
	NPURT_CPU_ADD = 12,
	NPURT_CPU_SUB = 13,
	NPURT_CPU_MUL = 14,
	NPURT_CPU_DIV = 15,
	NPURT_CPU_MAX = 16,
	NPURT_CPU_MIN = 17,
	NPURT_CPU_SOFTMAX = 18,
	NPURT_CPU_LOG_SOFTMAX = 19,
	NPURT_CPU_GEMM = 20,
	NPURT_CPU_CONV = 21,
	NPURT_CPU_HARD_SIGMOID = 22,
	NPURT_CPU_HARD_SWISH = 23,
	NPURT_CPU_POOL = 24,
	NPURT_CPU_ERF = 25,
	NPURT_CPU_GELU = 26,
	NPURT_CPU_LAYER_NORM = 27,
	NPURT_CPU_REDUCE = 28,
	NPURT_CPU_POW = 29,
	NPURT_CPU_RESIZE = 30,
	NPURT_CPU_QLINEAR_SOFTMAX = 31,
	NPURT_CPU_OP_COUNT
};

#define NPURT_CPU_NONE		0xffffffffu	/* operand absent */
#define NPURT_CPU_MAX_IN	3
#define NPURT_CPU_MAX_RANK	6

struct npurt_cpu_ref {
	uint32_t slot;			/* or NPURT_CPU_NONE */
	uint32_t dtype;			/* enum npurt_dtype */
	uint64_t offset;		/* bytes into the slot */
	uint64_t count;			/* elements */
};

struct npurt_cpu_op {
	uint32_t opcode;		/* enum npurt_cpu_opcode */
	uint32_t flags;			/* 0 */
	struct npurt_cpu_ref in[NPURT_CPU_MAX_IN];
	struct npurt_cpu_ref out;
	int64_t p[32];
	float f[4];
};

/**
 * npurt_program_builder_add_cpu_op() - append a CPU step, to run after the
 * commands added so far
 *
 * Validated now like commands (opcode, dtypes, counts against the shape
 * parameters, extents inside their slots, writes only into OUTPUT or
 * SCRATCH slots, finite constants).
 *
 * Return: the step index, or -EINVAL (detail message), -E2BIG.
 */
NPURT_API int npurt_program_builder_add_cpu_op(npurt_program_builder *b,
					       const struct npurt_cpu_op *op);

/** npurt_program_cpu_op_count() - the CPU steps of a program (0 for
 * programs of format 1.0). */
NPURT_API unsigned int npurt_program_cpu_op_count(const npurt_program *prog);

/**
 * npurt_program_cpu_op() - CPU step @index; *@after_cmd (if not NULL)
 * receives the number of commands that run before it.
 * Return: the step, or NULL when out of range.
 */
NPURT_API const struct npurt_cpu_op *
npurt_program_cpu_op(const npurt_program *prog, unsigned int index,
		     unsigned int *after_cmd);

/** npurt_cpu_op_name() - "SOFTMAX", ...; "UNKNOWN" for an invalid value. */
NPURT_API const char *npurt_cpu_op_name(uint32_t opcode);

/**
 * npurt_program_builder_set_placement() - record, for the model summary,
 * how many graph nodes the program's commands and CPU steps run (a
 * compiler's figures; format 1.2, since libnpurt 1.3).
 *
 * Return: 0 or -EINVAL.
 */
NPURT_API int npurt_program_builder_set_placement(npurt_program_builder *b,
						  unsigned int npu_nodes,
						  unsigned int cpu_nodes);

/**
 * npurt_program_builder_finish() - produce the program
 *
 * The program is serialized and loaded back through the same validating
 * loader as files. The builder stays usable.
 *
 * Return: 0, -EINVAL (no command and no CPU step).
 */
NPURT_API int npurt_program_builder_finish(npurt_program_builder *b,
					   npurt_program **out);

/* ====================================================================== */
/* Models                                                                 */
/* ====================================================================== */

/**
 * npurt_model_load() - load a model file
 * @rt:   the runtime it will run on (used by compiling loaders); may be
 *        NULL.
 * @path: a .npuprog program. Other formats are dispatched on their
 *        extension: ".onnx" is compiled by the ONNX compiler plugin
 *        libnpuc.so.1, loaded at run time from $NPURT_COMPILER_PLUGIN,
 *        else the directory of libnpurt.so, else the dynamic loader's
 *        search path (-EOPNOTSUPP naming it when it is not installed).
 *        Compiles go through the compile cache ($NPURT_CACHE_DIR, else
 *        $XDG_CACHE_HOME/npurt, else ~/.cache/npurt), keyed on the model
 *        bytes, the compiler and command-set versions, the target (arch
 *        and firmware capabilities of @rt's first NPU; "cpu" with every
 *        capability when @rt is NULL or has CPU devices only) and the
 *        options: the second load of a model reads the cached program.
 *
 * Return: 0, errors of npurt_program_load(), -EOPNOTSUPP (no compiler
 * plugin, or an operator the compiler cannot place), the compiler's errors
 * (-EBADMSG malformed model, -EINVAL, ...) with its message in
 * npurt_last_error().
 */
NPURT_API int npurt_model_load(npurt_runtime *rt, const char *path,
			       npurt_model **out);

/**
 * npurt_model_load_memory() - a model from bytes in memory (copied)
 * @data, @size: a .npuprog image (it starts with its magic "NPUPROG"), or
 *        (since 1.2) a serialized ONNX model, compiled like a ".onnx" file
 *        by npurt_model_load(): same plugin, cache key and target.
 *
 * Return: as npurt_model_load(); -EOPNOTSUPP also when the installed
 * compiler plugin predates models in memory.
 */
NPURT_API int npurt_model_load_memory(npurt_runtime *rt, const void *data,
				      size_t size, npurt_model **out);

/** npurt_model_from_program() - a model over @prog, which it references:
 * the caller may destroy @prog afterwards. Return: 0, -EINVAL. */
NPURT_API int npurt_model_from_program(npurt_program *prog,
				       npurt_model **out);

/** npurt_model_destroy() - runners and queues keep their own reference,
 * so a model may be destroyed while they run. */
NPURT_API void npurt_model_destroy(npurt_model *model);

NPURT_API const char *npurt_model_name(const npurt_model *model);
NPURT_API unsigned int npurt_model_input_count(const npurt_model *model);
NPURT_API unsigned int npurt_model_output_count(const npurt_model *model);
/** npurt_model_input() - input @index (slot order), NULL out of range. */
NPURT_API const npurt_tensor_desc *npurt_model_input(const npurt_model *model,
						     unsigned int index);
NPURT_API const npurt_tensor_desc *
npurt_model_output(const npurt_model *model, unsigned int index);

/**
 * npurt_model_input_index() - the index of the input named @name
 * npurt_model_output_index() - the index of the output named @name
 *
 * Names are the tensor names of the program (for ONNX models, the graph's
 * input and output names). Since 1.2.
 *
 * Return: the index (>= 0); -EINVAL (NULL argument); -ENOENT (no such
 * name: the detail message lists the names there are).
 */
NPURT_API int npurt_model_input_index(const npurt_model *model,
				      const char *name);
NPURT_API int npurt_model_output_index(const npurt_model *model,
				       const char *name);
NPURT_API const npurt_program *npurt_model_program(const npurt_model *model);

/**
 * npurt_model_summary() - multi-line human description: name, inputs and
 * outputs with dtype, shape, layout, size and quantization, command count.
 *
 * Return: a string owned by the model.
 */
NPURT_API const char *npurt_model_summary(const npurt_model *model);

/* ====================================================================== */
/* Runner: synchronous inference                                          */
/* ====================================================================== */

/*
 * @worker_num: concurrent runs per device (each has its own staging and
 *              scratch memory); 0 means 2. At most 64.
 * @batch_size: runs per call; 0 means 1. Input and output tensors of the
 *              runner have their outermost dimension multiplied by it, and
 *              each batch item runs the program once, on any free worker.
 */
struct npurt_runner_opts {
	uint32_t worker_num;
	uint32_t batch_size;
	uint32_t reserved[6];
};

/**
 * npurt_runner_create() - prepare @model on every device of @rt
 *
 * Weights are uploaded once per device; each worker gets its memory now,
 * so runs do not allocate device memory.
 *
 * Return: 0; -EINVAL (bad options), -EOPNOTSUPP (a device lacks an
 * opcode), -E2BIG (the program needs more buffers per job than a device
 * accepts), -ENOMEM (device memory).
 */
NPURT_API int npurt_runner_create(npurt_runtime *rt, npurt_model *model,
				  const struct npurt_runner_opts *opts,
				  npurt_runner **out);

/**
 * npurt_runner_run() - run the model once (batch_size program runs)
 * @inputs:  npurt_runner_input_count() tensors, in model input order, each
 *           at least as large as npurt_runner_input()'s size.
 * @outputs: npurt_runner_output_count() tensors, written.
 *
 * Safe to call from many threads at once: calls are spread over every
 * worker of every device. A call of one item (batch_size 1) that finds a
 * worker idle, with nothing queued, runs on the calling thread in that
 * worker's place (its memory, its slot in the per-device concurrency):
 * no hand-off to another thread (GPU devices keep their own threads).
 * Inputs and outputs must not overlap. Tensors allocated on the device
 * that runs them are used in place.
 *
 * Return: 0; -EINVAL (NULL or too small tensor), the negative errno of a
 * failed job (detail message names the device and command), -ESHUTDOWN
 * (runner being destroyed).
 */
NPURT_API int npurt_runner_run(npurt_runner *runner,
			       npurt_tensor *const *inputs,
			       npurt_tensor *const *outputs);

/*
 * Options of one npurt_runner_run_opts() call (since 1.2).
 * @size:        sizeof(struct npurt_run_opts) as the caller was built. The
 *               struct grows at its end in later minors, like the uAPI's
 *               structs: the library accepts any @size from
 *               NPURT_RUN_OPTS_SIZE_1_2 on, treats fields past @size as
 *               zero, and rejects a larger (newer) caller's tail it does
 *               not know unless it is all zero (-E2BIG).
 * @flags:       0 (no flag is defined yet; unknown bits are -EINVAL).
 * @timeout_ms:  0: no limit. Else the run fails with -ETIMEDOUT when it has
 *               not completed @timeout_ms milliseconds after the call.
 * @reserved0:   must be 0.
 * @cancel:      NULL, or a token: npurt_cancel_request() (from another
 *               thread) makes the run fail with -ECANCELED.
 * @input_names: NULL: @inputs are in model input order. Else @inputs[i]
 *               feeds the input named @input_names[i]; every input must be
 *               named exactly once (npurt_runner_input_count() entries).
 * @output_names: the same for @outputs.
 *
 * A timed-out or cancelled run stops at once on the items (batch entries)
 * still waiting for a worker; an item already running on a device finishes
 * its device job (a job is not interrupted; the driver's watchdog bounds
 * it) and its result is dropped. The call returns once no worker uses the
 * caller's tensors any more; outputs are then unspecified.
 */
struct npurt_run_opts {
	uint32_t size;
	uint32_t flags;
	uint32_t timeout_ms;
	uint32_t reserved0;
	npurt_cancel *cancel;
	const char *const *input_names;
	const char *const *output_names;
};

/* The first published size of struct npurt_run_opts (libnpurt 1.2). */
#define NPURT_RUN_OPTS_SIZE_1_2 \
	(offsetof(struct npurt_run_opts, output_names) + sizeof(void *))

/**
 * npurt_runner_run_opts() - npurt_runner_run() with options (since 1.2)
 * @opts: NULL behaves as npurt_runner_run().
 *
 * Return: as npurt_runner_run(); -EINVAL (bad options, @size below
 * NPURT_RUN_OPTS_SIZE_1_2, an unknown or repeated name, an input or output
 * not named), -E2BIG (unknown non-zero tail), -ETIMEDOUT, -ECANCELED.
 */
NPURT_API int npurt_runner_run_opts(npurt_runner *runner,
				    npurt_tensor *const *inputs,
				    npurt_tensor *const *outputs,
				    const struct npurt_run_opts *opts);

/**
 * npurt_cancel_create() - a cancellation token, not requested (since 1.2)
 *
 * One token may be given to any number of runs, at once or in turn.
 * Return: 0, -EINVAL.
 */
NPURT_API int npurt_cancel_create(npurt_cancel **out);

/**
 * npurt_cancel_request() - cancel every run that has or will be given the
 * token, until npurt_cancel_reset(). Thread-safe; not async-signal-safe
 * (from a signal handler, set a flag and request from a thread).
 */
NPURT_API void npurt_cancel_request(npurt_cancel *cancel);

/** npurt_cancel_requested() - 1 when requested, else 0 (also for NULL). */
NPURT_API int npurt_cancel_requested(const npurt_cancel *cancel);

/** npurt_cancel_reset() - no longer requested: later runs go ahead. */
NPURT_API void npurt_cancel_reset(npurt_cancel *cancel);

/** npurt_cancel_destroy() - no run may be using the token. */
NPURT_API void npurt_cancel_destroy(npurt_cancel *cancel);

/** npurt_runner_destroy() - waits for runs in progress to finish. */
NPURT_API void npurt_runner_destroy(npurt_runner *runner);

NPURT_API unsigned int npurt_runner_input_count(const npurt_runner *runner);
NPURT_API unsigned int npurt_runner_output_count(const npurt_runner *runner);
/** npurt_runner_input() - batched input description; NULL out of range. */
NPURT_API const npurt_tensor_desc *
npurt_runner_input(const npurt_runner *runner, unsigned int index);
NPURT_API const npurt_tensor_desc *
npurt_runner_output(const npurt_runner *runner, unsigned int index);

/* ====================================================================== */
/* Queue: asynchronous inference                                          */
/* ====================================================================== */

/*
 * @worker_num, @batch_size: as struct npurt_runner_opts.
 * @input_queue_size:  submitted runs waiting for a worker before
 *                     npurt_queue_submit() blocks; 0 means 8.
 * @output_queue_size: finished runs waiting for npurt_queue_recv() before
 *                     workers stop; 0 means 8.
 * @flags:             NPURT_QUEUE_* bits; others must be 0 (libnpurt
 *                     before 1.4 has reserved[0] here and refuses any).
 */
struct npurt_queue_opts {
	uint32_t worker_num;
	uint32_t batch_size;
	uint32_t input_queue_size;
	uint32_t output_queue_size;
	uint32_t flags;
	uint32_t reserved[3];
};

/*
 * NPURT_QUEUE_BORROW_INPUTS: npurt_queue_submit() keeps the caller's input
 * tensors instead of copying them; the caller leaves them alive and
 * unchanged until npurt_queue_recv() has returned that run (or the queue
 * is destroyed). Runs only read them, so one set of tensors may feed
 * several runs in flight. It saves a copy of every input on the
 * submitting thread, which for large batches bounds the queue's rate: 64
 * float images of 224x224x3 are 38.5 MB a run. Tensors of a GPU
 * (npurt_device_tensor_alloc()) are then read in place by DMA.
 */
#define NPURT_QUEUE_BORROW_INPUTS	(1u << 0)

/** npurt_queue_create() - errors as npurt_runner_create(). */
NPURT_API int npurt_queue_create(npurt_runtime *rt, npurt_model *model,
				 const struct npurt_queue_opts *opts,
				 npurt_queue **out);

/**
 * npurt_queue_submit() - queue one run
 * @inputs:  as npurt_runner_run(); copied before the call returns, unless
 *           the queue borrows them (NPURT_QUEUE_BORROW_INPUTS).
 * @context: returned with the result by npurt_queue_recv().
 *
 * Blocks while input_queue_size runs are waiting for a worker.
 *
 * Return: 0; -EINVAL; -EPIPE (submit side closed); -ECANCELED (receive side
 * closed, also when it happens while blocked).
 */
NPURT_API int npurt_queue_submit(npurt_queue *queue,
				 npurt_tensor *const *inputs, void *context);

/**
 * npurt_queue_recv() - take one finished run, in completion order
 * @context:    receives the run's context (also for a failed run).
 * @outputs:    receive the run's outputs (copied).
 * @timeout_ms: -1 waits forever, 0 polls.
 *
 * Return: 0; the negative errno of a failed run (its context is set, its
 * outputs unspecified); -ETIMEDOUT; -EPIPE (the submit side is closed and
 * every run was received: end of stream); -ECANCELED (receive side
 * closed); -EINVAL.
 */
NPURT_API int npurt_queue_recv(npurt_queue *queue, void **context,
			       npurt_tensor *const *outputs, int timeout_ms);

/**
 * npurt_queue_fd() - an fd that polls readable (POLLIN) while
 * npurt_queue_recv() would not block. Owned by the queue; do not read it.
 */
NPURT_API int npurt_queue_fd(const npurt_queue *queue);

/** npurt_queue_close_submit() - no more submits (-EPIPE); runs already
 * submitted finish and are received, then recv returns -EPIPE. */
NPURT_API void npurt_queue_close_submit(npurt_queue *queue);

/** npurt_queue_close_recv() - cancel: waiting runs are dropped (their
 * contexts are never returned), running ones are discarded when done,
 * submit and recv return -ECANCELED. */
NPURT_API void npurt_queue_close_recv(npurt_queue *queue);

/** npurt_queue_destroy() - closes both sides and waits for the workers. */
NPURT_API void npurt_queue_destroy(npurt_queue *queue);

NPURT_API unsigned int npurt_queue_input_count(const npurt_queue *queue);
NPURT_API unsigned int npurt_queue_output_count(const npurt_queue *queue);
NPURT_API const npurt_tensor_desc *
npurt_queue_input(const npurt_queue *queue, unsigned int index);
NPURT_API const npurt_tensor_desc *
npurt_queue_output(const npurt_queue *queue, unsigned int index);

/* ====================================================================== */
/* Profiler                                                               */
/* ====================================================================== */

/**
 * npurt_profiler_start() - record a Chrome trace (Perfetto opens it) of
 * submissions, copies, jobs on their PEs and CPU work, for @path.
 *
 * Return: 0, -EINVAL, -EALREADY (already recording).
 */
NPURT_API int npurt_profiler_start(npurt_runtime *rt, const char *path);

/** npurt_profiler_stop() - write the trace. Return: 0, -EINVAL (not
 * recording), -errno of the write. */
NPURT_API int npurt_profiler_stop(npurt_runtime *rt);

#ifdef __cplusplus
}
#endif

#endif /* NPURT_H */
