// SPDX-License-Identifier: MIT
/*
 * testdata.c - ONNX's test layout (DIR/test_data_set_N/input_K.pb,
 * output_K.pb: serialized TensorProtos), read for the conformance runner
 * and the model checker.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npuc.h"

int npuc_read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size > (1 << 30)) {
		close(fd);
		return -EFBIG;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return 0;
}

int npuc_testdata_load(const char *dir, int set, const char *kind, int k,
		       struct npuc_tensor *t)
{
	char path[4200];
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/test_data_set_%d/%s_%d.pb", dir, set,
		 kind, k);
	ret = npuc_read_file(path, &buf, &len);
	if (ret)
		return npuc_err(ret, "%s: %s", path, strerror(-ret));
	ret = npuc_tensor_decode(buf, len, t);
	free(buf);
	if (ret)
		return npuc_err(ret, "%s: %s", path, npuc_last_error());
	return 0;
}
