// SPDX-License-Identifier: MIT
/*
 * quant.c - float scales to the NPU's fixed-point {mult, shift}.
 *
 * A real multiplier M > 0 is written M = m * 2^e with m in [0.5, 1)
 * (frexp). mult = round(m * 2^31) (a Q31 fraction in [2^30, 2^31]; 2^31
 * itself becomes 2^30 with e + 1), shift = e, so that
 * mult * 2^(shift - 31) = M within a relative error of 2^-31. Values below
 * 2^-32 keep shift = -31 and a smaller mult (precision degrades gracefully;
 * mult may round to 0). M >= 2^30 is refused (-ERANGE).
 *
 * The NPU then computes round_half_up(acc * mult * 2^(shift - 31)) exactly
 * in 64-bit integers (rm_npu_commands.md section 2). Float
 * requantization (ONNX's reference: round_half_to_even(acc * M) in float)
 * can differ from it by one unit in the last place of the int8 result, for
 * two reasons: (1) ties: acc * M exactly x.5 rounds up here but to even in
 * ONNX; (2) the 2^-31 relative error of mult (and the float rounding of
 * M = s_a * s_b / s_y in the reference) moves a product lying within that
 * distance of a .5 boundary to the other side. Never more than 1: both
 * results round a value within 2^-31 * |acc * M| < 2^-7 of the same real
 * number. tools/npu-compile/quant-ulp.c measures how often.
 */
#include <errno.h>
#include <math.h>

#include "npuc.h"

int npuc_quantize_multiplier(double real, int32_t *mult, int32_t *shift)
{
	long long q;
	double m;
	int e;

	if (!isfinite(real) || real < 0)
		return npuc_err(-ERANGE, "scale %g is not a positive number",
				real);
	if (real == 0) {
		*mult = 0;
		*shift = 0;
		return 0;
	}
	m = frexp(real, &e);
	q = llround(ldexp(m, 31));
	if (q == (1ll << 31)) {
		q >>= 1;
		e++;
	}
	if (e > 30)
		return npuc_err(-ERANGE, "requantization scale %g is above "
				"2^30", real);
	if (e < -31) {
		q = llround(ldexp(real, 62));
		e = -31;
	}
	*mult = (int32_t)q;
	*shift = e;
	return 0;
}

int npuc_quantize_multiplier_le1(double real, int32_t *mult, int32_t *shift)
{
	int ret = npuc_quantize_multiplier(real, mult, shift);

	if (!ret && *shift > 0)
		return npuc_err(-ERANGE, "input rescale %g is not below 1",
				real);
	return ret;
}

int64_t npuc_requant_ref(int64_t acc, int32_t mult, int32_t shift)
{
	int total = 31 - shift;

	return (acc * mult + (1ll << (total - 1))) >> total;
}
