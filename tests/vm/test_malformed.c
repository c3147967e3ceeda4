// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_malformed: SUBMIT rejects malformed jobs with the documented errno
 * and, for a bad command, the index of the first bad one, and none of the
 * job runs: every rejected job here starts with valid FILLs of a guard
 * buffer that must stay untouched. Covered: bad counts and sizes, flags
 * and pads, unknown opcodes, nonzero reserved bytes, out-of-bounds
 * offsets, extents that wrap 64 bits, bad buffer indexes, unknown, closed,
 * foreign and duplicate handles, bad pointers (EFAULT), random bytes.
 *
 * With NPU_EXPECT_CAPS set (by test_malformed_caps, which loads rm_npu
 * with a firmware image of restricted capabilities), only the capability
 * test runs: disabled opcodes are rejected (EINVAL, their index), enabled
 * ones run.
 *
 * Seed: RM_NPU_TEST_SEED (printed).
 */
#include "test_util.h"
#include "npt_dev.h"
#include "world_util.h"

#define PE_NODE		"npu0pe0"
#define GUARD		0xa5
#define BUF_SIZE	8192
#define NBUFS		2	/* 0: operand buffer, 1: guard */

struct setup {
	int fd;
	__u32 handle[NBUFS];
	u8 *map[NBUFS];
};

/* Mappings of the open setup, unmapped by the teardown of a failed test
 * (a mapping keeps its file, and so the PE, open). */
static u8 *live_map[NBUFS];

static int teardown(void **state)
{
	u32 i;

	for (i = 0; i < NBUFS; i++) {
		if (live_map[i])
			munmap(live_map[i], BUF_SIZE);
		live_map[i] = NULL;
	}
	return npu_close_fds(state);
}

static void setup_open(struct setup *s)
{
	u32 i;

	memset(s, 0, sizeof(*s));

	s->fd = npu_open(PE_NODE);
	for (i = 0; i < NBUFS; i++) {
		s->handle[i] = npu_bo_create(s->fd, BUF_SIZE, NULL);
		s->map[i] = npu_bo_map(s->fd, s->handle[i], 0, BUF_SIZE);
		live_map[i] = s->map[i];
		memset(s->map[i], GUARD, BUF_SIZE);
	}
}

static void setup_close(struct setup *s)
{
	u32 i;

	for (i = 0; i < NBUFS; i++) {
		munmap(s->map[i], BUF_SIZE);
		live_map[i] = NULL;
	}
	close(s->fd);
}

static void assert_guard(const struct setup *s)
{
	u32 i;

	for (i = 0; i < BUF_SIZE; i++)
		if (s->map[1][i] != GUARD)
			fail_msg("guard buffer byte %u is %#x: part of a "
				 "rejected job ran", i, s->map[1][i]);
}

static void valid_fill(struct rm_npu_cmd *c, u32 bo, u64 off, u8 v)
{
	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_FILL;
	c->fill.dst.bo = bo;
	c->fill.dst.offset = off;
	c->fill.count = 64;
	c->fill.elem_size = 1;
	c->fill.value = v;
}

/*
 * Submits @pre valid FILLs of the guard buffer followed by @bad; expects
 * EINVAL with error_index @pre and the guard untouched.
 */
static void expect_bad_at(struct setup *s, const struct rm_npu_cmd *bad,
			  u32 pre, const char *what)
{
	struct rm_npu_cmd cmds[4];
	__u32 idx;
	__u64 id;
	int ret;
	u32 i;

	assert_true(pre < 4);
	for (i = 0; i < pre; i++)
		valid_fill(&cmds[i], 1, 64 * i, 0x11);
	cmds[pre] = *bad;
	ret = npt_submit_cmds(s->fd, cmds, pre + 1, s->handle, NBUFS, &idx,
			      &id);
	if (ret != -EINVAL || idx != pre)
		fail_msg("%s at index %u: got %s, error_index %u, expected "
			 "EINVAL at %u", what, pre, ret ? strerror(-ret) :
			 "success", idx, pre);
	assert_int_equal(id, 0);
	assert_guard(s);
}

static void expect_bad(struct setup *s, const struct rm_npu_cmd *bad,
		       const char *what)
{
	expect_bad_at(s, bad, 0, what);
	expect_bad_at(s, bad, 2, what);
}

