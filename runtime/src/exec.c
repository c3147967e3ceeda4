// SPDX-License-Identifier: MIT
/*
 * exec.c - running program items on devices: per-device resident weights,
 * per-worker staging and scratch, slot binding (zero-copy for tensors that
 * already live where the run goes), NPU command rewriting from slots to
 * buffer objects, and the worker threads. A worker of a device that runs
 * whole batches (batch_jobs: the GPU) takes every consecutive queued item
 * of a run at once, up to its capacity, and runs them as one job: its
 * scratch, inputs and outputs are replicated per item at a fixed stride
 * (weights shared), the user's tensors are the host side of its inputs
 * and outputs (one upload, one download for the whole group), and the
 * CPU steps run item by item in between.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_ops.h"
#include "npu_ops.h"
#include "exec.h"
#include "profiler.h"

void (*npurt_exec_test_hook)(npurt_tensor *const *inputs, unsigned int item);

struct exec_dev {
	npurt_device *dev;
	struct npurt_mem *weights;	/* per slot (NPU only) */
	void **packed;			/* per command (CPU only), or NULL */
	/* per command, per CPU step, then the program's (CPU), or NULL */
	struct npurt_split_tune *tune;
};

struct slot_bind {
	uint8_t *ptr;
	uint32_t handle;
	uint64_t offset;
	uint64_t dptr;			/* GPU: device address */
	const uint8_t *copy_in;		/* copy from here before the run */
	uint8_t *copy_out;		/* copy to here after the run */
	bool host_new;			/* GPU: the host side is newer */
	bool pinned;			/* GPU: the host side is page-locked */
};

struct npurt_worker {
	struct npurt_exec *ex;
	struct exec_dev *ed;
	unsigned int index;
	pthread_t thread;
	struct npurt_mem *mem;		/* per slot: scratch, NPU staging */
	struct slot_bind *bind;		/* per slot, this item */
	struct rm_npu_cmd *cmds;	/* NPU: commands over buffer objects */
	uint8_t **bases;		/* CPU: per slot */
	void *scratch;			/* CPU: the op kernels' */
	uint64_t *sizes;		/* CPU: per slot */
	uint32_t *buf_of;		/* NPU: slot -> index in @handles */
	uint64_t *dptrs;		/* GPU: per slot */
	uint8_t *where;			/* GPU: per slot, enum npurt_gpu_where */
	bool *pinned;			/* GPU: per slot, slot_bind.pinned */
	uint64_t *strides;		/* batch_jobs: per slot, bytes per item */
	uint8_t **item_bases;		/* batch_jobs: an item's, per step thread */
	unsigned int max_items;		/* items per job (1 unless batch_jobs) */
	uint32_t handles[NPURT_JOB_MAX_BUFS];
	unsigned int num_handles;
	bool busy;			/* running items (ex->lock) */
	bool lent;			/* to a caller's thread (ex->lock) */
};

struct npurt_exec {
	npurt_runtime *rt;
	npurt_model *model;
	const npurt_program *prog;
	unsigned int batch;
	unsigned int *slot_io;		/* slot -> input/output index */
	struct npurt_tensor_desc *descs[2];	/* batched inputs, outputs */
	unsigned int num_devs;
	struct exec_dev *devs;
	unsigned int num_workers;
	unsigned int started;
	struct npurt_worker *workers;
	unsigned int lend_next;		/* (lock) first worker worker_lend() tries */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct npurt_work *head, *tail;
	unsigned int queued;
	bool stop;
	void (*on_start)(struct npurt_run *run);
};

/* ---- setup -------------------------------------------------------------- */

static int exec_descs(struct npurt_exec *ex)
{
	const npurt_program *p = ex->prog;
	unsigned int i, n, k;

	for (k = 0; k < 2; k++) {
		const unsigned int *idx = k ? p->outputs : p->inputs;

		n = k ? p->num_outputs : p->num_inputs;
		ex->descs[k] = calloc(n + 1, sizeof(*ex->descs[k]));
		if (!ex->descs[k])
			return npurt_err(-ENOMEM, "out of memory");
		for (i = 0; i < n; i++) {
			struct npurt_tensor_desc *d = &ex->descs[k][i];

			*d = p->slots[idx[i]].desc;
			ex->slot_io[idx[i]] = i;
			if (!npurt_mul_ok(d->dims[0], ex->batch, &d->dims[0]) ||
			    npurt_desc_finish(d))
				return npurt_err(-EINVAL, "tensor \"%s\" too "
						 "large for batch %u", d->name,
						 ex->batch);
		}
	}
	return 0;
}

/* Does @cmd use a binary32 rescale mode (RM_NPU_CAP_F32_RESCALE)? */
static bool cmd_f32(const struct rm_npu_cmd *cmd)
{
	if (cmd->opcode == RM_NPU_OP_GEMM || cmd->opcode == RM_NPU_OP_CONV2D)
		return cmd->flags & RM_NPU_MM_F32_SCALE;
	return cmd->opcode == RM_NPU_OP_ELTWISE &&
	       (cmd->flags & RM_NPU_ELT_FLAGS);
}

