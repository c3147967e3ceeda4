/* SPDX-License-Identifier: MIT */
/*
 * npuc_ops.h - the functions the registry's rows name (ops_*.c) and the
 * window geometry shared by shape inference and the lowerings.
 */
#ifndef NPUC_OPS_H
#define NPUC_OPS_H

#include "npuc_ir.h"

/* Conv/pool windows over 1 to 3 spatial axes (index 0 = first spatial). */
struct wgeo {
	int sp;
	int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], o[3];
};

int win_geometry(const struct npuc_node *n, const struct npuc_tensor *in,
		 const int64_t *ks, bool pool, struct wgeo *g);
int reduce_axes(struct npuc_graph *g, const struct npuc_node *n, int rank,
		uint32_t *mask);

/* ops_math.c: scalar functions */
double ew_abs(const struct npuc_node *n, const double *v);
double ew_neg(const struct npuc_node *n, const double *v);
double ew_relu(const struct npuc_node *n, const double *v);
double ew_sigmoid(const struct npuc_node *n, const double *v);
double ew_tanh(const struct npuc_node *n, const double *v);
double ew_exp(const struct npuc_node *n, const double *v);
double ew_log(const struct npuc_node *n, const double *v);
double ew_sqrt(const struct npuc_node *n, const double *v);
double ew_erf(const struct npuc_node *n, const double *v);
double ew_floor(const struct npuc_node *n, const double *v);
double ew_ceil(const struct npuc_node *n, const double *v);
double ew_reciprocal(const struct npuc_node *n, const double *v);
double ew_softplus(const struct npuc_node *n, const double *v);
double ew_hardsigmoid(const struct npuc_node *n, const double *v);
double ew_hardswish(const struct npuc_node *n, const double *v);
double ew_leakyrelu(const struct npuc_node *n, const double *v);
double ew_elu(const struct npuc_node *n, const double *v);
double ew_gelu(const struct npuc_node *n, const double *v);
double ew_clip(const struct npuc_node *n, const double *v);
double ew_add(const struct npuc_node *n, const double *v);
double ew_sub(const struct npuc_node *n, const double *v);
double ew_mul(const struct npuc_node *n, const double *v);
double ew_div(const struct npuc_node *n, const double *v);
double ew_pow(const struct npuc_node *n, const double *v);
double ew_max(const struct npuc_node *n, const double *v);
double ew_min(const struct npuc_node *n, const double *v);
double ew_mod(const struct npuc_node *n, const double *v);
double ew_equal(const struct npuc_node *n, const double *v);
double ew_where(const struct npuc_node *n, const double *v);
double ew_cast(const struct npuc_node *n, const double *v);
int infer_cast(struct npuc_graph *g, struct npuc_node *n);
int infer_rowwise(struct npuc_graph *g, struct npuc_node *n);
int infer_reduce(struct npuc_graph *g, struct npuc_node *n);

/* ortmath.c: binary32 element functions */
float f32_relu(const struct npuc_node *n, const float *v);
float f32_clip(const struct npuc_node *n, const float *v);
float f32_sigmoid(const struct npuc_node *n, const float *v);
float f32_erf(const struct npuc_node *n, const float *v);
float f32_hardsigmoid(const struct npuc_node *n, const float *v);
float f32_leakyrelu(const struct npuc_node *n, const float *v);
float f32_add(const struct npuc_node *n, const float *v);
float f32_sub(const struct npuc_node *n, const float *v);
float f32_mul(const struct npuc_node *n, const float *v);
float f32_div(const struct npuc_node *n, const float *v);
float f32_neg(const struct npuc_node *n, const float *v);
float f32_abs(const struct npuc_node *n, const float *v);
float f32_sqrt(const struct npuc_node *n, const float *v);
float ort_logistic(float x);
float ort_erf(float x);

/* ops_shape.c */
int infer_constant(struct npuc_graph *g, struct npuc_node *n);
int infer_shape_op(struct npuc_graph *g, struct npuc_node *n);
int infer_constantofshape(struct npuc_graph *g, struct npuc_node *n);
int infer_range(struct npuc_graph *g, struct npuc_node *n);
int infer_identity(struct npuc_graph *g, struct npuc_node *n);
int infer_reshape(struct npuc_graph *g, struct npuc_node *n);
int infer_flatten(struct npuc_graph *g, struct npuc_node *n);
int infer_squeeze(struct npuc_graph *g, struct npuc_node *n);
int infer_unsqueeze(struct npuc_graph *g, struct npuc_node *n);
int infer_transpose(struct npuc_graph *g, struct npuc_node *n);
int views_transpose(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		    void *arg);
int infer_slice(struct npuc_graph *g, struct npuc_node *n);
int views_slice(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		void *arg);
int infer_concat(struct npuc_graph *g, struct npuc_node *n);
int views_concat(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg);
int infer_split(struct npuc_graph *g, struct npuc_node *n);
int views_split(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		void *arg);
int infer_gather(struct npuc_graph *g, struct npuc_node *n);
int views_gather(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg);
int infer_expand(struct npuc_graph *g, struct npuc_node *n);
int views_expand(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg);
int infer_tile(struct npuc_graph *g, struct npuc_node *n);
int views_tile(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
	       void *arg);
int infer_pad(struct npuc_graph *g, struct npuc_node *n);
int views_pad(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
	      void *arg);
int infer_resize(struct npuc_graph *g, struct npuc_node *n);
int views_resize(struct npuc_graph *g, struct npuc_node *n, mview_fn fn,
		 void *arg);

/* ops_nn.c */
int infer_conv(struct npuc_graph *g, struct npuc_node *n);
int infer_pool(struct npuc_graph *g, struct npuc_node *n);
int infer_matmul(struct npuc_graph *g, struct npuc_node *n);
int infer_gemm(struct npuc_graph *g, struct npuc_node *n);
int canon_quantize(struct npuc_graph *g, struct npuc_node *n);
int infer_quantize(struct npuc_graph *g, struct npuc_node *n);
int fold_quantize(struct npuc_graph *g, struct npuc_node *n);
int canon_dequantize(struct npuc_graph *g, struct npuc_node *n);
int infer_dequantize(struct npuc_graph *g, struct npuc_node *n);
int fold_dequantize(struct npuc_graph *g, struct npuc_node *n);
int infer_requant(struct npuc_graph *g, struct npuc_node *n);
int fold_requant(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearconv(struct npuc_graph *g, struct npuc_node *n);
int canon_convinteger(struct npuc_graph *g, struct npuc_node *n);
int canon_matmulinteger(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearmatmul(struct npuc_graph *g, struct npuc_node *n);
int canon_qgemm(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearadd(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearmul(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearconcat(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearsigmoid(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearleakyrelu(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearsoftmax(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearaveragepool(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearglobalaveragepool(struct npuc_graph *g, struct npuc_node *n);
int canon_qlinearreducemean(struct npuc_graph *g, struct npuc_node *n);

#endif /* NPUC_OPS_H */
