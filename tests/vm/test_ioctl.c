// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test_ioctl: the uAPI of the nodes: GET_INFO on every node kind, the
 * size-versioning and error rules every ioctl shares, the buffer object
 * ioctls (BO_CREATE/INFO/MMAP/CLOSE) and mmap(2) of buffer objects.
 */
#include <stdbool.h>
#include <sys/wait.h>

#include "test_util.h"
#include "npt_dev.h"

#define IOC_RW			(_IOC_READ | _IOC_WRITE)
#define NPU_IOC(dir, nr, size)	_IOC(dir, RM_NPU_IOCTL_BASE, nr, size)
#define NR_GET_INFO		_IOC_NR(RM_NPU_IOCTL_GET_INFO)
#define NR_BO_CREATE		_IOC_NR(RM_NPU_IOCTL_BO_CREATE)
#define NR_BO_CLOSE		_IOC_NR(RM_NPU_IOCTL_BO_CLOSE)

/* Big enough for the largest size an ioctl number can carry. */
static unsigned char big[_IOC_SIZEMASK + 1 + 64] __attribute__((aligned(64)));

static __u64 mem_total(void)
{
	return npu_sysfs_ll("npu0", "mem_total");
}

static void assert_mem(long long used, long long bos)
{
	assert_int_equal(npu_mem_used(0), used);
	assert_int_equal(npu_bo_count(0), bos);
}

/*
 * Asserts that mmap(2) fails with @err; a mapping made by mistake is undone
 * so that it does not keep the node open for the tests that follow.
 */
#define assert_mmap_errno(len, prot, flags, fd, off, err)		\
	do {								\
		void *p_;						\
		int e_;							\
									\
		errno = 0;						\
		p_ = mmap(NULL, (len), (prot), (flags), (fd), (off));	\
		e_ = errno;						\
		if (p_ != MAP_FAILED)					\
			munmap(p_, (len));				\
		if (p_ != MAP_FAILED || e_ != (err))			\
			fail_msg("%s:%d: mmap len %zu offset 0x%llx: expected " \
				 "%s, got %s", __FILE__, __LINE__,	\
				 (size_t)(len), (unsigned long long)(off), \
				 strerror(err), p_ != MAP_FAILED ?	\
				 "a mapping" : strerror(e_));		\
	} while (0)

/* --- GET_INFO ---------------------------------------------------------- */

static void check_info(const struct rm_npu_info *info, __u32 type,
		       __u32 pe_first, __u32 pe_count)
{
	char buf[64];

	assert_int_equal(info->flags, 0);
	assert_int_equal(info->abi_version, RM_NPU_ABI_VERSION);
	assert_int_equal(info->abi_version, 0x10002);
	assert_int_equal(info->node_type, type);
	assert_int_equal(info->dev_index, 0);
	assert_int_equal(info->num_pes, npu_param("num_pes"));
	assert_int_equal(info->pe_first, pe_first);
	assert_int_equal(info->pe_count, pe_count);
	assert_int_equal(info->fw_state, RM_NPU_FW_READY);
	assert_int_equal(info->fw_version, 0x010000);
	assert_string_equal((char *)info->fw_version_str, "1.0.0");
	assert_int_equal(info->fw_caps, NPU_FW_CAPS);
	assert_int_equal(info->mem_total, (__u64)npu_param("mem_mib") << 20);
	assert_int_equal(info->mem_used, 0);
	assert_int_equal(info->max_bo_size, info->mem_total);
	/* The limits this module reports (other tests read them here). */
	assert_int_equal(info->max_bos, 65536);
	assert_int_equal(info->max_cmds, 4096);
	assert_int_equal(info->max_job_bos, 64);
	assert_int_equal(info->cmd_size, RM_NPU_CMD_SIZE);
	assert_int_equal(info->cmd_size, 256);
	assert_int_equal(info->max_batch_jobs, 256);
	assert_int_equal(info->pad, 0);
	assert_int_equal(info->max_inflight_jobs, 1024);
	assert_int_equal(info->max_inflight_cmds, 65536);
	assert_true(info->max_inflight_ops == 1ULL << 40);
	assert_string_equal((char *)info->arch, "warboy");
	assert_int_equal(info->numa_node, npu_sysfs_ll("npu0", "numa_node"));
	snprintf(buf, sizeof(buf),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 info->uuid[0], info->uuid[1], info->uuid[2], info->uuid[3],
		 info->uuid[4], info->uuid[5], info->uuid[6], info->uuid[7],
		 info->uuid[8], info->uuid[9], info->uuid[10], info->uuid[11],
		 info->uuid[12], info->uuid[13], info->uuid[14], info->uuid[15]);
	assert_sysfs("npu0", "uuid", buf);
}

static void get_info_on(const char *node, __u32 type, __u32 first,
			__u32 count)
{
	struct rm_npu_info info;
	int fd = npu_open(node);

	/* Output fields are written whatever they held on input. */
	memset(&info, 0xa5, sizeof(info));
	info.flags = 0;
	assert_ok(ioctl(fd, RM_NPU_IOCTL_GET_INFO, &info));
	check_info(&info, type, first, count);
	close(fd);
}

