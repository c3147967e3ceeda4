// SPDX-License-Identifier: GPL-2.0
/*
 * rm_npu firmware: requests rm_npu/<arch>.bin when a device comes up and
 * validates it with the shared image parser. A device whose firmware is
 * missing or bad stays visible but its PE nodes refuse to open (ENODEV).
 */
#include <linux/firmware.h>
#include <linux/kernel.h>

#include "rm_npu_drv.h"
#include "rm_npu_fw_image.h"

#define RM_NPU_FW_PATH	"rm_npu/" RM_NPU_ARCH ".bin"

/* fw_caps passes the image's bits on: the two headers must agree. */
static_assert(RM_NPU_FW_CAP_F32_RESCALE == RM_NPU_CAP_F32_RESCALE);
static_assert(RM_NPU_FW_CAP_OP(RM_NPU_FW_OP_COUNT) - 1 ==
	      RM_NPU_CAP(RM_NPU_OP_COUNT) - 1);

void rm_npu_fw_load(struct rm_npu_device *ndev)
{
	struct device *dev = &ndev->pdev->dev;
	const struct firmware *fw;
	struct rm_npu_fw_desc desc;
	const char *why = NULL;
	int ret;

	ndev->fw_caps = 0;
	ndev->fw_version = 0;

	/* _nowarn: the one line below says everything about a failure. */
	ret = firmware_request_nowarn(&fw, RM_NPU_FW_PATH, dev);
	if (ret == -ENOENT) {
		ndev->fw_state = RM_NPU_FW_MISSING;
		dev_err(dev, "firmware %s not found (%d); npu%u is unusable\n",
			RM_NPU_FW_PATH, ret, ndev->index);
		return;
	}
	if (ret) {
		/* The loader refuses e.g. an empty file: an image, but bad. */
		ndev->fw_state = RM_NPU_FW_INVALID;
		dev_err(dev, "firmware %s rejected: cannot read image (%d); npu%u is unusable\n",
			RM_NPU_FW_PATH, ret, ndev->index);
		return;
	}

	ret = rm_npu_fw_parse(fw->data, fw->size, RM_NPU_ARCH, &desc, &why);
	if (!ret && desc.pe_count < ndev->num_pes) {
		ret = -EINVAL;
		why = "firmware drives fewer PEs than the device has";
	}
	if (ret) {
		ndev->fw_state = RM_NPU_FW_INVALID;
		dev_err(dev, "firmware %s rejected: %s (%d); npu%u is unusable\n",
			RM_NPU_FW_PATH, why ? why : "invalid image", ret,
			ndev->index);
		release_firmware(fw);
		return;
	}

	ndev->fw_state = RM_NPU_FW_READY;
	ndev->fw_version = desc.fw_version;
	/* Only opcodes this module implements can be enabled. */
	ndev->fw_caps = desc.caps & RM_NPU_FW_CAPS_ALL;
	strscpy(ndev->fw_version_str, desc.fw_version_str,
		sizeof(ndev->fw_version_str));
	dev_info(dev, "firmware %s version %s, caps 0x%llx\n", RM_NPU_FW_PATH,
		 ndev->fw_version_str, ndev->fw_caps);
	release_firmware(fw);
}
