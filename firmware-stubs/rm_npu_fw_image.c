// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * rm_npu firmware image parser and writer.
 *
 * Built both into rm_npu.ko and into the host tools and tests, so it only
 * uses memcmp/memcpy/memset/memchr, the errno constants and a CRC-32; the
 * few differences are in the block below.  Images are read and written
 * byte by byte, so buffers need no alignment and host endianness does not
 * matter.
 */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/crc32.h>
#include <linux/errno.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>

static __u32 fw_crc32_update(__u32 crc, const void *buf, size_t len)
{
	return crc32_le(crc ^ ~0U, buf, len) ^ ~0U;
}
#else
#include <assert.h>
#include <errno.h>
#include <linux/types.h>
#include <stddef.h>
#include <string.h>
#include <zlib.h>

static __u32 fw_crc32_update(__u32 crc, const void *buf, size_t len)
{
	return (__u32)crc32_z(crc, buf, len);
}
#endif

#include "rm_npu_fw_image.h"

#define HDR_OFF(field)	offsetof(struct rm_npu_fw_header, field)

static_assert(sizeof(struct rm_npu_fw_header) == RM_NPU_FW_HEADER_SIZE,
	      "rm_npu_fw_header must be 128 bytes");
static_assert(HDR_OFF(header_crc) == 16 && HDR_OFF(fw_version_str) == 24 &&
	      HDR_OFF(arch) == 40 && HDR_OFF(caps) == 64 &&
	      HDR_OFF(payload_crc) == 88 && HDR_OFF(reserved2) == 96,
	      "rm_npu_fw_header layout changed");

static __u16 get_le16(const __u8 *p)
{
	return (__u16)(p[0] | p[1] << 8);
}

static __u32 get_le32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 |
	       (__u32)p[3] << 24;
}

static __u64 get_le64(const __u8 *p)
{
	return (__u64)get_le32(p) | (__u64)get_le32(p + 4) << 32;
}

static void put_le16(__u8 *p, __u16 v)
{
	p[0] = (__u8)v;
	p[1] = (__u8)(v >> 8);
}

static void put_le32(__u8 *p, __u32 v)
{
	put_le16(p, (__u16)v);
	put_le16(p + 2, (__u16)(v >> 16));
}

static void put_le64(__u8 *p, __u64 v)
{
	put_le32(p, (__u32)v);
	put_le32(p + 4, (__u32)(v >> 32));
}

/**
 * rm_npu_fw_crc32() - update a CRC-32 (IEEE 802.3, zlib crc32() semantics)
 * @crc: CRC of the data so far, 0 to start.
 * @buf: Next bytes.
 * @len: Number of bytes at @buf.
 *
 * Return: the CRC of the data so far followed by @buf.
 */
__u32 rm_npu_fw_crc32(__u32 crc, const void *buf, size_t len)
{
	return fw_crc32_update(crc, buf, len);
}

/* CRC of the first hsize bytes of image with the header_crc field as 0. */
static __u32 header_crc(const __u8 *image, size_t hsize)
{
	static const __u8 zero[4];
	__u32 crc;

	crc = fw_crc32_update(0, image, HDR_OFF(header_crc));
	crc = fw_crc32_update(crc, zero, sizeof(zero));
	return fw_crc32_update(crc, image + HDR_OFF(fw_version),
			       hsize - HDR_OFF(fw_version));
}

static int all_zero(const __u8 *p, size_t len)
{
	while (len--)
		if (*p++)
			return 0;
	return 1;
}

enum str_check {
	STR_OK,
	STR_UNTERMINATED,
	STR_UNPADDED,
	STR_EMPTY,
	STR_BADCHAR,
};

/*
 * Checks a fixed-size string field: NUL-terminated, NUL-padded, not empty,
 * printable ASCII without space.
 */
static enum str_check check_str(const char *field, size_t len)
{
	const char *nul = memchr(field, '\0', len);
	const char *c;

	if (!nul)
		return STR_UNTERMINATED;
	if (!all_zero((const __u8 *)nul, len - (size_t)(nul - field)))
		return STR_UNPADDED;
	if (nul == field)
		return STR_EMPTY;
	for (c = field; c < nul; c++)
		if (*c <= ' ' || *c > '~')
			return STR_BADCHAR;
	return STR_OK;
}

