// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The integer binary32 emulation of the command engine
 * (kmod/ops/npu_ops_f32.h, what the kernel's portable variant runs)
 * against this machine's floating point: every operation the binary32
 * rescale modes use, on edge cases (ties at .5, exact products, |x| near
 * 2^24..2^31, scale and F extremes, type extremes, results far past the
 * clamp) and millions of random cases. The oracle is plain C float
 * (ISO C mode: no contraction) and fmaf(), rounded to an integer in
 * double with nearbyint() (round to nearest even by default).
 *
 * Seed: RM_NPU_TEST_SEED; cases scaled by RM_NPU_TEST_SCALE (percent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fenv.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npu_ops_f32.h"

static u64 rng = 0x9e3779b97f4a7c15ULL;
static unsigned int scale_pct = 100;

static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static u32 rr(u32 lo, u32 hi)
{
	return lo + (u32)(rnd() % ((u64)hi - lo + 1));
}

static unsigned int iters(unsigned int n)
{
	unsigned int k = (unsigned int)((u64)n * scale_pct / 100);

	return k ? k : 1;
}

static float fbits(u32 b)
{
	float f;

	memcpy(&f, &b, 4);
	return f;
}

static u32 bitsf(float f)
{
	u32 b;

	memcpy(&b, &f, 4);
	return b;
}

static s32 clampi(double v, s32 lo, s32 hi)
{
	return v < lo ? lo : v > hi ? hi : (s32)v;
}

/* The bits of an emulated value that npu_fx_round() produced. */
static u32 fx_bits(struct npu_fx x)
{
	u32 b;
	s32 e;
	u64 m = x.m;

	if (!m)
		return x.neg ? 0x80000000u : 0;
	/* rounded: m < 2^24; make it 24 bits */
	e = x.e;
	while (m < (1u << 23)) {
		m <<= 1;
		e--;
	}
	assert_true(m < (1u << 24));
	assert_true(e + 150 >= 1 && e + 150 <= 254);
	b = (u32)(e + 150) << 23 | (u32)(m & 0x7fffff);
	return x.neg ? b | 0x80000000u : b;
}

/* Random scale bits: positive normal, exponent field 27..158. */
static u32 rnd_scale(void)
{
	switch (rr(0, 9)) {
	case 0:
		return NPU_F32_SCALE_MIN;
	case 1:
		return NPU_F32_SCALE_END - 1;
	case 2:
		/* a power of two: exact products */
		return rr(27, 158) << 23;
	case 3:
		/* near 1, the common case */
		return rr(110, 130) << 23 | (u32)(rnd() & 0x7fffff);
	default:
		return rr(27, 158) << 23 | (u32)(rnd() & 0x7fffff);
	}
}

/* Random F bits: finite, |F| <= 2^24, either sign, zero and tiny too. */
static u32 rnd_fix(void)
{
	u32 s = (u32)(rnd() & 1) << 31;

	switch (rr(0, 9)) {
	case 0:
		return s;
	case 1:
		return s | NPU_F32_FIX_MAX;
	case 2:
		/* subnormal */
		return s | (u32)(rnd() & 0x7fffff);
	case 3:
		/* an integer plus a half: ties after the additions */
		return bitsf((float)((s32)rr(0, 600) - 300) + 0.5f) ^ s;
	default:
		return s | rr(0, 150) << 23 | (u32)(rnd() & 0x7fffff);
	}
}

/* An int32 accumulator: edges of the binary32 mantissa and of int32. */
static s32 rnd_acc(void)
{
	s32 v;

	switch (rr(0, 7)) {
	case 0:
		return rr(0, 1) ? INT32_MAX - (s32)rr(0, 300) :
				  INT32_MIN + (s32)rr(0, 300);
	case 1:
		/* around 2^24..2^31: fl32 rounds, ties included */
		v = (s32)(rr(1u << 24, 1u << 30) << rr(0, 1));
		return rr(0, 1) ? -v : v;
	case 2:
		return (s32)rr(0, 2000) - 1000;
	default:
		return (s32)(rnd() >> rr(32, 63));
	}
}

/* --- the oracle -------------------------------------------------------- */

static s32 ref_requant(s32 x, u32 s, s32 zp, s32 lo, s32 hi)
{
	float y = (float)x * fbits(s);

	return clampi(nearbyint((double)y) + zp, lo, hi);
}

static s32 ref_elt(u32 flags, u32 op, s32 a, s32 b, s32 za, s32 zb, u32 sa,
		   u32 sb, u32 f, s32 zp, s32 lo, s32 hi)
{
	float y;

	if (op == RM_NPU_ELT_MUL) {
		y = (float)((a - za) * (b - zb)) * fbits(f);
		y = y + (float)zp;
		return clampi(nearbyint((double)y), lo, hi);
	}
	if (flags & RM_NPU_ELT_F32_SCALAR_B) {
		float t = (float)b * fbits(sb);

		y = fmaf((float)a, fbits(sa), fbits(f) + t);
	} else if (flags & RM_NPU_ELT_F32_SCALAR_A) {
		float t = (float)a * fbits(sa);

		y = fmaf((float)b, fbits(sb), fbits(f) + t);
	} else {
		y = fmaf((float)a, fbits(sa), fmaf((float)b, fbits(sb),
						   fbits(f)));
	}
	return clampi(nearbyint((double)y) + zp, lo, hi);
}

/* --- the operations one by one ----------------------------------------- */

static void check_requant(s32 x, u32 s, s32 zp, s32 lo, s32 hi)
{
	s32 got = npu_f32_requant(x, s, zp, lo, hi);
	s32 want = ref_requant(x, s, zp, lo, hi);

	if (got != want) {
		print_error("requant x %d s %#x (%a) zp %d [%d, %d]: got %d "
			    "want %d\n", x, s, (double)fbits(s), zp, lo, hi,
			    got, want);
		fail();
	}
}

/* fl32 of an int, and the product of the epilogue, bit for bit. */
static void test_round_mul(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(2000000); i++) {
		s32 x = rnd_acc();
		u32 s = rnd_scale();
		struct npu_fx fx = npu_fx_f32_int(x);
		struct npu_fx p = npu_fx_round(npu_fx_mul(fx,
							 npu_fx_bits(s)));
		float want = (float)x * fbits(s);

		assert_int_equal(fx_bits(fx), bitsf((float)x));
		if (fx_bits(p) != bitsf(want)) {
			print_error("fl32(%d) * %a: got %#x want %#x\n", x,
				    (double)fbits(s), fx_bits(p), bitsf(want));
			fail();
		}
	}
}

static void test_requant_edges(void **state)
{
	static const s32 xs[] = {
		0, 1, -1, 2, -2, 3, 5, 7, 127, -128, 255, 256, 383, -383,
		(1 << 24) - 1, 1 << 24, (1 << 24) + 1, (1 << 24) + 3,
		-(1 << 24) - 1, (1 << 25) + 2, (1 << 25) + 6, 1 << 30,
		INT32_MAX, INT32_MIN, INT32_MIN + 1, INT32_MAX - 64,
		INT32_MAX - 127, INT32_MAX - 128,
	};
	static const u32 ss[] = {
		NPU_F32_SCALE_MIN, NPU_F32_SCALE_END - 1, 0x3f800000,
		0x3f000000,	/* 0.5: ties of odd x */
		0x3e800000,	/* 0.25 */
		0x3fc00000,	/* 1.5: ties of odd x / ... */
		0x3effffff, 0x3f000001, 0x4f800000 - 1, 0x2f800000,
		0x3dcccccd,	/* 0.1 */
		0x3eaaaaab,	/* 1/3 */
	};
	unsigned int i, j;
	s32 k;

	(void)state;
	for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		for (j = 0; j < sizeof(ss) / sizeof(ss[0]); j++) {
			check_requant(xs[i], ss[j], 0, -128, 127);
			check_requant(xs[i], ss[j], 255, 0, 255);
			check_requant(xs[i], ss[j], -128, -128, 127);
			check_requant(xs[i], ss[j], 17, -3, 9);
		}
	/* every tie k + 0.5 for x = 2k + 1, s = 0.5, both signs */
	for (k = -300; k <= 300; k++)
		check_requant(2 * k + 1, 0x3f000000, 0, -128, 127);
}

static void test_requant_random(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(3000000); i++) {
		s32 zp = (s32)rr(0, 255) - (rr(0, 1) ? 128 : 0);
		s32 lo = (s32)rr(0, 255) - 128, hi = (s32)rr(0, 255) - 128;

		if (lo > hi) {
			s32 t = lo;

			lo = hi;
			hi = t;
		}
		check_requant(rnd_acc(), rnd_scale(), zp, lo, hi);
	}
}

