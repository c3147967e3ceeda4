// SPDX-License-Identifier: MIT
/*
 * lower_mm.c - quantized Conv, MatMul and Gemm on the NPU: CONV2D in
 * NHWC and GEMM, with the requantization, bias and output clamp in the
 * command's epilogue.
 *
 * After prepare and qdq.c these nodes read integer tensors that carry
 * their quantization, whatever form the model used: the input x (scale
 * sx, zero point zx), the weights w (sw[c], zw[c] per output channel or
 * per tensor), an int32 bias in units sb[c] (or a float one) and the
 * output y (sy, zy). The accumulator's unit is sx * sw[c], so the
 * epilogue multiplies by sx * sw[c] / sy (quant.c makes {mult, shift}),
 * the bias becomes round(b * sb[c] / (sx * sw[c])), and a Relu or Clip
 * fused by qdq.c clamps at the quantized bounds.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "npuc_ops.h"

int epilogue(struct lctx *x, uint64_t nch, const struct epi *e,
	     uint32_t *flags, struct rm_npu_requant *rq,
	     struct rm_npu_ref *bias, struct rm_npu_ref *quant)
{
	struct loc l;
	int32_t *pairs;
	uint64_t i;
	bool same = true;
	int ret;

	*flags = 0;
	memset(rq, 0, sizeof(*rq));
	if (e->bias) {
		ret = weights(x, e->bias, 4 * nch, &l);
		if (ret)
			return ret;
		bias->bo = l.slot;
		bias->offset = l.off;
		*flags |= RM_NPU_MM_BIAS;
	}
	if (e->out_elem == NPUC_INT32)
		return 0;
	rq->zero_point = e->zp;
	rq->act_min = e->act_min;
	rq->act_max = e->act_max;
	for (i = 0; i < nch; i++) {
		float f = (float)e->rmult[i];

		/* the contract's binary32 rescale bounds */
		if (!(f >= 0x1p-100f && f < 0x1p32f))
			return npuc_err(-EOPNOTSUPP, "requantization scale %g "
					"outside [2^-100, 2^32)", (double)f);
		same = same && e->rmult[i] == e->rmult[0];
	}
	/* binary32 scales, as onnxruntime's requantization */
	*flags |= RM_NPU_MM_F32_SCALE;
	if (same) {
		rq->mult = f32_bits((float)e->rmult[0]);
		return 0;
	}
	pairs = calloc(2 * nch, 4);
	if (!pairs)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < nch; i++)
		pairs[2 * i] = f32_bits((float)e->rmult[i]);
	ret = weights(x, pairs, 8 * nch, &l);
	free(pairs);
	quant->bo = l.slot;
	quant->offset = l.off;
	*flags |= RM_NPU_MM_PER_CHANNEL;
	return ret;
}

/* ---- operands -------------------------------------------------------------------- */

static double qs(const struct npuc_quant *q, uint64_t c)
{
	return q->scale[q->n == 1 ? 0 : c];
}

static int32_t qz(const struct npuc_quant *q, uint64_t c)
{
	return q->zp[q->n == 1 ? 0 : c];
}

/* A runtime activation: int8/uint8, quantized per tensor. */
static int need_act(const struct npuc_node *n, const struct npuc_tensor *t)
{
	if (!t)
		return npuc_err(-EINVAL, "node \"%s\": input missing", n->name);
	if (!is_q8(t->elem) || !t->q.elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): \"%s\" is %s%s; "
				"the NPU computes quantized int8/uint8",
				n->name, n->op, t->name,
				npuc_elem_name(t->elem),
				is_q8(t->elem) ? " without quantization" : "");
	if (!quant_per_tensor(&t->q))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): \"%s\" is "
				"quantized per channel", n->name, n->op,
				t->name);
	return 0;
}

