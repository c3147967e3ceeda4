# tools/npu-compile/sources.mk - libnpuc's sources: every .c of
# tools/npu-compile but the programs' and the plugin's (included by
# tools/npu-compile/build.mk, tests/unit/build.mk and tests/fuzz/build.mk),
# and the header of their hash.
NPUC_LIB_SRCS := $(filter-out $(addprefix tools/npu-compile/,npu-compile.c \
	model-check.c npuc-bench.c onnx-conformance.c onnx-refcheck.c \
	quant-ulp.c plugin.c),$(sort $(wildcard tools/npu-compile/*.c)))

# The hash of the sources that decide the programs made, in the compile
# cache's key (npuc_cache.h); rewritten only when it changes. cache.c
# includes it.
ifndef NPUC_BUILD_H
NPUC_BUILD_H := $(BUILD)/tools/npu-compile/gen/npuc_build.h
NPUC_HASHED := $(sort $(wildcard tools/npu-compile/*.c tools/npu-compile/*.h)) \
	runtime/src/builder.c runtime/src/program.c runtime/include/npurt.h \
	uapi/rm_npu.h
$(NPUC_BUILD_H): $(NPUC_HASHED)
	@mkdir -p $(@D)
	@h=$$(cat $(NPUC_HASHED) | sha256sum | cut -c1-64) && \
	echo "#define NPUC_SOURCE_HASH \"$$h\"" > $@.tmp && \
	{ cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }
endif
