// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_exporter: npu-exporter scraped over loopback in the VM (module
 * loaded with num_devices=2): the answer is valid Prometheus text format
 * (every sample after its family's HELP and TYPE, label values escaped),
 * each value equals what sysfs and /proc say after a job ran on npu0pe0
 * and this process holds npu1pe1 with a buffer, the HTTP errors are exact,
 * the driver going away shows as rm_npu_driver_loaded 0, and SIGTERM ends
 * the exporter with status 0.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "test_util.h"

#define EXPORTER	"/usr/bin/npu-exporter"
#define PORT		19410
#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define ODD_COMM	"od\"d\\c"	/* a " and a \ to escape */

extern char **environ;

struct http {
	int code;
	char type[128];
	char *body;
};

/* One request over a fresh connection. Return: -errno or 0. */
static int http_do(const char *method, const char *path, struct http *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(PORT) };
	size_t len = 0, cap = 1 << 16;
	char req[256], *p, *hdr_end;
	int fd, ret = 0;
	ssize_t n;

	memset(h, 0, sizeof(*h));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n",
		 method, path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	h->body = malloc(cap);
	assert_non_null(h->body);
	while ((n = read(fd, h->body + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			cap *= 2;
			h->body = realloc(h->body, cap);
			assert_non_null(h->body);
		}
	}
	close(fd);
	h->body[len] = '\0';
	assert_int_equal(sscanf(h->body, "HTTP/1.%*d %d", &h->code), 1);
	hdr_end = strstr(h->body, "\r\n\r\n");
	assert_non_null(hdr_end);
	*hdr_end = '\0';
	p = strcasestr(h->body, "\r\nContent-Type: ");
	if (p)
		sscanf(p + 16, "%127[^\r]", h->type);
	memmove(h->body, hdr_end + 4, strlen(hdr_end + 4) + 1);
	return 0;
}

static pid_t exporter_start(void)
{
	char *argv[] = { EXPORTER, "--listen", "127.0.0.1:19410",
			 "--interval-ms", "50", NULL };
	struct http h;
	pid_t pid;
	int i;

	assert_int_equal(system("ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up"), 0);
	assert_int_equal(posix_spawn(&pid, EXPORTER, NULL, NULL, argv, environ),
			 0);
	for (i = 0; i < 100; i++) {
		if (http_do("GET", "/", &h) == 0) {
			assert_int_equal(h.code, 200);
			free(h.body);
			return pid;
		}
		usleep(100000);
	}
	fail_msg("npu-exporter does not answer on port %d", PORT);
	return -1;
}

static void exporter_stop(pid_t pid)
{
	int st;

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * Checks the text format line by line and returns the value of sample
 * @key ("name{labels}" exactly as written) or NULL.
 */
static const char *sample(const char *body, const char *key)
{
	static char value[64];
	size_t klen = strlen(key);
	const char *p = body;

	while (*p) {
		const char *eol = strchr(p, '\n');

		assert_non_null(eol);
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			snprintf(value, sizeof(value), "%.*s",
				 (int)(eol - p - klen - 1), p + klen + 1);
			return value;
		}
		p = eol + 1;
	}
	return NULL;
}

static bool valid_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(s[i] == '_' || s[i] == ':' ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (i && s[i] >= '0' && s[i] <= '9')))
			return false;
	return n > 0;
}

/* Every line: "# HELP name text", "# TYPE name gauge|counter" (after its
 * HELP), or a sample of the family of the last TYPE with valid labels and
 * a number. Return: the number of samples. */
static int check_format(const char *body)
{
	char family[128] = "", helped[128] = "";
	const char *p = body;
	int samples = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *sp, *v;
		char *end;
		size_t n;

		if (!eol)
			fail_msg("unterminated last line: '%s'", p);
		if (!strncmp(p, "# HELP ", 7)) {
			sp = strchr(p + 7, ' ');
			assert_true(sp && sp < eol && valid_name(p + 7, (size_t)(sp - p - 7)));
			snprintf(helped, sizeof(helped), "%.*s",
				 (int)(sp - p - 7), p + 7);
		} else if (!strncmp(p, "# TYPE ", 7)) {
			sp = strchr(p + 7, ' ');
			assert_true(sp && sp < eol);
			snprintf(family, sizeof(family), "%.*s",
				 (int)(sp - p - 7), p + 7);
			assert_string_equal(family, helped);
			if (strncmp(sp + 1, "gauge\n", 6) &&
			    strncmp(sp + 1, "counter\n", 8))
				fail_msg("bad TYPE line '%.*s'", (int)(eol - p), p);
		} else {
			n = strcspn(p, "{ ");
			if (strlen(family) != n || strncmp(p, family, n))
				fail_msg("sample '%.*s' outside its family %s",
					 (int)(eol - p), p, family);
			v = p + n;
			if (*v == '{') {
				/* name="value" pairs, escapes skipped */
				v++;
				while (*v != '}') {
					n = strcspn(v, "=");
					assert_true(valid_name(v, n));
					v += n;
					assert_int_equal(v[0], '=');
					assert_int_equal(v[1], '"');
					for (v += 2; *v != '"'; v++) {
						assert_true(v < eol);
						if (*v == '\\') {
							v++;
							assert_true(*v == '\\' || *v == '"' || *v == 'n');
						}
					}
					v++;
					if (*v == ',')
						v++;
				}
				v++;
			}
			assert_int_equal(*v, ' ');
			strtod(v + 1, &end);
			if (end != eol)
				fail_msg("bad value in '%.*s'", (int)(eol - p), p);
			samples++;
		}
		p = eol + 1;
	}
	return samples;
}

