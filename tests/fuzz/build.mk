# tests/fuzz/build.mk - libFuzzer targets (clang, ASan + UBSan) for the
# userspace parsers: the device-spec parser (fuzz_spec), the .npuprog
# loader (fuzz_program) and the ONNX importer (fuzz_onnx). Seed corpora
# and regression inputs (inputs that once crashed, regress-*) are in
# tests/fuzz/corpus/<target>/; new inputs found go to $(BUILD)/fuzz/corpus/.
# The seeds: device specs of the grammar in npurt.h; tiny models of
# tests/onnx/node and of tools/npu-compile/gen-models.py (qop_cnn, qdq_cnn,
# mixed_mlp, float_cnn, three bad_*); .npuprog files compiled from those
# models by npu-compile (MODEL.onnx -o MODEL.npuprog), and
# float_islands.npuprog, the program of test_program.c's float-island CPU
# steps (ERF .. QLINEAR_SOFTMAX) saved by npurt_program_save().
#
#   make fuzz                      each target FUZZ_SECONDS (20) s, -seed=1,
#                                  fails on any crash, leak or timeout
#   make fuzz FUZZ_RUNS=1000000    a fixed number of runs: deterministic
#                                  with the fixed seed (what `make test` runs)
#   make fuzz FUZZ_SECONDS=600     the longer mode, by hand
#   make fuzz FUZZ_TARGETS=fuzz_onnx FUZZ_SEED=0   one target, random seed
#   make fuzz-build                build only
#
# Crashes land in $(BUILD)/fuzz/artifacts/<target>/; reproduce with
# $(BUILD)/fuzz/<target> FILE. The sources are built again with clang under
# $(BUILD)/fuzz/obj/, apart from the gcc build.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_SEED    ?= 1
FUZZ_NICE    ?= nice -n 10
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS  := $(BASE_CFLAGS) -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	-DNPURT_BUILD -Iruntime/include -Iruntime/src -I$(NPURT_GEN) -pthread
FUZZ_LDFLAGS := $(FUZZ_SAN) -fsanitize=fuzzer
FUZZ_RT_OBJS := $(NPURT_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_RT_LIBS := -lz -ljson-c -ludev -lnuma -lpthread -ldl -lm
# tools/npu-compile/build.mk is included after this file, so its test for
# protoc-c and onnx.proto (NPUC_*) and its file lists are repeated here.
FUZZ_HAVE_NPUC := $(and $(wildcard /usr/lib/python3/dist-packages/onnx/onnx.proto \
	/usr/lib/python3/dist-packages/onnx/onnx-ml.proto),$(shell command -v \
	protoc-c 2>/dev/null),$(wildcard /usr/include/protobuf-c/protobuf-c.h))
FUZZ_ALL     := fuzz_spec fuzz_program
ifneq ($(FUZZ_HAVE_NPUC),)
FUZZ_ALL     += fuzz_onnx
endif
FUZZ_TARGETS ?= $(FUZZ_ALL)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_ALL:%=$(FUZZ_DIR)/%)

# The GPU kernels' source, generated (runtime/build.mk).
$(FUZZ_DIR)/obj/runtime/src/gpu_backend.o: $(NPURT_GPU_SRC)

$(FUZZ_DIR)/obj/%.o: %.c $(NPURT_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz_spec $(FUZZ_DIR)/fuzz_program: $(FUZZ_DIR)/%: \
		$(FUZZ_DIR)/obj/tests/fuzz/%.o $(FUZZ_RT_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_RT_LIBS)

ifneq ($(FUZZ_HAVE_NPUC),)
# As NPUC_SRCS and NPUC_GEN of tools/npu-compile/build.mk (which makes
# onnx.pb-c.[ch]).
include tools/npu-compile/sources.mk
FUZZ_NPUC_SRCS := $(NPUC_LIB_SRCS)
FUZZ_NPUC_GEN  := $(BUILD)/tools/npu-compile/gen
FUZZ_NPUC_OBJS := $(FUZZ_NPUC_SRCS:%.c=$(FUZZ_DIR)/obj/%.o) \
	$(FUZZ_DIR)/obj/onnx.pb-c.o
# (clang, unlike gcc, flags the operator table's rows that leave their
# trailing members to the zero C gives them.)
$(FUZZ_NPUC_OBJS) $(FUZZ_DIR)/obj/tests/fuzz/fuzz_onnx.o: \
	FUZZ_CFLAGS += -Itools/npu-compile -I$(FUZZ_NPUC_GEN) \
	-Wno-missing-field-initializers
$(FUZZ_NPUC_OBJS): $(FUZZ_NPUC_GEN)/onnx.pb-c.h tools/npu-compile/npuc.h \
	tools/npu-compile/npuc_cache.h $(NPUC_BUILD_H)
$(FUZZ_DIR)/obj/tests/fuzz/fuzz_onnx.o: $(FUZZ_NPUC_GEN)/onnx.pb-c.h

# Generated code: not ours to make warning-free.
$(FUZZ_DIR)/obj/onnx.pb-c.o: $(FUZZ_NPUC_GEN)/onnx.pb-c.c $(FUZZ_NPUC_GEN)/onnx.pb-c.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		-I$(FUZZ_NPUC_GEN) $(CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz_onnx: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_onnx.o \
		$(FUZZ_NPUC_OBJS) $(FUZZ_RT_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ -lprotobuf-c -lcrypto \
		$(FUZZ_RT_LIBS)
endif

# The in-tree corpus is read only: new inputs go to the first (work) dir.
fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
		echo "fuzz: $$t for $(if $(FUZZ_RUNS),$(FUZZ_RUNS) runs,$(FUZZ_SECONDS) s) (seed $(FUZZ_SEED))"; \
		$(FUZZ_NICE) $(FUZZ_DIR)/$$t -seed=$(FUZZ_SEED) \
			$(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) -timeout=20 \
			-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ \
			$(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t \
			> $(FUZZ_DIR)/$$t.log 2>&1 || { \
			tail -n 60 $(FUZZ_DIR)/$$t.log; \
			echo "fuzz: $$t FAILED (log $(FUZZ_DIR)/$$t.log," \
				"artifacts $(FUZZ_DIR)/artifacts/$$t/)"; \
			exit 1; }; \
		echo "fuzz: $$t PASS: $$(grep -E '^stat::number_of_executed_units' \
			$(FUZZ_DIR)/$$t.log | awk '{print $$2}') execs"; \
	done
