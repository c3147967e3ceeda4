/* SPDX-License-Identifier: MIT */
/*
 * common.h - what every libnpurt source shares: the detail-message error
 * helper, logging, overflow-safe arithmetic, clocks and tensor descriptions.
 */
#ifndef NPURT_COMMON_H
#define NPURT_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npurt.h"

#define NPURT_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NPURT_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/* Every opcode: what the CPU backend and the program loader accept. */
#define NPURT_ALL_CAPS		((RM_NPU_CAP(RM_NPU_OP_COUNT) - 1) | \
				 RM_NPU_CAP_F32_RESCALE)

/* Tensors: largest size in bytes, so that offsets and sums never wrap. */
#define NPURT_MAX_TENSOR_BYTES	(1ULL << 48)

/* error.c: store the detail message and return @err (negative errno). */
int npurt_err(int err, const char *fmt, ...) NPURT_PRINTF(2, 3);
/* error.c: prefix the current detail message with "@prefix: ". */
int npurt_err_prefix(int err, const char *fmt, ...) NPURT_PRINTF(2, 3);

/* log.c */
void npurt_log(enum npurt_log_level level, const char *fmt, ...)
	NPURT_PRINTF(2, 3);
#define npurt_info(...)		npurt_log(NPURT_LOG_INFO, __VA_ARGS__)
#define npurt_warn(...)		npurt_log(NPURT_LOG_WARN, __VA_ARGS__)
#define npurt_error(...)	npurt_log(NPURT_LOG_ERROR, __VA_ARGS__)

/* Monotonic clock, nanoseconds. */
uint64_t npurt_now_ns(void);

static inline bool npurt_mul_ok(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

static inline bool npurt_add_ok(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

static inline uint64_t npurt_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/* tensor.c: the body of an npurt_tensor_desc. */
struct npurt_tensor_desc {
	char name[NPURT_NAME_MAX];
	enum npurt_dtype dtype;
	unsigned int ndim;
	uint64_t dims[NPURT_MAX_DIMS];
	uint64_t strides[NPURT_MAX_DIMS];
	uint64_t elements;
	uint64_t size;
	char layout[NPURT_MAX_DIMS + 1];
	float scale;
	int32_t zero_point;
};

/* Fill @d from @info after checking every field. Return: 0 or -EINVAL. */
int npurt_desc_init(struct npurt_tensor_desc *d,
		    const struct npurt_tensor_info *info);
/* Recompute strides, elements and size; -EINVAL on overflow or limits. */
int npurt_desc_finish(struct npurt_tensor_desc *d);

#endif /* NPURT_COMMON_H */