/* Sanity: the valid form of each base command runs and changes the guard. */
static void expect_good(struct setup *s, const struct rm_npu_cmd *good)
{
	struct rm_npu_cmd cmds[2];
	__u32 idx;
	__u64 id;

	valid_fill(&cmds[0], 1, BUF_SIZE - 64, 0x11);
	cmds[1] = *good;
	assert_rc(npt_submit_cmds(s->fd, cmds, 2, s->handle, NBUFS, &idx,
				  &id), 0);
	assert_int_equal(npu_wait_result(s->fd, id, &idx, NULL), 0);
	assert_int_equal(s->map[1][BUF_SIZE - 64], 0x11);
	memset(s->map[1], GUARD, BUF_SIZE);
}

/* --- Argument checks ------------------------------------------------ */

static int submit_args(int fd, struct rm_npu_submit *a)
{
	a->error_index = 0x5a5a5a5a;
	return ioctl(fd, RM_NPU_IOCTL_SUBMIT, a);
}

/*
 * Commands of a newer caller (a grown struct rm_npu_cmd, @cmd_size bytes
 * apart): a zero tail is accepted, a nonzero byte in one is E2BIG at its
 * index and nothing runs.
 */
static void test_grown_cmds(void **state)
{
	static const __u32 sizes[] = { RM_NPU_CMD_SIZE + 8, 512,
				       RM_NPU_MAX_CMD_SIZE };
	static u8 buf[3 * RM_NPU_MAX_CMD_SIZE];
	struct rm_npu_submit a;
	struct setup s;
	unsigned int i, j;
	__u32 idx;

	(void)state;
	setup_open(&s);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		__u32 sz = sizes[i];

		memset(buf, 0, sizeof(buf));
		for (j = 0; j < 3; j++)
			valid_fill((struct rm_npu_cmd *)(buf + j * sz), 1,
				   64 * j, (u8)(0x20 + j));
		memset(&a, 0, sizeof(a));
		a.cmds = (__u64)(uintptr_t)buf;
		a.bo_handles = (__u64)(uintptr_t)s.handle;
		a.num_cmds = 3;
		a.num_bos = NBUFS;
		a.cmd_size = sz;

		/* A nonzero byte in the last command's tail. */
		buf[2 * sz + sz - 1] = 1;
		assert_errno(submit_args(s.fd, &a), E2BIG);
		assert_int_equal(a.error_index, 2);
		assert_int_equal(a.job_id, 0);
		assert_guard(&s);
		buf[2 * sz + sz - 1] = 0;

		assert_ok(submit_args(s.fd, &a));
		assert_int_equal(a.error_index, RM_NPU_NO_INDEX);
		assert_int_equal(npu_wait_result(s.fd, a.job_id, &idx, NULL),
				 0);
		for (j = 0; j < 3; j++)
			assert_int_equal(s.map[1][64 * j + 63], 0x20 + j);
		memset(s.map[1], GUARD, BUF_SIZE);
	}
	setup_close(&s);
}