/* Writes "major.minor.patch" of v to buf, which holds at least 12 bytes. */
static void format_version(char *buf, __u32 v)
{
	unsigned int parts[3] = {
		RM_NPU_FW_VERSION_MAJOR(v),
		RM_NPU_FW_VERSION_MINOR(v),
		RM_NPU_FW_VERSION_PATCH(v),
	};
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (parts[i] >= 100)
			*buf++ = (char)('0' + parts[i] / 100);
		if (parts[i] >= 10)
			*buf++ = (char)('0' + parts[i] / 10 % 10);
		*buf++ = (char)('0' + parts[i] % 10);
		*buf++ = i < 2 ? '.' : '\0';
	}
}

/* Whether str (NUL-terminated) is a valid version string for v. */
static int version_str_matches(const char *str, __u32 v)
{
	char num[12];
	size_t n;

	format_version(num, v);
	n = strlen(num);
	if (memcmp(str, num, n))
		return 0;
	return str[n] == '\0' || str[n] == '-' || str[n] == '+';
}

static int fail(const char **why, int err, const char *msg)
{
	*why = msg;
	return err;
}

static int parse(const __u8 *img, size_t size, const char *expect_arch,
		 struct rm_npu_fw_desc *d, const char **why)
{
	static const char * const vstr_why[] = {
		[STR_UNTERMINATED] =
			"firmware version string not NUL-terminated",
		[STR_UNPADDED] = "firmware version string not NUL-padded",
		[STR_EMPTY] =
			"firmware version string does not match version number",
		[STR_BADCHAR] =
			"firmware version string has invalid characters",
	};
	static const char * const arch_why[] = {
		[STR_UNTERMINATED] = "arch not NUL-terminated",
		[STR_UNPADDED] = "arch not NUL-padded",
		[STR_EMPTY] = "arch empty",
		[STR_BADCHAR] = "arch has invalid characters",
	};
	enum str_check sc;
	__u64 off, len;
	__u32 hsize;

	if (!img)
		return fail(why, -EINVAL, "no image data");
	if (size < RM_NPU_FW_HEADER_SIZE)
		return fail(why, -EINVAL, "truncated: image shorter than header");
	if (memcmp(img, RM_NPU_FW_MAGIC, RM_NPU_FW_MAGIC_LEN))
		return fail(why, -EINVAL, "bad magic");
	d->fmt_major = get_le16(img + HDR_OFF(fmt_major));
	d->fmt_minor = get_le16(img + HDR_OFF(fmt_minor));
	if (d->fmt_major != RM_NPU_FW_FMT_MAJOR)
		return fail(why, -EPROTO, "unsupported format major version");

	hsize = get_le32(img + HDR_OFF(header_size));
	if (hsize < RM_NPU_FW_HEADER_SIZE || hsize > RM_NPU_FW_HEADER_MAX ||
	    hsize % RM_NPU_FW_HEADER_ALIGN)
		return fail(why, -EINVAL, "bad header size");
	if (hsize > size)
		return fail(why, -EINVAL, "truncated: image shorter than header size");
	d->header_size = hsize;
	if (get_le32(img + HDR_OFF(header_crc)) != header_crc(img, hsize))
		return fail(why, -EINVAL, "header CRC mismatch");

	if (get_le32(img + HDR_OFF(reserved0)) ||
	    get_le32(img + HDR_OFF(reserved1)) ||
	    !all_zero(img + HDR_OFF(reserved2),
		      RM_NPU_FW_HEADER_SIZE - HDR_OFF(reserved2)))
		return fail(why, -EINVAL, "reserved field not zero");

	d->fw_version = get_le32(img + HDR_OFF(fw_version));
	if (d->fw_version >> 24)
		return fail(why, -EINVAL, "bad firmware version number");
	memcpy(d->fw_version_str, img + HDR_OFF(fw_version_str),
	       RM_NPU_FW_VERSION_STR_LEN);
	sc = check_str(d->fw_version_str, RM_NPU_FW_VERSION_STR_LEN);
	if (sc != STR_OK)
		return fail(why, -EINVAL, vstr_why[sc]);
	if (!version_str_matches(d->fw_version_str, d->fw_version))
		return fail(why, -EINVAL,
		     "firmware version string does not match version number");

