// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests for the rm_npu firmware image parser and writer
 * (firmware-stubs/rm_npu_fw_image.c): a writer/parser round trip, every
 * rejection path with its errno and reason, and a deterministic mutation
 * loop.  Every parse runs on an exactly sized heap copy of the image, so
 * ASan catches any read past its end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "rm_npu_fw_image.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define OFF(field)	offsetof(struct rm_npu_fw_header, field)

#define PAYLOAD_SIZE	3000
#define ARCH		"warboy"

/* Every reason rm_npu_fw_parse() may give, with its errno. */
static const struct {
	const char *why;
	int err;
} reasons[] = {
	{ "no image data", -EINVAL },
	{ "truncated: image shorter than header", -EINVAL },
	{ "bad magic", -EINVAL },
	{ "unsupported format major version", -EPROTO },
	{ "bad header size", -EINVAL },
	{ "truncated: image shorter than header size", -EINVAL },
	{ "header CRC mismatch", -EINVAL },
	{ "reserved field not zero", -EINVAL },
	{ "bad firmware version number", -EINVAL },
	{ "firmware version string not NUL-terminated", -EINVAL },
	{ "firmware version string not NUL-padded", -EINVAL },
	{ "firmware version string has invalid characters", -EINVAL },
	{ "firmware version string does not match version number", -EINVAL },
	{ "arch not NUL-terminated", -EINVAL },
	{ "arch not NUL-padded", -EINVAL },
	{ "arch empty", -EINVAL },
	{ "arch has invalid characters", -EINVAL },
	{ "PE count is zero", -EINVAL },
	{ "PE count too large", -EINVAL },
	{ "payload overlaps header", -EINVAL },
	{ "truncated: payload offset past end of image", -EINVAL },
	{ "truncated: payload extends past end of image", -EINVAL },
	{ "empty payload", -EINVAL },
	{ "trailing bytes after payload", -EINVAL },
	{ "nonzero padding between header and payload", -EINVAL },
	{ "payload CRC mismatch", -EINVAL },
	{ "arch mismatch", -ENOEXEC },
};

static unsigned char payload[PAYLOAD_SIZE];

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static void default_params(struct rm_npu_fw_params *p)
{
	size_t i;

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)rng();
	memset(p, 0, sizeof(*p));
	p->arch = ARCH;
	p->fw_version = RM_NPU_FW_VERSION(1, 2, 3);
	p->fw_version_str = NULL;
	p->pe_count = 8;
	p->caps = RM_NPU_FW_CAPS_ALL;
	p->payload = payload;
	p->payload_size = sizeof(payload);
}

/* Returns a malloc'ed image of exactly *size bytes. */
static unsigned char *make_image(const struct rm_npu_fw_params *p,
				 size_t *size)
{
	unsigned char *img;

	*size = rm_npu_fw_write(NULL, 0, p);
	assert_int_equal(*size, RM_NPU_FW_HEADER_SIZE + p->payload_size);
	img = malloc(*size);
	assert_non_null(img);
	assert_int_equal(rm_npu_fw_write(img, *size, p), *size);
	return img;
}

static unsigned char *default_image(size_t *size)
{
	struct rm_npu_fw_params p;

	default_params(&p);
	return make_image(&p, size);
}

static unsigned char *dup_exact(const void *data, size_t size)
{
	unsigned char *copy = malloc(size ? size : 1);

	assert_non_null(copy);
	if (size)
		memcpy(copy, data, size);
	return copy;
}

static int all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return 0;
	return 1;
}

/*
 * Parses an exactly sized copy of data and checks the result.  On failure
 * prints what was being tested (ctx, n) before failing the test.
 */
static void check_parse(const void *data, size_t size, const char *arch,
			int err, const char *why_exp, const char *ctx, long n)
{
	unsigned char *copy = data ? dup_exact(data, size) : NULL;
	struct rm_npu_fw_desc d;
	const char *why = NULL;
	int ret;

	memset(&d, 0x5a, sizeof(d));
	ret = rm_npu_fw_parse(copy, size, arch, &d, &why);
	if (ret != err || !why || strcmp(why, why_exp)) {
		print_error("%s [%ld]: got %d \"%s\", want %d \"%s\"\n", ctx, n,
			    ret, why ? why : "(null)", err, why_exp);
		fail();
	}
	if (err && err != -ENOEXEC)
		assert_true(all_zero(&d, sizeof(d)));
	free(copy);
}

