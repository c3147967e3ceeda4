// SPDX-License-Identifier: MIT
/*
 * npu-exporter - a Prometheus exporter of the rm_npu NPUs: GET /metrics
 * collects a snapshot (npu-smi's collection code, libsmi) and answers it
 * in the text exposition format (exporter_metrics.c). HTTP is
 * libmicrohttpd's, on its own thread; this file is the command line, the
 * request handler and the wait for SIGTERM. Manual: npu-exporter(1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "exporter.h"

#define NPX_DEFAULT_LISTEN	":9410"
#define NPX_DEFAULT_SAMPLE_MS	100
#define NPX_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

static const char *prog = "npu-exporter";

struct npx_opts {
	const char *listen;
	long sample_ms;
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: npu-exporter [--listen [HOST]:PORT] [--interval-ms MS]\n"
"Serve the rm_npu metrics for Prometheus at http://HOST:PORT/metrics.\n"
"\n"
"  -l, --listen ADDR      address to listen on: HOST:PORT, [IPV6]:PORT or :PORT\n"
"                         (every IPv4 address); default %s\n"
"  -i, --interval-ms MS   utilization sampling window per scrape\n"
"                         (default %d, 0: utilization not measured)\n"
"  -V, --version          print the version\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 after SIGTERM or SIGINT; 1 cannot listen; 2 bad command line.\n",
		NPX_DEFAULT_LISTEN, NPX_DEFAULT_SAMPLE_MS);
}

/* Parses ADDR into @ss. Return: 0 or -EINVAL. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *port, *h = host;
	size_t hl;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - addr - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, addr + 1, hl);
		port = end + 2;
	} else {
		const char *colon = strrchr(addr, ':');

		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - addr);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, addr, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	if (!port[0] || strspn(port, "0123456789") != strlen(port) ||
	    strtol(port, NULL, 10) > 65535)
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (!host[0]) {
		hints.ai_family = AF_INET;
		h = NULL;
	}
	if (getaddrinfo(h, port, &hints, &res) || !res)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int parse_args(int argc, char **argv, struct npx_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	o->listen = NPX_DEFAULT_LISTEN;
	o->sample_ms = NPX_DEFAULT_SAMPLE_MS;
	while ((c = getopt_long(argc, argv, "l:i:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case 'i':
			errno = 0;
			o->sample_ms = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->sample_ms < 0 ||
			    o->sample_ms > 10000) {
				fprintf(stderr, "%s: bad interval '%s' (0..10000 ms)\n",
					prog, optarg);
				return -EINVAL;
			}
			break;
		case 'V':
			printf("%s %s (libnpurt %s)\n", prog, NPX_VERSION,
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
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One scrape as text in *@body (malloc'ed). Return: 0 or -errno. */
static int scrape(const struct npx_opts *o, char **body, size_t *len)
{
	struct npx_scrape s = { 0 };
	struct smi_sys sys = { 0 };
	struct smi_proc *procs = NULL;
	double t0 = now_s();
	FILE *out;
	int ret = 0, n;

	s.driver_loaded = smi_driver_loaded();
	if (s.driver_loaded) {
		ret = smi_collect(&sys, (unsigned int)o->sample_ms);
		if (ret < 0)
			return ret;
		n = smi_collect_procs(&procs);
		if (n < 0) {
			smi_sys_free(&sys);
			return n;
		}
		s.num_procs = (size_t)n;
	}
	s.sys = &sys;
	s.procs = procs;
	s.duration_s = now_s() - t0;
	out = open_memstream(body, len);
	if (!out) {
		ret = -ENOMEM;
	} else {
		ret = npx_metrics_write(out, &s);
		if (fclose(out) != 0 && !ret)
			ret = -ENOMEM;
		if (ret < 0) {
			free(*body);
			*body = NULL;
		}
	}
	smi_sys_free(&sys);
	free(procs);
	return ret;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int code,
			      const char *type, char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
		MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn,
				   unsigned int code, const char *text)
{
	char *body = strdup(text);

	if (!body)
		return MHD_NO;
	return answer(conn, code, "text/plain; charset=utf-8", body,
		      strlen(body));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	const struct npx_opts *o = cls;
	char *body = NULL, msg[256];
	size_t len = 0;
	int ret;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "only GET and HEAD\n");
	if (!strcmp(url, "/"))
		return answer_text(conn, MHD_HTTP_OK,
				   "rm_npu exporter: metrics at /metrics\n");
	if (strcmp(url, "/metrics"))
		return answer_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	ret = scrape(o, &body, &len);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "cannot collect the metrics: %s\n",
			 strerror(-ret));
		return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
	}
	return answer(conn, MHD_HTTP_OK, NPX_CONTENT_TYPE, body, len);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct npx_opts o;
	socklen_t sslen;
	sigset_t sigs;
	int ret, sig;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (parse_listen(o.listen, &ss, &sslen) < 0) {
		fprintf(stderr, "%s: bad listen address '%s' (HOST:PORT, [IPV6]:PORT or :PORT)\n",
			prog, o.listen);
		return 2;
	}
	if (!getenv("NPU_LOG_LEVEL"))
		npurt_log_set_level(NPURT_LOG_ERROR);
	/* Before the server's thread starts, so that it inherits the mask
	 * and the signals wait for sigwait() here. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG |
			     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, on_request, &o,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "%s: cannot listen on %s\n", prog, o.listen);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "%s: serving /metrics on %s (port %u)\n", prog,
		o.listen, info ? info->port : 0);
	do {
		ret = sigwait(&sigs, &sig);
	} while (ret == EINTR);
	MHD_stop_daemon(d);
	return 0;
}
