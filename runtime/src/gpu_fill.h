/* SPDX-License-Identifier: MIT */
/*
 * gpu_fill.h - the GPU kernels' parameters (gpu_params.h) for a command,
 * from where its buffers are: pure functions, no CUDA, shared by
 * gpu_backend.c and tests/unit/test_gpu_kernels.cc, which runs the
 * kernels on the host with parameters made the same way.
 */
#ifndef NPURT_GPU_FILL_H
#define NPURT_GPU_FILL_H

#include <stdbool.h>
#include <stdint.h>

#include <rm_npu.h>

#include "gpu_params.h"

/* k_dw3/k_dw5's shared memory for weights, in words (G_DW_WORDS) */
#define GPU_DW_WORDS	8192

/*
 * Where a job's slots are: slot s of item j at addr[s] + j * is[s] (is
 * NULL: one item; 0: a slot the items share); err: the error word.
 */
struct gpu_slots {
	const uint64_t *addr;
	const uint64_t *is;
	uint64_t err;
};

/* GEMM @cmd (the job's command @index) for the GEMM kernels. */
void gpu_fill_gemm(struct g_mm *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd, uint32_t index);
/*
 * CONV2D @cmd as an implicit GEMM (pixels x taps times taps x channels;
 * p->conv 0 for a pointwise one, whose A is the input's rows); false
 * where the GEMM kernels do not take it (grouped, 2^31 pixels or more).
 */
bool gpu_fill_conv_mm(struct g_mm *p, const struct gpu_slots *s,
		      const struct rm_npu_cmd *cmd, uint32_t index);
/* CONV2D @cmd for k_conv, k_dw3 and k_dw5. */
void gpu_fill_conv(struct g_conv *q, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd, uint32_t index);

/* POOL2D, ELTWISE, LUT, FILL @cmd for k_pool, k_elt, k_lut, k_fill. */
void gpu_fill_pool(struct g_pool *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd);
void gpu_fill_elt(struct g_elt *p, const struct gpu_slots *s,
		  const struct rm_npu_cmd *cmd);
void gpu_fill_lut(struct g_lut *p, const struct gpu_slots *s,
		  const struct rm_npu_cmd *cmd);
void gpu_fill_fill(struct g_fill *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd);
/*
 * COPY @cmd for k_copy: the dimensions reordered by the destination's
 * strides, dense8 where bytes land dense and 8-aligned.
 */
void gpu_fill_copy(struct g_copy *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd);

/*
 * Does k_pw take pointwise GEMM @p? 8-bit outputs in the binary32 mode,
 * K <= 32 in whole words, N in sixteens, every row and column vector
 * 4-byte aligned, and a bound on the sums that leaves room for biases:
 * then p->blim is set (see gpu_kernels.cu).
 */
bool gpu_pw_fits(struct g_mm *p);
/*
 * Does k_pwk take pointwise GEMM @p? 8-bit outputs in the binary32 mode,
 * 32 < K <= G_PK_KMAX in 16-byte pieces, N in eights, A rows and B
 * columns 16-byte aligned, the output rows 8-byte aligned.
 */
bool gpu_pwk_fits(const struct g_mm *p);
/*
 * k_pw or k_pwk over @items of @p in one grid, where they share the
 * weights and the epilogue's vectors: true, p->m the rows of all, p->mi
 * of one item (else p->mi = p->m, the items on blockIdx.z).
 */
bool gpu_pw_fold(struct g_mm *p, uint32_t items);
/*
 * Does k_dw3/k_dw5 take @c (parameters @q)? Depthwise, 3x3 or 5x5,
 * channels in fours, the input 4-byte aligned, sizes below 2^31, the
 * weights within the kernels' shared memory.
 */
bool gpu_dw_fits(const struct rm_npu_cmd_conv2d *c, const struct g_conv *q);

#endif