static void expect_ok(const void *data, size_t size, const char *ctx, long n)
{
	check_parse(data, size, ARCH, 0, "ok", ctx, n);
}

static void expect_einval(const void *data, size_t size, const char *why,
			  const char *ctx, long n)
{
	check_parse(data, size, ARCH, -EINVAL, why, ctx, n);
}

static void test_crc32(void **state)
{
	static const char check[] = "123456789";
	uint32_t crc;

	(void)state;
	assert_int_equal(rm_npu_fw_crc32(0, check, 9), 0xcbf43926);
	crc = rm_npu_fw_crc32(0, check, 4);
	assert_int_equal(rm_npu_fw_crc32(crc, check + 4, 5), 0xcbf43926);
	assert_int_equal(rm_npu_fw_crc32(0, check, 0), 0);
}

static void check_desc(const struct rm_npu_fw_desc *d, const unsigned char *img,
		       size_t size, const struct rm_npu_fw_params *p,
		       const char *vstr)
{
	assert_int_equal(d->fmt_major, 1);
	assert_int_equal(d->fmt_minor, 0);
	assert_int_equal(d->header_size, 128);
	assert_int_equal(d->fw_version, p->fw_version);
	assert_string_equal(d->fw_version_str, vstr);
	assert_string_equal(d->arch, p->arch);
	assert_int_equal(d->pe_count, p->pe_count);
	assert_int_equal(d->caps, p->caps);
	assert_int_equal(d->unknown_caps, p->caps & ~RM_NPU_FW_CAPS_ALL);
	assert_ptr_equal(d->payload, img + 128);
	assert_int_equal(d->payload_offset, 128);
	assert_int_equal(d->payload_size, p->payload_size);
	assert_int_equal(d->payload_size, size - 128);
	assert_memory_equal(d->payload, p->payload, p->payload_size);
	assert_int_equal(d->payload_crc,
			 crc32(0, p->payload, (uInt)p->payload_size));
}

static void test_roundtrip(void **state)
{
	struct rm_npu_fw_params p;
	struct rm_npu_fw_desc d;
	unsigned char *img, *buf;
	const char *why = NULL;
	unsigned char hdr[128];
	size_t size;

	(void)state;
	default_params(&p);
	p.fw_version_str = "1.2.3-rc1+g1234";
	p.pe_count = 256;
	p.caps = RM_NPU_FW_CAPS_ALL | 1ULL << 40 | 1ULL << 63;
	img = make_image(&p, &size);

	assert_int_equal(rm_npu_fw_parse(img, size, ARCH, &d, &why), 0);
	assert_string_equal(why, "ok");
	check_desc(&d, img, size, &p, "1.2.3-rc1+g1234");
	assert_int_equal(d.unknown_caps, 1ULL << 40 | 1ULL << 63);

	/* The raw layout, byte by byte, against the documented table. */
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "RMNPUFW", 8);
	put16(hdr + 8, 1);
	put16(hdr + 10, 0);
	put32(hdr + 12, 128);
	put32(hdr + 20, 0x010203);
	memcpy(hdr + 24, "1.2.3-rc1+g1234", 16);
	memcpy(hdr + 40, "warboy", 6);
	put32(hdr + 56, 256);
	put64(hdr + 64, p.caps);
	put64(hdr + 72, 128);
	put64(hdr + 80, PAYLOAD_SIZE);
	put32(hdr + 88, crc32(0, payload, PAYLOAD_SIZE));
	put32(hdr + 16, crc32(0, hdr, 128));
	assert_memory_equal(img, hdr, 128);
	assert_memory_equal(img + 128, payload, PAYLOAD_SIZE);

	/* No expected arch, no out, no why; an unaligned buffer. */
	assert_int_equal(rm_npu_fw_parse(img, size, NULL, NULL, NULL), 0);
	buf = malloc(size + 1);
	assert_non_null(buf);
	memcpy(buf + 1, img, size);
	assert_int_equal(rm_npu_fw_parse(buf + 1, size, ARCH, &d, &why), 0);
	check_desc(&d, buf + 1, size, &p, "1.2.3-rc1+g1234");
	free(buf);
	free(img);

	/* Derived version string, other values. */
	default_params(&p);
	p.fw_version = RM_NPU_FW_VERSION(255, 0, 10);
	p.pe_count = 1;
	p.caps = 0;
	p.arch = "abcdefghijklmn_";
	p.payload_size = 1;
	img = make_image(&p, &size);
	assert_int_equal(rm_npu_fw_parse(img, size, "abcdefghijklmn_", &d,
					 &why), 0);
	check_desc(&d, img, size, &p, "255.0.10");
	free(img);
}

