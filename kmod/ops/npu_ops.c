// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu_ops.c - validation and execution of rm_npu commands.
 *
 * The one definition of what every command computes. The same file is
 * built into rm_npu.ko (the PE engines) and into userspace (the libnpurt
 * CPU backend, the host tests), so both produce bit-identical results;
 * uapi/rm_npu_commands.md is the contract it implements.
 *
 * Rules: integer arithmetic only, no allocation, no VLAs, no recursion,
 * small stack frames, environment headers only through npu_ops_shim.h.
 * Only the (copied, validated) command decides which bytes are touched:
 * buffer contents may change under us at any time and never steer a memory
 * access. The only buffer data that is range-checked (per-channel requant
 * pairs) is loaded once and checked at its use.
 */
#include "npu_ops_impl.h"

_Static_assert(sizeof(struct rm_npu_cmd) == RM_NPU_CMD_SIZE, "cmd size");
_Static_assert(sizeof(struct rm_npu_cmd_fill) == 32, "fill layout");
_Static_assert(sizeof(struct rm_npu_cmd_copy) == 120, "copy layout");
_Static_assert(sizeof(struct rm_npu_cmd_gemm) == 144, "gemm layout");
_Static_assert(sizeof(struct rm_npu_cmd_conv2d) == 192, "conv2d layout");
_Static_assert(sizeof(struct rm_npu_cmd_pool2d) == 112, "pool2d layout");
_Static_assert(sizeof(struct rm_npu_cmd_eltwise) == 144, "eltwise layout");
_Static_assert(sizeof(struct rm_npu_cmd_lut) == 64, "lut layout");


/* Largest valid window, for the validation of unused bytes. */
#define NPU_RAW_SIZE	(RM_NPU_CMD_SIZE - 8)


/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

struct npu_vctx {
	const u64 *bo_sizes;
	u32 num_bos;
};

/* Bytes [begin, end) of buffer @bo. */
struct npu_span {
	u32 bo;
	u64 begin;
	u64 end;
};

static bool npu_dt_byte(u32 dt)
{
	return dt == RM_NPU_DT_INT8 || dt == RM_NPU_DT_UINT8;
}

/* Is @v a value of the byte type @dt? */
static bool npu_dt_has(u32 dt, s32 v)
{
	if (dt == RM_NPU_DT_INT8)
		return v >= -128 && v <= 127;
	if (dt == RM_NPU_DT_UINT8)
		return v >= 0 && v <= 255;
	return false;
}

static bool npu_dim_ok(u32 d)
{
	return d >= 1 && d <= RM_NPU_MAX_DIM;
}

static bool npu_win_ok(u32 d)
{
	return d >= 1 && d <= RM_NPU_MAX_KERNEL;
}


static bool npu_clamp_ok(u32 dt, s32 zp, s32 lo, s32 hi)
{
	return npu_dt_has(dt, zp) && npu_dt_has(dt, lo) &&
	       npu_dt_has(dt, hi) && lo <= hi;
}

static bool npu_ref_zero(const struct rm_npu_ref *r)
{
	return !r->bo && !r->pad && !r->offset;
}

/*
 * The operand at @r spans @ext bytes (@ext_ok false: its size overflowed):
 * check that it lies inside its buffer and record where.
 */
static int npu_ref_span(const struct npu_vctx *v, const struct rm_npu_ref *r,
			bool ext_ok, u64 ext, struct npu_span *s)
{
	u64 end;

	if (!ext_ok || r->pad || r->bo >= v->num_bos)
		return -EINVAL;
	if (__builtin_add_overflow(r->offset, ext, &end) ||
	    end > v->bo_sizes[r->bo])
		return -EINVAL;
	s->bo = r->bo;
	s->begin = r->offset;
	s->end = end;
	return 0;
}

static bool npu_overlap(const struct npu_span *x, const struct npu_span *y)
{
	return x->bo == y->bo && x->begin < y->end && y->begin < x->end;
}

/* Output @out must share no byte with any of @n inputs. */
static int npu_out_apart(const struct npu_span *out, const struct npu_span *in,
			 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (npu_overlap(out, &in[i]))
			return -EINVAL;
	return 0;
}

/* (rows - 1) * rs + (cols - 1) * cs + 1 elements of @es bytes. */
static bool npu_ext_2d(u64 rows, u64 rs, u64 cols, u64 cs, u64 es, u64 *ext)
{
	u64 a, b;

	return !__builtin_mul_overflow(rows - 1, rs, &a) &&
	       !__builtin_mul_overflow(cols - 1, cs, &b) &&
	       !__builtin_add_overflow(a, b, &a) &&
	       !__builtin_add_overflow(a, 1, &a) &&
	       !__builtin_mul_overflow(a, es, ext);
}

