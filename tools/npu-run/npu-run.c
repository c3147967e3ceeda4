// SPDX-License-Identifier: MIT
/*
 * npu-run - run a model through libnpurt, check its outputs and measure it:
 *
 *   npu-run MODEL [-d SPEC] [-i [NAME=]FILE]... [--random] [--seed N]
 *           [-n RUNS] [-w WARMUP] [-c IN_FLIGHT] [-b BATCH] [--workers N]
 *           [--compare DIR] [--tolerance T] [--save DIR] [--json]
 *           [--trace FILE] [-q]
 *
 * Prints the model summary and the devices the spec got (loudly when
 * "auto" fell back to the CPU), then latency (mean, p50, p90, p99),
 * throughput and each device's utilization over the measured runs, and
 * with --compare how the outputs agree with a test-data folder. The manual
 * is npu-run.1. Exit status: 0, 1 error, 2 bad command line, 3 outputs
 * outside the tolerance.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define EXIT_USAGE	2
#define EXIT_MISMATCH	3
#define MAX_INPUT_ARGS	64

struct input_arg {
	const char *name;		/* NULL: the next input in order */
	const char *file;
};

struct opts {
	const char *model;
	const char *spec;
	struct input_arg inputs[MAX_INPUT_ARGS];
	unsigned int num_inputs;
	bool random;
	uint64_t seed;
	unsigned long runs, warmup;
	unsigned int in_flight, batch, workers;
	const char *compare, *save, *trace;
	double tolerance;
	bool json, quiet;
};

struct ctx {
	const struct opts *o;
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *runner;
	npurt_queue *queue;
	unsigned int nin, nout, ndev;
	npurt_tensor **in, **out;
	char (*in_src)[300];		/* where each input came from */
	char ref_dir[4200];		/* --compare folder with the .pb */
	double load_ms;
	bool fallback;
	bool any_npu;			/* NPUs present (for the fallback note) */
	/* one GPU: the inputs' and outputs' device, so page-locked */
	npurt_device *io_dev;
	/* measured */
	uint64_t *lat;
	uint64_t wall_ns;
	struct run_dev_sample *s0, *s1;
	struct run_latency l;
};

static const char *prog = "npu-run";

static void usage(FILE *fp)
{
	fprintf(fp,
"Usage: npu-run MODEL [options]\n"
"Run MODEL (.onnx, compiled through the cache, or .npuprog) and report\n"
"latency, throughput and device utilization.\n"
"\n"
"  -d, --device SPEC      device spec (default $NPU_DEVICES, else auto)\n"
"  -i, --input [NAME=]FILE  input from a .pb (TensorProto), .npy or raw file;\n"
"                         without NAME= the next input in order (repeat)\n"
"      --random           random data for inputs not given otherwise\n"
"      --seed N           seed of --random (default 1)\n"
"  -n, --runs N           measured runs (default 100)\n"
"  -w, --warmup N         runs before measuring (default 5)\n"
"  -c, --in-flight N      runs in flight through a queue (default 1: runner)\n"
"  -b, --batch N          batch size: runs per inference call (default 1)\n"
"      --workers N        workers per device (default 2, or enough for -c)\n"
"      --compare DIR      check outputs against DIR/output_K.pb (or\n"
"                         DIR/test_data_set_0/); inputs default to its\n"
"                         input_K.pb\n"
"      --tolerance T      largest difference accepted: quantization units\n"
"                         (default 1), or absolute for float outputs\n"
"      --save DIR         write the inputs and last outputs as\n"
"                         DIR/input_K.pb, DIR/output_K.pb\n"
"      --json             one JSON object on stdout instead of text\n"
"      --trace FILE       Chrome trace of the measured runs (Perfetto)\n"
"  -q, --quiet            no progress line\n"
"  -h, --help, -V, --version\n"
"\n"
"Exit status: 0, 1 error, 2 bad command line, 3 outputs outside the\n"
"tolerance. Manual: npu-run(1).\n");
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int fail(int ret, const char *what)
{
	fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, npurt_last_error(),
		npurt_strerror(ret));
	return 1;
}

/* ---- command line --------------------------------------------------------- */