static void test_write_sizes(void **state)
{
	struct rm_npu_fw_params p;
	unsigned char *buf;
	size_t need;

	(void)state;
	default_params(&p);
	need = rm_npu_fw_write(NULL, 0, &p);
	assert_int_equal(need, 128 + PAYLOAD_SIZE);
	assert_int_equal(rm_npu_fw_write(NULL, 1 << 20, &p), need);
	buf = malloc(need + 16);
	assert_non_null(buf);
	memset(buf, 0xaa, need + 16);
	/* Too small: size returned, nothing written. */
	assert_int_equal(rm_npu_fw_write(buf, need - 1, &p), need);
	assert_int_equal(buf[0], 0xaa);
	assert_int_equal(buf[need - 2], 0xaa);
	/* Larger than needed: only need bytes written. */
	assert_int_equal(rm_npu_fw_write(buf, need + 16, &p), need);
	assert_int_equal(buf[need], 0xaa);
	expect_ok(buf, need, "write", 0);
	free(buf);
}

static void test_write_rejects(void **state)
{
	static const char * const bad_arch[] = {
		"", "abcdefghijklmnop", "war boy", "war\tboy", "war\x7f",
		"war\x80",
	};
	static const struct {
		uint32_t version;
		const char *str;
	} bad_version[] = {
		{ RM_NPU_FW_VERSION(1, 0, 0), "1.0.1" },
		{ RM_NPU_FW_VERSION(1, 0, 0), "1.0.0x" },
		{ RM_NPU_FW_VERSION(1, 0, 0), "1.0.00" },
		{ RM_NPU_FW_VERSION(1, 0, 0), "1.0" },
		{ RM_NPU_FW_VERSION(1, 0, 0), "" },
		{ RM_NPU_FW_VERSION(1, 0, 0), "1.0.0-0123456789" },
		{ RM_NPU_FW_VERSION(1, 0, 0), "1.0.0-a b" },
		{ 0x01000000, NULL },
		{ 0xffffffff, NULL },
	};
	struct rm_npu_fw_params p;
	size_t i;

	(void)state;
	assert_int_equal(rm_npu_fw_write(NULL, 0, NULL), 0);
	for (i = 0; i < ARRAY_SIZE(bad_arch); i++) {
		default_params(&p);
		p.arch = bad_arch[i];
		assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	}
	for (i = 0; i < ARRAY_SIZE(bad_version); i++) {
		default_params(&p);
		p.fw_version = bad_version[i].version;
		p.fw_version_str = bad_version[i].str;
		assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	}
	default_params(&p);
	p.arch = NULL;
	assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	default_params(&p);
	p.pe_count = 0;
	assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	p.pe_count = RM_NPU_FW_MAX_PES + 1;
	assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	default_params(&p);
	p.payload = NULL;
	assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	default_params(&p);
	p.payload_size = 0;
	assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	p.payload_size = SIZE_MAX - 127;
	assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 0);
	/* Boundaries that are fine. */
	default_params(&p);
	p.fw_version = RM_NPU_FW_VERSION(255, 255, 255);
	p.fw_version_str = "255.255.255+abc";
	assert_int_equal(rm_npu_fw_write(NULL, 0, &p), 128 + PAYLOAD_SIZE);
}

static void test_truncated(void **state)
{
	unsigned char *img;
	size_t size, len;

	(void)state;
	img = default_image(&size);
	check_parse(NULL, 0, ARCH, -EINVAL, "no image data", "null", 0);
	check_parse(NULL, size, ARCH, -EINVAL, "no image data", "null", 1);
	for (len = 0; len < RM_NPU_FW_HEADER_SIZE; len++)
		expect_einval(img, len, "truncated: image shorter than header",
			      "header", (long)len);
	for (; len < size; len++)
		expect_einval(img, len,
			      "truncated: payload extends past end of image",
			      "payload", (long)len);
	expect_ok(img, size, "full", 0);
	free(img);
}