static void test_get_info_nodes(void **state)
{
	unsigned int pes = npu_param("num_pes");

	(void)state;
	get_info_on("npu0", RM_NPU_NODE_MGMT, 0, 0);
	get_info_on("npu0pe0", RM_NPU_NODE_PE, 0, 1);
	if (pes > 1) {
		get_info_on("npu0pe1", RM_NPU_NODE_PE, 1, 1);
		get_info_on("npu0pe0-1", RM_NPU_NODE_FUSED, 0, 2);
	}
	if (pes > 3)
		get_info_on("npu0pe2-3", RM_NPU_NODE_FUSED, 2, 2);
}

static void test_get_info_flags(void **state)
{
	struct rm_npu_info info;
	int fd;

	(void)state;
	fd = npu_open("npu0");
	memset(&info, 0, sizeof(info));
	info.flags = 1;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_GET_INFO, &info), EINVAL);
	info.flags = 0x80000000u;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_GET_INFO, &info), EINVAL);
	/* Nothing was written back. */
	assert_int_equal(info.abi_version, 0);
	close(fd);
}

/* --- size versioning ---------------------------------------------------- */

static void test_size_too_small(void **state)
{
	size_t sz = RM_NPU_INFO_SIZE_VER0;
	int fd;

	(void)state;
	fd = npu_open("npu0");
	memset(big, 0, sizeof(big));
	assert_errno(ioctl(fd, NPU_IOC(IOC_RW, NR_GET_INFO, sz - 1), big), EINVAL);
	assert_errno(ioctl(fd, NPU_IOC(IOC_RW, NR_GET_INFO, 8), big), EINVAL);
	assert_errno(ioctl(fd, NPU_IOC(IOC_RW, NR_GET_INFO, 0), big), EINVAL);
	close(fd);

	fd = npu_open("npu0pe0");
	assert_errno(ioctl(fd, NPU_IOC(IOC_RW, NR_BO_CREATE,
				      sizeof(struct rm_npu_bo_create) - 1), big),
		     EINVAL);
	assert_errno(ioctl(fd, NPU_IOC(_IOC_WRITE, NR_BO_CLOSE,
				      sizeof(struct rm_npu_bo_close) - 4), big),
		     EINVAL);
	assert_mem(0, 0);
	close(fd);
}

/*
 * Every ioctl takes its first published size (RM_NPU_*_SIZE_VER0) and
 * refuses one below: the minimum is that size, never the struct's current
 * one, so a struct growing in a later ABI keeps its old callers.
 */
static void test_size_first_published(void **state)
{
	struct {
		unsigned int nr, dir;
		size_t ver0;
		int err;	/* what the VER0 call below gives */
	} io[] = {
		{ _IOC_NR(RM_NPU_IOCTL_BO_CREATE), IOC_RW,
		  RM_NPU_BO_CREATE_SIZE_VER0, 0 },
		{ _IOC_NR(RM_NPU_IOCTL_BO_INFO), IOC_RW,
		  RM_NPU_BO_INFO_SIZE_VER0, ENOENT },
		{ _IOC_NR(RM_NPU_IOCTL_BO_MMAP), IOC_RW,
		  RM_NPU_BO_MMAP_SIZE_VER0, ENOENT },
		{ _IOC_NR(RM_NPU_IOCTL_BO_CLOSE), _IOC_WRITE,
		  RM_NPU_BO_CLOSE_SIZE_VER0, ENOENT },
		{ _IOC_NR(RM_NPU_IOCTL_SUBMIT), IOC_RW,
		  RM_NPU_SUBMIT_SIZE_VER0, EINVAL },
		{ _IOC_NR(RM_NPU_IOCTL_WAIT), IOC_RW,
		  RM_NPU_WAIT_SIZE_VER0, ENOENT },
		{ _IOC_NR(RM_NPU_IOCTL_SUBMIT_BATCH), IOC_RW,
		  RM_NPU_SUBMIT_BATCH_SIZE_VER0, EFAULT },
	};
	struct rm_npu_submit_batch *b = (struct rm_npu_submit_batch *)big;
	struct rm_npu_bo_create *c = (struct rm_npu_bo_create *)big;
	unsigned int i;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	for (i = 0; i < sizeof(io) / sizeof(io[0]); i++) {
		memset(big, 0, sizeof(big));
		assert_errno(ioctl(fd, NPU_IOC(io[i].dir, io[i].nr,
					      io[i].ver0 - 1), big), EINVAL);
		memset(big, 0, sizeof(big));
		c->size = 4096;			/* BO_CREATE */
		if (io[i].nr == _IOC_NR(RM_NPU_IOCTL_SUBMIT_BATCH)) {
			b->num_jobs = 1;	/* at NULL: EFAULT */
			b->job_size = RM_NPU_SUBMIT_SIZE_VER0;
		}
		if (io[i].err)
			assert_errno(ioctl(fd, NPU_IOC(io[i].dir, io[i].nr,
						      io[i].ver0), big),
				     io[i].err);
		else
			assert_ok(ioctl(fd, NPU_IOC(io[i].dir, io[i].nr,
						   io[i].ver0), big));
	}
	assert_mem(4096, 1);
	close(fd);
	assert_mem(0, 0);
}

/* A newer caller's zero tail is accepted and left alone. */
static void test_size_larger_zero_tail(void **state)
{
	size_t sz = sizeof(struct rm_npu_info);
	size_t sizes[] = { sz + 1, sz + 8, sz + 100, 4096, _IOC_SIZEMASK };
	struct rm_npu_info *info = (struct rm_npu_info *)big;
	unsigned int i;
	size_t j;
	int fd;

	(void)state;
	fd = npu_open("npu0");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(big, 0, sizeof(big));
		assert_ok(ioctl(fd, NPU_IOC(IOC_RW, NR_GET_INFO, sizes[i]), big));
		check_info(info, RM_NPU_NODE_MGMT, 0, 0);
		for (j = sz; j < sizeof(big); j++)
			if (big[j])
				fail_msg("size %zu: byte %zu of the tail became 0x%02x",
					 sizes[i], j, big[j]);
	}
	close(fd);
}

