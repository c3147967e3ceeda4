// SPDX-License-Identifier: MIT
/*
 * test_onnx_import - libnpuc's importer on a malformed-model corpus built in
 * memory with protobuf-c: every prefix of a valid model, garbage, empty,
 * a cycle, absurd/negative dimensions, rank > 8, unsupported element types,
 * a mistyped initializer, an old opset, an undefined input, a duplicate
 * output. Each must give a negative errno and a message, never a crash
 * (ASan/UBSan).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "npuc.h"
#include "test_onnx_common.h"

static int load(const struct tmodel *t)
{
	struct npuc_graph *g = NULL;
	size_t len;
	uint8_t *buf = tmodel_pack(t, &len);
	int ret;

	assert_non_null(buf);
	ret = npuc_load_memory(buf, len, &g);
	free(buf);
	if (!ret) {
		assert_non_null(g);
		npuc_graph_free(g);
	} else {
		assert_null(g);
		assert_true(strlen(npuc_last_error()) > 0);
	}
	return ret;
}

static void test_valid_compiles(void **state)
{
	struct tmodel t;
	struct npuc_graph *g = NULL;
	npurt_program *prog = NULL;
	size_t len;
	uint8_t *buf;

	(void)state;
	tmodel_init(&t);
	buf = tmodel_pack(&t, &len);
	assert_int_equal(npuc_load_memory(buf, len, &g), 0);
	assert_int_equal(g->nn, 1);
	assert_int_equal(g->ninputs, 1);
	assert_int_equal(g->noutputs, 1);
	assert_int_equal(npuc_compile(g, NULL, &prog), 0);
	assert_true(npurt_program_cmd_count(prog) >= 1);
	npurt_program_destroy(prog);
	npuc_graph_free(g);
	free(buf);
}

static void test_truncated(void **state)
{
	struct tmodel t;
	struct npuc_graph *g;
	size_t len, i;
	uint8_t *buf;

	(void)state;
	tmodel_init(&t);
	buf = tmodel_pack(&t, &len);
	for (i = 0; i < len; i++) {
		/* a copy of exactly i bytes, so ASan sees any overread */
		uint8_t *p = malloc(i ? i : 1);

		memcpy(p, buf, i);
		g = NULL;
		assert_true(npuc_load_memory(p, i, &g) < 0);
		assert_null(g);
		assert_true(strlen(npuc_last_error()) > 0);
		free(p);
	}
	free(buf);
}

static void test_garbage_and_empty(void **state)
{
	uint8_t junk[1024];
	struct npuc_graph *g = NULL;
	struct npuc_tensor tn;
	int i;

	(void)state;
	for (i = 0; i < 1024; i++)
		junk[i] = (uint8_t)i;
	assert_int_equal(npuc_load_memory(junk, sizeof(junk), &g), -EBADMSG);
	assert_null(g);
	assert_true(npuc_load_memory(junk, 0, &g) < 0);
	assert_null(g);
	memset(&tn, 0, sizeof(tn));
	assert_true(npuc_tensor_decode(junk, sizeof(junk), &tn) < 0);
	npuc_tensor_release(&tn);
}

static void test_cycle(void **state)
{
	struct tmodel t;

	(void)state;
	tmodel_init(&t);
	/* Relu(b) -> a, Relu(a) -> b; graph output a */
	t.nin[0][0] = (char *)"b";
	t.nout[0][0] = (char *)"a";
	t.nin[1][0] = (char *)"a";
	t.nout[1][0] = (char *)"b";
	t.g.n_node = 2;
	t.vi[1].name = (char *)"a";
	assert_int_equal(load(&t), -EINVAL);
	assert_non_null(strstr(npuc_last_error(), "cycle"));
}

static void test_dims(void **state)
{
	struct tmodel t;

	(void)state;
	tmodel_init(&t);
	t.d[0][0].dim_value = t.d[0][1].dim_value = 1ll << 40;
	t.d[1][0].dim_value = t.d[1][1].dim_value = 1ll << 40;
	assert_true(load(&t) < 0);

	tmodel_init(&t);
	t.d[0][0].dim_value = -3;
	t.d[1][0].dim_value = -3;
	assert_true(load(&t) < 0);

	/* rank 9 */
	{
		Onnx__TensorShapeProto__Dimension d[9], *dp[9];
		int i;

		tmodel_init(&t);
		for (i = 0; i < 9; i++) {
			onnx__tensor_shape_proto__dimension__init(&d[i]);
			d[i].value_case =
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d[i].dim_value = 1;
			dp[i] = &d[i];
		}
		t.sh[0].n_dim = 9;
		t.sh[0].dim = dp;
		assert_true(load(&t) < 0);
	}
}

static void test_types(void **state)
{
	struct tmodel t;
	uint8_t raw[10] = { 0 };

	(void)state;
	tmodel_init(&t);
	t.tt[0].elem_type = 8;		/* STRING */
	assert_int_equal(load(&t), -EOPNOTSUPP);

	/* initializer "w": INT32[10] with 10 bytes of raw_data */
	tmodel_init(&t);
	t.init.name = (char *)"w";
	t.init.has_data_type = 1;
	t.init.data_type = 6;
	t.init.n_dims = 1;
	t.init_dims[0] = 10;
	t.init.dims = t.init_dims;
	t.init.has_raw_data = 1;
	t.init.raw_data.len = sizeof(raw);
	t.init.raw_data.data = raw;
	t.g.n_initializer = 1;
	t.g.initializer = t.initp;
	assert_int_equal(load(&t), -EBADMSG);
}

static void test_opset_and_names(void **state)
{
	struct tmodel t;

	(void)state;
	tmodel_init(&t);
	t.ops.version = 11;
	assert_true(load(&t) < 0);

	tmodel_init(&t);
	t.m.n_opset_import = 0;
	assert_true(load(&t) < 0);

	tmodel_init(&t);
	t.nin[0][0] = (char *)"nope";
	assert_true(load(&t) < 0);

	/* two nodes writing y */
	tmodel_init(&t);
	t.nin[1][0] = (char *)"x";
	t.nout[1][0] = (char *)"y";
	t.g.n_node = 2;
	assert_true(load(&t) < 0);

	tmodel_init(&t);
	t.m.graph = NULL;
	assert_true(load(&t) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_compiles),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage_and_empty),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_dims),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_opset_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