static void test_bad_magic(void **state)
{
	unsigned char *img;
	size_t size, i;
	int bit;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < RM_NPU_FW_MAGIC_LEN; i++) {
		for (bit = 0; bit < 8; bit++) {
			img[i] ^= 1 << bit;
			rm_npu_fw_seal(img, size);
			expect_einval(img, size, "bad magic", "magic", (long)i);
			img[i] ^= 1 << bit;
		}
	}
	memset(img, 0, 8);
	expect_einval(img, size, "bad magic", "zero magic", 0);
	free(img);
}

static void test_format_version(void **state)
{
	static const uint16_t bad_major[] = { 0, 2, 0x100, 0xffff };
	struct rm_npu_fw_desc d;
	unsigned char *img;
	const char *why;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < ARRAY_SIZE(bad_major); i++) {
		put16(img + OFF(fmt_major), bad_major[i]);
		rm_npu_fw_seal(img, size);
		check_parse(img, size, ARCH, -EPROTO,
			    "unsupported format major version", "major",
			    bad_major[i]);
		/* Checked before the header CRC and the arch. */
		img[OFF(header_crc)] ^= 1;
		check_parse(img, size, "other", -EPROTO,
			    "unsupported format major version", "major+crc",
			    bad_major[i]);
	}
	/* Any minor version is accepted and reported. */
	put16(img + OFF(fmt_major), 1);
	put16(img + OFF(fmt_minor), 0xbeef);
	rm_npu_fw_seal(img, size);
	assert_int_equal(rm_npu_fw_parse(img, size, ARCH, &d, &why), 0);
	assert_int_equal(d.fmt_minor, 0xbeef);
	free(img);
}

static void test_header_size(void **state)
{
	static const uint32_t bad[] = {
		0, 1, 20, 120, 127, 129, 132, 4097, 4104, 8192, 0xfffffff8,
		0xffffffff,
	};
	struct rm_npu_fw_desc d;
	unsigned char *img, *ext;
	const char *why;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		put32(img + OFF(header_size), bad[i]);
		rm_npu_fw_seal(img, size);
		expect_einval(img, size, "bad header size", "hsize", bad[i]);
	}
	/* Valid size, but the payload starts inside it. */
	put32(img + OFF(header_size), 256);
	rm_npu_fw_seal(img, size);
	expect_einval(img, size, "payload overlaps header", "hsize", 256);
	/* Valid size, larger than the image. */
	expect_einval(img, 200, "truncated: image shorter than header size",
		      "hsize", 200);
	put32(img + OFF(header_size), 4096);
	rm_npu_fw_seal(img, size);
	expect_einval(img, size, "truncated: image shorter than header size",
		      "hsize", 4096);
	free(img);

	/* An extended (minor version) header: 136 bytes, then the payload. */
	img = default_image(&size);
	ext = malloc(size + 8);
	assert_non_null(ext);
	memcpy(ext, img, 128);
	memset(ext + 128, 0xee, 8);
	memcpy(ext + 136, img + 128, size - 128);
	put16(ext + OFF(fmt_minor), 1);
	put32(ext + OFF(header_size), 136);
	put64(ext + OFF(payload_offset), 136);
	rm_npu_fw_seal(ext, size + 8);
	assert_int_equal(rm_npu_fw_parse(ext, size + 8, ARCH, &d, &why), 0);
	assert_int_equal(d.header_size, 136);
	assert_int_equal(d.payload_offset, 136);
	assert_ptr_equal(d.payload, ext + 136);
	/* The extension is covered by the header CRC. */
	ext[130] ^= 1;
	expect_einval(ext, size + 8, "header CRC mismatch", "ext", 0);
	free(ext);
	free(img);
}

static void test_header_crc(void **state)
{
	unsigned char *img;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	/* Any bit after the header_size field is covered by the CRC. */
	for (i = OFF(fmt_minor); i < RM_NPU_FW_HEADER_SIZE; i++) {
		if (i >= OFF(header_size) && i < OFF(header_crc))
			continue;
		img[i] ^= 0x10;
		expect_einval(img, size, "header CRC mismatch", "byte", (long)i);
		img[i] ^= 0x10;
	}
	put32(img + OFF(header_crc), 0);
	expect_einval(img, size, "header CRC mismatch", "zero", 0);
	free(img);
}

