// SPDX-License-Identifier: MIT
/*
 * gpu_backend.c - CUDA GPUs as devices ("cuda:N"): the driver and NVRTC
 * loaded at run time (cuda_api.c), the kernels of gpu_kernels.cu compiled
 * for the GPU's architecture on first use and kept in the compile cache,
 * device memory with a pinned host shadow per allocation, one stream per
 * calling thread (each runner worker), and jobs run command by command:
 * validated by the shared validator (npu_cmd_validate()), slots uploaded
 * when their host shadow is newer, one kernel launch per command; a job
 * of several commands is captured as a CUDA graph the first time and
 * replayed when the same commands run on the same slots again (one
 * launch, no validation: the commands and slot sizes compare equal, so
 * validation would give the same answer; NPURT_GPU_GRAPHS=0 turns it
 * off). A job may carry several batch items (batch_jobs): each command is
 * validated once (the items share the layout) and launched once for all
 * of them, blockIdx.z being the item (a plain GEMM with shared weights may
 * fold the items into its rows instead; NPURT_GPU_FOLD=0 turns that off),
 * and a slot moves between host and device as one copy of all its items.
 * GEMM tiles come in four widths (gpu_mm_width(); NPURT_GPU_NARROW=0:
 * the widest only; NPURT_GPU_MM_WIDTH=0..3, for measuring: that one of
 * 128, 64, 32, 16 always), on the tensor cores from sm_80 on (mma.sync int8;
 * NPURT_GPU_TC=0: dp4a on the CUDA cores; their 8-bit outputs staged
 * in shared memory and stored in whole rows, NPURT_GPU_MM_STAGE=0: byte
 * by byte from the registers) and depthwise 3x3/5x5 has a
 * kernel of its own (gpu_dw_ok(); NPURT_GPU_DW=0: the generic one), as
 * has a pointwise convolution of K <= 32 (gpu_pw_ok(); NPURT_GPU_PW=0:
 * the GEMM kernels) and of larger K (gpu_pwk_fits(); NPURT_GPU_PWK=0:
 * the GEMM kernels) and a GEMM of few rows and long K (k_mm_sk, its K
 * split over a block's warps; NPURT_GPU_SK=0: the GEMM kernels);
 * the CPU steps QUANTIZE, DEQUANTIZE, the element-wise ones, the
 * binary32 CONV in SGEMM order, LAYER_NORM, QLINEAR_SOFTMAX, SOFTMAX and
 * LOG_SOFTMAX run on the GPU (gpu_steps.cu; the other steps on the host)
 * unless their input's newer bytes are in pageable host memory
 * (gpu_run_step(); NPURT_GPU_STEPS=1: always, 0: never). Results equal
 * the CPU backend's byte for byte (the kernels follow
 * uapi/rm_npu_commands.md exactly), but for the steps the program format
 * defines by a math function (gpu_step_libm()): those are within 1-2
 * units in the last place, as two math libraries are; NPURT_GPU_LIBM=0
 * keeps them on the host.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu_ops.h"
#include "cuda_api.h"
#include "device.h"
#include "gpu_params.h"
#include "npu_ops.h"
#include "profiler.h"
#include "program.h"

#include "gpu_fill.h"
#include "gpu_kernels_src.h"	/* generated: npurt_gpu_src[] */

/* What the GPU kernels run: every opcode and the binary32 rescale modes. */
#define GPU_CAPS	NPURT_ALL_CAPS

/* Each GEMM kernel in GPU_MM_WIDTHS tile widths (gpu_mm_width()). */
enum gpu_fn { F_MM, F_MM_FOLD = F_MM + 4, F_MM_CONV = F_MM_FOLD + 4,
	      F_MM_TC = F_MM_CONV + 4, F_CONV = F_MM_TC + 12, F_DW3, F_DW5,
	      F_POOL, F_ELT, F_LUT, F_FILL, F_COPY, F_QUANT, F_PW, F_SK, F_SK_FOLD,
	      F_DEQUANT, F_BINARY, F_SCONV, F_SCONV1, F_PWK, F_LNORM, F_QSM,
	      F_UNARY, F_SOFTMAX, F_REDUCE, F_RESIZE, F_QSTEP, F_FPOOL,
	      F_FCONV, F_FGEMM, F_COUNT };

static const char *const gpu_fn_names[F_COUNT] = {
	"k_mm", "k_mm_n64", "k_mm_n32", "k_mm_n16",
	"k_mm_fold", "k_mm_fold_n64", "k_mm_fold_n32", "k_mm_fold_n16",
	"k_mm_conv", "k_mm_conv_n64", "k_mm_conv_n32", "k_mm_conv_n16",
	"k_mm_tc", "k_mm_tc_n64", "k_mm_tc_n32", "k_mm_tc_n16",
	"k_mm_tc_fold", "k_mm_tc_fold_n64", "k_mm_tc_fold_n32",
	"k_mm_tc_fold_n16",
	"k_mm_tc_conv", "k_mm_tc_conv_n64", "k_mm_tc_conv_n32",
	"k_mm_tc_conv_n16",
	"k_conv", "k_dw3", "k_dw5", "k_pool", "k_elt", "k_lut", "k_fill",
	"k_copy", "k_quant", "k_pw", "k_mm_sk", "k_mm_sk_fold",
	"k_dequant", "k_binary", "k_sconv", "k_sconv1", "k_pwk", "k_lnorm",
	"k_qsm", "k_unary", "k_softmax", "k_reduce", "k_resize", "k_qstep",
	"k_fpool", "k_fconv", "k_fgemm",
};

/* k_unary takes the steps' opcodes as they are */
_Static_assert(G_UN_RELU == NPURT_CPU_RELU && G_UN_ABS == NPURT_CPU_ABS &&
	       G_UN_SIGMOID == NPURT_CPU_SIGMOID &&
	       G_UN_TANH == NPURT_CPU_TANH && G_UN_EXP == NPURT_CPU_EXP &&
	       G_UN_ERF == NPURT_CPU_ERF && G_UN_GELU == NPURT_CPU_GELU &&
	       G_UN_NEG == NPURT_CPU_NEG && G_UN_SQRT == NPURT_CPU_SQRT &&
	       G_UN_CLIP == NPURT_CPU_CLIP &&
	       G_UN_LEAKY_RELU == NPURT_CPU_LEAKY_RELU &&
	       G_UN_HARD_SIGMOID == NPURT_CPU_HARD_SIGMOID &&
	       G_UN_HARD_SWISH == NPURT_CPU_HARD_SWISH,
	       "k_unary's opcodes");

#define GPU_MM_WIDTHS	4
static const unsigned int gpu_mm_bn[GPU_MM_WIDTHS] = { 128, 64, 32, 16 };

#define GPU_THREADS	256
#define GPU_MM_TILE	128
/* k_mm_sk for GEMMs of at most these rows and at least this K */
#define GPU_SK_ROWS	128
#define GPU_SK_MIN_K	512
/* N and K up to this: a skinny GEMM (gpu_mm_width()) */
#define GPU_MM_SKINNY	1280
/* Jobs of fewer commands are launched directly (nothing to gain). */
#define GPU_GRAPH_MIN_CMDS	4
#define GPU_GRAPHS_PER_STREAM	64
/* k_sconv's tiles (G_SC_OC x G_SC_PX outputs) that fill a multiprocessor */
#define GPU_SCONV_TILES_PER_SM	512

/*
 * A job captured as a graph: its commands (a copy), the slots' device
 * addresses and sizes it ran on, and the executable graph.
 */
struct gpu_graph {
	struct gpu_graph *next;
	struct rm_npu_cmd *cmds;
	uint64_t *slots;		/* num_bufs addresses, sizes, strides */
	uint32_t num_cmds, num_bufs, items, cmd_base;
	CUgraphExec exec;
};

/* A calling thread's stream, its error word and its graphs. */
struct gpu_stream {
	struct gpu_stream *next;
	CUstream s;
	CUdeviceptr err;
	int *err_host;			/* pinned */
	struct gpu_graph *graphs;	/* most recently used first */
	unsigned int num_graphs;
	bool no_graphs;			/* capture failed once: launch directly */
	/* jobs left running (npurt_job.defer): their program's commands */
	bool pending;
	const struct rm_npu_cmd *pend_cmds;
	uint32_t pend_num;
};

struct npurt_gpu {
	const struct npurt_cuda *cu;
	CUdevice cudev;
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn[F_COUNT];
	unsigned int sms;
	bool graphs;			/* the driver has them, not turned off */
	bool fold;			/* GEMM items folded into rows */
	bool narrow;			/* narrow GEMM tiles for few channels */
	int mm_width;			/* forced tile width index, or -1 */
	bool stage;			/* 8-bit GEMM outputs via shared memory */
	bool tc;			/* GEMMs on the tensor cores */
	bool dw;			/* k_dw3/k_dw5 for depthwise */
	bool pw;			/* k_pw for pointwise of K <= 32 */
	bool pwk;			/* k_pwk for pointwise of larger K */
	bool sk;			/* k_mm_sk for GEMMs of few rows */
	int steps;			/* run_step: 1 always, 0 never, -1 auto */
	bool libm;			/* steps of math functions too */
	pthread_key_t key;
	bool key_ok;
	pthread_mutex_t lock;
	struct gpu_stream *streams;
};

static int gpu_fail(npurt_device *dev, CUresult r, const char *what)
{
	return npurt_err(r == 2 ? -ENOMEM : -EIO, "%s: %s: %s", dev->info.name,
			 what, npurt_cuda_strerror(r));
}

