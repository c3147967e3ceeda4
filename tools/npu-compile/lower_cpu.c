// SPDX-License-Identifier: MIT
/*
 * lower_cpu.c - the CPU fallback: float operators as CPU steps of the
 * program (format 1.1, struct npurt_cpu_op in npurt.h), run by the runtime
 * on the host between NPU jobs. Quantized operands are dequantized and
 * results quantized around the step (cpu_in()/cpu_out() in lower.c), so a
 * quantized operator the NPU refuses still runs, in float, as onnxruntime
 * runs it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "npuc_ops.h"

int cpu_quantize(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_QUANTIZE);
	struct npuc_tensor *in, *o = out_t(x->g, n, 0);
	struct loc l;
	int ret;

	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])) ||
	    (ret = cpu_qparams(x, &o->q, o, &op)) ||
	    (ret = alloc_out(x, o, LAY_RM, &l)))
		return ret;
	op.out = cpu_ref(l, o->elem, npuc_tensor_elements(o));
	return emit_cpu(x, &op);
}

int cpu_dequantize(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_DEQUANTIZE);
	struct npuc_tensor *in = in_t(x->g, n, 0), *o = out_t(x->g, n, 0);
	struct loc l, lo;
	int ret;

	if (!in || !o || !in->q.elem)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	if ((ret = get_rm(x, in, &l)))
		return ret;
	op.in[0] = cpu_ref(l, in->elem, npuc_tensor_elements(in));
	if ((ret = cpu_qparams(x, &in->q, in, &op)) ||
	    (ret = alloc_out(x, o, LAY_RM, &lo)))
		return ret;
	op.out = cpu_ref(lo, NPUC_FLOAT, npuc_tensor_elements(o));
	return emit_cpu(x, &op);
}

static uint32_t unary_opcode(const struct npuc_node *n)
{
	static const struct {
		int id;
		uint32_t code;
	} map[] = {
		{ OP_RELU, NPURT_CPU_RELU }, { OP_SIGMOID, NPURT_CPU_SIGMOID },
		{ OP_TANH, NPURT_CPU_TANH }, { OP_EXP, NPURT_CPU_EXP },
		{ OP_ABS, NPURT_CPU_ABS }, { OP_NEG, NPURT_CPU_NEG },
		{ OP_SQRT, NPURT_CPU_SQRT }, { OP_CLIP, NPURT_CPU_CLIP },
		{ OP_LEAKYRELU, NPURT_CPU_LEAKY_RELU },
		{ OP_HARDSIGMOID, NPURT_CPU_HARD_SIGMOID },
		{ OP_HARDSWISH, NPURT_CPU_HARD_SWISH },
		{ OP_ERF, NPURT_CPU_ERF }, { OP_GELU, NPURT_CPU_GELU },
		{ OP_ADD, NPURT_CPU_ADD }, { OP_SUB, NPURT_CPU_SUB },
		{ OP_MUL, NPURT_CPU_MUL }, { OP_DIV, NPURT_CPU_DIV },
		{ OP_MAX, NPURT_CPU_MAX }, { OP_MIN, NPURT_CPU_MIN },
		{ OP_POW, NPURT_CPU_POW },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (n->def == &npuc_ops[map[i].id])
			return map[i].code;
	return 0;
}

int cpu_unary(struct lctx *x, struct npuc_node *n)
{
	uint32_t code = unary_opcode(n);
	struct npurt_cpu_op op = cpu_op_init(code);
	struct npuc_tensor *in, *b;
	char ap[16];
	double v;
	int ret;

	if (!code)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): no CPU step",
				n->name, n->op);
	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	switch (code) {
	case NPURT_CPU_LEAKY_RELU:
		op.f[0] = (float)attr_f(n, "alpha", 0.01);
		break;
	case NPURT_CPU_HARD_SIGMOID:
		op.f[0] = (float)attr_f(n, "alpha", 0.2);
		op.f[1] = (float)attr_f(n, "beta", 0.5);
		break;
	case NPURT_CPU_GELU:
		attr_s(n, "approximate", ap, sizeof(ap), "none");
		op.p[0] = !strcmp(ap, "tanh");
		break;
	case NPURT_CPU_CLIP:
		op.f[0] = -INFINITY;
		op.f[1] = INFINITY;
		if ((b = in_t(x->g, n, 1))) {
			if ((ret = cscalar(n, b, "min", &v)))
				return ret;
			op.f[0] = (float)(b->q.elem ? quant_real(&b->q, 0, v) : v);
		}
		if ((b = in_t(x->g, n, 2))) {
			if ((ret = cscalar(n, b, "max", &v)))
				return ret;
			op.f[1] = (float)(b->q.elem ? quant_real(&b->q, 0, v) : v);
		}
		if (attr_has(n, "min") || attr_has(n, "max"))
			return npuc_err(-EOPNOTSUPP, "node \"%s\": Clip-6 "
					"attributes", n->name);
		break;
	}
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

/* Row-major element strides of @t aligned to rank @r output dims @od (0 on
 * broadcast axes). */