static void test_payload_crc(void **state)
{
	unsigned char *img;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 128; i < size; i += 97) {
		img[i] ^= 0x80;
		expect_einval(img, size, "payload CRC mismatch", "byte", (long)i);
		img[i] ^= 0x80;
	}
	img[size - 1] ^= 1;
	expect_einval(img, size, "payload CRC mismatch", "last", 0);
	img[size - 1] ^= 1;
	/* The stored CRC itself, with a valid header CRC. */
	put32(img + OFF(payload_crc), get32(img + OFF(payload_crc)) ^ 1);
	put32(img + OFF(header_crc), 0);
	put32(img + OFF(header_crc), crc32(0, img, 128));
	expect_einval(img, size, "payload CRC mismatch", "field", 0);
	free(img);
}

static void test_reserved(void **state)
{
	unsigned char *img;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < RM_NPU_FW_HEADER_SIZE; i++) {
		if (!(i >= OFF(reserved0) && i < OFF(reserved0) + 4) &&
		    !(i >= OFF(reserved1) && i < OFF(reserved1) + 4) &&
		    i < OFF(reserved2))
			continue;
		img[i] = 0x01;
		rm_npu_fw_seal(img, size);
		expect_einval(img, size, "reserved field not zero", "byte",
			      (long)i);
		img[i] = 0;
	}
	rm_npu_fw_seal(img, size);
	expect_ok(img, size, "restored", 0);
	free(img);
}

static void set_version_str(unsigned char *img, size_t size, const char *s,
			    size_t len)
{
	memset(img + OFF(fw_version_str), 0, RM_NPU_FW_VERSION_STR_LEN);
	memcpy(img + OFF(fw_version_str), s, len);
	rm_npu_fw_seal(img, size);
}

static void test_fw_version(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		const char *why;
	} cases[] = {
		{ "1.2.3-abcdefghij", 16,
		  "firmware version string not NUL-terminated" },
		{ "1.2.3\0x", 7, "firmware version string not NUL-padded" },
		{ "1.2.3\0\0\0\0\0\0\0\0\0\0\x01", 16,
		  "firmware version string not NUL-padded" },
		{ "1.2.3 rc1", 9,
		  "firmware version string has invalid characters" },
		{ "1.2.3-\x01", 7,
		  "firmware version string has invalid characters" },
		{ "1.2.3-\xff", 7,
		  "firmware version string has invalid characters" },
		{ "", 0,
		  "firmware version string does not match version number" },
		{ "1.2.4", 5,
		  "firmware version string does not match version number" },
		{ "1.2", 3,
		  "firmware version string does not match version number" },
		{ "1.2.30", 6,
		  "firmware version string does not match version number" },
		{ "01.2.3", 6,
		  "firmware version string does not match version number" },
		{ "1.2.3_x", 7,
		  "firmware version string does not match version number" },
		{ "v1.2.3", 6,
		  "firmware version string does not match version number" },
	};
	static const char * const good[] = {
		"1.2.3", "1.2.3-rc1", "1.2.3+build.7", "1.2.3-abcdefghi",
	};
	unsigned char *img;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		set_version_str(img, size, cases[i].s, cases[i].len);
		expect_einval(img, size, cases[i].why, cases[i].s, (long)i);
	}
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		set_version_str(img, size, good[i], strlen(good[i]));
		expect_ok(img, size, good[i], (long)i);
	}
	put32(img + OFF(fw_version), 0x01010203);
	rm_npu_fw_seal(img, size);
	expect_einval(img, size, "bad firmware version number", "number", 0);
	put32(img + OFF(fw_version), 0xff000000);
	rm_npu_fw_seal(img, size);
	expect_einval(img, size, "bad firmware version number", "number", 1);
	put32(img + OFF(fw_version), 0);
	set_version_str(img, size, "0.0.0", 5);
	expect_ok(img, size, "0.0.0", 0);
	free(img);
}

