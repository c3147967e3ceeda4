# tests/vm/build.mk - programs that run inside the VM (tools/npu-vm), and
# the in-guest runner. Included by the top-level Makefile; paths are
# relative to the repository root. Everything lands in $(BUILD)/tests/vm/,
# which tools/npu-vm copies to /tests/vm/ in the guest.
#
#   tests/vm/foo.c   -> $(BUILD)/tests/vm/foo   (C + cmocka, -lcmocka -lpthread)
#   tests/vm/foo.sh  -> $(BUILD)/tests/vm/foo   (installed without .sh)
#   tests/vm/run-tests, tests/vm/tests.list -> $(BUILD)/tests/vm/
#
# A test that needs more flags or libraries can add them per target, e.g.
#   $(BUILD)/tests/vm/foo: VM_TEST_LDLIBS += -L$(BUILD)/lib -lrmnpu
#   $(BUILD)/tests/vm/foo: $(BUILD)/lib/librmnpu.so
# (the guest has $(BUILD)/lib/* in /usr/lib, so no rpath is needed).

VM_TEST_DIR     := $(BUILD)/tests/vm
VM_TEST_CFLAGS  ?=
VM_TEST_LDLIBS  ?=
VM_TEST_PROGS   := $(patsubst tests/vm/%.c,$(VM_TEST_DIR)/%,$(wildcard tests/vm/*.c))
VM_TEST_SCRIPTS := $(patsubst tests/vm/%.sh,$(VM_TEST_DIR)/%,$(wildcard tests/vm/*.sh))

VM_TEST_TARGETS += $(VM_TEST_DIR)/run-tests $(VM_TEST_DIR)/tests.list \
	$(VM_TEST_PROGS) $(VM_TEST_SCRIPTS)

$(VM_TEST_DIR)/run-tests: tests/vm/run-tests | $(VM_TEST_DIR)/
	install -m 755 $< $@

$(VM_TEST_DIR)/tests.list: tests/vm/tests.list | $(VM_TEST_DIR)/
	install -m 644 $< $@

$(VM_TEST_SCRIPTS): $(VM_TEST_DIR)/%: tests/vm/%.sh | $(VM_TEST_DIR)/
	install -m 755 $< $@

$(VM_TEST_PROGS): $(VM_TEST_DIR)/%: tests/vm/%.c | $(VM_TEST_DIR)/ $(BUILD)/.deps/tests/vm/
	$(CC) $(BASE_CFLAGS) $(VM_TEST_CFLAGS) $(CFLAGS) \
		-MMD -MP -MF $(BUILD)/.deps/tests/vm/$*.d \
		-o $@ $< $(LDFLAGS) $(VM_TEST_LDLIBS) -lcmocka -lpthread

# The job tests link the naive references of tests/common/ (npu_ref.c).
VM_NPU_REF_OBJ := $(BUILD)/tests/common/npu_ref.o
VM_JOB_TESTS   := $(VM_TEST_DIR)/test_cmds $(VM_TEST_DIR)/test_malformed \
	$(VM_TEST_DIR)/test_soak
$(VM_JOB_TESTS): VM_TEST_CFLAGS += -Itests/common
$(VM_JOB_TESTS): VM_TEST_LDLIBS += $(VM_NPU_REF_OBJ) -lm
$(VM_JOB_TESTS): $(VM_NPU_REF_OBJ)

$(VM_NPU_REF_OBJ): tests/common/npu_ref.c | $(BUILD)/.deps/tests/vm/
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itests/common \
		-MMD -MP -MF $(BUILD)/.deps/tests/vm/npu_ref.d -c -o $@ $<

-include $(wildcard $(BUILD)/.deps/tests/vm/*.d)
