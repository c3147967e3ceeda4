# rm_npu top-level build: the kernel module (through Kbuild), the firmware
# image, userspace and tests. Each folder adds its rules in a build.mk.

BUILD   ?= build
CC      ?= gcc
V       ?= 0

# Kernel build directory: the running kernel's when it has one, else the
# newest installed Debian linux-headers-*-amd64.
KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1; fi)

WARN_CFLAGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -fPIC $(WARN_CFLAGS) \
	-Iuapi -Ifirmware-stubs -Ikmod/ops
SAN_CFLAGS  := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
CFLAGS      ?=
LDFLAGS     ?=

# Outputs: $(BUILD)/bin tools, $(BUILD)/lib libraries, $(BUILD)/tests/unit
# host tests (ASan+UBSan), $(BUILD)/tests/vm programs run inside the VM,
# $(BUILD)/firmware/rm_npu/*.bin firmware images.
BIN_TARGETS       :=
LIB_TARGETS       :=
FW_TARGETS        :=
UNIT_TESTS        :=
VM_TEST_TARGETS   :=
BENCH_TARGETS     :=

.PHONY: all module userspace firmware check unit-test vm-test test bench \
	checkpatch sparse clean deps main install-test print-kdir \
	vm-test-debug
all: module firmware userspace

include $(sort $(wildcard */build.mk */*/build.mk))

userspace: $(BIN_TARGETS) $(LIB_TARGETS) $(VM_TEST_TARGETS) $(BENCH_TARGETS)
firmware: $(FW_TARGETS)

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

$(BUILD)/%/:
	@mkdir -p $@
.PRECIOUS: $(BUILD)/%/

unit-test: $(UNIT_TESTS)
	@tests/run-unit-tests $(UNIT_TESTS)

vm-test: all
	BUILD=$(BUILD) tools/npu-vm --no-load --timeout 3000 -- /tests/vm/run-tests

test: deps
	$(MAKE) all
	$(MAKE) check
	$(MAKE) unit-test
	$(MAKE) onnx-test
	$(MAKE) gpu-test
	$(MAKE) ort-ref-test
	$(MAKE) model-test
	$(MAKE) npu-run-test
	$(MAKE) python-test
	$(MAKE) tsan-test
	$(MAKE) fuzz FUZZ_RUNS=1000000
	$(MAKE) install-test
	$(MAKE) vm-test
	$(MAKE) vm-test-debug

install-test: all
	BUILD=$(BUILD) tests/install/test-install

print-kdir:
	@echo $(KDIR)

check: checkpatch sparse

checkpatch:
	BUILD=$(BUILD) tools/checkpatch-all

sparse:
	@mkdir -p $(BUILD)
	{ $(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules 2>&1; echo $$? > $(BUILD)/sparse.rc; } \
		| tee $(BUILD)/sparse.log; \
	rc=$$(cat $(BUILD)/sparse.rc); [ "$$rc" = 0 ] || exit $$rc; \
	! grep -E 'warning:|error:' $(BUILD)/sparse.log

deps:
	BUILD=$(BUILD) tools/install-deps

main: deps
	$(MAKE) all
	BUILD=$(BUILD) tools/npu-vm -- /tests/vm/main-job

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)
