// SPDX-License-Identifier: MIT
/*
 * lower_move.c - data movement on the NPU: the moves a row describes
 * (ops_shape.c) become COPY and FILL commands over the physical layouts
 * the tensors have (row-major or NHWC), so a Concat of NHWC convolution
 * outputs along channels stays NHWC with no layout round trip. Inputs
 * quantized differently from the output are requantized by a table
 * first (QLinearConcat). Reshape-like operators are views of the
 * row-major bytes: no command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

struct move_ctx {
	struct lctx *x;
	struct npuc_node *n;
	struct loc src[32];
	enum layout slay[32];
	struct loc dst[8];
	enum layout dlay[8];
};

static bool same_quant(const struct npuc_tensor *a, const struct npuc_tensor *b)
{
	return a->elem == b->elem && (!a->q.elem == !b->q.elem) &&
	       (!a->q.elem || quant_equal(&a->q, &b->q));
}

static int do_move(void *arg, const struct mview *v)
{
	struct move_ctx *m = arg;
	struct npuc_graph *g = m->x->g;
	struct npuc_tensor *o = out_t(g, m->n, v->out);
	struct npuc_tensor *in = v->src >= 0 ? in_t(g, m->n, v->src) : NULL;
	int64_t os[NPUC_MAX_DIMS], is[NPUC_MAX_DIMS], ss[MV_MAX], ds[MV_MAX];
	int64_t ob = 0, ib = 0, e = (int64_t)npuc_elem_size(o->elem);
	struct loc s, d;
	int k;

	phys_strides(o, m->dlay[v->out], os);
	if (in)
		phys_strides(in, m->slay[v->src], is);
	for (k = 0; k < o->ndim; k++)
		ob += v->ostart[k] * os[k];
	for (k = 0; in && k < in->ndim; k++)
		ib += v->istart[k] * is[k];
	for (k = 0; k < v->nd; k++) {
		ds[k] = (v->oax[k] >= 0 ? v->ocoef[k] * os[v->oax[k]] : 0) * e;
		ss[k] = (in && v->iax[k] >= 0 ?
			 v->icoef[k] * is[v->iax[k]] : 0) * e;
	}
	d = m->dst[v->out];
	d.off += (uint64_t)(ob * e);
	if (!in) {
		uint64_t cnt = 1, used = 0;
		int64_t expect = e;

		/* a fill must be one dense run in some order of its
		 * dimensions (Pad fills the whole output) */
		while (used != (1ull << v->nd) - 1) {
			int best = -1;

			for (k = 0; k < v->nd; k++)
				if (!(used & (1ull << k)) &&
				    (best < 0 || ds[k] < ds[best]))
					best = k;
			used |= 1ull << best;
			if (v->dims[best] == 1)
				continue;
			if (ds[best] != expect)
				return npuc_err(-EOPNOTSUPP, "node \"%s\": a "
						"strided fill", m->n->name);
			expect *= (int64_t)v->dims[best];
			cnt *= v->dims[best];
		}
		return fill_bytes(m->x, d, cnt, (uint32_t)e, v->fill);
	}
	s = m->src[v->src];
	s.off = (uint64_t)((int64_t)s.off + ib * e);
	return copy_nd(m->x, s, d, (uint32_t)e, v->nd, v->dims, ss, ds);
}

/* NHWC in, NHWC out for operators that keep the axes' meaning. */
static bool keeps_axes(const struct npuc_node *n)
{
	return !IS_OP(n, TRANSPOSE) && !IS_OP(n, GATHER);
}

int lower_move(struct lctx *x, struct npuc_node *n)
{
	struct npuc_graph *g = x->g;
	struct move_ctx m;
	bool nhwc_all = keeps_axes(n);
	int i, j, ret;

	if (!n->def->views)
		return lower_alias(x, n);
	if (n->nin > 32 || n->nout > 8)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": too many operands",
				n->name);
	memset(&m, 0, sizeof(m));
	m.x = x;
	m.n = n;
	/* sources: requantized to the output's when they differ */
	for (i = 0; i < n->nin; i++) {
		struct npuc_tensor *t = in_t(g, n, i), *o = out_t(g, n, 0);

		if (!t || (n->def->params & (1u << i)))
			continue;
		if (o && !same_quant(t, o) && !t->data) {
			uint8_t table[256];
			struct loc l;
			enum layout lay;

			if (!is_q8(t->elem) || !is_q8(o->elem) || !t->q.elem ||
			    !o->q.elem || !quant_per_tensor(&t->q) ||
			    !quant_per_tensor(&o->q))
				return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): "
						"inputs and output differ in "
						"type or quantization", n->name,
						n->op);
			requant_table(&t->q, &o->q, table);
			if ((ret = get_any(x, t, true, &l, &lay)) ||
			    (ret = vbuf_new(x, tbytes(t), &m.src[i])) ||
			    (ret = emit_lut(x, l, m.src[i],
					    npuc_tensor_elements(t), t->elem,
					    table)))
				return ret;
			m.slay[i] = lay;
		} else if (o && !same_quant(t, o)) {
			return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): a constant "
					"input quantized differently", n->name,
					n->op);
		} else {
			ret = get_any(x, t, keeps_axes(n), &m.src[i],
				      &m.slay[i]);
			if (ret)
				return ret;
		}
		if (m.slay[i] != LAY_NHWC || t->ndim != out_t(g, n, 0)->ndim ||
		    layout_trivial(t))
			nhwc_all = false;
	}
	for (j = 0; j < n->nout; j++) {
		struct npuc_tensor *o = out_t(g, n, j);

		if (!o)
			continue;
		m.dlay[j] = nhwc_all && !layout_trivial(o) ? LAY_NHWC : LAY_RM;
		if ((ret = alloc_out(x, o, m.dlay[j], &m.dst[j])))
			return ret;
	}
	return n->def->views(g, n, do_move, &m);
}

/* Reshape, Flatten, Squeeze, Unsqueeze, Identity: the row-major bytes. */
int lower_alias(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(x->g, n, 0), *o = out_t(x->g, n, 0);
	struct tstate *so;
	struct loc l;
	int ret;

	if (!in || !o)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	if (!same_quant(in, o)) {
		struct loc lt;
		uint8_t table[256];

		if (!is_q8(in->elem) || !is_q8(o->elem) || !in->q.elem ||
		    !o->q.elem || !quant_per_tensor(&in->q) ||
		    !quant_per_tensor(&o->q))
			return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): input "
					"and output differ in type or "
					"quantization", n->name, n->op);
		requant_table(&in->q, &o->q, table);
		if ((ret = get_rm(x, in, &l)) ||
		    (ret = alloc_out(x, o, LAY_RM, &lt)))
			return ret;
		note(x, "(requantized)");
		return emit_lut(x, l, lt, npuc_tensor_elements(in), in->elem,
				table);
	}
	if ((ret = get_rm(x, in, &l)))
		return ret;
	so = ts_of(x, o);
	if (o->is_output && so->out_slot >= 0) {
		/* into the output slot now: nothing to copy at the end */
		struct loc lo;

		if ((ret = alloc_out(x, o, LAY_RM, &lo)))
			return ret;
		return copy_bytes(x, l, lo, tbytes(o));
	}
	ret = alias_out(x, o, in);
	if (ret)
		return ret;
	/* the input's NHWC form is not the output's */
	so->has_nhwc = layout_trivial(o);
	so->nhwc = so->rm;
	note(x, "view");
	return 0;
}
