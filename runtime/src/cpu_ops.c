// SPDX-License-Identifier: MIT
/*
 * cpu_ops.c - CPU steps: validation (a bad step is an error, never an
 * out-of-bounds access) and naive float32 kernels. Quantization rounds half
 * to even (nearbyintf in the default rounding mode) and saturates, NaN
 * going to the lowest value, as ONNX QuantizeLinear does.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_ops.h"
#include "cpu_simd.h"

#define DIM_MAX		(1LL << 31)
#define GELU_TANH_K	0.7978845608028654	/* sqrt(2 / pi) */

static const char *const cpu_op_names[NPURT_CPU_OP_COUNT] = {
	[NPURT_CPU_QUANTIZE] = "QUANTIZE", [NPURT_CPU_DEQUANTIZE] = "DEQUANTIZE",
	[NPURT_CPU_RELU] = "RELU", [NPURT_CPU_SIGMOID] = "SIGMOID",
	[NPURT_CPU_TANH] = "TANH", [NPURT_CPU_EXP] = "EXP",
	[NPURT_CPU_ABS] = "ABS", [NPURT_CPU_NEG] = "NEG",
	[NPURT_CPU_SQRT] = "SQRT", [NPURT_CPU_CLIP] = "CLIP",
	[NPURT_CPU_LEAKY_RELU] = "LEAKY_RELU", [NPURT_CPU_ADD] = "ADD",
	[NPURT_CPU_SUB] = "SUB", [NPURT_CPU_MUL] = "MUL",
	[NPURT_CPU_DIV] = "DIV", [NPURT_CPU_MAX] = "MAX",
	[NPURT_CPU_MIN] = "MIN", [NPURT_CPU_SOFTMAX] = "SOFTMAX",
	[NPURT_CPU_LOG_SOFTMAX] = "LOG_SOFTMAX", [NPURT_CPU_GEMM] = "GEMM",
	[NPURT_CPU_CONV] = "CONV", [NPURT_CPU_HARD_SIGMOID] = "HARD_SIGMOID",
	[NPURT_CPU_HARD_SWISH] = "HARD_SWISH", [NPURT_CPU_POOL] = "POOL",
	[NPURT_CPU_ERF] = "ERF", [NPURT_CPU_GELU] = "GELU",
	[NPURT_CPU_LAYER_NORM] = "LAYER_NORM", [NPURT_CPU_REDUCE] = "REDUCE",
	[NPURT_CPU_POW] = "POW", [NPURT_CPU_RESIZE] = "RESIZE",
	[NPURT_CPU_QLINEAR_SOFTMAX] = "QLINEAR_SOFTMAX",
};

NPURT_API const char *npurt_cpu_op_name(uint32_t opcode)
{
	return opcode < NPURT_CPU_OP_COUNT && cpu_op_names[opcode] ?
	       cpu_op_names[opcode] : "UNKNOWN";
}

/* ---- validation --------------------------------------------------------- */

struct ck {
	const struct npurt_cpu_op *op;
	unsigned int index;
	const struct npurt_slot *slots;
	const uint64_t *sizes;
	unsigned int num_slots;
};

#define BADOP(c, ...)	bad_op(c, __VA_ARGS__)

static int bad_op(const struct ck *c, const char *fmt, ...) NPURT_PRINTF(2, 3);

static int bad_op(const struct ck *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return npurt_err(-EINVAL, "CPU step %u (%s): %s", c->index,
			 npurt_cpu_op_name(c->op->opcode), msg);
}

#define M_F32	(1u << NPURT_DTYPE_FLOAT32)
#define M_Q8	((1u << NPURT_DTYPE_INT8) | (1u << NPURT_DTYPE_UINT8))
#define M_I32	(1u << NPURT_DTYPE_INT32)

/* Operand @r ("in[k]"/"out"): dtype in @mask, exactly @count elements (or
 * at least @count when @at_least), inside its slot, aligned. */
static int ref_ck(const struct ck *c, const struct npurt_cpu_ref *r,
		  const char *what, uint32_t mask, uint64_t count,
		  bool at_least, bool write, bool optional)
{
	uint64_t bytes, end;
	size_t esz;

	if (r->slot == NPURT_CPU_NONE) {
		if (optional && !r->dtype && !r->offset && !r->count)
			return 0;
		return BADOP(c, "%s missing", what);
	}
	if (r->slot >= c->num_slots)
		return BADOP(c, "%s: slot %u of %u", what, r->slot,
			     c->num_slots);
	if (r->dtype >= 32 || !(mask & (1u << r->dtype)))
		return BADOP(c, "%s: dtype %s not allowed", what,
			     npurt_dtype_name((enum npurt_dtype)r->dtype));
	if (at_least ? r->count < count : r->count != count)
		return BADOP(c, "%s: %llu elements, %s%llu expected", what,
			     (unsigned long long)r->count,
			     at_least ? "at least " : "",
			     (unsigned long long)count);
	esz = npurt_dtype_size((enum npurt_dtype)r->dtype);
	if (!r->count || !npurt_mul_ok(r->count, esz, &bytes) ||
	    !npurt_add_ok(r->offset, bytes, &end) ||
	    end > c->sizes[r->slot] || r->offset % esz)
		return BADOP(c, "%s: [%llu, +%llu elements) outside slot %u "
			     "(%llu bytes) or misaligned", what,
			     (unsigned long long)r->offset,
			     (unsigned long long)r->count, r->slot,
			     (unsigned long long)c->sizes[r->slot]);
	if (write && c->slots[r->slot].kind != NPURT_SLOT_OUTPUT &&
	    c->slots[r->slot].kind != NPURT_SLOT_SCRATCH)
		return BADOP(c, "writes slot %u \"%s\", which is not an output "
			     "or scratch slot", r->slot,
			     c->slots[r->slot].desc.name);
	return 0;
}

static bool none(const struct npurt_cpu_ref *r)
{
	return r->slot == NPURT_CPU_NONE && !r->dtype && !r->offset &&
	       !r->count;
}

/* p[from, from + n) each in [lo, DIM_MAX]. */
static int params_ck(const struct ck *c, unsigned int from, unsigned int n,
		     int64_t lo)
{
	unsigned int i;

	for (i = from; i < from + n; i++)
		if (c->op->p[i] < lo || c->op->p[i] > DIM_MAX)
			return BADOP(c, "parameter p[%u] = %lld out of range",
				     i, (long long)c->op->p[i]);
	return 0;
}

/* Product of p[from..from+n) into *out without overflow. */
static int prod_ck(const struct ck *c, unsigned int from, unsigned int n,
		   uint64_t *out)
{
	unsigned int i;

	*out = 1;
	for (i = from; i < from + n; i++)
		if (!npurt_mul_ok(*out, (uint64_t)c->op->p[i], out) ||
		    *out > (1ULL << 48))
			return BADOP(c, "shape too large");
	return 0;
}

static int finite_ck(const struct ck *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!isfinite(c->op->f[i]))
			return BADOP(c, "constant f[%u] is not finite", i);
	return 0;
}

