// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu file operations: exclusive PE opens, the ioctl dispatcher (with
 * size-versioned argument structs) and mmap of buffer objects.
 */
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rm_npu_drv.h"
#include "rm_npu_job.h"

/* Claims every PE of the node for @nfile, or none. */
static int rm_npu_pes_claim(struct rm_npu_file *nfile)
{
	struct rm_npu_node *node = nfile->node;
	struct rm_npu_device *ndev = node->ndev;
	u32 i;

	mutex_lock(&ndev->lock);
	for (i = 0; i < node->pe_count; i++) {
		if (ndev->pes[node->pe_first + i].owner) {
			mutex_unlock(&ndev->lock);
			dev_dbg(node->dev, "OPEN: pid %d: PE %u is in use\n",
				task_tgid_nr(current), node->pe_first + i);
			return -EBUSY;
		}
	}
	for (i = 0; i < node->pe_count; i++) {
		struct rm_npu_pe *pe = &ndev->pes[node->pe_first + i];

		pe->owner = nfile;
		pe->owner_pid = get_pid(task_tgid(current));
	}
	mutex_unlock(&ndev->lock);
	return 0;
}

static void rm_npu_pes_release(struct rm_npu_file *nfile)
{
	struct rm_npu_node *node = nfile->node;
	struct rm_npu_device *ndev = node->ndev;
	u32 i;

	mutex_lock(&ndev->lock);
	for (i = 0; i < node->pe_count; i++) {
		struct rm_npu_pe *pe = &ndev->pes[node->pe_first + i];

		pe->owner = NULL;
		put_pid(pe->owner_pid);
		pe->owner_pid = NULL;
	}
	mutex_unlock(&ndev->lock);
}

/* drm-client-id of the next open file. */
static atomic64_t rm_npu_client_ids = ATOMIC64_INIT(0);

static int rm_npu_open(struct inode *inode, struct file *filp)
{
	struct rm_npu_node *node = container_of(inode->i_cdev,
						struct rm_npu_node, cdev);
	struct rm_npu_file *nfile;
	int ret;

	if (node->type != RM_NPU_NODE_MGMT &&
	    node->ndev->fw_state != RM_NPU_FW_READY) {
		dev_dbg(node->dev, "OPEN: pid %d: firmware state %u\n",
			task_tgid_nr(current), node->ndev->fw_state);
		return -ENODEV;
	}

	nfile = kzalloc(sizeof(*nfile), GFP_KERNEL_ACCOUNT);
	if (!nfile)
		return -ENOMEM;
	kref_init(&nfile->ref);
	nfile->client_id = atomic64_inc_return(&rm_npu_client_ids);
	nfile->ndev = node->ndev;
	nfile->node = node;
	xa_init_flags(&nfile->bos, XA_FLAGS_ALLOC1);
	atomic_set(&nfile->num_bos, 0);
	mt_init_flags(&nfile->mmap_offsets, MT_FLAGS_ALLOC_RANGE);
	mutex_init(&nfile->bo_lock);

	if (node->type != RM_NPU_NODE_MGMT) {
		ret = rm_npu_file_jobs_init(nfile);
		if (ret)
			goto err_free;
		ret = rm_npu_pes_claim(nfile);
		if (ret)
			goto err_free;
	}

	filp->private_data = nfile;
	return nonseekable_open(inode, filp);

err_free:
	rm_npu_file_jobs_fini(nfile);
	kfree(nfile);
	return ret;
}

static void rm_npu_file_free(struct kref *ref)
{
	struct rm_npu_file *nfile = container_of(ref, struct rm_npu_file, ref);

	rm_npu_file_jobs_fini(nfile);
	mutex_destroy(&nfile->bo_lock);
	kfree(nfile);
}

void rm_npu_file_put(struct rm_npu_file *nfile)
{
	kref_put(&nfile->ref, rm_npu_file_free);
}