/* Constant weights: int8/uint8 with their quantization. */
static int need_qweights(const struct npuc_node *n, const struct npuc_tensor *w)
{
	if (!w || !w->data)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): weights are not "
				"constant", n->name, n->op);
	if (!is_q8(w->elem) || !w->q.elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): weights \"%s\" "
				"are %s without quantization", n->name, n->op,
				w->name, npuc_elem_name(w->elem));
	return 0;
}

/* The output: int8/uint8 per tensor, or int32 in accumulator units. */
static int need_out(const struct npuc_node *n, const struct npuc_tensor *o)
{
	if (!o || !o->q.elem || (!is_q8(o->elem) && o->elem != NPUC_INT32) ||
	    !quant_per_tensor(&o->q))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the output is "
				"not quantized int8/uint8 per tensor", n->name,
				n->op);
	return 0;
}

/*
 * int8 weights from a constant with per-tensor or per-channel zero
 * points. Channel of element i: mode 0: i / inner ([OC][...]); mode 1:
 * i % nch ([K][N]). Equal zero points are returned in *zp; otherwise
 * each value is pre-shifted (w - zp[c]) and *zp = 0, which needs the
 * result to fit int8. uint8 weights become int8 (w - 128, zp - 128).
 */
static int prep_w(const struct npuc_node *n, const struct npuc_tensor *w,
		  uint64_t nch, uint64_t inner, int mode, int8_t **out,
		  int32_t *zp)
{
	uint64_t cnt = npuc_tensor_elements(w), i;
	int32_t off = w->elem == NPUC_UINT8 ? 128 : 0;
	bool same = true;
	int8_t *o;

	if (!is_q8(w->elem) || !w->q.elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): weights \"%s\" "
				"are %s, not quantized int8/uint8", n->name,
				n->op, w->name, npuc_elem_name(w->elem));
	if (w->q.n != 1 && w->q.n != nch)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %llu weight scales "
				"for %llu channels", n->name, n->op,
				(unsigned long long)w->q.n,
				(unsigned long long)nch);
	for (i = 1; i < w->q.n; i++)
		same = same && w->q.zp[i] == w->q.zp[0];
	o = malloc(cnt ? cnt : 1);
	if (!o)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < cnt; i++) {
		int32_t v = (int32_t)cval(w, i) - off;
		uint64_t ch = mode ? i % nch : i / inner;

		if (!same) {
			v -= qz(&w->q, ch) - off;
			if (v < -128 || v > 127) {
				free(o);
				return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): "
						"per-channel weight zero points "
						"whose differences leave int8",
						n->name, n->op);
			}
		}
		o[i] = (int8_t)v;
	}
	*zp = same ? w->q.zp[0] - off : 0;
	*out = o;
	return 0;
}

/*
 * The bias in accumulator units (sx * sw[c] / alpha): an int32 constant
 * quantized with sb[c] (rescaled, exactly b when sb = sx * sw), or a
 * float constant. @beta scales it (Gemm).
 */
static int bias_acc(const struct npuc_node *n, const struct npuc_tensor *b,
		    const struct npuc_tensor *xq, const struct npuc_tensor *w,
		    uint64_t nch, double alpha, double beta, int32_t **out)
{
	uint64_t cnt, i;
	int32_t *r;

	*out = NULL;
	if (!b)
		return 0;
	if (!b->data)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the bias is not "
				"a constant", n->name, n->op);
	if (!b->q.elem && !is_float(b->elem))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): bias of type %s "
				"without quantization", n->name, n->op,
				npuc_elem_name(b->elem));
	cnt = npuc_tensor_elements(b);
	if (cnt != nch && cnt != 1)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): a bias of %llu "
				"values for %llu channels", n->name, n->op,
				(unsigned long long)cnt,
				(unsigned long long)nch);
	r = malloc(4 * nch);
	if (!r)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < nch; i++) {
		uint64_t e = cnt == 1 ? 0 : i;
		double real = b->q.elem ? quant_real(&b->q, e, cval(b, e)) :
			      cval(b, e);
		double v = nearbyint(beta * real /
				     (alpha * xq->q.scale[0] * qs(&w->q, i)));

		/* a float bias: onnxruntime's BiasQuantization, in float32 */
		if (!b->q.elem && alpha == 1 && beta == 1)
			v = nearbyintf((float)real /
				       ((float)xq->q.scale[0] *
					(float)qs(&w->q, i)));

		if (!(fabs(v) <= 2147483647.0)) {
			free(r);
			return npuc_err(-ERANGE, "node \"%s\" (%s): bias %llu "
					"does not fit int32 in accumulator "
					"units", n->name, n->op,
					(unsigned long long)i);
		}
		r[i] = (int32_t)v;
	}
	*out = r;
	return 0;
}

