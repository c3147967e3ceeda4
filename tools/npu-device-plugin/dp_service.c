// SPDX-License-Identifier: MIT
/*
 * dp_service.c - the kubelet's DevicePlugin service for one resource:
 * options, the ListAndWatch stream of device lists, preferred allocations,
 * Allocate (CDI device names as `npu-smi cdi` writes them, the device nodes
 * and NPU_DEVICES for libnpurt in the container) and PreStartContainer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deviceplugin.pb-c.h"
#include "dp.h"

#define DP_ANNOTATION_PREFIX	"cdi.k8s.io/rm-npu-device-plugin_"
#define DP_ENV_DEVICES		"NPU_DEVICES"

static void get_options(struct rpc_call *call, const ProtobufCMessage *req,
			void *ctx)
{
	V1beta1__DevicePluginOptions opts = V1BETA1__DEVICE_PLUGIN_OPTIONS__INIT;

	(void)req;
	(void)ctx;
	opts.pre_start_required = 0;
	opts.get_preferred_allocation_available = 1;
	rpc_call_reply(call, &opts.base);
}

/* The resource's list as a ListAndWatchResponse, then sent to @call. */
static int send_list(struct dp_resource *r, struct rpc_call *call)
{
	const struct dp_inventory *inv = &r->dp->inv;
	V1beta1__ListAndWatchResponse resp = V1BETA1__LIST_AND_WATCH_RESPONSE__INIT;
	V1beta1__Device *devs, **ptrs;
	V1beta1__TopologyInfo *topo;
	V1beta1__NUMANode *numa, **numa_ptrs;
	size_t i, n = 0;
	int ret;

	devs = calloc(inv->num + 1, sizeof(*devs));
	ptrs = calloc(inv->num + 1, sizeof(*ptrs));
	topo = calloc(inv->num + 1, sizeof(*topo));
	numa = calloc(inv->num + 1, sizeof(*numa));
	numa_ptrs = calloc(inv->num + 1, sizeof(*numa_ptrs));
	if (!devs || !ptrs || !topo || !numa || !numa_ptrs) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < inv->num; i++) {
		const struct dp_device *d = &inv->devs[i];
		V1beta1__Device *v = &devs[n];

		if (d->pe_count != r->pe_count)
			continue;
		v1beta1__device__init(v);
		v->id = (char *)d->id;
		v->health = d->healthy ? DP_HEALTHY : DP_UNHEALTHY;
		if (d->numa_node >= 0) {
			v1beta1__topology_info__init(&topo[n]);
			v1beta1__numanode__init(&numa[n]);
			numa[n].id = d->numa_node;
			numa_ptrs[n] = &numa[n];
			topo[n].n_nodes = 1;
			topo[n].nodes = &numa_ptrs[n];
			v->topology = &topo[n];
		}
		ptrs[n++] = v;
	}
	resp.n_devices = n;
	resp.devices = ptrs;
	ret = rpc_call_send(call, &resp.base);
out:
	free(devs);
	free(ptrs);
	free(topo);
	free(numa);
	free(numa_ptrs);
	return ret;
}

