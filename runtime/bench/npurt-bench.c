// SPDX-License-Identifier: MIT
/*
 * npurt-bench: libnpurt figures (issue #4 item 13), run inside the VM by
 * `make bench` (tests/bench/run-bench, in the same boot as npu-bench) or
 * on the host (`make bench-runtime`: the CPU figures only when there is no
 * NPU). Prints one figure per line, "name value unit", and notes starting
 * with "# ". Figures only: the exit status is 0 unless an open, an ioctl,
 * a library call or a result check fails (every path must give the bytes
 * of the CPU backend), never because of a timing.
 *
 *   npurt-bench [-d DEV] [-r REPS] [-q] [--json PATH]
 *
 * -d DEV       NPU index (default 0): /dev/npuDEVpe0, npuDEVpe1
 * -r REPS      repetitions of each measurement (default 9; medians)
 * -q           quick: fewer iterations per repetition
 * --json PATH  also write the figures as JSON (the layout of run-bench's)
 *
 * Every figure is the median over REPS repetitions after one warm-up
 * repetition; ratios are between medians taken in this same run. The
 * model is examples/example_mlp.h's MLP (m 8, k 128, hid 128, n 32: two
 * GEMMs and a LUT, three commands).
 *
 *   raw_run_latency       the MLP through the bare uAPI on npuDEVpe0: copy
 *                         the input into its buffer object, SUBMIT the
 *                         three commands with RM_NPU_SUBMIT_WAIT (ABI 1.1:
 *                         the job's status comes back with the call), copy
 *                         the output out, us
 *   raw_runs_per_s        1e6 / raw_run_latency, runs/s
 *   raw_job_pe_time       the job's time on the PE (WAIT's duration_ns):
 *                         what of raw_run_latency is execution, us
 *   runner_run_latency    npurt_runner_run() of the same model on
 *                         npuDEVpe0 (1 worker), host tensors (copied), us
 *   runner_runs_per_s     runs/s
 *   runner_overhead       runner_run_latency - raw_run_latency, us
 *   runner_vs_raw         runner_run_latency / raw_run_latency, x
 *   runner_zc_run_latency as runner_run_latency with tensors allocated on
 *                         the device (zero-copy), us
 *   runner_zc_overhead    runner_zc_run_latency - raw_run_latency, us
 *   runner_2pe_4t_runs_per_s  one runner on npuDEVpe0,npuDEVpe1 (2 workers
 *                         per PE) called by 4 threads, runs/s
 *   runner_2pe_4t_vs_1t   that over runner_runs_per_s, x
 *   queue_inflight_N      npurt_queue on npuDEVpe0,npuDEVpe1 (4 workers per
 *                         PE, queue sizes N) keeping N runs in flight from
 *                         one thread, N = 1, 4, 16, 64, runs/s
 *   queue_inflight_N_vs_1 the ratio to N = 1, x
 *   queue_inflight_64_vs_runner  queue_inflight_64 / runner_runs_per_s, x
 *   runner_cpu1_run_latency  npurt_runner_run() of the MLP on cpu(1) (1
 *                         worker; host figure too): the runner's own cost
 *                         beside a few microseconds of kernels, us
 *   gemm512_cpu1, gemm512_cpu2   one GEMM 512x512x512 int8 (bias, requant)
 *                         program through npurt_runner_run() on cpu(1) and
 *                         cpu(2), GOPS (2 operations per multiply-add)
 *   gemm512_cpu2_vs_cpu1  x
 *   gemm512_npu_fused     the same program on warboy(2)*1, GOPS
 *   gemm512_npu_fused_vs_cpu2  x
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <npurt.h>
#include "example_mlp.h"

#define MAX_REPS	64
#define MAX_FIGURES	64
#define MAX_NOTES	16
#define MAX_SLOTS	16
#define MAX_CMDS	16
#define GEMM_DIM	512
#define QUEUE_DEPTHS	4

static const struct mlp_shape shape = { .m = 8, .k = 128, .hid = 128, .n = 32,
					.seed = 4242 };
#define NX	(8 * 128)
#define NY	(8 * 32)

static unsigned int reps = 9;
static unsigned int run_iters = 200;	/* MLP runs per repetition */
static unsigned int queue_runs = 256;	/* queue runs per repetition */
static unsigned int gemm_iters = 1;	/* GEMM runs per repetition (calibrated) */
static unsigned int dev_index;

