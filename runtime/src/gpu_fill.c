// SPDX-License-Identifier: MIT
/*
 * gpu_fill.c - the GPU kernels' parameters for the commands (gpu_fill.h),
 * and the shape tests that pick the specialized kernels.
 */
#include <string.h>

#include "gpu_fill.h"

static uint64_t fill_addr(const struct gpu_slots *s,
			  const struct rm_npu_ref *r)
{
	return s->addr[r->bo] + r->offset;
}

/* The item stride of @r's slot. */
static uint64_t fill_is(const struct gpu_slots *s, const struct rm_npu_ref *r)
{
	return s->is ? s->is[r->bo] : 0;
}

static void fill_epi(struct g_epi *e, const struct gpu_slots *s,
		     const struct rm_npu_cmd *cmd, uint32_t index,
		     const struct rm_npu_ref *bias,
		     const struct rm_npu_ref *quant,
		     const struct rm_npu_ref *out, uint32_t out_dtype,
		     const struct rm_npu_requant *rq)
{
	if (cmd->flags & RM_NPU_MM_BIAS) {
		e->bias = fill_addr(s, bias);
		e->bias_is = fill_is(s, bias);
	}
	if (cmd->flags & RM_NPU_MM_PER_CHANNEL) {
		e->quant = fill_addr(s, quant);
		e->quant_is = fill_is(s, quant);
	}
	e->out = fill_addr(s, out);
	e->out_is = fill_is(s, out);
	e->err = s->err;
	e->flags = cmd->flags;
	e->out_dtype = out_dtype;
	e->mult = rq->mult;
	e->shift = rq->shift;
	e->zp = rq->zero_point;
	e->lo = rq->act_min;
	e->hi = rq->act_max;
	e->cmd1 = index + 1;
}

void gpu_fill_gemm(struct g_mm *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd, uint32_t index)
{
	const struct rm_npu_cmd_gemm *c = &cmd->gemm;

	memset(p, 0, sizeof(*p));
	fill_epi(&p->e, s, cmd, index, &c->bias, &c->quant, &c->out,
		 c->out_dtype, &c->rq);
	p->a = fill_addr(s, &c->a);
	p->b = fill_addr(s, &c->b);
	p->a_is = fill_is(s, &c->a);
	p->b_is = fill_is(s, &c->b);
	p->b_ks = c->ldb;
	p->b_ns = 1;
	p->m = c->m;
	p->n = c->n;
	p->k = c->k;
	p->lda = c->lda;
	p->ldo = c->ldo;
	p->a_signed = c->a_dtype == RM_NPU_DT_INT8;
	p->za = c->a_zero_point;
	p->zb = c->b_zero_point;
}

bool gpu_fill_conv_mm(struct g_mm *p, const struct gpu_slots *s,
		      const struct rm_npu_cmd *cmd, uint32_t index)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	uint64_t pix = (uint64_t)c->batch * c->out_h * c->out_w;
	uint32_t ksz = c->k_h * c->k_w * (c->in_c / c->groups);
	bool pw = c->k_h == 1 && c->k_w == 1 && c->stride_h == 1 &&
		  c->stride_w == 1 && !c->pad_top && !c->pad_left &&
		  !c->pad_bottom && !c->pad_right;

	if (c->groups != 1 || pix > (1ULL << 31))
		return false;
	memset(p, 0, sizeof(*p));
	fill_epi(&p->e, s, cmd, index, &c->bias, &c->quant, &c->out,
		 c->out_dtype, &c->rq);
	p->a = fill_addr(s, &c->in);
	p->b = fill_addr(s, &c->weights);
	p->a_is = fill_is(s, &c->in);
	p->b_is = fill_is(s, &c->weights);
	p->b_ks = 1;
	p->b_ns = ksz;
	p->m = (uint32_t)pix;
	p->n = c->out_c;
	p->k = ksz;
	p->lda = c->in_c;
	p->ldo = c->out_c;
	p->a_signed = c->in_dtype == RM_NPU_DT_INT8;
	p->za = c->in_zero_point;
	p->zb = c->w_zero_point;
	p->conv = !pw;
	p->in_h = c->in_h;
	p->in_w = c->in_w;
	p->in_c = c->in_c;
	p->out_h = c->out_h;
	p->out_w = c->out_w;
	p->k_w = c->k_w;
	p->stride_h = c->stride_h;
	p->stride_w = c->stride_w;
	p->dil_h = c->dil_h;
	p->dil_w = c->dil_w;
	p->pad_top = c->pad_top;
	p->pad_left = c->pad_left;
	return true;
}

