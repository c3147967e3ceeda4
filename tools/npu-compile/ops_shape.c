// SPDX-License-Identifier: MIT
/*
 * ops_shape.c - shape arithmetic and data movement: Constant, Shape,
 * ConstantOfShape, Range, Reshape, Flatten, Squeeze, Unsqueeze, Identity,
 * Transpose, Slice, Concat, Split, Gather, Expand, Tile, Pad, Resize
 * (nearest, integer factors).
 *
 * Each movement operator describes its output as moves (struct mview:
 * loop nests over logical coordinates); fold_moves() runs them over
 * constants and lower_move.c turns them into COPY and FILL commands over
 * whatever physical layout the tensors have. Reshape-like operators have
 * no moves: their output is the input's row-major bytes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npuc_ir.h"
#include "npuc_ops.h"

static int norm_axis(const struct npuc_node *n, int64_t *axis, int rank,
		     bool inclusive)
{
	if (*axis < 0)
		*axis += rank;
	if (*axis < 0 || *axis > rank - (inclusive ? 0 : 1))
		return npuc_err(-EINVAL, "node \"%s\" (%s): axis out of range "
				"for rank %d", n->name, n->op, rank);
	return 0;
}

/* Integer values of constant input @i (at most @max). */
static int const_ints(struct npuc_graph *g, const struct npuc_node *n, int i,
		      const char *what, int64_t *v, int max)
{
	struct npuc_tensor *t = in_t(g, n, i);
	uint64_t cnt, k;
	int ret = need_const(n, t, what);

	if (ret)
		return ret;
	if (!is_int(t->elem))
		return npuc_err(-EINVAL, "node \"%s\" (%s): %s must be an "
				"integer tensor", n->name, n->op, what);
	cnt = npuc_tensor_elements(t);
	if (cnt > (uint64_t)max)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %s has %llu values",
				n->name, n->op, what, (unsigned long long)cnt);
	for (k = 0; k < cnt; k++)
		v[k] = cval_i(t, k);
	return (int)cnt;
}

void mview_init(struct mview *v, int src, int out, const struct npuc_tensor *t)
{
	int k;

	memset(v, 0, sizeof(*v));
	v->src = src;
	v->out = out;
	v->nd = t->ndim;
	for (k = 0; k < t->ndim; k++) {
		v->dims[k] = (uint64_t)t->dims[k];
		v->oax[k] = (int8_t)k;
		v->iax[k] = (int8_t)k;
		v->ocoef[k] = 1;
		v->icoef[k] = 1;
	}
}

/* ---- folding by moves ------------------------------------------------------ */

struct fold_arg {
	struct npuc_graph *g;
	struct npuc_node *n;
	uint8_t *out[8];
};

static void rm_strides(const struct npuc_tensor *t, int64_t *s)
{
	int64_t acc = 1;
	int k;

	for (k = t->ndim - 1; k >= 0; k--) {
		s[k] = acc;
		acc *= t->dims[k];
	}
}

static int fold_one(void *arg, const struct mview *v)
{
	struct fold_arg *a = arg;
	struct npuc_tensor *o = out_t(a->g, a->n, v->out);
	struct npuc_tensor *in = v->src >= 0 ? in_t(a->g, a->n, v->src) : NULL;
	int64_t os[NPUC_MAX_DIMS], is[NPUC_MAX_DIMS], ob = 0, ib = 0;
	int64_t od[MV_MAX], id[MV_MAX];
	uint64_t idx[MV_MAX] = { 0 }, cnt = 1, e;
	size_t esz = npuc_elem_size(o->elem);
	int k;

	rm_strides(o, os);
	if (in)
		rm_strides(in, is);
	for (k = 0; k < o->ndim; k++)
		ob += v->ostart[k] * os[k];
	for (k = 0; in && k < in->ndim; k++)
		ib += v->istart[k] * is[k];
	for (k = 0; k < v->nd; k++) {
		od[k] = v->oax[k] >= 0 ? v->ocoef[k] * os[v->oax[k]] : 0;
		id[k] = in && v->iax[k] >= 0 ? v->icoef[k] * is[v->iax[k]] : 0;
		cnt *= v->dims[k];
	}
	for (e = 0; e < cnt; e++) {
		int64_t oo = ob, ii = ib;

		for (k = 0; k < v->nd; k++) {
			oo += (int64_t)idx[k] * od[k];
			ii += (int64_t)idx[k] * id[k];
		}
		if (in)
			memcpy(a->out[v->out] + oo * (int64_t)esz,
			       (const uint8_t *)in->data + ii * (int64_t)esz,
			       esz);
		else
			memcpy(a->out[v->out] + oo * (int64_t)esz, &v->fill,
			       esz);
		for (k = v->nd - 1; k >= 0; k--) {
			if (++idx[k] < v->dims[k])
				break;
			idx[k] = 0;
		}
	}
	return 0;
}