static struct {
	char name[64];
	double value;
	char unit[16];
} figures[MAX_FIGURES];
static unsigned int num_figures;
static char notes[MAX_NOTES][256];
static unsigned int num_notes;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "npurt-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void must(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s (%s)", what, npurt_strerror(ret),
		    npurt_last_error());
}

static void figure(const char *name, double value, const char *unit)
{
	printf("%s %.6g %s\n", name, value, unit);
	fflush(stdout);
	if (num_figures < MAX_FIGURES) {
		snprintf(figures[num_figures].name, sizeof(figures[0].name),
			 "%s", name);
		figures[num_figures].value = value;
		snprintf(figures[num_figures].unit, sizeof(figures[0].unit),
			 "%s", unit);
		num_figures++;
	}
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# %s\n", line);
	fflush(stdout);
	if (num_notes < MAX_NOTES)
		snprintf(notes[num_notes++], sizeof(notes[0]), "%s", line);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the model and its reference output (cpu) ------------------------ */

static int8_t mlp_x[NX];
static uint8_t mlp_ref[NY];

static npurt_model *mlp_model(void)
{
	npurt_program *p = NULL;
	npurt_model *m = NULL;

	must(mlp_build(&shape, &p), "mlp_build");
	must(npurt_model_from_program(p, &m), "npurt_model_from_program");
	npurt_program_destroy(p);
	return m;
}

struct rt_runner {
	npurt_runtime *rt;
	npurt_runner *r;
	npurt_tensor *in, *out;
};

static void rr_open(struct rt_runner *rr, const char *spec, npurt_model *m,
		    unsigned int workers)
{
	struct npurt_runner_opts o = { .worker_num = workers };
	char what[96];

	memset(rr, 0, sizeof(*rr));
	snprintf(what, sizeof(what), "runtime %s", spec);
	must(npurt_runtime_create(spec, &rr->rt), what);
	must(npurt_runner_create(rr->rt, m, &o, &rr->r), "npurt_runner_create");
}

/* Host tensors wrapping @x and @y. */
static void rr_wrap(struct rt_runner *rr, void *x, size_t nx, void *y,
		    size_t ny)
{
	must(npurt_tensor_wrap(npurt_runner_input(rr->r, 0), x, nx, &rr->in),
	     "npurt_tensor_wrap");
	must(npurt_tensor_wrap(npurt_runner_output(rr->r, 0), y, ny,
			       &rr->out), "npurt_tensor_wrap");
}

static void rr_close(struct rt_runner *rr)
{
	npurt_tensor_destroy(rr->in);
	npurt_tensor_destroy(rr->out);
	npurt_runner_destroy(rr->r);
	npurt_runtime_destroy(rr->rt);
	memset(rr, 0, sizeof(*rr));
}

static void rr_run(struct rt_runner *rr)
{
	must(npurt_runner_run(rr->r, &rr->in, &rr->out), "npurt_runner_run");
}

static void check_y(const uint8_t *y, const char *what)
{
	if (memcmp(y, mlp_ref, NY))
		die("%s: output differs from the cpu backend's", what);
}

static void mlp_reference(npurt_model *m)
{
	struct rt_runner rr;
	unsigned int i, distinct = 0;

	mlp_input(mlp_x, NX, 99);
	rr_open(&rr, "cpu(1)", m, 1);
	rr_wrap(&rr, mlp_x, NX, mlp_ref, NY);
	rr_run(&rr);
	rr_close(&rr);
	for (i = 1; i < NY; i++)
		distinct += mlp_ref[i] != mlp_ref[i - 1];
	if (distinct < NY / 4)
		die("reference output is degenerate (%u distinct steps)",
		    distinct);
}

/* ---- the raw uAPI path ------------------------------------------------ */

struct raw {
	int fd;
	unsigned int nslots, ncmds, x_slot, y_slot;
	uint32_t handles[MAX_SLOTS];
	void *maps[MAX_SLOTS];
	size_t sizes[MAX_SLOTS];
	struct rm_npu_cmd cmds[MAX_CMDS];
	uint64_t pe_ns;			/* sum of WAIT's duration_ns */
};

static void raw_ioctl(int fd, unsigned long req, void *arg, const char *what)
{
	while (ioctl(fd, req, arg)) {
		if (errno != EINTR && errno != EAGAIN)
			die("%s: %s", what, strerror(errno));
	}
}

static void raw_open(struct raw *rw, const npurt_model *m)
{
	const npurt_program *p = npurt_model_program(m);
	size_t nw1 = (size_t)shape.k * shape.hid, nw2 = (size_t)shape.hid * shape.n;
	int8_t *w1 = malloc(nw1), *w2 = malloc(nw2);
	int32_t *b1 = malloc(4 * (size_t)shape.hid), *b2 = malloc(4 * (size_t)shape.n);
	uint8_t lut[256];
	char path[64];
	unsigned int i;

	if (!w1 || !w2 || !b1 || !b2)
		die("out of memory");
	mlp_weights(&shape, w1, b1, w2, b2, lut);
	memset(rw, 0, sizeof(*rw));
	snprintf(path, sizeof(path), "/dev/npu%upe0", dev_index);
	rw->fd = open(path, O_RDWR | O_CLOEXEC);
	if (rw->fd < 0)
		die("open %s: %s", path, strerror(errno));
	rw->nslots = npurt_program_slot_count(p);
	rw->ncmds = npurt_program_cmd_count(p);
	if (rw->nslots > MAX_SLOTS || rw->ncmds > MAX_CMDS)
		die("program too large for the raw path");
	for (i = 0; i < rw->ncmds; i++)
		rw->cmds[i] = *npurt_program_cmd(p, i);
	for (i = 0; i < rw->nslots; i++) {
		struct npurt_slot_info si;
		struct rm_npu_bo_create c;
		struct rm_npu_bo_mmap mm;
		const char *name;
		const void *src = NULL;

		must(npurt_program_slot(p, i, &si), "npurt_program_slot");
		memset(&c, 0, sizeof(c));
		c.size = si.size;
		raw_ioctl(rw->fd, RM_NPU_IOCTL_BO_CREATE, &c, "BO_CREATE");
		memset(&mm, 0, sizeof(mm));
		mm.handle = c.handle;
		raw_ioctl(rw->fd, RM_NPU_IOCTL_BO_MMAP, &mm, "BO_MMAP");
		rw->handles[i] = c.handle;
		rw->sizes[i] = c.alloc_size;
		rw->maps[i] = mmap(NULL, c.alloc_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, rw->fd, (off_t)mm.offset);
		if (rw->maps[i] == MAP_FAILED)
			die("mmap: %s", strerror(errno));
		name = si.desc ? npurt_tensor_desc_name(si.desc) : "";
		if (si.kind == NPURT_SLOT_INPUT)
			rw->x_slot = i;
		else if (si.kind == NPURT_SLOT_OUTPUT)
			rw->y_slot = i;
		else if (si.kind != NPURT_SLOT_WEIGHTS)
			continue;
		else if (!strcmp(name, "w1"))
			src = w1;
		else if (!strcmp(name, "b1"))
			src = b1;
		else if (!strcmp(name, "w2"))
			src = w2;
		else if (!strcmp(name, "b2"))
			src = b2;
		else if (!strcmp(name, "sigmoid"))
			src = lut;
		else
			die("unknown weights slot %s", name);
		if (src)
			memcpy(rw->maps[i], src, si.size);
	}
	free(w1);
	free(w2);
	free(b1);
	free(b2);
}

static void raw_run(struct raw *rw, const int8_t *x, uint8_t *y)
{
	struct rm_npu_submit s;
	struct rm_npu_wait w;

	memcpy(rw->maps[rw->x_slot], x, NX);
	memset(&s, 0, sizeof(s));
	s.cmds = (uintptr_t)rw->cmds;
	s.bo_handles = (uintptr_t)rw->handles;
	s.num_cmds = rw->ncmds;
	s.num_bos = rw->nslots;
	s.cmd_size = sizeof(struct rm_npu_cmd);
	s.flags = RM_NPU_SUBMIT_WAIT;
	raw_ioctl(rw->fd, RM_NPU_IOCTL_SUBMIT, &s, "SUBMIT");
	memset(&w, 0, sizeof(w));
	w.result = s.result;
	w.error_index = s.result_index;
	w.duration_ns = s.duration_ns;
	if (!s.retired) {	/* a signal ended the wait early */
		w.job_id = s.job_id;
		w.timeout_ns = -1;
		raw_ioctl(rw->fd, RM_NPU_IOCTL_WAIT, &w, "WAIT");
	}
	if (w.result)
		die("raw job failed: %s (command %u)", strerror(-w.result),
		    w.error_index);
	rw->pe_ns += w.duration_ns;
	memcpy(y, rw->maps[rw->y_slot], NY);
}

static void raw_close(struct raw *rw)
{
	unsigned int i;

	for (i = 0; i < rw->nslots; i++) {
		struct rm_npu_bo_close c = { .handle = rw->handles[i] };

		munmap(rw->maps[i], rw->sizes[i]);
		raw_ioctl(rw->fd, RM_NPU_IOCTL_BO_CLOSE, &c, "BO_CLOSE");
	}
	close(rw->fd);
}

/* ---- runner vs raw ---------------------------------------------------- */

static double bench_raw(npurt_model *m, double *pe_us)
{
	double t[MAX_REPS + 1], pe[MAX_REPS + 1];
	uint8_t y[NY];
	struct raw rw;
	unsigned int r, i;

	raw_open(&rw, m);
	memset(y, 0, sizeof(y));
	raw_run(&rw, mlp_x, y);
	check_y(y, "raw uAPI");
	for (r = 0; r <= reps; r++) {
		uint64_t t0 = now_ns();

		rw.pe_ns = 0;
		for (i = 0; i < run_iters; i++)
			raw_run(&rw, mlp_x, y);
		t[r] = (now_ns() - t0) / 1e3 / run_iters;
		pe[r] = rw.pe_ns / 1e3 / run_iters;
	}
	check_y(y, "raw uAPI");
	raw_close(&rw);
	*pe_us = median(pe + 1, reps);
	return median(t + 1, reps);
}

/* npurt_runner_run() latency on @spec (NULL: npuDEVpe0), us. */
static double bench_runner(npurt_model *m, const char *spec, bool zero_copy)
{
	char npu[32];
	double t[MAX_REPS + 1];
	uint8_t y[NY];
	struct rt_runner rr;
	unsigned int r, i;

	snprintf(npu, sizeof(npu), "npu%upe0", dev_index);
	rr_open(&rr, spec ? spec : npu, m, 1);
	memset(y, 0, sizeof(y));
	if (zero_copy) {
		npurt_device *dev = npurt_runtime_device(rr.rt, 0);

		must(npurt_device_tensor_alloc(dev, npurt_runner_input(rr.r, 0),
					       &rr.in), "device tensor");
		must(npurt_device_tensor_alloc(dev, npurt_runner_output(rr.r, 0),
					       &rr.out), "device tensor");
		memcpy(npurt_tensor_data(rr.in), mlp_x, NX);
	} else {
		rr_wrap(&rr, mlp_x, NX, y, NY);
	}
	rr_run(&rr);
	if (zero_copy)
		memcpy(y, npurt_tensor_data(rr.out), NY);
	check_y(y, zero_copy ? "runner (device tensors)" : "runner");
	for (r = 0; r <= reps; r++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < run_iters; i++)
			rr_run(&rr);
		t[r] = (now_ns() - t0) / 1e3 / run_iters;
	}
	if (zero_copy)
		memcpy(y, npurt_tensor_data(rr.out), NY);
	check_y(y, "runner");
	rr_close(&rr);
	return median(t + 1, reps);
}

