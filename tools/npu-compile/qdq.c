// SPDX-License-Identifier: MIT
/*
 * qdq.c - quantized patterns. Quantizers emit float operators between
 * DequantizeLinear and QuantizeLinear nodes (QDQ form; the QOperator form
 * has them too, around operators without a QLinear version). Three
 * rewrites turn them into operators over quantized tensors:
 *
 *   1. pointwise chains: float element-wise nodes that compute a function
 *      of one DequantizeLinear'd tensor (scalar constants aside) up to a
 *      QuantizeLinear, e.g. Div -> Erf or HardSigmoid, become one
 *      rm_npu::Lut node: a 256-entry table evaluated in double at
 *      compile time (rounding once);
 *   2. operator groups: DequantizeLinear -> op -> QuantizeLinear (every
 *      value input dequantized, every output quantized alike) becomes the
 *      op over the integer tensors, which carry the scales; Conv, Gemm
 *      and MatMul also absorb a Relu or Clip before the QuantizeLinear
 *      (an output clamp);
 *   3. QuantizeLinear(DequantizeLinear(x)): nothing when the parameters
 *      agree, else rm_npu::Requant (a table).
 *
 * What is left of DequantizeLinear and QuantizeLinear becomes CPU steps
 * at the edges of float islands and of the graph.
 *
 * First, as onnxruntime's QDQ propagation does, DequantizeLinear moves
 * forward and QuantizeLinear backward through operators that only move
 * values (Reshape, Transpose, Squeeze, Unsqueeze, Slice, MaxPool): a float
 * operator next to such a chain then sees quantized neighbours and joins a
 * group, where onnxruntime would run it quantized too.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "npuc_ir.h"
#include "npuc_ops.h"

#define CHAIN_MAX	64

static struct npuc_node *producer(struct npuc_graph *g,
				  const struct npuc_tensor *t)
{
	if (t->producer < 0 || g->n[t->producer].dead)
		return NULL;
	return &g->n[t->producer];
}

/* Every use of @t is by a live QuantizeLinear with @q's parameters;
 * the count of such uses. */
static int all_quantized(struct npuc_graph *g, int ti, struct npuc_node **q)
{
	int i, j, uses = 0;

	*q = NULL;
	for (i = 0; i < g->norder; i++) {
		struct npuc_node *n = &g->n[g->order[i]];

		if (n->dead)
			continue;
		for (j = 0; j < n->nin; j++) {
			if (n->in[j] != ti)
				continue;
			if (!IS_OP(n, QUANTIZE) || j != 0 || n->out[0] < 0)
				return -1;
			if (!*q)
				*q = n;
			else if (!quant_equal(&g->t[(*q)->out[0]].q,
					      &g->t[n->out[0]].q))
				return -1;
			uses++;
		}
	}
	return uses;
}

/* Retire the QuantizeLinear nodes of @ti: the first's output @to stays,
 * the others' uses move to it. */
static void retire_quantizers(struct npuc_graph *g, int ti, int to)
{
	int i;

	for (i = 0; i < g->norder; i++) {
		struct npuc_node *n = &g->n[g->order[i]];

		if (n->dead || !IS_OP(n, QUANTIZE) || n->in[0] != ti)
			continue;
		if (n->out[0] != to && g->t[n->out[0]].is_output) {
			/* stays, as a copy of @to into that output */
			n->def = OPDEF(REQUANT);
			n->in[0] = to;
			continue;
		}
		if (n->out[0] != to)
			graph_replace_uses(g, n->out[0], to);
		n->dead = true;
	}
}

static int pos_in_order(const struct npuc_graph *g, int ni)
{
	int i;

	for (i = 0; i < g->norder; i++)
		if (g->order[i] == ni)
			return i;
	return -1;
}

/* ---- 0. Q/DQ propagation through value-moving operators ---------------------- */

static bool propagates(const struct npuc_node *n)
{
	return IS_OP(n, RESHAPE) || IS_OP(n, TRANSPOSE) || IS_OP(n, SQUEEZE) ||
	       IS_OP(n, UNSQUEEZE) || IS_OP(n, SLICE) || IS_OP(n, MAXPOOL);
}

/* The single live consumer of tensor @ti, or NULL. */
static struct npuc_node *only_consumer(struct npuc_graph *g, int ti)
{
	struct npuc_node *c = NULL;
	int i, j;

