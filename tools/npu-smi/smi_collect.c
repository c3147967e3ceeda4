// SPDX-License-Identifier: MIT
/*
 * smi_collect.c - gather what npu-smi shows: NPUs and nodes through
 * libnpurt's udev discovery, bus facts from sysfs (and libpci for a device
 * that sits on PCI), owners and open files from /proc.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pci/pci.h>

#include "smi.h"

#define SMI_CLASS_DIR	"/sys/class/npu"

/* Copies @src into @dst of @len bytes; "" if it does not fit. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = 0;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

bool smi_driver_loaded(void)
{
	return access("/sys/module/rm_npu", F_OK) == 0;
}

static void read_comm(int pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	size_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
}

/* The last path component of the symlink @path, or "" */
static void link_base(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	buf[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	copy_str(buf, len, base ? base + 1 : target);
}

/* libpci's vendor and device names for a PCI address "DDDD:BB:DD.F". */
static void pci_describe(const char *addr, char *buf, size_t len)
{
	unsigned int domain, bus, slot, func;
	struct pci_access *pacc;
	struct pci_dev *pdev;

	buf[0] = '\0';
	if (sscanf(addr, "%x:%x:%x.%x", &domain, &bus, &slot, &func) != 4)
		return;
	pacc = pci_alloc();
	if (!pacc)
		return;
	pci_init(pacc);
	pdev = pci_get_dev(pacc, (int)domain, (int)bus, (int)slot, (int)func);
	if (pdev) {
		pci_fill_info(pdev, PCI_FILL_IDENT);
		pci_lookup_name(pacc, buf, (int)len,
				PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE,
				pdev->vendor_id, pdev->device_id);
		pci_free_dev(pdev);
	}
	pci_cleanup(pacc);
}

static void collect_bus(struct smi_dev *d)
{
	char path[128];

	snprintf(path, sizeof(path), SMI_CLASS_DIR "/npu%u/device",
		 d->info.index);
	link_base(path, d->bus_id, sizeof(d->bus_id));
	snprintf(path, sizeof(path), SMI_CLASS_DIR "/npu%u/device/subsystem",
		 d->info.index);
	link_base(path, d->bus_type, sizeof(d->bus_type));
	d->is_virtual = strcmp(d->bus_type, "pci") != 0;
	if (!d->is_virtual)
		pci_describe(d->bus_id, d->pci_name, sizeof(d->pci_name));
}

static int collect_once(struct smi_sys *sys)
{
	struct npurt_npu_info *infos = NULL;
	size_t count = 0, max, i, j;
	int ret;

	ret = npurt_discover(NULL, 0, &count);
	if (ret < 0)
		goto err;
	max = count;
	sys->devs = calloc(max ? max : 1, sizeof(*sys->devs));
	infos = calloc(max ? max : 1, sizeof(*infos));
	if (!sys->devs || !infos) {
		ret = -ENOMEM;
		goto err;
	}
	ret = npurt_discover(infos, max, &count);
	if (ret < 0)
		goto err;
	/* NPUs that appeared since the first call (insmod under way) are
	 * for the next snapshot: only @max were filled in. */
	if (count > max)
		count = max;
	for (i = 0; i < count; i++) {
		struct smi_dev *d = &sys->devs[i];
		struct npurt_node_info nodes[SMI_MAX_NODES];
		size_t n;

		d->info = infos[i];
		collect_bus(d);
		ret = npurt_discover_nodes(d->info.index, nodes, SMI_MAX_NODES,
					   &n);
		if (ret < 0)
			goto err;
		d->num_nodes = n < SMI_MAX_NODES ? n : SMI_MAX_NODES;
		for (j = 0; j < d->num_nodes; j++) {
			struct smi_node *sn = &d->nodes[j];

			sn->info = nodes[j];
			sn->fused = nodes[j].pe_count > 1;
			if (sn->info.owner_pid > 0)
				read_comm(sn->info.owner_pid, sn->owner_comm,
					  sizeof(sn->owner_comm));
		}
	}
	sys->num_devs = count;
	free(infos);
	return 0;
err:
	fprintf(stderr, "npu-smi: cannot list NPUs: %s (%s)\n",
		npurt_strerror(ret), npurt_last_error());
	free(infos);
	smi_sys_free(sys);
	return ret;
}

/* The node of @d named @name, or NULL. */
static const struct smi_node *find_node(const struct smi_dev *d,
					const char *name)
{
	size_t j;

	for (j = 0; j < d->num_nodes; j++)
		if (!strcmp(d->nodes[j].info.name, name))
			return &d->nodes[j];
	return NULL;
}

/*
 * Fills every node's holders from @procs: the processes with a descriptor
 * of the node, or (for a PE) of a fused node containing it.
 */
static void find_holders(struct smi_dev *d, const struct smi_proc *procs,
			 size_t n)
{
	size_t i, j;

	for (j = 0; j < d->num_nodes; j++) {
		struct smi_node *sn = &d->nodes[j];
		int last = 0;

		for (i = 0; i < n; i++) {
			const struct smi_node *on = find_node(d, procs[i].node);

			if (!on)
				continue;
			if (!sn->info.pe_count || !on->info.pe_count) {
				if (on != sn)
					continue;
			} else if (on->info.pe_first > sn->info.pe_first ||
				   on->info.pe_first + on->info.pe_count <
				   sn->info.pe_first + sn->info.pe_count) {
				continue;
			}
			/* A process's descriptors are listed together. */
			if (procs[i].pid == last)
				continue;
			last = procs[i].pid;
			if (!sn->holders++) {
				sn->holder_pid = procs[i].pid;
				snprintf(sn->holder_comm, sizeof(sn->holder_comm),
					 "%s", procs[i].comm);
			}
		}
	}
}

/*
 * PEs held by a process: a single PE node reports its owner whether the PE
 * was opened directly or through a fused node.
 */
static void derive(struct smi_dev *d)
{
	size_t j;

	d->pes_open = 0;
	for (j = 0; j < d->num_nodes; j++)
		if (!d->nodes[j].fused && d->nodes[j].info.owner_pid > 0)
			d->pes_open++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Fill utilization of @cur from the busy_ns deltas against @prev. */
static void utilization(struct smi_sys *cur, const struct smi_sys *prev,
			uint64_t wall_ns)
{
	size_t i, j, k;

	for (i = 0; i < cur->num_devs; i++) {
		struct smi_dev *d = &cur->devs[i];
		const struct smi_dev *p = smi_find_dev(prev, d->info.index);
		double sum = 0;
		unsigned int singles = 0;

		for (j = 0; p && j < d->num_nodes; j++) {
			struct smi_node *n = &d->nodes[j];

			if (n->fused)
				continue;
			for (k = 0; k < p->num_nodes; k++) {
				const struct smi_node *o = &p->nodes[k];
				uint64_t db;

				if (strcmp(o->info.name, n->info.name))
					continue;
				db = n->info.busy_ns >= o->info.busy_ns ?
				     n->info.busy_ns - o->info.busy_ns : 0;
				n->util = wall_ns ? (double)db / wall_ns : 0;
				if (n->util > 1)
					n->util = 1;
				break;
			}
			sum += n->util;
			singles++;
		}
		/* A fused node is as busy as its busiest member. */
		for (j = 0; j < d->num_nodes; j++) {
			struct smi_node *f = &d->nodes[j];

			if (!f->fused)
				continue;
			for (k = 0; k < d->num_nodes; k++) {
				const struct smi_node *m = &d->nodes[k];

				if (!m->fused &&
				    m->info.pe_first >= f->info.pe_first &&
				    m->info.pe_first < f->info.pe_first +
						       f->info.pe_count &&
				    m->util > f->util)
					f->util = m->util;
			}
		}
		d->util = singles ? sum / singles : 0;
	}
}

int smi_collect(struct smi_sys *sys, unsigned int sample_ms)
{
	struct smi_sys first = { 0 };
	uint64_t t0, t1;
	size_t i;
	int ret;

	memset(sys, 0, sizeof(*sys));
	if (!sample_ms) {
		ret = collect_once(sys);
		goto out;
	}
	t0 = now_ns();
	ret = collect_once(&first);
	if (ret < 0)
		return ret;
	{
		struct timespec ts = {
			.tv_sec = sample_ms / 1000,
			.tv_nsec = (long)(sample_ms % 1000) * 1000000L,
		};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	t1 = now_ns();
	ret = collect_once(sys);
	if (ret == 0) {
		utilization(sys, &first, t1 - t0);
		sys->interval_s = (double)(t1 - t0) / 1e9;
	}
	smi_sys_free(&first);
out:
	for (i = 0; ret == 0 && i < sys->num_devs; i++)
		derive(&sys->devs[i]);
	if (ret == 0) {
		struct smi_proc *procs = NULL;
		int np = smi_collect_procs(&procs);

		for (i = 0; np > 0 && i < sys->num_devs; i++)
			find_holders(&sys->devs[i], procs, (size_t)np);
		free(procs);
	}
	return ret;
}

void smi_sys_free(struct smi_sys *sys)
{
	free(sys->devs);
	sys->devs = NULL;
	sys->num_devs = 0;
}

const struct smi_dev *smi_find_dev(const struct smi_sys *sys,
				   unsigned int index)
{
	size_t i;

	for (i = 0; i < sys->num_devs; i++)
		if (sys->devs[i].info.index == index)
			return &sys->devs[i];
	return NULL;
}

/* "/dev/npuX", "/dev/npuXpeY" or "/dev/npuXpeY-Z" -> the node name. */
static bool npu_node_path(const char *target, char *node, size_t len)
{
	const char *p;

	if (strncmp(target, "/dev/npu", 8))
		return false;
	for (p = target + 8; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != 'p' && *p != 'e' &&
		    *p != '-')
			return false;
	if (!isdigit((unsigned char)target[8]))
		return false;
	copy_str(node, len, target + 5);
	return node[0] != '\0';
}

/*
 * The driver's fdinfo lines ("npu-memory:", "npu-buffers:") for one open
 * file; -1 where it reports nothing.
 */
static void read_fdinfo(int pid, const char *fd, struct smi_proc *p)
{
	char path[300], line[256];
	long long v;
	FILE *f;

	p->mem_bytes = -1;
	p->bo_count = -1;
	p->client_id = -1;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "npu-memory: %lld", &v) == 1)
			p->mem_bytes = v;
		else if (sscanf(line, "npu-buffers: %lld", &v) == 1)
			p->bo_count = v;
		else if (sscanf(line, "drm-client-id: %lld", &v) == 1)
			p->client_id = v;
	}
	fclose(f);
}

