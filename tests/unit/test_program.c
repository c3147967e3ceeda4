// SPDX-License-Identifier: MIT
/*
 * test_program.c - the .npuprog writer and validating loader: a program
 * built with the builder round-trips byte for byte; a corpus of broken
 * files (every truncation, every single-bit flip with and without a fixed
 * checksum, and targeted bad counts, offsets, overflows, strings, shapes
 * and commands) is always an exact error, never a crash (ASan, UBSan);
 * builder errors; files on disk. Format 1.1 CPU steps: a float program
 * (QUANTIZE, an NPU LUT, DEQUANTIZE, SOFTMAX; GEMM, CONV, broadcast ADD)
 * run on the CPU backend against references, 1.0 files still loading, and
 * the same corpus (truncations, bit flips, targeted step mutations); the
 * same for a program of the float-island steps (ERF .. QLINEAR_SOFTMAX)
 * saved to a file and loaded back.
 */
#include <math.h>
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
#include "cpu_ops.h"
#include "cpu_step_util.h"
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
static void m_reserved(uint8_t *b) { H(b)->version_minor = 1; H(b)->cpu_nodes = 1; }
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
	{ "major version", m_major, -EPROTONOSUPPORT, "format version 2." },
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

/* ---- CPU steps (format 1.1) ------------------------------------------ */

enum { CX, CY, CLUT, CS, CW, CZ, CB, CNSLOTS };

static struct npurt_cpu_ref cref(uint32_t slot, uint32_t dtype, uint64_t off,
				 uint64_t count)
{
	return (struct npurt_cpu_ref){ slot, dtype, off, count };
}

static const float cw[12] = { 0.5f, -1, 2, 0.25f, 1, 1, -0.5f, 3, 0, 1, 2, -2 };
static const float cbias[3] = { 0.5f, -0.25f, 1 };

/*
 * x FLOAT32 [2,4] -> QUANTIZE (0.1) -> LUT relu (NPU) -> DEQUANTIZE ->
 * SOFTMAX -> y FLOAT32 [2,4]; z = GEMM(x [2,4], w^T [4,3]... as B^T) + bias
 * -> ADD broadcast over rows with bias -> CONV 1x1 of x seen as [1,2,2,2].
 * Outputs: y [2,4], z [2,3], conv out into the tail of z's scratch.
 */