static bool parse_ulong(const char *s, unsigned long min, unsigned long max,
			unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_RANDOM = 256, O_SEED, O_WORKERS, O_COMPARE, O_TOL, O_SAVE,
	       O_JSON, O_TRACE };
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "input", required_argument, NULL, 'i' },
		{ "random", no_argument, NULL, O_RANDOM },
		{ "seed", required_argument, NULL, O_SEED },
		{ "runs", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "in-flight", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "compare", required_argument, NULL, O_COMPARE },
		{ "tolerance", required_argument, NULL, O_TOL },
		{ "save", required_argument, NULL, O_SAVE },
		{ "json", no_argument, NULL, O_JSON },
		{ "trace", required_argument, NULL, O_TRACE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->runs = 100;
	o->warmup = 5;
	o->in_flight = 1;
	o->batch = 1;
	o->tolerance = 1;
	while ((c = getopt_long(argc, argv, "d:i:n:w:c:b:qhV", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->spec = optarg;
			break;
		case 'i': {
			struct input_arg *a = &o->inputs[o->num_inputs];
			char *eq = strchr(optarg, '=');

			if (o->num_inputs == MAX_INPUT_ARGS)
				goto bad;
			a->file = optarg;
			if (eq) {
				*eq = 0;
				a->name = optarg;
				a->file = eq + 1;
			}
			o->num_inputs++;
			break;
		}
		case O_RANDOM:
			o->random = true;
			break;
		case O_SEED:
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				goto bad;
			break;
		case 'n':
			if (!parse_ulong(optarg, 1, 100000000, &o->runs))
				goto bad;
			break;
		case 'w':
			if (!parse_ulong(optarg, 0, 100000000, &o->warmup))
				goto bad;
			break;
		case 'c':
			if (!parse_ulong(optarg, 1, 4096, &v))
				goto bad;
			o->in_flight = (unsigned int)v;
			break;
		case 'b':
			if (!parse_ulong(optarg, 1, 4096, &v))
				goto bad;
			o->batch = (unsigned int)v;
			break;
		case O_WORKERS:
			if (!parse_ulong(optarg, 1, 64, &v))
				goto bad;
			o->workers = (unsigned int)v;
			break;
		case O_COMPARE:
			o->compare = optarg;
			break;
		case O_TOL:
			errno = 0;
			o->tolerance = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->tolerance >= 0))
				goto bad;
			break;
		case O_SAVE:
			o->save = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_TRACE:
			o->trace = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("npu-run (libnpurt %s)\n", npurt_version_string());
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", prog, optind < argc ?
			"one MODEL only" : "no MODEL given");
		usage(stderr);
		return -EINVAL;
	}
	o->model = argv[optind];
	return 0;
bad:
	for (v = 0; lo[v].name && lo[v].val != c; v++)
		;
	fprintf(stderr, "%s: bad value for --%s: '%s'\n", prog,
		lo[v].name ? lo[v].name : "?", optarg);
	return -EINVAL;
}

/* ---- setup ------------------------------------------------------------------- */

static bool file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* DIR/output_0.pb, else DIR/test_data_set_0/output_0.pb. */
static int find_ref_dir(struct ctx *c)
{
	char p[4300];

	snprintf(c->ref_dir, sizeof(c->ref_dir), "%s", c->o->compare);
	snprintf(p, sizeof(p), "%s/output_0.pb", c->ref_dir);
	if (file_exists(p))
		return 0;
	snprintf(c->ref_dir, sizeof(c->ref_dir), "%s/test_data_set_0",
		 c->o->compare);
	snprintf(p, sizeof(p), "%s/output_0.pb", c->ref_dir);
	if (file_exists(p))
		return 0;
	fprintf(stderr, "%s: --compare %s: no output_0.pb there nor in its "
		"test_data_set_0/\n", prog, c->o->compare);
	return -ENOENT;
}