/* a * b * c * d, false on overflow. */
static bool npu_prod4(u64 a, u64 b, u64 c, u64 d, u64 *r)
{
	return !__builtin_mul_overflow(a, b, r) &&
	       !__builtin_mul_overflow(*r, c, r) &&
	       !__builtin_mul_overflow(*r, d, r);
}

/*
 * Output size of a window sweep: (in + pa + pb - span) / stride + 1, span =
 * dil * (k - 1) + 1; 0 when the window does not fit once.
 */
static u64 npu_out_dim(u32 in, u32 pa, u32 pb, u32 k, u32 dil, u32 stride)
{
	u64 padded = (u64)in + pa + pb;
	u64 span = (u64)dil * (k - 1) + 1;

	if (padded < span)
		return 0;
	return npu_div_u64(padded - span, stride) + 1;
}

/* Epilogue fields of GEMM and CONV2D. */
static int npu_check_epilogue(u32 out_dtype, u32 flags,
			      const struct rm_npu_requant *rq)
{
	if (out_dtype == RM_NPU_DT_INT32) {
		if (flags & (RM_NPU_MM_PER_CHANNEL | RM_NPU_MM_F32_SCALE))
			return -EINVAL;
		if (rq->mult || rq->shift || rq->zero_point || rq->act_min ||
		    rq->act_max)
			return -EINVAL;
		return 0;
	}
	if (!npu_dt_byte(out_dtype))
		return -EINVAL;
	if (flags & RM_NPU_MM_PER_CHANNEL) {
		if (rq->mult || rq->shift)
			return -EINVAL;
	} else if (flags & RM_NPU_MM_F32_SCALE) {
		if (!npu_f32_pair_ok(rq->mult, rq->shift))
			return -EINVAL;
	} else if (!npu_scale_ok(rq->mult, rq->shift)) {
		return -EINVAL;
	}
	if (!npu_clamp_ok(out_dtype, rq->zero_point, rq->act_min, rq->act_max))
		return -EINVAL;
	return 0;
}

/*
 * Optional per-output-channel operands: bias (int32) and quant ({mult,
 * shift} int32 pairs), present with their flag, all-zero refs otherwise.
 */
static int npu_mm_extras(const struct npu_vctx *v, u32 flags, u32 n,
			 const struct rm_npu_ref *bias,
			 const struct rm_npu_ref *quant, struct npu_span *in,
			 unsigned int *nin)
{
	if (flags & RM_NPU_MM_BIAS) {
		if (npu_ref_span(v, bias, true, (u64)n * 4, &in[(*nin)++]))
			return -EINVAL;
	} else if (!npu_ref_zero(bias)) {
		return -EINVAL;
	}
	if (flags & RM_NPU_MM_PER_CHANNEL) {
		if (npu_ref_span(v, quant, true, (u64)n * 8, &in[(*nin)++]))
			return -EINVAL;
	} else if (!npu_ref_zero(quant)) {
		return -EINVAL;
	}
	return 0;
}

static int npu_fill_validate(const struct npu_vctx *v,
			     const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_fill *f = &cmd->fill;
	struct npu_span out;
	u64 ext;
	bool ok;

	if (cmd->flags & ~RM_NPU_FILL_FLAGS)
		return -EINVAL;
	if (f->elem_size != 1 && f->elem_size != 2 && f->elem_size != 4)
		return -EINVAL;
	if (f->elem_size < 4 && f->value >> (8 * f->elem_size))
		return -EINVAL;
	if (!f->count)
		return -EINVAL;
	ok = !__builtin_mul_overflow(f->count, (u64)f->elem_size, &ext);
	return npu_ref_span(v, &f->dst, ok, ext, &out);
}

/*
 * The destination elements of a copy must not share bytes, whatever the
 * split into units: sorted by stride, each used dimension's stride must
 * pass the extent of the dimensions below it. (Conservative: interleaved
 * layouts are refused.)
 */
