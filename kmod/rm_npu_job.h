/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rm_npu jobs: what the submit path hands to the PE engines, and the work
 * a fused leader posts to its partner PE.
 */
#ifndef _RM_NPU_JOB_H
#define _RM_NPU_JOB_H

#include <linux/completion.h>
#include <linux/dma-fence.h>
#include <linux/list.h>
#include <linux/sync_file.h>

#include "rm_npu_drv.h"

struct rm_npu_job {
	struct rm_npu_file *nfile;	/* reference held */
	struct rm_npu_pe *pe;		/* leader: owns the queue */
	struct rm_npu_pe *partner;	/* second PE of a fused node, or NULL */
	struct list_head queue_link;	/* in pe->queue */
	struct list_head file_link;	/* in nfile->jobs */
	u64 id;
	/* Signalled at retire; only jobs with an out-fence have one. */
	struct dma_fence *fence;
	struct dma_fence *in_fence;	/* ordering dependency, or NULL */
	struct dma_fence_cb in_cb;
	bool in_cb_armed;
	/* The submitter waits for it: it may run inline whatever its size. */
	bool caller_waits;
	/* Running in the submitting thread: a fatal signal cancels it. */
	bool in_caller;
	bool ran;			/* a chunk ran: the watchdog looks */
	bool small;			/* a RM_NPU_JOB_SMALL_SIZE allocation */
	atomic_t cancel;		/* file closing: stop at the next chunk */
	atomic_t split_failed;		/* a half of the split command failed */
	u64 deadline_ns;		/* watchdog, local_clock() based */
	u64 total_ops;

	int result;
	u32 error_index;
	u64 duration_ns;
	u64 end_ns;			/* ktime_get_ns() when it ended */

	u32 num_cmds;
	u32 num_bos;			/* references held in @bos */
	/*
	 * In the job's own allocation, after @cmds, sized for this job:
	 * @num_bos entries each (filled as the handles are looked up).
	 */
	struct rm_npu_bo **bos;
	u8 **bo_base;
	u64 *bo_size;
	struct rm_npu_cmd cmds[];
};

/* Units [begin, end) of one command, run by the partner PE's thread. */
struct rm_npu_part {
	struct rm_npu_job *job;
	const struct rm_npu_cmd *cmd;
	u64 begin;
	u64 end;
	u64 chunk;
	int result;
	struct completion done;
};

/* What a SUBMIT being prepared holds besides its arguments. */
struct rm_npu_submit_slot {
	struct sync_file *sync_file;	/* out-fence to install, or NULL */
	struct rm_npu_job *job;		/* until queued (or run inline) */
};

/* SUBMIT's argument, with what must survive until the copy back. */
struct rm_npu_submit_karg {
	struct rm_npu_submit args;	/* first: the dispatcher copies it */
	struct rm_npu_submit_slot slot;
};

/*
 * Jobs whose allocation fits this many bytes (a few commands and buffers)
 * get one of this size, recycled through their file's cache.
 */
#define RM_NPU_JOB_SMALL_SIZE	1024

/* SUBMIT_BATCH's most jobs per call (rm_npu_info.max_batch_jobs). */
#define RM_NPU_MAX_BATCH_JOBS	256
/* Largest element size SUBMIT_BATCH accepts (a grown rm_npu_submit). */
#define RM_NPU_MAX_BATCH_JOB_SIZE	4096

/* Jobs up to this many operations run inline in the submitting thread. */
#define RM_NPU_INLINE_MAX_OPS	(64 * 1024)
/* Commands from this many operations are split across a fused pair. */
#define RM_NPU_SPLIT_MIN_OPS	(256 * 1024)

bool rm_npu_job_ready(struct rm_npu_job *job);
void rm_npu_job_execute(struct rm_npu_job *job);
void rm_npu_job_retire(struct rm_npu_job *job);
void rm_npu_engine_finish(struct rm_npu_pe *pe, struct rm_npu_job *job);
void rm_npu_engine_run_claimed(struct rm_npu_pe *pe, struct list_head *jobs);
void rm_npu_submit_commit(struct rm_npu_file *nfile, void *data, bool copied);

#endif /* _RM_NPU_JOB_H */