/* A nonzero byte anywhere in the unknown tail is E2BIG. */
static void test_size_larger_nonzero_tail(void **state)
{
	size_t sz = sizeof(struct rm_npu_info);
	size_t usize = sz + 64;
	size_t where[] = { sz, sz + 7, usize - 1 };
	unsigned int i;
	int fd;

	(void)state;
	fd = npu_open("npu0");
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		memset(big, 0, sizeof(big));
		big[where[i]] = 1;
		assert_errno(ioctl(fd, NPU_IOC(IOC_RW, NR_GET_INFO, usize), big),
			     E2BIG);
		/* Nothing was written back. */
		assert_int_equal(((struct rm_npu_info *)big)->abi_version, 0);
	}
	/* A nonzero byte past the size the caller passed does not count. */
	memset(big, 0, sizeof(big));
	big[usize] = 1;
	assert_ok(ioctl(fd, NPU_IOC(IOC_RW, NR_GET_INFO, usize), big));
	assert_int_equal(big[usize], 1);
	close(fd);

	/* The same rule for the BO ioctls: nothing is created. */
	fd = npu_open("npu0pe0");
	memset(big, 0, sizeof(big));
	((struct rm_npu_bo_create *)big)->size = 4096;
	big[sizeof(struct rm_npu_bo_create) + 3] = 0x80;
	assert_errno(ioctl(fd, NPU_IOC(IOC_RW, NR_BO_CREATE,
				      sizeof(struct rm_npu_bo_create) + 8), big),
		     E2BIG);
	assert_mem(0, 0);
	close(fd);
}

/* Only the caller's size is written back: bytes after it stay untouched. */
static void test_size_exact_copy_back(void **state)
{
	size_t sz = sizeof(struct rm_npu_info);
	int fd;

	(void)state;
	fd = npu_open("npu0");
	memset(big, 0, sizeof(big));
	memset(big + sz, 0xee, 64);
	assert_ok(ioctl(fd, RM_NPU_IOCTL_GET_INFO, big));
	check_info((struct rm_npu_info *)big, RM_NPU_NODE_MGMT, 0, 0);
	for (size_t j = sz; j < sz + 64; j++)
		assert_int_equal(big[j], 0xee);
	close(fd);
}

/* BO ioctls of a newer caller (zero tail) work the same. */
static void test_size_larger_bo(void **state)
{
	struct rm_npu_bo_create *c = (struct rm_npu_bo_create *)big;
	struct rm_npu_bo_close *cl = (struct rm_npu_bo_close *)big;
	size_t csz = sizeof(*c) + 32;
	size_t j;
	__u32 h;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	memset(big, 0, sizeof(big));
	c->size = 5000;
	assert_ok(ioctl(fd, NPU_IOC(IOC_RW, NR_BO_CREATE, csz), big));
	assert_int_not_equal(c->handle, 0);
	assert_int_equal(c->alloc_size, 2 * npu_page_size());
	for (j = sizeof(*c); j < csz; j++)
		assert_int_equal(big[j], 0);
	h = c->handle;
	assert_mem(2 * npu_page_size(), 1);

	memset(big, 0, sizeof(big));
	cl->handle = h;
	assert_ok(ioctl(fd, NPU_IOC(_IOC_WRITE, NR_BO_CLOSE, sizeof(*cl) + 40),
			big));
	assert_mem(0, 0);
	close(fd);
}

/* --- dispatcher errors -------------------------------------------------- */

static void test_unknown_ioctls(void **state)
{
	size_t isz = sizeof(struct rm_npu_info);
	int fds[2], i, n;

	(void)state;
	fds[0] = npu_open("npu0");
	fds[1] = npu_open("npu0pe0");
	for (i = 0; i < 2; i++) {
		memset(big, 0, sizeof(big));
		/* Numbers past the table. */
		assert_errno(ioctl(fds[i], NPU_IOC(IOC_RW, 0x3f, isz), big), ENOTTY);
		assert_errno(ioctl(fds[i], NPU_IOC(IOC_RW, 0xff, isz), big), ENOTTY);
		/* Another ioctl type (magic). */
		assert_errno(ioctl(fds[i], _IOC(IOC_RW, 'X', NR_GET_INFO, isz), big),
			     ENOTTY);
		assert_errno(ioctl(fds[i], _IOC(IOC_RW, RM_NPU_IOCTL_BASE + 1,
						NR_GET_INFO, isz), big), ENOTTY);
		/* GET_INFO with the wrong direction. */
		assert_errno(ioctl(fds[i], _IOR(RM_NPU_IOCTL_BASE, NR_GET_INFO,
						struct rm_npu_info), big), ENOTTY);
		assert_errno(ioctl(fds[i], _IOW(RM_NPU_IOCTL_BASE, NR_GET_INFO,
						struct rm_npu_info), big), ENOTTY);
		assert_errno(ioctl(fds[i], _IO(RM_NPU_IOCTL_BASE, NR_GET_INFO)),
			     ENOTTY);
		/* A tty ioctl reaches the driver and is not its own. */
		assert_errno(ioctl(fds[i], FIONREAD, &n), ENOTTY);
		assert_int_equal(((struct rm_npu_info *)big)->abi_version, 0);
	}
	/* BO ioctls with the wrong direction (BO_CLOSE is write-only). */
	assert_errno(ioctl(fds[1], _IOWR(RM_NPU_IOCTL_BASE, NR_BO_CLOSE,
					 struct rm_npu_bo_close), big), ENOTTY);
	assert_errno(ioctl(fds[1], _IOW(RM_NPU_IOCTL_BASE, NR_BO_CREATE,
					struct rm_npu_bo_create), big), ENOTTY);
	assert_mem(0, 0);
	close(fds[0]);
	close(fds[1]);
}

