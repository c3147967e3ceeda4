# tools/npu-run: run, check and measure a model through libnpurt
# (npu-run.1). Links libnpurt, json-c and libnpuc (the static compiler
# library, for its TensorProto decoder), so it is built with the compiler
# (tools/npu-compile/build.mk, included before this file) or not at all.
#
#   make npu-run-test    host test on the CPU (tools/npu-run/test-npu-run)
#
# tests/vm/test_npu_run.sh runs it on NPU specs in the VM.

NPU_RUN := $(BUILD)/bin/npu-run
NPU_RUN_SRCS := $(sort $(wildcard tools/npu-run/*.c))
NPU_RUN_MODELS := $(BUILD)/tools/npu-run/models

.PHONY: npu-run-test

ifneq ($(NPUC_LIB),)
BIN_TARGETS += $(NPU_RUN)

$(NPU_RUN): $(NPU_RUN_SRCS) tools/npu-run/run.h $(NPUC_LIB) \
		tools/npu-compile/npuc.h runtime/include/npurt.h | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iruntime/include -Itools/npu-compile \
		-Itools/npu-run $(CFLAGS) -o $@ $(NPU_RUN_SRCS) $(LDFLAGS) \
		$(NPUC_LIB) -L$(BUILD)/lib -lnpurt -ljson-c -lprotobuf-c \
		-lcrypto -lm -Wl,-rpath,'$$ORIGIN/../lib'

npu-run-test: $(NPU_RUN) $(NPUC_PLUGIN)
	BUILD=$(BUILD) nice tools/npu-run/test-npu-run

else
npu-run-test:
	@echo "npu-run: needs the compiler (protoc-c, libprotobuf-c-dev," \
		"python3-onnx); run tools/install-deps" >&2; exit 1
endif