static void test_arch_field(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		const char *why;
	} cases[] = {
		{ "warboywarboywarb", 16, "arch not NUL-terminated" },
		{ "warboy\0x", 8, "arch not NUL-padded" },
		{ "warboy\0\0\0\0\0\0\0\0\0\x01", 16, "arch not NUL-padded" },
		{ "", 0, "arch empty" },
		{ "\0warboy", 7, "arch not NUL-padded" },
		{ "war boy", 7, "arch has invalid characters" },
		{ "warboy\n", 7, "arch has invalid characters" },
		{ "war\x7f", 4, "arch has invalid characters" },
		{ "war\xc3\xa9", 5, "arch has invalid characters" },
	};
	unsigned char *img;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(img + OFF(arch), 0, RM_NPU_FW_ARCH_LEN);
		memcpy(img + OFF(arch), cases[i].s, cases[i].len);
		rm_npu_fw_seal(img, size);
		/* Format errors come before the arch comparison. */
		expect_einval(img, size, cases[i].why, cases[i].s, (long)i);
		check_parse(img, size, NULL, -EINVAL, cases[i].why, "no arch",
			    (long)i);
	}
	free(img);
}

static void test_arch_mismatch(void **state)
{
	static const char * const other[] = {
		"", "warbo", "warboyx", "Warboy", "renegade",
		"a-name-longer-than-sixteen-bytes",
	};
	struct rm_npu_fw_desc d;
	unsigned char *img;
	const char *why;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		check_parse(img, size, other[i], -ENOEXEC, "arch mismatch",
			    other[i], (long)i);
		/* The image is valid, so it is described. */
		assert_int_equal(rm_npu_fw_parse(img, size, other[i], &d, &why),
				 -ENOEXEC);
		assert_string_equal(d.arch, ARCH);
		assert_int_equal(d.pe_count, 8);
		assert_ptr_equal(d.payload, img + 128);
	}
	/* A corrupt image for another arch is corrupt, not foreign. */
	img[size - 1] ^= 1;
	expect_einval(img, size, "payload CRC mismatch", "corrupt", 0);
	check_parse(img, size, "other", -EINVAL, "payload CRC mismatch",
		    "corrupt", 1);
	free(img);
}

static void test_pe_count(void **state)
{
	static const uint32_t too_large[] = {
		RM_NPU_FW_MAX_PES + 1, 0x10000, 0x80000000, 0xffffffff,
	};
	unsigned char *img;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	put32(img + OFF(pe_count), 0);
	rm_npu_fw_seal(img, size);
	expect_einval(img, size, "PE count is zero", "pes", 0);
	for (i = 0; i < ARRAY_SIZE(too_large); i++) {
		put32(img + OFF(pe_count), too_large[i]);
		rm_npu_fw_seal(img, size);
		expect_einval(img, size, "PE count too large", "pes",
			      (long)too_large[i]);
	}
	put32(img + OFF(pe_count), 1);
	rm_npu_fw_seal(img, size);
	expect_ok(img, size, "pes", 1);
	put32(img + OFF(pe_count), RM_NPU_FW_MAX_PES);
	rm_npu_fw_seal(img, size);
	expect_ok(img, size, "pes", RM_NPU_FW_MAX_PES);
	free(img);
}

static void test_caps(void **state)
{
	static const uint64_t caps[] = {
		0, RM_NPU_FW_CAP_NOP, RM_NPU_FW_CAP_GEMM | RM_NPU_FW_CAP_LUT,
		RM_NPU_FW_CAPS_ALL, RM_NPU_FW_CAP_F32_RESCALE, 1ULL << 9, ~0ULL,
	};
	struct rm_npu_fw_desc d;
	unsigned char *img;
	const char *why;
	size_t size, i;

	(void)state;
	assert_int_equal(RM_NPU_FW_CAPS_ALL, 0x1ff);
	assert_int_equal(RM_NPU_FW_CAP_F32_RESCALE, 1 << 8);
	assert_int_equal(RM_NPU_FW_CAP_CONV2D, 1 << 4);
	img = default_image(&size);
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		put64(img + OFF(caps), caps[i]);
		rm_npu_fw_seal(img, size);
		assert_int_equal(rm_npu_fw_parse(img, size, ARCH, &d, &why), 0);
		assert_int_equal(d.caps, caps[i]);
		assert_int_equal(d.unknown_caps, caps[i] & ~0x1ffULL);
	}
	free(img);
}