static npurt_program *cpu_program(void)
{
	struct npurt_tensor_info t = mlp_tensor("x", NPURT_DTYPE_FLOAT32, 2, 4,
						NULL);
	npurt_program_builder *b = NULL;
	npurt_program *p = NULL;
	struct npurt_cpu_op op;
	struct rm_npu_cmd c;
	uint8_t lut[256];
	unsigned int i;

	for (i = 0; i < 256; i++)
		lut[i] = i > 128 ? (uint8_t)(i - 128) : 0;	/* index = v + 128 */
	assert_int_equal(npurt_program_builder_create("cpu", &b), 0);
	assert_int_equal(npurt_program_builder_add_input(b, &t), CX);
	t.name = "y";
	assert_int_equal(npurt_program_builder_add_output(b, &t), CY);
	t = mlp_tensor("lut", NPURT_DTYPE_UINT8, 1, 256, NULL);
	assert_int_equal(npurt_program_builder_add_weights(b, &t, lut, 256),
			 CLUT);
	assert_int_equal(npurt_program_builder_add_scratch(b, "s", 256), CS);
	t = mlp_tensor("w", NPURT_DTYPE_FLOAT32, 3, 4, NULL);
	assert_int_equal(npurt_program_builder_add_weights(b, &t, cw,
							   sizeof(cw)), CW);
	t = mlp_tensor("z", NPURT_DTYPE_FLOAT32, 2, 3, NULL);
	assert_int_equal(npurt_program_builder_add_output(b, &t), CZ);
	t = mlp_tensor("bias", NPURT_DTYPE_FLOAT32, 1, 3, NULL);
	assert_int_equal(npurt_program_builder_add_weights(b, &t, cbias,
							   sizeof(cbias)), CB);

	op = cpu_step_new(NPURT_CPU_QUANTIZE);
	op.in[0] = cref(CX, NPURT_DTYPE_FLOAT32, 0, 8);
	op.out = cref(CS, NPURT_DTYPE_INT8, 0, 8);
	op.f[0] = 0.1f;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 0);
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_LUT;
	c.lut.in.bo = CS;
	c.lut.table.bo = CLUT;
	c.lut.out.bo = CS;
	c.lut.out.offset = 8;
	c.lut.count = 8;
	c.lut.dtype = RM_NPU_DT_INT8;
	assert_int_equal(npurt_program_builder_add_cmd(b, &c), 0);
	op = cpu_step_new(NPURT_CPU_DEQUANTIZE);
	op.in[0] = cref(CS, NPURT_DTYPE_INT8, 8, 8);
	op.out = cref(CS, NPURT_DTYPE_FLOAT32, 16, 8);
	op.f[0] = 0.1f;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 1);
	op = cpu_step_new(NPURT_CPU_SOFTMAX);
	op.in[0] = cref(CS, NPURT_DTYPE_FLOAT32, 16, 8);
	op.out = cref(CY, NPURT_DTYPE_FLOAT32, 0, 8);
	op.p[0] = 2;
	op.p[1] = 4;
	op.p[2] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 2);
	/* z' = x w^T (scratch 64..), z = z' + bias (row broadcast) */
	op = cpu_step_new(NPURT_CPU_GEMM);
	op.in[0] = cref(CX, NPURT_DTYPE_FLOAT32, 0, 8);
	op.in[1] = cref(CW, NPURT_DTYPE_FLOAT32, 0, 12);
	op.out = cref(CS, NPURT_DTYPE_FLOAT32, 64, 6);
	op.p[0] = 2; op.p[1] = 3; op.p[2] = 4; op.p[4] = 1; op.p[5] = 1;
	op.f[0] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 3);
	op = cpu_step_new(NPURT_CPU_ADD);
	op.in[0] = cref(CS, NPURT_DTYPE_FLOAT32, 64, 6);
	op.in[1] = cref(CB, NPURT_DTYPE_FLOAT32, 0, 3);
	op.out = cref(CZ, NPURT_DTYPE_FLOAT32, 0, 6);
	op.p[0] = 2; op.p[1] = 2; op.p[2] = 3;
	op.p[7] = 3; op.p[8] = 1;	/* a: row-major [2][3] */
	op.p[13] = 0; op.p[14] = 1;	/* bias: broadcast over rows */
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 4);
	/* CONV: x as [1][2][2][2], w[0..4) as [2][2][1][1] -> s[128..] */
	op = cpu_step_new(NPURT_CPU_CONV);
	op.in[0] = cref(CX, NPURT_DTYPE_FLOAT32, 0, 8);
	op.in[1] = cref(CW, NPURT_DTYPE_FLOAT32, 0, 4);
	op.in[2] = cref(CB, NPURT_DTYPE_FLOAT32, 0, 2);
	op.out = cref(CS, NPURT_DTYPE_FLOAT32, 128, 8);
	op.p[0] = 1; op.p[1] = 2; op.p[2] = 2; op.p[3] = 2; op.p[4] = 2;
	op.p[5] = 1; op.p[6] = 1; op.p[7] = 1; op.p[8] = 1;
	op.p[13] = 1; op.p[14] = 1; op.p[15] = 1; op.p[16] = 2; op.p[17] = 2;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 5);
	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	npurt_program_builder_destroy(b);
	return p;
}

static void test_cpu_steps_run(void **state)
{
	static const float x[8] = { -0.31f, 0.04f, 0.26f, 1.0f,
				    12.9f, -13.0f, 0.55f, 0.149f };
	float y[8], z[6], want[8];
	npurt_tensor *in = NULL, *out[2] = { NULL, NULL };
	npurt_runtime *rt = NULL;
	npurt_runner *r = NULL;
	npurt_model *m = NULL;
	npurt_program *p = cpu_program();
	unsigned int i, j, after = 99;
	void *d1, *d2;
	size_t n1, n2;

	(void)state;
	/* round trip, accessors, version 1.1 */
	assert_int_equal(npurt_program_cpu_op_count(p), 6);
	assert_int_equal(npurt_program_cpu_op(p, 0, &after)->opcode,
			 NPURT_CPU_QUANTIZE);
	assert_int_equal(after, 0);
	assert_non_null(npurt_program_cpu_op(p, 2, &after));
	assert_int_equal(after, 1);
	assert_null(npurt_program_cpu_op(p, 6, NULL));
	assert_string_equal(npurt_cpu_op_name(NPURT_CPU_SOFTMAX), "SOFTMAX");
	assert_string_equal(npurt_cpu_op_name(99), "UNKNOWN");
	assert_int_equal(npurt_program_serialize(p, &d1, &n1), 0);
	assert_int_equal(hdr(d1)->version_minor, 2);
	assert_int_equal(hdr(d1)->num_cpuops, 6);
	npurt_program_destroy(p);
	assert_int_equal(npurt_program_load_memory(d1, n1, &p), 0);
	assert_int_equal(npurt_program_serialize(p, &d2, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(d1, d2, n1);
	free(d1);
	free(d2);

	assert_int_equal(npurt_model_from_program(p, &m), 0);
	npurt_program_destroy(p);
	assert_non_null(strstr(npurt_model_summary(m), "6 CPU step(s)"));
	assert_int_equal(npurt_runtime_create("cpu(1)", &rt), 0);
	assert_int_equal(npurt_runner_create(rt, m, NULL, &r), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_input(r, 0), (void *)x,
					   sizeof(x), &in), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r, 0), y,
					   sizeof(y), &out[0]), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(r, 1), z,
					   sizeof(z), &out[1]), 0);
	assert_int_equal(npurt_runner_run(r, &in, out), 0);
	for (i = 0; i < 2; i++) {
		double sum = 0;

		for (j = 0; j < 4; j++) {
			float q = nearbyintf(x[4 * i + j] / 0.1f);

			q = q > 127 ? 127 : q < -128 ? -128 : q;
			want[4 * i + j] = (q > 0 ? q : 0) * 0.1f;
		}
		for (j = 0; j < 4; j++)
			sum += exp(want[4 * i + j]);
		for (j = 0; j < 4; j++)
			assert_float_equal(y[4 * i + j],
					   exp(want[4 * i + j]) / sum, 1e-6);
		for (j = 0; j < 3; j++) {
			double acc = cbias[j];
			unsigned int k;

			for (k = 0; k < 4; k++)
				acc += (double)x[4 * i + k] * cw[4 * j + k];
			assert_float_equal(z[3 * i + j], acc, 1e-5);
		}
	}
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out[0]);
	npurt_tensor_destroy(out[1]);
	npurt_runner_destroy(r);
	npurt_runtime_destroy(rt);
	npurt_model_destroy(m);
}

