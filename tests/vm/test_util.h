/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Helpers shared by the rm_npu VM tests (tests/vm/test_*.c): module
 * parameters, sysfs values, node opens, errno checks and BO ioctls.
 *
 * Everything here runs inside a cmocka test and fails it through
 * fail_msg(); never call these helpers in a forked child (the longjmp would
 * resume the test runner there): children use plain syscalls and _exit().
 */
#ifndef RM_NPU_VM_TEST_UTIL_H
#define RM_NPU_VM_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rm_npu.h>

#define NPU_PARAMS_DIR	"/sys/module/rm_npu/parameters"
#define NPU_CLASS_DIR	"/sys/class/npu"
#define NPU_DEV_DIR	"/dev"
#define NPU_FW_VERSION	"1.0.0"
#define NPU_FW_CAPS	0x1ffULL	/* every opcode, and F32_RESCALE */

/*
 * Asserts that @expr (a syscall returning -1 on error, or MAP_FAILED) fails
 * with exactly @err.
 */
#define assert_errno(expr, err)						\
	do {								\
		long r_;						\
		int e_;							\
									\
		errno = 0;						\
		r_ = (long)(expr);					\
		e_ = errno;						\
		if (r_ != -1 || e_ != (err))				\
			fail_msg("%s:%d: %s: expected -1 errno %d (%s), " \
				 "got %ld errno %d (%s)", __FILE__,	\
				 __LINE__, #expr, (err), strerror(err), \
				 r_, e_, strerror(e_));			\
	} while (0)

/*
 * Asserts that @expr, a call of the tests/lib convention (0 or a negative
 * errno, npt_*), returns -@err; @err 0: that it succeeds.
 */
#define assert_rc(expr, err)						\
	do {								\
		int r_ = (expr);					\
									\
		if (r_ != -(err))					\
			fail_msg("%s:%d: %s: expected %s, got %s",	\
				 __FILE__, __LINE__, #expr,		\
				 (err) ? strerror(err) : "success",	\
				 r_ ? strerror(-r_) : "success");	\
	} while (0)

/* Asserts that @expr (a syscall returning -1 on error) succeeds. */
#define assert_ok(expr)							\
	do {								\
		long r_;						\
									\
		errno = 0;						\
		r_ = (long)(expr);					\
		if (r_ == -1)						\
			fail_msg("%s:%d: %s failed: %s", __FILE__,	\
				 __LINE__, #expr, strerror(errno));	\
	} while (0)

static inline size_t npu_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Reads a small text file into @buf without its trailing newline. Returns 0,
 * or -errno (the buffer is then empty).
 */
static inline int npu_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* The value of sysfs attribute @attr of class device @node, as a string. */
static inline const char *npu_sysfs(const char *node, const char *attr,
				    char *buf, size_t len)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), NPU_CLASS_DIR "/%s/%s", node, attr);
	ret = npu_read_file(path, buf, len);
	if (ret)
		fail_msg("cannot read %s: %s", path, strerror(-ret));
	return buf;
}

/* Parses a whole decimal string; fails the test on anything else. */
static inline long long npu_parse_ll(const char *what, const char *s)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		fail_msg("%s: \"%s\" is not a decimal number", what, s);
	return v;
}

static inline long long npu_sysfs_ll(const char *node, const char *attr)
{
	char buf[64], what[128];

	snprintf(what, sizeof(what), "%s/%s", node, attr);
	return npu_parse_ll(what, npu_sysfs(node, attr, buf, sizeof(buf)));
}

/* Asserts that sysfs attribute @attr of @node reads exactly @expect. */
#define assert_sysfs(node, attr, expect)				\
	do {								\
		char b_[256];						\
									\
		npu_sysfs((node), (attr), b_, sizeof(b_));		\
		if (strcmp(b_, (expect)))				\
			fail_msg("%s:%d: %s/%s is \"%s\", expected \"%s\"", \
				 __FILE__, __LINE__, (node), (attr), b_, \
				 (expect));				\
	} while (0)

