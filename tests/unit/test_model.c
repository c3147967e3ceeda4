// SPDX-License-Identifier: MIT
/*
 * test_model.c - model metadata: input/output counts, per-tensor name,
 * dtype, rank, shape, strides in items, size, element count, layout, axis
 * names, quantization, the one-call summary; tensor descriptions and data
 * types; model loading by file type.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "example_mlp.h"

static const struct mlp_shape shape = { .m = 2, .k = 8, .hid = 16, .n = 4,
					.seed = 1 };

static npurt_model *mlp_model(void)
{
	npurt_program *p = NULL;
	npurt_model *m = NULL;

	assert_int_equal(mlp_build(&shape, &p), 0);
	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	return m;
}

static void test_metadata(void **state)
{
	npurt_model *m = mlp_model();
	const npurt_tensor_desc *x, *y;

	(void)state;
	assert_string_equal(npurt_model_name(m), "mlp");
	assert_int_equal(npurt_model_input_count(m), 1);
	assert_int_equal(npurt_model_output_count(m), 1);
	assert_null(npurt_model_input(m, 1));
	assert_null(npurt_model_output(m, 1));
	assert_int_equal(npurt_program_cmd_count(npurt_model_program(m)), 3);

	x = npurt_model_input(m, 0);
	assert_string_equal(npurt_tensor_desc_name(x), "x");
	assert_int_equal(npurt_tensor_desc_dtype(x), NPURT_DTYPE_INT8);
	assert_int_equal(npurt_tensor_desc_ndim(x), 2);
	assert_int_equal(npurt_tensor_desc_dim(x, 0), 2);
	assert_int_equal(npurt_tensor_desc_dim(x, 1), 8);
	assert_int_equal(npurt_tensor_desc_dim(x, 2), 0);
	assert_int_equal(npurt_tensor_desc_shape(x)[1], 8);
	assert_int_equal(npurt_tensor_desc_strides(x)[0], 8);
	assert_int_equal(npurt_tensor_desc_strides(x)[1], 1);
	assert_int_equal(npurt_tensor_desc_size(x), 16);
	assert_int_equal(npurt_tensor_desc_elements(x), 16);
	assert_string_equal(npurt_tensor_desc_layout(x), "NC");
	assert_string_equal(npurt_tensor_desc_axis_name(x, 0), "batch");
	assert_string_equal(npurt_tensor_desc_axis_name(x, 1), "channel");
	assert_null(npurt_tensor_desc_axis_name(x, 2));
	assert_true(npurt_tensor_desc_scale(x) == 0.05f);
	assert_int_equal(npurt_tensor_desc_zero_point(x), 0);

	y = npurt_model_output(m, 0);
	assert_string_equal(npurt_tensor_desc_name(y), "y");
	assert_int_equal(npurt_tensor_desc_dtype(y), NPURT_DTYPE_UINT8);
	assert_int_equal(npurt_tensor_desc_size(y), 8);
	assert_true(npurt_tensor_desc_scale(y) == 1.0f / 255);

	assert_string_equal(npurt_model_summary(m),
		"model \"mlp\": 1 input(s), 1 output(s), 3 command(s) "
		"(2 GEMM, 1 LUT), weights 528 bytes, scratch 40 bytes\n"
		"  input  0 \"x\": INT8 [2, 8] NC (batch, channel), 16 "
		"elements, 16 bytes, scale 0.05 zero point 0\n"
		"  output 0 \"y\": UINT8 [2, 4] NC (batch, channel), 8 "
		"elements, 8 bytes, scale 0.00392157 zero point 0\n");

	/* NULL handles answer neutrally. */
	assert_null(npurt_model_name(NULL));
	assert_int_equal(npurt_model_input_count(NULL), 0);
	assert_null(npurt_model_summary(NULL));
	assert_null(npurt_tensor_desc_name(NULL));
	assert_int_equal(npurt_tensor_desc_size(NULL), 0);
	npurt_model_destroy(m);
	npurt_model_destroy(NULL);
}

