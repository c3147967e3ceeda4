// SPDX-License-Identifier: MIT
/*
 * lower.c - ONNX graph to rm_npu commands through libnpurt's public
 * program builder.
 *
 * Tensors keep ONNX's row-major (NCHW) meaning; CONV2D and POOL2D work in
 * NHWC, so a 4-D activation may live physically in NHWC (phys_nhwc) and is
 * copied back (COPY, strided) only when a consumer or a graph output needs
 * row-major data. Intermediates get byte ranges of one scratch slot;
 * constants become weights slots; graph outputs are written in place.
 *
 * Slots are collected here and handed to the builder at the end, when the
 * scratch size is known (the builder validates every command against the
 * slot sizes as it is added).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "npuc.h"

struct lslot {
	int kind;			/* enum npurt_slot_kind */
	char name[NPURT_NAME_MAX];
	int32_t elem;			/* ONNX type; 0 for bytes */
	int ndim;
	uint64_t dims[NPUC_MAX_DIMS];
	void *data;			/* weights, owned */
	uint64_t size;
};

struct lctx {
	struct npuc_graph *g;
	struct lslot *s;
	int ns, caps;
	struct rm_npu_cmd *c;
	int nc, capc;
	int scratch;
	uint64_t scratch_top;
	int nweights;
	struct npuc_node *cur;		/* node being lowered, for explain */
	struct lcpu {			/* CPU steps, after command @after */
		int after;
		struct npurt_cpu_op op;
	} *cpu;
	int ncpu, capcpu;
};

/* ---- small helpers ---------------------------------------------------- */

static int npurt_dtype_of(int32_t elem)
{
	switch (elem) {
	case NPUC_FLOAT: return NPURT_DTYPE_FLOAT32;
	case NPUC_FLOAT16: return NPURT_DTYPE_FLOAT16;
	case NPUC_INT8: return NPURT_DTYPE_INT8;
	case NPUC_UINT8: return NPURT_DTYPE_UINT8;
	case NPUC_INT16: return NPURT_DTYPE_INT16;
	case NPUC_INT32: return NPURT_DTYPE_INT32;
	case NPUC_INT64: return NPURT_DTYPE_INT64;
	default: return 0;
	}
}

static bool is_q8(int32_t elem)
{
	return elem == NPUC_INT8 || elem == NPUC_UINT8;
}

static int dt_of(int32_t elem)
{
	return elem == NPUC_INT8 ? RM_NPU_DT_INT8 :
	       elem == NPUC_UINT8 ? RM_NPU_DT_UINT8 : RM_NPU_DT_INT32;
}

static int type_min(int32_t elem)
{
	return elem == NPUC_INT8 ? -128 : 0;
}

static int type_max(int32_t elem)
{
	return elem == NPUC_INT8 ? 127 : 255;
}

static void note(struct lctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct lctx *x, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!x->cur)
		return;
	len = strlen(x->cur->where);
	if (len + 4 >= sizeof(x->cur->where))
		return;
	if (len)
		x->cur->where[len++] = ' ', x->cur->where[len++] = '+',
		x->cur->where[len++] = ' ', x->cur->where[len] = 0;
	va_start(ap, fmt);
	vsnprintf(x->cur->where + len, sizeof(x->cur->where) - len, fmt, ap);
	va_end(ap);
}

static _Thread_local npuc_progress_fn progress_fn;
static _Thread_local void *progress_arg;

void npuc_set_progress(npuc_progress_fn fn, void *arg)
{
	progress_fn = fn;
	progress_arg = arg;
}

static const Onnx__AttributeProto *attr(const struct npuc_node *n,
					const char *name)
{
	const Onnx__NodeProto *p = n->proto;
	size_t i;

	for (i = 0; i < p->n_attribute; i++)
		if (p->attribute[i]->name && !strcmp(p->attribute[i]->name, name))
			return p->attribute[i];
	return NULL;
}

static int64_t attr_i(const struct npuc_node *n, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = attr(n, name);

	return a && a->has_i ? a->i : def;
}

static float attr_f(const struct npuc_node *n, const char *name, float def)
{
	const Onnx__AttributeProto *a = attr(n, name);

	return a && a->has_f ? a->f : def;
}

/* Returns the count (-1 when absent); more than @max is an error. */
static int attr_ints(const struct npuc_node *n, const char *name,
		     int64_t *out, int max)
{
	const Onnx__AttributeProto *a = attr(n, name);
	size_t i;

	if (!a)
		return -1;
	if (a->n_ints > (size_t)max)
		return npuc_err(-EINVAL, "node \"%s\": attribute %s has %zu "
				"values, at most %d expected", n->name, name,
				a->n_ints, max);
	for (i = 0; i < a->n_ints; i++)
		out[i] = a->ints[i];
	return (int)a->n_ints;
}

static void attr_s(const struct npuc_node *n, const char *name, char *buf,
		   size_t len, const char *def)
{
	const Onnx__AttributeProto *a = attr(n, name);
	size_t l;

	if (!a || !a->has_s) {
		snprintf(buf, len, "%s", def);
		return;
	}
	l = a->s.len < len - 1 ? a->s.len : len - 1;
	memcpy(buf, a->s.data, l);
	buf[l] = 0;
}

static struct npuc_tensor *in_t(struct lctx *x, const struct npuc_node *n,
				int i)
{
	return i < n->nin && n->in[i] >= 0 ? &x->g->t[n->in[i]] : NULL;
}

static struct npuc_tensor *out_t(struct lctx *x, const struct npuc_node *n,
				 int i)
{
	return i < n->nout && n->out[i] >= 0 ? &x->g->t[n->out[i]] : NULL;
}

static int need_in(struct lctx *x, const struct npuc_node *n, int i,
		   struct npuc_tensor **t)
{
	*t = in_t(x, n, i);
	if (!*t)
		return npuc_err(-EINVAL, "node \"%s\" (%s): input %d is missing",
				n->name, n->op, i);
	return 0;
}

static int need_const(const struct npuc_node *n, const struct npuc_tensor *t,
		      const char *what)
{
	if (!t)		/* an optional input left out */
		return npuc_err(-EINVAL, "node \"%s\" (%s): %s is missing",
				n->name, n->op, what);
	if (!t->data)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %s \"%s\" must be "
				"a constant (initializer) for the NPU",
				n->name, n->op, what, t->name);
	return 0;
}

static int need_runtime_q8(const struct npuc_node *n,
			   const struct npuc_tensor *t)
{
	if (t->data)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): input \"%s\" is "
				"a constant; constant folding is not "
				"supported", n->name, n->op, t->name);
	if (!is_q8(t->elem))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): input \"%s\" is "
				"%s; the NPU needs int8 or uint8", n->name, n->op,
				t->name, npuc_elem_name(t->elem));
	return 0;
}

/* Element @i of a constant as a double (any numeric type). */
static double cval(const struct npuc_tensor *t, uint64_t i)
{
	const uint8_t *d = t->data;

	switch (t->elem) {
	case NPUC_FLOAT: { float f; memcpy(&f, d + 4 * i, 4); return f; }
	case NPUC_DOUBLE: { double f; memcpy(&f, d + 8 * i, 8); return f; }
	case NPUC_FLOAT16: { uint16_t h; memcpy(&h, d + 2 * i, 2);
		return npuc_half_to_float(h); }
	case NPUC_INT8: return (int8_t)d[i];
	case NPUC_UINT8: case NPUC_BOOL: return d[i];
	case NPUC_INT16: { int16_t v; memcpy(&v, d + 2 * i, 2); return v; }
	case NPUC_UINT16: { uint16_t v; memcpy(&v, d + 2 * i, 2); return v; }
	case NPUC_INT32: { int32_t v; memcpy(&v, d + 4 * i, 4); return v; }
	case NPUC_UINT32: { uint32_t v; memcpy(&v, d + 4 * i, 4); return v; }
	case NPUC_INT64: { int64_t v; memcpy(&v, d + 8 * i, 8);
		return (double)v; }
	default: { uint64_t v; memcpy(&v, d + 8 * i, 8); return (double)v; }
	}
}

/* A per-tensor constant: one element (or all equal). */
static int cscalar(const struct npuc_node *n, const struct npuc_tensor *t,
		   const char *what, double *v)
{
	uint64_t i, cnt;
	int ret = need_const(n, t, what);

	if (ret)
		return ret;
	cnt = npuc_tensor_elements(t);
	if (!cnt)
		return npuc_err(-EINVAL, "node \"%s\": %s is empty", n->name,
				what);
	*v = cval(t, 0);
	for (i = 1; i < cnt; i++)
		if (cval(t, i) != *v)
			return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %s must "
					"be per-tensor here", n->name, n->op,
					what);
	return 0;
}

/* A zero point: absent = 0 of type @def_elem. */
static int zero_point(const struct npuc_node *n, const struct npuc_tensor *t,
		      int32_t def_elem, int32_t *zp, int32_t *elem)
{
	double v;
	int ret;

	*elem = def_elem;
	*zp = 0;
	if (!t)
		return 0;
	ret = cscalar(n, t, "zero point", &v);
	if (ret)
		return ret;
	if (!is_q8(t->elem))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): zero point of "
				"type %s; int8/uint8 expected", n->name, n->op,
				npuc_elem_name(t->elem));
	*zp = (int32_t)v;
	*elem = t->elem;
	return 0;
}

static int set_shape(struct npuc_tensor *t, int32_t elem, int ndim,
		     const int64_t *dims)
{
	int i;

	if (ndim > NPUC_MAX_DIMS)
		return npuc_err(-EINVAL, "tensor \"%s\": rank %d above %d",
				t->name, ndim, NPUC_MAX_DIMS);
	for (i = 0; i < ndim; i++)
		if (dims[i] < 1 || dims[i] > (int64_t)NPUC_MAX_ELEMENTS)
			return npuc_err(-EINVAL, "tensor \"%s\": dimension %d "
					"is %lld", t->name, i,
					(long long)dims[i]);
	if (t->is_output && t->ndim >= 0) {
		bool same = t->ndim == ndim;

		for (i = 0; same && i < ndim; i++)
			same = t->dims[i] == dims[i];
		if (!same)
			return npuc_err(-EINVAL, "graph output \"%s\": the "
					"computed shape differs from the "
					"declared one", t->name);
	}
	if (t->is_output && t->elem && t->elem != elem)
		return npuc_err(-EINVAL, "graph output \"%s\": declared %s, "
				"computed %s", t->name, npuc_elem_name(t->elem),
				npuc_elem_name(elem));
	t->elem = elem;
	t->ndim = ndim;
	for (i = 0; i < ndim; i++)
		t->dims[i] = dims[i];
	return 0;
}

static uint64_t tbytes(const struct npuc_tensor *t)
{
	return npuc_tensor_elements(t) * npuc_elem_size(t->elem);
}

/* ---- slots and commands ------------------------------------------------ */

static void slot_name(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i < NPURT_NAME_MAX - 1; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ?
			 '?' : src[i];
	dst[i] = 0;
	if (!i)
		snprintf(dst, NPURT_NAME_MAX, "unnamed");
}

static int new_slot(struct lctx *x, int kind, const char *name)
{
	struct lslot *s;

	if (x->ns == x->caps) {
		int cap = x->caps ? 2 * x->caps : 16;

		s = realloc(x->s, (size_t)cap * sizeof(*s));
		if (!s)
			return npuc_err(-ENOMEM, "out of memory");
		x->s = s;
		x->caps = cap;
	}
	s = &x->s[x->ns];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	slot_name(s->name, name);
	return x->ns++;
}

static int weights(struct lctx *x, const char *what, const void *data,
		   uint64_t size, struct npuc_loc *loc)
{
	char name[NPURT_NAME_MAX];
	int si;

	snprintf(name, sizeof(name), "#%d %.100s", x->nweights++, what);
	si = new_slot(x, NPURT_SLOT_WEIGHTS, name);
	if (si < 0)
		return si;
	x->s[si].size = size ? size : 1;
	x->s[si].data = calloc(1, x->s[si].size);
	if (!x->s[si].data)
		return npuc_err(-ENOMEM, "out of memory");
	memcpy(x->s[si].data, data, size);
	loc->slot = si;
	loc->off = 0;
	return 0;
}

static int scratch(struct lctx *x, uint64_t size, struct npuc_loc *loc)
{
	if (x->scratch < 0) {
		x->scratch = new_slot(x, NPURT_SLOT_SCRATCH, "#scratch");
		if (x->scratch < 0)
			return x->scratch;
	}
	x->scratch_top = (x->scratch_top + 63) & ~63ull;
	loc->slot = x->scratch;
	loc->off = x->scratch_top;
	x->scratch_top += size ? size : 1;
	if (x->scratch_top > (1ull << 40))
		return npuc_err(-EFBIG, "intermediate tensors above 1 TiB");
	return 0;
}

static int emit(struct lctx *x, const struct rm_npu_cmd *c)
{
	static const char *const names[] = { "NOP", "FILL", "COPY", "GEMM",
		"CONV2D", "POOL2D", "ELTWISE", "LUT" };

	if (x->nc == x->capc) {
		int cap = x->capc ? 2 * x->capc : 32;
		struct rm_npu_cmd *n = realloc(x->c, (size_t)cap * sizeof(*n));

		if (!n)
			return npuc_err(-ENOMEM, "out of memory");
		x->c = n;
		x->capc = cap;
	}
	x->c[x->nc++] = *c;
	if (x->cur)
		x->cur->on_npu = true;
	if (c->opcode < 8)
		note(x, "%s", names[c->opcode]);
	return 0;
}

static int copy4(struct lctx *x, struct npuc_loc src, struct npuc_loc dst,
		 uint32_t esz, const uint64_t dims[4], const uint64_t ss[4],
		 const uint64_t ds[4])
{
	struct rm_npu_cmd c;
	int i;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = (uint32_t)src.slot;
	c.copy.src.offset = src.off;
	c.copy.dst.bo = (uint32_t)dst.slot;
	c.copy.dst.offset = dst.off;
	c.copy.elem_size = esz;
	for (i = 0; i < 4; i++) {
		if (dims[i] < 1 || dims[i] > RM_NPU_MAX_DIM)
			return npuc_err(-EOPNOTSUPP, "copy dimension %llu is "
					"above %d", (unsigned long long)dims[i],
					RM_NPU_MAX_DIM);
		c.copy.dims[i] = (uint32_t)dims[i];
		c.copy.src_stride[i] = ss[i];
		c.copy.dst_stride[i] = ds[i];
	}
	return emit(x, &c);
}

/* Dense byte copy, any size. */
static int copy_bytes(struct lctx *x, struct npuc_loc src, struct npuc_loc dst,
		      uint64_t n)
{
	const uint64_t row = RM_NPU_MAX_DIM;
	uint64_t done = 0;
	int ret;

	while (n - done >= row) {
		uint64_t rows = (n - done) / row;
		uint64_t d[4] = { 1, 1, rows > row ? row : rows, row };
		uint64_t s[4] = { 0, 0, row, 1 };

		ret = copy4(x, (struct npuc_loc){ src.slot, src.off + done },
			    (struct npuc_loc){ dst.slot, dst.off + done }, 1,
			    d, s, s);
		if (ret)
			return ret;
		done += d[2] * row;
	}
	if (n > done) {
		uint64_t d[4] = { 1, 1, 1, n - done }, s[4] = { 0, 0, 0, 1 };

		return copy4(x, (struct npuc_loc){ src.slot, src.off + done },
			     (struct npuc_loc){ dst.slot, dst.off + done }, 1,
			     d, s, s);
	}
	return 0;
}