	if (g->t[ti].is_output)
		return NULL;
	for (i = 0; i < g->norder; i++) {
		struct npuc_node *n = &g->n[g->order[i]];

		for (j = 0; !n->dead && j < n->nin; j++) {
			if (n->in[j] != ti)
				continue;
			if (c)
				return NULL;
			c = n;
		}
	}
	return c;
}

/*
 * Insert QuantizeLinear -> DequantizeLinear on tensor @ti with the
 * parameters of Q/DQ node @like; the uses by nodes other than the new Q
 * move to the new float tensor. Returns the new DequantizeLinear's index.
 */
static int insert_qdq(struct npuc_graph *g, int ti, const struct npuc_node *like)
{
	const char *qn = graph_name(g, g->t[ti].name, "q");
	const char *fn = graph_name(g, g->t[ti].name, "dq");
	int qi, fi, nq, nd, ret, k;
	struct npuc_node *q, *d;

	if (!qn || !fn)
		return npuc_err(-ENOMEM, "out of memory");
	if ((qi = graph_add_tensor(g, qn)) < 0 || (fi = graph_add_tensor(g, fn)) < 0)
		return qi < 0 ? qi : fi;
	graph_replace_uses(g, ti, fi);
	nq = graph_add_node(g, OPDEF(QUANTIZE), qn, 3, 1);
	nd = nq < 0 ? nq : graph_add_node(g, OPDEF(DEQUANTIZE), fn, 3, 1);
	if (nd < 0)
		return nd;
	q = &g->n[nq];
	d = &g->n[nd];
	q->in[0] = ti;
	d->in[0] = qi;
	for (k = 1; k < 3; k++)
		q->in[k] = d->in[k] = like->in[k];
	q->out[0] = qi;
	d->out[0] = fi;
	g->t[qi].producer = nq;
	g->t[fi].producer = nd;
	if (attr_has(like, "axis")) {
		attr_set_i(q, "axis", attr_i(like, "axis", 1));
		attr_set_i(d, "axis", attr_i(like, "axis", 1));
	}
	if ((ret = canon_quantize(g, q)) || (ret = infer_quantize(g, q)) ||
	    (ret = canon_dequantize(g, &g->n[nd])) ||
	    (ret = infer_dequantize(g, &g->n[nd])))
		return ret;
	return nd;
}

static bool per_tensor_qdq(struct npuc_graph *g, const struct npuc_node *n)
{
	struct npuc_tensor *s = in_t(g, n, 1);

	return s && s->data && npuc_tensor_elements(s) == 1 &&
	       (!in_t(g, n, 2) || (in_t(g, n, 2)->data &&
				   npuc_tensor_elements(in_t(g, n, 2)) == 1));
}

/* DQ(x) -> move -> f: f becomes DQ(Q(f)), so the move can run on x. */
static int forward_dq(struct npuc_graph *g, struct npuc_node *d,
		      struct npuc_stats *st)
{
	int cur = d->out[0], moved = 0;

	(void)st;
	if (!per_tensor_qdq(g, d) || g->t[d->in[0]].data)
		return 0;
	for (;;) {
		struct npuc_node *m = only_consumer(g, cur), *q;
		int ret, oi;

		if (!m || !propagates(m) || m->in[0] != cur || m->nout != 1 ||
		    (oi = m->out[0]) < 0 || g->t[oi].is_output)
			break;
		q = only_consumer(g, oi);
		if (q && IS_OP(q, QUANTIZE))
			break;		/* already a group */
		ret = insert_qdq(g, oi, d);
		if (ret < 0)
			return ret;
		moved++;
		cur = g->n[ret].out[0];
		if ((ret = graph_refresh(g)))
			return ret;
	}
	return moved > 0;
}

/* f -> move -> Q: f gets its own Q -> DQ, so f's producer can fuse. */
static int backward_q(struct npuc_graph *g, struct npuc_node *q,
		      struct npuc_stats *st)
{
	int cur = q->in[0], moved = 0;

	(void)st;
	if (!per_tensor_qdq(g, q))
		return 0;
	for (;;) {
		struct npuc_node *m = producer(g, &g->t[cur]), *p;
		int ret, fi;

		if (!m || !propagates(m) || m->nout != 1 ||
		    (fi = m->in[0]) < 0 || g->t[fi].data ||
		    g->t[fi].dq_of >= 0 || !is_float(g->t[fi].elem) ||
		    only_consumer(g, fi) != m)
			break;
		p = producer(g, &g->t[fi]);
		if (p && IS_OP(p, DEQUANTIZE))
			break;
		ret = insert_qdq(g, fi, q);
		if (ret < 0)
			return ret;
		moved++;
		cur = fi;
		if ((ret = graph_refresh(g)))
			return ret;
	}
	return moved > 0;
}