/* Requantization and clamp of the output, per channel. */
static int make_epi(const struct npuc_node *n, const struct npuc_tensor *xq,
		    const struct npuc_tensor *w, const struct npuc_tensor *o,
		    uint64_t nch, double alpha, struct epi *e)
{
	double lo = attr_f(n, "rm_act_lo", -1e300);
	double hi = attr_f(n, "rm_act_hi", 1e300);
	uint64_t c;

	memset(e, 0, sizeof(*e));
	e->out_elem = o->elem;
	if (o->elem == NPUC_INT32) {
		/* raw accumulators: the output's unit must be theirs */
		for (c = 0; c < nch; c++)
			if (fabs(o->q.scale[0] - xq->q.scale[0] * qs(&w->q, c) *
				 alpha) > 1e-12 * o->q.scale[0] || o->q.zp[0])
				return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): "
						"an int32 output in other "
						"units than the accumulator",
						n->name, n->op);
		return 0;
	}
	e->zp = o->q.zp[0];
	e->act_min = type_min(o->elem);
	e->act_max = type_max(o->elem);
	if (lo > -1e299)
		e->act_min = quant_int(&o->q, 0, lo);
	if (hi < 1e299)
		e->act_max = quant_int(&o->q, 0, hi);
	if (e->act_min > e->act_max)
		e->act_min = e->act_max;
	e->rmult = malloc(nch * sizeof(double));
	if (!e->rmult)
		return npuc_err(-ENOMEM, "out of memory");
	for (c = 0; c < nch; c++)
		e->rmult[c] = (float)((float)((float)xq->q.scale[0] * (float)qs(&w->q, c)) /
			      (float)o->q.scale[0]) * alpha;
	return 0;
}

/* ---- Conv -> CONV2D --------------------------------------------------------------- */

