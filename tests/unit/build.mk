# Host unit tests: every tests/unit/test_NAME.c becomes
# $(BUILD)/tests/unit/test_NAME, built with ASan+UBSan and cmocka, and is
# appended to UNIT_TESTS.
#
# A test that needs more than its own file declares, before the
# $(foreach ...) line at the bottom of this file:
#   test_NAME_SRCS   := extra .c files compiled into it (repo-relative)
#   test_NAME_CFLAGS := extra compiler flags
#   test_NAME_LIBS   := extra libraries (-lcmocka is always linked)
# Objects go to $(BUILD)/tests/unit/obj/test_NAME/, one per source, with
# -MMD dependency files, so header changes rebuild what uses them.

UNIT_TEST_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_TEST_NAMES := $(UNIT_TEST_SRCS:tests/unit/%.c=%)

# ---- per-test extras ----
test_fw_image_SRCS := firmware-stubs/rm_npu_fw_image.c
test_fw_image_LIBS := -lz

# The CPU steps' test reads ONNX node test data (TensorProto files).
test_cpu_ops_SRCS := tests/common/tensor_pb.c
test_cpu_ops_CFLAGS += -Itests/common

# The binary32 emulation against the FPU (fmaf() from libm).
test_f32_emu_LIBS := -lm

# The test_ops family (sources of the engine set in kmod/ops/build.mk) also
# links the naive references and command generators of tests/common/.
NPU_REF_SRCS := tests/common/npu_ref.c
$(foreach t,test_ops test_ops_baseline test_ops_scalar,\
	$(eval $(t)_SRCS += $(NPU_REF_SRCS))\
	$(eval $(t)_CFLAGS += -Itests/common)\
	$(eval $(t)_LIBS += -lm))

# The command engine at the 2^32 boundaries of its unit maths.
test_ops_bounds_SRCS := $(NPU_OPS_SRCS)

# The ONNX compiler's tests (tests/unit/test_onnx_*.c, tools/npu-compile):
# libnpuc's sources built with the sanitizers, the generated onnx.pb-c.o
# (protoc-c output in $(BUILD), built by tools/npu-compile/build.mk) and
# libnpurt-san. Left out when protoc-c, libprotobuf-c-dev or python3-onnx's
# onnx.proto are missing (the compiler itself is skipped then).
ONNX_UNIT_OK := $(and $(wildcard /usr/lib/python3/dist-packages/onnx/onnx.proto \
	/usr/lib/python3/dist-packages/onnx/onnx-ml.proto),$(shell command -v \
	protoc-c 2>/dev/null),$(wildcard /usr/include/protobuf-c/protobuf-c.h))
ONNX_UNIT_TESTS := $(filter test_onnx_%,$(UNIT_TEST_NAMES))
include tools/npu-compile/sources.mk
ifeq ($(ONNX_UNIT_OK),)
UNIT_TEST_NAMES := $(filter-out $(ONNX_UNIT_TESTS),$(UNIT_TEST_NAMES))
else
ONNX_UNIT_GEN := $(BUILD)/tools/npu-compile/gen
ONNX_UNIT_PBO := $(BUILD)/tools/npu-compile/obj/onnx.pb-c.o
$(foreach t,$(ONNX_UNIT_TESTS),\
	$(eval $(t)_SRCS += $(NPUC_LIB_SRCS))\
	$(eval $(t)_CFLAGS += -Iruntime/include -Itools/npu-compile \
		-I$(ONNX_UNIT_GEN) -Itests/unit)\
	$(eval $(t)_LIBS += $(NPURT_SAN_A) $(NPURT_LIBS) -lprotobuf-c -lcrypto -lm)\
	$(eval $(BUILD)/tests/unit/$(t): $(ONNX_UNIT_PBO) $(NPURT_SAN_A)))
endif

# npu-device-plugin's inventory (pure logic): its source and the headers
# it sees (dp.h includes gRPC's through rpc.h). Left out without libgrpc-dev,
# as the plugin is.
# test_rpc: its gRPC layer (rpc.c, sanitized) with the messages protoc-c
# generates (tools/npu-device-plugin/build.mk builds that object).
DP_UNIT_OK := $(and $(shell pkg-config --exists grpc 2>/dev/null && echo y),\
	$(shell command -v protoc-c 2>/dev/null))