/* The management node supports GET_INFO only. */
static void test_bo_ioctls_on_mgmt(void **state)
{
	struct rm_npu_bo_create c = { .size = 4096 };
	struct rm_npu_bo_info i = { .handle = 1 };
	struct rm_npu_bo_mmap m = { .handle = 1 };
	struct rm_npu_bo_close cl = { .handle = 1 };
	int fd;

	(void)state;
	fd = npu_open("npu0");
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c), ENOTTY);
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_INFO, &i), ENOTTY);
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m), ENOTTY);
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CLOSE, &cl), ENOTTY);
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, NULL), ENOTTY);
	assert_mem(0, 0);
	close(fd);
}

static void test_bad_pointers(void **state)
{
	size_t pg = npu_page_size();
	size_t isz = sizeof(struct rm_npu_info);
	unsigned char *area, *ro;
	struct rm_npu_bo_create *c;
	int mgmt, pe;

	(void)state;
	mgmt = npu_open("npu0");
	pe = npu_open("npu0pe0");
	assert_errno(ioctl(mgmt, RM_NPU_IOCTL_GET_INFO, NULL), EFAULT);
	assert_errno(ioctl(mgmt, RM_NPU_IOCTL_GET_INFO, (void *)8), EFAULT);
	assert_errno(ioctl(mgmt, RM_NPU_IOCTL_GET_INFO, (void *)-4096L), EFAULT);
	assert_errno(ioctl(pe, RM_NPU_IOCTL_BO_CREATE, NULL), EFAULT);
	assert_errno(ioctl(pe, RM_NPU_IOCTL_BO_INFO, NULL), EFAULT);
	assert_errno(ioctl(pe, RM_NPU_IOCTL_BO_MMAP, NULL), EFAULT);
	assert_errno(ioctl(pe, RM_NPU_IOCTL_BO_CLOSE, NULL), EFAULT);

	/* Two pages: read-write, then inaccessible. */
	area = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(area != MAP_FAILED);
	assert_ok(mprotect(area + pg, pg, PROT_NONE));

	/* An argument running into the inaccessible page. */
	assert_errno(ioctl(mgmt, RM_NPU_IOCTL_GET_INFO, area + pg - isz / 2),
		     EFAULT);
	/* It fits exactly, but a newer caller's tail runs off the end. */
	memset(area, 0, pg);
	assert_ok(ioctl(mgmt, RM_NPU_IOCTL_GET_INFO, area + pg - isz));
	assert_errno(ioctl(mgmt, NPU_IOC(IOC_RW, NR_GET_INFO, isz + 8),
			   area + pg - isz), EFAULT);
	c = (struct rm_npu_bo_create *)(area + pg - sizeof(*c) / 2);
	assert_errno(ioctl(pe, RM_NPU_IOCTL_BO_CREATE, c), EFAULT);
	assert_mem(0, 0);

	/* Readable but not writable: GET_INFO cannot write its answer. */
	ro = area;
	memset(ro, 0, pg);
	assert_ok(mprotect(ro, pg, PROT_READ));
	assert_errno(ioctl(mgmt, RM_NPU_IOCTL_GET_INFO, ro), EFAULT);
	munmap(area, 2 * pg);

	/* Unmapped memory. */
	assert_errno(ioctl(mgmt, RM_NPU_IOCTL_GET_INFO, area), EFAULT);
	close(pe);
	close(mgmt);
}

/* --- BO_CREATE ----------------------------------------------------------- */

static void test_bo_create_invalid(void **state)
{
	struct rm_npu_bo_create c;
	__u64 total = mem_total();
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
#define BAD_CREATE(sz, fl)						\
	do {								\
		memset(&c, 0, sizeof(c));				\
		c.size = (sz);						\
		c.flags = (fl);						\
		assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c), EINVAL); \
		assert_int_equal(c.handle, 0);				\
	} while (0)
	BAD_CREATE(0, 0);
	BAD_CREATE(total + 1, 0);
	BAD_CREATE(total + npu_page_size(), 0);
	BAD_CREATE(UINT64_MAX, 0);
	BAD_CREATE(UINT64_MAX - npu_page_size() + 2, 0);	/* would wrap */
	BAD_CREATE(4096, 1);
	BAD_CREATE(4096, 0x80000000u);
#undef BAD_CREATE
	assert_mem(0, 0);
	close(fd);
}

