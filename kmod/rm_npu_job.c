// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu job submission: copying and validating command streams, fences
 * (dma_fence, sync_file in and out), job status records and waiting, and
 * cancelling a closing file's jobs.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/overflow.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include "rm_npu_job.h"
#include "npu_ops.h"

/* --- Fences ----------------------------------------------------------- */

/*
 * Each fence pins the module: a sync_file may outlive every open file, and
 * the fence's ops live in module text.
 */
struct rm_npu_fence {
	struct dma_fence base;		/* first: dma_fence_free() frees it */
	spinlock_t lock;
};

static const char *rm_npu_fence_driver_name(struct dma_fence *fence)
{
	return RM_NPU_NAME;
}

static const char *rm_npu_fence_timeline_name(struct dma_fence *fence)
{
	return "pe-queue";
}

/*
 * The module reference is dropped last; what remains is the return into
 * module text, the same window every module_put() in a release has.
 */
static void rm_npu_fence_release(struct dma_fence *fence)
{
	dma_fence_free(fence);
	module_put(THIS_MODULE);
}

static const struct dma_fence_ops rm_npu_fence_ops = {
	.get_driver_name = rm_npu_fence_driver_name,
	.get_timeline_name = rm_npu_fence_timeline_name,
	.release = rm_npu_fence_release,
};

static struct dma_fence *rm_npu_fence_create(u64 context)
{
	struct rm_npu_fence *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return NULL;
	__module_get(THIS_MODULE);
	spin_lock_init(&f->lock);
	/* The seqno becomes the job id when the job is queued. */
	dma_fence_init(&f->base, &rm_npu_fence_ops, &f->lock, context, 0);
	return &f->base;
}

/* --- Per-file job state ------------------------------------------------ */

int rm_npu_file_jobs_init(struct rm_npu_file *nfile)
{
	spin_lock_init(&nfile->lock);
	INIT_LIST_HEAD(&nfile->jobs);
	init_waitqueue_head(&nfile->idle_wq);
	nfile->fence_context = dma_fence_context_alloc(1);
	nfile->records = kvcalloc(RM_NPU_MAX_INFLIGHT,
				  sizeof(*nfile->records), GFP_KERNEL_ACCOUNT);
	return nfile->records ? 0 : -ENOMEM;
}

static bool rm_npu_file_idle(struct rm_npu_file *nfile)
{
	bool idle;

	spin_lock(&nfile->lock);
	idle = list_empty(&nfile->jobs);
	spin_unlock(&nfile->lock);
	return idle;
}

/*
 * Called from release(): every job of the file stops at its next chunk (or
 * without running), in order, failing with -ECANCELED. Returns once all
 * retired, so the file's buffers and PEs are free when close() returns.
 */
void rm_npu_file_jobs_cancel(struct rm_npu_file *nfile)
{
	struct rm_npu_job *job;
	struct rm_npu_pe *leader = NULL;

	spin_lock(&nfile->lock);
	list_for_each_entry(job, &nfile->jobs, file_link) {
		atomic_set(&job->cancel, 1);
		leader = job->pe;
	}
	spin_unlock(&nfile->lock);

	if (leader)
		rm_npu_engine_kick(leader);
	wait_event(nfile->idle_wq, rm_npu_file_idle(nfile));
}

void rm_npu_file_jobs_fini(struct rm_npu_file *nfile)
{
	kvfree(nfile->records);
}

/* --- Jobs --------------------------------------------------------------- */

/* Drops what the job holds of the file: buffers, commands, its in-fence. */
static void rm_npu_job_release_resources(struct rm_npu_job *job)
{
	u32 i;

	if (job->in_fence) {
		if (job->in_cb_armed)
			dma_fence_remove_callback(job->in_fence, &job->in_cb);
		dma_fence_put(job->in_fence);
		job->in_fence = NULL;
	}
	for (i = 0; i < job->num_bos; i++) {
		if (job->bos[i])
			rm_npu_bo_put(job->bos[i]);
		job->bos[i] = NULL;
	}
	kvfree(job->cmds);
	job->cmds = NULL;
}

static void rm_npu_job_free(struct rm_npu_job *job)
{
	rm_npu_job_release_resources(job);
	if (job->fence)
		dma_fence_put(job->fence);
	if (job->nfile)
		rm_npu_file_put(job->nfile);
	kfree(job);
}

bool rm_npu_job_ready(struct rm_npu_job *job)
{
	return !job->in_fence || atomic_read(&job->cancel) ||
	       dma_fence_is_signaled(job->in_fence);
}

