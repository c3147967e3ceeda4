// SPDX-License-Identifier: MIT
/*
 * model-bench: libnpurt's CPU backend on ONNX models, time per inference,
 * the side of `make bench`'s model peers (tests/bench/run-peers) that
 * onnxruntime (tests/bench/ort-bench.js) is compared with. Host only.
 *
 *   model-bench [-r REPS] [-t SECONDS] [-j THREADS,...] MODEL_DIR...
 *
 * MODEL_DIR holds model.onnx and test_data_set_0/input_N.pb (ONNX's test
 * layout). For each model and thread count T (default 1,2): a runtime on
 * cpu(T), the model loaded as a user loads it (npurt_model_load() of the
 * .onnx: the compiler plugin and the compile cache, $NPURT_CACHE_DIR), a
 * runner fed the test set's inputs, 24 warm-up runs (past the split
 * measurements of a cpu(N) runner's first runs), then REPS repetitions
 * (default 5), each a slice of every thread count in turn (interleaved,
 * the first count rotating), a slice as many runs as fill SECONDS / REPS
 * / (thread counts) (default 1 s in all, at least one run each):
 *
 *   model_NAME_cpuT MS ms        the median over the repetitions
 *   model_NAME_cpuT_vs_cpu1 R x  the median over the repetitions of
 *                                cpu(1)'s ms / cpu(T)'s ms in each (with
 *                                1 among the counts)
 *
 * NAME is MODEL_DIR's last component. A model that does not compile gets
 * "# not compiled: NAME: <reason>", one that fails to run "# NAME: ..."
 * and the others go on. Exit status: 0, 2 on a bad command line; timings
 * and models never fail it.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "npuc.h"

#define MAX_REPS	64
#define MAX_THREADS	8
#define MAX_IO		16

static unsigned int reps = 5;
static double secs = 1.0;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*buf = NULL;
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(*buf = malloc((size_t)n + 1)) ||
	    fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

/*
 * Input @k of the test set into @t's memory: the bytes of the stored
 * tensor, which must have the tensor's size. Return: 0 or -errno, with a
 * message in @why.
 */
static int load_input(const char *dir, unsigned int k, npurt_tensor *t,
		      char *why, size_t why_len)
{
	struct npuc_tensor pb;
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/test_data_set_0/input_%u.pb", dir, k);
	ret = read_file(path, &buf, &len);
	if (ret) {
		snprintf(why, why_len, "%s: %s", path, strerror(-ret));
		return ret;
	}
	memset(&pb, 0, sizeof(pb));
	ret = npuc_tensor_decode(buf, len, &pb);
	free(buf);
	if (ret) {
		snprintf(why, why_len, "%s: %s", path, npuc_last_error());
		return ret;
	}
	if (pb.nbytes != npurt_tensor_size(t)) {
		snprintf(why, why_len, "%s: %zu bytes, the model's input %zu",
			 path, pb.nbytes, npurt_tensor_size(t));
		ret = -EINVAL;
	} else {
		memcpy(npurt_tensor_data(t), pb.data, pb.nbytes);
	}
	npuc_tensor_release(&pb);
	return ret;
}

struct run {
	npurt_runtime *rt;
	npurt_model *model;
	npurt_runner *r;
	npurt_tensor *in[MAX_IO], *out[MAX_IO];
	unsigned int nin, nout;
};

static void run_close(struct run *x)
{
	unsigned int i;

	for (i = 0; i < x->nin; i++)
		npurt_tensor_destroy(x->in[i]);
	for (i = 0; i < x->nout; i++)
		npurt_tensor_destroy(x->out[i]);
	npurt_runner_destroy(x->r);
	npurt_model_destroy(x->model);
	npurt_runtime_destroy(x->rt);
	memset(x, 0, sizeof(*x));
}

/*
 * Opens @dir's model on cpu(@threads) with its inputs loaded. Return: 0;
 * 1 when it does not compile (a note printed); -errno on other failures
 * (a note printed).
 */
static int run_open(struct run *x, const char *dir, const char *name,
		    unsigned int threads)
{
	struct npurt_runner_opts o = { .worker_num = 1 };
	char spec[16], path[PATH_MAX], why[PATH_MAX + 512];
	unsigned int i;
	int ret;

	memset(x, 0, sizeof(*x));
	snprintf(spec, sizeof(spec), "cpu(%u)", threads);
	ret = npurt_runtime_create(spec, &x->rt);
	if (ret) {
		printf("# %s: %s: %s\n", name, spec, npurt_last_error());
		return ret;
	}
	snprintf(path, sizeof(path), "%s/model.onnx", dir);
	ret = npurt_model_load(x->rt, path, &x->model);
	if (ret) {
		printf("# not compiled: %s: %s\n", name, npurt_last_error());
		return 1;
	}
	ret = npurt_runner_create(x->rt, x->model, &o, &x->r);
	for (i = 0; !ret && npurt_runner_input(x->r, i); i++) {
		if (i == MAX_IO) {
			ret = -E2BIG;
			break;
		}
		ret = npurt_tensor_alloc(x->rt, npurt_runner_input(x->r, i),
					 &x->in[x->nin]);
		if (!ret)
			x->nin++;
		if (!ret)
			ret = load_input(dir, i, x->in[i], why, sizeof(why));
		if (ret) {
			printf("# %s: input %u: %s\n", name, i,
			       ret == -E2BIG ? "too many" : why);
			return ret;
		}
	}
	for (i = 0; !ret && npurt_runner_output(x->r, i); i++) {
		if (i == MAX_IO) {
			ret = -E2BIG;
			break;
		}
		ret = npurt_tensor_alloc(x->rt, npurt_runner_output(x->r, i),
					 &x->out[x->nout]);
		if (!ret)
			x->nout++;
	}
	if (ret)
		printf("# %s: %s: %s\n", name, spec, npurt_last_error());
	return ret;
}

