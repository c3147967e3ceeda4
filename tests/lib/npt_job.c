// SPDX-License-Identifier: GPL-2.0 OR MIT
/* npt_job.c - job helpers of the tests: see npt_job.h. */
#include "npt_job.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void npt_submit_args(struct rm_npu_submit *s, const struct rm_npu_cmd *cmds,
		     __u32 ncmds, const __u32 *handles, __u32 nbos,
		     __u32 flags, int in_fd)
{
	memset(s, 0, sizeof(*s));
	s->cmds = (__u64)(uintptr_t)cmds;
	s->bo_handles = (__u64)(uintptr_t)handles;
	s->num_cmds = ncmds;
	s->num_bos = nbos;
	s->flags = flags;
	s->in_fence_fd = (flags & RM_NPU_SUBMIT_IN_FENCE) ? in_fd : 0;
	s->cmd_size = sizeof(struct rm_npu_cmd);
}

int npt_submit(int fd, struct rm_npu_submit *s)
{
	return ioctl(fd, RM_NPU_IOCTL_SUBMIT, s) ? -errno : 0;
}

int npt_submit_cmds(int fd, const struct rm_npu_cmd *cmds, __u32 num_cmds,
		    const __u32 *handles, __u32 num_bos, __u32 *error_index,
		    __u64 *job_id)
{
	struct rm_npu_submit s;
	int ret;

	npt_submit_args(&s, cmds, num_cmds, handles, num_bos, 0, 0);
	s.error_index = 0x5a5a5a5a;
	s.job_id = 0x5a5a5a5a;
	ret = npt_submit(fd, &s);
	if (error_index)
		*error_index = s.error_index;
	if (job_id)
		*job_id = s.job_id;
	if (!ret && s.out_fence_fd != -1) {
		if (s.out_fence_fd >= 0)
			close(s.out_fence_fd);
		ret = -EPROTO;
	}
	return ret;
}

int npt_wait(int fd, __u64 id, long long timeout_ns, struct rm_npu_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->job_id = id;
	w->timeout_ns = timeout_ns;
	return ioctl(fd, RM_NPU_IOCTL_WAIT, w) ? -errno : 0;
}

int npt_batch(int fd, void *jobs, __u32 n, __u32 job_size,
	      struct rm_npu_submit_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->jobs = (__u64)(uintptr_t)jobs;
	b->num_jobs = n;
	b->job_size = job_size;
	return ioctl(fd, RM_NPU_IOCTL_SUBMIT_BATCH, b) ? -errno : 0;
}
