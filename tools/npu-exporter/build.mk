# tools/npu-exporter: the Prometheus exporter ($(BUILD)/bin/npu-exporter),
# npu-smi's collection code (libsmi.a) served over HTTP by libevent's evhttp
# (libevent-2.1, 440 KB, libc only; libmicrohttpd would bring GnuTLS and
# 7 MB of its dependencies into every image and the VM's initramfs for TLS
# that a node-local exporter does not use). A binary of its own so that
# npu-smi carries no HTTP server.
#
# Without libevent-dev it is skipped with a notice (tools/install-deps
# installs it).

NPX_OK  := $(shell pkg-config --exists libevent 2>/dev/null && echo y)
NPX_BIN := $(BUILD)/bin/npu-exporter

ifneq ($(NPX_OK),)

NPX_SRCS := tools/npu-exporter/npu-exporter.c \
	tools/npu-exporter/exporter_metrics.c
NPX_HDRS := tools/npu-exporter/exporter.h tools/npu-smi/smi.h \
	runtime/include/npurt.h
BIN_TARGETS += $(NPX_BIN)

# libsmi.a is tools/npu-smi/build.mk's, read after this file: named
# literally here, its flags expanded at run time.
$(NPX_BIN): $(NPX_SRCS) $(NPX_HDRS) $(BUILD)/tools/npu-smi/libsmi.a \
		| $(NPURT_SO_LNKS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Itools/npu-exporter $(SMI_LIB_CFLAGS) \
		$$(pkg-config --cflags libevent) \
		-DNPX_VERSION='"$(NPURT_VERSION)"' $(CFLAGS) -o $@ $(NPX_SRCS) \
		$(LDFLAGS) $(SMI_LIB_LDLIBS) $$(pkg-config --libs libevent) \
		-Wl,-rpath,'$$ORIGIN/../lib'

# Its VM test, tests/vm/test_exporter.c, scrapes it over loopback (a plain
# HTTP/1.0 client of its own, no library).

else

$(info npu-exporter: libevent-dev missing; skipped (run tools/install-deps))

endif