static int quant_ck(const struct ck *c, bool quant)
{
	const struct npurt_cpu_op *op = c->op;
	uint32_t qmask = quant ? M_Q8 : M_Q8 | M_I32;
	uint32_t qdt = quant ? op->out.dtype : op->in[0].dtype;
	uint64_t n = op->in[0].count, ci;
	int ret;

	ret = ref_ck(c, &op->in[0], "in[0]", quant ? M_F32 : qmask, n, false,
		     false, false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", quant ? qmask : M_F32, n,
			     false, true, false);
	if (ret)
		return ret;
	if (op->p[3] != 0 && (op->p[3] != 1 || !quant || op->p[0]))
		return BADOP(c, "rounding mode %lld (1: zero point added "
			     "before rounding, per-tensor QUANTIZE only)",
			     (long long)op->p[3]);
	if (!op->p[0]) {
		if (!isfinite(op->f[0]) || !(op->f[0] > 0))
			return BADOP(c, "scale %g not finite and positive",
				     (double)op->f[0]);
		if ((qdt == NPURT_DTYPE_INT8 && (op->p[1] < -128 ||
						 op->p[1] > 127)) ||
		    (qdt == NPURT_DTYPE_UINT8 && (op->p[1] < 0 ||
						  op->p[1] > 255)) ||
		    op->p[1] < INT32_MIN || op->p[1] > INT32_MAX)
			return BADOP(c, "zero point %lld out of range",
				     (long long)op->p[1]);
		if (!none(&op->in[1]) || !none(&op->in[2]))
			return BADOP(c, "per-tensor step with scale operands");
		return 0;
	}
	ret = params_ck(c, 0, 1, 1);
	if (!ret)
		ret = params_ck(c, 2, 1, 1);
	if (!ret)
		ret = prod_ck(c, 0, 1, &ci);
	if (ret)
		return ret;
	ci = (uint64_t)op->p[0] * (uint64_t)op->p[2];
	if (n % ci)
		return BADOP(c, "%llu elements are not a multiple of %llu "
			     "channels x inner", (unsigned long long)n,
			     (unsigned long long)ci);
	ret = ref_ck(c, &op->in[1], "in[1] (scales)", M_F32,
		     (uint64_t)op->p[0], false, false, false);
	if (!ret)
		ret = ref_ck(c, &op->in[2], "in[2] (zero points)",
			     1u << qdt, (uint64_t)op->p[0], false, false, true);
	return ret;
}

static int unary_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	int ret;

	ret = ref_ck(c, &op->in[0], "in[0]", M_F32, op->in[0].count, false,
		     false, false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, op->in[0].count, false,
			     true, false);
	if (!ret && (!none(&op->in[1]) || !none(&op->in[2])))
		ret = BADOP(c, "unused operands must be absent");
	if (!ret && op->opcode == NPURT_CPU_CLIP &&
	    (isnan(op->f[0]) || isnan(op->f[1])))
		ret = BADOP(c, "NaN bounds");
	if (!ret && op->opcode == NPURT_CPU_LEAKY_RELU)
		ret = finite_ck(c, 1);
	if (!ret && op->opcode == NPURT_CPU_HARD_SIGMOID)
		ret = finite_ck(c, 2);
	return ret;
}

/* Largest element index + 1 reached by strides p[s..s+r) over dims. */
static int reach_ck(const struct ck *c, unsigned int s, unsigned int r,
		    uint64_t *reach)
{
	const int64_t *p = c->op->p;
	uint64_t t;
	unsigned int a;

	*reach = 1;
	for (a = 0; a < r; a++) {
		if (p[s + a] < 0 || p[s + a] > (1LL << 48) ||
		    !npurt_mul_ok((uint64_t)(p[1 + a] - 1), (uint64_t)p[s + a],
				  &t) || !npurt_add_ok(*reach, t, reach))
			return BADOP(c, "stride p[%u] out of range", s + a);
	}
	return 0;
}

static int binary_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	uint64_t n, ra, rb;
	unsigned int r;
	int ret;

	if (op->p[0] < 1 || op->p[0] > NPURT_CPU_MAX_RANK)
		return BADOP(c, "rank %lld not in 1..%d", (long long)op->p[0],
			     NPURT_CPU_MAX_RANK);
	r = (unsigned int)op->p[0];
	ret = params_ck(c, 1, r, 1);
	if (!ret)
		ret = prod_ck(c, 1, r, &n);
	if (!ret)
		ret = reach_ck(c, 7, r, &ra);
	if (!ret)
		ret = reach_ck(c, 13, r, &rb);
	if (!ret)
		ret = ref_ck(c, &op->in[0], "in[0]", M_F32, ra, true, false,
			     false);
	if (!ret)
		ret = ref_ck(c, &op->in[1], "in[1]", M_F32, rb, true, false,
			     false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, n, false, true, false);
	if (!ret && !none(&op->in[2]))
		ret = BADOP(c, "in[2] must be absent");
	return ret;
}

static int softmax_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	uint64_t n;
	int ret;

	ret = params_ck(c, 0, 3, 1);
	if (!ret)
		ret = prod_ck(c, 0, 3, &n);
	if (!ret)
		ret = ref_ck(c, &op->in[0], "in[0]", M_F32, n, false, false,
			     false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, n, false, true, false);
	if (!ret && (!none(&op->in[1]) || !none(&op->in[2])))
		ret = BADOP(c, "unused operands must be absent");
	return ret;
}

static int gemm_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	const int64_t *p = op->p;
	uint64_t mk, kn, mn, ra, rb, rc, t;
	int ret;

	ret = params_ck(c, 0, 3, 1);
	if (!ret)
		ret = params_ck(c, 3, 2, 0);
	if (!ret)
		ret = params_ck(c, 5, 1, 1);
	if (!ret)
		ret = params_ck(c, 6, 4, 0);
	if (!ret)
		ret = finite_ck(c, 2);
	if (ret)
		return ret;
	if (p[3] > 1 || p[4] > 1)
		return BADOP(c, "transpose flags must be 0 or 1");
	if (!npurt_mul_ok((uint64_t)p[0], (uint64_t)p[2], &mk) ||
	    !npurt_mul_ok((uint64_t)p[2], (uint64_t)p[1], &kn) ||
	    !npurt_mul_ok((uint64_t)p[0], (uint64_t)p[1], &mn) ||
	    !npurt_mul_ok((uint64_t)(p[5] - 1), (uint64_t)p[6], &ra) ||
	    !npurt_add_ok(ra, mk, &ra) ||
	    !npurt_mul_ok((uint64_t)(p[5] - 1), (uint64_t)p[7], &rb) ||
	    !npurt_add_ok(rb, kn, &rb) ||
	    !npurt_mul_ok(mn, (uint64_t)p[5], &mn) || mn > (1ULL << 48))
		return BADOP(c, "shape too large");
	rc = 1 + (uint64_t)(p[0] - 1) * (uint64_t)p[8];
	t = (uint64_t)(p[1] - 1) * (uint64_t)p[9];
	if (!npurt_add_ok(rc, t, &rc))
		return BADOP(c, "shape too large");
	ret = ref_ck(c, &op->in[0], "in[0] (A)", M_F32, ra, true, false, false);
	if (!ret)
		ret = ref_ck(c, &op->in[1], "in[1] (B)", M_F32, rb, true, false,
			     false);
	if (!ret)
		ret = ref_ck(c, &op->in[2], "in[2] (C)", M_F32, rc, true, false,
			     true);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, mn, false, true, false);
	return ret;
}

/*
 * The depth of a 3-D CONV/POOL (p[19] = D > 0; p[20] KD, p[21] stride,
 * p[22], p[23] front/back pads, p[24] dilation, p[25] OD; all 0 for 2-D):
 * *d, *kd, *od receive the factors of the element counts (1 for 2-D).
 */
static int depth_ck(const struct ck *c, bool pool, uint64_t *d, uint64_t *kd,
		    uint64_t *od)
{
	const int64_t *p = c->op->p;
	int64_t span;
	int ret, i;

	*d = *kd = *od = 1;
	if (!p[19]) {
		for (i = 20; i <= 25; i++)
			if (p[i])
				return BADOP(c, "depth parameter p[%d] of a 2-D "
					     "step is not 0", i);
		return 0;
	}
	ret = params_ck(c, 19, 3, 1);
	if (!ret)
		ret = params_ck(c, 22, 2, 0);
	if (!ret)
		ret = params_ck(c, 24, 2, 1);
	if (ret)
		return ret;
	span = p[19] + p[22] + p[23] - p[24] * (p[20] - 1) - 1;
	if (span < 0 || (p[25] != span / p[21] + 1 &&
			 (!pool || p[25] != span / p[21] + 2)) ||
	    (pool && (p[25] - 1) * p[21] >= p[19] + p[22]))
		return BADOP(c, "output depth %lld does not follow from the "
			     "input, kernel, stride and pads",
			     (long long)p[25]);
	*d = (uint64_t)p[19];
	*kd = (uint64_t)p[20];
	*od = (uint64_t)p[25];
	return 0;
}