static void test_bo_create_sizes(void **state)
{
	size_t pg = npu_page_size();
	struct {
		__u64 size, alloc;
	} cases[] = {
		{ 1, pg }, { pg - 1, pg }, { pg, pg }, { pg + 1, 2 * pg },
		{ 12345, (12345 + pg - 1) / pg * pg }, { 1 << 20, 1 << 20 },
	};
	__u32 handles[sizeof(cases) / sizeof(cases[0])];
	long long used = 0;
	unsigned int i, j;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rm_npu_bo_info info = { 0 };
		__u64 alloc;

		handles[i] = npu_bo_create(fd, cases[i].size, &alloc);
		assert_int_equal(alloc, cases[i].alloc);
		assert_int_equal(alloc % pg, 0);
		for (j = 0; j < i; j++)
			assert_int_not_equal(handles[i], handles[j]);
		used += alloc;
		assert_mem(used, i + 1);
		info.handle = handles[i];
		assert_ok(ioctl(fd, RM_NPU_IOCTL_BO_INFO, &info));
		assert_int_equal(info.size, alloc);
	}
	close(fd);
	assert_mem(0, 0);

	/* One buffer may take the whole device memory. */
	fd = npu_open("npu0pe0");
	{
		__u64 alloc;
		__u32 h = npu_bo_create(fd, mem_total(), &alloc);

		assert_int_equal(alloc, mem_total());
		assert_mem(mem_total(), 1);
		npu_bo_close(fd, h);
	}
	assert_mem(0, 0);
	close(fd);
}

/* Device memory runs out at exactly mem_total, and frees exactly. */
static void test_bo_enomem(void **state)
{
	struct rm_npu_bo_create c;
	__u64 total = mem_total();
	__u64 chunk = total / 8;
	size_t pg = npu_page_size();
	__u32 h[8];
	int fd, fd2, i;

	(void)state;
	assert_int_equal(chunk % pg, 0);
	fd = npu_open("npu0pe0");
	for (i = 0; i < 8; i++)
		h[i] = npu_bo_create(fd, chunk, NULL);
	assert_mem(total, 8);

	memset(&c, 0, sizeof(c));
	c.size = 1;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c), ENOMEM);
	assert_int_equal(c.handle, 0);
	assert_mem(total, 8);

	/* Another file of the same device shares the exhaustion. */
	if (npu_param("num_pes") > 1) {
		fd2 = npu_open("npu0pe1");
		c.size = pg;
		assert_errno(ioctl(fd2, RM_NPU_IOCTL_BO_CREATE, &c), ENOMEM);
		close(fd2);
	}

	/* Freeing one chunk makes room for exactly one chunk again. */
	npu_bo_close(fd, h[3]);
	assert_mem(total - chunk, 7);
	c.size = chunk + 1;	/* one page too many */
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c), ENOMEM);
	assert_mem(total - chunk, 7);
	h[3] = npu_bo_create(fd, chunk - pg + 1, NULL);
	assert_mem(total, 8);
	npu_bo_close(fd, h[3]);
	h[3] = npu_bo_create(fd, chunk, NULL);
	assert_mem(total, 8);

	for (i = 0; i < 8; i++)
		npu_bo_close(fd, h[i]);
	assert_mem(0, 0);
	/* Everything is available again. */
	h[0] = npu_bo_create(fd, total, NULL);
	assert_mem(total, 1);
	close(fd);
	assert_mem(0, 0);
}

/* One file holds at most max_bos buffer objects (EMFILE), not more. */
static void test_bo_emfile(void **state)
{
	struct rm_npu_bo_create c;
	size_t pg = npu_page_size();
	struct npt_limits lim;
	unsigned int i;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	assert_rc(npt_limits_get(fd, &lim), 0);
	if (mem_total() < (__u64)lim.max_bos * pg)
		skip();	/* device memory runs out first */
	for (i = 0; i < lim.max_bos; i++) {
		memset(&c, 0, sizeof(c));
		c.size = pg;
		if (ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c))
			fail_msg("BO_CREATE #%u: %s", i, strerror(errno));
	}
	assert_mem((long long)lim.max_bos * pg, lim.max_bos);
	memset(&c, 0, sizeof(c));
	c.size = pg;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c), EMFILE);
	assert_mem((long long)lim.max_bos * pg, lim.max_bos);
	/* A free slot can be used again. */
	npu_bo_close(fd, 7);
	npu_bo_create(fd, pg, NULL);
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CREATE, &c), EMFILE);
	close(fd);
	assert_mem(0, 0);
}

/* --- BO_INFO / BO_MMAP / BO_CLOSE ---------------------------------------- */

static void test_bo_info_mmap(void **state)
{
	struct rm_npu_bo_info info;
	struct rm_npu_bo_mmap m;
	__u32 h1, h2;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	h1 = npu_bo_create(fd, 3 * npu_page_size(), NULL);
	h2 = npu_bo_create(fd, 1, NULL);

	memset(&info, 0, sizeof(info));
	info.handle = h1;
	assert_ok(ioctl(fd, RM_NPU_IOCTL_BO_INFO, &info));
	assert_int_equal(info.handle, h1);
	assert_int_equal(info.size, 3 * npu_page_size());
	memset(&m, 0, sizeof(m));
	m.handle = h1;
	assert_ok(ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m));
	assert_int_equal(m.offset, info.mmap_offset);
	assert_int_equal(m.offset % npu_page_size(), 0);
	assert_int_not_equal(m.offset, 0);
	assert_int_not_equal(npu_bo_offset(fd, h2), m.offset);
	close(fd);
}

