// SPDX-License-Identifier: MIT
/*
 * test_gpu_ops: the GPU backend ("cuda:N") against the naive references
 * of tests/common/npu_ref.c, command by command: random valid commands of
 * every opcode (tests/common generators: edge dimensions, extreme zero
 * points, multipliers, shifts, per-channel pairs), run as one-command jobs
 * on the device; every byte of every buffer must equal the reference's
 * (bytes a command does not write must stay as they were), and a command
 * the reference refuses at run time (per-channel pair out of range) must
 * fail with -EINVAL. The same for the binary32 rescale modes
 * (RM_NPU_MM_F32_SCALE per tensor and per channel on GEMM and CONV2D,
 * RM_NPU_ELT_F32 ADD with each SCALAR variant and MUL), including binary32
 * per-channel scales out of range. Model-like depthwise CONV2Ds (3x3 and
 * 5x5, channels in fours, input aligned: the GPU's k_dw3/k_dw5) and
 * pointwise ones of K <= 32 (k_pw, mostly biases its fast path
 * takes), RGB stems (dense, 3 input channels, the input at any byte
 * offset: the implicit GEMM's gather of 3 * k_w-byte rows), NCHW to NHWC
 * byte COPYs (k_copy's word stores) and GEMMs of few rows and long K
 * (k_mm_sk), one command and batched. Then the backend's own errors: a
 * command invalid for its buffers is refused by the shared validator
 * before anything runs. Batched jobs (what a runner's batch becomes on a
 * GPU): one command over 2..13 items, each item's data operands and
 * outputs its own at an odd stride (any alignment), the other operands
 * shared (stride 0), every item equal to the reference run on its own.
 *
 *   test_gpu_ops [-d SPEC] [-n ITERS_PER_OPCODE]
 *
 * Environment: RM_NPU_TEST_SEED (printed). Exit status 0 all equal, 1 a
 * mismatch (the first is described), 77 no usable GPU (skipped, with the
 * reason).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "npu_ref.h"
#include "program.h"

static const char *const op_names[RM_NPU_OP_COUNT] = {
	"NOP", "FILL", "COPY", "GEMM", "CONV2D", "POOL2D", "ELTWISE", "LUT",
};

/* Run @cmd over @w's buffers on @dev; @w receives the results. */
static int run_on(npurt_device *dev, const struct rm_npu_cmd *cmd,
		  struct npu_world *w)
{
	struct npurt_mem mem[NPU_WORLD_MAX_BOS];
	uint8_t *bases[NPU_WORLD_MAX_BOS];
	uint64_t sizes[NPU_WORLD_MAX_BOS], dptrs[NPU_WORLD_MAX_BOS];
	uint8_t where[NPU_WORLD_MAX_BOS];
	uint32_t slots[NPU_WORLD_MAX_BOS];
	struct npurt_job job;
	unsigned int i, n = 0;
	int ret = 0;

	memset(mem, 0, sizeof(mem));
	for (i = 0; i < w->n && !ret; i++, n++) {
		ret = npurt_dev_mem_alloc(dev, w->size[i] ? w->size[i] : 1,
					  &mem[i]);
		if (ret)
			break;
		memcpy(mem[i].ptr, w->buf[i], w->size[i]);
		bases[i] = mem[i].ptr;
		sizes[i] = w->size[i];
		dptrs[i] = mem[i].dptr;
		where[i] = NPURT_GPU_HOST;
		slots[i] = i;
	}
	memset(&job, 0, sizeof(job));
	job.cmds = cmd;
	job.num_cmds = 1;
	job.num_bufs = w->n;
	job.bases = bases;
	job.sizes = sizes;
	job.dptrs = dptrs;
	job.where = where;
	if (!ret)
		ret = dev->ops->run(dev, &job);
	if (!ret)
		ret = dev->ops->sync_host(dev, &job, slots, w->n);
	for (i = 0; i < n; i++) {
		if (!ret)
			memcpy(w->buf[i], mem[i].ptr, w->size[i]);
		npurt_dev_mem_free(dev, &mem[i]);
	}
	return ret;
}

/*
 * Run @cmd once over @items worlds on @dev as one batched job: buffer b of
 * item j at j * stride[b] (0: @ws[0]'s, shared). Every world receives its
 * results.
 */
