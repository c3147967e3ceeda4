// SPDX-License-Identifier: MIT
/*
 * run_compare.c - an output against a reference tensor, in the units that
 * make sense for it: quantized float outputs (a final DequantizeLinear,
 * whose scale and zero point the compiler records on the output) in steps
 * of that scale, integer outputs in their own units, other float outputs
 * as floats. 2-D outputs [rows, classes] also count rows whose argmax
 * agrees.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

static bool dtype_is_float(uint32_t dtype)
{
	return dtype == NPURT_DTYPE_FLOAT32 || dtype == NPURT_DTYPE_FLOAT16 ||
	       dtype == NPURT_DTYPE_BFLOAT16;
}

/* Argmax agreement of row @r of @cols elements (first maximum wins). */
static bool argmax_agrees(const void *out, const void *ref, uint32_t dtype,
			  uint64_t r, uint64_t cols)
{
	uint64_t c, ao = 0, ar = 0;

	for (c = 1; c < cols; c++) {
		if (run_elem(out, r * cols + c, dtype) >
		    run_elem(out, r * cols + ao, dtype))
			ao = c;
		if (run_elem(ref, r * cols + c, dtype) >
		    run_elem(ref, r * cols + ar, dtype))
			ar = c;
	}
	return ao == ar;
}

int run_compare_output(const npurt_tensor_desc *desc, unsigned int batch,
		       const void *out, const struct run_tensor *ref,
		       double tolerance, struct run_compare *res)
{
	uint32_t dtype = npurt_tensor_desc_dtype(desc);
	uint64_t n = npurt_tensor_desc_elements(desc), item = n / batch;
	uint64_t ref_n, i, cols = 0;
	double scale = npurt_tensor_desc_scale(desc);

	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s",
		 npurt_tensor_desc_name(desc));
	if (ref->dtype && ref->dtype != dtype)
		return run_err(-EINVAL, "output \"%s\" is %s, the reference "
			       "%s", res->name, npurt_dtype_name(dtype),
			       npurt_dtype_name(ref->dtype));
	ref_n = ref->size / npurt_dtype_size(dtype);
	if (ref->size % npurt_dtype_size(dtype) || (ref_n != n && ref_n != item))
		return run_err(-EINVAL, "output \"%s\": the reference has %zu "
			       "bytes, the output %llu (or %llu per batch item)",
			       res->name, ref->size,
			       (unsigned long long)(n * npurt_dtype_size(dtype)),
			       (unsigned long long)(item *
						    npurt_dtype_size(dtype)));
	res->integer = !dtype_is_float(dtype);
	res->quantized = res->integer || scale > 0;
	res->scale = res->integer ? 1 : scale;
	res->zero_point = npurt_tensor_desc_zero_point(desc);
	res->count = n;
	for (i = 0; i < n; i++) {
		double g = run_elem(out, i, dtype);
		double r = run_elem(ref->data, i % ref_n, dtype);
		double d = fabs(g - r);

		if (isnan(g) != isnan(r)) {
			d = INFINITY;
		} else if (isnan(g)) {
			d = 0;
		} else if (res->quantized) {
			d = round(d / res->scale);
		} else if (fabs(r) > 0 && d / fabs(r) > res->max_rel) {
			res->max_rel = d / fabs(r);
		}
		res->equal += d == 0;
		if (d > res->max_diff)
			res->max_diff = d;
	}
	if (npurt_tensor_desc_ndim(desc) == 2)
		cols = npurt_tensor_desc_dim(desc, 1);
	if (cols > 1) {
		res->rows = n / cols;
		for (i = 0; i < res->rows; i++) {
			const void *rp = (const uint8_t *)ref->data;
			uint64_t rr = i % (ref_n / cols);

			res->argmax_agree += argmax_agrees(
				(const uint8_t *)out + i * cols *
				npurt_dtype_size(dtype),
				(const uint8_t *)rp + rr * cols *
				npurt_dtype_size(dtype), dtype, 0, cols);
		}
	}
	if (res->quantized) {
		res->within = res->max_diff <= tolerance;
	} else {
		/* as floats: every element within tolerance + 1e-3 |ref| */
		res->within = true;
		for (i = 0; i < n; i++) {
			double g = run_elem(out, i, dtype);
			double r = run_elem(ref->data, i % ref_n, dtype);

			if (!(fabs(g - r) <= tolerance + 1e-3 * fabs(r)) &&
			    !(isnan(g) && isnan(r)))
				res->within = false;
		}
	}
	return 0;
}
