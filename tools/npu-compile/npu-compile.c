// SPDX-License-Identifier: MIT
/*
 * npu-compile - compile an ONNX model to an rm_npu program (.npuprog).
 *
 *   npu-compile MODEL.onnx [-o OUT.npuprog] [--explain] [--name NAME]
 *   npu-compile --cache list|stats|clear
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "npuc.h"
#include "npuc_cache.h"

/*
 * Progress on a terminal: nothing unless stderr is a tty and the compile
 * has run for more than PROGRESS_DELAY_MS; then one "\r" line at most every
 * 100 ms, erased when the compile ends.
 */
#define PROGRESS_DELAY_MS	500

struct progress {
	struct timespec start;
	double last_ms;
	bool shown;
};

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void progress_cb(void *arg, int done, int total)
{
	struct progress *p = arg;
	double ms = ms_since(&p->start);

	if (done >= total) {
		if (p->shown)
			fputs("\r\033[K", stderr);
		p->shown = false;
		return;
	}
	if (ms < PROGRESS_DELAY_MS || (p->shown && ms - p->last_ms < 100))
		return;
	fprintf(stderr, "\rnpu-compile: lowering node %d/%d (%d%%), %.1f s",
		done + 1, total, total ? 100 * done / total : 0, ms / 1e3);
	p->last_ms = ms;
	p->shown = true;
}

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: npu-compile MODEL.onnx [-o OUT.npuprog] [--explain] "
		"[--name NAME]\n"
		"       npu-compile --use-cache MODEL.onnx [-o OUT]\n"
		"       npu-compile --cache list|stats|clear\n"
		"       npu-compile --version\n\n"
		"Compiles a quantized ONNX model (opset >= 13) to an rm_npu\n"
		"program. --explain prints where each node runs. Without -o,\n"
		"the model is compiled and checked only.\n");
}

static int cache_cmd(const char *what)
{
	struct npuc_cache_stats st;
	char dir[4096];
	int ret;

	if (!strcmp(what, "list")) {
		ret = npuc_cache_list(stdout);
	} else if (!strcmp(what, "stats")) {
		ret = npuc_cache_stats(&st);
		if (!ret && !npuc_cache_dir(dir, sizeof(dir)))
			printf("dir %s\nentries %llu\nbytes %llu\nhits %llu\n"
			       "misses %llu\n", dir,
			       (unsigned long long)st.entries,
			       (unsigned long long)st.bytes,
			       (unsigned long long)st.hits,
			       (unsigned long long)st.misses);
	} else if (!strcmp(what, "clear")) {
		ret = npuc_cache_clear();
	} else {
		fprintf(stderr, "npu-compile: --cache takes list, stats or "
			"clear\n");
		return 2;
	}
	if (ret < 0) {
		fprintf(stderr, "npu-compile: cache: %s\n", npuc_last_error());
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "explain", no_argument, NULL, 'e' },
		{ "name", required_argument, NULL, 'n' },
		{ "cache", required_argument, NULL, 'c' },
		{ "use-cache", no_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *outp = NULL;
	struct npuc_opts opts = { 0 };
	struct npuc_graph *g = NULL;
	npurt_program *prog = NULL;
	struct timespec t0, t1;
	int c, ret, explain = 0, use_cache = 0, hit = 0;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': outp = optarg; break;
		case 'e': explain = 1; break;
		case 'n': opts.name = optarg; break;
		case 'c': return cache_cmd(optarg);
		case 'u': use_cache = 1; break;
		case 'V': printf("npu-compile %s (command set %d, sources "
				 "%.12s)\n", NPUC_VERSION,
				 RM_NPU_CMDSET_VERSION, npuc_source_hash());
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (isatty(STDERR_FILENO) && !getenv("NPUC_NO_PROGRESS")) {
		static struct progress pg;

		pg.start = t0;
		npuc_set_progress(progress_cb, &pg);
	}
	if (use_cache) {
		struct npuc_cache_key k = { .arch = "any", .fw_caps =
					    0xffull, .options = "" };

		ret = npuc_cache_compile_file(argv[optind], &k, &prog, &hit);
		if (ret < 0) {
			fprintf(stderr, "npu-compile: %s\n", npuc_last_error());
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("cache %s: %u commands in %.2f ms\n", hit ? "hit" : "miss",
		       npurt_program_cmd_count(prog),
		       (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
		ret = outp ? npurt_program_save(prog, outp) : 0;
		if (ret < 0)
			fprintf(stderr, "npu-compile: %s: %s\n", outp,
				npurt_last_error());
		npurt_program_destroy(prog);
		return ret < 0 ? 1 : 0;
	}
	ret = npuc_load_file(argv[optind], &g);
	if (ret < 0) {
		fprintf(stderr, "npu-compile: %s\n", npuc_last_error());
		return 1;
	}
	if (explain) {
		opts.explain = stdout;
		printf("%s: graph \"%s\", opset %lld, %d nodes\n", argv[optind],
		       g->name, (long long)g->opset, g->nn);
	}
	ret = npuc_compile(g, &opts, &prog);
	if (ret < 0) {
		fprintf(stderr, "npu-compile: %s: %s\n", argv[optind],
			npuc_last_error());
		npuc_graph_free(g);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (explain)
		printf("%u commands, %u slots, compiled in %.1f ms\n",
		       npurt_program_cmd_count(prog),
		       npurt_program_slot_count(prog),
		       (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (outp) {
		ret = npurt_program_save(prog, outp);
		if (ret < 0)
			fprintf(stderr, "npu-compile: %s: %s\n", outp,
				npurt_last_error());
	}
	npurt_program_destroy(prog);
	npuc_graph_free(g);
	return ret < 0 ? 1 : 0;
}
