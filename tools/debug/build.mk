# tools/debug/build.mk - the debug-kernel tier (issue #7). Included by the
# top-level Makefile.
#
#   make debug-kernel    build (once, cached in $(BUILD)/debug-kernel/) the
#                        KASAN/lockdep/kmemleak/UBSAN/fault-injection kernel
#                        and rm_npu.ko against it (tools/debug-kernel)
#   make vm-test-debug   the whole VM suite on it, then a kmemleak scan
#                        (tools/debug/vm-test-debug; tests/vm/test_faultinject
#                        runs there and skips on the stock kernel)
# The stock ./rm_npu.ko is not needed nor touched.

.PHONY: debug-kernel vm-test-debug

debug-kernel:
	BUILD=$(BUILD) tools/debug-kernel

# KASAN makes the fuzzer ~4x slower: CI runs a quarter of its default
# 600k iterations here (override: make vm-test-debug NPU_DEBUG_GUEST_ENV=).
NPU_DEBUG_GUEST_ENV ?= NPU_FUZZ_ITERS=150000

vm-test-debug: debug-kernel firmware userspace
	BUILD=$(BUILD) NPU_DEBUG_GUEST_ENV="$(NPU_DEBUG_GUEST_ENV)" \
		tools/debug/vm-test-debug

# LD_PRELOAD helper of tests/vm/test_faultinject (see tools/debug/fi_preload.c).
VM_TEST_TARGETS += $(BUILD)/tests/vm/fi_preload.so

$(BUILD)/tests/vm/fi_preload.so: tools/debug/fi_preload.c | $(BUILD)/tests/vm/
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -shared -o $@ $< $(LDFLAGS)
