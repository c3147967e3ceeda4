/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npu_ops_f32.h - IEEE binary32 arithmetic in integers, for the binary32
 * rescale modes (RM_NPU_MM_F32_SCALE, RM_NPU_ELT_F32: rm_npu_commands.md
 * 3.4 and 6.1). The kernel's portable variant runs without the FPU, so
 * the few binary32 operations those modes need are emulated here, each
 * giving exactly the bits of the hardware's round-to-nearest-even result.
 * The SIMD variants compute the same with the FPU (default MXCSR); the
 * host test tests/unit/test_f32_emu.c holds the two against each other.
 *
 * Values are exact as (-1)^neg * m * 2^e. Validation bounds every operand
 * (scales in [2^-100, 2^32), |F| <= 2^24, int32 inputs), so no result can
 * overflow, be NaN or subnormal: the exponent range is not modelled (a
 * subnormal operand, e.g. F, is decoded exactly all the same).
 */
#ifndef _NPU_OPS_F32_H
#define _NPU_OPS_F32_H

#include "npu_ops_shim.h"
#include <rm_npu.h>

/* A binary32 scale in [2^-100, 2^32): exponent field 27..158, sign 0. */
#define NPU_F32_SCALE_MIN	(27u << 23)
#define NPU_F32_SCALE_END	(159u << 23)
/* |F| <= 2^24: the bits of 2^24 */
#define NPU_F32_FIX_MAX		(151u << 23)

struct npu_fx {
	u64 m;
	s32 e;
	bool neg;
};

static inline bool npu_f32_scale_ok(s32 bits)
{
	return bits >= (s32)NPU_F32_SCALE_MIN && bits < (s32)NPU_F32_SCALE_END;
}

static inline bool npu_f32_fix_ok(s32 bits)
{
	return ((u32)bits & 0x7fffffffu) <= NPU_F32_FIX_MAX;
}

/* The value of binary32 bits (finite). */
static inline struct npu_fx npu_fx_bits(u32 b)
{
	struct npu_fx x;
	u32 ef = (b >> 23) & 0xff;

	x.neg = b >> 31;
	x.m = b & 0x7fffff;
	if (ef) {
		x.m |= 1u << 23;
		x.e = (s32)ef - 150;
	} else {
		x.e = -149;
	}
	return x;
}

static inline struct npu_fx npu_fx_int(s64 v)
{
	struct npu_fx x;

	x.neg = v < 0;
	x.m = v < 0 ? (u64)-v : (u64)v;
	x.e = 0;
	return x;
}

/*
 * Rounded to 24 significant bits, ties to even. Bits below the rounding
 * point may include a sticky bit (npu_fx_add()).
 */
static inline struct npu_fx npu_fx_round(struct npu_fx x)
{
	u32 n, sh;
	u64 q, rem, half;

	if (!x.m)
		return x;
	n = 64 - (u32)__builtin_clzll(x.m);
	if (n <= 24)
		return x;
	sh = n - 24;
	q = x.m >> sh;
	rem = x.m & ((1ULL << sh) - 1);
	half = 1ULL << (sh - 1);
	if (rem > half || (rem == half && (q & 1)))
		q++;
	if (q >> 24) {
		q >>= 1;
		sh++;
	}
	x.m = q;
	x.e += (s32)sh;
	return x;
}

/* Exact product; both magnitudes below 2^32. */
static inline struct npu_fx npu_fx_mul(struct npu_fx x, struct npu_fx y)
{
	struct npu_fx r;

	r.m = x.m * y.m;
	r.e = x.e + y.e;
	r.neg = x.neg != y.neg;
	return r;
}

/* x.m < 2^63 shifted so that its top bit is bit 62. */
static inline struct npu_fx npu_fx_norm(struct npu_fx x)
{
	u32 l = (u32)__builtin_clzll(x.m) - 1;

	x.m <<= l;
	x.e -= (s32)l;
	return x;
}

/*
 * x + y for rounding by npu_fx_round(): both magnitudes below 2^63 with
 * at most 48 significant bits. Aligned on 63-bit mantissas; bits of the
 * smaller operand shifted out leave a sticky bit, which lies at least two
 * places below the rounding point of any result (a cancellation loses at
 * most one bit when the exponents differ by two or more, and nothing is
 * shifted out otherwise), so the rounded result is the exact sum's.
 */
static inline struct npu_fx npu_fx_add(struct npu_fx x, struct npu_fx y)
{
	struct npu_fx t, r;
	u64 ym;
	u32 d;

	if (!x.m)
		return y;
	if (!y.m)
		return x;
	x = npu_fx_norm(x);
	y = npu_fx_norm(y);
	if (y.e > x.e) {
		t = x;
		x = y;
		y = t;
	}
	d = (u32)(x.e - y.e);
	if (d >= 63)
		ym = 1;
	else
		ym = (y.m >> d) | ((y.m & ((1ULL << d) - 1)) != 0);
	r.e = x.e;
	if (x.neg == y.neg) {
		r.m = x.m + ym;
		r.neg = x.neg;
	} else if (x.m >= ym) {
		r.m = x.m - ym;
		r.neg = x.neg;
	} else {
		r.m = ym - x.m;
		r.neg = y.neg;
	}
	return r;
}

