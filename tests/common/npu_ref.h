/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npu_ref.h - test support shared by the host tests (tests/unit/test_ops.c)
 * and the VM tests (tests/vm/test_cmds.c): naive reference semantics of
 * every opcode of uapi/rm_npu.h, a seeded random generator, a "world" of
 * host buffers that the operands of a command live in, and generators of
 * random valid commands (random shapes, edge dimensions, extreme zero
 * points, multipliers, shifts and bias values).
 *
 * The references are independent of kmod/ops/npu_ops.c: they use only its
 * integer type names (npu_ops_shim.h), never its code.
 */
#ifndef RM_NPU_TESTS_NPU_REF_H
#define RM_NPU_TESTS_NPU_REF_H

#include "npu_ops_shim.h"
#include <rm_npu.h>

/* Buffers one world holds (the uAPI's max_job_bos). */
#define NPU_WORLD_MAX_BOS	64

/* --- Random numbers (xorshift64*; seed with npu_rng_state, never 0) --- */

extern u64 npu_rng_state;
/* Seeds npu_rng_state from $RM_NPU_TEST_SEED (default @def) and prints
 * "@test: seed 0x..." so that a failing run can be repeated. */
void npu_seed_env(const char *test, u64 def);

u64 npu_rnd(void);
/* Uniform in [@lo, @hi]. */
u32 npu_rr(u32 lo, u32 hi);
/* True with probability @pct percent. */
bool npu_coin(unsigned int pct);
void npu_fill_random(u8 *p, u64 n);

/* --- Buffers ---------------------------------------------------------- */

/* Host buffers, indexed like a job's buffer list. Start it zeroed. */
struct npu_world {
	u32 n;
	u64 size[NPU_WORLD_MAX_BOS];
	u8 *buf[NPU_WORLD_MAX_BOS];
};

/* Appends a buffer of @size random bytes; returns its index (aborts when
 * full or out of memory). */
u32 npu_w_add(struct npu_world *w, u64 size);
void npu_w_free(struct npu_world *w);
/* Rounds every buffer up to a whole number of @page bytes, the new bytes
 * random (buffer objects are page sized); aborts when out of memory. */
void npu_w_pad(struct npu_world *w, u64 page);
/* Deep copy of @src into @dst (uninitialized). */
void npu_w_clone(struct npu_world *dst, const struct npu_world *src);
/* Places an operand of @ext bytes in a new buffer of exactly offset + @ext
 * bytes (random offset 0..40). */
void npu_place(struct npu_world *w, struct rm_npu_ref *r, u64 ext);
/* Replaces buffer @bo by one of @size random bytes. */
void npu_resize(struct npu_world *w, u32 bo, u64 size);
u8 *npu_at(const struct npu_world *w, const struct rm_npu_ref *r);
/* Little-endian int32 store and load. */
void npu_st32(u8 *p, s32 v);
s64 npu_ld32(const u8 *p);

/* --- Reference semantics ---------------------------------------------- */

/**
 * npu_ref_exec() - run a valid command with the naive reference loops
 * @cmd:	a command the engine's validation accepts.
 * @bufs:	base of each buffer the command's refs index.
 *
 * Return: 0; -EINVAL when a per-channel {mult, shift} pair read from a
 * buffer is out of range (output then partly written) or the opcode is
 * unknown; -ERANGE when an accumulator leaves int32 (a generator bug:
 * validation limits make it impossible).
 */
int npu_ref_exec(const struct rm_npu_cmd *cmd, u8 *const *bufs);

/* --- Random valid commands -------------------------------------------- */

u32 npu_rnd_dt(void);			/* INT8 or UINT8 */
u32 npu_rnd_out_dt(void);		/* INT8, UINT8 or INT32 */
s32 npu_dt_min(u32 dt);
s32 npu_dt_max(u32 dt);
s32 npu_rnd_zp(u32 dt);			/* often an extreme */
s32 npu_rnd_mult(void);			/* 0, 1, 2^30, INT32_MAX or random */
s32 npu_rnd_shift(void);		/* -31, 30, 0 or -20..0 */
void npu_rnd_rq(struct rm_npu_requant *rq, u32 dt, bool scale);
u32 npu_rnd_mm_flags(u32 out_dtype);
/* A dimension 1..@max, biased to the edges of the 64-wide blocks. */
u32 npu_rnd_dim(u32 max);
/* Sometimes (15%) sets all @n bytes to one extreme value. */
void npu_maybe_flat(u8 *p, u64 n);
/* The output size a CONV2D's geometry implies (floor, as validated). */
void npu_conv_out_dims(struct rm_npu_cmd_conv2d *c);
/* Bias values and per-channel pairs of a GEMM/CONV2D, as @flags ask. */
void npu_fill_extras(struct npu_world *w, u32 flags, u32 n,
		     const struct rm_npu_ref *bias,
		     const struct rm_npu_ref *quant);