static int conv_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	const int64_t *p = op->p;
	uint64_t nx, nw, ny, d, kd, od;
	int64_t oh, ow;
	int ret;

	ret = params_ck(c, 0, 9, 1);
	if (!ret)
		ret = params_ck(c, 9, 4, 0);
	if (!ret)
		ret = params_ck(c, 13, 5, 1);
	if (ret)
		return ret;
	if (p[1] % p[15] || p[4] % p[15])
		return BADOP(c, "channels %lld, %lld not divisible by group "
			     "%lld", (long long)p[1], (long long)p[4],
			     (long long)p[15]);
	oh = (p[2] + p[9] + p[11] - p[13] * (p[5] - 1) - 1);
	ow = (p[3] + p[10] + p[12] - p[14] * (p[6] - 1) - 1);
	if (oh < 0 || ow < 0 || oh / p[7] + 1 != p[16] ||
	    ow / p[8] + 1 != p[17])
		return BADOP(c, "output %lld x %lld does not follow from the "
			     "input, kernel, strides, pads and dilations",
			     (long long)p[16], (long long)p[17]);
	if ((ret = depth_ck(c, false, &d, &kd, &od)))
		return ret;
	if (p[26] != 0 && p[26] != 1)
		return BADOP(c, "accumulation mode %lld (0 double, 1 binary32 "
			     "in SGEMM order)", (long long)p[26]);
	if (p[26] && p[19])
		return BADOP(c, "binary32 accumulation is for 2-D only");
	if (!npurt_mul_ok((uint64_t)p[0] * (uint64_t)p[1], (uint64_t)p[2] *
			  (uint64_t)p[3], &nx) || !npurt_mul_ok(nx, d, &nx) ||
	    !npurt_mul_ok((uint64_t)p[4] * (uint64_t)(p[1] / p[15]),
			  (uint64_t)p[5] * (uint64_t)p[6], &nw) ||
	    !npurt_mul_ok(nw, kd, &nw) ||
	    !npurt_mul_ok((uint64_t)p[0] * (uint64_t)p[4], (uint64_t)p[16] *
			  (uint64_t)p[17], &ny) || !npurt_mul_ok(ny, od, &ny))
		return BADOP(c, "shape too large");
	ret = ref_ck(c, &op->in[0], "in[0] (X)", M_F32, nx, false, false,
		     false);
	if (!ret)
		ret = ref_ck(c, &op->in[1], "in[1] (W)", M_F32, nw, false,
			     false, false);
	if (!ret)
		ret = ref_ck(c, &op->in[2], "in[2] (B)", M_F32,
			     (uint64_t)p[4], false, false, true);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, ny, false, true, false);
	return ret;
}

static int pool_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	const int64_t *p = op->p;
	uint64_t nx, ny, d, kd, od;
	int64_t span[2], k;
	int ret;

	ret = params_ck(c, 0, 4, 1);
	if (!ret)
		ret = params_ck(c, 5, 4, 1);
	if (!ret)
		ret = params_ck(c, 9, 4, 0);
	if (!ret)
		ret = params_ck(c, 13, 2, 1);
	if (!ret)
		ret = params_ck(c, 16, 2, 1);
	if (ret)
		return ret;
	if (p[4] || p[15] || p[18] < 0 || p[18] > 2)
		return BADOP(c, "OC, group or mode out of range");
	if (p[26] != 0 && p[26] != 1)
		return BADOP(c, "accumulation mode %lld (0 double, 1 binary32)",
			     (long long)p[26]);
	for (k = 0; k < 2; k++) {
		/* floor mode: the window fits the padded input; ceil mode:
		 * one more, starting inside the input or its leading pad */
		span[k] = p[2 + k] + p[9 + k] + p[11 + k] -
			  p[13 + k] * (p[5 + k] - 1) - 1;
		if (span[k] < 0 || (p[16 + k] != span[k] / p[7 + k] + 1 &&
				    p[16 + k] != span[k] / p[7 + k] + 2) ||
		    (p[16 + k] - 1) * p[7 + k] >= p[2 + k] + p[9 + k])
			return BADOP(c, "output %lld x %lld does not follow "
				     "from the input, kernel, strides and pads",
				     (long long)p[16], (long long)p[17]);
	}
	if ((ret = depth_ck(c, true, &d, &kd, &od)))
		return ret;
	if (!npurt_mul_ok((uint64_t)p[0] * (uint64_t)p[1], (uint64_t)p[2] *
			  (uint64_t)p[3], &nx) || !npurt_mul_ok(nx, d, &nx) ||
	    !npurt_mul_ok((uint64_t)p[0] * (uint64_t)p[1], (uint64_t)p[16] *
			  (uint64_t)p[17], &ny) || !npurt_mul_ok(ny, od, &ny))
		return BADOP(c, "shape too large");
	ret = ref_ck(c, &op->in[0], "in[0]", M_F32, nx, false, false, false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, ny, false, true, false);
	if (!ret && (!none(&op->in[1]) || !none(&op->in[2])))
		ret = BADOP(c, "unused operands must be absent");
	return ret;
}

/* p[np..] and f[nf..] unused by the opcode: zero, so they can gain a
 * meaning later. */
static int unused_ck(const struct ck *c, unsigned int np, unsigned int nf)
{
	unsigned int i;

	for (i = np; i < sizeof(c->op->p) / sizeof(c->op->p[0]); i++)
		if (c->op->p[i])
			return BADOP(c, "unused parameter p[%u] is not 0", i);
	for (i = nf; i < sizeof(c->op->f) / sizeof(c->op->f[0]); i++)
		if (c->op->f[i] != 0 || signbit(c->op->f[i]))
			return BADOP(c, "unused constant f[%u] is not 0", i);
	return 0;
}

/* Zero point @zp of a quantized operand of dtype @dt. */
static int zp_ck(const struct ck *c, const char *what, int64_t zp,
		 uint32_t dt)
{
	int64_t lo = dt == NPURT_DTYPE_INT8 ? -128 : 0;
	int64_t hi = dt == NPURT_DTYPE_INT8 ? 127 : 255;

	if (zp < lo || zp > hi)
		return BADOP(c, "%s zero point %lld out of range %lld..%lld",
			     what, (long long)zp, (long long)lo, (long long)hi);
	return 0;
}

static int scale_ck(const struct ck *c, unsigned int i)
{
	if (!isfinite(c->op->f[i]) || !(c->op->f[i] > 0))
		return BADOP(c, "scale f[%u] = %g not finite and positive", i,
			     (double)c->op->f[i]);
	return 0;
}

/* ERF, GELU: element-wise like unary_ck, with GELU's variant in p[0]. */
static int unary2_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	bool gelu = op->opcode == NPURT_CPU_GELU;
	int ret;

	if (gelu && (op->p[0] < 0 || op->p[0] > 1))
		return BADOP(c, "variant p[0] = %lld is not 0 (exact) or 1 "
			     "(tanh)", (long long)op->p[0]);
	ret = unused_ck(c, gelu ? 1 : 0, 0);
	if (!ret)
		ret = unary_ck(c);
	return ret;
}

static int layer_norm_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	uint64_t n;
	int ret;

	ret = params_ck(c, 0, 2, 1);
	if (!ret)
		ret = prod_ck(c, 0, 2, &n);
	if (!ret)
		ret = unused_ck(c, 2, 1);
	if (ret)
		return ret;
	if (!isfinite(op->f[0]) || !(op->f[0] > 0))
		return BADOP(c, "epsilon f[0] = %g not finite and positive",
			     (double)op->f[0]);
	ret = ref_ck(c, &op->in[0], "in[0] (X)", M_F32, n, false, false,
		     false);
	if (!ret)
		ret = ref_ck(c, &op->in[1], "in[1] (scale)", M_F32,
			     (uint64_t)op->p[1], false, false, false);
	if (!ret)
		ret = ref_ck(c, &op->in[2], "in[2] (bias)", M_F32,
			     (uint64_t)op->p[1], false, false, true);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, n, false, true, false);
	return ret;
}

