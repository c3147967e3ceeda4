/* SPDX-License-Identifier: MIT */
/*
 * npuc_cache.h - the compile cache: .onnx bytes -> .npuprog bytes.
 *
 * Key: SHA-256 (OpenSSL libcrypto) over a versioned record of the model
 * bytes, the compiler version (NPUC_VERSION) and sources
 * (npuc_source_hash(): a compiler changed under the same version must not
 * reuse its predecessor's programs), the command-set version
 * (RM_NPU_CMDSET_VERSION), the target arch, the firmware capability mask
 * and the compile options. Directory: $NPURT_CACHE_DIR, else
 * $XDG_CACHE_HOME/npurt, else $HOME/.cache/npurt. Entries are
 * <hex key>.npuprog, written to a temporary file and rename()d into place
 * (atomic; concurrent writers of one key produce identical bytes, the last
 * rename wins). A hit is checked by loading it with npurt_program_load_memory
 * (checksummed format): a corrupt entry is deleted and reported as a miss.
 * Hits and misses are counted in <dir>/stats (flock()ed).
 */
#ifndef NPUC_CACHE_H
#define NPUC_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <npurt.h>

/*
 * SHA-256 (hex) of the sources that decide the programs made: the
 * compiler's, the program builder's and the uAPI (build.mk computes it).
 * The same for npu-compile and the plugin built from one tree, so both
 * find each other's entries.
 */
const char *npuc_source_hash(void);

struct npuc_cache_key {
	const char *arch;		/* "warboy", "cpu" */
	uint64_t fw_caps;
	const char *options;		/* canonical option string, or "" */
};

/* The cache directory (created on demand). Return 0 or -errno. */
int npuc_cache_dir(char *buf, size_t len);

/* Hex SHA-256 key (65 bytes with the NUL). */
int npuc_cache_key(const void *model, size_t size,
		   const struct npuc_cache_key *k, char hex[65]);

/* 0 and *prog on a hit; -ENOENT on a miss (also after dropping a corrupt
 * entry). */
int npuc_cache_get(const char *hex, npurt_program **prog);
int npuc_cache_put(const char *hex, const npurt_program *prog);

/*
 * Load an ONNX model through the cache: compile on a miss. This is what
 * npurt_model_load("x.onnx") calls, through the plugin (plugin.c).
 * *hit says whether the cache answered.
 */
int npuc_cache_compile_file(const char *path, const struct npuc_cache_key *k,
			    npurt_program **prog, int *hit);

/* The same for a serialized model in memory (@buf is not kept). */
int npuc_cache_compile_memory(const void *buf, size_t size,
			      const struct npuc_cache_key *k,
			      npurt_program **prog, int *hit);

struct npuc_cache_stats {
	uint64_t entries, bytes, hits, misses;
};

int npuc_cache_stats(struct npuc_cache_stats *st);
/* Print one line per entry (key, size, mtime). */
int npuc_cache_list(FILE *fp);
int npuc_cache_clear(void);

#endif /* NPUC_CACHE_H */
