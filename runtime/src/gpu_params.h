/* SPDX-License-Identifier: MIT */
/*
 * gpu_params.h - the parameter blocks of the GPU kernels, shared by the
 * host (gpu_backend.c) and the CUDA C sources (gpu_kernels.cu, compiled by
 * NVRTC with this header prepended). Operand addresses are resolved on the
 * host (device base of the slot + the command's offset); every other field
 * comes from the validated command unchanged. A launch covers a job's
 * batch items, one per blockIdx.z: each operand of item z is at its
 * address + z * its item stride (the *_is fields; 0 for shared operands).
 */
#ifndef NPURT_GPU_PARAMS_H
#define NPURT_GPU_PARAMS_H

typedef unsigned char g_u8;
typedef int g_s32;
typedef unsigned int g_u32;
typedef long long g_s64;
typedef unsigned long long g_u64;

/* GEMM flags as the uAPI's, with the binary32 scale (section 3.4). */
#define G_MM_BIAS		(1u << 0)
#define G_MM_PER_CHANNEL	(1u << 1)
#define G_MM_F32_SCALE		(1u << 2)
#define G_DT_INT8		1
#define G_DT_UINT8		2
#define G_DT_INT32		3

/* The epilogue of GEMM and CONV2D (section 3.3 of rm_npu_commands.md). */
struct g_epi {
	g_u64 bias;		/* int32[n] or 0 */
	g_u64 quant;		/* {mult, shift}[n] or 0 */
	g_u64 out;
	g_u64 bias_is, quant_is, out_is;
	g_u64 err;		/* int: the first failing command's index + 1 */
	g_u32 flags;
	g_u32 out_dtype;
	g_s32 mult, shift, zp, lo, hi;
	g_u32 cmd1;		/* this command's index + 1 */
};

/*
 * GEMM, and dense CONV2D as an implicit GEMM: acc[m][n] = sum_k (A[m][k] -
 * za) * (B[k][n] - zb). B[k][n] is at b + k * b_ks + n * b_ns. A is a
 * matrix (row stride lda) unless conv: then row m is output pixel m (NHW
 * order) and column k is tap (ky, kx, ci) of the window, padding reading
 * za. Output element (m, n) at out + (m * ldo + n) * osz. Items folded
 * into rows (mi > 0, not conv, B shared): the launch has one item, m counts
 * the rows of all items, row m being row m % mi of item m / mi.
 */
/* k_pwk: K up to this (its weights in shared memory, gpu_pwk_fits()) */
#define G_PK_KMAX	1024

struct g_mm {
	struct g_epi e;
	g_u64 a, b;
	g_u64 a_is, b_is;
	g_u64 b_ks, b_ns;
	g_u32 m, n, k, lda, ldo, a_signed;
	g_s32 za, zb;
	g_u32 conv;
	g_u32 in_h, in_w, in_c, out_h, out_w, k_w;
	g_u32 stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
	g_u32 mi;
	g_u32 stage;		/* 8-bit outputs staged in shared memory */
	g_s32 blim;		/* k_pw: |bias| up to this keeps |sum + bias| < 2^22 */
};

/* Grouped and depthwise CONV2D, one thread per output element. */
struct g_conv {
	struct g_epi e;
	g_u64 in, w;
	g_u64 in_is, w_is;
	g_u64 total;		/* batch * out_h * out_w * out_c */
	g_u32 in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
	g_u32 stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
	g_u32 cig, cpo, in_signed;
	g_s32 zx, zw;
	g_u32 pad;
};

struct g_pool {
	g_u64 in, out;
	g_u64 in_is, out_is;
	g_u64 total;		/* batch * out_h * out_w * c */
	g_u32 avg, count_pad, in_signed;
	g_u32 in_h, in_w, c, out_h, out_w, k_h, k_w;
	g_u32 stride_h, stride_w, pad_top, pad_left;
	g_s32 zp, lo, hi;
};

struct g_elt_in {
	g_u64 p, p_is;
	g_u64 row_stride, col_stride;
	g_s32 zp, mult, shift;
	g_u32 pad;
};

/* ELTWISE flags as the uAPI's (binary32 modes, section 6.1). */
#define G_ELT_F32		(1u << 0)
#define G_ELT_F32_SCALAR_A	(1u << 1)
#define G_ELT_F32_SCALAR_B	(1u << 2)

struct g_elt {
	struct g_elt_in a, b;
	g_u64 out, out_is;
	g_u64 out_row_stride;
	g_u32 op, in_signed, rows, cols;
	g_s32 mult, shift, zp, lo, hi;
	g_u32 flags;
};

struct g_lut {
	g_u64 in, table, out;
	g_u64 in_is, table_is, out_is;
	g_u64 count;
	g_u32 flip;
	g_u32 pad;
};

struct g_fill {
	g_u64 dst, dst_is;
	g_u64 count;
	g_u32 elem_size, value;
};

/* Consecutive elements a thread of k_copy copies per loop step. */
#define G_COPY_RUN	8

