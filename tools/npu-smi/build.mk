# tools/npu-smi: the status tool. Links libnpurt (discovery), libudev (the
# monitor of --loop), json-c and libpci. Installed as $(BUILD)/bin/npu-smi,
# which tools/npu-vm copies to /usr/bin in the guest.
#
# Its collection, CDI, labels, udev-monitor and atomic-file parts are also
# the archive $(BUILD)/tools/npu-smi/libsmi.a, which npu-device-plugin and
# npu-exporter link (with $(SMI_LIB_LDLIBS)), so that every tool sees the
# NPUs the same way.

SMI_LIB_SRCS := tools/npu-smi/smi_collect.c tools/npu-smi/smi_cdi.c \
	tools/npu-smi/smi_labels.c tools/npu-smi/smi_monitor.c \
	tools/npu-smi/smi_file.c
NPU_SMI_SRCS := $(filter-out $(SMI_LIB_SRCS),$(sort $(wildcard tools/npu-smi/*.c)))
NPU_SMI_HDRS := tools/npu-smi/smi.h runtime/include/npurt.h uapi/rm_npu.h
NPU_SMI      := $(BUILD)/bin/npu-smi
BIN_TARGETS  += $(NPU_SMI)

SMI_LIB_DIR    := $(BUILD)/tools/npu-smi
SMI_LIB        := $(SMI_LIB_DIR)/libsmi.a
SMI_LIB_OBJS   := $(SMI_LIB_SRCS:tools/npu-smi/%.c=$(SMI_LIB_DIR)/obj/%.o)
SMI_LIB_CFLAGS := -Iruntime/include -Itools/npu-smi
SMI_LIB_LDLIBS := $(SMI_LIB) -L$(BUILD)/lib -lnpurt -ludev -ljson-c -lpci

$(SMI_LIB_DIR)/obj/%.o: tools/npu-smi/%.c $(NPU_SMI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SMI_LIB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(SMI_LIB): $(SMI_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(NPU_SMI): $(NPU_SMI_SRCS) $(NPU_SMI_HDRS) $(SMI_LIB) | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SMI_LIB_CFLAGS) \
		-DNPU_SMI_VERSION='"$(NPURT_VERSION)"' $(CFLAGS) -o $@ \
		$(NPU_SMI_SRCS) $(LDFLAGS) $(SMI_LIB_LDLIBS) \
		-Wl,-rpath,'$$ORIGIN/../lib'

# Its VM tests: tests/vm/test_smi.c (module loaded) parses the JSON with
# json-c; tests/vm/test_smi_nodriver.sh covers the module not being loaded.
$(BUILD)/tests/vm/test_smi: VM_TEST_LDLIBS += -ljson-c
