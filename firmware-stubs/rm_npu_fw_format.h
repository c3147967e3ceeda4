/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * rm_npu firmware image container format, version 1.
 *
 * Shared by the kernel module (which validates images loaded with
 * request_firmware("rm_npu/<arch>.bin")) and by the host tooling that
 * writes them.  Every multi-byte field is little-endian and naturally
 * aligned; padding is explicit.  An image is:
 *
 *	[ header (header_size bytes, >= 128) | zero gap | payload ]
 *
 * and must end exactly where the payload ends.  The parser reads the
 * header byte by byte (see rm_npu_fw_image.c), so an image need not be
 * aligned in memory and the structure below only documents the layout.
 */
#ifndef RM_NPU_FW_FORMAT_H
#define RM_NPU_FW_FORMAT_H

#include <linux/types.h>

/* "RMNPUFW\0" */
#define RM_NPU_FW_MAGIC			"RMNPUFW"
#define RM_NPU_FW_MAGIC_LEN		8

/* Format version written by this code; the parser accepts major 1 only. */
#define RM_NPU_FW_FMT_MAJOR		1
#define RM_NPU_FW_FMT_MINOR		0

/* Size of the version 1.0 header; header_size may be larger (see below). */
#define RM_NPU_FW_HEADER_SIZE		128
/* Upper bound and alignment accepted for header_size. */
#define RM_NPU_FW_HEADER_MAX		4096
#define RM_NPU_FW_HEADER_ALIGN		8

#define RM_NPU_FW_VERSION_STR_LEN	16
#define RM_NPU_FW_ARCH_LEN		16

/* Largest pe_count the parser accepts. */
#define RM_NPU_FW_MAX_PES		256

/* Firmware version number: major << 16 | minor << 8 | patch. */
#define RM_NPU_FW_VERSION(maj, min, pat) \
	((((__u32)(maj) & 0xff) << 16) | (((__u32)(min) & 0xff) << 8) | \
	 ((__u32)(pat) & 0xff))
#define RM_NPU_FW_VERSION_MAJOR(v)	(((v) >> 16) & 0xff)
#define RM_NPU_FW_VERSION_MINOR(v)	(((v) >> 8) & 0xff)
#define RM_NPU_FW_VERSION_PATCH(v)	((v) & 0xff)

/* Command opcodes; capability bit N means opcode N is supported. */
#define RM_NPU_FW_OP_NOP		0
#define RM_NPU_FW_OP_FILL		1
#define RM_NPU_FW_OP_COPY		2
#define RM_NPU_FW_OP_GEMM		3
#define RM_NPU_FW_OP_CONV2D		4
#define RM_NPU_FW_OP_POOL2D		5
#define RM_NPU_FW_OP_ELTWISE		6
#define RM_NPU_FW_OP_LUT		7
#define RM_NPU_FW_OP_COUNT		8

#define RM_NPU_FW_CAP_OP(op)		(1ULL << (op))
#define RM_NPU_FW_CAP_NOP		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_NOP)
#define RM_NPU_FW_CAP_FILL		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_FILL)
#define RM_NPU_FW_CAP_COPY		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_COPY)
#define RM_NPU_FW_CAP_GEMM		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_GEMM)
#define RM_NPU_FW_CAP_CONV2D		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_CONV2D)
#define RM_NPU_FW_CAP_POOL2D		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_POOL2D)
#define RM_NPU_FW_CAP_ELTWISE		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_ELTWISE)
#define RM_NPU_FW_CAP_LUT		RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_LUT)
/* Feature bits above the opcodes: the binary32 rescale modes. */
#define RM_NPU_FW_CAP_F32_RESCALE	(1ULL << 8)
#define RM_NPU_FW_CAPS_ALL \
	((RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_COUNT) - 1) | RM_NPU_FW_CAP_F32_RESCALE)

/**
 * struct rm_npu_fw_header - rm_npu firmware image header (format 1.x)
 * @magic: RM_NPU_FW_MAGIC, "RMNPUFW" followed by one NUL byte.
 * @fmt_major: Format major version.  Only RM_NPU_FW_FMT_MAJOR (1) is
 *	accepted; any other value makes the image unsupported.
 * @fmt_minor: Format minor version.  Any value is accepted; a minor
 *	revision may only append fields after the 128-byte 1.0 header
 *	(growing @header_size), never change the fields below.
 * @header_size: Size in bytes of the header, including any appended
 *	fields.  At least RM_NPU_FW_HEADER_SIZE (128), at most
 *	RM_NPU_FW_HEADER_MAX (4096), a multiple of 8 and not past the end of
 *	the image.  The parser ignores the contents of bytes 128 and up, but
 *	@header_crc covers them.
 * @header_crc: CRC-32 (IEEE 802.3, as zlib crc32()) of the first
 *	@header_size bytes of the image, computed with this field set to 0.
 * @fw_version: Firmware version, RM_NPU_FW_VERSION(major, minor, patch);
 *	bits 31:24 must be zero.
 * @fw_version_str: Printable firmware version: the decimal
 *	"major.minor.patch" of @fw_version, optionally followed by a suffix
 *	starting with '-' or '+' (e.g. "1.0.0", "1.2.3-rc1").  NUL-terminated
 *	and NUL-padded to 16 bytes (so at most 15 characters).
 * @arch: Name of the NPU architecture the firmware is built for (e.g.
 *	"warboy"): 1 to 15 printable ASCII characters other than space,
 *	NUL-terminated and NUL-padded to 16 bytes.
 * @pe_count: Number of processing elements the firmware drives, 1 to
 *	RM_NPU_FW_MAX_PES.
 * @reserved0: Must be zero.
 * @caps: Capability bits: bit N set means command opcode N is supported
 *	(RM_NPU_FW_CAP_OP(N)); bit 8 (RM_NPU_FW_CAP_F32_RESCALE) the binary32
 *	rescale modes of GEMM, CONV2D and ELTWISE.  Bits outside RM_NPU_FW_CAPS_ALL are
 *	accepted and reported as unknown; the driver must not use them.
 * @payload_offset: Offset of the payload from the start of the image.  At
 *	least @header_size; bytes between the header and the payload must be
 *	zero.
 * @payload_size: Size of the payload in bytes, at least 1.  The image ends
 *	exactly at @payload_offset + @payload_size.
 * @payload_crc: CRC-32 (as @header_crc) of the @payload_size payload bytes.
 * @reserved1: Must be zero.
 * @reserved2: Must be zero.
 *
 * All fields are little-endian.  The payload is an opaque byte blob for
 * the device; the stub firmware fills it with deterministic pseudo-random
 * "microcode" followed by a NUL-terminated build-info string.
 */
struct rm_npu_fw_header {
	__u8	magic[RM_NPU_FW_MAGIC_LEN];		/*   0 */
	__le16	fmt_major;				/*   8 */
	__le16	fmt_minor;				/*  10 */
	__le32	header_size;				/*  12 */
	__le32	header_crc;				/*  16 */
	__le32	fw_version;				/*  20 */
	char	fw_version_str[RM_NPU_FW_VERSION_STR_LEN];	/*  24 */
	char	arch[RM_NPU_FW_ARCH_LEN];		/*  40 */
	__le32	pe_count;				/*  56 */
	__le32	reserved0;				/*  60 */
	__le64	caps;					/*  64 */
	__le64	payload_offset;				/*  72 */
	__le64	payload_size;				/*  80 */
	__le32	payload_crc;				/*  88 */
	__le32	reserved1;				/*  92 */
	__le64	reserved2[4];				/*  96 */
};							/* 128 */

#endif /* RM_NPU_FW_FORMAT_H */