static void check_elt(u32 flags, u32 op, s32 a, s32 b, s32 za, s32 zb,
		      u32 sa, u32 sb, u32 f, s32 zp, s32 lo, s32 hi)
{
	struct rm_npu_cmd_eltwise e;
	struct npu_f32_elt k;
	s32 got, want;

	memset(&e, 0, sizeof(e));
	e.op = op;
	e.a.mult = (s32)sa;
	e.b.mult = (s32)sb;
	e.rq.mult = (s32)f;
	e.rq.zero_point = zp;
	npu_f32_elt_init(&k, flags, &e);
	got = npu_f32_elt(&k, a, b, za, zb, zp, lo, hi);
	want = ref_elt(flags, op, a, b, za, zb, sa, sb, f, zp, lo, hi);
	if (got != want) {
		print_error("elt flags %#x op %u a %d b %d za %d zb %d sa %a "
			    "sb %a f %a zp %d [%d, %d]: got %d want %d\n",
			    flags, op, a, b, za, zb, (double)fbits(sa),
			    (double)fbits(sb), (double)fbits(f), zp, lo, hi,
			    got, want);
		fail();
	}
}

static s32 rnd_val(bool sgn)
{
	static const s32 ext[] = { -128, 127, 0, -1, 1 };
	static const s32 uext[] = { 0, 255, 1, 128, 127 };

	if (rr(0, 3) == 0)
		return sgn ? ext[rr(0, 4)] : uext[rr(0, 4)];
	return sgn ? (s32)rr(0, 255) - 128 : (s32)rr(0, 255);
}

