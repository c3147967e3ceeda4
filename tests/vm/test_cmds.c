// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_cmds: the job path of the kernel (SUBMIT, the PE engines, WAIT)
 * through the real uAPI. Every opcode runs on /dev/npu0pe0 on random and
 * edge shapes and is compared bit-exactly with the naive references of
 * tests/common/npu_ref.c; jobs of several dependent commands; runtime
 * errors with their command index; queued jobs; the binary32 rescale
 * modes and their capability bit; and "fused == single":
 * the same jobs on /dev/npu0pe0-1, with commands large enough to be split
 * across both PEs, give the same bytes as on pe0.
 *
 * Seed: RM_NPU_TEST_SEED (printed), iterations scaled by
 * RM_NPU_TEST_SCALE (percent, default 100).
 */
#include "test_util.h"
#include "world_util.h"

#define PE_NODE		"npu0pe0"
#define FUSED_NODE	"npu0pe0-1"
#define MAX_JOB_CMDS	24

/* Ops at and above which the engine splits a command across a fused pair
 * (RM_NPU_SPLIT_MIN_OPS in kmod/rm_npu_job.h). */
#define SPLIT_MIN_OPS	(256 * 1024)

static unsigned int scale_pct = 100;

static unsigned int iters(unsigned int n)
{
	unsigned int k = n * scale_pct / 100;

	return k ? k : 1;
}

/* A job under construction: commands over one world. */
struct job {
	u32 n;
	struct rm_npu_cmd cmd[MAX_JOB_CMDS];
	struct npu_world w;
};

static void job_free(struct job *j)
{
	npu_w_free(&j->w);
	j->n = 0;
}

/* Expected contents: the references run in order over a copy of @j's world. */
static void job_reference(const struct job *j, struct npu_world *want)
{
	u32 i;

	npu_w_clone(want, &j->w);
	for (i = 0; i < j->n; i++) {
		int ret = npu_ref_exec(&j->cmd[i], want->buf);

		if (ret)
			fail_msg("reference of command %u (opcode %u): %d", i,
				 j->cmd[i].opcode, ret);
	}
}

/*
 * Runs @j on the open node @fd and checks every byte of every buffer
 * against @want; with @got, also keeps a copy of the result.
 */
static void job_run_check(int fd, const struct job *j,
			  const struct npu_world *want, struct npu_world *got)
{
	struct npu_bos b;
	u32 i;

	npu_bos_create(&b, fd, &j->w);
	npu_run_ok(fd, j->cmd, j->n, &b);
	npu_bos_assert_world(&b, want, j->cmd, j->n, "device vs reference");
	if (got) {
		npu_w_clone(got, &j->w);
		for (i = 0; i < b.n; i++)
			memcpy(got->buf[i], b.map[i], b.size[i]);
	}
	npu_bos_destroy(&b);
}

static void job_check(int fd, struct job *j)
{
	struct npu_world want;

	npu_world_pad(&j->w);
	job_reference(j, &want);
	job_run_check(fd, j, &want, NULL);
	npu_w_free(&want);
}

/* Appends a random command of @op (NOP: a NOP). */
static struct rm_npu_cmd *job_gen(struct job *j, u32 op)
{
	struct rm_npu_cmd *c = &j->cmd[j->n++];

	assert_true(j->n <= MAX_JOB_CMDS);
	if (op == RM_NPU_OP_GEMM)
		npu_gen_gemm(c, &j->w, 48, 64);
	else
		npu_gen_any(c, &j->w, op);
	return c;
}

static struct rm_npu_cmd *job_add(struct job *j)
{
	struct rm_npu_cmd *c = &j->cmd[j->n++];

	assert_true(j->n <= MAX_JOB_CMDS);
	memset(c, 0, sizeof(*c));
	return c;
}

/* A dense operand of @len bytes in a new buffer at offset 0. */
static void job_buf(struct job *j, struct rm_npu_ref *r, u64 len)
{
	r->bo = npu_w_add(&j->w, len);
	r->pad = 0;
	r->offset = 0;
}

/* --- Single opcodes, random shapes ---------------------------------- */

static void random_op(u32 op, unsigned int n)
{
	int fd = npu_open(PE_NODE);
	unsigned int i;

	for (i = 0; i < iters(n); i++) {
		struct job j = { 0 };

		job_gen(&j, op);
		job_check(fd, &j);
		job_free(&j);
	}
	close(fd);
}

static void test_nop(void **state)
{
	struct job j = { 0 };
	int fd = npu_open(PE_NODE);

	(void)state;
	job_add(&j);
	job_add(&j);
	npu_w_add(&j.w, 100);
	job_check(fd, &j);
	job_free(&j);
	close(fd);
}

static void test_fill(void **state)
{
	(void)state;
	random_op(RM_NPU_OP_FILL, 60);
}

static void test_copy(void **state)
{
	(void)state;
	random_op(RM_NPU_OP_COPY, 120);
}

static void test_gemm(void **state)
{
	(void)state;
	random_op(RM_NPU_OP_GEMM, 100);
}

static void test_conv(void **state)
{
	(void)state;
	random_op(RM_NPU_OP_CONV2D, 120);
}