	memcpy(d->arch, img + HDR_OFF(arch), RM_NPU_FW_ARCH_LEN);
	sc = check_str(d->arch, RM_NPU_FW_ARCH_LEN);
	if (sc != STR_OK)
		return fail(why, -EINVAL, arch_why[sc]);

	d->pe_count = get_le32(img + HDR_OFF(pe_count));
	if (!d->pe_count)
		return fail(why, -EINVAL, "PE count is zero");
	if (d->pe_count > RM_NPU_FW_MAX_PES)
		return fail(why, -EINVAL, "PE count too large");

	d->caps = get_le64(img + HDR_OFF(caps));
	d->unknown_caps = d->caps & ~(__u64)RM_NPU_FW_CAPS_ALL;

	/* Overflow-safe: off <= size is checked before size - off. */
	off = get_le64(img + HDR_OFF(payload_offset));
	len = get_le64(img + HDR_OFF(payload_size));
	if (off < hsize)
		return fail(why, -EINVAL, "payload overlaps header");
	if (off > size)
		return fail(why, -EINVAL, "truncated: payload offset past end of image");
	if (len > size - off)
		return fail(why, -EINVAL, "truncated: payload extends past end of image");
	if (!len)
		return fail(why, -EINVAL, "empty payload");
	if (len != size - off)
		return fail(why, -EINVAL, "trailing bytes after payload");
	if (!all_zero(img + hsize, (size_t)off - hsize))
		return fail(why, -EINVAL, "nonzero padding between header and payload");
	d->payload = img + off;
	d->payload_offset = (size_t)off;
	d->payload_size = (size_t)len;
	d->payload_crc = get_le32(img + HDR_OFF(payload_crc));
	if (d->payload_crc != fw_crc32_update(0, d->payload, d->payload_size))
		return fail(why, -EINVAL, "payload CRC mismatch");

	/* Valid image; now whether it is meant for this device. */
	if (expect_arch && strcmp(d->arch, expect_arch))
		return fail(why, -ENOEXEC, "arch mismatch");

	*why = "ok";
	return 0;
}

/**
 * rm_npu_fw_parse() - validate a firmware image and describe it
 * @data: The image, any alignment.
 * @size: Size of the image in bytes.
 * @expect_arch: Architecture the image must be built for, or NULL to
 *	accept any.
 * @out: Filled on success and on -ENOEXEC, zeroed otherwise; may be NULL.
 *	@out->payload points into @data.
 * @why: Set to a constant string naming the check that failed, or to "ok"
 *	on success; may be NULL.
 *
 * Checks, in order: image present and at least 128 bytes, magic, format
 * major version, header size, header CRC, reserved fields, firmware version
 * number and string, arch string, PE count, payload placement (in bounds,
 * overflow-safe, non-empty, ending the image, zero gap), payload CRC and
 * finally @expect_arch.  Unknown capability bits are not an error; they are
 * reported in @out->unknown_caps.
 *
 * Return: 0 if the image is valid, -EPROTO if its format major version is
 * not supported, -ENOEXEC if it is valid but built for an arch other than
 * @expect_arch, -EINVAL if it is malformed, truncated or corrupt.
 */
int rm_npu_fw_parse(const void *data, size_t size, const char *expect_arch,
		    struct rm_npu_fw_desc *out, const char **why)
{
	struct rm_npu_fw_desc d;
	const char *reason;
	int ret;

	memset(&d, 0, sizeof(d));
	ret = parse(data, size, expect_arch, &d, &reason);
	if (ret && ret != -ENOEXEC)
		memset(&d, 0, sizeof(d));
	if (out)
		*out = d;
	if (why)
		*why = reason;
	return ret;
}

