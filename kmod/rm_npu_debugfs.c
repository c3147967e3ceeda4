// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu debugfs: /sys/kernel/debug/rm_npu/npuX/engines shows each PE
 * engine's queue, running job and resets, for debugging stuck work.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "rm_npu_job.h"

static struct dentry *rm_npu_debugfs_root;

static int rm_npu_engines_show(struct seq_file *s, void *unused)
{
	struct rm_npu_device *ndev = s->private;
	u32 i;

	for (i = 0; i < ndev->num_pes; i++) {
		struct rm_npu_pe *pe = &ndev->pes[i];
		struct rm_npu_job *job, *run;
		u64 running = 0;
		u32 queued = 0;
		bool partner_work, busy;

		spin_lock(&pe->lock);
		list_for_each_entry(job, &pe->queue, queue_link)
			queued++;
		/* Set without the lock, cleared with it before the job goes. */
		run = READ_ONCE(pe->running);
		if (run)
			running = run->id;
		busy = pe->busy;
		partner_work = pe->part || READ_ONCE(pe->part_active);
		spin_unlock(&pe->lock);

		seq_printf(s, "pe%u: busy=%d running_job=%llu queued=%u partner_work=%d resets=%lld\n",
			   i, busy, running, queued, partner_work,
			   (s64)atomic64_read(&pe->resets));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rm_npu_engines);

void rm_npu_debugfs_init(void)
{
	rm_npu_debugfs_root = debugfs_create_dir(RM_NPU_NAME, NULL);
}

/* Removes every device's files; waits for readers still inside them. */
void rm_npu_debugfs_fini(void)
{
	debugfs_remove_recursive(rm_npu_debugfs_root);
	rm_npu_debugfs_root = NULL;
}

void rm_npu_debugfs_add(struct rm_npu_device *ndev)
{
	char name[16];
	struct dentry *dir;

	snprintf(name, sizeof(name), "npu%u", ndev->index);
	dir = debugfs_create_dir(name, rm_npu_debugfs_root);
	debugfs_create_file("engines", 0444, dir, ndev, &rm_npu_engines_fops);
}