static void stream_closed(struct rpc_call *call, void *ctx)
{
	struct dp_stream *s = ctx, **pp;

	(void)call;
	for (pp = &s->res->streams; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (s->res->dp->verbose)
		dp_log("%s: ListAndWatch stream closed", s->res->name);
	free(s);
}

static void list_and_watch(struct rpc_call *call, const ProtobufCMessage *req,
			   void *ctx)
{
	struct dp_resource *r = ctx;
	struct dp_stream *s = calloc(1, sizeof(*s));

	(void)req;
	if (!s) {
		rpc_call_fail(call, GRPC_STATUS_RESOURCE_EXHAUSTED,
			      "out of memory");
		return;
	}
	s->call = call;
	s->res = r;
	s->next = r->streams;
	r->streams = s;
	rpc_call_on_close(call, stream_closed, s);
	if (r->dp->verbose)
		dp_log("%s: ListAndWatch stream opened", r->name);
	if (send_list(r, call) < 0) {
		stream_closed(call, s);		/* forget it first */
		rpc_call_end(call, GRPC_STATUS_RESOURCE_EXHAUSTED,
			     "cannot send the device list");
	}
}

void dp_service_broadcast(struct dp_resource *r)
{
	struct dp_stream *s;

	for (s = r->streams; s; s = s->next)
		if (send_list(r, s->call) < 0)
			dp_log("%s: cannot send the device list to a stream",
			       r->name);
}

static void get_preferred(struct rpc_call *call, const ProtobufCMessage *req,
			  void *ctx)
{
	const V1beta1__PreferredAllocationRequest *in =
		(const V1beta1__PreferredAllocationRequest *)req;
	V1beta1__PreferredAllocationResponse resp =
		V1BETA1__PREFERRED_ALLOCATION_RESPONSE__INIT;
	V1beta1__ContainerPreferredAllocationResponse *cr, **crp;
	struct dp_resource *r = ctx;
	const char **ids = NULL;
	size_t i, total = 0, used = 0;
	char err[256];

	for (i = 0; i < in->n_container_requests; i++) {
		int32_t size = in->container_requests[i]->allocation_size;

		if (size <= 0 || (size_t)size >
		    in->container_requests[i]->n_available_deviceids) {
			rpc_call_fail(call, GRPC_STATUS_INVALID_ARGUMENT,
				      "container %zu: cannot choose %d of %zu devices",
				      i, size,
				      in->container_requests[i]->n_available_deviceids);
			return;
		}
		total += (size_t)size;
	}
	cr = calloc(in->n_container_requests + 1, sizeof(*cr));
	crp = calloc(in->n_container_requests + 1, sizeof(*crp));
	ids = calloc(total + 1, sizeof(*ids));
	if (!cr || !crp || !ids) {
		rpc_call_fail(call, GRPC_STATUS_RESOURCE_EXHAUSTED,
			      "out of memory");
		goto out;
	}
	for (i = 0; i < in->n_container_requests; i++) {
		const V1beta1__ContainerPreferredAllocationRequest *c =
			in->container_requests[i];
		size_t size = (size_t)c->allocation_size;

		if (dp_inventory_prefer(&r->dp->inv, r->pe_count,
					c->available_deviceids,
					c->n_available_deviceids,
					c->must_include_deviceids,
					c->n_must_include_deviceids, size,
					ids + used, err, sizeof(err)) < 0) {
			rpc_call_fail(call, GRPC_STATUS_INVALID_ARGUMENT,
				      "container %zu: %s", i, err);
			goto out;
		}
		v1beta1__container_preferred_allocation_response__init(&cr[i]);
		cr[i].n_deviceids = size;
		cr[i].deviceids = (char **)(ids + used);
		crp[i] = &cr[i];
		used += size;
	}
	resp.n_container_responses = in->n_container_requests;
	resp.container_responses = crp;
	rpc_call_reply(call, &resp.base);
out:
	free(cr);
	free(crp);
	free(ids);
}

/* Everything one container's answer points at, freed in one go. */
struct alloc_answer {
	V1beta1__ContainerAllocateResponse resp;
	V1beta1__ContainerAllocateResponse__EnvsEntry env;
	V1beta1__ContainerAllocateResponse__EnvsEntry *envp;
	V1beta1__ContainerAllocateResponse__AnnotationsEntry ann;
	V1beta1__ContainerAllocateResponse__AnnotationsEntry *annp;
	V1beta1__DeviceSpec *specs, **specp;
	V1beta1__CDIDevice *cdi, **cdip;
	char **cdi_names;
	size_t n_cdi;
	char *env_value;
	char *ann_key;
	char *ann_value;
};

static void answer_free(struct alloc_answer *a)
{
	size_t i;

	for (i = 0; a->cdi_names && i < a->n_cdi; i++)
		free(a->cdi_names[i]);
	free(a->cdi_names);
	free(a->specs);
	free(a->specp);
	free(a->cdi);
	free(a->cdip);
	free(a->env_value);
	free(a->ann_key);
	free(a->ann_value);
}

/* "a,b,c" of @n strings. NULL on -ENOMEM. */
static char *join(char *const *s, size_t n)
{
	size_t len = 1, i;
	char *out, *p;

	for (i = 0; i < n; i++)
		len += strlen(s[i]) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	*p = '\0';
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", s[i]);
	return out;
}

/*
 * One container's answer: each device's node, then the management node of
 * each NPU concerned (once); a CDI device per device; NPU_DEVICES; and the
 * CDI names again as the annotation older container runtimes read.
 */
static int answer_build(struct alloc_answer *a, const struct dp_resource *r,
			char *const *ids, size_t n)
{
	const struct dp_plugin *dp = r->dp;
	size_t i, j, ns = 0;

	memset(a, 0, sizeof(*a));
	v1beta1__container_allocate_response__init(&a->resp);
	a->specs = calloc(2 * n, sizeof(*a->specs));
	a->specp = calloc(2 * n, sizeof(*a->specp));
	a->cdi = calloc(n, sizeof(*a->cdi));
	a->cdip = calloc(n, sizeof(*a->cdip));
	a->cdi_names = calloc(n, sizeof(*a->cdi_names));
	a->env_value = join(ids, n);
	if (!a->specs || !a->specp || !a->cdi || !a->cdip || !a->cdi_names ||
	    !a->env_value)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct dp_device *d = dp_inventory_find(&dp->inv, ids[i],
							      r->pe_count);

		v1beta1__device_spec__init(&a->specs[ns]);
		a->specs[ns].host_path = (char *)d->devnode;
		a->specs[ns].container_path = (char *)d->devnode;
		a->specs[ns].permissions = "rw";
		a->specp[ns] = &a->specs[ns];
		ns++;
		if (asprintf(&a->cdi_names[i], "%s=%s", dp->cdi_kind,
			     d->id) < 0) {
			a->cdi_names[i] = NULL;
			return -ENOMEM;
		}
		a->n_cdi = i + 1;
		v1beta1__cdidevice__init(&a->cdi[i]);
		a->cdi[i].name = a->cdi_names[i];
		a->cdip[i] = &a->cdi[i];
	}
	for (i = 0; i < n; i++) {
		const struct dp_device *d = dp_inventory_find(&dp->inv, ids[i],
							      r->pe_count);

		for (j = n; j < ns; j++)
			if (!strcmp(a->specs[j].host_path, d->mgmt))
				break;
		if (j < ns)
			continue;
		v1beta1__device_spec__init(&a->specs[ns]);
		a->specs[ns].host_path = (char *)d->mgmt;
		a->specs[ns].container_path = (char *)d->mgmt;
		a->specs[ns].permissions = "rw";
		a->specp[ns] = &a->specs[ns];
		ns++;
	}
	a->resp.n_devices = ns;
	a->resp.devices = a->specp;
	a->resp.n_cdi_devices = n;
	a->resp.cdi_devices = a->cdip;

	v1beta1__container_allocate_response__envs_entry__init(&a->env);
	a->env.key = DP_ENV_DEVICES;
	a->env.value = a->env_value;
	a->envp = &a->env;
	a->resp.n_envs = 1;
	a->resp.envs = &a->envp;

	a->ann_value = join(a->cdi_names, n);
	if (!a->ann_value || asprintf(&a->ann_key, "%s%s",
				      DP_ANNOTATION_PREFIX,
				      r->short_name) < 0) {
		a->ann_key = NULL;
		return -ENOMEM;
	}
	v1beta1__container_allocate_response__annotations_entry__init(&a->ann);
	a->ann.key = a->ann_key;
	a->ann.value = a->ann_value;
	a->annp = &a->ann;
	a->resp.n_annotations = 1;
	a->resp.annotations = &a->annp;
	return 0;
}