#define RUNNER_THREADS	4

struct mt_arg {
	pthread_t thread;
	npurt_runner *r;
	unsigned int iters;
	int err;
	bool bad;
};

static void *mt_main(void *p)
{
	struct mt_arg *a = p;
	npurt_tensor *in = NULL, *out = NULL;
	uint8_t y[NY];
	unsigned int i;

	a->err = npurt_tensor_wrap(npurt_runner_input(a->r, 0), mlp_x, NX, &in);
	if (!a->err)
		a->err = npurt_tensor_wrap(npurt_runner_output(a->r, 0), y, NY,
					   &out);
	for (i = 0; i < a->iters && !a->err; i++) {
		memset(y, 0, sizeof(y));
		a->err = npurt_runner_run(a->r, &in, &out);
		a->bad |= !a->err && memcmp(y, mlp_ref, NY);
	}
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	return NULL;
}

static double bench_runner_mt(npurt_model *m)
{
	struct mt_arg a[RUNNER_THREADS];
	double t[MAX_REPS + 1];
	struct rt_runner rr;
	char spec[48];
	unsigned int r, i;

	snprintf(spec, sizeof(spec), "npu%upe0,npu%upe1", dev_index, dev_index);
	rr_open(&rr, spec, m, 2);
	for (r = 0; r <= reps; r++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < RUNNER_THREADS; i++) {
			a[i] = (struct mt_arg){ .r = rr.r,
				.iters = run_iters / RUNNER_THREADS };
			if (pthread_create(&a[i].thread, NULL, mt_main, &a[i]))
				die("pthread_create failed");
		}
		for (i = 0; i < RUNNER_THREADS; i++) {
			pthread_join(a[i].thread, NULL);
			must(a[i].err, "npurt_runner_run (threads)");
			if (a[i].bad)
				die("runner (threads): output differs from the "
				    "cpu backend's");
		}
		t[r] = (double)(run_iters / RUNNER_THREADS * RUNNER_THREADS) /
		       ((now_ns() - t0) / 1e9);
	}
	rr_close(&rr);
	return median(t + 1, reps);
}