int lower_conv(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(x->g, n, 0), *w = in_t(x->g, n, 1);
	struct npuc_tensor *b = in_t(x->g, n, 2), *o = out_t(x->g, n, 0);
	uint64_t xd[4], kern[2], oc, cig, groups, i, ky, kx, ci, per;
	int64_t ks[3];
	struct loc li, lw, lo;
	struct rm_npu_cmd c;
	int8_t *wp = NULL, *wr;
	int32_t wzp, *bias = NULL;
	struct wgeo g;
	struct epi e;
	int ret, sp, k;

	if ((ret = need_act(n, in)) || (ret = need_out(n, o)) ||
	    (ret = need_qweights(n, w)))
		return ret;
	if (!w || !w->data)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the weights are "
				"not a constant", n->name, n->op);
	if (w->q.n > 1 && w->q.axis != 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): weights "
				"quantized along axis %d", n->name, n->op,
				w->q.axis);
	if (!nchw(in, xd))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): only 1-D and "
				"2-D convolutions run on the NPU", n->name,
				n->op);
	sp = in->ndim - 2;
	for (k = 0; k < sp; k++)
		ks[k] = w->dims[2 + k];
	if ((ret = win_geometry(n, in, ks, false, &g)))
		return ret;
	oc = (uint64_t)w->dims[0];
	cig = (uint64_t)w->dims[1];
	groups = (uint64_t)attr_i(n, "group", 1);
	kern[0] = sp == 2 ? (uint64_t)ks[0] : 1;
	kern[1] = (uint64_t)ks[sp - 1];
	for (k = 0; k < sp; k++)
		if (g.k[k] > RM_NPU_MAX_KERNEL || g.s[k] > RM_NPU_MAX_KERNEL ||
		    g.d[k] > RM_NPU_MAX_KERNEL || g.pb[k] > RM_NPU_MAX_KERNEL ||
		    g.pe[k] > RM_NPU_MAX_KERNEL)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": kernel, "
					"strides, dilations and pads must be "
					"at most 64", n->name);
	per = cig * kern[0] * kern[1];
	if (per > RM_NPU_MAX_GEMM_K || xd[1] > RM_NPU_MAX_DIM ||
	    oc > RM_NPU_MAX_DIM)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": a window of %llu "
				"values or %llu/%llu channels is above the "
				"CONV2D limits", n->name,
				(unsigned long long)per,
				(unsigned long long)xd[1],
				(unsigned long long)oc);
	if ((ret = make_epi(n, in, w, o, oc, 1.0, &e)))
		return ret;
	ret = prep_w(n, w, oc, per, 0, &wp, &wzp);
	if (!ret)
		ret = bias_acc(n, b, in, w, oc, 1.0, 1.0, &bias);
	if (ret)
		goto out;
	e.bias = bias;
	wr = malloc(oc * per);
	if (!wr) {
		ret = npuc_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < oc; i++)	/* [oc][ci][ky][kx] -> [oc][ky][kx][ci] */
		for (ci = 0; ci < cig; ci++)
			for (ky = 0; ky < kern[0]; ky++)
				for (kx = 0; kx < kern[1]; kx++)
					wr[i * per + (ky * kern[1] + kx) * cig +
					   ci] = wp[i * per +
						    (ci * kern[0] + ky) *
						    kern[1] + kx];
	ret = weights(x, wr, oc * per, &lw);
	free(wr);
	if (!ret)
		ret = get_nhwc(x, in, &li);
	if (!ret)
		ret = alloc_out(x, o, LAY_NHWC, &lo);
	if (ret)
		goto out;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_CONV2D;
	ret = epilogue(x, oc, &e, &c.flags, &c.conv2d.rq, &c.conv2d.bias,
		       &c.conv2d.quant);
	if (ret)
		goto out;
	c.conv2d.in.bo = li.slot;
	c.conv2d.in.offset = li.off;
	c.conv2d.weights.bo = lw.slot;
	c.conv2d.weights.offset = lw.off;
	c.conv2d.out.bo = lo.slot;
	c.conv2d.out.offset = lo.off;
	c.conv2d.batch = (uint32_t)xd[0];
	c.conv2d.in_h = (uint32_t)xd[2];
	c.conv2d.in_w = (uint32_t)xd[3];
	c.conv2d.in_c = (uint32_t)xd[1];
	c.conv2d.out_h = sp == 2 ? (uint32_t)g.o[0] : 1;
	c.conv2d.out_w = (uint32_t)g.o[sp - 1];
	c.conv2d.out_c = (uint32_t)oc;
	c.conv2d.k_h = (uint32_t)kern[0];
	c.conv2d.k_w = (uint32_t)kern[1];
	c.conv2d.stride_h = sp == 2 ? (uint32_t)g.s[0] : 1;
	c.conv2d.stride_w = (uint32_t)g.s[sp - 1];
	c.conv2d.dil_h = sp == 2 ? (uint32_t)g.d[0] : 1;
	c.conv2d.dil_w = (uint32_t)g.d[sp - 1];
	c.conv2d.pad_top = sp == 2 ? (uint32_t)g.pb[0] : 0;
	c.conv2d.pad_left = (uint32_t)g.pb[sp - 1];
	c.conv2d.pad_bottom = sp == 2 ? (uint32_t)g.pe[0] : 0;
	c.conv2d.pad_right = (uint32_t)g.pe[sp - 1];
	c.conv2d.groups = (uint32_t)groups;
	c.conv2d.in_dtype = (uint32_t)dt_of(in->elem);
	c.conv2d.out_dtype = (uint32_t)dt_of(o->elem);
	c.conv2d.in_zero_point = in->q.zp[0];
	c.conv2d.w_zero_point = wzp;
	ret = emit(x, &c);