/* ---- 0. weights left in float ------------------------------------------------- */

/* @n's output reaches one QuantizeLinear through at most Relu/Clip, with
 * no branch (onnxruntime's IsNoBranchPathToQuantizeLinear). */
static bool path_to_quantize(struct npuc_graph *g, const struct npuc_node *n)
{
	int depth;

	for (depth = 0; depth < 8; depth++) {
		struct npuc_node *c;

		if (n->nout != 1 || n->out[0] < 0 ||
		    !(c = only_consumer(g, n->out[0])))
			return false;
		if (IS_OP(c, QUANTIZE))
			return true;
		if (!IS_OP(c, RELU) && !IS_OP(c, CLIP))
			return false;
		n = c;
	}
	return false;
}

/*
 * Conv/Gemm between a per-tensor DequantizeLinear and a QuantizeLinear
 * whose weights are a float initializer: onnxruntime quantizes them at
 * session load (WeightBiasQuantization: int8 per tensor, the range
 * min(w, 0)..max(w, 0) over 255 steps, computed in float32) and then runs
 * the quantized kernel, so its results are those of these int8 weights.
 * Do the same; a float bias is quantized in bias_acc() the same way.
 */
static int quantize_weights(struct npuc_graph *g, struct npuc_node *n,
			    struct npuc_stats *st)
{
	struct npuc_tensor *x = in_t(g, n, 0), *w = in_t(g, n, 1);
	const char *qn, *fn;
	struct npuc_quant q;
	float lo = 0, hi = 0, sc, z;
	uint64_t cnt, i;
	int8_t *wq;
	float *wf;
	int qi, fi, ret;

	(void)st;
	if (!x || !w || x->dq_of < 0 || !quant_per_tensor(&g->t[x->dq_of].q) ||
	    w->dq_of >= 0 || !w->data || w->elem != NPUC_FLOAT ||
	    !path_to_quantize(g, n))
		return 0;
	cnt = npuc_tensor_elements(w);
	for (i = 0; i < cnt; i++) {
		float v = ((const float *)w->data)[i];

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	sc = hi == lo ? 1.0f : (hi - lo) / 255.0f;
	z = -128.0f - lo / sc;
	z = nearbyintf(z < -128.0f ? -128.0f : z > 127.0f ? 127.0f : z);
	memset(&q, 0, sizeof(q));
	q.elem = NPUC_INT8;
	q.axis = -1;
	q.n = 1;
	q.scale = malloc(sizeof(double));
	q.zp = malloc(sizeof(int32_t));
	wq = malloc(cnt ? cnt : 1);
	wf = malloc(cnt ? 4 * cnt : 4);
	qn = graph_name(g, w->name, "wq");
	fn = graph_name(g, w->name, "wdq");
	if (!q.scale || !q.zp || !wq || !wf || !qn || !fn) {
		ret = npuc_err(-ENOMEM, "out of memory");
		goto fail;
	}
	q.scale[0] = sc;
	q.zp[0] = (int32_t)z;
	for (i = 0; i < cnt; i++) {
		wq[i] = (int8_t)ort_quant(&q, ((const float *)w->data)[i]);
		wf[i] = ort_dequant(&q, wq[i]);
	}
	if ((qi = graph_add_tensor(g, qn)) < 0 ||
	    (fi = graph_add_tensor(g, fn)) < 0) {
		ret = qi < 0 ? qi : fi;
		goto fail;
	}
	w = in_t(g, n, 1);
	if ((ret = set_const(&g->t[qi], NPUC_INT8, w->ndim, w->dims, wq))) {
		wq = NULL;
		goto fail;
	}
	wq = NULL;
	if ((ret = set_const(&g->t[fi], NPUC_FLOAT, w->ndim, w->dims, wf))) {
		wf = NULL;
		goto fail;
	}
	wf = NULL;
	g->t[qi].q = q;
	g->t[fi].dq_of = qi;
	n->in[1] = fi;
	return 1;
fail:
	free(wq);
	free(wf);
	quant_release(&q);
	return ret;
}

static bool is_conv_gemm(const struct npuc_node *n)
{
	return !n->dead && (IS_OP(n, CONV) || IS_OP(n, GEMM));
}

/* ---- 1. pointwise chains ---------------------------------------------------- */

struct chain {
	int nodes[CHAIN_MAX], n;
	int x_int, x_f;			/* the integer tensor and its float */
};

static bool in_chain(const struct chain *c, int ni)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->nodes[i] == ni)
			return true;
	return false;
}

