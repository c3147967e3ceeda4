// SPDX-License-Identifier: MIT
/*
 * cpu_backend.c - the CPU device: each command of a job runs through the
 * shared op kernels (npu_cmd_exec_ctx()) of the best variant this CPU has
 * ($NPU_OPS_ISA forces one: scalar, avx2, avx512); a large command's work
 * units are split into N ranges run at once by the calling thread and N - 1
 * threads of a pool kept for the device's life and shared by the runs using
 * the device at once. Results are bit-exact with the PE engines because
 * the code is the same.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpu_mbox.h"
#include "cpu_ops.h"
#include "cpu_range.h"
#include "device.h"
#include "npu_ops.h"
#include "profiler.h"
#include "program.h"

/* Commands with fewer operations run on the calling thread alone. */
#ifndef CPU_SPLIT_MIN_OPS
#define CPU_SPLIT_MIN_OPS	(256u * 1024)
#endif

/*
 * In a gang (cpu_gang_run()), from this many: a split there costs a
 * barrier, not a hand-off and a join. The commands between 32K and 256K
 * operations are mostly squeeze-and-excitation 1 x 1 convolutions of one
 * pixel, bound by reading their weights, which a split halves
 * (mobilenet_v3_small on cpu(2): 2% faster, runs alternated in one
 * process).
 */
#define CPU_GANG_SPLIT_MIN_OPS	(32u * 1024)

/* When splits run as gangs (cpu_gang_ok()): $NPURT_CPU_GANG 0, unset, 1 */
enum { CPU_GANG_NEVER, CPU_GANG_SMALL, CPU_GANG_ALWAYS };
#define CPU_GANG_MAX_THREADS	4

/*
 * ELTWISE and LUT commands with fewer elements too. An ELTWISE element
 * costs far more than a multiply-add (requantization, 16 lanes a vector:
 * about 0.4 ns on this host, against 1-3 ps a multiply-add), so 16K of
 * them take about as long (7 us) as the smallest commands worth
 * splitting; under CPU_SPLIT_MIN_OPS they ran alone, a quarter of
 * mobilenet_v3_small's time on cpu(1) and none of it shared. A lookup
 * costs little, but a table left whole reads the half of its input the
 * other core wrote, and its readers (split commands) read half its
 * output from this core; split, each core keeps to its own rows
 * (mobilenet_v3_small's hardswishes are tables: its cpu(2) run
 * 0.676-0.685 -> 0.654-0.661 ms, NPURT_CPU_TUNE=0, 3 rounds alternated).
 */
#define CPU_SPLIT_MIN_ELEMS	(16u * 1024)

/*
 * Elementwise CPU steps (npurt_cpu_step_elems()) split from this many
 * elements, in units of CPU_STEP_BLOCK (16 KiB of binary32: ranges meet
 * at cache-line edges); so does a COPY that transposes. A binary32
 * element costs 0.3-1 ns, so 16K of them take 5-16 us; each step
 * measures itself split and alone (CPU_TUNE_SAMPLES) and keeps to the
 * faster. From 64K before: mobilenet_v3_small.qdq's cpu(2) / cpu(1) went
 * 1.21, 1.21 -> 1.26, 1.27, mobilenet_v2.qdq's and squeezenet1_1.qdq's
 * stayed within noise (1.63-1.67, 1.55-1.63; model-bench, alternated).
 */
#define CPU_STEP_SPLIT_MIN	(16u * 1024)
#define CPU_STEP_BLOCK		4096u

/*
 * Whether a command large enough to split gains from it depends on the
 * machine as much as on the command: where moving a cache line between
 * cores is slow (the 2-vCPU CI host), small commands run slower split
 * than alone, and so does a command whose input another core just wrote.
 * So the first runs of a program measure it (npurt_split_tune_next()):
 * after one untimed run (split), CPU_TUNE_SAMPLES timed runs each way,
 * alternating (the fastest of each way counts: noise only ever slows a
 * run); what split slower than alone runs that way until it is measured
 * again. Whole runs first (exec.c, tuned_run()), then, when they split,
 * each CPU step. Not each command: measured with every command alone or
 * every one split (its neighbours as they would not run), a command next
 * to split ones chose to run alone and then read half its input from the
 * other core's cache, and the commands after it wrote theirs there; on
 * this 2-vCPU host cpu(2) / cpu(1) went from 1.37 to 1.44 x on
 * mobilenet_v2, 1.30 to 1.35 x on squeezenet1_1 without (interleaved
 * medians). $NPURT_CPU_TUNE=0 always splits. Any choice gives the same
 * bytes.
 *
 * A choice is measured again after CPU_TUNE_KEEP runs, then twice as many
 * each time up to CPU_TUNE_KEEP_MAX: what the other cores do changes (on
 * a shared host another process may hold a core for a while, and a choice
 * measured then would stand for good). At most 2 * CPU_TUNE_SAMPLES + 1
 * of every CPU_TUNE_KEEP_MAX runs run the slower way.
 */
#define CPU_TUNE_SAMPLES	4
#define CPU_TUNE_KEEP		64u
#define CPU_TUNE_KEEP_MAX	4096u

/*
 * How long a pool thread that has just helped, and a caller waiting for
 * its helpers, poll (npurt_cpu_spin()) before sleeping on a condition
 * variable
 * ($NPURT_CPU_SPIN_US overrides, 0: never). The commands of one inference
 * come microseconds apart, and a futex wake-up costs about as much as a
 * small command, so without polling the caller has finished a command
 * before its helpers are awake and N threads run like one.
 */
#define CPU_SPIN_NS_DEFAULT	(100u * 1000)
#define CPU_SPIN_NS_MAX		(100000u * 1000)

/*
 * One command shared by the calling thread and the pool, in chunks claimed
 * one at a time (a thread that gets no CPU time holds up at most the chunk
 * it runs, never a fixed share). Thread s (the caller 0, helpers by
 * arrival) first claims its own contiguous run of units (cpu_range.h),
 * then the last parts of the others'. GEMM and CONV2D chunks are runs of
 * output rows (pixels) across every column block, so a thread writes
 * whole rows, and the same rows at every command: the next command finds
 * most of its inputs in this core's cache rather than another's; but
 * those with fewer rows than columns split by column blocks
 * (cpu_rows_first()).
 */
/* What a chunk runs: a command's units, or a CPU step's. */
struct cpu_work {
	const struct rm_npu_cmd *cmd;	/* a command's chunks, or */
	const struct npurt_cpu_op *step;	/* a CPU step's (cpu_ops.h) */
	uint64_t elems;			/* elementwise step: its elements */
	const void *packed;
	uint8_t *const *bases;
	uint32_t index;			/* command index, for the trace */
	uint64_t units;			/* units, or rows when @nblk */
	uint64_t nblk;			/* column blocks of a row, or 0 */
	int copy_dim;			/* COPY split by this dim, or -1 */
};

struct cpu_gang;
/* A place in a job's sequence: command @c next, or step @s before it. */
struct cpu_pos {
	uint32_t c, s;
};

static struct cpu_pos cpu_gang_work(npurt_device *dev, struct cpu_gang *g,
				    unsigned int s, void *scratch);

