/* SPDX-License-Identifier: MIT */
/*
 * test_onnx_common.h - build small ONNX models in memory with protobuf-c
 * (the generated onnx.pb-c.h) for the test_onnx_* unit tests.
 */
#ifndef TEST_ONNX_COMMON_H
#define TEST_ONNX_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

struct tmodel {
	Onnx__ModelProto m;
	Onnx__OperatorSetIdProto ops, *opsp[1];
	Onnx__GraphProto g;
	Onnx__NodeProto n[2], *np[2];
	char *nin[2][1], *nout[2][1];
	Onnx__ValueInfoProto vi[2], *vin[1], *vout[1];
	Onnx__TypeProto ty[2];
	Onnx__TypeProto__Tensor tt[2];
	Onnx__TensorShapeProto sh[2];
	Onnx__TensorShapeProto__Dimension d[2][2], *dp[2][2];
	Onnx__TensorProto init, *initp[1];
	int64_t init_dims[1];
};

/* A valid model: y = Relu(x), int8[2][4], opset 14. */
static inline void tmodel_init(struct tmodel *t)
{
	static const char *const names[2] = { "x", "y" };
	int i, k;

	memset(t, 0, sizeof(*t));
	onnx__model_proto__init(&t->m);
	onnx__operator_set_id_proto__init(&t->ops);
	onnx__graph_proto__init(&t->g);
	t->ops.domain = (char *)"";
	t->ops.has_version = 1;
	t->ops.version = 14;
	t->opsp[0] = &t->ops;
	t->m.has_ir_version = 1;
	t->m.ir_version = 7;
	t->m.n_opset_import = 1;
	t->m.opset_import = t->opsp;
	t->m.graph = &t->g;
	t->g.name = (char *)"relu";
	for (i = 0; i < 2; i++) {
		onnx__node_proto__init(&t->n[i]);
		t->np[i] = &t->n[i];
		t->n[i].op_type = (char *)"Relu";
		t->n[i].n_input = 1;
		t->n[i].input = t->nin[i];
		t->n[i].n_output = 1;
		t->n[i].output = t->nout[i];
		onnx__value_info_proto__init(&t->vi[i]);
		onnx__type_proto__init(&t->ty[i]);
		onnx__type_proto__tensor__init(&t->tt[i]);
		onnx__tensor_shape_proto__init(&t->sh[i]);
		t->vi[i].name = (char *)names[i];
		t->vi[i].type = &t->ty[i];
		t->ty[i].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
		t->ty[i].tensor_type = &t->tt[i];
		t->tt[i].has_elem_type = 1;
		t->tt[i].elem_type = 3;	/* INT8 */
		t->tt[i].shape = &t->sh[i];
		t->sh[i].n_dim = 2;
		t->sh[i].dim = t->dp[i];
		for (k = 0; k < 2; k++) {
			onnx__tensor_shape_proto__dimension__init(&t->d[i][k]);
			t->dp[i][k] = &t->d[i][k];
			t->d[i][k].value_case =
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			t->d[i][k].dim_value = k ? 4 : 2;
		}
	}
	t->nin[0][0] = (char *)"x";
	t->nout[0][0] = (char *)"y";
	t->g.n_node = 1;
	t->g.node = t->np;
	t->vin[0] = &t->vi[0];
	t->vout[0] = &t->vi[1];
	t->g.n_input = 1;
	t->g.input = t->vin;
	t->g.n_output = 1;
	t->g.output = t->vout;
	onnx__tensor_proto__init(&t->init);
	t->initp[0] = &t->init;
}

/* Serialize; the caller frees. */
static inline uint8_t *tmodel_pack(const struct tmodel *t, size_t *len)
{
	uint8_t *buf;

	*len = onnx__model_proto__get_packed_size(&t->m);
	buf = malloc(*len ? *len : 1);
	if (buf)
		onnx__model_proto__pack(&t->m, buf);
	return buf;
}

#endif /* TEST_ONNX_COMMON_H */
