// SPDX-License-Identifier: MIT
/*
 * tensor.c - data types, tensor descriptions (shape, strides in items,
 * layout and axis names, quantization) and tensors in host, device or
 * caller memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "tensor.h"

static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
	[NPURT_DTYPE_FLOAT16] = { "FLOAT16", 2 },
	[NPURT_DTYPE_FLOAT32] = { "FLOAT32", 4 },
	[NPURT_DTYPE_BFLOAT16] = { "BFLOAT16", 2 },
	[NPURT_DTYPE_INT8] = { "INT8", 1 },
	[NPURT_DTYPE_INT16] = { "INT16", 2 },
	[NPURT_DTYPE_INT32] = { "INT32", 4 },
	[NPURT_DTYPE_INT64] = { "INT64", 8 },
	[NPURT_DTYPE_UINT8] = { "UINT8", 1 },
};

NPURT_API const char *npurt_dtype_name(enum npurt_dtype dtype)
{
	if ((unsigned int)dtype >= NPURT_ARRAY_SIZE(dtypes) ||
	    !dtypes[dtype].name)
		return "UNKNOWN";
	return dtypes[dtype].name;
}

NPURT_API size_t npurt_dtype_size(enum npurt_dtype dtype)
{
	if ((unsigned int)dtype >= NPURT_ARRAY_SIZE(dtypes))
		return 0;
	return dtypes[dtype].size;
}

/* Printable, no control characters: names end up in messages and logs. */
static bool desc_name_ok(const char *name)
{
	size_t n;

	if (!name)
		return false;
	for (n = 0; name[n]; n++)
		if ((unsigned char)name[n] < 0x20 || name[n] == 0x7f ||
		    n + 1 >= NPURT_NAME_MAX)
			return false;
	return n > 0;
}

int npurt_desc_finish(struct npurt_tensor_desc *d)
{
	uint64_t n = 1;
	int i;

	if (!npurt_dtype_size(d->dtype) || !d->ndim || d->ndim > NPURT_MAX_DIMS)
		return npurt_err(-EINVAL, "tensor \"%s\": bad dtype or rank",
				 d->name);
	for (i = (int)d->ndim - 1; i >= 0; i--) {
		d->strides[i] = n;
		if (!d->dims[i] || !npurt_mul_ok(n, d->dims[i], &n) ||
		    n > NPURT_MAX_TENSOR_BYTES)
			return npurt_err(-EINVAL, "tensor \"%s\": dimension %d "
					 "is 0 or the shape is too large",
					 d->name, i);
	}
	d->elements = n;
	if (!npurt_mul_ok(n, npurt_dtype_size(d->dtype), &d->size) ||
	    d->size > NPURT_MAX_TENSOR_BYTES)
		return npurt_err(-EINVAL, "tensor \"%s\": larger than 2^48 "
				 "bytes", d->name);
	return 0;
}

static int desc_layout(struct npurt_tensor_desc *d, const char *layout)
{
	size_t i, n = layout ? strlen(layout) : 0;

	if (!n)
		return 0;
	if (n != d->ndim)
		return npurt_err(-EINVAL, "tensor \"%s\": layout \"%s\" does "
				 "not have one letter per axis (%u)", d->name,
				 layout, d->ndim);
	for (i = 0; i < n; i++)
		if (layout[i] < 'A' || layout[i] > 'Z')
			return npurt_err(-EINVAL, "tensor \"%s\": layout "
					 "letters must be A-Z", d->name);
	memcpy(d->layout, layout, n + 1);
	return 0;
}

