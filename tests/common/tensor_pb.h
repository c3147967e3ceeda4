/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tensor_pb.h - reading ONNX TensorProto files (the input_K.pb and
 * output_K.pb of ONNX's node tests) in host tests, without protobuf: the
 * wire format of the few fields such files use.
 */
#ifndef RM_NPU_TESTS_TENSOR_PB_H
#define RM_NPU_TESTS_TENSOR_PB_H

#include <stddef.h>
#include <stdint.h>

#define NPU_PB_MAX_DIMS		8

/* TensorProto.DataType values read here */
enum { NPU_PB_FLOAT = 1, NPU_PB_UINT8 = 2, NPU_PB_INT8 = 3, NPU_PB_INT32 = 6,
       NPU_PB_INT64 = 7, NPU_PB_DOUBLE = 11 };

struct npu_pb_tensor {
	char name[128];
	int32_t data_type;
	unsigned int ndim;
	int64_t dims[NPU_PB_MAX_DIMS];
	uint64_t count;			/* product of the dims */
	void *data;			/* count elements, native layout */
};

/*
 * Read @path into @t (raw_data, or float_data / int32_data / int64_data /
 * double_data).
 * Return: 0, or a negative errno: -ENOENT and the like from the file,
 * -EBADMSG (malformed message, unsupported type, size not matching the
 * dims). @t is zeroed first; free it with npu_pb_free().
 */
int npu_pb_read(const char *path, struct npu_pb_tensor *t);
void npu_pb_free(struct npu_pb_tensor *t);

/* Convert a DOUBLE tensor to FLOAT in place (others are left alone).
 * Return: 0 or -ENOMEM. */
int npu_pb_to_float(struct npu_pb_tensor *t);

#endif /* RM_NPU_TESTS_TENSOR_PB_H */