static bool collect(struct npuc_graph *g, struct chain *c, int ti, int depth)
{
	struct npuc_tensor *t = &g->t[ti];
	struct npuc_node *p;
	int pi, j;

	if (depth > CHAIN_MAX)
		return false;
	if (t->dq_of >= 0 && !g->t[t->dq_of].data) {
		if (c->x_int >= 0 && c->x_int != t->dq_of)
			return false;
		c->x_int = t->dq_of;
		c->x_f = ti;
		return true;
	}
	if (t->data)
		return npuc_tensor_elements(t) == 1;
	p = producer(g, t);
	if (!p || !(p->def->flags & OPF_POINTWISE) || p->nout != 1 ||
	    t->is_output)
		return false;
	pi = (int)(p - g->n);
	if (in_chain(c, pi))
		return true;
	if (c->n == CHAIN_MAX)
		return false;
	c->nodes[c->n++] = pi;
	for (j = 0; j < p->nin; j++)
		if (p->in[j] >= 0 && !collect(g, c, p->in[j], depth + 1))
			return false;
	return true;
}

/* Uses of tensor @ti by nodes of @c. */
static int chain_uses(struct npuc_graph *g, const struct chain *c, int ti)
{
	int i, j, u = 0;

	for (i = 0; i < c->n; i++)
		for (j = 0; j < g->n[c->nodes[i]].nin; j++)
			u += g->n[c->nodes[i]].in[j] == ti;
	return u;
}

static int fuse_chain(struct npuc_graph *g, struct npuc_node *q,
		      struct npuc_stats *st)
{
	struct npuc_tensor *y = in_t(g, q, 0), *yq = out_t(g, q, 0);
	struct npuc_node *first_q, *ln;
	struct chain c = { .n = 0, .x_int = -1, .x_f = -1 };
	int i, k, ni, yi = q->in[0], yqi = q->out[0];
	int pos[CHAIN_MAX];

	if (!y || !yq || y->data || !is_q8(yq->elem))
		return 0;
	if (!producer(g, y) || !(producer(g, y)->def->flags & OPF_POINTWISE))
		return 0;
	if (!collect(g, &c, yi, 0) || c.x_int < 0 ||
	    !is_q8(g->t[c.x_int].elem) || !g->t[c.x_int].q.elem)
		return 0;
	/* nothing else may read the chain's intermediates */
	for (i = 0; i < c.n; i++) {
		int oi = g->n[c.nodes[i]].out[0];

		if (oi == yi)
			continue;
		if (g->t[oi].is_output ||
		    chain_uses(g, &c, oi) != g->t[oi].nconsumers)
			return 0;
	}
	if (all_quantized(g, yi, &first_q) != y->nconsumers || first_q != q)
		return 0;
	/* the chain in topological order */
	for (i = 0; i < c.n; i++)
		pos[i] = pos_in_order(g, c.nodes[i]);
	for (i = 1; i < c.n; i++)
		for (k = i; k > 0 && pos[k - 1] > pos[k]; k--) {
			int t = pos[k]; pos[k] = pos[k - 1]; pos[k - 1] = t;
			t = c.nodes[k]; c.nodes[k] = c.nodes[k - 1];
			c.nodes[k - 1] = t;
		}
	ni = graph_add_node(g, OPDEF(LUT), g->n[c.nodes[c.n - 1]].name, 1, 1);
	if (ni < 0)
		return ni;
	ln = &g->n[ni];
	ln->sub = malloc((size_t)c.n * sizeof(int));
	if (!ln->sub)
		return npuc_err(-ENOMEM, "out of memory");
	memcpy(ln->sub, c.nodes, (size_t)c.n * sizeof(int));
	ln->nsub = c.n;
	ln->sub_in = c.x_f;
	ln->in[0] = c.x_int;
	ln->out[0] = yqi;
	ln->op = c.n == 1 ? g->n[c.nodes[0]].op : "pointwise chain";
	for (i = 0; i < c.n; i++) {
		g->n[c.nodes[i]].dead = true;
		snprintf(g->n[c.nodes[i]].where, sizeof(g->n[0].where),
			 "fused into a table");
	}
	retire_quantizers(g, yi, yqi);
	st->fused += c.n;
	return 1;
}

/* ---- 2. operator groups ---------------------------------------------------------- */

