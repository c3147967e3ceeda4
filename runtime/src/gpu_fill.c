// SPDX-License-Identifier: MIT
/*
 * gpu_fill.c - the GPU kernels' parameters for GEMM and CONV2D commands
 * (gpu_fill.h), and the shape tests that pick the specialized kernels.
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

bool gpu_dw_fits(const struct rm_npu_cmd_conv2d *c, const struct g_conv *q)
{
	uint64_t in_bytes = (uint64_t)c->batch * c->in_h * c->in_w * c->in_c;

	return c->groups == c->in_c && c->out_c == c->in_c &&
	       !(c->in_c % 4) && c->k_h == c->k_w &&
	       (c->k_h == 3 || c->k_h == 5) && !(q->in % 4) && !(q->in_is % 4) &&
	       in_bytes < (1ULL << 31) && q->total < (1ULL << 31) &&
	       (uint64_t)c->in_c * c->k_h * ((c->k_w + 3) / 4) <= GPU_DW_WORDS;
}