/* N, C, H, W of a 3-D (N, C, L: H = 1) or 4-D tensor. */
static bool nchw(const struct npuc_tensor *t, uint64_t d[4])
{
	if (t->ndim == 4) {
		d[0] = (uint64_t)t->dims[0]; d[1] = (uint64_t)t->dims[1];
		d[2] = (uint64_t)t->dims[2]; d[3] = (uint64_t)t->dims[3];
		return true;
	}
	if (t->ndim == 3) {
		d[0] = (uint64_t)t->dims[0]; d[1] = (uint64_t)t->dims[1];
		d[2] = 1; d[3] = (uint64_t)t->dims[2];
		return true;
	}
	return false;
}

/* NCHW and NHWC are the same bytes. */
static bool layout_trivial(const struct npuc_tensor *t)
{
	uint64_t d[4];

	return !nchw(t, d) || d[1] == 1 || d[2] * d[3] == 1;
}

static int permute_copy(struct lctx *x, const struct npuc_tensor *t,
			struct npuc_loc src, struct npuc_loc dst, bool to_nhwc)
{
	uint64_t d[4] = { 1, 1, 1, 1 }, e = npuc_elem_size(t->elem);
	uint64_t nc[4], nh[4];

	nchw(t, d);
	nc[0] = d[1] * d[2] * d[3] * e; nc[1] = d[2] * d[3] * e;
	nc[2] = d[3] * e; nc[3] = e;
	nh[0] = d[1] * d[2] * d[3] * e; nh[1] = e;
	nh[2] = d[3] * d[1] * e; nh[3] = d[1] * e;
	return copy4(x, src, dst, (uint32_t)e, d, to_nhwc ? nc : nh,
		     to_nhwc ? nh : nc);
}

static int dq_materialize(struct lctx *x, struct npuc_tensor *t);

/* Where a tensor's row-major bytes are (materialized when needed). */
static int get_loc(struct lctx *x, struct npuc_tensor *t, struct npuc_loc *l)
{
	int ret;

	if (t->producer >= 0 &&
	    !strcmp(x->g->n[t->producer].op, "DequantizeLinear") &&
	    t->dq_src >= 0 && (ret = dq_materialize(x, t)))
		return ret;
	if (t->data && t->loc.slot < 0) {
		ret = weights(x, t->name, t->data, t->nbytes, &t->loc);
		if (ret)
			return ret;
	}
	if (t->loc.slot < 0)
		return npuc_err(-EINVAL, "tensor \"%s\" has no value (internal "
				"error or unsupported producer)", t->name);
	if (t->phys_nhwc) {
		struct npuc_loc rm;

		if (t->is_output && t->out_slot >= 0)
			rm = (struct npuc_loc){ t->out_slot, 0 };
		else if ((ret = scratch(x, tbytes(t), &rm)))
			return ret;
		ret = permute_copy(x, t, t->loc, rm, false);
		if (ret)
			return ret;
		t->nhwc = t->loc;
		t->loc = rm;
		t->phys_nhwc = false;
	}
	*l = t->loc;
	return 0;
}

static int get_nhwc(struct lctx *x, struct npuc_tensor *t, struct npuc_loc *l)
{
	int ret;

	if (t->phys_nhwc) {
		*l = t->loc;
		return 0;
	}
	if (t->nhwc.slot >= 0) {
		*l = t->nhwc;
		return 0;
	}
	ret = get_loc(x, t, l);
	if (ret || layout_trivial(t))
		return ret;
	ret = scratch(x, tbytes(t), &t->nhwc);
	if (!ret)
		ret = permute_copy(x, t, *l, t->nhwc, true);
	*l = t->nhwc;
	return ret;
}

/* Memory for a node's output, row-major or NHWC. */
static int alloc_out(struct lctx *x, struct npuc_tensor *t, bool nhwc,
		     struct npuc_loc *l)
{
	int ret;

	if (nhwc && layout_trivial(t))
		nhwc = false;
	if (!nhwc && t->is_output && t->out_slot >= 0) {
		t->loc = (struct npuc_loc){ t->out_slot, 0 };
	} else {
		ret = scratch(x, tbytes(t), &t->loc);
		if (ret)
			return ret;
	}
	t->phys_nhwc = nhwc;
	*l = t->loc;
	return 0;
}

/* ---- weights preparation ------------------------------------------------ */

/*
 * int8 copy of an int8/uint8 constant with zero points (absent, per tensor
 * or per channel). Channel of element i: mode 0: i / inner (conv weights,
 * [OC][...]); mode 1: i % nch (matmul B, [K][N]). With equal zero points
 * the common one is returned in *zp; otherwise each value is pre-shifted
 * (w - zp[ch]) and *zp = 0, which needs the result to fit in int8.
 */
static int prep_w(const struct npuc_node *n, const struct npuc_tensor *w,
		  const struct npuc_tensor *zpt, uint64_t nch, uint64_t inner,
		  int mode, int8_t **out, int32_t *zp)
{
	uint64_t cnt = npuc_tensor_elements(w), zc, i;
	int32_t *z, off = w->elem == NPUC_UINT8 ? 128 : 0;
	bool same = true;
	int8_t *o;

	if (!is_q8(w->elem))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): weights \"%s\" "
				"are %s; int8/uint8 expected", n->name, n->op,
				w->name, npuc_elem_name(w->elem));
	zc = zpt ? npuc_tensor_elements(zpt) : 1;
	if (zpt && (need_const(n, zpt, "zero point") || zpt->elem != w->elem))
		return npuc_err(-EINVAL, "node \"%s\" (%s): weight zero point "
				"must be a constant of the weights' type",
				n->name, n->op);
	if (zc != 1 && zc != nch)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %llu weight zero "
				"points for %llu channels", n->name, n->op,
				(unsigned long long)zc,
				(unsigned long long)nch);
	z = calloc(nch, sizeof(*z));
	o = malloc(cnt ? cnt : 1);
	if (!z || !o) {
		free(z);
		free(o);
		return npuc_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < nch; i++) {
		z[i] = (zpt ? (int32_t)cval(zpt, zc == 1 ? 0 : i) : 0) - off;
		same = same && z[i] == z[0];
	}
	for (i = 0; i < cnt; i++) {
		int32_t v = (int32_t)cval(w, i) - off;
		uint64_t ch = mode ? i % nch : i / inner;

		if (!same) {
			v -= z[ch];
			if (v < -128 || v > 127) {
				free(z);
				free(o);
				return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): "
						"per-channel weight zero points "
						"with values that do not fit "
						"int8 after subtraction",
						n->name, n->op);
			}
		}
		o[i] = (int8_t)v;
	}
	*zp = same ? z[0] : 0;
	free(z);
	*out = o;
	return 0;
}

/* Per-channel (or per-tensor) scales of @t: 1 or @nch values. */
static int scales(const struct npuc_node *n, const struct npuc_tensor *t,
		  uint64_t nch, double *out)
{
	uint64_t cnt, i;
	int ret = need_const(n, t, "scale");

	if (ret)
		return ret;
	cnt = npuc_tensor_elements(t);
	if (cnt != 1 && cnt != nch)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %llu scales for %llu "
				"channels", n->name, n->op,
				(unsigned long long)cnt,
				(unsigned long long)nch);
	for (i = 0; i < nch; i++) {
		out[i] = cval(t, cnt == 1 ? 0 : i);
		if (!(out[i] > 0) || !isfinite(out[i]))
			return npuc_err(-EINVAL, "node \"%s\" (%s): scale %g is "
					"not positive", n->name, n->op, out[i]);
	}
	return 0;
}

/* The epilogue shared by GEMM and CONV2D. */
struct epi {
	int32_t out_elem;		/* INT32, INT8 or UINT8 */
	double *rmult;			/* nch real multipliers (q8 out) */
	int32_t zp, act_min, act_max;
	const int32_t *bias;		/* nch or NULL */
};

static int epilogue(struct lctx *x, const char *what, uint64_t nch,
		    const struct epi *e, uint32_t *flags,
		    struct rm_npu_requant *rq, struct rm_npu_ref *bias,
		    struct rm_npu_ref *quant)
{
	struct npuc_loc l;
	int32_t *pairs;
	uint64_t i;
	bool same = true;
	int ret;

	*flags = 0;
	memset(rq, 0, sizeof(*rq));
	if (e->bias) {
		ret = weights(x, what, e->bias, 4 * nch, &l);
		if (ret)
			return ret;
		bias->bo = (uint32_t)l.slot;
		*flags |= RM_NPU_MM_BIAS;
	}
	if (e->out_elem == NPUC_INT32)
		return 0;
	rq->zero_point = e->zp;
	rq->act_min = e->act_min;
	rq->act_max = e->act_max;
	for (i = 1; i < nch; i++)
		same = same && e->rmult[i] == e->rmult[0];
	if (same)
		return npuc_quantize_multiplier(e->rmult[0], &rq->mult,
						&rq->shift);
	pairs = malloc(8 * nch);
	if (!pairs)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < nch; i++) {
		ret = npuc_quantize_multiplier(e->rmult[i], &pairs[2 * i],
					       &pairs[2 * i + 1]);
		if (ret) {
			free(pairs);
			return ret;
		}
	}
	ret = weights(x, "requant", pairs, 8 * nch, &l);
	free(pairs);
	quant->bo = (uint32_t)l.slot;
	*flags |= RM_NPU_MM_PER_CHANNEL;
	return ret;
}

/* ---- matrix products ----------------------------------------------------- */

struct mm {
	struct npuc_tensor *a, *b, *out;
	const struct npuc_tensor *b_zp;
	int32_t a_zp;
	bool trans_b;			/* B given as [N][K] (Gemm transB) */
	struct epi e;
	double *b_scale;		/* filled by caller when q8 output */
};

static int lower_mm(struct lctx *x, const struct npuc_node *n, struct mm *m)
{
	struct npuc_tensor *a = m->a, *b = m->b;
	uint64_t M, K, N, batch = 1, bbatch = 1, i, j, kk;
	int64_t od[NPUC_MAX_DIMS];
	struct npuc_loc la, lb, lo;
	int8_t *bw = NULL, *bt;
	int32_t bzp;
	int ret, k;

	if (a->ndim < 2 || b->ndim < 2)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): 1-D operands "
				"are not supported", n->name, n->op);
	M = (uint64_t)a->dims[a->ndim - 2];
	K = (uint64_t)a->dims[a->ndim - 1];
	N = (uint64_t)b->dims[b->ndim - (m->trans_b ? 2 : 1)];
	if ((uint64_t)b->dims[b->ndim - (m->trans_b ? 1 : 2)] != K)
		return npuc_err(-EINVAL, "node \"%s\" (%s): inner dimensions "
				"%llu and %lld differ", n->name, n->op,
				(unsigned long long)K,
				(long long)b->dims[b->ndim - 2]);
	for (k = 0; k < a->ndim - 2; k++)
		batch *= (uint64_t)a->dims[k];
	for (k = 0; k < b->ndim - 2; k++)
		bbatch *= (uint64_t)b->dims[k];
	if (bbatch != 1 && (b->ndim != a->ndim || bbatch != batch))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): batch "
				"broadcasting of B is not supported", n->name,
				n->op);
	for (k = 0; k < a->ndim - 1; k++)
		od[k] = a->dims[k];
	od[a->ndim - 1] = (int64_t)N;
	ret = set_shape(m->out, m->e.out_elem, a->ndim, od);
	if (ret)
		return ret;
	if (K > RM_NPU_MAX_GEMM_K || N > RM_NPU_MAX_DIM)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): K=%llu/N=%llu "
				"above the GEMM limits", n->name, n->op,
				(unsigned long long)K, (unsigned long long)N);
	ret = prep_w(n, b, m->b_zp, N, 0, 1, &bw, &bzp);
	if (m->trans_b && !ret) {	/* [bb][N][K] -> [bb][K][N] */
		bt = malloc(bbatch * K * N);
		if (!bt) {
			free(bw);
			return npuc_err(-ENOMEM, "out of memory");
		}
		for (i = 0; i < bbatch; i++)
			for (j = 0; j < N; j++)
				for (kk = 0; kk < K; kk++)
					bt[i * K * N + kk * N + j] =
						bw[i * K * N + j * K + kk];
		free(bw);
		bw = bt;
	}
	if (ret)
		return ret;
	ret = weights(x, b->name, bw, bbatch * K * N, &lb);
	free(bw);
	if (!ret)
		ret = get_loc(x, a, &la);
	if (!ret)
		ret = alloc_out(x, m->out, false, &lo);
	if (ret)
		return ret;
	if (bbatch == 1) {	/* fold the batch into M */
		M *= batch;
		batch = 1;
	}
	for (i = 0; i < batch; i++) {
		uint64_t osz = m->e.out_elem == NPUC_INT32 ? 4 : 1, r0, rows;

		for (r0 = 0; r0 < M; r0 += rows) {
			struct rm_npu_cmd c;

			rows = M - r0 > RM_NPU_MAX_DIM ? RM_NPU_MAX_DIM : M - r0;
			memset(&c, 0, sizeof(c));
			c.opcode = RM_NPU_OP_GEMM;
			ret = epilogue(x, "bias", N, &m->e, &c.flags,
				       &c.gemm.rq, &c.gemm.bias, &c.gemm.quant);
			if (ret)
				return ret;
			c.gemm.a.bo = (uint32_t)la.slot;
			c.gemm.a.offset = la.off + (i * M + r0) * K;
			c.gemm.b.bo = (uint32_t)lb.slot;
			c.gemm.b.offset = lb.off + (bbatch > 1 ? i * K * N : 0);
			c.gemm.out.bo = (uint32_t)lo.slot;
			c.gemm.out.offset = lo.off + (i * M + r0) * N * osz;
			c.gemm.m = (uint32_t)rows;
			c.gemm.n = (uint32_t)N;
			c.gemm.k = (uint32_t)K;
			c.gemm.lda = (uint32_t)K;
			c.gemm.ldb = (uint32_t)N;
			c.gemm.ldo = (uint32_t)N;
			c.gemm.a_dtype = (uint32_t)dt_of(a->elem);
			c.gemm.out_dtype = (uint32_t)dt_of(m->e.out_elem);
			c.gemm.a_zero_point = m->a_zp;
			c.gemm.b_zero_point = bzp;
			ret = emit(x, &c);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- convolution ---------------------------------------------------------- */

struct conv {
	struct npuc_tensor *xin, *w, *out;
	const struct npuc_tensor *w_zp;
	int32_t x_zp;
	struct epi e;
};

/* Window geometry of Conv/MaxPool/AveragePool: pads, strides, dilations. */
struct geom {
	uint64_t k[2], s[2], d[2], pb[2], pe[2], o[2];
};

static int geometry(const struct npuc_node *n, int sp, const uint64_t in[2],
		    const uint64_t kern[2], bool ceil_ok, struct geom *g)
{
	int64_t v[4];
	char ap[32];
	int cnt, i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < 2; i++) {
		g->k[i] = kern[i];
		g->s[i] = 1;
		g->d[i] = 1;
	}
	/* attribute arrays are over the @sp spatial axes; axis 0 is H only
	 * for 2-D (for 1-D, H = 1 and the axis is W) */
#define AXIS(j) (sp == 2 ? (j) : 1)
	if ((cnt = attr_ints(n, "strides", v, 2)) >= 0)
		for (i = 0; i < cnt && i < sp; i++)
			g->s[AXIS(i)] = (uint64_t)v[i];
	if ((cnt = attr_ints(n, "dilations", v, 2)) >= 0)
		for (i = 0; i < cnt && i < sp; i++)
			g->d[AXIS(i)] = (uint64_t)v[i];
	if ((cnt = attr_ints(n, "pads", v, 4)) >= 0) {
		if (cnt != 2 * sp)
			return npuc_err(-EINVAL, "node \"%s\": %d pads for %d "
					"spatial axes", n->name, cnt, sp);
		for (i = 0; i < sp; i++) {
			if (v[i] < 0 || v[i + sp] < 0)
				return npuc_err(-EINVAL, "node \"%s\": negative "
						"pads", n->name);
			g->pb[AXIS(i)] = (uint64_t)v[i];
			g->pe[AXIS(i)] = (uint64_t)v[i + sp];
		}
	}
	if (cnt < -1)
		return cnt;
	for (i = 0; i < 2; i++)
		if (!g->s[i] || !g->d[i] || g->s[i] > 64 || g->d[i] > 64 ||
		    !g->k[i] || g->k[i] > 64)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": kernel, "
					"strides and dilations must be 1..64",
					n->name);
	attr_s(n, "auto_pad", ap, sizeof(ap), "NOTSET");
	for (i = 0; i < 2; i++) {
		uint64_t span = g->d[i] * (g->k[i] - 1) + 1;

		if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
			uint64_t o = (in[i] + g->s[i] - 1) / g->s[i];
			uint64_t need = (o - 1) * g->s[i] + span;
			uint64_t tot = need > in[i] ? need - in[i] : 0;

			g->pb[i] = !strcmp(ap, "SAME_UPPER") ? tot / 2 :
				   tot - tot / 2;
			g->pe[i] = tot - g->pb[i];
		} else if (!strcmp(ap, "VALID")) {
			g->pb[i] = g->pe[i] = 0;
		} else if (strcmp(ap, "NOTSET")) {
			return npuc_err(-EINVAL, "node \"%s\": auto_pad \"%s\"",
					n->name, ap);
		}
		if (in[i] + g->pb[i] + g->pe[i] < span)
			return npuc_err(-EINVAL, "node \"%s\": the window is "
					"larger than the padded input", n->name);
		g->o[i] = (in[i] + g->pb[i] + g->pe[i] - span) / g->s[i] + 1;
		if (ceil_ok && attr_i(n, "ceil_mode", 0)) {
			uint64_t oc = (in[i] + g->pb[i] + g->pe[i] - span +
				       g->s[i] - 1) / g->s[i] + 1;

			/* ONNX drops a last window starting in the end pad */
			if (oc != g->o[i] &&
			    (oc - 1) * g->s[i] < in[i] + g->pb[i])
				return npuc_err(-EOPNOTSUPP, "node \"%s\": "
						"ceil_mode adding a partial "
						"window is not supported",
						n->name);
		}
		if (g->pb[i] > 64 || g->pe[i] > 64)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": padding above "
					"64", n->name);
	}
