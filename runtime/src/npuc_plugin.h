/* SPDX-License-Identifier: MIT */
/*
 * npuc_plugin.h - the ABI between libnpurt and the compiler plugin
 * libnpuc.so.1 (tools/npu-compile/plugin.c; this header lives
 * with the runtime, which owns the ABI). libnpurt looks the plugin up
 * by name at run time (dlopen), so nothing here is linked:
 *
 *   int npuc_plugin_abi(void);            must return NPUC_PLUGIN_ABI
 *   int npuc_plugin_compile(path, arch, fw_caps, options,
 *                           &bytes, &len, &hit, err, errlen);
 *       compile the ONNX model at @path through the compile cache (key:
 *       model bytes, compiler version, command-set version, @arch,
 *       @fw_caps, @options) into .npuprog bytes (*bytes, *len; free with
 *       npuc_plugin_free()); *hit: whether the cache answered. Return 0
 *       or a negative errno with one sentence in @err.
 *   int npuc_plugin_compile_memory(data, size, arch, fw_caps, options,
 *                                  &bytes, &len, &hit, err, errlen);
 *       the same for a serialized ONNX model in memory (same cache key).
 *       Added in version node NPUC_PLUGIN_2 (libnpurt 1.2); libnpurt
 *       looks it up on its own and copes with plugins without it.
 *   void npuc_plugin_free(void *bytes);
 */
#ifndef NPUC_PLUGIN_H
#define NPUC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define NPUC_PLUGIN_ABI		1
#define NPUC_PLUGIN_SONAME	"libnpuc.so.1"

typedef int (*npuc_plugin_abi_fn)(void);
typedef int (*npuc_plugin_compile_fn)(const char *path, const char *arch,
				      uint64_t fw_caps, const char *options,
				      void **prog_bytes, size_t *len, int *hit,
				      char *err, size_t errlen);
typedef int (*npuc_plugin_compile_memory_fn)(const void *data, size_t size,
					     const char *arch,
					     uint64_t fw_caps,
					     const char *options,
					     void **prog_bytes, size_t *len,
					     int *hit, char *err,
					     size_t errlen);
typedef void (*npuc_plugin_free_fn)(void *prog_bytes);

/* The plugin's definitions (plugin.c); libnpurt uses dlsym() only. */
int npuc_plugin_abi(void);
int npuc_plugin_compile(const char *path, const char *arch, uint64_t fw_caps,
			const char *options, void **prog_bytes, size_t *len,
			int *hit, char *err, size_t errlen);
int npuc_plugin_compile_memory(const void *data, size_t size,
			       const char *arch, uint64_t fw_caps,
			       const char *options, void **prog_bytes,
			       size_t *len, int *hit, char *err, size_t errlen);
void npuc_plugin_free(void *prog_bytes);

#endif /* NPUC_PLUGIN_H */