static int run_batch_on(npurt_device *dev, const struct rm_npu_cmd *cmd,
			struct npu_world *ws, unsigned int items,
			const u64 *stride)
{
	struct npurt_mem mem[NPU_WORLD_MAX_BOS];
	uint8_t *bases[NPU_WORLD_MAX_BOS];
	uint64_t sizes[NPU_WORLD_MAX_BOS], dptrs[NPU_WORLD_MAX_BOS];
	uint8_t where[NPU_WORLD_MAX_BOS];
	uint32_t slots[NPU_WORLD_MAX_BOS];
	struct npu_world *w = &ws[0];
	struct npurt_job job;
	unsigned int i, j, n = 0;
	int ret = 0;

	memset(mem, 0, sizeof(mem));
	for (i = 0; i < w->n && !ret; i++, n++) {
		u64 span = stride[i] * (items - 1) + w->size[i];

		ret = npurt_dev_mem_alloc(dev, span ? span : 1, &mem[i]);
		if (ret)
			break;
		for (j = 0; j < items; j++)
			memcpy(mem[i].ptr + j * stride[i], ws[j].buf[i],
			       w->size[i]);
		bases[i] = mem[i].ptr;
		sizes[i] = w->size[i];
		dptrs[i] = mem[i].dptr;
		where[i] = NPURT_GPU_HOST;
		slots[i] = i;
	}
	memset(&job, 0, sizeof(job));
	job.cmds = cmd;
	job.num_cmds = 1;
	job.num_bufs = w->n;
	job.bases = bases;
	job.sizes = sizes;
	job.dptrs = dptrs;
	job.where = where;
	job.items = items;
	job.strides = stride;
	if (!ret)
		ret = dev->ops->run(dev, &job);
	if (!ret)
		ret = dev->ops->sync_host(dev, &job, slots, w->n);
	for (i = 0; i < n; i++) {
		for (j = 0; !ret && j < items; j++)
			memcpy(ws[j].buf[i], mem[i].ptr + j * stride[i],
			       w->size[i]);
		npurt_dev_mem_free(dev, &mem[i]);
	}
	return ret;
}

static void describe(const struct rm_npu_cmd *cmd)
{
	const struct rm_npu_cmd_gemm *g = &cmd->gemm;
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;

	if (cmd->opcode == RM_NPU_OP_GEMM)
		fprintf(stderr, "  gemm m %u n %u k %u lda %u ldb %u ldo %u "
			"a_dt %u out_dt %u za %d zb %d flags %#x rq %#x %d\n",
			g->m, g->n, g->k, g->lda, g->ldb, g->ldo, g->a_dtype,
			g->out_dtype, g->a_zero_point, g->b_zero_point,
			cmd->flags, g->rq.mult, g->rq.shift);
	if (cmd->opcode == RM_NPU_OP_CONV2D)
		fprintf(stderr, "  conv b %u in %ux%ux%u out %ux%ux%u k %ux%u "
			"s %u,%u d %u,%u pad %u,%u,%u,%u groups %u zx %d zw %d "
			"flags %#x\n", c->batch, c->in_h, c->in_w, c->in_c,
			c->out_h, c->out_w, c->out_c, c->k_h, c->k_w,
			c->stride_h, c->stride_w, c->dil_h, c->dil_w,
			c->pad_top, c->pad_left, c->pad_bottom, c->pad_right,
			c->groups, c->in_zero_point, c->w_zero_point,
			cmd->flags);
	if (cmd->opcode == RM_NPU_OP_ELTWISE)
		fprintf(stderr, "  eltwise op %u %ux%u dt %u flags %#x a %#x "
			"zp %d b %#x zp %d rq %#x %d [%d, %d]\n",
			cmd->eltwise.op, cmd->eltwise.rows, cmd->eltwise.cols,
			cmd->eltwise.dtype, cmd->flags, cmd->eltwise.a.mult,
			cmd->eltwise.a.zero_point, cmd->eltwise.b.mult,
			cmd->eltwise.b.zero_point, cmd->eltwise.rq.mult,
			cmd->eltwise.rq.zero_point, cmd->eltwise.rq.act_min,
			cmd->eltwise.rq.act_max);
}