static void bcast_strides(const struct npuc_tensor *t, int r, int64_t *str)
{
	int64_t s = 1;
	int k, off = r - t->ndim;

	for (k = r - 1; k >= 0; k--) {
		int64_t d = k >= off ? t->dims[k - off] : 1;

		str[k] = d == 1 ? 0 : s;
		s *= d;
	}
}

int cpu_binary(struct lctx *x, struct npuc_node *n)
{
	uint32_t code = unary_opcode(n);
	struct npurt_cpu_op op = cpu_op_init(code);
	struct npuc_tensor *a, *b, *o = out_t(x->g, n, 0);
	int r, k, ret;

	if (n->nin != 2)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %d inputs; the "
				"CPU step takes 2", n->name, n->op, n->nin);
	if ((ret = cpu_in(x, n, 0, &a, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &b, &op.in[1])))
		return ret;
	r = o->ndim;
	if (r > NPURT_CPU_MAX_RANK)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): rank %d above "
				"%d", n->name, n->op, r, NPURT_CPU_MAX_RANK);
	bcast_strides(a, r, &op.p[7]);
	bcast_strides(b, r, &op.p[13]);
	if (!r) {	/* scalars */
		op.p[0] = 1;
		op.p[1] = 1;
	} else {
		op.p[0] = r;
		for (k = 0; k < r; k++)
			op.p[1 + k] = o->dims[k];
	}
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

