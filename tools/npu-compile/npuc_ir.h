/* SPDX-License-Identifier: MIT */
/*
 * npuc_ir.h - the compiler's inside: the operator registry, graph
 * rewriting helpers, and the passes of the pipeline
 *
 *   import (onnx_import.c)
 *     -> prepare (prepare.c: QOperator canonical forms, shapes, constant
 *        folding, Identity and dead-node elimination; infer.c, fold.c)
 *     -> quantized patterns (qdq.c: DequantizeLinear -> op ->
 *        QuantizeLinear groups become quantized ops, pointwise chains
 *        become tables)
 *     -> partition and lower (lower.c; lower_*.c per family)
 *     -> plan memory (memplan.c) -> program (lower.c: build)
 *
 * Every operator is one row of npuc_ops[] (registry.c): its shape
 * inference, constant folding, scalar function (for tables), NPU and CPU
 * lowerings. Nothing else names an operator.
 */
#ifndef NPUC_IR_H
#define NPUC_IR_H

#include "npuc.h"

struct lctx;

/*
 * A move: part of a data-movement operator's output taken from one input
 * (or filled with one value), as a loop nest over @nd dimensions. Loop
 * dimension d advances output axis oax[d] by ocoef[d] and input axis
 * iax[d] by icoef[d] (-1: none); the nest starts at the logical
 * coordinates ostart/istart. Folding runs moves over constants; the NPU
 * lowering turns them into COPY/FILL commands over the tensors' physical
 * layouts.
 */
#define MV_MAX		16

struct mview {
	int src;			/* input index; -1: fill */
	int out;			/* output index */
	uint64_t fill;			/* fill: the element's bytes */
	int nd;
	uint64_t dims[MV_MAX];
	int8_t oax[MV_MAX], iax[MV_MAX];
	int64_t ocoef[MV_MAX], icoef[MV_MAX];
	int64_t ostart[NPUC_MAX_DIMS], istart[NPUC_MAX_DIMS];
};

typedef int (*mview_fn)(void *arg, const struct mview *v);

/* ---- the registry ------------------------------------------------------ */

/* Row flags. */
#define OPF_POINTWISE	(1u << 0)	/* element by element (eval1) */
#define OPF_MOVE	(1u << 1)	/* moves values, computes none */
#define OPF_QDQ		(1u << 2)	/* fuses DQ -> op -> Q into one op */
#define OPF_KEEP_DQ	(1u << 3)	/* not folded (DequantizeLinear) */
#define OPF_INTERNAL	(1u << 4)	/* made by rewrites, not in models */
#define OPF_KEEPQ	(1u << 5)	/* output keeps input 0's quantization */

struct npuc_opdef {
	const char *domain;		/* "", "com.microsoft", "rm_npu" */
	const char *op;
	uint32_t flags;
	/* inputs that are compile-time parameters (shapes, axes, scales
	 * of QLinear forms): bit i for input i; the others carry values
	 * (quantized ones in a QDQ group) */
	uint32_t params;
	/* QOperator form to its float operator over quantized tensors */
	int (*canon)(struct npuc_graph *g, struct npuc_node *n);
	/* output types and shapes from the inputs' */
	int (*infer)(struct npuc_graph *g, struct npuc_node *n);
	/* outputs' values when every input is a constant */
	int (*fold)(struct npuc_graph *g, struct npuc_node *n);
	/* pointwise: the function of one element (inputs in @v) */
	double (*eval1)(const struct npuc_node *n, const double *v);
	/* data movement: the moves making the outputs (NULL with OPF_MOVE:
	 * the output is the input's bytes, reinterpreted) */
	int (*views)(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		     void *arg);
	/* lowerings: 0, or -EOPNOTSUPP having emitted nothing */
	int (*npu)(struct lctx *x, struct npuc_node *n);
	int (*cpu)(struct lctx *x, struct npuc_node *n);
	const char *npu_doc, *cpu_doc;	/* what each lowering emits */
	/* pointwise, in binary32 as onnxruntime's kernel computes it (for
	 * tables); NULL: eval1 rounded to float (ortmath.c) */
	float (*evalf)(const struct npuc_node *n, const float *v);
};

