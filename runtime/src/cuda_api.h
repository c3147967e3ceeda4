/* SPDX-License-Identifier: MIT */
/*
 * cuda_api.h - the parts of the CUDA driver API (libcuda.so.1) and of
 * NVRTC (libnvrtc.so) the GPU backend uses, loaded with dlopen() at run
 * time: libnpurt has no build-time CUDA dependency. The types and
 * constants are the driver API's published ABI, restated here.
 */
#ifndef NPURT_CUDA_API_H
#define NPURT_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;
typedef struct CUarray_st *CUarray;
typedef uint64_t CUdeviceptr;		/* unsigned long long: same ABI */
typedef int nvrtcResult;
typedef struct _nvrtcProgram *nvrtcProgram;

#define CUDA_SUCCESS				0
#define CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT	16
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR	75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR	76
#define CU_STREAM_NON_BLOCKING			0x1
#define CU_MEMHOSTALLOC_PORTABLE		0x1
#define CU_STREAM_CAPTURE_MODE_THREAD_LOCAL	1
#define NVRTC_SUCCESS				0
#define CU_MEMORYTYPE_HOST			1
#define CU_MEMORYTYPE_DEVICE			2

/* A strided copy: Height rows of WidthInBytes, each pitch apart. */
typedef struct {
	size_t srcXInBytes, srcY;
	int srcMemoryType;		/* CUmemorytype */
	const void *srcHost;
	CUdeviceptr srcDevice;
	CUarray srcArray;
	size_t srcPitch;
	size_t dstXInBytes, dstY;
	int dstMemoryType;
	void *dstHost;
	CUdeviceptr dstDevice;
	CUarray dstArray;
	size_t dstPitch;
	size_t WidthInBytes, Height;
} CUDA_MEMCPY2D;

struct npurt_cuda {
	void *lib;
	CUresult (*cuInit)(unsigned int flags);
	CUresult (*cuDriverGetVersion)(int *version);
	CUresult (*cuDeviceGetCount)(int *count);
	CUresult (*cuDeviceGet)(CUdevice *dev, int ordinal);
	CUresult (*cuDeviceGetName)(char *name, int len, CUdevice dev);
	CUresult (*cuDeviceTotalMem)(size_t *bytes, CUdevice dev);
	CUresult (*cuDeviceGetAttribute)(int *v, int attr, CUdevice dev);
	CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *ctx, CUdevice dev);
	CUresult (*cuDevicePrimaryCtxRelease)(CUdevice dev);
	CUresult (*cuCtxSetCurrent)(CUcontext ctx);
	CUresult (*cuModuleLoadData)(CUmodule *mod, const void *image);
	CUresult (*cuModuleUnload)(CUmodule mod);
	CUresult (*cuModuleGetFunction)(CUfunction *f, CUmodule mod,
					const char *name);
	CUresult (*cuMemAlloc)(CUdeviceptr *p, size_t bytes);
	CUresult (*cuMemFree)(CUdeviceptr p);
	CUresult (*cuMemHostAlloc)(void **p, size_t bytes, unsigned int flags);
	CUresult (*cuMemFreeHost)(void *p);
	CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void *src,
				 size_t bytes);
	CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void *src,
				      size_t bytes, CUstream s);
	CUresult (*cuMemcpyDtoHAsync)(void *dst, CUdeviceptr src,
				      size_t bytes, CUstream s);
	CUresult (*cuMemsetD8Async)(CUdeviceptr dst, unsigned char v,
				    size_t n, CUstream s);
	CUresult (*cuStreamCreate)(CUstream *s, unsigned int flags);
	CUresult (*cuStreamDestroy)(CUstream s);
	CUresult (*cuStreamSynchronize)(CUstream s);
	CUresult (*cuLaunchKernel)(CUfunction f, unsigned int gx,
				   unsigned int gy, unsigned int gz,
				   unsigned int bx, unsigned int by,
				   unsigned int bz, unsigned int shmem,
				   CUstream s, void **params, void **extra);
	CUresult (*cuGetErrorString)(CUresult err, const char **str);
	/* Graphs (CUDA 11.4+): NULL when the driver lacks one of them. */
	CUresult (*cuStreamBeginCapture)(CUstream s, int mode);
	CUresult (*cuStreamEndCapture)(CUstream s, CUgraph *graph);
	CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *exec, CUgraph g,
						unsigned long long flags);
	CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream s);
	CUresult (*cuGraphExecDestroy)(CUgraphExec exec);
	CUresult (*cuGraphDestroy)(CUgraph g);
	/* NULL when the driver lacks it: a copy per row instead. */
	CUresult (*cuMemcpy2DAsync)(const CUDA_MEMCPY2D *copy, CUstream s);
};

struct npurt_nvrtc {
	void *lib;
	nvrtcResult (*nvrtcVersion)(int *major, int *minor);
	nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram *p, const char *src,
					  const char *name, int num_headers,
					  const char *const *headers,
					  const char *const *include_names);
	nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram p, int num_opts,
					   const char *const *opts);
	nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram p, size_t *size);
	nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram p, char *log);
	nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram p, size_t *size);
	nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram p, char *cubin);
	nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram *p);
	const char *(*nvrtcGetErrorString)(nvrtcResult r);
};

/*
 * The driver, loaded and initialized once per process. Return: the table,
 * or NULL with the reason in npurt_last_error() (-ENODEV).
 */
const struct npurt_cuda *npurt_cuda_get(void);
/*
 * The NVRTC options the kernels are compiled with, after the architecture
 * option: binary32 without contraction, subnormals kept
 * (rm_npu_commands.md 6.1).
 */
#define NPURT_NVRTC_OPTS \
	"--std=c++17", "-default-device", "--fmad=false", "--ftz=false"

/* NVRTC, loaded once ($NPURT_NVRTC names the library to try first).
 * Return: the table, or NULL with the reason in npurt_last_error(). */
const struct npurt_nvrtc *npurt_nvrtc_get(void);
/* "CUDA_ERROR_OUT_OF_MEMORY: out of memory"-style text for @err. */
const char *npurt_cuda_strerror(CUresult err);

#endif /* NPURT_CUDA_API_H */
