// SPDX-License-Identifier: MIT
/*
 * ops_nn.c - shapes of the network operators (Conv, MatMul, Gemm, the
 * pools, QuantizeLinear/DequantizeLinear and the internal table ops) and
 * the canonical forms of the QOperator operators: QLinearConv(x, xs, xz,
 * w, ws, wz, ys, yz, B) becomes Conv(x, w, B) over tensors annotated with
 * those scales and zero points, and so on, so that one lowering serves
 * the QOperator form, the QDQ form and float models.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npuc_ir.h"
#include "npuc_ops.h"

/* ---- window geometry ---------------------------------------------------------- */

int win_geometry(const struct npuc_node *n, const struct npuc_tensor *in,
		 const int64_t *ks, bool pool, struct wgeo *g)
{
	int64_t st[3] = { 1, 1, 1 }, dl[3] = { 1, 1, 1 }, pads[6] = { 0 };
	int64_t ceil_mode = pool ? attr_i(n, "ceil_mode", 0) : 0;
	char ap[32];
	int j, k;

	memset(g, 0, sizeof(*g));
	g->sp = in->ndim - 2;
	if (g->sp < 1 || g->sp > 3)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %d spatial "
				"axes; 1 to 3 are supported", n->name, n->op,
				g->sp);
	if (attr_ints(n, "strides", st, g->sp) < -1 ||
	    attr_ints(n, "dilations", dl, g->sp) < -1 ||
	    attr_ints(n, "pads", pads, 2 * g->sp) < -1)
		return npuc_err(-EINVAL, "node \"%s\" (%s): bad attributes",
				n->name, n->op);
	attr_s(n, "auto_pad", ap, sizeof(ap), "NOTSET");
	for (j = 0; j < g->sp; j++) {
		int64_t span, tot;

		k = j;
		g->in[k] = in->dims[2 + j];
		g->k[k] = ks[j];
		g->s[k] = st[j];
		g->d[k] = dl[j];
		g->pb[k] = pads[j];
		g->pe[k] = pads[g->sp + j];
		if (g->k[k] < 1 || g->s[k] < 1 || g->d[k] < 1 ||
		    g->pb[k] < 0 || g->pe[k] < 0)
			return npuc_err(-EINVAL, "node \"%s\" (%s): bad kernel, "
					"strides, dilations or pads", n->name,
					n->op);
		if (!strncmp(ap, "SAME_", 5)) {
			g->o[k] = (g->in[k] + g->s[k] - 1) / g->s[k];
			tot = (g->o[k] - 1) * g->s[k] +
			      g->d[k] * (g->k[k] - 1) + 1 - g->in[k];
			tot = tot < 0 ? 0 : tot;
			g->pb[k] = ap[5] == 'U' ? tot / 2 : tot - tot / 2;
			g->pe[k] = tot - g->pb[k];
			continue;
		}
		if (!strcmp(ap, "VALID"))
			g->pb[k] = g->pe[k] = 0;
		else if (strcmp(ap, "NOTSET"))
			return npuc_err(-EINVAL, "node \"%s\": auto_pad %s",
					n->name, ap);
		span = g->in[k] + g->pb[k] + g->pe[k] -
		       g->d[k] * (g->k[k] - 1) - 1;
		if (span < 0)
			return npuc_err(-EINVAL, "node \"%s\" (%s): the window "
					"is larger than the padded input",
					n->name, n->op);
		g->o[k] = (ceil_mode ? span + g->s[k] - 1 : span) / g->s[k] + 1;
		/* ONNX drops a last window starting in the end pad */
		if (ceil_mode && (g->o[k] - 1) * g->s[k] >= g->in[k] + g->pb[k])
			g->o[k]--;
	}
	return 0;
}

/* Output element type: the quantization a rewrite gave the output, else
 * the input's. */
static int32_t out_elem(struct npuc_graph *g, const struct npuc_node *n,
			int32_t def)
{
	struct npuc_tensor *o = out_t(g, n, 0);

	return o && o->q.elem ? o->q.elem : def;
}