static int exec_dev_check(const struct npurt_exec *ex, const npurt_device *dev)
{
	const npurt_program *p = ex->prog;
	unsigned int i;

	for (i = 0; i < p->num_cmds; i++) {
		if (!(dev->info.fw_caps & RM_NPU_CAP(p->cmds[i].opcode)))
			return npurt_err(-EOPNOTSUPP, "%s: the firmware does "
					 "not run %s (command %u)",
					 dev->info.name,
					 npurt_op_name(p->cmds[i].opcode), i);
		if (cmd_f32(&p->cmds[i]) &&
		    !(dev->info.fw_caps & RM_NPU_CAP_F32_RESCALE))
			return npurt_err(-EOPNOTSUPP, "%s does not run the "
					 "binary32 rescale modes (command %u)",
					 dev->info.name, i);
	}
	return 0;
}

/* The weight operand of a GEMM or CONV2D, else NULL. */
static const struct rm_npu_ref *cmd_weights(const struct rm_npu_cmd *cmd)
{
	if (cmd->opcode == RM_NPU_OP_GEMM)
		return &cmd->gemm.b;
	if (cmd->opcode == RM_NPU_OP_CONV2D)
		return &cmd->conv2d.weights;
	return NULL;
}

/*
 * CPU: the weights of each GEMM and CONV2D whose weight operand is a
 * program constant, packed once for the pool's op kernels (the per-run
 * packing of the kernels is then skipped).
 */
static int exec_dev_pack(struct npurt_exec *ex, struct exec_dev *ed)
{
	const npurt_program *p = ex->prog;
	uint32_t isa = npurt_cpu_isa(ed->dev);
	uint8_t **bases;
	unsigned int c, i;

	ed->packed = calloc(p->num_cmds + 1, sizeof(*ed->packed));
	/* the commands', the CPU steps', then the whole program's */
	if (npurt_cpu_tunes(ed->dev))
		ed->tune = calloc(p->num_cmds + p->num_cpuops + 1,
				  sizeof(*ed->tune));
	bases = calloc(p->num_slots + 1, sizeof(*bases));
	if (!ed->packed || !bases ||
	    (npurt_cpu_tunes(ed->dev) && !ed->tune)) {
		free(bases);
		return npurt_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < p->num_slots; i++)
		if (p->slots[i].kind == NPURT_SLOT_WEIGHTS)
			bases[i] = (uint8_t *)p->slots[i].data;
	for (c = 0; c < p->num_cmds; c++) {
		const struct rm_npu_ref *w = cmd_weights(&p->cmds[c]);
		uint64_t size;

		if (!w || w->bo >= p->num_slots || !bases[w->bo])
			continue;
		size = npu_cmd_pack_size(&p->cmds[c], isa);
		if (!size)
			continue;
		ed->packed[c] = aligned_alloc(64, (size + 63) & ~63ULL);
		if (!ed->packed[c] ||
		    npu_cmd_pack(&p->cmds[c], bases, isa, ed->packed[c])) {
			free(ed->packed[c]);
			ed->packed[c] = NULL;	/* packed per run instead */
		}
	}
	free(bases);
	return 0;
}

/* Devices with memory of their own (NPU, GPU) keep the model's weights. */
static bool dev_has_mem(const npurt_device *dev)
{
	return npurt_dev_is_npu(dev) || npurt_dev_is_gpu(dev);
}