static int open_all(struct ctx *c)
{
	const struct opts *o = c->o;
	unsigned int i, cpu = 0, per_dev;
	size_t npus = 0;
	double t0;
	int ret;

	ret = npurt_runtime_create(o->spec, &c->rt);
	if (ret)
		return fail(ret, "device spec");
	c->ndev = npurt_runtime_device_count(c->rt);
	for (i = 0; i < c->ndev; i++) {
		struct npurt_device_info info;

		npurt_device_get_info(npurt_runtime_device(c->rt, i), &info);
		cpu += info.kind == NPURT_DEVICE_CPU;
		if (c->ndev == 1 && info.kind == NPURT_DEVICE_GPU)
			c->io_dev = npurt_runtime_device(c->rt, i);
	}
	c->fallback = !strcmp(npurt_runtime_spec(c->rt), "auto") &&
		      cpu == c->ndev;
	c->any_npu = !npurt_discover(NULL, 0, &npus) && npus;
	t0 = now_s();
	ret = npurt_model_load(c->rt, o->model, &c->model);
	if (ret)
		return fail(ret, "model");
	c->load_ms = (now_s() - t0) * 1e3;
	if (o->in_flight == 1) {
		struct npurt_runner_opts ro = { .worker_num = o->workers,
						.batch_size = o->batch };

		ret = npurt_runner_create(c->rt, c->model, &ro, &c->runner);
		if (ret)
			return fail(ret, "runner");
		c->nin = npurt_runner_input_count(c->runner);
		c->nout = npurt_runner_output_count(c->runner);
	} else {
		/* the inputs stay as they are while runs are in flight */
		struct npurt_queue_opts qo = { .batch_size = o->batch,
			.input_queue_size = o->in_flight,
			.output_queue_size = o->in_flight,
			.flags = NPURT_QUEUE_BORROW_INPUTS };

		per_dev = (o->in_flight + c->ndev - 1) / c->ndev;
		qo.worker_num = o->workers ? o->workers :
				per_dev < 2 ? 2 : per_dev > 64 ? 64 : per_dev;
		ret = npurt_queue_create(c->rt, c->model, &qo, &c->queue);
		if (ret)
			return fail(ret, "queue");
		c->nin = npurt_queue_input_count(c->queue);
		c->nout = npurt_queue_output_count(c->queue);
	}
	c->in = calloc(c->nin + 1, sizeof(*c->in));
	c->out = calloc(c->nout + 1, sizeof(*c->out));
	c->in_src = calloc(c->nin + 1, sizeof(*c->in_src));
	c->lat = calloc(o->runs, sizeof(*c->lat));
	c->s0 = calloc(c->ndev, sizeof(*c->s0));
	c->s1 = calloc(c->ndev, sizeof(*c->s1));
	if (!c->in || !c->out || !c->in_src || !c->lat || !c->s0 || !c->s1) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	return 0;
}

static const npurt_tensor_desc *io_desc(const struct ctx *c, bool out,
					unsigned int i)
{
	if (c->runner)
		return out ? npurt_runner_output(c->runner, i) :
		       npurt_runner_input(c->runner, i);
	return out ? npurt_queue_output(c->queue, i) :
	       npurt_queue_input(c->queue, i);
}

static int input_index(const struct ctx *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nin; i++)
		if (!strcmp(npurt_tensor_desc_name(io_desc(c, false, i)), name))
			return (int)i;
	return -1;
}

/* Copy file tensor @t into input @i: one batch item (repeated) or all. */
static int input_fill(struct ctx *c, unsigned int i, const char *file,
		      const struct run_tensor *t)
{
	const npurt_tensor_desc *d = io_desc(c, false, i);
	size_t size = npurt_tensor_desc_size(d), item = size / c->o->batch;
	uint8_t *dst = npurt_tensor_data(c->in[i]);
	unsigned int b;

	if (t->dtype && t->dtype != npurt_tensor_desc_dtype(d)) {
		fprintf(stderr, "%s: %s: %s data for input \"%s\" of type %s\n",
			prog, file, npurt_dtype_name(t->dtype),
			npurt_tensor_desc_name(d),
			npurt_dtype_name(npurt_tensor_desc_dtype(d)));
		return -EINVAL;
	}
	if (t->size == size) {
		memcpy(dst, t->data, size);
	} else if (t->size == item) {
		for (b = 0; b < c->o->batch; b++)
			memcpy(dst + (size_t)b * item, t->data, item);
	} else {
		fprintf(stderr, "%s: %s: %zu bytes for input \"%s\", which "
			"takes %zu (one batch item) or %zu\n", prog, file,
			t->size, npurt_tensor_desc_name(d), item, size);
		return -EINVAL;
	}
	snprintf(c->in_src[i], sizeof(c->in_src[i]), "%s", file);
	return 0;
}

static int input_from_file(struct ctx *c, unsigned int i, const char *file)
{
	struct run_tensor t;
	int ret = run_tensor_read(file, &t);

	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, run_last_error());
		return ret;
	}
	ret = input_fill(c, i, file, &t);
	run_tensor_free(&t);
	return ret;
}