int infer_conv(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in, *w;
	int64_t od[5], ks[3], grp = attr_i(n, "group", 1);
	struct wgeo geo;
	int ret, j;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_in(g, n, 1, &w)) ||
	    (ret = need_shape(n, in)) || (ret = need_shape(n, w)))
		return ret;
	if (w->ndim != in->ndim || in->ndim < 3 || in->ndim > 5)
		return npuc_err(-EINVAL, "node \"%s\" (%s): input of rank %d, "
				"weights of rank %d", n->name, n->op, in->ndim,
				w->ndim);
	if (grp < 1 || in->dims[1] != w->dims[1] * grp || w->dims[0] % grp)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %lld input channels, "
				"%lld per group in the weights, group %lld",
				n->name, n->op, (long long)in->dims[1],
				(long long)w->dims[1], (long long)grp);
	for (j = 0; j < in->ndim - 2; j++)
		ks[j] = w->dims[2 + j];
	if ((ret = win_geometry(n, in, ks, false, &geo)))
		return ret;
	od[0] = in->dims[0];
	od[1] = w->dims[0];
	for (j = 0; j < geo.sp; j++)
		od[2 + j] = geo.o[j];
	return set_shape(out_t(g, n, 0), out_elem(g, n, in->elem), in->ndim,
			 od);
}

int infer_pool(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t od[5], ks[3] = { 1, 1, 1 };
	bool global = !strncmp(n->op, "Global", 6) ||
		      !strncmp(n->op, "QLinearGlobal", 13);
	struct wgeo geo;
	int ret, j;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	if (in->ndim < 3 || in->ndim > 5)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): rank %d",
				n->name, n->op, in->ndim);
	if (n->nout > 1 && n->out[1] >= 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the Indices "
				"output is not supported", n->name, n->op);
	od[0] = in->dims[0];
	od[1] = in->dims[1];
	if (global) {
		for (j = 2; j < in->ndim; j++)
			od[j] = 1;
	} else {
		if (attr_ints(n, "kernel_shape", ks, 3) != in->ndim - 2)
			return npuc_err(-EINVAL, "node \"%s\" (%s): kernel_shape "
					"missing or of the wrong length",
					n->name, n->op);
		if ((ret = win_geometry(n, in, ks, true, &geo)))
			return ret;
		for (j = 0; j < geo.sp; j++)
			od[2 + j] = geo.o[j];
	}
	return set_shape(out_t(g, n, 0), out_elem(g, n, in->elem), in->ndim,
			 od);
}

/* numpy matmul: 1-D operands promoted, batch dimensions broadcast. */
int infer_matmul(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *a, *b;
	int64_t od[NPUC_MAX_DIMS], m, k, nn, kb;
	int ra, rb, r, i, nd = 0, ret;

	if ((ret = need_in(g, n, 0, &a)) || (ret = need_in(g, n, 1, &b)) ||
	    (ret = need_shape(n, a)) || (ret = need_shape(n, b)))
		return ret;
	ra = a->ndim;
	rb = b->ndim;
	if (!ra || !rb)
		return npuc_err(-EINVAL, "node \"%s\" (%s): scalar input",
				n->name, n->op);
	m = ra >= 2 ? a->dims[ra - 2] : 1;
	k = a->dims[ra - 1];
	kb = rb >= 2 ? b->dims[rb - 2] : b->dims[0];
	nn = rb >= 2 ? b->dims[rb - 1] : 1;
	if (k != kb)
		return npuc_err(-EINVAL, "node \"%s\" (%s): inner dimensions "
				"%lld and %lld differ", n->name, n->op,
				(long long)k, (long long)kb);
	ra = ra > 2 ? ra - 2 : 0;
	rb = rb > 2 ? rb - 2 : 0;
	r = ra > rb ? ra : rb;
	for (i = 0; i < r; i++) {
		int64_t da = i >= r - ra ? a->dims[i - (r - ra)] : 1;
		int64_t db = i >= r - rb ? b->dims[i - (r - rb)] : 1;

		if (da != db && da != 1 && db != 1)
			return npuc_err(-EINVAL, "node \"%s\" (%s): batch "
					"dimensions do not broadcast", n->name,
					n->op);
		od[nd++] = da > db ? da : db;
	}
	if (a->ndim >= 2)
		od[nd++] = m;
	if (b->ndim >= 2)
		od[nd++] = nn;
	return set_shape(out_t(g, n, 0), out_elem(g, n, a->elem), nd, od);
}