static void test_pool(void **state)
{
	(void)state;
	random_op(RM_NPU_OP_POOL2D, 120);
}

static void test_eltwise(void **state)
{
	(void)state;
	random_op(RM_NPU_OP_ELTWISE, 120);
}

static void test_lut(void **state)
{
	(void)state;
	random_op(RM_NPU_OP_LUT, 60);
}

/* --- Edge shapes ------------------------------------------------------ */

static struct rm_npu_cmd *gemm_fixed(struct job *j, u32 m, u32 n, u32 k,
				     u32 a_dt, u32 out_dt)
{
	struct rm_npu_cmd *c = job_add(j);
	struct rm_npu_cmd_gemm *g = &c->gemm;
	u32 osz = out_dt == RM_NPU_DT_INT32 ? 4 : 1;

	c->opcode = RM_NPU_OP_GEMM;
	g->m = m;
	g->n = n;
	g->k = k;
	g->lda = k;
	g->ldb = n;
	g->ldo = n;
	g->a_dtype = a_dt;
	g->out_dtype = out_dt;
	job_buf(j, &g->a, (u64)m * k);
	job_buf(j, &g->b, (u64)k * n);
	job_buf(j, &g->out, (u64)m * n * osz);
	if (out_dt != RM_NPU_DT_INT32) {
		g->rq.mult = 1 << 30;
		g->rq.shift = -8;
		g->rq.act_min = npu_dt_min(out_dt);
		g->rq.act_max = npu_dt_max(out_dt);
	}
	return c;
}

static void test_gemm_edges(void **state)
{
	int fd = npu_open(PE_NODE);
	struct rm_npu_cmd *c;
	struct job j = { 0 };

	(void)state;
	/* 1x1x1, every output type */
	gemm_fixed(&j, 1, 1, 1, RM_NPU_DT_INT8, RM_NPU_DT_INT8);
	gemm_fixed(&j, 1, 1, 1, RM_NPU_DT_UINT8, RM_NPU_DT_UINT8);
	gemm_fixed(&j, 1, 1, 1, RM_NPU_DT_INT8, RM_NPU_DT_INT32);
	job_check(fd, &j);
	job_free(&j);

	/* Longest K and the largest sums: raw int32 out, both signs. */
	c = gemm_fixed(&j, 1, 2, RM_NPU_MAX_GEMM_K, RM_NPU_DT_UINT8,
		       RM_NPU_DT_INT32);
	c->gemm.b_zero_point = 127;
	memset(npu_at(&j.w, &c->gemm.a), 0xff, RM_NPU_MAX_GEMM_K);
	memset(npu_at(&j.w, &c->gemm.b), 0x80, 2 * RM_NPU_MAX_GEMM_K);
	c = gemm_fixed(&j, 1, 1, RM_NPU_MAX_GEMM_K, RM_NPU_DT_INT8,
		       RM_NPU_DT_INT32);
	c->gemm.a_zero_point = 127;
	c->gemm.b_zero_point = -128;
	memset(npu_at(&j.w, &c->gemm.a), 0x80, RM_NPU_MAX_GEMM_K);
	memset(npu_at(&j.w, &c->gemm.b), 0x7f, RM_NPU_MAX_GEMM_K);
	/* Bias saturating int32 both ways. */
	c = gemm_fixed(&j, 1, 2, RM_NPU_MAX_GEMM_K, RM_NPU_DT_UINT8,
		       RM_NPU_DT_INT32);
	c->flags = RM_NPU_MM_BIAS;
	memset(npu_at(&j.w, &c->gemm.a), 0xff, RM_NPU_MAX_GEMM_K);
	memset(npu_at(&j.w, &c->gemm.b), 0x7f, 2 * RM_NPU_MAX_GEMM_K);
	job_buf(&j, &c->gemm.bias, 8);
	npu_st32(npu_at(&j.w, &c->gemm.bias), INT32_MAX);
	npu_st32(npu_at(&j.w, &c->gemm.bias) + 4, INT32_MIN);
	job_check(fd, &j);
	job_free(&j);

	/* Largest M and N (thin), odd strides, extreme requantization. */
	c = gemm_fixed(&j, RM_NPU_MAX_DIM, 1, 1, RM_NPU_DT_INT8,
		       RM_NPU_DT_INT8);
	c->gemm.rq.mult = INT32_MAX;
	c->gemm.rq.shift = 30;
	c->gemm.rq.zero_point = -128;
	c = gemm_fixed(&j, 1, RM_NPU_MAX_DIM, 1, RM_NPU_DT_UINT8,
		       RM_NPU_DT_UINT8);
	c->gemm.a_zero_point = 255;
	c->gemm.rq.mult = 1;
	c->gemm.rq.shift = -31;
	c->gemm.rq.zero_point = 255;
	c = gemm_fixed(&j, 7, 3, 5, RM_NPU_DT_UINT8, RM_NPU_DT_UINT8);
	c->gemm.rq.mult = INT32_MAX;
	c->gemm.rq.shift = 0;
	c->gemm.rq.zero_point = 0;
	c->gemm.rq.act_min = 3;
	c->gemm.rq.act_max = 3;
	job_check(fd, &j);
	job_free(&j);

	/* Per-channel pairs at their extremes. */
	c = gemm_fixed(&j, 3, 4, 9, RM_NPU_DT_INT8, RM_NPU_DT_INT8);
	c->flags = RM_NPU_MM_PER_CHANNEL | RM_NPU_MM_BIAS;
	c->gemm.rq.mult = 0;
	c->gemm.rq.shift = 0;
	job_buf(&j, &c->gemm.quant, 32);
	job_buf(&j, &c->gemm.bias, 16);
	{
		static const s32 q[8] = { INT32_MAX, 30, 1, -31, 0, 0,
					  1 << 30, -7 };
		unsigned int i;

		for (i = 0; i < 8; i++)
			npu_st32(npu_at(&j.w, &c->gemm.quant) + 4 * i, q[i]);
	}
	job_check(fd, &j);
	job_free(&j);
	close(fd);
}

