# tools/npu-device-plugin: the Kubernetes device plugin (kubelet
# device-plugin API v1beta1 over gRPC's C core, libgrpc, with messages by
# protobuf-c), and the gRPC layer the test suite's fake kubelet shares.
#
#   $(BUILD)/bin/npu-device-plugin
#   $(DP_DIR)/gen/deviceplugin.pb-c.[ch]   protoc-c output of deviceplugin.proto
#   $(DP_DIR)/librpc.a                     rpc.c + the generated messages
#   $(BUILD)/tests/vm/test_device_plugin   its VM test, with the fake kubelet
#
# Without libgrpc-dev (pkg-config grpc) or protoc-c the plugin and its
# tests are skipped with a notice, so `make all` stays green on a host that
# lacks them; tools/install-deps installs them.

DP_DIR     := $(BUILD)/tools/npu-device-plugin
DP_GEN     := $(DP_DIR)/gen
DP_OK      := $(and $(shell pkg-config --exists grpc 2>/dev/null && echo y),\
	$(shell command -v protoc-c 2>/dev/null),\
	$(wildcard /usr/include/protobuf-c/protobuf-c.h))
DP_BIN     := $(BUILD)/bin/npu-device-plugin
# The stack's version, as npu-smi and npu-exporter report it.
DP_VERSION  = $(NPURT_VERSION)

ifneq ($(DP_OK),)

DP_GRPC_CFLAGS := $(shell pkg-config --cflags grpc)
# libgrpc's own pkg-config libs list every abseil piece it was built with;
# the binaries need only libgrpc and libgpr themselves.
DP_GRPC_LIBS   := -lgrpc -lgpr -lprotobuf-c
# Recursive (=): tools/npu-smi/build.mk, which defines SMI_LIB*, is read
# after this file; prerequisites name its outputs literally for that reason.
DP_SMI_LIB     := $(BUILD)/tools/npu-smi/libsmi.a
DP_CFLAGS       = -Itools/npu-device-plugin -I$(DP_GEN) $(SMI_LIB_CFLAGS) \
	$(DP_GRPC_CFLAGS)
DP_RPC_LIB     := $(DP_DIR)/librpc.a
DP_SRCS        := tools/npu-device-plugin/npu-device-plugin.c \
	tools/npu-device-plugin/dp_inventory.c \
	tools/npu-device-plugin/dp_service.c \
	tools/npu-device-plugin/dp_kubelet.c
DP_OBJS        := $(DP_SRCS:tools/npu-device-plugin/%.c=$(DP_DIR)/obj/%.o)
DP_HDRS        := tools/npu-device-plugin/dp.h tools/npu-device-plugin/rpc.h \
	$(DP_GEN)/deviceplugin.pb-c.h tools/npu-smi/smi.h \
	runtime/include/npurt.h

BIN_TARGETS += $(DP_BIN)

# protoc-c also emits its own RPC stubs (unused here), whose member for the
# method Register is named after it in lower case: the C keyword
# "register"; renamed so that the header compiles.
$(DP_GEN)/deviceplugin.pb-c.c: tools/npu-device-plugin/deviceplugin.proto
	@mkdir -p $(@D)
	protoc-c --c_out=$(@D) -Itools/npu-device-plugin $<
	sed -i 's/(\*register)(/(*register_)(/' $(@D)/deviceplugin.pb-c.h
$(DP_GEN)/deviceplugin.pb-c.h: $(DP_GEN)/deviceplugin.pb-c.c
	@test -f $@

# Generated code: not ours to make warning-free.
$(DP_DIR)/obj/deviceplugin.pb-c.o: $(DP_GEN)/deviceplugin.pb-c.c \
		$(DP_GEN)/deviceplugin.pb-c.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g -fPIC -I$(DP_GEN) $(CFLAGS) -c -o $@ $<

$(DP_DIR)/obj/%.o: tools/npu-device-plugin/%.c $(DP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(DP_CFLAGS) -DNPU_DP_VERSION='"$(DP_VERSION)"' \
		$(CFLAGS) -c -o $@ $<

$(DP_RPC_LIB): $(DP_DIR)/obj/rpc.o $(DP_DIR)/obj/deviceplugin.pb-c.o
	rm -f $@
	$(AR) rcs $@ $^

$(DP_BIN): $(DP_OBJS) $(DP_RPC_LIB) $(DP_SMI_LIB) | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(DP_OBJS) $(DP_RPC_LIB) $(SMI_LIB_LDLIBS) \
		$(DP_GRPC_LIBS) -Wl,-rpath,'$$ORIGIN/../lib'

# Its VM test: tests/k8s/test_device_plugin.c with the fake kubelet
# (tests/k8s/fake_kubelet.c) on the same gRPC layer, built into the VM
# test folder (tests/vm/tests.list runs it).
DP_TEST := $(BUILD)/tests/vm/test_device_plugin
VM_TEST_TARGETS += $(DP_TEST)
$(DP_TEST): tests/k8s/test_device_plugin.c tests/k8s/fake_kubelet.c \
		tests/k8s/fake_kubelet.h tests/vm/test_util.h $(DP_HDRS) \
		$(DP_RPC_LIB) | $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Itests/k8s -Itests/vm $(DP_CFLAGS) $(CFLAGS) \
		-o $@ tests/k8s/test_device_plugin.c tests/k8s/fake_kubelet.c \
		$(LDFLAGS) $(DP_RPC_LIB) -L$(BUILD)/lib -lnpurt -ljson-c \
		$(DP_GRPC_LIBS) -lcmocka -lpthread

else

$(info npu-device-plugin: libgrpc-dev (pkg-config grpc) or protoc-c missing; skipped (run tools/install-deps))

endif
