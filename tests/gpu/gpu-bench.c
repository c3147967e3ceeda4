// SPDX-License-Identifier: MIT
/*
 * gpu-bench: int8 GEMM M x N x K (default 4096^3, int32 output, as
 * torch._int_mm computes) on a GPU device of libnpurt, its operands
 * resident in device memory: one command per job, timed over REPS jobs
 * after WARMUP, each job ending in a stream synchronize.
 *
 *   gpu-bench [-d SPEC] [-m M] [-n N] [-k K] [-r REPS] [-w WARMUP]
 *
 * Prints "gemm_MxNxK_SPEC MS ms" and "... TOPS" lines. Exit status 0, 1 on
 * error, 77 without a usable GPU. Timings never fail it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

int main(int argc, char **argv)
{
	const char *spec = "cuda:0";
	unsigned int m = 4096, n = 4096, k = 4096, reps = 20, warm = 3, i;
	struct npurt_mem mem[3];
	uint8_t *bases[3], where[3] = { 0, 0, 0 };
	uint64_t sizes[3], dptrs[3];
	struct rm_npu_cmd cmd;
	struct npurt_job job;
	npurt_runtime *rt;
	npurt_device *dev;
	uint64_t t0, t1;
	int opt, ret;
	double ms;

	while ((opt = getopt(argc, argv, "d:m:n:k:r:w:")) != -1) {
		unsigned int v = (unsigned int)strtoul(optarg ? optarg : "0",
						       NULL, 0);

		switch (opt) {
		case 'd': spec = optarg; break;
		case 'm': m = v; break;
		case 'n': n = v; break;
		case 'k': k = v; break;
		case 'r': reps = v ? v : 1; break;
		case 'w': warm = v; break;
		default: return 2;
		}
	}
	ret = npurt_runtime_create(spec, &rt);
	if (ret == -ENODEV) {
		printf("# skipped: %s\n", npurt_last_error());
		return 77;
	}
	if (ret) {
		fprintf(stderr, "gpu-bench: %s\n", npurt_last_error());
		return 1;
	}
	dev = npurt_runtime_device(rt, 0);
	sizes[0] = (uint64_t)m * k;
	sizes[1] = (uint64_t)k * n;
	sizes[2] = (uint64_t)m * n * 4;
	for (i = 0; i < 3; i++) {
		ret = npurt_dev_mem_alloc(dev, sizes[i], &mem[i]);
		if (ret) {
			fprintf(stderr, "gpu-bench: %s\n", npurt_last_error());
			return 1;
		}
		bases[i] = mem[i].ptr;
		dptrs[i] = mem[i].dptr;
	}
	srand(1);
	for (i = 0; i < 2; i++) {
		uint64_t j;

		for (j = 0; j < sizes[i]; j++)
			mem[i].ptr[j] = (uint8_t)rand();
		npurt_gpu_upload(dev, &mem[i]);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = RM_NPU_OP_GEMM;
	cmd.gemm.a.bo = 0;
	cmd.gemm.b.bo = 1;
	cmd.gemm.out.bo = 2;
	cmd.gemm.m = m;
	cmd.gemm.n = n;
	cmd.gemm.k = k;
	cmd.gemm.lda = k;
	cmd.gemm.ldb = n;
	cmd.gemm.ldo = n;
	cmd.gemm.a_dtype = RM_NPU_DT_INT8;
	cmd.gemm.out_dtype = RM_NPU_DT_INT32;
	memset(&job, 0, sizeof(job));
	job.cmds = &cmd;
	job.num_cmds = 1;
	job.num_bufs = 3;
	job.bases = bases;
	job.sizes = sizes;
	job.dptrs = dptrs;
	job.where = where;
	for (i = 0; i < warm; i++)
		if ((ret = dev->ops->run(dev, &job)))
			break;
	t0 = npurt_now_ns();
	for (i = 0; i < reps && !ret; i++)
		ret = dev->ops->run(dev, &job);
	t1 = npurt_now_ns();
	if (ret) {
		fprintf(stderr, "gpu-bench: %s\n", npurt_last_error());
		return 1;
	}
	ms = (double)(t1 - t0) / 1e6 / reps;
	printf("gemm_%ux%ux%u_%s %.3f ms\n", m, n, k, spec, ms);
	printf("gemm_%ux%ux%u_%s %.1f TOPS\n", m, n, k, spec,
	       2.0 * m * n * k / (ms * 1e-3) / 1e12);
	for (i = 0; i < 3; i++)
		npurt_dev_mem_free(dev, &mem[i]);
	npurt_runtime_destroy(rt);
	return 0;
}