int infer_gemm(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *a, *b;
	int64_t ta = attr_i(n, "transA", 0), tb = attr_i(n, "transB", 0), od[2];
	int ret;

	if ((ret = need_in(g, n, 0, &a)) || (ret = need_in(g, n, 1, &b)) ||
	    (ret = need_shape(n, a)) || (ret = need_shape(n, b)))
		return ret;
	if (a->ndim != 2 || b->ndim != 2)
		return npuc_err(-EINVAL, "node \"%s\" (%s): inputs must be 2-D",
				n->name, n->op);
	od[0] = ta ? a->dims[1] : a->dims[0];
	od[1] = tb ? b->dims[0] : b->dims[1];
	if ((ta ? a->dims[0] : a->dims[1]) != (tb ? b->dims[1] : b->dims[0]))
		return npuc_err(-EINVAL, "node \"%s\" (%s): inner dimensions "
				"differ", n->name, n->op);
	return set_shape(out_t(g, n, 0), out_elem(g, n, a->elem), 2, od);
}

/* ---- QuantizeLinear / DequantizeLinear ------------------------------------------ */

/* QuantizeLinear: the output carries (scale, zero point). */
int canon_quantize(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in, *o = out_t(g, n, 0);
	int64_t odt = attr_i(n, "output_dtype", 0);
	struct npuc_quant q;
	int ret;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	if (attr_i(n, "block_size", 0))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): blocked "
				"quantization is not supported", n->name, n->op);
	ret = quant_from(n, in_t(g, n, 1), in_t(g, n, 2), attr_i(n, "axis", 1),
			 in->ndim, odt ? (int32_t)odt : NPUC_UINT8, &q);
	if (ret)
		return ret;
	if (!is_q8(q.elem) || (odt && odt != q.elem)) {
		quant_release(&q);
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): quantization to "
				"%s is not supported (int8, uint8)", n->name,
				n->op, npuc_elem_name(q.elem));
	}
	if (o) {
		quant_release(&o->q);
		o->q = q;
	} else {
		quant_release(&q);
	}
	return 0;
}

int infer_quantize(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);

	return o ? set_shape(o, o->q.elem, in->ndim, in->dims) : 0;
}

int fold_quantize(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	uint64_t cnt = npuc_tensor_elements(in), i, inner = 1;
	uint8_t *d;
	int k;

	if (!is_float(in->elem))
		return -EOPNOTSUPP;
	d = malloc(cnt ? cnt : 1);
	if (!d)
		return npuc_err(-ENOMEM, "out of memory");
	if (o->q.axis >= 0)
		for (k = o->q.axis + 1; k < in->ndim; k++)
			inner *= (uint64_t)in->dims[k];
	for (i = 0; i < cnt; i++) {
		uint64_t c = o->q.axis >= 0 ? (i / inner) % o->q.n : 0;
		/* float32 arithmetic, as the runtime's QUANTIZE step */
		float v = (float)cval(in, i) / (float)o->q.scale[c];
		double r = nearbyint(v) + o->q.zp[c];

		r = r < type_min(o->q.elem) ? type_min(o->q.elem) :
		    r > type_max(o->q.elem) ? type_max(o->q.elem) : r;
		d[i] = (uint8_t)(int)r;
	}
	return set_const(o, o->q.elem, in->ndim, in->dims, d);
}

/* DequantizeLinear: the input carries (scale, zero point); the output
 * remembers which integer tensor it is the value of. */
