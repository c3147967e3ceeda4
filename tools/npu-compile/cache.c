// SPDX-License-Identifier: MIT
/*
 * cache.c - the compile cache (see npuc_cache.h). SHA-256 from OpenSSL's
 * libcrypto (EVP), atomic entries (write temp + fsync + rename), corrupt
 * entries detected by the checksummed program loader and dropped, hit and
 * miss counters in a flock()ed stats file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "npuc.h"
#include "npuc_build.h"
#include "npuc_cache.h"

#define CACHE_MAGIC	"npuc-cache-v1"

static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t i, len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i])
			continue;
		tmp[i] = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		tmp[i] = path[i];
	}
	return 0;
}

int npuc_cache_dir(char *buf, size_t len)
{
	const char *e = getenv("NPURT_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME");
	const char *h = getenv("HOME");
	int n, ret;

	if (e && e[0])
		n = snprintf(buf, len, "%s", e);
	else if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/npurt", x);
	else if (h && h[0])
		n = snprintf(buf, len, "%s/.cache/npurt", h);
	else
		return npuc_err(-ENOENT, "cache: set NPURT_CACHE_DIR (no HOME)");
	if (n < 0 || (size_t)n >= len)
		return npuc_err(-ENAMETOOLONG, "cache: directory name too long");
	ret = mkdir_p(buf);
	if (ret)
		return npuc_err(ret, "cache: cannot create %s: %s", buf,
				strerror(-ret));
	return 0;
}

const char *npuc_source_hash(void)
{
	return NPUC_SOURCE_HASH;
}

int npuc_cache_key(const void *model, size_t size,
		   const struct npuc_cache_key *k, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	uint8_t le[8];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	const char *fields[5];
	uint64_t v;
	int ok;

	if (!c)
		return npuc_err(-ENOMEM, "out of memory");
	fields[0] = CACHE_MAGIC;
	fields[1] = NPUC_VERSION;
	fields[2] = k && k->arch ? k->arch : "";
	fields[3] = k && k->options ? k->options : "";
	fields[4] = NPUC_SOURCE_HASH;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (i = 0; ok && i < 5; i++)	/* strings with their NUL */
		ok = EVP_DigestUpdate(c, fields[i], strlen(fields[i]) + 1);
	v = RM_NPU_CMDSET_VERSION;
	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	ok = ok && EVP_DigestUpdate(c, le, 8);
	v = k ? k->fw_caps : 0;
	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	ok = ok && EVP_DigestUpdate(c, le, 8);
	v = size;
	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	ok = ok && EVP_DigestUpdate(c, le, 8);
	ok = ok && EVP_DigestUpdate(c, model, size);
	ok = ok && EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (!ok || mdlen != 32)
		return npuc_err(-EIO, "cache: SHA-256 failed");
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return 0;
}

/* Add to the hit/miss counters under an exclusive lock. */
static void count(int hit, int miss, uint64_t *hits, uint64_t *misses)
{
	char dir[4096], path[4200], buf[128];
	unsigned long long h = 0, m = 0;
	ssize_t r;
	int fd;

	if (npuc_cache_dir(dir, sizeof(dir)))
		return;
	snprintf(path, sizeof(path), "%s/stats", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (!flock(fd, LOCK_EX)) {
		r = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[r > 0 ? r : 0] = 0;
		if (sscanf(buf, "hits %llu misses %llu", &h, &m) != 2)
			h = m = 0;
		h += (unsigned long long)hit;
		m += (unsigned long long)miss;
		if (hit || miss) {
			int n = snprintf(buf, sizeof(buf), "hits %llu misses %llu\n",
					 h, m);

			if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
				h = m = 0;
		}
		flock(fd, LOCK_UN);
	}
	close(fd);
	if (hits)
		*hits = h;
	if (misses)
		*misses = m;
}

static int entry_path(const char *hex, char *path, size_t len)
{
	char dir[4096];
	int ret = npuc_cache_dir(dir, sizeof(dir));

	if (ret)
		return ret;
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return npuc_err(-EINVAL, "cache: bad key");
	snprintf(path, len, "%s/%s.npuprog", dir, hex);
	return 0;
}

/* An entry is mapped, not read: entries are only ever replaced by
 * rename(), never truncated in place, so the mapping stays whole. */
static int load_entry(const char *path, npurt_program **prog)
{
	struct stat st;
	void *map;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return npurt_program_load(path, prog);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return npurt_program_load(path, prog);
	ret = npurt_program_load_memory(map, (size_t)st.st_size, prog);
	munmap(map, (size_t)st.st_size);
	return ret;
}

int npuc_cache_get(const char *hex, npurt_program **prog)
{
	char path[4200];
	int ret = entry_path(hex, path, sizeof(path));

	*prog = NULL;
	if (ret)
		return ret;
	ret = load_entry(path, prog);
	if (ret == -ENOENT)
		return -ENOENT;
	if (ret < 0) {	/* corrupt or unreadable: drop it, rebuild */
		fprintf(stderr, "npu-compile: cache entry %s is invalid (%s); "
			"dropped\n", path, npurt_last_error());
		unlink(path);
		return -ENOENT;
	}
	return 0;
}

int npuc_cache_put(const char *hex, const npurt_program *prog)
{
	char path[4200], tmp[4300];
	size_t size, done = 0;
	void *data = NULL;
	int ret, fd;

	ret = entry_path(hex, path, sizeof(path));
	if (ret)
		return ret;
	ret = npurt_program_serialize(prog, &data, &size);
	if (ret < 0)
		return npuc_err(ret, "cache: %s", npurt_last_error());
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%ld", path, (long)getpid(),
		 (long)random());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		free(data);
		return npuc_err(ret, "cache: %s: %s", tmp, strerror(-ret));
	}
	while (done < size) {
		ssize_t w = write(fd, (char *)data + done, size - done);

		if (w <= 0) {
			ret = w < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)w;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	free(data);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return npuc_err(ret, "cache: writing %s: %s", path,
				strerror(-ret));
	}
	return 0;
}

