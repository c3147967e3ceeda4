// SPDX-License-Identifier: MIT
/*
 * version.c - library version, and the full version line: library, the
 * uAPI it was built against, the driver ABI and firmware of the devices.
 */
#include <stdio.h>

#include "device.h"

#define NPURT_STR2(x)	#x
#define NPURT_STR(x)	NPURT_STR2(x)

NPURT_API unsigned int npurt_version(void)
{
	return NPURT_VERSION_CODE;
}

NPURT_API const char *npurt_version_string(void)
{
	return NPURT_STR(NPURT_VERSION_MAJOR) "." NPURT_STR(NPURT_VERSION_MINOR)
	       "." NPURT_STR(NPURT_VERSION_PATCH);
}

static int version_devices(const npurt_runtime *rt, char *buf, size_t len,
			   int n)
{
	unsigned int i, npus = 0;

	for (i = 0; i < rt->num_devices; i++) {
		const struct npurt_device_info *d = &rt->devices[i]->info;

		if (d->kind != NPURT_DEVICE_NPU)
			continue;
		n += snprintf(buf + ((size_t)n < len ? (size_t)n : len),
			      (size_t)n < len ? len - (size_t)n : 0,
			      "; %s: driver abi %u.%u, firmware %s (%s)",
			      d->name, d->abi_version >> 16,
			      d->abi_version & 0xffff, d->fw_version_str,
			      d->arch);
		npus++;
	}
	if (!npus)
		n += snprintf(buf + ((size_t)n < len ? (size_t)n : len),
			      (size_t)n < len ? len - (size_t)n : 0,
			      "; no NPU in the runtime");
	return n;
}

static int version_sysfs(char *buf, size_t len, int n)
{
	struct npurt_npu_info info;
	size_t count = 0;
	size_t at = (size_t)n < len ? (size_t)n : len;

	if (npurt_discover(&info, 1, &count) || !count)
		return n + snprintf(buf + at, len - at, "; no NPU");
	return n + snprintf(buf + at, len - at, "; npu%u: driver abi %s, "
			    "firmware %s (%s)", info.index, info.abi_version,
			    info.fw_version, info.arch);
}

NPURT_API int npurt_version_full(const npurt_runtime *rt, char *buf,
				 size_t len)
{
	char dummy;
	int n;

	if (!buf && len)
		return npurt_err(-EINVAL, "npurt_version_full: buf is NULL");
	if (!len) {	/* measuring only: keep pointer arithmetic defined */
		buf = &dummy;
		len = 1;
	}
	n = snprintf(buf, len, "libnpurt %s (uapi %d.%d)",
		     npurt_version_string(), RM_NPU_ABI_MAJOR, RM_NPU_ABI_MINOR);
	return rt ? version_devices(rt, buf, len, n) : version_sysfs(buf, len, n);
}