enum npuc_opid {
	OP_ABS, OP_ADD, OP_AVERAGEPOOL, OP_CAST, OP_CLIP, OP_CONCAT,
	OP_CONSTANT, OP_CONSTANTOFSHAPE, OP_CONV, OP_CONVINTEGER, OP_DEQUANTIZE,
	OP_DIV, OP_ELU, OP_EQUAL, OP_ERF, OP_EXP, OP_EXPAND, OP_FLATTEN,
	OP_FLOOR, OP_CEIL, OP_GATHER, OP_GELU, OP_GEMM, OP_GLOBALAVERAGEPOOL,
	OP_GLOBALMAXPOOL, OP_HARDSIGMOID, OP_HARDSWISH, OP_IDENTITY,
	OP_LAYERNORM, OP_LEAKYRELU, OP_LOG, OP_LOGSOFTMAX, OP_MATMUL,
	OP_MATMULINTEGER, OP_MAX, OP_MAXPOOL, OP_MIN, OP_MOD, OP_MUL, OP_NEG,
	OP_PAD, OP_POW, OP_QUANTIZE, OP_RANGE, OP_RECIPROCAL, OP_REDUCEMEAN,
	OP_RELU, OP_RESHAPE, OP_RESIZE, OP_SHAPE, OP_SIGMOID, OP_SLICE,
	OP_SOFTMAX, OP_SPLIT, OP_SQRT, OP_SQUEEZE, OP_SUB, OP_TANH,
	OP_TRANSPOSE, OP_UNSQUEEZE, OP_WHERE, OP_SOFTPLUS, OP_REDUCESUM,
	OP_REDUCEMAX, OP_REDUCEMIN, OP_TILE,
	/* QOperator forms (canonicalized in prepare) */
	OP_QLINEARCONV, OP_QLINEARMATMUL, OP_QGEMM, OP_QLINEARADD,
	OP_QLINEARMUL, OP_QLINEARCONCAT, OP_QLINEARSIGMOID,
	OP_QLINEARLEAKYRELU, OP_QLINEARSOFTMAX, OP_QLINEARAVERAGEPOOL,
	OP_QLINEARGLOBALAVERAGEPOOL, OP_QLINEARREDUCEMEAN,
	/* made by rewrites */
	OP_LUT, OP_REQUANT,
	OP_COUNT
};

extern const struct npuc_opdef npuc_ops[OP_COUNT];

const struct npuc_opdef *npuc_opdef_find(const char *domain, const char *op);
#define OPDEF(id)	(&npuc_ops[OP_##id])
#define IS_OP(n, id)	((n)->def == OPDEF(id))

/* ---- graph helpers (graph.c) ------------------------------------------ */

struct npuc_tensor *in_t(struct npuc_graph *g, const struct npuc_node *n,
			 int i);
struct npuc_tensor *out_t(struct npuc_graph *g, const struct npuc_node *n,
			  int i);
int need_in(struct npuc_graph *g, const struct npuc_node *n, int i,
	    struct npuc_tensor **t);
int need_const(const struct npuc_node *n, const struct npuc_tensor *t,
	       const char *what);
int need_shape(const struct npuc_node *n, const struct npuc_tensor *t);

/* Attributes: rewrites' first, then the ONNX node's. */
bool attr_has(const struct npuc_node *n, const char *name);
int64_t attr_i(const struct npuc_node *n, const char *name, int64_t def);
double attr_f(const struct npuc_node *n, const char *name, double def);
/* Up to @max ints; the count, -1 when absent, < -1 an error. */
int attr_ints(const struct npuc_node *n, const char *name, int64_t *v,
	      int max);
void attr_s(const struct npuc_node *n, const char *name, char *buf,
	    size_t len, const char *def);
/* A TENSOR attribute (Constant's value) decoded into @t. */
int attr_tensor(const struct npuc_node *n, const char *name,
		struct npuc_tensor *t);
int attr_set_i(struct npuc_node *n, const char *name, int64_t v);
int attr_set_f(struct npuc_node *n, const char *name, double v);
int attr_set_ints(struct npuc_node *n, const char *name, const int64_t *v,
		  int cnt);

/* Element @i of a constant as a double / int64 (any numeric type). */
double cval(const struct npuc_tensor *t, uint64_t i);
int64_t cval_i(const struct npuc_tensor *t, uint64_t i);
/* A per-tensor constant: one element (or all equal). */
int cscalar(const struct npuc_node *n, const struct npuc_tensor *t,
	    const char *what, double *v);
