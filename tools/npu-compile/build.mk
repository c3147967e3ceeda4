# tools/npu-compile/build.mk - the ONNX compiler: libnpuc (import, lowering,
# quantization, cache), the plugin libnpuc.so.1 that libnpurt loads for
# .onnx models, npu-compile, onnx-conformance and quant-ulp.
#
# onnx.pb-c.[ch] are generated at build time by protoc-c from the onnx.proto
# that Debian's python3-onnx installs (tools/install-deps lists
# python3-onnx, protobuf-c-compiler, libprotobuf-c-dev). Without them the
# compiler is skipped with a notice, so `make all` stays green.
#
#   make onnx-test       conformance of the claimed tests
#                        (tests/onnx/claimed.list) on the CPU backend,
#                        the example CNNs against the naive reference
#                        (onnx-refcheck), the malformed-model and cache tests
#
# Conformance data: ../shared/onnx/node when it exists, else the vendored
# copy tests/onnx/node (tests/onnx/refresh). The same claimed list runs on
# the host and, staged into $(BUILD)/tests/vm/onnx/, in the VM
# (tests/vm/test_onnx_conformance.sh).
#   make onnx-ulp        fixed-point vs float requantization figure

NPUC_PROTO := $(firstword $(wildcard /usr/lib/python3/dist-packages/onnx/onnx.proto \
	/usr/lib/python3/dist-packages/onnx/onnx-ml.proto))
NPUC_PROTOC := $(shell command -v protoc-c 2>/dev/null)
NPUC_PBC_H := $(wildcard /usr/include/protobuf-c/protobuf-c.h)
NPUC_DIR := $(BUILD)/tools/npu-compile
NPUC_GEN := $(NPUC_DIR)/gen
NPUC_BINS := $(BUILD)/bin/npu-compile $(BUILD)/bin/onnx-conformance \
	$(BUILD)/bin/model-check \
	$(BUILD)/bin/quant-ulp $(BUILD)/bin/onnx-refcheck $(BUILD)/bin/npuc-bench
ONNX_SHARED_DIR := ../shared/onnx/node
ONNX_NODE_DIR ?= $(if $(wildcard $(ONNX_SHARED_DIR)/INDEX.json),$(ONNX_SHARED_DIR),tests/onnx/node)
ONNX_CLAIMED := tests/onnx/claimed.list
ONNX_VM_DIR := $(BUILD)/tests/vm/onnx

.PHONY: onnx-test onnx-ulp npu-compile

uninstall-npuc:
	rm -f $(DESTDIR)$(LIBDIR)/libnpuc.so.1

ifneq ($(and $(NPUC_PROTO),$(NPUC_PROTOC),$(NPUC_PBC_H)),)

include tools/npu-compile/sources.mk
NPUC_SRCS := $(NPUC_LIB_SRCS)
NPUC_OBJS := $(NPUC_SRCS:tools/npu-compile/%.c=$(NPUC_DIR)/obj/%.o) \
	$(NPUC_DIR)/obj/onnx.pb-c.o
NPUC_LIB := $(NPUC_DIR)/libnpuc.a
# The plugin libnpurt dlopen()s for npurt_model_load("x.onnx"), next to
# libnpurt (runtime/src/npuc_plugin.h is its ABI; only npuc_plugin_* are
# exported). It finds libnpurt.so.1 next to itself ($ORIGIN).
NPUC_PLUGIN := $(BUILD)/lib/libnpuc.so.1
NPUC_CFLAGS := -Iruntime/include -Itools/npu-compile -I$(NPUC_GEN)
NPUC_LDLIBS := -L$(BUILD)/lib -lnpurt -Wl,-rpath,$(abspath $(BUILD)/lib) \
	-lprotobuf-c -lcrypto -lm

BIN_TARGETS += $(NPUC_BINS)
LIB_TARGETS += $(NPUC_PLUGIN)
npu-compile: $(NPUC_BINS) $(NPUC_PLUGIN)

$(NPUC_DIR)/obj/plugin.o: NPUC_CFLAGS += -Iruntime/src
$(NPUC_DIR)/obj/plugin.o: runtime/src/npuc_plugin.h

$(NPUC_PLUGIN): $(NPUC_OBJS) $(NPUC_DIR)/obj/plugin.o \
		tools/npu-compile/npuc_plugin.map | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $(NPUC_OBJS) $(NPUC_DIR)/obj/plugin.o \
		-Wl,-soname,libnpuc.so.1 \
		-Wl,--version-script=tools/npu-compile/npuc_plugin.map \
		-Wl,--no-undefined -Wl,-rpath,'$$ORIGIN' $(LDFLAGS) \
		-L$(BUILD)/lib -lnpurt -lprotobuf-c -lcrypto -lm

.PHONY: install-npuc uninstall-npuc
install-npuc: $(NPUC_PLUGIN)
	install -d $(DESTDIR)$(LIBDIR)
	install -m 755 $(NPUC_PLUGIN) $(DESTDIR)$(LIBDIR)/libnpuc.so.1