/* A gang thread's slot (cpu_gang_run()). */
struct cpu_gang_slot {
	alignas(64) _Atomic uint32_t epoch;	/* barriers its thread passed */
	_Atomic uint32_t sleepers;	/* threads waiting on @epoch in futex */
	struct cpu_range run[2];	/* its run of a split command */
};

#define CPU_GANG_GONE	UINT32_MAX	/* epoch of a slot taken back */

struct cpu_batch {
	pthread_mutex_t lock;
	pthread_cond_t done;
	/* helpers queued or running, | CPU_BATCH_SLEEPS while the caller
	 * sleeps on @done for them (set under @lock) */
	_Atomic unsigned int remaining;
	bool woken;			/* under @lock: the last helper left */
	int err;
	struct cpu_work w;
	struct cpu_gang *gang;		/* a whole job's commands, or NULL */
	uint32_t part;			/* units (rows) of a run's part */
	unsigned int nslots;		/* threads invited, the caller too */
	struct cpu_range *slots;	/* their runs: num_threads of them */
	/* per pool thread: its slot when offered @b; the mailboxes offered */
	unsigned int *slot_of, *offered;
	/* a gang's, num_threads of each (cpu_gang_run()) */
	struct cpu_gang_slot *gslots;
	bool *gone, *joined;
	_Atomic uint32_t *leave;
};

#define CPU_BATCH_SLEEPS	(1u << 31)

/*
 * A thread claims its own run of units in two chunks: all but its last
 * two parts (of CPU_RUN_PARTS), then what is left of those. A thread
 * that finds its own run done takes the others' last parts, a part at a
 * time from their ends, so a thread slowed down (a core disturbed by
 * interrupts or another process) holds the command up by less. Cut finer,
 * the chunks lose cache locality and repeat per-chunk set-up (on a 2-vCPU
 * host, mobilenet_v2 on cpu(2): 1.46-1.50 ms with 2 equal chunks a
 * thread, 1.64 with 4; two parts taken one by one cost 4% in a quiet
 * moment); with 2 equal chunks and nothing taken from the ends, a thread
 * slowed by 15% kept the other waiting for all of it.
 */
#define CPU_RUN_PARTS		8

/*
 * In a gang, a command of fewer operations is claimed whole: each thread
 * its own run in one chunk, the other threads taking only what a thread
 * has not started. Most of mobilenet_v3_small's commands take a few
 * microseconds, where a chunk's own set-up (the kernels' per-call
 * tables, a depthwise window's first rows) shows: cpu(2) 3% faster
 * (runs alternated in one process), and a thread late to a command of a
 * few microseconds holds the others up by little.
 */
#define CPU_GANG_WHOLE_OPS	(4u * 1024 * 1024)

/*
 * A pool thread and its mailbox: a caller offers it a batch, with the
 * slot it is to take (thread i the same slot, so the same rows, at every
 * command when one run has the device).
 */
struct cpu_helper {
	struct cpu_mbox mbox;		/* first: its alignment */
	struct npurt_cpu_pool *pool;
	unsigned int index;
};

struct npurt_cpu_pool {
	npurt_device *dev;
	struct cpu_helper *helpers;	/* num_threads - 1 of them */
	_Atomic unsigned int callers;	/* threads in cpu_run() */
	uint64_t spin_ns;
	bool tune;			/* measure splits (CPU_TUNE_SAMPLES) */
	int gang;			/* jobs as gangs (cpu_gang_run()):
					 * CPU_GANG_{NEVER,SMALL,ALWAYS} */
	unsigned int num_threads;	/* ranges per command */
	unsigned int num_started;	/* pool threads (N - 1) */
	pthread_t *threads;
	uint32_t isa;			/* enum npu_isa of every context */
	pthread_key_t caller_key;	/* scratch of each calling thread */
	bool key_ok;
};

/*
 * A new tag for @ctx: the weights it packed under the old one (a command
 * run without packed weights, its chunks reusing them) are not reused.
 */
static void cpu_ctx_retag(struct npu_ops_ctx *ctx)
{
	static _Atomic uint64_t tags = 1;

	if (ctx)
		ctx->tag = atomic_fetch_add(&tags, 1);
}

/* A context of the pool's variant on @scratch, or NULL without memory. */
static struct npu_ops_ctx *cpu_ctx(struct npurt_cpu_pool *pool,
				   struct npu_ops_ctx *ctx, void *scratch)
{
	if (!scratch || npu_ctx_init(ctx, pool->isa, scratch))
		return NULL;
	cpu_ctx_retag(ctx);
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

static void cpu_batch_error(struct cpu_batch *b, int ret)
{
	pthread_mutex_lock(&b->lock);
	if (!b->err)
		b->err = ret;
	pthread_mutex_unlock(&b->lock);
}

/*
 * A chunk [@begin, @end) of @b for slot @s: from its own run, else from
 * another's; false when none is left.
 */
static bool cpu_claim(struct cpu_batch *b, unsigned int s, uint64_t *begin,
		      uint64_t *end)
{
	unsigned int i;

	for (i = 0; i < b->nslots; i++)
		if (npurt_cpu_range_claim(&b->slots[(s + i) % b->nslots], !i,
					  b->part, begin, end))
			return true;
	return false;
}

/* Units [@begin, @end) of @w, or those rows of every column block. */
static int cpu_exec(const struct cpu_work *w, struct npu_ops_ctx *ctx,
		    uint64_t begin, uint64_t end)
{
	uint64_t cb, off;
	int ret = 0;

	if (w->step && w->elems) {
		npurt_cpu_step_elems_range(w->step, w->bases,
					   begin * CPU_STEP_BLOCK,
					   end * CPU_STEP_BLOCK < w->elems ?
					   end * CPU_STEP_BLOCK : w->elems);
		return 0;
	}
	if (w->step)
		return npurt_cpu_conv_sgemm_range(w->step, w->bases, begin,
						  end);
	if (w->copy_dim >= 0) {
		struct rm_npu_cmd sub = *w->cmd;
		struct rm_npu_cmd_copy *c = &sub.copy;
		int j = w->copy_dim;

		/* indexes [begin, end) of dim j: a COPY of those elements */
		c->dims[j] = (uint32_t)(end - begin);
		c->src.offset += begin * c->src_stride[j];
		c->dst.offset += begin * c->dst_stride[j];
		return ctx ? npu_cmd_exec_ctx(&sub, w->bases, ctx, NULL, 0,
					      npu_cmd_units(&sub)) :
		       npu_cmd_exec(&sub, w->bases, 0, npu_cmd_units(&sub));
	}
	for (cb = 0; cb < (w->nblk ? w->nblk : 1) && !ret; cb++) {
		off = cb * (w->nblk ? w->units : 0);
		ret = ctx ? npu_cmd_exec_ctx(w->cmd, w->bases, ctx, w->packed,
					     off + begin, off + end) :
		      npu_cmd_exec(w->cmd, w->bases, off + begin, off + end);
	}
	return ret;
}

/* Units [@begin, @end) of @w on @ctx, traced: 0 or an error. */
static int cpu_chunk(npurt_device *dev, const struct cpu_work *w,
		     struct npu_ops_ctx *ctx, uint64_t begin, uint64_t end)
{
	uint64_t t0 = npurt_now_ns();
	int ret = cpu_exec(w, ctx, begin, end);

