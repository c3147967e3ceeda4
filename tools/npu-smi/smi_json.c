// SPDX-License-Identifier: MIT
/*
 * smi_json.c - npu-smi's machine-readable views: --json documents and
 * --query rows (CSV or JSON). The keys are a stable interface, documented
 * in npu-smi.1; add keys, never rename or remove them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "smi.h"

static struct json_object *j_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static void put(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *j_util(const struct smi_sys *sys, double u)
{
	/* Percent with one decimal; null when not sampled. */
	if (sys && sys->interval_s <= 0)
		return NULL;
	return json_object_new_double((double)(int64_t)(u * 1000.0 + 0.5) /
				      10.0);
}

static struct json_object *node_json(const struct smi_sys *sys,
				     const struct smi_node *n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pes = json_object_new_array();
	unsigned int pe;

	put(o, "name", json_object_new_string(n->info.name));
	put(o, "devnode", json_object_new_string(n->info.devnode));
	for (pe = n->info.pe_first; pe < n->info.pe_first + n->info.pe_count;
	     pe++)
		json_object_array_add(pes, json_object_new_int((int)pe));
	put(o, "pes", pes);
	put(o, "fused", json_object_new_boolean(n->fused));
	put(o, "state", json_object_new_string(n->info.state));
	put(o, "owner_pid", json_object_new_int(n->info.owner_pid));
	put(o, "owner_command", n->info.owner_pid > 0 ?
	    json_object_new_string(n->owner_comm) : NULL);
	/* Holders now (fdinfo/fd scan), unlike the opener in owner_pid. */
	put(o, "holder_pid", n->holders ?
	    json_object_new_int(n->holder_pid) : NULL);
	put(o, "holders", json_object_new_int((int)n->holders));
	put(o, "utilization", j_util(sys, n->util));
	if (!n->fused) {
		put(o, "busy_ns", j_u64(n->info.busy_ns));
		put(o, "jobs_completed", j_u64(n->info.jobs_completed));
		put(o, "jobs_failed", j_u64(n->info.jobs_failed));
		put(o, "bytes_moved", j_u64(n->info.bytes_moved));
		put(o, "ops", j_u64(n->info.ops));
	}
	return o;
}

static struct json_object *dev_json(const struct smi_sys *sys,
				    const struct smi_dev *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *mem = json_object_new_object();
	struct json_object *bus = json_object_new_object();
	struct json_object *nodes = json_object_new_array();
	char caps[24];
	size_t j;

	put(o, "index", json_object_new_int((int)d->info.index));
	{
		char name[16];

		snprintf(name, sizeof(name), "npu%u", d->info.index);
		put(o, "name", json_object_new_string(name));
	}
	put(o, "arch", json_object_new_string(d->info.arch));
	put(o, "num_pes", json_object_new_int((int)d->info.num_pes));
	put(o, "pes_open", json_object_new_int((int)d->pes_open));
	put(o, "fw_state", json_object_new_string(d->info.fw_state));
	put(o, "fw_version", json_object_new_string(d->info.fw_version));
	snprintf(caps, sizeof(caps), "0x%" PRIx64, d->info.fw_caps);
	put(o, "fw_caps", json_object_new_string(caps));
	put(o, "abi_version", json_object_new_string(d->info.abi_version));
	put(o, "uuid", json_object_new_string(d->info.uuid));
	put(o, "numa_node", json_object_new_int(d->info.numa_node));
	put(mem, "total", j_u64(d->info.mem_total));
	put(mem, "used", j_u64(d->info.mem_used));
	put(mem, "buffers", j_u64(d->info.bo_count));
	put(o, "memory", mem);
	put(bus, "type", json_object_new_string(d->bus_type));
	put(bus, "id", json_object_new_string(d->bus_id));
	put(bus, "virtual", json_object_new_boolean(d->is_virtual));
	put(bus, "pci_device", d->is_virtual ? NULL :
	    json_object_new_string(d->pci_name));
	put(o, "bus", bus);
	put(o, "utilization", j_util(sys, d->util));
	for (j = 0; j < d->num_nodes; j++)
		json_object_array_add(nodes, node_json(sys, &d->nodes[j]));
	put(o, "nodes", nodes);
	return o;
}

struct json_object *smi_json_dev(const struct smi_dev *dev)
{
	return dev_json(NULL, dev);
}

struct json_object *smi_json_sys(const struct smi_sys *sys)
{
	struct json_object *o = json_object_new_object();
	struct json_object *devs = json_object_new_array();
	size_t i;

	put(o, "npu_smi_version", json_object_new_string(NPU_SMI_VERSION));
	put(o, "runtime_version",
	    json_object_new_string(npurt_version_string()));
	put(o, "utilization_interval_s", sys->interval_s > 0 ?
	    json_object_new_double(sys->interval_s) : NULL);
	for (i = 0; i < sys->num_devs; i++)
		json_object_array_add(devs, dev_json(sys, &sys->devs[i]));
	put(o, "devices", devs);
	return o;
}

