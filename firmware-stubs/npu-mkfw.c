// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu-mkfw - write and inspect rm_npu firmware images.
 *
 *   npu-mkfw [--arch NAME] [--fw-version X.Y.Z] [--pes N] [--caps HEX]
 *            [--microcode-size N] [--corrupt MODE] -o FILE
 *   npu-mkfw --info FILE [--arch NAME]
 *
 * Exit status: 0 success, 1 invalid image (--info), 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_npu_fw_image.h"

#define PROG			"npu-mkfw"
#define DEFAULT_ARCH		"warboy"
#define DEFAULT_VERSION		"1.0.0"
#define DEFAULT_PES		8
#define DEFAULT_MICROCODE	4096
#define MAX_MICROCODE		(16u << 20)
#define MAX_IMAGE		(256u << 20)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define EXIT_INVALID		1
#define EXIT_USAGE		2

enum corrupt {
	CORRUPT_NONE,
	CORRUPT_HEADER_CRC,
	CORRUPT_PAYLOAD_CRC,
	CORRUPT_MAGIC,
	CORRUPT_TRUNCATE,
	CORRUPT_ARCH,
	CORRUPT_VERSION,
	CORRUPT_PES,
	CORRUPT_RESERVED,
	CORRUPT_TRAILING,
};

static const struct {
	const char *name;
	enum corrupt mode;
	const char *what;
} corrupt_modes[] = {
	{ "header-crc", CORRUPT_HEADER_CRC, "flip a bit of header_crc" },
	{ "payload-crc", CORRUPT_PAYLOAD_CRC, "flip a payload bit" },
	{ "magic", CORRUPT_MAGIC, "change the magic" },
	{ "truncate", CORRUPT_TRUNCATE, "cut the image in mid-payload" },
	{ "arch", CORRUPT_ARCH, "valid image for arch \"not-<arch>\"" },
	{ "version", CORRUPT_VERSION, "valid CRCs, format major 2" },
	{ "pes", CORRUPT_PES, "valid CRCs, pe_count 0" },
	{ "reserved", CORRUPT_RESERVED, "valid CRCs, reserved0 = 1" },
	{ "trailing", CORRUPT_TRAILING, "append a byte after the payload" },
};

static const char * const op_names[RM_NPU_FW_OP_COUNT] = {
	[RM_NPU_FW_OP_NOP] = "nop",
	[RM_NPU_FW_OP_FILL] = "fill",
	[RM_NPU_FW_OP_COPY] = "copy",
	[RM_NPU_FW_OP_GEMM] = "gemm",
	[RM_NPU_FW_OP_CONV2D] = "conv2d",
	[RM_NPU_FW_OP_POOL2D] = "pool2d",
	[RM_NPU_FW_OP_ELTWISE] = "eltwise",
	[RM_NPU_FW_OP_LUT] = "lut",
};

static void print_help(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: " PROG " [options] -o FILE   write a firmware image\n"
		"       " PROG " --info FILE [--arch NAME]   check and describe an image\n"
		"\n"
		"  -a, --arch NAME          architecture (default " DEFAULT_ARCH
		"); with --info, the expected one\n"
		"  -V, --fw-version X.Y.Z   firmware version, each part 0..255, optional\n"
		"                           -SUFFIX or +SUFFIX (default " DEFAULT_VERSION ")\n"
		"  -p, --pes N              PEs driven, 1..%d (default %d)\n"
		"  -c, --caps HEX           capability bits (default 0x%llx: all opcodes\n"
		"                           and features)\n"
		"  -m, --microcode-size N   stub microcode bytes (default %d)\n"
		"  -C, --corrupt MODE       write a deliberately broken image\n"
		"  -o, --output FILE        where to write the image\n"
		"  -i, --info FILE          parse FILE and print its fields\n"
		"  -h, --help               this text\n"
		"\ncorrupt modes:\n",
		RM_NPU_FW_MAX_PES, DEFAULT_PES,
		(unsigned long long)RM_NPU_FW_CAPS_ALL, DEFAULT_MICROCODE);
	for (i = 0; i < ARRAY_SIZE(corrupt_modes); i++)
		fprintf(f, "  %-12s %s\n", corrupt_modes[i].name,
			corrupt_modes[i].what);
	fprintf(f, "\nexit status: 0 ok, 1 invalid image, 2 usage or I/O error\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return EXIT_USAGE;
}

/* Parses a decimal number in [min, max]; returns 0 on success. */
static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_caps(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || !strchr("0123456789abcdefABCDEF", *s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Parses X.Y.Z[(-|+)SUFFIX]; returns 0 on success. */
static int parse_version(const char *s, __u32 *out)
{
	unsigned long part[3];
	const char *p = s;
	int i;

	if (strlen(s) >= RM_NPU_FW_VERSION_STR_LEN)
		return -1;
	for (i = 0; i < 3; i++) {
		char *end;

		if (*p < '0' || *p > '9')
			return -1;
		part[i] = strtoul(p, &end, 10);
		if (part[i] > 255 || end - p > 3)
			return -1;
		p = end;
		if (i < 2 && *p++ != '.')
			return -1;
	}
	if (*p && *p != '-' && *p != '+')
		return -1;
	*out = RM_NPU_FW_VERSION(part[0], part[1], part[2]);
	return 0;
}

/* Deterministic stub microcode: xorshift32 seeded from the build info. */
static void fill_microcode(unsigned char *buf, size_t len, const char *info)
{
	__u32 x = 2166136261u;
	size_t i;

	for (i = 0; info[i]; i++)
		x = (x ^ (unsigned char)info[i]) * 16777619u;
	if (!x)
		x = 1;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(x >> 24);
	}
}

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fwrite(buf, 1, len, f) != len || fflush(f)) {
		fprintf(stderr, PROG ": %s: write failed: %s\n", path,
			strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f)) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads a whole file into an exactly sized buffer. */