static int npu_copy_dst_distinct(const struct rm_npu_cmd_copy *c)
{
	u64 stride[RM_NPU_COPY_DIMS], ext = c->elem_size, t;
	u32 dim[RM_NPU_COPY_DIMS], td;
	unsigned int n = 0, i, j;

	for (i = 0; i < RM_NPU_COPY_DIMS; i++) {
		if (c->dims[i] == 1)
			continue;
		stride[n] = c->dst_stride[i];
		dim[n++] = c->dims[i];
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && stride[j - 1] > stride[j]; j--) {
			t = stride[j];
			stride[j] = stride[j - 1];
			stride[j - 1] = t;
			td = dim[j];
			dim[j] = dim[j - 1];
			dim[j - 1] = td;
		}
	for (i = 0; i < n; i++) {
		if (stride[i] < ext)
			return -EINVAL;
		if (__builtin_mul_overflow((u64)(dim[i] - 1), stride[i], &t) ||
		    __builtin_add_overflow(ext, t, &ext))
			return -EINVAL;
	}
	return 0;
}

static int npu_copy_validate(const struct npu_vctx *v,
			     const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;
	struct npu_span src, dst;
	u64 sext = c->elem_size, dext = c->elem_size, t;
	bool ok = true;
	unsigned int i;

	if (cmd->flags || c->pad)
		return -EINVAL;
	if (c->elem_size < 1 || c->elem_size > 256)
		return -EINVAL;
	for (i = 0; i < RM_NPU_COPY_DIMS; i++) {
		if (!npu_dim_ok(c->dims[i]))
			return -EINVAL;
		if (__builtin_mul_overflow((u64)(c->dims[i] - 1),
					   c->src_stride[i], &t) ||
		    __builtin_add_overflow(sext, t, &sext))
			ok = false;
		if (__builtin_mul_overflow((u64)(c->dims[i] - 1),
					   c->dst_stride[i], &t) ||
		    __builtin_add_overflow(dext, t, &dext))
			ok = false;
	}
	if (!ok)
		return -EINVAL;
	if (npu_ref_span(v, &c->src, true, sext, &src) ||
	    npu_ref_span(v, &c->dst, true, dext, &dst))
		return -EINVAL;
	if (npu_overlap(&src, &dst))
		return -EINVAL;
	return npu_copy_dst_distinct(c);
}

static int npu_gemm_validate(const struct npu_vctx *v,
			     const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;
	struct npu_span in[4], out;
	unsigned int nin = 0;
	u64 ext;
	bool ok;
	u32 osz;

	if (cmd->flags & ~RM_NPU_MM_FLAGS || g->pad)
		return -EINVAL;
	if (!npu_dim_ok(g->m) || !npu_dim_ok(g->n) || g->k < 1 ||
	    g->k > RM_NPU_MAX_GEMM_K)
		return -EINVAL;
	if (g->lda < g->k || g->ldb < g->n || g->ldo < g->n)
		return -EINVAL;
	if (!npu_dt_byte(g->a_dtype) ||
	    !npu_dt_has(g->a_dtype, g->a_zero_point) ||
	    !npu_dt_has(RM_NPU_DT_INT8, g->b_zero_point))
		return -EINVAL;
	if (npu_check_epilogue(g->out_dtype, cmd->flags, &g->rq))
		return -EINVAL;
	osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;

	ok = npu_ext_2d(g->m, g->lda, g->k, 1, 1, &ext);
	if (npu_ref_span(v, &g->a, ok, ext, &in[nin++]))
		return -EINVAL;
	ok = npu_ext_2d(g->k, g->ldb, g->n, 1, 1, &ext);
	if (npu_ref_span(v, &g->b, ok, ext, &in[nin++]))
		return -EINVAL;
	if (npu_mm_extras(v, cmd->flags, g->n, &g->bias, &g->quant, in, &nin))
		return -EINVAL;
	ok = npu_ext_2d(g->m, g->ldo, g->n, 1, osz, &ext);
	if (npu_ref_span(v, &g->out, ok, ext, &out))
		return -EINVAL;
	return npu_out_apart(&out, in, nin);
}

