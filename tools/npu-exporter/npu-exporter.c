// SPDX-License-Identifier: MIT
/*
 * npu-exporter - a Prometheus exporter of the rm_npu NPUs: GET /metrics
 * collects a snapshot (npu-smi's collection code, libsmi) and answers it
 * in the text exposition format (exporter_metrics.c). HTTP is libevent's
 * (evhttp), on one thread; this file is the command line, the request
 * handler and the signals that end the loop. Manual: npu-exporter(1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

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

/*
 * Splits ADDR into @host (numeric or a name; "0.0.0.0" for ":PORT") and
 * @port. Return: 0 or -EINVAL.
 */
static int parse_listen(const char *addr, char *host, size_t len,
			unsigned int *port)
{
	const char *p;
	size_t hl;
	char *end;
	unsigned long v;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - addr - 1);
		p = close + 2;
		addr++;
	} else {
		const char *colon = strrchr(addr, ':');

		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - addr);
		p = colon + 1;
	}
	if (hl >= len || !*p || strspn(p, "0123456789") != strlen(p))
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || v > 65535)
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (!hl)
		snprintf(host, len, "0.0.0.0");
	*port = (unsigned int)v;
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

static void answer(struct evhttp_request *req, int code, const char *reason,
		   const char *type, const char *body, size_t len)
{
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();
	char clen[32];

	if (!buf || evbuffer_add(buf, body, len) < 0) {
		if (buf)
			evbuffer_free(buf);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	evhttp_add_header(hdrs, "Content-Type", type);
	/* evhttp would send a HEAD answer's body too: headers only, with
	 * the length GET would have. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(clen, sizeof(clen), "%zu", len);
		evhttp_add_header(hdrs, "Content-Length", clen);
		evbuffer_drain(buf, len);
	}
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

static void answer_text(struct evhttp_request *req, int code,
			const char *reason, const char *text)
{
	answer(req, code, reason, "text/plain; charset=utf-8", text,
	       strlen(text));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	const struct npx_opts *o = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char *body = NULL, msg[256];
	size_t len = 0;
	int ret;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		answer_text(req, 405, "Method Not Allowed", "only GET and HEAD\n");
		return;
	}
	if (!path || !strcmp(path, "/") || !path[0]) {
		answer_text(req, HTTP_OK, "OK",
			    "rm_npu exporter: metrics at /metrics\n");
		return;
	}
	if (strcmp(path, "/metrics")) {
		answer_text(req, HTTP_NOTFOUND, "Not Found", "not found\n");
		return;
	}
	ret = scrape(o, &body, &len);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "cannot collect the metrics: %s\n",
			 strerror(-ret));
		answer_text(req, HTTP_INTERNAL, "Internal Server Error", msg);
		return;
	}
	answer(req, HTTP_OK, "OK", NPX_CONTENT_TYPE, body, len);
	free(body);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

/* The port @bs listens on (for ":0"). */
static unsigned int bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
			&len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int main(int argc, char **argv)
{
	struct evhttp_bound_socket *bs;
	struct event *sigterm, *sigint;
	struct event_base *base;
	struct evhttp *http;
	struct npx_opts o;
	unsigned int port;
	char host[256];
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (parse_listen(o.listen, host, sizeof(host), &port) < 0) {
		fprintf(stderr, "%s: bad listen address '%s' (HOST:PORT, [IPV6]:PORT or :PORT)\n",
			prog, o.listen);
		return 2;
	}
	if (!getenv("NPU_LOG_LEVEL"))
		npurt_log_set_level(NPURT_LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = base ? evhttp_new(base) : NULL;
	if (!http) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	evhttp_set_gencb(http, on_request, &o);
	evhttp_set_timeout(http, 30);
	bs = evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port);
	if (!bs) {
		fprintf(stderr, "%s: cannot listen on %s: %s\n", prog, o.listen,
			strerror(errno));
		evhttp_free(http);
		event_base_free(base);
		return 1;
	}
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	if (!sigterm || !sigint || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL)) {
		fprintf(stderr, "%s: cannot catch signals\n", prog);
		return 1;
	}
	fprintf(stderr, "%s: serving /metrics on %s (port %u)\n", prog,
		o.listen, bound_port(bs));
	event_base_dispatch(base);
	event_free(sigterm);
	event_free(sigint);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
