/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npu_ops_shim.h - the environment of the command engine (npu_ops.c).
 *
 * npu_ops.c is compiled into rm_npu.ko and into userspace (the libnpurt CPU
 * backend and the host tests). This header is the only one of its headers
 * that includes kernel or C library headers; it gives both builds the same
 * names: u8..u64, s8..s64, bool, memset()/memcpy(), EINVAL,
 * __always_inline, npu_read_once() (one untorn, non-repeated load of a
 * scalar that other agents may write concurrently), npu_div_u64() and
 * npu_div64_u64(),
 * npu_simd_clones (multiversioning of the hot functions, userspace only),
 * the CPU feature tests of the SIMD variants (npu_cpu_avx2(),
 * npu_cpu_avx512()) and the brackets of SIMD code (npu_simd_begin(),
 * npu_simd_end(): kernel_fpu_begin()/_end() in the kernel).
 *
 * NPU_OPS_HAVE_AVX2 and NPU_OPS_HAVE_AVX512 say which SIMD variants are
 * built: in the kernel Kbuild defines them when the compiler takes the
 * flags; in userspace this header does on x86-64 GCC and clang.
 *
 * NPU_OPS_SCALAR (always set in the kernel; userspace may set it, the host
 * tests do) selects inner loops written for scalar registers instead of
 * loops the compiler can vectorize. Both compute the same integers.
 */
#ifndef _NPU_OPS_SHIM_H
#define _NPU_OPS_SHIM_H

#ifdef __KERNEL__

#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/types.h>

#ifdef CONFIG_X86_64
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#endif

#define npu_read_once(x)	READ_ONCE(x)

/*
 * Outside the SIMD variants (which the kernel runs between
 * kernel_fpu_begin() and kernel_fpu_end()) there are no SIMD registers:
 * pick the loops written for scalar.
 */
#if !defined(NPU_OPS_SCALAR) && !defined(NPU_OPS_SIMD_UNIT)
#define NPU_OPS_SCALAR
#endif

#define npu_simd_clones

#ifdef CONFIG_X86_64
static inline bool npu_cpu_avx2(void)
{
	return boot_cpu_has(X86_FEATURE_AVX2) &&
	       cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM, NULL);
}

static inline bool npu_cpu_avx512(void)
{
	return boot_cpu_has(X86_FEATURE_AVX512F) &&
	       boot_cpu_has(X86_FEATURE_AVX512BW) &&
	       boot_cpu_has(X86_FEATURE_AVX512VL) &&
	       boot_cpu_has(X86_FEATURE_AVX512DQ) &&
	       boot_cpu_has(X86_FEATURE_AVX512_VNNI) &&
	       cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM |
				 XFEATURE_MASK_AVX512, NULL);
}

static inline bool npu_cpu_avx512_vbmi(void)
{
	return boot_cpu_has(X86_FEATURE_AVX512VBMI);
}

static inline bool npu_cpu_fma(void)
{
	return boot_cpu_has(X86_FEATURE_FMA);
}

#define npu_simd_begin()	kernel_fpu_begin()
#define npu_simd_end()		kernel_fpu_end()
#else
#undef NPU_OPS_HAVE_AVX2
#undef NPU_OPS_HAVE_AVX512
#endif

static inline u64 npu_div_u64(u64 dividend, u32 divisor)
{
	return div_u64(dividend, divisor);
}

/* For divisors that may reach 2^32 (pixel counts): never truncated. */
static inline u64 npu_div64_u64(u64 dividend, u64 divisor)
{
	return div64_u64(dividend, divisor);
}

#else /* !__KERNEL__ */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef int8_t s8;
typedef uint16_t u16;
typedef int16_t s16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;

/* glibc's <sys/cdefs.h> defines __always_inline; elsewhere, a hint. */
#ifndef __always_inline
#define __always_inline		inline
#endif

#define npu_read_once(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

static inline u64 npu_div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

static inline u64 npu_div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

/*
 * x86-64 Linux userspace: the functions holding the vectorizable loops are
 * also built for x86-64-v3 (AVX2), chosen at load time (GNU ifunc).
 * NPU_OPS_NO_CLONES keeps the baseline build only.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && \
	!defined(__clang__) && !defined(NPU_OPS_NO_CLONES)
#define npu_simd_clones	\
	__attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define npu_simd_clones
#endif

/* The SIMD variants are written for GCC (clang builds only the portable one). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(NPU_OPS_NO_SIMD)
#define NPU_OPS_HAVE_AVX2
#define NPU_OPS_HAVE_AVX512

/* libgcc's tests also check that the OS saves the registers (XCR0). */
static inline bool npu_cpu_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

static inline bool npu_cpu_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl") &&
	       __builtin_cpu_supports("avx512dq") &&
	       __builtin_cpu_supports("avx512vnni");
}

static inline bool npu_cpu_avx512_vbmi(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512vbmi");
}

static inline bool npu_cpu_fma(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("fma");
}
#endif

#define npu_simd_begin()	do { } while (0)
#define npu_simd_end()		do { } while (0)

#endif /* __KERNEL__ */

/*
 * The compiler's SIMD intrinsics, for the SIMD variants only. GCC's
 * <mm_malloc.h> includes <stdlib.h>, which the kernel has not: its guard is
 * set first (nothing here allocates).
 */
#if defined(NPU_OPS_SIMD_UNIT) && !defined(__CHECKER__)
#ifdef __KERNEL__
#define _MM_MALLOC_H_INCLUDED
#endif
#include <immintrin.h>
#endif

#endif /* _NPU_OPS_SHIM_H */
