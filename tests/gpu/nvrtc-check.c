// SPDX-License-Identifier: MIT
/*
 * nvrtc-check.c - compiles the GPU backend's CUDA C (gpu_params.h,
 * gpu_kernels.cu, gpu_steps.cu: the source libnpurt embeds) with NVRTC
 * for the architectures named (default sm_90), the options the runtime
 * uses (NPURT_NVRTC_OPTS), and prints each kernel's registers and spills (ptxas -v). Needs
 * NVRTC, not a GPU: a change to the kernels can be compiled where no GPU
 * is lent. Exit 0 compiled, 1 an error (the log printed), 77 no NVRTC.
 * With --cache, each architecture's CUBIN is also written to the compile
 * cache under the name a GPU's first use looks for, so that GPUs of
 * those architectures start without compiling (a lent GPU machine, a
 * fleet's image).
 *
 *   nvrtc-check [--cache] [sm_XY ...]  ($NPURT_NVRTC: the library to load)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_api.h"
#include "device.h"
#include "npurt.h"

#include "gpu_kernels_src.h"	/* generated: npurt_gpu_src[] */

/* One line per kernel from ptxas' report: name, registers, spills. */
static void print_usage(const char *log)
{
	const char *p = log, *q;
	char name[96] = "";

	while ((q = strstr(p, "ptxas"))) {
		const char *e = strchr(q, '\n');
		size_t n = e ? (size_t)(e - q) : strlen(q);
		char line[256];
		const char *s;
		int regs;

		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255), q);
		s = strstr(line, "entry function '");
		if (s)
			sscanf(s + 16, "%95[^']", name);
		s = strstr(line, "bytes stack frame");
		if (s && name[0]) {
			while (s > line && s[-1] != '.')
				s--;
			while (*s == ' ')
				s++;
			printf("  %-22s %s\n", name, s);
		}
		s = strstr(line, "Used ");
		if (s && sscanf(s, "Used %d registers", &regs) == 1 && name[0])
			printf("  %-22s %d registers\n", name, regs);
		p = e ? e + 1 : q + n;
	}
}

static int compile(const struct npurt_nvrtc *rtc, const char *arch)
{
	char opt[64];
	const char *opts[] = { opt, NPURT_NVRTC_OPTS, "-Xptxas", "-v" };
	nvrtcProgram prog;
	nvrtcResult r;
	size_t n = 0;
	char *log;

	snprintf(opt, sizeof(opt), "--gpu-architecture=%s", arch);
	r = rtc->nvrtcCreateProgram(&prog, npurt_gpu_src, "gpu_kernels.cu", 0,
				    NULL, NULL);
	if (r != NVRTC_SUCCESS) {
		printf("%s: nvrtcCreateProgram: %s\n", arch,
		       rtc->nvrtcGetErrorString(r));
		return 1;
	}
	r = rtc->nvrtcCompileProgram(prog, (int)(sizeof(opts) / sizeof(opts[0])),
				     opts);
	rtc->nvrtcGetProgramLogSize(prog, &n);
	log = calloc(1, n + 1);
	if (log)
		rtc->nvrtcGetProgramLog(prog, log);
	printf("%s: %s\n", arch, rtc->nvrtcGetErrorString(r));
	if (r == NVRTC_SUCCESS && log)
		print_usage(log);
	else if (log)
		printf("%s\n", log);
	free(log);
	rtc->nvrtcDestroyProgram(&prog);
	return r == NVRTC_SUCCESS ? 0 : 1;
}

/* sm_XY's CUBIN into the compile cache (npurt_gpu_precompile()). */
static int precompile(const char *arch)
{
	char path[640];
	int maj, min, ret;

	if (sscanf(arch, "sm_%1d%1d", &maj, &min) != 2) {
		printf("%s: not an architecture of the form sm_XY\n", arch);
		return 1;
	}
	ret = npurt_gpu_precompile(maj, min, path, sizeof(path));
	if (ret) {
		printf("%s: %s\n", arch, npurt_last_error());
		return 1;
	}
	printf("%s: cached as %s\n", arch, path);
	return 0;
}

int main(int argc, char **argv)
{
	const struct npurt_nvrtc *rtc = npurt_nvrtc_get();
	int maj = 0, min = 0, i = 1, bad = 0;
	bool cache = argc > 1 && !strcmp(argv[1], "--cache");

	if (!rtc) {
		printf("nvrtc-check: skipped: %s\n", npurt_last_error());
		return 77;
	}
	rtc->nvrtcVersion(&maj, &min);
	printf("NVRTC %d.%d\n", maj, min);
	if (cache)
		i++;
	if (i == argc)
		return cache ? precompile("sm_90") : compile(rtc, "sm_90");
	for (; i < argc; i++)
		bad |= cache ? precompile(argv[i]) : compile(rtc, argv[i]);
	return bad;
}