static void test_counts(void **state)
{
	struct rm_npu_cmd *cmds;
	struct setup s;
	struct rm_npu_submit a, base;
	struct rm_npu_info info;
	struct npt_limits lim;
	__u32 max_cmds;
	int nullfd, i;

	(void)state;
	setup_open(&s);
	npu_get_info(s.fd, &info);
	assert_int_equal(info.cmd_size, RM_NPU_CMD_SIZE);
	assert_int_equal(npt_limits_get(s.fd, &lim), 0);
	max_cmds = lim.max_cmds;
	cmds = calloc(max_cmds + 1, sizeof(*cmds));
	assert_non_null(cmds);
	for (i = 0; i < (int)max_cmds + 1; i++)
		valid_fill(&cmds[i], 1, 0, 0x11);
	memset(&base, 0, sizeof(base));
	base.cmds = (__u64)(uintptr_t)cmds;
	base.bo_handles = (__u64)(uintptr_t)s.handle;
	base.num_cmds = 1;
	base.num_bos = NBUFS;
	base.cmd_size = sizeof(struct rm_npu_cmd);

#define BAD_ARGS(field, value)						\
	do {								\
		a = base;						\
		a.field = (value);					\
		assert_errno(submit_args(s.fd, &a), EINVAL);		\
		assert_int_equal(a.error_index, RM_NPU_NO_INDEX);	\
		assert_int_equal(a.job_id, 0);				\
		assert_int_equal(a.out_fence_fd, -1);			\
	} while (0)

	BAD_ARGS(num_cmds, 0);
	BAD_ARGS(num_cmds, max_cmds + 1);
	BAD_ARGS(num_cmds, UINT32_MAX);
	BAD_ARGS(num_cmds, 1u << 31);
	BAD_ARGS(num_bos, lim.max_job_bos + 1);
	BAD_ARGS(num_bos, UINT32_MAX);
	BAD_ARGS(cmd_size, 0);
	BAD_ARGS(cmd_size, RM_NPU_CMD_SIZE - 1);
	BAD_ARGS(cmd_size, RM_NPU_CMD_SIZE + 1);
	BAD_ARGS(cmd_size, RM_NPU_CMD_SIZE + 4);
	BAD_ARGS(cmd_size, RM_NPU_CMD_SIZE - 8);
	BAD_ARGS(cmd_size, RM_NPU_MAX_CMD_SIZE + 8);
	BAD_ARGS(cmd_size, UINT32_MAX - 7);
	BAD_ARGS(flags, 1u << 3);	/* the first unknown bit (ABI 1.1) */
	BAD_ARGS(flags, 1u << 31);
	BAD_ARGS(pad, 1);
	BAD_ARGS(in_fence_fd, 3);
	/* IN_FENCE with something that is not a sync_file */
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(nullfd >= 0);
	base.flags = RM_NPU_SUBMIT_IN_FENCE;
	BAD_ARGS(in_fence_fd, nullfd);
	BAD_ARGS(in_fence_fd, -1);
	BAD_ARGS(in_fence_fd, 1000000);
	base.flags = 0;
	close(nullfd);
	assert_guard(&s);

	/* The largest job is accepted and runs. */
	a = base;
	a.num_cmds = max_cmds;
	assert_ok(submit_args(s.fd, &a));
	assert_int_equal(a.error_index, RM_NPU_NO_INDEX);
	assert_int_equal(npu_wait_result(s.fd, a.job_id, NULL, NULL), 0);
	assert_int_equal(s.map[1][0], 0x11);
	memset(s.map[1], GUARD, BUF_SIZE);

	/* The bad command last of the largest job. */
	cmds[max_cmds - 1].opcode = RM_NPU_OP_COUNT;
	a = base;
	a.num_cmds = max_cmds;
	assert_errno(submit_args(s.fd, &a), EINVAL);
	assert_int_equal(a.error_index, max_cmds - 1);
	assert_guard(&s);

	/* No buffers at all: NOPs run, a FILL names a missing buffer. */
	memset(cmds, 0, 2 * sizeof(cmds[0]));
	a = base;
	a.num_bos = 0;
	a.bo_handles = 0;
	a.num_cmds = 2;
	assert_ok(submit_args(s.fd, &a));
	assert_int_equal(npu_wait_result(s.fd, a.job_id, NULL, NULL), 0);
	valid_fill(&cmds[1], 0, 0, 1);
	assert_errno(submit_args(s.fd, &a), EINVAL);
	assert_int_equal(a.error_index, 1);
#undef BAD_ARGS
	free(cmds);
	setup_close(&s);
}

/* --- Bad commands ---------------------------------------------------- */

static void base_gemm(struct rm_npu_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_GEMM;
	c->gemm.m = c->gemm.n = c->gemm.k = 8;
	c->gemm.lda = c->gemm.ldb = c->gemm.ldo = 8;
	c->gemm.a_dtype = RM_NPU_DT_INT8;
	c->gemm.out_dtype = RM_NPU_DT_INT8;
	c->gemm.b.offset = 64;
	c->gemm.out.bo = 1;
	c->gemm.rq.mult = 1 << 30;
	c->gemm.rq.act_min = -128;
	c->gemm.rq.act_max = 127;
}

static void base_copy(struct rm_npu_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_COPY;
	c->copy.dst.bo = 1;
	c->copy.elem_size = 4;
	c->copy.dims[0] = c->copy.dims[1] = c->copy.dims[2] = 1;
	c->copy.dims[3] = 16;
	c->copy.src_stride[3] = 4;
	c->copy.dst_stride[3] = 4;
}