#undef AXIS
	return 0;
}

static int lower_conv(struct lctx *x, const struct npuc_node *n,
		      struct conv *cv)
{
	uint64_t xd[4], kern[2], oc, cig, groups, i, ky, kx, ci, per;
	struct npuc_tensor *w = cv->w;
	int64_t od[4];
	struct npuc_loc li, lw, lo;
	struct rm_npu_cmd c;
	int8_t *wp, *wr;
	int32_t wzp;
	struct geom g;
	int ret, sp;

	if (!nchw(cv->xin, xd) || w->ndim != cv->xin->ndim)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): only 1-D and "
				"2-D convolutions are supported", n->name, n->op);
	sp = cv->xin->ndim - 2;
	oc = (uint64_t)w->dims[0];
	cig = (uint64_t)w->dims[1];
	kern[0] = sp == 2 ? (uint64_t)w->dims[2] : 1;
	kern[1] = (uint64_t)w->dims[sp == 2 ? 3 : 2];
	groups = (uint64_t)attr_i(n, "group", 1);
	if (!groups || cig * groups != xd[1] || oc % groups)
		return npuc_err(-EINVAL, "node \"%s\" (%s): %llu input channels, "
				"%llu per group in the weights, group %llu",
				n->name, n->op, (unsigned long long)xd[1],
				(unsigned long long)cig,
				(unsigned long long)groups);
	ret = geometry(n, sp, &xd[2], kern, false, &g);
	if (ret)
		return ret;
	od[0] = (int64_t)xd[0];
	od[1] = (int64_t)oc;
	od[2] = (int64_t)g.o[0];
	od[3] = (int64_t)g.o[1];
	if (sp == 1)
		od[2] = od[3];
	ret = set_shape(cv->out, cv->e.out_elem, sp + 2, od);
	if (ret)
		return ret;
	per = cig * kern[0] * kern[1];
	ret = prep_w(n, w, cv->w_zp, oc, per, 0, &wp, &wzp);
	if (ret)
		return ret;
	wr = malloc(oc * per);
	if (!wr) {
		free(wp);
		return npuc_err(-ENOMEM, "out of memory");
	}
	for (i = 0; i < oc; i++)	/* [oc][ci][ky][kx] -> [oc][ky][kx][ci] */
		for (ci = 0; ci < cig; ci++)
			for (ky = 0; ky < kern[0]; ky++)
				for (kx = 0; kx < kern[1]; kx++)
					wr[i * per + (ky * kern[1] + kx) * cig +
					   ci] = wp[i * per +
						    (ci * kern[0] + ky) *
						    kern[1] + kx];
	free(wp);
	ret = weights(x, w->name, wr, oc * per, &lw);
	free(wr);
	if (!ret)
		ret = get_nhwc(x, cv->xin, &li);
	if (!ret)
		ret = alloc_out(x, cv->out, true, &lo);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_CONV2D;
	ret = epilogue(x, "bias", oc, &cv->e, &c.flags, &c.conv2d.rq,
		       &c.conv2d.bias, &c.conv2d.quant);
	if (ret)
		return ret;
	c.conv2d.in.bo = (uint32_t)li.slot;
	c.conv2d.in.offset = li.off;
	c.conv2d.weights.bo = (uint32_t)lw.slot;
	c.conv2d.out.bo = (uint32_t)lo.slot;
	c.conv2d.out.offset = lo.off;
	c.conv2d.batch = (uint32_t)xd[0];
	c.conv2d.in_h = (uint32_t)xd[2];
	c.conv2d.in_w = (uint32_t)xd[3];
	c.conv2d.in_c = (uint32_t)xd[1];
	c.conv2d.out_h = (uint32_t)g.o[0];
	c.conv2d.out_w = (uint32_t)g.o[1];
	c.conv2d.out_c = (uint32_t)oc;
	c.conv2d.k_h = (uint32_t)kern[0];
	c.conv2d.k_w = (uint32_t)kern[1];
	c.conv2d.stride_h = (uint32_t)g.s[0];
	c.conv2d.stride_w = (uint32_t)g.s[1];
	c.conv2d.dil_h = (uint32_t)g.d[0];
	c.conv2d.dil_w = (uint32_t)g.d[1];
	c.conv2d.pad_top = (uint32_t)g.pb[0];
	c.conv2d.pad_left = (uint32_t)g.pb[1];
	c.conv2d.pad_bottom = (uint32_t)g.pe[0];
	c.conv2d.pad_right = (uint32_t)g.pe[1];
	c.conv2d.groups = (uint32_t)groups;
	c.conv2d.in_dtype = (uint32_t)dt_of(cv->xin->elem);
	c.conv2d.out_dtype = (uint32_t)dt_of(cv->e.out_elem);
	c.conv2d.in_zero_point = cv->x_zp;
	c.conv2d.w_zero_point = wzp;
	return emit(x, &c);
}

/* ---- QOperator nodes ------------------------------------------------------ */

static int bias_i32(const struct npuc_node *n, const struct npuc_tensor *b,
		    uint64_t nch, int32_t **out)
{
	uint64_t i;

	*out = NULL;
	if (!b)
		return 0;
	if (need_const(n, b, "bias") || b->elem != NPUC_INT32 ||
	    npuc_tensor_elements(b) != nch)
		return npuc_err(-EINVAL, "node \"%s\" (%s): bias must be a "
				"constant int32[%llu]", n->name, n->op,
				(unsigned long long)nch);
	*out = malloc(4 * nch);
	if (!*out)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < nch; i++)
		(*out)[i] = (int32_t)cval(b, i);
	return 0;
}

/*
 * QDQ: the bias is DequantizeLinear(b, s_b, z_b); the accumulator's unit is
 * s_x * s_w[c]. Rescale to it: round_half_even((b - z_b) s_b / (s_x s_w)),
 * exactly b when s_b is s_x s_w (what quantizers emit) and z_b is 0.
 */
static int qdq_bias_rescale(const struct npuc_node *n,
			    const struct npuc_tensor *xs,
			    const struct npuc_tensor *ws,
			    const struct npuc_tensor *bs,
			    const struct npuc_tensor *bz, uint64_t nch,
			    int32_t *bias)
{
	double sx, *sw, *sb;
	uint64_t i, zc = bz ? npuc_tensor_elements(bz) : 0;
	int ret;

	if (bz && (need_const(n, bz, "bias zero point") ||
		   (zc != 1 && zc != nch)))
		return npuc_err(-EINVAL, "node \"%s\" (%s): bias zero point "
				"must be a constant of 1 or %llu elements",
				n->name, n->op, (unsigned long long)nch);
	if ((ret = cscalar(n, xs, "input scale", &sx)))
		return ret;
	sw = malloc(2 * nch * sizeof(*sw));
	if (!sw)
		return npuc_err(-ENOMEM, "out of memory");
	sb = sw + nch;
	ret = scales(n, ws, nch, sw);
	if (!ret)
		ret = scales(n, bs, nch, sb);
	for (i = 0; !ret && i < nch; i++) {
		double z = bz ? cval(bz, zc == 1 ? 0 : i) : 0;
		double r = ((double)bias[i] - z) * sb[i] / (sx * sw[i]);

		r = nearbyint(r);
		if (!(fabs(r) <= 2147483647.0))
			ret = npuc_err(-ERANGE, "node \"%s\" (%s): bias %u "
				       "does not fit int32 in accumulator "
				       "units", n->name, n->op, (unsigned)i);
		else
			bias[i] = (int32_t)r;
	}
	free(sw);
	return ret;
}

/* Scales of a QLinear op: x (scalar), w (per channel), y (scalar). */
static int qlinear_mults(const struct npuc_node *n, const struct npuc_tensor *xs,
			 const struct npuc_tensor *ws, const struct npuc_tensor *ys,
			 uint64_t nch, double **out)
{
	double sx, sy, *r;
	uint64_t i;
	int ret;

	ret = cscalar(n, xs, "input scale", &sx);
	if (!ret)
		ret = cscalar(n, ys, "output scale", &sy);
	if (ret)
		return ret;
	r = malloc(nch * sizeof(*r));
	if (!r)
		return npuc_err(-ENOMEM, "out of memory");
	ret = scales(n, ws, nch, r);
	if (!ret && !(sy > 0))
		ret = npuc_err(-EINVAL, "node \"%s\": output scale %g", n->name,
			       sy);
	for (i = 0; !ret && i < nch; i++)
		r[i] = sx * r[i] / sy;
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

static int qlinear_matmul(struct lctx *x, const struct npuc_node *n)
{
	struct npuc_tensor *t[8];
	struct mm m;
	int32_t ae, ye;
	int i, ret;

	for (i = 0; i < 8; i++)
		if ((ret = need_in(x, n, i, &t[i])))
			return ret;
	memset(&m, 0, sizeof(m));
	m.a = t[0];
	m.b = t[3];
	m.b_zp = t[5];
	m.out = out_t(x, n, 0);
	if ((ret = need_runtime_q8(n, m.a)) || (ret = need_const(n, m.b, "B")) ||
	    (ret = zero_point(n, t[2], m.a->elem, &m.a_zp, &ae)) ||
	    (ret = zero_point(n, t[7], NPUC_UINT8, &m.e.zp, &ye)))
		return ret;
	if (m.b->ndim < 2)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": 1-D B", n->name);
	ret = qlinear_mults(n, t[1], t[4], t[6],
			    (uint64_t)m.b->dims[m.b->ndim - 1], &m.e.rmult);
	if (ret)
		return ret;
	m.e.out_elem = ye;
	m.e.act_min = type_min(ye);
	m.e.act_max = type_max(ye);
	ret = lower_mm(x, n, &m);
	free(m.e.rmult);
	return ret;
}

static int matmul_integer(struct lctx *x, const struct npuc_node *n)
{
	struct mm m;
	int32_t ae;
	int ret;

	memset(&m, 0, sizeof(m));
	if ((ret = need_in(x, n, 0, &m.a)) || (ret = need_in(x, n, 1, &m.b)))
		return ret;
	m.b_zp = in_t(x, n, 3);
	m.out = out_t(x, n, 0);
	if ((ret = need_runtime_q8(n, m.a)) || (ret = need_const(n, m.b, "B")) ||
	    (ret = zero_point(n, in_t(x, n, 2), m.a->elem, &m.a_zp, &ae)))
		return ret;
	m.e.out_elem = NPUC_INT32;
	return lower_mm(x, n, &m);
}

static int qlinear_conv(struct lctx *x, const struct npuc_node *n)
{
	struct npuc_tensor *t[8];
	struct conv cv;
	int32_t ae, ye;
	int i, ret;

	for (i = 0; i < 8; i++)
		if ((ret = need_in(x, n, i, &t[i])))
			return ret;
	memset(&cv, 0, sizeof(cv));
	cv.xin = t[0];
	cv.w = t[3];
	cv.w_zp = t[5];
	cv.out = out_t(x, n, 0);
	if ((ret = need_runtime_q8(n, cv.xin)) ||
	    (ret = need_const(n, cv.w, "W")) ||
	    (ret = zero_point(n, t[2], cv.xin->elem, &cv.x_zp, &ae)) ||
	    (ret = zero_point(n, t[7], NPUC_UINT8, &cv.e.zp, &ye)))
		return ret;
	if (cv.w->ndim < 1)
		return npuc_err(-EINVAL, "node \"%s\": scalar W", n->name);
	ret = qlinear_mults(n, t[1], t[4], t[6], (uint64_t)cv.w->dims[0],
			    &cv.e.rmult);
	if (!ret)
		ret = bias_i32(n, in_t(x, n, 8), (uint64_t)cv.w->dims[0],
			       (int32_t **)&cv.e.bias);
	cv.e.out_elem = ye;
	cv.e.act_min = type_min(ye);
	cv.e.act_max = type_max(ye);
	if (!ret)
		ret = lower_conv(x, n, &cv);
	free(cv.e.rmult);
	free((void *)cv.e.bias);
	return ret;
}