/* ---- kernels: NVRTC and the compile cache ------------------------------ */

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static int cache_dir(char *buf, size_t len)
{
	const char *e = getenv("NPURT_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (e && *e)
		n = snprintf(buf, len, "%s/gpu", e);
	else if (x && *x)
		n = snprintf(buf, len, "%s/npurt/gpu", x);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/npurt/gpu", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdirs(const char *path)
{
	char tmp[512];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (i = 1; tmp[i]; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		tmp[i] = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -errno : 0;
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 &&
	    !fseek(f, 0, SEEK_SET) && (buf = malloc((size_t)n)) &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		*size = (size_t)n;
	fclose(f);
	return buf;
}

/*
 * Written to a temporary name, then renamed: readers never see half.
 * false: not written (a cache that cannot be written only costs time).
 */
static bool write_file(const char *dir, const char *path, const void *data,
		       size_t size)
{
	char tmp[680];
	FILE *f;
	bool ok;

	if (mkdirs(dir))
		return false;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp, "wb");
	if (!f)
		return false;
	ok = fwrite(data, 1, size, f) == size;
	ok = !fclose(f) && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return false;
	}
	return true;
}

/* Any cached image of @prefix (NVRTC absent: its version is unknown). */
static void *cache_any(const char *dir, const char *prefix, const char *suffix,
		       size_t *size)
{
	char path[640];
	struct dirent *e;
	void *img = NULL;
	DIR *d = opendir(dir);

	if (!d)
		return NULL;
	while (!img && (e = readdir(d))) {
		size_t n = strlen(e->d_name), ls = strlen(suffix);

		if (strncmp(e->d_name, prefix, strlen(prefix)) || n < ls ||
		    strcmp(e->d_name + n - ls, suffix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		img = read_file(path, size);
	}
	closedir(d);
	return img;
}

/* The kernels compiled for @arch_opt; @who names the target in errors. */
static int nvrtc_compile(const char *who, const struct npurt_nvrtc *rtc,
			 const char *arch_opt, void **img, size_t *size)
{
	const char *opts[] = { arch_opt, NPURT_NVRTC_OPTS };
	nvrtcProgram prog;
	nvrtcResult r;
	size_t n = 0;
	char *log;

	r = rtc->nvrtcCreateProgram(&prog, npurt_gpu_src, "gpu_kernels.cu", 0,
				    NULL, NULL);
	if (r != NVRTC_SUCCESS)
		return npurt_err(-ENOMEM, "%s: nvrtcCreateProgram: %s",
				 who, rtc->nvrtcGetErrorString(r));
	r = rtc->nvrtcCompileProgram(prog, (int)NPURT_ARRAY_SIZE(opts), opts);
	if (r != NVRTC_SUCCESS) {
		rtc->nvrtcGetProgramLogSize(prog, &n);
		log = calloc(1, n + 1);
		if (log)
			rtc->nvrtcGetProgramLog(prog, log);
		npurt_err(-EIO, "%s: NVRTC could not compile the kernels "
			  "(%s): %.400s", who,
			  rtc->nvrtcGetErrorString(r), log ? log : "");
		free(log);
		rtc->nvrtcDestroyProgram(&prog);
		return -EIO;
	}
	r = rtc->nvrtcGetCUBINSize(prog, &n);
	*img = r == NVRTC_SUCCESS && n ? malloc(n) : NULL;
	if (*img && rtc->nvrtcGetCUBIN(prog, *img) != NVRTC_SUCCESS) {
		free(*img);
		*img = NULL;
	}
	rtc->nvrtcDestroyProgram(&prog);
	if (!*img)
		return npurt_err(-EIO, "%s: NVRTC produced no CUBIN",
				 who);
	*size = n;
	return 0;
}

/*
 * The cache file of the kernels for sm_@ccmaj@ccmin (key: hash of the
 * source, NVRTC version, architecture) in @path, its directory in @dir;
 * @prefix and @suffix: the name around the NVRTC version.
 */
static int gpu_cache_path(int ccmaj, int ccmin, char (*dir)[256],
			  char (*prefix)[64], char (*suffix)[32],
			  char (*path)[640])
{
	const struct npurt_nvrtc *rtc = npurt_nvrtc_get();
	uint64_t h = fnv1a(npurt_gpu_src, sizeof(npurt_gpu_src) - 1,
			   0xcbf29ce484222325ULL);
	int maj = 0, min = 0, ret = cache_dir(*dir, sizeof(*dir));

	snprintf(*prefix, sizeof(*prefix), "kernels-%016llx-nvrtc",
		 (unsigned long long)h);
	snprintf(*suffix, sizeof(*suffix), "-sm_%d%d.cubin", ccmaj, ccmin);
	if (rtc)
		rtc->nvrtcVersion(&maj, &min);
	snprintf(*path, sizeof(*path), "%s/%s%d.%d%s", *dir, *prefix, maj, min,
		 *suffix);
	return ret;
}

/* The kernels as a CUBIN for this GPU: from the cache or compiled now. */
static int gpu_load_module(npurt_device *dev, int ccmaj, int ccmin)
{
	struct npurt_gpu *g = dev->gpu;
	const struct npurt_nvrtc *rtc = npurt_nvrtc_get();
	char dir[256], prefix[64], suffix[32], arch[32], path[640];
	bool have_dir = !gpu_cache_path(ccmaj, ccmin, &dir, &prefix, &suffix,
					&path);
	int maj = 0, min = 0, ret;
	void *img = NULL;
	size_t size = 0;
	CUresult r;

	snprintf(arch, sizeof(arch), "--gpu-architecture=sm_%d%d", ccmaj,
		 ccmin);
	if (have_dir)
		img = rtc ? read_file(path, &size) :
		      cache_any(dir, prefix, suffix, &size);
	if (img) {
		r = g->cu->cuModuleLoadData(&g->mod, img);
		free(img);
		if (r == CUDA_SUCCESS)
			return 0;
		img = NULL;	/* stale or corrupt: compile again */
	}
	if (!rtc)
		return npurt_err(-ENODEV, "%s: %s, and no compiled kernels "
				 "for sm_%d%d in the cache", dev->info.name,
				 npurt_last_error(), ccmaj, ccmin);
	ret = nvrtc_compile(dev->info.name, rtc, arch, &img, &size);
	if (ret)
		return ret;
	r = g->cu->cuModuleLoadData(&g->mod, img);
	if (r == CUDA_SUCCESS && have_dir)
		write_file(dir, path, img, size);
	free(img);
	if (r != CUDA_SUCCESS)
		return gpu_fail(dev, r, "loading the kernels");
	rtc->nvrtcVersion(&maj, &min);
	npurt_info("%s: kernels compiled by NVRTC %d.%d for sm_%d%d", dev->info.name,
		   maj, min, ccmaj, ccmin);
	return 0;
}

int npurt_gpu_precompile(int ccmaj, int ccmin, char *out, size_t len)
{
	const struct npurt_nvrtc *rtc = npurt_nvrtc_get();
	char dir[256], prefix[64], suffix[32], arch[32], path[640];
	void *img = NULL;
	size_t size = 0;
	bool ok;
	int ret;

	if (!rtc)
		return npurt_err(-ENODEV, "%s", npurt_last_error());
	if (gpu_cache_path(ccmaj, ccmin, &dir, &prefix, &suffix, &path))
		return npurt_err(-ENOENT, "no compile cache directory (set "
				 "NPURT_CACHE_DIR, XDG_CACHE_HOME or HOME)");
	snprintf(arch, sizeof(arch), "--gpu-architecture=sm_%d%d", ccmaj,
		 ccmin);
	ret = nvrtc_compile(arch + 19, rtc, arch, &img, &size);
	if (ret)
		return ret;
	ok = write_file(dir, path, img, size);
	free(img);
	if (!ok)
		return npurt_err(-EIO, "could not write %s", path);
	snprintf(out, len, "%s", path);
	return 0;
}

/* ---- streams ----------------------------------------------------------- */

static void gpu_graph_free(const struct npurt_cuda *cu, struct gpu_graph *gr)
{
	if (gr->exec)
		cu->cuGraphExecDestroy(gr->exec);
	free(gr->cmds);
	free(gr->slots);
	free(gr);
}

static void gpu_stream_free(struct npurt_gpu *g, struct gpu_stream *st)
{
	struct gpu_graph *gr;

	while ((gr = st->graphs)) {
		st->graphs = gr->next;
		gpu_graph_free(g->cu, gr);
	}
	if (st->s)
		g->cu->cuStreamDestroy(st->s);
	if (st->err)
		g->cu->cuMemFree(st->err);
	if (st->err_host)
		g->cu->cuMemFreeHost(st->err_host);
	free(st);
}

/* The calling thread's stream, created at its first job. */
static struct gpu_stream *gpu_stream(npurt_device *dev)
{
	struct npurt_gpu *g = dev->gpu;
	struct gpu_stream *st = g->key_ok ? pthread_getspecific(g->key) : NULL;
	void *host = NULL;
	CUresult r;

	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st || !g->key_ok) {
		free(st);
		npurt_err(-ENOMEM, "out of memory");
		return NULL;
	}
	r = g->cu->cuStreamCreate(&st->s, CU_STREAM_NON_BLOCKING);
	if (r == CUDA_SUCCESS)
		r = g->cu->cuMemAlloc(&st->err, sizeof(int));
	if (r == CUDA_SUCCESS)
		r = g->cu->cuMemHostAlloc(&host, sizeof(int), 0);
	st->err_host = host;
	if (r != CUDA_SUCCESS || pthread_setspecific(g->key, st)) {
		gpu_fail(dev, r ? r : 2, "creating a stream");
		gpu_stream_free(g, st);
		return NULL;
	}
	pthread_mutex_lock(&g->lock);
	st->next = g->streams;
	g->streams = st;
	pthread_mutex_unlock(&g->lock);
	return st;
}

/* ---- memory -------------------------------------------------------------- */

static int gpu_mem_alloc(npurt_device *dev, uint64_t size,
			 struct npurt_mem *mem)
{
	struct npurt_gpu *g = dev->gpu;
	uint64_t rounded = npurt_align_up(size, NPURT_MEM_ALIGN);
	void *host = NULL;
	CUresult r;

	memset(mem, 0, sizeof(*mem));
	if (!size || size > NPURT_MAX_TENSOR_BYTES)
		return npurt_err(-EINVAL, "%s: bad allocation size %llu",
				 dev->info.name, (unsigned long long)size);
	g->cu->cuCtxSetCurrent(g->ctx);
	r = g->cu->cuMemAlloc(&mem->dptr, rounded);
	if (r == CUDA_SUCCESS) {
		r = g->cu->cuMemHostAlloc(&host, rounded,
					  CU_MEMHOSTALLOC_PORTABLE);
		if (r != CUDA_SUCCESS)
			g->cu->cuMemFree(mem->dptr);
	}
	if (r != CUDA_SUCCESS) {
		mem->dptr = 0;
		return gpu_fail(dev, r, "allocating memory");
	}
	/* Both copies start zeroed, like host memory. */
	memset(host, 0, rounded);
	r = g->cu->cuMemcpyHtoD(mem->dptr, host, rounded);
	if (r != CUDA_SUCCESS) {
		g->cu->cuMemFree(mem->dptr);
		g->cu->cuMemFreeHost(host);
		mem->dptr = 0;
		return gpu_fail(dev, r, "clearing memory");
	}
	mem->kind = NPURT_MEM_GPU;
	mem->ptr = host;
	mem->size = rounded;
	return 0;
}

static void gpu_mem_free(npurt_device *dev, struct npurt_mem *mem)
{
	struct npurt_gpu *g = dev->gpu;

	g->cu->cuCtxSetCurrent(g->ctx);
	g->cu->cuMemFree(mem->dptr);
	g->cu->cuMemFreeHost(mem->ptr);
	memset(mem, 0, sizeof(*mem));
}

int npurt_gpu_host_alloc(npurt_device *dev, uint64_t size,
			 struct npurt_mem *mem)
{
	struct npurt_gpu *g = dev->gpu;
	uint64_t rounded = npurt_align_up(size, NPURT_MEM_ALIGN);
	void *host = NULL;
	CUresult r;

	memset(mem, 0, sizeof(*mem));
	if (!size || size > NPURT_MAX_TENSOR_BYTES)
		return npurt_err(-EINVAL, "%s: bad allocation size %llu",
				 dev->info.name, (unsigned long long)size);
	g->cu->cuCtxSetCurrent(g->ctx);
	r = g->cu->cuMemHostAlloc(&host, rounded, CU_MEMHOSTALLOC_PORTABLE);
	if (r != CUDA_SUCCESS)
		return npurt_err(-ENOMEM, "%s: page-locked allocation of %llu "
				 "bytes failed (CUDA error %d)",
				 dev->info.name, (unsigned long long)rounded,
				 (int)r);
	memset(host, 0, rounded);
	mem->kind = NPURT_MEM_GPU_HOST;
	mem->ptr = host;
	mem->size = rounded;
	return 0;
}

void npurt_gpu_host_free(npurt_device *dev, struct npurt_mem *mem)
{
	struct npurt_gpu *g = dev->gpu;

	g->cu->cuCtxSetCurrent(g->ctx);
	g->cu->cuMemFreeHost(mem->ptr);
	memset(mem, 0, sizeof(*mem));
}

int npurt_gpu_upload(npurt_device *dev, const struct npurt_mem *mem)
{
	struct npurt_gpu *g = dev->gpu;
	CUresult r;

	g->cu->cuCtxSetCurrent(g->ctx);
	r = g->cu->cuMemcpyHtoD(mem->dptr, mem->ptr, mem->size);
	return r == CUDA_SUCCESS ? 0 : gpu_fail(dev, r, "copy to the GPU");
}

/* ---- jobs -------------------------------------------------------------- */

static uint32_t job_items(const struct npurt_job *job)
{
	return job->items && job->strides ? job->items : 1;
}

/* Bytes between the items of @slot (0: shared or one item). */
static uint64_t job_stride(const struct npurt_job *job, uint32_t slot)
{
	return job_items(job) > 1 ? job->strides[slot] : 0;
}

/* The bytes of @slot that @job's items cover, from its first item's. */
static uint64_t job_span(const struct npurt_job *job, uint32_t slot)
{
	return job->sizes[slot] + (job_items(job) - 1) * job_stride(job, slot);
}

static int gpu_upload(npurt_device *dev, struct gpu_stream *st,
		      const struct npurt_job *job, uint32_t slot)
{
	CUresult r;

	if (job->where[slot] != NPURT_GPU_HOST)
		return 0;
	r = dev->gpu->cu->cuMemcpyHtoDAsync(job->dptrs[slot], job->bases[slot],
					    job_span(job, slot), st->s);
	if (r != CUDA_SUCCESS)
		return gpu_fail(dev, r, "copy to the GPU");
	job->where[slot] = NPURT_GPU_SYNCED;
	return 0;
}

/*
 * Blocks per item of a grid-stride kernel over @n elements per item, at
 * most @per_sm per multiprocessor over all items.
 */
static unsigned int gpu_blocks_at(const npurt_device *dev,
				  const struct npurt_job *job, uint64_t n,
				  uint64_t per_sm)
{
	uint64_t b = (n + GPU_THREADS - 1) / GPU_THREADS;
	uint64_t most = (uint64_t)dev->gpu->sms * per_sm / job_items(job);

	if (most < 1)
		most = 1;
	return (unsigned int)(b < 1 ? 1 : b > most ? most : b);
}

static unsigned int gpu_blocks(const npurt_device *dev,
			       const struct npurt_job *job, uint64_t n)
{
	return gpu_blocks_at(dev, job, n, 16);
}

static int gpu_launch3(npurt_device *dev, struct gpu_stream *st,
		       enum gpu_fn f, unsigned int gx, unsigned int gy,
		       unsigned int gz, void *params)
{
	void *args[] = { params };
	CUresult r = dev->gpu->cu->cuLaunchKernel(dev->gpu->fn[f], gx, gy, gz,
						  GPU_THREADS, 1, 1, 0, st->s,
						  args, NULL);

	return r == CUDA_SUCCESS ? 0 : gpu_fail(dev, r, gpu_fn_names[f]);
}

/* One launch of @f over every item of @job (blockIdx.z). */
static int gpu_launch(npurt_device *dev, struct gpu_stream *st,
		      const struct npurt_job *job, enum gpu_fn f,
		      unsigned int gx, unsigned int gy, void *params)
{
	return gpu_launch3(dev, st, f, gx, gy, job_items(job), params);
}

/*
 * The tile width (index into gpu_mm_bn[]) for @p over @items: the one
 * that pads the output channels least (the widest of those), except for
 * skinny GEMMs on the tensor cores (128 x 32, see below), narrower
 * still while the grid would leave multiprocessors idle (a GEMM of few
 * rows: more, smaller blocks). NPURT_GPU_NARROW=0: always the widest;
 * NPURT_GPU_MM_WIDTH: the one it names.
 */
static unsigned int gpu_mm_width(const npurt_device *dev, const struct g_mm *p,
				 uint32_t items)
{
	uint64_t rows = (uint64_t)(p->m + GPU_MM_TILE - 1) / GPU_MM_TILE * items;
	unsigned int w, best = 0;

	if (dev->gpu->mm_width >= 0)
		return (unsigned int)dev->gpu->mm_width;
	if (!dev->gpu->narrow)
		return 0;
	if (dev->gpu->tc && p->n <= GPU_MM_SKINNY && p->k <= GPU_MM_SKINNY) {
		/*
		 * measured on mobilenet_v2's GEMMs (N, K 16..1280, H200):
		 * 128 x 32 beat the wider tiles at every N past 16 (fewer
		 * registers, more blocks per multiprocessor); large GEMMs
		 * keep the widest that pads least (4096^3: 128 x 128)
		 */
		best = p->n > 16 ? 2 : 3;
	} else {
		for (w = 1; w < GPU_MM_WIDTHS; w++)
			if (npurt_align_up(p->n, gpu_mm_bn[w]) <
			    npurt_align_up(p->n, gpu_mm_bn[best]))
				best = w;
	}
	while (best + 1 < GPU_MM_WIDTHS &&
	       rows * ((p->n + gpu_mm_bn[best] - 1) / gpu_mm_bn[best]) <
	       dev->gpu->sms)
		best++;
	return best;
}

/*
 * GEMM kernel @f (F_MM or F_MM_CONV) over @job's items: a plain GEMM
 * with B and the epilogue's vectors shared and the rows of one item not
 * filling whole tiles has the items' rows folded into one taller GEMM
 * (p->mi); else one item per blockIdx.z. The tile width follows p->n.
 * A plain GEMM of few rows (the launch's) and a long K takes k_mm_sk, on
 * the tensor cores.
 */
static int gpu_launch_mm(npurt_device *dev, struct gpu_stream *st,
			 const struct npurt_job *job, struct g_mm *p,
			 enum gpu_fn f)
{
	uint32_t items = job_items(job);
	unsigned int w;

	if (f == F_MM && items > 1 && dev->gpu->fold && !p->b_is &&
	    !p->e.bias_is && !p->e.quant_is && p->m % GPU_MM_TILE &&
	    (uint64_t)p->m * items <= UINT32_MAX) {
		p->mi = p->m;
		p->m *= items;
		items = 1;
		f = F_MM_FOLD;
	}
	if (dev->gpu->sk && (f == F_MM || f == F_MM_FOLD) &&
	    p->m <= GPU_SK_ROWS && p->k >= GPU_SK_MIN_K)
		return gpu_launch3(dev, st, f == F_MM ? F_SK : F_SK_FOLD,
				   (p->n + 15) / 16, (p->m + 63) / 64, items, p);
	w = gpu_mm_width(dev, p, items);
	p->stage = dev->gpu->stage;
	if (dev->gpu->tc)
		f += F_MM_TC - F_MM;
	return gpu_launch3(dev, st, f + w,
			   (p->m + GPU_MM_TILE - 1) / GPU_MM_TILE,
			   (p->n + gpu_mm_bn[w] - 1) / gpu_mm_bn[w], items, p);
}

/* Where @job's slots are, for gpu_fill.c. */
static struct gpu_slots job_slots(const struct npurt_job *job,
				  const struct gpu_stream *st)
{
	struct gpu_slots s = { job->dptrs,
			       job_items(job) > 1 ? job->strides : NULL,
			       st->err };

	return s;
}

static int run_gemm(npurt_device *dev, struct gpu_stream *st,
		    const struct npurt_job *job, const struct rm_npu_cmd *cmd,
		    uint32_t index)
{
	struct gpu_slots slots = job_slots(job, st);
	struct g_mm p;

	gpu_fill_gemm(&p, &slots, cmd, index);
	return gpu_launch_mm(dev, st, job, &p, F_MM);
}

/* k_dw3/k_dw5 for @c (gpu_dw_fits()), unless NPURT_GPU_DW=0 */
static bool gpu_dw_ok(const npurt_device *dev,
		      const struct rm_npu_cmd_conv2d *c,
		      const struct g_conv *q)
{
	return dev->gpu->dw && gpu_dw_fits(c, q);
}

/* k_pw for @p (gpu_pw_fits(): sets p->blim), unless NPURT_GPU_PW=0 */
static bool gpu_pw_ok(const npurt_device *dev, struct g_mm *p)
{
	return dev->gpu->pw && gpu_pw_fits(p);
}

/*
 * k_pw or k_pwk (@f) over @job's items, in one grid where they share the
 * weights and the epilogue's vectors (gpu_pw_fold()): a block's 8 warps
 * share 32 columns (blockIdx.y) and walk m16 row tiles of every item;
 * one wave of the 3 blocks a multiprocessor holds, so that a block's
 * set-up (its columns' parameters, and k_pwk's weights in shared memory)
 * serves as many tiles as it can.
 */
static int gpu_launch_pw(npurt_device *dev, struct gpu_stream *st,
			 const struct npurt_job *job, struct g_mm *p,
			 enum gpu_fn f)
{
	uint64_t items = job_items(job), gy = (p->n + 31) / 32, gx, most;

	if (gpu_pw_fold(p, (uint32_t)items))
		items = 1;
	most = ((uint64_t)(p->mi + 15) / 16 * (p->m / p->mi) + 7) / 8;
	gx = (uint64_t)dev->gpu->sms * 3 / (gy * items);
	gx = gx < 1 ? 1 : gx > most ? most : gx;
	return gpu_launch3(dev, st, f, (unsigned int)gx, (unsigned int)gy,
			   (unsigned int)items, p);
}

static int run_conv(npurt_device *dev, struct gpu_stream *st,
		    const struct npurt_job *job, const struct rm_npu_cmd *cmd,
		    uint32_t index)
{
	const struct rm_npu_cmd_conv2d *c = &cmd->conv2d;
	struct gpu_slots slots = job_slots(job, st);
	struct g_conv q;
	struct g_mm p;

	if (gpu_fill_conv_mm(&p, &slots, cmd, index)) {
		if (!p.conv && gpu_pw_ok(dev, &p))
			return gpu_launch_pw(dev, st, job, &p, F_PW);
		if (dev->gpu->pwk && gpu_pwk_fits(&p))
			return gpu_launch_pw(dev, st, job, &p, F_PWK);
		return gpu_launch_mm(dev, st, job, &p,
				     p.conv ? F_MM_CONV : F_MM);
	}
	gpu_fill_conv(&q, &slots, cmd, index);
	if (gpu_dw_ok(dev, c, &q))
		/*
		 * k_dw3: at most one wave of the 4 blocks a multiprocessor
		 * holds (its launch bounds; registers and shared memory
		 * allow no more), the threads striding over the rest. Over
		 * several waves of blocks that each stage the weights, the
		 * last was partial: mobilenet_v2's 17 at batch 64 took 632
		 * us, 589 in one wave (ncu).
		 */
		return gpu_launch(dev, st, job, c->k_h == 3 ? F_DW3 : F_DW5,
				  c->k_h == 3 ?
				  gpu_blocks_at(dev, job, q.total / 16, 4) :
				  gpu_blocks(dev, job, q.total / 8), 1, &q);
	return gpu_launch(dev, st, job, F_CONV, gpu_blocks(dev, job, q.total), 1,
			  &q);
}

static int run_pool(npurt_device *dev, struct gpu_stream *st,
		    const struct npurt_job *job, const struct rm_npu_cmd *cmd)
{
	struct gpu_slots slots = job_slots(job, st);
	struct g_pool p;

	gpu_fill_pool(&p, &slots, cmd);
	return gpu_launch(dev, st, job, F_POOL, gpu_blocks(dev, job, p.total), 1,
			  &p);
}

static int run_elt(npurt_device *dev, struct gpu_stream *st,
		   const struct npurt_job *job, const struct rm_npu_cmd *cmd)
{
	struct gpu_slots slots = job_slots(job, st);
	struct g_elt p;

	gpu_fill_elt(&p, &slots, cmd);
	return gpu_launch(dev, st, job, F_ELT,
			  gpu_blocks(dev, job, (uint64_t)p.rows * p.cols), 1,
			  &p);
}

static int run_cmd(npurt_device *dev, struct gpu_stream *st,
		   const struct npurt_job *job, const struct rm_npu_cmd *cmd,
		   uint32_t index)
{
	struct gpu_slots slots = job_slots(job, st);
	union {
		struct g_lut lut;
		struct g_fill fill;
		struct g_copy copy;
	} p;

	switch (cmd->opcode) {
	case RM_NPU_OP_GEMM:
		return run_gemm(dev, st, job, cmd, index);
	case RM_NPU_OP_CONV2D:
		return run_conv(dev, st, job, cmd, index);
	case RM_NPU_OP_POOL2D:
		return run_pool(dev, st, job, cmd);
	case RM_NPU_OP_ELTWISE:
		return run_elt(dev, st, job, cmd);
	case RM_NPU_OP_LUT:
		gpu_fill_lut(&p.lut, &slots, cmd);
		return gpu_launch(dev, st, job, F_LUT,
				  gpu_blocks(dev, job, p.lut.count), 1, &p.lut);
	case RM_NPU_OP_FILL:
		gpu_fill_fill(&p.fill, &slots, cmd);
		return gpu_launch(dev, st, job, F_FILL,
				  gpu_blocks(dev, job, p.fill.count), 1,
				  &p.fill);
	case RM_NPU_OP_COPY:
		gpu_fill_copy(&p.copy, &slots, cmd);
		return gpu_launch(dev, st, job, F_COPY,
				  gpu_blocks(dev, job, (p.copy.total +
							G_COPY_RUN - 1) /
						       G_COPY_RUN), 1,
				  &p.copy);
	default:
		return 0;	/* NOP */
	}
}

static const char *const gpu_op_names[RM_NPU_OP_COUNT] = {
	"NOP", "FILL", "COPY", "GEMM", "CONV2D", "POOL2D", "ELTWISE", "LUT",
};

static int gpu_finish(npurt_device *dev, struct gpu_stream *st, int ret)
{
	CUresult r = dev->gpu->cu->cuStreamSynchronize(st->s);

	if (ret)
		return ret;
	if (r != CUDA_SUCCESS)
		return gpu_fail(dev, r, "running the job");
	return 0;
}

/*
 * @job command by command: each validated, its slots uploaded, one launch
 * (a job already uploaded by gpu_upload_job() finds nothing to upload).
 */
static int gpu_run_direct(npurt_device *dev, struct gpu_stream *st,
			  const struct npurt_job *job)
{
	struct rm_npu_ref *refs[5];
	bool writes[5];
	uint32_t i, n, k;
	int ret = 0;

	for (i = 0; i < job->num_cmds && !ret; i++) {
		struct rm_npu_cmd cmd = job->cmds[i];

		/* Never run a command not validated against these buffers. */
		ret = npu_cmd_validate(&cmd, job->sizes, job->num_bufs,
				       GPU_CAPS);
		if (ret) {
			ret = npurt_err(ret, "%s: command %u invalid for the "
					"bound buffers", dev->info.name,
					job->cmd_base + i);
			break;
		}
		n = npurt_cmd_refs(&cmd, refs, writes);
		for (k = 0; k < n && !ret; k++)
			ret = gpu_upload(dev, st, job, refs[k]->bo);
		if (!ret)
			ret = run_cmd(dev, st, job, &cmd, job->cmd_base + i);
		for (k = 0; k < n && !ret; k++)
			if (writes[k])
				job->where[refs[k]->bo] = NPURT_GPU_DEVICE;
	}
	return ret;
}

/* Uploads and "where" updates of @job's commands, no launches. */
static int gpu_upload_job(npurt_device *dev, struct gpu_stream *st,
			  const struct npurt_job *job)
{
	struct rm_npu_ref *refs[5];
	bool writes[5];
	uint32_t i, n, k;
	int ret = 0;

	for (i = 0; i < job->num_cmds && !ret; i++) {
		struct rm_npu_cmd cmd = job->cmds[i];

		n = npurt_cmd_refs(&cmd, refs, writes);
		for (k = 0; k < n && !ret; k++)
			ret = gpu_upload(dev, st, job, refs[k]->bo);
		for (k = 0; k < n && !ret; k++)
			if (writes[k])
				job->where[refs[k]->bo] = NPURT_GPU_DEVICE;
	}
	return ret;
}

/* The item strides of @job's slots (zeros for one item) into @out. */
static void job_strides(const struct npurt_job *job, uint64_t *out)
{
	uint32_t i;

	for (i = 0; i < job->num_bufs; i++)
		out[i] = job_stride(job, i);
}

static bool graph_matches(const struct gpu_graph *gr,
			  const struct npurt_job *job)
{
	size_t nb = job->num_bufs * sizeof(uint64_t);
	uint32_t i;

	if (gr->num_cmds != job->num_cmds || gr->num_bufs != job->num_bufs ||
	    gr->items != job_items(job) || gr->cmd_base != job->cmd_base ||
	    memcmp(gr->slots, job->dptrs, nb) ||
	    memcmp(gr->slots + job->num_bufs, job->sizes, nb))
		return false;
	for (i = 0; i < job->num_bufs; i++)
		if (gr->slots[2 * job->num_bufs + i] != job_stride(job, i))
			return false;
	return !memcmp(gr->cmds, job->cmds, job->num_cmds * sizeof(*gr->cmds));
}

/* The stream's graph of @job, moved to the front; NULL if none. */
static struct gpu_graph *graph_find(struct gpu_stream *st,
				    const struct npurt_job *job)
{
	struct gpu_graph **pp, *gr;

	for (pp = &st->graphs; (gr = *pp); pp = &gr->next) {
		if (!graph_matches(gr, job))
			continue;
		*pp = gr->next;
		gr->next = st->graphs;
		st->graphs = gr;
		return gr;
	}
	return NULL;
}

/*
 * @job (validated) captured on @st's stream and instantiated. Return: the
 * graph (kept on the stream), or NULL: @*ret holds a launch's error, or 0
 * when capturing is not possible (the caller launches directly).
 */
static struct gpu_graph *graph_capture(npurt_device *dev,
				       struct gpu_stream *st,
				       const struct npurt_job *job, int *ret)
{
	const struct npurt_cuda *cu = dev->gpu->cu;
	size_t nb = job->num_bufs * sizeof(uint64_t);
	struct gpu_graph *gr, **pp;
	CUgraph graph = NULL;
	CUresult r, r2;
	uint32_t i;

	*ret = 0;
	gr = calloc(1, sizeof(*gr));
	if (gr) {
		gr->cmds = malloc(job->num_cmds * sizeof(*gr->cmds));
		gr->slots = malloc(3 * nb);
	}
	if (!gr || !gr->cmds || !gr->slots) {
		if (gr)
			gpu_graph_free(cu, gr);
		return NULL;
	}
	r = cu->cuStreamBeginCapture(st->s, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
	if (r != CUDA_SUCCESS) {
		st->no_graphs = true;
		gpu_graph_free(cu, gr);
		return NULL;
	}
	for (i = 0; i < job->num_cmds && !*ret; i++)
		*ret = run_cmd(dev, st, job, &job->cmds[i], job->cmd_base + i);
	r2 = cu->cuStreamEndCapture(st->s, &graph);
	if (!*ret && r2 == CUDA_SUCCESS && graph)
		r2 = cu->cuGraphInstantiateWithFlags(&gr->exec, graph, 0);
	if (graph)
		cu->cuGraphDestroy(graph);
	if (*ret || r2 != CUDA_SUCCESS) {
		if (!*ret)
			st->no_graphs = true;
		gr->exec = NULL;
		gpu_graph_free(cu, gr);
		return NULL;
	}
	memcpy(gr->cmds, job->cmds, job->num_cmds * sizeof(*gr->cmds));
	memcpy(gr->slots, job->dptrs, nb);
	memcpy(gr->slots + job->num_bufs, job->sizes, nb);
	job_strides(job, gr->slots + 2 * job->num_bufs);
	gr->num_cmds = job->num_cmds;
	gr->num_bufs = job->num_bufs;
	gr->items = job_items(job);
	gr->cmd_base = job->cmd_base;
	if (st->num_graphs == GPU_GRAPHS_PER_STREAM) {
		/* drop the least recently used */
		for (pp = &st->graphs; (*pp)->next; pp = &(*pp)->next)
			;
		gpu_graph_free(cu, *pp);
		*pp = NULL;
		st->num_graphs--;
	}
	gr->next = st->graphs;
	st->graphs = gr;
	st->num_graphs++;
	return gr;
}

/*
 * @job as one graph launch. Return: 1 when the job went the direct way
 * (not captured: too short, a command invalid, capturing impossible), else
 * 0 or an error.
 */
static int gpu_run_graph(npurt_device *dev, struct gpu_stream *st,
			 const struct npurt_job *job)
{
	struct gpu_graph *gr;
	uint32_t i;
	int ret;
	CUresult r;

	if (!dev->gpu->graphs || st->no_graphs ||
	    job->num_cmds < GPU_GRAPH_MIN_CMDS)
		return 1;
	gr = graph_find(st, job);
	if (!gr) {
		for (i = 0; i < job->num_cmds; i++) {
			struct rm_npu_cmd cmd = job->cmds[i];

			if (npu_cmd_validate(&cmd, job->sizes, job->num_bufs,
					     GPU_CAPS))
				return 1;	/* the direct way says which */
		}
	}
	ret = gpu_upload_job(dev, st, job);
	if (ret)
		return ret;
	if (!gr) {
		gr = graph_capture(dev, st, job, &ret);
		if (ret)
			return ret;
		if (!gr)	/* uploads done: launch one by one */
			return gpu_run_direct(dev, st, job);
	}
	r = dev->gpu->cu->cuGraphLaunch(gr->exec, st->s);
	return r == CUDA_SUCCESS ? 0 : gpu_fail(dev, r, "launching the job");
}

/*
 * Waits for @st's work, the reading of its error word queued (@ret: an
 * error already met), and reports the command the word names, of the
 * program whose jobs ran there.
 */
static int gpu_finish_checked(npurt_device *dev, struct gpu_stream *st,
			      int ret)
{
	CUresult r;
	int bad;

	if (!ret) {
		r = dev->gpu->cu->cuMemcpyDtoHAsync(st->err_host, st->err,
						    sizeof(int), st->s);
		if (r != CUDA_SUCCESS)
			ret = gpu_fail(dev, r, "reading the error word");
	}
	ret = gpu_finish(dev, st, ret);
	st->pending = false;
	if (ret)
		return ret;
	bad = *st->err_host;
	if (bad > 0 && (uint32_t)bad <= st->pend_num)
		return npurt_err(-EINVAL, "%s: command %d (%s) failed: a "
				 "per-channel {mult, shift} pair is out of "
				 "range", dev->info.name, bad - 1,
				 gpu_op_names[st->pend_cmds[bad - 1].opcode]);
	return 0;
}

static int gpu_run(npurt_device *dev, const struct npurt_job *job)
{
	struct npurt_gpu *g = dev->gpu;
	struct gpu_stream *st;
	uint64_t t0 = npurt_now_ns();
	int ret;
	CUresult r;

	g->cu->cuCtxSetCurrent(g->ctx);
	st = gpu_stream(dev);
	if (!st)
		return -ENOMEM;
	/* a program run's first job clears it; later ones keep what the
	 * jobs left running may have raised */
	if (!job->cmd_base || !st->pending) {
		r = g->cu->cuMemsetD8Async(st->err, 0, sizeof(int), st->s);
		if (r != CUDA_SUCCESS)
			return gpu_fail(dev, r, "clearing the error word");
	}
	st->pending = true;
	st->pend_cmds = job->cmds - job->cmd_base;
	st->pend_num = job->cmd_base + job->num_cmds;
	ret = gpu_run_graph(dev, st, job);
	if (ret == 1)
		ret = gpu_run_direct(dev, st, job);
	if (ret || !job->defer)
		ret = gpu_finish_checked(dev, st, ret);
	if (ret)
		return ret;
	npurt_prof_span(dev->rt, "gpu", npurt_prof_dev_track(dev), t0,
			npurt_now_ns(), "%u commands, %u items%s", job->num_cmds,
			job_items(job), job->defer ? " (launched)" : "");
	return 0;
}

static int gpu_sync_host(npurt_device *dev, const struct npurt_job *job,
			 const uint32_t *slots, unsigned int n)
{
	struct npurt_gpu *g = dev->gpu;
	struct gpu_stream *st;
	unsigned int i, moved = 0;
	int ret = 0;
	CUresult r;

	g->cu->cuCtxSetCurrent(g->ctx);
	st = gpu_stream(dev);
	if (!st)
		return -ENOMEM;
	for (i = 0; i < n && !ret; i++) {
		uint32_t s = slots[i];

		if (job->where[s] != NPURT_GPU_DEVICE)
			continue;
		r = g->cu->cuMemcpyDtoHAsync(job->bases[s], job->dptrs[s],
					     job_span(job, s), st->s);
		if (r != CUDA_SUCCESS)
			ret = gpu_fail(dev, r, "copy from the GPU");
		job->where[s] = NPURT_GPU_SYNCED;
		moved++;
	}
	if (st->pending)
		return gpu_finish_checked(dev, st, ret);
	/* no slots: a wait for whatever the stream still runs */
	return moved || ret || !n ? gpu_finish(dev, st, ret) : 0;
}

/*
 * Queue on @st the copy of bytes @offset..@offset + @bytes of slot @slot,
 * every item of @job, @to_host or to the device, whatever its where.
 */
static int gpu_copy_range(npurt_device *dev, struct gpu_stream *st,
			  const struct npurt_job *job, uint32_t slot,
			  uint64_t offset, uint64_t bytes, bool to_host)
{
	struct npurt_gpu *g = dev->gpu;
	uint64_t stride = job_stride(job, slot), span = bytes;
	uint32_t j, copies = job_items(job);
	int ret = 0;
	CUresult r;

	/* items back to back in this range: one copy */
	if (!stride || (copies > 1 && bytes == stride)) {
		span = stride * (copies - 1) + bytes;
		copies = 1;
	}
	if (copies > 1 && g->cu->cuMemcpy2DAsync) {
		/* one strided copy: a row per item */
		CUDA_MEMCPY2D c;

		memset(&c, 0, sizeof(c));
		c.srcMemoryType = to_host ? CU_MEMORYTYPE_DEVICE :
					    CU_MEMORYTYPE_HOST;
		c.dstMemoryType = to_host ? CU_MEMORYTYPE_HOST :
					    CU_MEMORYTYPE_DEVICE;
		c.srcDevice = c.dstDevice = job->dptrs[slot] + offset;
		c.srcHost = c.dstHost = job->bases[slot] + offset;
		c.srcPitch = c.dstPitch = stride;
		c.WidthInBytes = bytes;
		c.Height = copies;
		if (g->cu->cuMemcpy2DAsync(&c, st->s) == CUDA_SUCCESS)
			copies = 0;	/* else (pitch too large) row by row */
	}
	for (j = 0; j < copies && !ret; j++) {
		uint64_t o = offset + j * stride;

		r = to_host ?
		    g->cu->cuMemcpyDtoHAsync(job->bases[slot] + o,
					     job->dptrs[slot] + o, span, st->s) :
		    g->cu->cuMemcpyHtoDAsync(job->dptrs[slot] + o,
					     job->bases[slot] + o, span, st->s);
		if (r != CUDA_SUCCESS)
			ret = gpu_fail(dev, r, to_host ? "copy from the GPU" :
				       "copy to the GPU");
	}
	return ret;
}

static int gpu_sync_range(npurt_device *dev, const struct npurt_job *job,
			  uint32_t slot, uint64_t offset, uint64_t bytes,
			  bool to_host)
{
	struct npurt_gpu *g = dev->gpu;
	struct gpu_stream *st;

	if (!bytes || job->where[slot] == (to_host ? NPURT_GPU_SYNCED :
					   NPURT_GPU_HOST) ||
	    (to_host && job->where[slot] == NPURT_GPU_HOST))
		return 0;
	g->cu->cuCtxSetCurrent(g->ctx);
	st = gpu_stream(dev);
	if (!st)
		return -ENOMEM;
	return gpu_finish(dev, st, gpu_copy_range(dev, st, job, slot, offset,
						  bytes, to_host));
}

/*
 * The CPU steps the GPU runs itself (gpu_steps.cu and k_quant), each
 * equal to the CPU step bit for bit but those of a math function
 * (gpu_step_libm()): QUANTIZE of binary32 to 8 bits with one scale (the
 * input of a quantized model), DEQUANTIZE with one scale, the
 * element-wise steps and the 2-D binary32 CONV in SGEMM order (the float
 * islands that onnxruntime's QDQ format leaves between int8 jobs, whose
 * operands are then on the GPU already), the naive CONV (1-D to 3-D,
 * binary64 sums), POOL (max and average, 1-D to 3-D), the float GEMM
 * (binary64 sums), LAYER_NORM, QLINEAR_SOFTMAX, SOFTMAX, LOG_SOFTMAX,
 * REDUCE, RESIZE (every mode), per-axis QUANTIZE and DEQUANTIZE and
 * QUANTIZE's p[3] form (k_qstep): every step.
 * A step's inputs move to the device where the host's bytes are newer,
 * its output slot becomes the device's; no wait: the stream keeps it in
 * order with the next job.
 *
 * By default a step whose input's host bytes are newer runs there only
 * when they are page-locked (a tensor of this device), copied by DMA:
 * from pageable memory the driver copies through its own staging, and
 * for the model's float input (4 times the bytes of the quantized one)
 * with several runs in flight that cost more than the host's quantizing
 * (mobilenet_v2 batch 64 on an H200: 7% fewer inferences/s with 4 runs in
 * flight, 14% more with one), and so do REDUCE and SOFTMAX over few long
 * rows (gpu_step_few_rows()). NPURT_GPU_STEPS=1: always; 0: never.
 */

/* Binary step opcodes in G_BIN_* order. */
static const uint32_t gpu_bin_ops[] = {
	NPURT_CPU_ADD, NPURT_CPU_SUB, NPURT_CPU_MUL, NPURT_CPU_DIV,
	NPURT_CPU_MAX, NPURT_CPU_MIN, NPURT_CPU_POW,
};

static int gpu_bin_op(uint32_t opcode)
{
	unsigned int i;

	for (i = 0; i < sizeof(gpu_bin_ops) / sizeof(gpu_bin_ops[0]); i++)
		if (gpu_bin_ops[i] == opcode)
			return (int)i;
	return -1;
}

static uint32_t gpu_dtype(uint32_t dt)
{
	return dt == NPURT_DTYPE_INT8 ? G_DT_INT8 : dt == NPURT_DTYPE_UINT8 ?
	       G_DT_UINT8 : G_DT_INT32;
}

static uint64_t gpu_elem_size(uint32_t dt)
{
	return dt == NPURT_DTYPE_INT8 || dt == NPURT_DTYPE_UINT8 ? 1 : 4;
}

/*
 * Whether @op's result is a math library's (exp, log, tanh, erf, pow):
 * the GPU's is then within a unit or two in the last place of the host's.
 */
static bool gpu_step_libm(const struct npurt_cpu_op *op)
{
	switch (op->opcode) {
	case NPURT_CPU_SIGMOID: case NPURT_CPU_TANH: case NPURT_CPU_EXP:
	case NPURT_CPU_ERF: case NPURT_CPU_GELU: case NPURT_CPU_POW:
	case NPURT_CPU_SOFTMAX: case NPURT_CPU_LOG_SOFTMAX:
		return true;
	case NPURT_CPU_REDUCE:	/* LOGSUM, LOGSUMEXP */
		return op->p[3] >= 8;
	default:
		return false;
	}
}

/*
 * A per-axis QUANTIZE or DEQUANTIZE as k_qstep runs it: binary32 scales,
 * zero points (if any) of the @qdt side's dtype, channels and inner
 * length positive.
 */
static bool gpu_qaxis_form(const struct npurt_cpu_op *op, uint32_t qdt)
{
	return op->p[0] > 0 && op->p[2] >= 0 &&
	       op->in[1].slot != NPURT_CPU_NONE &&
	       op->in[1].dtype == NPURT_DTYPE_FLOAT32 &&
	       (op->in[2].slot == NPURT_CPU_NONE || op->in[2].dtype == qdt);
}

/* Bytes between the items of @r's operand; 0 for an absent one. */
static uint64_t gpu_ref_stride(const struct npurt_job *job,
			       const struct npurt_cpu_ref *r)
{
	return r->slot == NPURT_CPU_NONE ? 0 : job_stride(job, r->slot);
}

/* Whether @op's operands are all binary32. */
static bool gpu_f32_io(const struct npurt_cpu_op *op)
{
	unsigned int k;

	for (k = 0; k < NPURT_CPU_MAX_IN; k++)
		if (op->in[k].slot != NPURT_CPU_NONE &&
		    op->in[k].dtype != NPURT_DTYPE_FLOAT32)
			return false;
	return op->out.dtype == NPURT_DTYPE_FLOAT32;
}

/*
 * Whether @op is REDUCE, SOFTMAX or LOG_SOFTMAX over too few rows for the
 * GPU: their kernels give each row to one thread (the sums' order is the
 * step's), which works through it far slower than a host core. A run of
 * the one step on a lent H100, GPU against host (its copies included):
 *
 *   SOFTMAX rows x len  1 x 1000     302 us    32 us
 *                       64 x 1000    442      951
 *                       1 x 100000   29,390   1,211
 *   REDUCE (MEAN)       1 x 1M       80,351   1,010
 *                       64 x 4096    609      258
 *                       4096 x 64    129      333
 *
 * So in auto mode SOFTMAX of fewer than 32 rows and REDUCE of fewer than
 * 256, rows longer than 64, run on the host.
 */
static bool gpu_step_few_rows(const struct npurt_job *job,
			      const struct npurt_cpu_op *op)
{
	uint64_t rows = (uint64_t)(op->p[0] * op->p[2]) * job_items(job);
	uint64_t least;

	switch (op->opcode) {
	case NPURT_CPU_SOFTMAX: case NPURT_CPU_LOG_SOFTMAX:
		least = 32;
		break;
	case NPURT_CPU_REDUCE:
		least = 256;
		break;
	default:
		return false;
	}
	return op->p[1] > 64 && rows < least;
}

/* Whether the kernels run @op: its form, and 4-aligned 32-bit operands. */
static bool gpu_step_form(const struct npurt_job *job,
			  const struct npurt_cpu_op *op)
{
	const int64_t *p = op->p;
	unsigned int k;

	switch (op->opcode) {
	case NPURT_CPU_QUANTIZE:
		/* per tensor (k_quant, p[3]: k_qstep) or per axis (k_qstep) */
		if ((p[3] && p[0]) || p[3] < 0 || p[3] > 1 || p[0] < 0 ||
		    op->in[0].dtype != NPURT_DTYPE_FLOAT32 ||
		    (op->out.dtype != NPURT_DTYPE_INT8 &&
		     op->out.dtype != NPURT_DTYPE_UINT8) ||
		    (p[0] && !gpu_qaxis_form(op, op->out.dtype)))
			return false;
		break;
	case NPURT_CPU_DEQUANTIZE:
		/* per tensor (k_dequant) or per axis (k_qstep) */
		if (p[3] || p[0] < 0 || op->out.dtype != NPURT_DTYPE_FLOAT32 ||
		    (op->in[0].dtype != NPURT_DTYPE_INT8 &&
		     op->in[0].dtype != NPURT_DTYPE_UINT8 &&
		     op->in[0].dtype != NPURT_DTYPE_INT32) ||
		    (p[0] && !gpu_qaxis_form(op, op->in[0].dtype)))
			return false;
		break;
	case NPURT_CPU_REDUCE:
		if (p[3] < 0 || p[3] > 9 || p[0] < 1 || p[1] < 1 || p[2] < 1 ||
		    op->in[0].dtype != NPURT_DTYPE_FLOAT32 ||
		    op->out.dtype != NPURT_DTYPE_FLOAT32)
			return false;
		break;
	case NPURT_CPU_RESIZE:
		/* OH, OW < 2^31: k_resize converts indexes exactly */
		if (p[6] < 0 || p[6] > 2 || p[7] < 0 || p[7] > 4 ||
		    p[8] < 0 || p[8] > 3 || p[9] < 0 || p[9] > 1 ||
		    p[2] < 1 || p[3] < 1 || p[4] < 1 || p[5] < 1 ||
		    p[4] >= (1LL << 31) || p[5] >= (1LL << 31) ||
		    op->in[0].dtype != NPURT_DTYPE_FLOAT32 ||
		    op->out.dtype != NPURT_DTYPE_FLOAT32)
			return false;
		break;
	case NPURT_CPU_CONV:
		/*
		 * naive (k_fconv): any form; SGEMM order (k_sconv): 2-D,
		 * weights and bias shared by the items
		 */
		if (p[26] && (p[19] || job_stride(job, op->in[1].slot) ||
			      (op->in[2].slot != NPURT_CPU_NONE &&
			       job_stride(job, op->in[2].slot))))
			return false;
		if (!gpu_f32_io(op))
			return false;
		break;
	case NPURT_CPU_POOL:
		if (p[18] < 0 || p[18] > 2 || !gpu_f32_io(op))
			return false;
		break;
	case NPURT_CPU_GEMM:
		if (p[5] < 1 || !gpu_f32_io(op))
			return false;
		break;
	case NPURT_CPU_LAYER_NORM:
		/* scale and bias shared by the items */
		if (job_stride(job, op->in[1].slot) ||
		    (op->in[2].slot != NPURT_CPU_NONE &&
		     job_stride(job, op->in[2].slot)))
			return false;
		break;
	case NPURT_CPU_QLINEAR_SOFTMAX:
	case NPURT_CPU_SOFTMAX: case NPURT_CPU_LOG_SOFTMAX:
		break;
	case NPURT_CPU_RELU: case NPURT_CPU_ABS: case NPURT_CPU_NEG:
	case NPURT_CPU_SQRT: case NPURT_CPU_CLIP: case NPURT_CPU_LEAKY_RELU:
	case NPURT_CPU_HARD_SIGMOID: case NPURT_CPU_HARD_SWISH:
	case NPURT_CPU_SIGMOID: case NPURT_CPU_TANH: case NPURT_CPU_EXP:
	case NPURT_CPU_ERF: case NPURT_CPU_GELU:
		if (op->in[0].dtype != NPURT_DTYPE_FLOAT32 ||
		    op->out.dtype != NPURT_DTYPE_FLOAT32 ||
		    op->in[0].count != op->out.count)
			return false;
		break;
	default:
		if (gpu_bin_op(op->opcode) < 0 || p[0] < 1 ||
		    p[0] > G_MAX_RANK)
			return false;
		break;
	}
	for (k = 0; k <= NPURT_CPU_MAX_IN; k++) {
		const struct npurt_cpu_ref *r = k < NPURT_CPU_MAX_IN ?
						&op->in[k] : &op->out;

		if (r->slot == NPURT_CPU_NONE || gpu_elem_size(r->dtype) == 1)
			continue;
		if ((job->dptrs[r->slot] + r->offset) % 4 ||
		    job_stride(job, r->slot) % 4)
			return false;
	}
	return op->in[0].count && op->out.count;
}

/* k_sconv's threads for one item: G_SC_OC channels by G_SC_PX pixels. */
static uint64_t gpu_sconv_tiles(const struct g_sconv *p)
{
	uint64_t og = (uint64_t)(p->oc / p->groups);
	uint64_t np = (uint64_t)(p->oh * p->ow);

	return (uint64_t)(p->n * p->groups) * ((og + G_SC_OC - 1) / G_SC_OC) *
	       ((np + G_SC_PX - 1) / G_SC_PX);
}

/* Moves the bytes @r reads to the device where the host's are newer. */
static int gpu_step_in(npurt_device *dev, struct gpu_stream *st,
		       const struct npurt_job *job,
		       const struct npurt_cpu_ref *r, uint64_t *addr)
{
	*addr = 0;
	if (r->slot == NPURT_CPU_NONE)
		return 0;
	*addr = job->dptrs[r->slot] + r->offset;
	if (job->where[r->slot] != NPURT_GPU_HOST)
		return 0;
	return gpu_copy_range(dev, st, job, r->slot, r->offset,
			      r->count * gpu_elem_size(r->dtype), false);
}

/*
 * k_qstep's parameters for the QUANTIZE or DEQUANTIZE step @op, its
 * operands at @a; returns the launch's blocks.
 */
static unsigned int gpu_qstep_params(npurt_device *dev,
				     const struct npurt_job *job,
				     const struct npurt_cpu_op *op,
				     const uint64_t *a, struct g_qstep *p)
{
	const struct npurt_cpu_ref *in = &op->in[0], *out = &op->out;
	const int64_t *q = op->p;
	bool quant = op->opcode == NPURT_CPU_QUANTIZE;

	p->in = a[0];
	p->out = job->dptrs[out->slot] + out->offset;
	p->scales = a[1];
	p->zps = a[2];
	p->in_is = job_stride(job, in->slot);
	p->out_is = job_stride(job, out->slot);
	p->scales_is = gpu_ref_stride(job, &op->in[1]);
	p->zps_is = gpu_ref_stride(job, &op->in[2]);
	p->count = in->count;
	p->channels = (uint64_t)q[0];
	p->inner = q[2] ? (uint64_t)q[2] : 1;
	p->form = q[3] ? G_QS_QUANT_ZF : quant ? G_QS_QUANT : G_QS_DEQUANT;
	p->dtype = gpu_dtype(quant ? out->dtype : in->dtype);
	memcpy(&p->scale, &op->f[0], sizeof(p->scale));
	p->zp = q[3] ? (int32_t)q[1] : 0;
	return gpu_blocks(dev, job, in->count);
}

/* A CONV's or POOL's window (cpu_ops.c geo_of(): a 2-D step's depth 1) */
static struct g_win gpu_win_of(const int64_t *q)
{
	struct g_win w = {
		.d = 1, .h = q[2], .w = q[3], .od = 1, .oh = q[16],
		.ow = q[17], .kd = 1, .kh = q[5], .kw = q[6], .sd = 1,
		.sh = q[7], .sw = q[8], .dd = 1, .dh = q[13], .dw = q[14],
		.pt = q[9], .pl = q[10], .pb = q[11], .pr = q[12],
	};

	if (q[19]) {
		w.d = q[19];
		w.kd = q[20];
		w.sd = q[21];
		w.pf = q[22];
		w.pk = q[23];
		w.dd = q[24];
		w.od = q[25];
	}
	return w;
}

static void gpu_fpool_params(struct g_fpool *p, const int64_t *q)
{
	p->nc = q[0] * q[1];
	p->win = gpu_win_of(q);
	p->avg = q[18] != 0;
	p->count_in = q[18] == 1;
	p->f32 = q[26] != 0;
}

static void gpu_fconv_params(struct g_fconv *p, const int64_t *q)
{
	p->n = q[0];
	p->c = q[1];
	p->oc = q[4];
	p->groups = q[15];
	p->win = gpu_win_of(q);
}

static void gpu_fgemm_params(struct g_fgemm *p, const struct npurt_cpu_op *op)
{
	const int64_t *q = op->p;

	p->m = (uint64_t)q[0];
	p->n = (uint64_t)q[1];
	p->k = (uint64_t)q[2];
	p->ta = q[3] != 0;
	p->tb = q[4] != 0;
	p->batch = (uint64_t)q[5];
	p->sa = (uint64_t)q[6];
	p->sb = (uint64_t)q[7];
	p->cm = (uint64_t)q[8];
	p->cn = (uint64_t)q[9];
	memcpy(&p->alpha, &op->f[0], sizeof(p->alpha));
	memcpy(&p->beta, &op->f[1], sizeof(p->beta));
}

static int gpu_run_step(npurt_device *dev, const struct npurt_job *job,
			const struct npurt_cpu_op *op)
{
	const struct npurt_cpu_ref *in = &op->in[0], *out = &op->out;
	const int64_t *q = op->p;
	struct npurt_gpu *g = dev->gpu;
	uint64_t a[NPURT_CPU_MAX_IN];
	struct gpu_stream *st;
	union {
		struct g_quant quant;
		struct g_dequant dequant;
		struct g_binary bin;
		struct g_sconv conv;
		struct g_lnorm lnorm;
		struct g_qsm qsm;
		struct g_unary un;
		struct g_softmax sm;
		struct g_reduce red;
		struct g_resize rs;
		struct g_qstep qs;
		struct g_fpool fpool;
		struct g_fconv fconv;
		struct g_fgemm fgemm;
	} p;
	unsigned int k, gx;
	uint64_t tiles;
	enum gpu_fn f;
	int ret = 0;

	if (!g->steps || !gpu_step_form(job, op) ||
	    (!g->libm && gpu_step_libm(op)) ||
	    (g->steps < 0 && gpu_step_few_rows(job, op)))
		return 1;
	for (k = 0; g->steps < 0 && k < NPURT_CPU_MAX_IN; k++)
		if (op->in[k].slot != NPURT_CPU_NONE &&
		    job->where[op->in[k].slot] == NPURT_GPU_HOST &&
		    !(job->pinned && job->pinned[op->in[k].slot]))
			return 1;
	g->cu->cuCtxSetCurrent(g->ctx);
	st = gpu_stream(dev);
	if (!st)
		return -ENOMEM;
	for (k = 0; k < NPURT_CPU_MAX_IN && !ret; k++)
		ret = gpu_step_in(dev, st, job, &op->in[k], &a[k]);
	if (!ret)
		ret = gpu_upload(dev, st, job, out->slot);
	if (ret)
		return gpu_finish(dev, st, ret);
	memset(&p, 0, sizeof(p));
	switch (op->opcode) {
	case NPURT_CPU_QUANTIZE:
		if (q[0] || q[3]) {	/* per axis, or p[3]'s rounding */
			f = F_QSTEP;
			gx = gpu_qstep_params(dev, job, op, a, &p.qs);
			break;
		}
		f = F_QUANT;
		p.quant.in = a[0];
		p.quant.out = job->dptrs[out->slot] + out->offset;
		p.quant.in_is = job_stride(job, in->slot);
		p.quant.out_is = job_stride(job, out->slot);
		p.quant.count = in->count;
		memcpy(&p.quant.scale, &op->f[0], sizeof(p.quant.scale));
		p.quant.zp = (int32_t)q[1];
		p.quant.lo = out->dtype == NPURT_DTYPE_INT8 ? -128 : 0;
		p.quant.hi = out->dtype == NPURT_DTYPE_INT8 ? 127 : 255;
		gx = gpu_blocks(dev, job, in->count);
		break;
	case NPURT_CPU_DEQUANTIZE:
		if (q[0]) {		/* per axis */
			f = F_QSTEP;
			gx = gpu_qstep_params(dev, job, op, a, &p.qs);
			break;
		}
		f = F_DEQUANT;
		p.dequant.in = a[0];
		p.dequant.out = job->dptrs[out->slot] + out->offset;
		p.dequant.in_is = job_stride(job, in->slot);
		p.dequant.out_is = job_stride(job, out->slot);
		p.dequant.count = in->count;
		memcpy(&p.dequant.scale, &op->f[0], sizeof(p.dequant.scale));
		p.dequant.zp = (int32_t)q[1];
		p.dequant.dtype = gpu_dtype(in->dtype);
		gx = gpu_blocks(dev, job, in->count);
		break;
	case NPURT_CPU_REDUCE:
		f = F_REDUCE;
		p.red.x = a[0];
		p.red.y = job->dptrs[out->slot] + out->offset;
		p.red.x_is = job_stride(job, in->slot);
		p.red.y_is = job_stride(job, out->slot);
		p.red.outer = (uint64_t)q[0];
		p.red.len = (uint64_t)q[1];
		p.red.inner = (uint64_t)q[2];
		p.red.mode = (uint32_t)q[3];
		gx = gpu_blocks(dev, job, p.red.outer * p.red.inner);
		break;
	case NPURT_CPU_RESIZE:
		f = F_RESIZE;
		p.rs.x = a[0];
		p.rs.y = job->dptrs[out->slot] + out->offset;
		p.rs.x_is = job_stride(job, in->slot);
		p.rs.y_is = job_stride(job, out->slot);
		p.rs.nc = q[0] * q[1];
		p.rs.h = q[2];
		p.rs.w = q[3];
		p.rs.oh = q[4];
		p.rs.ow = q[5];
		p.rs.mode = (uint32_t)q[6];
		p.rs.coord = (uint32_t)q[7];
		p.rs.nearest = (uint32_t)q[8];
		p.rs.exclude = (uint32_t)q[9];
		memcpy(&p.rs.fh, &op->f[0], sizeof(p.rs.fh));
		memcpy(&p.rs.fw, &op->f[1], sizeof(p.rs.fw));
		memcpy(&p.rs.cubic, &op->f[2], sizeof(p.rs.cubic));
		gx = gpu_blocks(dev, job, out->count);
		break;
	case NPURT_CPU_POOL:
		f = F_FPOOL;
		gpu_fpool_params(&p.fpool, q);
		p.fpool.x = a[0];
		p.fpool.y = job->dptrs[out->slot] + out->offset;
		p.fpool.x_is = job_stride(job, in->slot);
		p.fpool.y_is = job_stride(job, out->slot);
		gx = gpu_blocks(dev, job, out->count);
		break;
	case NPURT_CPU_GEMM:
		f = F_FGEMM;
		gpu_fgemm_params(&p.fgemm, op);
		p.fgemm.a = a[0];
		p.fgemm.b = a[1];
		p.fgemm.c = a[2];
		p.fgemm.y = job->dptrs[out->slot] + out->offset;
		p.fgemm.a_is = job_stride(job, in->slot);
		p.fgemm.b_is = job_stride(job, op->in[1].slot);
		p.fgemm.c_is = gpu_ref_stride(job, &op->in[2]);
		p.fgemm.y_is = job_stride(job, out->slot);
		gx = gpu_blocks(dev, job, out->count);
		break;
	case NPURT_CPU_CONV:
		if (!q[26]) {
			f = F_FCONV;
			gpu_fconv_params(&p.fconv, q);
			p.fconv.x = a[0];
			p.fconv.w = a[1];
			p.fconv.bias = a[2];
			p.fconv.y = job->dptrs[out->slot] + out->offset;
			p.fconv.x_is = job_stride(job, in->slot);
			p.fconv.w_is = job_stride(job, op->in[1].slot);
			p.fconv.bias_is = gpu_ref_stride(job, &op->in[2]);
			p.fconv.y_is = job_stride(job, out->slot);
			gx = gpu_blocks(dev, job, out->count);
			break;
		}
		f = F_SCONV;
		p.conv.x = a[0];
		p.conv.w = a[1];
		p.conv.bias = a[2];
		p.conv.y = job->dptrs[out->slot] + out->offset;
		p.conv.x_is = job_stride(job, in->slot);
		p.conv.y_is = job_stride(job, out->slot);
		p.conv.n = q[0];
		p.conv.c = q[1];
		p.conv.h = q[2];
		p.conv.wd = q[3];
		p.conv.oc = q[4];
		p.conv.kh = q[5];
		p.conv.kw = q[6];
		p.conv.sh = q[7];
		p.conv.sw = q[8];
		p.conv.pt = q[9];
		p.conv.pl = q[10];
		p.conv.dh = q[13];
		p.conv.dw = q[14];
		p.conv.groups = q[15];
		p.conv.oh = q[16];
		p.conv.ow = q[17];
		p.conv.kstride = npurt_cpu_sgemm_kstride(q[1] / q[15] * q[5] *
							 q[6], q[16] * q[17]);
		/*
		 * 8 x 4 outputs a thread where that still fills the GPU
		 * (squeezenet1_1.qdq at batch 1 ran 1.3 times slower with
		 * tiles alone; every batch-64 model 2.3-4 times faster)
		 */
		tiles = gpu_sconv_tiles(&p.conv);
		if (tiles * job_items(job) <
		    (uint64_t)g->sms * GPU_SCONV_TILES_PER_SM) {
			f = F_SCONV1;
			tiles = out->count;
		}
		gx = gpu_blocks(dev, job, tiles);	/* per item */
		break;
	case NPURT_CPU_RELU: case NPURT_CPU_ABS: case NPURT_CPU_NEG:
	case NPURT_CPU_SQRT: case NPURT_CPU_CLIP: case NPURT_CPU_LEAKY_RELU:
	case NPURT_CPU_HARD_SIGMOID: case NPURT_CPU_HARD_SWISH:
	case NPURT_CPU_SIGMOID: case NPURT_CPU_TANH: case NPURT_CPU_EXP:
	case NPURT_CPU_ERF: case NPURT_CPU_GELU:
		f = F_UNARY;
		p.un.x = a[0];
		p.un.y = job->dptrs[out->slot] + out->offset;
		p.un.x_is = job_stride(job, in->slot);
		p.un.y_is = job_stride(job, out->slot);
		p.un.count = out->count;
		p.un.op = op->opcode;
		memcpy(&p.un.f0, &op->f[0], sizeof(p.un.f0));
		memcpy(&p.un.f1, &op->f[1], sizeof(p.un.f1));
		p.un.gelu_tanh = q[0] != 0;
		gx = gpu_blocks(dev, job, out->count);
		break;
	case NPURT_CPU_SOFTMAX: case NPURT_CPU_LOG_SOFTMAX:
		f = F_SOFTMAX;
		p.sm.x = a[0];
		p.sm.y = job->dptrs[out->slot] + out->offset;
		p.sm.x_is = job_stride(job, in->slot);
		p.sm.y_is = job_stride(job, out->slot);
		p.sm.outer = (uint64_t)q[0];
		p.sm.len = (uint64_t)q[1];
		p.sm.inner = (uint64_t)q[2];
		p.sm.log = op->opcode == NPURT_CPU_LOG_SOFTMAX;
		gx = gpu_blocks(dev, job, p.sm.outer * p.sm.inner);
		break;
	case NPURT_CPU_LAYER_NORM:
		f = F_LNORM;
		p.lnorm.x = a[0];
		p.lnorm.scale = a[1];
		p.lnorm.bias = a[2];
		p.lnorm.y = job->dptrs[out->slot] + out->offset;
		p.lnorm.x_is = job_stride(job, in->slot);
		p.lnorm.y_is = job_stride(job, out->slot);
		p.lnorm.rows = (uint64_t)q[0];
		p.lnorm.n = (uint64_t)q[1];
		memcpy(&p.lnorm.eps, &op->f[0], sizeof(p.lnorm.eps));
		gx = gpu_blocks(dev, job, p.lnorm.rows);
		break;
	case NPURT_CPU_QLINEAR_SOFTMAX: {
		float ys = floorf(1.0f / op->f[1]), yzp = (float)q[4];

		f = F_QSM;
		p.qsm.x = a[0];
		p.qsm.y = job->dptrs[out->slot] + out->offset;
		p.qsm.x_is = job_stride(job, in->slot);
		p.qsm.y_is = job_stride(job, out->slot);
		p.qsm.outer = (uint64_t)q[0];
		p.qsm.len = (uint64_t)q[1];
		p.qsm.inner = (uint64_t)q[2];
		p.qsm.sgn = in->dtype == NPURT_DTYPE_INT8;
		p.qsm.out_sgn = out->dtype == NPURT_DTYPE_INT8;
		memcpy(&p.qsm.ys, &ys, sizeof(ys));
		memcpy(&p.qsm.yzp, &yzp, sizeof(yzp));
		npurt_cpu_qsm_table(p.qsm.t, op->f[0], p.qsm.len, p.qsm.sgn);
		gx = gpu_blocks(dev, job, p.qsm.outer * p.qsm.inner);
		break;
	}
	default:
		f = F_BINARY;
		p.bin.a = a[0];
		p.bin.b = a[1];
		p.bin.y = job->dptrs[out->slot] + out->offset;
		p.bin.a_is = job_stride(job, in->slot);
		p.bin.b_is = job_stride(job, op->in[1].slot);
		p.bin.y_is = job_stride(job, out->slot);
		p.bin.count = out->count;
		p.bin.rank = (uint32_t)q[0];
		p.bin.op = (uint32_t)gpu_bin_op(op->opcode);
		for (k = 0; k < p.bin.rank; k++) {
			p.bin.dims[k] = (uint64_t)q[1 + k];
			p.bin.sa[k] = (uint64_t)q[7 + k];
			p.bin.sb[k] = (uint64_t)q[13 + k];
		}
		gx = gpu_blocks(dev, job, out->count);
		break;
	}
	ret = gpu_launch(dev, st, job, f, gx, 1, &p);
	if (ret)
		return gpu_finish(dev, st, ret);
	job->where[out->slot] = NPURT_GPU_DEVICE;
	return 0;
}

/* ---- lifetime ------------------------------------------------------------ */

static void gpu_close(npurt_device *dev)
{
	struct npurt_gpu *g = dev->gpu;
	struct gpu_stream *st;

	if (!g)
		return;
	if (g->ctx) {
		g->cu->cuCtxSetCurrent(g->ctx);
		while ((st = g->streams)) {
			g->streams = st->next;
			gpu_stream_free(g, st);
		}
		if (g->mod)
			g->cu->cuModuleUnload(g->mod);
		g->cu->cuDevicePrimaryCtxRelease(g->cudev);
	}
	if (g->key_ok)
		pthread_key_delete(g->key);
	pthread_mutex_destroy(&g->lock);
	free(g);
	dev->gpu = NULL;
}

static const struct npurt_backend_ops gpu_ops = {
	.mem_alloc = gpu_mem_alloc,
	.mem_free = gpu_mem_free,
	.run = gpu_run,
	.sync_host = gpu_sync_host,
	.sync_range = gpu_sync_range,
	.run_step = gpu_run_step,
	.close = gpu_close,
};

/* Facts about GPU @ordinal. Return: 0, or -ENODEV with the reason. */
static int gpu_query(const struct npurt_cuda *cu, unsigned int ordinal,
		     struct npurt_gpu_info *gi, CUdevice *out)
{
	int count = 0, v = 0;
	size_t mem = 0;
	CUdevice d;

	memset(gi, 0, sizeof(*gi));
	cu->cuDeviceGetCount(&count);
	if (ordinal >= (unsigned int)count)
		return npurt_err(-ENODEV, "cuda:%u: no such GPU (%d present)",
				 ordinal, count);
	if (cu->cuDeviceGet(&d, (int)ordinal) != CUDA_SUCCESS ||
	    cu->cuDeviceGetName(gi->name, sizeof(gi->name), d) !=
	    CUDA_SUCCESS || cu->cuDeviceTotalMem(&mem, d) != CUDA_SUCCESS)
		return npurt_err(-ENODEV, "cuda:%u: the driver does not "
				 "describe it", ordinal);
	gi->index = ordinal;
	gi->mem_total = mem;
	cu->cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
				 d);
	gi->cc_major = (uint32_t)v;
	cu->cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
				 d);
	gi->cc_minor = (uint32_t)v;
	cu->cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, d);
	gi->multiprocessors = (uint32_t)v;
	cu->cuDriverGetVersion(&v);
	gi->driver_version = (uint32_t)v;
	*out = d;
	return 0;
}

