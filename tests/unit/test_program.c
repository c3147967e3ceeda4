// SPDX-License-Identifier: MIT
/*
 * test_program.c - the .npuprog writer and validating loader: a program
 * built with the builder round-trips byte for byte; a corpus of broken
 * files (every truncation, every single-bit flip with and without a fixed
 * checksum, and targeted bad counts, offsets, overflows, strings, shapes
 * and commands) is always an exact error, never a crash (ASan, UBSan);
 * builder errors; files on disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "example_mlp.h"
#include "program.h"

static const struct mlp_shape shape = { .m = 2, .k = 8, .hid = 16, .n = 4,
					.seed = 7 };

struct corpus {
	npurt_program *prog;
	uint8_t *data;
	size_t size;
	uint8_t *work;
};

static int corpus_setup(void **state)
{
	struct corpus *c = calloc(1, sizeof(*c));
	void *data;

	if (!c || mlp_build(&shape, &c->prog))
		return -1;
	if (npurt_program_serialize(c->prog, &data, &c->size))
		return -1;
	c->data = data;
	c->work = malloc(c->size);
	*state = c;
	return c->work ? 0 : -1;
}

static int corpus_teardown(void **state)
{
	struct corpus *c = *state;

	npurt_program_destroy(c->prog);
	free(c->data);
	free(c->work);
	free(c);
	return 0;
}

static uint32_t file_crc(uint8_t *buf, size_t size)
{
	const size_t at = offsetof(struct npuprog_header, checksum);
	uint32_t saved, crc;

	memcpy(&saved, buf + at, 4);
	memset(buf + at, 0, 4);
	crc = (uint32_t)crc32(0L, buf, (uInt)size);
	memcpy(buf + at, &saved, 4);
	return crc;
}

static void fix_crc(uint8_t *buf, size_t size)
{
	uint32_t crc = file_crc(buf, size);

	memcpy(buf + offsetof(struct npuprog_header, checksum), &crc, 4);
}

static struct npuprog_header *hdr(uint8_t *buf)
{
	return (struct npuprog_header *)buf;
}

static struct npuprog_slot *slot_at(uint8_t *buf, unsigned int i)
{
	return (struct npuprog_slot *)(buf + hdr(buf)->slots_off +
				       (size_t)i * NPUPROG_SLOT_SIZE);
}

static struct rm_npu_cmd *cmd_at(uint8_t *buf, unsigned int i)
{
	return (struct rm_npu_cmd *)(buf + hdr(buf)->cmds_off +
				     (size_t)i * sizeof(struct rm_npu_cmd));
}

/* ---- well-formed ------------------------------------------------------- */

static void test_roundtrip(void **state)
{
	struct corpus *c = *state;
	struct npurt_slot_info si;
	npurt_program *p = NULL;
	size_t size2;
	void *data2;

	assert_int_equal(file_crc(c->data, c->size),
			 hdr(c->data)->checksum);
	assert_memory_equal(hdr(c->data)->magic, "NPUPROG", 8);
	assert_int_equal(hdr(c->data)->file_size, c->size);
	assert_int_equal(npurt_program_load_memory(c->data, c->size, &p), 0);
	assert_string_equal(npurt_program_name(p), "mlp");
	assert_int_equal(npurt_program_slot_count(p), 9);
	assert_int_equal(npurt_program_cmd_count(p), 3);
	assert_int_equal(npurt_program_cmd(p, 0)->opcode, RM_NPU_OP_GEMM);
	assert_int_equal(npurt_program_cmd(p, 2)->opcode, RM_NPU_OP_LUT);
	assert_null(npurt_program_cmd(p, 3));
	assert_int_equal(npurt_program_slot(p, 0, &si), 0);
	assert_int_equal(si.kind, NPURT_SLOT_INPUT);
	assert_int_equal(si.size, 16);
	assert_string_equal(npurt_tensor_desc_name(si.desc), "x");
	assert_string_equal(npurt_tensor_desc_layout(si.desc), "NC");
	assert_true(npurt_tensor_desc_scale(si.desc) == 0.05f);
	assert_int_equal(npurt_program_slot(p, 2, &si), 0);
	assert_int_equal(si.kind, NPURT_SLOT_WEIGHTS);
	assert_int_equal(si.size, 128);
	assert_int_equal(npurt_program_slot(p, 7, &si), 0);
	assert_int_equal(si.kind, NPURT_SLOT_SCRATCH);
	assert_int_equal(si.size, 32);
	assert_int_equal(npurt_program_slot(p, 9, &si), -EINVAL);
	/* Weights survive: slot 6 is the 256-byte table. */
	assert_memory_equal(p->slots[6].data, c->prog->slots[6].data, 256);
	/* Serializing again gives the same bytes. */
	assert_int_equal(npurt_program_serialize(p, &data2, &size2), 0);
	assert_int_equal(size2, c->size);
	assert_memory_equal(data2, c->data, c->size);
	free(data2);
	npurt_program_destroy(p);
	npurt_program_destroy(NULL);
}