static int conv_integer(struct lctx *x, const struct npuc_node *n)
{
	struct conv cv;
	int32_t ae;
	int ret;

	memset(&cv, 0, sizeof(cv));
	if ((ret = need_in(x, n, 0, &cv.xin)) || (ret = need_in(x, n, 1, &cv.w)))
		return ret;
	cv.w_zp = in_t(x, n, 3);
	cv.out = out_t(x, n, 0);
	if ((ret = need_runtime_q8(n, cv.xin)) ||
	    (ret = need_const(n, cv.w, "W")) ||
	    (ret = zero_point(n, in_t(x, n, 2), cv.xin->elem, &cv.x_zp, &ae)))
		return ret;
	cv.e.out_elem = NPUC_INT32;
	return lower_conv(x, n, &cv);
}

/* ---- QDQ fusion: DequantizeLinear -> Conv/Gemm/MatMul [-> Relu] ->
 * QuantizeLinear becomes one int8 command ---------------------------------- */

static struct npuc_node *dq_of(struct lctx *x, const struct npuc_tensor *t)
{
	struct npuc_node *p;

	if (!t || t->producer < 0)
		return NULL;
	p = &x->g->n[t->producer];
	return !strcmp(p->op, "DequantizeLinear") && !p->domain[0] ? p : NULL;
}

static struct npuc_node *sole_consumer(struct lctx *x,
				       const struct npuc_tensor *t,
				       const char *op)
{
	int i, j, ti = (int)(t - x->g->t);

	if (t->nconsumers != 1 || t->is_output)
		return NULL;
	for (i = 0; i < x->g->nn; i++)
		for (j = 0; j < x->g->n[i].nin; j++)
			if (x->g->n[i].in[j] == ti)
				return !strcmp(x->g->n[i].op, op) &&
				       !x->g->n[i].domain[0] ? &x->g->n[i] :
				       NULL;
	return NULL;
}

static int qdq_fused(struct lctx *x, struct npuc_node *n, bool conv)
{
	struct npuc_node *da, *dw, *db = NULL, *relu, *q;
	struct npuc_tensor *out = out_t(x, n, 0), *yt;
	struct npuc_tensor *bias_t = in_t(x, n, 2);
	int32_t ae, ye, *bias = NULL;
	uint64_t nch;
	struct mm m;
	struct conv cv;
	struct epi e;
	int ret;

	da = dq_of(x, in_t(x, n, 0));
	dw = dq_of(x, in_t(x, n, 1));
	if (bias_t)
		db = dq_of(x, bias_t);
	if (!da || !dw || (bias_t && !db) || !out)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s) works on float "
				"tensors that are not DequantizeLinear outputs "
				"(not a QDQ pattern)", n->name, n->op);
	relu = sole_consumer(x, out, "Relu");
	yt = relu ? out_t(x, relu, 0) : out;
	q = yt ? sole_consumer(x, yt, "QuantizeLinear") : NULL;
	if (!q)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the float result "
				"is not followed by QuantizeLinear (not a QDQ "
				"pattern)", n->name, n->op);
	memset(&e, 0, sizeof(e));
	if ((ret = zero_point(n, in_t(x, q, 2), NPUC_UINT8, &e.zp, &ye)))
		return ret;
	e.out_elem = ye;
	e.act_min = relu ? (e.zp > type_min(ye) ? e.zp : type_min(ye)) :
		    type_min(ye);
	e.act_max = type_max(ye);
	{
		struct npuc_tensor *w = &x->g->t[dw->in[0]];
		struct npuc_tensor *a = &x->g->t[da->in[0]];

		if (!in_t(x, da, 1) || !in_t(x, dw, 1) || !in_t(x, q, 1) ||
		    w->ndim < 2)
			return npuc_err(-EINVAL, "node \"%s\": incomplete QDQ "
					"pattern", n->name);
		if (conv)
			nch = (uint64_t)w->dims[0];
		else if (attr_i(n, "transB", 0))
			nch = (uint64_t)w->dims[w->ndim - 2];
		else
			nch = (uint64_t)w->dims[w->ndim - 1];
		ret = qlinear_mults(n, in_t(x, da, 1), in_t(x, dw, 1),
				    in_t(x, q, 1), nch, &e.rmult);
		if (ret)
			return ret;
		if (db)
			ret = bias_i32(n, &x->g->t[db->in[0]], nch, &bias);
		if (!ret && db)
			ret = qdq_bias_rescale(n, in_t(x, da, 1), in_t(x, dw, 1),
					       in_t(x, db, 1), in_t(x, db, 2),
					       nch, bias);
		e.bias = bias;
		if (!ret && conv) {
			memset(&cv, 0, sizeof(cv));
			cv.xin = a;
			cv.w = w;
			cv.w_zp = in_t(x, dw, 2);
			cv.out = &x->g->t[q->out[0]];
			cv.e = e;
			ret = need_runtime_q8(n, a);
			if (!ret)
				ret = zero_point(n, in_t(x, da, 2), a->elem,
						 &cv.x_zp, &ae);
			if (!ret)
				ret = lower_conv(x, n, &cv);
		} else if (!ret) {
			memset(&m, 0, sizeof(m));
			m.a = a;
			m.b = w;
			m.b_zp = in_t(x, dw, 2);
			m.out = &x->g->t[q->out[0]];
			m.trans_b = attr_i(n, "transB", 0);
			m.e = e;
			if (attr_i(n, "transA", 0) ||
			    attr_f(n, "alpha", 1.0f) != 1.0f ||
			    attr_f(n, "beta", 1.0f) != 1.0f)
				ret = npuc_err(-EOPNOTSUPP, "node \"%s\": Gemm "
					       "with transA, alpha or beta",
					       n->name);
			if (!ret)
				ret = need_runtime_q8(n, a);
			if (!ret)
				ret = need_const(n, w, "weights");
			if (!ret)
				ret = zero_point(n, in_t(x, da, 2), a->elem,
						 &m.a_zp, &ae);
			if (!ret)
				ret = lower_mm(x, n, &m);
		}
	}
	free(e.rmult);
	free(bias);
	if (ret)
		return ret;
	note(x, "(QDQ: fused %s%s)", relu ? "Relu, " : "", q->name);
	q->done = true;
	snprintf(q->where, sizeof(q->where), "fused into \"%s\"", n->name);
	if (relu) {
		relu->done = true;
		snprintf(relu->where, sizeof(relu->where),
			 "fused into \"%s\" (clamp)", n->name);
	}
	return 0;
}

static int dequantize(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *src, *o = out_t(x, n, 0);
	int ret;

	if ((ret = need_in(x, n, 0, &src)))
		return ret;
	if (!is_q8(src->elem) && src->elem != NPUC_INT32)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": DequantizeLinear of "
				"%s", n->name, npuc_elem_name(src->elem));
	if (o) {
		o->dq_src = (int)(src - x->g->t);
		o->elem = NPUC_FLOAT;
	}
	note(x, "view (no command; consumed by a fused QDQ pattern)");
	return 0;
}

static int quantize(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *in, *o = out_t(x, n, 0), *src;
	struct npuc_node *d;
	double s1, s2;
	int32_t z1, z2, e1, e2;
	int ret;

	if ((ret = need_in(x, n, 0, &in)))
		return ret;
	d = dq_of(x, in);
	if (!d || !o)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": QuantizeLinear of a "
				"float tensor is not an NPU operation", n->name);
	/* Q(DQ(x)) with the same parameters is x */
	src = &x->g->t[d->in[0]];
	if ((ret = cscalar(n, in_t(x, d, 1), "scale", &s1)) ||
	    (ret = cscalar(n, in_t(x, n, 1), "scale", &s2)) ||
	    (ret = zero_point(n, in_t(x, d, 2), src->elem, &z1, &e1)) ||
	    (ret = zero_point(n, in_t(x, n, 2), NPUC_UINT8, &z2, &e2)))
		return ret;
	if (s1 != s2 || z1 != z2 || e1 != e2 || src->data)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": requantizing "
				"QuantizeLinear(DequantizeLinear()) with "
				"different parameters is not supported",
				n->name);
	ret = set_shape(o, src->elem, src->ndim, src->dims);
	if (ret)
		return ret;
	o->loc = src->loc;
	o->phys_nhwc = src->phys_nhwc;
	o->nhwc = src->nhwc;
	note(x, "no-op (Q(DQ(x)) = x)");
	return 0;
}

/* ---- element-wise ----------------------------------------------------------- */

static int eltwise(struct lctx *x, const struct npuc_node *n, int op,
		   struct npuc_tensor *a, struct npuc_tensor *b,
		   struct npuc_tensor *o, const struct rm_npu_elt_input *pa,
		   const struct rm_npu_elt_input *pb,
		   const struct rm_npu_requant *rq)
{
	uint64_t cnt = npuc_tensor_elements(a), cols, rows, r0, nb, bc;
	struct npuc_loc la, lb, lo;
	int ret, i;

	if (a->elem != b->elem || !is_q8(a->elem))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): operands %s and "
				"%s; int8 or uint8 expected", n->name, n->op,
				npuc_elem_name(a->elem), npuc_elem_name(b->elem));
	nb = npuc_tensor_elements(b);
	if (a->ndim < 1)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": scalar A", n->name);
	cols = (uint64_t)a->dims[a->ndim - 1];
	bc = nb == 1 ? 0 : nb == cols ? 1 : nb == cnt ? 2 : 3;
	if (bc == 1)		/* b must be [..1.., cols] */
		for (i = 0; i < b->ndim - 1; i++)
			if (b->dims[i] != 1)
				bc = 3;
	if (bc == 2 && b->ndim != a->ndim)
		bc = 3;
	for (i = 0; bc == 2 && i < a->ndim; i++)
		if (a->dims[i] != b->dims[i])
			bc = 3;
	if (bc == 3 || b->ndim > a->ndim)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): broadcasting "
				"other than scalar or last axis is not "
				"supported", n->name, n->op);
	if (cols > RM_NPU_MAX_DIM)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": last axis above "
				"65536", n->name);
	ret = set_shape(o, a->elem, a->ndim, a->dims);
	if (ret)
		return ret;
	if (bc == 2 && a->phys_nhwc && b->phys_nhwc) {
		/* same shape, both NHWC: stay there */
		la = a->loc;
		lb = b->loc;
		ret = alloc_out(x, o, true, &lo);
	} else {
		ret = get_loc(x, a, &la);
		if (!ret)
			ret = get_loc(x, b, &lb);
		if (!ret)
			ret = alloc_out(x, o, false, &lo);
	}
	if (ret)
		return ret;
	rows = cnt / cols;
	for (r0 = 0; r0 < rows; r0 += RM_NPU_MAX_DIM) {
		struct rm_npu_cmd c;
		uint64_t nr = rows - r0 > RM_NPU_MAX_DIM ? RM_NPU_MAX_DIM :
			      rows - r0;

		memset(&c, 0, sizeof(c));
		c.opcode = RM_NPU_OP_ELTWISE;
		c.eltwise.a = *pa;
		c.eltwise.b = *pb;
		c.eltwise.a.ref.bo = (uint32_t)la.slot;
		c.eltwise.a.ref.offset = la.off + r0 * cols;
		c.eltwise.a.row_stride = (uint32_t)cols;
		c.eltwise.a.col_stride = 1;
		c.eltwise.b.ref.bo = (uint32_t)lb.slot;
		c.eltwise.b.ref.offset = lb.off + (bc == 2 ? r0 * cols : 0);
		c.eltwise.b.row_stride = bc == 2 ? (uint32_t)cols : 0;
		c.eltwise.b.col_stride = bc ? 1 : 0;
		c.eltwise.out.bo = (uint32_t)lo.slot;
		c.eltwise.out.offset = lo.off + r0 * cols;
		c.eltwise.op = (uint32_t)op;
		c.eltwise.dtype = (uint32_t)dt_of(a->elem);
		c.eltwise.rows = (uint32_t)nr;
		c.eltwise.cols = (uint32_t)cols;
		c.eltwise.out_row_stride = (uint32_t)cols;
		c.eltwise.rq = *rq;
		c.eltwise.rq.act_min = type_min(a->elem);
		c.eltwise.rq.act_max = type_max(a->elem);
		ret = emit(x, &c);
		if (ret)
			return ret;
	}
	return 0;
}

/* Integer Add/Mul: exact while the result fits the type (the NPU
 * saturates where ONNX's integer Add/Mul wrap around). */
static int int_addmul(struct lctx *x, const struct npuc_node *n, bool mul)
{
	struct rm_npu_elt_input pa, pb;
	struct rm_npu_requant rq;
	struct npuc_tensor *a, *b;
	int ret;

	if ((ret = need_in(x, n, 0, &a)) || (ret = need_in(x, n, 1, &b)))
		return ret;
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	memset(&rq, 0, sizeof(rq));
	if (mul) {		/* v = a * b; out = v * 2^30 * 2^(1 - 31) */
		rq.mult = 1 << 30;
		rq.shift = 1;
	} else {		/* a, b scaled by 2^19; out = v * 2^-19 */
		pa.mult = pb.mult = 1 << 30;
		rq.mult = 1 << 30;
		rq.shift = -18;
	}
	if (a->data && !b->data) {	/* scalar/row operand second */
		struct npuc_tensor *t = a;

		a = b;
		b = t;
	}
	if (npuc_tensor_elements(b) > npuc_tensor_elements(a)) {
		struct npuc_tensor *t = a;

		a = b;
		b = t;
	}
	ret = eltwise(x, n, mul ? RM_NPU_ELT_MUL : RM_NPU_ELT_ADD, a, b,
		      out_t(x, n, 0), &pa, &pb, &rq);
	if (!ret)
		note(x, "(saturating)");
	return ret;
}

static int qlinear_addmul(struct lctx *x, const struct npuc_node *n, bool mul)
{
	struct npuc_tensor *t[8], *a, *b;
	struct rm_npu_elt_input pa, pb;
	struct rm_npu_requant rq;
	double sa, sb, sc, big;
	int32_t ea, eb, ec;
	int i, ret;

	for (i = 0; i < 8; i++)
		if (i != 7 && (ret = need_in(x, n, i, &t[i])))
			return ret;
	t[7] = in_t(x, n, 7);
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	memset(&rq, 0, sizeof(rq));
	if ((ret = cscalar(n, t[1], "A scale", &sa)) ||
	    (ret = cscalar(n, t[4], "B scale", &sb)) ||
	    (ret = cscalar(n, t[6], "C scale", &sc)) ||
	    (ret = zero_point(n, t[2], t[0]->elem, &pa.zero_point, &ea)) ||
	    (ret = zero_point(n, t[5], t[3]->elem, &pb.zero_point, &eb)) ||
	    (ret = zero_point(n, t[7], t[0]->elem, &rq.zero_point, &ec)))
		return ret;
	if (ec != t[0]->elem)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": output type differs "
				"from the inputs'", n->name);
	if (mul) {
		ret = npuc_quantize_multiplier(sa * sb / sc, &rq.mult, &rq.shift);
	} else {
		big = 2 * (sa > sb ? sa : sb);
		ret = npuc_quantize_multiplier_le1(sa / big, &pa.mult, &pa.shift);
		if (!ret)
			ret = npuc_quantize_multiplier_le1(sb / big, &pb.mult,
							   &pb.shift);
		if (!ret)
			ret = npuc_quantize_multiplier(big / (sc * 1048576.0),
						       &rq.mult, &rq.shift);
	}
	if (ret)
		return ret;
	a = t[0];
	b = t[3];
	if (npuc_tensor_elements(b) > npuc_tensor_elements(a)) {
		struct rm_npu_elt_input p = pa;

		a = t[3];
		b = t[0];
		pa = pb;
		pb = p;
	}
	return eltwise(x, n, mul ? RM_NPU_ELT_MUL : RM_NPU_ELT_ADD, a, b,
		       out_t(x, n, 0), &pa, &pb, &rq);
}