static void test_conv_edges(void **state)
{
	int fd = npu_open(PE_NODE);
	struct job j = { 0 };
	struct rm_npu_cmd *c;
	struct rm_npu_cmd_conv2d *v;

	(void)state;
	/* 1x1 image, 1x1 kernel, one channel, int32 out. */
	c = job_add(&j);
	v = &c->conv2d;
	c->opcode = RM_NPU_OP_CONV2D;
	v->batch = v->in_h = v->in_w = v->in_c = 1;
	v->out_h = v->out_w = v->out_c = 1;
	v->k_h = v->k_w = v->stride_h = v->stride_w = 1;
	v->dil_h = v->dil_w = v->groups = 1;
	v->in_dtype = RM_NPU_DT_UINT8;
	v->out_dtype = RM_NPU_DT_INT32;
	v->in_zero_point = 255;
	v->w_zero_point = -128;
	job_buf(&j, &v->in, 1);
	job_buf(&j, &v->weights, 1);
	job_buf(&j, &v->out, 4);

	/* Largest kernel, dilation and padding on a 1x1 image: all padding
	 * but the centre tap; depthwise with 3 channels. */
	c = job_add(&j);
	v = &c->conv2d;
	c->opcode = RM_NPU_OP_CONV2D;
	v->batch = 1;
	v->in_h = v->in_w = 1;
	v->in_c = 3;
	v->k_h = 3;
	v->k_w = 2;
	v->dil_h = 2;
	v->dil_w = RM_NPU_MAX_KERNEL;
	v->pad_top = 2;
	v->pad_bottom = 2;
	v->pad_left = RM_NPU_MAX_KERNEL;
	v->pad_right = 0;
	v->stride_h = v->stride_w = RM_NPU_MAX_KERNEL;
	v->out_h = (1 + 4 - 2 * 2 - 1) / RM_NPU_MAX_KERNEL + 1;
	v->out_w = (1 + RM_NPU_MAX_KERNEL - RM_NPU_MAX_KERNEL - 1) /
		   RM_NPU_MAX_KERNEL + 1;
	v->groups = 3;
	v->out_c = 3;
	v->in_dtype = RM_NPU_DT_INT8;
	v->out_dtype = RM_NPU_DT_INT8;
	v->in_zero_point = -128;
	v->w_zero_point = 127;
	v->rq.mult = INT32_MAX;
	v->rq.shift = -3;
	v->rq.zero_point = 127;
	v->rq.act_min = -128;
	v->rq.act_max = 127;
	job_buf(&j, &v->in, 3);
	job_buf(&j, &v->weights, 3 * 3 * 2);
	job_buf(&j, &v->out, (u64)v->out_h * v->out_w * 3);
	job_check(fd, &j);
	job_free(&j);
	close(fd);
}

