// SPDX-License-Identifier: MIT
/*
 * lower.c - partition and lower a prepared graph into commands and CPU
 * steps, then plan memory and build the program.
 *
 * Each live node is offered to its registry row's NPU lowering first;
 * one that answers -EOPNOTSUPP is rolled back (every command, buffer,
 * weight and tensor form it made is undone) and given to the row's CPU
 * lowering, which computes in float: quantized operands are dequantized
 * and the result quantized again around the step. The stream keeps the
 * graph's topological order; consecutive commands become one NPU job at
 * run time.
 *
 * Locations made during lowering name placeholders (SLOT_WEIGHTS, one
 * SLOT_VBUF per scratch buffer); build() gives the program its slots
 * (inputs, outputs, packed weights, scratch) and patches every operand
 * once memplan() has placed the scratch buffers.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "lower.h"

static _Thread_local npuc_progress_fn progress_fn;
static _Thread_local void *progress_arg;

void npuc_set_progress(npuc_progress_fn fn, void *arg)
{
	progress_fn = fn;
	progress_arg = arg;
}

/* ---- small helpers ---------------------------------------------------------- */

int npurt_dtype_of(int32_t elem)
{
	switch (elem) {
	case NPUC_FLOAT: return NPURT_DTYPE_FLOAT32;
	case NPUC_FLOAT16: return NPURT_DTYPE_FLOAT16;
	case NPUC_INT8: return NPURT_DTYPE_INT8;
	case NPUC_UINT8: case NPUC_BOOL: return NPURT_DTYPE_UINT8;
	case NPUC_INT16: return NPURT_DTYPE_INT16;
	case NPUC_INT32: return NPURT_DTYPE_INT32;
	case NPUC_INT64: return NPURT_DTYPE_INT64;
	default: return 0;
	}
}

int dt_of(int32_t elem)
{
	return elem == NPUC_INT8 ? RM_NPU_DT_INT8 :
	       elem == NPUC_UINT8 ? RM_NPU_DT_UINT8 : RM_NPU_DT_INT32;
}

struct npuc_tensor *tensor_of(struct lctx *x, int ti)
{
	return &x->g->t[ti];
}

struct tstate *ts_of(struct lctx *x, const struct npuc_tensor *t)
{
	return &x->ts[t - x->g->t];
}

void note(struct lctx *x, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!x->cur)
		return;
	len = strlen(x->cur->where);
	if (len + 4 >= sizeof(x->cur->where))
		return;
	if (len) {
		memcpy(x->cur->where + len, " + ", 4);
		len += 3;
	}
	va_start(ap, fmt);
	vsnprintf(x->cur->where + len, sizeof(x->cur->where) - len, fmt, ap);
	va_end(ap);
}

bool nchw(const struct npuc_tensor *t, uint64_t d[4])
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

bool layout_trivial(const struct npuc_tensor *t)
{
	uint64_t d[4];

	return !nchw(t, d) || d[1] == 1 || d[2] * d[3] == 1;
}

void phys_strides(const struct npuc_tensor *t, enum layout lay, int64_t *s)
{
	int64_t acc = 1;
	int k;

	if (lay == LAY_NHWC && (t->ndim == 4 || t->ndim == 3)) {
		int64_t c = t->dims[1], sp = 1;

		for (k = t->ndim - 1; k >= 2; k--) {
			s[k] = sp * c;
			sp *= t->dims[k];
		}
		s[1] = 1;
		s[0] = sp * c;
		return;
	}
	for (k = t->ndim - 1; k >= 0; k--) {
		s[k] = acc;
		acc *= t->dims[k];
	}
}

/* ---- rollback journal ---------------------------------------------------------- */

/* Tensor forms a lowering changes are journaled so a refusal can undo
 * them (lower_node()). */
static void ts_save(struct lctx *x, const struct npuc_tensor *t)
{
	if (!x->journaling)
		return;
	if (x->nundo == x->capundo) {
		int cap = x->capundo ? 2 * x->capundo : 64;
		struct undo *u = realloc(x->undo, (size_t)cap * sizeof(*u));

		if (!u) {
			x->undo_lost = true;
			return;
		}
		x->undo = u;
		x->capundo = cap;
	}
	x->undo[x->nundo].ti = (int)(t - x->g->t);
	x->undo[x->nundo++].old = *ts_of(x, t);
}

/* ---- scratch buffers and weights ---------------------------------------------- */

int vbuf_new(struct lctx *x, uint64_t size, struct loc *l)
{
	if (x->nvb == x->capvb) {
		int cap = x->capvb ? 2 * x->capvb : 64;
		struct vbuf *v = realloc(x->vb, (size_t)cap * sizeof(*v));

		if (!v)
			return npuc_err(-ENOMEM, "out of memory");
		x->vb = v;
		x->capvb = cap;
	}
	if (size > (1ull << 40))
		return npuc_err(-EFBIG, "an intermediate tensor above 1 TiB");
	memset(&x->vb[x->nvb], 0, sizeof(x->vb[0]));
	x->vb[x->nvb].size = size ? size : 1;
	x->vb[x->nvb].first = -1;
	l->slot = SLOT_VBUF + (uint32_t)x->nvb++;
	l->off = 0;
	return 0;
}

struct wblob {
	UT_hash_handle hh;
	uint64_t off, size;
	const uint8_t *key;		/* into x->w: valid until realloc */
	uint8_t *copy;
};