static int reduce_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	uint64_t n;
	int ret;

	ret = params_ck(c, 0, 3, 1);
	if (!ret)
		ret = prod_ck(c, 0, 3, &n);
	if (!ret)
		ret = unused_ck(c, 4, 0);
	if (ret)
		return ret;
	if (op->p[3] < 0 || op->p[3] > 9)
		return BADOP(c, "mode p[3] = %lld not in 0..9",
			     (long long)op->p[3]);
	ret = ref_ck(c, &op->in[0], "in[0]", M_F32, n, false, false, false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32,
			     (uint64_t)op->p[0] * (uint64_t)op->p[2], false,
			     true, false);
	if (!ret && (!none(&op->in[1]) || !none(&op->in[2])))
		ret = BADOP(c, "unused operands must be absent");
	return ret;
}

/* POW: binary_ck, and the dims and strides past the rank are zero. */
static int pow_ck(const struct ck *c)
{
	unsigned int a, r;
	int ret;

	ret = binary_ck(c);
	if (!ret)
		ret = unused_ck(c, 19, 0);
	if (ret)
		return ret;
	r = (unsigned int)c->op->p[0];
	for (a = r; a < NPURT_CPU_MAX_RANK; a++)
		if (c->op->p[1 + a] || c->op->p[7 + a] || c->op->p[13 + a])
			return BADOP(c, "dims and strides of axis %u, past the "
				     "rank %u, are not 0", a, r);
	return 0;
}

/* The scale f[i] of an input length @in resized to @out: 0 (from the
 * sizes) or within one of out / in, as ONNX makes out = floor(scale x in). */
static int resize_scale_ck(const struct ck *c, unsigned int i, int64_t in,
			   int64_t out)
{
	double s = c->op->f[i];

	if (s == 0 && !signbit(s))
		return 0;
	if (!isfinite(s) || !(s > 0) ||
	    fabs(s * (double)in - (double)out) > 1 + 1e-6 * (double)out)
		return BADOP(c, "scale f[%u] = %g does not resize %lld to "
			     "%lld", i, s, (long long)in, (long long)out);
	return 0;
}

static int resize_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	const int64_t *p = op->p;
	uint64_t nx, nc, ny;
	int ret;

	ret = params_ck(c, 0, 6, 1);
	if (!ret)
		ret = prod_ck(c, 0, 4, &nx);
	if (!ret)
		ret = prod_ck(c, 0, 2, &nc);
	/* OH, OW <= 2^31: their product does not wrap */
	if (!ret && (!npurt_mul_ok(nc, (uint64_t)p[4] * (uint64_t)p[5], &ny) ||
		     ny > (1ULL << 48)))
		ret = BADOP(c, "shape too large");
	if (!ret)
		ret = unused_ck(c, 10, 3);
	if (ret)
		return ret;
	if (p[6] < 0 || p[6] > 2)
		return BADOP(c, "mode p[6] = %lld not in 0..2", (long long)p[6]);
	if (p[7] < 0 || p[7] > 4)
		return BADOP(c, "coordinate transformation p[7] = %lld not in "
			     "0..4", (long long)p[7]);
	if (p[8] < 0 || p[8] > 3 || (p[6] != 0 && p[8]))
		return BADOP(c, "nearest mode p[8] = %lld not in 0..3 (0 "
			     "unless mode is nearest)", (long long)p[8]);
	if (p[9] < 0 || p[9] > 1 || (p[6] != 2 && p[9]))
		return BADOP(c, "exclude_outside p[9] = %lld not 0 or 1 (0 "
			     "unless mode is cubic)", (long long)p[9]);
	if (!isfinite(op->f[2]) || (p[6] != 2 && op->f[2] != 0))
		return BADOP(c, "cubic coefficient f[2] = %g: not finite, "
			     "or not 0 for a mode other than cubic",
			     (double)op->f[2]);
	ret = resize_scale_ck(c, 0, p[2], p[4]);
	if (!ret)
		ret = resize_scale_ck(c, 1, p[3], p[5]);
	if (!ret)
		ret = ref_ck(c, &op->in[0], "in[0]", M_F32, nx, false, false,
			     false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_F32, ny, false, true, false);
	if (!ret && (!none(&op->in[1]) || !none(&op->in[2])))
		ret = BADOP(c, "unused operands must be absent");
	return ret;
}

static int qsoftmax_ck(const struct ck *c)
{
	const struct npurt_cpu_op *op = c->op;
	uint64_t n;
	int ret;

	ret = params_ck(c, 0, 3, 1);
	if (!ret)
		ret = prod_ck(c, 0, 3, &n);
	if (!ret)
		ret = unused_ck(c, 5, 2);
	if (!ret)
		ret = ref_ck(c, &op->in[0], "in[0]", M_Q8, n, false, false,
			     false);
	if (!ret)
		ret = ref_ck(c, &op->out, "out", M_Q8, n, false, true, false);
	if (!ret)
		ret = scale_ck(c, 0);
	if (!ret)
		ret = scale_ck(c, 1);
	if (!ret)
		ret = zp_ck(c, "input", op->p[3], op->in[0].dtype);
	if (!ret)
		ret = zp_ck(c, "output", op->p[4], op->out.dtype);
	if (!ret && (!none(&op->in[1]) || !none(&op->in[2])))
		ret = BADOP(c, "unused operands must be absent");
	return ret;
}

int npurt_cpu_op_check(const struct npurt_cpu_op *op, unsigned int index,
		       const struct npurt_slot *slots, const uint64_t *sizes,
		       unsigned int num_slots)
{
	const struct ck c = { op, index, slots, sizes, num_slots };

	if (op->flags)
		return BADOP(&c, "unknown flags 0x%x", op->flags);
	switch (op->opcode) {
	case NPURT_CPU_QUANTIZE:
		return quant_ck(&c, true);
	case NPURT_CPU_DEQUANTIZE:
		return quant_ck(&c, false);
	case NPURT_CPU_RELU: case NPURT_CPU_SIGMOID: case NPURT_CPU_TANH:
	case NPURT_CPU_EXP: case NPURT_CPU_ABS: case NPURT_CPU_NEG:
	case NPURT_CPU_SQRT: case NPURT_CPU_CLIP: case NPURT_CPU_LEAKY_RELU:
	case NPURT_CPU_HARD_SIGMOID: case NPURT_CPU_HARD_SWISH:
		return unary_ck(&c);
	case NPURT_CPU_POOL:
		return pool_ck(&c);
	case NPURT_CPU_ADD: case NPURT_CPU_SUB: case NPURT_CPU_MUL:
	case NPURT_CPU_DIV: case NPURT_CPU_MAX: case NPURT_CPU_MIN:
		return binary_ck(&c);
	case NPURT_CPU_SOFTMAX: case NPURT_CPU_LOG_SOFTMAX:
		return softmax_ck(&c);
	case NPURT_CPU_GEMM:
		return gemm_ck(&c);
	case NPURT_CPU_CONV:
		return conv_ck(&c);
	case NPURT_CPU_ERF: case NPURT_CPU_GELU:
		return unary2_ck(&c);
	case NPURT_CPU_LAYER_NORM:
		return layer_norm_ck(&c);
	case NPURT_CPU_REDUCE:
		return reduce_ck(&c);
	case NPURT_CPU_POW:
		return pow_ck(&c);
	case NPURT_CPU_RESIZE:
		return resize_ck(&c);
	case NPURT_CPU_QLINEAR_SOFTMAX:
		return qsoftmax_ck(&c);
	default:
		return npurt_err(-EINVAL, "CPU step %u: unknown opcode %u",
				 index, op->opcode);
	}
}

/* ---- kernels ------------------------------------------------------------ */

static void *at(uint8_t *const *bases, const struct npurt_cpu_ref *r)
{
	return r->slot == NPURT_CPU_NONE ? NULL : bases[r->slot] + r->offset;
}

