// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu module entry: parameters, the "npu" device class, the char device
 * region, and one platform device per virtual NPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>

#include "rm_npu_drv.h"

unsigned int rm_npu_num_devices = 1;
module_param_named(num_devices, rm_npu_num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Number of virtual NPUs (1-16, default 1)");

unsigned int rm_npu_num_pes = 2;
module_param_named(num_pes, rm_npu_num_pes, uint, 0444);
MODULE_PARM_DESC(num_pes, "Processing elements per NPU (1-8, default 2)");

unsigned int rm_npu_mem_mib = 256;
module_param_named(mem_mib, rm_npu_mem_mib, uint, 0444);
MODULE_PARM_DESC(mem_mib, "Device memory per NPU in MiB (1-4096, default 256)");

static char *rm_npu_ops_isa_name = "auto";
module_param_named(ops_isa, rm_npu_ops_isa_name, charp, 0444);
MODULE_PARM_DESC(ops_isa,
		 "Op kernels of the PE engines: auto (the best this CPU runs), scalar, avx2, avx512");

u32 rm_npu_ops_isa;

/* A static class registers the same way on every kernel version. */
static struct class rm_npu_class_obj = {
	.name = "npu",
};

struct class *rm_npu_class = &rm_npu_class_obj;

#define RM_NPU_MAX_TIMEOUT_MS	600000

unsigned int rm_npu_job_timeout_ms = 5000;

static int rm_npu_timeout_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	if (ret)
		return ret;
	if (ms < 1 || ms > RM_NPU_MAX_TIMEOUT_MS) {
		pr_err("job_timeout_ms=%u is out of range 1..%u\n", ms,
		       RM_NPU_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	WRITE_ONCE(rm_npu_job_timeout_ms, ms);
	return 0;
}

static const struct kernel_param_ops rm_npu_timeout_ops = {
	.set = rm_npu_timeout_set,
	.get = param_get_uint,
};

module_param_cb(job_timeout_ms, &rm_npu_timeout_ops, &rm_npu_job_timeout_ms,
		0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "Watchdog: a job running longer is cancelled (1-600000 ms, default 5000)");
static dev_t rm_npu_devt_base;
static struct platform_device *rm_npu_pdevs[RM_NPU_MAX_DEVICES];

dev_t rm_npu_devt(u32 dev_index, u32 minor_in_dev)
{
	return MKDEV(MAJOR(rm_npu_devt_base),
		     MINOR(rm_npu_devt_base) +
		     dev_index * RM_NPU_MINORS_PER_DEV + minor_in_dev);
}

static int rm_npu_check_params(void)
{
	int isa;

	if (rm_npu_num_devices < 1 || rm_npu_num_devices > RM_NPU_MAX_DEVICES) {
		pr_err("num_devices=%u is out of range 1..%u\n",
		       rm_npu_num_devices, RM_NPU_MAX_DEVICES);
		return -EINVAL;
	}
	if (rm_npu_num_pes < 1 || rm_npu_num_pes > RM_NPU_MAX_PES) {
		pr_err("num_pes=%u is out of range 1..%u\n",
		       rm_npu_num_pes, RM_NPU_MAX_PES);
		return -EINVAL;
	}
	if (rm_npu_mem_mib < 1 || rm_npu_mem_mib > RM_NPU_MAX_MEM_MIB) {
		pr_err("mem_mib=%u is out of range 1..%u\n",
		       rm_npu_mem_mib, RM_NPU_MAX_MEM_MIB);
		return -EINVAL;
	}
	isa = npu_isa_from_name(rm_npu_ops_isa_name);
	if (isa < 0) {
		pr_err("ops_isa=%s is not one of auto, scalar, avx2, avx512\n",
		       rm_npu_ops_isa_name);
		return -EINVAL;
	}
	if (isa == NPU_ISA_AUTO)
		isa = npu_isa_best();
	if (!npu_isa_available(isa)) {
		pr_err("ops_isa=%s: this CPU or build lacks it\n",
		       rm_npu_ops_isa_name);
		return -EINVAL;
	}
	rm_npu_ops_isa = isa;
	pr_info("op kernels: %s\n", npu_isa_name(isa));
	return 0;
}


static void rm_npu_pdevs_unregister(void)
{
	int i;

	for (i = RM_NPU_MAX_DEVICES - 1; i >= 0; i--) {
		if (rm_npu_pdevs[i])
			platform_device_unregister(rm_npu_pdevs[i]);
		rm_npu_pdevs[i] = NULL;
	}
}

static int __init rm_npu_init(void)
{
	unsigned int i;
	int ret;

	ret = rm_npu_check_params();
	if (ret)
		return ret;

	ret = alloc_chrdev_region(&rm_npu_devt_base, 0,
				  rm_npu_num_devices * RM_NPU_MINORS_PER_DEV,
				  RM_NPU_NAME);
	if (ret)
		return ret;

	ret = class_register(rm_npu_class);
	if (ret)
		goto err_unregister_region;

	ret = platform_driver_register(&rm_npu_platform_driver);
	if (ret)
		goto err_destroy_class;

	rm_npu_debugfs_init();

	for (i = 0; i < rm_npu_num_devices; i++) {
		struct platform_device *pdev;

		pdev = platform_device_register_simple(RM_NPU_NAME, i, NULL, 0);
		if (IS_ERR(pdev)) {
			ret = PTR_ERR(pdev);
			goto err_unregister_pdevs;
		}
		rm_npu_pdevs[i] = pdev;
		/* Probe runs synchronously; a device that failed it is unusable. */
		if (!platform_get_drvdata(pdev)) {
			ret = -ENODEV;
			goto err_unregister_pdevs;
		}
	}

	pr_info("%u device(s), %u PE(s) each, %u MiB memory each\n",
		rm_npu_num_devices, rm_npu_num_pes, rm_npu_mem_mib);
	return 0;

err_unregister_pdevs:
	rm_npu_debugfs_fini();
	rm_npu_pdevs_unregister();
	platform_driver_unregister(&rm_npu_platform_driver);
err_destroy_class:
	class_unregister(rm_npu_class);
err_unregister_region:
	unregister_chrdev_region(rm_npu_devt_base,
				 rm_npu_num_devices * RM_NPU_MINORS_PER_DEV);
	return ret;
}

static void __exit rm_npu_exit(void)
{
	/* debugfs readers look at devices: remove their files first. */
	rm_npu_debugfs_fini();
	rm_npu_pdevs_unregister();
	platform_driver_unregister(&rm_npu_platform_driver);
	class_unregister(rm_npu_class);
	unregister_chrdev_region(rm_npu_devt_base,
				 rm_npu_num_devices * RM_NPU_MINORS_PER_DEV);
}

module_init(rm_npu_init);
module_exit(rm_npu_exit);

MODULE_DESCRIPTION("rm_npu virtual NPU: PEs, device memory, int8 engines");
MODULE_AUTHOR("rm_npu developers");
MODULE_LICENSE("GPL");
MODULE_FIRMWARE("rm_npu/" RM_NPU_ARCH ".bin");
