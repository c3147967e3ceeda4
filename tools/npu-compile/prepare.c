// SPDX-License-Identifier: MIT
/*
 * prepare.c - from the imported graph to one the lowering can take:
 *
 *   - every node gets its registry row (unknown operators are refused
 *     here, by name);
 *   - Identity nodes are bypassed;
 *   - QOperator nodes take their canonical form (ops_nn.c), Quantize-
 *     and DequantizeLinear annotate the tensors they touch;
 *   - every tensor gets its type and shape, in topological order;
 *   - nodes whose inputs are all constants are evaluated (shape
 *     subgraphs: Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Cast,
 *     Slice, arithmetic on shapes, QuantizeLinear of constants, ...);
 *     DequantizeLinear of a constant keeps its node, since fused patterns
 *     read its integer input;
 *   - nodes nothing reads are removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "npuc_ir.h"

static bool inputs_const(struct npuc_graph *g, const struct npuc_node *n)
{
	int i;

	for (i = 0; i < n->nin; i++)
		if (in_t(g, n, i) && !in_t(g, n, i)->data)
			return false;
	return true;
}

static bool outputs_const(struct npuc_graph *g, const struct npuc_node *n)
{
	int j, any = 0;

	for (j = 0; j < n->nout; j++) {
		if (!out_t(g, n, j))
			continue;
		if (!out_t(g, n, j)->data)
			return false;
		any = 1;
	}
	return any;
}

/* Live nodes: those a graph output depends on. */
int npuc_dead_code(struct npuc_graph *g)
{
	bool *need = calloc((size_t)g->nt + 1, sizeof(bool));
	int i, j, ret;

	if (!need)
		return npuc_err(-ENOMEM, "out of memory");
	ret = graph_refresh(g);
	for (i = 0; !ret && i < g->noutputs; i++)
		need[g->outputs[i]] = true;
	for (i = g->norder - 1; !ret && i >= 0; i--) {
		struct npuc_node *n = &g->n[g->order[i]];
		bool live = false;

		for (j = 0; j < n->nout; j++)
			if (n->out[j] >= 0 && need[n->out[j]])
				live = true;
		if (!live) {
			n->dead = true;
			continue;
		}
		for (j = 0; j < n->nin; j++)
			if (n->in[j] >= 0)
				need[n->in[j]] = true;
	}
	free(need);
	return ret ? ret : graph_refresh(g);
}

/*
 * Operators that move values (Reshape, Transpose, Concat, ..., MaxPool)
 * keep their input's quantization: an integer output nobody annotated
 * (QOperator models leave them between QLinear nodes) gets input 0's.
 */
static int keep_quant(struct npuc_graph *g, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(g, n, 0);
	int j, ret;

	if (!(n->def->flags & (OPF_MOVE | OPF_KEEPQ)) || !in || !in->q.elem)
		return 0;
	for (j = 0; j < n->nout; j++) {
		struct npuc_tensor *o = out_t(g, n, j);

		if (!o || o->q.elem || o->elem != in->elem || o->data)
			continue;
		if ((ret = quant_copy(&o->q, &in->q)))
			return ret;
		/* a per-axis quantization follows the axis only when the
		 * shape does; otherwise requantized later as needed */
		if (o->q.axis >= 0 && (o->ndim != in->ndim ||
				       o->dims[o->q.axis] != (int64_t)o->q.n))
			quant_release(&o->q);
	}
	return 0;
}

static int prepare_node(struct npuc_graph *g, struct npuc_node *n,
			struct npuc_stats *st)
{
	int ret;

	if (IS_OP(n, IDENTITY) && n->in[0] >= 0 && n->out[0] >= 0 &&
	    !g->t[n->out[0]].is_output) {
		graph_replace_uses(g, n->out[0], n->in[0]);
		n->dead = true;
		st->folded++;
		return 0;
	}
	if (n->def->canon && (ret = n->def->canon(g, n)))
		return ret;
	if (n->def->infer && (ret = n->def->infer(g, n)))
		return ret;
	if ((ret = keep_quant(g, n)))
		return ret;
	if (outputs_const(g, n) && !(n->def->flags & OPF_KEEP_DQ)) {
		n->dead = true;		/* Constant, Shape, ... */
		st->folded++;
		return 0;
	}
	if (!n->def->fold || !inputs_const(g, n))
		return 0;
	ret = n->def->fold(g, n);
	if (ret == -EOPNOTSUPP)
		return 0;
	if (!ret && !(n->def->flags & OPF_KEEP_DQ)) {
		n->dead = true;
		st->folded++;
	}
	return ret;
}

int npuc_prepare(struct npuc_graph *g, struct npuc_stats *st)
{
	int i, ret;

	for (i = 0; i < g->nn; i++) {
		struct npuc_node *n = &g->n[i];

		if (!n->def)
			n->def = npuc_opdef_find(n->domain, n->op);
		if (!n->def)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": operator "
					"%s%s%s is not supported (npu-compile "
					"--list-ops lists those that are)",
					n->name, n->domain,
					n->domain[0] ? "::" : "", n->op);
	}
	ret = graph_refresh(g);
	for (i = 0; !ret && i < g->norder; i++) {
		struct npuc_node *n = &g->n[g->order[i]];

		if (n->dead)
			continue;
		ret = prepare_node(g, n, st);
		if (ret && !strstr(npuc_last_error(), n->name)) {
			char why[400];

			snprintf(why, sizeof(why), "%s", npuc_last_error());
			npuc_err(ret, "node \"%s\" (%s): %s", n->name, n->op,
				 why);
		}
	}
	return ret ? ret : npuc_dead_code(g);
}
