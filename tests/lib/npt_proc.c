// SPDX-License-Identifier: GPL-2.0 OR MIT
/* npt_proc.c - process helpers of the tests: see npt_proc.h. */
#include "npt_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

ssize_t npt_slurp(const char *path, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n = 0;
	int fd, err;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (used + 1 < len &&
	       (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += (size_t)n;
	err = n < 0 ? -errno : 0;
	close(fd);
	buf[used] = '\0';
	return err ? err : (ssize_t)used;
}

int npt_write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return err;
}

/* In the child: @env applied, stdout and stderr moved; never returns. */
static void npt_child(const char *argv0, const char *arg,
		      const char *const *env, int fd_out, int fd_err)
{
	char name[256];
	const char *eq;

	if (dup2(fd_out, 1) != 1 || dup2(fd_err, 2) != 2)
		_exit(126);
	for (; env && *env; env++) {
		eq = strchr(*env, '=');
		if (!eq) {
			unsetenv(*env);
			continue;
		}
		if ((size_t)(eq - *env) >= sizeof(name))
			_exit(126);
		memcpy(name, *env, (size_t)(eq - *env));
		name[eq - *env] = '\0';
		setenv(name, eq + 1, 1);
	}
	execl("/proc/self/exe", argv0, arg, (char *)NULL);
	_exit(127);
}

int npt_run_self(const char *argv0, const char *arg,
		 const char *const *env, const char *out, const char *err)
{
	int fd_out, fd_err, status, ret;
	pid_t pid;

	fd_out = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd_out < 0)
		return -errno;
	fd_err = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd_err < 0) {
		ret = -errno;
		close(fd_out);
		return ret;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		npt_child(argv0, arg, env, fd_out, fd_err);
	ret = pid < 0 ? -errno : 0;
	close(fd_out);
	close(fd_err);
	if (ret)
		return ret;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status);
}

int npt_capture_begin(struct npt_capture *c, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret;

	c->saved = -1;
	if (fd < 0)
		return -errno;
	fflush(stderr);
	c->saved = dup(2);
	if (c->saved < 0 || dup2(fd, 2) != 2) {
		ret = -errno;
		if (c->saved >= 0)
			close(c->saved);
		c->saved = -1;
		close(fd);
		return ret;
	}
	close(fd);
	return 0;
}

int npt_capture_end(struct npt_capture *c, const char *path, char *buf,
		    size_t len)
{
	ssize_t n;

	if (c->saved < 0)
		return 0;
	fflush(stderr);
	if (dup2(c->saved, 2) != 2)
		return -errno;
	close(c->saved);
	c->saved = -1;
	if (!buf)
		return 0;
	n = npt_slurp(path, buf, len);
	return n < 0 ? (int)n : 0;
}