static void rm_npu_job_in_fence_cb(struct dma_fence *fence,
				   struct dma_fence_cb *cb)
{
	struct rm_npu_job *job = container_of(cb, struct rm_npu_job, in_cb);

	rm_npu_engine_kick(job->pe);
}

/*
 * Drops the job's buffers, records its status and leaves the in-flight
 * count, signals its fence, and only then leaves the file's job list. So
 * once WAIT or the fence reports a job retired, its buffers are released
 * and it no longer counts against the in-flight caps; and release() waits
 * for that list to empty, so close() returns with the device memory given
 * back and every fence signalled. Called with the PE still marked busy, so
 * a file's fences signal in id order.
 */
void rm_npu_job_retire(struct rm_npu_job *job)
{
	struct rm_npu_file *nfile = job->nfile;
	struct rm_npu_job_record *rec;
	struct dma_fence *rec_fence = NULL;

	rm_npu_job_release_resources(job);

	spin_lock(&nfile->lock);
	rec = &nfile->records[job->id % RM_NPU_MAX_INFLIGHT];
	rec->retired = true;
	rec->result = job->result;
	rec->error_index = job->error_index;
	rec->duration_ns = job->duration_ns;
	nfile->inflight--;
	nfile->inflight_cmds -= job->num_cmds;
	spin_unlock(&nfile->lock);

	dev_dbg(nfile->node->dev, "job %llu end: %d (cmd %d) %llu ns\n",
		job->id, job->result, (int)job->error_index, job->duration_ns);
	if (job->result)
		dma_fence_set_error(job->fence, job->result);
	dma_fence_signal(job->fence);

	spin_lock(&nfile->lock);
	/* A later job may already own the record (the count dropped above). */
	if (rec->id == job->id) {
		rec_fence = rec->fence;
		rec->fence = NULL;
	}
	list_del(&job->file_link);
	if (list_empty(&nfile->jobs))
		wake_up_all(&nfile->idle_wq);
	spin_unlock(&nfile->lock);

	dma_fence_put(rec_fence);
	rm_npu_job_free(job);
}

static int rm_npu_job_lookup_bos(struct rm_npu_file *nfile,
				 struct rm_npu_job *job, u64 uptr)
{
	u32 handles[RM_NPU_MAX_JOB_BOS];
	u32 i, j;

	if (!job->num_bos)
		return 0;
	if (copy_from_user(handles, u64_to_user_ptr(uptr),
			   job->num_bos * sizeof(handles[0])))
		return -EFAULT;

	/* One buffer per index: overlap checks reason about indexes. */
	for (i = 0; i < job->num_bos; i++)
		for (j = 0; j < i; j++)
			if (handles[i] == handles[j])
				return -EINVAL;

	for (i = 0; i < job->num_bos; i++) {
		struct rm_npu_bo *bo = rm_npu_bo_lookup(nfile, handles[i]);

		if (!bo)
			return -ENOENT;
		job->bos[i] = bo;
		job->bo_base[i] = bo->vaddr;
	}
	return 0;
}

static int rm_npu_job_validate(struct rm_npu_file *nfile,
			       struct rm_npu_job *job, u32 *error_index)
{
	u64 sizes[RM_NPU_MAX_JOB_BOS];
	u32 i;
	int ret;

	for (i = 0; i < job->num_bos; i++)
		sizes[i] = job->bos[i]->size;

	for (i = 0; i < job->num_cmds; i++) {
		ret = npu_cmd_validate(&job->cmds[i], sizes, job->num_bos,
				       nfile->ndev->fw_caps);
		if (ret) {
			*error_index = i;
			return ret;
		}
		job->total_ops = size_add(job->total_ops,
					  npu_cmd_ops(&job->cmds[i]));
	}
	return 0;
}

/*
 * Issues the job's id and queues it, or claims the idle PE so the caller
 * runs it inline (*run_inline). Ids are issued in queue order, so a file's
 * jobs retire in id order. Unless inline, the job may be retired and freed
 * as soon as this returns: the caller must not touch it.
 */
static int rm_npu_job_enqueue(struct rm_npu_file *nfile,
			      struct rm_npu_job *job, u64 *id, bool *run_inline,
			      struct dma_fence **old_fence)
{
	struct rm_npu_pe *pe = job->pe;
	struct rm_npu_job_record *rec;