static void test_misc_edges(void **state)
{
	int fd = npu_open(PE_NODE);
	struct job j = { 0 };
	struct rm_npu_cmd *c;

	(void)state;
	/* ELTWISE: the widest row, broadcast scalars, in place. */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_ELTWISE;
	c->eltwise.op = RM_NPU_ELT_ADD;
	c->eltwise.dtype = RM_NPU_DT_UINT8;
	c->eltwise.rows = 1;
	c->eltwise.cols = RM_NPU_MAX_DIM;
	c->eltwise.out_row_stride = RM_NPU_MAX_DIM;
	job_buf(&j, &c->eltwise.out, RM_NPU_MAX_DIM);
	c->eltwise.a.ref = c->eltwise.out;
	c->eltwise.a.row_stride = RM_NPU_MAX_DIM;
	c->eltwise.a.col_stride = 1;
	c->eltwise.a.zero_point = 255;
	c->eltwise.a.mult = INT32_MAX;
	c->eltwise.a.shift = 0;
	job_buf(&j, &c->eltwise.b.ref, 1);
	c->eltwise.b.zero_point = 0;
	c->eltwise.b.mult = 1;
	c->eltwise.b.shift = -31;
	c->eltwise.rq.mult = 1 << 30;
	c->eltwise.rq.shift = -19;
	c->eltwise.rq.zero_point = 128;
	c->eltwise.rq.act_max = 255;
	/* ELTWISE MUL, tallest column, strided output. */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_ELTWISE;
	c->eltwise.op = RM_NPU_ELT_MUL;
	c->eltwise.dtype = RM_NPU_DT_INT8;
	c->eltwise.rows = 5000;
	c->eltwise.cols = 1;
	c->eltwise.out_row_stride = 3;
	job_buf(&j, &c->eltwise.out, 3 * 4999 + 1);
	job_buf(&j, &c->eltwise.a.ref, 5000);
	c->eltwise.a.row_stride = 1;
	c->eltwise.a.zero_point = -128;
	job_buf(&j, &c->eltwise.b.ref, 5000);
	c->eltwise.b.row_stride = 1;
	c->eltwise.b.zero_point = 127;
	c->eltwise.rq.mult = INT32_MAX;
	c->eltwise.rq.shift = -14;
	c->eltwise.rq.act_min = -128;
	c->eltwise.rq.act_max = 127;
	/* FILL of one element of each size. */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_FILL;
	c->fill.count = 1;
	c->fill.elem_size = 4;
	c->fill.value = 0xdeadbeef;
	job_buf(&j, &c->fill.dst, 4);
	c = job_add(&j);
	c->opcode = RM_NPU_OP_FILL;
	c->fill.count = 1;
	c->fill.elem_size = 2;
	c->fill.value = 0xbeef;
	c->fill.dst = j.cmd[j.n - 2].fill.dst;
	c->fill.dst.offset = 1;
	/* COPY of the largest element, one element, and 4-D broadcasting. */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_COPY;
	c->copy.elem_size = 256;
	c->copy.dims[0] = c->copy.dims[1] = c->copy.dims[2] = 1;
	c->copy.dims[3] = 1;
	job_buf(&j, &c->copy.src, 256);
	job_buf(&j, &c->copy.dst, 256);
	c = job_add(&j);
	c->opcode = RM_NPU_OP_COPY;
	c->copy.elem_size = 3;
	c->copy.dims[0] = 2;
	c->copy.dims[1] = 3;
	c->copy.dims[2] = 4;
	c->copy.dims[3] = 5;
	c->copy.src_stride[0] = 0;
	c->copy.src_stride[1] = 7;
	c->copy.src_stride[2] = 0;
	c->copy.src_stride[3] = 1;
	c->copy.dst_stride[3] = 3;
	c->copy.dst_stride[2] = 15;
	c->copy.dst_stride[1] = 60;
	c->copy.dst_stride[0] = 181;
	job_buf(&j, &c->copy.src, 2 * 7 + 4 + 3);
	job_buf(&j, &c->copy.dst, 181 + 2 * 60 + 3 * 15 + 4 * 3 + 3);
	/* LUT, both index types, in place. */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_LUT;
	c->lut.dtype = RM_NPU_DT_INT8;
	c->lut.count = 1;
	job_buf(&j, &c->lut.in, 1);
	job_buf(&j, &c->lut.table, 256);
	c->lut.out = c->lut.in;
	c = job_add(&j);
	c->opcode = RM_NPU_OP_LUT;
	c->lut.dtype = RM_NPU_DT_UINT8;
	c->lut.count = 4097;
	job_buf(&j, &c->lut.in, 4097);
	c->lut.table = j.cmd[j.n - 2].lut.table;
	job_buf(&j, &c->lut.out, 4097);
	/* POOL2D: a window as large as the padded 1x1 image. */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_POOL2D;
	c->flags = RM_NPU_POOL_COUNT_PAD;
	c->pool2d.mode = RM_NPU_POOL_AVG;
	c->pool2d.batch = 1;
	c->pool2d.in_h = c->pool2d.in_w = 1;
	c->pool2d.c = 65;
	c->pool2d.k_h = c->pool2d.k_w = 5;
	c->pool2d.pad_top = c->pool2d.pad_left = 4;
	c->pool2d.pad_bottom = c->pool2d.pad_right = 0;
	c->pool2d.stride_h = c->pool2d.stride_w = 1;
	c->pool2d.out_h = c->pool2d.out_w = 1;
	c->pool2d.dtype = RM_NPU_DT_INT8;
	c->pool2d.zero_point = -128;
	c->pool2d.act_min = -128;
	c->pool2d.act_max = 127;
	job_buf(&j, &c->pool2d.in, 65);
	job_buf(&j, &c->pool2d.out, 65);
	job_check(fd, &j);
	job_free(&j);
	close(fd);
}

/* --- Multi-command jobs --------------------------------------------- */

/* The buffer a command writes, and the one it reads its main input from. */
static struct rm_npu_ref *cmd_out(struct rm_npu_cmd *c)
{
	switch (c->opcode) {
	case RM_NPU_OP_FILL:
		return &c->fill.dst;
	case RM_NPU_OP_COPY:
		return &c->copy.dst;
	case RM_NPU_OP_GEMM:
		return &c->gemm.out;
	case RM_NPU_OP_CONV2D:
		return &c->conv2d.out;
	case RM_NPU_OP_POOL2D:
		return &c->pool2d.out;
	case RM_NPU_OP_ELTWISE:
		return &c->eltwise.out;
	case RM_NPU_OP_LUT:
		return &c->lut.out;
	default:
		return NULL;
	}
}

