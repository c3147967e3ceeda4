// SPDX-License-Identifier: MIT
/*
 * device_select.c - choosing devices: list the NPUs found, check a spec's
 * syntax (showing where it is wrong), then open it - from the command
 * line, or from $NPU_DEVICES when no argument is given - and describe
 * every device the runtime got.
 *
 *   device_select [SPEC]
 *   NPU_DEVICES="warboy(2)*1" device_select
 */
#include <stdio.h>
#include <stdlib.h>

#include <npurt.h>

int main(int argc, char **argv)
{
	const char *spec = argc > 1 ? argv[1] : NULL;
	const char *env = getenv("NPU_DEVICES");
	struct npurt_npu_info npus[16];
	npurt_runtime *rt = NULL;
	char version[256];
	size_t count = 0, pos = 0, i;
	int ret;

	npurt_version_full(NULL, version, sizeof(version));
	printf("%s\n", version);
	ret = npurt_discover(npus, 16, &count);
	if (ret)
		fprintf(stderr, "discovery: %s\n", npurt_last_error());
	printf("NPUs present: %zu\n", count);
	for (i = 0; i < count && i < 16; i++)
		printf("  npu%u: %s, %u PEs, firmware %s (%s), %llu/%llu bytes "
		       "used\n", npus[i].index, npus[i].arch, npus[i].num_pes,
		       npus[i].fw_version, npus[i].fw_state,
		       (unsigned long long)npus[i].mem_used,
		       (unsigned long long)npus[i].mem_total);

	if (!spec)
		printf("spec: from NPU_DEVICES (%s)\n",
		       env && *env ? env : "unset: auto");
	else
		printf("spec: \"%s\" from the command line\n", spec);
	if (spec && npurt_spec_check(spec, &pos)) {
		fprintf(stderr, "  %s\n  %*s^ %s\n", spec, (int)pos, "",
			npurt_last_error());
		return 2;
	}
	ret = npurt_runtime_create(spec, &rt);
	if (ret) {
		fprintf(stderr, "cannot open: %s: %s\n", npurt_strerror(ret),
			npurt_last_error());
		return 1;
	}
	printf("runtime \"%s\": %u device(s)\n", npurt_runtime_spec(rt),
	       npurt_runtime_device_count(rt));
	for (i = 0; i < npurt_runtime_device_count(rt); i++) {
		struct npurt_device_info d;

		npurt_device_get_info(npurt_runtime_device(rt, (unsigned int)i),
				      &d);
		if (d.kind == NPURT_DEVICE_CPU)
			printf("  %s: the CPU, %u threads\n", d.name, d.threads);
		else
			printf("  %s: %s npu%u PEs %u..%u, firmware %s, %llu "
			       "bytes of device memory\n", d.name, d.arch,
			       d.dev_index, d.pe_first,
			       d.pe_first + d.pe_count - 1, d.fw_version_str,
			       (unsigned long long)d.mem_total);
	}
	npurt_runtime_destroy(rt);
	return 0;
}