	*old_fence = NULL;
	spin_lock(&nfile->lock);
	if (nfile->inflight >= RM_NPU_MAX_INFLIGHT ||
	    nfile->inflight_cmds + job->num_cmds > RM_NPU_MAX_INFLIGHT_CMDS) {
		spin_unlock(&nfile->lock);
		return -EAGAIN;
	}
	job->id = ++nfile->next_job_id;
	*id = job->id;
	/* Not yet visible to anyone: the sync_file fd is not installed. */
	job->fence->seqno = job->id;
	rec = &nfile->records[job->id % RM_NPU_MAX_INFLIGHT];
	/* The job that had the record retired but may still hold its fence. */
	*old_fence = rec->fence;
	rec->id = job->id;
	rec->retired = false;
	rec->fence = dma_fence_get(job->fence);
	list_add_tail(&job->file_link, &nfile->jobs);
	nfile->inflight++;
	nfile->inflight_cmds += job->num_cmds;

	spin_lock(&pe->lock);
	*run_inline = list_empty(&pe->queue) && !pe->busy &&
		      job->total_ops <= RM_NPU_INLINE_MAX_OPS &&
		      rm_npu_job_ready(job);
	if (*run_inline) {
		pe->busy = true;
		pe->running = job;
	} else {
		list_add_tail(&job->queue_link, &pe->queue);
	}
	spin_unlock(&pe->lock);
	spin_unlock(&nfile->lock);
	return 0;
}

static int rm_npu_submit_check(const struct rm_npu_submit *args)
{
	if (args->flags & ~RM_NPU_SUBMIT_FLAGS || args->pad)
		return -EINVAL;
	if (args->cmd_size != sizeof(struct rm_npu_cmd))
		return -EINVAL;
	if (!(args->flags & RM_NPU_SUBMIT_IN_FENCE) && args->in_fence_fd)
		return -EINVAL;
	if (!args->num_cmds || args->num_cmds > RM_NPU_MAX_CMDS ||
	    args->num_bos > RM_NPU_MAX_JOB_BOS)
		return -EINVAL;
	return 0;
}

/* Builds a validated job from the arguments; nothing is queued yet. */
static int rm_npu_job_create(struct rm_npu_file *nfile,
			     struct rm_npu_submit *args, struct rm_npu_job **out)
{
	struct rm_npu_node *node = nfile->node;
	struct rm_npu_job *job;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL_ACCOUNT);
	if (!job)
		return -ENOMEM;
	kref_get(&nfile->ref);
	job->nfile = nfile;
	job->pe = &nfile->ndev->pes[node->pe_first];
	if (node->pe_count == 2)
		job->partner = &nfile->ndev->pes[node->pe_first + 1];
	job->error_index = RM_NPU_NO_INDEX;
	job->num_bos = args->num_bos;
	job->num_cmds = args->num_cmds;
	atomic_set(&job->cancel, 0);

	ret = rm_npu_job_lookup_bos(nfile, job, args->bo_handles);
	if (ret)
		goto err_free_job;

	job->cmds = kvmalloc_array(job->num_cmds, sizeof(*job->cmds),
				   GFP_KERNEL_ACCOUNT);
	if (!job->cmds) {
		ret = -ENOMEM;
		goto err_free_job;
	}
	if (copy_from_user(job->cmds, u64_to_user_ptr(args->cmds),
			   job->num_cmds * sizeof(*job->cmds))) {
		ret = -EFAULT;
		goto err_free_job;
	}

	ret = rm_npu_job_validate(nfile, job, &args->error_index);
	if (ret)
		goto err_free_job;

	job->fence = rm_npu_fence_create(nfile->fence_context);
	if (!job->fence) {
		ret = -ENOMEM;
		goto err_free_job;
	}

	if (args->flags & RM_NPU_SUBMIT_IN_FENCE) {
		job->in_fence = sync_file_get_fence(args->in_fence_fd);
		if (!job->in_fence) {
			ret = -EINVAL;
			goto err_free_job;
		}
	}
	*out = job;
	return 0;

err_free_job:
	rm_npu_job_free(job);
	return ret;
}