/* Conv/Gemm/MatMul's float output clamped by Relu/Clip before the
 * QuantizeLinear: the clamp node, its bounds in reals. */
static struct npuc_node *activation(struct npuc_graph *g, int oi, double *lo,
				    double *hi)
{
	struct npuc_node *a = NULL;
	int i, j;

	if (g->t[oi].nconsumers != 1 || g->t[oi].is_output)
		return NULL;
	for (i = 0; i < g->norder && !a; i++) {
		struct npuc_node *n = &g->n[g->order[i]];

		for (j = 0; !n->dead && j < n->nin; j++)
			if (n->in[j] == oi)
				a = n;
	}
	if (!a || (!IS_OP(a, RELU) && !IS_OP(a, CLIP)) || a->in[0] != oi)
		return NULL;
	*lo = -1e300;
	*hi = 1e300;
	if (IS_OP(a, RELU)) {
		*lo = 0;
		return a;
	}
	for (i = 1; i <= 2; i++) {
		struct npuc_tensor *b = in_t(g, a, i);

		if (!b)
			continue;
		if (!b->data || npuc_tensor_elements(b) != 1)
			return NULL;
		*(i == 1 ? lo : hi) = cval(b, 0);
	}
	return a;
}

/*
 * Whether onnxruntime (x86 CPU) runs this int8 QDQ Conv, Add or Mul in
 * float: it fuses those groups only with uint8 activations, and turns an int8
 * Q -> DQ pair into uint8 only where the Q has one consumer once each
 * consumer of a DQ has its own DQ (QDQS8ToU8Transformer after
 * EnsureUniqueDQForNodeUnit): the integer tensor feeds one DQ whose float
 * value feeds one node. Both the input and the output pair must convert.
 */
static bool one_dq_one_use(struct npuc_graph *g, int ti)
{
	struct npuc_node *d;

	if (ti < 0 || g->t[ti].data || g->t[ti].is_output ||
	    g->t[ti].producer < 0 || g->t[ti].nconsumers != 1)
		return false;
	d = only_consumer(g, ti);
	return d && IS_OP(d, DEQUANTIZE) && d->out[0] >= 0 &&
	       g->t[d->out[0]].nconsumers == 1 && !g->t[d->out[0]].is_output;
}

static bool ort_float_group(struct npuc_graph *g, const struct npuc_node *n,
			    const int *src, const struct npuc_node *q)
{
	bool int8 = false, convert = true;
	int i;

	/* grouped (depthwise) float Convs run other MLAS kernels, whose
	 * order is not reproduced: those stay exact int8 */
	if (IS_OP(n, CONV) && attr_i(n, "group", 1) != 1)
		return false;
	if (!IS_OP(n, CONV) && !IS_OP(n, ADD) && !IS_OP(n, MUL))
		return false;
	for (i = 0; i < (IS_OP(n, CONV) ? 1 : n->nin); i++) {
		if (src[i] < 0 || g->t[src[i]].data)
			continue;	/* constants convert (lone DQ) */
		int8 |= g->t[src[i]].elem == NPUC_INT8;
		convert &= one_dq_one_use(g, src[i]);
	}
	if (!q || q->out[0] < 0)
		return int8;
	int8 |= g->t[q->out[0]].elem == NPUC_INT8;
	convert &= one_dq_one_use(g, q->out[0]);
	return int8 && !convert;
}

static int fuse_group(struct npuc_graph *g, struct npuc_node *n,
		      struct npuc_stats *st)
{
	int src[32], i, j, from_dq = 0, ret;
	struct npuc_node *q[8], *act = NULL;
	double lo = 0, hi = 0;
	int aout = -1;

