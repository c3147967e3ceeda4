// SPDX-License-Identifier: MIT
/*
 * lower_elt.c - element-wise work on the NPU: ELTWISE for Add, Sub and
 * Mul of two tensors (any multidirectional broadcast that folds into a
 * strided 2-D grid per command), and LUT for every function of one
 * quantized tensor: activations, pointwise chains (rm_npu::Lut), Add/Mul
 * with a scalar constant, requantization (rm_npu::Requant), and a table
 * followed by the Mul of its input and output (hardswish).
 *
 * A table entry is computed in double from the real value of its index
 * and quantized once, so a table is as exact as the output type allows.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

/* The value of LUT index @j for input type @elem. */
static int idx_value(int32_t elem, int j)
{
	return elem == NPUC_INT8 ? j - 128 : j;
}

/*
 * Tables follow onnxruntime's float32 steps (ortmath.c): dequantize,
 * the function, quantize; a requantization table is the identity
 * between them (QLinearConcat's and QuantizeLinear(DequantizeLinear)'s).
 */
int requant_table(const struct npuc_quant *from, const struct npuc_quant *to,
		  uint8_t table[256])
{
	int j;

	for (j = 0; j < 256; j++)
		table[j] = (uint8_t)ort_quant(to, ort_dequant(from,
						idx_value(from->elem, j)));
	return 0;
}

static bool same_bytes(const struct npuc_tensor *in,
		       const struct npuc_tensor *o)
{
	return in->elem == o->elem &&
	       ((!in->q.elem && !o->q.elem) ||
		(in->q.elem && o->q.elem && quant_equal(&in->q, &o->q)));
}

int requant_into(struct lctx *x, struct npuc_tensor *in, struct npuc_tensor *o)
{
	uint8_t table[256];
	enum layout lay;
	struct loc li, lo;
	int ret;

	if (same_bytes(in, o))
		return alias_out(x, o, in);
	if (!is_q8(in->elem) || !is_q8(o->elem) || !in->q.elem ||
	    !o->q.elem || !quant_per_tensor(&in->q) ||
	    !quant_per_tensor(&o->q))
		return npuc_err(-EOPNOTSUPP, "\"%s\" to \"%s\": requantizing "
				"other than per-tensor int8/uint8", in->name,
				o->name);
	requant_table(&in->q, &o->q, table);
	if ((ret = get_any(x, in, true, &li, &lay)) ||
	    (ret = alloc_out(x, o, lay, &lo)))
		return ret;
	return emit_lut(x, li, lo, npuc_tensor_elements(in), in->elem, table);
}

/* ---- tables ------------------------------------------------------------------- */

/* Constant @t's value in float32 (a quantized one dequantized). */
static float const_f32(const struct npuc_tensor *t)
{
	return t->q.elem ? ort_dequant(&t->q, (int)cval(t, 0)) :
	       (float)cval(t, 0);
}

/* rm_npu::Lut: the fused nodes evaluated at one input value. */
static float eval_chain(struct npuc_graph *g, const struct npuc_node *n,
			float xv)
{
	float val[64], v[8];
	int i, j, k;

	for (i = 0; i < n->nsub && i < 64; i++) {
		const struct npuc_node *s = &g->n[n->sub[i]];

		for (j = 0; j < s->nin && j < 8; j++) {
			int ti = s->in[j];

			v[j] = 0;
			if (ti < 0)
				continue;
			if (ti == n->sub_in) {
				v[j] = xv;
				continue;
			}
			for (k = 0; k < i; k++)
				if (g->n[n->sub[k]].out[0] == ti)
					break;
			v[j] = k < i ? val[k] : const_f32(&g->t[ti]);
		}
		val[i] = npuc_evalf(s, v);
	}
	return val[n->nsub - 1];
}

/* Which input of a pointwise node is the runtime one (the others must
 * be single-value constants); -1 if not exactly one. */
static int runtime_input(struct npuc_graph *g, const struct npuc_node *n)
{
	int i, r = -1;

	for (i = 0; i < n->nin; i++) {
		struct npuc_tensor *t = in_t(g, n, i);

		if (!t)
			continue;
		if (t->data) {
			if (npuc_tensor_elements(t) != 1)
				return -1;
			continue;
		}
		if (r >= 0 && n->in[r] != n->in[i])
			return -1;
		r = i;
	}
	return r;
}

