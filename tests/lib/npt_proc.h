/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npt_proc.h - process helpers of the tests (tests/lib, prefix npt_):
 * reading a small file whole, running this program again with a changed
 * environment and its output in files, and capturing this process's
 * stderr. One error convention, as liburing's test helpers: 0 (or a
 * count) on success, a negative errno on failure; nothing here asserts
 * or exits, the caller's test decides.
 */
#ifndef RM_NPU_TESTS_NPT_PROC_H
#define RM_NPU_TESTS_NPT_PROC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * npt_slurp() - the whole of a small file into @buf, NUL-terminated
 * (truncated to @len - 1 bytes). Return: the bytes read, or -errno (@buf
 * is "" then).
 */
ssize_t npt_slurp(const char *path, char *buf, size_t len);

/*
 * npt_write_str() - write @s to the file @path in one write(), as a sysfs
 * or cgroup attribute wants it. Return: 0, or -errno (-EIO on a short
 * write).
 */
int npt_write_str(const char *path, const char *s);

/*
 * npt_run_self() - run this program (/proc/self/exe) again as
 * "@argv0 @arg" and wait for it
 * @env:	NULL-terminated "NAME=VALUE" (set) or "NAME" (unset) strings
 *		applied to the child's environment, or NULL.
 * @out, @err:	files that get the child's stdout and stderr (truncated).
 *
 * Return: the child's exit status (0..255), or -errno: it could not be
 * started, or -EINTR when a signal ended it.
 */
int npt_run_self(const char *argv0, const char *arg,
		 const char *const *env, const char *out, const char *err);

/* This process's stderr going to a file (npt_capture_begin/end). */
struct npt_capture {
	int saved;	/* the original stderr, -1 when not capturing */
};

/* Sends stderr into @path (truncated) until npt_capture_end(). */
int npt_capture_begin(struct npt_capture *c, const char *path);

/*
 * npt_capture_end() - restore stderr; with @buf, read what @path got
 * (as npt_slurp()). Safe to call when not capturing (returns 0).
 */
int npt_capture_end(struct npt_capture *c, const char *path, char *buf,
		    size_t len);

#endif /* RM_NPU_TESTS_NPT_PROC_H */