/*
 * An input or output tensor: on a single GPU, one of that device
 * (page-locked host memory its copies read and write by DMA, and from
 * which it quantizes the input itself), as an application after
 * throughput would allocate them; else, or when that memory runs out,
 * host memory.
 */
static int io_alloc(struct ctx *c, bool out, unsigned int i,
		    npurt_tensor **t)
{
	/* page-locked memory is scarcer: host memory when it runs out */
	if (c->io_dev &&
	    !npurt_device_tensor_alloc(c->io_dev, io_desc(c, out, i), t))
		return 0;
	return npurt_tensor_alloc(c->rt, io_desc(c, out, i), t);
}

static int setup_inputs(struct ctx *c)
{
	const struct opts *o = c->o;
	unsigned int i, next = 0;
	char path[4300];
	int ret, k;

	for (i = 0; i < c->nin; i++) {
		ret = io_alloc(c, false, i, &c->in[i]);
		if (ret)
			return fail(ret, "input tensor");
	}
	for (i = 0; i < c->nout; i++) {
		ret = io_alloc(c, true, i, &c->out[i]);
		if (ret)
			return fail(ret, "output tensor");
	}
	for (i = 0; i < o->num_inputs; i++) {
		const struct input_arg *a = &o->inputs[i];

		if (a->name) {
			k = input_index(c, a->name);
		} else {
			while (next < c->nin && c->in_src[next][0])
				next++;
			k = next < c->nin ? (int)next : -1;
		}
		if (k < 0) {
			fprintf(stderr, "%s: -i %s%s%s: %s\n", prog,
				a->name ? a->name : "", a->name ? "=" : "",
				a->file, a->name ? "the model has no input of "
				"that name" : "more files than inputs");
			return 1;
		}
		if (c->in_src[k][0]) {
			fprintf(stderr, "%s: input \"%s\" given twice\n", prog,
				npurt_tensor_desc_name(io_desc(c, false, k)));
			return 1;
		}
		if (input_from_file(c, (unsigned int)k, a->file))
			return 1;
	}
	for (i = 0; i < c->nin; i++) {
		const npurt_tensor_desc *d = io_desc(c, false, i);

		if (c->in_src[i][0])
			continue;
		snprintf(path, sizeof(path), "%s/input_%u.pb", c->ref_dir, i);
		if (o->compare && file_exists(path)) {
			if (input_from_file(c, i, path))
				return 1;
		} else if (o->random) {
			run_tensor_random(npurt_tensor_data(c->in[i]),
					  npurt_tensor_desc_size(d),
					  npurt_tensor_desc_dtype(d),
					  o->seed + i);
			snprintf(c->in_src[i], sizeof(c->in_src[i]),
				 "random (seed %" PRIu64 ")", o->seed + i);
		} else {
			fprintf(stderr, "%s: input \"%s\" has no data: give -i "
				"%s=FILE, --random or --compare DIR\n", prog,
				npurt_tensor_desc_name(d),
				npurt_tensor_desc_name(d));
			return 1;
		}
	}
	return 0;
}

/* ---- running ---------------------------------------------------------------- */

struct progress {
	bool on;
	double last;
};