static struct rm_npu_ref *cmd_in(struct rm_npu_cmd *c)
{
	switch (c->opcode) {
	case RM_NPU_OP_COPY:
		return &c->copy.src;
	case RM_NPU_OP_GEMM:
		return &c->gemm.a;
	case RM_NPU_OP_CONV2D:
		return &c->conv2d.in;
	case RM_NPU_OP_POOL2D:
		return &c->pool2d.in;
	case RM_NPU_OP_ELTWISE:
		return &c->eltwise.a.ref;
	case RM_NPU_OP_LUT:
		return &c->lut.in;
	default:
		return NULL;
	}
}

/* A COPY of the first @len bytes of buffer @src to buffer @dst. */
static void add_pipe(struct job *j, u32 src, u32 dst, u64 len)
{
	struct rm_npu_cmd *c = job_add(j);

	if (len > RM_NPU_MAX_DIM)
		len = RM_NPU_MAX_DIM;
	c->opcode = RM_NPU_OP_COPY;
	c->copy.src.bo = src;
	c->copy.dst.bo = dst;
	c->copy.elem_size = 1;
	c->copy.dims[0] = c->copy.dims[1] = c->copy.dims[2] = 1;
	c->copy.dims[3] = (u32)len;
	c->copy.src_stride[3] = 1;
	c->copy.dst_stride[3] = 1;
}

/*
 * A job of 2..6 random commands where each command's main input first
 * receives (by a COPY inside the job) the output of the one before, so
 * every command depends on the previous results.
 */
static void gen_chain(struct job *j)
{
	unsigned int k = npu_rr(2, 6), i;
	struct rm_npu_cmd *prev = NULL;

	for (i = 0; i < k; i++) {
		u32 op = npu_rr(RM_NPU_OP_FILL, RM_NPU_OP_LUT);
		struct rm_npu_cmd tmp;
		struct rm_npu_ref *in;

		if (op == RM_NPU_OP_GEMM)
			npu_gen_gemm(&tmp, &j->w, 40, 40);
		else
			npu_gen_any(&tmp, &j->w, op);
		in = cmd_in(&tmp);
		if (prev && in && in->bo != cmd_out(prev)->bo) {
			u32 s = cmd_out(prev)->bo, d = in->bo;

			add_pipe(j, s, d, j->w.size[s] < j->w.size[d] ?
				 j->w.size[s] : j->w.size[d]);
		}
		j->cmd[j->n++] = tmp;
		prev = &j->cmd[j->n - 1];
	}
}

static void test_multi_dependent(void **state)
{
	int fd = npu_open(PE_NODE);
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(80); i++) {
		struct job j = { 0 };

		gen_chain(&j);
		job_check(fd, &j);
		job_free(&j);
	}
	close(fd);
}

/* The same in-place LUT three times: each run reads the last one's output. */
static void test_multi_repeat(void **state)
{
	int fd = npu_open(PE_NODE);
	struct job j = { 0 };
	struct rm_npu_cmd *c;
	u32 i;

	(void)state;
	c = job_add(&j);
	c->opcode = RM_NPU_OP_LUT;
	c->lut.dtype = RM_NPU_DT_UINT8;
	c->lut.count = 5000;
	job_buf(&j, &c->lut.in, 5000);
	job_buf(&j, &c->lut.table, 256);
	c->lut.out = c->lut.in;
	/* table: a permutation without fixed points (x -> x + 1) */
	for (i = 0; i < 256; i++)
		npu_at(&j.w, &c->lut.table)[i] = (u8)(i + 1);
	j.cmd[j.n++] = *c;
	j.cmd[j.n++] = *c;
	job_check(fd, &j);
	job_free(&j);
	close(fd);
}

