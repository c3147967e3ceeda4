// SPDX-License-Identifier: MIT
/*
 * cuda_api.c - loading the CUDA driver (libcuda.so.1) and NVRTC with
 * dlopen(), once per process, and resolving the entry points by their
 * versioned names (the _v2 ABI of the 64-bit memory calls).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "cuda_api.h"

static struct npurt_cuda cuda;
static struct npurt_nvrtc nvrtc;
static pthread_once_t cuda_once = PTHREAD_ONCE_INIT;
static pthread_once_t nvrtc_once = PTHREAD_ONCE_INIT;
static char cuda_why[256], nvrtc_why[512];
static bool cuda_ok, nvrtc_ok;

struct sym {
	const char *name;
	size_t off;
};

#define CU_SYM(f, n)	{ n, offsetof(struct npurt_cuda, f) }
#define RTC_SYM(f)	{ #f, offsetof(struct npurt_nvrtc, f) }

static const struct sym cuda_syms[] = {
	CU_SYM(cuInit, "cuInit"),
	CU_SYM(cuDriverGetVersion, "cuDriverGetVersion"),
	CU_SYM(cuDeviceGetCount, "cuDeviceGetCount"),
	CU_SYM(cuDeviceGet, "cuDeviceGet"),
	CU_SYM(cuDeviceGetName, "cuDeviceGetName"),
	CU_SYM(cuDeviceTotalMem, "cuDeviceTotalMem_v2"),
	CU_SYM(cuDeviceGetAttribute, "cuDeviceGetAttribute"),
	CU_SYM(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
	CU_SYM(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2"),
	CU_SYM(cuCtxSetCurrent, "cuCtxSetCurrent"),
	CU_SYM(cuModuleLoadData, "cuModuleLoadData"),
	CU_SYM(cuModuleUnload, "cuModuleUnload"),
	CU_SYM(cuModuleGetFunction, "cuModuleGetFunction"),
	CU_SYM(cuMemAlloc, "cuMemAlloc_v2"),
	CU_SYM(cuMemFree, "cuMemFree_v2"),
	CU_SYM(cuMemHostAlloc, "cuMemHostAlloc"),
	CU_SYM(cuMemFreeHost, "cuMemFreeHost"),
	CU_SYM(cuMemcpyHtoD, "cuMemcpyHtoD_v2"),
	CU_SYM(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"),
	CU_SYM(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"),
	CU_SYM(cuMemsetD8Async, "cuMemsetD8Async"),
	CU_SYM(cuStreamCreate, "cuStreamCreate"),
	CU_SYM(cuStreamDestroy, "cuStreamDestroy_v2"),
	CU_SYM(cuStreamSynchronize, "cuStreamSynchronize"),
	CU_SYM(cuLaunchKernel, "cuLaunchKernel"),
	CU_SYM(cuGetErrorString, "cuGetErrorString"),
};

/* Optional: without them jobs are launched kernel by kernel. */
static const struct sym cuda_graph_syms[] = {
	CU_SYM(cuStreamBeginCapture, "cuStreamBeginCapture_v2"),
	CU_SYM(cuStreamEndCapture, "cuStreamEndCapture"),
	CU_SYM(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags"),
	CU_SYM(cuGraphLaunch, "cuGraphLaunch"),
	CU_SYM(cuGraphExecDestroy, "cuGraphExecDestroy"),
	CU_SYM(cuGraphDestroy, "cuGraphDestroy"),
};

static const struct sym cuda_2d_syms[] = {
	CU_SYM(cuMemcpy2DAsync, "cuMemcpy2DAsync_v2"),
};

static const struct sym nvrtc_syms[] = {
	RTC_SYM(nvrtcVersion),
	RTC_SYM(nvrtcCreateProgram),
	RTC_SYM(nvrtcCompileProgram),
	RTC_SYM(nvrtcGetProgramLogSize),
	RTC_SYM(nvrtcGetProgramLog),
	RTC_SYM(nvrtcGetCUBINSize),
	RTC_SYM(nvrtcGetCUBIN),
	RTC_SYM(nvrtcDestroyProgram),
	RTC_SYM(nvrtcGetErrorString),
};

/* Resolve @n symbols of @lib into @table. Return: the missing one or NULL. */
static const char *resolve(void *lib, const struct sym *syms, size_t n,
			   void *table)
{
	size_t i;

	for (i = 0; i < n; i++) {
		void *f = dlsym(lib, syms[i].name);

		if (!f)
			return syms[i].name;
		memcpy((char *)table + syms[i].off, &f, sizeof(f));
	}
	return NULL;
}

static void cuda_load(void)
{
	const char *missing, *err;
	int count = 0;
	CUresult r;

	cuda.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!cuda.lib) {
		err = dlerror();
		snprintf(cuda_why, sizeof(cuda_why), "no NVIDIA driver (%s)",
			 err ? err : "libcuda.so.1 not found");
		return;
	}
	missing = resolve(cuda.lib, cuda_syms, NPURT_ARRAY_SIZE(cuda_syms),
			  &cuda);
	if (missing) {
		snprintf(cuda_why, sizeof(cuda_why), "NVIDIA driver too old: "
			 "libcuda.so.1 lacks %s", missing);
		return;
	}
	if (resolve(cuda.lib, cuda_graph_syms,
		    NPURT_ARRAY_SIZE(cuda_graph_syms), &cuda))
		cuda.cuStreamBeginCapture = NULL;	/* no graphs */
	if (resolve(cuda.lib, cuda_2d_syms, NPURT_ARRAY_SIZE(cuda_2d_syms),
		    &cuda))
		cuda.cuMemcpy2DAsync = NULL;
	r = cuda.cuInit(0);
	if (r == CUDA_SUCCESS)
		r = cuda.cuDeviceGetCount(&count);
	if (r != CUDA_SUCCESS) {
		snprintf(cuda_why, sizeof(cuda_why), "the NVIDIA driver did "
			 "not initialize: %s", npurt_cuda_strerror(r));
		return;
	}
	cuda_ok = true;
}

