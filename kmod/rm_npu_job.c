// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu job submission: copying and validating command streams, one job
 * or a batch per call, fences (dma_fence, sync_file in and out), job
 * status records and waiting, and cancelling a closing file's jobs.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/overflow.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "rm_npu_job.h"
#include "rm_npu_trace.h"
#include "npu_ops.h"

/* --- Fences ----------------------------------------------------------- */

/*
 * Each fence pins the module: a sync_file may outlive every open file, and
 * the fence's ops live in module text.
 */
struct rm_npu_fence {
	struct dma_fence base;		/* first: dma_fence_free() frees it */
	spinlock_t lock;
	const char *timeline;		/* the node's name: lives as the module */
};

static const char *rm_npu_fence_driver_name(struct dma_fence *fence)
{
	return RM_NPU_NAME;
}

/* One timeline per open file (its fence context), named by its node. */
static const char *rm_npu_fence_timeline_name(struct dma_fence *fence)
{
	return container_of(fence, struct rm_npu_fence, base)->timeline;
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
	/* Seqnos are job ids, u64. */
	.use_64bit_seqno = true,
	.get_driver_name = rm_npu_fence_driver_name,
	.get_timeline_name = rm_npu_fence_timeline_name,
	.release = rm_npu_fence_release,
};

/* The fence of job @id of @nfile: its seqno is the id. */
static struct dma_fence *rm_npu_fence_create(struct rm_npu_file *nfile, u64 id)
{
	struct rm_npu_fence *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return NULL;
	__module_get(THIS_MODULE);
	spin_lock_init(&f->lock);
	f->timeline = dev_name(nfile->node->dev);
	dma_fence_init(&f->base, &rm_npu_fence_ops, &f->lock,
		       nfile->fence_context, id);
	return &f->base;
}

/* --- Per-file job state ------------------------------------------------ */

int rm_npu_file_jobs_init(struct rm_npu_file *nfile)
{
	spin_lock_init(&nfile->lock);
	mutex_init(&nfile->submit_lock);
	INIT_LIST_HEAD(&nfile->jobs);
	init_waitqueue_head(&nfile->idle_wq);
	init_waitqueue_head(&nfile->retire_wq);
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
	while (nfile->job_cached)
		kfree(nfile->job_cache[--nfile->job_cached]);
	kvfree(nfile->records);
	mutex_destroy(&nfile->submit_lock);
}

/* --- Waiting for jobs to retire ---------------------------------------- */

static bool rm_npu_job_retired(struct rm_npu_file *nfile, u64 id)
{
	/* Pairs with the release in rm_npu_job_retire(). */
	return smp_load_acquire(&nfile->retired_upto) >= id;
}

/*
 * A WAIT sleeping for one job. Retirement wakes the queue with the retired
 * id as key, and jobs retire in id order, so only the waiters of that job
 * and earlier ones wake: threads sharing a file do not wake each other.
 */
struct rm_npu_retire_waiter {
	struct wait_queue_entry entry;
	u64 id;
};

static int rm_npu_retire_wake(struct wait_queue_entry *entry,
			      unsigned int mode, int sync, void *key)
{
	struct rm_npu_retire_waiter *w =
		container_of(entry, struct rm_npu_retire_waiter, entry);

	if (*(const u64 *)key < w->id)
		return 0;
	return autoremove_wake_function(entry, mode, sync, key);
}

/* No deadline: wait until the job retires. */
#define RM_NPU_NO_DEADLINE	U64_MAX

/*
 * Sleeps until job @id of @nfile retired: 0, -ETIMEDOUT once ktime_get_ns()
 * reaches @deadline (RM_NPU_NO_DEADLINE: never; one already past polls),
 * -ERESTARTSYS on a signal: the deadline is absolute, so a restarted call
 * waits no longer than the first would have.
 */
static int rm_npu_wait_retired(struct rm_npu_file *nfile, u64 id,
			       u64 deadline)
{
	struct rm_npu_retire_waiter w = { .id = id };
	long timeout;
	u64 now;
	int ret = 0;

	init_wait(&w.entry);
	w.entry.func = rm_npu_retire_wake;
	for (;;) {
		prepare_to_wait(&nfile->retire_wq, &w.entry,
				TASK_INTERRUPTIBLE);
		if (rm_npu_job_retired(nfile, id))
			break;
		timeout = MAX_SCHEDULE_TIMEOUT;
		if (deadline != RM_NPU_NO_DEADLINE) {
			now = ktime_get_ns();
			if (now >= deadline) {
				ret = -ETIMEDOUT;
				break;
			}
			/* Rounded up: never wake before the deadline. */
			timeout = min_t(u64,
					nsecs_to_jiffies64(deadline - now) + 1,
					MAX_SCHEDULE_TIMEOUT - 1);
		}
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		schedule_timeout(timeout);
	}
	finish_wait(&nfile->retire_wq, &w.entry);
	return ret;
}