/* Runtime failure: bad per-channel pair in command 2; the job stops there. */
static void test_runtime_error(void **state)
{
	int fd = npu_open(PE_NODE);
	struct job j = { 0 };
	struct rm_npu_cmd *c;
	struct npu_world want;
	struct npu_bos b;
	__u32 idx;
	__u64 id;
	u32 fill_bo;

	(void)state;
	c = job_add(&j);
	c->opcode = RM_NPU_OP_FILL;
	c->fill.count = 64;
	c->fill.elem_size = 1;
	c->fill.value = 0x11;
	job_buf(&j, &c->fill.dst, 64);
	fill_bo = c->fill.dst.bo;
	job_add(&j);	/* NOP */
	c = gemm_fixed(&j, 2, 3, 4, RM_NPU_DT_INT8, RM_NPU_DT_INT8);
	c->flags = RM_NPU_MM_PER_CHANNEL;
	c->gemm.rq.mult = 0;
	c->gemm.rq.shift = 0;
	job_buf(&j, &c->gemm.quant, 24);
	npu_st32(npu_at(&j.w, &c->gemm.quant), 1 << 30);
	npu_st32(npu_at(&j.w, &c->gemm.quant) + 4, 0);
	npu_st32(npu_at(&j.w, &c->gemm.quant) + 8, -1);	/* bad mult */
	npu_st32(npu_at(&j.w, &c->gemm.quant) + 12, 0);
	npu_st32(npu_at(&j.w, &c->gemm.quant) + 16, 1);
	npu_st32(npu_at(&j.w, &c->gemm.quant) + 20, 31);	/* bad shift */
	/* never runs */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_FILL;
	c->fill.count = 64;
	c->fill.elem_size = 1;
	c->fill.value = 0x22;
	job_buf(&j, &c->fill.dst, 64);
	npu_world_pad(&j.w);

	npu_w_clone(&want, &j.w);
	assert_int_equal(npu_ref_exec(&j.cmd[0], want.buf), 0);
	assert_int_equal(npu_ref_exec(&j.cmd[2], want.buf), -EINVAL);

	npu_bos_create(&b, fd, &j.w);
	assert_rc(npt_submit_cmds(fd, j.cmd, j.n, b.handle, b.n, &idx, &id),
		  0);
	assert_int_equal(idx, RM_NPU_NO_INDEX);
	assert_int_equal(npu_wait_result(fd, id, &idx, NULL), -EINVAL);
	assert_int_equal(idx, 2);
	/* command 0 ran, command 3 did not */
	assert_memory_equal(b.map[fill_bo], want.buf[fill_bo], b.size[fill_bo]);
	assert_memory_equal(b.map[b.n - 1], j.w.buf[b.n - 1], b.size[b.n - 1]);
	/* a later job of the file still runs */
	npu_run_ok(fd, j.cmd, 1, &b);
	npu_bos_destroy(&b);
	npu_w_free(&want);
	job_free(&j);
	close(fd);
}

/* Jobs queued back to back, waited for in reverse order. */
static void test_queued(void **state)
{
	enum { NJOBS = 6 };
	int fd = npu_open(PE_NODE);
	struct job j[NJOBS];
	struct npu_world want[NJOBS];
	struct npu_bos b[NJOBS];
	__u64 id[NJOBS];
	__u32 idx;
	int i;

	(void)state;
	memset(j, 0, sizeof(j));
	for (i = 0; i < NJOBS; i++) {
		struct rm_npu_cmd *c = gemm_fixed(&j[i], 64, 64, 32,
						  RM_NPU_DT_INT8,
						  RM_NPU_DT_INT32);

		c->gemm.a_zero_point = (s32)npu_rr(0, 255) - 128;
		job_gen(&j[i], RM_NPU_OP_ELTWISE);
		npu_world_pad(&j[i].w);
		job_reference(&j[i], &want[i]);
		npu_bos_create(&b[i], fd, &j[i].w);
	}
	for (i = 0; i < NJOBS; i++) {
		assert_rc(npt_submit_cmds(fd, j[i].cmd, j[i].n, b[i].handle,
					  b[i].n, &idx, &id[i]), 0);
		if (i)
			assert_int_equal(id[i], id[i - 1] + 1);
	}
	for (i = NJOBS - 1; i >= 0; i--) {
		assert_int_equal(npu_wait_result(fd, id[i], &idx, NULL), 0);
		assert_int_equal(idx, RM_NPU_NO_INDEX);
		npu_bos_assert_world(&b[i], &want[i], j[i].cmd, j[i].n,
				     "queued job");
		npu_bos_destroy(&b[i]);
		npu_w_free(&want[i]);
		job_free(&j[i]);
	}
	close(fd);
}

/* --- Fused == single ---------------------------------------------- */

static long long pe1_ops(void)
{
	return npu_sysfs_ll("npu0pe1", "ops");
}

/*
 * Runs @j on pe0 and on the fused pair; both must match the reference
 * byte for byte. @split: whether the fused run must have put work on
 * pe1 (a command at or above the split threshold) or none at all.
 */
static void fused_check(struct job *j, bool split)
{
	struct npu_world want, got0, got1;
	long long before;
	int fd;
	u32 i;

	npu_world_pad(&j->w);
	job_reference(j, &want);

	fd = npu_open(PE_NODE);
	job_run_check(fd, j, &want, &got0);
	close(fd);

	fd = npu_open(FUSED_NODE);
	before = pe1_ops();
	job_run_check(fd, j, &want, &got1);
	if (split)
		assert_true(pe1_ops() > before);
	else
		assert_int_equal(pe1_ops(), before);
	close(fd);

	for (i = 0; i < want.n; i++)
		assert_memory_equal(got0.buf[i], got1.buf[i], want.size[i]);
	npu_w_free(&want);
	npu_w_free(&got0);
	npu_w_free(&got1);
}