/* Same with a number. */
#define assert_sysfs_ll(node, attr, expect)				\
	do {								\
		long long v_ = npu_sysfs_ll((node), (attr));		\
									\
		if (v_ != (long long)(expect))				\
			fail_msg("%s:%d: %s/%s is %lld, expected %lld",	\
				 __FILE__, __LINE__, (node), (attr), v_, \
				 (long long)(expect));			\
	} while (0)

/* A module parameter of the loaded rm_npu. */
static inline unsigned int npu_param(const char *name)
{
	char path[128], buf[32];
	int ret;

	snprintf(path, sizeof(path), NPU_PARAMS_DIR "/%s", name);
	ret = npu_read_file(path, buf, sizeof(buf));
	if (ret)
		fail_msg("cannot read %s (is rm_npu loaded?): %s", path,
			 strerror(-ret));
	return (unsigned int)npu_parse_ll(path, buf);
}

/* Opens /dev/@name; returns the fd or -errno. */
static inline int npu_try_open(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), NPU_DEV_DIR "/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Opens /dev/@name or fails the test. */
static inline int npu_open(const char *name)
{
	int fd = npu_try_open(name);

	if (fd < 0)
		fail_msg("open /dev/%s: %s", name, strerror(-fd));
	return fd;
}

/* Asserts that opening /dev/@name fails with @err. */
#define assert_open_errno(name, err)					\
	do {								\
		int fd_ = npu_try_open(name);				\
									\
		if (fd_ >= 0)						\
			close(fd_);					\
		if (fd_ != -(err))					\
			fail_msg("%s:%d: open /dev/%s: expected %s, got %s", \
				 __FILE__, __LINE__, (name), strerror(err), \
				 fd_ >= 0 ? "success" : strerror(-fd_)); \
	} while (0)

static inline void npu_get_info(int fd, struct rm_npu_info *info)
{
	memset(info, 0, sizeof(*info));
	assert_ok(ioctl(fd, RM_NPU_IOCTL_GET_INFO, info));
}

/* Creates a buffer object; returns its handle, sets *@alloc_size if given. */
static inline __u32 npu_bo_create(int fd, __u64 size, __u64 *alloc_size)
{
	struct rm_npu_bo_create c = { .size = size };

	if (ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c))
		fail_msg("BO_CREATE size %llu: %s", (unsigned long long)size,
			 strerror(errno));
	if (!c.handle)
		fail_msg("BO_CREATE returned handle 0");
	if (alloc_size)
		*alloc_size = c.alloc_size;
	return c.handle;
}

static inline int npu_bo_close_raw(int fd, __u32 handle)
{
	struct rm_npu_bo_close c = { .handle = handle };

	return ioctl(fd, RM_NPU_IOCTL_BO_CLOSE, &c);
}

static inline void npu_bo_close(int fd, __u32 handle)
{
	assert_ok(npu_bo_close_raw(fd, handle));
}

/* The mmap(2) offset of @handle. */
static inline off_t npu_bo_offset(int fd, __u32 handle)
{
	struct rm_npu_bo_mmap m = { .handle = handle };

	assert_ok(ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m));
	return (off_t)m.offset;
}

/* Maps @len bytes of @handle from page @first_page on, read-write shared. */
static inline void *npu_bo_map(int fd, __u32 handle, size_t first_page,
			       size_t len)
{
	off_t off = npu_bo_offset(fd, handle) +
		    (off_t)(first_page * npu_page_size());
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		fail_msg("mmap handle %u page %zu len %zu: %s", handle,
			 first_page, len, strerror(errno));
	return p;
}

/* Device-wide accounting, as sysfs shows it. */
static inline long long npu_mem_used(unsigned int dev)
{
	char node[16];

	snprintf(node, sizeof(node), "npu%u", dev);
	return npu_sysfs_ll(node, "mem_used");
}

static inline long long npu_bo_count(unsigned int dev)
{
	char node[16];

	snprintf(node, sizeof(node), "npu%u", dev);
	return npu_sysfs_ll(node, "bo_count");
}

/*
 * cmocka teardown: closes every descriptor above stderr, so that a failed
 * test does not leave a PE claimed for the next one.
 */
static inline int npu_close_fds(void **state)
{
	(void)state;
	closefrom(3);
	return 0;
}

#endif /* RM_NPU_VM_TEST_UTIL_H */