static int npu_conv_validate(const struct npu_vctx *v,
			     const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	struct npu_span in[4], out;
	unsigned int nin = 0;
	u64 ext, ksum;
	bool ok;
	u32 osz;

	if (cmd->flags & ~RM_NPU_MM_FLAGS || c->pad)
		return -EINVAL;
	if (!npu_dim_ok(c->batch) || !npu_dim_ok(c->in_h) ||
	    !npu_dim_ok(c->in_w) || !npu_dim_ok(c->in_c) ||
	    !npu_dim_ok(c->out_h) || !npu_dim_ok(c->out_w) ||
	    !npu_dim_ok(c->out_c))
		return -EINVAL;
	if (!npu_win_ok(c->k_h) || !npu_win_ok(c->k_w) ||
	    !npu_win_ok(c->stride_h) || !npu_win_ok(c->stride_w) ||
	    !npu_win_ok(c->dil_h) || !npu_win_ok(c->dil_w))
		return -EINVAL;
	if (c->pad_top > RM_NPU_MAX_KERNEL || c->pad_bottom > RM_NPU_MAX_KERNEL ||
	    c->pad_left > RM_NPU_MAX_KERNEL || c->pad_right > RM_NPU_MAX_KERNEL)
		return -EINVAL;
	if (!c->groups || c->in_c % c->groups || c->out_c % c->groups)
		return -EINVAL;
	ksum = (u64)c->k_h * c->k_w * (c->in_c / c->groups);
	if (ksum > RM_NPU_MAX_GEMM_K)
		return -EINVAL;
	if (c->out_h != npu_out_dim(c->in_h, c->pad_top, c->pad_bottom, c->k_h,
				    c->dil_h, c->stride_h) ||
	    c->out_w != npu_out_dim(c->in_w, c->pad_left, c->pad_right, c->k_w,
				    c->dil_w, c->stride_w))
		return -EINVAL;
	if (!npu_dt_byte(c->in_dtype) ||
	    !npu_dt_has(c->in_dtype, c->in_zero_point) ||
	    !npu_dt_has(RM_NPU_DT_INT8, c->w_zero_point))
		return -EINVAL;
	if (npu_check_epilogue(c->out_dtype, cmd->flags, &c->rq))
		return -EINVAL;
	osz = c->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;

	ok = npu_prod4(c->batch, c->in_h, c->in_w, c->in_c, &ext);
	if (npu_ref_span(v, &c->in, ok, ext, &in[nin++]))
		return -EINVAL;
	ok = npu_prod4(c->out_c, ksum, 1, 1, &ext);
	if (npu_ref_span(v, &c->weights, ok, ext, &in[nin++]))
		return -EINVAL;
	if (npu_mm_extras(v, cmd->flags, c->out_c, &c->bias, &c->quant, in,
			  &nin))
		return -EINVAL;
	ok = npu_prod4(c->batch, c->out_h, c->out_w, c->out_c, &ext) &&
	     !__builtin_mul_overflow(ext, (u64)osz, &ext);
	if (npu_ref_span(v, &c->out, ok, ext, &out))
		return -EINVAL;
	return npu_out_apart(&out, in, nin);
}

static int npu_pool_validate(const struct npu_vctx *v,
			     const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	struct npu_span in, out;
	u64 ext;
	bool ok;

	if (cmd->flags & ~RM_NPU_POOL_FLAGS || p->pad)
		return -EINVAL;
	if (p->mode != RM_NPU_POOL_MAX && p->mode != RM_NPU_POOL_AVG)
		return -EINVAL;
	if (p->mode == RM_NPU_POOL_MAX &&
	    (cmd->flags & RM_NPU_POOL_COUNT_PAD || p->zero_point))
		return -EINVAL;
	if (!npu_dim_ok(p->batch) || !npu_dim_ok(p->in_h) ||
	    !npu_dim_ok(p->in_w) || !npu_dim_ok(p->c) ||
	    !npu_dim_ok(p->out_h) || !npu_dim_ok(p->out_w))
		return -EINVAL;
	if (!npu_win_ok(p->k_h) || !npu_win_ok(p->k_w) ||
	    !npu_win_ok(p->stride_h) || !npu_win_ok(p->stride_w))
		return -EINVAL;
	/* Every window keeps at least one element of the input. */
	if (p->pad_top >= p->k_h || p->pad_bottom >= p->k_h ||
	    p->pad_left >= p->k_w || p->pad_right >= p->k_w)
		return -EINVAL;
	if (p->out_h != npu_out_dim(p->in_h, p->pad_top, p->pad_bottom, p->k_h,
				    1, p->stride_h) ||
	    p->out_w != npu_out_dim(p->in_w, p->pad_left, p->pad_right, p->k_w,
				    1, p->stride_w))
		return -EINVAL;
	if (!npu_dt_byte(p->dtype) ||
	    !npu_clamp_ok(p->dtype, p->zero_point, p->act_min, p->act_max))
		return -EINVAL;

	ok = npu_prod4(p->batch, p->in_h, p->in_w, p->c, &ext);
	if (npu_ref_span(v, &p->in, ok, ext, &in))
		return -EINVAL;
	ok = npu_prod4(p->batch, p->out_h, p->out_w, p->c, &ext);
	if (npu_ref_span(v, &p->out, ok, ext, &out))
		return -EINVAL;
	return npu_out_apart(&out, &in, 1);
}