static struct npuprog_cpuop *cpuop_at(uint8_t *buf, unsigned int i)
{
	return (struct npuprog_cpuop *)(buf + hdr(buf)->cpuops_off +
					(size_t)i * NPUPROG_CPUOP_SIZE);
}

#define OP(b, i) (&cpuop_at(b, i)->op)
static void c_opcode(uint8_t *b) { OP(b, 0)->opcode = 99; }
static void c_opcode0(uint8_t *b) { OP(b, 0)->opcode = 0; }
static void c_flags(uint8_t *b) { OP(b, 1)->flags = 1; }
static void c_reserved(uint8_t *b) { cpuop_at(b, 1)->reserved = 1; }
static void c_after_past(uint8_t *b) { cpuop_at(b, 5)->after_cmd = 2; }
static void c_order(uint8_t *b) { cpuop_at(b, 3)->after_cmd = 0; }
static void c_slot(uint8_t *b) { OP(b, 0)->in[0].slot = 7; }
static void c_slot_huge(uint8_t *b) { OP(b, 0)->out.slot = 0xfffffffe; }
static void c_dtype(uint8_t *b) { OP(b, 0)->in[0].dtype = NPURT_DTYPE_INT8; }
static void c_dtype_bad(uint8_t *b) { OP(b, 0)->in[0].dtype = 99; }
static void c_count(uint8_t *b) { OP(b, 0)->out.count = 9; }
static void c_offset(uint8_t *b) { OP(b, 2)->out.offset = 4; }
static void c_offset_wrap(uint8_t *b) { OP(b, 3)->in[0].offset = UINT64_MAX - 3; }
static void c_misaligned(uint8_t *b) { OP(b, 1)->out.offset = 17; }
static void c_count_huge(uint8_t *b)
{
	OP(b, 0)->in[0].count = 1ULL << 62;
	OP(b, 0)->out.count = 1ULL << 62;
}
static void c_write_input(uint8_t *b) { OP(b, 0)->out.slot = CX; }
static void c_write_weights(uint8_t *b) { OP(b, 4)->out.slot = CW; OP(b, 4)->out.count = 6; }
static void c_scale_nan(uint8_t *b) { OP(b, 0)->f[0] = NAN; }
static void c_scale_zero(uint8_t *b) { OP(b, 1)->f[0] = 0; }
static void c_zp_range(uint8_t *b) { OP(b, 0)->p[1] = 128; }
static void c_missing(uint8_t *b) { OP(b, 2)->in[0].slot = NPURT_CPU_NONE; }
static void c_extra(uint8_t *b) { OP(b, 2)->in[2] = cref(CS, NPURT_DTYPE_FLOAT32, 0, 1); }
static void c_softmax_shape(uint8_t *b) { OP(b, 2)->p[1] = 5; }
static void c_softmax_neg(uint8_t *b) { OP(b, 2)->p[0] = -2; }
static void c_gemm_k(uint8_t *b) { OP(b, 3)->p[2] = 5; }
static void c_gemm_trans(uint8_t *b) { OP(b, 3)->p[3] = 2; }
static void c_gemm_huge(uint8_t *b) { OP(b, 3)->p[0] = 1LL << 31; OP(b, 3)->p[1] = 1LL << 31; }
static void c_gemm_alpha(uint8_t *b) { OP(b, 3)->f[0] = INFINITY; }
static void c_rank(uint8_t *b) { OP(b, 4)->p[0] = 7; }
static void c_stride(uint8_t *b) { OP(b, 4)->p[14] = 2; }
static void c_stride_neg(uint8_t *b) { OP(b, 4)->p[13] = -1; }
static void c_conv_out(uint8_t *b) { OP(b, 5)->p[16] = 3; }
static void c_conv_group(uint8_t *b) { OP(b, 5)->p[15] = 3; }
static void c_conv_stride0(uint8_t *b) { OP(b, 5)->p[7] = 0; }
static void c_conv_pad_huge(uint8_t *b) { OP(b, 5)->p[9] = 1LL << 40; }
static void c_depth_2d(uint8_t *b) { OP(b, 5)->p[21] = 1; }
static void c_depth_out(uint8_t *b)
{
	OP(b, 5)->p[19] = 1; OP(b, 5)->p[20] = 1; OP(b, 5)->p[21] = 1;
	OP(b, 5)->p[24] = 1; OP(b, 5)->p[25] = 2;
}
static void c_size(uint8_t *b) { H(b)->cpuop_size = 256; }
static void c_num_plus(uint8_t *b) { H(b)->num_cpuops++; }
static void c_num_many(uint8_t *b) { H(b)->num_cpuops = (1u << 20) + 1; }
static void c_off_overlap(uint8_t *b) { H(b)->cpuops_off -= 8; }
static void c_off_wrap(uint8_t *b) { H(b)->cpuops_off = UINT64_MAX - 7; }
static void c_minor0(uint8_t *b) { H(b)->version_minor = 0; }
static void c_none_off(uint8_t *b) { H(b)->num_cpuops = 0; }

