/* SPDX-License-Identifier: MIT */
/*
 * gpu_emu.h - enough of CUDA C on the host to run the GPU backend's
 * kernels (runtime/src/gpu_kernels.cu compiled as C++ with G_HOST_EMU):
 * each CUDA thread of a block is a host thread (__syncthreads() a barrier
 * across them), __shared__ variables are static (one block runs at a
 * time), and the built-ins are their definitions: dp4a's four products,
 * __byte_perm's selector, the correctly rounded binary32 operations
 * (gpu_emu_float.h; the test compiles with -ffp-contract=off, so nothing
 * is fused). Warp-level built-ins meet the warp's 32 threads at the
 * warp's own barrier and exchange values there (full masks only, as the
 * kernels use them): shuffles, __all_sync, __syncwarp, and mma.sync
 * m16n8k32 on int8 from the PTX fragment layouts (the 16 x 32 A and
 * 32 x 8 B rebuilt from the 32 lanes' registers, exact sums mod 2^32).
 * cp.async reads its source when issued and writes shared memory when
 * waited for (or at once, g_emu_cp_early), the two ends of the window
 * the hardware may use.
 */
#ifndef NPURT_GPU_EMU_H
#define NPURT_GPU_EMU_H

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

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

struct uint2 {
	unsigned int x, y;
};

template <typename T> static inline T __ldg(const T *p)
{
	return *p;
}

static inline void __syncthreads(void)
{
	pthread_barrier_wait(&g_emu_barrier);
}

/* A block's warps: their barriers and exchange slots (two, alternated). */
#define G_EMU_MAX_WARPS	32
#define G_EMU_XWORDS	6

struct g_emu_warp {
	pthread_barrier_t bar;
	uint64_t x[2][32][G_EMU_XWORDS];
};

extern struct g_emu_warp g_emu_warps[G_EMU_MAX_WARPS];
extern thread_local unsigned int g_emu_phase, g_emu_bphase;
extern int g_emu_band[2][1024];
extern bool g_emu_cp_early;

static inline void g_emu_full(unsigned int mask)
{
	if (mask != 0xffffffffu)
		abort();	/* the kernels' shuffles name every lane */
}

/*
 * This lane's @n words published and the warp met: the warp's slots.
 * Each exchange writes the other set of slots, so a lane still reading
 * the last one's is never overwritten (the next but one waits for it).
 */
static inline const uint64_t (*g_emu_exchange(const uint64_t *v,
					      unsigned int n))[G_EMU_XWORDS]
{
	struct g_emu_warp *w = &g_emu_warps[threadIdx.x / 32];
	uint64_t (*x)[G_EMU_XWORDS] = w->x[g_emu_phase];

	memcpy(x[threadIdx.x % 32], v, 8 * n);
	g_emu_phase ^= 1;
	pthread_barrier_wait(&w->bar);
	return x;
}

template <typename T> static inline T g_emu_lane(T v, unsigned int src)
{
	uint64_t u = 0;
	T r;

	memcpy(&u, &v, sizeof(T));
	memcpy(&r, &g_emu_exchange(&u, 1)[src % 32][0], sizeof(T));
	return r;
}

template <typename T> static inline T __shfl_xor_sync(unsigned int mask, T v,
						      int lm)
{
	g_emu_full(mask);
	return g_emu_lane(v, (threadIdx.x % 32) ^ (unsigned int)lm);
}

template <typename T> static inline T __shfl_sync(unsigned int mask, T v,
						  int src)
{
	g_emu_full(mask);
	return g_emu_lane(v, (unsigned int)src);
}

static inline int __all_sync(unsigned int mask, int p)
{
	uint64_t u = p != 0;
	const uint64_t (*x)[G_EMU_XWORDS];
	int all = 1, l;

	g_emu_full(mask);
	x = g_emu_exchange(&u, 1);
	for (l = 0; l < 32; l++)
		all &= x[l][0] != 0;
	return all;
}

static inline void __syncwarp(void)
{
	pthread_barrier_wait(&g_emu_warps[threadIdx.x / 32].bar);
}

/* __syncthreads() and the AND of every thread's @p (alternate slots). */
static inline int __syncthreads_and(int p)
{
	int *b = g_emu_band[g_emu_bphase], all = 1;
	unsigned int i;

	b[threadIdx.x] = p != 0;
	g_emu_bphase ^= 1;
	pthread_barrier_wait(&g_emu_barrier);
	for (i = 0; i < blockDim.x; i++)
		all &= b[i];
	return all;
}

/*
 * mma.sync.aligned.m16n8k32.row.col.s32.{u8,s8}.s8.s32, d += A * B:
 * lane 4g + t holds A (row-major) rows g (a0, a2) and g + 8 (a1, a3),
 * k bytes 4t.. (a0, a1) and 16 + 4t.. (a2, a3); B (column-major) column
 * g, k bytes 4t.. (b0) and 16 + 4t.. (b1); D rows g (d0, d1) and g + 8
 * (d2, d3), columns 2t and 2t + 1.
 */
static inline void g_emu_mma(int (&d)[4], const unsigned int (&a)[4],
			     unsigned int b0, unsigned int b1, bool as)
{
	uint64_t v[G_EMU_XWORDS] = { a[0], a[1], a[2], a[3], b0, b1 };
	const uint64_t (*x)[G_EMU_XWORDS] = g_emu_exchange(v, G_EMU_XWORDS);
	unsigned int g = threadIdx.x % 32 / 4, t = threadIdx.x % 4, i, k;

	for (i = 0; i < 4; i++) {
		unsigned int row = g + 8 * (i / 2), col = 2 * t + i % 2;
		unsigned int sum = (unsigned int)d[i];

		for (k = 0; k < 32; k++) {
			unsigned int kw = k / 4, sh = 8 * (k % 4);
			unsigned int aw = (unsigned int)x[4 * (row % 8) + kw % 4]
				[(row >= 8) + 2 * (kw >= 4)];
			unsigned int bw = (unsigned int)x[4 * col + kw % 4]
				[4 + (kw >= 4)];
			int xa = as ? (int)(signed char)(aw >> sh) :
				      (int)(aw >> sh & 0xff);
			int xb = (int)(signed char)(bw >> sh);

			sum += (unsigned int)(xa * xb);
		}
		d[i] = (int)sum;
	}
}

/* cp.async of 4 bytes: @n read now (the rest zero), landing later. */
struct g_emu_cp {
	unsigned int *dst, v;
};

extern thread_local std::vector<std::vector<g_emu_cp>> g_emu_cp_groups;
extern thread_local std::vector<g_emu_cp> g_emu_cp_open;

static inline void g_emu_cp_async4(unsigned int *dst, const unsigned char *src,
				   unsigned int n)
{
	unsigned int v = 0, i;

	if (n > 4)
		abort();
	for (i = 0; i < n; i++)
		v |= (unsigned int)src[i] << (8 * i);
	if (g_emu_cp_early)
		*dst = v;
	else
		g_emu_cp_open.push_back({ dst, v });
}

static inline void g_emu_cp_commit(void)
{
	g_emu_cp_groups.push_back(g_emu_cp_open);
	g_emu_cp_open.clear();
}

/* The oldest groups land until at most @n are in flight. */
static inline void g_emu_cp_wait(unsigned int n)
{
	while (g_emu_cp_groups.size() > n) {
		for (const g_emu_cp &c : g_emu_cp_groups.front())
			*c.dst = c.v;
		g_emu_cp_groups.erase(g_emu_cp_groups.begin());
	}
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