static void assert_sample(const char *body, const char *key, const char *want)
{
	const char *got = sample(body, key);

	if (!got)
		fail_msg("no sample %s", key);
	if (strcmp(got, want))
		fail_msg("%s is %s, expected %s", key, got, want);
}

static void assert_sample_ll(const char *body, const char *key, long long want)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", want);
	assert_sample(body, key, buf);
}

/* The npu-memory line of /proc/self/fdinfo/@fd. */
static long long fdinfo_memory(int fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "npu-memory: %lld", &v);
	fclose(f);
	return v;
}

static void check_node_counters(const char *body, unsigned int npu,
				unsigned int pe)
{
	static const char *const attrs[][2] = {
		{ "jobs_completed", "rm_npu_pe_jobs_completed_total" },
		{ "jobs_failed", "rm_npu_pe_jobs_failed_total" },
		{ "bytes_moved", "rm_npu_pe_bytes_moved_total" },
		{ "ops", "rm_npu_pe_ops_total" },
	};
	char node[16], key[160], want[40];
	long long busy;
	size_t i;

	snprintf(node, sizeof(node), "npu%upe%u", npu, pe);
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "%s{npu=\"%u\",pe=\"%u\",node=\"%s\"}",
			 attrs[i][1], npu, pe, node);
		assert_sample_ll(body, key, npu_sysfs_ll(node, attrs[i][0]));
	}
	busy = npu_sysfs_ll(node, "busy_ns");
	snprintf(key, sizeof(key),
		 "rm_npu_pe_busy_seconds_total{npu=\"%u\",pe=\"%u\",node=\"%s\"}",
		 npu, pe, node);
	snprintf(want, sizeof(want), "%lld.%09lld", busy / 1000000000,
		 busy % 1000000000);
	assert_sample(body, key, want);
	snprintf(key, sizeof(key),
		 "rm_npu_node_owner_pid{npu=\"%u\",pe=\"%u\",node=\"%s\"}",
		 npu, pe, node);
	assert_sample_ll(body, key, npu_sysfs_ll(node, "owner_pid"));
}