static const struct mutation cpu_mutations[] = {
	{ "unknown opcode", c_opcode, -EBADMSG, "CPU step 0: unknown opcode 99" },
	{ "opcode 0", c_opcode0, -EBADMSG, "unknown opcode 0" },
	{ "flags", c_flags, -EBADMSG, "unknown flags" },
	{ "reserved", c_reserved, -EBADMSG, "nonzero reserved field" },
	{ "position past the commands", c_after_past, -EBADMSG, "past the 1 commands" },
	{ "positions out of order", c_order, -EBADMSG, "out of order" },
	{ "slot out of range", c_slot, -EBADMSG, "in[0]: slot 7 of 7" },
	{ "slot huge", c_slot_huge, -EBADMSG, "out: slot 4294967294" },
	{ "dtype", c_dtype, -EBADMSG, "dtype INT8 not allowed" },
	{ "dtype invalid", c_dtype_bad, -EBADMSG, "not allowed" },
	{ "count", c_count, -EBADMSG, "out: 9 elements, 8 expected" },
	{ "offset past the slot", c_offset, -EBADMSG, "outside slot 1" },
	{ "offset wraps", c_offset_wrap, -EBADMSG, "outside slot 0" },
	{ "misaligned", c_misaligned, -EBADMSG, "misaligned" },
	{ "count huge", c_count_huge, -EBADMSG, "outside slot" },
	{ "writes an input", c_write_input, -EBADMSG, "writes slot 0 \"x\"" },
	{ "writes weights", c_write_weights, -EBADMSG, "writes slot 4 \"w\"" },
	{ "scale NaN", c_scale_nan, -EBADMSG, "not finite and positive" },
	{ "scale 0", c_scale_zero, -EBADMSG, "not finite and positive" },
	{ "zero point range", c_zp_range, -EBADMSG, "zero point 128" },
	{ "operand missing", c_missing, -EBADMSG, "in[0] missing" },
	{ "extra operand", c_extra, -EBADMSG, "must be absent" },
	{ "softmax shape", c_softmax_shape, -EBADMSG, "CPU step 2 (SOFTMAX)" },
	{ "softmax negative", c_softmax_neg, -EBADMSG, "p[0] = -2" },
	{ "gemm K", c_gemm_k, -EBADMSG, "CPU step 3 (GEMM)" },
	{ "gemm transpose", c_gemm_trans, -EBADMSG, "transpose flags" },
	{ "gemm huge", c_gemm_huge, -EBADMSG, "CPU step 3 (GEMM)" },
	{ "gemm alpha", c_gemm_alpha, -EBADMSG, "not finite" },
	{ "rank", c_rank, -EBADMSG, "rank 7" },
	{ "stride past", c_stride, -EBADMSG, "in[1]" },
	{ "stride negative", c_stride_neg, -EBADMSG, "stride p[13]" },
	{ "conv output", c_conv_out, -EBADMSG, "does not follow" },
	{ "conv group", c_conv_group, -EBADMSG, "divisible by group" },
	{ "conv stride 0", c_conv_stride0, -EBADMSG, "p[7] = 0" },
	{ "conv pad huge", c_conv_pad_huge, -EBADMSG, "p[9]" },
	{ "depth field of a 2-D conv", c_depth_2d, -EBADMSG, "p[21] of a 2-D" },
	{ "conv output depth", c_depth_out, -EBADMSG, "output depth 2" },
	{ "step size", c_size, -EBADMSG, "CPU step size 256" },
	{ "step count + 1", c_num_plus, -EBADMSG, "string section" },
	{ "step count above limit", c_num_many, -EFBIG, "CPU steps, above" },
	{ "step section overlaps", c_off_overlap, -EBADMSG, "CPU step section" },
	{ "step section wraps", c_off_wrap, -EBADMSG, "CPU step section" },
	{ "steps in a 1.0 file", c_minor0, -EBADMSG, "format 1.0 file" },
	{ "offset without steps", c_none_off, -EBADMSG, "CPU step size" },
};

