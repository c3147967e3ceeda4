/* SPDX-License-Identifier: MIT */
/*
 * smi.h - npu-smi's model of the system: what it collects (smi_collect.c)
 * and how each view prints it (smi_table.c, smi_json.c, smi_cdi.c,
 * smi_labels.c). The collection, CDI, labels, udev monitor and file parts
 * also form libsmi.a, which npu-device-plugin and npu-exporter link.
 */
#ifndef NPU_SMI_H
#define NPU_SMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "npurt.h"

/* Exit codes (documented in npu-smi.1 and --help). */
enum {
	SMI_EXIT_OK = 0,
	SMI_EXIT_ERROR = 1,	/* I/O, memory, udev or output failure */
	SMI_EXIT_USAGE = 2,	/* bad command line */
	SMI_EXIT_NO_DRIVER = 3,	/* rm_npu is not loaded: no NPU to show */
	SMI_EXIT_NO_DEVICE = 4,	/* -d N names no NPU */
};

#define SMI_MAX_NODES	64	/* 8 PEs + 4 fused pairs, with room to spare */
#define SMI_COMM_LEN	64

struct smi_node {
	struct npurt_node_info info;
	bool fused;
	char owner_comm[SMI_COMM_LEN];	/* "" when not open */
	/*
	 * Processes holding the node now (a descriptor of it or of a fused
	 * node with its PE, seen in /proc/PID/fd): sysfs owner_pid is only
	 * the opener, who may have exited or passed the descriptor on.
	 */
	int holder_pid;			/* the first, 0: none seen */
	char holder_comm[SMI_COMM_LEN];
	unsigned int holders;		/* distinct processes */
	double util;			/* busy fraction over the interval, 0..1 */
};

struct smi_dev {
	struct npurt_npu_info info;
	char bus_type[16];		/* "platform", "pci", ... ("" unknown) */
	char bus_id[64];		/* "rm_npu.0", "0000:3b:00.0" */
	char pci_name[128];		/* vendor/device from libpci, PCI only */
	bool is_virtual;		/* no PCI (or other physical) device */
	struct smi_node nodes[SMI_MAX_NODES];
	size_t num_nodes;
	unsigned int pes_open;		/* single PEs held, directly or fused */
	double util;			/* mean over the device's single PEs */
};

struct smi_sys {
	struct smi_dev *devs;
	size_t num_devs;
	double interval_s;		/* utilization window, 0 if not sampled */
};

/* One open file of a process on an npu node (npu-smi ps). */
struct smi_proc {
	int pid;
	char comm[SMI_COMM_LEN];
	char node[32];			/* "npu0pe0", "npu0" */
	int64_t client_id;		/* fdinfo drm-client-id: one per open
					 * file, shared by dup/fork; -1: none */
	int64_t mem_bytes;		/* -1: not reported by the driver */
	int64_t bo_count;		/* -1: not reported */
};

bool smi_driver_loaded(void);
/*
 * smi_collect() - snapshot every NPU; with @sample_ms > 0, snapshot again
 * after that many milliseconds and fill in utilization.
 * Return: 0 or a negative errno (with a message on stderr).
 */
int smi_collect(struct smi_sys *sys, unsigned int sample_ms);
void smi_sys_free(struct smi_sys *sys);
const struct smi_dev *smi_find_dev(const struct smi_sys *sys,
				   unsigned int index);

/* Processes with an npu node open. Return: count or a negative errno. */
int smi_collect_procs(struct smi_proc **procs);

/* Text views. */
void smi_print_table(FILE *out, const struct smi_sys *sys);
void smi_print_info(FILE *out, const struct smi_dev *dev);
void smi_print_procs(FILE *out, const struct smi_proc *procs, size_t n);

/* JSON views (the caller puts the result). */
struct json_object *smi_json_sys(const struct smi_sys *sys);
struct json_object *smi_json_dev(const struct smi_dev *dev);
struct json_object *smi_json_procs(const struct smi_proc *procs, size_t n);

/*
 * --query: validate a comma-separated field list (Return: 0 or -EINVAL
 * with the bad field named on stderr) and print one row per device.
 */
int smi_query_check(const char *fields);
int smi_query_print(FILE *out, const struct smi_sys *sys, const char *fields,
		    bool csv_header, bool json);
void smi_query_list_fields(FILE *out);

/* The Container Device Interface spec for every node. */
struct json_object *smi_cdi_spec(const struct smi_sys *sys, const char *kind);

/*
 * Node labels "PREFIX/name=value", one a line, in node-feature-discovery's
 * feature-file format: count (always), then arch, pes, memory-mib, firmware
 * and driver when there is an NPU. Return: 0 or -EIO.
 */
int smi_labels_print(FILE *out, const struct smi_sys *sys, const char *prefix);

/*
 * Writes @path atomically: @fill(@out, @ctx) writes the content to a hidden
 * temporary file in the same folder, renamed over @path when it returns 0.
 * Return: 0, @fill's negative errno, or that of the file operations.
 */
int smi_write_atomic(const char *path, int (*fill)(FILE *out, void *ctx),
		     void *ctx);

/*
 * A udev monitor of subsystem "npu" (the kernel's netlink events when no
 * udevd runs), receiving. Return: NULL when there is none (*@udev NULL).
 */
struct udev;
struct udev_monitor;
struct udev_monitor *smi_monitor_open(struct udev **udev);
void smi_monitor_close(struct udev_monitor *mon, struct udev *udev);

#endif /* NPU_SMI_H */