int npurt_desc_init(struct npurt_tensor_desc *d,
		    const struct npurt_tensor_info *info)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	if (!info)
		return npurt_err(-EINVAL, "tensor info is NULL");
	if (!desc_name_ok(info->name))
		return npurt_err(-EINVAL, "tensor name missing, too long "
				 "(most %d) or not printable", NPURT_NAME_MAX - 1);
	snprintf(d->name, sizeof(d->name), "%s", info->name);
	for (i = 0; i < NPURT_ARRAY_SIZE(info->reserved); i++)
		if (info->reserved[i])
			return npurt_err(-EINVAL, "tensor \"%s\": reserved "
					 "fields must be 0", d->name);
	if (!isfinite(info->scale) || info->scale < 0)
		return npurt_err(-EINVAL, "tensor \"%s\": scale must be finite "
				 "and >= 0", d->name);
	d->dtype = (enum npurt_dtype)info->dtype;
	d->ndim = info->ndim;
	if (d->ndim > NPURT_MAX_DIMS)
		return npurt_err(-EINVAL, "tensor \"%s\": rank %u above %d",
				 d->name, d->ndim, NPURT_MAX_DIMS);
	memcpy(d->dims, info->dims, d->ndim * sizeof(d->dims[0]));
	d->scale = info->scale;
	d->zero_point = info->zero_point;
	if (npurt_desc_finish(d))
		return -EINVAL;
	return desc_layout(d, info->layout);
}

NPURT_API int npurt_tensor_desc_create(const struct npurt_tensor_info *info,
				       npurt_tensor_desc **out)
{
	npurt_tensor_desc *d;
	int ret;

	if (!out)
		return npurt_err(-EINVAL, "npurt_tensor_desc_create: out is NULL");
	*out = NULL;
	d = malloc(sizeof(*d));
	if (!d)
		return npurt_err(-ENOMEM, "out of memory");
	ret = npurt_desc_init(d, info);
	if (ret) {
		free(d);
		return ret;
	}
	*out = d;
	return 0;
}

NPURT_API void npurt_tensor_desc_destroy(npurt_tensor_desc *desc)
{
	free(desc);
}

NPURT_API const char *npurt_tensor_desc_name(const npurt_tensor_desc *d)
{
	return d ? d->name : NULL;
}

NPURT_API enum npurt_dtype npurt_tensor_desc_dtype(const npurt_tensor_desc *d)
{
	return d ? d->dtype : (enum npurt_dtype)0;
}

NPURT_API unsigned int npurt_tensor_desc_ndim(const npurt_tensor_desc *d)
{
	return d ? d->ndim : 0;
}

NPURT_API uint64_t npurt_tensor_desc_dim(const npurt_tensor_desc *d,
					 unsigned int axis)
{
	return d && axis < d->ndim ? d->dims[axis] : 0;
}

NPURT_API const uint64_t *npurt_tensor_desc_shape(const npurt_tensor_desc *d)
{
	return d ? d->dims : NULL;
}

NPURT_API const uint64_t *
npurt_tensor_desc_strides(const npurt_tensor_desc *d)
{
	return d ? d->strides : NULL;
}

NPURT_API uint64_t npurt_tensor_desc_size(const npurt_tensor_desc *d)
{
	return d ? d->size : 0;
}

NPURT_API uint64_t npurt_tensor_desc_elements(const npurt_tensor_desc *d)
{
	return d ? d->elements : 0;
}

NPURT_API const char *npurt_tensor_desc_layout(const npurt_tensor_desc *d)
{
	return d ? d->layout : NULL;
}

static const char *const axis_names[26] = {
	['N' - 'A'] = "batch", ['C' - 'A'] = "channel",
	['H' - 'A'] = "height", ['W' - 'A'] = "width",
	['D' - 'A'] = "depth", ['T' - 'A'] = "time",
	['L' - 'A'] = "length",
};

static const char *const axis_letters[26] = {
	"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M",
	"N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
};

static const char *const axis_dims[NPURT_MAX_DIMS] = {
	"dim0", "dim1", "dim2", "dim3", "dim4", "dim5", "dim6", "dim7",
};

NPURT_API const char *npurt_tensor_desc_axis_name(const npurt_tensor_desc *d,
						  unsigned int axis)
{
	int letter;

	if (!d || axis >= d->ndim)
		return NULL;
	if (!d->layout[0])
		return axis_dims[axis];
	letter = d->layout[axis] - 'A';
	return axis_names[letter] ? axis_names[letter] : axis_letters[letter];
}

NPURT_API float npurt_tensor_desc_scale(const npurt_tensor_desc *d)
{
	return d ? d->scale : 0.0f;
}

