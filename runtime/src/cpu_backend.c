// SPDX-License-Identifier: MIT
/*
 * cpu_backend.c - the CPU device: each command of a job runs through the
 * shared op kernels (npu_cmd_exec_ctx()) of the best variant this CPU has
 * ($NPU_OPS_ISA forces one: scalar, avx2, avx512); a large command's work
 * units are split into N ranges run at once by the calling thread and N - 1
 * threads of a pool kept for the device's life. Results are bit-exact with
 * the PE engines because the code is the same.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "npu_ops.h"
#include "profiler.h"

/* Commands with fewer operations run on the calling thread alone. */
#define CPU_SPLIT_MIN_OPS	(256u * 1024)

struct cpu_batch {
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned int remaining;
	int err;
};

struct cpu_task {
	struct cpu_task *next;
	const struct rm_npu_cmd *cmd;
	const void *packed;
	uint8_t *const *bases;
	uint64_t begin;
	uint64_t end;
	uint32_t index;			/* command index, for the trace */
	struct cpu_batch *batch;
};

struct npurt_cpu_pool {
	npurt_device *dev;
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct cpu_task *head, *tail;
	bool stop;
	unsigned int num_threads;	/* ranges per command */
	unsigned int num_started;	/* pool threads (N - 1) */
	pthread_t *threads;
	uint32_t isa;			/* enum npu_isa of every context */
	pthread_key_t caller_key;	/* scratch of each calling thread */
	bool key_ok;
};

/* A context of the pool's variant on @scratch, or NULL without memory. */
static struct npu_ops_ctx *cpu_ctx(struct npurt_cpu_pool *pool,
				   struct npu_ops_ctx *ctx, void *scratch)
{
	static _Atomic uint64_t tags = 1;

	if (!scratch || npu_ctx_init(ctx, pool->isa, scratch))
		return NULL;
	ctx->tag = atomic_fetch_add(&tags, 1);
	return ctx;
}

/* The calling thread's scratch, allocated at its first command. */
static void *cpu_caller_scratch(struct npurt_cpu_pool *pool)
{
	void *s;

	if (!pool->key_ok)
		return NULL;
	s = pthread_getspecific(pool->caller_key);
	if (!s) {
		s = aligned_alloc(NPU_OPS_SCRATCH_ALIGN, NPU_OPS_SCRATCH_SIZE);
		if (s && pthread_setspecific(pool->caller_key, s)) {
			free(s);
			s = NULL;
		}
	}
	return s;
}

static const char *const cpu_op_names[RM_NPU_OP_COUNT] = {
	"NOP", "FILL", "COPY", "GEMM", "CONV2D", "POOL2D", "ELTWISE", "LUT",
};

/* Runs @t on @scratch (the portable kernels without one). */
static void cpu_task_run(npurt_device *dev, struct cpu_task *t, void *scratch)
{
	uint64_t t0 = npurt_now_ns();
	struct npu_ops_ctx c, *ctx = cpu_ctx(dev->cpu, &c, scratch);
	int ret = ctx ? npu_cmd_exec_ctx(t->cmd, t->bases, ctx, t->packed,
					 t->begin, t->end) :
		  npu_cmd_exec(t->cmd, t->bases, t->begin, t->end);

	npurt_prof_span(dev->rt, "cpu", NPURT_PROF_THREAD, t0, npurt_now_ns(),
			"cmd %u %s units %llu-%llu", t->index,
			cpu_op_names[t->cmd->opcode],
			(unsigned long long)t->begin,
			(unsigned long long)t->end);
	pthread_mutex_lock(&t->batch->lock);
	if (ret && !t->batch->err)
		t->batch->err = ret;
	if (!--t->batch->remaining)
		pthread_cond_signal(&t->batch->done);
	pthread_mutex_unlock(&t->batch->lock);
}

static void *cpu_thread(void *arg)
{
	struct npurt_cpu_pool *pool = arg;
	void *scratch = aligned_alloc(NPU_OPS_SCRATCH_ALIGN,
				      NPU_OPS_SCRATCH_SIZE);
	struct cpu_task *t;
	char name[48];

	snprintf(name, sizeof(name), "%s thread", pool->dev->info.name);
	npurt_prof_name_thread(pool->dev->rt, name);
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (!pool->head && !pool->stop)
			pthread_cond_wait(&pool->work, &pool->lock);
		t = pool->head;
		if (!t) {
			pthread_mutex_unlock(&pool->lock);
			free(scratch);
			return NULL;
		}
		pool->head = t->next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&pool->lock);
		cpu_task_run(pool->dev, t, scratch);
	}
}

static void cpu_push(struct npurt_cpu_pool *pool, struct cpu_task *tasks,
		     unsigned int n)
{
	unsigned int i;

	pthread_mutex_lock(&pool->lock);
	for (i = 0; i < n; i++) {
		tasks[i].next = NULL;
		if (pool->tail)
			pool->tail->next = &tasks[i];
		else
			pool->head = &tasks[i];
		pool->tail = &tasks[i];
	}
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
}

/*
 * One command: its units in @n near-equal contiguous ranges (each range
 * packs or reuses weights once), the first on this thread, the others on
 * the pool; small commands all here.
 */
static int cpu_run_cmd(npurt_device *dev, const struct npurt_job *job,
		       uint32_t index, struct cpu_task *tasks,
		       struct cpu_batch *batch)
{
	const struct rm_npu_cmd *cmd = &job->cmds[index];
	uint64_t units = npu_cmd_units(cmd), begin = 0;
	unsigned int n = dev->cpu->num_threads, i;