out:
	free(wp);
	free(bias);
	free(e.rmult);
	return ret;
}

/* ---- MatMul / Gemm -> GEMM --------------------------------------------------------- */

struct mm {
	struct npuc_tensor *a, *b, *c, *out;
	bool trans_b;
	double alpha, beta;
};

/* B as int8 [K][N] (weights) with its zero point, or a runtime int8
 * tensor (uint8 turned to int8 by a table). */
static int operand_b(struct lctx *x, const struct npuc_node *n, struct mm *m,
		     uint64_t bb, uint64_t K, uint64_t N, struct loc *lb,
		     int32_t *bzp)
{
	struct npuc_tensor *b = m->b;
	int8_t *bw, *bt;
	uint64_t i, j, kk;
	int ret;

	if (!b->data) {
		struct loc l;

		if ((ret = need_act(n, b)))
			return ret;
		if (m->trans_b)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": a runtime "
					"transposed B", n->name);
		if ((ret = get_rm(x, b, &l)))
			return ret;
		*bzp = b->q.zp[0];
		if (b->elem == NPUC_INT8) {
			*lb = l;
			return 0;
		}
		{	/* uint8 -> int8: v - 128 */
			uint8_t t[256];
			int v;

			for (v = 0; v < 256; v++)
				t[v] = (uint8_t)(v ^ 0x80);
			*bzp -= 128;
			if ((ret = vbuf_new(x, tbytes(b), lb)))
				return ret;
			return emit_lut(x, l, *lb, npuc_tensor_elements(b),
					NPUC_UINT8, t);
		}
	}
	if (b->q.n > 1 && b->q.axis != (m->trans_b ? b->ndim - 2 : b->ndim - 1))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): B quantized "
				"per channel along another axis than N",
				n->name, n->op);
	/* channel of element i: [N][K] row i / K, [K][N] column i % N */
	ret = prep_w(n, b, N, K, m->trans_b ? 0 : 1, &bw, bzp);
	if (m->trans_b && !ret) {	/* [bb][N][K] -> [bb][K][N] */
		bt = malloc(bb * K * N);
		if (!bt) {
			free(bw);
			return npuc_err(-ENOMEM, "out of memory");
		}
		for (i = 0; i < bb; i++)
			for (j = 0; j < N; j++)
				for (kk = 0; kk < K; kk++)
					bt[i * K * N + kk * N + j] =
						bw[i * K * N + j * K + kk];
		free(bw);
		bw = bt;
	}
	if (ret)
		return ret;
	ret = weights(x, bw, bb * K * N, lb);
	free(bw);
	return ret;
}

