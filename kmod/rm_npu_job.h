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
	struct dma_fence *fence;	/* signalled at retire; reference held */
	struct dma_fence *in_fence;	/* ordering dependency, or NULL */
	struct dma_fence_cb in_cb;
	bool in_cb_armed;
	atomic_t cancel;		/* file closing: stop at the next chunk */
	u64 deadline_ns;		/* watchdog, ktime_get_ns() based */

	struct rm_npu_cmd *cmds;
	u32 num_cmds;
	u32 num_bos;
	struct rm_npu_bo *bos[RM_NPU_MAX_JOB_BOS];
	u8 *bo_base[RM_NPU_MAX_JOB_BOS];
	u64 total_ops;

	int result;
	u32 error_index;
	u64 duration_ns;
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

/* SUBMIT's argument, with what must survive until the copy back. */
struct rm_npu_submit_karg {
	struct rm_npu_submit args;	/* first: the dispatcher copies it */
	struct sync_file *sync_file;	/* out-fence to install, or NULL */
};

/* Jobs up to this many operations run inline in the submitting thread. */
#define RM_NPU_INLINE_MAX_OPS	(64 * 1024)
/* Commands from this many operations are split across a fused pair. */
#define RM_NPU_SPLIT_MIN_OPS	(256 * 1024)

bool rm_npu_job_ready(struct rm_npu_job *job);
void rm_npu_job_execute(struct rm_npu_job *job);
void rm_npu_job_retire(struct rm_npu_job *job);
void rm_npu_engine_finish(struct rm_npu_pe *pe, struct rm_npu_job *job);
void rm_npu_submit_commit(struct rm_npu_file *nfile, void *data, bool copied);

#endif /* _RM_NPU_JOB_H */
