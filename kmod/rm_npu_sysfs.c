// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu sysfs: device facts on /sys/class/npu/npuX, PE state, owner and
 * telemetry on /sys/class/npu/npuXpeY and npuXpeY-Z. One value per file.
 */
#include <linux/device.h>
#include <linux/pid_namespace.h>
#include <linux/sysfs.h>

#include "rm_npu_drv.h"

static struct rm_npu_node *to_node(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static struct rm_npu_device *to_ndev(struct device *dev)
{
	return to_node(dev)->ndev;
}

static const char *const rm_npu_fw_state_names[] = {
	[RM_NPU_FW_READY] = "ready",
	[RM_NPU_FW_MISSING] = "missing",
	[RM_NPU_FW_INVALID] = "invalid",
};

/* --- /sys/class/npu/npuX ---------------------------------------------- */

static ssize_t dev_index_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ndev(dev)->index);
}
static DEVICE_ATTR_RO(dev_index);

static ssize_t arch_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", RM_NPU_ARCH);
}
static DEVICE_ATTR_RO(arch);

static ssize_t num_pes_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ndev(dev)->num_pes);
}
static DEVICE_ATTR_RO(num_pes);

static ssize_t fw_state_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  rm_npu_fw_state_names[to_ndev(dev)->fw_state]);
}
static DEVICE_ATTR_RO(fw_state);

static ssize_t fw_version_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct rm_npu_device *ndev = to_ndev(dev);

	if (ndev->fw_state != RM_NPU_FW_READY)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%s\n", ndev->fw_version_str);
}
static DEVICE_ATTR_RO(fw_version);

static ssize_t fw_caps_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", to_ndev(dev)->fw_caps);
}
static DEVICE_ATTR_RO(fw_caps);

static ssize_t mem_total_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_ndev(dev)->mem_total);
}
static DEVICE_ATTR_RO(mem_total);

static ssize_t mem_used_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&to_ndev(dev)->mem_used));
}
static DEVICE_ATTR_RO(mem_used);

static ssize_t bo_count_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&to_ndev(dev)->bo_count));
}
static DEVICE_ATTR_RO(bo_count);

static ssize_t uuid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &to_ndev(dev)->uuid);
}
static DEVICE_ATTR_RO(uuid);

static ssize_t numa_node_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n", to_ndev(dev)->numa_node);
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u.%u\n", RM_NPU_ABI_MAJOR, RM_NPU_ABI_MINOR);
}
static DEVICE_ATTR_RO(abi_version);

static struct attribute *rm_npu_mgmt_attrs[] = {
	&dev_attr_dev_index.attr,
	&dev_attr_arch.attr,
	&dev_attr_num_pes.attr,
	&dev_attr_fw_state.attr,
	&dev_attr_fw_version.attr,
	&dev_attr_fw_caps.attr,
	&dev_attr_mem_total.attr,
	&dev_attr_mem_used.attr,
	&dev_attr_bo_count.attr,
	&dev_attr_uuid.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_abi_version.attr,
	NULL,
};

static const struct attribute_group rm_npu_mgmt_group = {
	.attrs = rm_npu_mgmt_attrs,
};

const struct attribute_group *rm_npu_mgmt_groups[] = {
	&rm_npu_mgmt_group,
	NULL,
};

/* --- PE and fused nodes ------------------------------------------------ */

static ssize_t pes_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct rm_npu_node *node = to_node(dev);

	if (node->pe_count == 1)
		return sysfs_emit(buf, "%u\n", node->pe_first);
	return sysfs_emit(buf, "%u-%u\n", node->pe_first,
			  node->pe_first + node->pe_count - 1);
}
static DEVICE_ATTR_RO(pes);

/*
 * "unavailable" (firmware not ready), "free", or "open" (held by a file;
 * for a fused node, when any member PE is held).
 */
static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct rm_npu_node *node = to_node(dev);
	struct rm_npu_device *ndev = node->ndev;
	const char *state = "free";
	u32 i;

	if (ndev->fw_state != RM_NPU_FW_READY)
		return sysfs_emit(buf, "unavailable\n");
	mutex_lock(&ndev->lock);
	for (i = 0; i < node->pe_count; i++)
		if (ndev->pes[node->pe_first + i].owner)
			state = "open";
	mutex_unlock(&ndev->lock);
	return sysfs_emit(buf, "%s\n", state);
}
static DEVICE_ATTR_RO(state);

/*
 * The process that opened the file holding the node's PEs, in the reader's
 * pid namespace; 0: none. Only the opener: it may have exited, forked or
 * passed the descriptor on; who holds it now is in /proc/PID/fdinfo
 * (npu-node, drm-client-id), which npu-smi ps reads.
 */
static ssize_t owner_pid_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct rm_npu_node *node = to_node(dev);
	struct rm_npu_device *ndev = node->ndev;
	pid_t nr = 0;
	u32 i;

	mutex_lock(&ndev->lock);
	for (i = 0; i < node->pe_count && !nr; i++) {
		struct pid *pid = ndev->pes[node->pe_first + i].owner_pid;

		if (pid)
			nr = pid_vnr(pid);
	}
	mutex_unlock(&ndev->lock);
	return sysfs_emit(buf, "%d\n", nr);
}
static DEVICE_ATTR_RO(owner_pid);

#define RM_NPU_PE_COUNTER(name)						\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct rm_npu_node *node = to_node(dev);			\
									\
	return sysfs_emit(buf, "%lld\n",				\
		(s64)atomic64_read(&node->ndev->pes[node->pe_first].name)); \
}									\
static DEVICE_ATTR_RO(name)

RM_NPU_PE_COUNTER(busy_ns);
RM_NPU_PE_COUNTER(jobs_completed);
RM_NPU_PE_COUNTER(jobs_failed);
RM_NPU_PE_COUNTER(bytes_moved);
RM_NPU_PE_COUNTER(ops);

static struct attribute *rm_npu_pe_attrs[] = {
	&dev_attr_pes.attr,
	&dev_attr_state.attr,
	&dev_attr_owner_pid.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_jobs_completed.attr,
	&dev_attr_jobs_failed.attr,
	&dev_attr_bytes_moved.attr,
	&dev_attr_ops.attr,
	NULL,
};

static const struct attribute_group rm_npu_pe_group = {
	.attrs = rm_npu_pe_attrs,
};

const struct attribute_group *rm_npu_pe_groups[] = {
	&rm_npu_pe_group,
	NULL,
};

static struct attribute *rm_npu_fused_attrs[] = {
	&dev_attr_pes.attr,
	&dev_attr_state.attr,
	&dev_attr_owner_pid.attr,
	NULL,
};

static const struct attribute_group rm_npu_fused_group = {
	.attrs = rm_npu_fused_attrs,
};

const struct attribute_group *rm_npu_fused_groups[] = {
	&rm_npu_fused_group,
	NULL,
};
