/* SPDX-License-Identifier: MIT */
/*
 * exec.h - the executor under runners and queues: a model made resident
 * on every device of a runtime (weights uploaded once per device), worker
 * threads (worker_num per device, each with its own staging and scratch
 * memory) pulling batch items from one FIFO.
 */
#ifndef NPURT_EXEC_H
#define NPURT_EXEC_H

#include <pthread.h>
#include <stdatomic.h>

#include "device.h"
#include "model.h"
#include "tensor.h"

#define NPURT_MAX_WORKERS_PER_DEV	64
#define NPURT_MAX_BATCH			4096
#define NPURT_DEFAULT_WORKERS		2

struct npurt_run;

/* One program run: item @item of @run's batch. */
struct npurt_work {
	struct npurt_work *next;
	struct npurt_run *run;
	unsigned int item;
};

/* A group of batch items completing together. */
struct npurt_run {
	npurt_tensor *const *inputs;
	npurt_tensor *const *outputs;
	struct npurt_work *works;	/* batch entries, owned by the caller */
	atomic_uint remaining;
	atomic_int err;			/* first failure */
	atomic_bool started;
	char errmsg[256];		/* its detail message */
	/* Called once, on a worker thread, after the last item. */
	void (*complete)(struct npurt_run *run);
	void *owner;
};

struct npurt_exec;

/*
 * Make @model resident on every device of @rt with @worker_num workers
 * per device and @batch items per run. Return: 0, -EINVAL, -EOPNOTSUPP,
 * -E2BIG, -ENOMEM.
 */
int npurt_exec_create(npurt_runtime *rt, npurt_model *model,
		      unsigned int worker_num, unsigned int batch,
		      struct npurt_exec **out);
/* Finish queued and running items and join the workers (idempotent). */
void npurt_exec_stop(struct npurt_exec *ex);
/* npurt_exec_stop(), then free everything. */
void npurt_exec_destroy(struct npurt_exec *ex);
/* Queue every item of @run (remaining, err set here). */
void npurt_exec_submit(struct npurt_exec *ex, struct npurt_run *run);
/*
 * Run the one item of @run on the calling thread, on the memory of an idle
 * worker lent for the run (it counts as busy: the per-device concurrency
 * and the order of submission hold), and complete it there. Return: false
 * (nothing done: no worker idle, something queued, a batch of several
 * items, or a batch-job device) or true.
 */
bool npurt_exec_run_here(struct npurt_exec *ex, struct npurt_run *run);
/* Complete every queued, not started item with @err. Return: how many. */
unsigned int npurt_exec_cancel(struct npurt_exec *ex, int err);
/* Complete the items of @run still waiting for a worker with @err (the
 * others finish on their workers). Return: how many. */
unsigned int npurt_exec_cancel_run(struct npurt_exec *ex,
				   struct npurt_run *run, int err);
/* Items waiting for a worker. */
unsigned int npurt_exec_queued(struct npurt_exec *ex);
unsigned int npurt_exec_batch(const struct npurt_exec *ex);
unsigned int npurt_exec_workers(const struct npurt_exec *ex);
/* Called (without locks) when a worker takes the first item of a run. */
void npurt_exec_on_start(struct npurt_exec *ex,
			 void (*fn)(struct npurt_run *run));

/* Batched tensor descriptions: outermost dimension times the batch. */
unsigned int npurt_exec_io_count(const struct npurt_exec *ex, bool out);
const npurt_tensor_desc *npurt_exec_io_desc(const struct npurt_exec *ex,
					    bool out, unsigned int index);
/* Every tensor present and large enough. Return: 0 or -EINVAL. */
int npurt_exec_check_io(const struct npurt_exec *ex, bool out,
			npurt_tensor *const *tensors);

/* Test seam: called by a worker before it runs an item. */
extern void (*npurt_exec_test_hook)(npurt_tensor *const *inputs,
				    unsigned int item);

#endif /* NPURT_EXEC_H */