static void test_fused_big(void **state)
{
	struct job j = { 0 };
	struct rm_npu_cmd *c;

	(void)state;
	/* GEMM 96x160x48 = 1.5M ops, per-channel, int8 out */
	c = gemm_fixed(&j, 96, 160, 48, RM_NPU_DT_UINT8, RM_NPU_DT_INT8);
	c->flags = RM_NPU_MM_PER_CHANNEL | RM_NPU_MM_BIAS;
	c->gemm.rq.mult = 0;
	c->gemm.rq.shift = 0;
	c->gemm.a_zero_point = 3;
	c->gemm.b_zero_point = -5;
	job_buf(&j, &c->gemm.quant, 8 * 160);
	job_buf(&j, &c->gemm.bias, 4 * 160);
	npu_fill_extras(&j.w, c->flags, 160, &c->gemm.bias, &c->gemm.quant);
	/* GEMM, raw int32 out */
	gemm_fixed(&j, 130, 70, 40, RM_NPU_DT_INT8, RM_NPU_DT_INT32);
	fused_check(&j, true);
	job_free(&j);

	/* CONV2D 1x12x12x16 -> 12x12x80, 3x3 pad 1: 3.3M ops */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_CONV2D;
	c->conv2d.batch = 1;
	c->conv2d.in_h = c->conv2d.in_w = 12;
	c->conv2d.in_c = 16;
	c->conv2d.out_h = c->conv2d.out_w = 12;
	c->conv2d.out_c = 80;
	c->conv2d.k_h = c->conv2d.k_w = 3;
	c->conv2d.stride_h = c->conv2d.stride_w = 1;
	c->conv2d.dil_h = c->conv2d.dil_w = 1;
	c->conv2d.pad_top = c->conv2d.pad_left = 1;
	c->conv2d.pad_bottom = c->conv2d.pad_right = 1;
	c->conv2d.groups = 1;
	c->conv2d.in_dtype = RM_NPU_DT_INT8;
	c->conv2d.out_dtype = RM_NPU_DT_UINT8;
	c->conv2d.in_zero_point = -7;
	c->conv2d.rq.mult = 1 << 30;
	c->conv2d.rq.shift = -9;
	c->conv2d.rq.zero_point = 128;
	c->conv2d.rq.act_max = 255;
	job_buf(&j, &c->conv2d.in, 12 * 12 * 16);
	job_buf(&j, &c->conv2d.weights, 80 * 9 * 16);
	job_buf(&j, &c->conv2d.out, 12 * 12 * 80);
	fused_check(&j, true);
	job_free(&j);

	/* POOL2D max 1x32x32x64, 3x3 pad 1: 590k ops */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_POOL2D;
	c->pool2d.mode = RM_NPU_POOL_MAX;
	c->pool2d.batch = 1;
	c->pool2d.in_h = c->pool2d.in_w = 32;
	c->pool2d.c = 130;
	c->pool2d.out_h = c->pool2d.out_w = 32;
	c->pool2d.k_h = c->pool2d.k_w = 3;
	c->pool2d.stride_h = c->pool2d.stride_w = 1;
	c->pool2d.pad_top = c->pool2d.pad_left = 1;
	c->pool2d.pad_bottom = c->pool2d.pad_right = 1;
	c->pool2d.dtype = RM_NPU_DT_UINT8;
	c->pool2d.act_max = 255;
	job_buf(&j, &c->pool2d.in, 32 * 32 * 130);
	job_buf(&j, &c->pool2d.out, 32 * 32 * 130);
	fused_check(&j, true);
	job_free(&j);

	/* ELTWISE 80x4096, FILL, LUT and COPY of 300k elements */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_ELTWISE;
	c->eltwise.op = RM_NPU_ELT_SUB;
	c->eltwise.dtype = RM_NPU_DT_INT8;
	c->eltwise.rows = 80;
	c->eltwise.cols = 4096;
	c->eltwise.out_row_stride = 4096;
	job_buf(&j, &c->eltwise.out, 80 * 4096);
	job_buf(&j, &c->eltwise.a.ref, 80 * 4096);
	c->eltwise.a.row_stride = 4096;
	c->eltwise.a.col_stride = 1;
	c->eltwise.a.zero_point = 5;
	c->eltwise.a.mult = 1 << 30;
	c->eltwise.a.shift = -1;
	job_buf(&j, &c->eltwise.b.ref, 4096);
	c->eltwise.b.col_stride = 1;
	c->eltwise.b.zero_point = -128;
	c->eltwise.b.mult = INT32_MAX;
	c->eltwise.b.shift = -2;
	c->eltwise.rq.mult = 1 << 30;
	c->eltwise.rq.shift = -20;
	c->eltwise.rq.act_min = -100;
	c->eltwise.rq.act_max = 100;
	c = job_add(&j);
	c->opcode = RM_NPU_OP_FILL;
	c->fill.count = 300000;
	c->fill.elem_size = 1;
	c->fill.value = 0x5c;
	job_buf(&j, &c->fill.dst, 300001);
	c->fill.dst.offset = 1;
	c = job_add(&j);
	c->opcode = RM_NPU_OP_LUT;
	c->lut.dtype = RM_NPU_DT_INT8;
	c->lut.count = 300000;
	job_buf(&j, &c->lut.in, 300000);
	job_buf(&j, &c->lut.table, 256);
	job_buf(&j, &c->lut.out, 300000);
	c = job_add(&j);
	c->opcode = RM_NPU_OP_COPY;
	c->copy.elem_size = 1;
	c->copy.dims[0] = c->copy.dims[1] = 1;
	c->copy.dims[2] = 6;
	c->copy.dims[3] = 50000;
	c->copy.src_stride[2] = 50000;
	c->copy.src_stride[3] = 1;
	c->copy.dst_stride[2] = 50001;
	c->copy.dst_stride[3] = 1;
	job_buf(&j, &c->copy.src, 300000);
	job_buf(&j, &c->copy.dst, 300006);
	fused_check(&j, true);
	job_free(&j);

	/*
	 * A COPY of 300k elements that transposes (NCHW -> NHWC, 48 x 6250):
	 * each half of its units would write every cache line of the
	 * destination, so it runs on one PE (npu_cmd_split_ok()).
	 */
	c = job_add(&j);
	c->opcode = RM_NPU_OP_COPY;
	c->copy.elem_size = 1;
	c->copy.dims[0] = c->copy.dims[1] = 1;
	c->copy.dims[2] = 48;
	c->copy.dims[3] = 6250;
	c->copy.src_stride[2] = 6250;
	c->copy.src_stride[3] = 1;
	c->copy.dst_stride[2] = 1;
	c->copy.dst_stride[3] = 48;
	job_buf(&j, &c->copy.src, 300000);
	job_buf(&j, &c->copy.dst, 300000);
	fused_check(&j, false);
	job_free(&j);
}

