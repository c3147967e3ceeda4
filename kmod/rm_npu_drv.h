/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rm_npu internal interfaces: the device model (devices, PEs, nodes, open
 * files, buffer objects) shared by the module's files.
 */
#ifndef _RM_NPU_DRV_H
#define _RM_NPU_DRV_H

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/platform_device.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <rm_npu.h>
#include "npu_ops.h"

#define RM_NPU_NAME		"rm_npu"
#define RM_NPU_ARCH		"warboy"
#define RM_NPU_MAX_DEVICES	16
#define RM_NPU_MAX_PES		8
#define RM_NPU_MAX_MEM_MIB	4096
/* Minors reserved per device: management, PEs, fused pairs, spare. */
#define RM_NPU_MINORS_PER_DEV	16
#define RM_NPU_MAX_BOS		65536
#define RM_NPU_MAX_CMDS		4096
#define RM_NPU_MAX_JOB_BOS	64
/* Jobs one file may have in flight; also the number of status records. */
#define RM_NPU_MAX_INFLIGHT	1024
/* Commands one file may have in flight: bounds the copies it pins. */
#define RM_NPU_MAX_INFLIGHT_CMDS	65536
/*
 * Operations (npu_cmd_ops()) one file may have in flight, beyond its
 * first job: bounds the PE time its queue holds (the watchdog bounds each
 * job's). About 20 minutes of the scalar kernels.
 */
#define RM_NPU_MAX_INFLIGHT_OPS		(1ULL << 40)
/* Small job allocations a file keeps for reuse (a batch's worth). */
#define RM_NPU_JOB_CACHE	64

/*
 * mmap offsets are page ranges handed out per file, never 0, below 2^44
 * bytes so that 32-bit processes (mmap2's 32-bit page offset) reach them.
 */
#define RM_NPU_MMAP_MIN_PGOFF		1UL
#define RM_NPU_MMAP_MAX_PGOFF		((1UL << 32) - 1)
#define RM_NPU_MAX_HANDLE		((1u << 20) - 1)

extern unsigned int rm_npu_num_devices;
extern unsigned int rm_npu_num_pes;
extern unsigned int rm_npu_mem_mib;
extern unsigned int rm_npu_job_timeout_ms;
extern u32 rm_npu_ops_isa;		/* enum npu_isa, resolved at load */

struct rm_npu_device;
struct rm_npu_file;
struct rm_npu_job;
struct rm_npu_part;

/*
 * A processing element and its engine. Ownership fields are protected by
 * ndev->lock; queue, busy, running and part by the PE's lock.
 */
struct rm_npu_pe {
	struct rm_npu_device *ndev;
	u32 index;
	struct rm_npu_file *owner;
	struct pid *owner_pid;

	struct task_struct *thread;
	spinlock_t lock;
	wait_queue_head_t wq;
	struct list_head queue;		/* FIFO of struct rm_npu_job */
	bool busy;			/* a job runs, on the thread or inline */
	struct rm_npu_job *running;
	struct rm_npu_part *part;	/* work posted by a fused partner */
	bool part_active;		/* running a partner's work */
	atomic64_t resets;

	/* The op engine's state of this PE's thread (rm_npu_engine.c). */
	struct npu_ops_ctx ops_ctx;
	void *ops_scratch;
	u64 cmd_seq;			/* ops_ctx.tag of each command run */

	/* Telemetry, filled by the engine. */
	atomic64_t busy_ns;
	atomic64_t jobs_completed;
	atomic64_t jobs_failed;
	atomic64_t bytes_moved;
	atomic64_t ops;
};

/* A character device node: management, one PE, or a fused pair. */
struct rm_npu_node {
	struct rm_npu_device *ndev;
	struct cdev cdev;
	struct device *dev;
	dev_t devt;
	u32 type;		/* RM_NPU_NODE_* */
	u32 pe_first;
	u32 pe_count;
};

struct rm_npu_device {
	struct platform_device *pdev;
	u32 index;
	u32 num_pes;
	u32 num_fused;
	int numa_node;
	uuid_t uuid;

	/* Set once at probe, read-only afterwards. */
	u32 fw_state;		/* RM_NPU_FW_* */
	u32 fw_version;
	u64 fw_caps;
	char fw_version_str[RM_NPU_VERSION_STR_LEN];

	u64 mem_total;
	atomic64_t mem_used;
	atomic_t bo_count;

	/* Serialises PE ownership changes. */
	struct mutex lock;

	struct rm_npu_pe pes[RM_NPU_MAX_PES];
	struct rm_npu_node mgmt;
	struct rm_npu_node pe_nodes[RM_NPU_MAX_PES];
	struct rm_npu_node fused_nodes[RM_NPU_MAX_PES / 2];
};

/* Status of a job, kept in a ring of RM_NPU_MAX_INFLIGHT per file. */
struct rm_npu_job_record {
	u64 id;
	bool retired;
	s32 result;
	u32 error_index;
	u64 duration_ns;
};

/*
 * One open file of a node. Jobs hold a reference, so the structure
 * outlives release() until the last job retired.
 */