NPURT_API int npurt_gpu_list(struct npurt_gpu_info *gpus, size_t max,
			     size_t *count)
{
	const struct npurt_cuda *cu;
	struct npurt_gpu_info gi;
	int n = 0, i;
	CUdevice d;

	if (!count || (max && !gpus))
		return npurt_err(-EINVAL, "npurt_gpu_list: NULL argument");
	*count = 0;
	cu = npurt_cuda_get();
	if (!cu)
		return 0;	/* the reason stays in npurt_last_error() */
	cu->cuDeviceGetCount(&n);
	for (i = 0; i < n; i++) {
		if (gpu_query(cu, (unsigned int)i, &gi, &d))
			continue;
		if (*count < max)
			gpus[*count] = gi;
		(*count)++;
	}
	return 0;
}

/* A switch that is on unless the variable @name is "0". */
static bool gpu_env_on(const char *name)
{
	const char *v = getenv(name);

	return !(v && !strcmp(v, "0"));
}

/* A tile width index forced by @name (0..GPU_MM_WIDTHS - 1), else -1. */
static int gpu_env_width(const char *name)
{
	const char *v = getenv(name);

	if (!v || v[0] < '0' || v[0] >= '0' + GPU_MM_WIDTHS || v[1])
		return -1;
	return v[0] - '0';
}