	if (!units)
		return 0;
	if (units < n)
		n = (unsigned int)units;
	if (npu_cmd_ops(cmd) < CPU_SPLIT_MIN_OPS)
		n = 1;
	batch->remaining = n;
	batch->err = 0;
	for (i = 0; i < n; i++) {
		uint64_t len = units / n + (i < units % n);

		tasks[i] = (struct cpu_task){ .cmd = cmd, .bases = job->bases,
			.packed = job->packed ? job->packed[index] : NULL,
			.begin = begin, .end = begin + len, .index = index,
			.batch = batch };
		begin += len;
	}
	if (n > 1)
		cpu_push(dev->cpu, tasks + 1, n - 1);
	cpu_task_run(dev, &tasks[0], cpu_caller_scratch(dev->cpu));
	if (n > 1) {
		pthread_mutex_lock(&batch->lock);
		while (batch->remaining)
			pthread_cond_wait(&batch->done, &batch->lock);
		pthread_mutex_unlock(&batch->lock);
	}
	return batch->err;
}

static int cpu_run(npurt_device *dev, const struct npurt_job *job)
{
	struct cpu_task *tasks = calloc(dev->cpu->num_threads, sizeof(*tasks));
	struct cpu_batch batch;
	uint32_t i;
	int ret = 0;

	if (!tasks)
		return npurt_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&batch.lock, NULL);
	pthread_cond_init(&batch.done, NULL);
	for (i = 0; i < job->num_cmds && !ret; i++) {
		/* Never run a command not validated against these buffers. */
		ret = npu_cmd_validate(&job->cmds[i], job->sizes, job->num_bufs,
				       NPURT_ALL_CAPS);
		if (ret) {
			ret = npurt_err(ret, "%s: command %u invalid for the "
					"bound buffers", dev->info.name, i);
			break;
		}
		ret = cpu_run_cmd(dev, job, i, tasks, &batch);
		if (ret)
			ret = npurt_err(ret, "%s: command %u failed: %s",
					dev->info.name, i, npurt_strerror(ret));
	}
	pthread_cond_destroy(&batch.done);
	pthread_mutex_destroy(&batch.lock);
	free(tasks);
	return ret;
}

static int cpu_mem_alloc(npurt_device *dev, uint64_t size,
			 struct npurt_mem *mem)
{
	int ret = npurt_host_alloc(size, dev->info.numa_node, mem);

	return ret ? npurt_err(ret, "%s: host allocation of %llu bytes "
			       "failed", dev->info.name,
			       (unsigned long long)size) : 0;
}

static void cpu_mem_free(npurt_device *dev, struct npurt_mem *mem)
{
	(void)dev;
	npurt_host_free(mem);
}

static void cpu_pool_stop(struct npurt_cpu_pool *pool)
{
	unsigned int i;

	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->num_started; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	if (pool->key_ok) {
		/* other callers' scratch goes with their threads */
		free(pthread_getspecific(pool->caller_key));
		pthread_key_delete(pool->caller_key);
	}
	free(pool->threads);
	free(pool);
}

static void cpu_close(npurt_device *dev)
{
	if (dev->cpu)
		cpu_pool_stop(dev->cpu);
	dev->cpu = NULL;
}

static const struct npurt_backend_ops cpu_ops = {
	.mem_alloc = cpu_mem_alloc,
	.mem_free = cpu_mem_free,
	.run = cpu_run,
	.close = cpu_close,
};

static int cpu_pool_start(npurt_device *dev, unsigned int threads,
			  uint32_t isa)
{
	struct npurt_cpu_pool *pool = calloc(1, sizeof(*pool));
	unsigned int i;
	int ret = 0;

	if (!pool || !(pool->threads = calloc(threads, sizeof(pthread_t)))) {
		free(pool);
		return npurt_err(-ENOMEM, "out of memory");
	}
	pool->dev = dev;
	pool->num_threads = threads;
	pool->isa = isa;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pool->key_ok = !pthread_key_create(&pool->caller_key, free);
	/* The calling thread runs one range of each command. */
	for (i = 0; i + 1 < threads; i++) {
		ret = -pthread_create(&pool->threads[i], NULL, cpu_thread, pool);
		if (ret)
			break;
		pool->num_started++;
	}
	if (ret) {
		cpu_pool_stop(pool);
		return npurt_err(ret, "cpu: starting %u threads: %s", threads,
				 npurt_strerror(ret));
	}
	dev->cpu = pool;
	return 0;
}

int npurt_cpu_device_init(npurt_device *dev, unsigned int threads,
			  int numa_node)
{
	struct npurt_device_info *info = &dev->info;
	const char *env = getenv("NPU_OPS_ISA");
	uint32_t isa;
	int ret;

	info->kind = NPURT_DEVICE_CPU;
	snprintf(info->name, sizeof(info->name), "cpu(%u)", threads);
	snprintf(info->arch, sizeof(info->arch), "cpu");
	info->threads = threads;
	info->numa_node = numa_node;
	info->fw_caps = NPURT_ALL_CAPS;
	dev->max_cmds = UINT32_MAX;
	dev->max_job_bos = NPURT_JOB_MAX_BUFS;
	isa = npu_isa_best();
	if (env && *env) {
		int want = npu_isa_from_name(env);

		if (want < 0 || !npu_isa_available((uint32_t)want))
			return npurt_err(-EINVAL, "NPU_OPS_ISA=%s: not a "
					 "variant this CPU runs (auto, scalar, "
					 "avx2, avx512)", env);
		if (want != NPU_ISA_AUTO)
			isa = (uint32_t)want;
	}
	ret = cpu_pool_start(dev, threads, isa);
	if (ret)
		return ret;
	dev->ops = &cpu_ops;
	return 0;
}

uint32_t npurt_cpu_isa(const npurt_device *dev)
{
	return dev->cpu->isa;
}