/* ENOENT for a handle this file does not have. */
static void check_bad_handle(int fd, __u32 handle)
{
	struct rm_npu_bo_info info = { .handle = handle };
	struct rm_npu_bo_mmap m = { .handle = handle };

	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_INFO, &info), ENOENT);
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m), ENOENT);
	assert_errno(npu_bo_close_raw(fd, handle), ENOENT);
}

static void test_bo_bad_handles(void **state)
{
	int fd;
	__u32 h;

	(void)state;
	fd = npu_open("npu0pe0");
	check_bad_handle(fd, 0);
	check_bad_handle(fd, 1);
	h = npu_bo_create(fd, 4096, NULL);
	check_bad_handle(fd, 0);
	check_bad_handle(fd, h + 1);
	check_bad_handle(fd, 12345);
	check_bad_handle(fd, 1u << 20);
	check_bad_handle(fd, UINT32_MAX);

	/* Closed twice. */
	npu_bo_close(fd, h);
	check_bad_handle(fd, h);
	assert_mem(0, 0);
	close(fd);
}

/* A handle of another open file is unknown. */
static void test_bo_foreign_handle(void **state)
{
	const char *other = npu_param("num_pes") > 1 ? "npu0pe1" : NULL;
	struct rm_npu_bo_info info;
	int fd0, fd1;
	void *p;
	__u32 h;
	off_t off;

	(void)state;
	if (!other)
		skip();
	fd0 = npu_open("npu0pe0");
	fd1 = npu_open(other);
	h = npu_bo_create(fd0, 4096, NULL);
	off = npu_bo_offset(fd0, h);
	check_bad_handle(fd1, h);
	/* Nor does its mmap offset work on the other file. */
	assert_mmap_errno(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd1, off, EINVAL);
	/* The owner still has it. */
	memset(&info, 0, sizeof(info));
	info.handle = h;
	assert_ok(ioctl(fd0, RM_NPU_IOCTL_BO_INFO, &info));
	p = npu_bo_map(fd0, h, 0, 4096);
	munmap(p, 4096);
	assert_mem(4096, 1);
	close(fd1);
	close(fd0);
	assert_mem(0, 0);
}

static void test_bo_flags(void **state)
{
	struct rm_npu_bo_info info;
	struct rm_npu_bo_mmap m;
	struct rm_npu_bo_close cl;
	__u32 h;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, 4096, NULL);
	/* Flags are checked even on a valid handle. */
	memset(&info, 0, sizeof(info));
	info.handle = h;
	info.flags = 1;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_INFO, &info), EINVAL);
	memset(&m, 0, sizeof(m));
	m.handle = h;
	m.flags = 0x80000000u;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_MMAP, &m), EINVAL);
	memset(&cl, 0, sizeof(cl));
	cl.handle = h;
	cl.flags = 2;
	assert_errno(ioctl(fd, RM_NPU_IOCTL_BO_CLOSE, &cl), EINVAL);
	/* The rejected close left the buffer alone. */
	assert_mem(4096, 1);
	npu_bo_close(fd, h);
	assert_mem(0, 0);
	close(fd);
}

/* --- mmap -------------------------------------------------------------- */

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 12) * 13 + 1);
}

static void assert_zero(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			fail_msg("byte %zu is 0x%02x, expected 0", i, p[i]);
}

static void assert_pattern(const unsigned char *p, size_t from, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(from + i))
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", from + i,
				 p[i], pattern(from + i));
}

static void test_mmap_contents(void **state)
{
	size_t pg = npu_page_size(), len = 4 * pg, i;
	unsigned char *a, *b;
	__u32 h;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, len, NULL);
	a = npu_bo_map(fd, h, 0, len);
	assert_zero(a, len);
	for (i = 0; i < len; i++)
		a[i] = pattern(i);
	assert_ok(munmap(a, len));

	/* The contents outlive the mapping. */
	a = npu_bo_map(fd, h, 0, len);
	assert_pattern(a, 0, len);

	/* Two mappings see the same memory. */
	b = npu_bo_map(fd, h, 0, len);
	assert_true(a != b);
	b[5] = 0x5a;
	a[len - 1] = 0xa5;
	assert_int_equal(a[5], 0x5a);
	assert_int_equal(b[len - 1], 0xa5);
	assert_ok(munmap(a, len));
	assert_ok(munmap(b, len));

	/* A read-only shared mapping works too. */
	a = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, npu_bo_offset(fd, h));
	assert_true(a != MAP_FAILED);
	assert_int_equal(a[5], 0x5a);
	assert_ok(munmap(a, len));

	/* A new buffer in the freed memory starts zeroed again. */
	npu_bo_close(fd, h);
	assert_mem(0, 0);
	h = npu_bo_create(fd, len, NULL);
	a = npu_bo_map(fd, h, 0, len);
	assert_zero(a, len);
	assert_ok(munmap(a, len));
	close(fd);
}

