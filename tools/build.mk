# tools/build.mk - `make install` / `make uninstall`: the whole stack laid
# out the way a Linux driver package installs it. Honours DESTDIR (staging
# root) and PREFIX (userspace, default /usr/local); the kernel-facing paths
# are fixed by the kernel and udev, not by PREFIX:
#
#   $(MODDIR)/rm_npu.ko            /lib/modules/KVER/extra (KVER of KDIR)
#   $(FWDIR)/rm_npu/warboy.bin     /lib/firmware
#   $(UDEVDIR)/60-rm_npu.rules     /lib/udev/rules.d
#   $(DKMSDIR)/                    /usr/src/rm_npu-1.0.0: module sources +
#                                  dkms.conf, for `dkms add rm_npu/1.0.0`
#   $(BINDIR)/npu-smi, npu-mkfw, npu-device-plugin, npu-exporter (and the
#                                  other tools built in $(BUILD)/bin)
#   $(MANDIR)/man1/*.1
#   libnpurt, npurt.h + rm_npu.h, npurt.pc  (runtime/build.mk: install-runtime)
#   $(LIBDIR)/libnpuc.so.1         the ONNX compiler plugin libnpurt loads
#                                  (tools/npu-compile/build.mk: install-npuc)
#   $(PYTHON_SITEDIR)/npurt/       the Python package (python/build.mk:
#                                  install-python)
#
# Without DESTDIR, install also runs depmod and reloads udev rules when it
# can, and reminds you to create the "npu" group.

BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
# The release the module is built for (its vermagic), which names
# /lib/modules/KVER. Not `make kernelrelease`: Debian's headers answer that
# with the upstream version (6.1.192), not the package's (6.1.0-56-amd64).
KVER     ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR   ?= /lib/modules/$(KVER)/extra
FWDIR    ?= /lib/firmware
UDEVDIR  ?= /lib/udev/rules.d
DKMSDIR  ?= /usr/src/rm_npu-1.0.0

INSTALL_TOOLS := npu-smi npu-mkfw npu-compile npu-run npu-device-plugin \
	npu-exporter
INSTALL_MANS  := $(wildcard tools/*/*.1)
# The module's sources, as Kbuild needs them (for DKMS).
DKMS_SRCS := Kbuild dkms.conf $(wildcard kmod/*.[ch] kmod/ops/*.[ch]) \
	uapi/rm_npu.h $(wildcard firmware-stubs/rm_npu_fw_*.[ch])

.PHONY: install uninstall

install: all install-runtime install-npuc install-python
	@test -n "$(KVER)" || { echo "install: cannot tell the kernel release of KDIR=$(KDIR)"; exit 1; }
	install -D -m 644 rm_npu.ko $(DESTDIR)$(MODDIR)/rm_npu.ko
	install -D -m 644 $(BUILD)/firmware/rm_npu/warboy.bin \
		$(DESTDIR)$(FWDIR)/rm_npu/warboy.bin
	install -D -m 644 tools/udev/60-rm_npu.rules \
		$(DESTDIR)$(UDEVDIR)/60-rm_npu.rules
	for f in $(DKMS_SRCS); do \
		install -D -m 644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit 1; done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	for t in $(INSTALL_TOOLS); do \
		[ ! -e $(BUILD)/bin/$$t ] || \
		install -m 755 $(BUILD)/bin/$$t $(DESTDIR)$(BINDIR)/$$t || exit 1; done
	for m in $(INSTALL_MANS); do \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; done
	@if [ -z "$(DESTDIR)" ]; then \
		depmod -a $(KVER) || true; \
		ldconfig || true; \
		udevadm control --reload 2>/dev/null || true; \
		getent group npu >/dev/null || \
			echo "install: create the device group: groupadd npu"; \
	fi

uninstall: uninstall-runtime uninstall-npuc uninstall-python
	rm -f $(DESTDIR)$(MODDIR)/rm_npu.ko \
		$(DESTDIR)$(FWDIR)/rm_npu/warboy.bin \
		$(DESTDIR)$(UDEVDIR)/60-rm_npu.rules
	-rmdir $(DESTDIR)$(FWDIR)/rm_npu 2>/dev/null
	rm -rf $(DESTDIR)$(DKMSDIR)
	for t in $(INSTALL_TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(notdir $(INSTALL_MANS)); do \
		rm -f $(DESTDIR)$(MANDIR)/man1/$$m; done
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER) || true; fi
