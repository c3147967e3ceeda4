// SPDX-License-Identifier: GPL-2.0 OR MIT
/* npt_dev.c - device helpers of the tests: see npt_dev.h. */
#include "npt_dev.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <rm_npu.h>

int npt_limits_get(int fd, struct npt_limits *l)
{
	struct rm_npu_info info;

	memset(&info, 0, sizeof(info));
	memset(l, 0, sizeof(*l));
	if (ioctl(fd, RM_NPU_IOCTL_GET_INFO, &info))
		return -errno;
	if ((info.abi_version & 0xffff) < 2 || !info.max_inflight_jobs)
		return -EPROTO;
	l->max_cmds = info.max_cmds;
	l->max_job_bos = info.max_job_bos;
	l->max_bos = info.max_bos;
	l->max_batch_jobs = info.max_batch_jobs;
	l->max_inflight_jobs = info.max_inflight_jobs;
	l->max_inflight_cmds = info.max_inflight_cmds;
	l->max_inflight_ops = info.max_inflight_ops;
	return 0;
}