struct rm_npu_file {
	struct kref ref;
	struct rm_npu_device *ndev;
	struct rm_npu_node *node;
	u64 client_id;		/* fdinfo drm-client-id: unique per open */
	/* Time its jobs ran on the node's first and second PE (fdinfo). */
	atomic64_t busy_ns[2];
	struct xarray bos;	/* handle -> struct rm_npu_bo */
	u32 next_handle;	/* cyclic allocation hint */
	atomic_t num_bos;
	struct maple_tree mmap_offsets;	/* page offset range -> bo */
	struct mutex bo_lock;		/* serialises mmap_offsets writers */

	/*
	 * Jobs: ids and records under @lock; ids count up from 1. A file's
	 * jobs retire one at a time in id order (they share one PE queue),
	 * so "job N retired" is @retired_upto >= N.
	 */
	spinlock_t lock;
	/*
	 * Held from choosing a SUBMIT's job ids to queueing the jobs, so that
	 * a job is built (and its fence made) with its final id.
	 */
	struct mutex submit_lock;
	u64 fence_context;
	u64 next_job_id;	/* last id issued; written under both locks */
	u64 retired_upto;	/* last id retired; read without @lock */
	u32 inflight;
	u32 inflight_cmds;
	u64 inflight_ops;
	struct list_head jobs;	/* unretired jobs, in id order */
	wait_queue_head_t idle_wq;
	wait_queue_head_t retire_wq;	/* WAIT: keyed by the retired id */
	struct rm_npu_job_record *records;
	/* Freed small job allocations kept for reuse (a LIFO, under @lock). */
	void *job_cache[RM_NPU_JOB_CACHE];
	u32 job_cached;
};

/*
 * A buffer object: device memory, modelled by zeroed pages of the device's
 * NUMA node, charged to the creator's memory cgroup, mapped contiguously
 * for the engines (@vaddr) and page by page into userspace mappings.
 */
struct rm_npu_bo {
	struct kref ref;
	struct rm_npu_device *ndev;
	void *vaddr;
	struct page **pages;
	u64 size;
	unsigned long mmap_pgoff;	/* first page of its mmap offset range */
};

/*
 * Why a request of @nfile was refused, for dynamic debug: one category
 * per area at the start of the line ("IOCTL:", "BO:", "SUBMIT:", "WAIT:"),
 * so that one area is enabled with
 *   echo 'module rm_npu format "SUBMIT:" +p' > .../dynamic_debug/control
 * Each line names the field and the value at fault.
 */
#define rm_npu_dbg(nfile, cat, fmt, ...)				\
	dev_dbg((nfile)->node->dev, #cat ": pid %d: " fmt,		\
		task_tgid_nr(current), ##__VA_ARGS__)

/* rm_npu_drv.c */
extern struct class *rm_npu_class;
dev_t rm_npu_devt(u32 dev_index, u32 minor_in_dev);

/* rm_npu_device.c */
extern struct platform_driver rm_npu_platform_driver;

/* rm_npu_fw.c */
void rm_npu_fw_load(struct rm_npu_device *ndev);

/* rm_npu_fops.c */
extern const struct file_operations rm_npu_fops;
void rm_npu_file_put(struct rm_npu_file *nfile);

/* rm_npu_job.c */
int rm_npu_submit_ioctl(struct rm_npu_file *nfile, void *data);
int rm_npu_submit_batch_ioctl(struct rm_npu_file *nfile, void *data);
int rm_npu_wait_ioctl(struct rm_npu_file *nfile, void *data);
int rm_npu_file_jobs_init(struct rm_npu_file *nfile);
void rm_npu_file_jobs_cancel(struct rm_npu_file *nfile);
void rm_npu_file_jobs_fini(struct rm_npu_file *nfile);

/* rm_npu_engine.c */
int rm_npu_engine_start(struct rm_npu_pe *pe);
void rm_npu_engine_stop(struct rm_npu_pe *pe);
void rm_npu_engine_kick(struct rm_npu_pe *pe);

/* rm_npu_debugfs.c */
void rm_npu_debugfs_init(void);
void rm_npu_debugfs_fini(void);
void rm_npu_debugfs_add(struct rm_npu_device *ndev);

/* rm_npu_bo.c */
int rm_npu_bo_create_ioctl(struct rm_npu_file *nfile, void *data);
int rm_npu_bo_info_ioctl(struct rm_npu_file *nfile, void *data);
int rm_npu_bo_mmap_ioctl(struct rm_npu_file *nfile, void *data);
int rm_npu_bo_close_ioctl(struct rm_npu_file *nfile, void *data);
int rm_npu_bo_mmap(struct rm_npu_file *nfile, struct vm_area_struct *vma);
struct rm_npu_bo *rm_npu_bo_lookup(struct rm_npu_file *nfile, u32 handle);
void rm_npu_bo_put(struct rm_npu_bo *bo);
void rm_npu_bo_release_all(struct rm_npu_file *nfile);

/* rm_npu_sysfs.c */
extern const struct attribute_group *rm_npu_mgmt_groups[];
extern const struct attribute_group *rm_npu_pe_groups[];
extern const struct attribute_group *rm_npu_fused_groups[];

#endif /* _RM_NPU_DRV_H */