int npuc_cache_compile_file(const char *path, const struct npuc_cache_key *k,
			    npurt_program **prog, int *hit)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, ret;

	*prog = NULL;
	*hit = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return npuc_err(-errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || (uint64_t)st.st_size > NPUC_MAX_MODEL_BYTES) {
		close(fd);
		return npuc_err(-EFBIG, "%s: unreadable or above 2 GiB", path);
	}
	/* mapped, not read: a warm cache hit only hashes the bytes */
	if (st.st_size > 0) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ,
				 MAP_PRIVATE, fd, 0);

		if (map != MAP_FAILED) {
			close(fd);
			ret = npuc_cache_compile_memory(map, (size_t)st.st_size,
							k, prog, hit);
			munmap(map, (size_t)st.st_size);
			return ret;
		}
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return npuc_err(-ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	ret = npuc_cache_compile_memory(buf, got, k, prog, hit);
	free(buf);
	return ret;
}

int npuc_cache_compile_memory(const void *buf, size_t got,
			      const struct npuc_cache_key *k,
			      npurt_program **prog, int *hit)
{
	struct npuc_graph *g = NULL;
	char hex[65];
	int ret;

	*prog = NULL;
	*hit = 0;
	if (got > NPUC_MAX_MODEL_BYTES)
		return npuc_err(-EFBIG, "model of %zu bytes, above 2 GiB", got);
	ret = npuc_cache_key(buf, got, k, hex);
	if (!ret && !npuc_cache_get(hex, prog)) {
		*hit = 1;
		count(1, 0, NULL, NULL);
		return 0;
	}
	if (!ret) {
		count(0, 1, NULL, NULL);
		ret = npuc_load_memory(buf, got, &g);
	}
	if (!ret)
		ret = npuc_compile(g, NULL, prog);
	if (!ret && npuc_cache_put(hex, *prog))
		fprintf(stderr, "npu-compile: %s (not cached)\n",
			npuc_last_error());
	npuc_graph_free(g);
	return ret;
}

static bool is_entry(const char *name)
{
	size_t n = strlen(name);

	return n == 64 + 8 && !strcmp(name + 64, ".npuprog");
}

int npuc_cache_stats(struct npuc_cache_stats *st)
{
	char dir[4096], path[4400];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int ret = npuc_cache_dir(dir, sizeof(dir));

	memset(st, 0, sizeof(*st));
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return npuc_err(-errno, "cache: %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (is_entry(de->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (!stat(path, &sb)) {
				st->entries++;
				st->bytes += (uint64_t)sb.st_size;
			}
		}
	closedir(d);
	count(0, 0, &st->hits, &st->misses);
	return 0;
}

int npuc_cache_list(FILE *fp)
{
	char dir[4096], path[4400], when[32];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int ret = npuc_cache_dir(dir, sizeof(dir));

	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return npuc_err(-errno, "cache: %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (is_entry(de->d_name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (stat(path, &sb))
				continue;
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
				 localtime(&sb.st_mtime));
			fprintf(fp, "%.64s %10lld %s\n", de->d_name,
				(long long)sb.st_size, when);
		}
	closedir(d);
	return 0;
}

int npuc_cache_clear(void)
{
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;
	int ret = npuc_cache_dir(dir, sizeof(dir));

	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return npuc_err(-errno, "cache: %s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (is_entry(de->d_name) || !strcmp(de->d_name, "stats") ||
		    strstr(de->d_name, ".npuprog.tmp.")) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	return 0;
}