static int32_t qload(const void *p, uint32_t dt, uint64_t i)
{
	switch (dt) {
	case NPURT_DTYPE_INT8: return ((const int8_t *)p)[i];
	case NPURT_DTYPE_UINT8: return ((const uint8_t *)p)[i];
	default: return ((const int32_t *)p)[i];
	}
}

/* round_half_even(v / s) + zp saturated to [lo, hi], NaN to lo. */
static int32_t quant_one(float v, float s, int32_t zp, int32_t lo, int32_t hi)
{
	double t = (double)nearbyintf(v / s) + zp;

	return !(t >= lo) ? lo : t > hi ? hi : (int32_t)t;
}

static void qstore(void *p, uint32_t dt, uint64_t i, int32_t q)
{
	if (dt == NPURT_DTYPE_INT8)
		((int8_t *)p)[i] = (int8_t)q;
	else
		((uint8_t *)p)[i] = (uint8_t)q;
}

/*
 * quant_one() over a per-tensor run, written so that the compiler
 * vectorizes it (33x on SSE2): v / s is clamped to [lo - zp, hi - zp] (NaN
 * to the low end: the comparison is false), where adding and subtracting
 * 1.5 * 2^23 rounds half to even exactly as nearbyintf() does in the
 * default rounding mode; the clamp bounds are integers, so clamping before
 * rounding gives what rounding then saturating gives.
 */
static void quant_tensor(const float *x, void *y, uint64_t n, float s,
			 int32_t zp, int32_t lo, int32_t hi, bool sgn)
{
	const float magic = 12582912.0f;	/* 1.5 * 2^23 */
	float tlo = (float)(lo - zp), thi = (float)(hi - zp);
	int isa = npurt_cpu_step_isa_now();
	uint64_t i = 0;

	if (isa == 2)
		i = npurt_simd_quant_avx512(x, y, n, s, zp, tlo, thi);
	else if (isa == 1)
		i = npurt_simd_quant_avx2(x, y, n, s, zp, tlo, thi, sgn);
	if (sgn) {
		int8_t *o = y;

		for (; i < n; i++) {
			float t = x[i] / s;

			t = t > tlo ? t : tlo;
			t = t < thi ? t : thi;
			o[i] = (int8_t)((int32_t)((t + magic) - magic) + zp);
		}
	} else {
		uint8_t *o = y;

		for (; i < n; i++) {
			float t = x[i] / s;

			t = t > tlo ? t : tlo;
			t = t < thi ? t : thi;
			o[i] = (uint8_t)((int32_t)((t + magic) - magic) + zp);
		}
	}
}

static void dequant_tensor(const void *x, float *y, uint64_t n, float s,
			   int32_t zp, uint32_t dt)
{
	uint64_t i = npurt_simd_dequant(npurt_cpu_step_isa_now(), x, y, n, s,
					zp, dt);

	if (dt == NPURT_DTYPE_INT8) {
		for (; i < n; i++)
			y[i] = (float)(((const int8_t *)x)[i] - zp) * s;
	} else if (dt == NPURT_DTYPE_UINT8) {
		for (; i < n; i++)
			y[i] = (float)(((const uint8_t *)x)[i] - zp) * s;
	} else {
		for (; i < n; i++)
			y[i] = (float)((int64_t)((const int32_t *)x)[i] - zp) *
			       s;
	}
}

static void quant_run(const struct npurt_cpu_op *op, uint8_t *const *bases,
		      bool quant)
{
	const void *x = at(bases, &op->in[0]);
	void *y = at(bases, &op->out);
	const float *scales = at(bases, &op->in[1]);
	const void *zps = at(bases, &op->in[2]);
	uint32_t qdt = quant ? op->out.dtype : op->in[0].dtype;
	uint64_t i, n = op->in[0].count, ch, inner = op->p[2] ? op->p[2] : 1;
	int32_t lo = qdt == NPURT_DTYPE_INT8 ? -128 : 0;
	int32_t hi = qdt == NPURT_DTYPE_INT8 ? 127 : 255;

	if (!op->p[0] && quant && op->p[3]) {
		/* nearbyintf(v / s + zp), as onnxruntime's QLinear pools */
		float zf = (float)op->p[1];

		for (i = 0; i < n; i++) {
			float t = nearbyintf(((const float *)x)[i] / op->f[0] +
					     zf);

			qstore(y, qdt, i, !(t >= lo) ? lo : t > hi ? hi :
			       (int32_t)t);
		}
		return;
	}
	if (!op->p[0] && quant) {
		quant_tensor(x, y, n, op->f[0], (int32_t)op->p[1], lo, hi,
			     qdt == NPURT_DTYPE_INT8);
		return;
	}
	if (!op->p[0]) {
		dequant_tensor(x, y, n, op->f[0], (int32_t)op->p[1], qdt);
		return;
	}
	for (i = 0; i < n; i++) {
		float s = op->f[0];
		int32_t zp = (int32_t)op->p[1];

		if (op->p[0]) {
			ch = (i / inner) % (uint64_t)op->p[0];
			s = scales[ch];
			zp = zps ? qload(zps, qdt, ch) : 0;
		}
		if (quant) {
			qstore(y, qdt, i, quant_one(((const float *)x)[i], s,
						    zp, lo, hi));
		} else {
			((float *)y)[i] = (float)((int64_t)qload(x, qdt, i) -
						  zp) * s;
		}
	}
}

/*
 * A math function's binary64 value rounded once to binary32, where the
 * step could call the binary32 function: that is correctly rounded but
 * for about one value in 2^28 (glibc's tanhf is 1-2 units off for about
 * one value in 9, its erff one in 60), and another library's binary64
 * function (CUDA's, on the GPU backend) then almost never rounds to other
 * bytes.
 */
static float fl32_of(double v)
{
	return (float)v;
}

static void unary_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]);
	float *y = at(bases, &op->out);
	uint64_t i, n = op->in[0].count;

	for (i = 0; i < n; i++) {
		float v = x[i];

		switch (op->opcode) {
		case NPURT_CPU_RELU: v = v > 0 ? v : 0; break;
		/* binary64 functions rounded once (fl32_of()) */
		case NPURT_CPU_SIGMOID:
			v = 1.0f / (1.0f + fl32_of(exp(-(double)v)));
			break;
		case NPURT_CPU_TANH: v = fl32_of(tanh(v)); break;
		case NPURT_CPU_EXP: v = fl32_of(exp(v)); break;
		case NPURT_CPU_ABS: v = fabsf(v); break;
		case NPURT_CPU_NEG: v = -v; break;
		case NPURT_CPU_SQRT: v = sqrtf(v); break;
		case NPURT_CPU_CLIP:
			v = v < op->f[0] ? op->f[0] : v;
			v = v > op->f[1] ? op->f[1] : v;
			break;
		case NPURT_CPU_LEAKY_RELU: v = v < 0 ? op->f[0] * v : v; break;
		case NPURT_CPU_HARD_SIGMOID:
			v = op->f[0] * v + op->f[1];
			v = v < 0 ? 0 : v > 1 ? 1 : v;
			break;
		case NPURT_CPU_HARD_SWISH: {
			float h = v / 6.0f + 0.5f;

			v = v * (h < 0 ? 0 : h > 1 ? 1 : h);
			break;
		}
		case NPURT_CPU_ERF: v = fl32_of(erf(v)); break;
		case NPURT_CPU_GELU: {
			/* 1 + erf(u) = erfc(-u) and 1 + tanh(u) = 2 / (1 +
			 * exp(-2u)) stay accurate where the tails cancel */
			double d = v;

			v = (float)(op->p[0] ?
				d / (1 + exp(-2 * GELU_TANH_K *
					     (d + 0.044715 * d * d * d))) :
				0.5 * d * erfc(-d * M_SQRT1_2));
			break;
		}
		default: break;
		}
		y[i] = v;
	}
}

