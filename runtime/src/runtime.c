// SPDX-License-Identifier: MIT
/*
 * runtime.c - creating and tearing down a runtime: parse the spec, scan
 * the system, claim nodes, bring up one backend device per claim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "profiler.h"

static const char *runtime_default_spec(void)
{
	const char *env = getenv("NPU_DEVICES");

	return env && *env ? env : "auto";
}

static int runtime_add_device(npurt_runtime *rt, struct npurt_claim *c)
{
	npurt_device *dev = calloc(1, sizeof(*dev));
	int ret;

	if (!dev)
		return npurt_err(-ENOMEM, "out of memory");
	dev->rt = rt;
	dev->index = rt->num_devices;
	dev->fd = -1;
	if (c->kind == NPURT_CLAIM_NPU) {
		ret = npurt_npu_device_init(dev, c->fd, &c->node);
		c->fd = -1;	/* taken over, even on failure */
	} else if (c->kind == NPURT_CLAIM_GPU) {
		ret = npurt_gpu_device_init(dev, c->gpu);
	} else {
		ret = npurt_cpu_device_init(dev, c->threads, c->numa_node);
	}
	if (ret) {
		free(dev);
		return ret;
	}
	rt->devices[rt->num_devices++] = dev;
	return 0;
}

static int runtime_open(npurt_runtime *rt, const struct npurt_spec *spec)
{
	struct npurt_claims *claims = malloc(sizeof(*claims));
	struct npurt_sys sys;
	unsigned int i;
	int ret;

	if (!claims)
		return npurt_err(-ENOMEM, "out of memory");
	ret = npurt_sys_scan(&sys);
	if (ret)
		goto out_free;
	ret = npurt_spec_resolve(rt->spec, spec, &sys, &npurt_sys_open_ops,
				 claims);
	npurt_sys_free(&sys);
	if (ret)
		goto out_free;
	rt->devices = calloc(claims->num, sizeof(*rt->devices));
	if (!rt->devices) {
		ret = npurt_err(-ENOMEM, "out of memory");
		goto out_release;
	}
	for (i = 0; i < claims->num && !ret; i++)
		ret = runtime_add_device(rt, &claims->items[i]);
out_release:
	npurt_claims_release(claims, &npurt_sys_open_ops);
out_free:
	free(claims);
	return ret;
}

static void runtime_log_devices(const npurt_runtime *rt)
{
	char line[512] = "";
	size_t used = 0;
	unsigned int i;

	for (i = 0; i < rt->num_devices && used < sizeof(line); i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used,
					 "%s%s", i ? ", " : "",
					 rt->devices[i]->info.name);
	npurt_info("runtime \"%s\": %s", rt->spec, line);
}

NPURT_API int npurt_runtime_create(const char *spec, npurt_runtime **out)
{
	struct npurt_spec *parsed;
	npurt_runtime *rt;
	int ret;

	if (!out)
		return npurt_err(-EINVAL, "npurt_runtime_create: out is NULL");
	*out = NULL;
	rt = calloc(1, sizeof(*rt));
	parsed = malloc(sizeof(*parsed));
	if (!rt || !parsed || !(rt->spec = strdup(spec ? spec :
					runtime_default_spec()))) {
		ret = npurt_err(-ENOMEM, "out of memory");
		goto err;
	}
	ret = npurt_spec_parse(rt->spec, parsed, NULL);
	if (!ret)
		ret = npurt_prof_init(rt);
	if (!ret)
		ret = runtime_open(rt, parsed);
	if (ret)
		goto err;
	free(parsed);
	runtime_log_devices(rt);
	*out = rt;
	return 0;
err:
	free(parsed);
	npurt_runtime_destroy(rt);
	return ret;
}

NPURT_API void npurt_runtime_destroy(npurt_runtime *rt)
{
	unsigned int i;

	if (!rt)
		return;
	/*
	 * Write the trace first, free the profiler last: device threads
	 * (CPU pool workers) name their tracks in it until they are joined.
	 */
	if (npurt_prof_active(rt) && npurt_profiler_stop(rt))
		npurt_warn("profiler: %s", npurt_last_error());
	for (i = 0; i < rt->num_devices; i++) {
		rt->devices[i]->ops->close(rt->devices[i]);
		free(rt->devices[i]);
	}
	npurt_prof_fini(rt);
	free(rt->devices);
	free(rt->spec);
	free(rt);
}

NPURT_API const char *npurt_runtime_spec(const npurt_runtime *rt)
{
	return rt ? rt->spec : NULL;
}

NPURT_API unsigned int npurt_runtime_device_count(const npurt_runtime *rt)
{
	return rt ? rt->num_devices : 0;
}

NPURT_API npurt_device *npurt_runtime_device(const npurt_runtime *rt,
					     unsigned int index)
{
	return rt && index < rt->num_devices ? rt->devices[index] : NULL;
}

NPURT_API int npurt_device_get_info(const npurt_device *dev,
				    struct npurt_device_info *info)
{
	if (!dev || !info)
		return npurt_err(-EINVAL, "npurt_device_get_info: NULL argument");
	*info = dev->info;
	return 0;
}

NPURT_API const char *npurt_device_name(const npurt_device *dev)
{
	return dev ? dev->info.name : NULL;
}