/* Weights are stored once: identical blobs share one range. */
int weights(struct lctx *x, const void *data, uint64_t size, struct loc *l)
{
	struct wblob *b = NULL, *head = x->wdedup;
	uint64_t off;

	HASH_FIND(hh, head, data, size, b);
	if (b) {
		l->slot = SLOT_WEIGHTS;
		l->off = b->off;
		return 0;
	}
	off = (x->wsize + 63) & ~63ull;
	if (off + size > x->wcap) {
		uint64_t cap = x->wcap ? x->wcap : 1 << 16;
		uint8_t *w;

		while (cap < off + size)
			cap *= 2;
		w = realloc(x->w, cap);
		if (!w)
			return npuc_err(-ENOMEM, "out of memory");
		x->w = w;
		x->wcap = cap;
	}
	memset(x->w + x->wsize, 0, off - x->wsize);
	memcpy(x->w + off, data, size);
	x->wsize = off + size;
	b = calloc(1, sizeof(*b));
	if (b)
		b->copy = malloc(size ? size : 1);
	if (!b || !b->copy) {
		free(b);
		return npuc_err(-ENOMEM, "out of memory");
	}
	memcpy(b->copy, data, size);
	b->off = off;
	b->size = size;
	b->key = b->copy;
	HASH_ADD_KEYPTR(hh, head, b->key, size, b);
	x->wdedup = head;
	l->slot = SLOT_WEIGHTS;
	l->off = off;
	return 0;
}

static void weights_free(struct lctx *x, uint64_t from)
{
	struct wblob *b, *tmp, *head = x->wdedup;

	HASH_ITER(hh, head, b, tmp) {
		if (b->off < from)
			continue;
		HASH_DEL(head, b);
		free(b->copy);
		free(b);
	}
	x->wdedup = head;
}

/* ---- the stream ------------------------------------------------------------------ */

static struct lstep *new_step(struct lctx *x)
{
	if (x->nst == x->capst) {
		int cap = x->capst ? 2 * x->capst : 128;
		struct lstep *s = realloc(x->st, (size_t)cap * sizeof(*s));

		if (!s)
			return NULL;
		x->st = s;
		x->capst = cap;
	}
	memset(&x->st[x->nst], 0, sizeof(x->st[0]));
	return &x->st[x->nst++];
}

int emit(struct lctx *x, const struct rm_npu_cmd *c)
{
	static const char *const names[] = { "NOP", "FILL", "COPY", "GEMM",
		"CONV2D", "POOL2D", "ELTWISE", "LUT" };
	struct lstep *s = new_step(x);

	if (!s)
		return npuc_err(-ENOMEM, "out of memory");
	s->c = *c;
	x->ncmds++;
	if (x->cur) {
		x->cur->on_npu = true;
		/* one name per run of equal commands */
		if (c->opcode < 8) {
			const char *w = x->cur->where, *last = strrchr(w, ' ');

			if (!strcmp(last ? last + 1 : w, names[c->opcode]))
				return 0;
			note(x, "%s", names[c->opcode]);
		}
	}
	return 0;
}

int emit_cpu(struct lctx *x, const struct npurt_cpu_op *op)
{
	struct lstep *s = new_step(x);

	if (!s)
		return npuc_err(-ENOMEM, "out of memory");
	s->cpu = true;
	s->op = *op;
	x->ncpu++;
	if (x->cur)
		x->cur->on_cpu = true;
	note(x, "CPU %s", npurt_cpu_op_name(op->opcode));
	return 0;
}

static int copy4(struct lctx *x, struct loc src, struct loc dst, uint32_t esz,
		 const uint64_t *dims, const int64_t *ss, const int64_t *ds,
		 int nd)
{
	struct rm_npu_cmd c;
	int i, k;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = src.slot;
	c.copy.src.offset = src.off;
	c.copy.dst.bo = dst.slot;
	c.copy.dst.offset = dst.off;
	c.copy.elem_size = esz;
	for (i = 0; i < 4; i++) {
		k = i - (4 - nd);
		c.copy.dims[i] = k >= 0 ? (uint32_t)dims[k] : 1;
		c.copy.src_stride[i] = k >= 0 ? (uint64_t)ss[k] : 0;
		c.copy.dst_stride[i] = k >= 0 ? (uint64_t)ds[k] : 0;
	}
	return emit(x, &c);
}

/*
 * A loop nest of element copies as few COPY commands as the command's
 * limits allow: unit dimensions dropped, nested contiguous dimensions
 * merged, a contiguous innermost run of up to 256 bytes copied as one
 * element; then dimensions above 65536, negative strides and nests deeper
 * than 4 are looped over here.
 */
