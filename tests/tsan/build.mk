# tests/tsan/build.mk - `make tsan-test`: the CPU backend's threads under
# ThreadSanitizer. libnpurt, the compiler plugin and npu-run are built
# again with -fsanitize=thread under $(BUILD)/tsan (a build of their own,
# like the fuzzers'), then tests/tsan/run-tsan-test runs the real models on
# cpu(N) with splits forced, several runs in flight, and compares every
# output byte with cpu(1) of the normal build.
#
# NPU_OPS_NO_CLONES: the kernels' target_clones resolvers (GNU ifunc) run
# while the dynamic loader relocates libnpurt, before ThreadSanitizer's
# runtime is set up; instrumented, they crash the process at load.

TSAN_BUILD  := $(BUILD)/tsan
TSAN_CFLAGS := -fsanitize=thread -g -DNPU_OPS_NO_CLONES

.PHONY: tsan-test tsan-build

tsan-build:
	$(MAKE) BUILD=$(TSAN_BUILD) CFLAGS="$(TSAN_CFLAGS)" \
		LDFLAGS="-fsanitize=thread" \
		$(TSAN_BUILD)/bin/npu-run $(TSAN_BUILD)/lib/libnpuc.so.1

# the references come from the normal build's npu-run (this file is read
# before tools/*/build.mk, so their variables are not set yet)
tsan-test: tsan-build $(BUILD)/bin/npu-run $(BUILD)/lib/libnpuc.so.1
	BUILD=$(BUILD) TSAN_BUILD=$(TSAN_BUILD) nice tests/tsan/run-tsan-test
