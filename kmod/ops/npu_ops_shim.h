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
 * npu_simd_clones (multiversioning of the hot functions, userspace only).
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

#define npu_read_once(x)	READ_ONCE(x)

/* No SIMD registers in the kernel: pick the loops written for scalar. */
#ifndef NPU_OPS_SCALAR
#define NPU_OPS_SCALAR
#endif

#define npu_simd_clones

static inline u64 npu_div_u64(u64 dividend, u32 divisor)
{
	return div_u64(dividend, divisor);
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

#endif /* __KERNEL__ */

#endif /* _NPU_OPS_SHIM_H */