static void test_descs(void **state)
{
	struct npurt_tensor_info t = { .name = "img", .dtype =
		NPURT_DTYPE_FLOAT16, .ndim = 4, .dims = { 2, 3, 5, 7 },
		.layout = "NCHW", .scale = 0.5f, .zero_point = -3 };
	npurt_tensor_desc *d = NULL;
	npurt_tensor *tt = NULL;
	const uint64_t *st;

	(void)state;
	assert_int_equal(npurt_tensor_desc_create(&t, &d), 0);
	st = npurt_tensor_desc_strides(d);
	assert_int_equal(st[0], 105);
	assert_int_equal(st[1], 35);
	assert_int_equal(st[2], 7);
	assert_int_equal(st[3], 1);
	assert_int_equal(npurt_tensor_desc_elements(d), 210);
	assert_int_equal(npurt_tensor_desc_size(d), 420);
	assert_string_equal(npurt_tensor_desc_axis_name(d, 2), "height");
	assert_string_equal(npurt_tensor_desc_axis_name(d, 3), "width");
	assert_int_equal(npurt_tensor_desc_zero_point(d), -3);
	assert_int_equal(npurt_tensor_alloc(NULL, d, &tt), 0);
	assert_int_equal(npurt_tensor_size(tt), 420);
	assert_ptr_not_equal(npurt_tensor_get_desc(tt), d);	/* copied */
	assert_string_equal(npurt_tensor_desc_name(npurt_tensor_get_desc(tt)),
			    "img");
	npurt_tensor_destroy(tt);
	npurt_tensor_desc_destroy(d);

	t.layout = "NTXD";
	assert_int_equal(npurt_tensor_desc_create(&t, &d), 0);
	assert_string_equal(npurt_tensor_desc_axis_name(d, 1), "time");
	assert_string_equal(npurt_tensor_desc_axis_name(d, 2), "X");
	assert_string_equal(npurt_tensor_desc_axis_name(d, 3), "depth");
	npurt_tensor_desc_destroy(d);
	t.layout = NULL;
	assert_int_equal(npurt_tensor_desc_create(&t, &d), 0);
	assert_string_equal(npurt_tensor_desc_layout(d), "");
	assert_string_equal(npurt_tensor_desc_axis_name(d, 3), "dim3");
	npurt_tensor_desc_destroy(d);

	t.layout = "NCH";
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.layout = "NCHw";
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.layout = NULL;
	t.dims[3] = 0;
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.dims[3] = 1ULL << 30;
	t.dims[2] = 1ULL << 30;		/* 2 * 3 * 2^60 elements */
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.dims[2] = 5;
	t.dims[3] = 1ULL << 46;		/* 30 * 2^46 * 2 bytes > 2^48 */
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.dims[3] = 7;
	t.ndim = 9;
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.ndim = 4;
	t.scale = -1.0f;
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.scale = 0;
	t.name = "";
	assert_int_equal(npurt_tensor_desc_create(&t, &d), -EINVAL);
	t.name = "ok";
	assert_int_equal(npurt_tensor_desc_create(NULL, &d), -EINVAL);
	assert_int_equal(npurt_tensor_desc_create(&t, NULL), -EINVAL);
	assert_null(d);
}

static void test_dtypes(void **state)
{
	static const struct { int dt; const char *name; size_t size; } v[] = {
		{ NPURT_DTYPE_FLOAT16, "FLOAT16", 2 },
		{ NPURT_DTYPE_FLOAT32, "FLOAT32", 4 },
		{ NPURT_DTYPE_BFLOAT16, "BFLOAT16", 2 },
		{ NPURT_DTYPE_INT8, "INT8", 1 },
		{ NPURT_DTYPE_INT16, "INT16", 2 },
		{ NPURT_DTYPE_INT32, "INT32", 4 },
		{ NPURT_DTYPE_INT64, "INT64", 8 },
		{ NPURT_DTYPE_UINT8, "UINT8", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_string_equal(npurt_dtype_name(v[i].dt), v[i].name);
		assert_int_equal(npurt_dtype_size(v[i].dt), v[i].size);
	}
	assert_string_equal(npurt_dtype_name(0), "UNKNOWN");
	assert_string_equal(npurt_dtype_name(9), "UNKNOWN");
	assert_int_equal(npurt_dtype_size(0), 0);
	assert_int_equal(npurt_dtype_size(9), 0);
}

static void test_load(void **state)
{
	char path[] = "/tmp/npurt-model-XXXXXX";
	char file[64], onnx[64];
	npurt_program *p = NULL;
	npurt_model *m = NULL;
	size_t size;
	void *data;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/m.npuprog", path);
	snprintf(onnx, sizeof(onnx), "%s/m.ONNX", path);
	assert_int_equal(mlp_build(&shape, &p), 0);
	assert_int_equal(npurt_program_save(p, file), 0);
	assert_int_equal(npurt_program_serialize(p, &data, &size), 0);
	npurt_program_destroy(p);

	assert_int_equal(npurt_model_load(NULL, file, &m), 0);
	assert_string_equal(npurt_model_name(m), "mlp");
	npurt_model_destroy(m);
	assert_int_equal(npurt_model_load_memory(NULL, data, size, &m), 0);
	assert_int_equal(npurt_model_output_count(m), 1);
	npurt_model_destroy(m);
	((uint8_t *)data)[200] ^= 1;
	assert_int_equal(npurt_model_load_memory(NULL, data, size, &m),
			 -EBADMSG);
	assert_null(m);
	free(data);

	f = fopen(onnx, "w");
	assert_non_null(f);
	fputs("not really onnx", f);
	fclose(f);
	assert_int_equal(npurt_model_load(NULL, onnx, &m), -EOPNOTSUPP);
	assert_non_null(strstr(npurt_last_error(), "compiler"));
	assert_int_equal(npurt_model_load(NULL, "/nonexistent.npuprog", &m),
			 -ENOENT);
	assert_int_equal(npurt_model_load(NULL, NULL, &m), -EINVAL);
	assert_int_equal(npurt_model_from_program(NULL, &m), -EINVAL);
	unlink(file);
	unlink(onnx);
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_descs),
		cmocka_unit_test(test_dtypes),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
