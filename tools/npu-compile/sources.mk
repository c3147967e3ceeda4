# tools/npu-compile/sources.mk - libnpuc's sources: every .c of
# tools/npu-compile but the programs' and the plugin's (included by
# tools/npu-compile/build.mk and tests/unit/build.mk).
NPUC_LIB_SRCS := $(filter-out $(addprefix tools/npu-compile/,npu-compile.c \
	model-check.c npuc-bench.c onnx-conformance.c onnx-refcheck.c \
	quant-ulp.c plugin.c),$(sort $(wildcard tools/npu-compile/*.c)))