int rm_npu_submit_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_submit_karg *karg = data;
	struct rm_npu_submit *args = &karg->args;
	struct rm_npu_pe *pe = &nfile->ndev->pes[nfile->node->pe_first];
	struct dma_fence *old_fence;
	struct sync_file *sync_file = NULL;
	struct rm_npu_job *job;
	int out_fd = -1;
	bool run_inline;
	u64 id;
	int ret;

	karg->sync_file = NULL;
	args->error_index = RM_NPU_NO_INDEX;
	args->out_fence_fd = -1;
	args->job_id = 0;
	ret = rm_npu_submit_check(args);
	if (ret)
		return ret;

	ret = rm_npu_job_create(nfile, args, &job);
	if (ret)
		return ret;

	if (args->flags & RM_NPU_SUBMIT_OUT_FENCE) {
		out_fd = get_unused_fd_flags(O_CLOEXEC);
		if (out_fd < 0) {
			ret = out_fd;
			goto err_free_job;
		}
		sync_file = sync_file_create(job->fence);
		if (!sync_file) {
			ret = -ENOMEM;
			goto err_put_fd;
		}
	}

	/* Armed before queueing: the job may retire as soon as it is queued. */
	if (job->in_fence) {
		ret = dma_fence_add_callback(job->in_fence, &job->in_cb,
					     rm_npu_job_in_fence_cb);
		job->in_cb_armed = !ret;
	}

	dev_dbg(nfile->node->dev, "submit: %u cmds, %u bufs, %llu ops\n",
		job->num_cmds, job->num_bos, job->total_ops);
	ret = rm_npu_job_enqueue(nfile, job, &id, &run_inline, &old_fence);
	if (ret)
		goto err_put_sync_file;
	dma_fence_put(old_fence);

	if (run_inline) {
		rm_npu_job_execute(job);
		rm_npu_engine_finish(pe, job);
	} else {
		rm_npu_engine_kick(pe);
	}

	/* The fd is installed by rm_npu_submit_commit() once copied out. */
	karg->sync_file = sync_file;
	args->out_fence_fd = out_fd;
	args->job_id = id;
	return 0;

err_put_sync_file:
	if (sync_file)
		fput(sync_file->file);
err_put_fd:
	if (out_fd >= 0)
		put_unused_fd(out_fd);
err_free_job:
	rm_npu_job_free(job);
	return ret;
}

/*
 * Runs after the arguments were copied back: installs the out-fence fd, or
 * discards it when userspace could not learn its number.
 */
void rm_npu_submit_commit(struct rm_npu_file *nfile, void *data, bool copied)
{
	struct rm_npu_submit_karg *karg = data;

	if (!karg->sync_file)
		return;
	if (copied) {
		fd_install(karg->args.out_fence_fd, karg->sync_file->file);
	} else {
		fput(karg->sync_file->file);
		put_unused_fd(karg->args.out_fence_fd);
	}
}

/*
 * Looks job args->job_id up; false when its record was overwritten. With
 * @fence, returns a reference to the job's fence while it may still be
 * unsignalled (the record drops it only after the signal), else copies the
 * status of the retired job. Without @fence (after waiting on it), copies
 * the status; -EIO if the job is unexpectedly not retired.
 */
static bool rm_npu_record_read(struct rm_npu_file *nfile,
			       struct rm_npu_wait *args,
			       struct dma_fence **fence, int *err)
{
	struct rm_npu_job_record *rec;
	bool found;

	*err = 0;
	spin_lock(&nfile->lock);
	rec = &nfile->records[args->job_id % RM_NPU_MAX_INFLIGHT];
	found = rec->id == args->job_id;
	if (found && fence && rec->fence) {
		*fence = dma_fence_get(rec->fence);
	} else if (found && !rec->retired) {
		*err = -EIO;
	} else if (found) {
		args->result = rec->result;
		args->error_index = rec->error_index;
		args->duration_ns = rec->duration_ns;
	}
	spin_unlock(&nfile->lock);
	return found;
}

int rm_npu_wait_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_wait *args = data;
	struct dma_fence *fence = NULL;
	unsigned long timeout;
	long ret;
	int err;

	if (args->flags || args->pad)
		return -EINVAL;
	args->result = 0;
	args->error_index = RM_NPU_NO_INDEX;
	args->duration_ns = 0;

	spin_lock(&nfile->lock);
	ret = !args->job_id || args->job_id > nfile->next_job_id;
	spin_unlock(&nfile->lock);
	if (ret)
		return -ENOENT;

	if (!rm_npu_record_read(nfile, args, &fence, &err))
		return -ENODATA;
	if (!fence)
		return err;

	if (args->timeout_ns < 0)
		timeout = MAX_SCHEDULE_TIMEOUT;
	else
		timeout = min_t(u64, nsecs_to_jiffies64(args->timeout_ns) +
				(args->timeout_ns ? 1 : 0),
				MAX_SCHEDULE_TIMEOUT - 1);
	ret = dma_fence_wait_timeout(fence, true, timeout);
	dma_fence_put(fence);
	if (ret < 0)
		return -EINTR;
	if (ret == 0)
		return -ETIMEDOUT;

	/* Signalled fences belong to retired records. */
	if (!rm_npu_record_read(nfile, args, NULL, &err))
		return -ENODATA;
	WARN_ON_ONCE(err);
	return err;
}