int fold_moves(struct npuc_graph *g, struct npuc_node *n)
{
	struct fold_arg a = { g, n, { NULL } };
	int i, ret;

	if (n->nout > 8)
		return -EOPNOTSUPP;
	for (i = 0; i < n->nout; i++) {
		struct npuc_tensor *o = out_t(g, n, i);

		if (!o)
			continue;
		a.out[i] = calloc(tbytes(o) ? tbytes(o) : 1, 1);
		if (!a.out[i]) {
			ret = npuc_err(-ENOMEM, "out of memory");
			goto out;
		}
	}
	if (!n->def->views) {		/* the same bytes */
		struct npuc_tensor *in = in_t(g, n, 0);

		memcpy(a.out[0], in->data, in->nbytes);
		ret = 0;
	} else {
		ret = n->def->views(g, n, fold_one, &a);
	}
	for (i = 0; !ret && i < n->nout; i++) {
		struct npuc_tensor *o = out_t(g, n, i);

		if (o) {
			ret = set_const(o, o->elem, o->ndim, o->dims, a.out[i]);
			a.out[i] = NULL;
		}
	}
out:
	for (i = 0; i < n->nout; i++)
		free(a.out[i]);
	return ret;
}

/* ---- constants and shapes ---------------------------------------------------- */

int infer_constant(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *o = out_t(g, n, 0), c;
	int64_t v[NPUC_MAX_DIMS * 64];
	void *d;
	int cnt, ret;

	if (!o)
		return 0;
	if (attr_has(n, "value")) {
		ret = attr_tensor(n, "value", &c);
		if (ret)
			return ret;
		ret = set_const(o, c.elem, c.ndim, c.dims, c.data);
		free(c.name);
		return ret;
	}
	if (attr_has(n, "value_float")) {
		float f = (float)attr_f(n, "value_float", 0);

		d = malloc(4);
		if (!d)
			return npuc_err(-ENOMEM, "out of memory");
		memcpy(d, &f, 4);
		return set_const(o, NPUC_FLOAT, 0, NULL, d);
	}
	if (attr_has(n, "value_int")) {
		int64_t i = attr_i(n, "value_int", 0);

		d = malloc(8);
		if (!d)
			return npuc_err(-ENOMEM, "out of memory");
		memcpy(d, &i, 8);
		return set_const(o, NPUC_INT64, 0, NULL, d);
	}
	cnt = attr_ints(n, "value_ints", v, (int)(sizeof(v) / sizeof(v[0])));
	if (cnt >= 0) {
		int64_t dim = cnt;

		d = malloc((size_t)(cnt ? cnt : 1) * 8);
		if (!d)
			return npuc_err(-ENOMEM, "out of memory");
		memcpy(d, v, (size_t)cnt * 8);
		return set_const(o, NPUC_INT64, 1, &dim, d);
	}
	return npuc_err(-EOPNOTSUPP, "node \"%s\" (Constant): only value, "
			"value_float, value_int and value_ints are supported",
			n->name);
}

int infer_shape_op(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *a, *o = out_t(g, n, 0);
	int64_t start = attr_i(n, "start", 0), end, dim, *d, k;
	int ret = need_in(g, n, 0, &a);

	if (ret || (ret = need_shape(n, a)))
		return ret;
	end = attr_i(n, "end", a->ndim);
	start = start < 0 ? start + a->ndim : start;
	end = end < 0 ? end + a->ndim : end;
	start = start < 0 ? 0 : start > a->ndim ? a->ndim : start;
	end = end < start ? start : end > a->ndim ? a->ndim : end;
	dim = end - start;
	d = malloc((size_t)(dim ? dim : 1) * 8);
	if (!d)
		return npuc_err(-ENOMEM, "out of memory");
	for (k = 0; k < dim; k++)
		d[k] = a->dims[start + k];
	return set_const(o, NPUC_INT64, 1, &dim, d);
}

int infer_constantofshape(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *o = out_t(g, n, 0), c;
	int64_t od[NPUC_MAX_DIMS];
	uint64_t cnt = 1, i;
	int32_t elem = NPUC_FLOAT;
	uint8_t val[8] = { 0 };
	size_t esz;
	uint8_t *d;
	int r, k, ret;

	r = const_ints(g, n, 0, "shape", od, NPUC_MAX_DIMS);
	if (r < 0)
		return r;
	if (attr_has(n, "value")) {
		ret = attr_tensor(n, "value", &c);
		if (ret)
			return ret;
		elem = c.elem;
		if (c.nbytes > 8 || npuc_tensor_elements(&c) != 1) {
			npuc_tensor_release(&c);
			return npuc_err(-EINVAL, "node \"%s\": value must hold "
					"one element", n->name);
		}
		memcpy(val, c.data, c.nbytes);
		npuc_tensor_release(&c);
	}
	for (k = 0; k < r; k++) {
		if (od[k] < 0 || od[k] > (int64_t)NPUC_MAX_ELEMENTS)
			return npuc_err(-EINVAL, "node \"%s\": dimension %lld",
					n->name, (long long)od[k]);
		cnt *= (uint64_t)od[k];
		if (cnt > NPUC_MAX_ELEMENTS)
			return npuc_err(-EINVAL, "node \"%s\": absurd shape",
					n->name);
	}
	esz = npuc_elem_size(elem);
	d = malloc(cnt ? cnt * esz : 1);
	if (!d)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < cnt; i++)
		memcpy(d + i * esz, val, esz);
	return set_const(o, elem, r, od, d);
}