static void progress_show(struct progress *p, const char *what,
			  unsigned long done, unsigned long total)
{
	double t;

	if (!p->on)
		return;
	t = now_s();
	if (done < total && t - p->last < 0.2)
		return;
	p->last = t;
	fprintf(stderr, "\r%s: %s %lu/%lu", prog, what, done, total);
	if (done == total)
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

static int run_runner(struct ctx *c, unsigned long n, uint64_t *lat,
		      struct progress *p, const char *what)
{
	unsigned long i;
	uint64_t t;
	int ret;

	for (i = 0; i < n; i++) {
		t = now_ns();
		ret = npurt_runner_run(c->runner, c->in, c->out);
		if (ret)
			return fail(ret, "run");
		if (lat)
			lat[i] = now_ns() - t;
		progress_show(p, what, i + 1, n);
	}
	return 0;
}

/* Keep up to in_flight runs submitted; latency from submit to recv. */
static int run_queue(struct ctx *c, unsigned long n, uint64_t *lat,
		     struct progress *p, const char *what)
{
	uint64_t *t_sub = calloc(n, sizeof(*t_sub));
	unsigned long sent = 0, got = 0;
	void *ctxp;
	int ret = 0;

	if (!t_sub) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	while (got < n) {
		while (sent < n && sent - got < c->o->in_flight) {
			t_sub[sent] = now_ns();
			ret = npurt_queue_submit(c->queue, c->in,
						 (void *)(uintptr_t)sent);
			if (ret)
				goto out;
			sent++;
		}
		ret = npurt_queue_recv(c->queue, &ctxp, c->out, -1);
		if (ret)
			goto out;
		if (lat)
			lat[got] = now_ns() - t_sub[(uintptr_t)ctxp];
		got++;
		progress_show(p, what, got, n);
	}
out:
	free(t_sub);
	return ret ? fail(ret, "queued run") : 0;
}

static int run_all(struct ctx *c)
{
	const struct opts *o = c->o;
	struct progress p = { .on = !o->quiet && isatty(STDERR_FILENO) };
	int (*fn)(struct ctx *, unsigned long, uint64_t *, struct progress *,
		  const char *) = c->runner ? run_runner : run_queue;
	uint64_t t0;
	unsigned int d;
	int ret;

	if (o->warmup && fn(c, o->warmup, NULL, &p, "warmup"))
		return 1;
	if (o->trace) {
		ret = npurt_profiler_start(c->rt, o->trace);
		if (ret)
			return fail(ret, "--trace");
	}
	for (d = 0; d < c->ndev; d++)
		if (run_dev_sample(npurt_runtime_device(c->rt, d), &c->s0[d]))
			fprintf(stderr, "%s: %s\n", prog, run_last_error());
	t0 = now_ns();
	ret = fn(c, o->runs, c->lat, &p, "run");
	c->wall_ns = now_ns() - t0;
	for (d = 0; d < c->ndev; d++)
		if (run_dev_sample(npurt_runtime_device(c->rt, d), &c->s1[d]))
			fprintf(stderr, "%s: %s\n", prog, run_last_error());
	if (o->trace) {
		int r = npurt_profiler_stop(c->rt);

		if (r && !ret)
			return fail(r, "--trace");
	}
	if (ret)
		return ret;
	run_latency_stats(c->lat, o->runs, &c->l);
	return 0;
}

/* ---- outputs: save, compare ------------------------------------------------ */

static int save_tensors(const struct ctx *c)
{
	char path[4300];
	unsigned int k, i;
	int ret;

	if (mkdir(c->o->save, 0755) && errno != EEXIST) {
		fprintf(stderr, "%s: --save %s: %s\n", prog, c->o->save,
			strerror(errno));
		return 1;
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < (k ? c->nout : c->nin); i++) {
			const npurt_tensor_desc *d = io_desc(c, k, i);

			snprintf(path, sizeof(path), "%s/%s_%u.pb", c->o->save,
				 k ? "output" : "input", i);
			ret = run_tensor_write_pb(path,
					npurt_tensor_desc_name(d),
					npurt_tensor_desc_dtype(d),
					npurt_tensor_desc_ndim(d),
					npurt_tensor_desc_shape(d),
					npurt_tensor_data(k ? c->out[i] :
							  c->in[i]),
					npurt_tensor_desc_size(d));
			if (ret) {
				fprintf(stderr, "%s: %s\n", prog,
					run_last_error());
				return 1;
			}
		}
	}
	return 0;
}

/* Compare every output; *@all_within: each within the tolerance. */
static int compare_outputs(const struct ctx *c, struct run_compare *res,
			   bool *all_within)
{
	char path[4300];
	unsigned int i;
	int ret;

	*all_within = true;
	for (i = 0; i < c->nout; i++) {
		struct run_tensor ref;

		snprintf(path, sizeof(path), "%s/output_%u.pb", c->ref_dir, i);
		ret = run_tensor_read(path, &ref);
		if (!ret)
			ret = run_compare_output(io_desc(c, true, i),
						 c->o->batch,
						 npurt_tensor_data(c->out[i]),
						 &ref, c->o->tolerance, &res[i]);
		run_tensor_free(&ref);
		if (ret) {
			fprintf(stderr, "%s: --compare: %s\n", prog,
				run_last_error());
			return 1;
		}
		*all_within &= res[i].within;
	}
	return 0;
}

/* ---- reports ------------------------------------------------------------------ */