static void test_scrape(void **state)
{
	char key[256], uuid[64], abi[16];
	int fd, ready[2], quit[2];
	struct http h;
	pid_t pid, child;
	unsigned int npu, pe;
	const char *v;

	(void)state;
	/* A job on npu0pe0, so that its counters move. */
	assert_int_equal(system("basic_runner npu0pe0 > /dev/null"), 0);
	assert_true(npu_sysfs_ll("npu0pe0", "jobs_completed") > 0);
	/* A child with an awkward name holds npu0pe1 with a buffer. */
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(quit), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct rm_npu_bo_create bo = { .size = 4096 };
		int cfd = open("/dev/npu0pe1", O_RDWR);
		char c;

		prctl(PR_SET_NAME, ODD_COMM);
		if (cfd < 0 || ioctl(cfd, RM_NPU_IOCTL_BO_CREATE, &bo))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (read(quit[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	{
		char c;

		assert_int_equal(read(ready[0], &c, 1), 1);
	}
	/* This process holds npu1pe1 and a 1 MiB buffer (opened after the
	 * fork, or the child would hold it too). */
	fd = npu_open("npu1pe1");
	npu_bo_create(fd, 1 << 20, NULL);

	pid = exporter_start();
	assert_int_equal(http_do("GET", "/metrics", &h), 0);
	assert_int_equal(h.code, 200);
	assert_string_equal(h.type, CONTENT_TYPE);
	assert_true(check_format(h.body) > 50);

	assert_sample(h.body, "rm_npu_driver_loaded", "1");
	assert_sample(h.body, "rm_npu_devices", "2");
	for (npu = 0; npu < 2; npu++) {
		char dev[16];

		snprintf(dev, sizeof(dev), "npu%u", npu);
		snprintf(key, sizeof(key), "rm_npu_pes{npu=\"%u\"}", npu);
		assert_sample_ll(h.body, key, npu_sysfs_ll(dev, "num_pes"));
		snprintf(key, sizeof(key), "rm_npu_memory_used_bytes{npu=\"%u\"}", npu);
		assert_sample_ll(h.body, key, npu_sysfs_ll(dev, "mem_used"));
		snprintf(key, sizeof(key), "rm_npu_memory_total_bytes{npu=\"%u\"}", npu);
		assert_sample_ll(h.body, key, npu_sysfs_ll(dev, "mem_total"));
		snprintf(key, sizeof(key), "rm_npu_buffer_objects{npu=\"%u\"}", npu);
		assert_sample_ll(h.body, key, npu_sysfs_ll(dev, "bo_count"));
		snprintf(key, sizeof(key), "rm_npu_pes_open{npu=\"%u\"}", npu);
		assert_sample(h.body, key, "1");
		snprintf(key, sizeof(key),
			 "rm_npu_firmware_state{npu=\"%u\",state=\"ready\"}", npu);
		assert_sample(h.body, key, "1");
		snprintf(key, sizeof(key),
			 "rm_npu_firmware_state{npu=\"%u\",state=\"missing\"}", npu);
		assert_sample(h.body, key, "0");
		npu_sysfs(dev, "uuid", uuid, sizeof(uuid));
		npu_sysfs(dev, "abi_version", abi, sizeof(abi));
		snprintf(key, sizeof(key),
			 "rm_npu_info{npu=\"%u\",arch=\"warboy\",uuid=\"%s\",firmware=\"%s\",driver=\"%s\",bus_id=\"rm_npu.%u\"}",
			 npu, uuid, NPU_FW_VERSION, abi, npu);
		assert_sample(h.body, key, "1");
		snprintf(key, sizeof(key), "rm_npu_utilization_ratio{npu=\"%u\"}", npu);
		v = sample(h.body, key);
		assert_non_null(v);
		assert_true(atof(v) >= 0 && atof(v) <= 1);
		for (pe = 0; pe < 2; pe++)
			check_node_counters(h.body, npu, pe);
		/* A fused node reports the holder of either member. */
		snprintf(dev, sizeof(dev), "npu%upe0-1", npu);
		snprintf(key, sizeof(key),
			 "rm_npu_node_owner_pid{npu=\"%u\",pes=\"0-1\",node=\"%s\"}",
			 npu, dev);
		assert_sample_ll(h.body, key, npu_sysfs_ll(dev, "owner_pid"));
		assert_true(npu_sysfs_ll(dev, "owner_pid") ==
			    (npu ? getpid() : child));
		snprintf(key, sizeof(key),
			 "rm_npu_node_processes{npu=\"%u\",node=\"npu%u\"}", npu, npu);
		assert_sample(h.body, key, "0");
		snprintf(key, sizeof(key),
			 "rm_npu_node_processes{npu=\"%u\",pe=\"0\",node=\"npu%upe0\"}",
			 npu, npu);
		assert_sample(h.body, key, "0");
	}
	assert_sample(h.body, "rm_npu_node_processes{npu=\"1\",pe=\"1\",node=\"npu1pe1\"}", "1");
	assert_sample(h.body, "rm_npu_node_processes{npu=\"0\",pe=\"1\",node=\"npu0pe1\"}", "1");
	assert_sample_ll(h.body, "rm_npu_node_owner_pid{npu=\"1\",pe=\"1\",node=\"npu1pe1\"}",
			 getpid());
	snprintf(key, sizeof(key),
		 "rm_npu_process_memory_bytes{pid=\"%d\",comm=\"test_exporter\",node=\"npu1pe1\"}",
		 getpid());
	assert_sample_ll(h.body, key, fdinfo_memory(fd));
	assert_true(fdinfo_memory(fd) >= 1 << 20);
	snprintf(key, sizeof(key),
		 "rm_npu_process_memory_bytes{pid=\"%d\",comm=\"od\\\"d\\\\c\",node=\"npu0pe1\"}",
		 child);
	assert_sample(h.body, key, "4096");
	v = sample(h.body, "rm_npu_scrape_duration_seconds");
	assert_non_null(v);
	assert_true(atof(v) >= 0.05);
	free(h.body);

	/* HTTP errors. */
	assert_int_equal(http_do("GET", "/nope", &h), 0);
	assert_int_equal(h.code, 404);
	free(h.body);
	assert_int_equal(http_do("POST", "/metrics", &h), 0);
	assert_int_equal(h.code, 405);
	free(h.body);
	assert_int_equal(http_do("HEAD", "/metrics", &h), 0);
	assert_int_equal(h.code, 200);
	assert_string_equal(h.body, "");
	free(h.body);

	/* Without the driver. */
	assert_int_equal(write(quit[1], "q", 1), 1);
	assert_int_equal(waitpid(child, NULL, 0), child);
	close(fd);
	assert_int_equal(system("rmmod rm_npu"), 0);
	assert_int_equal(http_do("GET", "/metrics", &h), 0);
	assert_int_equal(h.code, 200);
	check_format(h.body);
	assert_sample(h.body, "rm_npu_driver_loaded", "0");
	assert_sample(h.body, "rm_npu_devices", "0");
	assert_null(strstr(h.body, "\nrm_npu_info{"));
	assert_null(strstr(h.body, "\nrm_npu_pe_busy_seconds_total{"));
	free(h.body);
	exporter_stop(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrape),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	/* scraped over IPv4 loopback, which the debug tier's minimal
	 * kernel leaves out */
	if (fd < 0 && errno == EAFNOSUPPORT) {
		printf("SKIP: this kernel has no IPv4 (CONFIG_INET)\n");
		return 77;
	}
	if (fd >= 0)
		close(fd);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