static const u32 elt_modes[] = {
	RM_NPU_ELT_F32, RM_NPU_ELT_F32 | RM_NPU_ELT_F32_SCALAR_A,
	RM_NPU_ELT_F32 | RM_NPU_ELT_F32_SCALAR_B,
};

static void elt_random(void)
{
	bool sgn = rr(0, 1);
	s32 lo = sgn ? -128 : 0, hi = sgn ? 127 : 255;
	s32 a = rnd_val(sgn), b = rnd_val(sgn);
	s32 zp = rr(0, 3) ? 0 : rnd_val(sgn);

	if (rr(0, 1)) {
		s32 x = (s32)rr(0, 255) + lo, y = (s32)rr(0, 255) + lo;

		lo = x < y ? x : y;
		hi = x < y ? y : x;
	}
	if (rr(0, 3) == 0)
		check_elt(RM_NPU_ELT_F32, RM_NPU_ELT_MUL, a, b, rnd_val(sgn),
			  rnd_val(sgn), 0, 0, rnd_scale(), zp, lo, hi);
	else
		check_elt(elt_modes[rr(0, 2)], RM_NPU_ELT_ADD, a, b, 0, 0,
			  rnd_scale(), rnd_scale(), rnd_fix(), zp, lo, hi);
}

static void test_elt_random(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(3000000); i++)
		elt_random();
}

/*
 * Scales of the size quantizers pick (ratios near 1, F of a few hundred),
 * with every pair of input values: the results sit on the clamp and on
 * ties.
 */
static void test_elt_exhaustive(void **state)
{
	static const u32 sc[] = {
		0x3f000000, 0x3f800000, 0x3f400000, 0x3dcccccd, 0x40490fdb,
	};
	static const u32 fx[] = {
		0, 0x80000000, 0x3f000000, 0xbf000000, 0x43000000,
		0xc3000000, 0x42fe0000, 0x4b800000, 0xcb800000, 0x00000001,
	};
	unsigned int i, j, m;
	s32 a, b;

	(void)state;
	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
		for (j = 0; j < sizeof(fx) / sizeof(fx[0]); j++)
			for (m = 0; m < 3; m++)
				for (a = -128; a <= 255; a += 3)
					for (b = -128; b <= 255; b += 5)
						check_elt(elt_modes[m],
							  RM_NPU_ELT_ADD, a, b,
							  0, 0, sc[i],
							  sc[(i + j) % 5],
							  fx[j], 0, -128, 255);
	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
		for (a = -128; a <= 127; a += 3)
			for (b = -128; b <= 127; b++)
				check_elt(RM_NPU_ELT_F32, RM_NPU_ELT_MUL, a, b,
					  -128, 127, 0, 0, sc[i] - 0x04000000,
					  (s32)(i * 40) - 100, -128, 127);
}

int main(void)
{
	const char *s = getenv("RM_NPU_TEST_SEED");
	const char *sc = getenv("RM_NPU_TEST_SCALE");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_mul),
		cmocka_unit_test(test_requant_edges),
		cmocka_unit_test(test_requant_random),
		cmocka_unit_test(test_elt_random),
		cmocka_unit_test(test_elt_exhaustive),
	};

	if (s && *s)
		rng = strtoull(s, NULL, 0) | 1;
	if (sc && *sc)
		scale_pct = (unsigned int)strtoul(sc, NULL, 0);
	/* the oracle's rounding: the default, stated */
	if (fesetround(FE_TONEAREST))
		return 1;
	print_message("test_f32_emu: seed %#" PRIx64 " scale %u%%\n", rng,
		      scale_pct);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
