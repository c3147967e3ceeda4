// SPDX-License-Identifier: MIT
/*
 * memplan.c - place the scratch buffers of a lowered program in one
 * scratch slot so that buffers alive at the same time never share a
 * byte: live ranges from the steps (commands and CPU steps) that name
 * each buffer, then greedy by size (largest first, each at the lowest
 * 64-byte aligned offset that no overlapping live range uses), as
 * TensorFlow Lite's arena planner does.
 *
 * Steps run one after the other (a fused pair splits one command's work,
 * never two commands), so a step's inputs and outputs are all alive at
 * that step and the command validator's no-overlap rule holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

static void use(struct lctx *x, uint32_t slot, int step)
{
	struct vbuf *v;

	if (slot < SLOT_VBUF || slot == NPURT_CPU_NONE)
		return;
	v = &x->vb[slot - SLOT_VBUF];
	if (v->first < 0)
		v->first = step;
	v->last = step;
}

static void live_ranges(struct lctx *x)
{
	int i, k;

	for (i = 0; i < x->nst; i++) {
		struct lstep *s = &x->st[i];
		struct rm_npu_cmd *c = &s->c;

		if (s->cpu) {
			for (k = 0; k < NPURT_CPU_MAX_IN; k++)
				use(x, s->op.in[k].slot, i);
			use(x, s->op.out.slot, i);
			continue;
		}
		switch (c->opcode) {
		case RM_NPU_OP_FILL:
			use(x, c->fill.dst.bo, i);
			break;
		case RM_NPU_OP_COPY:
			use(x, c->copy.src.bo, i);
			use(x, c->copy.dst.bo, i);
			break;
		case RM_NPU_OP_GEMM:
			use(x, c->gemm.a.bo, i);
			use(x, c->gemm.b.bo, i);
			use(x, c->gemm.out.bo, i);
			break;
		case RM_NPU_OP_CONV2D:
			use(x, c->conv2d.in.bo, i);
			use(x, c->conv2d.weights.bo, i);
			use(x, c->conv2d.out.bo, i);
			break;
		case RM_NPU_OP_POOL2D:
			use(x, c->pool2d.in.bo, i);
			use(x, c->pool2d.out.bo, i);
			break;
		case RM_NPU_OP_ELTWISE:
			use(x, c->eltwise.a.ref.bo, i);
			use(x, c->eltwise.b.ref.bo, i);
			use(x, c->eltwise.out.bo, i);
			break;
		case RM_NPU_OP_LUT:
			use(x, c->lut.in.bo, i);
			use(x, c->lut.out.bo, i);
			break;
		}
	}
}

static int by_size(const void *a, const void *b, void *arg)
{
	const struct vbuf *va = &((const struct vbuf *)arg)[*(const int *)a];
	const struct vbuf *vb = &((const struct vbuf *)arg)[*(const int *)b];

	if (va->size != vb->size)
		return va->size > vb->size ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int by_off(const void *a, const void *b, void *arg)
{
	const struct vbuf *va = &((const struct vbuf *)arg)[*(const int *)a];
	const struct vbuf *vb = &((const struct vbuf *)arg)[*(const int *)b];

	return va->off < vb->off ? -1 : va->off > vb->off;
}

int memplan(struct lctx *x)
{
	int *order, *placed, *near, nplaced = 0, i, j;
	uint64_t top = 0;

	x->scratch_size = x->scratch_naive = 0;
	if (!x->nvb)
		return 0;
	live_ranges(x);
	order = malloc((size_t)x->nvb * sizeof(int));
	placed = malloc((size_t)x->nvb * sizeof(int));
	near = malloc((size_t)x->nvb * sizeof(int));
	if (!order || !placed || !near) {
		free(order);
		free(placed);
		free(near);
		return npuc_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < x->nvb; i++) {
		order[i] = i;
		x->scratch_naive += (x->vb[i].size + 63) & ~63ull;
	}
	qsort_r(order, (size_t)x->nvb, sizeof(int), by_size, x->vb);
	for (i = 0; i < x->nvb; i++) {
		struct vbuf *v = &x->vb[order[i]];
		uint64_t off = 0;
		int nn = 0;

		if (v->first < 0)	/* never used */
			continue;
		for (j = 0; j < nplaced; j++) {
			struct vbuf *p = &x->vb[placed[j]];

			if (p->first <= v->last && v->first <= p->last)
				near[nn++] = placed[j];
		}
		qsort_r(near, (size_t)nn, sizeof(int), by_off, x->vb);
		for (j = 0; j < nn; j++) {
			struct vbuf *p = &x->vb[near[j]];

			if (off + v->size <= p->off)
				break;		/* fits in the gap */
			if (p->off + p->size > off)
				off = (p->off + p->size + 63) & ~63ull;
		}
		v->off = off;
		placed[nplaced++] = order[i];
		if (off + v->size > top)
			top = off + v->size;
	}
	x->scratch_size = top;
	free(order);
	free(placed);
	free(near);
	return 0;
}
