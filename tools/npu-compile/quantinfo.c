// SPDX-License-Identifier: MIT
/*
 * quantinfo.c - quantization annotations of integer tensors.
 *
 * QuantizeLinear, DequantizeLinear and the QLinear* operators say how the
 * integers of a tensor map to reals. prepare and qdq.c attach that to the
 * tensor itself (struct npuc_quant), so that after them an operator over
 * integer tensors means "the float operator over their real values,
 * quantized to the output's" whatever form the model used. A tensor read
 * with two different quantizations (legal, rare) gets an alias per extra
 * reading: an rm_npu::Requant view that moves no data when the bytes
 * agree.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npuc_ir.h"

int type_min(int32_t elem)
{
	switch (elem) {
	case NPUC_INT8: return -128;
	case NPUC_INT32: return INT32_MIN;
	default: return 0;
	}
}

int type_max(int32_t elem)
{
	switch (elem) {
	case NPUC_INT8: return 127;
	case NPUC_INT32: return INT32_MAX;
	default: return 255;
	}
}

void quant_release(struct npuc_quant *q)
{
	free(q->scale);
	free(q->zp);
	memset(q, 0, sizeof(*q));
	q->axis = -1;
}

int quant_copy(struct npuc_quant *dst, const struct npuc_quant *src)
{
	struct npuc_quant q = *src;

	q.scale = malloc(src->n * sizeof(double));
	q.zp = malloc(src->n * sizeof(int32_t));
	if (!q.scale || !q.zp) {
		free(q.scale);
		free(q.zp);
		return npuc_err(-ENOMEM, "out of memory");
	}
	memcpy(q.scale, src->scale, src->n * sizeof(double));
	memcpy(q.zp, src->zp, src->n * sizeof(int32_t));
	quant_release(dst);
	*dst = q;
	return 0;
}

bool quant_per_tensor(const struct npuc_quant *q)
{
	uint64_t i;

	for (i = 1; i < q->n; i++)
		if (q->scale[i] != q->scale[0] || q->zp[i] != q->zp[0])
			return false;
	return true;
}

bool quant_equal(const struct npuc_quant *a, const struct npuc_quant *b)
{
	uint64_t i;

	if (a->elem != b->elem)
		return false;
	if (quant_per_tensor(a) && quant_per_tensor(b))
		return a->scale[0] == b->scale[0] && a->zp[0] == b->zp[0];
	if (a->n != b->n || a->axis != b->axis)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->scale[i] != b->scale[i] || a->zp[i] != b->zp[i])
			return false;
	return true;
}

static bool zp_uniform(const struct npuc_tensor *zp)
{
	uint64_t i, n = npuc_tensor_elements(zp);

	for (i = 1; i < n; i++)
		if (cval(zp, i) != cval(zp, 0))
			return false;
	return true;
}

int quant_from(const struct npuc_node *n, const struct npuc_tensor *scale,
	       const struct npuc_tensor *zp, int64_t axis, int rank,
	       int32_t def_elem, struct npuc_quant *q)
{
	bool zp_one = false;
	uint64_t cnt, i;
	int ret;

	memset(q, 0, sizeof(*q));
	q->axis = -1;
	if ((ret = need_const(n, scale, "scale")))
		return ret;
	if (zp && (ret = need_const(n, zp, "zero point")))
		return ret;
	if (!is_float(scale->elem))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): scale of type "
				"%s; a float type expected", n->name, n->op,
				npuc_elem_name(scale->elem));
	q->elem = zp ? zp->elem : def_elem;
	if (!is_q8(q->elem) && q->elem != NPUC_INT32)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %s quantization "
				"is not supported (int8, uint8, int32)",
				n->name, n->op, npuc_elem_name(q->elem));
	cnt = npuc_tensor_elements(scale);
	/* One scale with per-axis zero points that are all equal is one
	 * per-tensor quantization (some exporters write zp per channel). */
	if (cnt == 1 && zp && npuc_tensor_elements(zp) > 1 && zp_uniform(zp))
		zp_one = true;
	if (!cnt || (zp && !zp_one && npuc_tensor_elements(zp) != cnt))
		return npuc_err(-EINVAL, "node \"%s\" (%s): %llu scales and "
				"%llu zero points", n->name, n->op,
				(unsigned long long)cnt,
				(unsigned long long)(zp ? npuc_tensor_elements(zp) :
						     cnt));
	if (cnt > 1) {
		if (axis < 0)
			axis += rank;
		if (scale->ndim != 1 || axis < 0 || axis >= rank)
			return npuc_err(-EINVAL, "node \"%s\" (%s): per-axis "
					"scale of %llu values for axis %lld of "
					"a rank-%d tensor", n->name, n->op,
					(unsigned long long)cnt,
					(long long)axis, rank);
		q->axis = (int)axis;
	}
	q->n = cnt;
	q->scale = malloc(cnt * sizeof(double));
	q->zp = calloc(cnt, sizeof(int32_t));
	if (!q->scale || !q->zp) {
		quant_release(q);
		return npuc_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < cnt; i++) {
		q->scale[i] = cval(scale, i);
		if (!(q->scale[i] > 0) || !isfinite(q->scale[i])) {
			double s = q->scale[i];

			quant_release(q);
			return npuc_err(-EINVAL, "node \"%s\" (%s): scale %g is "
					"not positive and finite", n->name,
					n->op, s);
		}
		if (zp)
			q->zp[i] = (int32_t)cval(zp, i);
		if (q->elem == NPUC_INT32 && q->zp[i]) {
			quant_release(q);
			return npuc_err(-EINVAL, "node \"%s\" (%s): int32 "
					"quantization with a zero point",
					n->name, n->op);
		}
	}
	return 0;
}

