# tests/lib: the test-support library, compiled once (libnpt.a) and linked
# into every C VM test (prefix npt_; 0 or a negative errno, never an
# assertion or exit, as liburing's test/helpers.c).
#   npt_proc.c  reading small files, re-running this program with a
#               changed environment, capturing stderr
#   npt_dev.c   the limits a node reports in GET_INFO
#   npt_job.c   SUBMIT arguments; SUBMIT, SUBMIT_BATCH and WAIT
# Unit tests get the sources they use built with their sanitizers
# (test_NAME_SRCS). Included before tests/unit/build.mk and
# tests/vm/build.mk (sorted order), which read what is set here.

NPT_DIR  := tests/lib
NPT_OBJS := $(patsubst $(NPT_DIR)/%.c,$(BUILD)/tests/lib/%.o,\
	$(wildcard $(NPT_DIR)/*.c))
NPT_LIB  := $(BUILD)/tests/lib/libnpt.a

$(BUILD)/tests/lib/%.o: $(NPT_DIR)/%.c $(NPT_DIR)/%.h uapi/rm_npu.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

$(NPT_LIB): $(NPT_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

NPT_VM_TESTS := $(patsubst tests/vm/%.c,$(BUILD)/tests/vm/%,\
	$(wildcard tests/vm/*.c))
$(NPT_VM_TESTS): VM_TEST_CFLAGS += -I$(NPT_DIR)
$(NPT_VM_TESTS): VM_TEST_LDLIBS += $(NPT_LIB)
$(NPT_VM_TESTS): $(NPT_LIB)

test_diag_SRCS += $(NPT_DIR)/npt_proc.c
test_diag_CFLAGS += -I$(NPT_DIR)