/* Checks p and returns the image size, or 0 if p is not valid. */
static size_t params_check(const struct rm_npu_fw_params *p, char *arch,
			   char *vstr)
{
	size_t n;

	if (!p || !p->arch || !p->payload || !p->payload_size ||
	    p->fw_version >> 24 || !p->pe_count ||
	    p->pe_count > RM_NPU_FW_MAX_PES ||
	    p->payload_size > (size_t)-1 - RM_NPU_FW_HEADER_SIZE)
		return 0;

	memset(arch, 0, RM_NPU_FW_ARCH_LEN);
	for (n = 0; p->arch[n]; n++) {
		if (n == RM_NPU_FW_ARCH_LEN - 1)
			return 0;
		arch[n] = p->arch[n];
	}
	if (check_str(arch, RM_NPU_FW_ARCH_LEN) != STR_OK)
		return 0;

	memset(vstr, 0, RM_NPU_FW_VERSION_STR_LEN);
	if (p->fw_version_str) {
		for (n = 0; p->fw_version_str[n]; n++) {
			if (n == RM_NPU_FW_VERSION_STR_LEN - 1)
				return 0;
			vstr[n] = p->fw_version_str[n];
		}
	} else {
		format_version(vstr, p->fw_version);
	}
	if (check_str(vstr, RM_NPU_FW_VERSION_STR_LEN) != STR_OK ||
	    !version_str_matches(vstr, p->fw_version))
		return 0;

	return RM_NPU_FW_HEADER_SIZE + p->payload_size;
}

/**
 * rm_npu_fw_write() - build a firmware image
 * @buf: Where to write the image, or NULL to only compute its size.
 * @bufsize: Size of @buf.
 * @p: Contents of the image.
 *
 * Writes a format 1.0 image: a 128-byte header immediately followed by
 * the payload.  Nothing is written if @buf is NULL or smaller than the
 * image.
 *
 * Return: the size of the image, or 0 if @p is invalid (see
 * &struct rm_npu_fw_params).
 */
size_t rm_npu_fw_write(void *buf, size_t bufsize,
		       const struct rm_npu_fw_params *p)
{
	char arch[RM_NPU_FW_ARCH_LEN], vstr[RM_NPU_FW_VERSION_STR_LEN];
	size_t need = params_check(p, arch, vstr);
	__u8 *img = buf;

	if (!need || !img || bufsize < need)
		return need;

	memset(img, 0, RM_NPU_FW_HEADER_SIZE);
	memcpy(img + HDR_OFF(magic), RM_NPU_FW_MAGIC, RM_NPU_FW_MAGIC_LEN);
	put_le16(img + HDR_OFF(fmt_major), RM_NPU_FW_FMT_MAJOR);
	put_le16(img + HDR_OFF(fmt_minor), RM_NPU_FW_FMT_MINOR);
	put_le32(img + HDR_OFF(header_size), RM_NPU_FW_HEADER_SIZE);
	put_le32(img + HDR_OFF(fw_version), p->fw_version);
	memcpy(img + HDR_OFF(fw_version_str), vstr, sizeof(vstr));
	memcpy(img + HDR_OFF(arch), arch, sizeof(arch));
	put_le32(img + HDR_OFF(pe_count), p->pe_count);
	put_le64(img + HDR_OFF(caps), p->caps);
	put_le64(img + HDR_OFF(payload_offset), RM_NPU_FW_HEADER_SIZE);
	put_le64(img + HDR_OFF(payload_size), p->payload_size);
	memcpy(img + RM_NPU_FW_HEADER_SIZE, p->payload, p->payload_size);
	rm_npu_fw_seal(img, need);
	return need;
}

/**
 * rm_npu_fw_seal() - recompute the CRCs of an image after editing it
 * @image: The image.
 * @size: Size of the image in bytes.
 *
 * Sets payload_crc if the payload lies within @size, then header_crc over
 * header_size bytes (over 128 bytes if header_size is out of range).  Does
 * nothing if @size is less than 128.  Meant for tools and tests that build
 * deliberately odd images.
 */
void rm_npu_fw_seal(void *image, size_t size)
{
	__u8 *img = image;
	__u64 off, len;
	__u32 hsize;

	if (!img || size < RM_NPU_FW_HEADER_SIZE)
		return;
	off = get_le64(img + HDR_OFF(payload_offset));
	len = get_le64(img + HDR_OFF(payload_size));
	if (off <= size && len <= size - off)
		put_le32(img + HDR_OFF(payload_crc),
			 fw_crc32_update(0, img + off, (size_t)len));
	hsize = get_le32(img + HDR_OFF(header_size));
	if (hsize < RM_NPU_FW_HEADER_SIZE || hsize > size)
		hsize = RM_NPU_FW_HEADER_SIZE;
	put_le32(img + HDR_OFF(header_crc), header_crc(img, hsize));
}