/* fl32(x) */
static inline struct npu_fx npu_fx_f32_int(s64 v)
{
	return npu_fx_round(npu_fx_int(v));
}

/* fma32(p, q, r) = fl32(p * q + r), p an integer of at most 8 bits. */
static inline struct npu_fx npu_fx_fma(s32 p, struct npu_fx q,
				       struct npu_fx r)
{
	return npu_fx_round(npu_fx_add(npu_fx_mul(npu_fx_int(p), q), r));
}

/*
 * RNE(x) (ties to even) for a rounded x (m < 2^24), saturated at +-2^30:
 * callers clamp it to a byte type's range.
 */
static inline s32 npu_fx_rne(struct npu_fx x)
{
	u64 q, rem, half;
	u32 sh;
	s32 v;

	if (!x.m)
		return 0;
	if (x.e >= 0) {
		/* m < 2^24, e <= 30: below 2^54 */
		q = x.e > 30 ? 1ULL << 30 : x.m << x.e;
		v = q > 1ULL << 30 ? 1 << 30 : (s32)q;
	} else {
		sh = (u32)-x.e;
		if (sh > 25)
			return 0;
		q = x.m >> sh;
		rem = x.m & ((1ULL << sh) - 1);
		half = 1ULL << (sh - 1);
		if (rem > half || (rem == half && (q & 1)))
			q++;
		v = (s32)q;
	}
	return x.neg ? -v : v;
}

static inline s32 npu_f32_clamp(s32 r, s32 lo, s32 hi)
{
	return r < lo ? lo : r > hi ? hi : r;
}

/* clamp(RNE(fl32(fl32(x) * s)) + zp, lo, hi): the F32_SCALE epilogue. */
static inline s32 npu_f32_requant(s32 x, u32 sbits, s32 zp, s32 lo, s32 hi)
{
	struct npu_fx p = npu_fx_round(npu_fx_mul(npu_fx_f32_int(x),
						  npu_fx_bits(sbits)));

	return npu_f32_clamp(npu_fx_rne(p) + zp, lo, hi);
}

/* The operands of an ELTWISE F32 command, decoded once. */
struct npu_f32_elt {
	struct npu_fx sa;	/* ADD: Sa, Sb, F */
	struct npu_fx sb;
	struct npu_fx f;	/* ADD: F; MUL: S */
	struct npu_fx zp;	/* MUL: the output zero point */
	u32 flags;
	u32 op;
};

static inline void npu_f32_elt_init(struct npu_f32_elt *k, u32 flags,
				    const struct rm_npu_cmd_eltwise *e)
{
	k->sa = npu_fx_bits((u32)e->a.mult);
	k->sb = npu_fx_bits((u32)e->b.mult);
	k->f = npu_fx_bits((u32)e->rq.mult);
	k->zp = npu_fx_int(e->rq.zero_point);
	k->flags = flags;
	k->op = e->op;
}

/*
 * One output element from the input values @a, @b (as loaded, zero points
 * not subtracted): rm_npu_commands.md 6.1.
 */
static inline s32 npu_f32_elt(const struct npu_f32_elt *k, s32 a, s32 b,
			      s32 za, s32 zb, s32 zp, s32 lo, s32 hi)
{
	struct npu_fx r, y;

	if (k->op == RM_NPU_ELT_MUL) {
		r = npu_fx_round(npu_fx_mul(npu_fx_f32_int((a - za) * (b - zb)),
					    k->f));
		y = npu_fx_round(npu_fx_add(r, k->zp));
		return npu_f32_clamp(npu_fx_rne(y), lo, hi);
	}
	if (k->flags & RM_NPU_ELT_F32_SCALAR_B) {
		r = npu_fx_round(npu_fx_mul(npu_fx_int(b), k->sb));
		r = npu_fx_round(npu_fx_add(k->f, r));
		y = npu_fx_fma(a, k->sa, r);
	} else if (k->flags & RM_NPU_ELT_F32_SCALAR_A) {
		r = npu_fx_round(npu_fx_mul(npu_fx_int(a), k->sa));
		r = npu_fx_round(npu_fx_add(k->f, r));
		y = npu_fx_fma(b, k->sb, r);
	} else {
		y = npu_fx_fma(a, k->sa, npu_fx_fma(b, k->sb, k->f));
	}
	return npu_f32_clamp(npu_fx_rne(y) + zp, lo, hi);
}

#endif /* _NPU_OPS_F32_H */
