// SPDX-License-Identifier: MIT
/*
 * lower_pool.c - pooling on the NPU (POOL2D in NHWC).
 *
 * Max pooling commutes with requantization (a non-decreasing map), so a
 * different output quantization is a table after the pool. Average
 * pooling into another quantization is a depthwise CONV2D with unit
 * weights instead: the sum of (x - zx) times sx / (sy * window) rounds
 * once, as onnxruntime's float computation does, where a pool then a
 * table would round twice. ceil_mode windows that run past the end are
 * expressed by extra end padding, which MAX and the in-range average
 * ignore.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "npuc_ops.h"

struct pgeo {
	uint64_t d[4];			/* N, C, H, W */
	uint64_t k[2], s[2], pb[2], pe[2], o[2];
};

static int pool_geo(const struct npuc_node *n, const struct npuc_tensor *in,
		    bool global, bool count_pad, struct pgeo *p)
{
	int64_t ks[3] = { 1, 1, 1 };
	struct wgeo g;
	int sp, k, ret;

	memset(p, 0, sizeof(*p));
	if (!nchw(in, p->d))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): only 1-D and "
				"2-D pooling runs on the NPU", n->name, n->op);
	sp = in->ndim - 2;
	if (global) {
		p->k[0] = p->d[2];
		p->k[1] = p->d[3];
		p->s[0] = p->s[1] = 1;
		p->o[0] = p->o[1] = 1;
	} else {
		if (attr_ints(n, "kernel_shape", ks, 3) != sp)
			return npuc_err(-EINVAL, "node \"%s\": kernel_shape",
					n->name);
		if ((ret = win_geometry(n, in, ks, true, &g)))
			return ret;
		if (attr_i(n, "storage_order", 0))
			return npuc_err(-EOPNOTSUPP, "node \"%s\": "
					"storage_order 1", n->name);
		for (k = 0; k < sp; k++) {
			int a = sp == 2 ? k : 1;
			uint64_t need, have;

			if (g.d[k] != 1)
				return npuc_err(-EOPNOTSUPP, "node \"%s\": pooling "
						"dilations", n->name);
			p->k[a] = (uint64_t)g.k[k];
			p->s[a] = (uint64_t)g.s[k];
			p->pb[a] = (uint64_t)g.pb[k];
			p->pe[a] = (uint64_t)g.pe[k];
			p->o[a] = (uint64_t)g.o[k];
			/* a last window past the end pad: more end pad */
			need = (p->o[a] - 1) * p->s[a] + p->k[a];
			have = p->d[2 + a] + p->pb[a] + p->pe[a];
			if (need > have) {
				if (count_pad)
					return npuc_err(-EOPNOTSUPP, "node \"%s\": "
							"ceil_mode with "
							"count_include_pad",
							n->name);
				p->pe[a] += need - have;
			}
		}
		if (sp == 1) {
			p->k[0] = p->s[0] = p->o[0] = 1;
		}
	}
	for (k = 0; k < 2; k++)
		if (p->k[k] > RM_NPU_MAX_KERNEL || p->s[k] > RM_NPU_MAX_KERNEL ||
		    p->pb[k] >= p->k[k] || p->pe[k] >= p->k[k])
			return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): windows "
					"up to 64 with padding smaller than "
					"the window run on the NPU", n->name,
					n->op);
	return 0;
}