struct json_object *smi_json_procs(const struct smi_proc *procs, size_t n)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		put(o, "pid", json_object_new_int(procs[i].pid));
		put(o, "command", json_object_new_string(procs[i].comm));
		put(o, "node", json_object_new_string(procs[i].node));
		put(o, "client_id", procs[i].client_id < 0 ? NULL :
		    json_object_new_int64(procs[i].client_id));
		put(o, "memory_bytes", procs[i].mem_bytes < 0 ? NULL :
		    json_object_new_int64(procs[i].mem_bytes));
		put(o, "buffers", procs[i].bo_count < 0 ? NULL :
		    json_object_new_int64(procs[i].bo_count));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ---- --query ---- */

struct query_field {
	const char *name;
	const char *help;
	struct json_object *(*get)(const struct smi_sys *sys,
				   const struct smi_dev *d);
};

#define Q_STR(field) \
	static struct json_object *q_##field(const struct smi_sys *s, \
					     const struct smi_dev *d) \
	{ (void)s; return json_object_new_string(d->info.field); }
#define Q_U64(field) \
	static struct json_object *q_##field(const struct smi_sys *s, \
					     const struct smi_dev *d) \
	{ (void)s; return j_u64(d->info.field); }

Q_STR(arch)
Q_STR(fw_state)
Q_STR(fw_version)
Q_STR(uuid)
Q_STR(abi_version)
Q_U64(num_pes)
Q_U64(mem_total)
Q_U64(mem_used)
Q_U64(bo_count)

static struct json_object *q_index(const struct smi_sys *s,
				   const struct smi_dev *d)
{
	(void)s;
	return json_object_new_int((int)d->info.index);
}

static struct json_object *q_numa_node(const struct smi_sys *s,
				       const struct smi_dev *d)
{
	(void)s;
	return json_object_new_int(d->info.numa_node);
}

static struct json_object *q_pes_open(const struct smi_sys *s,
				      const struct smi_dev *d)
{
	(void)s;
	return json_object_new_int((int)d->pes_open);
}

static struct json_object *q_bus_id(const struct smi_sys *s,
				    const struct smi_dev *d)
{
	(void)s;
	return json_object_new_string(d->bus_id);
}

static struct json_object *q_utilization(const struct smi_sys *s,
					 const struct smi_dev *d)
{
	return j_util(s, d->util);
}

static const struct query_field query_fields[] = {
	{ "index", "NPU index (X of /dev/npuX)", q_index },
	{ "arch", "architecture", q_arch },
	{ "num_pes", "processing elements", q_num_pes },
	{ "pes_open", "PEs held by a process", q_pes_open },
	{ "fw_state", "ready, missing or invalid", q_fw_state },
	{ "fw_version", "firmware version", q_fw_version },
	{ "abi_version", "driver uAPI version", q_abi_version },
	{ "uuid", "device UUID", q_uuid },
	{ "numa_node", "NUMA node (-1: none)", q_numa_node },
	{ "bus_id", "bus address", q_bus_id },
	{ "mem_total", "device memory, bytes", q_mem_total },
	{ "mem_used", "device memory in use, bytes", q_mem_used },
	{ "bo_count", "buffer objects", q_bo_count },
	{ "utilization", "percent busy over the interval", q_utilization },
};

static const struct query_field *query_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(query_fields) / sizeof(query_fields[0]); i++)
		if (strlen(query_fields[i].name) == len &&
		    !strncmp(query_fields[i].name, name, len))
			return &query_fields[i];
	return NULL;
}

int smi_query_check(const char *fields)
{
	const char *p = fields;

	if (!*fields) {
		fprintf(stderr, "npu-smi: --query needs at least one field\n");
		return -EINVAL;
	}
	for (;;) {
		size_t len = strcspn(p, ",");

		if (!query_find(p, len)) {
			fprintf(stderr,
				"npu-smi: unknown query field '%.*s' (npu-smi --help-query lists them)\n",
				(int)len, p);
			return -EINVAL;
		}
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

void smi_query_list_fields(FILE *out)
{
	size_t i;

	for (i = 0; i < sizeof(query_fields) / sizeof(query_fields[0]); i++)
		fprintf(out, "  %-12s %s\n", query_fields[i].name,
			query_fields[i].help);
}

/* A CSV cell: quoted when it holds a comma, quote or newline. */
static void csv_cell(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

int smi_query_print(FILE *out, const struct smi_sys *sys, const char *fields,
		    bool csv_header, bool json)
{
	struct json_object *rows = json_object_new_array();
	size_t i;

	if (!json && csv_header)
		fprintf(out, "%s\n", fields);
	for (i = 0; i < sys->num_devs; i++) {
		struct json_object *row = json_object_new_object();
		const char *p = fields;

		for (;;) {
			size_t len = strcspn(p, ",");
			const struct query_field *f = query_find(p, len);
			struct json_object *v = f->get(sys, &sys->devs[i]);

			if (!json) {
				if (p != fields)
					fputc(',', out);
				csv_cell(out, v ? json_object_get_string(v) : "");
			}
			put(row, f->name, v);
			if (!p[len])
				break;
			p += len + 1;
		}
		if (!json)
			fputc('\n', out);
		json_object_array_add(rows, row);
	}
	if (json)
		fprintf(out, "%s\n", json_object_to_json_string_ext(rows,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(rows);
	return 0;
}
