// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu PE engines: one kernel thread and FIFO queue per PE, chunked
 * execution with a watchdog, fused execution split across two PEs, and
 * per-PE telemetry.
 */
#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>

#include "rm_npu_job.h"
#include "rm_npu_trace.h"
#include "npu_ops.h"

/*
 * Work between two cancellation/watchdog checks: about a millisecond of the
 * scalar kernels; the SIMD ones (one kernel_fpu_begin()/_end() section per
 * chunk) take chunks four times larger, still well under a millisecond.
 */
#define RM_NPU_CHUNK_OPS	(1u << 20)
#define RM_NPU_CHUNK_OPS_SIMD	(1u << 22)

/*
 * Job times (watchdog, durations, busy time, out-fence timestamps): CLOCK_
 * MONOTONIC. The clocksource may be a device register (HPET when the TSC
 * is not trusted, as in emulated VMs) whose reading costs about a
 * microsecond, so the paths of small jobs read it as few times as they
 * can. local_clock() would be cheaper but is clamped to the last tick's
 * window on such machines, and stalls.
 */
static u64 rm_npu_now(void)
{
	return ktime_get_ns();
}

static u64 rm_npu_chunk_units(const struct rm_npu_cmd *cmd, u64 units)
{
	u64 per_unit = div64_u64(npu_cmd_ops(cmd), units);
	u64 ops = rm_npu_ops_isa == NPU_ISA_SCALAR ? RM_NPU_CHUNK_OPS :
		  RM_NPU_CHUNK_OPS_SIMD;

	return max_t(u64, 1, div64_u64(ops, max_t(u64, 1, per_unit)));
}

/* rm_npu_run_range(): the other half of a split command failed. */
#define RM_NPU_RANGE_ABANDONED	1

/*
 * Runs units [begin, end) on @pe's kernels in chunks, stopping when
 * cancelled or late, or (RM_NPU_RANGE_ABANDONED) when the other half of a
 * split command failed. The chunks of one range share a tag, so that weights
 * packed by the first are reused by the next ones: the packing is per run,
 * as userspace may change a buffer object's bytes at any time.
 */
static int rm_npu_run_range(struct rm_npu_pe *pe, struct rm_npu_job *job,
			    const struct rm_npu_cmd *cmd, u64 begin, u64 end,
			    u64 chunk)
{
	int ret;

	pe->ops_ctx.tag = ++pe->cmd_seq;
	while (begin < end) {
		u64 stop = begin + min(chunk, end - begin);
		u64 t;

		/*
		 * Suspend and hibernation freeze the PE threads (and a caller
		 * running its job) here, between chunks: no job writes memory
		 * across them. Time frozen is not the job's to answer for.
		 */
		if (unlikely(freezing(current))) {
			t = rm_npu_now();
			if (try_to_freeze())
				job->deadline_ns += rm_npu_now() - t;
		}

		/* A dying submitter stops its job as closing its file would. */
		if (job->in_caller && fatal_signal_pending(current))
			atomic_set(&job->cancel, 1);
		if (atomic_read(&job->cancel))
			return -ECANCELED;
		/* The job's start was just read: the first chunk needs no look. */
		if (READ_ONCE(job->ran) && rm_npu_now() > job->deadline_ns)
			return -ETIMEDOUT;
		if (atomic_read(&job->split_failed))
			return RM_NPU_RANGE_ABANDONED;
		ret = npu_cmd_exec_ctx(cmd, job->bo_base, &pe->ops_ctx, NULL,
				       begin, stop);
		if (ret)
			return ret;
		WRITE_ONCE(job->ran, true);
		begin = stop;
		cond_resched();
	}
	return 0;
}

/* The part of @total that units [0, @upto) of @units stand for. */
static u64 rm_npu_share(u64 total, u64 upto, u64 units)
{
	return mul_u64_u64_div_u64(total, upto, units);
}

/*
 * Credits @pe with units [begin, end) of @cmd's operations and bytes. Each
 * range is charged as the difference of two prefix shares, so the ranges of
 * a split command add up to its exact totals, however they round.
 */