static unsigned char *read_file(const char *path, size_t *len)
{
	unsigned char *buf = NULL, *tmp;
	size_t cap = 0, n = 0, got;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > MAX_IMAGE + 1)
				cap = MAX_IMAGE + 1;
			if (n == cap) {
				fprintf(stderr, PROG ": %s: larger than %u bytes\n",
					path, MAX_IMAGE);
				goto fail;
			}
			tmp = realloc(buf, cap);
			if (!tmp) {
				fprintf(stderr, PROG ": out of memory\n");
				goto fail;
			}
			buf = tmp;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got)
			continue;
		if (ferror(f)) {
			fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
			goto fail;
		}
		break;
	}
	fclose(f);
	/* Exact size, so that out-of-bounds reads are real ones. */
	tmp = malloc(n ? n : 1);
	if (!tmp) {
		fprintf(stderr, PROG ": out of memory\n");
		free(buf);
		return NULL;
	}
	if (n)
		memcpy(tmp, buf, n);
	free(buf);
	*len = n;
	return tmp;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

static const char *errno_name(int err)
{
	switch (err) {
	case -EINVAL:
		return "EINVAL";
	case -EPROTO:
		return "EPROTO";
	case -ENOEXEC:
		return "ENOEXEC";
	default:
		return "?";
	}
}

/* The stub payload ends with "\0<build info>\0"; prints that string. */
static void print_build_info(const unsigned char *p, size_t len)
{
	size_t start;

	if (len < 2 || p[len - 1])
		return;
	start = len - 1;
	while (start > 0 && p[start - 1] >= ' ' && p[start - 1] <= '~')
		start--;
	if (start > 0 && !p[start - 1] && start < len - 1)
		printf("build-info:     %s\n", (const char *)p + start);
}

static int do_info(const char *path, const char *expect_arch)
{
	struct rm_npu_fw_desc d;
	unsigned char *img;
	const char *why;
	size_t len;
	int ret, i;

	img = read_file(path, &len);
	if (!img)
		return EXIT_USAGE;
	ret = rm_npu_fw_parse(img, len, expect_arch, &d, &why);
	if (ret) {
		fprintf(stderr, PROG ": %s: invalid firmware image: %s (%s)\n",
			path, why, errno_name(ret));
		if (ret == -ENOEXEC)
			fprintf(stderr, PROG ": %s: image arch \"%s\", expected \"%s\"\n",
				path, d.arch, expect_arch);
		free(img);
		return EXIT_INVALID;
	}
	printf("file:           %s\n", path);
	printf("size:           %zu\n", len);
	printf("format:         %u.%u\n", d.fmt_major, d.fmt_minor);
	printf("header-size:    %u\n", d.header_size);
	printf("fw-version:     %s (0x%06x)\n", d.fw_version_str, d.fw_version);
	printf("arch:           %s\n", d.arch);
	printf("pes:            %u\n", d.pe_count);
	printf("caps:           0x%016llx", (unsigned long long)d.caps);
	for (i = 0; i < RM_NPU_FW_OP_COUNT; i++)
		if (d.caps & RM_NPU_FW_CAP_OP(i))
			printf(" %s", op_names[i]);
	if (d.caps & RM_NPU_FW_CAP_F32_RESCALE)
		printf(" f32_rescale");
	printf("\n");
	printf("unknown-caps:   0x%016llx\n", (unsigned long long)d.unknown_caps);
	printf("payload-offset: %zu\n", d.payload_offset);
	printf("payload-size:   %zu\n", d.payload_size);
	printf("payload-crc32:  0x%08x\n", d.payload_crc);
	print_build_info(d.payload, d.payload_size);
	printf("status:         ok\n");
	free(img);
	return 0;
}

