// SPDX-License-Identifier: MIT
/*
 * cpu_split.c - whether and how finely the CPU backend splits a command.
 *
 * Handing a chunk to another thread costs about a microsecond (the claim,
 * the helper's cache misses on data another core wrote, the per-chunk set
 * up of the kernels), so a split pays only for chunks of several
 * microseconds: the number of chunks comes from an estimate of the
 * command's time, not from a fixed count per thread. A command of 16K
 * element-wise operations cut into 64 chunks ran 4.5 times slower.
 */
#include "cpu_split.h"
#include "npu_ops.h"

/*
 * Picoseconds per operation (npu_cmd_ops()) of the AVX-512 kernels,
 * medians over the commands of mobilenet_v2, mobilenet_v3_small and
 * squeezenet1_1 on one thread; the other variants are slower, so their
 * estimates err on the side of fewer chunks.
 */
#define CPU_PS_FILL		10
#define CPU_PS_COPY		40
#define CPU_PS_MM		2	/* GEMM, dense CONV2D: per MAC * 2 */
#define CPU_PS_CONV_GROUPED	15	/* depthwise and grouped CONV2D */
#define CPU_PS_POOL		20
#define CPU_PS_ELTWISE		190
#define CPU_PS_LUT		21
/* At least this per byte read and written (small-M GEMMs stream weights). */
#define CPU_PS_BYTE		30

uint64_t npurt_cpu_cost_ns(const struct rm_npu_cmd *cmd)
{
	uint64_t ops = npu_cmd_ops(cmd), bytes = npu_cmd_bytes(cmd), ps;

	switch (cmd->opcode) {
	case RM_NPU_OP_FILL:
		ps = CPU_PS_FILL;
		break;
	case RM_NPU_OP_COPY:
		ps = CPU_PS_COPY;
		break;
	case RM_NPU_OP_GEMM:
		ps = CPU_PS_MM;
		break;
	case RM_NPU_OP_CONV2D:
		ps = cmd->conv2d.groups == 1 ? CPU_PS_MM : CPU_PS_CONV_GROUPED;
		break;
	case RM_NPU_OP_POOL2D:
		ps = CPU_PS_POOL;
		break;
	case RM_NPU_OP_ELTWISE:
		ps = CPU_PS_ELTWISE;
		break;
	case RM_NPU_OP_LUT:
		ps = CPU_PS_LUT;
		break;
	default:
		return 0;
	}
	/* ops and bytes saturate at U64_MAX: divide first */
	ops = ops / 1000 * ps + ops % 1000 * ps / 1000;
	bytes = bytes / 1000 * CPU_PS_BYTE + bytes % 1000 * CPU_PS_BYTE / 1000;
	return ops > bytes ? ops : bytes;
}

void npurt_cpu_split_plan(uint64_t units, uint64_t cost_ns,
			  unsigned int threads, unsigned int callers,
			  uint64_t chunk_ns, struct npurt_cpu_split *plan)
{
	unsigned int share = threads / (callers ? callers : 1);
	uint64_t want = (uint64_t)share * NPURT_CPU_CHUNKS_PER_THREAD;

	if (chunk_ns && cost_ns / chunk_ns < want)
		want = cost_ns / chunk_ns;
	if (want > units)
		want = units;
	if (share < 2 || want < 2) {
		plan->threads = 1;
		plan->chunks = units ? 1 : 0;
		plan->chunk = units;
		return;
	}
	/* rounded up without overflowing near U64_MAX units */
	plan->chunk = units / want + !!(units % want);
	plan->chunks = units / plan->chunk + !!(units % plan->chunk);
	plan->threads = plan->chunks < share ? (unsigned int)plan->chunks :
			share;
}

uint64_t npurt_cpu_split_rows(const struct rm_npu_cmd *cmd, uint64_t units)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	uint64_t rows, nblk;

	switch (cmd->opcode) {
	case RM_NPU_OP_GEMM:
		rows = cmd->gemm.m;
		nblk = cmd->gemm.n / NPU_OPS_MM_BLOCK +
		       !!(cmd->gemm.n % NPU_OPS_MM_BLOCK);
		break;
	case RM_NPU_OP_CONV2D:
		rows = (uint64_t)c->batch * c->out_h * c->out_w;
		nblk = c->out_c / NPU_OPS_MM_BLOCK +
		       !!(c->out_c % NPU_OPS_MM_BLOCK);
		break;
	default:
		return 0;
	}
	/* only when the units are exactly the blocks of rows */
	return rows && nblk && units / nblk == rows && units % nblk == 0 ?
	       rows : 0;
}

void npurt_cpu_split_align(struct npurt_cpu_split *plan, uint64_t rows,
			   uint64_t align)
{
	if (plan->chunks < 2 || !align || plan->chunk < align ||
	    plan->chunk > UINT64_MAX - align)
		return;
	plan->chunk = (plan->chunk / align + !!(plan->chunk % align)) * align;
	plan->chunks = rows / plan->chunk + !!(rows % plan->chunk);
	if (plan->threads > plan->chunks)
		plan->threads = (unsigned int)plan->chunks;
}