/* ---- the broken-file corpus ------------------------------------------- */

static int load_work(struct corpus *c, size_t size)
{
	npurt_program *p = (npurt_program *)1;
	int ret = npurt_program_load_memory(c->work, size, &p);

	if (ret) {
		assert_null(p);
		assert_true(npurt_last_error()[0] != '\0');
	} else {
		npurt_program_destroy(p);
	}
	return ret;
}

static void test_truncations(void **state)
{
	struct corpus *c = *state;
	size_t len;

	memcpy(c->work, c->data, c->size);
	for (len = 0; len < c->size; len++) {
		int ret = load_work(c, len);

		if (ret != -EBADMSG)
			fail_msg("truncated to %zu of %zu bytes: %d (%s)", len,
				 c->size, ret, npurt_last_error());
	}
	assert_int_equal(load_work(c, c->size), 0);
	assert_int_equal(npurt_program_load_memory(NULL, 0, (npurt_program *[]){
		NULL }), -EBADMSG);
}

/* Every single-bit flip: the checksum (or the version check) catches it. */
static void test_bit_flips(void **state)
{
	struct corpus *c = *state;
	size_t i;
	int bit;

	for (i = 0; i < c->size; i++) {
		for (bit = 0; bit < 8; bit++) {
			int ret;

			memcpy(c->work, c->data, c->size);
			c->work[i] ^= (uint8_t)(1u << bit);
			ret = load_work(c, c->size);
			if (ret != -EBADMSG && ret != -EPROTONOSUPPORT)
				fail_msg("flip byte %zu bit %d: %d (%s)", i,
					 bit, ret, npurt_last_error());
		}
	}
}

/*
 * Every single-bit flip with the checksum fixed up: the loader sees a
 * consistent file with one bad field. Accepted mutants must be programs
 * that serialize and load again; rejected ones fail with a documented
 * code.
 */
static void test_bit_flips_fixed_crc(void **state)
{
	struct corpus *c = *state;
	unsigned int accepted = 0, rejected = 0;
	size_t i;
	int bit;

	for (i = 0; i < c->size; i++) {
		for (bit = 0; bit < 8; bit++) {
			npurt_program *p = NULL, *q = NULL;
			size_t size2;
			void *data2;
			int ret;

			memcpy(c->work, c->data, c->size);
			c->work[i] ^= (uint8_t)(1u << bit);
			fix_crc(c->work, c->size);
			ret = npurt_program_load_memory(c->work, c->size, &p);
			if (ret) {
				if (ret != -EBADMSG && ret != -EPROTONOSUPPORT &&
				    ret != -EFBIG)
					fail_msg("flip byte %zu bit %d: %d (%s)",
						 i, bit, ret,
						 npurt_last_error());
				rejected++;
				continue;
			}
			accepted++;
			assert_int_equal(npurt_program_serialize(p, &data2,
								 &size2), 0);
			assert_int_equal(npurt_program_load_memory(data2, size2,
								   &q), 0);
			free(data2);
			npurt_program_destroy(q);
			npurt_program_destroy(p);
		}
	}
	/* Flips in weights, scales and the version minor are harmless;
	 * most header and slot flips are not. */
	assert_true(accepted > 0);
	assert_true(rejected > 0);
}

typedef void (*mutator)(uint8_t *buf);

struct mutation {
	const char *what;
	mutator fn;
	int err;
	const char *msg;	/* part of the detail message */
};

#define H(buf) hdr(buf)

