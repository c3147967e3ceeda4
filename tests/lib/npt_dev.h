/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npt_dev.h - device helpers of the tests (tests/lib, prefix npt_; 0 or
 * a negative errno, never an assertion): the limits a node reports in
 * GET_INFO, so that tests read them rather than repeat them.
 */
#ifndef RM_NPU_TESTS_NPT_DEV_H
#define RM_NPU_TESTS_NPT_DEV_H

#include <linux/types.h>

/* What one file may do, from rm_npu_info (ABI 1.2). */
struct npt_limits {
	__u32 max_cmds;			/* commands in one job */
	__u32 max_job_bos;		/* buffer handles in one job */
	__u32 max_bos;			/* buffer objects of one file */
	__u32 max_batch_jobs;		/* jobs in one SUBMIT_BATCH */
	__u32 max_inflight_jobs;	/* jobs queued or running */
	__u32 max_inflight_cmds;	/* commands over those */
	__u64 max_inflight_ops;		/* operations over those */
};

/*
 * npt_limits_get() - GET_INFO on @fd into @l.
 * Return: 0, or -errno (-EPROTO when the module predates ABI 1.2 and so
 * does not report the in-flight limits).
 */
int npt_limits_get(int fd, struct npt_limits *l);

#endif /* RM_NPU_TESTS_NPT_DEV_H */
