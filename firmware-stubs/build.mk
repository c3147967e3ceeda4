# firmware-stubs: the firmware image tool and the stub firmware images.
#
# $(BUILD)/bin/npu-mkfw                 writes / inspects images (host build
#                                       of the same rm_npu_fw_image.c that
#                                       goes into rm_npu.ko)
# $(BUILD)/firmware/rm_npu/warboy.bin   the stub firmware for arch warboy

FWSTUB_DIR   := firmware-stubs
FWSTUB_HDRS  := $(FWSTUB_DIR)/rm_npu_fw_format.h $(FWSTUB_DIR)/rm_npu_fw_image.h
FWSTUB_SRCS  := $(FWSTUB_DIR)/npu-mkfw.c $(FWSTUB_DIR)/rm_npu_fw_image.c
NPU_MKFW     := $(BUILD)/bin/npu-mkfw
FWSTUB_ARCHS := warboy
FWSTUB_IMGS  := $(FWSTUB_ARCHS:%=$(BUILD)/firmware/rm_npu/%.bin)

BIN_TARGETS += $(NPU_MKFW)
FW_TARGETS  += $(FWSTUB_IMGS)

# Directories are made with mkdir -p rather than order-only prerequisites
# on the top-level $(BUILD)/%/ rule: make treats directories made through
# a pattern rule as intermediate files and tries to rm them afterwards.
$(NPU_MKFW): $(FWSTUB_SRCS) $(FWSTUB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(FWSTUB_SRCS) $(LDFLAGS) -lz

# Written to a temporary file and checked with --info before it replaces
# the image, so a failed run never leaves a half-written firmware behind.
$(BUILD)/firmware/rm_npu/%.bin: $(NPU_MKFW)
	@mkdir -p $(@D)
	$(NPU_MKFW) --arch $* -o $@.tmp
	$(NPU_MKFW) --info $@.tmp --arch $* >/dev/null
	mv -f $@.tmp $@