static void corrupt_image(unsigned char *img, size_t *len, enum corrupt mode,
			  const char *arch)
{
	struct rm_npu_fw_header *h = NULL;
	size_t i;

	switch (mode) {
	case CORRUPT_NONE:
		break;
	case CORRUPT_HEADER_CRC:
		img[offsetof(struct rm_npu_fw_header, header_crc)] ^= 0x01;
		break;
	case CORRUPT_PAYLOAD_CRC:
		img[RM_NPU_FW_HEADER_SIZE] ^= 0x01;
		break;
	case CORRUPT_MAGIC:
		img[0] ^= 0x20;
		rm_npu_fw_seal(img, *len);
		break;
	case CORRUPT_TRUNCATE:
		*len = RM_NPU_FW_HEADER_SIZE + (*len - RM_NPU_FW_HEADER_SIZE) / 2;
		break;
	case CORRUPT_ARCH:
		i = offsetof(struct rm_npu_fw_header, arch);
		memset(img + i, 0, sizeof(h->arch));
		snprintf((char *)img + i, sizeof(h->arch), "not-%s", arch);
		rm_npu_fw_seal(img, *len);
		break;
	case CORRUPT_VERSION:
		img[offsetof(struct rm_npu_fw_header, fmt_major)] = 2;
		rm_npu_fw_seal(img, *len);
		break;
	case CORRUPT_PES:
		memset(img + offsetof(struct rm_npu_fw_header, pe_count), 0,
		       sizeof(h->pe_count));
		rm_npu_fw_seal(img, *len);
		break;
	case CORRUPT_RESERVED:
		img[offsetof(struct rm_npu_fw_header, reserved0)] = 1;
		rm_npu_fw_seal(img, *len);
		break;
	case CORRUPT_TRAILING:
		img[(*len)++] = 0;	/* the buffer has one spare byte */
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "fw-version", required_argument, NULL, 'V' },
		{ "pes", required_argument, NULL, 'p' },
		{ "caps", required_argument, NULL, 'c' },
		{ "microcode-size", required_argument, NULL, 'm' },
		{ "corrupt", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "info", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *arch = NULL, *version = DEFAULT_VERSION;
	const char *output = NULL, *info = NULL;
	unsigned long pes = DEFAULT_PES, ucode = DEFAULT_MICROCODE;
	enum corrupt mode = CORRUPT_NONE;
	__u64 caps = RM_NPU_FW_CAPS_ALL;
	struct rm_npu_fw_params p;
	unsigned char *payload, *img;
	char build_info[160];
	size_t len, info_len, i;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:V:p:c:m:C:o:i:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			arch = optarg;
			break;
		case 'V':
			version = optarg;
			break;
		case 'p':
			if (parse_ulong(optarg, 1, RM_NPU_FW_MAX_PES, &pes))
				return usage_error("bad --pes '%s' (1..256)", optarg);
			break;
		case 'c':
			if (parse_caps(optarg, &caps))
				return usage_error("bad --caps '%s' (hex)", optarg);
			break;
		case 'm':
			if (parse_ulong(optarg, 1, MAX_MICROCODE, &ucode))
				return usage_error("bad --microcode-size '%s'",
						   optarg);
			break;
		case 'C':
			for (i = 0; i < ARRAY_SIZE(corrupt_modes); i++)
				if (!strcmp(optarg, corrupt_modes[i].name))
					break;
			if (i == ARRAY_SIZE(corrupt_modes))
				return usage_error("unknown --corrupt mode '%s'",
						   optarg);
			mode = corrupt_modes[i].mode;
			break;
		case 'o':
			output = optarg;
			break;
		case 'i':
			info = optarg;
			break;
		case 'h':
			print_help(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (info && output)
		return usage_error("%s", "--info and --output exclude each other");
	if (info)
		return do_info(info, arch);
	if (!output)
		return usage_error("%s", "no output file (-o FILE) given");

	if (!arch)
		arch = DEFAULT_ARCH;
	if (!*arch || strlen(arch) >= RM_NPU_FW_ARCH_LEN ||
	    strpbrk(arch, " \t\n"))
		return usage_error("bad --arch '%s' (1..15 printable characters)",
				   arch);
	memset(&p, 0, sizeof(p));
	if (parse_version(version, &p.fw_version))
		return usage_error("bad --fw-version '%s' (X.Y.Z[-SUFFIX], 0..255, <= 15 chars)",
				   version);

	/* Payload: microcode, NUL, build info, NUL. */
	snprintf(build_info, sizeof(build_info),
		 "rm_npu stub firmware arch=%s version=%s pes=%lu caps=0x%llx microcode=%lu",
		 arch, version, pes, (unsigned long long)caps, ucode);
	info_len = strlen(build_info) + 1;
	p.payload_size = ucode + 1 + info_len;
	payload = calloc(1, p.payload_size);
	if (!payload) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_USAGE;
	}
	fill_microcode(payload, ucode, build_info);
	memcpy(payload + ucode + 1, build_info, info_len);

	p.arch = arch;
	p.fw_version_str = version;
	p.pe_count = (__u32)pes;
	p.caps = caps;
	p.payload = payload;
	len = rm_npu_fw_write(NULL, 0, &p);
	if (!len) {
		free(payload);
		return usage_error("%s", "invalid image parameters (check --arch)");
	}
	img = calloc(1, len + 1);
	if (!img) {
		free(payload);
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_USAGE;
	}
	if (rm_npu_fw_write(img, len, &p) != len) {
		fprintf(stderr, PROG ": internal error writing the image\n");
		ret = EXIT_USAGE;
		goto out;
	}
	corrupt_image(img, &len, mode, arch);
	ret = write_file(output, img, len) ? EXIT_USAGE : 0;
out:
	free(img);
	free(payload);
	return ret;
}