static void m_magic(uint8_t *b) { b[0] = 'X'; }
static void m_major(uint8_t *b) { H(b)->version_major = 2; }
static void m_minor(uint8_t *b) { H(b)->version_minor = 9; }
static void m_file_size(uint8_t *b) { H(b)->file_size++; }
static void m_header_size0(uint8_t *b) { H(b)->header_size = 0; }
static void m_header_size_odd(uint8_t *b) { H(b)->header_size = 132; }
static void m_header_size_big(uint8_t *b) { H(b)->header_size = 0xfffffff8; }
static void m_flags(uint8_t *b) { H(b)->flags = 1; }
static void m_reserved(uint8_t *b) { H(b)->reserved[23] = 1; }
static void m_cmdset(uint8_t *b) { H(b)->cmdset_version = 2; }
static void m_cmd_size(uint8_t *b) { H(b)->cmd_size = 128; }
static void m_slots_many(uint8_t *b) { H(b)->num_slots = 4097; }
static void m_slots_max(uint8_t *b) { H(b)->num_slots = 0xffffffff; }
static void m_slots_plus(uint8_t *b) { H(b)->num_slots++; }
static void m_cmds_zero(uint8_t *b) { H(b)->num_cmds = 0; }
static void m_cmds_many(uint8_t *b) { H(b)->num_cmds = (1u << 20) + 1; }
static void m_cmds_plus(uint8_t *b) { H(b)->num_cmds++; }
static void m_strings_big(uint8_t *b) { H(b)->strings_size = 1ULL << 40; }
static void m_slots_off_wrap(uint8_t *b) { H(b)->slots_off = UINT64_MAX - 7; }
static void m_slots_off_low(uint8_t *b) { H(b)->slots_off = 64; }
static void m_cmds_off_odd(uint8_t *b) { H(b)->cmds_off += 4; }
static void m_cmds_off_overlap(uint8_t *b) { H(b)->cmds_off -= 128; }
static void m_strings_off_wrap(uint8_t *b)
{
	H(b)->strings_off = UINT64_MAX - 1;
}
static void m_weights_off_odd(uint8_t *b) { H(b)->weights_off += 8; }
static void m_weights_size_big(uint8_t *b) { H(b)->weights_size += 64; }
static void m_weights_size_wrap(uint8_t *b)
{
	H(b)->weights_size = UINT64_MAX - H(b)->weights_off + 1;
}
static void m_name_len0(uint8_t *b) { H(b)->name_len = 0; }
static void m_name_len_long(uint8_t *b) { H(b)->name_len = 2; }
static void m_name_off_far(uint8_t *b) { H(b)->name_off = 0xffffffff; }
static void m_name_wrap(uint8_t *b)
{
	H(b)->name_off = 0xffffffff;
	H(b)->name_len = 0xffffffff;
}
static void m_slot_kind(uint8_t *b) { slot_at(b, 0)->kind = 5; }
static void m_slot_kind0(uint8_t *b) { slot_at(b, 0)->kind = 0; }
static void m_slot_flags(uint8_t *b) { slot_at(b, 3)->flags = 1; }
static void m_slot_reserved(uint8_t *b) { slot_at(b, 3)->reserved = 1; }
static void m_slot_dtype(uint8_t *b) { slot_at(b, 0)->dtype = 99; }
static void m_slot_dtype0(uint8_t *b) { slot_at(b, 0)->dtype = 0; }
static void m_slot_ndim0(uint8_t *b) { slot_at(b, 0)->ndim = 0; }
static void m_slot_ndim9(uint8_t *b) { slot_at(b, 0)->ndim = 9; }
static void m_slot_dim0(uint8_t *b) { slot_at(b, 0)->dims[1] = 0; }
static void m_slot_dim_past(uint8_t *b) { slot_at(b, 0)->dims[2] = 1; }
static void m_slot_dims_huge(uint8_t *b)
{
	slot_at(b, 0)->dims[0] = 1ULL << 40;
	slot_at(b, 0)->dims[1] = 1ULL << 40;
}
static void m_slot_size(uint8_t *b) { slot_at(b, 0)->size++; }
static void m_slot_size_dims(uint8_t *b)
{
	/* Consistent shape and size, but commands now read outside... no:
	 * the input shrinks below what GEMM 0 reads. */
	slot_at(b, 0)->dims[0] = 1;
	slot_at(b, 0)->size = 8;
}
static void m_slot_name_nul(uint8_t *b)
{
	struct npuprog_slot *s = slot_at(b, 0);

	b[H(b)->strings_off + s->name_off + s->name_len] = 'x';
}
static void m_slot_name_inner_nul(uint8_t *b)
{
	struct npuprog_slot *s = slot_at(b, 2);	/* "w1" */

	b[H(b)->strings_off + s->name_off + 1] = '\0';
	s->name_len = 2;
}
static void m_slot_name_ctrl(uint8_t *b)
{
	struct npuprog_slot *s = slot_at(b, 2);

	b[H(b)->strings_off + s->name_off] = '\n';
}
static void m_slot_name_dup(uint8_t *b)
{
	slot_at(b, 1)->name_off = slot_at(b, 0)->name_off;
	slot_at(b, 1)->name_len = slot_at(b, 0)->name_len;
}
static void m_slot_name_len0(uint8_t *b)
{
	/* Points at the NUL ending another string: empty name. */
	struct npuprog_slot *s = slot_at(b, 0);

	s->name_off += s->name_len;
	s->name_len = 0;
}
static void m_slot_layout_len(uint8_t *b) { slot_at(b, 0)->layout_len = 1; }
static void m_slot_layout_far(uint8_t *b)
{
	slot_at(b, 0)->layout_off = 0xfffffff0;
}
static void m_slot_layout_lower(uint8_t *b)
{
	struct npuprog_slot *s = slot_at(b, 0);

	b[H(b)->strings_off + s->layout_off] = 'n';
}
static void m_slot_scale_nan(uint8_t *b)
{
	slot_at(b, 0)->scale_bits = 0x7fc00000;
}
static void m_slot_scale_neg(uint8_t *b)
{
	slot_at(b, 0)->scale_bits = 0xbf800000;	/* -1.0f */
}
static void m_weights_off_odd_slot(uint8_t *b) { slot_at(b, 2)->data_off += 1; }
static void m_weights_off_past(uint8_t *b)
{
	slot_at(b, 6)->data_off = H(b)->weights_size;
}
static void m_weights_off_wrap(uint8_t *b)
{
	slot_at(b, 6)->data_off = UINT64_MAX - 63;
}
static void m_data_off_input(uint8_t *b) { slot_at(b, 0)->data_off = 64; }
static void m_input_to_weights(uint8_t *b)
{
	/* Weights with a data offset are fine; writing them is not. */
	slot_at(b, 1)->kind = NPURT_SLOT_WEIGHTS;
}
static void m_cmd_opcode(uint8_t *b) { cmd_at(b, 0)->opcode = 99; }
static void m_cmd_flags(uint8_t *b) { cmd_at(b, 0)->flags |= 1u << 30; }
static void m_cmd_bo(uint8_t *b) { cmd_at(b, 0)->gemm.a.bo = 9; }
static void m_cmd_bo_huge(uint8_t *b) { cmd_at(b, 1)->gemm.b.bo = 0xffffffff; }
static void m_cmd_offset(uint8_t *b) { cmd_at(b, 2)->lut.in.offset = 1; }
static void m_cmd_offset_wrap(uint8_t *b)
{
	cmd_at(b, 2)->lut.out.offset = UINT64_MAX;
}
static void m_cmd_count(uint8_t *b) { cmd_at(b, 2)->lut.count = 9; }
static void m_cmd_count_huge(uint8_t *b)
{
	cmd_at(b, 2)->lut.count = UINT64_MAX;
}
static void m_cmd_gemm_m(uint8_t *b) { cmd_at(b, 0)->gemm.m = 0xffffffff; }
static void m_cmd_write_input(uint8_t *b) { cmd_at(b, 2)->lut.out.bo = 0; }
static void m_cmd_write_weights(uint8_t *b) { cmd_at(b, 0)->gemm.out.bo = 6; }