/* ---- unary int8 ops as a 256-entry LUT -------------------------------------- */

static int clamp_lut(struct lctx *x, struct npuc_node *n, bool relu)
{
	struct npuc_tensor *in, *o = out_t(x, n, 0);
	double lo, hi;
	uint8_t table[256];
	struct npuc_loc li, lt, lo_;
	struct rm_npu_cmd c;
	int ret, j;

	if ((ret = need_in(x, n, 0, &in)) || (ret = need_runtime_q8(n, in)))
		return ret;
	lo = type_min(in->elem);
	hi = type_max(in->elem);
	if (relu) {
		lo = 0;
	} else if (in_t(x, n, 1) || in_t(x, n, 2)) {
		if (in_t(x, n, 1) && (ret = cscalar(n, in_t(x, n, 1), "min", &lo)))
			return ret;
		if (in_t(x, n, 2) && (ret = cscalar(n, in_t(x, n, 2), "max", &hi)))
			return ret;
	} else if (attr(n, "min") || attr(n, "max")) {
		return npuc_err(-EOPNOTSUPP, "node \"%s\": Clip-6 attributes",
				n->name);
	}
	for (j = 0; j < 256; j++) {
		double v = in->elem == NPUC_INT8 ? j - 128 : j;

		v = v < lo ? lo : v;
		v = v > hi ? hi : v;	/* min > max gives max, as ONNX */
		table[j] = (uint8_t)(int)v;
	}
	ret = set_shape(o, in->elem, in->ndim, in->dims);
	if (ret)
		return ret;
	if (in->loc.slot < 0 && (ret = get_loc(x, in, &li)))
		return ret;
	li = in->loc;
	ret = weights(x, relu ? "relu" : "clip", table, 256, &lt);
	if (!ret)
		ret = alloc_out(x, o, in->phys_nhwc, &lo_);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_LUT;
	c.lut.in.bo = (uint32_t)li.slot;
	c.lut.in.offset = li.off;
	c.lut.table.bo = (uint32_t)lt.slot;
	c.lut.out.bo = (uint32_t)lo_.slot;
	c.lut.out.offset = lo_.off;
	c.lut.count = npuc_tensor_elements(in);
	c.lut.dtype = (uint32_t)dt_of(in->elem);
	return emit(x, &c);
}

/* ---- pooling ------------------------------------------------------------------ */

static int pool(struct lctx *x, struct npuc_node *n, int mode, bool global,
		bool count_pad, struct npuc_tensor *in, struct npuc_tensor *o,
		int32_t zp)
{
	uint64_t d[4], kern[2];
	int64_t kv[2], od[4];
	struct npuc_loc li, lo;
	struct rm_npu_cmd c;
	struct geom g;
	int ret, sp, cnt;

	if (!nchw(in, d))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): only 1-D and "
				"2-D pooling is supported", n->name, n->op);
	sp = in->ndim - 2;
	if (global) {
		memset(&g, 0, sizeof(g));
		g.k[0] = d[2]; g.k[1] = d[3];
		g.s[0] = g.s[1] = g.d[0] = g.d[1] = 1;
		g.o[0] = g.o[1] = 1;
		if (d[2] > 64 || d[3] > 64)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": global pool "
					"window above 64", n->name);
	} else {
		cnt = attr_ints(n, "kernel_shape", kv, 2);
		if (cnt != sp)
			return npuc_err(-EINVAL, "node \"%s\": kernel_shape "
					"must have %d values", n->name, sp);
		kern[0] = sp == 2 ? (uint64_t)kv[0] : 1;
		kern[1] = (uint64_t)kv[sp - 1];
		ret = geometry(n, sp, &d[2], kern, true, &g);
		if (ret)
			return ret;
		if (g.d[0] != 1 || g.d[1] != 1)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": pooling "
					"dilations", n->name);
		if (attr_i(n, "storage_order", 0))
			return npuc_err(-EOPNOTSUPP, "node \"%s\": "
					"storage_order 1", n->name);
		if (g.pb[0] >= g.k[0] || g.pe[0] >= g.k[0] ||
		    g.pb[1] >= g.k[1] || g.pe[1] >= g.k[1])
			return npuc_err(-EOPNOTSUPP, "node \"%s\": padding not "
					"smaller than the window", n->name);
	}
	if (n->nout > 1 && n->out[1] >= 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": MaxPool Indices "
				"output", n->name);
	od[0] = (int64_t)d[0];
	od[1] = (int64_t)d[1];
	od[2] = sp == 2 ? (int64_t)g.o[0] : (int64_t)g.o[1];
	od[3] = (int64_t)g.o[1];
	ret = set_shape(o, in->elem, in->ndim, od);
	if (!ret)
		ret = get_nhwc(x, in, &li);
	if (!ret)
		ret = alloc_out(x, o, true, &lo);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_POOL2D;
	c.flags = count_pad ? RM_NPU_POOL_COUNT_PAD : 0;
	c.pool2d.in.bo = (uint32_t)li.slot;
	c.pool2d.in.offset = li.off;
	c.pool2d.out.bo = (uint32_t)lo.slot;
	c.pool2d.out.offset = lo.off;
	c.pool2d.mode = (uint32_t)mode;
	c.pool2d.batch = (uint32_t)d[0];
	c.pool2d.in_h = (uint32_t)d[2];
	c.pool2d.in_w = (uint32_t)d[3];
	c.pool2d.c = (uint32_t)d[1];
	c.pool2d.out_h = (uint32_t)g.o[0];
	c.pool2d.out_w = (uint32_t)g.o[1];
	c.pool2d.k_h = (uint32_t)g.k[0];
	c.pool2d.k_w = (uint32_t)g.k[1];
	c.pool2d.stride_h = (uint32_t)g.s[0];
	c.pool2d.stride_w = (uint32_t)g.s[1];
	c.pool2d.pad_top = (uint32_t)g.pb[0];
	c.pool2d.pad_left = (uint32_t)g.pb[1];
	c.pool2d.pad_bottom = (uint32_t)g.pe[0];
	c.pool2d.pad_right = (uint32_t)g.pe[1];
	c.pool2d.dtype = (uint32_t)dt_of(in->elem);
	c.pool2d.zero_point = mode == RM_NPU_POOL_AVG ? zp : 0;
	c.pool2d.act_min = type_min(in->elem);
	c.pool2d.act_max = type_max(in->elem);
	return emit(x, &c);
}

static int maxpool(struct lctx *x, struct npuc_node *n, bool global)
{
	struct npuc_tensor *in;
	int ret;

	if ((ret = need_in(x, n, 0, &in)) || (ret = need_runtime_q8(n, in)))
		return ret;
	return pool(x, n, RM_NPU_POOL_MAX, global, false, in, out_t(x, n, 0), 0);
}

/* com.microsoft QLinearAveragePool / QLinearGlobalAveragePool with equal
 * input and output quantization. */
static int qlinear_avgpool(struct lctx *x, struct npuc_node *n, bool global)
{
	struct npuc_tensor *in;
	double s1, s2;
	int32_t z1, z2, e1, e2;
	int ret;

	if ((ret = need_in(x, n, 0, &in)) || (ret = need_runtime_q8(n, in)))
		return ret;
	if ((ret = cscalar(n, in_t(x, n, 1), "x scale", &s1)) ||
	    (ret = cscalar(n, in_t(x, n, 3), "y scale", &s2)) ||
	    (ret = zero_point(n, in_t(x, n, 2), in->elem, &z1, &e1)) ||
	    (ret = zero_point(n, in_t(x, n, 4), in->elem, &z2, &e2)))
		return ret;
	if (s1 != s2 || z1 != z2)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": average pooling with "
				"different input and output quantization",
				n->name);
	if (attr_i(n, "channels_last", 0))
		return npuc_err(-EOPNOTSUPP, "node \"%s\": channels_last",
				n->name);
	return pool(x, n, RM_NPU_POOL_AVG, global,
		    attr_i(n, "count_include_pad", 0) != 0, in, out_t(x, n, 0),
		    z1);
}

/* ---- data movement --------------------------------------------------------- */

static int reshape_like(struct lctx *x, struct npuc_node *n, bool flatten)
{
	struct npuc_tensor *in, *o = out_t(x, n, 0), *sh;
	int64_t od[NPUC_MAX_DIMS], tot, known = 1;
	uint64_t cnt;
	int ret, i, nd, neg = -1;

	if ((ret = need_in(x, n, 0, &in)))
		return ret;
	cnt = npuc_tensor_elements(in);
	if (flatten) {
		int64_t ax = attr_i(n, "axis", 1);

		if (ax < 0)
			ax += in->ndim;
		if (ax < 0 || ax > in->ndim)
			return npuc_err(-EINVAL, "node \"%s\": axis out of "
					"range", n->name);
		od[0] = 1;
		for (i = 0; i < ax; i++)
			od[0] *= in->dims[i];
		od[1] = (int64_t)cnt / od[0];
		nd = 2;
	} else if (!strcmp(n->op, "Identity")) {
		memcpy(od, in->dims, sizeof(od));
		nd = in->ndim;
	} else {
		if ((ret = need_in(x, n, 1, &sh)) ||
		    (ret = need_const(n, sh, "shape")))
			return ret;
		if (sh->elem != NPUC_INT64 || sh->ndim != 1 ||
		    sh->dims[0] > NPUC_MAX_DIMS)
			return npuc_err(-EINVAL, "node \"%s\": shape must be "
					"int64[<= %d]", n->name, NPUC_MAX_DIMS);
		nd = (int)sh->dims[0];
		for (i = 0; i < nd; i++) {
			od[i] = (int64_t)cval(sh, (uint64_t)i);
			if (od[i] == 0 && !attr_i(n, "allowzero", 0)) {
				if (i >= in->ndim)
					return npuc_err(-EINVAL, "node \"%s\": "
							"0 beyond the input "
							"rank", n->name);
				od[i] = in->dims[i];
			}
			if (od[i] == -1) {
				if (neg >= 0)
					return npuc_err(-EINVAL, "node \"%s\": "
							"two -1", n->name);
				neg = i;
			} else if (od[i] < 1) {
				return npuc_err(-EOPNOTSUPP, "node \"%s\": "
						"dimension %lld", n->name,
						(long long)od[i]);
			} else {
				/* Checked before multiplying: a dimension
				 * may be up to 2^63 (found by fuzz_onnx). */
				if (od[i] > (int64_t)NPUC_MAX_ELEMENTS / known)
					return npuc_err(-EINVAL, "node \"%s\": "
							"absurd shape",
							n->name);
				known *= od[i];
			}
		}
		if (neg >= 0)
			od[neg] = (int64_t)cnt / known;
	}
	for (tot = 1, i = 0; i < nd; i++)
		tot *= od[i];
	if ((uint64_t)tot != cnt)
		return npuc_err(-EINVAL, "node \"%s\": reshaping %llu elements "
				"to %lld", n->name, (unsigned long long)cnt,
				(long long)tot);
	ret = set_shape(o, in->elem, nd, od);
	if (!ret && !in->data)
		ret = get_loc(x, in, &o->loc);
	if (!ret && in->data) {	/* constant in, constant out */
		o->data = malloc(in->nbytes ? in->nbytes : 1);
		if (!o->data)
			return npuc_err(-ENOMEM, "out of memory");
		memcpy(o->data, in->data, in->nbytes);
		o->nbytes = in->nbytes;
	}
	if (!ret)
		note(x, "no-op (view)");
	return ret;
}

static int transpose(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *in, *o = out_t(x, n, 0);
	int64_t perm[NPUC_MAX_DIMS], od[NPUC_MAX_DIMS];
	uint64_t ist[NPUC_MAX_DIMS], ost[NPUC_MAX_DIMS], d[4], ss[4], ds[4], e;
	struct npuc_loc li, lo;
	int ret, i, cnt, k, r;
	bool seen[NPUC_MAX_DIMS] = { false };

	if ((ret = need_in(x, n, 0, &in)))
		return ret;
	r = in->ndim;
	cnt = attr_ints(n, "perm", perm, NPUC_MAX_DIMS);
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
		od[i] = in->dims[perm[i]];
	}
	e = npuc_elem_size(in->elem);
	for (i = r - 1; i >= 0; i--) {
		ist[i] = i == r - 1 ? e : ist[i + 1] * (uint64_t)in->dims[i + 1];
		ost[i] = i == r - 1 ? e : ost[i + 1] * (uint64_t)od[i + 1];
	}
	/* drop unit output axes; at most 4 may remain */
	for (i = 0; i < 4; i++) {
		d[i] = 1;
		ss[i] = ds[i] = 0;
	}
	for (k = 3, i = r - 1; i >= 0; i--) {
		if (od[i] == 1)
			continue;
		if (k < 0)
			return npuc_err(-EOPNOTSUPP, "node \"%s\": more than 4 "
					"non-unit axes", n->name);
		d[k] = (uint64_t)od[i];
		ss[k] = ist[perm[i]];
		ds[k] = ost[i];
		k--;
	}
	ret = set_shape(o, in->elem, r, od);
	if (!ret)
		ret = get_loc(x, in, &li);
	if (!ret)
		ret = alloc_out(x, o, false, &lo);
	if (!ret)
		ret = copy4(x, li, lo, (uint32_t)e, d, ss, ds);
	return ret;
}

static int concat(struct lctx *x, struct npuc_node *n)
{
	struct npuc_tensor *first, *o = out_t(x, n, 0);
	int64_t ax = attr_i(n, "axis", INT64_MAX), od[NPUC_MAX_DIMS];
	uint64_t outer = 1, inner = 1, e, off = 0, run, orow;
	struct npuc_loc lo;
	int ret, i, k;

	if ((ret = need_in(x, n, 0, &first)))
		return ret;
	if (ax == INT64_MAX)
		return npuc_err(-EINVAL, "node \"%s\": Concat needs axis",
				n->name);
	if (ax < 0)
		ax += first->ndim;
	if (ax < 0 || ax >= first->ndim)
		return npuc_err(-EINVAL, "node \"%s\": axis out of range",
				n->name);
	memcpy(od, first->dims, sizeof(od));
	od[ax] = 0;
	for (i = 0; i < n->nin; i++) {
		struct npuc_tensor *t;

		if ((ret = need_in(x, n, i, &t)))
			return ret;
		if (t->ndim != first->ndim || t->elem != first->elem)
			return npuc_err(-EINVAL, "node \"%s\": inputs differ in "
					"rank or type", n->name);
		for (k = 0; k < t->ndim; k++)
			if (k != ax && t->dims[k] != first->dims[k])
				return npuc_err(-EINVAL, "node \"%s\": inputs "
						"differ in shape", n->name);
		od[ax] += t->dims[ax];
	}
	for (k = 0; k < ax; k++)
		outer *= (uint64_t)od[k];
	for (k = (int)ax + 1; k < first->ndim; k++)
		inner *= (uint64_t)od[k];
	e = npuc_elem_size(first->elem);
	orow = (uint64_t)od[ax] * inner * e;
	ret = set_shape(o, first->elem, first->ndim, od);
	if (!ret)
		ret = alloc_out(x, o, false, &lo);
	for (i = 0; !ret && i < n->nin; i++) {
		struct npuc_tensor *t = in_t(x, n, i);
		struct npuc_loc li;

		run = (uint64_t)t->dims[ax] * inner * e;
		ret = get_loc(x, t, &li);
		if (!ret) {
			uint64_t d[4] = { 1, 1, outer, run / e };
			uint64_t ss[4] = { 0, 0, run, e };
			uint64_t ds[4] = { 0, 0, orow, e };

			if (run / e > RM_NPU_MAX_DIM && outer == 1) {
				ret = copy_bytes(x, li, (struct npuc_loc){
						 lo.slot, lo.off + off }, run);
			} else {
				ret = copy4(x, li, (struct npuc_loc){ lo.slot,
					    lo.off + off }, (uint32_t)e, d, ss,
					    ds);
			}
		}
		off += run;
	}
	return ret;
}