/* Every truncation and bit flip of @p's file, and @muts, are exact
 * errors. Destroys @p. */
static void cpu_corpus(npurt_program *p, const struct mutation *muts,
		       size_t nmuts)
{
	npurt_program *q;
	struct corpus c = { 0 };
	void *data;
	size_t i, len;
	int bit, ret;

	assert_int_equal(npurt_program_serialize(p, &data, &c.size), 0);
	npurt_program_destroy(p);
	c.data = data;
	c.work = malloc(c.size);
	assert_non_null(c.work);
	memcpy(c.work, c.data, c.size);
	for (len = 0; len < c.size; len++)
		if ((ret = load_work(&c, len)) != -EBADMSG)
			fail_msg("truncated to %zu: %d", len, ret);
	for (i = 0; i < c.size; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(c.work, c.data, c.size);
			c.work[i] ^= (uint8_t)(1u << bit);
			fix_crc(c.work, c.size);
			q = NULL;
			ret = npurt_program_load_memory(c.work, c.size, &q);
			if (ret && ret != -EBADMSG && ret != -EPROTONOSUPPORT &&
			    ret != -EFBIG)
				fail_msg("flip byte %zu bit %d: %d (%s)", i, bit,
					 ret, npurt_last_error());
			npurt_program_destroy(q);
		}
	for (i = 0; i < nmuts; i++) {
		const struct mutation *m = &muts[i];

		memcpy(c.work, c.data, c.size);
		m->fn(c.work);
		fix_crc(c.work, c.size);
		ret = load_work(&c, c.size);
		if (ret != m->err)
			fail_msg("%s: got %d (%s), expected %d", m->what, ret,
				 npurt_last_error(), m->err);
		if (!strstr(npurt_last_error(), m->msg))
			fail_msg("%s: message \"%s\" lacks \"%s\"", m->what,
				 npurt_last_error(), m->msg);
	}
	free(c.data);
	free(c.work);
}

static void test_cpu_steps_corpus(void **state)
{
	(void)state;
	cpu_corpus(cpu_program(), cpu_mutations,
		   sizeof(cpu_mutations) / sizeof(cpu_mutations[0]));
}

/* ---- the float-island steps (ERF .. QLINEAR_SOFTMAX) ------------------ */

enum { FX, FR, FM, FQ, FW, FB, FE, FS, FNSLOTS };

static const float f_scale[4] = { 1, 0.5f, -2, 0.25f };
static const float f_bias[4] = { 0, 0.1f, -0.3f, 1 };
static const float f_exp[4] = { 1, 2, 3, 2 };

/*
 * x FLOAT32 [8][4] -> ERF -> GELU (tanh) -> LAYER_NORM (rows of 4) ->
 * POW (row of exponents) -> RESIZE ([1][2][4][4] linear x2) -> r [16][8]
 * and REDUCE (L2 of two halves) -> m [1][2]; x -> QUANTIZE int8 ->
 * QLINEAR_SOFTMAX (rows of 4) -> q UINT8 [8][4]. CPU steps only.
 */
