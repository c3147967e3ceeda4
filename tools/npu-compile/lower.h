/* SPDX-License-Identifier: MIT */
/*
 * lower.h - what the lowering functions of the registry share: where
 * tensors live (slots, packed weights, scratch buffers placed later by
 * liveness), the command and CPU-step stream, and the helpers that turn
 * quantized tensors into the float operands CPU steps take.
 *
 * A tensor may be materialized in several forms: row-major bytes (rm),
 * NHWC bytes for 4-D tensors (CONV2D/POOL2D work in NHWC; 3-D tensors
 * [N, C, L] are [N, 1, L, C] there), and a dequantized float copy (f32)
 * for CPU steps. Each form is made once, when a consumer first needs it.
 */
#ifndef NPUC_LOWER_H
#define NPUC_LOWER_H

#include <string.h>

#include "npuc_ir.h"

/* ELTWISE float32 modes (uapi/rm_npu.h) */
#ifndef RM_NPU_MM_F32_SCALE
#define RM_NPU_MM_F32_SCALE		(1u << 2)
#endif
#ifndef RM_NPU_ELT_F32
#define RM_NPU_ELT_F32			(1u << 0)
#define RM_NPU_ELT_F32_SCALAR_A		(1u << 1)
#define RM_NPU_ELT_F32_SCALAR_B		(1u << 2)
#endif

/* Slot numbers of locations made before the program's slots exist. */
#define SLOT_WEIGHTS	0x3fff0000u	/* the packed weights */
#define SLOT_VBUF	0x40000000u	/* + scratch buffer id */

struct loc {
	uint32_t slot;
	uint64_t off;
};

enum layout { LAY_RM = 0, LAY_NHWC = 1 };

struct tstate {
	struct loc rm, nhwc, f32;
	bool has_rm, has_nhwc, has_f32;
	int in_slot, out_slot;		/* graph input/output slot, -1 */
};

struct lstep {
	bool cpu;
	struct rm_npu_cmd c;
	struct npurt_cpu_op op;
};

struct vbuf {
	uint64_t size, off;
	int first, last;		/* steps that use it */
};

struct undo {
	int ti;
	struct tstate old;
};

struct pending_q {			/* a float result to quantize */
	struct loc f;
	int tensor;
	bool zp_first;			/* QUANTIZE p[3] = 1 */
};

struct lctx {
	struct npuc_graph *g;
	const struct npuc_opts *opts;
	struct tstate *ts;
	int nslots_io;			/* inputs + outputs */
	/* packed weights, deduplicated (weights.c) */
	uint8_t *w;
	uint64_t wsize, wcap;
	void *wdedup;
	/* scratch buffers (memplan.c) */
	struct vbuf *vb;
	int nvb, capvb;
	uint64_t scratch_size, scratch_naive;
	/* the program: commands and CPU steps in order */
	struct lstep *st;
	int nst, capst;
	int ncmds, ncpu;
	struct npuc_node *cur;
	struct pending_q pq[8];
	int npq;
	unsigned int placement[2];	/* nodes on the NPU, on the CPU */
	/* rollback of a refused NPU lowering (lower.c) */
	struct undo *undo;
	int nundo, capundo;
	bool journaling, undo_lost;
};

/* ---- locations ----------------------------------------------------------- */

int vbuf_new(struct lctx *x, uint64_t size, struct loc *l);
int weights(struct lctx *x, const void *data, uint64_t size, struct loc *l);
/* The tensor's bytes row-major / NHWC, made (COPY) when missing. */
int get_rm(struct lctx *x, struct npuc_tensor *t, struct loc *l);
int get_nhwc(struct lctx *x, struct npuc_tensor *t, struct loc *l);
/* Whichever form exists (NHWC preferred when @nhwc_ok), else made. */
int get_any(struct lctx *x, struct npuc_tensor *t, bool nhwc_ok,
	    struct loc *l, enum layout *lay);
/* Memory for a node's output in layout @lay (a graph output goes to its
 * slot when row-major). */
int alloc_out(struct lctx *x, struct npuc_tensor *t, enum layout lay,
	      struct loc *l);
/* Output @o is input @in's bytes (same layout, no command). */
int alias_out(struct lctx *x, struct npuc_tensor *o, struct npuc_tensor *in);
/* Per logical axis element strides of @t stored in @lay. */
void phys_strides(const struct npuc_tensor *t, enum layout lay, int64_t *s);
bool layout_trivial(const struct npuc_tensor *t);
/* N, C, H, W of a 3-D ([N, C, L]: H = 1) or 4-D tensor. */
bool nchw(const struct npuc_tensor *t, uint64_t d[4]);
int dt_of(int32_t elem);
int npurt_dtype_of(int32_t elem);
struct npuc_tensor *tensor_of(struct lctx *x, int ti);
struct tstate *ts_of(struct lctx *x, const struct npuc_tensor *t);