static void set_payload(unsigned char *img, size_t size, uint64_t off,
			uint64_t len)
{
	put64(img + OFF(payload_offset), off);
	put64(img + OFF(payload_size), len);
	rm_npu_fw_seal(img, size);
}

static void test_payload_geometry(void **state)
{
	static const struct {
		uint64_t off, len;
		const char *why;
	} cases[] = {
		{ 0, 128 + PAYLOAD_SIZE, "payload overlaps header" },
		{ 127, PAYLOAD_SIZE + 1, "payload overlaps header" },
		{ 129 + PAYLOAD_SIZE, 0,
		  "truncated: payload offset past end of image" },
		{ 1ULL << 32, PAYLOAD_SIZE,
		  "truncated: payload offset past end of image" },
		{ 1ULL << 63, 1ULL << 63,
		  "truncated: payload offset past end of image" },
		{ UINT64_MAX, 128 + PAYLOAD_SIZE + 1,
		  "truncated: payload offset past end of image" },
		/* off + len wraps around to a small value */
		{ 128, UINT64_MAX, "truncated: payload extends past end of image" },
		{ 128, UINT64_MAX - 127,
		  "truncated: payload extends past end of image" },
		{ 128, 1ULL << 63,
		  "truncated: payload extends past end of image" },
		{ 128 + PAYLOAD_SIZE, 1,
		  "truncated: payload extends past end of image" },
		{ 128, PAYLOAD_SIZE + 1,
		  "truncated: payload extends past end of image" },
		{ 128 + PAYLOAD_SIZE, 0, "empty payload" },
		{ 128, 0, "empty payload" },
		{ 128, PAYLOAD_SIZE - 1, "trailing bytes after payload" },
		{ 128, 1, "trailing bytes after payload" },
		{ 136, PAYLOAD_SIZE - 8,
		  "nonzero padding between header and payload" },
	};
	unsigned char *img, *gap;
	struct rm_npu_fw_desc d;
	const char *why;
	size_t size, i;

	(void)state;
	img = default_image(&size);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		set_payload(img, size, cases[i].off, cases[i].len);
		expect_einval(img, size, cases[i].why, "geometry", (long)i);
	}
	free(img);

	/* A zero gap between header and payload is fine. */
	img = default_image(&size);
	gap = calloc(1, size + 24);
	assert_non_null(gap);
	memcpy(gap, img, 128);
	memcpy(gap + 152, img + 128, size - 128);
	set_payload(gap, size + 24, 152, size - 128);
	assert_int_equal(rm_npu_fw_parse(gap, size + 24, ARCH, &d, &why), 0);
	assert_int_equal(d.payload_offset, 152);
	assert_memory_equal(d.payload, payload, PAYLOAD_SIZE);
	gap[150] = 1;
	expect_einval(gap, size + 24,
		      "nonzero padding between header and payload", "gap", 0);
	free(gap);
	free(img);
}

/* Mutates an image of at least 128 bytes; never makes it shorter. */
static void mutate(unsigned char **imgp, size_t *sizep)
{
	static const uint64_t interesting[] = {
		0, 1, 2, 7, 8, 127, 128, 129, 136, 255, 256, 257, 4096, 4097,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xffffffffffffff80ULL, UINT64_MAX,
	};
	unsigned char *img = *imgp;
	size_t size = *sizep, n, i, pos;
	int reseal = rng() & 1;
	uint64_t v;

	switch (rng() % 5) {
	case 0:	/* flip bits anywhere */
		n = 1 + rng() % 4;
		for (i = 0; i < n; i++)
			img[rng() % size] ^= (unsigned char)(1 << (rng() % 8));
		break;
	case 1:	/* random header bytes */
		n = 1 + rng() % 3;
		for (i = 0; i < n; i++)
			img[rng() % 128] = (unsigned char)rng();
		break;
	case 2:	/* an interesting value in a 4- or 8-byte header slot */
		pos = (rng() % 32) * 4;
		v = rng() % 4 ? interesting[rng() % ARRAY_SIZE(interesting)] :
				rng();
		if (rng() % 4 == 0)
			v = size + (uint64_t)(rng() % 5) - 2;
		if (pos <= 120 && rng() & 1)
			put64(img + pos, v);
		else
			put32(img + pos, (uint32_t)v);
		break;
	case 3:	/* append bytes, maybe account for them */
		n = 1 + rng() % 64;
		img = realloc(img, size + n);
		assert_non_null(img);
		for (i = 0; i < n; i++)
			img[size + i] = rng() & 1 ? (unsigned char)rng() : 0;
		*imgp = img;
		*sizep = size + n;
		if (rng() & 1)
			put64(img + OFF(payload_size),
			      get64(img + OFF(payload_size)) + n);
		break;
	default: /* string fields */
		pos = rng() & 1 ? OFF(arch) : OFF(fw_version_str);
		img[pos + rng() % 16] = (unsigned char)(rng() & 1 ? 0 : rng());
		break;
	}
	if (reseal)
		rm_npu_fw_seal(*imgp, *sizep);
}