static void allocate(struct rpc_call *call, const ProtobufCMessage *req,
		     void *ctx)
{
	const V1beta1__AllocateRequest *in = (const V1beta1__AllocateRequest *)req;
	V1beta1__AllocateResponse resp = V1BETA1__ALLOCATE_RESPONSE__INIT;
	V1beta1__ContainerAllocateResponse **crp = NULL;
	struct dp_resource *r = ctx;
	struct alloc_answer *ans = NULL;
	size_t i, built = 0;
	char err[256];
	int ret;

	if (!in->n_container_requests) {
		rpc_call_fail(call, GRPC_STATUS_INVALID_ARGUMENT,
			      "no container request");
		return;
	}
	/* All requests are checked before anything is answered. */
	for (i = 0; i < in->n_container_requests; i++) {
		const V1beta1__ContainerAllocateRequest *c =
			in->container_requests[i];

		ret = dp_inventory_check(&r->dp->inv, r->pe_count,
					 c->devices_ids, c->n_devices_ids,
					 true, err, sizeof(err));
		if (ret < 0) {
			dp_log("%s: Allocate refused: container %zu: %s",
			       r->name, i, err);
			rpc_call_fail(call, ret == -ENODEV ?
				      GRPC_STATUS_FAILED_PRECONDITION :
				      GRPC_STATUS_INVALID_ARGUMENT,
				      "container %zu: %s", i, err);
			return;
		}
	}
	ans = calloc(in->n_container_requests, sizeof(*ans));
	crp = calloc(in->n_container_requests, sizeof(*crp));
	if (!ans || !crp)
		goto nomem;
	for (i = 0; i < in->n_container_requests; i++) {
		const V1beta1__ContainerAllocateRequest *c =
			in->container_requests[i];

		built = i + 1;
		if (answer_build(&ans[i], r, c->devices_ids,
				 c->n_devices_ids) < 0)
			goto nomem;
		crp[i] = &ans[i].resp;
		if (r->dp->verbose)
			dp_log("%s: Allocate container %zu: %s", r->name, i,
			       ans[i].env_value);
	}
	resp.n_container_responses = in->n_container_requests;
	resp.container_responses = crp;
	rpc_call_reply(call, &resp.base);
	goto out;
nomem:
	rpc_call_fail(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
out:
	for (i = 0; ans && i < built; i++)
		answer_free(&ans[i]);
	free(ans);
	free(crp);
}

static void pre_start(struct rpc_call *call, const ProtobufCMessage *req,
		      void *ctx)
{
	const V1beta1__PreStartContainerRequest *in =
		(const V1beta1__PreStartContainerRequest *)req;
	V1beta1__PreStartContainerResponse resp =
		V1BETA1__PRE_START_CONTAINER_RESPONSE__INIT;
	struct dp_resource *r = ctx;
	char err[256];

	/* Nothing to prepare on a PE; only the IDs are checked. */
	if (dp_inventory_check(&r->dp->inv, r->pe_count, in->devices_ids,
			       in->n_devices_ids, false, err,
			       sizeof(err)) < 0) {
		rpc_call_fail(call, GRPC_STATUS_INVALID_ARGUMENT, "%s", err);
		return;
	}
	rpc_call_reply(call, &resp.base);
}

const struct rpc_method dp_service_methods[] = {
	{ "/v1beta1.DevicePlugin/GetDevicePluginOptions",
	  &v1beta1__empty__descriptor, get_options },
	{ "/v1beta1.DevicePlugin/ListAndWatch",
	  &v1beta1__empty__descriptor, list_and_watch },
	{ "/v1beta1.DevicePlugin/GetPreferredAllocation",
	  &v1beta1__preferred_allocation_request__descriptor, get_preferred },
	{ "/v1beta1.DevicePlugin/Allocate",
	  &v1beta1__allocate_request__descriptor, allocate },
	{ "/v1beta1.DevicePlugin/PreStartContainer",
	  &v1beta1__pre_start_container_request__descriptor, pre_start },
};
const size_t dp_service_num_methods = sizeof(dp_service_methods) /
				      sizeof(dp_service_methods[0]);