int cpu_softmax(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(x->g, n, 0), *o = out_t(x->g, n, 0);
	int64_t axis = attr_i(n, "axis", -1), outer = 1, len = 1, inner = 1;
	int64_t opset = attr_i(n, "opset", x->g->opset);
	bool logsm = IS_OP(n, LOGSOFTMAX);
	struct npurt_cpu_op op;
	int k, ret;

	if (!in || !o)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	if (opset < 13 && !attr_has(n, "axis"))
		axis = 1;
	if (axis < 0)
		axis += in->ndim;
	for (k = 0; k < in->ndim; k++) {
		if (k < axis)
			outer *= in->dims[k];
		else if (k == axis || opset < 13)
			len *= in->dims[k];	/* before 13: coerced to 2-D */
		else
			inner *= in->dims[k];
	}
	if (!logsm && is_q8(in->elem) && is_q8(o->elem) && in->q.elem &&
	    o->q.elem && quant_per_tensor(&in->q) && quant_per_tensor(&o->q)) {
		struct loc li, lo;

		op = cpu_op_init(NPURT_CPU_QLINEAR_SOFTMAX);
		if ((ret = get_rm(x, in, &li)) ||
		    (ret = alloc_out(x, o, LAY_RM, &lo)))
			return ret;
		op.in[0] = cpu_ref(li, in->elem, npuc_tensor_elements(in));
		op.out = cpu_ref(lo, o->elem, npuc_tensor_elements(o));
		op.p[0] = outer;
		op.p[1] = len;
		op.p[2] = inner;
		op.p[3] = in->q.zp[0];
		op.p[4] = o->q.zp[0];
		op.f[0] = (float)in->q.scale[0];
		op.f[1] = (float)o->q.scale[0];
		return emit_cpu(x, &op);
	}
	op = cpu_op_init(logsm ? NPURT_CPU_LOG_SOFTMAX : NPURT_CPU_SOFTMAX);
	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	op.p[0] = outer;
	op.p[1] = len;
	op.p[2] = inner;
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

int cpu_gemm(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_GEMM);
	struct npuc_tensor *a, *b, *ct;
	int64_t ta = attr_i(n, "transA", 0), tb = attr_i(n, "transB", 0);
	int64_t m, k, nn, cs[2];
	int ret;

	if ((ret = cpu_in(x, n, 0, &a, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &b, &op.in[1])))
		return ret;
	m = ta ? a->dims[1] : a->dims[0];
	k = ta ? a->dims[0] : a->dims[1];
	nn = tb ? b->dims[0] : b->dims[1];
	op.p[0] = m;
	op.p[1] = nn;
	op.p[2] = k;
	op.p[3] = ta ? 1 : 0;
	op.p[4] = tb ? 1 : 0;
	op.p[5] = 1;
	op.f[0] = (float)attr_f(n, "alpha", 1.0);
	op.f[1] = (float)attr_f(n, "beta", 1.0);
	if (in_t(x->g, n, 2)) {
		if ((ret = cpu_in(x, n, 2, &ct, &op.in[2])))
			return ret;
		if (ct->ndim > 2)
			return npuc_err(-EINVAL, "node \"%s\" (Gemm): C of rank "
					"%d", n->name, ct->ndim);
		bcast_strides(ct, 2, cs);
		op.p[8] = cs[0];
		op.p[9] = cs[1];
	}
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

int cpu_matmul(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_GEMM);
	struct npuc_tensor *a, *b, *o = out_t(x->g, n, 0);
	int64_t m, k, nn, batch = 1, od[NPUC_MAX_DIMS];
	int ra, rb, r, i, ret;
	bool a_b = false, b_b = false, mixed = false;

	if ((ret = cpu_in(x, n, 0, &a, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &b, &op.in[1])))
		return ret;
	ra = a->ndim;
	rb = b->ndim;
	m = ra >= 2 ? a->dims[ra - 2] : 1;
	k = a->dims[ra - 1];
	nn = rb >= 2 ? b->dims[rb - 1] : 1;
	ra = ra > 2 ? ra - 2 : 0;
	rb = rb > 2 ? rb - 2 : 0;
	r = ra > rb ? ra : rb;
	for (i = 0; i < r; i++) {
		int64_t da = i >= r - ra ? a->dims[i - (r - ra)] : 1;
		int64_t db = i >= r - rb ? b->dims[i - (r - rb)] : 1;

		od[i] = da > db ? da : db;
		batch *= od[i];
		a_b |= da > 1;
		b_b |= db > 1;
	}
	for (i = 0; i < r; i++) {
		int64_t da = i >= r - ra ? a->dims[i - (r - ra)] : 1;
		int64_t db = i >= r - rb ? b->dims[i - (r - rb)] : 1;

		mixed |= (a_b && da != od[i]) || (b_b && db != od[i]);
	}
	op.p[0] = m;
	op.p[1] = nn;
	op.p[2] = k;
	op.p[5] = batch;
	op.p[6] = a_b ? m * k : 0;
	op.p[7] = b_b ? k * nn : 0;
	op.f[0] = 1.0f;
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	if (!mixed)
		return emit_cpu(x, &op);
	/* batch dims broadcast both ways: one GEMM step per output matrix */
	if (batch > 4096)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (MatMul): %lld "
				"matrices with two-way batch broadcasting",
				n->name, (long long)batch);
	{
		int64_t sa[NPUC_MAX_DIMS], sb[NPUC_MAX_DIMS], as = 1, bs = 1;
		int64_t bi, rem, ia, ib, d;

		for (i = r - 1; i >= 0; i--) {
			int64_t da = i >= r - ra ? a->dims[i - (r - ra)] : 1;
			int64_t db = i >= r - rb ? b->dims[i - (r - rb)] : 1;

			sa[i] = da == 1 ? 0 : as;
			sb[i] = db == 1 ? 0 : bs;
			as *= da;
			bs *= db;
		}
		for (bi = 0; bi < batch && !ret; bi++) {
			struct npurt_cpu_op one = op;

			for (rem = bi, ia = ib = 0, i = r - 1; i >= 0; i--) {
				d = rem % od[i];
				rem /= od[i];
				ia += d * sa[i];
				ib += d * sb[i];
			}
			one.p[5] = 1;
			one.p[6] = one.p[7] = 0;
			one.in[0].offset += (uint64_t)(ia * m * k) * 4;
			one.in[0].count = (uint64_t)(m * k);
			one.in[1].offset += (uint64_t)(ib * k * nn) * 4;
			one.in[1].count = (uint64_t)(k * nn);
			one.out.offset += (uint64_t)(bi * m * nn) * 4;
			one.out.count = (uint64_t)(m * nn);
			ret = emit_cpu(x, &one);
		}
	}
	(void)o;
	return ret;
}

