// SPDX-License-Identifier: MIT
/*
 * ortmath.c - element functions in IEEE binary32 the way onnxruntime's CPU
 * kernels evaluate them, for the 256-entry tables of quantized pointwise
 * operators.
 *
 * A table entry is a quantized output; it changes only where the float32
 * value lands on the other side of a rounding boundary, but networks
 * amplify such 1-unit differences layer after layer. So tables follow the
 * reference runtime step by step: dequantize in float32, the function in
 * float32 (the same rational approximations onnxruntime's MLAS uses, with
 * fused multiply-adds as its FMA3 kernels do: Eigen's logistic, the erff
 * of N. Juffa's published approximation), quantize by a float32 division
 * rounded half to even. Functions without a known kernel fall back to the
 * double-precision value rounded to float32.
 */
#include <math.h>
#include <string.h>

#include "npuc_ir.h"
#include "npuc_ops.h"

float ort_dequant(const struct npuc_quant *q, int v)
{
	return (float)q->scale[0] * (float)(v - q->zp[0]);
}

int32_t ort_quant(const struct npuc_quant *q, float y)
{
	float t = nearbyintf(y / (float)q->scale[0]);
	double r;

	if (t != t)
		return q->zp[0];
	r = (double)t + q->zp[0];
	if (r < type_min(q->elem))
		return type_min(q->elem);
	if (r > type_max(q->elem))
		return type_max(q->elem);
	return (int32_t)r;
}

/* Eigen's rational logistic, clamped input, as MLAS's FMA3 kernel. */
float ort_logistic(float x)
{
	float x2, p, q, y;

	x = x < -18.0f ? -18.0f : x > 18.0f ? 18.0f : x;
	x2 = x * x;
	p = fmaf(x2, 4.37031012579801e-11f, 1.15627324459942e-07f);
	p = fmaf(p, x2, 6.08574864600143e-05f);
	p = fmaf(p, x2, 8.51377133304701e-03f);
	p = fmaf(p, x2, 2.48287947061529e-01f);
	p = p * x;
	q = fmaf(x2, 6.10247389755681e-13f, 5.76102136993427e-09f);
	q = fmaf(q, x2, 6.29106785017040e-06f);
	q = fmaf(q, x2, 1.70198817374094e-03f);
	q = fmaf(q, x2, 1.16817656904453e-01f);
	q = fmaf(q, x2, 9.93151921023180e-01f);
	y = p / q + 0.5f;
	return y < 0 ? 0 : y > 1 ? 1 : y;
}

/* 2^n for an integral float n in the normal exponent range. */
static float pow2f(float n)
{
	int32_t e = (int32_t)n + 127;
	uint32_t bits;
	float r;

	if (e <= 0)
		return 0;
	if (e >= 255)
		return INFINITY;
	bits = (uint32_t)e << 23;
	memcpy(&r, &bits, 4);
	return r;
}

/* erff: Juffa's two-piece approximation, as MLAS's vector kernel. */
float ort_erf(float x)
{
	float a = fabsf(x), s, r, y, e, c = 1.25829120e+7f, f;

	if (a > 3.725f)
		a = 3.725f;
	if (a < 0.921875f) {		/* the kernel's split: a >= boundary is big */
		s = a * a;
		r = -5.99104969e-4f;
		r = fmaf(r, s, 4.99339588e-3f);
		r = fmaf(r, s, -2.67667342e-2f);
		r = fmaf(r, s, 1.12818025e-1f);
		r = fmaf(r, s, -3.76124859e-1f);
		r = fmaf(r, s, 1.28379151e-1f);
		y = fmaf(r, a, a);
	} else {
		r = 1.72948930e-5f;
		r = fmaf(r, a, -3.83208680e-4f);
		r = fmaf(r, a, 3.88393435e-3f);
		r = fmaf(r, a, -2.42545605e-2f);
		r = fmaf(r, a, 1.06777847e-1f);
		r = fmaf(r, a, 6.34846687e-1f);
		r = fmaf(r, a, 1.28717512e-1f);
		r = fmaf(r, a, a);
		/* 1 - exp(-r) */
		r = -r;
		if (r < -88.3762626647949f)
			r = -88.3762626647949f;
		e = fmaf(1.44269504088896341f, r, c) - c;
		f = fmaf(e, -6.93145752e-1f, r);
		f = fmaf(e, -1.42860677e-6f, f);
		y = 1.38319808e-3f;
		y = fmaf(y, f, 8.37550033e-3f);
		y = fmaf(y, f, 4.16689515e-2f);
		y = fmaf(y, f, 1.66664466e-1f);
		y = fmaf(y, f, 4.99999851e-1f);
		y = fmaf(y, f, 1.0f);
		y = fmaf(y, f, 1.0f);
		y = y * pow2f(e);
		y = 1.0f - y;
	}
	return signbit(x) ? -y : y;
}

/* ---- float32 element functions of the registry's rows ------------------- */

float f32_relu(const struct npuc_node *n, const float *v)
{
	(void)n;
	return v[0] > 0 ? v[0] : 0;
}

float f32_clip(const struct npuc_node *n, const float *v)
{
	float x = v[0];

	if (n->nin > 1 && n->in[1] >= 0 && x < v[1])
		x = v[1];
	if (n->nin > 2 && n->in[2] >= 0 && x > v[2])
		x = v[2];
	return x;
}

float f32_sigmoid(const struct npuc_node *n, const float *v)
{
	(void)n;
	return ort_logistic(v[0]);
}

float f32_erf(const struct npuc_node *n, const float *v)
{
	(void)n;
	return ort_erf(v[0]);
}

float f32_hardsigmoid(const struct npuc_node *n, const float *v)
{
	float a = (float)attr_f(n, "alpha", 0.2), b = (float)attr_f(n, "beta",
								  0.5);
	float y = a * v[0] + b;

	return y < 0 ? 0 : y > 1 ? 1 : y;
}

float f32_leakyrelu(const struct npuc_node *n, const float *v)
{
	return v[0] >= 0 ? v[0] : (float)attr_f(n, "alpha", 0.01) * v[0];
}

float f32_add(const struct npuc_node *n, const float *v)
{
	(void)n;
	return v[0] + v[1];
}

float f32_sub(const struct npuc_node *n, const float *v)
{
	(void)n;
	return v[0] - v[1];
}

float f32_mul(const struct npuc_node *n, const float *v)
{
	(void)n;
	return v[0] * v[1];
}

float f32_div(const struct npuc_node *n, const float *v)
{
	(void)n;
	return v[0] / v[1];
}

float f32_neg(const struct npuc_node *n, const float *v)
{
	(void)n;
	return -v[0];
}

float f32_abs(const struct npuc_node *n, const float *v)
{
	(void)n;
	return fabsf(v[0]);
}

float f32_sqrt(const struct npuc_node *n, const float *v)
{
	(void)n;
	return sqrtf(v[0]);
}

float npuc_evalf(const struct npuc_node *n, const float *v)
{
	double d[8];
	int i;

	if (n->def->evalf)
		return n->def->evalf(n, v);
	for (i = 0; i < n->nin && i < 8; i++)
		d[i] = v[i];
	return (float)n->def->eval1(n, d);
}