/* ---- CPU fallback ---------------------------------------------------------- */

/*
 * Nodes the NPU cannot run become CPU steps (npurt.h: struct npurt_cpu_op)
 * over the same slots: float32 tensors live in scratch (64-byte aligned)
 * or in the graph's input/output slots, float constants in weights slots.
 * A step is placed after the commands emitted so far, so steps and
 * commands keep the graph's topological order.
 */
static int emit_cpu(struct lctx *x, const struct npurt_cpu_op *op)
{
	if (x->ncpu == x->capcpu) {
		int cap = x->capcpu ? 2 * x->capcpu : 16;
		struct lcpu *n = realloc(x->cpu, (size_t)cap * sizeof(*n));

		if (!n)
			return npuc_err(-ENOMEM, "out of memory");
		x->cpu = n;
		x->capcpu = cap;
	}
	x->cpu[x->ncpu].after = x->nc;
	x->cpu[x->ncpu++].op = *op;
	if (x->cur)
		x->cur->on_cpu = true;
	note(x, "CPU %s", npurt_cpu_op_name(op->opcode));
	return 0;
}

static struct npurt_cpu_op cpu_op_init(uint32_t opcode)
{
	struct npurt_cpu_op op;
	int i;

	memset(&op, 0, sizeof(op));
	op.opcode = opcode;
	for (i = 0; i < NPURT_CPU_MAX_IN; i++)
		op.in[i].slot = NPURT_CPU_NONE;
	op.out.slot = NPURT_CPU_NONE;
	return op;
}

static struct npurt_cpu_ref cpu_ref(struct npuc_loc l, int32_t elem,
				    uint64_t count)
{
	return (struct npurt_cpu_ref){ (uint32_t)l.slot,
		(uint32_t)npurt_dtype_of(elem), l.off, count };
}

static int need_shape(const struct npuc_node *n, const struct npuc_tensor *t)
{
	if (t->ndim < 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the shape of "
				"\"%s\" is unknown", n->name, n->op, t->name);
	return 0;
}

/* Float input @i of @n: its location and operand. */
static int cpu_in(struct lctx *x, const struct npuc_node *n, int i,
		  struct npuc_tensor **t, struct npurt_cpu_ref *r)
{
	struct npuc_loc l;
	int ret = need_in(x, n, i, t);

	if (ret)
		return ret;
	if ((*t)->elem != NPUC_FLOAT)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): input \"%s\" is "
				"%s; the CPU fallback computes float32", n->name,
				n->op, (*t)->name, npuc_elem_name((*t)->elem));
	if ((ret = get_loc(x, *t, &l)) || (ret = need_shape(n, *t)))
		return ret;
	*r = cpu_ref(l, NPUC_FLOAT, npuc_tensor_elements(*t));
	return 0;
}

static int cpu_out(struct lctx *x, const struct npuc_node *n, int32_t elem,
		   int ndim, const int64_t *dims, struct npurt_cpu_ref *r)
{
	struct npuc_tensor *o = out_t(x, n, 0);
	struct npuc_loc l;
	int ret = set_shape(o, elem, ndim, dims);

	if (!ret)
		ret = alloc_out(x, o, false, &l);
	if (!ret)
		*r = cpu_ref(l, elem, npuc_tensor_elements(o));
	return ret;
}

/*
 * Quantization parameters of a QuantizeLinear/DequantizeLinear node @n over
 * a tensor of shape @t: per tensor (p[0] = 0, f[0], p[1]) or per axis
 * (p[0] = C, p[2] = inner, in[1] scales, in[2] zero points). *qelem: the
 * integer type (the zero point's, else @def_elem).
 */
static int cpu_qparams(struct lctx *x, struct npuc_node *n,
		       const struct npuc_tensor *t, int32_t def_elem,
		       struct npurt_cpu_op *op, int32_t *qelem)
{
	struct npuc_tensor *s = in_t(x, n, 1), *z = in_t(x, n, 2);
	uint64_t cnt, inner = 1;
	int64_t axis = attr_i(n, "axis", 1);
	struct npuc_loc l;
	double v;
	int ret, k;

	if (!s || (ret = need_const(n, s, "scale")))
		return s ? ret : npuc_err(-EINVAL, "node \"%s\": no scale",
					  n->name);
	if (attr_i(n, "block_size", 0))
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): blocked "
				"quantization is not supported", n->name, n->op);
	if (s->elem != NPUC_FLOAT)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): scale of type "
				"%s; float32 expected", n->name, n->op,
				npuc_elem_name(s->elem));
	*qelem = z ? z->elem : def_elem;
	if (!is_q8(*qelem) && *qelem != NPUC_INT32)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %s quantization "
				"is not supported (int8, uint8%s)", n->name,
				n->op, npuc_elem_name(*qelem),
				def_elem == NPUC_INT32 ? ", int32" : "");
	if (z && (ret = need_const(n, z, "zero point")))
		return ret;
	cnt = npuc_tensor_elements(s);
	if (s->ndim == 0 || cnt == 1) {
		if ((ret = cscalar(n, s, "scale", &v)))
			return ret;
		op->f[0] = (float)v;
		if (z && (ret = cscalar(n, z, "zero point", &v)))
			return ret;
		op->p[1] = z ? (int64_t)v : 0;
		if (!(op->f[0] > 0) || !isfinite(op->f[0]))
			return npuc_err(-EINVAL, "node \"%s\" (%s): scale %g",
					n->name, n->op, (double)op->f[0]);
		return 0;
	}
	if (axis < 0)
		axis += t->ndim;
	if (s->ndim != 1 || axis < 0 || axis >= t->ndim ||
	    (int64_t)cnt != t->dims[axis] ||
	    (z && npuc_tensor_elements(z) != cnt))
		return npuc_err(-EINVAL, "node \"%s\" (%s): per-axis scale of "
				"%llu elements does not match axis %lld",
				n->name, n->op, (unsigned long long)cnt,
				(long long)axis);
	for (k = (int)axis + 1; k < t->ndim; k++)
		inner *= (uint64_t)t->dims[k];
	op->p[0] = (int64_t)cnt;
	op->p[2] = (int64_t)inner;
	if ((ret = get_loc(x, s, &l)))
		return ret;
	op->in[1] = cpu_ref(l, NPUC_FLOAT, cnt);
	if (z) {
		if ((ret = get_loc(x, z, &l)))
			return ret;
		op->in[2] = cpu_ref(l, z->elem, cnt);
	}
	return 0;
}

/* A DequantizeLinear output (a view so far) computed as a CPU step. */
static int dq_materialize(struct lctx *x, struct npuc_tensor *t)
{
	struct npuc_node *d = &x->g->n[t->producer], *saved = x->cur;
	struct npuc_tensor *src = &x->g->t[t->dq_src];
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_DEQUANTIZE);
	struct npuc_loc l;
	int32_t qelem;
	int ret;

	t->dq_src = -1;		/* no recursion through get_loc() */
	x->cur = d;
	d->where[0] = 0;
	if ((ret = get_loc(x, src, &l)) || (ret = need_shape(d, src)))
		goto out;
	op.in[0] = cpu_ref(l, src->elem, npuc_tensor_elements(src));
	ret = cpu_qparams(x, d, src, src->elem, &op, &qelem);
	if (!ret && qelem != src->elem)
		ret = npuc_err(-EINVAL, "node \"%s\": zero point type differs "
			       "from the input's", d->name);
	if (!ret && qelem == NPUC_INT32 && (op.p[1] || op.in[2].slot !=
					    NPURT_CPU_NONE))
		ret = npuc_err(-EINVAL, "node \"%s\": int32 with a zero point",
			       d->name);
	if (!ret)
		ret = set_shape(t, NPUC_FLOAT, src->ndim, src->dims);
	if (!ret)
		ret = alloc_out(x, t, false, &l);
	if (!ret) {
		op.out = cpu_ref(l, NPUC_FLOAT, npuc_tensor_elements(t));
		ret = emit_cpu(x, &op);
	}
out:
	x->cur = saved;
	return ret;
}

static int cpu_quantize(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_QUANTIZE);
	struct npuc_tensor *in;
	int64_t odt = attr_i(n, "output_dtype", 0);
	int32_t qelem;
	int ret;

	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	ret = cpu_qparams(x, n, in, odt ? (int32_t)odt : NPUC_UINT8, &op,
			  &qelem);
	if (!ret && !is_q8(qelem))
		ret = npuc_err(-EOPNOTSUPP, "node \"%s\": QuantizeLinear to %s",
			       n->name, npuc_elem_name(qelem));
	if (!ret && (odt && odt != qelem))
		ret = npuc_err(-EINVAL, "node \"%s\": output_dtype differs from "
			       "the zero point's type", n->name);
	if (!ret)
		ret = cpu_out(x, n, qelem, in->ndim, in->dims, &op.out);
	return ret ? ret : emit_cpu(x, &op);
}

static int cpu_unary(struct lctx *x, struct npuc_node *n, uint32_t opcode)
{
	struct npurt_cpu_op op = cpu_op_init(opcode);
	struct npuc_tensor *in, *lo, *hi;
	double v;
	int ret;

	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	if (opcode == NPURT_CPU_LEAKY_RELU)
		op.f[0] = attr_f(n, "alpha", 0.01f);
	if (opcode == NPURT_CPU_HARD_SIGMOID) {
		op.f[0] = attr_f(n, "alpha", 0.2f);
		op.f[1] = attr_f(n, "beta", 0.5f);
	}
	if (opcode == NPURT_CPU_CLIP) {
		lo = in_t(x, n, 1);
		hi = in_t(x, n, 2);
		op.f[0] = -INFINITY;
		op.f[1] = INFINITY;
		if (lo && (ret = cscalar(n, lo, "min", &v)))
			return ret;
		if (lo)
			op.f[0] = (float)v;
		if (hi && (ret = cscalar(n, hi, "max", &v)))
			return ret;
		if (hi)
			op.f[1] = (float)v;
	}
	ret = cpu_out(x, n, NPUC_FLOAT, in->ndim, in->dims, &op.out);
	return ret ? ret : emit_cpu(x, &op);
}

/* Row-major element strides of @t aligned to rank @r output dims @od (0 on
 * broadcast axes). */
static int bcast_strides(const struct npuc_node *n, const struct npuc_tensor *t,
			 int r, const int64_t *od, int64_t *str)
{
	int64_t s = 1;
	int k, off = r - t->ndim;

	for (k = r - 1; k >= 0; k--) {
		int64_t d = k >= off ? t->dims[k - off] : 1;

		if (d != od[k] && d != 1)
			return npuc_err(-EINVAL, "node \"%s\" (%s): shapes do "
					"not broadcast", n->name, n->op);
		str[k] = d == 1 ? 0 : s;
		s *= d;
	}
	return 0;
}

static int cpu_binary(struct lctx *x, struct npuc_node *n, uint32_t opcode)
{
	struct npurt_cpu_op op = cpu_op_init(opcode);
	struct npuc_tensor *a, *b;
	int64_t od[NPURT_CPU_MAX_RANK];
	int r, k, ret;

	if (n->nin != 2)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %d inputs; the "
				"CPU fallback takes 2", n->name, n->op, n->nin);
	if ((ret = cpu_in(x, n, 0, &a, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &b, &op.in[1])))
		return ret;
	r = a->ndim > b->ndim ? a->ndim : b->ndim;
	if (r > NPURT_CPU_MAX_RANK)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): rank %d above "
				"%d", n->name, n->op, r, NPURT_CPU_MAX_RANK);
	for (k = 0; k < r; k++) {
		int64_t da = k >= r - a->ndim ? a->dims[k - (r - a->ndim)] : 1;
		int64_t db = k >= r - b->ndim ? b->dims[k - (r - b->ndim)] : 1;

		od[k] = da > db ? da : db;
	}
	if ((ret = bcast_strides(n, a, r, od, &op.p[7])) ||
	    (ret = bcast_strides(n, b, r, od, &op.p[13])))
		return ret;
	ret = cpu_out(x, n, NPUC_FLOAT, r, od, &op.out);
	if (ret)
		return ret;
	if (!r) {	/* scalars */
		op.p[0] = 1;
		op.p[1] = 1;
	} else {
		op.p[0] = r;
		for (k = 0; k < r; k++)
			op.p[1 + k] = od[k];
	}
	return emit_cpu(x, &op);
}

static int cpu_softmax(struct lctx *x, struct npuc_node *n, uint32_t opcode)
{
	struct npurt_cpu_op op = cpu_op_init(opcode);
	struct npuc_tensor *in;
	int64_t axis = attr_i(n, "axis", -1), outer = 1, inner = 1;
	int k, ret;

	if (x->g->opset < 13)
		return npuc_err(-EOPNOTSUPP, "node \"%s\": %s before opset 13",
				n->name, n->op);
	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	if (axis < 0)
		axis += in->ndim;
	if (axis < 0 || axis >= in->ndim)
		return npuc_err(-EINVAL, "node \"%s\": axis out of range",
				n->name);
	for (k = 0; k < in->ndim; k++) {
		if (k < axis)
			outer *= in->dims[k];
		else if (k > axis)
			inner *= in->dims[k];
	}
	op.p[0] = outer;
	op.p[1] = in->dims[axis];
	op.p[2] = inner;
	ret = cpu_out(x, n, NPUC_FLOAT, in->ndim, in->dims, &op.out);
	return ret ? ret : emit_cpu(x, &op);
}