# The claimed tests, staged for the VM (npu-vm copies $(BUILD)/tests/vm).
VM_TEST_TARGETS += $(ONNX_VM_DIR)/.stamp
$(ONNX_VM_DIR)/.stamp: $(ONNX_CLAIMED) $(wildcard tests/onnx/node/*/model.onnx)
	rm -rf $(@D)
	mkdir -p $(@D)/node
	for t in $$(grep -v '^[[:space:]]*#' $(ONNX_CLAIMED)); do \
		cp -r $(ONNX_NODE_DIR)/$$t $(@D)/node/ || exit 1; done
	cp $(ONNX_CLAIMED) $(@D)/claimed.list
	touch $@

# gen-models.py's models that mix NPU commands and CPU steps, as .onnx and
# precompiled .npuprog, for tests/vm/test_rt_mixed (/tests/vm/mixed/).
NPUC_MIXED_MODELS := float_cnn mixed_mlp
NPUC_MIXED_DIR := $(BUILD)/tests/vm/mixed
VM_TEST_TARGETS += $(NPUC_MIXED_DIR)/.stamp
$(NPUC_MIXED_DIR)/.stamp: tools/npu-compile/gen-models.py \
		$(BUILD)/bin/npu-compile
	rm -rf $(@D) $(@D).gen
	/usr/bin/python3 $< $(@D).gen > /dev/null
	mkdir -p $(@D)
	for m in $(NPUC_MIXED_MODELS); do \
		cp $(@D).gen/$$m.onnx $(@D)/ && \
		$(BUILD)/bin/npu-compile $(@D)/$$m.onnx \
			-o $(@D)/$$m.npuprog || exit 1; done
	rm -rf $(@D).gen
	touch $@

# The generated .h is produced together with the .c.
$(NPUC_GEN)/onnx.pb-c.c: $(NPUC_PROTO)
	@mkdir -p $(@D)
	cp $< $(@D)/onnx.proto
	cd $(@D) && $(NPUC_PROTOC) --c_out=. onnx.proto
$(NPUC_GEN)/onnx.pb-c.h: $(NPUC_GEN)/onnx.pb-c.c
	@test -f $@

$(NPUC_DIR)/obj/cache.o: $(NPUC_BUILD_H)

# Generated code: not ours to make warning-free.
$(NPUC_DIR)/obj/onnx.pb-c.o: $(NPUC_GEN)/onnx.pb-c.c $(NPUC_GEN)/onnx.pb-c.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g -fPIC -I$(NPUC_GEN) $(CFLAGS) -c -o $@ $<

$(NPUC_DIR)/obj/%.o: tools/npu-compile/%.c tools/npu-compile/npuc.h \
		tools/npu-compile/npuc_ir.h tools/npu-compile/npuc_ops.h \
		tools/npu-compile/lower.h \
		tools/npu-compile/npuc_cache.h $(NPUC_GEN)/onnx.pb-c.h \
		runtime/include/npurt.h uapi/rm_npu.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(NPUC_CFLAGS) $(CFLAGS) -c -o $@ $<

$(NPUC_LIB): $(NPUC_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/npu-compile $(BUILD)/bin/onnx-conformance \
		$(BUILD)/bin/model-check \
		$(BUILD)/bin/onnx-refcheck $(BUILD)/bin/npuc-bench: $(BUILD)/bin/%: \
		$(NPUC_DIR)/obj/%.o $(NPUC_LIB) | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(NPUC_LIB) $(NPUC_LDLIBS)

$(BUILD)/bin/quant-ulp: $(NPUC_DIR)/obj/quant-ulp.o $(NPUC_LIB) | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(NPUC_LIB) $(NPUC_LDLIBS)

onnx-test: $(NPUC_BINS) $(NPUC_PLUGIN) $(BUILD)/bin/npu-run
	nice $(BUILD)/bin/onnx-conformance --device cpu --list $(ONNX_CLAIMED) \
		$(ONNX_NODE_DIR)
	BUILD=$(BUILD) nice tools/npu-compile/test-npu-compile

# The benchmark's model (gen-models.py's qop_cnn), for `make bench`.
NPUC_BENCH_MODEL := $(BUILD)/bench/npuc-models/qop_cnn.onnx
$(NPUC_BENCH_MODEL): tools/npu-compile/gen-models.py
	@mkdir -p $(@D)
	/usr/bin/python3 $< $(@D)
# tests/bench/build.mk runs npuc-bench inside `make bench` when it is built.
bench: $(NPUC_BENCH_MODEL)

onnx-ulp: $(BUILD)/bin/quant-ulp
	$(BUILD)/bin/quant-ulp

else

.PHONY: install-npuc uninstall-npuc
install-npuc:
	@:

npu-compile onnx-test onnx-ulp:
	@echo "npu-compile: protoc-c, libprotobuf-c-dev or python3-onnx's" \
		"onnx.proto missing; run tools/install-deps" >&2; exit 1

endif

# tests/unit/test_onnx_model_load loads .onnx models through the plugin.
ifneq ($(NPUC_PLUGIN),)
test_onnx_model_load_CFLAGS += -DNPUC_PLUGIN_PATH='"$(abspath $(NPUC_PLUGIN))"'
$(BUILD)/tests/unit/test_onnx_model_load: | $(NPUC_PLUGIN)
endif
