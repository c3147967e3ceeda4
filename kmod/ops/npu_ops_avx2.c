// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu_ops_avx2.c - the AVX2 execution variant (placeholder until written).
 */
#include "npu_ops_impl.h"
#ifdef NPU_OPS_HAVE_AVX2
static int npu_isa_scalar_exec_tmp(const struct rm_npu_cmd *cmd, u8 *const *bo, struct npu_ops_ctx *ctx, const void *packed, u64 u, u64 ue)
{
	(void)ctx; (void)packed;
	return npu_scalar_exec(cmd, bo, u, ue);
}
const struct npu_isa_ops npu_isa_avx2 = { .name = "avx2", .exec = npu_isa_scalar_exec_tmp };
#endif