static int npu_elt_input_validate(const struct npu_vctx *v,
				  const struct rm_npu_cmd_eltwise *e, bool f32,
				  const struct rm_npu_elt_input *x,
				  const struct npu_span *out)
{
	struct npu_span s;
	u64 ext;
	bool ok;

	if (x->pad || !npu_dt_has(e->dtype, x->zero_point))
		return -EINVAL;
	if (f32 && e->op == RM_NPU_ELT_ADD) {
		/* binary32 scale; the zero points are in F */
		if (x->zero_point || !npu_f32_pair_ok(x->mult, x->shift))
			return -EINVAL;
	} else if (e->op == RM_NPU_ELT_MUL) {
		if (x->mult || x->shift)
			return -EINVAL;
	} else if (x->mult < 0 || x->shift < -31 || x->shift > 0) {
		return -EINVAL;
	}
	ok = npu_ext_2d(e->rows, x->row_stride, e->cols, x->col_stride, 1,
			&ext);
	if (npu_ref_span(v, &x->ref, ok, ext, &s))
		return -EINVAL;
	/* In place is fine: each output element then reads only itself. */
	if (x->ref.bo == e->out.bo && x->ref.offset == e->out.offset &&
	    (e->rows == 1 || x->row_stride == e->out_row_stride) &&
	    (e->cols == 1 || x->col_stride == 1))
		return 0;
	return npu_out_apart(out, &s, 1);
}

/*
 * ELTWISE flags: none, or RM_NPU_ELT_F32 with ADD or MUL, plus one
 * SCALAR_* at most with ADD.
 */
static int npu_elt_flags_check(const struct rm_npu_cmd *cmd)
{
	u32 f = cmd->flags, sc = RM_NPU_ELT_F32_SCALAR_A |
				 RM_NPU_ELT_F32_SCALAR_B;

	if (!f)
		return 0;
	if (f & ~RM_NPU_ELT_FLAGS || !(f & RM_NPU_ELT_F32) ||
	    cmd->eltwise.op == RM_NPU_ELT_SUB || (f & sc) == sc)
		return -EINVAL;
	if (f & sc && cmd->eltwise.op != RM_NPU_ELT_ADD)
		return -EINVAL;
	return 0;
}

static int npu_elt_validate(const struct npu_vctx *v,
			    const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_eltwise *e = &cmd->eltwise;
	bool f32 = cmd->flags & RM_NPU_ELT_F32;
	struct npu_span out;
	u64 ext;
	bool ok;

	if (e->pad || e->pad2 || npu_elt_flags_check(cmd))
		return -EINVAL;
	if (e->op != RM_NPU_ELT_ADD && e->op != RM_NPU_ELT_SUB &&
	    e->op != RM_NPU_ELT_MUL)
		return -EINVAL;
	if (!npu_dt_byte(e->dtype) || !npu_dim_ok(e->rows) ||
	    !npu_dim_ok(e->cols) || e->out_row_stride < e->cols)
		return -EINVAL;
	if (!npu_clamp_ok(e->dtype, e->rq.zero_point, e->rq.act_min,
			  e->rq.act_max))
		return -EINVAL;
	if (!f32 && !npu_scale_ok(e->rq.mult, e->rq.shift))
		return -EINVAL;
	/* binary32 F (ADD) or S (MUL) in rq.mult */
	if (f32 && (e->rq.shift ||
		    (e->op == RM_NPU_ELT_ADD ? !npu_f32_fix_ok(e->rq.mult) :
		     !npu_f32_scale_ok(e->rq.mult))))
		return -EINVAL;
	ok = npu_ext_2d(e->rows, e->out_row_stride, e->cols, 1, 1, &ext);
	if (npu_ref_span(v, &e->out, ok, ext, &out))
		return -EINVAL;
	if (npu_elt_input_validate(v, e, f32, &e->a, &out) ||
	    npu_elt_input_validate(v, e, f32, &e->b, &out))
		return -EINVAL;
	return 0;
}