static npurt_program *float_island_program(void)
{
	struct npurt_tensor_info t = mlp_tensor("x", NPURT_DTYPE_FLOAT32, 8, 4,
						NULL);
	npurt_program_builder *b = NULL;
	npurt_program *p = NULL;
	struct npurt_cpu_op op;

	assert_int_equal(npurt_program_builder_create("islands", &b), 0);
	assert_int_equal(npurt_program_builder_add_input(b, &t), FX);
	t = mlp_tensor("r", NPURT_DTYPE_FLOAT32, 16, 8, NULL);
	assert_int_equal(npurt_program_builder_add_output(b, &t), FR);
	t = mlp_tensor("m", NPURT_DTYPE_FLOAT32, 1, 2, NULL);
	assert_int_equal(npurt_program_builder_add_output(b, &t), FM);
	t = mlp_tensor("q", NPURT_DTYPE_UINT8, 8, 4, NULL);
	assert_int_equal(npurt_program_builder_add_output(b, &t), FQ);
	t = mlp_tensor("ln_scale", NPURT_DTYPE_FLOAT32, 1, 4, NULL);
	assert_int_equal(npurt_program_builder_add_weights(b, &t, f_scale,
							   sizeof(f_scale)), FW);
	t.name = "ln_bias";
	assert_int_equal(npurt_program_builder_add_weights(b, &t, f_bias,
							   sizeof(f_bias)), FB);
	t.name = "exponents";
	assert_int_equal(npurt_program_builder_add_weights(b, &t, f_exp,
							   sizeof(f_exp)), FE);
	assert_int_equal(npurt_program_builder_add_scratch(b, "s", 1024), FS);

	op = cpu_step_new(NPURT_CPU_ERF);
	op.in[0] = cref(FX, NPURT_DTYPE_FLOAT32, 0, 32);
	op.out = cref(FS, NPURT_DTYPE_FLOAT32, 0, 32);
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 0);
	op = cpu_step_new(NPURT_CPU_GELU);
	op.in[0] = cref(FS, NPURT_DTYPE_FLOAT32, 0, 32);
	op.out = cref(FS, NPURT_DTYPE_FLOAT32, 128, 32);
	op.p[0] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 1);
	op = cpu_step_new(NPURT_CPU_LAYER_NORM);
	op.in[0] = cref(FS, NPURT_DTYPE_FLOAT32, 128, 32);
	op.in[1] = cref(FW, NPURT_DTYPE_FLOAT32, 0, 4);
	op.in[2] = cref(FB, NPURT_DTYPE_FLOAT32, 0, 4);
	op.out = cref(FS, NPURT_DTYPE_FLOAT32, 256, 32);
	op.p[0] = 8;
	op.p[1] = 4;
	op.f[0] = 1e-5f;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 2);
	op = cpu_step_new(NPURT_CPU_POW);
	op.in[0] = cref(FS, NPURT_DTYPE_FLOAT32, 256, 32);
	op.in[1] = cref(FE, NPURT_DTYPE_FLOAT32, 0, 4);
	op.out = cref(FS, NPURT_DTYPE_FLOAT32, 384, 32);
	op.p[0] = 2; op.p[1] = 8; op.p[2] = 4;
	op.p[7] = 4; op.p[8] = 1;
	op.p[13] = 0; op.p[14] = 1;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 3);
	op = cpu_step_new(NPURT_CPU_RESIZE);
	op.in[0] = cref(FS, NPURT_DTYPE_FLOAT32, 384, 32);
	op.out = cref(FR, NPURT_DTYPE_FLOAT32, 0, 128);
	op.p[0] = 1; op.p[1] = 2; op.p[2] = 4; op.p[3] = 4;
	op.p[4] = 8; op.p[5] = 8; op.p[6] = 1;
	op.f[0] = 2;
	op.f[1] = 2;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 4);
	op = cpu_step_new(NPURT_CPU_REDUCE);
	op.in[0] = cref(FS, NPURT_DTYPE_FLOAT32, 384, 32);
	op.out = cref(FM, NPURT_DTYPE_FLOAT32, 0, 2);
	op.p[0] = 2; op.p[1] = 16; op.p[2] = 1; op.p[3] = 6;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 5);
	op = cpu_step_new(NPURT_CPU_QUANTIZE);
	op.in[0] = cref(FX, NPURT_DTYPE_FLOAT32, 0, 32);
	op.out = cref(FS, NPURT_DTYPE_INT8, 512, 32);
	op.f[0] = 0.05f;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 6);
	op = cpu_step_new(NPURT_CPU_QLINEAR_SOFTMAX);
	op.in[0] = cref(FS, NPURT_DTYPE_INT8, 512, 32);
	op.out = cref(FQ, NPURT_DTYPE_UINT8, 0, 32);
	op.p[0] = 8; op.p[1] = 4; op.p[2] = 1;
	op.f[0] = 0.05f;
	op.f[1] = 1.0f / 256;
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 7);
	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	npurt_program_builder_destroy(b);
	return p;
}

/*
 * Built, saved to a file, loaded back byte for byte; run by the CPU
 * backend through a runner, the outputs equal the steps run one by one
 * over plain buffers (the kernels themselves are test_cpu_ops's).
 */