enum gen_kind {
	GEN_PLAIN,	/* the generator of the opcode */
	GEN_BIG,	/* GEMM up to 700 x 2000: many tiles */
	GEN_F32,	/* binary32 modes (GEMM, CONV2D, ELTWISE) */
	GEN_F32_BIG,	/* GEMM up to 700 x 2000 with a binary32 scale */
	GEN_F32_BAD,	/* GEMM/CONV2D, one binary32 per-channel pair bad */
	GEN_DW,		/* CONV2D: model-like depthwise (k_dw3, k_dw5) */
	GEN_PW,		/* CONV2D: model-like pointwise (whole GEMM tiles) */
	GEN_PW_SMALL,	/* CONV2D: pointwise of K <= 32, binary32 (k_pw) */
	GEN_PW_WIDE,	/* CONV2D: pointwise of K in 48..1024 (k_pwk) */
	GEN_COPY_T,	/* COPY: NCHW to NHWC bytes, model-like (dense8) */
	GEN_SK,		/* GEMM: few rows, long K (k_mm_sk), binary32 half */
	GEN_STEM,	/* CONV2D: RGB stems (3 channels, input at any offset) */
};

/* Per-channel pairs the binary32 mode refuses at execution. */
/*
 * A model's input transpose: NCHW bytes to NHWC (the destination dense,
 * mostly 8-aligned: the GPU's word-store path), now and then 2-byte
 * elements or an odd offset (the generic path).
 */
static void gen_copy_t(struct rm_npu_cmd *cmd, struct npu_world *w)
{
	struct rm_npu_cmd_copy *c = &cmd->copy;
	u32 n = npu_rr(1, 2), ch = npu_rr(1, 8), h = npu_rr(1, 40);
	u32 wd = npu_rr(1, 70), es = npu_coin(90) ? 1 : 2;
	u64 ext = (u64)n * ch * h * wd * es;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = RM_NPU_OP_COPY;
	c->elem_size = es;
	c->dims[0] = n;
	c->dims[1] = ch;
	c->dims[2] = h;
	c->dims[3] = wd;
	c->src_stride[3] = es;
	c->src_stride[2] = (u64)wd * es;
	c->src_stride[1] = (u64)h * wd * es;
	c->src_stride[0] = (u64)ch * h * wd * es;
	c->dst_stride[1] = es;
	c->dst_stride[3] = (u64)ch * es;
	c->dst_stride[2] = (u64)wd * ch * es;
	c->dst_stride[0] = (u64)h * wd * ch * es;
	npu_place(w, &c->src, ext);
	c->dst.bo = npu_w_add(w, ext + 8);
	c->dst.offset = npu_coin(80) ? 0 : npu_rr(1, 8);
}

static void gen(struct rm_npu_cmd *cmd, struct npu_world *w, u32 op,
		enum gen_kind kind)
{
	const struct rm_npu_ref *q;
	u32 nch, col;

	switch (kind) {
	case GEN_BIG:
		npu_gen_gemm(cmd, w, 700, 2000);
		return;
	case GEN_DW:
		npu_gen_dw(cmd, w);
		return;
	case GEN_STEM:
		npu_gen_stem(cmd, w);
		return;
	case GEN_COPY_T:
		gen_copy_t(cmd, w);
		return;
	case GEN_SK:
		npu_gen_gemm_mnk(cmd, w, npu_rr(1, 140), npu_rr(1, 300),
				 npu_rr(500, 2100));
		if (cmd->gemm.out_dtype != RM_NPU_DT_INT32 && npu_coin(50))
			npu_to_f32_mm(cmd, w);
		return;
	case GEN_PW:
	case GEN_PW_SMALL:
	case GEN_PW_WIDE:
		npu_gen_pw(cmd, w, kind == GEN_PW_SMALL ? NPU_PW_SMALL :
			   kind == GEN_PW_WIDE ? NPU_PW_WIDE : NPU_PW_ANY);
		return;
	case GEN_F32_BIG:
		do {
			npu_w_free(w);
			memset(w, 0, sizeof(*w));
			npu_gen_gemm(cmd, w, 700, 2000);
		} while (cmd->gemm.out_dtype == RM_NPU_DT_INT32);
		npu_to_f32_mm(cmd, w);
		return;
	case GEN_F32:
		if (op == RM_NPU_OP_ELTWISE)
			npu_gen_elt_f32(cmd, w);
		else
			npu_gen_mm_f32(cmd, w, op);
		return;
	case GEN_F32_BAD:
		do {
			npu_gen_mm_f32(cmd, w, op);
		} while (!(cmd->flags & RM_NPU_MM_PER_CHANNEL));
		nch = op == RM_NPU_OP_CONV2D ? cmd->conv2d.out_c : cmd->gemm.n;
		q = op == RM_NPU_OP_CONV2D ? &cmd->conv2d.quant :
					     &cmd->gemm.quant;
		col = npu_rr(0, nch - 1);
		npu_f32_bad_pair(npu_at(w, q) + 8 * col);
		return;
	default:
		npu_gen_any(cmd, w, op);
	}
}