static const struct mutation mutations[] = {
	{ "magic", m_magic, -EBADMSG, "bad magic" },
	{ "major version", m_major, -EPROTONOSUPPORT, "format version 2.0" },
	{ "file size", m_file_size, -EBADMSG, "file size field" },
	{ "header size 0", m_header_size0, -EBADMSG, "bad header size 0" },
	{ "header size unaligned", m_header_size_odd, -EBADMSG,
	  "bad header size 132" },
	{ "header size huge", m_header_size_big, -EBADMSG, "bad header size" },
	{ "flags", m_flags, -EBADMSG, "unknown flags" },
	{ "reserved", m_reserved, -EBADMSG, "nonzero reserved header" },
	{ "command set", m_cmdset, -EBADMSG, "command set 2" },
	{ "command size", m_cmd_size, -EBADMSG, "(size 128)" },
	{ "slot count above limit", m_slots_many, -EFBIG, "4097 slots" },
	{ "slot count max", m_slots_max, -EFBIG, "above the limits" },
	{ "slot count + 1", m_slots_plus, -EBADMSG, "command section" },
	{ "no command", m_cmds_zero, -EBADMSG, "no command" },
	{ "command count above limit", m_cmds_many, -EFBIG, "above the limits" },
	{ "command count + 1", m_cmds_plus, -EBADMSG, "string section" },
	{ "string table huge", m_strings_big, -EFBIG, "above the limits" },
	{ "slot offset wraps", m_slots_off_wrap, -EBADMSG, "slot section" },
	{ "slots inside the header", m_slots_off_low, -EBADMSG, "slot section" },
	{ "command offset unaligned", m_cmds_off_odd, -EBADMSG,
	  "command section" },
	{ "commands overlap slots", m_cmds_off_overlap, -EBADMSG,
	  "command section" },
	{ "string offset wraps", m_strings_off_wrap, -EBADMSG,
	  "string section" },
	{ "weights offset unaligned", m_weights_off_odd, -EBADMSG,
	  "weights section" },
	{ "weights past the end", m_weights_size_big, -EBADMSG,
	  "weights section" },
	{ "weights size wraps", m_weights_size_wrap, -EBADMSG,
	  "weights section" },
	{ "program name empty", m_name_len0, -EBADMSG, "program name" },
	{ "program name unterminated", m_name_len_long, -EBADMSG,
	  "program name" },
	{ "program name outside", m_name_off_far, -EBADMSG, "program name" },
	{ "program name wraps", m_name_wrap, -EBADMSG, "program name" },
	{ "slot kind 5", m_slot_kind, -EBADMSG, "slot 0: unknown kind 5" },
	{ "slot kind 0", m_slot_kind0, -EBADMSG, "slot 0: unknown kind 0" },
	{ "slot flags", m_slot_flags, -EBADMSG, "slot 3: unknown flags" },
	{ "slot reserved", m_slot_reserved, -EBADMSG, "slot 3: unknown flags" },
	{ "slot dtype 99", m_slot_dtype, -EBADMSG, "slot 0" },
	{ "slot dtype 0", m_slot_dtype0, -EBADMSG, "bad dtype" },
	{ "slot rank 0", m_slot_ndim0, -EBADMSG, "slot 0: rank 0" },
	{ "slot rank 9", m_slot_ndim9, -EBADMSG, "slot 0: rank 9" },
	{ "slot dim 0", m_slot_dim0, -EBADMSG, "dimension 1 is 0" },
	{ "slot dim past rank", m_slot_dim_past, -EBADMSG,
	  "dimension 2 past the rank" },
	{ "slot dims overflow", m_slot_dims_huge, -EBADMSG, "too large" },
	{ "slot size mismatch", m_slot_size, -EBADMSG, "size 17" },
	{ "slot too small for a command", m_slot_size_dims, -EBADMSG,
	  "command 0 (GEMM): invalid" },
	{ "slot name unterminated", m_slot_name_nul, -EBADMSG,
	  "slot 0: name string" },
	{ "slot name with a NUL", m_slot_name_inner_nul, -EBADMSG,
	  "slot 2: name string" },
	{ "slot name control char", m_slot_name_ctrl, -EBADMSG,
	  "not printable" },
	{ "slot names duplicated", m_slot_name_dup, -EBADMSG,
	  "two slots named \"x\"" },
	{ "slot name empty", m_slot_name_len0, -EBADMSG, "slot 0: name" },
	{ "layout length", m_slot_layout_len, -EBADMSG, "slot 0: layout" },
	{ "layout outside", m_slot_layout_far, -EBADMSG, "slot 0: layout" },
	{ "layout lower case", m_slot_layout_lower, -EBADMSG, "A-Z" },
	{ "scale NaN", m_slot_scale_nan, -EBADMSG, "scale must be finite" },
	{ "scale negative", m_slot_scale_neg, -EBADMSG, "scale must be finite" },
	{ "weights offset unaligned (slot)", m_weights_off_odd_slot, -EBADMSG,
	  "slot 2 \"w1\": weights" },
	{ "weights offset past", m_weights_off_past, -EBADMSG,
	  "slot 6 \"sigmoid\": weights" },
	{ "weights offset wraps", m_weights_off_wrap, -EBADMSG,
	  "slot 6 \"sigmoid\": weights" },
	{ "data offset on an input", m_data_off_input, -EBADMSG,
	  "slot 0: data offset" },
	{ "output slot made weights", m_input_to_weights, -EBADMSG,
	  "writes slot 1 \"y\", which is not an output" },
	{ "unknown opcode", m_cmd_opcode, -EBADMSG,
	  "command 0: unknown opcode 99" },
	{ "unknown command flag", m_cmd_flags, -EBADMSG,
	  "command 0 (GEMM): invalid" },
	{ "slot number out of range", m_cmd_bo, -EBADMSG,
	  "command 0 (GEMM): invalid" },
	{ "slot number huge", m_cmd_bo_huge, -EBADMSG,
	  "command 1 (GEMM): invalid" },
	{ "extent past the slot", m_cmd_offset, -EBADMSG,
	  "command 2 (LUT): invalid" },
	{ "offset wraps", m_cmd_offset_wrap, -EBADMSG,
	  "command 2 (LUT): invalid" },
	{ "count past the slot", m_cmd_count, -EBADMSG,
	  "command 2 (LUT): invalid" },
	{ "count huge", m_cmd_count_huge, -EBADMSG, "command 2 (LUT): invalid" },
	{ "gemm rows huge", m_cmd_gemm_m, -EBADMSG,
	  "command 0 (GEMM): invalid" },
	{ "command writes an input", m_cmd_write_input, -EBADMSG,
	  "command 2 (LUT): writes slot 0 \"x\"" },
	{ "command writes weights", m_cmd_write_weights, -EBADMSG,
	  "command 0 (GEMM): writes slot 6 \"sigmoid\"" },
};