int copy_nd(struct lctx *x, struct loc src, struct loc dst, uint32_t esz,
	    int nd, const uint64_t *dims_in, const int64_t *ss_in,
	    const int64_t *ds_in)
{
	uint64_t dims[MV_MAX + 1];
	int64_t ss[MV_MAX + 1], ds[MV_MAX + 1];
	int n = 0, i, ret;

	for (i = 0; i < nd; i++) {
		if (!dims_in[i])
			return 0;
		if (dims_in[i] == 1)
			continue;
		if (n && ss[n - 1] == (int64_t)dims_in[i] * ss_in[i] &&
		    ds[n - 1] == (int64_t)dims_in[i] * ds_in[i]) {
			dims[n - 1] *= dims_in[i];
			ss[n - 1] = ss_in[i];
			ds[n - 1] = ds_in[i];
			continue;
		}
		dims[n] = dims_in[i];
		ss[n] = ss_in[i];
		ds[n++] = ds_in[i];
	}
	if (!n)
		return copy4(x, src, dst, esz, NULL, NULL, NULL, 0);
	if (ss[n - 1] == esz && ds[n - 1] == esz && dims[n - 1] * esz <= 256) {
		esz *= (uint32_t)dims[n - 1];
		n--;
	} else if (ss[n - 1] == esz && ds[n - 1] == esz) {
		/* a long contiguous run: elements of the largest divisor of
		 * its bytes up to 256 */
		uint64_t bytes = dims[n - 1] * esz, e;

		for (e = 256; e > esz; e--)
			if (!(bytes % e) && !(e % esz))
				break;
		dims[n - 1] = bytes / e;
		ss[n - 1] = ds[n - 1] = (int64_t)e;
		esz = (uint32_t)e;
	}
	for (i = 0; i < n; i++)
		if (dims[i] > RM_NPU_MAX_DIM || ss[i] < 0 || ds[i] < 0)
			break;
	if (i == n && n <= 4)
		return copy4(x, src, dst, esz, dims, ss, ds, n);
	if (i == n)
		i = 0;		/* too deep: loop over the outermost */
	{
		/* loop over dimension i in pieces the command takes */
		uint64_t k, step = dims[i] > RM_NPU_MAX_DIM && ss[i] >= 0 &&
				   ds[i] >= 0 ? RM_NPU_MAX_DIM : 1;

		for (k = 0; k < dims[i]; k += step) {
			uint64_t dd[MV_MAX + 1];
			struct loc s = src, d = dst;

			memcpy(dd, dims, sizeof(dd));
			dd[i] = dims[i] - k < step ? dims[i] - k : step;
			s.off = (uint64_t)((int64_t)src.off + (int64_t)k * ss[i]);
			d.off = (uint64_t)((int64_t)dst.off + (int64_t)k * ds[i]);
			ret = copy_nd(x, s, d, esz, n, dd, ss, ds);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int copy_bytes(struct lctx *x, struct loc src, struct loc dst, uint64_t n)
{
	uint64_t d = n;
	int64_t s = 1;

	return copy_nd(x, src, dst, 1, 1, &d, &s, &s);
}

int fill_bytes(struct lctx *x, struct loc dst, uint64_t count, uint32_t esz,
	       uint64_t value)
{
	struct rm_npu_cmd c;

	if (esz == 8 && !value) {	/* zeros: as 4-byte elements */
		esz = 4;
		count *= 2;
	}
	if (esz != 1 && esz != 2 && esz != 4)
		return npuc_err(-EOPNOTSUPP, "fill of %u-byte elements with a "
				"non-zero value", esz);
	if (!count)
		return 0;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_FILL;
	c.fill.dst.bo = dst.slot;
	c.fill.dst.offset = dst.off;
	c.fill.count = count;
	c.fill.elem_size = esz;
	c.fill.value = (uint32_t)(esz == 4 ? value & 0xffffffffu :
				  value & ((1u << (8 * esz)) - 1));
	return emit(x, &c);
}

int emit_lut(struct lctx *x, struct loc in, struct loc out, uint64_t count,
	     int32_t in_elem, const uint8_t table[256])
{
	struct rm_npu_cmd c;
	struct loc lt;
	int ret = weights(x, table, 256, &lt);

	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_LUT;
	c.lut.in.bo = in.slot;
	c.lut.in.offset = in.off;
	c.lut.table.bo = lt.slot;
	c.lut.table.offset = lt.off;
	c.lut.out.bo = out.slot;
	c.lut.out.offset = out.off;
	c.lut.count = count;
	c.lut.dtype = (uint32_t)dt_of(in_elem);
	return emit(x, &c);
}

/* ---- tensor forms -------------------------------------------------------------- */

static int permute(struct lctx *x, const struct npuc_tensor *t, struct loc src,
		   enum layout sl, struct loc dst, enum layout dl)
{
	int64_t ss[NPUC_MAX_DIMS], ds[NPUC_MAX_DIMS];
	uint64_t dims[NPUC_MAX_DIMS], e = npuc_elem_size(t->elem);
	int k;

	phys_strides(t, sl, ss);
	phys_strides(t, dl, ds);
	for (k = 0; k < t->ndim; k++) {
		dims[k] = (uint64_t)t->dims[k];
		ss[k] *= (int64_t)e;
		ds[k] *= (int64_t)e;
	}
	return copy_nd(x, src, dst, (uint32_t)e, t->ndim, dims, ss, ds);
}

int get_rm(struct lctx *x, struct npuc_tensor *t, struct loc *l)
{
	struct tstate *s = ts_of(x, t);
	int ret;

	if (s->has_rm) {
		*l = s->rm;
		return 0;
	}
	ts_save(x, t);
	if (t->data) {
		ret = weights(x, t->data, t->nbytes, &s->rm);
		if (ret)
			return ret;
		s->has_rm = true;
		*l = s->rm;
		return 0;
	}
	if (!s->has_nhwc)
		return npuc_err(-EINVAL, "tensor \"%s\" has no value (internal "
				"error)", t->name);
	if (layout_trivial(t)) {
		s->rm = s->nhwc;
	} else {
		if (t->is_output && s->out_slot >= 0)
			s->rm = (struct loc){ (uint32_t)s->out_slot, 0 };
		else if ((ret = vbuf_new(x, tbytes(t), &s->rm)))
			return ret;
		ret = permute(x, t, s->nhwc, LAY_NHWC, s->rm, LAY_RM);
		if (ret)
			return ret;
	}
	s->has_rm = true;
	*l = s->rm;
	return 0;
}

int get_nhwc(struct lctx *x, struct npuc_tensor *t, struct loc *l)
{
	struct tstate *s = ts_of(x, t);
	struct loc rm;
	int ret;

	if (s->has_nhwc) {
		*l = s->nhwc;
		return 0;
	}
	if ((ret = get_rm(x, t, &rm)))
		return ret;
	ts_save(x, t);
	if (layout_trivial(t)) {
		s->nhwc = rm;
	} else if (t->data) {
		/* a constant: permuted at compile time */
		int64_t ss[NPUC_MAX_DIMS], ds[NPUC_MAX_DIMS];
		uint64_t e = npuc_elem_size(t->elem), cnt, i;
		uint8_t *d = malloc(t->nbytes ? t->nbytes : 1);
		int k;

		if (!d)
			return npuc_err(-ENOMEM, "out of memory");
		phys_strides(t, LAY_RM, ss);
		phys_strides(t, LAY_NHWC, ds);
		cnt = npuc_tensor_elements(t);
		for (i = 0; i < cnt; i++) {
			uint64_t r = i, o = 0;

			for (k = t->ndim - 1; k >= 0; k--) {
				o += (r % (uint64_t)t->dims[k]) * (uint64_t)ds[k];
				r /= (uint64_t)t->dims[k];
			}
			memcpy(d + o * e, (uint8_t *)t->data + i * e, e);
		}
		ret = weights(x, d, t->nbytes, &s->nhwc);
		free(d);
		if (ret)
			return ret;
	} else {
		if ((ret = vbuf_new(x, tbytes(t), &s->nhwc)) ||
		    (ret = permute(x, t, rm, LAY_RM, s->nhwc, LAY_NHWC)))
			return ret;
	}
	s->has_nhwc = true;
	*l = s->nhwc;
	return 0;
}

int get_any(struct lctx *x, struct npuc_tensor *t, bool nhwc_ok,
	    struct loc *l, enum layout *lay)
{
	struct tstate *s = ts_of(x, t);

	if (nhwc_ok && s->has_nhwc && !s->has_rm) {
		*lay = LAY_NHWC;
		*l = s->nhwc;
		return 0;
	}
	*lay = LAY_RM;
	return get_rm(x, t, l);
}

int alloc_out(struct lctx *x, struct npuc_tensor *t, enum layout lay,
	      struct loc *l)
{
	struct tstate *s = ts_of(x, t);
	int ret;

	ts_save(x, t);
	if (lay == LAY_NHWC && layout_trivial(t))
		lay = LAY_RM;
	if (lay == LAY_RM && t->is_output && s->out_slot >= 0) {
		*l = (struct loc){ (uint32_t)s->out_slot, 0 };
	} else {
		ret = vbuf_new(x, tbytes(t), l);
		if (ret)
			return ret;
	}
	if (lay == LAY_RM) {
		s->rm = *l;
		s->has_rm = true;
		if (layout_trivial(t)) {
			s->nhwc = *l;
			s->has_nhwc = true;
		}
	} else {
		s->nhwc = *l;
		s->has_nhwc = true;
	}
	return 0;
}

int alias_out(struct lctx *x, struct npuc_tensor *o, struct npuc_tensor *in)
{
	struct tstate *so = ts_of(x, o), *si = ts_of(x, in);
	struct loc l;
	int ret;

	if (!si->has_rm && !si->has_nhwc && (ret = get_rm(x, in, &l)))
		return ret;
	ts_save(x, o);
	so->rm = si->rm;
	so->has_rm = si->has_rm;
	so->nhwc = si->nhwc;
	so->has_nhwc = si->has_nhwc;
	return 0;
}

/* ---- CPU steps' operands ----------------------------------------------------- */

struct npurt_cpu_op cpu_op_init(uint32_t opcode)
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

struct npurt_cpu_ref cpu_ref(struct loc l, int32_t elem, uint64_t count)
{
	return (struct npurt_cpu_ref){ l.slot, (uint32_t)npurt_dtype_of(elem),
		l.off, count };
}

/* Per tensor (p[0] = 0, f[0], p[1]) or per axis (p[0] = C, p[2] = inner,
 * in[1] scales, in[2] zero points). */
int cpu_qparams(struct lctx *x, const struct npuc_quant *q,
		const struct npuc_tensor *t, struct npurt_cpu_op *op)
{
	uint64_t inner = 1, i;
	struct loc l;
	float *s;
	int k, ret;

	if (quant_per_tensor(q)) {
		op->f[0] = (float)q->scale[0];
		op->p[1] = q->zp[0];
		return 0;
	}
	for (k = q->axis + 1; k < t->ndim; k++)
		inner *= (uint64_t)t->dims[k];
	op->p[0] = (int64_t)q->n;
	op->p[2] = (int64_t)inner;
	s = malloc(q->n * sizeof(float));
	if (!s)
		return npuc_err(-ENOMEM, "out of memory");
	for (i = 0; i < q->n; i++)
		s[i] = (float)q->scale[i];
	ret = weights(x, s, q->n * 4, &l);
	free(s);
	if (ret)
		return ret;
	op->in[1] = cpu_ref(l, NPUC_FLOAT, q->n);
	if (q->elem == NPUC_INT32)
		return 0;
	{
		uint8_t *z = malloc(q->n);

		if (!z)
			return npuc_err(-ENOMEM, "out of memory");
		for (i = 0; i < q->n; i++)
			z[i] = (uint8_t)q->zp[i];
		ret = weights(x, z, q->n, &l);
		free(z);
		if (!ret)
			op->in[2] = cpu_ref(l, q->elem, q->n);
	}
	return ret;
}

/* A quantized constant as float32, on the host: the real values. */
static int const_float(struct lctx *x, const struct npuc_tensor *t,
		       struct loc *l)
{
	uint64_t cnt = npuc_tensor_elements(t), i, inner = 1;
	float *f = malloc(cnt ? cnt * 4 : 4);
	int k, ret;

	if (!f)
		return npuc_err(-ENOMEM, "out of memory");
	if (t->q.elem && t->q.axis >= 0)
		for (k = t->q.axis + 1; k < t->ndim; k++)
			inner *= (uint64_t)t->dims[k];
	for (i = 0; i < cnt; i++) {
		double v = cval(t, i);

		if (t->q.elem) {
			uint64_t c = t->q.axis >= 0 ? (i / inner) % t->q.n : 0;

			v = (float)(v - t->q.zp[c]) * (float)t->q.scale[c];
		}
		f[i] = (float)v;
	}
	ret = weights(x, f, cnt * 4, l);
	free(f);
	return ret;
}

int cpu_in(struct lctx *x, struct npuc_node *n, int i, struct npuc_tensor **t,
	   struct npurt_cpu_ref *r)
{
	struct tstate *s;
	struct loc l;
	int ret = need_in(x->g, n, i, t);

	if (ret || (ret = need_shape(n, *t)))
		return ret;
	s = ts_of(x, *t);
	if ((*t)->elem == NPUC_FLOAT) {
		ret = get_rm(x, *t, &l);
	} else if ((*t)->data && ((*t)->q.elem || is_float((*t)->elem) ||
				  is_int((*t)->elem))) {
		if (!s->has_f32) {
			ts_save(x, *t);
			ret = const_float(x, *t, &s->f32);
			s->has_f32 = !ret;
		}
		l = s->f32;
	} else if ((*t)->q.elem) {
		if (!s->has_f32) {
			struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_DEQUANTIZE);
			struct npuc_node *saved = x->cur;
			struct loc src;

			if ((ret = get_rm(x, *t, &src)))
				return ret;
			ts_save(x, *t);
			op.in[0] = cpu_ref(src, (*t)->elem,
					   npuc_tensor_elements(*t));
			ret = cpu_qparams(x, &(*t)->q, *t, &op);
			if (!ret)
				ret = vbuf_new(x, npuc_tensor_elements(*t) * 4,
					       &s->f32);
			if (ret)
				return ret;
			op.out = cpu_ref(s->f32, NPUC_FLOAT,
					 npuc_tensor_elements(*t));
			x->cur = saved;
			ret = emit_cpu(x, &op);
			s->has_f32 = !ret;
		}
		l = s->f32;
	} else {
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): input \"%s\" is "
				"%s without quantization; the CPU computes "
				"float32", n->name, n->op, (*t)->name,
				npuc_elem_name((*t)->elem));
	}
	if (!ret)
		*r = cpu_ref(l, NPUC_FLOAT, npuc_tensor_elements(*t));
	return ret;
}