static int npu_lut_validate(const struct npu_vctx *v,
			    const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_lut *l = &cmd->lut;
	struct npu_span in, tab, out;

	if (cmd->flags || l->pad || !npu_dt_byte(l->dtype) || !l->count)
		return -EINVAL;
	if (npu_ref_span(v, &l->in, true, l->count, &in) ||
	    npu_ref_span(v, &l->table, true, 256, &tab) ||
	    npu_ref_span(v, &l->out, true, l->count, &out))
		return -EINVAL;
	if (npu_overlap(&out, &tab))
		return -EINVAL;
	/* In place is fine: element i reads only in[i]. */
	if (l->in.bo == l->out.bo && l->in.offset == l->out.offset)
		return 0;
	return npu_out_apart(&out, &in, 1);
}

static bool npu_raw_zero_from(const struct rm_npu_cmd *cmd, size_t used)
{
	size_t i;

	for (i = used; i < NPU_RAW_SIZE; i++)
		if (cmd->raw[i])
			return false;
	return true;
}

/* Does @cmd use a binary32 mode (RM_NPU_CAP_F32_RESCALE)? */
static bool npu_cmd_f32(const struct rm_npu_cmd *cmd)
{
	switch (cmd->opcode) {
	case RM_NPU_OP_GEMM:
	case RM_NPU_OP_CONV2D:
		return cmd->flags & RM_NPU_MM_F32_SCALE;
	case RM_NPU_OP_ELTWISE:
		return cmd->flags & RM_NPU_ELT_FLAGS;
	default:
		return false;
	}
}