/* ---- queue: N runs in flight ----------------------------------------- */

static double queue_round(npurt_queue *q, npurt_tensor *in, npurt_tensor *out,
			  unsigned int depth, const uint8_t *y)
{
	unsigned int submitted = 0, received = 0;
	uint64_t t0 = now_ns();
	void *ctx;

	while (received < queue_runs) {
		if (submitted < queue_runs && submitted - received < depth) {
			must(npurt_queue_submit(q, &in,
						(void *)(uintptr_t)(submitted + 1)),
			     "npurt_queue_submit");
			submitted++;
			continue;
		}
		ctx = NULL;
		must(npurt_queue_recv(q, &ctx, &out, -1), "npurt_queue_recv");
		if (!ctx)
			die("npurt_queue_recv: no context");
		check_y(y, "queue");
		received++;
	}
	return queue_runs / ((now_ns() - t0) / 1e9);
}

static void bench_queue(npurt_model *m, double runner_rps)
{
	static const unsigned int depths[QUEUE_DEPTHS] = { 1, 4, 16, 64 };
	double t[QUEUE_DEPTHS][MAX_REPS + 1], med[QUEUE_DEPTHS];
	npurt_queue *q[QUEUE_DEPTHS];
	npurt_tensor *in, *out;
	npurt_runtime *rt;
	uint8_t y[NY];
	char spec[48], name[64];
	unsigned int d, r;

	snprintf(spec, sizeof(spec), "npu%upe0,npu%upe1", dev_index, dev_index);
	must(npurt_runtime_create(spec, &rt), "runtime (queue)");
	for (d = 0; d < QUEUE_DEPTHS; d++) {
		struct npurt_queue_opts o = {
			.worker_num = 4,
			.input_queue_size = depths[d],
			.output_queue_size = depths[d],
		};

		must(npurt_queue_create(rt, m, &o, &q[d]), "npurt_queue_create");
	}
	must(npurt_tensor_wrap(npurt_queue_input(q[0], 0), mlp_x, NX, &in),
	     "npurt_tensor_wrap");
	must(npurt_tensor_wrap(npurt_queue_output(q[0], 0), y, NY, &out),
	     "npurt_tensor_wrap");
	/* Interleaved: one round of each depth per repetition. */
	for (r = 0; r <= reps; r++)
		for (d = 0; d < QUEUE_DEPTHS; d++)
			t[d][r] = queue_round(q[d], in, out, depths[d], y);
	for (d = 0; d < QUEUE_DEPTHS; d++) {
		med[d] = median(t[d] + 1, reps);
		snprintf(name, sizeof(name), "queue_inflight_%u", depths[d]);
		figure(name, med[d], "runs/s");
	}
	for (d = 1; d < QUEUE_DEPTHS; d++) {
		snprintf(name, sizeof(name), "queue_inflight_%u_vs_1",
			 depths[d]);
		figure(name, med[d] / med[0], "x");
	}
	figure("queue_inflight_64_vs_runner", med[QUEUE_DEPTHS - 1] / runner_rps,
	       "x");
	npurt_tensor_destroy(in);
	npurt_tensor_destroy(out);
	for (d = 0; d < QUEUE_DEPTHS; d++)
		npurt_queue_destroy(q[d]);
	npurt_runtime_destroy(rt);
}

