// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tensor_pb.c - a reader of ONNX TensorProto files for host tests: fields
 * 1 dims, 2 data_type, 4 float_data, 5 int32_data, 7 int64_data, 8 name,
 * 9 raw_data and 10 double_data of onnx.proto; other fields are skipped.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_pb.h"

struct pb {
	const uint8_t *p, *end;
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
	unsigned int shift;

	for (*v = 0, shift = 0; b->p < b->end && shift < 64; shift += 7) {
		uint8_t c = *b->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

static size_t elem_size(int32_t dt)
{
	switch (dt) {
	case NPU_PB_FLOAT: case NPU_PB_INT32: return 4;
	case NPU_PB_UINT8: case NPU_PB_INT8: return 1;
	case NPU_PB_INT64: case NPU_PB_DOUBLE: return 8;
	default: return 0;
	}
}

/* Append @esz bytes at @v to the growing array @buf of *@n elements. */
static int push(uint8_t **buf, uint64_t *n, size_t esz, const void *v)
{
	uint8_t *nb = realloc(*buf, (*n + 1) * esz);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *n * esz, v, esz);
	*buf = nb;
	(*n)++;
	return 0;
}

/* One element of float_data (4: fixed32), double_data (10: fixed64),
 * int32_data (5) or int64_data (7: varints), stored as float, double,
 * int32 or int64 in @buf. */
static int push_typed(struct pb *b, unsigned int field, uint8_t **buf,
		      uint64_t *n)
{
	uint64_t v;
	int32_t i32;
	int64_t i64;
	double d;
	float f;

	if (field == 4) {
		if (b->end - b->p < 4)
			return -EBADMSG;
		memcpy(&f, b->p, 4);
		b->p += 4;
		return push(buf, n, 4, &f);
	}
	if (field == 10) {
		if (b->end - b->p < 8)
			return -EBADMSG;
		memcpy(&d, b->p, 8);
		b->p += 8;
		return push(buf, n, 8, &d);
	}
	if (!pb_varint(b, &v))
		return -EBADMSG;
	if (field == 7) {
		i64 = (int64_t)v;
		return push(buf, n, 8, &i64);
	}
	i32 = (int32_t)v;
	return push(buf, n, 4, &i32);
}

static bool is_typed(unsigned int field)
{
	return field == 4 || field == 5 || field == 7 || field == 10;
}

/* The wire type of an unpacked element of typed field @field. */
static unsigned int typed_wire(unsigned int field)
{
	return field == 4 ? 5 : field == 10 ? 1 : 0;
}

/* The typed field that holds data type @dt. */
static unsigned int typed_field(int32_t dt)
{
	return dt == NPU_PB_FLOAT ? 4 : dt == NPU_PB_INT64 ? 7 :
	       dt == NPU_PB_DOUBLE ? 10 : 5;
}

static int parse(const uint8_t *data, size_t size, struct npu_pb_tensor *t)
{
	struct pb b = { data, data + size }, sub;
	const uint8_t *raw = NULL;
	uint8_t *tbuf = NULL;
	uint64_t key, len, v, raw_len = 0, ntyped = 0, i;
	unsigned int field = 0, wire, tfield = 0;
	size_t esz;
	int ret = -EBADMSG;

	while (b.p < b.end) {
		if (!pb_varint(&b, &key))
			goto out;
		field = (unsigned int)(key >> 3);
		wire = (unsigned int)(key & 7);
		if (is_typed(field)) {
			if (tfield && tfield != field)
				goto out;
			tfield = field;
		}
		if (wire == 2) {
			if (!pb_varint(&b, &len) || len > (uint64_t)(b.end - b.p))
				goto out;
			sub = (struct pb){ b.p, b.p + len };
			b.p += len;
			if (field == 9) {
				raw = sub.p;
				raw_len = len;
			} else if (field == 8) {
				if (len >= sizeof(t->name))
					goto out;
				memcpy(t->name, sub.p, len);
				t->name[len] = 0;
			} else if (field == 1) {	/* packed dims */
				while (sub.p < sub.end) {
					if (t->ndim == NPU_PB_MAX_DIMS ||
					    !pb_varint(&sub, &v))
						goto out;
					t->dims[t->ndim++] = (int64_t)v;
				}
			} else if (is_typed(field)) {	/* packed */
				while (sub.p < sub.end)
					if ((ret = push_typed(&sub, field, &tbuf,
							      &ntyped)))
						goto out;
				ret = -EBADMSG;
			}
		} else if (is_typed(field) && wire == typed_wire(field)) {
			if ((ret = push_typed(&b, field, &tbuf, &ntyped)))
				goto out;
			ret = -EBADMSG;
		} else if (wire == 0) {
			if (!pb_varint(&b, &v))
				goto out;
			if (field == 1) {
				if (t->ndim == NPU_PB_MAX_DIMS)
					goto out;
				t->dims[t->ndim++] = (int64_t)v;
			} else if (field == 2) {
				t->data_type = (int32_t)v;
			}
		} else if (wire == 5 || wire == 1) {
			if ((size_t)(b.end - b.p) < (wire == 5 ? 4u : 8u))
				goto out;
			b.p += wire == 5 ? 4 : 8;
		} else {
			goto out;
		}
	}
	esz = elem_size(t->data_type);
	if (!esz)
		goto out;
	t->count = 1;
	for (i = 0; i < t->ndim; i++) {
		if (t->dims[i] < 0 || t->dims[i] > (1LL << 32))
			goto out;
		t->count *= (uint64_t)t->dims[i];
	}
	if (raw) {
		if (raw_len != t->count * esz || ntyped)
			goto out;
	} else if (ntyped != t->count ||
		   (tfield && tfield != typed_field(t->data_type))) {
		goto out;
	}
	t->data = malloc(t->count * esz + 1);
	if (!t->data) {
		ret = -ENOMEM;
		goto out;
	}
	if (raw) {
		memcpy(t->data, raw, raw_len);
	} else if (tfield == 5 && esz == 1) {	/* int32_data of 8-bit types */
		for (i = 0; i < t->count; i++)
			((uint8_t *)t->data)[i] = (uint8_t)((int32_t *)tbuf)[i];
	} else if (ntyped) {
		memcpy(t->data, tbuf, t->count * esz);
	}
	ret = 0;
out:
	free(tbuf);
	return ret;
}

int npu_pb_read(const char *path, struct npu_pb_tensor *t)
{
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;
	FILE *f;
	int ret;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	do {
		if (size == cap) {
			uint8_t *nd = realloc(data, cap = cap ? 2 * cap : 4096);

			if (!nd) {
				free(data);
				fclose(f);
				return -ENOMEM;
			}
			data = nd;
		}
		n = fread(data + size, 1, cap - size, f);
		size += n;
	} while (n);
	ret = ferror(f) ? -EIO : parse(data, size, t);
	fclose(f);
	free(data);
	if (ret)
		npu_pb_free(t);
	return ret;
}

void npu_pb_free(struct npu_pb_tensor *t)
{
	free(t->data);
	memset(t, 0, sizeof(*t));
}

int npu_pb_to_float(struct npu_pb_tensor *t)
{
	float *f;
	uint64_t i;

	if (t->data_type != NPU_PB_DOUBLE)
		return 0;
	f = malloc(t->count * 4 + 1);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < t->count; i++)
		f[i] = (float)((double *)t->data)[i];
	free(t->data);
	t->data = f;
	t->data_type = NPU_PB_FLOAT;
	return 0;
}
