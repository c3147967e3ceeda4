/* SPDX-License-Identifier: MIT */
/*
 * npuc.h - npu-compile: ONNX models to rm_npu programs (.npuprog).
 *
 * libnpuc is a static library the npu-compile tool, the conformance runner
 * and the plugin libnpuc.so.1 (plugin.c) that libnpurt dlopen()s for
 * npurt_model_load("x.onnx") link:
 *
 *   npuc_load_file()/npuc_load_memory()  parse and check an ONNX model
 *                                        (protobuf-c, onnx.proto of Debian's
 *                                        python3-onnx), topological order,
 *                                        cycles, shapes, initializers
 *   npuc_freeze_input()                  make a graph input a constant
 *   npuc_compile()                       lower to commands with libnpurt's
 *                                        program builder
 *
 * Every function returns 0 or a negative errno; npuc_last_error() holds a
 * sentence saying what was wrong (thread-local).
 */
#ifndef NPUC_H
#define NPUC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <npurt.h>

/* in the compile cache's key: a new one whenever programs change */
#define NPUC_VERSION		"0.2.0"
#define NPUC_MAX_DIMS		8
/* Models import opset 13 or later; see onnx_import.c for the exception. */
#define NPUC_MIN_OPSET		13
#define NPUC_MAX_MODEL_BYTES	(1ull << 31)	/* protobuf's own limit */
#define NPUC_MAX_ELEMENTS	(1ull << 32)	/* per tensor */

/* ONNX TensorProto.DataType values used here. */
enum {
	NPUC_FLOAT = 1, NPUC_UINT8 = 2, NPUC_INT8 = 3, NPUC_UINT16 = 4,
	NPUC_INT16 = 5, NPUC_INT32 = 6, NPUC_INT64 = 7, NPUC_BOOL = 9,
	NPUC_FLOAT16 = 10, NPUC_DOUBLE = 11, NPUC_UINT32 = 12,
	NPUC_UINT64 = 13,
};

/*
 * Affine quantization of an integer tensor: real = scale * (q - zp), per
 * tensor (axis -1, n 1) or per axis (n values along @axis).
 */
struct npuc_quant {
	int32_t elem;			/* INT8, UINT8, INT32; 0: none */
	int axis;			/* -1: per tensor */
	uint64_t n;			/* values in scale[] and zp[] */
	double *scale;			/* owned */
	int32_t *zp;			/* owned */
};

struct npuc_opdef;

struct npuc_tensor {
	char *name;
	int32_t elem;			/* ONNX data type, 0 unknown */
	int ndim;			/* -1 unknown */
	int64_t dims[NPUC_MAX_DIMS];
	void *data;			/* constant: dense, little endian */
	size_t nbytes;
	int producer;			/* node index, -1 for inputs/consts */
	int nconsumers;			/* uses by live nodes */
	bool is_input;			/* a graph input (runtime or frozen) */
	bool is_output;
	/* prepare: what quantization the integer values carry (from the
	 * QuantizeLinear/DequantizeLinear or QLinear* node that names it) */
	struct npuc_quant q;
	/* a DequantizeLinear output: the integer tensor it dequantizes */
	int dq_of;			/* tensor index, -1 */
};

/* An attribute a graph rewrite gives a node (looked up before the
 * node's ONNX attributes). */
struct npuc_attr {
	const char *name;		/* static string */
	int64_t i;
	double f;
	int64_t ints[NPUC_MAX_DIMS];
	int nints;			/* -1: scalar (i, f) */
};

#define NPUC_MAX_ATTRS		4

struct npuc_node {
	const void *proto;		/* Onnx__NodeProto, NULL if synthesized */
	const char *op;			/* as in the model */
	const char *domain;		/* "" for ai.onnx */
	const char *name;
	const struct npuc_opdef *def;	/* registry row; NULL: unknown */
	int nin, nout;
	int *in;			/* tensor index or -1 (omitted) */
	int *out;
	bool dead;			/* folded, fused or unused */
	struct npuc_attr attrs[NPUC_MAX_ATTRS];
	int nattrs;
	/* a pointwise subgraph fused into one table (rm_npu::Lut): the
	 * nodes, in order, evaluated per input value */
	int *sub, nsub;
	int sub_in;			/* the float tensor the nodes read */
	/* lowering */
	bool on_npu, on_cpu;		/* emitted commands / CPU steps */
	bool merged;			/* computed by its input's table */
	char where[200];		/* --explain text */
};

