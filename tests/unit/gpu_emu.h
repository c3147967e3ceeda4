/* SPDX-License-Identifier: MIT */
/*
 * gpu_emu.h - enough of CUDA C on the host to run the GPU backend's
 * kernels that use no warp-level built-ins (runtime/src/gpu_kernels.cu
 * compiled as C++ with G_HOST_EMU): each CUDA thread of a block is a host
 * thread (__syncthreads() a barrier across them), __shared__ variables are
 * static (one block runs at a time), and the built-ins are their
 * definitions: dp4a's four products, __byte_perm's selector, the
 * correctly rounded binary32 operations (gpu_emu_float.h; the test
 * compiles with -ffp-contract=off, so nothing is fused). Warp shuffles and votes abort:
 * a kernel using them needs a warp-lockstep emulation this does not have.
 */
#ifndef NPURT_GPU_EMU_H
#define NPURT_GPU_EMU_H

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_emu_float.h"

#define G_HOST_EMU
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct g_emu_dim3 {
	unsigned int x, y, z;
};

extern thread_local g_emu_dim3 threadIdx, blockIdx;
extern g_emu_dim3 blockDim, gridDim;
extern pthread_barrier_t g_emu_barrier;

struct uint4 {
	unsigned int x, y, z, w;
};

template <typename T> static inline T __ldg(const T *p)
{
	return *p;
}

static inline void __syncthreads(void)
{
	pthread_barrier_wait(&g_emu_barrier);
}

static inline int __syncthreads_and(int)
{
	abort();
}

template <typename T> static inline T __shfl_xor_sync(unsigned int, T, int)
{
	abort();
}

template <typename T> static inline T __shfl_sync(unsigned int, T, int)
{
	abort();
}

static inline int __all_sync(unsigned int, int)
{
	abort();
}

static inline void __syncwarp(void)
{
	abort();
}

static inline unsigned int __byte_perm(unsigned int x, unsigned int y,
				       unsigned int s)
{
	uint64_t v = (uint64_t)y << 32 | x;
	unsigned int r = 0, i;

	for (i = 0; i < 4; i++)
		r |= (unsigned int)(v >> (8 * ((s >> (4 * i)) & 7)) & 0xff)
		     << (8 * i);
	return r;
}

static inline unsigned int __funnelshift_r(unsigned int lo, unsigned int hi,
					   unsigned int sh)
{
	return (unsigned int)(((uint64_t)hi << 32 | lo) >> (sh & 31));
}

static inline int atomicCAS(int *p, int cmp, int v)
{
	__atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return cmp;
}

/* CUDA's integer min/max overloads (mixed signedness compares unsigned) */
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline unsigned int min(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}
static inline unsigned int max(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}
static inline unsigned int min(unsigned int a, int b)
{
	return min(a, (unsigned int)b);
}
static inline unsigned int min(int a, unsigned int b)
{
	return min((unsigned int)a, b);
}
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }
static inline unsigned long long min(unsigned long long a,
				     unsigned long long b)
{
	return a < b ? a : b;
}

/* dp4a: c + the four byte products (a's bytes signed when @as), mod 2^32 */
static inline int g_emu_dp4a(unsigned int a, unsigned int b, int c, bool as)
{
	unsigned int r = (unsigned int)c, i;

	for (i = 0; i < 4; i++) {
		int x = as ? (int)(signed char)(a >> (8 * i)) :
			     (int)(a >> (8 * i) & 0xff);
		int y = (int)(signed char)(b >> (8 * i));

		r += (unsigned int)(x * y);
	}
	return (int)r;
}

#endif
