/* SPDX-License-Identifier: MIT */
/*
 * tensor.h - the body of an npurt_tensor: a description and the memory
 * holding it (host, a device's buffer object, or the caller's).
 */
#ifndef NPURT_TENSOR_H
#define NPURT_TENSOR_H

#include "memory.h"

struct npurt_tensor {
	struct npurt_tensor_desc desc;
	uint8_t *data;
	size_t size;
	struct npurt_mem mem;		/* NPURT_MEM_NONE when wrapped */
	npurt_device *dev;		/* owner of @mem when device memory */
};

#endif /* NPURT_TENSOR_H */
