/* SPDX-License-Identifier: MIT */
/*
 * device.h - runtimes, devices and the backend interface (NPU through the
 * rm_npu uAPI, CPU through a thread pool), and spec resolution: which
 * nodes a parsed spec claims, greedily, on the discovered system.
 */
#ifndef NPURT_DEVICE_H
#define NPURT_DEVICE_H

#include <stdatomic.h>
#include <stdint.h>

#include <rm_npu.h>

#include "discovery.h"
#include "memory.h"
#include "spec.h"

#define NPURT_MAX_DEVICES	256
#define NPURT_JOB_MAX_BUFS	1024	/* CPU: slots; NPU: max_job_bos */

struct npurt_profiler;
struct npurt_cpu_pool;
struct npurt_gpu;
struct npuprog_cpuop;

/*
 * CPU: whether splitting over the pool pays for one command, CPU step or
 * whole program, measured on its first runs and again now and then
 * (npurt_split_tune_next()); zeroed at setup, shared by the runs using
 * the program on the device (runs racing on it only mix measurements:
 * either way gives the same bytes).
 */
struct npurt_split_tune {
	_Atomic uint32_t seen;		/* runs measuring it */
	_Atomic uint64_t best[2];	/* fastest run alone, split (ns) */
	_Atomic uint32_t choice;	/* 0 measuring, 1 alone, 2 split */
	_Atomic uint32_t kept;		/* runs since the choice */
	_Atomic uint32_t keep;		/* runs until measured again */
};

/*
 * One run of a program, bound to memory. Commands name buffers by index:
 * CPU jobs use @bases/@sizes, NPU jobs @handles (commands rewritten to
 * buffer-object offsets). A device with batch_jobs may get several batch
 * items in one job: every command runs for each of @items items, slot s
 * of item j at bases[s] + j * strides[s] (device: dptrs[s] + j *
 * strides[s]); a stride of 0 is a slot the items share (weights), and
 * @sizes are one item's. Other devices always get @items 1.
 */
struct npurt_job {
	const struct rm_npu_cmd *cmds;
	uint32_t num_cmds;
	uint32_t num_bufs;
	uint8_t *const *bases;
	const uint64_t *sizes;
	const uint32_t *handles;
	/* CPU: per command, its weights packed for the pool's kernels, or NULL */
	const void *const *packed;
	/* CPU: per command, its split measurements, or NULL (always split);
	 * and those of the CPU step run_step() is given, or NULL */
	struct npurt_split_tune *tune;
	struct npurt_split_tune *step_tune;
	/* CPU: every command and step on the calling thread alone */
	bool no_split;
	/* GPU: per slot, its device address and where its bytes are current
	 * (enum npurt_gpu_where, updated by the backend) */
	const uint64_t *dptrs;
	uint8_t *where;
	/* GPU: per slot, whether its host side is page-locked (a tensor of
	 * this device: npurt_device_tensor_alloc()), so copies are DMA */
	const bool *pinned;
	uint32_t items;			/* batch items (>= 1) */
	const uint64_t *strides;	/* per slot, bytes per item; NULL: 1 item */
	/* CPU: the worker's op scratch (NPU_OPS_SCRATCH_SIZE), whichever
	 * thread runs it; NULL: the calling thread's */
	void *scratch;
	/* GPU: the index of cmds[0] in its program (errors name commands
	 * by it; 0 starts a program run), and whether run() may return
	 * with the job still running: its wait and error check then come
	 * with the next run() that does not defer, or with sync_host() */
	uint32_t cmd_base;
	bool defer;
};

/* GPU: where the current bytes of a slot are (host shadow, device). */
enum npurt_gpu_where {
	NPURT_GPU_SYNCED = 0,	/* both copies equal (or contents unused) */
	NPURT_GPU_HOST,		/* the host shadow is newer */
	NPURT_GPU_DEVICE,	/* the device copy is newer */
};