/*
 * Each generator fills @cmd (zeroed first) with a random valid command of
 * its opcode and appends its operands, filled with random data, to @w.
 */
void npu_gen_gemm(struct rm_npu_cmd *cmd, struct npu_world *w, u32 maxd,
		  u32 maxk);
void npu_gen_gemm_mnk(struct rm_npu_cmd *cmd, struct npu_world *w, u32 m,
		      u32 n, u32 k);
void npu_gen_conv(struct rm_npu_cmd *cmd, struct npu_world *w);
/* CONV2D set-up shared by the generators (npu_ref.c says what they draw) */
u32 npu_gen_conv_quant(struct rm_npu_cmd *cmd, u32 out_dtype, u32 zw0_pct);
void npu_gen_conv_extras(struct rm_npu_cmd *cmd, struct npu_world *w);
/* depthwise 3x3/5x5, channels in fours, input 4-aligned (the GPU's k_dw) */
void npu_gen_dw(struct rm_npu_cmd *cmd, struct npu_world *w);
/* an RGB stem: dense, 3 input channels, the input at any byte offset */
void npu_gen_stem(struct rm_npu_cmd *cmd, struct npu_world *w);
/*
 * a model-like pointwise (1x1) CONV2D, 4-aligned (the GPU's pipelined
 * tensor-core loop), of kind NPU_PW_SMALL: few input channels (the GPU's
 * k_pw), NPU_PW_WIDE: 48..1024 input channels in sixteens, output
 * channels mostly in eights, 16-aligned input and weights and an 8-aligned
 * output, now and then one that fills its buffer (the GPU's k_pwk)
 */
#define NPU_PW_ANY	0
#define NPU_PW_SMALL	1
#define NPU_PW_WIDE	2
void npu_gen_pw(struct rm_npu_cmd *cmd, struct npu_world *w, int kind);
void npu_gen_pool(struct rm_npu_cmd *cmd, struct npu_world *w);
void npu_gen_elt(struct rm_npu_cmd *cmd, struct npu_world *w);
void npu_gen_lut(struct rm_npu_cmd *cmd, struct npu_world *w);
void npu_gen_fill(struct rm_npu_cmd *cmd, struct npu_world *w);
void npu_gen_copy(struct rm_npu_cmd *cmd, struct npu_world *w);
/* Any of the above by opcode (GEMM: dims up to 100); NOP otherwise. */
void npu_gen_any(struct rm_npu_cmd *cmd, struct npu_world *w, u32 op);

/*
 * Binary32 rescale modes (RM_NPU_MM_F32_SCALE, RM_NPU_ELT_F32*): random
 * scale bits (positive normal, 2^-100..2^32, mostly useful sizes), F bits
 * (|F| <= 2^24, both signs, 0 and ties sometimes); a GEMM/CONV2D made F32
 * (flag, scale or per-channel pairs); generators of F32 GEMM/CONV2D (byte
 * output) and ELTWISE (ADD with each SCALAR variant, or MUL) commands.
 */
s32 npu_rnd_f32_scale(void);
s32 npu_rnd_f32_fix(void);
void npu_to_f32_mm(struct rm_npu_cmd *cmd, struct npu_world *w);
/* @w must be zeroed or hold a world (it is freed first). */
void npu_gen_mm_f32(struct rm_npu_cmd *cmd, struct npu_world *w, u32 op);
void npu_gen_elt_f32(struct rm_npu_cmd *cmd, struct npu_world *w);
/* An invalid per-channel binary32 pair {scale bits, F} at @pair. */
void npu_f32_bad_pair(u8 *pair);

#endif /* RM_NPU_TESTS_NPU_REF_H */