/* A mapping may start k pages into the buffer and be shorter. */
static void test_mmap_partial(void **state)
{
	size_t pg = npu_page_size(), len = 4 * pg, i;
	unsigned char *full, *part;
	__u32 h;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, len, NULL);
	full = npu_bo_map(fd, h, 0, len);
	for (i = 0; i < len; i++)
		full[i] = pattern(i);

	for (i = 0; i < 4; i++) {
		part = npu_bo_map(fd, h, i, pg);
		assert_pattern(part, i * pg, pg);
		assert_ok(munmap(part, pg));
	}
	part = npu_bo_map(fd, h, 1, 2 * pg);
	assert_pattern(part, pg, 2 * pg);
	/* Writes alias the right bytes. */
	part[0] = 0xc3;
	part[2 * pg - 1] = 0x3c;
	assert_int_equal(full[pg], 0xc3);
	assert_int_equal(full[3 * pg - 1], 0x3c);
	assert_pattern(full + 3 * pg, 3 * pg, pg);
	assert_ok(munmap(part, 2 * pg));
	/* The last page alone, and the tail of the buffer. */
	part = npu_bo_map(fd, h, 2, 2 * pg);
	assert_int_equal(part[pg - 1], full[3 * pg - 1]);
	assert_ok(munmap(part, 2 * pg));
	assert_ok(munmap(full, len));
	close(fd);
}

static void test_mmap_invalid(void **state)
{
	size_t pg = npu_page_size(), len = 4 * pg;
	int rw = PROT_READ | PROT_WRITE;
	off_t off, off2;
	__u32 h, h2;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, len, NULL);
	off = npu_bo_offset(fd, h);

	/* Past the end: too long, or starting too far in, or at the end. */
	assert_mmap_errno(len + pg, rw, MAP_SHARED, fd, off, EINVAL);
	assert_mmap_errno(2 * pg, rw, MAP_SHARED, fd, off + 3 * pg, EINVAL);
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, off + 4 * pg, EINVAL);
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, off + 1000 * pg, EINVAL);
	/* Offsets that BO_MMAP never returned. */
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, 0, EINVAL);
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, 16 * pg, EINVAL);
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, off * 77, EINVAL);
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, (off_t)0x12345 << 40, EINVAL);
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, (off_t)1 << 60, EINVAL);
	/* Private mappings are refused, readable or writable. */
	assert_mmap_errno(pg, rw, MAP_PRIVATE, fd, off, EINVAL);
	assert_mmap_errno(pg, PROT_READ, MAP_PRIVATE, fd, off, EINVAL);

	/* A closed buffer's offset is dead. */
	h2 = npu_bo_create(fd, pg, NULL);
	off2 = npu_bo_offset(fd, h2);
	npu_bo_close(fd, h2);
	assert_mmap_errno(pg, rw, MAP_SHARED, fd, off2, EINVAL);

	assert_mem(len, 1);
	close(fd);
	assert_mem(0, 0);
}

/* A mapping keeps its buffer alive after BO_CLOSE, until munmap. */
static void test_mmap_outlives_close(void **state)
{
	size_t len = 1 << 20;
	struct rm_npu_info info;
	unsigned char *p;
	int fd, mgmt;
	__u32 h;

	(void)state;
	mgmt = npu_open("npu0");
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, len, NULL);
	p = npu_bo_map(fd, h, 0, len);
	p[0] = 1;
	p[len - 1] = 2;
	npu_bo_close(fd, h);
	check_bad_handle(fd, h);
	assert_mem(len, 1);
	npu_get_info(mgmt, &info);
	assert_int_equal(info.mem_used, len);
	/* Still the same memory. */
	assert_int_equal(p[0], 1);
	assert_int_equal(p[len - 1], 2);
	p[1] = 3;

	/* Closing the file does not free it either. */
	close(fd);
	assert_mem(len, 1);
	assert_int_equal(p[1], 3);
	assert_sysfs("npu0pe0", "state", "open");	/* the mapping holds the file */

	assert_ok(munmap(p, len));
	assert_mem(0, 0);
	npu_get_info(mgmt, &info);
	assert_int_equal(info.mem_used, 0);
	assert_sysfs("npu0pe0", "state", "free");
	close(mgmt);
}

/* Splitting a mapping (partial munmap) counts each piece as a user. */
static void test_mmap_split(void **state)
{
	size_t pg = npu_page_size(), len = 4 * pg;
	unsigned char *p;
	__u32 h;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, len, NULL);
	p = npu_bo_map(fd, h, 0, len);
	memset(p, 0x11, len);
	npu_bo_close(fd, h);
	assert_ok(munmap(p + pg, 2 * pg));	/* leaves pages 0 and 3 */
	assert_mem(len, 1);
	assert_int_equal(p[0], 0x11);
	assert_int_equal(p[3 * pg], 0x11);
	assert_ok(munmap(p, pg));
	assert_mem(len, 1);
	assert_int_equal(p[3 * pg + 1], 0x11);
	assert_ok(munmap(p + 3 * pg, pg));
	assert_mem(0, 0);
	close(fd);
}

/* A forked child shares the mapping; the buffer lives until both unmap. */
static void test_mmap_fork(void **state)
{
	size_t len = 2 * npu_page_size();
	unsigned char *p;
	int fd, status;
	pid_t pid;
	__u32 h;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, len, NULL);
	p = npu_bo_map(fd, h, 0, len);
	npu_bo_close(fd, h);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		p[10] = 0x77;	/* MAP_SHARED: the parent sees it */
		munmap(p, len);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(p[10], 0x77);
	assert_mem(len, 1);
	assert_ok(munmap(p, len));
	assert_mem(0, 0);
}

static void test_mmap_mgmt(void **state)
{
	size_t pg = npu_page_size();
	int mgmt, fd;
	off_t off;

	(void)state;
	mgmt = npu_open("npu0");
	fd = npu_open("npu0pe0");
	off = npu_bo_offset(fd, npu_bo_create(fd, pg, NULL));
	assert_mmap_errno(pg, PROT_READ | PROT_WRITE, MAP_SHARED, mgmt, 0, ENODEV);
	assert_mmap_errno(pg, PROT_READ | PROT_WRITE, MAP_SHARED, mgmt, off, ENODEV);
	assert_mmap_errno(pg, PROT_READ, MAP_PRIVATE, mgmt, 0, ENODEV);
	close(fd);
	close(mgmt);
}

