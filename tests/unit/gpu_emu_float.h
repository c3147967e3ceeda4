/* SPDX-License-Identifier: MIT */
/*
 * gpu_emu_float.h - CUDA's explicitly rounded binary32 built-ins on the
 * host, for the tests that run the GPU backend's CUDA C there (C and
 * C++: test_gpu_steps.c, gpu_emu.h). Their definitions are the IEEE
 * operations; the including test is compiled so that nothing is
 * contracted into a fused multiply-add (ISO C, or -ffp-contract=off).
 */
#ifndef NPURT_GPU_EMU_FLOAT_H
#define NPURT_GPU_EMU_FLOAT_H

#include <math.h>
#include <string.h>

static inline float __int_as_float(int i)
{
	float f;

	memcpy(&f, &i, sizeof(f));
	return f;
}

static inline int __float_as_int(float f)
{
	int i;

	memcpy(&i, &f, sizeof(i));
	return i;
}

static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fmaf_rn(float a, float b, float c)
{
	return fmaf(a, b, c);
}

static inline float __int2float_rn(int i) { return (float)i; }
static inline float __ll2float_rn(long long v) { return (float)v; }
/* (the default rounding mode: to nearest, ties to even) */
static inline long long __float2ll_rn(float f) { return llrintf(f); }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline double __dsqrt_rn(double a) { return sqrt(a); }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
static inline float __double2float_rn(double a) { return (float)a; }
static inline double __ull2double_rn(unsigned long long v)
{
	return (double)v;
}

#endif