/* ELTWISE MUL's binary32 scale (rm_npu_commands.md 6.1): Sa * Sb / Sc. */
static float elt_mul_scale(const struct npuc_tensor *a,
			   const struct npuc_tensor *b,
			   const struct npuc_tensor *o)
{
	float sa = (float)a->q.scale[0], sb = (float)b->q.scale[0];
	float sc = (float)o->q.scale[0];

	return sa * sb / sc;
}

/*
 * The node that multiplies table @n's input by its output, when it is
 * the only reader of that output and the product a plain ELTWISE MUL of
 * two same-shaped tensors (lower_eltwise()'s binary32 form): then
 * Mul(x, f(x)) is a function of x alone. Hardswish comes as HardSigmoid
 * then Mul this way: mobilenet_v3's every activation. NULL otherwise.
 */
static struct npuc_node *mul_after(struct lctx *x, const struct npuc_node *n,
				   int r)
{
	struct npuc_graph *g = x->g;
	struct npuc_tensor *in = in_t(g, n, r), *o = out_t(g, n, 0), *mo;
	struct npuc_node *m = NULL;
	int i, j, uses = 0;

	if (n->nout != 1 || ts_of(x, o)->out_slot >= 0)
		return NULL;
	for (i = 0; i < g->norder; i++) {
		struct npuc_node *c = &g->n[g->order[i]];

		for (j = 0; !c->dead && j < c->nin; j++)
			if (c->in[j] == n->out[0]) {
				uses++;
				m = c;
			}
	}
	if (uses != 1 || !IS_OP(m, MUL) || m->nin != 2 ||
	    !((m->in[0] == n->in[r] && m->in[1] == n->out[0]) ||
	      (m->in[1] == n->in[r] && m->in[0] == n->out[0])))
		return NULL;
	mo = out_t(g, m, 0);
	if (!mo || mo->elem != in->elem || o->elem != in->elem ||
	    !mo->q.elem || !quant_per_tensor(&mo->q) || mo->ndim != in->ndim)
		return NULL;
	for (i = 0; i < in->ndim; i++)
		if (mo->dims[i] != in->dims[i])
			return NULL;
	return m;
}

/*
 * @table (input value j -> f(j)) becomes j -> Mul(j, f(j)) of @m, each
 * entry as the ELTWISE command computes it (rm_npu_commands.md 6.1,
 * MUL): the same bytes as the two commands.
 */
static void mul_table(struct npuc_graph *g, const struct npuc_tensor *in,
		      const struct npuc_tensor *f, const struct npuc_node *m,
		      uint8_t table[256])
{
	const struct npuc_tensor *mo = out_t(g, m, 0);
	float s = elt_mul_scale(in, f, mo), y;
	int j, a, b, lo = type_min(mo->elem), hi = type_max(mo->elem);

	for (j = 0; j < 256; j++) {
		a = idx_value(in->elem, j);
		b = f->elem == NPUC_INT8 ? (int8_t)table[j] : table[j];
		/* |v| <= 255 * 255: exact in binary32 */
		y = (float)((a - in->q.zp[0]) * (b - f->q.zp[0])) * s;
		y = nearbyintf(y + (float)mo->q.zp[0]);
		table[j] = (uint8_t)(y < (float)lo ? lo : y > (float)hi ? hi :
				     (int)y);
	}
}