struct g_copy {
	g_u64 src, dst;
	g_u64 src_is, dst_is;
	g_u64 total;		/* elements */
	g_u64 src_stride[4], dst_stride[4];
	g_u32 dims[4];
	g_u32 elem_size;
	g_u32 dense8;		/* bytes, dst dense in dims order, 8-aligned */
};

/* The QUANTIZE step, binary32 to 8 bits with one scale (cpu_ops.c). */
struct g_quant {
	g_u64 in, out;
	g_u64 in_is, out_is;
	g_u64 count;
	g_u32 scale;		/* binary32 bits */
	g_s32 zp, lo, hi;
};

/* The DEQUANTIZE step with one scale, 8 or 32 bits to binary32. */
struct g_dequant {
	g_u64 in, out;
	g_u64 in_is, out_is;
	g_u64 count;
	g_u32 scale;		/* binary32 bits */
	g_s32 zp;
	g_u32 dtype;		/* G_DT_* */
	g_u32 pad;
};

/*
 * The binary element-wise steps, binary32 (cpu_ops.c binary_run()); POW
 * the binary64 pow() rounded once.
 */
#define G_BIN_ADD	0
#define G_BIN_SUB	1
#define G_BIN_MUL	2
#define G_BIN_DIV	3
#define G_BIN_MAX	4
#define G_BIN_MIN	5
#define G_BIN_POW	6
#define G_MAX_RANK	6

struct g_binary {
	g_u64 a, b, y;
	g_u64 a_is, b_is, y_is;
	g_u64 count;		/* outputs: the product of @dims */
	g_u64 dims[G_MAX_RANK];	/* output dims, outermost first */
	g_u64 sa[G_MAX_RANK], sb[G_MAX_RANK];	/* element strides */
	g_u32 rank, op;
};

/*
 * The binary32 CONV step in onnxruntime's SGEMM order (cpu_sgemm.c), NCHW:
 * each output one chain of fused multiply-adds from zero per K slice of
 * @kstride, slices added in order, then the bias.
 */
/* Outputs per thread of k_sconv: channels x pixels, kept in registers. */
#define G_SC_OC		8
#define G_SC_PX		4

struct g_sconv {
	g_u64 x, w, bias, y;	/* bias 0: none */
	g_u64 x_is, y_is;
	g_s64 n, c, h, wd, oc, kh, kw, sh, sw, pt, pl, dh, dw, groups, oh, ow;
	g_s64 kstride;
};

/*
 * The unary steps (cpu_ops.c unary_run()), @op the step's opcode
 * (npurt.h). Exact: RELU, ABS, NEG, SQRT, CLIP, LEAKY_RELU, HARD_SIGMOID,
 * HARD_SWISH. By a binary64 math function: SIGMOID, TANH, EXP, ERF, GELU.
 */
#define G_UN_RELU		3	/* the npurt.h values: gpu_backend.c */
#define G_UN_SIGMOID		4	/* asserts they agree */
#define G_UN_TANH		5
#define G_UN_EXP		6
#define G_UN_ABS		7
#define G_UN_NEG		8
#define G_UN_SQRT		9
#define G_UN_CLIP		10
#define G_UN_LEAKY_RELU		11
#define G_UN_HARD_SIGMOID	22
#define G_UN_HARD_SWISH		23
#define G_UN_ERF		25
#define G_UN_GELU		26

struct g_unary {
	g_u64 x, y, x_is, y_is;
	g_u64 count;
	g_u32 op;
	g_u32 f0, f1;		/* binary32 bits: the step's f[0], f[1] */
	g_u32 gelu_tanh;	/* GELU: the tanh form (p[0]) */
};

/*
 * LAYER_NORM (cpu_ops.c layer_norm_run()): @rows rows of @n binary32,
 * each normalized in binary64 in the step's order; @scale and @bias
 * (0: none) shared by the items.
 */
struct g_lnorm {
	g_u64 x, y, scale, bias;
	g_u64 x_is, y_is;
	g_u64 rows, n;
	g_u32 eps;		/* binary32 bits */
	g_u32 pad;
};

/*
 * QLINEAR_SOFTMAX (cpu_ops.c qsoftmax_run()): @outer x @inner rows of
 * @len 8-bit elements @inner apart, by the host's table @t
 * (npurt_cpu_qsm_table()).
 */
struct g_qsm {
	g_u64 x, y, x_is, y_is;
	g_u64 outer, len, inner;
	g_u32 sgn, out_sgn;	/* int8 input, output */
	g_u32 ys, yzp;		/* binary32 bits: floor(1 / sy), zero point */
	float t[256];
};

/*
 * SOFTMAX and LOG_SOFTMAX (cpu_ops.c softmax_run()): @outer x @inner rows
 * of @len binary32 @inner apart; the maximum, then binary64 exp() and
 * log() as the step calls them.
 */
struct g_softmax {
	g_u64 x, y, x_is, y_is;
	g_u64 outer, len, inner;
	g_u32 log;		/* LOG_SOFTMAX */
	g_u32 pad;
};