/* Runs @x for about @ms; 0 with its ms per run in *@per, or -errno. */
static int time_slice(struct run *x, double ms, double *per)
{
	double t0 = now_ms(), t;
	unsigned int n = 0;
	int ret;

	do {
		ret = npurt_runner_run(x->r, x->in, x->out);
		n++;
		t = now_ms() - t0;
	} while (!ret && t < ms);
	*per = t / n;
	return ret;
}

/*
 * Times @dir's model on cpu(T) for each of the @nt thread counts, their
 * slices interleaved (repetition r starts at thread count r mod @nt): on
 * a shared host, load that comes and goes then weighs on every count
 * alike, and each repetition gives a ratio of counts measured side by
 * side. Prints the figures or a note. Return: 1 when the model does not
 * compile, else 0.
 */
static int bench_model(const char *dir, const char *name,
		       const unsigned int *threads, unsigned int nt)
{
	static double per[MAX_THREADS][MAX_REPS];
	struct run x[MAX_THREADS];
	double ratio[MAX_REPS];
	unsigned int r, i, j, one = nt;
	int ret = 0, nc = 0;

	memset(x, 0, sizeof(x));
	for (i = 0; i < nt && !ret; i++) {
		ret = run_open(&x[i], dir, name, threads[i]);
		if (threads[i] == 1 && one == nt)
			one = i;
		/* enough for the split measurements (cpu_backend.c) */
		for (j = 0; !ret && j < 24; j++)
			ret = npurt_runner_run(x[i].r, x[i].in, x[i].out);
		if (ret < 0 && x[i].r)
			printf("# %s: cpu(%u) run failed: %s\n", name,
			       threads[i], npurt_last_error());
	}
	nc = ret == 1;
	for (r = 0; !ret && r < reps; r++)
		for (j = 0; !ret && j < nt; j++) {
			i = (r + j) % nt;
			ret = time_slice(&x[i], secs * 1e3 / reps / nt,
					 &per[i][r]);
			if (ret)
				printf("# %s: cpu(%u) run failed: %s\n",
				       name, threads[i], npurt_last_error());
		}
	for (i = 0; !ret && i < nt; i++) {
		for (r = 0; one < nt && r < reps; r++)
			ratio[r] = per[one][r] / per[i][r];
		printf("model_%s_cpu%u %.6g ms\n", name, threads[i],
		       median(per[i], reps));
		if (one < nt && i != one)
			printf("model_%s_cpu%u_vs_cpu1 %.6g x\n", name,
			       threads[i], median(ratio, reps));
	}
	fflush(stdout);
	for (i = 0; i < nt; i++)
		run_close(&x[i]);
	return nc;
}

int main(int argc, char **argv)
{
	unsigned int threads[MAX_THREADS] = { 1, 2 }, nthreads = 2;
	char *s, *tok, *save = NULL;
	int opt, d;

	while ((opt = getopt(argc, argv, "r:t:j:")) != -1) {
		switch (opt) {
		case 'r':
			reps = (unsigned int)strtoul(optarg, NULL, 10);
			if (reps < 1 || reps > MAX_REPS)
				goto usage;
			break;
		case 't':
			secs = strtod(optarg, NULL);
			if (!(secs > 0))
				goto usage;
			break;
		case 'j':
			nthreads = 0;
			for (s = optarg; (tok = strtok_r(s, ",", &save));
			     s = NULL) {
				if (nthreads == MAX_THREADS || atoi(tok) < 1)
					goto usage;
				threads[nthreads++] = (unsigned int)atoi(tok);
			}
			if (!nthreads)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc)
		goto usage;
	printf("# model-bench: libnpurt %s, cpu(N) through npurt_model_load(), %u reps of %.3f s per thread count, interleaved, medians\n",
	       npurt_version_string(), reps, secs / reps / nthreads);
	for (d = optind; d < argc; d++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", argv[d]);
		bench_model(argv[d], basename(dir), threads, nthreads);
	}
	return 0;

usage:
	fprintf(stderr, "usage: model-bench [-r REPS] [-t SECONDS] [-j THREADS,...] MODEL_DIR...\n");
	return 2;
}