/* NPU, GPU: weights into device memory, once per device; CPU: packed. */
static int exec_dev_init(struct npurt_exec *ex, struct exec_dev *ed)
{
	const npurt_program *p = ex->prog;
	unsigned int i;
	int ret;

	ret = exec_dev_check(ex, ed->dev);
	if (ret)
		return ret;
	if (!dev_has_mem(ed->dev))
		return exec_dev_pack(ex, ed);
	ed->weights = calloc(p->num_slots + 1, sizeof(*ed->weights));
	if (!ed->weights)
		return npurt_err(-ENOMEM, "out of memory");
	for (i = 0; i < p->num_slots; i++) {
		if (p->slots[i].kind != NPURT_SLOT_WEIGHTS)
			continue;
		ret = npurt_dev_mem_alloc(ed->dev, p->slots[i].size,
					  &ed->weights[i]);
		if (ret)
			return ret;
		memcpy(ed->weights[i].ptr, p->slots[i].data, p->slots[i].size);
		if (npurt_dev_is_gpu(ed->dev)) {
			ret = npurt_gpu_upload(ed->dev, &ed->weights[i]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool slot_is_io(const struct npurt_slot *s)
{
	return s->kind == NPURT_SLOT_INPUT || s->kind == NPURT_SLOT_OUTPUT;
}

/*
 * Threads a CPU step of a batched job spreads its items over, at most one
 * per online CPU: a batch's input QUANTIZE (64 images of mobilenet_v2:
 * 38.5 MB of floats) is bound by memory bandwidth, which one thread
 * cannot draw (on the lent 16-core GPU machine, 4 threads took 2 ms of
 * the 4.7 ms a batch took, the GPU waiting).
 */
#define EXEC_STEP_THREADS	16
/* Fewer items, or elements, than these per thread are not worth one. */
#define EXEC_STEP_ITEMS_MIN	4
#define EXEC_STEP_ELEMS_MIN	(256u * 1024)

static int worker_alloc(struct npurt_worker *w, const npurt_program *p)
{
	size_t n = p->num_slots + 1;

	w->mem = calloc(n, sizeof(*w->mem));
	w->bind = calloc(n, sizeof(*w->bind));
	w->bases = calloc(n, sizeof(*w->bases));
	w->sizes = calloc(n, sizeof(*w->sizes));
	w->buf_of = calloc(n, sizeof(*w->buf_of));
	w->dptrs = calloc(n, sizeof(*w->dptrs));
	w->where = calloc(n, sizeof(*w->where));
	w->pinned = calloc(n, sizeof(*w->pinned));
	w->strides = calloc(n, sizeof(*w->strides));
	w->item_bases = calloc(n * EXEC_STEP_THREADS, sizeof(*w->item_bases));
	w->cmds = calloc(p->num_cmds, sizeof(*w->cmds));
	if (!w->mem || !w->bind || !w->bases || !w->sizes || !w->buf_of ||
	    !w->dptrs || !w->where || !w->pinned || !w->strides ||
	    !w->item_bases || !w->cmds)
		return npurt_err(-ENOMEM, "out of memory");
	return 0;
}

static int plan_handles(struct npurt_worker *w, bool fail);


/* A batch_jobs worker's memory for its items, all slots together. */
#define EXEC_GROUP_BYTES	(512ULL << 20)
/* Scratch items start aligned for the device's wide loads. */
#define EXEC_ITEM_ALIGN		256

/*
 * batch_jobs: the bytes between items of each slot (inputs and outputs
 * packed like the user's tensors, scratch aligned, weights shared) and
 * how many items fit EXEC_GROUP_BYTES (at least 1, at most the batch).
 */
static void worker_strides(struct npurt_exec *ex, struct npurt_worker *w)
{
	const npurt_program *p = ex->prog;
	uint64_t per_item = 0;
	unsigned int i;

	w->max_items = 1;
	if (!w->ed->dev->batch_jobs)
		return;
	for (i = 0; i < p->num_slots; i++) {
		const struct npurt_slot *s = &p->slots[i];

		if (s->kind == NPURT_SLOT_WEIGHTS)
			w->strides[i] = 0;
		else if (slot_is_io(s))
			w->strides[i] = s->size;
		else
			w->strides[i] = npurt_align_up(s->size, EXEC_ITEM_ALIGN);
		per_item += w->strides[i];
	}
	w->max_items = ex->batch;
	if (per_item && EXEC_GROUP_BYTES / per_item < w->max_items)
		w->max_items = (unsigned int)(EXEC_GROUP_BYTES / per_item);
	if (!w->max_items)
		w->max_items = 1;
}

/* Scratch for every device, staging for NPU inputs and outputs. */
static int worker_init(struct npurt_exec *ex, struct npurt_worker *w)
{
	const npurt_program *p = ex->prog;
	npurt_device *dev = w->ed->dev;
	unsigned int i;
	int ret;

	ret = worker_alloc(w, p);
	if (!ret)
		worker_strides(ex, w);
	for (i = 0; i < p->num_slots && !ret; i++) {
		const struct npurt_slot *s = &p->slots[i];
		uint64_t size = s->size;

		if (w->max_items > 1)
			size = w->strides[i] * (w->max_items - 1) + s->size;
		if (s->kind == NPURT_SLOT_SCRATCH ||
		    (slot_is_io(s) && dev_has_mem(dev)))
			ret = npurt_dev_mem_alloc(dev, size, &w->mem[i]);
	}
	/* CPU: the op kernels' scratch travels with the worker (a caller
	 * that borrows it runs on it too). */
	if (!ret && !dev_has_mem(dev)) {
		w->scratch = aligned_alloc(NPU_OPS_SCRATCH_ALIGN,
					   NPU_OPS_SCRATCH_SIZE);
		if (!w->scratch)
			ret = npurt_err(-ENOMEM, "out of memory");
	}
	if (ret || !npurt_dev_is_npu(dev))
		return ret;
	/* Staging everywhere is the fallback binding: it must fit a job. */
	for (i = 0; i < p->num_slots; i++)
		w->bind[i].handle = p->slots[i].kind == NPURT_SLOT_WEIGHTS ?
				    w->ed->weights[i].handle : w->mem[i].handle;
	return plan_handles(w, true);
}

/* ---- binding and running one item ------------------------------------ */

static void bind_mem(struct slot_bind *b, const struct npurt_mem *m)
{
	b->ptr = m->ptr;
	b->handle = m->handle;
	b->offset = m->offset;
	b->dptr = m->dptr;
}

/* Where slot @i of item @item lives; @zero_copy allows device tensors. */
static void bind_slot(struct npurt_worker *w, const struct npurt_run *run,
		      unsigned int item, unsigned int i, bool zero_copy)
{
	const struct npurt_slot *s = &w->ex->prog->slots[i];
	npurt_device *dev = w->ed->dev;
	struct slot_bind *b = &w->bind[i];
	const npurt_tensor *t;
	uint8_t *src;

	memset(b, 0, sizeof(*b));
	if (s->kind == NPURT_SLOT_WEIGHTS) {
		if (dev_has_mem(dev))
			bind_mem(b, &w->ed->weights[i]);
		else
			b->ptr = (uint8_t *)s->data;	/* never written */
		return;
	}
	if (s->kind == NPURT_SLOT_SCRATCH) {
		bind_mem(b, &w->mem[i]);
		return;
	}
	t = (s->kind == NPURT_SLOT_INPUT ? run->inputs :
	     run->outputs)[w->ex->slot_io[i]];
	src = t->data + (uint64_t)item * s->size;
	if (!dev_has_mem(dev)) {
		b->ptr = src;
	} else if (npurt_dev_is_gpu(dev)) {
		/* the tensor is the host side: items at s->size, like ours */
		bind_mem(b, &w->mem[i]);
		b->ptr = src;
		b->host_new = s->kind == NPURT_SLOT_INPUT;
		b->pinned = t->dev == dev;
	} else if (zero_copy && npurt_dev_is_npu(dev) && t->dev == dev &&
		   t->mem.kind == NPURT_MEM_POOL) {
		b->ptr = src;
		b->handle = t->mem.handle;
		b->offset = t->mem.offset + (uint64_t)item * s->size;
	} else {
		bind_mem(b, &w->mem[i]);
		if (s->kind == NPURT_SLOT_INPUT)
			b->copy_in = src;
		else
			b->copy_out = src;
		b->host_new = b->copy_in;
	}
}

/* NPU: the distinct buffer objects of the bound slots. */
static int plan_handles(struct npurt_worker *w, bool fail)
{
	const npurt_program *p = w->ex->prog;
	uint32_t max = w->ed->dev->max_job_bos;
	unsigned int i, j;

	w->num_handles = 0;
	for (i = 0; i < p->num_slots; i++) {
		for (j = 0; j < w->num_handles; j++)
			if (w->handles[j] == w->bind[i].handle)
				break;
		if (j == w->num_handles) {
			if (w->num_handles == max)
				return fail ? npurt_err(-E2BIG, "%s: the program "
					"needs more than %u buffer objects per "
					"job", w->ed->dev->info.name, max) :
					-E2BIG;
			w->handles[w->num_handles++] = w->bind[i].handle;
		}
		w->buf_of[i] = j;
	}
	return 0;
}

static void bind_all(struct npurt_worker *w, const struct npurt_run *run,
		     unsigned int item)
{
	unsigned int i, n = w->ex->prog->num_slots;

	for (i = 0; i < n; i++)
		bind_slot(w, run, item, i, true);
	if (!npurt_dev_is_npu(w->ed->dev) || !plan_handles(w, false))
		return;
	/* Too many distinct buffer objects: stage everything (fits). */
	for (i = 0; i < n; i++)
		bind_slot(w, run, item, i, false);
	plan_handles(w, true);
}

/* NPU: slot references become (buffer index, offset in the object). */
static void rewrite_cmds(struct npurt_worker *w)
{
	const npurt_program *p = w->ex->prog;
	struct rm_npu_ref *refs[5];
	bool writes[5];
	unsigned int c, r, n;

	for (c = 0; c < p->num_cmds; c++) {
		w->cmds[c] = p->cmds[c];
		n = npurt_cmd_refs(&w->cmds[c], refs, writes);
		for (r = 0; r < n; r++) {
			uint32_t slot = refs[r]->bo;

			refs[r]->bo = w->buf_of[slot];
			refs[r]->offset += w->bind[slot].offset;
		}
	}
}

/*
 * The whole command stream for @items items; run_segments() narrows it
 * per segment.
 */
static void build_job(struct npurt_worker *w, struct npurt_job *job,
		      unsigned int items)
{
	const npurt_program *p = w->ex->prog;
	unsigned int i;

	memset(job, 0, sizeof(*job));
	job->num_cmds = p->num_cmds;
	job->items = items;
	if (w->ed->dev->batch_jobs)
		job->strides = w->strides;
	/* Host addresses of the slots, for CPU steps (mapped on an NPU). */
	for (i = 0; i < p->num_slots; i++) {
		w->bases[i] = w->bind[i].ptr;
		w->sizes[i] = p->slots[i].size;
	}
	if (npurt_dev_is_npu(w->ed->dev)) {
		rewrite_cmds(w);
		job->cmds = w->cmds;
		job->handles = w->handles;
		job->num_bufs = w->num_handles;
		return;
	}
	job->cmds = p->cmds;
	job->bases = w->bases;
	job->sizes = w->sizes;
	job->num_bufs = p->num_slots;
	if (!npurt_dev_is_gpu(w->ed->dev)) {
		job->packed = (const void *const *)w->ed->packed;
		job->tune = w->ed->tune;
		job->scratch = w->scratch;
		return;
	}
	/* GPU: the inputs' host sides are newer */
	for (i = 0; i < p->num_slots; i++) {
		w->dptrs[i] = w->bind[i].dptr;
		w->where[i] = w->bind[i].host_new ? NPURT_GPU_HOST :
			      NPURT_GPU_SYNCED;
		w->pinned[i] = w->bind[i].pinned;
	}
	job->dptrs = w->dptrs;
	job->where = w->where;
	job->pinned = w->pinned;
}

/*
 * GPU: the bytes of a CPU step's operand @r moved @to_host before it runs
 * (inputs), or to the device after it ran (its output): only the step's
 * extents travel, not whole slots.
 */
static int gpu_step_sync(struct npurt_worker *w, const struct npurt_job *job,
			 const struct npurt_cpu_ref *r, bool to_host)
{
	npurt_device *dev = w->ed->dev;
	uint64_t bytes = r->count *
			 npurt_dtype_size((enum npurt_dtype)r->dtype);

	return dev->ops->sync_range(dev, job, r->slot, r->offset, bytes,
				    to_host);
}

/* GPU: the output slots' host sides made current. */
static int gpu_outputs_sync(struct npurt_worker *w,
			    const struct npurt_job *job)
{
	const npurt_program *p = w->ex->prog;
	uint32_t *slots = w->buf_of;	/* unused on a GPU: scratch list */
	unsigned int i, n = 0;

	for (i = 0; i < p->num_slots; i++)
		if (p->slots[i].kind == NPURT_SLOT_OUTPUT)
			slots[n++] = i;
	return w->ed->dev->ops->sync_host(w->ed->dev, job, slots, n);
}

static void copy_slots(struct npurt_worker *w, bool in)
{
	const npurt_program *p = w->ex->prog;
	uint64_t t0 = npurt_now_ns(), bytes = 0;
	unsigned int i;

	for (i = 0; i < p->num_slots; i++) {
		struct slot_bind *b = &w->bind[i];

		if (in && b->copy_in)
			memcpy(b->ptr, b->copy_in, p->slots[i].size);
		else if (!in && b->copy_out)
			memcpy(b->copy_out, b->ptr, p->slots[i].size);
		else
			continue;
		bytes += p->slots[i].size;
	}
	if (bytes)
		npurt_prof_span(w->ex->rt, "copy", NPURT_PROF_THREAD, t0,
				npurt_now_ns(), "copy %s %llu bytes",
				in ? "in" : "out", (unsigned long long)bytes);
}

/* A CPU step over items @first .. @end - 1 of a batched job. */
struct step_share {
	struct npurt_worker *w;
	const struct npurt_job *job;
	const struct npurt_cpu_op *op;
	uint8_t **bases;		/* num_slots, this share's */
	unsigned int first, end;
	pthread_t thread;
};

static void *step_share_run(void *arg)
{
	struct step_share *sh = arg;
	unsigned int i, j, n = sh->w->ex->prog->num_slots;

	for (j = sh->first; j < sh->end; j++) {
		for (i = 0; i < n; i++)
			sh->bases[i] = sh->w->bases[i] + j * sh->job->strides[i];
		npurt_cpu_op_run(sh->op, sh->bases);
	}
	return NULL;
}

/*
 * A CPU step over each item of @job: the items are independent, so a
 * large group is shared out among up to EXEC_STEP_THREADS threads (this
 * one included; a thread that cannot start leaves its share here).
 */
static void cpu_step_items(struct npurt_worker *w, const struct npurt_job *job,
			   const struct npurt_cpu_op *op)
{
	struct step_share sh[EXEC_STEP_THREADS];
	unsigned int k, t, items = job->items, n = w->ex->prog->num_slots;
	bool started[EXEC_STEP_THREADS] = { false };
	uint64_t elems;

	if (items <= 1 || !job->strides) {
		npurt_cpu_op_run(op, w->bases);
		return;
	}
	elems = (op->out.count > op->in[0].count ? op->out.count :
		 op->in[0].count) * items;
	t = items / EXEC_STEP_ITEMS_MIN;
	if (t > elems / EXEC_STEP_ELEMS_MIN)
		t = (unsigned int)(elems / EXEC_STEP_ELEMS_MIN);
	if (t > npurt_online_cpus())
		t = npurt_online_cpus();
	t = t < 1 ? 1 : t > EXEC_STEP_THREADS ? EXEC_STEP_THREADS : t;
	for (k = 0; k < t; k++) {
		sh[k] = (struct step_share){ w, job, op, w->item_bases + k * n,
					     items * k / t,
					     items * (k + 1) / t, 0 };
		started[k] = k && !pthread_create(&sh[k].thread, NULL,
						  step_share_run, &sh[k]);
	}
	for (k = 0; k < t; k++)
		if (!started[k])
			step_share_run(&sh[k]);
	for (k = 1; k < t; k++)
		if (started[k])
			pthread_join(sh[k].thread, NULL);
}

/*
 * The program as an ordered sequence: runs of consecutive commands go to
 * the device as one job each, CPU steps run here in between on the slots'
 * host addresses (NPU buffer objects are mapped; the job has completed
 * when run() returns, so ordering is all the coherence needed; a GPU's
 * jobs are left running, in order on the thread's stream, until a CPU
 * step needs their bytes here or the outputs are read).
 */
static int run_segments_in(struct npurt_worker *w, const struct npurt_job *all)
{
	const npurt_program *p = w->ex->prog;
	npurt_device *dev = w->ed->dev;
	unsigned int c = 0, s = 0, end;
	struct npurt_job job;
	int ret;

	if (!p->num_cpuops) {
		ret = dev->ops->run(dev, all);
		return ret || !all->where ? ret : gpu_outputs_sync(w, all);
	}
	/* the device takes the steps with the commands (CPU: one gang) */
	if (!all->where && all->items <= 1 && dev->ops->run_program) {
		ret = dev->ops->run_program(dev, all, p->cpuops,
					    p->num_cpuops);
		if (ret != 1)
			return ret;
	}
	while (c < p->num_cmds || s < p->num_cpuops) {
		end = s < p->num_cpuops ? p->cpuops[s].after_cmd : p->num_cmds;
		if (end > c) {
			job = *all;
			job.cmds = all->cmds + c;
			job.num_cmds = end - c;
			/* GPU: one wait, at gpu_outputs_sync() */
			job.cmd_base = c;
			job.defer = all->where != NULL;
			if (all->packed)
				job.packed = all->packed + c;
			if (all->tune)
				job.tune = all->tune + c;
			ret = dev->ops->run(dev, &job);
			if (ret)
				return ret;
			c = end;
		}
		for (; s < p->num_cpuops && p->cpuops[s].after_cmd == c; s++) {
			const struct npurt_cpu_op *op = &p->cpuops[s].op;
			uint64_t t0 = npurt_now_ns();
			unsigned int k;

			job = *all;
			job.step_tune = all->tune ? all->tune + p->num_cmds + s :
				       NULL;
			ret = dev->ops->run_step ?
			      dev->ops->run_step(dev, &job, op) : 1;
			if (ret < 0)
				return ret;
			if (!ret) {
				npurt_prof_span(w->ex->rt, "cpu",
						NPURT_PROF_THREAD, t0,
						npurt_now_ns(), "CPU step %u %s "
						"on %s (%u items)", s,
						npurt_cpu_op_name(op->opcode),
						dev->info.name, all->items);
				continue;
			}
			for (k = 0; all->where && k < NPURT_CPU_MAX_IN; k++) {
				if (op->in[k].slot == NPURT_CPU_NONE)
					continue;
				ret = gpu_step_sync(w, all, &op->in[k], true);
				if (ret)
					return ret;
			}
			t0 = npurt_now_ns();
			cpu_step_items(w, all, op);
			npurt_prof_span(w->ex->rt, "cpu", NPURT_PROF_THREAD, t0,
					npurt_now_ns(), "CPU step %u %s (%u items)",
					s, npurt_cpu_op_name(op->opcode),
					all->items);
			if (all->where) {
				ret = gpu_step_sync(w, all, &op->out, false);
				if (ret)
					return ret;
			}
		}
	}
	return all->where ? gpu_outputs_sync(w, all) : 0;
}

static int run_segments(struct npurt_worker *w, const struct npurt_job *all)
{
	int ret = run_segments_in(w, all);
	char why[256];

	/* GPU: nothing of the run still going once it has failed (the
	 * failure's message kept, whatever the wait says) */
	if (ret && all->where) {
		snprintf(why, sizeof(why), "%s", npurt_last_error());
		w->ed->dev->ops->sync_host(w->ed->dev, all, NULL, 0);
		npurt_err(ret, "%s", why);
	}
	return ret;
}

/*
 * CPU: a split command spreads its output over the cores that ran it, and
 * the commands and steps after it read it from there; where moving cache
 * lines between cores is slow, a whole inference then runs slower on
 * cpu(N) than on one thread even when each split alone gains. So a
 * program's first runs on the device also measure it whole, split and
 * alone (npurt_split_tune_next()); it runs alone from then on when split
 * lost. CPU steps measure themselves only once it splits (commands do
 * not: cpu_backend.c).
 */
static int tuned_run(struct npurt_worker *w, struct npurt_job *job)
{
	const npurt_program *p = w->ex->prog;
	struct npurt_split_tune *gate;
	uint64_t t0;
	int way, ret;

	if (!job->tune || job->items > 1)
		return run_segments(w, job);
	gate = job->tune + p->num_cmds + p->num_cpuops;
	if (npurt_split_tune_next(gate, &way) == 1)
		job->no_split = true;
	if (way >= 0)
		job->tune = NULL;
	t0 = way < 0 ? 0 : npurt_now_ns();
	ret = run_segments(w, job);
	if (way >= 0 && !ret)
		npurt_split_tune_record(gate, way, npurt_now_ns() - t0);
	return ret;
}

/* Items @item .. @item + @items - 1 of @run as one job. */
static int worker_run(struct npurt_worker *w, struct npurt_run *run,
		      unsigned int item, unsigned int items)
{
	npurt_device *dev = w->ed->dev;
	uint64_t t0 = npurt_now_ns();
	struct npurt_job job;
	unsigned int j;
	int ret;

	for (j = 0; npurt_exec_test_hook && j < items; j++)
		npurt_exec_test_hook(run->inputs, item + j);
	bind_all(w, run, item);
	copy_slots(w, true);
	build_job(w, &job, items);
	ret = tuned_run(w, &job);
	if (!ret)
		copy_slots(w, false);
	if (items == 1)
		npurt_prof_span(w->ex->rt, "run", NPURT_PROF_THREAD, t0,
				npurt_now_ns(), "%s item %u on %s%s",
				w->ex->prog->name, item, dev->info.name,
				ret ? " (failed)" : "");
	else
		npurt_prof_span(w->ex->rt, "run", NPURT_PROF_THREAD, t0,
				npurt_now_ns(), "%s items %u-%u on %s%s",
				w->ex->prog->name, item, item + items - 1,
				dev->info.name, ret ? " (failed)" : "");
	return ret;
}

/* ---- queueing ----------------------------------------------------------- */

static void run_item_done(struct npurt_run *run, int err)
{
	int none = 0;

	if (err && atomic_compare_exchange_strong(&run->err, &none, err))
		snprintf(run->errmsg, sizeof(run->errmsg), "%s",
			 err == -ECANCELED || err == -ESHUTDOWN ?
			 "run cancelled" : npurt_last_error());
	if (atomic_fetch_sub(&run->remaining, 1) == 1)
		run->complete(run);
}

static void *worker_main(void *arg)
{
	struct npurt_worker *w = arg;
	struct npurt_exec *ex = w->ex;
	struct npurt_work *work;
	struct npurt_run *run;
	unsigned int first, n;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "worker %u (%s)", w->index,
		 w->ed->dev->info.name);
	npurt_prof_name_thread(ex->rt, name);
	for (;;) {
		pthread_mutex_lock(&ex->lock);
		w->busy = false;
		/* lent: a caller runs on our memory; we leave only after it */
		while (w->lent || (!ex->head && !ex->stop))
			pthread_cond_wait(&ex->cond, &ex->lock);
		work = ex->head;
		run = work ? work->run : NULL;
		first = work ? work->item : 0;
		/* the head, and the items of its run that follow it in order */
		for (n = 0; work && n < w->max_items && work->run == run &&
		     work->item == first + n; work = ex->head, n++) {
			ex->head = work->next;
			if (!ex->head)
				ex->tail = NULL;
			ex->queued--;
		}
		w->busy = n;
		pthread_mutex_unlock(&ex->lock);
		if (!n)
			return NULL;
		if (!atomic_exchange(&run->started, true) && ex->on_start)
			ex->on_start(run);
		ret = worker_run(w, run, first, n);
		/* @run may be freed once its last item is done */
		while (n--)
			run_item_done(run, ret);
	}
}

static void run_init(struct npurt_exec *ex, struct npurt_run *run)
{
	atomic_init(&run->remaining, ex->batch);
	atomic_init(&run->err, 0);
	atomic_init(&run->started, false);
	run->errmsg[0] = '\0';
}

/*
 * An idle worker whose device may run a job on any thread, taken off the
 * queue's hands (ex->lock held), or NULL: only when nothing is queued (a
 * run never overtakes one submitted before it) and the whole run is one
 * item (more would lose the other workers' parallelism). Batch-job
 * devices (the GPU) keep their own threads. Over several devices the
 * search starts past the last one lent (workers interleave devices), so
 * runs that never overlap still spread over every device of the spec; on
 * one device it starts at the first worker, whose memory is the warmest.
 */
static struct npurt_worker *worker_lend(struct npurt_exec *ex)
{
	unsigned int i, k, n = ex->started;

	if (ex->head || ex->stop || ex->batch != 1)
		return NULL;
	for (i = 0; i < n; i++) {
		struct npurt_worker *w;

		k = (ex->lend_next + i) % n;
		w = &ex->workers[k];
		if (!w->busy && !w->lent && !w->ed->dev->batch_jobs) {
			w->lent = true;
			if (ex->num_devs > 1)
				ex->lend_next = (k + 1) % n;
			return w;
		}
	}
	return NULL;
}

bool npurt_exec_run_here(struct npurt_exec *ex, struct npurt_run *run)
{
	struct npurt_worker *w;
	int ret;

	pthread_mutex_lock(&ex->lock);
	w = worker_lend(ex);
	pthread_mutex_unlock(&ex->lock);
	if (!w)
		return false;
	run_init(ex, run);
	atomic_store(&run->started, true);
	if (ex->on_start)
		ex->on_start(run);
	ret = worker_run(w, run, 0, 1);
	/* Back to its thread, which may have to run (or leave) meanwhile. */
	pthread_mutex_lock(&ex->lock);
	w->lent = false;
	if (ex->head || ex->stop)
		pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	run_item_done(run, ret);	/* @run may be freed now */
	return true;
}

void npurt_exec_submit(struct npurt_exec *ex, struct npurt_run *run)
{
	unsigned int i;

	run_init(ex, run);
	pthread_mutex_lock(&ex->lock);
	for (i = 0; i < ex->batch; i++) {
		struct npurt_work *w = &run->works[i];

		w->run = run;
		w->item = i;
		w->next = NULL;
		if (ex->tail)
			ex->tail->next = w;
		else
			ex->head = w;
		ex->tail = w;
		ex->queued++;
	}
	pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
}

unsigned int npurt_exec_cancel(struct npurt_exec *ex, int err)
{
	struct npurt_work *list, *next;
	unsigned int n = 0;

	pthread_mutex_lock(&ex->lock);
	list = ex->head;
	ex->head = ex->tail = NULL;
	ex->queued = 0;
	pthread_mutex_unlock(&ex->lock);
	for (; list; list = next, n++) {
		next = list->next;	/* @list may be freed by completion */
		run_item_done(list->run, err);
	}
	return n;
}

unsigned int npurt_exec_cancel_run(struct npurt_exec *ex,
				   struct npurt_run *run, int err)
{
	struct npurt_work **p, *w, *list = NULL;
	unsigned int n = 0;

	pthread_mutex_lock(&ex->lock);
	ex->tail = NULL;
	for (p = &ex->head; *p;) {
		w = *p;
		if (w->run != run) {
			ex->tail = w;
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = list;
		list = w;
		ex->queued--;
	}
	pthread_mutex_unlock(&ex->lock);
	for (; list; list = w, n++) {
		w = list->next;		/* @list may be freed by completion */
		run_item_done(list->run, err);
	}
	return n;
}

unsigned int npurt_exec_queued(struct npurt_exec *ex)
{
	unsigned int n;

	pthread_mutex_lock(&ex->lock);
	n = ex->queued;
	pthread_mutex_unlock(&ex->lock);
	return n;
}

unsigned int npurt_exec_batch(const struct npurt_exec *ex)
{
	return ex->batch;
}

unsigned int npurt_exec_workers(const struct npurt_exec *ex)
{
	return ex->num_workers;
}

void npurt_exec_on_start(struct npurt_exec *ex,
			 void (*fn)(struct npurt_run *run))
{
	ex->on_start = fn;
}

/* ---- inputs and outputs -------------------------------------------------- */

unsigned int npurt_exec_io_count(const struct npurt_exec *ex, bool out)
{
	return out ? ex->prog->num_outputs : ex->prog->num_inputs;
}

const npurt_tensor_desc *npurt_exec_io_desc(const struct npurt_exec *ex,
					    bool out, unsigned int index)
{
	return index < npurt_exec_io_count(ex, out) ? &ex->descs[out][index] :
	       NULL;
}

int npurt_exec_check_io(const struct npurt_exec *ex, bool out,
			npurt_tensor *const *tensors)
{
	unsigned int i, n = npurt_exec_io_count(ex, out);
	const char *what = out ? "output" : "input";

	if (n && !tensors)
		return npurt_err(-EINVAL, "%ss: array is NULL", what);
	for (i = 0; i < n; i++) {
		const struct npurt_tensor_desc *d = &ex->descs[out][i];

		if (!tensors[i] || !tensors[i]->data)
			return npurt_err(-EINVAL, "%s %u (\"%s\") is NULL", what,
					 i, d->name);
		if (tensors[i]->size < d->size)
			return npurt_err(-EINVAL, "%s %u (\"%s\"): %zu bytes, "
					 "needs %llu", what, i, d->name,
					 tensors[i]->size,
					 (unsigned long long)d->size);
	}
	return 0;
}

/* ---- lifetime ----------------------------------------------------------- */

static void exec_free(struct npurt_exec *ex)
{
	unsigned int i, s;

	for (i = 0; i < ex->num_workers && ex->workers; i++) {
		struct npurt_worker *w = &ex->workers[i];

		for (s = 0; w->mem && s < ex->prog->num_slots; s++)
			npurt_dev_mem_free(w->ed->dev, &w->mem[s]);
		free(w->mem);
		free(w->bind);
		free(w->bases);
		free(w->sizes);
		free(w->buf_of);
		free(w->dptrs);
		free(w->where);
		free(w->pinned);
		free(w->strides);
		free(w->item_bases);
		free(w->cmds);
		free(w->scratch);
	}
	for (i = 0; i < ex->num_devs && ex->devs; i++) {
		for (s = 0; ex->devs[i].weights && s < ex->prog->num_slots; s++)
			npurt_dev_mem_free(ex->devs[i].dev,
					   &ex->devs[i].weights[s]);
		free(ex->devs[i].weights);
		for (s = 0; ex->devs[i].packed && s < ex->prog->num_cmds; s++)
			free(ex->devs[i].packed[s]);
		free(ex->devs[i].packed);
		free(ex->devs[i].tune);
	}
	free(ex->workers);
	free(ex->devs);
	free(ex->descs[0]);
	free(ex->descs[1]);
	free(ex->slot_io);
	pthread_cond_destroy(&ex->cond);
	pthread_mutex_destroy(&ex->lock);
	npurt_model_put(ex->model);
	free(ex);
}

static int exec_setup(struct npurt_exec *ex, unsigned int worker_num)
{
	npurt_runtime *rt = ex->rt;
	unsigned int d, k;
	int ret;

	ex->num_devs = rt->num_devices;
	ex->num_workers = rt->num_devices * worker_num;
	ex->slot_io = calloc(ex->prog->num_slots + 1, sizeof(*ex->slot_io));
	ex->devs = calloc(ex->num_devs, sizeof(*ex->devs));
	ex->workers = calloc(ex->num_workers, sizeof(*ex->workers));
	if (!ex->slot_io || !ex->devs || !ex->workers)
		return npurt_err(-ENOMEM, "out of memory");
	ret = exec_descs(ex);
	for (d = 0; d < ex->num_devs && !ret; d++) {
		ex->devs[d].dev = rt->devices[d];
		ret = exec_dev_init(ex, &ex->devs[d]);
	}
	/* Workers interleave devices, so idle ones spread over all of them. */
	for (k = 0; k < ex->num_workers && !ret; k++) {
		struct npurt_worker *w = &ex->workers[k];

		w->ex = ex;
		w->index = k;
		w->ed = &ex->devs[k % ex->num_devs];
		ret = worker_init(ex, w);
	}
	return ret;
}

static int exec_start(struct npurt_exec *ex)
{
	unsigned int k;
	int ret;

	for (k = 0; k < ex->num_workers; k++) {
		ret = -pthread_create(&ex->workers[k].thread, NULL, worker_main,
				      &ex->workers[k]);
		if (ret)
			return npurt_err(ret, "starting worker threads: %s",
					 npurt_strerror(ret));
		ex->started++;
	}
	return 0;
}

void npurt_exec_stop(struct npurt_exec *ex)
{
	unsigned int k;

	if (!ex)
		return;
	pthread_mutex_lock(&ex->lock);
	ex->stop = true;
	pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	for (k = 0; k < ex->started; k++)
		pthread_join(ex->workers[k].thread, NULL);
	ex->started = 0;
}

int npurt_exec_create(npurt_runtime *rt, npurt_model *model,
		      unsigned int worker_num, unsigned int batch,
		      struct npurt_exec **out)
{
	struct npurt_exec *ex;
	int ret;

	*out = NULL;
	if (!rt || !model || !rt->num_devices)
		return npurt_err(-EINVAL, "runtime or model missing");
	if (worker_num > NPURT_MAX_WORKERS_PER_DEV || batch > NPURT_MAX_BATCH)
		return npurt_err(-EINVAL, "worker_num %u (most %d) or batch_size "
				 "%u (most %d) too large", worker_num,
				 NPURT_MAX_WORKERS_PER_DEV, batch,
				 NPURT_MAX_BATCH);
	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return npurt_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&ex->lock, NULL);
	pthread_cond_init(&ex->cond, NULL);
	ex->rt = rt;
	ex->model = npurt_model_get(model);
	ex->prog = model->prog;
	ex->batch = batch ? batch : 1;
	ret = exec_setup(ex, worker_num ? worker_num : NPURT_DEFAULT_WORKERS);
	if (!ret)
		ret = exec_start(ex);
	if (ret) {
		npurt_exec_stop(ex);
		exec_free(ex);
		return ret;
	}
	*out = ex;
	return 0;
}

void npurt_exec_destroy(struct npurt_exec *ex)
{
	if (!ex)
		return;
	npurt_exec_stop(ex);	/* workers drain the FIFO before they exit */
	exec_free(ex);
}