void gpu_fill_conv(struct g_conv *q, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd, uint32_t index)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	memset(q, 0, sizeof(*q));
	fill_epi(&q->e, s, cmd, index, &c->bias, &c->quant, &c->out,
		 c->out_dtype, &c->rq);
	q->in = fill_addr(s, &c->in);
	q->w = fill_addr(s, &c->weights);
	q->in_is = fill_is(s, &c->in);
	q->w_is = fill_is(s, &c->weights);
	q->total = (uint64_t)c->batch * c->out_h * c->out_w * c->out_c;
	q->in_h = c->in_h;
	q->in_w = c->in_w;
	q->in_c = c->in_c;
	q->out_h = c->out_h;
	q->out_w = c->out_w;
	q->out_c = c->out_c;
	q->k_h = c->k_h;
	q->k_w = c->k_w;
	q->stride_h = c->stride_h;
	q->stride_w = c->stride_w;
	q->dil_h = c->dil_h;
	q->dil_w = c->dil_w;
	q->pad_top = c->pad_top;
	q->pad_left = c->pad_left;
	q->cig = c->in_c / c->groups;
	q->cpo = c->out_c / c->groups;
	q->in_signed = c->in_dtype == RM_NPU_DT_INT8;
	q->zx = c->in_zero_point;
	q->zw = c->w_zero_point;
}

bool gpu_pw_fits(struct g_mm *p)
{
	int64_t amax, bmax, bound;

	if (p->conv || p->e.out_dtype == RM_NPU_DT_INT32 ||
	    !(p->e.flags & RM_NPU_MM_F32_SCALE) || !p->k || p->k > 32 ||
	    p->k % 4 || p->n % 16 || p->b_ks != 1 ||
	    ((p->a | p->a_is | p->lda | p->b | p->b_is | p->b_ns | p->e.out |
	      p->e.out_is | p->ldo) % 4))
		return false;
	amax = p->a_signed ? (p->za < 0 ? 127 - (int64_t)p->za :
			      (int64_t)p->za + 128) :
			     (p->za < 128 ? 255 - (int64_t)p->za : p->za);
	bmax = p->zb < 0 ? 127 - (int64_t)p->zb : (int64_t)p->zb + 128;
	if (amax >= (1 << 22) || bmax >= (1 << 22))
		return false;
	bound = (int64_t)p->k * amax * bmax;
	if (bound >= (1 << 22) - 1)
		return false;
	p->blim = (int32_t)((1 << 22) - 1 - bound);
	return true;
}

bool gpu_pwk_fits(const struct g_mm *p)
{
	return !p->conv && p->e.out_dtype != RM_NPU_DT_INT32 &&
	       (p->e.flags & RM_NPU_MM_F32_SCALE) && p->k > 32 &&
	       p->k <= G_PK_KMAX && !(p->k % 16) && p->n && !(p->n % 8) &&
	       p->b_ks == 1 &&
	       !((p->a | p->a_is | p->lda | p->b | p->b_is | p->b_ns) % 16) &&
	       !((p->e.out | p->e.out_is | p->ldo) % 8);
}

bool gpu_pw_fold(struct g_mm *p, uint32_t items)
{
	p->mi = p->m;
	if (items < 2 || p->b_is || p->e.bias_is || p->e.quant_is ||
	    (uint64_t)p->m * items > UINT32_MAX)
		return false;
	p->m *= items;
	return true;
}

bool gpu_dw_fits(const struct rm_npu_cmd_conv2d *c, const struct g_conv *q)
{
	uint64_t in_bytes = (uint64_t)c->batch * c->in_h * c->in_w * c->in_c;

	return c->groups == c->in_c && c->out_c == c->in_c &&
	       !(c->in_c % 4) && c->k_h == c->k_w &&
	       (c->k_h == 3 || c->k_h == 5) && !(q->in % 4) && !(q->in_is % 4) &&
	       in_bytes < (1ULL << 31) && q->total < (1ULL << 31) &&
	       (uint64_t)c->in_c * c->k_h * ((c->k_w + 3) / 4) <= GPU_DW_WORDS;
}

void gpu_fill_pool(struct g_pool *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_pool2d *c = &cmd->pool2d;

	memset(p, 0, sizeof(*p));
	p->in = fill_addr(s, &c->in);
	p->out = fill_addr(s, &c->out);
	p->in_is = fill_is(s, &c->in);
	p->out_is = fill_is(s, &c->out);
	p->total = (uint64_t)c->batch * c->out_h * c->out_w * c->c;
	p->avg = c->mode == RM_NPU_POOL_AVG;
	p->count_pad = !!(cmd->flags & RM_NPU_POOL_COUNT_PAD);
	p->in_signed = c->dtype == RM_NPU_DT_INT8;
	p->in_h = c->in_h;
	p->in_w = c->in_w;
	p->c = c->c;
	p->out_h = c->out_h;
	p->out_w = c->out_w;
	p->k_h = c->k_h;
	p->k_w = c->k_w;
	p->stride_h = c->stride_h;
	p->stride_w = c->stride_w;
	p->pad_top = c->pad_top;
	p->pad_left = c->pad_left;
	p->zp = c->zero_point;
	p->lo = c->act_min;
	p->hi = c->act_max;
}