/* One random command of @op. Return: 0 equal, 1 mismatch. */
static int check_one(npurt_device *dev, u32 op, unsigned int iter,
		     enum gen_kind kind)
{
	struct npu_world w = { 0 }, ref = { 0 };
	struct rm_npu_cmd cmd;
	int want, got, bad = 0;
	u32 i;
	u64 j;

	gen(&cmd, &w, op, kind);
	npu_w_clone(&ref, &w);
	want = npu_ref_exec(&cmd, ref.buf);
	got = run_on(dev, &cmd, &w);
	if (kind == GEN_F32_BAD && want != -EINVAL) {
		fprintf(stderr, "FAIL %s #%u: the reference accepts a bad "
			"binary32 pair (%d)\n", op_names[op], iter, want);
		bad = 1;
	}
	if (want != got) {
		fprintf(stderr, "FAIL %s #%u: reference %d, %s %d (%s)\n",
			op_names[op], iter, want, dev->info.name, got,
			npurt_last_error());
		bad = 1;
	}
	for (i = 0; !want && !bad && i < w.n; i++) {
		for (j = 0; j < w.size[i] && w.buf[i][j] == ref.buf[i][j]; j++)
			;
		if (j < w.size[i]) {
			fprintf(stderr, "FAIL %s #%u: buffer %u byte %llu of "
				"%llu: got 0x%02x, reference 0x%02x\n",
				op_names[op], iter, i, (unsigned long long)j,
				(unsigned long long)w.size[i], w.buf[i][j],
				ref.buf[i][j]);
			bad = 1;
		}
	}
	if (bad)
		describe(&cmd);
	npu_w_free(&w);
	npu_w_free(&ref);
	return bad;
}

/* The operands of @cmd that are data (the others: parameters, tables). */
static unsigned int data_refs(const struct rm_npu_cmd *cmd,
			      const struct rm_npu_ref **r)
{
	switch (cmd->opcode) {
	case RM_NPU_OP_GEMM:
		r[0] = &cmd->gemm.a;
		r[1] = &cmd->gemm.b;
		return 2;
	case RM_NPU_OP_CONV2D:
		r[0] = &cmd->conv2d.in;
		r[1] = &cmd->conv2d.weights;
		return 2;
	case RM_NPU_OP_POOL2D:
		r[0] = &cmd->pool2d.in;
		return 1;
	case RM_NPU_OP_ELTWISE:
		r[0] = &cmd->eltwise.a.ref;
		r[1] = &cmd->eltwise.b.ref;
		return 2;
	case RM_NPU_OP_LUT:
		r[0] = &cmd->lut.in;
		return 1;
	case RM_NPU_OP_COPY:
		r[0] = &cmd->copy.src;
		return 1;
	default:
		return 0;
	}
}

/*
 * One random command of @op over 2..13 items as one job: the buffers it
 * writes and (mostly) its data operands are per item, with other random
 * bytes each, at a stride of their size plus 0..5; the rest are shared.
 * Return: 0 every item equal to its own reference run, 1 a mismatch.
 */
