// SPDX-License-Identifier: MIT
/*
 * smi_labels.c - node labels for Kubernetes, in the format of
 * node-feature-discovery's local feature files ("name=value" lines, read
 * from /etc/kubernetes/node-feature-discovery/features.d/).
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "smi.h"

/*
 * A Kubernetes label value: at most 63 characters of [A-Za-z0-9._-],
 * starting and ending with an alphanumeric; anything else becomes '_', and
 * what cannot be made valid becomes "unknown".
 */
static void label_value(char *dst, size_t len, const char *src)
{
	size_t n = 0, i;

	for (i = 0; src[i] && n + 1 < len && n < 63; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[n++] = isalnum(c) || c == '.' || c == '-' || c == '_' ?
			   (char)c : '_';
	}
	dst[n] = '\0';
	while (n && !isalnum((unsigned char)dst[n - 1]))
		dst[--n] = '\0';
	if (!n || !isalnum((unsigned char)dst[0]))
		snprintf(dst, len, "unknown");
}

int smi_labels_print(FILE *out, const struct smi_sys *sys, const char *prefix)
{
	const struct smi_dev *d = sys->num_devs ? &sys->devs[0] : NULL;
	char v[64];

	fprintf(out, "%s/count=%zu\n", prefix, sys->num_devs);
	if (!d)
		return ferror(out) ? -EIO : 0;
	/* One module drives every NPU of a node: npu0 speaks for all. */
	label_value(v, sizeof(v), d->info.arch);
	fprintf(out, "%s/arch=%s\n", prefix, v);
	fprintf(out, "%s/pes=%u\n", prefix, d->info.num_pes);
	fprintf(out, "%s/memory-mib=%llu\n", prefix,
		(unsigned long long)(d->info.mem_total >> 20));
	label_value(v, sizeof(v), strcmp(d->info.fw_state, "ready") ? "none" :
		    d->info.fw_version);
	fprintf(out, "%s/firmware=%s\n", prefix, v);
	label_value(v, sizeof(v), d->info.abi_version);
	fprintf(out, "%s/driver=%s\n", prefix, v);
	return ferror(out) ? -EIO : 0;
}
