# runtime/build.mk - libnpurt: shared and static library, pkg-config files,
# install rules, the sanitized archive the host unit tests link, examples,
# the VM tests that link the library, and the runtime benchmark.
#
# $(BUILD)/lib/libnpurt.so.1.4.0 (+ .so.1, .so links)   SONAME libnpurt.so.1
# $(BUILD)/lib/libnpurt.a
# $(BUILD)/lib/pkgconfig/npurt.pc      for building against the build tree
# $(BUILD)/runtime/npurt.pc            the installed one (PREFIX)
# $(BUILD)/runtime/libnpurt-san.a      ASan+UBSan objects for tests/unit
# $(BUILD)/examples/*                  examples/*.c, built via pkg-config
# $(BUILD)/bench/npurt-bench           runtime benchmark (make bench-runtime)
#
# make install-runtime / uninstall-runtime honour PREFIX (default /usr/local),
# LIBDIR (default $(PREFIX)/lib), INCLUDEDIR and DESTDIR. Headers go to
# $(INCLUDEDIR)/npurt/ (npurt.h and the uAPI rm_npu.h it includes).

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=

NPURT_VERSION := 1.4.0
NPURT_SONAME  := libnpurt.so.1
NPURT_SRCS    := $(sort $(wildcard runtime/src/*.c)) $(NPU_OPS_SRCS)
NPURT_HDRS    := runtime/include/npurt.h $(wildcard runtime/src/*.h) \
	uapi/rm_npu.h kmod/ops/npu_ops.h kmod/ops/npu_ops_shim.h
NPURT_GEN     := $(BUILD)/runtime/gen
NPURT_CFLAGS  := -Iruntime/include -Iruntime/src -I$(NPURT_GEN) -pthread
NPURT_LIBS    := -ludev -lnuma -ljson-c -lz -lpthread -ldl -lm
NPURT_MAP     := runtime/libnpurt.map

NPURT_OBJDIR  := $(BUILD)/runtime/obj
NPURT_SANDIR  := $(BUILD)/runtime/san
NPURT_OBJS    := $(NPURT_SRCS:%.c=$(NPURT_OBJDIR)/%.o)
NPURT_SANOBJS := $(NPURT_SRCS:%.c=$(NPURT_SANDIR)/%.o)

NPURT_SO      := $(BUILD)/lib/libnpurt.so.$(NPURT_VERSION)
NPURT_SO_LNKS := $(BUILD)/lib/$(NPURT_SONAME) $(BUILD)/lib/libnpurt.so
NPURT_A       := $(BUILD)/lib/libnpurt.a
NPURT_SAN_A   := $(BUILD)/runtime/libnpurt-san.a
NPURT_PC      := $(BUILD)/lib/pkgconfig/npurt.pc
NPURT_PC_INST := $(BUILD)/runtime/npurt.pc

LIB_TARGETS += $(NPURT_SO) $(NPURT_SO_LNKS) $(NPURT_A) $(NPURT_PC) \
	$(NPURT_PC_INST)

# The GPU kernels (CUDA C, compiled at run time by NVRTC) as one C string:
# their parameter header followed by their sources, the commands' and the
# float CPU steps'.
NPURT_GPU_SRC := $(NPURT_GEN)/gpu_kernels_src.h
$(NPURT_GPU_SRC): runtime/src/gpu_params.h runtime/src/gpu_kernels.cu \
		runtime/src/gpu_steps.cu
	@mkdir -p $(@D)
	{ echo '/* generated from $^ */'; \
	  echo 'static const char npurt_gpu_src[] ='; \
	  cat $^ | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/'; \
	  echo ';'; } > $@.tmp
	mv -f $@.tmp $@
$(NPURT_OBJDIR)/runtime/src/gpu_backend.o \
$(NPURT_SANDIR)/runtime/src/gpu_backend.o: $(NPURT_GPU_SRC)

$(NPURT_OBJDIR)/%.o: %.c $(NPURT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(NPURT_CFLAGS) -DNPURT_BUILD -fvisibility=hidden \
		$(CFLAGS) -c -o $@ $<

$(NPURT_SANDIR)/%.o: %.c $(NPURT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(NPURT_CFLAGS) $(CFLAGS) -c -o $@ $<

$(NPURT_SO): $(NPURT_OBJS) $(NPURT_MAP)
	@mkdir -p $(@D)
	$(CC) -shared -o $@ $(NPURT_OBJS) -Wl,-soname,$(NPURT_SONAME) \
		-Wl,--version-script=$(NPURT_MAP) -Wl,--no-undefined \
		$(LDFLAGS) $(NPURT_LIBS)

$(BUILD)/lib/$(NPURT_SONAME): $(NPURT_SO)
	ln -sf $(notdir $<) $@

$(BUILD)/lib/libnpurt.so: $(BUILD)/lib/$(NPURT_SONAME)
	ln -sf $(notdir $<) $@

$(NPURT_A): $(NPURT_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(NPURT_SAN_A): $(NPURT_SANOBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# $(1): prefix, $(2): includedir, $(3): libdir, $(4): Cflags
define NPURT_PC_GEN
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(1)|' -e 's|@INCLUDEDIR@|$(2)|' \
	    -e 's|@LIBDIR@|$(3)|' -e 's|@VERSION@|$(NPURT_VERSION)|' \
	    -e 's|@CFLAGS@|$(4)|' $< > $@.tmp
	mv -f $@.tmp $@
endef

$(NPURT_PC): runtime/npurt.pc.in runtime/build.mk
	$(call NPURT_PC_GEN,$(CURDIR),$(CURDIR)/runtime/include,$(abspath \
		$(BUILD)/lib),-I$${includedir} -I$(CURDIR)/uapi)

# The installed npurt.pc depends on PREFIX, INCLUDEDIR and LIBDIR given on
# the command line: a stamp file that changes only when they do.
NPURT_PC_VARS := $(PREFIX)|$(INCLUDEDIR)|$(LIBDIR)
$(BUILD)/runtime/pc-vars: npurt-pc-vars-check
	@:
.PHONY: npurt-pc-vars-check
npurt-pc-vars-check:
	@mkdir -p $(BUILD)/runtime
	@echo '$(NPURT_PC_VARS)' | cmp -s - $(BUILD)/runtime/pc-vars || \
		echo '$(NPURT_PC_VARS)' > $(BUILD)/runtime/pc-vars

$(NPURT_PC_INST): runtime/npurt.pc.in runtime/build.mk $(BUILD)/runtime/pc-vars
	$(call NPURT_PC_GEN,$(PREFIX),$(INCLUDEDIR),$(LIBDIR),-I$${includedir}/npurt)

.PHONY: install-runtime uninstall-runtime bench-runtime

install-runtime: $(NPURT_SO) $(NPURT_A) $(NPURT_PC_INST)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/npurt
	install -m 755 $(NPURT_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libnpurt.so.$(NPURT_VERSION) $(DESTDIR)$(LIBDIR)/$(NPURT_SONAME)
	ln -sf $(NPURT_SONAME) $(DESTDIR)$(LIBDIR)/libnpurt.so
	install -m 644 $(NPURT_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 runtime/include/npurt.h uapi/rm_npu.h \
		$(DESTDIR)$(INCLUDEDIR)/npurt/
	install -m 644 $(NPURT_PC_INST) $(DESTDIR)$(LIBDIR)/pkgconfig/

uninstall-runtime:
	rm -f $(DESTDIR)$(LIBDIR)/libnpurt.so.$(NPURT_VERSION) \
		$(DESTDIR)$(LIBDIR)/$(NPURT_SONAME) \
		$(DESTDIR)$(LIBDIR)/libnpurt.so $(DESTDIR)$(LIBDIR)/libnpurt.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/npurt.pc \
		$(DESTDIR)$(INCLUDEDIR)/npurt/npurt.h \
		$(DESTDIR)$(INCLUDEDIR)/npurt/rm_npu.h
	-rmdir $(DESTDIR)$(INCLUDEDIR)/npurt 2>/dev/null

# ---- host unit tests (tests/unit/build.mk turns each test_*.c into a
# binary; these variables must exist before it is included, which the
# sorted include order guarantees: runtime/ < tests/).
NPURT_UNIT_TESTS := test_spec test_suballoc test_program test_queue \
	test_cpu_backend test_model test_runner test_diag test_cpu_ops test_run_opts \
	test_bulk_copy test_cpu_mbox test_cpu_range test_gpu_steps
NPURT_UNIT_CFLAGS := $(NPURT_CFLAGS) -Itests/unit -Iexamples
$(foreach t,$(NPURT_UNIT_TESTS),\
	$(eval $(t)_CFLAGS := $(NPURT_UNIT_CFLAGS))\
	$(eval $(t)_LIBS := $(NPURT_SAN_A) $(NPURT_LIBS))\
	$(eval $(BUILD)/tests/unit/$(t): $(NPURT_SAN_A)))

# ---- VM tests linking the shared library (tests/vm/test_rt_*.c) ----
NPURT_VM_TESTS := $(patsubst tests/vm/%.c,$(BUILD)/tests/vm/%,\
	$(wildcard tests/vm/test_rt_*.c))
$(NPURT_VM_TESTS): VM_TEST_CFLAGS += -Iruntime/include -Iexamples
$(NPURT_VM_TESTS): VM_TEST_LDLIBS += -L$(BUILD)/lib -lnpurt -lm
$(NPURT_VM_TESTS): | $(NPURT_SO_LNKS)
$(NPURT_VM_TESTS): runtime/include/npurt.h examples/example_mlp.h

# ---- examples: written against the installed-style header and built the
# way an application would be, with pkg-config (the build-tree npurt.pc).
NPURT_EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,\
	$(wildcard examples/*.c))
BIN_TARGETS += $(NPURT_EXAMPLES)

$(BUILD)/examples/%: examples/%.c examples/example_mlp.h $(NPURT_PC) \
		$(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN_CFLAGS) $(CFLAGS) -Iexamples \
		$$(PKG_CONFIG_PATH=$(BUILD)/lib/pkgconfig pkg-config --cflags npurt) \
		-o $@ $< $(LDFLAGS) \
		$$(PKG_CONFIG_PATH=$(BUILD)/lib/pkgconfig pkg-config --libs npurt) \
		-Wl,-rpath,$(abspath $(BUILD)/lib) -lpthread -lm

# ---- benchmark ----
NPURT_BENCH := $(BUILD)/bench/npurt-bench
BENCH_TARGETS += $(if $(wildcard runtime/bench/npurt-bench.c),$(NPURT_BENCH))

$(NPURT_BENCH): runtime/bench/npurt-bench.c examples/example_mlp.h \
		$(NPURT_SO_LNKS) runtime/include/npurt.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(NPURT_CFLAGS) -Iexamples $(CFLAGS) -o $@ $< \
		$(LDFLAGS) -L$(BUILD)/lib -lnpurt -Wl,-rpath,$(abspath \
		$(BUILD)/lib) -ljson-c -lpthread -lm

bench-runtime: $(NPURT_BENCH)
	$(NPURT_BENCH) --json $(BUILD)/bench/npurt.json

# The examples also go to $(BUILD)/bin, which the VM puts in /usr/bin (the
# README main job runs basic_runner on the NPU and on the CPU).
NPURT_EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/bin/%,\
	$(wildcard examples/*.c))
BIN_TARGETS += $(NPURT_EXAMPLE_BINS)

$(NPURT_EXAMPLE_BINS): $(BUILD)/bin/%: $(BUILD)/examples/%
	@mkdir -p $(@D)
	install -m 755 $< $@

# test_rt_env parses the runtime's Chrome trace back with json-c.
$(BUILD)/tests/vm/test_rt_env: VM_TEST_LDLIBS += -ljson-c