int canon_dequantize(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in, *o = out_t(g, n, 0);
	struct npuc_quant q;
	int ret, alias;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	if (attr_i(n, "block_size", 0))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): blocked "
				"quantization is not supported", n->name, n->op);
	if (!is_q8(in->elem) && in->elem != NPUC_INT32)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): dequantizing %s "
				"is not supported (int8, uint8, int32)",
				n->name, n->op, npuc_elem_name(in->elem));
	ret = quant_from(n, in_t(g, n, 1), in_t(g, n, 2), attr_i(n, "axis", 1),
			 in->ndim, in->elem, &q);
	if (!ret && q.elem != in->elem)
		ret = npuc_err(-EINVAL, "node \"%s\" (%s): zero point of type %s "
			       "for a %s input", n->name, n->op,
			       npuc_elem_name(q.elem), npuc_elem_name(in->elem));
	if (!ret)
		ret = quant_attach(g, n->in[0], &q, &alias);
	quant_release(&q);
	if (ret)
		return ret;
	n->in[0] = alias;
	if (o)
		o->dq_of = alias;
	return 0;
}

int infer_dequantize(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);

	return o ? set_shape(o, NPUC_FLOAT, in->ndim, in->dims) : 0;
}

/* Folded like the runtime's DEQUANTIZE step: (q - zp) * scale in float32.
 * The node stays: its integer input is what fused patterns use. */
int fold_dequantize(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	uint64_t cnt = npuc_tensor_elements(in), i, inner = 1;
	float *d = malloc(cnt ? cnt * 4 : 4);
	int k;

	if (!d)
		return npuc_err(-ENOMEM, "out of memory");
	if (in->q.axis >= 0)
		for (k = in->q.axis + 1; k < in->ndim; k++)
			inner *= (uint64_t)in->dims[k];
	for (i = 0; i < cnt; i++) {
		uint64_t c = in->q.axis >= 0 ? (i / inner) % in->q.n : 0;

		d[i] = (float)(cval(in, i) - in->q.zp[c]) *
		       (float)in->q.scale[c];
	}
	return set_const(o, NPUC_FLOAT, in->ndim, in->dims, d);
}

/* rm_npu::Requant and rm_npu::Lut: the output's quantization is its
 * type. */
int infer_requant(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);

	return set_shape(o, o->q.elem ? o->q.elem : in->elem, in->ndim,
			 in->dims);
}

int fold_requant(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	uint64_t cnt = npuc_tensor_elements(in), i, inner = 1;
	uint8_t *d;
	int k;

	if (!is_q8(in->elem) || !is_q8(o->elem) || !in->q.elem)
		return -EOPNOTSUPP;
	if (!quant_per_tensor(&in->q) || !quant_per_tensor(&o->q))
		return -EOPNOTSUPP;
	d = malloc(cnt ? cnt : 1);
	if (!d)
		return npuc_err(-ENOMEM, "out of memory");
	(void)inner;
	(void)k;
	for (i = 0; i < cnt; i++)
		d[i] = (uint8_t)quant_int(&o->q, 0,
					  quant_real(&in->q, 0, cval(in, i)));
	return set_const(o, o->elem, in->ndim, in->dims, d);
}

/* ---- QOperator forms ------------------------------------------------------------- */

/* Input @i annotated with (scale @si, zero point @zi); n->in[@i] becomes
 * the annotated tensor (an alias when the tensor had another one). */
static int annotate_in(struct npuc_graph *g, struct npuc_node *n, int i,
		       int si, int zi, int64_t axis, int32_t def_elem)
{
	struct npuc_tensor *t = in_t(g, n, i);
	struct npuc_quant q;
	int ret, alias;

	if (!t)
		return npuc_err(-EINVAL, "node \"%s\" (%s): input %d is missing",
				n->name, n->op, i);
	if ((ret = need_shape(n, t)))
		return ret;
	ret = quant_from(n, in_t(g, n, si), zi >= 0 ? in_t(g, n, zi) : NULL,
			 axis, t->ndim, def_elem ? def_elem : t->elem, &q);
	if (!ret && zi >= 0 && !in_t(g, n, zi))
		q.elem = t->elem;	/* absent zero point: 0 of x's type */
	if (!ret)
		ret = quant_attach(g, n->in[i], &q, &alias);
	quant_release(&q);
	if (!ret)
		n->in[i] = alias;
	return ret;
}

