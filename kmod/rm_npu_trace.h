/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rm_npu tracepoints: job timelines for perf trace and trace-cmd
 * (events/rm_npu/): a job submitted, started on a PE (the leader at the
 * job's start, the partner of a fused node at each command half it runs),
 * completed, and stopped by the watchdog.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rm_npu

#if !defined(_RM_NPU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RM_NPU_TRACE_H

#include <linux/tracepoint.h>

#include "rm_npu_job.h"

TRACE_EVENT(rm_npu_job_submit,
	TP_PROTO(const struct rm_npu_job *job),
	TP_ARGS(job),
	TP_STRUCT__entry(
		__string(node, dev_name(job->nfile->node->dev))
		__field(u64, client)
		__field(u64, id)
		__field(u32, cmds)
		__field(u64, ops)
		__field(bool, fence)
	),
	TP_fast_assign(
		__assign_str(node, dev_name(job->nfile->node->dev));
		__entry->client = job->nfile->client_id;
		__entry->id = job->id;
		__entry->cmds = job->num_cmds;
		__entry->ops = job->total_ops;
		__entry->fence = job->fence;
	),
	TP_printk("node=%s client=%llu job=%llu cmds=%u ops=%llu fence=%d",
		  __get_str(node), __entry->client, __entry->id,
		  __entry->cmds, __entry->ops, __entry->fence)
);

TRACE_EVENT(rm_npu_job_start,
	TP_PROTO(const struct rm_npu_pe *pe, const struct rm_npu_job *job),
	TP_ARGS(pe, job),
	TP_STRUCT__entry(
		__string(pe, dev_name(pe->ndev->pe_nodes[pe->index].dev))
		__field(u64, client)
		__field(u64, id)
	),
	TP_fast_assign(
		__assign_str(pe, dev_name(pe->ndev->pe_nodes[pe->index].dev));
		__entry->client = job->nfile->client_id;
		__entry->id = job->id;
	),
	TP_printk("pe=%s client=%llu job=%llu", __get_str(pe),
		  __entry->client, __entry->id)
);

TRACE_EVENT(rm_npu_job_done,
	TP_PROTO(const struct rm_npu_job *job),
	TP_ARGS(job),
	TP_STRUCT__entry(
		__string(node, dev_name(job->nfile->node->dev))
		__field(u64, client)
		__field(u64, id)
		__field(int, result)
		__field(u32, error_index)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__assign_str(node, dev_name(job->nfile->node->dev));
		__entry->client = job->nfile->client_id;
		__entry->id = job->id;
		__entry->result = job->result;
		__entry->error_index = job->error_index;
		__entry->duration_ns = job->duration_ns;
	),
	TP_printk("node=%s client=%llu job=%llu result=%d cmd=%d duration_ns=%llu",
		  __get_str(node), __entry->client, __entry->id,
		  __entry->result, (int)__entry->error_index,
		  __entry->duration_ns)
);

TRACE_EVENT(rm_npu_job_timeout,
	TP_PROTO(const struct rm_npu_job *job, u32 cmd, u32 timeout_ms),
	TP_ARGS(job, cmd, timeout_ms),
	TP_STRUCT__entry(
		__string(node, dev_name(job->nfile->node->dev))
		__field(u64, client)
		__field(u64, id)
		__field(u32, cmd)
		__field(u32, timeout_ms)
	),
	TP_fast_assign(
		__assign_str(node, dev_name(job->nfile->node->dev));
		__entry->client = job->nfile->client_id;
		__entry->id = job->id;
		__entry->cmd = cmd;
		__entry->timeout_ms = timeout_ms;
	),
	TP_printk("node=%s client=%llu job=%llu cmd=%u timeout_ms=%u",
		  __get_str(node), __entry->client, __entry->id,
		  __entry->cmd, __entry->timeout_ms)
);

#endif /* _RM_NPU_TRACE_H */

/* This part must be outside the header guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE rm_npu_trace
#include <trace/define_trace.h>
