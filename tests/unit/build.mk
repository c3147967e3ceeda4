# Host unit tests: every tests/unit/test_NAME.c becomes
# $(BUILD)/tests/unit/test_NAME, built with ASan+UBSan and cmocka, and is
# appended to UNIT_TESTS.
#
# A test that needs more than its own file declares, before the
# $(foreach ...) line at the bottom of this file:
#   test_NAME_SRCS   := extra .c files compiled into it (repo-relative)
#   test_NAME_CFLAGS := extra compiler flags
#   test_NAME_LIBS   := extra libraries (-lcmocka is always linked)
# Objects go to $(BUILD)/tests/unit/obj/test_NAME/, one per source, with
# -MMD dependency files, so header changes rebuild what uses them.

UNIT_TEST_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_TEST_NAMES := $(UNIT_TEST_SRCS:tests/unit/%.c=%)

# ---- per-test extras ----
test_fw_image_SRCS := firmware-stubs/rm_npu_fw_image.c
test_fw_image_LIBS := -lz

# The test_ops family (sources of the engine set in kmod/ops/build.mk) also
# links the naive references and command generators of tests/common/.
NPU_REF_SRCS := tests/common/npu_ref.c
$(foreach t,test_ops test_ops_baseline test_ops_scalar,\
	$(eval $(t)_SRCS += $(NPU_REF_SRCS))\
	$(eval $(t)_CFLAGS += -Itests/common))

# $(1): test name.  Recipe variables are escaped so that _CFLAGS and _LIBS
# may also be set later; _SRCS must be set before the expansion below.
define UNIT_TEST_RULES
$(1)_OBJS := $$(patsubst %.c,$$(BUILD)/tests/unit/obj/$(1)/%.o,tests/unit/$(1).c $$($(1)_SRCS))

$$(BUILD)/tests/unit/$(1): $$($(1)_OBJS)
	@mkdir -p $$(@D)
	$$(CC) $$(SAN_CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LIBS) -lcmocka

$$(BUILD)/tests/unit/obj/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$(SAN_CFLAGS) $$(CFLAGS) $$($(1)_CFLAGS) -MMD -MP -c -o $$@ $$<

-include $$($(1)_OBJS:.o=.d)
UNIT_TESTS += $$(BUILD)/tests/unit/$(1)
endef

$(foreach t,$(UNIT_TEST_NAMES),$(eval $(call UNIT_TEST_RULES,$(t))))
