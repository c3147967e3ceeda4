// SPDX-License-Identifier: MIT
/*
 * ops_math.c - element-wise operators: their scalar functions (used to
 * fold constants and to build the 256-entry tables of quantized
 * activations), broadcasting shape inference, and the shapes of the
 * row-wise operators (Softmax, LayerNormalization, reductions).
 *
 * Scalar functions compute in double; a table entry is the quantized
 * value of the function at the real value of its index, so rounding
 * happens once.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npuc_ir.h"
#include "npuc_ops.h"

/* ---- scalar functions ----------------------------------------------------- */

double ew_abs(const struct npuc_node *n, const double *v)
{
	(void)n;
	return fabs(v[0]);
}

double ew_neg(const struct npuc_node *n, const double *v)
{
	(void)n;
	return -v[0];
}

double ew_relu(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] > 0 ? v[0] : 0;
}

double ew_sigmoid(const struct npuc_node *n, const double *v)
{
	(void)n;
	return 1 / (1 + exp(-v[0]));
}

double ew_tanh(const struct npuc_node *n, const double *v)
{
	(void)n;
	return tanh(v[0]);
}

double ew_exp(const struct npuc_node *n, const double *v)
{
	(void)n;
	return exp(v[0]);
}

double ew_log(const struct npuc_node *n, const double *v)
{
	(void)n;
	return log(v[0]);
}

double ew_sqrt(const struct npuc_node *n, const double *v)
{
	(void)n;
	return sqrt(v[0]);
}

double ew_erf(const struct npuc_node *n, const double *v)
{
	(void)n;
	return erf(v[0]);
}

double ew_floor(const struct npuc_node *n, const double *v)
{
	(void)n;
	return floor(v[0]);
}

double ew_ceil(const struct npuc_node *n, const double *v)
{
	(void)n;
	return ceil(v[0]);
}

double ew_reciprocal(const struct npuc_node *n, const double *v)
{
	(void)n;
	return 1 / v[0];
}

double ew_softplus(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] > 30 ? v[0] : log1p(exp(v[0]));
}

double ew_hardsigmoid(const struct npuc_node *n, const double *v)
{
	double a = attr_f(n, "alpha", 0.2), b = attr_f(n, "beta", 0.5);
	double y = a * v[0] + b;

	return y < 0 ? 0 : y > 1 ? 1 : y;
}

double ew_hardswish(const struct npuc_node *n, const double *v)
{
	double y = v[0] / 6 + 0.5;

	(void)n;
	return v[0] * (y < 0 ? 0 : y > 1 ? 1 : y);
}

double ew_leakyrelu(const struct npuc_node *n, const double *v)
{
	return v[0] < 0 ? attr_f(n, "alpha", 0.01) * v[0] : v[0];
}

double ew_elu(const struct npuc_node *n, const double *v)
{
	return v[0] < 0 ? attr_f(n, "alpha", 1.0) * expm1(v[0]) : v[0];
}

double ew_gelu(const struct npuc_node *n, const double *v)
{
	char ap[16];
	double x = v[0];

	attr_s(n, "approximate", ap, sizeof(ap), "none");
	if (!strcmp(ap, "tanh"))
		return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) *
					   (x + 0.044715 * x * x * x)));
	return 0.5 * x * (1 + erf(x / sqrt(2)));
}

/* Clip's bounds are inputs 1 and 2 (constants: folded into @v). */
double ew_clip(const struct npuc_node *n, const double *v)
{
	double x = v[0];

	if (n->nin > 1 && n->in[1] >= 0 && x < v[1])
		x = v[1];
	if (n->nin > 2 && n->in[2] >= 0 && x > v[2])
		x = v[2];
	return x;
}

double ew_add(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] + v[1];
}

double ew_sub(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] - v[1];
}

double ew_mul(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] * v[1];
}

double ew_div(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] / v[1];
}

double ew_pow(const struct npuc_node *n, const double *v)
{
	(void)n;
	return pow(v[0], v[1]);
}