static void rm_npu_pe_account(struct rm_npu_pe *pe, const struct rm_npu_cmd *cmd,
			      u64 begin, u64 end, u64 units)
{
	u64 ops = npu_cmd_ops(cmd), bytes = npu_cmd_bytes(cmd);

	if (!units)
		return;
	atomic64_add(rm_npu_share(ops, end, units) -
		     rm_npu_share(ops, begin, units), &pe->ops);
	atomic64_add(rm_npu_share(bytes, end, units) -
		     rm_npu_share(bytes, begin, units), &pe->bytes_moved);
}

static void rm_npu_part_run(struct rm_npu_pe *pe, struct rm_npu_part *part)
{
	u64 start = rm_npu_now(), ns;

	WRITE_ONCE(pe->part_active, true);
	trace_rm_npu_job_start(pe, part->job);
	part->result = rm_npu_run_range(pe, part->job, part->cmd, part->begin,
					part->end, part->chunk);
	/* The leader stops at its next chunk rather than run on in vain. */
	if (part->result < 0)
		atomic_set(&part->job->split_failed, 1);
	if (!part->result)
		rm_npu_pe_account(pe, part->cmd, part->begin, part->end,
				  npu_cmd_units(part->cmd));
	ns = rm_npu_now() - start;
	atomic64_add(ns, &pe->busy_ns);
	atomic64_add(ns, &part->job->nfile->busy_ns[1]);
	WRITE_ONCE(pe->part_active, false);
	complete(&part->done);
}

/* Splits one command across the fused pair and joins before returning. */
static int rm_npu_cmd_run_fused(struct rm_npu_job *job,
				const struct rm_npu_cmd *cmd, u64 units, u64 chunk)
{
	struct rm_npu_pe *partner = job->partner;
	struct rm_npu_part part = {
		.job = job,
		.cmd = cmd,
		.begin = units / 2,
		.end = units,
		.chunk = chunk,
	};
	int ret;

	init_completion(&part.done);
	atomic_set(&job->split_failed, 0);
	spin_lock(&partner->lock);
	/* The fused node owns the partner: nothing else can post to it. */
	WARN_ON_ONCE(partner->part);
	partner->part = &part;
	spin_unlock(&partner->lock);
	wake_up(&partner->wq);

	ret = rm_npu_run_range(job->pe, job, cmd, 0, part.begin, chunk);
	if (!ret)
		rm_npu_pe_account(job->pe, cmd, 0, part.begin, units);
	else if (ret < 0)
		atomic_set(&job->split_failed, 1);
	/*
	 * The partner also stops early once it sees cancel, the deadline or
	 * our failure. TASK_IDLE: a long split command must not look like a
	 * hung task; TASK_FREEZABLE: the partner may be frozen between its
	 * chunks for suspend, and so may we meanwhile (no lock held).
	 */
	wait_for_completion_state(&part.done, TASK_IDLE | TASK_FREEZABLE);
	/* The failure of either half, never "abandoned". */
	if (ret < 0)
		return ret;
	return part.result < 0 ? part.result : 0;
}