static float binary_one(uint32_t opcode, float u, float v)
{
	switch (opcode) {
	case NPURT_CPU_ADD: return u + v;
	case NPURT_CPU_SUB: return u - v;
	case NPURT_CPU_MUL: return u * v;
	case NPURT_CPU_DIV: return u / v;
	case NPURT_CPU_MAX: return u > v ? u : v;
	case NPURT_CPU_POW: return fl32_of(pow(u, v));
	default: return u < v ? u : v;
	}
}

/*
 * Runs of the innermost output dimension at a time (the odometer over the
 * outer ones), vectorized where both inputs step by 0 or 1 along it.
 */
static void binary_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *a = at(bases, &op->in[0]), *b = at(bases, &op->in[1]);
	float *y = at(bases, &op->out);
	unsigned int r = (unsigned int)op->p[0], k;
	uint64_t idx[NPURT_CPU_MAX_RANK] = { 0 }, n = op->out.count, i, j;
	uint64_t ia = 0, ib = 0, len = 1, sa = 0, sb = 0;
	int isa = npurt_cpu_step_isa_now();

	if (r) {
		len = (uint64_t)op->p[r];
		sa = (uint64_t)op->p[6 + r];
		sb = (uint64_t)op->p[12 + r];
		r--;
	}
	for (i = 0; i < n; i += len) {
		j = npurt_simd_binary(isa, op->opcode, a + ia, (unsigned int)sa,
				      b + ib, (unsigned int)sb, y + i, len);
		for (; j < len; j++)
			y[i + j] = binary_one(op->opcode, a[ia + j * sa],
					      b[ib + j * sb]);
		/* odometer over the outer output dims, innermost last */
		for (k = r; k-- > 0;) {
			if (++idx[k] < (uint64_t)op->p[1 + k]) {
				ia += (uint64_t)op->p[7 + k];
				ib += (uint64_t)op->p[13 + k];
				break;
			}
			ia -= (idx[k] - 1) * (uint64_t)op->p[7 + k];
			ib -= (idx[k] - 1) * (uint64_t)op->p[13 + k];
			idx[k] = 0;
		}
	}
}

static void softmax_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]);
	float *y = at(bases, &op->out);
	uint64_t outer = op->p[0], len = op->p[1], inner = op->p[2];
	uint64_t o, i, k;

	for (o = 0; o < outer; o++)
		for (i = 0; i < inner; i++) {
			const float *xs = x + o * len * inner + i;
			float *ys = y + o * len * inner + i;
			float mx = xs[0];
			double sum = 0;

			for (k = 1; k < len; k++)
				mx = xs[k * inner] > mx ? xs[k * inner] : mx;
			for (k = 0; k < len; k++)
				sum += exp((double)xs[k * inner] - mx);
			for (k = 0; k < len; k++)
				ys[k * inner] = op->opcode == NPURT_CPU_SOFTMAX ?
					(float)(exp((double)xs[k * inner] - mx) /
						sum) :
					(float)((double)xs[k * inner] - mx -
						log(sum));
		}
}

static void gemm_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *a0 = at(bases, &op->in[0]), *b0 = at(bases, &op->in[1]);
	const float *cc = at(bases, &op->in[2]);
	float *y = at(bases, &op->out);
	const int64_t *p = op->p;
	uint64_t m, n, k, bt, M = p[0], N = p[1], K = p[2];

	for (bt = 0; bt < (uint64_t)p[5]; bt++) {
		const float *a = a0 + bt * (uint64_t)p[6];
		const float *b = b0 + bt * (uint64_t)p[7];
		float *yb = y + bt * M * N;

		for (m = 0; m < M; m++)
			for (n = 0; n < N; n++) {
				double acc = 0;

				for (k = 0; k < K; k++)
					acc += (double)(p[3] ? a[k * M + m] :
							a[m * K + k]) *
					       (p[4] ? b[n * K + k] :
						b[k * N + n]);
				acc *= op->f[0];
				if (cc)
					acc += (double)op->f[1] *
					       cc[m * (uint64_t)p[8] +
						  n * (uint64_t)p[9]];
				yb[m * N + n] = (float)acc;
			}
	}
}

/* CONV/POOL geometry with the depth of 3-D steps (1 for 2-D). */
struct geo {
	int64_t D, KD, sd, pf, dd, OD;
};

static struct geo geo_of(const int64_t *p)
{
	struct geo g = { 1, 1, 1, 0, 1, 1 };

	if (p[19])
		g = (struct geo){ p[19], p[20], p[21], p[22], p[24], p[25] };
	return g;
}

static void conv_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]), *w = at(bases, &op->in[1]);
	const float *bias = at(bases, &op->in[2]);
	float *y = at(bases, &op->out);
	const int64_t *p = op->p;
	const struct geo g3 = geo_of(p);
	int64_t N = p[0], C = p[1], H = p[2], W = p[3], OC = p[4], KH = p[5];
	int64_t KW = p[6], sh = p[7], sw = p[8], pt = p[9], pl = p[10];
	int64_t dh = p[13], dw = p[14], G = p[15], OH = p[16], OW = p[17];
	int64_t D = g3.D, KD = g3.KD, OD = g3.OD;
	int64_t cg = C / G, og = OC / G, nb, oc, oz, oy, ox, ci, kz, ky, kx;

	for (nb = 0; nb < N; nb++)
	for (oc = 0; oc < OC; oc++)
	for (oz = 0; oz < OD; oz++)
	for (oy = 0; oy < OH; oy++)
	for (ox = 0; ox < OW; ox++) {
		int64_t g = oc / og;
		double acc = bias ? bias[oc] : 0;

		for (ci = 0; ci < cg; ci++)
		for (kz = 0; kz < KD; kz++) {
			int64_t iz = oz * g3.sd - g3.pf + kz * g3.dd;

			if (iz < 0 || iz >= D)
				continue;
			for (ky = 0; ky < KH; ky++) {
				int64_t iy = oy * sh - pt + ky * dh;

				if (iy < 0 || iy >= H)
					continue;
				for (kx = 0; kx < KW; kx++) {
					int64_t ix = ox * sw - pl + kx * dw;

					if (ix < 0 || ix >= W)
						continue;
					acc += (double)x[(((nb * C + g * cg + ci) *
							   D + iz) * H + iy) * W + ix] *
					       w[(((oc * cg + ci) * KD + kz) * KH +
						  ky) * KW + kx];
				}
			}
		}
		y[(((nb * OC + oc) * OD + oz) * OH + oy) * OW + ox] = (float)acc;
	}
}

static void pool_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]);
	float *y = at(bases, &op->out);
	const int64_t *p = op->p;
	const struct geo g3 = geo_of(p);
	int64_t NC = p[0] * p[1], H = p[2], W = p[3], KH = p[5], KW = p[6];
	int64_t sh = p[7], sw = p[8], pt = p[9], pl = p[10], pb = p[11];
	int64_t pr = p[12], dh = p[13], dw = p[14], OH = p[16], OW = p[17];
	int64_t D = g3.D, OD = g3.OD, pk = p[19] ? p[23] : 0;
	int64_t c, oz, oy, ox, kz, ky, kx;

	for (c = 0; c < NC; c++)
	for (oz = 0; oz < OD; oz++)
	for (oy = 0; oy < OH; oy++)
	for (ox = 0; ox < OW; ox++) {
		double acc = 0;
		float mx = -INFINITY, facc = 0;
		int64_t in = 0, padded = 0, div;

		for (kz = 0; kz < g3.KD; kz++) {
			int64_t iz = oz * g3.sd - g3.pf + kz * g3.dd;

			for (ky = 0; ky < KH; ky++) {
				int64_t iy = oy * sh - pt + ky * dh;

				for (kx = 0; kx < KW; kx++) {
					int64_t ix = ox * sw - pl + kx * dw;
					float v;

					if (iz >= -g3.pf && iz < D + pk &&
					    iy >= -pt && iy < H + pb &&
					    ix >= -pl && ix < W + pr)
						padded++;
					if (iz < 0 || iz >= D || iy < 0 ||
					    iy >= H || ix < 0 || ix >= W)
						continue;
					v = x[((c * D + iz) * H + iy) * W + ix];
					mx = v > mx ? v : mx;
					acc += v;
					facc += v;
					in++;
				}
			}
		}
		div = p[18] == 1 ? in : padded;
		div = div ? div : 1;
		/* p[26]: a binary32 sum in window order, one float division
		 * (onnxruntime's QLinearAveragePool) */
		y[((c * OD + oz) * OH + oy) * OW + ox] = p[18] == 0 ? mx :
			p[26] ? facc / (float)div :
			(float)(acc / (double)div);
	}
}