	if (n->nin > 32 || n->nout > 8)
		return 0;
	for (i = 0; i < n->nin; i++) {
		struct npuc_tensor *t = in_t(g, n, i);

		src[i] = n->in[i];
		if (!t || (n->def->params & (1u << i)))
			continue;
		if (t->dq_of >= 0) {
			src[i] = t->dq_of;
			from_dq += !g->t[t->dq_of].data;
			continue;
		}
		if (!is_float(t->elem) || !t->data)
			return 0;	/* a float activation: not a group */
	}
	if (!from_dq)
		return 0;
	for (j = 0; j < n->nout; j++) {
		int oi = n->out[j], uses;

		q[j] = NULL;
		if (oi >= 0 && g->t[oi].is_output)
			return 0;	/* the float result is wanted */
		if (oi < 0 || !g->t[oi].nconsumers)
			continue;
		if (j == 0 && (IS_OP(n, CONV) || IS_OP(n, GEMM) ||
			       IS_OP(n, MATMUL)) &&
		    (act = activation(g, oi, &lo, &hi))) {
			aout = act->out[0];
			if (aout < 0)
				return 0;
			uses = all_quantized(g, aout, &q[j]);
			if (uses <= 0 || uses != g->t[aout].nconsumers ||
			    g->t[aout].is_output)
				return 0;
			continue;
		}
		uses = all_quantized(g, oi, &q[j]);
		if (uses <= 0 || uses != g->t[oi].nconsumers)
			return 0;
	}
	if (ort_float_group(g, n, src, q[0]))
		return 0;	/* float between DQ and Q, as there */
	for (i = 0; i < n->nin; i++)
		n->in[i] = src[i];
	for (j = 0; j < n->nout; j++) {
		int oi = n->out[j];

		if (oi < 0)
			continue;
		if (!q[j]) {		/* unused output */
			n->out[j] = -1;
			continue;
		}
		retire_quantizers(g, j == 0 && act ? aout : oi, q[j]->out[0]);
		n->out[j] = q[j]->out[0];
		g->t[n->out[j]].producer = (int)(n - g->n);
		st->fused++;
	}
	if (act) {
		act->dead = true;
		snprintf(act->where, sizeof(act->where),
			 "fused into \"%s\" (output clamp)", n->name);
		if ((ret = attr_set_f(n, "rm_act_lo", lo)) ||
		    (ret = attr_set_f(n, "rm_act_hi", hi)))
			return ret;
		st->fused++;
	}
	return 1;
}

/* ---- 3. QuantizeLinear(DequantizeLinear(x)) ------------------------------------ */

static int fuse_requant(struct npuc_graph *g, struct npuc_node *q,
			struct npuc_stats *st)
{
	struct npuc_tensor *y = in_t(g, q, 0), *o = out_t(g, q, 0), *s;

	if (!y || !o || y->dq_of < 0)
		return 0;
	s = &g->t[y->dq_of];
	if (s->data)
		return 0;	/* folded already */
	if (s->elem == o->elem && quant_equal(&s->q, &o->q) && !o->is_output) {
		graph_replace_uses(g, q->out[0], y->dq_of);
		q->dead = true;
		st->fused++;
		return 1;
	}
	q->def = OPDEF(REQUANT);
	q->in[0] = y->dq_of;
	q->nin = 1;
	return 1;
}

/* Run @fn over a snapshot of the live nodes that @want; the graph is
 * refreshed after each rewrite. */
static int each(struct npuc_graph *g, struct npuc_stats *st,
		bool (*want)(const struct npuc_node *n),
		int (*fn)(struct npuc_graph *g, struct npuc_node *n,
			  struct npuc_stats *st))
{
	int *ids = malloc(((size_t)g->norder + 1) * sizeof(int));
	int cnt = 0, i, ret = 0;

	if (!ids)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < g->norder; i++)
		if (want(&g->n[g->order[i]]))
			ids[cnt++] = g->order[i];
	for (i = 0; !ret && i < cnt; i++) {
		if (g->n[ids[i]].dead)
			continue;
		ret = fn(g, &g->n[ids[i]], st);
		if (ret > 0)
			ret = graph_refresh(g);
	}
	free(ids);
	return ret < 0 ? ret : 0;
}

static bool is_quantize(const struct npuc_node *n)
{
	return !n->dead && IS_OP(n, QUANTIZE);
}

static bool is_group_op(const struct npuc_node *n)
{
	return !n->dead && (n->def->flags & OPF_QDQ);
}

static bool is_dequantize(const struct npuc_node *n)
{
	return !n->dead && IS_OP(n, DEQUANTIZE);
}

int npuc_fuse_qdq(struct npuc_graph *g, struct npuc_stats *st)
{
	int ret = graph_refresh(g);

	if (!ret)
		ret = each(g, st, is_dequantize, forward_dq);
	if (!ret)
		ret = each(g, st, is_quantize, backward_q);
	if (!ret)
		ret = each(g, st, is_conv_gemm, quantize_weights);
	if (!ret)
		ret = each(g, st, is_quantize, fuse_chain);
	if (!ret)
		ret = each(g, st, is_group_op, fuse_group);
	if (!ret)
		ret = each(g, st, is_quantize, fuse_requant);
	return ret ? ret : npuc_dead_code(g);
}