static int check_batch(npurt_device *dev, u32 op, unsigned int iter,
		       enum gen_kind kind)
{
	static const unsigned int counts[] = { 2, 3, 5, 7, 8, 13 };
	struct npu_world ws[13], ref[13];
	const struct rm_npu_ref *dr[2];
	struct rm_npu_ref *refs[5];
	bool writes[5], own[NPU_WORLD_MAX_BOS] = { false };
	u64 stride[NPU_WORLD_MAX_BOS];
	struct rm_npu_cmd cmd, tmp;
	unsigned int items, i, j, k, n;
	int want = 0, got, bad = 0;

	items = counts[npu_rr(0, NPURT_ARRAY_SIZE(counts) - 1)];
	memset(ws, 0, sizeof(ws));
	gen(&cmd, &ws[0], op, kind);
	tmp = cmd;
	n = npurt_cmd_refs(&tmp, refs, writes);
	for (k = 0; k < n; k++)
		if (writes[k])
			own[refs[k]->bo] = true;
	n = data_refs(&cmd, dr);
	for (k = 0; k < n; k++)
		if (npu_coin(75))
			own[dr[k]->bo] = true;
	for (i = 0; i < ws[0].n; i++)
		stride[i] = own[i] ? ws[0].size[i] + npu_rr(0, 5) : 0;
	for (j = 1; j < items; j++) {
		npu_w_clone(&ws[j], &ws[0]);
		for (i = 0; i < ws[j].n; i++)
			if (own[i])
				npu_fill_random(ws[j].buf[i], ws[j].size[i]);
	}
	for (j = 0; j < items; j++) {
		npu_w_clone(&ref[j], &ws[j]);
		got = npu_ref_exec(&cmd, ref[j].buf);
		want = want ? want : got;
	}
	got = run_batch_on(dev, &cmd, ws, items, stride);
	if (want != got) {
		fprintf(stderr, "FAIL %s batch #%u (%u items): reference %d, "
			"%s %d (%s)\n", op_names[op], iter, items, want,
			dev->info.name, got, npurt_last_error());
		bad = 1;
	}
	for (j = 0; !want && !bad && j < items; j++) {
		for (i = 0; !bad && i < ws[j].n; i++) {
			u64 b;

			for (b = 0; b < ws[j].size[i] &&
			     ws[j].buf[i][b] == ref[j].buf[i][b]; b++)
				;
			if (b == ws[j].size[i])
				continue;
			fprintf(stderr, "FAIL %s batch #%u: item %u of %u, "
				"buffer %u (stride %llu) byte %llu of %llu: "
				"got 0x%02x, reference 0x%02x\n",
				op_names[op], iter, j, items, i,
				(unsigned long long)stride[i],
				(unsigned long long)b,
				(unsigned long long)ws[j].size[i],
				ws[j].buf[i][b], ref[j].buf[i][b]);
			bad = 1;
		}
	}
	if (bad)
		describe(&cmd);
	for (j = 0; j < items; j++) {
		npu_w_free(&ws[j]);
		npu_w_free(&ref[j]);
	}
	return bad;
}

/* A command invalid for its buffers never runs: -EINVAL, nothing written. */
static int check_invalid(npurt_device *dev)
{
	struct npu_world w = { 0 }, before = { 0 };
	struct rm_npu_cmd cmd;
	int ret, bad = 0;
	u32 i;

	npu_gen_gemm(&cmd, &w, 16, 16);
	cmd.gemm.out.offset += w.size[cmd.gemm.out.bo];	/* past its end */
	npu_w_clone(&before, &w);
	ret = run_on(dev, &cmd, &w);
	if (ret != -EINVAL) {
		fprintf(stderr, "FAIL invalid command: got %d, want -EINVAL\n",
			ret);
		bad = 1;
	}
	for (i = 0; i < w.n; i++)
		bad |= memcmp(w.buf[i], before.buf[i], w.size[i]) != 0;
	npu_w_free(&w);
	npu_w_free(&before);
	return bad;
}

