// SPDX-License-Identifier: MIT
/*
 * exporter_metrics.c - the rm_npu metrics in Prometheus' text format
 * (version 0.0.4): one table row per metric (name, type, help, which
 * objects it is about, how to get the value), written family by family.
 */
#include <errno.h>
#include <string.h>

#include "exporter.h"

static const char *const fw_states[] = { "ready", "missing", "invalid" };

/* A label value with \, " and newline escaped as the format asks. */
static void put_label(FILE *out, const char *name, const char *value,
		      bool first)
{
	const char *p;

	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	for (p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- per NPU ---- */

typedef void (*dev_value_fn)(FILE *out, const struct smi_dev *d);

static void v_pes(FILE *o, const struct smi_dev *d)
{
	fprintf(o, "%u", d->info.num_pes);
}

static void v_mem_used(FILE *o, const struct smi_dev *d)
{
	fprintf(o, "%llu", (unsigned long long)d->info.mem_used);
}

static void v_mem_total(FILE *o, const struct smi_dev *d)
{
	fprintf(o, "%llu", (unsigned long long)d->info.mem_total);
}

static void v_bos(FILE *o, const struct smi_dev *d)
{
	fprintf(o, "%u", d->info.bo_count);
}

static void v_pes_open(FILE *o, const struct smi_dev *d)
{
	fprintf(o, "%u", d->pes_open);
}

static void v_util(FILE *o, const struct smi_dev *d)
{
	fprintf(o, "%.6f", d->util);
}

static const struct {
	const char *name, *type, *help;
	dev_value_fn value;
} dev_metrics[] = {
	{ "rm_npu_pes", "gauge", "Processing elements of the NPU.", v_pes },
	{ "rm_npu_pes_open", "gauge",
	  "PEs held by a process, directly or through a fused node.",
	  v_pes_open },
	{ "rm_npu_memory_used_bytes", "gauge",
	  "Device memory held by buffer objects.", v_mem_used },
	{ "rm_npu_memory_total_bytes", "gauge", "Device memory of the NPU.",
	  v_mem_total },
	{ "rm_npu_buffer_objects", "gauge", "Buffer objects alive.", v_bos },
	{ "rm_npu_utilization_ratio", "gauge",
	  "Mean busy share of the NPU's PEs over the sampling window.",
	  v_util },
};

static void dev_labels(FILE *out, const struct smi_dev *d)
{
	char idx[16];

	snprintf(idx, sizeof(idx), "%u", d->info.index);
	put_label(out, "npu", idx, true);
}

static void write_devices(FILE *out, const struct smi_sys *sys)
{
	size_t m, i, k;

	family(out, "rm_npu_info", "gauge",
	       "The NPU's identity in labels; always 1.");
	for (i = 0; i < sys->num_devs; i++) {
		const struct smi_dev *d = &sys->devs[i];

		fputs("rm_npu_info{", out);
		dev_labels(out, d);
		put_label(out, "arch", d->info.arch, false);
		put_label(out, "uuid", d->info.uuid, false);
		put_label(out, "firmware", d->info.fw_version, false);
		put_label(out, "driver", d->info.abi_version, false);
		put_label(out, "bus_id", d->bus_id, false);
		fputs("} 1\n", out);
	}
	family(out, "rm_npu_firmware_state", "gauge",
	       "1 for the state the NPU's firmware is in (ready, missing, invalid), 0 for the others.");
	for (i = 0; i < sys->num_devs; i++) {
		for (k = 0; k < sizeof(fw_states) / sizeof(fw_states[0]); k++) {
			fputs("rm_npu_firmware_state{", out);
			dev_labels(out, &sys->devs[i]);
			put_label(out, "state", fw_states[k], false);
			fprintf(out, "} %d\n",
				!strcmp(sys->devs[i].info.fw_state,
					fw_states[k]));
		}
	}
	for (m = 0; m < sizeof(dev_metrics) / sizeof(dev_metrics[0]); m++) {
		family(out, dev_metrics[m].name, dev_metrics[m].type,
		       dev_metrics[m].help);
		for (i = 0; i < sys->num_devs; i++) {
			fprintf(out, "%s{", dev_metrics[m].name);
			dev_labels(out, &sys->devs[i]);
			fputs("} ", out);
			dev_metrics[m].value(out, &sys->devs[i]);
			fputc('\n', out);
		}
	}
}

/* ---- per PE (single-PE nodes) and per node ---- */

typedef void (*node_value_fn)(FILE *out, const struct smi_node *n);

static void v_busy(FILE *o, const struct smi_node *n)
{
	/* busy_ns, exactly, in seconds. */
	fprintf(o, "%llu.%09llu",
		(unsigned long long)(n->info.busy_ns / 1000000000ull),
		(unsigned long long)(n->info.busy_ns % 1000000000ull));
}

static void v_jobs_ok(FILE *o, const struct smi_node *n)
{
	fprintf(o, "%llu", (unsigned long long)n->info.jobs_completed);
}

static void v_jobs_failed(FILE *o, const struct smi_node *n)
{
	fprintf(o, "%llu", (unsigned long long)n->info.jobs_failed);
}

static void v_bytes(FILE *o, const struct smi_node *n)
{
	fprintf(o, "%llu", (unsigned long long)n->info.bytes_moved);
}

static void v_ops(FILE *o, const struct smi_node *n)
{
	fprintf(o, "%llu", (unsigned long long)n->info.ops);
}

static void v_pe_util(FILE *o, const struct smi_node *n)
{
	fprintf(o, "%.6f", n->util);
}

static void v_owner(FILE *o, const struct smi_node *n)
{
	fprintf(o, "%d", n->info.owner_pid > 0 ? n->info.owner_pid : 0);
}

static const struct {
	const char *name, *type, *help;
	node_value_fn value;
	bool fused_too;		/* also for fused nodes */
} node_metrics[] = {
	{ "rm_npu_pe_busy_seconds_total", "counter",
	  "Time the PE's engine spent executing jobs (the driver's busy_ns).",
	  v_busy, false },
	{ "rm_npu_pe_jobs_completed_total", "counter",
	  "Jobs the PE completed.", v_jobs_ok, false },
	{ "rm_npu_pe_jobs_failed_total", "counter",
	  "Jobs that failed on the PE (bad command, timeout, cancel).",
	  v_jobs_failed, false },
	{ "rm_npu_pe_bytes_moved_total", "counter",
	  "Bytes the PE's commands read and wrote.", v_bytes, false },
	{ "rm_npu_pe_ops_total", "counter",
	  "Arithmetic operations the PE's commands performed.", v_ops, false },
	{ "rm_npu_pe_utilization_ratio", "gauge",
	  "Busy share of the PE over the sampling window.", v_pe_util, false },
	{ "rm_npu_node_owner_pid", "gauge",
	  "Process holding the PE or fused node exclusively, 0 when free.",
	  v_owner, true },
};

static void node_labels(FILE *out, const struct smi_dev *d,
			const struct smi_node *n)
{
	char v[16];

	dev_labels(out, d);
	if (n->fused) {
		snprintf(v, sizeof(v), "%u-%u", n->info.pe_first,
			 n->info.pe_first + n->info.pe_count - 1);
		put_label(out, "pes", v, false);
	} else {
		snprintf(v, sizeof(v), "%u", n->info.pe_first);
		put_label(out, "pe", v, false);
	}
	put_label(out, "node", n->info.name, false);
}

static size_t node_processes(const struct npx_scrape *s, const char *node)
{
	size_t i, j, n = 0;

	/* Processes, not open files: a pid counts once per node. */
	for (i = 0; i < s->num_procs; i++) {
		if (strcmp(s->procs[i].node, node))
			continue;
		for (j = 0; j < i; j++)
			if (s->procs[j].pid == s->procs[i].pid &&
			    !strcmp(s->procs[j].node, node))
				break;
		n += j == i;
	}
	return n;
}

static void write_nodes(FILE *out, const struct npx_scrape *s)
{
	const struct smi_sys *sys = s->sys;
	size_t m, i, j;

	for (m = 0; m < sizeof(node_metrics) / sizeof(node_metrics[0]); m++) {
		family(out, node_metrics[m].name, node_metrics[m].type,
		       node_metrics[m].help);
		for (i = 0; i < sys->num_devs; i++) {
			const struct smi_dev *d = &sys->devs[i];

			for (j = 0; j < d->num_nodes; j++) {
				const struct smi_node *n = &d->nodes[j];

				if (n->fused && !node_metrics[m].fused_too)
					continue;
				fprintf(out, "%s{", node_metrics[m].name);
				node_labels(out, d, n);
				fputs("} ", out);
				node_metrics[m].value(out, n);
				fputc('\n', out);
			}
		}
	}
	family(out, "rm_npu_node_processes", "gauge",
	       "Processes with the node open (the management node npuX included).");
	for (i = 0; i < sys->num_devs; i++) {
		const struct smi_dev *d = &sys->devs[i];
		char mgmt[16], idx[16];

		snprintf(mgmt, sizeof(mgmt), "npu%u", d->info.index);
		snprintf(idx, sizeof(idx), "%u", d->info.index);
		fputs("rm_npu_node_processes{", out);
		put_label(out, "npu", idx, true);
		put_label(out, "node", mgmt, false);
		fprintf(out, "} %zu\n", node_processes(s, mgmt));
		for (j = 0; j < d->num_nodes; j++) {
			fputs("rm_npu_node_processes{", out);
			node_labels(out, d, &d->nodes[j]);
			fprintf(out, "} %zu\n",
				node_processes(s, d->nodes[j].info.name));
		}
	}
}

static void write_procs(FILE *out, const struct npx_scrape *s)
{
	size_t i;

	family(out, "rm_npu_process_memory_bytes", "gauge",
	       "Device memory of the buffer objects a process holds through one open node.");
	for (i = 0; i < s->num_procs; i++) {
		const struct smi_proc *p = &s->procs[i];
		char pid[16];

		if (p->mem_bytes < 0)
			continue;
		snprintf(pid, sizeof(pid), "%d", p->pid);
		fputs("rm_npu_process_memory_bytes{", out);
		put_label(out, "pid", pid, true);
		put_label(out, "comm", p->comm, false);
		put_label(out, "node", p->node, false);
		fprintf(out, "} %lld\n", (long long)p->mem_bytes);
	}
}

int npx_metrics_write(FILE *out, const struct npx_scrape *s)
{
	family(out, "rm_npu_driver_loaded", "gauge",
	       "1 when the rm_npu kernel module is loaded.");
	fprintf(out, "rm_npu_driver_loaded %d\n", s->driver_loaded);
	family(out, "rm_npu_devices", "gauge", "NPUs present.");
	fprintf(out, "rm_npu_devices %zu\n", s->sys->num_devs);
	write_devices(out, s->sys);
	write_nodes(out, s);
	write_procs(out, s);
	family(out, "rm_npu_scrape_duration_seconds", "gauge",
	       "Time this scrape took to collect, the sampling window included.");
	fprintf(out, "rm_npu_scrape_duration_seconds %.6f\n", s->duration_s);
	return ferror(out) ? -EIO : 0;
}
