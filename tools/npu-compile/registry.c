// SPDX-License-Identifier: MIT
/*
 * registry.c - every operator the compiler knows, one row each: flags,
 * parameter inputs, QOperator canonical form, shape inference, constant
 * folding, scalar function, data moves, NPU and CPU lowerings. A new
 * operator is an id in npuc_ir.h, a row here and its functions.
 *
 * The doc strings say what each lowering emits; --explain and the README
 * table are made from them (npu-compile --list-ops).
 */
#include <string.h>

#include "lower.h"
#include "npuc_ops.h"

#define B(i)		(1u << (i))
#define PW		(OPF_POINTWISE | OPF_QDQ)
#define MV		(OPF_MOVE | OPF_QDQ)

/* A unary activation: a table on the NPU, a float step on the CPU. */
#define UNARY(name, fn, fnf, cpufn, cdoc) { "", name, PW, 0, NULL, \
	infer_same, fold_pointwise, fn, NULL, lower_lut, cpufn, "LUT", cdoc, \
	fnf }
#define BINARY(name, fn, fnf, npufn, ndoc, cpufn, cdoc) { "", name, PW, 0, \
	NULL, infer_bcast, fold_pointwise, fn, NULL, npufn, cpufn, ndoc, \
	cdoc, fnf }
/* Shape arithmetic: folded, never lowered. */
#define SHAPE_ARITH(name, fn) { "", name, OPF_POINTWISE, 0, NULL, \
	infer_bcast, fold_pointwise, fn, NULL, NULL, NULL, NULL, NULL }
#define MOVE(name, p, inf, vw) { "", name, MV, p, NULL, inf, fold_moves, \
	NULL, vw, lower_move, NULL, "COPY/FILL", NULL }
#define ALIAS(name, p, inf) { "", name, MV, p, NULL, inf, fold_moves, NULL, \
	NULL, lower_alias, NULL, "view", NULL }
#define QOP(dom, name, p, fn) { dom, name, 0, p, fn, NULL, NULL, NULL, NULL, \
	NULL, NULL, NULL, NULL }
#define MS		"com.microsoft"