/* ---- GEMM 512^3 through the runtime ----------------------------------- */

static npurt_model *gemm_model(int8_t *a)
{
	const size_t n = (size_t)GEMM_DIM * GEMM_DIM;
	int8_t *b = malloc(n);
	int32_t *bias = malloc(4 * GEMM_DIM);
	npurt_program_builder *pb = NULL;
	npurt_program *p = NULL;
	npurt_model *m = NULL;
	struct npurt_tensor_info t;
	struct rm_npu_cmd c;
	uint32_t st = 12345;
	int sa, sc, sb, sbias;
	size_t i;

	if (!b || !bias)
		die("out of memory");
	for (i = 0; i < n; i++) {
		a[i] = (int8_t)((int)(mlp_rand(&st) % 256) - 128);
		b[i] = (int8_t)((int)(mlp_rand(&st) % 256) - 128);
	}
	for (i = 0; i < GEMM_DIM; i++)
		bias[i] = (int32_t)(mlp_rand(&st) % 65536) - 32768;
	must(npurt_program_builder_create("gemm512", &pb), "builder");
	t = mlp_tensor("a", NPURT_DTYPE_INT8, GEMM_DIM, GEMM_DIM, NULL);
	sa = npurt_program_builder_add_input(pb, &t);
	t = mlp_tensor("c", NPURT_DTYPE_INT8, GEMM_DIM, GEMM_DIM, NULL);
	sc = npurt_program_builder_add_output(pb, &t);
	t = mlp_tensor("b", NPURT_DTYPE_INT8, GEMM_DIM, GEMM_DIM, NULL);
	sb = npurt_program_builder_add_weights(pb, &t, b, n);
	t = mlp_tensor("bias", NPURT_DTYPE_INT32, 1, GEMM_DIM, NULL);
	sbias = npurt_program_builder_add_weights(pb, &t, bias, 4 * GEMM_DIM);
	must(sa, "add_input");
	must(sc, "add_output");
	must(sb, "add_weights");
	must(sbias, "add_weights");
	mlp_gemm(&c, (uint32_t)sa, (uint32_t)sb, (uint32_t)sbias, (uint32_t)sc,
		 GEMM_DIM, GEMM_DIM, GEMM_DIM, -12, -128);
	must(npurt_program_builder_add_cmd(pb, &c), "add_cmd");
	must(npurt_program_builder_finish(pb, &p), "finish");
	must(npurt_model_from_program(p, &m), "model");
	npurt_program_destroy(p);
	npurt_program_builder_destroy(pb);
	free(b);
	free(bias);
	return m;
}

