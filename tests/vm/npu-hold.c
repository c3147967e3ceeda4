// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * npu-hold: helper of the VM shell tests (not a test itself). Opens an
 * rm_npu node, optionally creates and maps a buffer object and prints
 * GET_INFO, then runs a command while it holds all that.
 *
 *   npu-hold [--bo SIZE [--map] [--close]] [--info] NODE [-- COMMAND [ARG...]]
 *
 * NODE is a /dev path or a name under /dev (npu0pe0). --bo creates a buffer
 * of SIZE bytes, --map maps it (MAP_SHARED) and writes to it, --close then
 * closes the node's descriptor so that only the mapping holds the buffer
 * (and the file). --info prints the node's GET_INFO as "field value" lines.
 * COMMAND does not inherit the descriptor or the mapping.
 *
 * Exit status: COMMAND's (128 + signal if it was killed), 0 without one,
 * 2 when the node cannot be opened or an ioctl fails (the error is printed
 * as "npu-hold: WHAT: strerror").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rm_npu.h>

static int die(const char *what)
{
	fprintf(stderr, "npu-hold: %s: %s\n", what, strerror(errno));
	return 2;
}

static void print_info(const struct rm_npu_info *i)
{
	const __u8 *u = i->uuid;

	printf("abi_version 0x%x\n", i->abi_version);
	printf("node_type %u\n", i->node_type);
	printf("dev_index %u\n", i->dev_index);
	printf("num_pes %u\n", i->num_pes);
	printf("pe_first %u\n", i->pe_first);
	printf("pe_count %u\n", i->pe_count);
	printf("fw_state %u\n", i->fw_state);
	printf("fw_version 0x%06x\n", i->fw_version);
	printf("fw_version_str %s\n", (const char *)i->fw_version_str);
	printf("fw_caps 0x%llx\n", (unsigned long long)i->fw_caps);
	printf("numa_node %d\n", i->numa_node);
	printf("mem_total %llu\n", (unsigned long long)i->mem_total);
	printf("mem_used %llu\n", (unsigned long long)i->mem_used);
	printf("arch %s\n", (const char *)i->arch);
	printf("uuid %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
	       u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
	       u[10], u[11], u[12], u[13], u[14], u[15]);
	fflush(stdout);
}

static int run(char **argv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "npu-hold: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return die("waitpid");
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bo", required_argument, NULL, 'b' },
		{ "map", no_argument, NULL, 'm' },
		{ "close", no_argument, NULL, 'c' },
		{ "info", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long bo_size = 0;
	int map = 0, close_fd = 0, info = 0, c, fd;
	char path[256];

	while ((c = getopt_long(argc, argv, "+b:mci", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bo_size = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			map = 1;
			break;
		case 'c':
			close_fd = 1;
			break;
		case 'i':
			info = 1;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc || (map && !bo_size) || (close_fd && !map)) {
		fprintf(stderr, "usage: npu-hold [--bo SIZE [--map] [--close]] "
			"[--info] NODE [-- COMMAND...]\n");
		return 2;
	}
	if (strchr(argv[optind], '/'))
		snprintf(path, sizeof(path), "%s", argv[optind]);
	else
		snprintf(path, sizeof(path), "/dev/%s", argv[optind]);
	optind++;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return die(path);
	if (info) {
		struct rm_npu_info i;

		memset(&i, 0, sizeof(i));
		if (ioctl(fd, RM_NPU_IOCTL_GET_INFO, &i))
			return die("GET_INFO");
		print_info(&i);
	}
	if (bo_size) {
		struct rm_npu_bo_create cr = { .size = bo_size };
		struct rm_npu_bo_mmap m = { 0 };
		void *p;

		if (ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &cr))
			return die("BO_CREATE");
		m.handle = cr.handle;
		if (map) {
			if (ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m))
				return die("BO_MMAP");
			p = mmap(NULL, cr.alloc_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, (off_t)m.offset);
			if (p == MAP_FAILED)
				return die("mmap");
			memset(p, 0x5a, cr.alloc_size);
		}
		if (close_fd)
			close(fd);
	}
	return optind < argc ? run(argv + optind) : 0;
}
