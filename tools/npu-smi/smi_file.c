// SPDX-License-Identifier: MIT
/*
 * smi_file.c - write a file atomically: into a hidden temporary file next
 * to it, then rename(), so that a reader (node-feature-discovery, a
 * container runtime reading CDI specs) sees the old or the new content,
 * never half of it. NFD skips names starting with '.'.
 */
#include <errno.h>
#include <libgen.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smi.h"

int smi_write_atomic(const char *path, int (*fill)(FILE *out, void *ctx),
		     void *ctx)
{
	char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX + 16];
	FILE *f;
	int fd, ret;

	if (strlen(path) >= PATH_MAX - 16)
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir),
		 basename(base));
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	ret = fill(f, ctx);
	if (fflush(f) != 0 && !ret)
		ret = -errno;
	if (fchmod(fd, 0644) != 0 && !ret)
		ret = -errno;
	if (fclose(f) != 0 && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path) != 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
