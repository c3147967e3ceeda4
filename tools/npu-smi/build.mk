# tools/npu-smi: the status tool. Links libnpurt (discovery), libudev (the
# monitor of --loop), json-c and libpci. Installed as $(BUILD)/bin/npu-smi,
# which tools/npu-vm copies to /usr/bin in the guest.

NPU_SMI_SRCS := $(sort $(wildcard tools/npu-smi/*.c))
NPU_SMI_HDRS := tools/npu-smi/smi.h runtime/include/npurt.h uapi/rm_npu.h
NPU_SMI      := $(BUILD)/bin/npu-smi
BIN_TARGETS  += $(NPU_SMI)

$(NPU_SMI): $(NPU_SMI_SRCS) $(NPU_SMI_HDRS) | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Iruntime/include -Itools/npu-smi \
		-DNPU_SMI_VERSION='"$(NPURT_VERSION)"' $(CFLAGS) -o $@ \
		$(NPU_SMI_SRCS) $(LDFLAGS) -L$(BUILD)/lib -lnpurt -ludev \
		-ljson-c -lpci -Wl,-rpath,'$$ORIGIN/../lib'

# Its VM tests: tests/vm/test_smi.c (module loaded) parses the JSON with
# json-c; tests/vm/test_smi_nodriver.sh covers the module not being loaded.
$(BUILD)/tests/vm/test_smi: VM_TEST_LDLIBS += -ljson-c
