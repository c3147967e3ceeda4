// SPDX-License-Identifier: MIT
/*
 * npu-device-plugin - the Kubernetes device plugin of the rm_npu NPUs:
 * advertises PEs (rm-npu.io/pe) and fused PE pairs (rm-npu.io/pe-pair) to
 * the kubelet through the device-plugin API v1beta1. Command line and the
 * event loop: gRPC completions, udev events of the "npu" subsystem (NPUs
 * and nodes coming and going), the device-plugin folder (the kubelet
 * restarting) and signals. Manual: npu-device-plugin(1).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>

#include "dp.h"

/*
 * gRPC's C core offers no public way to wake its completion queue for a
 * file descriptor, so the loop waits on the queue in short slices and
 * polls the other descriptors between them: events are seen within this.
 */
#define DP_SLICE_MS		100
#define DP_SETTLE_MS		150	/* quiet time after udev events */
#define DP_DEFAULT_RESCAN_S	30
#define DP_STOP_WAIT_MS		5000

struct dp_opts {
	struct dp_partition part;
	const char *dir;
	const char *cdi_kind;
	const char *cdi_spec;
	unsigned int rescan_s;
	bool verbose;
};

static const char *prog = "npu-device-plugin";

void dp_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t dp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: npu-device-plugin [OPTIONS]\n"
"Advertise the rm_npu PEs to the kubelet (device-plugin API v1beta1).\n"
"\n"
"  -p, --partition POLICY  how each NPU is cut into devices:\n"
"                          single   every PE is an %s (default)\n"
"                          pair     every aligned PE pair is an %s\n"
"                          pairs:N  the first N pairs fused, the other PEs single\n"
"  -d, --plugin-dir DIR    the kubelet's device-plugin folder (default %s)\n"
"      --cdi-kind KIND     CDI kind of the devices Allocate names (default %s)\n"
"      --cdi-spec FILE     write the CDI spec (as npu-smi cdi) to FILE, kept current\n"
"      --rescan SECONDS    rescan the NPUs this often besides udev events\n"
"                          (default %d, 0: never)\n"
"  -v, --verbose           log each stream and allocation\n"
"  -V, --version           print the version\n"
"  -h, --help              this text\n"
"\n"
"Exit status: 0 after SIGTERM or SIGINT; 1 error; 2 bad command line.\n",
		DP_RESOURCE_PE, DP_RESOURCE_PAIR, DP_DEFAULT_DIR,
		DP_DEFAULT_CDI_KIND, DP_DEFAULT_RESCAN_S);
}