static void layer_norm_run(const struct npurt_cpu_op *op,
			   uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]), *scale = at(bases, &op->in[1]);
	const float *bias = at(bases, &op->in[2]);
	float *y = at(bases, &op->out);
	uint64_t o, k, n = (uint64_t)op->p[1];

	for (o = 0; o < (uint64_t)op->p[0]; o++) {
		const float *xr = x + o * n;
		float *yr = y + o * n;
		double mean = 0, var = 0, inv;

		for (k = 0; k < n; k++)
			mean += xr[k];
		mean /= (double)n;
		for (k = 0; k < n; k++)
			var += ((double)xr[k] - mean) * ((double)xr[k] - mean);
		var /= (double)n;
		inv = 1 / sqrt(var + op->f[0]);
		for (k = 0; k < n; k++)
			yr[k] = (float)(((double)xr[k] - mean) * inv * scale[k] +
					(bias ? bias[k] : 0));
	}
}

enum { R_MEAN, R_SUM, R_MAX, R_MIN, R_PROD, R_SUMSQ, R_L2, R_L1, R_LOGSUM,
       R_LOGSUMEXP };

/* One reduction of @len elements @stride apart. */
static float reduce_one(const float *x, uint64_t len, uint64_t stride,
			int64_t mode)
{
	double acc = mode == R_PROD ? 1 : 0, mx = x[0];
	uint64_t k;

	if (mode == R_MAX || mode == R_MIN || mode == R_LOGSUMEXP) {
		for (k = 1; k < len && !isnan(mx); k++) {
			double v = x[k * stride];

			if (isnan(v) || (mode == R_MIN ? v < mx : v > mx))
				mx = v;
		}
		if (mode != R_LOGSUMEXP)
			return (float)mx;
		if (!isfinite(mx))	/* +-inf or NaN: no shift */
			mx = 0;
	}
	for (k = 0; k < len; k++) {
		double v = x[k * stride];

		switch (mode) {
		case R_PROD: acc *= v; break;
		case R_SUMSQ: case R_L2: acc += v * v; break;
		case R_L1: acc += fabs(v); break;
		case R_LOGSUMEXP: acc += exp(v - mx); break;
		default: acc += v; break;
		}
	}
	switch (mode) {
	case R_MEAN: return (float)(acc / (double)len);
	case R_L2: return (float)sqrt(acc);
	case R_LOGSUM: return (float)log(acc);
	case R_LOGSUMEXP: return (float)(mx + log(acc));
	default: return (float)acc;
	}
}

static void reduce_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]);
	float *y = at(bases, &op->out);
	uint64_t outer = op->p[0], len = op->p[1], inner = op->p[2], o, i;

	for (o = 0; o < outer; o++)
		for (i = 0; i < inner; i++)
			y[o * inner + i] = reduce_one(x + o * len * inner + i,
						      len, inner, op->p[3]);
}

/*
 * RESIZE along one axis: the source coordinate of output index @o
 * (ONNX's reference, in double), then up to 4 taps (clamped indexes into
 * [0, in)) and their weights. Returns the number of taps.
 */
struct rs_axis {
	int64_t in;		/* input length */
	double scale;		/* output / input */
	double len;		/* scale x in: ONNX's length_resized */
};

static int resize_taps(const struct npurt_cpu_op *op, const struct rs_axis *a,
		       int64_t o, int64_t *idx, double *w)
{
	double x = (double)o, xo, fl, r, sum;
	int64_t i0;
	int n, k;

	switch (op->p[7]) {
	case 1: xo = x / a->scale; break;
	case 2: xo = a->len == 1 ? 0 : x * (double)(a->in - 1) / (a->len - 1);
		break;
	case 3: xo = a->len == 1 ? -0.5 : (x + 0.5) / a->scale - 0.5; break;
	case 4: xo = (x + 0.5) / a->scale; break;
	default: xo = (x + 0.5) / a->scale - 0.5; break;
	}
	/* 8 or more outside the input, every tap is clamped to the edge (or
	 * excluded): clamping the coordinate there keeps the result and
	 * keeps floor() in int64 range */
	xo = fmax(-8.0, fmin(xo, (double)a->in + 8));
	fl = floor(xo);
	r = xo - fl;
	i0 = (int64_t)fl;
	if (op->p[6] == 0) {
		if (r != 0 && (op->p[8] == 3 ||
			       (op->p[8] == 0 && r > 0.5) ||
			       (op->p[8] == 1 && r >= 0.5)))
			i0++;
		idx[0] = i0;
		w[0] = 1;
		n = 1;
	} else if (op->p[6] == 1) {
		idx[0] = i0;
		idx[1] = i0 + 1;
		w[0] = 1 - r;
		w[1] = r;
		n = 2;
	} else {
		double A = op->f[2], s = r + 1, t = 1 - r, u = 2 - r;

		for (k = 0; k < 4; k++)
			idx[k] = i0 - 1 + k;
		w[0] = ((A * s - 5 * A) * s + 8 * A) * s - 4 * A;
		w[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
		w[2] = ((A + 2) * t - (A + 3)) * t * t + 1;
		w[3] = ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
		n = 4;
		if (op->p[9]) {
			for (sum = 0, k = 0; k < 4; k++) {
				if (idx[k] < 0 || idx[k] >= a->in)
					w[k] = 0;
				sum += w[k];
			}
			for (k = 0; k < 4; k++)
				w[k] /= sum ? sum : 1;
		}
	}
	for (k = 0; k < n; k++)
		idx[k] = idx[k] < 0 ? 0 : idx[k] >= a->in ? a->in - 1 : idx[k];
	return n;
}

static struct rs_axis resize_axis(int64_t in, int64_t out, float f)
{
	struct rs_axis a = { in, f > 0 ? f : (double)out / (double)in, 0 };

	a.len = a.scale * (double)in;
	return a;
}

#define RS_CHUNK	64	/* output columns whose taps are computed at once */

static void resize_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const float *x = at(bases, &op->in[0]);
	float *y = at(bases, &op->out);
	const int64_t *p = op->p;
	int64_t NC = p[0] * p[1], H = p[2], W = p[3], OH = p[4], OW = p[5];
	const struct rs_axis ah = resize_axis(H, OH, op->f[0]);
	const struct rs_axis aw = resize_axis(W, OW, op->f[1]);
	int64_t x0, xn, c, oy, ox, iy[4], ix[RS_CHUNK][4];
	double wy[4], wx[RS_CHUNK][4];
	int ny, nx = 0, i, j;

	for (x0 = 0; x0 < OW; x0 += RS_CHUNK) {
		xn = OW - x0 < RS_CHUNK ? OW - x0 : RS_CHUNK;
		for (ox = 0; ox < xn; ox++)
			nx = resize_taps(op, &aw, x0 + ox, ix[ox], wx[ox]);
		for (c = 0; c < NC; c++)
		for (oy = 0; oy < OH; oy++) {
			const float *xc = x + c * H * W;
			float *yr = y + (c * OH + oy) * OW + x0;

			ny = resize_taps(op, &ah, oy, iy, wy);
			for (ox = 0; ox < xn; ox++) {
				double acc = 0;

				if (p[6] == 0) {
					yr[ox] = xc[iy[0] * W + ix[ox][0]];
					continue;
				}
				/* along H, then W, as ONNX's reference */
				for (j = 0; j < nx; j++) {
					double col = 0;

					for (i = 0; i < ny; i++)
						col += wy[i] *
						       xc[iy[i] * W + ix[ox][j]];
					acc += wx[ox][j] * col;
				}
				yr[ox] = (float)acc;
			}
		}
	}
}