struct npuc_graph {
	void *model;			/* Onnx__ModelProto */
	int64_t opset;			/* ai.onnx */
	int64_t ms_opset;		/* com.microsoft, 0 if absent */
	struct npuc_tensor *t;
	int nt, capt;
	struct npuc_node *n;
	int nn, capn;
	int *order;			/* topological order of the live nodes */
	int norder;
	int *inputs, ninputs;		/* graph inputs (not initializers) */
	int *outputs, noutputs;
	char name[NPURT_NAME_MAX];
	void *names;			/* name -> tensor index (uthash) */
	bool reserved;			/* room made for rewrites */
	char **strs;			/* names made by rewrites, owned */
	int nstrs, capstrs;
};

struct npuc_opts {
	int min_opset;			/* 0: NPUC_MIN_OPSET */
	FILE *explain;			/* non-NULL: print node placement */
	bool cpu_only;			/* every node on the CPU (reference) */
	const char *name;		/* program name; NULL: graph name */
};

const char *npuc_last_error(void);
int npuc_err(int ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int npuc_load_memory(const void *data, size_t size, struct npuc_graph **out);
int npuc_load_file(const char *path, struct npuc_graph **out);
void npuc_graph_free(struct npuc_graph *g);

/* Decode a serialized TensorProto (a test's input_K.pb). */
int npuc_tensor_decode(const void *pb, size_t len, struct npuc_tensor *t);
void npuc_tensor_release(struct npuc_tensor *t);
size_t npuc_elem_size(int32_t elem);
const char *npuc_elem_name(int32_t elem);
uint64_t npuc_tensor_elements(const struct npuc_tensor *t);

/* testdata.c: a whole file; DIR/test_data_set_SET/KIND_K.pb decoded. */
int npuc_read_file(const char *path, uint8_t **buf, size_t *len);
int npuc_testdata_load(const char *dir, int set, const char *kind, int k,
		       struct npuc_tensor *t);

/* Whether graph input @idx (0-based among graph inputs) sits in a position
 * the lowering needs as a compile-time constant (scales, zero points,
 * weights, shapes, clip bounds). */
bool npuc_input_is_param(const struct npuc_graph *g, int idx);
/* Replace graph input @name with the constant @t (whose data is taken). */
int npuc_freeze_input(struct npuc_graph *g, const char *name,
		      struct npuc_tensor *t);

/* Whether the compiler claims operator @op of @domain. */
bool npuc_op_supported(const char *domain, const char *op);

/* What a compile produced, for --explain and the model summary. */
struct npuc_stats {
	int nodes;			/* live nodes after preparation */
	int npu_nodes, cpu_nodes;	/* placed (a node may count in both) */
	int folded;			/* nodes folded to constants */
	int fused;			/* nodes fused into others */
	uint64_t weight_bytes;		/* stored once (deduplicated) */
	uint64_t scratch_bytes;		/* peak, after liveness planning */
	uint64_t scratch_naive;		/* without reuse */
	int cmds, cpu_steps;
};

int npuc_compile(struct npuc_graph *g, const struct npuc_opts *opts,
		 npurt_program **out);
/* As npuc_compile(), with figures (@st may be NULL). */
int npuc_compile_stats(struct npuc_graph *g, const struct npuc_opts *opts,
		       npurt_program **out, struct npuc_stats *st);

/* Progress of npuc_compile() in this thread (also through the cache):
 * @fn(@arg, done, total) before each node is lowered and once with
 * done == total at the end. NULL turns it off. */
typedef void (*npuc_progress_fn)(void *arg, int done, int total);
void npuc_set_progress(npuc_progress_fn fn, void *arg);

/* quant.c: real multiplier -> {mult, shift} with
 * real ~= mult * 2^(shift - 31), mult in [2^30, 2^31) or smaller when the
 * value is below 2^-31. -ERANGE when not representable. */
int npuc_quantize_multiplier(double real, int32_t *mult, int32_t *shift);
/* The ELTWISE input rescale: real in (0, 1], shift -31..0. */
int npuc_quantize_multiplier_le1(double real, int32_t *mult, int32_t *shift);
/* The NPU requantization function (rm_npu_commands.md section 2). */
int64_t npuc_requant_ref(int64_t acc, int32_t mult, int32_t shift);
float npuc_half_to_float(uint16_t h);

#endif /* NPUC_H */