int infer_range(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *t[3], *o = out_t(g, n, 0);
	double s, l, dl;
	int64_t cnt, i;
	uint8_t *d;
	size_t esz;
	int ret, k;

	for (k = 0; k < 3; k++)
		if ((ret = need_in(g, n, k, &t[k])) ||
		    (ret = need_const(n, t[k], "start, limit and delta")))
			return ret;
	s = cval(t[0], 0);
	l = cval(t[1], 0);
	dl = cval(t[2], 0);
	if (dl == 0)
		return npuc_err(-EINVAL, "node \"%s\" (Range): delta 0", n->name);
	cnt = (int64_t)ceil((l - s) / dl);
	cnt = cnt < 0 ? 0 : cnt;
	if (cnt > (int64_t)NPUC_MAX_ELEMENTS)
		return npuc_err(-EINVAL, "node \"%s\" (Range): %lld elements",
				n->name, (long long)cnt);
	esz = npuc_elem_size(t[0]->elem);
	d = malloc(cnt ? (size_t)cnt * esz : 1);
	if (!d)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < cnt; i++) {
		double v = s + (double)i * dl;

		if (t[0]->elem == NPUC_FLOAT) {
			float f = (float)v;

			memcpy(d + 4 * i, &f, 4);
		} else if (t[0]->elem == NPUC_DOUBLE) {
			memcpy(d + 8 * i, &v, 8);
		} else if (esz == 8) {
			int64_t x = cval_i(t[0], 0) + i * cval_i(t[2], 0);

			memcpy(d + 8 * i, &x, 8);
		} else {
			int32_t x = (int32_t)v;

			memcpy(d + esz * i, &x, esz);
		}
	}
	return set_const(o, t[0]->elem, 1, &cnt, d);
}

/* ---- reshape-like: the same bytes ------------------------------------------------ */

static int reshape_to(struct npuc_graph *g, struct npuc_node *n, int nd,
		      const int64_t *od)
{
	struct npuc_tensor *in = in_t(g, n, 0);
	uint64_t c = 1;
	int k;

	for (k = 0; k < nd; k++)
		c *= (uint64_t)od[k];
	if (npuc_tensor_elements(in) != c)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %llu elements "
				"cannot take the new shape", n->name, n->op,
				(unsigned long long)npuc_tensor_elements(in));
	return set_shape(out_t(g, n, 0), in->elem, nd, od);
}

int infer_identity(struct npuc_graph *g, struct npuc_node *n)
{
	return infer_same(g, n);
}

int infer_reshape(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t od[NPUC_MAX_DIMS], known = 1;
	uint64_t cnt;
	int nd, i, neg = -1, ret;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	nd = const_ints(g, n, 1, "shape", od, NPUC_MAX_DIMS);
	if (nd < 0)
		return nd;
	cnt = npuc_tensor_elements(in);
	for (i = 0; i < nd; i++) {
		if (od[i] == 0 && !attr_i(n, "allowzero", 0)) {
			if (i >= in->ndim)
				return npuc_err(-EINVAL, "node \"%s\": 0 beyond "
						"the input rank", n->name);
			od[i] = in->dims[i];
		}
		if (od[i] == -1) {
			if (neg >= 0)
				return npuc_err(-EINVAL, "node \"%s\": two -1",
						n->name);
			neg = i;
		} else if (od[i] < 0) {
			return npuc_err(-EINVAL, "node \"%s\": dimension %lld",
					n->name, (long long)od[i]);
		} else {
			/* checked before multiplying: a dimension may be up
			 * to 2^63 (found by fuzz_onnx) */
			if (od[i] && od[i] > (int64_t)NPUC_MAX_ELEMENTS / known)
				return npuc_err(-EINVAL, "node \"%s\": absurd "
						"shape", n->name);
			known *= od[i] ? od[i] : 1;
		}
	}
	if (neg >= 0)
		od[neg] = known ? (int64_t)cnt / known : 0;
	return reshape_to(g, n, nd, od);
}

int infer_flatten(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t ax = attr_i(n, "axis", 1), od[2] = { 1, 1 };
	int ret, i;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)) ||
	    (ret = norm_axis(n, &ax, in->ndim, true)))
		return ret;
	for (i = 0; i < in->ndim; i++)
		od[i < ax ? 0 : 1] *= in->dims[i];
	return reshape_to(g, n, 2, od);
}

/* Axes of Squeeze/Unsqueeze: input 1 (opset 13) or attribute. */
static int sq_axes(struct npuc_graph *g, const struct npuc_node *n,
		   int64_t *ax)
{
	if (in_t(g, n, 1))
		return const_ints(g, n, 1, "axes", ax, NPUC_MAX_DIMS);
	return attr_ints(n, "axes", ax, NPUC_MAX_DIMS);
}

int infer_squeeze(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t ax[NPUC_MAX_DIMS], od[NPUC_MAX_DIMS];
	uint32_t drop = 0;
	int cnt, ret, i, r = 0;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	cnt = sq_axes(g, n, ax);
	if (cnt < -1)
		return cnt;
	for (i = 0; i < cnt; i++) {
		if ((ret = norm_axis(n, &ax[i], in->ndim, false)))
			return ret;
		if (in->dims[ax[i]] != 1)
			return npuc_err(-EINVAL, "node \"%s\" (Squeeze): axis "
					"%lld is not 1", n->name,
					(long long)ax[i]);
		drop |= 1u << ax[i];
	}
	for (i = 0; i < in->ndim; i++)
		if (cnt < 0 ? in->dims[i] != 1 : !(drop & (1u << i)))
			od[r++] = in->dims[i];
	return reshape_to(g, n, r, od);
}