/* ---- the stream -------------------------------------------------------------- */

int emit(struct lctx *x, const struct rm_npu_cmd *c);
int emit_cpu(struct lctx *x, const struct npurt_cpu_op *op);
void note(struct lctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Strided copy of up to 4 dimensions (bytes strides); larger nests and
 * dimensions above 65536 become several commands. */
int copy_nd(struct lctx *x, struct loc src, struct loc dst, uint32_t esz,
	    int nd, const uint64_t *dims, const int64_t *ss, const int64_t *ds);
int copy_bytes(struct lctx *x, struct loc src, struct loc dst, uint64_t n);
int fill_bytes(struct lctx *x, struct loc dst, uint64_t count, uint32_t esz,
	       uint64_t value);
/* out = table[in] over @count elements. */
int emit_lut(struct lctx *x, struct loc in, struct loc out, uint64_t count,
	     int32_t in_elem, const uint8_t table[256]);

/* ---- CPU steps ------------------------------------------------------------------ */

struct npurt_cpu_op cpu_op_init(uint32_t opcode);
struct npurt_cpu_ref cpu_ref(struct loc l, int32_t elem, uint64_t count);
/* Float operand for input @i: a float tensor's bytes, a quantized
 * tensor dequantized (once), a constant as float weights. */
int cpu_in(struct lctx *x, struct npuc_node *n, int i, struct npuc_tensor **t,
	   struct npurt_cpu_ref *r);
/* Float result for output @j; a quantized output is quantized after the
 * step (cpu_finish()). */
int cpu_out(struct lctx *x, struct npuc_node *n, int j,
	    struct npurt_cpu_ref *r);
int cpu_finish(struct lctx *x);
/* QUANTIZE/DEQUANTIZE parameters of @q over tensor @t into @op. */
int cpu_qparams(struct lctx *x, const struct npuc_quant *q,
		const struct npuc_tensor *t, struct npurt_cpu_op *op);

/* ---- shared by NPU lowerings -------------------------------------------------------- */

/* Real multiplier to {mult, shift} (per channel in a weights buffer when
 * they differ) for a GEMM/CONV2D epilogue. */
static inline int32_t f32_bits(float f)
{
	int32_t b;

	memcpy(&b, &f, 4);
	return b;
}

struct epi {
	int32_t out_elem;		/* INT32, INT8 or UINT8 */
	double *rmult;			/* nch real multipliers (q8 out) */
	int32_t zp, act_min, act_max;
	const int32_t *bias;		/* nch or NULL */
};

int epilogue(struct lctx *x, uint64_t nch, const struct epi *e,
	     uint32_t *flags, struct rm_npu_requant *rq,
	     struct rm_npu_ref *bias, struct rm_npu_ref *quant);
/* The requantization table from @from to @to (same shape). */
int requant_table(const struct npuc_quant *from, const struct npuc_quant *to,
		  uint8_t table[256]);
/* Move @in's bytes (any layout) into @o, requantizing with a LUT when
 * their quantizations differ. */
int requant_into(struct lctx *x, struct npuc_tensor *in, struct npuc_tensor *o);

/* The registry's lowering functions. */
int lower_conv(struct lctx *x, struct npuc_node *n);
int lower_matmul(struct lctx *x, struct npuc_node *n);
int lower_gemm(struct lctx *x, struct npuc_node *n);
int lower_eltwise(struct lctx *x, struct npuc_node *n);
int lower_lut(struct lctx *x, struct npuc_node *n);
int lower_pool(struct lctx *x, struct npuc_node *n);
int lower_move(struct lctx *x, struct npuc_node *n);
int lower_alias(struct lctx *x, struct npuc_node *n);
int lower_reducemean(struct lctx *x, struct npuc_node *n);

int cpu_quantize(struct lctx *x, struct npuc_node *n);
int cpu_dequantize(struct lctx *x, struct npuc_node *n);
int cpu_unary(struct lctx *x, struct npuc_node *n);
int cpu_binary(struct lctx *x, struct npuc_node *n);
int cpu_softmax(struct lctx *x, struct npuc_node *n);
int cpu_gemm(struct lctx *x, struct npuc_node *n);
int cpu_matmul(struct lctx *x, struct npuc_node *n);
int cpu_conv(struct lctx *x, struct npuc_node *n);
int cpu_pool(struct lctx *x, struct npuc_node *n);
int cpu_layernorm(struct lctx *x, struct npuc_node *n);
int cpu_reduce(struct lctx *x, struct npuc_node *n);
int cpu_resize(struct lctx *x, struct npuc_node *n);

/* memplan.c */
int memplan(struct lctx *x);

#endif /* NPUC_LOWER_H */
