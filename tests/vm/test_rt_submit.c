// SPDX-License-Identifier: MIT
/*
 * test_rt_submit.c - libnpurt's submission to the NPU (issue #11 item 4):
 * a program longer than one job (max_cmds) runs as one SUBMIT_BATCH and
 * gives the CPU's bytes on one PE and on the fused pair; a command failing
 * while it runs in the third job is reported with its index in the whole
 * program, as on the CPU; the runtime leaves no job or buffer behind.
 */
#include "test_util.h"

#include <npurt.h>

#define N		4096		/* bytes of the input and the output */
#define FILLS		9000		/* > 2 * max_cmds: three jobs */

static void must(int ret, const char *what)
{
	if (ret)
		fail_msg("%s: %s (%s)", what, npurt_strerror(ret),
			 npurt_last_error());
}

static void add(npurt_program_builder *b, const struct rm_npu_cmd *c)
{
	int ret = npurt_program_builder_add_cmd(b, c);

	must(ret < 0 ? ret : 0, "add_cmd");
}

static struct rm_npu_cmd fill(uint32_t slot, uint64_t off, uint64_t count,
			      uint32_t elem, uint32_t value)
{
	struct rm_npu_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_FILL;
	c.fill.dst.bo = slot;
	c.fill.dst.offset = off;
	c.fill.count = count;
	c.fill.elem_size = elem;
	c.fill.value = value;
	return c;
}

/*
 * y = overlapping FILLs in an order only a sequential run gets right, the
 * input copied over y's first 64 bytes by the last command; with @fail_at,
 * that command is instead a GEMM whose per-channel multipliers (-1, filled
 * into scratch just before) are invalid, so it fails when it runs.
 */
static npurt_model *build(uint32_t fail_at)
{
	struct npurt_tensor_info t = { .dtype = NPURT_DTYPE_UINT8, .ndim = 1,
				       .dims = { N }, .scale = 1.0f };
	npurt_program_builder *b;
	npurt_program *p;
	npurt_model *m;
	struct rm_npu_cmd c;
	uint32_t i;
	int x, y, s;

	must(npurt_program_builder_create("long", &b), "builder");
	t.name = "x";
	x = npurt_program_builder_add_input(b, &t);
	t.name = "y";
	y = npurt_program_builder_add_output(b, &t);
	s = npurt_program_builder_add_scratch(b, "s", N);
	assert_true(x >= 0 && y >= 0 && s >= 0);
	for (i = 0; i < FILLS; i++) {
		if (i == fail_at) {
			c = fill(s, 0, 16, 4, 0xffffffff);
			add(b, &c);
			memset(&c, 0, sizeof(c));
			c.opcode = RM_NPU_OP_GEMM;
			c.flags = RM_NPU_MM_PER_CHANNEL;
			c.gemm.a.bo = x;
			c.gemm.b.bo = x;
			c.gemm.b.offset = 64;
			c.gemm.quant.bo = s;
			c.gemm.out.bo = y;
			c.gemm.m = 8;
			c.gemm.n = 8;
			c.gemm.k = 8;
			c.gemm.lda = 8;
			c.gemm.ldb = 8;
			c.gemm.ldo = 8;
			c.gemm.a_dtype = RM_NPU_DT_INT8;
			c.gemm.out_dtype = RM_NPU_DT_INT8;
			c.gemm.rq.act_min = -128;
			c.gemm.rq.act_max = 127;
		} else {
			/* Word i % 1021 (odd strides: every word is hit). */
			c = fill(y, 4 * ((i * 7) % (N / 4 - 3)), 1 + i % 3, 4,
				 0x01000193u * (i + 1));
		}
		add(b, &c);
	}
	memset(&c, 0, sizeof(c));
	c.opcode = RM_NPU_OP_COPY;
	c.copy.src.bo = x;
	c.copy.dst.bo = y;
	for (i = 0; i < RM_NPU_COPY_DIMS; i++) {
		c.copy.dims[i] = 1;
		c.copy.src_stride[i] = 64;
		c.copy.dst_stride[i] = 64;
	}
	c.copy.dims[3] = 64;
	c.copy.src_stride[3] = 1;
	c.copy.dst_stride[3] = 1;
	c.copy.elem_size = 1;
	add(b, &c);
	must(npurt_program_builder_finish(b, &p), "finish");
	npurt_program_builder_destroy(b);
	must(npurt_model_from_program(p, &m), "model");
	npurt_program_destroy(p);
	return m;
}

/* Runs @m on @spec: its return, the output in @y. */
static int run(const char *spec, npurt_model *m, const uint8_t *xb,
	       uint8_t *y)
{
	npurt_runtime *rt;
	npurt_runner *r;
	npurt_tensor *in = NULL, *out = NULL;
	int ret;

	must(npurt_runtime_create(spec, &rt), spec);
	must(npurt_runner_create(rt, m, NULL, &r), spec);
	must(npurt_tensor_wrap(npurt_runner_input(r, 0), (void *)xb, N, &in),
	     "wrap x");
	must(npurt_tensor_wrap(npurt_runner_output(r, 0), y, N, &out),
	     "wrap y");
	ret = npurt_runner_run(r, &in, &out);
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	npurt_runner_destroy(r);
	npurt_runtime_destroy(rt);
	return ret;
}

static void test_long_program(void **state)
{
	static const char *const specs[] = { "npu0pe0", "warboy(2)*1" };
	static uint8_t xb[N], cpu[N], npu[N];
	npurt_model *m = build(~0u);
	unsigned int i;

	(void)state;
	for (i = 0; i < N; i++)
		xb[i] = (uint8_t)(i * 13 + 5);
	must(run("cpu", m, xb, cpu), "cpu");
	/* The last FILLs and the COPY are in the result. */
	assert_memory_equal(cpu, xb, 64);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		memset(npu, 0, sizeof(npu));
		must(run(specs[i], m, xb, npu), specs[i]);
		if (memcmp(cpu, npu, N))
			fail_msg("%s differs from cpu", specs[i]);
	}
	npurt_model_destroy(m);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
}

static void test_failing_command(void **state)
{
	static uint8_t xb[N], y[N];
	/* The GEMM lands at index 8501 (after its FILL): in the third job. */
	npurt_model *m = build(8500);
	char want[64];

	(void)state;
	memset(xb, 1, sizeof(xb));
	assert_int_equal(run("cpu", m, xb, y), -EINVAL);
	assert_int_equal(run("npu0pe0", m, xb, y), -EINVAL);
	snprintf(want, sizeof(want), "failed at command %u", 8501);
	if (!strstr(npurt_last_error(), want))
		fail_msg("npu0pe0: \"%s\" does not say \"%s\"",
			 npurt_last_error(), want);
	npurt_model_destroy(m);
	assert_int_equal(npu_mem_used(0), 0);
	assert_int_equal(npu_bo_count(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_long_program, npu_close_fds),
		cmocka_unit_test_teardown(test_failing_command, npu_close_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