NPURT_API int32_t npurt_tensor_desc_zero_point(const npurt_tensor_desc *d)
{
	return d ? d->zero_point : 0;
}

/* ---- tensors ---------------------------------------------------------- */

static npurt_tensor *tensor_new(const npurt_tensor_desc *desc)
{
	npurt_tensor *t;

	if (!desc) {
		npurt_err(-EINVAL, "tensor description is NULL");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		npurt_err(-ENOMEM, "out of memory");
		return NULL;
	}
	t->desc = *desc;
	return t;
}

NPURT_API int npurt_tensor_alloc(npurt_runtime *rt,
				 const npurt_tensor_desc *desc,
				 npurt_tensor **out)
{
	int node = rt && rt->num_devices ? rt->devices[0]->info.numa_node : -1;
	npurt_tensor *t;

	if (!out)
		return npurt_err(-EINVAL, "npurt_tensor_alloc: out is NULL");
	*out = NULL;
	t = tensor_new(desc);
	if (!t)
		return desc ? -ENOMEM : -EINVAL;
	if (npurt_host_alloc(desc->size, node, &t->mem)) {
		free(t);
		return npurt_err(-ENOMEM, "tensor \"%s\": host allocation of "
				 "%llu bytes failed", desc->name,
				 (unsigned long long)desc->size);
	}
	t->data = t->mem.ptr;
	t->size = desc->size;
	*out = t;
	return 0;
}

NPURT_API int npurt_device_tensor_alloc(npurt_device *dev,
					const npurt_tensor_desc *desc,
					npurt_tensor **out)
{
	npurt_tensor *t;
	int ret;

	if (!out || !dev)
		return npurt_err(-EINVAL, "npurt_device_tensor_alloc: NULL "
				 "argument");
	*out = NULL;
	t = tensor_new(desc);
	if (!t)
		return desc ? -ENOMEM : -EINVAL;
	/*
	 * A GPU's runs copy each item to and from their own device buffers,
	 * so its tensors need only the page-locked host side those copies
	 * read and write by DMA (device memory here would go unused)
	 */
	ret = npurt_dev_is_gpu(dev) ?
	      npurt_gpu_host_alloc(dev, desc->size, &t->mem) :
	      npurt_dev_mem_alloc(dev, desc->size, &t->mem);
	if (ret) {
		free(t);
		return ret;
	}
	t->dev = dev;
	t->data = t->mem.ptr;
	t->size = desc->size;
	*out = t;
	return 0;
}

NPURT_API int npurt_tensor_wrap(const npurt_tensor_desc *desc, void *data,
				size_t size, npurt_tensor **out)
{
	npurt_tensor *t;

	if (!out)
		return npurt_err(-EINVAL, "npurt_tensor_wrap: out is NULL");
	*out = NULL;
	if (!data || (desc && size < desc->size))
		return npurt_err(-EINVAL, "npurt_tensor_wrap: %s",
				 data ? "memory smaller than the tensor" :
				 "data is NULL");
	t = tensor_new(desc);
	if (!t)
		return desc ? -ENOMEM : -EINVAL;
	t->data = data;
	t->size = size;
	*out = t;
	return 0;
}

NPURT_API void npurt_tensor_destroy(npurt_tensor *t)
{
	if (!t)
		return;
	if (t->dev && t->mem.kind == NPURT_MEM_GPU_HOST)
		npurt_gpu_host_free(t->dev, &t->mem);
	else if (t->dev)
		npurt_dev_mem_free(t->dev, &t->mem);
	else
		npurt_host_free(&t->mem);
	free(t);
}

NPURT_API void *npurt_tensor_data(const npurt_tensor *t)
{
	return t ? t->data : NULL;
}

NPURT_API size_t npurt_tensor_size(const npurt_tensor *t)
{
	return t ? t->size : 0;
}

NPURT_API const npurt_tensor_desc *npurt_tensor_get_desc(const npurt_tensor *t)
{
	return t ? &t->desc : NULL;
}

NPURT_API npurt_device *npurt_tensor_device(const npurt_tensor *t)
{
	return t ? t->dev : NULL;
}