/* The output gets (scale, zero point) of inputs @si, @zi. */
static int annotate_out(struct npuc_graph *g, struct npuc_node *n, int si,
			int zi, int32_t def_elem)
{
	struct npuc_tensor *o = out_t(g, n, 0);
	struct npuc_quant q;
	int ret;

	if (!o)
		return 0;
	ret = quant_from(n, in_t(g, n, si), zi >= 0 ? in_t(g, n, zi) : NULL,
			 -1, 0, def_elem, &q);
	if (ret)
		return ret;
	quant_release(&o->q);
	o->q = q;
	return 0;
}

/* int32 bias quantized with scale sx * sw[c] (what QLinearConv, QGemm
 * and quantizers define). */
static int annotate_bias(struct npuc_graph *g, struct npuc_node *n, int bi,
			 const struct npuc_tensor *x, const struct npuc_tensor *w)
{
	struct npuc_tensor *b = in_t(g, n, bi);
	struct npuc_quant q;
	uint64_t c;
	int ret, alias;

	if (!b)
		return 0;
	if (b->elem != NPUC_INT32)
		return npuc_err(-EINVAL, "node \"%s\" (%s): bias of type %s; "
				"int32 expected", n->name, n->op,
				npuc_elem_name(b->elem));
	memset(&q, 0, sizeof(q));
	q.elem = NPUC_INT32;
	q.n = w->q.n;
	q.axis = w->q.n > 1 ? 0 : -1;
	q.scale = malloc(q.n * sizeof(double));
	q.zp = calloc(q.n, sizeof(int32_t));
	if (!q.scale || !q.zp) {
		quant_release(&q);
		return npuc_err(-ENOMEM, "out of memory");
	}
	for (c = 0; c < q.n; c++)
		q.scale[c] = x->q.scale[0] * w->q.scale[c];
	ret = quant_attach(g, n->in[bi], &q, &alias);
	quant_release(&q);
	if (!ret)
		n->in[bi] = alias;
	return ret;
}

static void set_inputs(struct npuc_node *n, int cnt, const int *from)
{
	int k, tmp[16];

	for (k = 0; k < cnt; k++)
		tmp[k] = from[k] < n->nin ? n->in[from[k]] : -1;
	memcpy(n->in, tmp, (size_t)cnt * sizeof(int));
	n->nin = cnt;
}

/* QLinearConv(x, xs, xz, w, ws, wz, ys, yz, B) -> Conv(x, w, B) */
int canon_qlinearconv(struct npuc_graph *g, struct npuc_node *n)
{
	static const int order[] = { 0, 3, 8 };
	int ret;

	if ((ret = annotate_in(g, n, 0, 1, 2, -1, 0)) ||
	    (ret = annotate_in(g, n, 3, 4, 5, 0, 0)) ||
	    (ret = annotate_out(g, n, 6, 7, NPUC_UINT8)) ||
	    (ret = annotate_bias(g, n, 8, in_t(g, n, 0), in_t(g, n, 3))))
		return ret;
	set_inputs(n, 3, order);
	n->def = OPDEF(CONV);
	return 0;
}

/* Scale 1 zero point z: integer semantics (ConvInteger, MatMulInteger). */
static int annotate_int(struct npuc_graph *g, struct npuc_node *n, int i,
			int zi, int64_t axis)
{
	struct npuc_tensor *t = in_t(g, n, i), *z = in_t(g, n, zi);
	struct npuc_quant q;
	uint64_t c;
	int ret, alias;

	if (!t)
		return npuc_err(-EINVAL, "node \"%s\": input %d is missing",
				n->name, i);
	/* the zero point has x's type: its values are read as integers */
	if (!is_q8(t->elem))
		return npuc_err(-EINVAL,
				"node \"%s\" (%s): input %d is not int8 or uint8",
				n->name, n->op, i);
	memset(&q, 0, sizeof(q));
	q.elem = t->elem;
	q.n = z ? npuc_tensor_elements(z) : 1;
	q.axis = q.n > 1 ? (int)(axis < 0 ? axis + t->ndim : axis) : -1;
	if (z && (ret = need_const(n, z, "zero point")))
		return ret;
	if (!q.n || (z && z->elem != t->elem))
		return npuc_err(-EINVAL, "node \"%s\" (%s): zero point",
				n->name, n->op);
	q.scale = malloc(q.n * sizeof(double));
	q.zp = calloc(q.n, sizeof(int32_t));
	if (!q.scale || !q.zp) {
		quant_release(&q);
		return npuc_err(-ENOMEM, "out of memory");
	}
	for (c = 0; c < q.n; c++) {
		q.scale[c] = 1;
		q.zp[c] = z ? (int32_t)cval(z, c) : 0;
	}
	ret = quant_attach(g, n->in[i], &q, &alias);
	quant_release(&q);
	if (!ret)
		n->in[i] = alias;
	return ret;
}