int infer_unsqueeze(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t ax[NPUC_MAX_DIMS], od[NPUC_MAX_DIMS];
	uint32_t add = 0;
	int cnt, ret, i, k = 0, r;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	cnt = sq_axes(g, n, ax);
	if (cnt < 0)
		return cnt < -1 ? cnt : npuc_err(-EINVAL, "node \"%s\": no axes",
						  n->name);
	r = in->ndim + cnt;
	if (r > NPUC_MAX_DIMS)
		return npuc_err(-EINVAL, "node \"%s\": rank %d", n->name, r);
	for (i = 0; i < cnt; i++) {
		if ((ret = norm_axis(n, &ax[i], r, false)))
			return ret;
		if (add & (1u << ax[i]))
			return npuc_err(-EINVAL, "node \"%s\": axis %lld twice",
					n->name, (long long)ax[i]);
		add |= 1u << ax[i];
	}
	for (i = 0; i < r; i++)
		od[i] = add & (1u << i) ? 1 : in->dims[k++];
	return reshape_to(g, n, r, od);
}

/* ---- transpose ------------------------------------------------------------------ */

static int perm_of(const struct npuc_node *n, int r, int64_t *perm)
{
	bool seen[NPUC_MAX_DIMS] = { false };
	int cnt = attr_ints(n, "perm", perm, NPUC_MAX_DIMS), i;

	if (cnt < -1)
		return cnt;
	if (cnt < 0)
		for (i = 0; i < r; i++)
			perm[i] = r - 1 - i;
	else if (cnt != r)
		return npuc_err(-EINVAL, "node \"%s\": perm of %d for rank %d",
				n->name, cnt, r);
	for (i = 0; i < r; i++) {
		if (perm[i] < 0 || perm[i] >= r || seen[perm[i]])
			return npuc_err(-EINVAL, "node \"%s\": bad perm",
					n->name);
		seen[perm[i]] = true;
	}
	return 0;
}

int infer_transpose(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t perm[NPUC_MAX_DIMS], od[NPUC_MAX_DIMS];
	int ret, i;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)) ||
	    (ret = perm_of(n, in->ndim, perm)))
		return ret;
	for (i = 0; i < in->ndim; i++)
		od[i] = in->dims[perm[i]];
	return set_shape(out_t(g, n, 0), in->elem, in->ndim, od);
}

int views_transpose(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		    void *arg)
{
	struct npuc_tensor *o = out_t(g, n, 0);
	int64_t perm[NPUC_MAX_DIMS];
	struct mview v;
	int ret = perm_of(n, o->ndim, perm), i;

	if (ret)
		return ret;
	mview_init(&v, 0, 0, o);
	for (i = 0; i < o->ndim; i++)
		v.iax[i] = (int8_t)perm[i];
	return fn(arg, &v);
}

/* ---- slice ------------------------------------------------------------------------- */

struct slice {
	int64_t start[NPUC_MAX_DIMS], step[NPUC_MAX_DIMS], len[NPUC_MAX_DIMS];
};

/* ONNX Slice: clamp starts/ends per axis, count elements per step. */
static int slice_params(struct npuc_graph *g, const struct npuc_node *n,
			const struct npuc_tensor *in, struct slice *s)
{
	int64_t st[NPUC_MAX_DIMS], en[NPUC_MAX_DIMS], ax[NPUC_MAX_DIMS];
	int64_t sp[NPUC_MAX_DIMS];
	int cnt, k, i;

	for (k = 0; k < in->ndim; k++) {
		s->start[k] = 0;
		s->step[k] = 1;
		s->len[k] = in->dims[k];
	}
	cnt = const_ints(g, n, 1, "starts", st, NPUC_MAX_DIMS);
	if (cnt < 0)
		return cnt;
	if (const_ints(g, n, 2, "ends", en, NPUC_MAX_DIMS) != cnt)
		return npuc_err(-EINVAL, "node \"%s\" (Slice): starts and ends "
				"differ in length", n->name);
	for (i = 0; i < cnt; i++) {
		ax[i] = i;
		sp[i] = 1;
	}
	if (in_t(g, n, 3) &&
	    const_ints(g, n, 3, "axes", ax, NPUC_MAX_DIMS) != cnt)
		return npuc_err(-EINVAL, "node \"%s\" (Slice): axes", n->name);
	if (in_t(g, n, 4) &&
	    const_ints(g, n, 4, "steps", sp, NPUC_MAX_DIMS) != cnt)
		return npuc_err(-EINVAL, "node \"%s\" (Slice): steps", n->name);
	for (i = 0; i < cnt; i++) {
		int64_t a = ax[i] < 0 ? ax[i] + in->ndim : ax[i], d, b, e;

		if (a < 0 || a >= in->ndim || !sp[i])
			return npuc_err(-EINVAL, "node \"%s\" (Slice): axis "
					"%lld, step %lld", n->name,
					(long long)ax[i], (long long)sp[i]);
		d = in->dims[a];
		b = st[i] < 0 ? st[i] + d : st[i];
		e = en[i] < 0 ? en[i] + d : en[i];
		if (sp[i] > 0) {
			b = b < 0 ? 0 : b > d ? d : b;
			e = e < 0 ? 0 : e > d ? d : e;
			s->len[a] = e > b ? (e - b + sp[i] - 1) / sp[i] : 0;
		} else {
			b = b < 0 ? -1 : b > d - 1 ? d - 1 : b;
			e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
			s->len[a] = b > e ? (b - e - sp[i] - 1) / -sp[i] : 0;
		}
		s->start[a] = b;
		s->step[a] = sp[i];
	}
	return 0;
}