struct npurt_backend_ops {
	int (*mem_alloc)(npurt_device *dev, uint64_t size,
			 struct npurt_mem *mem);
	void (*mem_free)(npurt_device *dev, struct npurt_mem *mem);
	/* Run @job (every item of it) to completion. Return: 0 or the
	 * job's negative errno. */
	int (*run)(npurt_device *dev, const struct npurt_job *job);
	/*
	 * GPU only (NULL elsewhere): make the host shadows of slots @slots
	 * (@n of them, every item) of @job current, after every job run()
	 * left running has finished (@n 0: that alone). Return: 0 or a
	 * negative errno (also the error of such a job).
	 */
	int (*sync_host)(npurt_device *dev, const struct npurt_job *job,
			 const uint32_t *slots, unsigned int n);
	/*
	 * GPU only: bytes @offset..@offset + @bytes of slot @slot, every item
	 * of @job: @to_host, copied to the host if the device's copy is newer
	 * (what a CPU step reads); else copied to the device unless the
	 * host's is newer anyway (what a CPU step wrote). The slot's where
	 * stays right as it is. It waits for the stream (jobs left running
	 * included) but leaves their error check to sync_host(). Return: 0
	 * or a negative errno.
	 */
	int (*sync_range)(npurt_device *dev, const struct npurt_job *job,
			  uint32_t slot, uint64_t offset, uint64_t bytes,
			  bool to_host);
	/*
	 * Optional (GPU): CPU step @op over every item of @job on the
	 * device, in order with the job's commands, with the result the
	 * host's would be byte for byte (but the last bits of a math
	 * function's, runtime/PROGRAM_FORMAT.md). Return: 0 done, 1 not
	 * offered for this step (the host runs it), or a negative errno.
	 */
	int (*run_step)(npurt_device *dev, const struct npurt_job *job,
			const struct npurt_cpu_op *op);
	/*
	 * Optional: the whole program, @job's commands with the CPU steps
	 * @steps (@num_steps, after_cmd non-decreasing) among them, for one
	 * item. Return: 0, a negative errno, or 1 when the device runs it
	 * job by job instead (run() and run_step(); nothing run).
	 */
	int (*run_program)(npurt_device *dev, const struct npurt_job *job,
			   const struct npuprog_cpuop *steps,
			   uint32_t num_steps);
	void (*close)(npurt_device *dev);
};

struct npurt_device {
	npurt_runtime *rt;
	unsigned int index;		/* in the runtime */
	const struct npurt_backend_ops *ops;
	struct npurt_device_info info;
	uint32_t max_job_bos;		/* buffers one job may name */
	uint32_t max_cmds;		/* commands per job */
	bool batch_jobs;		/* runs several batch items as one job */
	bool submit_sync;		/* NPU: driver ABI 1.1 submission */
	int fd;				/* NPU node */
	struct npurt_pool pool;		/* NPU buffer-object chunks */
	struct npurt_cpu_pool *cpu;	/* CPU thread pool */
	struct npurt_gpu *gpu;		/* GPU: context, module, streams */
};

struct npurt_runtime {
	char *spec;
	unsigned int num_devices;
	npurt_device **devices;
	struct npurt_profiler *prof;
};

/* ---- spec resolution (device.c) ---- */

enum npurt_claim_kind { NPURT_CLAIM_NPU, NPURT_CLAIM_CPU, NPURT_CLAIM_GPU };

struct npurt_claim {
	enum npurt_claim_kind kind;
	int fd;				/* NPU: the opened node */
	unsigned int threads;		/* CPU */
	unsigned int gpu;		/* GPU: CUDA device ordinal */
	struct npurt_node_info node;	/* NPU */
	int numa_node;
};

struct npurt_claims {
	unsigned int num;
	struct npurt_claim items[NPURT_MAX_DEVICES];
};