static void device_line(const npurt_device *dev, char *buf, size_t len)
{
	struct npurt_device_info i;

	npurt_device_get_info(dev, &i);
	if (i.kind == NPURT_DEVICE_CPU)
		snprintf(buf, len, "%s (CPU, %u thread%s)", i.name, i.threads,
			 i.threads == 1 ? "" : "s");
	else if (i.kind == NPURT_DEVICE_GPU)
		snprintf(buf, len, "%s (GPU, %s, %llu MiB)", i.name, i.arch,
			 (unsigned long long)(i.mem_total >> 20));
	else if (i.pe_count > 1)
		snprintf(buf, len, "%s (%s, PEs %u-%u fused, firmware %s)",
			 i.name, i.arch, i.pe_first,
			 i.pe_first + i.pe_count - 1, i.fw_version_str);
	else
		snprintf(buf, len, "%s (%s, PE %u, firmware %s)", i.name,
			 i.arch, i.pe_first, i.fw_version_str);
}

static const char *fallback_reason(const struct ctx *c)
{
	return c->any_npu ? "every NPU PE is held by another process" :
	       "no NPU is present";
}

static void print_header(const struct ctx *c)
{
	const struct opts *o = c->o;
	char line[256];
	unsigned int i;

	printf("%s", npurt_model_summary(c->model));
	printf("loaded %s in %.1f ms\n", o->model, c->load_ms);
	printf("device spec \"%s\":", npurt_runtime_spec(c->rt));
	for (i = 0; i < c->ndev; i++) {
		device_line(npurt_runtime_device(c->rt, i), line, sizeof(line));
		printf("%s %s", i ? "," : "", line);
	}
	printf("\n");
	if (c->fallback)
		printf("WARNING: \"auto\" fell back to the CPU: %s; figures "
		       "below are the CPU's, not an NPU's\n",
		       fallback_reason(c));
	printf("%s: batch %u, %u in flight, %lu runs after %lu warmup\n",
	       c->runner ? "runner" : "queue", o->batch, o->in_flight, o->runs,
	       o->warmup);
	for (i = 0; i < c->nin; i++)
		printf("input \"%s\": %s\n",
		       npurt_tensor_desc_name(io_desc(c, false, i)),
		       c->in_src[i]);
	fflush(stdout);
}

static double throughput(const struct ctx *c)
{
	return c->wall_ns ? (double)c->o->runs * c->o->batch * 1e9 /
			    (double)c->wall_ns : 0;
}

static void print_compare_line(const struct run_compare *r)
{
	printf("compare \"%s\": ", r->name);
	if (r->integer)
		printf("%.2f%% equal, largest difference %g units (integer "
		       "output)", 100.0 * (double)r->equal / (double)r->count,
		       r->max_diff);
	else if (r->quantized)
		printf("%.2f%% equal in quantized units (scale %g, zero point "
		       "%d), largest difference %g units",
		       100.0 * (double)r->equal / (double)r->count, r->scale,
		       r->zero_point, r->max_diff);
	else
		printf("compared as floats (no quantization step recorded on "
		       "the output): %.2f%% exactly equal, largest absolute "
		       "difference %g, relative %g",
		       100.0 * (double)r->equal / (double)r->count, r->max_diff,
		       r->max_rel);
	if (r->rows)
		printf(", argmax agrees on %llu/%llu rows",
		       (unsigned long long)r->argmax_agree,
		       (unsigned long long)r->rows);
	printf("%s\n", r->within ? "" : " -- OUTSIDE TOLERANCE");
}

static void print_results(const struct ctx *c, const struct run_compare *cmp,
			  bool within)
{
	unsigned int d;

	printf("time: %.3f s for %lu runs of batch %u\n",
	       (double)c->wall_ns / 1e9, c->o->runs, c->o->batch);
	printf("latency (ms): mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  min "
	       "%.3f  max %.3f\n", c->l.mean_ms, c->l.p50_ms, c->l.p90_ms,
	       c->l.p99_ms, c->l.min_ms, c->l.max_ms);
	printf("throughput: %.1f inferences/s\n", throughput(c));
	for (d = 0; d < c->ndev; d++) {
		const npurt_device *dev = npurt_runtime_device(c->rt, d);
		struct npurt_device_info i;
		double u = run_dev_utilization(dev, &c->s0[d], &c->s1[d],
					       c->wall_ns);

		npurt_device_get_info(dev, &i);
		if (i.kind == NPURT_DEVICE_NPU)
			printf("utilization %s: %.1f%% (%" PRIu64 " jobs)\n",
			       i.name, 100 * u, c->s1[d].jobs - c->s0[d].jobs);
		else
			printf("utilization %s: %.2f cores busy for its %u "
			       "thread%s (process CPU time)\n", i.name,
			       u * i.threads, i.threads,
			       i.threads == 1 ? "" : "s");
	}
	if (c->o->trace)
		printf("trace: %s\n", c->o->trace);
	for (d = 0; cmp && d < c->nout; d++)
		print_compare_line(&cmp[d]);
	if (cmp)
		printf("compare %s: %s\n", c->ref_dir, within ? "ok" :
		       "outputs outside the tolerance");
}