static void test_float_islands(void **state)
{
	static float x[32], r[128], m[2], r2[128], m2[2];
	static uint8_t q[32], q2[32], scratch[1024];
	uint8_t *bases[FNSLOTS] = {
		[FX] = (uint8_t *)x, [FR] = (uint8_t *)r2, [FM] = (uint8_t *)m2,
		[FQ] = q2, [FW] = (uint8_t *)f_scale, [FB] = (uint8_t *)f_bias,
		[FE] = (uint8_t *)f_exp, [FS] = scratch,
	};
	char dir[] = "/tmp/npurt-islands-XXXXXX", path[128];
	npurt_tensor *in = NULL, *out[3] = { NULL, NULL, NULL };
	npurt_program *p = float_island_program(), *p2 = NULL;
	npurt_runtime *rt = NULL;
	npurt_runner *run = NULL;
	npurt_model *model = NULL;
	void *d1, *d2;
	size_t n1, n2;
	unsigned int i;

	(void)state;
	for (i = 0; i < 32; i++)
		x[i] = (float)((int)(i * 37 % 29) - 14) * 0.21f;
	assert_int_equal(npurt_program_cpu_op_count(p), 8);
	assert_int_equal(npurt_program_cmd_count(p), 0);
	assert_int_equal(npurt_program_cpu_op(p, 7, NULL)->opcode,
			 NPURT_CPU_QLINEAR_SOFTMAX);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/islands.npuprog", dir);
	assert_int_equal(npurt_program_save(p, path), 0);
	assert_int_equal(npurt_program_load(path, &p2), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(npurt_program_serialize(p, &d1, &n1), 0);
	assert_int_equal(npurt_program_serialize(p2, &d2, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(d1, d2, n1);
	free(d1);
	free(d2);
	for (i = 0; i < 8; i++)
		npurt_cpu_op_run(npurt_program_cpu_op(p2, i, NULL), bases);

	assert_int_equal(npurt_model_from_program(p2, &model), 0);
	npurt_program_destroy(p2);
	assert_non_null(strstr(npurt_model_summary(model), "8 CPU step(s)"));
	assert_non_null(strstr(npurt_model_summary(model), "RESIZE"));
	assert_int_equal(npurt_runtime_create("cpu(2)", &rt), 0);
	assert_int_equal(npurt_runner_create(rt, model, NULL, &run), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_input(run, 0), x,
					   sizeof(x), &in), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(run, 0), r,
					   sizeof(r), &out[0]), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(run, 1), m,
					   sizeof(m), &out[1]), 0);
	assert_int_equal(npurt_tensor_wrap(npurt_runner_output(run, 2), q,
					   sizeof(q), &out[2]), 0);
	assert_int_equal(npurt_runner_run(run, &in, out), 0);
	assert_memory_equal(r, r2, sizeof(r));
	assert_memory_equal(m, m2, sizeof(m));
	assert_memory_equal(q, q2, sizeof(q));
	/* not trivially equal: the outputs carry values */
	assert_true(m[0] > 0 && m[1] > 0 && q[0] + q[1] + q[2] + q[3] > 200);
	for (i = 0; i < 3; i++)
		npurt_tensor_destroy(out[i]);
	npurt_tensor_destroy(in);
	npurt_runner_destroy(run);
	npurt_runtime_destroy(rt);
	npurt_model_destroy(model);
	npurt_program_destroy(p);
}

static void f_erf_p31(uint8_t *b) { OP(b, 0)->p[31] = 1; }
static void f_gelu(uint8_t *b) { OP(b, 1)->p[0] = 2; }
static void f_ln_eps(uint8_t *b) { OP(b, 2)->f[0] = 0; }
static void f_ln_scale(uint8_t *b) { OP(b, 2)->in[1].count = 5; }
static void f_red_write_weights(uint8_t *b) { OP(b, 5)->out = cref(FB, NPURT_DTYPE_FLOAT32, 0, 2); }
static void f_pow_rank(uint8_t *b) { OP(b, 3)->p[5] = 1; }
static void f_pow_exp(uint8_t *b) { OP(b, 3)->p[14] = 2; }
static void f_rs_mode(uint8_t *b) { OP(b, 4)->p[6] = 3; }
static void f_rs_scale(uint8_t *b) { OP(b, 4)->f[0] = 3; }
static void f_rs_a(uint8_t *b) { OP(b, 4)->f[2] = -0.75f; }
static void f_red_mode(uint8_t *b) { OP(b, 5)->p[3] = 10; }
static void f_red_out(uint8_t *b) { OP(b, 5)->out.count = 1; }
static void f_qs_zp(uint8_t *b) { OP(b, 7)->p[3] = 128; }
static void f_qs_scale(uint8_t *b) { OP(b, 7)->f[1] = NAN; }
static void f_qs_write(uint8_t *b) { OP(b, 7)->out.slot = FX; OP(b, 7)->out.dtype = NPURT_DTYPE_INT8; }