/* Runs @job from @start (a rm_npu_now() reading); returns when it ended. */
static u64 rm_npu_job_run(struct rm_npu_job *job, u64 start)
{
	struct rm_npu_pe *pe = job->pe;
	u32 timeout_ms = READ_ONCE(rm_npu_job_timeout_ms);
	u64 end;
	u32 i;
	int ret = 0;

	job->deadline_ns = start + (u64)timeout_ms * NSEC_PER_MSEC;
	dev_dbg(pe->ndev->pe_nodes[pe->index].dev, "job %llu start\n", job->id);
	trace_rm_npu_job_start(pe, job);

	for (i = 0; i < job->num_cmds; i++) {
		const struct rm_npu_cmd *cmd = &job->cmds[i];
		u64 units = npu_cmd_units(cmd);
		u64 chunk;

		if (atomic_read(&job->cancel)) {
			ret = -ECANCELED;
			break;
		}
		if (!units)
			continue;
		chunk = rm_npu_chunk_units(cmd, units);
		if (job->partner && units >= 2 &&
		    npu_cmd_ops(cmd) >= RM_NPU_SPLIT_MIN_OPS &&
		    npu_cmd_split_ok(cmd)) {
			ret = rm_npu_cmd_run_fused(job, cmd, units, chunk);
		} else {
			/* Alone, never abandoned (split_failed stays 0). */
			ret = rm_npu_run_range(pe, job, cmd, 0, units, chunk);
			if (!ret)
				rm_npu_pe_account(pe, cmd, 0, units, units);
		}
		if (ret)
			break;
	}

	end = rm_npu_now();
	job->end_ns = end;
	job->duration_ns = end - start;
	atomic64_add(job->duration_ns, &pe->busy_ns);
	atomic64_add(job->duration_ns, &job->nfile->busy_ns[0]);
	job->result = ret;
	/* A cancelled job did not fail at a command of its own. */
	if (ret && ret != -ECANCELED)
		job->error_index = i;

	if (ret == -ETIMEDOUT) {
		trace_rm_npu_job_timeout(job, i, timeout_ms);
		/* The engine holds no state across jobs: a reset is a count. */
		atomic64_inc(&pe->resets);
		if (job->partner)
			atomic64_inc(&job->partner->resets);
		dev_warn_ratelimited(&pe->ndev->pdev->dev,
			 "npu%upe%u: job %llu exceeded %u ms at command %u; cancelled, PE reset\n",
			 pe->ndev->index, pe->index, job->id, timeout_ms, i);
	}

	atomic64_inc(ret ? &pe->jobs_failed : &pe->jobs_completed);
	if (job->partner)
		atomic64_inc(ret ? &job->partner->jobs_failed :
			     &job->partner->jobs_completed);
	return end;
}

void rm_npu_job_execute(struct rm_npu_job *job)
{
	rm_npu_job_run(job, rm_npu_now());
}

/*
 * Retires a job, then frees its PE. The PE stays busy until the job's fence
 * signalled, so no later job of the file can complete first.
 */
void rm_npu_engine_finish(struct rm_npu_pe *pe, struct rm_npu_job *job)
{
	bool more;

	spin_lock(&pe->lock);
	pe->running = NULL;
	spin_unlock(&pe->lock);

	rm_npu_job_retire(job);

	spin_lock(&pe->lock);
	pe->busy = false;
	more = !list_empty(&pe->queue);
	spin_unlock(&pe->lock);
	if (more)
		wake_up(&pe->wq);
}

/*
 * Retires, in order, the jobs at the head of @jobs up to @stop (NULL: all,
 * then frees the PE), which the caller ran on its claimed PE.
 */
static void rm_npu_engine_retire_ran(struct rm_npu_pe *pe,
				     struct list_head *jobs,
				     struct rm_npu_job *stop)
{
	struct rm_npu_job *job;

	spin_lock(&pe->lock);
	pe->running = NULL;
	spin_unlock(&pe->lock);
	while (!list_empty(jobs)) {
		job = list_first_entry(jobs, struct rm_npu_job, queue_link);
		if (job == stop)
			return;
		list_del(&job->queue_link);
		if (!stop && list_empty(jobs))
			rm_npu_engine_finish(pe, job);
		else
			rm_npu_job_retire(job);
	}
}

/*
 * Runs @jobs (linked by queue_link) in the calling thread, on the PE the
 * caller claimed when it queued them (pe->busy set), back to back: one
 * clock reading ends a job and starts the next, and the jobs retire, in
 * order, after the last, so no retire work falls into a job's time; but
 * before a long job, so that it does not hold back the others' completion.
 * Then the PE is freed and the jobs queued behind go to the PE thread.
 */