/* GEMM, CONV2D and POOL2D of the generators can reach the threshold. */
static bool may_split(const struct rm_npu_cmd *c)
{
	return c->opcode >= RM_NPU_OP_GEMM && c->opcode <= RM_NPU_OP_POOL2D;
}

/* Random small jobs (below the split threshold: pe1 gets nothing). */
static void test_fused_small(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < iters(30); i++) {
		struct job j = { 0 };

		job_gen(&j, npu_rr(RM_NPU_OP_FILL, RM_NPU_OP_LUT));
		job_gen(&j, npu_rr(RM_NPU_OP_FILL, RM_NPU_OP_LUT));
		if (may_split(&j.cmd[0]) || may_split(&j.cmd[1])) {
			/* could reach the threshold: no claim about pe1 */
			struct npu_world want;
			int fd;

			npu_world_pad(&j.w);
			job_reference(&j, &want);
			fd = npu_open(FUSED_NODE);
			job_run_check(fd, &j, &want, NULL);
			close(fd);
			npu_w_free(&want);
		} else {
			fused_check(&j, false);
		}
		job_free(&j);
	}
}

/*
 * The binary32 rescale modes (contract 3.4, 6.1): the capability bit is
 * reported, and random F32 GEMM, CONV2D and ELTWISE commands (ADD with each
 * SCALAR variant, MUL) give the reference's bytes.
 */
static void test_f32(void **state)
{
	static const u32 ops[] = {
		RM_NPU_OP_GEMM, RM_NPU_OP_CONV2D, RM_NPU_OP_ELTWISE,
	};
	struct rm_npu_info info;
	int fd = npu_open(PE_NODE);
	unsigned int i;

	(void)state;
	npu_get_info(fd, &info);
	assert_true(info.fw_caps & RM_NPU_CAP_F32_RESCALE);
	for (i = 0; i < iters(60); i++) {
		struct job j = { 0 };
		struct rm_npu_cmd *c = job_add(&j);
		u32 op = ops[i % 3];

		if (op == RM_NPU_OP_ELTWISE)
			npu_gen_elt_f32(c, &j.w);
		else
			npu_gen_mm_f32(c, &j.w, op);
		job_check(fd, &j);
		job_free(&j);
	}
	close(fd);
}

int main(void)
{
	const char *sc = getenv("RM_NPU_TEST_SCALE");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_nop, npu_close_fds),
		cmocka_unit_test_teardown(test_fill, npu_close_fds),
		cmocka_unit_test_teardown(test_copy, npu_close_fds),
		cmocka_unit_test_teardown(test_gemm, npu_close_fds),
		cmocka_unit_test_teardown(test_conv, npu_close_fds),
		cmocka_unit_test_teardown(test_pool, npu_close_fds),
		cmocka_unit_test_teardown(test_eltwise, npu_close_fds),
		cmocka_unit_test_teardown(test_lut, npu_close_fds),
		cmocka_unit_test_teardown(test_f32, npu_close_fds),
		cmocka_unit_test_teardown(test_gemm_edges, npu_close_fds),
		cmocka_unit_test_teardown(test_conv_edges, npu_close_fds),
		cmocka_unit_test_teardown(test_misc_edges, npu_close_fds),
		cmocka_unit_test_teardown(test_multi_dependent, npu_close_fds),
		cmocka_unit_test_teardown(test_multi_repeat, npu_close_fds),
		cmocka_unit_test_teardown(test_runtime_error, npu_close_fds),
		cmocka_unit_test_teardown(test_queued, npu_close_fds),
		cmocka_unit_test_teardown(test_fused_big, npu_close_fds),
		cmocka_unit_test_teardown(test_fused_small, npu_close_fds),
	};

	if (sc && *sc)
		scale_pct = (unsigned int)strtoul(sc, NULL, 0);
	npu_vm_seed("test_cmds", 0x5eed0001c0ffee01ULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