	if (w->step)
		npurt_prof_span(dev->rt, "cpu", NPURT_PROF_THREAD, t0,
				npurt_now_ns(), "CPU step %s units %llu-%llu",
				npurt_cpu_op_name(w->step->opcode),
				(unsigned long long)begin,
				(unsigned long long)end);
	else
		npurt_prof_span(dev->rt, "cpu", NPURT_PROF_THREAD, t0,
				npurt_now_ns(), "cmd %u %s %s %llu-%llu",
				w->index, cpu_op_names[w->cmd->opcode],
				w->nblk ? "rows" : "units",
				(unsigned long long)begin,
				(unsigned long long)end);
	return ret;
}

/* Claims and runs chunks of @b until none is left, on @scratch. */
static void cpu_batch_work(npurt_device *dev, struct cpu_batch *b,
			   unsigned int slot, void *scratch)
{
	struct npu_ops_ctx c, *ctx = cpu_ctx(dev->cpu, &c, scratch);
	uint64_t begin, end;
	int ret;

	while (cpu_claim(b, slot, &begin, &end)) {
		ret = cpu_chunk(dev, &b->w, ctx, begin, end);
		if (ret)
			cpu_batch_error(b, ret);
	}
}

static bool cpu_batch_ready(void *arg)
{
	struct cpu_batch *b = arg;

	return !atomic_load_explicit(&b->remaining, memory_order_acquire);
}

static void *cpu_thread(void *arg)
{
	struct cpu_helper *h = arg;
	struct npurt_cpu_pool *pool = h->pool;
	void *scratch = aligned_alloc(NPU_OPS_SCRATCH_ALIGN,
				      NPU_OPS_SCRATCH_SIZE);
	struct cpu_batch *b;
	char name[48];

	snprintf(name, sizeof(name), "%s thread", pool->dev->info.name);
	npurt_prof_name_thread(pool->dev->rt, name);
	while ((b = npurt_cpu_mbox_take(&h->mbox, pool->spin_ns))) {
		if (b->gang)
			cpu_gang_work(pool->dev, b->gang,
				      b->slot_of[h->index], scratch);
		else
			cpu_batch_work(pool->dev, b, b->slot_of[h->index],
				       scratch);
		/* empty before we leave: the caller may offer again at once */
		npurt_cpu_mbox_done(&h->mbox);
		/*
		 * Leaving is one atomic write, no lock: the caller polls for
		 * it and may reuse @b at once. Only a caller that stopped
		 * polling and sleeps is woken, under the lock, and it holds
		 * the lock again, after us, before it goes on.
		 */
		if (atomic_fetch_sub_explicit(&b->remaining, 1,
					      memory_order_acq_rel) ==
		    (CPU_BATCH_SLEEPS | 1)) {
			pthread_mutex_lock(&b->lock);
			b->woken = true;
			pthread_cond_signal(&b->done);
			pthread_mutex_unlock(&b->lock);
		}
	}
	free(scratch);
	return NULL;
}

/* Column blocks of a GEMM or CONV2D's rows, 0 for the other opcodes. */
static uint64_t cpu_row_blocks(const struct rm_npu_cmd *cmd)
{
	uint32_t cols;

	switch (cmd->opcode) {
	case RM_NPU_OP_GEMM:
		cols = cmd->gemm.n;
		break;
	case RM_NPU_OP_CONV2D:
		cols = cmd->conv2d.out_c;
		break;
	default:
		return 0;
	}
	return cols / NPU_OPS_MM_BLOCK + !!(cols % NPU_OPS_MM_BLOCK);
}

/*
 * Threads a split may use: while R runs use the device at once, each
 * splits over N / R of them, the pool's threads being shared among them
 * rather than every run offering its batches to the same N - 1 threads.
 */
static unsigned int cpu_share(npurt_device *dev)
{
	unsigned int runs = atomic_load_explicit(&dev->cpu->callers,
						 memory_order_relaxed);

	return dev->cpu->num_threads / (runs ? runs : 1);
}

/*
 * Waits until the helpers offered @b have left it, @gone of them having
 * been taken back (or never offered).
 */
static void cpu_batch_join(struct npurt_cpu_pool *pool, struct cpu_batch *b,
			   unsigned int gone)
{
	if (gone)
		atomic_fetch_sub(&b->remaining, gone);
	if (!npurt_cpu_spin(pool->spin_ns, cpu_batch_ready, b)) {
		pthread_mutex_lock(&b->lock);
		b->woken = false;
		if (atomic_fetch_or(&b->remaining, CPU_BATCH_SLEEPS) &
		    ~CPU_BATCH_SLEEPS)
			while (!b->woken)
				pthread_cond_wait(&b->done, &b->lock);
		pthread_mutex_unlock(&b->lock);
	}
}

/*
 * @b's @units (rows when b->nblk, fewer than 2^32) over @n threads: chunks
 * claimed by this thread and up to @n - 1 pool threads (contiguous units:
 * each chunk packs or reuses weights once). Pool threads that have not
 * started when the chunks run out are not waited for.
 */
static int cpu_split(npurt_device *dev, struct cpu_batch *b, unsigned int n,
		     uint64_t units, void *scratch)
{
	struct npurt_cpu_pool *pool = dev->cpu;
	unsigned int i, offered = 0, gone = 0;
	uint64_t per;

	if (units > UINT32_MAX)		/* cpu_range.h counts in 32 bits */
		n = 1;
	else if (n > units)
		n = (unsigned int)units;
	b->err = 0;
	b->w.units = units;
	if (n == 1) {
		struct npu_ops_ctx c;

		return cpu_chunk(dev, &b->w,
				 cpu_ctx(pool, &c, scratch ? scratch :
					 cpu_caller_scratch(pool)), 0, units);
	}
	/* slot s owns units [s * per, (s + 1) * per) */
	per = units / n + !!(units % n);
	b->part = (uint32_t)(per / CPU_RUN_PARTS + !!(per % CPU_RUN_PARTS));
	b->nslots = n;
	for (i = 0; i < n; i++) {
		uint64_t lo = i * per < units ? i * per : units;

		npurt_cpu_range_set(&b->slots[i], (uint32_t)lo,
				    (uint32_t)(lo + per < units ? lo + per :
					       units));
	}
	/* counted before any helper can leave; those not offered after */
	atomic_store(&b->remaining, n - 1);
	for (i = 0; i < pool->num_started && offered + 1 < n; i++) {
		b->slot_of[i] = offered + 1;
		if (npurt_cpu_mbox_offer(&pool->helpers[i].mbox, b))
			b->offered[offered++] = i;
	}
	/* threads busy with other runs' batches: their chunks go to us */
	gone = n - 1 - offered;
	cpu_batch_work(dev, b, 0, scratch ? scratch :
				  cpu_caller_scratch(pool));
	for (i = 0; i < offered; i++)
		gone += npurt_cpu_mbox_retract(&pool->helpers[b->offered[i]].mbox,
					       b);
	cpu_batch_join(pool, b, gone);
	return b->err;
}

/*
 * Whether a GEMM or CONV2D of @rows output rows splits by rows (each
 * thread every column block of its rows) rather than by column blocks
 * (each its blocks of every row). Either way one side is read by every
 * thread: split by rows, all the weights; by columns, all the rows'
 * inputs. For a GEMM or a dense convolution a row (its im2col) and a
 * column (a filter) are both K bytes, so the side read twice is the
 * smaller when it has the lower count: late layers (7 x 7 pixels, 960
 * channels) split by columns. Depthwise ones follow the same rule, which
 * measured better than keeping them by rows. On the 16-core machine:
 * mobilenet_v2 cpu(2) 3.08 -> 2.80 ms, mobilenet_v3_small's cpu(2) /
 * cpu(1) 1.12 -> 1.25 (medians of 8 rounds).
 */
static bool cpu_rows_first(const struct rm_npu_cmd *cmd, uint64_t rows)
{
	return rows >= (cmd->opcode == RM_NPU_OP_GEMM ? cmd->gemm.n :
			cmd->conv2d.out_c);
}

void npurt_split_tune_record(struct npurt_split_tune *t, int way,
			     uint64_t ns)
{
	_Atomic uint64_t *best = &t->best[way];
	uint64_t b = atomic_load_explicit(best, memory_order_relaxed);

	/* the fastest run of each way counts: noise only slows runs */
	while ((!b || ns < b) &&
	       !atomic_compare_exchange_weak_explicit(best, &b, ns,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

unsigned int npurt_split_tune_next(struct npurt_split_tune *t, int *way)
{
	uint32_t c = atomic_load_explicit(&t->choice, memory_order_acquire);
	uint32_t k, keep;
	uint64_t a, s;

	*way = -1;
	if (c) {
		keep = atomic_load_explicit(&t->keep, memory_order_relaxed);
		k = atomic_fetch_add_explicit(&t->kept, 1,
					      memory_order_relaxed) + 1;
		/* the run that uses it up starts measuring it again */
		if (k != keep)
			return c;
		atomic_store_explicit(&t->best[0], 0, memory_order_relaxed);
		atomic_store_explicit(&t->best[1], 0, memory_order_relaxed);
		atomic_store_explicit(&t->seen, 0, memory_order_relaxed);
		atomic_store_explicit(&t->kept, 0, memory_order_relaxed);
		atomic_store_explicit(&t->keep, keep < CPU_TUNE_KEEP_MAX ?
				      2 * keep : keep, memory_order_relaxed);
		atomic_store_explicit(&t->choice, 0, memory_order_release);
	}
	k = atomic_fetch_add_explicit(&t->seen, 1, memory_order_relaxed);
	if (!k)
		return 2;
	if (k <= 2 * CPU_TUNE_SAMPLES) {
		*way = (int)(k & 1);
		return *way ? 2 : 1;
	}
	a = atomic_load_explicit(&t->best[0], memory_order_relaxed);
	s = atomic_load_explicit(&t->best[1], memory_order_relaxed);
	/* alone only when measured both ways and split lost */
	c = a && s && s > a ? 1 : 2;
	if (!atomic_load_explicit(&t->keep, memory_order_relaxed))
		atomic_store_explicit(&t->keep, CPU_TUNE_KEEP,
				      memory_order_relaxed);
	atomic_store_explicit(&t->choice, c, memory_order_release);
	return c;
}

/*
 * The dimension a COPY that transposes splits along, or -1: the one
 * outermost in the destination (the largest stride), so that each range
 * writes a contiguous part of it. Its units follow the source (every
 * unit writes every line of the destination); but ranges of this
 * dimension, each a COPY of its own, write disjoint lines, and an NCHW
 * -> NHWC input copy is then cut by the rows of the image, the rows that
 * the same thread reads next in the stem convolution.
 */
static int cpu_copy_dim(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;
	int i, j = -1;

	if (cmd->opcode != RM_NPU_OP_COPY)
		return -1;
	for (i = 0; i < RM_NPU_COPY_DIMS; i++)
		if (c->dims[i] > 1 &&
		    (j < 0 || c->dst_stride[i] > c->dst_stride[j]))
			j = i;
	return j;
}

/*
 * How command @index of @job runs over @n threads (in a gang: @gang): @w
 * set to it (its units, rows when w->nblk), and the threads it splits
 * over returned, 1 when it runs alone. The command must be valid.
 */
static unsigned int cpu_plan_cmd(const struct npurt_job *job, uint32_t index,
				 unsigned int n, bool gang, struct cpu_work *w)
{
	const struct rm_npu_cmd *cmd = &job->cmds[index];
	uint64_t units = npu_cmd_units(cmd), nblk = cpu_row_blocks(cmd);
	int copy_dim = -1;

	if (!npu_cmd_split_ok(cmd)) {
		copy_dim = cpu_copy_dim(cmd);
		if (copy_dim < 0 || npu_cmd_ops(cmd) < CPU_STEP_SPLIT_MIN)
			n = 1;
		else
			units = cmd->copy.dims[copy_dim];
	} else if (npu_cmd_ops(cmd) < (cmd->opcode == RM_NPU_OP_ELTWISE ||
					cmd->opcode == RM_NPU_OP_LUT ?
					CPU_SPLIT_MIN_ELEMS : gang ?
					CPU_GANG_SPLIT_MIN_OPS :
					CPU_SPLIT_MIN_OPS)) {
		n = 1;
	}
	if (!n || job->no_split)
		n = 1;
	if (n == 1 && copy_dim >= 0) {
		units = npu_cmd_units(cmd);
		copy_dim = -1;
	}
	/* units are block-major: split the rows, each over every block */
	if (n > 1 && nblk && units % nblk == 0 &&
	    cpu_rows_first(cmd, units / nblk))
		units /= nblk;
	else
		nblk = 0;
	/* cpu_range.h counts in 32 bits */
	if (units > UINT32_MAX)
		n = 1;
	else if (n > units)
		n = units ? (unsigned int)units : 1;
	w->cmd = cmd;
	w->step = NULL;
	w->elems = 0;
	w->packed = job->packed ? job->packed[index] : NULL;
	w->bases = job->bases;
	w->index = index;
	w->units = units;
	w->nblk = nblk;
	w->copy_dim = copy_dim;
	return n;
}

/* One command: small ones here, large ones split. */
static int cpu_run_cmd(npurt_device *dev, const struct npurt_job *job,
		       uint32_t index, struct cpu_batch *b)
{
	unsigned int n = cpu_plan_cmd(job, index, cpu_share(dev), false,
				      &b->w);

	if (!b->w.units)
		return 0;
	return cpu_split(dev, b, n, b->w.units, job->scratch);
}

/*
 * The batch of one job's splits: 0, or -ENOMEM. Aligned beyond the
 * mailbox states' values, as an offered task must be.
 */
static int cpu_batch_init(npurt_device *dev, struct cpu_batch *b)
{
	unsigned int nt = dev->cpu->num_threads;

	memset(b, 0, sizeof(*b));
	b->w.copy_dim = -1;
	/* sizeof(struct cpu_range) is its alignment: a multiple of it */
	b->slots = aligned_alloc(_Alignof(struct cpu_range),
				 nt * sizeof(struct cpu_range));
	b->slot_of = calloc(nt, sizeof(*b->slot_of));
	b->offered = calloc(nt, sizeof(*b->offered));
	b->gslots = aligned_alloc(_Alignof(struct cpu_gang_slot),
				  nt * sizeof(*b->gslots));
	b->gone = calloc(2 * (size_t)nt, sizeof(*b->gone));
	b->leave = calloc(nt, sizeof(*b->leave));
	if (!b->slots || !b->slot_of || !b->offered || !b->gslots ||
	    !b->gone || !b->leave) {
		free(b->slots);
		free(b->slot_of);
		free(b->offered);
		free(b->gslots);
		free(b->gone);
		free(b->leave);
		return -ENOMEM;
	}
	b->joined = b->gone + nt;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->done, NULL);
	return 0;
}

static void cpu_batch_fini(struct cpu_batch *b)
{
	pthread_cond_destroy(&b->done);
	pthread_mutex_destroy(&b->lock);
	free(b->slots);
	free(b->slot_of);
	free(b->offered);
	free(b->gslots);
	free(b->gone);
	free(b->leave);
}

/*
 * A job's commands (with a whole program's CPU steps among them:
 * cpu_run_program()) shared by the caller and pool threads as a gang:
 * one hand-off for the whole job rather than one per split item. Each
 * thread walks the items itself (validating each command: none runs a
 * command before checking it; every thread plans every item alike, so
 * all meet at the same barriers), runs its run of every split item (the
 * caller alone runs the others), and meets the others at a barrier
 * between a split item and the next item, or before a split item; a
 * barrier is each thread writing its own epoch and reading the others',
 * two cache-line transfers where a hand-off and a join take some ten.
 * Every thread sets its own run of the next split item before it arrives
 * (two sets of runs, alternating, so that a thread still taking the last
 * parts of another's run never sees it reset); a thread takes its own
 * run first, then others' a part at a time.
 *
 * The caller sets the runs of the first split item and offers the gang
 * there. At each barrier it takes back helpers that have not taken the
 * gang (their runs are the caller's to set from then on), and tells
 * helpers beyond what cpu_share() now gives it (another run came to the
 * device) to leave after the barrier; with no helper left it goes on
 * item by item (cpu_run_seq()), offering a gang again at the next split
 * item.
 */
struct cpu_gang {
	const struct npurt_job *job;
	const struct npuprog_cpuop *steps;	/* the CPU steps among them */
	uint32_t num_steps;
	struct cpu_batch *b;		/* the task offered, for its lock */
	unsigned int n;			/* slots, the caller's too */
	struct cpu_pos first;		/* first item (split, validated) */
	uint64_t spin_ns;
	_Atomic uint32_t err_at;	/* barrier after the first failure */
	int err;			/* under b->lock: the first failure */
	struct cpu_pos err_pos;
	bool err_invalid;		/* failed validation, not execution */
	struct cpu_gang_slot *slots;
	bool *gone;			/* caller's: slots taken back */
	bool *joined;			/* caller's: slots known taken */
	/* per slot, the barrier after which its helper leaves, or 0: a
	 * number, since a helper late out of one barrier reads it while the
	 * caller, already at the next, may set it */
	_Atomic uint32_t *leave;
};

/* Whether @pos is at a step: its after_cmd is reached. */
static bool cpu_pos_step(const struct cpu_gang *g, struct cpu_pos pos)
{
	return pos.s < g->num_steps && g->steps[pos.s].after_cmd <= pos.c;
}

static bool cpu_pos_end(const struct cpu_gang *g, struct cpu_pos pos)
{
	return pos.c >= g->job->num_cmds && !cpu_pos_step(g, pos);
}

static struct cpu_pos cpu_pos_next(const struct cpu_gang *g,
				   struct cpu_pos pos)
{
	if (cpu_pos_step(g, pos))
		pos.s++;
	else
		pos.c++;
	return pos;
}

static void cpu_gang_error(struct cpu_gang *g, uint32_t at,
			   struct cpu_pos pos, int err, bool invalid)
{
	uint32_t zero = 0;

	pthread_mutex_lock(&g->b->lock);
	if (!g->err || pos.c + pos.s < g->err_pos.c + g->err_pos.s) {
		g->err = err;
		g->err_pos = pos;
		g->err_invalid = invalid;
	}
	pthread_mutex_unlock(&g->b->lock);
	atomic_compare_exchange_strong(&g->err_at, &zero, at);
}

static long cpu_futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

struct cpu_gang_wait {
	_Atomic uint32_t *epoch;
	uint32_t k;
};

static bool cpu_gang_arrived(void *arg)
{
	struct cpu_gang_wait *w = arg;

	return atomic_load_explicit(w->epoch, memory_order_acquire) >= w->k;
}

/* Waits until slot @t has passed barrier @k: polls, then sleeps. */
static void cpu_gang_wait_slot(struct cpu_gang_slot *t, uint32_t k,
			       uint64_t spin_ns)
{
	struct cpu_gang_wait w = { &t->epoch, k };
	uint32_t e;

	if (npurt_cpu_spin(spin_ns, cpu_gang_arrived, &w))
		return;
	atomic_fetch_add(&t->sleepers, 1);
	while ((e = atomic_load(&t->epoch)) < k)
		cpu_futex(&t->epoch, FUTEX_WAIT_PRIVATE, e);
	atomic_fetch_sub(&t->sleepers, 1);
}

/* Sets slot @t's epoch to @e, waking the threads asleep on it. */
static void cpu_gang_set_epoch(struct cpu_gang_slot *t, uint32_t e)
{
	atomic_store(&t->epoch, e);
	if (atomic_load(&t->sleepers))
		cpu_futex(&t->epoch, FUTEX_WAKE_PRIVATE, INT32_MAX);
}

/* Slot @s's run of a split command @w over @n threads, in @run. */
static void cpu_gang_set_run(struct cpu_range *run, unsigned int s,
			     unsigned int n, uint64_t units)
{
	uint64_t per = units / n + !!(units % n);
	uint64_t lo = s * per < units ? s * per : units;

	npurt_cpu_range_set(run, (uint32_t)lo,
			    (uint32_t)(lo + per < units ? lo + per : units));
}

/* Sets the runs slot @s owns of the split command @w, set @par. */
static void cpu_gang_set_runs(struct cpu_gang *g, unsigned int s,
			      unsigned int par, const struct cpu_work *w)
{
	unsigned int j;

	cpu_gang_set_run(&g->slots[s].run[par], s, g->n, w->units);
	for (j = 1; !s && j < g->n; j++)
		if (g->gone[j])
			cpu_gang_set_run(&g->slots[j].run[par], j, g->n,
					 w->units);
}

/*
 * The caller at barrier @k, before it arrives: takes back the helpers
 * that have not taken the gang (setting their runs of split item @next,
 * set @par, before any thread can pass), and tells helpers beyond what
 * cpu_share() now gives it (another run came to the device) to leave
 * after this barrier. The number of helpers it goes on with.
 */
static unsigned int cpu_gang_settle(npurt_device *dev, struct cpu_gang *g,
				    uint32_t k, const struct cpu_work *next,
				    unsigned int par)
{
	struct npurt_cpu_pool *pool = dev->cpu;
	unsigned int j, live = 0, want = cpu_share(dev);

	for (j = 1; j < g->n; j++) {
		if (g->gone[j])
			continue;
		if (!g->joined[j] &&
		    atomic_load_explicit(&g->slots[j].epoch,
					 memory_order_acquire) < k &&
		    npurt_cpu_mbox_retract(
			    &pool->helpers[g->b->offered[j - 1]].mbox, g->b)) {
			g->gone[j] = true;
			atomic_fetch_sub(&g->b->remaining, 1);
			if (next)
				cpu_gang_set_run(&g->slots[j].run[par], j,
						 g->n, next->units);
			cpu_gang_set_epoch(&g->slots[j], CPU_GANG_GONE);
			continue;
		}
		g->joined[j] = true;
		if (1 + live >= want)
			atomic_store_explicit(&g->leave[j], k,
					      memory_order_relaxed);
		else
			live++;
	}
	return live;
}

/*
 * Barrier @k for slot @s, before split item @next (set @par) or another:
 * false when the caller has no helper left (it goes on alone) or a
 * helper is to leave.
 */
static bool cpu_gang_barrier(npurt_device *dev, struct cpu_gang *g,
			     unsigned int s, uint32_t k,
			     const struct cpu_work *next, unsigned int par)
{
	unsigned int j, live = s ? 1 : cpu_gang_settle(dev, g, k, next, par);

	cpu_gang_set_epoch(&g->slots[s], k);
	for (j = 0; j < g->n; j++)
		if (j != s && (s || !g->gone[j]))
			cpu_gang_wait_slot(&g->slots[j], k, g->spin_ns);
	if (s)
		return atomic_load_explicit(&g->leave[s],
					    memory_order_relaxed) != k;
	/* those leaving have arrived: the others no longer wait for them */
	for (j = 1; j < g->n; j++)
		if (atomic_load_explicit(&g->leave[j],
					 memory_order_relaxed) == k) {
			g->gone[j] = true;
			cpu_gang_set_epoch(&g->slots[j], CPU_GANG_GONE);
		}
	return live;
}

/*
 * Claims a chunk of set @par for slot @s: of its own run (@own units a
 * part), then a part of @part units of another's.
 */
static bool cpu_gang_claim(struct cpu_gang *g, unsigned int s,
			   unsigned int par, uint32_t own, uint32_t part,
			   uint64_t *begin, uint64_t *end)
{
	unsigned int i;

	for (i = 0; i < g->n; i++)
		if (npurt_cpu_range_claim(&g->slots[(s + i) % g->n].run[par],
					  !i, i ? part : own, begin, end))
			return true;
	return false;
}

/*
 * Units of a CPU step split over the pool: the binary32 CONV in SGEMM
 * order (onnxruntime's float Conv inside int8 QDQ models, milliseconds
 * each) by its units, whose outputs are whole, elementwise steps (the
 * QUANTIZE, DEQUANTIZE and ADD around it) by ranges of CPU_STEP_BLOCK
 * elements (*@elems, 0 for a CONV); 0 for the others, or too little work.
 */
static uint64_t cpu_step_units(const struct npurt_cpu_op *op, uint64_t *elems)
{
	const int64_t *p = op->p;
	uint64_t units;

	*elems = 0;
	if (op->opcode == NPURT_CPU_CONV && p[26]) {
		units = npurt_cpu_conv_sgemm_units(op);
		/* multiply-adds: outputs times C / group * KH * KW */
		if (units < 2 || (uint64_t)p[0] * (uint64_t)p[4] *
		    (uint64_t)(p[16] * p[17]) *
		    (uint64_t)(p[1] / p[15] * p[5] * p[6]) < CPU_SPLIT_MIN_OPS)
			return 0;
		return units;
	}
	*elems = npurt_cpu_step_elems(op);
	if (*elems < CPU_STEP_SPLIT_MIN)
		return 0;
	return *elems / CPU_STEP_BLOCK + !!(*elems % CPU_STEP_BLOCK);
}

/*
 * How step @op of @job runs over @n threads in a gang: @w set to it, and
 * the threads it splits over returned, 1 when the caller runs it alone
 * (npurt_cpu_op_run()). A CONV splits only where a vectorized variant
 * runs its ranges.
 */
static unsigned int cpu_plan_step(const struct npurt_job *job,
				  const struct npurt_cpu_op *op,
				  unsigned int n, struct cpu_work *w)
{
	uint64_t elems, units = cpu_step_units(op, &elems);

	memset(w, 0, sizeof(*w));
	w->step = op;
	w->elems = elems;
	w->bases = job->bases;
	w->units = units;
	w->copy_dim = -1;
	if (!units || units > UINT32_MAX ||
	    (!elems && !npurt_cpu_step_isa_now()))
		return 1;
	return n > units ? (unsigned int)units : n;
}

/* A step the caller runs alone in a gang, traced. */
static void cpu_step_alone(npurt_device *dev, const struct cpu_work *w)
{
	uint64_t t0 = npurt_now_ns();

	npurt_cpu_op_run(w->step, w->bases);
	npurt_prof_span(dev->rt, "cpu", NPURT_PROF_THREAD, t0, npurt_now_ns(),
			"CPU step %s", npurt_cpu_op_name(w->step->opcode));
}

/*
 * The item at @pos planned for the gang (a command validated first): 0
 * with @w and *@n set, or the command's validation error.
 */
static int cpu_plan_item(const struct cpu_gang *g, struct cpu_pos pos,
			 struct cpu_work *w, unsigned int *n)
{
	const struct npurt_job *job = g->job;
	int ret;

	if (cpu_pos_step(g, pos)) {
		*n = cpu_plan_step(job, &g->steps[pos.s].op, g->n, w);
		return 0;
	}
	ret = npu_cmd_validate(&job->cmds[pos.c], job->sizes, job->num_bufs,
			       NPURT_ALL_CAPS);
	if (!ret)
		*n = cpu_plan_cmd(job, pos.c, g->n, true, w);
	return ret;
}

/*
 * Slot @s's walk of the gang's items. Returns where the caller goes on
 * alone (every helper taken back), or the job's end.
 */
static struct cpu_pos cpu_gang_work(npurt_device *dev, struct cpu_gang *g,
				    unsigned int s, void *scratch)
{
	const struct npurt_job *job = g->job;
	struct npu_ops_ctx c, *ctx = cpu_ctx(dev->cpu, &c, scratch);
	struct cpu_pos pos = g->first, nxt, end = { job->num_cmds,
						    g->num_steps };
	struct cpu_work cur, next;
	uint32_t k = 0, splits = 1, par = 0, at;
	unsigned int n, nn;
	uint64_t begin, stop, per;
	uint32_t part, own;
	int ret, bad;

	cpu_plan_item(g, pos, &cur, &n);
	for (;;) {
		at = atomic_load_explicit(&g->err_at, memory_order_relaxed);
		/* one context for every command: a tag for each */
		if (pos.c != g->first.c || pos.s != g->first.s)
			cpu_ctx_retag(ctx);
		if (n > 1 && !at) {
			/* a small command's own run whole; others' in parts,
			 * so that a late or gone thread's is shared out */
			per = cur.units / g->n + !!(cur.units % g->n);
			part = (uint32_t)(per / CPU_RUN_PARTS +
					  !!(per % CPU_RUN_PARTS));
			own = !cur.step &&
			      npu_cmd_ops(cur.cmd) < CPU_GANG_WHOLE_OPS ?
			      UINT32_MAX : part;
			while (cpu_gang_claim(g, s, par, own, part, &begin,
					      &stop)) {
				ret = cpu_chunk(dev, &cur, ctx, begin, stop);
				if (ret)
					cpu_gang_error(g, k + 1, pos, ret,
						       false);
			}
		} else if (!s && !at && cur.step) {
			cpu_step_alone(dev, &cur);
		} else if (!s && !at && cur.units) {
			ret = cpu_chunk(dev, &cur, ctx, 0, cur.units);
			if (ret)
				cpu_gang_error(g, k + 1, pos, ret, false);
		}
		nxt = cpu_pos_next(g, pos);
		if (cpu_pos_end(g, nxt))
			return end;
		/* the next item, checked before any thread plans it */
		nn = 1;
		bad = cpu_plan_item(g, nxt, &next, &nn);
		if (bad && !s)
			cpu_gang_error(g, k + 1, nxt, bad, true);
		if (n > 1 || nn > 1 || bad) {
			if (nn > 1)
				cpu_gang_set_runs(g, s, splits & 1, &next);
			if (!cpu_gang_barrier(dev, g, s, ++k,
					      nn > 1 ? &next : NULL,
					      splits & 1))
				return s ? end : nxt;
			at = atomic_load_explicit(&g->err_at,
						  memory_order_relaxed);
			if (bad || (at && at <= k))
				return end;
		}
		if (nn > 1)
			par = splits++ & 1;
		pos = nxt;
		cur = next;
		n = nn;
	}
}

/*
 * Runs @job (with @steps among its commands) from @first (a command
 * validated, or a step; planned in b->w, split over @n threads) as a
 * gang; *@next is where the caller goes on item by item, the end when
 * the gang ran every item. *@ran false when no helper took it (nothing
 * run). 0 or an error.
 */
static int cpu_gang_run(npurt_device *dev, const struct npurt_job *job,
			const struct npuprog_cpuop *steps, uint32_t num_steps,
			struct cpu_pos first, unsigned int n,
			struct cpu_batch *b, struct cpu_pos *next, bool *ran)
{
	struct npurt_cpu_pool *pool = dev->cpu;
	struct cpu_gang g = {
		.job = job, .steps = steps, .num_steps = num_steps, .b = b,
		.n = n, .first = first, .spin_ns = pool->spin_ns,
		.slots = b->gslots, .gone = b->gone, .joined = b->joined,
		.leave = b->leave,
	};
	unsigned int i, j, offered = 0, gone = 0;

	*ran = false;
	memset(g.gone, 0, 2 * (size_t)n * sizeof(*g.gone));
	for (j = 0; j < n; j++) {
		atomic_init(&g.leave[j], 0);
		atomic_init(&g.slots[j].epoch, 0);
		atomic_init(&g.slots[j].sleepers, 0);
		cpu_gang_set_run(&g.slots[j].run[0], j, n, b->w.units);
		npurt_cpu_range_set(&g.slots[j].run[1], 0, 0);
	}
	b->gang = &g;
	b->err = 0;
	atomic_store(&b->remaining, n - 1);
	for (i = 0; i < pool->num_started && offered + 1 < n; i++) {
		b->slot_of[i] = offered + 1;
		if (npurt_cpu_mbox_offer(&pool->helpers[i].mbox, b))
			b->offered[offered++] = i;
	}
	if (!offered) {
		atomic_store(&b->remaining, 0);
		b->gang = NULL;
		return 0;
	}
	/* slots no helper was offered: the caller's, before any barrier */
	for (j = offered + 1; j < n; j++) {
		g.gone[j] = true;
		cpu_gang_set_epoch(&g.slots[j], CPU_GANG_GONE);
	}
	atomic_fetch_sub(&b->remaining, n - 1 - offered);
	*ran = true;
	*next = cpu_gang_work(dev, &g, 0, job->scratch ? job->scratch :
						  cpu_caller_scratch(pool));
	for (j = 1; j <= offered; j++)
		if (!g.gone[j] && !g.joined[j])
			gone += npurt_cpu_mbox_retract(
				&pool->helpers[b->offered[j - 1]].mbox, b);
	cpu_batch_join(pool, b, gone);
	b->gang = NULL;
	if (g.err && g.err_invalid)
		return npurt_err(g.err, "%s: command %u invalid for the bound "
				 "buffers", dev->info.name, g.err_pos.c);
	if (g.err && cpu_pos_step(&g, g.err_pos))
		return npurt_err(g.err, "%s: CPU step %u failed: %s",
				 dev->info.name, g.err_pos.s,
				 npurt_strerror(g.err));
	if (g.err)
		return npurt_err(g.err, "%s: command %u failed: %s",
				 dev->info.name, g.err_pos.c,
				 npurt_strerror(g.err));
	return 0;
}

static int cpu_run_step(npurt_device *dev, const struct npurt_job *job,
			const struct npurt_cpu_op *op);

/*
 * Whether a split over @n threads runs as a gang. A gang's every thread
 * meets every other at each barrier, and splits every command of 32K
 * operations or more: on 2 threads (this project's 2-vCPU host) that
 * gained 6% on mobilenet_v2 and 6-8% on mobilenet_v3_small over one
 * hand-off per command, on 16 (a lent GPU machine's host) it lost 28%
 * (mobilenet_v2, one run at a time: 785 inferences/s against 1,084).
 * Counts between were not measured; gangs stop at CPU_GANG_MAX_THREADS
 * unless NPURT_CPU_GANG=1.
 */
static bool cpu_gang_ok(const npurt_device *dev, unsigned int n)
{
	int mode = dev->cpu->gang;

	return mode == CPU_GANG_ALWAYS ||
	       (mode == CPU_GANG_SMALL && n <= CPU_GANG_MAX_THREADS);
}

/*
 * @job's commands with @steps (@num_steps of them, NULL: none) among
 * them, item by item, from the first split one on as a gang when the
 * pool has threads for it (cpu_share(), cpu_gang_ok()).
 */
static int cpu_run_seq(npurt_device *dev, const struct npurt_job *job,
		       const struct npuprog_cpuop *steps, uint32_t num_steps)
{
	struct cpu_gang seq = { .job = job, .steps = steps,
				.num_steps = num_steps, .n = 1 };
	struct cpu_pos pos = { 0, 0 }, next;
	struct cpu_batch batch;
	bool ran;
	int ret = 0;

	if (cpu_batch_init(dev, &batch))
		return npurt_err(-ENOMEM, "out of memory");
	atomic_fetch_add_explicit(&dev->cpu->callers, 1, memory_order_relaxed);
	while (!ret && !cpu_pos_end(&seq, pos)) {
		bool step = cpu_pos_step(&seq, pos);
		unsigned int nf = 1;

		/* Never run a command not validated against these buffers. */
		seq.n = cpu_share(dev);
		ret = step ? 0 : npu_cmd_validate(&job->cmds[pos.c], job->sizes,
						  job->num_bufs, NPURT_ALL_CAPS);
		if (ret) {
			ret = npurt_err(ret, "%s: command %u invalid for the "
					"bound buffers", dev->info.name, pos.c);
			break;
		}
		/* a gang from each split item on, until one runs to the end:
		 * its helpers may leave it for other runs, and come back */
		if (seq.n > 1 && cpu_gang_ok(dev, seq.n) && !job->no_split)
			nf = step ? cpu_plan_step(job, &steps[pos.s].op, seq.n,
						  &batch.w) :
			     cpu_plan_cmd(job, pos.c, seq.n, true, &batch.w);
		if (nf > 1) {
			ret = cpu_gang_run(dev, job, steps, num_steps, pos,
					   seq.n, &batch, &next, &ran);
			if (ran || ret) {
				pos = next;
				continue;
			}
		}
		if (step) {
			ret = cpu_run_step(dev, job, &steps[pos.s].op);
			if (ret == 1) {
				npurt_cpu_op_run(&steps[pos.s].op, job->bases);
				ret = 0;
			}
		} else {
			ret = cpu_run_cmd(dev, job, pos.c, &batch);
			if (ret)
				ret = npurt_err(ret, "%s: command %u failed: %s",
						dev->info.name, pos.c,
						npurt_strerror(ret));
		}
		pos = cpu_pos_next(&seq, pos);
	}
	atomic_fetch_sub_explicit(&dev->cpu->callers, 1, memory_order_relaxed);
	cpu_batch_fini(&batch);
	return ret;
}

static int cpu_run(npurt_device *dev, const struct npurt_job *job)
{
	return cpu_run_seq(dev, job, NULL, 0);
}

/*
 * A whole program of one item, its CPU steps among its commands, as one
 * sequence: one gang for all of it where a program of int8 jobs between
 * float steps (onnxruntime's QDQ format) would hand the pool each job
 * and each step on its own. 1 (exec.c runs it job by job) without a pool
 * to share it with, split runs measured to lose, or several items.
 */
static int cpu_run_program(npurt_device *dev, const struct npurt_job *job,
			   const struct npuprog_cpuop *steps,
			   uint32_t num_steps)
{
	unsigned int n = cpu_share(dev);

	if (job->items > 1 || job->no_split || n < 2 || !cpu_gang_ok(dev, n))
		return 1;
	return cpu_run_seq(dev, job, steps, num_steps);
}

/*
 * A CPU step between a program's jobs, split over the pool like a command
 * when it is large (cpu_step_units()); so the bytes are those of one
 * thread. 1 (the caller runs it) for the others, or when there is one
 * thread or too little work.
 */
static int cpu_run_step(npurt_device *dev, const struct npurt_job *job,
			const struct npurt_cpu_op *op)
{
	uint64_t units, elems, t0;
	struct cpu_batch b;
	unsigned int n;
	int ret = 1, way = -1;

	if (job->items > 1 || job->no_split)
		return 1;
	units = cpu_step_units(op, &elems);
	if (!units)
		return 1;
	atomic_fetch_add_explicit(&dev->cpu->callers, 1, memory_order_relaxed);
	n = cpu_share(dev);
	if (n >= 2 && !cpu_batch_init(dev, &b)) {
		if (job->step_tune &&
		    npurt_split_tune_next(job->step_tune, &way) == 1)
			n = 1;
		b.w.step = op;
		b.w.elems = elems;
		b.w.bases = job->bases;
		t0 = way < 0 ? 0 : npurt_now_ns();
		/* without memory for a chunk's im2col: all of it at the
		 * caller's, portably */
		ret = cpu_split(dev, &b, n, units, NULL) ? 1 : 0;
		if (way >= 0 && !ret)
			npurt_split_tune_record(job->step_tune, way,
						npurt_now_ns() - t0);
		cpu_batch_fini(&b);
	}
	atomic_fetch_sub_explicit(&dev->cpu->callers, 1, memory_order_relaxed);
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

	for (i = 0; i < pool->num_started; i++)
		npurt_cpu_mbox_stop(&pool->helpers[i].mbox);
	for (i = 0; i < pool->num_started; i++)
		pthread_join(pool->threads[i], NULL);
	for (i = 0; pool->helpers && i + 1 < pool->num_threads; i++)
		npurt_cpu_mbox_destroy(&pool->helpers[i].mbox);
	free(pool->helpers);
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
	.run_step = cpu_run_step,
	.run_program = cpu_run_program,
	.close = cpu_close,
};

static int cpu_pool_start(npurt_device *dev, unsigned int threads,
			  uint32_t isa, uint64_t spin_ns, bool tune, int gang)
{
	struct npurt_cpu_pool *pool = calloc(1, sizeof(*pool));
	unsigned int i;
	int ret = 0;

	if (!pool || !(pool->threads = calloc(threads, sizeof(pthread_t))) ||
	    !(pool->helpers = aligned_alloc(_Alignof(struct cpu_helper),
					    threads * sizeof(struct cpu_helper)))) {
		if (pool)
			free(pool->threads);
		free(pool);
		return npurt_err(-ENOMEM, "out of memory");
	}
	pool->dev = dev;
	pool->num_threads = threads;
	pool->isa = isa;
	pool->spin_ns = spin_ns;
	pool->tune = tune;
	pool->gang = gang;
	pool->key_ok = !pthread_key_create(&pool->caller_key, free);
	for (i = 0; i + 1 < threads; i++) {
		npurt_cpu_mbox_init(&pool->helpers[i].mbox);
		pool->helpers[i].pool = pool;
		pool->helpers[i].index = i;
	}
	/* The calling thread runs one range of each command. */
	for (i = 0; i + 1 < threads; i++) {
		ret = -pthread_create(&pool->threads[i], NULL, cpu_thread,
				      &pool->helpers[i]);
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
	const char *env = getenv("NPU_OPS_ISA"), *spin;
	const char *tune = getenv("NPURT_CPU_TUNE");
	const char *gang = getenv("NPURT_CPU_GANG");
	uint64_t spin_ns = CPU_SPIN_NS_DEFAULT;
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
	spin = getenv("NPURT_CPU_SPIN_US");
	if (spin && *spin) {
		char *end;
		unsigned long us;

		errno = 0;
		us = strtoul(spin, &end, 10);
		if (errno || *end || spin[0] == '-' ||
		    us > CPU_SPIN_NS_MAX / 1000)
			return npurt_err(-EINVAL, "NPURT_CPU_SPIN_US=%s: not a "
					 "number of microseconds from 0 to %u",
					 spin, CPU_SPIN_NS_MAX / 1000);
		spin_ns = (uint64_t)us * 1000;
	}
	if (tune && *tune && strcmp(tune, "0") && strcmp(tune, "1"))
		return npurt_err(-EINVAL, "NPURT_CPU_TUNE=%s: 1 (measure "
				 "whether each command gains from a split, the "
				 "default) or 0 (always split)", tune);
	if (gang && *gang && strcmp(gang, "0") && strcmp(gang, "1"))
		return npurt_err(-EINVAL, "NPURT_CPU_GANG=%s: 1 (a job's "
				 "split commands share one hand-off, on any "
				 "number of threads) or 0 (one hand-off each); "
				 "unset: a gang on up to %u threads", gang,
				 CPU_GANG_MAX_THREADS);
	ret = cpu_pool_start(dev, threads, isa, spin_ns,
			     !tune || strcmp(tune, "0"),
			     !gang || !*gang ? CPU_GANG_SMALL :
			     strcmp(gang, "0") ? CPU_GANG_ALWAYS :
			     CPU_GANG_NEVER);
	if (ret)
		return ret;
	dev->ops = &cpu_ops;
	return 0;
}

bool npurt_cpu_tunes(const npurt_device *dev)
{
	return dev->cpu->tune;
}

uint32_t npurt_cpu_isa(const npurt_device *dev)
{
	return dev->cpu->isa;
}