static int rm_npu_release(struct inode *inode, struct file *filp)
{
	struct rm_npu_file *nfile = filp->private_data;

	if (nfile->node->type != RM_NPU_NODE_MGMT) {
		/* Jobs stop first: they hold buffers and run on our PEs. */
		rm_npu_file_jobs_cancel(nfile);
		rm_npu_bo_release_all(nfile);
		rm_npu_pes_release(nfile);
	}
	xa_destroy(&nfile->bos);
	rm_npu_file_put(nfile);
	return 0;
}

static int rm_npu_get_info_ioctl(struct rm_npu_file *nfile, void *data)
{
	struct rm_npu_device *ndev = nfile->ndev;
	struct rm_npu_node *node = nfile->node;
	struct rm_npu_info *info = data;

	if (info->flags) {
		rm_npu_dbg(nfile, IOCTL, "GET_INFO: flags %#x unknown\n",
			   info->flags);
		return -EINVAL;
	}

	/* Everything below is output: start from zero, leak nothing. */
	memset(info, 0, sizeof(*info));
	info->abi_version = RM_NPU_ABI_VERSION;
	info->node_type = node->type;
	info->dev_index = ndev->index;
	info->num_pes = ndev->num_pes;
	info->pe_first = node->pe_first;
	info->pe_count = node->pe_count;
	info->fw_state = ndev->fw_state;
	info->numa_node = ndev->numa_node;
	if (ndev->fw_state == RM_NPU_FW_READY) {
		info->fw_version = ndev->fw_version;
		info->fw_caps = ndev->fw_caps;
		strscpy(info->fw_version_str, ndev->fw_version_str,
			sizeof(info->fw_version_str));
	}
	info->mem_total = ndev->mem_total;
	info->mem_used = atomic64_read(&ndev->mem_used);
	info->max_bo_size = ndev->mem_total;
	info->max_bos = RM_NPU_MAX_BOS;
	info->max_cmds = RM_NPU_MAX_CMDS;
	info->max_job_bos = RM_NPU_MAX_JOB_BOS;
	info->cmd_size = sizeof(struct rm_npu_cmd);
	info->max_batch_jobs = RM_NPU_MAX_BATCH_JOBS;
	info->max_inflight_jobs = RM_NPU_MAX_INFLIGHT;
	info->max_inflight_cmds = RM_NPU_MAX_INFLIGHT_CMDS;
	info->max_inflight_ops = RM_NPU_MAX_INFLIGHT_OPS;
	strscpy(info->arch, RM_NPU_ARCH, sizeof(info->arch));
	memcpy(info->uuid, ndev->uuid.b, sizeof(info->uuid));
	return 0;
}

#define RM_NPU_ON_MGMT	BIT(RM_NPU_NODE_MGMT)
#define RM_NPU_ON_PE	(BIT(RM_NPU_NODE_PE) | BIT(RM_NPU_NODE_FUSED))

struct rm_npu_ioctl_desc {
	unsigned int cmd;
	/* First published size: smaller callers are rejected. */
	unsigned int min_size;
	unsigned int nodes;
	/* Copy the argument back even when the ioctl fails. */
	bool out_on_error;
	int (*func)(struct rm_npu_file *nfile, void *data);
	/* Called after the copy back (@copied: it succeeded). */
	void (*commit)(struct rm_npu_file *nfile, void *data, bool copied);
};

/*
 * @min_size: the struct's first published size, RM_NPU_*_SIZE_VER0, never
 * sizeof(): a struct that grows must keep accepting its old callers.
 */