static void geo_params(const struct wgeo *g, struct npurt_cpu_op *op)
{
	int64_t v[3][7];
	int j, k;

	/* the step's axes are depth, height, width; a 1-D or 2-D node
	 * uses the last ones */
	for (k = 0; k < 3; k++) {
		v[k][0] = 1; v[k][1] = 1; v[k][2] = 1; v[k][3] = 0;
		v[k][4] = 0; v[k][5] = 1; v[k][6] = 1;
	}
	for (j = 0; j < g->sp; j++) {
		k = 3 - g->sp + j;
		v[k][0] = g->in[j]; v[k][1] = g->k[j]; v[k][2] = g->s[j];
		v[k][3] = g->pb[j]; v[k][4] = g->pe[j]; v[k][5] = g->d[j];
		v[k][6] = g->o[j];
	}
	op->p[2] = v[1][0];
	op->p[3] = v[2][0];
	op->p[5] = v[1][1];
	op->p[6] = v[2][1];
	op->p[7] = v[1][2];
	op->p[8] = v[2][2];
	op->p[9] = v[1][3];
	op->p[10] = v[2][3];
	op->p[11] = v[1][4];
	op->p[12] = v[2][4];
	op->p[13] = v[1][5];
	op->p[14] = v[2][5];
	op->p[16] = v[1][6];
	op->p[17] = v[2][6];
	if (g->sp == 3) {
		op->p[19] = v[0][0];
		op->p[20] = v[0][1];
		op->p[21] = v[0][2];
		op->p[22] = v[0][3];
		op->p[23] = v[0][4];
		op->p[24] = v[0][5];
		op->p[25] = v[0][6];
	}
}

int cpu_conv(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_CONV);
	struct npuc_tensor *in, *w, *bt;
	int64_t ks[3];
	struct wgeo geo;
	int ret, j;

	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &w, &op.in[1])))
		return ret;
	if (in_t(x->g, n, 2) && (ret = cpu_in(x, n, 2, &bt, &op.in[2])))
		return ret;
	for (j = 0; j < in->ndim - 2; j++)
		ks[j] = w->dims[2 + j];
	if ((ret = win_geometry(n, in, ks, false, &geo)))
		return ret;
	if (attr_has(n, "rm_act_lo") || attr_has(n, "rm_act_hi"))
		return npuc_err(-EOPNOTSUPP, "node \"%s\": a fused output clamp "
				"on the CPU", n->name);
	op.p[0] = in->dims[0];
	op.p[1] = in->dims[1];
	op.p[4] = w->dims[0];
	op.p[15] = attr_i(n, "group", 1);
	geo_params(&geo, &op);
	/* 1-D and 2-D: binary32 in onnxruntime's (MLAS SGEMM) order */
	op.p[26] = !op.p[19];
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

int cpu_pool(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_POOL);
	struct npuc_tensor *in;
	bool global = IS_OP(n, GLOBALAVERAGEPOOL) || IS_OP(n, GLOBALMAXPOOL);
	bool avg = IS_OP(n, GLOBALAVERAGEPOOL) || IS_OP(n, AVERAGEPOOL);
	int64_t ks[3] = { 1, 1, 1 };
	struct wgeo geo;
	int ret, j;

	if (n->nout > 1 && n->out[1] >= 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the Indices "
				"output is not supported", n->name, n->op);
	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	if (global)
		for (j = 2; j < in->ndim; j++)
			ks[j - 2] = in->dims[j];
	else if (attr_ints(n, "kernel_shape", ks, 3) != in->ndim - 2)
		return npuc_err(-EINVAL, "node \"%s\" (%s): kernel_shape",
				n->name, n->op);
	if ((ret = win_geometry(n, in, ks, !global, &geo)))
		return ret;
	op.p[0] = in->dims[0];
	op.p[1] = in->dims[1];
	op.p[18] = !avg ? 0 : attr_i(n, "count_include_pad", 0) ? 2 : 1;
	geo_params(&geo, &op);
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