int infer_slice(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	struct slice s;
	int ret;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)) ||
	    (ret = slice_params(g, n, in, &s)))
		return ret;
	return set_shape(out_t(g, n, 0), in->elem, in->ndim, s.len);
}

int views_slice(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		void *arg)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	struct slice s;
	struct mview v;
	int ret = slice_params(g, n, in, &s), k;

	if (ret || !npuc_tensor_elements(o))
		return ret;
	mview_init(&v, 0, 0, o);
	for (k = 0; k < o->ndim; k++) {
		v.icoef[k] = s.step[k];
		v.istart[k] = s.start[k];
	}
	return fn(arg, &v);
}

/* ---- concat and split ------------------------------------------------------------ */

int infer_concat(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *first = NULL, *t;
	int64_t ax = attr_i(n, "axis", INT64_MAX), od[NPUC_MAX_DIMS];
	int ret, i, k;

	for (i = 0; i < n->nin; i++) {
		if ((ret = need_in(g, n, i, &t)) || (ret = need_shape(n, t)))
			return ret;
		if (!first) {
			first = t;
			if (ax == INT64_MAX)
				return npuc_err(-EINVAL, "node \"%s\": Concat "
						"needs axis", n->name);
			if ((ret = norm_axis(n, &ax, t->ndim, false)))
				return ret;
			memcpy(od, t->dims, sizeof(od));
			od[ax] = 0;
		}
		if (t->ndim != first->ndim || t->elem != first->elem)
			return npuc_err(-EINVAL, "node \"%s\": inputs differ in "
					"rank or type", n->name);
		for (k = 0; k < t->ndim; k++)
			if (k != ax && t->dims[k] != first->dims[k])
				return npuc_err(-EINVAL, "node \"%s\": inputs "
						"differ in shape", n->name);
		od[ax] += t->dims[ax];
	}
	if (!first)
		return npuc_err(-EINVAL, "node \"%s\": no input", n->name);
	return set_shape(out_t(g, n, 0), first->elem, first->ndim, od);
}

int views_concat(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg)
{
	struct npuc_tensor *o = out_t(g, n, 0);
	int64_t ax = attr_i(n, "axis", 0), off = 0;
	struct mview v;
	int i, ret;

	norm_axis(n, &ax, o->ndim, false);
	for (i = 0; i < n->nin; i++) {
		struct npuc_tensor *t = in_t(g, n, i);

		if (npuc_tensor_elements(t)) {
			mview_init(&v, i, 0, t);
			v.ostart[ax] = off;
			if ((ret = fn(arg, &v)))
				return ret;
		}
		off += t->dims[ax];
	}
	return 0;
}

/* Lengths of Split's outputs along the axis. */
static int split_lens(struct npuc_graph *g, const struct npuc_node *n,
		      const struct npuc_tensor *in, int64_t ax, int64_t *len)
{
	int64_t sum = 0;
	int cnt, i;

	if (in_t(g, n, 1)) {
		cnt = const_ints(g, n, 1, "split", len, NPUC_MAX_DIMS * 8);
	} else {
		cnt = attr_ints(n, "split", len, NPUC_MAX_DIMS * 8);
		if (cnt < 0 && cnt >= -1) {
			int64_t parts = attr_i(n, "num_outputs", n->nout);
			int64_t d = in->dims[ax], each;

			if (parts < 1 || parts != n->nout)
				return npuc_err(-EINVAL, "node \"%s\" (Split): "
						"%lld parts for %d outputs",
						n->name, (long long)parts,
						n->nout);
			each = (d + parts - 1) / parts;
			for (i = 0; i < parts; i++) {
				len[i] = d - sum < each ? d - sum : each;
				sum += len[i];
			}
			return 0;
		}
	}
	if (cnt < 0)
		return cnt;
	if (cnt != n->nout)
		return npuc_err(-EINVAL, "node \"%s\" (Split): %d lengths for "
				"%d outputs", n->name, cnt, n->nout);
	for (i = 0; i < cnt; i++) {
		if (len[i] < 0)
			return npuc_err(-EINVAL, "node \"%s\": negative split",
					n->name);
		sum += len[i];
	}
	if (sum != in->dims[ax])
		return npuc_err(-EINVAL, "node \"%s\" (Split): lengths sum to "
				"%lld, the axis is %lld", n->name,
				(long long)sum, (long long)in->dims[ax]);
	return 0;
}

int infer_split(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t ax = attr_i(n, "axis", 0), len[NPUC_MAX_DIMS * 8];
	int64_t od[NPUC_MAX_DIMS];
	int ret, i;

	if (n->nout > NPUC_MAX_DIMS * 8)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": %d outputs", n->name,
				n->nout);
	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)) ||
	    (ret = norm_axis(n, &ax, in->ndim, false)) ||
	    (ret = split_lens(g, n, in, ax, len)))
		return ret;
	memcpy(od, in->dims, sizeof(od));
	for (i = 0; i < n->nout; i++) {
		od[ax] = len[i];
		if (out_t(g, n, i) &&
		    (ret = set_shape(out_t(g, n, i), in->elem, in->ndim, od)))
			return ret;
	}
	return 0;
}