static void test_mutations(void **state)
{
	struct corpus *c = *state;
	size_t i;

	for (i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *m = &mutations[i];
		int ret;

		memcpy(c->work, c->data, c->size);
		m->fn(c->work);
		fix_crc(c->work, c->size);
		ret = load_work(c, c->size);
		if (ret != m->err)
			fail_msg("%s: got %d (%s), expected %d", m->what, ret,
				 npurt_last_error(), m->err);
		if (!strstr(npurt_last_error(), m->msg))
			fail_msg("%s: message \"%s\" lacks \"%s\"", m->what,
				 npurt_last_error(), m->msg);
	}
	/* A newer minor version of the same major is read. */
	memcpy(c->work, c->data, c->size);
	m_minor(c->work);
	fix_crc(c->work, c->size);
	assert_int_equal(load_work(c, c->size), 0);
}

/* ---- the builder ------------------------------------------------------- */

static void test_builder_errors(void **state)
{
	struct npurt_tensor_info t = mlp_tensor("a", NPURT_DTYPE_INT8, 4, 4,
						NULL);
	npurt_program_builder *b = NULL;
	npurt_program *p = NULL;
	struct rm_npu_cmd c;
	char longname[200];
	uint8_t w[16] = { 0 };

	(void)state;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(npurt_program_builder_create(NULL, &b), -EINVAL);
	assert_int_equal(npurt_program_builder_create("", &b), -EINVAL);
	assert_int_equal(npurt_program_builder_create(longname, &b), -EINVAL);
	assert_int_equal(npurt_program_builder_create("a\tb", &b), -EINVAL);
	assert_int_equal(npurt_program_builder_create("p", NULL), -EINVAL);
	assert_int_equal(npurt_program_builder_create("p", &b), 0);

	assert_int_equal(npurt_program_builder_add_input(b, &t), 0);
	assert_int_equal(npurt_program_builder_add_input(b, &t), -EINVAL);
	assert_non_null(strstr(npurt_last_error(), "\"a\" exists"));
	t.name = "w";
	assert_int_equal(npurt_program_builder_add_weights(b, &t, w, 15),
			 -EINVAL);
	assert_int_equal(npurt_program_builder_add_weights(b, &t, NULL, 16),
			 -EINVAL);
	assert_int_equal(npurt_program_builder_add_weights(b, &t, w, 16), 1);
	t.name = "o";
	t.layout = "NCH";
	assert_int_equal(npurt_program_builder_add_output(b, &t), -EINVAL);
	t.layout = "NC";
	t.reserved[1] = 1;
	assert_int_equal(npurt_program_builder_add_output(b, &t), -EINVAL);
	t.reserved[1] = 0;
	t.ndim = 0;
	assert_int_equal(npurt_program_builder_add_output(b, &t), -EINVAL);
	t.ndim = 2;
	t.dtype = 42;
	assert_int_equal(npurt_program_builder_add_output(b, &t), -EINVAL);
	t.dtype = NPURT_DTYPE_INT8;
	assert_int_equal(npurt_program_builder_add_output(b, &t), 2);
	assert_int_equal(npurt_program_builder_add_scratch(b, "s", 0), -EINVAL);
	assert_int_equal(npurt_program_builder_add_scratch(b, "s",
							   (1ULL << 48) + 1),
			 -EINVAL);
	assert_int_equal(npurt_program_builder_add_scratch(b, "s", 100), 3);

	/* No command yet. */
	assert_int_equal(npurt_program_builder_finish(b, &p), -EINVAL);
	assert_null(p);

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = 0;
	c.copy.dst.bo = 2;
	c.copy.dims[0] = 16;
	c.copy.dims[1] = c.copy.dims[2] = c.copy.dims[3] = 1;
	c.copy.elem_size = 1;
	c.copy.src_stride[0] = c.copy.dst_stride[0] = 1;
	assert_int_equal(npurt_program_builder_add_cmd(b, NULL), -EINVAL);
	c.copy.dst.bo = 1;	/* weights are read-only */
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), -EINVAL);
	assert_non_null(strstr(npurt_last_error(), "writes slot 1 \"w\""));
	c.copy.dst.bo = 4;	/* no such slot */
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), -EINVAL);
	c.copy.dst.bo = 2;
	c.copy.dims[0] = 17;	/* past both tensors */
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), -EINVAL);
	c.copy.dims[0] = 16;
	c.opcode = 77;
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), -EINVAL);
	c.opcode = RM_NPU_OP_COPY;
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 0);
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 1);
	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	assert_int_equal(npurt_program_cmd_count(p), 2);
	npurt_program_destroy(p);
	/* The builder stays usable. */
	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	npurt_program_destroy(p);
	npurt_program_builder_destroy(b);
	npurt_program_builder_destroy(NULL);
}

