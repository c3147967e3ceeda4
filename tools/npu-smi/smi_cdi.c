// SPDX-License-Identifier: MIT
/*
 * smi_cdi.c - a Container Device Interface (CDI 0.6.0) spec for the NPU
 * nodes, so that container runtimes (and Kubernetes through them) can hand
 * PEs to containers: `--device rm-npu.io/npu=npu0pe1`.
 *
 * Devices: one per PE or fused node (that node plus the NPU's management
 * node, which only reports information), one per NPU ("npu0": all of its
 * nodes), and "all".
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "smi.h"

static struct json_object *dev_node(const char *path)
{
	struct json_object *o = json_object_new_object();
	struct stat st;

	json_object_object_add(o, "path", json_object_new_string(path));
	if (stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
		json_object_object_add(o, "type", json_object_new_string("c"));
		json_object_object_add(o, "major",
				       json_object_new_int64(major(st.st_rdev)));
		json_object_object_add(o, "minor",
				       json_object_new_int64(minor(st.st_rdev)));
	}
	json_object_object_add(o, "permissions", json_object_new_string("rw"));
	return o;
}

static struct json_object *cdi_device(const char *name,
				      struct json_object *nodes)
{
	struct json_object *d = json_object_new_object();
	struct json_object *edits = json_object_new_object();

	json_object_object_add(edits, "deviceNodes", nodes);
	json_object_object_add(d, "name", json_object_new_string(name));
	json_object_object_add(d, "containerEdits", edits);
	return d;
}

struct json_object *smi_cdi_spec(const struct smi_sys *sys, const char *kind)
{
	struct json_object *spec = json_object_new_object();
	struct json_object *devs = json_object_new_array();
	struct json_object *all = json_object_new_array();
	size_t i, j;

	json_object_object_add(spec, "cdiVersion",
			       json_object_new_string("0.6.0"));
	json_object_object_add(spec, "kind", json_object_new_string(kind));
	for (i = 0; i < sys->num_devs; i++) {
		const struct smi_dev *d = &sys->devs[i];
		struct json_object *npu_nodes = json_object_new_array();
		char mgmt[32], name[16];

		snprintf(mgmt, sizeof(mgmt), "/dev/npu%u", d->info.index);
		json_object_array_add(npu_nodes, dev_node(mgmt));
		json_object_array_add(all, dev_node(mgmt));
		for (j = 0; j < d->num_nodes; j++) {
			const struct smi_node *n = &d->nodes[j];
			struct json_object *nodes = json_object_new_array();

			json_object_array_add(nodes, dev_node(n->info.devnode));
			json_object_array_add(nodes, dev_node(mgmt));
			json_object_array_add(devs,
					      cdi_device(n->info.name, nodes));
			json_object_array_add(npu_nodes,
					      dev_node(n->info.devnode));
			json_object_array_add(all, dev_node(n->info.devnode));
		}
		snprintf(name, sizeof(name), "npu%u", d->info.index);
		json_object_array_add(devs, cdi_device(name, npu_nodes));
	}
	json_object_array_add(devs, cdi_device("all", all));
	json_object_object_add(spec, "devices", devs);
	return spec;
}