int lower_lut(struct lctx *x, struct npuc_node *n)
{
	struct npuc_node *m = NULL;
	struct npuc_graph *g = x->g;
	struct npuc_tensor *in, *o = out_t(g, n, 0);
	uint8_t table[256];
	enum layout lay;
	struct loc li, lo;
	int r, i, j, ret;

	if (IS_OP(n, REQUANT))
		return requant_into(x, in_t(g, n, 0), o);
	r = IS_OP(n, LUT) ? 0 : runtime_input(g, n);
	in = r >= 0 ? in_t(g, n, r) : NULL;
	if (!in || !o || !is_q8(in->elem) || !is_q8(o->elem))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): a table needs one "
				"int8/uint8 input (others single constants) "
				"and an int8/uint8 output", n->name, n->op);
	if (!in->q.elem != !o->q.elem ||
	    (in->q.elem && (!quant_per_tensor(&in->q) ||
			    !quant_per_tensor(&o->q))))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): quantization per "
				"channel or on one side only", n->name, n->op);
	if (!in->q.elem && (in->elem != o->elem || !(IS_OP(n, RELU) ||
		IS_OP(n, CLIP) || IS_OP(n, MAX) || IS_OP(n, MIN))))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): integer "
				"arithmetic that may overflow", n->name, n->op);
	for (j = 0; j < 256; j++) {
		int xi = idx_value(in->elem, j);

		if (!in->q.elem) {	/* integer semantics: exact in range */
			double v[8], y;

			for (i = 0; i < n->nin && i < 8; i++)
				v[i] = !in_t(g, n, i) ? 0 :
				       n->in[i] == n->in[r] ? xi :
				       cval(in_t(g, n, i), 0);
			y = n->def->eval1(n, v);
			y = y < type_min(o->elem) ? type_min(o->elem) :
			    y > type_max(o->elem) ? type_max(o->elem) : y;
			table[j] = (uint8_t)(int)y;
		} else if (IS_OP(n, LUT)) {
			table[j] = (uint8_t)ort_quant(&o->q, eval_chain(g, n,
					ort_dequant(&in->q, xi)));
		} else {
			float v[8], xv = ort_dequant(&in->q, xi);

			for (i = 0; i < n->nin && i < 8; i++)
				v[i] = !in_t(g, n, i) ? 0 :
				       n->in[i] == n->in[r] ? xv :
				       const_f32(in_t(g, n, i));
			table[j] = (uint8_t)ort_quant(&o->q, npuc_evalf(n, v));
		}
	}
	if (in->q.elem)
		m = mul_after(x, n, r);
	if (m) {
		mul_table(g, in, o, m, table);
		o = out_t(g, m, 0);
	}
	if ((ret = get_any(x, in, true, &li, &lay)) ||
	    (ret = alloc_out(x, o, lay, &lo)))
		return ret;
	ret = emit_lut(x, li, lo, npuc_tensor_elements(in), in->elem, table);
	if (!ret && m) {
		m->merged = true;
		note(x, "(\"%s\" too)", m->name);
	}
	return ret;
}

/* ---- ELTWISE over a broadcast grid ---------------------------------------------- */

struct operand {
	struct loc l;
	int64_t s[NPUC_MAX_DIMS];	/* per output axis, elements */
};

/* Strides of @t (stored in @lay) along the output's axes (0: broadcast). */
static void bstrides(const struct npuc_tensor *t, enum layout lay,
		     const struct npuc_tensor *o, int64_t *s)
{
	int64_t ps[NPUC_MAX_DIMS];
	int k, off = o->ndim - t->ndim;

	phys_strides(t, lay, ps);
	for (k = 0; k < o->ndim; k++) {
		int tk = k - off;

		s[k] = tk < 0 || t->dims[tk] == 1 ? 0 : ps[tk];
	}
}

static int elt_cmd(struct lctx *x, const struct rm_npu_cmd *proto,
		   struct operand *a, struct operand *b, struct loc out,
		   uint64_t rows, uint64_t cols, int64_t ars, int64_t acs,
		   int64_t brs, int64_t bcs, int64_t ors)
{
	struct rm_npu_cmd c = *proto;

	if (ars > UINT32_MAX || acs > UINT32_MAX || brs > UINT32_MAX ||
	    bcs > UINT32_MAX || ors > UINT32_MAX)
		return npuc_err(-EOPNOTSUPP, "element-wise strides above 2^32");
	c.eltwise.a.ref.bo = a->l.slot;
	c.eltwise.a.ref.offset = a->l.off;
	c.eltwise.a.row_stride = (uint32_t)(rows > 1 ? ars : 0);
	c.eltwise.a.col_stride = (uint32_t)acs;
	c.eltwise.b.ref.bo = b->l.slot;
	c.eltwise.b.ref.offset = b->l.off;
	c.eltwise.b.row_stride = (uint32_t)(rows > 1 ? brs : 0);
	c.eltwise.b.col_stride = (uint32_t)bcs;
	c.eltwise.out.bo = out.slot;
	c.eltwise.out.offset = out.off;
	c.eltwise.rows = (uint32_t)rows;
	c.eltwise.cols = (uint32_t)cols;
	c.eltwise.out_row_stride = (uint32_t)(rows > 1 ? ors : (int64_t)cols);
	return emit(x, &c);
}