static void base_conv(struct rm_npu_cmd *c)
{
	struct rm_npu_cmd_conv2d *v = &c->conv2d;

	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_CONV2D;
	v->batch = 1;
	v->in_h = v->in_w = 4;
	v->in_c = 2;
	v->out_h = v->out_w = 2;
	v->out_c = 2;
	v->k_h = v->k_w = 3;
	v->stride_h = v->stride_w = 1;
	v->dil_h = v->dil_w = 1;
	v->groups = 1;
	v->in_dtype = RM_NPU_DT_UINT8;
	v->out_dtype = RM_NPU_DT_INT32;
	v->weights.offset = 1024;
	v->out.bo = 1;
}

static void base_pool(struct rm_npu_cmd *c)
{
	struct rm_npu_cmd_pool2d *p = &c->pool2d;

	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_POOL2D;
	p->mode = RM_NPU_POOL_MAX;
	p->batch = 1;
	p->in_h = p->in_w = 4;
	p->c = 3;
	p->out_h = p->out_w = 2;
	p->k_h = p->k_w = 2;
	p->stride_h = p->stride_w = 2;
	p->dtype = RM_NPU_DT_INT8;
	p->act_min = -128;
	p->act_max = 127;
	p->out.bo = 1;
}

static void base_elt(struct rm_npu_cmd *c)
{
	struct rm_npu_cmd_eltwise *e = &c->eltwise;

	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_ELTWISE;
	e->op = RM_NPU_ELT_ADD;
	e->dtype = RM_NPU_DT_UINT8;
	e->rows = 4;
	e->cols = 16;
	e->out_row_stride = 16;
	e->a.row_stride = e->b.row_stride = 16;
	e->a.col_stride = e->b.col_stride = 1;
	e->a.mult = e->b.mult = 1 << 30;
	e->b.ref.offset = 1024;
	e->out.bo = 1;
	e->rq.mult = 1 << 30;
	e->rq.shift = -20;
	e->rq.act_max = 255;
}

static void base_lut(struct rm_npu_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->opcode = RM_NPU_OP_LUT;
	c->lut.dtype = RM_NPU_DT_INT8;
	c->lut.count = 100;
	c->lut.table.offset = 4096;
	c->lut.out.bo = 1;
}

