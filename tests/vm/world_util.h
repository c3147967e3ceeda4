/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * world_util.h - VM test helpers for command streams checked against the
 * naive references (tests/vm/test_cmds.c, tests/vm/test_malformed.c): an
 * npu_world (tests/common/npu_ref.h) mirrored into buffer objects, a job
 * that must succeed, and seed handling. SUBMIT and WAIT themselves are
 * tests/lib's (npt_job.h) and job_util.h's.
 */
#ifndef RM_NPU_VM_WORLD_UTIL_H
#define RM_NPU_VM_WORLD_UTIL_H

#include <inttypes.h>

#include "job_util.h"
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

/* Submits and waits for a job that must be accepted and succeed. */
static inline void npu_run_ok(int fd, const struct rm_npu_cmd *cmds,
			      u32 num_cmds, const struct npu_bos *b)
{
	__u32 idx;
	__u64 id;
	int ret = npt_submit_cmds(fd, cmds, num_cmds, b->handle, b->n, &idx,
				  &id);

	if (ret)
		fail_msg("SUBMIT of %u commands (first opcode %u): %s, "
			 "error_index %u", num_cmds, cmds[0].opcode,
			 strerror(-ret), idx);
	assert_int_equal(idx, RM_NPU_NO_INDEX);
	assert_true(id > 0);
	ret = npu_wait_result(fd, id, &idx, NULL);
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

#endif /* RM_NPU_VM_WORLD_UTIL_H */
