/* SPDX-License-Identifier: MIT */
/*
 * example_mlp.h - a small quantized MLP built with the program builder,
 * shared by the examples, the tests and the benchmark:
 *
 *   x  INT8  [m, k]  --GEMM(W1, b1), requant, ReLU-->  h  INT8 [m, hid]
 *   h        --GEMM(W2, b2), requant-->                z  INT8 [m, n]
 *   z        --LUT (a sigmoid-like table)-->           y  UINT8 [m, n]
 *
 * Weights come from a fixed pseudo-random sequence (mlp_weights()), so a
 * test can recompute the result with naive loops.
 */
#ifndef EXAMPLE_MLP_H
#define EXAMPLE_MLP_H

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <npurt.h>

struct mlp_shape {
	uint32_t m;		/* rows (batch) */
	uint32_t k;		/* input features */
	uint32_t hid;		/* hidden features */
	uint32_t n;		/* outputs */
	uint32_t seed;
};

/* Requantization of both layers: scale = mult * 2^(shift - 31). */
#define MLP_MULT	(1 << 30)
#define MLP_SHIFT1	(-8)
#define MLP_SHIFT2	(-7)

static inline uint32_t mlp_rand(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

/* Deterministic weights: w1 [k][hid], b1 [hid], w2 [hid][n], b2 [n], lut. */
static inline void mlp_weights(const struct mlp_shape *s, int8_t *w1,
			       int32_t *b1, int8_t *w2, int32_t *b2,
			       uint8_t *lut)
{
	uint32_t st = s->seed, i;

	for (i = 0; i < s->k * s->hid; i++)
		w1[i] = (int8_t)((int)(mlp_rand(&st) % 32) - 16);
	for (i = 0; i < s->hid; i++)
		b1[i] = (int32_t)(mlp_rand(&st) % 2048) - 1024;
	for (i = 0; i < s->hid * s->n; i++)
		w2[i] = (int8_t)((int)(mlp_rand(&st) % 32) - 16);
	for (i = 0; i < s->n; i++)
		b2[i] = (int32_t)(mlp_rand(&st) % 2048) - 1024;
	for (i = 0; i < 256; i++)	/* index i is the int8 value i - 128 */
		lut[i] = (uint8_t)(255.0 / (1.0 + exp(-((int)i - 128) / 16.0)));
}

/* Inputs in -64..63 from @seed. */
static inline void mlp_input(int8_t *x, size_t count, uint32_t seed)
{
	size_t i;

	for (i = 0; i < count; i++)
		x[i] = (int8_t)((int)(mlp_rand(&seed) % 128) - 64);
}

static inline struct npurt_tensor_info mlp_tensor(const char *name,
						  uint32_t dtype, uint64_t d0,
						  uint64_t d1,
						  const char *layout)
{
	struct npurt_tensor_info t;

	memset(&t, 0, sizeof(t));
	t.name = name;
	t.dtype = dtype;
	t.ndim = 2;
	t.dims[0] = d0;
	t.dims[1] = d1;
	t.layout = layout;
	return t;
}

static inline void mlp_gemm(struct rm_npu_cmd *c, uint32_t a, uint32_t b,
			    uint32_t bias, uint32_t out, uint32_t m,
			    uint32_t k, uint32_t n, int32_t shift,
			    int32_t act_min)
{
	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_GEMM;
	c->flags = RM_NPU_MM_BIAS;
	c->gemm.a.bo = a;
	c->gemm.b.bo = b;
	c->gemm.bias.bo = bias;
	c->gemm.out.bo = out;
	c->gemm.m = m;
	c->gemm.n = n;
	c->gemm.k = k;
	c->gemm.lda = k;
	c->gemm.ldb = n;
	c->gemm.ldo = n;
	c->gemm.a_dtype = RM_NPU_DT_INT8;
	c->gemm.out_dtype = RM_NPU_DT_INT8;
	c->gemm.rq.mult = MLP_MULT;
	c->gemm.rq.shift = shift;
	c->gemm.rq.act_min = act_min;
	c->gemm.rq.act_max = 127;
}

/* Slots of the MLP program, in the order mlp_build() adds them. */
struct mlp_slots {
	int x, y, w1, b1, w2, b2, lut, h, z;
};

static inline int mlp_add_slots(npurt_program_builder *b,
				const struct mlp_shape *s, const int8_t *w1,
				const int32_t *b1, const int8_t *w2,
				const int32_t *b2, const uint8_t *lut,
				struct mlp_slots *sl)
{
	struct npurt_tensor_info t;

	t = mlp_tensor("x", NPURT_DTYPE_INT8, s->m, s->k, "NC");
	t.scale = 0.05f;
	sl->x = npurt_program_builder_add_input(b, &t);
	t = mlp_tensor("y", NPURT_DTYPE_UINT8, s->m, s->n, "NC");
	t.scale = 1.0f / 255;
	sl->y = npurt_program_builder_add_output(b, &t);
	t = mlp_tensor("w1", NPURT_DTYPE_INT8, s->k, s->hid, NULL);
	sl->w1 = npurt_program_builder_add_weights(b, &t, w1, s->k * s->hid);
	t = mlp_tensor("b1", NPURT_DTYPE_INT32, 1, s->hid, NULL);
	sl->b1 = npurt_program_builder_add_weights(b, &t, b1, 4 * s->hid);
	t = mlp_tensor("w2", NPURT_DTYPE_INT8, s->hid, s->n, NULL);
	sl->w2 = npurt_program_builder_add_weights(b, &t, w2, s->hid * s->n);
	t = mlp_tensor("b2", NPURT_DTYPE_INT32, 1, s->n, NULL);
	sl->b2 = npurt_program_builder_add_weights(b, &t, b2, 4 * s->n);
	t = mlp_tensor("sigmoid", NPURT_DTYPE_UINT8, 1, 256, NULL);
	sl->lut = npurt_program_builder_add_weights(b, &t, lut, 256);
	sl->h = npurt_program_builder_add_scratch(b, "h", s->m * s->hid);
	sl->z = npurt_program_builder_add_scratch(b, "z", s->m * s->n);
	if (sl->x < 0)
		return sl->x;
	if (sl->y < 0 || sl->w1 < 0 || sl->b1 < 0 || sl->w2 < 0 ||
	    sl->b2 < 0 || sl->lut < 0 || sl->h < 0 || sl->z < 0)
		return -22;	/* -EINVAL */
	return 0;
}

static inline int mlp_add_cmds(npurt_program_builder *b,
			       const struct mlp_shape *s,
			       const struct mlp_slots *sl)
{
	struct rm_npu_cmd c;
	int ret;

	mlp_gemm(&c, sl->x, sl->w1, sl->b1, sl->h, s->m, s->k, s->hid,
		 MLP_SHIFT1, 0 /* ReLU */);
	ret = npurt_program_builder_add_cmd(b, &c);
	if (ret < 0)
		return ret;
	mlp_gemm(&c, sl->h, sl->w2, sl->b2, sl->z, s->m, s->hid, s->n,
		 MLP_SHIFT2, -128);
	ret = npurt_program_builder_add_cmd(b, &c);
	if (ret < 0)
		return ret;
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_LUT;
	c.lut.in.bo = sl->z;
	c.lut.table.bo = sl->lut;
	c.lut.out.bo = sl->y;
	c.lut.count = (uint64_t)s->m * s->n;
	c.lut.dtype = RM_NPU_DT_INT8;
	ret = npurt_program_builder_add_cmd(b, &c);
	return ret < 0 ? ret : 0;
}

/* Build the program. Return: 0 or a negative errno. */
static inline int mlp_build(const struct mlp_shape *s, npurt_program **out)
{
	size_t nw1 = (size_t)s->k * s->hid, nw2 = (size_t)s->hid * s->n;
	int8_t *w1 = malloc(nw1), *w2 = malloc(nw2);
	int32_t *b1 = malloc(4 * (size_t)s->hid), *b2 = malloc(4 * (size_t)s->n);
	npurt_program_builder *b = NULL;
	struct mlp_slots sl;
	uint8_t lut[256];
	int ret = -12;	/* -ENOMEM */

	if (w1 && w2 && b1 && b2) {
		mlp_weights(s, w1, b1, w2, b2, lut);
		ret = npurt_program_builder_create("mlp", &b);
	}
	if (!ret)
		ret = mlp_add_slots(b, s, w1, b1, w2, b2, lut, &sl);
	if (!ret)
		ret = mlp_add_cmds(b, s, &sl);
	if (!ret)
		ret = npurt_program_builder_finish(b, out);
	npurt_program_builder_destroy(b);
	free(w1);
	free(w2);
	free(b1);
	free(b2);
	return ret;
}

#endif /* EXAMPLE_MLP_H */