static int cpu_gemm(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_GEMM);
	struct npuc_tensor *a, *b, *c = in_t(x, n, 2);
	int64_t ta = attr_i(n, "transA", 0), tb = attr_i(n, "transB", 0);
	int64_t m, k, nn, od[2], cs[2];
	int ret;

	if ((ret = cpu_in(x, n, 0, &a, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &b, &op.in[1])))
		return ret;
	if (a->ndim != 2 || b->ndim != 2)
		return npuc_err(-EINVAL, "node \"%s\" (Gemm): inputs must be "
				"2-D", n->name);
	m = ta ? a->dims[1] : a->dims[0];
	k = ta ? a->dims[0] : a->dims[1];
	nn = tb ? b->dims[0] : b->dims[1];
	if ((tb ? b->dims[1] : b->dims[0]) != k)
		return npuc_err(-EINVAL, "node \"%s\" (Gemm): inner dimensions "
				"differ", n->name);
	op.p[0] = m;
	op.p[1] = nn;
	op.p[2] = k;
	op.p[3] = ta ? 1 : 0;
	op.p[4] = tb ? 1 : 0;
	op.p[5] = 1;
	op.f[0] = attr_f(n, "alpha", 1.0f);
	op.f[1] = attr_f(n, "beta", 1.0f);
	if (c) {
		struct npuc_tensor *ct;

		if ((ret = cpu_in(x, n, 2, &ct, &op.in[2])))
			return ret;
		od[0] = m;
		od[1] = nn;
		if (ct->ndim > 2)
			return npuc_err(-EINVAL, "node \"%s\" (Gemm): C of rank "
					"%d", n->name, ct->ndim);
		if ((ret = bcast_strides(n, ct, 2, od, cs)))
			return ret;
		op.p[8] = cs[0];
		op.p[9] = cs[1];
	}
	od[0] = m;
	od[1] = nn;
	ret = cpu_out(x, n, NPUC_FLOAT, 2, od, &op.out);
	return ret ? ret : emit_cpu(x, &op);
}

static int cpu_matmul(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_GEMM);
	struct npuc_tensor *a, *b;
	int64_t od[NPUC_MAX_DIMS], m, k, nn, kb, batch = 1;
	int ra, rb, r, i, nd = 0, ret;
	bool a_b = false, b_b = false, mixed = false;

	if ((ret = cpu_in(x, n, 0, &a, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &b, &op.in[1])))
		return ret;
	ra = a->ndim;
	rb = b->ndim;
	if (!ra || !rb)
		return npuc_err(-EINVAL, "node \"%s\" (MatMul): scalar input",
				n->name);
	m = ra >= 2 ? a->dims[ra - 2] : 1;
	k = a->dims[ra - 1];
	kb = rb >= 2 ? b->dims[rb - 2] : b->dims[0];
	nn = rb >= 2 ? b->dims[rb - 1] : 1;
	if (k != kb)
		return npuc_err(-EINVAL, "node \"%s\" (MatMul): inner dimensions "
				"%lld and %lld differ", n->name, (long long)k,
				(long long)kb);
	/* batch dims: one side's (the other has none or all 1), or equal */
	ra = ra > 2 ? ra - 2 : 0;
	rb = rb > 2 ? rb - 2 : 0;
	r = ra > rb ? ra : rb;
	for (i = 0; i < r; i++) {
		int64_t da = i >= r - ra ? a->dims[i - (r - ra)] : 1;
		int64_t db = i >= r - rb ? b->dims[i - (r - rb)] : 1;

		if (da != db && da != 1 && db != 1)
			return npuc_err(-EINVAL, "node \"%s\" (MatMul): batch "
					"dimensions do not broadcast", n->name);
		od[nd++] = da > db ? da : db;
		batch *= da > db ? da : db;
		a_b |= da > 1;
		b_b |= db > 1;
	}
	for (i = 0; i < r; i++) {
		int64_t da = i >= r - ra ? a->dims[i - (r - ra)] : 1;
		int64_t db = i >= r - rb ? b->dims[i - (r - rb)] : 1;

		mixed |= (a_b && da != od[i]) || (b_b && db != od[i]);
	}
	if (a->ndim >= 2)
		od[nd++] = m;
	if (b->ndim >= 2)
		od[nd++] = nn;
	op.p[0] = m;
	op.p[1] = nn;
	op.p[2] = k;
	op.p[5] = batch;
	op.p[6] = a_b ? m * k : 0;
	op.p[7] = b_b ? k * nn : 0;
	op.f[0] = 1.0f;
	ret = cpu_out(x, n, NPUC_FLOAT, nd, od, &op.out);
	if (ret || !mixed)
		return ret ? ret : emit_cpu(x, &op);
	/* batch dims broadcast both ways: one GEMM step per output matrix */
	if (batch > 4096)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (MatMul): %lld "
				"matrices with two-way batch broadcasting",
				n->name, (long long)batch);
	{
		int64_t sa[NPUC_MAX_DIMS], sb[NPUC_MAX_DIMS], as = 1, bs = 1;
		int64_t bi, rem, ia, ib, d;

		for (i = r - 1; i >= 0; i--) {
			int64_t da = i >= r - ra ? a->dims[i - (r - ra)] : 1;
			int64_t db = i >= r - rb ? b->dims[i - (r - rb)] : 1;

			sa[i] = da == 1 ? 0 : as;
			sb[i] = db == 1 ? 0 : bs;
			as *= da;
			bs *= db;
		}
		for (bi = 0; bi < batch && !ret; bi++) {
			struct npurt_cpu_op one = op;

			for (rem = bi, ia = ib = 0, i = r - 1; i >= 0; i--) {
				d = rem % od[i];
				rem /= od[i];
				ia += d * sa[i];
				ib += d * sb[i];
			}
			one.p[5] = 1;
			one.p[6] = one.p[7] = 0;
			one.in[0].offset += (uint64_t)(ia * m * k) * 4;
			one.in[0].count = (uint64_t)(m * k);
			one.in[1].offset += (uint64_t)(ib * k * nn) * 4;
			one.in[1].count = (uint64_t)(k * nn);
			one.out.offset += (uint64_t)(bi * m * nn) * 4;
			one.out.count = (uint64_t)(m * nn);
			ret = emit_cpu(x, &one);
		}
	}
	return ret;
}

/*
 * CONV/POOL geometry over up to three spatial axes (depth, height, width;
 * a 1-D or 2-D node uses the last ones, the others are 1): kernel @ks of
 * the node's rank, strides, dilations, pads (explicit or auto_pad), output
 * size (floor, or ceil mode for pools), then the step parameters.
 */
struct cgeo {
	int sp;
	int64_t dims[3], ks[3], st[3], dl[3], pb[3], pe[3], o[3];
};

static int cpu_geometry(const struct npuc_node *n, const struct npuc_tensor *in,
			const int64_t *ks, bool pool, struct cgeo *g)
{
	int64_t st[3] = { 1, 1, 1 }, dl[3] = { 1, 1, 1 }, pads[6] = { 0 };
	int64_t ceil_mode = pool ? attr_i(n, "ceil_mode", 0) : 0;
	char ap[32];
	int j, k;

	g->sp = in->ndim - 2;
	if (g->sp < 1 || g->sp > 3)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): %d spatial "
				"axes; the CPU fallback does 1 to 3", n->name,
				n->op, g->sp);
	if (attr_ints(n, "strides", st, g->sp) < -1 ||
	    attr_ints(n, "dilations", dl, g->sp) < -1 ||
	    attr_ints(n, "pads", pads, 2 * g->sp) < -1)
		return npuc_err(-EINVAL, "node \"%s\" (%s): bad attributes",
				n->name, n->op);
	attr_s(n, "auto_pad", ap, sizeof(ap), "NOTSET");
	for (k = 0; k < 3; k++) {
		g->dims[k] = g->ks[k] = g->st[k] = g->dl[k] = g->o[k] = 1;
		g->pb[k] = g->pe[k] = 0;
	}
	for (j = 0; j < g->sp; j++) {
		int64_t span, tot;

		k = 3 - g->sp + j;
		g->dims[k] = in->dims[2 + j];
		g->ks[k] = ks[j];
		g->st[k] = st[j];
		g->dl[k] = dl[j];
		g->pb[k] = pads[j];
		g->pe[k] = pads[g->sp + j];
		if (g->ks[k] < 1 || g->st[k] < 1 || g->dl[k] < 1 ||
		    g->pb[k] < 0 || g->pe[k] < 0)
			return npuc_err(-EINVAL, "node \"%s\" (%s): bad kernel, "
					"strides, dilations or pads", n->name,
					n->op);
		if (!strncmp(ap, "SAME_", 5)) {
			g->o[k] = (g->dims[k] + g->st[k] - 1) / g->st[k];
			tot = (g->o[k] - 1) * g->st[k] +
			      g->dl[k] * (g->ks[k] - 1) + 1 - g->dims[k];
			tot = tot < 0 ? 0 : tot;
			g->pb[k] = ap[5] == 'U' ? tot / 2 : tot - tot / 2;
			g->pe[k] = tot - g->pb[k];
			continue;
		}
		if (!strcmp(ap, "VALID"))
			g->pb[k] = g->pe[k] = 0;
		else if (strcmp(ap, "NOTSET"))
			return npuc_err(-EINVAL, "node \"%s\": auto_pad %s",
					n->name, ap);
		span = g->dims[k] + g->pb[k] + g->pe[k] -
		       g->dl[k] * (g->ks[k] - 1) - 1;
		if (span < 0)
			return npuc_err(-EINVAL, "node \"%s\" (%s): empty "
					"output", n->name, n->op);
		g->o[k] = (ceil_mode ? span + g->st[k] - 1 : span) / g->st[k] +
			  1;
		if (ceil_mode && (g->o[k] - 1) * g->st[k] >=
		    g->dims[k] + g->pb[k])
			g->o[k]--;
	}
	return 0;
}

static void cpu_geo_params(const struct cgeo *g, struct npurt_cpu_op *op)
{
	op->p[2] = g->dims[1];
	op->p[3] = g->dims[2];
	op->p[5] = g->ks[1];
	op->p[6] = g->ks[2];
	op->p[7] = g->st[1];
	op->p[8] = g->st[2];
	op->p[9] = g->pb[1];
	op->p[10] = g->pb[2];
	op->p[11] = g->pe[1];
	op->p[12] = g->pe[2];
	op->p[13] = g->dl[1];
	op->p[14] = g->dl[2];
	op->p[16] = g->o[1];
	op->p[17] = g->o[2];
	if (g->sp == 3) {
		op->p[19] = g->dims[0];
		op->p[20] = g->ks[0];
		op->p[21] = g->st[0];
		op->p[22] = g->pb[0];
		op->p[23] = g->pe[0];
		op->p[24] = g->dl[0];
		op->p[25] = g->o[0];
	}
}

/* The output dims [N][C][spatial...]. */
static int cpu_geo_out(const struct cgeo *g, int64_t nb, int64_t ch,
		       int64_t *od)
{
	int j;

	od[0] = nb;
	od[1] = ch;
	for (j = 0; j < g->sp; j++)
		od[2 + j] = g->o[3 - g->sp + j];
	return g->sp + 2;
}

static int cpu_conv(struct lctx *x, struct npuc_node *n)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_CONV);
	struct npuc_tensor *in, *w, *bt;
	int64_t g = attr_i(n, "group", 1), od[5];
	struct cgeo geo;
	int ret, nd;

	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])) ||
	    (ret = cpu_in(x, n, 1, &w, &op.in[1])))
		return ret;
	if (in_t(x, n, 2) && (ret = cpu_in(x, n, 2, &bt, &op.in[2])))
		return ret;
	if (w->ndim != in->ndim || in->ndim < 3)
		return npuc_err(-EINVAL, "node \"%s\" (Conv): input of rank %d, "
				"weights of rank %d", n->name, in->ndim,
				w->ndim);
	if ((ret = cpu_geometry(n, in, w->dims + 2, false, &geo)))
		return ret;
	if (g < 1 || in->dims[1] != w->dims[1] * g || w->dims[0] % g)
		return npuc_err(-EINVAL, "node \"%s\" (Conv): channels and "
				"group inconsistent", n->name);
	op.p[0] = in->dims[0];
	op.p[1] = in->dims[1];
	op.p[4] = w->dims[0];
	op.p[15] = g;
	cpu_geo_params(&geo, &op);
	nd = cpu_geo_out(&geo, in->dims[0], w->dims[0], od);
	ret = cpu_out(x, n, NPUC_FLOAT, nd, od, &op.out);
	return ret ? ret : emit_cpu(x, &op);
}

static int cpu_pool(struct lctx *x, struct npuc_node *n, bool global,
		    int mode)
{
	struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_POOL);
	struct npuc_tensor *in;
	int64_t ks[3] = { 1, 1, 1 }, od[5];
	struct cgeo geo;
	int ret, nd, j;

	if (n->nout > 1 && n->out[1] >= 0)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): the Indices "
				"output is not supported", n->name, n->op);
	if ((ret = cpu_in(x, n, 0, &in, &op.in[0])))
		return ret;
	if (in->ndim < 3 || in->ndim > 5)
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): rank %d",
				n->name, n->op, in->ndim);
	if (global)
		for (j = 2; j < in->ndim; j++)
			ks[j - 2] = in->dims[j];
	else if (attr_ints(n, "kernel_shape", ks, 3) != in->ndim - 2)
		return npuc_err(-EINVAL, "node \"%s\" (%s): kernel_shape "
				"missing or of the wrong length", n->name,
				n->op);
	if ((ret = cpu_geometry(n, in, ks, true, &geo)))
		return ret;
	if (mode == 1 && attr_i(n, "count_include_pad", 0))
		mode = 2;
	op.p[0] = in->dims[0];
	op.p[1] = in->dims[1];
	op.p[18] = mode;
	cpu_geo_params(&geo, &op);
	nd = cpu_geo_out(&geo, in->dims[0], in->dims[1], od);
	ret = cpu_out(x, n, NPUC_FLOAT, nd, od, &op.out);
	return ret ? ret : emit_cpu(x, &op);
}

static const struct {
	const char *op;
	uint32_t code;
} cpu_ops[] = {
	{ "HardSigmoid", NPURT_CPU_HARD_SIGMOID },
	{ "HardSwish", NPURT_CPU_HARD_SWISH },
	{ "MaxPool", NPURT_CPU_POOL }, { "GlobalMaxPool", NPURT_CPU_POOL },
	{ "AveragePool", NPURT_CPU_POOL },
	{ "GlobalAveragePool", NPURT_CPU_POOL },
	{ "Relu", NPURT_CPU_RELU }, { "Sigmoid", NPURT_CPU_SIGMOID },
	{ "Tanh", NPURT_CPU_TANH }, { "Exp", NPURT_CPU_EXP },
	{ "Abs", NPURT_CPU_ABS }, { "Neg", NPURT_CPU_NEG },
	{ "Sqrt", NPURT_CPU_SQRT }, { "Clip", NPURT_CPU_CLIP },
	{ "LeakyRelu", NPURT_CPU_LEAKY_RELU }, { "Add", NPURT_CPU_ADD },
	{ "Sub", NPURT_CPU_SUB }, { "Mul", NPURT_CPU_MUL },
	{ "Div", NPURT_CPU_DIV }, { "Max", NPURT_CPU_MAX },
	{ "Min", NPURT_CPU_MIN }, { "Softmax", NPURT_CPU_SOFTMAX },
	{ "LogSoftmax", NPURT_CPU_LOG_SOFTMAX }, { "Gemm", NPURT_CPU_GEMM },
	{ "MatMul", NPURT_CPU_GEMM }, { "Conv", NPURT_CPU_CONV },
	{ "QuantizeLinear", NPURT_CPU_QUANTIZE },
};