#define GEMM_VARIANTS	3

static void bench_gemm(bool have_npu)
{
	static const char *const specs[GEMM_VARIANTS] = { "cpu(1)", "cpu(2)",
		"warboy(2)*1" };
	static const char *const names[GEMM_VARIANTS] = { "gemm512_cpu1",
		"gemm512_cpu2", "gemm512_npu_fused" };
	const size_t n = (size_t)GEMM_DIM * GEMM_DIM;
	const double ops = 2.0 * GEMM_DIM * GEMM_DIM * GEMM_DIM;
	unsigned int nv = have_npu ? GEMM_VARIANTS : 2, v, r, i;
	double t[GEMM_VARIANTS][MAX_REPS + 1], gops[GEMM_VARIANTS];
	struct rt_runner rr[GEMM_VARIANTS];
	int8_t *a = malloc(n), *c[GEMM_VARIANTS];
	npurt_model *m;

	if (!a)
		die("out of memory");
	m = gemm_model(a);
	for (v = 0; v < nv; v++) {
		c[v] = calloc(1, n);
		if (!c[v])
			die("out of memory");
		rr_open(&rr[v], specs[v], m, 1);
		rr_wrap(&rr[v], a, n, c[v], n);
	}
	/* Calibrate: a repetition lasts at least ~50 ms on cpu(1). */
	{
		uint64_t t0 = now_ns(), dt;

		rr_run(&rr[0]);
		dt = now_ns() - t0;
		gemm_iters = dt >= 50000000u ? 1 : (unsigned int)(50000000u /
							       (dt + 1)) + 1;
	}
	/* Interleaved: gemm_iters runs of each variant per round. */
	for (r = 0; r <= reps; r++) {
		for (v = 0; v < nv; v++) {
			uint64_t t0 = now_ns();

			for (i = 0; i < gemm_iters; i++)
				rr_run(&rr[v]);
			t[v][r] = ops * gemm_iters / (now_ns() - t0);
		}
	}
	for (v = 0; v < nv; v++) {
		if (v && memcmp(c[0], c[v], n))
			die("gemm512 on %s differs from cpu(1)", specs[v]);
		gops[v] = median(t[v] + 1, reps);
		figure(names[v], gops[v], "GOPS");
	}
	figure("gemm512_cpu2_vs_cpu1", gops[1] / gops[0], "x");
	if (have_npu)
		figure("gemm512_npu_fused_vs_cpu2", gops[2] / gops[1], "x");
	for (v = 0; v < nv; v++) {
		rr_close(&rr[v]);
		free(c[v]);
	}
	npurt_model_destroy(m);
	free(a);
}