#define RM_NPU_IOCTL(name, min_size_, nodes_, fn, ...)			\
	[_IOC_NR(RM_NPU_IOCTL_##name)] = {				\
		.cmd = RM_NPU_IOCTL_##name,				\
		.min_size = (min_size_),				\
		.nodes = (nodes_),					\
		.func = (fn),						\
		__VA_ARGS__						\
	}

/* The ABI 1.0 structs end where they ended: old binaries keep working. */
static_assert(offsetofend(struct rm_npu_info, fw_version_str) ==
	      RM_NPU_INFO_SIZE_VER0);
static_assert(offsetofend(struct rm_npu_bo_create, alloc_size) ==
	      RM_NPU_BO_CREATE_SIZE_VER0);
static_assert(offsetofend(struct rm_npu_bo_info, mmap_offset) ==
	      RM_NPU_BO_INFO_SIZE_VER0);
static_assert(offsetofend(struct rm_npu_bo_mmap, offset) ==
	      RM_NPU_BO_MMAP_SIZE_VER0);
static_assert(offsetofend(struct rm_npu_bo_close, flags) ==
	      RM_NPU_BO_CLOSE_SIZE_VER0);
static_assert(offsetofend(struct rm_npu_submit, pad) ==
	      RM_NPU_SUBMIT_SIZE_VER0);
static_assert(offsetofend(struct rm_npu_wait, duration_ns) ==
	      RM_NPU_WAIT_SIZE_VER0);
static_assert(offsetofend(struct rm_npu_submit_batch, error_job) ==
	      RM_NPU_SUBMIT_BATCH_SIZE_VER0);
static_assert(sizeof(struct rm_npu_cmd) >= RM_NPU_CMD_SIZE_VER0 &&
	      sizeof(struct rm_npu_cmd) <= RM_NPU_MAX_CMD_SIZE);

static const struct rm_npu_ioctl_desc rm_npu_ioctls[] = {
	RM_NPU_IOCTL(GET_INFO, RM_NPU_INFO_SIZE_VER0,
		     RM_NPU_ON_MGMT | RM_NPU_ON_PE, rm_npu_get_info_ioctl),
	RM_NPU_IOCTL(BO_CREATE, RM_NPU_BO_CREATE_SIZE_VER0, RM_NPU_ON_PE,
		     rm_npu_bo_create_ioctl),
	RM_NPU_IOCTL(BO_INFO, RM_NPU_BO_INFO_SIZE_VER0, RM_NPU_ON_PE,
		     rm_npu_bo_info_ioctl),
	RM_NPU_IOCTL(BO_MMAP, RM_NPU_BO_MMAP_SIZE_VER0, RM_NPU_ON_PE,
		     rm_npu_bo_mmap_ioctl),
	RM_NPU_IOCTL(BO_CLOSE, RM_NPU_BO_CLOSE_SIZE_VER0, RM_NPU_ON_PE,
		     rm_npu_bo_close_ioctl),
	RM_NPU_IOCTL(SUBMIT, RM_NPU_SUBMIT_SIZE_VER0, RM_NPU_ON_PE,
		     rm_npu_submit_ioctl, .out_on_error = true,
		     .commit = rm_npu_submit_commit),
	RM_NPU_IOCTL(WAIT, RM_NPU_WAIT_SIZE_VER0, RM_NPU_ON_PE,
		     rm_npu_wait_ioctl, .out_on_error = true),
	RM_NPU_IOCTL(SUBMIT_BATCH, RM_NPU_SUBMIT_BATCH_SIZE_VER0,
		     RM_NPU_ON_PE, rm_npu_submit_batch_ioctl,
		     .out_on_error = true),
};

/* Large enough for the biggest ioctl argument this kernel knows. */
union rm_npu_ioctl_arg {
	struct rm_npu_info info;
	struct rm_npu_bo_create bo_create;
	struct rm_npu_bo_info bo_info;
	struct rm_npu_bo_mmap bo_mmap;
	struct rm_npu_bo_close bo_close;
	struct rm_npu_submit_karg submit;
	struct rm_npu_wait wait;
	struct rm_npu_submit_batch submit_batch;
};

static long rm_npu_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct rm_npu_file *nfile = filp->private_data;
	void __user *uarg = (void __user *)arg;
	const struct rm_npu_ioctl_desc *desc;
	union rm_npu_ioctl_arg karg;
	unsigned int nr = _IOC_NR(cmd);
	size_t usize = _IOC_SIZE(cmd);
	size_t ksize;
	bool copied;
	int ret;

	if (_IOC_TYPE(cmd) != RM_NPU_IOCTL_BASE ||
	    nr >= ARRAY_SIZE(rm_npu_ioctls) || !rm_npu_ioctls[nr].func) {
		rm_npu_dbg(nfile, IOCTL, "cmd %#x: not an rm_npu ioctl\n", cmd);
		return -ENOTTY;
	}
	desc = &rm_npu_ioctls[nr];
	if (_IOC_DIR(cmd) != _IOC_DIR(desc->cmd)) {
		rm_npu_dbg(nfile, IOCTL, "cmd %#x: direction %u, not %u\n",
			   cmd, _IOC_DIR(cmd), _IOC_DIR(desc->cmd));
		return -ENOTTY;
	}
	if (!(desc->nodes & BIT(nfile->node->type))) {
		rm_npu_dbg(nfile, IOCTL, "ioctl %u: not on a node of type %u\n",
			   nr, nfile->node->type);
		return -ENOTTY;
	}
	if (usize < desc->min_size) {
		rm_npu_dbg(nfile, IOCTL, "ioctl %u: size %zu below %u\n", nr,
			   usize, desc->min_size);
		return -EINVAL;
	}

	ksize = _IOC_SIZE(desc->cmd);
	BUILD_BUG_ON(sizeof(karg) > 256);
	BUILD_BUG_ON(offsetof(struct rm_npu_submit_karg, args) != 0);
	ret = copy_struct_from_user(&karg, ksize, uarg, usize);
	if (ret) {
		rm_npu_dbg(nfile, IOCTL, "ioctl %u: %s (size %zu, known %zu)\n",
			   nr, ret == -E2BIG ? "nonzero tail" : "unreadable",
			   usize, ksize);
		return ret;
	}

	ret = desc->func(nfile, &karg);
	if (ret && !desc->out_on_error)
		return ret;

	copied = !(_IOC_DIR(cmd) & _IOC_READ) ||
		 !copy_to_user(uarg, &karg, min(usize, ksize));
	if (desc->commit)
		desc->commit(nfile, &karg, !ret && copied);
	return copied ? ret : -EFAULT;
}