static int lower_mm(struct lctx *x, const struct npuc_node *n, struct mm *m)
{
	struct npuc_tensor *a = m->a, *b = m->b, *o = m->out;
	uint64_t M, K, N, batch = 1, bbatch = 1, i, osz;
	int32_t bzp, *bias = NULL;
	struct loc la, lb, lo;
	struct epi e;
	int ret, k, ra = a->ndim, rb = b->ndim;

	memset(&e, 0, sizeof(e));
	if ((ret = need_act(n, a)) || (ret = need_out(n, o)))
		return ret;
	if (!b->data && (ret = need_act(n, b)))
		return ret;
	if (b->data && (ret = need_qweights(n, b)))
		return ret;
	M = ra >= 2 ? (uint64_t)a->dims[ra - 2] : 1;
	K = (uint64_t)a->dims[ra - 1];
	N = rb >= 2 ? (uint64_t)b->dims[rb - (m->trans_b ? 2 : 1)] : 1;
	for (k = 0; k < ra - 2; k++)
		batch *= (uint64_t)a->dims[k];
	for (k = 0; k < rb - 2; k++)
		bbatch *= (uint64_t)b->dims[k];
	if (bbatch != 1 && (rb != ra || bbatch != batch))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): batch "
				"broadcasting of B", n->name, n->op);
	if (b->data && b->q.n > 1 && rb > 2)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): batched "
				"per-channel B", n->name, n->op);
	if (K > RM_NPU_MAX_GEMM_K || N > RM_NPU_MAX_DIM)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): K=%llu/N=%llu "
				"above the GEMM limits", n->name, n->op,
				(unsigned long long)K, (unsigned long long)N);
	if (m->alpha <= 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": alpha %g", n->name,
				m->alpha);
	if ((ret = make_epi(n, a, b, o, N, m->alpha, &e)) ||
	    (ret = bias_acc(n, m->c, a, b, N, m->alpha, m->beta, &bias)))
		goto out;
	e.bias = bias;
	if ((ret = operand_b(x, n, m, bbatch, K, N, &lb, &bzp)) ||
	    (ret = get_rm(x, a, &la)) ||
	    (ret = alloc_out(x, o, LAY_RM, &lo)))
		goto out;
	if (bbatch == 1) {	/* fold the batch into M */
		M *= batch;
		batch = 1;
	}
	osz = o->elem == NPUC_INT32 ? 4 : 1;
	for (i = 0; i < batch; i++) {
		uint64_t r0, rows;

		for (r0 = 0; r0 < M; r0 += rows) {
			struct rm_npu_cmd c;

			rows = M - r0 > RM_NPU_MAX_DIM ? RM_NPU_MAX_DIM : M - r0;
			memset(&c, 0, sizeof(c));
			c.opcode = RM_NPU_OP_GEMM;
			ret = epilogue(x, N, &e, &c.flags, &c.gemm.rq,
				       &c.gemm.bias, &c.gemm.quant);
			if (ret)
				goto out;
			c.gemm.a.bo = la.slot;
			c.gemm.a.offset = la.off + (i * M + r0) * K;
			c.gemm.b.bo = lb.slot;
			c.gemm.b.offset = lb.off + (bbatch > 1 ? i * K * N : 0);
			c.gemm.out.bo = lo.slot;
			c.gemm.out.offset = lo.off + (i * M + r0) * N * osz;
			c.gemm.m = (uint32_t)rows;
			c.gemm.n = (uint32_t)N;
			c.gemm.k = (uint32_t)K;
			c.gemm.lda = (uint32_t)K;
			c.gemm.ldb = (uint32_t)N;
			c.gemm.ldo = (uint32_t)N;
			c.gemm.a_dtype = (uint32_t)dt_of(a->elem);
			c.gemm.out_dtype = (uint32_t)dt_of(o->elem);
			c.gemm.a_zero_point = a->q.zp[0];
			c.gemm.b_zero_point = bzp;
			if ((ret = emit(x, &c)))
				goto out;
		}
	}
out:
	free(bias);
	free(e.rmult);
	return ret;
}

int lower_matmul(struct lctx *x, struct npuc_node *n)
{
	struct mm m = { in_t(x->g, n, 0), in_t(x->g, n, 1), NULL,
			out_t(x->g, n, 0), false, 1.0, 1.0 };

	if (!m.a || !m.b || !m.out)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	return lower_mm(x, n, &m);
}

int lower_gemm(struct lctx *x, struct npuc_node *n)
{
	struct mm m = { in_t(x->g, n, 0), in_t(x->g, n, 1), in_t(x->g, n, 2),
			out_t(x->g, n, 0), attr_i(n, "transB", 0) != 0,
			attr_f(n, "alpha", 1.0), attr_f(n, "beta", 1.0) };

	if (!m.a || !m.b || !m.out)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	if (attr_i(n, "transA", 0))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (Gemm): transA on the "
				"NPU", n->name);
	if (m.c && m.c->ndim == 2 && m.c->dims[0] != 1)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (Gemm): a C matrix "
				"(only a per-column bias)", n->name);
	return lower_mm(x, n, &m);
}