int npurt_gpu_device_init(npurt_device *dev, unsigned int ordinal)
{
	struct npurt_device_info *info = &dev->info;
	const char *steps;
	const struct npurt_cuda *cu = npurt_cuda_get();
	struct npurt_gpu_info gi;
	struct npurt_gpu *g;
	unsigned int i;
	CUresult r;
	int ret;

	info->kind = NPURT_DEVICE_GPU;
	snprintf(info->name, sizeof(info->name), "cuda:%u", ordinal);
	if (!cu)
		return -ENODEV;
	g = calloc(1, sizeof(*g));
	if (!g)
		return npurt_err(-ENOMEM, "out of memory");
	pthread_mutex_init(&g->lock, NULL);
	g->key_ok = !pthread_key_create(&g->key, NULL);
	g->cu = cu;
	dev->gpu = g;
	ret = gpu_query(cu, ordinal, &gi, &g->cudev);
	if (ret)
		goto fail;
	r = cu->cuDevicePrimaryCtxRetain(&g->ctx, g->cudev);
	if (r != CUDA_SUCCESS) {
		g->ctx = NULL;
		ret = npurt_err(-ENODEV, "cuda:%u: no context: %s", ordinal,
				npurt_cuda_strerror(r));
		goto fail;
	}
	cu->cuCtxSetCurrent(g->ctx);
	ret = gpu_load_module(dev, (int)gi.cc_major, (int)gi.cc_minor);
	for (i = 0; i < F_COUNT && !ret; i++) {
		r = cu->cuModuleGetFunction(&g->fn[i], g->mod, gpu_fn_names[i]);
		if (r != CUDA_SUCCESS)
			ret = gpu_fail(dev, r, gpu_fn_names[i]);
	}
	if (ret)
		goto fail;
	g->sms = gi.multiprocessors ? gi.multiprocessors : 1;
	g->graphs = cu->cuStreamBeginCapture && gpu_env_on("NPURT_GPU_GRAPHS");
	g->fold = gpu_env_on("NPURT_GPU_FOLD");
	g->mm_width = gpu_env_width("NPURT_GPU_MM_WIDTH");
	g->stage = gpu_env_on("NPURT_GPU_MM_STAGE");
	g->narrow = gpu_env_on("NPURT_GPU_NARROW");
	/* mma.sync m16n8k32 on int8 needs sm_80 */
	g->tc = gi.cc_major >= 8 && gpu_env_on("NPURT_GPU_TC");
	g->dw = gpu_env_on("NPURT_GPU_DW");
	g->pw = g->tc && gpu_env_on("NPURT_GPU_PW");
	g->pwk = g->tc && gpu_env_on("NPURT_GPU_PWK");
	g->sk = g->tc && gpu_env_on("NPURT_GPU_SK");
	steps = getenv("NPURT_GPU_STEPS");
	g->steps = steps && !strcmp(steps, "1") ? 1 :
		   steps && !strcmp(steps, "0") ? 0 : -1;
	g->libm = gpu_env_on("NPURT_GPU_LIBM");
	snprintf(info->arch, sizeof(info->arch), "sm_%u%u", gi.cc_major,
		 gi.cc_minor);
	info->dev_index = ordinal;
	info->numa_node = -1;
	info->fw_caps = GPU_CAPS;
	info->mem_total = gi.mem_total;
	info->abi_version = gi.driver_version;
	snprintf(info->fw_version_str, sizeof(info->fw_version_str), "%s",
		 "nvrtc");
	dev->max_cmds = UINT32_MAX;
	dev->max_job_bos = NPURT_JOB_MAX_BUFS;
	dev->batch_jobs = true;
	dev->ops = &gpu_ops;
	npurt_prof_name_track(dev->rt, npurt_prof_dev_track(dev), info->name);
	npurt_info("%s: %s, %llu MiB, compute capability %u.%u", info->name,
		   gi.name, (unsigned long long)(gi.mem_total >> 20),
		   gi.cc_major, gi.cc_minor);
	return 0;
fail:
	gpu_close(dev);
	return ret;
}
