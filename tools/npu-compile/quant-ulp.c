// SPDX-License-Identifier: MIT
/*
 * quant-ulp - how often the NPU's fixed-point requantization differs from
 * float requantization, on random data.
 *
 * For random scales (s_x, s_w, s_y log-uniform, as quantizers produce) and
 * random int32 accumulators of a K=256..4096 int8 dot product, compare
 *   npu:   clamp(requant(acc, mult, shift) + zp)      (rm_npu, half up)
 *   float: clamp(nearbyint((float)acc * (s_x*s_w/s_y)) + zp)  (ONNX
 *          reference: float32 multiply, round half to even)
 *   exact: the same with the multiplier and product in double
 * and print the fraction of differing results and the largest difference.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "npuc.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double uni(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

static int clampi(long long v)
{
	return v < -128 ? -128 : v > 127 ? 127 : (int)v;
}

int main(int argc, char **argv)
{
	long long n = argc > 1 ? atoll(argv[1]) : 10000000, i;
	long long dfl = 0, dex = 0, ties = 0, inrange = 0;
	int maxd = 0;

	for (i = 0; i < n; i++) {
		double sx = exp2(-4 - 6 * uni()), sw = exp2(-4 - 6 * uni());
		double sy = exp2(-1 - 7 * uni());
		float mf = (float)sx * (float)sw / (float)sy;
		double md = sx * sw / sy;
		int K = 256 << (next() % 5), zp = (int)(next() % 256) - 128;
		/* a sum of K products of int8 deviates like sqrt(K) * 64^2 */
		double g = (uni() + uni() + uni() + uni() - 2) * 1.7;
		int32_t acc = (int32_t)(g * sqrt((double)K) * 4096);
		int32_t mult, shift;
		int npu, fl, ex, d;
		long long r;

		if (npuc_quantize_multiplier(md, &mult, &shift))
			continue;
		r = npuc_requant_ref(acc, mult, shift);
		npu = clampi(r + zp);
		fl = clampi((long long)nearbyintf((float)acc * mf) + zp);
		ex = clampi((long long)nearbyint((double)acc * md) + zp);
		if (npu != fl)
			dfl++;
		if (npu != ex)
			dex++;
		if (r + zp > -128 && r + zp < 127)
			inrange++;
		if (fabs((double)acc * md - floor((double)acc * md) - 0.5) <
		    1e-12)
			ties++;
		d = abs(npu - fl);
		if (d > maxd)
			maxd = d;
		d = abs(npu - ex);
		if (d > maxd)
			maxd = d;
	}
	printf("quant-ulp: %lld random requantizations (%lld not saturated)\n",
	       n, inrange);
	printf("  vs float32 reference (ONNX): %lld differ (%.4f%%)\n", dfl,
	       100.0 * (double)dfl / (double)n);
	printf("  vs exact double, half-even:  %lld differ (%.4f%%), exact "
	       "ties %lld\n", dex, 100.0 * (double)dex / (double)n, ties);
	printf("  largest difference: %d ulp\n", maxd);
	/* power-of-two multipliers: exact ties are common */
	for (dfl = 0, ties = 0, i = 0; i < n; i++) {
		double md = exp2(-(double)(1 + next() % 8));
		int32_t acc = (int32_t)(next() % 20001) - 10000, mult, shift;
		long long r, f;

		if (npuc_quantize_multiplier(md, &mult, &shift))
			continue;
		r = npuc_requant_ref(acc, mult, shift);
		f = (long long)nearbyint((double)acc * md);
		ties += (double)acc * md - floor((double)acc * md) == 0.5;
		if (clampi(r) != clampi(f))
			dfl++;
		if (llabs(r - f) > maxd)
			maxd = (int)llabs(r - f);
	}
	printf("  power-of-two multipliers: %lld differ (%.4f%%), exact ties "
	       "%lld (%.4f%%); largest difference %d ulp\n", dfl,
	       100.0 * (double)dfl / (double)n, ties,
	       100.0 * (double)ties / (double)n, maxd);
	return maxd > 1;
}