static void check_result(int ret, const char *why, const char *arch,
			 const struct rm_npu_fw_desc *d,
			 const unsigned char *img, size_t size)
{
	size_t i;

	assert_non_null(why);
	if (!ret) {
		assert_string_equal(why, "ok");
		assert_ptr_equal(d->payload, img + d->payload_offset);
		assert_true(d->payload_offset >= d->header_size);
		assert_true(d->header_size >= 128);
		assert_int_equal(d->payload_offset + d->payload_size, size);
		assert_true(d->pe_count >= 1 &&
			    d->pe_count <= RM_NPU_FW_MAX_PES);
		assert_non_null(memchr(d->arch, 0, sizeof(d->arch)));
		assert_non_null(memchr(d->fw_version_str, 0,
				       sizeof(d->fw_version_str)));
		assert_true(!arch || !strcmp(arch, d->arch));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		if (!strcmp(why, reasons[i].why))
			break;
	if (i == ARRAY_SIZE(reasons)) {
		print_error("undocumented reason \"%s\"\n", why);
		fail();
	}
	assert_int_equal(ret, reasons[i].err);
	if (ret == -ENOEXEC)
		assert_non_null(arch);
}

#define MUTATIONS	10000

static void test_mutations(void **state)
{
	static const char * const arches[] = { ARCH, NULL, "other" };
	unsigned int seen_ok = 0, seen_reasons = 0, count[ARRAY_SIZE(reasons)];
	unsigned char *base, *img, *exact;
	struct rm_npu_fw_params p;
	struct rm_npu_fw_desc d;
	size_t base_size, size, i, k;
	const char *why, *arch;
	uint64_t seed;
	int ret, round;

	(void)state;
	default_params(&p);
	p.payload_size = 512;
	base = make_image(&p, &base_size);
	memset(count, 0, sizeof(count));
	seed = 0x243f6a8885a308d3ULL;

	for (i = 0; i < MUTATIONS; i++) {
		rng_state = seed;
		rng();
		seed = rng_state;
		size = base_size;
		img = dup_exact(base, size);
		for (round = (int)(1 + rng() % 3); round > 0; round--)
			mutate(&img, &size);
		if (rng() % 6 == 0)
			size = rng() % size;	/* truncate, maybe to 0 */
		/* Re-copy so the buffer ends exactly at size. */
		exact = dup_exact(img, size);
		free(img);
		img = exact;
		arch = arches[rng() % ARRAY_SIZE(arches)];
		why = NULL;
		ret = rm_npu_fw_parse(img, size, arch, &d, &why);
		check_result(ret, why, arch, &d, img, size);
		if (!ret) {
			seen_ok++;
		} else {
			for (k = 0; k < ARRAY_SIZE(reasons); k++)
				if (!strcmp(why, reasons[k].why))
					count[k]++;
		}
		free(img);
	}
	free(base);

	for (k = 0; k < ARRAY_SIZE(reasons); k++)
		if (count[k])
			seen_reasons++;
	print_message("mutations: %u accepted, %u distinct reasons\n",
		      seen_ok, seen_reasons);
	/* The loop must reach deep into the parser, not stop at the CRC. */
	assert_true(seen_ok > 0);
	assert_true(seen_reasons >= 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_write_sizes),
		cmocka_unit_test(test_write_rejects),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_format_version),
		cmocka_unit_test(test_header_size),
		cmocka_unit_test(test_header_crc),
		cmocka_unit_test(test_payload_crc),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_fw_version),
		cmocka_unit_test(test_arch_field),
		cmocka_unit_test(test_arch_mismatch),
		cmocka_unit_test(test_pe_count),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_payload_geometry),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