const struct npuc_opdef npuc_ops[OP_COUNT] = {
	[OP_ABS] = UNARY("Abs", ew_abs, f32_abs, cpu_unary, "ABS"),
	[OP_ADD] = BINARY("Add", ew_add, f32_add, lower_eltwise, "ELTWISE ADD",
			  cpu_binary, "ADD"),
	[OP_AVERAGEPOOL] = { "", "AveragePool", OPF_QDQ, 0, NULL, infer_pool,
		NULL, NULL, NULL, lower_pool, cpu_pool,
		"POOL2D AVG, or CONV2D depthwise when requantizing", "POOL" },
	[OP_CAST] = { "", "Cast", OPF_POINTWISE, 0, NULL, infer_cast,
		fold_pointwise, ew_cast, NULL, NULL, NULL, NULL, NULL },
	[OP_CEIL] = UNARY("Ceil", ew_ceil, NULL, NULL, NULL),
	[OP_CLIP] = { "", "Clip", PW, B(1) | B(2), NULL, infer_same,
		fold_pointwise, ew_clip, NULL, lower_lut, cpu_unary, "LUT",
		"CLIP", f32_clip },
	[OP_CONCAT] = MOVE("Concat", 0, infer_concat, views_concat),
	[OP_CONSTANT] = { "", "Constant", 0, 0, NULL, infer_constant, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL },
	[OP_CONSTANTOFSHAPE] = { "", "ConstantOfShape", 0, B(0), NULL,
		infer_constantofshape, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL },
	[OP_CONV] = { "", "Conv", OPF_QDQ, 0, NULL, infer_conv, NULL, NULL,
		NULL, lower_conv, cpu_conv, "CONV2D", "CONV" },
	[OP_CONVINTEGER] = QOP("", "ConvInteger", ~B(0), canon_convinteger),
	[OP_DEQUANTIZE] = { "", "DequantizeLinear", OPF_KEEP_DQ, B(1) | B(2),
		canon_dequantize, infer_dequantize, fold_dequantize, NULL,
		NULL, NULL, cpu_dequantize, NULL, "DEQUANTIZE" },
	[OP_DIV] = BINARY("Div", ew_div, f32_div, lower_lut, "LUT", cpu_binary, "DIV"),
	[OP_ELU] = UNARY("Elu", ew_elu, NULL, NULL, NULL),
	[OP_EQUAL] = SHAPE_ARITH("Equal", ew_equal),
	[OP_ERF] = UNARY("Erf", ew_erf, f32_erf, cpu_unary, "ERF"),
	[OP_EXP] = UNARY("Exp", ew_exp, NULL, cpu_unary, "EXP"),
	[OP_EXPAND] = MOVE("Expand", B(1), infer_expand, views_expand),
	[OP_FLATTEN] = ALIAS("Flatten", 0, infer_flatten),
	[OP_FLOOR] = UNARY("Floor", ew_floor, NULL, NULL, NULL),
	[OP_GATHER] = MOVE("Gather", B(1), infer_gather, views_gather),
	[OP_GELU] = UNARY("Gelu", ew_gelu, NULL, cpu_unary, "GELU"),
	[OP_GEMM] = { "", "Gemm", OPF_QDQ, 0, NULL, infer_gemm, NULL, NULL,
		NULL, lower_gemm, cpu_gemm, "GEMM", "GEMM" },
	[OP_GLOBALAVERAGEPOOL] = { "", "GlobalAveragePool", OPF_QDQ, 0, NULL,
		infer_pool, NULL, NULL, NULL, lower_pool, cpu_pool,
		"POOL2D AVG, or CONV2D depthwise when requantizing", "POOL" },
	[OP_GLOBALMAXPOOL] = { "", "GlobalMaxPool", OPF_QDQ | OPF_KEEPQ, 0, NULL,
		infer_pool, NULL, NULL, NULL, lower_pool, cpu_pool,
		"POOL2D MAX", "POOL" },
	[OP_HARDSIGMOID] = UNARY("HardSigmoid", ew_hardsigmoid, f32_hardsigmoid, cpu_unary,
				 "HARD_SIGMOID"),
	[OP_HARDSWISH] = UNARY("HardSwish", ew_hardswish, NULL, cpu_unary,
			       "HARD_SWISH"),
	[OP_IDENTITY] = ALIAS("Identity", 0, infer_identity),
	[OP_LAYERNORM] = { "", "LayerNormalization", OPF_QDQ, 0, NULL,
		infer_rowwise, NULL, NULL, NULL, NULL, cpu_layernorm, NULL,
		"LAYER_NORM" },
	[OP_LEAKYRELU] = UNARY("LeakyRelu", ew_leakyrelu, f32_leakyrelu, cpu_unary,
			       "LEAKY_RELU"),
	[OP_LOG] = UNARY("Log", ew_log, NULL, NULL, NULL),
	[OP_LOGSOFTMAX] = { "", "LogSoftmax", OPF_QDQ, 0, NULL, infer_rowwise,
		NULL, NULL, NULL, NULL, cpu_softmax, NULL, "LOG_SOFTMAX" },
	[OP_MATMUL] = { "", "MatMul", OPF_QDQ, 0, NULL, infer_matmul, NULL,
		NULL, NULL, lower_matmul, cpu_matmul, "GEMM", "GEMM" },
	[OP_MATMULINTEGER] = QOP("", "MatMulInteger", B(2) | B(3),
				 canon_matmulinteger),
	[OP_MAX] = BINARY("Max", ew_max, NULL, lower_lut, "LUT", cpu_binary, "MAX"),
	[OP_MAXPOOL] = { "", "MaxPool", OPF_QDQ | OPF_KEEPQ, 0, NULL, infer_pool, NULL,
		NULL, NULL, lower_pool, cpu_pool, "POOL2D MAX", "POOL" },
	[OP_MIN] = BINARY("Min", ew_min, NULL, lower_lut, "LUT", cpu_binary, "MIN"),
	[OP_MOD] = SHAPE_ARITH("Mod", ew_mod),
	[OP_MUL] = BINARY("Mul", ew_mul, f32_mul, lower_eltwise, "ELTWISE MUL",
			  cpu_binary, "MUL"),
	[OP_NEG] = UNARY("Neg", ew_neg, f32_neg, cpu_unary, "NEG"),
	[OP_PAD] = MOVE("Pad", B(1) | B(2) | B(3), infer_pad, views_pad),
	[OP_POW] = BINARY("Pow", ew_pow, NULL, lower_lut, "LUT", cpu_binary, "POW"),
	[OP_QUANTIZE] = { "", "QuantizeLinear", 0, B(1) | B(2),
		canon_quantize, infer_quantize, fold_quantize, NULL, NULL,
		NULL, cpu_quantize, NULL, "QUANTIZE" },
	[OP_RANGE] = { "", "Range", 0, B(0) | B(1) | B(2), NULL, infer_range,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	[OP_RECIPROCAL] = UNARY("Reciprocal", ew_reciprocal, NULL, NULL, NULL),
	[OP_REDUCEMEAN] = { "", "ReduceMean", OPF_QDQ, B(1), NULL,
		infer_reduce, NULL, NULL, NULL, lower_reducemean, cpu_reduce,
		"POOL2D AVG or CONV2D depthwise over H, W", "REDUCE" },
	[OP_REDUCESUM] = { "", "ReduceSum", OPF_QDQ, B(1), NULL, infer_reduce,
		NULL, NULL, NULL, NULL, cpu_reduce, NULL, "REDUCE" },
	[OP_REDUCEMAX] = { "", "ReduceMax", OPF_QDQ, B(1), NULL, infer_reduce,
		NULL, NULL, NULL, NULL, cpu_reduce, NULL, "REDUCE" },
	[OP_REDUCEMIN] = { "", "ReduceMin", OPF_QDQ, B(1), NULL, infer_reduce,
		NULL, NULL, NULL, NULL, cpu_reduce, NULL, "REDUCE" },
	[OP_RELU] = UNARY("Relu", ew_relu, f32_relu, cpu_unary, "RELU"),
	[OP_RESHAPE] = ALIAS("Reshape", B(1), infer_reshape),
	[OP_RESIZE] = { "", "Resize", MV, B(1) | B(2) | B(3), NULL,
		infer_resize, fold_moves, NULL, views_resize, lower_move,
		cpu_resize, "COPY (nearest, whole factors)", "RESIZE" },
	[OP_SHAPE] = { "", "Shape", 0, 0, NULL, infer_shape_op, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL },
	[OP_SIGMOID] = UNARY("Sigmoid", ew_sigmoid, f32_sigmoid, cpu_unary, "SIGMOID"),
	[OP_SLICE] = MOVE("Slice", B(1) | B(2) | B(3) | B(4), infer_slice,
			  views_slice),
	[OP_SOFTMAX] = { "", "Softmax", OPF_QDQ, 0, NULL, infer_rowwise, NULL,
		NULL, NULL, NULL, cpu_softmax, NULL, "SOFTMAX" },
	[OP_SOFTPLUS] = UNARY("Softplus", ew_softplus, NULL, NULL, NULL),
	[OP_SPLIT] = MOVE("Split", B(1), infer_split, views_split),
	[OP_SQRT] = UNARY("Sqrt", ew_sqrt, f32_sqrt, cpu_unary, "SQRT"),
	[OP_SQUEEZE] = ALIAS("Squeeze", B(1), infer_squeeze),
	[OP_SUB] = BINARY("Sub", ew_sub, f32_sub, lower_eltwise, "ELTWISE SUB",
			  cpu_binary, "SUB"),
	[OP_TANH] = UNARY("Tanh", ew_tanh, NULL, cpu_unary, "TANH"),
	[OP_TILE] = MOVE("Tile", B(1), infer_tile, views_tile),
	[OP_TRANSPOSE] = MOVE("Transpose", 0, infer_transpose, views_transpose),
	[OP_UNSQUEEZE] = ALIAS("Unsqueeze", B(1), infer_unsqueeze),
	[OP_WHERE] = { "", "Where", OPF_POINTWISE, 0, NULL, infer_bcast,
		fold_pointwise, ew_where, NULL, NULL, NULL, NULL, NULL },
	/* QOperator forms: rewritten to the rows above by prepare */
	[OP_QLINEARCONV] = QOP("", "QLinearConv", ~B(0), canon_qlinearconv),
	[OP_QLINEARMATMUL] = QOP("", "QLinearMatMul", ~(B(0) | B(3)),
				 canon_qlinearmatmul),
	[OP_QGEMM] = QOP(MS, "QGemm", ~(B(0) | B(3)), canon_qgemm),
	[OP_QLINEARADD] = QOP(MS, "QLinearAdd", ~(B(0) | B(3)),
			      canon_qlinearadd),
	[OP_QLINEARMUL] = QOP(MS, "QLinearMul", ~(B(0) | B(3)),
			      canon_qlinearmul),
	[OP_QLINEARCONCAT] = QOP(MS, "QLinearConcat", 0xdb6db6dbu,
				 canon_qlinearconcat),
	[OP_QLINEARSIGMOID] = QOP(MS, "QLinearSigmoid", ~B(0),
				  canon_qlinearsigmoid),
	[OP_QLINEARLEAKYRELU] = QOP(MS, "QLinearLeakyRelu", ~B(0),
				    canon_qlinearleakyrelu),
	[OP_QLINEARSOFTMAX] = QOP(MS, "QLinearSoftmax", ~B(0),
				  canon_qlinearsoftmax),
	[OP_QLINEARAVERAGEPOOL] = QOP(MS, "QLinearAveragePool", ~B(0),
				      canon_qlinearaveragepool),
	[OP_QLINEARGLOBALAVERAGEPOOL] = QOP(MS, "QLinearGlobalAveragePool",
					    ~B(0),
					    canon_qlinearglobalaveragepool),
	[OP_QLINEARREDUCEMEAN] = QOP(MS, "QLinearReduceMean", ~B(0),
				     canon_qlinearreducemean),
	/* made by rewrites */
	[OP_LUT] = { "rm_npu", "Lut", OPF_INTERNAL, 0, NULL, infer_requant,
		NULL, NULL, NULL, lower_lut, NULL, "LUT", NULL },
	[OP_REQUANT] = { "rm_npu", "Requant", OPF_INTERNAL, 0, NULL,
		infer_requant, fold_requant, NULL, NULL, lower_lut, NULL,
		"LUT (or nothing: same bytes)", NULL },
};

const struct npuc_opdef *npuc_opdef_find(const char *domain, const char *op)
{
	int i;

	if (!strcmp(domain, "ai.onnx"))
		domain = "";
	for (i = 0; i < OP_COUNT; i++)
		if (npuc_ops[i].op && !(npuc_ops[i].flags & OPF_INTERNAL) &&
		    !strcmp(npuc_ops[i].domain, domain) &&
		    !strcmp(npuc_ops[i].op, op))
			return &npuc_ops[i];
	return NULL;
}

/* Claimed: the row exists and something can run it (lowered, folded or
 * rewritten to a row that can). */
bool npuc_op_supported(const char *domain, const char *op)
{
	const struct npuc_opdef *d = npuc_opdef_find(domain, op);

	return d && (d->npu || d->cpu || d->canon || d->fold ||
		     d->infer == infer_constant || d->infer == infer_shape_op ||
		     d->infer == infer_range ||
		     d->infer == infer_constantofshape);
}

bool npuc_input_is_param(const struct npuc_graph *g, int idx)
{
	int ti, i, j;

	if (idx < 0 || idx >= g->ninputs)
		return false;
	ti = g->inputs[idx];
	for (i = 0; i < g->nn; i++) {
		const struct npuc_opdef *d = g->n[i].def ? g->n[i].def :
			npuc_opdef_find(g->n[i].domain, g->n[i].op);

		for (j = 0; d && j < g->n[i].nin && j < 32; j++)
			if (g->n[i].in[j] == ti && (d->params & B(j)))
				return true;
	}
	return false;
}
