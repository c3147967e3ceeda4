// SPDX-License-Identifier: MIT
/*
 * plugin.c - libnpuc.so.1, the compiler as a plugin of libnpurt.
 *
 * libnpurt dlopen()s this library for npurt_model_load("x.onnx") and
 * npurt_model_load_memory() of ONNX bytes, so that the runtime itself
 * needs neither protobuf-c nor libcrypto. The ABI is the functions below (npuc_plugin.h documents it; the version script
 * npuc_plugin.map exports nothing else). Programs cross the boundary as
 * .npuprog bytes, so the plugin and the runtime share no in-memory
 * structures (an application may even link libnpurt statically).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npuc.h"
#include "npuc_cache.h"
#include "npuc_plugin.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int npuc_plugin_abi(void)
{
	return NPUC_PLUGIN_ABI;
}

/* Serialize a compile's result (@ret, @prog) for the caller. */
static int plugin_finish(int ret, npurt_program *prog, int h,
			 void **prog_bytes, size_t *len, int *hit, char *err,
			 size_t errlen)
{
	if (!ret) {
		ret = npurt_program_serialize(prog, prog_bytes, len);
		if (ret < 0)
			npuc_err(ret, "%s", npurt_last_error());
	}
	npurt_program_destroy(prog);
	if (hit)
		*hit = h;
	if (ret < 0 && err && errlen)
		snprintf(err, errlen, "%s", npuc_last_error());
	return ret < 0 ? ret : 0;
}

EXPORT int npuc_plugin_compile(const char *path, const char *arch,
			       uint64_t fw_caps, const char *options,
			       void **prog_bytes, size_t *len, int *hit,
			       char *err, size_t errlen)
{
	struct npuc_cache_key k = { .arch = arch ? arch : "",
				    .fw_caps = fw_caps,
				    .options = options ? options : "" };
	npurt_program *prog = NULL;
	int h = 0, ret;

	if (err && errlen)
		err[0] = 0;
	if (!path || !prog_bytes || !len)
		return -22;	/* EINVAL */
	*prog_bytes = NULL;
	*len = 0;
	ret = npuc_cache_compile_file(path, &k, &prog, &h);
	return plugin_finish(ret, prog, h, prog_bytes, len, hit, err, errlen);
}

EXPORT int npuc_plugin_compile_memory(const void *data, size_t size,
				      const char *arch, uint64_t fw_caps,
				      const char *options, void **prog_bytes,
				      size_t *len, int *hit, char *err,
				      size_t errlen)
{
	struct npuc_cache_key k = { .arch = arch ? arch : "",
				    .fw_caps = fw_caps,
				    .options = options ? options : "" };
	npurt_program *prog = NULL;
	int h = 0, ret;

	if (err && errlen)
		err[0] = 0;
	if ((!data && size) || !prog_bytes || !len)
		return -22;	/* EINVAL */
	*prog_bytes = NULL;
	*len = 0;
	ret = npuc_cache_compile_memory(data, size, &k, &prog, &h);
	return plugin_finish(ret, prog, h, prog_bytes, len, hit, err, errlen);
}

EXPORT void npuc_plugin_free(void *prog_bytes)
{
	free(prog_bytes);
}
