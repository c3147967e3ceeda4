# tests/gpu/build.mk - the GPU backend's tests and benchmark. They build
# everywhere (libnpurt loads CUDA at run time) and skip (exit 77) without
# a usable GPU:
#
#   make gpu-test    tests/gpu/run-gpu-tests: the op test against the naive
#                    references, ONNX node conformance and models on cuda:0
#                    compared with cpu byte for byte
#   make gpu-bench   tests/gpu/run-gpu-bench: int8 GEMM 4096^3 against
#                    torch._int_mm, models at batch 1 and 64 against cpu
#   make gpu-src-check  the kernels' CUDA C compiled by NVRTC (no GPU
#                    needed; skipped without NVRTC): GPU_ARCHS, default
#                    sm_90; each kernel's registers and spills
#
# GPU_SPEC (default cuda:0) names the device.

GPU_SPEC ?= cuda:0
GPU_ARCHS ?= sm_90
GPU_TEST_BINS := $(BUILD)/tests/gpu/test_gpu_ops $(BUILD)/tests/gpu/gpu-bench \
		 $(BUILD)/tests/gpu/nvrtc-check $(BUILD)/tests/gpu/test_gpu_libm
GPU_TEST_CFLAGS := $(NPURT_CFLAGS) -Itests/common

$(BUILD)/tests/gpu/test_gpu_ops: tests/gpu/test_gpu_ops.c \
		tests/common/npu_ref.c $(NPURT_A)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(GPU_TEST_CFLAGS) $(CFLAGS) -o $@ \
		tests/gpu/test_gpu_ops.c tests/common/npu_ref.c $(NPURT_A) \
		$(LDFLAGS) $(NPURT_LIBS)

$(BUILD)/tests/gpu/test_gpu_libm: tests/gpu/test_gpu_libm.c $(NPURT_A)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(GPU_TEST_CFLAGS) $(CFLAGS) -o $@ $< $(NPURT_A) \
		$(LDFLAGS) $(NPURT_LIBS)

$(BUILD)/tests/gpu/gpu-bench: tests/gpu/gpu-bench.c $(NPURT_A)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(GPU_TEST_CFLAGS) $(CFLAGS) -o $@ $< $(NPURT_A) \
		$(LDFLAGS) $(NPURT_LIBS)

$(BUILD)/tests/gpu/nvrtc-check: tests/gpu/nvrtc-check.c $(NPURT_GPU_SRC) \
		$(NPURT_A)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(GPU_TEST_CFLAGS) $(CFLAGS) -o $@ $< $(NPURT_A) \
		$(LDFLAGS) $(NPURT_LIBS)

BIN_TARGETS += $(GPU_TEST_BINS)

.PHONY: gpu-test gpu-bench gpu-src-check
gpu-test: userspace
	BUILD=$(BUILD) GPU_SPEC='$(GPU_SPEC)' ONNX_NODE_DIR=$(ONNX_NODE_DIR) \
		tests/gpu/run-gpu-tests

gpu-bench: userspace
	BUILD=$(BUILD) GPU_SPEC='$(GPU_SPEC)' tests/gpu/run-gpu-bench

gpu-src-check: $(BUILD)/tests/gpu/nvrtc-check
	$(BUILD)/tests/gpu/nvrtc-check $(GPU_ARCHS); \
		rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]
