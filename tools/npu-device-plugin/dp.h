/* SPDX-License-Identifier: MIT */
/*
 * dp.h - npu-device-plugin: the inventory of devices it advertises
 * (dp_inventory.c), the kubelet's DevicePlugin service (dp_service.c) and
 * registration with the kubelet (dp_kubelet.c), driven by the event loop of
 * npu-device-plugin.c. Manual: tools/npu-device-plugin/npu-device-plugin.1.
 */
#ifndef NPU_DP_H
#define NPU_DP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "smi.h"

#define DP_API_VERSION		"v1beta1"
#define DP_RESOURCE_PE		"rm-npu.io/pe"
#define DP_RESOURCE_PAIR	"rm-npu.io/pe-pair"
#define DP_DEFAULT_DIR		"/var/lib/kubelet/device-plugins"
#define DP_KUBELET_SOCKET	"kubelet.sock"
#define DP_DEFAULT_CDI_KIND	"rm-npu.io/npu"
#define DP_HEALTHY		"Healthy"
#define DP_UNHEALTHY		"Unhealthy"
#define DP_PAIRS_ALL		UINT_MAX

/* ==== inventory ==== */

/*
 * How each NPU is cut into advertised devices, fixed for the plugin's life
 * (as vendors' partitioning policies are), so that no PE is ever in two
 * advertised devices: the first @pairs aligned PE pairs of each NPU are
 * fused devices (rm-npu.io/pe-pair), the other PEs single devices
 * (rm-npu.io/pe) when @singles.
 */
struct dp_partition {
	unsigned int pairs;	/* per NPU, from PE 0 up; DP_PAIRS_ALL */
	bool singles;
};

/*
 * "single" (every PE alone), "pair" (every aligned pair fused; an odd last
 * PE is not advertised) or "pairs:N" (N pairs fused, the rest single).
 * Return: 0 or -EINVAL.
 */
int dp_partition_parse(const char *s, struct dp_partition *p);
/* Whether the policy advertises devices of @pe_count PEs (1 or 2). */
bool dp_partition_uses(const struct dp_partition *p, unsigned int pe_count);

/* One advertised device: a PE node or a fused node. */
struct dp_device {
	char id[32];			/* its node name: "npu0pe1", "npu0pe0-1" */
	char devnode[48];		/* "/dev/npu0pe1" */
	char mgmt[24];			/* its NPU's node: "/dev/npu0" */
	unsigned int npu;
	unsigned int pe_first;
	unsigned int pe_count;		/* 1 or 2 */
	int numa_node;			/* -1: none */
	bool present;			/* false: it went away */
	bool healthy;			/* present, firmware ready, usable */
	char reason[40];		/* why not healthy */
};

/*
 * Every device the plugin has advertised since it started, sorted by NPU,
 * first PE and size: one that goes away stays, unhealthy, so that the
 * kubelet sees it fail instead of vanish.
 */
struct dp_inventory {
	struct dp_partition part;
	struct dp_device *devs;
	size_t num;
};

/*
 * Brings @inv up to date with the snapshot @sys. Return: a mask of the
 * device sizes whose list changed (bit 1: singles, bit 2: pairs), or
 * -ENOMEM (then @inv is unchanged).
 */
int dp_inventory_update(struct dp_inventory *inv, const struct smi_sys *sys);
void dp_inventory_free(struct dp_inventory *inv);
const struct dp_device *dp_inventory_find(const struct dp_inventory *inv,
					  const char *id,
					  unsigned int pe_count);

/*
 * Checks the device list of one container request for the resource of
 * @pe_count-PE devices: not empty, each ID known, none twice and, with
 * @healthy, each one healthy. Return: 0, -EINVAL (empty, unknown or
 * repeated ID) or -ENODEV (a device is unhealthy), with the reason in @err.
 */
int dp_inventory_check(const struct dp_inventory *inv, unsigned int pe_count,
		       char *const *ids, size_t n, bool healthy, char *err,
		       size_t errlen);

/*
 * Preferred allocation of @size devices out of @avail, @must included:
 * devices of the NPUs already chosen first, then the NPU that fits the
 * rest most tightly (else the one with the most), lowest PE first. Writes
 * @size pointers into @avail/@must strings to @out. Return: 0, -EINVAL
 * (with @err: unknown or unhealthy IDs, @must not in @avail, too few).
 */
int dp_inventory_prefer(const struct dp_inventory *inv, unsigned int pe_count,
			char *const *avail, size_t n_avail, char *const *must,
			size_t n_must, size_t size, const char **out,
			char *err, size_t errlen);

/* ==== the plugin ==== */

struct dp_plugin;

/* One ListAndWatch call in progress. */
struct dp_stream {
	struct dp_stream *next;
	struct rpc_call *call;
	struct dp_resource *res;
};

/* One extended resource: its socket, server and registration. */
struct dp_resource {
	struct dp_plugin *dp;
	const char *name;		/* DP_RESOURCE_PE or DP_RESOURCE_PAIR */
	const char *short_name;		/* "pe", "pe-pair" */
	char endpoint[64];		/* socket file name: "rm-npu-pe.sock" */
	char path[PATH_MAX];		/* DIR/endpoint */
	unsigned int pe_count;
	struct rpc_server *srv;
	struct dp_stream *streams;
	bool stopping;			/* the server is shutting down */
	bool restart;			/* start again once it has */
	bool registered;
	bool registering;		/* a Register call is in flight */
	unsigned int generation;	/* bumped per server: stale replies */
	uint64_t retry_ns;		/* earliest next Register attempt */
	unsigned int backoff_s;
};

struct dp_plugin {
	struct rpc_loop loop;
	struct dp_inventory inv;
	struct dp_resource res[2];
	size_t num_res;
	char dir[PATH_MAX];
	char kubelet_path[PATH_MAX];
	const char *cdi_kind;
	const char *cdi_spec;		/* write the CDI spec here, or NULL */
	bool verbose;
};

void dp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t dp_now_ns(void);

/* dp_service.c: the DevicePlugin methods, served on each resource's socket. */
extern const struct rpc_method dp_service_methods[];
extern const size_t dp_service_num_methods;
/* Sends the resource's device list to every ListAndWatch stream. */
void dp_service_broadcast(struct dp_resource *r);

/* dp_kubelet.c: serving and registering. */
/* Starts the resource's server on a fresh socket. Return: 0 or -errno. */
int dp_kubelet_serve(struct dp_resource *r);
/* Replaces the server with a new one (a new socket) and registers again. */
void dp_kubelet_restart(struct dp_resource *r);
/* Registers each resource whose server runs and is not registered, when
 * the kubelet's socket exists and its retry time has come. */
void dp_kubelet_tick(struct dp_plugin *dp);
/* An inotify event on the device-plugin folder: @name created or gone. */
void dp_kubelet_dir_event(struct dp_plugin *dp, const char *name,
			  bool created);
/* Stops every server; Return: the number still stopping. */
size_t dp_kubelet_stop_all(struct dp_plugin *dp);

#endif /* NPU_DP_H */