static int cpu_opcode(const struct npuc_node *n)
{
	size_t i;

	if (n->domain[0])
		return 0;
	for (i = 0; i < sizeof(cpu_ops) / sizeof(cpu_ops[0]); i++)
		if (!strcmp(n->op, cpu_ops[i].op))
			return (int)cpu_ops[i].code;
	return 0;
}

static int lower_cpu(struct lctx *x, struct npuc_node *n)
{
	int code = cpu_opcode(n);

	if (!strcmp(n->op, "MatMul"))
		return cpu_matmul(x, n);
	if (code == NPURT_CPU_POOL)
		return cpu_pool(x, n, !strncmp(n->op, "Global", 6),
				strstr(n->op, "Average") ? 1 : 0);
	switch (code) {
	case NPURT_CPU_QUANTIZE:
		return cpu_quantize(x, n);
	case NPURT_CPU_GEMM:
		return cpu_gemm(x, n);
	case NPURT_CPU_CONV:
		return cpu_conv(x, n);
	case NPURT_CPU_SOFTMAX: case NPURT_CPU_LOG_SOFTMAX:
		return cpu_softmax(x, n, (uint32_t)code);
	case NPURT_CPU_ADD: case NPURT_CPU_SUB: case NPURT_CPU_MUL:
	case NPURT_CPU_DIV: case NPURT_CPU_MAX: case NPURT_CPU_MIN:
		return cpu_binary(x, n, (uint32_t)code);
	default:
		return cpu_unary(x, n, (uint32_t)code);
	}
}

/* ---- dispatch ---------------------------------------------------------------- */

static const struct {
	const char *domain, *op;
} supported[] = {
	{ "", "QLinearMatMul" }, { "", "MatMulInteger" },
	{ "", "QLinearConv" }, { "", "ConvInteger" },
	{ "", "QuantizeLinear" }, { "", "DequantizeLinear" },
	{ "", "Conv" }, { "", "Gemm" }, { "", "MatMul" },
	{ "", "Relu" }, { "", "Clip" }, { "", "MaxPool" },
	{ "", "GlobalMaxPool" }, { "", "Add" }, { "", "Mul" },
	{ "", "Flatten" }, { "", "Reshape" }, { "", "Transpose" },
	{ "", "Concat" }, { "", "Identity" },
	/* CPU fallback only */
	{ "", "Sigmoid" }, { "", "Tanh" }, { "", "Exp" }, { "", "Abs" },
	{ "", "Neg" }, { "", "Sqrt" }, { "", "LeakyRelu" }, { "", "Sub" },
	{ "", "Div" }, { "", "Max" }, { "", "Min" }, { "", "Softmax" },
	{ "", "LogSoftmax" }, { "", "HardSigmoid" }, { "", "HardSwish" },
	{ "", "AveragePool" }, { "", "GlobalAveragePool" },
	{ "com.microsoft", "QLinearAdd" }, { "com.microsoft", "QLinearMul" },
	{ "com.microsoft", "QLinearAveragePool" },
	{ "com.microsoft", "QLinearGlobalAveragePool" },
};

bool npuc_op_supported(const char *domain, const char *op)
{
	size_t i;

	if (!strcmp(domain, "ai.onnx"))
		domain = "";
	for (i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (!strcmp(domain, supported[i].domain) &&
		    !strcmp(op, supported[i].op))
			return true;
	return false;
}

static int lower_npu(struct lctx *x, struct npuc_node *n)
{
	const char *op = n->op;

	if (!strcmp(n->domain, "com.microsoft")) {
		if (!strcmp(op, "QLinearAdd"))
			return qlinear_addmul(x, n, false);
		if (!strcmp(op, "QLinearMul"))
			return qlinear_addmul(x, n, true);
		if (!strcmp(op, "QLinearAveragePool"))
			return qlinear_avgpool(x, n, false);
		if (!strcmp(op, "QLinearGlobalAveragePool"))
			return qlinear_avgpool(x, n, true);
	} else if (!n->domain[0]) {
		if (!strcmp(op, "QLinearMatMul"))
			return qlinear_matmul(x, n);
		if (!strcmp(op, "MatMulInteger"))
			return matmul_integer(x, n);
		if (!strcmp(op, "QLinearConv"))
			return qlinear_conv(x, n);
		if (!strcmp(op, "ConvInteger"))
			return conv_integer(x, n);
		if (!strcmp(op, "DequantizeLinear"))
			return dequantize(x, n);
		if (!strcmp(op, "QuantizeLinear"))
			return quantize(x, n);
		if (!strcmp(op, "Conv"))
			return qdq_fused(x, n, true);
		if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul"))
			return qdq_fused(x, n, false);
		if (!strcmp(op, "Relu"))
			return clamp_lut(x, n, true);
		if (!strcmp(op, "Clip"))
			return clamp_lut(x, n, false);
		if (!strcmp(op, "MaxPool"))
			return maxpool(x, n, false);
		if (!strcmp(op, "GlobalMaxPool"))
			return maxpool(x, n, true);
		if (!strcmp(op, "Add"))
			return int_addmul(x, n, false);
		if (!strcmp(op, "Mul"))
			return int_addmul(x, n, true);
		if (!strcmp(op, "Flatten"))
			return reshape_like(x, n, true);
		if (!strcmp(op, "Reshape") || !strcmp(op, "Identity"))
			return reshape_like(x, n, false);
		if (!strcmp(op, "Transpose"))
			return transpose(x, n);
		if (!strcmp(op, "Concat"))
			return concat(x, n);
	}
	return npuc_err(-EOPNOTSUPP, "node \"%s\": operator %s%s%s is not "
			"supported on the NPU nor on the CPU fallback", n->name,
			n->domain, n->domain[0] ? "::" : "", op);
}

/*
 * The partition point: the NPU lowering first; a node it refuses
 * (-EOPNOTSUPP) before emitting anything becomes CPU steps when the CPU
 * fallback has the operator. Operators without an NPU form go to the CPU
 * directly.
 */
/* Operators with a CPU form only. */
static bool cpu_only(const struct npuc_node *n)
{
	static const char *const npu[] = { "Relu", "Clip", "Add", "Mul",
		"Conv", "Gemm", "MatMul", "QuantizeLinear", "MaxPool",
		"GlobalMaxPool" };
	size_t i;

	if (!cpu_opcode(n))
		return false;
	for (i = 0; i < sizeof(npu) / sizeof(npu[0]); i++)
		if (!strcmp(n->op, npu[i]))
			return false;
	return true;
}

static int lower_node(struct lctx *x, struct npuc_node *n)
{
	int nc = x->nc, ns = x->ns, ncpu = x->ncpu, ret;
	uint64_t top = x->scratch_top;
	char why[256];

	if (!out_t(x, n, 0))
		return npuc_err(-EINVAL, "node \"%s\" (%s) has no output",
				n->name, n->op);
	if (cpu_only(n))
		ret = npuc_err(-EOPNOTSUPP, "not an NPU operator");
	else
		ret = lower_npu(x, n);
	if (ret != -EOPNOTSUPP || !cpu_opcode(n) || x->nc != nc ||
	    x->ns != ns || x->ncpu != ncpu || x->scratch_top != top)
		return ret;
	snprintf(why, sizeof(why), "%s", cpu_only(n) ? "" : npuc_last_error());
	n->where[0] = 0;
	n->on_npu = false;
	ret = lower_cpu(x, n);
	if (ret == -EOPNOTSUPP && why[0]) {
		char cpu[256];

		snprintf(cpu, sizeof(cpu), "%s", npuc_last_error());
		npuc_err(ret, "%.250s; on the NPU: %.250s", cpu, why);
	}
	return ret;
}

static int tensor_slot(struct lctx *x, struct npuc_tensor *t, int kind)
{
	int si = new_slot(x, kind, t->name);

	if (si < 0)
		return si;
	if (kind == NPURT_SLOT_INPUT)
		t->in_slot = si;
	else
		t->out_slot = si;
	return si;
}

static int finish_outputs(struct lctx *x)
{
	struct npuc_graph *g = x->g;
	int i, ret;

	x->cur = NULL;
	for (i = 0; i < g->noutputs; i++) {
		struct npuc_tensor *t = &g->t[g->outputs[i]];
		struct lslot *s = &x->s[t->out_slot];
		struct npuc_loc l;
		int k;

		if (t->dq_src >= 0 && (ret = get_loc(x, t, &l)))
			return ret;	/* a DequantizeLinear output: on the CPU */
		if (t->ndim < 0 || !npuc_elem_size(t->elem) ||
		    (t->loc.slot < 0 && !t->data))
			return npuc_err(-EOPNOTSUPP, "graph output \"%s\" is "
					"not computed on the NPU", t->name);
		ret = get_loc(x, t, &l);
		if (ret)
			return ret;
		if (l.slot != t->out_slot) {
			ret = copy_bytes(x, l, (struct npuc_loc){
					 t->out_slot, 0 }, tbytes(t));
			if (ret)
				return ret;
		}
		s->elem = t->elem;
		s->ndim = t->ndim ? t->ndim : 1;
		for (k = 0; k < s->ndim; k++)
			s->dims[k] = t->ndim ? (uint64_t)t->dims[k] : 1;
	}
	return 0;
}

static int build(struct lctx *x, const char *name, npurt_program **out)
{
	npurt_program_builder *b = NULL;
	int ret, i, k;

	ret = npurt_program_builder_create(name, &b);
	if (ret < 0)
		return npuc_err(ret, "program builder: %s", npurt_last_error());
	for (i = 0; i < x->ns; i++) {
		struct lslot *s = &x->s[i];
		struct npurt_tensor_info ti;

		memset(&ti, 0, sizeof(ti));
		ti.name = s->name;
		if (s->kind == NPURT_SLOT_SCRATCH) {
			ret = npurt_program_builder_add_scratch(b, s->name,
								x->scratch_top);
		} else if (s->kind == NPURT_SLOT_WEIGHTS) {
			ti.dtype = NPURT_DTYPE_UINT8;
			ti.ndim = 1;
			ti.dims[0] = s->size;
			ret = npurt_program_builder_add_weights(b, &ti, s->data,
								s->size);
		} else {
			ti.dtype = (uint32_t)npurt_dtype_of(s->elem);
			ti.ndim = (uint32_t)s->ndim;
			memcpy(ti.dims, s->dims, sizeof(ti.dims));
			if (!ti.dtype) {
				ret = npuc_err(-EOPNOTSUPP, "tensor \"%s\": type "
					       "%s has no runtime dtype",
					       s->name, npuc_elem_name(s->elem));
				break;
			}
			ret = s->kind == NPURT_SLOT_INPUT ?
			      npurt_program_builder_add_input(b, &ti) :
			      npurt_program_builder_add_output(b, &ti);
		}
		if (ret < 0) {
			ret = npuc_err(ret, "slot \"%s\": %s", s->name,
				       npurt_last_error());
			break;
		}
		ret = 0;
	}
	for (i = 0, k = 0; !ret && i <= x->nc; i++) {
		for (; !ret && k < x->ncpu && x->cpu[k].after == i; k++) {
			ret = npurt_program_builder_add_cpu_op(b, &x->cpu[k].op);
			if (ret < 0)
				ret = npuc_err(ret, "CPU step %d refused by the "
					       "builder: %s", k,
					       npurt_last_error());
			else
				ret = 0;
		}
		if (ret || i == x->nc)
			break;
		ret = npurt_program_builder_add_cmd(b, &x->c[i]);
		if (ret < 0)
			ret = npuc_err(ret, "command %d (opcode %u) refused by "
				       "the builder: %s", i, x->c[i].opcode,
				       npurt_last_error());
		else
			ret = 0;
	}
	if (!ret) {
		ret = npurt_program_builder_finish(b, out);
		if (ret < 0)
			ret = npuc_err(ret, "program: %s", npurt_last_error());
	}
	npurt_program_builder_destroy(b);
	return ret;
}

int npuc_compile(struct npuc_graph *g, const struct npuc_opts *opts,
		 npurt_program **out)
{
	struct lctx x;
	int ret = 0, i, k;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.g = g;
	x.scratch = -1;
	if (opts && opts->min_opset > g->opset)
		return npuc_err(-EPROTONOSUPPORT, "model opset %lld is below "
				"the requested minimum %d", (long long)g->opset,
				opts->min_opset);
	for (i = 0; i < g->nt; i++) {
		g->t[i].loc.slot = g->t[i].nhwc.slot = -1;
		g->t[i].in_slot = g->t[i].out_slot = -1;
		g->t[i].phys_nhwc = false;
		g->t[i].dq_src = -1;
	}
	for (i = 0; i < g->nn; i++) {
		g->n[i].done = false;
		g->n[i].on_npu = g->n[i].on_cpu = false;
		g->n[i].where[0] = 0;
	}
	for (i = 0; !ret && i < g->ninputs; i++) {
		struct npuc_tensor *t = &g->t[g->inputs[i]];
		int si = tensor_slot(&x, t, NPURT_SLOT_INPUT);

		if (si < 0) {
			ret = si;
			break;
		}
		x.s[si].elem = t->elem;
		x.s[si].ndim = t->ndim ? t->ndim : 1;
		for (k = 0; k < x.s[si].ndim; k++)
			x.s[si].dims[k] = t->ndim ? (uint64_t)t->dims[k] : 1;
		if (npuc_tensor_elements(t) == 0)
			ret = npuc_err(-EOPNOTSUPP, "input \"%s\" is empty",
				       t->name);
		t->loc = (struct npuc_loc){ si, 0 };
	}
	for (i = 0; !ret && i < g->noutputs; i++) {
		struct npuc_tensor *t = &g->t[g->outputs[i]];

		if (t->is_input || (t->data && t->producer < 0)) {
			/* a graph input or a constant that is also an output */
		}
		ret = tensor_slot(&x, t, NPURT_SLOT_OUTPUT);
		ret = ret < 0 ? ret : 0;
	}
	for (i = 0; !ret && i < g->nn; i++) {
		struct npuc_node *n = &g->n[g->order[i]];

		if (progress_fn)
			progress_fn(progress_arg, i, g->nn);
		if (n->done)
			continue;
		x.cur = n;
		ret = lower_node(&x, n);
		n->done = true;
	}
	if (!ret)
		ret = finish_outputs(&x);
	if (progress_fn)
		progress_fn(progress_arg, g->nn, g->nn);
	if (!ret && !x.nc && !x.ncpu)
		ret = npuc_err(-EINVAL, "the graph computes nothing");
	if (!ret)
		ret = build(&x, opts && opts->name ? opts->name : g->name, out);
	if (opts && opts->explain) {
		for (i = 0; i < g->nn; i++) {
			struct npuc_node *n = &g->n[g->order[i]];

			fprintf(opts->explain, "  %-28.28s %-22.22s %s%s\n",
				n->name, n->op,
				n->on_cpu ? (n->on_npu ? "npu+cpu: " : "cpu: ") :
				n->where[0] ? (strncmp(n->where, "fused", 5) &&
					       strncmp(n->where, "no-op", 5) &&
					       strncmp(n->where, "view", 4) ?
					       "npu: " : "") : "",
				n->where[0] ? n->where :
				(ret ? "not lowered" : "npu"));
		}
	}
	for (i = 0; i < x.ns; i++)
		free(x.s[i].data);
	free(x.s);
	free(x.c);
	free(x.cpu);
	return ret;
}
