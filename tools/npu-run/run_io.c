// SPDX-License-Identifier: MIT
/*
 * run_io.c - npu-run's tensor files: ONNX TensorProto (.pb, decoded by
 * libnpuc, written here: dims, data_type, name, raw_data), NumPy .npy and
 * raw bytes; pseudo-random inputs; element access for comparisons.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npuc.h"
#include "run.h"

#define RUN_MAX_FILE	(1ull << 32)

static _Thread_local char run_errmsg[512];

int run_err(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(run_errmsg, sizeof(run_errmsg), fmt, ap);
	va_end(ap);
	return ret;
}

const char *run_last_error(void)
{
	return run_errmsg;
}

/* ONNX TensorProto.DataType <-> enum npurt_dtype. */
static const struct {
	int32_t onnx;
	uint32_t dtype;
	const char *npy;		/* NumPy descr, little endian */
} run_types[] = {
	{ 1, NPURT_DTYPE_FLOAT32, "<f4" },
	{ 2, NPURT_DTYPE_UINT8, "|u1" },
	{ 3, NPURT_DTYPE_INT8, "|i1" },
	{ 5, NPURT_DTYPE_INT16, "<i2" },
	{ 6, NPURT_DTYPE_INT32, "<i4" },
	{ 7, NPURT_DTYPE_INT64, "<i8" },
	{ 10, NPURT_DTYPE_FLOAT16, "<f2" },
	{ 16, NPURT_DTYPE_BFLOAT16, NULL },
};

static int file_read(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return run_err(-errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || (uint64_t)st.st_size > RUN_MAX_FILE) {
		close(fd);
		return run_err(-EFBIG, "%s: unreadable or above 4 GiB", path);
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return run_err(-ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(*buf);
		return run_err(-EIO, "%s: short read", path);
	}
	*len = got;
	return 0;
}

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);

	return n > e && !strcasecmp(path + n - e, ext);
}

static int read_pb(const char *path, const uint8_t *buf, size_t len,
		   struct run_tensor *t)
{
	struct npuc_tensor nt;
	size_t i;
	int ret;

	ret = npuc_tensor_decode(buf, len, &nt);
	if (ret)
		return run_err(ret, "%s: %s", path, npuc_last_error());
	for (i = 0; i < sizeof(run_types) / sizeof(run_types[0]); i++)
		if (run_types[i].onnx == nt.elem)
			t->dtype = run_types[i].dtype;
	if (!t->dtype || nt.ndim < 0 || nt.ndim > NPURT_MAX_DIMS) {
		ret = run_err(-EINVAL, "%s: element type %d (%s) or rank %d "
			      "not supported", path, nt.elem,
			      npuc_elem_name(nt.elem), nt.ndim);
		npuc_tensor_release(&nt);
		return ret;
	}
	snprintf(t->name, sizeof(t->name), "%s", nt.name ? nt.name : "");
	t->ndim = (unsigned int)nt.ndim;
	for (i = 0; i < t->ndim; i++)
		t->dims[i] = (uint64_t)nt.dims[i];
	t->size = nt.nbytes;
	t->data = nt.data;
	nt.data = NULL;
	npuc_tensor_release(&nt);
	return 0;
}

/* The value text of key @key in a .npy header dict. */
static const char *npy_field(const char *hdr, const char *key)
{
	const char *p = strstr(hdr, key);

	if (!p)
		return NULL;
	p += strlen(key);
	while (*p == ' ' || *p == ':')
		p++;
	return p;
}

static int read_npy(const char *path, uint8_t *buf, size_t len,
		    struct run_tensor *t)
{
	size_t hlen, off, i, elems = 1, esize;
	const char *descr, *shape;
	char hdr[4096], d[8];
	char *end;

