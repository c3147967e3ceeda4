/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npu_vm_job.h - job helpers of the VM tests that submit command streams
 * (tests/vm/test_cmds.c, tests/vm/test_malformed.c): an npu_world
 * (tests/common/npu_ref.h) mirrored into buffer objects, SUBMIT and WAIT
 * wrappers, and seed handling. Include after tests/vm/test_util.h.
 */
#ifndef RM_NPU_TESTS_NPU_VM_JOB_H
#define RM_NPU_TESTS_NPU_VM_JOB_H

#include <inttypes.h>

#include "npu_ref.h"

/* Seeds npu_rnd() from $RM_NPU_TEST_SEED (default @def) and prints it. */
static inline void npu_vm_seed(const char *test, u64 def)
{
	npu_seed_env(test, def);
}

/* Rounds every buffer of @w up to whole pages (new bytes random): buffer
 * objects are page sized, and validation sees their page-sized extents. */
static inline void npu_world_pad(struct npu_world *w)
{
	npu_w_pad(w, npu_page_size());
}

/* A world's buffers as buffer objects of one file, mapped. */
struct npu_bos {
	int fd;
	u32 n;
	__u32 handle[NPU_WORLD_MAX_BOS];
	u8 *map[NPU_WORLD_MAX_BOS];
	u64 size[NPU_WORLD_MAX_BOS];
};

/* Creates one buffer object per buffer of @w (page padded) with its data. */
static inline void npu_bos_create(struct npu_bos *b, int fd,
				  const struct npu_world *w)
{
	u32 i;

	memset(b, 0, sizeof(*b));
	b->fd = fd;
	for (i = 0; i < w->n; i++) {
		__u64 alloc;

		b->handle[i] = npu_bo_create(fd, w->size[i], &alloc);
		assert_int_equal(alloc, w->size[i]);
		b->size[i] = w->size[i];
		b->map[i] = npu_bo_map(fd, b->handle[i], 0, w->size[i]);
		memcpy(b->map[i], w->buf[i], w->size[i]);
		b->n++;
	}
}

static inline void npu_bos_destroy(struct npu_bos *b)
{
	u32 i;

	for (i = 0; i < b->n; i++) {
		munmap(b->map[i], b->size[i]);
		npu_bo_close(b->fd, b->handle[i]);
	}
	b->n = 0;
}

/*
 * SUBMIT; returns 0 or the errno. *@error_index and *@job_id get the
 * kernel's values (written back on failure too).
 */
static inline int npu_submit_raw(int fd, const struct rm_npu_cmd *cmds,
				 u32 num_cmds, const __u32 *handles,
				 u32 num_bos, __u32 *error_index,
				 __u64 *job_id)
{
	struct rm_npu_submit s = {
		.cmds = (__u64)(uintptr_t)cmds,
		.bo_handles = (__u64)(uintptr_t)handles,
		.num_cmds = num_cmds,
		.num_bos = num_bos,
		.cmd_size = sizeof(struct rm_npu_cmd),
		.error_index = 0x5a5a5a5a,
		.job_id = 0x5a5a5a5a,
	};
	int ret = ioctl(fd, RM_NPU_IOCTL_SUBMIT, &s) ? errno : 0;

	if (error_index)
		*error_index = s.error_index;
	if (job_id)
		*job_id = s.job_id;
	if (!ret)
		assert_int_equal(s.out_fence_fd, -1);
	return ret;
}

/* WAIT forever; returns the job's result, *@error_index its index. */
static inline int npu_wait_job(int fd, __u64 job_id, __u32 *error_index)
{
	struct rm_npu_wait w = { .job_id = job_id, .timeout_ns = -1 };

	assert_ok(ioctl(fd, RM_NPU_IOCTL_WAIT, &w));
	assert_int_equal(w.pad, 0);
	if (error_index)
		*error_index = w.error_index;
	return w.result;
}

/* Submits and waits for a job that must be accepted and succeed. */
static inline void npu_run_ok(int fd, const struct rm_npu_cmd *cmds,
			      u32 num_cmds, const struct npu_bos *b)
{
	__u32 idx;
	__u64 id;
	int ret = npu_submit_raw(fd, cmds, num_cmds, b->handle, b->n, &idx,
				 &id);

	if (ret)
		fail_msg("SUBMIT of %u commands (first opcode %u): %s, "
			 "error_index %u", num_cmds, cmds[0].opcode,
			 strerror(ret), idx);
	assert_int_equal(idx, RM_NPU_NO_INDEX);
	assert_true(id > 0);
	ret = npu_wait_job(fd, id, &idx);
	if (ret)
		fail_msg("job of %u commands failed: %d at command %u",
			 num_cmds, ret, idx);
	assert_int_equal(idx, RM_NPU_NO_INDEX);
}

/* Asserts that the buffer objects hold exactly the bytes of @want. */
static inline void npu_bos_assert_world(const struct npu_bos *b,
					const struct npu_world *want,
					const struct rm_npu_cmd *cmds,
					u32 num_cmds, const char *what)
{
	u32 i;
	u64 j;

	assert_int_equal(b->n, want->n);
	for (i = 0; i < want->n; i++) {
		if (!memcmp(b->map[i], want->buf[i], want->size[i]))
			continue;
		for (j = 0; j < want->size[i]; j++)
			if (b->map[i][j] != want->buf[i][j])
				break;
		fail_msg("%s: job of %u commands (first opcode %u flags %#x): "
			 "bo %u byte %" PRIu64 " got %#x want %#x", what,
			 num_cmds, cmds[0].opcode, cmds[0].flags, i, j,
			 b->map[i][j], want->buf[i][j]);
	}
}

#endif /* RM_NPU_TESTS_NPU_VM_JOB_H */