/* ---- main -------------------------------------------------------------- */

static void write_json(const char *path)
{
	json_object *root = json_object_new_object();
	json_object *jn = json_object_new_array(), *jf = json_object_new_object();
	unsigned int i;

	json_object_object_add(root, "benchmark",
			       json_object_new_string("npurt-bench"));
	for (i = 0; i < num_notes; i++)
		json_object_array_add(jn, json_object_new_string(notes[i]));
	json_object_object_add(root, "notes", jn);
	for (i = 0; i < num_figures; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "value",
				       json_object_new_double(figures[i].value));
		json_object_object_add(f, "unit",
				       json_object_new_string(figures[i].unit));
		json_object_object_add(jf, figures[i].name, f);
	}
	json_object_object_add(root, "figures", jf);
	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY))
		die("writing %s: %s", path, json_util_get_last_err());
	json_object_put(root);
}

static bool npu_present(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/npu%upe1", dev_index);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int main(int argc, char **argv)
{
	const char *json = NULL;
	npurt_model *m;
	bool have_npu;
	char ver[256];
	double raw, raw_pe, runner, zc, mt;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			reps = (unsigned int)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			dev_index = (unsigned int)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-q")) {
			run_iters = 40;
			queue_runs = 64;
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else {
			fprintf(stderr, "usage: npurt-bench [-d DEV] [-r REPS] "
				"[-q] [--json PATH]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS)
		die("-r must be 1..%d", MAX_REPS);
	npurt_log_set_level(NPURT_LOG_ERROR);
	have_npu = npu_present();
	must(npurt_version_full(NULL, ver, sizeof(ver)), "npurt_version_full");
	note("%s; %u reps, medians after one warm-up", ver, reps);
	note("mlp m %u k %u hid %u n %u (3 commands); %u runs per rep, queue "
	     "%u runs per rep", shape.m, shape.k, shape.hid, shape.n, run_iters,
	     queue_runs);

	m = mlp_model();
	mlp_reference(m);
	if (have_npu) {
		raw = bench_raw(m, &raw_pe);
		runner = bench_runner(m, NULL, false);
		zc = bench_runner(m, NULL, true);
		figure("raw_run_latency", raw, "us");
		figure("raw_runs_per_s", 1e6 / raw, "runs/s");
		figure("raw_job_pe_time", raw_pe, "us");
		figure("runner_run_latency", runner, "us");
		figure("runner_runs_per_s", 1e6 / runner, "runs/s");
		figure("runner_overhead", runner - raw, "us");
		figure("runner_vs_raw", runner / raw, "x");
		figure("runner_zc_run_latency", zc, "us");
		figure("runner_zc_overhead", zc - raw, "us");
		mt = bench_runner_mt(m);
		figure("runner_2pe_4t_runs_per_s", mt, "runs/s");
		figure("runner_2pe_4t_vs_1t", mt / (1e6 / runner), "x");
		bench_queue(m, 1e6 / runner);
	} else {
		note("no /dev/npu%upe1: NPU figures skipped", dev_index);
	}
	figure("runner_cpu1_run_latency", bench_runner(m, "cpu(1)", false),
	       "us");
	npurt_model_destroy(m);
	bench_gemm(have_npu);
	if (json)
		write_json(json);
	return 0;
}