	if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
		return run_err(-EINVAL, "%s: not a .npy file", path);
	if (buf[6] == 1) {
		hlen = buf[8] | (size_t)buf[9] << 8;
		off = 10;
	} else if ((buf[6] == 2 || buf[6] == 3) && len >= 12) {
		hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
		       (size_t)buf[11] << 24;
		off = 12;
	} else {
		return run_err(-EINVAL, "%s: .npy format %u.%u not supported",
			       path, buf[6], buf[7]);
	}
	if (hlen >= sizeof(hdr) || off + hlen > len)
		return run_err(-EINVAL, "%s: bad .npy header", path);
	memcpy(hdr, buf + off, hlen);
	hdr[hlen] = 0;
	descr = npy_field(hdr, "'descr'");
	shape = npy_field(hdr, "'shape'");
	if (!descr || !shape || *descr != '\'' || *shape != '(' ||
	    !strstr(hdr, "'fortran_order': False"))
		return run_err(-EINVAL, "%s: .npy header without descr and "
			       "shape, or in Fortran order: %s", path, hdr);
	snprintf(d, sizeof(d), "%.*s", (int)strcspn(descr + 1, "'"),
		 descr + 1);
	if (d[0] == '=')
		d[0] = '<';
	if (strlen(d) == 3 && d[0] == '<' && d[2] == '1')
		d[0] = '|';
	for (i = 0; i < sizeof(run_types) / sizeof(run_types[0]); i++)
		if (run_types[i].npy && !strcmp(run_types[i].npy, d))
			t->dtype = run_types[i].dtype;
	if (!t->dtype)
		return run_err(-EINVAL, "%s: .npy dtype '%s' not supported "
			       "(little endian float16/32, int8/16/32/64, "
			       "uint8)", path, d);
	for (shape++; *shape && *shape != ')';) {
		unsigned long long v;

		while (*shape == ' ' || *shape == ',')
			shape++;
		if (*shape == ')')
			break;
		v = strtoull(shape, &end, 10);
		if (end == shape || t->ndim == NPURT_MAX_DIMS)
			return run_err(-EINVAL, "%s: bad .npy shape", path);
		t->dims[t->ndim++] = v;
		elems *= v;
		shape = end;
	}
	esize = npurt_dtype_size(t->dtype);
	off += hlen;
	if ((len - off) / esize < elems || (len - off) != elems * esize)
		return run_err(-EINVAL, "%s: %zu data bytes for %zu elements "
			       "of %zu bytes", path, len - off, elems, esize);
	t->size = len - off;
	t->data = malloc(t->size + 1);
	if (!t->data)
		return run_err(-ENOMEM, "out of memory");
	memcpy(t->data, buf + off, t->size);
	return 0;
}

int run_tensor_read(const char *path, struct run_tensor *t)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = file_read(path, &buf, &len);
	if (ret)
		return ret;
	if (has_ext(path, ".pb")) {
		ret = read_pb(path, buf, len, t);
	} else if (has_ext(path, ".npy")) {
		ret = read_npy(path, buf, len, t);
	} else {
		t->data = buf;
		t->size = len;
		return 0;
	}
	free(buf);
	if (ret)
		run_tensor_free(t);
	return ret;
}

void run_tensor_free(struct run_tensor *t)
{
	free(t->data);
	memset(t, 0, sizeof(*t));
}

/* ---- writing TensorProto ------------------------------------------------ */

static void put_varint(FILE *fp, uint64_t v)
{
	do {
		fputc((int)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)), fp);
		v >>= 7;
	} while (v);
}

int run_tensor_write_pb(const char *path, const char *name, uint32_t dtype,
			unsigned int ndim, const uint64_t *dims,
			const void *data, size_t size)
{
	int32_t onnx = 0;
	unsigned int i;
	FILE *fp;

	for (i = 0; i < sizeof(run_types) / sizeof(run_types[0]); i++)
		if (run_types[i].dtype == dtype)
			onnx = run_types[i].onnx;
	if (!onnx)
		return run_err(-EINVAL, "%s: dtype %s has no ONNX type", path,
			       npurt_dtype_name(dtype));
	fp = fopen(path, "wb");
	if (!fp)
		return run_err(-errno, "%s: %s", path, strerror(errno));
	for (i = 0; i < ndim; i++) {		/* 1: dims */
		fputc(1 << 3 | 0, fp);
		put_varint(fp, dims[i]);
	}
	fputc(2 << 3 | 0, fp);			/* 2: data_type */
	put_varint(fp, (uint64_t)onnx);
	fputc(8 << 3 | 2, fp);			/* 8: name */
	put_varint(fp, strlen(name));
	fputs(name, fp);
	fputc(9 << 3 | 2, fp);			/* 9: raw_data */
	put_varint(fp, size);
	fwrite(data, 1, size, fp);
	if (ferror(fp) | fclose(fp))
		return run_err(-EIO, "%s: write failed", path);
	return 0;
}