/*
 * QLINEAR_SOFTMAX as onnxruntime's QLinearSoftmax computes it (MLAS's
 * lookup kernel for x86 AVX2), so that results equal the reference runtime
 * byte for byte: a 256-entry float table of exp((i - 255 + b) * sx), b =
 * max(0, ln(FLT_MAX / len) - 5) / sx, indexed by x - max(row) + 255; the
 * row sum in float over eight lanes of blocks of 16 elements, then the
 * remainder in order, then the lanes; y = RNE((e * fl32(1 / sum) *
 * floor(1 / sy)) + zy), saturated. (MLAS wraps an int8 result of 128 in a
 * row's last len % 16 elements; here it saturates to 127 like the others.)
 */
void npurt_cpu_qsm_table(float t[256], float sx, uint64_t len, bool sgn)
{
	double b = log((double)(FLT_MAX / (float)len));
	int i;

	b = (b - 5 > 0 ? b - 5 : 0) / (double)sx;
	for (i = 0; i < 256; i++)
		t[(uint8_t)(sgn ? i - 128 : i)] =
			(float)exp(((double)i - 255 + b) * (double)sx);
}

static void qsoftmax_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	const void *x = at(bases, &op->in[0]);
	void *y = at(bases, &op->out);
	bool sgn = op->in[0].dtype == NPURT_DTYPE_INT8;
	uint64_t outer = op->p[0], len = op->p[1], inner = op->p[2];
	float yzp = (float)op->p[4];
	float ys = floorf(1.0f / op->f[1]);
	uint64_t o, i, k, tail = len - len % 16;
	float t[256];

	npurt_cpu_qsm_table(t, op->f[0], len, sgn);
/* the table entry of element k of the row at @base */
#define QSM_IDX(k)	(sgn ? (uint8_t)(((const int8_t *)x)[base + (k) * inner] + adj) \
			     : (uint8_t)(((const uint8_t *)x)[base + (k) * inner] + adj))
	for (o = 0; o < outer; o++)
		for (i = 0; i < inner; i++) {
			uint64_t base = o * len * inner + i;
			float lane[8] = { 0 }, total = 0, scale;
			int32_t mx = qload(x, op->in[0].dtype, base), adj;

			for (k = 1; k < len; k++) {
				int32_t v = qload(x, op->in[0].dtype,
						  base + k * inner);

				mx = v > mx ? v : mx;
			}
			adj = (sgn ? 127 : 255) - mx;
			for (k = 0; k < tail; k += 16) {
				int j;

				for (j = 0; j < 8; j++)
					lane[j] += t[QSM_IDX(k + j)];
				for (j = 0; j < 8; j++)
					lane[j] += t[QSM_IDX(k + 8 + j)];
			}
			for (k = tail; k < len; k++)
				total += t[QSM_IDX(k)];
			for (k = 0; k < 8; k++)
				total += lane[k];
			scale = (1.0f / total) * ys;
			for (k = 0; k < len; k++) {
				float v = t[QSM_IDX(k)] * scale;
				int32_t q;

				v = v + yzp;
				q = (int32_t)nearbyintf(v);
				if (op->out.dtype == NPURT_DTYPE_INT8) {
					q = q < -128 ? -128 : q > 127 ? 127 : q;
					((int8_t *)y)[base + k * inner] =
						(int8_t)q;
				} else {
					q = q < 0 ? 0 : q > 255 ? 255 : q;
					((uint8_t *)y)[base + k * inner] =
						(uint8_t)q;
				}
			}
		}
#undef QSM_IDX
}

void npurt_cpu_op_run(const struct npurt_cpu_op *op, uint8_t *const *bases)
{
	switch (op->opcode) {
	case NPURT_CPU_QUANTIZE:
		quant_run(op, bases, true);
		break;
	case NPURT_CPU_DEQUANTIZE:
		quant_run(op, bases, false);
		break;
	case NPURT_CPU_ADD: case NPURT_CPU_SUB: case NPURT_CPU_MUL:
	case NPURT_CPU_DIV: case NPURT_CPU_MAX: case NPURT_CPU_MIN:
	case NPURT_CPU_POW:
		binary_run(op, bases);
		break;
	case NPURT_CPU_LAYER_NORM:
		layer_norm_run(op, bases);
		break;
	case NPURT_CPU_REDUCE:
		reduce_run(op, bases);
		break;
	case NPURT_CPU_RESIZE:
		resize_run(op, bases);
		break;
	case NPURT_CPU_QLINEAR_SOFTMAX:
		qsoftmax_run(op, bases);
		break;
	case NPURT_CPU_SOFTMAX: case NPURT_CPU_LOG_SOFTMAX:
		softmax_run(op, bases);
		break;
	case NPURT_CPU_GEMM:
		gemm_run(op, bases);
		break;
	case NPURT_CPU_CONV:
		if (op->p[26])
			npurt_cpu_conv_sgemm(op, bases);
		else
			conv_run(op, bases);
		break;
	case NPURT_CPU_POOL:
		pool_run(op, bases);
		break;
	default:
		unary_run(op, bases);
		break;
	}
}

/* Whether broadcasting step @op reads both inputs in the output's order. */
static bool binary_flat(const struct npurt_cpu_op *op)
{
	int64_t r = op->p[0], k, sa = 1, sb = 1;

	if (op->in[0].count != op->out.count ||
	    op->in[1].count != op->out.count)
		return false;
	for (k = r; k >= 1; k--) {
		if (op->p[k] == 1)
			continue;
		if (op->p[6 + k] != sa || op->p[12 + k] != sb)
			return false;
		sa *= op->p[k];
		sb *= op->p[k];
	}
	return true;
}

uint64_t npurt_cpu_step_elems(const struct npurt_cpu_op *op)
{
	switch (op->opcode) {
	case NPURT_CPU_QUANTIZE: case NPURT_CPU_DEQUANTIZE:
		return op->p[0] ? 0 : op->out.count;
	case NPURT_CPU_ADD: case NPURT_CPU_SUB: case NPURT_CPU_MUL:
	case NPURT_CPU_DIV: case NPURT_CPU_MAX: case NPURT_CPU_MIN:
	case NPURT_CPU_POW:
		return binary_flat(op) ? op->out.count : 0;
	case NPURT_CPU_RELU: case NPURT_CPU_SIGMOID: case NPURT_CPU_TANH:
	case NPURT_CPU_EXP: case NPURT_CPU_ABS: case NPURT_CPU_NEG:
	case NPURT_CPU_SQRT: case NPURT_CPU_CLIP: case NPURT_CPU_LEAKY_RELU:
	case NPURT_CPU_HARD_SIGMOID: case NPURT_CPU_HARD_SWISH:
	case NPURT_CPU_ERF: case NPURT_CPU_GELU:
		return op->out.count;
	default:
		return 0;
	}
}

void npurt_cpu_step_elems_range(const struct npurt_cpu_op *op,
				uint8_t *const *bases, uint64_t begin,
				uint64_t end)
{
	struct npurt_cpu_op o = *op;
	unsigned int k;

	/* the operands of the output's count, moved to element @begin */
	for (k = 0; k <= NPURT_CPU_MAX_IN; k++) {
		struct npurt_cpu_ref *r = k < NPURT_CPU_MAX_IN ? &o.in[k] :
					  &o.out;

		if (r->slot == NPURT_CPU_NONE || r->count != op->out.count)
			continue;
		r->offset += begin *
			     npurt_dtype_size((enum npurt_dtype)r->dtype);
		r->count = end - begin;
	}
	if ((o.opcode >= NPURT_CPU_ADD && o.opcode <= NPURT_CPU_MIN) ||
	    o.opcode == NPURT_CPU_POW) {
		/* binary_flat(): the same elements as one run of rank 1 */
		memset(o.p, 0, sizeof(o.p));
		o.p[0] = 1;
		o.p[1] = (int64_t)(end - begin);
		o.p[7] = o.p[13] = 1;
	}
	npurt_cpu_op_run(&o, bases);
}
