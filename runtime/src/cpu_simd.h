/* SPDX-License-Identifier: MIT */
/*
 * cpu_simd.h - vectorized loops of the CPU steps (cpu_ops.c), each doing
 * the same IEEE operations per element as the portable loop it stands
 * for, so every variant gives the same bytes. @isa: 1 AVX2 (with FMA), 2
 * AVX-512 (npurt_cpu_step_isa_now()); each returns how many leading
 * elements it did (0 for a variant it does not have), the caller doing
 * the rest.
 */
#ifndef NPURT_CPU_SIMD_H
#define NPURT_CPU_SIMD_H

#include <stdbool.h>
#include <stdint.h>

/* Per-tensor QUANTIZE: cpu_ops.c quant_tensor(). */
uint64_t npurt_simd_quant_avx512(const float *x, uint8_t *y, uint64_t n,
				 float s, int32_t zp, float tlo, float thi);
uint64_t npurt_simd_quant_avx2(const float *x, uint8_t *y, uint64_t n,
			       float s, int32_t zp, float tlo, float thi,
			       bool sgn);

/* Per-tensor DEQUANTIZE of 8-bit @dt: y = (float)(x - zp) * s. */
uint64_t npurt_simd_dequant(int isa, const void *x, float *y, uint64_t n,
			    float s, int32_t zp, uint32_t dt);

/*
 * y[j] = a[j * sa] OP b[j * sb] for ADD, SUB, MUL, DIV, MAX (a > b ? a :
 * b) and MIN (a < b ? a : b), strides 0 or 1.
 */
uint64_t npurt_simd_binary(int isa, uint32_t opcode, const float *a,
			   unsigned int sa, const float *b, unsigned int sb,
			   float *y, uint64_t n);

#endif /* NPURT_CPU_SIMD_H */