int main(int argc, char **argv)
{
	const char *spec = "cuda:0";
	unsigned int iters = 300, it, fails = 0, done = 0;
	npurt_runtime *rt;
	npurt_device *dev;
	int opt, ret;
	u32 op;

	while ((opt = getopt(argc, argv, "d:n:")) != -1) {
		if (opt == 'd')
			spec = optarg;
		else if (opt == 'n')
			iters = (unsigned int)strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	ret = npurt_runtime_create(spec, &rt);
	if (ret == -ENODEV) {
		printf("SKIP test_gpu_ops: %s\n", npurt_last_error());
		return 77;
	}
	if (ret) {
		fprintf(stderr, "test_gpu_ops: %s: %s\n", spec,
			npurt_last_error());
		return 1;
	}
	dev = npurt_runtime_device(rt, 0);
	npu_seed_env("test_gpu_ops", 0x6a7e5eedULL);
	for (op = RM_NPU_OP_FILL; op < RM_NPU_OP_COUNT; op++) {
		unsigned int f = 0;

		bool mm = op == RM_NPU_OP_GEMM || op == RM_NPU_OP_CONV2D;
		bool f32 = mm || op == RM_NPU_OP_ELTWISE;

		for (it = 0; it < iters && f < 3; it++, done++)
			f += check_one(dev, op, it, GEN_PLAIN);
		for (it = 0; op == RM_NPU_OP_GEMM && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_one(dev, op, iters + it, GEN_BIG);
		for (it = 0; op == RM_NPU_OP_GEMM && it < iters / 5 && f < 3;
		     it++, done++)
			f += check_one(dev, op, 4 * iters + it, GEN_SK);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 3 && f < 3;
		     it++, done++)
			f += check_one(dev, op, iters + it, GEN_DW);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_one(dev, op, 2 * iters + it, GEN_PW);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 3 && f < 3;
		     it++, done++)
			f += check_one(dev, op, 3 * iters + it, GEN_PW_SMALL);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 3 && f < 3;
		     it++, done++)
			f += check_one(dev, op, 6 * iters + it, GEN_PW_WIDE);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 3 && f < 3;
		     it++, done++)
			f += check_one(dev, op, 5 * iters + it, GEN_STEM);
		for (it = 0; op == RM_NPU_OP_COPY && it < iters / 3 && f < 3;
		     it++, done++)
			f += check_one(dev, op, iters + it, GEN_COPY_T);
		printf("%s %s: %s\n", dev->info.name, op_names[op],
		       f ? "FAIL" : "ok");
		fails += f;
		f = 0;
		for (it = 0; it < iters / 10 && f < 3; it++, done++)
			f += check_batch(dev, op, it, GEN_PLAIN);
		for (it = 0; f32 && it < iters / 10 && f < 3; it++, done++)
			f += check_batch(dev, op, iters + it, GEN_F32);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_batch(dev, op, 2 * iters + it, GEN_DW);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_batch(dev, op, 3 * iters + it, GEN_PW);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_batch(dev, op, 4 * iters + it, GEN_PW_SMALL);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_batch(dev, op, 6 * iters + it, GEN_PW_WIDE);
		for (it = 0; op == RM_NPU_OP_CONV2D && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_batch(dev, op, 5 * iters + it, GEN_STEM);
		for (it = 0; op == RM_NPU_OP_COPY && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_batch(dev, op, 2 * iters + it, GEN_COPY_T);
		for (it = 0; op == RM_NPU_OP_GEMM && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_batch(dev, op, 2 * iters + it, GEN_SK);
		printf("%s %s batched: %s\n", dev->info.name, op_names[op],
		       f ? "FAIL" : "ok");
		fails += f;
		if (!f32)
			continue;
		f = 0;
		for (it = 0; it < iters && f < 3; it++, done++)
			f += check_one(dev, op, it, GEN_F32);
		for (it = 0; op == RM_NPU_OP_GEMM && it < iters / 10 && f < 3;
		     it++, done++)
			f += check_one(dev, op, iters + it, GEN_F32_BIG);
		for (it = 0; mm && it < iters / 10 && f < 3; it++, done++)
			f += check_one(dev, op, 2 * iters + it, GEN_F32_BAD);
		printf("%s %s binary32: %s\n", dev->info.name, op_names[op],
		       f ? "FAIL" : "ok");
		fails += f;
	}
	fails += check_invalid(dev);
	npurt_runtime_destroy(rt);
	printf("test_gpu_ops: %u commands, %u failed\n", done, fails);
	return fails ? 1 : 0;
}
