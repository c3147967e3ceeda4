/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * npt_job.h - job helpers of the tests (tests/lib, prefix npt_): filling
 * SUBMIT arguments, and SUBMIT, SUBMIT_BATCH and WAIT as calls that return
 * 0 or a negative errno (as liburing's test helpers), never an assertion:
 * safe in a forked child, and the caller's test decides. The asserting
 * wrappers of the VM tests (npu_submit(), npu_wait_ok(), ...) are built on
 * these in tests/vm/job_util.h.
 */
#ifndef RM_NPU_TESTS_NPT_JOB_H
#define RM_NPU_TESTS_NPT_JOB_H

#include <linux/types.h>

#include <rm_npu.h>

/*
 * npt_submit_args() - fill @s for SUBMIT of @ncmds commands at @cmds over
 * the @nbos buffer handles at @handles; @flags RM_NPU_SUBMIT_*, @in_fd the
 * in-fence with RM_NPU_SUBMIT_IN_FENCE (ignored without). The command
 * size is this build's sizeof(struct rm_npu_cmd).
 */
void npt_submit_args(struct rm_npu_submit *s, const struct rm_npu_cmd *cmds,
		     __u32 ncmds, const __u32 *handles, __u32 nbos,
		     __u32 flags, int in_fd);

/*
 * npt_submit() - RM_NPU_IOCTL_SUBMIT of @s on @fd. The kernel writes the
 * out fields (job_id, error_index, out_fence_fd, ...) back on failure too.
 * Return: 0, or -errno.
 */
int npt_submit(int fd, struct rm_npu_submit *s);

/*
 * npt_submit_cmds() - SUBMIT of @num_cmds commands over @num_bos buffers,
 * no fences. *@error_index and *@job_id (either may be NULL) get the
 * kernel's values, on failure too (both start as 0x5a5a5a5a, so a field
 * the kernel did not write shows).
 * Return: 0, -errno, or -EPROTO when the kernel accepted the job but
 * handed out a fence descriptor it was not asked for.
 */
int npt_submit_cmds(int fd, const struct rm_npu_cmd *cmds, __u32 num_cmds,
		    const __u32 *handles, __u32 num_bos, __u32 *error_index,
		    __u64 *job_id);

/*
 * npt_wait() - RM_NPU_IOCTL_WAIT for job @id, @timeout_ns relative (< 0:
 * forever; 0: poll); @w gets the kernel's answer (result, error_index,
 * duration_ns; the time left after a signal).
 * Return: 0 (the job retired: its status is in @w), or -errno.
 */
int npt_wait(int fd, __u64 id, long long timeout_ns, struct rm_npu_wait *w);

/*
 * npt_batch() - RM_NPU_IOCTL_SUBMIT_BATCH of @n jobs @job_size bytes apart
 * at @jobs; @b is filled (and gets error_job back).
 * Return: 0, or -errno.
 */
int npt_batch(int fd, void *jobs, __u32 n, __u32 job_size,
	      struct rm_npu_submit_batch *b);

#endif /* RM_NPU_TESTS_NPT_JOB_H */
