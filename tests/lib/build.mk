# tests/lib: helpers compiled once and linked into the tests that use them
# (prefix npt_; 0 or a negative errno, never an assertion or exit).
#   npt_proc.c  reading small files, re-running this program with a
#               changed environment, capturing stderr
# Unit tests get the source built with their sanitizers (test_NAME_SRCS);
# VM tests link $(NPT_PROC_OBJ). Included before tests/unit/build.mk and
# tests/vm/build.mk (sorted order), which read what is set here.

NPT_DIR      := tests/lib
NPT_PROC_OBJ := $(BUILD)/tests/lib/npt_proc.o

$(NPT_PROC_OBJ): $(NPT_DIR)/npt_proc.c $(NPT_DIR)/npt_proc.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

test_diag_SRCS += $(NPT_DIR)/npt_proc.c
test_diag_CFLAGS += -I$(NPT_DIR)

$(BUILD)/tests/vm/test_rt_env: VM_TEST_CFLAGS += -I$(NPT_DIR)
$(BUILD)/tests/vm/test_rt_env: VM_TEST_LDLIBS += $(NPT_PROC_OBJ)
$(BUILD)/tests/vm/test_rt_env: $(NPT_PROC_OBJ)