int npu_cmd_validate(const struct rm_npu_cmd *cmd, const u64 *bo_sizes,
		     u32 num_bos, u64 caps)
{
	struct npu_vctx v = { .bo_sizes = bo_sizes, .num_bos = num_bos };
	size_t used;
	int ret;

	if (!cmd || (num_bos && !bo_sizes))
		return -EINVAL;
	if (cmd->opcode >= RM_NPU_OP_COUNT ||
	    !(caps & RM_NPU_CAP(cmd->opcode)))
		return -EINVAL;
	if (npu_cmd_f32(cmd) && !(caps & RM_NPU_CAP_F32_RESCALE))
		return -EINVAL;

	switch (cmd->opcode) {
	case RM_NPU_OP_NOP:
		used = 0;
		ret = cmd->flags ? -EINVAL : 0;
		break;
	case RM_NPU_OP_FILL:
		used = sizeof(cmd->fill);
		ret = npu_fill_validate(&v, cmd);
		break;
	case RM_NPU_OP_COPY:
		used = sizeof(cmd->copy);
		ret = npu_copy_validate(&v, cmd);
		break;
	case RM_NPU_OP_GEMM:
		used = sizeof(cmd->gemm);
		ret = npu_gemm_validate(&v, cmd);
		break;
	case RM_NPU_OP_CONV2D:
		used = sizeof(cmd->conv2d);
		ret = npu_conv_validate(&v, cmd);
		break;
	case RM_NPU_OP_POOL2D:
		used = sizeof(cmd->pool2d);
		ret = npu_pool_validate(&v, cmd);
		break;
	case RM_NPU_OP_ELTWISE:
		used = sizeof(cmd->eltwise);
		ret = npu_elt_validate(&v, cmd);
		break;
	case RM_NPU_OP_LUT:
		used = sizeof(cmd->lut);
		ret = npu_lut_validate(&v, cmd);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	return npu_raw_zero_from(cmd, used) ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Units, operations, bytes                                            */
/* ------------------------------------------------------------------ */


static u64 npu_copy_elems(const struct rm_npu_cmd_copy *c)
{
	return (u64)c->dims[0] * c->dims[1] * c->dims[2] * c->dims[3];
}

/*
 * A COPY's units run in the order of its dims, the source's: they write the
 * destination in that order only when each dimension's destination stride
 * spans the dimensions inside it.
 */
static bool npu_copy_dst_ordered(const struct rm_npu_cmd_copy *c)
{
	u64 span = c->elem_size;
	int i;

	for (i = RM_NPU_COPY_DIMS - 1; i >= 0; i--) {
		if (c->dims[i] == 1)
			continue;
		if (c->dst_stride[i] < span)
			return false;
		span = c->dst_stride[i] * c->dims[i];
	}
	return true;
}

bool npu_cmd_split_ok(const struct rm_npu_cmd *cmd)
{
	return cmd->opcode != RM_NPU_OP_COPY ||
	       npu_copy_dst_ordered(&cmd->copy);
}

u64 npu_cmd_units(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_copy *c = &cmd->copy;

	switch (cmd->opcode) {
	case RM_NPU_OP_FILL:
		return npu_ceil_div(cmd->fill.count, NPU_OPS_STREAM_BLOCK);
	case RM_NPU_OP_COPY:
		return (u64)c->dims[0] * c->dims[1] * c->dims[2] *
		       npu_ceil_div(c->dims[3], npu_copy_chunk(c));
	case RM_NPU_OP_GEMM:
		return (u64)cmd->gemm.m *
		       npu_ceil_div(cmd->gemm.n, NPU_OPS_MM_BLOCK);
	case RM_NPU_OP_CONV2D:
		return npu_conv_pixels(&cmd->conv2d) *
		       npu_ceil_div(cmd->conv2d.out_c, NPU_OPS_MM_BLOCK);
	case RM_NPU_OP_POOL2D:
		return npu_pool_pixels(&cmd->pool2d) *
		       npu_ceil_div(cmd->pool2d.c, NPU_OPS_POOL_BLOCK);
	case RM_NPU_OP_ELTWISE:
		return (u64)cmd->eltwise.rows *
		       npu_ceil_div(cmd->eltwise.cols, NPU_OPS_ELT_BLOCK);
	case RM_NPU_OP_LUT:
		return npu_ceil_div(cmd->lut.count, NPU_OPS_STREAM_BLOCK);
	default:
		return 0;
	}
}

u64 npu_cmd_ops(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	const struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	u64 macs;

	switch (cmd->opcode) {
	case RM_NPU_OP_FILL:
		return cmd->fill.count;
	case RM_NPU_OP_COPY:
		return npu_copy_elems(&cmd->copy);
	case RM_NPU_OP_GEMM:
		macs = (u64)cmd->gemm.m * cmd->gemm.n * cmd->gemm.k;
		return npu_sat_mul(macs, 2);
	case RM_NPU_OP_CONV2D:
		macs = npu_sat_mul(npu_conv_pixels(c), c->out_c);
		macs = npu_sat_mul(macs, (u64)c->k_h * c->k_w *
				   (c->in_c / c->groups));
		return npu_sat_mul(macs, 2);
	case RM_NPU_OP_POOL2D:
		return npu_sat_mul(npu_pool_pixels(p) * p->c,
				   (u64)p->k_h * p->k_w);
	case RM_NPU_OP_ELTWISE:
		return (u64)cmd->eltwise.rows * cmd->eltwise.cols;
	case RM_NPU_OP_LUT:
		return cmd->lut.count;
	default:
		return 0;
	}
}

u64 npu_cmd_bytes(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	const struct rm_npu_cmd_pool2d *p = &cmd->pool2d;
	u64 b, osz, extra;

	switch (cmd->opcode) {
	case RM_NPU_OP_FILL:
		return npu_sat_mul(cmd->fill.count, cmd->fill.elem_size);
	case RM_NPU_OP_COPY:
		return npu_sat_mul(npu_copy_elems(&cmd->copy),
				   2 * (u64)cmd->copy.elem_size);
	case RM_NPU_OP_GEMM:
		osz = g->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
		extra = (cmd->flags & RM_NPU_MM_BIAS ? 4 : 0) +
			(cmd->flags & RM_NPU_MM_PER_CHANNEL ? 8 : 0);
		b = (u64)g->m * g->k + (u64)g->k * g->n + extra * g->n;
		return b + (u64)g->m * g->n * osz;
	case RM_NPU_OP_CONV2D:
		osz = c->out_dtype == RM_NPU_DT_INT32 ? 4 : 1;
		extra = (cmd->flags & RM_NPU_MM_BIAS ? 4 : 0) +
			(cmd->flags & RM_NPU_MM_PER_CHANNEL ? 8 : 0);
		b = (u64)c->batch * c->in_h * c->in_w * c->in_c;
		b += (u64)c->out_c * c->k_h * c->k_w * (c->in_c / c->groups);
		b += extra * c->out_c;
		return npu_sat_add(b, npu_sat_mul(npu_conv_pixels(c),
						  osz * c->out_c));
	case RM_NPU_OP_POOL2D:
		b = (u64)p->batch * p->in_h * p->in_w * p->c;
		return npu_sat_add(b, npu_pool_pixels(p) * p->c);
	case RM_NPU_OP_ELTWISE:
		return 3 * (u64)cmd->eltwise.rows * cmd->eltwise.cols;
	case RM_NPU_OP_LUT:
		return npu_sat_add(npu_sat_mul(cmd->lut.count, 2), 256);
	default:
		return 0;
	}
}


/* ------------------------------------------------------------------ */
/* Execution variants and dispatch                                     */
/* ------------------------------------------------------------------ */

static const char *const npu_isa_names[NPU_ISA_COUNT] = {
	"auto", "scalar", "avx2", "avx512",
};

static const struct npu_isa_ops *npu_isa_ops_of(u32 isa)
{
	switch (isa) {
	case NPU_ISA_SCALAR:
		return &npu_isa_scalar;
#ifdef NPU_OPS_HAVE_AVX2
	case NPU_ISA_AVX2:
		return npu_cpu_avx2() ? &npu_isa_avx2 : NULL;
#endif
#ifdef NPU_OPS_HAVE_AVX512
	case NPU_ISA_AVX512:
		return npu_cpu_avx512() ? &npu_isa_avx512 : NULL;
#endif
	default:
		return NULL;
	}
}

bool npu_isa_available(u32 isa)
{
	return npu_isa_ops_of(isa);
}

u32 npu_isa_best(void)
{
	if (npu_isa_available(NPU_ISA_AVX512))
		return NPU_ISA_AVX512;
	if (npu_isa_available(NPU_ISA_AVX2))
		return NPU_ISA_AVX2;
	return NPU_ISA_SCALAR;
}

const char *npu_isa_name(u32 isa)
{
	return isa < NPU_ISA_COUNT ? npu_isa_names[isa] : NULL;
}

int npu_isa_from_name(const char *name)
{
	u32 i, j;

	for (i = 0; name && i < NPU_ISA_COUNT; i++) {
		for (j = 0; name[j] && name[j] == npu_isa_names[i][j]; j++)
			;
		if (!name[j] && !npu_isa_names[i][j])
			return (int)i;
	}
	return -EINVAL;
}

int npu_ctx_init(struct npu_ops_ctx *ctx, u32 isa, void *scratch)
{
	if (!ctx || !scratch ||
	    ((unsigned long)scratch & (NPU_OPS_SCRATCH_ALIGN - 1)) ||
	    isa >= NPU_ISA_COUNT)
		return -EINVAL;
	if (isa == NPU_ISA_AUTO)
		isa = npu_isa_best();
	if (!npu_isa_available(isa))
		return -EOPNOTSUPP;
	memset(ctx, 0, sizeof(*ctx));
	ctx->isa = isa;
	ctx->scratch = scratch;
	return 0;
}

int npu_cmd_exec(const struct rm_npu_cmd *cmd, u8 *const *bo_base,
		 u64 unit_begin, u64 unit_end)
{
	if (unit_begin > unit_end || unit_end > npu_cmd_units(cmd))
		return -EINVAL;
	if (unit_begin == unit_end)
		return 0;
	return npu_scalar_exec(cmd, bo_base, unit_begin, unit_end);
}

int npu_cmd_exec_ctx(const struct rm_npu_cmd *cmd, u8 *const *bo_base,
		     struct npu_ops_ctx *ctx, const void *packed,
		     u64 unit_begin, u64 unit_end)
{
	const struct npu_isa_ops *ops = ctx ? npu_isa_ops_of(ctx->isa) : NULL;
	int ret;

	if (!ops || unit_begin > unit_end || unit_end > npu_cmd_units(cmd))
		return -EINVAL;
	if (unit_begin == unit_end)
		return 0;
	if (!ops->simd)
		return ops->exec(cmd, bo_base, ctx, packed, unit_begin,
				 unit_end);
	npu_simd_begin();
	ret = ops->exec(cmd, bo_base, ctx, packed, unit_begin, unit_end);
	npu_simd_end();
	return ret;
}

u64 npu_cmd_pack_size(const struct rm_npu_cmd *cmd, u32 isa)
{
	const struct npu_isa_ops *ops = npu_isa_ops_of(isa);

	return ops && ops->pack_size ? ops->pack_size(cmd) : 0;
}

int npu_cmd_pack(const struct rm_npu_cmd *cmd, u8 *const *bo_base, u32 isa,
		 void *dst)
{
	const struct npu_isa_ops *ops = npu_isa_ops_of(isa);

	if (!ops || !ops->pack_size || !ops->pack_size(cmd))
		return -EINVAL;
	if (!ops->simd) {
		ops->pack(cmd, bo_base, dst);
		return 0;
	}
	npu_simd_begin();
	ops->pack(cmd, bo_base, dst);
	npu_simd_end();
	return 0;
}