/* The loop nest (outermost first) cut into ELTWISE commands. */
static int elt_nest(struct lctx *x, const struct rm_npu_cmd *proto,
		    struct operand a, struct operand b, struct loc out,
		    int nd, const uint64_t *dims, const int64_t *as,
		    const int64_t *bs, const int64_t *os)
{
	uint64_t i, rows, cols;
	int ret;

	if (nd > 2) {
		for (i = 0; i < dims[0]; i++) {
			struct operand a1 = a, b1 = b;
			struct loc o1 = out;

			a1.l.off += i * (uint64_t)as[0];
			b1.l.off += i * (uint64_t)bs[0];
			o1.off += i * (uint64_t)os[0];
			ret = elt_nest(x, proto, a1, b1, o1, nd - 1, dims + 1,
				       as + 1, bs + 1, os + 1);
			if (ret)
				return ret;
		}
		return 0;
	}
	if (nd == 1) {
		/* one contiguous run: rows of 4096 and a remainder */
		uint64_t n = dims[0], bulk = n / 4096;

		if (n <= RM_NPU_MAX_DIM)
			return elt_cmd(x, proto, &a, &b, out, 1, n, 0, as[0], 0,
				       bs[0], 0);
		for (i = 0; i < bulk; i += RM_NPU_MAX_DIM) {
			uint64_t r = bulk - i < RM_NPU_MAX_DIM ?
				     bulk - i : RM_NPU_MAX_DIM;
			struct operand a1 = a, b1 = b;
			struct loc o1 = out;

			a1.l.off += i * 4096 * (uint64_t)as[0];
			b1.l.off += i * 4096 * (uint64_t)bs[0];
			o1.off += i * 4096;
			ret = elt_cmd(x, proto, &a1, &b1, o1, r, 4096,
				      4096 * as[0], as[0], 4096 * bs[0], bs[0],
				      4096);
			if (ret)
				return ret;
		}
		if (n % 4096) {
			a.l.off += bulk * 4096 * (uint64_t)as[0];
			b.l.off += bulk * 4096 * (uint64_t)bs[0];
			out.off += bulk * 4096;
			return elt_cmd(x, proto, &a, &b, out, 1, n % 4096, 0,
				       as[0], 0, bs[0], 0);
		}
		return 0;
	}
	rows = dims[0];
	cols = dims[1];
	if (cols > RM_NPU_MAX_DIM)
		return npuc_err(-EOPNOTSUPP, "element-wise rows above 65536 "
				"elements");
	for (i = 0; i < rows; i += RM_NPU_MAX_DIM) {
		uint64_t r = rows - i < RM_NPU_MAX_DIM ? rows - i :
			     RM_NPU_MAX_DIM;
		struct operand a1 = a, b1 = b;
		struct loc o1 = out;

		a1.l.off += i * (uint64_t)as[0];
		b1.l.off += i * (uint64_t)bs[0];
		o1.off += i * (uint64_t)os[0];
		ret = elt_cmd(x, proto, &a1, &b1, o1, r, cols, as[0], as[1],
			      bs[0], bs[1], os[0]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The forms of @lead and @other, operands of an element-wise command
 * into @o: @lead's (any form when it has @o's shape) decides the layout,
 * and @other follows it when it has @o's shape too.
 */
static int elt_forms(struct lctx *x, const struct npuc_tensor *o,
		     struct npuc_tensor *lead, struct loc *ll,
		     enum layout *lla, struct npuc_tensor *other,
		     struct loc *ol, enum layout *ola)
{
	int ret = get_any(x, lead, same_shape(lead, o), ll, lla);

	if (ret)
		return ret;
	if (same_shape(other, o) && *lla == LAY_NHWC) {
		*ola = LAY_NHWC;
		return get_nhwc(x, other, ol);
	}
	return get_any(x, other, false, ol, ola);
}

/* a OP b into o with broadcasting: the nest over o's physical order,
 * unit dimensions dropped and contiguous ones merged. */
static int elt_grid(struct lctx *x, const struct rm_npu_cmd *proto,
		    struct npuc_tensor *ta, struct npuc_tensor *tb,
		    struct npuc_tensor *o)
{
	struct operand a, b;
	int64_t os[NPUC_MAX_DIMS], as[NPUC_MAX_DIMS], bs[NPUC_MAX_DIMS];
	int64_t oo[NPUC_MAX_DIMS], ao[NPUC_MAX_DIMS], bo[NPUC_MAX_DIMS];
	uint64_t dims[NPUC_MAX_DIMS];
	int perm[NPUC_MAX_DIMS], k, j, nd = 0, ret;
	enum layout la, lb, lay;
	struct loc lo;

	/*
	 * The full-size operand decides the layout, @ta when both are: a
	 * broadcast one (squeeze-and-excitation's per-channel scale times
	 * an NHWC tensor) then reads in place with stride 0, rather than
	 * the tensor going to NCHW and back around the command.
	 */
	if (same_shape(ta, o) || !same_shape(tb, o)) {
		ret = elt_forms(x, o, ta, &a.l, &la, tb, &b.l, &lb);
		lay = la;
	} else {
		ret = elt_forms(x, o, tb, &b.l, &lb, ta, &a.l, &la);
		lay = lb;
	}
	if (ret || (ret = alloc_out(x, o, lay, &lo)))
		return ret;
	if (lay == LAY_NHWC && layout_trivial(o))
		lay = LAY_RM;
	phys_strides(o, lay, os);
	bstrides(ta, la, o, as);
	bstrides(tb, lb, o, bs);
	/* physical order of the output: strides decreasing */
	for (k = 0; k < o->ndim; k++)
		perm[k] = k;
	for (k = 1; k < o->ndim; k++)
		for (j = k; j > 0 && os[perm[j - 1]] < os[perm[j]]; j--) {
			int t = perm[j];

			perm[j] = perm[j - 1];
			perm[j - 1] = t;
		}
	for (k = 0; k < o->ndim; k++) {
		int p = perm[k];
		uint64_t d = (uint64_t)o->dims[p];

		if (d == 1)
			continue;
		if (nd && oo[nd - 1] == (int64_t)d * os[p] &&
		    ao[nd - 1] == (int64_t)d * as[p] &&
		    bo[nd - 1] == (int64_t)d * bs[p]) {
			dims[nd - 1] *= d;
			oo[nd - 1] = os[p];
			ao[nd - 1] = as[p];
			bo[nd - 1] = bs[p];
			continue;
		}
		dims[nd] = d;
		oo[nd] = os[p];
		ao[nd] = as[p];
		bo[nd++] = bs[p];
	}
	if (!nd) {
		dims[0] = 1;
		oo[0] = ao[0] = bo[0] = 1;
		nd = 1;
	}
	if (oo[nd - 1] != 1)
		return npuc_err(-EINVAL, "element-wise output not dense "
				"(internal error)");
	return elt_nest(x, proto, a, b, lo, nd, dims, ao, bo, oo);
}


/*
 * Quantized Add and Mul in float32, as onnxruntime's QLinearAdd (AVX2:
 * fused multiply-adds of each input by its scale ratio onto a fixed part
 * holding the zero points; an input broadcast across the innermost run
 * rounds its product separately) and QLinearMul ((a - za)(b - zb) times
 * one ratio, plus the zero point, rounded): see rm_npu_commands.md.
 */
static int elt_f32(struct lctx *x, struct rm_npu_cmd *c,
		   struct npuc_tensor *a, struct npuc_tensor *b,
		   struct npuc_tensor *o)
{
	float sa = (float)a->q.scale[0], sb = (float)b->q.scale[0];
	float sc = (float)o->q.scale[0];
	int k;

	c->flags = RM_NPU_ELT_F32;
	if (c->eltwise.op == RM_NPU_ELT_MUL) {
		c->eltwise.a.zero_point = a->q.zp[0];
		c->eltwise.b.zero_point = b->q.zp[0];
		c->eltwise.rq.mult = f32_bits(elt_mul_scale(a, b, o));
		c->eltwise.rq.zero_point = o->q.zp[0];
	} else {
		float rac = sa / sc, rbc = sb / sc;
		float fixed = (float)o->q.zp[0] - (rac * (float)a->q.zp[0] +
						   rbc * (float)b->q.zp[0]);

		c->eltwise.a.mult = f32_bits(rac);
		c->eltwise.b.mult = f32_bits(rbc);
		c->eltwise.rq.mult = f32_bits(fixed);
		/* the innermost run of the output: a broadcast operand is
		 * one value there */
		for (k = o->ndim - 1; k >= 0 && o->dims[k] == 1; k--)
			;
		if (k >= 0) {
			int ka = k - (o->ndim - a->ndim);
			int kb = k - (o->ndim - b->ndim);

			if (kb < 0 || b->dims[kb] == 1)
				c->flags |= RM_NPU_ELT_F32_SCALAR_B;
			else if (ka < 0 || a->dims[ka] == 1)
				c->flags |= RM_NPU_ELT_F32_SCALAR_A;
		}
	}
	note(x, "(float32)");
	return elt_grid(x, c, a, b, o);
}

int lower_eltwise(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *a = in_t(x->g, n, 0), *b = in_t(x->g, n, 1);
	struct npuc_tensor *o = out_t(x->g, n, 0);
	struct rm_npu_cmd c;
	int op = IS_OP(n, ADD) ? RM_NPU_ELT_ADD : IS_OP(n, SUB) ?
		 RM_NPU_ELT_SUB : RM_NPU_ELT_MUL;
	int ret;

	if (!a || !b || !o)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	if ((a->data && npuc_tensor_elements(a) == 1) ||
	    (b->data && npuc_tensor_elements(b) == 1) || n->in[0] == n->in[1])
		return lower_lut(x, n);		/* a function of one tensor */
	if (!is_q8(a->elem) || a->elem != b->elem || a->elem != o->elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): operands %s, %s "
				"and output %s; the NPU adds int8 or uint8 "
				"alike", n->name, n->op,
				npuc_elem_name(a->elem),
				npuc_elem_name(b->elem),
				npuc_elem_name(o->elem));
	if (!a->q.elem != !b->q.elem || !a->q.elem != !o->q.elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): quantized and "
				"plain integer operands mixed", n->name, n->op);
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_ELTWISE;
	c.eltwise.op = (uint32_t)op;
	c.eltwise.dtype = (uint32_t)dt_of(o->elem);
	c.eltwise.rq.act_min = type_min(o->elem);
	c.eltwise.rq.act_max = type_max(o->elem);
	if (!a->q.elem) {
		/* integer semantics: exact while the result fits (the NPU
		 * saturates where ONNX wraps around) */
		if (op == RM_NPU_ELT_MUL) {	/* v * 2^30 * 2^(1 - 31) */
			c.eltwise.rq.mult = 1 << 30;
			c.eltwise.rq.shift = 1;
		} else {		/* each scaled by 2^19; v * 2^-19 */
			c.eltwise.a.mult = c.eltwise.b.mult = 1 << 30;
			c.eltwise.rq.mult = 1 << 30;
			c.eltwise.rq.shift = -18;
		}
		note(x, "(saturating)");
	} else if (op != RM_NPU_ELT_SUB && quant_per_tensor(&a->q) &&
		   quant_per_tensor(&b->q) && quant_per_tensor(&o->q)) {
		return elt_f32(x, &c, a, b, o);
	} else {
		double sa, sb, sc, big;

		if (!quant_per_tensor(&a->q) || !quant_per_tensor(&b->q) ||
		    !quant_per_tensor(&o->q))
			return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): "
					"per-channel quantization", n->name,
					n->op);
		sa = a->q.scale[0];
		sb = b->q.scale[0];
		sc = o->q.scale[0];
		c.eltwise.a.zero_point = a->q.zp[0];
		c.eltwise.b.zero_point = b->q.zp[0];
		c.eltwise.rq.zero_point = o->q.zp[0];
		if (op == RM_NPU_ELT_MUL) {
			ret = npuc_quantize_multiplier(sa * sb / sc,
						       &c.eltwise.rq.mult,
						       &c.eltwise.rq.shift);
		} else {
			big = 2 * (sa > sb ? sa : sb);
			ret = npuc_quantize_multiplier_le1(sa / big,
							   &c.eltwise.a.mult,
							   &c.eltwise.a.shift);
			if (!ret)
				ret = npuc_quantize_multiplier_le1(
					sb / big, &c.eltwise.b.mult,
					&c.eltwise.b.shift);
			if (!ret)
				ret = npuc_quantize_multiplier(
					big / (sc * 1048576.0),
					&c.eltwise.rq.mult, &c.eltwise.rq.shift);
		}
		if (ret)
			return ret;
	}
	/* the larger operand first: its layout is kept */
	if (npuc_tensor_elements(b) > npuc_tensor_elements(a)) {
		struct rm_npu_elt_input t = c.eltwise.a;
		struct npuc_tensor *tt = a;

		if (op == RM_NPU_ELT_SUB)
			return elt_grid(x, &c, a, b, o);
		c.eltwise.a = c.eltwise.b;
		c.eltwise.b = t;
		a = b;
		b = tt;
	}
	return elt_grid(x, &c, a, b, o);
}
