/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rm_npu firmware image parser and writer, shared by the kernel module and
 * the host tools.  The format is described in rm_npu_fw_format.h.
 */
#ifndef RM_NPU_FW_IMAGE_H
#define RM_NPU_FW_IMAGE_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stddef.h>
#endif

#include "rm_npu_fw_format.h"

/**
 * struct rm_npu_fw_desc - validated contents of a firmware image
 * @fmt_major: Format major version (always RM_NPU_FW_FMT_MAJOR).
 * @fmt_minor: Format minor version as found in the image.
 * @header_size: Header size in bytes.
 * @fw_version: Firmware version number, RM_NPU_FW_VERSION() encoded.
 * @fw_version_str: Firmware version string, NUL-terminated.
 * @arch: Architecture name, NUL-terminated.
 * @pe_count: Number of PEs the firmware drives (1..RM_NPU_FW_MAX_PES).
 * @caps: All capability bits of the image.
 * @unknown_caps: The bits of @caps outside RM_NPU_FW_CAPS_ALL.
 * @payload: Start of the payload, pointing into the parsed image: only
 *	valid as long as the image buffer is.
 * @payload_offset: Offset of the payload in the image.
 * @payload_size: Size of the payload in bytes.
 * @payload_crc: CRC-32 of the payload.
 */
struct rm_npu_fw_desc {
	__u16		fmt_major;
	__u16		fmt_minor;
	__u32		header_size;
	__u32		fw_version;
	char		fw_version_str[RM_NPU_FW_VERSION_STR_LEN];
	char		arch[RM_NPU_FW_ARCH_LEN];
	__u32		pe_count;
	__u64		caps;
	__u64		unknown_caps;
	const void	*payload;
	size_t		payload_offset;
	size_t		payload_size;
	__u32		payload_crc;
};

/**
 * struct rm_npu_fw_params - what rm_npu_fw_write() puts in an image
 * @arch: Architecture name, 1 to 15 printable characters, no space.
 * @fw_version: Firmware version number, RM_NPU_FW_VERSION() encoded.
 * @fw_version_str: Version string, or NULL to use "major.minor.patch" of
 *	@fw_version.  Must be that string, optionally followed by a suffix
 *	starting with '-' or '+', at most 15 characters.
 * @pe_count: PE count, 1..RM_NPU_FW_MAX_PES.
 * @caps: Capability bits (unknown bits are written as given).
 * @payload: Payload bytes.
 * @payload_size: Payload size, at least 1.
 */
struct rm_npu_fw_params {
	const char	*arch;
	__u32		fw_version;
	const char	*fw_version_str;
	__u32		pe_count;
	__u64		caps;
	const void	*payload;
	size_t		payload_size;
};

int rm_npu_fw_parse(const void *data, size_t size, const char *expect_arch,
		    struct rm_npu_fw_desc *out, const char **why);

size_t rm_npu_fw_write(void *buf, size_t bufsize,
		       const struct rm_npu_fw_params *p);

void rm_npu_fw_seal(void *image, size_t size);

__u32 rm_npu_fw_crc32(__u32 crc, const void *buf, size_t len);

#endif /* RM_NPU_FW_IMAGE_H */