static json_object *j_tensor(const npurt_tensor_desc *d, const char *src)
{
	json_object *o = json_object_new_object(), *shape;
	unsigned int a;

	json_object_object_add(o, "name",
			       json_object_new_string(npurt_tensor_desc_name(d)));
	json_object_object_add(o, "dtype", json_object_new_string(
			npurt_dtype_name(npurt_tensor_desc_dtype(d))));
	shape = json_object_new_array();
	for (a = 0; a < npurt_tensor_desc_ndim(d); a++)
		json_object_array_add(shape, json_object_new_int64(
			(int64_t)npurt_tensor_desc_dim(d, a)));
	json_object_object_add(o, "shape", shape);
	json_object_object_add(o, "layout", json_object_new_string(
			npurt_tensor_desc_layout(d)));
	json_object_object_add(o, "scale", json_object_new_double(
			npurt_tensor_desc_scale(d)));
	json_object_object_add(o, "zero_point", json_object_new_int(
			npurt_tensor_desc_zero_point(d)));
	if (src)
		json_object_object_add(o, "source", json_object_new_string(src));
	return o;
}

static void print_json(const struct ctx *c, const struct run_compare *cmp,
		       bool within)
{
	json_object *root = json_object_new_object(), *a, *o;
	unsigned int i;

	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(c->o->model));
	json_object_object_add(o, "name", json_object_new_string(
			npurt_model_name(c->model)));
	json_object_object_add(o, "load_ms", json_object_new_double(c->load_ms));
	a = json_object_new_array();
	for (i = 0; i < c->nin; i++)
		json_object_array_add(a, j_tensor(io_desc(c, false, i),
						  c->in_src[i]));
	json_object_object_add(o, "inputs", a);
	a = json_object_new_array();
	for (i = 0; i < c->nout; i++)
		json_object_array_add(a, j_tensor(io_desc(c, true, i), NULL));
	json_object_object_add(o, "outputs", a);
	json_object_object_add(root, "model", o);
	json_object_object_add(root, "spec", json_object_new_string(
			npurt_runtime_spec(c->rt)));
	a = json_object_new_array();
	for (i = 0; i < c->ndev; i++) {
		const npurt_device *dev = npurt_runtime_device(c->rt, i);
		struct npurt_device_info di;

		npurt_device_get_info(dev, &di);
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(di.name));
		json_object_object_add(o, "kind", json_object_new_string(
			di.kind == NPURT_DEVICE_NPU ? "npu" :
			di.kind == NPURT_DEVICE_GPU ? "gpu" : "cpu"));
		json_object_object_add(o, "arch", json_object_new_string(di.arch));
		json_object_object_add(o, "pe_first",
				       json_object_new_int((int)di.pe_first));
		json_object_object_add(o, "pe_count",
				       json_object_new_int((int)di.pe_count));
		json_object_object_add(o, "threads",
				       json_object_new_int((int)di.threads));
		json_object_object_add(o, "utilization", json_object_new_double(
			run_dev_utilization(dev, &c->s0[i], &c->s1[i],
					    c->wall_ns)));
		json_object_object_add(o, "jobs", json_object_new_int64(
			(int64_t)(c->s1[i].jobs - c->s0[i].jobs)));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "devices", a);
	json_object_object_add(root, "fallback_to_cpu",
			       json_object_new_boolean(c->fallback));
	json_object_object_add(root, "mode", json_object_new_string(
			c->runner ? "runner" : "queue"));
	json_object_object_add(root, "batch", json_object_new_int((int)c->o->batch));
	json_object_object_add(root, "in_flight",
			       json_object_new_int((int)c->o->in_flight));
	json_object_object_add(root, "warmup",
			       json_object_new_int64((int64_t)c->o->warmup));
	json_object_object_add(root, "runs",
			       json_object_new_int64((int64_t)c->o->runs));
	json_object_object_add(root, "wall_s", json_object_new_double(
			(double)c->wall_ns / 1e9));
	o = json_object_new_object();
	json_object_object_add(o, "mean", json_object_new_double(c->l.mean_ms));
	json_object_object_add(o, "p50", json_object_new_double(c->l.p50_ms));
	json_object_object_add(o, "p90", json_object_new_double(c->l.p90_ms));
	json_object_object_add(o, "p99", json_object_new_double(c->l.p99_ms));
	json_object_object_add(o, "min", json_object_new_double(c->l.min_ms));
	json_object_object_add(o, "max", json_object_new_double(c->l.max_ms));
	json_object_object_add(root, "latency_ms", o);
	json_object_object_add(root, "inferences_per_s",
			       json_object_new_double(throughput(c)));
	json_object_object_add(root, "trace", c->o->trace ?
			       json_object_new_string(c->o->trace) : NULL);
	if (cmp) {
		o = json_object_new_object();
		json_object_object_add(o, "dir", json_object_new_string(c->ref_dir));
		json_object_object_add(o, "tolerance",
				       json_object_new_double(c->o->tolerance));
		json_object_object_add(o, "within_tolerance",
				       json_object_new_boolean(within));
		a = json_object_new_array();
		for (i = 0; i < c->nout; i++) {
			const struct run_compare *r = &cmp[i];
			json_object *e = json_object_new_object();

			json_object_object_add(e, "name",
					       json_object_new_string(r->name));
			json_object_object_add(e, "units", json_object_new_string(
				r->integer ? "integer" : r->quantized ?
				"quantized" : "float"));
			json_object_object_add(e, "scale",
					       json_object_new_double(r->scale));
			json_object_object_add(e, "zero_point",
					       json_object_new_int(r->zero_point));
			json_object_object_add(e, "equal_pct", json_object_new_double(
				100.0 * (double)r->equal / (double)r->count));
			json_object_object_add(e, "max_diff",
					       json_object_new_double(r->max_diff));
			if (!r->quantized)
				json_object_object_add(e, "max_rel",
					json_object_new_double(r->max_rel));
			if (r->rows) {
				json_object_object_add(e, "rows",
					json_object_new_int64((int64_t)r->rows));
				json_object_object_add(e, "argmax_agree",
					json_object_new_int64(
						(int64_t)r->argmax_agree));
			}
			json_object_object_add(e, "within_tolerance",
					       json_object_new_boolean(r->within));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "outputs", a);
		json_object_object_add(root, "compare", o);
	}
	printf("%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void ctx_free(struct ctx *c)
{
	unsigned int i;

	/* first: runs still in flight read the inputs (the queue borrows) */
	npurt_runner_destroy(c->runner);
	npurt_queue_destroy(c->queue);
	for (i = 0; c->in && i < c->nin; i++)
		npurt_tensor_destroy(c->in[i]);
	for (i = 0; c->out && i < c->nout; i++)
		npurt_tensor_destroy(c->out[i]);
	npurt_model_destroy(c->model);
	npurt_runtime_destroy(c->rt);
	free(c->in);
	free(c->out);
	free(c->in_src);
	free(c->lat);
	free(c->s0);
	free(c->s1);
}

int main(int argc, char **argv)
{
	struct run_compare *cmp = NULL;
	struct opts o;
	struct ctx c;
	bool within = true;
	int ret;

	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	memset(&c, 0, sizeof(c));
	c.o = &o;
	ret = o.compare ? find_ref_dir(&c) : 0;
	if (!ret)
		ret = open_all(&c);
	if (!ret)
		ret = setup_inputs(&c);
	if (!ret && !o.json)
		print_header(&c);
	if (!ret && c.fallback)
		fprintf(stderr, "%s: WARNING: \"auto\" fell back to the CPU: "
			"%s\n", prog, fallback_reason(&c));
	if (!ret)
		ret = run_all(&c);
	if (!ret && o.save)
		ret = save_tensors(&c);
	if (!ret && o.compare) {
		cmp = calloc(c.nout + 1, sizeof(*cmp));
		ret = !cmp || compare_outputs(&c, cmp, &within);
	}
	if (!ret && o.json)
		print_json(&c, cmp, within);
	else if (!ret)
		print_results(&c, cmp, within);
	free(cmp);
	ctx_free(&c);
	if (ret)
		return 1;
	return within ? 0 : EXIT_MISMATCH;
}