DP_UNIT_GEN := $(BUILD)/tools/npu-device-plugin/gen
DP_UNIT_PBO := $(BUILD)/tools/npu-device-plugin/obj/deviceplugin.pb-c.o
ifneq ($(DP_UNIT_OK),)
test_dp_inventory_SRCS := tools/npu-device-plugin/dp_inventory.c
test_dp_inventory_CFLAGS := -Itools/npu-device-plugin -Itools/npu-smi \
	-Iruntime/include $(shell pkg-config --cflags grpc 2>/dev/null)
test_rpc_SRCS := tools/npu-device-plugin/rpc.c
test_rpc_CFLAGS := -Itools/npu-device-plugin -I$(DP_UNIT_GEN) \
	$(shell pkg-config --cflags grpc 2>/dev/null)
test_rpc_LIBS := -lgrpc -lgpr -lprotobuf-c
# (the object is a prerequisite, so the link takes it from $^)
$(BUILD)/tests/unit/test_rpc: $(DP_UNIT_PBO)
else
UNIT_TEST_NAMES := $(filter-out test_dp_inventory test_rpc,$(UNIT_TEST_NAMES))
endif

# $(1): test name.  Recipe variables are escaped so that _CFLAGS and _LIBS
# may also be set later; _SRCS must be set before the expansion below.
define UNIT_TEST_RULES
$(1)_OBJS := $$(patsubst %.c,$$(BUILD)/tests/unit/obj/$(1)/%.o,tests/unit/$(1).c $$($(1)_SRCS))

$$(BUILD)/tests/unit/$(1): $$($(1)_OBJS)
	@mkdir -p $$(@D)
	$$(CC) $$(SAN_CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LIBS) -lcmocka

$$(BUILD)/tests/unit/obj/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$(SAN_CFLAGS) $$(CFLAGS) $$($(1)_CFLAGS) -MMD -MP -c -o $$@ $$<

-include $$($(1)_OBJS:.o=.d)
UNIT_TESTS += $$(BUILD)/tests/unit/$(1)
endef

$(foreach t,$(UNIT_TEST_NAMES),$(eval $(call UNIT_TEST_RULES,$(t))))

# test_gpu_kernels (C++): the GPU backend's CONV2D and GEMM kernels
# compiled for the host through tests/unit/gpu_emu.h (tensor cores
# included: G_TC), with the naive references. CUDA's #pragma unroll means
# nothing to g++.
GPU_EMU_CXXFLAGS := -std=c++17 -D_GNU_SOURCE -g -ffp-contract=off -Wall \
	-Wextra -Werror -Wno-unknown-pragmas -Wno-unused-parameter -Iuapi \
	-Ikmod/ops -Itests/common -Itests/unit -Iruntime/src
GPU_EMU_OBJ := $(BUILD)/tests/unit/obj/test_gpu_kernels

$(GPU_EMU_OBJ)/test_gpu_kernels.o: tests/unit/test_gpu_kernels.cc \
		tests/unit/gpu_emu.h tests/unit/gpu_emu_float.h \
		runtime/src/gpu_kernels.cu runtime/src/gpu_fill.h \
		runtime/src/gpu_params.h tests/common/npu_ref.h
	@mkdir -p $(@D)
	$(CXX) $(GPU_EMU_CXXFLAGS) $(SAN_CFLAGS) -c -o $@ $<

$(GPU_EMU_OBJ)/npu_ref.o: tests/common/npu_ref.c tests/common/npu_ref.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -Itests/common -c -o $@ $<

$(GPU_EMU_OBJ)/gpu_fill.o: runtime/src/gpu_fill.c runtime/src/gpu_fill.h \
		runtime/src/gpu_params.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -Iruntime/src -c -o $@ $<

$(BUILD)/tests/unit/test_gpu_kernels: $(GPU_EMU_OBJ)/test_gpu_kernels.o \
		$(GPU_EMU_OBJ)/npu_ref.o $(GPU_EMU_OBJ)/gpu_fill.o
	$(CXX) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $^ -lpthread -lm

UNIT_TESTS += $(BUILD)/tests/unit/test_gpu_kernels

# test_rpc: the generated header must exist before its objects build.
$(if $(DP_UNIT_OK),$(eval $(test_rpc_OBJS): | $(DP_UNIT_GEN)/deviceplugin.pb-c.h))

# test_onnx_*: the generated header must exist before their objects build.
$(foreach t,$(if $(ONNX_UNIT_OK),$(ONNX_UNIT_TESTS)),\
	$(eval $($(t)_OBJS): | $(ONNX_UNIT_GEN)/onnx.pb-c.h $(NPUC_BUILD_H)))