static int rm_npu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct rm_npu_file *nfile = filp->private_data;

	if (nfile->node->type == RM_NPU_NODE_MGMT)
		return -ENODEV;
	return rm_npu_bo_mmap(nfile, vma);
}

/*
 * /proc/PID/fdinfo/FD lines, read by npu-smi ps: who holds a node now
 * (every process with a descriptor of the open file, which fork and fd
 * passing share), the node, and the device memory and buffer objects the
 * open file holds; and the same in the keys of DRM's usage stats
 * (Documentation/gpu/drm-usage-stats.rst) that gputop-like tools read:
 * drm-client-id tells descriptors of one open file from another's,
 * drm-engine-peN is the time its jobs ran on PE N. BO_CLOSE erases a
 * handle under the xarray lock before dropping its reference, so every BO
 * found with the lock held is alive.
 */
static void rm_npu_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct rm_npu_file *nfile = filp->private_data;
	struct rm_npu_node *node = nfile->node;
	struct rm_npu_bo *bo;
	unsigned long handle;
	u64 bytes = 0, count = 0;
	u32 i;

	xa_lock(&nfile->bos);
	xa_for_each(&nfile->bos, handle, bo) {
		bytes += bo->size;
		count++;
	}
	xa_unlock(&nfile->bos);
	seq_printf(m, "npu-node:\t%s\n", dev_name(node->dev));
	seq_printf(m, "npu-memory:\t%llu\n", bytes);
	seq_printf(m, "npu-buffers:\t%llu\n", count);
	seq_printf(m, "drm-driver:\t%s\n", RM_NPU_NAME);
	seq_printf(m, "drm-client-id:\t%llu\n", nfile->client_id);
	for (i = 0; i < node->pe_count; i++)
		seq_printf(m, "drm-engine-pe%u:\t%llu ns\n", node->pe_first + i,
			   (u64)atomic64_read(&nfile->busy_ns[i]));
	seq_printf(m, "drm-memory-device:\t%llu KiB\n", bytes >> 10);
}

const struct file_operations rm_npu_fops = {
	.owner = THIS_MODULE,
	.open = rm_npu_open,
	.release = rm_npu_release,
	.unlocked_ioctl = rm_npu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = rm_npu_mmap,
	.llseek = no_llseek,
	.show_fdinfo = rm_npu_show_fdinfo,
};