static int int32_out(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *o = out_t(g, n, 0);

	if (!o)
		return 0;
	quant_release(&o->q);
	o->q.elem = NPUC_INT32;
	o->q.n = 1;
	o->q.axis = -1;
	o->q.scale = malloc(sizeof(double));
	o->q.zp = calloc(1, sizeof(int32_t));
	if (!o->q.scale || !o->q.zp)
		return npuc_err(-ENOMEM, "out of memory");
	o->q.scale[0] = 1;
	return 0;
}

/* ConvInteger(x, w, xz, wz) -> Conv over integers, int32 out */
int canon_convinteger(struct npuc_graph *g, struct npuc_node *n)
{
	static const int order[] = { 0, 1 };
	int ret;

	if ((ret = annotate_int(g, n, 0, 2, -1)) ||
	    (ret = annotate_int(g, n, 1, 3, 0)) || (ret = int32_out(g, n)))
		return ret;
	set_inputs(n, 2, order);
	n->def = OPDEF(CONV);
	return 0;
}

/* MatMulInteger(a, b, az, bz) -> MatMul over integers, int32 out */
int canon_matmulinteger(struct npuc_graph *g, struct npuc_node *n)
{
	static const int order[] = { 0, 1 };
	int ret;

	if ((ret = annotate_int(g, n, 0, 2, -1)) ||
	    (ret = annotate_int(g, n, 1, 3, -1)) || (ret = int32_out(g, n)))
		return ret;
	set_inputs(n, 2, order);
	n->def = OPDEF(MATMUL);
	return 0;
}

/* QLinearMatMul(a, as, az, b, bs, bz, ys, yz) -> MatMul(a, b) */
int canon_qlinearmatmul(struct npuc_graph *g, struct npuc_node *n)
{
	static const int order[] = { 0, 3 };
	int ret;

	if ((ret = annotate_in(g, n, 0, 1, 2, -1, 0)) ||
	    (ret = annotate_in(g, n, 3, 4, 5, -1, 0)) ||
	    (ret = annotate_out(g, n, 6, 7, NPUC_UINT8)))
		return ret;
	set_inputs(n, 2, order);
	n->def = OPDEF(MATMUL);
	return 0;
}

/*
 * QGemm(A, as, az, B, bs, bz, C, ys, yz) -> Gemm(A, B, C); without ys the
 * result is float: a Gemm to int32 (scale as * bs, which carries alpha
 * exactly only when alpha is 1) then a DequantizeLinear.
 */
int canon_qgemm(struct npuc_graph *g, struct npuc_node *n)
{
	static const int order[] = { 0, 3, 6 };
	int ret;

	if ((ret = annotate_in(g, n, 0, 1, 2, -1, 0)) ||
	    (ret = annotate_in(g, n, 3, 4, 5,
			       attr_i(n, "transB", 0) ? 0 : 1, 0)) ||
	    (ret = annotate_bias(g, n, 6, in_t(g, n, 0), in_t(g, n, 3))))
		return ret;
	if (!in_t(g, n, 7))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (QGemm): float output "
				"(no y_scale) is not supported", n->name);
	if ((ret = annotate_out(g, n, 7, 8, in_t(g, n, 0)->elem)))
		return ret;
	set_inputs(n, 3, order);
	n->def = OPDEF(GEMM);
	return 0;
}