uint64_t tbytes(const struct npuc_tensor *t);
bool same_shape(const struct npuc_tensor *a, const struct npuc_tensor *b);
/* Set a tensor's type and shape (checked against a declared output). */
int set_shape(struct npuc_tensor *t, int32_t elem, int ndim,
	      const int64_t *dims);
/* Give @t a constant value: @data (malloc()ed) is taken. */
int set_const(struct npuc_tensor *t, int32_t elem, int ndim,
	      const int64_t *dims, void *data);
bool is_q8(int32_t elem);
bool is_float(int32_t elem);
bool is_int(int32_t elem);

/* New tensors and nodes (indexes stay valid, pointers may not). */
int graph_add_tensor(struct npuc_graph *g, const char *name);
/* A fresh name "@base:@tag" unique in the graph (owned by @g). */
const char *graph_name(struct npuc_graph *g, const char *base,
		       const char *tag);
int graph_add_node(struct npuc_graph *g, const struct npuc_opdef *def,
		   const char *name, int nin, int nout);
int graph_find_tensor(const struct npuc_graph *g, const char *name);
void graph_names_free(struct npuc_graph *g);
int graph_reserve(struct npuc_graph *g);
/* Decode an Onnx__TensorProto (onnx_import.c). */
int npuc_tensor_from_proto(const void *proto, struct npuc_tensor *t);
/* Make every live use of tensor @from use @to. */
void graph_replace_uses(struct npuc_graph *g, int from, int to);
/* Consumers' counts and the topological order of the live nodes. */
int graph_refresh(struct npuc_graph *g);
void graph_kill(struct npuc_graph *g, struct npuc_node *n);

/* ---- quantization annotations (quantinfo.c) --------------------------- */

void quant_release(struct npuc_quant *q);
int quant_copy(struct npuc_quant *dst, const struct npuc_quant *src);
bool quant_equal(const struct npuc_quant *a, const struct npuc_quant *b);
bool quant_per_tensor(const struct npuc_quant *q);
/* Quantization from (scale, zero point) constants over tensor @t of rank
 * @rank (axis attribute for per-axis); @def_elem without a zero point. */
int quant_from(const struct npuc_node *n, const struct npuc_tensor *scale,
	       const struct npuc_tensor *zp, int64_t axis, int rank,
	       int32_t def_elem, struct npuc_quant *q);
/* Give tensor @ti the quantization @q; when it already carries another,
 * *@alias receives a new tensor (an rm_npu::Requant view of @ti) that
 * carries @q, else @ti. */
int quant_attach(struct npuc_graph *g, int ti, const struct npuc_quant *q,
		 int *alias);
/* Real value of quantized integer @v in channel @c. */
double quant_real(const struct npuc_quant *q, uint64_t c, double v);
/* Quantize real @r to @q's type: round half to even, saturate. */
int32_t quant_int(const struct npuc_quant *q, uint64_t c, double r);
int type_min(int32_t elem);
int type_max(int32_t elem);

/* ---- passes ------------------------------------------------------------ */

int npuc_prepare(struct npuc_graph *g, struct npuc_stats *st);
/* Remove the nodes no graph output depends on; refresh the order. */
int npuc_dead_code(struct npuc_graph *g);
int npuc_fuse_qdq(struct npuc_graph *g, struct npuc_stats *st);
/* Evaluate node @n (pointwise) over doubles: @v[i] for input i. */
double npuc_eval1(const struct npuc_node *n, const double *v);
/* ortmath.c: the same in binary32, as onnxruntime computes it; and its
 * float32 DequantizeLinear / QuantizeLinear of one value */
float npuc_evalf(const struct npuc_node *n, const float *v);
float ort_dequant(const struct npuc_quant *q, int v);
int32_t ort_quant(const struct npuc_quant *q, float y);

/* infer.c / fold.c: shared row functions */
int infer_same(struct npuc_graph *g, struct npuc_node *n);
int infer_bcast(struct npuc_graph *g, struct npuc_node *n);
int fold_pointwise(struct npuc_graph *g, struct npuc_node *n);
/* Folding of a data-movement node: its moves over constant inputs. */
int fold_moves(struct npuc_graph *g, struct npuc_node *n);
/* A move of the whole of input @src onto output @out (identity axes). */
void mview_init(struct mview *v, int src, int out, const struct npuc_tensor *t);
int bcast_shape(const struct npuc_node *n, const struct npuc_tensor *a,
		const struct npuc_tensor *b, int *r, int64_t *od);

#endif /* NPUC_IR_H */