int quant_attach(struct npuc_graph *g, int ti, const struct npuc_quant *q,
		 int *alias)
{
	struct npuc_tensor *t = &g->t[ti];
	struct npuc_node *n;
	const char *name;
	int ni, ai, ret;

	*alias = ti;
	if (is_int(t->elem) && t->elem != q->elem)
		return npuc_err(-EINVAL, "tensor \"%s\" is %s but quantized as "
				"%s", t->name, npuc_elem_name(t->elem),
				npuc_elem_name(q->elem));
	if (!t->q.elem)
		return quant_copy(&t->q, q);
	if (quant_equal(&t->q, q))
		return 0;
	/* read with another quantization: an alias carries that one */
	name = graph_name(g, t->name, "as");
	if (!name || (ai = graph_add_tensor(g, name)) < 0)
		return npuc_err(-ENOMEM, "out of memory");
	ni = graph_add_node(g, OPDEF(REQUANT), name, 1, 1);
	if (ni < 0)
		return ni;
	n = &g->n[ni];
	n->in[0] = ti;
	n->out[0] = ai;
	t = &g->t[ti];
	g->t[ai].producer = ni;
	ret = set_shape(&g->t[ai], t->elem, t->ndim, t->dims);
	if (!ret)
		ret = quant_copy(&g->t[ai].q, q);
	if (!ret && t->data) {
		/* a constant: the alias is the same constant */
		void *d = malloc(t->nbytes ? t->nbytes : 1);

		if (!d)
			return npuc_err(-ENOMEM, "out of memory");
		memcpy(d, t->data, t->nbytes);
		g->t[ai].data = d;
		g->t[ai].nbytes = t->nbytes;
		g->n[ni].dead = true;
	}
	*alias = ai;
	return ret;
}

double quant_real(const struct npuc_quant *q, uint64_t c, double v)
{
	if (q->n == 1)
		c = 0;
	return (v - q->zp[c]) * q->scale[c];
}

int32_t quant_int(const struct npuc_quant *q, uint64_t c, double r)
{
	double v;

	if (q->n == 1)
		c = 0;
	v = nearbyint(r / q->scale[c]) + q->zp[c];
	if (!(v >= type_min(q->elem)))
		return type_min(q->elem);
	if (v > type_max(q->elem))
		return type_max(q->elem);
	return (int32_t)v;
}