/* --- Jobs --------------------------------------------------------------- */

/* Drops what the job holds of the file: buffers, its in-fence. */
static void rm_npu_job_release_resources(struct rm_npu_job *job)
{
	u32 i;

	if (job->in_fence) {
		if (job->in_cb_armed)
			dma_fence_remove_callback(job->in_fence, &job->in_cb);
		dma_fence_put(job->in_fence);
		job->in_fence = NULL;
	}
	for (i = 0; i < job->num_bos; i++)
		rm_npu_bo_put(job->bos[i]);
	job->num_bos = 0;
}

/*
 * A job with room for @num_cmds commands and @num_bos buffers, its header
 * zeroed (the arrays are filled as far as num_cmds and num_bos go). Small
 * ones come from the file's cache when it has one: allocating, charging
 * and zero-initialising a fresh one is a good part of a small job's cost.
 */
static struct rm_npu_job *rm_npu_job_alloc(struct rm_npu_file *nfile,
					   u32 num_cmds, u32 num_bos)
{
	struct rm_npu_job *job = NULL;
	size_t size = sizeof(*job) + num_cmds * sizeof(job->cmds[0]);
	size_t bos_size = num_bos * (sizeof(*job->bos) +
				     sizeof(*job->bo_base) +
				     sizeof(*job->bo_size));
	bool small = size + bos_size <= RM_NPU_JOB_SMALL_SIZE;

	if (small) {
		spin_lock(&nfile->lock);
		if (nfile->job_cached)
			job = nfile->job_cache[--nfile->job_cached];
		spin_unlock(&nfile->lock);
	}
	if (!job)
		job = kvmalloc(small ? RM_NPU_JOB_SMALL_SIZE : size + bos_size,
			       GFP_KERNEL_ACCOUNT);
	if (!job)
		return NULL;
	memset(job, 0, sizeof(*job));
	job->small = small;
	job->bo_size = (u64 *)((u8 *)job + size);
	job->bos = (struct rm_npu_bo **)(job->bo_size + num_bos);
	job->bo_base = (u8 **)(job->bos + num_bos);
	return job;
}

/* Keeps a small job's memory for reuse, under nfile->lock. */
static bool rm_npu_job_cache_put(struct rm_npu_file *nfile,
				 struct rm_npu_job *job)
{
	if (!job->small || nfile->job_cached == RM_NPU_JOB_CACHE)
		return false;
	nfile->job_cache[nfile->job_cached++] = job;
	return true;
}