/* ---- files ------------------------------------------------------------- */

static void test_files(void **state)
{
	struct corpus *c = *state;
	char dir[] = "/tmp/npurt-prog-XXXXXX", path[128], tmp[160];
	npurt_program *p = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mlp.npuprog", dir);
	assert_int_equal(npurt_program_save(c->prog, path), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	assert_int_equal(access(tmp, F_OK), -1);	/* renamed away */
	assert_int_equal(npurt_program_load(path, &p), 0);
	assert_string_equal(npurt_program_name(p), "mlp");
	npurt_program_destroy(p);

	/* A truncated file names the path in the message. */
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(npurt_program_load(path, &p), -EBADMSG);
	assert_null(p);
	assert_non_null(strstr(npurt_last_error(), path));
	assert_non_null(strstr(npurt_last_error(), "truncated"));
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(npurt_program_load(path, &p), -EBADMSG);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(npurt_program_load(path, &p), -ENOENT);
	assert_int_equal(npurt_program_load(dir, &p), -EINVAL);
	assert_int_equal(npurt_program_load(NULL, &p), -EINVAL);
	snprintf(path, sizeof(path), "%s/no/such/dir.npuprog", dir);
	assert_int_equal(npurt_program_save(c->prog, path), -ENOENT);
	assert_int_equal(npurt_program_save(NULL, path), -EINVAL);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_bit_flips_fixed_crc),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, corpus_setup, corpus_teardown);
}
