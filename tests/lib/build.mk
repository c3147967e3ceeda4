# tests/lib: helpers compiled once and linked into the tests that use them
# (prefix npt_; 0 or a negative errno, never an assertion or exit).
#   npt_proc.c  reading small files, re-running this program with a
#               changed environment, capturing stderr
#   npt_dev.c   the limits a node reports in GET_INFO
# Unit tests get the source built with their sanitizers (test_NAME_SRCS);
# every C VM test of tests/vm links $(NPT_DEV_OBJ), test_rt_env
# $(NPT_PROC_OBJ) too. Included before tests/unit/build.mk and
# tests/vm/build.mk (sorted order), which read what is set here.

NPT_DIR      := tests/lib
NPT_PROC_OBJ := $(BUILD)/tests/lib/npt_proc.o
NPT_DEV_OBJ  := $(BUILD)/tests/lib/npt_dev.o

$(BUILD)/tests/lib/%.o: $(NPT_DIR)/%.c $(NPT_DIR)/%.h uapi/rm_npu.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

NPT_VM_TESTS := $(patsubst tests/vm/%.c,$(BUILD)/tests/vm/%,\
	$(wildcard tests/vm/*.c))
$(NPT_VM_TESTS): VM_TEST_CFLAGS += -I$(NPT_DIR)
$(NPT_VM_TESTS): VM_TEST_LDLIBS += $(NPT_DEV_OBJ)
$(NPT_VM_TESTS): $(NPT_DEV_OBJ)

test_diag_SRCS += $(NPT_DIR)/npt_proc.c
test_diag_CFLAGS += -I$(NPT_DIR)

$(BUILD)/tests/vm/test_rt_env: VM_TEST_LDLIBS += $(NPT_PROC_OBJ)
$(BUILD)/tests/vm/test_rt_env: $(NPT_PROC_OBJ)