static void rm_npu_job_free(struct rm_npu_job *job)
{
	struct rm_npu_file *nfile = job->nfile;
	bool cached;

	rm_npu_job_release_resources(job);
	if (job->fence)
		dma_fence_put(job->fence);
	spin_lock(&nfile->lock);
	cached = rm_npu_job_cache_put(nfile, job);
	spin_unlock(&nfile->lock);
	if (!cached)
		kvfree(job);
	rm_npu_file_put(nfile);
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

/* Takes @job off the file's list, under nfile->lock. */
static void rm_npu_job_unlist(struct rm_npu_file *nfile,
			      struct rm_npu_job *job)
{
	list_del(&job->file_link);
	/*
	 * release() adds itself to idle_wq before it checks the list under
	 * nfile->lock, which we hold: a sleeper cannot be missed here.
	 */
	if (list_empty(&nfile->jobs) && waitqueue_active(&nfile->idle_wq))
		wake_up_all(&nfile->idle_wq);
}

/*
 * Drops the job's buffers, records its status and leaves the in-flight
 * count, wakes its WAITs, signals its fence if it has one, and only then
 * leaves the file's job list. So once WAIT or the fence reports a job
 * retired, its buffers are released and it no longer counts against the
 * in-flight caps; and release() waits for that list to empty, so close()
 * returns with the device memory given back and every fence signalled.
 * Called with the PE still marked busy, so a file's jobs retire one at a
 * time, in id order.
 */
void rm_npu_job_retire(struct rm_npu_job *job)
{
	struct rm_npu_file *nfile = job->nfile;
	struct rm_npu_job_record *rec;
	u64 id = job->id;
	bool freed = false;

	rm_npu_job_release_resources(job);
	dev_dbg(nfile->node->dev, "job %llu end: %d (cmd %d) %llu ns\n",
		id, job->result, (int)job->error_index, job->duration_ns);
	trace_rm_npu_job_done(job);

	spin_lock(&nfile->lock);
	rec = &nfile->records[id % RM_NPU_MAX_INFLIGHT];
	rec->retired = true;
	rec->result = job->result;
	rec->error_index = job->error_index;
	rec->duration_ns = job->duration_ns;
	nfile->inflight--;
	nfile->inflight_cmds -= job->num_cmds;
	nfile->inflight_ops -= job->total_ops;
	/* The record is complete before anyone sees the job retired. */
	smp_store_release(&nfile->retired_upto, id);
	if (!job->fence) {
		rm_npu_job_unlist(nfile, job);
		/* Nothing left to drop but the memory: keep it, or free it. */
		freed = rm_npu_job_cache_put(nfile, job);
	}
	spin_unlock(&nfile->lock);

	if (wq_has_sleeper(&nfile->retire_wq))
		__wake_up(&nfile->retire_wq, TASK_NORMAL, 0, &id);
	if (freed) {
		rm_npu_file_put(nfile);
		return;
	}

	if (job->fence) {
		if (job->result)
			dma_fence_set_error(job->fence, job->result);
		/* The job's end, already read: no second clock reading. */
		dma_fence_signal_timestamp(job->fence,
					   ns_to_ktime(job->end_ns));
		spin_lock(&nfile->lock);
		rm_npu_job_unlist(nfile, job);
		spin_unlock(&nfile->lock);
	}
	rm_npu_job_free(job);
}

/*
 * Resolves the job's buffer handles: all read first (EFAULT before any
 * other error), repeats refused, then looked up. They are read into the
 * job's bo_size array, which the sizes overwrite: no stack array, which
 * the kernel may zero-initialise on every call.
 */
static int rm_npu_job_lookup_bos(struct rm_npu_file *nfile,
				 struct rm_npu_job *job, u64 uptr, u32 num_bos)
{
	u32 __user *uhandles = u64_to_user_ptr(uptr);
	u64 *handles = job->bo_size;
	u32 i, j, handle;

	for (i = 0; i < num_bos; i++) {
		if (get_user(handle, &uhandles[i])) {
			rm_npu_dbg(nfile, SUBMIT, "bo_handles[%u] unreadable\n",
				   i);
			return -EFAULT;
		}
		handles[i] = handle;
	}

	/* One buffer per index: overlap checks reason about indexes. */
	for (i = 0; i < num_bos; i++)
		for (j = 0; j < i; j++)
			if (handles[i] == handles[j]) {
				rm_npu_dbg(nfile, SUBMIT, "bo_handles[%u] = bo_handles[%u] = %llu\n",
					   i, j, handles[i]);
				return -EINVAL;
			}

	for (i = 0; i < num_bos; i++) {
		struct rm_npu_bo *bo = rm_npu_bo_lookup(nfile, handles[i]);

		if (!bo) {
			rm_npu_dbg(nfile, SUBMIT, "bo_handles[%u] = %llu unknown\n",
				   i, handles[i]);
			return -ENOENT;
		}
		job->bos[i] = bo;
		job->num_bos = i + 1;
		job->bo_base[i] = bo->vaddr;
		job->bo_size[i] = bo->size;
	}
	return 0;
}

/*
 * Copies the job's commands, @cmd_size bytes apart: in one copy when they
 * are this kernel's size, else one by one, a grown command's tail checked
 * zero (E2BIG, *@error_index the command).
 */
static int rm_npu_job_copy_cmds(struct rm_npu_file *nfile,
				struct rm_npu_job *job,
				const u8 __user *ucmds, u32 cmd_size,
				u32 *error_index)
{
	unsigned long left;
	u32 i;
	int ret;

	if (cmd_size != sizeof(*job->cmds)) {
		for (i = 0; i < job->num_cmds; i++) {
			ret = copy_struct_from_user(&job->cmds[i],
						    sizeof(*job->cmds),
						    ucmds + (size_t)i * cmd_size,
						    cmd_size);
			if (ret) {
				rm_npu_dbg(nfile, SUBMIT, "cmds[%u]: %s (cmd_size %u)\n",
					   i, ret == -E2BIG ? "nonzero tail" :
					   "unreadable", cmd_size);
				if (ret == -E2BIG)
					*error_index = i;
				return ret;
			}
		}
		return 0;
	}
	/*
	 * One command, the common small job, is copied with a constant size,
	 * which the usercopy hardening checks at build time, not per call.
	 */
	if (job->num_cmds == 1)
		left = copy_from_user(job->cmds, ucmds, sizeof(*job->cmds));
	else
		left = copy_from_user(job->cmds, ucmds,
				      job->num_cmds * sizeof(*job->cmds));
	if (left)
		rm_npu_dbg(nfile, SUBMIT, "cmds unreadable (%u of %u bytes)\n",
			   (u32)left, job->num_cmds * (u32)sizeof(*job->cmds));
	return left ? -EFAULT : 0;
}

static int rm_npu_job_validate(struct rm_npu_file *nfile,
			       struct rm_npu_job *job, u32 *error_index)
{
	u32 i;
	int ret;

	for (i = 0; i < job->num_cmds; i++) {
		ret = npu_cmd_validate(&job->cmds[i], job->bo_size,
				       job->num_bos, nfile->ndev->fw_caps);
		if (ret) {
			/* npu_cmd_validate() says no more than "invalid". */
			rm_npu_dbg(nfile, SUBMIT, "cmds[%u]: opcode %u flags %#x invalid%s (%u buffers)\n",
				   i, job->cmds[i].opcode, job->cmds[i].flags,
				   job->cmds[i].opcode < 64 &&
				   !(nfile->ndev->fw_caps &
				     BIT_ULL(job->cmds[i].opcode)) ?
				   ", not in the firmware's caps" : "",
				   job->num_bos);
			*error_index = i;
			return ret;
		}
		job->total_ops = size_add(job->total_ops,
					  npu_cmd_ops(&job->cmds[i]));
	}
	return 0;
}

static int rm_npu_submit_check(struct rm_npu_file *nfile,
			       const struct rm_npu_submit *args)
{
	if (args->flags & ~RM_NPU_SUBMIT_FLAGS) {
		rm_npu_dbg(nfile, SUBMIT, "flags %#x unknown\n",
			   args->flags & ~RM_NPU_SUBMIT_FLAGS);
		return -EINVAL;
	}
	if (args->pad || args->pad2) {
		rm_npu_dbg(nfile, SUBMIT, "pad %#x pad2 %#x not zero\n",
			   args->pad, args->pad2);
		return -EINVAL;
	}
	if (args->cmd_size < RM_NPU_CMD_SIZE_VER0 ||
	    args->cmd_size > RM_NPU_MAX_CMD_SIZE || args->cmd_size % 8) {
		rm_npu_dbg(nfile, SUBMIT, "cmd_size %u not a multiple of 8 in %u..%u\n",
			   args->cmd_size, RM_NPU_CMD_SIZE_VER0,
			   RM_NPU_MAX_CMD_SIZE);
		return -EINVAL;
	}
	if (!(args->flags & RM_NPU_SUBMIT_IN_FENCE) && args->in_fence_fd) {
		rm_npu_dbg(nfile, SUBMIT, "in_fence_fd %d without IN_FENCE\n",
			   args->in_fence_fd);
		return -EINVAL;
	}
	if (!args->num_cmds || args->num_cmds > RM_NPU_MAX_CMDS) {
		rm_npu_dbg(nfile, SUBMIT, "num_cmds %u not in 1..%u\n",
			   args->num_cmds, RM_NPU_MAX_CMDS);
		return -EINVAL;
	}
	if (args->num_bos > RM_NPU_MAX_JOB_BOS) {
		rm_npu_dbg(nfile, SUBMIT, "num_bos %u above %u\n",
			   args->num_bos, RM_NPU_MAX_JOB_BOS);
		return -EINVAL;
	}
	return 0;
}

/*
 * Builds validated job @id from the arguments, its commands in the same
 * allocation; nothing is queued yet. A fence is made only for a job that
 * hands one out: WAIT follows jobs through their records.
 */
static int rm_npu_job_create(struct rm_npu_file *nfile,
			     struct rm_npu_submit *args, u64 id,
			     struct rm_npu_job **out)
{
	struct rm_npu_node *node = nfile->node;
	const u8 __user *ucmds = u64_to_user_ptr(args->cmds);
	struct rm_npu_job *job;
	int ret;

	/* Counts bounded by rm_npu_submit_check(): no overflow. */
	job = rm_npu_job_alloc(nfile, args->num_cmds, args->num_bos);
	if (!job)
		return -ENOMEM;
	kref_get(&nfile->ref);
	job->nfile = nfile;
	job->pe = &nfile->ndev->pes[node->pe_first];
	if (node->pe_count == 2)
		job->partner = &nfile->ndev->pes[node->pe_first + 1];
	job->id = id;
	job->error_index = RM_NPU_NO_INDEX;
	job->num_cmds = args->num_cmds;
	atomic_set(&job->cancel, 0);

	ret = rm_npu_job_lookup_bos(nfile, job, args->bo_handles,
				    args->num_bos);
	if (ret)
		goto err_free_job;

	ret = rm_npu_job_copy_cmds(nfile, job, ucmds, args->cmd_size,
				   &args->error_index);
	if (ret)
		goto err_free_job;

	ret = rm_npu_job_validate(nfile, job, &args->error_index);
	if (ret)
		goto err_free_job;

	if (args->flags & RM_NPU_SUBMIT_OUT_FENCE) {
		job->fence = rm_npu_fence_create(nfile, id);
		if (!job->fence) {
			ret = -ENOMEM;
			goto err_free_job;
		}
	}

	if (args->flags & RM_NPU_SUBMIT_IN_FENCE) {
		job->in_fence = sync_file_get_fence(args->in_fence_fd);
		if (!job->in_fence) {
			rm_npu_dbg(nfile, SUBMIT, "in_fence_fd %d is no sync_file\n",
				   args->in_fence_fd);
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

/* Sets SUBMIT's out fields to their "not queued" values. */
static void rm_npu_submit_reset(struct rm_npu_submit *args,
				struct rm_npu_submit_slot *slot)
{
	slot->sync_file = NULL;
	slot->job = NULL;
	args->out_fence_fd = -1;
	args->error_index = RM_NPU_NO_INDEX;
	args->job_id = 0;
	args->retired = 0;
	args->result = 0;
	args->result_index = RM_NPU_NO_INDEX;
	args->duration_ns = 0;
}

/*
 * Checks one SUBMIT argument and builds its job, to be job @id, with the
 * out-fence's descriptor reserved (installed once the arguments are copied
 * back). Called with submit_lock held, which keeps @id free until queued.
 */
static int rm_npu_submit_prepare(struct rm_npu_file *nfile,
				 struct rm_npu_submit *args, u64 id,
				 struct rm_npu_submit_slot *slot)
{
	struct rm_npu_job *job;
	int out_fd, ret;

	rm_npu_submit_reset(args, slot);
	ret = rm_npu_submit_check(nfile, args);
	if (ret)
		return ret;

	ret = rm_npu_job_create(nfile, args, id, &job);
	if (ret)
		return ret;

	if (job->fence) {
		out_fd = get_unused_fd_flags(O_CLOEXEC);
		if (out_fd < 0) {
			ret = out_fd;
			goto err_free_job;
		}
		slot->sync_file = sync_file_create(job->fence);
		if (!slot->sync_file) {
			put_unused_fd(out_fd);
			ret = -ENOMEM;
			goto err_free_job;
		}
		args->out_fence_fd = out_fd;
	}

	/* Armed before queueing: the job may retire as soon as it is queued. */
	if (job->in_fence) {
		ret = dma_fence_add_callback(job->in_fence, &job->in_cb,
					     rm_npu_job_in_fence_cb);
		job->in_cb_armed = !ret;
	}
	dev_dbg(nfile->node->dev, "submit: %u cmds, %u bufs, %llu ops\n",
		job->num_cmds, job->num_bos, job->total_ops);
	slot->job = job;
	return 0;

err_free_job:
	rm_npu_job_free(job);
	return ret;
}

/* Undoes rm_npu_submit_prepare() of a job that was not queued. */
static void rm_npu_submit_unprepare(struct rm_npu_submit *args,
				    struct rm_npu_submit_slot *slot)
{
	if (slot->sync_file) {
		fput(slot->sync_file->file);
		put_unused_fd(args->out_fence_fd);
		slot->sync_file = NULL;
		args->out_fence_fd = -1;
	}
	if (slot->job)
		rm_npu_job_free(slot->job);
	slot->job = NULL;
}

/*
 * Installs a queued job's out-fence fd once its arguments were copied back
 * (@copied), or discards it when userspace could not learn its number.
 */
static void rm_npu_submit_install(struct rm_npu_submit *args,
				  struct rm_npu_submit_slot *slot, bool copied)
{
	if (!slot->sync_file)
		return;
	if (copied) {
		fd_install(args->out_fence_fd, slot->sync_file->file);
	} else {
		fput(slot->sync_file->file);
		put_unused_fd(args->out_fence_fd);
	}
	slot->sync_file = NULL;
}

/* A job the submitting thread may run itself, on an idle PE. */
static bool rm_npu_job_inline_ok(struct rm_npu_job *job)
{
	return (job->caller_waits ||
		job->total_ops <= RM_NPU_INLINE_MAX_OPS) &&
	       rm_npu_job_ready(job);
}

/*
 * Queues @n prepared jobs, their ids the next ones, in order, all or none
 * (-EAGAIN past the in-flight caps), taking them out of their slots. When
 * the PE is idle, the caller claims it for the leading jobs it may run
 * itself: those go on @inline_jobs instead of the PE queue. The others may
 * retire and be freed as soon as the locks drop.
 */
static int rm_npu_jobs_enqueue(struct rm_npu_file *nfile,
			       struct rm_npu_submit *args,
			       struct rm_npu_submit_slot *slots, u32 n,
			       struct list_head *inline_jobs)
{
	struct rm_npu_pe *pe = &nfile->ndev->pes[nfile->node->pe_first];
	u64 cmds = 0, ops = 0, total;
	bool claim;
	u32 i;

	for (i = 0; i < n; i++) {
		cmds += slots[i].job->num_cmds;
		ops = size_add(ops, slots[i].job->total_ops);
	}

	spin_lock(&nfile->lock);
	total = size_add(nfile->inflight_ops, ops);
	/* The ops cap spares a lone job: the watchdog bounds that one. */
	if (nfile->inflight + n > RM_NPU_MAX_INFLIGHT ||
	    nfile->inflight_cmds + cmds > RM_NPU_MAX_INFLIGHT_CMDS ||
	    (nfile->inflight && total > RM_NPU_MAX_INFLIGHT_OPS)) {
		u32 jobs = nfile->inflight, queued = nfile->inflight_cmds;
		u64 queued_ops = nfile->inflight_ops;

		spin_unlock(&nfile->lock);
		rm_npu_dbg(nfile, SUBMIT, "%u jobs, %llu cmds, %llu ops more: %u jobs, %u cmds, %llu ops in flight (caps %u, %u, %llu)\n",
			   n, cmds, ops, jobs, queued, queued_ops,
			   RM_NPU_MAX_INFLIGHT, RM_NPU_MAX_INFLIGHT_CMDS,
			   RM_NPU_MAX_INFLIGHT_OPS);
		return -EAGAIN;
	}
	spin_lock(&pe->lock);
	claim = list_empty(&pe->queue) && !pe->busy;
	for (i = 0; i < n; i++) {
		struct rm_npu_job *job = slots[i].job;
		struct rm_npu_job_record *rec;

		/* submit_lock held since the ids were chosen: they are next. */
		WARN_ON_ONCE(job->id != nfile->next_job_id + 1);
		nfile->next_job_id = job->id;
		args[i].job_id = job->id;
		/* Within the caps, the job that had the record retired. */
		rec = &nfile->records[job->id % RM_NPU_MAX_INFLIGHT];
		rec->id = job->id;
		rec->retired = false;
		list_add_tail(&job->file_link, &nfile->jobs);
		trace_rm_npu_job_submit(job);
		nfile->inflight++;
		nfile->inflight_cmds += job->num_cmds;
		nfile->inflight_ops += job->total_ops;

		claim = claim && rm_npu_job_inline_ok(job);
		list_add_tail(&job->queue_link, claim ? inline_jobs : &pe->queue);
		slots[i].job = NULL;
	}
	if (!list_empty(inline_jobs))
		pe->busy = true;
	spin_unlock(&pe->lock);
	spin_unlock(&nfile->lock);
	return 0;
}

/* Copies the status of every job of @args that retired into it. */
static void rm_npu_submit_status(struct rm_npu_file *nfile,
				 struct rm_npu_submit *args, u32 n)
{
	u32 i;

	spin_lock(&nfile->lock);
	for (i = 0; i < n; i++) {
		struct rm_npu_submit *a = &args[i];
		struct rm_npu_job_record *rec =
			&nfile->records[a->job_id % RM_NPU_MAX_INFLIGHT];

		if (nfile->retired_upto < a->job_id || rec->id != a->job_id)
			continue;
		a->retired = 1;
		a->result = rec->result;
		a->result_index = rec->error_index;
		a->duration_ns = rec->duration_ns;
	}
	spin_unlock(&nfile->lock);
}

/*
 * Called with submit_lock held, which it releases once the jobs are in.
 * Queues @n prepared jobs (all or none), runs those the caller may run
 * itself, waits for the last one with RM_NPU_SUBMIT_WAIT (a signal ends
 * the wait early, not the call), and reports what retired.
 */
static int rm_npu_submit_queue(struct rm_npu_file *nfile,
			       struct rm_npu_submit *args,
			       struct rm_npu_submit_slot *slots, u32 n)
{
	struct rm_npu_pe *pe = &nfile->ndev->pes[nfile->node->pe_first];
	LIST_HEAD(inline_jobs);
	bool waits = false;
	u64 wait_id = 0;
	u32 i;
	int ret;

	/* A job is waited for when it or a later one asks to be. */
	for (i = n; i-- > 0;) {
		if (args[i].flags & RM_NPU_SUBMIT_WAIT)
			waits = true;
		slots[i].job->caller_waits = waits;
	}
	ret = rm_npu_jobs_enqueue(nfile, args, slots, n, &inline_jobs);
	mutex_unlock(&nfile->submit_lock);
	if (ret)
		return ret;
	for (i = n; i-- > 0;) {
		if (args[i].flags & RM_NPU_SUBMIT_WAIT) {
			wait_id = args[i].job_id;
			break;
		}
	}

	if (list_empty(&inline_jobs))
		rm_npu_engine_kick(pe);
	else
		rm_npu_engine_run_claimed(pe, &inline_jobs);

	/* A signal ends the wait, not the call: the job is queued. */
	if (wait_id && !rm_npu_job_retired(nfile, wait_id))
		rm_npu_wait_retired(nfile, wait_id, RM_NPU_NO_DEADLINE);
	rm_npu_submit_status(nfile, args, n);
	return 0;
}

int rm_npu_submit_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_submit_karg *k = data;
	int ret;

	rm_npu_submit_reset(&k->args, &k->slot);
	ret = mutex_lock_interruptible(&nfile->submit_lock);
	if (ret)
		return ret;
	ret = rm_npu_submit_prepare(nfile, &k->args, nfile->next_job_id + 1,
				    &k->slot);
	if (ret) {
		mutex_unlock(&nfile->submit_lock);
		return ret;
	}
	ret = rm_npu_submit_queue(nfile, &k->args, &k->slot, 1);
	if (ret)
		rm_npu_submit_unprepare(&k->args, &k->slot);
	return ret;
}

/* Runs after the arguments were copied back (@copied: they were). */
void rm_npu_submit_commit(struct rm_npu_file *nfile, void *data, bool copied)
{
	struct rm_npu_submit_karg *k = data;

	rm_npu_submit_install(&k->args, &k->slot, copied);
}

static int rm_npu_batch_check(struct rm_npu_file *nfile,
			      const struct rm_npu_submit_batch *b)
{
	if (b->flags & ~RM_NPU_BATCH_FLAGS) {
		rm_npu_dbg(nfile, SUBMIT, "batch: flags %#x unknown\n",
			   b->flags);
		return -EINVAL;
	}
	if (!b->num_jobs || b->num_jobs > RM_NPU_MAX_BATCH_JOBS) {
		rm_npu_dbg(nfile, SUBMIT, "batch: num_jobs %u not in 1..%u\n",
			   b->num_jobs, RM_NPU_MAX_BATCH_JOBS);
		return -EINVAL;
	}
	if (b->job_size < RM_NPU_SUBMIT_SIZE_VER0 ||
	    b->job_size > RM_NPU_MAX_BATCH_JOB_SIZE || b->job_size % 8) {
		rm_npu_dbg(nfile, SUBMIT, "batch: job_size %u not a multiple of 8 in %u..%u\n",
			   b->job_size, RM_NPU_SUBMIT_SIZE_VER0,
			   RM_NPU_MAX_BATCH_JOB_SIZE);
		return -EINVAL;
	}
	return 0;
}

/*
 * Reads the batch's job arguments: in one copy when the caller's struct is
 * this kernel's, else (or to find the job at fault) one by one with the
 * size rules of a single SUBMIT. On failure, *@bad is the job at fault.
 */
static int rm_npu_batch_read(struct rm_npu_file *nfile,
			     struct rm_npu_submit *args,
			     const struct rm_npu_submit_batch *b, u32 *bad)
{
	u8 __user *ujobs = u64_to_user_ptr(b->jobs);
	size_t esize = b->job_size;
	u32 i;
	int ret;

	if (esize == sizeof(*args) &&
	    !copy_from_user(args, ujobs, b->num_jobs * esize))
		return 0;
	for (i = 0; i < b->num_jobs; i++) {
		ret = copy_struct_from_user(&args[i], sizeof(*args),
					    ujobs + i * esize, esize);
		if (ret) {
			rm_npu_dbg(nfile, SUBMIT, "batch: jobs[%u] %s\n", i,
				   ret == -E2BIG ? "has a nonzero tail" :
				   "unreadable");
			*bad = i;
			return ret;
		}
	}
	return 0;
}

/*
 * Writes the queued jobs' arguments back and installs the out-fences of
 * those written completely. Returns 0 or -EFAULT.
 */
static int rm_npu_batch_write(struct rm_npu_submit *args,
			      struct rm_npu_submit_slot *slots,
			      const struct rm_npu_submit_batch *b)
{
	u8 __user *ujobs = u64_to_user_ptr(b->jobs);
	size_t esize = b->job_size, len, left;
	u32 i, written = b->num_jobs;

	if (esize == sizeof(*args)) {
		len = b->num_jobs * esize;
		left = copy_to_user(ujobs, args, len);
		written = (len - left) / esize;
	} else {
		for (i = 0; i < b->num_jobs && written == b->num_jobs; i++)
			if (copy_to_user(ujobs + i * esize, &args[i],
					 min(esize, sizeof(*args))))
				written = i;
	}
	for (i = 0; i < b->num_jobs; i++)
		rm_npu_submit_install(&args[i], &slots[i], i < written);
	return written == b->num_jobs ? 0 : -EFAULT;
}

/*
 * SUBMIT_BATCH: every job prepared before any is queued, so a failure
 * leaves nothing behind; then the jobs are queued as one SUBMIT would
 * queue each, and written back.
 */
int rm_npu_submit_batch_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_submit_batch *b = data;
	struct rm_npu_submit_slot *slots;
	struct rm_npu_submit *args;
	struct rm_npu_submit __user *ujob;
	u32 i, n = b->num_jobs, prepared = 0;
	int ret;

	b->error_job = RM_NPU_NO_INDEX;
	ret = rm_npu_batch_check(nfile, b);
	if (ret)
		return ret;
	args = kvmalloc_array(n, sizeof(*args), GFP_KERNEL_ACCOUNT);
	slots = kvmalloc_array(n, sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!args || !slots) {
		ret = -ENOMEM;
		goto out_free;
	}

	ret = rm_npu_batch_read(nfile, args, b, &b->error_job);
	if (ret)
		goto out_free;
	ret = mutex_lock_interruptible(&nfile->submit_lock);
	if (ret)
		goto out_free;
	for (i = 0; i < n; i++) {
		ret = rm_npu_submit_prepare(nfile, &args[i],
					    nfile->next_job_id + 1 + i,
					    &slots[i]);
		if (ret) {
			mutex_unlock(&nfile->submit_lock);
			rm_npu_dbg(nfile, SUBMIT, "batch: jobs[%u] refused: %d\n",
				   i, ret);
			b->error_job = i;
			/* Which command, when one was at fault. */
			ujob = u64_to_user_ptr(b->jobs + (u64)i * b->job_size);
			if (put_user(args[i].error_index, &ujob->error_index))
				ret = -EFAULT;
			goto err_unprepare;
		}
		prepared++;
	}

	ret = rm_npu_submit_queue(nfile, args, slots, n);
	if (ret)
		goto err_unprepare;
	ret = rm_npu_batch_write(args, slots, b);
	goto out_free;

err_unprepare:
	for (i = 0; i < prepared; i++)
		rm_npu_submit_unprepare(&args[i], &slots[i]);
out_free:
	kvfree(slots);
	kvfree(args);
	return ret;
}

/*
 * Copies the status of retired job args->job_id; false when its record
 * was overwritten (more than RM_NPU_MAX_INFLIGHT jobs ago).
 */
static bool rm_npu_record_read(struct rm_npu_file *nfile,
			       struct rm_npu_wait *args)
{
	struct rm_npu_job_record *rec;
	bool found;

	spin_lock(&nfile->lock);
	rec = &nfile->records[args->job_id % RM_NPU_MAX_INFLIGHT];
	found = rec->id == args->job_id;
	if (found) {
		WARN_ON_ONCE(!rec->retired);
		args->result = rec->result;
		args->error_index = rec->error_index;
		args->duration_ns = rec->duration_ns;
	}
	spin_unlock(&nfile->lock);
	return found;
}

/* The deadline of a WAIT's timeout, RM_NPU_NO_DEADLINE for none. */
static u64 rm_npu_wait_deadline(const struct rm_npu_wait *args)
{
	if (args->timeout_ns < 0)
		return RM_NPU_NO_DEADLINE;
	if (args->flags & RM_NPU_WAIT_ABSOLUTE)
		return args->timeout_ns;
	/* Both below 2^63: no overflow, never RM_NPU_NO_DEADLINE. */
	return ktime_get_ns() + (u64)args->timeout_ns;
}

int rm_npu_wait_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_wait *args = data;
	u64 deadline, now, last;
	bool unknown;
	int ret;

	if (args->flags & ~RM_NPU_WAIT_FLAGS || args->pad) {
		rm_npu_dbg(nfile, WAIT, "flags %#x pad %#x: unknown or not zero\n",
			   args->flags, args->pad);
		return -EINVAL;
	}
	args->result = 0;
	args->error_index = RM_NPU_NO_INDEX;
	args->duration_ns = 0;

	spin_lock(&nfile->lock);
	last = nfile->next_job_id;
	spin_unlock(&nfile->lock);
	unknown = !args->job_id || args->job_id > last;
	if (unknown) {
		rm_npu_dbg(nfile, WAIT, "job_id %llu not issued (last %llu)\n",
			   args->job_id, last);
		return -ENOENT;
	}

	if (!rm_npu_job_retired(nfile, args->job_id)) {
		deadline = rm_npu_wait_deadline(args);
		ret = rm_npu_wait_retired(nfile, args->job_id, deadline);
		/*
		 * Interrupted: a relative timeout becomes the time left, which
		 * the dispatcher copies back, so the restarted call (or the
		 * caller's retry after EINTR) waits only the rest.
		 */
		if (ret == -ERESTARTSYS && deadline != RM_NPU_NO_DEADLINE &&
		    !(args->flags & RM_NPU_WAIT_ABSOLUTE)) {
			now = ktime_get_ns();
			args->timeout_ns = now < deadline ? deadline - now : 0;
		}
		if (ret)
			return ret;
	}
	if (!rm_npu_record_read(nfile, args)) {
		rm_npu_dbg(nfile, WAIT, "job_id %llu: status of the last %u jobs only\n",
			   args->job_id, RM_NPU_MAX_INFLIGHT);
		return -ENODATA;
	}
	return 0;
}
