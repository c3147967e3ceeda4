// SPDX-License-Identifier: MIT
/*
 * smi_monitor.c - a udev monitor of the "npu" subsystem, so that the tools
 * (npu-smi --loop, npu-device-plugin, npu-exporter) see NPUs and their
 * nodes come and go as the kernel announces them.
 */
#include <unistd.h>

#include <libudev.h>

#include "smi.h"

struct udev_monitor *smi_monitor_open(struct udev **udev)
{
	struct udev_monitor *mon;

	*udev = udev_new();
	if (!*udev)
		return NULL;
	/* Without udevd nothing is relayed on "udev": listen to the kernel. */
	mon = udev_monitor_new_from_netlink(*udev,
		access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel");
	if (mon && (udev_monitor_filter_add_match_subsystem_devtype(mon, "npu",
								     NULL) < 0 ||
		    udev_monitor_enable_receiving(mon) < 0)) {
		udev_monitor_unref(mon);
		mon = NULL;
	}
	if (!mon) {
		udev_unref(*udev);
		*udev = NULL;
	}
	return mon;
}

void smi_monitor_close(struct udev_monitor *mon, struct udev *udev)
{
	if (mon)
		udev_monitor_unref(mon);
	if (udev)
		udev_unref(udev);
}