static const struct mutation island_mutations[] = {
	{ "ERF p[31]", f_erf_p31, -EBADMSG, "CPU step 0 (ERF): unused parameter p[31]" },
	{ "GELU variant", f_gelu, -EBADMSG, "CPU step 1 (GELU): variant p[0] = 2" },
	{ "LAYER_NORM epsilon", f_ln_eps, -EBADMSG, "CPU step 2 (LAYER_NORM): epsilon f[0] = 0" },
	{ "LAYER_NORM scale", f_ln_scale, -EBADMSG, "in[1] (scale): 5 elements, 4 expected" },
	{ "REDUCE writes weights", f_red_write_weights, -EBADMSG, "writes slot 5 \"ln_bias\"" },
	{ "POW past the rank", f_pow_rank, -EBADMSG, "CPU step 3 (POW): dims and strides of axis 4" },
	{ "POW exponent stride", f_pow_exp, -EBADMSG, "in[1]: 4 elements, at least 7" },
	{ "RESIZE mode", f_rs_mode, -EBADMSG, "CPU step 4 (RESIZE): mode p[6] = 3" },
	{ "RESIZE scale", f_rs_scale, -EBADMSG, "does not resize 4 to 8" },
	{ "RESIZE cubic coefficient", f_rs_a, -EBADMSG, "cubic coefficient f[2]" },
	{ "REDUCE mode", f_red_mode, -EBADMSG, "CPU step 5 (REDUCE): mode p[3] = 10" },
	{ "REDUCE out", f_red_out, -EBADMSG, "out: 1 elements, 2 expected" },
	{ "QLINEAR_SOFTMAX zero point", f_qs_zp, -EBADMSG, "CPU step 7 (QLINEAR_SOFTMAX): input zero point 128" },
	{ "QLINEAR_SOFTMAX scale", f_qs_scale, -EBADMSG, "scale f[1] = nan" },
	{ "QLINEAR_SOFTMAX writes an input", f_qs_write, -EBADMSG, "writes slot 0 \"x\"" },
};

static void test_float_islands_corpus(void **state)
{
	(void)state;
	cpu_corpus(float_island_program(), island_mutations,
		   sizeof(island_mutations) / sizeof(island_mutations[0]));
}

/* Format 1.0 files (no CPU step fields) still load. */
static void test_format_1_0(void **state)
{
	struct corpus *c = *state;
	npurt_program *p = NULL;

	memcpy(c->work, c->data, c->size);
	assert_int_equal(hdr(c->work)->num_cpuops, 0);
	hdr(c->work)->version_minor = 0;
	fix_crc(c->work, c->size);
	assert_int_equal(npurt_program_load_memory(c->work, c->size, &p), 0);
	assert_int_equal(npurt_program_cpu_op_count(p), 0);
	npurt_program_destroy(p);
}

static void test_cpu_builder(void **state)
{
	struct npurt_tensor_info t = mlp_tensor("x", NPURT_DTYPE_FLOAT32, 1, 4,
						NULL);
	npurt_program_builder *b = NULL;
	npurt_program *p = NULL;
	struct npurt_cpu_op op = cpu_step_new(NPURT_CPU_TANH);

	(void)state;
	assert_int_equal(npurt_program_builder_create("t", &b), 0);
	assert_int_equal(npurt_program_builder_add_input(b, &t), 0);
	t.name = "y";
	assert_int_equal(npurt_program_builder_add_output(b, &t), 1);
	assert_int_equal(npurt_program_builder_add_cpu_op(NULL, &op), -EINVAL);
	assert_int_equal(npurt_program_builder_add_cpu_op(b, NULL), -EINVAL);
	op.in[0] = cref(0, NPURT_DTYPE_FLOAT32, 0, 4);
	op.out = cref(0, NPURT_DTYPE_FLOAT32, 0, 4);
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), -EINVAL);
	assert_non_null(strstr(npurt_last_error(), "CPU step 0 (TANH): writes"));
	op.out.slot = 1;
	/* steps only, no command: a valid program */
	assert_int_equal(npurt_program_builder_add_cpu_op(b, &op), 0);
	assert_int_equal(npurt_program_builder_finish(b, &p), 0);
	assert_int_equal(npurt_program_cmd_count(p), 0);
	assert_int_equal(npurt_program_cpu_op_count(p), 1);
	npurt_program_destroy(p);
	npurt_program_builder_destroy(b);
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
		cmocka_unit_test(test_cpu_steps_run),
		cmocka_unit_test(test_cpu_steps_corpus),
		cmocka_unit_test(test_format_1_0),
		cmocka_unit_test(test_cpu_builder),
		cmocka_unit_test(test_float_islands),
		cmocka_unit_test(test_float_islands_corpus),
	};

	return cmocka_run_group_tests(tests, corpus_setup, corpus_teardown);
}
