/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npu_ops_impl.h - internals of the command engine shared by npu_ops.c
 * (validation, dispatch) and its execution variants (npu_ops_scalar.c,
 * npu_ops_avx2.c, npu_ops_avx512.c): small integer helpers, the exact
 * requantization, and the table each variant exports.
 */
#ifndef _NPU_OPS_IMPL_H
#define _NPU_OPS_IMPL_H

#include "npu_ops.h"
#include "npu_ops_f32.h"

#define NPU_S32_MAX	0x7fffffff
#define NPU_S32_MIN	(-NPU_S32_MAX - 1)
#define NPU_U64_MAX	(~0ULL)

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static inline u32 npu_min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

static inline u64 npu_min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

/* ceil(n / d) without overflow for any n. */
static inline u64 npu_ceil_div(u64 n, u32 d)
{
	u64 q = npu_div_u64(n, d);

	return q + (q * d != n);
}

/* a * b, saturated at U64_MAX. */
static inline u64 npu_sat_mul(u64 a, u64 b)
{
	u64 r;

	return __builtin_mul_overflow(a, b, &r) ? NPU_U64_MAX : r;
}

/* a + b, saturated at U64_MAX. */
static inline u64 npu_sat_add(u64 a, u64 b)
{
	u64 r;

	return __builtin_add_overflow(a, b, &r) ? NPU_U64_MAX : r;
}

/* Little-endian int32 at any alignment. */
static inline s32 npu_ld_s32(const u8 *p)
{
	return (s32)((u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
		     (u32)p[3] << 24);
}

/* Same, each byte loaded exactly once (for data checked before use). */
static inline s32 npu_ld_s32_once(const u8 *p)
{
	return (s32)((u32)npu_read_once(p[0]) |
		     (u32)npu_read_once(p[1]) << 8 |
		     (u32)npu_read_once(p[2]) << 16 |
		     (u32)npu_read_once(p[3]) << 24);
}

static inline void npu_st_s32(u8 *p, s32 v)
{
	u32 u = (u32)v;

	p[0] = (u8)u;
	p[1] = (u8)(u >> 8);
	p[2] = (u8)(u >> 16);
	p[3] = (u8)(u >> 24);
}

static inline s32 npu_clamp(s64 v, s32 lo, s32 hi)
{
	return v < lo ? lo : v > hi ? hi : (s32)v;
}

/*
 * requant(acc, mult, shift): round(acc * mult / 2^(31 - shift)), half
 * toward +infinity, plus zero point, clamped. |acc| <= 2^31 and mult <
 * 2^31 keep every step inside int64 (|prod| + 2^61 < 2^63).
 */
static inline s32 npu_requant(s64 acc, s32 mult, s32 shift, s32 zp, s32 lo,
			      s32 hi)
{
	u32 total = (u32)(31 - shift);
	s64 r = (acc * mult + ((s64)1 << (total - 1))) >> total;

	return npu_clamp(r + zp, lo, hi);
}

static inline bool npu_scale_ok(s32 mult, s32 shift)
{
	return mult >= 0 && shift >= -31 && shift <= 30;
}

/* A per-channel pair of a command with RM_NPU_MM_F32_SCALE: bits, 0. */
static inline bool npu_f32_pair_ok(s32 mult, s32 shift)
{
	return npu_f32_scale_ok(mult) && !shift;
}

/* Valid window taps [*lo, *hi) along one axis: 0 <= o0 + t * dil < in. */
static inline void npu_taps(s32 o0, u32 dil, u32 k, u32 in, u32 *lo, u32 *hi)
{
	u32 t = 0;

	while (t < k && o0 + (s32)(t * dil) < 0)
		t++;
	*lo = t;
	while (t < k && o0 + (s32)(t * dil) < (s32)in)
		t++;
	*hi = t;
}

static inline u64 npu_conv_pixels(const struct rm_npu_cmd_conv2d *c)
{
	return (u64)c->batch * c->out_h * c->out_w;
}

static inline u64 npu_pool_pixels(const struct rm_npu_cmd_pool2d *p)
{
	return (u64)p->batch * p->out_h * p->out_w;
}

/* Elements of the innermost copy dimension per unit. */
static inline u32 npu_copy_chunk(const struct rm_npu_cmd_copy *c)
{
	return NPU_OPS_COPY_BYTES / c->elem_size;
}

/**
 * struct npu_isa_ops - one execution variant of the engine
 * @name:	"scalar", "avx2", "avx512" (npu_isa_name()).
 * @simd:	runs SIMD instructions: the kernel wraps it in
 *		kernel_fpu_begin()/kernel_fpu_end().
 * @exec:	units [@u, @ue) of a valid command; @ctx may be NULL (then no
 *		scratch), @packed is npu_cmd_pack() output for this variant or
 *		NULL.
 * @pack_size:	bytes npu_cmd_pack() writes for @cmd; 0 when the variant
 *		keeps no packed form of it.
 * @pack:	packs @cmd's weight operand into @dst.
 */
struct npu_isa_ops {
	const char *name;
	bool simd;
	int (*exec)(const struct rm_npu_cmd *cmd, u8 *const *bo,
		    struct npu_ops_ctx *ctx, const void *packed, u64 u,
		    u64 ue);
	u64 (*pack_size)(const struct rm_npu_cmd *cmd);
	void (*pack)(const struct rm_npu_cmd *cmd, u8 *const *bo, void *dst);
};

extern const struct npu_isa_ops npu_isa_scalar;
#ifdef NPU_OPS_HAVE_AVX2
extern const struct npu_isa_ops npu_isa_avx2;
#endif
#ifdef NPU_OPS_HAVE_AVX512
extern const struct npu_isa_ops npu_isa_avx512;
#endif

/* The portable implementation of every opcode (npu_ops_exec.h). */
int npu_scalar_exec(const struct rm_npu_cmd *cmd, u8 *const *bo, u64 u,
		    u64 ue);

#endif /* _NPU_OPS_IMPL_H */