static int pool_cmd(struct lctx *x, const struct pgeo *p, int mode,
		    bool count_pad, int32_t elem, int32_t zp, struct loc li,
		    struct loc lo)
{
	struct rm_npu_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_POOL2D;
	c.flags = count_pad ? RM_NPU_POOL_COUNT_PAD : 0;
	c.pool2d.in.bo = li.slot;
	c.pool2d.in.offset = li.off;
	c.pool2d.out.bo = lo.slot;
	c.pool2d.out.offset = lo.off;
	c.pool2d.mode = (uint32_t)mode;
	c.pool2d.batch = (uint32_t)p->d[0];
	c.pool2d.in_h = (uint32_t)p->d[2];
	c.pool2d.in_w = (uint32_t)p->d[3];
	c.pool2d.c = (uint32_t)p->d[1];
	c.pool2d.out_h = (uint32_t)p->o[0];
	c.pool2d.out_w = (uint32_t)p->o[1];
	c.pool2d.k_h = (uint32_t)p->k[0];
	c.pool2d.k_w = (uint32_t)p->k[1];
	c.pool2d.stride_h = (uint32_t)p->s[0];
	c.pool2d.stride_w = (uint32_t)p->s[1];
	c.pool2d.pad_top = (uint32_t)p->pb[0];
	c.pool2d.pad_left = (uint32_t)p->pb[1];
	c.pool2d.pad_bottom = (uint32_t)p->pe[0];
	c.pool2d.pad_right = (uint32_t)p->pe[1];
	c.pool2d.dtype = (uint32_t)dt_of(elem);
	c.pool2d.zero_point = mode == RM_NPU_POOL_AVG ? zp : 0;
	c.pool2d.act_min = type_min(elem);
	c.pool2d.act_max = type_max(elem);
	return emit(x, &c);
}

/* Average into another quantization: depthwise CONV2D, unit weights. */
static int avg_as_conv(struct lctx *x, const struct npuc_node *n,
		       struct npuc_tensor *in, struct npuc_tensor *o,
		       const struct pgeo *p)
{
	uint64_t ch = p->d[1], win = p->k[0] * p->k[1];
	struct loc li, lw, lo;
	struct rm_npu_cmd c;
	int8_t *ones;
	struct epi e;
	double r;
	int ret;

	if (ch > RM_NPU_MAX_DIM)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": channels", n->name);
	ones = malloc(ch * win);
	if (!ones)
		return npuc_err(-ENOMEM, "out of memory");
	memset(ones, 1, ch * win);
	ret = weights(x, ones, ch * win, &lw);
	free(ones);
	if (ret || (ret = get_nhwc(x, in, &li)) ||
	    (ret = alloc_out(x, o, LAY_NHWC, &lo)))
		return ret;
	memset(&e, 0, sizeof(e));
	/* onnxruntime's QLinearGlobalAveragePool: si / (so * count) in
	 * binary32 */
	r = (float)((float)in->q.scale[0] /
		    (float)((float)o->q.scale[0] * (float)win));
	e.out_elem = o->elem;
	e.rmult = &r;
	e.zp = o->q.zp[0];
	e.act_min = type_min(o->elem);
	e.act_max = type_max(o->elem);
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_CONV2D;
	if ((ret = epilogue(x, 1, &e, &c.flags, &c.conv2d.rq, &c.conv2d.bias,
			    &c.conv2d.quant)))
		return ret;
	c.conv2d.in.bo = li.slot;
	c.conv2d.in.offset = li.off;
	c.conv2d.weights.bo = lw.slot;
	c.conv2d.weights.offset = lw.off;
	c.conv2d.out.bo = lo.slot;
	c.conv2d.out.offset = lo.off;
	c.conv2d.batch = (uint32_t)p->d[0];
	c.conv2d.in_h = (uint32_t)p->d[2];
	c.conv2d.in_w = (uint32_t)p->d[3];
	c.conv2d.in_c = (uint32_t)ch;
	c.conv2d.out_h = (uint32_t)p->o[0];
	c.conv2d.out_w = (uint32_t)p->o[1];
	c.conv2d.out_c = (uint32_t)ch;
	c.conv2d.k_h = (uint32_t)p->k[0];
	c.conv2d.k_w = (uint32_t)p->k[1];
	c.conv2d.stride_h = (uint32_t)p->s[0];
	c.conv2d.stride_w = (uint32_t)p->s[1];
	c.conv2d.dil_h = c.conv2d.dil_w = 1;
	c.conv2d.pad_top = (uint32_t)p->pb[0];
	c.conv2d.pad_left = (uint32_t)p->pb[1];
	c.conv2d.pad_bottom = (uint32_t)p->pe[0];
	c.conv2d.pad_right = (uint32_t)p->pe[1];
	c.conv2d.groups = (uint32_t)ch;
	c.conv2d.in_dtype = (uint32_t)dt_of(in->elem);
	c.conv2d.out_dtype = (uint32_t)dt_of(o->elem);
	c.conv2d.in_zero_point = in->q.zp[0];
	return emit(x, &c);
}

