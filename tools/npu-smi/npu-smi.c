// SPDX-License-Identifier: MIT
/*
 * npu-smi - status of the rm_npu NPUs: devices, PEs, firmware, memory,
 * activity and the processes using them. Command line and main loop; the
 * data comes from smi_collect.c, the views from smi_table.c, smi_json.c,
 * smi_cdi.c and smi_labels.c. Manual: tools/npu-smi/npu-smi.1.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libudev.h>

#include "smi.h"

#define DEFAULT_SAMPLE_MS	100
#define DEFAULT_CDI_KIND	"rm-npu.io/npu"
#define LABEL_PREFIX		"rm-npu.io"

enum cmd { CMD_LIST, CMD_INFO, CMD_PS, CMD_CDI, CMD_LABELS };

struct opts {
	enum cmd cmd;
	bool json;
	long dev;		/* -1: all */
	const char *query;
	bool csv_header;
	bool query_json;
	double loop_s;		/* 0: once */
	long count;		/* refreshes in loop mode, 0: until a signal */
	long sample_ms;
	const char *output;
	const char *kind;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: npu-smi [OPTIONS]               table of NPUs and their nodes\n"
"       npu-smi info [-d N] [--json]    everything about one NPU (or all)\n"
"       npu-smi ps [--json]             processes with NPU nodes open\n"
"       npu-smi cdi [-o FILE] [--kind VENDOR/CLASS]\n"
"                                       Container Device Interface spec\n"
"       npu-smi labels [-o FILE] [-l SECONDS]\n"
"                                       node labels (node-feature-discovery)\n"
"\n"
"Options:\n"
"  -d, --device N        only NPU N\n"
"  -j, --json            JSON output (keys documented in npu-smi(1))\n"
"  -q, --query F1,F2...  one row per NPU with these fields (--help-query)\n"
"  -f, --format FMT      for --query: csv (default), csv,noheader, json\n"
"  -l, --loop SECONDS    refresh every SECONDS; reports NPUs coming and going\n"
"                        (labels: rewrites FILE then, and when NPUs change)\n"
"  -c, --count N         with --loop: stop after N refreshes\n"
"  -i, --interval-ms MS  utilization sampling window (default %d, 0: off)\n"
"  -o, --output FILE     cdi, labels: write FILE (atomically) instead of stdout\n"
"      --kind KIND       cdi: device kind (default %s)\n"
"      --help-query      list the --query fields\n"
"  -V, --version         versions of npu-smi and libnpurt\n"
"  -h, --help            this text\n"
"\n"
"Exit status: 0 success; 1 error (I/O, udev, memory); 2 bad command line;\n"
"3 the rm_npu driver is not loaded; 4 no such NPU (-d).\n",
		DEFAULT_SAMPLE_MS, DEFAULT_CDI_KIND);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "query", required_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'f' },
		{ "loop", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'K' },
		{ "help-query", no_argument, NULL, 'Q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *format = NULL;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->dev = -1;
	o->csv_header = true;
	o->sample_ms = DEFAULT_SAMPLE_MS;
	o->kind = DEFAULT_CDI_KIND;
	while ((c = getopt_long(argc, argv, "d:jq:f:l:c:i:o:Vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!parse_long(optarg, 0, INT_MAX, &o->dev)) {
				fprintf(stderr, "npu-smi: bad device index '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->query = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'l':
			errno = 0;
			o->loop_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->loop_s > 0) ||
			    o->loop_s > 86400) {
				fprintf(stderr, "npu-smi: bad loop interval '%s' (seconds, 0 < S <= 86400)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'c':
			if (!parse_long(optarg, 1, INT_MAX, &o->count)) {
				fprintf(stderr, "npu-smi: bad count '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'i':
			if (!parse_long(optarg, 0, 60000, &o->sample_ms)) {
				fprintf(stderr, "npu-smi: bad interval '%s' (0..60000 ms)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'K':
			if (!strchr(optarg, '/') || strchr(optarg, '/') == optarg) {
				fprintf(stderr, "npu-smi: bad CDI kind '%s' (VENDOR/CLASS)\n",
					optarg);
				return -EINVAL;
			}
			o->kind = optarg;
			break;
		case 'Q':
			printf("Fields for --query:\n");
			smi_query_list_fields(stdout);
			return 1;
		case 'V':
			printf("npu-smi %s (libnpurt %s)\n", NPU_SMI_VERSION,
			       npurt_version_string());
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		const char *cmd = argv[optind++];

		if (!strcmp(cmd, "info")) {
			o->cmd = CMD_INFO;
		} else if (!strcmp(cmd, "ps")) {
			o->cmd = CMD_PS;
		} else if (!strcmp(cmd, "cdi")) {
			o->cmd = CMD_CDI;
		} else if (!strcmp(cmd, "labels")) {
			o->cmd = CMD_LABELS;
		} else {
			fprintf(stderr, "npu-smi: unknown command '%s' (info, ps, cdi, labels)\n",
				cmd);
			return -EINVAL;
		}
	}
	/* getopt permutes, so options after the command were parsed too. */
	if (optind < argc) {
		fprintf(stderr, "npu-smi: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (format) {
		if (!o->query) {
			fprintf(stderr, "npu-smi: --format goes with --query\n");
			return -EINVAL;
		}
		if (!strcmp(format, "csv")) {
			o->csv_header = true;
		} else if (!strcmp(format, "csv,noheader")) {
			o->csv_header = false;
		} else if (!strcmp(format, "json")) {
			o->query_json = true;
		} else {
			fprintf(stderr, "npu-smi: unknown format '%s' (csv, csv,noheader, json)\n",
				format);
			return -EINVAL;
		}
	}
	if (o->query && (o->cmd != CMD_LIST || o->json)) {
		fprintf(stderr, "npu-smi: --query works on the device list only, without --json\n");
		return -EINVAL;
	}
	if (o->query && smi_query_check(o->query) < 0)
		return -EINVAL;
	if (o->count && !o->loop_s) {
		fprintf(stderr, "npu-smi: --count goes with --loop\n");
		return -EINVAL;
	}
	if (o->loop_s && o->cmd != CMD_LIST && o->cmd != CMD_LABELS) {
		fprintf(stderr, "npu-smi: --loop works on the device list and labels only\n");
		return -EINVAL;
	}
	if (o->output && o->cmd != CMD_CDI && o->cmd != CMD_LABELS) {
		fprintf(stderr, "npu-smi: --output goes with 'cdi' and 'labels'\n");
		return -EINVAL;
	}
	if (o->kind != (const char *)DEFAULT_CDI_KIND && o->cmd != CMD_CDI) {
		fprintf(stderr, "npu-smi: --kind goes with 'cdi'\n");
		return -EINVAL;
	}
	if (o->cmd == CMD_LABELS && (o->json || o->dev >= 0)) {
		fprintf(stderr, "npu-smi: 'labels' takes neither --json nor -d\n");
		return -EINVAL;
	}
	return 0;
}

/* Keep only NPU @index in @sys. Return: false if there is none. */
static bool filter_dev(struct smi_sys *sys, long index)
{
	const struct smi_dev *d;

	if (index < 0)
		return true;
	d = smi_find_dev(sys, (unsigned int)index);
	if (!d)
		return false;
	if (d != sys->devs)
		sys->devs[0] = *d;
	sys->num_devs = 1;
	return true;
}

static int print_json(FILE *out, struct json_object *o)
{
	int ret = fprintf(out, "%s\n", json_object_to_json_string_ext(o,
			  JSON_C_TO_STRING_PRETTY |
			  JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return ret < 0 ? -EIO : 0;
}

static int show_list(const struct opts *o, struct smi_sys *sys)
{
	if (o->query)
		return smi_query_print(stdout, sys, o->query, o->csv_header,
				       o->query_json);
	if (o->json)
		return print_json(stdout, smi_json_sys(sys));
	smi_print_table(stdout, sys);
	return 0;
}

static int cmd_info(const struct opts *o, struct smi_sys *sys)
{
	size_t i;

	if (o->json) {
		struct json_object *arr;

		if (o->dev >= 0)
			return print_json(stdout, smi_json_dev(&sys->devs[0]));
		arr = json_object_new_array();
		for (i = 0; i < sys->num_devs; i++)
			json_object_array_add(arr, smi_json_dev(&sys->devs[i]));
		return print_json(stdout, arr);
	}
	for (i = 0; i < sys->num_devs; i++)
		smi_print_info(stdout, &sys->devs[i]);
	return 0;
}

static int cmd_ps(const struct opts *o)
{
	struct smi_proc *procs;
	int n = smi_collect_procs(&procs);
	int ret = 0;

	if (n < 0)
		return n;
	if (o->json)
		ret = print_json(stdout, smi_json_procs(procs, (size_t)n));
	else
		smi_print_procs(stdout, procs, (size_t)n);
	free(procs);
	return ret;
}

static int cmd_cdi(const struct opts *o, const struct smi_sys *sys)
{
	struct json_object *spec = smi_cdi_spec(sys, o->kind);
	FILE *out = stdout;
	int ret;

	if (o->output) {
		out = fopen(o->output, "w");
		if (!out) {
			ret = -EIO;
			fprintf(stderr, "npu-smi: cannot write %s: %s\n",
				o->output, strerror(errno));
			json_object_put(spec);
			return ret;
		}
	}
	ret = print_json(out, spec);
	if (o->output && fclose(out) != 0 && !ret)
		ret = -EIO;
	return ret;
}

static int fill_labels(FILE *out, void *sys)
{
	return smi_labels_print(out, sys, LABEL_PREFIX);
}

static int cmd_labels(const struct opts *o, struct smi_sys *sys)
{
	int ret;

	if (!o->output)
		return smi_labels_print(stdout, sys, LABEL_PREFIX);
	ret = smi_write_atomic(o->output, fill_labels, sys);
	if (ret < 0) {
		fprintf(stderr, "npu-smi: cannot write %s: %s\n", o->output,
			strerror(-ret));
		return -EIO;	/* exit status 1, whatever the cause */
	}
	return 0;
}

/*
 * Waits up to @seconds, printing the NPUs that come and go meanwhile
 * (udev "npu" events; the kernel's own events when no udevd runs). With
 * @quiet, prints nothing and returns shortly after the last event instead
 * (an NPU appears as a burst of events, one per node).
 */
static void wait_events(struct udev_monitor *mon, double seconds, bool quiet)
{
	struct timespec t0, t;
	double left = seconds;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop && left > 0) {
		struct pollfd pfd = { .fd = -1, .events = POLLIN };
		int ms = (int)(left * 1000.0 + 0.5);

		if (mon)
			pfd.fd = udev_monitor_get_fd(mon);
		if (poll(&pfd, 1, ms) > 0 && mon) {
			struct udev_device *ev = udev_monitor_receive_device(mon);

			if (ev && quiet) {
				udev_device_unref(ev);
				clock_gettime(CLOCK_MONOTONIC, &t);
				seconds = (double)(t.tv_sec - t0.tv_sec) +
					  (double)(t.tv_nsec - t0.tv_nsec) / 1e9 +
					  0.2;
			} else if (ev) {
				const char *act = udev_device_get_action(ev);
				const char *name = udev_device_get_sysname(ev);

				if (act && (!strcmp(act, "add") ||
					    !strcmp(act, "remove")))
					printf("# %s %s\n", name,
					       !strcmp(act, "add") ? "appeared" :
					       "went away");
				udev_device_unref(ev);
				fflush(stdout);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = seconds - ((double)(t.tv_sec - t0.tv_sec) +
				  (double)(t.tv_nsec - t0.tv_nsec) / 1e9);
	}
}

/* One collected snapshot through the view @o asks for; frees it. */
static int show_snapshot(const struct opts *o, struct smi_sys *sys)
{
	int ret;

	if (!filter_dev(sys, o->dev)) {
		fprintf(stderr, "npu-smi: no NPU %ld (see npu-smi)\n", o->dev);
		smi_sys_free(sys);
		return -ENOENT;
	}
	if (o->cmd == CMD_INFO)
		ret = cmd_info(o, sys);
	else if (o->cmd == CMD_CDI)
		ret = cmd_cdi(o, sys);
	else if (o->cmd == CMD_LABELS)
		ret = cmd_labels(o, sys);
	else
		ret = show_list(o, sys);
	smi_sys_free(sys);
	if (fflush(stdout) != 0)
		ret = -EIO;
	return ret;
}

static int run(const struct opts *o)
{
	struct udev_monitor *mon = NULL;
	struct udev *udev = NULL;
	long iter = 0;
	int ret = 0;

	if (o->cmd == CMD_PS) {
		if (!smi_driver_loaded()) {
			fprintf(stderr, "npu-smi: the rm_npu driver is not loaded (no /sys/module/rm_npu)\n");
			return -ENODEV;
		}
		return cmd_ps(o);
	}
	if (o->loop_s) {
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		mon = smi_monitor_open(&udev);
		if (!mon)
			fprintf(stderr, "npu-smi: no udev monitor; NPUs coming and going are not reported\n");
	}
	do {
		struct smi_sys sys;
		unsigned int sample = o->cmd == CMD_LIST ?
				      (unsigned int)o->sample_ms : 0;

		if (!smi_driver_loaded()) {
			fprintf(stderr, "npu-smi: the rm_npu driver is not loaded (no /sys/module/rm_npu); load it with 'modprobe rm_npu' or 'insmod rm_npu.ko'\n");
			/* Labels still say so: count=0 replaces stale ones. */
			if (o->cmd == CMD_LABELS) {
				struct smi_sys none = { 0 };

				if (cmd_labels(o, &none) < 0 ||
				    fflush(stdout)) {
					ret = -EIO;
					break;
				}
			}
			ret = -ENODEV;
			if (!o->loop_s)
				break;
		} else {
			ret = smi_collect(&sys, sample);
			if (ret < 0) {
				/* Said why; in a loop, NPUs coming or going
				 * under the scan are the usual cause: try
				 * again next time. */
				if (!o->loop_s)
					break;
			} else {
				ret = show_snapshot(o, &sys);
				if (ret < 0)
					break;
			}
		}
		if (!o->loop_s || (o->count && ++iter >= o->count))
			break;
		wait_events(mon, o->loop_s, o->cmd == CMD_LABELS);
		if (!stop && o->cmd != CMD_LABELS)
			printf("\n");
	} while (!stop);
	smi_monitor_close(mon, udev);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret > 0)
		return SMI_EXIT_OK;
	if (ret < 0)
		return SMI_EXIT_USAGE;
	/* The runtime's own warnings would clutter a status tool's output. */
	if (!getenv("NPU_LOG_LEVEL"))
		npurt_log_set_level(NPURT_LOG_ERROR);
	ret = run(&o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "npu-smi: cannot write output: %s\n",
			strerror(errno));
		return SMI_EXIT_ERROR;
	}
	switch (ret) {
	case 0:
		return SMI_EXIT_OK;
	case -ENODEV:
		return SMI_EXIT_NO_DRIVER;
	case -ENOENT:
		return SMI_EXIT_NO_DEVICE;
	default:
		return SMI_EXIT_ERROR;
	}
}