int views_split(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		void *arg)
{
	struct npuc_tensor *in = in_t(g, n, 0);
	int64_t ax = attr_i(n, "axis", 0), off = 0;
	struct mview v;
	int i, ret;

	norm_axis(n, &ax, in->ndim, false);
	for (i = 0; i < n->nout; i++) {
		struct npuc_tensor *o = out_t(g, n, i);

		if (o && npuc_tensor_elements(o)) {
			mview_init(&v, 0, i, o);
			v.istart[ax] = off;
			if ((ret = fn(arg, &v)))
				return ret;
		}
		off += o ? o->dims[ax] : 0;
	}
	return 0;
}

/* ---- gather (constant indices) ------------------------------------------------- */

int infer_gather(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in, *idx;
	int64_t ax = attr_i(n, "axis", 0), od[NPUC_MAX_DIMS];
	int ret, i, r = 0;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)) ||
	    (ret = need_in(g, n, 1, &idx)) || (ret = need_shape(n, idx)) ||
	    (ret = norm_axis(n, &ax, in->ndim, false)))
		return ret;
	if (in->ndim - 1 + idx->ndim > NPUC_MAX_DIMS)
		return npuc_err(-EINVAL, "node \"%s\": rank", n->name);
	for (i = 0; i < ax; i++)
		od[r++] = in->dims[i];
	for (i = 0; i < idx->ndim; i++)
		od[r++] = idx->dims[i];
	for (i = (int)ax + 1; i < in->ndim; i++)
		od[r++] = in->dims[i];
	return set_shape(out_t(g, n, 0), in->elem, r, od);
}

int views_gather(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg)
{
	struct npuc_tensor *in = in_t(g, n, 0), *idx = in_t(g, n, 1);
	int64_t ax = attr_i(n, "axis", 0), pos[NPUC_MAX_DIMS];
	uint64_t cnt, e;
	struct mview v;
	int ret, k, j;

	norm_axis(n, &ax, in->ndim, false);
	if ((ret = need_const(n, idx, "indices")))
		return ret;
	cnt = npuc_tensor_elements(idx);
	memset(pos, 0, sizeof(pos));
	for (e = 0; e < cnt; e++) {
		int64_t i = cval_i(idx, e);

		if (i < -in->dims[ax] || i >= in->dims[ax])
			return npuc_err(-EINVAL, "node \"%s\" (Gather): index "
					"%lld out of range", n->name,
					(long long)i);
		memset(&v, 0, sizeof(v));
		v.src = 0;
		for (k = 0, j = 0; k < in->ndim; k++) {
			int oa = k < ax ? k : k - 1 + idx->ndim;

			if (k == ax)
				continue;
			v.dims[j] = (uint64_t)in->dims[k];
			v.oax[j] = (int8_t)oa;
			v.ocoef[j] = 1;
			v.iax[j] = (int8_t)k;
			v.icoef[j] = 1;
			j++;
		}
		v.nd = j;
		for (k = 0; k < idx->ndim; k++)
			v.ostart[ax + k] = pos[k];
		v.istart[ax] = i < 0 ? i + in->dims[ax] : i;
		if ((ret = fn(arg, &v)))
			return ret;
		for (k = idx->ndim - 1; k >= 0; k--) {
			if (++pos[k] < idx->dims[k])
				break;
			pos[k] = 0;
		}
	}
	return 0;
}

/* ---- expand and tile ---------------------------------------------------------------- */

int infer_expand(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in, sh;
	int64_t od[NPUC_MAX_DIMS];
	int ret, r;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	memset(&sh, 0, sizeof(sh));
	r = const_ints(g, n, 1, "shape", sh.dims, NPUC_MAX_DIMS);
	if (r < 0)
		return r;
	sh.ndim = r;
	r = in->ndim;
	memcpy(od, in->dims, sizeof(od));
	if ((ret = bcast_shape(n, in, &sh, &r, od)))
		return ret;
	return set_shape(out_t(g, n, 0), in->elem, r, od);
}

int views_expand(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	struct mview v;
	int k, off = o->ndim - in->ndim;

	mview_init(&v, 0, 0, o);
	for (k = 0; k < o->ndim; k++) {
		v.iax[k] = (int8_t)(k - off);
		if (k < off || in->dims[k - off] == 1)
			v.iax[k] = -1;
	}
	return fn(arg, &v);
}

int infer_tile(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t rep[NPUC_MAX_DIMS], od[NPUC_MAX_DIMS];
	int ret, i;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)))
		return ret;
	if (const_ints(g, n, 1, "repeats", rep, NPUC_MAX_DIMS) != in->ndim)
		return npuc_err(-EINVAL, "node \"%s\" (Tile): repeats", n->name);
	for (i = 0; i < in->ndim; i++) {
		if (rep[i] < 0)
			return npuc_err(-EINVAL, "node \"%s\": repeat %lld",
					n->name, (long long)rep[i]);
		od[i] = in->dims[i] * rep[i];
	}
	return set_shape(out_t(g, n, 0), in->elem, in->ndim, od);
}