void rm_npu_engine_run_claimed(struct rm_npu_pe *pe, struct list_head *jobs)
{
	struct rm_npu_job *job;
	u64 t = rm_npu_now();

	list_for_each_entry(job, jobs, queue_link) {
		bool first = list_is_first(&job->queue_link, jobs);

		if (!first && job->total_ops > RM_NPU_INLINE_MAX_OPS) {
			rm_npu_engine_retire_ran(pe, jobs, job);
			t = rm_npu_now();
		} else if (!first && cond_resched()) {
			/* Time spent scheduled out is no job's. */
			t = rm_npu_now();
		}
		/*
		 * Set without the lock (readers hold it): it is cleared with
		 * the lock before any job it named retires.
		 */
		WRITE_ONCE(pe->running, job);
		job->in_caller = true;
		t = rm_npu_job_run(job, t);
	}
	rm_npu_engine_retire_ran(pe, jobs, NULL);
}

void rm_npu_engine_kick(struct rm_npu_pe *pe)
{
	wake_up(&pe->wq);
}

/* Takes the next piece of work: partner work first, then a ready job. */
static bool rm_npu_engine_take(struct rm_npu_pe *pe, struct rm_npu_part **part,
			       struct rm_npu_job **job)
{
	struct rm_npu_job *head;

	*part = NULL;
	*job = NULL;
	spin_lock(&pe->lock);
	if (pe->part) {
		*part = pe->part;
		pe->part = NULL;
	} else if (!pe->busy && !list_empty(&pe->queue)) {
		head = list_first_entry(&pe->queue, struct rm_npu_job,
					queue_link);
		if (rm_npu_job_ready(head)) {
			list_del_init(&head->queue_link);
			pe->busy = true;
			pe->running = head;
			*job = head;
		}
	}
	spin_unlock(&pe->lock);
	return *part || *job;
}

static int rm_npu_engine_thread(void *data)
{
	struct rm_npu_pe *pe = data;
	struct rm_npu_part *part;
	struct rm_npu_job *job;

	/* Frozen for suspend and hibernation, idle or between chunks. */
	set_freezable();
	while (!kthread_should_stop()) {
		/* Interruptible: an idle engine must not look like a hung task. */
		wait_event_freezable(pe->wq,
				     rm_npu_engine_take(pe, &part, &job) ||
				     kthread_should_stop());
		if (part) {
			rm_npu_part_run(pe, part);
		} else if (job) {
			rm_npu_job_execute(job);
			rm_npu_engine_finish(pe, job);
		}
	}
	return 0;
}

int rm_npu_engine_start(struct rm_npu_pe *pe)
{
	int ret;

	/* kvmalloc: page aligned, or a power-of-two kmalloc (aligned too) */
	pe->ops_scratch = kvmalloc(NPU_OPS_SCRATCH_SIZE, GFP_KERNEL);
	if (!pe->ops_scratch)
		return -ENOMEM;
	ret = npu_ctx_init(&pe->ops_ctx, rm_npu_ops_isa, pe->ops_scratch);
	if (ret) {
		kvfree(pe->ops_scratch);
		pe->ops_scratch = NULL;
		return ret;
	}
	spin_lock_init(&pe->lock);
	init_waitqueue_head(&pe->wq);
	INIT_LIST_HEAD(&pe->queue);
	pe->thread = kthread_run(rm_npu_engine_thread, pe, "npu%upe%u",
				 pe->ndev->index, pe->index);
	if (IS_ERR(pe->thread)) {
		ret = PTR_ERR(pe->thread);
		pe->thread = NULL;
		kvfree(pe->ops_scratch);
		pe->ops_scratch = NULL;
		return ret;
	}
	return 0;
}

/*
 * Only called with no open file and no fence, so the queue is empty. The
 * thread may still be finishing the last job: its fence's last reference,
 * dropped in rm_npu_job_retire(), can be the module's last one, before
 * rm_npu_engine_finish() frees the PE. kthread_stop() returns once the
 * thread is out of that, so the PE is idle after it.
 */
void rm_npu_engine_stop(struct rm_npu_pe *pe)
{
	if (!pe->thread)
		return;
	kthread_stop(pe->thread);
	WARN_ON(!list_empty(&pe->queue) || pe->busy);
	pe->thread = NULL;
	kvfree(pe->ops_scratch);
	pe->ops_scratch = NULL;
}