const struct npurt_cuda *npurt_cuda_get(void)
{
	pthread_once(&cuda_once, cuda_load);
	if (!cuda_ok) {
		npurt_err(-ENODEV, "cuda: %s", cuda_why);
		return NULL;
	}
	return &cuda;
}

const char *npurt_cuda_strerror(CUresult err)
{
	const char *s = NULL;

	if (cuda.cuGetErrorString && cuda.cuGetErrorString(err, &s) ==
	    CUDA_SUCCESS && s)
		return s;
	return "unknown CUDA error";
}

static void nvrtc_load(void)
{
	static const char *const names[] = {
		"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
		"/usr/local/cuda/lib64/libnvrtc.so",
	};
	const char *env = getenv("NPURT_NVRTC"), *missing;
	size_t i, used = 0;

	if (env && *env)
		nvrtc.lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
	for (i = 0; !nvrtc.lib && i < NPURT_ARRAY_SIZE(names); i++)
		nvrtc.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!nvrtc.lib) {
		used = (size_t)snprintf(nvrtc_why, sizeof(nvrtc_why),
					"NVRTC not found (tried %s", env &&
					*env ? env : "");
		for (i = 0; i < NPURT_ARRAY_SIZE(names) &&
		     used < sizeof(nvrtc_why); i++)
			used += (size_t)snprintf(nvrtc_why + used,
						 sizeof(nvrtc_why) - used,
						 "%s%s", i || (env && *env) ?
						 ", " : "", names[i]);
		if (used < sizeof(nvrtc_why))
			snprintf(nvrtc_why + used, sizeof(nvrtc_why) - used,
				 "; set NPURT_NVRTC to its path)");
		return;
	}
	missing = resolve(nvrtc.lib, nvrtc_syms, NPURT_ARRAY_SIZE(nvrtc_syms),
			  &nvrtc);
	if (missing) {
		snprintf(nvrtc_why, sizeof(nvrtc_why), "NVRTC lacks %s",
			 missing);
		return;
	}
	nvrtc_ok = true;
}

const struct npurt_nvrtc *npurt_nvrtc_get(void)
{
	pthread_once(&nvrtc_once, nvrtc_load);
	if (!nvrtc_ok) {
		npurt_err(-ENODEV, "cuda: %s", nvrtc_why);
		return NULL;
	}
	return &nvrtc;
}