int views_tile(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
	       void *arg)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	struct mview v;
	int k;

	if (!npuc_tensor_elements(o))
		return 0;
	memset(&v, 0, sizeof(v));
	v.nd = 2 * in->ndim;
	for (k = 0; k < in->ndim; k++) {
		v.dims[2 * k] = (uint64_t)(o->dims[k] / in->dims[k]);
		v.oax[2 * k] = (int8_t)k;
		v.ocoef[2 * k] = in->dims[k];
		v.iax[2 * k] = -1;
		v.dims[2 * k + 1] = (uint64_t)in->dims[k];
		v.oax[2 * k + 1] = (int8_t)k;
		v.ocoef[2 * k + 1] = 1;
		v.iax[2 * k + 1] = (int8_t)k;
		v.icoef[2 * k + 1] = 1;
	}
	return fn(arg, &v);
}

/* ---- pad (constant mode) ------------------------------------------------------------ */

static int pad_params(struct npuc_graph *g, const struct npuc_node *n,
		      const struct npuc_tensor *in, int64_t *pb, int64_t *pe)
{
	int64_t p[2 * NPUC_MAX_DIMS], ax[NPUC_MAX_DIMS];
	char mode[16];
	int cnt, na, i;

	attr_s(n, "mode", mode, sizeof(mode), "constant");
	if (strcmp(mode, "constant"))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (Pad): mode %s (only "
				"constant)", n->name, mode);
	if (in_t(g, n, 1))
		cnt = const_ints(g, n, 1, "pads", p, 2 * NPUC_MAX_DIMS);
	else
		cnt = attr_ints(n, "pads", p, 2 * NPUC_MAX_DIMS);
	if (cnt < 0)
		return cnt < -1 ? cnt : npuc_err(-EINVAL, "node \"%s\": no pads",
						  n->name);
	na = in->ndim;
	for (i = 0; i < na; i++)
		ax[i] = i;
	if (in_t(g, n, 3)) {
		na = const_ints(g, n, 3, "axes", ax, NPUC_MAX_DIMS);
		if (na < 0)
			return na;
	}
	if (cnt != 2 * na)
		return npuc_err(-EINVAL, "node \"%s\" (Pad): %d pads for %d "
				"axes", n->name, cnt, na);
	for (i = 0; i < in->ndim; i++)
		pb[i] = pe[i] = 0;
	for (i = 0; i < na; i++) {
		int64_t a = ax[i] < 0 ? ax[i] + in->ndim : ax[i];

		if (a < 0 || a >= in->ndim)
			return npuc_err(-EINVAL, "node \"%s\": axis", n->name);
		pb[a] = p[i];
		pe[a] = p[i + na];
	}
	return 0;
}

int infer_pad(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	int64_t pb[NPUC_MAX_DIMS], pe[NPUC_MAX_DIMS], od[NPUC_MAX_DIMS];
	int ret, i;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)) ||
	    (ret = pad_params(g, n, in, pb, pe)))
		return ret;
	for (i = 0; i < in->ndim; i++) {
		od[i] = in->dims[i] + pb[i] + pe[i];
		if (od[i] < 0)
			return npuc_err(-EINVAL, "node \"%s\" (Pad): negative "
					"size", n->name);
	}
	return set_shape(out_t(g, n, 0), in->elem, in->ndim, od);
}

/*
 * The pad value as the output element's bytes: input 2 (a float constant,
 * or an integer one). A quantized output pads with the quantized value.
 */
static uint64_t pad_fill(struct npuc_graph *g, const struct npuc_node *n)
{
	struct npuc_tensor *o = out_t(g, n, 0), *c = in_t(g, n, 2);
	double v = c && c->data && npuc_tensor_elements(c) ? cval(c, 0) : 0;
	uint64_t bits = 0;

	if (o->q.elem && c && is_float(c->elem))
		v = quant_int(&o->q, 0, v);	/* a real pad value */
	else if (o->q.elem && !c)
		v = o->q.zp[0];			/* real 0 */
	if (o->elem == NPUC_FLOAT) {
		float f = (float)v;

		memcpy(&bits, &f, 4);
	} else if (o->elem == NPUC_DOUBLE) {
		memcpy(&bits, &v, 8);
	} else {
		int64_t x = (int64_t)v;

		memcpy(&bits, &x, 8);
	}
	return bits;
}

int views_pad(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
	      void *arg)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	int64_t pb[NPUC_MAX_DIMS], pe[NPUC_MAX_DIMS];
	struct mview v;
	bool interior = true;
	int ret = pad_params(g, n, in, pb, pe), k;

	if (ret || !npuc_tensor_elements(o))
		return ret;
	mview_init(&v, -1, 0, o);
	v.fill = pad_fill(g, n);
	for (k = 0; k < o->ndim; k++)
		v.iax[k] = -1;
	if ((ret = fn(arg, &v)))
		return ret;
	/* the input's part that lands inside the output */
	mview_init(&v, 0, 0, in);
	for (k = 0; k < in->ndim; k++) {
		int64_t lo = pb[k] < 0 ? -pb[k] : 0;
		int64_t hi = in->dims[k] + (pe[k] < 0 ? pe[k] : 0);

		if (hi <= lo)
			interior = false;
		v.dims[k] = hi > lo ? (uint64_t)(hi - lo) : 0;
		v.istart[k] = lo;
		v.ostart[k] = pb[k] > 0 ? pb[k] : 0;
	}
	return interior ? fn(arg, &v) : 0;
}

/* ---- resize: nearest neighbour by whole factors, as moves -------------------------- */