int cpu_out(struct lctx *x, struct npuc_node *n, int j,
	    struct npurt_cpu_ref *r)
{
	struct npuc_tensor *o = out_t(x->g, n, j);
	struct loc l;
	int ret;

	if (!o)
		return npuc_err(-EINVAL, "node \"%s\": output %d is missing",
				n->name, j);
	if (o->elem == NPUC_FLOAT) {
		ret = alloc_out(x, o, LAY_RM, &l);
	} else if (o->q.elem && x->npq < 8) {
		ret = vbuf_new(x, npuc_tensor_elements(o) * 4, &l);
		if (!ret) {
			x->pq[x->npq].f = l;
			x->pq[x->npq].zp_first = false;
			x->pq[x->npq++].tensor = (int)(o - x->g->t);
		}
	} else {
		return npuc_err(-EOPNOTSUPP, "node \"%s\" (%s): output \"%s\" is "
				"%s without quantization", n->name, n->op,
				o->name, npuc_elem_name(o->elem));
	}
	if (!ret)
		*r = cpu_ref(l, NPUC_FLOAT, npuc_tensor_elements(o));
	return ret;
}

int cpu_finish(struct lctx *x)
{
	int i, ret = 0;

	for (i = 0; !ret && i < x->npq; i++) {
		struct npuc_tensor *o = &x->g->t[x->pq[i].tensor];
		struct npurt_cpu_op op = cpu_op_init(NPURT_CPU_QUANTIZE);
		struct loc l;

		op.in[0] = cpu_ref(x->pq[i].f, NPUC_FLOAT,
				   npuc_tensor_elements(o));
		ret = cpu_qparams(x, &o->q, o, &op);
		if (!ret && x->pq[i].zp_first && !op.p[0])
			op.p[3] = 1;
		if (!ret)
			ret = alloc_out(x, o, LAY_RM, &l);
		if (!ret) {
			op.out = cpu_ref(l, o->elem, npuc_tensor_elements(o));
			ret = emit_cpu(x, &op);
		}
	}
	x->npq = 0;
	return ret;
}