/* ---- values ----------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint16_t float_to_half(float f)
{
	uint32_t x;
	uint16_t sign;
	int32_t e;
	uint32_t m;

	memcpy(&x, &f, 4);
	sign = (uint16_t)((x >> 16) & 0x8000);
	e = (int32_t)((x >> 23) & 0xff) - 127 + 15;
	m = x & 0x7fffff;
	if (e <= 0)		/* |f| < 1: the random values need no subnormals */
		return e < -10 ? sign : (uint16_t)(sign | ((m | 0x800000) >>
						   (14 - e)));
	return (uint16_t)(sign | (uint32_t)e << 10 | m >> 13);
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f;
	uint32_t m = h & 0x3ff, x;
	float f;

	if (!e) {
		f = ldexpf((float)m, -24);
		return sign ? -f : f;
	}
	x = e == 31 ? sign | 0x7f800000 | m << 13 :
	    sign | (e - 15 + 127) << 23 | m << 13;
	memcpy(&f, &x, 4);
	return f;
}

void run_tensor_random(void *data, size_t size, uint32_t dtype,
		       uint64_t seed)
{
	size_t esize = npurt_dtype_size(dtype), n, i;
	uint8_t *p = data;
	uint64_t s = seed;

	if (!esize || (dtype != NPURT_DTYPE_FLOAT32 &&
		       dtype != NPURT_DTYPE_FLOAT16 &&
		       dtype != NPURT_DTYPE_BFLOAT16)) {
		for (i = 0; i < size; i++)
			p[i] = (uint8_t)splitmix64(&s);
		return;
	}
	n = size / esize;
	for (i = 0; i < n; i++) {
		float f = (float)((double)(splitmix64(&s) >> 11) * 0x1p-52 -
				  1.0);
		uint32_t x;
		uint16_t h;

		if (dtype == NPURT_DTYPE_FLOAT32) {
			memcpy(p + 4 * i, &f, 4);
			continue;
		}
		memcpy(&x, &f, 4);
		h = dtype == NPURT_DTYPE_FLOAT16 ? float_to_half(f) :
		    (uint16_t)(x >> 16);
		memcpy(p + 2 * i, &h, 2);
	}
}

double run_elem(const void *data, size_t i, uint32_t dtype)
{
	const uint8_t *p = data;
	float f;
	uint32_t x;
	uint16_t h;

	switch (dtype) {
	case NPURT_DTYPE_FLOAT32:
		memcpy(&f, p + 4 * i, 4);
		return f;
	case NPURT_DTYPE_FLOAT16:
		memcpy(&h, p + 2 * i, 2);
		return half_to_float(h);
	case NPURT_DTYPE_BFLOAT16:
		memcpy(&h, p + 2 * i, 2);
		x = (uint32_t)h << 16;
		memcpy(&f, &x, 4);
		return f;
	case NPURT_DTYPE_INT8:
		return ((const int8_t *)data)[i];
	case NPURT_DTYPE_UINT8:
		return p[i];
	case NPURT_DTYPE_INT16: {
		int16_t v;

		memcpy(&v, p + 2 * i, 2);
		return v;
	}
	case NPURT_DTYPE_INT32: {
		int32_t v;

		memcpy(&v, p + 4 * i, 4);
		return v;
	}
	case NPURT_DTYPE_INT64: {
		int64_t v;

		memcpy(&v, p + 8 * i, 8);
		return (double)v;
	}
	}
	return NAN;
}