/*
 * Resize's output shape from sizes or scales (opset 13+; roi unused by
 * the modes handled) and, per axis, the integer factor when every output
 * index y maps to input y / f (which nearest modes give for whole
 * factors with half_pixel/asymmetric coordinates).
 */
struct resize {
	int64_t od[NPUC_MAX_DIMS];
	double scale[NPUC_MAX_DIMS];
};

static int resize_params(struct npuc_graph *g, const struct npuc_node *n,
			 const struct npuc_tensor *in, struct resize *r)
{
	struct npuc_tensor *sc = in_t(g, n, 2), *sz = in_t(g, n, 3);
	int i, ret;

	if (sz && npuc_tensor_elements(sz)) {
		if ((ret = need_const(n, sz, "sizes")))
			return ret;
		if ((int)npuc_tensor_elements(sz) != in->ndim)
			return npuc_err(-EINVAL, "node \"%s\" (Resize): sizes",
					n->name);
		for (i = 0; i < in->ndim; i++) {
			r->od[i] = cval_i(sz, (uint64_t)i);
			r->scale[i] = (double)r->od[i] / (double)in->dims[i];
		}
		return 0;
	}
	if (!sc || (ret = need_const(n, sc, "scales")))
		return sc ? ret : npuc_err(-EINVAL, "node \"%s\" (Resize): no "
					   "scales nor sizes", n->name);
	if ((int)npuc_tensor_elements(sc) != in->ndim)
		return npuc_err(-EINVAL, "node \"%s\" (Resize): scales",
				n->name);
	for (i = 0; i < in->ndim; i++) {
		r->scale[i] = (float)cval(sc, (uint64_t)i);
		r->od[i] = (int64_t)floor((double)in->dims[i] * r->scale[i]);
		if (!(r->scale[i] > 0))
			return npuc_err(-EINVAL, "node \"%s\" (Resize): scale %g",
					n->name, r->scale[i]);
	}
	return 0;
}

int infer_resize(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in;
	struct resize r;
	int ret;

	if ((ret = need_in(g, n, 0, &in)) || (ret = need_shape(n, in)) ||
	    (ret = resize_params(g, n, in, &r)))
		return ret;
	return set_shape(out_t(g, n, 0), in->elem, in->ndim, r.od);
}

/* Input index of output index @y on an axis, ONNX Resize nearest. */
static int64_t nearest_src(const struct npuc_node *n, int64_t y, double s,
			   int64_t in_len, int64_t out_len)
{
	char ctm[32], nm[32];
	double x;
	int64_t i;

	attr_s(n, "coordinate_transformation_mode", ctm, sizeof(ctm),
	       "half_pixel");
	attr_s(n, "nearest_mode", nm, sizeof(nm), "round_prefer_floor");
	if (!strcmp(ctm, "asymmetric"))
		x = (double)y / s;
	else if (!strcmp(ctm, "align_corners"))
		x = out_len > 1 ? (double)y * (double)(in_len - 1) /
				  (double)(out_len - 1) : 0;
	else if (!strcmp(ctm, "pytorch_half_pixel"))
		x = out_len > 1 ? ((double)y + 0.5) / s - 0.5 : 0;
	else if (!strcmp(ctm, "tf_half_pixel_for_nearest"))
		x = ((double)y + 0.5) / s;
	else
		x = ((double)y + 0.5) / s - 0.5;
	if (!strcmp(nm, "floor"))
		i = (int64_t)floor(x);
	else if (!strcmp(nm, "ceil"))
		i = (int64_t)ceil(x);
	else if (!strcmp(nm, "round_prefer_ceil"))
		i = (int64_t)floor(x + 0.5);
	else
		i = (int64_t)ceil(x - 0.5);
	return i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
}

int views_resize(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg)
{
	struct npuc_tensor *in = in_t(g, n, 0), *o = out_t(g, n, 0);
	char mode[16];
	struct resize r;
	struct mview v;
	int ret, k, d = 0;

	attr_s(n, "mode", mode, sizeof(mode), "nearest");
	if (strcmp(mode, "nearest"))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (Resize): mode %s is "
				"not a data movement", n->name, mode);
	if ((ret = resize_params(g, n, in, &r)))
		return ret;
	memset(&v, 0, sizeof(v));
	v.src = 0;
	for (k = 0; k < in->ndim; k++) {
		int64_t f = o->dims[k] / in->dims[k], y;

		if (f < 1 || f * in->dims[k] != o->dims[k])
			return npuc_err(-EOPNOTSUPP, "node \"%s\" (Resize): "
					"nearest by a non-whole factor on axis "
					"%d", n->name, k);
		for (y = 0; y < o->dims[k]; y++)
			if (nearest_src(n, y, r.scale[k], in->dims[k],
					o->dims[k]) != y / f)
				return npuc_err(-EOPNOTSUPP, "node \"%s\" "
						"(Resize): these coordinate "
						"modes do not repeat whole "
						"elements", n->name);
		if (d + 2 > MV_MAX)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": rank",
					n->name);
		v.dims[d] = (uint64_t)in->dims[k];
		v.oax[d] = (int8_t)k;
		v.ocoef[d] = f;
		v.iax[d] = (int8_t)k;
		v.icoef[d++] = 1;
		v.dims[d] = (uint64_t)f;
		v.oax[d] = (int8_t)k;
		v.ocoef[d] = 1;
		v.iax[d++] = -1;
	}
	v.nd = d;
	return fn(arg, &v);
}