/* ---- dispatch ------------------------------------------------------------------ */

static bool all_const(struct npuc_graph *g, const struct npuc_node *n)
{
	int j;

	for (j = 0; j < n->nout; j++)
		if (out_t(g, n, j) && !out_t(g, n, j)->data)
			return false;
	return true;
}

static void rollback(struct lctx *x, int nst, int nvb, uint64_t wsize,
		     int ncmds, int ncpu)
{
	while (x->nundo > 0) {
		x->nundo--;
		x->ts[x->undo[x->nundo].ti] = x->undo[x->nundo].old;
	}
	x->nst = nst;
	x->nvb = nvb;
	weights_free(x, wsize);
	x->wsize = wsize;
	x->ncmds = ncmds;
	x->ncpu = ncpu;
	x->npq = 0;
}

static int lower_node(struct lctx *x, struct npuc_node *n)
{
	int nst = x->nst, nvb = x->nvb, ncmds = x->ncmds, ncpu = x->ncpu;
	uint64_t wsize = x->wsize;
	char why[300] = "";
	int ret = -EOPNOTSUPP;

	if (all_const(x->g, n)) {
		note(x, "constant");
		return 0;
	}
	if (n->merged) {		/* lower_lut() wrote its output */
		note(x, "(in the LUT before it)");
		n->on_npu = true;
		return 0;
	}
	x->nundo = 0;
	x->journaling = true;
	if (n->def->npu && !(x->opts && x->opts->cpu_only)) {
		ret = n->def->npu(x, n);
		if (ret != -EOPNOTSUPP || x->undo_lost) {
			x->journaling = false;
			return ret;
		}
		snprintf(why, sizeof(why), "%s", npuc_last_error());
		rollback(x, nst, nvb, wsize, ncmds, ncpu);
		n->where[0] = 0;
		n->on_npu = n->on_cpu = false;
	}
	if (n->def->cpu) {
		ret = n->def->cpu(x, n);
		if (!ret)
			ret = cpu_finish(x);
		x->npq = 0;
	} else if (!why[0]) {
		ret = npuc_err(-EOPNOTSUPP, "node \"%s\": operator %s%s%s has "
			       "no lowering", n->name, n->domain,
			       n->domain[0] ? "::" : "", n->op);
	}
	x->journaling = false;
	if (ret == -EOPNOTSUPP && why[0]) {
		char cpu[300];

		snprintf(cpu, sizeof(cpu), "%s", n->def->cpu ?
			 npuc_last_error() : "no CPU form");
		npuc_err(ret, "%.290s; on the NPU: %.290s", cpu, why);
	}
	return ret;
}