/* A buffer mapping cannot grow (VM_DONTEXPAND), but it can shrink. */
/* Rss of the mapping at @p, from /proc/self/smaps, in KiB. */
static long smaps_rss_kb(const void *p)
{
	char line[256], start[32];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	assert_non_null(f);
	snprintf(start, sizeof(start), "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    !strncmp(line, start, strlen(start)))
			in = true;
		else if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	if (kb < 0)
		fail_msg("no smaps entry at %p", p);
	return kb;
}

/*
 * Pages of a mapping come in when touched, not at mmap() (a large buffer
 * maps in no time), and come back after MADV_DONTNEED dropped them (it
 * used to be SIGBUS): the buffer's bytes are the device's, not the
 * mapping's. A moved mapping (mremap) and a forked one fault them in too.
 */
static void test_mmap_fault(void **state)
{
	size_t pg = npu_page_size(), len = 4096 * pg;
	unsigned char *p, *q, *r;
	int fd, status;
	pid_t pid;
	__u32 h;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, len, NULL);
	p = npu_bo_map(fd, h, 0, len);
	assert_int_equal(smaps_rss_kb(p), 0);
	p[0] = 0x11;
	p[len - 1] = 0x22;
	assert_int_equal(smaps_rss_kb(p), 2 * (long)pg / 1024);

	assert_ok(madvise(p, len, MADV_DONTNEED));
	assert_int_equal(smaps_rss_kb(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)	/* a SIGBUS here ends the child, not the test */
		_exit(p[0] == 0x11 && p[len - 1] == 0x22 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		fail_msg("reading after MADV_DONTNEED: signal %d",
			 WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(p[0], 0x11);
	assert_int_equal(p[len - 1], 0x22);

	/* Moved elsewhere, then its file closed: still the same bytes. */
	r = mmap(NULL, len + pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(r != MAP_FAILED);
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, r + pg);
	assert_true(q == r + pg);
	npu_bo_close(fd, h);
	close(fd);
	assert_ok(madvise(q, len, MADV_DONTNEED));
	assert_int_equal(q[0], 0x11);
	q[pg] = 0x33;
	assert_int_equal(q[len - 1], 0x22);
	assert_mem((long long)len, 1);
	assert_ok(munmap(q, len));
	assert_ok(munmap(r, pg));
	assert_mem(0, 0);
}

static void test_mremap(void **state)
{
	size_t pg = npu_page_size(), len = 2 * pg;
	unsigned char *p, *q;
	__u32 h;
	int fd;

	(void)state;
	fd = npu_open("npu0pe0");
	h = npu_bo_create(fd, 4 * pg, NULL);
	p = npu_bo_map(fd, h, 0, len);
	p[0] = 0x42;
	assert_errno(mremap(p, len, 2 * len, 0), EFAULT);
	assert_errno(mremap(p, len, 2 * len, MREMAP_MAYMOVE), EFAULT);
	assert_int_equal(p[0], 0x42);
	q = mremap(p, len, pg, 0);
	assert_true(q == p);
	assert_int_equal(q[0], 0x42);
	assert_ok(munmap(q, pg));
	npu_bo_close(fd, h);
	assert_mem(0, 0);
	close(fd);
}

/* Buffer objects work the same on a fused node. */
static void test_bo_on_fused(void **state)
{
	size_t len = 3 * npu_page_size();
	unsigned char *p;
	__u32 h;
	int fd;

	(void)state;
	if (npu_param("num_pes") < 2)
		skip();
	fd = npu_open("npu0pe0-1");
	h = npu_bo_create(fd, len, NULL);
	p = npu_bo_map(fd, h, 0, len);
	assert_zero(p, len);
	p[len - 1] = 9;
	assert_ok(munmap(p, len));
	p = npu_bo_map(fd, h, 2, npu_page_size());
	assert_int_equal(p[npu_page_size() - 1], 9);
	assert_ok(munmap(p, npu_page_size()));
	assert_mem(len, 1);
	close(fd);
	assert_mem(0, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, npu_close_fds)
	const struct CMUnitTest tests[] = {
		T(test_get_info_nodes),
		T(test_get_info_flags),
		T(test_size_too_small),
		T(test_size_first_published),
		T(test_size_larger_zero_tail),
		T(test_size_larger_nonzero_tail),
		T(test_size_exact_copy_back),
		T(test_size_larger_bo),
		T(test_unknown_ioctls),
		T(test_bo_ioctls_on_mgmt),
		T(test_bad_pointers),
		T(test_bo_create_invalid),
		T(test_bo_create_sizes),
		T(test_bo_enomem),
		T(test_bo_emfile),
		T(test_bo_info_mmap),
		T(test_bo_bad_handles),
		T(test_bo_foreign_handle),
		T(test_bo_flags),
		T(test_mmap_contents),
		T(test_mmap_partial),
		T(test_mmap_invalid),
		T(test_mmap_outlives_close),
		T(test_mmap_split),
		T(test_mmap_fork),
		T(test_mmap_mgmt),
		T(test_mremap),
		T(test_mmap_fault),
		T(test_bo_on_fused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