static int proc_scan_fds(int pid, struct smi_proc **procs, size_t *n,
			 size_t *cap)
{
	char path[64], link[64 + 256 + 2], target[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;	/* gone, or not ours to see */
	while ((e = readdir(dir))) {
		struct smi_proc *p;
		ssize_t len;
		char node[32];

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (!npu_node_path(target, node, sizeof(node)))
			continue;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			struct smi_proc *np = realloc(*procs,
						      ncap * sizeof(*np));

			if (!np) {
				closedir(dir);
				return -ENOMEM;
			}
			*procs = np;
			*cap = ncap;
		}
		p = &(*procs)[(*n)++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
		read_comm(pid, p->comm, sizeof(p->comm));
		snprintf(p->node, sizeof(p->node), "%s", node);
		read_fdinfo(pid, e->d_name, p);
	}
	closedir(dir);
	return 0;
}

int smi_collect_procs(struct smi_proc **procs)
{
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *dir;
	int ret = 0;

	*procs = NULL;
	dir = opendir("/proc");
	if (!dir) {
		ret = -EIO;
		fprintf(stderr, "npu-smi: cannot read /proc: %s\n",
			strerror(errno));
		return ret;
	}
	while ((e = readdir(dir))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		ret = proc_scan_fds((int)pid, procs, &n, &cap);
		if (ret < 0)
			break;
	}
	closedir(dir);
	if (ret < 0) {
		free(*procs);
		*procs = NULL;
		return ret;
	}
	return (int)n;
}