static int pool_node(struct lctx *x, struct npuc_node *n,
		     struct npuc_tensor *in, struct npuc_tensor *o, bool avg,
		     bool global)
{
	bool count_pad = avg && attr_i(n, "count_include_pad", 0);
	bool same = in->elem == o->elem &&
		    (!in->q.elem || quant_equal(&in->q, &o->q));
	struct loc li, lo;
	struct pgeo p;
	int ret;

	if (!is_q8(in->elem) || !is_q8(o->elem) || !in->q.elem != !o->q.elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %s input; the "
				"NPU pools int8/uint8", n->name, n->op,
				npuc_elem_name(in->elem));
	if (in->q.elem && (!quant_per_tensor(&in->q) ||
			   !quant_per_tensor(&o->q)))
		return npuc_err(-EOPNOTSUPP, "node \"%s\": per-channel "
				"quantization", n->name);
	if (avg && !in->q.elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": integer average",
				n->name);
	if ((ret = pool_geo(n, in, global, count_pad, &p)))
		return ret;
	if (avg && !same) {
		bool padded = p.pb[0] || p.pb[1] || p.pe[0] || p.pe[1];

		if (!padded || count_pad) {
			note(x, "(average with requantization)");
			return avg_as_conv(x, n, in, o, &p);
		}
		if (in->q.scale[0] > o->q.scale[0])
			return npuc_err(-EOPNOTSUPP, "node \"%s\": padded "
					"average into a finer quantization",
					n->name);
	}
	if ((ret = get_nhwc(x, in, &li)))
		return ret;
	if (same) {
		if ((ret = alloc_out(x, o, LAY_NHWC, &lo)))
			return ret;
		return pool_cmd(x, &p, avg ? RM_NPU_POOL_AVG : RM_NPU_POOL_MAX,
				count_pad, in->elem,
				in->q.elem ? in->q.zp[0] : 0, li, lo);
	}
	/* pool in the input's quantization, then a table */
	{
		uint8_t table[256];
		uint64_t cnt = p.d[0] * p.d[1] * p.o[0] * p.o[1];
		struct loc lt;

		if ((ret = vbuf_new(x, cnt, &lt)) ||
		    (ret = pool_cmd(x, &p, avg ? RM_NPU_POOL_AVG :
				    RM_NPU_POOL_MAX, count_pad, in->elem,
				    in->q.zp[0], li, lt)) ||
		    (ret = alloc_out(x, o, LAY_NHWC, &lo)))
			return ret;
		requant_table(&in->q, &o->q, table);
		return emit_lut(x, lt, lo, cnt, in->elem, table);
	}
}

int lower_pool(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(x->g, n, 0), *o = out_t(x->g, n, 0);

	if (!in || !o)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	if (n->nout > 1 && n->out[1] >= 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": MaxPool Indices "
				"output", n->name);
	return pool_node(x, n, in, o,
			 IS_OP(n, AVERAGEPOOL) || IS_OP(n, GLOBALAVERAGEPOOL),
			 IS_OP(n, GLOBALAVERAGEPOOL) || IS_OP(n, GLOBALMAXPOOL));
}

/* ReduceMean over H and W of a 4-D tensor: a global average pool. */
int lower_reducemean(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *in = in_t(x->g, n, 0), *o = out_t(x->g, n, 0);
	uint32_t mask;
	int ret;

	if (!in || !o)
		return npuc_err(-EINVAL, "node \"%s\": operands", n->name);
	if ((ret = reduce_axes(x->g, n, in->ndim, &mask)))
		return ret;
	if (in->ndim != 4 || mask != 0xc)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": a mean other than "
				"over H and W of a 4-D tensor", n->name);
	return pool_node(x, n, in, o, true, true);
}