/* Graph outputs: in their slots, row-major. */
static int finish_outputs(struct lctx *x)
{
	struct npuc_graph *g = x->g;
	int i, ret;

	x->cur = NULL;
	for (i = 0; i < g->noutputs; i++) {
		struct npuc_tensor *t = &g->t[g->outputs[i]];
		struct tstate *s = ts_of(x, t);
		struct loc l;

		if (t->ndim < 0 || !npuc_elem_size(t->elem))
			return npuc_err(-EOPNOTSUPP, "graph output \"%s\" has "
					"no known type and shape", t->name);
		ret = get_rm(x, t, &l);
		if (ret)
			return ret;
		if (l.slot != (uint32_t)s->out_slot || l.off) {
			ret = copy_bytes(x, l, (struct loc){
					 (uint32_t)s->out_slot, 0 }, tbytes(t));
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- build ----------------------------------------------------------------------- */

static int cmd_refs(struct rm_npu_cmd *c, struct rm_npu_ref **r)
{
	switch (c->opcode) {
	case RM_NPU_OP_FILL:
		r[0] = &c->fill.dst;
		return 1;
	case RM_NPU_OP_COPY:
		r[0] = &c->copy.src;
		r[1] = &c->copy.dst;
		return 2;
	case RM_NPU_OP_GEMM:
		r[0] = &c->gemm.a; r[1] = &c->gemm.b; r[2] = &c->gemm.out;
		r[3] = &c->gemm.bias; r[4] = &c->gemm.quant;
		return (c->flags & RM_NPU_MM_PER_CHANNEL) ? 5 :
		       (c->flags & RM_NPU_MM_BIAS) ? 4 : 3;
	case RM_NPU_OP_CONV2D:
		r[0] = &c->conv2d.in; r[1] = &c->conv2d.weights;
		r[2] = &c->conv2d.out; r[3] = &c->conv2d.bias;
		r[4] = &c->conv2d.quant;
		return (c->flags & RM_NPU_MM_PER_CHANNEL) ? 5 :
		       (c->flags & RM_NPU_MM_BIAS) ? 4 : 3;
	case RM_NPU_OP_POOL2D:
		r[0] = &c->pool2d.in;
		r[1] = &c->pool2d.out;
		return 2;
	case RM_NPU_OP_ELTWISE:
		r[0] = &c->eltwise.a.ref;
		r[1] = &c->eltwise.b.ref;
		r[2] = &c->eltwise.out;
		return 3;
	case RM_NPU_OP_LUT:
		r[0] = &c->lut.in;
		r[1] = &c->lut.table;
		r[2] = &c->lut.out;
		return 3;
	default:
		return 0;
	}
}

static void patch(struct lctx *x, uint32_t *slot, uint64_t *off, int wslot,
		  int sslot)
{
	if (*slot == SLOT_WEIGHTS) {
		*slot = (uint32_t)wslot;
	} else if (*slot >= SLOT_VBUF && *slot != NPURT_CPU_NONE) {
		*off += x->vb[*slot - SLOT_VBUF].off;
		*slot = (uint32_t)sslot;
	}
}

/* The gemm/conv refs that are absent stay all-zero. */
static void patch_cmd(struct lctx *x, struct rm_npu_cmd *c, int wslot,
		      int sslot)
{
	struct rm_npu_ref *r[5];
	int k, cnt = cmd_refs(c, r);

	if (c->opcode == RM_NPU_OP_GEMM || c->opcode == RM_NPU_OP_CONV2D) {
		for (k = 3; k < 5; k++)
			if (!(c->flags & (k == 3 ? RM_NPU_MM_BIAS :
					  RM_NPU_MM_PER_CHANNEL)))
				r[k] = NULL;
		cnt = 5;
	}
	for (k = 0; k < cnt; k++) {
		uint64_t off;

		if (!r[k])
			continue;
		off = r[k]->offset;
		patch(x, &r[k]->bo, &off, wslot, sslot);
		r[k]->offset = off;
	}
}

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

static int add_io_slot(npurt_program_builder *b, const struct npuc_graph *g,
		       const struct npuc_tensor *t, bool input)
{
	const struct npuc_quant *q = NULL;
	struct npurt_tensor_info ti;
	char name[NPURT_NAME_MAX];
	int k;

	if (t->producer >= 0 && IS_OP(&g->n[t->producer], DEQUANTIZE) &&
	    g->n[t->producer].in[0] >= 0)
		q = &g->t[g->n[t->producer].in[0]].q;
	memset(&ti, 0, sizeof(ti));
	slot_name(name, t->name);
	ti.name = name;
	ti.dtype = (uint32_t)npurt_dtype_of(t->elem);
	if (!ti.dtype || t->elem == NPUC_BOOL)
		return npuc_err(-EOPNOTSUPP, "tensor \"%s\": type %s has no "
				"runtime dtype", t->name,
				npuc_elem_name(t->elem));
	ti.ndim = (uint32_t)(t->ndim ? t->ndim : 1);
	for (k = 0; k < (int)ti.ndim; k++)
		ti.dims[k] = t->ndim ? (uint64_t)t->dims[k] : 1;
	if (t->q.elem && quant_per_tensor(&t->q) && is_q8(t->elem)) {
		ti.scale = (float)t->q.scale[0];
		ti.zero_point = t->q.zp[0];
	} else if (q && quant_per_tensor(q) && t->elem == NPUC_FLOAT) {
		/* a float output of a final DequantizeLinear: its step */
		ti.scale = (float)q->scale[0];
		ti.zero_point = q->zp[0];
	}
	return input ? npurt_program_builder_add_input(b, &ti) :
		       npurt_program_builder_add_output(b, &ti);
}

static int build(struct lctx *x, const char *name, npurt_program **out)
{
	struct npuc_graph *g = x->g;
	npurt_program_builder *b = NULL;
	int ret, i, wslot = -1, sslot = -1;

	ret = npurt_program_builder_create(name, &b);
	if (ret < 0)
		return npuc_err(ret, "program builder: %s", npurt_last_error());
	for (i = 0; ret >= 0 && i < g->ninputs; i++)
		ret = add_io_slot(b, g, &g->t[g->inputs[i]], true);
	for (i = 0; ret >= 0 && i < g->noutputs; i++)
		ret = add_io_slot(b, g, &g->t[g->outputs[i]], false);
	if (ret >= 0 && x->wsize) {
		struct npurt_tensor_info ti;

		memset(&ti, 0, sizeof(ti));
		ti.name = "#weights";
		ti.dtype = NPURT_DTYPE_UINT8;
		ti.ndim = 1;
		ti.dims[0] = x->wsize;
		ret = wslot = npurt_program_builder_add_weights(b, &ti, x->w,
								x->wsize);
	}
	if (ret >= 0 && x->scratch_size)
		ret = sslot = npurt_program_builder_add_scratch(b, "#scratch",
								x->scratch_size);
	if (ret < 0) {
		ret = npuc_err(ret, "slots: %s", npurt_last_error());
		goto out;
	}
	for (i = 0; i < x->nst; i++) {
		struct lstep *s = &x->st[i];

		if (s->cpu) {
			int k;

			for (k = 0; k < NPURT_CPU_MAX_IN; k++)
				patch(x, &s->op.in[k].slot, &s->op.in[k].offset,
				      wslot, sslot);
			patch(x, &s->op.out.slot, &s->op.out.offset, wslot,
			      sslot);
			ret = npurt_program_builder_add_cpu_op(b, &s->op);
			if (ret < 0) {
				ret = npuc_err(ret, "CPU step %d (%s) refused by "
					       "the builder: %s", i,
					       npurt_cpu_op_name(s->op.opcode),
					       npurt_last_error());
				goto out;
			}
		} else {
			patch_cmd(x, &s->c, wslot, sslot);
			ret = npurt_program_builder_add_cmd(b, &s->c);
			if (ret < 0) {
				ret = npuc_err(ret, "command %d (opcode %u) "
					       "refused by the builder: %s", i,
					       s->c.opcode, npurt_last_error());
				goto out;
			}
		}
	}
	if (ret >= 0)
		ret = npurt_program_builder_set_placement(b, x->placement[0],
							  x->placement[1]);
	if (ret >= 0)
		ret = npurt_program_builder_finish(b, out);
	if (ret < 0)
		ret = npuc_err(ret, "program: %s", npurt_last_error());
	else
		ret = 0;
out:
	npurt_program_builder_destroy(b);
	return ret;
}

/* ---- explain ---------------------------------------------------------------------- */

static void explain(struct lctx *x, FILE *fp, const struct npuc_stats *st,
		    int failed_at)
{
	struct npuc_graph *g = x->g;
	int i;

	for (i = 0; i < g->norder; i++) {
		struct npuc_node *n = &g->n[g->order[i]];
		const char *tag = n->on_cpu ? (n->on_npu ? "npu+cpu: " :
						"cpu: ") :
				  n->on_npu ? "npu: " : "";

		fprintf(fp, "  %-40.40s %-24.24s %s%s\n", n->name, n->op, tag,
			n->where[0] ? n->where :
			i == failed_at ? "FAILED" : i > failed_at &&
			failed_at >= 0 ? "not lowered" : "no command");
	}
	fprintf(fp, "nodes: %d live (%d folded to constants, %d fused into "
		"others); %d on the NPU, %d on the CPU\n", st->nodes, st->folded,
		st->fused, st->npu_nodes, st->cpu_nodes);
	fprintf(fp, "program: %d commands, %d CPU steps; weights %llu bytes "
		"(stored once); scratch %llu bytes at peak (%llu without "
		"reuse)\n", st->cmds, st->cpu_steps,
		(unsigned long long)st->weight_bytes,
		(unsigned long long)st->scratch_bytes,
		(unsigned long long)st->scratch_naive);
}

/* ---- entry ---------------------------------------------------------------------- */

int npuc_compile(struct npuc_graph *g, const struct npuc_opts *opts,
		 npurt_program **out)
{
	return npuc_compile_stats(g, opts, out, NULL);
}

int npuc_compile_stats(struct npuc_graph *g, const struct npuc_opts *opts,
		       npurt_program **out, struct npuc_stats *stp)
{
	struct npuc_stats st;
	struct lctx x;
	int ret, i, failed_at = -1;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	memset(&x, 0, sizeof(x));
	x.g = g;
	x.opts = opts;
	if (opts && opts->min_opset > g->opset)
		return npuc_err(-EPROTONOSUPPORT, "model opset %lld is below "
				"the requested minimum %d", (long long)g->opset,
				opts->min_opset);
	ret = npuc_prepare(g, &st);
	if (!ret)
		ret = npuc_fuse_qdq(g, &st);
	if (ret)
		goto done;
	x.ts = calloc((size_t)g->nt + 1, sizeof(*x.ts));
	if (!x.ts) {
		ret = npuc_err(-ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < g->nt; i++)
		x.ts[i].in_slot = x.ts[i].out_slot = -1;
	for (i = 0; i < g->ninputs; i++) {
		struct npuc_tensor *t = &g->t[g->inputs[i]];

		if (!npuc_tensor_elements(t)) {
			ret = npuc_err(-EOPNOTSUPP, "input \"%s\" is empty",
				       t->name);
			goto done;
		}
		x.ts[g->inputs[i]].in_slot = i;
		x.ts[g->inputs[i]].rm = (struct loc){ (uint32_t)i, 0 };
		x.ts[g->inputs[i]].has_rm = true;
		if (layout_trivial(t)) {
			x.ts[g->inputs[i]].nhwc = x.ts[g->inputs[i]].rm;
			x.ts[g->inputs[i]].has_nhwc = true;
		}
	}
	for (i = 0; i < g->noutputs; i++)
		x.ts[g->outputs[i]].out_slot = g->ninputs + i;
	x.nslots_io = g->ninputs + g->noutputs;
	for (i = 0; i < g->nn; i++)	/* a graph may be compiled again */
		g->n[i].merged = false;
	for (i = 0; !ret && i < g->norder; i++) {
		struct npuc_node *n = &g->n[g->order[i]];

		if (progress_fn)
			progress_fn(progress_arg, i, g->norder);
		x.cur = n;
		n->where[0] = 0;
		n->on_npu = n->on_cpu = false;
		ret = lower_node(&x, n);
		if (ret)
			failed_at = i;
		st.npu_nodes += n->on_npu;
		st.cpu_nodes += n->on_cpu;
	}
	if (!ret)
		ret = finish_outputs(&x);
	if (progress_fn)
		progress_fn(progress_arg, g->norder, g->norder);
	if (!ret && !x.nst)
		ret = npuc_err(-EINVAL, "the graph computes nothing");
	if (!ret)
		ret = memplan(&x);
	st.cmds = x.ncmds;
	st.cpu_steps = x.ncpu;
	st.weight_bytes = x.wsize;
	st.scratch_bytes = x.scratch_size;
	st.scratch_naive = x.scratch_naive;
	st.nodes = g->norder;
	x.placement[0] = (unsigned int)st.npu_nodes;
	x.placement[1] = (unsigned int)st.cpu_nodes;
	if (!ret)
		ret = build(&x, opts && opts->name ? opts->name : g->name, out);
done:
	if (opts && opts->explain && x.ts)
		explain(&x, opts->explain, &st, failed_at);
	if (stp)
		*stp = st;
	weights_free(&x, 0);
	free(x.w);
	free(x.vb);
	free(x.st);
	free(x.ts);
	free(x.undo);
	return ret;
}