/* How nodes are opened: the real open(2), or a test double. */
struct npurt_open_ops {
	/* Return: an fd, or -EBUSY, -ENODEV (firmware not ready), -errno. */
	int (*open)(void *ctx, const struct npurt_node_info *node);
	void (*close)(void *ctx, int fd);
	void *ctx;
};

extern const struct npurt_open_ops npurt_sys_open_ops;

/*
 * Claim what @spec (parsed from @text) names on @sys. On failure nothing
 * stays open. Return: 0, -ENODEV, -EBUSY, -EXDEV, -ENOSPC.
 */
int npurt_spec_resolve(const char *text, const struct npurt_spec *spec,
		       const struct npurt_sys *sys,
		       const struct npurt_open_ops *ops,
		       struct npurt_claims *claims);
void npurt_claims_release(struct npurt_claims *claims,
			  const struct npurt_open_ops *ops);
unsigned int npurt_online_cpus(void);

/* ---- backends ---- */

/* npu_backend.c: takes @fd over (closed on failure too). */
int npurt_npu_device_init(npurt_device *dev, int fd,
			  const struct npurt_node_info *node);
/* cpu_backend.c */
/* CPU: the op-kernel variant (enum npu_isa) the pool runs. */
uint32_t npurt_cpu_isa(const npurt_device *dev);

/*
 * CPU: whether @dev measures where splitting pays ($NPURT_CPU_TUNE, on by
 * default); the way to run the next run of what @t measures, 1 alone or 2
 * split, *@way getting 0 or 1 when that run is to be timed (alone, split)
 * and -1 otherwise; and a timed run's @ns.
 */
bool npurt_cpu_tunes(const npurt_device *dev);
unsigned int npurt_split_tune_next(struct npurt_split_tune *t, int *way);
void npurt_split_tune_record(struct npurt_split_tune *t, int way,
			     uint64_t ns);
int npurt_cpu_device_init(npurt_device *dev, unsigned int threads,
			  int numa_node);
/* gpu_backend.c: -ENODEV with the reason when CUDA device @ordinal is not
 * usable (no driver, no such device, no NVRTC and no cached kernels). */
int npurt_gpu_device_init(npurt_device *dev, unsigned int ordinal);
/*
 * Compile the GPU kernels for sm_@ccmaj@ccmin with NVRTC into the
 * compile cache, as a GPU's first use would (no GPU needed); the cache
 * file's path in @path.
 */
int npurt_gpu_precompile(int ccmaj, int ccmin, char *path, size_t len);
/* GPU: the host shadow of @mem (from its mem_alloc) copied to the device. */
int npurt_gpu_upload(npurt_device *dev, const struct npurt_mem *mem);
/*
 * GPU: zeroed page-locked host memory, no device memory
 * (NPURT_MEM_GPU_HOST): a tensor of the GPU, which runs copy to and from
 * their own device buffers by DMA. -ENOMEM when the driver refuses.
 */
int npurt_gpu_host_alloc(npurt_device *dev, uint64_t size,
			 struct npurt_mem *mem);
void npurt_gpu_host_free(npurt_device *dev, struct npurt_mem *mem);

/* Memory of @dev: buffer objects for NPUs, NUMA host memory for the CPU. */
static inline int npurt_dev_mem_alloc(npurt_device *dev, uint64_t size,
				      struct npurt_mem *mem)
{
	return dev->ops->mem_alloc(dev, size, mem);
}

static inline void npurt_dev_mem_free(npurt_device *dev,
				      struct npurt_mem *mem)
{
	if (mem->kind != NPURT_MEM_NONE)
		dev->ops->mem_free(dev, mem);
}

static inline bool npurt_dev_is_npu(const npurt_device *dev)
{
	return dev->info.kind == NPURT_DEVICE_NPU;
}

static inline bool npurt_dev_is_gpu(const npurt_device *dev)
{
	return dev->info.kind == NPURT_DEVICE_GPU;
}

#endif /* NPURT_DEVICE_H */