int cpu_layernorm(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_LAYER_NORM);
	struct npuc_tensor *in, *s, *b;
	int64_t axis = attr_i(n, "axis", -1), outer = 1, len = 1;
	int k, ret;

	if ((n->nout > 1 && n->out[1] >= 0) || (n->nout > 2 && n->out[2] >= 0))
		return npuc_err(-EOPNOTSUPP, "node \"%s\": the Mean and "
				"InvStdDev outputs", n->name);
	if (attr_i(n, "stash_type", 1) != 1)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": stash_type", n->name);
	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &s, &op.in[1])))
		return ret;
	if (in_t(x->g, n, 2) && (ret = cpu_in(x, n, 2, &b, &op.in[2])))
		return ret;
	if (axis < 0)
		axis += in->ndim;
	for (k = 0; k < in->ndim; k++) {
		if (k < axis)
			outer *= in->dims[k];
		else
			len *= in->dims[k];
	}
	if ((int64_t)npuc_tensor_elements(s) != len ||
	    (in_t(x->g, n, 2) && (int64_t)npuc_tensor_elements(b) != len))
		return npuc_err(-EOPNOTSUPP, "node \"%s\": a scale or bias that "
				"is broadcast", n->name);
	op.p[0] = outer;
	op.p[1] = len;
	op.f[0] = (float)attr_f(n, "epsilon", 1e-5);
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

int cpu_reduce(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_REDUCE);
	struct npuc_tensor *in;
	int64_t outer = 1, len = 1, inner = 1;
	uint32_t mask;
	int k, first = -1, last = -1, ret;

	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])) ||
	    (ret = reduce_axes(x->g, n, in->ndim, &mask)))
		return ret;
	for (k = 0; k < in->ndim; k++) {
		if (!(mask & (1u << k)) || in->dims[k] == 1)
			continue;
		if (first < 0)
			first = k;
		last = k;
	}
	for (k = 0; k < in->ndim; k++) {
		if (first < 0 || k < first)
			outer *= in->dims[k];
		else if (k <= last) {
			if (!(mask & (1u << k)) && in->dims[k] != 1)
				return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): "
						"reduced axes that are not "
						"contiguous", n->name, n->op);
			len *= in->dims[k];
		} else {
			inner *= in->dims[k];
		}
	}
	op.p[0] = outer;
	op.p[1] = len;
	op.p[2] = inner;
	op.p[3] = IS_OP(n, REDUCEMEAN) ? 0 : IS_OP(n, REDUCESUM) ? 1 :
		  IS_OP(n, REDUCEMAX) ? 2 : 3;
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}

static int mode_index(const char *v, const char *const *names, int cnt)
{
	int i;

	for (i = 0; i < cnt; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

int cpu_resize(struct lctx *x, struct npuc_node *n)
{
	static const char *const modes[] = { "nearest", "linear", "cubic" };
	static const char *const ctms[] = { "half_pixel", "asymmetric",
		"align_corners", "pytorch_half_pixel",
		"tf_half_pixel_for_nearest" };
	static const char *const nms[] = { "round_prefer_floor",
		"round_prefer_ceil", "floor", "ceil" };
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_RESIZE);
	struct npuc_tensor *in, *o = out_t(x->g, n, 0), *sc = in_t(x->g, n, 2);
	char mode[24], ctm[40], nm[32];
	int m, c, nmi, ret;

	attr_s(n, "mode", mode, sizeof(mode), "nearest");
	attr_s(n, "coordinate_transformation_mode", ctm, sizeof(ctm),
	       "half_pixel");
	attr_s(n, "nearest_mode", nm, sizeof(nm), "round_prefer_floor");
	m = mode_index(mode, modes, 3);
	c = mode_index(ctm, ctms, 5);
	nmi = mode_index(nm, nms, 4);
	if (m < 0 || c < 0 || nmi < 0 || attr_i(n, "antialias", 0) ||
	    (attr_i(n, "exclude_outside", 0) && m != 2))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (Resize): mode %s, "
				"coordinates %s, nearest %s", n->name, mode,
				ctm, nm);
	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	if (in->ndim != 4 || o->dims[0] != in->dims[0] ||
	    o->dims[1] != in->dims[1])
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (Resize): only H and "
				"W of a 4-D tensor", n->name);
	op.p[0] = in->dims[0];
	op.p[1] = in->dims[1];
	op.p[2] = in->dims[2];
	op.p[3] = in->dims[3];
	op.p[4] = o->dims[2];
	op.p[5] = o->dims[3];
	op.p[6] = m;
	op.p[7] = c;
	op.p[8] = m == 0 ? nmi : 0;
	op.p[9] = m == 2 ? attr_i(n, "exclude_outside", 0) : 0;
	if (sc && sc->data && npuc_tensor_elements(sc) == 4) {
		op.f[0] = (float)cval(sc, 2);
		op.f[1] = (float)cval(sc, 3);
	}
	if (m == 2)
		op.f[2] = (float)attr_f(n, "cubic_coeff_a", -0.75);
	if ((ret = cpu_out(x, n, 0, &op.out)))
		return ret;
	return emit_cpu(x, &op);
}