/* Max/Min are variadic: the folder passes every input. */
double ew_max(const struct npuc_node *n, const double *v)
{
	double m = v[0];
	int i;

	for (i = 1; i < n->nin; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

double ew_min(const struct npuc_node *n, const double *v)
{
	double m = v[0];
	int i;

	for (i = 1; i < n->nin; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

double ew_mod(const struct npuc_node *n, const double *v)
{
	double r;

	if (attr_i(n, "fmod", 0))
		return fmod(v[0], v[1]);
	r = fmod(v[0], v[1]);		/* the divisor's sign, as Python */
	if (r != 0 && ((r < 0) != (v[1] < 0)))
		r += v[1];
	return r;
}

double ew_equal(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] == v[1];
}

double ew_where(const struct npuc_node *n, const double *v)
{
	(void)n;
	return v[0] != 0 ? v[1] : v[2];
}

double npuc_eval1(const struct npuc_node *n, const double *v)
{
	return n->def->eval1(n, v);
}

/* ---- shapes ------------------------------------------------------------------ */

int infer_same(struct npuc_graph *g, struct npuc_node *n)
{
	/* the value, then its parameter inputs (Clip's min and max) */
	int most = 1 + __builtin_popcount(n->def->params);
	struct npuc_tensor *a;
	int ret;

	if (n->nin > most)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %d inputs, at most "
				"%d", n->name, n->op, n->nin, most);
	ret = need_in(g, n, 0, &a);

	if (!ret)
		ret = need_shape(n, a);
	if (!ret && out_t(g, n, 0))
		ret = set_shape(out_t(g, n, 0), a->elem, a->ndim, a->dims);
	return ret;
}

int bcast_shape(const struct npuc_node *n, const struct npuc_tensor *a,
		const struct npuc_tensor *b, int *r, int64_t *od)
{
	int k, ra = *r;

	*r = ra > b->ndim ? ra : b->ndim;
	for (k = *r - 1; k >= 0; k--) {
		int ia = k - (*r - ra), ib = k - (*r - b->ndim);
		int64_t da = ia >= 0 ? (a ? a->dims[ia] : od[ia]) : 1;
		int64_t db = ib >= 0 ? b->dims[ib] : 1;

		if (da != db && da != 1 && db != 1)
			return npuc_err(-EINVAL, "node \"%s\" (%s): shapes do "
					"not broadcast (%lld and %lld on axis "
					"%d)", n->name, n->op, (long long)da,
					(long long)db, k);
		od[k] = da == 1 ? db : da;
	}
	return 0;
}

/* Multidirectional broadcasting over every input; the output has input
 * 0's type (Equal: bool; Where: input 1's). */
int infer_bcast(struct npuc_graph *g, struct npuc_node *n)
{
	int64_t od[NPUC_MAX_DIMS], tmp[NPUC_MAX_DIMS];
	struct npuc_tensor *t, *first = NULL;
	int32_t elem;
	int r = 0, i, k, ret;

	for (i = 0; i < n->nin; i++) {
		t = in_t(g, n, i);
		if (!t)
			continue;
		if ((ret = need_shape(n, t)))
			return ret;
		if (!first) {
			first = t;
			r = t->ndim;
			memcpy(od, t->dims, sizeof(od));
			continue;
		}
		for (k = 0; k < r; k++)
			tmp[k] = od[k];
		ret = bcast_shape(n, NULL, t, &r, tmp);
		if (ret)
			return ret;
		memcpy(od, tmp, sizeof(od));
	}
	if (!first)
		return npuc_err(-EINVAL, "node \"%s\" (%s) has no input",
				n->name, n->op);
	elem = first->elem;
	if (IS_OP(n, EQUAL))
		elem = NPUC_BOOL;
	else if (IS_OP(n, WHERE) && in_t(g, n, 1))
		elem = in_t(g, n, 1)->elem;
	return out_t(g, n, 0) ? set_shape(out_t(g, n, 0), elem, r, od) : 0;
}

/* Row-major element strides of @t aligned to rank @r output dims @od (0 on
 * broadcast axes). */
static void bstrides(const struct npuc_tensor *t, int r, uint64_t *str)
{
	uint64_t s = 1;
	int k, off = r - t->ndim;

	for (k = r - 1; k >= 0; k--) {
		int64_t d = k >= off ? t->dims[k - off] : 1;

		str[k] = d == 1 ? 0 : s;
		s *= (uint64_t)d;
	}
}

/* A double as int64 without undefined behaviour (NaN: 0, clamped). */
static int64_t d2i(double v)
{
	if (!(v == v))
		return 0;
	if (v >= 9223372036854775807.0)
		return INT64_MAX;
	if (v <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
}

static void store(void *dst, int32_t elem, uint64_t i, double v)
{
	uint8_t *d = dst;
	int64_t x = d2i(v);

	switch (elem) {
	case NPUC_FLOAT: { float f = (float)v; memcpy(d + 4 * i, &f, 4);
		break; }
	case NPUC_DOUBLE: memcpy(d + 8 * i, &v, 8); break;
	case NPUC_INT8: case NPUC_UINT8: case NPUC_BOOL:
		d[i] = (uint8_t)x;
		break;
	case NPUC_INT16: case NPUC_UINT16: {
		uint16_t h = (uint16_t)x;

		memcpy(d + 2 * i, &h, 2);
		break;
	}
	case NPUC_INT32: case NPUC_UINT32: {
		uint32_t w = (uint32_t)x;

		memcpy(d + 4 * i, &w, 4);
		break;
	}
	default: memcpy(d + 8 * i, &x, 8); break;
	}
}

/* Whether @t's shape broadcasts to @o's (which the inputs' give). */
static bool bcasts_to(const struct npuc_tensor *t, const struct npuc_tensor *o)
{
	int k, off = o->ndim - t->ndim;

	if (off < 0)
		return false;
	for (k = 0; k < t->ndim; k++)
		if (t->dims[k] != 1 && t->dims[k] != o->dims[k + off])
			return false;
	return true;
}

/*
 * Folding of an element-wise node: the scalar function over broadcast
 * inputs. Integer results truncate toward zero (shape arithmetic: Div of
 * positive sizes); float16 results are refused (no model needs them).
 */
int fold_pointwise(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *o = out_t(g, n, 0), *t;
	uint64_t str[8][NPUC_MAX_DIMS], cnt, e, idx[NPUC_MAX_DIMS];
	double v[8];
	void *d;
	int r, i, k;

	if (!o || n->nin > 8 || !npuc_elem_size(o->elem) ||
	    o->elem == NPUC_FLOAT16)
		return -EOPNOTSUPP;
	r = o->ndim;
	for (i = 0; i < n->nin; i++) {
		t = in_t(g, n, i);
		if (!t)
			continue;
		/* the output's shape came from some of them (infer_same(),
		 * infer_cast()): the others must fit it */
		if (!bcasts_to(t, o))
			return npuc_err(-EINVAL, "node \"%s\" (%s): input %d "
					"does not broadcast to the output's "
					"shape", n->name, n->op, i);
		bstrides(t, r, str[i]);
	}
	cnt = npuc_tensor_elements(o);
	d = calloc(cnt ? cnt : 1, npuc_elem_size(o->elem));
	if (!d)
		return npuc_err(-ENOMEM, "out of memory");
	memset(idx, 0, sizeof(idx));
	for (e = 0; e < cnt; e++) {
		double y;

		for (i = 0; i < n->nin; i++) {
			uint64_t off = 0;

			if (!(t = in_t(g, n, i))) {
				v[i] = 0;
				continue;
			}
			for (k = 0; k < r; k++)
				off += idx[k] * str[i][k];
			v[i] = t->elem == NPUC_INT64 ? (double)cval_i(t, off) :
			       cval(t, off);
		}
		y = n->def->eval1(n, v);
		if (is_int(o->elem) && o->elem != NPUC_BOOL)
			y = isfinite(y) ? trunc(y) : 0;
		store(d, o->elem, e, y);
		for (k = r - 1; k >= 0; k--) {
			if (++idx[k] < (uint64_t)o->dims[k])
				break;
			idx[k] = 0;
		}
	}
	return set_const(o, o->elem, o->ndim, o->dims, d);
}

/* Cast: the value converted (float to integer truncates, as C). */
int infer_cast(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *a;
	int64_t to = attr_i(n, "to", 0);
	int ret = n->nin > 1 ? npuc_err(-EINVAL, "node \"%s\" (Cast): %d "
					"inputs, at most 1", n->name, n->nin) :
		  need_in(g, n, 0, &a);

	if (ret || (ret = need_shape(n, a)))
		return ret;
	if (!npuc_elem_size((int32_t)to))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (Cast): to %s",
				n->name, npuc_elem_name((int32_t)to));
	return set_shape(out_t(g, n, 0), (int32_t)to, a->ndim, a->dims);
}

double ew_cast(const struct npuc_node *n, const double *v)
{
	int64_t to = attr_i(n, "to", 0);

	if (to == NPUC_BOOL)
		return v[0] != 0;
	return v[0];
}

/* ---- row-wise operators -------------------------------------------------------- */

/* Softmax/LogSoftmax and LayerNormalization: output 0 like input 0. */
int infer_rowwise(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *a;
	int64_t axis = attr_i(n, "axis", -1);
	int ret = need_in(g, n, 0, &a), i;

	if (ret || (ret = need_shape(n, a)))
		return ret;
	if (axis < 0)
		axis += a->ndim;
	if (axis < 0 || axis >= (a->ndim ? a->ndim : 1))
		return npuc_err(-EINVAL, "node \"%s\" (%s): axis out of range",
				n->name, n->op);
	if (IS_OP(n, LAYERNORM)) {
		int64_t rd[NPUC_MAX_DIMS];

		/* optional Mean and InvStdDev: reduced axes kept as 1 */
		for (i = 0; i < a->ndim; i++)
			rd[i] = i < axis ? a->dims[i] : 1;
		for (i = 1; i < n->nout && i < 3; i++)
			if (out_t(g, n, i) &&
			    (ret = set_shape(out_t(g, n, i), NPUC_FLOAT,
					     a->ndim, rd)))
				return ret;
	}
	return set_shape(out_t(g, n, 0), a->elem, a->ndim, a->dims);
}

/*
 * The reduced axes of a Reduce* node, as a mask over @rank axes: the
 * "axes" input (opset 18 for all, 13 for ReduceSum) or attribute; none
 * means all unless noop_with_empty_axes.
 */
int reduce_axes(struct npuc_graph *g, const struct npuc_node *n, int rank,
		uint32_t *mask)
{
	int64_t ax[NPUC_MAX_DIMS];
	struct npuc_tensor *at = in_t(g, n, 1);
	int cnt, i;

	*mask = 0;
	if (at) {
		int ret = need_const(n, at, "axes");

		if (ret)
			return ret;
		cnt = (int)npuc_tensor_elements(at);
		if (cnt > NPUC_MAX_DIMS)
			return npuc_err(-EINVAL, "node \"%s\": %d axes", n->name,
					cnt);
		for (i = 0; i < cnt; i++)
			ax[i] = cval_i(at, (uint64_t)i);
	} else {
		cnt = attr_ints(n, "axes", ax, NPUC_MAX_DIMS);
		if (cnt < -1)
			return cnt;
	}
	if (cnt <= 0) {
		if (attr_i(n, "noop_with_empty_axes", 0))
			return 0;
		*mask = rank ? (1u << rank) - 1 : 0;
		return 0;
	}
	for (i = 0; i < cnt; i++) {
		int64_t a = ax[i] < 0 ? ax[i] + rank : ax[i];

		if (a < 0 || a >= rank)
			return npuc_err(-EINVAL, "node \"%s\" (%s): axis %lld "
					"out of range", n->name, n->op,
					(long long)ax[i]);
		*mask |= 1u << a;
	}
	return 0;
}

int infer_reduce(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *a;
	int64_t od[NPUC_MAX_DIMS];
	bool keep = attr_i(n, "keepdims", 1);
	uint32_t mask;
	int ret = need_in(g, n, 0, &a), i, r = 0;

	if (ret || (ret = need_shape(n, a)) ||
	    (ret = reduce_axes(g, n, a->ndim, &mask)))
		return ret;
	for (i = 0; i < a->ndim; i++) {
		if (!(mask & (1u << i)))
			od[r++] = a->dims[i];
		else if (keep)
			od[r++] = 1;
	}
	return set_shape(out_t(g, n, 0), a->elem, r, od);
}