static void test_bad_cmds(void **state)
{
	struct setup s;
	struct rm_npu_cmd c, b;

	(void)state;
	setup_open(&s);

	/* The bases are valid. */
	valid_fill(&b, 1, 128, 0x33);
	expect_good(&s, &b);
	base_copy(&b);
	expect_good(&s, &b);
	base_gemm(&b);
	expect_good(&s, &b);
	base_conv(&b);
	expect_good(&s, &b);
	base_pool(&b);
	expect_good(&s, &b);
	base_elt(&b);
	expect_good(&s, &b);
	base_lut(&b);
	expect_good(&s, &b);

#define BAD(base, stmt)							\
	do {								\
		base(&c);						\
		stmt;							\
		expect_bad(&s, &c, #base ": " #stmt);			\
	} while (0)
#define FILL0(cc)	valid_fill((cc), 0, 0, 0x77)

	/* unknown opcodes, flags and reserved bytes */
	BAD(FILL0, c.opcode = RM_NPU_OP_COUNT);
	BAD(FILL0, c.opcode = 0xff);
	BAD(FILL0, c.opcode = UINT32_MAX);
	BAD(FILL0, c.flags = 1);
	BAD(FILL0, c.fill.dst.pad = 1);
	BAD(FILL0, c.raw[sizeof(c.fill)] = 1);
	BAD(FILL0, c.raw[sizeof(c.raw) - 1] = 0x80);
	BAD(FILL0, (memset(&c, 0, sizeof(c)), c.raw[0] = 1));	/* NOP */
	BAD(FILL0, (memset(&c, 0, sizeof(c)), c.flags = 1));	/* NOP */
	BAD(base_copy, c.copy.pad = 1);
	BAD(base_copy, c.copy.src.pad = 1u << 31);
	BAD(base_gemm, c.gemm.pad = 1);
	BAD(base_gemm, c.flags = 1u << 3);
	/* binary32 scale: 2^32 is past the bound, the shift must be 0 */
	BAD(base_gemm, (c.flags = RM_NPU_MM_F32_SCALE,
			c.gemm.rq.mult = 0x4f800000));
	BAD(base_gemm, (c.flags = RM_NPU_MM_F32_SCALE, c.gemm.rq.shift = 1));
	BAD(base_elt, c.flags = RM_NPU_ELT_F32_SCALAR_A);
	BAD(base_gemm, c.gemm.bias.pad = 1);
	BAD(base_conv, c.conv2d.pad = 1);
	BAD(base_pool, c.pool2d.pad = 1);
	BAD(base_pool, c.flags = 1u << 1);
	BAD(base_elt, c.eltwise.pad = 1);
	BAD(base_elt, c.eltwise.pad2 = 1);
	BAD(base_elt, c.eltwise.a.pad = 1);
	BAD(base_elt, c.eltwise.b.ref.pad = 1);
	BAD(base_lut, c.lut.pad = 1);
	BAD(base_lut, c.flags = 1);

	/* buffer indexes */
	BAD(FILL0, c.fill.dst.bo = NBUFS);
	BAD(FILL0, c.fill.dst.bo = UINT32_MAX);
	BAD(base_gemm, c.gemm.b.bo = NBUFS);
	BAD(base_gemm, (c.flags = RM_NPU_MM_BIAS, c.gemm.bias.bo = 64));
	BAD(base_elt, c.eltwise.b.ref.bo = 2);

	/* out-of-bounds extents, by one byte and by far */
	BAD(FILL0, c.fill.dst.offset = BUF_SIZE - 63);
	BAD(FILL0, c.fill.dst.offset = BUF_SIZE);
	BAD(FILL0, c.fill.dst.offset = UINT64_MAX);
	BAD(FILL0, c.fill.dst.offset = UINT64_MAX - 62);
	BAD(FILL0, c.fill.count = BUF_SIZE + 1);
	BAD(FILL0, (c.fill.count = BUF_SIZE / 4 + 1, c.fill.elem_size = 4));
	BAD(FILL0, c.fill.elem_size = 3);
	BAD(FILL0, c.fill.elem_size = 0);
	BAD(base_lut, c.lut.table.offset = BUF_SIZE - 255);
	BAD(base_lut, c.lut.count = BUF_SIZE + 1);
	BAD(base_gemm, c.gemm.out.offset = BUF_SIZE - 63);
	BAD(base_conv, c.conv2d.out.offset = BUF_SIZE - 4 * 8 + 1);

	/* extents that wrap 64 bits */
	BAD(FILL0, (c.fill.count = 1ULL << 62, c.fill.elem_size = 4));
	BAD(FILL0, (c.fill.count = 1ULL << 63, c.fill.elem_size = 2));
	BAD(FILL0, c.fill.count = UINT64_MAX);
	BAD(base_copy, (c.copy.dims[0] = 65536,
			c.copy.src_stride[0] = 1ULL << 60));
	BAD(base_copy, (c.copy.dims[0] = 2,
			c.copy.dst_stride[0] = UINT64_MAX));
	BAD(base_copy, (c.copy.dims[0] = 17,
			c.copy.src_stride[0] = (UINT64_MAX / 16) + 1));
	BAD(base_copy, c.copy.dst.offset = UINT64_MAX - 3);
	BAD(base_lut, c.lut.count = UINT64_MAX);
	BAD(base_lut, c.lut.in.offset = UINT64_MAX - 98);

	/* dimension limits and shape rules */
	BAD(base_copy, c.copy.dims[1] = 0);
	BAD(base_copy, c.copy.dims[2] = RM_NPU_MAX_DIM + 1);
	BAD(base_copy, c.copy.elem_size = 0);
	BAD(base_copy, c.copy.elem_size = 257);
	BAD(base_copy, (c.copy.dst.bo = 0, c.copy.dst.offset = 32));
	BAD(base_gemm, c.gemm.m = 0);
	BAD(base_gemm, (c.gemm.k = RM_NPU_MAX_GEMM_K + 1,
			c.gemm.lda = RM_NPU_MAX_GEMM_K + 1));
	BAD(base_gemm, c.gemm.lda = 7);
	BAD(base_gemm, c.gemm.a_dtype = RM_NPU_DT_INT32);
	BAD(base_gemm, c.gemm.out_dtype = 4);
	BAD(base_gemm, c.gemm.a_zero_point = 128);
	BAD(base_gemm, c.gemm.b_zero_point = -129);
	BAD(base_gemm, c.gemm.rq.shift = 31);
	BAD(base_gemm, c.gemm.rq.mult = -1);
	BAD(base_gemm, (c.gemm.rq.act_min = 100, c.gemm.rq.act_max = 99));
	BAD(base_gemm, c.gemm.rq.zero_point = 128);
	BAD(base_gemm, (c.gemm.out_dtype = RM_NPU_DT_INT32));
	BAD(base_conv, c.conv2d.out_h = 3);
	BAD(base_conv, c.conv2d.groups = 3);
	BAD(base_conv, c.conv2d.groups = 0);
	BAD(base_conv, c.conv2d.k_h = RM_NPU_MAX_KERNEL + 1);
	BAD(base_conv, c.conv2d.stride_w = 0);
	BAD(base_conv, c.conv2d.dil_h = 0);
	BAD(base_conv, c.conv2d.pad_top = RM_NPU_MAX_KERNEL + 1);
	BAD(base_conv, c.conv2d.rq.mult = 1);
	BAD(base_conv, c.conv2d.in_h = UINT32_MAX);
	BAD(base_pool, c.pool2d.mode = 2);
	BAD(base_pool, c.pool2d.zero_point = 1);
	BAD(base_pool, c.pool2d.act_max = 128);
	BAD(base_pool, c.pool2d.out_w = 3);
	BAD(base_pool, c.pool2d.dtype = RM_NPU_DT_INT32);
	BAD(base_elt, c.eltwise.op = 3);
	BAD(base_elt, c.eltwise.out_row_stride = 15);
	BAD(base_elt, c.eltwise.a.shift = 1);
	BAD(base_elt, (c.eltwise.op = RM_NPU_ELT_MUL));
	BAD(base_elt, c.eltwise.rows = RM_NPU_MAX_DIM + 1);
	BAD(base_lut, c.lut.dtype = RM_NPU_DT_INT32);
	BAD(base_lut, c.lut.dtype = 0);
#undef BAD
#undef FILL0
	setup_close(&s);
}

/* --- Handles ------------------------------------------------------------ */

static void expect_handles(struct setup *s, const __u32 *handles, u32 n,
			   int err)
{
	struct rm_npu_cmd cmd;
	__u32 idx;
	__u64 id;

	valid_fill(&cmd, 1, 0, 0x11);
	assert_rc(npt_submit_cmds(s->fd, &cmd, 1, handles, n, &idx, &id),
		  err);
	assert_int_equal(idx, RM_NPU_NO_INDEX);
	assert_int_equal(id, 0);
	assert_guard(s);
}

static void test_handles(void **state)
{
	struct setup s, other;
	__u32 h[4], closed;

	(void)state;
	setup_open(&s);
	closed = npu_bo_create(s.fd, 4096, NULL);
	npu_bo_close(s.fd, closed);

	h[0] = 0;
	h[1] = s.handle[1];
	expect_handles(&s, h, 2, ENOENT);
	h[0] = s.handle[0];
	h[1] = closed;
	expect_handles(&s, h, 2, ENOENT);
	h[1] = 0xfffff;
	expect_handles(&s, h, 2, ENOENT);
	h[1] = UINT32_MAX;
	expect_handles(&s, h, 2, ENOENT);
	/* duplicates (the uAPI forbids them) */
	h[0] = s.handle[1];
	h[1] = s.handle[1];
	expect_handles(&s, h, 2, EINVAL);
	h[0] = s.handle[0];
	h[1] = s.handle[1];
	h[2] = s.handle[0];
	expect_handles(&s, h, 3, EINVAL);

	/* a buffer of another file (on pe1) is unknown here */
	other.fd = npu_open("npu0pe1");
	do
		other.handle[0] = npu_bo_create(other.fd, 4096, NULL);
	while (other.handle[0] == s.handle[0] ||
	       other.handle[0] == s.handle[1]);
	h[0] = s.handle[0];
	h[1] = other.handle[0];
	expect_handles(&s, h, 2, ENOENT);
	close(other.fd);
	setup_close(&s);
}

/* --- Bad pointers ------------------------------------------------------ */

static void test_efault(void **state)
{
	size_t pg = npu_page_size();
	struct rm_npu_submit a;
	struct rm_npu_cmd *cmds;
	struct setup s;
	u8 *two;

	(void)state;
	setup_open(&s);
	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(two != MAP_FAILED);
	assert_ok(munmap(two + pg, pg));
	/* the last command straddles into the unmapped page */
	cmds = (struct rm_npu_cmd *)(two + pg - 2 * sizeof(*cmds) + 8);
	memset(two, 0, pg);
	valid_fill(&cmds[0], 1, 0, 0x11);

	memset(&a, 0, sizeof(a));
	a.bo_handles = (__u64)(uintptr_t)s.handle;
	a.num_bos = NBUFS;
	a.cmd_size = sizeof(struct rm_npu_cmd);
	a.num_cmds = 2;
	a.cmds = (__u64)(uintptr_t)cmds;
	assert_errno(submit_args(s.fd, &a), EFAULT);
	assert_int_equal(a.error_index, RM_NPU_NO_INDEX);
	a.cmds = 0;
	a.num_cmds = 1;
	assert_errno(submit_args(s.fd, &a), EFAULT);
	a.cmds = 1;
	assert_errno(submit_args(s.fd, &a), EFAULT);
	a.cmds = UINT64_MAX - 100;
	assert_errno(submit_args(s.fd, &a), EFAULT);
	a.cmds = (__u64)(uintptr_t)cmds;
	a.bo_handles = 0;
	assert_errno(submit_args(s.fd, &a), EFAULT);
	a.bo_handles = (__u64)(uintptr_t)(two + pg - 4);
	assert_errno(submit_args(s.fd, &a), EFAULT);
	assert_guard(&s);
	/* the argument itself */
	assert_errno(ioctl(s.fd, RM_NPU_IOCTL_SUBMIT, NULL), EFAULT);
	assert_errno(ioctl(s.fd, RM_NPU_IOCTL_SUBMIT, two + pg - 8), EFAULT);
	assert_guard(&s);
	/* the pointers work once valid */
	a.bo_handles = (__u64)(uintptr_t)s.handle;
	assert_ok(submit_args(s.fd, &a));
	assert_int_equal(npu_wait_result(s.fd, a.job_id, NULL, NULL), 0);
	assert_int_equal(s.map[1][0], 0x11);
	munmap(two, pg);
	setup_close(&s);
}

/* --- Random bytes ---------------------------------------------------- */

static const size_t op_struct_size[RM_NPU_OP_COUNT] = {
	0,
	sizeof(struct rm_npu_cmd_fill),
	sizeof(struct rm_npu_cmd_copy),
	sizeof(struct rm_npu_cmd_gemm),
	sizeof(struct rm_npu_cmd_conv2d),
	sizeof(struct rm_npu_cmd_pool2d),
	sizeof(struct rm_npu_cmd_eltwise),
	sizeof(struct rm_npu_cmd_lut),
};

/* A random 4-byte field: mostly small, sometimes extreme. */
static u32 rnd_field(void)
{
	static const u32 v[] = { 0, 1, 2, 3, 4, 7, 8, 64, 65, 255, 256,
				 4096, 8192, 65536, 65537, 0x7fffffff,
				 0x80000000u, 0xffffffffu };

	if (npu_coin(60))
		return v[npu_rr(0, sizeof(v) / sizeof(v[0]) - 1)];
	if (npu_coin(50))
		return npu_rr(0, 20);
	return (u32)npu_rnd();
}

static void test_random_bytes(void **state)
{
	struct setup s;
	struct rm_npu_cmd cmds[2];
	unsigned int i, accepted = 0;

	(void)state;
	setup_open(&s);
	for (i = 0; i < 1500; i++) {
		struct rm_npu_cmd *c = &cmds[1];
		__u32 idx;
		__u64 id;
		int ret;

		valid_fill(&cmds[0], 1, 0, 0x11);
		if (npu_coin(30)) {
			npu_fill_random((u8 *)c, sizeof(*c));
		} else {
			u32 op = npu_rr(0, RM_NPU_OP_COUNT - 1), k;
			size_t sz = op_struct_size[op];

			memset(c, 0, sizeof(*c));
			c->opcode = op;
			c->flags = npu_coin(80) ? 0 : rnd_field();
			for (k = 0; k + 4 <= sz; k += 4) {
				u32 f = rnd_field();

				memcpy(c->raw + k, &f, 4);
			}
			if (npu_coin(3))
				c->raw[npu_rr(sz, sizeof(c->raw) - 1)] = 1;
		}
		ret = npt_submit_cmds(s.fd, cmds, 2, s.handle, NBUFS, &idx,
				      &id);
		if (ret) {
			if (ret != -EINVAL || idx != 1)
				fail_msg("random command %u (opcode %u): %s, "
					 "error_index %u", i, c->opcode,
					 strerror(-ret), idx);
			assert_guard(&s);
			continue;
		}
		/* valid by chance: it must run (or fail on its data) */
		accepted++;
		assert_int_equal(idx, RM_NPU_NO_INDEX);
		ret = npu_wait_result(s.fd, id, &idx, NULL);
		if (ret && !(ret == -EINVAL && idx == 1))
			fail_msg("accepted random command %u failed: %d at %u",
				 i, ret, idx);
		memset(s.map[1], GUARD, BUF_SIZE);
	}
	printf("test_random_bytes: %u of %u random commands were valid\n",
	       accepted, i);
	setup_close(&s);
}

/* --- Restricted firmware capabilities --------------------------------- */

static void test_caps(void **state)
{
	const char *e = getenv("NPU_EXPECT_CAPS");
	struct rm_npu_info info;
	struct setup s;
	u64 caps;
	u32 op;

	(void)state;
	if (!e || !*e)
		skip();
	caps = strtoull(e, NULL, 0);
	setup_open(&s);
	npu_get_info(s.fd, &info);
	assert_int_equal(info.fw_caps, caps);
	for (op = RM_NPU_OP_NOP; op < RM_NPU_OP_COUNT; op++) {
		struct rm_npu_cmd c;

		switch (op) {
		case RM_NPU_OP_NOP:
			memset(&c, 0, sizeof(c));
			break;
		case RM_NPU_OP_FILL:
			valid_fill(&c, 1, 128, 0x33);
			break;
		case RM_NPU_OP_COPY:
			base_copy(&c);
			break;
		case RM_NPU_OP_GEMM:
			base_gemm(&c);
			break;
		case RM_NPU_OP_CONV2D:
			base_conv(&c);
			break;
		case RM_NPU_OP_POOL2D:
			base_pool(&c);
			break;
		case RM_NPU_OP_ELTWISE:
			base_elt(&c);
			break;
		default:
			base_lut(&c);
			break;
		}
		if (caps & RM_NPU_CAP(op)) {
			/* FILL is enabled whenever this runs (see the .sh) */
			expect_good(&s, &c);
		} else {
			expect_bad(&s, &c, "disabled opcode");
			expect_bad_at(&s, &c, 1, "disabled opcode");
		}
	}
	/* the binary32 modes follow their feature bit */
	if (caps & RM_NPU_CAP(RM_NPU_OP_GEMM)) {
		struct rm_npu_cmd c;

		base_gemm(&c);
		c.flags = RM_NPU_MM_F32_SCALE;
		c.gemm.rq.mult = 0x3a800000;	/* 2^-10 */
		if (caps & RM_NPU_CAP_F32_RESCALE) {
			expect_good(&s, &c);
		} else {
			expect_bad(&s, &c, "disabled F32_RESCALE");
			expect_bad_at(&s, &c, 1, "disabled F32_RESCALE");
		}
	}
	setup_close(&s);
}

int main(void)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test_teardown(test_counts, teardown),
		cmocka_unit_test_teardown(test_grown_cmds, teardown),
		cmocka_unit_test_teardown(test_bad_cmds, teardown),
		cmocka_unit_test_teardown(test_handles, teardown),
		cmocka_unit_test_teardown(test_efault, teardown),
		cmocka_unit_test_teardown(test_random_bytes, teardown),
	};
	const struct CMUnitTest caps[] = {
		cmocka_unit_test_teardown(test_caps, teardown),
	};
	const char *e = getenv("NPU_EXPECT_CAPS");

	npu_vm_seed("test_malformed", 0x5eed0002badc0de1ULL);
	if (e && *e)
		return cmocka_run_group_tests(caps, NULL, NULL);
	return cmocka_run_group_tests(all, NULL, NULL);
}