static int parse_args(int argc, char **argv, struct dp_opts *o)
{
	static const struct option longopts[] = {
		{ "partition", required_argument, NULL, 'p' },
		{ "plugin-dir", required_argument, NULL, 'd' },
		{ "cdi-kind", required_argument, NULL, 'K' },
		{ "cdi-spec", required_argument, NULL, 'C' },
		{ "rescan", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	dp_partition_parse("single", &o->part);
	o->dir = DP_DEFAULT_DIR;
	o->cdi_kind = DP_DEFAULT_CDI_KIND;
	o->rescan_s = DP_DEFAULT_RESCAN_S;
	while ((c = getopt_long(argc, argv, "p:d:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (dp_partition_parse(optarg, &o->part) < 0) {
				fprintf(stderr, "%s: bad partition policy '%s' (single, pair, pairs:N)\n",
					prog, optarg);
				return -EINVAL;
			}
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'K': {
			const char *slash = strchr(optarg, '/');

			if (!slash || slash == optarg || !slash[1] ||
			    strchr(optarg, '=')) {
				fprintf(stderr, "%s: bad CDI kind '%s' (VENDOR/CLASS)\n",
					prog, optarg);
				return -EINVAL;
			}
			o->cdi_kind = optarg;
			break;
		}
		case 'C':
			o->cdi_spec = optarg;
			break;
		case 'R':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > 86400) {
				fprintf(stderr, "%s: bad rescan interval '%s' (0..86400 s)\n",
					prog, optarg);
				return -EINVAL;
			}
			o->rescan_s = (unsigned int)v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			printf("%s %s (device-plugin API %s, libnpurt %s, gRPC core %s)\n",
			       prog, NPU_DP_VERSION, DP_API_VERSION,
			       npurt_version_string(), grpc_version_string());
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
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

struct cdi_ctx {
	const struct smi_sys *sys;
	const char *kind;
};

static int write_cdi(FILE *out, void *ctx)
{
	const struct cdi_ctx *c = ctx;
	struct json_object *spec = smi_cdi_spec(c->sys, c->kind);
	int ret = fprintf(out, "%s\n", json_object_to_json_string_ext(spec,
			  JSON_C_TO_STRING_PRETTY |
			  JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(spec);
	return ret < 0 ? -EIO : 0;
}

/* Snapshot the NPUs; tell the streams of each resource whose list changed. */
static void rescan(struct dp_plugin *dp, bool first)
{
	struct smi_sys sys;
	size_t i;
	int changed;

	if (smi_collect(&sys, 0) < 0)
		return;		/* smi_collect said why */
	changed = dp_inventory_update(&dp->inv, &sys);
	if (changed < 0) {
		dp_log("out of memory while updating the device list");
	} else if (changed || first) {
		for (i = 0; i < dp->num_res; i++) {
			struct dp_resource *r = &dp->res[i];
			size_t j, n = 0, healthy = 0;

			for (j = 0; j < dp->inv.num; j++) {
				if (dp->inv.devs[j].pe_count != r->pe_count)
					continue;
				n++;
				healthy += dp->inv.devs[j].healthy;
			}
			if (changed & (1 << r->pe_count) || first)
				dp_log("%s: %zu devices, %zu healthy", r->name,
				       n, healthy);
			if (changed & (1 << r->pe_count))
				dp_service_broadcast(r);
		}
		if (dp->cdi_spec) {
			struct cdi_ctx c = { &sys, dp->cdi_kind };
			int ret = smi_write_atomic(dp->cdi_spec, write_cdi, &c);

			if (ret < 0)
				dp_log("cannot write %s: %s", dp->cdi_spec,
				       strerror(-ret));
		}
	}
	smi_sys_free(&sys);
}

static void add_resource(struct dp_plugin *dp, const char *name,
			 const char *short_name, unsigned int pe_count)
{
	struct dp_resource *r = &dp->res[dp->num_res++];
	size_t len;

	memset(r, 0, sizeof(*r));
	r->dp = dp;
	r->name = name;
	r->short_name = short_name;
	r->pe_count = pe_count;
	snprintf(r->endpoint, sizeof(r->endpoint), "rm-npu-%s.sock",
		 short_name);
	/* main() checked that the folder name leaves room for this. */
	len = strlen(dp->dir);
	memcpy(r->path, dp->dir, len);
	r->path[len] = '/';
	memcpy(r->path + len + 1, r->endpoint, strlen(r->endpoint) + 1);
}

/* Drains the udev monitor. Return: whether any event was for "npu". */
static bool read_udev(struct udev_monitor *mon)
{
	struct udev_device *ev;
	bool any = false;

	while ((ev = udev_monitor_receive_device(mon))) {
		any = true;
		udev_device_unref(ev);
	}
	return any;
}

static void read_inotify(struct dp_plugin *dp, int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		const char *p = buf;

		while (p < buf + len) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->len)
				dp_kubelet_dir_event(dp, ev->name,
					ev->mask & (IN_CREATE | IN_MOVED_TO));
			p += sizeof(*ev) + ev->len;
		}
	}
}

static int run(struct dp_plugin *dp, const struct dp_opts *o)
{
	struct udev_monitor *mon;
	struct udev *udev = NULL;
	int ifd, sfd, ret = 0;
	uint64_t rescan_at, settle_at = 0;
	sigset_t sigs;
	bool stop = false;
	size_t i;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sfd < 0 || ifd < 0 ||
	    inotify_add_watch(ifd, dp->dir, IN_CREATE | IN_DELETE |
			      IN_MOVED_TO | IN_MOVED_FROM) < 0) {
		dp_log("cannot watch %s: %s", dp->dir, strerror(errno));
		if (sfd >= 0)
			close(sfd);
		if (ifd >= 0)
			close(ifd);
		return -errno;
	}
	mon = smi_monitor_open(&udev);
	if (!mon)
		dp_log("no udev monitor; NPUs coming and going are seen by rescans only");

	rescan(dp, true);
	for (i = 0; i < dp->num_res; i++) {
		ret = dp_kubelet_serve(&dp->res[i]);
		if (ret < 0)
			goto out;
	}
	rescan_at = o->rescan_s ? dp_now_ns() + o->rescan_s * 1000000000ull :
		    UINT64_MAX;
	while (!stop) {
		struct pollfd pfd[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ifd, .events = POLLIN },
			{ .fd = mon ? udev_monitor_get_fd(mon) : -1,
			  .events = POLLIN },
		};
		uint64_t now;

		if (rpc_loop_run(&dp->loop, DP_SLICE_MS))
			while (rpc_loop_run(&dp->loop, 0))
				;
		if (poll(pfd, 3, 0) > 0) {
			if (pfd[0].revents & POLLIN)
				stop = true;
			if (pfd[1].revents & POLLIN)
				read_inotify(dp, ifd);
			if ((pfd[2].revents & POLLIN) && read_udev(mon))
				settle_at = dp_now_ns() +
					    DP_SETTLE_MS * 1000000ull;
		}
		now = dp_now_ns();
		if ((settle_at && now >= settle_at) || now >= rescan_at) {
			settle_at = 0;
			rescan(dp, false);
			if (o->rescan_s)
				rescan_at = now + o->rescan_s * 1000000000ull;
		}
		if (!stop)
			dp_kubelet_tick(dp);
	}
	dp_log("stopping");
out:
	if (dp_kubelet_stop_all(dp)) {
		uint64_t until = dp_now_ns() + DP_STOP_WAIT_MS * 1000000ull;

		while (dp_now_ns() < until) {
			bool busy = false;

			rpc_loop_run(&dp->loop, DP_SLICE_MS);
			for (i = 0; i < dp->num_res; i++)
				busy |= dp->res[i].stopping;
			if (!busy)
				break;
		}
	}
	smi_monitor_close(mon, udev);
	close(ifd);
	close(sfd);
	return ret;
}

int main(int argc, char **argv)
{
	static struct dp_plugin dp;
	struct dp_opts o;
	sigset_t sigs;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret > 0)
		return 0;
	if (ret < 0)
		return 2;
	if (strlen(o.dir) + 32 >= sizeof(dp.dir)) {
		fprintf(stderr, "%s: plugin folder name too long\n", prog);
		return 2;
	}
	if (!getenv("NPU_LOG_LEVEL"))
		npurt_log_set_level(NPURT_LOG_ERROR);
	/* Before gRPC starts its threads, so that they inherit the mask
	 * and the signals reach the signalfd only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	snprintf(dp.dir, sizeof(dp.dir), "%s", o.dir);
	snprintf(dp.kubelet_path, sizeof(dp.kubelet_path), "%s/%s", o.dir,
		 DP_KUBELET_SOCKET);
	dp.cdi_kind = o.cdi_kind;
	dp.cdi_spec = o.cdi_spec;
	dp.verbose = o.verbose;
	dp.inv.part = o.part;
	if (dp_partition_uses(&o.part, 2))
		add_resource(&dp, DP_RESOURCE_PAIR, "pe-pair", 2);
	if (dp_partition_uses(&o.part, 1))
		add_resource(&dp, DP_RESOURCE_PE, "pe", 1);
	if (rpc_loop_init(&dp.loop) < 0) {
		fprintf(stderr, "%s: cannot start gRPC\n", prog);
		return 1;
	}
	if (o.part.pairs == 0)
		dp_log("%s: partition single, folder %s", NPU_DP_VERSION,
		       dp.dir);
	else if (o.part.pairs == DP_PAIRS_ALL)
		dp_log("%s: partition pair, folder %s", NPU_DP_VERSION,
		       dp.dir);
	else
		dp_log("%s: partition pairs:%u, folder %s", NPU_DP_VERSION,
		       o.part.pairs, dp.dir);
	ret = run(&dp, &o);
	rpc_loop_destroy(&dp.loop);
	dp_inventory_free(&dp.inv);
	return ret < 0 ? 1 : 0;
}
