// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu device model: probe of one virtual NPU, its PEs and its char
 * device nodes (/dev/npuX, /dev/npuXpeY, /dev/npuXpeY-Z).
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "rm_npu_drv.h"

/* Devices are spread round-robin over the online NUMA nodes. */
static int rm_npu_pick_numa_node(u32 index)
{
	u32 n = index % num_online_nodes();
	int nid;

	for_each_online_node(nid) {
		if (n-- == 0)
			return nid;
	}
	return NUMA_NO_NODE;
}

/* A stable UUID per device index (version 8: vendor-specific layout). */
static void rm_npu_make_uuid(uuid_t *uuid, u32 index)
{
	static const u8 base[16] = {
		0x72, 0x6d, 0x5f, 0x6e, 0x70, 0x75, 0x80, 0x00,
		0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	memcpy(uuid->b, base, sizeof(base));
	uuid->b[12] = index >> 24;
	uuid->b[13] = index >> 16;
	uuid->b[14] = index >> 8;
	uuid->b[15] = index;
}

static int rm_npu_node_add(struct rm_npu_device *ndev, struct rm_npu_node *node,
			   u32 minor, const struct attribute_group **groups,
			   const char *name)
{
	int ret;

	node->ndev = ndev;
	node->devt = rm_npu_devt(ndev->index, minor);
	cdev_init(&node->cdev, &rm_npu_fops);
	node->cdev.owner = THIS_MODULE;
	ret = cdev_add(&node->cdev, node->devt, 1);
	if (ret)
		return ret;

	node->dev = device_create_with_groups(rm_npu_class, &ndev->pdev->dev,
					      node->devt, node, groups, "%s",
					      name);
	if (IS_ERR(node->dev)) {
		ret = PTR_ERR(node->dev);
		node->dev = NULL;
		cdev_del(&node->cdev);
		return ret;
	}
	return 0;
}

static void rm_npu_node_remove(struct rm_npu_node *node)
{
	if (!node->dev)
		return;
	device_destroy(rm_npu_class, node->devt);
	cdev_del(&node->cdev);
	node->dev = NULL;
}

static void rm_npu_nodes_remove(struct rm_npu_device *ndev)
{
	u32 i;

	for (i = 0; i < ndev->num_fused; i++)
		rm_npu_node_remove(&ndev->fused_nodes[i]);
	for (i = 0; i < ndev->num_pes; i++)
		rm_npu_node_remove(&ndev->pe_nodes[i]);
	rm_npu_node_remove(&ndev->mgmt);
}

static int rm_npu_nodes_add(struct rm_npu_device *ndev)
{
	char name[32];
	u32 i, minor = 0;
	int ret;

	ndev->mgmt.type = RM_NPU_NODE_MGMT;
	snprintf(name, sizeof(name), "npu%u", ndev->index);
	ret = rm_npu_node_add(ndev, &ndev->mgmt, minor++, rm_npu_mgmt_groups,
			      name);
	if (ret)
		goto err;

	for (i = 0; i < ndev->num_pes; i++) {
		struct rm_npu_node *node = &ndev->pe_nodes[i];

		node->type = RM_NPU_NODE_PE;
		node->pe_first = i;
		node->pe_count = 1;
		snprintf(name, sizeof(name), "npu%upe%u", ndev->index, i);
		ret = rm_npu_node_add(ndev, node, minor++, rm_npu_pe_groups,
				      name);
		if (ret)
			goto err;
	}

	/* Fused pairs are aligned like the hardware's: pe0-1, pe2-3, ... */
	for (i = 0; i < ndev->num_fused; i++) {
		struct rm_npu_node *node = &ndev->fused_nodes[i];

		node->type = RM_NPU_NODE_FUSED;
		node->pe_first = 2 * i;
		node->pe_count = 2;
		snprintf(name, sizeof(name), "npu%upe%u-%u", ndev->index,
			 2 * i, 2 * i + 1);
		ret = rm_npu_node_add(ndev, node, minor++, rm_npu_fused_groups,
				      name);
		if (ret)
			goto err;
	}
	return 0;

err:
	rm_npu_nodes_remove(ndev);
	return ret;
}

static int rm_npu_probe(struct platform_device *pdev)
{
	struct rm_npu_device *ndev;
	u32 i;
	int ret;

	if (pdev->id < 0 || pdev->id >= RM_NPU_MAX_DEVICES)
		return -EINVAL;

	ndev = devm_kzalloc(&pdev->dev, sizeof(*ndev), GFP_KERNEL);
	if (!ndev)
		return -ENOMEM;

	ndev->pdev = pdev;
	ndev->index = pdev->id;
	ndev->num_pes = rm_npu_num_pes;
	ndev->num_fused = rm_npu_num_pes / 2;
	ndev->mem_total = (u64)rm_npu_mem_mib << 20;
	atomic64_set(&ndev->mem_used, 0);
	atomic_set(&ndev->bo_count, 0);
	mutex_init(&ndev->lock);
	rm_npu_make_uuid(&ndev->uuid, ndev->index);

	ndev->numa_node = rm_npu_pick_numa_node(ndev->index);
	set_dev_node(&pdev->dev, ndev->numa_node);

	for (i = 0; i < ndev->num_pes; i++) {
		ndev->pes[i].ndev = ndev;
		ndev->pes[i].index = i;
	}

	rm_npu_fw_load(ndev);

	for (i = 0; i < ndev->num_pes; i++) {
		ret = rm_npu_engine_start(&ndev->pes[i]);
		if (ret)
			goto err_stop_engines;
	}

	ret = rm_npu_nodes_add(ndev);
	if (ret) {
		dev_err(&pdev->dev, "cannot create device nodes: %d\n", ret);
		goto err_stop_engines;
	}

	platform_set_drvdata(pdev, ndev);
	rm_npu_debugfs_add(ndev);
	return 0;

err_stop_engines:
	for (i = 0; i < ndev->num_pes; i++)
		rm_npu_engine_stop(&ndev->pes[i]);
	mutex_destroy(&ndev->lock);
	return ret;
}

static int rm_npu_remove(struct platform_device *pdev)
{
	struct rm_npu_device *ndev = platform_get_drvdata(pdev);
	u32 i;

	/* Open files and fences pin the module: nothing runs here. */
	rm_npu_nodes_remove(ndev);
	for (i = 0; i < ndev->num_pes; i++)
		rm_npu_engine_stop(&ndev->pes[i]);
	WARN_ON(atomic64_read(&ndev->mem_used));
	mutex_destroy(&ndev->lock);
	return 0;
}

struct platform_driver rm_npu_platform_driver = {
	.probe = rm_npu_probe,
	.remove = rm_npu_remove,
	.driver = {
		.name = RM_NPU_NAME,
		/* Unbinding under open files would free live state. */
		.suppress_bind_attrs = true,
	},
};