/* QLinearAdd/QLinearMul(A, as, az, B, bs, bz, cs, cz) */
static int canon_qbinary(struct npuc_graph *g, struct npuc_node *n,
			 const struct npuc_opdef *to)
{
	static const int order[] = { 0, 3 };
	int ret;

	if ((ret = annotate_in(g, n, 0, 1, 2, -1, 0)) ||
	    (ret = annotate_in(g, n, 3, 4, 5, -1, 0)) ||
	    (ret = annotate_out(g, n, 6, 7, in_t(g, n, 0)->elem)))
		return ret;
	set_inputs(n, 2, order);
	n->def = to;
	return 0;
}

int canon_qlinearadd(struct npuc_graph *g, struct npuc_node *n)
{
	return canon_qbinary(g, n, OPDEF(ADD));
}

int canon_qlinearmul(struct npuc_graph *g, struct npuc_node *n)
{
	return canon_qbinary(g, n, OPDEF(MUL));
}

/* QLinearConcat(ys, yz, (x, xs, xz)...) -> Concat(x...) */
int canon_qlinearconcat(struct npuc_graph *g, struct npuc_node *n)
{
	int k, cnt = (n->nin - 2) / 3, ret;

	if (n->nin < 5 || (n->nin - 2) % 3)
		return npuc_err(-EINVAL, "node \"%s\" (QLinearConcat): %d "
				"inputs", n->name, n->nin);
	for (k = 0; k < cnt; k++)
		if ((ret = annotate_in(g, n, 2 + 3 * k, 3 + 3 * k, 4 + 3 * k,
				       -1, 0)))
			return ret;
	if ((ret = annotate_out(g, n, 0, 1, in_t(g, n, 2)->elem)))
		return ret;
	for (k = 0; k < cnt; k++)
		n->in[k] = n->in[2 + 3 * k];
	n->nin = cnt;
	n->def = OPDEF(CONCAT);
	return 0;
}

/* Unary QLinear ops: (x, xs, xz, ys, yz) -> op(x) */
static int canon_qunary(struct npuc_graph *g, struct npuc_node *n,
			const struct npuc_opdef *to)
{
	static const int order[] = { 0 };
	int ret;

	if ((ret = annotate_in(g, n, 0, 1, 2, -1, 0)) ||
	    (ret = annotate_out(g, n, 3, 4, in_t(g, n, 0)->elem)))
		return ret;
	set_inputs(n, 1, order);
	n->def = to;
	return 0;
}

int canon_qlinearsigmoid(struct npuc_graph *g, struct npuc_node *n)
{
	return canon_qunary(g, n, OPDEF(SIGMOID));
}

int canon_qlinearleakyrelu(struct npuc_graph *g, struct npuc_node *n)
{
	return canon_qunary(g, n, OPDEF(LEAKYRELU));
}

/* QLinearSoftmax: its "opset" attribute says which Softmax it is. */
int canon_qlinearsoftmax(struct npuc_graph *g, struct npuc_node *n)
{
	int ret = canon_qunary(g, n, OPDEF(SOFTMAX));

	if (!ret && !attr_has(n, "opset"))
		ret = attr_set_i(n, "opset", 13);
	return ret;
}

static int no_channels_last(const struct npuc_node *n)
{
	if (attr_i(n, "channels_last", 0))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): channels_last",
				n->name, n->op);
	return 0;
}

int canon_qlinearaveragepool(struct npuc_graph *g, struct npuc_node *n)
{
	int ret = no_channels_last(n);

	return ret ? ret : canon_qunary(g, n, OPDEF(AVERAGEPOOL));
}

int canon_qlinearglobalaveragepool(struct npuc_graph *g, struct npuc_node *n)
{
	int ret = no_channels_last(n);

	return ret ? ret : canon_qunary(g, n, OPDEF(GLOBALAVERAGEPOOL));
}

int canon_qlinearreducemean(struct npuc_graph *g, struct npuc_node *n)
{
	return canon_qunary(g, n, OPDEF(REDUCEMEAN));
}