static void fill_elt_in(struct g_elt_in *d, const struct gpu_slots *s,
			const struct rm_npu_elt_input *in)
{
	d->p = fill_addr(s, &in->ref);
	d->p_is = fill_is(s, &in->ref);
	d->row_stride = in->row_stride;
	d->col_stride = in->col_stride;
	d->zp = in->zero_point;
	d->mult = in->mult;
	d->shift = in->shift;
}

void gpu_fill_elt(struct g_elt *p, const struct gpu_slots *s,
		  const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_eltwise *c = &cmd->eltwise;

	memset(p, 0, sizeof(*p));
	fill_elt_in(&p->a, s, &c->a);
	fill_elt_in(&p->b, s, &c->b);
	p->out = fill_addr(s, &c->out);
	p->out_is = fill_is(s, &c->out);
	p->out_row_stride = c->out_row_stride;
	p->op = c->op;
	p->in_signed = c->dtype == RM_NPU_DT_INT8;
	p->rows = c->rows;
	p->cols = c->cols;
	p->mult = c->rq.mult;
	p->shift = c->rq.shift;
	p->zp = c->rq.zero_point;
	p->lo = c->rq.act_min;
	p->hi = c->rq.act_max;
	p->flags = cmd->flags;
}

void gpu_fill_lut(struct g_lut *p, const struct gpu_slots *s,
		  const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_lut *c = &cmd->lut;

	memset(p, 0, sizeof(*p));
	p->in = fill_addr(s, &c->in);
	p->table = fill_addr(s, &c->table);
	p->out = fill_addr(s, &c->out);
	p->in_is = fill_is(s, &c->in);
	p->table_is = fill_is(s, &c->table);
	p->out_is = fill_is(s, &c->out);
	p->count = c->count;
	p->flip = c->dtype == RM_NPU_DT_INT8 ? 0x80 : 0;
}

void gpu_fill_fill(struct g_fill *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_fill *c = &cmd->fill;

	memset(p, 0, sizeof(*p));
	p->dst = fill_addr(s, &c->dst);
	p->dst_is = fill_is(s, &c->dst);
	p->count = c->count;
	p->elem_size = c->elem_size;
	p->value = c->value;
}

/*
 * k_copy's parameters: the dimensions in the destination's order
 * (outermost first, those of one element first of all), which copies the
 * same pairs of elements (the destination's are distinct), so that a
 * thread's consecutive elements are neighbours in the destination; and
 * for bytes whose destination is then dense and 8-aligned, dense8 (a
 * word store a thread, see g_copy_dense8()).
 */
void gpu_fill_copy(struct g_copy *p, const struct gpu_slots *s,
		   const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;
	uint64_t ext = 1;
	int i, j;

	memset(p, 0, sizeof(*p));
	p->src = fill_addr(s, &c->src);
	p->dst = fill_addr(s, &c->dst);
	p->src_is = fill_is(s, &c->src);
	p->dst_is = fill_is(s, &c->dst);
	p->total = 1;
	for (i = 0; i < RM_NPU_COPY_DIMS; i++) {
		uint64_t key = c->dims[i] > 1 ? c->dst_stride[i] : UINT64_MAX;

		/* insertion by key, descending: stable */
		for (j = i; j > 0; j--) {
			uint64_t kj = p->dims[j - 1] > 1 ?
				      p->dst_stride[j - 1] : UINT64_MAX;

			if (kj >= key)
				break;
			p->dims[j] = p->dims[j - 1];
			p->src_stride[j] = p->src_stride[j - 1];
			p->dst_stride[j] = p->dst_stride[j - 1];
		}
		p->dims[j] = c->dims[i];
		p->src_stride[j] = c->src_stride[i];
		p->dst_stride[j] = c->dst_stride[i];
		p->total *= c->dims[i];
	}
	p->elem_size = c->elem_size;
	p->dense8 = c->elem_size == 1 && !((p->dst | p->dst_is) % 8);
	for (i = RM_NPU_COPY_DIMS - 1; i >= 0; i--) {
		if (p->dims[i] > 1 && p->dst_stride[i] != ext)
			p->dense8 = 0;
		ext *= p->dims[i];
	}
}