/*
 * REDUCE (cpu_ops.c reduce_one()): @outer x @inner rows of @len binary32
 * @inner apart, each summed (or compared) in binary64 in the row's order;
 * @mode the step's p[3] (G_RED_*).
 */
#define G_RED_MEAN		0
#define G_RED_SUM		1
#define G_RED_MAX		2
#define G_RED_MIN		3
#define G_RED_PROD		4
#define G_RED_SUMSQ		5
#define G_RED_L2		6
#define G_RED_L1		7
#define G_RED_LOGSUM		8
#define G_RED_LOGSUMEXP		9

struct g_reduce {
	g_u64 x, y, x_is, y_is;
	g_u64 outer, len, inner;
	g_u32 mode;
	g_u32 pad;
};

/*
 * RESIZE (cpu_ops.c resize_run()): @nc planes of @h x @w binary32 to
 * @oh x @ow; @mode, @coord, @nearest and @exclude the step's p[6..9];
 * @fh, @fw, @cubic its f[0..2] as binary32 bits (a scale 0: from sizes).
 */
struct g_resize {
	g_u64 x, y, x_is, y_is;
	g_s64 nc, h, w, oh, ow;
	g_u32 mode, coord, nearest, exclude;
	g_u32 fh, fw, cubic;
	g_u32 pad;
};

/*
 * The QUANTIZE and DEQUANTIZE forms k_quant and k_dequant leave
 * (cpu_ops.c quant_run()): per axis (@channels > 0: element i's scale
 * and zero point those of channel (i / @inner) % @channels, from @scales
 * and @zps, 0: zero points 0), and per-tensor QUANTIZE with the zero
 * point added in binary32 before rounding (@channels 0: @scale, @zp).
 */
#define G_QS_QUANT		0	/* binary32 to 8 bits, per axis */
#define G_QS_DEQUANT		1	/* 8 or 32 bits to binary32, per axis */
#define G_QS_QUANT_ZF		2	/* QUANTIZE's p[3] = 1 form */

struct g_qstep {
	g_u64 in, out, scales, zps;
	g_u64 in_is, out_is, scales_is, zps_is;
	g_u64 count, channels, inner;
	g_u32 form;		/* G_QS_* */
	g_u32 dtype;		/* G_DT_* of the 8- or 32-bit side */
	g_u32 scale;		/* binary32 bits (G_QS_QUANT_ZF) */
	g_s32 zp;		/* (G_QS_QUANT_ZF) */
};

/*
 * The window of a float POOL or CONV step, 1-D to 3-D (a 2-D step has
 * depth 1: @d = @kd = @sd = @dd = @od = 1, @pf = @pk = 0): planes of
 * @d x @h x @w to @od x @oh x @ow, kernel @kd x @kh x @kw, strides,
 * dilations; pads front, top, left (@pf, @pt, @pl) and back, bottom,
 * right (@pk, @pb, @pr).
 */
struct g_win {
	g_s64 d, h, w, od, oh, ow, kd, kh, kw;
	g_s64 sd, sh, sw, dd, dh, dw, pf, pt, pl, pk, pb, pr;
};

/*
 * POOL (cpu_ops.c pool_run()), NCHW 1-D to 3-D, an output a thread: @nc
 * planes through @win.
 */
struct g_fpool {
	g_u64 x, y, x_is, y_is;
	g_s64 nc;
	struct g_win win;
	g_u32 avg;		/* 0: max; 1: average */
	g_u32 count_in;		/* average over the taps in the input */
	g_u32 f32;		/* binary32 sum and division (p[26]) */
	g_u32 pad;
};

/*
 * The naive binary32 CONV (cpu_ops.c conv_run(), p[26] = 0), NCHW 1-D to
 * 3-D with groups, an output a thread: binary64 sums from the bias over
 * the taps inside the input in (ci, kz, ky, kx) order, through @win (its
 * back, bottom and right pads unused); weights and bias (0: none) at
 * their own item strides.
 */
struct g_fconv {
	g_u64 x, w, bias, y;
	g_u64 x_is, w_is, bias_is, y_is;
	g_s64 n, c, oc, groups;
	struct g_win win;
};

/*
 * The binary32 GEMM step (cpu_ops.c gemm_run()), an output a thread:
 * @batch products of @m x @k by @k x @n (A, B transposed where @ta, @tb;
 * @sa, @sb elements between the batch's matrices, 0: shared), summed in
 * binary64 in k order, times alpha, plus beta C[m * @cm + n * @cn] (@c 0:
 * none), rounded once to binary32.
 */
struct g_fgemm {
	g_u64 a, b, c, y;
	g_u64 a_is, b_is, c_is, y_is;
	g_u64 m, n, k, batch, sa, sb, cm, cn;
	g_u32 ta, tb;
	g_u32 alpha, beta;	/* binary32 bits: the step's f[0], f[1] */
};

#endif /* NPURT_GPU_PARAMS_H */
